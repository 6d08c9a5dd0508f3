"""Print one scope (a block class, or the model's own layers) as ``__init__`` and ``forward`` lines.

A scope is a list of *instances* (the blocks built from one class; one instance for the model itself),
each a list of IR nodes whose roles line up. The first pass resolves every size to an expression valid for
all instances (:mod:`exprs`), the second assigns module attributes from the IR names (``downsample.0`` →
an ``nn.Sequential`` called ``downsample``), the third writes straight-line ``forward`` code with a
variable per live value (``out`` on the main path, ``identity`` on the shortcut branch).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import networkx as nx

from archc.ir.graph import operands

from .exprs import EmitError, Expr, Resolver, const, half_of, minus, param
from .printers import OpCtx, printer


@dataclass
class Item:
    """One forward step: an op, a whole ``nn.Sequential`` container, or a stage (model level)."""

    inputs: list[str]  # IR nodes read
    output: str  # IR node produced
    branch: bool  # on the shortcut branch (``identity``)
    render: object  # callable: list of input variable texts → expression text


@dataclass
class Module:
    attr: str
    ctor: str = ""
    items: dict[int, str] = field(default_factory=dict)  # nn.Sequential items, by index
    params: bool = False
    branch: bool = False

    def lines(self) -> list[str]:
        if not self.items:
            return [f"self.{self.attr} = {self.ctor}"]
        if sorted(self.items) != list(range(len(self.items))):
            raise EmitError(f"container {self.attr!r} has items {sorted(self.items)}, not 0..n-1")
        body = [f"    {self.items[i]}," for i in range(len(self.items))]
        return [f"self.{self.attr} = nn.Sequential(", *body, ")"]


class Scope:
    def __init__(self, g: nx.DiGraph, instances: list[list[str]], prefixes: list[str], resolver: Resolver, model=False):
        self.g, self.instances, self.prefixes, self.res, self.model = g, instances, prefixes, resolver, model
        self.rep = max(range(len(instances)), key=lambda i: len(instances[i]))
        self.nodes = instances[self.rep]
        self.roles = [self.key(n) for n in self.nodes]  # what lines up across instances
        if len(set(self.roles)) != len(self.roles):
            raise EmitError(f"roles repeat inside one block: {self.roles}")
        self.by_role = [{self.key(n): n for n in inst} for inst in instances]
        self.members = members = set(self.nodes)
        ext = [p for n in self.nodes for p in operands(g, n) if p not in members]
        if len(set(ext)) != 1 and not model:
            raise EmitError(f"a block must have one input, got {sorted(set(ext))}")
        self.input = g.graph["input"] if model else ext[0]
        self.stored: dict[str, str] = {}  # forward-time sizes kept on the module: attribute → expression
        self.cexpr: dict[str, Expr] = {}
        self.ctx: dict[str, OpCtx] = {}

    def key(self, node: str) -> str:
        return node if self.model else self.g.nodes[node]["role"]

    # -- pass 1: sizes -------------------------------------------------------------------------------
    def values(self, role: str, get) -> dict[int, int]:
        return {i: get(self.g.nodes[m[role]]) for i, m in enumerate(self.by_role) if role in m}

    def source_expr(self, node: str) -> Expr:
        if node in self.members:
            return self.cexpr[self.key(node)]
        return const(self.g.nodes[node]["shape"][0]) if self.model else self.cexpr["<in>"]

    def resolve(self, input_channels: Expr) -> None:
        self.cexpr["<in>"] = input_channels
        for role, node in zip(self.roles, self.nodes):
            data = self.g.nodes[node]
            cin = self.source_expr(operands(self.g, node)[0])
            cout = self.out_channels(role, data, cin)
            self.cexpr[role] = cout
            sizes = {}
            for attr, kind in printer(data["op"]).sizes.items():
                sizes[attr] = self.size(role, attr, kind, cin, cout)
            self.ctx[role] = OpCtx(data["attrs"], sizes)

    def out_channels(self, role: str, data: dict, cin: Expr) -> Expr:
        out = self.values(role, lambda d: d["shape"][0])
        if self.res.matches(cin, out) and "cout" not in printer(data["op"]).sizes.values():
            return cin
        return self.res.channels(out, defines_width=data["main_path"])

    def size(self, role: str, attr: str, kind: str, cin: Expr, cout: Expr) -> list[str]:
        raw = self.values(role, lambda d: d["attrs"][attr])
        first = next(iter(raw.values()))
        count = len(first) if isinstance(first, tuple) else 0
        texts = []
        for k in range(count or 1):
            vals = {i: (v[k] if count else v) for i, v in raw.items()}
            texts.append(self.size_expr(vals, kind, cin, cout, f"{role}.{attr}").text)
        return texts

    def size_expr(self, vals: dict[int, int], kind: str, cin: Expr, cout: Expr, what: str) -> Expr:
        if kind in ("cin", "cout"):
            e = cin if kind == "cin" else cout
            if not self.res.matches(e, vals):
                raise EmitError(f"{what}: {e.text} does not give {sorted(set(vals.values()))}")
            return e
        extra = minus(cout, cin)
        candidates = {
            "stride": [param("stride")] if "stride" in self.res.params else [],
            "groups": [cin, cout],
            "pad_before": [half_of(extra)],
            "pad_after": [minus(extra, half_of(extra))],
        }[kind]
        return self.res.size(vals, candidates, what)

    # -- pass 2: module attributes -------------------------------------------------------------------
    def local_name(self, node: str) -> str:
        name, prefix = self.g.nodes[node]["names"]["torchvision"], self.prefixes[self.rep]
        if not name.startswith(prefix):
            raise EmitError(f"{node}: name {name!r} does not start with {prefix!r}")
        local = name[len(prefix) :]
        if not re.fullmatch(r"[A-Za-z_]\w*(\.\w+)*", local):
            raise EmitError(f"{node}: name {name!r} is not a Python attribute path")
        return local

    def modules(self) -> dict[str, Module]:
        mods: dict[str, Module] = {}
        unsafe = {self.local_name(n).split(".")[0] for n in self.nodes if not self.inplace_ok(n)}
        for role, node in zip(self.roles, self.nodes):
            data, pr = self.g.nodes[node], printer(self.g.nodes[node]["op"])
            if pr.module is None:
                continue
            attr, _, rest = self.local_name(node).partition(".")
            ctx = self.ctx[role]
            ctx.inplace = attr not in unsafe
            ctor = pr.module(ctx)
            mod = mods.setdefault(attr, Module(attr, branch=not data["main_path"]))
            mod.params |= bool(data["params"] or data["buffers"])
            if rest:
                if not rest.isdigit():
                    raise EmitError(f"{node}: only numbered containers are supported ({attr}.{rest})")
                mod.items[int(rest)] = ctor
                ctx.ref = f"self.{attr}"
            elif mod.ctor and mod.ctor != ctor:
                if mod.params or data["params"] or data["buffers"]:
                    raise EmitError(f"modules named {attr!r} differ: {mod.ctor} vs {ctor}")
                attr = self.rename(mods, attr, ctor)  # parameterless name clash (no state-dict key)
                mod = mods.setdefault(attr, Module(attr, branch=not data["main_path"]))
                mod.ctor, ctx.ref = ctor, f"self.{attr}"
            else:
                mod.ctor, ctx.ref = ctor, f"self.{attr}"
        return mods

    @staticmethod
    def rename(mods: dict[str, Module], attr: str, ctor: str) -> str:
        n = 2
        while f"{attr}{n}" in mods and mods[f"{attr}{n}"].ctor != ctor:
            n += 1
        return f"{attr}{n}"

    def inplace_ok(self, node: str) -> bool:
        if self.g.nodes[node]["op"] != "relu":
            return True
        src = operands(self.g, node)[0]
        return src != self.input and self.g.out_degree(src) == 1

    # -- pass 3: forward items -----------------------------------------------------------------------
    def items(self) -> list[Item]:
        out, done = [], set()
        for role, node in zip(self.roles, self.nodes):
            if node in done:
                continue
            data = self.g.nodes[node]
            chain = self.container_chain(node)
            done.update(chain)
            branch = not data["main_path"]
            if len(chain) > 1:
                ref = self.ctx[role].ref
                out.append(Item([operands(self.g, chain[0])[0]], chain[-1], branch, lambda v, r=ref: f"{r}({v[0]})"))
                continue
            out.append(Item(operands(self.g, node), node, branch, self.renderer(role, data)))
        return out

    def container_chain(self, node: str) -> list[str]:
        """The ops of the ``nn.Sequential`` that ``node`` starts (``[node]`` when it is no container)."""
        if printer(self.g.nodes[node]["op"]).module is None or "." not in self.local_name(node):
            return [node]
        attr = self.local_name(node).split(".")[0]
        chain = [
            n for n in self.nodes if printer(self.g.nodes[n]["op"]).module and self.local_name(n).split(".")[0] == attr
        ]
        for prev, cur in zip(chain, chain[1:]):
            if operands(self.g, cur) != [prev]:
                raise EmitError(f"container {attr!r} is not a chain of ops")
        return chain

    def renderer(self, role: str, data: dict):
        pr, ctx = printer(data["op"]), self.ctx[role]
        if pr.forward_sizes:
            sizes = {attr: [self.store(kind, t) for t in ctx.sizes[attr]] for attr, kind in pr.sizes.items()}
            ctx = OpCtx(ctx.attrs, sizes, ctx.ref)
        if pr.call is not None:
            return lambda v: pr.call(ctx, v)
        return lambda v: f"{ctx.ref}({v[0]})"

    def store(self, kind: str, text: str) -> str:
        """A size used in ``forward``: a literal as is, an expression kept as ``self.<kind>``."""
        if text.isdigit():
            return text
        name, n = kind, 1
        while self.stored.get(name, text) != text:
            n += 1
            name = f"{kind}{n}"
        self.stored[name] = text
        return f"self.{name}"


def write_forward(items: list[Item], source: str, output: str, base: str) -> tuple[list[str], list[str], str]:
    """Main-path and branch lines of straight-line code; returns (main lines with a branch marker, branch lines, result var)."""
    uses = Counter(n for item in items for n in item.inputs)
    uses[output] += 1
    var_of, holder = {source: "x"}, {"x": source}
    lines, branch_lines, marker = [], [], False
    for item in items:
        expr = item.render([var_of[n] for n in item.inputs])
        for n in item.inputs:
            uses[n] -= 1
        stem = "identity" if item.branch else base
        var, k = stem, 1
        while var in holder and uses[holder[var]] > 0:
            k += 1
            var = f"{stem}{k}"
        holder[var], var_of[item.output] = item.output, var
        if item.branch:
            branch_lines.append(f"{var} = {expr}")
            if not marker:
                lines.append(None)
                marker = True
        else:
            lines.append(f"{var} = {expr}")
    return lines, branch_lines, var_of[output]
