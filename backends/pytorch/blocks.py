"""One ``nn.Module`` class per block definition, printed by walking its recipe (:mod:`archc.ir.recipe`),
parameterised as torchvision's ``resnet.py`` is: ``inplanes, planes, stride, downsample`` (+ ``groups,
base_width`` where the net groups, ``dilation`` where it dilates, ``group_width`` for RegNet-style stages);
``expansion`` a class attribute; widths are the recipe's expressions with each parameter bound to the
argument that carries it or to a constant (``width = int(planes * (base_width / 64.0)) * groups``, or just
``planes``). Nothing is read back from the ops.

Attribute names come from the spec's PyTorch naming profile (torchvision:
:func:`archc.ir.naming.torchvision_block_attr`; timm: :func:`archc.ir.timm_names.timm_block_attr`, with one
activation module per position, ``act1``, ``act2``, …), so the state-dict keys are the IR's names. Variants of
a kind are parameters or attributes of its class (option A's ``pad_before``/``pad_after``, a strided identity's
``stride``) or words of its name (``PreAct``, ``SE``, ``Plain``), never a number.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from archc.ir.blocks import UNITS, BlockDef
from archc.ir.channels_last import TO_CHANNELS_FIRST, TO_CHANNELS_LAST, walk
from archc.ir.expr import Expr, simplify, var
from archc.ir.naming import torchvision_block_attr
from archc.ir.recipe import ECA, Act, Add, AntiAlias, Branch, Conv, DropPath, LayerScale, Norm, SqueezeExcite
from archc.ir.timm_names import timm_block_attr

from .printers import OVERWRITABLE, EmitError, activation, conv2d, norm_layer
from .pycode import ordered

KIND = {"basic": "BasicBlock", "bottleneck": "Bottleneck", "single": "ConvBlock"}
UNIT_WORD = {
    "original": "",
    "bn_after_addition": "BNAfterAdd",
    "relu_before_addition": "ReLUBeforeAdd",
    "relu_only_preactivation": "ReLUPreAct",
    "full_preactivation": "PreAct",
}


@dataclass
class BlockClass:
    name: str
    doc: list[str]
    expansion: int | None  # None: no class attribute (RegNet)
    signature: list[str]  # the parameters of its __init__ after self
    init: list[str] = field(default_factory=list)
    forward: list[str] = field(default_factory=list)
    takes_downsample: bool = False
    takes_groups: bool = False
    takes_group_width: bool = False  # RegNet: groups = width // group_width, the group width per stage
    attributes: list[str] = field(default_factory=list)  # expansion; RegNet's bottleneck_ratio (round(planes × it))
    dilations: tuple[str, ...] = ()  # the dilation parameters it takes: (), ("dilation",) or both
    takes_drop_path: bool = False  # its drop path rate (timm's ``drop_path``), from the model's drop_path_rate


def class_name(d: BlockDef) -> str:
    if d.custom is not None:  # a user block (``blocks:``): its name
        return "".join(p.capitalize() for p in d.kind.split("_")) + "Block"
    word = UNIT_WORD.get(d.unit_name, "Custom")
    plain = "Plain" if d.shortcut == "none" else ""
    attention = {"se": "SE", "eca": "ECA"}[d.attention.kind] if d.attention else ""
    return f"{plain}{attention}{word}{KIND[d.kind]}"


def class_names(definitions: list[BlockDef]) -> dict[BlockDef, str]:
    """Each definition's class name, unique in the file: a definition whose stages differ from an earlier one's
    in what the name does not say (activation, SE sizes, ``stride_at``, ``expansion``) adds ``Variant``, as the
    Keras backend's block functions add ``_variant``; its docstring says what it is."""
    names: dict[BlockDef, str] = {}
    for d in definitions:
        name = class_name(d)
        while name in names.values():
            name += "Variant"
        names[d] = name
    return names


