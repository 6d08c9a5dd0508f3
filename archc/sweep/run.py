"""Cost every variant of a sweep, as a stream: in-process for small spaces, else in worker processes, in chunks.

Each worker holds the base spec's merged data and the axes (sent once, at start-up) and receives only
ranges of variant indices (a grid's chunk is a ``range``: nothing is listed); block costs are memoised per
worker (:mod:`archc.sweep.fastcost`). At most a few chunks per worker are in flight, and outcomes come back
in index order as they are ready, so memory does not grow with the grid. A variant that does not compile is
a diagnostic code in the result (counted by the caller), never an exception.

Each valid variant carries its **key**: a hash of the variant's spec (the base spec's merged data with the
axes' values set) and of the measuring options, which names it in a sweep's log (:mod:`archc.sweep.log`).
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from archc.diagnostics import SpecError
from archc.spec.loader import validate_data
from archc.spec.yamlread import Marks
from archc.sweep.fastcost import fast_totals
from archc.sweep.space import Space, with_values

METRICS = ("params", "buffers", "macs", "flops", "depth", "activations", "stages")
CHUNK = 200
IN_PROCESS_BELOW = 400  # variants; a pool costs more than it saves below this
IN_FLIGHT_PER_WORKER = 4  # chunks


@dataclass(frozen=True)
class Base:
    data: dict
    marks: Marks
    shown: str
    builtin: str | None
    sha256: str
    files: tuple = ()


@dataclass(frozen=True)
class Outcome:
    index: int
    values: tuple
    row: dict | None  # metrics, or None when the variant is invalid
    code: str = ""  # the first diagnostic's code of an invalid variant
    message: str = ""
    key: str = ""  # the variant's key (valid variants)


def variant_key(data: dict, options: str) -> str:
    """16 hex digits of sha256 over the variant's spec data (sorted keys) and the measuring options' text."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(f"{text}\n{options}".encode()).hexdigest()[:16]


def variant_data(base: Base, space: Space, index: int) -> tuple[tuple, dict]:
    values = space.variant(index)
    return values, with_values(base.data, space, values)


def evaluate(base: Base, space: Space, index: int, options: str = "") -> Outcome:
    values, data = variant_data(base, space, index)
    try:
        loaded = validate_data(data, base.marks, base.shown, base.builtin, base.sha256)
        total, stages = fast_totals(loaded)
    except SpecError as exc:
        first = exc.diagnostics[0]
        return Outcome(index, values, None, first.code, first.render().splitlines()[0])
    row = {
        "params": total.params,
        "buffers": total.buffers,
        "macs": total.macs,
        "flops": 2 * total.macs,
        "depth": total.depth,
        "activations": total.activations,
        "stages": len(stages),
    }
    return Outcome(index, values, row, key=variant_key(data, options))


_WORKER: tuple[Base, Space, str] | None = None


def _init(base: Base, space: Space, options: str) -> None:
    global _WORKER
    _WORKER = (base, space, options)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the pool ends its workers with SIGTERM: not the sweep's handler


def _chunk(indices: Sequence[int]) -> list[Outcome]:
    base, space, options = _WORKER
    return [evaluate(base, space, i, options) for i in indices]


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def costs(base: Base, space: Space, indices: Sequence[int], jobs: int, options: str = "") -> Iterator[Outcome]:
    """Every variant's outcome, in index order, as they are ready (``indices``: a range or a sorted list)."""
    if jobs <= 1 or len(indices) < IN_PROCESS_BELOW:
        for i in indices:
            yield evaluate(base, space, i, options)
        return
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    with ctx.Pool(jobs, initializer=_init, initargs=(base, space, options)) as pool:
        pending: deque = deque()
        for start in range(0, len(indices), CHUNK):
            pending.append(pool.apply_async(_chunk, (indices[start : start + CHUNK],)))
            if len(pending) >= IN_FLIGHT_PER_WORKER * jobs:
                yield from pending.popleft().get()
        while pending:
            yield from pending.popleft().get()
