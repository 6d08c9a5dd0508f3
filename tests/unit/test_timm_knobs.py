"""The knobs timm's ResNets need — GroupNorm, ECA, SE hidden-width rounding — against hand-written torch
modules (params by ``numel``, MACs by ``FlopCounterMode`` on a real forward pass), plus their rules."""

from __future__ import annotations

import math

import pytest

from archc.ir.blocks import eca_kernel, make_divisible
from archc.pipeline import compile_spec
from archc.reports.summary import summary

torch = pytest.importorskip("torch")
nn = torch.nn
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

STAGES = (
    "stages:\n  - {name: conv2, width: 16, blocks: 2, stride: 1}\n  - {name: conv3, width: 40, blocks: 1, stride: 2}"
)


def _compile(tmp_path, body: str, size: int = 16):
    text = (
        f"archc: 1\nname: tiny\ninput: {{channels: 3, size: [{size}, {size}]}}\nblock: bottleneck\nstride_at: 3x3\n"
        f"stem: [{{op: conv, kernel: 3, width: 32}}]\n{STAGES}\nhead: {{classes: 10}}\n{body}\n"
    )
    path = tmp_path / "tiny.yaml"
    path.write_text(text, encoding="utf-8")
    return compile_spec(str(path), verify_each=True)


def _measure(module, size: int):
    module.eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        y = module(torch.randn(1, 3, size, size))
    return sum(p.numel() for p in module.parameters()), counter.get_total_flops() // 2, tuple(y.shape[1:])


class SE(nn.Module):
    def __init__(self, c, hidden):
        super().__init__()
        self.fc = nn.Sequential(nn.Conv2d(c, hidden, 1), nn.ReLU(), nn.Conv2d(hidden, c, 1), nn.Sigmoid())

    def forward(self, x):
        return x * self.fc(x.mean((2, 3), keepdim=True))


