"""The ResNet paper's Table 1 layout, derived from compiled IRs (``archc table``).

Rows: the stem convolution (``conv1``), one row per stage (``conv2_x`` …) whose cell is the stage's first
block written as the paper does (``[3×3, 64; 3×3, 64] ×2``, stem pooling in front of the first stage),
the pooling / fc row and the FLOPs row. Everything is read from the IR (main-path convolutions of each
stage's first block, shapes, costs) and the spec's metadata; nothing is hard-coded per model.
The paper's "FLOPs" are multiply-adds (MACs); archc prints its exact count at one decimal and shows the
paper's printed figure (``metadata.paper_flops``) beside it where the two differ.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from archc.pipeline import Compiled, compile_spec
from archc.reports.summary import summary
from archc.spec.loader import LoadedSpec

SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


@dataclass(frozen=True)
class Block:
    """A bracketed building block: ``[(kernel, width, groups), …] × repeat``."""

    convs: tuple[tuple[int, int, int], ...]
    repeat: int
    se: tuple[int, int] | None = None  # squeeze-and-excitation widths (reduced, expanded)

    def conv_texts(self, times: str = "×") -> list[str]:
        """``3×3, 128`` per conv, with ``C=32`` for grouped convs (the ResNeXt paper's notation) and
        ``fc, [16, 256]`` for squeeze-and-excitation (the SENet paper's)."""
        texts = [f"{k}{times}{k}, {w}" + (f", C={gr}" if gr != 1 else "") for k, w, gr in self.convs]
        return texts + ([f"fc, [{self.se[0]}, {self.se[1]}]"] if self.se else [])


@dataclass(frozen=True)
class Flops:
    mantissa: str  # "3.7"
    exponent: int  # 9
    paper: str | None  # the paper's printed figure when it differs, e.g. "3.6×10⁹"


Part = str | Block | Flops


@dataclass
class Row:
    name: str
    size: str
    cells: list[list[Part]]  # one list of parts per model


@dataclass
class Table1:
    columns: list[str]  # "18-layer", …
    rows: list[Row]
    notes: list[str] = field(default_factory=list)


def exponent_of(values: list[int]) -> int:
    """The power of ten of the smallest value: one exponent for a whole row, as the paper prints it."""
    smallest = min(values)
    return max(0, math.floor(math.log10(smallest))) if smallest > 0 else 0


def cell_exponent(macs: int, common: int) -> int:
    """The row's common power of ten, unless it would print three or more digits before the point
    (``181.4×10⁷`` in a table mixing CIFAR and ImageNet models): then the value's own (``1.8×10⁹``)."""
    return common if macs < 100 * 10**common else exponent_of([macs])


def sci(macs: int, exponent: int | None = None) -> tuple[str, int]:
    """``3,663,761,408`` → ``("3.7", 9)``: one decimal at the given (default: its own) power of ten."""
    exponent = exponent_of([macs]) if exponent is None else exponent
    return f"{macs / 10**exponent:.1f}", exponent


def sci_text(mantissa: str, exponent: int) -> str:
    return f"{mantissa}×10{str(exponent).translate(SUPERSCRIPT)}"


def _dims(shape) -> str:
    return "×".join(str(d) for d in shape[1:]) if len(shape) == 3 else "1×1"


def _stem_parts(c: Compiled) -> tuple[list[str], list[str], str]:
    """(conv texts, pool texts, conv output size) of the stem."""
    g = c.graph
    convs, pools, size = [], [], ""
    for _, d in g.nodes(data=True):
        if d["scope"][0] != "stem" or d["op"] not in ("conv", "maxpool", "avgpool"):
            continue
        a = d["attrs"]
        if d["op"] == "conv":
            stride = f", stride {a['stride'][0]}" if a["stride"][0] != 1 else ""
            convs.append(f"{'×'.join(map(str, a['kernel']))}, {a['out_channels']}{stride}")
            size = _dims(d["shape"])
        else:
            pools.append(_pool_text(d))
    return convs, pools, size


def _stage_parts(c: Compiled, index: int) -> list[Part]:
    """The stage's first block as a bracket, then any pooling that closes the stage (VGG)."""
    g = c.graph
    block = [d for _, d in g.nodes(data=True) if d["scope"] == ("stage", index, 0)]
    se = [d["attrs"]["out_channels"] for d in block if d["op"] == "conv" and d["role"] in ("se_reduce", "se_expand")]
    convs = tuple(
        (d["attrs"]["kernel"][0], d["attrs"]["out_channels"], d["attrs"].get("groups", 1))
        for d in block
        if d["op"] == "conv" and d["main_path"]
    )
    parts: list[Part] = [Block(convs, g.graph["stages"][index].blocks, tuple(se) if len(se) == 2 else None)]
    for _, d in g.nodes(data=True):
        if d["scope"][:2] == ("stage", index) and not isinstance(d["scope"][2], int) and d["op"] in _POOLS:
            parts.append(_pool_text(d))
    return parts


_POOLS = ("maxpool", "avgpool")


def _pool_text(d: dict) -> str:
    a = d["attrs"]
    stride = f", stride {a['stride'][0]}" if a["stride"][0] != 1 else ""
    return f"{'×'.join(map(str, a['kernel']))} {d['op'][:3]} pool{stride}"


def _head_row(compiled: list[Compiled]) -> Row:
    """The pooling / fc row: its output size is the pooled map (1×1 after global pooling)."""
    sizes, cells = [], []
    for c in compiled:
        g, head = c.graph, c.spec.head
        pools = [d for _, d in g.nodes(data=True) if d["scope"] == ("head",) and d["op"].endswith("pool")]
        sizes.append(_dims(pools[0]["shape"]) if pools else _dims(g.nodes[g.graph["stages"][-1].output]["shape"]))
        if head.features_only:
            cells.append(["features only (every stage's output)"])
            continue
        kind = {"avg": "average pool", "max": "max pool"}.get(head.pool)
        parts = [f"{head.pool_size}×{head.pool_size} adaptive {kind}" if kind and head.pool_size != 1 else kind]
        parts += [f"{w}-d fc" for w in head.hidden] + [f"{head.classes}-d fc", "softmax"]
        cells.append([", ".join(p for p in parts if p)])
    return Row("", _size(sizes), cells)


def _flops(c: Compiled, exponent: int) -> Flops:
    macs = summary(c)["macs"]
    mantissa, exponent = sci(macs, cell_exponent(macs, exponent))
    printed = c.spec.metadata.paper_flops
    ours = sci_text(mantissa, exponent)
    return Flops(mantissa, exponent, printed if printed and printed != ours else None)


def _size(values: list[str | None]) -> str:
    """One size when every model that has the row agrees; otherwise one per column, in column order
    (``–`` where a model has no such row), so each size can be read against its column."""
    present = {v for v in values if v}
    if len(present) <= 1:
        return next(iter(present), "")
    return " / ".join(v or "–" for v in values)


def _label(names: list[str]) -> str:
    """The row's name: the stage name all models share, else each distinct one once (``conv5_x / block4_x``)."""
    return " / ".join(dict.fromkeys(names))


def build_table(compiled: list[Compiled]) -> Table1:
    stems = [_stem_parts(c) for c in compiled]
    rows = [Row("conv1", _size([s[2] or None for s in stems]), [list(s[0]) or ["–"] for s in stems])]
    if not any(s[0] for s in stems):  # no stem convolution anywhere (VGG): no conv1 row
        rows = []
    for i in range(max(len(c.graph.graph["stages"]) for c in compiled)):
        cells, sizes = [], []
        for c, (_, pools, _) in zip(compiled, stems):
            stages = c.graph.graph["stages"]
            if i >= len(stages):
                cells.append(["–"])
                sizes.append(None)
                continue
            sizes.append(_dims(c.graph.nodes[stages[i].output]["shape"]))
            cells.append([*(pools if i == 0 else []), *_stage_parts(c, i)])
        names = [c.graph.graph["stages"][i].name for c in compiled if i < len(c.graph.graph["stages"])]
        rows.append(Row(_label([f"{n}_x" for n in names]), _size(sizes), cells))
    rows.append(_head_row(compiled))
    exponent = exponent_of([summary(c)["macs"] for c in compiled])
    rows.append(Row("FLOPs", "", [[_flops(c, exponent)] for c in compiled]))
    columns = [f"{summary(c)['depth']}-layer" for c in compiled]
    if len(set(columns)) < len(columns):  # same depth twice: name the columns by spec instead
        columns = [c.loaded.key for c in compiled]
    return Table1(columns, rows, notes(compiled, exponent))


def exact_rows(compiled: list[Compiled]) -> list[Row]:
    """``--exact``: the exact multiply-add and parameter counts."""
    sums = [summary(c) for c in compiled]
    return [
        Row("multiply-adds", "", [[f"{s['macs']:,}"] for s in sums]),
        Row("params", "", [[f"{s['params']:,}"] for s in sums]),
    ]


def flipped_stride(c: Compiled) -> Compiled:
    """The same spec with the bottleneck stride on the other conv (paper 1×1 ↔ torchvision 3×3)."""
    other = "3x3" if c.spec.stride_at == "1x1" else "1x1"
    spec = c.spec.model_copy(update={"stride_at": other})
    loaded = c.loaded
    return compile_spec(LoadedSpec(spec, loaded.marks, loaded.path, loaded.builtin, loaded.sha256))


def _two_decimals(c: Compiled, exponent: int) -> str:
    macs = summary(c)["macs"]
    exponent = cell_exponent(macs, exponent)
    return sci_text(f"{macs / 10**exponent:.2f}", exponent)


def _moved(c: Compiled, exponent: int) -> tuple[str, int]:
    """The MACs of ``c`` with its bottleneck stride on the other conv, at the table's scale for ``c``."""
    macs = summary(flipped_stride(c))["macs"]
    return sci(macs, cell_exponent(summary(c)["macs"], exponent))


_PLACES = {
    "1x1": ("first 1×1 conv (as the paper, Caffe and keras.applications do)", "3×3 (torchvision's ResNet v1.5)"),
    "3x3": ("3×3 conv (torchvision's ResNet v1.5)", "first 1×1 (the paper)"),
}


def notes(compiled: list[Compiled], exponent: int) -> list[str]:
    """Footnotes, with the figures they quote computed from the specs."""
    out = [
        "FLOPs, as in the paper, are multiply-adds (MACs) of the conv and fc layers; archc prints its exact "
        "count at one decimal (FLOPs in the 2 × MACs convention of torch's counter are twice as many)."
    ]
    declared = [c for c in compiled if c.spec.metadata.paper_flops]
    differs = [c for c in declared if _flops(c, exponent).paper]
    if differs:
        agree = [c for c in declared if c not in differs]
        quoted = ", ".join(f"{_two_decimals(c, exponent)} as {c.spec.metadata.paper_flops}" for c in differs)
        but = ", ".join(f"{_two_decimals(c, exponent)} as {c.spec.metadata.paper_flops}" for c in agree)
        out.append(
            "In parentheses: the paper's printed figure where it differs from archc's. The paper is neither "
            f"consistently rounded nor truncated: it prints {quoted}" + (f", but {but}" if but else "") + "; "
            "archc rounds its exact count (`--exact`)."
        )
    for stride_at, (here, there) in _PLACES.items():
        group = [c for c in compiled if c.spec.block == "bottleneck" and c.spec.stride_at == stride_at]
        if group:
            moved = [_moved(c, exponent) for c in group]
            same = len({m[1] for m in moved}) == 1
            figures = [m[0] if same else sci_text(*m) for m in moved]
            scale = f" ×10{str(moved[0][1]).translate(SUPERSCRIPT)}" if same else ""
            out.append(
                f"Stride placement: {', '.join(c.spec.name for c in group)} put a stage's stride on the "
                f"bottleneck's {here}; with it on the {there} the same networks cost "
                f"{', '.join(figures)}{scale} multiply-adds (parameters unchanged)."
            )
    return out
