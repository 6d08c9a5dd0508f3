"""Lines of generated Python laid out the way ``ruff format`` lays them out, for both backends: a call or
signature on one line if it fits, else its arguments on one line of their own, else one per line."""

from __future__ import annotations

LINE_LENGTH = 120  # the project's ruff line length (pyproject.toml)
INDENT = "    "


def wrap(head: str, args: list[str], tail: str, indent: int) -> list[str]:
    """``head + args + tail`` as lines relative to ``indent`` levels: one line if it fits, else the
    arguments on one line of their own, else one per line with a trailing comma."""
    pad = len(INDENT) * indent
    one = f"{head}{', '.join(args)}{tail}"
    if pad + len(one) <= LINE_LENGTH:
        return [one]
    hugged = INDENT + ", ".join(args)
    if pad + len(hugged) <= LINE_LENGTH:
        return [head, hugged, tail]
    return [head, *(f"{INDENT}{a}," for a in args), tail]


def indented(lines: list[str], levels: int = 1) -> list[str]:
    """``lines`` indented ``levels`` levels."""
    return [INDENT * levels + line for line in lines]
