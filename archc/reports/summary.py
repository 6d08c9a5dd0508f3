"""Summaries of a compiled IR: totals, per-stage rows, depth and activations (the ``cost --json`` contract).

Pre: IR after the ``names`` pass.
"""

from __future__ import annotations

import math

import networkx as nx

from archc.ir.ops import OPS
from archc.pipeline import Compiled


def depth(g: nx.DiGraph) -> int:
    """Weight layers on the main path (conv + fc; projection shortcuts excluded), as the paper counts."""
    return sum(1 for _, d in g.nodes(data=True) if OPS[d["op"]].weight_layer and d["main_path"])


def activations(g: nx.DiGraph) -> int:
    """Elements of every op's output (batch 1), the input excluded."""
    return sum(math.prod(d["shape"]) for _, d in g.nodes(data=True) if d["op"] != "input")


def _parts(g: nx.DiGraph) -> dict[tuple, dict]:
    """Params, buffers and MACs per part (``("stem",)``, ``("stage", i)``, ``("head",)``, ``("input",)``,
    and ``("total",)``) and each part's last node, in one pass over the IR (nodes are in topological order)."""
    parts: dict[tuple, dict] = {}
    for n, d in g.nodes(data=True):
        scope = d["scope"]
        for key in (scope[:2] if scope[0] == "stage" else scope[:1], ("total",)):
            part = parts.setdefault(key, {"params": 0, "buffers": 0, "macs": 0, "last": None})
            part["params"] += d["params"]
            part["buffers"] += d["buffers"]
            part["macs"] += d["macs"]
            part["last"] = n
    return parts


def stage_rows(g: nx.DiGraph, parts: dict | None = None) -> list[dict]:
    parts = _parts(g) if parts is None else parts
    rows = []
    for info in g.graph["stages"]:
        part = parts.get(("stage", info.index), {"params": 0, "macs": 0})
        rows.append(
            {
                "name": info.name,
                "output_shape": list(g.nodes[info.output]["shape"]),
                "params": part["params"],
                "macs": part["macs"],
                "blocks": info.blocks,
            }
        )
    return rows


def _section(g: nx.DiGraph, parts: dict, kind: str) -> dict:
    part = parts.get((kind,), {"params": 0, "macs": 0, "last": None})
    last = part["last"] or g.graph["input"]
    return {"output_shape": list(g.nodes[last]["shape"]), "params": part["params"], "macs": part["macs"]}


def summary(c: Compiled) -> dict:
    g = c.graph
    parts = _parts(g)
    total = parts[("total",)]
    params, buffers, macs = total["params"], total["buffers"], total["macs"]
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
        "stem": _section(g, parts, "stem"),
        "stages": stage_rows(g, parts),
        "head": _section(g, parts, "head"),
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