def block_class(d: BlockDef, name: str, dilated: bool, profile: str, groups: bool, scheduled: bool) -> BlockClass:
    """The class of a definition; ``dilated``: some block of the model dilates its 3x3 convs; ``profile``:
    the naming profile of its attributes (torchvision | timm); ``groups``: it takes ``groups`` and ``base_width``
    because another block class of the model does (torchvision's BasicBlock: it accepts and checks them);
    ``scheduled``: it takes its drop path rate (the model's ``drop_path_rate``, timm's ``drop_path``)."""
    recipe = d.recipe
    regnet = d.grouping == "group_width"  # RegNet: groups = width // group_width, one group width per stage
    uses_width = any(c.width == var("width") for c in recipe.convs())
    grouped = not regnet and uses_width and (d.groups, d.base_width) != (1, 64)  # a net that groups or widens
    takes_groups = grouped or groups
    threes = [c for c in recipe.convs() if c.dilation is not None]
    dilations = (("first_dilation",) if len(threes) > 1 else ()) + ("dilation",) if dilated else ()
    params = ["inplanes: int", "planes: int", "stride: int = 1"]
    params += ["downsample: nn.Module | None = None"] * recipe.shortcut.projects
    params += ["groups: int = 1", "base_width: int = 64"] * takes_groups
    params += ["group_width: int = 1"] * regnet
    params += [f"{p}: int = 1" for p in dilations]
    params += ["drop_path: float = 0.0"] * scheduled
    expansion = None if regnet and d.expansion == 1 else d.expansion  # torchvision's RegNet blocks have none
    cls = BlockClass(name, _doc(d), expansion, params, takes_downsample=recipe.shortcut.projects)
    cls.takes_groups, cls.takes_group_width, cls.dilations = takes_groups, regnet, dilations
    cls.takes_drop_path = scheduled
    ratio = d.bottleneck_ratio not in (None, 1.0)
    cls.attributes = [f"expansion: int = {expansion}"] * (expansion is not None)
    cls.attributes += [f"bottleneck_ratio: float = {d.bottleneck_ratio!r}"] * ratio
    bind = {"planes": "planes", "in": "inplanes", "expansion": "self.expansion" if d.expansion != 1 else 1}
    bind |= {"groups": "groups", "base_width": "base_width"} if grouped else {}
    bind |= {"bottleneck_ratio": "self.bottleneck_ratio"} if ratio else {}
    bind |= {"group_width": "group_width"} if regnet else {}
    cls.init, cls.forward = _Writer(d, dilations, profile, {**d.constants(), **bind}, scheduled).lines()
    if takes_groups and not grouped:  # torchvision's BasicBlock check
        message = f"{cls.name} only supports groups=1 and base_width=64"
        cls.init[:0] = ["if groups != 1 or base_width != 64:", f'    raise ValueError("{message}")']
    return cls


