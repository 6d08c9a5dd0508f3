"""``archc cost SPEC...``: exact params, MACs, FLOPs, depth and activations, in Table 1 layout or JSON."""

from __future__ import annotations

import json

from archc.api import PROFILES
from archc.commands.common import add_specs_argument, input_size
from archc.counters import report
from archc.pipeline import compile_all
from archc.reports import layers, text
from archc.reports.layers import MAX_DEPTH
from archc.reports.summary import per_layer, summary


def register(parser) -> None:
    add_specs_argument(parser)
    parser.add_argument("--json", action="store_true", help="machine-readable output (see README 'JSON')")
    parser.add_argument(
        "--per-layer", action="store_true", help="a tree: stages, blocks, ops, with %% of params and MACs"
    )
    parser.add_argument(
        "--depth", type=int, choices=range(1, MAX_DEPTH + 1), metavar="N",
        help="with --per-layer (implied): 1 stages, 2 blocks, 3 ops (default)",
    )  # fmt: skip
    parser.add_argument(
        "--profile",
        choices=PROFILES,
        default=None,
        help="layer names of --per-layer (default: the spec's PyTorch profile, names.pytorch)",
    )
    parser.add_argument("--input-size", type=input_size, metavar="H[xW]", help="override the spec's input size")
    parser.add_argument(
        "--counters",
        action="store_true",
        help="what FlopCounterMode, fvcore, ptflops and thop print for the generated PyTorch model (README"
        " 'Which number is which'); replaces the stage table",
    )
    parser.add_argument("--by-kind", action="store_true", help="with --counters: each counter's figure per op kind")


def run(args) -> int:
    if args.depth is not None:
        args.per_layer = True
    compiled = compile_all(args.specs, args.input_size)
    counters = args.counters or args.by_kind
    if args.json:
        docs = []
        for c in compiled:
            doc = summary(c)
            if args.per_layer:
                doc["layers"] = per_layer(c, args.profile)
            if counters:
                doc.update(report.json_keys(c, args.by_kind))
            docs.append(doc)
        print(json.dumps(docs[0] if len(docs) == 1 else docs, indent=2, ensure_ascii=False))
        return 0
    if counters:
        print(report.text(compiled, args.by_kind))
        return 0
    print("\n\n".join(_human(c, args) for c in compiled))
    return 0


def _human(c, args) -> str:
    s = summary(c)
    title = f"{s['name']} · {s['spec']} · input {text.shape(s['input_shape'])}"
    body = layers.render(c, args.profile, args.depth or MAX_DEPTH) if args.per_layer else _stage_table(s)
    return f"{title}\n{body}\n{text.totals_line(s)}"


def _stage_table(s: dict) -> str:
    def row(name, part, blocks="-"):
        return [
            name,
            text.shape(part["output_shape"]),
            str(blocks),
            text.grouped(part["params"]),
            text.grouped(part["macs"]),
        ]

    rows = [row("stem", s["stem"])]
    rows += [row(st["name"], st, st["blocks"]) for st in s["stages"]]
    rows.append(row("head", s["head"]))
    rows.append(["total", "", "", text.grouped(s["params"]), text.grouped(s["macs"])])
    return text.table(["stage", "output", "blocks", "params", "MACs"], rows, right={2, 3, 4})
