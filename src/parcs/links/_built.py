"""The greenway layer as arrays, places' access to it, OD pairs and distance rows (private).

Shared by :mod:`parcs.links.candidates`, :mod:`parcs.links.plan`,
:mod:`parcs.links.indicators` and :mod:`parcs.links.evaluate`.

The **greenway layer** of a graph is the network the analysis measures and extends: the built
edges (``built=True``) whose ``kind`` is one of a set of kinds, or which belong to a cycle
route (:func:`greenway_layer`). :class:`Built` is its CSR (every node of ``csr_of(G)``, with
the same indexes), optionally with extra links (a plan's), plus one row per undirected edge.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from parcs._log import logger
from parcs._validate import check_count
from parcs.csr import CSRGraph, arc_geometries, arc_values, csr_of
from parcs.errors import ValidationError
from parcs.graph import cached
from parcs.network.places import PARK_KINDS, SETTLEMENT_KINDS

if TYPE_CHECKING:
    import geopandas as gpd
    import networkx as nx
    import numpy.typing as npt

__all__ = [
    "ALL_BUILT",
    "DEFAULT_GREENWAY",
    "DEFAULT_PARK_PAIR_SHARE",
    "DEFAULT_SAMPLE",
    "ROUTES",
    "SAMPLE_KIND",
    "SAMPLE_SEED",
    "Built",
    "Groups",
    "Layer",
    "ODPairs",
    "PlaceAccess",
    "built",
    "get_places",
    "greenway_layer",
    "group_rows",
    "node_sample",
    "od_pairs",
    "pair_distance",
    "place_access",
    "rest_network",
    "row_batch",
    "with_links",
]

#: Places drawn from the greenway layer when a graph has none (:func:`get_places`).
DEFAULT_SAMPLE = 200
#: Seed of that draw, fixed so that a graph always gives the same sample.
SAMPLE_SEED = 0
#: Kind of the sampled nodes in the places table.
SAMPLE_KIND = "sample"
#: Total weight of park-to-park trips, as a share of the total population.
DEFAULT_PARK_PAIR_SHARE = 0.25
#: In a `greenway` selection: the edges of a cycle route (``eurovelo=True`` or ``routes``).
ROUTES = "routes"
#: As `greenway`: every built edge (what parcs measured before the greenway layer existed).
ALL_BUILT = "all"
#: The default greenway layer: former railways, towpaths, cycleways, EuroVelo, route members.
DEFAULT_GREENWAY: tuple[str, ...] = ("cavalier", "towpath", "cycleway", "eurovelo", ROUTES)
#: Bytes of distance rows (and what is computed from them) held at once.
ROW_BYTES = 256 * 2**20


# --------------------------------------------------------------------------------------------
# the greenway layer
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Layer:
    """Which arcs of ``csr_of(G)`` form the greenway layer.

    Attributes
    ----------
    mask
        bool[m] over the arcs of ``csr_of(G)``.
    selection
        The kinds (and :data:`ROUTES`) asked for, or ``("all",)``.
    fallback
        True when the default selection matched no edge and every built edge is used.
    """

    mask: npt.NDArray[np.bool_]
    selection: tuple[str, ...]
    fallback: bool

    def describe(self) -> str:
        """One line saying what the layer is."""
        if self.selection == (ALL_BUILT,):
            return "every built edge" + (
                " (no edge of the default greenway kinds)" if self.fallback else ""
            )
        return (
            "built edges of kind "
            + ", ".join(s for s in self.selection if s != ROUTES)
            + (" or on a cycle route" if ROUTES in self.selection else "")
        )


def _selection(greenway: str | Iterable[str] | None) -> tuple[str, ...]:
    if greenway is None:
        return DEFAULT_GREENWAY
    if isinstance(greenway, str):
        items: list[Any] = [greenway]
    else:
        try:
            items = list(greenway)
        except TypeError:
            items = [greenway]
    if not items or not all(isinstance(k, str) and k.strip() for k in items):
        msg = (
            f"`greenway` must be None (the default layer {list(DEFAULT_GREENWAY)}), 'all' "
            f"(every built edge) or a list of edge kinds (and 'routes'), got {greenway!r}"
        )
        raise ValidationError(msg)
    sel = tuple(sorted({k.strip() for k in items}))
    if ALL_BUILT in sel and len(sel) > 1:
        msg = (
            "`greenway` 'all' means every built edge: do not combine it with kinds, "
            f"got {greenway!r}"
        )
        raise ValidationError(msg)
    return sel


def greenway_layer(G: nx.MultiDiGraph, greenway: str | Iterable[str] | None = None) -> Layer:
    """Return the greenway layer of `G` (cached on `G`).

    Parameters
    ----------
    G
        A parcs graph.
    greenway
        None: the built edges of a kind in :data:`DEFAULT_GREENWAY` or on a cycle route
        (``eurovelo=True`` or a non-empty ``routes``); when none matches (a line layer whose
        edges are all ``"path"``), every built edge, logged. ``"all"``: every built edge. A
        list of kinds, with :data:`ROUTES` for the members of cycle routes.

    Raises
    ------
    ValidationError
        If `greenway` is malformed, or an explicit selection matches no edge of `G`.
    """
    sel = _selection(greenway)

    def build() -> Layer:
        full = csr_of(G)
        usable = ~full.connector
        if sel == (ALL_BUILT,):
            return Layer(mask=usable, selection=sel, fallback=False)
        kinds = np.asarray(full.kinds, dtype=object)
        wanted = np.isin(kinds, [k for k in sel if k != ROUTES])
        mask = (
            wanted[np.asarray(full.arc_kind, dtype=np.int64)] if full.n_arcs else np.zeros(0, bool)
        )
        if ROUTES in sel and full.n_arcs:
            ev = arc_values(G, "eurovelo", default=False)
            routes = arc_values(G, "routes", default="")
            on_route = np.asarray(
                [isinstance(e, (bool, np.bool_)) and bool(e) for e in ev], dtype=bool
            ) | np.asarray([isinstance(r, str) and r.strip() != "" for r in routes], dtype=bool)
            mask = mask | on_route
        mask = mask & usable
        if mask.any() or not full.n_arcs:
            return Layer(mask=mask, selection=sel, fallback=False)
        if greenway is None:
            logger.info(
                "greenway layer: no built edge of kind %s nor on a cycle route; using every "
                "built edge (pass `greenway=` to choose)",
                "/".join(k for k in DEFAULT_GREENWAY if k != ROUTES),
            )
            return Layer(mask=usable, selection=(ALL_BUILT,), fallback=True)
        msg = (
            f"no built edge of `G` is in the greenway layer {list(sel)}; the graph's edge kinds "
            f"are {sorted(full.kinds)}: pass some of them as `greenway=`, or 'all'"
        )
        raise ValidationError(msg)

    return cached(G, ("links_layer", sel), build)


@dataclass(frozen=True, eq=False)
class Built:
    """The greenway layer of a graph (plus extra links), and its undirected edges.

    Attributes
    ----------
    csr
        Layer arcs (both directions of every edge) over every node of the graph; weight
        ``"length"`` = ``est_length``. Node indexes are those of ``csr_of(G)``.
    seg_u, seg_v, seg_len
        One row per undirected edge: node indexes and length.
    geoms
        Geometry of each undirected edge (a straight line for an extra link).
    layer
        The layer it was made from.
    """

    csr: CSRGraph
    seg_u: npt.NDArray[np.int64]
    seg_v: npt.NDArray[np.int64]
    seg_len: npt.NDArray[np.float64]
    geoms: npt.NDArray[Any]
    layer: Layer

    @property
    def on_network(self) -> npt.NDArray[np.bool_]:
        """bool[n]: nodes with at least one arc of the layer."""
        return np.asarray(np.diff(self.csr.indptr) > 0)


def _layer_csr(G: nx.MultiDiGraph, layer: Layer) -> tuple[CSRGraph, npt.NDArray[Any]]:
    def build() -> tuple[CSRGraph, npt.NDArray[Any]]:
        sub, parent = csr_of(G).restrict(layer.mask)
        return sub, arc_geometries(G)[parent]

    return cached(G, ("links_layer_csr", layer.selection), build)


def built(
    G: nx.MultiDiGraph,
    *,
    extra_edges: Iterable[Sequence[Any]] | None = None,
    greenway: str | Iterable[str] | None = None,
    layer: Layer | None = None,
) -> Built:
    """Return the greenway layer of `G` as arrays, plus `extra_edges`.

    Parameters
    ----------
    G
        A parcs graph.
    extra_edges
        Extra undirected links ``(u, v, length_m)`` or ``(u, v, length_m, geometry)`` (node
        ids) treated as built; without a geometry, the straight line between the nodes.
    greenway
        The layer (:func:`greenway_layer`).
    layer
        A layer of `G` made by the caller (overrides `greenway`); its ``selection`` must name
        it uniquely on `G` (it keys the cache).

    Raises
    ------
    ValidationError
        If `G` breaks the graph contract or has no node, or an extra edge names an unknown
        node or a negative length.
    """
    full = csr_of(G)
    if full.n_nodes == 0:
        msg = "`G` has no nodes; build a network first (parcs.load_network(), graph_from_osm...)"
        raise ValidationError(msg)
    layer = greenway_layer(G, greenway) if layer is None else layer
    csr, arc_geoms = _layer_csr(G, layer)
    one = csr.undirected
    tails = csr.tails
    su, sv = tails[one], csr.indices[one]
    sl = csr.weights["length"][one]
    geoms = arc_geoms[one]
    extra = list(extra_edges or ())
    if not extra:
        return Built(csr=csr, seg_u=su, seg_v=sv, seg_len=sl, geoms=geoms, layer=layer)
    eu, ev, el = _extra(csr, extra)
    lines = np.asarray(
        shapely.linestrings(
            np.stack(
                [np.column_stack([csr.x[eu], csr.y[eu]]), np.column_stack([csr.x[ev], csr.y[ev]])],
                axis=1,
            )
        ),
        dtype=object,
    )
    for j, edge in enumerate(extra):  # a drawn geometry (a connection's path) when given
        if len(edge) > 3 and shapely.is_geometry(edge[3]) and not shapely.is_empty(edge[3]):
            lines[j] = edge[3]
    return Built(
        csr=with_links(csr, eu, ev, el),
        seg_u=np.concatenate([su, eu]),
        seg_v=np.concatenate([sv, ev]),
        seg_len=np.concatenate([sl, el]),
        geoms=np.concatenate([geoms, np.asarray(lines, dtype=object)]),
        layer=layer,
    )


def _extra(
    csr: CSRGraph, extra: list[Sequence[Any]]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    eu, ev, el = [], [], []
    for j, edge in enumerate(extra):
        try:
            u, v, length = int(edge[0]), int(edge[1]), float(edge[2])
        except (TypeError, ValueError, IndexError) as err:
            msg = f"`extra_edges`[{j}] = {edge!r} is not (u, v, length_m) with node ids and metres"
            raise ValidationError(msg) from err
        if not length >= 0 or not math.isfinite(length):
            msg = f"`extra_edges`[{j}] has length {length!r}; use a finite length >= 0 (metres)"
            raise ValidationError(msg)
        eu.append(int(u))
        ev.append(int(v))
        el.append(length)
    known = np.isin(np.asarray(eu + ev, dtype=np.int64), csr.node_ids)
    if not known.all():
        j = int(np.flatnonzero(~known)[0]) % len(extra)
        msg = f"`extra_edges`[{j}] = {tuple(extra[j])!r} names a node that is not in `G`"
        raise ValidationError(msg)
    return csr.index_of(eu), csr.index_of(ev), np.asarray(el, dtype=np.float64)


def rest_network(G: nx.MultiDiGraph, layer: Layer) -> tuple[CSRGraph, npt.NDArray[np.int64]]:
    """The built edges of `G` outside the greenway layer (quiet roads, tracks...), cached.

    Returns the CSR (nodes of ``csr_of(G)``) and, per arc, its arc in ``csr_of(G)``.
    """

    def build() -> tuple[CSRGraph, npt.NDArray[np.int64]]:
        full = csr_of(G)
        return full.restrict(~full.connector & ~layer.mask)

    return cached(G, ("links_rest_csr", layer.selection), build)


def with_links(
    csr: CSRGraph,
    a: npt.NDArray[np.int64],
    b: npt.NDArray[np.int64],
    w: npt.NDArray[np.float64],
) -> CSRGraph:
    """`csr` plus the undirected links ``(a[i], b[i])`` of length ``w[i]`` (node indexes)."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    w = np.asarray(w, dtype=np.float64)
    return CSRGraph.from_arrays(
        np.concatenate([csr.tails, a, b]),
        np.concatenate([csr.indices, b, a]),
        csr.x,
        csr.y,
        weights={"length": np.concatenate([csr.weights["length"], w, w])},
        node_ids=csr.node_ids,
        renumber=False,
        crs=csr.crs,
    )


