"""Compile every variant of a sweep: in-process for small spaces, else in worker processes, in chunks.

Each worker holds the base spec's merged data and the axes (sent once, at start-up) and receives only
variant indices; block costs are memoised per worker (:mod:`archc.sweep.fastcost`). A variant that does
not compile is a diagnostic code in the result (counted by the caller), never an exception.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from archc.diagnostics import SpecError
from archc.spec.loader import validate_data
from archc.spec.yamlread import Marks
from archc.sweep.fastcost import fast_totals
from archc.sweep.space import Space, with_values

METRICS = ("params", "buffers", "macs", "flops", "depth", "activations", "stages")
CHUNK = 200
IN_PROCESS_BELOW = 400  # variants; a pool costs more than it saves below this


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


def evaluate(base: Base, space: Space, index: int) -> Outcome:
    values = space.variant(index)
    data = with_values(base.data, space, values)
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
    return Outcome(index, values, row)


_WORKER: tuple[Base, Space] | None = None


def _init(base: Base, space: Space) -> None:
    global _WORKER
    _WORKER = (base, space)


def _chunk(indices: list[int]) -> list[Outcome]:
    base, space = _WORKER
    return [evaluate(base, space, i) for i in indices]


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def run(base: Base, space: Space, indices: Iterable[int], jobs: int, tick: Callable[[int], None]) -> list[Outcome]:
    """Every variant's outcome, in index order; ``tick(n)`` after each ``n`` variants done."""
    indices = list(indices)
    if jobs <= 1 or len(indices) < IN_PROCESS_BELOW:
        out = []
        for i in indices:
            out.append(evaluate(base, space, i))
            tick(1)
        return out
    chunks = [indices[k : k + CHUNK] for k in range(0, len(indices), CHUNK)]
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    out = []
    with ctx.Pool(jobs, initializer=_init, initargs=(base, space)) as pool:
        for part in pool.imap(_chunk, chunks):
            out.extend(part)
            tick(len(part))
    return out
