"""The methods that dataclasses generate, compiled once and kept as bytecode is.

CPython writes each method a dataclass generates (``__init__``, ``__repr__``, ``__eq__``, a frozen class's
``__setattr__`` and ``__delattr__``, …) as source text and compiles that text with ``exec`` every time the
class is defined, that is at every import: up to six compilations a class (CPython 3.11), ≈ 0.5 ms a frozen
class on a 2-core machine. ``archc cost`` defines some 130 dataclasses (archc's block model, recipes and
reader; pydantic's, annotated_types' and networkx's), so a first run spent more time compiling them than
lowering and costing ResNet-152.

The text depends only on the class's fields and options, never on a spec, so its code object is the same at
every run. The console script therefore keeps these code objects in one file beside archc's bytecode
(``archc/__pycache__/dataclass-methods.cpython-311.marshal``, under ``sys.pycache_prefix`` where one is set),
keyed by the exact source text, and compiles only a text that is not there — as the import system keeps a
module's bytecode in a ``.pyc`` and compiles the ``.py`` only when the ``.pyc`` does not match it. Each code
object is marshalled on its own and decoded when used, so a run decodes only the code it needs (``archc verify``
adds torch's and Keras' classes, some 2,000 more). The code is
what ``exec`` would have compiled (the same text, file name and flags), so the classes and their methods are
the same; only the compilation is skipped. The file is written at the end of a run that compiled something new,
atomically, unless bytecode writing is off (``PYTHONDONTWRITEBYTECODE``, ``-B``); a missing, unreadable or
foreign file (another Python, a damaged write) is an empty cache.

:func:`install` is called by :func:`archc.process.start` and :func:`save` by :func:`archc.process.end`, so
this applies to the console script (and the floor of ``benchmarks/first_run.py``), not to a program that
imports archc. The file is as trusted as archc's own ``.pyc`` files beside it; nothing of a spec goes into it.
"""

from __future__ import annotations

import marshal
import os
import sys
from importlib.util import MAGIC_NUMBER, cache_from_source
from types import CodeType

MAX_ENTRIES = 4000  # above this, a save keeps only what the run used (libraries come and go by version)

_codes: dict[str, CodeType | bytes] = {}  # text → its code, or the code marshalled (as read, not yet used)
_used: set[str] = set()
_state = {"new": False, "path": None, "read": False}


def path() -> str | None:
    """The cache file: in the folder of archc's bytecode, named for this interpreter (None where the
    interpreter keeps no bytecode cache)."""
    if sys.implementation.cache_tag is None:
        return None
    folder = os.path.dirname(cache_from_source(__file__))
    return os.path.join(folder, f"dataclass-methods.{sys.implementation.cache_tag}.marshal")


def install() -> None:
    """Make dataclasses compile each method's text at most once across runs."""
    import dataclasses

    if getattr(dataclasses, "exec", None) is _exec:
        return
    _state["path"] = path()  # read when the first class is defined
    dataclasses.exec = _exec


def uninstall() -> None:
    import dataclasses

    if getattr(dataclasses, "exec", None) is _exec:
        del dataclasses.exec


def _load(file: str | None) -> dict[str, bytes]:
    """The file's texts and their marshalled code; empty for a missing, unreadable or foreign file."""
    if file is None:
        return {}
    try:
        with open(file, "rb") as handle:
            data = handle.read()
        if not data.startswith(MAGIC_NUMBER):
            return {}
        codes = marshal.loads(data[len(MAGIC_NUMBER) :])
    except (OSError, TypeError, ValueError, EOFError):
        return {}
    if not isinstance(codes, dict):
        return {}
    return {k: v for k, v in codes.items() if isinstance(k, str) and isinstance(v, bytes)}


def _code(source: str) -> CodeType:
    """The code of one text: read back from the cache, else compiled (and added to it)."""
    if not _state["read"]:
        _state["read"] = True
        _codes.update(_load(_state["path"]))
    code = _codes.get(source)
    if isinstance(code, bytes):
        try:
            code = marshal.loads(code)
        except (ValueError, EOFError, TypeError):
            code = None
    if not isinstance(code, CodeType):
        # dont_inherit: compiled with dataclasses' flags (none), not this module's ``annotations`` future
        code = compile(source, "<string>", "exec", dont_inherit=True)
        _state["new"] = True
    _codes[source] = code
    _used.add(source)
    return code


def _exec(source, globals=None, locals=None, /) -> None:  # noqa: A002 - exec's own signature
    """``exec`` as dataclasses calls it, with the code of a text compiled once."""
    exec(_code(source) if isinstance(source, str) else source, globals, locals)  # noqa: S102 - dataclasses' text


def save() -> None:
    """Write the cache if this run compiled a text it did not have (and bytecode may be written)."""
    file = _state["path"]
    if not _state["new"] or file is None or sys.dont_write_bytecode:
        return
    kept = _codes if len(_codes) <= MAX_ENTRIES else {k: _codes[k] for k in _used}
    codes = {k: v if isinstance(v, bytes) else marshal.dumps(v) for k, v in kept.items()}
    temporary = f"{file}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(file), exist_ok=True)
        with open(temporary, "wb") as handle:
            handle.write(MAGIC_NUMBER + marshal.dumps(codes))
        os.replace(temporary, file)
    except OSError:
        try:
            os.remove(temporary)
        except OSError:
            pass
        return
    _state["new"] = False
