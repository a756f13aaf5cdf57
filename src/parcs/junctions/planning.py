"""Planning on a junction network: rides by numbers, and the strip of numbers of a route."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from shapely.geometry import LineString

from parcs.errors import NodeNotFoundError, NoPathError, NumberingError, ValidationError
from parcs.junctions._linkgraph import reverse_arcs
from parcs.profiles import get_profile
from parcs.routing.results import Route

if TYPE_CHECKING:
    from collections.abc import Sequence

    import geopandas as gpd
    import numpy.typing as npt

    from parcs.junctions._linkgraph import LinkGraph
    from parcs.junctions.network import JunctionNetwork
    from parcs.profiles import Profile

__all__ = [
    "StripStop",
    "plan_route",
    "resolve_start",
    "route_along",
    "strip_route",
    "strip_stops",
    "strip_text",
]


def resolve_start(net: JunctionNetwork, start: Any) -> int:  # noqa: ANN401
    """Junction node id for `start` (junction node id, place name or (lon, lat))."""
    j = net.junctions
    if isinstance(start, (int, np.integer)) and not isinstance(start, bool):
        if int(start) in j.index:
            return int(start)
        msg = f"`start` {start!r} is not a junction node id; pass a junction node, a place or (lon, lat)"
        raise NodeNotFoundError(msg)
    if isinstance(start, tuple) and len(start) == 2:  # noqa: PLR2004
        from pyproj import Transformer  # noqa: PLC0415

        x, y = Transformer.from_crs(4326, j.crs, always_xy=True).transform(*start)
        return _nearest_junction(j, x, y)
    if isinstance(start, str):
        _no_place_names(net, "start", start)
        G = net._source_graph
        if G is None:
            msg = "this network has no source graph with places; pass a junction node id as `start`"
            raise ValidationError(msg)
        from parcs.network.places import find_place  # noqa: PLC0415

        place = find_place(G, start)
        c = place.geometry.centroid
        sel = j[j["place"] == place["name"]]
        if len(sel):
            return int(sel.index[0])
        return _nearest_junction(j, c.x, c.y, geom=place.geometry)
    msg = f"`start` must be a junction node id, a place name or a (lon, lat) tuple, got {start!r}"
    raise ValidationError(msg)


def _imported_network(net: JunctionNetwork) -> str | None:
    """Return the network key (``"rcn"``...) of a network read from OSM, else None."""
    G = net._source_graph
    return None if G is None else G.graph.get("node_network")


def _no_place_names(net: JunctionNetwork, what: str, value: str) -> None:
    """Refuse a place name on an imported OSM node network (its graph has no places)."""
    key = _imported_network(net)
    if key is None:
        return
    msg = (
        f"`{what}` {value!r} is a place name, but this {key} node network was read from OSM "
        f"({net.params.get('source', 'a file')}) and has no places; give a junction node id "
        "or a (lon, lat) tuple"
    )
    raise ValidationError(msg)


def _require_link(net: JunctionNetwork, node: int) -> None:
    """Raise NoPathError if junction `node` has no link to leave it by."""
    if net.neighbours(node):
        return
    ref = net.junctions.loc[node, "ref"]
    why = (
        "no route of the network reaches it (net.issues: orphan_junction)"
        if _imported_network(net)
        else "it is on no link"
    )
    msg = (
        f"junction {ref} (node {node}) has no link to another junction: {why}; start from a "
        "linked junction (net.signs() lists the links of every junction)"
    )
    raise NoPathError(msg)


def _nearest_junction(j: gpd.GeoDataFrame, x: float, y: float, *, geom: Any = None) -> int:  # noqa: ANN401
    if geom is not None:
        d = j.geometry.distance(geom).to_numpy()
    else:
        d = np.hypot(j.geometry.x.to_numpy() - x, j.geometry.y.to_numpy() - y)
    order = np.lexsort((j.index.to_numpy(), d))
    return int(j.index[order[0]])


def _resolve_numbers(net: JunctionNetwork, start: int, numbers: Sequence[int]) -> list[int]:
    j = net.junctions
    seq = [start]
    numbers = list(numbers)
    if numbers and str(numbers[0]) == str(j.loc[start, "number"]):
        numbers = numbers[1:]  # the rider wrote the start junction's own number first
    for number in numbers:
        try:
            value = int(number)
        except (TypeError, ValueError):
            msg = f"`numbers` must be integers, got {number!r}"
            raise ValidationError(msg) from None
        cur = seq[-1]
        _require_link(net, cur)
        nb = [n for n in net.neighbours(cur) if int(j.loc[n, "number"]) == value]
        if nb:
            seq.append(min(nb))
            continue
        carriers = net.numbers_of(value)
        if not carriers:
            msg = (
                f"range: no junction carries the number {value!r} "
                f"(numbers used: {int(j['number'].min())}..{int(j['number'].max())})"
            )
            raise NumberingError(msg)
        seq.append(_nearest_reachable(net, cur, carriers, value))
    return seq


def _nearest_reachable(net: JunctionNetwork, cur: int, carriers: Sequence[int], value: int) -> int:
    """Return the junction carrying `value` nearest to `cur` along the network."""
    g = net._graph
    if g is None:  # imported networks: straight-line distance
        j = net.junctions
        p = j.geometry.loc[cur]
        sel = j.loc[list(carriers)]
        d = np.hypot(sel.geometry.x.to_numpy() - p.x, sel.geometry.y.to_numpy() - p.y)
        return int(np.asarray(carriers)[np.lexsort((np.asarray(carriers), d))[0]])
    dist, _ = g.search([g.index[cur]])
    d = np.array([dist[g.index[c]] for c in carriers])
    if not np.isfinite(d).any():
        ref = net.junctions.loc[cur, "ref"]
        msg = (
            f"no junction carrying {value} can be reached from junction {ref} (node {cur}) "
            "on the network; choose numbers along linked junctions (see net.signs())"
        )
        raise NoPathError(msg)
    return int(np.asarray(carriers)[np.lexsort((np.asarray(carriers), d))[0]])


def plan_route(  # noqa: D103
    net: JunctionNetwork, start: Any, numbers: Sequence[int], *, profile: str | Profile  # noqa: ANN401
) -> Route:
    g = net._graph
    if g is None:
        msg = "this network has no routable graph; build it with points_noeuds or read_node_network"
        raise ValidationError(msg)
    s = resolve_start(net, start)
    seq = _resolve_numbers(net, s, numbers)
    arcs_all: list[npt.NDArray[np.int64]] = []
    for a, b in zip(seq[:-1], seq[1:], strict=True):
        if a == b:
            continue
        pos = net.neighbours(a).get(b)
        if pos is not None:
            arcs = net._link_arcs[pos]
            if int(net.links.iloc[pos]["from_node"]) != a:
                arcs = reverse_arcs(g, arcs)
        else:
            ia, ib = g.index[a], g.index[b]
            dist, pred = g.search([ia])
            if not math.isfinite(dist[ib]):
                j = net.junctions
                msg = (
                    f"junction {j.loc[a, 'ref']} (node {a}) and junction {j.loc[b, 'ref']} "
                    f"(node {b}) are not connected by the network's "
                    f"{'built greenways' if net.params.get('built_only', True) else 'edges'}; "
                    "choose numbers along linked junctions (see net.signs())"
                )
                raise NoPathError(msg)
            arcs = g.path(pred, ib)
        arcs_all.append(arcs)
    arcs = np.concatenate(arcs_all) if arcs_all else np.zeros(0, dtype=np.int64)
    return _make_route(net, seq, arcs, profile=profile)


def route_along(
    net: JunctionNetwork, start: int, positions: Sequence[int], *, profile: str | Profile
) -> Route:
    """The route from junction `start` along the links at `positions` (rows of net.links)."""
    g = net._graph
    if g is None:
        msg = "this network has no routable graph; build it with points_noeuds or read_node_network"
        raise ValidationError(msg)
    links = net.links
    seq = [int(start)]
    arcs_all: list[npt.NDArray[np.int64]] = []
    for pos in positions:
        a, b = int(links.iloc[pos]["from_node"]), int(links.iloc[pos]["to_node"])
        arcs = net._link_arcs[pos]
        if seq[-1] == a:
            seq.append(b)
        elif seq[-1] == b:
            arcs = reverse_arcs(g, arcs)
            seq.append(a)
        else:
            msg = f"link {links.iloc[pos]['name']} does not start at junction node {seq[-1]}"
            raise ValidationError(msg)
        arcs_all.append(arcs)
    arcs = np.concatenate(arcs_all) if arcs_all else np.zeros(0, dtype=np.int64)
    return _make_route(net, seq, arcs, profile=profile)


def _make_route(
    net: JunctionNetwork, seq: Sequence[int], arcs: npt.NDArray[np.int64], *, profile: str | Profile
) -> Route:
    import shapely  # noqa: PLC0415
    from pyproj import Transformer  # noqa: PLC0415

    g = net._graph
    if g is None:  # pragma: no cover - checked by the callers
        msg = "this network has no routable graph"
        raise ValidationError(msg)
    csr = g.csr
    prof = get_profile(profile)
    nodes = [int(csr.node_ids[g.index[seq[0]]])] + [
        int(csr.node_ids[h]) for h in csr.indices[arcs].tolist()
    ]
    geom = g.line(arcs) if len(arcs) else LineString([g.xy[g.index[seq[0]]]] * 2)
    km = g.km_by_kind(arcs)
    t_id, h_id = csr.node_ids[g.tails[arcs]], csr.node_ids[csr.indices[arcs]]
    edge_m: dict[tuple[int, int, int], float] = {}
    for u, v, k, a in zip(t_id.tolist(), h_id.tolist(), csr.arc_key[arcs].tolist(), arcs.tolist(), strict=True):
        key = (min(u, v), max(u, v), int(k))
        edge_m[key] = edge_m.get(key, 0.0) + float(g.geoms[a].length)
    to_wgs = Transformer.from_crs(csr.crs, 4326, always_xy=True)
    j = net.junctions
    waypoints = []
    for n in seq:
        pt = j.geometry.loc[n]
        lon, lat = to_wgs.transform(pt.x, pt.y)
        waypoints.append((str(j.loc[n, "ref"]), float(lon), float(lat)))
    w = g.weight[arcs]
    return Route(
        nodes=nodes,
        geometry=geom,
        geometry_wgs84=shapely.transform(
            geom, lambda c: np.column_stack(to_wgs.transform(c[:, 0], c[:, 1]))
        ),
        length_m=float(w.sum()),
        duration_s=float(prof.weights(w, csr.arc_kind[arcs], csr.kinds, what="time").sum()),
        cost=float(prof.weights(w, csr.arc_kind[arcs], csr.kinds, what="cost").sum()),
        km_by_kind={k: round(v, 3) for k, v in sorted(km.items())},
        connector_km=float(w[csr.connector[arcs]].sum()) / 1000.0,
        profile=prof.name,
        orig_label=f"junction {j.loc[seq[0], 'ref']}",
        dest_label=f"junction {j.loc[seq[-1], 'ref']}",
        waypoints=waypoints,
        edge_m=edge_m,
        crs=csr.crs,
    )


def strip_text(net: JunctionNetwork, orig: Any, dest: Any, *, profile: str | Profile) -> str:  # noqa: ANN401, D103
    return _strip_nodes(net, list(strip_route(net, orig, dest, profile=profile).nodes))


def strip_route(net: JunctionNetwork, orig: Any, dest: Any, *, profile: str | Profile) -> Any:  # noqa: ANN401
    """`orig` if it is a Route, else the route from `orig` to `dest` on the network's graph."""
    route = orig
    if not hasattr(orig, "nodes"):
        if dest is None:
            msg = "`dest` is needed when `orig` is not a Route"
            raise ValidationError(msg)
        from parcs.routing import route as _route  # noqa: PLC0415

        for what, value in (("orig", orig), ("dest", dest)):
            if isinstance(value, str):
                _no_place_names(net, what, value)
        G = net._source_graph
        if G is None:
            msg = "this network has no source graph; pass a Route"
            raise ValidationError(msg)
        route = _route(G, orig, dest, profile=profile)
    return route


