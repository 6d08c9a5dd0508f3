"""``archc list``: every built-in spec with a one-line cost summary."""

from __future__ import annotations

from archc.pipeline import compile_spec
from archc.reports import text
from archc.reports.summary import summary
from archc.spec.loader import builtin_names


def register(parser) -> None:
    parser.add_argument("--names", action="store_true", help="only the names, one per line (for scripts)")


def run(args) -> int:
    if args.names:
        print("\n".join(builtin_names()))
        return 0
    rows = []
    for name in builtin_names():
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
