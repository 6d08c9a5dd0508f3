"""``archc verify``: the generated code, instantiated in PyTorch and Keras, agrees with the IR; a
difference exits 1 saying where; a missing framework is skipped with a note."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, run_cli

DATA = Path(__file__).resolve().parents[1] / "data" / "verify"
TINY = [str((DATA / f"{name}.yaml").relative_to(REPO)) for name in ("tiny_basic", "tiny_bottleneck", "tiny_vgg")]


@pytest.fixture(scope="module")
def both():
    pytest.importorskip("torch")
    pytest.importorskip("keras")
    return run_cli("verify", *TINY, cwd=REPO)


def test_small_specs_verify_in_both_frameworks(both):
    code, out, err = both
    assert code == 0, out + err
    lines = out.splitlines()
    assert len(lines) == 6 and all(" ok — " in line for line in lines), out
    assert lines[0].startswith("tiny_basic · pytorch: ok — params ")
    assert "MACs " in lines[0] and "2 stage shapes" in lines[0]
    assert lines[3].startswith("tiny_bottleneck · keras: ok — input shape 3×48×40 · keras_params ")
    assert lines[4].endswith("· 2 stage shapes")  # VGG: stage outputs hooked on features.N, not a container


def test_independent_counts_agree_with_the_ir():
    """The counters really measure the model: FlopCounterMode and numel against archc's exact figures."""
    pytest.importorskip("torch")
    from archc.frameworks.verify import check_pytorch
    from archc.pipeline import compile_spec
    from archc.reports.summary import summary

    c = compile_spec(TINY[1])
    checks = {k.item: k for k in check_pytorch(c)}
    s = summary(c)
    assert checks["MACs"].actual == s["macs"] == 1_789_888
    assert checks["params"].actual == s["params"] == 16_407
    assert checks["stage conv3 shape"].actual == [64, 6, 5]  # 48×40 → /2 conv → /2 pool → /2 stage
    vgg = {k.item: k.actual for k in check_pytorch(compile_spec(TINY[2]))}
    assert (vgg["stage block1 shape"], vgg["stage block2 shape"]) == ([8, 16, 16], [16, 8, 8])  # 2×2 pools


def test_a_difference_exits_1_and_says_where(monkeypatch):
    pytest.importorskip("torch")
    import archc.frameworks.verify

    real = archc.frameworks.verify.summary

    def off_by_one(c):
        s = real(c)
        return {**s, "macs": s["macs"] + 1, "output_shape": [11]}

    monkeypatch.setattr(archc.frameworks.verify, "summary", off_by_one)
    code, out, err = run_cli("verify", TINY[0], "--backend", "pytorch", cwd=REPO)
    assert code == 1
    assert "tiny_basic · pytorch: 2 difference(s)" in out
    assert "  MACs: IR 13,549,889, generated model 13,549,888 (Δ -1)" in out
    assert "  output shape: IR 11, generated model 10" in out
    assert "1 model(s) differ from the IR" in err


def test_missing_framework_is_skipped_with_a_note(monkeypatch):
    pytest.importorskip("torch")
    import archc.frameworks.verify

    real = archc.frameworks.verify.importlib.util.find_spec
    monkeypatch.setattr(
        archc.frameworks.verify.importlib.util, "find_spec", lambda name: None if name == "keras" else real(name)
    )
    code, out, _ = run_cli("verify", TINY[0], cwd=REPO)
    assert code == 0
    assert out.splitlines()[1] == "tiny_basic · keras: skipped (keras is not installed)"


def test_each_result_is_printed_as_soon_as_it_is_checked(monkeypatch):
    """Issue 13, item 13: a result's line is out before the next check starts (not all at the end)."""
    import io

    import archc.frameworks.verify as fv

    seen: list[str] = []

    def fake(name):
        def check(c):
            out = sys.stdout.getvalue() if isinstance(sys.stdout, io.StringIO) else ""
            seen.append(f"{c.loaded.key}/{name} after {out.count(chr(10))} lines")
            return [fv.Check("params", 1, 1)]

        return check

    monkeypatch.setattr(fv, "CHECKERS", {"pytorch": fake("pytorch"), "keras": fake("keras")})
    monkeypatch.setattr(fv.importlib.util, "find_spec", lambda name: object())
    monkeypatch.setattr(fv, "import_keras", lambda: None)
    code, out, _ = run_cli("verify", "cifar/resnet20", "cifar/resnet32")
    assert code == 0 and len(out.splitlines()) == 4
    assert seen == [
        f"{s}/{f} after {i} lines"
        for i, (s, f) in enumerate([(s, f) for s in ("cifar/resnet20", "cifar/resnet32") for f in ("pytorch", "keras")])
    ]


@pytest.mark.slow
def test_no_tensorflow_start_up_noise():
    """TensorFlow's C++ start-up lines (``absl::InitializeLog``, ``oneDNN custom operations``) used to reach
    the terminal; a fresh process shows only archc's own output."""
    pytest.importorskip("keras")
    proc = subprocess.run(
        [sys.executable, "-m", "archc", "verify", TINY[0], "--backend", "keras"],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert proc.stdout.startswith("tiny_basic · keras: ok")
