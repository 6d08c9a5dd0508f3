"""RegNet as the libraries lay it out: ``regnet/*`` print timm's RegNet (``stem.conv``, ``s1.b1.conv1.conv``,
``head.fc``), ``torchvision/regnet_*`` torchvision's (``stem.0``, ``trunk_output.block1.block1-0.f.a.0``,
``proj``, ``fc``). Every RegNet built-in's generated model has exactly the library model's ``state_dict()``
keys and shapes, in order (meta device); for the small ones, the same seed gives the very same weights as
the library's own initialisation, the library's state dict loads with ``strict=True`` and the outputs agree.
"""

from __future__ import annotations

import importlib.util

import pytest

from archc.spec.loader import builtin_names
from tests.conftest import REPO

torch = pytest.importorskip("torch")
from tests.unit.test_regnet_libraries import library_model  # noqa: E402

REGNETS = [n for n in builtin_names() if n.startswith("regnet/") or n.startswith("torchvision/regnet")]
SMALL = ["regnet/regnetx_002", "regnet/regnety_002", "torchvision/regnet_x_400mf", "torchvision/regnet_y_400mf"]


def golden(name: str):
    path = REPO / "generated" / "pytorch" / f"{name}.py"
    spec = importlib.util.spec_from_file_location("golden_" + name.replace("/", "_"), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", REGNETS)
def test_state_dict_is_the_librarys(name):
    with torch.device("meta"):
        ours, ref = golden(name).build_model(), library_model(name)
    assert [(k, v.shape) for k, v in ours.state_dict().items()] == [(k, v.shape) for k, v in ref.state_dict().items()]


@pytest.mark.parametrize("name", SMALL)
def test_same_seed_same_weights_and_outputs(name):
    module = golden(name)
    torch.manual_seed(0)
    ours = module.build_model().eval()
    torch.manual_seed(0)
    ref = library_model(name).eval()
    for (key, a), (_, b) in zip(ours.state_dict().items(), ref.state_dict().items(), strict=True):
        assert torch.equal(a, b), key
    with torch.no_grad():
        for m in ref.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.running_mean.uniform_(-0.1, 0.1)
    fresh = module.build_model().eval()
    fresh.load_state_dict(ref.state_dict(), strict=True)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(fresh(x), ref(x))


@pytest.mark.parametrize("base", ["torchvision/regnet_x_400mf", "regnet/regnetx_002"])
@pytest.mark.parametrize(
    ("knob", "expected"),
    [
        ("unit: relu_before_addition", "without one activation after the addition"),  # was printed as act(f.c(x))
        ("unit: {inner: [bn, relu], last: [bn], after_add: []}", "without one activation after the addition"),
        ("shortcut: none", "with shortcut none"),  # was exit 3 (KeyError)
        ("shortcut: C", "with shortcut C"),  # was printed projecting only where the shape changes: other figures
        ("stride_block: last", "strides in a block other than its first"),  # was printed striding the first
    ],
)
def test_a_block_the_librarys_forward_cannot_say_is_refused(tmp_path, base, knob, expected):
    """torchvision's and timm's RegNet blocks end ``act(x + shortcut)`` and project where the shape changes
    (option B): a unit or shortcut that changes that is a located E403 for PyTorch (exit 2, nothing written), and Keras, which prints the block step by step,
    still builds it."""
    from tests.conftest import run_cli

    path = tmp_path / "rg.yaml"
    path.write_text(f"archc: 1\nextends: {base}\nname: rg\n{knob}\n", encoding="utf-8")
    code, _, err = run_cli("build", str(path), "--backend", "pytorch", "--out", str(tmp_path / "out"))
    assert code == 2 and "error[E403]" in err and expected in err and f"{path}:4:" in err, err
    assert not (tmp_path / "out").exists()
    assert run_cli("build", str(path), "--backend", "keras", "--out", str(tmp_path / "out"))[0] == 0


@pytest.mark.parametrize(
    ("base", "last_norm"),
    [("torchvision/regnet_x_400mf", lambda b: b.f.c[1]), ("regnet/regnetx_002", lambda b: b.conv3.bn)],
)
def test_zero_init_last_bn_zeroes_the_last_norm_of_every_block(tmp_path, base, last_norm):
    """``zero_init_last_bn`` in torchvision's layout names the BN inside ``f.c = nn.Sequential(conv, bn)`` by its
    index (``m.f.c[1]``; ``m.f.c.1`` was a SyntaxError); in timm's ``conv3.bn``."""
    from archc.frameworks.generated import load_generated
    from tests.conftest import compile_text

    c = compile_text(tmp_path, f"archc: 1\nextends: {base}\nname: rz\nzero_init_last_bn: true\n")
    model = load_generated(c, "pytorch").rz(num_classes=10)
    norms = [last_norm(m) for m in model.modules() if type(m).__name__ in ("ResBottleneckBlock", "Bottleneck")]
    assert norms and all(isinstance(n, torch.nn.BatchNorm2d) and not n.weight.any() for n in norms)