# --------------------------------------------------------------------------------------------
# distance rows
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Groups:
    """Groups of (node index, offset): places entering the network at several nodes.

    Group ``i`` is ``nodes[ptr[i]:ptr[i+1]]`` with ``offs[ptr[i]:ptr[i+1]]``.
    """

    ptr: npt.NDArray[np.int64]
    nodes: npt.NDArray[np.int64]
    offs: npt.NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.ptr.shape[0] - 1)

    @classmethod
    def single(cls, nodes: npt.ArrayLike) -> Groups:
        """One group per node, offset 0."""
        arr = np.ascontiguousarray(nodes, dtype=np.int64).ravel()
        return cls(np.arange(len(arr) + 1, dtype=np.int64), arr, np.zeros(len(arr)))

    def take(self, rows: npt.ArrayLike) -> Groups:
        """The groups `rows`, in that order."""
        rows = np.asarray(rows, dtype=np.int64)
        counts = np.diff(self.ptr)[rows]
        ptr = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(counts, out=ptr[1:])
        if ptr[-1] == 0:
            return Groups(ptr, np.zeros(0, np.int64), np.zeros(0))
        starts = np.repeat(self.ptr[rows], counts)
        within = np.arange(ptr[-1]) - np.repeat(ptr[:-1], counts)
        sel = starts + within
        return Groups(ptr, self.nodes[sel], self.offs[sel])

    def restrict(self, keep_node: npt.NDArray[np.bool_]) -> Groups:
        """Each group with only its entries on nodes where `keep_node` is True."""
        ok = keep_node[self.nodes] if len(self.nodes) else np.zeros(0, bool)
        owner = np.repeat(np.arange(len(self)), np.diff(self.ptr))
        counts = np.bincount(owner[ok], minlength=len(self))
        ptr = np.zeros(len(self) + 1, dtype=np.int64)
        np.cumsum(counts, out=ptr[1:])
        return Groups(ptr, self.nodes[ok], self.offs[ok])

    @staticmethod
    def concat(*parts: Groups) -> Groups:
        """The groups of every part, one after another."""
        nodes = np.concatenate([p.nodes for p in parts]).astype(np.int64)
        offs = np.concatenate([p.offs for p in parts]).astype(np.float64)
        counts = np.concatenate([np.diff(p.ptr) for p in parts])
        ptr = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(counts, out=ptr[1:])
        return Groups(ptr, nodes, offs)


