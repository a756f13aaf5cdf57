"""Route planning on a parcs graph: routes, matrices, isochrones, alternatives and round trips.

Every function takes the networkx graph `G` (see ``docs/graph-format.md``) and, optionally, a
prebuilt :class:`parcs.csr.CSRGraph` of it (``csr=``) to avoid converting `G` on every call;
nothing is ever cached on `G`. Searches run in the numba kernels of :mod:`parcs._kernels`.

Origins and destinations ("locations") can be

* a ``(lon, lat)`` tuple (EPSG:4326): snapped to the *nearest point of the nearest edge*; the
  search starts from both ends of that edge with the partial costs as offsets;
* a node id (``int``);
* a place name (``str``, looked up with :func:`parcs.find_place`) or a place row (a pandas
  Series with ``access_nodes``, as returned by ``find_place``): the route starts from / ends at
  whichever access node is best.

Routes optimise the profile *cost* (``est_length × multiplier[kind]``, see
:mod:`parcs.profiles`) and report the real length (``est_length``), time and kilometres by kind.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import LineString, mapping

from parcs._kernels import warmup
from parcs._kernels.astar import astar_multi
from parcs._kernels.dijkstra import dijkstra
from parcs._kernels.many import many_to_many
from parcs._kernels.paths import path_arcs
from parcs._log import logger
from parcs._snap import EdgeIndex, Snap, sub_line, to_lonlat, to_projected, transform_coords
from parcs.errors import (
    LoopError,
    NodeNotFoundError,
    NoPathError,
    ProfileError,
    SnapError,
    ValidationError,
)
from parcs.profiles import get_profile

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from os import PathLike

    import geopandas as gpd
    import networkx as nx
    import pandas as pd

    from parcs.csr import CSRGraph

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

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

_NO_MASK = np.empty(0, dtype=np.bool_)
_NO_TARGETS = np.empty(0, dtype=np.int64)
_WEIGHT_KINDS = ("time", "length", "cost")


# --------------------------------------------------------------------------------------------
# Result objects
# --------------------------------------------------------------------------------------------


@dataclass
class Route:
    """A route on the network.

    Attributes
    ----------
    nodes
        Network nodes passed through, in order (empty when the route stays on one edge).
    geometry
        The route line in EPSG:2154, partial first and last edges included.
    geometry_wgs84
        The same line in EPSG:4326 (lon, lat).
    length_m
        Metres travelled (sum of ``est_length``; gap connectors count with their detour factor).
    duration_s
        Travel time for the profile, in seconds.
    cost
        Profile cost that the route minimises (perceived metres).
    km_by_kind
        Kilometres by edge ``kind``.
    connector_km
        Kilometres on gap connectors (edges with ``built=False``).
    profile
        Profile name.
    orig_label, dest_label
        Human-readable origin and destination.
    waypoints
        ``(name, lon, lat)`` of the origin, the via points and the destination.
    edge_m
        Metres ridden on each undirected edge, keyed ``(u, v, key)`` with ``u <= v``; a value
        above the edge's ``est_length`` means part of it is ridden more than once.
    """

    nodes: list[int]
    geometry: LineString
    geometry_wgs84: LineString
    length_m: float
    duration_s: float
    cost: float
    km_by_kind: dict[str, float]
    connector_km: float
    profile: str
    orig_label: str
    dest_label: str
    waypoints: list[tuple[str, float, float]] = field(default_factory=list)
    edge_m: dict[tuple[int, int, int], float] = field(default_factory=dict, repr=False)

    def _properties(self) -> dict[str, Any]:
        props: dict[str, Any] = {
            "orig": self.orig_label,
            "dest": self.dest_label,
            "profile": self.profile,
            "length_m": round(self.length_m, 2),
            "duration_s": round(self.duration_s, 1),
            "cost": round(self.cost, 2),
            "connector_km": round(self.connector_km, 4),
        }
        for kind, km in sorted(self.km_by_kind.items()):
            props[f"km_{kind}"] = round(km, 4)
        return props

    def to_gdf(self) -> gpd.GeoDataFrame:
        """Return the route as a one-row GeoDataFrame in EPSG:2154.

        Columns: ``orig``, ``dest``, ``profile``, ``length_m``, ``duration_s``, ``cost``,
        ``connector_km`` and one ``km_<kind>`` column per kind, plus the geometry.
        """
        import geopandas as gpd  # noqa: PLC0415

        return gpd.GeoDataFrame([self._properties()], geometry=[self.geometry], crs="EPSG:2154")

    def to_geojson(self) -> str:
        """Return the route as a GeoJSON FeatureCollection string (EPSG:4326 coordinates)."""
        feature = {
            "type": "Feature",
            "properties": {**self._properties(), "km_by_kind": self.km_by_kind},
            "geometry": mapping(self.geometry_wgs84),
        }
        return json.dumps({"type": "FeatureCollection", "features": [feature]}, ensure_ascii=False)

    def to_gpx(self, path: str | PathLike[str] | None = None) -> str:
        """Return the route as GPX 1.1 text and write it to `path` if given.

        The track holds the route line (lon/lat); the origin, via points and destination are
        GPX waypoints. The file is written atomically.
        """
        import gpxpy.gpx  # noqa: PLC0415

        from parcs._atomic import write_text  # noqa: PLC0415

        gpx = gpxpy.gpx.GPX()
        gpx.creator = "parcs"
        track = gpxpy.gpx.GPXTrack(name=f"{self.orig_label} → {self.dest_label}")
        track.description = (
            f"{self.length_m / 1000:.2f} km, {self.duration_s / 60:.0f} min ({self.profile})"
        )
        segment = gpxpy.gpx.GPXTrackSegment()
        for lon, lat in self.geometry_wgs84.coords:
            segment.points.append(gpxpy.gpx.GPXTrackPoint(latitude=lat, longitude=lon))
        track.segments.append(segment)
        gpx.tracks.append(track)
        for name, lon, lat in self.waypoints:
            gpx.waypoints.append(gpxpy.gpx.GPXWaypoint(latitude=lat, longitude=lon, name=name))
        text = gpx.to_xml(version="1.1")
        if path is not None:
            write_text(path, text)
        return text


@dataclass
class Isochrone:
    """The part of the network reachable within a time or distance limit.

    Attributes
    ----------
    edges
        GeoDataFrame (EPSG:2154) of reached edge pieces: ``u``, ``v``, ``key``, ``kind``,
        ``reached_fraction`` (share of the edge reached), ``length_m`` (reached ``est_length``)
        and the reached geometry (edges reached only partly are cut at the limit).
    polygon
        The area within `buffer_m` of the reached pieces (a buffer, not a hull, because the
        network is made of long linear paths), EPSG:2154.
    profile
        Profile name.
    max_s, max_m
        The limit that was applied (the other one is ``None``).
    buffer_m
        Buffer distance used for `polygon`.
    orig_label
        Human-readable origin.
    """

    edges: gpd.GeoDataFrame
    polygon: Any
    profile: str
    max_s: float | None
    max_m: float | None
    buffer_m: float
    orig_label: str

    @property
    def reached_km(self) -> float:
        """Kilometres of network reached (``est_length``)."""
        return float(self.edges["length_m"].sum()) / 1000.0 if len(self.edges) else 0.0

    def to_gdf(self) -> gpd.GeoDataFrame:
        """Return the polygon as a one-row GeoDataFrame (EPSG:2154) with the limit and km."""
        import geopandas as gpd  # noqa: PLC0415

        row = {
            "orig": self.orig_label,
            "profile": self.profile,
            "max_s": self.max_s,
            "max_m": self.max_m,
            "reached_km": self.reached_km,
        }
        return gpd.GeoDataFrame([row], geometry=[self.polygon], crs="EPSG:2154")


# --------------------------------------------------------------------------------------------
# Internal machinery
# --------------------------------------------------------------------------------------------

# A piece of route: (arc index, f0, f1) = the arc's own geometry from fraction f0 to f1 (f0<f1).
Piece = tuple[int, float, float]


@dataclass
class _Endpoint:
    """A resolved origin/destination: either network nodes or a snapped point."""

    label: str
    nodes: IntArray  # node indexes (used when snap is None)
    snap: Snap | None = None
    x: float = math.nan
    y: float = math.nan
    arcs: tuple[int, int] = (-1, -1)  # (u->v, v->u) arcs of the snapped edge, -1 if absent


@dataclass
class _Leg:
    pieces: list[Piece]
    cost: float
    start_xy: tuple[float, float]
    end_xy: tuple[float, float]
    end_node: int  # node index where the leg arrives (-1 for a snapped point)


class _Net:
    """Everything a routing call needs about the graph (built per call, never cached on G)."""

    def __init__(
        self,
        G: nx.MultiDiGraph,
        csr: CSRGraph | None,
        *,
        profile: str,
        avoid_connectors: bool,
        max_snap_m: float,
    ) -> None:
        if not isinstance(profile, str):  # callers may pass anything at runtime
            msg = f"`profile` must be a profile name, got {type(profile).__name__} {profile!r}"  # type: ignore[unreachable]
            raise ProfileError(msg)
        get_profile(profile)
        if not (isinstance(max_snap_m, (int, float)) and max_snap_m >= 0):
            msg = f"`max_snap_m` must be a number >= 0, got {max_snap_m!r}"
            raise ValidationError(msg)
        if csr is None:
            from parcs.csr import CSRGraph  # noqa: PLC0415

            csr = CSRGraph.from_graph(G)
        n_arcs = len(csr.indices)
        if len(csr.indptr) - 1 != G.number_of_nodes() or n_arcs != G.number_of_edges():
            msg = (
                f"`csr` ({len(csr.indptr) - 1} nodes, {n_arcs} arcs) does not match `G` "
                f"({G.number_of_nodes()} nodes, {G.number_of_edges()} edges): it was built "
                "from another graph or G changed since; rebuild it with CSRGraph.from_graph(G)"
            )
            raise ValidationError(msg)
        cost_name = f"{profile}_cost"
        if cost_name not in csr.weights:
            msg = (
                f"`profile` {profile!r} has no weights in the CSR graph (it has "
                f"{sorted(csr.weights)}); rebuild it with CSRGraph.from_graph(G)"
            )
            raise ProfileError(msg)
        self.G = G
        self.csr = csr
        self.profile = profile
        self.avoid_connectors = avoid_connectors
        self.max_snap_m = float(max_snap_m)
        self.indptr = np.ascontiguousarray(csr.indptr, dtype=np.int64)
        self.indices = np.ascontiguousarray(csr.indices, dtype=np.int64)
        self.n = len(self.indptr) - 1
        self._weights: dict[tuple[str, bool], FloatArray] = {}
        self._index: EdgeIndex | None = None

    @functools.cached_property
    def tails(self) -> IntArray:
        """Tail of every arc (built on first use; scalar lookups use :meth:`tail`)."""
        return self.csr.tails

    def tail(self, a: int) -> int:
        """Return the tail node index of arc `a` (bisects ``indptr``)."""
        return int(np.searchsorted(self.indptr, a, side="right")) - 1

    # weights ----------------------------------------------------------------------------
    @property
    def h_scale(self) -> float:
        """A* heuristic scale, admissible for the cost weights and anything >= them."""
        return self.csr.h_scale(f"{self.profile}_cost")

    def weight(self, kind: str, *, avoid: bool | None = None) -> FloatArray:
        """Return the weights of `kind` in {"cost", "time", "length"}."""
        avoid = self.avoid_connectors if avoid is None else avoid
        cache_key = (kind, avoid)
        if cache_key not in self._weights:
            name = "length" if kind == "length" else f"{self.profile}_{kind}"
            w = self.csr.weight(name, avoid_connectors=avoid)
            self._weights[cache_key] = np.ascontiguousarray(w, dtype=np.float64)
        return self._weights[cache_key]

    # ids --------------------------------------------------------------------------------
    def node_index(self, node_id: int) -> int:
        return int(self.csr.index_of(np.asarray([node_id], dtype=np.int64))[0])

    def arc_edge(self, a: int) -> tuple[int, int, int]:
        """Return the (u_id, v_id, key) of arc `a`."""
        ids = self.csr.node_ids
        return int(ids[self.tail(a)]), int(ids[self.indices[a]]), int(self.csr.arc_key[a])

    def find_arc(self, u_idx: int, v_idx: int, key: int) -> int:
        lo, hi = int(self.indptr[u_idx]), int(self.indptr[u_idx + 1])
        for a in range(lo, hi):
            if self.indices[a] == v_idx and int(self.csr.arc_key[a]) == key:
                return a
        return -1

    @property
    def index(self) -> EdgeIndex:
        if self._index is None:
            self._index = EdgeIndex(self.G, exclude_connectors=self.avoid_connectors)
        return self._index

    def canonical(self, a: int) -> tuple[tuple[int, int, int], bool]:
        """Return the undirected edge key of arc `a` and whether the arc runs reversed."""
        u, v, k = self.arc_edge(a)
        if u <= v:
            return (u, v, k), False
        return (v, u, k), True

    # locations --------------------------------------------------------------------------
    def resolve(self, loc: Any, what: str) -> _Endpoint:  # noqa: ANN401
        """Turn a user location into an endpoint (raises on bad input)."""
        if isinstance(loc, _Endpoint):
            return loc
        if isinstance(loc, (bool, np.bool_)):
            msg = f"`{what}` must be (lon, lat), a node id or a place name, got {loc!r}"
            raise ValidationError(msg)
        if isinstance(loc, (int, np.integer)):
            try:
                idx = self.node_index(int(loc))
            except NodeNotFoundError:
                msg = f"`{what}` node {int(loc)} is not in the graph; pass a node id of G"
                raise NodeNotFoundError(msg) from None
            return _Endpoint(
                f"node {int(loc)}",
                np.asarray([idx], dtype=np.int64),
                x=float(self.csr.x[idx]),
                y=float(self.csr.y[idx]),
            )
        if isinstance(loc, str):
            from parcs.territory import find_place  # noqa: PLC0415

            return self._place_endpoint(find_place(self.G, loc), what)
        if _is_place_row(loc):
            return self._place_endpoint(loc, what)
        if isinstance(loc, (tuple, list, np.ndarray)) and len(loc) == 2:  # noqa: PLR2004
            return self._point_endpoint(list(loc), what)
        msg = (
            f"`{what}` must be a (lon, lat) tuple, a node id or a place name, got "
            f"{type(loc).__name__} {loc!r}"
        )
        raise ValidationError(msg)

    def _point_endpoint(self, loc: Sequence[Any], what: str) -> _Endpoint:
        try:
            lon, lat = float(loc[0]), float(loc[1])
        except (TypeError, ValueError):
            msg = f"`{what}` point must be two numbers (lon, lat), got {loc!r}"
            raise ValidationError(msg) from None
        if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180):  # noqa: PLR2004
            msg = f"`{what}` point {loc!r} is not a valid (lon, lat) in degrees"
            raise ValidationError(msg)
        if not -90 <= lat <= 90:  # noqa: PLR2004
            msg = (
                f"`{what}` point {loc!r} has latitude {lat} outside [-90, 90]; "
                "points are (lon, lat)"
            )
            raise ValidationError(msg)
        x, y = to_projected(self.G, lon, lat)
        label = f"{lat:.5f},{lon:.5f}"
        try:
            snap = self.index.snap(
                x, y, max_snap_m=self.max_snap_m, label=f"`{what}` ({lon:g}, {lat:g})"
            )
        except SnapError as err:
            msg = f"{err} (points are (lon, lat) in degrees)"
            if -90 <= lon <= 90:  # noqa: PLR2004 - could the two numbers be swapped?
                sx, sy = to_projected(self.G, lat, lon)
                if self.index.distance(sx, sy) <= self.max_snap_m:
                    msg += f"; ({lat:g}, {lon:g}) is on the network: are lon and lat swapped?"
            raise SnapError(msg, distance_m=err.distance_m) from None
        ui, vi = self.node_index(snap.u), self.node_index(snap.v)
        arcs = (self.find_arc(ui, vi, snap.key), self.find_arc(vi, ui, snap.key))
        return _Endpoint(
            label, np.asarray([ui, vi], dtype=np.int64), snap=snap, x=snap.x, y=snap.y, arcs=arcs
        )

    def _place_endpoint(self, row: Any, what: str) -> _Endpoint:  # noqa: ANN401
        name = str(row.get("name", getattr(row, "name", "place")))
        raw = row.get("access_nodes")
        access = [] if raw is None else [int(n) for n in raw]
        if not access:
            msg = (
                f"`{what}` place {name!r} has no access node on the network (it is "
                f"{float(row.get('access_dist_m', math.nan)):,.0f} m from the nearest path); "
                "route from a nearby point or place instead"
            )
            raise NoPathError(msg, reason="components")
        idx = np.unique(self.csr.index_of(np.asarray(access, dtype=np.int64))).astype(np.int64)
        return _Endpoint(name, idx, x=float(self.csr.x[idx[0]]), y=float(self.csr.y[idx[0]]))

    def node_endpoint(self, idx: int, label: str) -> _Endpoint:
        return _Endpoint(
            label,
            np.asarray([idx], dtype=np.int64),
            x=float(self.csr.x[idx]),
            y=float(self.csr.y[idx]),
        )

    def offsets(
        self, ep: _Endpoint, w: FloatArray, *, as_origin: bool
    ) -> tuple[IntArray, FloatArray]:
        """Return the search nodes of `ep` and their cost offsets for weights `w`."""
        if ep.snap is None:
            return ep.nodes, np.zeros(len(ep.nodes))
        f = ep.snap.fraction
        a_uv, a_vu = ep.arcs
        w_uv = w[a_uv] if a_uv >= 0 else math.inf
        w_vu = w[a_vu] if a_vu >= 0 else math.inf
        if as_origin:  # point -> u along v->u, point -> v along u->v
            off = np.array([f * w_vu, (1.0 - f) * w_uv])
        else:  # u -> point along u->v, v -> point along v->u
            off = np.array([f * w_uv, (1.0 - f) * w_vu])
        off = np.where(np.isnan(off), math.inf, off)  # 0 * inf
        return ep.nodes, off

    def start_piece(self, ep: _Endpoint, node_idx: int) -> list[Piece]:
        """Pieces from a snapped origin to its edge end `node_idx`."""
        if ep.snap is None:
            return []
        f = ep.snap.fraction
        a_uv, a_vu = ep.arcs
        if node_idx == ep.nodes[1] and a_uv >= 0 and f < 1.0:
            return [(a_uv, f, 1.0)]
        if node_idx == ep.nodes[0] and a_vu >= 0 and f > 0.0:
            return [(a_vu, 1.0 - f, 1.0)]
        return []

    def end_piece(self, ep: _Endpoint, node_idx: int) -> list[Piece]:
        """Pieces from edge end `node_idx` to a snapped destination."""
        if ep.snap is None:
            return []
        f = ep.snap.fraction
        a_uv, a_vu = ep.arcs
        if node_idx == ep.nodes[0] and a_uv >= 0 and f > 0.0:
            return [(a_uv, 0.0, f)]
        if node_idx == ep.nodes[1] and a_vu >= 0 and f < 1.0:
            return [(a_vu, 0.0, 1.0 - f)]
        return []

    def direct(self, o: _Endpoint, d: _Endpoint, w: FloatArray) -> tuple[float, list[Piece]]:
        """Cost and pieces of riding directly along the edge shared by two snapped points."""
        if o.snap is None or d.snap is None:
            return math.inf, []
        so, sd = o.snap, d.snap
        if (so.u, so.v, so.key) != (sd.u, sd.v, sd.key):
            return math.inf, []
        fo, fd = so.fraction, sd.fraction
        if fo == fd:
            return 0.0, []
        a_uv, a_vu = o.arcs
        if fd > fo and a_uv >= 0:
            return (fd - fo) * float(w[a_uv]), [(a_uv, fo, fd)]
        if fd < fo and a_vu >= 0:
            return (fo - fd) * float(w[a_vu]), [(a_vu, 1.0 - fo, 1.0 - fd)]
        return math.inf, []

    # searching --------------------------------------------------------------------------
    def search(self, o: _Endpoint, d: _Endpoint, w: FloatArray) -> tuple[_Leg | None, FloatArray]:
        """Find the cheapest leg from `o` to `d` under weights `w` (None if unreachable).

        The search is A* (``astar_multi``) with a Euclidean heuristic scaled for the profile's
        cost weight. Every caller passes the cost weights or a copy of them multiplied by
        factors >= 1 (alternatives' and loops' penalties, ``inf`` for excluded connectors), so
        the heuristic stays admissible and consistent, and the result exact.
        """
        src, src_off = self.offsets(o, w, as_origin=True)
        tgt, tgt_off = self.offsets(d, w, as_origin=False)
        keep = np.isfinite(tgt_off)
        tgt_u = np.unique(tgt[keep]).astype(np.int64) if keep.any() else _NO_TARGETS
        if len(tgt_u) == 0:
            dist = np.full(self.n, math.inf)
            best = math.inf
        else:
            dist, pred = astar_multi(
                self.indptr,
                self.indices,
                w,
                self.csr.x,
                self.csr.y,
                np.ascontiguousarray(src, dtype=np.int64),
                np.ascontiguousarray(src_off, dtype=np.float64),
                tgt_u,
                self.h_scale,
            )
            total = dist[tgt] + tgt_off
            j = int(np.argmin(total))
            best = float(total[j])
        direct_cost, direct_pieces = self.direct(o, d, w)
        if direct_cost <= best and math.isfinite(direct_cost):
            xy_o, xy_d = (o.x, o.y), (d.x, d.y)
            return _Leg(direct_pieces, direct_cost, xy_o, xy_d, -1), dist
        if not math.isfinite(best):
            return None, dist
        end = int(tgt[j])
        arcs = path_arcs(pred, self.indptr, end)
        start = self.tail(int(arcs[0])) if len(arcs) else end
        pieces = self.start_piece(o, start)
        pieces += [(int(a), 0.0, 1.0) for a in arcs]
        pieces += self.end_piece(d, end)
        start_xy = (o.x, o.y) if o.snap is not None else self.xy(start)
        end_xy = (d.x, d.y) if d.snap is not None else self.xy(end)
        return _Leg(pieces, best, start_xy, end_xy, -1 if d.snap is not None else end), dist

    def xy(self, idx: int) -> tuple[float, float]:
        return float(self.csr.x[idx]), float(self.csr.y[idx])

    def leg_or_raise(self, o: _Endpoint, d: _Endpoint, w: FloatArray | None = None) -> _Leg:
        """Return the cheapest leg, or raise NoPathError saying why there is none."""
        weights = self.weight("cost") if w is None else w
        leg, dist = self.search(o, d, weights)
        if leg is not None:
            return leg
        if self.avoid_connectors:
            leg2, _ = self.search(o, d, self.weight("cost", avoid=False))
            if leg2 is not None:
                msg = (
                    f"no route from {o.label!r} to {d.label!r} without gap connectors: "
                    "they are joined only through connectors (paths not built yet); "
                    "use avoid_connectors=False to allow them"
                )
                raise NoPathError(msg, reason="connectors")
        reached = int(np.isfinite(dist).sum())
        msg = (
            f"no route from {o.label!r} to {d.label!r}: they lie in different connected parts "
            f"of the network (the part reachable from {o.label!r} has {reached} of {self.n} "
            "nodes); choose places on the same network or add the missing link"
        )
        raise NoPathError(msg, reason="components")

    # building routes --------------------------------------------------------------------
    def build_route(  # noqa: C901, PLR0912
        self,
        legs: Sequence[_Leg],
        *,
        orig_label: str,
        dest_label: str,
        waypoints: list[tuple[str, float, float]],
    ) -> Route:
        """Turn legs into a Route with real lengths, times, costs and geometry."""
        w_len = self.weight("length", avoid=False)
        w_time = self.weight("time", avoid=False)
        w_cost = self.weight("cost", avoid=False)
        connector = np.asarray(self.csr.connector, dtype=bool)
        length = duration = cost = connector_m = 0.0
        by_kind: dict[str, float] = {}
        edge_m: dict[tuple[int, int, int], float] = {}
        coords: list[tuple[float, float]] = []
        nodes: list[int] = []
        ids = self.csr.node_ids
        for leg in legs:
            if not coords or coords[-1] != leg.start_xy:
                coords.append(leg.start_xy)
            for a, f0, f1 in leg.pieces:
                frac = f1 - f0
                if frac <= 0:
                    continue
                u, v, k = self.arc_edge(a)
                data = self.G.edges[u, v, k]
                seg_len = frac * float(w_len[a])
                length += seg_len
                duration += frac * float(w_time[a])
                cost += frac * float(w_cost[a])
                kind = str(data.get("kind", ""))
                by_kind[kind] = by_kind.get(kind, 0.0) + seg_len / 1000.0
                if connector[a]:
                    connector_m += seg_len
                ckey, _ = self.canonical(a)
                edge_m[ckey] = edge_m.get(ckey, 0.0) + seg_len
                if f0 == 0.0:
                    _append_node(nodes, int(ids[self.tail(a)]))
                if f1 == 1.0:
                    _append_node(nodes, int(ids[self.indices[a]]))
                geom = data.get("geometry")
                if geom is None:
                    geom = LineString([self.xy(self.tail(a)), self.xy(int(self.indices[a]))])
                for c in sub_line(geom, f0, f1):
                    if not coords or coords[-1] != c:
                        coords.append(c)
            if coords[-1] != leg.end_xy:
                coords.append(leg.end_xy)
            if not leg.pieces and leg.end_node >= 0:  # zero-length leg at a node
                _append_node(nodes, int(ids[leg.end_node]))
        if len(coords) == 1:
            coords.append(coords[0])
        line = LineString(coords)
        lonlat = transform_coords(self.G, np.asarray(line.coords))
        return Route(
            nodes=nodes,
            geometry=line,
            geometry_wgs84=LineString(lonlat),
            length_m=length,
            duration_s=duration,
            cost=cost,
            km_by_kind=by_kind,
            connector_km=connector_m / 1000.0,
            profile=self.profile,
            orig_label=orig_label,
            dest_label=dest_label,
            waypoints=waypoints,
            edge_m=edge_m,
        )

    def waypoint(self, label: str, xy: tuple[float, float]) -> tuple[str, float, float]:
        lon, lat = to_lonlat(self.G, *xy)
        return (label, lon, lat)

    def route_through(self, eps: Sequence[_Endpoint], w: FloatArray | None = None) -> Route:
        """Route through endpoints in order (origin, via..., destination)."""
        legs: list[_Leg] = []
        current = eps[0]
        waypoints: list[tuple[str, float, float]] = []
        for nxt in eps[1:]:
            leg = self.leg_or_raise(current, nxt, w)
            if not waypoints:
                waypoints.append(self.waypoint(current.label, leg.start_xy))
            waypoints.append(self.waypoint(nxt.label, leg.end_xy))
            legs.append(leg)
            # leave a multi-node place from the node where we arrived
            current = nxt if leg.end_node < 0 else self.node_endpoint(leg.end_node, nxt.label)
        return self.build_route(
            legs, orig_label=eps[0].label, dest_label=eps[-1].label, waypoints=waypoints
        )


def _append_node(nodes: list[int], node: int) -> None:
    if not nodes or nodes[-1] != node:
        nodes.append(node)


def _is_point(obj: Any) -> bool:  # noqa: ANN401
    """Tell whether `obj` is a single ``(lon, lat)`` tuple (at least one float)."""
    return (
        isinstance(obj, tuple)
        and len(obj) == 2  # noqa: PLR2004
        and all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in obj)
        and any(isinstance(c, float) for c in obj)
    )


def _is_place_row(obj: Any) -> bool:  # noqa: ANN401
    import pandas as pd  # noqa: PLC0415

    return isinstance(obj, (pd.Series, dict)) and "access_nodes" in obj


def _overlap(a: Route, b: Route) -> float:
    """Share of `a`'s length that also lies on `b`."""
    if a.length_m <= 0:
        return 1.0
    shared = sum(min(m, b.edge_m[e]) for e, m in a.edge_m.items() if e in b.edge_m)
    return shared / a.length_m


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def route(
    G: nx.MultiDiGraph,
    orig: Any,  # noqa: ANN401
    dest: Any,  # noqa: ANN401
    *,
    profile: str = "bike",
    via: Iterable[Any] = (),
    avoid_connectors: bool = False,
    max_snap_m: float = 500.0,
    csr: CSRGraph | None = None,
) -> Route:
    """Compute the best route from `orig` to `dest` for a travel profile.

    Parameters
    ----------
    G
        A parcs graph (``docs/graph-format.md``).
    orig, dest
        A ``(lon, lat)`` tuple, a node id or a place name (see the module docstring).
    profile
        {"walk", "bike", "ebike"}; the route minimises this profile's cost.
    via
        Locations to pass through, in order (a single place name or ``(lon, lat)`` tuple is
        accepted too).
    avoid_connectors
        Never use gap connectors (``built=False`` edges); points then snap only to built paths.
    max_snap_m
        Largest allowed distance from a ``(lon, lat)`` point to the network, in metres.
    csr
        A prebuilt ``CSRGraph.from_graph(G)`` to reuse across calls.

    Returns
    -------
    Route
        The route; a zero-length route if `orig` and `dest` are the same place.

    Raises
    ------
    SnapError
        If a point is farther than `max_snap_m` from the network (the message gives the distance).
    PlaceNotFoundError
        If a place name is unknown (the message suggests close names).
    NodeNotFoundError
        If a node id is not in `G`.
    NoPathError
        If no route exists; ``reason`` is ``"components"`` or ``"connectors"``.
    ProfileError
        If `profile` is unknown.

    Examples
    --------
    >>> import parcs
    >>> G = parcs.load_network()  # doctest: +SKIP
    >>> r = parcs.route(G, "Terril 11/19", "Lens")  # doctest: +SKIP
    >>> round(r.length_m / 1000, 1)  # doctest: +SKIP
    """
    net = _Net(G, csr, profile=profile, avoid_connectors=avoid_connectors, max_snap_m=max_snap_m)
    vias = [via] if isinstance(via, str) or _is_point(via) else list(via)
    eps = [net.resolve(orig, "orig")]
    eps += [net.resolve(v, f"via[{i}]") for i, v in enumerate(vias)]
    eps.append(net.resolve(dest, "dest"))
    r = net.route_through(eps)
    logger.debug("route %s -> %s: %.0f m", r.orig_label, r.dest_label, r.length_m)
    return r


