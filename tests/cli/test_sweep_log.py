"""`archc sweep --out FILE` is a log that `--resume` continues; huge grids are refused at once; the sweep
mistakes of issue 24 are exit 2 with a line that says what to do."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO, run_cli

AXES = ["--vary", "stages[0].blocks=1..4", "--vary", "stages[1].width=64,128"]


def _csv(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def _sweep(*args, cwd=None):
    code, out, err = run_cli("sweep", "resnet18", *args, cwd=cwd)
    assert code == 0, err
    return out, err


def test_out_and_stdout_give_the_same_rows_in_every_format(tmp_path):
    stdout, _ = _sweep(*AXES)
    _sweep(*AXES, "--out", str(tmp_path / "s.csv"))
    assert (tmp_path / "s.csv").read_text(encoding="utf-8") == stdout
    rows = _csv(stdout)
    assert [int(r["variant"]) for r in rows] == list(range(8)) and len({r["key"] for r in rows}) == 8
    doc = json.loads(_sweep(*AXES, "--json")[0])
    assert [r["key"] for r in doc["rows"]] == [r["key"] for r in rows] and doc["kept"] == 8
    _sweep(*AXES, "--out", str(tmp_path / "s.jsonl"))
    lines = [json.loads(x) for x in (tmp_path / "s.jsonl").read_text(encoding="utf-8").splitlines()]
    assert lines == doc["rows"]
    md = _sweep(*AXES, "--format", "markdown")[0].splitlines()
    assert md[0].startswith("| variant | stages[0].blocks |") and len(md) == 2 + 8
    text = _sweep(*AXES, "--format", "text")[0].splitlines()
    assert text[0].split()[:3] == ["variant", "stages[0].blocks", "stages[1].width"] and len(text) == 9


@pytest.mark.parametrize("suffix", [".csv", ".json", ".jsonl"])
def test_resume_skips_what_is_there_and_ignores_a_torn_last_line(tmp_path, suffix):
    out = tmp_path / f"s{suffix}"
    _sweep(*AXES, "--out", str(out))
    full = out.read_text(encoding="utf-8")
    if suffix == ".json":  # a completed document: resume reads its rows
        _, err = _sweep(*AXES, "--out", str(out), "--resume")
        assert "8 rows were in the file before" in err and out.read_text(encoding="utf-8") == full
        return
    lines = full.splitlines(keepends=True)
    head = 1 if suffix == ".csv" else 0
    out.write_text("".join(lines[: head + 3]) + lines[head + 3][:25], encoding="utf-8")  # killed mid-write
    _, err = _sweep(*AXES, "--out", str(out), "--resume")
    assert "3 rows were in the file before" in err
    assert out.read_text(encoding="utf-8") == full  # the same file, nothing twice


def test_resume_refuses_a_file_of_another_sweep(tmp_path):
    out = tmp_path / "s.csv"
    _sweep(*AXES, "--out", str(out))
    code, _, err = run_cli("sweep", "resnet18", "--vary", "stages[0].blocks=1..4", "--vary", "stages[1].width=64,96",
                           "--out", str(out), "--resume")  # fmt: skip
    assert code == 2 and "error[E600]: --resume: " in err and "help: resume with the BASE" in err
    code, _, err = run_cli("sweep", "resnet34", *AXES, "--out", str(out), "--resume")
    assert code == 2 and "of another sweep" in err


def test_a_grid_above_the_limit_is_refused_at_once_in_little_memory():
    """8×10⁸ variants (issue 22): listing them took ~20 GB; now refused under a 1 GiB address-space limit."""
    axes = [x for s in range(4) for x in ("--vary", f"stages[{s}].blocks=1..100")] + [
        "--vary",
        "stages[2].width=64..512:64",
    ]
    probe = ("import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30)); "
             "from archc.cli import main; sys.exit(main(sys.argv[1:]))")  # fmt: skip
    proc = subprocess.run([sys.executable, "-c", probe, "sweep", "torchvision/resnet50", *axes],
                          cwd=REPO, capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines()[:2] == [
        "error[E600]: the grid has 800,000,000 variants (100 × 100 × 100 × 100 × 8), more than the limit of 10,000,000",
        "  help: draw a sample (--sample 1,000), give fewer values per axis, or raise the limit (ARCHC_MAX_SWEEP_VARIANTS)",
    ]
    proc = subprocess.run([sys.executable, "-c", probe, "sweep", "torchvision/resnet50", *axes, "--sample", "3"],
                          cwd=REPO, capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert proc.returncode == 0 and len(_csv(proc.stdout)) == 3, proc.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--vary", "stages[0].blocks=1..3:1.0"], "none of the 3 variants is valid: <built-in resnet18>:"),
        (["--vary", "stages[0].blocks=1..3", "--seed", "2"], "--seed without --sample"),
        (["--vary", "stages[0].blocks=1..3", "--jobs", "-1"], "--jobs: invalid count '-1'"),
        (["--vary", "stages[0].blocks=1..3", "--where", "macs<1", "--plot", "x.png"], "no variant matched --where"),
        (["--vary", "stages[0].blocks=1..3", "--out", "nope/x.csv"], "folder nope does not exist"),
        (["--vary", "stages[0].blocks=1..3", "--resume"], "--resume needs --out FILE"),
        (["--vary", "stages[0].blocks=1..3", "--out", "x.md"], "a sweep's --out is a log of rows"),
        (["--vary", "stages[0].blocks=1..3", "--batch", "2"], "--batch: measuring options need --measure"),
        (["--vary", "stages[0].blocks=1..3", "--executor", "ray"], "--executor: measuring options need --measure"),
        (["--vary", "stages[0].blocks=1..3", "--measure", "--ray-address", "auto"], "Ray options need --executor ray"),
        (["--vary", "stages[0].blocks=1..3", "--measure", "--where", "pytorch_img_per_sec>1"], "did you mean"),
    ],
)
def test_mistakes_exit_2_and_leave_nothing(tmp_path, args, message):
    code, out, err = run_cli("sweep", "resnet18", *args, cwd=tmp_path)
    assert (code, out) == (2, ""), err
    assert message in err.splitlines()[0] and "\n  help: " in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # no chart, no log, no folder


def test_json_is_an_alias_not_a_misspelt_jobs():
    code, out, err = run_cli("sweep", "resnet18", "--vary", "stages[0].blocks=1,2", "--json")
    assert code == 0 and json.loads(out)["variants"] == 2, err


def test_null_values_are_none(tmp_path):
    out, _ = _sweep_regnet("--vary", "stages.regnet.se_ratio=null,0.25", "--json")
    rows = json.loads(out)["rows"]
    assert [r["stages.regnet.se_ratio"] for r in rows] == [None, 0.25] and rows[0]["params"] < rows[1]["params"]


def _sweep_regnet(*args):
    code, out, err = run_cli("sweep", "regnet/regnety_002", *args)
    assert code == 0, err
    return out, err


@pytest.mark.parametrize("tqdm", [True, False])
def test_a_progress_bar_on_a_terminal_only(tmp_path, tqdm):
    """tqdm when installed (the progress extra), a plain bar with an ETA without it; nothing when piped."""
    from tests.conftest import run_in_terminal

    env = {}
    if not tqdm:
        (tmp_path / "tqdm.py").write_text("raise ImportError('not installed')\n", encoding="utf-8")
        env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(REPO)])
    elif importlib.util.find_spec("tqdm") is None:
        pytest.skip("tqdm is not installed")
    code, terminal, piped = run_in_terminal("sweep", "resnet18", *AXES, "--jobs", "1", on="stderr", env=env)
    assert code == 0 and len(_csv(piped)) == 8
    assert "/8" in terminal and "sweep: 8 variants" in terminal
    assert ("variant/s]" in terminal) if tqdm else ("8/8 variants · ETA 0 s" in terminal and "[#####" in terminal)


def test_executor_ray_without_ray_is_e602_with_the_install_line(monkeypatch, tmp_path):
    import archc.sweep.executors

    monkeypatch.setattr(archc.sweep.executors, "ray_installed", lambda: False)
    code, out, err = run_cli("sweep", "resnet18", "--vary", "stages[0].blocks=1,2", "--measure", "--executor", "ray",
                             cwd=tmp_path)  # fmt: skip
    assert (code, out) == (2, "") and list(tmp_path.iterdir()) == []
    assert err.splitlines()[:2] == ["error[E602]: --executor ray: Ray is not installed",
                                    "  help: pip install 'archc[ray]' (Ray 2.9 or later)"]  # fmt: skip
