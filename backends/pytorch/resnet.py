"""The ResNet and VGG layouts (``family: resnet``, or a sequential stack): the block classes and the model class.

Read from the block model (``g.graph["blocks"]``): one class per block definition (:mod:`.blocks`), the
model class with torchvision's ``_make_layer`` and one call per stage: the stage table becomes
``self.layer2 = self._make_layer(Bottleneck, 128, 4, stride=2)``; the projection rule of the definition becomes
``_make_layer``'s ``downsample`` condition; a separate downsampling layer in front of a stage is the stage's
first child, ``layer2.downsample`` (``norm``, ``conv``), in front of its blocks ``layer2.0``, …. The ops outside
blocks (stem, stage pools, head; every op of a flat VGG) are modules named by the IR's names in the spec's
PyTorch profile (torchvision, or timm: a deep stem is ``conv1 = nn.Sequential(…)``),
printed op by op (:mod:`.printers`), grouped into ``nn.Sequential`` containers where the names say so
(``features.3``, ``classifier.0``).
"""

from __future__ import annotations

import networkx as nx

from archc.ir.blocks import BlockDef, BlockModel, StagePlan
from archc.ir.graph import operands
from archc.ir.naming import pytorch_profile
from archc.ir.recipe import Conv, Norm
from archc.pipeline import Compiled

from .blocks import BlockClass, block_class, class_names
from .printers import OVERWRITABLE, EmitError, norm_layer, printer
from .pycode import ClassView, block_view, model_view, ordered, reflow, wrap
from .shared import downsample_modules, drop_path_rates, init_weights


def model_classes(c: Compiled) -> tuple[list[ClassView], str]:
    """One class per block definition (none for VGG) and the model class."""
    g, spec = c.graph, c.spec
    model: BlockModel = g.graph["blocks"]
    residual = model.layout == "stages"
    scheduled = model.drop_path_scheduled  # the spec's drop_path_rate: a rate per block
    dilated = any(b.dilation != 1 or b.first_dilation != 1 for b in model.blocks)
    profile = pytorch_profile(g)
    names = class_names(model.definitions) if residual else {}
    classes = {d: block_class(d, names[d], dilated, profile, False, scheduled) for d in names}
    if len({c.takes_groups for c in classes.values()}) > 1:  # as torchvision's BasicBlock beside Bottleneck
        classes = {d: block_class(d, names[d], dilated, profile, True, scheduled) for d in names}
    _one_make_layer(model, classes)
    name = model_class_name(model)
    init, forward = _body(g, model, classes)
    builders = [make_layer(g, model, classes, profile == "timm")] if residual else []
    extra = f", drop_path_rate: float = {spec.drop_path_rate!r}" * scheduled
    views = [block_view(k.name, k.doc, k.signature, k.init, k.forward, k.attributes) for k in classes.values()]
    return [*views, model_view(c, name, init, forward, builders, extra)], name


def make_layer(g: nx.DiGraph, model: BlockModel, classes: dict[BlockDef, BlockClass], timm: bool) -> list[str]:
    """The ``_make_layer`` method of the model's block ``classes``: its signature, then its body; ``timm``: the
    PyTorch naming profile is timm's; the stages' separate downsampling layer, if any, :func:`downsample_layer`'s."""
    d = model.definitions[0]
    cls, down, names = classes[d], downsample_layer(g, model, timm), " | ".join(c.name for c in classes.values())
    params = [f"block: type[{names}]", "planes: int", "blocks: int", "stride: int = 1"]
    params += ["group_width: int = 1"] * cls.takes_group_width
    params += ["dilation: int = 1"] * bool(cls.dilations)
    params += ["drop_path_rates: list[float] | None = None"] * cls.takes_drop_path
    body = ["previous_dilation, self.dilation = self.dilation, dilation"] if cls.dilations else []
    body += ["drop_path_rates = drop_path_rates or [0.0] * blocks"] * cls.takes_drop_path
    out = "planes" if cls.expansion is None else "planes * block.expansion"
    loop = model.stride_block == "last" or d.shortcut == "C"
    layers = "*layers"
    if down:
        body, layers = _after_downsample(body, cls, out, down), "layers"
    elif not loop:  # torchvision's form: only the first block strides and changes the width
        body += _downsample(d, "stride", timm, out)
        body += wrap("layers = [block(", _args(cls, "stride", "previous_dilation", True, "0"), ")]", 2)
        body.append(f"self.inplanes = {out}")
        body.append(f"for {'i' if cls.takes_drop_path else '_'} in range(1, blocks):")
        body += ["    " + ln for ln in wrap("layers.append(block(", _args(cls, "", "self.dilation", dp="i"), "))", 3)]
    else:  # a stride on the last block (keras.applications ResNetV2) or a projection on every block
        which = "blocks - 1" if model.stride_block == "last" else "0"
        body += ["layers = []", "for i in range(blocks):", f"    block_stride = stride if i == {which} else 1"]
        dilation = "previous_dilation if i == 0 else self.dilation"
        inner = _downsample(d, "block_stride", timm, out) + wrap(
            "layers.append(block(", _args(cls, "block_stride", dilation, True, "i"), "))", 3
        )
        body += ["    " + ln for ln in [*inner, f"self.inplanes = {out}"]]
    return [
        *wrap("def _make_layer(", ["self", *params], ") -> nn.Sequential:", 1),
        *(out for ln in body for out in reflow("    " + ln, 1)),
        f"    return nn.Sequential({layers})",
    ]


