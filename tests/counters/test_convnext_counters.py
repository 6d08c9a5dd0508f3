"""The counter rules of LayerNorm, GELU, layer scale and drop path against the tools themselves, run on timm's
own ConvNeXt (convnext_atto: LayerNorm2d, timm.layers.GELU, x.mul(gamma), DropPath) at a small input.

ptflops' pytorch backend counts code forms (it skips timm's LayerNorm2d, a subclass of nn.LayerNorm, counts
timm's x.mul(gamma) and counts timm's GELU once, by its F.gelu patch, where it counts an nn.GELU twice): archc's
rules for a timm-named spec assume timm's forms (code form ``timm-code``, stated under --counters)."""

from __future__ import annotations

import torch

from archc.counters.count import count
from archc.pipeline import compile_spec
from tests.counters import tools
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
