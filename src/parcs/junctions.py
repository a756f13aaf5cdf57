"""Réseau points nœuds: design, number, validate, plan and import cycling junction networks.

A *points nœuds* network (Dutch/Belgian *knooppunten*, Danish *knudepunkter*) is a set of
numbered junctions (1–99, reused far apart) joined by signposted *links*; riders note a
sequence of numbers such as 12 → 45 → 7 and follow the signs.

:func:`points_noeuds` designs such a network on a parcs graph (the embedded Artois greenways
by default), :func:`read_node_network` imports an existing one from OpenStreetMap
(``rcn_ref``/``rwn_ref``/... nodes and ``network:type=node_network`` route relations) and checks
its integrity. Both return a :class:`JunctionNetwork`.

Design defaults follow published practice (see ``docs/points-noeuds.md``):

* Danish national node-network handbook (*Knudepunktsnetværk*, Dansk Cykelturisme / Vejdirektoratet):
  links ideally 1–5 km, at most 10 km; the loops a rider can make from the faces of the network
  8–20 km;
* Wallonia (*réseau points-nœuds* of the provinces, SPW guidance): meshes with 5–8 km sides.

Hence ``min_link_m=1000``, ``max_link_m=10_000`` and ``target_link_m=5000`` (long links are cut
into pieces of about that length).
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, Point
from shapely.ops import polygonize, substring, unary_union

from parcs import _numbering
from parcs._kernels.components import connected_components
from parcs._kernels.dijkstra import dijkstra
from parcs._kernels.paths import path_arcs
from parcs._log import logger
from parcs.csr import CSRGraph
from parcs.errors import (
    EmptyAreaError,
    NodeNotFoundError,
    NoPathError,
    NumberingError,
    ValidationError,
)

if TYPE_CHECKING:
    import os
    from collections.abc import Iterable, Mapping, Sequence

    import networkx as nx
    import numpy.typing as npt

    from parcs.routing import Route

__all__ = [
    "DEFAULT_MAX_LINK_M",
    "DEFAULT_MIN_LINK_M",
    "DEFAULT_MIN_REUSE_M",
    "DEFAULT_TARGET_LINK_M",
    "IDEAL_LINK_M",
    "IDEAL_LOOP_M",
    "MIN_SHARE",
    "JunctionNetwork",
    "number_junctions",
    "points_noeuds",
    "read_node_network",
]

#: Shortest link (Danish handbook: links of 1–5 km; junctions closer than 1 km are merged).
DEFAULT_MIN_LINK_M = 1000.0
#: Longest link (Danish handbook: at most 10 km between junctions).
DEFAULT_MAX_LINK_M = 10_000.0
#: Length long links are cut into (upper end of the 1–5 km ideal; Wallonia: 5–8 km meshes).
DEFAULT_TARGET_LINK_M = 5000.0
#: Two junctions carrying the same number are at least this far apart (straight line): the
#: signs at a junction show neighbours up to about `max_link_m` / 2 away as the crow flies, and a
#: rider's map window of a few km must never show two identical numbers.
DEFAULT_MIN_REUSE_M = 5000.0

#: Published ideal link length (Danish handbook), for validation.
IDEAL_LINK_M = (1000.0, 5000.0)
#: Published ideal face-loop perimeter (Danish handbook), for validation.
IDEAL_LOOP_M = (8000.0, 20_000.0)
#: Share of links / loops that must be in the ideal range for the rule to pass.
MIN_SHARE = 0.5

_REASON_ORDER = {
    "fixed": 0,
    "intersection": 1,
    "access": 2,
    "end": 3,
    "component": 4,
    "split": 5,
    "loop": 6,
}
_PARK_KINDS = ("terril", "espace_neonaturel")


# --------------------------------------------------------------------------- internal graph


@dataclass
class _NetGraph:
    """An undirected network stored as symmetric arcs.

    The CSR arrays are those of `csr` (a :class:`parcs.csr.CSRGraph` built without
    renumbering, so node indexes follow the sorted node ids, arcs sorted by (tail, head));
    this class only adds what a CSRGraph cannot hold, per arc in CSR order: kind, geometry
    (oriented tail to head) and the undirected edge key ``(min id, max id, key)``.
    """

    csr: CSRGraph
    arc_kind: npt.NDArray[np.object_]
    arc_geom: list[LineString]
    arc_key: list[tuple[int, int, int]] = field(default_factory=list)
    xy: npt.NDArray[np.float64] = field(init=False, repr=False)
    index: dict[int, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.xy = np.column_stack((self.csr.x, self.csr.y))
        self.index = {int(v): i for i, v in enumerate(self.csr.node_ids.tolist())}

    @property
    def node_ids(self) -> npt.NDArray[np.int64]:
        return self.csr.node_ids

    @property
    def indptr(self) -> npt.NDArray[np.int64]:
        return self.csr.indptr

    @property
    def indices(self) -> npt.NDArray[np.int64]:
        return self.csr.indices

    @functools.cached_property
    def tails(self) -> npt.NDArray[np.int64]:
        return self.csr.tails

    @property
    def weight(self) -> npt.NDArray[np.float64]:
        return self.csr.weights["length"]

    @property
    def crs(self) -> str:
        return self.csr.crs

    @property
    def n(self) -> int:
        return self.csr.n_nodes

    def degree(self) -> npt.NDArray[np.int64]:
        """Return the number of distinct neighbours of each node (self-loops ignored)."""
        keep = self.tails != self.indices
        pairs = np.unique(np.stack([self.tails[keep], self.indices[keep]], axis=1), axis=0)
        return (
            np.bincount(pairs[:, 0], minlength=self.n).astype(np.int64)
            if len(pairs)
            else (np.zeros(self.n, dtype=np.int64))
        )

    def search(
        self,
        sources: Sequence[int],
        *,
        cutoff: float = np.inf,
        stop_mask: npt.NDArray[np.bool_] | None = None,
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
        src = np.asarray(sources, dtype=np.int64)
        return dijkstra(  # type: ignore[no-any-return]
            self.indptr,
            self.indices,
            self.weight,
            src,
            np.zeros(len(src)),
            np.zeros(0, dtype=np.int64),
            float(cutoff),
            np.zeros(0, dtype=np.bool_) if stop_mask is None else stop_mask,
        )

    def path(self, pred: npt.NDArray[np.int64], target: int) -> npt.NDArray[np.int64]:
        return path_arcs(pred, self.indptr, int(target))  # type: ignore[no-any-return]

    def nodes_of(self, arcs: npt.NDArray[np.int64], source: int) -> list[int]:
        return [int(source), *self.indices[arcs].tolist()]

    def line(self, arcs: npt.NDArray[np.int64]) -> LineString:
        coords: list[tuple[float, float]] = []
        for a in arcs.tolist():
            part = list(self.arc_geom[a].coords)
            coords.extend(part if not coords else part[1:])
        if len(coords) < 2:  # noqa: PLR2004
            coords = coords * 2
        return LineString(coords)

    def km_by_kind(self, arcs: npt.NDArray[np.int64]) -> dict[str, float]:
        out: dict[str, float] = {}
        for a in arcs.tolist():
            out[str(self.arc_kind[a])] = out.get(str(self.arc_kind[a]), 0.0) + self.weight[a] / 1000
        return out


def _from_arcs(
    node_ids: Sequence[int],
    xy: npt.NDArray[np.float64],
    tails_id: Sequence[int],
    heads_id: Sequence[int],
    weight: Sequence[float],
    kind: Sequence[str],
    geom: Sequence[LineString],
    crs: str,
    keys: Sequence[tuple[int, int, int]] | None = None,
) -> _NetGraph:
    """Build a `_NetGraph` from arcs given by node ids (each undirected edge given twice)."""
    ids = np.asarray(node_ids, dtype=np.int64)
    order = np.argsort(ids, kind="stable")
    ids = ids[order]
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)[order]
    pos = {int(v): i for i, v in enumerate(ids.tolist())}
    t = np.fromiter((pos[int(u)] for u in tails_id), dtype=np.int64, count=len(tails_id))
    h = np.fromiter((pos[int(v)] for v in heads_id), dtype=np.int64, count=len(heads_id))
    # arc_key = input position: CSRGraph sorts arcs by (tail, head, key), so each CSR arc
    # keeps, in csr.arc_key, the position of the input arc it comes from.
    csr = CSRGraph.from_arrays(
        t,
        h,
        xy[:, 0],
        xy[:, 1],
        weights={"length": np.asarray(weight, dtype=np.float64)},
        node_ids=ids,
        arc_key=np.arange(len(t), dtype=np.int64),
        renumber=False,
        crs=str(crs),
    )
    src = csr.arc_key.tolist()
    return _NetGraph(
        csr=csr,
        arc_kind=np.asarray(kind, dtype=object)[csr.arc_key],
        arc_geom=[geom[i] for i in src],
        arc_key=[keys[i] for i in src] if keys is not None else [],
    )


def _graph_from_nx(G: nx.MultiDiGraph, *, built_only: bool) -> _NetGraph:
    """Return the internal arrays of `G` (both directions of each edge).

    parcs graphs store every edge in both directions (u->v and v->u, each with its oriented
    geometry), so each stored edge is one arc; an edge stored in one direction only also gets
    its reverse arc.
    """
    tails_id: list[int] = []
    heads_id: list[int] = []
    weight: list[float] = []
    kind: list[str] = []
    geom: list[LineString] = []
    keys: list[tuple[int, int, int]] = []
    used: set[int] = set()
    for u, v, k, data in G.edges(keys=True, data=True):
        if (built_only and not data.get("built", True)) or u == v:
            continue
        line = data.get("geometry")
        if line is None:
            pu, pv = G.nodes[u], G.nodes[v]
            line = LineString([(pu["x"], pu["y"]), (pv["x"], pv["y"])])
        w = float(data.get("est_length", data.get("length", line.length)))
        arcs = [(u, v, line)]
        if not G.has_edge(v, u, k):
            arcs.append((v, u, LineString(line.coords[::-1])))
        for a, b, ln in arcs:
            tails_id.append(a)
            heads_id.append(b)
            weight.append(w)
            kind.append(str(data.get("kind", "")))
            geom.append(ln)
            keys.append((min(u, v), max(u, v), int(k)))
        used.update((u, v))
    nodes = sorted(used)
    xy = np.array([(G.nodes[n]["x"], G.nodes[n]["y"]) for n in nodes], dtype=np.float64)
    crs = str(G.graph.get("crs", "EPSG:2154"))
    return _from_arcs(nodes, xy, tails_id, heads_id, weight, kind, geom, crs, keys)


def _edge_line(G: nx.MultiDiGraph, u: int, v: int, data: Mapping[str, Any]) -> LineString:
    """Return the edge geometry oriented u -> v (a straight line when the edge has none)."""
    line = data.get("geometry")
    if line is None:
        pu, pv = G.nodes[u], G.nodes[v]
        line = LineString([(pu["x"], pu["y"]), (pv["x"], pv["y"])])
    return line


def _edge_weight(line: LineString, data: Mapping[str, Any]) -> float:
    """Return the metres the design measures on an edge (``est_length``, else ``length``)."""
    return float(data.get("est_length", data.get("length", line.length)))


@dataclass
class _Split:
    """Long edges cut by :func:`_split_long_edges`.

    ``chains[(u, v)]`` lists the inserted node ids met going from u to v (both directions are
    stored) for the shortest edge between u and v, so that a route computed on the original
    graph can be replayed on the split one; ``edges`` counts the undirected edges cut and
    ``nodes`` the nodes inserted.
    """

    chains: dict[tuple[int, int], list[int]] = field(default_factory=dict)
    edges: int = 0
    nodes: int = 0


def _long_edges(
    G: nx.MultiDiGraph, *, max_edge_m: float, built_only: bool
) -> list[tuple[int, int, int, int]]:
    """Return ``(min id, max id, key, pieces)`` of the edges to cut, sorted."""
    todo: list[tuple[int, int, int, int]] = []
    for u, v, k, data in G.edges(keys=True, data=True):
        if u == v or (built_only and not data.get("built", True)):
            continue
        a, b = (u, v) if u < v else (v, u)
        if (u, v) != (a, b) and G.has_edge(a, b, k):
            continue  # the (a, b) copy is the canonical one
        pieces = math.ceil(_edge_weight(_edge_line(G, u, v, data), data) / max_edge_m - 1e-9)
        if pieces >= 2:  # noqa: PLR2004
            todo.append((int(a), int(b), int(k), pieces))
    return sorted(todo)


def _cut_line(line: LineString, ends: Sequence[tuple[float, float]]) -> list[LineString]:
    """Cut `line` at equal fractions; ``ends`` are the exact coordinates of the cut points."""
    pieces = len(ends) + 1
    parts: list[LineString] = []
    for i in range(pieces):
        part = substring(line, i / pieces, (i + 1) / pieces, normalized=True)
        coords = [tuple(c) for c in part.coords]
        if i > 0:  # each piece starts and ends exactly at the new nodes
            coords[0] = ends[i - 1]
        if i < pieces - 1:
            coords[-1] = ends[i]
        parts.append(LineString(coords))
    return parts


def _split_long_edges(
    G: nx.MultiDiGraph, *, max_edge_m: float, built_only: bool
) -> tuple[nx.MultiDiGraph, _Split]:
    """Return a copy of `G` where edges longer than `max_edge_m` are cut into equal pieces.

    A junction is always a graph node, and the network builder merges degree-2 chains into
    single edges, so a long edge offers no place for a junction. Each edge (``est_length``, the
    length the design measures) longer than `max_edge_m` is cut into
    ``ceil(est_length / max_edge_m)`` pieces of equal length: new nodes are placed at equal
    fractions of its geometry (``shapely`` ``line_interpolate_point``/``substring``), the
    pieces keep every attribute of the edge with ``geometry`` oriented from tail to head and
    ``length``/``est_length`` split in proportion, in both stored directions (key 0). New
    nodes get negative ids (the OpenStreetMap convention for new objects), -1, -2, ... below
    the smallest id of `G` (and below 0), numbered in the order of the edges
    ``(min id, max id, key)`` and from the smaller end id; they carry ``x``, ``y``, ``lon``,
    ``lat`` and ``street_count=2``. Edges ignored by the design (gap connectors with
    `built_only`, self-loops) are left whole. `G` is not modified; it is returned itself when
    no edge is cut.
    """
    from pyproj import Transformer  # noqa: PLC0415

    info = _Split()
    todo = _long_edges(G, max_edge_m=max_edge_m, built_only=built_only)
    if not todo:
        return G, info
    H = G.copy()
    to_wgs = Transformer.from_crs(str(G.graph.get("crs", "EPSG:2154")), 4326, always_xy=True)
    next_id = min(0, *(int(n) for n in G.nodes)) - 1
    for a, b, k, pieces in todo:
        # canonical direction: a -> b when stored, else b -> a (edge stored one way only)
        u, v = (a, b) if G.has_edge(a, b, k) else (b, a)
        line = _edge_line(G, u, v, G.edges[u, v, k])
        fracs = [i / pieces for i in range(pieces + 1)]
        cuts = shapely.line_interpolate_point(line, fracs[1:-1], normalized=True).tolist()
        new = list(range(next_id, next_id - (pieces - 1), -1))
        next_id -= pieces - 1
        for n, pt in zip(new, cuts, strict=True):
            lon, lat = to_wgs.transform(pt.x, pt.y)
            H.add_node(n, x=pt.x, y=pt.y, lon=float(lon), lat=float(lat), street_count=2)
        parts = _cut_line(line, [(pt.x, pt.y) for pt in cuts])
        chain = [u, *new, v]
        for s, t, rev in ((u, v, False), (v, u, True)):
            if not G.has_edge(s, t, k):
                continue
            d = G.edges[s, t, k]
            H.remove_edge(s, t, k)
            for i, part in enumerate(parts):
                share = fracs[i + 1] - fracs[i]
                attrs = {**d, "geometry": LineString(part.coords[::-1]) if rev else part}
                attrs["length"] = float(d.get("length", line.length)) * share
                if "est_length" in d:
                    attrs["est_length"] = float(d["est_length"]) * share
                x, y = (chain[i + 1], chain[i]) if rev else (chain[i], chain[i + 1])
                H.add_edge(x, y, 0, **attrs)
        info.edges += 1
        info.nodes += pieces - 1
        # replay map for routes of the original graph: only for the shortest u-v edge
        w = _edge_weight(line, G.edges[u, v, k])
        if all(_edge_weight(_edge_line(G, u, v, dd), dd) >= w for dd in G[u][v].values()):
            info.chains[(u, v)] = new
            info.chains[(v, u)] = new[::-1]
    logger.info(
        "points_noeuds: %d edges longer than %.0f m cut (%d nodes added)",
        info.edges,
        max_edge_m,
        info.nodes,
    )
    return H, info


# --------------------------------------------------------------------------- design steps


def _candidates(
    g: _NetGraph,
    degree: npt.NDArray[np.int64],
    active: npt.NDArray[np.bool_],
    access: Mapping[int, str],
    fixed: Iterable[int],
) -> list[tuple[tuple[int, int, int], int, str]]:
    """Return ``(priority key, node index, reason)`` of every candidate, best first."""
    out: dict[int, tuple[tuple[int, int, int], str]] = {}

    def _put(i: int, reason: str) -> None:
        key = (_REASON_ORDER[reason], -int(degree[i]), int(g.node_ids[i]))
        if reason == "intersection":
            key = (_REASON_ORDER[reason], -int(degree[i]), int(g.node_ids[i]))
        old = out.get(i)
        if old is None or key < old[0]:
            out[i] = (key, reason)

    for i in np.flatnonzero(active & (degree >= 3)).tolist():  # noqa: PLR2004
        _put(i, "intersection")
    for i in access:
        if active[i]:
            _put(i, "access")
    for i in np.flatnonzero(active & (degree == 1)).tolist():
        _put(i, "end")
    for i in fixed:
        _put(i, "fixed")
    return sorted(((k, i, r) for i, (k, r) in out.items()), key=lambda t: t[0])


def _find_links(
    g: _NetGraph, junctions: Sequence[int], *, cutoff: float
) -> list[tuple[int, int, float, npt.NDArray[np.int64]]]:
    """Adjacent junction pairs: bounded searches from each junction that stop at the others.

    Returns ``(a, b, length, arcs from a to b)`` with ``a < b`` node indexes, one per pair (the
    shorter path when both directions differ).
    """
    mask = np.zeros(g.n, dtype=np.bool_)
    mask[np.asarray(junctions, dtype=np.int64)] = True
    best: dict[tuple[int, int], tuple[float, npt.NDArray[np.int64]]] = {}
    for s in sorted(junctions):
        dist, pred = g.search([s], cutoff=cutoff, stop_mask=mask)
        reached = np.flatnonzero(mask & np.isfinite(dist)).tolist()
        for t in reached:
            if t == s:
                continue
            a, b = (s, t) if s < t else (t, s)
            d = float(dist[t])
            old = best.get((a, b))
            if old is None or d < old[0] - 1e-9:
                arcs = g.path(pred, t)
                if s != a:  # store oriented a -> b
                    arcs = _reverse_arcs(g, arcs)
                best[(a, b)] = (d, arcs)
    return [(a, b, d, arcs) for (a, b), (d, arcs) in sorted(best.items())]


def _reverse_arcs(g: _NetGraph, arcs: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Return the twin arcs of `arcs` in reverse order (same edges, travelled backwards)."""
    out = np.empty(len(arcs), dtype=np.int64)
    for k, a in enumerate(arcs[::-1].tolist()):
        t, h, w = int(g.tails[a]), int(g.indices[a]), g.weight[a]
        lo, hi = int(g.indptr[h]), int(g.indptr[h + 1])
        cand = [e for e in range(lo, hi) if g.indices[e] == t and g.weight[e] == w]
        out[k] = cand[0] if cand else a
    return out


