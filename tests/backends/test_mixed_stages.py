"""Stages may differ: a stage row sets any block knob of the top level (``block``, ``se``, ``unit``, …).

A model with basic blocks in its first stages and SE bottlenecks in its last (timm: ``block`` per stage,
``attn_layer='se'``) and one with SE on its last two stages only (torchvision's ResNet-18 layout) compile,
verify, and build in both backends; the PyTorch files hold one class per block kind, timm's / torchvision's
own models built from their library classes have the same state-dict keys and shapes, load strictly, give
the same outputs, and their params and FlopCounterMode MACs equal archc's; the Keras file computes the same
outputs after converting the weights.
"""

from __future__ import annotations

import pytest

from archc.pipeline import compile_spec
from archc.reports.summary import summary
from tests.libs import timm, torchvision_models

torch = pytest.importorskip("torch")
np = pytest.importorskip("numpy")

STEM = "stem: [{op: conv, kernel: 7, stride: 2, width: 64}, {op: maxpool, kernel: 3, stride: 2}]"
MIXED = f"""archc: 1
name: mixed
names: {{pytorch: timm}}
input: {{channels: 3, size: [64, 64]}}
{STEM}
block: basic
stride_at: 3x3
stages:
  - {{name: layer1, width: 64, blocks: 2}}
  - {{name: layer2, width: 128, blocks: 1, stride: 2}}
  - {{name: layer3, width: 64, blocks: 2, stride: 2, block: bottleneck, se: {{reduction: 16, divisor: 8}}}}
  - {{name: layer4, width: 128, blocks: 1, stride: 2, block: bottleneck, se: {{reduction: 16, divisor: 8}}}}
head: {{classes: 10}}
"""
SE_LATE = f"""archc: 1
name: se_late
input: {{channels: 3, size: [64, 64]}}
{STEM}
block: basic
stages:
  - {{name: layer1, width: 64, blocks: 2}}
  - {{name: layer2, width: 128, blocks: 2, stride: 2}}
  - {{name: layer3, width: 256, blocks: 2, stride: 2, se: {{reduction: 16}}}}
  - {{name: layer4, width: 512, blocks: 2, stride: 2, se: {{reduction: 16}}}}
head: {{classes: 10}}
"""


def _compile(tmp_path, text: str):
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    return compile_spec(str(path), verify_each=True)


def _timm_mixed():
    resnet = timm().models.resnet

    class SEBottleneck(resnet.Bottleneck):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs, attn_layer="se")

    blocks = (resnet.BasicBlock, resnet.BasicBlock, SEBottleneck, SEBottleneck)
    channels = (64, 128, 64, 128)
    return resnet.ResNet(block=blocks, layers=(2, 1, 2, 1), channels=channels, num_classes=10, zero_init_last=False)