def downsample_layer(g: nx.DiGraph, model: BlockModel, timm: bool) -> list[tuple[str, str]] | None:
    """The modules of the separate downsampling layer in front of a stage ((``norm``, …), (``conv``, …), from
    ``self.inplanes`` channels to ``{out}``), or None where no stage has one; :class:`EmitError` where
    ``_make_layer``'s one rule (a layer wherever the stage strides or widens) cannot say which stages have one."""
    downs = [s.downsample for s in model.stages if s.downsample is not None]
    if not downs:
        return None
    d = model.stages[0].blocks[0].definition
    if model.stride_block == "last" or d.shortcut == "C":
        raise EmitError("separate downsampling layers with a stride on each stage's last block or a projection on "
                        "every block (one _make_layer)", ("downsample",))  # fmt: skip
    for stage in model.stages:
        b = stage.blocks[0]
        if stage.downsample is None and (b.stride != 1 or b.in_channels != b.out):
            raise EmitError("stages with and without separate downsampling layers (one _make_layer)",
                            ("stages", stage.index))  # fmt: skip
    layers = downsample_modules(downs, norm_layer(d.norm, "self.inplanes", timm), "self.inplanes", "{out}")
    return list(zip(["norm", "conv"][-len(layers) :], layers, strict=True))


def _after_downsample(body: list[str], cls: BlockClass, out: str, down: list[tuple[str, str]]) -> list[str]:
    """``_make_layer``'s body where the stage starts with its own downsampling layer: its blocks keep their shape."""
    return [
        *body,
        "layers: OrderedDict[str, nn.Module] = OrderedDict()",
        f"if stride != 1 or self.inplanes != {out}:  # a separate downsampling layer (ConvNeXt's)",
        *("    " + ln for ln in ordered('layers["downsample"]', [(n, m.replace("{out}", out)) for n, m in down])),
        f"    self.inplanes = {out}",
        "for i in range(blocks):",
        *["    " + ln for ln in wrap("layers[str(i)] = block(", _args(cls, "", "self.dilation", dp="i"), ")", 3)],
    ]


def _args(cls: BlockClass, stride: str, first_dilation: str, positional: bool = False, dp: str = "") -> list[str]:
    """Arguments of a block call in the order of its signature: positional (as torchvision's first block)
    or, for the blocks after the first, keywords past ``planes``; ``dp``: the index of its drop path rate."""
    args = ["self.inplanes", "planes"] + ([stride] + ["downsample"] * cls.takes_downsample) * positional
    groups = ["self.groups", "self.base_width"] if positional else ["groups=self.groups", "base_width=self.base_width"]
    args += groups * cls.takes_groups
    args += ["group_width" if positional else "group_width=group_width"] * cls.takes_group_width
    single = cls.dilations == ("dilation",)  # one 3x3: it takes the stage's first dilation (torchvision)
    values = {"first_dilation": first_dilation, "dilation": first_dilation if single else "self.dilation"}
    args += [values[p] if positional else f"{p}={values[p]}" for p in cls.dilations]
    rate = f"drop_path_rates[{dp}]"
    return args + [rate if positional else f"drop_path={rate}"] * cls.takes_drop_path


