"""A sweep's ``--out FILE`` while it runs: a log, one row per variant, appended and flushed as it arrives.

CSV: a header, then one row per line. JSON (``.json``, ``.jsonl``): one object per line (JSON lines). Rows
come in the order they finish; when the sweep completes, the file is rewritten once, atomically, in variant
order with the Pareto marks (and, for ``.json``, as one document: :mod:`archc.sweep.output`).

``--resume`` reads what is there — a log, or a completed CSV / JSON file — ignores a torn last line (a
process killed mid-write), cuts it off, and appends after the last whole row. A measured sweep also fsyncs
each row, so a lost machine loses at most the rows in flight.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

from archc.sweep.columns import Columns, cell, row_reader


class LogError(ValueError):
    """A file ``--resume`` cannot continue (reported as E600 by the caller)."""


class Log:
    def __init__(self, path: Path, fmt: str, columns: Columns, durable: bool = False):
        self.path, self.fmt, self.columns, self.durable = path, fmt, columns, durable
        self.file = None
        self.written = 0  # rows appended by this run
        self.last, self.in_order = -1, True  # whether the file's rows are in variant order, one per variant

    @classmethod
    def fresh(cls, path: Path, fmt: str, columns: Columns, durable: bool = False) -> Log:
        log = cls(path, fmt, columns, durable)
        log.file = path.open("w", encoding="utf-8", newline="")
        if fmt == "csv":
            log._line(csv_line(columns.names))
        return log

    @classmethod
    def resume(cls, path: Path, fmt: str, columns: Columns, axis_values: dict, durable: bool = False):
        """``(log, rows)``: the log opened to append after the rows already in the file (a fresh log if the
        file does not exist)."""
        if not path.exists():
            return cls.fresh(path, fmt, columns, durable), []
        text = path.read_text(encoding="utf-8")
        rows, good = _read(text, fmt, columns, axis_values, path)
        log = cls(path, fmt, columns, durable)
        for row in rows:
            log._track(row)
        if good != text:  # a torn last line, or a completed JSON document: back to a log of whole rows
            from archc.files import atomic_save

            atomic_save(path, lambda tmp: tmp.write_text(good, encoding="utf-8"))
        log.file = path.open("a", encoding="utf-8", newline="")
        if fmt == "csv" and not good:
            log._line(csv_line(columns.names))
        return log, rows

    def _track(self, row: dict) -> None:
        self.in_order = self.in_order and row["variant"] > self.last
        self.last = row["variant"]

    def append(self, row: dict) -> None:
        self._track(row)
        if self.fmt == "csv":
            self._line(csv_line([cell(row.get(c)) for c in self.columns.names]))
        else:
            self._line(json.dumps({c: row.get(c) for c in self.columns.names}, ensure_ascii=False))
        self.written += 1

    def _line(self, line: str) -> None:
        self.file.write(line + "\n")
        self.file.flush()
        if self.durable:
            os.fsync(self.file.fileno())

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None


def csv_line(cells: list[str]) -> str:
    """One CSV row, without its line end (the sweep log and the table writer share the quoting)."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(cells)
    return buf.getvalue()


def _read(text: str, fmt: str, columns: Columns, axis_values: dict, path: Path) -> tuple[list[dict], str]:
    """The whole rows of ``text`` and the text of the log that holds exactly them."""
    whole = text if text.endswith("\n") or not text else text[: text.rfind("\n") + 1]
    lines = whole.splitlines()
    if fmt == "csv":
        return _read_csv(lines, columns, axis_values, path), whole
    if lines and lines[0].startswith('{"base"'):  # a completed JSON document
        try:
            rows = json.loads(text)["rows"]
        except (ValueError, KeyError, TypeError):
            raise LogError(f"{path.as_posix()} is not a complete sweep JSON document") from None
        _check_keys(rows, columns, path)
        return rows, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    rows = []
    for n, line in enumerate(lines):
        try:
            rows.append(json.loads(line))
        except ValueError:
            if n < len(lines) - 1:
                raise LogError(f"{path.as_posix()}:{n + 1}: not a JSON line") from None
            whole = "".join(x + "\n" for x in lines[:-1])  # a torn last line
    _check_keys(rows, columns, path)
    return rows, whole


def _read_csv(lines: list[str], columns: Columns, axis_values: dict, path: Path) -> list[dict]:
    if not lines:
        return []
    records = list(csv.reader(lines))
    if records[0] != columns.names:
        raise LogError(f"{path.as_posix()} has the columns {', '.join(records[0])}, not this sweep's")
    rows, read = [], row_reader(columns, axis_values)
    for n, record in enumerate(records[1:], start=2):
        if len(record) != len(records[0]):
            raise LogError(f"{path.as_posix()}:{n}: {len(record)} cells, not {len(records[0])}")
        rows.append(read(record))
    return rows


def _check_keys(rows: list, columns: Columns, path: Path) -> None:
    names = set(columns.names)
    for n, row in enumerate(rows, start=1):
        if not isinstance(row, dict) or set(row) != names:
            raise LogError(f"{path.as_posix()}: row {n} does not have this sweep's columns")


def iter_rows(path: Path, fmt: str, columns: Columns, axis_values: dict):
    """The log's rows, one at a time (a log this run completed: whole lines only)."""
    with path.open(encoding="utf-8", newline="") as f:
        if fmt == "csv":
            reader, read = csv.reader(f), row_reader(columns, axis_values)
            next(reader, None)  # the header: this run wrote it, or checked it on --resume
            for record in reader:
                yield read(record)
        else:
            for line in f:
                yield json.loads(line)
