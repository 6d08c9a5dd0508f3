"""The spec language: pydantic models of a stage table (the ResNet paper's Table 1 written as data).

Every model forbids unknown keys and is strict about types (``"3"`` is not ``3``), so a misspelt or
mistyped key is an error with a location, never a silent default. ``archc schema`` prints the JSON Schema
generated from these models.
"""

# (no `from __future__ import annotations`: real annotations spare pydantic an eval per field at import)

from typing import Annotated, Literal

from pydantic import (
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
)
from pydantic_core import PydanticCustomError

from archc.settings import LIMITS
from archc.spec.fields import (
    Activation,
    Channels,
    Identifier,
    Kernel,
    MetaScalar,
    MetaText,
    Padding,
    Spatial,
    SpecModel,
    Stride,
    no_items,
)
from archc.spec.recipes import BlockName, BlockRecipe

SPEC_VERSION = 1


class Metadata(SpecModel):
    """Facts about the model that archc reports but does not compute (paper, accuracy).

    The keys below are typed (error rates are percentages; ``compare`` shows them). Any other key is allowed
    (``paper_params: 25.5``, ``dataset: ImageNet``) if its name is lower_snake_case and its value a single
    string, number, boolean or null; archc keeps it and reports nothing from it."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, MetaScalar] = Field(init=False)  # key names are checked by the loader

    paper: MetaText = ""
    notes: MetaText = ""
    top1_error: Annotated[float, Field(ge=0, le=100)] | None = None
    top5_error: Annotated[float, Field(ge=0, le=100)] | None = None
    cifar10_error: Annotated[float, Field(ge=0, le=100)] | None = None
    paper_flops: MetaText | None = None  # the figure the paper printed, e.g. "3.8×10⁹"


class InputSpec(SpecModel):
    channels: Channels = 3
    size: list[Spatial] = Field(default=[224, 224], min_length=2, max_length=2)

    @field_validator("size", mode="before")
    @classmethod
    def _square(cls, v):
        return [v, v] if isinstance(v, int) and not isinstance(v, bool) else v


class NormSpec(SpecModel):
    kind: Literal["batchnorm", "groupnorm", "layernorm", "none"] = Field(
        default="batchnorm",
        description="batchnorm | groupnorm (Wu & He 2018; timm resnet50_gn) | layernorm (over the channels of each"
        " position: timm's LayerNorm2d, ConvNeXt) | none (VGG)",
    )
    eps: Annotated[float, Field(gt=0, lt=1)] = 1e-5
    momentum: Annotated[float, Field(gt=0, lt=1)] = Field(default=0.1, description="batchnorm only")
    groups: Annotated[int, Field(ge=1, le=LIMITS.max_channels)] = Field(
        default=32, description="groupnorm only: groups per norm; must divide every normalised width"
    )


class Defaults(SpecModel):
    norm: NormSpec = NormSpec()
    activation: Activation = Field(default="relu", description="relu | relu6 | gelu | silu | hardswish")
    conv_bias: bool | Literal["auto"] = Field(
        default=False, description="true | false | auto (a bias unless a norm follows the conv, as Keras V2)"
    )
    explicit_padding: bool = Field(
        default=False,
        description="mark every padded conv to print its padding as its own layer (Keras ZeroPadding2D + valid,"
        " as keras.applications ResNetV2 does) even where 'same' would do; costs are unchanged",
    )


class ConvLayer(SpecModel):
    """A stem convolution: conv, then (optionally) norm and activation."""

    op: Literal["conv"]
    kernel: Kernel
    width: Channels
    stride: Stride = 1
    padding: Padding | None = None  # default: kernel // 2 on every side
    norm: bool = True
    activation: bool = True
    bias: bool | None = Field(default=None, description="a conv bias (default: defaults.conv_bias's rule)")
    replaces_pool: bool = Field(
        default=False,
        description="this conv (+ norm, act) is the stem's pool (ResNet-RS, timm's replace_stem_pool): timm's names"
        " print it as maxpool.0 / .1 / .2",
    )


class PoolLayer(SpecModel):
    op: Literal["maxpool", "avgpool", "blurpool"] = Field(
        description="maxpool | avgpool | blurpool (timm's BlurPool2d: a fixed binomial filter of size 'kernel' per"
        " channel on a reflect-padded input, then the stride; its filter is a buffer, not a parameter)"
    )
    kernel: Kernel
    stride: Stride = 1
    padding: Padding | None = None  # default: kernel // 2 (blurpool: timm's ((stride - 1) + (kernel - 1)) // 2)


StemLayer = Annotated[ConvLayer | PoolLayer, Field(discriminator="op")]


class Head(SpecModel):
    pool: Literal["avg", "max", "none"] = "avg"
    pool_size: Annotated[int, Field(ge=1, le=LIMITS.max_spatial)] = Field(
        default=1, description="output size of the adaptive pool (torchvision VGG: 7)"
    )
    hidden: list[Channels] = Field(default_factory=no_items, max_length=8, description="hidden fc widths (VGG)")
    dropout: Annotated[float, Field(ge=0, lt=1)] = Field(default=0.0, description="dropout before hidden fcs")
    classes: Annotated[int, Field(ge=1, le=LIMITS.max_channels * 16)] = 1000
    features_only: bool = Field(default=False, description="no classifier: return every stage's output")
    norm: bool = Field(
        default=False, description="a norm (defaults.norm) after the global pool, before the classifier (ConvNeXt)"
    )


class Downsample(SpecModel):
    """A separate downsampling layer in front of a stage (ConvNeXt): norm, then a conv of kernel = stride = the
    stage's stride from the previous width to the stage's; the stage's blocks then keep their resolution."""

    norm: bool = Field(default=True, description="a norm (defaults.norm) before the conv")
    bias: bool = Field(default=True, description="the conv's bias")


