"""``archc compare`` in a terminal (issue 13, item 2): the table fits the window and never cuts a number.

Rich used to squeeze every cell to ``1…`` at 80 columns. Now columns are left out (named in a note), and a
window too narrow for any table gets one block per spec; piped output is the full table (snapshot in
test_compare_cli.py). The end-to-end test runs archc in a real pseudo-terminal of a given size.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import assert_snapshot, run_in_terminal

SNAPSHOTS = Path(__file__).parent / "snapshots"
SPECS = ["resnet18", "resnet34", "resnet50", "torchvision/resnet50"]


@pytest.fixture(scope="module")
def result():
    from archc.pipeline import compile_all
    from archc.reports.comparison import compare

    return compare(compile_all(SPECS))


@pytest.mark.parametrize("width", [30, 50, 60, 80, 100, 120, 121, 200])
def test_every_number_is_whole_or_its_column_is_named(result, width):
    from archc.reports.comparison_text import cells, fit, header

    out = fit(result, width)
    assert max(len(line) for line in out.splitlines()) <= width
    assert "…" not in out
    note = " ".join(out.split("left out to fit")[1:])
    for row in cells(result):
        line = next((ln for ln in out.splitlines() if ln.strip().startswith(row[0])), None)
        for name, cell in zip(header(result)[1:], row[1:]):
            shown = line is not None and re.search(rf"(^|\s){re.escape(cell)}(\s|$)", line)
            records = f"  {name}" in out and re.search(rf"{re.escape(name)}\s+{re.escape(cell)}\n", out + "\n")
            assert shown or name in note or records, f"{row[0]} {name} {cell!r} missing at width {width}"


def test_80_columns_snapshot(result):
    from archc.reports.comparison_text import fit

    assert_snapshot(SNAPSHOTS / "compare_resnets_80.txt", fit(result, 80) + "\n")


def test_wide_terminal_shows_the_piped_table(result):
    from archc.reports.comparison_text import fit, to_plain

    assert fit(result, 200) == to_plain(result)


@pytest.mark.parametrize("columns", [80, 120])
def test_a_real_terminal_gets_the_fitted_table(result, columns):
    from archc.reports.comparison_text import fit

    code, out, err = run_in_terminal("compare", *SPECS, columns=columns)
    assert code == 0, err
    assert out == fit(result, columns) + "\n"
    assert "11.69 M" in out and "…" not in out
