"""``archc build SPEC... [--backend pytorch|keras|all] [--out DIR] [--check]``.

Renders every (spec, backend) pair in memory first; only when all succeed are files written, each
atomically. ``--check`` writes nothing and exits 1 listing each file that would change.
"""

from __future__ import annotations

import sys
from pathlib import Path

from archc.commands.common import add_specs_argument, compile_all
from archc.diagnostics import EXIT_DIFFERENCE, Diagnostic, SpecError, Unsupported
from archc.outputs import stale, write_all

# Backend name → module exposing ``emit(compiled) -> str`` (the whole file text).
BACKENDS = {
    "pytorch": "archc.backends.pytorch.emitter",
    "keras": "archc.backends.keras.emitter",
}


def register(parser) -> None:
    add_specs_argument(parser, default_all=True)
    parser.add_argument("--backend", choices=[*BACKENDS, "all"], default="all", help="which code to emit (default all)")
    parser.add_argument("--out", default="generated", metavar="DIR", help="output folder (default generated/)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 listing files that would change")


def render(compiled, backends: list[str], out: Path) -> dict[Path, str]:
    import importlib

    files: dict[Path, str] = {}
    errors = []
    for name in backends:
        emitter = importlib.import_module(BACKENDS[name])
        for c in compiled:
            try:
                files[out / name / f"{c.loaded.key}.py"] = emitter.emit(c)
            except (Unsupported, NotImplementedError) as exc:  # a known limit of the backend, not a crash
                message = f"the {name} backend cannot emit this spec: {exc}"
                help = "build the other backend with --backend, or simplify the spec (and please report it)"
                mark = c.loaded.marks.value(getattr(exc, "origin", None) or ())  # the key that causes it
                errors.append(Diagnostic(mark.path, mark.line, mark.col, "E403", message, help))
    if errors:
        raise SpecError(errors)
    return files


def run(args) -> int:
    if not args.specs:
        from archc.spec.loader import builtin_names

        args.specs = builtin_names()
    compiled = compile_all(args.specs)
    backends = list(BACKENDS) if args.backend == "all" else [args.backend]
    files = render(compiled, backends, Path(args.out))
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
