"""``archc graph SPEC [--format dot|svg|json|mermaid] [--out FILE] [--collapse]``: the IR as a graph.

json is networkx node-link data (``nodes``/``edges``); svg runs Graphviz's ``dot`` (exit 2 with a hint
when it is not installed); ``--collapse`` draws one node per residual block.
"""

from __future__ import annotations

import json

from archc.api import GRAPH_FORMATS, graph
from archc.diagnostics import usage_error
from archc.output import add_output_arguments, chosen_format, emit


def register(parser) -> None:
    parser.add_argument("spec", metavar="SPEC", help="spec path or built-in name")
    add_output_arguments(parser, list(GRAPH_FORMATS), default="dot")
    parser.add_argument("--collapse", action="store_true", help="one node per residual block")


def run(args) -> int:
    from archc.graphs.render import GraphvizMissing

    fmt = chosen_format(args)
    try:
        result = graph(args.spec, format=fmt, collapse=args.collapse)
    except GraphvizMissing as exc:
        raise usage_error("E602", exc.args[0], exc.args[1]) from None
    if fmt == "json":
        result = json.dumps(result, indent=1, sort_keys=True, ensure_ascii=False)
    emit(result, args.out)
    return 0
