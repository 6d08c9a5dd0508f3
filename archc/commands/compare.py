"""``archc compare SPEC... [--json|--csv|--markdown] [--sort KEY] [--plot FILE.png|.svg]``.

A table of depth, params, MACs, FLOPs, activations and the error rates the specs declare, with ratios
against the first spec. The terminal table uses Rich (imported here, lazily); when stdout is not a
terminal it is rendered at a fixed width without colour, so the output is deterministic.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import sys

from archc import render
from archc.commands.common import add_specs_argument, compile_all, input_size
from archc.comparison import COUNTERS, ERROR_KEYS, SORT_KEYS, Comparison, compare, parse_sort
from archc.counters.rules import TOOLS
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
    parser.add_argument(
        "--counter",
        metavar="NAME",
        help=f"rank (and --plot) by what a counter prints: {', '.join(TOOLS)} (see `archc cost --counters`)",
    )
    parser.add_argument("--plot", metavar="FILE", help="also draw a chart (.png or .svg; needs matplotlib)")
    parser.add_argument("--input-size", type=input_size, metavar="H[xW]", help="override every spec's input size")


def run(args) -> int:
    problem = _check_options(args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return EXIT_INVALID
    sort = args.sort or args.counter
    sort = f"-{sort}" if sort and args.reverse and not sort.startswith("-") else sort
    result = compare(compile_all(args.specs, args.input_size), sort=sort, counter=args.counter or "macs")
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

        plot_comparison(result, args.plot)
        print(f"wrote {args.plot}", file=sys.stderr)
    return 0


def _check_options(args) -> str | None:
    if args.counter is not None and args.counter not in TOOLS:
        close = difflib.get_close_matches(args.counter.lower(), TOOLS, n=1, cutoff=0.5)
        hint = f"did you mean '{close[0]}'? " if close else ""
        return f"unknown counter {args.counter!r}\n  help: {hint}counters: {', '.join(TOOLS)}"
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
    extra = [result.counter] if result.counter in COUNTERS else []
    return ["spec", "depth", "params", "× params", "MACs", "× MACs", "FLOPs", *extra, "activations", *errors]


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
            *([render.scaled(r[result.counter], "").rstrip()] if result.counter in COUNTERS else []),
            render.scaled(r["activations"], "").rstrip(),
            *(err(r[k]) for k in result.error_keys),
        ]
        for r in result.rows
    ]


def caption(result: Comparison) -> str:
    counter = (
        f" · {result.counter}: what that counter prints (archc cost --counters)" if result.counter in COUNTERS else ""
    )
    return (
        f"ratios (×) against {result.baseline}, the first spec given · MACs = multiply-accumulates, "
        f"FLOPs = 2 × MACs{counter} · activations: output elements of every op, one sample · error rates as the "
        "specs' metadata declare them (the papers' figures)"
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