UnitOp = Literal["bn", "relu"]
UnitName = Literal[
    "original", "bn_after_addition", "relu_before_addition", "relu_only_preactivation", "full_preactivation"
]


class UnitSpec(SpecModel):
    """A residual-unit ordering written out (the names of ``unit:`` are five such orderings)."""

    preact: list[UnitOp] = Field(default_factory=no_items, max_length=4, description="on the block input")
    inner: list[UnitOp] = Field(default=["bn", "relu"], max_length=4, description="after every conv but the last")
    last: list[UnitOp] = Field(default=["bn"], max_length=4, description="after the last conv, before the add")
    after_add: list[UnitOp] = Field(default=["relu"], max_length=4, description="after the addition")

    @field_validator("preact", "inner", "last", "after_add")
    @classmethod
    def _once(cls, v):
        if twice := next((op for i, op in enumerate(v) if op in v[:i]), None):
            help = "name each of bn and relu at most once in a position (one layer each, e.g. [bn, relu])"
            raise PydanticCustomError("repeated_op", "'{op}' appears twice: {v}", {"op": twice, "v": v, "help": help})
        return v


class SqueezeExcite(SpecModel):
    """Squeeze-and-excitation on the residual branch (Hu et al.).

    Hidden width: ``max(1, C // reduction)`` (SENet) or ``round(ratio × C)`` (RegNetY); with ``divisor``,
    timm's ``make_divisible(C / reduction (or ratio × C), divisor, round_limit)``. C is the width named by
    ``width_of``; ``after`` says where SE sits.
    """

    reduction: Annotated[int, Field(ge=1, le=1024)] = Field(default=16, description="hidden width = C / reduction")
    ratio: Annotated[float, Field(gt=0, le=1)] | None = Field(
        default=None, description="hidden width round(ratio × C) instead of C // reduction (RegNetY: 0.25)"
    )
    divisor: Annotated[int, Field(ge=1, le=1024)] | None = Field(
        default=None,
        description="round C / reduction to the nearest multiple of divisor, at least divisor (timm: 8);"
        " null: floor division, at least 1 (SENet)",
    )
    round_limit: Annotated[float, Field(ge=0, lt=1)] = Field(
        default=0.0,
        description="with divisor: add one divisor when rounding lost more than 1 - round_limit (timm SE: 0)",
    )
    width_of: Literal["output", "input", "inner"] = Field(
        default="output",
        description="the width C the reduction or ratio applies to: the block output (SENet, timm ResNet),"
        " the block input (RegNetY) or the inner (bottleneck) width",
    )
    after: Literal["last", "3x3"] = Field(
        default="last",
        description="where SE sits: after the branch's last conv and BN (SENet) or after the 3x3 conv's BN"
        " and ReLU (RegNetY)",
    )


