"""RegNet as torchvision's and timm's ``regnet.py`` lay it out (``family: regnet``), printed from the recipe.

The module names are the IR's (:func:`archc.ir.layouts.model_layout`): torchvision's ``stem.0``,
``trunk_output.blockN.blockN-k`` with ``proj`` and ``f.a`` / ``f.b`` / ``f.se`` / ``f.c``, ``fc``; timm's
``stem.conv``, ``sN.bK.conv1.conv`` / ``.bn``, ``se``, ``downsample``, ``head.fc``. The block class is the
blocks' writer's walk of its definition's recipe (:mod:`.blocks`), each conv with the norm and activation after
it one unit (torchvision: an ``nn.Sequential`` in ``f``; timm: a ``ConvNormAct``), SE where its step is; widths
and SE sizes are the recipe's expressions of ``width_in`` / ``width_out`` / ``group_width``. The initialisation
is the layout's scheme (:mod:`archc.ir.inits`), so one seed gives the library's weights.
"""

from __future__ import annotations

from itertools import groupby

from archc.ir.layouts import ModelLayout
from archc.ir.recipe import Act, Conv, Norm, NormSpec
from archc.ir.regnet_names import block_attr

from .blocks import grouped, layout_block
from .printers import EmitError, conv2d, norm_layer, pair, printer
from .pycode import ClassView, block_view, model_view, ordered, reflow, wrap
from .shared import init_weights


def model_classes(c) -> tuple[list[ClassView], str]:
    """The model's one block class and the ``RegNet`` class, whose stages ``_make_stage`` builds."""
    g, model, layout = c.graph, c.graph.graph["blocks"], c.graph.graph["model_layout"]
    name, init, forward = _block(layout, model)
    doc = f"RegNet's residual bottleneck block, as {layout.profile}'s regnet.py writes it."
    signature = ["width_in: int", "width_out: int", "stride: int = 1", "group_width: int = 1"]
    init_lines, make_stage, model_forward = _model_body(layout, model, g, name)
    model_class = model_view(c, "RegNet", init_lines, model_forward, [make_stage])
    return [block_view(name, doc, signature, init, forward), model_class], "RegNet"


def _block(layout: ModelLayout, model) -> tuple[str, list[str], list[str]]:
    """(class name, ``__init__`` lines, ``forward`` lines) of the model's one RegNet block: the blocks' writer
    walks its recipe (:func:`.blocks.layout_block`), a conv with the norm and activation after it one module."""
    if len(model.definitions) != 1:
        raise EmitError("a RegNet layout with more than one block definition", ("stages",))
    d, tv = model.definitions[0], layout.profile == "torchvision"
    if d.recipe.shortcut.kind != "B":  # the libraries' blocks add a projection where the shape changes, else x
        message = f"a RegNet block with shortcut {d.recipe.shortcut.kind} (torchvision's and timm's are option B)"
        raise EmitError(message, ("shortcut",))
    projection = _projection(d.recipe.shortcut, tv)
    if any(b.stride != 1 for stage in model.stages for b in stage.blocks[1:]):  # _make_stage: stride if i == 0
        raise EmitError("a RegNet stage that strides in a block other than its first", ("stride_block",))
    kinds = [s.kind for s in d.recipe.steps]  # forward ends ``act(x + shortcut)``
    if kinds[kinds.index("add") + 1 :] != ["act"]:
        raise EmitError("a RegNet block without one activation after the addition (unit after_add)", ("unit",))
    roles = {"se_scale" if s.role == "se" else s.role for s in (*d.recipe.steps, *d.recipe.shortcut.projection)
             if hasattr(s, "role")}  # fmt: skip
    attr = {r: block_attr(layout.profile, r, roles) for r in roles}
    names = {r: attr[f"conv{r[-1]}"].rsplit(".", 1)[0] if r[:-1] in ("conv", "bn", "act") else a
             for r, a in attr.items()}  # fmt: skip
    bind = {"in": "width_in", "planes": "width_out", "group_width": "group_width"}
    writer = layout_block(d, names, False, layout.profile, bind)
    writer.lines()
    cin, modules = "width_in", []
    for name, u in groupby(writer.trace, key=lambda e: e[2]):  # the writer's modules of one attribute: a unit
        parts = [(s, t) for s, t, _ in u]
        modules.append((name, _module(parts, cin, tv, writer.text)))
        cin = writer.text(parts[0][0].width) if isinstance(parts[0][0], Conv) else cin
    body, act = grouped([f"self.{n} = {m}" for n, m in modules]), modules[-1][0]  # torchvision's f: a, b, se, c
    down = attr["down_conv"].rsplit(".", 1)[0]
    proj = ["if width_in != width_out or stride != 1:", f"    self.{down} = {projection}"]
    if tv:  # torchvision: proj, then f, then the activation
        init = ["self.proj = None", *proj, *body]
        forward = ["if self.proj is not None:", "    x = self.proj(x) + self.f(x)", "else:", "    x = x + self.f(x)",
                   f"return self.{act}(x)"]  # fmt: skip
    else:  # timm: conv1, conv2, se, conv3, act3, downsample
        init = [*body, f"self.{down} = None", *proj]
        forward = ["shortcut = x", *(f"x = self.{n}(x)" for n, _ in modules[:-1]), f"if self.{down} is not None:",
                   f"    shortcut = self.{down}(shortcut)", f"return self.{act}(x + shortcut)"]  # fmt: skip
    return "ResBottleneckBlock" if tv else "Bottleneck", init, forward


