"""The PyTorch backend: ``emit(compiled) -> str``, the whole text of ``generated/pytorch/<spec>.py``.

Decisions live in the view model (:mod:`view`: the model class; :mod:`blocks`: one class per block
definition, printed from the block model; :mod:`stages`: ``_make_layer`` and the initialisation; one
printer per op outside blocks in :mod:`printers`); the template ``templates/model.py.j2`` only loops and
prints. The output is already formatted the way ``ruff format`` would format it (tested), and
byte-identical across runs. What PyTorch cannot express is a :class:`SpecError` E403 located in the spec.
"""

from __future__ import annotations

from pathlib import Path

from archc.backends.templating import environment

from archc.diagnostics import Diagnostic, SpecError
from archc.pipeline import Compiled

from .printers import EmitError

TEMPLATES = Path(__file__).resolve().parent / "templates"


def emit(compiled: Compiled) -> str:
    from .view import build_view

    try:
        view = build_view(compiled)
    except EmitError as exc:
        mark = compiled.loaded.marks.value(exc.origin)
        help = "use the Keras backend (--backend keras) for this spec, or change the spec"
        raise SpecError([Diagnostic(mark.path, mark.line, mark.col, "E403", f"pytorch: {exc}", help)]) from None
    return environment(TEMPLATES).get_template("model.py.j2").render(view=view)


__all__ = ["emit", "EmitError"]
