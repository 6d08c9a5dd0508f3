"""An independent, hand-written PyTorch ResNeXt-29 for CIFAR (Xie et al., 2017, section 5.3 and the
authors' Torch code as described in the paper): it does not use archc. A block: 1x1 conv to C × d
channels → grouped 3x3 (C groups, the stride) → 1x1 conv to 4 × planes; BN after each conv; projection
(1x1 conv + BN) where the shape changes. Imported only by tests that need torch.
"""

from __future__ import annotations

import torch
from torch import nn


def conv_bn(cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]


class ResNeXtBlock(nn.Module):
    def __init__(self, cin: int, inner: int, out: int, cardinality: int, stride: int):
        super().__init__()
        self.branch = nn.Sequential(
            *conv_bn(cin, inner, 1), nn.ReLU(),
            *conv_bn(inner, inner, 3, stride, cardinality), nn.ReLU(),
            *conv_bn(inner, out, 1),
        )  # fmt: skip
        self.shortcut = nn.Sequential(*conv_bn(cin, out, 1, stride)) if stride != 1 or cin != out else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.branch(x) + self.shortcut(x))


class ResNeXt29(nn.Module):
    def __init__(self, cardinality: int, d: int = 64, classes: int = 10):
        super().__init__()
        layers, cin = [*conv_bn(3, 64, 3), nn.ReLU()], 64
        for i, out in enumerate((256, 512, 1024)):  # the paper's Table 7 note: widths double per stage
            for b in range(3):
                stride = 2 if i > 0 and b == 0 else 1
                layers.append(ResNeXtBlock(cin, cardinality * d * 2**i, out, cardinality, stride))
                cin = out
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(self.features(x), 1), 1))
