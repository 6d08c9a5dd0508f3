"""Stage generators: a spec may give ``stages:`` as a few numbers that expand into an ordinary stage table.

``stages: {regnet: {w0, wa, wm, depth, group_width, bottleneck_ratio, se_ratio}}`` is the RegNet rule of
"Designing Network Design Spaces" (Radosavovic et al., 2020), quantised as the paper's code (pycls) and
timm's ``regnet.py`` do:

1. per-block widths ``u_j = w0 + wa·j`` (j < depth), snapped to ``w0 · wm^round(log(u_j / w0) / log(wm))``
   and rounded to a multiple of ``quant`` (8), in float32 as timm computes it;
2. each distinct width is a stage, its block count the number of blocks with that width;
3. widths made compatible with the group width: bottleneck ``int(w·b)``, group width ``min(g, int(w·b))``,
   bottleneck rounded to a multiple of the group width, ``w = int(bottleneck / b)``. ``width_rounding``
   says how: ``round`` is timm's ``quantize_float`` (``round(w / g) · g``, Python's round: halves to even,
   pycls and timm's ``regnet*``); ``make_divisible`` is torchvision's ``_make_divisible(w, g)`` (halves up,
   at least ``g``, one more ``g`` when rounding down lost more than 10 %: torchvision's ``regnet_*`` and
   timm's ``*_tv`` variants, ``group_min_ratio=0.9``).

Each stage strides by 2 on its first block's 3x3 (``stride_at: 3x3`` in the RegNet built-ins). ``se_ratio``
(RegNetY) sets ``se: {ratio: se_ratio, width_of: input, after: 3x3}``.

:func:`expand_generators` is a pure function of the merged YAML data and its marks, run before the spec
is validated, so everything after it (validation, lowering, ``archc table``/``cost``) sees a plain table.
Generated values are located at the generator parameter they come from.
"""

from __future__ import annotations

import difflib
import math
import struct
from fractions import Fraction
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from archc.diagnostics import Diagnostic, SpecError
from archc.ir.blocks import make_divisible
from archc.settings import LIMITS
from archc.spec.locate import to_diagnostics
from archc.spec.yamlread import Marks


class RegNetParams(BaseModel):
    """The RegNet design space's parameters (the paper's w0, wa, wm, d, g, b; timm's RegNetCfg)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)

    w0: Annotated[int, Field(ge=1, le=LIMITS.max_channels)] = Field(description="initial width (a multiple of quant)")
    wa: Annotated[float, Field(ge=0, le=LIMITS.max_channels)] = Field(description="width slope per block")
    wm: Annotated[float, Field(gt=1, le=64)] = Field(description="width multiplier between stages (> 1)")
    depth: Annotated[int, Field(ge=1, le=LIMITS.max_blocks)] = Field(description="total number of blocks")
    group_width: Annotated[int, Field(ge=1, le=LIMITS.max_channels)] = Field(description="channels per group")
    bottleneck_ratio: Annotated[float, Field(gt=0, le=64)] = Field(default=1.0, description="b: inner / out width")
    se_ratio: Annotated[float, Field(gt=0, le=1)] | None = Field(
        default=None, description="RegNetY: SE hidden width round(se_ratio × block input width)"
    )
    quant: Annotated[int, Field(ge=1, le=1024)] = Field(default=8, description="widths are multiples of this")
    stride: Annotated[int, Field(ge=1, le=LIMITS.max_stride)] = Field(default=2, description="stride of each stage")
    width_rounding: Literal["round", "make_divisible"] = Field(
        default="round",
        description="how a bottleneck width is rounded to a multiple of the group width. round: round(w / g) × g,"
        " halves to even (pycls, timm's regnet*); make_divisible: torchvision's _make_divisible(w, g), halves up,"
        " never below g nor 90 % of w (torchvision's regnet_*, timm's *_tv)",
    )


class StageGenerator(BaseModel):
    """``stages:`` written as a generator instead of a table."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)

    regnet: RegNetParams = Field(description="the RegNet rule (Radosavovic et al., 2020)")


class _Wrapper(BaseModel):
    # defer_build: the validators are built when a spec uses a generator, not on every import (archc cost's start-up)
    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)
    stages: StageGenerator


def _f32(x: float) -> float:
    """``x`` rounded to the nearest float32 (IEEE binary32)."""
    return struct.unpack("f", struct.pack("f", x))[0]


