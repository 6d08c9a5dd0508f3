"""Pass ``names``: give every op its name in each naming profile (torchvision, keras, timm).

Pre:  lowered IR (``scope`` and ``role`` on every node; graph ``stages`` set).
Post: every node has ``names``: ``{profile: name}``; names of ops with weights are unique per profile.
"""

from __future__ import annotations

import networkx as nx

from archc.ir.naming import keras_name, stem_counters, torchvision_name
from archc.ir.timm_names import timm_name

NAMERS = {"torchvision": torchvision_name, "keras": keras_name, "timm": timm_name}


def assign_names(g: nx.DiGraph) -> nx.DiGraph:
    stem_index = stem_counters(g)
    for node, data in g.nodes(data=True):
        data["names"] = {profile: namer(g, node, stem_index) for profile, namer in NAMERS.items()}
    return g
