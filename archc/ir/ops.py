"""Op kinds of the IR: for each, its required attributes, its shape rule and its cost rules.

Shapes are per sample, channels first: ``(C, H, W)`` for feature maps, ``(F,)`` after ``flatten``.
Cost conventions (README "Cost conventions"):
- MACs: multiply-accumulates of convolutions (2-D, and ECA's 1-D ``channel_conv``) and linear layers only
  (bias adds, norms, pools, adds excluded), the figure torchvision publishes as "GFLOPS" and
  FlopCounterMode reports halved.
- params: trainable parameters; buffers: BN running mean and variance (2 × C; GroupNorm and LayerNorm have
  none) and a blur pool's fixed filter (C × k × k; timm's BlurPool2d, whose MACs count as a depthwise conv's). LayerNorm over channels (2 × C params), GELU / ReLU6 / SiLU / Hardswish, layer scale (C params) and
  drop path (identity at inference, no params) count no MACs: they are neither convolutions nor linear layers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

Shape = tuple[int, ...]


class ShapeError(ValueError):
    """An op cannot produce a valid output from its inputs (e.g. the feature map shrinks below 1×1)."""


@dataclass(frozen=True)
class OpDef:
    """What archc knows of one op kind: its arity, required attributes, and its shape and cost rules."""

    kind: str
    arity: int | None  # number of inputs; None = any (≥ 2)
    required: tuple[str, ...]
    shape: Callable[[dict, list[Shape]], Shape]
    params: Callable[[dict, list[Shape], Shape], int] = lambda a, i, o: 0
    buffers: Callable[[dict, list[Shape], Shape], int] = lambda a, i, o: 0
    macs: Callable[[dict, list[Shape], Shape], int] = lambda a, i, o: 0
    weight_layer: bool = False  # counts towards depth when on the main path
    infer: Callable[[dict, list[Shape]], dict] = lambda a, i: {}  # attributes derived from input shapes


def _window(size: int, kernel: int, stride: int, pad: int, dilation: int = 1, ceil: bool = False) -> int:
    span = size + pad - dilation * (kernel - 1) - 1
    if not ceil:
        return span // stride + 1
    out = -(-span // stride) + 1
    # PyTorch's ceil_mode: the last window must start inside the input or the left padding.
    return out - 1 if (out - 1) * stride >= size + pad // 2 else out


def _spatial(attrs: dict, shape: Shape) -> tuple[int, int]:
    c, h, w = shape
    kh, kw = attrs["kernel"]
    sh, sw = attrs["stride"]
    top, bottom, left, right = attrs["padding"]
    dh, dw = attrs.get("dilation", (1, 1))
    ceil = attrs.get("ceil_mode", False)
    oh = _window(h, kh, sh, top + bottom, dh, ceil)
    ow = _window(w, kw, sw, left + right, dw, ceil)
    if oh < 1 or ow < 1:
        raise ShapeError(f"a {kh}x{kw} window with stride {sh} on a {h}x{w} feature map leaves {oh}x{ow}")
    return oh, ow


def _need_map(shape: Shape) -> None:
    if len(shape) != 3:
        raise ShapeError(f"expects a C×H×W feature map, got shape {shape}")


def _conv_shape(a: dict, ins: list[Shape]) -> Shape:
    _need_map(ins[0])
    if ins[0][0] != a["in_channels"]:
        raise ShapeError(f"expects {a['in_channels']} input channels, got {ins[0][0]}")
    return (a["out_channels"], *_spatial(a, ins[0]))


def _conv_params(a: dict, ins, out) -> int:
    kh, kw = a["kernel"]
    weights = a["out_channels"] * (a["in_channels"] // a["groups"]) * kh * kw
    return weights + (a["out_channels"] if a["bias"] else 0)


def _conv_macs(a: dict, ins, out: Shape) -> int:
    kh, kw = a["kernel"]
    return math.prod(out) * (a["in_channels"] // a["groups"]) * kh * kw


def _same(a: dict, ins: list[Shape]) -> Shape:
    return ins[0]


def _bn_shape(a: dict, ins: list[Shape]) -> Shape:
    if ins[0][0] != a["channels"]:
        raise ShapeError(f"normalises {a['channels']} channels, got {ins[0][0]}")
    return ins[0]


def _gn_shape(a: dict, ins: list[Shape]) -> Shape:
    if a["channels"] % a["groups"]:
        raise ShapeError(f"{a['groups']} groups do not divide {a['channels']} channels")
    return _bn_shape(a, ins)


def _per_channel_shape(a: dict, ins: list[Shape]) -> Shape:
    """LayerNorm over channels and layer scale: per-channel parameters on a (C, …) tensor."""
    if ins[0][0] != a["channels"]:
        raise ShapeError(f"acts on {a['channels']} channels, got {ins[0][0]}")
    return ins[0]


ACTIVATIONS = ("relu", "relu6", "gelu", "silu", "hardswish")  # element-wise, no params, no MACs


def _channel_conv_shape(a: dict, ins: list[Shape]) -> Shape:
    """ECA's 1-D conv slides along the channels of a pooled (C, 1, 1) map; zero padding k // 2 keeps C."""
    if ins[0] != (a["channels"], 1, 1):
        raise ShapeError(f"expects a pooled {a['channels']}×1×1 map, got shape {ins[0]}")
    return ins[0]