def _expand_split(net: JunctionNetwork, nodes: Sequence[int]) -> list[int]:
    """Replay a node path of the original graph on the design graph (adds split nodes)."""
    chains = net._split_chains
    if not chains or not nodes:
        return list(nodes)
    out = [nodes[0]]
    for u, v in itertools.pairwise(nodes):
        out.extend(chains.get((u, v), ()))
        out.append(v)
    return out


@dataclass(frozen=True)
class StripStop:
    """One junction of a strip: its node, its ref and the metres from the previous one."""

    node: int
    ref: str
    from_previous_m: float


def strip_stops(net: JunctionNetwork, route: Any) -> list[StripStop]:  # noqa: ANN401
    """The junctions a route passes, in order, with the metres from the previous one."""
    nodes = _expand_split(net, list(route.nodes))
    j = net.junctions
    G = net._source_graph
    out: list[StripStop] = []
    run = 0.0
    last = None
    for k, n in enumerate(nodes):
        if k:
            run += _edge_len(G, net._graph, nodes[k - 1], n)
        if n in j.index and n != last:
            out.append(StripStop(int(n), str(j.loc[n, "ref"]), 0.0 if last is None else run))
            last = n
            run = 0.0
    return out


def _strip_nodes(net: JunctionNetwork, nodes: Sequence[int]) -> str:
    stops = strip_stops(net, _Nodes(list(nodes)))
    if not stops:
        return "(no junction on this route)"
    return " → ".join(
        s.ref if k == 0 else f"{s.ref} ({s.from_previous_m / 1000:.1f} km)"
        for k, s in enumerate(stops)
    )


@dataclass(frozen=True)
class _Nodes:
    nodes: list[int]


def _edge_len(G: Any, g: LinkGraph | None, u: int, v: int) -> float:  # noqa: ANN401
    if G is not None and G.has_edge(u, v):
        return float(min(d.get("est_length", d.get("length", 0.0)) for d in G[u][v].values()))
    if g is not None and u in g.index and v in g.index:
        iu, iv = g.index[u], g.index[v]
        lo, hi = int(g.csr.indptr[iu]), int(g.csr.indptr[iu + 1])
        w = [g.weight[e] for e in range(lo, hi) if g.csr.indices[e] == iv]
        if w:
            return float(min(w))
    return 0.0


