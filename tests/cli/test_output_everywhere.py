"""One output contract (archc/output.py) walked through every command that prints results (`archc sweep` is
tested by its own tests): each format it can print, on stdout and with `--out FILE`; the extension of `--out`
picks the format; the old flags are aliases; a format a command cannot print and a missing folder are exit 2
before any work; the same quantities have the same keys everywhere."""

from __future__ import annotations

import csv
import importlib.util
import io
import json

import pytest

from tests.conftest import run_cli

# command → (arguments, formats it prints, its default); small specs, so the walk stays quick.
COMMANDS = {
    "cost": (["cost", "cifar/resnet20"], ["text", "json", "csv", "markdown"], "text"),
    "compare": (["compare", "cifar/resnet20", "cifar/resnet32"], ["text", "json", "csv", "markdown"], "text"),
    "table": (["table", "resnet18"], ["markdown", "latex"], "markdown"),
    "list": (["list", "cifar/resnet2"], ["text", "json", "csv", "markdown"], "text"),
    "graph": (["graph", "cifar/resnet20", "--collapse"], ["dot", "json", "mermaid"], "dot"),
    "check": (["check", "cifar/resnet20"], ["text", "json", "github"], "text"),
    "bench": (["bench", "cifar/resnet20"], ["text", "json", "csv", "markdown"], "text"),
    "verify": (["verify", "cifar/resnet20", "--backend", "pytorch"], ["text", "json", "csv"], "text"),
    "schema": (["schema"], ["json"], "json"),
}
EXTENSION = {"text": ".txt", "json": ".json", "csv": ".csv", "markdown": ".md", "latex": ".tex", "dot": ".dot",
             "mermaid": ".mmd", "github": ".txt"}  # fmt: skip
CASES = [(command, fmt) for command, (_, formats, _) in COMMANDS.items() for fmt in formats]


@pytest.fixture(scope="module")
def bench_rows():
    """One real measurement (bench's rows), shared: the other bench formats print these same rows."""
    if importlib.util.find_spec("torch") is None:
        pytest.skip("torch is not installed")
    code, out, err = run_cli(*COMMANDS["bench"][0], "--format", "json", "--batch", "1", "--warmup", "0",
                             "--steps", "1", "--repeats", "1", "--threads", "1")  # fmt: skip
    assert code == 0, err
    return json.loads(out)


@pytest.fixture
def walk(request, monkeypatch):
    """Run a command's case; bench answers from the shared rows, verify needs torch."""
    command = request.node.callspec.params["command"]
    if command == "bench":
        rows = request.getfixturevalue("bench_rows")
        monkeypatch.setattr("archc.bench.runner.measure", lambda compiled, settings, progress=None: rows)
    if command == "verify" and importlib.util.find_spec("torch") is None:
        pytest.skip("torch is not installed")
    return COMMANDS[command][0]


def _parses(fmt: str, text: str) -> None:
    """Each format is what it says."""
    if fmt == "json":
        json.loads(text)
    elif fmt == "csv":
        rows = list(csv.reader(io.StringIO(text)))
        assert len(rows) >= 2 and all(len(r) == len(rows[0]) for r in rows)
    elif fmt == "markdown":
        assert "|---" in text
    elif fmt == "latex":
        assert "\\begin{tabular}" in text
    elif fmt == "dot":
        assert text.startswith("digraph")
    elif fmt == "mermaid":
        assert text.startswith("flowchart")


@pytest.mark.parametrize(("command", "fmt"), CASES)
def test_every_format_on_stdout_and_in_a_file(walk, command, fmt, tmp_path):
    code, out, err = run_cli(*walk, "--format", fmt)
    assert code == 0, err
    if not (command == "check" and fmt == "github"):  # github prints nothing for a valid spec
        _parses(fmt, out)
    target = tmp_path / f"out{EXTENSION[fmt]}"
    code, to_file, err = run_cli(*walk, "--format", fmt, "--out", str(target))
    assert code == 0 and to_file == "", err
    if command != "verify":  # verify's text is timed work: same lines, not the same bytes guaranteed
        assert target.read_text(encoding="utf-8") == out
    code, dash, _ = run_cli(*walk, "--format", fmt, "--out", "-")
    assert code == 0 and (dash == out or command == "verify")


