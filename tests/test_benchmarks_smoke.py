"""Smoke test of the benchmarks (issue 9 item 6): ``python -m benchmarks --quick`` runs end to end in a fresh
process and writes its report. No timing is asserted (the figures depend on the machine); what is asserted
is that every section ran, every correctness check inside it passed (e.g. FlopCounterMode's FLOPs equal
2 × archc's MACs) and the report has its headline table, one section per benchmark and the plot."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from tests.conftest import REPO, markdown_rows

pytest.importorskip("torch")
pytest.importorskip("matplotlib")


@pytest.mark.slow
def test_quick_benchmarks_run_and_write_the_report(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--out", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    report = (tmp_path / "BENCHMARKS.md").read_text(encoding="utf-8")
    assert (tmp_path / "BENCHMARKS.png").read_bytes().startswith(b"\x89PNG")
    assert "section failed" not in report
    assert "\n- ❌" not in report  # a failed correctness check
    titles = [line for line in report.splitlines() if line.startswith("## ")]
    parts = ["vs the framework counters", "`archc build`", "Compile time vs model size", "Generated models"]
    if importlib.util.find_spec("ray") is not None:
        parts.append("local executor vs Ray")
    for part in parts:
        assert any(part in title for title in titles), part
    labels = [row[0] for row in markdown_rows(report, "benchmark")]
    assert any("vs torch + FlopCounterMode" in label for label in labels)
    assert any(label.startswith("peak RSS") for label in labels)
    assert "FlopCounterMode FLOPs = 2 × archc MACs" in report
    assert "wrote " in proc.stdout
