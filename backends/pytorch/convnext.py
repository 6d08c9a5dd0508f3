"""ConvNeXt as timm's ``models/convnext.py`` lays it out (``family: convnext``), its block printed from the recipe.

The user block (``blocks:``) becomes one class whose ``__init__`` and ``forward`` walk the recipe's steps: a conv
is an ``nn.Conv2d`` (an ``nn.Linear`` on channels-last where the recipe says ``linear``), a LayerNorm an
``nn.LayerNorm`` on channels-last or ``LayerNorm2d`` on N×C×H×W, a GELU timm's own ``GELU`` class (not
``nn.GELU``: counters that hook modules see the difference), layer scale timm's ``gamma`` parameter,
drop path ``nn.Identity`` at rate 0 (timm's ``DropPath`` with a ``drop_path_rate``); steps whose module names
share a container (timm's ``mlp.fc1`` / ``mlp.act`` / ``mlp.fc2``) are one ``nn.Sequential``. The permutes to
and from channels-last sit where timm puts them: before the norm that feeds the first ``nn.Linear``, after the
last. The model is timm's: ``stem`` (conv + LayerNorm2d), ``stages`` of ``ConvNeXtStage`` (``downsample``,
``blocks``), ``head`` (pool, norm, flatten, fc), initialised as ``timm.models.convnext._init_weights``
(truncated normal, std 0.02, zero biases) so one seed gives timm's weights.
"""

from __future__ import annotations

from archc.ir.channels_last import walk
from archc.ir.recipe import Act, Add, Branch, Conv, DropPath, LayerScale, Norm

from .blocks import class_name, layout_block
from .printers import EmitError, conv
from .pycode import ClassView, block_view, model_view, ordered
from .shared import downsample_modules, drop_path_rates, init_weights


def model_classes(c) -> tuple[list[ClassView], str]:
    """The user block's class, timm's ``ConvNeXtStage`` (not torchvision's: its stages are ``features`` rows) and
    the ``ConvNeXt`` class; the spec's ``drop_path_rate`` gives each block its rate."""
    g, model, layout = c.graph, c.graph.graph["blocks"], c.graph.graph["model_layout"]
    # a model of one block has rate 0 and no schedule (torchvision's would divide by its blocks - 1)
    rate = c.spec.drop_path_rate if model.drop_path_scheduled else 0.0
    d = check(model, layout)
    tv, name = layout.profile == "torchvision", class_name(d)
    if tv:
        signature, init, forward = torchvision_block(d, bool(rate))
        body, model_forward = torchvision_body(model, g, name, bool(rate))
    else:
        signature, init, forward = block_class(d, layout, g, model.blocks[0], bool(rate))
        body, model_forward = model_body(model, g, bool(rate))
    doc = f"The spec's '{d.kind}' block, printed from its recipe ({layout.profile}'s module names)."
    stage = stage_class(model, g, name, bool(rate))
    extra = f", {'stochastic_depth_prob' if tv else 'drop_path_rate'}: float = {rate!r}" * bool(rate)
    model_class = model_view(c, "ConvNeXt", body, model_forward, extra=extra)
    return [block_view(name, doc, signature, init, forward), *[stage] * (not tv), model_class], "ConvNeXt"


def block_class(d, layout, g, block, scheduled: bool) -> tuple[list[str], list[str], list[str]]:
    """(signature, ``__init__`` lines, ``forward`` lines) of the user block ``d``, printed by the
    ResNet skeleton's writer with timm's ConvNeXt names; ``scheduled``: the spec's ``drop_path_rate`` gives each
    block its drop path rate (timm's ``drop_path`` argument)."""
    if block.projects or block.subsample != 1 or block.pad != (0, 0):
        raise EmitError("a ConvNeXt block whose shortcut is not the identity", ("blocks", d.kind))
    prefix = layout.blocks[block.id] + "."
    names = {g.nodes[n]["role"]: layout.names[n].removeprefix(prefix) for n in block.nodes}
    init, forward = layout_block(d, names, scheduled).lines()
    return ["dim: int", *["drop_path: float = 0.0"] * scheduled], init, forward