class _Writer:
    """Walks the definition's recipe once, writing ``__init__`` and ``forward`` side by side."""

    def __init__(self, d: BlockDef, dilations: tuple[str, ...], profile: str, bind: dict, scheduled: bool,
                 names: dict[str, str] | None = None):  # fmt: skip
        self.d, self.dilations, self.timm, self.bind, self.scheduled = d, dilations, profile == "timm", bind, scheduled
        self.names = names  # a model layout's attribute per role (ConvNeXt's, RegNet's): variables are x and shortcut
        self.out, self.identity = ("x", "shortcut") if names else ("out", "identity")
        self.init: list[str] = []
        self.trace: list[tuple[object, str, str]] = []  # (step, its constructor | a layer scale's channels, attribute)
        self.forward: list[str] = [f"{self.identity} = x"] if d.recipe.shortcut.residual else []
        self.var, self.src, self.relu = "x", "input", ""  # "" none, "inplace", "out_of_place" (one keeps its input)
        for name, e in d.recipe.lets:  # a named width: a line of its own unless it is a parameter (or a layout's)
            e = simplify(e, self.bind)
            if name == "out" or e.op in ("var", "num") or names:
                self.bind[name] = e
            else:
                self.init.append(f"{name} = {e.text()}")
                self.bind[name] = name

    def text(self, e: Expr) -> str:
        return simplify(e, self.bind).text()

    def lines(self) -> tuple[list[str], list[str]]:
        self.channels = self.cin = self.text(var("in"))  # inplanes (a layout's: dim)
        self.pending, self.first = None, True
        for step, cl in walk(self.d.recipe.steps):  # with the permutes around nn.Linear's channels-last run
            self.step, self.channels_last = step, cl
            if step in (TO_CHANNELS_LAST, TO_CHANNELS_FIRST):
                self.permute("0, 2, 3, 1" if step == TO_CHANNELS_LAST else "0, 3, 1, 2")
                continue
            write = getattr(self, f"write_{step.kind}", None)  # one method per step kind
            if write is None:
                raise EmitError(f"a {step.kind} step in a ResNet-layout block", ("blocks", self.d.kind))
            write(step)
            self.first = False
        if self.relu:
            self.init.append("self.relu = nn.ReLU(inplace=True)" if self.relu == "inplace" else "self.relu = nn.ReLU()")
        self.init += self.shortcut_attributes()
        if self.names:  # a layout's containers (timm's mlp.fc1/fc2) one nn.Sequential each; its layer scale last
            scale = [ln for ln in self.init if "nn.Parameter(" in ln]
            self.init = grouped([ln for ln in self.init if ln not in scale]) + scale
        return self.init, [*self.forward, f"return {self.var}"]

    def permute(self, dims: str) -> None:
        self.forward.append(f"{self.out} = {self.var}.permute({dims})")
        self.trace.append((self.step, f"Permute([{dims}])", ""))
        self.var, self.src = self.out, "permute"

    def write_conv(self, step: Conv) -> None:
        if step.linear:  # a pointwise conv as nn.Linear on the channels-last tensor (ConvNeXt's MLP)
            linear = f"nn.Linear({self.cin}, {self.text(step.width)}{'' if step.bias else ', bias=False'})"
            self.module(self.attr(step.role), linear, "linear")
        else:
            padding = None  # "same"; a dilated 3x3: padding and dilation from the block's dilation argument
            if step.dilation is not None and self.dilations:
                dil, half = step.dilation if step.dilation in self.dilations else "dilation", step.kernel // 2
                padding = [f"padding={dil if half == 1 else f'{half} * {dil}'}", f"dilation={dil}"]
            constructor = conv2d(step, self.cin, self.text(step.width), self.text(step.groups), padding)
            self.module(self.attr(step.role), constructor, "conv")
        self.channels = self.cin = self.text(step.width)

    def write_norm(self, step: Norm) -> None:
        constructor = norm_layer(step.norm, self.channels, self.timm, self.channels_last)
        self.module(self.attr(step.role), constructor, step.norm.kind)

    def write_se(self, step: SqueezeExcite) -> None:
        constructor = f"SqueezeExcitation({self.channels}, {self.text(step.hidden)})"
        self.module(self.attr("se_scale"), constructor, "scale")

    def write_branch(self, step: Branch) -> None:
        self.pending = self.var
        if not self.first:  # after a pre-activation: the shortcut's input is overwritten by the branch
            self.shortcut(self.pending)
            self.pending = None

    def write_add(self, step: Add) -> None:
        if self.pending is not None:
            self.shortcut(self.pending)
        out, identity = self.out, self.identity
        add = f"{out} += {identity}" if self.src in OVERWRITABLE else f"{out} = {out} + {identity}"
        if self.d.shortcut == "identity":  # only where the block keeps its shape (torchvision's MobileNetV2)
            self.init.append(f"self.use_res_connect = stride == 1 and inplanes == {self.text(var('out'))}")
            add = f"if self.use_res_connect:\n    {add}"
        self.forward += add.split("\n")
        self.src = "add"

    def write_layer_scale(self, step: LayerScale) -> None:
        """timm's ``gamma``, a per-channel vector: ``out.mul(gamma.reshape(1, -1, 1, 1))`` on N×C×H×W under the
        timm profile, the ``*`` operator elsewhere (the counters' ``layer-scale-mul`` form)."""
        attr, channels, x = self.attr(step.role), self.channels, self.var
        self.trace.append((step, channels, attr))
        self.init.append(f"self.{attr} = nn.Parameter({step.init!r} * torch.ones({channels}))")
        gamma = f"self.{attr}" if self.channels_last else f"self.{attr}.reshape(1, -1, 1, 1)"
        scaled = f"{x}.mul({gamma})" if self.timm and not self.channels_last else f"{x} * {gamma}"
        self.forward.append(f"{self.out} = {scaled}")
        self.var, self.src = self.out, "layer_scale"

    def write_drop_path(self, step: DropPath) -> None:
        """Stochastic depth as timm's ``drop_path``: ``DropPath(drop_path)`` at the block's rate from the model's
        ``drop_path_rate``, ``nn.Identity`` at rate 0; E403 for a step with a rate of its own (in every block)."""
        if step.rate:
            raise EmitError(f"a drop_path step with its own rate ({step.rate}) in every block; timm and torchvision "
                            "raise it linearly over the blocks: give the spec's drop_path_rate instead",
                            ("blocks", self.d.kind))  # fmt: skip
        module = "DropPath(drop_path) if drop_path > 0.0 else nn.Identity()" if self.scheduled else "nn.Identity()"
        self.module(self.attr(step.role), module, "drop_path")

    def attr(self, role: str, op: str = "") -> str:
        if self.names is not None:
            return self.names[role]
        return timm_block_attr(role, self.d) if self.timm else torchvision_block_attr(role, op=op)

    def write_eca(self, step: ECA) -> None:
        """``EfficientChannelAttention(C)``: the kernel from C inside the module (timm's EcaModule), or given."""
        k = step.kernel
        args = [self.channels] + ([f"kernel_size={k.text()}"] if k.op == "num" else [])
        extra = [] if k.op == "num" else [x.text() for x in k.args[2:]]
        args += [f"gamma={extra[0]}", f"beta={extra[1]}"] if extra else []
        self.module(self.attr("eca_scale"), f"EfficientChannelAttention({', '.join(args)})", "scale")

    def write_aa(self, step: AntiAlias) -> None:
        """timm's ``self.aa``: BlurPool2d or ``nn.AvgPool2d(stride)`` where the block strides, else nn.Identity."""
        filt = f", filt_size={step.filt_size}" if step.filt_size != 3 else ""
        pool = f"BlurPool2d({self.channels}{filt}, stride=stride)" if step.mode == "blur" else "nn.AvgPool2d(stride)"
        self.module(self.attr(step.role), f"{pool} if stride != 1 else nn.Identity()", "aa")

    def write_act(self, step: Act) -> None:
        role, fn = step.role, step.fn
        if fn != "relu":  # a GELU, ReLU6, SiLU, Hardswish: one module per position, named by its role
            self.module(self.attr(role, fn), activation(fn, self.timm), "act")
            return
        if self.timm or self.names:  # timm, a layout: one module per activation (act1, act2, …)
            inplace = "inplace=True" if self.src in OVERWRITABLE else ""
            self.module(self.attr(role), f"nn.ReLU({inplace})", "relu")
            return
        # One nn.ReLU module per block (counters hook each call); in place only when no call's input must survive
        # (the block input is the identity; a ReLU's output is needed by its backward).
        if self.src not in OVERWRITABLE:
            self.relu = "out_of_place"
        elif not self.relu:
            self.relu = "inplace"
        self.forward.append(f"out = self.relu({self.var})")
        self.var, self.src = "out", "relu"

    def module(self, attr: str, constructor: str, src: str) -> None:
        self.init.append(f"self.{attr} = {constructor}")
        self.trace.append((self.step, constructor, attr))
        call = f"{self.out} = self.{attr.split('.')[0]}({self.var})"  # one call of a container (timm's mlp)
        if self.forward[-1:] != [call]:
            self.forward.append(call)
        self.var, self.src = self.out, src

    def shortcut(self, pre: str) -> None:
        rule, f = self.d.recipe.shortcut, self.forward
        if self.names:  # a layout whose blocks keep their shape: the identity
            return
        if rule.projects:
            f += ["if self.downsample is not None:", f"    identity = self.downsample({pre})"]
        if rule.subsamples:
            f += ["elif self.stride != 1:" if rule.projects else "if self.stride != 1:"]
            f += ["    identity = x[:, :, :: self.stride, :: self.stride]"]
        if rule.kind == "A":
            f += [
                "if self.pad_after > 0:",
                "    identity = F.pad(identity, (0, 0, 0, 0, self.pad_before, self.pad_after))",
            ]

    def shortcut_attributes(self) -> list[str]:
        rule = self.d.recipe.shortcut
        if self.names:
            return []
        lines = ["self.downsample = downsample"] * rule.projects + ["self.stride = stride"] * rule.subsamples
        if rule.kind == "A":  # option A: zero channels around the identity where the width grows
            lines += [
                f"self.pad_before = ({self.text(var('out'))} - inplanes) // 2",
                f"self.pad_after = {self.text(var('out'))} - inplanes - self.pad_before",
            ]
        return lines


