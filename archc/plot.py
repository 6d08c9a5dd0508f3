"""``archc compare --plot``: a chart of a :class:`~archc.comparison.Comparison` (matplotlib, extra ``plot``).

Two kinds, chosen from the data:
- **error vs MACs** when at least two specs declare the same error rate in their metadata (top-1 first,
  then CIFAR-10, then top-5): x = GMACs, y = error %, bubble area ∝ params;
- otherwise **MACs vs params**: x = params (M), y = GMACs, bubble area ∝ activations.
matplotlib is imported inside the functions (never by ``import archc``); no pyplot, so no GUI backend.
The output is deterministic (no timestamps in the file metadata).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from archc.comparison import Comparison

ERROR_PREFERENCE = (
    ("top1_error", "top-1 error (%)", "ImageNet validation"),
    ("cifar10_error", "CIFAR-10 test error (%)", "CIFAR-10 test set"),
    ("top5_error", "top-5 error (%)", "ImageNet validation"),
)


@dataclass(frozen=True)
class ChartData:
    kind: str  # "error" or "bubble"
    labels: list[str]
    x: list[float]
    y: list[float]
    size: list[float]  # the quantity bubble areas are proportional to
    xlabel: str
    ylabel: str
    size_label: str
    title: str
    subtitle: str
    note: str  # specs left out, if any


def chart_data(result: Comparison) -> ChartData:
    """What to draw: the axis quantities and labels (pure data, tested without matplotlib)."""
    for key, ylabel, where in ERROR_PREFERENCE:
        rows = [r for r in result.rows if r.get(key) is not None]
        if len(rows) >= 2:
            left = [r["label"] for r in result.rows if r.get(key) is None]
            note = f"not plotted (no {key} in metadata): {', '.join(left)}" if left else ""
            return ChartData(
                "error",
                [r["label"] for r in rows],
                [r["macs"] / 1e9 for r in rows],
                [r[key] for r in rows],
                [r["params"] / 1e6 for r in rows],
                "compute per image (GMACs, multiply-accumulates)",
                ylabel,
                "params (M)",
                "Error vs compute",
                f"error rates as declared in the specs' metadata ({where}); bubble area ∝ parameters",
                note,
            )
    rows = result.rows
    return ChartData(
        "bubble",
        [r["label"] for r in rows],
        [r["params"] / 1e6 for r in rows],
        [r["macs"] / 1e9 for r in rows],
        [r["activations"] / 1e6 for r in rows],
        "parameters (millions)",
        "compute per image (GMACs, multiply-accumulates)",
        "activations (M)",
        "Compute vs parameters",
        "bubble area ∝ activations per image (output elements of every layer)",
        "",
    )


def plot_comparison(result: Comparison, path: str | Path) -> Path:
    """Draw the chart into ``path`` (.png or .svg)."""
    import matplotlib
    from matplotlib.figure import Figure

    data = chart_data(result)
    with matplotlib.rc_context(_STYLE):
        fig = Figure(figsize=(9, 5.6), dpi=150, layout="constrained")
        ax = fig.add_subplot()
        _draw(ax, data)
        path = Path(path)
        metadata = {"Date": None} if path.suffix.lower() == ".svg" else {"Software": None}
        fig.savefig(path, metadata=metadata)
    return path


_STYLE = {
    "font.size": 12,
    "axes.titlesize": 15,
    "axes.titleweight": "bold",
    "axes.labelsize": 13,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "svg.hashsalt": "archc",
    "svg.fonttype": "path",
}


def _areas(sizes: list[float]) -> list[float]:
    """Marker areas (points²) proportional to the quantity, the largest 2,400."""
    top = max(sizes) or 1.0
    return [max(60.0, 2400.0 * s / top) for s in sizes]


def _draw(ax, data: ChartData) -> None:
    import matplotlib

    colors = matplotlib.colormaps["tab10"].colors
    areas = _areas(data.size)
    for i, (x, y, a) in enumerate(zip(data.x, data.y, areas)):
        ax.scatter([x], [y], s=a, color=colors[i % 10], alpha=0.55, edgecolors="black", linewidths=0.8, zorder=3)
    _label_points(ax, data, areas)
    ax.set_xlabel(data.xlabel)
    ax.set_ylabel(data.ylabel)
    ax.set_title(data.title, loc="left", pad=26)
    ax.annotate(data.subtitle, xy=(0.0, 1.02), xycoords="axes fraction", fontsize=10.5, color="0.3")
    ax.margins(x=0.18, y=0.2)
    if data.kind == "error":
        ax.annotate("↓ lower is better", xy=(0.99, 0.97), xycoords="axes fraction", ha="right", va="top", color="0.35")
    if data.note:
        ax.annotate(data.note, xy=(0.0, -0.16), xycoords="axes fraction", fontsize=9, color="0.35")


def _label_points(ax, data: ChartData, areas: list[float]) -> None:
    """Name and size figure beside each bubble; neighbours close in x alternate above / below."""
    span = (max(data.x) - min(data.x)) or 1.0
    order = sorted(range(len(data.x)), key=lambda i: data.x[i])
    below = False
    previous = None
    for i in order:
        below = (not below) if previous is not None and data.x[i] - previous < 0.08 * span else False
        previous = data.x[i]
        radius = (areas[i] ** 0.5) / 2 + 4
        dy = -radius if below else radius
        ax.annotate(
            f"{data.labels[i]}\n{data.size[i]:.1f} M {data.size_label.split(' ')[0]}",
            xy=(data.x[i], data.y[i]),
            xytext=(0, dy),
            textcoords="offset points",
            ha="center",
            va="top" if below else "bottom",
            fontsize=10.5,
            zorder=4,
        )
