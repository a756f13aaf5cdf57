"""Indicators of a greenway network, in the terms of the cycling-network literature.

:func:`metrics` measures the greenway layer of a graph (``parcs.links._built.greenway_layer``:
built edges of the greenway kinds or on a cycle route; gap connectors never count);
:func:`metrics_table` shows the indicators before and after each step of a
:func:`parcs.plan_links` plan. Every indicator is exact over the pairs it names (all pairs, or
the pairs of a seeded sample when ``sample`` is given). Definitions (``docs/missing-links.md``
has them with their sources):

Pairs
    ``pairs="places"``: the places of the graph (every kind in the table), each entering the
    network at its access nodes at the cost of the straight distance from its geometry to the
    node (``parcs.links._built.place_access``); ``straight`` = distance between the two
    geometries. ``pairs="nodes"``: the nodes of the layer (nodes with at least one layer
    edge), ``straight`` = Euclidean distance. Each unordered pair once; pairs with
    ``straight`` under 1 mm (touching places, coincident nodes) are left out. A graph without places
    falls back to ``pairs="nodes"`` on a seeded sample (``sample`` nodes, 200 by default).
``length_km``
    Total length of the layer's edges (each two-way edge once) plus any ``extra_edges``.
``n_nodes``, ``n_components``, ``largest_component_km``, ``largest_component_share``
    Connected components of the layer over its nodes (graph nodes without any layer edge are
    ignored), the km of the largest one (by length) and its share of ``length_km``.
``directness``
    ``Σ straight ÷ Σ network`` over the reachable pairs (Vybornova et al. 2022; Szell et al.
    2022); ``directness_lcc`` the same over the pairs inside the largest component (a place
    is in it when one of its access nodes is; its distances then use those nodes only).
``global_efficiency``
    ``E_glob = Σ 1/network ÷ Σ 1/straight`` over all pairs, unreachable pairs adding 0 to the
    numerator (Latora & Marchiori 2001, normalised by straight distance as in Szell et al.
    2022); ``global_efficiency_lcc`` on the largest component.
``local_efficiency``
    ``E_loc``: mean over the layer's nodes of the normalised efficiency of the subgraph
    induced by the node's neighbours (the node itself removed): ``Σ 1/d ÷ Σ 1/straight``
    over the ordered pairs of neighbours, ``d`` measured inside that subgraph; 0 for a node
    with fewer than two neighbours (Latora & Marchiori 2001; Szell et al. 2022).
``straightness``
    Mean of ``straight / network`` over all pairs, unreachable ones counting 0 (mean
    straightness, Vragović et al. 2005; what parcs called "efficiency" before).
``n_pairs``, ``n_reachable_pairs``
    Pairs used above (unordered, ``straight`` ≥ 1 mm) and how many are reachable.
``coverage_km2``
    Area of the union of the ``buffer_m`` buffers (500 m by default, shapely's round
    buffer) around the layer's edges.
``places_covered``, ``places_covered_share``
    Places (every kind but the node sample) whose geometry lies within ``buffer_m`` of a
    layer edge, and their share of ``n_places``.
``population_500m``, ``population_1km`` (and ``share_*``)
    Residents of the settlements (kinds of ``SETTLEMENT_KINDS``) within 500 m / 1 km of a
    layer edge: ``population × area(settlement ∩ buffer) / area(settlement)`` (residents
    assumed spread evenly over the settlement polygon); a settlement mapped as a point counts
    all its residents when the point lies within the distance.
``parks_5km_*``, ``parks_10km_*``
    Per settlement, the number of places of ``PARK_KINDS`` whose network distance is at most
    5 km / 10 km; mean and median; the table is kept in ``per_commune``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from parcs._kernels.components import connected_components
from parcs._kernels.local import MIN_STRAIGHT_M
from parcs._log import logger
from parcs._validate import check_count, check_positive
from parcs.errors import ValidationError
from parcs.links._built import (
    DEFAULT_SAMPLE,
    SAMPLE_KIND,
    SAMPLE_SEED,
    Built,
    Groups,
    PlaceAccess,
    built,
    get_places,
    group_rows,
    node_sample,
    place_access,
    row_batch,
)
from parcs.network.places import PARK_KINDS, SETTLEMENT_KINDS

if TYPE_CHECKING:
    import geopandas as gpd
    import networkx as nx
    import numpy.typing as npt

__all__ = ["DEFAULT_BUFFER_M", "Context", "NetworkMetrics", "metrics", "metrics_table"]

#: Buffer of the coverage indicators (m).
DEFAULT_BUFFER_M = 500.0
_POP_BUFFERS_M = (500.0, 1000.0)
_PARK_RADII_M = (5_000.0, 10_000.0)
_PAIRS = ("places", "nodes")
#: Straight distances of non-point places are kept for the next network state up to this size.
_STRAIGHT_CACHE_BYTES = 128 * 2**20


@dataclass(frozen=True)
class NetworkMetrics:
    """Indicators of a greenway network (the module docstring defines each one).

    Shares are fractions (0.37 = 37 %), lengths in km, areas in km². ``per_commune`` is a
    DataFrame (index = place slug, one row per settlement) with ``name``, ``population``,
    ``pop_500m``, ``pop_1km``, ``parks_5km``, ``parks_10km``; :meth:`to_dict` leaves it out.
    """

    pairs: str
    n_points: int
    sampled: bool
    length_km: float
    n_nodes: int
    n_components: int
    largest_component_km: float
    largest_component_share: float
    n_pairs: int
    n_reachable_pairs: int
    directness: float
    directness_lcc: float
    global_efficiency: float
    global_efficiency_lcc: float
    local_efficiency: float
    straightness: float
    buffer_m: float
    coverage_km2: float
    n_places: int
    places_covered: int
    places_covered_share: float
    population_total: float
    population_500m: float
    population_1km: float
    share_500m: float
    share_1km: float
    parks_5km_mean: float
    parks_5km_median: float
    parks_10km_mean: float
    parks_10km_median: float
    per_commune: pd.DataFrame = field(repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """Return the scalar indicators as a plain dict (JSON-ready: int, float, str, bool)."""
        out = asdict(self)
        out.pop("per_commune")
        clean: dict[str, Any] = {}
        for k, v in out.items():
            if isinstance(v, (bool, np.bool_, str)):
                clean[k] = v if isinstance(v, str) else bool(v)
            elif isinstance(v, (int, np.integer)):
                clean[k] = int(v)
            else:
                clean[k] = float(v)
        return clean


# --------------------------------------------------------------------------------------------
# the pairs
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Points:
    """The places or nodes whose pairs are measured."""

    groups: Groups
    geoms: npt.NDArray[Any]
    xy: npt.NDArray[np.float64]  # a representative point (exact for point geometries)
    is_point: npt.NDArray[np.bool_]
    sampled: bool
    kind: str  # "places" or "nodes"
    # key (first row, last row, start): `straight` is called with contiguous row ranges
    _cache: dict[tuple[int, int, int], npt.NDArray[np.float64]] = field(
        default_factory=dict, repr=False
    )

    def __len__(self) -> int:
        return len(self.groups)

    def straight(self, rows: npt.NDArray[np.int64], start: int = 0) -> npt.NDArray[np.float64]:
        """Straight distances from the points `rows` to the points ``start:``.

        Points use numpy; a pair with a polygon or a line uses shapely (slow: blocks of a
        small table are cached, see :data:`_STRAIGHT_CACHE_BYTES`).
        """
        key = (int(rows[0]), int(rows[-1]), start) if len(rows) else (0, -1, start)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        xy = self.xy[start:]
        out = np.hypot(
            self.xy[rows, 0][:, None] - xy[None, :, 0], self.xy[rows, 1][:, None] - xy[None, :, 1]
        )
        if not self.is_point.all():
            geoms = self.geoms[start:]
            rp = ~self.is_point[rows]
            if rp.any():
                out[rp] = shapely.distance(self.geoms[rows[rp]][:, None], geoms[None, :])
            cols = np.flatnonzero(~self.is_point[start:])
            pr = np.flatnonzero(~rp)
            if len(cols) and len(pr):
                out[np.ix_(pr, cols)] = shapely.distance(
                    self.geoms[rows[pr]][:, None], geoms[None, cols]
                )
            if len(self) ** 2 * 8 <= _STRAIGHT_CACHE_BYTES:
                self._cache[key] = out
        return np.asarray(out, dtype=np.float64)


def _points_of_places(access: PlaceAccess, rows: npt.NDArray[np.int64] | None) -> _Points:
    geoms = access.places.geometry.to_numpy()
    groups = access.groups
    sampled = rows is not None
    if rows is not None:
        geoms, groups = geoms[rows], groups.take(rows)
    geoms = np.asarray(geoms, dtype=object)
    is_point = np.asarray(shapely.get_type_id(geoms) == 0, dtype=bool)
    rep = shapely.point_on_surface(geoms)
    xy = shapely.get_coordinates(rep) if len(geoms) else np.zeros((0, 2))
    return _Points(groups, geoms, xy, is_point, sampled, "places")


def _points_of_nodes(net: Built, ids: npt.NDArray[np.int64], *, sampled: bool) -> _Points:
    csr = net.csr
    idx = csr.index_of(ids) if len(ids) else np.zeros(0, np.int64)
    xy = np.column_stack([csr.x[idx], csr.y[idx]])
    geoms = np.asarray(shapely.points(xy), dtype=object) if len(idx) else np.zeros(0, object)
    return _Points(Groups.single(idx), geoms, xy, np.ones(len(idx), bool), sampled, "nodes")


def _draw(n: int, sample: int | None, seed: int) -> npt.NDArray[np.int64] | None:
    if sample is None or sample >= n:
        return None
    return np.sort(np.random.default_rng(seed).choice(n, size=sample, replace=False))


# --------------------------------------------------------------------------------------------
# the context: what stays fixed while links are added
# --------------------------------------------------------------------------------------------
class Context:
    """What stays fixed while links are added: places, access, pairs, base network, buffers.

    Used by :func:`metrics`, :func:`metrics_table` and :func:`parcs.evaluate_links` (which
    passes its own `access` and `base`); :meth:`compute` measures one network state.
    """

    def __init__(
        self,
        G: nx.MultiDiGraph,
        places: gpd.GeoDataFrame | None,
        *,
        pairs: str = "places",
        sample: int | None = None,
        seed: int = SAMPLE_SEED,
        greenway: str | Iterable[str] | None = None,
        buffer_m: float = DEFAULT_BUFFER_M,
        access: PlaceAccess | None = None,
        base: Built | None = None,
    ) -> None:
        self.G = G
        self.buffer_m = buffer_m
        self.base = built(G, greenway=greenway) if base is None else base
        table = places if places is not None else G.graph.get("parcs_places")
        if access is not None:
            self.access: PlaceAccess | None = access
        elif table is not None:
            self.access = place_access(G, self.base, get_places(G, table))
        else:
            self.access = None
        self.points = self._points(pairs, sample, seed)
        self._setup_places()
        self._buffers: dict[float, Any] = {}

    def _points(self, pairs: str, sample: int | None, seed: int) -> _Points:
        if pairs == "places" and self.access is not None:
            return _points_of_places(self.access, _draw(len(self.access.places), sample, seed))
        if pairs == "places":
            n = DEFAULT_SAMPLE if sample is None else sample
            logger.info(
                "metrics: no places on this graph; measuring node pairs of a sample of %d "
                "greenway nodes (seed %d)",
                n,
                seed,
            )
            table = node_sample(self.G, n, net=self.base, seed=seed)
            ids = np.asarray([a[0] for a in table["access_nodes"]], dtype=np.int64)
            return _points_of_nodes(self.base, ids, sampled=True)
        ids = np.sort(self.base.csr.node_ids[self.base.on_network])
        rows = _draw(len(ids), sample, seed)
        return _points_of_nodes(
            self.base, ids if rows is None else ids[rows], sampled=rows is not None
        )

    def _setup_places(self) -> None:
        empty = np.zeros(0, np.int64)
        if self.access is None:
            self.communes = self.parks = self.counted = empty
            self.pl = None
            return
        pl = self.access.places
        self.pl = pl
        kind = pl["kind"].to_numpy()
        self.communes = np.flatnonzero(np.isin(kind, list(SETTLEMENT_KINDS)))
        self.parks = np.flatnonzero(np.isin(kind, list(PARK_KINDS)))
        self.counted = np.flatnonzero(kind != SAMPLE_KIND)
        geoms = pl.geometry.to_numpy()
        self.commune_geoms = geoms[self.communes]
        self.commune_area = np.asarray(shapely.area(self.commune_geoms), dtype=np.float64)
        self.pop = pl["population"].fillna(0).to_numpy(dtype=np.float64)[self.communes]
        # the pairs are the whole places table: settlement -> park rows come with them
        self.same_table = self.points.kind == "places" and not self.points.sampled

    # ------------------------------------------------------------------ one network state
    def compute(
        self, extra_edges: Sequence[Sequence[Any]] | None = None, *, net: Built | None = None
    ) -> NetworkMetrics:
        if net is None:
            net = (
                built(self.G, extra_edges=extra_edges, layer=self.base.layer)
                if extra_edges
                else self.base
            )
        comp = _components(net)
        sums, cp = _pair_sums(net, self.points, comp["lcc_nodes"], self._cp_rows())
        if cp is None:
            cp = self._cp_direct(net)
        cover = self._coverage(net)
        eff = _local_efficiency(net)
        return self._assemble(net, comp, sums, cp, cover, eff)

    def _cp_rows(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]] | None:
        if self.access is None or not self.same_table:
            return None
        return self.communes, self.parks

    def _cp_direct(self, net: Built) -> npt.NDArray[np.float64]:
        if self.access is None or not len(self.communes) or not len(self.parks):
            return np.full((len(self.communes), len(self.parks)), np.inf)
        g = self.access.groups
        return group_rows(net.csr, g.take(self.communes), g.take(self.parks), max(_PARK_RADII_M))

    def _union(self, net: Built, d: float) -> Any:
        """Union of the `d` buffers of the edges of `net` (the base part is cached)."""
        n_base = len(self.base.geoms)
        if d not in self._buffers:
            g = self.base.geoms
            self._buffers[d] = shapely.union_all(shapely.buffer(g, d)) if len(g) else None
        buf = self._buffers[d]
        extra = net.geoms[n_base:] if net is not self.base else net.geoms[:0]
        if len(extra):
            more = shapely.union_all(shapely.buffer(extra, d))
            buf = more if buf is None else shapely.union(buf, more)
        return buf

    def _coverage(self, net: Built) -> dict[str, Any]:
        union = self._union(net, self.buffer_m)
        area = float(shapely.area(union)) / 1e6 if union is not None else 0.0
        out: dict[str, Any] = {"coverage_km2": area, "covered": 0, "pop": {}}
        if self.access is None:
            return out
        geoms = self.access.places.geometry.to_numpy()  # self.pl
        if len(self.counted) and len(net.geoms):
            tree = shapely.STRtree(net.geoms)
            hit, _ = tree.query(geoms[self.counted], predicate="dwithin", distance=self.buffer_m)
            out["covered"] = len(np.unique(hit))
        for d in _POP_BUFFERS_M:
            out["pop"][d] = self._population(net, d)
        return out

    def _population(self, net: Built, d: float) -> npt.NDArray[np.float64]:
        share = np.zeros(len(self.communes))
        if not len(self.communes) or not len(net.geoms):
            return share
        poly = self.commune_area > 0
        if (~poly).any():
            tree = shapely.STRtree(net.geoms)
            hit, _ = tree.query(self.commune_geoms[~poly], predicate="dwithin", distance=d)
            pts = np.zeros((~poly).sum(), bool)
            pts[hit] = True
            share[~poly] = pts
        if poly.any():
            buf = self._union(net, d)
            inter = np.asarray(shapely.area(shapely.intersection(self.commune_geoms[poly], buf)))
            share[poly] = inter / self.commune_area[poly]
        return np.asarray(self.pop * np.clip(share, 0.0, 1.0), dtype=np.float64)

    def _assemble(
        self,
        net: Built,
        comp: dict[str, Any],
        s: dict[str, float],
        cp: npt.NDArray[np.float64],
        cover: dict[str, Any],
        eff: float,
    ) -> NetworkMetrics:
        parks_in = {r: (cp <= r).sum(axis=1).astype(np.int64) for r in _PARK_RADII_M}
        pop = cover["pop"]
        zeros = np.zeros(len(self.communes))
        pl = self.pl
        names = (
            pl["name"].to_numpy()[self.communes]
            if pl is not None and "name" in pl
            else (pl.index[self.communes] if pl is not None else np.zeros(0, object))
        )
        per_commune = pd.DataFrame(
            {
                "name": names,
                "population": self.pop if pl is not None else zeros,
                "pop_500m": pop.get(500.0, zeros),
                "pop_1km": pop.get(1000.0, zeros),
                "parks_5km": parks_in[5_000.0],
                "parks_10km": parks_in[10_000.0],
            },
            index=pl.index[self.communes] if pl is not None else pd.Index([], name="place_id"),
        )
        total_pop = float(per_commune["population"].sum())
        n_places = len(self.counted)
        km = comp["length_km"]

        def ratio(a: float, b: float) -> float:
            return a / b if b > 0 else math.nan

        def stat(values: npt.NDArray[Any], fn: Any) -> float:
            return float(fn(values)) if len(values) else math.nan

        p500, p1k = float(per_commune["pop_500m"].sum()), float(per_commune["pop_1km"].sum())
        return NetworkMetrics(
            pairs=self.points.kind,
            n_points=len(self.points),
            sampled=self.points.sampled,
            length_km=km,
            n_nodes=comp["n_nodes"],
            n_components=comp["n_components"],
            largest_component_km=comp["largest_km"],
            largest_component_share=ratio(comp["largest_km"], km),
            n_pairs=int(s["n"]),
            n_reachable_pairs=int(s["n_reach"]),
            directness=ratio(s["s_reach"], s["d_reach"]) if s["n_reach"] else math.nan,
            directness_lcc=ratio(s["s_lcc"], s["d_lcc"]) if s["n_lcc"] else math.nan,
            global_efficiency=ratio(s["inv_d"], s["inv_s"]),
            global_efficiency_lcc=ratio(s["inv_d_lcc"], s["inv_s_lcc"]),
            local_efficiency=eff,
            straightness=ratio(s["ratio"], s["n"]),
            buffer_m=self.buffer_m,
            coverage_km2=cover["coverage_km2"],
            n_places=n_places,
            places_covered=int(cover["covered"]),
            places_covered_share=ratio(cover["covered"], n_places),
            population_total=total_pop,
            population_500m=p500,
            population_1km=p1k,
            share_500m=ratio(p500, total_pop),
            share_1km=ratio(p1k, total_pop),
            parks_5km_mean=stat(parks_in[5_000.0], np.mean),
            parks_5km_median=stat(parks_in[5_000.0], np.median),
            parks_10km_mean=stat(parks_in[10_000.0], np.mean),
            parks_10km_median=stat(parks_in[10_000.0], np.median),
            per_commune=per_commune,
        )


def _components(net: Built) -> dict[str, Any]:
    csr = net.csr
    on = net.on_network
    labels = np.asarray(connected_components(csr.indptr, csr.indices, csr.tails, csr.n_nodes))
    comp_km = np.bincount(labels[net.seg_u], weights=net.seg_len, minlength=csr.n_nodes) / 1000.0
    n_comp = len(np.unique(labels[on]))
    if n_comp:
        present = np.bincount(labels[on], minlength=csr.n_nodes) > 0
        km = np.where(present, comp_km, -1.0)
        tied = np.flatnonzero(km == km.max())  # ties: the component with the smallest node id
        first_id = pd.Series(csr.node_ids[on]).groupby(labels[on]).min()
        best = int(tied[np.argmin(first_id.loc[tied].to_numpy())])
        lcc_nodes = on & (labels == best)
        largest = float(comp_km[best])
    else:
        lcc_nodes = np.zeros(csr.n_nodes, bool)
        largest = 0.0
    return {
        "length_km": float(net.seg_len.sum()) / 1000.0,
        "n_nodes": int(on.sum()),
        "n_components": int(n_comp),
        "largest_km": largest,
        "lcc_nodes": lcc_nodes,
    }


def _local_efficiency(net: Built) -> float:
    from parcs._kernels.local import local_efficiency

    csr = net.csr
    eff = np.asarray(local_efficiency(csr.indptr, csr.indices, csr.weights["length"], csr.x, csr.y))
    on = net.on_network
    return float(eff[on].mean()) if on.any() else math.nan


_SUM_KEYS = (
    "n",
    "n_reach",
    "s_reach",
    "d_reach",
    "inv_d",
    "inv_s",
    "ratio",
    "n_lcc",
    "s_lcc",
    "d_lcc",
    "inv_d_lcc",
    "inv_s_lcc",
)


def _pair_sums(
    net: Built,
    pts: _Points,
    lcc_nodes: npt.NDArray[np.bool_],
    cp_rows: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]] | None,
) -> tuple[dict[str, float], npt.NDArray[np.float64] | None]:
    """Stream the distance rows of every pair (unordered, straight ≥ 1 mm) into sums.

    Memory: one batch of rows (``row_batch``) at a time, never the p × p matrix. When
    `cp_rows` = (settlements, parks) and the points are the whole places table, the
    settlement → park distances are taken from the rows on the way.
    """
    sums = dict.fromkeys(_SUM_KEYS, 0.0)
    p = len(pts)
    cp = None
    if cp_rows is not None:
        cp = np.full((len(cp_rows[0]), len(cp_rows[1])), np.inf)
        commune_row = np.full(p, -1, dtype=np.int64)
        commune_row[cp_rows[0]] = np.arange(len(cp_rows[0]))
    if p < 2:
        return sums, cp
    lcc_groups = pts.groups.restrict(lcc_nodes)
    in_lcc = np.diff(lcc_groups.ptr) > 0
    # a point entering at one node is in one component: its LCC distances are its distances
    single = bool((np.diff(pts.groups.ptr) <= 1).all())
    targets = pts.groups if single else Groups.concat(pts.groups, lcc_groups)
    batch = row_batch(len(targets))
    cols = np.arange(p)
    for lo in range(0, p, batch):
        rows = np.arange(lo, min(lo + batch, p))
        dist = group_rows(net.csr, pts.groups.take(rows), targets, math.inf)
        if cp is not None and cp_rows is not None:  # set together
            hit = commune_row[rows] >= 0
            cp[commune_row[rows[hit]]] = dist[np.ix_(np.flatnonzero(hit), cp_rows[1])]
        d = dist[:, lo:p]  # pairs (i, j > i) only: columns from the batch's first row on
        d_lcc = d if single else dist[:, p + lo :]
        _accumulate(sums, d, d_lcc, pts.straight(rows, lo), rows, cols[lo:], in_lcc)
    return sums, cp


def _accumulate(
    sums: dict[str, float],
    d: npt.NDArray[np.float64],
    d_lcc: npt.NDArray[np.float64],
    s: npt.NDArray[np.float64],
    rows: npt.NDArray[np.int64],
    cols: npt.NDArray[np.int64],
    in_lcc: npt.NDArray[np.bool_],
) -> None:
    upper = cols[None, :] > rows[:, None]
    valid = upper & (s >= MIN_STRAIGHT_M)
    reach = valid & np.isfinite(d) & (d > 0)
    sv, dv = s[reach], d[reach]
    sums["n"] += int(valid.sum())
    sums["n_reach"] += int(reach.sum())
    sums["s_reach"] += float(sv.sum())
    sums["d_reach"] += float(dv.sum())
    sums["inv_d"] += float((1.0 / dv).sum())
    sums["inv_s"] += float((1.0 / s[valid]).sum())
    sums["ratio"] += float((sv / dv).sum())
    lcc = valid & in_lcc[rows][:, None] & in_lcc[cols][None, :]
    sl, dl = s[lcc], d_lcc[lcc]
    ok = np.isfinite(dl) & (dl > 0)
    sums["n_lcc"] += int(lcc.sum())
    sums["s_lcc"] += float(sl[ok].sum())
    sums["d_lcc"] += float(dl[ok].sum())
    sums["inv_d_lcc"] += float((1.0 / dl[ok]).sum())
    sums["inv_s_lcc"] += float((1.0 / sl).sum())


# --------------------------------------------------------------------------------------------
# public functions
# --------------------------------------------------------------------------------------------
def _check(
    pairs: str, sample: int | None, seed: int, buffer_m: float
) -> tuple[int | None, int, float]:
    if pairs not in _PAIRS:
        msg = f"`pairs` must be one of {list(_PAIRS)}, got {pairs!r}"
        raise ValidationError(msg)
    smp = None if sample is None else check_count("sample", sample, lo=2)
    sd = check_count("seed", seed, lo=0)
    buf = check_positive("buffer_m", buffer_m, unit="metres")
    return smp, sd, buf


def metrics(
    G: nx.MultiDiGraph,
    *,
    places: gpd.GeoDataFrame | None = None,
    pairs: str = "places",
    sample: int | None = None,
    seed: int = SAMPLE_SEED,
    extra_edges: Iterable[Sequence[Any]] | None = None,
    greenway: str | Iterable[str] | None = None,
    buffer_m: float = DEFAULT_BUFFER_M,
) -> NetworkMetrics:
    """Compute the indicators of the greenway network of `G`.

    Parameters
    ----------
    G
        A parcs graph (``docs/graph-format.md``).
    places
        Places table; default ``parcs.places(G)``.
    pairs
        {"places", "nodes"}: measure directness and efficiencies over the pairs of places
        (entering at their access nodes) or of the layer's nodes. A graph without places
        measures a seeded sample of node pairs (`sample` nodes, 200 by default; logged).
    sample
        None: every pair (exact). An integer k: the pairs of k places or nodes drawn without
        replacement with ``numpy.random.default_rng(seed)`` (from the table's rows, or the
        layer's node ids in increasing order).
    seed
        Seed of the sample.
    extra_edges
        Links ``(u, v, length_m)`` or ``(u, v, length_m, geometry)`` (node ids) to count as
        part of the network, e.g. a plan's links; without a geometry, the straight line
        between the nodes (it matters for the coverage indicators only).
    greenway
        Which edges form the network: None (cavalier, towpath, cycleway, eurovelo and
        cycle-route members; every built edge when none is), ``"all"`` or a list of kinds
        (``"routes"`` for route members); see ``docs/missing-links.md``.
    buffer_m
        Buffer of ``coverage_km2`` and ``places_covered`` (m).

    Returns
    -------
    NetworkMetrics
        Scalar indicators (:meth:`NetworkMetrics.to_dict`) and the per-commune table;
        definitions in the module docstring.

    Raises
    ------
    ValidationError
        On a bad option, a places table without the needed columns, or an invalid extra
        edge.
    """
    smp, sd, buf = _check(pairs, sample, seed, buffer_m)
    ctx = Context(G, places, pairs=pairs, sample=smp, seed=sd, greenway=greenway, buffer_m=buf)
    out = ctx.compute(list(extra_edges) if extra_edges is not None else None)
    logger.info(
        "metrics: %.1f km, %d components, directness %.3f, E_glob %.3f (%d %s pairs)",
        out.length_km,
        out.n_components,
        out.directness,
        out.global_efficiency,
        out.n_pairs,
        out.pairs,
    )
    return out


def metrics_table(
    G: nx.MultiDiGraph,
    plan: pd.DataFrame,
    *,
    places: gpd.GeoDataFrame | None = None,
    pairs: str = "places",
    sample: int | None = None,
    seed: int = SAMPLE_SEED,
    greenway: str | Iterable[str] | None = None,
    buffer_m: float = DEFAULT_BUFFER_M,
) -> pd.DataFrame:
    """Return the indicators before and after each step of a link plan, side by side.

    Parameters
    ----------
    G
        The parcs graph the plan was made on.
    plan
        Output of :func:`parcs.plan_links` (columns ``u``, ``v``, ``length_m``).
    places, pairs, sample, seed, greenway, buffer_m
        As in :func:`metrics`.

    Returns
    -------
    pandas.DataFrame
        One row per indicator (:meth:`NetworkMetrics.to_dict` keys), columns ``before``,
        ``step 1``, ..., ``step N`` (links of steps 1..k built, drawn with the plan's
        geometries: a connection follows its road).
    """
    smp, sd, buf = _check(pairs, sample, seed, buffer_m)
    ctx = Context(G, places, pairs=pairs, sample=smp, seed=sd, greenway=greenway, buffer_m=buf)
    geoms = (
        plan.geometry.to_numpy()
        if hasattr(plan, "geometry") and "geometry" in plan
        else [None] * len(plan)
    )
    edges = list(
        zip(
            plan["u"].astype(int),
            plan["v"].astype(int),
            plan["length_m"].astype(float),
            geoms,
            strict=True,
        )
    )
    cols = {"before": ctx.compute(None).to_dict()}
    for k in range(len(edges)):
        cols[f"step {k + 1}"] = ctx.compute(edges[: k + 1]).to_dict()
    return pd.DataFrame(cols, dtype=object)
