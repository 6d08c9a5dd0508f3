"""The hostile / broken spec corpus (tests/data/invalid/): every case is refused cleanly.

Each ``NAME.yaml`` (or ``NAME/main.yaml`` for multi-file cases) must make ``archc check`` exit 2 with
located, ruff-style diagnostics (``path:line:col: error[CODE]: message`` + ``  help: …``), the summary
line, no traceback, nothing written, in well under a second and 200 MiB. ``NAME.stderr`` is the exact
expected stderr (``ARCHC_UPDATE_SNAPSHOTS=1`` rewrites it; review the diff).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from tests.conftest import REPO, assert_snapshot, run_cli

INVALID = REPO / "tests" / "data" / "invalid"
CASES = sorted(
    [p.name for p in INVALID.glob("*.yaml")] + [f"{d.name}/main.yaml" for d in INVALID.iterdir() if d.is_dir()]
)
DIAGNOSTIC = re.compile(r"^(?P<path>[^\s:][^:\n]*):(?P<line>\d+):(?P<col>\d+): error\[(?P<code>E[1-4]\d\d)\]: \S.*$")
MAX_SECONDS = 1.0
MAX_BYTES = 200 * 2**20


def snapshot_of(case: str) -> Path:
    return INVALID / (case.split("/")[0].removesuffix(".yaml") + ".stderr")


def tree_state(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``root`` with its size and modification time: to prove nothing was written."""
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()}


def measure(case: str, cwd: Path = INVALID) -> tuple[int, str, str, float, int]:
    """Run ``archc check CASE`` in-process: (exit code, stdout, stderr, CPU seconds, peak traced bytes).

    Time is measured without tracing (CPU time of this thread, so neither other processes on the machine nor
    framework threads that earlier tests left in this worker count), then memory in a second run under
    tracemalloc.
    """
    start = time.thread_time()
    code, out, err = run_cli("check", case, cwd=cwd)
    seconds = time.thread_time() - start
    tracemalloc.start()
    try:
        run_cli("check", case, cwd=cwd)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return code, out, err, seconds, peak


def check_format(err: str) -> int:
    """Assert the diagnostic format; return the number of errors."""
    lines = err.splitlines()
    assert lines, "no diagnostics printed"
    assert "Traceback" not in err and "internal error" not in err
    summary = re.fullmatch(r"Found (\d+) errors?\.", lines[-1])
    assert summary, f"last line is not the summary: {lines[-1]!r}"
    body = lines[:-1]
    assert len(body) % 2 == 0, "every diagnostic must have exactly one help line"
    for head, help in zip(body[::2], body[1::2]):
        assert DIAGNOSTIC.match(head), f"not a located diagnostic: {head!r}"
        assert help.startswith("  help: ") and len(help) > len("  help: ") + 5, f"no useful help: {help!r}"
    n = len(body) // 2
    assert int(summary.group(1)) == n
    assert lines[-1] == f"Found {n} error{'s' if n != 1 else ''}."
    return n


def test_corpus_is_large_and_complete():
    assert len(CASES) >= 60
    stray = [
        p.name for p in INVALID.glob("*.stderr") if p.stem not in {c.split("/")[0].removesuffix(".yaml") for c in CASES}
    ]
    assert not stray, f"snapshots without a case: {stray}"


@pytest.mark.parametrize("case", CASES)
def test_invalid_spec(case):
    before = tree_state(INVALID)
    code, out, err, seconds, peak = measure(case)
    assert tree_state(INVALID) == before, "archc check wrote something"
    assert code == 2, err
    assert out == ""
    check_format(err)
    first = DIAGNOSTIC.match(err.splitlines()[0])
    assert (INVALID / first.group("path")).is_file(), "the diagnostic must name an existing file"
    assert_snapshot(snapshot_of(case), err)
    assert seconds < MAX_SECONDS, f"{case}: {seconds:.2f} s of CPU"
    assert peak < MAX_BYTES, f"{case}: {peak / 2**20:.0f} MiB"


