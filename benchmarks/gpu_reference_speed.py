"""GPU variant of ``benchmarks/reference_speed.py`` for the next GPU machine: the generated resnet50 /
seresnet50 / regnety_032 / convnext_tiny against torchvision's / timm's own models, forward and training step,
interleaved, each step ended with ``torch.cuda.synchronize()``; batch 64 at 224² by default, 20 repeats after 5
warm-up steps.

    python benchmarks/gpu_reference_speed.py [--batch 128] [--repeats 20] [--json FILE]

Without CUDA it stops at once with exit 2. Same options as ``python -m benchmarks.reference_speed``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.reference_speed import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(device="cuda"))
