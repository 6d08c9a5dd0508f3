"""The ``archc`` command line: parses arguments, calls the command modules, maps errors to exit codes.

Thin by design: each subcommand lives in ``archc/commands/<name>.py`` with ``register(subparsers)`` and
``run(args) -> int``. Heavy imports (jinja2, backends, frameworks) happen inside ``run``, never here.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from archc import process
from archc._version import __version__
from archc.diagnostics import EXIT_INTERNAL, EXIT_INVALID, SpecError, did_you_mean, render_all, usage_error, use_color

# Subcommands, in the order `archc --help` lists them: (name, module, one-line help).
COMMANDS = [
    ("check", "archc.commands.check", "validate specs only"),
    ("cost", "archc.commands.cost", "exact params, MACs, FLOPs, depth and activations"),
    ("build", "archc.commands.build", "emit PyTorch and Keras model source (generated/<backend>/<spec>.py)"),
    ("list", "archc.commands.listing", "built-in specs with a one-line cost summary"),
    ("compare", "archc.commands.compare", "compare specs: depth, params, MACs, FLOPs, errors, ratios; --plot"),
    ("table", "archc.commands.table", "the ResNet paper's Table 1 layout (markdown or LaTeX) with a FLOPs row"),
    ("sweep", "archc.commands.sweep", "a design space: compile every variant of a spec, with Pareto fronts"),
    ("graph", "archc.commands.graph", "the IR as a graph: dot, svg (Graphviz), json (node-link), mermaid"),
    (
        "verify",
        "archc.commands.verify",
        "instantiate the generated code in PyTorch / Keras and check it against the IR",
    ),
    ("bench", "archc.commands.bench", "measured img/s, latency and peak memory of the generated models beside MACs"),
    ("convert", "archc.commands.convert", "copy weights between the generated PyTorch and Keras models of a spec"),
    ("schema", "archc.commands.schema", "print the JSON Schema of the spec language (archc-spec.schema.json)"),
]

COST_CONVENTIONS = """\
cost conventions:
  MACs    multiply-accumulates of convolutions and linear layers (torchvision's "GFLOPS",
          the paper's "FLOPs"; what fvcore, ptflops and thop print: archc cost --counters)
  FLOPs   2 x MACs (torch.utils.flop_counter's convention)
  params  trainable parameters; buffers: BatchNorm running mean/var;
          keras_params = params + buffers (Keras count_params())
  depth   weight layers on the main path (conv + fc, projection shortcuts excluded)
"""


class Parser(argparse.ArgumentParser):
    """argparse, with its errors (an unknown option, a bad value) as E600 diagnostics like every other error."""

    def error(self, message: str):
        usage = " ".join(self.format_usage().split())
        raise usage_error("E600", message, f"{usage} (see `{self.prog} --help`)")


# The commands whose output the conventions explain: only their --help carries them.
CONVENTIONS_FOR = {"cost", "compare", "table", "list"}


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The whole parser; given ``argv``, only the chosen subcommand's module is imported to add its options,
    which keeps unrelated modules off ``archc cost``'s start-up. The other commands' parsers (argparse builds
    one per command) are added only where the top-level help could be printed: no command chosen, or an option
    before it other than ``--debug`` (``archc --help cost``, an abbreviation of ``--help``)."""
    chosen = next((a for a in argv if not a.startswith("-")), None) if argv is not None else None
    if chosen not in {name for name, _, _ in COMMANDS}:
        chosen = None
    listed = chosen is None or any(a != "--debug" for a in argv[: argv.index(chosen)])
    parser = Parser(
        prog="archc",
        description="archc: a declarative architecture-spec compiler for convolutional networks.",
        epilog="`archc COMMAND --help` for a command's options; `archc cost --help` also states the cost conventions.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-V", "--version", action="version", version=f"archc {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    parser.commands = {}
    for name, module, help in COMMANDS:
        if not listed and name != chosen:
            continue
        sub = subparsers.add_parser(
            name,
            help=help,
            description=help,
            epilog=COST_CONVENTIONS if name in CONVENTIONS_FOR else None,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.set_defaults(module=module)
        parser.commands[name] = sub
        if chosen in (None, name):
            importlib.import_module(module).register(sub)
    return parser


def unknown_command(argv: list[str]) -> SpecError | None:
    """A mistyped subcommand (``archc cots``) as a diagnostic with "did you mean", before argparse's usage."""
    word = next((a for a in argv if not a.startswith("-")), None)
    names = [name for name, _, _ in COMMANDS]
    if word is None or word in names:
        return None
    hint = did_you_mean(word, names)
    return usage_error(
        "E600", f"unknown command '{word}'", hint + (" (archc --help)" if hint.startswith("did") else "")
    )


def unknown_arguments(sub: argparse.ArgumentParser, extra: list[str]) -> SpecError:
    """``archc cost resnet18 --jsn``: name the first stray argument, with the closest option of that command,
    else the commands that have it (``compare --where`` → an option of ``archc sweep``), else nothing."""
    options = [o for a in sub._actions for o in a.option_strings if o.startswith("--")]
    word = extra[0].split("=")[0]
    command = sub.prog.split()[-1]
    if not word.startswith("-"):
        hint = "it takes no further argument there"
    else:
        hint = did_you_mean(word, options, list_limit=0) or _elsewhere(word, command)
    hint = f"{hint} (see `archc {command} --help`)" if hint else f"see `archc {command} --help`"
    return usage_error("E600", f"unknown argument '{extra[0]}' for `archc {command}`", hint)


def _elsewhere(option: str, command: str) -> str:
    """Which other commands take ``option`` (an error path: every command module is imported here)."""
    parser = build_parser()
    owners = [
        name
        for name, sub in parser.commands.items()
        if name != command and any(option in a.option_strings for a in sub._actions)
    ]
    if not owners:
        return ""
    return f"{option} is an option of {' and '.join(f'`archc {o}`' for o in owners[:3])}, not of `archc {command}`"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        if problem := unknown_command(argv):
            raise problem
        parser = build_parser(argv)
        args, extra = parser.parse_known_args(argv)
        if extra:
            raise unknown_arguments(parser.commands[args.command], extra)
    except SpecError as exc:
        print(render_all(exc.diagnostics, use_color(sys.stderr)), file=sys.stderr)
        return EXIT_INVALID
    try:
        return importlib.import_module(args.module).run(args)
    except SpecError as exc:
        print(render_all(exc.diagnostics, use_color(sys.stderr)), file=sys.stderr)
        return EXIT_INVALID
    except BrokenPipeError:
        return 0
    except Exception as exc:  # noqa: BLE001 - the one place that turns crashes into exit code 3
        if args.debug:
            raise
        reason = " ".join(str(exc).split())  # one line, whatever the exception says
        print(f"internal error: {type(exc).__name__}: {reason} (please report; rerun with --debug)", file=sys.stderr)
        return EXIT_INTERNAL


def entry() -> None:
    process.start()
    code = main()
    process.end()
    sys.exit(code)