def _pool_shape(a: dict, ins: list[Shape]) -> Shape:
    _need_map(ins[0])
    return (ins[0][0], *_spatial(a, ins[0]))


def _blur_shape(a: dict, ins: list[Shape]) -> Shape:
    if ins[0][0] != a["channels"]:
        raise ShapeError(f"blurs {a['channels']} channels, got {ins[0][0]}")
    return _pool_shape(a, ins)


def _global_shape(a: dict, ins: list[Shape]) -> Shape:
    _need_map(ins[0])
    return (ins[0][0], 1, 1)


def _adaptive_shape(a: dict, ins: list[Shape]) -> Shape:
    _need_map(ins[0])
    return (ins[0][0], *a["size"])


def _linear_infer(a: dict, ins: list[Shape]) -> dict:
    """``in_features: None`` (a flatten without a pool in front, as Keras VGG) is the input's size."""
    return {"in_features": ins[0][0]} if a["in_features"] is None and len(ins[0]) == 1 else {}


def _linear_shape(a: dict, ins: list[Shape]) -> Shape:
    if ins[0] != (a["in_features"],):
        raise ShapeError(f"expects {a['in_features']} features, got shape {ins[0]}")
    return (a["out_features"],)


def _add_shape(a: dict, ins: list[Shape]) -> Shape:
    if any(s != ins[0] for s in ins):
        raise ShapeError("adds tensors of different shapes: " + " + ".join("×".join(map(str, s)) for s in ins))
    return ins[0]


def _scale_shape(a: dict, ins: list[Shape]) -> Shape:
    """A feature map times a per-channel gate (squeeze-and-excitation): (C, H, W) × (C, 1, 1)."""
    _need_map(ins[0])
    if ins[1] != (ins[0][0], 1, 1):
        raise ShapeError(f"scales {ins[0][0]} channels by a gate of shape {ins[1]}")
    return ins[0]


