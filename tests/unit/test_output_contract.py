"""The shared --format / --out writer (archc/output.py): format precedence, aliases, missing folders."""

from __future__ import annotations

import argparse

import pytest

from archc.diagnostics import SpecError
from archc.output import add_output_arguments, chosen_format, emit


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_output_arguments(parser, ["text", "json", "csv"], aliases=("json", "csv"))
    return parser.parse_args(list(argv))


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ((), "text"),
        (("--format", "csv"), "csv"),
        (("--json",), "json"),
        (("--out", "x.json"), "json"),
        (("--out", "x.csv", "--format", "json"), "json"),
        (("--out", "-"), "text"),
        (("--out", "x.unknown"), "text"),
    ],
)
def test_format_precedence(argv, expected):
    assert chosen_format(_parse(*argv)) == expected


def test_a_format_the_command_cannot_print_names_the_choices():
    with pytest.raises(SpecError) as err:
        chosen_format(_parse("--format", "latex"))
    assert "text, json, csv" in err.value.diagnostics[0].help


def test_conflicting_formats_are_refused():
    with pytest.raises(SpecError, match="conflicting"):
        chosen_format(_parse("--json", "--csv"))


def test_emit_writes_the_file_and_never_creates_folders(tmp_path, capsys):
    emit("a", str(tmp_path / "o.txt"))
    assert (tmp_path / "o.txt").read_text() == "a\n"
    with pytest.raises(SpecError) as err:
        emit("a", str(tmp_path / "missing" / "o.txt"))
    assert err.value.diagnostics[0].code == "E500"
    assert not (tmp_path / "missing").exists()
    emit("b", "-")
    assert capsys.readouterr().out == "b\n"
