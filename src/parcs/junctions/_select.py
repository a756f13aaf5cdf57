"""Choose the signed network: which ways of a graph a junction network signposts (private).

A node network cannot sign every path of a dense mesh; a designer first picks the ways to
sign, then puts junctions where those ways branch (:mod:`parcs.junctions._signed`). The
selection here, on the undirected :class:`~parcs.junctions._linkgraph.LinkGraph` of the design:

1. **Preference.** Each edge gets a cost factor (:data:`DEFAULT_WEIGHTS`, tunable): lower is
   better. Routes (EuroVelo, véloroutes, existing node routes: the ``eurovelo`` and ``routes``
   edge attributes), former railways and towpaths are preferred, quiet roads
   (``kind="connector"``) cost twice a path so that they are used only where they close a
   gap, and busy roads (a ``highway`` attribute in :data:`BUSY_HIGHWAYS`, or a kind whose
   weight is None) are never used. ``cost = est_length × factor``.
2. **Core.** Edges whose factor is at most :data:`CORE_FACTOR` (routes, former railways,
   towpaths) are always signed.
3. **Terminals.** Caller-fixed junctions, then the places to cover (kinds
   :data:`COVER_KINDS`: parks, terrils, nature areas, stations, village centres; one per
   ``mesh_m / 2``), then *hubs*: for each point of a square lattice of side ``mesh_m`` with no
   terminal within ``mesh_m / 2``, the nearest intersection of the graph (within
   ``mesh_m / 2``).
4. **Mesh.** The terminals' Delaunay triangulation gives candidate pairs (at most
   ``2 × mesh_m`` apart). Shortest pairs first, a pair already joined by signed ways at most
   ``stretch`` times longer than its cheapest path adds nothing (a greedy spanner, Althöfer et
   al. 1993); otherwise its cheapest path is signed, signed edges counting ``1 / stretch`` of
   their cost so that it joins the signed ways where that costs little. Lattice sides of
   ``mesh_m`` and ``stretch = 1.5`` keep most diagonals out, so faces are close to ``mesh_m``
   squares bent along the preferred ways.
5. **Coverage.** Every terminal is joined to the signed network, and every place to cover
   farther than ``cover_m`` along the graph from it gets its cheapest path to it.
6. **Loops.** Where the signed network is tree-like (its bridges, dead ends first), a node
   is joined back to it by its cheapest path over unsigned ways (``min_link_m`` to
   ``max_link_m`` long) when that closes a face loop of 8–20 km (the Danish handbook): a
   junction should offer a choice, and loops are what riders of a node network ride.
   A connected part of the graph that no pair of terminals spans gets its longest shortest
   path (a double sweep) if it holds a terminal or a core way, or is at least ``mesh_m``
   long in all; shorter isolated pieces are not signed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.spatial import Delaunay, QhullError, cKDTree

from parcs._kernels.dijkstra import dijkstra
from parcs.csr import arc_values
from parcs.errors import ValidationError
from parcs.junctions.validation import COVER_PLACE_KINDS

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import networkx as nx
    import numpy.typing as npt

    from parcs.junctions._linkgraph import LinkGraph

__all__ = [
    "BUSY_HIGHWAYS",
    "CORE_FACTOR",
    "COVER_KINDS",
    "DEFAULT_WEIGHTS",
    "Selection",
    "arc_factors",
    "check_weights",
    "select_network",
]

IntArray = "npt.NDArray[np.int64]"

#: Cost factor of each kind of way (``cost = est_length × factor``; None: never signed).
#: ``eurovelo`` and ``route`` apply to edges on a EuroVelo route (``eurovelo=True``) or on
#: any route relation (``routes`` not empty); an edge takes the lowest factor that applies.
DEFAULT_WEIGHTS: Mapping[str, float | None] = MappingProxyType(
    {
        "eurovelo": 0.5,
        "route": 0.6,
        "cavalier": 0.6,
        "towpath": 0.6,
        "cycleway": 0.8,
        "track": 1.0,
        "path": 1.0,
        "other": 1.0,
        "connector": 2.0,
    }
)
#: Edges whose factor is at most this are always signed (routes, former railways, towpaths).
CORE_FACTOR = 0.6
#: ``highway`` values of busy roads: never signed (graph_from_osm drops them already).
BUSY_HIGHWAYS = frozenset(
    {
        "motorway",
        "motorway_link",
        "trunk",
        "trunk_link",
        "primary",
        "primary_link",
        "secondary",
        "secondary_link",
        "tertiary",
        "tertiary_link",
    }
)
#: Place kinds the signed network covers: parks, terrils, nature areas, stations, villages.
COVER_KINDS = COVER_PLACE_KINDS
_KIND_ORDER = ("station", "commune", "town", "terril", "park", "espace_neonaturel", "nature")
_NO_MASK = np.zeros(0, dtype=np.bool_)
_NO_TARGETS = np.zeros(0, dtype=np.int64)


def check_weights(weights: Mapping[str, float | None] | None) -> dict[str, float | None]:
    """Return :data:`DEFAULT_WEIGHTS` updated with `weights` (each a number > 0 or None)."""
    out: dict[str, float | None] = dict(DEFAULT_WEIGHTS)
    for key, value in dict(weights or {}).items():
        ok = value is None or (
            isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < math.inf
        )
        if not isinstance(key, str) or not ok:
            msg = (
                f"`weights` maps kinds to a cost factor > 0 (or None: never signed), got "
                f"{key!r}: {value!r}"
            )
            raise ValidationError(msg)
        out[key] = None if value is None else float(value)
    return out


def _factor(weights: Mapping[str, float | None], key: str) -> float:
    value = weights.get(key, weights.get("other", 1.0))
    return math.inf if value is None else float(value)


def _has_text(values: npt.NDArray[Any]) -> npt.NDArray[np.bool_]:
    return np.fromiter(
        (isinstance(v, str) and bool(v.strip()) for v in values.tolist()),
        dtype=np.bool_,
        count=len(values),
    )


def arc_factors(
    G: nx.MultiDiGraph, g: LinkGraph, weights: Mapping[str, float | None], *, built_only: bool
) -> npt.NDArray[np.float64]:
    """Cost factor of each arc of `g` (module docstring, step 1; ``inf``: never signed)."""
    per_kind = np.array([_factor(weights, str(k)) for k in g.csr.kinds], dtype=np.float64)
    f = per_kind[np.asarray(g.csr.arc_kind, dtype=np.int64)] if len(per_kind) else np.ones(0)
    if g.parent is None or not len(f):
        return f
    routes = _has_text(arc_values(G, "routes", default="", built_only=built_only)[g.parent])
    ev = arc_values(G, "eurovelo", default=False, built_only=built_only)[g.parent]
    ev = np.fromiter((v is True or v == 1 for v in ev.tolist()), dtype=np.bool_, count=len(f))
    ok = np.isfinite(f)
    f = np.where(ok & routes, np.minimum(f, _factor(weights, "route")), f)
    f = np.where(ok & ev, np.minimum(f, _factor(weights, "eurovelo")), f)
    highway = arc_values(G, "highway", default="", built_only=built_only)[g.parent]
    busy = np.fromiter(
        (isinstance(v, str) and v in BUSY_HIGHWAYS for v in highway.tolist()),
        dtype=np.bool_,
        count=len(f),
    )
    f[busy] = math.inf
    return f


@dataclass
class Selection:
    """The signed network chosen on a LinkGraph, and what the choice was made from.

    ``signed`` marks undirected edges (ids of ``g.edge_of``); ``terminals`` maps node indexes
    to why they are terminals (``"fixed"``, ``"place"``, ``"hub"``, ``"component"``);
    ``places`` maps a node index to the name of the place it covers; ``protected`` holds the
    fixed and place terminals, which the clean-up never takes off the signed network.
    """

    signed: npt.NDArray[np.bool_]
    factor: npt.NDArray[np.float64]
    core: npt.NDArray[np.bool_]
    terminals: dict[int, str] = field(default_factory=dict)
    places: dict[int, str] = field(default_factory=dict)
    protected: set[int] = field(default_factory=set)
    places_to_cover: int = 0
    places_joined: int = 0
    loops_closed: int = 0


@dataclass(frozen=True)
class SelectOptions:
    """Parameters of :func:`select_network` (see :func:`parcs.points_noeuds`)."""

    mesh_m: float
    stretch: float
    cover_m: float
    cover_kinds: frozenset[str]
    sign_all: bool
    loop_m: tuple[float, float] = (8000.0, 20_000.0)
    min_link_m: float = 1000.0
    max_link_m: float = 10_000.0


class _Builder:
    """The signed network being grown, with the search weights that favour reusing it."""

    def __init__(self, g: LinkGraph, factor: npt.NDArray[np.float64], stretch: float) -> None:
        self.g = g
        ok = np.isfinite(factor)
        self.cost = np.where(ok, g.weight * np.where(ok, factor, 1.0), math.inf)
        self.search_w = self.cost.copy()
        self.discount = 1.0 / stretch
        self.n_edges = int(g.edge_of.max()) + 1 if len(g.edge_of) else 0
        self.signed = np.zeros(self.n_edges, dtype=np.bool_)
        self.on = np.zeros(g.csr.n_nodes, dtype=np.bool_)

    def add_arcs(self, arcs: npt.NDArray[np.int64]) -> None:
        """Sign the edges of `arcs` (both directions get the reuse discount)."""
        edges = np.unique(self.g.edge_of[arcs])
        new = edges[~self.signed[edges]]
        if not len(new):
            return
        self.signed[new] = True
        both = np.concatenate([arcs, self.g.twin[arcs]])
        both = both[np.isin(self.g.edge_of[both], new)]
        self.search_w[both] = self.cost[both] * self.discount
        self.on[self.g.tails[both]] = True

    def path(
        self, sources: Sequence[int], target: int, *, reuse: bool = True
    ) -> npt.NDArray[np.int64] | None:
        """Cheapest path from any of `sources` to `target` (signed edges discounted)."""
        dist, pred = self._search(self.search_w if reuse else self.cost, sources, target)
        if not math.isfinite(dist[target]):
            return None
        return self.g.path(pred, target)

    def signed_distance(self, a: int, b: int, cutoff: float) -> float:
        """Metres from `a` to `b` on the signed edges only (``inf`` beyond `cutoff`)."""
        w = np.where(self.signed[self.g.edge_of], self.g.weight, math.inf)
        dist, _ = self._search(w, [a], b, cutoff=cutoff)
        return float(dist[b])

    def _search(
        self,
        w: npt.NDArray[np.float64],
        sources: Sequence[int],
        target: int,
        cutoff: float = math.inf,
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
        csr = self.g.csr
        src = np.asarray(sources, dtype=np.int64)
        return dijkstra(  # type: ignore[no-any-return]
            csr.indptr,
            csr.indices,
            w,
            src,
            np.zeros(len(src)),
            np.asarray([target], dtype=np.int64),
            float(cutoff),
            _NO_MASK,
        )

    def join_pair(self, a: int, b: int, stretch: float) -> None:
        """Sign the cheapest a-b path unless signed ways join them within `stretch` × its length."""
        fresh = self.path([a], b, reuse=False)
        if fresh is None:
            return
        length = float(self.g.weight[fresh].sum())
        if (
            self.on[a]
            and self.on[b]
            and self.signed_distance(a, b, stretch * length) <= stretch * length
        ):
            return
        arcs = self.path([a], b)
        if arcs is not None:
            self.add_arcs(arcs)


def select_network(
    G: nx.MultiDiGraph,
    g: LinkGraph,
    *,
    usable: npt.NDArray[np.bool_],
    factor: npt.NDArray[np.float64],
    fixed: Sequence[int],
    opts: SelectOptions,
    labels: npt.NDArray[np.int64],
) -> Selection:
    """Choose the edges to sign (module docstring).

    Parameters
    ----------
    G, g
        The design graph and its LinkGraph.
    usable
        bool[n] nodes of the connected parts long enough to design.
    factor
        Cost factor of each arc (:func:`arc_factors`).
    fixed
        Node indexes that must be junctions.
    opts
        The selection parameters.
    labels
        Connected-part label of each node.
    """
    arc_ok = np.isfinite(factor) & usable[g.tails]
    core = arc_ok & (factor <= CORE_FACTOR)
    b = _Builder(g, np.where(arc_ok, factor, math.inf), opts.stretch)
    if opts.sign_all:
        b.add_arcs(np.flatnonzero(arc_ok))
        sel = Selection(b.signed, factor, core, dict.fromkeys(fixed, "fixed"))
        sel.protected = set(fixed)
        return sel
    b.add_arcs(np.flatnonzero(core))
    ok_nodes = np.zeros(g.csr.n_nodes, dtype=np.bool_)
    ok_nodes[g.tails[arc_ok]] = True
    sel = Selection(b.signed, factor, core)
    places = _place_terminals(G, g, ok_nodes, opts.cover_kinds)
    sel.places_to_cover = len(places)
    terms = _terminals(g, ok_nodes, fixed, places, opts.mesh_m, sel)
    for a, t in _pairs(g, terms, 2.0 * opts.mesh_m):
        b.join_pair(a, t, opts.stretch)
    _join_components(b, ok_nodes, labels, terms, opts.mesh_m)
    for t in terms:
        _join(b, t)
    sel.places_joined = _cover_places(g, b, places, opts.cover_m)
    sel.loops_closed = _close_loops(b, opts)
    sel.protected = set(fixed) | {i for i, _n in places if b.on[i]}
    return sel


def _close_loops(b: _Builder, opts: SelectOptions) -> int:
    """Close loops through the tree-like parts of the signed network (its bridges).

    From each node of a signed bridge (dead ends first), the cheapest path over unsigned ways
    back to a signed node, between ``min_link_m`` and ``max_link_m`` long, is signed when the
    loop it closes (the path plus the signed way back) is a face loop of ``loop_m``
    (8–20 km): a junction should offer a choice, and loops are what riders of a node network
    ride. Bridges are recomputed after every loop closed.
    """
    closed = 0
    tried: set[int] = set()
    while True:
        todo = [u for u in _bridge_nodes(b) if u not in tried]
        for u in todo:
            tried.add(u)
            arcs = _loop_path(b, u, opts)
            if arcs is not None:
                b.add_arcs(arcs)
                closed += 1
                break
        else:
            return closed


def _bridge_nodes(b: _Builder) -> list[int]:
    """Nodes on signed bridges, dead ends first, then by index."""
    import networkx as nx  # noqa: PLC0415

    g = b.g
    arcs = np.flatnonzero(b.signed[g.edge_of])
    t, h = g.tails[arcs], g.csr.indices[arcs]
    keep = t < h
    pairs = np.stack([t[keep], h[keep]], axis=1)
    if not len(pairs):
        return []
    uniq, count = np.unique(pairs, axis=0, return_counts=True)
    S = nx.Graph()
    S.add_edges_from(map(tuple, uniq.tolist()))
    multi = {tuple(p) for p, c in zip(uniq.tolist(), count.tolist(), strict=True) if c > 1}
    nodes: set[int] = set()
    for u, v in nx.bridges(S):
        if (min(u, v), max(u, v)) not in multi:
            nodes.update((int(u), int(v)))
    deg = _signed_degree(b)
    return sorted(nodes, key=lambda i: (int(deg[i]) != 1, i))


def _loop_path(b: _Builder, u: int, opts: SelectOptions) -> npt.NDArray[np.int64] | None:
    """The cheapest unsigned path from `u` back to the signed network closing a face loop."""
    g, csr = b.g, b.g.csr
    lo, hi = opts.loop_m
    w_off = np.where(b.signed[g.edge_of], math.inf, b.cost)
    stop = b.on.copy()
    stop[u] = False
    dist, pred = dijkstra(
        csr.indptr, csr.indices, w_off, np.asarray([u]), np.zeros(1), _NO_TARGETS,
        2.0 * opts.max_link_m, stop,
    )
    hits = np.flatnonzero(stop & np.isfinite(dist))
    if not len(hits):
        return None
    w_on = np.where(b.signed[g.edge_of], g.weight, math.inf)
    back, _ = dijkstra(
        csr.indptr, csr.indices, w_on, np.asarray([u]), np.zeros(1), _NO_TARGETS, hi, _NO_MASK
    )
    hits = hits[np.isfinite(back[hits])]
    for v in hits[np.lexsort((hits, dist[hits]))].tolist():
        arcs = g.path(pred, v)
        metres = float(g.weight[arcs].sum())
        if opts.min_link_m <= metres <= opts.max_link_m and lo <= metres + back[v] <= hi:
            return arcs
    return None


def _signed_degree(b: _Builder) -> npt.NDArray[np.int64]:
    arcs = b.signed[b.g.edge_of]
    return np.bincount(b.g.tails[arcs], minlength=b.g.csr.n_nodes)


def _join(b: _Builder, t: int) -> bool:
    """Join node `t` to the signed network of its part by its cheapest path; True if added."""
    if b.on[t] or not b.on.any():
        return False
    arcs = b.path(np.flatnonzero(b.on).tolist(), t)
    if arcs is None or not len(arcs):
        return False
    b.add_arcs(arcs)
    return True


def _place_terminals(
    G: nx.MultiDiGraph, g: LinkGraph, ok_nodes: npt.NDArray[np.bool_], kinds: frozenset[str]
) -> list[tuple[int, str]]:
    """``(node index, name)`` of every place to cover, in kind order then name.

    The node is the place's access node (:func:`parcs.attach_places`) nearest to its centre
    (village centre, park centroid), among the nodes of the signable network.
    """
    gdf = G.graph.get("parcs_places")
    if gdf is None or len(gdf) == 0 or "access_nodes" not in gdf.columns:
        return []
    sel = gdf[gdf["kind"].isin(sorted(kinds))]
    if "reached" in sel.columns:
        sel = sel[sel["reached"].fillna(value=True).astype(bool)]
    order = {k: i for i, k in enumerate(_KIND_ORDER)}
    rows = sorted(
        sel.itertuples(),
        key=lambda r: (order.get(str(r.kind), len(order)), str(r.name), str(r.Index)),
    )
    out: list[tuple[int, str]] = []
    for row in rows:
        nodes = [g.index[n] for n in (row.access_nodes or ()) if n in g.index]
        nodes = [i for i in nodes if ok_nodes[i]]
        if not nodes:
            continue
        c = row.geometry.centroid
        best = min(nodes, key=lambda i: (math.hypot(*(g.xy[i] - (c.x, c.y))), i))
        out.append((int(best), str(row.name)))
    return out


def _terminals(
    g: LinkGraph,
    ok_nodes: npt.NDArray[np.bool_],
    fixed: Sequence[int],
    places: Sequence[tuple[int, str]],
    mesh_m: float,
    sel: Selection,
) -> list[int]:
    """Fixed junctions, places (one per ``mesh_m / 2``), then lattice hubs (module docstring)."""
    chosen: list[int] = []
    for i in fixed:
        chosen.append(int(i))
        sel.terminals[int(i)] = "fixed"
    radius = mesh_m / 2.0
    for i, name in places:
        if chosen and _nearest(g.xy[chosen], g.xy[i]) < radius:
            continue
        chosen.append(i)
        sel.terminals[i] = "place"
        sel.places[i] = name
    for i in _hubs(g, ok_nodes, mesh_m, chosen):
        chosen.append(i)
        sel.terminals[i] = "hub"
    return chosen


def _nearest(pts: npt.NDArray[np.float64], p: npt.NDArray[np.float64]) -> float:
    return float(np.min(np.hypot(pts[:, 0] - p[0], pts[:, 1] - p[1])))


def _hubs(
    g: LinkGraph, ok_nodes: npt.NDArray[np.bool_], mesh_m: float, chosen: Sequence[int]
) -> list[int]:
    """Nearest intersection to each lattice point with no terminal within ``mesh_m / 2``."""
    nodes = np.flatnonzero(ok_nodes)
    if not len(nodes):
        return []
    deg = np.bincount(g.tails, minlength=g.csr.n_nodes)
    cand = nodes[deg[nodes] >= 3]  # noqa: PLR2004
    if not len(cand):
        cand = nodes
    xy = g.xy[nodes]
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    nx_, ny_ = (np.floor((hi - lo) / mesh_m).astype(np.int64) + 1).tolist()
    off = lo + ((hi - lo) - (np.array([nx_, ny_]) - 1) * mesh_m) / 2.0
    gx, gy = np.meshgrid(np.arange(nx_), np.arange(ny_), indexing="ij")
    lattice = off + np.column_stack([gx.ravel(), gy.ravel()]) * mesh_m
    radius = mesh_m / 2.0
    tree = cKDTree(g.xy[cand])
    d, k = tree.query(lattice)
    taken = cKDTree(g.xy[np.asarray(chosen, dtype=np.int64)]) if len(chosen) else None
    out: list[int] = []
    seen = set(chosen)
    for p, dist, pos in zip(lattice, d.tolist(), k.tolist(), strict=True):
        if dist > radius:
            continue
        if taken is not None and taken.query(p)[0] < radius:
            continue
        i = int(cand[pos])
        if i not in seen:
            seen.add(i)
            out.append(i)
    return out


def _pairs(g: LinkGraph, terms: Sequence[int], max_m: float) -> list[tuple[int, int]]:
    """Delaunay neighbours among the terminals, at most `max_m` apart, shortest first."""
    if len(terms) < 2:  # noqa: PLR2004
        return []
    pts = g.xy[np.asarray(terms, dtype=np.int64)]
    edges: set[tuple[int, int]] = set()
    try:
        tri = Delaunay(pts)
        for s in tri.simplices.tolist():
            for a, b in ((s[0], s[1]), (s[1], s[2]), (s[0], s[2])):
                edges.add((min(a, b), max(a, b)))
    except (QhullError, ValueError):  # fewer than 3 points or all on a line: chain them
        order = np.lexsort((pts[:, 1], pts[:, 0]))
        edges = {
            (int(min(a, b)), int(max(a, b))) for a, b in zip(order[:-1], order[1:], strict=True)
        }
    out = []
    for a, b in sorted(edges):
        d = float(np.hypot(*(pts[a] - pts[b])))
        if d <= max_m:
            out.append((d, terms[a], terms[b]))
    out.sort()
    return [(a, b) for _d, a, b in out]


def _join_components(
    b: _Builder,
    ok_nodes: npt.NDArray[np.bool_],
    labels: npt.NDArray[np.int64],
    terms: Sequence[int],
    min_length: float,
) -> None:
    """Sign the longest shortest path (a double sweep) of the parts no pair of terminals spans.

    That is every part with fewer than two terminals, if it holds a terminal or something
    signed already, or is at least `min_length` long in all.
    """
    count: dict[int, int] = {}
    for t in terms:
        count[int(labels[t])] = count.get(int(labels[t]), 0) + 1
    signed_parts = set(np.unique(labels[b.on]).tolist())
    comp_len = np.bincount(labels[b.g.tails], weights=b.g.weight, minlength=len(labels)) / 2.0
    for c in np.unique(labels[ok_nodes]).tolist():
        n_terms = count.get(c, 0)
        if n_terms >= 2 or (not n_terms and c not in signed_parts and comp_len[c] < min_length):  # noqa: PLR2004
            continue
        members = np.flatnonzero((labels == c) & ok_nodes)
        start = [t for t in terms if labels[t] == c]
        s0 = start[0] if start else int(members[0])
        far = _farthest(b, s0, members)
        far2 = _farthest(b, far, members)
        arcs = b.path([far2], far)
        if arcs is not None and len(arcs):
            b.add_arcs(arcs)


def _farthest(b: _Builder, s: int, members: npt.NDArray[np.int64]) -> int:
    csr = b.g.csr
    dist, _ = dijkstra(
        csr.indptr,
        csr.indices,
        b.g.weight,
        np.asarray([s]),
        np.zeros(1),
        _NO_TARGETS,
        math.inf,
        _NO_MASK,
    )
    d = np.where(np.isfinite(dist[members]), dist[members], -1.0)
    return int(members[int(np.argmax(d))])


def _cover_places(
    g: LinkGraph, b: _Builder, places: Sequence[tuple[int, str]], cover_m: float
) -> int:
    """Join every place farther than `cover_m` (along the graph) from the signed network."""
    joined = 0
    csr = g.csr
    for i, _name in places:
        if b.on[i]:
            continue
        dist, _ = dijkstra(
            csr.indptr,
            csr.indices,
            g.weight,
            np.asarray([i]),
            np.zeros(1),
            _NO_TARGETS,
            float(cover_m),
            _NO_MASK,
        )
        if (np.isfinite(dist) & b.on).any():
            continue
        joined += int(_join(b, i))
    return joined
