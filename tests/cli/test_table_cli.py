"""``archc table``: every cell against the paper's Table 1 (tests/reference/paper_tables.md, parsed)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import REFERENCE, REPO, assert_snapshot, markdown_rows, number, run_cli

SNAPSHOTS = Path(__file__).parent / "snapshots"
RESNETS = ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152"]
PAPER_TEXT = (REFERENCE / "paper_tables.md").read_text(encoding="utf-8").split("Table 1")[1].split("\n## ")[0]
FIGURES = (REFERENCE / "figures.md").read_text(encoding="utf-8")


def paper_table() -> dict[str, list[str]]:
    """Table 1 with the paper's shorthand expanded: 'same' repeats the left cell, and the max pool printed
    once in the 18-layer column spans every column of the conv2_x row."""
    table = {}
    for name, size, *cells in markdown_rows(PAPER_TEXT, "layer name"):
        expanded = []
        for cell in cells:
            expanded.append(expanded[-1] if cell == "same" else cell)
        table[name or size] = [size, *expanded]
    pool = table["conv2_x"][1].split("; [")[0]
    table["conv2_x"] = [table["conv2_x"][0]] + [
        c if c.startswith(pool) else f"{pool}; {c}" for c in table["conv2_x"][1:]
    ]
    return table


@pytest.fixture(scope="module")
def ours() -> dict[str, list[str]]:
    code, out, err = run_cli("table", *RESNETS, "--exact")
    assert code == 0, err
    return {name or size: [size, *cells] for name, size, *cells in markdown_rows(out, "layer name")}


def test_header_and_row_names():
    code, out, _ = run_cli("table", *RESNETS)
    header = next(line for line in out.splitlines() if line.startswith("| layer name"))
    assert header == next(line for line in PAPER_TEXT.splitlines() if line.startswith("| layer name"))


@pytest.mark.parametrize("row", ["conv1", "conv2_x", "conv3_x", "conv4_x", "conv5_x", "1×1"])
def test_cells_match_the_paper(ours, row):
    assert ours[row] == paper_table()[row]


def test_flops_row(ours):
    """archc's figure is its exact count at one decimal; the paper's printed one is shown where it differs."""
    paper = paper_table()["FLOPs"][1:]
    exact = {
        r[0]: number(r[2]) for r in markdown_rows(FIGURES.split("## Paper ResNet v1")[1].split("\n## ")[0], "model")
    }
    for name, cell, printed, counted in zip(RESNETS, ours["FLOPs"][1:], paper, ours["multiply-adds"][1:]):
        assert number(counted) == exact[name]
        m = re.fullmatch(r"(\d+\.\d)×10⁹(?: \(paper: (.+)\))?", cell)
        assert m, cell
        assert m[1] == f"{exact[name] / 1e9:.1f}"
        assert (m[2] or f"{m[1]}×10⁹") == printed
        assert (m[2] is None) == (m[1] == printed.split("×")[0])
    assert [c.split("×")[0] for c in ours["FLOPs"][1:]] == ["1.8", "3.7", "3.9", "7.6", "11.3"]


def test_footnote_quotes_torchvision_stride_placement():
    code, out, _ = run_cli("table", "resnet50", "torchvision/resnet50")
    assert code == 0
    tv = {r[0]: number(r[2]) for r in markdown_rows(FIGURES.split("## torchvision")[1].split("\n## ")[0], "model")}
    assert "| layer name | output size | resnet50 | torchvision/resnet50 |" in out  # same depth: labels
    flops = markdown_rows(out, "layer name")[-1]
    assert flops[3] == f"{tv['resnet50'] / 1e9:.1f}×10⁹ (paper: 3.8×10⁹)"  # 4.1: the stride on the 3×3
    assert "resnet50 put a stage's stride on the bottleneck's first 1×1" in out
    assert "with it on the 3×3 (torchvision's ResNet v1.5) the same networks cost 4.1 ×10⁹" in out


def test_markdown_and_latex_snapshots():
    code, out, _ = run_cli("table", *RESNETS)
    assert code == 0
    assert_snapshot(SNAPSHOTS / "table1.md", out)
    code, out, _ = run_cli("table", "resnet18", "resnet50", "--format", "latex")
    assert code == 0
    assert out.startswith(r"\begin{tabular}{llcc}")
    assert r"\left[\begin{array}{c} 1\times1, 64 \\ 3\times3, 64 \\ 1\times1, 256 \end{array}\right]\times3" in out
    assert "conv2\\_x" in out and "_x" not in out.replace("\\_x", "")
    assert_snapshot(SNAPSHOTS / "table1.tex", out)


def test_grouped_convs_and_mlp_heads(tmp_path):
    """ResNeXt-50 (32×4d) in the ResNeXt paper's Table 1 notation; a VGG-style head; depth clash → labels."""
    (tmp_path / "x.yaml").write_text(
        "archc: 1\nextends: resnet50\nname: resnext\ngroups: 32\nbase_width: 4\n"
        "head: {pool: avg, pool_size: 2, hidden: [64, 32], classes: 10}\n",
        encoding="utf-8",
    )
    code, out, err = run_cli("table", "resnet50", str(tmp_path / "x.yaml"))
    assert code == 0, err
    rows = {r[0] or r[1]: r for r in markdown_rows(out, "layer name")}
    assert rows["conv2_x"][3] == "3×3 max pool, stride 2; [1×1, 128; 3×3, 128, C=32; 1×1, 256] ×3"
    assert rows["conv5_x"][3] == "[1×1, 1024; 3×3, 1024, C=32; 1×1, 2048] ×3"
    head = rows["1×1 / 2×2"]  # the pooled size of each column
    assert head[2:] == [
        "average pool, 1000-d fc, softmax",
        "2×2 adaptive average pool, 64-d fc, 32-d fc, 10-d fc, softmax",
    ]
    assert "| layer name | output size | 50-layer | 52-layer |" in out  # two hidden fcs count as layers


