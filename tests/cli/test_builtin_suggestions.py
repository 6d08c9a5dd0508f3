"""An unknown built-in name that another folder has is suggested as that folder's model."""

from __future__ import annotations

import pytest

from tests.conftest import run_cli


@pytest.mark.parametrize(
    "name, help",
    [
        ("timm/vgg16", "did you mean 'keras/vgg16' or 'torchvision/vgg16'?"),
        ("keras/wide_resnet50_2", "did you mean 'timm/wide_resnet50_2' or 'torchvision/wide_resnet50_2'?"),
        ("torchvision/seresnet50", "did you mean 'timm/seresnet50'?"),
        (
            "timm/wide_resnet102_2",
            "did you mean 'timm/wide_resnet101_2', 'timm/wide_resnet50_2' or 'timm/seresnet152'?",
        ),  # the closest
    ],
)
def test_unknown_builtin_suggests_the_same_model_elsewhere(name, help):
    code, out, err = run_cli("cost", name)
    assert (code, out) == (2, "")
    assert f"{name}:1:1: error[E302]: no spec file or built-in spec named '{name}'" in err
    assert f"  help: {help} (see `archc list`)" in err


def test_extends_suggests_the_same_model_elsewhere(tmp_path):
    (tmp_path / "s.yaml").write_text("archc: 1\nextends: timm/vgg11\nname: s\n", encoding="utf-8")
    code, _, err = run_cli("check", str(tmp_path / "s.yaml"))
    assert code == 2 and "help: did you mean 'torchvision/vgg11'?" in err
