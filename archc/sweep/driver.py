"""One sweep from start to end: cost, filter, measure, log, then the completed output.

1. Cost the variants as a stream (:func:`archc.sweep.run.costs`), count the invalid ones by code, apply the
   ``--where`` conditions on costs and axes. A sweep that only costs appends each kept row to the log.
2. A measured sweep first costs everything (no executor yet), then measures the variants still to measure
   — those not already in the file (``--resume``; failed rows are retried) — through the executor, keeping a
   bounded number in flight and appending each row as it finishes.
3. When every variant is done: read the log back in variant order, apply the whole ``--where``, stream the
   Pareto front (:class:`archc.sweep.select.Front`), rewrite the output once (atomically) with the marks, and
   for a measured sweep say how well the costs predicted the measured time (:mod:`archc.sweep.analysis`).
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from array import array
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from archc.diagnostics import SpecError, usage_error
from archc.sweep import output
from archc.sweep.columns import Columns
from archc.sweep.executors import LocalExecutor, RayExecutor, RayOptions
from archc.sweep.log import Log, LogError, iter_rows
from archc.sweep.run import Base, Outcome, costs, evaluate, variant_data, variant_key
from archc.sweep.select import Front, split_where
from archc.sweep.space import Space


@dataclass
class Request:
    base: Base
    space: Space
    indices: Sequence[int]
    columns: Columns
    where: list  # every --where condition
    pareto: tuple  # ((column, sign), (column, sign))
    jobs: int = 1
    settings: object = None  # archc.bench.options.Settings of a measured sweep
    executor: str = "local"
    ray: RayOptions = field(default_factory=RayOptions)
    retries: int = 2
    out: str | None = None  # None: stdout (the log is a temporary file)
    fmt: str = "csv"
    resume: bool = False
    plot: bool = False  # collect the kept rows' points for --plot
    head: dict = field(default_factory=dict)  # what the JSON document says about the request


@dataclass
class Result:
    head: dict
    counts: dict
    front: int
    points: tuple = ()  # (xs, ys, on-front flags) of the kept rows, for --plot
    analysis: list = field(default_factory=list)
    rows: list | None = None  # the completed rows, when asked for (the Python API)


def options_text(settings) -> str:
    """The measuring options as they enter a variant's key ('' for a sweep that only costs)."""
    return "" if settings is None else json.dumps(dataclasses.asdict(settings), sort_keys=True)


def run(req: Request, stream, keep_rows: bool = False, to_stdout: bool = True) -> Result:
    """The sweep; ``stream`` takes progress lines (stderr). Its output goes to ``req.out``, else to stdout
    (``to_stdout``); ``keep_rows``: the completed rows also in ``Result.rows`` (the Python API)."""
    options = options_text(req.settings)
    counts = {"variants": 0, "valid": 0, "invalid": Counter(), "examples": {}, "resumed": 0}
    temp = req.out in (None, "-")
    path = Path(tempfile.mkstemp(prefix="archc-sweep-", suffix=".jsonl")[1]) if temp else Path(req.out)
    fmt = "csv" if req.fmt == "csv" and not temp else "json"
    log, done = _open(req, path, fmt, options)
    try:
        try:
            (_measured if req.settings is not None else _cost_only)(req, log, done, counts, stream, options)
        finally:
            log.close()
        return _finish(req, path, fmt, counts, keep_rows, to_stdout, log.in_order)
    except SpecError:
        if temp or (not req.resume and log.written == 0):
            path.unlink(missing_ok=True)  # nothing measured: leave no file behind
        raise
    finally:
        if temp:
            path.unlink(missing_ok=True)


def _open(req: Request, path: Path, fmt: str, options: str) -> tuple[Log, dict]:
    durable = req.settings is not None
    if not req.resume:
        return Log.fresh(path, fmt, req.columns, durable), {}
    values = {a.key: a.values for a in req.space.axes}
    try:
        log, rows = Log.resume(path, fmt, req.columns, values, durable)
        return log, _check_resumed(req, rows, options, path)
    except LogError as exc:
        raise usage_error("E600", f"--resume: {exc}", _RESUME_HELP) from None


