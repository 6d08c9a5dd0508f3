"""``archc compare --measure``: the comparison's rows plus measured columns, one set per backend.

Each spec is measured as ``archc bench`` measures it (same settings, one fresh process per spec and
backend) and its row gains ``{backend}_img_per_s``, ``{backend}_ms_per_step``, ``{backend}_macs_per_s``
(achieved) and ``{backend}_peak_mem_bytes``. ``--sort`` takes those keys, or the short ``img_per_s``,
``ms_per_step``, ``macs_per_s``, ``peak_mem`` for the first backend measured; ``--plot`` then draws measured
throughput against MACs, the ranking MACs alone cannot give.
"""

from __future__ import annotations

from dataclasses import dataclass

from archc.bench.options import Settings
from archc.pipeline import Compiled
from archc.reports import text as render
from archc.reports.comparison import Comparison

# short key → (row key suffix, column header, format)
FIGURES = {
    "img_per_s": ("img_per_s", "img/s", lambda v: f"{v:,.1f}"),
    "ms_per_step": ("ms_per_step", "ms/step", lambda v: f"{v:,.1f}"),
    "macs_per_s": ("macs_per_s", "MAC/s", lambda v: render.scaled(v, "").rstrip()),
    "peak_mem": ("peak_mem_bytes", "peak mem", lambda v: f"{v / 2**20:,.0f} MiB"),
}


@dataclass(frozen=True)
class MeasuredComparison(Comparison):
    backends: tuple[str, ...] = ()
    settings: Settings | None = None
    device_name: str = ""

    @property
    def measured_keys(self) -> list[str]:
        return [f"{b}_{suffix}" for b in self.backends for suffix, _, _ in FIGURES.values()]

    @property
    def columns(self) -> list[str]:
        return [*super().columns, *self.measured_keys]

    @property
    def measured_columns(self) -> list[tuple[str, str]]:
        """(key, header) of the measured columns, for :mod:`archc.reports.comparison_text`."""
        return [(f"{b}_{suffix}", f"{head} ({b})") for b in self.backends for suffix, head, _ in FIGURES.values()]

    def format_cell(self, key: str, row: dict) -> str | None:
        """The text of a measured cell; None for the other columns."""
        for b in self.backends:
            for suffix, _, fmt in FIGURES.values():
                if key == f"{b}_{suffix}":
                    return fmt(row[key])
        return None

    def measured_caption(self) -> str:
        s = self.settings
        mode = "train steps (forward + backward + SGD)" if s.train else "inference"
        return (
            f"measured on {s.device} ({self.device_name}): {mode}, batch {s.batch}, {s.warmup} warm-up step(s), "
            f"median of {s.repeats} repeats of {s.steps} steps; MAC/s = MACs × img/s"
            + (" × 3" if s.train else "")
            + "; peak mem: "
            + ("device max allocated" if s.device == "cuda" else "peak RSS of the measuring process")
        )


def is_measured_sort(key: str | None) -> bool:
    name = (key or "").lstrip("-")
    return name in FIGURES or any(name.endswith("_" + suffix) for suffix, _, _ in FIGURES.values())


def add_measurements(result: Comparison, compiled: list[Compiled], settings: Settings, progress=None):
    """Measure every spec of ``result`` with every backend of ``settings``; a :class:`MeasuredComparison`."""
    from archc.bench.runner import measure

    rows = {r["label"]: r for r in result.rows}
    device_name = ""
    for m in measure(compiled, settings, progress):
        row = rows[m["label"]]
        device_name = m["device_name"] or device_name
        row[f"{m['backend']}_img_per_s"] = m["images_per_s"]["median"]
        row[f"{m['backend']}_ms_per_step"] = m["step_ms"]["median"]
        row[f"{m['backend']}_macs_per_s"] = m["achieved_macs_per_s"]
        row[f"{m['backend']}_peak_mem_bytes"] = m["peak_memory_bytes"]
    return MeasuredComparison(result.rows, result.baseline, result.error_keys, settings.backends, settings, device_name,
                              counter=result.counter)  # fmt: skip


def sort_rows(result: MeasuredComparison, key: str) -> MeasuredComparison:
    """Rows sorted by a measured figure (``-`` prefix: descending)."""
    descending, name = key.startswith("-"), key.lstrip("-")
    if name in FIGURES:
        name = f"{result.backends[0]}_{FIGURES[name][0]}"
    if name not in result.measured_keys:
        raise ValueError(f"unknown measured sort key {key!r}; use one of {', '.join(result.measured_keys)}")
    rows = sorted(result.rows, key=lambda r: (r[name], r["label"]), reverse=descending)
    return MeasuredComparison(rows, result.baseline, result.error_keys, result.backends, result.settings,
                              result.device_name, counter=result.counter)  # fmt: skip


def chart_data(result: MeasuredComparison):
    """Measured throughput (first backend) against MACs, bubble area ∝ params (for ``--plot``)."""
    from archc.reports.plot import ChartData, unit

    backend = result.backends[0]
    fx, px = unit([r["macs"] for r in result.rows])
    s = result.settings
    return ChartData(
        "throughput",
        [r["label"] for r in result.rows],
        [r["macs"] / fx for r in result.rows],
        [r[f"{backend}_img_per_s"] for r in result.rows],
        [r["params"] for r in result.rows],
        "params",
        f"compute per image ({px}MACs, multiply-accumulates)",
        f"measured {'training' if s.train else 'inference'} throughput (images/s)",
        "Measured throughput vs compute",
        f"{backend} on {s.device} ({result.device_name}), batch {s.batch}; bubble area ∝ parameters",
        "",
    )
