"""One ``nn.Module`` class per block definition, printed from its plan (:class:`archc.ir.blocks.BlockDef`),
parameterised as torchvision's ``resnet.py`` is: ``inplanes, planes, stride, downsample, groups,
base_width, dilation``; ``expansion`` a class attribute; ``width = int(planes * (base_width / 64.0)) *
groups``. Nothing is read back from the ops: sizes are expressions of the constructor's parameters.

Attribute names come from the spec's PyTorch naming profile (torchvision:
:func:`archc.ir.naming.torchvision_block_attr`; timm: :func:`archc.ir.timm_names.timm_block_attr`, with one
activation module per position, ``act1``, ``act2``, …), so the state-dict keys are the IR's names. Variants of a kind are parameters or attributes of its class
(option A's ``pad_before``/``pad_after``, a strided identity's ``stride``) or words of its name (``PreAct``,
``SE``, ``Plain``), never a number.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from archc.ir.blocks import UNITS, BlockDef
from archc.ir.naming import torchvision_block_attr
from archc.ir.timm_names import timm_block_attr

from .printers import EmitError, norm_layer

KIND = {"basic": "BasicBlock", "bottleneck": "Bottleneck", "single": "ConvBlock"}
UNIT_WORD = {
    "original": "",
    "bn_after_addition": "BNAfterAdd",
    "relu_before_addition": "ReLUBeforeAdd",
    "relu_only_preactivation": "ReLUPreAct",
    "full_preactivation": "PreAct",
}
# Producers whose output no autograd backward needs: a ReLU or an addition may overwrite it in place.
_OVERWRITABLE = {"conv", "bn", "add", "se"}


@dataclass
class BlockClass:
    name: str
    doc: list[str]
    expansion: int
    signature: str
    init: list[str] = field(default_factory=list)
    forward: list[str] = field(default_factory=list)
    takes_downsample: bool = False
    takes_groups: bool = False
    takes_group_width: bool = False  # RegNet: groups = width // group_width, the group width per stage
    bottleneck_ratio: float | None = None  # RegNet: a class attribute, width = round(planes × ratio)
    dilations: tuple[str, ...] = ()  # the dilation parameters it takes: (), ("dilation",) or both


def unit_name(d: BlockDef) -> str | None:
    return next((name for name, unit in UNITS.items() if unit == d.unit), None)


def class_name(d: BlockDef) -> str:
    word = UNIT_WORD.get(unit_name(d) or "", "Custom") if unit_name(d) != "original" else ""
    plain = "Plain" if d.shortcut == "none" else ""
    attention = {"se": "SE", "eca": "ECA"}[d.attention.kind] if d.attention else ""
    return f"{plain}{attention}{word}{KIND[d.kind]}"


def block_class(d: BlockDef, dilated: bool, profile: str = "torchvision", group_width: bool = False) -> BlockClass:
    """The class of a definition; ``dilated``: some block of the model dilates its 3x3 convs; ``profile``:
    the naming profile of its attributes (torchvision | timm); ``group_width``: its blocks have a group width
    per stage (RegNet: ``groups = width // group_width``)."""
    layout = d.layout
    regnet = d.bottleneck_ratio is not None or group_width
    if regnet and not (d.bottleneck_ratio is not None and group_width):
        raise EmitError("a stage needs both group_width and bottleneck_ratio (or neither)", ("stages",))
    takes_groups = not regnet and (
        d.kind == "bottleneck" or ("inner" in layout.widths and (d.groups, d.base_width) != (1, 64))
    )
    threes = [i for i, k in enumerate(layout.kernels) if k > 1]
    dilations = (("first_dilation",) if len(threes) > 1 else ()) + ("dilation",) if dilated else ()
    params = ["inplanes: int", "planes: int", "stride: int = 1"]
    params += ["downsample: nn.Module | None = None"] * (d.shortcut in ("B", "C"))
    params += ["groups: int = 1", "base_width: int = 64"] * takes_groups
    params += ["group_width: int = 1"] * regnet
    params += [f"{p}: int = 1" for p in dilations]
    cls = BlockClass(class_name(d), _doc(d), d.expansion, ", ".join(params), takes_downsample=d.shortcut in ("B", "C"))
    cls.takes_groups, cls.takes_group_width, cls.dilations = takes_groups, regnet, dilations
    cls.bottleneck_ratio = d.bottleneck_ratio
    cls.init, cls.forward = _Writer(d, takes_groups, dilations, profile, regnet).lines()
    return cls


class _Writer:
    """Walks the definition's ops once, writing ``__init__`` and ``forward`` side by side."""

    def __init__(self, d: BlockDef, takes_groups: bool, dilations: tuple[str, ...], profile: str, regnet: bool):
        self.d, self.dilations, self.timm, self.regnet = d, dilations, profile == "timm", regnet
        self.inner = "width" if takes_groups or regnet else "planes"
        self.out = "planes" if d.expansion == 1 else "planes * self.expansion"
        self.init = ["width = int(planes * (base_width / 64.0)) * groups"] if takes_groups else []
        if regnet:  # RegNet's bottleneck width and group count (timm's ``bottle_ratio``, ``group_size``)
            self.init = [f"width = int(round({self.out} * self.bottleneck_ratio))"]
        self.forward: list[str] = ["identity = x"] if d.shortcut != "none" else []
        self.var, self.src, self.relu = "x", "input", ""  # "" none, "inplace", "out_of_place" (one keeps its input)

    def lines(self) -> tuple[list[str], list[str]]:
        d, layout = self.d, self.d.layout
        self.tokens(d.unit.preact, "preact", "inplanes")
        pre = self.var
        if d.unit.preact:
            self.shortcut(pre)
        cin, threes = "inplanes", 0
        for i, kernel in enumerate(layout.kernels):
            width = self.inner if layout.widths[i] == "inner" else self.out
            tokens = d.unit.last if i == len(layout.kernels) - 1 else d.unit.inner
            self.conv(i + 1, cin, width, kernel, i, threes, tokens)
            threes += kernel > 1
            self.tokens(tokens, str(i + 1), width)
            cin = width
            if d.attention is not None and d.attention.after == "3x3" and kernel > 1 and threes == 1:
                self.attention(width)  # RegNetY: after the 3x3 conv, its BN and ReLU
        if d.attention is not None and d.attention.after == "last":
            self.attention(self.out)
        if d.shortcut != "none":
            if not d.unit.preact:
                self.shortcut(pre)
            add = "out += identity" if self.src in _OVERWRITABLE else "out = out + identity"
            self.forward.append(add)
            self.src = "add"
        self.tokens(d.unit.after_add, "out", self.out)
        if self.relu:
            self.init.append("self.relu = nn.ReLU(inplace=True)" if self.relu == "inplace" else "self.relu = nn.ReLU()")
        self.init += self.shortcut_attributes()
        return self.init, [*self.forward, f"return {self.var}"]

    def conv(self, slot: int, cin: str, width: str, kernel: int, i: int, threes: int, tokens) -> None:
        d, layout = self.d, self.d.layout
        args = [cin, width, f"kernel_size={kernel}"]
        args += ["stride=stride"] * (i == layout.stride_slot[d.stride_at])
        if kernel > 1:
            dil = self.dilations[min(threes, len(self.dilations) - 1)] if self.dilations else None
            half = kernel // 2
            args.append(f"padding={dil if half == 1 else f'{half} * {dil}'}" if dil else f"padding={half}")
            args += [f"dilation={dil}"] if dil else []
        if i == layout.grouped_slot and self.regnet:
            args.append("groups=width // group_width")
        args += ["groups=groups"] * (i == layout.grouped_slot and self.inner == "width" and not self.regnet)
        args += ["bias=False"] * (not d.bias(tokens))
        self.module(f"conv{slot}", f"nn.Conv2d({', '.join(args)})", "conv")

    def tokens(self, tokens: tuple[str, ...], slot: str, channels: str) -> None:
        for token in tokens:
            kind = "bn" if token == "bn" else "act"
            role = f"{kind}{slot}" if slot.isdigit() else f"{slot}_{kind}"
            if token == "bn" and self.d.norm.kind != "none":
                self.module(self.attr(role), norm_layer(self.d.norm, channels), "bn")
            elif token == "relu":
                self.activation(role)

    def attr(self, role: str) -> str:
        return timm_block_attr(role, self.d) if self.timm else torchvision_block_attr(role)

    def attention(self, channels: str) -> None:
        """``self.se = SqueezeExcitation(C, hidden)`` or ``EfficientChannelAttention(C)`` (timm: ``self.se``)."""
        a = self.d.attention
        if a.kind == "eca":
            args = [channels] + [f"kernel_size={a.kernel}"] * bool(a.kernel)
            args += [f"gamma={a.gamma!r}", f"beta={a.beta!r}"] * (not a.kernel and (a.gamma, a.beta) != (2.0, 1.0))
            self.module(self.attr("eca_scale"), f"EfficientChannelAttention({', '.join(args)})", "se")
            return
        base = {"out": self.out, "in": "inplanes", "inner": self.inner}[a.of]
        limit = f", round_limit={a.round_limit!r}" if a.round_limit else ""
        if a.ratio is not None:
            value = f"{base} * {a.ratio!r}"
            hidden = (
                f"max(1, int(round({value})))" if a.divisor is None else f"make_divisible({value}, {a.divisor}{limit})"
            )
        elif a.divisor is None:
            hidden = f"max(1, {base} // {a.reduction})"
        else:
            hidden = f"make_divisible({base} / {a.reduction}, {a.divisor}{limit})"
        self.module(self.attr("se_scale"), f"SqueezeExcitation({channels}, {hidden})", "se")

    def activation(self, role: str) -> None:
        if self.timm:  # timm: one module per activation (act1, act2, …)
            inplace = "inplace=True" if self.src in _OVERWRITABLE else ""
            self.module(self.attr(role), f"nn.ReLU({inplace})", "relu")
            return
        # One nn.ReLU module per block (counters hook each call); in place only when no call's input must survive
        # (the block input is the identity; a ReLU's output is needed by its backward).
        if self.src not in _OVERWRITABLE:
            self.relu = "out_of_place"
        elif not self.relu:
            self.relu = "inplace"
        self.forward.append(f"out = self.relu({self.var})")
        self.var, self.src = "out", "relu"

    def module(self, attr: str, constructor: str, src: str) -> None:
        self.init.append(f"self.{attr} = {constructor}")
        self.forward.append(f"out = self.{attr}({self.var})")
        self.var, self.src = "out", src

    def shortcut(self, pre: str) -> None:
        d, f = self.d, self.forward
        if d.shortcut in ("B", "C"):
            f += ["if self.downsample is not None:", f"    identity = self.downsample({pre})"]
        if d.shortcut == "A" or (d.shortcut == "B" and d.strided_identity == "subsample"):
            f += ["elif self.stride != 1:" if d.shortcut == "B" else "if self.stride != 1:"]
            f += ["    identity = x[:, :, :: self.stride, :: self.stride]"]
        if d.shortcut == "A":
            f += [
                "if self.pad_after > 0:",
                "    identity = F.pad(identity, (0, 0, 0, 0, self.pad_before, self.pad_after))",
            ]

    def shortcut_attributes(self) -> list[str]:
        d = self.d
        lines = ["self.downsample = downsample"] if d.shortcut in ("B", "C") else []
        if d.shortcut == "A" or (d.shortcut == "B" and d.strided_identity == "subsample"):
            lines.append("self.stride = stride")
        if d.shortcut == "A":  # option A: zero channels around the identity where the width grows
            lines += [
                f"self.pad_before = ({self.out} - inplanes) // 2",
                f"self.pad_after = {self.out} - inplanes - self.pad_before",
            ]
        return lines


_SHORTCUT = {
    "A": "the identity, subsampled by the stride and zero-padded to the new width (option A, no parameters)",
    "C": "``downsample`` (a projection) on every block (option C)",
    "none": "none (a plain network: no addition)",
}


_FIG4 = {"original": "a", "bn_after_addition": "b", "relu_before_addition": "c", "relu_only_preactivation": "d"}


def _doc(d: BlockDef) -> list[str]:
    kernels = " → ".join(f"{k}x{k}" for k in d.layout.kernels)
    lines = [f"{KIND[d.kind]}: {kernels} convs, planes × {d.expansion} output channels."]
    unit = unit_name(d)
    figure = f"Identity Mappings, Fig. 4({_FIG4.get(unit, 'e')})" if unit else "a custom ordering"
    stride = f"; the stride on the {d.stride_at} conv" if d.kind == "bottleneck" else ""
    lines.append(f"Unit '{unit or 'custom'}' ({figure}){stride}.")
    if d.shortcut == "B":
        when = "the width changes" if d.strided_identity == "subsample" else "the stride or the width changes"
        lines.append(f"Shortcut: ``downsample`` (a projection) where {when}, else the identity")
        if d.strided_identity == "subsample":
            lines[-1] += " (subsampled where the block strides)"
    else:
        lines.append(f"Shortcut: {_SHORTCUT[d.shortcut]}")
    lines[-1] += "."
    a = d.attention
    if a is not None and a.kind == "eca":
        lines.append("Efficient channel attention (a 1-D conv across the channels) before the addition.")
    elif a is not None:
        width = {"out": "output", "in": "block input", "inner": "inner"}[a.of]
        size = f"{a.ratio!r} ×" if a.ratio is not None else f"1/{a.reduction} of"
        rounding = f"rounded to a multiple of {a.divisor}" if a.divisor else "rounded" if a.ratio else "floored"
        where = "after the 3x3 conv" if a.after == "3x3" else "before the addition"
        lines.append(f"Squeeze-and-excitation {where}, hidden width {size} the {width} width, {rounding}.")
    if d.bottleneck_ratio is not None:
        lines.append("Width round(planes × bottleneck_ratio), groups = width // group_width (RegNet).")
    return lines
