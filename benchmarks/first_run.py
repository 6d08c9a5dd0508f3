"""A first run (issue 24 item 3): ``archc cost SPEC`` on a cache miss against the torch counter, interleaved.

Editing a spec and running ``archc cost`` is a cache miss every time, so the figure that matters is a whole
``archc cost resnet152`` process whose summary cache is empty (a private, fresh folder per run: the key, the
lookup, the compile and the store are all timed), against ``import torch``, building the generated PyTorch
model and one forward pass under ``torch.utils.flop_counter.FlopCounterMode`` — the same figures (FLOPs =
2 × MACs and params are checked equal).

The machine is shared, so the two are measured in **interleaved pairs** (archc, then torch, N times): a
burst of load hits both sides of a pair alike. Reported per pair and as medians: wall time, CPU time (user +
system of the process and its threads; less sensitive to other load than wall time) and the 1-minute load
average before each pair. Bytecode caching is on, as for any installed package (benchmarks/timing.child_env).

Each round also times the **floor**: a process that does only what the design costs whatever archc does —
Python, ``import networkx``, PyYAML, the pydantic spec schema imported and its validator built, started and
ended as the console script is (:mod:`archc.process`). torch / floor is the most this design can reach on the
machine; archc − floor is what archc's own code (its modules, the passes, the cache, the output) costs.

``--before DIR`` adds a further process to each round: ``python -m archc cost`` of an older checkout (a folder
with its ``archc/`` and ``specs/``, e.g. ``git archive <commit> archc specs | tar -x -C DIR``), run the same
way as this one (``python -m archc`` from the checkout's folder), so the change is measured in the same run.

``--instructions`` counts instead the instructions that archc, the floor (and ``--before``) execute, under
valgrind's callgrind (``PYTHONHASHSEED=0``): a figure that does not depend on the load (torch is not run under
it: it would take minutes). It compares changes on a busy machine; the time ratios are the issue's figure.

Run: ``python -m benchmarks.first_run [--pairs N] [--spec NAME] [--before DIR] [--instructions]`` (default 5
pairs, resnet152).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.cost_speed import FLOOR, TORCH_COUNT
from benchmarks.generated import generated_source
from benchmarks.timing import REPO, child_env, python_script, run_process, summary_cache

TARGET = 15.0  # × faster than torch + FlopCounterMode, uncached (issue 24); 20 × is the moonshot


def _archc_first_run(name: str, checkout: Path = REPO) -> tuple[float, float, dict]:
    """One ``python -m archc cost NAME`` process of ``checkout`` (its folder first on sys.path) with an empty
    summary cache of its own."""
    command = [sys.executable, "-m", "archc", "cost", name]
    with tempfile.TemporaryDirectory() as tmp, summary_cache(tmp):
        run = run_process(command, cwd=checkout)
        doc = json.loads(run_process([*command, "--json"], cwd=checkout).stdout)
    return run.wall_s, run.cpu_s, doc


def measure(name: str, pairs: int, before: Path | None = None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        source = generated_source("pytorch", name, Path(tmp))
        torch_cmd = python_script(TORCH_COUNT, str(source))
        floor_cmd = python_script(FLOOR)
        run_process(torch_cmd)  # warm-up of all: bytecode written, files in the page cache
        run_process(floor_cmd)
        _archc_first_run(name)
        if before:
            _archc_first_run(name, before)
        rows = []
        for _ in range(pairs):
            load = os.getloadavg()[0]
            a_wall, a_cpu, doc = _archc_first_run(name)
            t = run_process(torch_cmd)
            f = run_process(floor_cmd)
            figures = json.loads(t.stdout.strip().splitlines()[-1])
            same = figures["flops"] == 2 * doc["macs"] and figures["params"] == doc["params"]
            row = {"load_1min": load, "archc_wall_s": a_wall, "archc_cpu_s": a_cpu, "torch_wall_s": t.wall_s,
                   "torch_cpu_s": t.cpu_s, "floor_wall_s": f.wall_s, "floor_cpu_s": f.cpu_s,
                   "same_figures": same}  # fmt: skip
            if before:
                b_wall, b_cpu, old = _archc_first_run(name, before)
                row.update(before_wall_s=b_wall, before_cpu_s=b_cpu, same_figures=same and old["macs"] == doc["macs"])
            rows.append(row)
    med = {k: statistics.median(r[k] for r in rows) for k in rows[0] if k != "same_figures"}
    return {
        "spec": name,
        "pairs": rows,
        "median": med,
        "wall_ratio": statistics.median(r["torch_wall_s"] / r["archc_wall_s"] for r in rows),
        "cpu_ratio": statistics.median(r["torch_cpu_s"] / r["archc_cpu_s"] for r in rows),
        "floor_wall_ratio": statistics.median(r["torch_wall_s"] / r["floor_wall_s"] for r in rows),
        "floor_cpu_ratio": statistics.median(r["torch_cpu_s"] / r["floor_cpu_s"] for r in rows),
        "same_figures": all(r["same_figures"] for r in rows),
        "load_after": os.getloadavg()[0],
        **({"before": str(before), "before_cpu_ratio": statistics.median(r["torch_cpu_s"] / r["before_cpu_s"] for r in rows),
            "before_wall_ratio": statistics.median(r["torch_wall_s"] / r["before_wall_s"] for r in rows)}
           if before else {}),
    }  # fmt: skip


def text(result: dict) -> str:
    lines = [f"archc cost {result['spec']} (empty summary cache) vs torch + FlopCounterMode, interleaved pairs",
             "pair  load  archc wall  archc CPU  torch wall  torch CPU  ratio wall  ratio CPU  floor wall  floor CPU"]  # fmt: skip
    for i, r in enumerate(result["pairs"], 1):
        before = f"  before: {r['before_wall_s']:.3f}s / {r['before_cpu_s']:.3f}s CPU" if "before_cpu_s" in r else ""
        lines.append(
            f"{i:>4}  {r['load_1min']:4.1f}  {r['archc_wall_s']:9.3f}s  {r['archc_cpu_s']:8.3f}s  "
            f"{r['torch_wall_s']:9.2f}s  {r['torch_cpu_s']:8.2f}s  {r['torch_wall_s'] / r['archc_wall_s']:9.1f}×  "
            f"{r['torch_cpu_s'] / r['archc_cpu_s']:8.1f}×  {r['floor_wall_s']:9.3f}s  {r['floor_cpu_s']:8.3f}s{before}"
        )
    m = result["median"]
    lines.append(
        f"median: archc {m['archc_wall_s']:.3f} s wall / {m['archc_cpu_s']:.3f} s CPU; torch {m['torch_wall_s']:.2f} s"
        f" wall / {m['torch_cpu_s']:.2f} s CPU; ratio (median of pairs) {result['wall_ratio']:.1f}× wall, "
        f"{result['cpu_ratio']:.1f}× CPU (target ≥ {TARGET:g}×); 1-min load {m['load_1min']:.1f} before "
        f"(median), {result['load_after']:.1f} after; same figures: {result['same_figures']}"
    )
    lines.append(
        f"floor (Python + networkx + PyYAML + the pydantic schema built): {m['floor_wall_s']:.3f} s wall / "
        f"{m['floor_cpu_s']:.3f} s CPU (median); torch / floor {result['floor_wall_ratio']:.1f}× wall, "
        f"{result['floor_cpu_ratio']:.1f}× CPU (the most this design reaches here); archc above the floor "
        f"{m['archc_cpu_s'] - m['floor_cpu_s']:.3f} s CPU"
    )
    if "before" in result:
        lines.append(
            f"before ({result['before']}): {m['before_wall_s']:.3f} s wall / {m['before_cpu_s']:.3f} s CPU (median); "
            f"ratio {result['before_wall_ratio']:.1f}× wall, {result['before_cpu_ratio']:.1f}× CPU"
        )
    return "\n".join(lines)


def instructions(cmd: list[str], cwd: Path = REPO) -> int:
    """Instructions one process executes (callgrind), with an empty summary cache of its own."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**child_env(), "PYTHONHASHSEED": "0", "ARCHC_CACHE_DIR": tmp}
        valgrind = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *cmd]
        proc = subprocess.run(valgrind, cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return int(re.search(r"Collected : (\d+)", proc.stderr).group(1))


def instruction_counts(name: str, before: Path | None = None) -> str:
    archc = [sys.executable, "-m", "archc", "cost", name]
    counts = {"archc": instructions(archc), "floor": instructions(python_script(FLOOR))}
    if before:
        counts["before"] = instructions(archc, cwd=before)
    lines = [f"archc cost {name} (empty summary cache), million instructions (callgrind, load-independent):"]
    lines += [f"  {what:6s} {n / 1e6:8.1f}" for what, n in counts.items()]
    lines.append(f"  archc above the floor: {(counts['archc'] - counts['floor']) / 1e6:.1f} M "
                 f"({1 - counts['floor'] / counts['archc']:.1%} of archc)")  # fmt: skip
    if before:
        lines.append(f"  archc / before: {counts['archc'] / counts['before'] - 1:+.1%}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.first_run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--spec", default="resnet152")
    parser.add_argument("--before", type=Path, help="an older checkout (archc/ and specs/) measured in each round")
    parser.add_argument("--json", action="store_true", help="print the measurements as JSON")
    parser.add_argument("--instructions", action="store_true", help="count instructions (valgrind) instead")
    args = parser.parse_args(argv)
    if args.instructions:
        if shutil.which("valgrind") is None:
            parser.error("--instructions needs valgrind on PATH")
        print(instruction_counts(args.spec, args.before))
        return 0
    result = measure(args.spec, args.pairs, args.before)
    print(json.dumps(result, indent=2) if args.json else text(result))
    return 0 if result["same_figures"] else 1


if __name__ == "__main__":
    sys.exit(main())
