"""``archc bench SPEC... [--backend pytorch|keras|all] [--device cpu|cuda] [--batch N] [--train] …``.

Measured throughput, latency and peak memory of the generated models beside their params, MACs and the
achieved MAC/s (see :mod:`archc.bench`). Impossible requests are refused with exit 2, ``error[E600]:`` (or
E602: framework not installed) and a ``help:`` line, before any framework is imported.
"""

from __future__ import annotations

import json
import sys

from archc.bench.options import Refusal, add_arguments, settings_from_args
from archc.commands.common import add_specs_argument, input_size
from archc.pipeline import compile_all


def register(parser) -> None:
    add_specs_argument(parser)
    fmt = parser.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="one object per (spec, backend), every measurement")
    fmt.add_argument("--markdown", action="store_true", help="a markdown table with its caption")
    parser.add_argument("--input-size", type=input_size, metavar="H[xW]", help="override every spec's input size")
    add_arguments(parser, default_backend="all")


def run(args) -> int:
    from archc.bench import render
    from archc.bench.runner import measure

    try:
        settings = settings_from_args(args)
        compiled = compile_all(args.specs, args.input_size)
        rows = measure(compiled, settings, progress=lambda text: print(text, file=sys.stderr, flush=True))
    except Refusal as exc:
        raise exc.usage_error() from None
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
    elif args.markdown:
        print(render.to_markdown(rows))
    else:
        print(render.to_plain(rows))
    return 0
