"""``archc sweep`` throughput (issue 15 item 3): 10,000 variants of a ResNet-50-sized space in one whole process.

The space: torchvision/resnet50 with every stage's depth, the third stage's width and the input size varied
(5 × 5 × 10 × 4 × 2 × 5 = 10,000 variants, all valid). Reported: wall time and CPU time (the process and its
worker processes), variants per second, and the load average around the run (the machine is shared, so wall
time depends on what else runs). Checked: sampled rows equal `archc cost --json` of the same variant.

Run alone: ``python -m benchmarks.sweep_speed [--quick]``.
"""

from __future__ import annotations

import csv
import json
import os
import sys
import tempfile
from pathlib import Path

from benchmarks.results import Figure, Section, fmt_seconds
from benchmarks.timing import archc_command, run_process

TARGET_S = 20.0
BASE = "torchvision/resnet50"
AXES = {
    "stages[0].blocks": "1..5",
    "stages[1].blocks": "1..5",
    "stages[2].blocks": "1..10",
    "stages[3].blocks": "1..4",
    "stages[2].width": "128,256",
    "input.size": "160..288:32",
}
QUICK_AXES = {"stages[2].blocks": "1..10", "input.size": "160..288:32", "stages[2].width": "128,256"}
DEFAULT = [["conv2", 64, 3, 1], ["conv3", 128, 4, 2], ["conv4", 256, 6, 2], ["conv5", 512, 3, 2]]


def _variant_yaml(row: dict) -> str:
    table = [list(s) for s in DEFAULT]
    for key, value in row.items():
        if key.startswith("stages["):
            index, field = int(key[7]), key.split(".")[1]
            table[index][{"width": 1, "blocks": 2}[field]] = int(value)
    lines = [f"archc: 1\nextends: {BASE}\nname: variant\ninput: {{size: {row['input.size']}}}\nstages:"]
    lines += [f"  - {{name: {n}, width: {w}, blocks: {b}, stride: {s}}}" for n, w, b, s in table]
    return "\n".join(lines) + "\n"


def _check_rows(section: Section, rows: list[dict], tmp: Path) -> None:
    for row in rows[:: max(1, len(rows) // 4)]:
        spec = tmp / "variant.yaml"
        spec.write_text(_variant_yaml(row), encoding="utf-8")
        cost = json.loads(run_process([*archc_command(), "cost", "--json", "--no-cache", str(spec)]).stdout)
        same = all(int(row[k]) == cost[k] for k in ("params", "macs", "depth", "activations"))
        section.check(f"sweep row {row['variant']} = archc cost of that variant", same, f"{cost['macs']:,} MACs")


def run(quick: bool = False) -> Section:
    axes = QUICK_AXES if quick else AXES
    section = Section("sweep", "`archc sweep`: 10,000 variants of a ResNet-50 design space (one whole process)")
    args = [x for key, values in axes.items() for x in ("--vary", f"{key}={values}")]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "sweep.csv"
        load_before = os.getloadavg()[0]
        result = run_process([*archc_command(), "sweep", BASE, *args, "--out", str(out)])
        load_after = os.getloadavg()[0]
        rows = list(csv.DictReader(out.open(encoding="utf-8")))
        _check_rows(section, rows, Path(tmp))
    n = len(rows)
    target = f"< {TARGET_S:g} s" if not quick else ""
    met = result.wall_s < TARGET_S if not quick else None
    section.add(Figure.info(f"archc sweep, {n:,} variants: wall", fmt_seconds(result.wall_s), target=target, met=met))
    section.add(Figure.info("  CPU time (process + workers)", fmt_seconds(result.cpu_s)))
    section.add(
        Figure.info(
            "  variants per second (wall / per CPU second)", f"{n / result.wall_s:,.0f} / {n / result.cpu_s:,.0f}"
        )
    )
    section.add(Figure.info("  load average (1 min) before / after", f"{load_before:.2f} / {load_after:.2f}"))
    section.note(
        f"{BASE} with " + ", ".join(f"{k}={v}" for k, v in axes.items()) + f" ({n:,} variants, all valid), "
        f"compiled in {os.cpu_count()} worker processes; each distinct (block plan, input shape) is lowered once per "
        "worker (archc/sweep/fastcost.py)."
    )
    return section


def main() -> int:
    print(run(quick="--quick" in sys.argv).text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
