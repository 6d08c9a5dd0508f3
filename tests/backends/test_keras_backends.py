"""Keras 3 on every backend: the generated Keras models on TensorFlow, JAX and PyTorch.

Each backend runs in a process of its own (Keras picks its backend at import): a child with ``KERAS_BACKEND``
set builds a few built-ins, measures them as ``archc verify`` does (params, MACs, stage and output shapes
against the IR) and compares their outputs with the generated PyTorch model's under the same weights
(``archc.frameworks.convert``), within the Keras tests' tolerance (1e-4 of the largest logit). The CLI's
``--keras-backend`` runs ``verify``, ``bench`` and ``convert`` on a chosen backend.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import pytest

from archc.frameworks.keras_backends import BACKENDS, child_env
from archc.frameworks.verify import check_keras
from archc.pipeline import compile_spec
from tests.conftest import REPO, run_cli

pytest.importorskip("torch")
pytest.importorskip("keras")

SMALL = [("cifar/resnet20", 32)]  # basic blocks, option A shortcuts (channel padding, subsampling)
MORE = [  # SE with timm's names, ECA + deep stem + average-pool projections, pre-activation with explicit pads,
    # groups, GroupNorm, a blur pool (keras.ops.pad reflect + a fixed DepthwiseConv2D)
    ("timm/seresnet18", 64),
    ("timm/ecaresnet26t", 64),
    ("keras/resnet50v2", 64),
    ("regnet/regnetx_002", 64),
    ("timm/resnet50_gn", 64),
    ("timm/resnetblur18", 64),
]


def _installed(backend: str) -> bool:
    return importlib.util.find_spec(backend) is not None


def run_backend(backend: str, cases: list) -> list[dict]:
    env = child_env(backend)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    proc = subprocess.run(
        [sys.executable, "-m", "tests.backends.keras_backend_child"],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


def _check(backend: str, cases: list) -> None:
    for (ref, size), got in zip(cases, run_backend(backend, cases), strict=True):
        assert got["backend"] == backend
        bad = [c for c in check_keras(compile_spec(ref, input_size=(size, size)), got["measured"]) if not c.ok]
        assert not bad, (ref, bad)
        assert got["max_diff"] <= 1e-4 * got["scale"], (ref, got)


@pytest.mark.parametrize(
    "backend", [pytest.param(b, marks=[] if b == "jax" else [pytest.mark.slow]) for b in BACKENDS]
)  # quick: JAX (every other Keras test runs on TensorFlow in-process); PyTorch and TensorFlow in the slow tier
def test_builtins_on_every_keras_backend(backend):
    if not _installed(backend):
        pytest.skip(f"{backend} is not installed")
    _check(backend, SMALL)


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_more_builtins_on_every_keras_backend(backend):
    if not _installed(backend):
        pytest.skip(f"{backend} is not installed")
    _check(backend, MORE)


def test_verify_on_a_chosen_keras_backend():
    code, out, err = run_cli("verify", "cifar/resnet20", "--backend", "keras", "--keras-backend", "jax")
    assert code == 0, err
    assert out.startswith("cifar/resnet20 · keras/jax: ok — input shape 3×32×32 · keras_params 271,098")


def test_bench_on_a_chosen_keras_backend():
    tiny = ("--batch", "2", "--warmup", "1", "--steps", "1", "--repeats", "1", "--threads", "1")
    code, out, err = run_cli("bench", "cifar/resnet20", "--backend", "keras", "--keras-backend", "jax", "--json", *tiny)
    assert code == 0, err
    (row,) = json.loads(out)
    assert row["keras_backend"] == "jax" and row["framework"].startswith("keras 3") and "(jax " in row["framework"]
    assert row["output_shape"] == [10] and row["images_per_s"]["median"] > 0


@pytest.mark.slow
def test_convert_on_a_chosen_keras_backend(tmp_path):
    torch = pytest.importorskip("torch")
    from archc.frameworks.generated import load_generated

    c = compile_spec("cifar/resnet20")
    torch.manual_seed(0)
    torch.save(load_generated(c, "pytorch").build_model().state_dict(), tmp_path / "w.pt")
    for source, target in (("w.pt", "k.weights.h5"), ("k.weights.h5", "back.pt")):
        args = ("convert", "cifar/resnet20", "--from", str(tmp_path / source), "--to", str(tmp_path / target))
        code, out, err = run_cli(*args, "--keras-backend", "torch")
        assert code == 0, err
        assert out.endswith("tensors (resnet20)\n")
    back, original = torch.load(tmp_path / "back.pt"), torch.load(tmp_path / "w.pt")
    assert all(torch.equal(back[k], v) for k, v in original.items() if not k.endswith("num_batches_tracked"))


@pytest.mark.parametrize("command", ["verify", "bench", "convert"])
def test_keras_backend_is_one_of_three(command):
    args = {"convert": ("--from", "a.pt", "--to", "b.weights.h5")}.get(command, ())
    code, out, err = run_cli(command, "cifar/resnet20", *args, "--keras-backend", "theano")
    assert code == 2 and out == ""
    assert "theano" in err and "tensorflow" in err


def test_verify_skips_a_keras_backend_that_is_not_installed(monkeypatch):
    import archc.frameworks.verify as fv

    real = fv.importlib.util.find_spec
    monkeypatch.setattr(fv.importlib.util, "find_spec", lambda name: None if name == "jax" else real(name))
    code, out, err = run_cli("verify", "cifar/resnet20", "--backend", "keras", "--keras-backend", "jax")
    assert out == "cifar/resnet20 · keras/jax: skipped (jax is not installed)\n"
