"""``archc sweep BASE --vary KEY=VALUES … [--sample N --seed S] [--where EXPR] [--pareto X,Y] [--out F] [--plot F]``."""

from __future__ import annotations

import sys
from collections import Counter

from archc.diagnostics import usage_error


def register(parser) -> None:
    parser.add_argument("spec", metavar="BASE", help="the base spec: a path or a built-in name")
    parser.add_argument(
        "--vary",
        action="append",
        required=True,
        metavar="KEY=VALUES",
        help="an axis: stages[2].blocks=2..8, groups=1,32, input.size=160..288:32, stages.regnet.wa=20..40:5",
    )
    parser.add_argument("--sample", type=int, metavar="N", help="N variants drawn at random (default: the whole grid)")
    parser.add_argument("--seed", type=int, default=0, help="seed of --sample (default 0)")
    parser.add_argument("--where", metavar="EXPR", help="keep rows where, e.g. 'macs<4e9, depth>=50'")
    parser.add_argument(
        "--pareto",
        default="params,macs",
        metavar="X,Y",
        help="Pareto front axes (default params,macs); max:COL maximises",
    )
    parser.add_argument("--out", metavar="FILE", help="write .csv or .json (default: CSV on stdout)")
    parser.add_argument("--plot", metavar="FILE", help="draw Y vs X with the Pareto front (.png or .svg)")
    parser.add_argument("--jobs", type=int, metavar="N", help="worker processes (default: the CPUs available)")


def _argument_error(base, message: str, help: str):
    return usage_error("E600", message, help)


def _check_outputs(args) -> None:
    """Refuse outputs that cannot be written before compiling anything."""
    if args.out and not args.out.lower().endswith((".csv", ".json")):
        raise usage_error("E600", f"--out {args.out}: the file name must end in .csv or .json", "e.g. --out space.csv")
    if args.plot:
        from archc.commands.compare import _check_plot  # the same rules as `archc compare --plot`

        _check_plot(args.plot)


def _space(base, args):
    from archc.sweep.space import Space, VaryError, check_paths, parse_axis

    try:
        axes = tuple(parse_axis(text) for text in args.vary)
    except VaryError as exc:
        raise _argument_error(base, f"--vary: {exc}", _VARY_HELP) from None
    space = Space(axes)
    check_paths(space, base.data, base.marks, base.shown)
    keys = [a.key for a in axes]
    if len(set(keys)) != len(keys):
        raise _argument_error(base, "--vary names a key twice", "give each key once, with all its values")
    if args.sample is not None and not 1 <= args.sample <= space.size:
        message = f"--sample {args.sample} but the space has {space.size:,} variants"
        raise _argument_error(base, message, f"sample between 1 and {space.size:,}, or drop --sample for the grid")
    return space


_VARY_HELP = "write KEY=VALUES: a list 1,32, a range 2..8, a stepped range 160..288:32"


def run(args) -> int:
    from archc.spec.loader import read_spec, validate_data
    from archc.sweep import output
    from archc.sweep import run as engine
    from archc.sweep.select import SelectError, parse_pareto, parse_where

    _check_outputs(args)
    base = engine.Base(*read_spec(args.spec))
    validate_data(base.data, base.marks, base.shown, base.builtin, base.sha256)  # the base itself must be valid
    space = _space(base, args)
    columns = [a.key for a in space.axes] + list(engine.METRICS)
    try:
        where = parse_where(args.where, columns) if args.where else []
        axes = parse_pareto(args.pareto, columns)
    except SelectError as exc:
        raise _argument_error(base, str(exc), "see `archc sweep --help` and README 'Design spaces'") from None
    from archc.sweep.space import sample_indices

    indices = sample_indices(space.size, args.sample, args.seed)
    bar = output.Progress(len(indices), sys.stderr)
    outcomes = engine.run(base, space, indices, args.jobs or engine.default_jobs(), bar.tick)
    bar.close()
    rows = output.rows(space, outcomes, where)
    front = output.mark_front(rows, axes)
    invalid = Counter(o.code for o in outcomes if o.row is None)
    examples = {o.code: o.message for o in reversed(outcomes) if o.row is None}
    doc = output.document(base, space, len(outcomes), rows, invalid, args, axes)
    output.write(doc, rows, args.out)
    if args.plot:
        from archc.sweep.plot import plot_front

        name = base.builtin or base.shown
        where = f", {args.where}" if args.where else ""
        plot_front(rows, axes, args.plot, title=f"{name}: {len(rows):,} variants{where}")
    print(output.summary_line(len(outcomes), rows, front, invalid, examples, axes), file=sys.stderr)
    return 0