@pytest.mark.parametrize(
    "case",
    ["billion_laughs.yaml", "deep_nesting_flow.yaml", "nul_byte.yaml", "python_tag.yaml", "extends_cycle/main.yaml"],
)
def test_invalid_spec_as_a_process(case):
    """At process level too: exit 2, the same stderr, no traceback (nothing hidden by the in-process runner)."""
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    proc = subprocess.run(
        [sys.executable, "-m", "archc", "check", case], cwd=INVALID, capture_output=True, text=True, env=env, timeout=60
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr == snapshot_of(case).read_text(encoding="utf-8")


def test_did_you_mean_at_every_level():
    """Misspelt keys at the top, in input/stem/stages/head/defaults.norm/metadata, enum values and the stem
    ``op`` discriminator all get a did-you-mean for the intended word."""
    expected = {
        "unknown_key_top.yaml": {"stagse": "stages", "haed": "head"},
        "unknown_key_nested.yaml": {
            "chanels": "channels",
            "kernal": "kernel",
            "strid": "stride",
            "clases": "classes",
            "epsilon": "eps",
            "paperr": "paper",
        },
        "enum_typos.yaml": {"bottelneck": "bottleneck", "3X3": "3x3", "b": "B", "Relu": "relu", "average": "avg"},
        "stem_op_typo.yaml": {"Conv": "conv", "maxpol": "maxpool"},
    }
    for case, pairs in expected.items():
        err = run_cli("check", case, cwd=INVALID)[2]
        for wrong, right in pairs.items():
            pattern = rf"'{re.escape(wrong)}'.*\n  help: did you mean '{re.escape(right)}'\?"
            assert re.search(pattern, err), f"{case}: no did-you-mean {wrong!r} → {right!r}\n{err}"


def test_fifty_megabyte_file(tmp_path):
    big = tmp_path / "big.yaml"
    with big.open("w") as fh:
        fh.write("archc: 1\nname: big\ndescription: ")
        chunk = "x" * 2**20
        for _ in range(50):
            fh.write(chunk)
    code, out, err, seconds, peak = measure("big.yaml", cwd=tmp_path)
    assert code == 2 and check_format(err) == 1
    assert "big.yaml:1:1: error[E103]: file is larger than" in err
    assert seconds < MAX_SECONDS and peak < MAX_BYTES


def test_largest_allowed_file_of_tiny_values(tmp_path):
    """The worst case under the file-size limit: 1 MiB of one-character list items hits the node limit fast."""
    (tmp_path / "items.yaml").write_text("a: [" + "1," * (2**19 - 4) + "]\n")
    code, out, err, seconds, peak = measure("items.yaml", cwd=tmp_path)
    assert code == 2 and "more than 10000 YAML nodes" in err
    assert seconds < MAX_SECONDS and peak < MAX_BYTES


def test_several_specs_report_all_errors(tmp_path):
    code, out, err = run_cli("check", "resnet18", "zero_sizes.yaml", "enum_typos.yaml", cwd=INVALID)
    assert code == 2 and out == ""
    assert check_format(err) == 11
    assert err.index("enum_typos.yaml") < err.index("zero_sizes.yaml")


def test_failing_spec_among_several_builds_nothing(tmp_path):
    """``archc build`` renders nothing and writes nothing when any spec is invalid."""
    out_dir = tmp_path / "out"
    code, out, err = run_cli("build", "resnet18", str(INVALID / "enum_typos.yaml"), "--out", str(out_dir))
    assert code == 2 and "error[E203]" in err
    assert not out_dir.exists()


# Every command that takes specs goes through the same loader: each must refuse each case the same way.
SPEC_COMMANDS = [
    ["cost", "--json"], ["build", "--check"], ["compare"], ["compare", "--measure"], ["table"], ["graph"], ["verify"],
    ["bench"],
]  # fmt: skip


@pytest.mark.parametrize("command", SPEC_COMMANDS, ids=lambda c: c[0])
def test_every_command_refuses_every_case(command):
    before = tree_state(INVALID)
    for case in CASES:
        code, out, err = run_cli(*command, case, cwd=INVALID)
        assert code == 2, f"archc {' '.join(command)} {case}: exit {code}\n{err}"
        assert err == snapshot_of(case).read_text(encoding="utf-8"), f"archc {' '.join(command)} {case}"
    assert tree_state(INVALID) == before
