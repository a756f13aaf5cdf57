"""parcs: route planning on the Chaîne des parcs greenway network of the Artois.

Public names are loaded lazily, so ``import parcs`` stays cheap (geopandas, osmnx and numba
load only when a function that needs them is first used).
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from parcs import errors

try:
    __version__ = version("parcs")
except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
    __version__ = "0.0.0"

# public name -> module that defines it
_LAZY = {
    # network
    "load_network": "parcs.territory",
    "build_network": "parcs.territory",
    "places": "parcs.territory",
    "find_place": "parcs.territory",
    "graph_from_osm": "parcs.osm",
    "summary": "parcs._summary",
    "metrics": "parcs.indicators",
    "metrics_table": "parcs.indicators",
    # routing
    "CSRGraph": "parcs.csr",
    "route": "parcs.routing",
    "Route": "parcs.routing",
    "distance_matrix": "parcs.routing",
    "isochrone": "parcs.routing",
    "alternatives": "parcs.routing",
    "round_trip": "parcs.routing",
    "warmup": "parcs.routing",
    "PROFILES": "parcs.profiles",
    # points-noeuds
    "points_noeuds": "parcs.junctions",
    "JunctionNetwork": "parcs.junctions",
    "read_node_network": "parcs.junctions",
    # missing links
    "missing_links": "parcs.links",
    "plan_links": "parcs.links",
}
_SUBMODULES = {
    "maps", "io", "csr", "routing", "territory", "osm", "junctions", "links", "profiles", "indicators",
}

__all__ = ["__version__", "errors", *sorted(_LAZY), *sorted(_SUBMODULES)]


def __getattr__(name: str) -> Any:  # noqa: ANN401
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        module = importlib.import_module(f"parcs.{name}")
        globals()[name] = module
        return module
    msg = f"module 'parcs' has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return __all__
