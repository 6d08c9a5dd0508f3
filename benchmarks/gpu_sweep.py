"""A measured design space on a GPU (issue 22): do MACs, params or activations predict GPU time?

A seeded sample of the RegNetX design space around RegNetX-400MF (w0, wa, depth, group width varied; 0.2 to
2.2 GMACs, 3 to 28 M params), each variant measured by ``archc sweep --measure --device cuda`` exactly as
``archc bench`` measures (a fresh process per variant, warm-up, CUDA-synchronised timed blocks, median over
repeats, peak allocated device memory), then what the measurements say: Spearman's ρ of each cost against
the measured ms/step and the best linear fit (the RegNet paper found activations the better predictor of GPU
time), and a markdown table of the variants by measured throughput.

    python benchmarks/gpu_sweep.py [--variants 12] [--batch 64] [--train] [--executor local|ray] [--out FILE]

The sweep's log is ``--out`` (default ``gpu_sweep.csv``): rerun the same command to resume after an
interruption (``--resume`` is passed when the file exists). Without CUDA it stops at once with exit 2;
``--cpu-dry-run`` runs the same path on the CPU at 64×64 with one tiny step, to check the script.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from archc.bench.options import cuda_driver_present, non_negative, positive

BASE = "regnet/regnetx_004"
AXES = {
    "stages.regnet.w0": "16..64:8",
    "stages.regnet.wa": "16..48:8",
    "stages.regnet.depth": "13..25:3",
    "stages.regnet.group_width": "8,16,24",
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="gpu_sweep.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--variants", type=positive, default=12, help="variants sampled (seed 1; default 12)")
    p.add_argument("--batch", type=positive, default=64)
    p.add_argument("--train", action="store_true", help="time training steps (default: inference)")
    p.add_argument("--amp", choices=["bf16", "fp16"], default="bf16")
    p.add_argument("--warmup", type=non_negative, default=5)
    p.add_argument("--steps", type=positive, default=20)
    p.add_argument("--repeats", type=positive, default=3)
    p.add_argument("--executor", choices=["local", "ray"], default="local")
    p.add_argument("--out", default="gpu_sweep.json", help="the sweep's log (.json or .csv; default gpu_sweep.json)")
    p.add_argument("--cpu-dry-run", action="store_true", help="check the script on a CPU (measures nothing)")
    return p.parse_args(argv)


def command(args: argparse.Namespace) -> list[str]:
    argv = [sys.executable, "-m", "archc", "sweep", BASE, *[x for k, v in AXES.items() for x in ("--vary", f"{k}={v}")]]
    argv += ["--sample", str(args.variants), "--seed", "1", "--measure", "--executor", args.executor]
    if args.cpu_dry_run:
        argv += ["--vary", "input.size=64", "--batch", "2", "--warmup", "0", "--steps", "1", "--repeats", "1"]
    else:
        argv += ["--device", "cuda", "--amp", args.amp, "--batch", str(args.batch), "--warmup", str(args.warmup),
                 "--steps", str(args.steps), "--repeats", str(args.repeats), "--channels-last"]  # fmt: skip
    argv += ["--train"] if args.train else []
    argv += ["--out", args.out] + (["--resume"] if Path(args.out).exists() else [])
    return argv


def markdown(doc: dict) -> str:
    rows = sorted((r for r in doc["rows"] if r["status"] == "ok"), key=lambda r: -r["pytorch_img_per_s"])
    head = ["w0", "wa", "depth", "group width", "GMACs", "M params", "M activations", "img/s", "ms/step", "front"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---:|" * len(head)]
    for r in rows:
        cells = [*(str(r[k]) for k in AXES), f"{r['macs'] / 1e9:.2f}", f"{r['params'] / 1e6:.1f}",
                 f"{r['activations'] / 1e6:.1f}", f"{r['pytorch_img_per_s']:,.0f}", f"{r['pytorch_ms_per_step']:.2f}",
                 "●" if r["pareto"] else ""]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    for e in doc["predictors"]:
        rho = ", ".join(
            f"{c} {e[c]['spearman']:.2f}" for c in ("macs", "params", "activations") if e[c]["spearman"] is not None
        )
        lines.append(
            f"\n{e['backend']} on {e['device_name']} ({e['variants']} variants): Spearman ρ with ms/step: {rho}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.cpu_dry_run and not cuda_driver_present():
        print("error: no CUDA device here (no NVIDIA driver, or CUDA_VISIBLE_DEVICES hides it): this script measures "
              "a GPU\n  help: run it on a GPU machine, or pass --cpu-dry-run to check it on the CPU", file=sys.stderr)  # fmt: skip
        return 2
    if not args.out.endswith(".json"):
        print(
            "error: --out must be a .json file (the summary with the predictors is read back from it)", file=sys.stderr
        )
        return 2
    proc = subprocess.run(command(args), check=False)
    if proc.returncode != 0:
        return proc.returncode
    doc = json.loads(Path(args.out).read_text(encoding="utf-8"))
    print(markdown(doc))
    if args.cpu_dry_run:
        print("\nCPU DRY RUN at 64×64, one step: checks the script, measures nothing worth quoting.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
