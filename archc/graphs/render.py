"""Render a :func:`archc.graphs.view.view` graph as Graphviz DOT, SVG (through ``dot``) or Mermaid.

Stages (and, uncollapsed, their blocks) become nested clusters / subgraphs; edges are labelled with the
shape of the tensor they carry (channels × height × width). Output is deterministic: IR order throughout.
"""

from __future__ import annotations

import shutil
import subprocess

import networkx as nx

COLORS = {
    "conv": "#dbe9f6",
    "block": "#dbe9f6",
    "batchnorm": "#eeeeee",
    "relu": "#fde9d9",
    "maxpool": "#e2f0d9",
    "avgpool": "#e2f0d9",
    "global_pool": "#e2f0d9",
    "linear": "#e4dff2",
    "add": "#fff2cc",
}


class GraphvizMissing(RuntimeError):
    """``dot`` is not installed; SVG needs it. ``args``: (message, help)."""


def shape_text(shape: list[int]) -> str:
    return "×".join(map(str, shape))


def _lines(v: nx.DiGraph, n: str) -> list[str]:
    d = v.nodes[n]
    lines = [d["label"], d["desc"]] if d["label"] != d["desc"] and d["op"] != "input" else [d["desc"]]
    if d["op"] == "block":
        lines.append(f"{d['params']:,} params · {d['macs'] / 1e6:.1f} M MACs")
    return lines


def _tree(v: nx.DiGraph) -> dict:
    """Nested clusters: ``{"nodes": [...], "children": {name: subtree}}`` in first-appearance order."""
    root = {"nodes": [], "children": {}}
    for n, path in v.nodes(data="cluster"):
        here = root
        for part in path:
            here = here["children"].setdefault(part, {"nodes": [], "children": {}})
        here["nodes"].append(n)
    return root


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(v: nx.DiGraph) -> str:
    out = [
        f"digraph {_dot_quote(v.graph['name'])} {{",
        '  rankdir=TB; fontname="Helvetica";',
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9, color="#555555"];',
    ]
    counter = iter(range(1_000_000))

    def emit(tree: dict, indent: str) -> None:
        for n in tree["nodes"]:
            label = "\\n".join(t.replace("\\", "\\\\").replace('"', '\\"') for t in _lines(v, n))
            color = COLORS.get(v.nodes[n]["op"], "#ffffff")
            out.append(f'{indent}{_dot_quote(n)} [label="{label}", fillcolor="{color}"];')
        for name, sub in tree["children"].items():
            out.append(f"{indent}subgraph cluster_{next(counter)} {{")
            out.append(f'{indent}  label={_dot_quote(name)}; style="rounded"; color="#999999";')
            emit(sub, indent + "  ")
            out.append(f"{indent}}}")

    emit(_tree(v), "  ")
    for a, b, e in v.edges(data=True):
        out.append(f'  {_dot_quote(a)} -> {_dot_quote(b)} [label="{shape_text(e["shape"])}"];')
    out.append("}")
    return "\n".join(out)


def to_svg(v: nx.DiGraph) -> str:
    dot = shutil.which("dot")
    if dot is None:
        raise GraphvizMissing(
            "archc graph --format svg needs Graphviz's `dot` program, which is not installed",
            "install Graphviz (apt-get install graphviz, brew install graphviz, conda install graphviz) or use "
            "--format dot and render it elsewhere",
        )
    done = subprocess.run([dot, "-Tsvg"], input=to_dot(v), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"dot failed: {done.stderr.strip()}")
    return done.stdout


def _mm(text: str) -> str:
    return text.replace('"', "#quot;")


def to_mermaid(v: nx.DiGraph) -> str:
    ids = {n: f"n{i}" for i, n in enumerate(v.nodes)}
    out = ["flowchart TB"]
    counter = iter(range(1_000_000))

    def emit(tree: dict, indent: str) -> None:
        for n in tree["nodes"]:
            out.append(f'{indent}{ids[n]}["{_mm("<br/>".join(_lines(v, n)))}"]')
        for name, sub in tree["children"].items():
            out.append(f'{indent}subgraph c{next(counter)}["{_mm(name)}"]')
            emit(sub, indent + "  ")
            out.append(f"{indent}end")

    emit(_tree(v), "  ")
    for a, b, e in v.edges(data=True):
        out.append(f'  {ids[a]} -->|"{shape_text(e["shape"])}"| {ids[b]}')
    return "\n".join(out)
