"""What a routing call needs about a graph: endpoints, snapping, legs (private to routing).

:class:`Net` turns user locations (``(lon, lat)``, node ids, place names, place rows) into
endpoints, searches legs between them with the numba kernels and assembles them into a
:class:`~parcs.routing.results.Route`. It reads the graph only through the cached arrays of
:func:`parcs.csr.csr_of` (and the cached edge index), so building one costs nothing on a graph
that did not change.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from shapely.geometry import LineString

from parcs import graph as _graph
from parcs._kernels.astar import astar_multi
from parcs._kernels.paths import path_arcs
from parcs._validate import check_number
from parcs.csr import arc_geometries, csr_of
from parcs.errors import NodeNotFoundError, NoPathError, SnapError, ValidationError
from parcs.profiles import get_profile
from parcs.routing._snap import EdgeIndex, Snap, sub_line, to_lonlat, to_projected, transform_coords
from parcs.routing.results import Route

if TYPE_CHECKING:
    from collections.abc import Sequence

    import networkx as nx

    from parcs.profiles import Profile

__all__ = ["Endpoint", "Leg", "Net", "Piece", "edge_index", "is_place_row", "is_point", "overlap"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

_NO_TARGETS = np.empty(0, dtype=np.int64)

# A piece of route: (arc index, f0, f1) = the arc's own geometry from fraction f0 to f1 (f0<f1).
Piece = tuple[int, float, float]


@dataclass
class Endpoint:
    """A resolved origin/destination: either network nodes or a snapped point."""

    label: str
    nodes: IntArray  # node indexes (used when snap is None)
    snap: Snap | None = None
    x: float = math.nan
    y: float = math.nan
    arcs: tuple[int, int] = (-1, -1)  # (u->v, v->u) arcs of the snapped edge, -1 if absent


@dataclass
class Leg:
    pieces: list[Piece]
    cost: float
    start_xy: tuple[float, float]
    end_xy: tuple[float, float]
    end_node: int  # node index where the leg arrives (-1 for a snapped point)


class Net:
    """Everything a routing call needs about the graph (built per call, never cached on G)."""

    def __init__(
        self,
        G: nx.MultiDiGraph,
        *,
        profile: str | Profile,
        avoid_connectors: bool,
        max_snap_m: float,
    ) -> None:
        prof = get_profile(profile)
        self.max_snap_m = check_number("max_snap_m", max_snap_m, lo=0.0)
        self.G = G
        self.csr = csr_of(G)
        self.prof = prof
        self.profile = prof.name
        self.avoid_connectors = bool(avoid_connectors)
        self.indptr = self.csr.indptr
        self.indices = self.csr.indices
        self.n = self.csr.n_nodes

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
        return self.csr.h_scale(self.weight("cost", avoid=False))

    def weight(self, kind: str, *, avoid: bool | None = None) -> FloatArray:
        """Return the weights of `kind` in {"cost", "time", "length"} (cached on the CSR)."""
        avoid = self.avoid_connectors if avoid is None else avoid
        return self.csr.profile_weight(self.prof, kind, avoid_connectors=avoid)

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
        """The snapping index of the graph's edges (built once per graph and cached)."""
        return edge_index(self.G, exclude_connectors=self.avoid_connectors)

    def canonical_arc(self, a: int) -> tuple[int, bool]:
        """Return the arc of `a`'s edge oriented ``u <= v`` (by node id), and whether `a` is reversed."""
        u, v, k = self.arc_edge(a)
        if u <= v:
            return a, False
        return self.find_arc(self.node_index(v), self.node_index(u), k), True

    def canonical(self, a: int) -> tuple[tuple[int, int, int], bool]:
        """Return the undirected edge key of arc `a` and whether the arc runs reversed."""
        u, v, k = self.arc_edge(a)
        if u <= v:
            return (u, v, k), False
        return (v, u, k), True

    # locations --------------------------------------------------------------------------
    def resolve(self, loc: Any, what: str) -> Endpoint:  # noqa: ANN401
        """Turn a user location into an endpoint (raises on bad input)."""
        if isinstance(loc, Endpoint):
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
            return Endpoint(
                f"node {int(loc)}",
                np.asarray([idx], dtype=np.int64),
                x=float(self.csr.x[idx]),
                y=float(self.csr.y[idx]),
            )
        if isinstance(loc, str):
            from parcs.network.places import find_place  # noqa: PLC0415

            return self._place_endpoint(find_place(self.G, loc), what)
        if is_place_row(loc):
            return self._place_endpoint(loc, what)
        if isinstance(loc, (tuple, list, np.ndarray)) and len(loc) == 2:  # noqa: PLR2004
            return self._point_endpoint(list(loc), what)
        msg = (
            f"`{what}` must be a (lon, lat) tuple, a node id or a place name, got "
            f"{type(loc).__name__} {loc!r}"
        )
        raise ValidationError(msg)

    def _point_endpoint(self, loc: Sequence[Any], what: str) -> Endpoint:
        try:
            lon, lat = float(loc[0]), float(loc[1])
        except (TypeError, ValueError):
            msg = f"`{what}` point must be two numbers (lon, lat), got {loc!r}"
            raise ValidationError(msg) from None
        if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180):  # noqa: PLR2004
            msg = (
                f"`{what}` point {loc!r} is not a valid point: longitude {lon:g} must be a "
                f"number in [-180, 180] and latitude {lat:g} a number in [-90, 90] "
                "(points are (lon, lat) in degrees)"
            )
            raise ValidationError(msg)
        if not -90 <= lat <= 90:  # noqa: PLR2004
            msg = (
                f"`{what}` point {loc!r} has latitude {lat:g} outside [-90, 90] "
                "(points are (lon, lat) in degrees)"
            )
            raise ValidationError(msg)
        x, y = to_projected(self.G, lon, lat)
        label = f"{lat:.5f},{lon:.5f}"
        try:
            snap = self.index.snap(
                x, y, max_snap_m=self.max_snap_m, label=f"`{what}` (lon {lon:g}, lat {lat:g})"
            )
        except SnapError as err:
            msg = f"{err} (points are (lon, lat) in degrees)"
            if -90 <= lon <= 90:  # noqa: PLR2004 - could the two numbers be swapped?
                sx, sy = to_projected(self.G, lat, lon)
                if self.index.distance(sx, sy) <= self.max_snap_m:
                    msg += f"; (lon {lat:g}, lat {lon:g}) is on the network: are lon and lat swapped?"
            raise SnapError(msg, distance_m=err.distance_m) from None
        ui, vi = self.node_index(snap.u), self.node_index(snap.v)
        arcs = (self.find_arc(ui, vi, snap.key), self.find_arc(vi, ui, snap.key))
        return Endpoint(
            label, np.asarray([ui, vi], dtype=np.int64), snap=snap, x=snap.x, y=snap.y, arcs=arcs
        )

    def _place_endpoint(self, row: Any, what: str) -> Endpoint:  # noqa: ANN401
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
        return Endpoint(name, idx, x=float(self.csr.x[idx[0]]), y=float(self.csr.y[idx[0]]))

    def node_endpoint(self, idx: int, label: str) -> Endpoint:
        return Endpoint(
            label,
            np.asarray([idx], dtype=np.int64),
            x=float(self.csr.x[idx]),
            y=float(self.csr.y[idx]),
        )

    def offsets(
        self, ep: Endpoint, w: FloatArray, *, as_origin: bool
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

    def start_piece(self, ep: Endpoint, node_idx: int) -> list[Piece]:
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

    def end_piece(self, ep: Endpoint, node_idx: int) -> list[Piece]:
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

    def direct(self, o: Endpoint, d: Endpoint, w: FloatArray) -> tuple[float, list[Piece]]:
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
    def search(self, o: Endpoint, d: Endpoint, w: FloatArray) -> tuple[Leg | None, FloatArray]:
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
            return Leg(direct_pieces, direct_cost, xy_o, xy_d, -1), dist
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
        return Leg(pieces, best, start_xy, end_xy, -1 if d.snap is not None else end), dist

    def xy(self, idx: int) -> tuple[float, float]:
        return float(self.csr.x[idx]), float(self.csr.y[idx])

    def leg_or_raise(self, o: Endpoint, d: Endpoint, w: FloatArray | None = None) -> Leg:
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
                    "allow them with `avoid_connectors=False`"
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
    def build_route(
        self,
        legs: Sequence[Leg],
        *,
        orig_label: str,
        dest_label: str,
        waypoints: list[tuple[str, float, float]],
    ) -> Route:
        """Turn legs into a Route with real lengths, times, costs and geometry."""
        arcs = np.asarray([a for leg in legs for a, _f0, _f1 in leg.pieces], dtype=np.int64)
        frac = np.asarray([f1 - f0 for leg in legs for _a, f0, f1 in leg.pieces])
        keep = frac > 0
        arcs, frac = arcs[keep], frac[keep]
        seg_len = frac * self.weight("length", avoid=False)[arcs]
        by_kind: dict[str, float] = {}
        for kind, km in zip(self.csr.kind_of(arcs).tolist(), (seg_len / 1000.0).tolist(), strict=True):
            by_kind[kind] = by_kind.get(kind, 0.0) + km
        edge_m: dict[tuple[int, int, int], float] = {}
        for a, metres in zip(arcs.tolist(), seg_len.tolist(), strict=True):
            ckey, _ = self.canonical(a)
            edge_m[ckey] = edge_m.get(ckey, 0.0) + metres
        line = LineString(self._coords(legs))
        lonlat = transform_coords(self.G, np.asarray(line.coords))
        return Route(
            nodes=self._nodes(legs),
            geometry=line,
            geometry_wgs84=LineString(lonlat),
            length_m=float(seg_len.sum()),
            duration_s=float((frac * self.weight("time", avoid=False)[arcs]).sum()),
            cost=float((frac * self.weight("cost", avoid=False)[arcs]).sum()),
            km_by_kind=by_kind,
            connector_km=float(seg_len[self.csr.connector[arcs]].sum()) / 1000.0,
            profile=self.profile,
            orig_label=orig_label,
            dest_label=dest_label,
            waypoints=waypoints,
            edge_m=edge_m,
            crs=self.csr.crs,
        )

    def _coords(self, legs: Sequence[Leg]) -> list[tuple[float, float]]:
        """The route line: the pieces' geometries end to end, no repeated point."""
        geoms = arc_geometries(self.G)
        coords: list[tuple[float, float]] = []
        for leg in legs:
            if not coords or coords[-1] != leg.start_xy:
                coords.append(leg.start_xy)
            for a, f0, f1 in leg.pieces:
                if f1 - f0 <= 0:
                    continue
                for c in sub_line(geoms[a], f0, f1):
                    if coords[-1] != c:
                        coords.append(c)
            if coords[-1] != leg.end_xy:
                coords.append(leg.end_xy)
        if len(coords) == 1:
            coords.append(coords[0])
        return coords

    def _nodes(self, legs: Sequence[Leg]) -> list[int]:
        """Network nodes passed through, in order."""
        ids = self.csr.node_ids
        nodes: list[int] = []
        for leg in legs:
            for a, f0, f1 in leg.pieces:
                if f1 - f0 <= 0:
                    continue
                if f0 == 0.0:
                    _append_node(nodes, int(ids[self.tail(a)]))
                if f1 == 1.0:
                    _append_node(nodes, int(ids[self.indices[a]]))
            if not leg.pieces and leg.end_node >= 0:  # zero-length leg at a node
                _append_node(nodes, int(ids[leg.end_node]))
        return nodes

    def waypoint(self, label: str, xy: tuple[float, float]) -> tuple[str, float, float]:
        lon, lat = to_lonlat(self.G, *xy)
        return (label, lon, lat)

    def route_through(self, eps: Sequence[Endpoint], w: FloatArray | None = None) -> Route:
        """Route through endpoints in order (origin, via..., destination)."""
        legs: list[Leg] = []
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


def is_point(obj: Any) -> bool:  # noqa: ANN401
    """Tell whether `obj` is a single ``(lon, lat)`` tuple (at least one float)."""
    return (
        isinstance(obj, tuple)
        and len(obj) == 2  # noqa: PLR2004
        and all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in obj)
        and any(isinstance(c, float) for c in obj)
    )


def is_place_row(obj: Any) -> bool:  # noqa: ANN401
    import pandas as pd  # noqa: PLC0415

    return isinstance(obj, (pd.Series, dict)) and "access_nodes" in obj


def overlap(a: Route, b: Route) -> float:
    """Share of `a`'s length that also lies on `b`."""
    if a.length_m <= 0:
        return 1.0
    shared = sum(min(m, b.edge_m[e]) for e, m in a.edge_m.items() if e in b.edge_m)
    return shared / a.length_m




def edge_index(G: nx.MultiDiGraph, *, exclude_connectors: bool = False) -> EdgeIndex:
    """Return the snapping index of `G`'s undirected edges (cached on `G`).

    Parameters
    ----------
    G
        A parcs graph.
    exclude_connectors
        Leave out unbuilt edges, so that a point never snaps onto an edge that routing is
        told to avoid.
    """

    def build() -> EdgeIndex:
        csr = csr_of(G)
        keep = csr.undirected & (~csr.connector if exclude_connectors else True)
        return EdgeIndex(csr.edge_keys[keep], arc_geometries(G)[keep])

    return _graph.cached(G, ("edge_index", bool(exclude_connectors)), build)
