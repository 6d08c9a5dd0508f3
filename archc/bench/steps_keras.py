"""Keras steps for ``archc bench`` (imported only in the measuring child; Keras 3 on the backend the child's
``KERAS_BACKEND`` names: TensorFlow, JAX or PyTorch, ``--keras-backend``).

The model is the generated Keras source's ``build_model(weights=None, input_shape=…)``, compiled once with
``SGD(learning_rate=1e-4, momentum=0.9)``, sparse categorical cross-entropy and an explicit ``jit_compile``
(``--jit-compile`` → XLA on TensorFlow and JAX; Keras's own default ``"auto"`` would switch it on by itself, so
the flag is always passed). A step is the idiomatic single-batch call: ``predict_on_batch(x)`` for inference
(Keras's compiled predict function, ``training=False``), ``train_on_batch(x, y)`` for ``--train`` (its compiled
train step: forward, loss, gradients, SGD update; a model without a classifier — feature maps, several
outputs — trains on the mean squared error of every output against zeros). Both return host values (logits /
loss as NumPy), so each step ends synchronised; on the CPU that copy is batch × classes floats, negligible
beside the model. The batch is a backend tensor (``keras.ops.convert_to_tensor``). ``--amp`` sets the global
mixed policy (``mixed_bfloat16`` / ``mixed_float16``; Keras wraps the optimizer in a loss-scale optimizer for
float16) before the model is built. ``--threads``: TensorFlow's intra-op threads, or ``torch.set_num_threads``
on the torch backend (JAX fixes its threads at start-up: the figure reports what it uses). Peak memory on a GPU
(TensorFlow only): ``get_memory_info("GPU:0")["peak"]`` after ``reset_memory_stats`` (memory growth on, so
TensorFlow does not reserve the whole GPU up front).
"""

from __future__ import annotations

import contextlib
import importlib
import os

import keras
import numpy as np

from archc.bench.prepared import Prepared, Unavailable

BACKEND = keras.config.backend()
tf = importlib.import_module("tensorflow") if BACKEND == "tensorflow" else None

POLICIES = {"bf16": "mixed_bfloat16", "fp16": "mixed_float16"}


def _gpu(job: dict) -> str | None:
    if job["device"] != "cuda":
        return None
    if tf is None:
        raise Unavailable(f"bench measures Keras on a GPU with TensorFlow only, not {BACKEND}")
    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        raise Unavailable(f"TensorFlow {tf.__version__} sees no GPU (tensorflow-cpu, or no GPU visible)")
    for gpu in gpus:
        tf.config.experimental.set_memory_growth(gpu, True)
    return "GPU:0"


def _threads(requested: int | None) -> int:
    """Apply ``--threads`` where the backend can (before its runtime starts), and say how many it uses."""
    if BACKEND == "tensorflow":
        if requested:
            tf.config.threading.set_intra_op_parallelism_threads(requested)
        return tf.config.threading.get_intra_op_parallelism_threads() or len(os.sched_getaffinity(0))
    if BACKEND == "torch":
        import torch

        if requested:
            torch.set_num_threads(requested)
        return torch.get_num_threads()
    return len(os.sched_getaffinity(0))


def _framework() -> str:
    engine = importlib.import_module(BACKEND)
    return f"keras {keras.__version__} ({BACKEND} {engine.__version__})"


def prepare(job: dict, module) -> Prepared:
    threads = _threads(job["threads"])
    gpu = _gpu(job)
    keras.utils.set_random_seed(0)
    if job["amp"]:
        keras.mixed_precision.set_global_policy(POLICIES[job["amp"]])
    c, h, w = job["input_shape"]
    model = module.build_model(weights=None, input_shape=(h, w, c))
    n = job["batch"]
    shapes = [tuple(o.shape[1:]) for o in model.outputs]
    classifier = len(shapes) == 1 and len(shapes[0]) == 1
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=1e-4, momentum=0.9),
        loss=keras.losses.SparseCategoricalCrossentropy() if classifier else keras.losses.MeanSquaredError(),
        jit_compile=bool(job["jit_compile"]),
    )
    rng = np.random.default_rng(0)
    x = keras.ops.convert_to_tensor(rng.standard_normal((n, h, w, c), dtype=np.float32))
    out_shape = list(shapes[-1])
    if classifier:
        y = keras.ops.convert_to_tensor(rng.integers(0, int(out_shape[-1]), (n,), dtype=np.int32))
    else:
        zeros = [keras.ops.zeros((n, *shape)) for shape in shapes]
        y = zeros if len(shapes) > 1 else zeros[0]
    if job["train"]:
        step = lambda: model.train_on_batch(x, y)  # noqa: E731
    else:
        step = lambda: model.predict_on_batch(x)  # noqa: E731
    sync_devices = getattr(tf.test.experimental, "sync_devices", None) if gpu else None
    sync = sync_devices or (lambda: None)
    info = {
        "framework": _framework(),
        "keras_backend": BACKEND,
        "threads": threads,
        "device_name": tf.config.experimental.get_device_details(tf.config.list_physical_devices("GPU")[0]).get(
            "device_name"
        )
        if gpu
        else None,
        "output_shape": [out_shape[-1], *out_shape[:-1]] if len(out_shape) == 3 else out_shape,
    }
    return Prepared(
        step,
        sync,
        contextlib.nullcontext(),
        (lambda: tf.config.experimental.reset_memory_stats(gpu)) if gpu else (lambda: None),
        (lambda: tf.config.experimental.get_memory_info(gpu)["peak"]) if gpu else (lambda: None),
        (lambda: tf.config.experimental.get_memory_info(gpu)["current"]) if gpu else (lambda: None),
        info,
    )
