"""The view model of a generated PyTorch file: everything the template prints, decided here.

The model class holds the ops outside any block (stem, head) as modules named by the IR, and one
``nn.Sequential`` per stage built by ``make_stage`` from the stage table (block class, input channels,
width, number of blocks, stride) — like torchvision's ``_make_layer``.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass

from archc.codegen import provenance
from archc.ir.graph import operands
from archc.pipeline import Compiled
from archc.reports.summary import summary

from .blocks import (
    PARAMS,
    Block,
    BlockClass,
    class_name,
    collect_blocks,
    group_classes,
    print_class,
)
from .exprs import EmitError, Resolver
from .scope import Item, Scope, write_forward

# Model class names by the family part of the spec name; anything else is CamelCased.
FAMILY_CLASS = {
    "resnet": "ResNet",
    "resnext": "ResNeXt",
    "wide_resnet": "WideResNet",
    "vgg": "VGG",
    "preact_resnet": "PreActResNet",
}
_RESERVED = {"torch", "nn", "F", "build_model", "make_stage"}


@dataclass
class ModelView:
    header: str
    title: str
    facts: str
    imports: list[str]
    blocks: list[BlockClass]
    stage_builder: bool
    class_name: str
    init: list[str]
    forward: list[str]
    num_classes: int
    constructor: str | None
    returns: str = "torch.Tensor"  # ``list[torch.Tensor]`` for a features_only model


def build_view(c: Compiled) -> ModelView:
    g, spec = c.graph, c.spec
    blocks = collect_blocks(g)
    classes = group_classes(blocks, class_name(getattr(spec, "block", "block")))
    for cls in classes:
        print_class(g, cls)
    printed = _with_containers(classes)
    init, forward = _model_body(c, blocks, classes)
    s = summary(c)
    cls_name = model_class_name(spec.name)
    if cls_name in {cls.name for cls in printed}:  # a spec named basic_block must not shadow BasicBlock
        cls_name += "Model"
    body = "\n".join(ln for cls in classes for ln in cls.init + cls.forward) + "\n".join(init + forward)
    return ModelView(
        header=provenance(c.loaded.source, c.loaded.sha256),
        title=_docline(f"{spec.name}: {spec.description}" if spec.description else spec.name),
        facts=f"Input {'×'.join(map(str, s['input_shape']))} · {s['params']:,} params · {s['macs']:,} MACs "
        f"(FLOPs = 2 × MACs) · depth {s['depth']}.",
        imports=_imports(body),
        blocks=printed,
        stage_builder=any("make_stage(" in ln for ln in init),
        class_name=cls_name,
        init=init,
        forward=forward,
        num_classes=spec.head.classes,
        returns="list[torch.Tensor]" if len(g.graph.get("outputs") or [1]) > 1 else "torch.Tensor",
        constructor=None if spec.name in _RESERVED or keyword.iskeyword(spec.name) else spec.name,
    )


def _with_containers(classes: list[BlockClass]) -> list[BlockClass]:
    """Container classes (``SqueezeExcitation``) first, once each, then the block classes."""
    subs: dict[str, BlockClass] = {}
    for cls in classes:
        for sub in cls.subs:
            other = subs.setdefault(sub.name, sub)
            if (other.init, other.forward) != (sub.init, sub.forward):
                raise EmitError(f"two different {sub.name} classes")
    return [*subs.values(), *classes]


def model_class_name(name: str) -> str:
    family = re.sub(r"[_\d]+(v\d+)?$", "", name) or name  # resnet50v2 → resnet
    if family in FAMILY_CLASS:
        return FAMILY_CLASS[family]
    return "".join(w.capitalize() for w in family.split("_")) or "Model"


def _docline(text: str) -> str:
    """One safe docstring line: no backslashes or triple quotes, no trailing quote."""
    text = " ".join(text.split()).replace("\\", "/").replace('"""', "'''")
    return text + "." if text.endswith('"') or not text.endswith(".") else text


def _imports(body: str) -> list[str]:
    lines = ["import torch"]
    if re.search(r"\bF\.", body):
        lines.append("import torch.nn.functional as F")
    return [*lines, "from torch import nn"]


