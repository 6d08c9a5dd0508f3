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
    after: list[str] = field(default_factory=list)  # e.g. ``nn.init.zeros_(self.bn3.weight)``

    def lines(self) -> list[str]:
        if not self.items:
            return [f"self.{self.attr} = {self.ctor}", *self.after]
        if sorted(self.items) != list(range(len(self.items))):
            raise EmitError(f"container {self.attr!r} has items {sorted(self.items)}, not 0..n-1")
        body = [f"    {self.items[i]}," for i in range(len(self.items))]
        return [f"self.{self.attr} = nn.Sequential(", *body, ")", *self.after]


class Scope:
    def __init__(
        self, g, instances, prefixes: list[str], resolver: Resolver, model=False, optional=(), sub=None, branches=True
    ):
        self.g, self.instances, self.prefixes, self.res, self.model = g, instances, prefixes, resolver, model
        self.optional = set(optional)  # roles present in only some instances (the shortcut branch)
        self.branches = branches  # False inside a container class: everything is one straight path
        self.sub = sub  # callback printing a named container (``se.fc1``, ``se.fc2``, …) as its own class
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
        self.named = self.named_containers()
        self.stored: dict[str, str] = {}  # forward-time sizes kept on the module: attribute → expression
        self.cexpr: dict[str, Expr] = {}
        self.ctx: dict[str, OpCtx] = {}

    def named_containers(self) -> dict[str, list[str]]:
        """``{attr: nodes}`` of containers with named children (``se.fc1``): printed as a class of their own."""
        attrs = set()
        for n in self.nodes:
            if printer(self.g.nodes[n]["op"]).module:
                head, _, rest = self.local_name(n).partition(".")
                if rest and not rest.isdigit():
                    attrs.add(head)
        return {a: [n for n in self.nodes if self._head(n) == a] for a in sorted(attrs)}

    def _head(self, node: str) -> str:
        name, prefix = self.g.nodes[node]["names"]["torchvision"], self.prefixes[self.rep]
        return name.removeprefix(prefix).split(".")[0]

    def is_shortcut(self, node: str) -> bool:
        """On the shortcut branch (``identity``): optional, or off the main path outside a named container."""
        d = self.g.nodes[node]
        if not self.branches:
            return False
        return self.key(node) in self.optional or (not d["main_path"] and self.container_of(node) is None)

    def container_of(self, node: str) -> str | None:
        return next((a for a, nodes in self.named.items() if node in nodes), None)

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
            box = self.container_of(node)
            if box is not None:  # printed by the container's own class; only its output width matters here
                cin = self.source_expr(self._box_input(box))
                self.cexpr[role] = cin if node != self.named[box][-1] else self.out_channels(role, data, cin)
                self.ctx[role] = OpCtx(data["attrs"], {})
                continue
            cout = self.out_channels(role, data, cin)
            self.cexpr[role] = cout
            sizes = {}
            for attr, kind in printer(data["op"]).sizes.items():
                sizes[attr] = self.size(role, attr, kind, cin, cout)
            self.ctx[role] = OpCtx(data["attrs"], sizes)

    def _box_input(self, box: str) -> str:
        inside = set(self.named[box])
        ext = {p for n in self.named[box] for p in operands(self.g, n) if p not in inside}
        if len(ext) != 1:
            raise EmitError(f"container {box!r} must have one input, got {sorted(ext)}")
        return ext.pop()

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
            box = self.container_of(node)
            if box is not None:
                if box not in mods:
                    mods[box] = self.named_module(box)
                self.ctx[role].ref = f"self.{box}"
                continue
            if pr.module is None:
                continue
            attr, _, rest = self.local_name(node).partition(".")
            ctx = self.ctx[role]
            ctx.inplace = attr not in unsafe
            ctor = pr.module(ctx)
            mod = mods.setdefault(attr, Module(attr, branch=self.is_shortcut(node)))
            mod.params |= bool(data["params"] or data["buffers"])
            if rest:
                if not rest.isdigit():
                    raise EmitError(f"{node}: only numbered containers are supported ({attr}.{rest})")
                mod.items[int(rest)] = ctor
                ctx.ref = f"self.{attr}"
                mod.after += pr.after(ctx, f"self.{attr}[{rest}]") if pr.after else []
            elif mod.ctor and mod.ctor != ctor:
                if mod.params or data["params"] or data["buffers"]:
                    raise EmitError(f"modules named {attr!r} differ: {mod.ctor} vs {ctor}")
                attr = self.rename(mods, attr, ctor)  # parameterless name clash (no state-dict key)
                mod = mods.setdefault(attr, Module(attr, branch=self.is_shortcut(node)))
                mod.ctor, ctx.ref = ctor, f"self.{attr}"
            else:
                mod.ctor, ctx.ref = ctor, f"self.{attr}"
                mod.after = pr.after(ctx, ctx.ref) if pr.after else []
        return mods

    def named_module(self, box: str) -> Module:
        if self.sub is None:
            raise EmitError(f"container {box!r} with named children is not supported here")
        roles = {self.key(n) for n in self.named[box]}
        parts = [[n for n in inst if self.key(n) in roles] for inst in self.instances]
        prefixes = [f"{p}{box}." for p in self.prefixes]
        cls_name = self.sub(box, parts, prefixes)
        nodes = self.named[box]
        params = any(self.g.nodes[n]["params"] or self.g.nodes[n]["buffers"] for n in nodes)
        branch = any(self.is_shortcut(n) for n in nodes)
        return Module(
            box, ctor=f"{cls_name}({self.source_expr(self._box_input(box)).text})", params=params, branch=branch
        )

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
            branch = self.is_shortcut(node)
            box = self.container_of(node)
            if box is not None:
                done.update(self.named[box])
                ref = f"self.{box}"
                out.append(Item([self._box_input(box)], self.named[box][-1], branch, lambda v, r=ref: f"{r}({v[0]})"))
                continue
            chain = self.container_chain(node)
            done.update(chain)
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


def write_forward(
    items: list[Item], source: str, output: str | tuple[str, ...], base: str
) -> tuple[list[str], list[str], str]:
    """Straight-line code: (main lines with a ``None`` marker where the branch goes, branch lines, result).

    ``output`` may be a tuple of nodes (every stage's output of a ``features_only`` model): the result is
    then a list expression and each of them stays alive to the end."""
    outs = output if isinstance(output, tuple) else (output,)
    uses = Counter(n for item in items for n in item.inputs)
    uses.update(outs)
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
    hidden = [o for o in outs if o not in var_of]
    if hidden:  # e.g. features_only over stages that live inside one flat nn.Sequential (block: single)
        raise EmitError(f"the outputs {hidden} are inside a module and cannot be returned by this forward")
    result = var_of[output] if not isinstance(output, tuple) else f"[{', '.join(var_of[o] for o in outs)}]"
    return lines, branch_lines, result
