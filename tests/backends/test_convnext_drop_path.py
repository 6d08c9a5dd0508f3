"""Stochastic depth in ConvNeXt (spec key ``drop_path_rate``): the generated PyTorch model equals timm's
``create_model(name, drop_path_rate=r)`` and torchvision's ``convnext_tiny(stochastic_depth_prob=r)`` — the
same modules with the same per-block rates (timm's ``DropPath`` / ``nn.Identity`` at rate 0, torchvision's
``StochasticDepth(p, "row")``, rates rising linearly over the blocks), the same initial weights, equal outputs
in eval mode and, under one seed, in train mode (where the dropped samples are drawn); the Keras model equals
keras.applications' ``ConvNeXt(…, drop_path_rate=r)`` layer by layer."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from archc.codegen import emit
from archc.pipeline import compile_spec
from tests.backends.torch_models import import_text
from tests.conftest import run_cli
from tests.libs import timm, torchvision_models

RATE = 0.1


def _spec(tmp_path: Path, base: str, extra: str = "") -> Path:
    path = tmp_path / "dp.yaml"
    name = base.split("/")[1] + "_dp"
    path.write_text(f"archc: 1\nextends: {base}\nname: {name}\ndrop_path_rate: {RATE}\n{extra}", encoding="utf-8")
    return path


def _library(base: str):
    library, name = base.split("/")
    if library == "timm":
        return timm().create_model(name, drop_path_rate=RATE)
    return getattr(torchvision_models(), name)(stochastic_depth_prob=RATE)


def _drops(model) -> dict[str, tuple]:
    """Each block's drop path module: (class name, its rate attribute or None, its mode)."""
    return {
        name: (type(m).__name__, getattr(m, "drop_prob", getattr(m, "p", None)), getattr(m, "mode", None))
        for name, m in model.named_modules()
        if name.rsplit(".", 1)[-1] in ("drop_path", "stochastic_depth")
    }


