"""Helpers of the Keras backend tests: import TensorFlow quietly, exec generated code, describe models."""

from __future__ import annotations

import os
import types

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from archc.backends.keras.emitter import emit  # noqa: E402

from archc.pipeline import compile_spec  # noqa: E402


def generated(ref, input_size=None):
    """(compiled, module) of the Keras code generated for ``ref`` (a built-in name, a path or a LoadedSpec)."""
    compiled = compile_spec(ref, input_size=input_size)
    source = emit(compiled)
    module = types.ModuleType(f"archc_generated_{compiled.spec.name}")
    exec(compile(source, f"<generated keras {compiled.loaded.key}>", "exec"), module.__dict__)
    return compiled, module


def describe(model) -> list[tuple]:
    """Per layer: (name, class, [(weight name, shape)], output shape); the InputLayer by class only."""
    rows = []
    for layer in model.layers:
        name = None if type(layer).__name__ == "InputLayer" else layer.name
        weights = [(w.name, tuple(w.shape)) for w in layer.weights]
        rows.append((name, type(layer).__name__, weights, tuple(layer.output.shape)))
    return rows


def randomize(model, seed: int = 0) -> None:
    """Give every weight a random value (positive BN variances) so that weight checks can fail."""
    import numpy as np

    rng = np.random.default_rng(seed)
    values = []
    for w in model.weights:
        shape = tuple(w.shape)
        if w.name in ("moving_variance", "gamma"):
            value = rng.uniform(0.5, 1.5, shape)
        elif w.name == "kernel":
            fan_in = int(np.prod(shape[:-1]))
            value = rng.normal(0.0, (2.0 / fan_in) ** 0.5, shape)
        else:
            value = rng.uniform(-0.1, 0.1, shape)
        values.append(value.astype("float32"))
    model.set_weights(values)
