"""The README's "Keras backend" examples run as written (from the repository root, on the goldens)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import REPO, run_cli

SECTION = (REPO / "README.md").read_text(encoding="utf-8").split("## Keras backend", 1)[1].split("\n## ", 1)[0]

CHECK = """
import numpy as np
import torch

x = np.random.default_rng(0).uniform(-1, 1, (1, 224, 224, 3)).astype("float32")
k = np.asarray(keras_model(x, training=False))
with torch.no_grad():
    t = torch_model(torch.from_numpy(x.transpose(0, 3, 1, 2).copy())).numpy()
assert model.count_params() == 25_636_712 and backbone.output.shape == (None, 2048)
# relative to the logits' scale: the weights are random, so the logits' size (and float32's error) varies by run
print("max difference", float(np.abs(k - t).max() / max(1.0, float(np.abs(t).max()))))
"""


@pytest.mark.slow
def test_readme_keras_examples_run(tmp_path):
    pytest.importorskip("keras")
    pytest.importorskip("torch")
    blocks = re.findall(r"```python\n(.*?)```", SECTION, re.S)
    assert len(blocks) == 2
    code = "\n".join(blocks).replace("/tmp/r50.weights.h5", str(tmp_path / "r50.weights.h5")) + CHECK
    env_code = "import os; os.environ.setdefault('KERAS_BACKEND', 'tensorflow')\n"
    result = subprocess.run(
        [sys.executable, "-c", env_code + code], cwd=REPO, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert float(result.stdout.split("max difference")[1]) < 1e-4


def test_readme_keras_build_command_is_real(tmp_path):
    (command,) = re.findall(r"\$ archc (build .*)\n", SECTION)
    code, out, _ = run_cli(*command.split(), "--out", str(tmp_path))
    assert code == 0 and out.startswith("wrote 2 file(s)")
    assert (tmp_path / "keras" / "keras" / "resnet50.py").is_file()