@pytest.mark.parametrize("base", ["timm/convnext_atto", "torchvision/convnext_tiny"])
def test_drop_path_rate_equals_the_library(base, tmp_path):
    c = compile_spec(str(_spec(tmp_path, base)), input_size=(64, 64))
    module = import_text(emit(c, "pytorch"), tmp_path, base.replace("/", "_") + "_dp")
    torch.manual_seed(0)
    ours = module.build_model()
    torch.manual_seed(0)
    theirs = _library(base)
    mine, ref = ours.state_dict(), theirs.state_dict()
    assert list(mine) == list(ref) and all(torch.equal(mine[k], ref[k]) for k in ref)
    drops = _drops(theirs)
    assert _drops(ours) == drops and len(drops) == len(c.graph.graph["blocks"].blocks)
    assert {r for _, r, _ in drops.values()} != {0.0}  # the rates rise: not one of them is the identity's
    x = torch.randn(4, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(ours.eval()(x), theirs.eval()(x), rtol=0, atol=0)
        ours.train(), theirs.train()
        torch.manual_seed(5)
        want = theirs(x)
        torch.manual_seed(5)
        got = ours(x)
        torch.manual_seed(6)
        other = ours(x)
    torch.testing.assert_close(got, want, rtol=0, atol=0)
    assert not torch.equal(got, other)  # train mode draws: another seed drops other samples


def test_the_ir_holds_each_blocks_rate(tmp_path):
    c = compile_spec(str(_spec(tmp_path, "timm/convnext_atto")))
    rates = [d["attrs"]["rate"] for _, d in c.graph.nodes(data=True) if d["op"] == "drop_path"]
    n = len(rates)
    assert n == 12 and rates == [RATE * k / (n - 1) for k in range(n)]


def test_drop_path_rate_needs_a_drop_path_step(tmp_path):
    code, _, err = run_cli("check", str(_spec(tmp_path, "torchvision/resnet18")))
    assert code == 2 and "dp.yaml:4:17: error[E401]: drop_path_rate 0.1 needs a drop_path step" in err
    assert "help: add {kind: drop_path}" in err


def test_keras_drop_path_rate_is_keras_applications(tmp_path):
    """keras.applications' ConvNeXt(drop_path_rate=r) (the function ConvNeXtTiny calls with 0.0): the same
    layers, StochasticDepth where the rate is above 0 (Activation("linear") at block 0), the same rates from
    np.linspace, equal outputs with copied weights."""
    import numpy as np
    from keras.src.applications import convnext

    from tests.backends.keras_util import generated, randomize
    from tests.backends.test_convnext_keras import _described

    _, module = generated(str(_spec(tmp_path, "keras/convnext_tiny")))
    kwargs = {"weights": None, "input_shape": (64, 64, 3), "classifier_activation": None, "name": "convnext_tiny"}
    ours = module.ConvNeXtTinyDp(**kwargs)
    theirs = convnext.ConvNeXt([3, 3, 9, 3], [96, 192, 384, 768], drop_path_rate=RATE, **kwargs)
    assert _described(ours) == _described(theirs)

    def rates(model):
        return [(layer.name, layer.drop_path_rate) for layer in model.layers if hasattr(layer, "drop_path_rate")]

    assert rates(ours) == rates(theirs) and len(rates(ours)) == 17  # 18 blocks, the first one's rate is 0
    randomize(theirs)
    for a, b in zip(ours.layers, theirs.layers, strict=True):
        a.set_weights(b.get_weights())
    x = np.random.default_rng(0).uniform(0, 255, (2, 64, 64, 3)).astype("float32")
    np.testing.assert_allclose(ours(x, training=False), theirs(x, training=False), rtol=1e-4, atol=1e-4)


def test_a_constant_rate_on_the_step_is_refused_in_pytorch(tmp_path):
    """Neither timm nor torchvision gives every block one rate: a step's own ``rate`` is a located E403."""
    path = tmp_path / "own.yaml"
    path.write_text(
        "archc: 1\nextends: timm/convnext_atto\nname: own_rate\nblocks:\n  convnext:\n    lets: {out: planes}\n"
        "    steps:\n      - {kind: conv, role: conv_dw, kernel: 7, depthwise: true, bias: true}\n"
        "      - {kind: norm, role: norm}\n      - {kind: conv, role: fc1, width: 4 * planes, bias: true}\n"
        "      - {kind: act, role: act}\n      - {kind: conv, role: fc2, width: out, bias: true}\n"
        "      - {kind: layer_scale, role: gamma}\n      - {kind: drop_path, rate: 0.2}\n      - {kind: add}\n",
        encoding="utf-8",
    )
    code, _, err = run_cli("build", str(path), "--backend", "pytorch", "--out", str(tmp_path / "out"))
    assert code == 2 and "error[E403]" in err and "its own rate (0.2)" in err and "drop_path_rate" in err


@pytest.mark.parametrize("n", ["tiny", "small", "base", "large"])
def test_torchvision_builtins_have_torchvisions_default_stochastic_depth(n, tmp_path):
    """torchvision's convnext_tiny … large default to stochastic_depth_prob 0.1, 0.4, 0.5, 0.5: the built-ins
    say so (drop_path_rate), and the generated model has the same StochasticDepth modules (meta device)."""
    module = import_text(emit(compile_spec(f"torchvision/convnext_{n}"), "pytorch"), tmp_path, f"tv_convnext_{n}")
    with torch.device("meta"):
        ours, theirs = module.build_model(), getattr(torchvision_models(), f"convnext_{n}")()
    assert _drops(ours) == _drops(theirs) and max(p for _, p, _ in _drops(ours).values()) > 0


def test_keras_layer_names_say_which_blocks_drop(tmp_path):
    """keras.applications names a block's drop path ``…_stochastic_depth`` where its rate is above 0 and
    ``…_identity`` (a linear Activation) at 0: the IR's Keras names say the same, so that ``archc verify``
    finds each stage's last layer (it looked for ``…_identity`` in every block)."""
    c = compile_spec(str(_spec(tmp_path, "timm/convnext_atto")), input_size=(64, 64))
    drops = [d for _, d in c.graph.nodes(data=True) if d["op"] == "drop_path"]
    assert len(drops) == 12 and drops[0]["attrs"]["rate"] == 0.0
    for d in drops:
        suffix = "_stochastic_depth" if d["attrs"]["rate"] else "_identity"
        assert d["names"]["keras"].endswith(suffix), (d["names"]["keras"], d["attrs"]["rate"])
    assert 'StochasticDepth(drop_path_rate, name=f"{name}_stochastic_depth")' in emit(c, "keras")


@pytest.mark.parametrize(("base", "width"), [("torchvision/convnext_tiny", 96), ("timm/convnext_atto", 40)])
def test_a_model_of_one_block_builds_without_a_rate_schedule(tmp_path, base, width):
    """One block has rate 0 (the linear rise starts at 0): no schedule is printed. torchvision's formula,
    ``stochastic_depth_prob * block_id / (total - 1.0)``, divided by zero there, and the Keras stage passed rates
    to a block function that took none."""
    from archc.frameworks.verify import check_pytorch

    path = _spec(tmp_path, base, f"stages:\n  - {{name: stage1, width: {width}, blocks: 1}}\n")
    c = compile_spec(str(path), input_size=(64, 64))
    torch_source, keras_source = emit(c, "pytorch"), emit(c, "keras")
    assert "stochastic_depth_prob" not in torch_source and "drop_path_rates" not in torch_source
    assert "np.linspace" not in keras_source and "drop_path_rates" not in keras_source
    checks = check_pytorch(c)
    assert checks and all(ch.ok for ch in checks), [ch for ch in checks if not ch.ok]


@pytest.mark.slow
def test_keras_verify_with_a_rate_and_with_one_block(tmp_path):
    for name, extra in (("dp", ""), ("one", "stages:\n  - {name: stage1, width: 40, blocks: 1}\n")):
        (tmp_path / name).mkdir()
        path = _spec(tmp_path / name, "timm/convnext_atto", extra + "input: {channels: 3, size: [64, 64]}\n")
        code, out, err = run_cli("verify", str(path), "--backend", "keras")
        assert code == 0 and "keras: ok" in out, out + err
