"""``archc graph SPEC [--format dot|svg|json|mermaid] [--collapse]``: the IR as a graph.

json is networkx node-link data (``nodes``/``edges``); svg runs Graphviz's ``dot`` (exit 2 with a message
when it is not installed); ``--collapse`` draws one node per residual block.
"""

from __future__ import annotations

import json
import sys

from archc.diagnostics import EXIT_INVALID
from archc.pipeline import compile_spec

FORMATS = ("dot", "svg", "json", "mermaid")


def register(parser) -> None:
    parser.add_argument("spec", metavar="SPEC", help="spec path or built-in name")
    parser.add_argument("--format", choices=FORMATS, default="dot", help="default dot")
    parser.add_argument("--collapse", action="store_true", help="one node per residual block")


def run(args) -> int:
    from archc import graph_render
    from archc.graphview import to_json_data, view

    v = view(compile_spec(args.spec), collapse=args.collapse)
    if args.format == "json":
        print(json.dumps(to_json_data(v), indent=1, sort_keys=True, ensure_ascii=False))
    elif args.format == "mermaid":
        print(graph_render.to_mermaid(v))
    elif args.format == "dot":
        print(graph_render.to_dot(v))
    else:
        try:
            sys.stdout.write(graph_render.to_svg(v))
        except graph_render.GraphvizMissing as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_INVALID
    return 0