def _subsample_shape(a: dict, ins: list[Shape]) -> Shape:
    _need_map(ins[0])
    c, h, w = ins[0]
    s = a["stride"]
    return (c, -(-h // s), -(-w // s))


def _pad_channels_shape(a: dict, ins: list[Shape]) -> Shape:
    c, *rest = ins[0]
    return (a["before"] + c + a["after"], *rest)


OPS: dict[str, OpDef] = {
    op.kind: op
    for op in [
        OpDef("input", 0, ("channels", "size"), lambda a, i: (a["channels"], *a["size"])),
        OpDef(
            "conv",
            1,
            (
                "in_channels",
                "out_channels",
                "kernel",
                "stride",
                "padding",
                "dilation",
                "groups",
                "bias",
            ),
            _conv_shape,
            params=_conv_params,
            macs=_conv_macs,
            weight_layer=True,
        ),
        OpDef(
            "batchnorm",
            1,
            ("channels", "eps", "momentum"),
            _bn_shape,
            params=lambda a, i, o: 2 * a["channels"],
            buffers=lambda a, i, o: 2 * a["channels"],
        ),
        OpDef(  # GroupNorm (Wu & He, 2018): a per-channel affine, no running statistics
            "groupnorm",
            1,
            ("channels", "groups", "eps"),
            _gn_shape,
            params=lambda a, i, o: 2 * a["channels"],
        ),
        OpDef(  # ECA's Conv1d(1, 1, k) over the channel axis: C × k multiply-accumulates, k weights
            "channel_conv",
            1,
            ("channels", "kernel", "bias"),
            _channel_conv_shape,
            params=lambda a, i, o: a["kernel"] + (1 if a["bias"] else 0),
            macs=lambda a, i, o: a["channels"] * a["kernel"],
        ),
        *(OpDef(kind, 1, (), _same) for kind in ACTIVATIONS),
        OpDef(  # LayerNorm over the channels of each position (timm's LayerNorm2d; ``channels_last``: nn.LayerNorm
            # on an N×H×W×C tensor, a backend hint): a per-channel affine, no running statistics
            "layernorm",
            1,
            ("channels", "eps"),
            _per_channel_shape,
            params=lambda a, i, o: 2 * a["channels"],
        ),
        OpDef(  # layer scale (CaiT; ConvNeXt's gamma): x × a learnt per-channel vector
            "layer_scale",
            1,
            ("channels", "init"),
            _per_channel_shape,
            params=lambda a, i, o: a["channels"],
        ),
        OpDef("drop_path", 1, ("rate",), _same),  # stochastic depth: identity at inference, no cost
        OpDef("maxpool", 1, ("kernel", "stride", "padding"), _pool_shape),
        OpDef("avgpool", 1, ("kernel", "stride", "padding"), _pool_shape),  # optional: ceil_mode, count_include_pad
        OpDef(  # timm's BlurPool2d: a fixed binomial filter per channel (a buffer), reflect padding, the stride;
            # F.conv2d with groups = C: out elements × kh × kw multiply-accumulates, as FlopCounterMode counts it
            "blurpool",
            1,
            ("channels", "kernel", "stride", "padding"),
            _blur_shape,
            buffers=lambda a, i, o: a["channels"] * a["kernel"][0] * a["kernel"][1],
            macs=lambda a, i, o: math.prod(o) * a["kernel"][0] * a["kernel"][1],
        ),
        OpDef("global_pool", 1, ("mode",), _global_shape),
        OpDef("adaptive_pool", 1, ("mode", "size"), _adaptive_shape),  # torchvision VGG: AdaptiveAvgPool2d(7)
        OpDef("flatten", 1, (), lambda a, i: (math.prod(i[0]),)),
        OpDef(
            "linear",
            1,
            ("in_features", "out_features", "bias"),
            _linear_shape,
            params=lambda a, i, o: a["in_features"] * a["out_features"] + (a["out_features"] if a["bias"] else 0),
            macs=lambda a, i, o: a["in_features"] * a["out_features"],
            weight_layer=True,
            infer=_linear_infer,
        ),
        OpDef("dropout", 1, ("rate",), _same),  # identity at inference, no cost
        OpDef("sigmoid", 1, (), _same),
        OpDef("scale", 2, (), _scale_shape),
        OpDef("add", None, (), _add_shape),
        OpDef("subsample", 1, ("stride",), _subsample_shape),
        OpDef("pad_channels", 1, ("before", "after"), _pad_channels_shape),
    ]
}
