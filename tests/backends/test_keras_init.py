"""The spec's ``init`` knob in Keras output: keras.applications' defaults (``reference``, ``framework``) or
He et al. (2015) normal with fan_out (``he_normal``), checked on the statistics of the built weights.

Outside references: Keras' own layer defaults (glorot_uniform kernels: variance 2 / (fan_in + fan_out);
BN gamma 1, beta 0) and the He initialisation formula std = sqrt(2 / fan_out), fan_out = k·k·filters.
"""

from __future__ import annotations

import textwrap

import pytest

from tests.backends.keras_util import generated

keras = pytest.importorskip("keras")
np = pytest.importorskip("numpy")

SPEC = """
archc: 1
name: init_probe
input: {channels: 3, size: 16}
stem: [{op: conv, kernel: 3, width: 64}]
block: basic
init: INIT
stages: [{name: conv2, width: 64, blocks: 1}, {name: conv3, width: 128, blocks: 1, stride: 2}]
head: {classes: 10}
"""


def _model(tmp_path, init: str):
    path = tmp_path / f"{init}.yaml"
    path.write_text(textwrap.dedent(SPEC.replace("INIT", init)), encoding="utf-8")
    compiled, module = generated(str(path))
    return compiled, module.build_model()


def _convs(model):
    return [layer for layer in model.layers if type(layer).__name__ == "Conv2D"]


def test_he_normal_gives_convs_std_sqrt_2_over_fan_out(tmp_path):
    _, model = _model(tmp_path, "he_normal")
    convs = _convs(model)
    assert len(convs) == 6  # stem, two per block, one projection
    for layer in convs:
        kernel = np.asarray(layer.kernel)
        kh, kw, _, filters = kernel.shape
        expected = (2.0 / (kh * kw * filters)) ** 0.5
        tolerance = 0.05 if kernel.size > 10_000 else 0.1
        assert abs(kernel.std() / expected - 1) < tolerance, layer.name
        assert abs(kernel.mean()) < 0.1 * expected
        if kernel.size > 10_000:  # an untruncated normal: ~1% of the values lie beyond 2.5 std
            assert np.abs(kernel).max() > 2.5 * expected, layer.name
    for layer in model.layers:
        if type(layer).__name__ == "BatchNormalization":
            assert np.all(np.asarray(layer.gamma) == 1) and np.all(np.asarray(layer.beta) == 0)
    keras.backend.clear_session()


@pytest.mark.parametrize("init", ["reference", "framework"])
def test_reference_and_framework_keep_keras_defaults(tmp_path, init):
    compiled, model = _model(tmp_path, init)
    from archc.backends.keras.emitter import emit

    assert "initializer" not in emit(compiled)  # keras.applications prints no initialiser either
    for layer in _convs(model):
        kernel = np.asarray(layer.kernel)
        kh, kw, cin, filters = kernel.shape
        glorot = (2.0 / (kh * kw * (cin + filters))) ** 0.5  # glorot_uniform: variance 2 / (fan_in + fan_out)
        if kernel.size > 10_000:
            assert abs(kernel.std() / glorot - 1) < 0.06, layer.name
        limit = (6.0 / (kh * kw * (cin + filters))) ** 0.5
        assert np.abs(kernel).max() <= limit + 1e-6  # uniform within ±limit, unlike any normal
    keras.backend.clear_session()
