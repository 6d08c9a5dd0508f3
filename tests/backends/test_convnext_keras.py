"""ConvNeXt in the Keras backend (``family: convnext``) against keras.applications' own ConvNeXt, layer by
layer: names, classes, weight shapes, count_params, and equal outputs with copied weights; its signature
(``include_preprocessing``, the prestem ``Normalization``, ``pooling`` without the top)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from archc.codegen import emit
from tests.backends.keras_util import describe, generated, randomize

EXAMPLES = Path(__file__).resolve().parents[2] / "specs" / "keras"


def _pair(n: str, **kwargs):
    import keras

    _, module = generated(str(EXAMPLES / f"convnext_{n}.yaml"))
    ctor = "ConvNeXt" + n.capitalize().replace("Xlarge", "XLarge")
    ours = getattr(module, ctor)(weights=None, **kwargs)
    theirs = getattr(keras.applications, ctor)(weights=None, **kwargs)
    return ours, theirs


def _described(model) -> list[tuple]:
    """describe(), with Keras's global numbering of unnamed layers and weights (``variable_18``,
    ``global_average_pooling2d_1``: LayerScale's weight, the pooling of ``include_top=False``) taken out."""

    def plain(name):
        return name if name is None or name.startswith(model.name) else re.sub(r"_\d+$", "", name)

    return [(plain(n), c, [(plain(w), s) for w, s in ws], o) for n, c, ws, o in describe(model)]


def _check(n: str, **kwargs) -> None:
    ours, theirs = _pair(n, input_shape=(64, 64, 3), **kwargs)
    assert _described(ours) == _described(theirs)
    assert [layer.count_params() for layer in ours.layers] == [layer.count_params() for layer in theirs.layers]
    assert ours.count_params() == theirs.count_params()
    randomize(theirs)
    for a, b in zip(ours.layers, theirs.layers, strict=True):
        a.set_weights(b.get_weights())
    x = np.random.default_rng(0).uniform(0, 255, (2, 64, 64, 3)).astype("float32")
    np.testing.assert_allclose(ours(x, training=False), theirs(x, training=False), rtol=1e-4, atol=1e-4)


def test_convnext_tiny_is_keras_applications():
    _check("tiny", classifier_activation=None)


def test_convnext_tiny_without_top_or_preprocessing():
    _check("tiny", include_top=False, pooling="avg", include_preprocessing=False)


@pytest.mark.slow
@pytest.mark.parametrize("n", ["small", "base", "large", "xlarge"])
def test_convnext_family_is_keras_applications(n):
    _check(n, classifier_activation=None)


def test_convnext_with_he_normal_init_builds(tmp_path):
    """``init: he_normal`` in the ConvNeXt layout: the file defines the initializer its convs use (it once referred
    to an undefined ``CONV_INITIALIZER``), the model has the IR's figures and the conv kernels He's spread,
    √(2 / fan_out) (what the README's init table says, as torchvision's kaiming_normal_)."""
    from archc.frameworks.verify import check_keras

    spec = tmp_path / "he.yaml"
    spec.write_text("archc: 1\nname: he\nextends: timm/convnext_atto\ninit: he_normal\n", encoding="utf-8")
    compiled, module = generated(str(spec), input_size=(32, 32))
    assert "CONV_INITIALIZER = keras.initializers.VarianceScaling" in emit(compiled, "keras")
    checks = check_keras(compiled)
    assert checks and all(c.ok for c in checks), [c for c in checks if not c.ok]
    kernels = [w.numpy() for w in module.build_model().weights if w.name == "kernel" and w.shape[:2] == (1, 1)]
    assert len(kernels) > 10
    for w in kernels:
        assert abs(w.std() / np.sqrt(2 / w.shape[3]) - 1) < 0.1


def test_convnext_head_without_its_norm_is_refused(tmp_path):
    """keras.applications' ConvNeXt head always has its LayerNorm: a ConvNeXt spec without it is a located E403
    (it once printed the norm the spec does not have)."""
    from tests.conftest import run_cli

    spec = tmp_path / "nohn.yaml"
    spec.write_text("archc: 1\nname: nohn\nextends: timm/convnext_atto\nhead: {norm: false}\n", encoding="utf-8")
    code, _, err = run_cli("build", str(spec), "--backend", "keras", "--out", str(tmp_path / "k"))
    assert code == 2 and "error[E403]" in err and "nohn.yaml:" in err and "Traceback" not in err, err
    assert not (tmp_path / "k").exists()
