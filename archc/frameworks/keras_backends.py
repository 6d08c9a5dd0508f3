"""Keras 3 runs the generated Keras models on TensorFlow, JAX or PyTorch: which backend, one process per backend.

Keras picks its backend once, when it is first imported (``KERAS_BACKEND``, else the ``backend`` of
``$KERAS_HOME/keras.json`` or ``~/.keras/keras.json``, else TensorFlow): a process that has imported it cannot
switch. ``--keras-backend`` (``verify``, ``bench``, ``convert``) therefore runs the Keras side in a child process
whose environment names the backend; without the option the Keras side runs on Keras' own setting. Nothing here
imports a framework.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

BACKENDS = ("tensorflow", "jax", "torch")
RESULT_TAG = "ARCHC_KERAS_RESULT"
HELP = (
    "Keras 3 backend of the Keras models: tensorflow, jax or torch, each run in a process of its own "
    "(default: Keras' own setting, KERAS_BACKEND or ~/.keras/keras.json, else tensorflow)"
)


def add_argument(parser) -> None:
    parser.add_argument("--keras-backend", choices=BACKENDS, default=None, help=HELP)


def keras_setting() -> str:
    """The backend Keras would pick in a fresh process here (read without importing Keras)."""
    if os.environ.get("KERAS_BACKEND"):
        return os.environ["KERAS_BACKEND"]
    home = os.environ.get("KERAS_HOME") or str(Path.home() / ".keras")
    try:
        config = json.loads((Path(home) / "keras.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "tensorflow"
    backend = config.get("backend") if isinstance(config, dict) else None
    return backend if isinstance(backend, str) and backend else "tensorflow"


def child_env(backend: str | None, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a child process that runs Keras on ``backend`` (None: Keras' own setting)."""
    env = dict(os.environ if base is None else base)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env["KERAS_BACKEND"] = backend or keras_setting()
    return env


def run_child(task: str, jobs: list[dict], backend: str) -> Iterator[dict]:
    """Run ``python -m archc.frameworks.keras_child TASK`` on ``jobs`` with Keras on ``backend`` (one process,
    one Keras import for them all); each job's result as soon as the child prints it."""
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as errors:
        proc = subprocess.Popen(
            [sys.executable, "-m", "archc.frameworks.keras_child", task],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            env=child_env(backend),
        )
        proc.stdin.write(json.dumps(jobs))
        proc.stdin.close()
        done = 0
        for line in proc.stdout:
            if line.startswith(RESULT_TAG + " "):
                done += 1
                yield json.loads(line[len(RESULT_TAG) + 1 :])
        code = proc.wait()
        if code != 0 or done != len(jobs):
            errors.seek(0)
            tail = " | ".join(errors.read().strip().splitlines()[-3:])
            raise RuntimeError(f"Keras on {backend} ({task}) failed (exit {code}): {tail}")


def rerun_command(argv: list[str], backend: str) -> int:
    """Run ``archc ARGV`` in a child process with Keras on ``backend``, its output passed through; its exit code."""
    sys.stdout.flush()
    proc = subprocess.run(
        [sys.executable, "-m", "archc", *argv], capture_output=True, text=True, env=child_env(backend), check=False
    )
    sys.stdout.write(proc.stdout)
    sys.stderr.write(proc.stderr)
    return proc.returncode
