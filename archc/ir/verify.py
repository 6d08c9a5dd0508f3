"""The IR verifier: checks the invariants each pass promises, so tests can run it between passes.

``verify(g, after)`` with ``after`` one of :data:`LEVELS` checks everything up to that pass and raises
:class:`IRVerifyError` listing every problem.
"""

from __future__ import annotations

import networkx as nx

from archc.ir.graph import operands
from archc.ir.ops import OPS
from archc.ir.verify_blocks import check_block_shapes, check_blocks

LEVELS = ("lower", "shapes", "cost", "names")


class IRVerifyError(AssertionError):
    pass


def _lowered(g: nx.DiGraph) -> list[str]:
    problems = []
    order = {n: i for i, n in enumerate(g.nodes)}
    for node, data in g.nodes(data=True):
        for key in ("op", "attrs", "scope", "role", "origin", "main_path"):
            if key not in data:
                problems.append(f"{node}: missing attribute {key!r}")
        op = OPS.get(data.get("op"))
        if op is None:
            problems.append(f"{node}: unknown op {data.get('op')!r}")
            continue
        missing = [a for a in op.required if a not in data.get("attrs", {})]
        if missing:
            problems.append(f"{node}: {op.kind} lacks attributes {missing}")
        ins = operands(g, node)
        if (op.arity is None and len(ins) < 2) or (op.arity is not None and len(ins) != op.arity):
            problems.append(f"{node}: {op.kind} has {len(ins)} inputs")
        if sorted(g.pred[node][p]["index"] for p in ins) != list(range(len(ins))):
            problems.append(f"{node}: operand indices are not 0..{len(ins) - 1}")
        problems += [f"{node}: input {p} comes later in node order" for p in ins if order[p] > order[node]]
    for key in ("input", "output"):
        if g.graph.get(key) not in g:
            problems.append(f"graph {key} {g.graph.get(key)!r} is not a node")
    outputs = g.graph.get("outputs") or []
    if not outputs or g.graph.get("output") not in outputs or any(n not in g for n in outputs):
        problems.append(f"graph outputs {outputs!r} must be nodes and include the output")
    problems += [f"block output {n!r} is not a node" for n in g.graph.get("block_outputs", {}) if n not in g]
    return problems + check_blocks(g)


def _shaped(g: nx.DiGraph) -> list[str]:
    problems = []
    for node, data in g.nodes(data=True):
        shape = data.get("shape")
        if not (isinstance(shape, tuple) and shape and all(isinstance(d, int) and d >= 1 for d in shape)):
            problems.append(f"{node}: bad shape {shape!r}")
    for src, dst, edge in g.edges(data=True):
        if edge.get("shape") != g.nodes[src].get("shape"):
            problems.append(f"{src} -> {dst}: edge shape {edge.get('shape')} != source shape")
    return problems + check_block_shapes(g)


def _costed(g: nx.DiGraph) -> list[str]:
    return [
        f"{node}: {key} = {data.get(key)!r}"
        for node, data in g.nodes(data=True)
        for key in ("params", "buffers", "macs")
        if not (isinstance(data.get(key), int) and data[key] >= 0)
    ]


def _named(g: nx.DiGraph) -> list[str]:
    problems = []
    seen: dict[tuple[str, str], str] = {}
    for node, data in g.nodes(data=True):
        names = data.get("names", {})
        for profile, name in names.items():
            if not name:
                problems.append(f"{node}: empty {profile} name")
            if data.get("params", 0) or data.get("buffers", 0):
                other = seen.setdefault((profile, name), node)
                if other != node:
                    problems.append(f"{node}: {profile} name {name!r} also used by {other}")
    return problems


_CHECKS = {"lower": _lowered, "shapes": _shaped, "cost": _costed, "names": _named}


def verify(g: nx.DiGraph, after: str = "names") -> None:
    problems: list[str] = []
    for level in LEVELS[: LEVELS.index(after) + 1]:
        problems += _CHECKS[level](g)
    if problems:
        raise IRVerifyError(f"IR invalid after '{after}':\n  " + "\n  ".join(problems))
