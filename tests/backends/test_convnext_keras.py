"""ConvNeXt in the Keras backend (``family: convnext``) against keras.applications' own ConvNeXt, layer by
layer: names, classes, weight shapes, count_params, and equal outputs with copied weights; its signature
(``include_preprocessing``, the prestem ``Normalization``, ``pooling`` without the top)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

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
