"""``archc compare --plot``: a chart of a :class:`~archc.reports.comparison.Comparison` (matplotlib, extra ``plot``).

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

from archc.files import atomic_save
from archc.reports.comparison import Comparison

ERROR_PREFERENCE = (
    ("top1_error", "top-1 error (%)", "ImageNet validation"),
    ("cifar10_error", "CIFAR-10 test error (%)", "CIFAR-10 test set"),
    ("top5_error", "top-5 error (%)", "ImageNet validation"),
)


@dataclass(frozen=True)
class ChartData:
    kind: str  # "error" or "bubble"
    labels: list[str]
    x: list[float]  # in the axis unit (e.g. GMACs)
    y: list[float]
    size: list[int]  # the raw count bubble areas are proportional to
    size_name: str  # "params" or "activations"
    xlabel: str
    ylabel: str
    title: str
    subtitle: str
    note: str  # specs left out, if any


def unit(values: list[float]) -> tuple[float, str]:
    """(divisor, prefix) that puts the largest value between 1 and 1000: (1e9, "G"), (1e6, "M"), …"""
    top = max(values, default=0)
    return next(((f, p) for f, p in ((1e9, "G"), (1e6, "M"), (1e3, "K")) if top >= f), (1.0, ""))


def short(n: int) -> str:
    """``25.6 M``, ``270 K``: a count for a point label."""
    f, p = unit([n])
    return f"{n / f:.1f} {p}" if n / f < 100 else f"{n / f:.0f} {p}"


def compute_axis(result: Comparison, prefix: str) -> str:
    """The compute axis label: MACs, or the counter ``archc compare --counter`` ranks by."""
    if result.counter == "macs":
        return f"compute per image ({prefix}MACs, multiply-accumulates)"
    from archc.counters.rules import TOOLS

    return f"compute per image ({prefix}{TOOLS[result.counter].unit} as {result.counter} counts)"


def chart_data(result: Comparison) -> ChartData:
    """What to draw: the axis quantities and labels (pure data, tested without matplotlib)."""
    compute = result.counter
    for key, ylabel, where in ERROR_PREFERENCE:
        rows = [r for r in result.rows if r.get(key) is not None]
        if len(rows) >= 2:
            left = [r["label"] for r in result.rows if r.get(key) is None]
            note = f"not plotted (no {key} in metadata): {', '.join(left)}" if left else ""
            fx, px = unit([r[compute] for r in rows])
            return ChartData(
                "error",
                [r["label"] for r in rows],
                [r[compute] / fx for r in rows],
                [r[key] for r in rows],
                [r["params"] for r in rows],
                "params",
                compute_axis(result, px),
                ylabel,
                "Error vs compute",
                f"error rates as declared in the specs' metadata ({where}); bubble area ∝ parameters",
                note,
            )
    rows = result.rows
    fx, px = unit([r["params"] for r in rows])
    fy, py = unit([r[compute] for r in rows])
    return ChartData(
        "bubble",
        [r["label"] for r in rows],
        [r["params"] / fx for r in rows],
        [r[compute] / fy for r in rows],
        [r["activations"] for r in rows],
        "activations",
        f"parameters ({ {'G': 'billions', 'M': 'millions', 'K': 'thousands'}.get(px, 'count') })",
        compute_axis(result, py),
        "Compute vs parameters",
        "bubble area ∝ activations per image (output elements of every layer)",
        "",
    )


def plot_comparison(result: Comparison, path: str | Path, data: ChartData | None = None) -> Path:
    """Draw the chart into ``path`` (.png or .svg); ``data``: another chart of the rows (``--measure``)."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    data = data or chart_data(result)
    with matplotlib.rc_context(_STYLE):
        fig = Figure(figsize=(9, 5.6), dpi=150, layout="constrained")
        FigureCanvasAgg(fig)  # a renderer to measure labels with (no pyplot, no GUI)
        ax = fig.add_subplot()
        _draw(ax, data)
        path = Path(path)
        kind = path.suffix.lower()
        metadata = {"Date": None} if kind == ".svg" else {"Software": None}
        atomic_save(path, lambda tmp: fig.savefig(tmp, format=kind[1:], metadata=metadata), suffix=kind)
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
    ax.set_xlabel(data.xlabel)
    ax.set_ylabel(data.ylabel)
    ax.set_title(data.title, loc="left", pad=26)
    ax.annotate(data.subtitle, xy=(0.0, 1.02), xycoords="axes fraction", fontsize=10.5, color="0.3")
    ax.margins(x=0.18, y=0.2)
    if data.kind == "throughput":
        ax.annotate("↑ higher is better", xy=(0.99, 0.97), xycoords="axes fraction", ha="right", va="top", color="0.35")
    if data.kind == "error":
        ax.annotate("↓ lower is better", xy=(0.99, 0.97), xycoords="axes fraction", ha="right", va="top", color="0.35")
    if data.note:
        ax.annotate(data.note, xy=(0.0, -0.16), xycoords="axes fraction", fontsize=9, color="0.35")
    _label_points(ax, data, areas)


def _label_points(ax, data: ChartData, areas: list[float]) -> None:
    """Name and size beside each bubble, at the first of above / below / right / left that overlaps no
    label placed before and no bubble (measured with the renderer after the layout is fixed)."""
    fig = ax.figure
    fig.canvas.draw()
    fig.set_layout_engine("none")  # freeze the layout: the measurements below stay valid
    renderer = fig.canvas.get_renderer()
    scale = fig.dpi / 72.0
    centres = ax.transData.transform(list(zip(data.x, data.y)))
    radii = [(a**0.5) / 2 * scale for a in areas]
    blocked = [_box(c, r) for c, r in zip(centres, radii)]
    frame = ax.get_window_extent(renderer)
    for i in sorted(range(len(data.x)), key=lambda i: (-data.y[i], data.x[i])):
        r = (areas[i] ** 0.5) / 2 + 4
        options = [((0, r), "center", "bottom"), ((0, -r), "center", "top"), ((r, 0), "left", "center"),
                   ((-r, 0), "right", "center")]  # fmt: skip
        for n, (offset, ha, va) in enumerate(options):
            text = ax.annotate(
                f"{data.labels[i]}\n{short(data.size[i])} {data.size_name}".replace("  ", " "),
                xy=(data.x[i], data.y[i]), xytext=offset, textcoords="offset points",
                ha=ha, va=va, fontsize=10.5, zorder=4,
            )  # fmt: skip
            box = text.get_window_extent(renderer).padded(2)
            others = [b for j, b in enumerate(blocked) if j != i]
            inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
            if (inside and not any(box.overlaps(b) for b in others)) or n == len(options) - 1:
                blocked.append(box)
                break
            text.remove()


def _box(centre, radius):
    from matplotlib.transforms import Bbox

    (x, y) = centre
    return Bbox([[x - radius, y - radius], [x + radius, y + radius]])
