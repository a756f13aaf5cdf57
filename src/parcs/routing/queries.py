"""Route planning queries on a parcs graph: routes, matrices, isochrones and alternatives.

Every function takes the networkx graph `G` (``docs/graph-format.md``); its arrays are built
once and cached on `G` (:func:`parcs.csr.csr_of`), so repeated calls on an unchanged graph do
no per-call work on the networkx graph. Searches run in the numba kernels of
:mod:`parcs._kernels`.

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

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import LineString

from parcs._kernels.dijkstra import dijkstra
from parcs._kernels.many import many_to_many
from parcs._log import logger
from parcs._validate import check_count, check_number, check_positive
from parcs.csr import arc_geometries
from parcs.errors import ValidationError
from parcs.routing._net import Net, is_point, overlap
from parcs.routing._snap import sub_line
from parcs.routing.results import Isochrone, Route

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    import geopandas as gpd
    import networkx as nx
    import pandas as pd

    from parcs.profiles import Profile
    from parcs.routing._net import Endpoint, Piece

__all__ = ["MAX_ALTERNATIVES", "MAX_VIAS", "alternatives", "distance_matrix", "isochrone", "route"]

#: Largest number of via points of one route.
MAX_VIAS = 50
#: Largest number of alternative routes one call returns (`k`).
MAX_ALTERNATIVES = 10

FloatArray = npt.NDArray[np.float64]

_NO_MASK = np.empty(0, dtype=np.bool_)
_NO_TARGETS = np.empty(0, dtype=np.int64)
_WEIGHT_KINDS = ("time", "length", "cost")


def route(
    G: nx.MultiDiGraph,
    orig: Any,  # noqa: ANN401
    dest: Any,  # noqa: ANN401
    *,
    profile: str | Profile = "bike",
    via: Iterable[Any] = (),
    avoid_connectors: bool = False,
    max_snap_m: float = 500.0,
) -> Route:
    """Compute the best route from `orig` to `dest` for a travel profile.

    Parameters
    ----------
    G
        A parcs graph (``docs/graph-format.md``).
    orig, dest
        A ``(lon, lat)`` tuple, a node id or a place name (see the module docstring).
    profile
        {"walk", "bike", "ebike"} or a :class:`parcs.profiles.Profile`; the route minimises
        this profile's cost.
    via
        Locations to pass through, in order (a single place name or ``(lon, lat)`` tuple is
        accepted too).
    avoid_connectors
        Never use gap connectors (``built=False`` edges); points then snap only to built paths.
    max_snap_m
        Largest allowed distance from a ``(lon, lat)`` point to the network, in metres.

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
    net = Net(G, profile=profile, avoid_connectors=avoid_connectors, max_snap_m=max_snap_m)
    vias = _vias(via)
    eps = [net.resolve(orig, "orig")]
    eps += [net.resolve(v, f"via[{i}]") for i, v in enumerate(vias)]
    eps.append(net.resolve(dest, "dest"))
    r = net.route_through(eps)
    logger.debug("route %s -> %s: %.0f m", r.orig_label, r.dest_label, r.length_m)
    return r


def _vias(via: Any) -> list[Any]:  # noqa: ANN401
    """The via points of a route: one location, or a sequence of at most MAX_VIAS."""
    if isinstance(via, str) or is_point(via) or isinstance(via, (int, np.integer)):
        return [via]
    try:
        vias = list(via)
    except TypeError:
        msg = (
            f"`via` must be a location or a sequence of locations (place names, (lon, lat), "
            f"node ids), got {type(via).__name__} {via!r}; pass () for none"
        )
        raise ValidationError(msg) from None
    if len(vias) > MAX_VIAS:
        msg = f"`via` holds {len(vias)} points; a route passes at most {MAX_VIAS} via points"
        raise ValidationError(msg)
    return vias


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
    profile: str | Profile = "bike",
    weight: str = "time",
    avoid_connectors: bool = False,
    max_snap_m: float = 500.0,
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
        {"walk", "bike", "ebike"} or a :class:`parcs.profiles.Profile`.
    weight
        {"time", "length", "cost"}: seconds, metres (``est_length``) or profile cost. Routes
        always follow the minimum of this weight.
    avoid_connectors
        Never use gap connectors.
    max_snap_m
        Largest allowed distance from a point to the network, in metres.

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
    net = Net(G, profile=profile, avoid_connectors=avoid_connectors, max_snap_m=max_snap_m)
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


