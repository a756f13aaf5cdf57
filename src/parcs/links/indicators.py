"""Indicators of the BUILT greenway network (gap connectors excluded).

:func:`metrics` measures one network; :func:`metrics_table` shows the indicators before and
after each step of a :func:`parcs.plan_links` plan, side by side. Definitions (also in
``docs/missing-links.md``):

``km_built``
    Total length of built edges (each two-way edge once) plus any ``extra_edges``, in km.
``n_components``, ``largest_component_km``, ``largest_component_share``
    Connected components of the built network (nodes touching at least one built edge), the
    km of the largest one and its share of ``km_built``.
``directness``
    ``Σ straight / Σ network`` over ALL unordered pairs of places (every kind in the table:
    communes or towns, parks, terrils, forests, stations...; the node sample of a graph
    without places, see below) that are reachable from each other and whose polygons do not touch (straight > 0).
    ``straight`` = distance between the two place polygons; ``network`` = built-network
    distance between them, entering each place at its access nodes at the cost of the
    polygon-to-node distance (``parcs.links._built.place_access``). Exact (no sampling); by the
    triangle inequality it lies in ``(0, 1]``.
``efficiency``
    Global efficiency normalised by straight distance (Latora & Marchiori 2001; Vragović et
    al. 2005): the mean over the same pairs (straight > 0), *including unreachable ones*
    which count 0, of ``straight / network``. 1 = every place pair joined by a straight
    greenway; it falls when pairs are disconnected or detours are long.
``population_500m``, ``population_1km`` (and ``share_*``)
    Residents of the settlements (kinds of ``SETTLEMENT_KINDS``: Artois communes, OSM
    towns) within 500 m / 1 km of a built greenway. No population grid is embedded, so
    residents are assumed spread evenly over each settlement polygon (areal weighting):
    ``population * area(settlement ∩ buffer) / area(settlement)``; a settlement mapped as a
    point (an OSM ``place`` node) counts all its residents when the point lies in the buffer,
    none otherwise. This is an assumption; real population is concentrated in built-up
    areas. Settlements without a population count 0 here.
``parks_5km_mean``/``_median``, ``parks_10km_mean``/``_median``
    Per settlement, the number of places of ``PARK_KINDS`` (terrils, espaces néo-naturels,
    parks, nature areas, forests) whose network distance (as above) is at most 5 km / 10 km
    along built greenways; the per-settlement table is kept in ``per_commune``.

On a graph without places (and ``places=None``), the places are a sample of built-network
nodes (``sample`` of them, fixed seed; ``parcs.links._built.get_places``): directness and
efficiency are measured over their pairs, and the population and park indicators, which need
settlements, are 0 or NaN.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from parcs._log import logger
from parcs._kernels.components import connected_components
from parcs.links._built import (
    DEFAULT_SAMPLE,
    Built,
    PlaceAccess,
    built,
    get_places,
    place_access,
    place_matrix,
    rows,
)
from parcs.network.places import PARK_KINDS, SETTLEMENT_KINDS

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    import geopandas as gpd
    import networkx as nx
    import numpy.typing as npt

__all__ = ["NetworkMetrics", "metrics", "metrics_table"]

_BUFFERS_M = (500.0, 1000.0)
_PARK_RADII_M = (5_000.0, 10_000.0)


@dataclass(frozen=True)
class NetworkMetrics:
    """Indicators of a built greenway network (see the module docstring for definitions).

    ``per_commune`` is a DataFrame (index = place slug, one row per settlement) with ``name``, ``population``,
    ``pop_500m``, ``pop_1km``, ``parks_5km``, ``parks_10km``; :meth:`to_dict` leaves it out.
    """

    km_built: float
    n_components: int
    largest_component_km: float
    largest_component_share: float
    directness: float
    efficiency: float
    n_place_pairs: int
    n_reachable_pairs: int
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

    def to_dict(self) -> dict[str, float | int]:
        """Return the scalar indicators as a plain dict (JSON-ready)."""
        out = asdict(self)
        out.pop("per_commune")
        return {
            k: (int(v) if isinstance(v, (int, np.integer)) else float(v)) for k, v in out.items()
        }


class _Context:
    """What stays fixed while links are added: places, access, straight distances, buffers."""

    def __init__(
        self, G: nx.MultiDiGraph, places: gpd.GeoDataFrame | None, *, sample: int = DEFAULT_SAMPLE
    ) -> None:
        self.G = G
        self.base = built(G)
        self.access: PlaceAccess = place_access(
            G, self.base, get_places(G, places, sample=sample)
        )
        pl = self.access.places
        geoms = pl.geometry.to_numpy()
        p = len(pl)
        iu, ju = np.triu_indices(p, k=1)
        self.iu, self.ju = iu, ju
        self.straight = np.asarray(shapely.distance(geoms[iu], geoms[ju]), dtype=np.float64)
        kind = pl["kind"].to_numpy()
        self.communes = np.flatnonzero(np.isin(kind, list(SETTLEMENT_KINDS)))
        self.parks = np.flatnonzero(np.isin(kind, list(PARK_KINDS)))
        self.commune_geoms = geoms[self.communes]
        self.commune_area = np.asarray(shapely.area(self.commune_geoms), dtype=np.float64)
        self.commune_polygonal = self.commune_area > 0  # else a point (or a line)
        self.pop = pl["population"].fillna(0).to_numpy(dtype=np.float64)[self.communes]
        self.base_buffers = {
            d: shapely.union_all(shapely.buffer(self.base.geoms, d))
            if len(self.base.geoms)
            else None
            for d in _BUFFERS_M
        }

    def _covered(self, net: Built, n_base: int, d: float) -> npt.NDArray[np.float64]:
        buf = self.base_buffers[d]
        extra = net.geoms[n_base:]
        if len(extra):
            more = shapely.union_all(shapely.buffer(extra, d))
            buf = more if buf is None else shapely.union(buf, more)
        if buf is None:
            return np.zeros(len(self.communes))
        poly = self.commune_polygonal
        share = np.zeros(len(self.communes))
        inter = np.asarray(
            shapely.area(shapely.intersection(self.commune_geoms[poly], buf)), dtype=np.float64
        )
        share[poly] = inter / self.commune_area[poly]
        share[~poly] = shapely.intersects(self.commune_geoms[~poly], buf)
        return np.asarray(self.pop * np.clip(share, 0.0, 1.0), dtype=np.float64)

    def compute(self, extra_edges: Sequence[Sequence[Any]] | None = None) -> NetworkMetrics:
        net = built(self.G, extra_edges=extra_edges) if extra_edges else self.base
        csr = net.csr
        n_base = len(self.base.geoms)
        km_built = float(net.seg_len.sum()) / 1000.0
        labels = np.asarray(connected_components(csr.indptr, csr.indices, csr.tails, csr.n_nodes))
        on_built = np.diff(csr.indptr) > 0
        n_comp = len(np.unique(labels[on_built]))
        comp_km = np.bincount(labels[net.seg_u], weights=net.seg_len, minlength=csr.n_nodes) / 1000.0
        largest = float(comp_km.max()) if len(comp_km) else 0.0
        pm = place_matrix(self.access, rows(net, self.access.sources, math.inf))
        network = pm[self.iu, self.ju]
        valid = self.straight > 0
        reach = valid & np.isfinite(network)
        directness = (
            float(self.straight[reach].sum() / network[reach].sum())
            if reach.any() and network[reach].sum() > 0
            else math.nan
        )
        ratio = np.zeros(len(network))
        ratio[reach] = self.straight[reach] / np.maximum(network[reach], 1e-12)
        efficiency = float(ratio[valid].mean()) if valid.any() else math.nan
        cov = {d: self._covered(net, n_base, d) for d in _BUFFERS_M}
        cp = pm[np.ix_(self.communes, self.parks)]
        parks_in = {r: (cp <= r).sum(axis=1).astype(np.int64) for r in _PARK_RADII_M}
        pl = self.access.places
        per_commune = pd.DataFrame(
            {
                "name": pl["name"].to_numpy()[self.communes]
                if "name" in pl
                else pl.index[self.communes],
                "population": self.pop,
                "pop_500m": cov[500.0],
                "pop_1km": cov[1000.0],
                "parks_5km": parks_in[5_000.0],
                "parks_10km": parks_in[10_000.0],
            },
            index=pl.index[self.communes],
        )
        total_pop = float(self.pop.sum())

        def _stat(values: npt.NDArray[Any], fn: Any) -> float:  # noqa: ANN401
            return float(fn(values)) if len(values) else math.nan

        return NetworkMetrics(
            km_built=km_built,
            n_components=int(n_comp),
            largest_component_km=largest,
            largest_component_share=largest / km_built if km_built > 0 else math.nan,
            directness=directness,
            efficiency=efficiency,
            n_place_pairs=int(valid.sum()),
            n_reachable_pairs=int(reach.sum()),
            population_total=total_pop,
            population_500m=float(cov[500.0].sum()),
            population_1km=float(cov[1000.0].sum()),
            share_500m=float(cov[500.0].sum() / total_pop) if total_pop > 0 else math.nan,
            share_1km=float(cov[1000.0].sum() / total_pop) if total_pop > 0 else math.nan,
            parks_5km_mean=_stat(parks_in[5_000.0], np.mean),
            parks_5km_median=_stat(parks_in[5_000.0], np.median),
            parks_10km_mean=_stat(parks_in[10_000.0], np.mean),
            parks_10km_median=_stat(parks_in[10_000.0], np.median),
            per_commune=per_commune,
        )


def metrics(
    G: nx.MultiDiGraph,
    *,
    places: gpd.GeoDataFrame | None = None,
    extra_edges: Iterable[Sequence[Any]] | None = None,
    sample: int = DEFAULT_SAMPLE,
) -> NetworkMetrics:
    """Compute the indicators of the built greenway network of `G`.

    Parameters
    ----------
    G
        A parcs graph (``docs/graph-format.md``); only ``built=True`` edges count.
    places
        Places table; default ``parcs.places(G)``; a graph without places is measured on
        `sample` nodes of its built network (module docstring, logged).
    extra_edges
        Links ``(u, v, length_m)`` (node ids) to count as built, e.g. a plan's links; their
        geometry is the straight line between the nodes.
    sample
        Number of sampled nodes when `G` has no places and `places` is None.

    Returns
    -------
    NetworkMetrics
        Scalar indicators (:meth:`NetworkMetrics.to_dict`) and the per-commune table;
        definitions in the module docstring.

    Raises
    ------
    ValidationError
        If `places` lacks a needed column, `sample` is not a positive integer, or an extra
        edge is invalid.
    """
    ctx = _Context(G, places, sample=sample)
    out = ctx.compute(list(extra_edges) if extra_edges is not None else None)
    logger.info(
        "metrics: %.1f km built, %d components, directness %.3f",
        out.km_built,
        out.n_components,
        out.directness,
    )
    return out


def metrics_table(
    G: nx.MultiDiGraph,
    plan: pd.DataFrame,
    *,
    places: gpd.GeoDataFrame | None = None,
    sample: int = DEFAULT_SAMPLE,
) -> pd.DataFrame:
    """Return the indicators before and after each step of a link plan, side by side.

    Parameters
    ----------
    G
        The parcs graph the plan was made on.
    plan
        Output of :func:`parcs.plan_links` (columns ``u``, ``v``, ``length_m``).
    places
        Places table; default ``parcs.places(G)``, else a node sample (as :func:`metrics`).
    sample
        Number of sampled nodes when `G` has no places and `places` is None.

    Returns
    -------
    pandas.DataFrame
        One row per indicator (:meth:`NetworkMetrics.to_dict` keys), columns ``before``,
        ``step 1``, ..., ``step N`` (links of steps 1..k built).
    """
    ctx = _Context(G, places, sample=sample)
    edges = list(
        zip(
            plan["u"].astype(int),
            plan["v"].astype(int),
            plan["length_m"].astype(float),
            strict=True,
        )
    )
    cols = {"before": ctx.compute(None).to_dict()}
    for k in range(len(edges)):
        cols[f"step {k + 1}"] = ctx.compute(edges[: k + 1]).to_dict()
    return pd.DataFrame(cols, dtype=object)
