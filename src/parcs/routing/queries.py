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
import sys
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import shapely

from parcs._log import logger
from parcs._validate import check_count, check_number, check_positive
from parcs.csr import arc_geometries
from parcs.errors import ValidationError
from parcs.routing._area import reach_polygon, sub_lines
from parcs.routing._net import Endpoint, Net, is_point, overlap
from parcs.routing.results import Isochrone, Route

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    import geopandas as gpd
    import networkx as nx
    import pandas as pd

    from parcs.profiles import Profile
    from parcs.routing._net import Piece

__all__ = ["MAX_ALTERNATIVES", "MAX_VIAS", "alternatives", "distance_matrix", "isochrone", "route"]

#: Largest number of via points of one route.
MAX_VIAS = 50
#: Largest number of alternative routes one call returns (`k`).
MAX_ALTERNATIVES = 10

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

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


def _endpoints(net: Net, items: Any, what: str) -> list[Endpoint]:  # noqa: ANN401
    """Resolve a sequence of locations, or every row of a GeoDataFrame of places."""
    pd = sys.modules.get("pandas")  # a DataFrame cannot exist before pandas is imported
    if pd is not None and isinstance(items, pd.DataFrame):
        if "access_nodes" not in items.columns:
            msg = (
                f"a GeoDataFrame of locations needs an `access_nodes` column (use "
                f"parcs.places(G)); got columns {list(items.columns)}"
            )
            raise ValidationError(msg)
        n = len(items)
        names = items["name"].tolist() if "name" in items.columns else [None] * n
        has_dist = "access_dist_m" in items.columns
        dists = items["access_dist_m"].tolist() if has_dist else [math.nan] * n
        return [
            net.place_endpoint(
                name if isinstance(name, str) and name else str(idx), access, dist, f"{what}[{i}]"
            )
            for i, (idx, name, access, dist) in enumerate(
                zip(items.index, names, items["access_nodes"].tolist(), dists, strict=True)
            )
        ]
    locations = [items] if isinstance(items, str) else list(items)
    return [net.resolve(loc, f"{what}[{i}]") for i, loc in enumerate(locations)]


def _groups(
    net: Net, eps: Sequence[Endpoint], w: FloatArray, *, as_origin: bool
) -> tuple[IntArray, IntArray, FloatArray]:
    """The search nodes and offsets of every endpoint as ``(ptr, nodes, offsets)`` arrays."""
    nodes, offs = [], []
    for ep in eps:
        n, o = net.offsets(ep, w, as_origin=as_origin)
        nodes.append(np.asarray(n, dtype=np.int64))
        offs.append(np.asarray(o, dtype=np.float64))
    sizes = np.asarray([len(n) for n in nodes], dtype=np.int64)
    ptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    flat_nodes = np.concatenate(nodes) if nodes else _NO_TARGETS
    flat_offs = np.concatenate(offs) if offs else np.zeros(0)
    return ptr, np.ascontiguousarray(flat_nodes, dtype=np.int64), np.ascontiguousarray(flat_offs)


def _direct_pairs(
    net: Net, o_eps: Sequence[Endpoint], d_eps: Sequence[Endpoint], w: FloatArray, out: FloatArray
) -> None:
    """Two points snapped on the same edge may be joined directly along it (in place)."""
    on_edge: dict[tuple[int, int, int], list[int]] = {}
    for j, d in enumerate(d_eps):
        if d.snap is not None:
            on_edge.setdefault((d.snap.u, d.snap.v, d.snap.key), []).append(j)
    for i, o in enumerate(o_eps):
        if o.snap is None:
            continue
        for j in on_edge.get((o.snap.u, o.snap.v, o.snap.key), ()):
            out[i, j] = min(out[i, j], net.direct(o, d_eps[j], w)[0])


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
    o_eps = _endpoints(net, origins, "origins")
    d_eps = _endpoints(net, destinations, "destinations")
    import numba  # noqa: PLC0415 - loaded by the kernel anyway

    from parcs._kernels.many import group_distances  # noqa: PLC0415

    chunk = numba.set_parallel_chunksize(1)  # origins scheduled one at a time (dynamic)
    try:
        out = group_distances(
            net.indptr,
            net.indices,
            w,
            *_groups(net, o_eps, w, as_origin=True),
            *_groups(net, d_eps, w, as_origin=False),
            math.inf,
        )
    finally:
        numba.set_parallel_chunksize(chunk)
    _direct_pairs(net, o_eps, d_eps, w, out)
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
    from parcs._kernels.dijkstra import dijkstra  # noqa: PLC0415 - loads numba

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
    edges = _reached_pieces(net, *_reached_intervals(net, ep, w, dist, limit))
    if len(edges):
        polygon = reach_polygon(edges.geometry.to_numpy(), buffer)
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


