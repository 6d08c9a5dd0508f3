"""Sweep results: rows (varied values as columns, exact integers), CSV / JSON, the summary and a progress bar."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections import Counter
from pathlib import Path

from archc.sweep.run import METRICS
from archc.sweep.select import pareto_front


class Progress:
    """``[#####     ] 5,000/10,000 variants`` on a terminal's stderr; nothing when it is not a terminal."""

    def __init__(self, total: int, stream, width: int = 30):
        self.total, self.done, self.stream, self.width = total, 0, stream, width
        self.on = bool(getattr(stream, "isatty", lambda: False)()) and total > 0

    def tick(self, n: int) -> None:
        self.done += n
        if self.on and (self.done == self.total or self.done % 50 == 0 or n > 1):
            filled = self.width * self.done // self.total
            bar = "#" * filled + " " * (self.width - filled)
            self.stream.write(f"\r[{bar}] {self.done:,}/{self.total:,} variants")
            self.stream.flush()

    def close(self) -> None:
        if self.on:
            self.stream.write("\r" + " " * (self.width + 40) + "\r")
            self.stream.flush()


def rows(space, outcomes, where) -> list[dict]:
    """One row per valid variant that passes every ``--where`` condition, in variant order."""
    out = []
    for o in outcomes:
        if o.row is None:
            continue
        row = {"variant": o.index, **{a.key: v for a, v in zip(space.axes, o.values)}, **o.row}
        if all(cond(row) for cond in where):
            out.append(row)
    return out


def mark_front(rows: list[dict], axes) -> int:
    front = pareto_front(rows, axes)
    for i, row in enumerate(rows):
        row["pareto"] = i in front
    return len(front)


def document(base, space, variants: int, rows: list[dict], invalid: Counter, args, axes) -> dict:
    return {
        "base": base.shown,
        "axes": {a.key: list(a.values) for a in space.axes},
        "space": space.size,
        "sample": args.sample,
        "seed": args.seed if args.sample is not None else None,
        "variants": variants,
        "valid": variants - sum(invalid.values()),
        "invalid": dict(sorted(invalid.items())),
        "where": args.where,
        "pareto": [("max:" if s < 0 else "") + c for c, s in axes],
        "rows": rows,
    }


def csv_text(doc: dict) -> str:
    columns = ["variant", *doc["axes"], *METRICS, "pareto"]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in doc["rows"]:
        writer.writerow([_cell(row[c]) for c in columns])
    return buf.getvalue()


def _cell(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write(doc: dict, rows: list[dict], out: str | None) -> None:
    if out is None:
        sys.stdout.write(csv_text(doc))
        return
    from archc.files import write_all

    path = Path(out)
    text = json.dumps(doc, indent=1, ensure_ascii=False) + "\n" if path.suffix == ".json" else csv_text(doc)
    write_all({path: text})


def summary_line(variants: int, rows, front: int, invalid: Counter, examples: dict, axes) -> str:
    valid = variants - sum(invalid.values())
    names = " vs ".join(("max " if s < 0 else "") + c for c, s in axes)
    text = f"sweep: {variants:,} variants, {valid:,} valid, {len(rows):,} kept, {front:,} on the Pareto front ({names})"
    for code, n in sorted(invalid.items()):
        text += f"\n  invalid: {n:,} × {code}, e.g. {examples[code]}"
    return text
