"""The measuring child: ``python -m archc.bench.worker`` reads one job (JSON) on stdin, measures, and prints
one result line ``RESULT_TAG {json}`` on stdout (frameworks may print their own lines before it).

The job carries the generated source (executed in memory as a fresh module, never written to disk), the
spec's input shape and the :class:`~archc.bench.options.Settings` for one backend. Memory: the RSS after the
framework import and after building the model and batch, then the kernel's peak-RSS mark is reset and the
peak over warm-up and timed steps read back (see :mod:`archc.bench.timing`); on a GPU also the framework's
peak allocated device memory over the same steps.
"""

from __future__ import annotations

import importlib
import json
import platform
import sys
import types

from archc.bench import timing
from archc.bench.prepared import Unavailable

RESULT_TAG = "ARCHC_BENCH_RESULT"
STEPS = {"pytorch": "archc.bench.steps_torch", "keras": "archc.bench.steps_keras"}


def load_source(source: str, name: str) -> types.ModuleType:
    module = types.ModuleType(f"archc_bench_{name.replace('/', '_')}")
    module.__file__ = f"<archc generated {name}.py>"
    exec(compile(source, module.__file__, "exec"), module.__dict__)  # noqa: S102 - archc's own output
    return module


def run(job: dict) -> dict:
    steps = importlib.import_module(STEPS[job["backend"]])  # the framework import happens here
    rss_framework = timing.rss_bytes()
    module = load_source(job["source"], f"{job['backend']}/{job['label']}")
    try:
        prepared = steps.prepare(job, module)
    except Unavailable as exc:
        return {"unavailable": str(exc)}
    rss_before, device_before = timing.rss_bytes(), prepared.device_current()
    prepared.reset_device_peak()
    reset = timing.reset_peak_rss()
    with prepared.context:
        measured = timing.measure(prepared.step, prepared.sync, job["warmup"], job["steps"], job["repeats"])
    peak, method = timing.peak_rss(reset)
    memory = {
        "rss_after_import_bytes": rss_framework,
        "rss_before_steps_bytes": rss_before,
        "rss_peak_bytes": peak,
        "rss_method": method,
        "device_before_steps_bytes": device_before,
        "device_peak_bytes": prepared.device_peak(),
    }
    info = dict(prepared.info)
    info["device_name"] = info["device_name"] or cpu_name()
    return {**measured, **info, "memory": memory}


def cpu_name() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else the platform's processor string."""
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "CPU"


# What the frameworks raise when an allocation fails (the type's name: no framework import needed to test it).
OUT_OF_MEMORY_TYPES = {"MemoryError", "OutOfMemoryError", "ResourceExhaustedError"}
OUT_OF_MEMORY_TEXT = ("can't allocate memory", "out of memory", "oom when allocating", "failed to allocate")


def out_of_memory(exc: BaseException) -> bool:
    """An allocation that failed (a batch too large for the machine), as opposed to a bug."""
    text = str(exc).lower()
    return type(exc).__name__ in OUT_OF_MEMORY_TYPES or any(t in text for t in OUT_OF_MEMORY_TEXT)


def main() -> int:
    job = json.loads(sys.stdin.read())
    try:
        result = run(job)
    except Exception as exc:  # noqa: BLE001 - only an allocation failure is answered; the rest propagates
        if not out_of_memory(exc):
            raise
        result = {"out_of_memory": " ".join(str(exc).split())[:300] or type(exc).__name__}
    print(f"{RESULT_TAG} {json.dumps(result)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
