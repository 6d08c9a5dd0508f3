"""Naming profiles: how torchvision and keras.applications name each op, as data.

A profile maps an op's position (``scope``) and ``role`` to a name. Names of ops with weights are unique
within a profile; parameterless ops may share a name (torchvision reuses one ``relu`` module per block).
``pad_name`` is the name a backend gives an explicit zero-padding layer in front of a conv or pool.
"""

from __future__ import annotations

import re

import networkx as nx

PROFILES = ("torchvision", "keras", "timm")  # timm: archc/ir/timm_names.py

# torchvision: role → name inside a block ``layer{s}.{b}``.
_TV_BLOCK = {
    "preact_bn": "preact_bn",
    "preact_act": "relu",
    "add": "add",
    "out_bn": "out_bn",
    "out_act": "relu",
    "subsample": "shortcut.subsample",
    "pad": "shortcut.pad",
    "se_pool": "se.avgpool",  # torchvision.ops.SqueezeExcitation's module names
    "se_reduce": "se.fc1",
    "se_act": "se.activation",
    "se_expand": "se.fc2",
    "se_gate": "se.scale_activation",
    "se_scale": "se",
    "eca_pool": "eca.avgpool",
    "eca_conv": "eca.conv",
    "eca_gate": "eca.gate",
    "eca_scale": "eca",
}
# numbered in order: downsample.0, .1, …; a projection that is one conv (pre-activation: no norm) is the bare
# module ``downsample``, as a hand-written torchvision-style block would hold it
_TV_DOWNSAMPLE = ("down_pool", "down_conv", "down_bn")
_TV_HEAD = {"post_bn": "post_bn", "post_act": "relu", "pool": "avgpool", "flatten": "flatten", "fc": "fc"}

# keras.applications: role → suffix inside a block ``{stage}_block{b}``.
# The last op of a block is always ``{prefix}_out`` (the ReLU after the addition in ResNet, the addition
# itself in ResNetV2).
_KERAS_BLOCK = {
    "preact_bn": "preact_bn",
    "preact_act": "preact_relu",
    "down_pool": "0_pool",
    "down_conv": "0_conv",
    "down_bn": "0_bn",
    "add": "add",
    "out_bn": "out_bn",
    "out_act": "out",
    "subsample": "0_subsample",
    "pad": "0_pad_channels",
    "se_pool": "se_squeeze",
    "se_reduce": "se_reduce",
    "se_act": "se_relu",
    "se_expand": "se_expand",
    "se_gate": "se_sigmoid",
    "se_scale": "se_excite",
    "eca_pool": "eca_squeeze",
    "eca_conv": "eca_conv",
    "eca_gate": "eca_sigmoid",
    "eca_scale": "eca_excite",
}
_KERAS_HEAD = {"post_bn": "post_bn", "post_act": "post_relu", "flatten": "flatten", "fc": "predictions"}
_KERAS_KIND = {"conv": "conv", "bn": "bn", "act": "relu"}
_SLOT = re.compile(r"^(conv|bn|act)(\d+)$")


def pytorch_profile(g: nx.DiGraph) -> str:
    """The profile whose names the PyTorch backend prints: the spec's ``names.pytorch`` (torchvision | timm)."""
    return g.graph.get("pytorch_names", "torchvision")


def stem_counters(g: nx.DiGraph) -> dict[str, int]:
    """1-based index of each stem conv and each stem pool ("conv1", "pool1", …); for a sequential layout
    the 0-based position of every op in torchvision's ``features`` / ``classifier`` Sequentials."""
    if g.graph.get("layout") == "sequential":
        return _sequential_counters(g)
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


def _sequential_counters(g: nx.DiGraph) -> dict[str, int]:
    counters: dict[str, int] = {}
    features = classifier = 0
    for node, data in g.nodes(data=True):
        if data["scope"][0] in ("stem", "stage"):
            counters[node], features = features, features + 1
        elif data["scope"][0] == "head" and data["role"].startswith("fc"):
            counters[node], classifier = classifier, classifier + 1
    return counters


def torchvision_name(g: nx.DiGraph, node: str, stem_index: dict[str, int]) -> str:
    data = g.nodes[node]
    scope, role = data["scope"], data["role"]
    if scope[0] == "input":
        return "x"
    if g.graph.get("layout") == "sequential" and node in stem_index:
        return f"{'classifier' if scope[0] == 'head' else 'features'}.{stem_index[node]}"
    if scope[0] == "stem":
        i = stem_index[node]
        if role == "pool":
            return data["op"] if i == 1 else f"{data['op']}{i}"
        # a stem's BatchNorm is bn1 and its ReLU relu (torchvision's); a LayerNorm or GELU is no "bn" or "relu"
        norm, act = f"bn{i}" if data["op"] == "batchnorm" else f"norm{i}", "relu" if data["op"] == "relu" else "act"
        return {"conv": f"conv{i}", "bn": norm, "act": act}[role]
    if scope[0] == "head":
        name = _TV_HEAD.get(role) or _head_fc(role, "relu", "dropout")
        return role if name == "relu" and data["op"] != "relu" else name  # a pre-activation net's GELU: post_act
    if scope[2] == "pool":
        return f"layer{scope[1] + 1}.pool"
    if scope[2] == "downsample":  # a separate downsampling layer in front of the stage
        return f"layer{scope[1] + 1}.downsample.{role}"
    present = [r for r in _TV_DOWNSAMPLE if f"s{scope[1]}.b{scope[2]}.{r}" in g]
    return f"layer{scope[1] + 1}.{scope[2]}.{torchvision_block_attr(role, present, data['op'])}"


