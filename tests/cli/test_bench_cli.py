"""``archc bench`` and ``archc compare --measure`` on the CPU with tiny step counts (issue 16).

No timing is asserted (the figures depend on the machine and its load): what is asserted is the shape of
the output, that the measured rows carry the exact costs (CIFAR ResNet-20: 269,722 params and 40,551,040
MACs, the figures recorded in tests/reference/figures.md), that the generated model really ran (its output
shape, from a forward pass in the child, equals the IR's), that the derived figures are consistent with the
raw ones, and that impossible requests are refused with exit 2 and a ``help:`` line before any framework
is imported.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest

from tests.conftest import REPO, run_cli

TINY = ("--batch", "2", "--warmup", "1", "--steps", "2", "--repeats", "2", "--threads", "1")


def needs(*modules: str) -> None:
    """Skip unless the frameworks are installed (without importing them into the test process)."""
    for name in modules:
        if importlib.util.find_spec(name) is None:
            pytest.skip(f"{name} is not installed")


RESNET20 = {"params": 269_722, "macs": 40_551_040}  # tests/reference/figures.md (CIFAR ResNet-20)
ROW_KEYS = {
    "label", "name", "spec", "backend", "framework", "device", "device_name", "threads", "mode", "batch", "amp",
    "channels_last", "compile", "jit_compile", "warmup", "steps", "repeats", "threads_requested", "input_shape",
    "output_shape", "params", "buffers", "keras_params", "macs", "first_step_s", "step_ms", "spread_pct", "images_per_s", "mac_factor",
    "achieved_macs_per_s", "cpu_utilisation", "peak_memory_bytes", "peak_memory_kind", "memory", "load_1min",
    "keras_backend",
}  # fmt: skip


@pytest.fixture(scope="module")
def both():
    needs("torch", "keras")
    return run_cli("bench", "cifar/resnet20", "--backend", "all", "--json", *TINY, cwd=REPO)


def test_bench_measures_both_frameworks_as_json(both):
    code, out, err = both
    assert code == 0, err
    rows = json.loads(out)
    assert [r["backend"] for r in rows] == ["pytorch", "keras"]
    assert "measuring cifar/resnet20 · pytorch · cpu" in err
    for r in rows:
        assert set(r) == ROW_KEYS
        assert (r["params"], r["macs"]) == (RESNET20["params"], RESNET20["macs"])
        assert r["output_shape"] == [10] and r["input_shape"] == [3, 32, 32]
        assert (r["mode"], r["device"], r["batch"], r["threads"]) == ("inference", "cpu", 2, 1)
        ms = r["step_ms"]
        assert len(ms["values"]) == 2 and ms["min"] <= ms["median"] <= ms["max"] and ms["min"] > 0
        ips = r["images_per_s"]
        assert ips["min"] <= ips["median"] <= ips["max"]
        assert ips["median"] == pytest.approx(2 / (ms["median"] / 1e3), rel=1e-9)
        assert r["achieved_macs_per_s"] == pytest.approx(r["macs"] * ips["median"])
        mem = r["memory"]
        assert r["peak_memory_kind"] == "process peak RSS" and mem["device_peak_bytes"] is None
        assert r["peak_memory_bytes"] == mem["rss_peak_bytes"] >= mem["rss_before_steps_bytes"] > 0
        assert mem["steps_delta_bytes"] == mem["rss_peak_bytes"] - mem["rss_before_steps_bytes"]
        assert r["first_step_s"] > 0 and len(r["load_1min"]) == 2
    assert rows[0]["framework"].startswith("torch ") and rows[1]["framework"].startswith("keras 3")


def test_bench_train_table_on_pytorch():
    needs("torch")
    code, out, err = run_cli("bench", "cifar/resnet20", "--backend", "pytorch", "--train", *TINY, cwd=REPO)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["spec", "framework", "setup", "batch"]
    assert "img/s" in lines[0] and "MAC/s" in lines[0] and "peak mem" in lines[0]
    assert lines[1].startswith("cifar/resnet20") and " pytorch " in lines[1] and "train fp32" in lines[1]
    assert "269.72 K" in lines[1] and "40.55 M" in lines[1]
    assert "× 3 for training" in out and "1 warm-up step(s), then 2 repeats of 2 timed steps" in out


def test_bench_markdown_with_amp_channels_last_and_input_size():
    needs("torch")
    from archc.api import load
    from archc.reports import text as render

    args = ("bench", "cifar/resnet20", "--backend", "pytorch", "--amp", "bf16", "--channels-last", "--markdown")
    code, out, err = run_cli(*args, "--input-size", "48", *TINY, cwd=REPO)
    assert code == 0, err
    row = next(line for line in out.splitlines() if line.startswith("| cifar/resnet20"))
    assert "| inference bf16 NHWC |" in row
    macs = load("cifar/resnet20", input_size=(48, 48)).cost()["macs"]
    assert macs > RESNET20["macs"] * 2 and f"| {render.scaled(macs, '').rstrip()} |" in row


PROBE = """
import io, json, sys
from contextlib import redirect_stderr, redirect_stdout
from archc.cli import main
err = io.StringIO()
with redirect_stdout(io.StringIO()) as out, redirect_stderr(err):
    code = main(sys.argv[1:])
