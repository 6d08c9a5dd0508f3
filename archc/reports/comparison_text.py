"""Text of a :class:`~archc.reports.comparison.Comparison` (``archc compare``): a plain table, markdown, CSV.

The plain table is laid out by :func:`archc.reports.text.boxed` (no dependency). Piped, it is printed at its
natural width, always the same bytes. On a terminal it must fit the window: columns are left out, least
important first, and a note names them; when even the essential ones do not fit, each spec is printed as a
short list of ``key: value`` lines. A number is never cut.
"""

from __future__ import annotations

import csv
import io
import textwrap

from archc.reports import text
from archc.reports.comparison import COUNTERS, ERROR_KEYS, Comparison

# Column ids in display order, and the order in which they are left out when the terminal is too narrow.
OPTIONAL = ("activations", "flops", "top5_error", "cifar10_error", "params_ratio", "macs_ratio", "top1_error")


def columns(result: Comparison) -> list[tuple[str, str]]:
    """(id, header) of every human column."""
    fixed = [("label", "spec"), ("depth", "depth"), ("params", "params"), ("params_ratio", "× params")]
    fixed += [("macs", "MACs"), ("macs_ratio", "× MACs"), ("flops", "FLOPs")]
    fixed += [(result.counter, result.counter)] if result.counter in COUNTERS else []  # --counter NAME
    fixed += [("activations", "activations")]
    measured = list(getattr(result, "measured_columns", []))  # archc compare --measure (archc.bench.measured)
    return fixed + [(k, ERROR_KEYS[k]) for k in result.error_keys] + measured


def header(result: Comparison) -> list[str]:
    return [h for _, h in columns(result)]


def _cell(key: str, r: dict) -> str:
    v = r[key]
    if key == "label":
        return v
    if key == "depth":
        return str(v)
    if v is None:
        return "–"
    if key.endswith("_ratio"):
        return f"×{v:.2f}"
    if key.endswith("_error"):
        return f"{v:g}"
    return text.scaled(v, "").rstrip()


def cells(result: Comparison, keys: list[str] | None = None) -> list[list[str]]:
    """Human cells: scaled figures (``25.56 M``), ratios (``×1.95``), error rates as declared."""
    keys = keys or [k for k, _ in columns(result)]
    own = getattr(result, "format_cell", lambda key, row: None)  # measured figures format themselves
    return [[own(k, r) or _cell(k, r) for k in keys] for r in result.rows]


def caption(result: Comparison) -> str:
    counter = f" · {result.counter}: what that counter prints (archc cost --counters)"
    return (
        f"ratios (×) against {result.baseline}, the first spec given · MACs = multiply-accumulates, "
        f"FLOPs = 2 × MACs{counter if result.counter in COUNTERS else ''} · activations: output elements of every "
        "op, one sample · error rates as the specs' metadata declare them (the papers' figures)"
    ) + (f" · {result.measured_caption()}" if hasattr(result, "measured_caption") else "")


def to_plain(result: Comparison, keys: list[str] | None = None, width: int | None = None) -> str:
    """The table (all columns, or ``keys``) with its caption wrapped to the table's width (or ``width``)."""
    names = dict(columns(result))
    keys = keys or list(names)
    table = text.boxed([names[k] for k in keys], cells(result, keys), right=set(range(1, len(keys))))
    wrap = min(max(len(line) for line in table.splitlines()), width or 10**6)
    return table + "\n\n" + "\n".join(textwrap.wrap(caption(result), wrap, break_on_hyphens=False))


def fit(result: Comparison, width: int) -> str:
    """The plain table in at most ``width`` columns: optional columns left out (with a note), or records."""
    names = dict(columns(result))
    keys = list(names)
    dropped: list[str] = []
    for key in [k for k in OPTIONAL if k in names]:
        if _widest(to_plain(result, keys)) <= width:
            break
        keys.remove(key)
        dropped.append(key)
    if _widest(text.boxed(keys, cells(result, keys))) > width:
        return records(result, width)
    body = to_plain(result, keys, width)
    if not dropped:
        return body
    left_out = ", ".join(names[k] for k in sorted(dropped, key=list(names).index))
    note = f"left out to fit {width} columns: {left_out} (widen the terminal, or use --json / --csv / --markdown)"
    return body + "\n" + "\n".join(textwrap.wrap(note, _widest(body), break_on_hyphens=False))


def records(result: Comparison, width: int) -> str:
    """One block of ``header: value`` lines per spec: for terminals too narrow for any table."""
    names = columns(result)
    pad = max(len(h) for _, h in names[1:])
    blocks = []
    for row in cells(result):
        lines = [row[0]] + [f"  {h.ljust(pad)}  {v}" for (_, h), v in zip(names[1:], row[1:])]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n\n" + "\n".join(textwrap.wrap(caption(result), max(width, 20)))


def _widest(block: str) -> int:
    return max(len(line) for line in block.splitlines())


def to_markdown(result: Comparison) -> str:
    head = header(result)
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    lines += ["| " + " | ".join(row) + " |" for row in cells(result)]
    return "\n".join(lines) + f"\n\n{caption(result)[0].upper()}{caption(result)[1:]}."


def to_csv(result: Comparison) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=result.columns, lineterminator="\n")
    writer.writeheader()
    for r in result.rows:
        writer.writerow({k: "" if r[k] is None else r[k] for k in result.columns})
    return buf.getvalue()
