"""`archc sweep --measure`: variants measured as `archc bench` measures them, locally or through a real local Ray
instance (2 CPUs); a driver killed mid-sweep (SIGKILL) is finished by `--resume` without writing anything twice;
a Ray worker killed mid-measurement is retried; no process of the sweep outlives it.

Kept tiny (CIFAR ResNet-20, batch 1–2, one timed step): each measurement is a fresh process importing torch.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, run_cli

pytest.importorskip("torch")

TINY = ["--measure", "--batch", "2", "--steps", "1", "--repeats", "1", "--warmup", "0", "--threads", "1"]
THREE = ["cifar/resnet20", "--vary", "stages[0].blocks=1..3", *TINY]
SAME = ["variant", "stages[0].blocks", "params", "macs", "activations", "status", "key"]


def _rows(path: Path) -> list[dict]:
    return list(csv.DictReader(path.open(encoding="utf-8")))


def _descendants(pid: int) -> set[int]:
    tree: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                ppid = int(Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            tree.setdefault(ppid, []).append(int(name))
    out, todo = set(), [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            out.add(child)
            todo.append(child)
    return out


def _alive(pids: set[int]) -> set[int]:
    out = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            out.add(pid)
    return out


def _start(args: list[str], cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "archc", "sweep", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def _kill_after_first_row(proc: subprocess.Popen, out: Path, seen: set[int]) -> None:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        seen |= _descendants(proc.pid)
        if out.exists() and len(out.read_text(encoding="utf-8").splitlines()) >= 2:
            break
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.1)
    seen |= _descendants(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def _gone(pids: set[int], within: float = 20.0) -> set[int]:
    deadline = time.monotonic() + within
    while _alive(pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    return _alive(pids)


@pytest.fixture(scope="module")
def local_file(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("local") / "s.csv"
    code, stdout, err = run_cli("sweep", *THREE, "--out", str(out))
    assert (code, stdout) == (0, ""), err
    return out


def test_measured_rows_are_bench_figures_beside_the_costs(local_file):
    rows = _rows(local_file)
    assert [r["stages[0].blocks"] for r in rows] == ["1", "2", "3"] and {r["status"] for r in rows} == {"ok"}
    for r in rows:
        img_s, ms = float(r["pytorch_img_per_s"]), float(r["pytorch_ms_per_step"])
        assert img_s == pytest.approx(2 / (ms / 1e3), rel=1e-9)  # batch ÷ median step time
        assert float(r["pytorch_macs_per_s"]) == pytest.approx(int(r["macs"]) * img_s, rel=1e-9)
        assert int(r["pytorch_peak_mem_bytes"]) > 50 * 2**20 and r["device_name"]
    # the default front: MACs against measured img/s
    best = max(rows, key=lambda r: float(r["pytorch_img_per_s"]))
    assert rows[0]["pareto"] == "true" and best["pareto"] == "true"


def test_a_failing_variant_is_a_failed_row_and_where_uses_measured_columns(tmp_path):
    """BatchNorm cannot train on one value per channel: a 4×4 input with batch 1 fails in the framework."""
    out = tmp_path / "s.json"
    code, _, err = run_cli("sweep", "cifar/resnet20", "--vary", "input.size=4,16,32", *TINY, "--batch", "1",
                           "--train", "--where", "pytorch_img_per_s>0", "--out", str(out), "--plot", str(tmp_path / "s.png"))  # fmt: skip
    assert code == 0, err
    assert (tmp_path / "s.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"  # measured img/s vs MACs, the front
    doc = json.loads(out.read_text(encoding="utf-8"))
    rows = doc["rows"]
    assert [r["status"] for r in rows] == ["failed", "ok", "ok"]
    assert "Expected more than 1 value per channel when training" in rows[0]["error"]
    assert rows[0]["pytorch_img_per_s"] is None and rows[0]["pareto"] is False
    assert (doc["measured"], doc["failed"], doc["kept"]) == (3, 1, 2)
    assert rows[1]["pytorch_macs_per_s"] == pytest.approx(3 * rows[1]["macs"] * rows[1]["pytorch_img_per_s"])
    (entry,) = doc["predictors"]
    assert entry["variants"] == 2 and set(entry) >= {"macs", "params", "activations"}
    assert "warning: 1 variants failed to measure" in err and "measured ms/step vs costs (pytorch" in err


@pytest.mark.slow
def test_driver_killed_mid_sweep_then_resumed_writes_nothing_twice(tmp_path, local_file):
    out = tmp_path / "s.csv"
    proc, seen = _start([*THREE, "--out", str(out)], tmp_path), set()
    _kill_after_first_row(proc, out, seen)
    assert not _gone(seen), "a measuring process outlived the killed sweep"
    before = _rows(out)
    assert 1 <= len(before) < 3
    code, _, err = run_cli("sweep", *THREE, "--out", str(out), "--resume")
    assert code == 0, err
    rows = _rows(out)
    assert [r["key"] for r in rows] == [r["key"] for r in _rows(local_file)]  # nothing twice, variant order
    assert {k: before[0][k] for k in before[0] if k != "pareto"} == {k: rows[0][k] for k in rows[0] if k != "pareto"}
    assert f"{3 - len(before)} this run, {len(before)} from the file before" in err


ray = pytest.importorskip("ray")


@pytest.mark.slow
def test_ray_driver_killed_then_resumed_same_rows_as_local_and_no_ray_process_left(tmp_path, local_file):
    """The issue's done-when check, at three variants: kill after the first row, resume, same file as local."""
    out = tmp_path / "s.csv"
    proc, seen = _start([*THREE, "--executor", "ray", "--out", str(out)], tmp_path), set()
    _kill_after_first_row(proc, out, seen)
    assert len(seen) > 3  # Ray's GCS, raylet, agents, workers ran under the driver
    assert not _gone(seen, within=30), "Ray processes outlived the killed sweep"
    proc = _start([*THREE, "--executor", "ray", "--out", str(out), "--resume"], tmp_path)
    stdout, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    rows, local = _rows(out), _rows(local_file)
    assert [{k: r[k] for k in SAME} for r in rows] == [{k: r[k] for k in SAME} for r in local]
    assert "with ray (a local Ray instance; " in err and "0 GPU per task)" in err


