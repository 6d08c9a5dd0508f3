"""Block recipes: a block definition compiled once into an ordered list of typed steps.

A :class:`Recipe` is what a block *does*, as data: its named widths (``lets``: ``width``, ``out``) and its
steps in order — :class:`Conv` (kernel, width, whether it takes the block's stride, groups, which dilation),
:class:`Norm`, :class:`Act`, :class:`SqueezeExcite` / :class:`ECA`, :class:`Branch` (where the shortcut leaves
the main path), :class:`Add` — plus the :class:`Shortcut` rule with its own projection steps. Every width,
group count and SE size is an :class:`~archc.ir.expr.Expr` of the block's parameters (``planes``, ``in``,
``expansion``, ``groups``, ``base_width``, ``group_width``, ``bottleneck_ratio``, ``reduction``).

Lowering (:mod:`archc.passes.blocks`) expands the steps into ops, the verifier (:mod:`archc.ir.verify_blocks`)
checks the ops against them, and both printers write their block class / function from them; none of them
knows a block kind. The kinds and the five units are data (:data:`KINDS`, :data:`archc.ir.blocks.UNITS`);
:func:`recipe_of` combines them with a definition's knobs. Every step is a frozen dataclass with a ``kind``
tag (:func:`as_dict` serialises a recipe), so a spec may later write recipes of its own.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING

from archc.ir.expr import Expr, ExprError, num, parse, var

if TYPE_CHECKING:
    from archc.ir.blocks import BlockDef


@dataclass(frozen=True)
class NormSpec:
    """A normalisation layer's kind and settings: a definition's norm (``BlockDef.norm``, where ``"none"``
    means none) and a recipe step's (never ``"none"``: the step is left out)."""

    kind: str  # "batchnorm" | "groupnorm" | "layernorm" | "none"
    eps: float = 1e-5
    momentum: float = 0.1  # batchnorm only
    groups: int = 32  # groupnorm only

    @classmethod
    def of(cls, norm) -> NormSpec:
        """The norm a spec declares (its ``norm:`` model, which has the same fields)."""
        return cls(norm.kind, norm.eps, norm.momentum, norm.groups)

    @property
    def step(self) -> NormSpec | None:
        """This norm for a recipe step: None where there is no norm."""
        return None if self.kind == "none" else self


@dataclass(frozen=True)
class Conv:
    """A convolution slot: its kernel, and its width and groups as expressions of the block's parameters."""

    role: str  # "conv1" …; the projection's "down_conv"
    kernel: int
    width: Expr  # output channels
    stride: bool = False  # takes the block's stride
    groups: Expr = num(1)
    dilation: str | None = None  # the block parameter its dilation is: "first_dilation" | "dilation"
    bias: bool = False
    kind: str = "conv"
    linear: bool = False  # a pointwise conv the reference writes as nn.Linear on channels-last (a backend hint)


@dataclass(frozen=True)
class Norm:
    """A normalisation step of the main path or of the projection."""

    role: str  # "bn1", "preact_bn", "out_bn", "down_bn"
    norm: NormSpec
    zero_init: bool = False  # gamma starts at 0 (the residual branch's last norm, ``zero_init_last_bn``)
    kind: str = "norm"


@dataclass(frozen=True)
class Act:
    """An activation step."""

    role: str  # "act1", "preact_act", "out_act"
    fn: str = "relu"
    kind: str = "act"


@dataclass(frozen=True)
class SqueezeExcite:
    """Global average pool → 1x1 conv to ``hidden`` → ReLU → 1x1 conv back → sigmoid → scale."""

    hidden: Expr
    role: str = "se"
    kind: str = "se"


@dataclass(frozen=True)
class ECA:
    """Global average pool → 1-D conv across the channels (``kernel``, no bias) → sigmoid → scale."""

    kernel: Expr
    channels: Expr
    role: str = "eca"
    kind: str = "eca"


