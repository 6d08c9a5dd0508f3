"""Block functions: one generated Keras function per block definition, printed from the block model.

keras.applications writes ``residual_block_v1(x, filters, stride, conv_shortcut, name)``: a definition
(:class:`archc.ir.blocks.BlockDef`) fixes the body; what varies between its blocks
(:class:`archc.ir.blocks.Block`) becomes a parameter, only where the blocks of this model differ: ``stride``,
``dilation``, ``conv_shortcut`` (the block projects), ``pad_channels`` (option A's zero channels). Widths are
the plan's: ``filters`` (the stage's planes), ``expansion * filters`` and ResNeXt's
``int(filters * (base_width / 64.0)) * groups``. Layer names are the IR's keras names (``f"{name}_1_conv"``).
Padding: a conv that may stride, or a spec with ``explicit_padding``, gets a ZeroPadding2D + ``"valid"``;
any other padded conv is stride 1 and symmetric, which Keras ``"same"`` reproduces exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
from archc.backends.keras.printers import (
    Unsupported,
    conv_kwargs,
    eca_reshape_name,
    eca_restore_name,
    layer,
    print_op,
    render,
)
from archc.backends.keras.pycode import Code, call_statement, fstring, literal

from archc.ir.blocks import UNITS, Block, BlockDef
from archc.ir.expr import num, var
from archc.ir.graph import operands
from archc.ir.naming import pad_name

_SHORTCUT_ROLES = ("down_pool", "down_conv", "down_bn", "subsample", "pad")
# What may vary between the blocks of one definition: parameter, its value for a block, its default.
_VARYING = (
    ("stride", lambda b: b.stride, 1),
    ("first_dilation", lambda b: b.first_dilation, 1),
    ("dilation", lambda b: b.dilation, 1),
    ("conv_shortcut", lambda b: b.projects, False),
    ("pad_channels", lambda b: sum(b.pad), 0),
)


_UNIT_WORDS = {"original": "v1", "full_preactivation": "v2"}  # keras.applications' ResNet and ResNetV2


@dataclass
class BlockFunction:
    fname: str
    params: list[tuple[str, object]]  # (parameter, default) between ``filters`` and ``name``
    varying: dict[str, object]  # parameter → its getter on a Block (the ones call sites pass)
    body: list[str]

    @property
    def signature(self) -> str:
        return ", ".join(["x", "filters", *(f"{p}={literal(v)}" for p, v in self.params), "name=None"])

    def args(self, block: Block) -> dict[str, object]:
        """The keyword arguments a call of this block passes (defaults left out)."""
        defaults = dict(self.params)
        values = {p: get(block) for p, get in self.varying.items()}
        return {p: v for p, v in values.items() if v != defaults[p]}


def function_name(d: BlockDef) -> str:
    """``residual_block_v1`` (bottleneck, original unit), ``basic_residual_block_v2``, ``plain_block_v1``."""
    kind = {"bottleneck": "residual_block", "basic": "basic_residual_block", "single": "conv_residual_block"}
    if d.shortcut == "none":
        kind = {"bottleneck": "plain_bottleneck_block", "basic": "plain_block", "single": "plain_conv_block"}
    unit = next((n for n, u in UNITS.items() if u == d.unit), "custom_unit")
    return f"{kind[d.kind]}_{_UNIT_WORDS.get(unit, unit)}"


# RegNet: the group width of a stage (groups = width // group_width).
_GROUP_WIDTH = (("group_width", lambda b: b.group_width, 1),)


def block_function(g: nx.DiGraph, d: BlockDef, blocks: list[Block], fname: str) -> BlockFunction:
    used = {c.dilation for c in d.recipe.convs()}
    rename = {"first_dilation": "dilation"} if "dilation" not in used else {}  # a bottleneck's only 3x3
    params, varying, values = [], {}, {}
    regnet = d.bottleneck_ratio is not None
    if regnet != any(b.group_width is not None for b in blocks):
        raise Unsupported(blocks[0].nodes[0], "a stage needs both group_width and bottleneck_ratio (or neither)")
    for field, get, default in _VARYING + (_GROUP_WIDTH if regnet else ()):
        if field in ("first_dilation", "dilation") and field not in used:
            continue
        name, seen = rename.get(field, field), [get(b) for b in blocks]
        if field == "conv_shortcut":  # keras.applications: True in its v1 (and v3) block, False in its v2 block
            default = d.unit != UNITS["full_preactivation"]
        if len(set(seen)) > 1:
            params.append((name, default))
            varying[name] = get
            values[field] = Code(name)
        else:
            values[field] = seen[0]
    if not regnet and (d.groups, d.base_width) != (1, 64):
        params += [("groups", d.groups), ("base_width", d.base_width)]
    if d.attention is not None and d.attention.kind == "se" and d.attention.ratio is None:
        params.append(("se_reduction", d.attention.reduction))
    fn = BlockFunction(fname, params, varying, [])
    fn.body = _Body(g, d, blocks, values, dict(params)).lines()
    return fn


class _Body:
    """The statements of a block function, from one definition and the ops its blocks lowered to."""

    def __init__(self, g: nx.DiGraph, d: BlockDef, blocks: list[Block], values: dict, params: dict):
        self.g, self.d, self.values, self.params = g, d, values, params
        self.first, self.blocks = blocks[0], blocks
        self.rep: dict[str, str] = {}  # role → a node of that role (shortcut roles: from any block)
        for b in blocks:  # (a block that strides never dilates: output_stride dilates instead of striding)
            for node in b.nodes:
                self.rep.setdefault(g.nodes[node]["role"], node)
        out = "filters" if d.expansion == 1 else f"{d.expansion} * filters"
        grouped = "groups" in params or d.bottleneck_ratio is not None
        self.widths = {"out": Code(out), "inner": Code("width" if grouped else "filters")}
        a = d.attention
        self.se_channels = self.widths["inner" if a is not None and a.after == "3x3" else "out"]
        pre = [n for n in self.first.nodes if g.nodes[n]["role"].startswith("preact_")]
        self.preact = "preact" if pre and self.first.residual else "x"

    def var(self, node: str, reader: str) -> str:
        """The variable holding ``node`` when ``reader`` reads it (the block input is ``x``; the addition
        reads an identity shortcut as ``shortcut``)."""
        if self.g.nodes[node]["block"] != self.first.id:
            return "shortcut" if g_role(self.g, reader) == "add" else "x"
        part = _section(g_role(self.g, node))
        return {"shortcut": "shortcut", "preact": self.preact, "se": "se"}.get(part, "x")

    def lines(self) -> list[str]:
        out, d = [], self.d
        if "groups" in self.params:
            out.append("width = int(filters * (base_width / 64.0)) * groups")
        if d.bottleneck_ratio is not None:  # RegNet: timm's bottle_ratio; groups = width // group_width
            out.append(f"width = int(round({self.widths['out'].text} * {d.bottleneck_ratio!r}))")
        a = d.attention
        out += ["in_channels = x.shape[-1]"] * (a is not None and a.kind == "se" and a.of == "in")
        inside = a is not None and a.after == "3x3"  # RegNetY: SE within the branch
        roles = [g_role(self.g, n) for n in self.first.nodes]
        for part in ("preact", "shortcut", "main", "se", "se_scale", "add", "after"):
            if part == "shortcut":
                out += self.shortcut() if self.first.residual else []
                continue
            if inside and part in ("se", "se_scale"):
                continue  # printed with the main branch, in op order
            group = ("main", "se", "se_scale") if inside and part == "main" else (part,)
            out += [line for r in roles if _section(r) in group for line in self.op(self.rep[r], 1)]
        return [*out, "return x"]

    def op(self, node: str, indent: int, source: str | None = None, target: str | None = None) -> list[str]:
        """One IR op as a statement; ``source`` / ``target`` override the variables read and written."""
        role = g_role(self.g, node)
        ins = [source] if source else [self.var(o, node) for o in operands(self.g, node)]
        target = target or self.var(node, node)
        if self.g.nodes[node]["op"] == "conv":
            return self.conv(node, ins[0], target, indent)
        if self.g.nodes[node]["op"] == "channel_conv":
            return self.eca_conv(node, ins[0], target, indent)
        if role == "subsample":
            call = layer("layers.MaxPooling2D", (1,), (("strides", self.values["stride"]),), node)
        elif role == "pad":
            p = self.values["pad_channels"]
            half = Code(f"{p.text} // 2") if isinstance(p, Code) else p // 2
            rest = Code(f"{p.text} - {p.text} // 2") if isinstance(p, Code) else p - p // 2
            widths = ((0, 0), (0, 0), (0, 0), (half, rest))
            return call_statement(target, "keras.ops.pad", [ins[0], literal(widths)], "", indent)
        elif role == "down_pool":
            s = self.values["stride"]
            call = layer("layers.AveragePooling2D", (s,), (("strides", s), ("padding", "same")), node)
        else:
            (call,) = print_op(self.g, node)
            if not source:  # Add: the shortcut first, as keras.applications writes ``Add()([shortcut, x])``
                ins = sorted((self.var(o, node) for o in call.inputs), key=lambda v: v != "shortcut")
        operand = ins[0] if len(ins) == 1 else f"[{', '.join(ins)}]"
        return render(call, target, operand, indent, self.name(node))

    def name(self, node: str, suffix_of=lambda n: n) -> Code:
        prefix = self.g.graph["blocks"].block(self.g.nodes[node]["block"]).names["keras"]
        full = suffix_of(self.g.nodes[node]["names"]["keras"])
        if not full.startswith(prefix + "_"):
            raise Unsupported(node, f"layer {full!r} is not named after its block {prefix!r}")
        return fstring("", "name", full[len(prefix) :])

    def conv(self, node: str, src: str, target: str, indent: int) -> list[str]:
        a, role = self.g.nodes[node]["attrs"], g_role(self.g, node)
        d, k = self.d, a["kernel"][0]
        if role.startswith("conv"):
            step = next(c for c in d.recipe.convs() if c.role == role)
            width = self.widths["inner" if step.width == var("width") else "out"]
            stride = self.values["stride"] if step.stride else 1
            dilation = self.values[step.dilation] if step.dilation else 1
            grouped = step.groups != num(1)
            groups = Code("groups") if grouped and "groups" in self.params else a["groups"]
            if grouped and d.bottleneck_ratio is not None:
                gw = self.values["group_width"]
                groups = Code(f"width // {gw.text if isinstance(gw, Code) else gw}")
        elif role.startswith("se_"):  # squeeze-and-excitation's 1x1 convs
            width = Code(self.squeezed()) if role == "se_reduce" else self.se_channels
            stride, dilation, groups = 1, 1, 1
        else:  # the projection (stride 1 after ResNet-D's pool)
            width = self.widths["out"]
            stride = self.values["stride"] if role == "down_conv" and d.projection == "conv" else 1
            dilation, groups = 1, 1
        lines, padding = [], "valid"
        if k > 1 and (d.explicit_padding or stride != 1):
            p = (k // 2) * dilation if not isinstance(dilation, Code) else Code(_times(k // 2, dilation.text))
            pad = layer("layers.ZeroPadding2D", (), (("padding", ((p, p), (p, p))),), node)
            lines += render(pad, target, src, indent, self.name(node, pad_name))
            src = target
        elif k > 1:
            padding = "same"
        kwargs = conv_kwargs(self.g, stride, padding, dilation, groups, None, a["bias"])
        return lines + render(layer("layers.Conv2D", (width, k), kwargs, node), target, src, indent, self.name(node))

    def squeezed(self) -> str:
        """The SE hidden width: ``max(1, C // se_reduction)``, ``round(ratio × C)`` (RegNetY), or with a divisor
        timm's ``make_divisible(…, divisor)``; C is the width the spec names (output, input or inner)."""
        a = self.d.attention
        base = {"out": self.widths["out"].text, "inner": self.widths["inner"].text, "in": "in_channels"}[a.of]
        limit = f", round_limit={a.round_limit!r}" if a.round_limit else ""
        if a.ratio is not None:
            value = f"{base} * {a.ratio!r}"
            return (
                f"max(1, int(round({value})))" if a.divisor is None else f"make_divisible({value}, {a.divisor}{limit})"
            )
        if a.divisor is None:
            return f"max(1, {base} // se_reduction)"
        return f"make_divisible({base} / se_reduction, {a.divisor}{limit})"

    def eca_conv(self, node: str, src: str, target: str, indent: int) -> list[str]:
        """ECA: ``(N, 1, 1, C)`` → ``(N, C, 1)`` → Conv1D across the channels → ``(N, 1, 1, C)``."""
        a, out = self.d.attention, self.widths["out"].text
        kernel = a.kernel or Code(
            f"eca_kernel_size({out}" + (f", {a.gamma!r}, {a.beta!r})" if (a.gamma, a.beta) != (2.0, 1.0) else ")")
        )
        conv = layer("layers.Conv1D", (1, kernel), (("padding", "same"), ("use_bias", False)), node)
        flat, back = layer("layers.Reshape", ((-1, 1),), (), node), layer("layers.Reshape", ((1, 1, -1),), (), node)
        return [
            *render(flat, target, src, indent, self.name(node, eca_reshape_name)),
            *render(conv, target, target, indent, self.name(node)),
            *render(back, target, target, indent, self.name(node, eca_restore_name)),
        ]

    def shortcut(self) -> list[str]:
        """The shortcut: a projection, an identity (subsampled, zero-padded) or a ``conv_shortcut`` switch."""
        d, v = self.d, self.values
        proj = [b for b in self.blocks if b.projects]
        ident = [b for b in self.blocks if not b.projects]
        strided = _condition([b.subsample > 1 for b in ident], "stride > 1")
        padded = _condition([sum(b.pad) > 0 for b in ident], "pad_channels")
        pool = _condition([b.stride > 1 for b in proj], "stride > 1") if d.projection == "avgpool" else False
        projection = [("down_pool", pool), ("down_conv", True), ("down_bn", d.projection_norm)]
        identity = [("subsample", strided), ("pad", padded)]
        projects = v["conv_shortcut"]
        if not isinstance(projects, Code):
            return self.chain(projection if projects else identity, self.preact if projects else "x", 1)
        if [c for _, c in identity if c] == [strided] and isinstance(strided, str):  # keras ResNetV2's form
            head = self.op(self.rep["subsample"], 2, "x", "shortcut")
            other = ["else:", "    shortcut = x"]
            return ["if conv_shortcut:", *_indent(self.chain(projection, self.preact, 2)), f"elif {strided}:",
                    *_indent(head), *other]  # fmt: skip
        return ["if conv_shortcut:", *_indent(self.chain(projection, self.preact, 2)), "else:",
                *_indent(self.chain(identity, "x", 2))]  # fmt: skip

    def chain(self, ops: list[tuple[str, object]], source: str, indent: int) -> list[str]:
        """Shortcut ops applied in turn to ``source``; a condition that is a string becomes an ``if``."""
        ops = [(role, cond) for role, cond in ops if cond]
        if not ops:
            return [f"shortcut = {source}"]
        lines = [] if ops[0][1] is True else [f"shortcut = {source}"]
        for i, (role, cond) in enumerate(ops):
            src = source if i == 0 and cond is True else "shortcut"
            stmt = self.op(self.rep[role], indent + (cond is not True), src, "shortcut")
            lines += stmt if cond is True else [f"if {cond}:", *_indent(stmt)]
        return lines


def _condition(present: list[bool], test: str):
    """An op present in every block (True), in none (False) or in some: the test that says where."""
    return all(present) if all(present) or not any(present) else test


def _section(role: str) -> str:
    """Where a block's op is printed, in this order: preact, shortcut, main, se, se_scale, add, after."""
    if role in _SHORTCUT_ROLES or role == "add":
        return "shortcut" if role != "add" else "add"
    return next((part for prefix, part in _PREFIXES if role.startswith(prefix)), "main")


_PREFIXES = (
    ("preact_", "preact"),
    ("se_scale", "se_scale"),
    ("se_", "se"),
    ("eca_scale", "se_scale"),
    ("eca_", "se"),
    ("out_", "after"),
)


def _times(k: int, name: str) -> str:
    return name if k == 1 else f"{k} * {name}"


def _indent(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]


def g_role(g: nx.DiGraph, node: str) -> str:
    return g.nodes[node]["role"]
