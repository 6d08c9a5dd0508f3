"""``archc list [PATTERN...] [--names]``: built-in specs with a one-line cost summary.

A pattern is a shell-style glob over the names (``'cifar/*'``, ``'*resnet5?'``); a pattern without
``*?[`` matches names that start with it (``cifar``, ``torchvision/res``), as timm's ``list_models``.
"""

from __future__ import annotations

import fnmatch

from archc.diagnostics import did_you_mean, usage_error
from archc.output import add_output_arguments, chosen_format, emit, to_csv, to_json, to_markdown
from archc.reports import text
from archc.spec.paths import builtin_names

# The keys of `archc list --format json|csv|markdown`: compare's names for the same quantities.
COLUMNS = ["label", "name", "spec", "depth", "params", "buffers", "keras_params", "macs", "flops", "description"]


def register(parser) -> None:
    parser.add_argument(
        "patterns", nargs="*", metavar="PATTERN", help="only names matching a glob ('cifar/*') or starting with it"
    )
    parser.add_argument("--names", action="store_true", help="only the names, one per line (for scripts)")
    add_output_arguments(parser, ["text", "json", "csv", "markdown"], aliases=("json", "csv", "markdown"))


def matching(patterns: list[str]) -> list[str]:
    """Built-in names matching any pattern (all without patterns); a pattern matching none is an error."""
    names = builtin_names()
    if not patterns:
        return names
    chosen: set[str] = set()
    for pattern in patterns:
        glob = pattern if any(c in pattern for c in "*?[") else pattern + "*"
        found = fnmatch.filter(names, glob)
        if not found:
            families = sorted({n.split("/")[0] + "/*" for n in names if "/" in n})
            hint = did_you_mean(pattern, names + families)
            help = (hint + " " if hint.startswith("did") else "") + "families: " + ", ".join(families)
            raise usage_error("E600", f"no built-in spec matches '{pattern}'", help)
        chosen.update(found)
    return [n for n in names if n in chosen]


def run(args) -> int:
    fmt = chosen_format(args)
    names = matching(args.patterns)
    if args.names:
        if fmt != "text":
            raise usage_error("E600", f"--names prints plain lines, not {fmt}", f"drop --names for --format {fmt}")
        emit("\n".join(names), args.out)
        return 0
    rows = rows_of(names)
    if fmt == "json":
        emit(to_json(rows), args.out)
    elif fmt in ("csv", "markdown"):
        emit((to_csv if fmt == "csv" else to_markdown)(rows, COLUMNS), args.out)
    else:
        cells = [[r["label"], str(r["depth"]), text.scaled(r["params"], "").rstrip(), text.scaled(r["macs"], "MACs"),
                  r["description"]] for r in rows]  # fmt: skip
        emit(text.table(["spec", "depth", "params", "MACs", "description"], cells, right={1, 2, 3}), args.out)
    return 0


def rows_of(names: list[str]) -> list[dict]:
    """One row per built-in spec: :data:`COLUMNS` (the ``archc.list()`` rows)."""
    from archc.pipeline import compile_spec
    from archc.reports.summary import summary

    rows = []
    for name in names:
        c = compile_spec(name)
        s = summary(c)
        rows.append({"label": name, **{k: s[k] for k in COLUMNS[1:-1]}, "description": c.spec.description})
    return rows