@dataclass(frozen=True)
class LayerScale:
    """x × a learnt per-channel vector, initialised to ``init`` (CaiT; ConvNeXt's ``gamma``)."""

    role: str = "layer_scale"
    init: float = 1e-6
    kind: str = "layer_scale"


@dataclass(frozen=True)
class DropPath:
    """Stochastic depth: drops the residual branch per sample with probability ``rate`` (identity in eval)."""

    role: str = "drop_path"
    rate: float = 0.0
    kind: str = "drop_path"


@dataclass(frozen=True)
class Branch:
    """The shortcut leaves the main path here: first (the block input) or after a pre-activation."""

    kind: str = "branch"


@dataclass(frozen=True)
class Add:
    """The residual addition: the shortcut's output plus the main path's."""

    role: str = "add"
    kind: str = "add"


@dataclass(frozen=True)
class Pool:
    """The projection's average pool (ResNet-D), present where the block strides; it takes the stride."""

    role: str = "down_pool"
    kind: str = "pool"


@dataclass(frozen=True)
class AntiAlias:
    """Anti-aliased downsampling (timm's ``aa_layer``), present where the block strides; it takes the stride
    (its conv keeps stride 1): ``blur``, timm's BlurPool2d (a fixed binomial filter per channel, reflect
    padding, then the stride; counted as a depthwise conv), or ``avg``, ``nn.AvgPool2d(stride)``."""

    mode: str  # "blur" | "avg"
    role: str = "aa"
    filt_size: int = 3  # blur only: the binomial filter's size
    kind: str = "aa"


@dataclass(frozen=True)
class Shortcut:
    """``A``: identity, subsampled and zero-padded where needed; ``B``: a projection where the shape changes
    (``strided_identity: subsample``: a strided identity with equal channels is subsampled instead); ``C``: a
    projection always; ``none``: no shortcut and no addition; ``identity``: the identity where the block keeps
    its shape (stride 1, out = in), else no shortcut and no addition (MobileNetV2's ``use_res_connect``)."""

    kind: str
    strided_identity: str = "projection"
    projection: tuple = ()  # its steps: [Pool], Conv, [Norm]

    @property
    def residual(self) -> bool:
        return self.kind != "none"

    @property
    def projects(self) -> bool:
        return self.kind in ("B", "C")

    @property
    def subsamples(self) -> bool:
        return self.kind == "A" or (self.kind == "B" and self.strided_identity == "subsample")


def projection_kernel(step: Conv, stride: int) -> int:
    """A projection conv's kernel: the step's where it takes a stride above 1, else 1x1 (timm's downsample_conv)."""
    return step.kernel if step.stride and stride > 1 else 1


Step = Conv | Norm | Act | SqueezeExcite | ECA | LayerScale | DropPath | Branch | Add | Pool | AntiAlias


class LetError(ExprError):
    """A named width that has no value for a block's parameters; ``name``: which."""

    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.name = name


@dataclass(frozen=True)
class Recipe:
    """A block definition compiled once: its named widths, its main path's steps and its shortcut."""

    lets: tuple[tuple[str, Expr], ...]  # named widths in order: ("width", …), ("out", …)
    steps: tuple  # the main path, in order
    shortcut: Shortcut
    params: tuple[str, ...] = field(default=())  # the block parameters its expressions read

    def let(self, name: str) -> Expr:
        return dict(self.lets)[name]

    def convs(self) -> list[Conv]:
        return [s for s in self.steps if isinstance(s, Conv)]

    def widths(self, env: dict, only: set[str] | None = None) -> dict:
        """``env`` with the recipe's named widths added (``width``, ``out``), in order (``only``: just these)."""
        env = dict(env)
        for name, e in self.lets:
            if only is None or name in only:
                try:
                    env[name] = e.value(env)
                except (ArithmeticError, ValueError) as exc:  # ``planes // (in - in)``, a logarithm of 0
                    raise LetError(name, f"'{name}: {e.text()}' has no value here ({exc})") from None
        return env

    def exprs(self) -> list[Expr]:
        """Every expression of the recipe: its named widths', then its steps' and its projection's fields."""
        out = [e for _, e in self.lets]
        for s in (*self.steps, *self.shortcut.projection):
            out += [v for v in vars(s).values() if isinstance(v, Expr)]
        return out

    def width_of(self, name: str, env: dict) -> int:
        """One named width, computing only the widths it reads."""
        lets, needed, todo = dict(self.lets), set(), [name]
        while todo:
            n = todo.pop()
            if n in lets and n not in needed:
                needed.add(n)
                todo += lets[n].names()
        return self.widths(env, needed)[name]

    def last_norm(self) -> Norm | None:
        """The residual branch's last norm (what ``zero_init_last_bn`` zeroes)."""
        return next((s for s in self.steps if isinstance(s, Norm) and s.zero_init), None)


