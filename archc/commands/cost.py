"""``archc cost SPEC...``: exact params, MACs, FLOPs, depth and activations, in Table 1 layout or JSON."""

from __future__ import annotations

import json

from archc.commands.common import add_specs_argument, input_size
from archc.pipeline import compile_all
from archc.reports import text
from archc.reports.summary import per_layer, summary


def register(parser) -> None:
    add_specs_argument(parser)
    parser.add_argument("--json", action="store_true", help="machine-readable output (see README 'JSON')")
    parser.add_argument("--per-layer", action="store_true", help="one row per op")
    parser.add_argument("--input-size", type=input_size, metavar="H[xW]", help="override the spec's input size")


def run(args) -> int:
    compiled = compile_all(args.specs, args.input_size)
    if args.json:
        docs = []
        for c in compiled:
            doc = summary(c)
            if args.per_layer:
                doc["layers"] = per_layer(c)
            docs.append(doc)
        print(json.dumps(docs[0] if len(docs) == 1 else docs, indent=2, ensure_ascii=False))
        return 0
    print("\n\n".join(_human(c, args.per_layer) for c in compiled))
    return 0


def _human(c, layers: bool) -> str:
    s = summary(c)
    title = f"{s['name']} · {s['spec']} · input {text.shape(s['input_shape'])}"
    body = _layer_table(c) if layers else _stage_table(s)
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


def _layer_table(c) -> str:
    rows = [
        [r["name"], r["op"], text.shape(r["output_shape"]), text.grouped(r["params"]), text.grouped(r["macs"])]
        for r in per_layer(c)
    ]
    return text.table(["layer", "op", "output", "params", "MACs"], rows, right={3, 4})
