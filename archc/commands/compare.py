"""``archc compare SPEC... [--json|--csv|--markdown] [--sort KEY] [--plot FILE.png|.svg]``.

A table of depth, params, MACs, FLOPs, activations and the error rates the specs declare, with ratios
against the first spec. The terminal table uses Rich (imported here, lazily); when stdout is not a
terminal it is rendered at a fixed width without colour, so the output is deterministic.
"""

from __future__ import annotations

import csv
import io
import json
import sys

from archc import render
from archc.bench.options import Refusal, given_flags, settings_from_args
from archc.bench.options import add_arguments as add_measure_arguments
from archc.commands.common import add_specs_argument, compile_all, input_size
from archc.comparison import ERROR_KEYS, SORT_KEYS, Comparison, compare, parse_sort
from archc.diagnostics import EXIT_INVALID

PLAIN_WIDTH = 200


def register(parser) -> None:
    add_specs_argument(parser)
    fmt = parser.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="one object per spec, exact integers")
    fmt.add_argument("--csv", action="store_true", help="CSV with a header row, exact integers")
    fmt.add_argument("--markdown", action="store_true", help="a markdown table (as in the README)")
    parser.add_argument(
        "--sort",
        metavar="KEY",
        help=f"sort rows by {', '.join(SORT_KEYS)} (ascending; --reverse or --sort=-KEY for descending)",
    )
    parser.add_argument("--reverse", action="store_true", help="with --sort: descending order")
    parser.add_argument("--plot", metavar="FILE", help="also draw a chart (.png or .svg; needs matplotlib)")
    parser.add_argument("--input-size", type=input_size, metavar="H[xW]", help="override every spec's input size")
    parser.add_argument(
        "--measure",
        action="store_true",
        help="also measure img/s, ms/step, achieved MAC/s and peak memory (as archc bench; default --backend pytorch)",
    )
    add_measure_arguments(parser, default_backend="pytorch")


def run(args) -> int:
    problem = _check_options(args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return EXIT_INVALID
    sort = f"-{args.sort}" if args.sort and args.reverse and not args.sort.startswith("-") else args.sort
    try:
        result = _result(args, sort)
    except Refusal as exc:
        print(f"error: {exc.message}\n  help: {exc.help}", file=sys.stderr)
        return EXIT_INVALID
    if args.json:
        print(json.dumps(result.rows, indent=2, ensure_ascii=False))
    elif args.csv:
        print(to_csv(result), end="")
    elif args.markdown:
        print(to_markdown(result))
    elif sys.stdout.isatty():
        print_terminal(result)
    else:
        print(to_plain(result))
    if args.plot:
        from archc.plot import plot_comparison

        plot_comparison(result, args.plot, data=_measured_chart(result) if args.measure else None)
        print(f"wrote {args.plot}", file=sys.stderr)
    return 0


def _result(args, sort: str | None) -> Comparison:
    """The comparison; with ``--measure`` each spec also measured (settings refused before compiling)."""
    if not args.measure:
        return compare(compile_all(args.specs, args.input_size), sort=sort)
    from archc.bench.measured import add_measurements, is_measured_sort, sort_rows

    settings = settings_from_args(args)
    compiled = compile_all(args.specs, args.input_size)
    late = is_measured_sort(sort)
    result = compare(compiled, sort=None if late else sort)
    result = add_measurements(result, compiled, settings, lambda t: print(t, file=sys.stderr, flush=True))
    return sort_rows(result, sort) if late else result


def _measured_chart(result):
    from archc.bench.measured import chart_data

    return chart_data(result)


def _check_options(args) -> str | None:
    flags = given_flags(args)
    if flags and not args.measure:
        return f"{', '.join(flags)}: measuring options need --measure\n  help: add --measure (see archc bench --help)"
    if args.sort and args.measure:
        from archc.bench.measured import is_measured_sort

        if is_measured_sort(args.sort):
            return None
    if args.sort:
        try:
            parse_sort(args.sort)
        except ValueError as exc:
            return str(exc)
    if args.plot and not args.plot.lower().endswith((".png", ".svg")):
        return f"--plot {args.plot}: the file name must end in .png or .svg"
    return None


def header(result: Comparison) -> list[str]:
    errors = [ERROR_KEYS[k] for k in result.error_keys]
    measured = getattr(result, "measured_headers", [])  # archc compare --measure
    return ["spec", "depth", "params", "× params", "MACs", "× MACs", "FLOPs", "activations", *errors, *measured]


def cells(result: Comparison) -> list[list[str]]:
    """Human cells: scaled figures (``25.56 M``), ratios (``×1.95``), error rates as declared."""

    def err(v):
        return "–" if v is None else f"{v:g}"

    def ratio(v):
        return "–" if v is None else f"×{v:.2f}"

    return [
        [
            r["label"],
            str(r["depth"]),
            render.scaled(r["params"], "").rstrip(),
            ratio(r["params_ratio"]),
            render.scaled(r["macs"], "").rstrip(),
            ratio(r["macs_ratio"]),
            render.scaled(r["flops"], "").rstrip(),
            render.scaled(r["activations"], "").rstrip(),
            *(err(r[k]) for k in result.error_keys),
            *(result.measured_cells(r) if hasattr(result, "measured_cells") else []),
        ]
        for r in result.rows
    ]


def caption(result: Comparison) -> str:
    measured = f" · {result.measured_caption()}" if hasattr(result, "measured_caption") else ""
    return (
        f"ratios (×) against {result.baseline}, the first spec given · MACs = multiply-accumulates, "
        "FLOPs = 2 × MACs · activations: output elements of every op, one sample · error rates as the specs' "
        "metadata declare them (the papers' figures)" + measured
    )


def rich_table(result: Comparison):
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, caption=caption(result), caption_justify="left")
    for i, name in enumerate(header(result)):
        table.add_column(name, justify="left" if i == 0 else "right", no_wrap=True)
    for row in cells(result):
        table.add_row(*row)
    return table


def to_plain(result: Comparison) -> str:
    """The Rich table at a fixed width, without colour or trailing spaces (deterministic)."""
    from rich.console import Console

    console = Console(file=io.StringIO(), width=PLAIN_WIDTH, color_system=None, force_terminal=False, highlight=False)
    console.print(rich_table(result))
    return "\n".join(line.rstrip() for line in console.file.getvalue().splitlines()).strip("\n")


def print_terminal(result: Comparison) -> None:
    from rich.console import Console

    Console().print(rich_table(result))


def to_markdown(result: Comparison) -> str:
    head = header(result)
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    lines += ["| " + " | ".join(row) + " |" for row in cells(result)]
    return "\n".join(lines) + f"\n\n{caption(result)[0].upper()}{caption(result)[1:]}."


def to_csv(result: Comparison) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=result.columns, lineterminator="\n")
    writer.writeheader()
    for r in result.rows:
        writer.writerow({k: "" if r[k] is None else r[k] for k in result.columns})
    return buf.getvalue()
