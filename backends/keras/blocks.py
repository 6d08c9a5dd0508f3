"""Block functions: one generated Keras function per block definition, printed from its recipe.

keras.applications writes ``residual_block_v1(x, filters, stride=1, conv_shortcut=True, name=None)``. The body
walks the definition's recipe (:mod:`archc.ir.recipe`), the shortcut where its ``branch`` step is (keras.applications
computes it first); widths are the recipe's expressions (``4 * filters``). What varies between the blocks of a
definition (:data:`_VARYING`) is a parameter, the rest literals. Layer names are the IR's keras names
(``f"{name}_1_conv"``); padding is the op printers' rule (:func:`archc.backends.keras.printers.windowed`). A user
block (``blocks:``) prints the same way as ``{kind}_block(x, filters, …)``; ConvNeXt's differs by a :class:`Layout`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import networkx as nx
from archc.backends.keras import printers
from archc.backends.keras.printers import ACTIVATIONS, Call, Unsupported, conv_kwargs, norm_layer, render
from archc.backends.keras.pycode import Code, call_statement, fstring, literal
from archc.backends.pyformat import indented

from archc.ir.blocks import UNITS, Block, BlockDef
from archc.ir.expr import Expr, simplify, var
from archc.ir.naming import pad_name
from archc.ir.recipe import ECA, Act, Add, AntiAlias, Branch, Conv, DropPath, LayerScale, Norm, Pool, SqueezeExcite

# What may vary between the blocks of one definition: parameter, its value for a block, its default.
_VARYING = (
    ("stride", lambda b: b.stride, 1),
    ("first_dilation", lambda b: b.first_dilation, 1),
    ("dilation", lambda b: b.dilation, 1),
    ("conv_shortcut", lambda b: b.projects, None),  # default: the function's (v1 True, v2 False)
    ("pad_channels", lambda b: sum(b.pad), 0),
    ("group_width", lambda b: b.group_width, 1),
    ("drop_path_rate", lambda b: b.drop_path, 0.0),  # the spec's drop_path_rate, rising over the blocks
)
_UNIT_WORDS = {"original": "v1", "full_preactivation": "v2"}  # keras.applications' ResNet and ResNetV2


@dataclass(frozen=True)
class Layout:
    """What differs between keras.applications' ResNet block functions and its ``ConvNeXtBlock``: the width
    parameter, what ``in`` is (read from ``x``, or the width: a ConvNeXt block keeps it), the layer names (the
    IR's, or role → suffix), the addition (an ``Add`` layer, or ``return shortcut + x``), named widths on lines
    of their own or inline, and the name of a ``StochasticDepth`` where it differs from its identity's."""

    width: str = "filters"
    inputs: str = "in_channels"
    suffixes: dict | None = None
    add_operator: bool = False
    inline_lets: bool = False
    stochastic_depth: str | None = None


RESNET = Layout()


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
    """``residual_block_v1`` (bottleneck, original unit), ``basic_residual_block_v2``, ``plain_block_v1``; a user
    block (``blocks:``) its name: ``inverted_block``."""
    if d.custom is not None:
        return f"{d.kind}_block"
    kind = {"bottleneck": "residual_block", "basic": "basic_residual_block", "single": "conv_residual_block"}
    if d.shortcut == "none":
        kind = {"bottleneck": "plain_bottleneck_block", "basic": "plain_block", "single": "plain_conv_block"}
    unit = d.unit_name or "custom_unit"
    return f"{kind[d.kind]}_{_UNIT_WORDS.get(unit, unit)}"


def block_function(g: nx.DiGraph, d: BlockDef, blocks: list[Block], fname: str, layout=RESNET) -> BlockFunction:
    recipe = d.recipe
    used = {c.dilation for c in recipe.convs()} | {"stride", "conv_shortcut", "pad_channels"}
    used |= {"group_width"} if "group_width" in recipe.params else set()
    used |= {"drop_path_rate"} if any(isinstance(s, DropPath) and not s.rate for s in recipe.steps) else set()
    rename = {"first_dilation": "dilation"} if "dilation" not in used else {}  # a bottleneck's only 3x3
    params, varying, values = [], {}, {}
    for field, get, default in _VARYING:
        if field not in used:
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
    bind = {"planes": layout.width, "in": layout.inputs, **d.constants()}
    if "group_width" in values:
        gw = values["group_width"]
        bind["group_width"] = gw.text if isinstance(gw, Code) else gw
    if {"groups", "base_width"} & set(recipe.params) and (d.groups, d.base_width) != (1, 64):
        params += [("groups", d.groups), ("base_width", d.base_width)]
        bind |= {"groups": "groups", "base_width": "base_width"}
    if "reduction" in recipe.params:
        params.append(("se_reduction", d.attention.reduction))
        bind["reduction"] = "se_reduction"
    fn = BlockFunction(fname, params, varying, [])
    fn.body = _Body(g, d, blocks, values, bind, layout).lines()
    return fn


class _Body:
    """The statements of a block function, walking its definition's recipe."""

    def __init__(self, g: nx.DiGraph, d: BlockDef, blocks: list[Block], values: dict, bind: dict, layout: Layout):
        self.d, self.values, self.blocks, self.bind, self.layout = d, values, blocks, bind, layout
        self.he = g.graph["blocks"].init == "he_normal"
        self.explicit = g.graph.get("explicit_padding", False)  # the spec's defaults.explicit_padding
        self.names: dict[str, str] = dict(layout.suffixes or {})  # role → the name after the block's (``_1_conv``)
        for b in sorted(blocks, key=lambda b: not b.residual) * (layout.suffixes is None):  # an adding block first
            for node in b.nodes:
                self.names.setdefault(g.nodes[node]["role"], g.nodes[node]["names"]["keras"][len(b.names["keras"]) :])
        # ``shortcut: identity``: whether a block adds (True, False, or the test printed where only some do), and
        # then the role of the op that ends a block that does not add (it is ``{name}_out`` there)
        self.residual = _condition([b.residual for b in blocks], "residual")
        outputs = g.graph["block_outputs"]
        ends = [g.nodes[n]["role"] for b in blocks if not b.residual for n in b.nodes if n in outputs]
        self.ends = ends[0] if ends and isinstance(self.residual, str) else None

    def text(self, e: Expr) -> Code | int:
        """An expression of the block's parameters as Python source (a number as an ``int``)."""
        text = simplify(e, self.bind).text()
        return int(text) if text.isdigit() else Code(text)

    def name(self, role: str, suffix=lambda n: n) -> Code:
        """The layer name of ``role`` (``f"{name}_1_conv"``); where it ends the blocks that do not add, those
        blocks' ``{name}_out``."""
        if role not in self.names:
            raise Unsupported(self.blocks[0].nodes[0], f"no keras name for the role {role!r}")
        named = fstring("", "name", suffix(self.names[role]))
        if role == self.ends and self.names[role] != "_out" and suffix(role) == role:
            return Code(f"{named.text} if residual else {fstring('', 'name', '_out').text}")
        return named

    def lines(self) -> list[str]:
        out, steps = [], self.d.recipe.steps
        early = [s for s in steps if isinstance(s, SqueezeExcite | LayerScale) and self._channels(s) == var("in")]
        reads_in = ("in" in self.d.recipe.params or early) and self.layout.inputs == "in_channels"
        if reads_in or isinstance(self.residual, str):  # (early: an SE before any conv)
            out.append("in_channels = x.shape[-1]")
        for name, e in self.d.recipe.lets:  # named widths: a line of their own unless a parameter or number
            e = simplify(e, self.bind)
            printed = not (name == "out" or e.op in ("var", "num") or self.layout.inline_lets)
            out += [f"{name} = {e.text()}"] * printed
            self.bind[name] = name if printed else e
        if isinstance(self.residual, str):  # keras.applications MobileNetV2: add where the block keeps its shape
            test = ["stride == 1"] * isinstance(self.values["stride"], Code)
            test += [f"in_channels == {literal(self.text(var('out')))}"]
            out.append(f"residual = {' and '.join(test)}  # the identity shortcut, where the block keeps its shape")
        # a branch after the first step keeps the pre-activation (``preact``) for the projection
        main, source = "preact" if any(isinstance(s, Branch) for s in steps[1:]) else "x", "x"
        for step in steps:
            if isinstance(step, Branch):  # no shortcut where no block of this definition adds
                out += self.shortcut(source) if self.residual is not False else []
                source, main = main, "x"
                continue
            if isinstance(step, Add) and self.residual is False:
                continue
            out += self.step(step, source, main)
            source = main
        return out if out[-1].startswith("return ") else [*out, "return x"]

    def step(self, step, src: str, target: str) -> list[str]:
        """A step's statements, ``target = …(src)``: the method named after the step's kind (``conv_step`` …)."""
        printer = getattr(self, f"{step.kind}_step", None)
        if printer is None:
            raise Unsupported(self.blocks[0].nodes[0], f"the Keras backend has no printer for a {step.kind} step")
        return printer(step, src, target)

    def layer(self, call, target: str, src: str, role: str, indent: int = 1, suffix=lambda n: n) -> list[str]:
        """``target = call(src)``, named after the step's ``role``."""
        return render(call, target, src, indent, self.name(role, suffix))

    def act_step(self, step: Act, src: str, target: str) -> list[str]:
        return self.layer(Call("layers.Activation", (ACTIVATIONS[step.fn],), ()), target, src, step.role)

    def layer_scale_step(self, step: LayerScale, src: str, target: str) -> list[str]:
        """The file's own LayerScale (keras.applications' ConvNeXt)."""
        call = Call("LayerScale", (step.init, self.text(self._channels(step))), ())
        return self.layer(call, target, src, step.role)

    def add_step(self, step: Add, src: str, target: str) -> list[str]:
        """An ``Add`` layer (``if residual:`` where only some blocks add), or ConvNeXtBlock's ``shortcut + x``."""
        if self.layout.add_operator:
            return ["return shortcut + x"]
        add = Call("layers.Add", (), ())
        add = self.layer(add, target, "[shortcut, x]", step.role, 1 + (self.residual is not True))
        return add if self.residual is True else _switch("residual", add)

    def drop_path_step(self, step: DropPath, src: str, target: str) -> list[str]:
        """Stochastic depth, identity in inference: the file's ``StochasticDepth`` at a rate above 0, else
        keras.applications' ConvNeXt identity, ``Activation("linear")``; a rate that differs between the blocks
        is the parameter ``drop_path_rate`` (the spec's ``drop_path_rate``, rising over the blocks)."""
        rate = step.rate or self.values.get("drop_path_rate", 0.0)
        indent = 1 + isinstance(rate, Code)
        drop = Call("StochasticDepth", (rate,), ())
        drop = self.layer(drop, target, src, self.layout.stochastic_depth or step.role, indent)
        identity = self.layer(Call("layers.Activation", ("linear",), ()), target, src, step.role, indent)
        if isinstance(rate, Code):
            return _switch("drop_path_rate", drop, identity)
        return drop if rate else identity

    def aa_step(self, step: AntiAlias, src: str, target: str) -> list[str]:
        """timm's ``aa`` where the block strides: ``blur_pool`` (reflect padding, a fixed depthwise binomial
        filter) or an average pool of window = stride (``nn.AvgPool2d(stride)``)."""
        stride, move = self.values["stride"], [] if src == target else [f"{target} = {src}"]
        if stride == 1:  # no block of this definition strides: timm's nn.Identity
            return move
        filt = (("filt_size", step.filt_size),)
        call = (
            Call("blur_pool", (), (("stride", stride), *filt))
            if step.mode == "blur"
            else Call("layers.AveragePooling2D", (stride,), (("strides", stride),))
        )
        if not isinstance(stride, Code):
            return self.layer(call, target, src, step.role)
        return move + _switch("stride > 1", self.layer(call, target, target, step.role, 2))

    def conv_step(self, step: Conv, src: str, target: str, indent: int = 1) -> list[str]:
        v, k = self.values, step.kernel
        if step.linear:  # a Dense on the channels (archc check refuses a linear step that strides or groups)
            call = Call("layers.Dense", (self.text(step.width),), (("use_bias", step.bias),))
            return self.layer(call, target, src, step.role, indent)
        for b in self.blocks:  # a stage dilated by its row whose first block strides (torchvision's layer4 at OS 16)
            if step.stride and step.dilation and b.stride > 1 and getattr(b, step.dilation) > 1:
                raise Unsupported(f"{b.id}.{step.role}", "Keras convolutions cannot combine a stride with a dilation")
        stride = v["stride"] if step.stride else 1
        dilation = v[step.dilation] if step.dilation else 1
        p = _times(k // 2, dilation)  # the symmetric padding
        kwargs = conv_kwargs(self.he, stride, dilation, self.text(step.groups), None, step.bias)
        call = Call("layers.Conv2D", (self.text(step.width), k), kwargs)
        *pad, call = printers.windowed((p,) * 4, stride == 1, not self.explicit, call)
        lines = [line for c in pad for line in self.layer(c, target, src, step.role, indent, pad_name)]
        return lines + self.layer(call, target, target if pad else src, step.role, indent)

    def norm_step(self, step: Norm, src: str, target: str, indent: int = 1) -> list[str]:
        n = step.norm
        call = norm_layer(n.kind, n.eps, n.momentum, n.groups, step.zero_init)
        return self.layer(call, target, src, step.role, indent)

    def se_step(self, step: SqueezeExcite, src: str, target: str) -> list[str]:
        """Global average pool → 1x1 conv (hidden) → ReLU → 1x1 conv back → sigmoid → ``Multiply``."""
        return self.gate(src, target, "se", [
            (Call("layers.Conv2D", (self.text(step.hidden), 1), ()), "se_reduce", None),
            (Call("layers.Activation", ("relu",), ()), "se_act", None),
            (Call("layers.Conv2D", (self.text(self._channels(step)), 1), ()), "se_expand", None),
        ])  # fmt: skip

    def eca_step(self, step: ECA, src: str, target: str) -> list[str]:
        """ECA: pool to ``(N, 1, 1, C)`` → ``(N, C, 1)`` → Conv1D across the channels → back → sigmoid →
        scale."""
        conv = Call("layers.Conv1D", (1, self.text(step.kernel)), (("padding", "same"), ("use_bias", False)))
        return self.gate(src, target, "eca", [
            (Call("layers.Reshape", ((-1, 1),), ()), "eca_conv", "_reshape"),
            (conv, "eca_conv", None),
            (Call("layers.Reshape", ((1, 1, -1),), ()), "eca_conv", "_restore"),
        ])  # fmt: skip

    def gate(self, src: str, target: str, kind: str, layers: list) -> list[str]:
        """SE and ECA: ``se`` = pool of ``src`` → ``layers`` (call, role, name suffix) → sigmoid, then
        ``target = Multiply([src, se])``; the pool, gate and scale are named ``{kind}_pool`` … ``{kind}_scale``."""
        out = self.layer(Call("layers.GlobalAveragePooling2D", (), (("keepdims", True),)), "se", src, f"{kind}_pool")
        for call, role, suffix in layers:
            out += self.layer(call, "se", "se", role, 1, lambda n, s=suffix: n + (s or ""))
        out += self.layer(Call("layers.Activation", ("sigmoid",), ()), "se", "se", f"{kind}_gate")
        return out + self.layer(Call("layers.Multiply", (), ()), target, f"[{src}, se]", f"{kind}_scale")

    def _channels(self, step) -> Expr:
        steps = self.d.recipe.steps
        convs = [s for s in steps[: steps.index(step)] if isinstance(s, Conv)]
        return convs[-1].width if convs else var("in")

    def shortcut(self, preact: str) -> list[str]:
        """The shortcut: a projection, an identity (subsampled, zero-padded) or a ``conv_shortcut`` switch."""
        rule, v = self.d.recipe.shortcut, self.values  # (a recipe branches only where its blocks may add)
        proj = [b for b in self.blocks if b.projects]
        ident = [b for b in self.blocks if not b.projects]
        strided = _condition([b.subsample > 1 for b in ident], "stride > 1")
        padded = _condition([sum(b.pad) > 0 for b in ident], "pad_channels")
        pool = _condition([b.stride > 1 for b in proj], "stride > 1")
        projection = [(s, pool if isinstance(s, Pool) else True) for s in rule.projection]
        identity = [("subsample", strided), ("pad", padded)]
        projects = v.get("conv_shortcut", False)
        if not isinstance(projects, Code):
            return self.chain(projection if projects else identity, preact if projects else "x", 1)
        project = _switch("conv_shortcut", self.chain(projection, preact, 2))
        if [c for _, c in identity if c] == [strided] and isinstance(strided, str):  # keras ResNetV2's form
            elif_ = _switch(strided, self.shortcut_op("subsample", "x", 2), ["shortcut = x"])
            return [*project, "el" + elif_[0], *elif_[1:]]
        return [*project, "else:", *indented(self.chain(identity, "x", 2))]

    def chain(self, ops: list, source: str, indent: int) -> list[str]:
        """Shortcut ops applied in turn to ``source``; a condition that is a string becomes an ``if``."""
        ops = [(op, cond) for op, cond in ops if cond]
        if not ops:
            return [f"shortcut = {source}"]
        lines = [] if ops[0][1] is True else [f"shortcut = {source}"]
        for i, (op, cond) in enumerate(ops):
            src = source if i == 0 and cond is True else "shortcut"
            stmt = self.shortcut_op(op, src, indent + (cond is not True))
            lines += stmt if cond is True else _switch(cond, stmt)
        return lines

    def shortcut_op(self, op, src: str, indent: int) -> list[str]:
        v = self.values
        if isinstance(op, Conv) and op.kernel > 1 and op.stride:  # k×k where it strides, 1x1 where not (timm)
            stride, one = v["stride"], replace(op, kernel=1)
            if not isinstance(stride, Code):
                return self.conv_step(op if stride > 1 else one, src, "shortcut", indent)
            return _switch("stride > 1", *(self.conv_step(o, src, "shortcut", indent + 1) for o in (op, one)))
        if isinstance(op, Conv | Norm):
            return getattr(self, f"{op.kind}_step")(op, src, "shortcut", indent)
        if isinstance(op, Pool):
            s = v["stride"]
            call = Call("layers.AveragePooling2D", (s,), (("strides", s), ("padding", "same")))
        elif op == "subsample":
            call = Call("layers.MaxPooling2D", (1,), (("strides", v["stride"]),))
        else:  # option A: zero channels, half before and half after
            p = v["pad_channels"]
            half = Code(f"{p.text} // 2") if isinstance(p, Code) else p // 2
            rest = Code(f"{p.text} - {p.text} // 2") if isinstance(p, Code) else p - p // 2
            widths = ((0, 0), (0, 0), (0, 0), (half, rest))
            return call_statement("shortcut", "keras.ops.pad", [src, literal(widths)], "", indent)
        return self.layer(call, "shortcut", src, op.role if isinstance(op, Pool) else op, indent)


def _condition(present: list[bool], test: str):
    """An op present in every block (True), in none (False) or in some: the test that says where."""
    return all(present) if all(present) or not any(present) else test


def _times(k: int, d):
    """``k * d``, ``d`` a number or a parameter (:class:`Code`)."""
    if isinstance(d, Code) and k:
        return d if k == 1 else Code(f"{k} * {d.text}")
    return k * d if k else 0


def _switch(test: str, then: list[str], orelse: list[str] = ()) -> list[str]:
    """``if test:`` … (``else:`` …): where the blocks of a definition differ, the function decides."""
    return [f"if {test}:", *indented(then), *(["else:", *indented(orelse)] if orelse else [])]
