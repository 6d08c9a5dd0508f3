"""The IR as a picture-ready graph (``archc graph``): a plain networkx DiGraph with JSON-able attributes.

Nodes keep their IR ids (``stem.0.conv``, ``s0.b0.conv1``) and carry ``label`` (the torchvision-profile
name), ``desc`` (``conv 3×3/2, 128``), ``op``, ``shape``, ``params``, ``macs`` and ``cluster`` (the
stage, and the block, it belongs to); each edge carries the ``shape`` of the tensor it moves. With
``collapse=True`` every residual block becomes one node (``[1×1, 64; 3×3, 64; 1×1, 256]``, its params and
MACs summed). Renderers for DOT and Mermaid are in :mod:`archc.graphs.render`.
"""

from __future__ import annotations

import networkx as nx

from archc.pipeline import Compiled

_SIMPLE = {
    "batchnorm": "BN",
    "relu": "ReLU",
    "add": "add",
    "flatten": "flatten",
    "subsample": "subsample",
    "pad_channels": "zero-pad channels",
}


def _kernel(attrs: dict) -> str:
    k = "×".join(map(str, attrs["kernel"]))
    s = attrs["stride"][0] if isinstance(attrs["stride"], (list, tuple)) else attrs["stride"]
    return f"{k}/{s}" if s != 1 else k


def describe(op: str, attrs: dict) -> str:
    """A short human description of one op."""
    if op == "conv":
        extra = f", groups {attrs['groups']}" if attrs.get("groups", 1) != 1 else ""
        dil = attrs.get("dilation", (1, 1))[0]
        extra += f", dilation {dil}" if dil != 1 else ""
        return f"conv {_kernel(attrs)}, {attrs['out_channels']}{extra}"
    if op in ("maxpool", "avgpool"):
        return f"{op[:3]} pool {_kernel(attrs)}"
    if op == "global_pool":
        return f"global {attrs.get('mode', 'avg')} pool"
    if op == "linear":
        return f"fc {attrs['out_features']}"
    if op == "input":
        return "input"
    if op == "subsample":
        return f"subsample /{attrs['stride']}"
    return _SIMPLE.get(op, op)


def _cluster(g: nx.DiGraph, scope: tuple) -> list[str]:
    """``["conv2", "block 0"]`` for a block op, ``["stem"]``, ``["head"]`` or ``[]`` for the input."""
    if scope[0] == "stage":
        stage = g.graph["stages"][scope[1]].name
        return [stage, f"block {scope[2]}"] if isinstance(scope[2], int) else [stage]
    return [scope[0]] if scope[0] in ("stem", "head") else []


def view(c: Compiled, collapse: bool = False) -> nx.DiGraph:
    g = c.graph
    out = nx.DiGraph(name=c.spec.name, collapsed=collapse)
    for n, d in g.nodes(data=True):
        out.add_node(
            n,
            label=d.get("names", {}).get("torchvision", n),
            desc=describe(d["op"], d["attrs"]),
            op=d["op"],
            shape=list(d["shape"]),
            params=d["params"],
            macs=d["macs"],
            cluster=_cluster(g, d["scope"]),
        )
    for a, b, e in g.edges(data=True):
        out.add_edge(a, b, shape=list(g.nodes[a]["shape"]), index=e.get("index", 0))
    return collapse_blocks(c, out) if collapse else out


def block_desc(g: nx.DiGraph, members: list[str]) -> str:
    convs = [g.nodes[m]["attrs"] for m in members if g.nodes[m]["op"] == "conv" and g.nodes[m]["main_path"]]
    text = "[" + "; ".join(f"{a['kernel'][0]}×{a['kernel'][1]}, {a['out_channels']}" for a in convs) + "]"
    stride = max((a["stride"][0] for a in convs), default=1)
    if stride != 1:
        text += f" /{stride}"
    if any(g.nodes[m]["role"] == "se_scale" for m in members):
        text += " + SE"
    if any(g.nodes[m]["role"] == "down_conv" for m in members):
        text += " + projection"
    return text


def collapse_blocks(c: Compiled, full: nx.DiGraph) -> nx.DiGraph:
    """One node per residual block; edges between groups carry the shape leaving the source group."""
    g = c.graph
    group = {}
    for n, scope in g.nodes(data="scope"):
        in_block = scope[0] == "stage" and isinstance(scope[2], int)  # not a stage's closing pool (VGG)
        group[n] = f"s{scope[1]}.b{scope[2]}" if in_block else n
    out = nx.DiGraph(**full.graph)
    for n in g.nodes:
        key = group[n]
        if key == n:
            out.add_node(n, **full.nodes[n])
        elif key not in out:
            members = [m for m in g.nodes if group[m] == key]
            exits = [m for m in members if any(group[s] != key for s in g.successors(m))] or members[-1:]
            s, b = g.nodes[n]["scope"][1:]
            out.add_node(
                key,
                label=f"{g.graph['stages'][s].name} block {b}",
                desc=block_desc(g, members),
                op="block",
                shape=list(g.nodes[exits[-1]]["shape"]),
                params=sum(g.nodes[m]["params"] for m in members),
                macs=sum(g.nodes[m]["macs"] for m in members),
                cluster=[g.graph["stages"][s].name],
            )
    for a, b, e in full.edges(data=True):
        ga, gb = group[a], group[b]
        if ga != gb and not out.has_edge(ga, gb):
            out.add_edge(ga, gb, shape=e["shape"], index=e["index"])
    return out


def to_json_data(v: nx.DiGraph) -> dict:
    """networkx node-link data (``nodes`` / ``edges``), deterministic order: IR insertion order."""
    try:
        return nx.node_link_data(v, edges="edges")
    except TypeError:  # networkx < 3.4 names the keyword ``link``
        return nx.node_link_data(v, link="edges")
