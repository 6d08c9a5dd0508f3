"""The ResNet layout's stage construction, torchvision's ``_make_layer``, printed from the block model: the stage
table becomes ``self.layer2 = self._make_layer(Bottleneck, 128, 4, stride=2)``; the projection rule of the
definition becomes ``_make_layer``'s ``downsample`` condition. A separate downsampling layer in front of a stage
(ConvNeXt's: norm, then a conv of kernel = stride) is the stage's first child, ``layer2.downsample`` (``norm``,
``conv``), in front of its blocks ``layer2.0``, …. Also what every layout shares: the weight initialisation,
printed from the layout's scheme (:func:`init_weights`), and timm's drop path rates.
"""

from __future__ import annotations

import networkx as nx

from archc.ir.blocks import BlockDef, BlockModel, StagePlan
from archc.ir.recipe import Conv, Norm

from .blocks import BlockClass
from .printers import EmitError, norm_layer
from .pycode import reflow, wrap


def make_layer(
    d: BlockDef, cls: BlockClass, model: BlockModel, names: list[str], profile: str, down: list[str] | None = None
) -> list[str]:
    """The ``_make_layer`` method: lines of its body, first the signature (``names``: the block classes;
    ``profile``: the PyTorch naming profile, torchvision | timm; ``down``: the modules of the stages' separate
    downsampling layer, :func:`downsample_layer`)."""
    params = [f"block: type[{' | '.join(names)}]", "planes: int", "blocks: int", "stride: int = 1"]
    params += ["group_width: int = 1"] * cls.takes_group_width
    params += ["dilation: int = 1"] * bool(cls.dilations)
    params += ["drop_path_rates: list[float] | None = None"] * cls.takes_drop_path
    body = ["previous_dilation, self.dilation = self.dilation, dilation"] if cls.dilations else []
    body += ["drop_path_rates = drop_path_rates or [0.0] * blocks"] * cls.takes_drop_path
    out = "planes" if cls.expansion is None else "planes * block.expansion"
    loop = model.stride_block == "last" or d.shortcut == "C"
    timm, layers = profile == "timm", "*layers"
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


def downsample_layer(g: nx.DiGraph, model: BlockModel, timm: bool) -> list[str] | None:
    """The modules of the separate downsampling layer in front of a stage (``norm=…``, ``conv=…``, from
    ``self.inplanes`` channels to ``{out}``), or None where no stage has one; :class:`EmitError` where ``_make_layer``'s one
    rule (a layer wherever the stage strides or widens) cannot say which stages have one."""
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
    return [f"{name}={layer}" for name, layer in zip(["norm", "conv"][-len(layers) :], layers, strict=True)]


def downsample_modules(downs: list, norm: str, cin: str, cout: str) -> list[str]:
    """The modules of the stages' one separate downsampling layer: ``norm`` (where it has one), then a conv of
    kernel = stride from ``cin`` to ``cout`` channels; E403 where the stages' layers differ."""
    if len({(x.norm, x.bias) for x in downs}) > 1:
        raise EmitError("stages whose downsampling layers differ (one form for every stage)", ("downsample",))
    bias = ", bias=False" * (not downs[0].bias) if downs else ""
    conv = f"nn.Conv2d({cin}, {cout}, kernel_size=stride, stride=stride{bias})"
    return [norm, conv] if not downs or downs[0].norm else [conv]


