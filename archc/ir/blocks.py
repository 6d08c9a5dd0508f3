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
:func:`archc.ir.plan.plan_blocks` builds the model from a validated spec.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from archc.ir.expr import num
from archc.ir.recipe import KINDS, NormSpec, Recipe, recipe_of
from archc.ir.rules import eca_kernel_size
from archc.ir.rules import make_divisible as make_divisible


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


UNITS = {  # in the order of Fig. 4, (a) to (e)
    "original": Unit((), ("bn", "relu"), ("bn",), ("relu",)),  # Fig. 4(a)
    "bn_after_addition": Unit((), ("bn", "relu"), (), ("bn", "relu")),  # Fig. 4(b)
    "relu_before_addition": Unit((), ("bn", "relu"), ("bn", "relu"), ()),  # Fig. 4(c)
    "relu_only_preactivation": Unit(("relu",), ("bn", "relu"), ("bn",), ()),  # Fig. 4(d)
    "full_preactivation": Unit(("bn", "relu"), ("bn", "relu"), (), ()),  # Fig. 4(e)
}


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
    norm: NormSpec
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
    def unit_name(self) -> str | None:
        """Its unit's name in :data:`UNITS` (None: an ordering of its own)."""
        return next((name for name, unit in UNITS.items() if unit == self.unit), None)

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
        return self.recipe.width_of("out", {**self.constants(), "planes": planes, "in": 0, "group_width": 1})

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
    """One stage as the spec declares it: its blocks, its stride, and the pool or downsample before them."""

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

    @property
    def drop_path_scheduled(self) -> bool:
        """Whether the spec's ``drop_path_rate`` gives some block a rate above 0 (its rise over the blocks starts
        at 0: a model of one block has none), so that a printed model takes the rate and spreads it."""
        return any(b.drop_path for b in self.blocks)

    def block(self, block_id: str) -> Block:
        s, b = block_id[1:].split(".b")
        return self.stages[int(s)].blocks[int(b)]
