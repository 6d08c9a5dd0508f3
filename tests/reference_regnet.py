"""An independent, hand-written PyTorch RegNet (timm's layout, written from the paper and timm's rules).

It does not use archc: the per-stage widths come from a float32 torch version of the RegNet rule (as
timm's ``generate_regnet`` computes it), the blocks are written out here (1x1 → grouped 3x3 (stride) →
SE (RegNetY, hidden round(0.25 × block input)) → 1x1, projection conv1x1 + BN when the shape changes).
Imported only by tests that need torch.
"""

from __future__ import annotations

import math

import torch
from torch import nn

# timm's RegNetCfg for the 200MF … 16GF models: (w0, wa, wm, group width, depth); Y adds SE 0.25.
CONFIGS = {
    "002": ((24, 36.44, 2.49, 8, 13), (24, 36.44, 2.49, 8, 13)),
    "004": ((24, 24.48, 2.54, 16, 22), (48, 27.89, 2.09, 8, 16)),
    "006": ((48, 36.97, 2.24, 24, 16), (48, 32.54, 2.32, 16, 15)),
    "008": ((56, 35.73, 2.28, 16, 16), (56, 38.84, 2.4, 16, 14)),
    "016": ((80, 34.01, 2.25, 24, 18), (48, 20.71, 2.65, 24, 27)),
    "032": ((88, 26.31, 2.25, 48, 25), (80, 42.63, 2.66, 24, 21)),
    "040": ((96, 38.65, 2.43, 40, 23), (96, 31.41, 2.24, 64, 22)),
    "064": ((184, 60.83, 2.07, 56, 17), (112, 33.22, 2.27, 72, 25)),
    "080": ((80, 49.56, 2.88, 120, 23), (192, 76.82, 2.19, 56, 17)),
    "120": ((168, 73.36, 2.37, 112, 19), (168, 73.36, 2.37, 112, 19)),
    "160": ((216, 55.59, 2.1, 128, 22), (200, 106.23, 2.48, 112, 18)),
}


def config(name: str) -> tuple[tuple, float]:
    """``((w0, wa, wm, group width, depth), se_ratio)`` of ``regnetx_004`` / ``regnety_004`` …"""
    x, y = CONFIGS[name.split("_")[1]]
    return (x, 0.0) if name.startswith("regnetx") else (y, 0.25)


def stage_table(w0, wa, wm, group_width, depth, bottle=1.0, quant=8) -> list[tuple[int, int, int]]:
    """``[(width, blocks, group width), …]`` in float32 torch arithmetic, as timm computes it."""
    cont = torch.arange(depth, dtype=torch.float32, device="cpu") * wa + w0
    exps = torch.round(torch.log(cont / w0) / math.log(wm))
    widths = (torch.round(w0 * torch.pow(wm, exps) / quant) * quant).int()
    unique, counts = torch.unique(widths, return_counts=True)
    out = []
    for w, d in zip(unique.tolist(), counts.tolist()):
        bot = int(w * bottle)
        g = min(group_width, bot)
        bot = int(round(bot / g) * g)
        out.append((int(bot / bottle), d, g))
    return out


def conv_bn(cin, cout, k, stride=1, groups=1, act=True):
    layers = [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    return nn.Sequential(*layers, *([nn.ReLU()] if act else []))


class SE(nn.Module):
    def __init__(self, channels, hidden):
        super().__init__()
        self.fc1 = nn.Conv2d(channels, hidden, 1)
        self.fc2 = nn.Conv2d(hidden, channels, 1)

    def forward(self, x):
        s = torch.relu(self.fc1(x.mean((2, 3), keepdim=True)))
        return x * torch.sigmoid(self.fc2(s))


class Block(nn.Module):
    def __init__(self, cin, cout, stride, group_width, se_ratio, bottle=1.0):
        super().__init__()
        mid = int(round(cout * bottle))
        self.conv1 = conv_bn(cin, mid, 1)
        self.conv2 = conv_bn(mid, mid, 3, stride, groups=mid // group_width)
        self.se = SE(mid, int(round(cin * se_ratio))) if se_ratio else nn.Identity()
        self.conv3 = conv_bn(mid, cout, 1, act=False)
        project = cin != cout or stride != 1
        self.downsample = conv_bn(cin, cout, 1, stride, act=False) if project else nn.Identity()

    def forward(self, x):
        return torch.relu(self.conv3(self.se(self.conv2(self.conv1(x)))) + self.downsample(x))


class RegNet(nn.Module):
    def __init__(self, stages, se_ratio, classes=1000, bottle=1.0):
        super().__init__()
        self.stem = conv_bn(3, 32, 3, 2)
        blocks, cin = [], 32
        for width, depth, group_width in stages:
            for i in range(depth):
                blocks.append(Block(cin, width, 2 if i == 0 else 1, group_width, se_ratio, bottle))
                cin = width
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        return self.fc(self.blocks(self.stem(x)).mean((2, 3)))


def build(name: str) -> RegNet:
    (w0, wa, wm, g, d), se_ratio = config(name)
    return RegNet(stage_table(w0, wa, wm, g, d), se_ratio)
