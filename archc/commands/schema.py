"""``archc schema``: print the JSON Schema of the spec language (see :mod:`archc.spec.json_schema`).

The repository commits it as ``archc-spec.schema.json``; refresh it with ``archc schema > archc-spec.schema.json``.
"""

from __future__ import annotations

import sys

from archc.spec.json_schema import schema_text


def register(parser) -> None:
    del parser  # no options


def run(args) -> int:
    sys.stdout.write(schema_text())
    return 0
