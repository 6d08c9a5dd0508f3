"""``archc cost SPEC...``: exact params, MACs, FLOPs, depth and activations, in Table 1 layout or JSON.

Without ``--per-layer`` the summaries come from the summary cache when it is fresh (:mod:`archc.cache`), and
nothing heavy is imported at module level: a cache hit never loads pydantic, networkx or the YAML parser.
"""

from __future__ import annotations

from archc.commands.common import add_specs_argument, input_size
from archc.diagnostics import SpecError, usage_error
from archc.output import add_output_arguments, chosen_format, emit, to_csv, to_json, to_markdown
from archc.reports import text

PROFILES = ("torchvision", "timm", "keras")  # = archc.api.PROFILES (tested); not imported: it would load the compiler
MAX_DEPTH = 3  # = archc.reports.layers.MAX_DEPTH (tested)
# The scalar keys of `cost --format json`, the columns of --format csv / markdown (the same names as compare's).
COLUMNS = ["name", "spec", "input_shape", "output_shape", "params", "buffers", "keras_params", "macs", "flops",
           "depth", "activations"]  # fmt: skip
LAYER_COLUMNS = ["spec", "id", "name", "op", "output_shape", "params", "macs"]


def register(parser) -> None:
    add_specs_argument(parser)
    add_output_arguments(parser, ["text", "json", "csv", "markdown"], aliases=("json",))
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
        " 'Which number is which'); replaces the stage table (after the tree with --per-layer)",
    )
    parser.add_argument("--by-kind", action="store_true", help="each counter's figure per op kind (implies --counters)")
    parser.add_argument("--no-cache", action="store_true", help="recompile even when a cached summary is fresh")


def run(args) -> int:
    fmt = chosen_format(args)
    if args.depth is not None:
        args.per_layer = True
    _check_options(args, fmt)
    if args.per_layer or args.counters or args.by_kind:
        emit(_compiled_report(args, fmt), args.out)
        return 0
    docs = summaries(args.specs, args.input_size, use_cache=not args.no_cache)
    if fmt == "json":
        emit(to_json(docs[0] if len(docs) == 1 else docs), args.out)
    elif fmt in ("csv", "markdown"):
        emit((to_csv if fmt == "csv" else to_markdown)(docs, COLUMNS), args.out)
    else:
        emit("\n\n".join(_human(doc, _stage_table(doc)) for doc in docs), args.out)
    return 0


def _check_options(args, fmt: str) -> None:
    """Options that would be ignored are mistakes to report, not to drop silently."""
    if args.profile is not None and not args.per_layer:
        raise usage_error(
            "E600",
            f"--profile {args.profile} names the layers of --per-layer, and there is no --per-layer",
            f"add --per-layer (archc cost {' '.join(args.specs)} --per-layer --profile {args.profile})",
        )
    if args.by_kind and not args.counters:
        args.counters = True  # --by-kind implies --counters (as --depth implies --per-layer)
    if fmt in ("csv", "markdown") and args.counters:
        raise usage_error("E600", f"--counters prints text or json, not {fmt}", "use --format text or --format json")
    if fmt == "markdown" and args.per_layer:
        raise usage_error("E600", "--per-layer prints text, json or csv, not markdown", "use --format csv or json")


def _compiled_report(args, fmt: str) -> str:
    """``--per-layer`` / ``--depth`` and ``--counters`` / ``--by-kind``: always a full compile (no cache); both
    together print the tree, then the counters."""
    from archc.counters import report
    from archc.pipeline import compile_all
    from archc.reports import layers
    from archc.reports.summary import per_layer, summary

    compiled = compile_all(args.specs, args.input_size)
    if fmt == "json":
        docs = []
        for c in compiled:
            doc = summary(c)
            if args.per_layer:
                doc["layers"] = per_layer(c, args.profile)
            if args.counters:
                doc.update(report.json_keys(c, args.by_kind))
            docs.append(doc)
        return to_json(docs[0] if len(docs) == 1 else docs)
    if fmt == "csv":  # --per-layer: one row per op of every spec
        rows = [{"spec": c.loaded.key, **r} for c in compiled for r in per_layer(c, args.profile)]
        return to_csv(rows, LAYER_COLUMNS)
    parts = []
    if args.per_layer:
        bodies = [(summary(c), layers.render(c, args.profile, args.depth or MAX_DEPTH)) for c in compiled]
        parts.append("\n\n".join(_human(s, body) for s, body in bodies))
    if args.counters:
        parts.append(report.text(compiled, args.by_kind))
    return "\n\n".join(parts)


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

    try:
        hexkey, _ = cache.key(ref, input_size) if where is not None else (None, None)
    except OSError:  # a file that cannot be read (missing, a folder): the compiler says so (E100), uncached
        where = None
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
