"""Missing links: find and score the gaps that would most improve the greenway network.

The analysis works on the GREENWAY LAYER of the graph (``parcs.links._built.greenway_layer``:
built edges of the greenway kinds -- cavalier, towpath, cycleway, eurovelo -- or on a cycle
route, unless `greenway` says otherwise; gap connectors are never part of it). It follows
Vybornova et al. (2022, *Automated detection of missing links in bicycle networks*) for the
candidates and Szell et al. (2022, *Growing urban bicycle networks*) for the greedy growth.
See ``docs/missing-links.md`` for the full method.

Candidates
    1. ``"connector"``: the gap connectors already in the graph (``built=False``).
    2. ``"component"``: layer node pairs at most ``max_gap_m`` apart (straight line,
       cKDTree) that lie in different connected components of the layer.
    3. ``"detour"``: node pairs at most ``max_gap_m`` apart in the same component whose
       layer distance is at least ``min_network_ratio`` * their straight distance.
    4. ``"connection"``: paths over the rest of the graph (built edges outside the layer:
       quiet roads, tracks, paths) of at most ``max_connection_m``, between two layer nodes
       and through no other layer node, whose layer distance is at least ``min_detour``
       (D_min) times the path's length (or infinite). Cost: the path's length.

    Declustering (so that one real gap gives one candidate): candidates are visited in order
    (connectors first, then by length ``est_length_m``, shortest first); a ``"component"``
    candidate is dropped when a shorter one already joins the same pair of components, and
    any candidate is dropped when both its endpoints lie within ``cluster_m`` of the
    endpoints of a candidate already kept (in either orientation).

Benefit (see :func:`missing_links`)
    ``benefit = Σ_od w_od · (min(d_od, cap) - min(d'_od, cap)) / 1000`` in weighted km, where
    ``d`` is the layer distance before and ``d'`` after adding the link, unreachable pairs
    count as ``cap``. Scores are exact: they use precomputed distance arrays and the formula
    ``d' = min(d, d(s,u) + w + d(v,t), d(s,v) + w + d(u,t))`` (numba kernel
    :mod:`parcs._kernels.gain`); no shortest path is recomputed per candidate.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from parcs._kernels.components import connected_components
from parcs._log import logger
from parcs._validate import check_number, check_positive
from parcs.csr import arc_geometries, csr_of
from parcs.errors import ValidationError
from parcs.links._built import (
    DEFAULT_PARK_PAIR_SHARE,
    DEFAULT_SAMPLE,
    Built,
    Groups,
    ODPairs,
    PlaceAccess,
    built,
    group_rows,
    od_pairs,
    pair_distance,
    place_access,
    rest_network,
    row_batch,
    with_links,
)
from parcs.links._names import commune_names, end_names
from parcs.network.places import PARK_KINDS

if TYPE_CHECKING:
    import networkx as nx
    import numpy.typing as npt

__all__ = [
    "DEFAULT_CAP_M",
    "DEFAULT_CLUSTER_M",
    "DEFAULT_DETOUR_FACTOR",
    "DEFAULT_MAX_CONNECTION_M",
    "DEFAULT_MAX_GAP_M",
    "DEFAULT_MIN_DETOUR",
    "DEFAULT_MIN_NETWORK_RATIO",
    "DEFAULT_PARK_PAIR_SHARE",
    "DEFAULT_SAMPLE",
    "PARK_KINDS",
    "SOURCES",
    "Scorer",
    "missing_links",
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
#: Longest connection over the rest of the graph (m).
DEFAULT_MAX_CONNECTION_M = 1000.0
#: D_min: greenway distance / connection length from which a connection is a candidate
#: (Vybornova et al. 2022).
DEFAULT_MIN_DETOUR = 1.5
#: Candidate sources, in declustering precedence.
SOURCES: tuple[str, ...] = ("connector", "component", "detour", "connection")

_CANDIDATE_COLUMNS = [
    "rank",
    "id",
    "u",
    "v",
    "source",
    "from_place",
    "to_place",
    "commune",
    "straight_m",
    "est_length_m",
    "network_m",
    "benefit",
    "benefit_per_km",
    "trips_new",
    "geometry",
]


def _resolve(
    G: nx.MultiDiGraph, max_gap_m: float | None, detour_factor: float | None
) -> tuple[float, float]:
    gap = G.graph.get("max_gap_m", DEFAULT_MAX_GAP_M) if max_gap_m is None else max_gap_m
    det = (
        G.graph.get("detour_factor", DEFAULT_DETOUR_FACTOR)
        if detour_factor is None
        else detour_factor
    )
    gap = check_positive("max_gap_m", gap, unit="metres")
    det = check_positive("detour_factor", det)
    if det < 1:
        msg = (
            "`detour_factor` must be >= 1 (a path is never shorter than the straight line), "
            f"got {det!r}"
        )
        raise ValidationError(msg)
    return gap, det


# --------------------------------------------------------------------------------------------
# raw candidates
# --------------------------------------------------------------------------------------------
def _connectors(G: nx.MultiDiGraph) -> pd.DataFrame | None:
    """The gap connectors of `G` (unbuilt edges), one row per node pair, shortest kept."""
    full = csr_of(G)
    # one arc per undirected edge, from its smaller node id: oriented a -> b already
    gaps = full.connector & full.undirected & (full.tails != full.indices)
    if not gaps.any():
        return None
    arcs = np.flatnonzero(gaps)
    conn = pd.DataFrame(
        {
            "a": full.tails[arcs],
            "b": full.indices[arcs],
            "est_length_m": full.weights["length"][arcs],
            "arc": arcs,
        }
    )
    conn = conn.sort_values(["a", "b", "est_length_m", "arc"], kind="stable")
    conn = conn.drop_duplicates(["a", "b"]).reset_index(drop=True)
    conn["geometry"] = list(arc_geometries(G)[conn["arc"].to_numpy()])
    return conn.drop(columns="arc").assign(source="connector")


def _straight_pairs(
    net: Built, labels: npt.NDArray[np.int64], max_gap_m: float, min_network_ratio: float
) -> list[pd.DataFrame]:
    """Layer node pairs within `max_gap_m`: across components, or with a long detour."""
    csr = net.csr
    ids = csr.node_ids
    idx = np.flatnonzero(net.on_network)
    if len(idx) < 2:
        return []
    tree = cKDTree(np.column_stack([csr.x[idx], csr.y[idx]]))
    pairs = tree.query_pairs(max_gap_m, output_type="ndarray")
    if not len(pairs):
        return []
    a, b = idx[pairs[:, 0]], idx[pairs[:, 1]]
    first = ids[a] < ids[b]  # orient each pair by node id
    a, b = np.where(first, a, b), np.where(first, b, a)
    straight = np.hypot(csr.x[a] - csr.x[b], csr.y[a] - csr.y[b])
    keep = straight > 0
    a, b, straight = a[keep], b[keep], straight[keep]
    comp = labels[a] != labels[b]
    out = [pd.DataFrame({"a": a[comp], "b": b[comp], "source": "component"})]
    sa, sb, sst = a[~comp], b[~comp], straight[~comp]
    if len(sa):
        nd = pair_distance(csr, sa, sb, min_network_ratio * sst)
        det = nd >= min_network_ratio * sst
        out.append(pd.DataFrame({"a": sa[det], "b": sb[det], "source": "detour"}))
    return out


def _connections(
    G: nx.MultiDiGraph, net: Built, *, max_connection_m: float, min_detour: float
) -> pd.DataFrame | None:
    """Paths over the rest of the graph between layer nodes with a long layer detour."""
    from parcs._kernels.local import stop_reach

    rest, _parent = rest_network(G, net.layer)
    on = net.on_network
    sources = np.flatnonzero(on & (np.diff(rest.indptr) > 0)).astype(np.int64)
    if len(sources) < 2 or rest.n_arcs == 0:
        return None
    ptr, nodes, dist = stop_reach(
        rest.indptr, rest.indices, rest.weights["length"], sources, on, float(max_connection_m)
    )
    a = np.repeat(sources, np.diff(ptr))
    b, c = np.asarray(nodes), np.asarray(dist)
    ids = net.csr.node_ids
    first = ids[a] < ids[b]
    a, b = np.where(first, a, b), np.where(first, b, a)
    found = pd.DataFrame({"a": a, "b": b, "est_length_m": c})
    found = found.sort_values(["a", "b", "est_length_m"], kind="stable").drop_duplicates(["a", "b"])
    if found.empty:
        return None
    fa = found["a"].to_numpy(np.int64)
    fb = found["b"].to_numpy(np.int64)
    fc = found["est_length_m"].to_numpy(np.float64)
    g = pair_distance(net.csr, fa, fb, min_detour * fc)
    keep = g >= min_detour * fc
    return found[keep].assign(source="connection")


def _raw_candidates(
    G: nx.MultiDiGraph,
    net: Built,
    *,
    max_gap_m: float,
    detour_factor: float,
    min_network_ratio: float,
    max_connection_m: float,
    min_detour: float,
) -> tuple[pd.DataFrame, npt.NDArray[np.int64]]:
    """All candidate pairs before declustering (node indexes ``a``, ``b``), and the labels."""
    csr = net.csr
    ids = csr.node_ids
    labels = np.asarray(connected_components(csr.indptr, csr.indices, csr.tails, csr.n_nodes))
    frames = [f for f in (_connectors(G),) if f is not None]
    frames += _straight_pairs(net, labels, max_gap_m, min_network_ratio)
    conn = _connections(G, net, max_connection_m=max_connection_m, min_detour=min_detour)
    if conn is not None:
        frames.append(conn)
    frames = [f for f in frames if len(f)]
    if not frames:
        empty = np.zeros(0, np.int64)
        raw = pd.DataFrame(
            {"a": empty, "b": empty, "source": np.zeros(0, object), "est_length_m": np.zeros(0)}
        )
    else:
        raw = pd.concat(frames, ignore_index=True)
    raw["a"] = raw["a"].astype(np.int64)
    raw["b"] = raw["b"].astype(np.int64)
    a, b = raw["a"].to_numpy(), raw["b"].to_numpy()
    raw["straight_m"] = np.hypot(csr.x[a] - csr.x[b], csr.y[a] - csr.y[b])
    raw["ua"] = ids[a]
    raw["ub"] = ids[b]
    if "est_length_m" not in raw:
        raw["est_length_m"] = np.nan
    fill = raw["est_length_m"].isna().to_numpy()
    raw.loc[fill, "est_length_m"] = raw.loc[fill, "straight_m"] * detour_factor
    raw["comp_a"] = labels[a]
    raw["comp_b"] = labels[b]
    if "geometry" not in raw:
        raw["geometry"] = None
    return raw, labels


def _decluster(raw: pd.DataFrame, net: Built, cluster_m: float) -> pd.DataFrame:
    """Keep one candidate per real gap (see module docstring)."""
    from parcs._kernels.local import decluster

    if raw.empty:
        return raw.drop(columns=["ua", "ub"])
    rank_src = raw["source"].map({"connector": 0}).fillna(1)
    raw = (
        raw.assign(_src=rank_src)
        .sort_values(["_src", "est_length_m", "straight_m", "ua", "ub"], kind="stable")
        .reset_index(drop=True)
    )
    # at most one "component" candidate per pair of components
    comp = (raw["source"] == "component").to_numpy()
    ca = raw["comp_a"].to_numpy(np.int64)
    cb = raw["comp_b"].to_numpy(np.int64)
    lo, hi = np.minimum(ca, cb), np.maximum(ca, cb)
    key = pd.Series(lo * (int(hi.max()) + 1) + hi if len(hi) else lo)
    dup = comp & key.where(comp).duplicated().to_numpy()
    raw = raw[~dup].reset_index(drop=True)
    x, y = net.csr.x, net.csr.y
    a, b = raw["a"].to_numpy(np.int64), raw["b"].to_numpy(np.int64)
    keep = decluster(x[a], y[a], x[b], y[b], float(cluster_m), max(float(cluster_m), 1.0))
    return raw[np.asarray(keep)].drop(columns=["_src", "ua", "ub"]).reset_index(drop=True)


def _connection_paths(G: nx.MultiDiGraph, net: Built, cands: pd.DataFrame) -> pd.DataFrame:
    """Give each "connection" candidate the geometry of its path over the rest network."""
    from parcs._kernels.local import stop_paths  # noqa: PLC0415

    sel = np.flatnonzero((cands["source"] == "connection").to_numpy())
    if not len(sel):
        return cands
    rest, parent = rest_network(G, net.layer)
    geoms = arc_geometries(G)
    a_all = cands["a"].to_numpy(np.int64)
    b_all = cands["b"].to_numpy(np.int64)
    order = sel[np.argsort(a_all[sel], kind="stable")]
    sa = a_all[order]
    starts = np.flatnonzero(np.r_[True, sa[1:] != sa[:-1]])
    group_ptr = np.r_[starts, len(sa)].astype(np.int64)
    cut = float(cands["est_length_m"].to_numpy()[sel].max()) * (1 + 1e-9)
    ptr, arcs = stop_paths(
        rest.indptr,
        rest.indices,
        rest.weights["length"],
        sa[starts].astype(np.int64),
        group_ptr,
        b_all[order],
        net.on_network,
        cut,
    )
    out = cands["geometry"].to_numpy(dtype=object).copy()
    for j, r in enumerate(order.tolist()):
        path = parent[arcs[ptr[j] : ptr[j + 1]]]
        coords = np.concatenate([shapely.get_coordinates(geoms[e]) for e in path])
        keep = np.r_[True, (np.abs(np.diff(coords, axis=0)) > 0).any(axis=1)]
        out[r] = shapely.linestrings(coords[keep])
    cands = cands.copy()
    cands["geometry"] = out
    return cands


# --------------------------------------------------------------------------------------------
# exact scoring
# --------------------------------------------------------------------------------------------
class Scorer:
    """Distance arrays of the objective, updated exactly as links are added.

    Holds ``dist`` (place → candidate endpoint, float64[p, E]) and the OD distances; adding a
    link searches from its two ends on the current network (never an E × E matrix).
    """

    def __init__(
        self,
        net: Built,
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
        self.csr = net.csr
        groups = access.groups
        p = len(groups)
        targets = Groups.concat(groups, Groups.single(self.ends))
        self.dist = np.full((p, len(self.ends)), np.inf)
        od_d = np.full(len(od.s), np.inf)
        order = np.argsort(od.s, kind="stable")
        s_sorted = od.s[order]
        batch = row_batch(p + len(self.ends))
        for lo in range(0, p, batch):  # distances beyond the cap never matter
            rows = np.arange(lo, min(lo + batch, p))
            block = group_rows(self.csr, groups.take(rows), targets, cap_m)
            self.dist[rows] = block[:, p:]
            i0, i1 = np.searchsorted(s_sorted, [rows[0], rows[-1] + 1])
            pick = order[i0:i1]
            od_d[pick] = block[od.s[pick] - lo, od.t[pick]]
        self.dist = np.ascontiguousarray(self.dist)
        self.od_d = od_d

    def objective(self) -> float:
        """The capped objective Σ w · min(d, cap) (weighted metres)."""
        return float(np.sum(self.od.w * np.minimum(self.od_d, self.cap)))

    def gains(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Exact gain and newly possible trips of every candidate on the current network."""
        from parcs._kernels.gain import link_gains

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
        """Build candidate `j`: update the OD and place → endpoint distances exactly."""
        from parcs._kernels.gain import relax_od, relax_rows

        u, v, w = int(self.cu[j]), int(self.cv[j]), float(self.cw[j])
        eu, ev = self.ends[u], self.ends[v]
        both = group_rows(self.csr, Groups.single([eu, ev]), Groups.single(self.ends), self.cap)
        self.od_d = np.asarray(relax_od(self.dist, self.od.s, self.od.t, self.od_d, u, v, w))
        self.dist = np.asarray(relax_rows(self.dist, both[0].copy(), both[1].copy(), u, v, w))
        self.csr = with_links(self.csr, np.array([eu]), np.array([ev]), np.array([w]))


