"""``archc check SPEC...``: validate specs (YAML, schema, extends, shapes) without writing anything."""

from __future__ import annotations

from archc.commands.common import add_specs_argument
from archc.pipeline import compile_all


def register(parser) -> None:
    add_specs_argument(parser)


def run(args) -> int:
    for c in compile_all(args.specs):
        print(f"{c.loaded.path}: ok ({c.spec.name})")
    return 0
