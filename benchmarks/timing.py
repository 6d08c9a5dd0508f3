"""Measuring helpers: whole processes (wall time and peak RSS of a fresh child) and in-process repeats.

A whole process is measured by a small wrapper interpreter (:mod:`benchmarks._child`) that starts the command,
waits for it and reports its wall time and ``ru_maxrss`` from ``RUSAGE_CHILDREN``: the wrapper has no other
children, so the peak RSS is exactly the command's. The wrapper's own start-up is outside the measurement.
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Quiet, deterministic framework start-up in children (no GPU search logs, no oneDNN banner).
CHILD_ENV = {
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "KERAS_BACKEND": "tensorflow",
    "CUDA_VISIBLE_DEVICES": "",
    "PYTHONWARNINGS": "ignore",
}


@dataclass(frozen=True)
class ProcessRun:
    wall_s: float
    cpu_s: float  # user + system, all threads: less sensitive than wall time to other load on the machine
    peak_rss_mib: float
    stdout: str


@dataclass(frozen=True)
class Summary:
    """Median (and spread) of repeated measurements."""

    median: float
    low: float
    high: float
    n: int

    @classmethod
    def of(cls, values: list[float]) -> Summary:
        return cls(statistics.median(values), min(values), max(values), len(values))


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(CHILD_ENV)
    # Bytecode caching on, as for any installed package (pip compiles on install; an editable install writes
    # __pycache__ on first import): otherwise every run re-compiles archc's modules from source.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    return env


def run_process(cmd: list[str], cwd: Path | None = None, timeout: float = 600) -> ProcessRun:
    """Run ``cmd`` once as a fresh process; raise if it fails."""
    wrapper = [sys.executable, "-m", "benchmarks._child", *cmd]
    proc = subprocess.run(
        wrapper, cwd=cwd or REPO, env=child_env(), capture_output=True, text=True, timeout=timeout, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)[:200]} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    return ProcessRun(report["wall_s"], report["cpu_s"], report["maxrss_kib"] / 1024, proc.stdout)


@dataclass(frozen=True)
class Repeated:
    """Medians over repeated fresh processes, and the last run's stdout."""

    wall: Summary
    cpu: Summary
    rss: Summary
    stdout: str

    @classmethod
    def of(cls, runs: list[ProcessRun]) -> Repeated:
        return cls(
            Summary.of([r.wall_s for r in runs]),
            Summary.of([r.cpu_s for r in runs]),
            Summary.of([r.peak_rss_mib for r in runs]),
            runs[-1].stdout,
        )


def repeat_process(cmd: list[str], repeats: int, cwd: Path | None = None) -> Repeated:
    return Repeated.of([run_process(cmd, cwd) for _ in range(repeats)])


def interleaved(cmds: list[list[str]], rounds: int) -> list[Repeated]:
    """Each command once per round, in order (A B C A B C …), ``rounds`` times: a burst of load on this shared
    machine hits every command of a round alike, so ratios of their medians compare like with like (a headline
    ratio comes from ≥ 5 such rounds). One :class:`Repeated` per command, in the order given."""
    runs: list[list[ProcessRun]] = [[] for _ in cmds]
    for _ in range(rounds):
        for cmd, done in zip(cmds, runs, strict=True):
            done.append(run_process(cmd))
    return [Repeated.of(done) for done in runs]


@contextlib.contextmanager
def summary_cache(folder: Path | str):
    """A private archc summary cache (``ARCHC_CACHE_DIR``, archc/cache.py) for the children started meanwhile
    (:func:`child_env` copies ``os.environ``); ``--no-cache`` runs ignore it."""
    old = os.environ.get("ARCHC_CACHE_DIR")
    os.environ["ARCHC_CACHE_DIR"] = str(folder)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("ARCHC_CACHE_DIR")
        else:
            os.environ["ARCHC_CACHE_DIR"] = old


def repeat_call(fn: Callable[[], object], repeats: int) -> Summary:
    """Median wall time of ``fn()`` in this process."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return Summary.of(times)


def python_script(code: str, *args: str) -> list[str]:
    return [sys.executable, "-c", code, *args]


def archc_command() -> list[str]:
    """The console script installed next to this interpreter (what a user runs), else ``python -m archc``."""
    script = Path(sys.executable).with_name("archc")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "archc"]
