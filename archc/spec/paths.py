"""Where specs live: built-in names, the built-in folder, display paths (no pydantic, no YAML parser).

Kept apart from :mod:`archc.spec.loader` so that the start-up path of a cache hit (:mod:`archc.cache`)
can name and find spec files without importing the validator.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from archc.diagnostics import Diagnostic, SpecError, did_you_mean

_BUILTIN_NAME = re.compile(r"^[a-z0-9_]+(/[a-z0-9_]+)*$")


def specs_dir() -> Path:
    """The folder of built-in specs (the repository's ``specs/``, installed as ``archc/specs``)."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parents[1] / "specs", here.parent / "specs"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("archc's built-in specs folder is missing from this installation")


def builtin_names() -> list[str]:
    root = specs_dir()
    return sorted(p.relative_to(root).with_suffix("").as_posix() for p in root.rglob("*.yaml"))


def resolve(ref: str) -> tuple[Path, str, str | None]:
    """``(file, display path, built-in name)`` for a path or a built-in name."""
    path = Path(ref)
    if path.suffix in (".yaml", ".yml") or os.sep in ref and path.exists():
        return path, display_path(path), _builtin_of(path)
    if _BUILTIN_NAME.match(ref):
        candidate = specs_dir() / f"{ref}.yaml"
        if candidate.is_file():
            return candidate, f"specs/{ref}.yaml", ref
    raise SpecError(
        [
            Diagnostic(
                ref,
                1,
                1,
                "E302",
                f"no spec file or built-in spec named '{ref}'",
                suggest_builtin(ref) + " (see `archc list`)",
            )
        ]
    )


def suggest_builtin(ref: str) -> str:
    """``did you mean …?`` for an unknown built-in name: the same model in another folder first (``timm/vgg16``
    → ``torchvision/vgg16``), else the closest name."""
    names = builtin_names()
    base = ref.rpartition("/")[2]
    elsewhere = [n for n in names if n.rpartition("/")[2] == base and n != ref]
    if len(elsewhere) == 1:
        return f"did you mean '{elsewhere[0]}'?"
    if elsewhere:
        return "did you mean one of " + ", ".join(f"'{n}'" for n in elsewhere) + "?"
    return did_you_mean(ref, names)


def _builtin_of(path: Path) -> str | None:
    try:
        rel = path.resolve().relative_to(specs_dir())
    except ValueError:
        return None
    return rel.with_suffix("").as_posix()


def display_path(path: Path) -> str:
    """How diagnostics name a file: ``specs/<name>.yaml`` for built-ins; otherwise the path relative to
    the working directory when the file lies below it (``./a/../b.yaml`` → ``b.yaml``), else the absolute,
    normalised path. (Generated files use :attr:`LoadedSpec.source`, which never depends on the cwd.)"""
    builtin = _builtin_of(path) if path.exists() else None
    if builtin:
        return f"specs/{builtin}.yaml"
    full = Path(os.path.abspath(path))
    try:
        return full.relative_to(Path(os.path.abspath(os.getcwd()))).as_posix()
    except ValueError:
        return full.as_posix()
