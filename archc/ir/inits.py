"""Weight initialisation schemes: how each reference library initialises a model after building it, as data.

A backend prints the scheme of the model's layout (:func:`archc.ir.layouts.model_layout`) so that the same
seed gives the same weights as the library. A scheme is applied to every module in registration order (the
order of :attr:`ModelLayout.order`), since each ``normal_`` draws from the one random generator:

- ``conv``: ``"kaiming_normal_fan_out"`` is ``nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")``
  (torchvision's ResNet and VGG, timm's ResNet); ``"normal_fan_out"`` is ``w.normal_(0, math.sqrt(2.0 /
  fan_out))`` with ``fan_out = kh · kw · out_channels`` (torchvision's RegNet: the same distribution,
  written as the library writes it);
  ``"normal_fan_out_per_group"`` the same with ``fan_out // groups`` (timm's RegNet ``_init_weights``);
  ``None``: PyTorch's default.
- ``conv_bias_zero``: conv biases (SE's ``fc1`` / ``fc2``) start at 0 (timm's RegNet, VGG, ``he_normal``);
  otherwise they keep PyTorch's default.
- ``norm``: BatchNorm / GroupNorm weight set to 1, bias to 0 explicitly (torchvision writes it; PyTorch's
  default is the same values).
- ``linear_std``: ``nn.init.normal_(w, 0, std)`` and a zero bias for every ``nn.Linear`` (torchvision's VGG
  and RegNet, timm's RegNet: 0.01); ``None`` keeps PyTorch's default.
- ``zeroed``: the node ids of the norms whose weight then starts at 0 — each block's last norm on the
  residual branch, when the spec sets ``zero_init_last_bn`` (timm's ``zero_init_last=True``, torchvision's
  ``zero_init_residual``): ``conv3.bn`` of a timm RegNet block, ``bn3`` of a ResNet bottleneck.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import networkx as nx


@dataclass(frozen=True)
class InitScheme:
    """One library's initialisation (see the module docstring for each field)."""

    source: str  # the code it reproduces, e.g. "timm.models.regnet._init_weights"
    conv: str | None
    conv_bias_zero: bool
    norm: bool
    linear_std: float | None
    zeroed: tuple[str, ...] = ()


# (family, profile) → the library's reference scheme, ``zeroed`` left empty (it is per model).
REFERENCE = {
    ("resnet", "torchvision"): InitScheme("torchvision.models.resnet.ResNet.__init__", "kaiming_normal_fan_out",
                                          False, True, None),
    ("resnet", "timm"): InitScheme("timm.models.resnet.ResNet.init_weights", "kaiming_normal_fan_out",
                                   False, False, None),
    ("vgg", "torchvision"): InitScheme("torchvision.models.vgg.VGG.__init__", "kaiming_normal_fan_out",
                                       True, True, 0.01),
    ("regnet", "torchvision"): InitScheme("torchvision.models.regnet.RegNet.__init__", "normal_fan_out",
                                          False, True, 0.01),
    ("regnet", "timm"): InitScheme("timm.models.regnet._init_weights", "normal_fan_out_per_group",
                                   True, False, 0.01),
}  # fmt: skip
REFERENCE["vgg", "timm"] = REFERENCE["vgg", "torchvision"]  # timm has no VGG of this layout: torchvision's names
OTHERS = {
    "framework": InitScheme("PyTorch's layer defaults", None, False, False, None),
    "he_normal": InitScheme("He et al. (2015), fan_out", "kaiming_normal_fan_out", True, True, None),
}


def init_scheme(g: nx.DiGraph, family: str, profile: str) -> InitScheme:
    """The scheme the spec's ``init`` asks for (``reference``: the layout's library), with its ``zeroed`` norms."""
    model = g.graph["blocks"]
    scheme = REFERENCE[family, profile] if model.init == "reference" else OTHERS[model.init]
    return replace(scheme, zeroed=zeroed_norms(g))


def zeroed_norms(g: nx.DiGraph) -> tuple[str, ...]:
    """The norms lowering marked ``zero_init`` (each zero-init block's last norm on the residual branch)."""
    return tuple(n for n, attrs in g.nodes(data="attrs") if attrs.get("zero_init"))
