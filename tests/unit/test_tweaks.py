"""Tweak knobs (SE, ResNet-D, output stride, zero-init, features_only) against hand-written torch modules.

Each reference module below is written from the papers' / torchvision's description, without archc;
params are counted with ``numel``, MACs with ``FlopCounterMode`` on a real forward pass (FLOPs / 2).
"""

from __future__ import annotations

import pytest

from archc.pipeline import compile_spec
from archc.reports.summary import summary

torch = pytest.importorskip("torch")
nn = torch.nn
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

STAGES = "\n".join(
    [
        "stages:",
        "  - {name: conv2, width: 4, blocks: 2, stride: 1}",
        "  - {name: conv3, width: 8, blocks: 2, stride: 2}",
    ]
)


def _compile(tmp_path, body: str, size: int = 16):
    text = f"archc: 1\nname: tiny\ninput: {{channels: 3, size: [{size}, {size}]}}\nblock: bottleneck\n{body}\n"
    path = tmp_path / "tiny.yaml"
    path.write_text(text, encoding="utf-8")
    return compile_spec(str(path), verify_each=True)


def _measure(module, size: int):
    module.eval()
    x = torch.randn(1, 3, size, size)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        y = module(x)
    return sum(p.numel() for p in module.parameters()), counter.get_total_flops() // 2, tuple(y.shape[1:])


def _bn_relu(c):
    return [nn.BatchNorm2d(c), nn.ReLU()]


class Bottleneck(nn.Module):
    """torchvision's v1.5 bottleneck with the knobs under test: SE, average-pool projection, dilation."""

    def __init__(self, cin, width, stride=1, se=None, avg_down=False, dilation=1, first_dilation=1):
        super().__init__()
        out = width * 4
        self.body = nn.Sequential(
            nn.Conv2d(cin, width, 1, bias=False), *_bn_relu(width),
            nn.Conv2d(width, width, 3, stride, first_dilation, first_dilation, bias=False), *_bn_relu(width),
            nn.Conv2d(width, out, 1, bias=False), nn.BatchNorm2d(out),
        )  # fmt: skip
        self.se = None
        if se:
            squeezed = out // se
            self.se = nn.Sequential(
                nn.AdaptiveAvgPool2d(1),
                nn.Conv2d(out, squeezed, 1),
                nn.ReLU(),
                nn.Conv2d(squeezed, out, 1),
                nn.Sigmoid(),
            )
        self.down = None
        if cin != out:
            pool = (
                [nn.AvgPool2d(stride, stride, ceil_mode=True, count_include_pad=False)]
                if avg_down and stride > 1
                else []
            )
            conv_stride = 1 if pool else stride
            self.down = nn.Sequential(*pool, nn.Conv2d(cin, out, 1, conv_stride, bias=False), nn.BatchNorm2d(out))

    def forward(self, x):
        y = self.body(x)
        if self.se is not None:
            y = y * self.se(y)
        return torch.relu(y + (x if self.down is None else self.down(x)))


def _net(stem: list, blocks: list, classes: int = 10):
    return nn.Sequential(
        *stem, *blocks, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(blocks[-1].body[-1].num_features, classes)
    )


def test_squeeze_excitation(tmp_path):
    c = _compile(
        tmp_path,
        f"stem: [{{op: conv, kernel: 3, width: 8}}]\nstride_at: 3x3\nse: {{reduction: 4}}\n{STAGES}\nhead: {{classes: 10}}",
    )
    ref = _net(
        [nn.Conv2d(3, 8, 3, 1, 1, bias=False), *_bn_relu(8)],
        [Bottleneck(8, 4, se=4), Bottleneck(16, 4, se=4), Bottleneck(16, 8, 2, se=4), Bottleneck(32, 8, se=4)],
    )
    s = summary(c)
    assert _measure(ref, 16) == (s["params"], s["macs"], tuple(s["output_shape"]))
    assert s["depth"] == 1 + 3 * 4 + 1  # the SE convs are not counted as layers


