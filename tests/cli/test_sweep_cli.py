"""`archc sweep`: rows agree with `archc cost`, grid/sample/where/pareto, invalid variants, bad arguments."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.conftest import run_cli

AXES = ["--vary", "stages[1].blocks=2..5", "--vary", "stages[2].width=128,256", "--vary", "input.size=160..224:32"]


def _rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def _sweep(*args, cwd=None):
    code, out, err = run_cli("sweep", *args, cwd=cwd)
    assert code == 0, err
    return _rows(out), err


def test_grid_columns_order_and_exact_integers():
    rows, err = _sweep("torchvision/resnet50", *AXES)
    assert len(rows) == 4 * 2 * 3
    assert list(rows[0])[:4] == ["variant", "stages[1].blocks", "stages[2].width", "input.size"]
    assert [r["input.size"] for r in rows[:3]] == ["160", "192", "224"]  # the last axis varies fastest
    assert [r["stages[1].blocks"] for r in rows[::6]] == ["2", "3", "4", "5"]
    assert all(r["flops"] == str(2 * int(r["macs"])) for r in rows)
    assert "sweep: 24 variants, 24 valid, 24 kept" in err and "\r" not in err  # no progress bar when piped


def _variant_spec(tmp_path, row: dict) -> str:
    """The variant written out by hand as a spec extending torchvision/resnet50."""
    table = [["conv2", 64, 3, 1], ["conv3", 128, 4, 2], ["conv4", 256, 6, 2], ["conv5", 512, 3, 2]]
    table[1][2], table[2][1] = int(row["stages[1].blocks"]), int(row["stages[2].width"])
    table[3][2] = int(row["stages[3].blocks"])
    lines = ["archc: 1", "extends: torchvision/resnet50", "name: variant", f"input: {{size: {row['input.size']}}}"]
    lines += [f"groups: {row['groups']}", f"base_width: {row['base_width']}", "stages:"]
    lines += [f"  - {{name: {n}, width: {w}, blocks: {b}, stride: {s}}}" for n, w, b, s in table]
    path = tmp_path / "variant.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_sampled_rows_agree_with_archc_cost(tmp_path, jobs):
    axes = [*AXES, "--vary", "stages[3].blocks=1..8", "--vary", "groups=1,2", "--vary", "base_width=64,96"]
    rows, _ = _sweep("torchvision/resnet50", *axes, "--jobs", jobs)  # 768 variants: a pool of 2 workers at 2 jobs
    assert len(rows) == 4 * 2 * 3 * 8 * 2 * 2
    for row in rows[:: len(rows) // 6]:
        code, out, err = run_cli("cost", _variant_spec(tmp_path, row), "--json")
        assert code == 0, err
        cost = json.loads(out)
        for key in ("params", "buffers", "macs", "flops", "depth", "activations"):
            assert int(row[key]) == cost[key], (key, row)


def test_sample_is_seeded_and_a_subset_of_the_grid():
    grid, _ = _sweep("torchvision/resnet50", *AXES)
    a, _ = _sweep("torchvision/resnet50", *AXES, "--sample", "7", "--seed", "3")
    b, _ = _sweep("torchvision/resnet50", *AXES, "--sample", "7", "--seed", "3")
    c, _ = _sweep("torchvision/resnet50", *AXES, "--sample", "7", "--seed", "4")
    assert a == b and a != c and len(a) == 7
    by_variant = {r["variant"]: r for r in grid}
    assert all({k: v for k, v in r.items() if k != "pareto"} == {k: v for k, v in by_variant[r["variant"]].items() if k != "pareto"} for r in a)  # fmt: skip


def test_where_is_exact_and_pareto_is_the_non_dominated_set():
    grid, _ = _sweep("torchvision/resnet50", *AXES)
    limit = sorted(int(r["macs"]) for r in grid)[10]
    kept, err = _sweep(
        "torchvision/resnet50", *AXES, "--where", f"macs<={limit}, depth>=50", "--pareto", "macs,max:params"
    )
    assert kept and all(int(r["macs"]) <= limit and int(r["depth"]) >= 50 for r in kept)
    assert len(kept) == sum(1 for r in grid if int(r["macs"]) <= limit and int(r["depth"]) >= 50)
    pts = [(int(r["macs"]), int(r["params"])) for r in kept]
    for r, (m, p) in zip(kept, pts):
        dominated = any(m2 <= m and p2 >= p and (m2, p2) != (m, p) for m2, p2 in pts)
        assert (r["pareto"] == "true") == (not dominated)
    assert "on the Pareto front (macs vs max params)" in err


def test_generator_parameters_and_invalid_variants_by_code():
    rows, err = _sweep(
        "regnet/regnetx_002", "--vary", "stages.regnet.w0=16..32:4", "--vary", "stages.regnet.depth=10,13"
    )
    assert {r["stages.regnet.w0"] for r in rows} == {"16", "24", "32"}  # 20 and 28 are not multiples of 8
    assert "10 variants, 6 valid" in err
    assert "invalid: 4 × E401, e.g. <built-in regnet/regnetx_002>:" in err and "not a multiple of quant 8" in err


def test_json_output_and_plot(tmp_path):
    pytest.importorskip("matplotlib")
    out, png = tmp_path / "s.json", tmp_path / "s.png"
    code, stdout, err = run_cli(
        "sweep", "resnet18", "--vary", "stages[3].blocks=1..4", "--out", str(out), "--plot", str(png)
    )
    assert (code, stdout) == (0, ""), err
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["axes"] == {"stages[3].blocks": [1, 2, 3, 4]} and doc["variants"] == 4 and doc["invalid"] == {}
    assert [r["stages[3].blocks"] for r in doc["rows"]] == [1, 2, 3, 4]
    assert isinstance(doc["rows"][0]["macs"], int) and doc["rows"][1]["params"] > doc["rows"][0]["params"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _bad(tmp_path, *args):
    base = tmp_path / "base.yaml"
    base.write_text(
        "archc: 1\nextends: resnet18\nname: base\nstages:\n  - {name: a, width: 64, blocks: 2}\n", encoding="utf-8"
    )
    code, out, err = run_cli("sweep", "base.yaml", *args, cwd=tmp_path)
    assert (code, out) == (2, ""), err
    assert "Traceback" not in err and "help: " in err
    return err.splitlines()[0]


def test_unknown_key_is_located_with_a_suggestion(tmp_path):
    line = _bad(tmp_path, "--vary", "stages[0].blokcs=1..3")
    assert line == "base.yaml:5:5: error[E200]: --vary stages[0].blokcs: 'stages[0]' has no key 'blokcs'"
    assert "base.yaml:1:1: error[E200]: --vary strid_at: the spec has no key 'strid_at'" == _bad(
        tmp_path, "--vary", "strid_at=1x1"
    )
    assert "'stages' has 1 items" in _bad(tmp_path, "--vary", "stages[3].blocks=1,2")
    assert "base.yaml:1:1: error[E200]: --vary extends: 'extends' is merged before a sweep varies the spec" == _bad(
        tmp_path, "--vary", "extends=resnet34,resnet50"
    )


def test_a_key_the_builtin_base_lacks_is_located_in_the_builtin():
    """A built-in is a file the user never wrote: its diagnostics say so, wherever archc is installed."""
    code, out, err = run_cli("sweep", "resnet18", "--vary", "extends=resnet34")
    assert (code, out) == (2, "") and err.startswith("<built-in resnet18>:1:1: error[E200]: --vary extends: ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--vary", "stages[0].blocks=8..2"], "gives no values"),
        (["--vary", "stages[0].blocks="], "gives no values"),
        (["--vary", "stages[0].blocks=1..3", "--sample", "4"], "--sample 4 but the space has 3 variants"),
        (["--vary", "stages[0].blocks=1..3", "--where", "macs<<4e9"], "is not COLUMN OP NUMBER"),
        (["--vary", "stages[0].blocks=1..3", "--where", "mac<4e9"], "did you mean 'macs'?"),
        (["--vary", "stages[0].blocks=1..3", "--pareto", "macs"], "needs two columns"),
        (["--vary", "stages[0].blocks=1..3", "--out", "x.txt"], "must end in .csv or .json"),
        (["--vary", "stages[0].se=false", "--vary", "stages[0].se.reduction=4"], "is inside --vary stages[0].se"),
        (["--vary", "input.size=32", "--vary", "input=8"], "--vary input.size is inside --vary input"),
        (["--vary", "input.size=32", "--vary", "input.size=64"], "names a key twice"),
        (["--vary", "stages[0].blocks=1..3", "--plot", "x.pdf"], "must end in .png or .svg"),
    ],
)
def test_bad_arguments_exit_2(tmp_path, args, message):
    line = _bad(tmp_path, *args)
    assert line.startswith("error[E600]: ") and message in line


def test_readme_design_spaces_example(tmp_path):
    """The README's console block: the summary line and the two rows it shows (the plot goes to tmp_path)."""
    from tests.conftest import REPO

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Design spaces", 1)[1].split("\n## ", 1)[0]
    block = section.split("```console\n", 1)[1].split("```", 1)[0]
    command, rest = block.split("\nsweep: ", 1)
    argv = command.removeprefix("$ archc ").replace("\\\n", " ").split()
    argv = [a.strip("'") for a in argv]
    argv[argv.index("--out") + 1] = str(tmp_path / "space.csv")
    argv[argv.index("--plot") + 1] = str(tmp_path / "space.png")
    code, out, err = run_cli(*argv)
    assert code == 0 and out == ""
    assert err.strip() == "sweep: " + rest.split("\n", 1)[0]
    shown = rest.split("\n", 2)[2].strip().splitlines()
    lines = (tmp_path / "space.csv").read_text(encoding="utf-8").splitlines()
    assert shown[0] == lines[0]
    by_variant = {line.split(",", 1)[0]: line for line in lines[1:]}
    assert shown[1:] == [by_variant[line.split(",", 1)[0]] for line in shown[1:]]
