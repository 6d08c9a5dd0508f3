"""The ``timm`` naming profile: module names as timm's ``models/resnet.py`` writes them.

Chosen in a spec with ``names: {pytorch: timm}``; the PyTorch backend then prints these names so that
timm's ``state_dict()`` keys load with ``strict=True``. Where timm's ResNet differs from torchvision's:

- a deep stem (several stem convs, ``stem_type='deep'`` / ``'deep_tiered'``) is one ``conv1 = nn.Sequential``
  of every stem conv, norm and activation but the last norm and activation: ``conv1.0`` (conv),
  ``conv1.1`` (norm), ``conv1.2`` (act), ``conv1.3``, … ``conv1.6`` (the last conv); then ``bn1``, ``act1``;
- activations are ``act1``, ``act2``, … (the one after the addition takes the next number);
- with average-pool projections (``projection_stride: avgpool``, ``avg_down=True``) ``downsample`` is
  always ``(pool or identity, conv, norm)``: the conv is ``downsample.1``, the norm ``downsample.2``;
- squeeze-and-excitation is ``se.fc1`` / ``se.act`` / ``se.fc2`` / ``se.gate``; ECA is ``se.conv`` (timm
  stores every block's attention module as ``se``), or ``eca.conv`` in a (user) block that has SE too;
- the head is ``global_pool`` and ``fc``;
- a stem pool followed by a blur pool (``resnetblur*``) is ``maxpool = nn.Sequential(max pool, BlurPool2d)``:
  ``maxpool.0``, ``maxpool.1``; a block's anti-aliasing layer is ``aa``; a stem conv that ``replaces_pool``
  (ResNet-RS) is ``maxpool = nn.Sequential(conv, norm, act)``: ``maxpool.0``, ``.1``, ``.2``.

Everything timm's ResNet has no name for (pre-activation units, option A shortcuts, VGG layouts) keeps its
torchvision-profile name.
"""

from __future__ import annotations

import re
from itertools import islice, takewhile

import networkx as nx

from archc.ir.blocks import BlockDef
from archc.ir.naming import downsample_attr, torchvision_block_attr, torchvision_name

_BLOCK = {
    "se_pool": "se.pool",
    "se_reduce": "se.fc1",
    "se_act": "se.act",
    "se_expand": "se.fc2",
    "se_gate": "se.gate",
    "se_scale": "se",
    "eca_pool": "se.pool",
    "eca_conv": "se.conv",
    "eca_gate": "se.gate",
    "eca_scale": "se",
}
_HEAD = {"pool": "global_pool", "flatten": "flatten", "fc": "fc"}
_SLOT = re.compile(r"^(conv|bn|act)(\d+)$")


def timm_name(g: nx.DiGraph, node: str, stem_index: dict[str, int]) -> str:
    data = g.nodes[node]
    scope, role = data["scope"], data["role"]
    if scope[0] == "input" or g.graph.get("layout") == "sequential":
        return torchvision_name(g, node, stem_index)
    if scope[0] == "stem":
        return _stem_name(g, node, stem_index)
    if scope[0] == "head":
        return _HEAD.get(role) or torchvision_name(g, node, stem_index)
    if scope[2] in ("pool", "downsample"):
        return torchvision_name(g, node, stem_index)
    d = g.graph["blocks"].block(data["block"]).definition
    present = [r for r in DOWNSAMPLE if f"s{scope[1]}.b{scope[2]}.{r}" in g]
    return f"layer{scope[1] + 1}.{scope[2]}.{timm_block_attr(role, d, present)}"


DOWNSAMPLE = ("down_pool", "down_conv", "down_bn")


def timm_block_attr(role: str, d: BlockDef, downsample: list[str] | tuple[str, ...] = DOWNSAMPLE) -> str:
    """The name of an op inside a timm block module (``conv1``, ``bn2``, ``act1``, ``se.fc1``, ``se.conv``,
    ``downsample.1``) for the definition ``d`` and the projection roles ``downsample`` a block has."""
    m = _SLOT.match(role)
    if m:
        return f"{m.group(1)}{m.group(2)}"
    if role == "out_act":  # after the addition: the number after the branch's last activation (act3, act2)
        return f"act{len(d.layout.kernels) + ('relu' in d.unit.last)}"
    if role in DOWNSAMPLE:
        if d.projection == "avgpool":  # (AvgPool2d or Identity, conv, norm): fixed positions
            return f"downsample.{DOWNSAMPLE.index(role)}"
        return downsample_attr(role, downsample)
    if role.startswith("eca_") and any(s.kind == "se" for s in d.recipe.steps):
        return torchvision_block_attr(role, downsample)  # SE too (a user block): timm's one ``se`` is the SE's
    return _BLOCK.get(role) or torchvision_block_attr(role, downsample)


def _stem_nodes(g: nx.DiGraph) -> list[str]:
    """The stem's ops in order (lowering inserts them right after the input)."""
    return list(takewhile(lambda n: g.nodes[n]["scope"][0] == "stem", islice(g.nodes, 1, None)))


def _stem_name(g: nx.DiGraph, node: str, stem_index: dict[str, int]) -> str:
    data = g.nodes[node]
    layers = g.graph["blocks"].stem
    pooling = [n for n in _stem_nodes(g) if layers[g.nodes[n]["scope"][1]].container == "maxpool"]
    if node in pooling:  # a conv replacing the stem pool (ResNet-RS): maxpool = nn.Sequential(conv, norm, act)
        return f"maxpool.{pooling.index(node)}"
    stem = [n for n in _stem_nodes(g) if n not in pooling]
    pools = [n for n in stem if g.nodes[n]["role"] == "pool"]
    convs = [n for n in stem if g.nodes[n]["role"] == "conv"]
    if data["role"] == "pool":
        i = stem_index[node]
        if len(pools) > 1 and g.nodes[pools[-1]]["op"] == "blurpool":  # resnetblur*: Sequential(max, blur)
            return f"maxpool.{i - 1}"
        return "maxpool" if i == 1 else f"{data['op']}{i}"
    if pools and stem.index(pools[0]) < stem.index(convs[-1]):
        return torchvision_name(g, node, stem_index)  # a conv after a pool: not a timm stem
    i, last = stem_index[node], len(convs)
    if i == last and data["role"] != "conv" or last == 1:
        return {"conv": "conv1", "bn": "bn1", "act": "act1"}[data["role"]]
    return f"conv1.{stem.index(node)}"
