"""The quantities counter rules multiply (:mod:`archc.counters.rules`), computed from one IR op.

``in`` is the input *as the PyTorch module receives it*: where the generated code pads explicitly (the
``explicit-pad`` code form: asymmetric padding, or zero padding around a max pool whose input may be negative),
the module sees the padded tensor and no padding of its own. Shapes are per sample; every count is at batch 1.
"""

from __future__ import annotations

import math
from collections.abc import Callable

Shape = tuple[int, ...]


SQUEEZES = ("se_pool", "eca_pool")  # the global average pool of a squeeze-and-excitation / ECA module


def kind_of(op: str, attrs: dict, role: str | None = None, profile: str = "torchvision", family: str = "") -> str:
    """The op kind a counter sees: global and adaptive pools split by mode (avg / max); in a model written as
    ``profile``'s library writes it (``timm``: code form ``timm-code``), timm's squeeze ``x.mean((2, 3))`` is
    ``mean``, its GroupNorm (``timm.layers.GroupNorm``, a subclass) ``timm_groupnorm``, the BatchNorm of its
    RegNet (``BatchNormAct2d``, a subclass) ``timm_batchnorm_act``, its GELU (``timm.layers.GELU``, an
    ``nn.Module`` calling ``F.gelu``, not ``nn.GELU``) ``timm_gelu`` and its channels-last LayerNorm
    (``timm.layers.LayerNorm``, a subclass) ``timm_layernorm``."""
    if profile == "timm" and op == "global_pool" and attrs.get("mode") == "avg" and role in SQUEEZES:
        return "mean"
    if profile == "timm" and op == "groupnorm":
        return "timm_groupnorm"
    if profile == "timm" and family == "regnet" and op == "batchnorm":
        return "timm_batchnorm_act"
    if profile == "timm" and op == "gelu":
        return "timm_gelu"
    if profile == "timm" and op == "layernorm" and attrs.get("channels_last"):
        return "timm_layernorm"
    if op in ("global_pool", "adaptive_pool"):
        return f"adaptive_{attrs['mode']}pool"
    if op == "layernorm" and not attrs.get("channels_last"):
        return "layernorm2d"  # printed as LayerNorm2d (an nn.LayerNorm subclass) on N×C×H×W
    if op == "layer_scale" and attrs.get("mul_call"):
        return "layer_scale_mul"  # printed as x.mul(gamma) (timm)
    return op


def explicit_padding(op: str, attrs: dict) -> bool:
    """Whether the generated PyTorch code pads with ``F.pad`` before the module (code form ``explicit-pad``)."""
    padding = attrs.get("padding")
    if op not in ("conv", "maxpool", "avgpool") or not padding or not any(padding):
        return False
    top, bottom, left, right = padding
    asymmetric = top != bottom or left != right
    return asymmetric or (op == "maxpool" and attrs.get("nonnegative_input") is False)


def module_view(op: str, attrs: dict, shape: Shape) -> tuple[Shape, tuple[int, int]]:
    """(input shape, symmetric (top, left) padding) of the module call that computes the op."""
    padding = attrs.get("padding") or (0, 0, 0, 0)
    top, bottom, left, right = padding
    if explicit_padding(op, attrs):
        c, h, w = shape
        return (c, h + top + bottom, w + left + right), (0, 0)
    return shape, (top, left)


def _covered(size: int, out: int, kernel: int, stride: int, pad: int, include_pad: bool) -> int:
    """Input positions summed over every window along one axis (each once per window holding it)."""
    lower, upper = (-pad, size + pad) if include_pad else (0, size)
    return sum(max(min(i * stride - pad + kernel, upper) - max(i * stride - pad, lower), 0) for i in range(out))


def _adaptive_window(size: int, out: int) -> int:
    """Window sizes summed along one axis of an adaptive pool: output j spans [j·I // O, ⌈(j+1)·I / O⌉)."""
    if size == out:
        return out
    return sum(-(-(j + 1) * size // out) - j * size // out for j in range(out))


def windows(op: str, attrs: dict, ins: list[Shape], out: Shape) -> int:
    """Pooled input elements, counted once per window (average pools; 0 for other ops)."""
    if op == "avgpool":
        shape, (pt, pl) = module_view(op, attrs, ins[0])
        kh, kw = attrs["kernel"]
        sh, sw = attrs["stride"]
        include = attrs.get("count_include_pad", True)
        rows = _covered(shape[1], out[1], kh, sh, pt, include)
        return shape[0] * rows * _covered(shape[2], out[2], kw, sw, pl, include)
    if kind_of(op, attrs) == "adaptive_avgpool":
        return math.prod(_adaptive_window(i, o) for i, o in zip(ins[0], out))
    return 0


def thop_0_1_adaptive(op: str, attrs: dict, ins: list[Shape], out: Shape) -> int:
    """thop 0.1.1's adaptive average pool: ``int((∏ input/output spatial sizes + 1) × output elements)``, the
    ratios in float64 (fractional when the output size does not divide the input's)."""
    ratio = 1.0
    for i, o in zip(ins[0][1:], out[1:]):
        ratio *= float(i) / float(o)
    return int((ratio + 1) * math.prod(out))


def bias(op: str, attrs: dict, ins: list[Shape], out: Shape) -> int:
    """Additions of a bias: one per output element of a conv or linear that has one."""
    return math.prod(out) if op in ("conv", "channel_conv", "linear") and attrs.get("bias") else 0


def module_input(op: str, attrs: dict, ins: list[Shape], out: Shape) -> int:
    return math.prod(module_view(op, attrs, ins[0])[0]) if ins else 0


TERMS: dict[str, Callable[..., int]] = {
    "in": module_input,
    "out": lambda op, attrs, ins, out: math.prod(out),
    "bias": bias,
    "windows": windows,
    "thop_0_1_adaptive": thop_0_1_adaptive,
}
"""``macs`` is not here: it is the IR's own per-op figure (the ``cost`` pass)."""
