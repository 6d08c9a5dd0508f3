"""Pass ``cost``: exact params, buffers and MACs per op (rules in :mod:`archc.ir.ops`).

Pre:  every node has ``shape``.
Post: every node has integer ``params``, ``buffers``, ``macs`` ≥ 0.
A block's costs are computed once per distinct (plan, input shape) and reused for the blocks equal to it
(:func:`archc.passes.memo.by_block`). Summaries (totals, per stage, depth, activations) are computed
from these by :mod:`archc.reports.summary`.
"""

from __future__ import annotations

import networkx as nx

from archc.ir.graph import operands
from archc.ir.ops import OPS
from archc.passes.memo import by_block


def count_costs(g: nx.DiGraph) -> nx.DiGraph:
    def one(node: str, data: dict) -> tuple[int, int, int]:
        op = OPS[data["op"]]
        args = (data["attrs"], [g.nodes[p]["shape"] for p in operands(g, node)], data["shape"])
        return op.params(*args), op.buffers(*args), op.macs(*args)

    def store(node: str, data: dict, result: tuple[int, int, int]) -> None:
        data["params"], data["buffers"], data["macs"] = result

    by_block(g, one, store)
    return g
