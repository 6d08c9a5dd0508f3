"""``archc bench SPEC... [--backend pytorch|keras|all] [--device cpu|cuda] [--batch N] [--train] …``.

Measured throughput, latency and peak memory of the generated models beside their params, MACs and the
achieved MAC/s (see :mod:`archc.bench`). Impossible requests are refused with exit 2, ``error[E600]:`` (or
E602: framework not installed) and a ``help:`` line, before any framework is imported.
"""

from __future__ import annotations

import sys

from archc.bench.options import Refusal, add_arguments, settings_from_args
from archc.commands.common import add_specs_argument, input_size
from archc.output import add_output_arguments, chosen_format, emit, to_csv, to_json
from archc.pipeline import compile_all


def register(parser) -> None:
    add_specs_argument(parser)
    add_output_arguments(parser, ["text", "json", "csv", "markdown"], aliases=("json", "markdown"))
    parser.add_argument("--input-size", type=input_size, metavar="H[xW]", help="override every spec's input size")
    add_arguments(parser)


def run(args) -> int:
    from archc.bench import render
    from archc.bench.runner import measure

    fmt = chosen_format(args)
    try:
        settings = settings_from_args(args)
        compiled = compile_all(args.specs, args.input_size)
        rows = measure(compiled, settings, progress=lambda text: print(text, file=sys.stderr, flush=True))
    except Refusal as exc:
        raise exc.usage_error() from None
    if fmt == "json":
        emit(to_json(rows), args.out)
    elif fmt == "csv":
        emit(to_csv([render.flat(r) for r in rows], render.CSV_COLUMNS), args.out)
    else:
        emit((render.to_markdown if fmt == "markdown" else render.to_plain)(rows), args.out)
    return 0
