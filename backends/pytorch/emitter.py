"""The PyTorch backend: ``emit(compiled) -> str``, the whole text of ``generated/pytorch/<spec>.py``.

Decisions live in the view model (:mod:`view`, :mod:`blocks`, :mod:`scope`, one printer per op in
:mod:`printers`); the template ``templates/model.py.j2`` only loops and prints. The output is already
formatted the way ``ruff format`` would format it (tested), and byte-identical across runs.
"""

from __future__ import annotations

import functools
from pathlib import Path

from archc.pipeline import Compiled

from .exprs import EmitError

TEMPLATES = Path(__file__).resolve().parent / "templates"


@functools.cache  # one Environment per process: the template is parsed and compiled once, not per spec
def _environment():
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


def emit(compiled: Compiled) -> str:
    from .view import build_view

    return _environment().get_template("model.py.j2").render(view=build_view(compiled))


__all__ = ["emit", "EmitError"]
