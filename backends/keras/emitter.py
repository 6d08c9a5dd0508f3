"""Keras backend: ``emit(compiled) -> str``, the whole generated file (a keras.applications-style module).

Decisions live in the view model (:mod:`archc.backends.keras.view`); the jinja2 template only loops and
prints (StrictUndefined: a missing value is an error, never an empty string).
"""

from __future__ import annotations

from pathlib import Path

from archc.backends.templating import environment

from archc.diagnostics import Diagnostic, SpecError
from archc.pipeline import Compiled

TEMPLATES = Path(__file__).resolve().parent / "templates"


def emit(compiled: Compiled) -> str:
    """The generated file's text; :class:`SpecError` E403, located in the spec, for what Keras cannot express."""
    from archc.backends.keras.printers import Unsupported
    from archc.backends.keras.view import build_view

    try:
        if compiled.spec.family == "convnext":  # keras.applications' ConvNeXt layout
            from archc.backends.keras import convnext

            view = convnext.build_view(compiled)
        else:
            view = build_view(compiled)
    except Unsupported as exc:
        mark = compiled.loaded.marks.value(exc.origin or compiled.graph.nodes[exc.node]["origin"])
        help = "use the PyTorch backend (--backend pytorch) for this spec, or change the spec"
        raise SpecError([Diagnostic(mark.path, mark.line, mark.col, "E403", f"keras: {exc.message}", help)]) from None
    return environment(TEMPLATES).get_template("model.py.j2").render(m=view)
