"""An independent, hand-written PyTorch model of timm's ResNet family (``timm/models/resnet.py``'s rules).

Written from timm's documented behaviour, without archc and without timm (which does not import here):
a stem of one 7×7 conv or a "deep" stem of three 3×3 convs in one ``nn.Sequential`` (``conv1.0`` … ``conv1.6``),
``bn1``, ``act1``, ``maxpool``; stages ``layer1`` … ``layer4`` of basic or bottleneck blocks (stride on the
3×3, groups and base width as ResNeXt); ``downsample`` as ``(conv, norm)`` or, with ``avg_down``,
``(AvgPool2d(2, ceil_mode) or Identity, conv, norm)``; the block's attention module ``se`` (SE with a
``make_divisible`` hidden width and biased 1×1 convs, or ECA's 1-D conv across channels); BatchNorm or
GroupNorm(32); ``global_pool`` and ``fc``. Its parameter names are timm's, so tests compare them with the
recorded timm state dicts too. Tests check it against timm's own figures (``timm_figures.md``) first, then
use it for the models that table does not cover.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class Config:
    block: str  # "basic" | "bottleneck"
    layers: tuple[int, int, int, int]
    stem: str = ""  # "" (one 7x7 conv of 64), "deep" (w, w, 2w), "deep_tiered" (3 * (w // 4), w, 2w)
    stem_width: int = 64
    avg_down: bool = False
    cardinality: int = 1
    base_width: int = 64
    attn: str | None = None  # "se" | "eca"
    norm: str = "bn"  # "bn" | "gn"


def _divisible(v: float, divisor: int = 8) -> int:
    """Round to the nearest multiple of ``divisor`` (halves up), never below ``divisor`` (round_limit 0)."""
    return max(divisor, int(v + divisor / 2) // divisor * divisor)


def _norm(kind: str, c: int) -> nn.Module:
    return nn.GroupNorm(32, c) if kind == "gn" else nn.BatchNorm2d(c)


class SE(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        hidden = _divisible(c / 16)
        self.fc1 = nn.Conv2d(c, hidden, 1)
        self.act = nn.ReLU()
        self.fc2 = nn.Conv2d(hidden, c, 1)

    def forward(self, x):
        return x * torch.sigmoid(self.fc2(self.act(self.fc1(x.mean((2, 3), keepdim=True)))))


class ECA(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        t = int(abs(math.log2(c) + 1) / 2)
        k = max(t if t % 2 else t + 1, 3)
        self.conv = nn.Conv1d(1, 1, k, padding=k // 2, bias=False)

    def forward(self, x):
        y = self.conv(x.mean((2, 3)).unsqueeze(1))
        return x * torch.sigmoid(y).transpose(1, 2).unsqueeze(-1)


class Block(nn.Module):
    def __init__(self, cfg: Config, cin: int, planes: int, stride: int, downsample):
        super().__init__()
        basic = cfg.block == "basic"
        width = planes if basic else int(planes * cfg.base_width / 64) * cfg.cardinality
        out = planes * (1 if basic else 4)
        if basic:
            convs = [(cin, width, 3, stride, 1), (width, out, 3, 1, 1)]
        else:
            convs = [(cin, width, 1, 1, 1), (width, width, 3, stride, cfg.cardinality), (width, out, 1, 1, 1)]
        self.n = len(convs)
        for i, (a, b, k, s, groups) in enumerate(convs, start=1):
            setattr(self, f"conv{i}", nn.Conv2d(a, b, k, s, k // 2, groups=groups, bias=False))
            setattr(self, f"bn{i}", _norm(cfg.norm, b))
        self.se = {"se": SE, "eca": ECA}[cfg.attn](out) if cfg.attn else None
        self.downsample = downsample

    def forward(self, x):
        y = x
        for i in range(1, self.n + 1):
            y = getattr(self, f"bn{i}")(getattr(self, f"conv{i}")(y))
            y = torch.relu(y) if i < self.n else y
        if self.se is not None:
            y = self.se(y)
        return torch.relu(y + (x if self.downsample is None else self.downsample(x)))


def _downsample(cfg: Config, cin: int, out: int, stride: int) -> nn.Module:
    if not cfg.avg_down:
        return nn.Sequential(nn.Conv2d(cin, out, 1, stride, bias=False), _norm(cfg.norm, out))
    pool = nn.AvgPool2d(2, stride, ceil_mode=True, count_include_pad=False) if stride > 1 else nn.Identity()
    return nn.Sequential(pool, nn.Conv2d(cin, out, 1, bias=False), _norm(cfg.norm, out))


def _stem(cfg: Config) -> tuple[nn.Module, int]:
    if not cfg.stem:
        return nn.Conv2d(3, 64, 7, 2, 3, bias=False), 64
    w = cfg.stem_width
    a, b = (3 * (w // 4), w) if cfg.stem == "deep_tiered" else (w, w)
    layers = [nn.Conv2d(3, a, 3, 2, 1, bias=False), _norm(cfg.norm, a), nn.ReLU()]
    layers += [nn.Conv2d(a, b, 3, 1, 1, bias=False), _norm(cfg.norm, b), nn.ReLU()]
    return nn.Sequential(*layers, nn.Conv2d(b, 2 * w, 3, 1, 1, bias=False)), 2 * w


class TimmResNet(nn.Module):
    def __init__(self, cfg: Config, classes: int = 1000):
        super().__init__()
        self.conv1, cin = _stem(cfg)
        self.bn1 = _norm(cfg.norm, cin)
        self.act1 = nn.ReLU()
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        expansion = 1 if cfg.block == "basic" else 4
        for i, (planes, n) in enumerate(zip((64, 128, 256, 512), cfg.layers)):
            stride, out = (1 if i == 0 else 2), planes * expansion
            down = _downsample(cfg, cin, out, stride) if stride != 1 or cin != out else None
            blocks = [Block(cfg, cin, planes, stride, down)]
            blocks += [Block(cfg, out, planes, 1, None) for _ in range(n - 1)]
            cin = out
            setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))
        self.global_pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        x = self.maxpool(self.act1(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.global_pool(x), 1))


_R = {18: ("basic", (2, 2, 2, 2)), 26: ("bottleneck", (2, 2, 2, 2)), 34: ("basic", (3, 4, 6, 3)),
      50: ("bottleneck", (3, 4, 6, 3)), 101: ("bottleneck", (3, 4, 23, 3)), 152: ("bottleneck", (3, 8, 36, 3)),
      200: ("bottleneck", (3, 24, 36, 3))}  # fmt: skip
_D = dict(stem="deep", stem_width=32, avg_down=True)
_T = dict(stem="deep_tiered", stem_width=32, avg_down=True)
_X = dict(cardinality=32, base_width=4)


def _cfg(depth: int, **kw) -> Config:
    block, layers = _R[depth]
    return Config(block, layers, **kw)


# timm model name → (Config, default input size): timm's `model_args` for each, written out.
MODELS: dict[str, tuple[Config, int]] = {
    "resnet10t": (Config("basic", (1, 1, 1, 1), **_T), 176),
    "resnet14t": (Config("bottleneck", (1, 1, 1, 1), **_T), 176),
    "resnet18": (_cfg(18), 224),
    "resnet18d": (_cfg(18, **_D), 224),
    "resnet26": (_cfg(26), 224),
    "resnet26d": (_cfg(26, **_D), 224),
    "resnet26t": (_cfg(26, **_T), 256),
    "resnet34": (_cfg(34), 224),
    "resnet34d": (_cfg(34, **_D), 224),
    "resnet50": (_cfg(50), 224),
    "resnet50c": (_cfg(50, stem="deep", stem_width=32), 224),
    "resnet50d": (_cfg(50, **_D), 224),
    "resnet50s": (_cfg(50, stem="deep", stem_width=64), 224),
    "resnet50t": (_cfg(50, **_T), 224),
    "resnet101": (_cfg(101), 224),
    "resnet101d": (_cfg(101, **_D), 256),
    "resnet152": (_cfg(152), 224),
    "resnet152d": (_cfg(152, **_D), 256),
    "resnet200": (_cfg(200), 224),
    "resnet200d": (_cfg(200, **_D), 256),
    "resnext50_32x4d": (_cfg(50, **_X), 224),
    "resnext50d_32x4d": (_cfg(50, **_D, **_X), 224),
    "resnet50_gn": (_cfg(50, norm="gn"), 224),
    "seresnet18": (_cfg(18, attn="se"), 224),
    "seresnet34": (_cfg(34, attn="se"), 224),
    "seresnet50": (_cfg(50, attn="se"), 224),
    "seresnet50t": (_cfg(50, **_T, attn="se"), 224),
    "seresnet101": (_cfg(101, attn="se"), 224),
    "seresnet152": (_cfg(152, attn="se"), 224),
    "seresnet152d": (_cfg(152, **_D, attn="se"), 256),
    "seresnext26d_32x4d": (_cfg(26, **_D, **_X, attn="se"), 224),
    "seresnext26t_32x4d": (_cfg(26, **_T, **_X, attn="se"), 224),
    "seresnext50_32x4d": (_cfg(50, **_X, attn="se"), 224),
    "seresnext101_32x4d": (_cfg(101, **_X, attn="se"), 224),
    "ecaresnet26t": (_cfg(26, **_T, attn="eca"), 256),
    "ecaresnet50d": (_cfg(50, **_D, attn="eca"), 224),
    "ecaresnet50t": (_cfg(50, **_T, attn="eca"), 256),
    "ecaresnet101d": (_cfg(101, **_D, attn="eca"), 224),
    "ecaresnetlight": (Config("bottleneck", (1, 1, 11, 3), stem_width=32, avg_down=True, attn="eca"), 224),
    "ecaresnext26t_32x4d": (_cfg(26, **_T, **_X, attn="eca"), 224),
}


def measure(cfg: Config, size: int) -> dict:
    """params (numel) and MACs (FlopCounterMode / 2) of a forward pass, on the meta device (no arithmetic)."""
    from torch.utils.flop_counter import FlopCounterMode

    with torch.device("meta"):
        model = TimmResNet(cfg).eval()
        x = torch.empty(1, 3, size, size)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(x)
    return {"params": sum(p.numel() for p in model.parameters()), "macs": counter.get_total_flops() // 2}


def state_dict_shapes(cfg: Config) -> dict[str, list[int]]:
    with torch.device("meta"):
        model = TimmResNet(cfg)
    return {k: list(v.shape) for k, v in model.state_dict().items()}