def _after_downsample(body: list[str], cls: BlockClass, out: str, down: list[str]) -> list[str]:
    """``_make_layer``'s body where the stage starts with its own downsampling layer: its blocks keep their shape."""
    return [
        *body,
        "layers: OrderedDict[str, nn.Module] = OrderedDict()",
        f"if stride != 1 or self.inplanes != {out}:  # a separate downsampling layer (ConvNeXt's)",
        '    layers["downsample"] = nn.Sequential(',
        "        OrderedDict(",
        *(f"            {m.replace('{out}', out)}," for m in down),
        "        )",
        "    )",
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
    """``downsample = …`` for a definition whose shortcut may project (options B and C)."""
    if d.shortcut not in ("B", "C"):
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
    if d.shortcut == "C":
        return make
    cond = f"self.inplanes != {out}"
    if d.strided_identity == "projection":
        cond = f"{stride} != 1 or {cond}"
    return ["downsample = None", f"if {cond}:", *("    " + ln for ln in make)]


def stage_line(stage: StagePlan, cls: BlockClass, attr: str, dilated: bool) -> str:
    blocks = stage.blocks
    stride = stage.downsample.stride if stage.downsample else max(b.stride for b in blocks)
    args = [cls.name, str(stage.planes), str(len(blocks))]
    args += [f"stride={stride}"] * (stride != 1)
    if cls.takes_group_width:
        args.append(f"group_width={blocks[0].group_width}")
    if dilated and blocks[-1].dilation != 1:
        args.append(f"dilation={blocks[-1].dilation}")
    if cls.takes_drop_path:  # the model's rates, one list per stage (timm's dp_rates)
        args.append(f"drop_path_rates=dp_rates[{stage.index}]")
    return f"self.{attr} = self._make_layer({', '.join(args)})"


def init_weights(g: nx.DiGraph, classes: dict[BlockDef, str]) -> list[str]:
    """The layout's initialisation scheme (:class:`archc.ir.inits.InitScheme`) as its library writes it, then
    ``zero_init_last_bn`` (torchvision's ``zero_init_residual``, timm's ``zero_init_last``): in each block of a
    class (``classes``: each definition's) the weight of the norms the scheme zeroes."""
    layout, model = g.graph["model_layout"], g.graph["blocks"]
    s, lines = layout.init, []
    if s.conv is not None:
        both = s.conv.endswith("trunc_normal_0.02")  # ConvNeXt: convs and linears alike
        clauses = [
            ("(nn.Conv2d, nn.Linear)" if both else "nn.Conv2d", [*CONV_INIT[s.conv], *ZERO_BIAS * s.conv_bias_zero])
        ]
        norms = [kind for op, kind in NORMS.items() if any(x == op for _, x in g.nodes(data="op"))]
        if norms and (s.norm or layout.family in ("resnet", "vgg")):  # torchvision's clause, under timm's names too
            clauses.append((f"({', '.join(norms)})" if len(norms) > 1 else norms[0], ONES_ZEROS))
        if s.linear_std is not None and not both:
            std = f"0, {s.linear_std!r}" if layout.family == "vgg" else f"mean=0.0, std={s.linear_std!r}"
            clauses.append(("nn.Linear", [f"nn.init.normal_(m.weight, {std})", "nn.init.zeros_(m.bias)"]))
        lines = init_loop(clauses)
    definition, rank = {b.id: b.definition for b in model.blocks}, {d: i for i, d in enumerate(classes)}
    zeroed = set()
    for n in s.zeroed:
        b = g.nodes[n]["block"]
        if definition[b] in classes:  # the attribute of the norm in its block: ``bn3``, ``conv3.bn``, ``f.c.1``
            zeroed.add((rank[definition[b]], classes[definition[b]], layout.names[n][len(layout.blocks[b]) + 1 :]))
    for _, cls, attr in sorted(zeroed):
        lines += init_loop([(cls, [f"nn.init.zeros_(m.{attr}.weight)"])])
    return lines


NORMS = {"batchnorm": "nn.BatchNorm2d", "groupnorm": "nn.GroupNorm"}
CONV_INIT = {  # each scheme's conv weight (archc.ir.inits), as its library writes it
    "kaiming_normal_fan_out": ['nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")'],
    "normal_fan_out": ["fan_out = m.kernel_size[0] * m.kernel_size[1] * m.out_channels",
                       "nn.init.normal_(m.weight, mean=0.0, std=math.sqrt(2.0 / fan_out))"],
    "normal_fan_out_per_group": ["fan_out = m.kernel_size[0] * m.kernel_size[1] * m.out_channels // m.groups",
                                 "nn.init.normal_(m.weight, mean=0.0, std=math.sqrt(2.0 / fan_out))"],
    "trunc_normal_0.02": ["trunc_normal_(m.weight, std=0.02)"],  # timm's own trunc_normal_ (a helper)
    "torch_trunc_normal_0.02": ["nn.init.trunc_normal_(m.weight, std=0.02)"],
}  # fmt: skip


def drop_path_rates(model: BlockModel) -> str:
    """timm's ``calculate_drop_path_rates``: the model's ``drop_path_rate`` raised linearly over the blocks, one
    list per stage (``dp_rates``)."""
    depths = [len(stage.blocks) for stage in model.stages]
    return f"dp_rates = [x.tolist() for x in torch.linspace(0, drop_path_rate, {sum(depths)}).split({depths})]"


ONES_ZEROS = ["nn.init.ones_(m.weight)", "nn.init.zeros_(m.bias)"]  # a norm's affine parameters
ZERO_BIAS = ["if m.bias is not None:", "    nn.init.zeros_(m.bias)"]


def init_loop(clauses: list[tuple[str, list[str]]]) -> list[str]:
    """``for m in self.modules():`` with one ``if`` / ``elif isinstance(m, <kind>):`` per (kind, body lines);
    nothing without a clause."""
    lines = [ln for i, (kind, body) in enumerate(clauses)
             for ln in [f"    {'elif' if i else 'if'} isinstance(m, {kind}):", *("        " + b for b in body)]]  # fmt: skip
    return ["for m in self.modules():", *lines] if lines else []