def layout_block(d: BlockDef, names: dict[str, str], scheduled: bool, profile: str = "timm", bind=None) -> _Writer:
    """The walk of a block in a model layout that names its modules (``names`` maps each role to its attribute:
    ConvNeXt's ``mlp.fc1`` one of a container, RegNet's ``f.a`` a conv's, its norm's and its activation's) and
    binds its widths (``bind``: ConvNeXt's keep their shape, ``dim``); ``.lines()`` prints it."""
    return _Writer(d, (), profile, {**d.constants(), **(bind or {"in": "dim", "planes": "dim"})}, scheduled, names)


def grouped(lines: list[str]) -> list[str]:
    """``self.c.x = …`` lines of one container ``c``: one ``self.c = nn.Sequential(OrderedDict(x=…, …))``."""
    out: list[str] = []
    last = None
    for line in lines:
        attr, text = line.removeprefix("self.").split(" = ", 1)
        container, _, member = attr.rpartition(".")
        if not container:
            out.append(line)
        elif container == last:
            out[-2:-2] = [f"        {member}={text},"]
        else:
            out += ordered(f"self.{container}", [(member, text)])
        last = container
    return out


_SHORTCUT = {
    "A": "the identity, subsampled by the stride and zero-padded to the new width (option A, no parameters)",
    "B": "``downsample`` (a projection) where the stride or the width changes, else the identity",
    "B subsampled": "``downsample`` (a projection) where the width changes, else the identity (subsampled where the "
    "block strides)",
    "C": "``downsample`` (a projection) on every block (option C)",
    "none": "none (a plain network: no addition)",
}


