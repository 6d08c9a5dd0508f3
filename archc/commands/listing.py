"""``archc list [PATTERN...] [--names]``: built-in specs with a one-line cost summary.

A pattern is a shell-style glob over the names (``'cifar/*'``, ``'*resnet5?'``); a pattern without
``*?[`` matches names that start with it (``cifar``, ``torchvision/res``), as timm's ``list_models``.
"""

from __future__ import annotations

import fnmatch

from archc.diagnostics import did_you_mean, usage_error
from archc.pipeline import compile_spec
from archc.reports import text
from archc.reports.summary import summary
from archc.spec.loader import builtin_names


def register(parser) -> None:
    parser.add_argument(
        "patterns", nargs="*", metavar="PATTERN", help="only names matching a glob ('cifar/*') or starting with it"
    )
    parser.add_argument("--names", action="store_true", help="only the names, one per line (for scripts)")


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
    names = matching(args.patterns)
    if args.names:
        print("\n".join(names))
        return 0
    rows = []
    for name in names:
        c = compile_spec(name)
        s = summary(c)
        rows.append(
            [
                name,
                str(s["depth"]),
                text.scaled(s["params"], "").rstrip(),
                text.scaled(s["macs"], "MACs"),
                c.spec.description,
            ]
        )
    print(text.table(["spec", "depth", "params", "MACs", "description"], rows, right={1, 2, 3}))
    return 0
