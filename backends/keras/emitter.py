"""Keras backend: ``emit(compiled) -> str``, the whole generated file (a keras.applications-style module).

Decisions live in the view model (:mod:`archc.backends.keras.view`); the jinja2 template only loops and
prints (StrictUndefined: a missing value is an error, never an empty string).
"""

from __future__ import annotations

import functools
from pathlib import Path

from archc.pipeline import Compiled

TEMPLATES = Path(__file__).resolve().parent / "templates"


@functools.cache  # one Environment per process: the template is parsed and compiled once, not per spec
def _environment():
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


def emit(compiled: Compiled) -> str:
    from archc.backends.keras.view import build_view

    return _environment().get_template("model.py.j2").render(m=build_view(compiled))
