"""Writing files: all-or-nothing, atomic, with the permissions the user's umask asks for.

One helper, :func:`atomic_save`, writes every file archc produces (generated code, converted weights,
charts): a temporary file in the target's folder, fsync, then a rename over the target, so a reader never
sees half a file and a failure leaves the old file (or none) in place. New files get ``0o666 & ~umask``
like any program's ``open()``; a file that is replaced keeps its mode.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

from archc.diagnostics import Diagnostic, SpecError


def stale(files: dict[Path, str]) -> list[Path]:
    """Files whose content on disk differs from ``files`` (or that do not exist)."""
    out = []
    for path, text in sorted(files.items()):
        try:
            current = path.read_bytes()
        except OSError:
            out.append(path)
            continue
        if current != text.encode("utf-8"):
            out.append(path)
    return out


def write_all(files: dict[Path, str]) -> list[Path]:
    """Write every changed file, all or nothing; return the changed ones.

    Callers render everything in memory first, so an error in any input writes nothing. Then every file is
    staged (written, fsynced, given its mode) beside its target before any is renamed into place: a folder
    that cannot be written (say ``pytorch/`` of ``--out``) leaves every other file, and folder, as it was.
    """
    changed = stale(files)
    staged: list[tuple[Path, Path]] = []
    made: list[Path] = []
    try:
        for path in changed:
            text = files[path].encode("utf-8")
            staged.append((_stage(path, lambda tmp, data=text: tmp.write_bytes(data), None, made), path))
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        for folder in reversed(made):  # the folders this call created, deepest first
            _remove_empty(folder)
        raise
    for tmp, path in staged:
        os.replace(tmp, path)
    return changed


def atomic_save(target: str | Path, save: Callable[[Path], object], suffix: str | None = None) -> Path:
    """Call ``save(tmp)`` to write a temporary file beside ``target``, then rename it over ``target``.

    ``suffix`` is the temporary file's (some writers choose their format from it, e.g. ``.weights.h5``).
    An unwritable folder is a user problem: :class:`SpecError` E500 naming the path, not a crash.
    """
    target = Path(target)
    os.replace(_stage(target, save, suffix, []), target)
    return target


def _stage(target: Path, save: Callable[[Path], object], suffix: str | None, made: list[Path]) -> Path:
    """The temporary file, written by ``save``, fsynced and with its final mode; folders created go to ``made``."""
    if target.is_dir():
        raise _unwritable(target, IsADirectoryError(21, "a folder is in the way"))
    try:
        _make_parents(target.parent, made)
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix or ".tmp", dir=target.parent)
    except OSError as exc:
        raise _unwritable(target, exc) from None
    os.close(fd)
    tmp = Path(name)
    try:
        save(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, _mode_for(target))
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _unwritable(target, exc) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _make_parents(folder: Path, made: list[Path]) -> None:
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for f in reversed(missing):
        f.mkdir(exist_ok=True)
        made.append(f)


def _remove_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass


def _mode_for(target: Path) -> int:
    """The mode a plain ``open(target, "w")`` would leave: the old file's, else 0o666 minus the umask."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except OSError:
        return 0o666 & ~current_umask()


def current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _unwritable(path: Path, exc: OSError) -> SpecError:
    reason = exc.strerror or str(exc)
    help = "check that the output folder exists or can be created, and is writable"
    return SpecError([Diagnostic(path.as_posix(), 1, 1, "E500", f"cannot write: {reason}", help)])
