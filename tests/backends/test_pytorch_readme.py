"""The README's "PyTorch backend" example runs as written (from the repository root, on the goldens)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


@pytest.mark.slow
def test_readme_pytorch_example_trains():
    section = README.split("## PyTorch backend", 1)[1].split("\n## ", 1)[0]
    (code,) = re.findall(r"```python\n(.*?)```", section, re.S)
    result = subprocess.run(
        [sys.executable, "-c", "import torch; torch.manual_seed(0); torch.set_num_threads(1)\n" + code],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    loss = float(result.stdout.split("loss after 30 steps:")[1])
    assert loss < 1.0  # cross-entropy over 10 classes starts near ln 10 ≈ 2.3


def test_readme_build_command_is_real(tmp_path):
    from tests.conftest import run_cli

    (command,) = re.findall(r"\$ archc (build .*)\n", README.split("## PyTorch backend", 1)[1].split("\n## ", 1)[0])
    code, out, _ = run_cli(*command.split(), "--out", str(tmp_path))
    assert code == 0 and out.startswith("wrote 2 file(s)")
    assert (tmp_path / "pytorch" / "torchvision" / "resnet50.py").is_file()
