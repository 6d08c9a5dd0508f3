"""``archc table SPEC... [--format markdown|latex] [--out FILE] [--exact]``: the ResNet paper's Table 1 layout.

The table is derived from the compiled IRs by :mod:`archc.reports.table1` and printed by
:mod:`archc.reports.table1_text`; this module only parses the arguments.
"""

from __future__ import annotations

from archc.api import TABLE_FORMATS, table
from archc.commands.common import add_specs_argument
from archc.output import add_output_arguments, chosen_format, emit


def register(parser) -> None:
    add_specs_argument(parser)
    add_output_arguments(parser, list(TABLE_FORMATS), default="markdown", aliases=("markdown", "latex"))
    parser.add_argument("--exact", action="store_true", help="add rows with the exact multiply-add and param counts")


def run(args) -> int:
    fmt = chosen_format(args)
    emit(table(*args.specs, format=fmt, exact=args.exact), args.out)
    return 0
