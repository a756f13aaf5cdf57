"""Evaluate a planner's own proposed links: what the scheme changes, link by link.

:func:`evaluate_links` takes a line layer of proposed links (GeoPackage, GeoJSON, Shapefile,
or a GeoDataFrame; any CRS), snaps and nodes it into a copy of the graph
(``parcs.links._proposals``), and reports

* the indicators (:func:`parcs.metrics`) of the greenway network today and with the whole
  scheme built;
* each link's marginal benefit, in the weighted km of :func:`parcs.missing_links`: built
  **alone** (on today's network) and built **last** (the scheme without it → the scheme);
* a suggested **build order**: greedily, the link with the largest marginal benefit (or
  benefit per km, `by`) given those already built.

Benefits are exact. With ``R`` the distances from every place to the K nodes of the proposed
pieces and ``B`` the K × K distances between them on today's network (searches cut at the
trip cap), a set S of links gives the K × K distances ``D_S`` = the closure (Floyd-Warshall)
of ``B`` and the pieces of S, and every OD distance becomes exactly

    d_S(s, t) = min(d(s, t), min_{a, b} R[s, a] + D_S[a, b] + R[t, b])

since a shortest path leaves today's network only on proposed pieces, whose ends are among
the K nodes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from parcs._log import logger
from parcs._validate import check_positive
from parcs.csr import csr_of
from parcs.errors import ValidationError
from parcs.links._built import (
    ALL_BUILT,
    DEFAULT_PARK_PAIR_SHARE,
    DEFAULT_SAMPLE,
    Built,
    Groups,
    Layer,
    PlaceAccess,
    built,
    greenway_layer,
    group_rows,
    od_pairs,
    place_access,
    row_batch,
)
from parcs.links._names import commune_names, end_names
from parcs.links._proposals import PROPOSED_KIND, node_proposals
from parcs.links.candidates import DEFAULT_CAP_M
from parcs.links.indicators import DEFAULT_BUFFER_M, Context, NetworkMetrics

if TYPE_CHECKING:
    import geopandas as gpd
    import networkx as nx
    import numpy.typing as npt

__all__ = ["DEFAULT_SNAP_M", "Evaluation", "evaluate_links"]

#: Line ends within this distance of the network are snapped to it (m).
DEFAULT_SNAP_M = 50.0

_LINK_COLUMNS = [
    "feature",
    "name",
    "from_place",
    "to_place",
    "commune",
    "length_m",
    "benefit_alone",
    "trips_new_alone",
    "benefit_last",
    "order",
    "benefit_in_order",
    "cumulative_km",
    "cumulative_benefit",
    "geometry",
]


@dataclass(frozen=True)
class Evaluation:
    """What a scheme of proposed links changes (:func:`evaluate_links`).

    Attributes
    ----------
    links
        One row per proposed feature (layer row ``feature``, from 0): ``name``,
        ``from_place``, ``to_place``, ``commune``, ``length_m`` (noded, snapped),
        ``benefit_alone``, ``trips_new_alone`` (built alone on today's network),
        ``benefit_last`` (built last: the whole scheme minus the scheme without it),
        ``order`` (suggested build step, 1 = first), ``benefit_in_order`` (marginal benefit
        at that step), ``cumulative_km``, ``cumulative_benefit``; geometry in the graph's
        CRS. Benefits in weighted km.
    before, after
        The indicators today and with the whole scheme built.
    table
        Indicators side by side: ``before``, ``after``, ``change``.
    objective_before, objective_after
        The capped objective of :func:`parcs.missing_links` (weighted km).
    graph
        The graph with the proposals noded in (``kind="proposed"`` edges).
    """

    links: gpd.GeoDataFrame
    before: NetworkMetrics
    after: NetworkMetrics
    table: pd.DataFrame
    objective_before: float
    objective_after: float
    graph: nx.MultiDiGraph


# --------------------------------------------------------------------------------------------
# exact objective of any set of proposed links
# --------------------------------------------------------------------------------------------
class _Overlay:
    """Today's distances between places and the proposed pieces' nodes, and the OD pairs."""

    def __init__(
        self, base: Built, access: PlaceAccess, od: Any, pieces: pd.DataFrame, cap: float
    ) -> None:
        csr = base.csr
        self.cap = cap
        self.od = od
        ends = np.unique(np.r_[pieces["u"].to_numpy(np.int64), pieces["v"].to_numpy(np.int64)])
        self.k_idx = csr.index_of(ends)
        pos = {int(n): i for i, n in enumerate(ends.tolist())}
        self.pa = np.asarray([pos[int(u)] for u in pieces["u"]], dtype=np.int64)
        self.pb = np.asarray([pos[int(v)] for v in pieces["v"]], dtype=np.int64)
        self.pw = pieces["length_m"].to_numpy(np.float64)
        self.pf = pieces["feature"].to_numpy(np.int64)
        k = len(ends)
        groups = access.groups
        p = len(groups)
        kg = Groups.single(self.k_idx)
        self.B = group_rows(csr, kg, kg, cap) if k else np.zeros((0, 0))
        self.R = np.full((p, k), np.inf)
        self.od_d = np.full(len(od.s), np.inf)
        targets = Groups.concat(groups, kg)
        order = np.argsort(od.s, kind="stable")
        s_sorted = od.s[order]
        batch = row_batch(p + k)
        for lo in range(0, p, batch):
            rows = np.arange(lo, min(lo + batch, p))
            block = group_rows(csr, groups.take(rows), targets, cap)
            self.R[rows] = block[:, p:]
            i0, i1 = np.searchsorted(s_sorted, [rows[0], rows[-1] + 1])
            pick = order[i0:i1]
            self.od_d[pick] = block[od.s[pick] - lo, od.t[pick]]

    def distances(self, features: Iterable[int]) -> npt.NDArray[np.float64]:
        """OD distances with the links `features` built."""
        from scipy.sparse.csgraph import csgraph_from_dense, floyd_warshall

        chosen = np.isin(self.pf, list(features))
        if not chosen.any():
            return self.od_d
        D = self.B.copy()
        for a, b, w in zip(self.pa[chosen], self.pb[chosen], self.pw[chosen], strict=True):
            if w < D[a, b]:
                D[a, b] = D[b, a] = w
        D = floyd_warshall(csgraph_from_dense(D, null_value=np.inf), directed=False)
        X = np.full_like(self.R, np.inf)
        step = max(1, int(4e6 // max(self.R.size, 1)))
        for lo in range(0, D.shape[1], step):
            X[:, lo : lo + step] = (self.R[:, :, None] + D[None, :, lo : lo + step]).min(axis=1)
        via = np.full(len(self.od.s), np.inf)
        ostep = max(1, int(4e6 // max(D.shape[1], 1)))
        for lo in range(0, len(via), ostep):
            s, t = self.od.s[lo : lo + ostep], self.od.t[lo : lo + ostep]
            via[lo : lo + ostep] = (X[s] + self.R[t]).min(axis=1) if D.shape[1] else np.inf
        return np.asarray(np.minimum(self.od_d, via), dtype=np.float64)

    def objective(self, features: Iterable[int]) -> float:
        """Σ w · min(d, cap) (weighted metres) with `features` built."""
        return float(np.sum(self.od.w * np.minimum(self.distances(features), self.cap)))

    def trips_new(self, features: Iterable[int]) -> float:
        d = self.distances(features)
        return float(self.od.w[(self.od_d > self.cap) & (d <= self.cap)].sum())


def _build_order(
    ov: _Overlay, n: int, length: npt.NDArray[np.float64], by: str
) -> list[tuple[int, float]]:
    """Greedy order of the features: (feature, marginal gain in weighted metres)."""
    built_set: list[int] = []
    current = ov.objective([])
    out = []
    left = list(range(n))
    while left:
        gains = np.asarray([current - ov.objective([*built_set, f]) for f in left])
        crit = gains if by == "benefit" else gains / np.maximum(length[left], 1e-9)
        j = int(np.flatnonzero(crit == crit.max())[0])
        f = left.pop(j)
        built_set.append(f)
        current -= gains[j]
        out.append((f, float(gains[j])))
    return out


# --------------------------------------------------------------------------------------------
# the public function
# --------------------------------------------------------------------------------------------
def _layers(H: nx.MultiDiGraph, G_layer: Layer) -> tuple[Layer, Layer]:
    """Today's layer and the layer with the proposals, on the noded graph `H`."""
    sel = G_layer.selection
    after = greenway_layer(H, sel if sel == (ALL_BUILT,) else (*sel, PROPOSED_KIND))
    full = csr_of(H)
    proposed = (
        np.asarray(full.kinds, dtype=object)[np.asarray(full.arc_kind, dtype=np.int64)]
        == PROPOSED_KIND
    )
    before = Layer(
        mask=after.mask & ~proposed, selection=("before-proposals", *sel), fallback=G_layer.fallback
    )
    return before, after


def _map_access(access: PlaceAccess, G: nx.MultiDiGraph, H: nx.MultiDiGraph) -> PlaceAccess:
    """The same entries (today's), as node indexes of `H`."""
    ids = csr_of(G).node_ids[access.groups.nodes]
    g = access.groups
    return PlaceAccess(access.places, Groups(g.ptr, csr_of(H).index_of(ids), g.offs))


def evaluate_links(
    G: nx.MultiDiGraph,
    proposed: Any,
    *,
    layer: str | int | None = None,
    name_column: str | None = None,
    places: gpd.GeoDataFrame | None = None,
    greenway: str | Iterable[str] | None = None,
    snap_m: float = DEFAULT_SNAP_M,
    by: str = "benefit",
    cap_m: float = DEFAULT_CAP_M,
    park_pair_share: float = DEFAULT_PARK_PAIR_SHARE,
    pairs: str = "places",
    sample: int = DEFAULT_SAMPLE,
    buffer_m: float = DEFAULT_BUFFER_M,
) -> Evaluation:
    """Evaluate a scheme of proposed links: indicators before and after, link by link.

    Parameters
    ----------
    G
        A parcs graph.
    proposed
        The proposed links: a GeoDataFrame or GeoSeries of (Multi)LineStrings with a CRS,
        or the path of a GeoPackage, GeoJSON or Shapefile line layer (any CRS).
    layer
        The layer of a multi-layer file.
    name_column
        Column naming each link (default: ``name`` or ``nom`` when present).
    places
        Places table; default ``parcs.places(G)``, else a node sample (as
        :func:`parcs.missing_links`).
    greenway
        Which edges form today's network (as :func:`parcs.missing_links`); the proposed
        links join it.
    snap_m
        Line ends within this distance of a built edge (or of another proposed line) are
        joined to it; a feature farther than this from both is an error (m).
    by
        {"benefit", "benefit_per_km"}: the criterion of the suggested build order.
    cap_m, park_pair_share
        The objective, as in :func:`parcs.missing_links`.
    pairs
        Pairs of the indicators, as in :func:`parcs.metrics`.
    sample
        Layer nodes sampled when `G` has no places.
    buffer_m
        Buffer of the coverage indicators (m).

    Returns
    -------
    Evaluation
        The links table (named by their ends and commune), the indicators before and
        after, their side-by-side table, the objective and the noded graph.

    Raises
    ------
    ValidationError
        On a bad option, a layer without CRS, or a file with several layers and no `layer`.
    EmptyAreaError
        If the layer has no feature.
    DataError
        If the file is unreadable or a feature is not a line (each bad feature is named).
    SnapError
        If a feature lies farther than `snap_m` from the network and every other proposed
        link (each such feature is named).
    """
    snap = check_positive("snap_m", snap_m, unit="metres")
    cap = check_positive("cap_m", cap_m, unit="metres")
    share = check_positive("park_pair_share", park_pair_share, allow_zero=True)
    if by not in {"benefit", "benefit_per_km"}:
        msg = f"`by` must be one of ['benefit', 'benefit_per_km'], got {by!r}"
        raise ValidationError(msg)
    if pairs not in {"places", "nodes"}:
        msg = f"`pairs` must be one of ['places', 'nodes'], got {pairs!r}"
        raise ValidationError(msg)
    base_G = built(G, greenway=greenway)
    noded = node_proposals(G, proposed, snap_m=snap, layer=layer, name_column=name_column)
    H = noded.graph
    before_layer, after_layer = _layers(H, base_G.layer)
    access_g = place_access(G, base_G, places, sample=sample)
    access = _map_access(access_g, G, H)
    before_net = built(H, layer=before_layer)
    after_net = built(H, layer=after_layer)
    before = Context(
        G, access_g.places, pairs=pairs, buffer_m=buffer_m, access=access_g, base=base_G
    ).compute()
    after = Context(
        H, access.places, pairs=pairs, buffer_m=buffer_m, access=access, base=after_net
    ).compute()
    od = od_pairs(access.places, park_pair_share=share)
    n = len(noded.features)
    length = np.asarray(  # float64 with weights (numpy's stubs say int)
        np.bincount(
            noded.pieces["feature"].to_numpy(np.int64),
            weights=noded.pieces["length_m"].to_numpy(),
            minlength=n,
        ),
        dtype=np.float64,
    )
    ov = _Overlay(before_net, access, od, noded.pieces, cap)
    links = _links_table(noded, ov, length, by, access.places)
    table = pd.DataFrame({"before": before.to_dict(), "after": after.to_dict()}, dtype=object)
    table["change"] = [
        (a - b)
        if isinstance(a, (int, float)) and not isinstance(a, bool) and isinstance(b, (int, float))
        else ""
        for a, b in zip(table["after"], table["before"], strict=True)
    ]
    everything = list(range(n))
    out = Evaluation(
        links=links,
        before=before,
        after=after,
        table=table,
        objective_before=ov.objective([]) / 1000.0,
        objective_after=ov.objective(everything) / 1000.0,
        graph=H,
    )
    logger.info(
        "evaluate_links: %d proposed links (%.2f km), objective %.1f -> %.1f weighted km",
        n,
        float(length.sum()) / 1000.0,
        out.objective_before,
        out.objective_after,
    )
    return out


def _links_table(
    noded: Any,
    ov: _Overlay,
    length: npt.NDArray[np.float64],
    by: str,
    places: gpd.GeoDataFrame,
) -> gpd.GeoDataFrame:
    import geopandas as gpd

    n = len(noded.features)
    everything = list(range(n))
    base = ov.objective([])
    full = ov.objective(everything)
    alone = [base - ov.objective([f]) for f in everything]
    trips = [ov.trips_new([f]) for f in everything]
    last = [ov.objective([g for g in everything if g != f]) - full for f in everything]
    order = _build_order(ov, n, length, by)
    step = {f: (i + 1, gain) for i, (f, gain) in enumerate(order)}
    cum_km = np.cumsum([length[f] for f, _ in order]) / 1000.0
    cum_b = np.cumsum([g for _, g in order]) / 1000.0
    cum = {f: (cum_km[i], cum_b[i]) for i, (f, _) in enumerate(order)}
    geoms = noded.features.geometry.to_numpy()
    crs = noded.features.crs
    starts = shapely.get_point(shapely.line_merge(geoms), 0)
    ends = shapely.get_point(shapely.line_merge(geoms), -1)
    bad = shapely.is_missing(starts) | shapely.is_missing(ends)  # a MultiLineString left
    if bad.any():
        coords = [shapely.get_coordinates(g) for g in geoms[bad]]
        starts[bad] = [shapely.Point(c[0]) for c in coords]
        ends[bad] = [shapely.Point(c[-1]) for c in coords]
    df = pd.DataFrame(
        {
            "feature": np.arange(n, dtype=np.int64),
            "name": noded.features["name"].to_numpy(),
            "from_place": end_names(starts, places, crs=str(crs)),
            "to_place": end_names(ends, places, crs=str(crs)),
            "commune": commune_names(places, geoms),
            "length_m": length,
            "benefit_alone": np.asarray(alone) / 1000.0,
            "trips_new_alone": trips,
            "benefit_last": np.asarray(last) / 1000.0,
            "order": [step[f][0] for f in everything],
            "benefit_in_order": [step[f][1] / 1000.0 for f in everything],
            "cumulative_km": [cum[f][0] for f in everything],
            "cumulative_benefit": [cum[f][1] for f in everything],
        }
    )
    return gpd.GeoDataFrame(df, geometry=list(geoms), crs=crs)[_LINK_COLUMNS]
