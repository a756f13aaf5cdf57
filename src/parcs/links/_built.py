"""The built network as arrays, places' access to it, OD pairs and distance rows (private).

Shared by :mod:`parcs.links.candidates`, :mod:`parcs.links.plan` and
:mod:`parcs.links.indicators`. :class:`Built` is the built-only CSR of a graph
(:func:`parcs.csr.csr_of` with ``built_only=True``, cached), optionally with extra links
(a plan's), plus one row per undirected built edge.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from parcs._log import logger
from parcs._validate import check_count
from parcs.csr import CSRGraph, arc_geometries, csr_of
from parcs.errors import ValidationError
from parcs.network.places import PARK_KINDS, SETTLEMENT_KINDS

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    import geopandas as gpd
    import networkx as nx
    import numpy.typing as npt

__all__ = [
    "BATCH",
    "DEFAULT_PARK_PAIR_SHARE",
    "DEFAULT_SAMPLE",
    "SAMPLE_KIND",
    "SAMPLE_SEED",
    "Built",
    "ODPairs",
    "PlaceAccess",
    "built",
    "columns_from",
    "get_places",
    "node_sample",
    "od_pairs",
    "place_access",
    "place_matrix",
    "rows",
]

BATCH = 256
#: Places drawn from the built network when a graph has none (:func:`get_places`).
DEFAULT_SAMPLE = 200
#: Seed of that draw, fixed so that a graph always gives the same sample.
SAMPLE_SEED = 0
#: Kind of the sampled nodes in the places table.
SAMPLE_KIND = "sample"
#: Total weight of park-to-park trips, as a share of the total population.
DEFAULT_PARK_PAIR_SHARE = 0.25


@dataclass(frozen=True, eq=False)
class Built:
    """The built network of a graph (plus extra links), and its undirected edges.

    Attributes
    ----------
    csr
        Built arcs (both directions of every edge) of every node of the graph; weight
        ``"length"`` = ``est_length``. Node indexes are those of ``csr_of(G)``.
    seg_u, seg_v, seg_len
        One row per undirected edge: node indexes and length.
    geoms
        Geometry of each undirected edge (a straight line for an extra link).
    """

    csr: CSRGraph
    seg_u: npt.NDArray[np.int64]
    seg_v: npt.NDArray[np.int64]
    seg_len: npt.NDArray[np.float64]
    geoms: npt.NDArray[Any]


def built(G: nx.MultiDiGraph, *, extra_edges: Iterable[Sequence[Any]] | None = None) -> Built:
    """Return the built network of `G` (edges with ``built=True``), plus `extra_edges`.

    Parameters
    ----------
    G
        A parcs graph.
    extra_edges
        Extra undirected links ``(u, v, length_m)`` (node ids) treated as built.

    Raises
    ------
    ValidationError
        If `G` breaks the graph contract or has no node, or an extra edge names an unknown
        node or a negative length.
    """
    csr = csr_of(G, built_only=True)
    if csr.n_nodes == 0:
        msg = "`G` has no nodes; build a network first (parcs.load_network(), graph_from_osm...)"
        raise ValidationError(msg)
    one = csr.undirected
    tails = csr.tails
    su, sv = tails[one], csr.indices[one]
    sl = csr.weights["length"][one]
    geoms = arc_geometries(G, built_only=True)[one]
    extra = list(extra_edges or ())
    if not extra:
        return Built(csr=csr, seg_u=su, seg_v=sv, seg_len=sl, geoms=geoms)
    eu, ev, el = _extra(csr, extra)
    lines = shapely.linestrings(
        np.stack([np.column_stack([csr.x[eu], csr.y[eu]]), np.column_stack([csr.x[ev], csr.y[ev]])], axis=1)
    )
    t = np.concatenate([tails, eu, ev])
    h = np.concatenate([csr.indices, ev, eu])
    w = np.concatenate([csr.weights["length"], el, el])
    full = CSRGraph.from_arrays(
        t, h, csr.x, csr.y, weights={"length": w}, node_ids=csr.node_ids, renumber=False, crs=csr.crs
    )
    return Built(
        csr=full,
        seg_u=np.concatenate([su, eu]),
        seg_v=np.concatenate([sv, ev]),
        seg_len=np.concatenate([sl, el]),
        geoms=np.concatenate([geoms, np.asarray(lines, dtype=object)]),
    )


def _extra(
    csr: CSRGraph, extra: list[Sequence[Any]]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    known = set(csr.node_ids.tolist())
    eu, ev, el = [], [], []
    for j, edge in enumerate(extra):
        u, v, length = edge[0], edge[1], float(edge[2])
        if int(u) not in known or int(v) not in known:
            msg = f"`extra_edges`[{j}] = {tuple(edge)!r} names a node that is not in `G`"
            raise ValidationError(msg)
        if not length >= 0 or not math.isfinite(length):
            msg = f"`extra_edges`[{j}] has length {length!r}; use a finite length >= 0 (metres)"
            raise ValidationError(msg)
        eu.append(int(u))
        ev.append(int(v))
        el.append(length)
    return csr.index_of(eu), csr.index_of(ev), np.asarray(el, dtype=np.float64)


def rows(
    net: Built,
    sources: Sequence[tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]],
    cutoff: float,
) -> npt.NDArray[np.float64]:
    """Multi-source distance rows (one per ``(nodes, offsets)``), float64[len(sources), n]."""
    from parcs._kernels.gain import distance_rows  # noqa: PLC0415

    counts = np.array([len(s[0]) for s in sources], dtype=np.int64)
    ptr = np.zeros(len(sources) + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    nodes = (
        np.concatenate([s[0] for s in sources]).astype(np.int64)
        if len(sources)
        else np.zeros(0, np.int64)
    )
    offs = (
        np.concatenate([s[1] for s in sources]).astype(np.float64) if len(sources) else np.zeros(0)
    )
    csr = net.csr
    return np.asarray(
        distance_rows(csr.indptr, csr.indices, csr.weights["length"], ptr, nodes, offs, float(cutoff))
    )


def columns_from(
    net: Built, src_nodes: npt.NDArray[np.int64], cols: npt.NDArray[np.int64], cutoff: float
) -> npt.NDArray[np.float64]:
    """Distances from each single node in `src_nodes` to the nodes `cols` (batched)."""
    out = np.empty((len(src_nodes), len(cols)))
    for a in range(0, len(src_nodes), BATCH):
        chunk = src_nodes[a : a + BATCH]
        r = rows(net, [(np.array([s]), np.zeros(1)) for s in chunk], cutoff)
        out[a : a + len(chunk)] = r[:, cols]
    return out


@dataclass(frozen=True)
class PlaceAccess:
    """How each place enters the built network.

    Attributes
    ----------
    places
        The places table (index = slug).
    sources
        Per place: (node indexes, offsets in metres) -- the access nodes on the built network
        and the straight distance from the place polygon to each.
    """

    places: gpd.GeoDataFrame
    sources: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]]


def get_places(
    G: nx.MultiDiGraph, places: gpd.GeoDataFrame | None, *, sample: int = DEFAULT_SAMPLE
) -> gpd.GeoDataFrame:
    """Return `places`, else the places of `G`, else a sample of built-network nodes.

    The fallback, for a graph without places: `sample` nodes touching a built edge (all of
    them if there are fewer), drawn without replacement from the node ids in increasing
    order with ``numpy.random.default_rng(SAMPLE_SEED)``, so the same graph always gives the
    same sample. Each becomes a place of kind :data:`SAMPLE_KIND` (a point, no area, no
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
            return node_sample(G, sample)
    needed = {"kind", "population", "area_ha", "access_nodes", "geometry"}
    missing = sorted(needed - set(places.columns))
    if missing:
        msg = f"`places` lacks column(s) {missing}; see docs/graph-format.md (Places)"
        raise ValidationError(msg)
    return places


def node_sample(G: nx.MultiDiGraph, n: int) -> gpd.GeoDataFrame:
    """A places table of `n` built-network nodes of `G` (see :func:`get_places`)."""
    import geopandas as gpd  # noqa: PLC0415

    csr = csr_of(G, built_only=True)
    ids = np.sort(csr.node_ids[np.diff(csr.indptr) > 0])
    if len(ids) > n:
        ids = np.sort(np.random.default_rng(SAMPLE_SEED).choice(ids, size=n, replace=False))
    idx = csr.index_of(ids) if len(ids) else np.zeros(0, np.int64)
    logger.info(
        "no places on this graph: using %d sampled built-network nodes (seed %d) as places, "
        "each pair weighted 1",
        len(ids),
        SAMPLE_SEED,
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


def place_access(
    G: nx.MultiDiGraph,
    net: Built,
    places: gpd.GeoDataFrame | None = None,
    *,
    sample: int = DEFAULT_SAMPLE,
) -> PlaceAccess:
    """Return how every place enters the built network.

    A place enters at each of its ``access_nodes`` at a cost equal to the straight distance
    from the place polygon to the node (0 inside). A place none of whose access nodes touches
    a built edge (or with no access node) also enters at the built-network node nearest to
    its polygon, at the cost of that distance (decided on the network before any link is
    added).

    Parameters
    ----------
    G
        The parcs graph.
    net
        Its built network (:func:`built_network`).
    places
        Places table; default ``parcs.places(G)``, else a node sample (:func:`get_places`).
    sample
        Size of the node sample used when `G` has no places and `places` is None.

    Returns
    -------
    PlaceAccess
        The places and their (nodes, offsets).
    """
    places = get_places(G, places, sample=sample)
    csr = net.csr
    on_built = np.diff(csr.indptr) > 0
    built_idx = np.flatnonzero(on_built)
    built_idx = built_idx[np.argsort(csr.node_ids[built_idx], kind="stable")]  # ties: smallest id
    built_pts = np.asarray(shapely.points(csr.x[built_idx], csr.y[built_idx]), dtype=object)
    tree = shapely.STRtree(built_pts) if len(built_idx) else None
    known = set(csr.node_ids.tolist())
    sources = []
    for geom, access in zip(places.geometry, places["access_nodes"], strict=True):
        if not isinstance(access, (tuple, list, np.ndarray)):
            access = ()  # noqa: PLW2901 - missing value (None / NaN): no access node
        ids = [int(a) for a in access if int(a) in known]
        idx = csr.index_of(ids) if ids else np.zeros(0, np.int64)
        if not on_built[idx].any() and tree is not None and geom is not None and not geom.is_empty:
            nearest = int(np.asarray(tree.query_nearest(geom)).ravel().min())
            idx = np.r_[idx, built_idx[nearest]].astype(np.int64)
        if len(idx) and geom is not None and not geom.is_empty:
            offs = np.asarray(shapely.distance(geom, shapely.points(csr.x[idx], csr.y[idx])))
        else:
            offs = np.zeros(len(idx))
        sources.append((idx.astype(np.int64), offs.astype(np.float64)))
    return PlaceAccess(places=places, sources=sources)


def place_matrix(access: PlaceAccess, rows: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Return place-to-place distances from the multi-source rows of every place."""
    p = len(access.sources)
    out = np.full((p, p), np.inf)
    for t, (nodes, offs) in enumerate(access.sources):
        if len(nodes):
            out[:, t] = (rows[:, nodes] + offs[None, :]).min(axis=1)
    np.fill_diagonal(out, 0.0)
    return np.asarray(np.minimum(out, out.T), dtype=np.float64)


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
