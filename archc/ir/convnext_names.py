"""ConvNeXt module names, as timm's ``models/convnext.py`` and torchvision's ``models/convnext.py`` write them
(``family: convnext``; the spec's ``names.pytorch`` picks the library).

**timm**:

``stem.0`` (the patchify conv) and ``stem.1`` (its norm); stage ``s`` is ``stages.{s}``, with its separate
downsampling layer ``stages.{s}.downsample.0`` (norm) / ``.1`` (conv) and its blocks ``stages.{s}.blocks.{b}``;
inside a block each step keeps its role as its name (``conv_dw``, ``norm``, ``gamma``, ``drop_path``) but
the MLP's (``fc1``, ``act``, ``fc2``), which live in ``mlp``; the head is ``head.global_pool``,
``head.norm``, ``head.flatten``, ``head.fc`` (timm's ``NormMlpClassifierHead``).

**torchvision**: one ``features`` Sequential: ``features.0.0`` / ``.1`` the stem (conv, norm), stage ``s``'s
blocks ``features.{2s+1}.{b}``, the downsampling layer in front of stage ``s`` ``features.{2s}.0`` (norm) /
``.1`` (conv); inside a block (``CNBlock``) the steps up to the layer scale are ``block.{i}``, numbered with
the two ``Permute`` modules (:func:`archc.ir.channels_last.walk`), then ``layer_scale`` (a parameter) and
``stochastic_depth``; the head ``avgpool``, ``classifier.0`` (norm), ``.1`` (flatten), ``.2`` (fc).
"""

from __future__ import annotations

import networkx as nx

from archc.ir.channels_last import walk
from archc.ir.regnet_names import LayoutError

_MLP = {"fc1": "mlp.fc1", "act": "mlp.act", "fc2": "mlp.fc2"}
_HEAD = {"pool": "head.global_pool", "norm": "head.norm", "flatten": "head.flatten", "fc": "head.fc"}
_STEM = {"conv": "stem.0", "bn": "stem.1"}
_DOWN = {"norm": "downsample.0", "conv": "downsample.1"}


_TV_HEAD = {"pool": "avgpool", "norm": "classifier.0", "flatten": "classifier.1", "fc": "classifier.2"}
_TV_STEM = {"conv": "features.0.0", "bn": "features.0.1"}
_TV_DOWN = {"norm": "0", "conv": "1"}
_TV_AFTER = {"layer_scale": "layer_scale", "drop_path": "stochastic_depth"}


def stage_name(profile: str, s: int) -> str:
    return f"stages.{s}" if profile == "timm" else f"features.{2 * s + 1}"


def block_name(profile: str, s: int, b: int) -> str:
    return f"{stage_name(profile, s)}.blocks.{b}" if profile == "timm" else f"{stage_name(profile, s)}.{b}"


def torchvision_locals(steps: tuple) -> dict[str, str]:
    """role → name inside torchvision's ``CNBlock``: ``block.{i}`` (permutes counted), ``layer_scale``, …"""
    names, i, inside = {}, 0, True
    for step, _ in walk(steps):
        kind = step if isinstance(step, str) else step.kind
        if kind in ("branch", "add"):
            continue
        if kind in _TV_AFTER:
            inside = False
            names[step.role] = _TV_AFTER[kind]
            continue
        if not inside:
            raise LayoutError(f"torchvision's CNBlock has no module for a {kind} after its layer scale",
                              "end the block with layer_scale, drop_path, add")  # fmt: skip
        if not isinstance(step, str):
            names[step.role] = f"block.{i}"
        i += 1
    return names


def convnext_name(g: nx.DiGraph, node: str, profile: str) -> str:
    """The module name of ``node`` in timm's or torchvision's ConvNeXt; :class:`LayoutError` for an op it has no module for."""
    data = g.nodes[node]
    scope, role = data["scope"], data["role"]
    name = None
    if scope[0] == "input":
        return "x"
    if profile != "timm":
        return _torchvision_name(g, node)
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


def _torchvision_name(g: nx.DiGraph, node: str) -> str | None:
    data = g.nodes[node]
    scope, role = data["scope"], data["role"]
    name = None
    if scope[0] == "stem" and scope[1] == 0:
        name = _TV_STEM.get(role)
    elif scope[0] == "head":
        name = _TV_HEAD.get(role)
    elif scope[0] == "stage" and scope[2] == "downsample":
        name = f"features.{2 * scope[1]}.{_TV_DOWN[role]}"
    elif scope[0] == "stage" and isinstance(scope[2], int):
        d = g.graph["blocks"].block(data["block"]).definition
        local = torchvision_locals(d.recipe.steps).get(role, role)
        name = f"{block_name('torchvision', scope[1], scope[2])}.{local}"
    if name is None:
        raise LayoutError(f"torchvision's ConvNeXt has no module for {node} ({data['op']})",
                          "a ConvNeXt layout has one stem conv (+ norm), stages and a head of pool, norm, fc")  # fmt: skip
    return name


# keras.applications' ConvNeXt: a block step's suffix by role (other roles keep their role)
KERAS_LOCAL = {"conv_dw": "depthwise_conv", "norm": "layernorm", "fc1": "pointwise_conv_1", "act": "gelu",
               "fc2": "pointwise_conv_2", "gamma": "layer_scale", "drop_path": "identity"}  # fmt: skip
_KERAS_HEAD = {"pool": "head_gap", "norm": "head_layernorm", "fc": "head_dense"}
_KERAS_STEM = {"conv": "stem_conv", "bn": "stem_layernorm"}


def keras_name(g: nx.DiGraph, node: str, model: str) -> str:
    """keras.applications' layer name of ``node`` in a ConvNeXt called ``model`` (``convnext_tiny_stem_conv``,
    ``…_stage_0_block_0_depthwise_conv``, ``…_downsampling_conv_0``, ``…_head_dense``)."""
    data = g.nodes[node]
    scope, role = data["scope"], data["role"]
    if scope[0] == "input":
        return "input"
    if scope[0] == "stem":
        return f"{model}_{_KERAS_STEM.get(role, role)}"
    if scope[0] == "head":
        return f"{model}_{_KERAS_HEAD.get(role, role)}"
    if scope[2] == "downsample":
        return f"{model}_downsampling_{'layernorm' if role == 'norm' else role}_{scope[1] - 1}"
    if role == "drop_path" and data["attrs"].get("rate"):  # keras.applications: StochasticDepth where the rate > 0
        return f"{model}_stage_{scope[1]}_block_{scope[2]}_stochastic_depth"
    return f"{model}_stage_{scope[1]}_block_{scope[2]}_{KERAS_LOCAL.get(role, role)}"
