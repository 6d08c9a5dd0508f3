"""Expansion of one block of a stage, driven by two data tables (part of the ``lower`` pass).

- :data:`BLOCKS`: the conv slots of a block kind (kernel, width, which slot takes the stride and groups).
- :data:`UNITS`: where BN and ReLU sit relative to the convs and the addition — the five residual-unit
  orderings of "Identity Mappings in Deep Residual Networks" (He et al., 2016), Fig. 4.

A new block kind or unit ordering is a new row here, never a new code path. Shortcuts (options A/B/C,
none for plain nets, ResNet-D average-pool projections) and squeeze-and-excitation are knobs of the spec.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from archc.ir.graph import add_op
from archc.spec.schema import Spec


@dataclass(frozen=True)
class BlockLayout:
    kernels: tuple[int, ...]
    widths: tuple[str, ...]  # "inner" (int(width × base_width / 64) × groups) or "out" (width × expansion)
    stride_slot: dict[str, int]  # stride_at → which conv slot carries the block's stride
    grouped_slot: int | None = None  # the conv slot that takes ``groups`` (ResNeXt's 3x3)


BLOCKS = {
    "basic": BlockLayout((3, 3), ("inner", "out"), {"1x1": 0, "3x3": 0}),
    "bottleneck": BlockLayout((1, 3, 1), ("inner", "inner", "out"), {"1x1": 0, "3x3": 1}, grouped_slot=1),
    "single": BlockLayout((3,), ("out",), {"1x1": 0, "3x3": 0}),  # one conv per block (VGG, plain stacks)
}


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


def unit_of(spec: Spec) -> Unit:
    """The spec's unit: a row of :data:`UNITS` by name, or the ordering the spec writes out."""
    if isinstance(spec.unit, str):
        return UNITS[spec.unit]
    u = spec.unit
    return Unit(tuple(u.preact), tuple(u.inner), tuple(u.last), tuple(u.after_add))


@dataclass
class Cursor:
    """Where lowering stands: the last node and its channel count."""

    node: str
    channels: int


@dataclass(frozen=True)
class BlockPlan:
    """One block as the stage loop decided it: position, stride, dilation and widths."""

    stage: int
    index: int
    stride: int
    dilation: int
    first_dilation: int  # the block's first 3x3 keeps the previous dilation (torchvision, timm)
    inner: int
    out: int
    groups: int = 1  # of the grouped slot's conv (the spec's or the stage's groups)


