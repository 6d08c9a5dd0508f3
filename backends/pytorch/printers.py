"""One printer per IR op kind: how the op reads in PyTorch source.

A printer declares which attributes are *sizes* (they may differ between the blocks that share a class and
are resolved to expressions such as ``width * 4`` or ``stride``), and prints either a module constructor
(``nn.Conv2d(...)``, called as ``self.conv1(x)`` in ``forward``) or a functional expression
(``torch.flatten(x, 1)``). Every other attribute is structural: blocks of one class agree on it.
Adding an op to the IR means adding one entry to :data:`PRINTERS`.

Size kinds: ``cin`` (the op's input channels), ``cout`` (its output channels: the op defines them),
``stride``, ``groups``, ``pad_before`` / ``pad_after`` (channel zero-padding of an option-A shortcut).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .exprs import EmitError


@dataclass
class OpCtx:
    """What a printer sees: sizes as printed text, structural attributes, the module reference."""

    attrs: dict  # the IR attributes (structural ones are the same for every block of the class)
    sizes: dict[str, list[str]]  # size attribute → printed text per element (one for a scalar)
    ref: str = ""  # ``self.conv1`` for module ops
    inplace: bool = False  # relu: safe to overwrite its input

    def size(self, name: str) -> str:
        """A size printed as a scalar when all its elements agree, else as a tuple."""
        parts = self.sizes[name]
        return parts[0] if len(set(parts)) == 1 else f"({', '.join(parts)})"


@dataclass(frozen=True)
class Printer:
    sizes: dict[str, str] = field(default_factory=dict)  # attribute → size kind
    module: Callable[[OpCtx], str] | None = None  # constructor text; None → functional op
    call: Callable[[OpCtx, list[str]], str] | None = None  # forward expression from input texts
    forward_sizes: bool = False  # the forward expression uses sizes (stored on the module when not literal)
    after: Callable[[OpCtx, str], list[str]] | None = None  # lines after the constructor, given the module ref


def _pair(v: tuple[int, int]) -> str:
    return str(v[0]) if v[0] == v[1] else f"({v[0]}, {v[1]})"


def _symmetric(padding: tuple[int, int, int, int]) -> tuple[int, int] | None:
    top, bottom, left, right = padding
    return (top, left) if top == bottom and left == right else None


def _explicit_pad(x: str, padding: tuple[int, int, int, int], value: str = "") -> str:
    top, bottom, left, right = padding
    return f"F.pad({x}, ({left}, {right}, {top}, {bottom}){value})"


def _zero_padded_max(ctx: OpCtx) -> bool:
    """A padded max pool whose input may be negative: the IR pads with zeros, MaxPool2d with -inf."""
    return ctx.attrs.get("nonnegative_input") is False


def _window_args(ctx: OpCtx) -> list[str]:
    """``stride=…, padding=…`` of a conv or pool (padding 0 here when it must be explicit)."""
    args = []
    pad = (_symmetric(ctx.attrs["padding"]) if not _zero_padded_max(ctx) else None) or (0, 0)
    if pad != (0, 0):
        args.append(f"padding={_pair(pad)}")
    return args


def _conv(ctx: OpCtx) -> str:
    a = ctx.attrs
    args = [ctx.size("in_channels"), ctx.size("out_channels"), f"kernel_size={_pair(a['kernel'])}"]
    if ctx.size("stride") != "1":
        args.append(f"stride={ctx.size('stride')}")
    args += _window_args(ctx)
    if a["dilation"] != (1, 1):
        args.append(f"dilation={_pair(a['dilation'])}")
    if ctx.size("groups") != "1":
        args.append(f"groups={ctx.size('groups')}")
    if not a["bias"]:
        args.append("bias=False")
    return f"nn.Conv2d({', '.join(args)})"


def _padded_call(value: str = "") -> Callable[[OpCtx, list[str]], str]:
    """Call the module; asymmetric padding (Keras "same" at stride 2) goes in front as ``F.pad``."""

    def call(ctx: OpCtx, ins: list[str]) -> str:
        x = ins[0]
        if _zero_padded_max(ctx):
            x = _explicit_pad(x, ctx.attrs["padding"])
        elif _symmetric(ctx.attrs["padding"]) is None:
            x = _explicit_pad(x, ctx.attrs["padding"], value)
        return f"{ctx.ref}({x})"

    return call


def _pool(cls: str) -> Callable[[OpCtx], str]:
    def module(ctx: OpCtx) -> str:
        args = [f"kernel_size={_pair(ctx.attrs['kernel'])}", f"stride={ctx.size('stride')}", *_window_args(ctx)]
        if ctx.attrs.get("ceil_mode"):
            args.append("ceil_mode=True")
        if ctx.attrs.get("count_include_pad") is False:
            args.append("count_include_pad=False")
        return f"nn.{cls}({', '.join(args)})"

    return module


def _batchnorm(ctx: OpCtx) -> str:
    args = [ctx.size("channels")]
    if ctx.attrs["eps"] != 1e-5:
        args.append(f"eps={ctx.attrs['eps']!r}")
    if ctx.attrs["momentum"] != 0.1:
        args.append(f"momentum={ctx.attrs['momentum']!r}")
    return f"nn.BatchNorm2d({', '.join(args)})"


def _zero_init(ctx: OpCtx, ref: str) -> list[str]:
    """``zero_init_last_bn``: the branch's last BN starts as a zero gate (torchvision ``zero_init_residual``)."""
    return [f"nn.init.zeros_({ref}.weight)"] if ctx.attrs.get("zero_init") else []


