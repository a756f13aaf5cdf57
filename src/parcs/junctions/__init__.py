"""Réseau points nœuds: design, number, validate, plan and import cycling junction networks.

``design`` designs a network on any parcs graph (:func:`points_noeuds`), ``numbering``
numbers junctions (:func:`number_junctions`), ``osm_import`` reads an existing OSM node
network (:func:`read_node_network`); all return a :class:`JunctionNetwork` (``network``),
which ``validation`` checks, ``planning`` rides by numbers, ``loops`` rides round trips by
numbers and ``handout`` prints for riders. ``_select`` (choosing the signed network),
``_signed`` (its junctions and links), ``_linkgraph`` (the link graph shared by design and
import) and ``_split`` (cutting long edges) are private.
"""

from __future__ import annotations

from parcs.junctions.design import points_noeuds
from parcs.junctions.network import JunctionNetwork
from parcs.junctions.numbering import number_junctions
from parcs.junctions.osm_import import read_node_network
from parcs.junctions.validation import (
    DEFAULT_MAX_LINK_M,
    DEFAULT_MESH_M,
    DEFAULT_MIN_LINK_M,
    DEFAULT_MIN_REUSE_M,
    DEFAULT_TARGET_LINK_M,
    IDEAL_LINK_M,
    IDEAL_LOOP_M,
    MIN_SHARE,
)

__all__ = [
    "DEFAULT_MAX_LINK_M",
    "DEFAULT_MESH_M",
    "DEFAULT_MIN_LINK_M",
    "DEFAULT_MIN_REUSE_M",
    "DEFAULT_TARGET_LINK_M",
    "IDEAL_LINK_M",
    "IDEAL_LOOP_M",
    "MIN_SHARE",
    "JunctionNetwork",
    "number_junctions",
    "points_noeuds",
    "read_node_network",
]
