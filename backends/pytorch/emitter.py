"""The PyTorch backend: ``emit(compiled) -> str``, the whole text of ``generated/pytorch/<spec>.py``.

Decisions live in the view model (:mod:`view`, :mod:`blocks`, :mod:`scope`, one printer per op in
:mod:`printers`); the template ``templates/model.py.j2`` only loops and prints. The output is already
formatted the way ``ruff format`` would format it (tested), and byte-identical across runs.
"""

from __future__ import annotations

from pathlib import Path

from archc.backends.templating import environment

from archc.pipeline import Compiled

from .exprs import EmitError

TEMPLATES = Path(__file__).resolve().parent / "templates"


def emit(compiled: Compiled) -> str:
    from .view import build_view

    return environment(TEMPLATES).get_template("model.py.j2").render(view=build_view(compiled))


__all__ = ["emit", "EmitError"]
