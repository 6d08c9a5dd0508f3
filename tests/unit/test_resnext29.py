"""CIFAR ResNeXt-29 8×64d and 16×64d (built-ins): parameters as the paper prints them (Table 7, to 0.1M),
exactly those of an independent hand-written torch model (tests/reference_resnext.py), and the generated
PyTorch model builds and runs a forward pass whose FLOPs equal archc's count."""

from __future__ import annotations

import pytest

from archc.pipeline import compile_spec
from archc.reports.summary import summary
from tests.conftest import REFERENCE, markdown_rows

TABLE7 = (REFERENCE / "paper_tables.md").read_text(encoding="utf-8").split("## ResNeXt paper, Table 7")[1]
PUBLISHED = {row[0]: row[1:] for row in markdown_rows(TABLE7, "model")}
MODELS = [("cifar/resnext29_8x64d", "ResNeXt-29, 8×64d", 8), ("cifar/resnext29_16x64d", "ResNeXt-29, 16×64d", 16)]


@pytest.mark.parametrize("name,row,cardinality", MODELS)
def test_params_as_published(name, row, cardinality):
    """The paper prints 0.1M steps, truncated: 34,426,698 → 34.4M, 68,155,210 → 68.1M."""
    params = summary(compile_spec(name, verify_each=True))["params"]
    assert params // 100_000 / 10 == float(PUBLISHED[row][0].removesuffix("M"))
    assert compile_spec(name).spec.metadata.cifar10_error == float(PUBLISHED[row][1])


@pytest.mark.parametrize("name,row,cardinality", MODELS)
def test_params_equal_a_hand_written_model(name, row, cardinality):
    torch = pytest.importorskip("torch")
    from tests.reference_resnext import ResNeXt29

    reference = ResNeXt29(cardinality)
    assert sum(p.numel() for p in reference.parameters()) == summary(compile_spec(name))["params"]
    assert reference(torch.randn(1, 3, 32, 32)).shape == (1, 10)


@pytest.mark.parametrize("name,row,cardinality", MODELS)
def test_generated_pytorch_builds_and_runs(name, row, cardinality, tmp_path):
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode

    from tests.backends.torch_models import generate

    gen = generate(name, tmp_path)
    assert "expansion: int = 4" in gen.text and "self.groups = " + str(cardinality) in gen.text
    assert "self.base_width = 64" in gen.text and "class ResNeXt(nn.Module):" in gen.text
    model = gen.build().eval()
    s = gen.summary
    assert sum(p.numel() for p in model.parameters()) == s["params"]
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        assert model(torch.randn(1, 3, 32, 32)).shape == (1, 10)
    assert counter.get_total_flops() == 2 * s["macs"]
