"""CLI conventions users expect from ruff, uv and timm (issue 13, item 10): ``-V``, "did you mean" for a
mistyped command, ``archc list 'cifar/*'``, and the cost-conventions epilog only where costs are printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from archc._version import __version__
from tests.conftest import assert_snapshot, run_cli

SNAP = Path(__file__).parent / "snapshots"

CASES = {
    "unknown_command": ["cots", "resnet18"],
    "list_glob_names": ["list", "--names", "cifar/resnet[25]?", "torchvision/wide*"],
    "list_no_match": ["list", "cfar/*"],
    "unknown_option": ["cost", "resnet18", "--jsn"],
}


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["cost"],
        ["cost", "resnet18", "--depth", "9"],
        ["graph", "resnet18", "resnet50"],
        ["table", "--format"],
        ["compare", "resnet18", "--json", "--csv"],
    ],
    ids=["no-command", "no-spec", "bad-choice", "extra-positional", "missing-value", "conflict"],
)
def test_argument_errors_are_diagnostics(args):
    """Issue 13, item 15: argparse's own errors too are one E600 diagnostic (with the usage as help)."""
    code, out, err = run_cli(*args)
    assert (code, out) == (2, "")
    lines = err.splitlines()
    assert lines[0].startswith("error[E600]: ") and lines[1].startswith("  help: ") and lines[-1] == "Found 1 error."


@pytest.mark.parametrize("case", sorted(CASES))
def test_snapshot(case):
    code, out, err = run_cli(*CASES[case])
    assert_snapshot(SNAP / f"{case}.txt", f"exit: {code}\n--- stdout\n{out}--- stderr\n{err}")


@pytest.mark.parametrize("flag", ["-V", "--version"])
def test_version(flag):
    assert run_cli(flag) == (0, f"archc {__version__}\n", "")


def test_list_prefix_and_glob_agree_with_the_names():
    _, every, _ = run_cli("list", "--names")
    cifar = [n for n in every.split() if n.startswith("cifar/")]
    assert run_cli("list", "--names", "cifar/*")[1].split() == cifar
    assert run_cli("list", "--names", "cifar")[1].split() == cifar  # no wildcard: a prefix, as timm
    code, out, _ = run_cli("list", "cifar/resnet2*")
    assert code == 0 and [line.split()[0] for line in out.splitlines()[1:]] == ["cifar/resnet20"]


@pytest.mark.parametrize("command", ["cost", "compare", "table", "list"])
def test_conventions_where_costs_are_printed(command):
    assert "cost conventions:" in run_cli(command, "--help")[1]


@pytest.mark.parametrize("command", ["check", "build", "graph", "schema", "verify", "convert"])
def test_no_conventions_elsewhere(command):
    assert "cost conventions:" not in run_cli(command, "--help")[1]


def test_top_level_help_points_to_the_conventions():
    out = run_cli("--help")[1]
    assert "cost conventions:" not in out and "archc cost --help" in out


@pytest.mark.parametrize("argv", [["--help"], ["--help", "cost"], ["-h", "cost", "resnet18"], ["--hel", "cost"]])
def test_top_level_help_lists_every_command_even_with_one_chosen(argv):
    from archc.cli import COMMANDS

    code, out, _ = run_cli(*argv)
    assert code == 0
    assert all(f"    {name} " in out for name, _, _ in COMMANDS)


def test_a_chosen_command_builds_only_its_own_parser():
    from archc.cli import build_parser

    assert list(build_parser(["--debug", "cost", "resnet18"]).commands) == ["cost"]
    assert len(build_parser(["--help", "cost"]).commands) == len(build_parser().commands) == 12
