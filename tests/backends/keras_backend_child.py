"""Run in a child process with ``KERAS_BACKEND`` set: for each ``(spec, size)`` in the JSON list on stdin, the
generated Keras model on that backend — measured as ``archc verify`` measures it — and its outputs against the
generated PyTorch model's with the same weights (``archc.frameworks.convert``). One JSON line per case."""

from __future__ import annotations

import json
import sys

import numpy as np
import torch

from archc.frameworks.convert import torch_to_keras
from archc.frameworks.generated import load_generated
from archc.frameworks.quiet import import_keras
from archc.frameworks.verify import measure_keras
from archc.pipeline import compile_spec
from tests.counterparts import randomise_norms


def case(ref: str, size: int) -> dict:
    keras = import_keras()
    c = compile_spec(ref, input_size=(size, size))
    torch.manual_seed(0)
    torch_model = load_generated(c, "pytorch").build_model().eval()
    randomise_norms(torch_model)
    keras_model = load_generated(c, "keras").build_model(classifier_activation=None)
    torch_to_keras(c, torch_model, keras_model)
    layers = [c.graph.nodes[info.output]["names"]["keras"] for info in c.graph.graph["stages"]]
    batch = np.random.default_rng(size).uniform(-1, 1, (2, size, size, c.spec.input.channels)).astype("float32")
    got = keras.ops.convert_to_numpy(keras_model(batch, training=False))
    with torch.no_grad():
        expected = torch_model(torch.from_numpy(batch.transpose(0, 3, 1, 2).copy())).numpy()
    return {
        "backend": keras.config.backend(),
        "measured": measure_keras(keras_model, layers),
        "max_diff": float(np.abs(got - expected).max()),
        "scale": max(1.0, float(np.abs(expected).max())),
    }


if __name__ == "__main__":
    torch.set_num_threads(1)
    for ref, size in json.loads(sys.stdin.read()):
        print(json.dumps(case(ref, size)), flush=True)