_RESUME_HELP = (
    "resume with the BASE, --vary, --sample/--seed and measuring options that wrote it, or give another --out"
)


def _check_resumed(req: Request, rows: list[dict], options: str, path: Path) -> dict:
    """``{key: status}`` of the rows already there, each checked to be a variant of this very sweep."""
    planned = req.indices if isinstance(req.indices, range) else set(req.indices)
    done = {}
    for row in rows:
        v = row.get("variant")
        ok = isinstance(v, int) and v in planned
        if not ok or variant_key(variant_data(req.base, req.space, v)[1], options) != row["key"]:
            raise LogError(f"{path.as_posix()} holds variant {v} of another sweep (its key {row['key']} differs)")
        done[row["key"]] = row.get("status") or "ok"
    return done


def _row(req: Request, o: Outcome) -> dict:
    return {"variant": o.index, **{a.key: v for a, v in zip(req.space.axes, o.values)}, **o.row, "key": o.key}


def _tally(req: Request, o: Outcome, counts: dict, early: list) -> dict | None:
    """The outcome's row if the variant is valid and passes the --where on costs; counted either way."""
    counts["variants"] += 1
    if o.row is None:
        counts["invalid"][o.code] += 1
        counts["examples"].setdefault(o.code, o.message)
        return None
    counts["valid"] += 1
    row = _row(req, o)
    return row if all(c(row) for c in early) else None


def _cost_only(req: Request, log: Log, done: dict, counts: dict, stream, options: str) -> None:
    bar = output.Progress(len(req.indices), stream)
    try:
        for o in costs(req.base, req.space, req.indices, req.jobs, options):
            bar.tick()
            row = _tally(req, o, counts, req.where)
            if row is None:
                continue
            if row["key"] in done:
                counts["resumed"] += 1
                continue
            log.append(row)
    finally:
        bar.close()


def _measured(req: Request, log: Log, done: dict, counts: dict, stream, options: str) -> None:
    early, late = split_where(req.where, req.columns.measured)
    todo = []
    for o in costs(req.base, req.space, req.indices, req.jobs, options):
        row = _tally(req, o, counts, early)
        if row is not None and done.get(row["key"], "failed") == "failed":
            todo.append(o.index)
        elif row is not None:
            counts["resumed"] += 1
    counts.update(measured=0, failed=0, filtered=0)
    if not todo:
        return
    executor = _executor(req)
    print(f"sweep: measuring {len(todo):,} variants with {executor.describe()}", file=stream, flush=True)
    bar = output.Progress(len(todo), stream, "measuring")
    window = 1 if isinstance(executor, LocalExecutor) else 2 * executor.slots
    try:
        for index in todo:
            tag = _submit(req, executor, index, options)
            if tag is not None:
                _write(log, tag, counts, late, bar)
            block = executor.pending() >= window
            while True:  # write what has finished (waiting only while the window is full)
                finished = executor.wait(block=block)
                for tag in finished:
                    _write(log, tag, counts, late, bar)
                block = executor.pending() >= window
                if not finished and not block:
                    break
        while executor.pending():
            for tag in executor.wait(block=True):
                _write(log, tag, counts, late, bar)
    finally:
        executor.close()
        bar.close()


def _executor(req: Request):
    if req.executor == "ray":
        return RayExecutor(req.settings.device, req.retries, req.ray)
    return LocalExecutor(req.settings.device, req.retries)


def _submit(req: Request, executor, index: int, options: str):
    """Hand the variant to the executor; returns a finished (failed) tag when it cannot even be compiled."""
    from archc.spec.loader import validate_data
    from archc.sweep.measure import jobs_for

    row = _row(req, evaluate(req.base, req.space, index, options))
    _, data = variant_data(req.base, req.space, index)
    b = req.base
    try:
        jobs, summaries = jobs_for(validate_data(data, b.marks, b.shown, b.builtin, b.sha256), req.settings)
    except SpecError as exc:
        return (row, [], []), exc.diagnostics[0].render()
    executor.submit((row, jobs, summaries), jobs)
    return None