def _split_points(
    g: _NetGraph,
    a: int,
    arcs: npt.NDArray[np.int64],
    length: float,
    target: float,
    allowed: npt.NDArray[np.bool_],
) -> list[int]:
    """Interior nodes cutting a long link into ``round(length / target)`` (>= 2) pieces.

    Only nodes marked in `allowed` (far enough from every junction) are used; each cut goes to
    the allowed node closest to its ideal position.
    """
    nodes = np.asarray(g.nodes_of(arcs, a)[1:-1], dtype=np.int64)
    if not len(nodes):
        return []
    cum = np.cumsum(g.weight[arcs])[:-1]
    ok = allowed[nodes]
    if not ok.any():
        return []
    nodes, cum = nodes[ok], cum[ok]
    pieces = max(2, round(length / target))
    out: list[int] = []
    for k in range(1, pieces):
        pos = int(np.argmin(np.abs(cum - length * k / pieces)))
        if int(nodes[pos]) not in out:
            out.append(int(nodes[pos]))
    return out


def _edge_list(g: _NetGraph, arcs: npt.NDArray[np.int64]) -> list[tuple[Any, ...]]:
    """Return the undirected identity of each edge an arc path travels."""
    if g.arc_key:
        return [g.arc_key[a] for a in arcs.tolist()]
    t, h, w = g.tails[arcs].tolist(), g.indices[arcs].tolist(), g.weight[arcs].tolist()
    return [(min(a, b), max(a, b), round(float(x), 6)) for a, b, x in zip(t, h, w, strict=True)]


