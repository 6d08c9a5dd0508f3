"""A pre-activation net's projection shortcut is one 1x1 conv (no norm after it): the generated block holds the
bare ``nn.Conv2d`` as ``downsample`` (no one-element ``nn.Sequential``), in both naming profiles; where an average
pool strides in front of it (``projection_stride: avgpool``) the two are ``downsample.0`` / ``.1`` in torchvision's
profile and timm's fixed ``(pool, conv)`` positions in timm's. Each generated model's ``state_dict()`` is the one the
IR's names give (what ``archc convert`` / ``verify`` map weights by), and its params and FlopCounterMode MACs are
archc's.
"""

from __future__ import annotations

import pytest

from archc.pipeline import compile_spec
from archc.reports.summary import summary

torch = pytest.importorskip("torch")

SPEC = """archc: 1
name: preact_small
names: {{pytorch: {profile}}}
input: {{channels: 3, size: [32, 32]}}
stem: [{{op: conv, kernel: 3, width: 16, norm: false, activation: false}}]
block: bottleneck
unit: full_preactivation
stride_at: 1x1
shortcut: B
projection_stride: {projection}
stages:
  - {{name: conv2, width: 16, blocks: 2, stride: 1}}
  - {{name: conv3, width: 32, blocks: 2, stride: 2}}
head: {{pool: avg, classes: 10}}
"""


@pytest.mark.parametrize("profile", ["torchvision", "timm"])
@pytest.mark.parametrize("projection", ["conv", "avgpool"])
def test_preactivation_projection_is_a_bare_conv(tmp_path, profile, projection):
    from torch.utils.flop_counter import FlopCounterMode

    from archc.frameworks.generated import load_generated

    path = tmp_path / "spec.yaml"
    path.write_text(SPEC.format(profile=profile, projection=projection), encoding="utf-8")
    c = compile_spec(str(path), verify_each=True)
    model = load_generated(c, "pytorch").build_model().eval()
    first, strided = model.layer1[0].downsample, model.layer2[0].downsample
    if projection == "conv" or profile == "torchvision":
        assert isinstance(first, torch.nn.Conv2d)  # layer1.0: no stride, so no pool in front of the conv
    if projection == "conv":
        assert isinstance(strided, torch.nn.Conv2d)
    else:  # the pool strides, then the conv: torchvision-style (pool, conv); timm's (pool or identity, conv)
        assert [type(m).__name__ for m in strided] == ["AvgPool2d", "Conv2d"]
    g = c.graph
    ours = [(k, tuple(v.shape)) for k, v in model.state_dict().items()]
    assert ours == g.graph["model_layout"].state_dict(g)
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(x)
    s = summary(c)
    assert (sum(p.numel() for p in model.parameters()), counter.get_total_flops() // 2) == (s["params"], s["macs"])
