"""CLI snapshots of `archc check/cost/list`: stdout, stderr and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import assert_snapshot, run_cli

SNAP = Path(__file__).parent / "snapshots"

CASES = {
    "cost_resnet50": ["cost", "resnet50"],
    "cost_torchvision_resnet50_160x200": ["cost", "torchvision/resnet50", "--input-size", "160x200"],
    "cost_two_specs": ["cost", "resnet18", "resnet34"],
    "cost_per_layer_resnet18": ["cost", "resnet18", "--per-layer"],
    "check_ok": ["check", "resnet18", "torchvision/resnet152"],
    "unknown_spec": ["cost", "resnet51"],
    "bad_input_size": ["cost", "resnet18", "--input-size", "0x7"],
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_cli_snapshot(case):
    code, out, err = run_cli(*CASES[case])
    assert_snapshot(SNAP / f"{case}.txt", f"exit: {code}\n--- stdout\n{out}--- stderr\n{err}")


def test_json_contract_resnet50():
    code, out, err = run_cli("cost", "--json", "resnet50")
    assert code == 0 and err == ""
    doc = json.loads(out)
    for key in ["name", "spec", "input_shape", "output_shape", "params", "buffers", "macs", "flops", "depth",
                "activations", "stages"]:  # fmt: skip
        assert key in doc
    assert doc["params"] == 25557032 and doc["macs"] == 3857973248 and doc["flops"] == 2 * 3857973248
    assert doc["spec"] == "specs/resnet50.yaml" and doc["input_shape"] == [3, 224, 224]
    assert [set(s) for s in doc["stages"]] == [{"name", "output_shape", "params", "macs", "blocks"}] * 4
    assert doc["buffers"] == sum(2 * c for c in _bn_channels("resnet50"))


def _bn_channels(spec: str) -> list[int]:
    from archc.pipeline import compile_spec

    g = compile_spec(spec).graph
    return [d["attrs"]["channels"] for _, d in g.nodes(data=True) if d["op"] == "batchnorm"]


def test_json_several_specs_is_a_list():
    code, out, _ = run_cli("cost", "--json", "resnet18", "torchvision/resnet50")
    docs = json.loads(out)
    assert code == 0 and [d["name"] for d in docs] == ["resnet18", "resnet50"]
    assert docs[1]["macs"] == 4089184256


def test_invalid_among_several_reports_all(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("archc: 1\nname: x\nblock: basic\nstages:\n  - {name: a, width: 8, blocks: 1, strid: 2}\n")
    code, out, err = run_cli("cost", "resnet18", str(bad), "resnet99")
    assert code == 2 and out == ""
    assert "bad.yaml:5:36: error[E200]: unknown key 'strid'" in err
    assert "help: did you mean 'stride'?" in err
    assert "resnet99:1:1: error[E302]" in err
    assert err.rstrip().endswith("Found 2 errors.")


def test_list_names_every_builtin():
    code, out, _ = run_cli("list")
    from archc.spec.loader import builtin_names

    assert code == 0
    listed = [line.split()[0] for line in out.splitlines()[1:]]
    assert listed == builtin_names()