def _edge_ids(g: _NetGraph, arcs: npt.NDArray[np.int64]) -> set[tuple[Any, ...]]:
    """Return the set of undirected edges an arc path travels."""
    return set(_edge_list(g, arcs))


def _prune_redundant(
    g: _NetGraph,
    links: list[tuple[int, int, float, npt.NDArray[np.int64]]],
    *,
    detour_m: float,
) -> tuple[list[tuple[int, int, float, npt.NDArray[np.int64]]], int]:
    """Drop links that only repeat sections of other links.

    When thinning drops an intersection near a junction A, its other branches B and C get a
    link B-C running over the same ground as A-B and A-C. A link is dropped when every edge of
    it lies on other remaining links and a junction linked to both ends offers a detour of at
    most `detour_m` (so the network stays connected and covered). Longest links are tried first.
    """
    edges = [_edge_ids(g, arcs) for *_, arcs in links]
    use: dict[tuple[Any, ...], int] = {}
    for es in edges:
        for e in es:
            use[e] = use.get(e, 0) + 1
    alive = [True] * len(links)
    nbr: dict[int, dict[int, float]] = {}
    for a, b, d, _ in links:
        nbr.setdefault(a, {})[b] = d
        nbr.setdefault(b, {})[a] = d
    order = sorted(range(len(links)), key=lambda k: (-links[k][2], links[k][0], links[k][1]))
    dropped = 0
    for k in order:
        a, b, d, _ = links[k]
        if any(use[e] < 2 for e in edges[k]):  # noqa: PLR2004
            continue
        common = (set(nbr[a]) & set(nbr[b])) - {a, b}
        if not any(nbr[a][c] + nbr[b][c] <= d + detour_m for c in sorted(common)):
            continue
        alive[k] = False
        dropped += 1
        for e in edges[k]:
            use[e] -= 1
        del nbr[a][b]
        del nbr[b][a]
    return [link for link, ok in zip(links, alive, strict=True) if ok], dropped


def _spaced(g: _NetGraph, nodes: Sequence[int], min_link_m: float) -> list[int]:
    """Keep the nodes (in order) that are at least `min_link_m` apart along the network."""
    kept: list[int] = []
    for i in nodes:
        if kept:
            d, _ = g.search(kept, cutoff=min_link_m)
            if d[i] < min_link_m:
                continue
        kept.append(i)
    return kept


def _split_junctions(
    g: _NetGraph,
    reasons: Mapping[int, str],
    links: Sequence[tuple[int, int, float, npt.NDArray[np.int64]]],
    min_link_m: float,
    max_link_m: float,
    target_link_m: float,
) -> list[int]:
    """Return new junctions cutting the links longer than `max_link_m`."""
    new: list[int] = []
    for a, _b, length, arcs in links:
        if length <= max_link_m:
            continue
        near, _ = g.search([*reasons, *new], cutoff=min_link_m)
        new.extend(_split_points(g, a, arcs, length, target_link_m, ~(near < min_link_m)))
    return _spaced(g, new, min_link_m)


def _cover_junctions(
    g: _NetGraph,
    reasons: Mapping[int, str],
    links: Sequence[tuple[int, int, float, npt.NDArray[np.int64]]],
    active: npt.NDArray[np.bool_],
    min_link_m: float,
) -> list[int]:
    """Return new junctions on greenway that no link uses (second paths between junctions).

    Only one path per junction pair becomes a link, so the other side of a loop through two
    junctions stays bare; a junction at its node farthest from the others (at least
    `min_link_m` away) splits it into links.
    """
    covered: set[tuple[Any, ...]] = set()
    for *_, arcs in links:
        covered.update(_edge_list(g, arcs))
    all_arcs = np.arange(len(g.tails), dtype=np.int64)
    bare = np.array([e not in covered for e in _edge_list(g, all_arcs)], dtype=np.bool_)
    bare &= active[g.tails]
    if not bare.any():
        return []
    near, _ = g.search(list(reasons))
    cand = np.unique(np.concatenate([g.tails[bare], g.indices[bare]]))
    cand = cand[np.isfinite(near[cand]) & (near[cand] >= min_link_m)]
    if not len(cand):
        return []
    order = np.lexsort((g.node_ids[cand], -near[cand]))
    return _spaced(g, cand[order].tolist(), min_link_m)


