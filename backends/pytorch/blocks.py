"""Block kinds: group the IR's blocks into the ``nn.Module`` classes that print them.

A block is the set of ops in one ``("stage", s, b)`` scope. Its *kind* is the signature of its main-path
ops (op kind, role, name, structural attributes, wiring) — never its channel numbers or stride. Blocks of
one kind share a class; the ops off the main path (the shortcut branch, e.g. ``downsample``) become an
optional part of the class, present under a condition found from the instances (``stride != 1 or
in_channels != width * 4``). The class's sizes are expressions over ``in_channels``, ``width`` and
``stride`` that hold for every block built from it (checked, see :mod:`exprs`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

import networkx as nx

from archc.ir.graph import operands

from .exprs import EmitError, Resolver, param
from .printers import printer
from .scope import Module, Scope, write_forward

PARAMS = ("in_channels", "width", "stride")


@dataclass
class Block:
    stage: int
    index: int
    nodes: list[str]
    prefix: str  # "layer1.0."
    stage_attr: str  # "layer1"
    stride: int

    @property
    def has_branch(self) -> bool:
        return bool(self.branch_sig)

    branch_sig: tuple = ()
    main_sig: tuple = ()
    env: dict = field(default_factory=dict)  # the constructor arguments, once resolved


@dataclass
class BlockClass:
    name: str
    blocks: list[Block]
    expansion: int = 1
    init: list[str] = field(default_factory=list)
    forward: list[str] = field(default_factory=list)
    doc: list[str] = field(default_factory=list)
    signature: str = "in_channels: int, width: int, stride: int = 1"
    subs: list[BlockClass] = field(default_factory=list)  # classes of named containers (``se``) it uses


def collect_blocks(g: nx.DiGraph) -> list[Block]:
    """The IR's blocks, or none when the names are not ``<stage>.<block>.<op>`` (torchvision VGG's flat
    ``features.N``: the model then prints every op itself, in the named containers)."""
    scopes: dict[tuple, list[str]] = defaultdict(list)
    for node, scope in g.nodes(data="scope"):
        if scope[0] == "stage" and isinstance(scope[2], int):
            scopes[scope].append(node)
    blocks = []
    for (_, s, b), nodes in scopes.items():
        first = g.nodes[nodes[0]]["names"]["torchvision"].split(".")
        if len(first) < 3 or first[1] != str(b) or not first[0].isidentifier():
            return []
        block = Block(s, b, nodes, f"{first[0]}.{b}.", first[0], _stride(g, nodes))
        block.main_sig, block.branch_sig = signatures(g, block)
        blocks.append(block)
    _keep_common_parts(blocks)
    return blocks


def _keep_common_parts(blocks: list[Block]) -> None:
    """Ops off the main path that every block of a kind has (squeeze-and-excitation) are not optional."""
    by_main: dict[tuple, list[Block]] = defaultdict(list)
    for b in blocks:
        by_main[b.main_sig].append(b)
    for members in by_main.values():
        common = set.intersection(*({e[0] for e in b.branch_sig} for b in members))
        for b in members:
            b.main_sig += tuple(e for e in b.branch_sig if e[0] in common)
            b.branch_sig = tuple(e for e in b.branch_sig if e[0] not in common)


def _stride(g: nx.DiGraph, nodes: list[str]) -> int:
    """The block's stride: the product of its main-path ops' strides (it may sit on any block of a stage:
    Keras V2). Read from the ops, not the shapes, which stop shrinking once the map is 1×1."""
    stride = 1
    for node in nodes:
        data = g.nodes[node]
        value = data["attrs"].get("stride") if data["main_path"] else None
        if value is not None:
            stride *= value[0] if isinstance(value, tuple) else value
    return stride


def signatures(g: nx.DiGraph, block: Block) -> tuple[tuple, tuple]:
    main, branch = [], []
    members = set(block.nodes)
    for node in block.nodes:
        d = g.nodes[node]
        sizes = printer(d["op"]).sizes
        struct = tuple(sorted((k, v) for k, v in d["attrs"].items() if k not in sizes))
        name = d["names"]["torchvision"].removeprefix(block.prefix)
        wiring = tuple(
            g.nodes[p]["role"] if p in members and g.nodes[p]["main_path"] == d["main_path"] else "*"
            for p in operands(g, node)
        )
        (main if d["main_path"] else branch).append((d["role"], d["op"], name, struct, wiring))
    return tuple(main), tuple(branch)


def group_classes(blocks: list[Block], base: str) -> list[BlockClass]:
    """One class per main-path signature (and per shortcut variant when a kind has several)."""
    by_main: dict[tuple, list[Block]] = defaultdict(list)
    for b in blocks:
        by_main[b.main_sig].append(b)
    groups: list[list[Block]] = []
    for members in by_main.values():
        variants = list(dict.fromkeys(b.branch_sig for b in members if b.has_branch))
        if len(variants) <= 1:
            groups.append(members)
            continue
        per_stage = defaultdict(set)
        for b in members:
            per_stage[b.stage].add(b.branch_sig if b.has_branch else None)
        if any(len(sigs - {None}) > 1 for sigs in per_stage.values()):  # e.g. projection + subsample (V2)
            for v in variants:
                groups.append([b for b in members if (b.branch_sig if b.has_branch else variants[0]) == v])
            continue
        stage_variant = {b.stage: b.branch_sig for b in members if b.has_branch}
        for v in variants:
            groups.append([b for b in members if stage_variant.get(b.stage, variants[0]) == v])
    names = [base if i == 0 else f"{base}{i + 1}" for i in range(len(groups))]
    return [BlockClass(n, members) for n, members in zip(names, groups)]


def class_name(block_kind: object) -> str:
    """``basic`` → ``BasicBlock``, ``bottleneck`` → ``Bottleneck`` (torchvision's names)."""
    words = re.findall(r"[a-z0-9]+", str(block_kind).lower()) if isinstance(block_kind, str) else []
    camel = "".join(w.capitalize() for w in words) or "Block"
    return camel if camel.endswith(("Block", "neck")) else f"{camel}Block"


def print_class(g: nx.DiGraph, cls: BlockClass) -> None:
    """Fill ``cls.init``/``cls.forward``/``cls.doc`` from the IR blocks it prints."""
    envs = [{"in_channels": g.nodes[_input_of(g, b)]["shape"][0], "stride": b.stride} for b in cls.blocks]
    res = Resolver(envs)
    for b, env in zip(cls.blocks, envs):
        b.env = env
    optional = {e[0] for b in cls.blocks for e in b.branch_sig}

    def sub(attr: str, parts: list[list[str]], prefixes: list[str]) -> str:
        sub_cls = print_container(g, attr, parts, prefixes)
        cls.subs.append(sub_cls)
        return sub_cls.name

    scope = Scope(g, [b.nodes for b in cls.blocks], [b.prefix for b in cls.blocks], res, optional=optional, sub=sub)
    scope.resolve(param("in_channels"))
    extra = [p for p in res.params if p not in PARAMS]
    if extra:
        raise EmitError(f"{cls.name}: sizes need parameters {extra} beyond {list(PARAMS)}")
    out = scope.cexpr[scope.key(scope.nodes[-1])]
    cls.expansion = _expansion(cls, out, envs)
    mods = scope.modules()
    items = scope.items()
    output = scope.nodes[-1]
    lines, branch_lines, result = write_forward(items, scope.input, output, "out")
    present = [b.has_branch for b in cls.blocks]
    cond = res.predicate(present, _conditions(out.text, out.value)) if any(present) else None
    _assemble(cls, scope, mods, lines, branch_lines, result, cond if any(present) else None, any(present))
    cls.doc = _doc(g, cls, scope, cond)


CONTAINER_CLASS = {"se": "SqueezeExcitation"}  # torchvision.ops' name for the ``se`` container


def print_container(g: nx.DiGraph, attr: str, parts: list[list[str]], prefixes: list[str]) -> BlockClass:
    """A container with named children (``se.fc1``…) as a class taking its input width."""
    name = CONTAINER_CLASS.get(attr) or "".join(w.capitalize() for w in attr.split("_"))
    sub = BlockClass(name, [], expansion=None, signature="in_channels: int")
    inputs = [_input_of_nodes(g, nodes) for nodes in parts]
    res = Resolver([{"in_channels": g.nodes[i]["shape"][0]} for i in inputs])
    scope = Scope(g, parts, prefixes, res, branches=False)
    scope.resolve(param("in_channels"))
    if res.params != ["in_channels"]:
        raise EmitError(f"{name}: sizes need parameters {res.params[1:]} beyond in_channels")
    mods = scope.modules()
    lines, _, result = write_forward(scope.items(), scope.input, scope.nodes[-1], "out")
    sub.init = [ln for m in mods.values() for ln in m.lines()] + [f"self.{k} = {v}" for k, v in scope.stored.items()]
    sub.forward = [*lines, f"return {result}"]
    sub.doc = [f"The ``{attr}`` part of a block: {' → '.join(_op_names(g, scope))}."]
    return sub


def _op_names(g: nx.DiGraph, scope: Scope) -> list[str]:
    names = []
    for n in scope.nodes:
        ref = scope.ctx[scope.key(n)].ref
        names.append(ref.removeprefix("self.") if ref else g.nodes[n]["op"])
    return names


def _input_of_nodes(g: nx.DiGraph, nodes: list[str]) -> str:
    members = set(nodes)
    return next(p for n in nodes for p in operands(g, n) if p not in members)


def _input_of(g: nx.DiGraph, b: Block) -> str:
    members = set(b.nodes)
    return next(p for n in b.nodes for p in operands(g, n) if p not in members)


def _expansion(cls: BlockClass, out, envs) -> int:
    ratios = {env_out // env["width"] for env, env_out in ((e, out.value(e)) for e in envs) if "width" in env}
    if len(ratios) != 1 or any(out.value(e) != e["width"] * next(iter(ratios)) for e in envs):
        raise EmitError(f"{cls.name}: output channels {out.text} are not a multiple of width")
    return ratios.pop()


def _conditions(out_text: str, out_value):
    return [
        (f"stride != 1 or in_channels != {out_text}", lambda e: e["stride"] != 1 or e["in_channels"] != out_value(e)),
        ("stride != 1", lambda e: e["stride"] != 1),
        (f"in_channels != {out_text}", lambda e: e["in_channels"] != out_value(e)),
    ]


def _assemble(cls, scope: Scope, mods: dict[str, Module], lines, branch_lines, result, cond, has_branch) -> None:
    main = [m for m in mods.values() if not m.branch]
    branch = [m for m in mods.values() if m.branch]
    init = [ln for m in sorted(main, key=lambda m: not m.params) for ln in m.lines()]
    init += [f"self.{k} = {v}" for k, v in scope.stored.items()]
    flag = None
    if has_branch and cond is not None:
        if branch:
            init += [f"self.{m.attr} = None" for m in branch]
            flag = f"self.{branch[0].attr} is not None"
        else:
            flag_attr = _branch_name(scope)
            init.append(f"self.{flag_attr} = {cond}")
            flag = f"self.{flag_attr}"
        if branch:
            init.append(f"if {cond}:")
            init += [f"    {ln}" for m in branch for ln in m.lines()]
    else:
        init += [ln for m in branch for ln in m.lines()]
    forward = []
    for ln in lines:
        if ln is not None:
            forward.append(ln)
        elif flag is None:
            forward += branch_lines
        else:
            forward = ["identity = x", *forward, f"if {flag}:", *(f"    {b}" for b in branch_lines)]
    cls.init, cls.forward = init, [*forward, f"return {result}"]


def _branch_name(scope: Scope) -> str:
    for node in scope.nodes:
        if scope.is_shortcut(node):
            return scope.local_name(node).split(".")[0]
    return "shortcut"


def _doc(g: nx.DiGraph, cls: BlockClass, scope: Scope, cond: str | None) -> list[str]:
    stages = list(dict.fromkeys(b.stage_attr for b in cls.blocks))
    optional = [scope.is_shortcut(n) for n in scope.nodes]
    main = [_part(g, scope, n) for n, o in zip(scope.nodes, optional) if not o]
    main = [m for i, m in enumerate(main) if i == 0 or main[i - 1] != m]  # a container's ops: once
    branch = list(dict.fromkeys(_part(g, scope, n) for n, o in zip(scope.nodes, optional) if o))
    doc = [f"The block of {', '.join(stages)} ({len(cls.blocks)} blocks).", "", f"Main path: {' → '.join(main)}."]
    if branch:
        when = f"when {cond}, else the identity" if cond else "always"
        doc.append(f"Shortcut: {', '.join(branch)} {when}.")
    return doc


def _part(g: nx.DiGraph, scope: Scope, node: str) -> str:
    """A shortcut op as the docstring names it: its module attribute, or its op kind when functional."""
    ref = scope.ctx[scope.key(node)].ref
    return ref.removeprefix("self.") if ref else g.nodes[node]["op"]
