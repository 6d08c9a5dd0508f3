"""Pass ``names``: give every op its name in each naming profile (torchvision, keras, timm).

Pre:  lowered IR (``scope`` and ``role`` on every node; graph ``stages`` and ``blocks`` set).
Post: every node has ``names``: ``{profile: name}``; names of ops with weights are unique per profile;
      every :class:`~archc.ir.blocks.Block` of ``g.graph["blocks"]`` has ``names`` (``layer2.0``,
      ``conv3_block1``); graph attribute ``model_layout`` is the :class:`~archc.ir.layouts.ModelLayout` of the
      spec's family and PyTorch profile (a RegNet's ``stem.0`` / ``s1.b1.conv1.conv`` names live there).

In residual stages an op's name is its block's name and a local part (``layer2.0`` + ``.conv1``,
``conv3_block1`` + ``_1_conv``) that depends only on the block's definition and ops: the local parts are
computed once per distinct (definition, op roles) and reused.
"""

from __future__ import annotations

import networkx as nx

from archc.ir.layouts import model_layout
from archc.ir.naming import block_names, keras_name, stem_counters, torchvision_name
from archc.ir.timm_names import timm_name

NAMERS = {"torchvision": torchvision_name, "keras": keras_name, "timm": timm_name}
SEPARATOR = {"torchvision": ".", "keras": "_", "timm": "."}


def assign_names(g: nx.DiGraph) -> nx.DiGraph:
    stem_index = stem_counters(g)
    model = g.graph["blocks"]
    for block in model.blocks:
        block.names = block_names(g, block.stage, block.index)
    local: dict[tuple, list[dict[str, str]]] = {}
    if model.layout == "stages":
        for block in model.blocks:
            key = (block.definition, tuple(g.nodes[n]["role"] for n in block.nodes))
            if key not in local:
                local[key] = [_local_parts(g, n, block.names, stem_index) for n in block.nodes]
            for node, parts in zip(block.nodes, local[key], strict=True):
                g.nodes[node]["names"] = {p: block.names[p] + SEPARATOR[p] + part for p, part in parts.items()}
    for node, data in g.nodes(data=True):
        if "names" not in data:
            data["names"] = {profile: namer(g, node, stem_index) for profile, namer in NAMERS.items()}
    g.graph["model_layout"] = model_layout(g)
    return g


def _local_parts(g: nx.DiGraph, node: str, prefixes: dict[str, str], stem_index: dict) -> dict[str, str]:
    parts = {}
    for profile, namer in NAMERS.items():
        name, head = namer(g, node, stem_index), prefixes[profile] + SEPARATOR[profile]
        if not name.startswith(head):
            raise ValueError(f"{node}: {profile} name {name!r} is not inside its block {prefixes[profile]!r}")
        parts[profile] = name[len(head) :]
    return parts
