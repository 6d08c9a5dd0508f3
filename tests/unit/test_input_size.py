"""Input sizes other than 224 (square and not): IR shapes and MACs equal a real forward pass, measured with
FlopCounterMode, of torchvision's own ResNet (torchvision specs) or of the paper's v1, which no library ships
(an independent hand-written model, tests/reference_resnet.py)."""

from __future__ import annotations

import pytest

from archc.pipeline import compile_spec
from archc.reports.summary import summary

torch = pytest.importorskip("torch")
from tests.libs import torchvision_models  # noqa: E402
from tests.reference_resnet import ResNet, measure  # noqa: E402

CASES = [
    ("torchvision/resnet18", 18, "torchvision", (160, 160)),
    ("torchvision/resnet50", 50, "torchvision", (160, 200)),
    ("resnet50", 50, "paper", (225, 225)),
    ("resnet34", 34, "paper", (97, 131)),
]


@pytest.mark.parametrize("spec, depth, source, size", CASES)
def test_ir_matches_real_forward(spec, depth, source, size):
    torch.manual_seed(0)
    model = getattr(torchvision_models(), f"resnet{depth}")() if source == "torchvision" else ResNet(depth)
    real = measure(model, *size)
    s = summary(compile_spec(spec, input_size=size, verify_each=True))
    assert s["input_shape"] == [3, *size]
    assert s["macs"] == real["macs"]
    assert s["params"] == real["params"]
    assert [st["output_shape"] for st in s["stages"]] == real["stages"]
    assert s["output_shape"] == real["output"]


def test_stride_placement_matters_only_for_macs():
    paper, tv = (summary(compile_spec(n)) for n in ("resnet50", "torchvision/resnet50"))
    assert paper["params"] == tv["params"]
    assert tv["macs"] - paper["macs"] == 4_089_184_256 - 3_857_973_248
