"""The view model of a generated Keras file (the template only prints): the block model as keras.applications
writes ResNets — block and stack functions (:mod:`~archc.backends.keras.blocks`, :mod:`~archc.backends.keras.stacks`),
one stack call per stage — and the stem, stage pools, VGG's sequential layout and the head op by op.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import networkx as nx
from archc.backends.keras.blocks import block_function, function_name
from archc.backends.keras.layer_sources import BLUR_POOL, LAYER_SCALE, STOCHASTIC_DEPTH
from archc.backends.keras.printers import CONV_INITIALIZER, GLOBAL_POOLS, Call, Unsupported, print_op, render
from archc.backends.keras.pycode import call_statement, literal
from archc.backends.keras.stacks import stack_function

from archc.codegen import provenance
from archc.ir import rules
from archc.ir.expr import Expr
from archc.ir.graph import operands
from archc.ir.naming import keras_pool_name
from archc.pipeline import Compiled

# Words that keras.applications capitalises its own way (ResNet50, ResNeXt50, VGG16, …).
_WORDS = {"resnet": "ResNet", "resnext": "ResNeXt", "vgg": "VGG", "preact": "PreAct", "se": "SE", "v": "V"}
_WORDS |= {"regnetx": "RegNetX", "regnety": "RegNetY", "seresnet": "SEResNet", "seresnext": "SEResNeXt"}
_WORDS |= {"ecaresnet": "ECAResNet", "ecaresnext": "ECAResNeXt", "ecaresnetlight": "ECAResNetLight"}
_WORDS |= {"convnext": "ConvNeXt", "xlarge": "XLarge"}
_TOP = ("global_pool", "adaptive_pool", "flatten", "linear")  # the first op of the classifier top


def constructor_name(spec_name: str) -> str:
    """``resnet50`` → ``ResNet50``, ``resnet50v2`` → ``ResNet50V2``, ``wide_resnet50_2`` → ``WideResNet50_2``."""
    out = ""
    for part in spec_name.split("_"):
        if out and part[:1].isdigit():
            out += "_"
        out += "".join(_WORDS.get(t, t.capitalize()) for t in re.findall(r"[a-z]+|[0-9]+", part))
    return out if out[:1].isalpha() else f"Model{out}"


@dataclass
class FileView:
    provenance: str
    comment: list[str]
    constructor: str
    model_name: str
    classes: str
    input_shape: str
    any_shape: str
    initializer: str | None = None  # the ``CONV_INITIALIZER`` line (``init: he_normal``)
    helpers: list[str] = field(default_factory=list)  # helper functions (SE rounding, ECA kernel size)
    imports: list[str] = field(default_factory=list)  # standard-library imports the helpers need
    functions: list[dict] = field(default_factory=list)  # {fname, signature, body}
    body: list[str] = field(default_factory=list)  # model function, after the input
    head: list[str] = field(default_factory=list)  # under ``if include_top:``
    no_top: list[str] = field(default_factory=list)  # after the ``if include_top:`` lines (``pooling``)
    features: bool = False  # head.features_only: the model returns every stage's output
    names_of: str = ""  # whose layer names: keras.applications("' ConvNeXt")
    third_party: list[str] = field(default_factory=list)  # imports beside keras (numpy)
    convnext: bool = False  # keras.applications' ConvNeXt constructor (``include_preprocessing``, its no-top norm)
    drop_path_rate: str = ""  # its ``drop_path_rate`` argument, where the spec sets one


class _Printer:
    """Walks the IR in order: inline ops on ``x``, one stack (or block) call per stage of blocks."""

    def __init__(self, g: nx.DiGraph, taps: set[str]):
        self.g, self.taps, self.x, self.alias = g, taps, None, {}
        model = g.graph["blocks"]
        self.blocks = {}  # definition → BlockFunction
        self.stacks = {}  # definition → StackFunction | None
        if model.layout != "sequential":
            taken: set[str] = set()
            for d in model.definitions:
                fname = function_name(d)
                if fname in taken and d.attention is not None:  # stages with and without SE / ECA
                    fname = f"{d.attention.kind}_{fname}"
                while fname in taken:
                    fname += "_variant"
                taken.add(fname)
                fn = block_function(g, d, [b for b in model.blocks if b.definition == d], fname)
                self.blocks[d] = fn
                self.stacks[d] = stack_function(fn, [s for s in model.stages if s.blocks[0].definition == d])

    def calls(self, node: str) -> list[Call]:
        calls = [replace(c, inputs=tuple(self.alias.get(v, v) for v in c.inputs)) for c in print_op(self.g, node)]
        if not calls:
            src = operands(self.g, node)[0]
            self.alias[node] = self.alias.get(src, src)
        return calls

    def inline(self, calls: list[Call], indent: int) -> list[str]:
        """Straight-line statements on ``x`` (the model input is ``img_input``)."""
        lines = []
        for call in calls:
            (src,) = call.inputs if len(call.inputs) == 1 else (None,)
            if src is None or src not in (self.x, self.g.graph["input"]):
                raise Unsupported(call.node, "a branch outside a block is not supported by the Keras backend")
            lines += render(call, "x", "img_input" if src == self.g.graph["input"] else "x", indent)
            self.x = call.output
            if call.output in self.taps:
                lines.append("features.append(x)")
        return lines

    def stage(self, stage) -> list[str]:
        """A stage's stack call, or explicit block calls where the stage does not fit its stack."""
        d = stage.blocks[0].definition
        fn, stack = self.blocks[d], self.stacks[d]
        first_input = [o for o in operands(self.g, stage.blocks[0].nodes[0]) if self.g.nodes[o]["block"] is None]
        lines = []
        if first_input and first_input[0] == self.g.graph["input"] and self.x != first_input[0]:
            lines.append("x = img_input")
        if stack is not None and stage in stack.stages:
            lines += stack.call(stage)
        else:
            for b in stage.blocks:
                args = ["x", literal(b.planes), *(f"{k}={literal(v)}" for k, v in fn.args(b).items())]
                lines += call_statement("x", fn.fname, [*args, f"name={literal(b.names['keras'])}"], "", 1)
        self.x = stage.blocks[-1].nodes[-1]
        if self.x in self.taps:
            lines.append("features.append(x)")
        return lines


