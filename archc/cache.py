"""A content-addressed cache of compiled summaries (``archc cost``), so that a repeated run skips the compiler.

Key: SHA-256 of the archc version, the bytes of archc's own source files, the ``ARCHC_*`` settings, the
spec as named (display path, built-in name, resolved file, the built-in folder), the spec file's bytes and
the input size. The entry records every file of its ``extends:`` chain with the SHA-256 of its bytes; a hit
re-reads and re-hashes them all, so an edited parent spec is a miss, never a stale answer; it also records the
SHA-256 of the summary itself, so an entry whose numbers were changed is a miss, never printed. Only successful
compilations are stored (errors are always recomputed and reported in full).

Safe under concurrent runs: an entry is written to a temporary file in the cache folder and renamed over
the final name (atomic on POSIX and Windows); a reader that finds a missing, partial or foreign file treats it
as a miss. Nothing here imports pydantic, networkx or the YAML parser: a hit costs a few file reads.

Folder: ``$ARCHC_CACHE_DIR``, else ``$XDG_CACHE_HOME/archc``, else ``~/.cache/archc``. Disabled by
``--no-cache`` or ``ARCHC_NO_CACHE=1``; ``rm -r`` the folder to clear it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from archc._version import __version__

FORMAT = "archc-summary-cache-2"
_OWN_ENV = ("ARCHC_CACHE_DIR", "ARCHC_NO_CACHE")


def folder() -> Path | None:
    if os.environ.get("ARCHC_NO_CACHE", "") not in ("", "0"):
        return None
    explicit = os.environ.get("ARCHC_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "archc"


def _code_digest() -> bytes:
    """The bytes of every archc source file (a changed compiler is a new cache)."""
    root = os.path.dirname(os.path.realpath(__file__))
    h = hashlib.sha256()
    for name in _sources(root):
        with open(os.path.join(root, name), "rb") as fh:
            h.update(name.encode() + b"\0" + fh.read() + b"\0")
    return h.digest()


def _sources(root: str) -> list[str]:
    """The ``*.py`` files under ``root`` as sorted relative POSIX paths (``os.walk`` on strings: a few times
    faster than ``Path.rglob``, and every key and every hit lists them)."""
    names = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != "__pycache__"]  # bytecode only
        prefix = os.path.relpath(folder, root).replace(os.sep, "/") + "/" if folder != root else ""
        names += [prefix + f for f in files if f.endswith(".py")]
    return sorted(names)


def key(ref: str, input_size) -> tuple[str, Path]:
    """``(hex key, the spec file)``; raises SpecError when ``ref`` names no spec (as the compiler would)."""
    from archc.spec.paths import resolve, specs_dir

    file, shown, builtin = resolve(ref)
    settings = sorted((k, v) for k, v in os.environ.items() if k.startswith("ARCHC_") and k not in _OWN_ENV)
    h = hashlib.sha256()
    for part in (FORMAT, __version__, shown, builtin or "", str(file.resolve()), str(specs_dir()), repr(input_size)):
        h.update(part.encode("utf-8", "surrogateescape") + b"\0")
    h.update(json.dumps(settings).encode("utf-8", "surrogateescape") + b"\0")
    h.update(_code_digest())
    h.update(file.read_bytes())
    return h.hexdigest(), file


def _sha(path: str) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def lookup(where: Path, hexkey: str) -> dict | None:
    """The stored summary, if present, well-formed and every file of its chain is unchanged."""
    try:
        entry = json.loads((where / f"{hexkey}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("format") != FORMAT or entry.get("key") != hexkey:
        return None
    chain = entry.get("chain")
    if not isinstance(chain, list) or not chain or any(_sha(p) != digest for p, digest in chain):
        return None
    summary = entry.get("summary")
    if entry.get("sha256") != checksum(summary):  # an entry whose numbers were changed is a miss
        return None
    return summary


def checksum(summary: object) -> str:
    """SHA-256 of the summary as canonical JSON (sorted keys): stored with each entry, checked on each hit."""
    text = json.dumps(summary, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


_noted: set[str] = set()


def store(where: Path, hexkey: str, chain: tuple, summary: dict) -> None:
    """Write the entry atomically; a cache that cannot be written is skipped with one note on stderr per
    process (it is only a cache, but a user who set ``ARCHC_CACHE_DIR`` should learn that it is not used).
    ``chain``: ``((absolute path, sha256), …)`` of the bytes the compiler read (``LoadedSpec.files``)."""
    entry = {"format": FORMAT, "key": hexkey, "chain": [list(pair) for pair in chain], "summary": summary}
    entry["sha256"] = checksum(summary)
    try:
        where.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{hexkey}.", suffix=".tmp", dir=where)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(entry, fh, ensure_ascii=False)
            os.replace(tmp, where / f"{hexkey}.json")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        _note_unusable(where, exc)


def _note_unusable(where: Path, exc: OSError) -> None:
    if str(where) in _noted:
        return
    _noted.add(str(where))
    import sys

    named = "ARCHC_CACHE_DIR=" if os.environ.get("ARCHC_CACHE_DIR") else "the summary cache "
    reason = (
        "it is a file, not a folder" if where.exists() and not where.is_dir() else exc.strerror or type(exc).__name__
    )
    print(
        f"note: {named}{where} cannot be used as the summary cache ({reason}); archc compiles every time. Point ARCHC_CACHE_DIR "
        "at a writable folder, or pass --no-cache (ARCHC_NO_CACHE=1) to silence this",
        file=sys.stderr,
    )
