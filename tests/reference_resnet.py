"""An independent, hand-written PyTorch ResNet v1 as the paper describes it (torchvision-style names).

The paper's bottleneck strides on its first 1×1 conv, which no library ships (torchvision's ResNet, "v1.5",
strides on the 3×3; keras.applications' ResNet50 has biased convs): this model is the reference for the paper's
built-ins. Where the library has the model (torchvision's ResNets) tests use torchvision itself (tests/libs.py).
It does not use archc in any way: tests build it from the paper's stage numbers and compare its real forward
pass (shapes, FlopCounterMode, numel) with archc's IR. Imported only by tests that need torch.
"""

from __future__ import annotations

import torch
from torch import nn


class Basic(nn.Module):
    expansion = 1

    def __init__(self, cin, width, stride):
        super().__init__()
        out = width
        self.conv1 = nn.Conv2d(cin, width, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out)
        self.relu = nn.ReLU()
        self.downsample = None
        if stride != 1 or cin != out:
            self.downsample = nn.Sequential(nn.Conv2d(cin, out, 1, stride, bias=False), nn.BatchNorm2d(out))

    def forward(self, x):
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return self.relu(y + (x if self.downsample is None else self.downsample(x)))


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin, width, stride):
        super().__init__()
        out = width * 4
        s1, s3 = stride, 1  # the paper's placement: the stride on the first 1x1 conv
        self.conv1 = nn.Conv2d(cin, width, 1, s1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, s3, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, out, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out)
        self.relu = nn.ReLU()
        self.downsample = None
        if stride != 1 or cin != out:
            self.downsample = nn.Sequential(nn.Conv2d(cin, out, 1, stride, bias=False), nn.BatchNorm2d(out))

    def forward(self, x):
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return self.relu(y + (x if self.downsample is None else self.downsample(x)))


LAYERS = {18: (Basic, [2, 2, 2, 2]), 34: (Basic, [3, 4, 6, 3]), 50: (Bottleneck, [3, 4, 6, 3]),
          101: (Bottleneck, [3, 4, 23, 3]), 152: (Bottleneck, [3, 8, 36, 3])}  # fmt: skip


class ResNet(nn.Module):
    def __init__(self, depth: int, classes: int = 1000):
        super().__init__()
        block, counts = LAYERS[depth]
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        cin = 64
        for i, (width, n) in enumerate(zip([64, 128, 256, 512], counts)):
            blocks = []
            for b in range(n):
                stride = 2 if i > 0 and b == 0 else 1
                blocks.append(block(cin, width, stride))
                cin = width * block.expansion
            setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def measure(model: nn.Module, h: int, w: int) -> dict:
    """Real forward pass of a ResNet with ``layer1`` … ``layer4`` (this one or torchvision's): stage output shapes (hooks), MACs (FlopCounterMode / 2) and numel."""
    from torch.utils.flop_counter import FlopCounterMode

    shapes = {}
    hooks = [
        getattr(model, f"layer{i}").register_forward_hook(lambda m, a, o, i=i: shapes.__setitem__(i, list(o.shape[1:])))
        for i in range(1, 5)
    ]
    model.eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        out = model(torch.zeros(1, 3, h, w))
    for hook in hooks:
        hook.remove()
    return {
        "macs": counter.get_total_flops() // 2,
        "params": sum(p.numel() for p in model.parameters()),
        "stages": [shapes[i] for i in range(1, 5)],
        "output": list(out.shape[1:]),
    }