frameworks = sorted({n.split(".")[0] for n in sys.modules} & {"torch", "tensorflow", "keras", "jax"})
print(json.dumps({"code": code, "stdout": out.getvalue(), "stderr": err.getvalue(), "frameworks": frameworks}))
"""

REFUSALS = [
    (("--device", "cuda"), "--device cuda: no CUDA device"),
    (("--amp", "fp16"), "--amp fp16 on the CPU"),
    (("--backend", "keras", "--compile"), "--compile is torch.compile"),
    (("--backend", "pytorch", "--jit-compile"), "--jit-compile is Keras's XLA switch"),
    (("--backend", "keras", "--channels-last"), "channels-last (NHWC) already"),
    (("--compile", "--warmup", "0"), "--warmup 0 with a compiler"),
]


@pytest.mark.parametrize("args,message", REFUSALS, ids=lambda a: "-".join(a) if isinstance(a, tuple) else None)
def test_impossible_requests_exit_2_with_help_before_importing_a_framework(args, message):
    if args[:2] == ("--device", "cuda"):
        from archc.bench.options import cuda_driver_present

        if cuda_driver_present():
            pytest.skip("this machine has a GPU")
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, "bench", "cifar/resnet20", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["code"] == 2 and result["stdout"] == ""
    lines = result["stderr"].splitlines()
    assert lines[0].startswith("error[E600]: ") and message in lines[0]
    assert lines[1].startswith("  help: ") and lines[-1] == "Found 1 error."
    assert result["frameworks"] == []


def test_bad_counts_are_argparse_errors():
    code, out, err = run_cli("bench", "cifar/resnet20", "--batch", "0")
    assert code == 2 and out == "" and "--batch: invalid count '0'" in err


def test_compare_measure_adds_columns_sorts_and_plots_by_them(tmp_path):
    needs("torch", "matplotlib")
    plot = tmp_path / "speed.png"
    args = ("compare", "cifar/resnet20", "cifar/resnet32", "--measure", "--sort=-img_per_s", "--json", *TINY)
    code, out, err = run_cli(*args, "--plot", str(plot), cwd=REPO)
    assert code == 0, err
    assert plot.read_bytes().startswith(b"\x89PNG")
    rows = json.loads(out)
    keys = ["pytorch_img_per_s", "pytorch_ms_per_step", "pytorch_macs_per_s", "pytorch_peak_mem_bytes"]
    assert all(k in r for r in rows for k in keys)
    assert sorted(r["label"] for r in rows) == ["cifar/resnet20", "cifar/resnet32"]
    assert rows[0]["pytorch_img_per_s"] >= rows[1]["pytorch_img_per_s"]
    for r in rows:
        assert r["pytorch_macs_per_s"] == pytest.approx(r["macs"] * r["pytorch_img_per_s"])


def test_compare_measure_markdown_columns():
    needs("torch")
    code, out, err = run_cli("compare", "cifar/resnet20", "--measure", "--markdown", *TINY, cwd=REPO)
    assert code == 0, err
    head = out.splitlines()[0]
    assert head.endswith("| img/s (pytorch) | ms/step (pytorch) | MAC/s (pytorch) | peak mem (pytorch) |")
    assert "measured on cpu" in out


def test_compare_refuses_measuring_options_without_measure():
    code, out, err = run_cli("compare", "cifar/resnet20", "--batch", "2", "--train")
    assert code == 2 and out == ""
    assert err.startswith("error[E600]: --batch, --train: measuring options need --measure")
    assert "help: add --measure" in err


def test_python_api_bench_and_its_refusals():
    needs("torch")
    import archc
    from archc.diagnostics import SpecError

    (row,) = archc.measure("cifar/resnet20", backend="pytorch", batch=2, warmup=1, steps=1, repeats=1, threads=1)
    assert (row["label"], row["params"], row["macs"], row["output_shape"]) == (
        "cifar/resnet20",
        *RESNET20.values(),
        [10],
    )
    with pytest.raises(SpecError) as exc:
        archc.measure("cifar/resnet20", backend="pytorch", amp="fp16")
    assert exc.value.diagnostics[0].code == "E600" and "--amp fp16 on the CPU" in exc.value.diagnostics[0].message


def test_readme_bench_table_carries_archc_figures():
    """The README's measured table (a real run) has both frameworks for resnet18 and resnet50, and its
    params / MACs cells are archc's exact figures (torchvision's published 11.69 M / 25.56 M params)."""
    from archc.api import load
    from archc.reports import text as render
    from tests.conftest import markdown_rows

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    rows = [r for r in markdown_rows(readme, "spec") if len(r) > 2 and r[1] in ("pytorch", "keras")]
    expected = [(s, b) for s in ("resnet18", "resnet50") for b in ("pytorch", "keras")]
    pairs = [(r[0], r[1]) for r in rows]
    assert pairs and pairs == expected * (len(pairs) // 4)  # one table per thread setting
    for r in rows:
        cost = load(r[0]).cost()
        assert r[4] == render.scaled(cost["params"], "").rstrip() and r[5] == render.scaled(cost["macs"], "").rstrip()
        assert float(r[6].replace(",", "")) > 0  # img/s
    assert {r[4] for r in rows} == {"11.69 M", "25.56 M"}


def test_measured_chart_is_throughput_against_macs():
    from archc.bench.measured import MeasuredComparison, chart_data
    from archc.bench.options import Settings
    from archc.pipeline import compile_spec
    from archc.reports.comparison import compare

    base = compare([compile_spec("cifar/resnet20"), compile_spec("cifar/resnet56")])
    for row, speed in zip(base.rows, (500.0, 200.0)):
        row["pytorch_img_per_s"], row["pytorch_ms_per_step"] = speed, 2000 / speed
        row["pytorch_macs_per_s"], row["pytorch_peak_mem_bytes"] = row["macs"] * speed, 300 * 2**20
    result = MeasuredComparison(base.rows, base.baseline, base.error_keys, ("pytorch",), Settings(("pytorch",)), "CPU")
    data = chart_data(result)
    assert (data.kind, data.labels, data.y) == ("throughput", ["cifar/resnet20", "cifar/resnet56"], [500.0, 200.0])
    assert data.x == [40.55104, 125.485696]  # MMACs: 40,551,040 (tests/reference/figures.md) and ResNet-56
    from archc.reports.comparison_text import to_csv, to_markdown

    csv_head = to_csv(result).splitlines()[0].split(",")
    assert csv_head[-4:] == ["pytorch_img_per_s", "pytorch_ms_per_step", "pytorch_macs_per_s", "pytorch_peak_mem_bytes"]
    assert to_markdown(result).splitlines()[2].endswith("| 500.0 | 4.0 | 20.28 G | 300 MiB |")


@pytest.mark.slow
def test_train_a_features_only_model_in_both_frameworks(tmp_path):
    """No classifier: the model returns every stage's output; training uses a stand-in loss on all of them."""
    needs("torch", "keras")
    spec = tmp_path / "feat.yaml"
    spec.write_text("archc: 1\nextends: cifar/resnet20\nname: feat20\nhead: {features_only: true}\n", encoding="utf-8")
    code, out, err = run_cli("bench", str(spec), "--backend", "all", "--train", "--json", *TINY[:2], "--warmup", "1", "--steps", "1",
                             "--repeats", "1", "--threads", "1")  # fmt: skip
    assert code == 0, err
    rows = json.loads(out)
    assert [r["backend"] for r in rows] == ["pytorch", "keras"]
    assert all(r["output_shape"] == [64, 8, 8] and r["mode"] == "train" and r["mac_factor"] == 3 for r in rows)


@pytest.mark.parametrize("backend,says", [("pytorch", "sees no CUDA device"), ("keras", "sees no GPU")])
def test_the_child_checks_the_device_again(backend, says):
    """Where the driver check passes but the framework has no CUDA (a CPU build), the child says so and
    ``archc bench`` turns it into exit 2; here the child is asked for CUDA directly."""
    needs({"pytorch": "torch", "keras": "keras"}[backend])
    from archc.bench.options import Settings, cuda_driver_present
    from archc.bench.runner import run_child
    from archc.codegen import emit
    from archc.pipeline import compile_spec

    if cuda_driver_present():
        pytest.skip("this machine has a GPU")
    c = compile_spec("cifar/resnet20")
    job = {**Settings((backend,), device="cuda").for_backend(backend), "label": "cifar/resnet20"}
    job.update(input_shape=[3, 32, 32], source=emit(c, backend))
    result = run_child(job, "cuda")
    assert list(result) == ["unavailable"] and says in result["unavailable"]
