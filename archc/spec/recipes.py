"""The spec language of user-defined blocks (``blocks:``): a recipe as data, in the step format of the built-ins.

A recipe is ``lets`` (named widths, in order: expressions of the block parameters ``planes`` — the stage's
width —, ``in`` — the block's input channels — and of the recipe's own ``params``), ``steps`` (conv, norm,
act, se, eca, layer_scale, drop_path, branch, add: :mod:`archc.ir.recipe`'s steps, with their ``kind`` tag)
and a ``shortcut`` (A | B | C | none | identity, the spec's by default). Widths, groups and SE sizes are expression
*text*: the schema checks it parses (:func:`archc.ir.expr.parse`, never ``eval``), the loader that every name
it reads exists (did-you-mean), and :mod:`archc.ir.user_blocks` compiles the recipe once per definition.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

from archc.ir.expr import ExprError, parse
from archc.spec.fields import Activation, SpecModel

BUILTIN_KINDS = ("basic", "bottleneck", "single")
BlockName = Annotated[str, StringConstraints(pattern=r"^[a-z_][a-z0-9_]{0,63}$")]
Role = Annotated[str, StringConstraints(pattern=r"^[a-z_][a-z0-9_]{0,63}$")]


def _expression(value: str | int) -> str | int:
    if isinstance(value, int):
        return value
    try:
        parse(value)
    except ExprError as exc:
        help = "write numbers, names, + - * / //, ( ) and the calls int, round, max, make_divisible"
        raise PydanticCustomError(
            "expression", "bad width expression: {why}", {"why": str(exc), "help": help}
        ) from None
    return value


Expression = Annotated[str | int, AfterValidator(_expression)]


class StepNorm(SpecModel):
    kind: Literal["batchnorm", "groupnorm", "layernorm"]
    eps: Annotated[float, Field(gt=0, lt=1)] = 1e-5
    momentum: Annotated[float, Field(gt=0, lt=1)] = 0.1
    groups: Annotated[int, Field(ge=1)] = 32


class ConvStep(SpecModel):
    kind: Literal["conv"]
    role: Role | None = Field(default=None, description="its attribute name (default conv1, conv2, …)")
    kernel: Annotated[int, Field(ge=1, le=64)] = 1
    width: Expression | None = Field(default=None, description="output channels (default: its input's)")
    stride: bool = Field(default=False, description="takes the block's stride")
    groups: Expression = 1
    depthwise: bool = Field(default=False, description="groups = its input channels (a depthwise conv)")
    bias: bool = False
    linear: bool = Field(
        default=False, description="a pointwise conv written as nn.Linear on channels-last (kernel 1; same costs)"
    )


class NormStep(SpecModel):
    kind: Literal["norm"]
    role: Role | None = None
    norm: StepNorm | None = Field(default=None, description="default: the spec's defaults.norm")
    zero_init: bool = False


class ActStep(SpecModel):
    kind: Literal["act"]
    role: Role | None = None
    fn: Activation | None = Field(default=None, description="default: the spec's defaults.activation")


class SEStep(SpecModel):
    kind: Literal["se"]
    hidden: Expression = "max(1, out // 16)"


class ECAStep(SpecModel):
    kind: Literal["eca"]
    kernel: Expression = "eca_kernel_size(out)"


class LayerScaleStep(SpecModel):
    kind: Literal["layer_scale"]
    role: Role | None = None
    init: Annotated[float, Field(gt=0, le=10)] = 1e-6


class DropPathStep(SpecModel):
    kind: Literal["drop_path"]
    role: Role | None = None
    rate: Annotated[float, Field(ge=0, lt=1)] = 0.0


class BranchStep(SpecModel):
    kind: Literal["branch"]


class AddStep(SpecModel):
    kind: Literal["add"]


RecipeStep = Annotated[
    ConvStep | NormStep | ActStep | SEStep | ECAStep | LayerScaleStep | DropPathStep | BranchStep | AddStep,
    Field(discriminator="kind"),
]


class BlockRecipe(SpecModel):
    """A user-defined block: named widths, steps in order, a shortcut rule."""

    params: dict[Role, int | float] = Field(default_factory=dict, max_length=16, description="constants")
    lets: dict[Role, Expression] = Field(
        default_factory=dict, max_length=16, description="named widths in order; 'out' (default: planes) is the output"
    )
    steps: list[RecipeStep] = Field(min_length=1, max_length=64)
    shortcut: Literal["A", "B", "C", "none", "identity"] | None = Field(
        default=None,
        description="default: the spec's; identity: the identity where the block keeps its shape, else no shortcut"
        " and no addition (MobileNetV2's inverted residual)",
    )
