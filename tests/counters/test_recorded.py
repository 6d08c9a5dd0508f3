"""archc's counter figures against the recorded ones (``tests/reference/counter_figures.md``: timm's and
torchvision's own models, measured with each tool), and the rule tables' consistency. No framework needed."""

from __future__ import annotations

import math

import pytest

from archc.counters.count import count
from archc.counters.rules import CHANGED, FORMS, KINDS, RULES, TOOLS, rules_for
from archc.counters.terms import TERMS, kind_of
from archc.ir.ops import OPS
from archc.pipeline import compile_spec
from tests.conftest import REFERENCE, REPO, markdown_rows, number

TEXT = (REFERENCE / "counter_figures.md").read_text(encoding="utf-8")
COLUMNS = ["macs", "torch", "fvcore", "ptflops", "ptflops_aten", "thop"]
RECORDED = {r[0]: dict(zip(COLUMNS, map(number, r[1:]))) for r in markdown_rows(TEXT, "model") if len(r) == 7}
TIMM = {r[0]: (number(r[1]), number(r[2])) for r in markdown_rows(TEXT, "model") if len(r) == 3}
DATA = REPO / "tests" / "data" / "counters"
SPECS = {
    "resnet18": "torchvision/resnet18",
    "resnet50": "torchvision/resnet50",
    "resnet50d": str(DATA / "timm_resnet50d.yaml"),
    "seresnet50": str(DATA / "timm_seresnet50.yaml"),
}
OLD_THOP = "thop 0.1.1.post2209072238"


def test_the_reference_table_was_read():
    assert set(RECORDED) == set(SPECS) and set(TIMM) == {"resnet50d", "seresnet50"}


@pytest.mark.parametrize("model", ["resnet18", "resnet50", "resnet50d"])
def test_recorded_figures(model):
    """Every column exactly; the recorded thop column is thop 0.1.1's (see the reference's notes)."""
    g = compile_spec(SPECS[model]).graph
    assert count(g, versions={"thop": OLD_THOP}).totals == RECORDED[model]
    pinned = count(g).totals
    assert {k: v for k, v in pinned.items() if k != "thop"} == {k: v for k, v in RECORDED[model].items() if k != "thop"}


def test_thop_versions_differ_by_the_average_pools_window_inputs():
    g = compile_spec(SPECS["resnet50d"]).graph
    pools = [
        (d["shape"], g.nodes[next(iter(g.pred[n]))]["shape"]) for n, d in g.nodes(data=True) if d["op"] == "avgpool"
    ]
    assert len(pools) == 3
    window_inputs = sum(math.prod(inp) for _, inp in pools)  # 2x2 windows tile the even maps exactly
    assert count(g).totals["thop"] - RECORDED["resnet50d"]["thop"] == window_inputs == 1_404_928


def test_timm_models_are_the_recorded_ones():
    for model, (params, macs) in TIMM.items():
        g = compile_spec(SPECS[model]).graph
        assert (sum(d["params"] for _, d in g.nodes(data=True)), count(g).totals["macs"]) == (params, macs)


def test_seresnet50_differs_only_by_how_the_se_branch_pools():
    """timm writes ``x.mean((2, 3))``, archc ``nn.AdaptiveAvgPool2d``: the difference is exactly the SE pools'
    count under each tool's adaptive-average-pool rule, zero for the counters that do not count pools."""
    g = compile_spec(SPECS["seresnet50"]).graph
    pools = [n for n, d in g.nodes(data=True) if d["role"] == "se_pool"]
    inputs = sum(math.prod(g.nodes[next(iter(g.pred[n]))]["shape"]) for n in pools)
    outputs = sum(math.prod(g.nodes[n]["shape"]) for n in pools)
    expected = {"macs": 0, "torch": 0, "fvcore": inputs, "ptflops": 2 * inputs, "ptflops_aten": 0}
    expected["thop"] = inputs + outputs
    figures = count(g, versions={"thop": OLD_THOP}).totals
    assert {k: figures[k] - RECORDED["seresnet50"][k] for k in COLUMNS} == expected


def test_timm_seresnet50_is_the_recorded_one():
    """The figures recorded on timm's own seresnet50 (x.mean squeezes) are the ``timm/seresnet50`` built-in's."""
    g = compile_spec("timm/seresnet50").graph
    assert count(g, versions={"thop": OLD_THOP}).totals == RECORDED["seresnet50"]
    assert count(g).totals["fvcore"] == 4_114_027_520  # fvcore on timm's model; "timm's GMACs"


def test_every_tool_has_a_rule_for_every_op_kind_the_ir_has():
    kinds = {
        kind_of(op, {"mode": m}, role, profile, family)
        for op in OPS
        for m in ("avg", "max")
        for role in (None, "se_pool", "eca_pool")
        for profile in ("torchvision", "timm")
        for family in ("resnet", "regnet")
    }
    assert kinds <= set(KINDS)
    for tool in TOOLS:
        for version in [None, *CHANGED.get(tool, {})]:
            rules = rules_for(tool, version)
            assert set(rules) == set(KINDS)
            for kind, rule in rules.items():
                assert rule.counts or rule.why, f"{tool}/{kind}: a zero rule says why"
                assert all(c.term == "macs" or c.term in TERMS for c in rule.counts)
                assert set(rule.forms) <= set(FORMS)


def test_counters_are_the_ones_the_rules_name():
    assert list(RULES) == list(TOOLS) == COLUMNS