class EfficientChannelAttention(SpecModel):
    """ECA (Wang et al., 2020): global average pool, a 1-D conv across channels (no bias), sigmoid, scale."""

    kernel: Annotated[int, Field(ge=1, le=LIMITS.max_kernel)] | None = Field(
        default=None,
        description="odd kernel size; null: from the channel count C as timm computes it:"
        " t = int(|log2(C) + beta| / gamma), k = t if t is odd else t + 1, at least 3",
    )
    gamma: Annotated[float, Field(gt=0, le=64)] = 2.0
    beta: Annotated[float, Field(ge=-64, le=64)] = 1.0

    @field_validator("kernel")
    @classmethod
    def _odd(cls, v):
        if v is not None and v % 2 == 0:
            help = "use an odd kernel (3, 5, 7, …), or leave 'kernel' out to derive it from the channels"
            raise PydanticCustomError("odd_kernel", "the ECA kernel must be odd, got {v}", {"v": v, "help": help})
        return v


class Stage(SpecModel):
    """One row of the stage table. Every block knob of the top level may be set on a row too, with the same
    name and meaning (the top level is the default): ``block``, ``unit``, ``se``, ``eca``, ``expansion``,
    ``groups``, ``base_width``, ``stride_at``, ``shortcut``, ``norm``, ``activation``; ``se: false`` /
    ``eca: false`` turn the top level's attention off for the row."""

    name: Identifier
    width: Channels  # the block's inner width (64 … 512 in ResNet); outputs are width × expansion
    blocks: Annotated[int, Field(ge=1, le=LIMITS.max_blocks)]
    stride: Stride = 1
    pool: Literal["max", "avg"] | None = None  # a 2x2 stride-2 pool after the stage's last block (VGG)
    groups: Annotated[int, Field(ge=1, le=LIMITS.max_channels)] | None = Field(
        default=None, description="groups of this stage's 3x3 conv (overrides the spec's groups)"
    )
    group_width: Annotated[int, Field(ge=1, le=LIMITS.max_channels)] | None = Field(
        default=None, description="channels per group of the 3x3 conv: groups = inner width // group_width (RegNet)"
    )
    bottleneck_ratio: Annotated[float, Field(gt=0, le=64)] | None = Field(
        default=None, description="inner width = round(width × expansion × bottleneck_ratio) (RegNet's b)"
    )
    block: BlockName | None = Field(
        default=None, description="this stage's block (a built-in kind or a 'blocks:' name)"
    )
    unit: (
        Annotated[
            Annotated[UnitName, Tag("unit[name]")] | Annotated[UnitSpec, Tag("unit[ordering]")],
            Discriminator(lambda v: "unit[name]" if isinstance(v, str) else "unit[ordering]"),
        ]
        | None
    ) = Field(default=None, description="this stage's unit ordering")
    se: SqueezeExcite | Literal[False] | None = Field(
        default=None, description="squeeze-and-excitation on this stage's blocks (false: none here)"
    )
    eca: EfficientChannelAttention | Literal[False] | None = Field(
        default=None, description="efficient channel attention on this stage's blocks (false: none here)"
    )
    expansion: Annotated[int, Field(ge=1, le=64)] | None = Field(default=None, description="this stage's expansion")
    base_width: Annotated[int, Field(ge=1, le=LIMITS.max_channels)] | None = Field(
        default=None, description="this stage's base width (bottleneck blocks)"
    )
    stride_at: Literal["1x1", "3x3"] | None = Field(default=None, description="this stage's stride placement")
    dilation: Annotated[int, Field(ge=1, le=64)] | None = Field(
        default=None, description="dilation of this stage's 3x3 convs (its first block's first keeps the previous)"
    )
    shortcut: Literal["A", "B", "C", "none"] | None = Field(default=None, description="this stage's shortcut")
    norm: NormSpec | None = Field(default=None, description="this stage's norm (default: defaults.norm)")
    activation: Activation | None = Field(default=None, description="this stage's activation")
    downsample: Downsample | Literal[False] | None = Field(
        default=None, description="a separate downsampling layer in front of this stage (false: none here)"
    )


