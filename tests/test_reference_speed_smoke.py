"""Smoke test of benchmarks/reference_speed.py (issue 23 item 5): ``--quick`` runs one pair end to end in a fresh
process (the generated torchvision/resnet50 against torchvision's, torchvision's weights loaded into it) and
prints its table. No timing is asserted: the figures depend on the machine."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO

pytest.importorskip("torch")


@pytest.mark.slow
def test_quick_reference_speed_runs(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.reference_speed", "--quick", "--json", str(tmp_path / "rows.json")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = json.loads((tmp_path / "rows.json").read_text(encoding="utf-8"))
    assert [(r["pair"], r["mode"]) for r in rows] == [
        ("torchvision/resnet50 / torchvision.models.resnet50", "forward"),
        ("torchvision/resnet50 / torchvision.models.resnet50", "train step"),
    ]
    assert all(r["same_modules"] and r["ratio_min"] <= r["ratio_median"] <= r["ratio_max"] for r in rows)
    assert "| torchvision/resnet50 / torchvision.models.resnet50 | forward |" in proc.stdout


def test_gpu_variant_refuses_without_cuda():
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a GPU is here: the script would measure")
    proc = subprocess.run(
        [sys.executable, "benchmarks/gpu_reference_speed.py", "--quick"], cwd=REPO, capture_output=True, text=True
    )
    assert proc.returncode == 2 and "no CUDA device" in proc.stderr
