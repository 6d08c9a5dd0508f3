"""README's two set-up commands stay true: CI runs the second verbatim, the first runs a built-in spec."""

from __future__ import annotations

import re
import shlex

from tests.conftest import REPO, run_cli

README = (REPO / "README.md").read_text(encoding="utf-8")


def _setup_commands() -> list[str]:
    block = re.search(r"```bash\n(.*?)```", README, re.S)
    assert block, "README must open with a ```bash block of the two set-up commands"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_two_setup_commands_first():
    commands = _setup_commands()
    assert len(commands) == 2
    assert README.index("```bash") < README.index("## ")


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    test_command = _setup_commands()[1]
    assert test_command in ci.splitlines()
    assert "torch==2.13.0" in test_command.split("&&")[0], "CPU torch must be installed before the extras"
    assert "pytest" in test_command
    assert 'pytest -n 2 -m "not slow"' in test_command, "the README's command is the quick tier"
    assert "python3 -m pytest -n 2 -m slow" in ci, "CI runs the slow tier after the quick one"


def test_first_command_runs_the_main_job():
    install, run = _setup_commands()[0].split("&&")
    assert shlex.split(install)[:3] == ["pip", "install", "-e"]
    argv = shlex.split(run)
    assert argv[0] == "archc"
    code, out, err = run_cli(*argv[1:])
    assert code == 0 and err == "" and out
