"""The layer constructors, each written as its library writes it. One printer per IR op kind for the ops the model
class holds itself (stem, stage pools, head, VGG's flat ``features``): the module constructor
(``nn.Conv2d(3, 64, kernel_size=7, …)``) or the functional expression (``torch.flatten(x, 1)``), with the op's own
numbers; adding an op to the IR means adding one entry to :data:`PRINTERS`. Blocks are printed from their recipe
(:mod:`.blocks`), which shares the constructors of norms, activations (timm's own ``GELU`` class under the timm
profile, torch's elsewhere) and a recipe's conv (:func:`conv2d`; RegNet's projection too); a recipe's ``linear``
conv (``nn.Linear`` on channels-last) and layer scale are the blocks' writer's. The counters' code forms
(:func:`archc.counters.terms.kind_of`) assume exactly these.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from archc.diagnostics import Unsupported
from archc.ir.recipe import Conv
from archc.ir.rules import blur_padding

# The ops (IR names; a block's steps are tagged alike) whose output no autograd backward needs: a ReLU or an
# addition after one may overwrite it in place (``scale``: squeeze-and-excitation's product).
OVERWRITABLE = {"conv", "linear", "batchnorm", "groupnorm", "layernorm", "add", "scale"}
ACTIVATIONS = {"relu": "nn.ReLU()", "relu6": "nn.ReLU6()", "gelu": "nn.GELU()", "silu": "nn.SiLU()",
               "hardswish": "nn.Hardswish()"}  # fmt: skip


class EmitError(Unsupported):
    """A spec the PyTorch backend cannot express: E403, located at ``origin`` (a spec path)."""

    def __init__(self, message: str, origin: tuple = ()):
        super().__init__(message)
        self.origin = origin


@dataclass(frozen=True)
class Printer:
    module: Callable[[dict, bool], str] | None = None  # (attrs, inplace) → constructor; None: functional
    call: Callable[[dict, str, list[str]], str] | None = None  # (attrs, module ref, inputs) → expression


def pair(v: tuple[int, int]) -> str:
    return str(v[0]) if v[0] == v[1] else f"({v[0]}, {v[1]})"


def symmetric(padding: tuple[int, int, int, int]) -> tuple[int, int] | None:
    top, bottom, left, right = padding
    return (top, left) if top == bottom and left == right else None


def needs_explicit_pad(a: dict) -> bool:
    """Asymmetric padding, or a padded max pool whose input may be negative (the IR pads max pools with
    zeros as Keras does; MaxPool2d pads with -inf): printed as ``F.pad`` in front of the module."""
    return a.get("nonnegative_input") is False or symmetric(a["padding"]) is None


def _window_args(a: dict, always_stride: bool) -> list[str]:
    args = [] if a["stride"] == (1, 1) and not always_stride else [f"stride={pair(a['stride'])}"]
    pad = (0, 0) if needs_explicit_pad(a) else symmetric(a["padding"])
    return args + ([f"padding={pair(pad)}"] if pad != (0, 0) else [])


def conv(a: dict, inplace: bool = False) -> str:
    args = [str(a["in_channels"]), str(a["out_channels"]), f"kernel_size={pair(a['kernel'])}", *_window_args(a, False)]
    if a["dilation"] != (1, 1):
        args.append(f"dilation={pair(a['dilation'])}")
    if a["groups"] != 1:
        args.append(f"groups={a['groups']}")
    if not a["bias"]:
        args.append("bias=False")
    return f"nn.Conv2d({', '.join(args)})"


def conv2d(step: Conv, cin: str, width: str, groups: str, padding: list[str] | None = None) -> str:
    """A recipe's conv as ``nn.Conv2d``: the block's ``stride`` argument where the step strides, "same" padding
    (or ``padding``: a dilated conv's), its groups and bias."""
    args = [cin, width, f"kernel_size={step.kernel}"] + ["stride=stride"] * step.stride
    args += [f"padding={step.kernel // 2}"] * (step.kernel > 1) if padding is None else padding
    return f"nn.Conv2d({', '.join(args + [f'groups={groups}'] * (groups != '1') + ['bias=False'] * (not step.bias))})"


def activation(fn: str, timm: bool = False) -> str:
    """``nn.GELU()`` (timm: its own ``GELU()`` class, which counters see apart), ``nn.ReLU6()``, …"""
    return "GELU()" if fn == "gelu" and timm else ACTIVATIONS[fn]


def batchnorm(channels: str, eps: float, momentum: float) -> str:
    args = [channels]
    if eps != 1e-5:
        args.append(f"eps={eps!r}")
    if momentum != 0.1:
        args.append(f"momentum={momentum!r}")
    return f"nn.BatchNorm2d({', '.join(args)})"


def groupnorm(groups: int, channels: str, eps: float, timm: bool = False) -> str:
    """``nn.GroupNorm(groups, channels)``, or timm's subclass (the generated ``GroupNorm``: channels first)."""
    eps_arg = "" if eps == 1e-5 else f", eps={eps!r}"
    if timm:
        return f"GroupNorm({channels}, num_groups={groups}{eps_arg})"
    return f"nn.GroupNorm({groups}, {channels}{eps_arg})"


def layer_norm(channels: str, eps: float, channels_last: bool, timm: bool = False) -> str:
    """A LayerNorm over ``channels``: ``LayerNorm2d`` on N×C×H×W, else ``nn.LayerNorm`` (timm: ``LayerNorm``)."""
    eps_arg = "" if eps == 1e-5 else f", eps={eps!r}"
    if not channels_last:
        return f"LayerNorm2d({channels}{eps_arg})"
    return f"{'LayerNorm' if timm else 'nn.LayerNorm'}({channels}{eps_arg})"


def norm_layer(norm, channels: str, timm: bool = False, channels_last: bool = False) -> str:
    """The constructor of a block definition's norm (:class:`archc.ir.recipe.NormSpec`) on ``channels``; ``timm``:
    the spec's PyTorch naming profile is timm's (its GroupNorm and LayerNorm classes); ``channels_last``: it
    runs on N×H×W×C (a LayerNorm feeding an ``nn.Linear``)."""
    if norm.kind == "layernorm":
        return layer_norm(channels, norm.eps, channels_last, timm)
    if channels_last:
        raise EmitError(f"a {norm.kind} on a channels-last tensor (in front of a 'linear: true' conv); only a "
                        "LayerNorm runs on channels-last", ("defaults", "norm"))  # fmt: skip
    if norm.kind == "groupnorm":
        return groupnorm(norm.groups, channels, norm.eps, timm)
    return batchnorm(channels, norm.eps, norm.momentum)


def _pool(cls: str) -> Callable[[dict, bool], str]:
    def module(a: dict, inplace: bool = False) -> str:
        args = [f"kernel_size={pair(a['kernel'])}", *_window_args(a, True)]
        if a.get("ceil_mode"):
            args.append("ceil_mode=True")
        if a.get("count_include_pad") is False:
            args.append("count_include_pad=False")
        return f"nn.{cls}({', '.join(args)})"

    return module


def _padded_call(value: str = "") -> Callable[[dict, str, list[str]], str]:
    def call(a: dict, ref: str, ins: list[str]) -> str:
        if not needs_explicit_pad(a):
            return f"{ref}({ins[0]})"
        top, bottom, left, right = a["padding"]
        fill = value if a.get("nonnegative_input") is not False and symmetric(a["padding"]) is None else ""
        return f"{ref}(F.pad({ins[0]}, ({left}, {right}, {top}, {bottom}){fill}))"

    return call


_ADAPTIVE = {"avg": "AdaptiveAvgPool2d", "max": "AdaptiveMaxPool2d"}


def _blur(a: dict) -> str:
    """The generated BlurPool2d (timm's): its padding is timm's rule of filter size and stride."""
    (k, kw), (s, sw) = a["kernel"], a["stride"]
    if (k, s) != (kw, sw) or a["padding"] != (blur_padding(k, s),) * 4:
        raise EmitError("a blur pool whose padding or window is not timm's BlurPool2d's")
    return f"BlurPool2d({a['channels']}{f', filt_size={k}' if k != 3 else ''}, stride={s})"


def _linear(a: dict, inplace: bool = False) -> str:
    return f"nn.Linear({a['in_features']}, {a['out_features']}{'' if a['bias'] else ', bias=False'})"


PRINTERS: dict[str, Printer] = {
    "conv": Printer(conv, _padded_call()),
    "batchnorm": Printer(lambda a, i: batchnorm(str(a["channels"]), a["eps"], a["momentum"])),
    "groupnorm": Printer(lambda a, i: groupnorm(a["groups"], str(a["channels"]), a["eps"])),
    "relu": Printer(lambda a, inplace: "nn.ReLU(inplace=True)" if inplace else "nn.ReLU()"),
    "maxpool": Printer(_pool("MaxPool2d"), _padded_call(', value=float("-inf")')),
    "avgpool": Printer(_pool("AvgPool2d"), _padded_call()),
    "blurpool": Printer(lambda a, i: _blur(a)),
    "global_pool": Printer(lambda a, i: f"nn.{_ADAPTIVE[a['mode']]}((1, 1))"),
    "adaptive_pool": Printer(lambda a, i: f"nn.{_ADAPTIVE[a['mode']]}({tuple(a['size'])})"),
    "dropout": Printer(lambda a, i: f"nn.Dropout(p={a['rate']!r})"),
    "sigmoid": Printer(lambda a, i: "nn.Sigmoid()"),
    "flatten": Printer(call=lambda a, ref, ins: f"torch.flatten({ins[0]}, 1)"),
    "linear": Printer(_linear),
    "layernorm": Printer(lambda a, i: layer_norm(str(a["channels"]), a["eps"], False)),  # on N×C×H×W
    **{fn: Printer(lambda a, i, fn=fn: ACTIVATIONS[fn]) for fn in ACTIVATIONS if fn != "relu"},
}


_TIMM = {
    "groupnorm": Printer(lambda a, i: groupnorm(a["groups"], str(a["channels"]), a["eps"], True)),
    "gelu": Printer(lambda a, i: activation("gelu", timm=True)),
}


def printer(op: str, origin: tuple = (), profile: str = "torchvision") -> Printer:
    """How ``op`` is written outside a block; the timm profile writes its GroupNorm and GELU as timm's classes."""
    if profile == "timm" and op in _TIMM:
        return _TIMM[op]
    try:
        return PRINTERS[op]
    except KeyError:
        raise EmitError(f"a {op} op outside a block has no PyTorch form", origin) from None