def _place_access(
    G: nx.MultiDiGraph, g: _NetGraph, active: npt.NDArray[np.bool_]
) -> dict[int, str]:
    """Node index -> place name: the nearest active access node of each park and terril."""
    gdf = G.graph.get("parcs_places")
    if gdf is None or len(gdf) == 0:
        return {}
    out: dict[int, str] = {}
    parks = gdf[gdf["kind"].isin(_PARK_KINDS)].sort_index()
    for _, row in parks.iterrows():
        nodes = [g.index[n] for n in row.get("access_nodes", ()) if n in g.index]
        nodes = [i for i in nodes if active[i]]
        if not nodes:
            continue
        poly = row.geometry
        best = min(nodes, key=lambda i: (poly.distance(Point(g.xy[i])), int(g.node_ids[i])))
        out.setdefault(best, str(row["name"]))
    return out


# --------------------------------------------------------------------------- result object


@dataclass(eq=False)
class JunctionNetwork:
    """A numbered junction network (points nœuds).

    Attributes
    ----------
    junctions
        GeoDataFrame (projected CRS, index = junction node id): ``node``, ``number`` (1..99;
        -1 for an imported OSM ref that is not an integer), ``ref`` (the number as written on
        the sign), ``degree`` (number of links), ``reason`` (why the node is a junction:
        ``intersection``, ``access``, ``end``, ``split``, ``loop``, ``fixed``, ``component``, ``osm``),
        ``place`` (park or terril served, ``""`` if none), geometry Point. Negative ids are
        nodes added part-way along long edges (``split`` junctions; see :attr:`graph`).
    links
        GeoDataFrame: ``name`` ("12-45", lower number first), ``from_node``, ``to_node``,
        ``from_number``, ``to_number``, ``length_m``, ``km_<kind>`` columns, geometry LineString
        oriented from ``from_node`` to ``to_node``.
    params
        The design parameters (``min_link_m``, ``max_link_m``, ``target_link_m``,
        ``min_reuse_m``...).
    report
        Counts gathered while building (components left out, km covered...).
    issues
        Integrity problems of an imported OSM network (``check``, ``osm_type``, ``osm_id``,
        ``ref``, ``detail``); empty for a designed network.
    """

    junctions: gpd.GeoDataFrame
    links: gpd.GeoDataFrame
    params: dict[str, Any] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)
    issues: pd.DataFrame = field(default_factory=pd.DataFrame)
    _graph: _NetGraph | None = field(default=None, repr=False)
    _link_arcs: list[npt.NDArray[np.int64]] = field(default_factory=list, repr=False)
    _source_graph: Any = field(default=None, repr=False)
    _split_chains: dict[tuple[int, int], list[int]] = field(default_factory=dict, repr=False)

    @property
    def graph(self) -> nx.MultiDiGraph | None:
        """The graph the network was designed on, or the link graph of an imported network.

        It is the graph passed to :func:`points_noeuds`, or a copy of it where long edges were
        cut by new nodes with negative ids (``split`` junctions sit on those). For a network
        read with :func:`read_node_network` it is the graph of its links (junctions joined by
        one ``kind="node_route"`` edge per link). Routes from :meth:`plan` are paths of this
        graph; :meth:`strip` also accepts routes computed on the original graph.
        """
        return self._source_graph

    def __repr__(self) -> str:
        """Return a short summary."""
        return (
            f"JunctionNetwork({len(self.junctions)} junctions, {len(self.links)} links, "
            f"{self.report.get('km_covered', float('nan')):.1f} km)"
        )

    # ------------------------------------------------------------------ numbering

    def numbers_of(self, number: int) -> list[int]:
        """Return the node ids of the junctions carrying `number`, in id order."""
        sel = self.junctions[self.junctions["number"] == int(number)]
        return sorted(int(n) for n in sel.index)

    def neighbours(self, node: int) -> dict[int, int]:
        """Return ``{neighbour node id: link row position}`` of junction `node`."""
        out: dict[int, int] = {}
        links = self.links
        for pos, (a, b) in enumerate(
            zip(links["from_node"].tolist(), links["to_node"].tolist(), strict=True)
        ):
            if a == node and b not in out:
                out[int(b)] = pos
            elif b == node and a not in out:
                out[int(a)] = pos
        return out

    # ------------------------------------------------------------------ validation

    def validate(self) -> pd.DataFrame:
        """Check the network against published design practice.

        Returns
        -------
        pandas.DataFrame
            One row per rule: ``rule``, ``target``, ``measured``, ``ok`` (bool, or None when
            the rule is informative only) and ``source`` (where the target comes from).
        """
        return _validate(self)

    # ------------------------------------------------------------------ signs

    def signs(self) -> pd.DataFrame:
        """Return the sign table: one row per junction and direction.

        Columns: ``node``, ``number``, ``to_node``, ``to_number``, ``distance_km``,
        ``bearing_deg`` (compass bearing, 0 = north, of the first segment of the link leaving
        the junction) and ``link``.
        """
        rows = []
        for link in self.links.itertuples(index=False):
            coords = list(link.geometry.coords)
            for node, number, other, other_number, seq in (
                (link.from_node, link.from_number, link.to_node, link.to_number, coords),
                (link.to_node, link.to_number, link.from_node, link.from_number, coords[::-1]),
            ):
                rows.append(
                    {
                        "node": int(node),
                        "number": int(number),
                        "to_node": int(other),
                        "to_number": int(other_number),
                        "distance_km": round(float(link.length_m) / 1000, 1),
                        "bearing_deg": round(_first_bearing(seq), 0),
                        "link": link.name,
                    }
                )
        df = pd.DataFrame(
            rows,
            columns=[
                "node",
                "number",
                "to_node",
                "to_number",
                "distance_km",
                "bearing_deg",
                "link",
            ],
        )
        return df.sort_values(["number", "node", "bearing_deg"], kind="stable").reset_index(
            drop=True
        )

    # ------------------------------------------------------------------ export

    def to_file(
        self, path: str | os.PathLike[str], *, driver: Literal["GPKG", "GeoJSON"] = "GPKG"
    ) -> list[str]:
        """Write the junctions and links layers.

        Parameters
        ----------
        path
            Output file. For ``"GeoJSON"``, two files are written next to it:
            ``<stem>_junctions.geojson`` and ``<stem>_links.geojson`` (GeoJSON has no layers).
        driver
            {"GPKG", "GeoJSON"} output format.

        Returns
        -------
        list of str
            The files written.
        """
        from pathlib import Path  # noqa: PLC0415

        from parcs._atomic import atomic_path  # noqa: PLC0415

        if driver not in {"GPKG", "GeoJSON"}:
            msg = f"`driver` must be 'GPKG' or 'GeoJSON', got {driver!r}"
            raise ValidationError(msg)
        target = Path(path)
        junctions = self.junctions.reset_index(drop=True)
        links = self.links.copy()
        if driver == "GPKG":
            with atomic_path(target) as tmp:
                junctions.to_file(tmp, layer="junctions", driver="GPKG")
                links.to_file(tmp, layer="links", driver="GPKG")
            return [str(target)]
        stem = target.with_suffix("")
        out = []
        for name, gdf in (("junctions", junctions), ("links", links)):
            dest = Path(f"{stem}_{name}.geojson")
            with atomic_path(dest) as tmp:
                gdf.to_crs(4326).to_file(tmp, driver="GeoJSON")
            out.append(str(dest))
        return out

    # ------------------------------------------------------------------ planning

    def plan(
        self,
        start: int | str | tuple[float, float],
        numbers: Sequence[int],
        *,
        profile: str = "bike",
    ) -> Route:
        """Plan a ride given as a start and a list of junction numbers.

        Each number is resolved relative to the previous junction: a neighbour (linked
        junction) carrying that number if there is one, else the nearest junction carrying it
        (straight line). Between two linked junctions the route follows the link.

        Parameters
        ----------
        start
            The first junction: a junction node id (int), a place name (its nearest junction),
            or a ``(lon, lat)`` tuple (nearest junction).
        numbers
            The junction numbers to visit after `start`.
        profile
            {"walk", "bike", "ebike"} used for the duration and cost of the route.

        Returns
        -------
        parcs.routing.Route
            With one waypoint per junction (its number as the name).

        Raises
        ------
        NumberingError
            If a number is carried by no junction.
        NoPathError
            If two consecutive junctions are not connected.
        """
        return _plan(self, start, numbers, profile=profile)

    def strip(self, orig: Any, dest: Any = None, *, profile: str = "bike") -> str:  # noqa: ANN401
        """Return the "strip map" of a trip: the junction numbers met, with distances.

        Parameters
        ----------
        orig
            A `Route`, or the origin (place name, node id or ``(lon, lat)``).
        dest
            The destination when `orig` is not a Route.
        profile
            {"walk", "bike", "ebike"} used to route between places.

        Returns
        -------
        str
            e.g. ``"12 → 45 (3.2 km) → 7 (4.1 km)"``; distances are from the previous junction.
        """
        return _strip(self, orig, dest, profile=profile)