@pytest.mark.parametrize(("command", "fmt"), [c for c in CASES if c[1] not in ("text", "github")])
def test_the_extension_of_out_picks_the_format(walk, command, fmt, tmp_path):
    target = tmp_path / f"out{EXTENSION[fmt]}"
    code, out, err = run_cli(*walk, "--out", str(target))
    assert code == 0 and out == "", err
    _parses(fmt, target.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("command", "alias", "fmt"),
    [("cost", "--json", "json"), ("compare", "--csv", "csv"), ("compare", "--markdown", "markdown"),
     ("compare", "--json", "json"), ("bench", "--json", "json"), ("bench", "--markdown", "markdown"),
     ("list", "--json", "json"), ("check", "--output-format=json", "json"), ("table", "--latex", "latex")],
)  # fmt: skip
def test_old_flags_are_aliases(walk, command, alias, fmt):
    assert run_cli(*walk, alias) == run_cli(*walk, "--format", fmt)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_format_a_command_cannot_print_names_the_ones_it_can(walk, command):
    code, out, err = run_cli(*walk, "--format", "svg" if command != "graph" else "latex")
    formats = COMMANDS[command][1]
    assert code == 2 and out == "" and "error[E600]" in err
    assert all(f in err for f in formats if f != "svg")


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_out_in_a_missing_folder_is_refused_and_creates_nothing(walk, command, tmp_path, monkeypatch):
    monkeypatch.setattr("archc.pipeline.compile_all", _must_not_run)  # refused before any work
    target = tmp_path / "missing" / "out.json"
    code, out, err = run_cli(*walk, "--out", str(target))
    assert code == 2 and out == "" and "error[E500]" in err and "mkdir -p" in err
    assert not target.parent.exists()


def _must_not_run(*args, **kwargs):
    raise AssertionError("compiled before the --out folder was checked")


def test_the_same_quantities_have_the_same_keys(bench_rows):
    """cost, compare, list and bench name params, buffers, keras_params, macs and flops alike."""
    keys = {"params", "buffers", "keras_params", "macs"}
    cost = json.loads(run_cli("cost", "cifar/resnet20", "--format", "json")[1])
    (compared,) = json.loads(run_cli("compare", "cifar/resnet20", "--format", "json")[1])
    (listed,) = json.loads(run_cli("list", "cifar/resnet20", "--format", "json")[1])
    (benched,) = bench_rows
    for doc in (compared, listed, benched):
        assert {k: doc[k] for k in keys} == {k: cost[k] for k in keys}
    assert compared["flops"] == listed["flops"] == cost["flops"] == 2 * cost["macs"]
    assert compared["label"] == listed["label"] == benched["label"] == "cifar/resnet20"
    header = run_cli("compare", "cifar/resnet20", "--format", "csv")[1].splitlines()[0].split(",")
    assert header[:10] == ["label", "name", "spec", "depth", "params", "buffers", "keras_params", "macs", "flops",
                           "activations"]  # fmt: skip


def test_bench_and_compare_measure_share_one_default_backend():
    from archc.bench.options import DEFAULT_BACKEND
    from archc.cli import build_parser

    for argv in (["bench", "resnet18"], ["compare", "resnet18", "--measure"]):
        args = build_parser(argv).parse_args(argv)
        assert args.backend is None  # resolved to DEFAULT_BACKEND by settings_from_args
    assert DEFAULT_BACKEND == "pytorch"
    help = run_cli("bench", "--help")[1] + run_cli("compare", "--help")[1]
    assert help.count("default pytorch") >= 2


def test_cost_per_layer_as_csv_is_one_row_per_op():
    code, out, err = run_cli("cost", "cifar/resnet20", "--per-layer", "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["spec", "id", "name", "op", "output_shape", "params", "macs"]
    assert sum(int(r["params"]) for r in rows) == 269722 and {r["spec"] for r in rows} == {"cifar/resnet20"}


@pytest.mark.parametrize(
    ("argv", "says"),
    [(["cost", "cifar/resnet20", "--counters", "--format", "csv"], "--counters prints text or json, not csv"),
     (["cost", "cifar/resnet20", "--per-layer", "--format", "markdown"], "--per-layer prints text, json or csv"),
     (["list", "cifar", "--names", "--format", "json"], "--names prints plain lines, not json"),
     (["compare", "cifar/resnet20", "--json", "--csv"], "conflicting output formats")],
)  # fmt: skip
def test_combinations_a_format_does_not_apply_to(argv, says):
    code, out, err = run_cli(*argv)
    assert code == 2 and out == "" and says in err


def test_verify_names_each_check_by_cost_s_key():
    if importlib.util.find_spec("torch") is None:
        pytest.skip("torch is not installed")
    cost = json.loads(run_cli("cost", "cifar/resnet20", "--format", "json")[1])
    (result,) = json.loads(run_cli("verify", "cifar/resnet20", "--backend", "pytorch", "--format", "json")[1])
    keys = {c["key"]: c["expected"] for c in result["checks"]}
    assert {"params", "buffers", "macs", "output_shape"} <= set(keys)
    for key in ("params", "buffers", "macs", "output_shape"):
        assert keys[key] == cost[key]
    for stage in cost["stages"]:
        assert keys[f"stages.{stage['name']}.output_shape"] == stage["output_shape"]
