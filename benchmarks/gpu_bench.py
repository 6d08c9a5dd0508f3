"""GPU benchmark of the generated models, in one run of under 5 minutes on a current GPU:

1. PyTorch, archc's generated ``torchvision/resnet50``, training throughput (forward + backward + SGD step):
   eager fp32 NCHW, eager AMP + channels_last, ``torch.compile`` + AMP + channels_last;
2. Keras, training throughput of archc's generated ``keras/resnet50`` beside ``keras.applications.ResNet50``
   (the same architecture), same batch, same settings, the same measuring code.

Every row is measured exactly as ``archc bench --device cuda --train`` measures (a fresh process per row,
warm-up, CUDA-synchronised timed blocks, median and spread over repeats, peak allocated device memory); the
reference Keras model goes through the same child as a one-line source ``build_model = ResNet50``.
Prints a markdown table (and writes the rows as JSON with ``--json FILE``).

    python benchmarks/gpu_bench.py [--batch 128] [--amp bf16|fp16] [--steps 20] [--repeats 3]

Without CUDA it stops at once with exit 2; ``--cpu-dry-run`` runs the same path on the CPU at 64×64 with one
tiny step (torch.compile skipped) to check the script, not to measure anything.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace

from archc.bench.options import Refusal, Settings, cuda_driver_present, non_negative, positive
from archc.bench.runner import make_row, run_child
from archc.codegen import emit
from archc.pipeline import compile_spec
from archc.reports.summary import summary

TORCH_SPEC, KERAS_SPEC = "torchvision/resnet50", "keras/resnet50"
KERAS_APPLICATION = "import keras\n\n\ndef build_model(**kwargs):\n    return keras.applications.ResNet50(**kwargs)\n"
# (row label, backend, spec, settings changes, source: None = archc's generated code)
CASES = [
    ("generated torchvision/resnet50 · eager fp32 NCHW", "pytorch", TORCH_SPEC, {}, None),
    ("generated torchvision/resnet50 · eager AMP channels_last", "pytorch", TORCH_SPEC,
     {"amp": True, "channels_last": True}, None),
    ("generated torchvision/resnet50 · torch.compile AMP channels_last", "pytorch", TORCH_SPEC,
     {"amp": True, "channels_last": True, "compile": True}, None),
    ("generated keras/resnet50 · fp32", "keras", KERAS_SPEC, {}, None),
    ("keras.applications.ResNet50 · fp32", "keras", KERAS_SPEC, {}, KERAS_APPLICATION),
]  # fmt: skip


# The BENCHMARKS.md section about this script (appended by benchmarks/report.py); when a GPU run is made,
# paste its table here with the date, GPU and software versions.
REPORT = """\
## GPU: `benchmarks/gpu_bench.py` (not run: no GPU in this session)

`python benchmarks/gpu_bench.py` measures, in one run of under 5 minutes on a current GPU, training
throughput (forward + backward + SGD, batch 128) of archc's generated `torchvision/resnet50` in eager fp32
NCHW, eager AMP (bf16) + channels_last and `torch.compile` + AMP + channels_last, and of archc's generated
Keras `keras/resnet50` beside `keras.applications.ResNet50` (same batch, same measuring child), and prints a
markdown table: img/s, ms/step (median, min–max over repeats), spread, speed-up against the first row of
the same framework, peak allocated device memory and the first step's time (compilation). Every row is
measured as `archc bench --device cuda --train` measures it, one fresh process per row.

**No figures yet**: the session that wrote the script had no GPU (the device pool did not lend one to
this task), so nothing was measured on a GPU. Without CUDA the script stops at once with exit 2;
`--cpu-dry-run` runs the same path on the CPU at 64×64 with one step to check the script (the tests do).
CPU figures of `archc bench` are in the README (section "archc bench").
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="gpu_bench.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--batch", type=positive, default=128, help="images per training step (default 128)")
    p.add_argument("--amp", choices=["bf16", "fp16"], default="bf16", help="precision of the AMP rows (default bf16)")
    p.add_argument("--warmup", type=non_negative, default=10, help="untimed steps (default 10; ≥ 1 for compile)")
    p.add_argument("--steps", type=positive, default=20, help="timed steps per repeat (default 20)")
    p.add_argument("--repeats", type=positive, default=3, help="timed repeats (default 3)")
    p.add_argument("--skip-keras", action="store_true", help="PyTorch rows only")
    p.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    p.add_argument("--cpu-dry-run", action="store_true", help="check the script on the CPU (64×64, 1 step, no compile)")
    args = p.parse_args(argv)
    if args.warmup == 0:
        p.error("--warmup 0: the compiled rows need at least one warm-up step (it compiles)")
    return args


