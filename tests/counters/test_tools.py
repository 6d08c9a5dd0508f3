"""archc's counter figures equal what the real tools print on the generated PyTorch model, exactly.

Every built-in spec, at two input sizes (ImageNet specs 224 and 193, CIFAR specs 32 and 33: odd sizes leave
partial windows at every stride-2 layer), plus small specs under ``tests/data/counters`` that hold the op kinds
and code forms no built-in has (squeeze-and-excitation, ResNet-D average pools, padded max pools on negative
inputs, adaptive pools with overlapping windows, max-pool heads). The default run checks the built-ins that
cover each block kind and code form; the rest (same forms, bigger) are marked slow and run with
``ARCHC_SLOW_COUNTERS=1`` (they pass: about 3 minutes on 2 cores).
"""

from __future__ import annotations

import os

import pytest

from archc.counters.rules import CHANGED, TOOLS
from archc.spec.loader import builtin_names
from tests.conftest import HUGE, REPO
from tests.counters.harness import compare, explain, installed

pytest.importorskip("fvcore")
pytest.importorskip("ptflops")
pytest.importorskip("thop")

SLOW = os.environ.get("ARCHC_SLOW_COUNTERS") == "1"
# One built-in per block kind / unit / shortcut / code form the generated code has.
DEFAULT = {
    "resnet18",  # basic blocks, option B
    "resnet34_a",  # option A at ImageNet scale: subsample + channel padding
    "torchvision/resnet50",  # the README's row; bottleneck, stride on the 3x3
    "keras/resnet50v2",  # pre-activation, biased convs, F.pad before the stem max pool, stride on the last block
    "torchvision/resnext50_32x4d",  # grouped convs
    "torchvision/vgg11",  # no BN, sequential layout, dropout, AdaptiveAvgPool2d(7) (overlapping at 193)
    "cifar/resnet20",
    "cifar/plain20",
    "cifar/preact_resnet164",  # pre-activation bottlenecks
    "cifar/resnet110_bn_after_addition",
    "cifar/resnet110_relu_before_addition",
    "cifar/resnet110_relu_only_preactivation",
    "cifar/resnet110_full_preactivation",
}
DATA = sorted((REPO / "tests" / "data" / "counters").glob("tiny_*.yaml"))


def _sizes(ref: str) -> tuple[int, int]:
    return (32, 33) if ref.startswith("cifar/") else (224, 193)


def _cases():
    for ref in [n for n in builtin_names() if n not in HUGE]:
        marks = [] if ref in DEFAULT else [pytest.mark.slow]
        for size in _sizes(ref):
            yield pytest.param(ref, size, id=f"{ref}-{size}", marks=marks)
    for path in DATA:
        for size in (40, 43):
            yield pytest.param(str(path), size, id=f"{path.stem}-{size}")


def test_installed_tools_are_the_versions_the_rules_were_read_from():
    """The pinned versions (pyproject's test extra), or a version whose rules are kept (``CHANGED``)."""
    have = installed()
    for tool in ("torch", "fvcore", "ptflops", "thop"):
        known = [TOOLS[tool].version, *CHANGED.get(tool, {})]
        assert have[tool] in known, f"{tool}: installed {have[tool]}, rules of {', '.join(known)}"


@pytest.mark.parametrize("ref, size", list(_cases()))
def test_counters_equal_the_tools(ref, size):
    if ref not in DEFAULT and not ref.endswith(".yaml") and not SLOW:
        pytest.skip("a bigger model of forms the default set covers: set ARCHC_SLOW_COUNTERS=1")
    got, want, by_kind = compare(ref, (size, size))
    assert got == want, explain(ref, (size, size), got, want, by_kind)
    assert want["torch"] == 2 * compare_macs(by_kind)  # FlopCounterMode / 2 is archc's MACs


def compare_macs(by_kind: dict) -> int:
    return sum(by_kind["macs"].values())
