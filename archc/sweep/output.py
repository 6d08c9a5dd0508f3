"""A completed sweep's output (CSV, JSON, JSON lines, text, markdown), its summary lines and a progress bar.

The rows are read back from the log in variant order, so the output is written as a stream: memory does
not grow with the grid. ``.json`` is one document (the counts, the axes, the measuring setup, what the
measurements say, then ``rows``); ``.jsonl`` stays JSON lines. Text and markdown are tables (stdout only).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from archc.sweep.columns import Columns, cell
from archc.sweep.log import csv_line


class Progress:
    """A bar with an ETA on a terminal's stderr (tqdm when installed, else a plain one); nothing when piped."""

    def __init__(self, total: int, stream, what: str = "costing"):
        self.total, self.done, self.stream, self.what = total, 0, stream, what
        self.on = bool(getattr(stream, "isatty", lambda: False)()) and total > 0
        self.bar, self.start = None, time.monotonic()
        if self.on:
            try:
                from tqdm import tqdm
            except ImportError:
                return
            self.bar = tqdm(total=total, desc=what, unit=" variant", file=stream, dynamic_ncols=True, leave=False)

    def tick(self, n: int = 1) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        elif self.on and (self.done == self.total or self.done % 50 == 0 or self.what != "costing"):
            filled = 30 * self.done // self.total
            spent = time.monotonic() - self.start
            eta = spent / self.done * (self.total - self.done) if self.done else 0
            self.stream.write(f"\r{self.what} [{'#' * filled}{' ' * (30 - filled)}] {self.done:,}/{self.total:,} variants"
                              f" · ETA {eta:,.0f} s ")  # fmt: skip
            self.stream.flush()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.on:
            self.stream.write("\r" + " " * 78 + "\r")
            self.stream.flush()


def csv_lines(columns: Columns, rows: Iterable[dict]) -> Iterator[str]:
    yield csv_line(columns.names) + "\n"
    for row in rows:
        yield csv_line([cell(row[c]) for c in columns.names]) + "\n"


def json_lines(columns: Columns, rows: Iterable[dict]) -> Iterator[str]:
    for row in rows:
        yield json.dumps({c: row[c] for c in columns.names}, ensure_ascii=False) + "\n"


def json_document(head: dict, columns: Columns, rows: Iterable[dict]) -> Iterator[str]:
    """``{"base": …, …, "rows": [one row per line]}`` (the first line starts with ``{"base"``)."""
    text = json.dumps(head, ensure_ascii=False)
    yield text[:-1] + ', "rows": ['
    first = True
    for line in json_lines(columns, rows):
        yield ("\n" if first else ",\n") + line[:-1]
        first = False
    yield "\n]}\n"


def markdown_lines(columns: Columns, rows: Iterable[dict]) -> Iterator[str]:
    yield "| " + " | ".join(columns.names) + " |\n"
    yield "|" + "---|" * len(columns.names) + "\n"
    for row in rows:
        yield "| " + " | ".join(cell(row[c]).replace("|", "\\|") for c in columns.names) + " |\n"


def text_lines(columns: Columns, rows: Callable[[], Iterable[dict]]) -> Iterator[str]:
    """An aligned table (two passes over the rows: widths, then lines)."""
    names = [c for c in columns.names if c != "key"]
    widths = [len(c) for c in names]
    for row in rows():
        widths = [max(w, len(cell(row[c]))) for w, c in zip(widths, names)]
    yield "  ".join(c.rjust(w) for c, w in zip(names, widths)).rstrip() + "\n"
    for row in rows():
        yield "  ".join(cell(row[c]).rjust(w) for c, w in zip(names, widths)).rstrip() + "\n"


def lines_of(fmt: str, out: str | None, head: dict, columns: Columns, rows: Callable[[], Iterable[dict]]):
    if fmt == "json":
        if out is not None and out.lower().endswith(".jsonl"):
            return json_lines(columns, rows())
        return json_document(head, columns, rows())
    if fmt == "markdown":
        return markdown_lines(columns, rows())
    if fmt == "text":
        return text_lines(columns, rows)
    return csv_lines(columns, rows())


def write(lines: Iterable[str], out: str | None) -> None:
    """To stdout, or atomically over ``out`` (the log it replaces)."""
    if out in (None, "-"):
        for line in lines:
            sys.stdout.write(line)
        return
    from archc.files import atomic_save

    def save(tmp: Path) -> None:
        with tmp.open("w", encoding="utf-8", newline="") as f:
            f.writelines(lines)

    atomic_save(Path(out), save)


def summary_line(counts: dict, front: int, axes) -> str:
    names = " vs ".join(("max " if s < 0 else "") + c for c, s in axes)
    text = (f"sweep: {counts['variants']:,} variants, {counts['valid']:,} valid, {counts['kept']:,} kept, "
            f"{front:,} on the Pareto front ({names})")  # fmt: skip
    if counts.get("measured") is not None:
        text += (f"\n  measured: {counts['measured']:,} this run, {counts['resumed']:,} from the file before, "
                 f"{counts['failed']:,} failed, {counts['filtered']:,} rejected by --where")  # fmt: skip
    elif counts.get("resumed"):
        text += f"\n  {counts['resumed']:,} rows were in the file before (--resume)"
    for code, n in sorted(counts["invalid"].items()):
        text += f"\n  invalid: {n:,} × {code}, e.g. {counts['examples'][code]}"
    return text
