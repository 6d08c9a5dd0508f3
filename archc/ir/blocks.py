"""The block model: every block of a network as the spec declared it, in one place.

Lowering expands it into ops, naming and the verifier read it, and both backends print it (never infer it
back from the ops). Three layers:

- :class:`BlockDef`, a *definition*: everything a block class / function prints that does not vary per
  instance — block kind, unit ordering (:class:`Unit`), shortcut policy, stride placement, expansion,
  groups, base width, attention, norm, conv bias, padding style, zero-init. Blocks with equal plans share
  one definition (frozen, hashable: the cost pass memoises on it).
- :class:`Block`, an *instance*: a definition plus what varies per block — in_channels, planes, stride,
  dilation, and whether its shortcut projects.
- :class:`BlockModel`: the stem, the stages (each a list of blocks) and the distinct definitions in order
  of first use; the graph attribute ``g.graph["blocks"]``. Every op node of a block carries
  ``block`` = the block's id (``"s1.b0"``, ``None`` outside blocks).

Data tables: :data:`archc.ir.recipe.KINDS` (the conv slots of a block kind; :data:`LAYOUTS` its kernels)
and :data:`UNITS` (where BN and ReLU sit, the five orderings of "Identity Mappings in Deep Residual
Networks", Fig. 4). A definition compiles once into its recipe (:attr:`BlockDef.recipe`), which lowering,
the verifier and both printers walk. A new kind or ordering is a new row, never a new code path.
:func:`plan_blocks` builds the model from a validated spec.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from archc.ir.expr import num
from archc.ir.recipe import KINDS, DropPath, NormSpec, Recipe, recipe_of
from archc.ir.rules import eca_kernel_size
from archc.ir.rules import make_divisible as make_divisible
from archc.ir.user_blocks import compile_recipe
from archc.spec.schema import ConvLayer, Spec, Stage


def eca_kernel(channels: int, gamma: float = 2.0, beta: float = 1.0) -> int:
    return eca_kernel_size(channels, gamma, beta)


@dataclass(frozen=True)
class BlockLayout:
    """The conv slots of a block kind (a view of :data:`archc.ir.recipe.KINDS` for the naming profiles)."""

    kernels: tuple[int, ...]


LAYOUTS = {kind: BlockLayout(tuple(s.kernel for s in slots)) for kind, slots in KINDS.items()}
GROUPED = {kind for kind, slots in KINDS.items() if any(s.grouped for s in slots)}  # kinds with a grouped conv


@dataclass(frozen=True)
class Unit:
    """Ops ("bn", "relu") placed around a block's convs; a projection shortcut branches after ``preact``."""

    preact: tuple[str, ...]  # on the block input, before the first conv
    inner: tuple[str, ...]  # after every conv but the last
    last: tuple[str, ...]  # after the last conv, before the addition
    after_add: tuple[str, ...]  # after the addition (on the block output)


UNITS = {
    "original": Unit((), ("bn", "relu"), ("bn",), ("relu",)),  # Fig. 4(a)
    "bn_after_addition": Unit((), ("bn", "relu"), (), ("bn", "relu")),  # Fig. 4(b)
    "relu_before_addition": Unit((), ("bn", "relu"), ("bn", "relu"), ()),  # Fig. 4(c)
    "relu_only_preactivation": Unit(("relu",), ("bn", "relu"), ("bn",), ()),  # Fig. 4(d)
    "full_preactivation": Unit(("bn", "relu"), ("bn", "relu"), (), ()),  # Fig. 4(e)
}


@dataclass(frozen=True)
class Norm:
    kind: str  # "batchnorm" | "groupnorm" | "none"
    eps: float = 1e-5
    momentum: float = 0.1  # batchnorm only
    groups: int = 32  # groupnorm only


@dataclass(frozen=True)
class Attention:
    """Channel attention on the residual branch: before the addition, or after the 3x3 (``after``, RegNetY).

    ``kind="se"``: squeeze-and-excitation; its hidden width is SENet's ``max(1, C // reduction)`` or RegNetY's
    ``round(ratio × C)``; with a ``divisor``, timm's ``make_divisible(C / reduction or ratio × C, divisor,
    round_limit)``, where C is the block width named by ``of`` (``out``: SENet, timm's ResNets; ``in``:
    RegNetY; ``inner``). ``kind="eca"``: ECA's 1-D
    conv across the channels, its kernel ``kernel`` or timm's rule from the output channels (gamma, beta).
    """

    kind: str = "se"
    reduction: int = 16
    divisor: int | None = None  # None: floor division (SENet)
    round_limit: float = 0.0
    of: Literal["out", "in", "inner"] = "out"  # the width the ratio applies to
    ratio: float | None = None  # squeezed = ratio × C instead of C / reduction (RegNetY)
    after: Literal["last", "3x3"] = "last"  # after the branch's last conv (SENet) or after the 3x3 (RegNetY)
    kernel: int | None = None  # eca: None = from the channels
    gamma: float = 2.0
    beta: float = 1.0


