"""Expansion of one planned block into ops (part of the ``lower`` pass): the only expansion code path.

A block's ops are its recipe's steps (:mod:`archc.ir.recipe`), in order, with the expressions evaluated
for the block's parameters; the shortcut from ``Block.projects`` / ``subsample`` / ``pad``. Every op node
gets ``block`` = the block's id.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import networkx as nx

from archc.ir.blocks import Block, BlockDef
from archc.ir.channels_last import walk
from archc.ir.graph import add_op
from archc.ir.naming import pytorch_profile
from archc.ir.plan import PlanError
from archc.ir.recipe import (
    ECA,
    Act,
    Add,
    AntiAlias,
    Branch,
    Conv,
    DropPath,
    LayerScale,
    LetError,
    Norm,
    Pool,
    SqueezeExcite,
    projection_kernel,
)
from archc.ir.rules import blur_padding

LoweringError = PlanError  # the name the pipeline catches


@dataclass
class Cursor:
    """Where lowering stands: the last node and its channel count."""

    node: str
    channels: int


class Emitter:
    """Adds the ops of one block (or of a stem layer / the head's post-activation) to the graph."""

    def __init__(self, g: nx.DiGraph, d: BlockDef, prefix: str, scope: tuple, origin: tuple, block=None):
        self.g, self.d, self.prefix, self.scope, self.origin, self.block = g, d, prefix, scope, origin, block
        self.norms: list[str] = []  # norm nodes (batchnorm, groupnorm) of the residual branch, in order
        self.created: list[str] = []  # every node added, in order

    def op(self, role: str, kind: str, inputs: list[str], main_path: bool = True, **attrs) -> str:
        node = f"{self.prefix}.{role}"
        add_op(self.g, node, kind, inputs, scope=self.scope, role=role, origin=self.origin,
               main_path=main_path, block=self.block, **attrs)  # fmt: skip
        self.created.append(node)
        return node

    def conv(self, role: str, cur: Cursor, out: int, kernel: int, *, followed_by=(), main_path=True, **kw) -> str:
        stride, dilation, groups = kw.get("stride", 1), kw.get("dilation", 1), kw.get("groups", 1)
        pad = kw.get("padding", dilation * (kernel // 2))
        node = self.op(
            role, "conv", [cur.node], main_path, in_channels=cur.channels, out_channels=out,
            kernel=(kernel, kernel), stride=(stride, stride), padding=(pad, pad, pad, pad),
            dilation=(dilation, dilation), groups=groups, bias=kw.get("bias", self.d.bias(followed_by)),
        )  # fmt: skip
        return node

    def norm(self, role: str, node: str, channels: int, main_path: bool = True, norm=None) -> str:
        """A norm layer (batchnorm or groupnorm; the definition's by default) on ``channels`` channels."""
        norm = norm or self.d.norm
        if norm.kind == "layernorm":
            return self.op(role, "layernorm", [node], main_path, channels=channels, eps=norm.eps)
        if norm.kind == "batchnorm":
            return self.op(role, "batchnorm", [node], main_path, channels=channels, eps=norm.eps,
                           momentum=norm.momentum)  # fmt: skip
        if channels % norm.groups:
            raise LoweringError(
                ("defaults", "norm", "groups"),
                f"GroupNorm with {norm.groups} groups cannot split the {channels} channels of {self.prefix}.{role}",
                f"use a number of groups that divides every normalised width (here at most {math.gcd(norm.groups, channels)})",
            )
        return self.op(role, "groupnorm", [node], main_path, channels=channels, groups=norm.groups, eps=norm.eps)

    def apply(self, ops: tuple[str, ...], slot: str, cur: Cursor, main_path: bool = True) -> Cursor:
        """Append the unit's ``bn`` / ``relu`` tokens; roles ``bn1``/``act1`` or ``preact_bn``/``out_act``."""
        node = cur.node
        for token in ops:
            kind = "bn" if token == "bn" else "act"
            role = f"{kind}{slot}" if slot.isdigit() or not slot else f"{slot}_{kind}"
            if token == "bn":
                if self.d.norm.kind == "none":
                    continue
                node = self.norm(role, node, cur.channels, main_path)
                self.norms.append(node)
            else:
                node = self.op(role, self.d.activation, [node], main_path)
        return Cursor(node, cur.channels)


def lower_block(g: nx.DiGraph, block: Block, cur: Cursor) -> Cursor:
    """Expand ``block``'s recipe (:attr:`BlockDef.recipe`) into ops: one op (or a few) per step."""
    d = block.definition
    recipe = d.recipe  # looked up once (a definition hashes all its fields)
    try:
        env = block.env
    except LetError as exc:
        where = ("blocks", d.kind, "lets", exc.name) if d.custom is not None else _origin(block)
        raise LoweringError(where, f"{block.id}: {exc}", f"write '{exc.name}' so that it has a value for every "
                            f"block (here planes = {block.planes}, in = {block.in_channels})") from None  # fmt: skip
    origin = ("stages", block.stage, "stride") if block.stride != 1 else ("stages", block.stage)
    e = Emitter(g, d, block.id, ("stage", block.stage, block.index), origin, block.id)
    x, branch = cur, cur
    takes_stride = any(c.stride for c in recipe.convs()) or any(isinstance(s, AntiAlias) for s in recipe.steps)
    if block.stride != 1 and not takes_stride:
        raise LoweringError(_origin(block), f"{block.id} strides by {block.stride} but no conv step takes the stride",
                            "add 'stride: true' to a conv step, or a separate 'downsample:' layer")  # fmt: skip
    layouts = [cl for item, cl in walk(recipe.steps) if not isinstance(item, str)]  # channels-last per step
    mul_call = pytorch_profile(g) == "timm"
    for step, cl in zip(recipe.steps, layouts, strict=True):
        if isinstance(step, Conv):
            width, groups = step.width.value(env), step.groups.value(env)
            _check_widths(block, step, x.channels, width, groups)
            dilation = 1 if step.dilation is None else getattr(block, step.dilation)
            node = e.conv(step.role, x, width, step.kernel, bias=step.bias, dilation=dilation,
                          stride=block.stride if step.stride else 1, groups=groups)  # fmt: skip
            if step.linear:
                g.nodes[node]["attrs"]["linear"] = True  # a backend hint: nn.Linear on channels-last
            x = Cursor(node, width)
        elif isinstance(step, Norm):
            x = Cursor(e.norm(step.role, x.node, x.channels, norm=step.norm), x.channels)
            if cl:  # a backend hint: nn.LayerNorm on channels-last (else LayerNorm2d); counters tell them apart
                g.nodes[x.node]["attrs"]["channels_last"] = True
            if step.zero_init:
                g.nodes[x.node]["attrs"]["zero_init"] = True
        elif isinstance(step, Act):
            x = Cursor(e.op(step.role, step.fn, [x.node]), x.channels)
        elif isinstance(step, SqueezeExcite):
            x = _squeeze_excite(e, x, step.hidden.value(env))
        elif isinstance(step, ECA):
            x = _eca(e, x, step.kernel.value(env))
        elif isinstance(step, LayerScale):  # hint: timm writes x.mul(gamma) on N×C×H×W, others the * operator
            x = Cursor(e.op(step.role, "layer_scale", [x.node], channels=x.channels, init=step.init,
                            mul_call=mul_call and not cl), x.channels)  # fmt: skip
        elif isinstance(step, AntiAlias):
            if block.stride > 1:
                x = Cursor(anti_alias(e, step, x, block.stride), x.channels)
        elif isinstance(step, DropPath):
            rate = step.rate or block.drop_path  # the step's own rate, else the spec's schedule
            x = Cursor(e.op(step.role, "drop_path", [x.node], rate=rate), x.channels)
        elif isinstance(step, Branch):
            branch = x
        elif isinstance(step, Add) and not block.residual:
            continue  # shortcut "identity" where the block changes its shape: no shortcut, no addition
        elif isinstance(step, Add):
            if x.channels != env["out"]:
                raise LoweringError(_origin(block), f"{block.id}: the main path ends with {x.channels} channels, "
                                    f"'out' is {env['out']}", "make the last conv's width 'out'")  # fmt: skip
            short = _projection(e, block, branch, env) if block.projects else _identity(e, block, cur)
            x = Cursor(e.op("add", "add", [x.node, short]), env["out"])
    g.graph["block_outputs"][x.node] = (block.stage, block.index)
    block.nodes, block.input = e.created, cur.node
    return x


def _origin(block: Block) -> tuple:
    d = block.definition
    return ("blocks", d.kind) if d.custom is not None else ("stages", block.stage)


def _check_widths(block: Block, step: Conv, cin: int, width: int, groups: int) -> None:
    """Widths that cannot add up for this block: a width below 1, groups that do not divide both sides."""
    if width < 1 or groups < 1 or cin % groups or width % groups:
        raise LoweringError(
            _origin(block),
            f"{block.id}.{step.role}: {cin} → {width} channels in {groups} groups (stage width {block.planes})",
            "use widths the groups divide (a depthwise conv keeps its input width), each at least 1",
        )


def anti_alias(e: Emitter, step: AntiAlias, x: Cursor, stride: int) -> str:
    """A blur pool (timm's BlurPool2d: reflect padding, a fixed depthwise binomial filter, the stride) or
    ``nn.AvgPool2d(stride)`` (kernel = stride, no padding)."""
    if step.mode == "blur":
        k, pad = step.filt_size, blur_padding(step.filt_size, stride)
        return e.op(step.role, "blurpool", [x.node], channels=x.channels, kernel=(k, k), stride=(stride, stride),
                    padding=(pad,) * 4)  # fmt: skip
    return e.op(step.role, "avgpool", [x.node], kernel=(stride, stride), stride=(stride, stride), padding=(0,) * 4)


def _eca(e: Emitter, x: Cursor, kernel: int) -> Cursor:
    """avg-pool → 1-D conv across the C channels (kernel k, zero padding k // 2, no bias) → sigmoid → scale."""
    pool = e.op("eca_pool", "global_pool", [x.node], False, mode="avg")
    conv = e.op("eca_conv", "channel_conv", [pool], False, channels=x.channels, kernel=kernel, bias=False)
    gate = e.op("eca_gate", "sigmoid", [conv], False)
    return Cursor(e.op("eca_scale", "scale", [x.node, gate], False), x.channels)


def _squeeze_excite(e: Emitter, x: Cursor, squeezed: int) -> Cursor:
    """avg-pool → 1x1 conv (C → squeezed) → ReLU → 1x1 conv (squeezed → C) → sigmoid → channel-wise scale."""
    pool = Cursor(e.op("se_pool", "global_pool", [x.node], False, mode="avg"), x.channels)
    reduce = e.conv("se_reduce", pool, squeezed, 1, main_path=False, bias=True)  # SENet's fcs have biases
    act = Cursor(e.op("se_act", "relu", [reduce], False), squeezed)
    expand = e.conv("se_expand", act, x.channels, 1, main_path=False, bias=True)
    gate = e.op("se_gate", "sigmoid", [expand], False)
    return Cursor(e.op("se_scale", "scale", [x.node, gate], False), x.channels)


def _projection(e: Emitter, block: Block, pre: Cursor, env: dict) -> str:
    """The recipe's projection steps from the pre-activated input (options B/C); a pool takes the stride."""
    e.origin, node, stride = ("shortcut",), pre.node, block.stride
    for step in block.definition.recipe.shortcut.projection:
        if isinstance(step, Pool) and stride > 1:
            node = e.op(step.role, "avgpool", [node], False, kernel=(stride, stride), stride=(stride, stride),
                        padding=(0, 0, 0, 0), ceil_mode=True, count_include_pad=False)  # fmt: skip
        elif isinstance(step, Conv):
            strided = step.stride and stride > 1
            node = e.conv(step.role, Cursor(node, pre.channels), step.width.value(env), projection_kernel(step, stride),
                          main_path=False, stride=stride if strided else 1, bias=step.bias)  # fmt: skip
        elif isinstance(step, Norm):
            node = e.norm(step.role, node, block.out, main_path=False, norm=step.norm)
    return node


def _identity(e: Emitter, block: Block, cur: Cursor) -> str:
    """The identity, subsampled when the block strides, zero-padded when the width grows (option A)."""
    e.origin = ("shortcut",)
    node = cur.node
    if block.subsample != 1:
        node = e.op("subsample", "subsample", [node], False, stride=block.subsample)
    before, after = block.pad
    if before or after:
        node = e.op("pad", "pad_channels", [node], False, before=before, after=after)
    return node
