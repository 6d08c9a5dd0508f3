"""Evaluate the counter rules on a compiled IR: each tool's figure, per op kind, and the code forms it rests on.

Pre: IR after the ``cost`` pass (every node has ``shape`` and ``macs``). Batch 1, the spec's input size.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx

from archc.counters.rules import FORMS, KINDS, RULES, Rule, rules_for
from archc.counters.terms import TERMS, explicit_padding, kind_of
from archc.ir.graph import operands
from archc.ir.naming import pytorch_profile


@dataclass
class CounterFigures:
    totals: dict[str, int]  # tool → figure
    by_kind: dict[str, dict[str, int]]  # tool → {kind: figure}, kinds in KINDS order, only kinds the IR has
    forms: dict[str, list[str]] = field(default_factory=dict)  # code form → tools whose figure depends on it

    def notes(self) -> list[tuple[str, str, list[str]]]:
        """(form, text, tools) for every code form a non-zero or form-dependent count of this model rests on."""
        return [(name, FORMS[name], self.forms[name]) for name in FORMS if name in self.forms]


def rule_value(rule: Rule, op: str, attrs: dict, ins: list, out: tuple, macs: int) -> int:
    total = 0
    for c in rule.counts:
        total += c.times * (macs if c.term == "macs" else TERMS[c.term](op, attrs, ins, out))
    return total


# A code form that only some ops of a kind take (the others' counts do not depend on it).
APPLIES = {"explicit-pad": explicit_padding}


def count(
    g: nx.DiGraph, tools: list[str] | None = None, versions: dict[str, str] | None = None, code: str | None = None
) -> CounterFigures:
    """Every tool's figure (``tools``: a subset of :data:`~archc.counters.rules.RULES`, default all), with the
    rules of the pinned versions or of ``versions`` (tool → a version in ``OTHER_VERSIONS``), for the model
    written as ``code``'s library writes it (default: the spec's PyTorch naming profile)."""
    tools = list(RULES) if tools is None else tools
    rules = {t: rules_for(t, (versions or {}).get(t)) for t in tools}
    by_kind = {t: {} for t in tools}
    forms: dict[str, list[str]] = {}
    profile = code or pytorch_profile(g)  # the library whose code the model is written as (counts follow code)
    for node, d in g.nodes(data=True):
        kind = kind_of(d["op"], d["attrs"], d.get("role"), profile, g.graph.get("family", ""))
        ins = [g.nodes[p]["shape"] for p in operands(g, node)]
        for tool in tools:
            rule = rules[tool][kind]
            value = rule_value(rule, d["op"], d["attrs"], ins, d["shape"], d["macs"])
            by_kind[tool][kind] = by_kind[tool].get(kind, 0) + value
            for form in rule.forms:
                if form in APPLIES and not APPLIES[form](d["op"], d["attrs"]):
                    continue
                users = forms.setdefault(form, [])
                if tool not in users:
                    users.append(tool)
    order = {k: i for i, k in enumerate(KINDS)}
    by_kind = {t: dict(sorted(v.items(), key=lambda kv: order[kv[0]])) for t, v in by_kind.items()}
    totals = {t: sum(v.values()) for t, v in by_kind.items()}
    return CounterFigures(totals, by_kind, {f: sorted(u, key=tools.index) for f, u in forms.items()})