def test_squeeze_excitation_in_the_senet_notation(tmp_path):
    """SE-ResNet-50 as the SENet paper's Table 1 writes it (Hu et al., 2018): conv2 is
    [1×1, 64; 3×3, 64; 1×1, 256; fc, [16, 256]] ×3 and conv5 [1×1, 512; 3×3, 512; 1×1, 2048; fc, [128, 2048]] ×3."""
    (tmp_path / "se.yaml").write_text(
        "archc: 1\nextends: resnet50\nname: se50\nse: {reduction: 16}\n", encoding="utf-8"
    )
    code, out, err = run_cli("table", str(tmp_path / "se.yaml"))
    assert code == 0, err
    rows = {r[0]: r for r in markdown_rows(out, "layer name")}
    assert rows["conv2_x"][2] == "3×3 max pool, stride 2; [1×1, 64; 3×3, 64; 1×1, 256; fc, [16, 256]] ×3"
    assert rows["conv5_x"][2] == "[1×1, 512; 3×3, 512; 1×1, 2048; fc, [128, 2048]] ×3"
    code, dot, _ = run_cli("graph", str(tmp_path / "se.yaml"), "--collapse")
    assert "[1×1, 64; 3×3, 64; 1×1, 256] + SE + projection" in dot


def test_vgg_style_stages_close_with_their_pool():
    code, out, err = run_cli("table", "tests/data/verify/tiny_vgg.yaml", cwd=REPO)
    assert code == 0, err
    rows = markdown_rows(out, "layer name")
    assert [r[0] for r in rows] == ["block1_x", "block2_x", "", "FLOPs"]  # no stem: no conv1 row
    assert rows[0][1:] == ["16×16", "[3×3, 8] ×2; 2×2 max pool, stride 2"]
    assert rows[2][1:] == ["2×2", "2×2 adaptive average pool, 32-d fc, 10-d fc, softmax"]


MIXED = ["cifar/resnet20", "resnet18", "keras/vgg16"]


def test_mixed_specs_have_right_labels_and_scales():
    """Issue 13, item 1: rows are named after every spec's own stages (not the first spec's, clamped), sizes
    read column by column, and no FLOPs cell prints three digits before the point (``181.4×10⁷``)."""
    code, out, err = run_cli("table", *MIXED)
    assert code == 0, err
    assert_snapshot(SNAPSHOTS / "table_mixed.md", out)
    rows = markdown_rows(out, "layer name")
    names = [r[0] for r in rows if r[0].endswith("_x")]
    assert names == ["conv2_x / block1_x", "conv3_x / block2_x", "conv4_x / block3_x", "conv5_x / block4_x", "block5_x"]
    assert len(names) == len(set(names))
    conv5 = next(r for r in rows if r[0].startswith("conv5_x"))
    assert conv5[1] == "– / 7×7 / 14×14" and conv5[2] == "–"  # CIFAR ResNet-20 has three stages
    flops = next(r for r in rows if r[0] == "FLOPs")[2:]
    assert all(re.fullmatch(r"\d\.\d×10[⁰¹²³⁴⁵⁶⁷⁸⁹]+( \(paper: .+\))?", cell) for cell in flops), flops
    # every cell is the one the spec gets alone (the scale of a mixed table changes no figure)
    for spec, cell in zip(MIXED, flops):
        alone = next(r for r in markdown_rows(run_cli("table", spec)[1], "layer name") if r[0] == "FLOPs")[2]
        assert cell == alone


def test_cifar_flops_against_the_paper():
    """CIFAR ResNet-20: He et al. (2016) Table 6 has 0.27 M params; its 40.8 M multiply-adds print as 4.1×10⁷."""
    code, out, _ = run_cli("table", "cifar/resnet20", "--exact")
    rows = {r[0]: r for r in markdown_rows(out, "layer name")}
    assert rows["FLOPs"][2] == "4.1×10⁷"
    assert round(number(rows["params"][2]) / 1e6, 2) == 0.27