def _first_bearing(coords: Sequence[tuple[float, ...]]) -> float:
    x0, y0 = coords[0][0], coords[0][1]
    for c in coords[1:]:
        dx, dy = c[0] - x0, c[1] - y0
        if dx or dy:
            return (math.degrees(math.atan2(dx, dy)) + 360.0) % 360.0
    return 0.0


# --------------------------------------------------------------------------- assembling


def _assemble(
    g: _NetGraph,
    junction_idx: Sequence[int],
    reasons: Mapping[int, str],
    places: Mapping[int, str],
    links: Sequence[tuple[int, int, float, npt.NDArray[np.int64]]],
    numbers: Mapping[int, int],
    refs: Mapping[int, str] | None = None,
    extra_link_cols: Mapping[str, Sequence[Any]] | None = None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, list[npt.NDArray[np.int64]]]:
    """Build the junctions and links GeoDataFrames."""
    deg: dict[int, int] = dict.fromkeys(junction_idx, 0)
    for a, b, _, _ in links:
        deg[a] += 1
        deg[b] += 1
    jidx = sorted(junction_idx, key=lambda i: int(g.node_ids[i]))
    refs = refs or {}
    jdf = gpd.GeoDataFrame(
        {
            "node": np.array([g.node_ids[i] for i in jidx], dtype=np.int64),
            "number": np.array([numbers[i] for i in jidx], dtype=np.int64),
            "ref": [refs.get(i, str(numbers[i])) for i in jidx],
            "degree": np.array([deg[i] for i in jidx], dtype=np.int64),
            "reason": [reasons[i] for i in jidx],
            "place": [places.get(i, "") for i in jidx],
        },
        geometry=[Point(g.xy[i]) for i in jidx],
        crs=g.crs,
    )
    jdf.index = pd.Index(jdf["node"].to_numpy(), name="junction")
    rows = []
    arcs_out = []
    kinds: set[str] = set()
    for k, link in enumerate(links):
        a, b, length, arcs = link
        na, nb = numbers[a], numbers[b]
        ra, rb = refs.get(a, str(na)), refs.get(b, str(nb))
        swap = (na, int(g.node_ids[a])) > (nb, int(g.node_ids[b]))
        if swap:
            a, b, na, nb, ra, rb = b, a, nb, na, rb, ra
            arcs = _reverse_arcs(g, arcs)
        km = g.km_by_kind(arcs)
        kinds.update(km)
        row: dict[str, Any] = {
            "name": f"{ra}-{rb}",
            "from_node": int(g.node_ids[a]),
            "to_node": int(g.node_ids[b]),
            "from_number": int(na),
            "to_number": int(nb),
            "length_m": float(length),
            "_km": km,
            "geometry": g.line(arcs),
        }
        for col, values in (extra_link_cols or {}).items():
            row[col] = values[k]
        rows.append(row)
        arcs_out.append(arcs)
    kind_cols = [f"km_{kind}" for kind in sorted(kinds)]
    for row in rows:
        km = row.pop("_km")
        for kind in sorted(kinds):
            row[f"km_{kind}"] = round(km.get(kind, 0.0), 3)
    base = ["name", "from_node", "to_node", "from_number", "to_number", "length_m"]
    cols = [*base, *kind_cols, *(extra_link_cols or {}), "geometry"]
    ldf = gpd.GeoDataFrame(pd.DataFrame(rows, columns=cols), geometry="geometry", crs=g.crs)
    if len(ldf):
        order = np.lexsort((ldf["to_node"], ldf["from_node"], ldf["to_number"], ldf["from_number"]))
        ldf = ldf.iloc[order].reset_index(drop=True)
        arcs_out = [arcs_out[i] for i in order.tolist()]
    ldf.index.name = "link"
    return jdf, ldf, arcs_out


# --------------------------------------------------------------------------- public: design


def _check_length(name: str, value: float) -> None:
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
        msg = f"`{name}` must be a positive number of metres, got {value!r}"
        raise ValidationError(msg)