STAGE_KNOBS = (
    "downsample", "block", "unit", "se", "eca", "expansion", "base_width", "stride_at", "shortcut", "dilation",
)  # fmt: skip


class Names(SpecModel):
    """Naming profiles: the module names each backend prints (state-dict keys, Keras layer names)."""

    pytorch: Literal["torchvision", "timm"] = Field(
        default="torchvision",
        description="torchvision (conv1, layer1.0.downsample.0, …; a RegNet's stem.0, trunk_output.block1.block1-0.f.a.0)"
        " or timm (deep stem conv1.0/.1/.3…, downsample.0 the pool, se.fc1 / se.conv, act1; a RegNet's stem.conv,"
        " s1.b1.conv1.conv, head.fc): the library's checkpoints load with strict=True",
    )


class Spec(SpecModel):
    """A whole architecture."""

    archc: Literal[1] = Field(description="spec language version")
    name: Identifier = Field(description="model name: file name and constructor of generated code")
    description: MetaText = ""
    extends: str | None = Field(default=None, description="a spec to derive from (path or built-in)")
    metadata: Metadata = Metadata()
    input: InputSpec = InputSpec()
    defaults: Defaults = Defaults()
    stem: list[StemLayer] = Field(default_factory=no_items, max_length=32)
    blocks: dict[Identifier, BlockRecipe] = Field(
        default_factory=dict, max_length=16, description="user-defined blocks: name → recipe (steps)"
    )
    block: BlockName = Field(description="basic | bottleneck | single | a name defined under 'blocks:'")
    downsample: Downsample | None = Field(
        default=None,
        description="separate downsampling layers: one in front of every stage that strides or changes the width",
    )
    stride_at: Literal["1x1", "3x3"] = Field(
        default="1x1",
        description="bottleneck stride on the first 1x1 (paper, Keras) or the 3x3 (torchvision v1.5)",
    )
    shortcut: Literal["A", "B", "C", "none"] = Field(
        default="B",
        description="A: zero-pad identity; B: projection when the shape changes; C: projection always;"
        " none: a plain net (no shortcut, no addition)",
    )
    strided_identity: Literal["projection", "subsample"] = Field(
        default="projection",
        description="option B, a block whose stride changes only the spatial size (channels equal): a projection"
        " (torchvision, the paper) or a stride-s subsample of the identity (keras.applications ResNetV2)",
    )
    projection_stride: Literal["conv", "avgpool"] = Field(
        default="conv",
        description="a strided projection shortcut: stride on the 1x1 conv, or a 2x2 average pool first (ResNet-D)",
    )
    projection_kernel: Annotated[int, Field(ge=1, le=LIMITS.max_kernel)] = Field(
        default=1,
        description="kernel of a strided projection conv (padding kernel // 2; timm's down_kernel_size, SENet-154:"
        " 3); a projection that does not stride stays 1x1, as timm's",
    )
    reduce_first: Annotated[int, Field(ge=1, le=64)] = Field(
        default=1,
        description="a block's first conv gives width // reduce_first channels, the next conv goes back to the"
        " width (timm's block_reduce_first; SENet-154: 2)",
    )
    unit: Annotated[
        Annotated[UnitName, Tag("unit[name]")] | Annotated[UnitSpec, Tag("unit[ordering]")],
        Discriminator(lambda v: "unit[name]" if isinstance(v, str) else "unit[ordering]"),
    ] = Field(
        default="original",
        description="where BN and ReLU sit relative to the convs and the addition: a Fig. 4 ordering of"
        " Identity Mappings by name, or a mapping {preact, inner, last, after_add} of bn/relu lists",
    )
    stride_block: Literal["first", "last"] = Field(
        default="first", description="which block of a stage carries its stride (Keras V2: last)"
    )
    expansion: Annotated[int, Field(ge=1, le=64)] | None = Field(
        default=None, description="output width / inner width (default 1 basic and single, 4 bottleneck)"
    )
    groups: Annotated[int, Field(ge=1, le=LIMITS.max_channels)] = Field(
        default=1, description="groups of the bottleneck's 3x3 conv (ResNeXt cardinality); bottleneck blocks only"
    )
    base_width: Annotated[int, Field(ge=1, le=LIMITS.max_channels)] = Field(
        default=64,
        description="inner width = int(width × base_width / 64) × groups (ResNeXt, Wide ResNet); bottleneck blocks only",
    )
    se: SqueezeExcite | None = Field(default=None, description="squeeze-and-excitation on every block")
    aa: Literal["blur", "avg"] | None = Field(
        default=None,
        description="anti-aliased downsampling (timm's aa_layer): in a block that strides, the conv that would"
        " take the stride keeps stride 1 and, after its norm and activation, a blur pool (blur: timm's BlurPool2d,"
        " a fixed 3x3 binomial filter, reflect padding; counted as a depthwise conv) or a stride×stride average"
        " pool (avg: nn.AvgPool2d(stride)) takes it",
    )
    eca: EfficientChannelAttention | None = Field(
        default=None, description="efficient channel attention on every block (instead of se)"
    )
    family: Literal["resnet", "regnet", "convnext"] = Field(
        default="resnet",
        description="the model skeleton around the blocks and its module names: resnet (torchvision's conv1,"
        " layer1…4, fc or timm's; a plain stack of single-conv blocks is VGG's features/classifier) or regnet"
        " (torchvision's stem, trunk_output.blockN, fc or timm's stem, s1…s4, head) or convnext (timm's stem.0/1,"
        " stages.N.downsample, stages.N.blocks.M, head.norm / head.fc)",
    )
    names: Names = Field(default=Names(), description="naming profile of each backend")
    zero_init_last_bn: bool = Field(default=False, description="initialise each branch's last BN gamma to 0")
    drop_path_rate: Annotated[float, Field(ge=0, lt=1)] = Field(
        default=0.0,
        description="stochastic depth over the whole network: block k of N (counted across stages from 0) drops"
        " its residual branch with probability drop_path_rate × k / (N − 1) in training (timm's drop_path_rate,"
        " torchvision's stochastic_depth_prob, keras.applications' drop_path_rate); needs a drop_path step in"
        " the block, without a rate of its own",
    )
    init: Literal["reference", "framework", "he_normal"] = Field(
        default="reference",
        description="weight initialisation of generated code. reference: as the backend's reference library"
        " (PyTorch: torchvision's ResNet/VGG init, convs kaiming_normal_ fan_out, BN weight 1 bias 0; Keras:"
        " keras.applications' layer defaults); framework: the framework's layer defaults only; he_normal:"
        " He et al. (2015) normal, fan_out, for every conv in both backends, BN weight 1 bias 0",
    )
    dilation: Annotated[int, Field(ge=1, le=64)] = Field(
        default=1,
        description="dilation (and padding) of the blocks' 3x3 convs; a stage's first block's first 3x3 keeps the"
        " previous stage's (torchvision, timm); output_stride multiplies it",
    )
    output_stride: Annotated[int, Field(ge=1, le=LIMITS.max_spatial)] | None = Field(
        default=None, description="dilate instead of striding once the total stride reaches this (8, 16)"
    )
    stages: list[Stage] = Field(min_length=1, max_length=64)
    head: Head = Head()

    def at(self, stage: Stage | None) -> "Spec":
        """The spec as ``stage`` sees it: the row's block knobs over the top level's (validated values)."""
        if stage is None:
            return self
        update = {k: getattr(stage, k) for k in STAGE_KNOBS if getattr(stage, k) is not None}
        update |= {k: None for k in ("se", "eca", "downsample") if update.get(k) is False}
        if stage.groups is not None:
            update["groups"] = stage.groups
        if stage.norm is not None or stage.activation is not None:
            d = {"norm": stage.norm, "activation": stage.activation}
            update["defaults"] = self.defaults.model_copy(update={k: v for k, v in d.items() if v is not None})
        if "se" in update and update["se"] is not None:
            update.setdefault("eca", None)
        if "eca" in update and update["eca"] is not None:
            update.setdefault("se", None)
        return self.model_copy(update=update) if update else self

    @property
    def block_expansion(self) -> int:
        if self.expansion is not None:
            return self.expansion
        return 4 if self.block == "bottleneck" else 1