def regnet_block_widths(p: RegNetParams) -> list[int]:
    """Step 1: the quantised width of every block (non-decreasing), in float32 arithmetic as timm computes it
    (pycls used float64; the two differ only where a width lands exactly halfway between two multiples of
    ``quant``, e.g. w0 120, wm 2.1: 120 × 2.1 = 252 → 248 in float32, 256 in float64)."""
    w0, wa, wm, log_wm = _f32(p.w0), _f32(p.wa), _f32(p.wm), _f32(math.log(p.wm))
    widths = []
    for j in range(p.depth):
        cont = _f32(_f32(j * wa) + w0)
        exp = float(round(_f32(_f32(math.log(_f32(cont / w0))) / log_wm)))
        width = _f32(_f32(w0 * _f32(wm**exp)) / p.quant)
        widths.append(int(round(width)) * p.quant)
    return widths


def regnet_stages(p: RegNetParams) -> list[dict]:
    """Steps 2-3: ``[{width, blocks, group_width, bottleneck_ratio}, …]``, one per stage (raises ValueError)."""
    widths = regnet_block_widths(p)
    distinct = sorted(set(widths))
    stages = []
    for w in distinct:
        bottleneck = int(w * p.bottleneck_ratio)
        if bottleneck < 1:
            raise ValueError(f"stage width {w} × bottleneck_ratio {p.bottleneck_ratio} leaves 0 channels")
        group = min(p.group_width, bottleneck)
        bottleneck = _round_to_group(bottleneck, group, p.width_rounding)
        width = int(bottleneck / p.bottleneck_ratio)
        if width < 1:
            raise ValueError(f"stage width {w} quantised with group width {group} leaves 0 channels")
        stages.append(
            {"width": width, "blocks": widths.count(w), "group_width": group, "bottleneck_ratio": p.bottleneck_ratio}
        )
    return stages


def _round_to_group(bottleneck: int, group: int, rounding: str) -> int:
    """Step 3's rounding of a bottleneck width to a multiple of its group width (``width_rounding``)."""
    if rounding == "make_divisible":
        return make_divisible(Fraction(bottleneck), group)
    return int(round(bottleneck / group) * group)


def _check(p: RegNetParams) -> tuple[str, str, str] | None:
    """``(key, message, help)`` for parameters the rule cannot use, or None."""
    if p.w0 % p.quant:
        below, above = p.w0 // p.quant * p.quant, (p.w0 // p.quant + 1) * p.quant
        near = f"{below} or {above}" if below else str(above)
        return "w0", f"w0 {p.w0} is not a multiple of quant {p.quant}", f"use a multiple of {p.quant}: {near}"
    return None


def expand_regnet(p: RegNetParams, marks: Marks) -> tuple[list[dict], dict]:
    """The stage table (names s1, s2, …) and the spec keys the generator sets besides ``stages``."""
    problem = _check(p)
    try:
        stages = regnet_stages(p) if problem is None else []
    except ValueError as exc:
        problem = ("bottleneck_ratio", str(exc), "use a larger bottleneck_ratio, w0 or group_width")
    if problem is not None:
        key, message, help = problem
        m = marks.value(("stages", "regnet", key))
        raise SpecError([Diagnostic(m.path, m.line, m.col, "E401", message, help)])
    table = [{"name": f"s{i + 1}", **row, "stride": p.stride} for i, row in enumerate(stages)]
    extra = {}
    if p.se_ratio is not None:
        extra["se"] = {"ratio": p.se_ratio, "width_of": "input", "after": "3x3"}
    return table, extra


# Which generator parameter a generated stage key is located at (diagnostics of later passes).
_ORIGIN = {"width": "w0", "blocks": "depth", "group_width": "group_width", "bottleneck_ratio": "bottleneck_ratio"}


def _generator_like(key: object) -> bool:
    """A generator's name, or a misspelling of one (which then gets a did-you-mean)."""
    return isinstance(key, str) and bool(difflib.get_close_matches(key, list(StageGenerator.model_fields), cutoff=0.6))


def expand_generators(data: dict, marks: Marks) -> dict:
    """``data`` with a ``stages:`` generator replaced by its stage table (``data`` itself if none)."""
    stages = data.get("stages")
    if not isinstance(stages, dict) or not any(_generator_like(k) for k in stages):
        return data  # a table, or a mapping that is no generator: validation says "must be a list"
    try:
        gen = _Wrapper.model_validate({"stages": stages}).stages
    except ValidationError as exc:
        raise SpecError(to_diagnostics(exc, {"stages": stages}, marks, _Wrapper)) from None
    table, extra = expand_regnet(gen.regnet, marks)
    for key in extra:
        if key in data:
            m = marks.value(("stages", "regnet", "se_ratio"))
            message = f"the generator's se_ratio sets '{key}', which the spec also gives"
            raise SpecError([Diagnostic(m.path, m.line, m.col, "E203", message, f"remove '{key}:' or 'se_ratio'")])
    for i, row in enumerate(table):
        for key, param in _ORIGIN.items():
            mark = marks.values.get(("stages", "regnet", param))
            if mark is not None and key in row:
                marks.values[("stages", i, key)] = mark
    return {**data, **extra, "stages": table}
