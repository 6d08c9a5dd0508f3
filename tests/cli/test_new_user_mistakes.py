"""The mistakes a new user still hit in 0.1.0 (issue 24), each answered with exit 2 and a line that says what to
do — never exit 3, never a misleading suggestion. (`archc sweep`'s own mistakes are tested with sweep; the
cache's checksum and unusable folder in test_cost_cache.py.)"""

from __future__ import annotations

import importlib.util

import pytest

import archc
from archc.bench.worker import out_of_memory
from archc.diagnostics import did_you_mean
from tests.conftest import REPO, run_cli


def _fails(*argv: str) -> str:
    code, out, err = run_cli(*argv)
    assert code == 2 and out == "", err
    assert "internal error" not in err and err.endswith("Found 1 error.\n")
    return err


def test_bench_out_of_memory_is_exit_2_with_a_smaller_batch_to_try():
    if importlib.util.find_spec("torch") is None:
        pytest.skip("torch is not installed")
    # 8 × 3 × 20000² float32 is 38 GB: the first allocation fails at once (no memory is touched)
    err = _fails("bench", "cifar/resnet20", "--input-size", "20000", "--warmup", "0", "--steps", "1", "--repeats", "1")
    assert "ran out of memory" in err and "help: use a smaller --batch" in err


@pytest.mark.parametrize(
    ("exc", "expected"),
    [(MemoryError(), True), (RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried"), True),
     (type("OutOfMemoryError", (RuntimeError,), {})("CUDA"), True),
     (type("ResourceExhaustedError", (Exception,), {})("OOM when allocating tensor"), True),
     (RuntimeError("shape mismatch"), False), (KeyError("x"), False)],
)  # fmt: skip
def test_what_counts_as_out_of_memory(exc, expected):
    assert out_of_memory(exc) is expected


@pytest.mark.parametrize(
    ("options", "says"),
    [({"batch": 0}, "batch=0: a whole number from 1"), ({"steps": 0}, "steps=0"), ({"repeats": -1}, "repeats=-1"),
     ({"warmup": -1}, "warmup=-1: a whole number from 0"), ({"batch": 2.5}, "batch=2.5"),
     ({"bogus": 1}, "unknown option 'bogus'; choose from: batch, warmup, steps"), ({"amp": "fp8"}, "'bf16'"),
     ({"train": "yes"}, "True or False")],
)  # fmt: skip
def test_measure_checks_its_options_before_measuring(options, says, monkeypatch):
    monkeypatch.setattr("archc.bench.runner.measure", lambda *a, **k: pytest.fail("measured"))
    with pytest.raises(ValueError) as err:
        archc.measure("cifar/resnet20", **options)
    assert says in str(err.value)


def test_the_api_has_check_and_list():
    assert archc.check("cifar/resnet20") == []
    (d,) = archc.check({"archc": 1, "name": "x", "block": "basic", "stages": [{"name": "a", "width": 8}]})
    assert (d.code, d.path) == ("E201", "<dict>")
    rows = archc.list("cifar/resnet20")
    assert [(r["label"], r["depth"], r["params"]) for r in rows] == [("cifar/resnet20", 20, 269722)]
    with pytest.raises(ValueError, match="no built-in spec matches 'nothing'"):
        archc.list("nothing")
    with pytest.raises(ValueError, match="at least one spec"):
        archc.check()


def test_a_built_in_file_is_named_as_a_built_in(tmp_path):
    spec = tmp_path / "mine.yaml"
    spec.write_text("archc: 1\nname: x\nextends: timm/resnext50_32x4d\nblock: basic\n", encoding="utf-8")
    code, _, err = run_cli("check", str(spec))
    assert code == 2 and err.startswith("<built-in torchvision/resnext50_32x4d>:13:9: error[E401]")
    assert "specs/" not in err


def test_verify_given_generated_python_names_the_spec_it_came_from():
    err = _fails("verify", "generated/pytorch/timm/resnet50.py") if (REPO / "generated").is_dir() else None
    if err is None:
        pytest.skip("no generated/ folder")
    assert "is Python source, not a spec" in err and "give that spec (timm/resnet50)" in err
    assert "YAML" not in err


def test_any_python_file_is_not_a_spec(tmp_path):
    script = tmp_path / "model.py"
    script.write_text("import torch\n", encoding="utf-8")
    err = _fails("cost", str(script))
    assert "is Python source, not a spec" in err and "a YAML file (.yaml) or a built-in name" in err


@pytest.mark.parametrize(
    ("name", "help"),
    [("timm/vit_base_patch16_224", "`archc list timm/` lists the timm family"),
     ("resnet51", "did you mean 'resnet50', 'resnet18' or 'resnet152'?"),
     ("keras/resnet18", "did you mean 'resnet18', 'timm/resnet18' or 'torchvision/resnet18'?"),
     ("nothing_like_it", "`archc list` lists the")],
)  # fmt: skip
def test_an_unknown_built_in_gets_close_names_or_a_pointer_never_the_whole_list(name, help):
    err = _fails("verify", name)
    assert help in err and len(err) < 300


def test_cost_profile_without_per_layer_is_refused():
    err = _fails("cost", "resnet18", "--profile", "keras")
    assert "--profile keras names the layers of --per-layer" in err and "add --per-layer" in err
    assert run_cli("cost", "resnet18", "--per-layer", "--profile", "keras", "--depth", "1")[0] == 0


def test_counters_with_per_layer_prints_the_tree_and_the_counters():
    code, out, err = run_cli("cost", "cifar/resnet20", "--counters", "--per-layer", "--depth", "1")
    assert code == 0, err
    assert "layer (torchvision)" in out and "What each counter prints" in out
    assert out.index("layer (torchvision)") < out.index("What each counter prints")


@pytest.mark.parametrize(
    ("argv", "good", "bad"),
    [(["compare", "resnet18", "--where", "macs<1"], "--where is an option of `archc sweep`", "--threads"),
     (["compare", "resnet18", "--srot", "macs"], "did you mean '--sort'?", None),
     (["cost", "resnet18", "--jsn"], "did you mean '--json'?", None),
     (["cost", "resnet18", "--zzz"], "help: see `archc cost --help`", "did you mean")],
)  # fmt: skip
def test_did_you_mean_only_when_close_and_meaningful(argv, good, bad):
    err = _fails(*argv)
    assert good in err
    assert bad is None or bad not in err


def test_did_you_mean_ignores_the_dashes():
    assert did_you_mean("--where", ["--threads", "--sort"], list_limit=0) == ""
    assert did_you_mean("--out", ["--sort"], list_limit=0) == ""
    assert did_you_mean("--json", ["--jobs"], list_limit=0) == ""
    assert did_you_mean("--per-layr", ["--per-layer"]) == "did you mean '--per-layer'?"


def test_a_spec_level_key_in_a_stage_is_not_a_typo_of_a_stage_key(tmp_path):
    """0.1.0 answered a stage's `block:` with "did you mean 'blocks'?" and `output_stride:` with 'stride'."""
    spec = tmp_path / "s.yaml"
    spec.write_text(
        "archc: 1\nname: x\nblock: basic\nstages:\n  - {name: a, width: 8, blocks: 1, output_stride: 16}\n",
        encoding="utf-8",
    )
    err = _fails("check", str(spec))
    assert "unknown key 'output_stride'" in err and "'output_stride' is a top-level key of the spec" in err
    assert "did you mean" not in err


def _regnet(tmp_path, **params) -> str:
    values = {"w0": 24, "wa": 36.44, "wm": 2.49, "depth": 13, "group_width": 8, **params}
    body = ", ".join(f"{k}: {v}" for k, v in values.items())
    spec = tmp_path / "r.yaml"
    spec.write_text(f"archc: 1\nname: r\nextends: regnet/regnetx_002\nstages:\n  regnet: {{{body}}}\n", "utf-8")
    return _fails("check", str(spec))


def test_regnet_wm_must_exceed_one_and_the_help_agrees(tmp_path):
    err = _regnet(tmp_path, wm=1.0)
    assert "'wm' must be greater than 1" in err and "help: use a value greater than 1" in err
    assert "at least" not in err


def test_regnet_w0_suggests_the_nearest_multiples(tmp_path):
    err = _regnet(tmp_path, w0=90)
    assert "w0 90 is not a multiple of quant 8" in err and "help: use a multiple of 8: 88 or 96" in err


@pytest.mark.parametrize(
    ("returncode", "stderr"),
    [(-6, "terminate called after throwing an instance of 'std::bad_alloc'"),
     (1, "tensorflow.python.framework.errors_impl.ResourceExhaustedError: OOM when allocating tensor")],
)  # fmt: skip
def test_a_child_that_dies_of_memory_is_out_of_memory_not_a_crash(returncode, stderr, monkeypatch):
    import subprocess

    from archc.bench import runner

    done = subprocess.CompletedProcess([], returncode, stdout="", stderr=stderr)
    monkeypatch.setattr(runner.subprocess, "run", lambda *a, **k: done)
    assert "out_of_memory" in runner.run_child({"label": "x", "backend": "keras"}, "cpu")


def test_a_sigkilled_bench_child_is_out_of_memory(monkeypatch):
    """A bench child killed by SIGKILL (the kernel's OOM killer) is a refusal; a sweep retries it instead."""
    from types import SimpleNamespace

    from archc.bench import runner

    def killed(job, device):
        raise runner.ChildFailed("measuring x with pytorch failed (exit -9)", -9)

    job = {"batch": 50000, "label": "cifar/resnet20", "backend": "pytorch", "device": "cpu"}
    monkeypatch.setattr(runner, "run_child", killed)
    monkeypatch.setattr(runner, "job_for", lambda c, backend, settings: (job, {}))
    with pytest.raises(runner.Refusal, match="ran out of memory") as err:
        runner.measure_one(None, "pytorch", SimpleNamespace(device="cpu"))
    assert "smaller --batch" in err.value.help


def test_a_child_that_fails_otherwise_is_still_an_internal_error(monkeypatch):
    import subprocess

    from archc.bench import runner

    done = subprocess.CompletedProcess([], 1, stdout="", stderr="ValueError: something else")
    monkeypatch.setattr(runner.subprocess, "run", lambda *a, **k: done)
    with pytest.raises(RuntimeError, match="failed"):
        runner.run_child({"label": "x", "backend": "keras"}, "cpu")
