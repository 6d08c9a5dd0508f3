"""The core commands never import a framework (issue 3, item 8): each runs in a fresh interpreter and we
look at ``sys.modules`` after ``archc.cli.main`` returns.

torch / TensorFlow / Keras / JAX must never be imported by check, cost, list, compare or build (the
generated code imports them, archc does not). The lighter heavy dependencies (jinja2, matplotlib) are
imported lazily, only by the commands that use them; Rich is not a dependency and is never imported.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO

FRAMEWORKS = ("torch", "tensorflow", "keras", "jax", "torchvision", "ray")
LAZY = ("jinja2", "rich", "matplotlib")

PROBE = """
import io, json, sys
from contextlib import redirect_stdout
from archc.cli import main
with redirect_stdout(io.StringIO()):
    code = main(sys.argv[1:])
roots = sorted({name.split(".")[0] for name in sys.modules})
print(json.dumps({"code": code, "modules": roots}))
"""


def loaded_after(*args: str) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["code"] == 0, proc.stderr
    return set(result["modules"])


@pytest.mark.parametrize(
    "args",
    [
        ("check", "resnet50", "torchvision/resnet152"),
        ("cost", "resnet152"),
        ("cost", "--json", "--per-layer", "resnet18"),
        ("list",),
        ("compare", "--markdown", "resnet18", "resnet50"),
        ("sweep", "resnet18", "--vary", "stages[0].blocks=1..3", "--vary", "stages[1].width=64,128"),
    ],
    ids=lambda a: "-".join(a),
)
def test_core_commands_import_no_framework_and_nothing_heavy(args):
    loaded = loaded_after(*args)
    assert "networkx" in loaded and "pydantic" in loaded  # the probe really ran the pipeline
    assert not loaded & set(FRAMEWORKS), f"archc {' '.join(args)} imported {sorted(loaded & set(FRAMEWORKS))}"
    assert not loaded & set(LAZY), f"archc {' '.join(args)} imported {sorted(loaded & set(LAZY))} eagerly"


def test_build_imports_no_framework(tmp_path):
    loaded = loaded_after("build", "resnet18", "torchvision/resnet50", "--out", str(tmp_path))
    assert not loaded & set(FRAMEWORKS), f"archc build imported {sorted(loaded & set(FRAMEWORKS))}"
    assert (tmp_path / "pytorch" / "resnet18.py").is_file()
    assert (tmp_path / "keras" / "torchvision" / "resnet50.py").is_file()
