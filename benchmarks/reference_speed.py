"""Speed as the reference's: archc's generated models against the libraries' own, in one run.

``python -m benchmarks.reference_speed [--device cpu|cuda] [--batch N] [--size S] [--repeats N] [--threads N]
[--json FILE] [--quick]``

Pairs (same architecture, same computation):

- generated ``torchvision/resnet50`` vs ``torchvision.models.resnet50()``;
- generated ``timm/seresnet50`` vs ``timm.create_model("seresnet50")``;
- generated ``regnet/regnety_032`` vs ``timm.create_model("regnety_032")``;
- generated ``timm/convnext_tiny`` (a user-block family: LayerNorm, GELU, layer scale) vs
  ``timm.create_model("convnext_tiny")``.

Where the state dicts have the same keys the reference's weights are loaded into the generated model; where they
do not, both sides keep their own random weights (reported per pair).

For each pair, the forward pass (eval, ``torch.inference_mode``) and the training step (forward, cross-entropy,
backward, SGD with momentum) are timed step by step, *interleaved*: each repeat times one generated step and one
reference step, alternating which goes first, so that other load on the machine hits both sides alike. Reported:
the median of the per-repeat ratios generated / reference with their spread (min–max), each side's median step
time and process CPU time per step, and the 1-minute load average before and after. They are the same modules,
so the ratio should be 1. On a GPU (``--device cuda``; see ``benchmarks/gpu_reference_speed.py``) each step ends
with ``torch.cuda.synchronize()``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # tests.libs imports torchvision on CPU torch (DEVELOPERS.md)

PAIRS = [
    ("torchvision/resnet50", "torchvision", "resnet50"),
    ("timm/seresnet50", "timm", "seresnet50"),
    ("regnet/regnety_032", "timm", "regnety_032"),
    ("timm/convnext_tiny", "timm", "convnext_tiny"),
]


def models(builtin: str, library: str, name: str, device: str):
    import torch

    from tests.counterparts import golden
    from tests.libs import timm, torchvision_models

    torch.manual_seed(0)
    reference = timm().create_model(name) if library == "timm" else getattr(torchvision_models(), name)()
    generated = golden(builtin).build_model()
    same_modules = list(generated.state_dict()) == list(reference.state_dict())
    if same_modules:
        generated.load_state_dict(reference.state_dict(), strict=True)
    return generated.to(device), reference.to(device), same_modules


def _stepper(model, x, y, train: bool, sync):
    import torch

    if not train:
        model.eval()

        def forward():
            with torch.inference_mode():
                model(x)
            sync()

        return forward
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss_fn(model(x), y).backward()
        optimizer.step()
        sync()

    return step


def _timed(step) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    step()
    return time.perf_counter() - wall, time.process_time() - cpu


def interleaved(ours, theirs, warmup: int, repeats: int) -> dict:
    """Alternate generated / reference steps; per-repeat ratios and each side's times."""
    for _ in range(warmup):
        ours()
        theirs()
    rows = {"generated": [], "reference": [], "cpu_generated": [], "cpu_reference": []}
    for r in range(repeats):
        order = (
            (("generated", ours), ("reference", theirs)) if r % 2 == 0 else (("reference", theirs), ("generated", ours))
        )
        for side, step in order:
            wall, cpu = _timed(step)
            rows[side].append(wall)
            rows[f"cpu_{side}"].append(cpu)
    ratios = [g / t for g, t in zip(rows["generated"], rows["reference"])]
    return {
        "ratio_median": statistics.median(ratios),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
        "generated_s": statistics.median(rows["generated"]),
        "reference_s": statistics.median(rows["reference"]),
        "cpu_generated_s": statistics.median(rows["cpu_generated"]),
        "cpu_reference_s": statistics.median(rows["cpu_reference"]),
    }


def measure(args) -> list[dict]:
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    sync = torch.cuda.synchronize if args.device == "cuda" else (lambda: None)
    out = []
    for builtin, library, name in PAIRS[: args.pairs]:
        generated, reference, same = models(builtin, library, name, args.device)
        g = torch.Generator().manual_seed(0)
        x = torch.randn(args.batch, 3, args.size, args.size, generator=g).to(args.device)
        y = torch.randint(0, 1000, (args.batch,), generator=g).to(args.device)
        for mode, train in (("forward", False), ("train step", True)):
            load = os.getloadavg()[0]
            ours, theirs = _stepper(generated, x, y, train, sync), _stepper(reference, x, y, train, sync)
            row = interleaved(ours, theirs, args.warmup, args.repeats)
            ref = f"{library}.{name}" if library == "timm" else f"torchvision.models.{name}"
            row.update(pair=f"{builtin} / {ref}", mode=mode, same_modules=same, load=[load, os.getloadavg()[0]])
            out.append(row)
            print(f"[reference_speed] {row['pair']} {mode}: {row['ratio_median']:.3f}", file=sys.stderr, flush=True)
    return out


def markdown(rows: list[dict], args) -> str:
    import torch

    lines = [
        f"Generated vs the library's own model, {args.device}, batch {args.batch} at {args.size}×{args.size}, "
        f"{args.repeats} interleaved repeats after {args.warmup} warm-up step(s), torch {torch.__version__}, "
        f"{torch.get_num_threads()} thread(s):",
        "",
        "| pair | step | generated / reference (median, min–max) | generated | reference | CPU s/step gen / ref "
        "| weights | load (1 min) |",
        "|---|---|---:|---:|---:|---:|---|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['pair']} | {r['mode']} | {r['ratio_median']:.3f} ({r['ratio_min']:.3f}–{r['ratio_max']:.3f}) "
            f"| {r['generated_s'] * 1e3:,.1f} ms | {r['reference_s'] * 1e3:,.1f} ms "
            f"| {r['cpu_generated_s']:.2f} / {r['cpu_reference_s']:.2f} "
            f"| {'same (loaded)' if r['same_modules'] else 'random, own layout'} "
            f"| {r['load'][0]:.1f}–{r['load'][1]:.1f} |"
        )
    return "\n".join(lines)


def parse(argv: list[str] | None, device: str = "cpu") -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.reference_speed", description=__doc__.split("\n\n")[0])
    p.add_argument("--device", choices=["cpu", "cuda"], default=device)
    p.add_argument("--batch", type=int, default=None, help="default 4 on cpu, 64 on cuda")
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--warmup", type=int, default=None, help="default 1 on cpu, 5 on cuda")
    p.add_argument("--repeats", type=int, default=None, help="default 7 on cpu, 20 on cuda")
    p.add_argument("--threads", type=int, default=None, help="CPU threads (default: torch's)")
    p.add_argument("--pairs", type=int, default=len(PAIRS), help="only the first N pairs")
    p.add_argument("--json", type=Path, help="write the rows as JSON")
    p.add_argument("--quick", action="store_true", help="smoke test: 1 pair, batch 1 at 64², 1 repeat")
    args = p.parse_args(argv)
    cuda = args.device == "cuda"
    args.batch = args.batch or (64 if cuda else 4)
    args.warmup = (5 if cuda else 1) if args.warmup is None else args.warmup
    args.repeats = args.repeats or (20 if cuda else 7)
    if args.quick:
        args.batch, args.size, args.warmup, args.repeats, args.pairs = 1, 64, 0, 1, 1
    return args


def main(argv: list[str] | None = None, device: str = "cpu") -> int:
    args = parse(argv, device)
    if args.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            print("no CUDA device: run on a GPU machine (or use --device cpu)", file=sys.stderr)
            return 2
    rows = measure(args)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    print(markdown(rows, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
