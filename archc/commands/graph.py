"""``archc graph SPEC [--format dot|svg|json|mermaid] [--collapse]``: the IR as a graph.

json is networkx node-link data (``nodes``/``edges``); svg runs Graphviz's ``dot`` (exit 2 with a hint
when it is not installed); ``--collapse`` draws one node per residual block.
"""

from __future__ import annotations

import json
import sys

from archc.api import GRAPH_FORMATS, graph
from archc.diagnostics import usage_error


def register(parser) -> None:
    parser.add_argument("spec", metavar="SPEC", help="spec path or built-in name")
    parser.add_argument("--format", choices=GRAPH_FORMATS, default="dot", help="default dot")
    parser.add_argument("--collapse", action="store_true", help="one node per residual block")


def run(args) -> int:
    from archc.graphs.render import GraphvizMissing

    try:
        result = graph(args.spec, format=args.format, collapse=args.collapse)
    except GraphvizMissing as exc:
        raise usage_error("E602", exc.args[0], exc.args[1]) from None
    if args.format == "json":
        print(json.dumps(result, indent=1, sort_keys=True, ensure_ascii=False))
    elif args.format == "svg":
        sys.stdout.write(result)
    else:
        print(result)
    return 0
