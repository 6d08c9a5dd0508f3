"""``archc compare SPEC... [--json|--csv|--markdown] [--sort KEY] [--plot FILE.png|.svg]``.

A table of depth, params, MACs, FLOPs, activations and the error rates the specs declare, with ratios
against the first spec (:mod:`archc.reports.comparison`, rendered by :mod:`archc.reports.comparison_text`).
Piped, the table is printed at its natural width (deterministic); on a terminal it is fitted to the window.
"""

from __future__ import annotations

import difflib
import importlib.util
import shutil
import sys
from pathlib import Path

from archc.bench.options import Refusal, given_flags, settings_from_args
from archc.bench.options import add_arguments as add_measure_arguments
from archc.commands.common import add_specs_argument, input_size
from archc.counters.rules import TOOLS
from archc.diagnostics import usage_error
from archc.output import add_output_arguments, chosen_format, emit, to_json
from archc.pipeline import compile_all
from archc.reports.comparison import SORT_KEYS, Comparison, compare, parse_sort
from archc.reports.comparison_text import fit, to_csv, to_markdown, to_plain


def register(parser) -> None:
    add_specs_argument(parser)
    add_output_arguments(parser, ["text", "json", "csv", "markdown"], aliases=("json", "csv", "markdown"))
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
    parser.add_argument(
        "--measure",
        action="store_true",
        help="also measure img/s, ms/step, achieved MAC/s and peak memory (as archc bench; default --backend pytorch)",
    )
    add_measure_arguments(parser)


def run(args) -> int:
    fmt = chosen_format(args)
    _check_options(args)
    sort = args.sort or args.counter
    sort = f"-{sort}" if sort and args.reverse and not sort.startswith("-") else sort
    result = _result(args, sort)
    if args.plot:  # before printing: a chart that cannot be drawn is an error with no partial output
        from archc.reports.plot import plot_comparison

        plot_comparison(result, args.plot, data=_measured_chart(result) if args.measure else None)
    if fmt == "json":
        emit(to_json(result.rows), args.out)
    elif fmt == "csv":
        emit(to_csv(result), args.out)
    elif fmt == "markdown":
        emit(to_markdown(result), args.out)
    elif args.out in (None, "-") and (width := terminal_width()) is not None:
        emit(fit(result, width), args.out)
    else:
        emit(to_plain(result), args.out)
    if args.plot:
        print(f"wrote {args.plot}", file=sys.stderr)
    return 0


def terminal_width() -> int | None:
    """The window's width when stdout is a terminal (``COLUMNS`` overrides it), else None: piped output
    is the whole table at its natural width."""
    return shutil.get_terminal_size().columns if sys.stdout.isatty() else None


def _result(args, sort: str | None) -> Comparison:
    """The comparison; with ``--measure`` each spec also measured (settings refused before compiling)."""
    if not args.measure:
        return compare(compile_all(args.specs, args.input_size), sort=sort, counter=args.counter or "macs")
    from archc.bench.measured import add_measurements, is_measured_sort, sort_rows

    try:
        settings = settings_from_args(args)
        compiled = compile_all(args.specs, args.input_size)
        late = is_measured_sort(sort)
        result = compare(compiled, sort=None if late else sort, counter=args.counter or "macs")
        result = add_measurements(result, compiled, settings, lambda t: print(t, file=sys.stderr, flush=True))
    except Refusal as exc:
        raise exc.usage_error() from None
    return sort_rows(result, sort) if late else result


def _is_measured_sort(key: str) -> bool:
    from archc.bench.measured import is_measured_sort

    return is_measured_sort(key)


def _measured_chart(result):
    from archc.bench.measured import chart_data

    return chart_data(result)


def _check_options(args) -> None:
    if args.counter is not None and args.counter not in TOOLS:
        close = difflib.get_close_matches(args.counter.lower(), TOOLS, n=1, cutoff=0.5)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise usage_error("E600", f"unknown counter {args.counter!r}", f"{hint}counters: {', '.join(TOOLS)}")
    flags = given_flags(args)
    if flags and not args.measure:
        raise usage_error("E600", f"{', '.join(flags)}: measuring options need --measure",
                          "add --measure (see archc bench --help)")  # fmt: skip
    if args.sort and not (args.measure and _is_measured_sort(args.sort)):
        try:
            parse_sort(args.sort)
        except ValueError as exc:
            raise usage_error("E600", str(exc), "e.g. --sort macs, --sort=-params, --sort top1") from None
    if args.plot:
        _check_plot(args.plot)


def _check_plot(target: str) -> None:
    """Refuse a chart that cannot be drawn before any work: wrong suffix, missing folder, no matplotlib."""
    if not target.lower().endswith((".png", ".svg")):
        raise usage_error("E600", f"--plot {target}: the file name must end in .png or .svg", "e.g. --plot chart.png")
    folder = Path(target).parent
    if not folder.is_dir():
        message = f"--plot {target}: the folder {folder.as_posix()} does not exist"
        raise usage_error("E500", message, f"create it first (mkdir -p {folder.as_posix()}) or choose another path")
    if importlib.util.find_spec("matplotlib") is None:
        raise usage_error(
            "E602",
            "--plot needs matplotlib, which is not installed",
            "pip install 'archc[plot]' (or pip install matplotlib), or leave out --plot",
        )
