"""``archc graph``: node-link JSON against the IR and a real forward pass, DOT / Mermaid snapshots, SVG."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import networkx as nx
import pytest

from tests.conftest import REFERENCE, assert_snapshot, markdown_rows, number, run_cli

SNAPSHOTS = Path(__file__).parent / "snapshots"
FIGURES = (REFERENCE / "figures.md").read_text(encoding="utf-8")
PAPER_V1 = {
    r[0]: number(r[1]) for r in markdown_rows(FIGURES.split("## Paper ResNet v1")[1].split("\n## ")[0], "model")
}


def _graph(*args) -> nx.DiGraph:
    code, out, err = run_cli("graph", *args, "--format", "json")
    assert code == 0, err
    return nx.node_link_graph(json.loads(out), edges="edges")


def test_json_is_node_link_data_with_shapes_on_edges():
    g = _graph("resnet18")
    assert nx.is_directed_acyclic_graph(g)
    for a, b, e in g.edges(data=True):
        assert e["shape"] == g.nodes[a]["shape"], (a, b)
    assert sum(d["params"] for _, d in g.nodes(data=True)) == PAPER_V1["resnet18"]
    assert g.nodes["stem.0.conv"]["label"] == "conv1" and g.nodes["s0.b0.conv1"]["cluster"] == ["conv2", "block 0"]
    code, again, _ = run_cli("graph", "resnet18", "--format", "json")
    assert again == run_cli("graph", "resnet18", "--format", "json")[1]  # deterministic


def test_collapsed_blocks_keep_totals_and_match_a_real_forward_pass():
    torch = pytest.importorskip("torch")
    from tests.libs import torchvision_models
    from tests.reference_resnet import measure

    g = _graph("resnet50", "--collapse")
    assert len([n for n, op in g.nodes(data="op") if op == "block"]) == 3 + 4 + 6 + 3
    assert sum(d["params"] for _, d in g.nodes(data=True)) == PAPER_V1["resnet50"]
    assert g.nodes["s1.b0"]["desc"] == "[1×1, 128; 3×3, 128; 1×1, 512] /2 + projection"
    small = _graph("resnet18", "--collapse")
    torch.manual_seed(0)
    real = measure(torchvision_models().resnet18(), 224, 224)  # basic blocks: the paper's resnet18 is torchvision's
    last = ["s0.b1", "s1.b1", "s2.b1", "s3.b1"]
    assert [small.nodes[n]["shape"] for n in last] == real["stages"]
    assert [e["shape"] for _, _, e in small.out_edges(last, data=True)] == real["stages"]
    assert sum(d["params"] for _, d in small.nodes(data=True)) == real["params"]


def test_dot_and_mermaid_snapshots():
    code, dot, _ = run_cli("graph", "resnet18", "--collapse")
    assert code == 0
    assert_snapshot(SNAPSHOTS / "graph_resnet18_collapsed.dot", dot)
    assert '"s0.b1" -> "s1.b0" [label="64×56×56"];' in dot
    code, mermaid, _ = run_cli("graph", "resnet18", "--collapse", "--format", "mermaid")
    assert code == 0 and mermaid.startswith("flowchart TB\n")
    assert_snapshot(SNAPSHOTS / "graph_resnet18_collapsed.mmd", mermaid)
    code, full, _ = run_cli("graph", "resnet18", "--format", "mermaid")
    assert full.count("-->") == len(_graph("resnet18").edges)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_svg_through_graphviz():
    code, out, err = run_cli("graph", "resnet18", "--format", "svg", "--collapse")
    assert code == 0, err
    assert "<svg" in out and "conv5 block 1" in out


def test_svg_without_graphviz_says_so(monkeypatch):
    import archc.graphs.render

    monkeypatch.setattr(archc.graphs.render.shutil, "which", lambda name: None)
    code, out, err = run_cli("graph", "resnet18", "--format", "svg")
    assert code == 2 and out == ""
    assert "needs Graphviz's `dot`" in err and "--format dot" in err


def test_collapse_keeps_a_stage_closing_pool_apart():
    g = _graph(str(Path(__file__).resolve().parents[1] / "data" / "verify" / "tiny_vgg.yaml"), "--collapse")
    assert g.nodes["s0.pool"]["cluster"] == ["block1"] and g.nodes["s0.pool"]["desc"] == "max pool 2×2/2"
    assert [n for n, op in g.nodes(data="op") if op == "block"] == ["s0.b0", "s0.b1", "s1.b0"]
