"""The graph IR: a networkx DiGraph with one node per op.

Node id: a profile-independent path such as ``stem.0.conv``, ``s2.b0.conv1`` or ``head.fc``.
Node attributes (set by lowering): ``op`` (a kind from :mod:`archc.ir.ops`), ``attrs`` (op attributes),
``scope`` (``("stem", j)``, ``("stage", s, b)`` or ``("head",)``), ``role`` (``conv1``, ``bn1``, ``act1``,
``down_conv``, ``add``, ``out_act``, …), ``origin`` (the spec path it came from, for diagnostics) and
``main_path`` (counts towards depth), ``block`` (the id of the :class:`archc.ir.blocks.Block` it belongs to,
``"s1.b0"``; ``None`` for stem, stage pools and head). Later passes add ``shape``; ``params``/``buffers``/``macs``;
``names`` (one name per naming profile).
Edge attributes: ``index`` (operand position); the shapes pass adds ``shape``.
Graph attributes: ``name``, ``input``, ``output`` (node ids), ``outputs`` (the tensors the model returns:
``[output]``, or each stage's output for a ``features_only`` head), ``stages`` (list of :class:`StageInfo`)
``block_outputs`` (``{node id: (stage, block)}`` for each block's last op), ``blocks`` (the
:class:`archc.ir.blocks.BlockModel`: stem, stages of blocks in order, distinct definitions) and ``layout``: ``"stages"``
(residual stages) or ``"sequential"`` (a stack of single-conv blocks, VGG: torchvision names its ops
``features.{i}`` / ``classifier.{i}``).
Nodes are inserted in a topological order, which every pass relies on (and the verifier checks).
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx


@dataclass
class StageInfo:
    """One row of the stage table as the IR sees it."""

    name: str
    index: int
    blocks: int
    width: int
    stride: int
    output: str = ""  # node id of the stage's last op


def new_graph(name: str) -> nx.DiGraph:
    g = nx.DiGraph()
    g.graph.update(
        name=name, input=None, output=None, outputs=[], stages=[], block_outputs={}, blocks=None, layout="stages"
    )
    return g


def add_op(
    g: nx.DiGraph,
    node: str,
    op: str,
    inputs: list[str],
    *,
    scope: tuple,
    role: str,
    origin: tuple,
    main_path: bool = True,
    block: str | None = None,
    **attrs,
) -> str:
    if node in g:
        raise ValueError(f"duplicate IR node id {node!r}")
    g.add_node(node, op=op, attrs=attrs, scope=scope, role=role, origin=origin, main_path=main_path, block=block)
    for index, src in enumerate(inputs):
        g.add_edge(src, node, index=index)
    return node


def operands(g: nx.DiGraph, node: str) -> list[str]:
    """The node's inputs in operand order."""
    preds = g.pred[node]
    if len(preds) < 2:
        return list(preds)
    return sorted(preds, key=lambda p: preds[p]["index"])


def ops_in_scope(g: nx.DiGraph, scope: tuple) -> list[str]:
    return [n for n, s in g.nodes(data="scope") if s == scope]