@dataclass(frozen=True)
class Slot:
    """A conv slot of a block kind: kernel, width (a let's name), where it takes the stride, grouped."""

    kernel: int
    width: str
    stride_at: tuple[str, ...] = ()  # the ``stride_at`` values under which this slot takes the block's stride
    grouped: bool = False


# The block kinds, as data: their conv slots in order.
KINDS = {
    "basic": (Slot(3, "width", ("1x1", "3x3")), Slot(3, "out")),
    "bottleneck": (Slot(1, "width", ("1x1",)), Slot(3, "width", ("3x3",), grouped=True), Slot(1, "out")),
    "single": (Slot(3, "out", ("1x1", "3x3")),),  # one conv per block (VGG, plain stacks)
}

# The width rules, written once.
WIDTH = parse("int(planes * (base_width / 64.0)) * groups")  # torchvision's Bottleneck
REGNET_WIDTH = parse("int(round(out * bottleneck_ratio))")  # timm's RegNet ``bottle_ratio``
OUT = parse("planes * expansion")
GROUPS = var("groups")
GROUPS_OF_WIDTH = parse("width // group_width")  # RegNet: the group width of a stage
_SE_BASE = {"out": "out", "in": "in", "inner": "width"}


def se_hidden(a) -> Expr:
    """The SE hidden width of an attention knob (:class:`archc.ir.blocks.Attention`)."""
    base = _SE_BASE[a.of]
    limit = "" if a.round_limit == 0.9 else f", round_limit={float(a.round_limit)!r}"  # 0.9: make_divisible's default
    if a.ratio is not None:
        value = f"{base} * {a.ratio!r}"
        return parse(
            f"max(1, int(round({value})))" if a.divisor is None else f"make_divisible({value}, {a.divisor}{limit})"
        )
    if a.divisor is None:
        return parse(f"max(1, {base} // reduction)")
    return parse(f"make_divisible({base} / reduction, {a.divisor}{limit})")


def eca_kernel(a) -> Expr:
    if a.kernel:
        return num(a.kernel)
    extra = f", {a.gamma!r}, {a.beta!r}" if (a.gamma, a.beta) != (2.0, 1.0) else ""
    return parse(f"eca_kernel_size(out{extra})")


