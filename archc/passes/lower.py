"""Pass ``lower``: expand a validated spec into the graph IR.

Pre:  a validated :class:`~archc.spec.schema.Spec`.
Post: a DiGraph whose nodes have ``op``, ``attrs``, ``scope``, ``role``, ``origin`` and ``main_path``,
      inserted in topological order; graph attributes ``input``, ``output`` and ``stages`` are set.
      No shapes yet (the ``shapes`` pass adds them).

Blocks are expanded from the data in :data:`BLOCKS` (kernel and width per conv slot, where the stride
goes); there is no class per model.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from archc.ir.graph import StageInfo, add_op, new_graph
from archc.spec.schema import ConvLayer, Spec


@dataclass(frozen=True)
class BlockLayout:
    kernels: tuple[int, ...]
    widths: tuple[str, ...]  # "inner" (the stage width) or "out" (width × expansion) per conv slot
    stride_slot: dict[str, int]  # stride_at → which conv slot carries the block's stride


BLOCKS = {
    "basic": BlockLayout((3, 3), ("inner", "out"), {"1x1": 0, "3x3": 0}),
    "bottleneck": BlockLayout((1, 3, 1), ("inner", "inner", "out"), {"1x1": 0, "3x3": 1}),
}


@dataclass
class _Cursor:
    """Where lowering stands: the last node and its channel count."""

    node: str
    channels: int


def lower(spec: Spec) -> nx.DiGraph:
    g = new_graph(spec.name)
    c, (h, w) = spec.input.channels, spec.input.size
    g.graph["input"] = add_op(
        g, "input", "input", [], scope=("input",), role="input", origin=("input",), channels=c, size=(h, w)
    )
    cur = _Cursor("input", c)
    for j, layer in enumerate(spec.stem):
        cur = _stem_layer(g, spec, j, layer, cur)
    for s, stage in enumerate(spec.stages):
        info = StageInfo(stage.name, s, stage.blocks, stage.width, stage.stride)
        for b in range(stage.blocks):
            cur = _block(g, spec, s, b, cur)
        info.output = cur.node
        g.graph["stages"].append(info)
    g.graph["output"] = _head(g, spec, cur)
    return g


def _conv_bn_act(g, spec: Spec, prefix: str, slot: str, cur: _Cursor, conv: dict, *, scope, origin, act=True, norm=True):
    """conv → (bn) → (relu); returns the new cursor. ``slot`` is the role suffix ("1", "2", …)."""
    k, stride, pad, bias = conv["kernel"], conv["stride"], conv["padding"], conv["bias"]
    node = add_op(
        g,
        f"{prefix}.conv{slot}",
        "conv",
        [cur.node],
        scope=scope,
        role=f"conv{slot}",
        origin=origin,
        in_channels=cur.channels,
        out_channels=conv["out"],
        kernel=(k, k),
        stride=(stride, stride),
        padding=(pad, pad, pad, pad),
        dilation=(1, 1),
        groups=1,
        bias=bias,
    )
    if norm:
        node = _bn(g, spec, f"{prefix}.bn{slot}", node, conv["out"], scope=scope, role=f"bn{slot}", origin=origin)
    if act:
        node = add_op(g, f"{prefix}.act{slot}", "relu", [node], scope=scope, role=f"act{slot}", origin=origin)
    return _Cursor(node, conv["out"])


def _bn(g, spec: Spec, node_id: str, src: str, channels: int, **where) -> str:
    norm = spec.defaults.norm
    return add_op(g, node_id, "batchnorm", [src], **where, channels=channels, eps=norm.eps, momentum=norm.momentum)


def _stem_layer(g, spec: Spec, j: int, layer, cur: _Cursor) -> _Cursor:
    scope, origin, prefix = ("stem", j), ("stem", j), f"stem.{j}"
    pad = layer.padding if layer.padding is not None else layer.kernel // 2
    if isinstance(layer, ConvLayer):
        conv = dict(kernel=layer.kernel, stride=layer.stride, padding=pad, out=layer.width, bias=spec.defaults.conv_bias)
        return _conv_bn_act(
            g, spec, prefix, "", cur, conv, scope=scope, origin=origin, act=layer.activation, norm=layer.norm
        )
    node = add_op(
        g,
        f"{prefix}.pool",
        layer.op,
        [cur.node],
        scope=scope,
        role="pool",
        origin=origin,
        kernel=(layer.kernel, layer.kernel),
        stride=(layer.stride, layer.stride),
        padding=(pad, pad, pad, pad),
    )
    return _Cursor(node, cur.channels)


def _block(g, spec: Spec, s: int, b: int, cur: _Cursor) -> _Cursor:
    stage = spec.stages[s]
    layout = BLOCKS[spec.block]
    stride = stage.stride if b == 0 else 1
    inner, out = stage.width, stage.width * spec.block_expansion
    scope, prefix = ("stage", s, b), f"s{s}.b{b}"
    origin = ("stages", s, "stride") if stride != 1 else ("stages", s)
    x, last = cur, len(layout.kernels) - 1
    for i, kernel in enumerate(layout.kernels):
        conv = dict(
            kernel=kernel,
            stride=stride if i == layout.stride_slot[spec.stride_at] else 1,
            padding=kernel // 2,
            out=inner if layout.widths[i] == "inner" else out,
            bias=spec.defaults.conv_bias,
        )
        x = _conv_bn_act(g, spec, prefix, str(i + 1), x, conv, scope=scope, origin=origin, act=i != last)
    short = _shortcut(g, spec, s, b, cur, out, stride)
    add = add_op(g, f"{prefix}.add", "add", [x.node, short], scope=scope, role="add", origin=origin)
    act = add_op(g, f"{prefix}.out_act", "relu", [add], scope=scope, role="out_act", origin=origin)
    return _Cursor(act, out)


def _shortcut(g, spec: Spec, s: int, b: int, cur: _Cursor, out: int, stride: int) -> str:
    """Identity, zero-pad (option A) or projection (options B/C) shortcut; returns its output node."""
    changes = stride != 1 or cur.channels != out
    scope, prefix = ("stage", s, b), f"s{s}.b{b}"
    origin = ("shortcut",)
    where = dict(scope=scope, origin=origin, main_path=False)
    if spec.shortcut == "C" or (spec.shortcut == "B" and changes):
        conv = add_op(
            g, f"{prefix}.down_conv", "conv", [cur.node], role="down_conv", **where,
            in_channels=cur.channels, out_channels=out, kernel=(1, 1), stride=(stride, stride),
            padding=(0, 0, 0, 0), dilation=(1, 1), groups=1, bias=spec.defaults.conv_bias,
        )  # fmt: skip
        return _bn(g, spec, f"{prefix}.down_bn", conv, out, role="down_bn", **where)
    node = cur.node
    if not changes:
        return node
    if out < cur.channels:
        raise _spec_error(spec, s, f"option A cannot shrink {cur.channels} channels to {out}")
    if stride != 1:
        node = add_op(g, f"{prefix}.subsample", "subsample", [node], role="subsample", **where, stride=stride)
    if out != cur.channels:
        extra = out - cur.channels
        node = add_op(
            g, f"{prefix}.pad", "pad_channels", [node], role="pad", **where, before=extra // 2, after=extra - extra // 2
        )
    return node


def _spec_error(spec: Spec, s: int, message: str) -> Exception:
    """Raised with a spec path; :mod:`archc.pipeline` turns it into a located diagnostic."""
    return LoweringError(("stages", s, "width"), message, "use shortcut: B, or widths that do not shrink")


class LoweringError(Exception):
    def __init__(self, origin: tuple, message: str, help: str):
        super().__init__(message)
        self.origin, self.message, self.help = origin, message, help


def _head(g, spec: Spec, cur: _Cursor) -> str:
    where = dict(scope=("head",), origin=("head",))
    pool = add_op(g, "head.pool", "global_pool", [cur.node], role="pool", **where, mode=spec.head.pool)
    flat = add_op(g, "head.flatten", "flatten", [pool], role="flatten", **where)
    return add_op(
        g, "head.fc", "linear", [flat], role="fc", **where,
        in_features=cur.channels, out_features=spec.head.classes, bias=True,
    )  # fmt: skip

