"""The reference-library helper (tests/libs.py) imports torchvision's models and timm on this CPU torch."""

from __future__ import annotations

import torch

from tests.libs import timm, torchvision_models


def test_torchvision_models_import_and_run():
    model = torchvision_models().resnet18(num_classes=10).eval()
    with torch.no_grad():
        assert model(torch.zeros(1, 3, 64, 64)).shape == (1, 10)


def test_timm_imports_and_restores_register_fake():
    before = torch.library.register_fake
    assert timm().create_model("resnet18", num_classes=3).fc.out_features == 3
    assert torch.library.register_fake is before
