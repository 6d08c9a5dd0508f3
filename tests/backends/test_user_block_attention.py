"""A user block with both squeeze-and-excitation and ECA steps under timm's names: timm keeps a block's one
attention module as ``se``, so ECA takes its own ``eca`` there (both were ``self.se``: the ECA replaced the SE,
and the generated model had other params and MACs than the IR's)."""

from __future__ import annotations

import pytest

from tests.conftest import compile_text

pytest.importorskip("torch")

SPEC = """archc: 1
name: both_gates
input: {channels: 3, size: [32, 32]}
stem: [{op: conv, kernel: 3, width: 16}]
blocks:
  gated:
    lets: {out: planes}
    steps:
      - {kind: conv, kernel: 3, stride: true}
      - {kind: norm}
      - {kind: conv, kernel: 1, width: out}
      - {kind: se, hidden: "max(1, out // 4)"}
      - {kind: eca, kernel: 3}
      - {kind: add}
      - {kind: act}
block: gated
names: {pytorch: %s}
stages:
  - {name: layer1, width: 16, blocks: 1}
  - {name: layer2, width: 32, blocks: 2, stride: 2}
head: {classes: 10}
"""


@pytest.mark.parametrize("profile", ["timm", "torchvision"])
def test_se_and_eca_in_one_block_are_two_modules(tmp_path, profile):
    from archc.frameworks.verify import check_pytorch

    c = compile_text(tmp_path, SPEC % profile)
    names = {d["role"]: d["names"][profile] for _, d in c.graph.nodes(data=True) if d.get("block") == "s1.b0"}
    assert names["se_reduce"] == "layer2.0.se.fc1" and names["eca_conv"] == "layer2.0.eca.conv"
    checks = check_pytorch(c)
    assert checks and all(ch.ok for ch in checks), [ch for ch in checks if not ch.ok]
