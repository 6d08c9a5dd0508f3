"""Child process: generated Keras model vs ``keras.applications`` on the same batch, with the same weights.

``python -m benchmarks._keras_predict GENERATED.py APP BATCH REPEATS`` prints one JSON line: the predict
times of both (interleaved, alternating which goes first), the largest output difference and whether the
weights could be copied one to one.
"""

import json
import sys
import time

import keras
import numpy as np

from benchmarks.generated import load_module


def timed(model, x) -> float:
    start = time.perf_counter()
    model.predict(x, batch_size=len(x), verbose=0)
    return time.perf_counter() - start


def main() -> None:
    path, app, batch, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    generated = load_module(path).build_model(weights=None)
    reference = getattr(keras.applications, app)(weights=None)
    for layer in reference.layers:
        if layer.weights:  # by name: the generated model uses keras.applications' layer names
            generated.get_layer(layer.name).set_weights(layer.get_weights())
    x = np.random.default_rng(0).standard_normal((batch, 224, 224, 3)).astype("float32")
    diff = float(np.abs(generated.predict(x, verbose=0) - reference.predict(x, verbose=0)).max())
    times = {"generated": [], "reference": []}
    for r in range(repeats):
        order = ("generated", "reference") if r % 2 == 0 else ("reference", "generated")
        for key in order:
            times[key].append(timed(generated if key == "generated" else reference, x))
    params = [generated.count_params(), reference.count_params()]
    print(json.dumps({"times": times, "max_abs_diff": diff, "params": params}))


if __name__ == "__main__":
    main()
