"""The width rules a block recipe's expressions may call, each written once.

They are plain Python, written exactly as the generated files print them (both backends print these very
functions' source with :func:`source`), so the IR's figures and the generated code's sizes come from one
text. ``make_divisible`` is timm's SE rounding; ``eca_kernel_size`` is ECA's kernel from the channel count;
``blur_padding`` is the padding timm's BlurPool2d gives its filter (lowering, both printers' checks).
"""

from __future__ import annotations

import inspect
import math


def make_divisible(v: float, divisor: int = 8, min_value: int | None = None, round_limit: float = 0.9) -> int:
    """The nearest multiple of ``divisor`` (halves up), at least ``min_value`` (default ``divisor``); one more
    ``divisor`` when rounding down lost more than ``1 - round_limit`` (timm's ``make_divisible``; its SE modules
    pass ``round_limit=0.0``, torchvision's ``_make_divisible`` is the default 0.9)."""
    min_value = min_value or divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < round_limit * v else new_v


def eca_kernel_size(channels: int, gamma: float = 2.0, beta: float = 1.0) -> int:
    """ECA's 1-D kernel size from the channel count (Wang et al., 2020, as timm's EcaModule computes it)."""
    t = int(abs(math.log(channels, 2) + beta) / gamma)
    return max(t if t % 2 else t + 1, 3)


def blur_padding(filt_size: int, stride: int) -> int:
    """timm's ``get_padding(filt_size, stride)`` of a BlurPool2d, on every side (reflect)."""
    return (stride - 1 + filt_size - 1) // 2


def source(name: str) -> str:
    """The text of the rule ``name``, as a generated file prints it."""
    return inspect.getsource({"make_divisible": make_divisible, "eca_kernel_size": eca_kernel_size}[name]).rstrip()
