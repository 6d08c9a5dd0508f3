"""Naming profiles: how torchvision and keras.applications name each op, as data.

A profile maps an op's position (``scope``) and ``role`` to a name. Names of ops with weights are unique
within a profile; parameterless ops may share a name (torchvision reuses one ``relu`` module per block).
``pad_name`` is the name a backend gives an explicit zero-padding layer in front of a conv or pool.
"""

from __future__ import annotations

import re

import networkx as nx

PROFILES = ("torchvision", "keras")

# torchvision: role → name inside a block ``layer{s}.{b}``.
_TV_BLOCK = {
    "down_conv": "downsample.0",
    "down_bn": "downsample.1",
    "add": "add",
    "out_act": "relu",
    "subsample": "shortcut.subsample",
    "pad": "shortcut.pad",
}
_TV_HEAD = {"pool": "avgpool", "flatten": "flatten", "fc": "fc"}

# keras.applications: role → suffix inside a block ``{stage}_block{b}``.
_KERAS_BLOCK = {
    "down_conv": "0_conv",
    "down_bn": "0_bn",
    "add": "add",
    "out_act": "out",
    "subsample": "0_subsample",
    "pad": "0_pad_channels",
}
_KERAS_HEAD = {"flatten": "flatten", "fc": "predictions"}
_KERAS_KIND = {"conv": "conv", "bn": "bn", "act": "relu"}
_SLOT = re.compile(r"^(conv|bn|act)(\d+)$")


def stem_counters(g: nx.DiGraph) -> dict[str, int]:
    """1-based index of each stem conv and each stem pool ("conv1", "pool1", …)."""
    counters: dict[str, int] = {}
    convs = pools = 0
    for node, data in g.nodes(data=True):
        if data["scope"][0] != "stem":
            continue
        if data["role"] == "pool":
            pools += 1
            counters[node] = pools
        else:
            if data["role"] == "conv":
                convs += 1
            counters[node] = convs
    return counters


def torchvision_name(g: nx.DiGraph, node: str, stem_index: dict[str, int]) -> str:
    data = g.nodes[node]
    scope, role = data["scope"], data["role"]
    if scope[0] == "input":
        return "x"
    if scope[0] == "stem":
        i = stem_index[node]
        if role == "pool":
            return data["op"] if i == 1 else f"{data['op']}{i}"
        return {"conv": f"conv{i}", "bn": f"bn{i}", "act": "relu"}[role]
    if scope[0] == "head":
        return _TV_HEAD[role]
    prefix = f"layer{scope[1] + 1}.{scope[2]}"
    m = _SLOT.match(role)
    if m:
        kind, i = m.groups()
        return f"{prefix}.relu" if kind == "act" else f"{prefix}.{kind}{i}"
    return f"{prefix}.{_TV_BLOCK[role]}"


def keras_name(g: nx.DiGraph, node: str, stem_index: dict[str, int]) -> str:
    data = g.nodes[node]
    scope, role = data["scope"], data["role"]
    if scope[0] == "input":
        return "input"
    if scope[0] == "stem":
        i = stem_index[node]
        return f"pool{i}_pool" if role == "pool" else f"conv{i}_{_KERAS_KIND[role]}"
    if scope[0] == "head":
        return f"{data['attrs']['mode']}_pool" if role == "pool" else _KERAS_HEAD[role]
    prefix = f"{g.graph['stages'][scope[1]].name}_block{scope[2] + 1}"
    m = _SLOT.match(role)
    if m:
        kind, i = m.groups()
        return f"{prefix}_{i}_{_KERAS_KIND[kind]}"
    return f"{prefix}_{_KERAS_BLOCK[role]}"


def pad_name(name: str) -> str:
    """``conv1_conv`` → ``conv1_pad``; ``pool1_pool`` → ``pool1_pad``; ``x_2_conv`` → ``x_2_pad``."""
    return re.sub(r"_(conv|pool)$", "_pad", name) if re.search(r"_(conv|pool)$", name) else f"{name}_pad"


NAMERS = {"torchvision": torchvision_name, "keras": keras_name}