def _model_body(c: Compiled, blocks: list[Block], classes: list[BlockClass]) -> tuple[list[str], list[str]]:
    g = c.graph
    order = {n: i for i, n in enumerate(g.nodes)}
    staged = {sc[1] for b in blocks for sc in [("stage", b.stage)]}
    own = [n for n, d in g.nodes(data=True) if d["scope"][0] != "input" and not _in_stages(d["scope"], staged)]
    scope = Scope(g, [own], [""], Resolver([{}], fixed=True), model=True)
    scope.resolve(None)
    _classifier_width(c, scope)
    mods = scope.modules()
    items = scope.items()
    placed = [(order[own[0]] if own else 0, [])]
    first_node = {}
    for node in own:
        ref = scope.ctx[scope.key(node)].ref
        if ref:
            first_node.setdefault(ref.removeprefix("self."), node)
    for attr, mod in mods.items():
        placed.append((order[first_node[attr]], mod.lines()))
    stage_of = {id(b): cls for cls in classes for b in cls.blocks}
    for s, info in enumerate(g.graph["stages"] if blocks else []):
        members = [b for b in blocks if b.stage == s]
        first, cls = members[0], stage_of[id(members[0])]
        stage_in = _stage_input(g, first)
        if all(stage_of[id(b)] is cls for b in members) and _fits_make_stage(members, cls, info):
            env = first.env
            args = f"{cls.name}, {env['in_channels']}, {env['width']}, blocks={len(members)}, stride={env['stride']}"
            lines = [f"self.{first.stage_attr} = make_stage({args})"]
        else:  # mixed block classes or strides (Keras V2: the stride on the last block): list the blocks
            lines = [f"self.{first.stage_attr} = nn.Sequential(", *_block_calls(members, stage_of), ")"]
        lines += _stage_extras(g, s, first.stage_attr, members)
        placed.append((order[first.nodes[0]], lines))
        items.append(Item([stage_in], info.output, False, lambda v, a=first.stage_attr: f"self.{a}({v[0]})"))
    init = [ln for _, lines in sorted(placed, key=lambda p: p[0]) for ln in lines]
    init += [f"self.{k} = {v}" for k, v in scope.stored.items()]
    items.sort(key=lambda it: order[it.output])
    outputs = tuple(g.graph.get("outputs") or [g.graph["output"]])
    lines, _, result = write_forward(items, g.graph["input"], outputs if len(outputs) > 1 else outputs[0], "x")
    return init, [*lines, f"return {result}"]


def _in_stages(scope: tuple, staged: set[int]) -> bool:
    return scope[0] == "stage" and scope[1] in staged


def _stage_extras(g, s: int, stage_attr: str, members: list[Block]) -> list[str]:
    """Ops of a stage outside its blocks (VGG's pool after the last block): children of the stage."""
    extras = [n for n, sc in g.nodes(data="scope") if sc[0] == "stage" and sc[1] == s and not isinstance(sc[2], int)]
    if not extras:
        return []
    if operands(g, extras[0]) != [members[-1].nodes[-1]] or g.graph["stages"][s].output != extras[-1]:
        raise EmitError(f"stage {stage_attr}: ops outside blocks must follow the last block")
    scope = Scope(g, [extras], [f"{stage_attr}."], Resolver([{}], fixed=True), model=True)
    scope.resolve(None)
    mods = scope.modules()
    if len(scope.items()) != len(extras) or any(not scope.ctx[scope.key(n)].ref for n in extras):
        raise EmitError(f"stage {stage_attr}: ops outside blocks must be modules")
    return [f"self.{stage_attr}.{ln.removeprefix('self.')}" for m in mods.values() for ln in m.lines()]


def _stage_input(g, block: Block) -> str:
    members = set(block.nodes)
    return next(p for n in block.nodes for p in g.pred[n] if p not in members)


def _fits_make_stage(members: list[Block], cls: BlockClass, info) -> bool:
    """``make_stage`` passes (in, width, stride) to block 0 and (width × expansion, width, 1) to the others."""
    if [b.index for b in members] != list(range(len(members))):
        raise EmitError(f"stage {info.name}: blocks are not numbered 0..n-1")
    width = members[0].env["width"]
    return all(b.env == {"in_channels": width * cls.expansion, "stride": 1, "width": width} for b in members[1:])


def _block_calls(members: list[Block], stage_of: dict) -> list[str]:
    """``    Bottleneck(256, 64, stride=2),`` per block, for a stage that ``make_stage`` cannot build."""
    calls = []
    for b in members:
        env = b.env
        stride = f", stride={env['stride']}" if env["stride"] != 1 else ""
        calls.append(f"    {stage_of[id(b)].name}({env['in_channels']}, {env['width']}{stride}),")
    return calls


def _classifier_width(c: Compiled, scope: Scope) -> None:
    """The last layer's output width prints as ``num_classes``."""
    out = c.graph.graph["output"]
    if out not in scope.members:
        return
    ctx = scope.ctx[scope.key(out)]
    for attr in ("out_features", "out_channels"):
        if attr in ctx.sizes and ctx.sizes[attr] == [str(c.spec.head.classes)]:
            ctx.sizes[attr] = ["num_classes"]


__all__ = ["ModelView", "build_view", "PARAMS"]
