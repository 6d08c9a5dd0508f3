"""A user block under ``strided_identity: subsample``: where a block strides and keeps its width, the shortcut is
the subsampled identity (``x[:, :, ::s, ::s]``), not a projection. The plan, the recipe the backends print from
and the generated PyTorch model must agree: the model runs and has the IR's params, buffers, MACs and stage
shapes (a recipe that kept the default ``projection`` printed a block with neither a projection nor a
subsample, which failed at its addition)."""

from __future__ import annotations

from pathlib import Path

from archc.codegen import emit
from archc.frameworks.verify import check_pytorch
from tests.conftest import compile_text

SPEC = """archc: 1
name: subsampled_user_block
input: {channels: 3, size: [32, 32]}
stem:
  - {op: conv, kernel: 3, width: 16, stride: 1}
strided_identity: subsample
blocks:
  plainres:
    steps:
      - {kind: conv, kernel: 3, width: out, stride: true}
      - {kind: norm}
      - {kind: act}
      - {kind: conv, kernel: 3, width: out}
      - {kind: norm}
      - {kind: add}
      - {kind: act}
block: plainres
stages:
  - {name: stage1, width: 16, blocks: 1}
  - {name: stage2, width: 16, blocks: 1, stride: 2}
  - {name: stage3, width: 32, blocks: 1, stride: 2}
head: {classes: 10}
"""


def _compiled(tmp_path: Path):
    return compile_text(tmp_path, SPEC, "subsampled")


def test_recipe_and_plan_agree_on_the_strided_identity(tmp_path):
    c = _compiled(tmp_path)
    model = c.graph.graph["blocks"]
    for d in model.definitions:
        assert d.custom.shortcut.strided_identity == d.strided_identity == "subsample"
    by_id = {b.id: b for b in model.blocks}
    assert not by_id["s1.b0"].projects and by_id["s2.b0"].projects  # 16 → 16 subsamples; 16 → 32 projects
    assert any(c.graph.nodes[n]["op"] == "subsample" for n in by_id["s1.b0"].nodes)


def test_generated_pytorch_model_runs_with_the_irs_figures(tmp_path):
    c = _compiled(tmp_path)
    assert "identity = x[:, :, :: self.stride, :: self.stride]" in emit(c, "pytorch")
    failed = [ch for ch in check_pytorch(c) if not ch.ok]
    assert not failed, failed
