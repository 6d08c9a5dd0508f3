"""The ResNet and VGG layouts (``family: resnet``, or a sequential stack): the block classes and the model class.

Read from the block model (``g.graph["blocks"]``): one class per block definition (:mod:`.blocks`), the
model class with torchvision's ``_make_layer`` and one call per stage (:mod:`.stages`). The ops outside
blocks (stem, stage pools, head; every op of a flat VGG) are modules named by the IR's names in the spec's
PyTorch profile (torchvision, or timm: a deep stem is ``conv1 = nn.Sequential(…)``),
printed op by op (:mod:`.printers`), grouped into ``nn.Sequential`` containers where the names say so
(``features.3``, ``classifier.0``).
"""

from __future__ import annotations

import networkx as nx

from archc.ir.blocks import BlockModel
from archc.ir.graph import operands
from archc.ir.naming import pytorch_profile
from archc.pipeline import Compiled

from .blocks import BlockClass, block_class
from .layers import OVERWRITABLE
from .printers import EmitError, printer
from .pycode import ClassView, block_view, model_view
from .stages import downsample_layer, drop_path_rates, init_weights, make_layer, stage_line


def model_classes(c: Compiled) -> tuple[list[ClassView], str]:
    """One class per block definition (none for VGG) and the model class."""
    g, spec = c.graph, c.spec
    model: BlockModel = g.graph["blocks"]
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
    builders = []
    if residual:
        d0 = model.definitions[0]
        down = downsample_layer(g, model, profile == "timm")
        builders.append(make_layer(d0, classes[d0], model, [c.name for c in classes.values()], profile, down))
    extra = f", drop_path_rate: float = {spec.drop_path_rate!r}" * scheduled
    views = [_class_view(cls) for cls in classes.values()]
    return [*views, model_view(c, name, init, forward, builders, extra)], name


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


def _class_view(cls: BlockClass) -> ClassView:
    attributes = [f"expansion: int = {cls.expansion}"] * (cls.expansion is not None)
    attributes += [f"bottleneck_ratio: float = {cls.bottleneck_ratio!r}"] * (cls.bottleneck_ratio is not None)
    return block_view(cls.name, cls.doc, cls.signature, cls.init, cls.forward, attributes)


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
    return body.init + init_weights(g, {d: cls.name for d, cls in classes.items()}), forward


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
