"""Speed of the generated models (issue 9 item 5), each framework in its own fresh process:

- Keras: archc's generated ``keras/resnet50`` vs ``keras.applications.ResNet50``, same weights (copied layer
  by layer, by name), same batch, ``predict`` timed alternately; the ratio should be 1 within 3 %.
- PyTorch: archc's generated ``torchvision/resnet50`` in eval mode, eager vs ``torch.compile`` (inductor,
  CPU), NCHW vs ``channels_last``.

CPU only (this machine has no GPU); training steps with AMP on a GPU are not measured here.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
from pathlib import Path

from benchmarks.generated import generated_source
from benchmarks.results import Figure, Section, fmt_seconds
from benchmarks.timing import run_process

KERAS_TOLERANCE = 0.03


def keras_section(section: Section, workdir: Path, batch: int, repeats: int) -> None:
    source = generated_source("keras", "keras/resnet50", workdir)
    cmd = [sys.executable, "-m", "benchmarks._keras_predict", str(source), "ResNet50", str(batch), str(repeats)]
    out = json.loads(run_process(cmd).stdout.strip().splitlines()[-1])
    gen = statistics.median(out["times"]["generated"])
    ref = statistics.median(out["times"]["reference"])
    section.check(
        "generated Keras ResNet50 count_params() = keras.applications",
        out["params"][0] == out["params"][1],
        out["params"][0],
    )
    section.check(
        "same weights → same predictions (max |Δ| < 1e-4)", out["max_abs_diff"] < 1e-4, f"{out['max_abs_diff']:.2e}"
    )
    section.add(
        Figure.relative(
            f"Keras predict, batch {batch}: generated resnet50 / keras.applications.ResNet50 (medians)",
            gen,
            ref,
            KERAS_TOLERANCE,
        )
    )
    best_gen, best_ref = min(out["times"]["generated"]), min(out["times"]["reference"])
    label = f"  same, best of {repeats} each (other load on the machine only ever adds time)"
    section.add(Figure.relative(label, best_gen, best_ref, KERAS_TOLERANCE))
    spread = max(max(v) / min(v) for v in out["times"].values())
    section.note(
        f"Keras: the two models are the same graph (same layer configs and weights, identical predictions); the "
        f"slowest of the {repeats} repeats of one model took {spread:.2f}× its fastest, so differences of a few "
        "per cent are within this run's noise"
    )


def torch_section(section: Section, workdir: Path, batch: int, repeats: int, with_compile: bool, key: str, size=224):
    source = generated_source("pytorch", key, workdir)
    flag = "1" if with_compile else "0"
    cmd = [sys.executable, "-m", "benchmarks._torch_infer", str(source), str(batch), str(repeats), flag, str(size)]
    out = json.loads(run_process(cmd, timeout=1200).stdout.strip().splitlines()[-1])
    results = out["results"]
    base = statistics.median(results["eager NCHW"]["times"])
    rows = []
    for config, r in results.items():
        median = statistics.median(r["times"])
        diff = r["max_abs_diff"]
        rows.append(
            [
                config,
                fmt_seconds(median),
                f"{batch / median:.1f}",
                f"{base / median:.2f}×",
                fmt_seconds(r["first"]),
                f"{diff:.1e}",
            ]
        )
        section.check(f"{config}: logits = eager NCHW (max |Δ| < 1e-3)", diff < 1e-3, f"{diff:.1e}")
        if config != "eager NCHW":
            label = f"PyTorch {key} forward, batch {batch} at {out['size']}²: {config} vs eager NCHW"
            section.add(Figure.info(label, fmt_seconds(median), fmt_seconds(base), f"{base / median:.2f}× faster"))
    header = [f"PyTorch {key}, eval", "forward", "images/s", "speed-up", "first call", "max |Δ|"]
    section.table(header, rows)
    section.note(f"PyTorch used {out['threads']} CPU threads; 'first call' includes torch.compile's compilation")


def run(quick: bool = False) -> Section:
    section = Section("models", "Generated models: inference speed on CPU (no GPU on this machine)")
    with tempfile.TemporaryDirectory() as tmp:
        if quick:
            torch_section(section, Path(tmp), 1, 1, with_compile=False, key="torchvision/resnet18", size=64)
            section.note("--quick: PyTorch resnet18 eager only, batch 1 at 64×64; Keras and torch.compile skipped")
            return section
        keras_section(section, Path(tmp), batch=2, repeats=9)
        torch_section(section, Path(tmp), 4, 3, with_compile=True, key="torchvision/resnet50")
    section.note("no GPU here: training steps with AMP were not measured")
    return section


def main() -> int:
    print(run(quick="--quick" in sys.argv).text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
