"""``archc check SPEC... [--output-format text|json|github]``: validate specs (YAML, schema, extends, shapes)
without writing anything.

``json`` prints every diagnostic as an object on stdout (``[]`` when all specs are valid), for editors;
``github`` prints GitHub Actions ``::error file=…,line=…`` commands, so CI annotates the spec's lines.
The exit code is the same in every format: 0 valid, 2 invalid.
"""

from __future__ import annotations

import json

from archc.commands.common import add_specs_argument
from archc.diagnostics import EXIT_INVALID, SpecError, to_github, to_json
from archc.pipeline import compile_all

FORMATS = ("text", "json", "github")


def register(parser) -> None:
    add_specs_argument(parser)
    parser.add_argument(
        "--output-format", choices=FORMATS, default="text", help="text (default), json (editors), github (CI)"
    )


def run(args) -> int:
    if args.output_format == "text":
        for c in compile_all(args.specs):
            print(f"{c.loaded.path}: ok ({c.spec.name})")
        return 0
    try:
        compile_all(args.specs)
        diagnostics = []
    except SpecError as exc:
        diagnostics = exc.diagnostics
    if args.output_format == "json":
        print(json.dumps(to_json(diagnostics), indent=2, ensure_ascii=False))
    elif diagnostics:
        print(to_github(diagnostics))
    return EXIT_INVALID if diagnostics else 0
