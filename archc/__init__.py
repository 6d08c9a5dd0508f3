"""archc: a declarative architecture-spec compiler for convolutional networks.

The public Python API lives in :mod:`archc.api` and is re-exported here lazily (PEP 562): ``import archc``
imports nothing heavy; ``archc.load`` imports the compiler on first use.
"""

from archc._version import __version__

_API = ("Model", "load", "check", "list", "compare", "build", "table", "graph", "schema", "verify", "measure", "sweep")
# `archc.list` is `archc.api.list_specs` (inside archc.api the name `list` stays the builtin).
_RENAMED = {"list": "list_specs"}

__all__ = ["__version__", *_API]


def __getattr__(name: str):
    if name in _API:
        import importlib

        if name == "sweep":  # the package archc.sweep, once imported, would take the function's name
            importlib.import_module("archc.sweep")
        value = getattr(importlib.import_module("archc.api"), _RENAMED.get(name, name))
        globals()[name] = value
        return value
    raise AttributeError(f"module 'archc' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_API])