def points_noeuds(  # noqa: C901, PLR0912, PLR0915
    G: nx.MultiDiGraph | None = None,
    *,
    min_link_m: float = DEFAULT_MIN_LINK_M,
    max_link_m: float = DEFAULT_MAX_LINK_M,
    target_link_m: float = DEFAULT_TARGET_LINK_M,
    min_reuse_m: float = DEFAULT_MIN_REUSE_M,
    fixed_numbers: Mapping[int, int] | None = None,
    built_only: bool = True,
    include_places: bool = True,
    number_choice: Literal["spread", "smallest"] = "spread",
    prune_links: bool = True,
    split_long_edges: bool = True,
) -> JunctionNetwork:
    """Design and number a points-nœuds network on `G`.

    Steps: (1) keep the built greenways (``built=True`` edges) and leave out connected
    components shorter than `min_link_m` in total; (2) candidate junctions are intersections
    (3+ distinct neighbours), the access node of every park and terril nearest to it, and
    network ends; (3) candidates are thinned greedily, fixed junctions first, then
    intersections by decreasing degree, then park accesses, then ends (ties by node id): a
    candidate closer than `min_link_m` along the network to an accepted junction is dropped;
    (4) links are found by bounded searches from every junction that stop at the other
    junctions; (5) links longer than `max_link_m` are cut at interior nodes into pieces of about
    `target_link_m`, and (4) is repeated; (6) junctions are numbered 1..99 (DSATUR on the
    conflict graph, see :func:`number_junctions`).

    Junctions are graph nodes, and the network builder merges degree-2 chains into single
    edges; so that long links can be cut, the design runs on a copy of `G` where every edge
    longer than ``min(target_link_m, max_link_m / 2)`` is cut into equal pieces by new nodes
    with negative ids (see `split_long_edges`). That graph is ``net.graph``: routes from
    :meth:`JunctionNetwork.plan` are paths of it.

    Parameters
    ----------
    G
        A parcs graph (EPSG:2154 metres, ``est_length``/``built``/``kind`` edge attributes).
        Default: the embedded Artois network, ``parcs.load_network()``.
    min_link_m
        Shortest link, in metres along the network. Default 1 km (Danish node-network
        handbook: links of 1–5 km).
    max_link_m
        Longest link before it is cut. Default 10 km (Danish handbook maximum).
    target_link_m
        Length of the pieces a long link is cut into. Default 5 km.
    min_reuse_m
        Two junctions with the same number are at least this far apart in a straight line.
        Default 5 km (see :data:`DEFAULT_MIN_REUSE_M`).
    fixed_numbers
        ``{node id: number}`` kept as given (these nodes always become junctions).
    built_only
        Ignore the gap connectors (``built=False`` edges). With False they are part of the
        network, at their travelled length ``est_length``.
    include_places
        Make the nearest access node of each park and terril a candidate junction.
    number_choice
        {"spread", "smallest"} how the numbering picks among free numbers (see
        :func:`number_junctions`).
    prune_links
        Drop links that only repeat sections of other links (where thinning removed an
        intersection next to a junction), when a detour of at most ``2 * min_link_m`` through a
        common neighbour replaces them.
    split_long_edges
        Cut edges longer than ``min(target_link_m, max_link_m / 2)`` into equal pieces before
        the design, so that links made of a long edge can get a junction part-way
        (``reason="split"``). New nodes have negative ids (-1, -2, ... below the smallest id of
        `G`), lie on the edge geometry and carry ``x``/``y``/``lon``/``lat``; the pieces keep
        the edge attributes, with ``length``/``est_length`` split in proportion. `G` itself is
        never modified. With False, junctions are only placed on nodes of `G`.

    Returns
    -------
    JunctionNetwork
        ``net.graph`` is the graph the design was computed on (`G`, or the copy with long
        edges cut).

    Raises
    ------
    ValidationError
        If a length is not a positive number or `min_link_m` > `max_link_m`.
    NodeNotFoundError
        If a node of `fixed_numbers` is not on the network.
    EmptyAreaError
        If no component is long enough to carry a junction network.
    NumberingError
        If the numbering constraints cannot be met (see :func:`number_junctions`).
    """
    for name, value in (
        ("min_link_m", min_link_m),
        ("max_link_m", max_link_m),
        ("target_link_m", target_link_m),
        ("min_reuse_m", min_reuse_m),
    ):
        _check_length(name, value)
    if min_link_m >= max_link_m:
        msg = f"`min_link_m` ({min_link_m!r}) must be smaller than `max_link_m` ({max_link_m!r})"
        raise ValidationError(msg)
    if G is None:
        from parcs.territory import load_network  # noqa: PLC0415

        G = load_network()
    split_edge_m = min(float(target_link_m), float(max_link_m) / 2)
    if split_long_edges:
        G_design, split = _split_long_edges(G, max_edge_m=split_edge_m, built_only=built_only)
    else:
        G_design, split = G, _Split()
    g = _graph_from_nx(G_design, built_only=built_only)
    if g.n == 0:
        msg = "the graph has no usable edge (with `built_only=True`, no built edge)"
        raise EmptyAreaError(msg)
    degree = g.degree()
    labels = connected_components(g.indptr, g.indices, g.tails, g.n)
    comp_len = np.bincount(labels[g.tails], weights=g.weight) / 2.0
    active = comp_len[labels] >= min_link_m
    left_out = int(np.sum(comp_len < min_link_m))
    left_out_km = float(comp_len[comp_len < min_link_m].sum() / 1000)
    if not active.any():
        msg = (
            f"no connected part of the network is at least `min_link_m`={min_link_m!r} m long; "
            "lower `min_link_m` or use a larger graph"
        )
        raise EmptyAreaError(msg)

    fixed_idx: dict[int, int] = {}
    missing = []
    for node, number in sorted((fixed_numbers or {}).items()):
        i = g.index.get(int(node))
        if i is None or not active[i]:
            missing.append(node)
        else:
            fixed_idx[i] = number
    if missing:
        msg = (
            f"`fixed_numbers` names {len(missing)} node(s) that are not on the designed network: "
            f"{missing[:5]}; use node ids of G{' with built edges' if built_only else ''}"
        )
        raise NodeNotFoundError(msg)

    access = _place_access(G, g, active) if include_places else {}
    cands = _candidates(g, degree, active, access, fixed_idx)
    reasons: dict[int, str] = {}
    near = np.full(g.n, np.inf)
    for _key, i, reason in cands:
        if reason != "fixed" and near[i] < min_link_m:
            continue
        reasons[i] = reason
        dist, _ = g.search([i], cutoff=min_link_m)
        np.minimum(near, dist, out=near)

    # components left with fewer than two junctions (loops, single lines): add the farthest
    # node; a component whose farthest node is closer than min_link_m is left out
    for c in np.unique(labels[active]).tolist():
        members = np.flatnonzero(labels == c)
        have = [i for i in members.tolist() if i in reasons]
        if len(have) >= 2:  # noqa: PLR2004
            continue
        start = have or [int(members[np.argmin(g.node_ids[members])])]
        dist, _ = g.search(start)
        d = dist[members]
        far = int(members[np.argmax(d)])
        if d.max() < min_link_m and not any(reasons.get(i) == "fixed" for i in have):
            for i in have:
                del reasons[i]
            active[members] = False
            left_out += 1
            left_out_km += float(comp_len[c] / 1000)
            continue
        for i in (*start, far):
            reasons.setdefault(i, "component")

    links = _find_links(g, list(reasons), cutoff=np.inf)
    for _ in range(50):
        new = _split_junctions(g, reasons, links, min_link_m, max_link_m, target_link_m)
        reason = "split"
        if not new:
            new = _cover_junctions(g, reasons, links, active, min_link_m)
            reason = "loop"
        if not new:
            break
        for i in new:
            reasons[i] = reason
        links = _find_links(g, list(reasons), cutoff=np.inf)

    links, pruned = (
        _prune_redundant(g, links, detour_m=2 * min_link_m) if prune_links else (links, 0)
    )
    jidx = sorted(reasons, key=lambda i: int(g.node_ids[i]))
    numbers = _number(
        g, jidx, links, min_reuse_m=min_reuse_m, fixed=fixed_idx, choice=number_choice
    )
    places = {i: name for i, name in access.items() if i in reasons}
    jdf, ldf, arcs = _assemble(g, jidx, reasons, places, links, numbers)
    km_designed = float(
        np.sum(g.weight[np.isin(labels[g.tails], np.unique(labels[active]))]) / 2000
    )
    on_links: dict[tuple[Any, ...], float] = {}
    for *_, arcs_k in links:
        for e, w in zip(_edge_list(g, arcs_k), g.weight[arcs_k].tolist(), strict=True):
            on_links[e] = w
    km_covered = float(sum(on_links.values()) / 1000)
    report = {
        "junctions": len(jdf),
        "links": len(ldf),
        "km_network": float(np.sum(g.weight) / 2000),
        "km_covered": km_covered,
        "km_designed": km_designed,
        "components_used": len(np.unique(labels[active])),
        "components_left_out": left_out,
        "km_left_out": left_out_km,
        "places_with_junction": len(places),
        "places_candidates": len(access),
        "links_not_split": int(sum(1 for *_, L, _a in links if max_link_m < L)),
        "links_pruned": pruned,
        "edges_split": split.edges,
        "nodes_added": split.nodes,
    }
    params = {
        "min_link_m": float(min_link_m),
        "max_link_m": float(max_link_m),
        "target_link_m": float(target_link_m),
        "min_reuse_m": float(min_reuse_m),
        "built_only": built_only,
        "include_places": include_places,
        "number_choice": number_choice,
        "prune_links": prune_links,
        "split_long_edges": split_long_edges,
        "split_edge_m": split_edge_m if split_long_edges else None,
    }
    logger.info(
        "points_noeuds: %d junctions, %d links, %.1f km covered (%d small components left out)",
        len(jdf),
        len(ldf),
        km_covered,
        left_out,
    )
    return JunctionNetwork(
        junctions=jdf,
        links=ldf,
        params=params,
        report=report,
        issues=_empty_issues(),
        _graph=g,
        _link_arcs=arcs,
        _source_graph=G_design,
        _split_chains=split.chains,
    )


def _number(
    g: _NetGraph,
    jidx: Sequence[int],
    links: Sequence[tuple[int, int, float, Any]],
    *,
    min_reuse_m: float,
    fixed: Mapping[int, int],
    choice: Literal["spread", "smallest"],
) -> dict[int, int]:
    pos = {i: k for k, i in enumerate(jidx)}
    xy = g.xy[np.asarray(jidx, dtype=np.int64)] if jidx else np.zeros((0, 2))
    pairs = _numbering.conflict_pairs(
        xy, [(pos[a], pos[b]) for a, b, _, _ in links], min_reuse_m=min_reuse_m
    )
    ids = g.node_ids[np.asarray(jidx, dtype=np.int64)]
    fixed_pos = {pos[i]: v for i, v in fixed.items()}
    try:
        nums = _numbering.colour_junctions(
            len(jidx), pairs, ids=ids, xy=xy, fixed=fixed_pos, choice=choice
        )
    except NumberingError:
        if choice != "spread":
            raise
        # spreading uses more numbers locally; the classic smallest-number rule may still fit
        logger.info("points_noeuds: 'spread' numbering failed, retrying with 'smallest'")
        nums = _numbering.colour_junctions(
            len(jidx), pairs, ids=ids, xy=xy, fixed=fixed_pos, choice="smallest"
        )
    return {i: int(nums[k]) for i, k in pos.items()}


