"""Exact params / MACs / depth against the recorded torchvision and paper figures (tests/reference)."""

from __future__ import annotations

import pytest

from archc.pipeline import compile_spec
from archc.reports.summary import summary
from tests.conftest import REFERENCE, markdown_rows, number

FIGURES = (REFERENCE / "figures.md").read_text(encoding="utf-8")
SECTIONS = {part.split("\n", 1)[0]: part for part in FIGURES.split("\n## ")}
_TV_SECTION = next(v for k, v in SECTIONS.items() if k.startswith("torchvision"))
_PAPER_SECTION = next(v for k, v in SECTIONS.items() if k.startswith("Paper ResNet v1"))
RESNETS = ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152"]


def _table(section: str) -> dict[str, tuple[int, int]]:
    return {row[0]: (number(row[1]), number(row[2])) for row in markdown_rows(section, "model")}


TORCHVISION = _table(_TV_SECTION)
PAPER = _table(_PAPER_SECTION)


@pytest.mark.parametrize("name", RESNETS)
def test_torchvision_figures(name):
    s = summary(compile_spec(f"torchvision/{name}", verify_each=True))
    assert (s["params"], s["macs"]) == TORCHVISION[name]
    assert s["flops"] == 2 * s["macs"]


@pytest.mark.parametrize("name", RESNETS)
def test_paper_v1_figures(name):
    s = summary(compile_spec(name, verify_each=True))
    assert (s["params"], s["macs"]) == PAPER[name]


@pytest.mark.parametrize("name", RESNETS)
def test_depth_is_the_paper_layer_count(name):
    expected = int(name.removeprefix("resnet"))
    assert summary(compile_spec(name))["depth"] == expected
    assert summary(compile_spec(f"torchvision/{name}"))["depth"] == expected


def test_stage_rows_add_up():
    s = summary(compile_spec("resnet50"))
    parts = [s["stem"], *s["stages"], s["head"]]
    assert sum(p["params"] for p in parts) == s["params"]
    assert sum(p["macs"] for p in parts) == s["macs"]
    assert [st["output_shape"] for st in s["stages"]] == [[256, 56, 56], [512, 28, 28], [1024, 14, 14], [2048, 7, 7]]
