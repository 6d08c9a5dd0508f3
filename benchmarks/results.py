"""What a benchmark section returns: figures (a measurement, what it is compared with, the ratio and the
target), correctness checks (the figures the two sides print agree) and notes."""

from __future__ import annotations

from dataclasses import dataclass, field

from benchmarks.timing import Summary


def fmt_seconds(s: float) -> str:
    if s >= 10:
        return f"{s:.1f} s"
    if s >= 0.1:
        return f"{s:.2f} s"
    return f"{s * 1000:.1f} ms"


def fmt_mib(m: float) -> str:
    return f"{m:,.0f} MiB" if m >= 100 else f"{m:.1f} MiB"


@dataclass(frozen=True)
class Figure:
    """One row of the report. ``ratio`` is other / archc for speed and memory (bigger is better)."""

    label: str
    ours: str
    other: str
    ratio: float | None
    ratio_text: str
    target: str
    met: bool | None
    plot: bool = True  # shown in the plot (speed and memory ratios)

    @classmethod
    def speed(cls, label: str, ours: Summary, other: Summary, target: float) -> Figure:
        ratio = other.median / ours.median
        return cls(
            label,
            fmt_seconds(ours.median),
            fmt_seconds(other.median),
            ratio,
            f"{ratio:.1f}× faster",
            f"≥ {target:g}×",
            ratio >= target,
        )

    @classmethod
    def memory(cls, label: str, ours: Summary, other: Summary, target: float) -> Figure:
        ratio = other.median / ours.median
        return cls(
            label,
            fmt_mib(ours.median),
            fmt_mib(other.median),
            ratio,
            f"{ratio:.1f}× less",
            f"≥ {target:g}×",
            ratio >= target,
        )

    @classmethod
    def relative(cls, label: str, ours: float, other: float, tolerance: float) -> Figure:
        """Two speeds that should be equal: ``ours / other - 1`` within ± tolerance."""
        ratio = ours / other
        return cls(
            label,
            fmt_seconds(ours),
            fmt_seconds(other),
            ratio,
            f"{ratio:.3f} ({(ratio - 1) * 100:+.1f} %)",
            f"within ±{tolerance * 100:g} %",
            abs(ratio - 1) <= tolerance,
            plot=False,
        )

    @classmethod
    def info(cls, label: str, ours: str, other: str = "", ratio_text: str = "", target: str = "", met=None):
        return cls(label, ours, other, None, ratio_text, target, met, plot=False)


@dataclass
class Section:
    key: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    checks: list[tuple[str, bool, object]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tables: list[tuple[list[str], list[list[str]]]] = field(default_factory=list)
    series: list[tuple[str, int, float]] = field(default_factory=list)  # (label, ops, seconds) for the plot

    def add(self, figure: Figure) -> None:
        self.figures.append(figure)

    def check(self, label: str, ok: bool, value: object) -> None:
        self.checks.append((label, bool(ok), value))

    def note(self, text: str) -> None:
        self.notes.append(text)

    def table(self, header: list[str], rows: list[list[str]]) -> None:
        self.tables.append((header, rows))

    @property
    def ok(self) -> bool:
        return all(ok for _, ok, _ in self.checks)

    def text(self) -> str:
        lines = [f"== {self.title}"]
        for f in self.figures:
            verdict = "" if f.met is None else ("  [met]" if f.met else "  [NOT met]")
            other = f" vs {f.other}" if f.other else ""
            ratio = f" → {f.ratio_text}" if f.ratio_text else ""
            target = f" (target {f.target})" if f.target else ""
            lines.append(f"  {f.label}: {f.ours}{other}{ratio}{target}{verdict}")
        for header, rows in self.tables:
            widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
            for r in [header, *rows]:
                lines.append("  | " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |")
        lines += [f"  check: {label}: {'ok' if ok else 'FAILED'} ({value})" for label, ok, value in self.checks]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)
