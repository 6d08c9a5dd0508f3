"""Which library model each built-in is: timm's, torchvision's (keras.applications': tests/backends/test_keras_*).

A built-in whose naming profile is a library's is that library's model under the same name (``timm/seresnet50``
is ``timm.create_model("seresnet50")``, ``torchvision/vgg16`` is ``torchvision.models.vgg16()``); RegNets are
timm's ``regnetx_*`` / ``regnety_*``; the paper's ImageNet ResNets have torchvision's modules (the 50/101/152
put the stride on the first 1×1 conv, so their MACs and outputs are the paper's, not torchvision's). The paper's
v1 with option A / C shortcuts, the plain nets and the CIFAR models have no library counterpart.

Library models come from the libraries themselves (:mod:`tests.libs`); generated models are the committed golden
files under ``generated/pytorch`` (``archc build --check`` keeps them equal to what archc prints).
"""

from __future__ import annotations

import contextlib
import importlib.util
from dataclasses import dataclass

from archc.spec.loader import builtin_names
from tests.conftest import REPO
from tests.libs import timm, torchvision_models


@dataclass(frozen=True)
class Counterpart:
    builtin: str  # archc's built-in name
    library: str  # "timm" | "torchvision"
    name: str  # the library's constructor / model name
    same_modules: bool = True  # the generated code has the library's modules: state dict, seed, outputs
    same_macs: bool = True  # the same computation (the paper's ResNet-50 … puts its stride elsewhere)
    blocked: str = ""  # why the generated code is not (yet) the library's module layout

    @property
    def id(self) -> str:
        return self.builtin


_PAPER = {"resnet18": True, "resnet34": True, "resnet50": False, "resnet101": False, "resnet152": False}


def _counterpart(builtin: str) -> Counterpart | None:
    folder, _, name = builtin.rpartition("/")
    if folder == "timm":
        return Counterpart(builtin, "timm", name)
    if folder == "torchvision" and name.startswith("regnet_"):
        return Counterpart(builtin, "torchvision", name)
    if folder == "torchvision":
        return Counterpart(builtin, "torchvision", name)
    if folder == "regnet":
        return Counterpart(builtin, "timm", name)
    if not folder and name in _PAPER:
        return Counterpart(builtin, "torchvision", name, same_macs=_PAPER[name])
    return None


COUNTERPARTS: dict[str, Counterpart] = {
    n: c for n in builtin_names() if (c := _counterpart(n)) is not None
}  # every built-in with a library counterpart


def library_model(cp: Counterpart, **kwargs):
    """The library's own model (``pretrained=False``): build it under ``torch.device("meta")`` for figures."""
    if cp.library == "timm":
        return timm().create_model(cp.name, **kwargs)
    models = torchvision_models()
    with regnet_table_on_cpu(models.regnet):
        return getattr(models, cp.name)(**kwargs)


@contextlib.contextmanager
def regnet_table_on_cpu(regnet_module):
    """torchvision computes a RegNet's stage table with torch tensors and ``.tolist()``, which a meta-device
    default cannot do: within this context that table is computed on the CPU while the modules are built on meta."""
    import torch

    original = regnet_module.BlockParams.__dict__["from_init_params"]

    def on_cpu(cls, *args, **kwargs):
        with torch.device("cpu"):
            return original.__func__(cls, *args, **kwargs)

    regnet_module.BlockParams.from_init_params = classmethod(on_cpu)
    try:
        yield
    finally:
        regnet_module.BlockParams.from_init_params = original


def default_size(cp: Counterpart) -> int:
    """The library's default input size: timm's ``pretrained_cfg['input_size']``, torchvision's 224."""
    if cp.library == "timm":
        return timm().get_pretrained_cfg(cp.name).input_size[-1]
    return 224


def golden(builtin: str):
    """The committed generated file ``generated/pytorch/<builtin>.py``, imported as a module."""
    path = REPO / "generated" / "pytorch" / f"{builtin}.py"
    spec = importlib.util.spec_from_file_location(f"golden_{builtin.replace('/', '__')}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def shapes(model) -> list[tuple[str, list[int]]]:
    """``state_dict()`` keys in order, with their shapes."""
    return [(k, list(v.shape)) for k, v in model.state_dict().items()]


def randomise_norms(model) -> None:
    """Non-trivial norm parameters and running statistics, so that a misplaced tensor shows in the outputs."""
    import torch

    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 1.5)
            if isinstance(m, (torch.nn.BatchNorm2d, torch.nn.GroupNorm)):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