def _torchvision_se_late():
    """torchvision's ResNet-18 with torchvision.ops.SqueezeExcitation(C, C // 16) before the addition of the
    blocks of its last two stages."""
    models = torchvision_models()
    from torchvision.models.resnet import BasicBlock
    from torchvision.ops import SqueezeExcitation

    class SEBasicBlock(BasicBlock):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.se = SqueezeExcitation(self.bn2.num_features, self.bn2.num_features // 16)

        def forward(self, x):
            identity = x if self.downsample is None else self.downsample(x)
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.se(self.bn2(self.conv2(out)))
            return self.relu(out + identity)

    model = models.resnet.ResNet(BasicBlock, [2, 2, 2, 2], num_classes=10)
    for name in ("layer3", "layer4"):
        layer = getattr(model, name)
        for i, block in enumerate(layer):
            se = SEBasicBlock(block.conv1.in_channels, block.conv2.out_channels, block.stride, block.downsample)
            layer[i] = se
    return model


def _same_network(c, reference, size: int = 64) -> None:
    from torch.utils.flop_counter import FlopCounterMode

    from archc.frameworks.generated import load_generated

    model = load_generated(c, "pytorch").build_model().eval()
    reference = reference.eval()
    assert {k: v.shape for k, v in model.state_dict().items()} == {
        k: v.shape for k, v in reference.state_dict().items()
    }
    with torch.no_grad():
        for p in reference.parameters():
            p.uniform_(-0.1, 0.1)
    model.load_state_dict(reference.state_dict(), strict=True)
    x = torch.randn(2, 3, size, size)
    with torch.no_grad():
        torch.testing.assert_close(model(x), reference(x))
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        reference(x[:1])
    s = summary(c)
    assert (sum(p.numel() for p in reference.parameters()), counter.get_total_flops() // 2) == (s["params"], s["macs"])
    return model


@pytest.mark.parametrize(("text", "reference"), [(MIXED, _timm_mixed), (SE_LATE, _torchvision_se_late)])
def test_mixed_stages_are_the_librarys_network(tmp_path, text, reference):
    c = _compile(tmp_path, text)
    assert len(c.graph.graph["blocks"].definitions) == 2
    _same_network(c, reference())


@pytest.mark.parametrize("text", [MIXED, SE_LATE])
def test_mixed_stages_in_keras(tmp_path, text):
    pytest.importorskip("keras")
    from archc.frameworks.convert import torch_to_keras
    from archc.frameworks.generated import load_generated

    c = _compile(tmp_path, text)
    torch_model = load_generated(c, "pytorch").build_model().eval()
    keras_model = load_generated(c, "keras").build_model(classifier_activation=None)
    torch_to_keras(c, torch_model, keras_model)
    assert keras_model.count_params() == summary(c)["keras_params"]
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        expected = torch_model(x).numpy()
    got = np.asarray(keras_model(np.transpose(x.numpy(), (0, 2, 3, 1)), training=False))
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * float(np.abs(expected).max()))


def test_one_class_per_block_kind(tmp_path):
    from archc.backends.pytorch.emitter import emit

    text = emit(_compile(tmp_path, MIXED))
    assert "class BasicBlock(nn.Module)" in text and "class SEBottleneck(nn.Module)" in text
    assert "self.layer1 = self._make_layer(BasicBlock, 64, 2)" in text
    assert "self.layer3 = self._make_layer(SEBottleneck, 64, 2, stride=2)" in text
    assert "block: type[BasicBlock | SEBottleneck]" in text


@pytest.mark.parametrize(
    "knob", ["se: {reduction: 8, divisor: 8}", "activation: gelu", "stride_at: 3x3", "expansion: 2"]
)
def test_stages_that_differ_in_what_the_class_name_does_not_say_get_a_class_each(tmp_path, knob):
    """Two definitions whose names would be equal (both SEBottleneck) are two classes: the second is
    ``SEBottleneckVariant`` (it overwrote the first, so every stage was built with the last one's block), and the
    model is the IR's in params, MACs and stage shapes."""
    from archc.backends.pytorch.emitter import emit
    from torch.utils.flop_counter import FlopCounterMode

    from archc.frameworks.generated import load_generated
    from tests.backends.torch_models import hook_stage_outputs

    text = SE_LATE.replace("block: basic", "block: bottleneck\nse: {reduction: 4}").replace(", se: {reduction: 16}", "")
    text = text.replace("width: 512, blocks: 2, stride: 2", f"width: 512, blocks: 2, stride: 2, {knob}")
    c = _compile(tmp_path, text)
    code = emit(c)
    assert code.count("class SEBottleneck(nn.Module)") == code.count("class SEBottleneckVariant(nn.Module)") == 1
    assert "self.layer4 = self._make_layer(SEBottleneckVariant, 512, 2, stride=2)" in code
    model, s = load_generated(c, "pytorch").build_model().eval(), summary(c)
    seen = hook_stage_outputs(model, c.graph)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(torch.randn(1, 3, 64, 64))
    assert (sum(p.numel() for p in model.parameters()), counter.get_total_flops() // 2) == (s["params"], s["macs"])
    assert seen == [row["output_shape"] for row in s["stages"]]


def test_stage_knobs_are_checked_per_stage(tmp_path):
    from archc.diagnostics import SpecError

    bad = MIXED.replace("blocks: 1, stride: 2}", "blocks: 1, stride: 2, groups: 4}", 1)  # a basic stage
    with pytest.raises(SpecError, match=r"spec.yaml:10:62: error\[E401\]: groups: 4 applies to a bottleneck block"):
        _compile(tmp_path, bad)
    both = SE_LATE.replace("se: {reduction: 16}}", "se: {reduction: 16}, eca: {}}", 1)
    with pytest.raises(SpecError, match="one attention module"):
        _compile(tmp_path, both)


def test_readme_shows_this_spec():
    from tests.conftest import REPO

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n### Stage-level knobs\n", 1)[1].split("\n### ", 1)[0]
    assert "```yaml\n" + MIXED + "```" in section


def test_group_width_without_bottleneck_ratio_builds_in_both(tmp_path):
    """An explicit RegNet-style table (a group width per stage, torchvision's width rule) was refused by both
    backends; it now builds, and ``archc verify`` finds both frameworks' figures equal to archc's."""
    pytest.importorskip("keras")
    from tests.conftest import run_cli

    text = MIXED.split("stem:")[0].replace("names: {pytorch: timm}\n", "") + (
        "stem: [{op: conv, kernel: 3, stride: 2, width: 32}]\nblock: bottleneck\nstride_at: 3x3\nexpansion: 1\n"
        "stages:\n  - {name: s1, width: 48, blocks: 1, stride: 2, group_width: 16}\n"
        "  - {name: s2, width: 96, blocks: 2, stride: 2, group_width: 16}\nhead: {classes: 10}\n"
    )
    path = tmp_path / "gw.yaml"
    path.write_text(text, encoding="utf-8")
    code, out, err = run_cli("verify", str(path))
    assert code == 0, err
    assert out.count(": ok") == 2, out
