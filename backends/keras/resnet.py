"""The ResNet skeleton (ResNet, RegNet, VGG): the block model as keras.applications writes ResNets — block and stack
functions (:mod:`~archc.backends.keras.blocks`, :mod:`~archc.backends.keras.stacks`), one stack call per stage —
and the stem, stage pools, VGG's sequential layout and the head op by op.
"""

from __future__ import annotations

import networkx as nx
from archc.backends.keras.blocks import block_function, function_name
from archc.backends.keras.printers import GLOBAL_POOLS, Unsupported, print_op, render
from archc.backends.keras.pycode import Code, arguments, call_statement, literal
from archc.backends.keras.stacks import stack_function

from archc.ir.graph import operands
from archc.ir.naming import keras_pool_name
from archc.pipeline import Compiled

_TOP = ("global_pool", "adaptive_pool", "flatten", "linear")  # the first op of the classifier top


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
                self.blocks[d] = fn = block_function(g, d, [b for b in model.blocks if b.definition == d], fname)
                self.stacks[d] = stack_function(fn, [s for s in model.stages if s.blocks[0].definition == d])

    def inline(self, node: str, indent: int) -> list[str]:
        """An op's statements on ``x`` (the model input is ``img_input``); an op printed as nothing (a flatten
        after a global pool) passes its input on."""
        calls = print_op(self.g, node)
        if not calls:
            src = operands(self.g, node)[0]
            self.alias[node] = self.alias.get(src, src)
        lines = []
        for call in calls:
            inputs = [self.alias.get(v, v) for v in call.inputs]
            if len(inputs) != 1 or inputs[0] not in (self.x, self.g.graph["input"]):
                raise Unsupported(call.node, "a branch outside a block is not supported by the Keras backend")
            lines += render(call, "x", "img_input" if inputs[0] == self.g.graph["input"] else "x", indent)
            lines += self.tap(call.output)
        return lines

    def tap(self, node: str) -> list[str]:
        """``x`` is now ``node``'s output, kept where ``head.features_only`` returns it."""
        self.x = node
        return ["features.append(x)"] if node in self.taps else []

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
                args = arguments((Code("x"), b.planes), (*fn.args(b).items(), ("name", b.names["keras"])))
                lines += call_statement("x", fn.fname, args, "", 1)
        return lines + self.tap(stage.blocks[-1].nodes[-1])


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
            head += p.inline(node, 2)
        else:
            body += p.inline(node, 1)
    return body, head


def fill(c: Compiled, view) -> None:
    """The model function's body, head and no-top lines and the block and stack functions, into ``view``."""
    g = c.graph
    taps = set(g.graph.get("outputs") or [g.graph["output"]]) if c.spec.head.features_only else set()
    p = _Printer(g, taps)
    view.body, view.head = _bodies(g, p)
    view.functions = [f for d, fn in p.blocks.items() for f in (fn, p.stacks[d]) if f is not None]
    for mode, cls in GLOBAL_POOLS.items():
        view.no_top += [f"elif pooling == {literal(mode)}:", f"    x = {cls}(name={literal(keras_pool_name(mode))})(x)"]
