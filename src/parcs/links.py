"""Missing links: find, score and plan the gaps that would most improve the greenway network.

The analysis works on the BUILT network only (edges with ``built=True``; gap connectors are
excluded) and follows Vybornova et al. (2022, *Automated detection of missing links in bicycle
networks*) for the candidates and Szell et al. (2022, *Growing urban bicycle networks*) for
the greedy growth. See ``docs/missing-links.md`` for the full method.

Candidates
    1. ``"connector"``: the gap connectors already in the graph (``built=False``).
    2. ``"component"``: node pairs of the built network at most ``max_gap_m`` apart (straight
       line, cKDTree) that lie in different connected components.
    3. ``"detour"``: node pairs at most ``max_gap_m`` apart in the same component whose
       built-network distance is at least ``min_network_ratio`` * their straight distance.

    Declustering (so that one real gap gives one candidate): candidates are visited in order
    (connectors first, then by straight length, shortest first); a ``"component"`` candidate is
    dropped when a shorter one already joins the same pair of components, and any candidate is
    dropped when both its endpoints lie within ``cluster_m`` of the endpoints of a candidate
    already kept (in either orientation).

Benefit (see :func:`missing_links`)
    ``benefit = Σ_od w_od · (min(d_od, cap) - min(d'_od, cap)) / 1000`` in weighted km, where
    ``d`` is the built-network distance before and ``d'`` after adding the link, unreachable
    pairs count as ``cap``. Scores are exact: they use precomputed distance arrays and the
    formula ``d' = min(d, d(s,u) + w + d(v,t), d(s,v) + w + d(u,t))`` (numba kernel
    :mod:`parcs._kernels.gain`); no shortest path is recomputed per candidate.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from parcs._log import logger
from parcs.csr import CSRGraph
from parcs.errors import ValidationError

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    import networkx as nx
    import numpy.typing as npt

__all__ = [
    "DEFAULT_CAP_M",
    "DEFAULT_CLUSTER_M",
    "DEFAULT_DETOUR_FACTOR",
    "DEFAULT_MAX_GAP_M",
    "DEFAULT_MIN_NETWORK_RATIO",
    "DEFAULT_PARK_PAIR_SHARE",
    "PARK_KINDS",
    "BuiltNetwork",
    "ODPairs",
    "PlaceAccess",
    "built_network",
    "missing_links",
    "od_pairs",
    "place_access",
    "place_matrix",
    "plan_links",
    "write_report",
]

#: Trip length cap (m): a leisure trip to a park longer than this is not made.
DEFAULT_CAP_M = 15_000.0
#: Straight-line search radius (m) for new candidates, when ``G.graph`` has no ``max_gap_m``.
DEFAULT_MAX_GAP_M = 500.0
#: Detour factor (est_length / straight), when ``G.graph`` has no ``detour_factor``.
DEFAULT_DETOUR_FACTOR = 1.3
#: Network / straight distance ratio that makes a same-component pair a "detour" gap.
DEFAULT_MIN_NETWORK_RATIO = 3.0
#: Declustering radius (m) around the endpoints of a kept candidate.
DEFAULT_CLUSTER_M = 250.0
#: Total weight of park-to-park trips, as a share of the total commune population.
DEFAULT_PARK_PAIR_SHARE = 0.25
#: Place kinds that are trip destinations (parks and terrils).
PARK_KINDS = frozenset({"terril", "espace_neonaturel"})

_CANDIDATE_COLUMNS = [
    "rank",
    "id",
    "u",
    "v",
    "source",
    "straight_m",
    "est_length_m",
    "network_m",
    "benefit",
    "benefit_per_km",
    "trips_new",
    "geometry",
]
_BATCH = 256
# CRS of the built-network arrays (parcs graphs are in Lambert-93 metres).
_METRIC_CRS = "EPSG:2154"


# --------------------------------------------------------------------------------------------
# built network as CSR arrays
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BuiltNetwork:
    """The built greenway network of a graph as CSR arrays (plus optional extra links).

    The CSR arrays are those of :attr:`csr` (a :class:`parcs.csr.CSRGraph` built without
    renumbering, so node indexes follow the sorted node ids); this class only adds the
    undirected segments and their geometries, which a CSRGraph does not hold.

    Attributes
    ----------
    csr
        The built arcs (both directions of every segment) as a CSRGraph; weight
        ``"length"`` = ``est_length``.
    seg_u, seg_v, seg_len
        Undirected built segments (one per edge pair) as node indexes and lengths.
    geoms
        Geometry of each undirected segment.
    """

    csr: CSRGraph
    seg_u: npt.NDArray[np.int64]
    seg_v: npt.NDArray[np.int64]
    seg_len: npt.NDArray[np.float64]
    geoms: npt.NDArray[Any]

    @property
    def node_ids(self) -> npt.NDArray[np.int64]:
        """Graph node id of each index (sorted)."""
        return self.csr.node_ids

    @property
    def x(self) -> npt.NDArray[np.float64]:
        """Node x coordinates (EPSG:2154 metres)."""
        return self.csr.x

    @property
    def y(self) -> npt.NDArray[np.float64]:
        """Node y coordinates (EPSG:2154 metres)."""
        return self.csr.y

    @property
    def indptr(self) -> npt.NDArray[np.int64]:
        """CSR row pointers of the built arcs."""
        return self.csr.indptr

    @property
    def indices(self) -> npt.NDArray[np.int64]:
        """Head node index of each arc."""
        return self.csr.indices

    @functools.cached_property
    def tails(self) -> npt.NDArray[np.int64]:
        """Tail node index of each arc."""
        return self.csr.tails

    @property
    def weights(self) -> npt.NDArray[np.float64]:
        """Arc lengths (``est_length``, metres)."""
        return self.csr.weights["length"]

    @property
    def n(self) -> int:
        """Number of nodes."""
        return self.csr.n_nodes

    def index_of(self, ids: Iterable[Any]) -> npt.NDArray[np.int64]:
        """Return the indexes of node `ids` (they must exist)."""
        return self.csr.index_of(np.asarray(list(ids), dtype=np.int64))

    def has_built_arc(self) -> npt.NDArray[np.bool_]:
        """Return a bool mask of nodes touching at least one built arc."""
        return np.diff(self.indptr) > 0


def _check_graph(G: nx.MultiDiGraph) -> None:
    if G.number_of_nodes() == 0:
        msg = "`G` has no nodes; build a network first with parcs.load_network()"
        raise ValidationError(msg)
    missing = [n for n, d in G.nodes(data=True) if "x" not in d or "y" not in d]
    if missing:
        msg = (
            f"`G` has {len(missing)} node(s) without `x`/`y` coordinates (e.g. {missing[:5]!r}); "
            "use a projected parcs graph (EPSG:2154) such as parcs.load_network()"
        )
        raise ValidationError(msg)
    ids = list(G.nodes)
    if not all(isinstance(n, (int, np.integer)) for n in ids):
        msg = f"`G` node ids must be integers (got e.g. {ids[0]!r}); see docs/graph-format.md"
        raise ValidationError(msg)


def built_network(
    G: nx.MultiDiGraph, *, extra_edges: Iterable[Sequence[Any]] | None = None
) -> BuiltNetwork:
    """Return the built network of `G` (edges with ``built=True``) as CSR arrays.

    Parameters
    ----------
    G
        A parcs graph (``docs/graph-format.md``).
    extra_edges
        Extra undirected links ``(u, v, length_m)`` (node ids) treated as built, e.g. the
        links of a plan.

    Returns
    -------
    BuiltNetwork
        Sorted node ids, coordinates and CSR arrays; arc weight = ``est_length``.

    Raises
    ------
    ValidationError
        If `G` is empty or nodes lack coordinates, or an extra edge names an unknown node or
        a negative length.
    """
    _check_graph(G)
    node_ids = np.array(sorted(G.nodes), dtype=np.int64)
    index = {int(n): i for i, n in enumerate(node_ids)}
    x = np.array([G.nodes[int(n)]["x"] for n in node_ids], dtype=np.float64)
    y = np.array([G.nodes[int(n)]["y"] for n in node_ids], dtype=np.float64)
    seen: dict[tuple[int, int, int], None] = {}
    seg_u: list[int] = []
    seg_v: list[int] = []
    seg_len: list[float] = []
    geoms: list[Any] = []
    for u, v, k, data in G.edges(keys=True, data=True):
        if not data.get("built", True):
            continue
        a, b = index[int(u)], index[int(v)]
        key = (min(a, b), max(a, b), int(k) if isinstance(k, (int, np.integer)) else hash(k))
        if key in seen:
            continue
        seen[key] = None
        length = float(data.get("est_length", data.get("length", 0.0)))
        seg_u.append(a)
        seg_v.append(b)
        seg_len.append(length)
        geom = data.get("geometry")
        geoms.append(geom if geom is not None else shapely.LineString([(x[a], y[a]), (x[b], y[b])]))
    for j, edge in enumerate(extra_edges or ()):
        u, v, length = edge[0], edge[1], float(edge[2])
        if int(u) not in index or int(v) not in index:
            msg = f"`extra_edges`[{j}] = {tuple(edge)!r} names a node that is not in `G`"
            raise ValidationError(msg)
        if not length >= 0 or not math.isfinite(length):
            msg = f"`extra_edges`[{j}] has length {length!r}; use a finite length >= 0 (metres)"
            raise ValidationError(msg)
        a, b = index[int(u)], index[int(v)]
        seg_u.append(a)
        seg_v.append(b)
        seg_len.append(length)
        geoms.append(shapely.LineString([(x[a], y[a]), (x[b], y[b])]))
    su = np.asarray(seg_u, dtype=np.int64)
    sv = np.asarray(seg_v, dtype=np.int64)
    sl = np.asarray(seg_len, dtype=np.float64)
    csr = CSRGraph.from_arrays(
        np.concatenate([su, sv]),
        np.concatenate([sv, su]),
        x,
        y,
        weights={"length": np.concatenate([sl, sl])},
        node_ids=node_ids,
        renumber=False,
        crs=_METRIC_CRS,
    )
    return BuiltNetwork(
        csr=csr, seg_u=su, seg_v=sv, seg_len=sl, geoms=np.asarray(geoms, dtype=object)
    )


def _rows(
    net: BuiltNetwork,
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
    return np.asarray(
        distance_rows(net.indptr, net.indices, net.weights, ptr, nodes, offs, float(cutoff))
    )


def _columns_from(
    net: BuiltNetwork, src_nodes: npt.NDArray[np.int64], cols: npt.NDArray[np.int64], cutoff: float
) -> npt.NDArray[np.float64]:
    """Distances from each single node in `src_nodes` to the nodes `cols` (batched)."""
    out = np.empty((len(src_nodes), len(cols)))
    for a in range(0, len(src_nodes), _BATCH):
        chunk = src_nodes[a : a + _BATCH]
        rows = _rows(net, [(np.array([s]), np.zeros(1)) for s in chunk], cutoff)
        out[a : a + len(chunk)] = rows[:, cols]
    return out


# --------------------------------------------------------------------------------------------
# places and OD pairs
# --------------------------------------------------------------------------------------------
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


def _get_places(G: nx.MultiDiGraph, places: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    if places is None:
        if "parcs_places" not in G.graph:
            msg = (
                "`G` carries no places (G.graph['parcs_places'] is missing); pass `places=` "
                "or use parcs.load_network()"
            )
            raise ValidationError(msg)
        from parcs.territory import places as _places  # noqa: PLC0415

        places = _places(G)
    needed = {"kind", "population", "area_ha", "access_nodes", "geometry"}
    missing = sorted(needed - set(places.columns))
    if missing:
        msg = f"`places` lacks column(s) {missing}; see docs/graph-format.md (Places)"
        raise ValidationError(msg)
    return places


def place_access(
    G: nx.MultiDiGraph, net: BuiltNetwork, places: gpd.GeoDataFrame | None = None
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
        Places table; default ``parcs.places(G)``.

    Returns
    -------
    PlaceAccess
        The places and their (nodes, offsets).
    """
    places = _get_places(G, places)
    on_built = net.has_built_arc()
    built_idx = np.flatnonzero(on_built)
    built_pts = np.asarray(shapely.points(net.x[built_idx], net.y[built_idx]), dtype=object)
    tree = shapely.STRtree(built_pts) if len(built_idx) else None
    known = set(net.node_ids.tolist())
    sources = []
    for geom, access in zip(places.geometry, places["access_nodes"], strict=True):
        if not isinstance(access, (tuple, list, np.ndarray)):
            access = ()  # noqa: PLW2901 - missing value (None / NaN): no access node
        ids = [int(a) for a in access if int(a) in known]
        idx = net.index_of(ids) if ids else np.zeros(0, np.int64)
        if not on_built[idx].any() and tree is not None and geom is not None and not geom.is_empty:
            nearest = int(np.asarray(tree.query_nearest(geom)).ravel().min())
            idx = np.r_[idx, built_idx[nearest]].astype(np.int64)
        if len(idx) and geom is not None and not geom.is_empty:
            offs = np.asarray(shapely.distance(geom, shapely.points(net.x[idx], net.y[idx])))
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

    * commune ``c`` → park ``p``: ``w = population_c * area_p / A`` (``A`` = total park
      area): every resident makes one trip, to a park chosen in proportion to its area.
    * park ``s`` ↔ park ``t`` (each unordered pair once): ``w = share * P * a_s a_t /
      Σ_{s<t} a_s a_t`` (``P`` = total population, ``share`` = `park_pair_share`): park-hopping
      trips totalling ``share * P``.

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
    communes = np.flatnonzero((kind == "commune") & (pop > 0))
    parks = np.flatnonzero(np.isin(kind, list(PARK_KINDS)) & (area > 0))
    total_area = area[parks].sum()
    s_list = []
    t_list = []
    w_list = []
    if len(parks) and len(communes) and total_area > 0:
        cc, pp = np.meshgrid(communes, parks, indexing="ij")
        s_list.append(cc.ravel())
        t_list.append(pp.ravel())
        w_list.append((pop[cc] * area[pp] / total_area).ravel())
    if len(parks) > 1 and park_pair_share > 0:
        i, j = np.triu_indices(len(parks), k=1)
        a, b = parks[i], parks[j]
        prod = area[a] * area[b]
        total = prod.sum()
        if total > 0:
            s_list.append(a)
            t_list.append(b)
            w_list.append(park_pair_share * pop[communes].sum() * prod / total)
    if not s_list:
        return ODPairs(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    return ODPairs(
        np.concatenate(s_list).astype(np.int64),
        np.concatenate(t_list).astype(np.int64),
        np.concatenate(w_list).astype(np.float64),
    )


# --------------------------------------------------------------------------------------------
# candidates
# --------------------------------------------------------------------------------------------
def _positive(name: str, value: Any, *, allow_zero: bool = False) -> float:  # noqa: ANN401
    try:
        val = float(value)
    except (TypeError, ValueError):
        val = float("nan")
    ok = val >= 0 if allow_zero else val > 0
    if not (ok and math.isfinite(val)):
        bound = ">= 0" if allow_zero else "> 0"
        msg = f"`{name}` must be a finite number {bound}, got {value!r}"
        raise ValidationError(msg)
    return val


def _resolve(
    G: nx.MultiDiGraph, max_gap_m: float | None, detour_factor: float | None
) -> tuple[float, float]:
    gap = G.graph.get("max_gap_m", DEFAULT_MAX_GAP_M) if max_gap_m is None else max_gap_m
    det = (
        G.graph.get("detour_factor", DEFAULT_DETOUR_FACTOR)
        if detour_factor is None
        else detour_factor
    )
    gap = _positive("max_gap_m", gap)
    det = _positive("detour_factor", det)
    if det < 1:
        msg = (
            "`detour_factor` must be >= 1 (a path is never shorter than the straight line), "
            f"got {det!r}"
        )
        raise ValidationError(msg)
    return gap, det


def _raw_candidates(
    G: nx.MultiDiGraph,
    net: BuiltNetwork,
    *,
    max_gap_m: float,
    detour_factor: float,
    min_network_ratio: float,
) -> pd.DataFrame:
    """All candidate pairs before declustering (node indexes ``a``, ``b``)."""
    from parcs._kernels.components import connected_components  # noqa: PLC0415

    labels = np.asarray(connected_components(net.indptr, net.indices, net.tails, net.n))
    on_built = net.has_built_arc()
    frames = []
    # (a) gap connectors already in G
    conn: dict[tuple[int, int], float] = {}
    for u, v, data in G.edges(data=True):
        if data.get("built", True) or u == v:
            continue
        a, b = (int(i) for i in net.index_of([u, v]))
        key = (min(a, b), max(a, b))
        est = float(data.get("est_length", data.get("length", 0.0) * detour_factor))
        conn[key] = min(est, conn.get(key, math.inf))
    if conn:
        keys = np.array(list(conn), dtype=np.int64).reshape(-1, 2)
        frames.append(
            pd.DataFrame(
                {
                    "a": keys[:, 0],
                    "b": keys[:, 1],
                    "source": "connector",
                    "est_length_m": np.array(list(conn.values())),
                }
            )
        )
    # (b) built-network node pairs within max_gap_m (straight)
    idx = np.flatnonzero(on_built)
    if len(idx) > 1:
        tree = cKDTree(np.column_stack([net.x[idx], net.y[idx]]))
        pairs = tree.query_pairs(max_gap_m, output_type="ndarray")
        if len(pairs):
            a = idx[pairs[:, 0]]
            b = idx[pairs[:, 1]]
            a, b = np.minimum(a, b), np.maximum(a, b)
            straight = np.hypot(net.x[a] - net.x[b], net.y[a] - net.y[b])
            keep = straight > 0
            a, b, straight = a[keep], b[keep], straight[keep]
            comp = labels[a] != labels[b]
            frames.append(pd.DataFrame({"a": a[comp], "b": b[comp], "source": "component"}))
            same = ~comp
            sa, sb, sst = a[same], b[same], straight[same]
            if len(sa):
                nd = _pair_network_distance(net, sa, sb, min_network_ratio * sst)
                det = nd >= min_network_ratio * sst
                frames.append(pd.DataFrame({"a": sa[det], "b": sb[det], "source": "detour"}))
    if not frames:
        return pd.DataFrame(
            {
                "a": np.zeros(0, np.int64),
                "b": np.zeros(0, np.int64),
                "source": np.zeros(0, dtype=object),
                "est_length_m": np.zeros(0),
                "straight_m": np.zeros(0),
                "comp_a": np.zeros(0, np.int64),
                "comp_b": np.zeros(0, np.int64),
            }
        )
    raw = pd.concat(frames, ignore_index=True)
    raw["a"] = raw["a"].astype(np.int64)
    raw["b"] = raw["b"].astype(np.int64)
    raw["straight_m"] = np.hypot(
        net.x[raw["a"]] - net.x[raw["b"]], net.y[raw["a"]] - net.y[raw["b"]]
    )
    if "est_length_m" not in raw:
        raw["est_length_m"] = np.nan
    fill = raw["est_length_m"].isna()
    raw.loc[fill, "est_length_m"] = raw.loc[fill, "straight_m"] * detour_factor
    raw["comp_a"] = labels[raw["a"]]
    raw["comp_b"] = labels[raw["b"]]
    return raw


def _pair_network_distance(
    net: BuiltNetwork,
    a: npt.NDArray[np.int64],
    b: npt.NDArray[np.int64],
    cutoff: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """Built-network distance of each pair (``inf`` beyond the pair's cutoff)."""
    out = np.full(len(a), np.inf)
    order = np.argsort(a, kind="stable")
    sa = a[order]
    starts = np.flatnonzero(np.r_[True, sa[1:] != sa[:-1]])
    ends = np.r_[starts[1:], len(sa)]
    srcs = sa[starts]
    for lo in range(0, len(srcs), _BATCH):
        chunk = slice(lo, lo + _BATCH)
        group_cut = [
            float(cutoff[order[s:e]].max()) for s, e in zip(starts[chunk], ends[chunk], strict=True)
        ]
        rows = _rows(net, [(np.array([s]), np.zeros(1)) for s in srcs[chunk]], max(group_cut))
        for r, (s, e) in enumerate(zip(starts[chunk], ends[chunk], strict=True)):
            sel = order[s:e]
            out[sel] = rows[r, b[sel]]
    return out


def _decluster(raw: pd.DataFrame, net: BuiltNetwork, cluster_m: float) -> pd.DataFrame:
    """Keep one candidate per real gap (see module docstring)."""
    if raw.empty:
        return raw
    rank_src = raw["source"].map({"connector": 0}).fillna(1)
    raw = (
        raw.assign(_src=rank_src)
        .sort_values(["_src", "straight_m", "a", "b"], kind="stable")
        .reset_index(drop=True)
    )
    # at most one "component" candidate per pair of components
    comp = raw["source"] == "component"
    ca = raw["comp_a"].to_numpy(np.int64)
    cb = raw["comp_b"].to_numpy(np.int64)
    lo, hi = np.minimum(ca, cb), np.maximum(ca, cb)
    key = pd.Series(lo * (int(hi.max()) + 1) + hi if len(hi) else lo)
    dup = comp & key.where(comp).duplicated()
    raw = raw[~dup].reset_index(drop=True)
    ax, ay = net.x[raw["a"]], net.y[raw["a"]]
    bx, by = net.x[raw["b"]], net.y[raw["b"]]
    pts = np.column_stack([np.r_[ax, bx], np.r_[ay, by]])
    tree = cKDTree(pts)
    c = len(raw)
    kept = np.zeros(c, dtype=bool)
    near_a = tree.query_ball_point(np.column_stack([ax, ay]), cluster_m)
    near_b = tree.query_ball_point(np.column_stack([bx, by]), cluster_m)
    for i in range(c):
        na = {j % c for j in near_a[i]}
        nb = {j % c for j in near_b[i]}
        dup_found = False
        for j in na & nb:
            if j >= i or not kept[j]:
                continue
            same = (
                math.hypot(ax[i] - ax[j], ay[i] - ay[j]) <= cluster_m
                and math.hypot(bx[i] - bx[j], by[i] - by[j]) <= cluster_m
            )
            swap = (
                math.hypot(ax[i] - bx[j], ay[i] - by[j]) <= cluster_m
                and math.hypot(bx[i] - ax[j], by[i] - ay[j]) <= cluster_m
            )
            if same or swap:
                dup_found = True
                break
        kept[i] = not dup_found
    return raw[kept].drop(columns="_src").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# exact scoring
# --------------------------------------------------------------------------------------------
class _Scorer:
    """Distance arrays of the objective, updated exactly as links are added."""

    def __init__(
        self,
        net: BuiltNetwork,
        access: PlaceAccess,
        od: ODPairs,
        *,
        cand_a: npt.NDArray[np.int64],
        cand_b: npt.NDArray[np.int64],
        cand_w: npt.NDArray[np.float64],
        cap_m: float,
    ) -> None:
        self.cap = cap_m
        self.od = od
        ends, inv = np.unique(np.r_[cand_a, cand_b], return_inverse=True)
        self.ends = ends.astype(np.int64)
        c = len(cand_a)
        self.cu = inv[:c].astype(np.int64)
        self.cv = inv[c:].astype(np.int64)
        self.cw = np.ascontiguousarray(cand_w, dtype=np.float64)
        # distances beyond the cap never matter for the capped objective
        rows = _rows(net, access.sources, cap_m)
        self.od_d = place_matrix(access, rows)[od.s, od.t] if len(od.s) else np.zeros(0)
        self.dist = np.ascontiguousarray(rows[:, self.ends])
        # endpoint x endpoint distances: only the greedy updates need them (built lazily)
        self._net = net
        self._ee: npt.NDArray[np.float64] | None = None

    @property
    def ee(self) -> npt.NDArray[np.float64]:
        if self._ee is None:
            cols = _columns_from(self._net, self.ends, self.ends, self.cap)
            self._ee = np.ascontiguousarray(cols)
        return self._ee

    def objective(self) -> float:
        return float(np.sum(self.od.w * np.minimum(self.od_d, self.cap)))

    def gains(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        from parcs._kernels.gain import link_gains  # noqa: PLC0415

        g, t = link_gains(
            self.dist,
            self.od.s,
            self.od.t,
            self.od.w,
            self.od_d,
            self.cu,
            self.cv,
            self.cw,
            self.cap,
        )
        return np.asarray(g), np.asarray(t)

    def add(self, j: int) -> None:
        from parcs._kernels.gain import relax_od, relax_rows  # noqa: PLC0415

        u, v, w = int(self.cu[j]), int(self.cv[j]), float(self.cw[j])
        self.od_d = np.asarray(relax_od(self.dist, self.od.s, self.od.t, self.od_d, u, v, w))
        row_u = self.ee[u].copy()
        row_v = self.ee[v].copy()
        self.dist = np.asarray(relax_rows(self.dist, row_u, row_v, u, v, w))
        self._ee = np.asarray(relax_rows(self.ee, row_u, row_v, u, v, w))


def missing_links(
    G: nx.MultiDiGraph,
    *,
    places: gpd.GeoDataFrame | None = None,
    max_gap_m: float | None = None,
    detour_factor: float | None = None,
    min_network_ratio: float = DEFAULT_MIN_NETWORK_RATIO,
    cluster_m: float = DEFAULT_CLUSTER_M,
    cap_m: float = DEFAULT_CAP_M,
    park_pair_share: float = DEFAULT_PARK_PAIR_SHARE,
    top: int | None = None,
) -> gpd.GeoDataFrame:
    """Find and rank the missing links of the built greenway network.

    Candidates are the gap connectors of `G` (``source="connector"``), built-network node
    pairs within `max_gap_m` in different components (``"component"``) and pairs in the same
    component whose network distance is at least `min_network_ratio` * straight
    (``"detour"``), declustered so one real gap gives one candidate (module docstring).

    Benefit of a link ``(u, v)`` of length ``w`` = its ``est_length_m`` (``straight_m *
    detour_factor`` for new candidates)::

        benefit = Σ_od w_od · (min(d_od, cap_m) - min(d'_od, cap_m)) / 1000

    in weighted km, distances on the built network only (connectors excluded), unreachable =
    `cap_m`; ``d'`` is the exact distance after adding the link alone. OD pairs and weights:
    commune → park/terril with ``w = population * area_ha / total park area``, and park ↔
    park with weights ∝ ``area_s * area_t`` summing to ``park_pair_share * total population``
    (:func:`od_pairs`). Places enter at their access nodes (:func:`place_access`).
    ``trips_new`` = Σ w_od over pairs going from ``> cap_m`` to ``<= cap_m``.

    Parameters
    ----------
    G
        A parcs graph (``docs/graph-format.md``).
    places
        Places table; default ``parcs.places(G)``.
    max_gap_m
        Straight-line search radius for new candidates (m); default ``G.graph["max_gap_m"]``
        or 500.
    detour_factor
        Path length / straight length of a new link; default ``G.graph["detour_factor"]`` or
        1.3.
    min_network_ratio
        Network / straight ratio from which a same-component pair is a "detour" gap.
    cluster_m
        Declustering radius around kept candidates' endpoints (m).
    cap_m
        Trip length cap (m), 15 km by default (a sensible leisure trip).
    park_pair_share
        Total weight of park-to-park trips as a share of the total population.
    top
        Return only the `top` best candidates.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:2154, one row per candidate sorted by ``rank`` (1 = best; by benefit, ties by
        ``id``): ``rank``, ``id``, ``u``, ``v`` (node ids), ``source``, ``straight_m``,
        ``est_length_m``, ``network_m`` (built-network distance u-v today, inf if
        disconnected), ``benefit``, ``benefit_per_km``, ``trips_new``, ``commune`` (commune
        containing, else nearest to, the link's midpoint), straight LineString.

    Raises
    ------
    ValidationError
        On a bad option value, or when `G` has no places and `places` is not given.
    """
    gap, det = _resolve(G, max_gap_m, detour_factor)
    ratio = _positive("min_network_ratio", min_network_ratio)
    cluster = _positive("cluster_m", cluster_m, allow_zero=True)
    cap = _positive("cap_m", cap_m)
    share = _positive("park_pair_share", park_pair_share, allow_zero=True)
    if top is not None and (
        isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1
    ):
        msg = f"`top` must be a positive integer or None, got {top!r}"
        raise ValidationError(msg)
    net = built_network(G)
    access = place_access(G, net, places)
    od = od_pairs(access.places, park_pair_share=share)
    raw = _raw_candidates(G, net, max_gap_m=gap, detour_factor=det, min_network_ratio=ratio)
    cands = _decluster(raw, net, cluster)
    a = cands["a"].to_numpy(np.int64)
    b = cands["b"].to_numpy(np.int64)
    w = cands["est_length_m"].to_numpy(np.float64)
    if len(cands):
        scorer = _Scorer(net, access, od, cand_a=a, cand_b=b, cand_w=w, cap_m=cap)
        gain, trips = scorer.gains()
        network_m = _pair_network_distance(net, a, b, np.full(len(a), np.inf))
    else:
        gain = trips = network_m = np.zeros(0)
    out = _frame(net, cands, gain / 1000.0, trips, network_m)
    out.insert(len(out.columns) - 1, "commune", _commune_names(access.places, out))
    logger.info(
        "missing links: %d candidates (%d connectors, %d component, %d detour) from %d raw pairs",
        len(out),
        int((out["source"] == "connector").sum()),
        int((out["source"] == "component").sum()),
        int((out["source"] == "detour").sum()),
        len(raw),
    )
    out.attrs.update(
        {"cap_m": cap, "max_gap_m": gap, "detour_factor": det, "park_pair_share": share}
    )
    return out.head(top).copy() if top is not None else out


def _commune_names(places: gpd.GeoDataFrame, links: gpd.GeoDataFrame) -> list[str]:
    """Name of the commune containing (else nearest to) each link's midpoint."""
    communes = places[places["kind"] == "commune"]
    if communes.empty or links.empty:
        return [""] * len(links)
    names = (
        communes["name"] if "name" in communes else pd.Series(communes.index, index=communes.index)
    ).to_numpy()
    mids = shapely.line_interpolate_point(links.geometry.to_numpy(), 0.5, normalized=True)
    tree = shapely.STRtree(communes.geometry.to_numpy())
    idx = tree.query_nearest(mids, all_matches=False)
    out = [""] * len(links)
    for i, j in zip(idx[0], idx[1], strict=True):
        out[int(i)] = str(names[int(j)])
    return out


def _frame(
    net: BuiltNetwork,
    cands: pd.DataFrame,
    benefit: npt.NDArray[np.float64],
    trips: npt.NDArray[np.float64],
    network_m: npt.NDArray[np.float64],
) -> gpd.GeoDataFrame:
    a = cands["a"].to_numpy(np.int64)
    b = cands["b"].to_numpy(np.int64)
    est = cands["est_length_m"].to_numpy(np.float64)
    geoms = (
        shapely.linestrings(
            np.stack(
                [np.column_stack([net.x[a], net.y[a]]), np.column_stack([net.x[b], net.y[b]])],
                axis=1,
            )
        )
        if len(a)
        else np.array([], dtype=object)
    )
    df = pd.DataFrame(
        {
            "id": np.arange(len(a), dtype=np.int64),
            "u": net.node_ids[a],
            "v": net.node_ids[b],
            "source": cands["source"].to_numpy(dtype=object),
            "straight_m": cands["straight_m"].to_numpy(np.float64),
            "est_length_m": est,
            "network_m": network_m,
            "benefit": benefit,
            "benefit_per_km": np.where(est > 0, benefit / np.maximum(est, 1e-300) * 1000.0, np.inf),
            "trips_new": trips,
        }
    )
    df = df.sort_values(["benefit", "id"], ascending=[False, True], kind="stable")
    df.insert(0, "rank", np.arange(1, len(df) + 1, dtype=np.int64))
    gdf = gpd.GeoDataFrame(
        df,
        geometry=list(np.asarray(geoms)[df["id"].to_numpy()]) if len(df) else [],
        crs="EPSG:2154",
    )
    return gdf.reset_index(drop=True)[_CANDIDATE_COLUMNS]


# --------------------------------------------------------------------------------------------
# greedy plan
# --------------------------------------------------------------------------------------------
def plan_links(
    G: nx.MultiDiGraph,
    *,
    budget_km: float = 10.0,
    candidates: gpd.GeoDataFrame | None = None,
    places: gpd.GeoDataFrame | None = None,
    by: str = "benefit",
    cap_m: float = DEFAULT_CAP_M,
    park_pair_share: float = DEFAULT_PARK_PAIR_SHARE,
) -> gpd.GeoDataFrame:
    """Plan which missing links to build first, greedily, within a length budget.

    At each step the candidate with the largest marginal benefit (or benefit per km, see
    `by`) among those that still fit in the remaining budget is added; the distance arrays
    are then updated exactly (``d' = min(d, d(·,u) + w + d(v,·), d(·,v) + w + d(u,·))`` for OD
    pairs, place→endpoint and endpoint→endpoint distances) and every candidate is rescored.
    It stops when nothing fits or no candidate has a positive benefit.

    Parameters
    ----------
    G
        A parcs graph.
    budget_km
        Total length that may be built, in km of ``est_length_m``.
    candidates
        Output of :func:`missing_links` (columns ``u``, ``v``, ``est_length_m``); computed
        with default options when None.
    places
        Places table; default ``parcs.places(G)``.
    by
        {"benefit", "benefit_per_km"}: the greedy criterion.
    cap_m
        Trip length cap (m), as in :func:`missing_links`.
    park_pair_share
        Weight of park-to-park trips, as in :func:`missing_links`.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per chosen link in build order: ``rank`` (step, 1 = first), ``id``
        (candidate id), ``u``, ``v``, ``source``, ``straight_m``, ``length_m``, ``benefit``
        (marginal, weighted km), ``benefit_per_km``, ``trips_new`` (marginal),
        ``cumulative_km``, ``cumulative_benefit``, geometry. ``attrs["objective_before"]``
        and ``attrs["objective_after"]`` hold the capped objective (weighted km).

    Raises
    ------
    ValidationError
        On a bad option value or a candidates table without the needed columns.
    """
    budget = _positive("budget_km", budget_km, allow_zero=True)
    cap = _positive("cap_m", cap_m)
    share = _positive("park_pair_share", park_pair_share, allow_zero=True)
    if by not in {"benefit", "benefit_per_km"}:
        msg = f"`by` must be one of ['benefit', 'benefit_per_km'], got {by!r}"
        raise ValidationError(msg)
    if candidates is None:
        candidates = missing_links(G, places=places, cap_m=cap, park_pair_share=share)
    needed = {"u", "v", "est_length_m"}
    if not needed <= set(candidates.columns):
        missing = sorted(needed - set(candidates.columns))
        msg = f"`candidates` lacks column(s) {missing}; pass the output of missing_links()"
        raise ValidationError(msg)
    net = built_network(G)
    access = place_access(G, net, places)
    od = od_pairs(access.places, park_pair_share=share)
    known = set(net.node_ids.tolist())
    bad = [
        n
        for n in np.r_[candidates["u"].to_numpy(), candidates["v"].to_numpy()]
        if int(n) not in known
    ]
    if bad:
        msg = (
            f"`candidates` name {len(bad)} node(s) not in `G` (e.g. {bad[:5]!r}); "
            "compute them on this graph"
        )
        raise ValidationError(msg)
    cand = candidates.reset_index(drop=True)
    ids = cand["id"].to_numpy() if "id" in cand else np.arange(len(cand))
    a = net.index_of(cand["u"])
    b = net.index_of(cand["v"])
    w = cand["est_length_m"].to_numpy(np.float64)
    rows: list[dict[str, Any]] = []
    if len(cand) == 0:
        before = after = 0.0
    else:
        scorer = _Scorer(net, access, od, cand_a=a, cand_b=b, cand_w=w, cap_m=cap)
        before = scorer.objective()
        total_km = total_b = 0.0
        for j, gain_j, trips_j in _greedy(scorer, w, ids, budget * 1000.0, by):
            total_km += w[j] / 1000.0
            total_b += gain_j / 1000.0
            xa, ya, xb, yb = net.x[a[j]], net.y[a[j]], net.x[b[j]], net.y[b[j]]
            rows.append(
                {
                    "rank": len(rows) + 1,
                    "id": int(ids[j]),
                    "u": int(cand["u"].iloc[j]),
                    "v": int(cand["v"].iloc[j]),
                    "source": str(cand["source"].iloc[j]) if "source" in cand else "",
                    "straight_m": float(math.hypot(xa - xb, ya - yb)),
                    "length_m": float(w[j]),
                    "benefit": gain_j / 1000.0,
                    "benefit_per_km": gain_j / max(float(w[j]), 1e-9),
                    "trips_new": trips_j,
                    "cumulative_km": total_km,
                    "cumulative_benefit": total_b,
                    "geometry": shapely.LineString([(xa, ya), (xb, yb)]),
                }
            )
        after = scorer.objective()
    cols = [
        "rank",
        "id",
        "u",
        "v",
        "source",
        "straight_m",
        "length_m",
        "benefit",
        "benefit_per_km",
        "trips_new",
        "cumulative_km",
        "cumulative_benefit",
        "geometry",
    ]
    out = gpd.GeoDataFrame(pd.DataFrame(rows, columns=cols), geometry="geometry", crs="EPSG:2154")
    out.attrs.update(
        {
            "objective_before": before / 1000.0,
            "objective_after": after / 1000.0,
            "budget_km": budget,
            "by": by,
        }
    )
    logger.info(
        "link plan: %d links, %.2f km of %.2f km budget, benefit %.1f weighted km",
        len(out),
        float(out["length_m"].sum()) / 1000.0,
        budget,
        (before - after) / 1000.0,
    )
    return out


def _greedy(
    scorer: _Scorer,
    w: npt.NDArray[np.float64],
    ids: npt.NDArray[Any],
    budget_m: float,
    by: str,
) -> list[tuple[int, float, float]]:
    """Run the greedy selection; return (candidate row, marginal gain, marginal trips)."""
    remaining = budget_m
    used = np.zeros(len(w), dtype=bool)
    picks: list[tuple[int, float, float]] = []
    while True:
        gain, trips = scorer.gains()
        ok = (~used) & (w <= remaining + 1e-9) & (gain > 0)
        if not ok.any():
            return picks
        crit = gain if by == "benefit" else gain / np.maximum(w, 1e-9)
        crit = np.where(ok, crit, -np.inf)
        tied = np.flatnonzero(crit == crit.max())
        j = int(tied[np.argmin(ids[tied])])
        scorer.add(j)
        used[j] = True
        remaining -= w[j]
        picks.append((j, float(gain[j]), float(trips[j])))


# --------------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------------
def _md_table(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in df.itertuples(index=False):
        cells = []
        for val in row:
            if isinstance(val, float):
                cells.append(f"{val:,.1f}" if math.isfinite(val) else "∞")
            else:
                cells.append(str(val))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_report(
    candidates: gpd.GeoDataFrame,
    out_dir: str | Path,
    *,
    plan: gpd.GeoDataFrame | None = None,
    metrics_table: pd.DataFrame | None = None,
    top: int = 20,
) -> dict[str, Path]:
    """Write the missing-links report (CSV + Markdown) into `out_dir`, atomically.

    Parameters
    ----------
    candidates
        Output of :func:`missing_links`.
    out_dir
        Folder to write into (created if needed).
    plan
        Output of :func:`plan_links`, written as ``plan.csv`` and a Markdown section.
    metrics_table
        Output of :func:`parcs.indicators.metrics_table`, written as a Markdown section and
        ``metrics.csv``.
    top
        Number of candidates shown in the Markdown table (the CSV has them all).

    Returns
    -------
    dict
        File kind (``"candidates_csv"``, ``"plan_csv"``, ``"metrics_csv"``, ``"markdown"``)
        → path written.
    """
    from parcs._atomic import write_text  # noqa: PLC0415

    out = Path(out_dir)
    written: dict[str, Path] = {}
    table = pd.DataFrame(candidates.drop(columns="geometry"))
    table["wkt"] = candidates.geometry.to_wkt()
    written["candidates_csv"] = write_text(out / "missing_links.csv", table.to_csv(index=False))
    show = [
        "rank",
        "u",
        "v",
        "source",
        "straight_m",
        "est_length_m",
        "benefit",
        "benefit_per_km",
        "trips_new",
    ]
    show += [c for c in ("commune",) if c in candidates.columns]
    parts = [
        "# Missing links\n",
        f"{len(candidates)} candidate links; benefit in weighted km (see docs/missing-links.md).\n",
        _md_table(pd.DataFrame(candidates[show].head(top))),
    ]
    if plan is not None:
        ptable = pd.DataFrame(plan.drop(columns="geometry"))
        ptable["wkt"] = plan.geometry.to_wkt()
        written["plan_csv"] = write_text(out / "plan.csv", ptable.to_csv(index=False))
        pshow = [
            "rank",
            "u",
            "v",
            "length_m",
            "benefit",
            "trips_new",
            "cumulative_km",
            "cumulative_benefit",
        ]
        parts += ["\n## Greedy plan\n", _md_table(pd.DataFrame(plan[pshow]))]
    if metrics_table is not None:
        written["metrics_csv"] = write_text(out / "metrics.csv", metrics_table.to_csv())
        mt = metrics_table.reset_index().rename(columns={"index": "indicator"})
        parts += ["\n## Indicators before and after each step\n", _md_table(mt)]
    written["markdown"] = write_text(out / "missing_links.md", "\n".join(parts) + "\n")
    return written
