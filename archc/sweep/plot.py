"""``archc sweep --plot``: every kept variant as a point of Y vs X, the Pareto front as a highlighted line
(a measured sweep: measured img/s against MACs, the default ``--pareto`` of ``--measure``).

matplotlib is imported inside the function (the ``plot`` extra); no pyplot; deterministic bytes.
"""

from __future__ import annotations

from pathlib import Path

from archc.files import atomic_save
from archc.reports.plot import _STYLE, unit

_LABELS = {"params": "params", "macs": "MACs", "flops": "FLOPs", "activations": "activations", "depth": "depth"}
_MEASURED = {"img_per_s": "measured img/s", "ms_per_step": "measured ms/step", "macs_per_s": "achieved MAC/s",
             "peak_mem_bytes": "peak memory (bytes)"}  # fmt: skip


def _label(column: str) -> str:
    for suffix, label in _MEASURED.items():
        if column.endswith("_" + suffix):
            return f"{label} ({column.removesuffix('_' + suffix)})"
    return _LABELS.get(column, column)


def _axis(values, column: str):
    scaled = column in _LABELS and column != "depth"
    factor, prefix = unit(list(values)) if scaled else (1.0, "")
    label = f"{_label(column)} ({prefix})" if prefix else _label(column)
    return [v / factor for v in values], label


def plot_front(points, axes, path: str | Path, title: str) -> Path:
    """``points``: (xs, ys, on-front flags) of the kept rows."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    (x, sx), (y, sy) = axes
    xs, xlabel = _axis(points[0], x)
    ys, ylabel = _axis(points[1], y)
    front = sorted((xs[i], ys[i]) for i, on in enumerate(points[2]) if on)
    with matplotlib.rc_context(_STYLE):
        fig = Figure(figsize=(8, 5.2), dpi=150, layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        ax.scatter(xs, ys, s=9, color="#9bb0c8", alpha=0.6, linewidths=0, label=f"{len(xs):,} variants")
        if front:
            fx, fy = zip(*front)
            ax.plot(fx, fy, "-o", drawstyle="steps-post", color="#c0392b", markersize=4, linewidth=1.5,
                    label=f"Pareto front ({len(front)})")  # fmt: skip
        goal = lambda s: "higher is better" if s < 0 else "lower is better"  # noqa: E731
        ax.set_xlabel(f"{xlabel} — {goal(sx)}")
        ax.set_ylabel(f"{ylabel} — {goal(sy)}")
        ax.set_title(title)
        ax.legend(loc="best", frameon=False)
        path, kind = Path(path), Path(path).suffix.lower()
        metadata = {"Date": None} if kind == ".svg" else {"Software": None}
        atomic_save(path, lambda tmp: fig.savefig(tmp, format=kind[1:], metadata=metadata), suffix=kind)
    return path
