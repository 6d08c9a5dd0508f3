"""The parent side of ``archc bench``: one fresh child process per (spec, backend), rows from their results.

The parent compiles the spec, emits the backend source and sends both with the settings to
``python -m archc.bench.worker``; it never imports a framework itself. Children run one after another (never
two measurements at once). Each row carries the exact costs beside the measured figures and the 1-minute
load average before and after its child, so a busy machine shows in the figures' context.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from archc.bench.options import Refusal, Settings
from archc.bench.worker import RESULT_TAG
from archc.pipeline import Compiled
from archc.reports.summary import summary

# Training does a forward and a backward pass; the backward costs about twice the forward's MACs (gradients
# of the inputs and of the weights), the usual convention for "training FLOPs" = 3 × forward.
TRAIN_MAC_FACTOR = 3


def child_env(device: str, keras_backend: str | None = None) -> dict[str, str]:
    """The measuring child's environment: Keras on ``keras_backend`` (None: Keras' own setting)."""
    from archc.frameworks.keras_backends import child_env as keras_env

    env = keras_env(keras_backend)
    env["TF_CPP_MIN_LOG_LEVEL"] = env.get("TF_CPP_MIN_LOG_LEVEL") or "2"
    if device == "cpu":
        env["CUDA_VISIBLE_DEVICES"] = ""  # a CPU figure stays a CPU figure on a GPU machine
    return env


def run_child(job: dict, device: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "archc.bench.worker"],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        env=child_env(device, job.get("keras_backend")),
        check=False,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith(RESULT_TAG + " ")]
    if proc.returncode != 0 or not lines:
        tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
        raise RuntimeError(f"measuring {job['label']} with {job['backend']} failed (exit {proc.returncode}): {tail}")
    return json.loads(lines[-1][len(RESULT_TAG) + 1 :])


def measure_one(c: Compiled, backend: str, settings: Settings) -> dict:
    from archc.codegen import emit

    s = summary(c)
    job = {**settings.for_backend(backend), "label": c.loaded.key, "input_shape": s["input_shape"]}
    job["source"] = emit(c, backend)
    load_before = os.getloadavg()[0]
    result = run_child(job, settings.device)
    if "unavailable" in result:
        raise Refusal(
            f"--device {settings.device}: {result['unavailable']}",
            "measure on the CPU (--device cpu), or install a CUDA build of the framework",
        )
    if result["output_shape"] != s["output_shape"]:
        raise RuntimeError(
            f"{c.loaded.key} ({backend}): the generated model's output shape {result['output_shape']} "
            f"differs from the IR's {s['output_shape']}"
        )
    return make_row(c, s, job, result, [load_before, os.getloadavg()[0]])


def make_row(c: Compiled, s: dict, job: dict, result: dict, load: list[float]) -> dict:
    step = result["step_s"]
    batch = job["batch"]
    factor = TRAIN_MAC_FACTOR if job["train"] else 1
    memory = result["memory"]
    device_peak = memory["device_peak_bytes"]
    row = {
        "label": c.loaded.key,
        "name": s["name"],
        "spec": s["spec"],
        "backend": job["backend"],
        "framework": result["framework"],
        "keras_backend": result.get("keras_backend"),  # Keras 3's backend (Keras rows), else None
        "device": job["device"],
        "device_name": result["device_name"],
        "threads": result["threads"],
        "mode": "train" if job["train"] else "inference",
        **{
            k: job[k] for k in ("batch", "amp", "channels_last", "compile", "jit_compile", "warmup", "steps", "repeats")
        },
        "threads_requested": job["threads"],
        "input_shape": s["input_shape"],
        "output_shape": result["output_shape"],
        "params": s["params"],
        "macs": s["macs"],
        "first_step_s": result["first_step_s"],
        "step_ms": {k: v * 1e3 for k, v in step.items() if k != "values"}
        | {"values": [v * 1e3 for v in step["values"]]},
        "spread_pct": 100 * (step["max"] - step["min"]) / step["median"],
        "images_per_s": {"median": batch / step["median"], "min": batch / step["max"], "max": batch / step["min"]},
        "mac_factor": factor,
    }
    row["achieved_macs_per_s"] = factor * s["macs"] * row["images_per_s"]["median"]
    row["cpu_utilisation"] = result["cpu_s_per_step"] / step["median"]
    row["peak_memory_bytes"] = device_peak if device_peak is not None else memory["rss_peak_bytes"]
    row["peak_memory_kind"] = "device max allocated" if device_peak is not None else "process peak RSS"
    before, peak = memory["rss_before_steps_bytes"], memory["rss_peak_bytes"]
    if device_peak is not None:
        before, peak = memory["device_before_steps_bytes"], device_peak
    memory["steps_delta_bytes"] = peak - before if before is not None and peak is not None else None
    row["memory"] = memory
    row["load_1min"] = load
    return row


def measure(compiled: list[Compiled], settings: Settings, progress=None) -> list[dict]:
    """Rows in the order spec × backend; ``progress(text)`` is told before each measurement."""
    rows = []
    for c in compiled:
        for backend in settings.backends:
            if progress:
                progress(f"measuring {c.loaded.key} · {backend} · {settings.device} …")
            rows.append(measure_one(c, backend, settings))
    return rows
