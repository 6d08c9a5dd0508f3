"""``python -m benchmarks [--quick] [--out DIR] [--only SECTION...]``: run the benchmarks, write
``DIR/BENCHMARKS.md`` and ``DIR/BENCHMARKS.png`` (default: the repository root) and print a summary.

``--quick`` is the CI smoke test: small models, one or two repeats, no Keras and no torch.compile; it checks
that everything runs and the report is produced, and its figures mean little.
Exit status: 0 when every section ran and every correctness check passed (a missed speed target is
reported, not an error), 1 otherwise.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
import traceback
from pathlib import Path

from benchmarks import build_speed, cost_speed, model_speed, report, scaling, sweep_ray, sweep_speed
from benchmarks.timing import REPO

SECTIONS = {
    "cost": cost_speed.run,
    "build": build_speed.run,
    "sweep": sweep_speed.run,
    "scaling": scaling.run,
    "models": model_speed.run,
    "sweep_ray": sweep_ray.run,  # measured sweeps, local executor vs Ray (issue 22)
}
NEEDS = {"sweep_ray": "ray"}  # a section whose optional extra is not installed is skipped, and says so


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="CI smoke test: small and fast, figures not meaningful")
    parser.add_argument("--out", type=Path, default=REPO, help="folder for BENCHMARKS.md and BENCHMARKS.png")
    parser.add_argument("--only", nargs="+", choices=list(SECTIONS), help="run only these sections")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    load_before = os.getloadavg()[0]
    sections, failures = [], []
    for key in args.only or SECTIONS:
        if key in NEEDS and importlib.util.find_spec(NEEDS[key]) is None:
            print(f"[benchmarks] {key} skipped: {NEEDS[key]} is not installed (pip install 'archc[{NEEDS[key]}]')")
            continue
        start = time.perf_counter()
        print(f"[benchmarks] {key} …", file=sys.stderr, flush=True)
        try:
            section = SECTIONS[key](quick=args.quick)
        except Exception as exc:  # noqa: BLE001 - one broken section must not hide the others' figures
            traceback.print_exc()
            failures.append(f"{key}: {type(exc).__name__}: {str(exc)[:300]}")
            continue
        sections.append(section)
        print(section.text(), f"\n[benchmarks] {key} took {time.perf_counter() - start:.0f} s\n", flush=True)
    path = report.write(sections, args.out, args.quick, (load_before, os.getloadavg()[0]), failures)
    print(f"wrote {path}")
    bad_checks = [label for s in sections for label, ok, _ in s.checks if not ok]
    for problem in failures + [f"check failed: {label}" for label in bad_checks]:
        print(f"FAILED {problem}", file=sys.stderr)
    return 1 if failures or bad_checks else 0


if __name__ == "__main__":
    sys.exit(main())
