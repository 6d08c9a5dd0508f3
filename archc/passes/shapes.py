"""Pass ``shapes``: infer every op's output shape (per sample, channels first).

Pre:  lowered IR (nodes in topological order, ``op`` and ``attrs`` set).
Post: every node has ``shape``; every edge has ``shape`` (its source's output shape); attributes an op
      derives from its input shapes (``OpDef.infer``: a linear's ``in_features`` after a flatten) are set.
Raises :class:`ShapeFailure` naming the node when an op cannot produce a valid shape.
"""

from __future__ import annotations

import networkx as nx

from archc.ir.graph import operands
from archc.ir.ops import OPS, ShapeError


class ShapeFailure(Exception):
    def __init__(self, node: str, origin: tuple, message: str):
        super().__init__(f"{node}: {message}")
        self.node, self.origin, self.message = node, origin, message


def infer_shapes(g: nx.DiGraph) -> nx.DiGraph:
    for node, data in g.nodes(data=True):
        sources = operands(g, node)
        ins = [g.nodes[p]["shape"] for p in sources]
        op = OPS[data["op"]]
        try:
            data["attrs"].update(op.infer(data["attrs"], ins))  # e.g. a linear's in_features after flatten
            data["shape"] = op.shape(data["attrs"], ins)
        except ShapeError as exc:
            raise ShapeFailure(node, data["origin"], str(exc)) from None
        for src, shape in zip(sources, ins):
            g.edges[src, node]["shape"] = shape
    return g