def _write(log: Log, done: tuple, counts: dict, late: list, bar) -> None:
    from archc.sweep.measure import columns_of, one_line

    (row, jobs, summaries), result = done
    try:
        if isinstance(result, BaseException | str):
            raise result if isinstance(result, BaseException) else RuntimeError(result)
        row |= columns_of(jobs, summaries, result)
        row["status"] = "ok" if all(c(row) for c in late) else "filtered"
    except Exception as exc:  # noqa: BLE001 - recorded as the variant's error, never dropped
        row |= {"status": "failed", "error": one_line(exc)}
    counts["measured"] += 1
    counts["failed"] += row["status"] == "failed"
    counts["filtered"] += row["status"] == "filtered"
    log.append(row)
    bar.tick()


def _ordered_rows(path: Path, fmt: str, req: Request, in_order: bool):
    """A function giving the log's rows in variant order, one row per key (the last written wins)."""
    values = {a.key: a.values for a in req.space.axes}
    if in_order:
        return lambda: iter_rows(path, fmt, req.columns, values)
    latest = {row["key"]: row for row in iter_rows(path, fmt, req.columns, values)}
    rows = sorted(latest.values(), key=lambda r: r["variant"])
    return lambda: iter(rows)


def _finish(req: Request, path: Path, fmt: str, counts: dict, keep_rows: bool, to_stdout: bool, in_order: bool):
    if counts["valid"] == 0:
        first = min(counts["examples"].items())[1] if counts["examples"] else ""
        raise usage_error("E600", f"none of the {counts['variants']:,} variants is valid: {first}", _NONE_VALID)
    rows = _ordered_rows(path, fmt, req, in_order)
    measured = req.settings is not None
    front, kept, good, points = Front(req.pareto), 0, [], (array("d"), array("d"), array("q"))
    (x, _), (y, _) = req.pareto
    for row in rows():
        if _kept(row, req.where, measured):
            kept += 1
            front.add(row, row["variant"])
            if measured:
                good.append(row)
            if req.plot:
                for column, value in zip(points, (float(row[x]), float(row[y]), row["variant"])):
                    column.append(value)
    counts["kept"] = kept
    ids = front.ids

    def final():
        for row in rows():
            keep = _kept(row, req.where, measured)
            if measured or keep:
                row["pareto"] = keep and row["variant"] in ids
                if measured and row["status"] in ("ok", "filtered"):
                    row["status"] = "ok" if keep else "filtered"
                yield row

    from archc.sweep.analysis import predictors

    analysis = predictors(good, req.settings.backends) if measured else []
    head = _head(req, counts, len(ids), analysis)
    flags = bytearray(v in ids for v in points[2])
    result = Result(head, counts, len(ids), (points[0], points[1], flags), analysis)
    if kept == 0 and not (measured and counts["measured"] + counts["resumed"]):
        where = f" --where '{req.head.get('where')}'" if req.head.get("where") else ""
        raise usage_error("E600", f"no variant matched{where} (of {counts['valid']:,} valid)", _NONE_KEPT)
    if to_stdout or req.out not in (None, "-"):
        output.write(output.lines_of(req.fmt, req.out, head, req.columns, final), req.out)
    if keep_rows:
        result.rows = list(final())
    return result


_NONE_VALID = "every variant fails as shown; check the --vary values (integers are written 1..3, not 1..3:1.0)"
_NONE_KEPT = "loosen --where (the summary of the sweep without it shows the ranges), or vary other values"


def _kept(row: dict, where: list, measured: bool) -> bool:
    if measured and row.get("status") not in ("ok", "filtered"):
        return False
    return all(c(row) for c in where)


def _head(req: Request, counts: dict, front: int, analysis: list) -> dict:
    head = {**req.head, "space": req.space.size, "variants": counts["variants"], "valid": counts["valid"]}
    head |= {"invalid": dict(sorted(counts["invalid"].items())), "kept": counts["kept"], "front": front}
    head["pareto"] = [("max:" if s < 0 else "") + c for c, s in req.pareto]
    if req.settings is not None:
        head["measure"] = {**dataclasses.asdict(req.settings), "executor": req.executor}
        head |= {k: counts[k] for k in ("measured", "resumed", "failed", "filtered")}
        head["predictors"] = analysis
    return head
