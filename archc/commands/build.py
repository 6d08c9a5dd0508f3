"""``archc build SPEC... [--backend pytorch|keras|all] [--out DIR] [--check]``.

Renders every (spec, backend) pair in memory first; only when all succeed are files written, each
atomically. ``--check`` writes nothing and exits 1 listing each file that would change.
"""

from __future__ import annotations

import sys
from pathlib import Path

from archc.codegen import BACKENDS, render_files
from archc.commands.common import add_specs_argument
from archc.diagnostics import EXIT_DIFFERENCE
from archc.files import stale, write_all
from archc.pipeline import compile_all


def register(parser) -> None:
    add_specs_argument(parser, default_all=True)
    parser.add_argument("--backend", choices=[*BACKENDS, "all"], default="all", help="which code to emit (default all)")
    parser.add_argument("--out", default="generated", metavar="DIR", help="output folder (default generated/)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 listing files that would change")


def run(args) -> int:
    if not args.specs:
        from archc.spec.loader import builtin_names

        args.specs = builtin_names()
    compiled = compile_all(args.specs)
    backends = list(BACKENDS) if args.backend == "all" else [args.backend]
    files = render_files(compiled, backends, Path(args.out))
    if args.check:
        changed = stale(files)
        for path in changed:
            print(f"would change: {path.as_posix()}", file=sys.stderr)
        if changed:
            print(f"{len(changed)} generated file(s) out of date; run `archc build` to refresh", file=sys.stderr)
            return EXIT_DIFFERENCE
        print(f"{len(files)} generated file(s) up to date")
        return 0
    changed = write_all(files)
    print(f"wrote {len(changed)} file(s), {len(files) - len(changed)} unchanged, under {Path(args.out).as_posix()}/")
    return 0
