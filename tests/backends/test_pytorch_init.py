"""Generated PyTorch models initialise their weights as the spec's ``init`` says, checked on the
statistics of the built model's tensors:

- ``reference`` (default): torchvision's ResNet init — convs ``kaiming_normal_(mode="fan_out",
  nonlinearity="relu")`` (std √(2 / fan_out), He et al. 2015), BN weight 1 and bias 0, Linear left at
  PyTorch's default; VGG as torchvision's VGG (Linear N(0, 0.01), zero biases).
- ``framework``: PyTorch's own layer defaults (kaiming_uniform with a = √5: |w| ≤ 1 / √fan_in).
- ``he_normal``: He normal (fan_out) on every conv and zero conv biases in both frameworks.
``zero_init_last_bn`` still zeroes each block's last BN gamma after the init.
"""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from tests.backends.torch_models import generate

BASE = """\
archc: 1
name: {name}
input: {{channels: 3, size: 32}}
stem: [{{op: conv, kernel: 3, width: 64}}]
block: bottleneck
zero_init_last_bn: {zero}
defaults: {{conv_bias: {bias}}}
{init}stages:
  - {{name: s1, width: 64, blocks: 2}}
  - {{name: s2, width: 128, blocks: 2, stride: 2}}
head: {{classes: 10}}
"""


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("init")
    cases = {
        "i_reference": ("", "false", "false"),
        "i_framework": ("init: framework\n", "false", "false"),
        "i_he_normal": ("init: he_normal\n", "true", "true"),
    }
    out = {}
    for name, (init, zero, bias) in cases.items():
        (folder / f"{name}.yaml").write_text(BASE.format(name=name, init=init, zero=zero, bias=bias), encoding="utf-8")
        out[name] = generate(str(folder / f"{name}.yaml"), folder).build()
    out["vgg11"] = generate("torchvision/vgg11", folder).build()
    out["resnet50"] = generate("torchvision/resnet50", folder).build()
    return out


def _convs(model: nn.Module, min_numel: int = 20_000) -> list[nn.Conv2d]:
    """Convs with enough weights for a tight estimate of the standard deviation."""
    return [m for m in model.modules() if isinstance(m, nn.Conv2d) and m.weight.numel() >= min_numel]


def _fan_out(conv: nn.Conv2d) -> int:
    return conv.out_channels * conv.kernel_size[0] * conv.kernel_size[1]


@pytest.mark.parametrize("name", ["resnet50", "i_reference", "i_he_normal"])
def test_conv_weights_are_he_normal_fan_out(models, name):
    convs = _convs(models[name])
    assert len(convs) >= 5
    for conv in convs:
        std = conv.weight.detach().std().item()
        assert std == pytest.approx(math.sqrt(2 / _fan_out(conv)), rel=0.05), conv
        assert conv.weight.detach().mean().abs().item() < 0.1 * std


@pytest.mark.parametrize("name", ["resnet50", "i_reference", "i_framework", "vgg11"])
def test_batchnorm_starts_as_identity(models, name):
    for m in models[name].modules():
        if isinstance(m, nn.BatchNorm2d):
            assert torch.all(m.weight == 1) and torch.all(m.bias == 0)


def test_resnet_leaves_linear_at_the_default(models):
    fc = models["resnet50"].fc
    bound = 1 / math.sqrt(fc.in_features)
    assert fc.weight.abs().max().item() <= bound
    assert fc.weight.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.05)


def test_vgg_initialises_like_torchvision_vgg(models):
    linears = [m for m in models["vgg11"].modules() if isinstance(m, nn.Linear)]
    for m in linears[:2]:  # 25088×4096 and 4096×4096: N(0, 0.01)
        assert m.weight.std().item() == pytest.approx(0.01, rel=0.02) and torch.all(m.bias == 0)
    convs = [m for m in models["vgg11"].modules() if isinstance(m, nn.Conv2d)]
    assert all(torch.all(c.bias == 0) for c in convs)


def test_framework_keeps_pytorch_defaults(models):
    for conv in _convs(models["i_framework"]):
        fan_in = conv.in_channels // conv.groups * conv.kernel_size[0] * conv.kernel_size[1]
        assert conv.weight.abs().max().item() <= 1 / math.sqrt(fan_in)
        assert conv.weight.std().item() == pytest.approx(1 / math.sqrt(3 * fan_in), rel=0.05)


def test_he_normal_zeroes_conv_biases_and_zero_init_still_applies(models):
    model = models["i_he_normal"]
    biased = [m for m in model.modules() if isinstance(m, nn.Conv2d) and m.bias is not None]
    assert biased and all(torch.all(m.bias == 0) for m in biased)
    blocks = [b for stage in (model.layer1, model.layer2) for b in stage]
    assert all(torch.all(b.bn3.weight == 0) for b in blocks)
    assert all(torch.all(b.bn1.weight == 1) for b in blocks)
