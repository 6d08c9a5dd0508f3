"""The comparison model behind ``archc compare``: one row per spec, ratios against the first, sorting.

A row holds exact integers (params, MACs, FLOPs, activations, depth) and the error rates a spec declares
in its ``metadata`` (the papers' Table 3 / Table 6 figures; archc does not compute accuracy). Ratios are
against the first spec *as given on the command line* (the baseline), also after ``--sort``.
Renderers (:mod:`archc.reports.comparison_text`) only format these rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from archc.counters.count import count
from archc.counters.rules import TOOLS
from archc.pipeline import Compiled
from archc.reports.summary import summary

# Error rates (percent) a spec may declare in its metadata, with their column headers.
ERROR_KEYS = {"top1_error": "top-1 err %", "top5_error": "top-5 err %", "cifar10_error": "CIFAR-10 err %"}
COST_KEYS = ("depth", "params", "macs", "flops", "activations")
# In the JSON / CSV rows too, under the names `archc cost` and `archc sweep` use (not sort keys: params decides).
SIZE_KEYS = ("buffers", "keras_params")
RATIO_KEYS = ("params", "macs")
COUNTERS = tuple(t for t in TOOLS if t not in COST_KEYS)  # `archc compare --counter NAME` adds a column
SORT_KEYS = ("label", "name", *COST_KEYS, *ERROR_KEYS, *COUNTERS)


@dataclass(frozen=True)
class Comparison:
    rows: list[dict]  # in display order
    baseline: str  # label of the spec the ratios divide by
    error_keys: list[str]  # error columns at least one spec declares, in ERROR_KEYS order
    # the compute figure: a counter of :mod:`archc.counters` (``--counter``); keyword-only, so that subclasses
    # (archc.bench's MeasuredComparison) keep their positional fields
    counter: str = field(default="macs", kw_only=True)

    @property
    def columns(self) -> list[str]:
        """The keys of every row, in the order of the JSON / CSV output."""
        ratios = [f"{k}_ratio" for k in RATIO_KEYS]
        extra = [self.counter] if self.counter in COUNTERS else []
        return ["label", "name", "spec", "depth", "params", *SIZE_KEYS, "macs", "flops", "activations", *extra,
                *ratios, *self.error_keys]  # fmt: skip


def row(c: Compiled) -> dict:
    s = summary(c)
    meta = c.spec.metadata
    # label: the built-in key (``torchvision/resnet50``) or the spec's name; names alone can repeat.
    out = {"label": c.loaded.key, "name": s["name"], "spec": s["spec"], **{k: s[k] for k in COST_KEYS + SIZE_KEYS}}
    out.update({k: getattr(meta, k) for k in ERROR_KEYS})
    return out


def parse_sort(key: str) -> tuple[str, bool]:
    """``macs`` (ascending) or ``-macs`` (descending) → (key, descending). Raises ValueError."""
    descending = key.startswith("-")
    name = key.lstrip("-").lower().replace("-", "_")
    aliases = {"top1": "top1_error", "top5": "top5_error", "cifar10": "cifar10_error", "error": "top1_error"}
    name = aliases.get(name, name)
    if name not in SORT_KEYS:
        raise ValueError(f"unknown sort key {key!r}; use one of {', '.join(SORT_KEYS)} (prefix '-' to reverse)")
    return name, descending


def compare(compiled: list[Compiled], sort: str | None = None, counter: str = "macs") -> Comparison:
    """Rows for every compiled spec, with ratios against the first one, optionally sorted; ``counter`` (a
    name in :data:`archc.counters.rules.TOOLS`) adds that counter's figure, and ranks by it unless ``sort``."""
    if sort and parse_sort(sort)[0] in COUNTERS and counter == "macs":
        counter = parse_sort(sort)[0]
    rows = [row(c) for c in compiled]
    if counter in COUNTERS:
        for r, c in zip(rows, compiled):
            r[counter] = count(c.graph, [counter]).totals[counter]
        sort = sort or counter
    base = rows[0]
    for r in rows:
        for k in RATIO_KEYS:
            r[f"{k}_ratio"] = round(r[k] / base[k], 4) if base[k] else None
    if sort:
        key, descending = parse_sort(sort)
        present = [r for r in rows if r[key] is not None]
        missing = [r for r in rows if r[key] is None]  # specs without that error figure go last
        rows = sorted(present, key=lambda r: (r[key], r["label"]), reverse=descending) + missing
    errors = [k for k in ERROR_KEYS if any(r[k] is not None for r in rows)]
    for r in rows:
        for k in ERROR_KEYS:
            if k not in errors:
                del r[k]
    return Comparison(rows, base["label"], errors, counter=counter)
