"""Printing Python source: literals, calls and statements laid out the way ``ruff format`` lays them out.

Only values that archc computed are printed (numbers, tuples, names checked by the spec schema); nothing
from a spec is pasted into code unquoted. :class:`Code` marks an expression that the emitter wrote itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from archc.backends.pyformat import INDENT, LINE_LENGTH, wrap


@dataclass(frozen=True)
class Code:
    """A Python expression written by the emitter (a variable, ``4 * filters``, an f-string)."""

    text: str


def literal(value) -> str:
    """Python source of a literal: ints, floats, bools, None, strings (double quotes), tuples, Code."""
    if isinstance(value, Code):
        return value.text
    if value is None or isinstance(value, bool | float):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, tuple):
        items = [literal(v) for v in value]
        return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
    raise TypeError(f"cannot print {type(value).__name__} {value!r} as a literal")


def _fpart(text: str) -> str:
    return json.dumps(text)[1:-1].replace("{", "{{").replace("}", "}}")


def fstring(prefix: str, var: str, suffix: str) -> Code:
    """``f"{name}_1_conv"``, ``f"conv2_block{i}"``: a name built from a variable."""
    return Code(f'f"{_fpart(prefix)}{{{var}}}{_fpart(suffix)}"')


def arguments(args: tuple, kwargs: tuple) -> list[str]:
    return [literal(v) for v in args] + [f"{k}={literal(v)}" for k, v in kwargs]


def call_statement(target: str, func: str, args: list[str], tail: str, indent: int) -> list[str]:
    """``target = func(args)tail`` as lines (relative to ``indent`` levels), wrapped like ruff format."""
    head = f"{target} = {func}(" if target else f"{func}("
    one = f"{head}{', '.join(args)}){tail}"
    width = len(INDENT) * indent + len(one)
    if tail and width > LINE_LENGTH >= width - len(tail) + 1:  # ruff splits the last call first
        return [one[: len(one) - len(tail) + 1], INDENT + tail[1:-1], tail[-1]]
    return wrap(head, args, f"){tail}", indent)