def isochrone(
    G: nx.MultiDiGraph,
    orig: Any,  # noqa: ANN401
    *,
    max_s: float | None = None,
    max_m: float | None = None,
    profile: str | Profile = "bike",
    avoid_connectors: bool = False,
    buffer_m: float = 100.0,
    max_snap_m: float = 500.0,
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
        {"walk", "bike", "ebike"} or a :class:`parcs.profiles.Profile`.
    avoid_connectors
        Never use gap connectors.
    buffer_m
        The polygon is the union of the reached pieces buffered by this distance (lines
        simplified to ``buffer_m / 20`` first, arcs drawn with 4 segments per quarter circle).
    max_snap_m
        Largest allowed distance from a point to the network, in metres.

    Returns
    -------
    Isochrone
        Reached edge pieces (cut at the limit) and the polygon around them.

    Raises
    ------
    ValidationError
        If not exactly one of `max_s`, `max_m` is given, or it is negative, or `buffer_m` is
        not a finite number > 0.
    """
    if (max_s is None) == (max_m is None):
        msg = f"give exactly one of `max_s` and `max_m`, got max_s={max_s!r}, max_m={max_m!r}"
        raise ValidationError(msg)
    name = "max_s" if max_s is not None else "max_m"
    limit = check_number(name, max_s if max_s is not None else max_m, lo=0.0)
    buffer = check_positive("buffer_m", buffer_m, unit="metres")
    net = Net(G, profile=profile, avoid_connectors=avoid_connectors, max_snap_m=max_snap_m)
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
    edges = _reached_pieces(net, _reached_intervals(net, ep, w, dist, limit))
    if len(edges):
        # simplified to buffer_m / 20 first: buffering the raw lines is ~10x slower
        lines = shapely.MultiLineString(list(edges.geometry)).simplify(buffer / 20.0)
        polygon = lines.buffer(buffer, quad_segs=4)
    else:
        polygon = shapely.Point(ep.x, ep.y).buffer(buffer)
    return Isochrone(
        edges=edges,
        polygon=polygon,
        profile=net.profile,
        max_s=None if max_s is None else float(limit),
        max_m=None if max_m is None else float(limit),
        buffer_m=buffer,
        orig_label=ep.label,
        crs=net.csr.crs,
    )


# arc (in the canonical u <= v orientation) -> reached (lo, hi) fractions of its geometry
_Intervals = dict[int, list[tuple[float, float]]]


def _reached_intervals(
    net: Net, ep: Endpoint, w: FloatArray, dist: FloatArray, limit: float
) -> _Intervals:
    """The reached part of every arc, as fractions of the canonical arc of its edge."""
    intervals: _Intervals = {}
    canonical = net.canonical_arc

    def add(a: int, r: float, start: float = 0.0) -> None:
        """Arc `a` reached on its own geometry from `start` over a fraction `r`."""
        c, rev = canonical(a)
        lo, hi = start, min(1.0, start + r)
        if rev:
            lo, hi = 1.0 - hi, 1.0 - lo
        if hi > lo:
            intervals.setdefault(c, []).append((lo, hi))

    for t in np.flatnonzero(np.isfinite(dist)).tolist():
        budget = limit - dist[t]
        for a in range(int(net.indptr[t]), int(net.indptr[t + 1])):
            wa = float(w[a])
            if math.isfinite(wa):
                add(a, 1.0 if wa <= budget else budget / wa)
    if ep.snap is not None:  # the start edge, from the snapped point both ways
        f = ep.snap.fraction
        a_uv, a_vu = ep.arcs
        if a_uv >= 0 and math.isfinite(w[a_uv]) and w[a_uv] > 0:
            add(a_uv, limit / float(w[a_uv]), f)
        if a_vu >= 0 and math.isfinite(w[a_vu]) and w[a_vu] > 0:
            add(a_vu, limit / float(w[a_vu]), 1.0 - f)
    return intervals


def _reached_pieces(net: Net, intervals: _Intervals) -> gpd.GeoDataFrame:
    """The reached edge pieces as a GeoDataFrame (one row per merged interval)."""
    import geopandas as gpd  # noqa: PLC0415

    geoms_of = arc_geometries(net.G)
    w_len = net.weight("length", avoid=False)
    rows = []
    geoms = []
    for a, ivs in intervals.items():
        (u, v, k), _ = net.canonical(a)
        line = geoms_of[a]
        for lo, hi in _merge(ivs):
            coords = sub_line(line, lo, hi)
            if len(coords) < 2 or LineString(coords).length <= 0:  # noqa: PLR2004
                continue
            rows.append(
                {
                    "u": u,
                    "v": v,
                    "key": k,
                    "kind": str(net.csr.kinds[int(net.csr.arc_kind[a])]),
                    "reached_fraction": hi - lo,
                    "length_m": (hi - lo) * float(w_len[a]),
                }
            )
            geoms.append(LineString(coords))
    columns = ["u", "v", "key", "kind", "reached_fraction", "length_m"]
    return gpd.GeoDataFrame(rows, columns=columns, geometry=geoms, crs=net.csr.crs)


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
    profile: str | Profile = "bike",
    max_overlap: float = 0.6,
    penalty: float = 1.5,
    avoid_connectors: bool = False,
    max_snap_m: float = 500.0,
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
        {"walk", "bike", "ebike"} or a :class:`parcs.profiles.Profile`.
    max_overlap
        Largest share (0–1) of a route's length it may share with an earlier route.
    penalty
        Factor (> 1) applied to the cost of edges already used.
    avoid_connectors
        Never use gap connectors.
    max_snap_m
        Largest allowed distance from a point to the network, in metres.

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
    k = check_count("k", k, lo=1, hi=MAX_ALTERNATIVES)
    max_overlap = check_number("max_overlap", max_overlap, lo=0.0, hi=1.0)
    penalty = check_number("penalty", penalty, lo=1.0)
    if penalty <= 1.0:
        msg = f"`penalty` must be > 1, got {penalty!r}"
        raise ValidationError(msg)
    net = Net(G, profile=profile, avoid_connectors=avoid_connectors, max_snap_m=max_snap_m)
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
        if all(overlap(cand, r) <= max_overlap for r in found):
            found.append(cand)
    return found


def _penalise(net: Net, w: FloatArray, pieces: Sequence[Piece], factor: float) -> None:
    """Multiply the weight of every arc of `pieces`, both directions, by `factor` (in place)."""
    for a, _f0, _f1 in pieces:
        w[a] *= factor
        u_idx, v_idx = net.tail(a), int(net.indices[a])
        rev = net.find_arc(v_idx, u_idx, int(net.csr.arc_key[a]))
        if rev >= 0:
            w[rev] *= factor


