"""What a routing call needs about a graph: endpoints, snapping, legs (private to routing).

:class:`Net` turns user locations (``(lon, lat)``, node ids, place names, place rows) into
endpoints, searches legs between them with the numba kernels and assembles them into a
:class:`~parcs.routing.results.Route`. It reads the graph only through the cached arrays of
:func:`parcs.csr.csr_of` (and the cached edge index), so building one costs nothing on a graph
that did not change.
"""

from __future__ import annotations

import functools
import itertools
import math
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import LineString

from parcs import graph as _graph
from parcs._kernels.pyastar import astar_multi_py, path_arcs_py, take_python
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

__all__ = [
    "ArcIndex",
    "Endpoint",
    "Leg",
    "Net",
    "Piece",
    "arc_index",
    "edge_index",
    "is_place_row",
    "is_point",
    "overlap",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

_NO_TARGETS = np.empty(0, dtype=np.int64)
# a Net runs at most this many searches in Python (numba not loaded yet, and the process's
# Python budget left: pyastar.take_python) before it loads the numba kernel: one route is
# faster in Python than numba's start-up, a round trip's hundreds of searches are not
_PY_SEARCHES = 8

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
        self._py_searches = _PY_SEARCHES

    @functools.cached_property
    def arcs(self) -> ArcIndex:
        """Tails and reverse arcs of the graph (built once per graph, cached on `G`)."""
        return arc_index(self.G)

    @property
    def tails(self) -> IntArray:
        """Tail of every arc (cached on the graph; scalar lookups use :meth:`tail`)."""
        return self.arcs.tails

    @property
    def twin(self) -> IntArray:
        """The reverse arc of every arc (``v -> u`` with the same key; a self-loop's own)."""
        return self.arcs.twin

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

    def canonical_arcs(self, arcs: IntArray) -> tuple[IntArray, npt.NDArray[np.bool_]]:
        """Return the `u <= v` (by node id) arc of each arc's edge, and which arcs run reversed."""
        ids = self.csr.node_ids
        rev = ids[self.tails[arcs]] > ids[self.indices[arcs]]
        return np.where(rev, self.twin[arcs], arcs), rev

    def edge_keys(self, canon: IntArray) -> IntArray:
        """int64[k, 3] ``(u, v, key)`` node ids of canonical arcs (``u <= v``)."""
        ids = self.csr.node_ids
        return np.column_stack(
            (ids[self.tails[canon]], ids[self.indices[canon]], self.csr.arc_key[canon])
        ).astype(np.int64)

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
        dist = row.get("access_dist_m", math.nan)
        return self.place_endpoint(name, row.get("access_nodes"), dist, what)

    def place_endpoint(
        self,
        name: str,
        access_nodes: Any,  # noqa: ANN401
        access_dist_m: Any,  # noqa: ANN401
        what: str,
    ) -> Endpoint:
        """The endpoint of a place: its access nodes (raises if it has none)."""
        access = [] if access_nodes is None else [int(n) for n in access_nodes]
        if not access:
            msg = (
                f"`{what}` place {name!r} has no access node on the network (it is "
                f"{float(access_dist_m):,.0f} m from the nearest path); "
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
        python = len(tgt_u) > 0 and self._py_searches > 0 and take_python(self.csr.n_arcs)
        if len(tgt_u) == 0:
            dist = np.full(self.n, math.inf)
            best = math.inf
        else:
            if python:
                self._py_searches -= 1
                astar_multi = astar_multi_py
            else:
                from parcs._kernels.astar import astar_multi  # noqa: PLC0415 - loads numba
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
        if python:
            arcs = path_arcs_py(pred, self.indptr, end)
        else:
            from parcs._kernels.paths import path_arcs  # noqa: PLC0415

            arcs = path_arcs(pred, self.indptr, end)
        start = self.tail(int(arcs[0])) if len(arcs) else end
        pieces = self.start_piece(o, start)
        pieces += list(zip(arcs.tolist(), itertools.repeat(0.0), itertools.repeat(1.0)))
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
        """Turn legs into a Route with real lengths, times, costs and geometry (on arrays)."""
        arcs, f0, f1 = _pieces_arrays(legs)
        frac = f1 - f0
        keep = frac > 0
        arcs, frac = arcs[keep], frac[keep]
        seg_len = frac * self.weight("length", avoid=False)[arcs]
        codes = self.csr.arc_kind[arcs].astype(np.int64)
        km = np.bincount(codes, weights=seg_len / 1000.0, minlength=len(self.csr.kinds))
        by_kind = {self.csr.kinds[c]: float(km[c]) for c in _first_seen(codes).tolist()}
        canon, _ = self.canonical_arcs(arcs)
        edges, first, inv = np.unique(canon, return_index=True, return_inverse=True)
        per_edge = np.bincount(inv, weights=seg_len, minlength=len(edges))
        order = np.argsort(first)  # edges in the order the route rides them first
        edge_m = {
            (int(u), int(v), int(k)): float(m)
            for (u, v, k), m in zip(
                self.edge_keys(edges[order]).tolist(), per_edge[order].tolist(), strict=True
            )
        }
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

    def _coords(self, legs: Sequence[Leg]) -> np.ndarray:
        """The route line: the pieces' geometries end to end, no repeated point."""
        geoms = arc_geometries(self.G)
        parts: list[np.ndarray] = []
        for leg in legs:
            parts.append(np.asarray([leg.start_xy], dtype=np.float64))
            run: list[int] = []  # whole arcs in a row: their coordinates in one call
            for a, f0, f1 in leg.pieces:
                if f1 - f0 <= 0:
                    continue
                if f0 <= 0.0 and f1 >= 1.0:
                    run.append(a)
                    continue
                if run:
                    parts.append(shapely.get_coordinates(geoms[run]))
                    run = []
                parts.append(np.asarray(sub_line(geoms[a], f0, f1), dtype=np.float64))
            if run:
                parts.append(shapely.get_coordinates(geoms[run]))
            parts.append(np.asarray([leg.end_xy], dtype=np.float64))
        coords = np.concatenate([p.reshape(-1, 2) for p in parts])
        same = np.all(coords[1:] == coords[:-1], axis=1)
        coords = coords[np.concatenate([[True], ~same])]
        return coords if len(coords) > 1 else np.concatenate([coords, coords])

    def _nodes(self, legs: Sequence[Leg]) -> list[int]:
        """Network nodes passed through, in order."""
        ids = self.csr.node_ids
        seq: list[np.ndarray] = []
        for leg in legs:
            if not leg.pieces:
                if leg.end_node >= 0:  # zero-length leg at a node
                    seq.append(ids[[leg.end_node]])
                continue
            arcs, f0, f1 = _pieces_arrays([leg])
            ok = f1 - f0 > 0
            tails = np.searchsorted(self.indptr, arcs, side="right") - 1
            ends = np.column_stack((ids[tails], ids[self.indices[arcs]])).ravel()
            take = np.column_stack((ok & (f0 == 0.0), ok & (f1 == 1.0))).ravel()
            seq.append(ends[take])
        if not seq:
            return []
        nodes = np.concatenate(seq)
        keep = np.ones(len(nodes), dtype=bool)
        keep[1:] = nodes[1:] != nodes[:-1]
        return [int(v) for v in nodes[keep].tolist()]

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


def _pieces_arrays(legs: Sequence[Leg]) -> tuple[IntArray, FloatArray, FloatArray]:
    """The pieces of `legs`, in order, as (arcs, f0, f1) arrays."""
    pieces = [p for leg in legs for p in leg.pieces]
    if not pieces:
        return np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0)
    arr = np.asarray(pieces, dtype=np.float64)
    return arr[:, 0].astype(np.int64), arr[:, 1], arr[:, 2]


def _first_seen(values: IntArray) -> IntArray:
    """The distinct values of `values`, in order of first appearance."""
    _, first = np.unique(values, return_index=True)
    return values[np.sort(first)]


def is_point(obj: Any) -> bool:  # noqa: ANN401
    """Tell whether `obj` is a single ``(lon, lat)`` tuple (at least one float)."""
    return (
        isinstance(obj, tuple)
        and len(obj) == 2  # noqa: PLR2004
        and all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in obj)
        and any(isinstance(c, float) for c in obj)
    )