# --------------------------------------------------------------------------------------------
# the public function
# --------------------------------------------------------------------------------------------
def _check_options(
    *,
    min_network_ratio: float,
    cluster_m: float,
    cap_m: float,
    park_pair_share: float,
    top: int | None,
    max_connection_m: float,
    min_detour: float,
) -> dict[str, float]:
    if top is not None and (
        isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1
    ):
        msg = f"`top` must be a positive integer or None, got {top!r}"
        raise ValidationError(msg)
    return {
        "ratio": check_positive("min_network_ratio", min_network_ratio),
        "cluster": check_positive("cluster_m", cluster_m, allow_zero=True, unit="metres"),
        "cap": check_positive("cap_m", cap_m, unit="metres"),
        "share": check_positive("park_pair_share", park_pair_share, allow_zero=True),
        "max_conn": check_positive(
            "max_connection_m", max_connection_m, allow_zero=True, unit="metres"
        ),
        "d_min": check_number("min_detour", min_detour, lo=1.0),
    }


def missing_links(
    G: nx.MultiDiGraph,
    *,
    places: gpd.GeoDataFrame | None = None,
    greenway: str | Iterable[str] | None = None,
    max_gap_m: float | None = None,
    detour_factor: float | None = None,
    min_network_ratio: float = DEFAULT_MIN_NETWORK_RATIO,
    max_connection_m: float = DEFAULT_MAX_CONNECTION_M,
    min_detour: float = DEFAULT_MIN_DETOUR,
    cluster_m: float = DEFAULT_CLUSTER_M,
    cap_m: float = DEFAULT_CAP_M,
    park_pair_share: float = DEFAULT_PARK_PAIR_SHARE,
    top: int | None = None,
    sample: int = DEFAULT_SAMPLE,
) -> gpd.GeoDataFrame:
    """Find and rank the missing links of the greenway network.

    Candidates (module docstring) are the gap connectors of `G` (``source="connector"``),
    layer node pairs within `max_gap_m` in different components (``"component"``) or in the
    same component with a layer distance of at least `min_network_ratio` × straight
    (``"detour"``), and paths over the rest of the graph of at most `max_connection_m`
    between layer nodes whose layer distance is at least `min_detour` × the path
    (``"connection"``), declustered so one real gap gives one candidate.

    Benefit of a link ``(u, v)`` of length ``w`` = its ``est_length_m`` (``straight_m *
    detour_factor`` for straight candidates, the path's length for connections)::

        benefit = Σ_od w_od · (min(d_od, cap_m) - min(d'_od, cap_m)) / 1000

    in weighted km, distances on the greenway layer only, unreachable = `cap_m`; ``d'`` is
    the exact distance after adding the link alone. OD pairs and weights
    (:func:`parcs.links._built.od_pairs`): settlement → park with ``w = population *
    area_ha / total park area`` (a settlement without a population weighs 1 resident), and
    park ↔ park with weights ∝ ``area_s * area_t`` summing to ``park_pair_share * total
    population``. Places enter at their access nodes. ``trips_new`` = Σ w_od over pairs
    going from ``> cap_m`` to ``<= cap_m``. A graph without places (and `places` None) is
    scored on `sample` layer nodes drawn with a fixed seed, every pair weighted 1 (logged).

    Parameters
    ----------
    G
        A parcs graph (``docs/graph-format.md``).
    places
        Places table; default ``parcs.places(G)``, else the node sample.
    greenway
        Which edges form the network: None (built edges of kind cavalier, towpath,
        cycleway, eurovelo or on a cycle route; every built edge when there is none),
        ``"all"`` (every built edge), or a list of kinds (``"routes"`` for route members).
    max_gap_m
        Straight-line search radius for new candidates (m); default ``G.graph["max_gap_m"]``
        or 500.
    detour_factor
        Path length / straight length of a new straight link; default
        ``G.graph["detour_factor"]`` or 1.3.
    min_network_ratio
        Layer / straight distance ratio from which a same-component pair is a "detour" gap.
    max_connection_m
        Longest "connection" over the rest of the graph (m); 0 turns them off.
    min_detour
        D_min: layer distance / connection length from which a connection is a candidate
        (1.5, Vybornova et al. 2022).
    cluster_m
        Declustering radius around kept candidates' endpoints (m).
    cap_m
        Trip length cap (m), 15 km by default (a sensible leisure trip).
    park_pair_share
        Total weight of park-to-park trips as a share of the total population.
    top
        Return only the `top` best candidates.
    sample
        Number of layer nodes sampled when `G` has no places and `places` is None.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per candidate sorted by ``rank`` (1 = best; by benefit, ties by ``id``):
        ``rank``, ``id``, ``u``, ``v`` (node ids, for the API), ``source``, ``from_place``,
        ``to_place`` (the places at its ends, ``docs/missing-links.md``), ``commune`` (the
        settlement containing, else nearest to, its midpoint; ``""`` without settlements),
        ``straight_m``, ``est_length_m``, ``network_m`` (layer distance u-v today, inf if
        disconnected), ``benefit``, ``benefit_per_km``, ``trips_new``, geometry (straight, or
        the connection's path) in the graph's CRS.

    Raises
    ------
    ValidationError
        On a bad option value or a places table without the needed columns.
    """
    gap, det = _resolve(G, max_gap_m, detour_factor)
    opt = _check_options(
        min_network_ratio=min_network_ratio,
        cluster_m=cluster_m,
        cap_m=cap_m,
        park_pair_share=park_pair_share,
        top=top,
        max_connection_m=max_connection_m,
        min_detour=min_detour,
    )
    net = built(G, greenway=greenway)
    access = place_access(G, net, places, sample=sample)
    od = od_pairs(access.places, park_pair_share=opt["share"])
    raw, labels = _raw_candidates(
        G,
        net,
        max_gap_m=gap,
        detour_factor=det,
        min_network_ratio=opt["ratio"],
        max_connection_m=opt["max_conn"],
        min_detour=opt["d_min"],
    )
    cands = _connection_paths(G, net, _decluster(raw, net, opt["cluster"]))
    a = cands["a"].to_numpy(np.int64)
    b = cands["b"].to_numpy(np.int64)
    w = cands["est_length_m"].to_numpy(np.float64)
    if len(cands):
        scorer = Scorer(net, access, od, cand_a=a, cand_b=b, cand_w=w, cap_m=opt["cap"])
        gain, trips = scorer.gains()
        network_m = np.full(len(a), np.inf)
        same = labels[a] == labels[b]
        network_m[same] = pair_distance(net.csr, a[same], b[same], np.inf)
    else:
        gain = trips = network_m = np.zeros(0)
    out = _frame(G, net, access, cands, gain / 1000.0, trips, network_m)
    counts = out["source"].value_counts()
    logger.info(
        "missing links on the greenway layer (%s): %d candidates (%s) from %d raw pairs",
        net.layer.describe(),
        len(out),
        ", ".join(f"{int(counts.get(s, 0))} {s}" for s in SOURCES),
        len(raw),
    )
    out.attrs.update(
        {
            "cap_m": opt["cap"],
            "max_gap_m": gap,
            "detour_factor": det,
            "park_pair_share": opt["share"],
            "max_connection_m": opt["max_conn"],
            "min_detour": opt["d_min"],
            "greenway": net.layer.describe(),
        }
    )
    return out.head(top).copy() if top is not None else out


