"""How both backends lay out a generated file: rendered from its jinja2 template by :func:`environment`, calls
and signatures wrapped the way ``ruff format`` wraps them (:func:`wrap`)."""

from __future__ import annotations

import functools
from pathlib import Path

LINE_LENGTH = 120  # the project's ruff line length (pyproject.toml)
INDENT = "    "


@functools.cache
def environment(folder: Path):
    """The jinja2 environment of a template folder, one per process (templates compile once): strict (undefined
    names are errors), no autoescape, whitespace control on."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


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