def _bodies(g: nx.DiGraph, p: _Printer) -> tuple[list[str], list[str]]:
    """The model body and the classifier top."""
    model = g.graph["blocks"]
    body, head, top = [], [], False
    done: set[int] = set()
    for node, data in g.nodes(data=True):
        if data["op"] == "input":
            continue
        if data["block"] is not None and model.layout != "sequential":
            stage = model.block(data["block"]).stage
            if stage not in done:
                done.add(stage)
                body += p.stage(model.stages[stage])
            continue
        top = top or (data["scope"] == ("head",) and data["op"] in _TOP)
        if top:
            head += p.inline(p.calls(node), 2)
        else:
            body += p.inline(p.calls(node), 1)
    return body, head


def _comment(text: str) -> list[str]:
    return [line.strip().replace("\t", " ") for line in text.splitlines() if line.strip()]


def _called(definitions) -> set[str]:
    """The functions the expressions of the blocks' recipes call (``make_divisible``, ``eca_kernel_size``)."""

    def calls(e: Expr) -> set[str]:
        inner = {n for a in e.args if isinstance(a, Expr) for n in calls(a)}
        return inner | ({e.args[0]} if e.op == "call" else set())

    recipes = [d.recipe for d in definitions]
    values = [e for r in recipes for _, e in r.lets]
    values += [v for r in recipes for s in (*r.steps, *r.shortcut.projection) for v in vars(s).values()]
    return {n for v in values if isinstance(v, Expr) for n in calls(v)}


def initializer(g: nx.DiGraph) -> str | None:
    """The file's ``CONV_INITIALIZER`` line where the spec says ``init: he_normal`` (every layout's)."""
    if g.graph["blocks"].init != "he_normal":
        return None
    he = 'keras.initializers.VarianceScaling(scale=2.0, mode="fan_out", distribution="untruncated_normal")'
    return f"# init: he_normal (He et al. 2015): normal, std sqrt(2 / fan_out)\n{CONV_INITIALIZER} = {he}"


def build_view(c: Compiled) -> FileView:
    g = c.graph
    outputs = g.graph.get("outputs") or [g.graph["output"]]
    features = c.spec.head.features_only
    p = _Printer(g, set(outputs) if features else set())
    a = g.nodes[g.graph["input"]]["attrs"]
    view = FileView(
        provenance=provenance(c.loaded.source, c.loaded.sha256),
        comment=_comment(c.spec.description),
        constructor=constructor_name(c.spec.name),
        model_name=literal(c.spec.name),
        classes=literal(c.spec.head.classes),
        input_shape=literal((*a["size"], a["channels"])),
        any_shape=literal((None, None, a["channels"])),
        features=features,
        initializer=initializer(g),
    )
    view.body, view.head = _bodies(g, p)
    called = _called(g.graph["blocks"].definitions)  # the helpers the blocks' expressions call
    if "make_divisible" in called:
        view.helpers.append(rules.source("make_divisible"))
    if "eca_kernel_size" in called:
        view.helpers.append(rules.source("eca_kernel_size"))
        view.imports.append("import math")
    if any(op == "layer_scale" for _, op in g.nodes(data="op")):  # a user block's layer scale
        view.helpers.append(LAYER_SCALE)
    if any(d["op"] == "drop_path" and d["attrs"]["rate"] for _, d in g.nodes(data=True)):  # identity when 0
        view.helpers.append(STOCHASTIC_DEPTH)
    if any(op == "blurpool" for _, op in g.nodes(data="op")):
        view.helpers.append(BLUR_POOL)
        view.imports += ["import math"] * ("import math" not in view.imports)
    for d, fn in p.blocks.items():
        view.functions.append({"fname": fn.fname, "signature": fn.signature, "body": fn.body})
        if p.stacks[d] is not None:
            stack = p.stacks[d]
            view.functions.append({"fname": stack.fname, "signature": stack.signature, "body": stack.body()})
    for mode, cls in GLOBAL_POOLS.items():
        view.no_top += [f"elif pooling == {literal(mode)}:", f"    x = {cls}(name={literal(keras_pool_name(mode))})(x)"]
    return view
