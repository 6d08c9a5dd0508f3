"""ConvNeXt in the PyTorch backend (``family: convnext``, the block a ``blocks:`` recipe) against timm's own
ConvNeXt: timm's state dict loads with strict=True, the same seed gives timm's initial weights, and with the
same weights the outputs are equal. convnext_atto is timm's conv_mlp form (1x1 convs, LayerNorm2d),
convnext_tiny its channels-last form (nn.Linear, nn.LayerNorm between permutes)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from archc.codegen import emit
from archc.pipeline import compile_spec
from tests.backends.torch_models import import_text
from tests.libs import timm, torchvision_models

EXAMPLES = Path(__file__).resolve().parents[2] / "specs" / "timm"
FAMILY = ["atto", "femto", "pico", "nano", "tiny", "small", "base", "large", "xlarge"]


def _pair(n: str, tmp_path: Path, library: str = "timm", seed: int = 0):
    text = emit(compile_spec(str(EXAMPLES.parent / library / f"convnext_{n}.yaml")), "pytorch")
    module = import_text(text, tmp_path, f"convnext_{n}_{library}")
    torch.manual_seed(seed)
    ours = module.build_model().eval()
    torch.manual_seed(seed)
    if library == "timm":
        theirs = timm().create_model(f"convnext_{n}").eval()
    else:
        theirs = getattr(torchvision_models(), f"convnext_{n}")().eval()
    return text, ours, theirs


def _check(n: str, tmp_path: Path, library: str = "timm") -> None:
    text, ours, theirs = _pair(n, tmp_path, library)
    mine, ref = ours.state_dict(), theirs.state_dict()
    assert list(mine) == list(ref)
    for key in ref:  # same seed, same initial weights
        assert torch.equal(mine[key], ref[key]), key
    ours.load_state_dict(ref, strict=True)
    with torch.no_grad():
        for p in theirs.parameters():  # weights that are not their initial values, so gamma and biases matter
            p.add_(torch.randn_like(p) * 0.02)
    ours.load_state_dict(theirs.state_dict(), strict=True)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), theirs(x))


@pytest.mark.parametrize("n", ["atto", "tiny"])
def test_convnext_equals_timm(n, tmp_path):
    _check(n, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("n", [n for n in FAMILY if n not in ("atto", "tiny")])
def test_convnext_family_equals_timm(n, tmp_path):
    _check(n, tmp_path)


def test_convnext_tiny_equals_torchvision(tmp_path):
    _check("tiny", tmp_path, "torchvision")


@pytest.mark.slow
@pytest.mark.parametrize("n", ["small", "base", "large"])
def test_convnext_family_equals_torchvision(n, tmp_path):
    _check(n, tmp_path, "torchvision")


@pytest.mark.parametrize("library", ["timm", "torchvision"])
def test_generated_convnext_is_ruff_clean_and_stable(tmp_path, library):
    spec = str(EXAMPLES.parent / library / "convnext_tiny.yaml")
    text = emit(compile_spec(spec), "pytorch")
    assert text == emit(compile_spec(spec), "pytorch")
    path = tmp_path / "convnext_tiny.py"
    path.write_text(text, encoding="utf-8")
    for args in (["check", "--isolated", "--line-length", "120"], ["format", "--check", "--line-length", "120"]):
        done = subprocess.run([sys.executable, "-m", "ruff", *args, str(path)], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
    classes = {"timm": ["LayerNorm2d", "LayerNorm", "GELU", "ConvnextBlock", "ConvNeXtStage", "ConvNeXt"],
               "torchvision": ["LayerNorm2d", "Permute", "StochasticDepth", "ConvnextBlock", "ConvNeXt"]}[library]  # fmt: skip
    assert re.findall(r"^class (\w+)\(", text, re.M) == classes