def stage_class(model, g, block_cls: str, scheduled: bool) -> ClassView:
    """timm's ``ConvNeXtStage`` class: its separate downsampling layer and its blocks (with timm's
    ``drop_path_rates``, one per block, where ``scheduled``)."""
    downs = [s.downsample for s in model.stages if s.downsample is not None]
    layers = downsample_modules(downs, f"LayerNorm2d(in_channels, eps={_down_eps(g)!r})", "in_channels", "out_channels")
    signature = ["in_channels: int", "out_channels: int", "depth: int", "stride: int = 1"]
    signature += ["drop_path_rates: list[float] | None = None"] * scheduled
    rate, i = (", drop_path_rates[i]", "i") if scheduled else ("", "_")
    init = [
        "if stride > 1 or in_channels != out_channels:",
        f"    self.downsample = nn.Sequential({', '.join(layers)})",
        "else:",
        "    self.downsample = nn.Identity()",
        *["drop_path_rates = drop_path_rates or [0.0] * depth"] * scheduled,
        f"self.blocks = nn.Sequential(*[{block_cls}(out_channels{rate}) for {i} in range(depth)])",
    ]
    doc = "A separate downsampling layer, then the stage's blocks."
    return block_view("ConvNeXtStage", doc, signature, init, ["return self.blocks(self.downsample(x))"])


def _stem(g) -> str:
    """The patchify stem: ``nn.Sequential(conv k×k / k, LayerNorm2d)``."""
    stem = [n for n, data in g.nodes(data=True) if data["scope"][0] == "stem"]
    if len(stem) != 2 or [g.nodes[n]["op"] for n in stem] != ["conv", "layernorm"]:
        raise EmitError("a ConvNeXt stem is one patchify conv and a LayerNorm", ("stem",))
    a, n = g.nodes[stem[0]]["attrs"], g.nodes[stem[1]]["attrs"]
    return f"nn.Sequential({conv(a)}, LayerNorm2d({a['out_channels']}, eps={n['eps']!r}))"


def _down_eps(g) -> float:
    """The downsampling layers' LayerNorm eps (timm's and torchvision's 1e-6 where no stage has one)."""
    return next((g.nodes[n]["attrs"]["eps"] for n in g if n.endswith(".down.norm")), 1e-6)


def model_body(model, g, scheduled: bool = False) -> tuple[list[str], list[str]]:
    """The model class's ``__init__`` lines and ``forward`` lines; ``scheduled``: each stage's drop path rates
    from ``drop_path_rate`` as timm's ``calculate_drop_path_rates`` (a linspace over the blocks, split by stage)."""
    init, rows = [f"self.stem = {_stem(g)}"], []
    for i, stage in enumerate(model.stages):
        inc = stage.downsample.in_channels if stage.downsample else stage.blocks[0].in_channels
        rates = f", drop_path_rates=dp_rates[{i}]" * scheduled
        rows.append(f"ConvNeXtStage({inc}, {stage.blocks[0].out}, {len(stage.blocks)}, stride={stage.stride}{rates})")
    init += [drop_path_rates(model)] * scheduled
    init += ["self.stages = nn.Sequential(", *(f"    {r}," for r in rows), ")"]
    head = {g.nodes[x]["role"]: g.nodes[x] for x in g if g.nodes[x]["scope"][0] == "head"}
    if set(head) != {"pool", "norm", "flatten", "fc"} or head["norm"]["op"] != "layernorm":
        raise EmitError("a ConvNeXt head is a global pool, a LayerNorm, flatten and fc", ("head",))
    width = head["fc"]["attrs"]["in_features"]
    init += ordered("self.head", [("global_pool", "nn.AdaptiveAvgPool2d(1)"),
                                  ("norm", f"LayerNorm2d({width}, eps={head['norm']['attrs']['eps']!r})"),
                                  ("flatten", "nn.Flatten(1)"), ("fc", f"nn.Linear({width}, num_classes)")])  # fmt: skip
    init += init_weights(g, {})
    forward = ["x = self.stem(x)", "x = self.stages(x)", "return self.head(x)"]
    return init, forward


def check(model, layout):
    """E403 where the model is no ConvNeXt of the layout's library; else its one user block definition."""
    if len(model.definitions) != 1 or model.definitions[0].custom is None:
        raise EmitError("a ConvNeXt layout needs one user-defined block for every stage", ("block",))
    tv = layout.profile == "torchvision"
    if layout.init.conv not in ("trunc_normal_0.02", "torch_trunc_normal_0.02") and not (
        layout.init.conv is None and not tv
    ):
        raise EmitError(f"init: {model.init} for a ConvNeXt layout", ("init",))
    d = model.definitions[0]
    if not all(b.residual for b in model.blocks):
        raise EmitError("a ConvNeXt block without its shortcut (shortcut: identity on a block that changes its shape)",
                        ("blocks", d.kind))  # fmt: skip
    for step, _ in walk(d.recipe.steps):  # what neither library's block holds: attention, anti-aliasing, …
        if not isinstance(step, str | Branch | Add | Conv | Norm | Act | LayerScale | DropPath):
            raise EmitError(f"a {step.kind} step in a ConvNeXt block", ("blocks", d.kind))
        if isinstance(step, Norm) and step.norm.kind != "layernorm":
            raise EmitError(f"a {step.norm.kind} in a ConvNeXt block", ("defaults", "norm"))
    return d


