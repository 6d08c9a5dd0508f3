"""Pass ``shapes``: infer every op's output shape (per sample, channels first).

Pre:  lowered IR (nodes in topological order, ``op`` and ``attrs`` set; ``g.graph["blocks"]``).
Post: every node has ``shape``; every edge has ``shape`` (its source's output shape); attributes an op
      derives from its input shapes (``OpDef.infer``: a linear's ``in_features`` after a flatten) are set.
Raises :class:`ShapeFailure` naming the node when an op cannot produce a valid shape.

A block's shapes are inferred once per distinct (plan, input shape) (:func:`archc.passes.memo.by_block`): the hundreds of
equal blocks of a deep stage reuse them.
"""

from __future__ import annotations

import networkx as nx

from archc.ir.graph import operands
from archc.ir.ops import OPS, ShapeError
from archc.passes.memo import by_block


class ShapeFailure(Exception):
    def __init__(self, node: str, origin: tuple, message: str):
        super().__init__(f"{node}: {message}")
        self.node, self.origin, self.message = node, origin, message


def infer_shapes(g: nx.DiGraph) -> nx.DiGraph:
    def one(node: str, data: dict) -> tuple:
        ins = [g.nodes[p]["shape"] for p in operands(g, node)]
        op = OPS[data["op"]]
        try:
            data["attrs"].update(op.infer(data["attrs"], ins))  # e.g. a linear's in_features after flatten
            return (op.shape(data["attrs"], ins),)
        except ShapeError as exc:
            raise ShapeFailure(node, data["origin"], str(exc)) from None

    def store(node: str, data: dict, result: tuple) -> None:
        data["shape"] = result[0]
        for src, edge in g.pred[node].items():
            edge["shape"] = g.nodes[src]["shape"]

    by_block(g, one, store)
    return g