def row_batch(n_cols: int) -> int:
    """Sources per batch so that a batch of `n_cols`-wide rows (and the work arrays made
    from it, about 8 per row) holds about :data:`ROW_BYTES`.
    """
    return int(max(8, min(4096, ROW_BYTES // (64 * max(n_cols, 1)))))


def group_rows(
    csr: CSRGraph, sources: Groups, targets: Groups, cutoff: float
) -> npt.NDArray[np.float64]:
    """Distances from each source group to each target group, float64[len(sources), len(targets)].

    One multi-source search per source group (numba ``place_rows``); a target group's
    distance is the minimum over its entries of ``dist(node) + offset``.
    """
    from parcs._kernels.local import place_rows

    return np.asarray(
        place_rows(
            csr.indptr,
            csr.indices,
            csr.weights["length"],
            sources.ptr,
            sources.nodes,
            sources.offs,
            targets.ptr,
            targets.nodes,
            targets.offs,
            float(cutoff),
        )
    )


def pair_distance(
    csr: CSRGraph,
    a: npt.NDArray[np.int64],
    b: npt.NDArray[np.int64],
    cutoff: npt.NDArray[np.float64] | float,
) -> npt.NDArray[np.float64]:
    """Network distance of each node pair ``(a[i], b[i])`` (``inf`` beyond its cutoff)."""
    from parcs._kernels.local import pair_distances

    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    cut = np.broadcast_to(np.asarray(cutoff, dtype=np.float64), a.shape)
    if not len(a):
        return np.zeros(0)
    order = np.argsort(a, kind="stable")
    sa = a[order]
    starts = np.flatnonzero(np.r_[True, sa[1:] != sa[:-1]])
    ptr = np.r_[starts, len(sa)].astype(np.int64)
    group_cut = np.maximum.reduceat(cut[order], starts)
    got = pair_distances(
        csr.indptr, csr.indices, csr.weights["length"], sa[starts], ptr, b[order], group_cut
    )
    out = np.empty(len(a))
    out[order] = got
    return out


# --------------------------------------------------------------------------------------------
# places
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlaceAccess:
    """How each place enters the greenway layer.

    Attributes
    ----------
    places
        The places table (index = slug).
    groups
        Per place: the access nodes on the layer (node indexes) and the straight distance
        from the place geometry to each (:class:`Groups`).
    """

    places: gpd.GeoDataFrame
    groups: Groups


def get_places(
    G: nx.MultiDiGraph,
    places: gpd.GeoDataFrame | None,
    *,
    sample: int = DEFAULT_SAMPLE,
    net: Built | None = None,
    seed: int = SAMPLE_SEED,
) -> gpd.GeoDataFrame:
    """Return `places`, else the places of `G`, else a sample of greenway-layer nodes.

    The fallback, for a graph without places: `sample` nodes of the greenway layer (all of
    them if there are fewer), drawn without replacement from the node ids in increasing
    order with ``numpy.random.default_rng(seed)``, so the same graph always gives the same
    sample. Each becomes a place of kind :data:`SAMPLE_KIND` (a point, no area, no
    population, entering the network at its own node) and :func:`od_pairs` weighs every
    pair of them 1.

    Raises
    ------
    ValidationError
        If `places` lacks a needed column, or `sample` is not a positive integer.
    """
    sample = check_count("sample", sample, lo=1)
    if places is None:
        places = G.graph.get("parcs_places")
        if places is None:
            return node_sample(G, sample, net=net, seed=seed)
    needed = {"kind", "population", "area_ha", "access_nodes", "geometry"}
    missing = sorted(needed - set(places.columns))
    if missing:
        msg = f"`places` lacks column(s) {missing}; see docs/graph-format.md (Places)"
        raise ValidationError(msg)
    return places


def node_sample(
    G: nx.MultiDiGraph, n: int | None, *, net: Built | None = None, seed: int = SAMPLE_SEED
) -> gpd.GeoDataFrame:
    """A places table of `n` greenway-layer nodes of `G` (all of them for None)."""
    import geopandas as gpd

    net = built(G) if net is None else net
    csr = net.csr
    ids = np.sort(csr.node_ids[net.on_network])
    if n is not None and len(ids) > n:
        ids = np.sort(np.random.default_rng(seed).choice(ids, size=n, replace=False))
    idx = csr.index_of(ids) if len(ids) else np.zeros(0, np.int64)
    logger.info(
        "no places on this graph: using %d sampled greenway nodes (seed %d) as places, "
        "each pair weighted 1",
        len(ids),
        seed,
    )
    return gpd.GeoDataFrame(
        {
            "name": [f"node {i}" for i in ids],
            "kind": SAMPLE_KIND,
            "population": 0.0,
            "area_ha": 0.0,
            "access_nodes": [(int(i),) for i in ids],
        },
        geometry=shapely.points(csr.x[idx], csr.y[idx]) if len(ids) else [],
        crs=csr.crs,
        index=pd.Index([f"{SAMPLE_KIND}:{i}" for i in ids], name="place_id", dtype=object),
    )


def _access_ids(
    places: gpd.GeoDataFrame, csr: CSRGraph
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Flattened known access nodes: (owner place row, node index)."""
    owners: list[int] = []
    ids: list[int] = []
    for i, access in enumerate(places["access_nodes"]):
        if isinstance(access, (tuple, list, np.ndarray)):
            for a in access:
                owners.append(i)
                ids.append(int(a))
    own = np.asarray(owners, dtype=np.int64)
    arr = np.asarray(ids, dtype=np.int64)
    known = np.isin(arr, csr.node_ids)
    own, arr = own[known], arr[known]
    return own, (csr.index_of(arr) if len(arr) else np.zeros(0, np.int64))


def place_access(
    G: nx.MultiDiGraph,
    net: Built,
    places: gpd.GeoDataFrame | None = None,
    *,
    sample: int = DEFAULT_SAMPLE,
) -> PlaceAccess:
    """Return how every place enters the greenway layer.

    A place enters at each of its ``access_nodes`` at a cost equal to the straight distance
    from the place geometry to the node (0 inside). A place none of whose access nodes is on
    the layer (or with no access node) also enters at the layer node nearest to its geometry
    (ties: the smallest node id), at the cost of that distance (decided on the network before
    any link is added).

    Parameters
    ----------
    G
        The parcs graph.
    net
        Its greenway layer (:func:`built`).
    places
        Places table; default ``parcs.places(G)``, else a node sample (:func:`get_places`).
    sample
        Size of the node sample used when `G` has no places and `places` is None.

    Returns
    -------
    PlaceAccess
        The places and their entry groups.
    """
    places = get_places(G, places, sample=sample, net=net)
    csr = net.csr
    on = net.on_network
    p = len(places)
    own, idx = _access_ids(places, csr)
    has = np.zeros(p, dtype=bool)
    if len(idx):
        has[own[on[idx]]] = True
    geoms = places.geometry.to_numpy()
    valid = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms)) if p else np.zeros(0, bool)
    need = np.flatnonzero(~has & valid)
    layer_idx = np.flatnonzero(on)
    layer_idx = layer_idx[np.argsort(csr.node_ids[layer_idx], kind="stable")]  # ties: smallest id
    if len(need) and len(layer_idx):
        tree = shapely.STRtree(shapely.points(csr.x[layer_idx], csr.y[layer_idx]))
        q, t = tree.query_nearest(geoms[need], all_matches=True)
        first = pd.Series(t).groupby(q).min()
        own = np.r_[own, need[first.index.to_numpy()]]
        idx = np.r_[idx, layer_idx[first.to_numpy()]]
    order = np.argsort(own, kind="stable")
    own, idx = own[order], idx[order]
    offs = np.zeros(len(idx))
    ok = valid[own] if len(own) else np.zeros(0, bool)
    if ok.any():
        offs[ok] = shapely.distance(geoms[own[ok]], shapely.points(csr.x[idx[ok]], csr.y[idx[ok]]))
    ptr = np.zeros(p + 1, dtype=np.int64)
    np.cumsum(np.bincount(own, minlength=p), out=ptr[1:])
    return PlaceAccess(
        places=places, groups=Groups(ptr, idx.astype(np.int64), offs.astype(np.float64))
    )


@dataclass(frozen=True)
class ODPairs:
    """Origin-destination pairs of the benefit objective (indexes into the places table)."""

    s: npt.NDArray[np.int64]
    t: npt.NDArray[np.int64]
    w: npt.NDArray[np.float64]


def od_pairs(
    places: gpd.GeoDataFrame, *, park_pair_share: float = DEFAULT_PARK_PAIR_SHARE
) -> ODPairs:
    """Return the weighted OD pairs of the objective.

    * settlement ``c`` (a kind of :data:`SETTLEMENT_KINDS`: an Artois commune, an OSM town)
      → park ``p`` (a kind of :data:`PARK_KINDS` with an area): ``w = W_c * area_p / A``
      (``A`` = total park area), where ``W_c`` is the population of ``c``, or 1 when it has
      none (an OSM town without a ``population`` tag): every resident makes one trip, to a
      park chosen in proportion to its area.
    * park ``s`` ↔ park ``t`` (each unordered pair once): ``w = share * P * a_s a_t /
      Σ_{s<t} a_s a_t`` (``P`` = Σ ``W_c``, or 1 without any settlement; ``share`` =
      `park_pair_share`): park-hopping trips totalling ``share * P``.
    * sampled node ↔ sampled node (kind :data:`SAMPLE_KIND`, the fallback of a graph
      without places, :func:`get_places`): ``w = 1`` for each unordered pair.

    Parameters
    ----------
    places
        Places table (``kind``, ``population``, ``area_ha``).
    park_pair_share
        Total weight of park-to-park trips as a share of the total population.

    Returns
    -------
    ODPairs
        Place row indexes and weights.
    """
    kind = places["kind"].to_numpy()
    pop = places["population"].fillna(0).to_numpy(dtype=np.float64)
    area = places["area_ha"].fillna(0).to_numpy(dtype=np.float64)
    settlements = np.flatnonzero(np.isin(kind, list(SETTLEMENT_KINDS)))
    weight = np.where(pop[settlements] > 0, pop[settlements], 1.0)
    parks = np.flatnonzero(np.isin(kind, list(PARK_KINDS)) & (area > 0))
    total_area = area[parks].sum()
    pieces: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]] = []
    if len(parks) and len(settlements) and total_area > 0:
        cc, pp = np.meshgrid(np.arange(len(settlements)), parks, indexing="ij")
        pieces.append(
            (settlements[cc.ravel()], pp.ravel(), (weight[cc] * area[pp] / total_area).ravel())
        )
    if len(parks) > 1 and park_pair_share > 0:
        i, j = np.triu_indices(len(parks), k=1)
        a, b = parks[i], parks[j]
        prod = area[a] * area[b]
        total = prod.sum()
        if total > 0:
            people = weight.sum() if len(settlements) else 1.0
            pieces.append((a, b, park_pair_share * people * prod / total))
    nodes = np.flatnonzero(kind == SAMPLE_KIND)
    if len(nodes) > 1:
        i, j = np.triu_indices(len(nodes), k=1)
        pieces.append((nodes[i], nodes[j], np.ones(len(i))))
    if not pieces:
        return ODPairs(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    return ODPairs(
        np.concatenate([p[0] for p in pieces]).astype(np.int64),
        np.concatenate([p[1] for p in pieces]).astype(np.int64),
        np.concatenate([p[2] for p in pieces]).astype(np.float64),
    )