def number_junctions(
    xy: npt.ArrayLike,
    links: Iterable[tuple[int, int]],
    *,
    ids: Sequence[int] | None = None,
    min_reuse_m: float = DEFAULT_MIN_REUSE_M,
    fixed_numbers: Mapping[int, int] | None = None,
    choice: Literal["spread", "smallest"] = "spread",
    distinct_neighbours: bool = True,
) -> npt.NDArray[np.int64]:
    """Give junctions numbers 1..99 so that signs are never ambiguous.

    Constraints: linked junctions differ (``adjacent``); the neighbours of a junction differ
    from each other (``neighbours``, with `distinct_neighbours`); junctions closer than
    `min_reuse_m` in a straight line differ (``min_reuse_m``); numbers are in 1..99
    (``range``) and `fixed_numbers` are kept (``fixed``). The numbering is DSATUR (Brélaz 1979)
    with pre-coloured vertices, deterministic (ties by id), followed by a one-step repair when a
    junction has no free number.

    Parameters
    ----------
    xy
        Coordinates of the junctions, shape ``(n, 2)``, in metres.
    links
        Pairs of junction positions ``(i, j)`` joined by a link.
    ids
        External ids used for tie-breaking and messages (default ``0..n-1``).
    min_reuse_m
        Minimum straight-line distance between two junctions carrying the same number.
    fixed_numbers
        ``{position: number}`` kept as given.
    choice
        {"spread", "smallest"}: ``"smallest"`` gives each junction the smallest free number
        (classic DSATUR, fewest numbers); ``"spread"`` the free number whose nearest use is
        farthest away (reused numbers as far apart as possible, like signposted networks).
    distinct_neighbours
        Also require the neighbours of each junction to carry distinct numbers.

    Returns
    -------
    numpy.ndarray
        int64 numbers, one per junction.

    Raises
    ------
    NumberingError
        Naming the failing constraint (``range``, ``adjacent``, ``neighbours``,
        ``min_reuse_m``) and the junction(s) where it fails.
    """
    arr = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    id_arr = np.arange(len(arr), dtype=np.int64) if ids is None else np.asarray(ids, dtype=np.int64)
    if len(id_arr) != len(arr):
        msg = f"`ids` has {len(id_arr)} items but `xy` has {len(arr)} points"
        raise ValidationError(msg)
    pairs = _numbering.conflict_pairs(
        arr, list(links), min_reuse_m=min_reuse_m, distinct_neighbours=distinct_neighbours
    )
    return _numbering.colour_junctions(
        len(arr), pairs, ids=id_arr, xy=arr, fixed=dict(fixed_numbers or {}), choice=choice
    )


# --------------------------------------------------------------------------- validation


def _validate(net: JunctionNetwork) -> pd.DataFrame:
    links = net.links
    j = net.junctions
    L = links["length_m"].to_numpy(dtype=float) if len(links) else np.zeros(0)
    min_link = float(net.params.get("min_link_m", DEFAULT_MIN_LINK_M))
    max_link = float(net.params.get("max_link_m", DEFAULT_MAX_LINK_M))
    lo, hi = IDEAL_LINK_M
    loop_lo, loop_hi = IDEAL_LOOP_M
    danish = "Danish node-network handbook (links 1–5 km, max 10 km; loops 8–20 km)"
    rows: list[dict[str, Any]] = []

    def add(rule: str, target: str, measured: str, ok: bool | None, source: str) -> None:  # noqa: FBT001
        rows.append(
            {"rule": rule, "target": target, "measured": measured, "ok": ok, "source": source}
        )

    n_links = len(L)
    nan = float("nan")
    share_ideal = float(np.mean((lo <= L) & (hi >= L))) if n_links else nan
    share_long = float(np.mean(max_link < L)) if n_links else nan
    add("junctions", "> 0", f"{len(j)}", len(j) > 0, "—")
    add("links", "> 0", f"{n_links}", n_links > 0, "—")
    add(
        "links of 1–5 km",
        f"≥ {MIN_SHARE:.0%}",
        f"{share_ideal:.0%}",
        share_ideal >= MIN_SHARE,
        danish,
    )
    add(f"links over {max_link / 1000:g} km", "0%", f"{share_long:.0%}", share_long == 0, danish)
    if n_links:
        add(
            "shortest link",
            f"≥ {min_link / 1000:g} km",
            f"{L.min() / 1000:.2f} km",
            bool(L.min() >= min_link - 0.5),
            danish,
        )
        add(
            "longest link",
            f"≤ {max_link / 1000:g} km",
            f"{L.max() / 1000:.2f} km",
            bool(L.max() <= max_link + 0.5),
            danish,
        )
        med = float(np.median(L))
        add("median link", "1–5 km", f"{med / 1000:.2f} km", lo <= med <= hi, danish)
    # faces shorter than two links are wyes/kinks inside links, not loops a rider can make
    loops = _face_loops(links)
    loops = loops[loops >= 2 * min_link]
    if len(loops):
        share_loops = float(np.mean((loops >= loop_lo) & (loops <= loop_hi)))
        add(
            "face loops of 8–20 km",
            f"≥ {MIN_SHARE:.0%}",
            f"{share_loops:.0%} of {len(loops)}",
            share_loops >= MIN_SHARE,
            danish,
        )
        med_loop = float(np.median(loops))
        add(
            "median face loop",
            "8–20 km",
            f"{med_loop / 1000:.1f} km",
            loop_lo <= med_loop <= loop_hi,
            "Wallonia: meshes with 5–8 km sides",
        )
    else:
        add("face loops of 8–20 km", f"≥ {MIN_SHARE:.0%}", "no closed loop", False, danish)  # noqa: FBT003
    degree = j["degree"].to_numpy() if len(j) else np.zeros(0, dtype=np.int64)
    dead = int(np.sum(degree == 1))
    add(
        "junctions with a single link",
        "few (dead ends)",
        f"{dead} of {len(j)}",
        None,
        "a junction should offer a choice; dead ends only at destinations",
    )
    isolated = int(np.sum(degree == 0))
    add("junctions without link", "0", f"{isolated}", isolated == 0, "—")
    nums = j["number"].to_numpy() if len(j) else np.zeros(0, dtype=np.int64)
    valid = (nums >= 1) & (nums <= _numbering.MAX_NUMBER)
    add(
        "numbers in 1–99",
        "all",
        f"{int(valid.sum())} of {len(nums)}",
        bool(valid.all()),
        "two-digit signs (Benelux/Danish practice)",
    )
    same_adj = 0
    if n_links:
        fn, tn = links["from_number"].to_numpy(), links["to_number"].to_numpy()
        same_adj = int(np.sum((fn == tn) & (fn >= 1)))  # -1: OSM refs that are not numbers
    add(
        "linked junctions with the same number",
        "0",
        f"{same_adj}",
        same_adj == 0,
        "unambiguous signs",
    )
    min_reuse = _min_reuse_distance(j)
    target_reuse = net.params.get("min_reuse_m")
    add(
        "min distance between reused numbers",
        f"≥ {target_reuse / 1000:.1f} km" if target_reuse else "as large as possible",
        "no reuse" if not math.isfinite(min_reuse) else f"{min_reuse / 1000:.1f} km",
        bool(min_reuse >= target_reuse) if target_reuse else None,
        "`min_reuse_m` (parcs default 5 km)",
    )
    used = len(np.unique(nums))
    add("numbers used", "≤ 99", f"{used}", used <= _numbering.MAX_NUMBER, "—")
    km = float(net.report.get("km_covered", nan))
    km_designed = net.report.get("km_designed")
    share = f" ({km / km_designed:.0%} of {km_designed:.1f} km)" if km_designed else ""
    add(
        "km of network covered",
        "—",
        f"{km:.1f} km{share}",
        None,
        "greenway on at least one link (of the components kept)",
    )
    add(
        "km of links",
        "—",
        f"{L.sum() / 1000:.1f} km",
        None,
        "sum of link lengths (links may share sections)",
    )
    return pd.DataFrame(rows, columns=["rule", "target", "measured", "ok", "source"])


def _face_loops(links: gpd.GeoDataFrame) -> npt.NDArray[np.float64]:
    """Perimeters (m) of the faces of the link network (``shapely.ops.polygonize``)."""
    if len(links) == 0:
        return np.zeros(0)
    merged = unary_union(list(links.geometry))
    polys = list(polygonize(merged))
    return np.sort(np.array([p.exterior.length for p in polys if p.area > 1.0]))


