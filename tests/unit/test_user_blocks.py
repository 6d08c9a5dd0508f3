"""User-defined blocks (``blocks:``): ConvNeXt written as a recipe in YAML equals timm's ConvNeXt (params and
MACs, measured by FlopCounterMode on the meta device); a bad recipe is a located error with a did-you-mean."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from archc.ir.verify import verify
from archc.pipeline import compile_spec
from archc.reports.summary import summary
from archc.spec.loader import load_spec
from archc.sweep.fastcost import fast_totals
from tests.conftest import run_cli

EXAMPLES = Path(__file__).resolve().parents[2] / "specs"
FAMILY = ["atto", "femto", "pico", "nano", "tiny", "small", "base", "large", "xlarge"]


def _timm_figures(name: str) -> tuple[int, int]:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from tests.libs import timm

    with torch.device("meta"):
        model = timm().create_model(name)
    params = sum(p.numel() for p in model.parameters())
    with FlopCounterMode(display=False) as counter:
        model(torch.empty(1, 3, 224, 224, device="meta"))
    return params, counter.get_total_flops() // 2


def _check_against_timm(n: str) -> None:
    c = compile_spec(str(EXAMPLES / "timm" / f"convnext_{n}.yaml"), verify_each=True)
    s = summary(c)
    assert (s["params"], s["macs"]) == _timm_figures(f"convnext_{n}")
    totals, _ = fast_totals(load_spec(str(EXAMPLES / "timm" / f"convnext_{n}.yaml")))
    assert (totals.params, totals.macs) == (s["params"], s["macs"])  # the sweep's fast path agrees


def test_convnext_tiny_equals_timm():
    _check_against_timm("tiny")


@pytest.mark.slow
@pytest.mark.parametrize("n", [n for n in FAMILY if n != "tiny"])
def test_convnext_family_equals_timm(n):
    _check_against_timm(n)


def test_convnext_ops_carry_no_macs_beyond_convs_and_linears():
    g = compile_spec(str(EXAMPLES / "timm" / "convnext_atto.yaml")).graph
    verify(g)
    kinds = {d["op"] for _, d in g.nodes(data=True) if d["macs"]}
    assert kinds == {"conv", "linear"}
    by_op = {d["op"]: d for _, d in g.nodes(data=True)}
    assert by_op["layer_scale"]["params"] == by_op["layer_scale"]["attrs"]["channels"]
    assert by_op["layernorm"]["params"] == 2 * by_op["layernorm"]["attrs"]["channels"]
    assert by_op["drop_path"]["params"] == by_op["gelu"]["params"] == 0


BASE = {
    "archc": 1,
    "name": "mine",
    "blocks": {
        "mine": {
            "lets": {"out": "planes", "hidden": "4 * planes"},
            "steps": [
                {"kind": "conv", "kernel": 3, "depthwise": True, "stride": True},
                {"kind": "norm"},
                {"kind": "conv", "width": "hidden"},
                {"kind": "act", "fn": "relu6"},
                {"kind": "conv", "width": "out"},
            ],
        }
    },
    "block": "mine",
    "stem": [{"op": "conv", "kernel": 3, "stride": 2, "width": 16}],
    "stages": [{"name": "s1", "width": 16, "blocks": 2}, {"name": "s2", "width": 32, "blocks": 1, "stride": 2}],
}


def _check(tmp_path, data) -> tuple[int, str]:
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    code, _, err = run_cli("check", str(path))
    return code, err


def test_a_new_block_compiles_and_projects_where_shapes_change(tmp_path):
    code, err = _check(tmp_path, BASE)
    assert code == 0, err
    path = tmp_path / "mine.yaml"
    g = compile_spec(str(path), verify_each=True).graph
    roles = [g.nodes[n]["role"] for n in g.graph["blocks"].stages[1].blocks[0].nodes]
    assert roles == ["conv1", "norm1", "conv2", "act1", "conv3", "down_conv", "down_bn", "add"]
    assert g.nodes["s0.b0.act1"]["op"] == "relu6" and g.nodes["s0.b0.conv1"]["attrs"]["groups"] == 16


def test_a_width_the_out_width_does_not_read_is_not_computed_to_plan_it(tmp_path):
    """The plan reads a block's ``out`` with a placeholder input width of 0, so a let of the input (``hidden:
    eca_kernel_size(2 * in)``, a logarithm) is computed only with the block's real widths."""
    data = yaml.safe_load(yaml.safe_dump(BASE))
    data["blocks"]["mine"]["lets"]["k"] = "eca_kernel_size(2 * in)"
    code, err = _check(tmp_path, data)
    assert code == 0, err


def _edit(path: tuple, value) -> dict:
    data = yaml.safe_load(yaml.safe_dump(BASE))
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return data


@pytest.mark.parametrize(
    "path, value, message, help",
    [
        (("blocks", "mine", "lets", "hidden"), "4 * plane", "unknown name 'plane'", "did you mean 'planes'?"),
        (("blocks", "mine", "lets", "hidden"), "4 * (planes", "bad width expression", "write numbers"),
        (("blocks", "mine", "lets", "hidden"), "__import__('os')", "bad width expression", "write numbers"),
        (("block",), "mien", "invalid value 'mien' for 'block'", "did you mean 'mine'?"),
        (("blocks", "mine", "steps", 2, "kind"), "cnov", "invalid value 'cnov' for 'kind'", "did you mean 'conv'?"),
        (("blocks", "mine", "steps", 4, "width"), "hidden", "the main path ends with 64 channels", "'out'"),
        (("blocks", "mine", "steps", 2, "groups"), 3, "in 3 groups", "groups divide"),
        (("blocks", "mine", "steps", 0, "stride"), False, "no conv step takes the stride", "stride: true"),
        (("blocks", "mine", "lets", "hidden"), "planes // (in - in)", "'hidden: planes // (in - in)' has no value",
         "here planes = 16, in = 16"),
        (("blocks", "mine", "lets", "hidden"), "eca_kernel_size(in - in)", "(math domain error)",
         "write 'hidden' so that it has a value for every block"),
    ],
)  # fmt: skip
def test_mistakes_are_located(tmp_path, path, value, message, help):
    code, err = _check(tmp_path, _edit(path, value))
    assert code == 2, err
    assert err.startswith(str(tmp_path / "mine.yaml") + ":") and "Traceback" not in err
    assert message in err and help in err


@pytest.mark.parametrize("n", ["atto", "tiny"])
def test_convnext_layout_is_timms_state_dict(n):
    """family: convnext names every tensor as timm's ConvNeXt does, in its state_dict() order."""
    import torch

    from tests.libs import timm

    g = compile_spec(str(EXAMPLES / "timm" / f"convnext_{n}.yaml")).graph
    with torch.device("meta"):
        model = timm().create_model(f"convnext_{n}")
    theirs = [(k, tuple(v.shape)) for k, v in model.state_dict().items()]
    assert g.graph["model_layout"].state_dict(g) == theirs


@pytest.mark.parametrize("n", ["tiny", "base"])
def test_convnext_layout_is_torchvisions_state_dict(n):
    import torch

    from tests.libs import torchvision_models

    g = compile_spec(str(EXAMPLES / "torchvision" / f"convnext_{n}.yaml")).graph
    with torch.device("meta"):
        model = getattr(torchvision_models(), f"convnext_{n}")()
    theirs = [(k, tuple(v.shape)) for k, v in model.state_dict().items()]
    assert g.graph["model_layout"].state_dict(g) == theirs
