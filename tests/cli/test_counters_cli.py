"""``archc cost --counters [--by-kind] [--json]`` and ``archc compare --counter NAME``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archc.counters.count import count
from archc.counters.rules import TOOLS
from archc.pipeline import compile_spec
from archc.reports.comparison import compare
from archc.reports.plot import chart_data
from tests.conftest import assert_snapshot, run_cli
from tests.counters.test_recorded import RECORDED
from tests.unit.test_no_framework_import import FRAMEWORKS, loaded_after


def test_json_counters_are_the_recorded_figures():
    code, out, err = run_cli("cost", "--json", "--counters", "torchvision/resnet18", "torchvision/resnet50")
    assert code == 0 and err == ""
    docs = json.loads(out)
    assert [d["counters"] for d in docs] == [RECORDED["resnet18"], RECORDED["resnet50"]]
    assert docs[0]["counters"]["macs"] == docs[0]["macs"]
    assert docs[1]["counter_forms"]["relu-module"] == ["ptflops"] and "counters_by_kind" not in docs[1]


def test_json_by_kind_adds_up_to_each_counter():
    code, out, _ = run_cli("cost", "--json", "--by-kind", "keras/resnet50v2")
    doc = json.loads(out)
    assert code == 0 and list(doc["counters_by_kind"]) == list(TOOLS)
    for tool, kinds in doc["counters_by_kind"].items():
        assert sum(kinds.values()) == doc["counters"][tool]
    fvcore = {k: v for k, v in doc["counters_by_kind"]["fvcore"].items() if v}
    assert list(fvcore) == ["conv", "linear", "batchnorm", "adaptive_avgpool"]  # timm's GMACs, explained


def test_text_table_row_and_notes():
    code, out, err = run_cli("cost", "torchvision/resnet50", "--counters", "--by-kind")
    assert code == 0 and err == ""
    row = next(line for line in out.splitlines() if line.startswith("torchvision/resnet50 "))
    assert row.split()[2:] == [f"{RECORDED['resnet50'][t]:,}" for t in TOOLS]
    assert "- relu-module (ptflops):" in out and "- explicit-pad" not in out  # resnet50 pads no pool itself
    fvcore = next(line for line in out.splitlines() if line.startswith("fvcore "))
    assert fvcore.split()[1:] == ["4,111,512,576", "4,087,136,256", "2,048,000", "22,227,968", "-", "-", "100,352"]
    code, out, _ = run_cli("cost", "keras/resnet50v2", "--counters")
    assert "- explicit-pad (ptflops):" in out


def test_text_snapshot():
    code, out, err = run_cli("cost", "resnet18", "cifar/resnet20", "--counters", "--by-kind")
    assert_snapshot(
        Path(__file__).parent / "snapshots" / "cost_counters.txt", f"exit: {code}\n--- stdout\n{out}--- stderr\n{err}"
    )


@pytest.mark.parametrize("counter", list(TOOLS))
def test_compare_ranks_by_any_counter(counter):
    specs = ["torchvision/resnet50", "resnet18", "cifar/resnet110", "resnet50"]
    code, out, err = run_cli("compare", *specs, "--counter", counter, "--json")
    rows = json.loads(out)
    assert code == 0 and err == ""
    figures = {r["label"]: r[counter] for r in rows}
    assert [r["label"] for r in rows] == sorted(figures, key=figures.get)
    assert figures["torchvision/resnet50"] == RECORDED["resnet50"][counter]
    assert rows[0]["macs_ratio"] != 1.0  # ratios stay against the first spec given


def test_compare_counter_reverse_and_sort_key():
    code, out, _ = run_cli("compare", "resnet18", "resnet50", "--sort=-thop", "--csv")
    assert code == 0 and out.splitlines()[0].split(",")[10] == "thop"  # after activations
    assert [line.split(",")[0] for line in out.splitlines()[1:]] == ["resnet50", "resnet18"]
    code, out, _ = run_cli("compare", "resnet18", "resnet50", "--counter", "fvcore", "--markdown")
    assert code == 0 and "| fvcore |" in out.splitlines()[0] + " |"


@pytest.mark.parametrize("name, hint", [("fvcor", "did you mean 'fvcore'?"), ("ptflop", "did you mean 'ptflops'?"),
                                        ("flops", "counters: macs, torch")])  # fmt: skip
def test_compare_unknown_counter_exits_2_with_a_suggestion(name, hint):
    code, out, err = run_cli("compare", "resnet18", "resnet50", "--counter", name)
    assert (code, out) == (2, "")
    assert err.startswith(f"error[E600]: unknown counter '{name}'\n  help: ") and hint in err


def test_plot_axis_is_the_counter():
    compiled = [compile_spec(s) for s in ("resnet18", "resnet34", "resnet50")]
    data = chart_data(compare(compiled, counter="fvcore"))
    assert "fvcore" in (data.xlabel if data.kind == "error" else data.ylabel)
    values = data.x if data.kind == "error" else data.y
    assert values[-1] == count(compiled[-1].graph).totals["fvcore"] / 1e9


@pytest.mark.parametrize(
    "args", [("cost", "--counters", "--by-kind", "resnet50"), ("compare", "resnet18", "resnet50", "--counter", "thop")]
)
def test_counters_import_no_framework(args):
    loaded = loaded_after(*args)
    assert not loaded & set(FRAMEWORKS)
