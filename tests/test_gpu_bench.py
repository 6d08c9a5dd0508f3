"""``benchmarks/gpu_bench.py`` (issue 16): refuses clearly without CUDA, parses its arguments, plans the
five rows the issue asks for, and its CPU dry run goes through the real measuring path (PyTorch rows only
here, to keep the test short; the Keras rows use the same child as ``archc bench --backend keras``)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from archc.bench.options import cuda_driver_present
from benchmarks import gpu_bench
from tests.conftest import REPO, markdown_rows


def test_without_cuda_it_stops_at_once_with_exit_2(capsys):
    if cuda_driver_present():
        pytest.skip("this machine has a GPU")
    assert gpu_bench.main([]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("error: no CUDA device here") and "help: run it on a GPU machine" in err


def test_arguments():
    args = gpu_bench.parse_args([])
    assert (args.batch, args.amp, args.warmup, args.steps, args.repeats) == (128, "bf16", 10, 20, 3)
    for bad in (["--warmup", "0"], ["--amp", "fp8"], ["--batch", "0"]):
        with pytest.raises(SystemExit) as exc:
            gpu_bench.parse_args(bad)
        assert exc.value.code == 2


def test_plan_on_a_gpu_and_in_the_dry_run():
    rows = gpu_bench.plan(gpu_bench.parse_args(["--amp", "fp16"]))
    assert [(backend, spec) for _, backend, spec, _, _ in rows] == [("pytorch", "torchvision/resnet50")] * 3 + [
        ("keras", "keras/resnet50")
    ] * 2
    settings = [s for _, _, _, s, _ in rows]
    assert all(s.device == "cuda" and s.train and s.batch == 128 for s in settings)
    assert [(s.amp, s.channels_last, s.compile) for s in settings[:3]] == [
        (None, False, False),
        ("fp16", True, False),
        ("fp16", True, True),
    ]
    assert rows[3][4] is None and "keras.applications.ResNet50" in rows[4][4]  # generated vs the reference
    dry = gpu_bench.plan(gpu_bench.parse_args(["--cpu-dry-run", "--amp", "fp16"]))
    assert len(dry) == 4 and not any(s.compile for _, _, _, s, _ in dry)
    assert all(s.device == "cpu" and s.batch == 2 and s.amp in (None, "bf16") for _, _, _, s, _ in dry)


@pytest.mark.slow
def test_cpu_dry_run_prints_the_table():
    if importlib.util.find_spec("torch") is None:
        pytest.skip("torch is not installed")
    proc = subprocess.run(
        [sys.executable, "benchmarks/gpu_bench.py", "--cpu-dry-run", "--skip-keras"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = markdown_rows(proc.stdout, "model · setup")
    assert [r[0] for r in rows] == [
        "generated torchvision/resnet50 · eager fp32 NCHW",
        "generated torchvision/resnet50 · eager AMP channels_last",
    ]
    assert all(r[1].startswith("torch ") and r[2] == "2" for r in rows)
    assert "CPU DRY RUN" in proc.stdout
