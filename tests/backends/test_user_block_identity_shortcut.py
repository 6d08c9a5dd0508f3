"""A user block's ``shortcut: identity``: the identity where the block keeps its shape, else no shortcut and no
addition. Written as MobileNetV2's inverted residual (expansion 6, ReLU6), each block of the generated model
equals torchvision's own ``InvertedResidual(inp, oup, stride, expand_ratio=6)`` — its ``use_res_connect``, its
parameters under one seed, its output — and the IR adds a shortcut exactly where torchvision's does."""

from __future__ import annotations

from pathlib import Path

import torch

from archc.codegen import emit
from archc.frameworks.verify import check_pytorch
from archc.reports.summary import summary
from archc.sweep.fastcost import fast_totals
from tests.backends.torch_models import import_text
from tests.conftest import compile_text
from tests.libs import torchvision_models

SPEC = """archc: 1
name: inverted_residuals
description: MobileNetV2's inverted residual (expansion 6) as a user block in the ResNet skeleton
input: {channels: 3, size: [32, 32]}
stem:
  - {op: conv, kernel: 3, width: 16, stride: 2}
blocks:
  inverted:
    lets: {out: planes, hidden: 6 * in}
    steps:
      - {kind: conv, width: hidden}
      - {kind: norm}
      - {kind: act, fn: relu6}
      - {kind: conv, kernel: 3, depthwise: true, stride: true}
      - {kind: norm}
      - {kind: act, fn: relu6}
      - {kind: conv, width: out}
      - {kind: norm}
    shortcut: identity
block: inverted
stages:
  - {name: stage1, width: 24, blocks: 2, stride: 2}
  - {name: stage2, width: 32, blocks: 3, stride: 2}
"""


def _compiled(tmp_path: Path):
    return compile_text(tmp_path, SPEC, "inverted")


def test_each_block_is_torchvisions_inverted_residual(tmp_path):
    c = _compiled(tmp_path)
    g, blocks = c.graph, c.graph.graph["blocks"].blocks
    adds = {b.id for b in blocks if any(g.nodes[n]["op"] == "add" for n in b.nodes)}
    assert adds == {"s0.b1", "s1.b1", "s1.b2"}  # stride 1 and 24 → 24 / 32 → 32 only
    module = import_text(emit(c, "pytorch"), tmp_path, "inverted_residuals")
    reference = torchvision_models().mobilenetv2.InvertedResidual
    for b in blocks:
        torch.manual_seed(0)
        ours = module.InvertedBlock(b.in_channels, b.planes, b.stride)
        torch.manual_seed(0)
        theirs = reference(b.in_channels, b.planes, b.stride, expand_ratio=6)
        assert ours.use_res_connect == theirs.use_res_connect == (b.id in adds)
        mine, ref = list(ours.state_dict().values()), list(theirs.state_dict().values())
        assert len(mine) == len(ref) and all(torch.equal(m, r) for m, r in zip(mine, ref, strict=True)), b.id
        block_params = sum(g.nodes[n]["params"] for n in b.nodes)
        assert block_params == sum(p.numel() for p in theirs.parameters()), b.id
        x = torch.randn(2, b.in_channels, 8, 8)
        with torch.no_grad():
            for p in theirs.parameters():
                p.add_(torch.randn_like(p) * 0.1)
            ours.load_state_dict(dict(zip(ours.state_dict(), theirs.state_dict().values(), strict=True)))
            torch.testing.assert_close(ours.eval()(x), theirs.eval()(x), rtol=0, atol=0)


def test_the_generated_model_has_the_irs_figures(tmp_path):
    c = _compiled(tmp_path)
    checks = check_pytorch(c)
    assert checks and all(ch.ok for ch in checks), [ch for ch in checks if not ch.ok]
    fast, _ = fast_totals(c.loaded)  # the sweep's per-block memo: a block without the addition is another plan
    s = summary(c)
    assert (fast.params, fast.macs, fast.depth) == (s["params"], s["macs"], s["depth"])


def test_a_convnext_block_that_loses_its_shortcut_is_refused(tmp_path):
    """The ConvNeXt printers write every block's ``x + shortcut``: a block ``shortcut: identity`` drops (its
    stage changes the width without a downsampling layer) is a located E403 in both backends."""
    from tests.conftest import run_cli

    path = tmp_path / "cx.yaml"  # timm's convnext_atto block, with shortcut: identity
    path.write_text(
        "archc: 1\nextends: timm/convnext_atto\nname: cx_identity\nblocks:\n  convnext:\n"
        "    lets: {out: planes, hidden: 4 * planes}\n    steps:\n"
        "      - {kind: conv, role: conv_dw, kernel: 7, depthwise: true, bias: true}\n"
        "      - {kind: norm, role: norm}\n      - {kind: conv, role: fc1, width: hidden, bias: true}\n"
        "      - {kind: act, role: act}\n      - {kind: conv, role: fc2, width: out, bias: true}\n"
        "      - {kind: layer_scale, role: gamma}\n      - {kind: add}\n    shortcut: identity\n"
        "stages:\n  - {name: stage1, width: 40, blocks: 2}\n  - {name: stage2, width: 80, blocks: 2, downsample: false}\n",
        encoding="utf-8",
    )
    for backend in ("pytorch", "keras"):
        code, _, err = run_cli("build", str(path), "--backend", backend, "--out", str(tmp_path / "out"))
        assert code == 2 and f"cx.yaml:6:5: error[E403]: {backend}: a ConvNeXt block without its shortcut" in err
