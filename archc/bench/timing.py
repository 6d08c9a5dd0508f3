"""The measuring loop both frameworks share, and the process's resident memory.

Method (as timm's ``benchmark.py``, written anew): ``warmup`` untimed steps (the first one timed apart: it
includes torch.compile / XLA compilation and lazy allocations), then ``repeats`` blocks of ``steps`` steps.
Each block is timed on ``time.perf_counter`` between two device synchronisations (``sync``: CUDA
``synchronize`` on a GPU, nothing on the CPU, where the step returns when its work is done), so queued GPU
work is inside the block and no step is serialised by a per-step sync. A block gives one step time
(block time / steps); the report is the median and the min / max over the blocks, so noise stays visible.
CPU time (all threads of the process) per block is recorded too: on a shared machine it says how much of
the machine the model really got.
"""

from __future__ import annotations

import re
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

STATUS = Path("/proc/self/status")
CLEAR_REFS = Path("/proc/self/clear_refs")


def measure(step: Callable[[], object], sync: Callable[[], None], warmup: int, steps: int, repeats: int) -> dict:
    """Time ``step``; returns first_step_s, step_s (median/min/max/values) and cpu_s_per_step."""
    first = None
    for i in range(warmup):
        start = time.perf_counter()
        step()
        sync()
        if i == 0:
            first = time.perf_counter() - start
    blocks, cpu = [], []
    for _ in range(repeats):
        sync()
        start, cpu_start = time.perf_counter(), time.process_time()
        for _ in range(steps):
            step()
        sync()
        blocks.append((time.perf_counter() - start) / steps)
        cpu.append((time.process_time() - cpu_start) / steps)
    return {
        "first_step_s": first,
        "step_s": summary(blocks),
        "cpu_s_per_step": statistics.median(cpu),
    }


def summary(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "values": values}


def rss_bytes() -> int | None:
    """Current resident set size (VmRSS), or None where /proc is missing."""
    return _status_kib("VmRSS")


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM) to the current RSS (Linux ≥ 4.0: write 5 to clear_refs)."""
    try:
        CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


def peak_rss(after_reset: bool) -> tuple[int, str]:
    """(bytes, method): VmHWM since the reset, else the whole process's ``ru_maxrss``."""
    hwm = _status_kib("VmHWM") if after_reset else None
    if hwm is not None:
        return hwm, "peak RSS since the reset before warm-up (VmHWM)"
    unit = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * unit, "peak RSS of the whole process (ru_maxrss)"


def _status_kib(field: str) -> int | None:
    try:
        m = re.search(rf"^{field}:\s+(\d+) kB", STATUS.read_text(), re.M)
    except OSError:
        return None
    return int(m.group(1)) * 1024 if m else None