def _min_reuse_distance(j: gpd.GeoDataFrame) -> float:
    best = math.inf
    if len(j) == 0:
        return best
    xy = np.column_stack([j.geometry.x.to_numpy(), j.geometry.y.to_numpy()])
    nums = j["number"].to_numpy()
    for v in np.unique(nums[nums >= 1]).tolist():
        sel = xy[nums == v]
        if len(sel) > 1:
            d = np.hypot(sel[:, None, 0] - sel[None, :, 0], sel[:, None, 1] - sel[None, :, 1])
            d[np.diag_indices(len(sel))] = np.inf
            best = min(best, float(d.min()))
    return best


# --------------------------------------------------------------------------- planning


def _resolve_start(net: JunctionNetwork, start: Any) -> int:  # noqa: ANN401
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
        G = net._source_graph
        if G is None:
            msg = "this network has no source graph with places; pass a junction node id as `start`"
            raise ValidationError(msg)
        from parcs.territory import find_place  # noqa: PLC0415

        place = find_place(G, start)
        c = place.geometry.centroid
        sel = j[j["place"] == place["name"]]
        if len(sel):
            return int(sel.index[0])
        return _nearest_junction(j, c.x, c.y, geom=place.geometry)
    msg = f"`start` must be a junction node id, a place name or a (lon, lat) tuple, got {start!r}"
    raise ValidationError(msg)


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


def _plan(net: JunctionNetwork, start: Any, numbers: Sequence[int], *, profile: str) -> Route:  # noqa: ANN401
    g = net._graph
    if g is None:
        msg = "this network has no routable graph (imported OSM networks cannot be planned yet)"
        raise ValidationError(msg)
    s = _resolve_start(net, start)
    seq = _resolve_numbers(net, s, numbers)
    arcs_all: list[npt.NDArray[np.int64]] = []
    for a, b in zip(seq[:-1], seq[1:], strict=True):
        if a == b:
            continue
        pos = net.neighbours(a).get(b)
        if pos is not None:
            arcs = net._link_arcs[pos]
            if int(net.links.iloc[pos]["from_node"]) != a:
                arcs = _reverse_arcs(g, arcs)
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


def _make_route(
    net: JunctionNetwork, seq: Sequence[int], arcs: npt.NDArray[np.int64], *, profile: str
) -> Route:
    from pyproj import Transformer  # noqa: PLC0415
    from shapely.ops import transform  # noqa: PLC0415

    from parcs.profiles import get_profile  # noqa: PLC0415
    from parcs.routing import Route as _Route  # noqa: PLC0415

    g = net._graph
    assert g is not None
    prof = get_profile(profile)
    nodes = [int(g.node_ids[g.index[seq[0]]])] + [
        int(g.node_ids[h]) for h in g.indices[arcs].tolist()
    ]
    geom = g.line(arcs) if len(arcs) else LineString([g.xy[g.index[seq[0]]]] * 2)
    km = g.km_by_kind(arcs)
    length = float(g.weight[arcs].sum())
    cost = float(sum(g.weight[a] * prof.multiplier(str(g.arc_kind[a])) for a in arcs.tolist()))
    edge_m: dict[tuple[int, int, int], float] = {}
    if g.arc_key:
        for a in arcs.tolist():
            key = g.arc_key[a]
            edge_m[key] = edge_m.get(key, 0.0) + float(g.arc_geom[a].length)
    to_wgs = Transformer.from_crs(g.crs, 4326, always_xy=True)
    j = net.junctions
    waypoints = []
    for n in seq:
        p = j.geometry.loc[n]
        lon, lat = to_wgs.transform(p.x, p.y)
        waypoints.append((str(j.loc[n, "ref"]), float(lon), float(lat)))
    return _Route(
        nodes=nodes,
        geometry=geom,
        geometry_wgs84=transform(to_wgs.transform, geom),
        length_m=length,
        duration_s=length / prof.speed_ms,
        cost=cost,
        km_by_kind={k: round(v, 3) for k, v in sorted(km.items())},
        connector_km=float(km.get("connector", 0.0)),
        profile=prof.name,
        orig_label=f"junction {j.loc[seq[0], 'ref']}",
        dest_label=f"junction {j.loc[seq[-1], 'ref']}",
        waypoints=waypoints,
        edge_m=edge_m,
    )


def _strip(net: JunctionNetwork, orig: Any, dest: Any, *, profile: str) -> str:  # noqa: ANN401
    route = orig
    if not hasattr(orig, "nodes"):
        if dest is None:
            msg = "`dest` is needed when `orig` is not a Route"
            raise ValidationError(msg)
        from parcs.routing import route as _route  # noqa: PLC0415

        G = net._source_graph
        if G is None:
            msg = "this network has no source graph; pass a Route"
            raise ValidationError(msg)
        route = _route(G, orig, dest, profile=profile)
    return _strip_nodes(net, list(route.nodes))


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


def _strip_nodes(net: JunctionNetwork, nodes: Sequence[int]) -> str:
    nodes = _expand_split(net, nodes)
    j = net.junctions
    G = net._source_graph
    parts: list[str] = []
    run = 0.0
    last = None
    for k, n in enumerate(nodes):
        if k:
            run += _edge_len(G, net._graph, nodes[k - 1], n)
        if n in j.index and n != last:
            ref = str(j.loc[n, "ref"])
            parts.append(ref if last is None else f"{ref} ({run / 1000:.1f} km)")
            last = n
            run = 0.0
    if not parts:
        return "(no junction on this route)"
    return " → ".join(parts)


def _edge_len(G: Any, g: _NetGraph | None, u: int, v: int) -> float:  # noqa: ANN401
    if G is not None and G.has_edge(u, v):
        return float(min(d.get("est_length", d.get("length", 0.0)) for d in G[u][v].values()))
    if g is not None and u in g.index and v in g.index:
        iu, iv = g.index[u], g.index[v]
        lo, hi = int(g.indptr[iu]), int(g.indptr[iu + 1])
        w = [g.weight[e] for e in range(lo, hi) if g.indices[e] == iv]
        if w:
            return float(min(w))
    return 0.0


# --------------------------------------------------------------------------- OSM import


def _empty_issues() -> pd.DataFrame:
    return pd.DataFrame(columns=["check", "osm_type", "osm_id", "ref", "detail"])


def read_node_network(
    path: str | os.PathLike[str],
    *,
    network: str | None = None,
    crs: str | None = None,
) -> JunctionNetwork:
    """Read an OpenStreetMap node network (knooppunten) and check its integrity.

    Junctions are the nodes tagged ``<network>_ref`` (``rcn_ref``, ``rwn_ref``, ``rhn_ref``,
    ``rpn_ref``, ``rmn_ref``...); routes are the ``type=route`` relations tagged
    ``network:type=node_network`` and ``network=<network>``. Each route is split at the
    junctions it passes (one link per pair of consecutive junctions; a route per link is the
    usual tagging, but some networks map everything in one relation).

    Integrity checks, after knooppuntnet (``net.issues``): ``expected_route_relations``
    (a junction's ``expected_<network>_route_relations`` differs from the number of routes
    reaching it; routes with ``state=connection`` or ``state=alternate`` are not counted),
    ``route_not_continuous`` (the member ways do not form one connected line),
    ``orphan_junction`` (no route reaches it), ``route_without_junction``,
    ``orphan_route`` (not a member of any network relation, checked only when the file holds
    ``type=network`` relations), ``route_name`` (the "12-45" name, ref or note does not
    match the numbers of the junctions at its ends), ``route_end_without_junction`` (an end
    of the route's ways is not a junction) and ``route_incomplete`` (member ways missing from
    the file).

    Parameters
    ----------
    path
        An OSM file (``.osm``, ``.xml``, ``.osm.pbf``, ``.osm.gz``...).
    network
        The network to read, e.g. ``"rcn"``; default: the one with the most route relations in
        the file (then the one with the most junction nodes).
    crs
        Projected CRS of the result; default: the UTM zone of the data.

    Returns
    -------
    JunctionNetwork
        ``reason="osm"``; ``number`` is the integer value of the ref (-1 if the ref is not an
        integer, e.g. ``"oA"``), ``ref`` the ref as tagged. ``issues`` holds the integrity
        problems; ``report`` the counts.

    Raises
    ------
    DataError
        If the file cannot be read.
    EmptyAreaError
        If the file holds no node network.
    ValidationError
        If `network` is not a node network of the file.
    """
    from parcs._nodenet_osm import build_node_network  # noqa: PLC0415

    return build_node_network(path, network=network, crs=crs)
