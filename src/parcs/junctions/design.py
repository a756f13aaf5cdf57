"""Réseau points nœuds: design a numbered cycling junction network on a parcs graph.

A *points nœuds* network (Dutch/Belgian *knooppunten*, Danish *knudepunkter*) is a set of
numbered junctions (1–99, reused far apart) joined by signposted *links*; riders note a
sequence of numbers such as 12 → 45 → 7 and follow the signs.

:func:`points_noeuds` designs such a network on any parcs graph (the embedded Artois greenways
by default), in named steps: cut long edges (:mod:`parcs.junctions._split`), find the
connected parts long enough to design, pick candidate junctions (intersections, park access
points, ends, caller-fixed nodes) and thin them to ``min_link_m`` apart, give each part two
junctions, find the links, add junctions on long links and bare second paths, prune links
that repeat others, number (:mod:`parcs.junctions.numbering`) and assemble the tables.

Design defaults follow published practice (see ``docs/points-noeuds.md``):

* Danish national node-network handbook (*Knudepunktsnetværk*, Dansk Cykelturisme /
  Vejdirektoratet): links ideally 1–5 km, at most 10 km; the loops a rider can make from the
  faces of the network 8–20 km;
* Wallonia (*réseau points-nœuds* of the provinces, SPW guidance): meshes with 5–8 km sides.

Hence ``min_link_m=1000``, ``max_link_m=10_000`` and ``target_link_m=5000`` (long links are cut
into pieces of about that length).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from parcs._kernels.components import connected_components
from parcs._log import logger
from parcs._validate import check_positive
from parcs.errors import EmptyAreaError, NodeNotFoundError, NumberingError, ValidationError
from parcs.graph import validate_graph
from parcs.junctions._linkgraph import LinkGraph, find_links, from_graph, reverse_arcs
from parcs.junctions._split import Split, split_long_edges
from parcs.junctions.network import JunctionNetwork
from parcs.junctions.numbering import colour_junctions, conflict_pairs
from parcs.junctions.validation import (
    DEFAULT_MAX_LINK_M,
    DEFAULT_MIN_LINK_M,
    DEFAULT_MIN_REUSE_M,
    DEFAULT_TARGET_LINK_M,
)
from parcs.network.places import PARK_KINDS

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    import networkx as nx
    import numpy.typing as npt

__all__ = ["empty_issues", "points_noeuds"]

_REASON_ORDER = {
    "fixed": 0,
    "intersection": 1,
    "access": 2,
    "end": 3,
    "component": 4,
    "split": 5,
    "loop": 6,
}


def empty_issues() -> pd.DataFrame:
    """The (empty) integrity-issues table of a designed network."""
    return pd.DataFrame(columns=["check", "osm_type", "osm_id", "ref", "detail"])


def points_noeuds(
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
    (3+ distinct neighbours), the access node of every park (``PARK_KINDS``: terril, park,
    nature area, forest...) nearest to it, for parks with a node within reach, and
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
        Make the nearest access node of each park (any place of ``PARK_KINDS`` with an
        access node within its access distance) a candidate junction.
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
    opts = _Options(
        min_link_m=check_positive("min_link_m", min_link_m, unit="metres"),
        max_link_m=check_positive("max_link_m", max_link_m, unit="metres"),
        target_link_m=check_positive("target_link_m", target_link_m, unit="metres"),
        min_reuse_m=check_positive("min_reuse_m", min_reuse_m, unit="metres"),
        built_only=bool(built_only),
    )
    if opts.min_link_m >= opts.max_link_m:
        msg = f"`min_link_m` ({min_link_m!r}) must be smaller than `max_link_m` ({max_link_m!r})"
        raise ValidationError(msg)
    if number_choice not in {"spread", "smallest"}:
        msg = f"`number_choice` must be 'spread' or 'smallest', got {number_choice!r}"
        raise ValidationError(msg)
    if G is None:
        from parcs.network.territory import load_network  # noqa: PLC0415

        G = load_network()
    validate_graph(G)
    split_edge_m = min(opts.target_link_m, opts.max_link_m / 2)
    if split_long_edges:
        G_design, split = _split_edges(G, max_edge_m=split_edge_m, built_only=opts.built_only)
    else:
        G_design, split = G, Split()
    g = from_graph(G_design, built_only=opts.built_only)
    parts = _Parts.of(g, opts.min_link_m)
    fixed_idx = _fixed_indexes(g, fixed_numbers, parts.active, built_only=opts.built_only)
    access = _place_access(G, g, parts.active) if include_places else {}
    reasons = _thin(g, _candidates(g, parts.degree, parts.active, access, fixed_idx), opts.min_link_m)
    _junctions_per_component(g, parts, reasons, opts.min_link_m)
    links = _grow_links(g, reasons, parts.active, opts)
    links, pruned = (
        _prune_redundant(g, links, detour_m=2 * opts.min_link_m) if prune_links else (links, 0)
    )
    jidx = sorted(reasons, key=lambda i: int(g.csr.node_ids[i]))
    numbers = _number(
        g, jidx, links, min_reuse_m=opts.min_reuse_m, fixed=fixed_idx, choice=number_choice
    )
    places = {i: name for i, name in access.items() if i in reasons}
    jdf, ldf, arcs = _assemble(g, jidx, reasons, places, links, numbers)
    report = _report(g, parts, links, jdf, ldf, opts, places=places, access=access)
    report.update(links_pruned=pruned, edges_split=split.edges, nodes_added=split.nodes)
    params = {
        "min_link_m": opts.min_link_m,
        "max_link_m": opts.max_link_m,
        "target_link_m": opts.target_link_m,
        "min_reuse_m": opts.min_reuse_m,
        "built_only": opts.built_only,
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
        report["km_covered"],
        parts.left_out,
    )
    return JunctionNetwork(
        junctions=jdf,
        links=ldf,
        params=params,
        report=report,
        issues=empty_issues(),
        _graph=g,
        _link_arcs=arcs,
        _source_graph=G_design,
        _split_chains=split.chains,
    )


@dataclass(frozen=True)
class _Options:
    min_link_m: float
    max_link_m: float
    target_link_m: float
    min_reuse_m: float
    built_only: bool


@dataclass
class _Parts:
    """Connected parts of the design graph and which are long enough to be designed."""

    degree: npt.NDArray[np.int64]
    labels: npt.NDArray[np.int64]
    comp_len: npt.NDArray[np.float64]
    active: npt.NDArray[np.bool_]
    left_out: int
    left_out_km: float

    @classmethod
    def of(cls, g: LinkGraph, min_link_m: float) -> _Parts:
        if g.csr.n_arcs == 0:
            msg = "the graph has no usable edge (with `built_only=True`, no built edge)"
            raise EmptyAreaError(msg)
        labels = np.asarray(
            connected_components(g.csr.indptr, g.csr.indices, g.tails, g.csr.n_nodes)
        )
        comp_len = np.bincount(labels[g.tails], weights=g.weight, minlength=g.csr.n_nodes) / 2.0
        with_arcs = np.zeros(g.csr.n_nodes, dtype=np.bool_)
        with_arcs[labels[g.tails]] = True  # components that hold edges (not isolated nodes)
        active = comp_len[labels] >= min_link_m
        small = with_arcs & (comp_len < min_link_m)
        if not active.any():
            msg = (
                f"no connected part of the network is at least `min_link_m`={min_link_m!r} m "
                "long; lower `min_link_m` or use a larger graph"
            )
            raise EmptyAreaError(msg)
        return cls(g.degree(), labels, comp_len, active, int(small.sum()), float(comp_len[small].sum() / 1000))


def _split_edges(G: nx.MultiDiGraph, *, max_edge_m: float, built_only: bool) -> tuple[nx.MultiDiGraph, Split]:
    return split_long_edges(G, max_edge_m=max_edge_m, built_only=built_only)


def _fixed_indexes(
    g: LinkGraph,
    fixed_numbers: Mapping[int, int] | None,
    active: npt.NDArray[np.bool_],
    *,
    built_only: bool,
) -> dict[int, int]:
    """Node index -> number of the caller-fixed junctions (they must be on the network)."""
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
    return fixed_idx


def _thin(
    g: LinkGraph, cands: list[tuple[tuple[int, int, int], int, str]], min_link_m: float
) -> dict[int, str]:
    """Keep candidates, best first, at least `min_link_m` from those kept (fixed: always)."""
    reasons: dict[int, str] = {}
    near = np.full(g.csr.n_nodes, np.inf)
    for _key, i, reason in cands:
        if reason != "fixed" and near[i] < min_link_m:
            continue
        reasons[i] = reason
        dist, _ = g.search([i], cutoff=min_link_m)
        np.minimum(near, dist, out=near)
    return reasons


def _junctions_per_component(
    g: LinkGraph, parts: _Parts, reasons: dict[int, str], min_link_m: float
) -> None:
    """Give every active component two junctions or leave it out (in place).

    Components left with fewer than two junctions (loops, single lines) get their farthest
    node; a component whose farthest node is closer than `min_link_m` is left out.
    """
    labels, active = parts.labels, parts.active
    for c in np.unique(labels[active]).tolist():
        members = np.flatnonzero(labels == c)
        have = [i for i in members.tolist() if i in reasons]
        if len(have) >= 2:  # noqa: PLR2004
            continue
        start = have or [int(members[np.argmin(g.csr.node_ids[members])])]
        dist, _ = g.search(start)
        d = dist[members]
        far = int(members[np.argmax(d)])
        if d.max() < min_link_m and not any(reasons.get(i) == "fixed" for i in have):
            for i in have:
                del reasons[i]
            active[members] = False
            parts.left_out += 1
            parts.left_out_km += float(parts.comp_len[c] / 1000)
            continue
        for i in (*start, far):
            reasons.setdefault(i, "component")


def _grow_links(
    g: LinkGraph, reasons: dict[int, str], active: npt.NDArray[np.bool_], opts: _Options
) -> list[tuple[int, int, float, npt.NDArray[np.int64]]]:
    """Find links; add junctions cutting long links, then on bare second paths; repeat."""
    links = find_links(g, list(reasons), cutoff=np.inf)
    for _ in range(50):
        new = _split_junctions(
            g, reasons, links, opts.min_link_m, opts.max_link_m, opts.target_link_m
        )
        reason = "split"
        if not new:
            new = _cover_junctions(g, reasons, links, active, opts.min_link_m)
            reason = "loop"
        if not new:
            break
        for i in new:
            reasons[i] = reason
        links = find_links(g, list(reasons), cutoff=np.inf)
    return links


def _report(  # noqa: PLR0913
    g: LinkGraph,
    parts: _Parts,
    links: Sequence[tuple[int, int, float, npt.NDArray[np.int64]]],
    jdf: gpd.GeoDataFrame,
    ldf: gpd.GeoDataFrame,
    opts: _Options,
    *,
    places: Mapping[int, str],
    access: Mapping[int, str],
) -> dict[str, Any]:
    kept = np.unique(parts.labels[parts.active])
    km_designed = float(np.sum(g.weight[np.isin(parts.labels[g.tails], kept)]) / 2000)
    on_links: dict[int, float] = {}
    for *_, arcs_k in links:
        for e, w in zip(_edge_list(g, arcs_k), g.weight[arcs_k].tolist(), strict=True):
            on_links[e] = w
    return {
        "junctions": len(jdf),
        "links": len(ldf),
        "km_network": float(np.sum(g.weight) / 2000),
        "km_covered": float(sum(on_links.values()) / 1000),
        "km_designed": km_designed,
        "components_used": len(kept),
        "components_left_out": parts.left_out,
        "km_left_out": parts.left_out_km,
        "places_with_junction": len(places),
        "places_candidates": len(access),
        "links_not_split": int(sum(1 for *_, L, _a in links if opts.max_link_m < L)),
    }


def _candidates(
    g: LinkGraph,
    degree: npt.NDArray[np.int64],
    active: npt.NDArray[np.bool_],
    access: Mapping[int, str],
    fixed: Iterable[int],
) -> list[tuple[tuple[int, int, int], int, str]]:
    """Return ``(priority key, node index, reason)`` of every candidate, best first."""
    out: dict[int, tuple[tuple[int, int, int], str]] = {}

    def _put(i: int, reason: str) -> None:
        key = (_REASON_ORDER[reason], -int(degree[i]), int(g.csr.node_ids[i]))
        if reason == "intersection":
            key = (_REASON_ORDER[reason], -int(degree[i]), int(g.csr.node_ids[i]))
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


def _split_points(
    g: LinkGraph,
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


def _edge_list(g: LinkGraph, arcs: npt.NDArray[np.int64]) -> list[int]:
    """Return the undirected edge of each arc of a path."""
    return [int(e) for e in g.edge_of[arcs].tolist()]


def _edge_ids(g: LinkGraph, arcs: npt.NDArray[np.int64]) -> set[int]:
    """Return the set of undirected edges an arc path travels."""
    return set(_edge_list(g, arcs))


def _prune_redundant(
    g: LinkGraph,
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
    use: dict[int, int] = {}
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


def _spaced(g: LinkGraph, nodes: Sequence[int], min_link_m: float) -> list[int]:
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
    g: LinkGraph,
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
    g: LinkGraph,
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
    covered = np.zeros(int(g.edge_of.max()) + 1 if len(g.edge_of) else 0, dtype=np.bool_)
    for *_, arcs in links:
        covered[g.edge_of[arcs]] = True
    bare = ~covered[g.edge_of] & active[g.tails]
    if not bare.any():
        return []
    near, _ = g.search(list(reasons))
    cand = np.unique(np.concatenate([g.tails[bare], g.csr.indices[bare]]))
    cand = cand[np.isfinite(near[cand]) & (near[cand] >= min_link_m)]
    if not len(cand):
        return []
    order = np.lexsort((g.csr.node_ids[cand], -near[cand]))
    return _spaced(g, cand[order].tolist(), min_link_m)


def _place_access(
    G: nx.MultiDiGraph, g: LinkGraph, active: npt.NDArray[np.bool_]
) -> dict[int, str]:
    """Node index -> place name: the nearest active access node of each park.

    Parks are the places of :data:`PARK_KINDS` (terrils, espaces néo-naturels, OSM parks,
    nature areas, forests) with a node within their access distance (``reached``); a park
    whose only access node is the nearest one, farther away, gets none.
    """
    gdf = G.graph.get("parcs_places")
    if gdf is None or len(gdf) == 0:
        return {}
    out: dict[int, str] = {}
    parks = gdf[gdf["kind"].isin(list(PARK_KINDS))].sort_index()
    if "reached" in parks.columns:
        parks = parks[parks["reached"].fillna(True).astype(bool)]
    for _, row in parks.iterrows():
        nodes = [g.index[n] for n in row.get("access_nodes", ()) if n in g.index]
        nodes = [i for i in nodes if active[i]]
        if not nodes:
            continue
        poly = row.geometry
        best = min(nodes, key=lambda i: (poly.distance(Point(g.xy[i])), int(g.csr.node_ids[i])))
        out.setdefault(best, str(row["name"]))
    return out


def _assemble(
    g: LinkGraph,
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
    jidx = sorted(junction_idx, key=lambda i: int(g.csr.node_ids[i]))
    refs = refs or {}
    jdf = gpd.GeoDataFrame(
        {
            "node": np.array([g.csr.node_ids[i] for i in jidx], dtype=np.int64),
            "number": np.array([numbers[i] for i in jidx], dtype=np.int64),
            "ref": [refs.get(i, str(numbers[i])) for i in jidx],
            "degree": np.array([deg[i] for i in jidx], dtype=np.int64),
            "reason": [reasons[i] for i in jidx],
            "place": [places.get(i, "") for i in jidx],
        },
        geometry=[Point(g.xy[i]) for i in jidx],
        crs=g.csr.crs,
    )
    jdf.index = pd.Index(jdf["node"].to_numpy(), name="junction")
    rows = []
    arcs_out = []
    kinds: set[str] = set()
    for k, link in enumerate(links):
        a, b, length, arcs = link
        na, nb = numbers[a], numbers[b]
        ra, rb = refs.get(a, str(na)), refs.get(b, str(nb))
        swap = (na, int(g.csr.node_ids[a])) > (nb, int(g.csr.node_ids[b]))
        if swap:
            a, b, na, nb, ra, rb = b, a, nb, na, rb, ra
            arcs = reverse_arcs(g, arcs)
        km = g.km_by_kind(arcs)
        kinds.update(km)
        row: dict[str, Any] = {
            "name": f"{ra}-{rb}",
            "from_node": int(g.csr.node_ids[a]),
            "to_node": int(g.csr.node_ids[b]),
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
    ldf = gpd.GeoDataFrame(pd.DataFrame(rows, columns=cols), geometry="geometry", crs=g.csr.crs)
    if len(ldf):
        order = np.lexsort((ldf["to_node"], ldf["from_node"], ldf["to_number"], ldf["from_number"]))
        ldf = ldf.iloc[order].reset_index(drop=True)
        arcs_out = [arcs_out[i] for i in order.tolist()]
    ldf.index.name = "link"
    return jdf, ldf, arcs_out


def _number(
    g: LinkGraph,
    jidx: Sequence[int],
    links: Sequence[tuple[int, int, float, Any]],
    *,
    min_reuse_m: float,
    fixed: Mapping[int, int],
    choice: Literal["spread", "smallest"],
) -> dict[int, int]:
    pos = {i: k for k, i in enumerate(jidx)}
    xy = g.xy[np.asarray(jidx, dtype=np.int64)] if jidx else np.zeros((0, 2))
    pairs = conflict_pairs(
        xy, [(pos[a], pos[b]) for a, b, _, _ in links], min_reuse_m=min_reuse_m
    )
    ids = g.csr.node_ids[np.asarray(jidx, dtype=np.int64)]
    fixed_pos = {pos[i]: v for i, v in fixed.items()}
    try:
        nums = colour_junctions(
            len(jidx), pairs, ids=ids, xy=xy, fixed=fixed_pos, choice=choice
        )
    except NumberingError:
        if choice != "spread":
            raise
        # spreading uses more numbers locally; the classic smallest-number rule may still fit
        logger.info("points_noeuds: 'spread' numbering failed, retrying with 'smallest'")
        nums = colour_junctions(
            len(jidx), pairs, ids=ids, xy=xy, fixed=fixed_pos, choice="smallest"
        )
    return {i: int(nums[k]) for i, k in pos.items()}


