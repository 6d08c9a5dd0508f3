"""Plain-text rendering: number formats and aligned tables (deterministic, for snapshots)."""

from __future__ import annotations


def shape(dims) -> str:
    return "×".join(str(d) for d in dims)


def grouped(n: int) -> str:
    return f"{n:,}"


def scaled(n: float, unit: str) -> str:
    """``25.56 M`` / ``3.86 G`` style."""
    for factor, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")):
        if abs(n) >= factor:
            return f"{n / factor:.2f} {prefix}{unit}"
    return f"{n:g} {unit}".rstrip()


def totals_line(s: dict) -> str:
    params = scaled(s["params"], "").rstrip() + " params"
    macs = scaled(s["macs"], "MACs")
    flops = scaled(s["flops"], "FLOPs")
    return f"{s['name']}: {params} · {macs} · {flops} (FLOPs = 2 × MACs) · depth {s['depth']}"


def table(header: list[str], rows: list[list[str]], right: set[int] | None = None) -> str:
    """Columns padded to width; columns in ``right`` are right-aligned."""
    right = right or set()
    cells = [header, *rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]

    def fmt(row: list[str]) -> str:
        parts = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))]
        return "  ".join(parts).rstrip()

    return "\n".join(fmt(r) for r in cells)


def boxed(header: list[str], rows: list[list[str]], right: set[int] | None = None) -> str:
    """A table with a rule under the header (the look of ``archc compare``): cells padded by one space,
    columns three spaces apart, no trailing spaces."""
    right = right or set()
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def fmt(row: list[str]) -> str:
        parts = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))]
        return ("  " + "   ".join(parts)).rstrip()

    rule = " " + "─" * (sum(widths) + 3 * len(widths) - 1)
    return "\n".join([fmt(header), rule, *(fmt(r) for r in rows)])
