"""README "Blocks as data": its worked block is the built-in timm/convnext_tiny and timm's figures,
its roadmap table is what archc computes for specs/convnext/roadmap/."""

from __future__ import annotations

import re

import pytest

from archc.counters.count import count
from archc.pipeline import compile_spec
from archc.reports.summary import summary
from tests.conftest import REPO, markdown_rows

README = (REPO / "README.md").read_text(encoding="utf-8")
SECTION = README.split("\n## Blocks as data\n", 1)[1].split("\n## ", 1)[0]
ROWS = markdown_rows(SECTION, "step")


def test_worked_block_is_the_example_and_timms_figures(tmp_path):
    (snippet,) = re.findall(r"```yaml\n(.*?)```", SECTION, re.S)
    path = tmp_path / "convnext_tiny.yaml"
    path.write_text(snippet, encoding="utf-8")
    ours = summary(compile_spec(str(path)))
    example = summary(compile_spec("timm/convnext_tiny"))
    assert (ours["params"], ours["macs"]) == (example["params"], example["macs"]) == (28_589_128, 4_455_531_264)
    assert "28,589,128 params and 4,455,531,264 MACs" in SECTION.replace("\n", " ")


def test_roadmap_table_lists_every_step():
    steps = sorted(p.name for p in (REPO / "specs" / "convnext" / "roadmap").glob("*.yaml"))
    assert [row[0].strip("`") for row in ROWS] == steps


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r[0])
def test_roadmap_row_is_what_archc_computes(row):
    c = compile_spec(str(REPO / "specs" / "convnext" / "roadmap" / row[0].strip("`")))
    s, fvcore = summary(c), count(c.graph, ["fvcore"]).totals["fvcore"]
    assert row[2] == c.spec.metadata.paper_flops.rstrip("G")
    assert row[3:] == [f"{s['params'] / 1e6:.2f} M", f"{s['macs'] / 1e9:.2f}", f"{fvcore / 1e9:.2f}"]
