"""Block kinds: one generated Python function per distinct block structure, found from the IR alone.

A block instance is the Keras calls of one ``("stage", s, b)`` scope. Instances whose calls have the same
structure (layer classes, argument keys, wiring, main path / shortcut) share a *kind*. Every argument that
is the same in all instances of a kind is printed as a literal; one that varies is written in terms of the
block's ``filters`` (the stage width) or ``stride`` when that fits every instance, else it becomes a
parameter of its own. Layer names become ``f"{name}_1_conv"`` from the block's common name prefix.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from archc.backends.keras.printers import Call, is_default
from archc.backends.keras.pycode import Code, fstring, literal

IN = "in"  # the local id of a block's input value
OMIT = object()  # a keyword argument left out (its Keras default in every instance)


@dataclass
class Instance:
    scope: tuple
    calls: list[Call]
    input: str  # value id of the block input
    output: str  # value id of the block output
    main: list[bool]  # per call: on the main path (else the shortcut branch)
    role: list[str]  # per call: the IR role of the node it prints
    variables: dict[str, int]  # "filters", "stride" of this block
    name: str = ""  # the common prefix of its layer names ("conv2_block1")

    def local(self, value: str):
        return IN if value == self.input else next(i for i, c in enumerate(self.calls) if c.output == value)

    def signature(self) -> tuple:
        calls = tuple(
            (c.func, c.layer, len(c.args), tuple(k for k, _ in c.kwargs), tuple(map(self.local, c.inputs)), m)
            for c, m in zip(self.calls, self.main)
        )
        return calls, self.local(self.output)


@dataclass
class Kind:
    """One generated block function."""

    fname: str
    instances: list[Instance]
    params: list[str] = field(default_factory=list)  # after ``x``, before ``name``
    slots: dict = field(default_factory=dict)  # (call index, slot) → printed value
    fallback: dict = field(default_factory=dict)  # param → [value per instance]
    uses_name: bool = False  # layer names are built from a ``name`` parameter


def block_name(names: list[str]) -> str:
    """The common ``_``-delimited prefix of a block's layer names: ``conv2_block1``."""
    if not names:
        return ""
    common = os.path.commonprefix(names)
    if all(n.startswith(common + "_") for n in names):
        return common
    cut = common.rfind("_")
    return common[:cut] if cut > 0 else ""


def group_kinds(instances: list[Instance], base: str) -> list[Kind]:
    """Instances grouped by signature, in order of first use; each kind parameterised and printed."""
    by_sig: dict[tuple, Kind] = {}
    for inst in instances:
        inst.name = block_name([c.name for c in inst.calls if c.name])
        by_sig.setdefault(inst.signature(), Kind("", [])).instances.append(inst)
    kinds = list(by_sig.values())
    _name_kinds(kinds, base)
    for kind in kinds:
        _parameterise(kind)
    return kinds


# Structural features that tell kinds of one family apart, in the order they appear in function names.
_FEATURES = (
    ("projection", lambda inst: "down_conv" in inst.role),
    ("padded", lambda inst: any(c.func == "layers.ZeroPadding2D" for c in inst.calls)),
    ("zero_pad", lambda inst: "pad" in inst.role or "subsample" in inst.role),
)


def _name_kinds(kinds: list[Kind], base: str) -> None:
    features = [{word for word, test in _FEATURES if test(k.instances[0])} for k in kinds]
    common = set.intersection(*features) if features else set()
    taken: set[str] = set()
    for kind, feats in zip(kinds, features):
        words = [w for w, _ in _FEATURES if w in feats and w not in common]
        stem = "_".join([base, *words, "block"])
        fname, n = stem, 2
        while fname in taken:
            fname, n = f"{stem}{n}", n + 1
        taken.add(fname)
        kind.fname = fname


def _same_value(values: list) -> bool:
    return all((type(v), v) == (type(values[0]), values[0]) for v in values)


def _express(values: list, instances: list[Instance]):
    """A shared expression for values that vary across instances (tuples element by element), or None."""
    if all(isinstance(v, tuple) and len(v) == len(values[0]) for v in values) and values[0]:
        parts = []
        for column in zip(*values):
            column = list(column)
            part = Code(literal(column[0])) if _same_value(column) else _express(column, instances)
            if part is None:
                return None
            parts.append(part)
        return Code(literal(tuple(parts)))
    if not all(type(v) is int for v in values):
        return None
    filters = [inst.variables["filters"] for inst in instances]
    strides = [inst.variables["stride"] for inst in instances]
    for candidate, test in (
        ("filters", lambda v, f: v == f),
        ("{k} * filters", lambda v, f: v % f == 0),
        ("filters // {k}", lambda v, f: v and f % v == 0),
    ):
        if all(test(v, f) for v, f in zip(values, filters)):
            ratios = {max(v, f) // min(v, f) for v, f in zip(values, filters)}
            if len(ratios) == 1:
                return Code(candidate.format(k=ratios.pop()))
    if values == strides:
        return Code("stride")
    return None


def _parameterise(kind: Kind) -> None:
    first = kind.instances[0]
    used: set[str] = set()
    for i, call in enumerate(first.calls):
        slots = [(("arg", j), lambda c, j=j: c.args[j]) for j in range(len(call.args))]
        slots += [(("kw", key), lambda c, j=j: c.kwargs[j][1]) for j, (key, _) in enumerate(call.kwargs)]
        for slot, get in slots:
            values = [get(inst.calls[i]) for inst in kind.instances]
            if _same_value(values):
                kind.slots[i, slot] = (
                    OMIT if slot[0] == "kw" and is_default(call.func, slot[1], values[0]) else values[0]
                )
                continue
            expr = _express(values, kind.instances)
            if expr is None:
                expr = _fallback(kind, first.role[i], slot, values)
            used.update(w for w in ("filters", "stride") if re.search(rf"\b{w}\b", expr.text))
            kind.slots[i, slot] = expr
        kind.slots[i, "name"] = _name_slot(kind, i)
    kind.params = [p for p in ("filters", "stride") if p in used] + list(kind.fallback)


def _fallback(kind: Kind, role: str, slot: tuple, values: list) -> Code:
    param = re.sub(r"\W", "_", f"{role}_{slot[1] if slot[0] == 'kw' else f'arg{slot[1]}'}")
    while param in kind.fallback or param in ("filters", "stride", "name", "x"):
        param += "_"
    kind.fallback[param] = values
    return Code(param)


def _name_slot(kind: Kind, i: int):
    names = [inst.calls[i].name for inst in kind.instances]
    if names[0] is None:
        return None
    suffixes = {
        n[len(inst.name) :] if inst.name and n.startswith(inst.name) else None for n, inst in zip(names, kind.instances)
    }
    if len(suffixes) == 1 and None not in suffixes:
        kind.uses_name = True
        return fstring("", "name", suffixes.pop())
    if _same_value(names):
        return names[0]
    role = kind.instances[0].role[i]
    return _fallback(kind, role, ("kw", "name"), names)


def call_args(kind: Kind, inst: Instance) -> list[str]:
    """The arguments after ``x`` at the call site of one instance."""
    out = []
    for p in kind.params:
        if p in kind.fallback:
            value = kind.fallback[p][kind.instances.index(inst)]
        else:
            value = inst.variables[p]
        out.append(literal(value) if p == "filters" else f"{p}={literal(value)}")
    return out
