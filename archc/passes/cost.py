"""Pass ``cost``: exact params, buffers and MACs per op (rules in :mod:`archc.ir.ops`).

Pre:  every node has ``shape``.
Post: every node has integer ``params``, ``buffers``, ``macs`` ≥ 0.
Summaries (totals, per stage, depth, activations) are computed from these by :mod:`archc.reports.summary`.
"""

from __future__ import annotations

import networkx as nx

from archc.ir.graph import operands
from archc.ir.ops import OPS


def count_costs(g: nx.DiGraph) -> nx.DiGraph:
    for node, data in g.nodes(data=True):
        op = OPS[data["op"]]
        ins = [g.nodes[p]["shape"] for p in operands(g, node)]
        args = (data["attrs"], ins, data["shape"])
        data["params"] = op.params(*args)
        data["buffers"] = op.buffers(*args)
        data["macs"] = op.macs(*args)
    return g