def _doc(d: BlockDef) -> list[str]:
    kernels = " → ".join(f"{k}x{k}" for k in d.layout.kernels)
    if d.custom is not None:
        return [f"The spec's '{d.kind}' block ({kernels} convs), printed from its recipe."]
    lines = [f"{KIND[d.kind]}: {kernels} convs, planes × {d.expansion} output channels."]
    unit = d.unit_name
    figure = f"Identity Mappings, Fig. 4({'abcde'[list(UNITS).index(unit)]})" if unit else "a custom ordering"
    stride = f"; the stride on the {d.stride_at} conv" if d.kind == "bottleneck" else ""
    lines.append(f"Unit '{unit or 'custom'}' ({figure}){stride}.")
    subsampled = d.shortcut == "B" and d.strided_identity == "subsample"
    lines.append(f"Shortcut: {_SHORTCUT[d.shortcut + ' subsampled' * subsampled]}.")
    a = d.attention
    if a is not None and a.kind == "eca":
        lines.append("Efficient channel attention (a 1-D conv across the channels) before the addition.")
    elif a is not None:
        width = {"out": "output", "in": "block input", "inner": "inner"}[a.of]
        size = f"{a.ratio!r} ×" if a.ratio is not None else f"1/{a.reduction} of"
        rounding = f"rounded to a multiple of {a.divisor}" if a.divisor else "rounded" if a.ratio else "floored"
        where = "after the 3x3 conv" if a.after == "3x3" else "before the addition"
        lines.append(f"Squeeze-and-excitation {where}, hidden width {size} the {width} width, {rounding}.")
    if d.aa is not None:
        pool = "a blur pool (BlurPool2d)" if d.aa == "blur" else "an average pool"
        lines.append(f"Anti-aliased: where the block strides, its strided conv keeps stride 1 and {pool} takes it.")
    if d.bottleneck_ratio is not None:
        lines.append("Width round(planes × bottleneck_ratio), groups = width // group_width (RegNet).")
    return lines