@dataclass(frozen=True)
class BlockDef:
    """A definition: what one block class / function prints (nothing here varies per instance)."""

    kind: str  # "basic" | "bottleneck" | "single"
    unit: Unit
    stride_at: str  # "1x1" | "3x3": which conv of a bottleneck takes the stride
    expansion: int  # out = planes × expansion
    groups: int  # groups of the grouped slot (ResNeXt cardinality); per stage later (RegNet)
    base_width: int  # inner = int(planes × base_width / 64) × groups
    shortcut: str  # "A" zero-pad identity | "B" project when the shape changes | "C" always | "none" |
    # "identity": the identity where the shape is kept, else none (a user block's)
    strided_identity: str  # option B, stride with equal channels: "projection" | "subsample"
    projection: str  # a strided projection: "conv" (stride on the 1x1) | "avgpool" (ResNet-D: pool first)
    norm: Norm
    conv_bias: bool | str  # True | False | "auto" (a bias unless a norm follows the conv; Keras V2)
    zero_init: bool  # the residual branch's last BN starts with gamma 0
    attention: Attention | None = None
    activation: str = "relu"
    bottleneck_ratio: float | None = None  # inner = round(planes × expansion × ratio) (RegNet), else torchvision's
    grouping: str = "groups"  # the grouped conv's groups: "groups" (fixed) or "group_width" (inner // group_width)
    custom: Recipe | None = None  # a user-defined block's compiled recipe (``blocks:``; ``kind`` is its name)
    custom_params: tuple[tuple[str, int | float], ...] = ()  # its ``params:`` constants
    aa: str | None = None  # anti-aliasing where the block strides: "blur" | "avg" (timm's aa_layer) | None
    projection_kernel: int = 1  # a strided projection conv's kernel (timm's down_kernel_size); 1x1 at stride 1
    reduce_first: int = 1  # the first conv gives width // reduce_first channels (timm's block_reduce_first)

    @property
    def layout(self) -> BlockLayout:
        if self.custom is not None:
            return BlockLayout(tuple(c.kernel for c in self.custom.convs()))
        return LAYOUTS[self.kind]

    @property
    def recipe(self) -> Recipe:
        return self.custom if self.custom is not None else recipe_of(self)

    def constants(self) -> dict[str, int | float]:
        """The values of the recipe's parameters that a definition fixes."""
        a = self.attention
        values = {"expansion": self.expansion, "groups": self.groups, "base_width": self.base_width}
        values["bottleneck_ratio"] = self.bottleneck_ratio
        values["reduction"] = a.reduction if a is not None else 16
        return {**values, **dict(self.custom_params)}

    @property
    def projection_norm(self) -> bool:
        """A projection conv is followed by a BN when the residual branch ends in one (unit.last)."""
        return "bn" in self.unit.last and self.norm.kind != "none"

    def out_width(self, planes: int) -> int:
        return self.recipe.widths({**self.constants(), "planes": planes, "in": 0, "group_width": 1})["out"]

    def bias(self, followed_by: tuple[str, ...]) -> bool:
        """Whether a conv followed by the unit tokens ``followed_by`` has a bias."""
        if self.conv_bias == "auto":
            return not (followed_by[:1] == ("bn",) and self.norm.kind != "none")
        return bool(self.conv_bias)


