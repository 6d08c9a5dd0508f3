"""Spec features no built-in may use yet, generated as PyTorch and run against the IR: squeeze-and-excitation
(a ``SqueezeExcitation`` class), ResNet-D average-pool projections with zero-initialised last BN, VGG
(flat ``features``/``classifier`` containers, stage pools, hidden fc + dropout, adaptive pool), dilation
(``output_stride``), pre-activation with the stride on the last block (Keras V2) and ``features_only``.

References: parameter tensors, FlopCounterMode on a forward pass, forward hooks, TorchScript.
"""

from __future__ import annotations

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from archc.reports.summary import summary
from tests.backends.torch_models import generate, hook_stage_outputs

STAGES = """\
input: {channels: 3, size: 32}
stem: [{op: conv, kernel: 3, width: 16}]
stages:
  - {name: s1, width: 16, blocks: 2}
  - {name: s2, width: 32, blocks: 2, stride: 2}
"""

SPECS = {
    "f_se": "block: bottleneck\nse: {reduction: 4}\n" + STAGES,
    "f_resnetd": "block: bottleneck\nprojection_stride: avgpool\nzero_init_last_bn: true\n" + STAGES,
    "f_dilated": "block: bottleneck\noutput_stride: 8\n" + STAGES + "  - {name: s3, width: 32, blocks: 2, stride: 2}\n",
    "f_v2": "block: bottleneck\nunit: full_preactivation\nstride_block: last\n" + STAGES,
    "f_features": "block: basic\nhead: {features_only: true}\n" + STAGES,
    "f_vgg": "block: single\nshortcut: none\ndefaults: {norm: {kind: none}, conv_bias: true}\n"
    "head: {pool: avg, pool_size: 2, hidden: [64, 64], dropout: 0.5, classes: 10}\n"
    "input: {channels: 3, size: 32}\nstages:\n"
    "  - {name: s1, width: 16, blocks: 2, pool: max}\n  - {name: s2, width: 32, blocks: 2, pool: max}\n",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    torch.set_num_threads(1)
    folder = tmp_path_factory.mktemp("pytorch_features")
    out = {}
    for name, body in SPECS.items():
        (folder / f"{name}.yaml").write_text(f"archc: 1\nname: {name}\n{body}", encoding="utf-8")
        out[name] = generate(str(folder / f"{name}.yaml"), folder)
    return out


@pytest.mark.parametrize("name", SPECS)
def test_feature_matches_the_ir(built, name):
    gen = built[name]
    g, s = gen.compiled.graph, summary(gen.compiled)
    model = gen.build().eval()
    assert sum(p.numel() for p in model.parameters()) == s["params"]
    seen = hook_stage_outputs(model, g)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        y = model(torch.randn(1, *s["input_shape"]))
    assert counter.get_total_flops() == 2 * s["macs"]
    outputs = g.graph.get("outputs") or [g.graph["output"]]
    got = [list(t.shape[1:]) for t in (y if isinstance(y, list) else [y])]
    assert got == [list(g.nodes[n]["shape"]) for n in outputs]
    assert seen == [row["output_shape"] for row in s["stages"]]
    fresh = gen.build().eval()  # TorchScript cannot compile the lambdas hooked on ``model``
    scripted = torch.jit.script(fresh)
    x = torch.randn(1, *s["input_shape"])
    with torch.no_grad(), torch.jit.optimized_execution(False):
        torch.testing.assert_close(scripted(x), fresh(x))


def test_squeeze_excitation_is_its_own_module(built):
    text = built["f_se"].text
    assert text.count("class SqueezeExcitation(nn.Module):") == 1
    assert "self.se = SqueezeExcitation(planes * self.expansion, reduction=4)" in text
    keys = built["f_se"].build().state_dict()
    assert "layer1.0.se.fc1.weight" in keys and "layer2.1.se.fc2.weight" in keys


def test_zero_init_and_avgpool_projection(built):
    model = built["f_resnetd"].build()
    assert all(not torch.any(b.bn3.weight) for stage in (model.layer1, model.layer2) for b in stage)
    assert "nn.AvgPool2d(stride, stride, ceil_mode=True, count_include_pad=False)" in built["f_resnetd"].text


def test_vgg_is_flat_like_torchvision(built):
    text = built["f_vgg"].text
    assert "self.features = nn.Sequential(" in text and "self.classifier = nn.Sequential(" in text
    keys = list(built["f_vgg"].build().state_dict())
    assert keys[:2] == ["features.0.weight", "features.0.bias"] and keys[-1] == "classifier.6.bias"