def torchvision_block(d, scheduled: bool) -> tuple[list[str], list[str], list[str]]:
    """torchvision's ``CNBlock`` form of the user block ``d``: the steps up to the layer scale are one
    ``block`` Sequential (with its ``Permute`` modules), then ``layer_scale`` × it, ``stochastic_depth`` (a
    ``StochasticDepth(p, "row")`` where ``scheduled``, else ``nn.Identity``), + x."""
    kinds = [step if isinstance(step, str) else step.kind for step, _ in walk(d.recipe.steps)]
    tail = [k for k in kinds if k in ("layer_scale", "drop_path", "add")]
    if kinds[0] != "branch" or tail != ["layer_scale", "drop_path", "add"] or kinds[-3:] != tail:
        raise EmitError("torchvision's CNBlock ends with layer_scale, drop_path and add", ("blocks", d.kind))
    roles = {step.role: step.role for step, _ in walk(d.recipe.steps) if hasattr(step, "role")}
    writer = layout_block(d, roles, scheduled, "torchvision")  # its trace: each step's constructor, in order
    writer.lines()
    parts = [text for step, text, _ in writer.trace if not isinstance(step, LayerScale | DropPath)]
    channels, init = next((text, step.init) for step, text, _ in writer.trace if isinstance(step, LayerScale))
    scale = f"self.layer_scale = nn.Parameter(torch.ones({channels}, 1, 1) * {init!r})"
    depth = 'StochasticDepth(stochastic_depth_prob, "row")' if scheduled else "nn.Identity()"
    init = ["self.block = nn.Sequential(", *(f"    {p}," for p in parts), ")", scale,
            f"self.stochastic_depth = {depth}"]  # fmt: skip
    forward = [
        "result = self.layer_scale * self.block(x)",
        "result = self.stochastic_depth(result)",
        "return result + x",
    ]
    return ["dim: int", *["stochastic_depth_prob: float = 0.0"] * scheduled], init, forward


def torchvision_body(model, g, block_cls: str, scheduled: bool = False) -> tuple[list[str], list[str]]:
    """torchvision's ``ConvNeXt.__init__``: ``features`` (stem, each stage's blocks, the downsampling layer
    after every stage but the last), ``avgpool``, ``classifier``, the truncated-normal init; ``scheduled``:
    block k of N gets ``stochastic_depth_prob * k / (N - 1.0)``, as torchvision computes it."""
    downs = [s.downsample for s in model.stages]
    if downs[0] is not None or any(x is None or (x.stride, x.norm, x.bias) != (2, True, True) for x in downs[1:]):
        raise EmitError("torchvision's ConvNeXt downsamples (LN, 2x2/2 conv) before every stage but the first",
                        ("downsample",))  # fmt: skip
    eps = _down_eps(g)
    table = ", ".join(f"({s.blocks[0].out}, {len(s.blocks)})" for s in model.stages)
    width = model.stages[-1].blocks[-1].out
    down = f"LayerNorm2d(width, eps={eps!r}), nn.Conv2d(width, stages[i + 1][0], kernel_size=2, stride=2)"
    init = [
        f"stages = [{table}]  # (width, blocks) of each stage",
        f"stem = {_stem(g)}",
        "layers: list[nn.Module] = [stem]",
        *["total = sum(depth for _, depth in stages)", "block_id = 0"] * scheduled,
        "for i, (width, depth) in enumerate(stages):",
        *[f"    layers.append(nn.Sequential(*[{block_cls}(width) for _ in range(depth)]))"] * (not scheduled),
        *[
            "    blocks: list[nn.Module] = []",
            "    for _ in range(depth):",
            f"        blocks.append({block_cls}(width, stochastic_depth_prob * block_id / (total - 1.0)))",
            "        block_id += 1",
            "    layers.append(nn.Sequential(*blocks))",
        ]
        * scheduled,
        "    if i + 1 < len(stages):",
        f"        layers.append(nn.Sequential({down}))",
        "self.features = nn.Sequential(*layers)",
        "self.avgpool = nn.AdaptiveAvgPool2d(1)",
        f"self.classifier = nn.Sequential(LayerNorm2d({width}, eps={eps!r}), nn.Flatten(1), nn.Linear({width}, "
        "num_classes))",
        *init_weights(g, {}),
    ]
    return init, ["x = self.features(x)", "x = self.avgpool(x)", "return self.classifier(x)"]
