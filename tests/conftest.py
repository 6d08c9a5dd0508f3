"""Shared test helpers: repository paths, the reference figures, an in-process CLI runner, snapshots."""

from __future__ import annotations

import io
import os
import re
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "tests" / "reference"  # copies of ../shared/reference (torchvision / keras / paper figures)
UPDATE = os.environ.get("ARCHC_UPDATE_SNAPSHOTS") == "1"
# Built-ins with more than HUGE_PARAMS parameters (torchvision's regnet_y_128gf: 645 M, 2.6 GB a copy) are too big
# to build as real PyTorch / Keras models in every per-built-in test on a 2-core machine; their figures and names
# are compared with the library itself on the meta device (tests/unit/test_regnet_libraries.py, which also keeps
# this set equal to the built-ins over the limit). ARCHC_HUGE=1 builds them everywhere.
HUGE_PARAMS = 300_000_000
HUGE_BUILTINS = frozenset(
    {"torchvision/regnet_y_128gf", "timm/resnext101_32x32d", "timm/convnext_xlarge", "keras/convnext_xlarge"}
)  # 645 M, 468 M, 350 M, 350 M
HUGE = frozenset() if os.environ.get("ARCHC_HUGE") == "1" else HUGE_BUILTINS


# The quick tier's representatives when a framework test walks every built-in: the first of each folder plus the
# headline models; the others run in the slow tier (README "Development").
# timm/resnetblur18: the anti-aliasing knob (a blur pool in the stem and in every strided block).
QUICK_BUILTINS = frozenset(
    {"resnet50", "torchvision/resnet50", "timm/seresnet50", "regnet/regnety_032", "timm/resnetblur18"}
)


def quick_names(names) -> set[str]:
    """The quick tier's share of ``names``: the first of each folder and those in QUICK_BUILTINS."""
    first: dict[str, str] = {}
    for name in names:
        first.setdefault(name.rpartition("/")[0], name)
    return set(first.values()) | (QUICK_BUILTINS & set(names))


def tiered(names: list[str]) -> list:
    """``names`` as pytest params: one representative per folder (and QUICK_BUILTINS) quick, the rest ``slow``."""
    quick = quick_names(names)
    return [pytest.param(name, marks=() if name in quick else pytest.mark.slow) for name in names]


def pytest_configure(config):
    """fvcore, ptflops and timm import torchvision; on this CPU torch its CUDA wheel needs tests/libs.py's import
    (a no-op where torchvision imports as it is). Done once per process, before any test module is collected."""
    import importlib.util

    if importlib.util.find_spec("torchvision") is not None and importlib.util.find_spec("torch") is not None:
        from tests.libs import _import_torchvision

        _import_torchvision()


@pytest.fixture(autouse=True)
def _release_big_models(request):
    """After a slow test (full-size models in two libraries), hand freed memory back to the system: glibc keeps
    a Python process's freed tensors mapped otherwise, and a worker's RSS only grows over the slow tier."""
    yield
    if request.node.get_closest_marker("slow") is None:
        return
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


@pytest.fixture(autouse=True, scope="session")
def _private_summary_cache(tmp_path_factory):
    """`archc cost` caches summaries (archc/cache.py): the tests use a folder of their own, not ~/.cache."""
    os.environ.setdefault("ARCHC_CACHE_DIR", str(tmp_path_factory.mktemp("archc_cache")))
    yield


def compile_text(tmp_path: Path, text: str, stem: str = "spec"):
    """A spec written out as ``<tmp_path>/<stem>.yaml`` and compiled, so that diagnostics name a real file."""
    from archc.pipeline import compile_spec

    path = tmp_path / f"{stem}.yaml"
    path.write_text(text, encoding="utf-8")
    return compile_spec(str(path))


def run_cli(*args: str, cwd: Path | None = None) -> tuple[int, str, str]:
    """Run ``archc ARGS`` in-process; return (exit code, stdout, stderr)."""
    from archc.cli import main

    out, err = io.StringIO(), io.StringIO()
    old = Path.cwd()
    try:
        if cwd:
            os.chdir(cwd)
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exc:  # argparse errors
                code = exc.code if isinstance(exc.code, int) else 2
    finally:
        os.chdir(old)
    return code, out.getvalue(), err.getvalue()


def run_in_terminal(*args: str, columns: int = 80, env: dict | None = None, on: str = "stdout") -> tuple[int, str, str]:
    """Run ``python -m archc ARGS`` with ``on`` (stdout or stderr) attached to a pseudo-terminal ``columns``
    wide (the other stream piped); return (exit code, terminal text, piped text)."""
    import fcntl
    import pty
    import struct
    import subprocess
    import sys
    import termios

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    base = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR", "TERM")}
    streams = (
        {"stdout": follower, "stderr": subprocess.PIPE}
        if on == "stdout"
        else {"stdout": subprocess.PIPE, "stderr": follower}
    )
    proc = subprocess.Popen([sys.executable, "-m", "archc", *args], cwd=REPO, env={**base, **(env or {})}, **streams)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    piped = (proc.stderr if on == "stdout" else proc.stdout).read().decode("utf-8")
    code = proc.wait(timeout=300)
    return code, b"".join(chunks).decode("utf-8").replace("\r\n", "\n"), piped


def assert_snapshot(path: Path, text: str) -> None:
    """Compare ``text`` with the snapshot file; ``ARCHC_UPDATE_SNAPSHOTS=1`` (re)writes it."""
    if UPDATE or not path.exists():
        if not UPDATE:
            pytest.fail(f"missing snapshot {path}; run with ARCHC_UPDATE_SNAPSHOTS=1 and review it")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"output differs from snapshot {path.name}"


def markdown_rows(text: str, first_header: str) -> list[list[str]]:
    """Rows of the markdown table whose first header cell is ``first_header``."""
    rows, inside = [], False
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else None
        if cells is None:
            inside = False
            continue
        if cells[0] == first_header:
            inside = True
            continue
        if inside and not re.fullmatch(r"[-: ]*", "".join(cells)):
            rows.append(cells)
    return rows


def number(cell: str) -> int:
    return int(cell.replace(",", "").split()[0])


def assert_commands_never_crash(specs, commands, minimum_valid: int) -> None:
    """Each ``(i, path, text)`` spec through ``commands`` in turn: exit 0 or a located exit 2 (then the next
    spec), never a traceback; at least ``minimum_valid`` specs pass every command."""
    valid = 0
    for i, path, text in specs:
        for command in commands:
            code, _, err = run_cli(*command, path)
            assert code in (0, 2), f"spec {i}: archc {' '.join(command)} exited {code}: {err}\n{text}"
            assert "Traceback" not in err
            if code == 2:
                assert err.rstrip().splitlines()[-1].startswith("Found "), err
                break
        valid += code == 0
    assert valid >= minimum_valid, "the generator should mostly produce compilable specs"
