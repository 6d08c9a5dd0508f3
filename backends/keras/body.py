"""Straight-line bodies: the order of the calls of a block, its variables and the printed statements.

Variables: ``x`` holds the main path and ``shortcut`` the shortcut branch. Shortcut calls are emitted as
soon as their input is ready (as keras.applications writes its blocks). A value that is read after its
variable was overwritten (the block input of an identity shortcut) is saved first: ``shortcut = x``.
"""

from __future__ import annotations

from archc.backends.keras.blocks import IN, OMIT, Kind
from archc.backends.keras.printers import Call
from archc.backends.keras.pycode import arguments, call_statement


def emission_order(inputs: list[tuple], main: list[bool]) -> list[int]:
    """Topological order of the calls; among the ready ones, shortcut calls first, then source order."""
    done, order, remaining = {IN}, [], list(range(len(inputs)))
    while remaining:
        ready = [i for i in remaining if all(v in done for v in inputs[i])]
        pick = min(ready, key=lambda i: (main[i], i))
        order.append(pick)
        done.add(pick)
        remaining.remove(pick)
    return order


def allocate(order: list[int], inputs: list[tuple], main: list[bool]) -> tuple[dict, dict]:
    """(variable of each value, saved copies: value → copy variable)."""
    var = {IN: "x", **{i: "x" if m else "shortcut" for i, m in enumerate(main)}}
    copies: dict = {}
    while True:
        clobbered = _first_clobbered(order, inputs, var, copies)
        if clobbered is None:
            return var, copies
        taken = set(var.values()) | set(copies.values())
        copies[clobbered] = next(
            n for n in ("shortcut", "identity", *(f"x{k}" for k in range(1, 99))) if n not in taken
        )


def _first_clobbered(order, inputs, var, copies):
    holder = {var[IN]: IN}
    if IN in copies:
        holder[copies[IN]] = IN
    for i in order:
        for v in inputs[i]:
            if holder.get(var[v]) != v and holder.get(copies.get(v)) != v:
                return v
        holder[var[i]] = i
        if i in copies:
            holder[copies[i]] = i
    return None


def reader(v, var: dict, copies: dict, holder: dict) -> str:
    return var[v] if holder.get(var[v]) == v else copies[v]


def statement(call: Call, args: list[str], out: str, ins: list[str], indent: int) -> list[str]:
    """``out = layers.X(args)(ins)`` or, for a plain op, ``out = keras.ops.f(ins, args)``."""
    operand = ins[0] if len(ins) == 1 else f"[{', '.join(ins)}]"
    if call.layer:
        return call_statement(out, call.func, args, f"({operand})", indent)
    return call_statement(out, call.func, [operand, *args], "", indent)


def kind_body(kind: Kind) -> list[str]:
    """The lines of a block function's body (without the ``def``), ending with ``return``."""
    inst = kind.instances[0]
    inputs = [tuple(map(inst.local, c.inputs)) for c in inst.calls]
    order = emission_order(inputs, inst.main)
    var, copies = allocate(order, inputs, inst.main)
    holder, lines = {"x": IN}, []
    if IN in copies:
        lines.append(f"{copies[IN]} = x")
        holder[copies[IN]] = IN
    for i in order:
        call = inst.calls[i]
        args = [kind.slots[i, ("arg", j)] for j in range(len(call.args))]
        kwargs = [(k, kind.slots[i, ("kw", k)]) for k, _ in call.kwargs if kind.slots[i, ("kw", k)] is not OMIT]
        if kind.slots[i, "name"] is not None:
            kwargs.append(("name", kind.slots[i, "name"]))
        ins = [reader(v, var, copies, holder) for v in inputs[i]]
        lines += statement(call, arguments(tuple(args), tuple(kwargs)), var[i], ins, 1)
        holder[var[i]] = i
        if i in copies:
            lines.append(f"{copies[i]} = {var[i]}")
            holder[copies[i]] = i
    out = inst.local(inst.output)
    lines.append(f"return {reader(out, var, copies, holder)}")
    return lines
