"""README's RegNet section: its tables are what archc computes for every RegNet built-in, and its
``width_rounding`` snippet is torchvision's regnet_x_400mf."""

from __future__ import annotations

import re

import pytest

from archc.pipeline import compile_spec
from archc.reports.summary import summary
from archc.spec.loader import builtin_names, load_spec
from tests.conftest import REPO, markdown_rows, number

README = (REPO / "README.md").read_text(encoding="utf-8")
SECTION = README.split("\n### RegNet: generated stage tables", 1)[1].split("\n## ", 1)[0]
ROWS = markdown_rows(SECTION, "spec")


def test_the_tables_list_every_regnet_builtin():
    regnets = [n for n in builtin_names() if n.startswith("regnet/") or n.startswith("torchvision/regnet_")]
    assert sorted(row[0] for row in ROWS) == sorted(regnets)


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r[0])
def test_table_row_is_what_archc_computes(row):
    s = summary(compile_spec(row[0]))
    assert [s["params"], s["keras_params"], s["macs"], s["depth"]] == [number(c) for c in row[1:5]]
    assert row[5] == " / ".join(str(st["blocks"]) for st in s["stages"])
    assert row[6] == " / ".join(str(st["output_shape"][0]) for st in s["stages"])


def test_width_rounding_snippet_is_torchvisions_regnet_x_400mf(tmp_path):
    (snippet,) = [b for b in re.findall(r"```yaml\n(.*?)```", SECTION, re.S) if "width_rounding" in b]
    path = tmp_path / "snippet.yaml"
    path.write_text(snippet, encoding="utf-8")
    ours, theirs = load_spec(str(path)).spec, load_spec("torchvision/regnet_x_400mf").spec
    assert ours.stages == theirs.stages
    assert summary(compile_spec(str(path)))["params"] == 5_495_976