def _adaptive(ctx: OpCtx) -> str:
    cls = {"avg": "AdaptiveAvgPool2d", "max": "AdaptiveMaxPool2d"}[ctx.attrs["mode"]]
    return f"nn.{cls}({tuple(ctx.attrs['size'])})"


def _linear(ctx: OpCtx) -> str:
    bias = "" if ctx.attrs["bias"] else ", bias=False"
    return f"nn.Linear({ctx.size('in_features')}, {ctx.size('out_features')}{bias})"


def _slice_step(s: str) -> str:
    return f"::{s}" if s.isidentifier() or s.isdigit() else f":: {s}"


def _subsample(ctx: OpCtx, ins: list[str]) -> str:
    s = _slice_step(ctx.size("stride"))
    return f"{ins[0]}[:, :, {s}, {s}]"


def _pad_channels(ctx: OpCtx, ins: list[str]) -> str:
    return f"F.pad({ins[0]}, (0, 0, 0, 0, {ctx.size('before')}, {ctx.size('after')}))"


_GLOBAL = {"avg": "nn.AdaptiveAvgPool2d((1, 1))", "max": "nn.AdaptiveMaxPool2d((1, 1))"}

PRINTERS: dict[str, Printer] = {
    "conv": Printer(
        sizes={"in_channels": "cin", "out_channels": "cout", "stride": "stride", "groups": "groups"},
        module=_conv,
        call=_padded_call(),
    ),
    "batchnorm": Printer(sizes={"channels": "cin"}, module=_batchnorm, after=_zero_init),
    "relu": Printer(module=lambda ctx: "nn.ReLU(inplace=True)" if ctx.inplace else "nn.ReLU()"),
    "maxpool": Printer(
        sizes={"stride": "stride"}, module=_pool("MaxPool2d"), call=_padded_call(', value=float("-inf")')
    ),
    "avgpool": Printer(sizes={"stride": "stride"}, module=_pool("AvgPool2d"), call=_padded_call()),
    "global_pool": Printer(module=lambda ctx: _GLOBAL[ctx.attrs["mode"]]),
    "adaptive_pool": Printer(module=_adaptive),
    "dropout": Printer(module=lambda ctx: f"nn.Dropout(p={ctx.attrs['rate']!r})"),
    "sigmoid": Printer(module=lambda ctx: "nn.Sigmoid()"),
    "scale": Printer(call=lambda ctx, ins: f"{ins[0]} * {ins[1]}"),
    "flatten": Printer(call=lambda ctx, ins: f"torch.flatten({ins[0]}, 1)"),
    "linear": Printer(sizes={"in_features": "cin", "out_features": "cout"}, module=_linear),
    "add": Printer(call=lambda ctx, ins: " + ".join(ins)),
    "subsample": Printer(sizes={"stride": "stride"}, call=_subsample, forward_sizes=True),
    "pad_channels": Printer(
        sizes={"before": "pad_before", "after": "pad_after"}, call=_pad_channels, forward_sizes=True
    ),
}


def printer(op: str) -> Printer:
    try:
        return PRINTERS[op]
    except KeyError:
        raise EmitError(f"no printer for IR op {op!r} (add one to PRINTERS in backends/pytorch/printers.py)") from None


def uses_functional(text: str) -> bool:
    return "F." in text