def _module(parts: list[tuple], cin: str, tv: bool, text) -> str:
    """One unit's module: SE or the activation after the addition as the writer prints it; a conv with its norm
    and activation ``nn.Sequential(conv, norm, act)`` (torchvision) or ``ConvNormAct`` (timm)."""
    step, after = parts[0][0], [s for s, _ in parts[1:]]
    if not isinstance(step, Conv):
        return parts[0][1]
    if tv:
        return f"nn.Sequential({', '.join(t for _, t in parts)})"
    if any(isinstance(s, Norm) and s.norm != NormSpec("batchnorm") for s in after):
        raise EmitError("timm's RegNet layout prints BatchNorm2d with PyTorch's defaults only", ("defaults", "norm"))
    act = "" if any(isinstance(s, Act) for s in after) else ", apply_act=False"
    groups = text(step.groups)
    grp = f", groups={groups}" if groups != "1" else ""
    return f"ConvNormAct({cin}, {text(step.width)}, {step.kernel}{', stride' * step.stride}{grp}{act})"


def _projection(rule, tv: bool) -> str:
    """The projection shortcut from the recipe's projection steps (conv 1x1 with the stride, norm)."""
    conv, norm = (*rule.projection, None)[:2]
    if [type(s) for s in rule.projection] != [Conv, Norm] or (conv.kernel, conv.bias) != (1, False) or not conv.stride:
        raise EmitError("a RegNet projection is a strided 1x1 conv without bias and a norm", ("shortcut",))
    if not tv:
        return "ConvNormAct(width_in, width_out, 1, stride, apply_act=False)"
    return f"nn.Sequential({conv2d(conv, 'width_in', 'width_out', '1')}, {norm_layer(norm.norm, 'width_out')})"


def _model_body(layout: ModelLayout, model, g, cls: str) -> tuple[list[str], list[str], list[str]]:
    """The model class's ``__init__`` lines, its ``_make_stage`` method and its ``forward`` lines."""
    tv = layout.profile == "torchvision"
    stem = [g.nodes[n] for n, scope in g.nodes(data="scope") if scope[0] == "stem"]
    if tv:
        parts = [printer(n["op"]).module(n["attrs"], True) for n in stem]  # as resnet._Body prints
        init = [f"self.stem = nn.Sequential({', '.join(parts)})"]
    else:
        a = next(n["attrs"] for n in stem if n["op"] == "conv")
        init = [f"self.stem = ConvNormAct({a['in_channels']}, {a['out_channels']}, {a['kernel'][0]}, "
                f"{pair(a['stride'])})"]  # fmt: skip
    rows = []  # torchvision's trunk_output.block1, …, one nn.Sequential; timm's s1, …
    for stage, name in zip(model.stages, layout.stages, strict=True):
        b = stage.blocks[0]
        args = [str(stage.index + 1)] * tv + [str(b.in_channels), str(stage.planes), str(len(stage.blocks)),
                                              str(b.stride), str(b.group_width or 1)]  # fmt: skip
        rows.append(f"self.{name} = self._make_stage({', '.join(args)})")
    init += grouped(rows)
    width = model.stages[-1].blocks[-1].out
    if tv:
        init += ["self.avgpool = nn.AdaptiveAvgPool2d((1, 1))", f"self.fc = nn.Linear({width}, num_classes)"]
        forward = ["x = self.stem(x)", "x = self.trunk_output(x)", "x = self.avgpool(x)", "x = x.flatten(start_dim=1)",
                   "return self.fc(x)"]  # fmt: skip
    else:
        init += ordered("self.head", [("global_pool", "nn.AdaptiveAvgPool2d((1, 1))"), ("flatten", "nn.Flatten(1)"),
                                      ("fc", f"nn.Linear({width}, num_classes)")])  # fmt: skip
        forward = ["x = self.stem(x)", *(f"x = self.{n}(x)" for n in layout.stages), "return self.head(x)"]
    block = 'f"block{index}-{i}"' if tv else 'f"b{i + 1}"'
    make_stage = [
        "@staticmethod",
        *wrap("def _make_stage(", ["index: int"] * tv + [f"{p}: int" for p in STAGE_ARGS], ") -> nn.Sequential:", 1),
        "    stage = nn.Sequential()",
        "    for i in range(depth):",
        f"        block = {cls}(width_in if i == 0 else width_out, width_out, stride if i == 0 else 1, group_width)",
        f"        stage.add_module({block}, block)",
        "    return stage",
    ]
    make_stage = [ln for line in make_stage for ln in reflow(line, 1)]
    return init + init_weights(g, {model.definitions[0]: cls}), make_stage, forward


STAGE_ARGS = ("width_in", "width_out", "depth", "stride", "group_width")
