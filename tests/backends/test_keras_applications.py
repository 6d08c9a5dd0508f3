"""The keras profile specs generate keras.applications' ResNet50/101/152, layer by layer.

Outside references: keras.applications itself (built in the same process) and the recorded layer dump
tests/reference/keras_resnet50_layers.json (keras 3.15.1) with its count_params figures.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.backends.keras_util import describe, generated, randomize
from tests.conftest import REFERENCE

keras = pytest.importorskip("keras")
np = pytest.importorskip("numpy")

pytestmark = pytest.mark.slow

# keras.applications count_params() (tests/reference/figures.md).
FIGURES = {
    "resnet50": 25_636_712,
    "resnet101": 44_707_176,
    "resnet152": 60_419_944,
    "resnet50v2": 25_613_800,
    "resnet101v2": 44_675_560,
    "resnet152v2": 60_380_648,
}
APPLICATIONS = {name: name.replace("resnet", "ResNet").replace("v2", "V2") for name in FIGURES}
MADE_UP = re.compile(r"^max_pooling2d(_\d+)?$")  # ResNetV2's unnamed shortcut pools: Keras makes the name up


def _same_layers(ours, theirs) -> None:
    """Layer by layer equal; where keras.applications leaves a layer unnamed, its class must match."""
    a, b = describe(ours), describe(theirs)
    assert len(a) == len(b)
    for x, y in zip(a, b):
        if y[0] is not None and MADE_UP.match(y[0]):
            x, y = x[1:], y[1:]
        assert x == y


def _configs(model) -> list[dict]:
    return [layer.get_config() | {"name": None} for layer in model.layers[1:]]


@pytest.fixture(scope="module")
def resnet50():
    compiled, module = generated("keras/resnet50")
    return compiled, module, module.ResNet50(), keras.applications.ResNet50(weights=None)


def test_resnet50_equals_keras_applications(resnet50):
    from archc.reports.summary import summary

    compiled, _, ours, theirs = resnet50
    assert describe(ours) == describe(theirs)
    assert _configs(ours) == _configs(theirs)  # every layer argument, not only names and shapes
    assert ours.count_params() == theirs.count_params() == FIGURES["resnet50"]
    assert summary(compiled)["keras_params"] == FIGURES["resnet50"]
    assert type(ours) is type(theirs) and ours.name == "resnet50"


def test_resnet50_equals_the_recorded_layer_dump(resnet50):
    reference = json.loads((REFERENCE / "keras_resnet50_layers.json").read_text())
    expected = [
        (
            None if row["class"] == "InputLayer" else row["name"],
            row["class"],
            [(name, tuple(shape)) for name, shape in row["weights"]],
            tuple(row["output_shape"]),
        )
        for row in reference["layers"]
    ]
    assert describe(resnet50[2]) == expected
    assert resnet50[2].count_params() == reference["params"]


@pytest.mark.parametrize("depth", ["resnet101", "resnet152", "resnet50v2", "resnet101v2", "resnet152v2"])
def test_other_resnets_equal_keras_applications(depth):
    from archc.reports.summary import summary

    compiled, module = generated(f"keras/{depth}")
    ours = getattr(module, APPLICATIONS[depth])()
    theirs = getattr(keras.applications, APPLICATIONS[depth])(weights=None)
    _same_layers(ours, theirs)
    assert _configs(ours) == _configs(theirs)
    assert ours.count_params() == theirs.count_params() == FIGURES[depth]
    assert summary(compiled)["keras_params"] == FIGURES[depth]
    assert tuple(ours.output.shape[1:]) == compiled.graph.nodes[compiled.graph.graph["output"]]["shape"]
    if depth == "resnet50v2":
        _weights_agree(module.ResNet50V2, keras.applications.ResNet50V2)
    keras.backend.clear_session()


def test_keras_applications_weights_load_and_predict_the_same(resnet50):
    _weights_agree(resnet50[1].ResNet50, keras.applications.ResNet50)


def _weights_agree(ours_constructor, theirs_constructor) -> None:
    import tempfile
    from pathlib import Path

    kwargs = dict(classifier_activation=None, input_shape=(96, 96, 3))  # any size: the weights do not depend on it
    theirs = theirs_constructor(weights=None, **kwargs)
    randomize(theirs, seed=1)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.weights.h5"
        theirs.save_weights(path)
        ours = ours_constructor(weights=str(path), **kwargs)
    batch = np.random.default_rng(2).uniform(-1, 1, (2, 96, 96, 3)).astype("float32")
    expected = np.asarray(theirs(batch, training=False))
    got = np.asarray(ours(batch, training=False))
    assert np.abs(expected).max() > 1e-2  # random BN statistics: a real signal, not zeros
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "pooling, input_shape, output_shape",
    [(None, (96, 128, 3), (None, 3, 4, 2048)), ("avg", (96, 128, 3), (None, 2048)), ("max", None, (None, 2048))],
)
def test_without_top(resnet50, pooling, input_shape, output_shape):
    kwargs = dict(include_top=False, pooling=pooling, input_shape=input_shape)
    ours = resnet50[1].ResNet50(**kwargs)
    theirs = keras.applications.ResNet50(weights=None, **kwargs)
    assert describe(ours) == describe(theirs)
    assert ours.output.shape == theirs.output.shape == output_shape
    assert ours.input.shape == theirs.input.shape == (None, *(input_shape or (None, None, 3)))


def test_input_tensor(resnet50):
    tensor = keras.Input(shape=(64, 64, 3))
    ours = resnet50[1].ResNet50(input_tensor=tensor, classes=10)
    theirs = keras.applications.ResNet50(weights=None, input_tensor=tensor, classes=10)
    assert ours.inputs[0] is tensor and theirs.inputs[0] is tensor
    assert describe(ours) == describe(theirs)
    assert ours.output.shape == (None, 10)


@pytest.mark.parametrize("weights", ["imagenet", "resnet50.h5", 3])
def test_weights_other_than_none_or_a_weights_file_are_refused(resnet50, weights):
    with pytest.raises(ValueError, match=r"\.weights\.h5"):
        resnet50[1].ResNet50(weights=weights)


def test_build_model_is_the_constructor_with_spec_defaults(resnet50):
    model = resnet50[1].build_model(include_top=False, pooling="avg", input_shape=(64, 64, 3))
    assert model.name == "resnet50" and model.output.shape == (None, 2048)


def test_keras_vgg16_equals_keras_applications_vgg16():
    """The sequential layout prints inline Conv2D(..., activation="relu") layers, as keras.applications."""
    _, module = generated("keras/vgg16")
    ours, theirs = module.VGG16(), keras.applications.VGG16(weights=None)
    assert describe(ours) == describe(theirs)
    assert _configs(ours) == _configs(theirs)
    assert ours.count_params() == theirs.count_params() == 138_357_544  # tests/reference/figures.md
    keras.backend.clear_session()
