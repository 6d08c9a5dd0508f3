"""The view model of a generated Keras file: every decision is taken here; the template only prints.

The IR is cut into segments of consecutive ops with the same scope. A block scope ``("stage", s, b)``
becomes a call of its kind's function (:mod:`archc.backends.keras.blocks`); runs of calls that differ only
in the block number become a ``for`` loop; the head is printed under ``if include_top:``; any other scope
(the stem, pools between stages, …) is printed inline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import networkx as nx
from archc.backends.keras.blocks import Instance, Kind, call_args, group_kinds
from archc.backends.keras.body import kind_body, statement
from archc.backends.keras.printers import GLOBAL_POOLS, Call, Unsupported, is_default, print_op
from archc.backends.keras.pycode import arguments, call_statement, fstring, literal

from archc.codegen import provenance
from archc.ir.graph import operands
from archc.ir.naming import keras_pool_name
from archc.pipeline import Compiled

# Words that keras.applications capitalises its own way (ResNet50, ResNeXt50, VGG16, …).
_WORDS = {"resnet": "ResNet", "resnext": "ResNeXt", "vgg": "VGG", "preact": "PreAct", "se": "SE", "v": "V"}


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
    kinds: list[dict] = field(default_factory=list)  # {fname, signature, body}
    body: list[str] = field(default_factory=list)  # model function, after the input
    head: list[str] = field(default_factory=list)  # under ``if include_top:``
    pools: list[dict] = field(default_factory=list)  # {mode, line} for include_top=False
    features: bool = False  # head.features_only: the model returns every stage's output


def _print_all(g: nx.DiGraph) -> tuple[dict[str, list[Call]], dict[str, str]]:
    """Every op's calls, inputs resolved through ops that print nothing (a flatten after a global pool)."""
    alias: dict[str, str] = {}
    out: dict[str, list[Call]] = {}
    for node, op in g.nodes(data="op"):
        if op == "input":
            continue
        calls = [replace(c, inputs=tuple(alias.get(v, v) for v in c.inputs)) for c in print_op(g, node)]
        if not calls:
            src = operands(g, node)[0]
            alias[node] = alias.get(src, src)
        out[node] = calls
    return out, alias


def _segments(g: nx.DiGraph) -> list[tuple[tuple, list[str]]]:
    segments: list[tuple[tuple, list[str]]] = []
    for node, data in g.nodes(data=True):
        if data["op"] == "input":
            continue
        if segments and segments[-1][0] == data["scope"]:
            segments[-1][1].append(node)
        else:
            segments.append((data["scope"], [node]))
    return segments


def _is_block(g: nx.DiGraph, scope: tuple) -> bool:
    """Residual blocks get a function per kind; a sequential layout (VGG) is printed inline, like
    keras.applications' VGG16."""
    if g.graph.get("layout") == "sequential":
        return False
    return scope[0] == "stage" and len(scope) == 3 and isinstance(scope[2], int)