def torchvision_block_attr(
    role: str, downsample: list[str] | tuple[str, ...] = _TV_DOWNSAMPLE, op: str = "relu"
) -> str:
    """The name of an op inside a torchvision block module (``conv1``, ``bn2``, ``relu``, ``preact_bn``,
    ``downsample.1`` given the projection roles ``downsample`` present, ``se.fc1``). Where torchvision's
    blocks share one ``relu`` module, an activation ``op`` other than ReLU (a GELU, SiLU, …) is a module
    of its own, named by its role (``act1``, ``act2``, ``out_act``)."""
    if role in _TV_DOWNSAMPLE:
        return downsample_attr(role, downsample)
    m = _SLOT.match(role)
    if m:
        kind, i = m.groups()
        name = "relu" if kind == "act" else f"{kind}{i}"
    else:
        name = _TV_BLOCK.get(role, role)  # a user block's step: its role
    return role if name == "relu" and op != "relu" else name


def downsample_attr(role: str, present: list[str] | tuple[str, ...]) -> str:
    """A projection op's name in the block: ``downsample.{i}`` in the ``nn.Sequential`` of the roles ``present``,
    or ``downsample`` itself where the projection is one module (a pre-activation net's bare 1x1 conv)."""
    return "downsample" if len(present) == 1 else f"downsample.{list(present).index(role)}"


def _head_fc(role: str, act: str, drop: str) -> str:
    """Hidden fc layers of the head: ``fc1``, its activation and its dropout."""
    fc, _, kind = role.partition("_")
    return {"": fc, "act": f"{fc}_{act}", "drop": f"{fc}_{drop}"}[kind]


def keras_name(g: nx.DiGraph, node: str, stem_index: dict[str, int]) -> str:
    data = g.nodes[node]
    scope, role = data["scope"], data["role"]
    if scope[0] == "input":
        return "input"
    if scope[0] == "stem":
        i = stem_index[node]
        return f"pool{i}_pool" if role == "pool" else f"conv{i}_{_KERAS_KIND[role]}"
    if scope[0] == "head":
        if role == "pool":
            return f"{data['attrs']['mode']}_pool"
        return _KERAS_HEAD.get(role) or _head_fc(role, "relu", "dropout")
    stage = g.graph["stages"][scope[1]].name
    if scope[2] == "pool":
        return f"{stage}_pool"
    if scope[2] == "downsample":
        return f"{stage}_downsample_{role}"
    if g.graph.get("layout") == "sequential":  # keras.applications VGG: block1_conv1, block1_pool
        m = _SLOT.match(role)
        kind = _KERAS_KIND[m.group(1)] if m else {"out_act": "relu", "out_bn": "bn"}.get(role, role)
        return f"{stage}_{kind}{scope[2] + 1}"  # other roles (preact_bn, se_*) keep their role: s0_preact_bn1
    prefix = f"{stage}_block{scope[2] + 1}"
    if node in g.graph["block_outputs"]:
        return f"{prefix}_out"
    m = _SLOT.match(role)
    if m:
        kind, i = m.groups()
        return f"{prefix}_{i}_{_KERAS_KIND[kind]}"
    return f"{prefix}_{_KERAS_BLOCK.get(role, role)}"


def keras_pool_name(mode: str) -> str:
    """keras.applications' global pool: the head's, and ``pooling="avg"|"max"`` without the top."""
    return f"{mode}_pool"


def pad_name(name: str) -> str:
    """``conv1_conv`` → ``conv1_pad``; ``pool1_pool`` → ``pool1_pad``; ``x_2_conv`` → ``x_2_pad``."""
    return re.sub(r"_(conv|pool)$", "_pad", name) if re.search(r"_(conv|pool)$", name) else f"{name}_pad"


def block_names(g: nx.DiGraph, stage: int, index: int) -> dict[str, str]:
    """A block's name in each profile: ``layer2.0`` (torchvision), ``conv3_block1`` (keras.applications);
    in a sequential layout (VGG) a block is no module of its own: its stage's name and position."""
    name = g.graph["stages"][stage].name if len(g.graph["stages"]) > stage else f"s{stage}"
    if g.graph.get("layout") == "sequential":
        tv = f"features.{name}.{index}"
        return {"torchvision": tv, "keras": f"{name}_{index + 1}", "timm": tv}
    tv = f"layer{stage + 1}.{index}"
    return {"torchvision": tv, "keras": f"{name}_block{index + 1}", "timm": tv}