@functools.cache
def recipe_of(d: BlockDef) -> Recipe:
    """The recipe of a definition: its kind's slots, its unit's norms and activations around them, its
    attention, its shortcut. Compiled once per definition (definitions are frozen and hashable)."""
    unit, slots = d.unit, KINDS[d.kind]
    norm = d.norm.step
    steps: list = []

    def tokens(ops: tuple[str, ...], slot: str) -> None:
        for token in ops:
            role = (
                f"{'bn' if token == 'bn' else 'act'}{slot}"
                if slot.isdigit()
                else f"{slot}_{'bn' if token == 'bn' else 'act'}"
            )
            if token == "bn" and norm is not None:
                steps.append(Norm(role, norm))
            elif token == "relu":
                steps.append(Act(role, d.activation))

    residual = d.shortcut != "none"
    tokens(unit.preact, "preact")
    if residual:  # the shortcut leaves at the block input, or after the pre-activation
        steps.append(Branch())
    a, first3, branch_start = d.attention, True, len(steps)
    for i, slot in enumerate(slots):
        ops = unit.last if i == len(slots) - 1 else unit.inner
        dilation = None if slot.kernel == 1 else ("first_dilation" if first3 else "dilation")
        se_here = first3 and slot.kernel != 1 and a is not None and a.kind == "se" and a.after == "3x3"
        first3 = first3 and slot.kernel == 1
        groups = (GROUPS_OF_WIDTH if d.grouping == "group_width" else GROUPS) if slot.grouped else num(1)
        strided = d.stride_at in slot.stride_at
        width = var(slot.width)
        if i == 0 and d.reduce_first != 1 and len(slots) > 1:  # timm: first_planes = width // reduce_first
            width = parse(f"{slot.width} // {d.reduce_first}")
        steps.append(Conv(f"conv{i + 1}", slot.kernel, width, strided and d.aa is None, groups,
                          dilation, d.bias(ops)))  # fmt: skip
        tokens(ops, str(i + 1))
        if strided and d.aa is not None:  # timm: conv (stride 1) → norm → act → aa (takes the stride)
            steps.append(AntiAlias(d.aa))
        if se_here:  # RegNetY: after the 3x3 conv, its norm and activation
            steps.append(SqueezeExcite(se_hidden(a)))
    norms = [j for j, s in enumerate(steps) if isinstance(s, Norm) and j >= branch_start]
    if d.zero_init and norms:
        steps[norms[-1]] = Norm(steps[norms[-1]].role, norm, zero_init=True)
    if a is not None and a.kind == "eca":
        steps.append(ECA(eca_kernel(a), var("out")))
    elif a is not None and a.after == "last":
        steps.append(SqueezeExcite(se_hidden(a)))
    if residual:
        steps.append(Add())
    tokens(unit.after_add, "out")
    width = REGNET_WIDTH if d.bottleneck_ratio is not None else WIDTH
    lets = (("out", OUT), ("width", width)) if d.bottleneck_ratio is not None else (("width", width), ("out", OUT))
    recipe = Recipe(lets, tuple(steps), _shortcut(d, norm))
    return Recipe(lets, recipe.steps, recipe.shortcut, tuple(sorted(_params(recipe))))


def _shortcut(d: BlockDef, norm: NormSpec | None) -> Shortcut:
    if d.shortcut not in ("B", "C"):
        return Shortcut(d.shortcut, d.strided_identity)
    pooled = d.projection == "avgpool"
    follow = ("bn",) if "bn" in d.unit.last else ()
    kernel = 1 if pooled else d.projection_kernel  # its kernel where it strides; 1x1 where it does not
    steps = [Pool()] * pooled + [Conv("down_conv", kernel, var("out"), not pooled, bias=d.bias(follow))]
    if d.projection_norm:
        steps.append(Norm("down_bn", norm))
    return Shortcut(d.shortcut, d.strided_identity, tuple(steps))


def _params(r: Recipe) -> set[str]:
    return {n for e in r.exprs() for n in e.names()} - {name for name, _ in r.lets}


def as_dict(r: Recipe) -> dict:
    """The recipe as plain data (expressions as their text): what a spec's ``blocks:`` would write."""

    def plain(v):
        if isinstance(v, Expr):
            return v.text()
        if isinstance(v, list | tuple):
            return [plain(x) for x in v]
        if hasattr(v, "__dataclass_fields__"):
            return {f.name: plain(getattr(v, f.name)) for f in fields(v)}
        return v

    return {"lets": {name: e.text() for name, e in r.lets}, "steps": plain(r.steps), "shortcut": plain(r.shortcut)}