def _locations(G: nx.MultiDiGraph, items: Any) -> list[Any]:  # noqa: ANN401
    """Expand a GeoDataFrame of places into place rows; pass other sequences through."""
    import pandas as pd  # noqa: PLC0415

    if isinstance(items, pd.DataFrame):
        if "access_nodes" not in items.columns:
            msg = (
                "a GeoDataFrame of locations needs an `access_nodes` column (use "
                "parcs.places(G)); got columns "
                f"{list(items.columns)}"
            )
            raise ValidationError(msg)
        rows = []
        for idx, row in items.iterrows():
            r = row.copy()
            if "name" not in r or not isinstance(r["name"], str) or not r["name"]:
                r["name"] = str(idx)
            rows.append(r)
        return rows
    if isinstance(items, str):
        return [items]
    _ = G
    return list(items)


def distance_matrix(
    G: nx.MultiDiGraph,
    origins: Any,  # noqa: ANN401
    destinations: Any,  # noqa: ANN401
    *,
    profile: str = "bike",
    weight: str = "time",
    avoid_connectors: bool = False,
    max_snap_m: float = 500.0,
    csr: CSRGraph | None = None,
) -> pd.DataFrame:
    """Compute travel times, lengths or costs between every origin and every destination.

    Parameters
    ----------
    G
        A parcs graph.
    origins, destinations
        A sequence of locations (``(lon, lat)`` tuples, node ids, place names) or a
        GeoDataFrame of places with an ``access_nodes`` column (e.g. ``parcs.places(G)``).
    profile
        {"walk", "bike", "ebike"}.
    weight
        {"time", "length", "cost"}: seconds, metres (``est_length``) or profile cost. Routes
        always follow the minimum of this weight.
    avoid_connectors
        Never use gap connectors.
    max_snap_m
        Largest allowed distance from a point to the network, in metres.
    csr
        A prebuilt ``CSRGraph.from_graph(G)``.

    Returns
    -------
    pandas.DataFrame
        Index = origin labels, columns = destination labels (place names, ``"node <id>"`` or
        ``"lat,lon"``); ``inf`` where no route exists.

    Raises
    ------
    ValidationError
        If `weight` is not one of the allowed values.
    """
    import pandas as pd  # noqa: PLC0415

    if weight not in _WEIGHT_KINDS:
        msg = f"`weight` must be one of {list(_WEIGHT_KINDS)}, got {weight!r}"
        raise ValidationError(msg)
    net = _Net(G, csr, profile=profile, avoid_connectors=avoid_connectors, max_snap_m=max_snap_m)
    w = net.weight(weight)
    o_eps = [net.resolve(o, f"origins[{i}]") for i, o in enumerate(_locations(G, origins))]
    d_eps = [
        net.resolve(d, f"destinations[{j}]") for j, d in enumerate(_locations(G, destinations))
    ]
    o_off = [net.offsets(e, w, as_origin=True) for e in o_eps]
    d_off = [net.offsets(e, w, as_origin=False) for e in d_eps]
    src_all = np.unique(np.concatenate([n for n, _ in o_off] or [_NO_TARGETS])).astype(np.int64)
    tgt_all = np.unique(np.concatenate([n for n, _ in d_off] or [_NO_TARGETS])).astype(np.int64)
    out = np.full((len(o_eps), len(d_eps)), math.inf)
    if len(src_all) and len(tgt_all):
        D = many_to_many(net.indptr, net.indices, w, src_all, tgt_all, math.inf)
        cols = np.concatenate([np.searchsorted(tgt_all, t) for t, _ in d_off])
        t_offs = np.concatenate([o for _, o in d_off])
        starts = np.cumsum([0] + [len(t) for t, _ in d_off[:-1]])
        for i, (nodes, off) in enumerate(o_off):
            rows = np.searchsorted(src_all, nodes)
            best_to_t = np.min(D[rows, :] + off[:, None], axis=0)
            out[i, :] = np.minimum.reduceat(best_to_t[cols] + t_offs, starts)
        # two points on the same edge may be joined directly along it
        for i, o_ep in enumerate(o_eps):
            if o_ep.snap is None:
                continue
            for j, d_ep in enumerate(d_eps):
                if d_ep.snap is not None:
                    out[i, j] = min(out[i, j], net.direct(o_ep, d_ep, w)[0])
    return pd.DataFrame(out, index=[e.label for e in o_eps], columns=[e.label for e in d_eps])


