"""``archc verify SPEC... [--backend pytorch|keras|all] [--format text|json|csv] [--out FILE]``: check the
generated code against the IR.

Builds each backend's code in memory, instantiates it in the installed frameworks and compares params,
MACs and stage / output shapes with the IR (see :mod:`archc.frameworks.verify`). Exit 1 on any difference,
listing where; a framework that is not installed is skipped with a note. Text on stdout is printed line by
line as each check finishes; the other formats (and ``--out``) once all are done.
"""

from __future__ import annotations

import sys

from archc.commands.common import add_specs_argument
from archc.diagnostics import EXIT_DIFFERENCE
from archc.frameworks.keras_backends import add_argument as add_keras_backend
from archc.output import add_output_arguments, chosen_format, emit, to_csv, to_json

CHECK_COLUMNS = ["spec", "framework", "key", "item", "expected", "actual", "ok", "skipped"]
# A check's item as the key `archc cost --format json` gives the same quantity ("MACs" → macs).
KEYS = {"MACs": "macs", "output shape": "output_shape", "input shape": "input_shape"}


def key_of(item: str) -> str:
    """``params``, ``macs``, ``output_shape``, …; a stage's shape as ``stages.<name>.output_shape``."""
    if item.startswith("stage ") and item.endswith(" shape"):
        return f"stages.{item[len('stage ') : -len(' shape')]}.output_shape"
    return KEYS.get(item, item)


def register(parser) -> None:
    add_specs_argument(parser)
    parser.add_argument("--backend", choices=["pytorch", "keras", "all"], default="all", help="default all")
    add_output_arguments(parser, ["text", "json", "csv"], aliases=("json",))
    add_keras_backend(parser)


def run(args) -> int:
    from archc.frameworks.verify import FRAMEWORKS, each_result, report
    from archc.pipeline import compile_all

    fmt = chosen_format(args)
    compiled = compile_all(args.specs)
    frameworks = list(FRAMEWORKS) if args.backend == "all" else [args.backend]
    streaming = fmt == "text" and args.out in (None, "-")
    results = []
    for result in each_result(compiled, frameworks, args.keras_backend):  # each line as soon as its check is done
        if streaming:
            print(report([result]), flush=True)
        results.append(result)
    if fmt == "json":
        emit(to_json([as_dict(r) for r in results]), args.out)
    elif fmt == "csv":
        emit(to_csv([row for r in results for row in check_rows(r)], CHECK_COLUMNS), args.out)
    elif not streaming:
        emit(report(results), args.out)
    if all(r.skipped for r in results):
        print("nothing verified: no framework installed (pip install torch / tensorflow-cpu)", file=sys.stderr)
    if any(not r.ok for r in results):
        print(f"{sum(not r.ok for r in results)} model(s) differ from the IR", file=sys.stderr)
        return EXIT_DIFFERENCE
    return 0


def as_dict(r) -> dict:
    """A result as ``archc verify --format json`` prints it."""
    checks = [
        {"key": key_of(c.item), "item": c.item, "expected": c.expected, "actual": c.actual, "ok": c.ok}
        for c in r.checks
    ]
    return {"spec": r.spec, "framework": r.framework, "ok": r.ok, "skipped": r.skipped or None, "checks": checks}


def check_rows(r) -> list[dict]:
    base = {"spec": r.spec, "framework": r.framework}
    if r.skipped:
        return [{**base, "skipped": r.skipped}]
    return [
        {**base, "key": key_of(c.item), "item": c.item, "expected": c.expected, "actual": c.actual, "ok": c.ok}
        for c in r.checks
    ]
