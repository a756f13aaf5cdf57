"""Missing links: find and score the gaps that would most improve the greenway network.

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

import math
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from parcs._kernels.components import connected_components
from parcs._log import logger
from parcs._validate import check_positive
from parcs.csr import csr_of
from parcs.errors import ValidationError
from parcs.links._built import (
    BATCH,
    DEFAULT_PARK_PAIR_SHARE,
    DEFAULT_SAMPLE,
    Built,
    ODPairs,
    PlaceAccess,
    built,
    columns_from,
    od_pairs,
    place_access,
    place_matrix,
    rows,
)
from parcs.network.places import PARK_KINDS, SETTLEMENT_KINDS

if TYPE_CHECKING:
    import networkx as nx
    import numpy.typing as npt

__all__ = [
    "DEFAULT_CAP_M",
    "DEFAULT_CLUSTER_M",
    "DEFAULT_DETOUR_FACTOR",
    "DEFAULT_MAX_GAP_M",
    "DEFAULT_MIN_NETWORK_RATIO",
    "DEFAULT_PARK_PAIR_SHARE",
    "DEFAULT_SAMPLE",
    "PARK_KINDS",
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


def _raw_candidates(
    G: nx.MultiDiGraph,
    net: Built,
    *,
    max_gap_m: float,
    detour_factor: float,
    min_network_ratio: float,
) -> pd.DataFrame:
    """All candidate pairs before declustering (node indexes ``a``, ``b``)."""
    csr = net.csr
    ids = csr.node_ids
    labels = np.asarray(connected_components(csr.indptr, csr.indices, csr.tails, csr.n_nodes))
    on_built = np.diff(csr.indptr) > 0
    frames = []
    # (a) gap connectors already in G (unbuilt edges, one arc per undirected edge)
    full = csr_of(G)
    gaps = full.connector & full.undirected & (full.tails != full.indices)
    if gaps.any():
        ga, gb = full.tails[gaps], full.indices[gaps]  # the same node indexes as `csr`
        ga, gb = np.where(ids[ga] < ids[gb], ga, gb), np.where(ids[ga] < ids[gb], gb, ga)
        conn = pd.DataFrame({"a": ga, "b": gb, "est_length_m": full.weights["length"][gaps]})
        conn = conn.groupby(["a", "b"], as_index=False, sort=True)["est_length_m"].min()
        frames.append(conn.assign(source="connector")[["a", "b", "source", "est_length_m"]])
    # (b) built-network node pairs within max_gap_m (straight)
    idx = np.flatnonzero(on_built)
    if len(idx) > 1:
        tree = cKDTree(np.column_stack([csr.x[idx], csr.y[idx]]))
        pairs = tree.query_pairs(max_gap_m, output_type="ndarray")
        if len(pairs):
            a = idx[pairs[:, 0]]
            b = idx[pairs[:, 1]]
            first = ids[a] < ids[b]  # orient each pair by node id
            a, b = np.where(first, a, b), np.where(first, b, a)
            straight = np.hypot(csr.x[a] - csr.x[b], csr.y[a] - csr.y[b])
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
                "ua": np.zeros(0, np.int64),
                "ub": np.zeros(0, np.int64),
            }
        )
    raw = pd.concat(frames, ignore_index=True)
    raw["a"] = raw["a"].astype(np.int64)
    raw["b"] = raw["b"].astype(np.int64)
    raw["straight_m"] = np.hypot(
        csr.x[raw["a"]] - csr.x[raw["b"]], csr.y[raw["a"]] - csr.y[raw["b"]]
    )
    raw["ua"] = ids[raw["a"].to_numpy()]
    raw["ub"] = ids[raw["b"].to_numpy()]
    if "est_length_m" not in raw:
        raw["est_length_m"] = np.nan
    fill = raw["est_length_m"].isna()
    raw.loc[fill, "est_length_m"] = raw.loc[fill, "straight_m"] * detour_factor
    raw["comp_a"] = labels[raw["a"]]
    raw["comp_b"] = labels[raw["b"]]
    return raw


def _pair_network_distance(
    net: Built,
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
    for lo in range(0, len(srcs), BATCH):
        chunk = slice(lo, lo + BATCH)
        group_cut = [
            float(cutoff[order[s:e]].max()) for s, e in zip(starts[chunk], ends[chunk], strict=True)
        ]
        dist = rows(net, [(np.array([s]), np.zeros(1)) for s in srcs[chunk]], max(group_cut))
        for r, (s, e) in enumerate(zip(starts[chunk], ends[chunk], strict=True)):
            sel = order[s:e]
            out[sel] = dist[r, b[sel]]
    return out


def _decluster(raw: pd.DataFrame, net: Built, cluster_m: float) -> pd.DataFrame:
    """Keep one candidate per real gap (see module docstring)."""
    if raw.empty:
        return raw
    rank_src = raw["source"].map({"connector": 0}).fillna(1)
    raw = (
        raw.assign(_src=rank_src)
        .sort_values(["_src", "straight_m", "ua", "ub"], kind="stable")
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
    x, y = net.csr.x, net.csr.y
    ax, ay = x[raw["a"]], y[raw["a"]]
    bx, by = x[raw["b"]], y[raw["b"]]
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
    return raw[kept].drop(columns=["_src", "ua", "ub"]).reset_index(drop=True)


class Scorer:
    """Distance arrays of the objective, updated exactly as links are added."""

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
        # distances beyond the cap never matter for the capped objective
        dist = rows(net, access.sources, cap_m)
        self.od_d = place_matrix(access, dist)[od.s, od.t] if len(od.s) else np.zeros(0)
        self.dist = np.ascontiguousarray(dist[:, self.ends])
        # endpoint x endpoint distances: only the greedy updates need them (built lazily)
        self._net = net
        self._ee: npt.NDArray[np.float64] | None = None

    @property
    def ee(self) -> npt.NDArray[np.float64]:
        if self._ee is None:
            cols = columns_from(self._net, self.ends, self.ends, self.cap)
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
    sample: int = DEFAULT_SAMPLE,
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
    `cap_m`; ``d'`` is the exact distance after adding the link alone. OD pairs and weights
    (:func:`parcs.links._built.od_pairs`), on any graph with places: settlement (a kind of
    ``SETTLEMENT_KINDS``: Artois commune, OSM town) → park (a kind of :data:`PARK_KINDS`:
    terril, espace néo-naturel, park, nature area, forest) with ``w = population *
    area_ha / total park area``, a settlement without a population weighing 1 resident;
    and park ↔ park with weights ∝ ``area_s * area_t`` summing to ``park_pair_share *
    total population``. Places enter at their access nodes (``place_access``).
    ``trips_new`` = Σ w_od over pairs going from ``> cap_m`` to ``<= cap_m``.

    A graph without places (and `places` None) is scored on a sample instead: `sample`
    nodes of the built network drawn with a fixed seed, every pair of them weighted 1
    (logged; ``docs/missing-links.md``).

    Parameters
    ----------
    G
        A parcs graph (``docs/graph-format.md``).
    places
        Places table; default ``parcs.places(G)``, else the node sample.
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
    sample
        Number of built-network nodes sampled when `G` has no places and `places` is None.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per candidate sorted by ``rank`` (1 = best; by benefit, ties by
        ``id``): ``rank``, ``id``, ``u``, ``v`` (node ids), ``source``, ``straight_m``,
        ``est_length_m``, ``network_m`` (built-network distance u-v today, inf if
        disconnected), ``benefit``, ``benefit_per_km``, ``trips_new``, ``commune`` (the
        settlement -- commune or town -- containing, else nearest to, the link's midpoint;
        ``""`` without settlements), straight LineString, in the graph's CRS.

    Raises
    ------
    ValidationError
        On a bad option value or a places table without the needed columns.
    """
    gap, det = _resolve(G, max_gap_m, detour_factor)
    ratio = check_positive("min_network_ratio", min_network_ratio)
    cluster = check_positive("cluster_m", cluster_m, allow_zero=True, unit="metres")
    cap = check_positive("cap_m", cap_m, unit="metres")
    share = check_positive("park_pair_share", park_pair_share, allow_zero=True)
    if top is not None and (
        isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1
    ):
        msg = f"`top` must be a positive integer or None, got {top!r}"
        raise ValidationError(msg)
    net = built(G)
    access = place_access(G, net, places, sample=sample)
    od = od_pairs(access.places, park_pair_share=share)
    raw = _raw_candidates(G, net, max_gap_m=gap, detour_factor=det, min_network_ratio=ratio)
    cands = _decluster(raw, net, cluster)
    a = cands["a"].to_numpy(np.int64)
    b = cands["b"].to_numpy(np.int64)
    w = cands["est_length_m"].to_numpy(np.float64)
    if len(cands):
        scorer = Scorer(net, access, od, cand_a=a, cand_b=b, cand_w=w, cap_m=cap)
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
    """Name of the settlement containing (else nearest to) each link's midpoint."""
    communes = places[places["kind"].isin(list(SETTLEMENT_KINDS))]
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
    net: Built,
    cands: pd.DataFrame,
    benefit: npt.NDArray[np.float64],
    trips: npt.NDArray[np.float64],
    network_m: npt.NDArray[np.float64],
) -> gpd.GeoDataFrame:
    a = cands["a"].to_numpy(np.int64)
    b = cands["b"].to_numpy(np.int64)
    est = cands["est_length_m"].to_numpy(np.float64)
    x, y = net.csr.x, net.csr.y
    geoms = (
        shapely.linestrings(
            np.stack([np.column_stack([x[a], y[a]]), np.column_stack([x[b], y[b]])], axis=1)
        )
        if len(a)
        else np.array([], dtype=object)
    )
    df = pd.DataFrame(
        {
            "id": np.arange(len(a), dtype=np.int64),
            "u": net.csr.node_ids[a],
            "v": net.csr.node_ids[b],
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
        crs=net.csr.crs,
    )
    return gdf.reset_index(drop=True)[_CANDIDATE_COLUMNS]


