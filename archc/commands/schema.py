"""``archc schema [--out FILE]``: print the JSON Schema of the spec language (see :mod:`archc.spec.json_schema`).

The repository commits it as ``archc-spec.schema.json``; refresh it with ``archc schema --out archc-spec.schema.json``.
"""

from __future__ import annotations

from archc.output import add_output_arguments, chosen_format, emit
from archc.spec.json_schema import schema_text


def register(parser) -> None:
    add_output_arguments(parser, ["json"], default="json")


def run(args) -> int:
    chosen_format(args)  # json is the one format; a wrong --format or a missing --out folder is refused
    emit(schema_text(), args.out)
    return 0