def is_place_row(obj: Any) -> bool:  # noqa: ANN401
    """Tell whether `obj` is a place row (a dict or pandas Series with ``access_nodes``)."""
    pd = sys.modules.get("pandas")  # no Series can exist before pandas is imported
    series = pd is not None and isinstance(obj, pd.Series)
    return (series or isinstance(obj, dict)) and "access_nodes" in obj


def overlap(a: Route, b: Route) -> float:
    """Share of `a`'s length that also lies on `b`."""
    if a.length_m <= 0:
        return 1.0
    shared = sum(min(m, b.edge_m[e]) for e, m in a.edge_m.items() if e in b.edge_m)
    return shared / a.length_m


@dataclass(frozen=True, eq=False)
class ArcIndex:
    """Per-arc arrays routing derives once per graph (cached on `G` by :func:`arc_index`).

    Attributes
    ----------
    tails
        int64[m] tail node index of each arc.
    twin
        int64[m] the reverse arc ``v -> u`` with the same key (a self-loop is its own).
    """

    tails: IntArray
    twin: IntArray


def arc_index(G: nx.MultiDiGraph) -> ArcIndex:
    """Return the :class:`ArcIndex` of ``csr_of(G)``, built once per graph (O(m) numpy)."""

    def build() -> ArcIndex:
        csr = csr_of(G)
        tails = csr.tails
        return ArcIndex(tails=tails, twin=_twin_arcs(csr.indptr, tails, csr.indices, csr.arc_key))

    return _graph.cached(G, ("routing", "arc_index"), build)


def _twin_arcs(
    indptr: IntArray, tails: IntArray, heads: IntArray, keys: npt.NDArray[np.int32]
) -> IntArray:
    """The reverse arc of each arc of a CSR graph (arcs sorted by tail, head, key)."""
    n, m = len(indptr) - 1, len(heads)
    if m == 0:
        return np.zeros(0, dtype=np.int64)
    k = keys.astype(np.int64)
    span = int(k.max()) + 1
    if n * n * span < 2**62:  # one int64 code per arc, ascending in CSR order
        code = (tails * n + heads) * span + k
        twin = np.searchsorted(code, (heads * n + tails) * span + k)
        twin = np.minimum(twin, m - 1)
        found = code[twin] == (heads * n + tails) * span + k
    else:
        twin = np.empty(m, dtype=np.int64)
        twin[np.lexsort((k, heads, tails))] = np.lexsort((k, tails, heads))
        found = (tails[twin] == heads) & (heads[twin] == tails) & (k[twin] == k)
    if not found.all():  # pragma: no cover - the graph contract stores every edge both ways
        missing = int((~found).sum())
        msg = f"{missing} arcs have no reverse arc; the graph must store every edge both ways"
        raise ValidationError(msg)
    return twin.astype(np.int64)


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
