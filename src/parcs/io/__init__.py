"""Files: exports for GIS and GPS tools, and saved graphs.

``export`` writes networks, places, points-nœuds, missing links and routes (GeoPackage,
GeoJSON, GPX, CSV); ``graph_file`` saves a whole graph in one GeoPackage and loads it back
(:func:`save_graph`, :func:`load_graph`). Every file is written atomically.
"""

from __future__ import annotations

from parcs.io.export import (
    DRIVERS,
    routes_to_gpx,
    save_csv,
    save_gdf,
    save_gpx,
    save_junctions,
    save_layers,
    save_network,
    save_places,
    to_gdfs,
)
from parcs.io.graph_file import (
    GRAPH_FORMAT,
    GRAPH_FORMAT_VERSION,
    GRAPH_TABLE,
    load_graph,
    save_graph,
)

__all__ = [
    "DRIVERS",
    "GRAPH_FORMAT",
    "GRAPH_FORMAT_VERSION",
    "GRAPH_TABLE",
    "load_graph",
    "routes_to_gpx",
    "save_csv",
    "save_gdf",
    "save_gpx",
    "save_graph",
    "save_junctions",
    "save_layers",
    "save_network",
    "save_places",
    "to_gdfs",
]
