"""Whole-model totals with each block's cost computed once per distinct (block plan, input shape).

The same passes as :mod:`archc.pipeline` (``lower`` → ``shapes`` → ``cost``), run on one segment at a time —
the stem, one block, a stage's pool, the head — each in a small graph of its own whose input has the
segment's input shape. A segment's totals (params, buffers, MACs, depth, activations, output shape) are
memoised under everything its lowering reads, so a sweep over depths and widths lowers each distinct block
once per worker process. ``tests/unit/test_fastcost.py`` checks that the totals equal :func:`archc.reports.summary.summary`
for every built-in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from archc.ir.blocks import Block, BlockModel, StagePlan
from archc.ir.graph import add_op, new_graph
from archc.ir.layouts import LayoutError, layout_problem
from archc.ir.ops import OPS
from archc.ir.plan import plan_blocks
from archc.passes.blocks import Cursor
from archc.passes.cost import count_costs
from archc.passes.lower import lower_block, lower_downsample, lower_head, lower_stage_pool, lower_stem
from archc.passes.memo import block_key
from archc.passes.shapes import infer_shapes
from archc.pipeline import check_ops, check_params, layout_error, located
from archc.spec.loader import LoadedSpec


@dataclass(frozen=True)
class Totals:
    params: int = 0
    buffers: int = 0
    macs: int = 0
    depth: int = 0
    activations: int = 0
    shape: tuple = ()
    layout: LayoutError | None = None  # the first op the family's layout has no module for (compile_spec's E401)

    def __add__(self, other: Totals) -> Totals:
        return Totals(
            self.params + other.params,
            self.buffers + other.buffers,
            self.macs + other.macs,
            self.depth + other.depth,
            self.activations + other.activations,
            other.shape,
            self.layout or other.layout,
        )


_MEMO: dict[tuple, Totals] = {}
MEMO_LIMIT = 200_000  # entries per process; cleared when full


class _OneBlock(BlockModel):
    """The block model of a one-block segment: ``block(id)`` is its block, whatever the id."""

    def block(self, block_id: str) -> Block:
        return self.stages[0].blocks[0]


def _segment(key: tuple, shape: tuple, build, frame: dict) -> Totals:
    """Totals of the ops ``build(g, cursor)`` adds after an input of ``shape`` (memoised under ``key``), in a
    graph with the graph attributes ``frame`` (family, PyTorch names, layout: what the names pass reads)."""
    key = (key, shape, tuple(frame.values()))
    hit = _MEMO.get(key)
    if hit is not None:
        return hit
    g = new_graph("segment")
    g.graph.update(frame)
    node = add_op(g, "input", "input", [], scope=("input",), role="input", origin=(), channels=shape[0], size=shape[1:])
    out = build(g, Cursor(node, shape[0]))
    _shapes_and_costs(g)
    nodes = [d for n, d in g.nodes(data=True) if n != "input"]
    totals = Totals(
        sum(d["params"] for d in nodes),
        sum(d["buffers"] for d in nodes),
        sum(d["macs"] for d in nodes),
        sum(1 for d in nodes if OPS[d["op"]].weight_layer and d["main_path"]),
        sum(math.prod(d["shape"]) for d in nodes),
        tuple(g.nodes[out.node if isinstance(out, Cursor) else out]["shape"]),
        layout_problem(g),
    )
    if len(_MEMO) >= MEMO_LIMIT:
        _MEMO.clear()
    _MEMO[key] = totals
    return totals


def _shapes_and_costs(g) -> None:
    """The shapes and cost passes on a segment (a block segment carries a block model of that one block)."""
    if g.graph.get("blocks") is None:
        g.graph["blocks"] = BlockModel([], [], [], (), g.graph["layout"], "reference")
    count_costs(infer_shapes(g))


def _stem(model: BlockModel, shape: tuple, frame: dict) -> Totals:
    def build(g, cur):
        return lower_stem(g, model, cur)

    return _segment(("stem", tuple(model.stem), model.definitions[0]), shape, build, frame)


def _block(block: Block, shape: tuple, frame: dict) -> Totals:
    def build(g, cur):
        stage = StagePlan(block.stage, "", block.planes, block.stride, None, [block])
        g.graph["blocks"] = _OneBlock([], [stage], [block.definition], (), "stages", "reference")
        return lower_block(g, block, cur)

    return _segment(("block", *block_key(block)), shape, build, frame)


def _downsample(model: BlockModel, stage: StagePlan, shape: tuple, frame: dict) -> Totals:
    def build(g, cur):
        return lower_downsample(g, model, stage, cur)

    # the stage's index: a layout's error names the stage (its key, its op)
    key = ("downsample", stage.index, stage.downsample, stage.blocks[0].definition)
    return _segment(key, shape, build, frame)


def _stage_pool(s: int, kind: str, shape: tuple, frame: dict) -> Totals:
    def build(g, cur):
        return lower_stage_pool(g, s, kind, cur)

    return _segment(("pool", s, kind), shape, build, frame)


def _head_totals(spec, model: BlockModel, shape: tuple, frame: dict) -> Totals:
    def build(g, cur):
        return lower_head(g, spec, model, cur)

    return _segment(("head", repr(spec.head), model.post, model.definitions[0]), shape, build, frame)


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
        model = plan_blocks(spec)
        frame = {"family": spec.family, "pytorch_names": spec.names.pytorch, "layout": model.layout}
        total = total + _stem(model, total.shape, frame)
        for stage in model.stages:
            part = Totals(shape=total.shape)
            if stage.downsample is not None:
                part = part + _downsample(model, stage, part.shape, frame)
            for block in stage.blocks:
                part = part + _block(block, part.shape, frame)
            if stage.pool is not None:
                part = part + _stage_pool(stage.index, stage.pool, part.shape, frame)
            stages.append(part)
            total = total + part
        if not spec.head.features_only:
            total = total + _head_totals(spec, model, total.shape, frame)
    except ShapeFailure as exc:
        raise located(loaded, exc.origin, "E400", f"{exc.node}: {exc.message}", SHRINK_HELP) from None
    except LoweringError as exc:
        raise located(loaded, exc.origin, "E401", exc.message, exc.help) from None
    if total.layout is not None:  # as the pipeline's names pass: after every shape is known
        raise layout_error(loaded, total.layout)
    check_params(loaded, total.params)
    return total, stages