@pytest.mark.parametrize("size", [16, 20])  # 20: a 5x5 map meets the 2x2 pool, which ceil_mode rounds up
def test_resnet_d_deep_stem_and_average_pool_projection(tmp_path, size):
    stem = (
        "stem:\n"
        + "\n".join(f"  - {{op: conv, kernel: 3, width: {w}, stride: {s}}}" for w, s in ((8, 2), (8, 1), (16, 1)))
        + "\n  - {op: maxpool, kernel: 3, stride: 2}"
    )
    c = _compile(tmp_path, f"{stem}\nstride_at: 3x3\nprojection_stride: avgpool\n{STAGES}\nhead: {{classes: 10}}", size)
    ref = _net(
        [nn.Conv2d(3, 8, 3, 2, 1, bias=False), *_bn_relu(8), nn.Conv2d(8, 8, 3, 1, 1, bias=False), *_bn_relu(8),
         nn.Conv2d(8, 16, 3, 1, 1, bias=False), *_bn_relu(16), nn.MaxPool2d(3, 2, 1)],
        [Bottleneck(16, 4, avg_down=True), Bottleneck(16, 4, avg_down=True), Bottleneck(16, 8, 2, avg_down=True),
         Bottleneck(32, 8, avg_down=True)],
    )  # fmt: skip
    s = summary(c)
    assert _measure(ref, size) == (s["params"], s["macs"], tuple(s["output_shape"]))
    h = c.graph.nodes["s1.b0.down_pool"]["shape"][1]
    assert h == ref[12].down[0](torch.zeros(1, 16, size // 4, size // 4)).shape[2] == -(-size // 8)


def test_output_stride_dilates_the_late_stages(tmp_path):
    """torchvision's replace_stride_with_dilation: the first 3x3 of a dilated stage keeps the old dilation."""
    stages = "\n".join(
        ["stages:", "  - {name: conv2, width: 4, blocks: 2, stride: 1}", "  - {name: conv3, width: 8, blocks: 2, stride: 2}",
         "  - {name: conv4, width: 8, blocks: 2, stride: 2}", "  - {name: conv5, width: 8, blocks: 2, stride: 2}"]
    )  # fmt: skip
    c = _compile(
        tmp_path,
        f"stem: [{{op: conv, kernel: 3, width: 8, stride: 2}}]\nstride_at: 3x3\noutput_stride: 4\n{stages}\nhead: {{classes: 10}}",
        32,
    )
    ref = _net(
        [nn.Conv2d(3, 8, 3, 2, 1, bias=False), *_bn_relu(8)],
        [Bottleneck(8, 4), Bottleneck(16, 4), Bottleneck(16, 8, 2), Bottleneck(32, 8),
         Bottleneck(32, 8, 1, dilation=2, first_dilation=1), Bottleneck(32, 8, first_dilation=2),
         Bottleneck(32, 8, 1, first_dilation=2), Bottleneck(32, 8, first_dilation=4)],
    )  # fmt: skip
    s = summary(c)
    assert _measure(ref, 32) == (s["params"], s["macs"], tuple(s["output_shape"]))
    assert [row["output_shape"] for row in s["stages"]] == [[16, 16, 16], [32, 8, 8], [32, 8, 8], [32, 8, 8]]


def test_zero_init_marks_the_last_bn_of_every_branch(tmp_path):
    c = _compile(tmp_path, f"stem: [{{op: conv, kernel: 3, width: 8}}]\nzero_init_last_bn: true\n{STAGES}")
    marked = sorted(n for n, d in c.graph.nodes(data=True) if d["attrs"].get("zero_init"))
    assert marked == ["s0.b0.bn3", "s0.b1.bn3", "s1.b0.bn3", "s1.b1.bn3"]


def test_features_only_returns_every_stage(tmp_path):
    """torchvision resnet50 without its fc (2,049,000 params): 23,508,032 params, four feature maps."""
    text = "archc: 1\nextends: torchvision/resnet50\nhead: {features_only: true}\n"
    (tmp_path / "features.yaml").write_text(text, encoding="utf-8")
    c = compile_spec(str(tmp_path / "features.yaml"), verify_each=True)
    g, s = c.graph, summary(c)
    assert s["params"] == 25_557_032 - 2048 * 1000 - 1000
    assert [g.nodes[n]["shape"] for n in g.graph["outputs"]] == [
        (256, 56, 56),
        (512, 28, 28),
        (1024, 14, 14),
        (2048, 7, 7),
    ]
    assert not [n for n, d in g.nodes(data=True) if d["scope"] == ("head",)]
