"""The verifier's block checks: the block view (``g.graph["blocks"]``) and the op view agree.

Each block's ops are exactly the nodes tagged with its id, and exactly the ops of its recipe's steps
(:mod:`archc.ir.recipe`): its convs have the kernels, widths, strides, groups and dilations the steps'
expressions give for its parameters, its norms and activations are the steps' kinds, SE squeezes to the
recipe's hidden width and ECA has its kernel; it has a projection exactly when the plan says it projects,
a subsample / channel pad exactly when its identity needs one, an addition exactly when it is residual;
it ends at its recorded output and starts from the previous block's output. After shapes, its output has
the recipe's ``out`` channels.
"""

from __future__ import annotations

import networkx as nx

from archc.ir.blocks import Block, BlockModel
from archc.ir.graph import operands
from archc.ir.recipe import ECA, Act, Add, AntiAlias, Branch, Conv, Norm, Pool, SqueezeExcite, projection_kernel


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


_AA_OP = {"blur": "blurpool", "avg": "avgpool"}
_SE = ("se_pool", "se_reduce", "se_act", "se_expand", "se_gate", "se_scale")
_ECA = ("eca_pool", "eca_conv", "eca_gate", "eca_scale")


def _expected(b: Block) -> list[tuple[str, object]]:
    """(role, step) of every op the block's recipe says it has, in the recipe's order."""
    recipe, out = b.definition.recipe, []
    for step in recipe.steps:
        if isinstance(step, SqueezeExcite | ECA):
            out += [(role, step) for role in (_SE if isinstance(step, SqueezeExcite) else _ECA)]
        elif isinstance(step, Add):
            if b.projects:
                pool = [(s.role, s) for s in recipe.shortcut.projection if isinstance(s, Pool) and b.stride > 1]
                out += pool + [(s.role, s) for s in recipe.shortcut.projection if not isinstance(s, Pool)]
            out += [("subsample", None)] * (b.subsample != 1) + [("pad", None)] * (b.pad != (0, 0))
            out.append(("add", step))
        elif isinstance(step, AntiAlias):
            out += [(step.role, step)] * (b.stride > 1)  # only where the block strides
        elif not isinstance(step, Branch):
            out.append((step.role, step))
    return out


def _block_problems(g: nx.DiGraph, b: Block) -> list[str]:
    roles = {g.nodes[n]["role"]: n for n in b.nodes}
    expected, env = _expected(b), b.env
    problems = []
    if sorted(roles) != sorted(r for r, _ in expected):
        problems.append(f"has ops {sorted(roles)}, its recipe says {sorted(r for r, _ in expected)}")
    for role, step in expected:
        node = roles.get(role)
        if node is None:
            continue
        a, op = g.nodes[node]["attrs"], g.nodes[node]["op"]
        if isinstance(step, Conv):
            stride = b.stride if step.stride and not (role == "down_conv" and "down_pool" in roles) else 1
            dilation = 1 if step.dilation is None else getattr(b, step.dilation)
            kernel = projection_kernel(step, stride) if role == "down_conv" else step.kernel
            want = (kernel,) * 2, step.width.value(env), (stride,) * 2, step.groups.value(env), (dilation,) * 2
            got = a.get("kernel"), a.get("out_channels"), a.get("stride"), a.get("groups"), a.get("dilation")
            if want != got:
                problems.append(f"{role} is (kernel, width, stride, groups, dilation) {got}, the recipe says {want}")
        elif isinstance(step, Norm) and (op, a.get("zero_init", False)) != (step.norm.kind, step.zero_init):
            problems.append(f"{role} is a {op}, the recipe says a {step.norm.kind} (zero_init {step.zero_init})")
        elif isinstance(step, AntiAlias) and (op, a.get("stride")) != (_AA_OP[step.mode], (b.stride,) * 2):
            problems.append(f"{role} is a {op} of stride {a.get('stride')}, the recipe says {step.mode} by {b.stride}")
        elif isinstance(step, Act) and op != step.fn:
            problems.append(f"{role} is a {op}, the recipe says {step.fn}")
        elif role == "se_reduce" and a.get("out_channels") != step.hidden.value(env):
            problems.append(f"SE squeezes to {a.get('out_channels')}, the recipe says {step.hidden.value(env)}")
        elif role == "eca_conv" and a.get("kernel") != step.kernel.value(env):
            problems.append(f"ECA's kernel is {a.get('kernel')}, the recipe says {step.kernel.value(env)}")
    first = next((n for n in b.nodes if g.nodes[n]["op"] == "conv"), None)
    if first is None or g.nodes[first]["attrs"].get("in_channels") != b.in_channels:
        problems.append(f"its first conv does not take the {b.in_channels} input channels of its plan")
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