@pytest.mark.slow
def test_a_killed_ray_worker_is_retried(tmp_path):
    out = tmp_path / "s.csv"
    proc = _start(["cifar/resnet20", "--vary", "stages[0].blocks=1,2", *TINY, "--executor", "ray", "--out", str(out)],
                  tmp_path)  # fmt: skip
    killed, deadline = None, time.monotonic() + 240
    while killed is None and time.monotonic() < deadline and proc.poll() is None:
        for pid in _descendants(proc.pid):
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
                parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
                title = Path(f"/proc/{parent}/cmdline").read_bytes().split(b"\0")[0].decode()
            except (OSError, ValueError):
                continue
            if "archc.bench.worker" in cmd and title.startswith("ray::archc-sweep-measure"):
                os.kill(parent, signal.SIGKILL)  # the Ray worker running the task, mid-measurement
                killed = (parent, pid)
                break
        time.sleep(0.05)
    assert killed is not None, "never saw a Ray worker measuring"
    stdout, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert not _gone({killed[1]}), "the killed worker's measuring child survived it"
    rows = _rows(out)
    assert [r["status"] for r in rows] == ["ok", "ok"] and all(float(r["pytorch_img_per_s"]) > 0 for r in rows)


@pytest.mark.slow
def test_a_task_no_ray_node_can_run_is_refused(tmp_path):
    proc = _start([*THREE, "--executor", "ray", "--cpus-per-task", "512", "--out", str(tmp_path / "s.csv")], tmp_path)
    stdout, err = proc.communicate(timeout=300)
    assert (proc.returncode, stdout) == (2, ""), err
    assert "error[E600]: --cpus-per-task 512: no node of the Ray cluster has 512 CPUs (the largest has " in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_sigterm_shuts_ray_down_and_says_how_to_resume(tmp_path):
    """Ray installs its own SIGTERM handler (it aborts the driver); the sweep puts Python's back."""
    out = tmp_path / "s.csv"
    proc, seen = _start([*THREE, "--executor", "ray", "--out", str(out)], tmp_path), set()
    deadline = time.monotonic() + 240
    while not (out.exists() and len(out.read_text(encoding="utf-8").splitlines()) >= 2) and time.monotonic() < deadline:
        seen |= _descendants(proc.pid)
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    stdout, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert err.rstrip().endswith(f"sweep: interrupted; the rows done are in {out}: rerun with --resume to finish")
    assert not _gone(seen, within=30) and len(_rows(out)) >= 1