class ECA(nn.Module):
    def __init__(self, k):
        super().__init__()
        self.conv = nn.Conv1d(1, 1, k, padding=k // 2, bias=False)

    def forward(self, x):
        gate = torch.sigmoid(self.conv(x.mean((2, 3)).unsqueeze(1)))  # (N, 1, C)
        return x * gate.squeeze(1)[:, :, None, None]


class Bottleneck(nn.Module):
    def __init__(self, cin, width, stride, norm, attn=None):
        super().__init__()
        out = 4 * width
        self.body = nn.Sequential(
            nn.Conv2d(cin, width, 1, bias=False), norm(width), nn.ReLU(),
            nn.Conv2d(width, width, 3, stride, 1, bias=False), norm(width), nn.ReLU(),
            nn.Conv2d(width, out, 1, bias=False), norm(out),
        )  # fmt: skip
        self.attn = attn if attn is not None else nn.Identity()
        self.down = None
        if stride != 1 or cin != out:
            self.down = nn.Sequential(nn.Conv2d(cin, out, 1, stride, bias=False), norm(out))

    def forward(self, x):
        return torch.relu(self.attn(self.body(x)) + (x if self.down is None else self.down(x)))


def _net(norm, attn=lambda cin, width, out: None):
    """Stem conv of 32, stages (16 × 2 blocks, 40 × 1 block, stride 2), as ``STAGES``."""
    blocks = [Bottleneck(32, 16, 1, norm, attn(32, 16, 64)), Bottleneck(64, 16, 1, norm, attn(64, 16, 64)),
              Bottleneck(64, 40, 2, norm, attn(64, 40, 160))]  # fmt: skip
    stem = [nn.Conv2d(3, 32, 3, 1, 1, bias=False), norm(32), nn.ReLU()]
    return nn.Sequential(*stem, *blocks, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(160, 10))


def _same(c, ref, size=16):
    s = summary(c)
    assert _measure(ref, size) == (s["params"], s["macs"], tuple(s["output_shape"]))
    return s


def test_groupnorm_replaces_every_norm(tmp_path):
    c = _compile(tmp_path, "defaults: {norm: {kind: groupnorm, groups: 8}}")
    s = _same(c, _net(lambda ch: nn.GroupNorm(8, ch)))
    assert s["buffers"] == 0  # no running statistics
    ops = {d["op"] for _, d in c.graph.nodes(data=True)}
    assert "groupnorm" in ops and "batchnorm" not in ops


def test_groupnorm_groups_must_divide_every_width(tmp_path):
    from archc.diagnostics import SpecError

    with pytest.raises(SpecError) as err:
        _compile(tmp_path, "defaults: {norm: {kind: groupnorm, groups: 32}}")  # the 16-wide bottlenecks
    (d,) = err.value.diagnostics
    assert (d.code, d.line) == ("E401", 11) and "16 channels of s0.b0.bn1" in d.message


@pytest.mark.parametrize(
    "se, hidden",
    [
        ("{reduction: 16}", lambda cin, w, out: out // 16),  # SENet: floor of the block output / 16
        ("{reduction: 16, divisor: 8}", lambda cin, w, out: 8),  # timm: 64 / 16 = 4 -> 8, 160 / 16 = 10 -> 8
        ("{reduction: 4, divisor: 8, width_of: input}", lambda cin, w, out: 8 if cin == 32 else 16),  # RegNet-style
        ("{reduction: 3, width_of: inner}", lambda cin, w, out: w // 3),
        ("{reduction: 14, divisor: 8}", lambda cin, w, out: 8),  # 160 / 14 = 11.4 -> 8
        ("{reduction: 14, divisor: 8, round_limit: 0.9}", lambda cin, w, out: 8 if out == 64 else 16),  # 8 < 0.9 × 11.4
    ],
)
def test_squeeze_excitation_hidden_width(tmp_path, se, hidden):
    c = _compile(tmp_path, f"se: {se}")
    ref = _net(nn.BatchNorm2d, lambda cin, w, out: SE(out, hidden(cin, w, out)))
    _same(c, ref)


def test_eca_kernel_from_channels(tmp_path):
    c = _compile(tmp_path, "eca: {}", 20)
    assert [c.graph.nodes[f"s{s}.b{b}.eca_conv"]["attrs"]["kernel"] for s, b in ((0, 0), (1, 0))] == [3, 5]
    _same(c, _net(nn.BatchNorm2d, lambda cin, w, out: ECA({64: 3, 160: 5}[out])), 20)


def test_eca_explicit_kernel(tmp_path):
    c = _compile(tmp_path, "eca: {kernel: 7}")
    s = _same(c, _net(nn.BatchNorm2d, lambda cin, w, out: ECA(7)))
    assert s["macs"] - summary(_compile(tmp_path, "")).get("macs") == 7 * (64 + 64 + 160)


def test_make_divisible_is_timms_rule():
    def timm(v, divisor, round_limit):  # timm.layers.helpers.make_divisible, written out in floats
        new = max(divisor, int(v + divisor / 2) // divisor * divisor)
        return new + divisor if new < round_limit * v else new

    from fractions import Fraction

    for c in (8, 24, 64, 100, 120, 256, 1000, 2048):
        for r in (1, 2, 4, 8, 16, 32):
            for d, limit in ((8, 0.0), (8, 0.9), (1, 0.0), (4, 0.9)):
                assert make_divisible(Fraction(c, r), d, round_limit=limit) == timm(c / r, d, limit), (c, r, d, limit)
    assert make_divisible(Fraction(64, 16), 8, round_limit=0.0) == 8  # seresnet18's first stage: not 64 // 16 = 4


def test_make_divisible_has_timms_signature_and_defaults():
    """The printed helper is called as timm calls its own: positional ``(v, divisor, min_value)``, keyword
    ``round_limit`` (default 0.9, torchvision's ``_make_divisible``); every argument form agrees with timm's."""
    import inspect

    from tests.libs import timm as timm_lib

    theirs = timm_lib().layers.make_divisible
    assert list(inspect.signature(make_divisible).parameters) == list(inspect.signature(theirs).parameters)
    for name, p in inspect.signature(theirs).parameters.items():
        assert inspect.signature(make_divisible).parameters[name].default == p.default, name
    for v in (3.0, 7.5, 12.0, 20.0, 37.0, 100.0, 250.0, 1000.0):
        for d in (1, 4, 8, 16):
            assert make_divisible(v) == theirs(v)
            assert make_divisible(v, d) == theirs(v, d), (v, d)
            assert make_divisible(v, d, 32) == theirs(v, d, 32), (v, d)
            assert make_divisible(v, d, round_limit=0.0) == theirs(v, d, round_limit=0.0), (v, d)


def test_eca_kernel_rule():
    assert [eca_kernel(c, 2, 1) for c in (8, 16, 64, 128, 256, 512, 1024, 2048, 4096)] == [3, 3, 3, 5, 5, 5, 5, 7, 7]
    for c in range(1, 5000, 37):  # the paper's |log2(C)/gamma + b/gamma|_odd, at least 3
        t = int(abs(math.log2(c) + 1) / 2)
        assert eca_kernel(c, 2, 1) == max(t + (1 - t % 2), 3)