def _downsample(d: BlockDef, stride: str, timm: bool, out: str) -> list[str]:
    """``downsample = …`` for a definition whose shortcut may project (options B and C), by its recipe's rule."""
    rule = d.recipe.shortcut
    if not rule.projects:
        return []
    conv = ["self.inplanes", out, "kernel_size=1"]
    pool, avg = [], f"nn.AvgPool2d({stride}, {stride}, ceil_mode=True, count_include_pad=False)"
    if d.projection == "avgpool" and timm:  # timm: downsample = (pool or identity, conv, norm) always
        pool = ["pool: nn.Module = nn.Identity()", f"if {stride} != 1:", f"    pool = {avg}"]
    elif d.projection == "avgpool":  # ResNet-D: the pool takes the stride, the 1x1 conv sees every input pixel
        pool = ["pool: list[nn.Module] = []", f"if {stride} != 1:", f"    pool.append({avg})"]
    else:
        conv.append(f"stride={stride}")
    kernel = []
    if d.projection != "avgpool" and d.projection_kernel != 1:  # timm's down_kernel_size: k×k where it strides
        kernel = [f"kernel = {d.projection_kernel} if {stride} != 1 else 1"]
        conv[2:] = ["kernel_size=kernel", f"stride={stride}", "padding=kernel // 2"]
    steps = d.recipe.shortcut.projection  # the recipe's projection: (pool,) conv (, norm)
    norm = next((step for step in steps if isinstance(step, Norm)), None)
    conv += ["bias=False"] * (not next(step for step in steps if isinstance(step, Conv)).bias)
    layers = [("pool" if timm else "*pool")] * bool(pool) + [f"nn.Conv2d({', '.join(conv)})"]
    if norm is not None:
        layers.append(norm_layer(norm.norm or d.norm, out, timm))
    if len(layers) == 1 or (pool and not timm and norm is None):
        # One conv (pre-activation: no norm) is the bare module ``downsample`` (archc.ir.naming.downsample_attr);
        # where a pool strides in front of it (torchvision-style ResNet-D), the two are ``downsample.0`` / ``.1``.
        make = [*kernel, f"downsample = {layers[-1]}"]
        make += [f"if {stride} != 1:", f"    downsample = nn.Sequential({avg}, downsample)"] * bool(pool)
    else:
        make = [*pool, *kernel, "downsample = nn.Sequential(", *(f"    {layer}," for layer in layers), ")"]
    if rule.kind == "C":
        return make
    cond = f"self.inplanes != {out}"
    if rule.strided_identity == "projection":
        cond = f"{stride} != 1 or {cond}"
    return ["downsample = None", f"if {cond}:", *("    " + ln for ln in make)]


def stage_line(stage: StagePlan, cls: BlockClass, attr: str) -> str:
    blocks = stage.blocks
    stride = stage.downsample.stride if stage.downsample else max(b.stride for b in blocks)
    args = [cls.name, str(stage.planes), str(len(blocks))]
    args += [f"stride={stride}"] * (stride != 1)
    if cls.takes_group_width:
        args.append(f"group_width={blocks[0].group_width}")
    if blocks[-1].dilation != 1:
        args.append(f"dilation={blocks[-1].dilation}")
    if cls.takes_drop_path:  # the model's rates, one list per stage (timm's dp_rates)
        args.append(f"drop_path_rates=dp_rates[{stage.index}]")
    return f"self.{attr} = self._make_layer({', '.join(args)})"


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


def _body(g: nx.DiGraph, model: BlockModel, classes: dict) -> tuple[list[str], list[str]]:
    """The model's ``__init__`` and ``forward`` lines, in the IR's node order."""
    body, d = _Body(g), model.definitions[0]
    if classes:
        cls = classes[d]
        first = model.stages[0]
        body.init.append(f"self.inplanes = {(first.downsample or first.blocks[0]).in_channels}")
        body.init += ["self.dilation = 1"] * bool(cls.dilations)
        body.init += [f"self.groups = {d.groups}", f"self.base_width = {d.base_width}"] * cls.takes_groups
        body.init += [drop_path_rates(model)] * cls.takes_drop_path
    outputs = g.graph["outputs"]
    staged = {stage.blocks[0].nodes[0]: stage for stage in model.stages} if classes else {}
    for node, data in g.nodes(data=True):
        if node in staged:
            stage = staged[node]
            attr = stage.blocks[0].names[pytorch_profile(g)].split(".")[0]
            body.close()
            body.init += [stage_line(stage, classes[stage.blocks[0].definition], attr), *_stage_pool(g, stage, attr)]
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
