"""parcs: route planning on the Chaîne des parcs greenway network of the Artois, and any other.

Public names are loaded lazily, so ``import parcs`` stays cheap (geopandas, osmnx and numba
load only when a function that needs them is first used); mypy and IDEs see the same names
through the imports under ``TYPE_CHECKING``.

The package, by layer (imports run down this list only): ``errors``, ``settings`` →
``profiles`` → ``graph`` (the graph contract) → ``csr`` (the one array form) → ``io`` →
``network`` (where graphs come from: territory, lines, osm, places, summary) → ``routing`` →
``junctions``, ``links`` → ``maps`` → ``cli``.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from parcs import errors

try:
    __version__ = version("parcs")
except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
    __version__ = "0.0.0"

if TYPE_CHECKING:
    from parcs import csr, graph, io, junctions, links, maps, profiles, routing, settings
    from parcs.csr import CSRGraph
    from parcs.graph import validate_graph
    from parcs.io import load_graph, save_graph
    from parcs.junctions import JunctionNetwork, points_noeuds, read_node_network
    from parcs.links import evaluate_links, metrics, metrics_table, missing_links, plan_links
    from parcs.network import lines as lines
    from parcs.network import osm, territory
    from parcs.network.lines import graph_from_lines
    from parcs.network.osm import graph_from_osm
    from parcs.network.osm_places import places_from_osm
    from parcs.network.places import attach_places, find_place, places
    from parcs.network.summary import summary
    from parcs.network.territory import build_network, load_network
    from parcs.profiles import PROFILES, Profile
    from parcs.routing import (
        Isochrone,
        Route,
        alternatives,
        distance_matrix,
        isochrone,
        round_trip,
        route,
        warmup,
    )

    indicators = links

# public name -> module that defines it
_LAZY = {
    # network
    "load_network": "parcs.network.territory",
    "build_network": "parcs.network.territory",
    "places": "parcs.network.places",
    "find_place": "parcs.network.places",
    "attach_places": "parcs.network.places",
    "graph_from_osm": "parcs.network.osm",
    "places_from_osm": "parcs.network.osm_places",
    "graph_from_lines": "parcs.network.lines",
    "summary": "parcs.network.summary",
    "validate_graph": "parcs.graph",
    "save_graph": "parcs.io",
    "load_graph": "parcs.io",
    "metrics": "parcs.links",
    "metrics_table": "parcs.links",
    # routing
    "CSRGraph": "parcs.csr",
    "route": "parcs.routing",
    "Route": "parcs.routing",
    "Isochrone": "parcs.routing",
    "distance_matrix": "parcs.routing",
    "isochrone": "parcs.routing",
    "alternatives": "parcs.routing",
    "round_trip": "parcs.routing",
    "warmup": "parcs.routing",
    "PROFILES": "parcs.profiles",
    "Profile": "parcs.profiles",
    # points-noeuds
    "points_noeuds": "parcs.junctions",
    "JunctionNetwork": "parcs.junctions",
    "read_node_network": "parcs.junctions",
    # missing links
    "missing_links": "parcs.links",
    "plan_links": "parcs.links",
    "evaluate_links": "parcs.links",
}
# public submodule -> where it lives (``territory``, ``osm`` and ``indicators`` keep their
# names from before the package was laid out by layer)
_SUBMODULES = {
    "maps": "parcs.maps",
    "io": "parcs.io",
    "csr": "parcs.csr",
    "graph": "parcs.graph",
    "settings": "parcs.settings",
    "routing": "parcs.routing",
    "network": "parcs.network",
    "territory": "parcs.network.territory",
    "osm": "parcs.network.osm",
    "lines": "parcs.network.lines",
    "junctions": "parcs.junctions",
    "links": "parcs.links",
    "indicators": "parcs.links.indicators",
    "profiles": "parcs.profiles",
}

__all__ = ["__version__", "errors", *sorted(_LAZY), *sorted(_SUBMODULES)]


def __getattr__(name: str) -> Any:  # noqa: ANN401
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        module = importlib.import_module(_SUBMODULES[name])
        globals()[name] = module
        return module
    msg = f"module 'parcs' has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return __all__
