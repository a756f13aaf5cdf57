"""Snap points to the nearest point of the nearest edge (private helper of routing).

The index holds one LineString per *undirected* edge of the graph (the u→v copy with u <= v;
the v→u copy has the same line reversed), in the graph's projected CRS. A snap
returns the edge and the position along it as a fraction of the line, from which routing builds
multi-source offsets.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely
from pyproj import Transformer
from shapely.ops import substring
from shapely.strtree import STRtree

from parcs import graph as _graph
from parcs.errors import EmptyAreaError, SnapError

if TYPE_CHECKING:
    import networkx as nx
    from shapely.geometry import LineString

__all__ = ["EdgeIndex", "Snap", "sub_line", "to_lonlat", "to_projected", "transform_coords"]


@functools.lru_cache(maxsize=8)
def _transformer(src: str, dst: str) -> Transformer:
    return Transformer.from_crs(src, dst, always_xy=True)


def graph_crs(G: nx.MultiDiGraph) -> str:
    """Return the CRS of `G` as a string (EPSG:2154 when the graph does not say)."""
    return _graph.graph_crs(G) or "EPSG:2154"


def to_projected(G: nx.MultiDiGraph, lon: float, lat: float) -> tuple[float, float]:
    """Project a lon/lat point (EPSG:4326) to the CRS of `G`."""
    x, y = _transformer("EPSG:4326", graph_crs(G)).transform(lon, lat)
    return float(x), float(y)


def to_lonlat(G: nx.MultiDiGraph, x: float, y: float) -> tuple[float, float]:
    """Return the lon/lat (EPSG:4326) of a point given in the CRS of `G`."""
    lon, lat = _transformer(graph_crs(G), "EPSG:4326").transform(x, y)
    return float(lon), float(lat)


def transform_coords(G: nx.MultiDiGraph, coords: np.ndarray) -> np.ndarray:
    """Return `coords` (n×2, CRS of `G`) transformed to lon/lat."""
    if len(coords) == 0:
        return np.empty((0, 2))
    lon, lat = _transformer(graph_crs(G), "EPSG:4326").transform(coords[:, 0], coords[:, 1])
    return np.column_stack([lon, lat])


@dataclass(frozen=True)
class Snap:
    """Where a point lands on the network.

    Attributes
    ----------
    u, v, key
        The edge (its geometry is oriented from `u` to `v`).
    fraction
        Position of the snapped point along the edge, 0 at `u`, 1 at `v`.
    distance_m
        Distance from the input point to the snapped point.
    x, y
        The snapped point.
    """

    u: int
    v: int
    key: int
    fraction: float
    distance_m: float
    x: float
    y: float


class EdgeIndex:
    """A spatial index (shapely STRtree) of the undirected edges of a graph.

    Parameters
    ----------
    edges
        int[k, 3] ``(u, v, key)`` node ids of each edge.
    geoms
        The k edge geometries, each oriented from its ``u`` to its ``v``, in the graph's
        projected CRS.
    """

    def __init__(self, edges: np.ndarray, geoms: np.ndarray) -> None:
        self.edges = [tuple(int(i) for i in e) for e in np.asarray(edges).reshape(-1, 3).tolist()]
        self.geoms = np.asarray(geoms, dtype=object)
        self.tree = STRtree(self.geoms) if len(self.geoms) else None

    def line(self, i: int) -> LineString:
        """Return the geometry of indexed edge `i`."""
        line: LineString = self.geoms[i]
        return line

    def distance(self, x: float, y: float) -> float:
        """Distance in metres from (`x`, `y`) to the nearest edge (inf without edges)."""
        if self.tree is None:
            return math.inf
        pt = shapely.Point(x, y)
        return float(self.geoms[int(self.tree.nearest(pt))].distance(pt))

    def snap(self, x: float, y: float, *, max_snap_m: float, label: str = "") -> Snap:
        """Snap the point (`x`, `y`) to the nearest point of the nearest edge.

        Raises
        ------
        SnapError
            If the nearest edge is farther than `max_snap_m`.
        EmptyAreaError
            If the graph has no edge to snap to.
        """
        if self.tree is None:
            msg = "the graph has no edge to snap a point to; build or load a network with edges"
            raise EmptyAreaError(msg)
        pt = shapely.Point(x, y)
        i = int(self.tree.nearest(pt))
        line = self.geoms[i]
        dist = float(line.distance(pt))
        if not dist <= max_snap_m:
            where = f" {label}" if label else ""
            msg = (
                f"the point{where} is {dist:,.0f} m from the nearest path, farther than "
                f"`max_snap_m`={max_snap_m:g} m; pick a point closer to the network or raise "
                "`max_snap_m`"
            )
            raise SnapError(msg, distance_m=dist)
        along = float(line.project(pt))
        total = float(line.length)
        fraction = along / total if total > 0 else 0.0
        fraction = min(1.0, max(0.0, fraction))
        p = line.interpolate(along)
        u, v, k = self.edges[i]
        return Snap(u, v, k, fraction, dist, float(p.x), float(p.y))


def sub_line(line: LineString, f0: float, f1: float) -> list[tuple[float, float]]:
    """Return the coordinates of `line` between fractions `f0` and `f1` (reversed if f0 > f1)."""
    if f0 > f1:
        return sub_line(line, f1, f0)[::-1]
    if f0 <= 0.0 and f1 >= 1.0:
        return [(float(x), float(y)) for x, y in shapely.get_coordinates(line).tolist()]
    total = line.length
    if total <= 0 or math.isclose(f0, f1):
        p = line.interpolate(f0, normalized=True)
        return [(p.x, p.y)]
    seg = substring(line, f0 * total, f1 * total)
    return [(float(x), float(y)) for x, y in shapely.get_coordinates(seg).tolist()]
