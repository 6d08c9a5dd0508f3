"""The per-layer summary as a tree (``archc cost --per-layer [--depth N] [--profile P]``), like torchinfo's:
stem / stages / head at depth 1, blocks (and a stem's or head's ops, a stage's closing pool) at depth 2,
the ops of a block at depth 3. Every row has its output shape, params and MACs and their share of the
model's; group rows sum their members. Names come from one naming profile (torchvision | keras); a group
is also labelled with the container its ops share in that profile (``layer1.0``, ``conv2_block1``).

Pre: IR after the ``names`` pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from archc.graphs.view import block_desc, describe
from archc.pipeline import Compiled
from archc.reports import text

MAX_DEPTH = 3
_SEPARATOR = {"torchvision": ".", "keras": "_"}


@dataclass(frozen=True)
class Row:
    depth: int
    label: str
    op: str  # "conv 3×3/2, 128" for ops, "[1×1, 64; 3×3, 64; 1×1, 256] /2 + projection" for blocks
    shape: list[int]
    params: int
    macs: int


def _group_key(scope: tuple) -> list[tuple]:
    """The groups a node belongs to, outermost first: ``[("stage", 0), ("stage", 0, 1)]``; none for the input."""
    if scope[0] == "stage":
        return [scope[:2], scope[:3]] if isinstance(scope[2], int) else [scope[:2]]
    return [] if scope[0] == "input" else [scope[:1]]


def _container(names: list[str], profile: str) -> str:
    """The longest name prefix (whole parts) the names share, if it is shorter than each of them."""
    sep = _SEPARATOR[profile]
    parts = [n.split(sep) for n in names]
    common = []
    for tokens in zip(*parts):
        if len(set(tokens)) != 1:
            break
        common.append(tokens[0])
    if len(common) >= min(len(p) for p in parts):
        common = common[:-1]
    return sep.join(common)


def tree(c: Compiled, profile: str = "torchvision", depth: int = MAX_DEPTH) -> list[Row]:
    """Rows in IR order, groups before their members, down to ``depth``."""
    g = c.graph
    members: dict[tuple, list[str]] = {}
    for n, scope in g.nodes(data="scope"):
        for key in _group_key(scope):
            members.setdefault(key, []).append(n)
    containers = {k: _container([g.nodes[m]["names"][profile] for m in ns], profile) for k, ns in members.items()}
    # a container names a group only if no other group of its kind (stage, block) shares it (VGG: "features")
    kinds = [(len(k), v) for k, v in containers.items()]
    labels = {k: _group_label(g, k, v if kinds.count((len(k), v)) == 1 else "") for k, v in containers.items()}
    rows: list[Row] = []
    opened: set[tuple] = set()
    for _, d in g.nodes(data=True):
        keys = _group_key(d["scope"])
        for level, key in enumerate(keys, 1):
            if key not in opened:
                opened.add(key)
                if level <= depth:
                    rows.append(_group_row(g, level, labels[key], members[key]))
        level = len(keys) + 1
        if level <= depth:
            name = d["names"][profile]
            rows.append(Row(level, name, describe(d["op"], d["attrs"]), list(d["shape"]), d["params"], d["macs"]))
    return rows


def _group_label(g: nx.DiGraph, key: tuple, container: str) -> str:
    if key[0] == "stage":
        name = g.graph["stages"][key[1]].name if len(key) == 2 else f"block {key[2]}"
    else:
        name = key[0]
    return f"{name} ({container})" if container and container != name else name


def _group_row(g: nx.DiGraph, level: int, label: str, nodes: list[str]) -> Row:
    last = g.nodes[nodes[-1]]
    params = sum(g.nodes[m]["params"] for m in nodes)
    macs = sum(g.nodes[m]["macs"] for m in nodes)
    op = block_desc(g, nodes) if level == 2 and g.nodes[nodes[0]]["scope"][0] == "stage" else ""
    return Row(level, label, op, list(last["shape"]), params, macs)


def _share(part: int, total: int) -> str:
    if not part:
        return "–"
    pct = 100 * part / total
    return "<0.1%" if pct < 0.05 else f"{pct:.1f}%"


def render(c: Compiled, profile: str = "torchvision", depth: int = MAX_DEPTH) -> str:
    """The tree as an aligned table, with a total row."""
    rows = tree(c, profile, depth)
    params = sum(d["params"] for _, d in c.graph.nodes(data=True))
    macs = sum(d["macs"] for _, d in c.graph.nodes(data=True))
    body = [
        [
            "  " * (r.depth - 1) + r.label,
            r.op,
            text.shape(r.shape),
            text.grouped(r.params) if r.params else "–",
            _share(r.params, params),
            text.grouped(r.macs) if r.macs else "–",
            _share(r.macs, macs),
        ]
        for r in rows
    ]
    body.append(["total", "", "", text.grouped(params), "100.0%", text.grouped(macs), "100.0%"])
    header = [f"layer ({profile})", "op", "output", "params", "% params", "MACs", "% MACs"]
    return text.table(header, body, right={3, 4, 5, 6})
