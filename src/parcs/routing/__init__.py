"""Routing on parcs graphs: routes, matrices, isochrones, alternatives and round trips.

``queries`` holds the point-to-point and one-to-many queries, ``loops`` the round trips,
``results`` the :class:`Route` and :class:`Isochrone` objects; ``_net`` (endpoints, snapping,
legs) and ``_snap`` (the edge index) are private to this package.
"""

from __future__ import annotations

from parcs._kernels import warmup
from parcs.routing.loops import round_trip
from parcs.routing.queries import alternatives, distance_matrix, isochrone, route
from parcs.routing.results import Isochrone, Route

__all__ = [
    "Isochrone",
    "Route",
    "alternatives",
    "distance_matrix",
    "isochrone",
    "round_trip",
    "route",
    "warmup",
]
