"""The verifier's block checks: the block view (``g.graph["blocks"]``) and the op view agree.

Each block's ops are exactly the nodes tagged with its id; its convs have the kernels, widths, stride,
groups and dilations its plan says; it has a projection exactly when the plan says it projects, a
subsample / channel pad exactly when its identity needs one, an addition exactly when it is residual,
squeeze-and-excitation exactly when its definition has attention; it ends at its recorded output and
starts from the previous block's output. After shapes, its output has ``planes × expansion`` channels.
"""

from __future__ import annotations

import networkx as nx

from archc.ir.blocks import Block, BlockModel
from archc.ir.graph import operands


def check_blocks(g: nx.DiGraph) -> list[str]:
    model = g.graph.get("blocks")
    if not isinstance(model, BlockModel):
        return [f"graph attribute 'blocks' is {type(model).__name__}, not a BlockModel"]
    problems = []
    tagged: dict[str, list[str]] = {}
    for node, block_id in g.nodes(data="block"):
        if block_id is not None:
            tagged.setdefault(block_id, []).append(node)
    blocks = model.blocks
    if set(tagged) - {b.id for b in blocks}:
        problems.append(f"ops tagged with unknown blocks {sorted(set(tagged) - {b.id for b in blocks})}")
    for b in blocks:
        if b.definition not in model.definitions:
            problems.append(f"{b.id}: its definition is not among the model's definitions")
        if tagged.get(b.id, []) != b.nodes:
            problems.append(f"{b.id}: the block lists {len(b.nodes)} ops, {len(tagged.get(b.id, []))} are tagged")
            continue
        problems += [f"{b.id}: {p}" for p in _block_problems(g, b)]
    for info, stage in zip(g.graph["stages"], model.stages, strict=False):
        if info.blocks != len(stage.blocks):
            problems.append(f"stage {info.name}: {info.blocks} blocks in the table, {len(stage.blocks)} planned")
    return problems


def _block_problems(g: nx.DiGraph, b: Block) -> list[str]:
    d, layout = b.definition, b.definition.layout
    roles = {g.nodes[n]["role"]: n for n in b.nodes}
    problems = []
    for i, kernel in enumerate(layout.kernels):
        conv = roles.get(f"conv{i + 1}")
        if conv is None:
            problems.append(f"no conv{i + 1}")
            continue
        a = g.nodes[conv]["attrs"]
        width = b.inner if layout.widths[i] == "inner" else b.out
        stride = b.stride if i == layout.stride_slot[d.stride_at] else 1
        groups = b.groups if i == layout.grouped_slot else 1
        want = (kernel, kernel), width, (stride, stride), groups
        got = a.get("kernel"), a.get("out_channels"), a.get("stride"), a.get("groups")
        if want != got:
            problems.append(f"conv{i + 1} is (kernel, width, stride, groups) {got}, the plan says {want}")
    first = g.nodes[roles["conv1"]]["attrs"].get("in_channels") if "conv1" in roles else None
    if first != b.in_channels:
        problems.append(f"conv1 takes {first} channels, the plan says {b.in_channels}")
    expect = {
        "down_conv": b.projects,
        "subsample": b.subsample != 1,
        "pad": b.pad != (0, 0),
        "add": b.residual,
        "se_scale": d.attention is not None and d.attention.kind == "se",
        "eca_scale": d.attention is not None and d.attention.kind == "eca",
    }
    problems += [
        f"has {role}: {role in roles}, the plan says {want}" for role, want in expect.items() if (role in roles) != want
    ]
    if g.graph["block_outputs"].get(b.nodes[-1]) != (b.stage, b.index):
        problems.append(f"its last op {b.nodes[-1]} is not recorded as the block's output")
    outside = {p for n in b.nodes for p in operands(g, n) if p not in b.nodes}
    if outside != {b.input}:
        problems.append(f"takes inputs {sorted(outside)} from outside the block, the plan says {b.input!r}")
    return problems


def check_block_shapes(g: nx.DiGraph) -> list[str]:
    model = g.graph.get("blocks")
    if not isinstance(model, BlockModel):
        return []
    return [
        f"{b.id}: output has {g.nodes[b.nodes[-1]]['shape'][0]} channels, the plan says {b.out}"
        for b in model.blocks
        if b.nodes and g.nodes[b.nodes[-1]].get("shape", (b.out,))[0] != b.out
    ]
