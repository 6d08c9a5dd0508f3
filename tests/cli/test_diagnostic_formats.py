"""How diagnostics look (issue 13, item 11): coloured on a terminal, plain when piped or with NO_COLOR, and
``archc check --output-format json|github`` for editors and CI annotations."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from archc.diagnostics import Diagnostic, to_github
from tests.conftest import REPO, assert_snapshot, run_cli, run_in_terminal

SNAP = Path(__file__).parent / "snapshots"
INVALID = REPO / "tests" / "data" / "invalid"
CASES = ["groups_on_basic_block.yaml", "bool_for_int.yaml"]
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_json_snapshot():
    code, out, err = run_cli("check", "--output-format", "json", *CASES, cwd=INVALID)
    assert (code, err) == (2, "")
    assert_snapshot(SNAP / "check_invalid.json", out)
    items = json.loads(out)
    assert [(d["path"], d["line"], d["col"], d["code"]) for d in items] == [
        ("bool_for_int.yaml", 10, 46, "E202"),
        ("groups_on_basic_block.yaml", 5, 9, "E401"),
    ]


def test_github_snapshot():
    code, out, err = run_cli("check", "--output-format", "github", *CASES, cwd=INVALID)
    assert (code, err) == (2, "")
    assert_snapshot(SNAP / "check_invalid.github.txt", out)
    assert all(line.startswith("::error file=") for line in out.splitlines())


@pytest.mark.parametrize("fmt, expected", [("json", "[]\n"), ("github", "")])
def test_valid_specs_print_nothing_to_annotate(fmt, expected):
    assert run_cli("check", "--output-format", fmt, "resnet18", "cifar/resnet20") == (0, expected, "")


def test_github_escapes_its_separators_and_control_characters():
    d = Diagnostic("a,b:c.yaml", 3, 4, "E203", "50% of\x1b[2Jit\n", "fix: it", ("note, 1",))
    assert to_github([d]) == (
        "::error file=a%2Cb%3Ac.yaml,line=3,col=4,title=archc E203::50%25 of\\x1b[2Jit\\n%0Anote, 1%0Ahelp: fix: it"
    )


def test_colour_on_a_terminal_and_the_same_text_underneath():
    spec = str(INVALID / CASES[0])
    code, terminal, _ = run_in_terminal("check", spec, on="stderr")
    assert code == 2
    assert "\x1b[1;31merror\x1b[0m[\x1b[1mE401\x1b[0m]" in terminal and "\x1b[1;36mhelp\x1b[0m:" in terminal
    piped = run_cli("check", spec)[2]
    assert ANSI.sub("", terminal) == piped and "\x1b" not in piped


@pytest.mark.parametrize("env", [{"NO_COLOR": "1"}, {"TERM": "dumb"}])
def test_no_colour_when_asked(env):
    code, terminal, _ = run_in_terminal("check", str(INVALID / CASES[0]), on="stderr", env=env)
    assert code == 2 and "error[E401]" in terminal and "\x1b" not in terminal


def test_a_spec_cannot_smuggle_escapes_into_coloured_output():
    code, terminal, _ = run_in_terminal("check", str(INVALID / "terminal_escape_in_key.yaml"), on="stderr")
    assert code == 2
    assert set(ANSI.findall(terminal)) <= {"\x1b[1m", "\x1b[1;31m", "\x1b[1;36m", "\x1b[1;34m", "\x1b[0m"}
    assert "\x1b" not in ANSI.sub("", terminal)
