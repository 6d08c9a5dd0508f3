"""Exact figures of the family built-ins against outside references.

References: tests/reference/figures.md (torchvision 0.29.1, keras 3.15.1 count_params, the papers),
paper_tables.md (errors recorded as spec metadata), the torchvision state-dict dumps and the Keras
ResNet50V2 layer dump.
"""

from __future__ import annotations

import json
import re

import pytest

from archc.pipeline import compile_spec
from archc.reports.summary import summary
from tests.conftest import REFERENCE, markdown_rows, number

FIGURES = (REFERENCE / "figures.md").read_text(encoding="utf-8")
TABLES = (REFERENCE / "paper_tables.md").read_text(encoding="utf-8")
SECTIONS = {part.split("\n", 1)[0]: part for part in FIGURES.split("\n## ")}


def _section(prefix: str) -> str:
    return next(v for k, v in SECTIONS.items() if k.startswith(prefix))


def _figures(prefix: str) -> dict[str, list[str]]:
    return {row[0]: row[1:] for row in markdown_rows(_section(prefix), "model")}


TORCHVISION = _figures("torchvision")
KERAS = _figures("keras.applications")
CIFAR = _figures("CIFAR ResNets")


def _summary(name: str) -> dict:
    return summary(compile_spec(name, verify_each=True))


@pytest.mark.parametrize("depth", [20, 32, 44, 56, 110])
def test_cifar_resnets(depth):
    s = _summary(f"cifar/resnet{depth}")
    row = CIFAR[f"resnet{depth}"]
    assert s["params"] == number(row[1])
    assert s["depth"] == depth == 6 * int(row[0].split("=")[1]) + 2
    paper = row[2].removesuffix("M")  # the paper's Table 6 value, e.g. 0.27M, 1.7M
    assert round(s["params"] / 1e6, len(paper.split(".")[1])) == float(paper)
    if row[3]:
        assert s["macs"] == number(row[3])


def test_cifar_resnet1202_is_the_papers_19_4m():
    s = _summary("cifar/resnet1202")
    assert (round(s["params"] / 1e6, 1), s["depth"]) == (19.4, 1202)


def test_cifar_plain_nets_equal_their_resnets_in_cost():
    """Option A shortcuts have no parameters and additions no MACs: plain-n costs exactly what ResNet-n does."""
    for depth in (20, 56):
        plain, res = _summary(f"cifar/plain{depth}"), _summary(f"cifar/resnet{depth}")
        assert (plain["params"], plain["macs"], plain["depth"]) == (res["params"], res["macs"], depth)


def _plain_figures() -> dict[str, tuple[int, int]]:
    found = re.findall(r"(plain\d+) ([\d,]+) params / ([\d,]+) MACs|(plain\d+) ([\d,]+) / ([\d,]+)", FIGURES)
    out = {}
    for a, b, c, d, e, f in found:
        out[a or d] = (number(b or e), number(c or f))
    return out


@pytest.mark.parametrize("name", ["plain18", "plain34"])
def test_imagenet_plain_nets(name):
    s = _summary(name)
    assert (s["params"], s["macs"]) == _plain_figures()[name]
    assert s["depth"] == int(name.removeprefix("plain"))


def test_resnet34_shortcut_options():
    """Option A adds no parameters (= plain-34); C adds a projection to every block (Table 3's variants)."""
    a, b, c = _summary("resnet34_a"), _summary("resnet34"), _summary("resnet34_c")
    assert (a["params"], a["macs"]) == _plain_figures()["plain34"]
    # C: a 1x1 projection + BN on each of the 16 blocks; the 3 of B already exist.
    extra = sum(w * w + 2 * w for w, n in ((64, 3), (128, 3), (256, 5), (512, 2)) for _ in range(n))
    assert c["params"] == b["params"] + extra
    tables = {row[0]: row for row in markdown_rows(TABLES, "model")}
    meta = compile_spec("resnet34_a").spec.metadata
    assert (meta.top1_error, meta.top5_error) == (float(tables["ResNet-34 A"][1]), float(tables["ResNet-34 A"][2]))
    meta = compile_spec("resnet34_c").spec.metadata
    assert (meta.top1_error, meta.top5_error) == (float(tables["ResNet-34 C"][1]), float(tables["ResNet-34 C"][2]))


def test_preact_resnet164():
    text = _section("CIFAR ResNets")
    expected = number(re.search(r"preact-resnet164 ([\d,]+) params", text).group(1))
    s = _summary("cifar/preact_resnet164")
    assert (s["params"], s["depth"]) == (expected, 164)


@pytest.mark.parametrize("depth", [110, 1001])
def test_preact_depths(depth):
    assert _summary(f"cifar/preact_resnet{depth}")["depth"] == depth


FIG4 = {
    "original": "original residual unit",
    "bn_after_addition": "BN after addition",
    "relu_before_addition": "ReLU before addition",
    "relu_only_preactivation": "ReLU-only pre-activation",
    "full_preactivation": "full pre-activation",
}


@pytest.mark.parametrize("unit", sorted(FIG4))
def test_fig4_specs_record_the_papers_error(unit):
    rows = {row[0]: row for row in markdown_rows(TABLES, "case")}
    c = compile_spec(f"cifar/resnet110_{unit}", verify_each=True)
    assert c.spec.unit == unit
    assert c.spec.metadata.cifar10_error == float(rows[FIG4[unit]][2])
    s = summary(c)
    assert (s["params"], s["depth"]) == (number(CIFAR["resnet110"][1]), 110)


@pytest.mark.parametrize("name", ["resnext50_32x4d", "resnext101_32x8d", "wide_resnet50_2"])
def test_resnext_and_wide_figures(name):
    s = _summary(f"torchvision/{name}")
    assert (s["params"], s["macs"]) == (number(TORCHVISION[name][0]), number(TORCHVISION[name][1]))


@pytest.mark.parametrize("name", ["resnext50_32x4d", "wide_resnet50_2"])
def test_resnext_and_wide_state_dict(name):
    """IR names (torchvision profile) and weight shapes = torchvision's state dict, key by key."""
    dump = json.loads((REFERENCE / f"torchvision_{name}_state_dict.json").read_text(encoding="utf-8"))
    g = compile_spec(f"torchvision/{name}").graph
    ours = {}
    for _, d in g.nodes(data=True):
        a, n = d["attrs"], d["names"]["torchvision"]
        if d["op"] == "conv":
            ours[f"{n}.weight"] = [a["out_channels"], a["in_channels"] // a["groups"], *a["kernel"]]
        elif d["op"] == "batchnorm":
            for key in ("weight", "bias", "running_mean", "running_var"):
                ours[f"{n}.{key}"] = [a["channels"]]
            ours[f"{n}.num_batches_tracked"] = []
        elif d["op"] == "linear":
            ours[f"{n}.weight"], ours[f"{n}.bias"] = [a["out_features"], a["in_features"]], [a["out_features"]]
    assert ours == dump["state_dict"]
