"""The IR as a picture: :mod:`~archc.graphs.view` (a plain, JSON-able networkx graph, optionally one node
per block) and :mod:`~archc.graphs.render` (Graphviz DOT / SVG and Mermaid text). Used by ``archc graph``."""