def isochrone(  # noqa: C901, PLR0912, PLR0915
    G: nx.MultiDiGraph,
    orig: Any,  # noqa: ANN401
    *,
    max_s: float | None = None,
    max_m: float | None = None,
    profile: str = "bike",
    avoid_connectors: bool = False,
    buffer_m: float = 100.0,
    max_snap_m: float = 500.0,
    csr: CSRGraph | None = None,
) -> Isochrone:
    """Find the network reachable from `orig` within a travel time or a distance.

    Parameters
    ----------
    G
        A parcs graph.
    orig
        A ``(lon, lat)`` tuple, a node id or a place name.
    max_s
        Time limit in seconds (profile speed). Give exactly one of `max_s` and `max_m`.
    max_m
        Distance limit in metres (``est_length``).
    profile
        {"walk", "bike", "ebike"}.
    avoid_connectors
        Never use gap connectors.
    buffer_m
        The polygon is the union of the reached pieces buffered by this distance (lines
        simplified to ``buffer_m / 20`` first, arcs drawn with 4 segments per quarter circle).
    max_snap_m
        Largest allowed distance from a point to the network, in metres.
    csr
        A prebuilt ``CSRGraph.from_graph(G)``.

    Returns
    -------
    Isochrone
        Reached edge pieces (cut at the limit) and the polygon around them.

    Raises
    ------
    ValidationError
        If not exactly one of `max_s`, `max_m` is given, or it is negative, or `buffer_m` <= 0.
    """
    import geopandas as gpd  # noqa: PLC0415

    if (max_s is None) == (max_m is None):
        msg = f"give exactly one of `max_s` and `max_m`, got max_s={max_s!r}, max_m={max_m!r}"
        raise ValidationError(msg)
    limit = float(max_s if max_s is not None else max_m)  # type: ignore[arg-type]
    if not (math.isfinite(limit) and limit >= 0):
        name = "max_s" if max_s is not None else "max_m"
        msg = f"`{name}` must be a finite number >= 0, got {limit!r}"
        raise ValidationError(msg)
    if not buffer_m > 0:
        msg = f"`buffer_m` must be > 0, got {buffer_m!r}"
        raise ValidationError(msg)
    net = _Net(G, csr, profile=profile, avoid_connectors=avoid_connectors, max_snap_m=max_snap_m)
    w = net.weight("time" if max_s is not None else "length")
    ep = net.resolve(orig, "orig")
    src, off = net.offsets(ep, w, as_origin=True)
    dist, _ = dijkstra(
        net.indptr,
        net.indices,
        w,
        np.ascontiguousarray(src, dtype=np.int64),
        np.ascontiguousarray(off, dtype=np.float64),
        _NO_TARGETS,
        limit,
        _NO_MASK,
    )
    # intervals reached on each undirected edge, in the canonical (u <= v) orientation
    intervals: dict[tuple[int, int, int], list[tuple[float, float]]] = {}

    def add(a: int, r: float, start: float = 0.0) -> None:
        """Arc `a` reached on its own geometry from `start` over a fraction `r`."""
        ckey, rev = net.canonical(a)
        lo, hi = start, min(1.0, start + r)
        if rev:
            lo, hi = 1.0 - hi, 1.0 - lo
        if hi > lo:
            intervals.setdefault(ckey, []).append((lo, hi))

    reached_tails = np.flatnonzero(np.isfinite(dist))
    for t in reached_tails:
        budget = limit - dist[t]
        for a in range(int(net.indptr[t]), int(net.indptr[t + 1])):
            wa = float(w[a])
            if not math.isfinite(wa):
                continue
            add(a, 1.0 if wa <= budget else budget / wa)
    if ep.snap is not None:  # the start edge, from the snapped point both ways
        f = ep.snap.fraction
        a_uv, a_vu = ep.arcs
        if a_uv >= 0 and math.isfinite(w[a_uv]) and w[a_uv] > 0:
            add(a_uv, limit / float(w[a_uv]), f)
        if a_vu >= 0 and math.isfinite(w[a_vu]) and w[a_vu] > 0:
            add(a_vu, limit / float(w[a_vu]), 1.0 - f)
    rows = []
    geoms = []
    for (u, v, k), ivs in intervals.items():
        data = G.edges[u, v, k]
        line = data.get("geometry")
        if line is None:
            line = LineString(
                [(G.nodes[u]["x"], G.nodes[u]["y"]), (G.nodes[v]["x"], G.nodes[v]["y"])]
            )
        est = float(data.get("est_length", data.get("length", line.length)))
        for lo, hi in _merge(ivs):
            coords = sub_line(line, lo, hi)
            if len(coords) < 2 or LineString(coords).length <= 0:  # noqa: PLR2004
                continue
            rows.append(
                {
                    "u": u,
                    "v": v,
                    "key": k,
                    "kind": str(data.get("kind", "")),
                    "reached_fraction": hi - lo,
                    "length_m": (hi - lo) * est,
                }
            )
            geoms.append(LineString(coords))
    columns = ["u", "v", "key", "kind", "reached_fraction", "length_m"]
    edges = gpd.GeoDataFrame(rows, columns=columns, geometry=geoms, crs="EPSG:2154")
    if geoms:
        # simplified to buffer_m / 20 first: buffering the raw lines is ~10x slower
        lines = shapely.MultiLineString(geoms).simplify(buffer_m / 20.0)
        polygon = lines.buffer(buffer_m, quad_segs=4)
    else:
        polygon = shapely.Point(ep.x, ep.y).buffer(buffer_m)
    return Isochrone(
        edges=edges,
        polygon=polygon,
        profile=profile,
        max_s=None if max_s is None else float(max_s),
        max_m=None if max_m is None else float(max_m),
        buffer_m=float(buffer_m),
        orig_label=ep.label,
    )