def _frame(
    G: nx.MultiDiGraph,
    net: Built,
    access: PlaceAccess,
    cands: pd.DataFrame,
    benefit: npt.NDArray[np.float64],
    trips: npt.NDArray[np.float64],
    network_m: npt.NDArray[np.float64],
) -> gpd.GeoDataFrame:
    a = cands["a"].to_numpy(np.int64)
    b = cands["b"].to_numpy(np.int64)
    est = cands["est_length_m"].to_numpy(np.float64)
    x, y = net.csr.x, net.csr.y
    geoms = np.empty(len(a), dtype=object)
    if len(a):
        geoms[:] = list(
            shapely.linestrings(
                np.stack([np.column_stack([x[a], y[a]]), np.column_stack([x[b], y[b]])], axis=1)
            )
        )
        given = cands["geometry"].to_numpy(dtype=object)
        has = np.asarray(shapely.is_geometry(given), dtype=bool)
        geoms[has] = given[has]
    pts_a = shapely.points(x[a], y[a]) if len(a) else np.zeros(0, object)
    pts_b = shapely.points(x[b], y[b]) if len(a) else np.zeros(0, object)
    crs = net.csr.crs
    df = pd.DataFrame(
        {
            "id": np.arange(len(a), dtype=np.int64),
            "u": net.csr.node_ids[a],
            "v": net.csr.node_ids[b],
            "source": cands["source"].to_numpy(dtype=object),
            "from_place": end_names(pts_a, access.places, crs=crs, G=G, node_idx=a),
            "to_place": end_names(pts_b, access.places, crs=crs, G=G, node_idx=b),
            "commune": commune_names(access.places, geoms),
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
        df, geometry=list(geoms[df["id"].to_numpy()]) if len(df) else [], crs=crs
    )
    return gdf.reset_index(drop=True)[_CANDIDATE_COLUMNS]