def _reached_intervals(
    net: Net, ep: Endpoint, w: FloatArray, dist: FloatArray, limit: float
) -> tuple[IntArray, FloatArray, FloatArray]:
    """The reached part of every arc, merged per edge: ``(canonical arc, lo, hi)`` arrays.

    Fractions are of the canonical arc (``u <= v`` by node id) of each edge. From a node
    reached at ``dist[t]``, arc ``a`` is reached over ``min(1, (limit - dist[t]) / w[a])``
    of its length; a snapped origin also reaches its own edge from the snapped point both
    ways. Intervals of one edge that overlap or touch (within 1e-12) are merged.
    """
    t = np.flatnonzero(np.isfinite(dist))
    counts = net.indptr[t + 1] - net.indptr[t]
    first = np.cumsum(counts) - counts  # arcs of node t[i]: indptr[t[i]] + 0..counts[i]-1
    arcs = np.repeat(net.indptr[t] - first, counts) + np.arange(int(counts.sum()))
    budget = np.repeat(limit - dist[t], counts)
    wa = w[arcs]
    start = np.zeros(len(arcs))
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(wa <= budget, 1.0, budget / wa)
    ok = np.isfinite(wa)
    arcs, start, r = arcs[ok], start[ok], r[ok]
    if ep.snap is not None:  # the start edge, from the snapped point both ways
        f = ep.snap.fraction
        extra = [
            (a, s, limit / float(w[a]))
            for a, s in zip(ep.arcs, (f, 1.0 - f), strict=True)
            if a >= 0 and math.isfinite(w[a]) and w[a] > 0
        ]
        if extra:
            more = np.asarray(extra, dtype=np.float64)
            arcs = np.concatenate([arcs, more[:, 0].astype(np.int64)])
            start = np.concatenate([start, more[:, 1]])
            r = np.concatenate([r, more[:, 2]])
    lo, hi = start, np.minimum(1.0, start + r)
    canon, rev = net.canonical_arcs(arcs)
    lo, hi = np.where(rev, 1.0 - hi, lo), np.where(rev, 1.0 - lo, hi)
    keep = hi > lo
    return _merge(canon[keep], lo[keep], hi[keep])


def _merge(
    edge: IntArray, lo: FloatArray, hi: FloatArray
) -> tuple[IntArray, FloatArray, FloatArray]:
    """Merge the intervals of each edge that overlap or touch (within 1e-12), on arrays."""
    order = np.lexsort((hi, lo, edge))
    edge, lo, hi = edge[order], lo[order], hi[order]
    n = len(edge)
    first = np.ones(n, dtype=bool)
    first[1:] = edge[1:] != edge[:-1]
    group_start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    pos = np.arange(n) - group_start
    reach = hi.copy()  # running max of hi within each edge, in sorted order
    for k in range(1, int(pos.max()) + 1 if n else 0):
        at = np.flatnonzero(pos == k)
        reach[at] = np.maximum(reach[at], reach[at - 1])
    new = first.copy()
    new[1:] |= lo[1:] > reach[:-1] + 1e-12
    starts = np.flatnonzero(new)
    if n == 0:
        return edge, lo, hi
    return edge[starts], lo[starts], np.maximum.reduceat(hi, starts)


def _reached_pieces(net: Net, canon: IntArray, lo: FloatArray, hi: FloatArray) -> gpd.GeoDataFrame:
    """The reached edge pieces as a GeoDataFrame (one row per merged interval, by edge)."""
    import geopandas as gpd  # noqa: PLC0415

    lines = arc_geometries(net.G)[canon]
    whole = (lo <= 0.0) & (hi >= 1.0)
    geoms = lines.copy()
    part = np.flatnonzero(~whole)
    geoms[part] = sub_lines(lines[part], lo[part], hi[part])
    ok = shapely.length(geoms) > 0  # None (a line of length 0) gives NaN: dropped
    canon, lo, hi, geoms = canon[ok], lo[ok], hi[ok], geoms[ok]
    keys = net.edge_keys(canon)
    w_len = net.weight("length", avoid=False)
    data = {
        "u": keys[:, 0],
        "v": keys[:, 1],
        "key": keys[:, 2],
        "kind": np.asarray(net.csr.kinds, dtype=object)[net.csr.arc_kind[canon].astype(np.int64)],
        "reached_fraction": hi - lo,
        "length_m": (hi - lo) * w_len[canon],
    }
    columns = ["u", "v", "key", "kind", "reached_fraction", "length_m"]
    return gpd.GeoDataFrame(data, columns=columns, geometry=list(geoms), crs=net.csr.crs)


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
    """Multiply the weight of every arc of `pieces`, both directions, by `factor` (in place).

    An arc ridden twice is multiplied twice (``numpy.multiply.at``), as a loop over the
    pieces would.
    """
    arcs = np.asarray([a for a, _f0, _f1 in pieces], dtype=np.int64)
    np.multiply.at(w, arcs, factor)
    np.multiply.at(w, net.twin[arcs], factor)
