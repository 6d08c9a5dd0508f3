"""Model layouts: the module tree a reference library builds around the blocks, and its names, as data.

:func:`model_layout` is the one entry point a backend needs to print a model as a library writes it. For a
compiled graph it gives

- ``family``: ``resnet`` (torchvision's ``conv1``, ``layer1…``, ``fc``, or timm's), ``vgg`` (torchvision's
  ``features`` / ``classifier``: a plain stack of single-conv blocks) or ``regnet`` (torchvision's ``stem``,
  ``trunk_output.blockN.blockN-k``, ``fc``, or timm's ``stem``, ``s1.b1``, ``head``): the spec's ``family``;
- ``profile``: the spec's ``names.pytorch`` (``torchvision`` | ``timm``);
- ``names``: every op's module name (ops with weights have unique names; ``state_dict()`` keys are
  ``{name}.weight`` …), ``stages`` and ``blocks``: the module names of each stage and block;
- ``order``: the ops with weights in the order the library registers their modules, which is the order of
  its ``state_dict()`` and of the random draws of its initialisation;
- ``init``: the library's initialisation (:class:`archc.ir.inits.InitScheme`).

The ResNet and VGG layouts are the ``torchvision`` / ``timm`` names the ``names`` pass gives every node
(:mod:`archc.ir.naming`, :mod:`archc.ir.timm_names`); RegNet's are :mod:`archc.ir.regnet_names`. The
``names`` pass computes the layout once (graph attribute ``model_layout``), so a spec whose ops a RegNet has
no module for fails at compile time, located at its ``family`` key.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from archc.ir import convnext_names, regnet_names
from archc.ir.inits import InitScheme, init_scheme
from archc.ir.naming import pytorch_profile
from archc.ir.regnet_names import LayoutError

__all__ = ["FAMILIES", "LayoutError", "ModelLayout", "layout_problem", "model_layout"]

FAMILIES = ("resnet", "vgg", "regnet", "convnext")


@dataclass(frozen=True, eq=False)
class ModelLayout:
    """How a library lays out and names one compiled model (see the module docstring)."""

    family: str
    profile: str
    names: dict[str, str]  # node id → module name
    stages: tuple[str, ...]  # each stage's module name (``layer1``, ``s1``, ``trunk_output.block1``)
    blocks: dict[str, str]  # block id (``s0.b0``) → block module name (``layer1.0``, ``s1.b1``)
    order: tuple[str, ...]  # node ids of the ops with weights, in the library's registration order
    init: InitScheme

    def local_name(self, g: nx.DiGraph, node: str) -> str:
        """An op's name inside its block module (``f.se.fc1``, ``conv3.bn``, ``downsample.0``); outside
        blocks its whole name (``stem.0``, ``head.fc``)."""
        block_id = g.nodes[node]["block"]
        return self.names[node] if block_id is None else self.names[node].removeprefix(self.blocks[block_id] + ".")

    def state_dict(self, g: nx.DiGraph) -> list[tuple[str, tuple[int, ...]]]:
        """The library model's ``state_dict()`` keys and shapes, in order (weights, biases, BN statistics)."""
        return [entry for node in self.order for entry in _tensors(self.names[node], g.nodes[node], self.profile)]


def family_of(g: nx.DiGraph) -> str:
    """The layout family: the spec's ``family`` (graph attribute), ``vgg`` for a sequential stack."""
    if g.graph.get("layout") == "sequential":
        return "vgg"
    return g.graph.get("family", "resnet")


def model_layout(g: nx.DiGraph) -> ModelLayout:
    """The layout of a compiled graph (after the ``names`` pass; raises :class:`LayoutError` for an op the
    RegNet layout has no module for)."""
    family, profile = family_of(g), pytorch_profile(g)
    model = g.graph["blocks"]
    if family == "regnet":
        names = {n: regnet_names.regnet_name(g, n, profile) for n in g.nodes}
        blocks = {b.id: regnet_names.block_name(profile, b.stage, b.index) for b in model.blocks}
        stages = tuple(regnet_names.stage_name(profile, s.index) for s in model.stages)
    elif family == "convnext":
        names = {n: convnext_names.convnext_name(g, n, profile) for n in g.nodes}
        blocks = {b.id: convnext_names.block_name(profile, b.stage, b.index) for b in model.blocks}
        stages = tuple(convnext_names.stage_name(profile, s.index) for s in model.stages)
    else:
        names = {n: d["names"][profile] for n, d in g.nodes(data=True)}
        blocks = {b.id: b.names[profile] for b in model.blocks}
        stages = tuple(_container(s.blocks[0].names[profile]) if s.blocks else "" for s in model.stages)
    order = tuple(n for n in _module_order(g, family, profile) if _weighted(g.nodes[n]))
    return ModelLayout(family, profile, names, stages, blocks, order, init_scheme(g, family, profile))


