"""Stack functions: a stage as keras.applications' ``stack_residual_blocks_v1(x, filters, blocks, stride1=2,
name=None)`` builds it — a first call, a loop over identical calls and (ResNetV2: the last block strides) a last
call. What a position passes and differs between stages becomes a stack parameter (``stride1``,
``conv_shortcut``, ``pad_channels``, ``dilation``; RegNet's ``group_width``, one value per stage), the rest
literals. Stages that do not fit (one block where the last call differs; a parameter differing at two positions
within a stage) are printed as explicit block calls.

A stack parameter's default is a rule, not the stages' majority: ``stride1`` defaults to the largest stride
(keras.applications' ``stride1=2``: a stage halves the map), ``group_width`` has none (every stage's call shows
its own), any other parameter defaults to the block function's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from archc.backends.keras.blocks import BlockFunction
from archc.backends.keras.pycode import Code, arguments, call_statement, fstring, literal

from archc.ir.blocks import StagePlan

POSITIONS = ("first", "middle", "last")
REQUIRED = Code("")  # a stack parameter without a default: every stage passes it


def _default(param: str, seen: list, block_default):
    """A stack parameter's default (see the module docstring); ``seen``: the stages' values."""
    if param == "stride":
        return max(seen)
    return REQUIRED if param == "group_width" else block_default


@dataclass
class StackFunction:
    fname: str
    block: BlockFunction
    params: list[tuple[str, object]] = field(default_factory=list)  # (parameter, default)
    calls: dict = field(default_factory=dict)  # position → {block parameter: value, or Code(stack parameter)}
    stages: list[StagePlan] = field(default_factory=list)  # the stages it builds

    @property
    def signature(self) -> str:
        required = [p for p, v in self.params if v is REQUIRED]  # before the parameters with a default
        params = required + [f"{p}={literal(v)}" for p, v in self.params if v is not REQUIRED]
        return ", ".join(["x", "filters", "blocks", *params, "name=None"])

    @property
    def body(self) -> list[str]:
        lines = self._call("first", fstring("", "name", "_block1"), 1)
        if "middle" in self.calls:  # a loop over the middle blocks
            end = "blocks" if "last" in self.calls else "blocks + 1"
            lines.append(f"for i in range(2, {end}):")
            lines += ["    " + t for t in self._call("middle", Code('f"{name}_block{i}"'), 2)]
        if "last" in self.calls:  # a last call of its own
            lines += self._call("last", Code('f"{name}_block{blocks}"'), 1)
        return [*lines, "return x"]

    def _call(self, position: str, name: Code, indent: int) -> list[str]:
        args = arguments((Code("x"), Code("filters")), (*self.calls[position].items(), ("name", name)))
        return call_statement("x", self.block.fname, args, "", indent)

    def call(self, stage: StagePlan) -> list[str]:
        """The model's line that builds ``stage``."""
        values = self._values(stage)
        kwargs = [(p, values[p]) for p, d in self.params if d is REQUIRED or values.get(p, d) != d]
        args = arguments((Code("x"), stage.planes, len(stage.blocks)), (*kwargs, ("name", stage.name)))
        return call_statement("x", self.fname, args, "", 1)

    def _values(self, stage: StagePlan) -> dict:
        out = {}
        for position, calls in _positions(stage, self.block, "last" in self.calls).items():
            for k, v in calls[0].items():
                if isinstance(slot := self.calls[position].get(k), Code):
                    out[slot.text] = v
        return out


def _positions(stage: StagePlan, fn: BlockFunction, tail: bool) -> dict[str, list[dict]]:
    """The call arguments of a stage's blocks by position (every block parameter, defaults included)."""
    calls = [{p: get(b) for p, get in fn.varying.items()} for b in stage.blocks]
    out = {"first": calls[:1], "middle": calls[1 : len(calls) - tail]}
    if tail:
        out["last"] = calls[-1:]
    return {k: v for k, v in out.items() if v}


def _fits(stage: StagePlan, fn: BlockFunction, tail: bool) -> bool:
    if tail and len(stage.blocks) < 2:
        return False
    middle = _positions(stage, fn, tail).get("middle", [])
    return all(c == middle[0] for c in middle)


def stack_function(fn: BlockFunction, stages: list[StagePlan]) -> StackFunction | None:
    """The stack function of ``fn``'s stages, or None when no stage fits a stack layout."""
    tail = not all(_fits(s, fn, False) for s in stages)
    fitting = [s for s in stages if _fits(s, fn, tail)]
    if not fitting:
        return None
    per_position: dict[str, list[dict]] = {p: [] for p in POSITIONS}
    for stage in fitting:
        for position, calls in _positions(stage, fn, tail).items():
            per_position[position].append(calls[0])
    stack = StackFunction("stack_" + fn.fname.replace("_block", "_blocks", 1), fn, stages=fitting)
    defaults = dict(fn.params)
    # A parameter differing between stages at two positions is one stack parameter when each stage passes one
    # value to all its blocks (RegNet's group width); otherwise the stages are explicit block calls.
    per_stage = {k for k in fn.varying if sum(len({c[k] for c in per_position[p]}) > 1 for p in POSITIONS) > 1}
    if any(len({fn.varying[k](b) for b in s.blocks}) > 1 for s in fitting for k in per_stage):
        return None
    for k in sorted(per_stage):
        stack.params.append((k, _default(k, [fn.varying[k](s.blocks[0]) for s in fitting], defaults[k])))
    for position in (p for p in POSITIONS if per_position[p]):
        calls = stack.calls[position] = {}
        for k in fn.varying:
            seen = [c[k] for c in per_position[position]]
            if k in per_stage:
                calls[k] = Code(k)
            elif len(set(seen)) > 1:
                name = "stride1" if k == "stride" else k  # keras.applications' name for the stage's stride
                stack.params.append((name, _default(k, seen, defaults[k])))
                calls[k] = Code(name)
            elif seen[0] != defaults[k]:
                calls[k] = seen[0]
    return stack
