"""``archc check SPEC... [--format text|json|github] [--out FILE]``: validate specs (YAML, schema, extends,
shapes) without writing anything.

``json`` prints every diagnostic as an object (``[]`` when all specs are valid), for editors; ``github``
prints GitHub Actions ``::error file=…,line=…`` commands, so CI annotates the spec's lines. ``--output-format``
(0.1.0's name, as ruff spells it) is an alias of ``--format``. The exit code is the same in every format:
0 valid, 2 invalid.
"""

from __future__ import annotations

from archc.commands.common import add_specs_argument
from archc.diagnostics import EXIT_INVALID, SpecError, to_github
from archc.output import add_output_arguments, chosen_format, emit, to_json

FORMATS = ("text", "json", "github")


def register(parser) -> None:
    add_specs_argument(parser)
    add_output_arguments(parser, list(FORMATS), aliases=("json",))
    parser.add_argument("--output-format", dest="format", choices=FORMATS, help="same as --format")


def run(args) -> int:
    from archc.pipeline import compile_all

    fmt = chosen_format(args)
    if fmt == "text":
        emit("\n".join(f"{c.loaded.path}: ok ({c.spec.name})" for c in compile_all(args.specs)), args.out)
        return 0
    from archc.diagnostics import to_json as diagnostics_json

    try:
        compile_all(args.specs)
        diagnostics = []
    except SpecError as exc:
        diagnostics = exc.diagnostics
    if fmt == "json":
        emit(to_json(diagnostics_json(diagnostics)), args.out)
    else:
        emit(to_github(diagnostics), args.out)  # nothing for valid specs (an empty file with --out)
    return EXIT_INVALID if diagnostics else 0