@dataclass(eq=False)
class Block:
    """One block of the network: a definition plus its instance parameters."""

    id: str  # "s{stage}.b{index}": the prefix of its op node ids
    definition: BlockDef
    stage: int
    index: int
    in_channels: int
    planes: int  # the stage's declared width
    stride: int
    dilation: int = 1
    first_dilation: int = 1  # the first 3x3 keeps the previous stage's dilation (torchvision, timm)
    projects: bool = False  # this block's shortcut is a projection (conv [+ avgpool before, + BN after])
    group_width: int | None = None  # channels per group of the grouped slot (RegNet): groups = inner // group_width
    drop_path: float = 0.0  # its drop path rate from the spec's drop_path_rate (linear in the block's position)
    nodes: list[str] = field(default_factory=list)  # its op node ids in order (set by lowering)
    input: str = ""  # the node id of its input tensor (set by lowering)
    names: dict[str, str] = field(default_factory=dict)  # {profile: name} (set by the names pass)

    @property
    def env(self) -> dict[str, int | float]:
        """Every parameter of its recipe, the named widths (``width``, ``out``) included."""
        d = self.definition
        env = {**d.constants(), "planes": self.planes, "in": self.in_channels, "group_width": self.group_width or 1}
        return d.recipe.widths(env)

    @property
    def inner(self) -> int:
        return self.env["width"]

    @property
    def out(self) -> int:
        return self.env["out"]

    @property
    def groups(self) -> int:
        """Groups of the grouped slot: the definition's, or ``inner // group_width`` (a stage's group width)."""
        return next((c.groups.value(self.env) for c in self.definition.recipe.convs() if c.groups != num(1)), 1)

    @property
    def residual(self) -> bool:
        """Whether the block adds a shortcut (``identity``: only where it keeps its shape)."""
        kind = self.definition.shortcut
        return kind != "none" and (kind != "identity" or (self.stride == 1 and self.in_channels == self.out))

    @property
    def subsample(self) -> int:
        """Stride of an identity shortcut that subsamples (1: none)."""
        return self.stride if self.residual and not self.projects else 1

    @property
    def pad(self) -> tuple[int, int]:
        """Zero channels an identity shortcut adds before / after (option A)."""
        extra = self.out - self.in_channels if self.residual and not self.projects else 0
        return (extra // 2, extra - extra // 2)

    @property
    def instance(self) -> tuple:
        """What varies per instance (with the definition, the block's whole plan)."""
        return (
            self.in_channels, self.planes, self.stride, self.dilation, self.first_dilation, self.projects,
            self.group_width,
        )  # fmt: skip


@dataclass(frozen=True)
class StemLayer:
    """One stem layer: a conv (+ BN, + ReLU) or a pool. ``container``: room for a naming profile that
    prints several stem convs as one Sequential (timm's deep stem, ``conv1.0``, ``conv1.1``, …)."""

    index: int
    kind: str  # "conv" | "maxpool" | "avgpool"
    kernel: int
    stride: int
    padding: int
    in_channels: int
    out_channels: int
    norm: bool = False
    activation: bool = False
    container: str | None = None
    bias: bool | None = None  # None: the definition's rule (a bias unless a norm follows, or conv_bias)


@dataclass(frozen=True)
class DownsampleLayer:
    """A separate downsampling layer in front of a stage (ConvNeXt): [norm on ``in_channels``] → conv of
    kernel = stride = ``stride`` to ``out_channels``."""

    in_channels: int
    out_channels: int
    stride: int
    norm: bool
    bias: bool


@dataclass(eq=False)
class StagePlan:
    index: int
    name: str
    planes: int
    stride: int  # as declared (a dilated stage's blocks may have stride 1)
    pool: str | None
    blocks: list[Block]
    downsample: DownsampleLayer | None = None


@dataclass(eq=False)
class BlockModel:
    """The whole network as declared: stem, stages of blocks, the distinct definitions, the head knobs."""

    stem: list[StemLayer]
    stages: list[StagePlan]
    definitions: list[BlockDef]  # distinct, in order of first use
    post: tuple[str, ...]  # unit tokens after the last stage (the pre-activation unit's final BN → ReLU)
    layout: str  # "stages" (residual) | "sequential" (VGG: a stack of single-conv blocks)
    init: str  # the spec's ``init`` knob
    stride_block: str = "first"  # which block of a stage takes its stride: "first" | "last" (Keras V2)

    @property
    def blocks(self) -> list[Block]:
        return [b for stage in self.stages for b in stage.blocks]

    def block(self, block_id: str) -> Block:
        s, b = block_id[1:].split(".b")
        return self.stages[int(s)].blocks[int(b)]


def definition_of(spec: Spec, stage: Stage | None = None) -> BlockDef:
    """The definition of a stage's blocks: the spec's knobs, with the stage's own block knobs (``block``,
    ``se``, ``unit``, …; :meth:`Spec.at`) and its ``groups`` / ``group_width`` / ``bottleneck_ratio``
    (RegNet) where it gives them (a group width makes the groups per block)."""
    spec = spec.at(stage)
    norm = spec.defaults.norm
    custom, params = None, ()
    if spec.block in spec.blocks:
        r = spec.blocks[spec.block]
        n = None if norm.kind == "none" else NormSpec(norm.kind, norm.eps, norm.momentum, norm.groups)
        custom = compile_recipe(r, n, spec.defaults.activation, spec.shortcut)
        params = tuple(sorted(r.params.items()))
        expansion = _expansion(custom, spec, dict(params))
    groups = spec.groups
    grouping = "group_width" if stage is not None and stage.group_width is not None else "groups"
    if grouping == "group_width":
        groups = 1
    return BlockDef(
        kind=spec.block, unit=unit_of(spec), stride_at=spec.stride_at,
        expansion=spec.block_expansion if custom is None else expansion,
        groups=groups, base_width=spec.base_width, shortcut=custom.shortcut.kind if custom else spec.shortcut,
        strided_identity=spec.strided_identity, projection=spec.projection_stride,
        norm=Norm(norm.kind, norm.eps, norm.momentum, norm.groups), conv_bias=spec.defaults.conv_bias,
        zero_init=spec.zero_init_last_bn,
        attention=attention_of(spec), activation=spec.defaults.activation,
        bottleneck_ratio=None if stage is None else stage.bottleneck_ratio, grouping=grouping,
        custom=custom, custom_params=params, aa=spec.aa, projection_kernel=spec.projection_kernel,
        reduce_first=spec.reduce_first,
    )  # fmt: skip


def _expansion(recipe: Recipe, spec: Spec, params: dict) -> int:
    """A user block's ``out / planes`` where that is one integer for every width (``4 * planes``: 4), else the
    spec's expansion: the class attribute a printed block carries (torchvision's ``Bottleneck.expansion``)."""
    env = {"expansion": spec.block_expansion, "groups": spec.groups, "base_width": spec.base_width,
           "bottleneck_ratio": None, "reduction": 16, **params, "in": 0, "group_width": 1}  # fmt: skip
    outs = {p: recipe.widths({**env, "planes": p})["out"] for p in (64, 96)}
    ratio = outs[64] // 64
    return ratio if ratio >= 1 and all(o == p * ratio for p, o in outs.items()) else spec.block_expansion


_OF = {"output": "out", "input": "in", "inner": "inner"}


def stage_widths(spec: Spec, stage: Stage) -> tuple[int, int]:
    """(inner width, groups of the grouped conv) of a stage's blocks, by its recipe's rules."""
    d = definition_of(spec, stage)
    env = {**d.constants(), "planes": stage.width, "in": stage.width, "group_width": stage.group_width or 1}
    env = d.recipe.widths(env)
    grouped = [c.groups for c in d.recipe.convs() if c.groups != num(1)]
    return env["width"], grouped[0].value(env) if grouped and env["width"] > 0 else d.groups


def attention_of(spec: Spec) -> Attention | None:
    if spec.se is not None:
        se = spec.se
        return Attention("se", se.reduction, se.divisor, se.round_limit, _OF[se.width_of], se.ratio, se.after)
    if spec.eca is not None:
        return Attention("eca", kernel=spec.eca.kernel, gamma=spec.eca.gamma, beta=spec.eca.beta)
    return None


def unit_of(spec: Spec) -> Unit:
    """The spec's unit: a row of :data:`UNITS` by name, or the ordering the spec writes out."""
    if isinstance(spec.unit, str):
        return UNITS[spec.unit]
    u = spec.unit
    return Unit(tuple(u.preact), tuple(u.inner), tuple(u.last), tuple(u.after_add))


def projects(d: BlockDef, in_channels: int, out: int, stride: int) -> bool:
    """Option C always projects; B when the shape changes (``strided_identity: subsample`` keeps a strided
    identity whose channels are equal); A and none never."""
    if d.shortcut == "C":
        return True
    if d.shortcut != "B":
        return False
    return in_channels != out or (stride != 1 and d.strided_identity == "projection")


class PlanError(Exception):
    """Raised with a spec path; :mod:`archc.pipeline` turns it into a located diagnostic (E401)."""

    def __init__(self, origin: tuple, message: str, help: str):
        super().__init__(message)
        self.origin, self.message, self.help = origin, message, help


def plan_blocks(spec: Spec) -> BlockModel:
    """The block model of a validated spec: the stage loop decides each block's stride and dilation."""
    stem, channels, total_stride = _stem(spec)
    stages, dilation, factor, definitions = [], 1, 1, {}
    for s, stage in enumerate(spec.stages):
        d = definition_of(spec, stage)
        d = definitions.setdefault(d, d)  # equal plans share one definition object
        stride, previous = stage.stride, dilation
        if spec.output_stride is not None and total_stride * stride > spec.output_stride:
            factor, stride = factor * stride, 1  # dilate instead of striding (dense prediction)
        dilation = spec.at(stage).dilation * factor  # the stage's (or the top level's) times output_stride's
        if dilation != 1 and not any(c.dilation for c in d.recipe.convs()):
            raise PlanError(_dilation_origin(spec, s), f"dilation {dilation}: the blocks of stage '{stage.name}' "
                            "have no conv that dilates", "dilation applies to the 3x3 convs of basic, bottleneck "
                            "and single blocks; remove it (or output_stride) for this block")  # fmt: skip
        total_stride *= stride * (2 if stage.pool is not None else 1)
        strided = 0 if spec.stride_block == "first" else stage.blocks - 1
        blocks, down = [], spec.at(stage).downsample
        out = d.out_width(stage.width)
        if down is not None and (stride > 1 or channels != out):
            down = DownsampleLayer(channels, out, stride, down.norm, down.bias)
            channels, stride = out, 1
        else:
            down = None
        for b in range(stage.blocks):
            block_stride = stride if b == strided else 1
            out = d.out_width(stage.width)
            if d.shortcut == "A" and out < channels:
                raise PlanError(
                    ("stages", s, "width"),
                    f"an identity shortcut cannot shrink {channels} channels to {out}",
                    "use shortcut: B, or widths that do not shrink",
                )
            blocks.append(
                Block(f"s{s}.b{b}", d, s, b, channels, stage.width, block_stride, dilation,
                      previous if b == 0 else dilation, projects(d, channels, out, block_stride), stage.group_width)
            )  # fmt: skip
            channels = out
        stages.append(StagePlan(s, stage.name, stage.width, stage.stride, stage.pool, blocks, down))
    _drop_path_rates(spec, [b for stage in stages for b in stage.blocks])
    layout = "sequential" if spec.block == "single" and spec.shortcut == "none" else "stages"
    post = () if spec.head.features_only else d.unit.preact
    return BlockModel(stem, stages, list(definitions), post, layout, spec.init, spec.stride_block)


def _dilation_origin(spec: Spec, s: int) -> tuple:
    """Where a stage's dilation comes from: its row's ``dilation``, the top level's, or ``output_stride``."""
    if spec.stages[s].dilation is not None:
        return ("stages", s, "dilation")
    return ("dilation",) if spec.dilation != 1 else ("output_stride",)


def _drop_path_rates(spec: Spec, blocks: list[Block]) -> None:
    """Block k of N gets ``drop_path_rate × k / (N − 1)`` (timm's linspace, torchvision's sd_prob); its
    recipe must have a drop_path step to take it, one that sets no rate of its own."""
    if not spec.drop_path_rate:
        return
    for b in blocks:
        steps = [s for s in b.definition.recipe.steps if isinstance(s, DropPath)]
        if not steps or any(s.rate for s in steps):
            raise PlanError(
                ("drop_path_rate",),
                f"drop_path_rate {spec.drop_path_rate} needs a drop_path step without a rate of its own in block "
                f"{b.id}'s recipe" + ("" if steps else " (it has none)"),
                "add {kind: drop_path} before the block's add step (and no 'rate:' on it), or drop drop_path_rate",
            )
    for k, b in enumerate(blocks):
        b.drop_path = spec.drop_path_rate * k / (len(blocks) - 1) if len(blocks) > 1 else 0.0


def _stem(spec: Spec) -> tuple[list[StemLayer], int, int]:
    layers, channels, total_stride = [], spec.input.channels, 1
    for j, layer in enumerate(spec.stem):
        pad = layer.padding if layer.padding is not None else layer.kernel // 2
        if layer.padding is None and layer.op == "blurpool":  # timm's get_padding(filt_size, stride)
            pad = (layer.stride - 1 + layer.kernel - 1) // 2
        if isinstance(layer, ConvLayer):
            item = StemLayer(j, "conv", layer.kernel, layer.stride, pad, channels, layer.width, layer.norm,
                             layer.activation, "maxpool" if layer.replaces_pool else None, layer.bias)  # fmt: skip
        else:
            item = StemLayer(j, layer.op, layer.kernel, layer.stride, pad, channels, channels)
        layers.append(item)
        channels, total_stride = item.out_channels, total_stride * layer.stride
    return layers, channels, total_stride
