"""``archc cost SPEC...``: exact params, MACs, FLOPs, depth and activations, in Table 1 layout or JSON."""

from __future__ import annotations

import json

from archc.commands.common import add_specs_argument, input_size
from archc.diagnostics import SpecError
from archc.reports import text


def register(parser) -> None:
    add_specs_argument(parser)
    parser.add_argument("--json", action="store_true", help="machine-readable output (see README 'JSON')")
    parser.add_argument("--per-layer", action="store_true", help="one row per op")
    parser.add_argument("--input-size", type=input_size, metavar="H[xW]", help="override the spec's input size")
    parser.add_argument("--no-cache", action="store_true", help="recompile even when a cached summary is fresh")


def run(args) -> int:
    if args.per_layer:
        from archc.pipeline import compile_all
        from archc.reports.summary import per_layer, summary

        compiled = compile_all(args.specs, args.input_size)
        docs = [{**summary(c), "layers": per_layer(c)} for c in compiled]
        tables = [_layer_table(per_layer(c)) for c in compiled]
    else:
        docs = summaries(args.specs, args.input_size, use_cache=not args.no_cache)
        tables = [_stage_table(doc) for doc in docs]
    if args.json:
        print(json.dumps(docs[0] if len(docs) == 1 else docs, indent=2, ensure_ascii=False))
        return 0
    print("\n\n".join(_human(doc, table) for doc, table in zip(docs, tables)))
    return 0


def summaries(refs: list[str], input_size, use_cache: bool) -> list[dict]:
    """Each spec's ``cost --json`` object: from the cache when fresh (:mod:`archc.cache`), else compiled (and
    stored). All errors of all specs are reported together, as ``compile_all`` does."""
    from archc import cache

    where = cache.folder() if use_cache else None
    docs, errors = [], []
    for ref in refs:
        try:
            docs.append(_summary(ref, input_size, where))
        except SpecError as exc:
            errors.extend(exc.diagnostics)
    if errors:
        raise SpecError(errors)
    return docs


def _summary(ref: str, input_size, where) -> dict:
    from archc import cache

    hexkey, _ = cache.key(ref, input_size) if where is not None else (None, None)
    hit = cache.lookup(where, hexkey) if where is not None else None
    if hit is not None:
        return hit
    from archc.pipeline import compile_spec
    from archc.reports.summary import summary

    compiled = compile_spec(ref, input_size=input_size)
    doc = summary(compiled)
    if where is not None:
        cache.store(where, hexkey, compiled.loaded.files, doc)
    return doc


def _human(s: dict, body: str) -> str:
    title = f"{s['name']} · {s['spec']} · input {text.shape(s['input_shape'])}"
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


def _layer_table(layers: list[dict]) -> str:
    rows = [
        [r["name"], r["op"], text.shape(r["output_shape"]), text.grouped(r["params"]), text.grouped(r["macs"])]
        for r in layers
    ]
    return text.table(["layer", "op", "output", "params", "MACs"], rows, right={3, 4})
