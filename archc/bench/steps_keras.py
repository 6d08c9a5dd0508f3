"""Keras steps for ``archc bench`` (imported only in the measuring child; Keras 3 on TensorFlow).

The model is the generated Keras source's ``build_model(weights=None, input_shape=…)``, compiled once with
``SGD(learning_rate=1e-4, momentum=0.9)``, sparse categorical cross-entropy and an explicit ``jit_compile``
(``--jit-compile`` → XLA; Keras's own default ``"auto"`` would switch XLA on by itself on a GPU, so the flag
is always passed). A step is the idiomatic single-batch call: ``predict_on_batch(x)`` for inference (Keras's
compiled predict function, ``training=False``), ``train_on_batch(x, y)`` for ``--train`` (its compiled
train step: forward, loss, gradients, SGD update; a model without a classifier — feature maps, several
outputs — trains on the mean squared error of every output against zeros). Both return host values (logits / loss as NumPy), so each
step ends synchronised; on the CPU that copy is batch × classes floats, negligible beside the model.
``--amp`` sets the global mixed policy (``mixed_bfloat16`` / ``mixed_float16``; Keras wraps the optimizer
in a loss-scale optimizer for float16) before the model is built. Peak memory on a GPU:
``get_memory_info("GPU:0")["peak"]`` after ``reset_memory_stats`` (memory growth on, so TensorFlow does not
reserve the whole GPU up front).
"""

from __future__ import annotations

import contextlib
import os

import keras
import tensorflow as tf

from archc.bench.prepared import Prepared, Unavailable

POLICIES = {"bf16": "mixed_bfloat16", "fp16": "mixed_float16"}


def _gpu(job: dict) -> str | None:
    gpus = tf.config.list_physical_devices("GPU")
    if job["device"] != "cuda":
        return None
    if not gpus:
        raise Unavailable(f"TensorFlow {tf.__version__} sees no GPU (tensorflow-cpu, or no GPU visible)")
    for gpu in gpus:
        tf.config.experimental.set_memory_growth(gpu, True)
    return "GPU:0"


def prepare(job: dict, module) -> Prepared:
    if job["threads"]:  # before TensorFlow's runtime starts
        tf.config.threading.set_intra_op_parallelism_threads(job["threads"])
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
    x = tf.random.normal((n, h, w, c), seed=0)
    out_shape = list(shapes[-1])
    if classifier:
        y = tf.random.uniform((n,), maxval=int(out_shape[-1]), dtype=tf.int32, seed=0)
    else:
        y = [tf.zeros((n, *shape)) for shape in shapes] if len(shapes) > 1 else tf.zeros((n, *shapes[0]))
    if job["train"]:
        step = lambda: model.train_on_batch(x, y)  # noqa: E731
    else:
        step = lambda: model.predict_on_batch(x)  # noqa: E731
    sync_devices = getattr(tf.test.experimental, "sync_devices", None)
    sync = sync_devices if gpu and sync_devices else (lambda: None)
    threads = tf.config.threading.get_intra_op_parallelism_threads() or len(os.sched_getaffinity(0))
    info = {
        "framework": f"keras {keras.__version__} (tensorflow {tf.__version__})",
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
