"""ConvNeXt module names, as timm's ``models/convnext.py`` writes them (``family: convnext``).

``stem.0`` (the patchify conv) and ``stem.1`` (its norm); stage ``s`` is ``stages.{s}``, with its separate
downsampling layer ``stages.{s}.downsample.0`` (norm) / ``.1`` (conv) and its blocks ``stages.{s}.blocks.{b}``;
inside a block each step keeps its role as its name (``conv_dw``, ``norm``, ``gamma``, ``drop_path``) but
the MLP's (``fc1``, ``act``, ``fc2``), which live in ``mlp``; the head is ``head.global_pool``,
``head.norm``, ``head.flatten``, ``head.fc`` (timm's ``NormMlpClassifierHead``).

Only timm's names are written here: a ``family: convnext`` spec whose PyTorch profile is torchvision's has no
layout yet (:class:`LayoutError`, located at ``names``).
"""

from __future__ import annotations

import networkx as nx

from archc.ir.regnet_names import LayoutError

_MLP = {"fc1": "mlp.fc1", "act": "mlp.act", "fc2": "mlp.fc2"}
_HEAD = {"pool": "head.global_pool", "norm": "head.norm", "flatten": "head.flatten", "fc": "head.fc"}
_STEM = {"conv": "stem.0", "bn": "stem.1"}
_DOWN = {"norm": "downsample.0", "conv": "downsample.1"}


def _need_timm(profile: str) -> None:
    if profile != "timm":
        raise LayoutError(
            f"a ConvNeXt layout with {profile}'s names", "use names: {pytorch: timm}", ("names", "pytorch")
        )


def stage_name(profile: str, s: int) -> str:
    _need_timm(profile)
    return f"stages.{s}"


def block_name(profile: str, s: int, b: int) -> str:
    return f"{stage_name(profile, s)}.blocks.{b}"


def convnext_name(g: nx.DiGraph, node: str, profile: str) -> str:
    """The module name of ``node`` in timm's ConvNeXt; :class:`LayoutError` for an op it has no module for."""
    _need_timm(profile)
    data = g.nodes[node]
    scope, role = data["scope"], data["role"]
    name = None
    if scope[0] == "input":
        return "x"
    if scope[0] == "stem" and scope[1] == 0:
        name = _STEM.get(role)
    elif scope[0] == "head":
        name = _HEAD.get(role)
    elif scope[0] == "stage" and scope[2] == "downsample":
        name = f"{stage_name(profile, scope[1])}.{_DOWN[role]}"
    elif scope[0] == "stage" and isinstance(scope[2], int):
        name = f"{block_name(profile, scope[1], scope[2])}.{_MLP.get(role, role)}"
    if name is None:
        raise LayoutError(f"timm's ConvNeXt has no module for {node} ({data['op']})",
                          "a ConvNeXt layout has one stem conv (+ norm), stages and a head of pool, norm, fc")  # fmt: skip
    return name
