"""Whole-model totals with each block's cost computed once per distinct (block plan, input shape).

The same passes as :mod:`archc.pipeline` (``lower`` → ``shapes`` → ``cost``), run on one segment at a time —
the stem, one block, a stage's pool, the head — each in a small graph of its own whose input has the
segment's input shape. A segment's totals (params, buffers, MACs, depth, activations, output shape) are
memoised under everything its lowering reads, so a sweep over depths and widths lowers each distinct block
once per worker process. ``tests/unit/test_fastcost.py`` checks that the totals equal :func:`archc.report.summary`
for every built-in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from archc.ir.graph import add_op, new_graph
from archc.ir.ops import OPS
from archc.passes.blocks import BlockPlan, Cursor, Emitter, lower_block, unit_of
from archc.passes.cost import count_costs
from archc.passes.lower import _head, _pool, _stem_layer, stage_plans
from archc.passes.shapes import infer_shapes
from archc.pipeline import check_ops, check_params, located
from archc.spec.loader import LoadedSpec


@dataclass(frozen=True)
class Totals:
    params: int = 0
    buffers: int = 0
    macs: int = 0
    depth: int = 0
    activations: int = 0
    shape: tuple = ()

    def __add__(self, other: Totals) -> Totals:
        return Totals(
            self.params + other.params,
            self.buffers + other.buffers,
            self.macs + other.macs,
            self.depth + other.depth,
            self.activations + other.activations,
            other.shape,
        )


_MEMO: dict[tuple, Totals] = {}
MEMO_LIMIT = 200_000  # entries per process; cleared when full


def _segment(key: tuple, shape: tuple, build) -> Totals:
    """Totals of the ops ``build(g, cursor)`` adds after an input of ``shape`` (memoised under ``key``)."""
    key = (key, shape)
    hit = _MEMO.get(key)
    if hit is not None:
        return hit
    g = new_graph("segment")
    node = add_op(g, "input", "input", [], scope=("input",), role="input", origin=(), channels=shape[0], size=shape[1:])
    out = build(g, Cursor(node, shape[0]))
    count_costs(infer_shapes(g))
    nodes = [d for n, d in g.nodes(data=True) if n != "input"]
    totals = Totals(
        sum(d["params"] for d in nodes),
        sum(d["buffers"] for d in nodes),
        sum(d["macs"] for d in nodes),
        sum(1 for d in nodes if OPS[d["op"]].weight_layer and d["main_path"]),
        sum(math.prod(d["shape"]) for d in nodes),
        tuple(g.nodes[out.node if isinstance(out, Cursor) else out]["shape"]),
    )
    if len(_MEMO) >= MEMO_LIMIT:
        _MEMO.clear()
    _MEMO[key] = totals
    return totals


def _block_context(spec) -> tuple:
    """Everything of the spec that lowering a block reads, besides its plan."""
    fields = ("block", "stride_at", "shortcut", "strided_identity", "projection_stride", "unit", "se", "defaults")
    return tuple(repr(getattr(spec, f)) for f in fields) + (spec.zero_init_last_bn,)


def _stem(spec, shape: tuple) -> Totals:
    def build(g, cur):
        for j, layer in enumerate(spec.stem):
            cur = _stem_layer(g, spec, j, layer, cur)
        return cur

    return _segment(("stem", repr(spec.stem), repr(spec.defaults)), shape, build)


def _block(spec, context: tuple, plan: BlockPlan, shape: tuple) -> Totals:
    key = ("block", context, replace(plan, stage=0, index=0))
    return _segment(key, shape, lambda g, cur: lower_block(g, spec, plan, cur))


def _stage_pool(s: int, kind: str, shape: tuple) -> Totals:
    def build(g, cur):
        return _pool(g, f"s{s}.pool", ("stage", s, "pool"), ("stages", s, "pool"), cur, kind + "pool", 2, 2, 0)

    return _segment(("pool", kind), shape, build)


def _head_totals(spec, shape: tuple) -> Totals:
    def build(g, cur):
        post = Emitter(g, spec, "post", ("head",), ("head",)).apply(unit_of(spec).preact, "post", cur)
        return _head(g, spec, post)

    return _segment(("head", repr(spec.head), repr(spec.unit), repr(spec.defaults)), shape, build)


def fast_totals(loaded: LoadedSpec) -> tuple[Totals, list[Totals]]:
    """``(model totals, per-stage totals)``; raises :class:`SpecError` as :func:`compile_spec` does."""
    from archc.passes.blocks import LoweringError
    from archc.passes.shapes import ShapeFailure
    from archc.pipeline import SHRINK_HELP

    spec = loaded.spec
    check_ops(loaded)
    total = Totals(shape=(spec.input.channels, *spec.input.size))
    stages = []
    try:
        total = total + _stem(spec, total.shape)
        context = _block_context(spec)
        for s, stage, plans in stage_plans(spec):
            part = Totals(shape=total.shape)
            for plan in plans:
                part = part + _block(spec, context, plan, part.shape)
            if stage.pool is not None:
                part = part + _stage_pool(s, stage.pool, part.shape)
            stages.append(part)
            total = total + part
        if not spec.head.features_only:
            total = total + _head_totals(spec, total.shape)
    except ShapeFailure as exc:
        raise located(loaded, exc.origin, "E400", f"{exc.node}: {exc.message}", SHRINK_HELP) from None
    except LoweringError as exc:
        raise located(loaded, exc.origin, "E401", exc.message, exc.help) from None
    check_params(loaded, total.params)
    return total, stages
