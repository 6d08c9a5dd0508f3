"""Unexpected exceptions: one line "internal error: … please report", exit 3; the traceback only with --debug."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from archc import pipeline
from tests.conftest import REPO, run_cli


def _boom(_data):
    raise RuntimeError("pass exploded\nsecond line of the message")


@pytest.fixture
def broken_pass(monkeypatch):
    """Make the shapes pass raise an exception archc does not expect (no summary cache: a hit runs no pass)."""
    monkeypatch.setenv("ARCHC_NO_CACHE", "1")
    passes = tuple((name, _boom if name == "shapes" else run) for name, run in pipeline.PASSES)
    monkeypatch.setattr(pipeline, "PASSES", passes)


@pytest.mark.parametrize("command", [["check"], ["cost", "--json"], ["build", "--check"]])
def test_internal_error_is_one_line_and_exit_3(broken_pass, command):
    code, out, err = run_cli(*command, "resnet18")
    assert code == 3
    assert out == ""
    assert err.count("\n") == 1, f"not one line: {err!r}"
    assert err.startswith("internal error: RuntimeError: pass exploded")
    assert "please report" in err and "--debug" in err
    assert "Traceback" not in err


def test_debug_shows_the_exception(broken_pass):
    with pytest.raises(RuntimeError, match="pass exploded"):
        run_cli("--debug", "check", "resnet18")


def test_internal_error_at_process_level(tmp_path):
    """A real process: a broken pass gives exit 3 and one stderr line; with --debug a traceback."""
    script = (
        "import sys\n"
        "from archc import cli, pipeline\n"
        "def boom(g):\n"
        "    raise ZeroDivisionError('injected for the test')\n"
        "pipeline.PASSES = tuple((n, boom if n == 'cost' else f) for n, f in pipeline.PASSES)\n"
        "sys.exit(cli.main(sys.argv[1:]))\n"
    )
    run = [sys.executable, "-c", script]
    env = {**os.environ, "ARCHC_NO_CACHE": "1"}  # a cached summary would run no pass
    plain = subprocess.run([*run, "cost", "resnet18"], cwd=REPO, capture_output=True, text=True, timeout=60, env=env)
    assert plain.returncode == 3
    assert plain.stderr.splitlines() == [
        "internal error: ZeroDivisionError: injected for the test (please report; rerun with --debug)"
    ]
    debug = subprocess.run(
        [*run, "--debug", "cost", "resnet18"], cwd=REPO, capture_output=True, text=True, timeout=60, env=env
    )
    assert debug.returncode == 1
    assert "Traceback (most recent call last)" in debug.stderr and "ZeroDivisionError" in debug.stderr
