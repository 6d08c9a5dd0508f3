"""The counter rules of LayerNorm, GELU, layer scale and drop path against the tools themselves, run on timm's
own ConvNeXt (convnext_atto: LayerNorm2d, nn.GELU, x.mul(gamma), DropPath) at a small input.

ptflops' pytorch backend is left out: its figure depends on the code form (it skips timm's LayerNorm2d, a
subclass of nn.LayerNorm, and counts timm's x.mul(gamma)), which archc states under --counters instead."""

from __future__ import annotations

import torch

from archc.counters.count import count
from archc.pipeline import compile_spec
from tests.counters import tools
from tests.libs import timm

SPEC = "timm/convnext_atto"


def test_convnext_counters_equal_the_tools_on_timms_model():
    g = compile_spec(SPEC, input_size=(64, 64)).graph
    figures = count(g, ["torch", "fvcore", "ptflops_aten", "thop"]).totals
    torch.manual_seed(0)
    model = timm().create_model("convnext_atto").eval()
    x = torch.randn(1, 3, 64, 64)
    measured = {
        "torch": tools.torch_flops(model, x),
        "fvcore": tools.fvcore_flops(model, x),
        "ptflops_aten": tools.ptflops_macs(model, x, "aten"),
        "thop": tools.thop_macs(model, x),
    }
    assert figures == measured
