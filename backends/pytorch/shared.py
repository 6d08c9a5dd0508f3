"""What several layouts print alike: the weight initialisation, read from the layout's scheme
(:func:`init_weights`), timm's drop path rates per stage, and the modules of a separate downsampling layer in
front of a stage (norm, then a conv of kernel = stride: ConvNeXt's).
"""

from __future__ import annotations

import re

import networkx as nx

from archc.ir.blocks import BlockDef, BlockModel

from .printers import EmitError


def downsample_modules(downs: list, norm: str, cin: str, cout: str) -> list[str]:
    """The modules of the stages' one separate downsampling layer: ``norm`` (where it has one), then a conv of
    kernel = stride from ``cin`` to ``cout`` channels; E403 where the stages' layers differ."""
    if len({(x.norm, x.bias) for x in downs}) > 1:
        raise EmitError("stages whose downsampling layers differ (one form for every stage)", ("downsample",))
    bias = ", bias=False" * (not downs[0].bias) if downs else ""
    conv = f"nn.Conv2d({cin}, {cout}, kernel_size=stride, stride=stride{bias})"
    return [norm, conv] if not downs or downs[0].norm else [conv]


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
        ops = {op for _, op in g.nodes(data="op")}
        norms = [kind for op, kind in NORMS.items() if op in ops]
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
        attr = re.sub(r"[.]([0-9]+)", r"[\1]", attr)  # an nn.Sequential's child by its index: ``f.c[1]``
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