def _instance(g: nx.DiGraph, scope: tuple, nodes: list[str], printed: dict, alias: dict) -> Instance:
    calls = [c for n in nodes for c in printed[n]]
    produced = {c.output for c in calls}
    sources = {v for c in calls for v in c.inputs if v not in produced}
    if len(sources) != 1:
        raise Unsupported(nodes[0], f"this block reads {len(sources)} outside values; the Keras backend expects 1")
    (source,) = sources
    last = alias.get(nodes[-1], nodes[-1])
    in_h, out_h = g.nodes[source.split("#")[0]]["shape"], g.nodes[nodes[-1]]["shape"]
    stride = -(-in_h[1] // out_h[1]) if len(in_h) == 3 and len(out_h) == 3 else 1
    variables = {"filters": g.graph["stages"][scope[1]].width, "stride": stride}
    main = [g.nodes[c.node]["main_path"] for c in calls]
    roles = [g.nodes[c.node]["role"] for c in calls]
    return Instance(scope, calls, source, last, main, roles, variables)


def _inline(g: nx.DiGraph, calls: list[Call], state: dict, indent: int) -> list[str]:
    """Straight-line statements on ``x`` (the model input is ``img_input``)."""
    lines = []
    for call in calls:
        ins = []
        for v in call.inputs:
            if v == g.graph["input"]:
                ins.append("img_input")
            elif v == state["x"]:
                ins.append("x")
            else:
                raise Unsupported(call.node, "a branch outside a block is not supported by the Keras backend")
        kwargs = tuple((k, v) for k, v in call.kwargs if not is_default(call.func, k, v))
        kwargs += (("name", call.name),) if call.name else ()
        lines += statement(call, arguments(call.args, kwargs), "x", ins, indent)
        state["x"] = call.output
        if call.output in state["taps"]:
            lines.append("features.append(x)")
    return lines


def _block_calls(g: nx.DiGraph, entries: list[tuple[Kind, Instance]], state: dict) -> list[str]:
    """Calls of consecutive blocks; a run that differs only in the block number becomes a loop."""
    lines, j = [], 0
    while j < len(entries):
        kind, inst = entries[j]
        if inst.input == g.graph["input"] and state["x"] != inst.input:
            lines.append("x = img_input")
        elif inst.input != state["x"]:
            raise Unsupported(inst.calls[0].node, "this block does not read the previous block's output")
        args = call_args(kind, inst)
        m = re.fullmatch(r"(.*\D)(\d+)", inst.name) if kind.uses_name else None
        k = j + 1
        while m and k < len(entries) and entries[k][0] is kind and call_args(kind, entries[k][1]) == args:
            if entries[k - 1][1].output in state["taps"]:  # a stage output of a features_only model
                break
            if entries[k][1].name != f"{m[1]}{int(m[2]) + k - j}":
                break
            k += 1
        if k - j >= 2:
            first = int(m[2])
            lines.append(f"for i in range({first}, {first + k - j}):")
            name = fstring(m[1], "i", "").text
            lines += ["    " + t for t in call_statement("x", kind.fname, ["x", *args, f"name={name}"], "", 2)]
        else:
            name = [f"name={literal(inst.name)}"] if kind.uses_name else []
            lines += call_statement("x", kind.fname, ["x", *args, *name], "", 1)
        state["x"] = entries[k - 1][1].output
        if state["x"] in state["taps"]:
            lines.append("features.append(x)")
        j = k
    return lines


def _items(g: nx.DiGraph, printed: dict, alias: dict) -> list[tuple[str, object]]:
    items: list[tuple[str, object]] = []
    for scope, nodes in _segments(g):
        if _is_block(g, scope):
            items.append(("block", _instance(g, scope, nodes, printed, alias)))
        elif scope[0] == "head":
            # ops before the head's pool (ResNetV2's post_bn, post_relu) belong to the feature extractor
            cut = next((i for i, n in enumerate(nodes) if g.nodes[n]["op"] in _TOP), len(nodes))
            items.append(("inline", [c for n in nodes[:cut] for c in printed[n]]))
            items.append(("head", [c for n in nodes[cut:] for c in printed[n]]))
        else:
            items.append(("inline", [c for n in nodes for c in printed[n]]))
    return items


_TOP = ("global_pool", "adaptive_pool", "flatten", "linear")  # the first op of the classifier top


def _bodies(g: nx.DiGraph, items: list, kind_of: dict, taps: set[str]) -> tuple[list[str], list[str]]:
    """The model body and the top; ``taps``: values collected in ``features`` (features_only models)."""
    state: dict = {"x": None, "taps": taps}
    body: list[str] = []
    head: list[str] = []
    j = 0
    while j < len(items):
        what, payload = items[j]
        if what == "block":
            k = j
            while k < len(items) and items[k][0] == "block":
                k += 1
            body += _block_calls(g, [(kind_of[id(inst)], inst) for _, inst in items[j:k]], state)
            j = k
            continue
        if what == "head":
            head += _inline(g, payload, state, 2)
        else:
            body += _inline(g, payload, state, 1)
        j += 1
    return body, head


def _comment(text: str) -> list[str]:
    return [line.strip().replace("\t", " ") for line in text.splitlines() if line.strip()]


def build_view(c: Compiled) -> FileView:
    g = c.graph
    printed, alias = _print_all(g)
    outputs = g.graph.get("outputs") or [g.graph["output"]]
    taps = {alias.get(n, n) for n in outputs} if len(outputs) > 1 else set()
    items = _items(g, printed, alias)
    kinds = group_kinds([p for what, p in items if what == "block"], getattr(c.spec, "block", "block"))
    kind_of = {id(inst): kind for kind in kinds for inst in kind.instances}
    body, head = _bodies(g, items, kind_of, taps)
    a = g.nodes[g.graph["input"]]["attrs"]
    view = FileView(
        provenance=provenance(c.loaded.source, c.loaded.sha256),
        comment=_comment(c.spec.description),
        constructor=constructor_name(c.spec.name),
        model_name=literal(c.spec.name),
        classes=literal(c.spec.head.classes),
        input_shape=literal((*a["size"], a["channels"])),
        any_shape=literal((None, None, a["channels"])),
        body=body,
        head=head,
        features=bool(taps),
    )
    for kind in kinds:
        params = ["x", *kind.params, *(["name"] if kind.uses_name else [])]
        view.kinds.append({"fname": kind.fname, "signature": ", ".join(params), "body": kind_body(kind)})
    for mode, cls in GLOBAL_POOLS.items():
        line = f"x = {cls}(name={literal(keras_pool_name(mode))})(x)"
        view.pools.append({"mode": literal(mode), "line": line})
    return view
