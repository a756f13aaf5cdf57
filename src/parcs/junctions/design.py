"""Réseau points nœuds: design a numbered cycling junction network on a parcs graph.

A *points nœuds* network (Dutch/Belgian *knooppunten*, Danish *knudepunkter*) is a set of
numbered junctions (1–99, reused far apart) joined by signposted *links*; riders note a
sequence of numbers such as 12 → 45 → 7 and follow the signs.

:func:`points_noeuds` designs such a network on any parcs graph (the embedded Artois greenways
by default) in two stages, as a designer would:

1. **choose the signed network** (:mod:`parcs.junctions._select`): the ways to signpost,
   preferring routes, former railways, towpaths and greenways, with quiet roads only where
   they close a gap, and a mesh aimed at the published rules;
2. **place the junctions where it branches** (:mod:`parcs.junctions._signed`): junctions are
   exactly its branch points and ends, plus cut points on links longer than ``max_link_m``;
   every signed edge belongs to exactly one link and no link passes a junction.

Then the junctions are numbered (:mod:`parcs.junctions.numbering`) and the tables assembled.

Design defaults follow published practice (see ``docs/points-noeuds.md``):

* Danish national node-network handbook (*Knudepunktsnetværk*, Dansk Cykelturisme /
  Vejdirektoratet): links ideally 1–5 km, at most 10 km; the loops a rider can make from the
  faces of the network 8–20 km;
* Wallonia (*réseau points-nœuds* of the provinces, SPW guidance): meshes with 5–8 km sides.

Hence ``min_link_m=1000``, ``max_link_m=10_000``, ``target_link_m=5000`` (long links are cut
into pieces of about that length) and ``mesh_m=2500`` (square meshes of 2.5 km sides make
10 km face loops; bent along real paths, most faces come out inside 8–20 km).
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
from parcs._validate import check_number, check_positive
from parcs.errors import EmptyAreaError, NodeNotFoundError, NumberingError, ValidationError
from parcs.graph import validate_graph
from parcs.junctions._linkgraph import LinkGraph, from_graph, reverse_arcs
from parcs.junctions._select import (
    COVER_KINDS,
    SelectOptions,
    arc_factors,
    check_weights,
    select_network,
)
from parcs.junctions._signed import CleanOptions, structure
from parcs.junctions._split import Split, split_long_edges
from parcs.junctions.network import JunctionNetwork
from parcs.junctions.numbering import colour_junctions, conflict_pairs
from parcs.junctions.validation import (
    DEFAULT_MAX_LINK_M,
    DEFAULT_MESH_M,
    DEFAULT_MIN_LINK_M,
    DEFAULT_MIN_REUSE_M,
    DEFAULT_TARGET_LINK_M,
    IDEAL_LOOP_M,
)
from parcs.network.places import PARK_KINDS

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import networkx as nx
    import numpy.typing as npt

__all__ = ["DEFAULT_STRETCH", "empty_issues", "points_noeuds"]

#: Greedy-spanner stretch of the selection (signed ways count 1 / stretch of their cost).
DEFAULT_STRETCH = 1.5
#: Places farther than this from the signed network (along the graph) get a path to it.
DEFAULT_COVER_M = 1000.0

Links = list[tuple[int, int, float, "npt.NDArray[np.int64]"]]


def empty_issues() -> pd.DataFrame:
    """The (empty) integrity-issues table of a designed network."""
    return pd.DataFrame(columns=["check", "osm_type", "osm_id", "ref", "detail"])


def points_noeuds(  # noqa: PLR0913
    G: nx.MultiDiGraph | None = None,
    *,
    min_link_m: float = DEFAULT_MIN_LINK_M,
    max_link_m: float = DEFAULT_MAX_LINK_M,
    target_link_m: float = DEFAULT_TARGET_LINK_M,
    min_reuse_m: float = DEFAULT_MIN_REUSE_M,
    fixed_numbers: Mapping[int, int] | JunctionNetwork | None = None,
    built_only: bool = True,
    include_places: bool = True,
    number_choice: Literal["spread", "smallest"] = "spread",
    prune_links: bool = True,
    split_long_edges: bool = True,
    network: Literal["select", "all"] = "select",
    mesh_m: float = DEFAULT_MESH_M,
    stretch: float = DEFAULT_STRETCH,
    cover_m: float = DEFAULT_COVER_M,
    weights: Mapping[str, float | None] | None = None,
) -> JunctionNetwork:
    """Design and number a points-nœuds network on `G`.

    Stages (module docstring, ``docs/points-noeuds.md``): (1) choose the signed network: core
    ways (routes, former railways, towpaths: cost factor at most 0.6 in `weights`) always,
    then the cheapest paths between terminals (fixed junctions, places, lattice hubs every
    `mesh_m`) that the signed network does not already join within `stretch`, paths to
    places farther than `cover_m`, and paths closing 8–20 km loops through its tree-like
    parts; (2) take off tiny loops, short spurs, close branch points and (`prune_links`)
    loops shorter than 8 km, never disconnecting it; (3) junctions are its branch points and
    ends, plus cut points on links longer than `max_link_m`, on rings and on second links
    between the same two junctions; links are the chains between junctions (no ground on
    two links, no link through a junction); long edges are cut when a link needs it
    (`split_long_edges`); (4) number the junctions 1..99 (DSATUR, see
    :func:`number_junctions`).

    Parameters
    ----------
    G
        A parcs graph (projected metric CRS, ``est_length``/``built``/``kind`` edge
        attributes). Default: the embedded Artois network, ``parcs.load_network()``.
    min_link_m
        Shortest link, in metres along the network. Default 1 km (Danish node-network
        handbook: links of 1–5 km). Spurs and links between branch points shorter than this
        are resolved in stage 3 (a short link is kept only where it is the sole connection).
    max_link_m
        Longest link before it is cut. Default 10 km (Danish handbook maximum).
    target_link_m
        Length of the pieces a long link is cut into. Default 5 km.
    min_reuse_m
        Two junctions with the same number are at least this far apart in a straight line.
        Default 5 km (see :data:`DEFAULT_MIN_REUSE_M`).
    fixed_numbers
        ``{node id: number}`` kept as given (these nodes always become junctions), or a
        :class:`JunctionNetwork` read with :func:`read_node_network`: its junctions on `G`
        keep their numbers and positions (``reason="fixed"``), and those off `G` (a
        neighbouring network) constrain the new numbers: no new junction within
        `min_reuse_m` of one of them carries its number.
    built_only
        Ignore the gap connectors (``built=False`` edges). With False they are part of the
        network, at their travelled length ``est_length``.
    include_places
        Cover the places (:data:`parcs.junctions._select.COVER_KINDS`: parks, terrils, nature
        areas, stations, village centres) and name the park each junction gives access to.
    number_choice
        {"spread", "smallest"} how the numbering picks among free numbers (see
        :func:`number_junctions`).
    prune_links
        Take off non-core links closing loops shorter than 8 km (the Danish handbook's
        shortest face loop) when the network stays connected.
    split_long_edges
        When a link is still longer than `max_link_m` with no node to cut at, cut its edges
        longer than ``min(target_link_m, max_link_m / 2)`` into equal pieces and design again
        on that copy of `G`, so that a junction can sit part-way (``reason="split"``). New
        nodes have negative ids (-1, -2, ... below the smallest id of `G`), lie on the edge
        geometry and carry ``x``/``y``/``lon``/``lat``; the pieces keep the edge attributes,
        with ``length``/``est_length`` split in proportion. `G` itself is never modified.
        With False, junctions are only placed on nodes of `G`.
    network
        {"select", "all"}: ``"select"`` chooses the ways to sign (stage 1); ``"all"`` signs
        every usable edge of the parts long enough (the whole greenway network).
    mesh_m
        Side of the lattice of hubs the selection joins (default 2.5 km: 10 km face loops on
        a straight grid, 10–20 km on real paths).
    stretch
        A pair of terminals already joined by signed ways at most this many times dearer
        (in cost) than a fresh path gets no new path. Default 1.5.
    cover_m
        Places farther than this along the graph from the signed network get a path to it.
    weights
        Cost factor by kind (updates :data:`parcs.junctions._select.DEFAULT_WEIGHTS`; keys
        are edge kinds plus ``"route"`` and ``"eurovelo"``; None: never signed). Default:
        EuroVelo 0.5, routes/former railways/towpaths 0.6 (always signed), cycleways 0.8,
        tracks/paths/other kinds 1, quiet roads (``connector``) 2.

    Returns
    -------
    JunctionNetwork
        ``net.graph`` is the graph the design was computed on (`G`, or the copy with long
        edges cut).

    Raises
    ------
    ValidationError
        If a length or factor is not a positive number, or `min_link_m` > `max_link_m`.
    NodeNotFoundError
        If a node of a `fixed_numbers` mapping is not on the network.
    EmptyAreaError
        If no component is long enough to carry a junction network.
    NumberingError
        If the numbering constraints cannot be met (see :func:`number_junctions`).
    """
    opts = _options(
        min_link_m=min_link_m,
        max_link_m=max_link_m,
        target_link_m=target_link_m,
        min_reuse_m=min_reuse_m,
        built_only=built_only,
        number_choice=number_choice,
        network=network,
        mesh_m=mesh_m,
        stretch=stretch,
        cover_m=cover_m,
        weights=weights,
        include_places=include_places,
        prune_links=prune_links,
    )
    if G is None:
        from parcs.network.territory import load_network  # noqa: PLC0415

        G = load_network()
    validate_graph(G)
    split_edge_m = min(opts.target_link_m, opts.max_link_m / 2)
    G_design, split = G, Split()
    d = _design(G, fixed_numbers, opts)
    long_edges = _edges_to_cut(d, split_edge_m) if split_long_edges else set()
    if long_edges:  # links over max_link_m with no node to cut at: cut their long edges
        G_design, split = split_long_edges_of(
            G, max_edge_m=split_edge_m, built_only=opts.built_only, only=long_edges
        )
        d = _design(G_design, fixed_numbers, opts)
    g, parts, sel, st, links = d.g, d.parts, d.sel, d.st, d.links
    fixed_idx, border, imported = d.fixed_idx, d.border, d.imported
    dropped = st.dropped
    jidx = sorted(st.reasons, key=lambda i: int(g.csr.node_ids[i]))
    numbers = _number(
        g,
        jidx,
        links,
        min_reuse_m=opts.min_reuse_m,
        fixed=fixed_idx,
        border=border,
        imported=bool(imported) or bool(border),
        choice=opts.number_choice,
    )
    places = _junction_places(G_design, g, set(jidx)) if include_places else {}
    jdf, ldf, arcs = _assemble(g, jidx, st.reasons, places, links, numbers)
    report = _report(g, parts, links, jdf, ldf, opts, sel=sel, places=places, dropped=dropped)
    report.update(edges_split=split.edges, nodes_added=split.nodes, border_junctions=len(border))
    logger.info(
        "points_noeuds: %d junctions, %d links, %.1f km signed (%d small components left out)",
        len(jdf),
        len(ldf),
        report["km_covered"],
        parts.left_out,
    )
    return JunctionNetwork(
        junctions=jdf,
        links=ldf,
        params=opts.params(split_long_edges=split_long_edges, split_edge_m=split_edge_m),
        report=report,
        issues=empty_issues(),
        _graph=g,
        _link_arcs=arcs,
        _source_graph=G_design,
        _split_chains=split.chains,
    )


@dataclass
class _Design:
    """One run of the design on a graph (before numbering)."""

    g: LinkGraph
    parts: _Parts
    sel: Any
    st: Any
    links: Links
    fixed_idx: dict[int, int]
    border: list[tuple[float, float, int]]
    imported: set[int]


def _design(
    G_design: nx.MultiDiGraph,
    fixed_numbers: Mapping[int, int] | JunctionNetwork | None,
    opts: _Options,
) -> _Design:
    """Choose the signed network of `G_design`, then its junctions and links."""
    g0 = from_graph(G_design, built_only=opts.built_only)
    factor0 = arc_factors(G_design, g0, opts.weights, built_only=opts.built_only)
    keep = np.isfinite(factor0)
    g, factor = (g0, factor0) if keep.all() else (g0.restrict(keep), factor0[keep])
    parts = _Parts.of(g, opts.min_link_m)
    fixed_idx, border, imported = _fixed_junctions(g, fixed_numbers, parts.active, opts)
    kept = sorted({*fixed_idx, *imported})
    sel = select_network(
        G_design, g, usable=parts.active, factor=factor, fixed=kept, opts=opts.select,
        labels=parts.labels,
    )
    fixed_mask = np.zeros(g.csr.n_nodes, dtype=np.bool_)
    fixed_mask[kept] = True
    protected = fixed_mask.copy()
    protected[list(sel.protected)] = True
    st = structure(
        g, sel.signed, fixed=fixed_mask, protected=protected, factor=factor, core=sel.core,
        opts=opts.clean,
    )
    links: Links = [(lk.a, lk.b, lk.length, lk.arcs) for lk in st.links]
    if not links:
        msg = (
            f"nothing is left to sign: the ways chosen are shorter than `min_link_m`="
            f"{opts.min_link_m:g} m once short spurs and loops are taken off; lower "
            "`min_link_m`, use `network='all'` or a larger graph"
        )
        raise EmptyAreaError(msg)
    return _Design(g, parts, sel, st, links, fixed_idx, border, imported)


def _edges_to_cut(d: _Design, split_edge_m: float) -> set[tuple[int, int, int]]:
    """``(min id, max id, key)`` of the long edges on links still over ``max_link_m``."""
    g, out = d.g, set()
    max_link = d.st.max_link_m
    ids = g.csr.node_ids
    for _a, _b, length, arcs in d.links:
        if length <= max_link:
            continue
        for a in arcs[g.weight[arcs] > split_edge_m].tolist():
            u, v = int(ids[g.tails[a]]), int(ids[g.csr.indices[a]])
            out.add((min(u, v), max(u, v), int(g.csr.arc_key[a])))
    return out


@dataclass(frozen=True)
class _Options:
    min_link_m: float
    max_link_m: float
    target_link_m: float
    min_reuse_m: float
    built_only: bool
    number_choice: Literal["spread", "smallest"]
    weights: dict[str, float | None]
    select: SelectOptions
    clean: CleanOptions
    include_places: bool

    def params(self, **extra: Any) -> dict[str, Any]:  # noqa: ANN401
        return {
            "min_link_m": self.min_link_m,
            "max_link_m": self.max_link_m,
            "target_link_m": self.target_link_m,
            "min_reuse_m": self.min_reuse_m,
            "built_only": self.built_only,
            "include_places": self.include_places,
            "number_choice": self.number_choice,
            "prune_links": self.clean.prune,
            "network": "all" if self.select.sign_all else "select",
            "mesh_m": self.select.mesh_m,
            "stretch": self.select.stretch,
            "cover_m": self.select.cover_m,
            "weights": dict(self.weights),
            **extra,
        }


def _options(**kw: Any) -> _Options:  # noqa: ANN401
    """Check every option; one ValidationError naming the first bad one."""
    lengths = {
        k: check_positive(k, kw[k], unit="metres")
        for k in ("min_link_m", "max_link_m", "target_link_m", "min_reuse_m", "mesh_m", "cover_m")
    }
    if lengths["min_link_m"] >= lengths["max_link_m"]:
        msg = (
            f"`min_link_m` ({kw['min_link_m']!r}) must be smaller than `max_link_m` "
            f"({kw['max_link_m']!r})"
        )
        raise ValidationError(msg)
    if kw["number_choice"] not in {"spread", "smallest"}:
        msg = f"`number_choice` must be 'spread' or 'smallest', got {kw['number_choice']!r}"
        raise ValidationError(msg)
    if kw["network"] not in {"select", "all"}:
        msg = f"`network` must be 'select' or 'all', got {kw['network']!r}"
        raise ValidationError(msg)
    stretch = check_number("stretch", kw["stretch"], lo=1.0, hi=100.0)
    kinds = COVER_KINDS if kw["include_places"] else frozenset()
    select = SelectOptions(
        mesh_m=lengths["mesh_m"],
        stretch=stretch,
        cover_m=lengths["cover_m"],
        cover_kinds=kinds,
        sign_all=kw["network"] == "all",
        loop_m=IDEAL_LOOP_M,
        min_link_m=lengths["min_link_m"],
        max_link_m=lengths["max_link_m"],
    )
    clean_opts = CleanOptions(
        min_link_m=lengths["min_link_m"],
        max_link_m=lengths["max_link_m"],
        target_link_m=lengths["target_link_m"],
        loop_min_m=IDEAL_LOOP_M[0],
        loop_max_m=IDEAL_LOOP_M[1],
        prune=bool(kw["prune_links"]),
    )
    return _Options(
        min_link_m=lengths["min_link_m"],
        max_link_m=lengths["max_link_m"],
        target_link_m=lengths["target_link_m"],
        min_reuse_m=lengths["min_reuse_m"],
        built_only=bool(kw["built_only"]),
        number_choice=kw["number_choice"],
        weights=check_weights(kw["weights"]),
        select=select,
        clean=clean_opts,
        include_places=bool(kw["include_places"]),
    )


@dataclass
class _Parts:
    """Connected parts of the design graph and which are long enough to be designed."""

    labels: npt.NDArray[np.int64]
    comp_len: npt.NDArray[np.float64]
    active: npt.NDArray[np.bool_]
    left_out: int
    left_out_km: float

    @classmethod
    def of(cls, g: LinkGraph, min_link_m: float) -> _Parts:
        if g.csr.n_arcs == 0:
            msg = (
                "the graph has no usable edge (with `built_only=True`, no built edge; kinds "
                "whose `weights` are None are never used)"
            )
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
        return cls(labels, comp_len, active, int(small.sum()), float(comp_len[small].sum() / 1000))


def split_long_edges_of(
    G: nx.MultiDiGraph,
    *,
    max_edge_m: float,
    built_only: bool,
    only: set[tuple[int, int, int]] | None = None,
) -> tuple[nx.MultiDiGraph, Split]:
    """Cut long edges (see :func:`parcs.junctions._split.split_long_edges`)."""
    return split_long_edges(G, max_edge_m=max_edge_m, built_only=built_only, only=only)


def _fixed_junctions(
    g: LinkGraph,
    fixed_numbers: Mapping[int, int] | JunctionNetwork | None,
    active: npt.NDArray[np.bool_],
    opts: _Options,
) -> tuple[dict[int, int], list[tuple[float, float, int]], set[int]]:
    """Fixed junctions, border junctions and existing junctions on the graph.

    Returns node index -> number (kept numbers), ``(x, y, number)`` of the junctions of an
    imported network beyond the graph, and the node indexes of its junctions on the graph.
    """
    if fixed_numbers is None:
        return {}, [], set()
    if isinstance(fixed_numbers, JunctionNetwork) or hasattr(fixed_numbers, "junctions"):
        return _imported_junctions(g, fixed_numbers, active)  # type: ignore[arg-type]
    fixed_idx: dict[int, int] = {}
    missing = []
    for node, number in sorted(dict(fixed_numbers).items()):
        i = g.index.get(int(node))
        if i is None or not active[i]:
            missing.append(node)
        else:
            fixed_idx[i] = number
    if missing:
        msg = (
            f"`fixed_numbers` names {len(missing)} node(s) that are not on the designed network: "
            f"{missing[:5]}; use node ids of G{' with built edges' if opts.built_only else ''}"
        )
        raise NodeNotFoundError(msg)
    return fixed_idx, [], set()


def _imported_junctions(
    g: LinkGraph, net: JunctionNetwork, active: npt.NDArray[np.bool_]
) -> tuple[dict[int, int], list[tuple[float, float, int]], set[int]]:
    """Junctions of an existing network, on the design graph or beyond it.

    On the graph they are kept, with their number when it is one of 1..99; beyond it (border)
    their numbers constrain the new ones.
    """
    j = net.junctions
    if j.crs is not None and str(j.crs) != str(g.csr.crs):
        j = j.to_crs(g.csr.crs)
    fixed_idx: dict[int, int] = {}
    on_graph: set[int] = set()
    border: list[tuple[float, float, int]] = []
    for node, number, pt in zip(j.index.tolist(), j["number"].tolist(), j.geometry, strict=True):
        i = g.index.get(int(node))
        sign = 1 <= int(number) <= 99  # noqa: PLR2004 - else a ref such as "oA": no number
        if i is not None and active[i]:
            on_graph.add(i)
            if sign:
                fixed_idx[i] = int(number)
        elif sign:
            border.append((float(pt.x), float(pt.y), int(number)))
    logger.info(
        "points_noeuds: %d existing junctions kept on the graph (%d with their number), %d "
        "beyond it",
        len(on_graph),
        len(fixed_idx),
        len(border),
    )
    return fixed_idx, border, on_graph


def _report(  # noqa: PLR0913
    g: LinkGraph,
    parts: _Parts,
    links: Links,
    jdf: gpd.GeoDataFrame,
    ldf: gpd.GeoDataFrame,
    opts: _Options,
    *,
    sel: Any,  # noqa: ANN401
    places: Mapping[int, str],
    dropped: Mapping[str, int],
) -> dict[str, Any]:
    kept = np.unique(parts.labels[parts.active])
    km_designed = float(np.sum(g.weight[np.isin(parts.labels[g.tails], kept)]) / 2000)
    km_links = float(sum(L for _a, _b, L, _arcs in links) / 1000)
    core_m = float(np.sum(g.weight[sel.core]) / 2000)
    terms: dict[str, int] = {}
    for reason in sel.terminals.values():
        terms[reason] = terms.get(reason, 0) + 1
    return {
        "junctions": len(jdf),
        "links": len(ldf),
        "km_network": float(np.sum(g.weight) / 2000),
        "km_covered": km_links,
        "km_links": km_links,
        "km_designed": km_designed,
        "km_core": core_m,
        "components_used": len(kept),
        "components_left_out": parts.left_out,
        "km_left_out": parts.left_out_km,
        "terminals": terms,
        "places_to_cover": sel.places_to_cover,
        "places_joined": sel.places_joined,
        "loops_closed": sel.loops_closed,
        "places_with_junction": len(places),
        "links_taken_off": dict(dropped),
        "links_not_split": int(sum(1 for *_, L, _a in links if opts.max_link_m < L)),
    }


def _junction_places(G: nx.MultiDiGraph, g: LinkGraph, junctions: set[int]) -> dict[int, str]:
    """Junction node index -> the park it gives access to.

    Parks are the places of :data:`PARK_KINDS` (terrils, espaces néo-naturels, OSM parks,
    nature areas, forests); a park is served by the junction among its access nodes
    (``access_nodes``, within its access distance) nearest to it, if any.
    """
    gdf = G.graph.get("parcs_places")
    if gdf is None or len(gdf) == 0 or "access_nodes" not in gdf.columns:
        return {}
    out: dict[int, str] = {}
    parks = gdf[gdf["kind"].isin(list(PARK_KINDS))].sort_index()
    if "reached" in parks.columns:
        parks = parks[parks["reached"].fillna(value=True).astype(bool)]
    for _, row in parks.iterrows():
        nodes = [g.index[n] for n in row.get("access_nodes", ()) if n in g.index]
        nodes = [i for i in nodes if i in junctions]
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


def _number(  # noqa: PLR0913
    g: LinkGraph,
    jidx: Sequence[int],
    links: Sequence[tuple[int, int, float, Any]],
    *,
    min_reuse_m: float,
    fixed: Mapping[int, int],
    border: Sequence[tuple[float, float, int]],
    imported: bool,
    choice: Literal["spread", "smallest"],
) -> dict[int, int]:
    """Number the junctions; border junctions (beyond the graph) are pre-numbered neighbours.

    With an imported network, conflicts between two existing junctions are left as they are
    on the ground (they keep their numbers); the validation table counts them.
    """
    pos = {i: k for k, i in enumerate(jidx)}
    n = len(jidx)
    xy = g.xy[np.asarray(jidx, dtype=np.int64)] if n else np.zeros((0, 2))
    if border:
        xy = np.vstack([xy, np.asarray([(x, y) for x, y, _ in border], dtype=np.float64)])
    pairs = conflict_pairs(xy, [(pos[a], pos[b]) for a, b, _, _ in links], min_reuse_m=min_reuse_m)
    ids = np.concatenate(
        [g.csr.node_ids[np.asarray(jidx, dtype=np.int64)], -1 - np.arange(len(border))]
    ).astype(np.int64)
    fixed_pos = {pos[i]: v for i, v in fixed.items() if i in pos}
    fixed_pos.update({n + k: v for k, (_x, _y, v) in enumerate(border)})
    if imported:
        pre = set(fixed_pos)
        same = [p for p in pairs if p[0] in pre and p[1] in pre]
        for p in same:
            del pairs[p]
        if same:
            logger.info("points_noeuds: %d conflicts between existing junctions kept", len(same))
    try:
        nums = colour_junctions(len(xy), pairs, ids=ids, xy=xy, fixed=fixed_pos, choice=choice)
    except NumberingError:
        if choice != "spread":
            raise
        # spreading uses more numbers locally; the classic smallest-number rule may still fit
        logger.info("points_noeuds: 'spread' numbering failed, retrying with 'smallest'")
        nums = colour_junctions(len(xy), pairs, ids=ids, xy=xy, fixed=fixed_pos, choice="smallest")
    return {i: int(nums[k]) for i, k in pos.items()}
