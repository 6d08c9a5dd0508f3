"""How a command's process starts and ends: settings of a library and of the interpreter that make one short
run faster and change no result.

- pydantic plugins: archc validates only its own models, which no plugin applies to, and looking for plugins
  reads the metadata of every installed distribution on the first validation.
- The cyclic garbage collector: start-up creates some 50,000 long-lived objects (networkx, pydantic, the
  schema's validator) and a compile leaves no garbage cycles (its objects are freed by reference counting;
  tests/unit/test_process.py), yet at CPython's default thresholds (700, 10, 10) the collector runs ~100
  times during ``archc cost`` and finds nothing. A first threshold of 200,000 (as mypy sets, for the same
  reason) lets it run rarely; it still runs, so what does leave cycles (an exception's traceback in a long
  ``archc sweep``, a framework under ``archc bench``) is still collected.
- At the end, what is still alive goes to the collector's permanent generation (:func:`gc.freeze`): the
  interpreter's shutdown frees it by reference counting without tracing all of it again.
- networkx backends: importing networkx looks for backends (nx-cugraph, …) in the entry points of every
  installed distribution, twice, whatever the program does. archc's graphs are its own ``nx.DiGraph`` and are
  meant to be walked by networkx itself, in networkx's order (the printed code follows that order; a backend
  must not change it). So the console script hides the two entry-point groups from that import
  (:class:`_NoNetworkxBackends`): −57 M instructions, 4 % of ``archc cost``'s first run. A process whose
  environment configures networkx (any ``NETWORKX_*`` variable, e.g. ``NETWORKX_BACKEND_PRIORITY``) keeps the
  discovery, as networkx would fail on a priority that names a backend it did not find.

- Dataclass methods: the code of every method a dataclass generates is compiled once and kept beside archc's
  bytecode (:mod:`archc.methodcache`), instead of at every import: −188 M instructions, 14.3 % of ``archc
  cost``'s first run (1,315 → 1,127 M).

Together: ``archc cost resnet152`` with an empty cache runs 1,539 → 1,127 million instructions (−27 %;
``python -m benchmarks.first_run --instructions``).
Used by :func:`archc.cli.entry` (the console script and ``python -m archc``) and by the floor of
``benchmarks/first_run.py``, so that both start the same way.
"""

from __future__ import annotations

import gc
import os
import sys

from archc import methodcache

GC_THRESHOLDS = (200_000, 30, 30)


NETWORKX_BACKEND_GROUPS = ("networkx.backends", "networkx.backend_info")  # networkx/utils/backends.py


def start() -> None:
    methodcache.install()
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    gc.set_threshold(*GC_THRESHOLDS)
    configured = any(k.startswith("NETWORKX_") for k in os.environ)
    if "networkx" not in sys.modules and not configured and _NoNetworkxBackends not in sys.meta_path:
        sys.meta_path.insert(0, _NoNetworkxBackends)


class _NoNetworkxBackends:
    """A finder that finds nothing: when ``networkx`` is first imported (by a command that needs it: a cached
    ``archc cost`` never does), it makes ``importlib.metadata.entry_points`` answer networkx's two lookups with
    no entry points. The second lookup, the last of networkx's import, puts the function back and takes this
    finder off ``sys.meta_path`` (not here: the import system is iterating over that list, and removing an item
    would skip the finder after it)."""

    @staticmethod
    def find_spec(name: str, path=None, target=None) -> None:
        if name == "networkx":
            _hide_backends()


def _hide_backends() -> None:
    import importlib.metadata as metadata

    found = metadata.entry_points

    def entry_points(**params):
        group = params.get("group")
        if group not in NETWORKX_BACKEND_GROUPS:
            return found(**params)
        if group == NETWORKX_BACKEND_GROUPS[-1]:
            metadata.entry_points = found
            if _NoNetworkxBackends in sys.meta_path:
                sys.meta_path.remove(_NoNetworkxBackends)
        return metadata.EntryPoints(())

    metadata.entry_points = entry_points


def end() -> None:
    methodcache.save()
    gc.freeze()
