"""The counter rules of LayerNorm, GELU, layer scale and drop path against the tools themselves, run on timm's
own ConvNeXt (convnext_atto: LayerNorm2d, timm.layers.GELU, x.mul(gamma), DropPath) at a small input.

ptflops' pytorch backend counts code forms (it skips timm's LayerNorm2d, a subclass of nn.LayerNorm, counts
timm's x.mul(gamma) and counts timm's GELU once, by its F.gelu patch, where it counts an nn.GELU twice): archc's
rules for a timm-named spec assume timm's forms (code form ``timm-code``, stated under --counters)."""

from __future__ import annotations

import os

import torch

from archc.codegen import emit
from archc.counters.count import count
from archc.pipeline import compile_spec
from tests.conftest import REPO
from tests.counters import tools
from tests.counters.harness import compare, explain
from tests.libs import timm

SPEC = "timm/convnext_atto"


def test_convnext_counters_equal_the_tools_on_timms_model():
    g = compile_spec(SPEC, input_size=(64, 64)).graph
    figures = count(g, ["torch", "fvcore", "ptflops", "ptflops_aten", "thop"]).totals
    torch.manual_seed(0)
    model = timm().create_model("convnext_atto").eval()
    x = torch.randn(1, 3, 64, 64)
    measured = {
        "torch": tools.torch_flops(model, x),
        "fvcore": tools.fvcore_flops(model, x),
        "ptflops": tools.ptflops_macs(model, x, "pytorch"),
        "ptflops_aten": tools.ptflops_macs(model, x, "aten"),
        "thop": tools.thop_macs(model, x),
    }
    assert figures == measured


def test_a_timm_named_user_block_counts_as_timms_gelu(tmp_path):
    """A user block in the ResNet skeleton, named as timm names (roadmap step 09 with ``names: {pytorch: timm}``):
    its GELU is printed as timm's ``GELU`` class and every tool, ptflops included, prints archc's figure."""
    step = REPO / "specs" / "convnext" / "roadmap" / "09_fewer_activations.yaml"
    spec = tmp_path / "timm_09.yaml"
    spec.write_text(
        f"archc: 1\nextends: {os.path.relpath(step, tmp_path)}\nname: timm_09\nnames: {{pytorch: timm}}\n",
        encoding="utf-8",
    )
    text = emit(compile_spec(str(spec)), "pytorch")
    assert "class GELU(nn.Module):" in text and "= GELU()" in text and "nn.GELU()" not in text
    got, want, by_kind = compare(str(spec), (64, 64))
    assert got == want, explain("timm_09", (64, 64), got, want, by_kind)
    assert by_kind["ptflops"]["timm_gelu"] > 0 and "gelu" not in by_kind["ptflops"]
