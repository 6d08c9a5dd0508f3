"""``archc sweep --measure``: each kept variant measured as ``archc bench`` measures a spec.

The driver compiles the variant and emits each backend's source (:func:`archc.bench.runner.job_for`: no
framework imported); :func:`measure_jobs` — run in the driver's process by the local executor, or as a Ray
task — hands each job to a fresh measuring child (``python -m archc.bench.worker``), which dies with the
process that started it. A child killed by a signal (the OOM killer, a lost worker) raises
:class:`ChildKilled`, which is retried; any other failure is the variant's error, recorded in its row.
:func:`columns_of` turns results into the row's measured columns with :func:`archc.bench.runner.make_row`,
so the figures are exactly ``archc bench``'s.
"""

from __future__ import annotations

import os
from pathlib import Path


class ChildKilled(RuntimeError):
    """A measuring child killed by a signal: it may pass on a retry."""


def measure_jobs(jobs: list[dict], device: str) -> list[dict]:
    """Measure each job in a fresh child, one after another; results with the 1-min load around each."""
    from archc.bench.runner import ChildFailed, run_child

    root = str(Path(__file__).resolve().parents[2])  # archc's parent folder (shipped to a cluster's workers)
    path = os.environ.get("PYTHONPATH", "")
    if root not in path.split(os.pathsep):
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (root, path) if p)
    out = []
    for job in jobs:
        load = os.getloadavg()[0]
        try:
            result = run_child(job, device, die_with_parent=True)
        except ChildFailed as exc:
            if exc.returncode < 0:
                raise ChildKilled(str(exc)) from None
            raise RuntimeError(str(exc)) from None
        out.append({"result": result, "load": [load, os.getloadavg()[0]], "host": os.uname().nodename})
    return out


def jobs_for(loaded, settings) -> tuple[list[dict], list[dict]]:
    """The jobs (one per backend) and their summaries for a validated variant (a :class:`LoadedSpec`)."""
    from archc.bench.runner import job_for
    from archc.pipeline import compile_spec

    compiled = compile_spec(loaded)
    pairs = [job_for(compiled, backend, settings) for backend in settings.backends]
    return [j for j, _ in pairs], [s for _, s in pairs]


def columns_of(jobs: list[dict], summaries: list[dict], results: list[dict]) -> dict:
    """The measured columns of a row from the results of :func:`measure_jobs` (raises on a wrong result)."""
    from archc.bench.measured import FIGURES
    from archc.bench.runner import check_result, make_row

    out = {}
    for job, s, done in zip(jobs, summaries, results):
        check_result(job, s, done["result"])
        row = make_row(None, s, job, done["result"], done["load"])
        figures = {
            "img_per_s": row["images_per_s"]["median"],
            "ms_per_step": row["step_ms"]["median"],
            "macs_per_s": row["achieved_macs_per_s"],
            "peak_mem": row["peak_memory_bytes"],
        }
        out |= {f"{job['backend']}_{FIGURES[k][0]}": v for k, v in figures.items()}
        out["device_name"] = row["device_name"]
    return out


def one_line(error: BaseException | str) -> str:
    """An error as one line (a row's ``error`` cell)."""
    text = str(error).strip() or type(error).__name__
    return " | ".join(line.strip() for line in text.splitlines() if line.strip())[:500]
