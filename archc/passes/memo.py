"""Per-block memoisation for the passes: a block's results (shapes, costs) depend only on its plan and its
input shape, so they are computed once per distinct (definition, instance parameters, input shape) — the
hundreds of equal blocks of a deep stage (CIFAR ResNet-1202) reuse the first one's."""

from __future__ import annotations

from collections.abc import Callable

import networkx as nx


def block_key(block) -> tuple:
    """What a block's ops, shapes and costs depend on besides its input shape: its plan. The one memo key
    of the passes here and of the sweep's fast path (:mod:`archc.sweep.fastcost`)."""
    return (block.definition, block.instance)


def by_block(g: nx.DiGraph, one: Callable[[str, dict], tuple], store: Callable[[str, dict, tuple], None]) -> None:
    """Run ``one(node, data) -> result`` over the graph in node order, and ``store(node, data, result)``;
    within a block, results are computed for the first block of each (definition, instance parameters,
    input shape) and reused for the blocks equal to it."""
    model = g.graph.get("blocks")
    first = {b.nodes[0]: b for b in model.blocks if b.nodes} if model is not None else {}
    memo: dict[tuple, list[tuple]] = {}
    for node, data in g.nodes(data=True):
        block = first.get(node)
        if block is None:
            if data.get("block") is None:
                store(node, data, one(node, data))
            continue
        key = (*block_key(block), g.nodes[block.input]["shape"])
        results = memo.get(key)
        if results is None:
            results = memo[key] = [_run(g, n, one, store) for n in block.nodes]
        else:
            for n, result in zip(block.nodes, results, strict=True):
                store(n, g.nodes[n], result)


def _run(g: nx.DiGraph, node: str, one, store) -> tuple:
    result = one(node, g.nodes[node])
    store(node, g.nodes[node], result)
    return result
