"""The generated code of a spec as a live Python module, built in memory (never written to disk).

``archc verify`` and ``archc convert`` instantiate the models this way; the frameworks themselves are
imported by the generated code, i.e. only when a module is executed.
"""

from __future__ import annotations

import types

from archc.codegen import emit
from archc.pipeline import Compiled


def load_generated(c: Compiled, backend: str) -> types.ModuleType:
    """Emit the backend's source for ``c`` and execute it as a fresh module."""
    source = emit(c, backend)
    module = types.ModuleType(f"archc_generated_{backend}_{c.spec.name}")
    module.__file__ = f"<archc generated {backend}/{c.loaded.key}.py>"
    exec(compile(source, module.__file__, "exec"), module.__dict__)  # noqa: S102 - archc's own output
    return module
