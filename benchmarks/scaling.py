"""Compile time against model size (issue 9 item 3): load → IR → shapes → cost → names → both emitters.

CIFAR ResNet-20 … 1202 (the paper's section 4.2 family, 6n + 2 layers; the built-in ``specs/cifar/`` specs
when they exist, else equivalent specs written from a template) and a synthetic bottleneck spec of about
10,000 ops. Timed in-process (this is library work; start-up is measured in ``cost_speed``), median of
repeats; the point is that time per op stays roughly constant, i.e. compile time is linear in ops.
"""

from __future__ import annotations

import importlib
import sys
import tempfile
from pathlib import Path

from benchmarks.results import Figure, Section, fmt_seconds
from benchmarks.timing import REPO, repeat_call

CIFAR_DEPTHS = (20, 32, 44, 56, 110, 1202)
BACKENDS = ("archc.backends.pytorch.emitter", "archc.backends.keras.emitter")

CIFAR_TEMPLATE = """\
archc: 1
name: resnet{depth}
description: CIFAR-10 ResNet-{depth} (benchmark template, paper section 4.2)
input: {{channels: 3, size: 32}}
stem:
  - {{op: conv, kernel: 3, width: 16, stride: 1}}
block: basic
shortcut: A
stages:
  - {{name: conv2, width: 16, blocks: {n}, stride: 1}}
  - {{name: conv3, width: 32, blocks: {n}, stride: 2}}
  - {{name: conv4, width: 64, blocks: {n}, stride: 2}}
head: {{pool: avg, classes: 10}}
"""

# ~10,000 ops: 1,000 bottleneck blocks of 10 ops each (plus projections).
SYNTHETIC = """\
archc: 1
name: synthetic_10k
description: synthetic scaling benchmark, 1,000 bottleneck blocks
input: {channels: 3, size: 224}
stem:
  - {op: conv, kernel: 7, width: 64, stride: 2}
  - {op: maxpool, kernel: 3, stride: 2}
block: bottleneck
stages:
  - {name: conv2, width: 64, blocks: 150, stride: 1}
  - {name: conv3, width: 128, blocks: 300, stride: 2}
  - {name: conv4, width: 256, blocks: 400, stride: 2}
  - {name: conv5, width: 512, blocks: 150, stride: 2}
head: {pool: avg, classes: 1000}
"""


def spec_files(workdir: Path, depths) -> list[tuple[str, str]]:
    """``(label, spec reference)`` for each size: built-in CIFAR specs if present, else template files."""
    refs = []
    for depth in depths:
        builtin = REPO / "specs" / "cifar" / f"resnet{depth}.yaml"
        if builtin.is_file():
            refs.append((f"cifar/resnet{depth}", f"cifar/resnet{depth}"))
            continue
        path = workdir / f"resnet{depth}.yaml"
        path.write_text(CIFAR_TEMPLATE.format(depth=depth, n=(depth - 2) // 6), encoding="utf-8")
        refs.append((f"CIFAR ResNet-{depth}*", str(path)))
    path = workdir / "synthetic_10k.yaml"
    path.write_text(SYNTHETIC, encoding="utf-8")
    refs.append(("synthetic 10k ops", str(path)))
    return refs


def compile_and_emit(ref: str, emitters) -> int:
    from archc.pipeline import compile_spec

    compiled = compile_spec(ref)
    for emitter in emitters:
        emitter.emit(compiled)
    return compiled.graph.number_of_nodes()


def stage_times(ref: str, emitters, repeats: int) -> dict[str, float]:
    """Median seconds of compile (load → names) and of each emitter, for one spec."""
    from archc.pipeline import compile_spec

    compiled = compile_spec(ref)
    times = {"compile": repeat_call(lambda: compile_spec(ref), repeats).median}
    for name, emitter in zip(("pytorch", "keras"), emitters):
        times[name] = repeat_call(lambda e=emitter: e.emit(compiled), repeats).median
    times["ops"] = compiled.graph.number_of_nodes()
    return times


def run(quick: bool = False) -> Section:
    depths = CIFAR_DEPTHS[:2] if quick else CIFAR_DEPTHS
    repeats = 2 if quick else 5
    section = Section("scaling", "Compile time vs model size (load → IR → cost → both emitters, in-process)")
    emitters = [importlib.import_module(m) for m in BACKENDS]
    rows, per_op = [], []
    with tempfile.TemporaryDirectory() as tmp:
        refs = spec_files(Path(tmp), depths)
        if quick:
            refs = refs[:-1]
        compile_and_emit(refs[0][1], emitters)  # warm-up: imports, templates, pydantic validator
        for label, ref in refs:
            t = stage_times(ref, emitters, repeats if "10k" not in label else max(2, repeats // 2))
            total = t["compile"] + t["pytorch"] + t["keras"]
            per_op.append((label, t["ops"], total))
            rows.append(
                [
                    label,
                    f"{t['ops']:,}",
                    fmt_seconds(t["compile"]),
                    fmt_seconds(t["pytorch"]),
                    fmt_seconds(t["keras"]),
                    fmt_seconds(total),
                    f"{total / t['ops'] * 1e6:.0f} µs",
                    f"{t['ops'] / total:,.0f}",
                ]
            )
    section.table(["spec", "ops", "compile", "PyTorch emit", "Keras emit", "total", "per op", "ops/s"], rows)
    section.series = per_op
    add_linearity(section, per_op)
    if any(label.endswith("*") for label, _ in refs):
        section.note("* written from a template in a temporary folder (specs/cifar/ not in this checkout)")
    return section


def add_linearity(section: Section, per_op: list[tuple[str, int, float]]) -> None:
    """Time per op of the largest spec vs a mid-size one: ≈ 1 means linear."""
    (small_label, small_ops, small_t) = per_op[min(len(per_op) - 1, 4 if len(per_op) > 4 else 0)]
    (big_label, big_ops, big_t) = max(per_op, key=lambda x: x[1])
    ratio = (big_t / big_ops) / (small_t / small_ops)
    section.add(
        Figure.info(
            f"time per op, {big_label} ({big_ops:,} ops) / {small_label} ({small_ops:,} ops)",
            f"{big_t / big_ops * 1e6:.0f} µs/op",
            f"{small_t / small_ops * 1e6:.0f} µs/op",
            f"{ratio:.2f}",
            "≈ 1 (linear), ≤ 1.5",
            ratio <= 1.5,
        )
    )
    section.add(Figure.info(f"throughput on {big_label}", f"{big_ops / big_t:,.0f} ops/s"))


def main() -> int:
    print(run(quick="--quick" in sys.argv).text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
