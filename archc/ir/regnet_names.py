"""RegNet module names, as torchvision's ``models/regnet.py`` and timm's ``models/regnet.py`` write them.

Chosen by ``family: regnet``; the spec's ``names.pytorch`` picks the library:

- **torchvision**: ``stem.0`` / ``.1`` / ``.2`` (``Conv2dNormActivation``), stage ``s`` is
  ``trunk_output.block{s+1}`` and its block ``b`` ``trunk_output.block{s+1}.block{s+1}-{b}`` (0-based ``b``);
  inside a block the projection ``proj.0`` / ``.1``, the branch ``f.a`` / ``f.b`` / ``f.c`` (``.0`` conv,
  ``.1`` norm, ``.2`` activation), SE ``f.se.fc1`` / ``.fc2`` (``torchvision.ops.SqueezeExcitation``), the
  activation after the addition ``activation``; the head ``avgpool``, ``fc``.
- **timm**: ``stem.conv`` / ``.bn`` (``ConvNormAct``: the activation lives in the norm, ``stem.bn.act``), stage
  ``s{s+1}``, block ``s{s+1}.b{b+1}`` (1-based); inside a block ``conv1`` / ``conv2`` / ``conv3`` each with
  ``.conv`` and ``.bn``, SE ``se.fc1`` / ``se.fc2``, the projection ``downsample.conv`` / ``.bn``, ``act3``
  after the addition; the head ``head.global_pool``, ``head.fc``.

Both libraries register a block's modules in a different order (torchvision: ``proj`` before ``f``; timm:
``downsample`` last), which is the order of their ``state_dict()``: :func:`block_order` gives it.
A role that neither library has (pre-activation, ECA, a pool in the stem, hidden fc layers) has no name:
:func:`regnet_name` raises :class:`LayoutError`.
"""

from __future__ import annotations

import re

import networkx as nx

_SLOT = re.compile(r"^(conv|bn|act)([123])$")
_KINDS = ("conv", "bn", "act")  # a Conv2dNormActivation's modules in order: .0, .1, .2 (fewer without a norm)
_TV_BLOCK = {
    "down_conv": "proj.0",
    "down_bn": "proj.1",
    "se_pool": "f.se.avgpool",
    "se_reduce": "f.se.fc1",
    "se_act": "f.se.activation",
    "se_expand": "f.se.fc2",
    "se_gate": "f.se.scale_activation",
    "se_scale": "f.se",
    "add": "add",
    "out_act": "activation",
}
_TIMM_PART = {"conv": "conv", "bn": "bn", "act": "bn.act"}
_TIMM_BLOCK = {
    "down_conv": "downsample.conv",
    "down_bn": "downsample.bn",
    "se_pool": "se.pool",
    "se_reduce": "se.fc1",
    "se_act": "se.act",
    "se_expand": "se.fc2",
    "se_gate": "se.gate",
    "se_scale": "se",
    "add": "add",
    "out_act": "act3",
}
_HEAD = {
    "torchvision": {"pool": "avgpool", "flatten": "flatten", "fc": "fc"},
    "timm": {"pool": "head.global_pool", "flatten": "head.flatten", "fc": "head.fc"},
}
_TIMM_STEM = {"conv": "stem.conv", "bn": "stem.bn", "act": "stem.bn.act"}


class LayoutError(ValueError):
    """An op the chosen layout has no module for; ``origin`` is the spec key to blame."""

    def __init__(self, message: str, help: str, origin: tuple = ("family",), fallback: tuple | None = None):
        super().__init__(message)
        self.message, self.help, self.origin = message, help, origin
        self.fallback = fallback  # the key to blame when the spec does not write ``origin`` itself (a top-level knob)


_HELP = "use family: resnet, or a RegNet-shaped spec (one stem conv, bottleneck blocks, SE after the 3x3)"
_HELP_DOWN = "remove 'downsample:' (a RegNet block's projection shortcut downsamples), or use family: resnet"


def stage_name(profile: str, stage: int) -> str:
    """``trunk_output.block2`` (torchvision) or ``s2`` (timm) for the 0-based ``stage``."""
    return f"trunk_output.block{stage + 1}" if profile == "torchvision" else f"s{stage + 1}"


def block_name(profile: str, stage: int, index: int) -> str:
    """``trunk_output.block2.block2-0`` (torchvision) or ``s2.b1`` (timm) for 0-based ``stage`` and ``index``."""
    if profile == "torchvision":
        return f"{stage_name(profile, stage)}.block{stage + 1}-{index}"
    return f"{stage_name(profile, stage)}.b{index + 1}"


def block_attr(profile: str, role: str, roles: frozenset[str] | set[str]) -> str:
    """The name of an op inside a RegNet block module whose ops have ``roles``: ``f.b.0`` / ``conv2.conv``,
    ``proj.1`` / ``downsample.bn``, ``f.se.fc1`` / ``se.fc1``."""
    m = _SLOT.match(role)
    if m:
        kind, slot = m.groups()
        if profile == "torchvision":
            present = [k for k in _KINDS if f"{k}{slot}" in roles]
            return f"f.{'abc'[int(slot) - 1]}.{present.index(kind)}"
        return f"conv{slot}.{_TIMM_PART[kind]}"
    table = _TV_BLOCK if profile == "torchvision" else _TIMM_BLOCK
    if role not in table:
        raise LayoutError(f"a RegNet block has no '{role}' op ({profile}'s RegNet has no module for it)", _HELP)
    return table[role]


def regnet_name(g: nx.DiGraph, node: str, profile: str) -> str:
    """The module name of ``node`` in ``profile``'s RegNet (raises :class:`LayoutError`)."""
    data = g.nodes[node]
    scope, role = data["scope"], data["role"]
    if scope[0] == "input":
        return "x"
    if scope[0] == "stem":
        return _stem_name(g, scope, role, profile)
    if scope[0] == "head":
        if role not in _HEAD[profile]:
            raise LayoutError(f"a RegNet head has no '{role}' (one pool and one fc)", _HELP, ("head",))
        return _HEAD[profile][role]
    if scope[2] == "pool":
        raise LayoutError("a RegNet stage has no pool after its blocks", _HELP, ("stages", scope[1], "pool"))
    if scope[2] == "downsample":  # a block's projection is its downsampling: no layer in front of a stage
        raise LayoutError("a RegNet stage has no downsampling layer in front of its blocks", _HELP_DOWN,
                          ("stages", scope[1], "downsample"), ("downsample",))  # fmt: skip
    roles = {g.nodes[n]["role"] for n in g.graph["blocks"].block(data["block"]).nodes}
    return f"{block_name(profile, scope[1], scope[2])}.{block_attr(profile, role, roles)}"


def _stem_name(g: nx.DiGraph, scope: tuple, role: str, profile: str) -> str:
    if scope[1] != 0 or role not in _KINDS:
        raise LayoutError("a RegNet stem is one conv with its norm and activation", _HELP, ("stem",))
    if profile == "timm":
        return _TIMM_STEM[role]
    present = [d["role"] for _, d in g.nodes(data=True) if d["scope"] == scope]
    return f"stem.{present.index(role)}"


def block_order(profile: str, roles: list[str]) -> list[str]:
    """A block's roles in the order the library registers its modules (its ``state_dict()`` order):
    torchvision's ``ResBottleneckBlock`` creates ``proj`` before ``f``; timm's ``Bottleneck`` creates
    ``downsample`` after ``conv3``, as lowering orders the ops."""
    if profile != "torchvision":
        return list(roles)
    down = [r for r in roles if r.startswith("down_")]
    return down + [r for r in roles if not r.startswith("down_")]
