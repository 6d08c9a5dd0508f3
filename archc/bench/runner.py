"""The parent side of ``archc bench``: one fresh child process per (spec, backend), rows from their results.

The parent compiles the spec, emits the backend source and sends both with the settings to
``python -m archc.bench.worker``; it never imports a framework itself. Children run one after another (never
two measurements at once). Each row carries the exact costs beside the measured figures and the 1-minute
load average before and after its child, so a busy machine shows in the figures' context.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

from archc.bench.options import DEFAULTS, Refusal, Settings
from archc.bench.worker import OUT_OF_MEMORY_TEXT, RESULT_TAG
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


class ChildFailed(RuntimeError):
    """The measuring child exited without a result; ``returncode`` < 0: it was killed by that signal."""

    def __init__(self, message: str, returncode: int):
        super().__init__(message)
        self.returncode = returncode


def _die_with_parent():
    """Linux: a ``preexec_fn`` that makes the child get SIGKILL when the thread that started it dies (a killed
    sweep or Ray worker leaves no measuring child behind). The libc function is looked up here, in the
    parent, so the child (between fork and exec) only makes the one call."""
    import ctypes
    import signal

    prctl = ctypes.CDLL(None, use_errno=True).prctl
    return lambda: prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG


def run_child(job: dict, device: str, die_with_parent: bool = False) -> dict:
    linux = sys.platform.startswith("linux")
    proc = subprocess.run(
        [sys.executable, "-m", "archc.bench.worker"],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        env=child_env(device, job.get("keras_backend")),
        check=False,
        preexec_fn=_die_with_parent() if die_with_parent and linux else None,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith(RESULT_TAG + " ")]
    if proc.returncode != 0 and not lines and _says_out_of_memory(proc.stderr):  # e.g. std::bad_alloc, abort
        return {"out_of_memory": " ".join(proc.stderr.strip().splitlines()[-1:])[:300]}
    if proc.returncode != 0 or not lines:
        tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
        message = f"measuring {job['label']} with {job['backend']} failed (exit {proc.returncode}): {tail}"
        raise ChildFailed(message, proc.returncode)
    return json.loads(lines[-1][len(RESULT_TAG) + 1 :])


def _says_out_of_memory(stderr: str) -> bool:
    text = stderr.lower()
    return "bad_alloc" in text or any(t in text for t in OUT_OF_MEMORY_TEXT)


def job_for(c: Compiled, backend: str, settings: Settings) -> tuple[dict, dict]:
    """The child's job (settings, label, input shape, generated source) and the spec's summary."""
    from archc.codegen import emit

    s = summary(c)
    job = {**settings.for_backend(backend), "label": c.loaded.key, "input_shape": s["input_shape"]}
    job["source"] = emit(c, backend)
    return job, s


def check_result(job: dict, s: dict, result: dict) -> None:
    """Refuse a measurement that ran out of memory, a device that is not there, or a model whose output shape is
    not the IR's."""
    if "out_of_memory" in result:
        raise Refusal(
            f"--batch {job['batch']}: measuring {job['label']} with {job['backend']} ran out of memory "
            f"({result['out_of_memory']})",
            f"use a smaller --batch (default {DEFAULTS[job['device']][0]} on {job['device']}) or a smaller "
            "--input-size",
        )
    if "unavailable" in result:
        raise Refusal(
            f"--device {job['device']}: {result['unavailable']}",
            "measure on the CPU (--device cpu), or install a CUDA build of the framework",
        )
    if result["output_shape"] != s["output_shape"]:
        raise RuntimeError(
            f"{job['label']} ({job['backend']}): the generated model's output shape {result['output_shape']} "
            f"differs from the IR's {s['output_shape']}"
        )


def measure_one(c: Compiled, backend: str, settings: Settings) -> dict:
    job, s = job_for(c, backend, settings)
    load_before = os.getloadavg()[0]
    try:
        result = run_child(job, settings.device)
    except ChildFailed as exc:
        if exc.returncode != -signal.SIGKILL:
            raise
        # One measurement, nobody else's: a SIGKILL is the kernel's out-of-memory killer. (A sweep retries it.)
        result = {"out_of_memory": "the measuring process was killed (SIGKILL), most likely out of memory"}
    check_result(job, s, result)
    return make_row(c, s, job, result, [load_before, os.getloadavg()[0]])


def make_row(c: Compiled | None, s: dict, job: dict, result: dict, load: list[float]) -> dict:
    step = result["step_s"]
    batch = job["batch"]
    factor = TRAIN_MAC_FACTOR if job["train"] else 1
    memory = result["memory"]
    device_peak = memory["device_peak_bytes"]
    row = {
        "label": job["label"],
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
        **{k: s[k] for k in ("params", "buffers", "keras_params", "macs")},
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
