"""The columns of a sweep's rows, and how a row is written to (and read back from) CSV and JSON lines.

A row: ``variant`` (its index in the space), one column per ``--vary`` key (its value), the exact integer
costs (:data:`archc.sweep.run.METRICS`), then — in a measured sweep — per backend measured
``{backend}_img_per_s``, ``{backend}_ms_per_step``, ``{backend}_macs_per_s``, ``{backend}_peak_mem_bytes``
(the keys of ``archc compare --measure``), ``device_name``, ``status`` (``ok``, ``failed`` with ``error``, or
``filtered``: measured, then rejected by a ``--where`` on a measured column), and last ``pareto`` (empty
while the sweep runs, ``true``/``false`` once it completes) and ``key`` (:func:`archc.sweep.run.variant_key`).
"""

from __future__ import annotations

from dataclasses import dataclass

from archc.sweep.run import METRICS

MEASURED = (("img_per_s", float), ("ms_per_step", float), ("macs_per_s", float), ("peak_mem_bytes", int))
STATUS = ("device_name", "status", "error")


@dataclass(frozen=True)
class Columns:
    axes: tuple[str, ...]
    backends: tuple[str, ...] = ()  # measured backends; () for a sweep that only costs

    @property
    def measured(self) -> list[str]:
        return [f"{b}_{suffix}" for b in self.backends for suffix, _ in MEASURED]

    @property
    def costed(self) -> list[str]:
        """The columns known before anything is measured (``--where`` on them decides what is measured)."""
        return ["variant", *self.axes, *METRICS]

    @property
    def names(self) -> list[str]:
        extra = [*self.measured, *STATUS] if self.backends else []
        return [*self.costed, *extra, "pareto", "key"]

    def types(self) -> dict:
        out = {"variant": int, **{m: int for m in METRICS}}
        out |= {f"{b}_{suffix}": kind for b in self.backends for suffix, kind in MEASURED}
        return out


def cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def row_reader(columns: Columns, values: dict[str, tuple]):
    """A function from a CSV record (cells in ``columns.names`` order) to the typed row (``values``: each axis's
    values, to read an axis cell back exactly); the conversions are chosen once, not per cell."""
    types = columns.types()
    convert = []
    for name in columns.names:
        if name in values:
            table = {cell(v): v for v in values[name]}
            convert.append(lambda text, table=table: table.get(text, text))
        elif name == "pareto":
            convert.append({"true": True, "false": False}.get)
        else:
            kind = types.get(name, str)
            convert.append(lambda text, kind=kind: None if text == "" else kind(text))
    names = columns.names
    return lambda record: {name: f(text) for name, f, text in zip(names, convert, record)}
