"""Option B projects whenever the shape changes (torchvision's rule, issue 3); `strided_identity: subsample`
keeps a strided identity instead (keras.applications ResNetV2)."""

from __future__ import annotations

import pytest

from archc.pipeline import compile_spec
from archc.reports.summary import summary

torch = pytest.importorskip("torch")
from tests.libs import torchvision_models  # noqa: E402

SPEC = """archc: 1
name: strided_b
input: {channels: 3, size: 32}
stem:
  - {op: conv, kernel: 3, width: 16}
block: basic
EXTRA
stages:
  - {name: a, width: 16, blocks: 1, stride: 2}
head: {classes: 10}
"""


def _torchvision_block():
    """torchvision's own BasicBlock of 16 → 16 channels at stride 2, with the shortcut its ResNet gives it."""
    models = torchvision_models()
    net = models.ResNet(models.resnet.BasicBlock, [1, 1, 1, 1])
    net.inplanes = 16
    return net._make_layer(models.resnet.BasicBlock, 16, 1, stride=2)[0]


def _compile(tmp_path, extra: str):
    path = tmp_path / "b.yaml"
    path.write_text(SPEC.replace("EXTRA", extra))
    return compile_spec(str(path), verify_each=True)


def test_b_projects_a_strided_block_with_equal_channels(tmp_path):
    c = _compile(tmp_path, "shortcut: B")
    ops = {d["role"] for _, d in c.graph.nodes(data=True)}
    assert {"down_conv", "down_bn"} <= ops
    block = _torchvision_block()
    assert block.downsample is not None
    assert summary(c)["stages"][0]["params"] == sum(p.numel() for p in block.parameters())


def test_strided_identity_subsample_keeps_the_identity(tmp_path):
    c = _compile(tmp_path, "shortcut: B\nstrided_identity: subsample")
    roles = [d["role"] for _, d in c.graph.nodes(data=True)]
    assert "down_conv" not in roles and "subsample" in roles
    block = _torchvision_block()
    projection = sum(p.numel() for p in block.downsample.parameters())
    assert summary(c)["stages"][0]["params"] == sum(p.numel() for p in block.parameters()) - projection