def plan(args) -> list[tuple[str, str, str, Settings, str | None]]:
    """The rows to measure: (label, backend, spec, settings, source or None)."""
    base = Settings(backends=("pytorch",), device="cuda", batch=args.batch, warmup=args.warmup, steps=args.steps,
                    repeats=args.repeats, train=True)  # fmt: skip
    if args.cpu_dry_run:
        base = replace(base, device="cpu", batch=2, warmup=1, steps=1, repeats=1, threads=1)
    rows = []
    for label, backend, spec, changes, source in CASES:
        if backend == "keras" and args.skip_keras or changes.get("compile") and args.cpu_dry_run:
            continue
        settings = replace(base, **{**changes, "amp": args.amp if changes.get("amp") else None})
        if settings.device == "cpu" and settings.amp == "fp16":
            settings = replace(settings, amp="bf16")
        rows.append((label, backend, spec, settings, source))
    return rows


def measure(label: str, backend: str, spec: str, settings: Settings, source: str | None, size: int | None) -> dict:
    c = compile_spec(spec, input_size=(size, size) if size else None)
    s = summary(c)
    job = {**settings.for_backend(backend), "label": spec, "input_shape": s["input_shape"]}
    job["source"] = source or emit(c, backend)
    result = run_child(job, settings.device)
    if "unavailable" in result:
        raise Refusal(result["unavailable"], "run this script on a machine with a GPU and CUDA builds")
    if result["output_shape"] != s["output_shape"]:
        raise RuntimeError(f"{label}: output shape {result['output_shape']}, expected {s['output_shape']}")
    row = make_row(c, s, job, result, [])
    row["row"] = label
    return row


def markdown(rows: list[dict], dry_run: bool = False) -> str:
    head = ["model · setup", "framework", "batch", "img/s", "ms/step (min–max)", "spread", "× first row",
            "peak mem", "first step"]  # fmt: skip
    lines = ["| " + " | ".join(head) + " |", "|---|---|" + "---:|" * (len(head) - 2)]
    first = {}
    for r in rows:
        ips = r["images_per_s"]["median"]
        base = first.setdefault(r["backend"], ips)
        ms = r["step_ms"]
        cells = [r["row"], r["framework"], str(r["batch"]), f"{ips:,.0f}",
                 f"{ms['median']:,.1f} ({ms['min']:,.1f}–{ms['max']:,.1f})", f"{r['spread_pct']:.0f} %",
                 f"{ips / base:.2f}×", f"{r['peak_memory_bytes'] / 2**30:.2f} GiB", f"{r['first_step_s']:.1f} s"]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    r = rows[0]
    lines += ["", f"Training steps (forward + backward + SGD), {r['device']} ({r['device_name']}), {r['warmup']} "
              f"warm-up, {r['repeats']} × {r['steps']} timed steps; peak mem: {r['peak_memory_kind']}; "
              "× first row: against the first row of the same framework; first step includes compilation / tracing."]  # fmt: skip
    if dry_run:
        lines.append("CPU DRY RUN at 64×64, one step: checks the script, measures nothing worth quoting.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.cpu_dry_run and not cuda_driver_present():
        print("error: no CUDA device here (no NVIDIA driver, or CUDA_VISIBLE_DEVICES hides it): this script measures "
              "a GPU\n  help: run it on a GPU machine, or pass --cpu-dry-run to check it on the CPU", file=sys.stderr)  # fmt: skip
        return 2
    rows, skipped = [], []
    for label, backend, spec, settings, source in plan(args):
        print(f"measuring {label} ({backend}, {spec}) …", file=sys.stderr, flush=True)
        try:
            rows.append(measure(label, backend, spec, settings, source, 64 if args.cpu_dry_run else None))
        except Refusal as exc:  # e.g. a CPU-only TensorFlow beside a CUDA torch: keep the other rows
            skipped.append(f"{label}: not measured ({exc.message})")
    if not rows:
        print("error: nothing could be measured\n  help: " + "; ".join(skipped), file=sys.stderr)
        return 2
    print(markdown(rows, args.cpu_dry_run) + "".join(f"\n- {line}" for line in skipped))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(rows, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