def _merge(ivs: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for lo, hi in sorted(ivs):
        if out and lo <= out[-1][1] + 1e-12:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def alternatives(
    G: nx.MultiDiGraph,
    orig: Any,  # noqa: ANN401
    dest: Any,  # noqa: ANN401
    *,
    k: int = 3,
    profile: str = "bike",
    max_overlap: float = 0.6,
    penalty: float = 1.5,
    avoid_connectors: bool = False,
    max_snap_m: float = 500.0,
    csr: CSRGraph | None = None,
) -> list[Route]:
    """Find up to `k` alternative routes by the penalty method.

    The first route is the best one. Each further search multiplies the cost of every edge
    used by the previous candidates by `penalty` and keeps the new candidate only if it shares
    **at most `max_overlap` of its length with each route already returned** (and is not a
    copy of one). Costs, lengths and times reported are the real (unpenalised) ones.

    Parameters
    ----------
    G
        A parcs graph.
    orig, dest
        Locations (see :func:`route`).
    k
        Number of routes wanted (>= 1); fewer are returned if no further route meets the
        overlap limit after ``10 × k`` searches.
    profile
        {"walk", "bike", "ebike"}.
    max_overlap
        Largest share (0–1) of a route's length it may share with an earlier route.
    penalty
        Factor (> 1) applied to the cost of edges already used.
    avoid_connectors
        Never use gap connectors.
    max_snap_m
        Largest allowed distance from a point to the network, in metres.
    csr
        A prebuilt ``CSRGraph.from_graph(G)``.

    Returns
    -------
    list of Route
        Best first.

    Raises
    ------
    ValidationError
        If `k` < 1, `max_overlap` is outside [0, 1] or `penalty` <= 1.
    NoPathError
        If there is no route at all.
    """
    if not (isinstance(k, (int, np.integer)) and k >= 1):
        msg = f"`k` must be an integer >= 1, got {k!r}"
        raise ValidationError(msg)
    if not 0.0 <= max_overlap <= 1.0:
        msg = f"`max_overlap` must be between 0 and 1, got {max_overlap!r}"
        raise ValidationError(msg)
    if not penalty > 1.0:
        msg = f"`penalty` must be > 1, got {penalty!r}"
        raise ValidationError(msg)
    net = _Net(G, csr, profile=profile, avoid_connectors=avoid_connectors, max_snap_m=max_snap_m)
    o, d = net.resolve(orig, "orig"), net.resolve(dest, "dest")
    first = net.route_through([o, d])
    found = [first]
    w = net.weight("cost").copy()
    leg = net.leg_or_raise(o, d, w)
    seen = {frozenset(first.edge_m)}
    for _ in range(10 * int(k)):
        if len(found) >= k:
            break
        _penalise(net, w, leg.pieces, penalty)
        cand_leg, _ = net.search(o, d, w)
        if cand_leg is None:
            break
        leg = cand_leg
        cand = net.build_route(
            [cand_leg],
            orig_label=o.label,
            dest_label=d.label,
            waypoints=[
                net.waypoint(o.label, cand_leg.start_xy),
                net.waypoint(d.label, cand_leg.end_xy),
            ],
        )
        sig = frozenset(cand.edge_m)
        if sig in seen:
            continue
        seen.add(sig)
        if all(_overlap(cand, r) <= max_overlap for r in found):
            found.append(cand)
    return found


def _penalise(net: _Net, w: FloatArray, pieces: Sequence[Piece], factor: float) -> None:
    """Multiply the weight of every arc of `pieces`, both directions, by `factor` (in place)."""
    for a, _f0, _f1 in pieces:
        w[a] *= factor
        u_idx, v_idx = net.tail(a), int(net.indices[a])
        rev = net.find_arc(v_idx, u_idx, int(net.csr.arc_key[a]))
        if rev >= 0:
            w[rev] *= factor


def round_trip(  # noqa: C901
    G: nx.MultiDiGraph,
    start: Any,  # noqa: ANN401
    *,
    length_m: float,
    profile: str = "bike",
    n: int = 3,
    seed: int = 0,
    tolerance: float = 0.10,
    max_repeat: float = 0.20,
    avoid_connectors: bool = False,
    max_snap_m: float = 500.0,
    max_tries: int | None = None,
    csr: CSRGraph | None = None,
) -> list[Route]:
    """Find up to `n` loops of about `length_m` starting and ending at `start`.

    Method (see ``parcs._loops``): via points are chosen in two alternating ways, from a
    seeded random generator. *Polygon*: a regular triangle or quadrilateral through the start,
    its centre at a random bearing, sized so that its perimeter × 1.3 (a typical detour)
    equals `length_m`; its other vertices snap to the nearest reachable network node lying on
    a cycle (a via on a dead-end spur forces riding the spur twice). *Band*: one or two via
    nodes whose network distance from the start is about 0.4 (out and back by another way)
    or 0.3 (triangle) of `length_m`. Each candidate is rescaled by target / actual length up
    to three times. The loop chains the cheapest paths start → via … → start; every edge used
    by a leg costs 4× more for the following legs, so the way back differs from the way out.
    A loop is kept if its length is within ``±tolerance`` of `length_m` and at most
    `max_repeat` of its length is ridden more than once; the best loops (closest length, least
    repetition) that share at most 70 % of their length with each other are returned.

    Parameters
    ----------
    G
        A parcs graph.
    start
        A ``(lon, lat)`` tuple, a node id or a place name. A place is tried from up to four
        of its access nodes (in the largest part of the network, on a cycle when possible), so
        loops of one place may start from different access nodes.
    length_m
        Target loop length in metres (``est_length``).
    profile
        {"walk", "bike", "ebike"}.
    n
        Number of loops wanted; fewer are returned if fewer distinct loops are found.
    seed
        Random seed: the same seed gives the same loops.
    tolerance
        Allowed relative difference between a loop's length and `length_m`.
    max_repeat
        Largest share of a loop's length that may be ridden twice.
    avoid_connectors
        Never use gap connectors.
    max_snap_m
        Largest allowed distance from a point to the network, in metres.
    max_tries
        Number of candidate loops tried, shared between the start nodes (default ``40 × n``).
    csr
        A prebuilt ``CSRGraph.from_graph(G)``.

    Returns
    -------
    list of Route
        Between 1 and `n` loops, best first.

    Raises
    ------
    LoopError
        If no loop meets the constraints; the message gives the length of network reachable
        from the start and the longest loop found.
    ValidationError
        If an option is out of range.
    """
    checks = [
        (
            "length_m",
            length_m,
            isinstance(length_m, (int, float)) and math.isfinite(length_m) and length_m > 0,
            "a number > 0",
        ),
        ("n", n, isinstance(n, (int, np.integer)) and n >= 1, "an integer >= 1"),
        (
            "tolerance",
            tolerance,
            isinstance(tolerance, (int, float)) and 0 < tolerance < 1,
            "between 0 and 1",
        ),
        (
            "max_repeat",
            max_repeat,
            isinstance(max_repeat, (int, float)) and 0 <= max_repeat < 1,
            "in [0, 1)",
        ),
    ]
    for name, value, ok, expected in checks:
        if not ok:
            msg = f"`{name}` must be {expected}, got {value!r}"
            raise ValidationError(msg)
    net = _Net(G, csr, profile=profile, avoid_connectors=avoid_connectors, max_snap_m=max_snap_m)
    ep = net.resolve(start, "start")
    w_len = net.weight("length")
    from parcs._loops import cycle_nodes, find_loops, overlap  # noqa: PLC0415

    on_cycle = cycle_nodes(net, w_len)
    starts = [ep]
    if ep.snap is None and len(ep.nodes) > 1:
        starts = [
            net.node_endpoint(i, ep.label)
            for i in _start_nodes(net, ep.nodes, w_len, on_cycle, k=_PLACE_STARTS)
        ]
    tries = 40 * int(n) if max_tries is None else int(max_tries)
    found = []
    longest_m = 0.0
    network_m = 0.0
    for s_i, start_ep in enumerate(starts):
        dist0, _ = dijkstra(
            net.indptr,
            net.indices,
            w_len,
            *(np.ascontiguousarray(a) for a in net.offsets(start_ep, w_len, as_origin=True)),
            _NO_TARGETS,
            math.inf,
            _NO_MASK,
        )
        reach = np.isfinite(dist0)
        arc_ok = reach[net.tails] & np.isfinite(w_len)
        network_here = float(w_len[arc_ok].sum()) / 2.0  # both directions stored
        network_m = max(network_m, network_here)
        if network_here / (1.0 - max_repeat) < length_m * (1 - tolerance):
            continue  # too little network there for such a loop
        more, longest_here, _rep = find_loops(
            net,
            start_ep,
            length_m=float(length_m),
            n=int(n),
            seed=int(seed) + s_i,
            tolerance=float(tolerance),
            max_repeat=float(max_repeat),
            tries=max(1, -(-tries // len(starts))),
            dist0=dist0,
            reachable=np.flatnonzero(reach & on_cycle if (reach & on_cycle).any() else reach),
        )
        found += [(c, start_ep) for c in more]
        longest_m = max(longest_m, longest_here)
    best_possible = network_m / (1.0 - max_repeat)
    if best_possible < length_m * (1 - tolerance):
        msg = (
            f"no loop of {length_m / 1000:.1f} km (±{tolerance:.0%}) from {ep.label!r}: the "
            f"network reachable from it has only {network_m / 1000:.1f} km of paths, so the "
            f"longest possible loop riding at most {max_repeat:.0%} twice is about "
            f"{best_possible / 1000:.1f} km; choose a shorter `length_m` or another start"
        )
        raise LoopError(msg)
    found.sort(key=lambda c: c[0].score)
    chosen: list[tuple[Any, _Endpoint]] = []
    for cand, start_ep in found:
        if all(overlap(cand, c) <= _DISTINCT_OVERLAP for c, _ in chosen):
            chosen.append((cand, start_ep))
        if len(chosen) >= n:
            break
    if not chosen:
        longest = (
            f"the longest loop found with at most {max_repeat:.0%} ridden twice was "
            f"{longest_m / 1000:.1f} km"
            if longest_m > 0
            else f"no loop found rode less than {max_repeat:.0%} of its length twice"
        )
        msg = (
            f"no loop of {length_m / 1000:.1f} km (±{tolerance:.0%}) with at most "
            f"{max_repeat:.0%} ridden twice was found from {ep.label!r} after {tries} tries; "
            f"{longest}, and the network reachable from the start has "
            f"{network_m / 1000:.1f} km of paths; try another `length_m`, a larger "
            "`max_repeat` or another start"
        )
        raise LoopError(msg)
    loops = []
    for cand, start_ep in chosen:
        xy = (start_ep.x, start_ep.y)
        waypoints = [net.waypoint(ep.label, xy)]
        waypoints += [
            net.waypoint(f"via {c}", net.xy(v)) for v, c in zip(cand.vias, "ABCDEFG", strict=False)
        ]
        waypoints.append(net.waypoint(ep.label, xy))
        loops.append(
            net.build_route(
                cand.legs, orig_label=ep.label, dest_label=ep.label, waypoints=waypoints
            )
        )
    logger.info(
        "round_trip from %s: %d loop(s) of %s m",
        ep.label,
        len(loops),
        [round(r.length_m) for r in loops],
    )
    return loops


_DISTINCT_OVERLAP = 0.7


_PLACE_STARTS = 4


def _start_nodes(
    net: _Net, nodes: IntArray, w: FloatArray, on_cycle: npt.NDArray[np.bool_], *, k: int
) -> list[int]:
    """Return up to `k` access nodes to start loops from.

    They lie in the largest connected part of the network among the place's access nodes,
    on a cycle when possible, and are spread over the (Hilbert-ordered) node indexes.
    """
    from parcs._kernels.components import connected_components  # noqa: PLC0415

    usable = np.isfinite(w)
    indices = np.where(usable, net.indices, net.tails)  # drop unusable arcs as self-loops
    labels = connected_components(net.indptr, np.ascontiguousarray(indices), net.tails, net.n)
    sizes = np.bincount(labels)
    best = nodes[sizes[labels[nodes]] == sizes[labels[nodes]].max()]
    if on_cycle[best].any():
        best = best[on_cycle[best]]
    best = np.sort(best)
    picks = np.unique(np.linspace(0, len(best) - 1, min(k, len(best))).round().astype(np.int64))
    return [int(i) for i in best[picks]]
