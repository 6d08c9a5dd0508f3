"""Measured sweeps (issue 22): the local executor against Ray on this machine, and Ray's overhead per task.

1. The same measured sweep (CIFAR ResNet-20, N depths of the first stage, small batch, a few timed steps) run
   as a whole ``archc sweep --measure`` process with ``--executor local`` and with ``--executor ray`` (a local
   Ray instance started and shut down by the sweep). Wall time and CPU time (the process and the children it
   waited for: Ray's daemons are not among them, so Ray's CPU time is a lower bound), per variant, and the
   ratio. Checked: both files hold the same variants, keys and costs in the same order.
2. Ray alone, in one fresh process: ``ray.init`` of a local instance, then tasks shaped like the sweep's (each
   asking for every core, so they run one at a time) that do nothing but return — with and without a
   payload the size of a generated model's source: the round trip per task is Ray's overhead.

The machine is shared (2 cores, other engineers' jobs): the 1-minute load average is given beside each
figure. Run alone: ``python -m benchmarks.sweep_ray [--quick]``.
"""

from __future__ import annotations

import csv
import json
import os
import sys
import tempfile
from pathlib import Path

from benchmarks.results import Figure, Section, fmt_seconds
from benchmarks.timing import archc_command, python_script, run_process

TINY = ["--measure", "--batch", "4", "--steps", "3", "--repeats", "2", "--warmup", "1"]
SAME = ("variant", "stages[0].blocks", "params", "macs", "activations", "key", "status")

RAY_OVERHEAD = r"""
import json, os, sys, time
import ray
n, payload = int(sys.argv[1]), "x" * int(sys.argv[2])
start = time.perf_counter()
ray.init(num_cpus=os.cpu_count(), include_dashboard=False, logging_level="ERROR", log_to_driver=False)
init_s = time.perf_counter() - start
task = ray.remote(lambda jobs: len(jobs)).options(num_cpus=os.cpu_count())
ray.get(task.remote(""))  # a worker started
out = {"init_s": init_s}
for name, data in (("empty", ""), ("payload", payload)):
    start = time.perf_counter()
    for _ in range(n):
        ray.get(task.remote(data))
    out[name + "_s"] = (time.perf_counter() - start) / n
start = time.perf_counter()
ray.shutdown()
out["shutdown_s"] = time.perf_counter() - start
print(json.dumps(out))
"""


def _sweep(executor: str, n: int, out: Path):
    args = ["sweep", "cifar/resnet20", "--vary", f"stages[0].blocks=1..{n}", *TINY, "--executor", executor]
    load = os.getloadavg()[0]
    run = run_process([*archc_command(), *args, "--out", str(out)], timeout=1800)
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    return run, rows, (load, os.getloadavg()[0])


def _loads(pair) -> str:
    return f"load {pair[0]:.1f} → {pair[1]:.1f}"


def run(quick: bool = False) -> Section:
    n = 2 if quick else 6
    section = Section("sweep_ray", f"`archc sweep --measure`: local executor vs Ray ({n} CIFAR ResNet-20 variants)")
    with tempfile.TemporaryDirectory() as tmp:
        local, local_rows, local_load = _sweep("local", n, Path(tmp) / "local.csv")
        ray, ray_rows, ray_load = _sweep("ray", n, Path(tmp) / "ray.csv")
    same = [{k: r[k] for k in SAME} for r in local_rows] == [{k: r[k] for k in SAME} for r in ray_rows]
    section.check("local and Ray give the same rows (variants, keys, costs, status) in the same order", same, n)
    section.check("every variant measured", all(r["status"] == "ok" for r in local_rows + ray_rows), n)
    for name, r, load in (("local", local, local_load), ("ray", ray, ray_load)):
        section.add(Figure.info(f"--executor {name}: wall (CPU)", f"{fmt_seconds(r.wall_s)} ({fmt_seconds(r.cpu_s)})",
                                f"{fmt_seconds(r.wall_s / n)} per variant", _loads(load)))  # fmt: skip
    section.add(Figure.info("Ray / local wall time", f"{ray.wall_s / local.wall_s:.2f}×",
                            f"{'+' if ray.wall_s >= local.wall_s else '−'}{fmt_seconds(abs(ray.wall_s - local.wall_s) / n)} per "
                            "variant, Ray's start-up included"))  # fmt: skip
    tasks = 5 if quick else 30
    load = os.getloadavg()[0]
    over = json.loads(run_process(python_script(RAY_OVERHEAD, str(tasks), "40000")).stdout.strip().splitlines()[-1])
    pair = (load, os.getloadavg()[0])
    section.add(Figure.info("Ray: ray.init (local instance) / shutdown",
                            f"{fmt_seconds(over['init_s'])} / {fmt_seconds(over['shutdown_s'])}", "", _loads(pair)))  # fmt: skip
    section.add(Figure.info("Ray: round trip of an empty task (whole-machine CPUs)", fmt_seconds(over["empty_s"]),
                            f"with 40 kB of source: {fmt_seconds(over['payload_s'])}", _loads(pair)))  # fmt: skip
    section.note(
        f"Measuring settings: {' '.join(TINY[1:])}; each variant is one fresh measuring process importing torch "
        f"(as `archc bench`), one at a time with either executor (a task asks for all {os.cpu_count()} cores). "
        "CPU time counts the sweep process and the children it waited for: with Ray neither its daemons nor the "
        "measuring processes (children of Ray's workers) are among them."
    )
    return section


def main() -> int:
    section = run(quick="--quick" in sys.argv)
    print(section.text())
    return 0 if section.ok else 1


if __name__ == "__main__":
    sys.exit(main())
