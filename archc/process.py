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

Together: ``archc cost resnet152`` with an empty cache runs 1,539 → 1,429 million instructions (−7.1 %;
``python -m benchmarks.first_run --instructions``).
Used by :func:`archc.cli.entry` (the console script and ``python -m archc``) and by the floor of
``benchmarks/first_run.py``, so that both start the same way.
"""

from __future__ import annotations

import gc
import os

GC_THRESHOLDS = (200_000, 30, 30)


def start() -> None:
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    gc.set_threshold(*GC_THRESHOLDS)


def end() -> None:
    gc.freeze()
