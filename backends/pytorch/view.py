"""The view model of a generated PyTorch file: everything the template prints, decided here.

Read from the block model (``g.graph["blocks"]``): one class per block definition (:mod:`.blocks`), the
model class with torchvision's ``_make_layer`` and one call per stage (:mod:`.stages`). The ops outside
blocks (stem, stage pools, head; every op of a flat VGG) are modules named by the IR's names in the spec's
PyTorch profile (torchvision, or timm: a deep stem is ``conv1 = nn.Sequential(…)``),
printed op by op (:mod:`.printers`), grouped into ``nn.Sequential`` containers where the names say so
(``features.3``, ``classifier.0``).
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

from archc.codegen import provenance
from archc.ir import rules
from archc.ir.blocks import BlockModel
from archc.ir.graph import operands
from archc.ir.naming import pytorch_profile
from archc.pipeline import Compiled
from archc.reports.summary import summary

from . import convnext, regnet
from .blocks import BlockClass, block_class
from .layers import OVERWRITABLE
from .printers import EmitError, printer
from .pycode import reflow, wrap
from .stages import downsample_layer, drop_path_rates, init_weights, make_layer, stage_line

_RESERVED = {"torch", "nn", "F", "build_model"}


@dataclass
class ClassView:
    name: str
    doc: list[str]
    attributes: list[str]
    methods: list[list[str]]  # each method's lines, relative to the class body


@dataclass
class ModelView:
    header: str
    title: str
    facts: str
    imports: list[str]
    helpers: list[str]  # fixed helper classes (SqueezeExcitation), as text
    classes: list[ClassView]
    class_name: str
    num_classes: int
    constructor: str | None


def build_view(c: Compiled) -> ModelView:
    g, spec = c.graph, c.spec
    model: BlockModel = g.graph["blocks"]
    layout = g.graph.get("model_layout")
    if layout is not None and layout.family == "regnet":
        return _regnet_view(c, layout)
    if layout is not None and layout.family == "convnext":
        return _convnext_view(c, layout)
    residual = model.layout == "stages"
    scheduled = any(b.drop_path for b in model.blocks)  # the spec's drop_path_rate: a rate per block
    dilated = any(b.dilation != 1 or b.first_dilation != 1 for b in model.blocks)
    group_width = any(b.group_width is not None for b in model.blocks)
    profile = pytorch_profile(g)
    classes = {d: block_class(d, dilated, profile, group_width, False, scheduled) for d in model.definitions}
    classes = classes if residual else {}
    if len({c.takes_groups for c in classes.values()}) > 1:  # as torchvision's BasicBlock beside Bottleneck
        classes = {d: block_class(d, dilated, profile, group_width, True, scheduled) for d in model.definitions}
    _one_make_layer(model, classes)
    name = model_class_name(model)
    init, forward = _body(g, model, classes, dilated)
    extra = f", drop_path_rate: float = {spec.drop_path_rate!r}" * scheduled
    methods, down = [_init_method(spec.head.classes, init, extra)], None
    if residual:
        d0 = model.definitions[0]
        down = downsample_layer(g, model, profile == "timm")
        methods.append(make_layer(d0, classes[d0], model, [c.name for c in classes.values()], profile, down))
    methods.append(_forward(forward, g))
    views = [_class_view(cls) for cls in classes.values()]
    views.append(ClassView(name, [_title(spec)], [], methods))
    return _model_view(c, views, name, profile)


def _model_view(c: Compiled, classes: list[ClassView], name: str, profile: str) -> ModelView:
    """The file's view: the provenance header, the spec's title and figures, the classes (``name``: the model's),
    and the imports and helpers their code uses."""
    s, spec = summary(c), c.spec
    imports, helpers = _imports_and_helpers(classes, profile)
    return ModelView(
        header=provenance(c.loaded.source, c.loaded.sha256),
        title=_title(spec),
        facts=f"Input {'×'.join(map(str, s['input_shape']))} · {s['params']:,} params · {s['macs']:,} MACs "
        f"(FLOPs = 2 × MACs) · depth {s['depth']}.",
        imports=imports,
        helpers=helpers,
        classes=classes,
        class_name=name,
        num_classes=spec.head.classes,
        constructor=None if spec.name in _RESERVED or keyword.iskeyword(spec.name) else spec.name,
    )


def _imports_and_helpers(classes: list[ClassView], profile: str) -> tuple[list[str], list[str]]:
    """The helper definitions the classes' code calls (and those the helpers call), in :func:`_helper_table`'s
    order, then the imports that code and those helpers use."""
    code = "\n".join(ln for v in classes for m in v.methods for ln in m)
    table = _helper_table(profile)
    used = set()
    for name, text in reversed(table):  # a helper calls only helpers before it in the table
        if re.search(rf"(?<![\w.]){name}\(", code):
            used.add(name)
            code += "\n" + text
    helpers = [text for name, text in table if name in used]
    imports = [
        *(
            stdlib := ["import math"] * bool(re.search(r"\bmath\.", code))
            + ["from collections import OrderedDict"] * ("OrderedDict" in code)
        ),  # fmt: skip
        *[""] * bool(stdlib),  # a blank line after the standard-library imports, if any
        "import torch",
        *["import torch.nn.functional as F"] * bool(re.search(r"(?<![\w.])F\.", code)),
        "from torch import nn",
    ]
    return imports, helpers


def _helper_table(profile: str) -> list[tuple[str, str]]:
    """Each helper the generated code may call: (the name it defines, its text); squeeze-and-excitation and ECA in
    the profile's code form (timm's: the squeeze as ``x.mean``, as timm's SEModule / EcaModule; fvcore, ptflops
    and thop count it as on timm's model), timm's own GroupNorm, LayerNorm and GELU classes."""
    form = "_timm" if profile == "timm" else ""
    return [
        ("trunc_normal_", _text("trunc_normal")),
        ("make_divisible", rules.source("make_divisible")),
        ("eca_kernel_size", rules.source("eca_kernel_size")),
        ("SqueezeExcitation", _text(f"squeeze_excitation{form}")),
        ("EfficientChannelAttention", _text(f"efficient_channel_attention{form}")),
        ("ConvNormAct", _text("conv_norm_act")),
        ("GroupNorm", _text("group_norm_timm")),
        ("BlurPool2d", _text("blur_pool")),
        ("LayerNorm2d", _text("layer_norm_2d")),
        ("Permute", _text("permute")),
        ("LayerNorm", _text("layer_norm_timm")),
        ("GELU", _text("gelu_timm")),
        ("DropPath", _text("drop_path_timm")),
        ("StochasticDepth", _text("stochastic_depth")),
    ]


def _regnet_view(c: Compiled, layout) -> ModelView:
    """torchvision's or timm's RegNet (:mod:`.regnet`): one block class, stages by ``_make_stage``."""
    g, spec, model = c.graph, c.spec, c.graph.graph["blocks"]
    name, signature, init, forward = regnet.block_class(layout, model)
    doc = f"RegNet's residual bottleneck block, as {layout.profile}'s regnet.py writes it."
    block = _block_view(name, [doc], ", ".join(signature), init, forward)
    body, make_stage, model_forward = regnet.model_body(layout, model, g, name, spec.head.classes)
    make_stage = [ln for line in make_stage for ln in reflow(line, 1)]
    methods = [_init_method(spec.head.classes, body), make_stage, _forward(model_forward, g)]
    classes = [block, ClassView("RegNet", [_title(spec)], [], methods)]
    return _model_view(c, classes, "RegNet", layout.profile)


def _convnext_view(c: Compiled, layout) -> ModelView:
    """timm's or torchvision's ConvNeXt (:mod:`.convnext`): the user block, timm's ``ConvNeXtStage``, the model."""
    g, spec, model = c.graph, c.spec, c.graph.graph["blocks"]
    d, rate, tv = convnext.check(model, layout), spec.drop_path_rate, layout.profile == "torchvision"
    if tv:
        name, signature, init, forward = convnext.torchvision_block(d, bool(rate))
    else:
        name, signature, init, forward = convnext.block_class(d, layout, g, model.blocks[0], bool(rate))
    doc = f"The spec's '{d.kind}' block, printed from its recipe ({layout.profile}'s module names)."
    block = _block_view(name, [doc], ", ".join(signature), init, forward)
    stage = ClassView("ConvNeXtStage", ["A separate downsampling layer, then the stage's blocks."], [],
                      convnext.stage_class(model, g, name, bool(rate)))  # fmt: skip
    body, model_forward = (
        convnext.torchvision_body(model, g, name, bool(rate))
        if tv
        else convnext.model_body(model, g, layout, bool(rate))
    )
    extra = f", {'stochastic_depth_prob' if tv else 'drop_path_rate'}: float = {rate!r}" * bool(rate)
    methods = [_init_method(spec.head.classes, body, extra), _forward(model_forward, g)]
    classes = [block, *([] if tv else [stage]), ClassView("ConvNeXt", [_title(spec)], [], methods)]
    return _model_view(c, classes, "ConvNeXt", layout.profile)


def _one_make_layer(model: BlockModel, classes: dict) -> None:
    """Stages of several block classes share one ``_make_layer``: one shortcut rule and one signature."""
    if len(classes) < 2:
        return
    defs = list(classes)
    signature = {(c.takes_downsample, c.takes_groups, c.takes_group_width, c.dilations) for c in classes.values()}
    for differs, what in (
        (len({d.recipe.shortcut for d in defs}) > 1, "shortcut, projection or norm"),
        (len({(d.groups, d.base_width) for d in defs}) > 1, "groups or base_width"),
        (len(signature) > 1, "constructor arguments (dilation, group width)"),
    ):
        if differs:
            stage = next(s.index for s in model.stages if s.blocks[0].definition != defs[0])
            raise EmitError(f"stages whose blocks differ in {what} (one _make_layer per model)", ("stages", stage))


def _text(name: str) -> str:
    """A fixed helper class, printed as it is (``templates/<name>.py.txt``)."""
    return (Path(__file__).resolve().parent / "templates" / f"{name}.py.txt").read_text(encoding="utf-8").rstrip()


def model_class_name(model: BlockModel) -> str:
    """What the network is, from its plan: ``VGG``, ``PlainNet``, ``PreActResNet``, ``ResNeXt``,
    ``WideResNet`` or ``ResNet`` (torchvision prints ResNeXt and Wide ResNet as its ``ResNet`` class too)."""
    if model.layout == "sequential":
        return "VGG"
    d = model.definitions[0]
    if d.shortcut == "none":
        return "PlainNet"
    if d.bottleneck_ratio is not None:
        return "RegNet"
    if d.unit.preact:
        return "PreActResNet"
    if d.groups > 1:
        return "ResNeXt"
    return "WideResNet" if d.base_width != 64 and d.kind != "single" else "ResNet"


def _title(spec) -> str:
    text = f"{spec.name}: {spec.description}" if spec.description else spec.name
    text = " ".join(text.split()).replace("\\", "/").replace('"""', "'''")
    return text + "." if text.endswith('"') or not text.endswith(".") else text


def _class_view(cls: BlockClass) -> ClassView:
    attributes = [f"expansion: int = {cls.expansion}"] * (cls.expansion is not None)
    attributes += [f"bottleneck_ratio: float = {cls.bottleneck_ratio!r}"] * (cls.bottleneck_ratio is not None)
    return _block_view(cls.name, cls.doc, cls.signature, cls.init, cls.forward, attributes)


def _block_view(name: str, doc: list[str], signature: str, init: list[str], forward: list[str],
                attributes: list[str] | None = None) -> ClassView:  # fmt: skip
    """A block class: its ``__init__(self, <signature>)`` and ``forward``."""
    return ClassView(name, doc, attributes or [], [
        [*wrap("def __init__(", ["self", *signature.split(", ")], ") -> None:", 1), *_indent(["super().__init__()", *init])],
        _forward(forward, None),
    ])  # fmt: skip


def _indent(body: list[str]) -> list[str]:
    """A method's body lines, indented one level and reflowed to the line length."""
    return [ln for line in body for ln in reflow("    " + line, 1)]


def _forward(body: list[str], g: nx.DiGraph | None) -> list[str]:
    """``forward(self, x)``: a list of tensors where the model ``g`` returns several (``features_only``)."""
    returns = "list[torch.Tensor]" if g is not None and len(g.graph["outputs"]) > 1 else "torch.Tensor"
    return [f"def forward(self, x: torch.Tensor) -> {returns}:", *_indent(body)]


def _init_method(classes: int, body: list[str], extra: str = "") -> list[str]:
    """``__init__(self, num_classes=…[, extra])`` of the model class: ``extra`` more parameters."""
    head = f"def __init__(self, num_classes: int = {classes}{extra}) -> None:"
    return [head, *_indent(["super().__init__()", *body])]


def _body(g: nx.DiGraph, model: BlockModel, classes: dict, dilated: bool) -> tuple[list[str], list[str]]:
    """The model's ``__init__`` and ``forward`` lines, in the IR's node order."""
    body, d = _Body(g), model.definitions[0]
    if classes:
        cls = classes[d]
        first = model.stages[0]
        body.init.append(f"self.inplanes = {(first.downsample or first.blocks[0]).in_channels}")
        body.init += ["self.dilation = 1"] * dilated
        body.init += [f"self.groups = {d.groups}", f"self.base_width = {d.base_width}"] * cls.takes_groups
        body.init += [drop_path_rates(model)] * cls.takes_drop_path
    outputs = g.graph["outputs"]
    staged = {stage.blocks[0].nodes[0]: stage for stage in model.stages} if classes else {}
    for node, data in g.nodes(data=True):
        if node in staged:
            stage = staged[node]
            attr = stage.blocks[0].names[pytorch_profile(g)].split(".")[0]
            body.close()
            body.init += [
                stage_line(stage, classes[stage.blocks[0].definition], attr, dilated),
                *_stage_pool(g, stage, attr),
            ]
            body.forward.append(f"x = self.{attr}(x)")
        elif data["op"] != "input" and not (classes and (data["block"] is not None or data["scope"][0] == "stage")):
            body.op(node)
        if len(outputs) > 1 and node in outputs:
            if body.open is not None:
                raise EmitError("a stage output inside a flat container cannot be returned", ("head", "features_only"))
            body.forward.append("features.append(x)")
    body.close()
    forward = body.forward
    if len(outputs) > 1:
        forward = ["features: list[torch.Tensor] = []", *forward, "return features"]
    else:
        forward.append("return x")
    norms = sorted({op for _, op in g.nodes(data="op")} & {"batchnorm", "groupnorm"})
    return body.init + init_weights(model, classes, norms), forward


def _stage_pool(g: nx.DiGraph, stage, attr: str) -> list[str]:
    """A pool after a stage's last block (VGG-style stages) is the stage container's last child."""
    node = f"s{stage.index}.pool"
    if node not in g:
        return []
    return [f'self.{attr}.add_module("pool", {printer(g.nodes[node]["op"]).module(g.nodes[node]["attrs"], False)})']


class _Body:
    """Module lines and forward lines of the ops the model class holds itself."""

    def __init__(self, g: nx.DiGraph):
        self.g, self.init, self.forward = g, [], []
        self.open: str | None = None  # the nn.Sequential being filled
        self.children: list[str] = []
        self.done: set[str] = set()  # names already defined
        self.modules: dict[str, str] = {}  # attribute → constructor

    def close(self) -> None:
        if self.open is not None:
            self.init += [f"self.{self.open} = nn.Sequential(", *(f"    {c}," for c in self.children), ")"]
            self.forward.append(f"x = self.{self.open}(x)")
            self.done.add(self.open)
            self.open, self.children = None, []

    def op(self, node: str) -> None:
        data = self.g.nodes[node]
        if data["role"].startswith("se_"):  # VGG's flat features name every op features.N: no SE module fits
            raise EmitError("squeeze-and-excitation inside a flat 'features' container", ("se",))
        p, a, origin = printer(data["op"], data["origin"], pytorch_profile(self.g)), data["attrs"], data["origin"]
        if node == self.g.graph["output"] and data["op"] == "linear":
            a = {**a, "out_features": "num_classes"}  # the classifier's width is the constructor's argument
        ins = operands(self.g, node)
        if len(ins) != 1:
            raise EmitError(f"{data['op']} with {len(ins)} inputs outside a block", origin)
        safe = self.g.nodes[ins[0]]["op"] in OVERWRITABLE and ins[0] not in self.g.graph["outputs"]
        name = data["names"][pytorch_profile(self.g)]
        container = name.split(".")[0] if "." in name else None
        if container != self.open:
            self.close()
        if p.module is None:
            self.forward.append(f"x = {p.call(a, '', ['x'])}")
        elif container is not None:  # a child of nn.Sequential: no functional padding around it
            if container in self.done:
                raise EmitError(f"the ops named '{container}.N' are not one chain of modules", origin)
            if p.call is not None and p.call(a, "m", ["x"]) != "m(x)":
                raise EmitError(f"a {data['op']} padded with zeros (F.pad) inside the flat '{container}'", origin)
            self.open = container
            self.children.append(p.module(a, safe))
        elif data["op"] == "relu" and not safe:  # its input must survive (a returned tensor): out of place
            self.forward.append("x = torch.relu(x)")
        else:
            ctor, base, n = p.module(a, True), name, 1
            while self.modules.setdefault(name, ctor) != ctor:  # two parameterless ops of one name
                n, name = n + 1, f"{base}{n + 1}"
            if name not in self.done:
                self.init.append(f"self.{name} = {ctor}")
                self.done.add(name)
            self.forward.append(f"x = {p.call(a, f'self.{name}', ['x']) if p.call else f'self.{name}(x)'}")
