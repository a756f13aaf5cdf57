"""Interactive folium maps of the greenway network, places, routes, points-nœuds and gaps.

:func:`explore` draws everything in one call; the ``add_*`` functions add one layer each to an
existing :class:`folium.Map` and can be combined freely. Every layer is listed in a layer
control and has a legend entry (:func:`add_legend`).

Maps work offline: Leaflet (BSD-2) and the parcs helpers (``parcs/_static``) are inlined in the
page instead of being loaded from a CDN, so only background tiles need a network connection.
Without tiles, :func:`add_basemap` draws a light base map (settlement outlines and names).

Safe with hostile data: every name (OSM tags, user layers, places) reaches the page as text,
never as HTML or script (see ``parcs.maps._common``).

Display geometry is simplified with a tolerance of :data:`DEFAULT_SIMPLIFY_M` metres (in the
graph's CRS, before reprojection); the network is written in a compact encoded form
(:data:`NETWORK_DECIMALS` decimals, about 1 m) so that a 100k-node graph makes a page of a few
MB. Exports (:mod:`parcs.io`) keep the exact geometry.
"""

from __future__ import annotations

from parcs.maps._common import (
    COORD_DECIMALS,
    DEFAULT_SIMPLIFY_M,
    GAP_COLORS,
    KIND_COLORS,
    KIND_LABELS,
    PLACE_COLORS,
)
from parcs.maps._explore import add_legend, explore, save_map
from parcs.maps._network import CANVAS_MIN_EDGES, NETWORK_DECIMALS, add_network
from parcs.maps._places import add_basemap, add_places
from parcs.maps._results import add_isochrone, add_junctions, add_missing_links, add_route

__all__ = [
    "CANVAS_MIN_EDGES",
    "COORD_DECIMALS",
    "DEFAULT_SIMPLIFY_M",
    "GAP_COLORS",
    "KIND_COLORS",
    "KIND_LABELS",
    "NETWORK_DECIMALS",
    "PLACE_COLORS",
    "add_basemap",
    "add_isochrone",
    "add_junctions",
    "add_legend",
    "add_missing_links",
    "add_network",
    "add_places",
    "add_route",
    "explore",
    "save_map",
]