def layout_problem(g: nx.DiGraph) -> LayoutError | None:
    """The :class:`LayoutError` that :func:`model_layout` raises for ``g``, or None: whether the family's layout
    has a module for every op, without the layout (the sweep's fast path asks it of each segment's graph)."""
    namer = {"regnet": regnet_names.regnet_name, "convnext": convnext_names.convnext_name}.get(family_of(g))
    if namer is None:
        return None
    profile = pytorch_profile(g)
    try:
        for node in g.nodes:
            namer(g, node, profile)
    except LayoutError as exc:
        return exc
    return None


def _container(block_name: str) -> str:
    """``layer2.0`` → ``layer2``; a VGG block ``features.s1.0`` → ``features``."""
    return block_name.split(".")[0]


def _module_order(g: nx.DiGraph, family: str, profile: str) -> list[str]:
    """Every node in the library's module registration order: lowering's order, but for each block's
    roles reordered as the library's block class creates them."""
    if family == "convnext":  # a block's own parameters (gamma) come before its modules' (PyTorch's order)
        position = {n: i for i, n in enumerate(g.nodes)}
        return sorted(g.nodes, key=lambda n: (_block_start(g, n, position), g.nodes[n]["op"] != "layer_scale"))
    if family != "regnet":
        return list(g.nodes)
    out: list[str] = []
    done: set[str] = set()
    for node, block_id in g.nodes(data="block"):
        if block_id is None:
            out.append(node)
        elif block_id not in done:
            done.add(block_id)
            by_role = {g.nodes[n]["role"]: n for n in g.graph["blocks"].block(block_id).nodes}
            out += [by_role[r] for r in regnet_names.block_order(profile, list(by_role))]
    return out


def _block_start(g: nx.DiGraph, node: str, position: dict[str, int]) -> int:
    """The position of the first op of ``node``'s block (of ``node`` itself outside blocks)."""
    block_id = g.nodes[node]["block"]
    return position[g.graph["blocks"].block(block_id).nodes[0]] if block_id is not None else position[node]


def _weighted(data: dict) -> bool:
    return bool(data.get("params") or data.get("buffers"))


def _tensors(name: str, data: dict, profile: str) -> list[tuple[str, tuple[int, ...]]]:
    """The tensors PyTorch's module for one op holds, as ``(key, shape)`` in ``state_dict()`` order."""
    op, a = data["op"], data["attrs"]
    if op == "conv":
        kernel = () if a.get("linear") else a["kernel"]  # a pointwise conv written as nn.Linear: (out, in)
        w = [(f"{name}.weight", (a["out_channels"], a["in_channels"] // a["groups"], *kernel))]
        return w + ([(f"{name}.bias", (a["out_channels"],))] if a["bias"] else [])
    if op == "linear":
        w = [(f"{name}.weight", (a["out_features"], a["in_features"]))]
        return w + ([(f"{name}.bias", (a["out_features"],))] if a["bias"] else [])
    if op == "layer_scale":  # a parameter of the block, not a module: timm's gamma (C,), torchvision's (C, 1, 1)
        return [(name, (a["channels"],) if profile == "timm" else (a["channels"], 1, 1))]
    if op == "channel_conv":
        return [(f"{name}.weight", (1, 1, a["kernel"]))] + ([(f"{name}.bias", (1,))] if a["bias"] else [])
    c = (a["channels"],)
    out = [(f"{name}.weight", c), (f"{name}.bias", c)]
    if op == "batchnorm":
        out += [(f"{name}.running_mean", c), (f"{name}.running_var", c), (f"{name}.num_batches_tracked", ())]
    return out
