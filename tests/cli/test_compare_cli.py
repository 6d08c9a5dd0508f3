"""``archc compare``: snapshots of the text outputs, figures against the recorded references, the plot."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.conftest import REFERENCE, assert_snapshot, markdown_rows, number, run_cli

SNAPSHOTS = Path(__file__).parent / "snapshots"
FIGURES = (REFERENCE / "figures.md").read_text(encoding="utf-8")
PAPER_TABLES = (REFERENCE / "paper_tables.md").read_text(encoding="utf-8")
_PAPER_V1_TEXT = FIGURES.split("## Paper ResNet v1")[1].split("\n## ")[0]
PAPER_V1 = {r[0]: (number(r[1]), number(r[2])) for r in markdown_rows(_PAPER_V1_TEXT, "model")}
_TABLE3_TEXT = PAPER_TABLES.split("Table 3")[1].split("\n## ")[0]
TABLE3 = {r[0]: (r[1], float(r[2])) for r in markdown_rows(_TABLE3_TEXT, "model")}  # top-1 may be "–"
SPECS = ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152"]


@pytest.fixture(scope="module")
def rows():
    code, out, err = run_cli("compare", *SPECS, "--json")
    assert code == 0, err
    return json.loads(out)


def test_plain_table_snapshot():
    code, out, err = run_cli("compare", "resnet18", "resnet34", "resnet50", "torchvision/resnet50")
    assert code == 0 and err == ""
    assert "×2.02" in out  # resnet34 / resnet18 MACs: 3,663,761,408 / 1,814,073,344
    assert_snapshot(SNAPSHOTS / "compare_resnets.txt", out)


def test_markdown_snapshot():
    code, out, _ = run_cli("compare", *SPECS, "--markdown")
    assert code == 0
    assert_snapshot(SNAPSHOTS / "compare_resnets.md", out)
    table = markdown_rows(out, "spec")
    assert [r[0] for r in table] == SPECS


def test_json_figures_are_the_papers(rows):
    assert [r["label"] for r in rows] == SPECS
    for r in rows:
        params, macs = PAPER_V1[r["label"]]
        assert (r["params"], r["macs"], r["flops"]) == (params, macs, 2 * macs)
        assert r["depth"] == int(r["label"].removeprefix("resnet"))
        assert r["macs_ratio"] == round(macs / PAPER_V1["resnet18"][1], 4)
        assert r["params_ratio"] == round(params / PAPER_V1["resnet18"][0], 4)


def test_error_rates_come_from_metadata_and_match_table3(rows):
    by_label = {r["label"]: r for r in rows}
    for depth in (50, 101, 152):
        top1, top5 = float(TABLE3[f"ResNet-{depth}"][0]), TABLE3[f"ResNet-{depth}"][1]
        assert (by_label[f"resnet{depth}"]["top1_error"], by_label[f"resnet{depth}"]["top5_error"]) == (top1, top5)


def test_csv_has_exact_integers(rows):
    code, out, _ = run_cli("compare", *SPECS, "--csv")
    assert code == 0
    parsed = list(csv.DictReader(io.StringIO(out)))
    assert [int(p["macs"]) for p in parsed] == [r["macs"] for r in rows]
    assert list(parsed[0])[:3] == ["label", "name", "spec"]


@pytest.mark.parametrize(
    "args, order",
    [
        (["--sort", "macs", "--reverse"], ["resnet152", "resnet50", "resnet18"]),
        (["--sort=-params"], ["resnet152", "resnet50", "resnet18"]),
        (["--sort", "top1"], ["resnet152", "resnet50", "resnet18"]),  # resnet18 declares no top-1: last
        (["--sort", "label"], ["resnet152", "resnet18", "resnet50"]),
    ],
)
def test_sort_keeps_the_first_spec_as_baseline(args, order):
    code, out, _ = run_cli("compare", "resnet50", "resnet18", "resnet152", "--json", *args)
    assert code == 0
    result = json.loads(out)
    assert [r["label"] for r in result] == order
    assert next(r for r in result if r["label"] == "resnet50")["macs_ratio"] == 1.0


def test_bad_options_exit_2():
    code, _, err = run_cli("compare", "resnet18", "--sort", "speed")
    assert code == 2 and "unknown sort key 'speed'" in err
    code, _, err = run_cli("compare", "resnet18", "--plot", "chart.pdf")
    assert code == 2 and ".png or .svg" in err
    code, _, err = run_cli("compare", "resnet18", "resnet5")
    assert code == 2 and "error[E302]" in err


@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG\r\n\x1a\n"), (".svg", b"<?xml")])
def test_plot_file_is_written(tmp_path, suffix, magic):
    target = tmp_path / f"chart{suffix}"
    code, _, err = run_cli("compare", *SPECS, "--plot", str(target))
    assert code == 0, err
    data = target.read_bytes()
    assert data.startswith(magic) and len(data) > 20_000
    if suffix == ".svg":
        again = tmp_path / "again.svg"
        run_cli("compare", *SPECS, "--plot", str(again))
        assert again.read_bytes() == data  # deterministic: no timestamps


def test_chart_kind_follows_metadata():
    from archc.pipeline import compile_spec
    from archc.reports.comparison import compare
    from archc.reports.plot import chart_data

    data = chart_data(compare([compile_spec(s) for s in SPECS]))
    assert data.kind == "error" and data.labels == SPECS[1:]  # resnet18: no top-1 in Table 3
    assert "resnet18" in data.note
    assert data.y == [float(TABLE3[m][0]) for m in ("ResNet-34 B", "ResNet-50", "ResNet-101", "ResNet-152")]
    assert data.x[-1] == pytest.approx(PAPER_V1["resnet152"][1] / 1e9)
    only_one = chart_data(compare([compile_spec("resnet18"), compile_spec("resnet50")]))
    assert only_one.kind == "bubble" and only_one.labels == ["resnet18", "resnet50"]
    assert "parameters" in only_one.xlabel and "GMACs" in only_one.ylabel


def test_input_size_applies_to_every_spec():
    """Passed through to the pipeline (whose input sizes are checked against real forward passes in
    tests/unit/test_input_size.py): the rows equal `archc cost --input-size` for each spec."""
    code, out, _ = run_cli("compare", "resnet18", "resnet50", "--json", "--input-size", "112")
    assert code == 0
    for r in json.loads(out):
        cost = json.loads(run_cli("cost", r["label"], "--json", "--input-size", "112")[1])
        assert (r["macs"], r["activations"]) == (cost["macs"], cost["activations"])
        assert r["macs"] < PAPER_V1[r["label"]][1] / 3


def test_axis_units_follow_the_magnitudes():
    from archc.reports.plot import short, unit

    assert unit([40_551_040, 252_887_680]) == (1e6, "M")  # CIFAR ResNets: MMACs
    assert unit([3_857_973_248]) == (1e9, "G")
    assert (short(269_722), short(25_557_032), short(11_282_415_616)) == ("270 K", "25.6 M", "11.3 G")


def test_plot_into_a_missing_folder_is_exit_2_with_a_hint(tmp_path):
    """Issue 13, item 7: used to be an internal error (exit 3) after the table was printed."""
    target = tmp_path / "missing" / "dir" / "x.png"
    code, out, err = run_cli("compare", "resnet18", "resnet34", "--plot", str(target))
    assert (code, out) == (2, "")
    assert err.startswith(f"error[E500]: --plot {target}: the folder {target.parent.as_posix()} does not exist\n")
    assert "  help: create it first (mkdir -p " in err and err.endswith("Found 1 error.\n")
    assert not (tmp_path / "missing").exists()


def test_plot_without_matplotlib_is_exit_2_with_a_hint(tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "matplotlib" else real(name, *a))
    code, out, err = run_cli("compare", "resnet18", "--plot", str(tmp_path / "x.svg"))
    assert (code, out) == (2, "")
    assert err == (
        "error[E602]: --plot needs matplotlib, which is not installed\n"
        "  help: pip install 'archc[plot]' (or pip install matplotlib), or leave out --plot\n"
        "Found 1 error.\n"
    )
    assert list(tmp_path.iterdir()) == []
