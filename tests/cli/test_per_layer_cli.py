"""``archc cost --per-layer [--depth N] [--profile P]`` (issue 13, item 12): a torchinfo-like tree, stage →
block → op with kernel / stride and shares of params and MACs, named in either profile. Figures are checked
against the torchvision and keras.applications reference dumps and against ``cost --json``."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from tests.conftest import REFERENCE, assert_snapshot, run_cli

SNAP = Path(__file__).parent / "snapshots"


def tree(spec, profile="torchvision", depth=3):
    from archc.pipeline import compile_spec
    from archc.reports.layers import tree as build

    return build(compile_spec(spec), profile, depth)


def test_snapshot_keras_names_to_depth_2():
    code, out, err = run_cli("cost", "resnet50", "--depth", "2", "--profile", "keras")
    assert (code, err) == (0, "")
    assert_snapshot(SNAP / "cost_per_layer_resnet50_keras_depth2.txt", out)
    assert "  block 0 (conv3_block1)  [1×1, 128; 3×3, 128; 1×1, 512] /2 + projection" in out


def test_groups_sum_their_members_and_stages_match_cost_json():
    rows = tree("torchvision/resnet50")
    for i, row in enumerate(rows):
        children = []
        for r in rows[i + 1 :]:
            if r.depth <= row.depth:
                break
            if r.depth == row.depth + 1:
                children.append(r)
        if children:
            assert row.params == sum(c.params for c in children) and row.macs == sum(c.macs for c in children)
            assert row.shape == children[-1].shape
    stages = json.loads(run_cli("cost", "--json", "torchvision/resnet50")[1])["stages"]
    ours = [(r.params, r.macs, r.shape) for r in rows if r.depth == 1 and r.label.startswith("conv")]
    assert ours == [(s["params"], s["macs"], s["output_shape"]) for s in stages]


def test_torchvision_names_and_params_match_torchvision():
    state = json.loads((REFERENCE / "torchvision_resnet50_state_dict.json").read_text())["state_dict"]
    rows = [r for r in tree("torchvision/resnet50") if r.depth >= 2 and r.op and r.params and not r.op.startswith("[")]
    assert len(rows) == 53 + 53 + 1  # convs (incl. 4 projections), their BNs, fc
    for r in rows:
        trainable = [k for k in state if k.rsplit(".", 1)[0] == r.label and k.rsplit(".", 1)[1] in ("weight", "bias")]
        assert trainable and r.params == sum(math.prod(state[k]) for k in trainable), r.label


def test_keras_names_and_params_match_keras_applications():
    layers = json.loads((REFERENCE / "keras_resnet50_layers.json").read_text())["layers"]
    trainable = {
        layer["name"]: sum(math.prod(s) for w, s in layer["weights"] if not w.startswith("moving_"))
        for layer in layers
        if layer["weights"]
    }
    ops = [r for r in tree("keras/resnet50", "keras") if r.depth >= 2 and r.op and not r.op.startswith("[")]
    rows = {r.label: r.params for r in ops if r.params}
    assert rows == trainable


def test_depth_1_is_the_stage_table_with_shares():
    code, out, _ = run_cli("cost", "resnet18", "--depth", "1")
    lines = out.splitlines()
    assert code == 0 and lines[1].startswith("layer (torchvision)")
    names = [line.split()[0] for line in lines[2:-2]]
    assert names == ["x", "stem", "conv2", "conv3", "conv4", "conv5", "head"]
    shares = [float(line.split()[-3].rstrip("%")) for line in lines[3:-2]]  # % params: stem, stages, head
    assert abs(sum(shares) - 100) < 0.5


@pytest.mark.parametrize("bad", ["0", "4", "two"])
def test_bad_depth_is_a_usage_error(bad):
    code, out, err = run_cli("cost", "resnet18", "--depth", bad)
    assert code == 2 and out == "" and "--depth" in err


def test_json_layers_follow_the_profile():
    doc = json.loads(run_cli("cost", "--json", "--per-layer", "--profile", "keras", "resnet18")[1])
    assert doc["layers"][1]["name"] == "conv1_conv"
