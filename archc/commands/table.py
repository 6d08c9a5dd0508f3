"""``archc table SPEC... [--format markdown|latex] [--exact]``: the ResNet paper's Table 1 layout.

The table is derived from the compiled IRs by :mod:`archc.reports.table1` and printed by
:mod:`archc.reports.table1_text`; this module only parses the arguments.
"""

from __future__ import annotations

from archc.api import TABLE_FORMATS, table
from archc.commands.common import add_specs_argument


def register(parser) -> None:
    add_specs_argument(parser)
    parser.add_argument("--format", choices=TABLE_FORMATS, default="markdown", help="default markdown")
    parser.add_argument("--exact", action="store_true", help="add rows with the exact multiply-add and param counts")


def run(args) -> int:
    print(table(*args.specs, format=args.format, exact=args.exact))
    return 0
