"""``archc verify SPEC... [--backend pytorch|keras|all]``: check the generated code against the IR.

Builds each backend's code in memory, instantiates it in the installed frameworks and compares params,
MACs and stage / output shapes with the IR (see :mod:`archc.frameworks.verify`). Exit 1 on any difference,
listing where; a framework that is not installed is skipped with a note.
"""

from __future__ import annotations

import sys

from archc.commands.common import add_specs_argument
from archc.diagnostics import EXIT_DIFFERENCE
from archc.frameworks.keras_backends import add_argument as add_keras_backend
from archc.pipeline import compile_all


def register(parser) -> None:
    add_specs_argument(parser)
    parser.add_argument("--backend", choices=["pytorch", "keras", "all"], default="all", help="default all")
    add_keras_backend(parser)


def run(args) -> int:
    from archc.frameworks.verify import FRAMEWORKS, each_result, report

    compiled = compile_all(args.specs)
    frameworks = list(FRAMEWORKS) if args.backend == "all" else [args.backend]
    results = []
    for result in each_result(compiled, frameworks, args.keras_backend):  # each line as soon as its check is done
        print(report([result]), flush=True)
        results.append(result)
    if all(r.skipped for r in results):
        print("nothing verified: no framework installed (pip install torch / tensorflow-cpu)", file=sys.stderr)
    if any(not r.ok for r in results):
        print(f"{sum(not r.ok for r in results)} model(s) differ from the IR", file=sys.stderr)
        return EXIT_DIFFERENCE
    return 0
