"""Planning: a validated spec → the block model (:class:`archc.ir.blocks.BlockModel`).

Pre: a :class:`archc.spec.schema.Spec` that validated. Post: every block's definition (the spec's knobs with
each stage row's own, :meth:`Spec.at`), its widths, stride, dilation, drop-path rate and whether its shortcut
projects; the stem's layers. A plan the spec cannot mean (a dilation with no conv to take it, a drop-path
schedule on a block without the step) is a :class:`PlanError` located at the key that asked for it.
"""

from __future__ import annotations

from archc.ir.blocks import (
    UNITS,
    Attention,
    Block,
    BlockDef,
    BlockModel,
    DownsampleLayer,
    StagePlan,
    StemLayer,
    Unit,
)
from archc.ir.expr import num
from archc.ir.recipe import DropPath, NormSpec, Recipe
from archc.ir.rules import blur_padding
from archc.ir.user_blocks import compile_recipe
from archc.spec.schema import ConvLayer, Spec, Stage


def definition_of(spec: Spec, stage: Stage | None = None) -> BlockDef:
    """The definition of a stage's blocks: the spec's knobs, with the stage's own block knobs (``block``,
    ``se``, ``unit``, …; :meth:`Spec.at`) and its ``groups`` / ``group_width`` / ``bottleneck_ratio``
    (RegNet) where it gives them (a group width makes the groups per block)."""
    spec = spec.at(stage)
    norm = NormSpec.of(spec.defaults.norm)
    custom, params = None, ()
    if spec.block in spec.blocks:
        r = spec.blocks[spec.block]
        custom = compile_recipe(r, norm.step, spec.defaults.activation, spec.shortcut, spec.strided_identity)
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
        norm=norm, conv_bias=spec.defaults.conv_bias,
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
    outs = {p: recipe.width_of("out", {**env, "planes": p}) for p in (64, 96)}
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
        out = d.out_width(stage.width)  # every block's output width (one definition and width per stage)
        if down is not None and (stride > 1 or channels != out):
            down = DownsampleLayer(channels, out, stride, down.norm, down.bias)
            channels, stride = out, 1
        else:
            down = None
        for b in range(stage.blocks):
            block_stride = stride if b == strided else 1
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
        if layer.padding is None and layer.op == "blurpool":
            pad = blur_padding(layer.kernel, layer.stride)
        if isinstance(layer, ConvLayer):
            item = StemLayer(j, "conv", layer.kernel, layer.stride, pad, channels, layer.width, layer.norm,
                             layer.activation, "maxpool" if layer.replaces_pool else None, layer.bias)  # fmt: skip
        else:
            item = StemLayer(j, layer.op, layer.kernel, layer.stride, pad, channels, channels)
        layers.append(item)
        channels, total_stride = item.out_channels, total_stride * layer.stride
    return layers, channels, total_stride
