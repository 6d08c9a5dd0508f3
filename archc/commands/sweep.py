"""``archc sweep BASE --vary KEY=VALUES … [--sample N [--seed S]] [--where EXPR] [--pareto X,Y] [--out F] [--resume]
[--plot F] [--measure [measuring options] [--executor local|ray] …]``.

Everything a user can get wrong is refused here, before anything is costed or measured (exit 2): the
arguments, the outputs, the size of the grid, the measuring request, Ray's presence. :func:`plan` turns
parsed arguments into a :class:`archc.sweep.driver.Request` (the Python API builds the same arguments).
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from archc.bench.options import Refusal, given_flags, non_negative, positive, settings_from_args
from archc.bench.options import add_arguments as add_measure_arguments
from archc.diagnostics import usage_error
from archc.output import add_output_arguments, check_writable, chosen_format

FORMATS = ["csv", "json", "text", "markdown"]
EXECUTORS = ("local", "ray")


def register(parser) -> None:
    parser.add_argument("spec", metavar="BASE", help="the base spec: a path or a built-in name")
    parser.add_argument(
        "--vary",
        action="append",
        required=True,
        metavar="KEY=VALUES",
        help="an axis: stages[2].blocks=2..8, groups=1,32, input.size=160..288:32, stages.regnet.wa=20..40:5",
    )
    parser.add_argument("--sample", type=positive, metavar="N", help="N variants drawn at random (default: the grid)")
    parser.add_argument("--seed", type=int, help="seed of --sample (default 0)")
    parser.add_argument("--where", metavar="EXPR", help="keep rows where, e.g. 'macs<4e9, depth>=50'")
    parser.add_argument("--pareto", metavar="X,Y",
                        help="Pareto front axes (default params,macs; measured: macs,max:BACKEND_img_per_s); "
                             "max:COL maximises")  # fmt: skip
    add_output_arguments(parser, FORMATS, default="csv", aliases=("json", "csv", "markdown"))
    parser.add_argument("--resume", action="store_true", help="continue the sweep logged in --out FILE")
    parser.add_argument("--plot", metavar="FILE", help="draw Y vs X with the Pareto front (.png or .svg)")
    parser.add_argument("--jobs", type=positive, metavar="N", help="costing processes (default: the CPUs available)")
    parser.add_argument("--measure", action="store_true",
                        help="measure every kept variant as `archc bench` does (default --backend pytorch)")  # fmt: skip
    add_measure_arguments(parser)
    group = parser.add_argument_group("distributing measurements")
    group.add_argument("--executor", choices=EXECUTORS, help="local (default: one measurement at a time) or ray")
    group.add_argument("--ray-address", metavar="ADDR",
                       help="join a Ray cluster (auto, or HOST:PORT); default: start a local Ray instance")  # fmt: skip
    group.add_argument("--cpus-per-task", type=_amount, metavar="N", help="CPUs each measuring task asks Ray for")
    group.add_argument("--gpus-per-task", type=_amount, metavar="N", help="GPUs each task asks for (cuda: 1)")
    group.add_argument("--retries", type=non_negative, metavar="N",
                       help="retries of a measurement whose process was killed (default 2)")  # fmt: skip


def _amount(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 10_000:
        raise argparse.ArgumentTypeError(f"invalid amount {text!r}: a number from 0 to 10000")
    return value


def _error(message: str, help: str, code: str = "E600"):
    return usage_error(code, message, help)


def _check_outputs(args) -> str:
    """The output format, after refusing outputs that cannot be written (before anything is computed)."""
    fmt = chosen_format(args)
    out = args.out if args.out not in (None, "-") else None
    if out is not None:
        check_writable(Path(out))
        want = {"csv": (".csv",), "json": (".json", ".jsonl")}.get(fmt, ())
        if not out.lower().endswith(want or (".csv", ".json", ".jsonl")) or fmt not in ("csv", "json"):
            raise _error(f"--out {out}: a sweep's --out is a log of rows: the file name must end in .csv or .json "
                         f"(or .jsonl), and --format be csv or json", "e.g. --out space.csv; text and markdown go to "
                         "stdout")  # fmt: skip
    if args.resume and out is None:
        raise _error("--resume needs --out FILE (the log to continue)", "e.g. --out space.csv --resume")
    if args.seed is not None and args.sample is None:
        raise _error("--seed without --sample: the grid has no randomness", "add --sample N, or drop --seed")
    if args.plot:
        from archc.commands.compare import _check_plot  # the same rules as `archc compare --plot`

        _check_plot(args.plot)
    return fmt


def _measuring(args):
    """(settings or None, executor, RayOptions), refusing what cannot be measured or distributed."""
    from archc.sweep.executors import RAY_INSTALL, RayOptions, ray_installed

    flags = given_flags(args)
    ray_flags = [f"--{n.replace('_', '-')}" for n in ("ray_address", "cpus_per_task", "gpus_per_task")
                 if getattr(args, n) is not None]  # fmt: skip
    if not args.measure:
        extra = flags + (["--executor"] if args.executor else []) + (["--retries"] if args.retries is not None else [])
        if extra:
            raise _error(f"{', '.join(extra)}: measuring options need --measure",
                         "add --measure (costs alone are computed here, about 5,000 variants per CPU second)")  # fmt: skip
    executor = args.executor or "local"
    if ray_flags and executor != "ray":
        raise _error(f"{', '.join(ray_flags)}: Ray options need --executor ray", "add --executor ray")
    if not args.measure:
        return None, executor, RayOptions()
    if executor == "ray" and not ray_installed():
        raise _error("--executor ray: Ray is not installed", RAY_INSTALL, "E602")
    try:
        settings = settings_from_args(args)
    except Refusal as exc:
        raise exc.usage_error() from None
    return settings, executor, RayOptions(args.ray_address, args.cpus_per_task, args.gpus_per_task)


def _space(base, args):
    from archc.settings import LIMITS
    from archc.sweep.space import Space, VaryError, check_paths, overlapping, parse_axis, too_large

    try:
        axes = tuple(parse_axis(text) for text in args.vary)
    except VaryError as exc:
        raise _error(f"--vary: {exc}", _VARY_HELP) from None
    space = Space(axes)
    if pair := overlapping(axes):
        outer, inner = pair
        if outer.path == inner.path:
            raise _error("--vary names a key twice", "give each key once, with all its values")
        raise _error(f"--vary {inner.key} is inside --vary {outer.key}: one would overwrite the other",
                     f"vary {outer.key} or the keys inside it, not both")  # fmt: skip
    if problem := too_large(space, args.sample, LIMITS.max_sweep_variants):
        raise _error(problem, f"draw a sample (--sample {min(1000, LIMITS.max_sweep_variants):,}), give fewer values "
                              "per axis, or raise the limit (ARCHC_MAX_SWEEP_VARIANTS)")  # fmt: skip
    from archc.spec.paths import located_name

    # the base file as its own diagnostics name it (a built-in: <built-in NAME>), as the loader's marks do
    check_paths(space, base.data, base.marks, located_name(Path(base.files[0][0]), base.shown))
    if args.sample is not None and args.sample > space.size:
        message = f"--sample {args.sample} but the space has {space.size:,} variants"
        raise _error(message, f"sample between 1 and {space.size:,}, or drop --sample for the grid")
    return space


_VARY_HELP = "write KEY=VALUES: a list 1,32, a range 2..8, a stepped range 160..288:32"


def plan(args):
    """The request the arguments describe (:class:`archc.sweep.driver.Request`), or a SpecError (exit 2)."""
    from archc.spec.loader import read_spec, validate_data
    from archc.sweep.columns import Columns
    from archc.sweep.driver import Request
    from archc.sweep.run import Base, default_jobs
    from archc.sweep.select import SelectError, parse_pareto, parse_where
    from archc.sweep.space import sample_indices

    fmt = _check_outputs(args)
    settings, executor, ray = _measuring(args)
    base = Base(*read_spec(args.spec))
    space = _space(base, args)
    validate_data(base.data, base.marks, base.shown, base.builtin, base.sha256)  # the base itself must be valid
    columns = Columns(tuple(a.key for a in space.axes), settings.backends if settings else ())
    names = columns.costed + columns.measured
    pareto = args.pareto or (f"macs,max:{settings.backends[0]}_img_per_s" if settings else "params,macs")
    try:
        where = parse_where(args.where, names) if args.where else []
        axes = parse_pareto(pareto, names)
    except SelectError as exc:
        raise _error(str(exc), "see `archc sweep --help` and README 'Design spaces'") from None
    head = {"base": base.shown, "axes": {a.key: list(a.values) for a in space.axes}, "sample": args.sample,
            "seed": args.seed if args.sample is not None else None, "where": args.where}  # fmt: skip
    return Request(base, space, sample_indices(space.size, args.sample, args.seed), columns, where, axes,
                   args.jobs or default_jobs(), settings, executor, ray,
                   2 if args.retries is None else args.retries, args.out, fmt, args.resume, bool(args.plot), head)  # fmt: skip


def run(args) -> int:
    from archc.sweep import driver, output
    from archc.sweep.analysis import text

    request = plan(args)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        result = driver.run(request, sys.stderr)
    except KeyboardInterrupt:
        where = (
            f"; the rows done are in {args.out}: rerun with --resume to finish" if args.out not in (None, "-") else ""
        )
        print(f"sweep: interrupted{where}", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    if args.plot:
        _plot(request, result, args.plot)
    print(output.summary_line(result.counts, result.front, request.pareto), file=sys.stderr)
    for line in text(result.analysis):
        print(line, file=sys.stderr)
    if result.counts.get("failed"):
        print(f"warning: {result.counts['failed']:,} variants failed to measure; their rows hold the error "
              "(rerun with --resume to try them again)", file=sys.stderr)  # fmt: skip
    return 0


def _interrupt(signum, frame):
    """SIGTERM as Ctrl-C: the executor shuts Ray down and the log is closed before the sweep exits."""
    raise KeyboardInterrupt


def _plot(request, result, path: str) -> None:
    from archc.sweep.plot import plot_front

    name = request.base.builtin or request.base.shown
    where = f", {request.head['where']}" if request.head.get("where") else ""
    plot_front(result.points, request.pareto, path, title=f"{name}: {len(result.points[0]):,} variants{where}")
