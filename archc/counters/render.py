"""Text of ``archc cost --counters``: one row per spec, a legend written from the rules, the code forms the
figures assume, and (``--by-kind``) each counter's figure split by op kind."""

from __future__ import annotations

import textwrap

from archc.counters.count import CounterFigures
from archc.counters.rules import FORMS, RULES, TOOLS, Rule
from archc.reports import text as render

_TERM = {"macs": "MACs", "in": "/in", "out": "/out", "bias": "bias adds", "windows": "window inputs"}


def _count_text(rule: Rule) -> str:
    """``2/in``, ``MACs + bias adds``: a rule's counts, the times of one term added up."""
    times: dict[str, int] = {}
    for c in rule.counts:
        times[c.term] = times.get(c.term, 0) + c.times
    parts = []
    for term, n in times.items():
        label = _TERM.get(term, term)
        parts.append(f"{n}{label}" if label.startswith("/") else label if n == 1 else f"{n}×{label}")
    return " + ".join(parts)


def rule_summary(tool: str) -> str:
    """``conv, linear: MACs · batchnorm: 2/in``: the kinds a tool counts, grouped by identical rules."""
    groups: dict[str, list[str]] = {}
    for kind, rule in RULES[tool].items():
        if rule.counts:
            groups.setdefault(_count_text(rule), []).append(kind)
    return " · ".join(f"{', '.join(kinds)}: {text}" for text, kinds in groups.items())


def figures_table(rows: list[tuple[str, str, CounterFigures]]) -> str:
    """``rows``: (spec label, input shape text, figures)."""
    header = ["spec", "input", *TOOLS]
    body = [[label, shape, *(render.grouped(figs.totals[t]) for t in TOOLS)] for label, shape, figs in rows]
    return render.table(header, body, right=set(range(2, len(header))))


def legend() -> str:
    lines = []
    width = max(len(f"{t} ({tool.unit})") for t, tool in TOOLS.items())
    for name, tool in TOOLS.items():
        head = f"{name} ({tool.unit})".ljust(width)
        lines.append(f"{head}  {tool.label} · {tool.version}")
        lines.append(f"{'':{width}}  {rule_summary(name)}")
    return "\n".join(lines)


def notes(forms: dict[str, list[str]]) -> str:
    """The code forms the figures rest on (what the IR cannot see), wrapped."""
    out = ["Code forms assumed (the IR cannot see how code is written; the library's code, as below):"]
    for name in FORMS:
        if name in forms:
            text = f"- {name} ({', '.join(forms[name])}): {FORMS[name]}"
            out += textwrap.wrap(text, width=116, subsequent_indent="  ")
    return "\n".join(out)


def by_kind_table(figs: CounterFigures) -> str:
    """Rows: counters; columns: total, then every op kind some counter counts in this model."""
    kinds = [k for k in next(iter(figs.by_kind.values())) if any(figs.by_kind[t][k] for t in figs.by_kind)]
    body = [
        [tool, render.grouped(figs.totals[tool]), *(_cell(figs.by_kind[tool][k]) for k in kinds)]
        for tool in figs.by_kind
    ]
    return render.table(["counter", "total", *kinds], body, right=set(range(1, len(kinds) + 2)))


def _cell(n: int) -> str:
    return render.grouped(n) if n else "-"


MATRIX_KINDS = ("conv", "linear", "batchnorm", "relu", "maxpool", "avgpool", "adaptive_avgpool", "adaptive_maxpool")


def rules_markdown() -> str:
    """The rules as a markdown matrix (README "Which number is which"): counters × the op kinds any counts."""
    lines = ["| counter | " + " | ".join(MATRIX_KINDS) + " |", "|---|" + "---|" * len(MATRIX_KINDS)]
    for tool in TOOLS:
        cells = [_count_text(RULES[tool][k]) or "0" for k in MATRIX_KINDS]
        lines.append(f"| {tool} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
