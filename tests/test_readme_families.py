"""Every spec snippet of README "## Families" is a complete spec that compiles (and knobs it shows exist)."""

from __future__ import annotations

import re

import pytest

from archc.pipeline import compile_spec
from archc.reports.summary import summary
from tests.conftest import REPO, markdown_rows, number

README = (REPO / "README.md").read_text(encoding="utf-8")
SECTION = README.split("\n## Families\n", 1)[1].split("\n## ", 1)[0]
SNIPPETS = re.findall(r"```yaml\n(.*?)```", SECTION, re.S)


def test_the_section_has_a_snippet_per_family():
    assert len(SNIPPETS) >= 7


@pytest.mark.parametrize("index", range(len(SNIPPETS)))
def test_snippet_compiles(tmp_path, index):
    path = tmp_path / "snippet.yaml"
    path.write_text(SNIPPETS[index], encoding="utf-8")
    s = summary(compile_spec(str(path), verify_each=True))
    assert s["params"] > 0


def test_figures_table_is_what_archc_computes():
    for row in markdown_rows(SECTION, "spec"):
        s = summary(compile_spec(row[0]))
        assert [s["params"], s["keras_params"], s["macs"], s["depth"]] == [number(c) for c in row[1:5]], row[0]
