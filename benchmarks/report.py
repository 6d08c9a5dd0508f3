"""Write ``BENCHMARKS.md`` (headline table, one section per benchmark, the machine) and its plot."""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata
from pathlib import Path

from benchmarks.gpu_bench import REPORT as GPU_REPORT
from benchmarks.results import Section

PLOT_NAME = "BENCHMARKS.png"


def machine() -> list[str]:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in _cpuinfo() if line.startswith("model name")), platform.processor()
    )
    versions = []
    for dist in ("torch", "tensorflow-cpu", "tensorflow", "keras", "networkx", "pydantic"):
        try:
            versions.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            continue
    return [
        f"CPU: {cpu or 'unknown'}, {os.cpu_count()} logical cores; no GPU",
        f"Python {platform.python_version()} on {platform.system()} {platform.release()}",
        ", ".join(versions),
    ]


def _cpuinfo() -> list[str]:
    try:
        return Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return []


def _row(cells) -> str:
    return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    align = ["---"] + ["---:"] * (len(header) - 1)
    return [_row(header), "|" + "|".join(align) + "|", *(_row(r) for r in rows)]


def _verdict(met: bool | None) -> str:
    return "" if met is None else ("✅ met" if met else "❌ not met")


def headline(sections: list[Section]) -> list[str]:
    rows = [
        [f.label.strip(), f.ours, f.other, f.ratio_text, f.target, _verdict(f.met)]
        for s in sections
        for f in s.figures
        if f.target
    ]
    return _table(["benchmark", "archc", "compared with", "ratio", "target", ""], rows)


def section_text(s: Section) -> list[str]:
    lines = [f"## {s.title}", ""]
    if s.figures:
        rows = [[f.label, f.ours, f.other, f.ratio_text, f.target, _verdict(f.met)] for f in s.figures]
        lines += _table(["figure", "archc", "compared with", "ratio", "target", ""], rows) + [""]
    for header, rows in s.tables:
        lines += _table(header, rows) + [""]
    if s.checks:
        lines += ["Checks (the two sides compute the same thing):", ""]
        lines += [f"- {'✅' if ok else '❌'} {label}: {value}" for label, ok, value in s.checks] + [""]
    lines += [f"- {note}" for note in s.notes] + ([""] if s.notes else [])
    return lines


def write(sections: list[Section], out: Path, quick: bool, load: tuple[float, float], failures: list[str]) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    plotted = plot(sections, out / PLOT_NAME)
    lines = [
        "# Benchmarks",
        "",
        f"Produced by `python -m benchmarks{' --quick' if quick else ''}` "
        "(see `benchmarks/`). Every ratio compares two measurements taken in the same run; times are medians "
        "of several repeats, whole fresh processes where a user would run a whole process (`archc cost`, "
        "`archc build`, `python -c 'import torch …'`); peak RSS is `ru_maxrss` of that process. Absolute "
        "times depend on the machine and on what else runs on it; the ratios much less.",
        "",
        *[f"- {m}" for m in machine()],
        f"- load average (1 min) before / after the run: {load[0]:.2f} / {load[1]:.2f}",
        "",
        "## Headline",
        "",
        *headline(sections),
        "",
    ]
    if plotted:
        lines += [f"![benchmark ratios and compile-time scaling]({PLOT_NAME})", ""]
    lines += [f"- ❌ section failed: {f}" for f in failures] + ([""] if failures else [])
    for s in sections:
        lines += section_text(s)
    lines += ["", GPU_REPORT]
    path = out / "BENCHMARKS.md"
    path.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
    return path


def plot(sections: list[Section], path: Path) -> bool:
    """Left: speed and memory ratios (log scale) with their targets; right: compile time per op vs ops."""
    try:
        import matplotlib
    except ImportError:
        print("matplotlib missing: no plot", file=sys.stderr)
        return False
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ratios = [f for s in sections for f in s.figures if f.plot and f.ratio]
    series = [p for s in sections for p in s.series]
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.8), gridspec_kw={"width_ratios": [1.3, 1]})
    labels = [f.label.replace(" vs ", "\nvs ") for f in ratios]
    left.barh(labels, [f.ratio for f in ratios], color=["tab:green" if f.met else "tab:red" for f in ratios])
    left.set_xscale("log")
    left.set_xlim(1, max([30.0] + [f.ratio * 1.6 for f in ratios]))
    left.axvline(10, color="grey", ls=":", lw=1)
    left.axvline(20, color="grey", ls="--", lw=1)
    left.set_xlabel("ratio (other / archc), log scale; dotted 10× (memory target), dashed 20× (speed target)")
    left.invert_yaxis()
    left.tick_params(axis="y", labelsize=7)
    if series:
        ops = [n for _, n, _ in series]
        right.plot(ops, [t / n * 1e6 for _, n, t in series], "o-")
        for label, n, t in series:
            right.annotate(label.rstrip("*"), (n, t / n * 1e6), fontsize=7, xytext=(3, 3), textcoords="offset points")
        right.set_xscale("log")
        right.set_ylim(bottom=0)
        right.set_xlabel("ops in the IR (log scale)")
        right.set_ylabel("compile + both emitters, µs per op")
        right.set_title("compile time per op (flat = linear)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