class Emitter:
    """Adds the ops of one block (or the stem / head post-activation) to the graph."""

    def __init__(self, g: nx.DiGraph, spec: Spec, prefix: str, scope: tuple, origin: tuple):
        self.g, self.spec, self.prefix, self.scope, self.origin = g, spec, prefix, scope, origin
        self.norms: list[str] = []  # batchnorm nodes of the residual branch, in order

    def op(self, role: str, kind: str, inputs: list[str], main_path: bool = True, **attrs) -> str:
        node = f"{self.prefix}.{role}"
        return add_op(self.g, node, kind, inputs, scope=self.scope, role=role, origin=self.origin,
                      main_path=main_path, **attrs)  # fmt: skip

    def conv(self, role: str, cur: Cursor, out: int, kernel: int, *, followed_by=(), main_path=True, **kw) -> str:
        stride, dilation, groups = kw.get("stride", 1), kw.get("dilation", 1), kw.get("groups", 1)
        pad = kw.get("padding", dilation * (kernel // 2))
        node = self.op(
            role, "conv", [cur.node], main_path, in_channels=cur.channels, out_channels=out,
            kernel=(kernel, kernel), stride=(stride, stride), padding=(pad, pad, pad, pad),
            dilation=(dilation, dilation), groups=groups, bias=kw.get("bias", conv_bias(self.spec, followed_by)),
        )  # fmt: skip
        if pad and self.spec.defaults.explicit_padding:
            self.g.nodes[node]["attrs"]["explicit_padding"] = True  # a backend hint; no effect on shapes or costs
        return node

    def apply(self, ops: tuple[str, ...], slot: str, cur: Cursor, main_path: bool = True) -> Cursor:
        """Append the unit's ``bn`` / ``relu`` tokens; roles ``bn1``/``act1`` or ``preact_bn``/``out_act``."""
        node = cur.node
        for token in ops:
            kind = "bn" if token == "bn" else "act"
            role = f"{kind}{slot}" if slot.isdigit() or not slot else f"{slot}_{kind}"
            if token == "bn":
                if not has_norm(self.spec):
                    continue
                norm = self.spec.defaults.norm
                node = self.op(role, "batchnorm", [node], main_path, channels=cur.channels, eps=norm.eps,
                               momentum=norm.momentum)  # fmt: skip
                self.norms.append(node)
            else:
                node = self.op(role, "relu", [node], main_path)
        return Cursor(node, cur.channels)


def has_norm(spec: Spec) -> bool:
    return spec.defaults.norm.kind != "none"


def conv_bias(spec: Spec, followed_by: tuple[str, ...]) -> bool:
    """``conv_bias: auto`` gives a conv a bias unless a norm follows it (Keras ResNetV2)."""
    if spec.defaults.conv_bias == "auto":
        return not (followed_by[:1] == ("bn",) and has_norm(spec))
    return spec.defaults.conv_bias


def lower_block(g: nx.DiGraph, spec: Spec, plan: BlockPlan, cur: Cursor) -> Cursor:
    unit, layout = unit_of(spec), BLOCKS[spec.block]
    origin = ("stages", plan.stage, "stride") if plan.stride != 1 else ("stages", plan.stage)
    e = Emitter(g, spec, f"s{plan.stage}.b{plan.index}", ("stage", plan.stage, plan.index), origin)
    pre = e.apply(unit.preact, "preact", cur)
    x, last, first3 = pre, len(layout.kernels) - 1, True
    for i, kernel in enumerate(layout.kernels):
        ops = unit.last if i == last else unit.inner
        dilation = 1 if kernel == 1 else (plan.first_dilation if first3 else plan.dilation)
        se_here = first3 and kernel != 1 and spec.se is not None and spec.se.after == "3x3"
        first3 = first3 and kernel == 1
        width = plan.inner if layout.widths[i] == "inner" else plan.out
        conv = e.conv(
            f"conv{i + 1}", x, width, kernel, followed_by=ops, dilation=dilation,
            stride=plan.stride if i == layout.stride_slot[spec.stride_at] else 1,
            groups=plan.groups if i == layout.grouped_slot else 1,
        )  # fmt: skip
        x = e.apply(ops, str(i + 1), Cursor(conv, width))
        if se_here:  # RegNetY: SE after the (first) 3x3 conv and its BN and ReLU
            x = _squeeze_excite(e, x, _se_width(spec, x.channels, cur.channels))
    branch_norms = [n for n in e.norms if not g.nodes[n]["role"].startswith("preact")]
    if spec.zero_init_last_bn and branch_norms:
        g.nodes[branch_norms[-1]]["attrs"]["zero_init"] = True
    if spec.se is not None and spec.se.after == "last":
        x = _squeeze_excite(e, x, _se_width(spec, x.channels, cur.channels))
    if spec.shortcut != "none":
        short = _shortcut(e, plan, cur, pre, unit)
        x = Cursor(e.op("add", "add", [x.node, short]), plan.out)
    x = e.apply(unit.after_add, "out", x)
    g.graph["block_outputs"][x.node] = (plan.stage, plan.index)
    return x


def _se_width(spec: Spec, channels: int, block_input: int) -> int:
    """SE hidden width: ``C // reduction`` (SENet), or ``round(ratio × W)`` (timm's RegNetY: W the block input)."""
    se = spec.se
    if se.ratio is None:
        return max(1, channels // se.reduction)
    return max(1, int(round(se.ratio * (block_input if se.ratio_of == "block_input" else channels))))


def _squeeze_excite(e: Emitter, x: Cursor, squeezed: int) -> Cursor:
    """avg-pool → 1x1 conv (C → hidden) → ReLU → 1x1 conv (hidden → C) → sigmoid → channel-wise scale."""
    pool = Cursor(e.op("se_pool", "global_pool", [x.node], False, mode="avg"), x.channels)
    reduce = e.conv("se_reduce", pool, squeezed, 1, main_path=False, bias=True)  # SENet's fcs have biases
    act = Cursor(e.op("se_act", "relu", [reduce], False), squeezed)
    expand = e.conv("se_expand", act, x.channels, 1, main_path=False, bias=True)
    gate = e.op("se_gate", "sigmoid", [expand], False)
    return Cursor(e.op("se_scale", "scale", [x.node, gate], False), x.channels)


def _b_projects(spec, plan: BlockPlan, cur: Cursor) -> bool:
    """Option B projects when the shape changes; ``strided_identity: subsample`` keeps a strided identity."""
    if cur.channels != plan.out:
        return True
    return plan.stride != 1 and spec.strided_identity == "projection"


def _shortcut(e: Emitter, plan: BlockPlan, cur: Cursor, pre: Cursor, unit: Unit) -> str:
    """Projection (options B/C; from the pre-activated input) or identity (zero-padded for option A)."""
    spec = e.spec
    e.origin = ("shortcut",)
    if spec.shortcut == "C" or (spec.shortcut == "B" and _b_projects(spec, plan, cur)):
        node, stride = pre.node, plan.stride
        if stride > 1 and spec.projection_stride == "avgpool":
            node = e.op("down_pool", "avgpool", [node], False, kernel=(stride, stride), stride=(stride, stride),
                        padding=(0, 0, 0, 0), ceil_mode=True, count_include_pad=False)  # fmt: skip
            stride = 1
        norm = ("bn",) if "bn" in unit.last else ()
        node = e.conv("down_conv", Cursor(node, pre.channels), plan.out, 1, followed_by=norm, main_path=False,
                      stride=stride)  # fmt: skip
        if norm and has_norm(spec):
            norm_spec = spec.defaults.norm
            node = e.op("down_bn", "batchnorm", [node], False, channels=plan.out, eps=norm_spec.eps,
                        momentum=norm_spec.momentum)  # fmt: skip
        return node
    if plan.out < cur.channels:
        raise LoweringError(
            ("stages", plan.stage, "width"),
            f"an identity shortcut cannot shrink {cur.channels} channels to {plan.out}",
            "use shortcut: B, or widths that do not shrink",
        )
    node = cur.node
    if plan.stride != 1:
        node = e.op("subsample", "subsample", [node], False, stride=plan.stride)
    if plan.out != cur.channels:
        extra = plan.out - cur.channels
        node = e.op("pad", "pad_channels", [node], False, before=extra // 2, after=extra - extra // 2)
    return node


class LoweringError(Exception):
    """Raised with a spec path; :mod:`archc.pipeline` turns it into a located diagnostic."""

    def __init__(self, origin: tuple, message: str, help: str):
        super().__init__(message)
        self.origin, self.message, self.help = origin, message, help
