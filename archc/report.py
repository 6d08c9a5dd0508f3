"""Summaries of a compiled IR: totals, per-stage rows, depth and activations (the ``cost --json`` contract).

Pre: IR after the ``names`` pass.
"""

from __future__ import annotations

import math

import networkx as nx

from archc.ir.ops import OPS
from archc.pipeline import Compiled


def _sum(g: nx.DiGraph, nodes, key: str) -> int:
    return sum(g.nodes[n][key] for n in nodes)


def depth(g: nx.DiGraph) -> int:
    """Weight layers on the main path (conv + fc; projection shortcuts excluded), as the paper counts."""
    return sum(1 for _, d in g.nodes(data=True) if OPS[d["op"]].weight_layer and d["main_path"])


def activations(g: nx.DiGraph) -> int:
    """Elements of every op's output (batch 1), the input excluded."""
    return sum(math.prod(d["shape"]) for _, d in g.nodes(data=True) if d["op"] != "input")


def _part(g: nx.DiGraph, predicate) -> list[str]:
    return [n for n, s in g.nodes(data="scope") if predicate(s)]


def stage_rows(g: nx.DiGraph) -> list[dict]:
    rows = []
    for info in g.graph["stages"]:
        nodes = _part(g, lambda s, i=info.index: s[0] == "stage" and s[1] == i)
        rows.append(
            {
                "name": info.name,
                "output_shape": list(g.nodes[info.output]["shape"]),
                "params": _sum(g, nodes, "params"),
                "macs": _sum(g, nodes, "macs"),
                "blocks": info.blocks,
            }
        )
    return rows


def _section(g: nx.DiGraph, kind: str) -> dict:
    nodes = _part(g, lambda s: s[0] == kind)
    last = nodes[-1] if nodes else g.graph["input"]
    return {
        "output_shape": list(g.nodes[last]["shape"]),
        "params": _sum(g, nodes, "params"),
        "macs": _sum(g, nodes, "macs"),
    }


def summary(c: Compiled) -> dict:
    g = c.graph
    nodes = list(g.nodes)
    params, buffers, macs = (_sum(g, nodes, k) for k in ("params", "buffers", "macs"))
    return {
        "name": c.spec.name,
        "spec": c.loaded.path,
        "input_shape": list(g.nodes[g.graph["input"]]["shape"]),
        "output_shape": list(g.nodes[g.graph["output"]]["shape"]),
        "params": params,
        "buffers": buffers,
        "keras_params": params + buffers,
        "macs": macs,
        "flops": 2 * macs,
        "depth": depth(g),
        "activations": activations(g),
        "stem": _section(g, "stem"),
        "stages": stage_rows(g),
        "head": _section(g, "head"),
    }


def per_layer(c: Compiled, profile: str = "torchvision") -> list[dict]:
    g = c.graph
    return [
        {
            "id": n,
            "name": d["names"][profile],
            "op": d["op"],
            "output_shape": list(d["shape"]),
            "params": d["params"],
            "macs": d["macs"],
        }
        for n, d in g.nodes(data=True)
    ]
