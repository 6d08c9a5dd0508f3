"""``archc cost --counters [--by-kind]``: the counters' figures of compiled specs, as text or JSON keys."""

from __future__ import annotations

from archc.counters import render
from archc.counters.count import count
from archc.pipeline import Compiled
from archc.reports import text as fmt


def json_keys(c: Compiled, by_kind: bool) -> dict:
    """``counters`` (tool → figure), ``counter_forms`` (code form → tools) and with ``by_kind``
    ``counters_by_kind`` (tool → {op kind → figure}, every kind the model has)."""
    figs = count(c.graph)
    doc = {"counters": figs.totals, "counter_forms": figs.forms}
    if by_kind:
        doc["counters_by_kind"] = figs.by_kind
    return doc


def text(compiled: list[Compiled], by_kind: bool) -> str:
    figures = [(c, count(c.graph)) for c in compiled]
    rows = [(c.loaded.key, fmt.shape(c.graph.nodes[c.graph.graph["input"]]["shape"]), f) for c, f in figures]
    parts = [
        "What each counter prints for the PyTorch model (batch 1, eval mode; a timm- or torchvision-named spec: "
        "the library's own model):",
        render.figures_table(rows),
    ]
    if by_kind:
        for c, f in figures:
            parts += ["", f"{c.loaded.key} · per op kind (in/out: input/output elements)", render.by_kind_table(f)]
    forms: dict[str, list[str]] = {}
    for _, f in figures:
        for name, tools in f.forms.items():
            forms.setdefault(name, [])
            forms[name] += [t for t in tools if t not in forms[name]]
    parts += ["", render.legend(), "", render.notes(forms)]
    return "\n".join(parts)
