"""Where the benchmarks find archc's generated code: the committed goldens under ``generated/`` when present
(what a user of the repository imports), else a fresh ``archc build`` into a temporary folder."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from benchmarks.timing import REPO, archc_command, run_process


def generated_source(backend: str, key: str, workdir: Path) -> Path:
    golden = REPO / "generated" / backend / f"{key}.py"
    if golden.is_file():
        return golden
    target = workdir / backend / f"{key}.py"
    if not target.is_file():
        run_process([*archc_command(), "build", key, "--backend", backend, "--out", str(workdir)])
    return target


def load_module(path: str | Path) -> ModuleType:
    """Import a generated file by path (it is standalone: it imports only its framework)."""
    spec = importlib.util.spec_from_file_location("archc_generated_model", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
