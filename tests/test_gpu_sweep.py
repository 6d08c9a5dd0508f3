"""``benchmarks/gpu_sweep.py`` (issue 22): refuses clearly without CUDA, and asks `archc sweep` for a resumable
measured sweep of the RegNetX design space on the GPU (its CPU dry run goes through the same measured path
as tests/cli/test_sweep_measure.py)."""

from __future__ import annotations

import pytest

from archc.bench.options import cuda_driver_present
from benchmarks import gpu_sweep


def test_without_cuda_it_stops_at_once_with_exit_2(capsys):
    if cuda_driver_present():
        pytest.skip("this machine has a GPU")
    assert gpu_sweep.main([]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("error: no CUDA device here") and "--cpu-dry-run" in err


def test_the_sweep_it_runs(tmp_path):
    out = tmp_path / "g.json"
    argv = gpu_sweep.command(gpu_sweep.parse_args(["--executor", "ray", "--out", str(out)]))
    text = " ".join(argv)
    assert "sweep regnet/regnetx_004 --vary stages.regnet.w0=16..64:8" in text
    assert "--sample 12 --seed 1 --measure --executor ray --device cuda --amp bf16 --batch 64" in text
    assert "--resume" not in argv
    out.write_text("{}", encoding="utf-8")
    assert gpu_sweep.command(gpu_sweep.parse_args(["--out", str(out)]))[-1] == "--resume"  # a rerun resumes


def test_the_table_and_the_predictors():
    row = {"stages.regnet.w0": 24, "stages.regnet.wa": 24, "stages.regnet.depth": 22, "stages.regnet.group_width": 16,
           "macs": 4e8, "params": 5e6, "activations": 7e6, "pytorch_img_per_s": 9000.0, "pytorch_ms_per_step": 7.1,
           "pareto": True, "status": "ok"}  # fmt: skip
    fit = {"spearman": 0.9, "fit_ms": None}
    doc = {"rows": [row, {**row, "status": "failed"}], "predictors": [
        {"backend": "pytorch", "device_name": "H100", "variants": 1, "macs": fit, "params": fit, "activations": fit}]}  # fmt: skip
    text = gpu_sweep.markdown(doc)
    assert "| 24 | 24 | 22 | 16 | 0.40 | 5.0 | 7.0 | 9,000 | 7.10 | ● |" in text and text.count("| 24 |") == 1
    assert "pytorch on H100 (1 variants): Spearman ρ with ms/step: macs 0.90" in text
