"""Pass ``names``: give every op its name in each naming profile (torchvision, keras).

Pre:  lowered IR (``scope`` and ``role`` on every node; graph ``stages`` set).
Post: every node has ``names``: ``{profile: name}``; names of ops with weights are unique per profile;
      every :class:`~archc.ir.blocks.Block` of ``g.graph["blocks"]`` has ``names`` (``layer2.0``,
      ``conv3_block1``).
"""

from __future__ import annotations

import networkx as nx

from archc.ir.naming import NAMERS, block_names, stem_counters


def assign_names(g: nx.DiGraph) -> nx.DiGraph:
    stem_index = stem_counters(g)
    for node, data in g.nodes(data=True):
        data["names"] = {profile: namer(g, node, stem_index) for profile, namer in NAMERS.items()}
    for block in g.graph["blocks"].blocks:
        block.names = block_names(g, block.stage, block.index)
    return g
