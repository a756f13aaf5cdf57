"""Plan which missing links to build first: a greedy growth within a length budget.

After Szell et al. (2022, *Growing urban bicycle networks*): at each step the candidate of
:func:`parcs.missing_links` with the largest exact marginal benefit that still fits is built,
the distance arrays are updated exactly and every candidate is rescored.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from parcs._log import logger
from parcs._validate import check_positive
from parcs.errors import ValidationError
from parcs.links._built import DEFAULT_SAMPLE, built, od_pairs, place_access
from parcs.links._names import commune_names, end_names
from parcs.links.candidates import DEFAULT_CAP_M, DEFAULT_PARK_PAIR_SHARE, Scorer, missing_links

if TYPE_CHECKING:
    from collections.abc import Iterable

    import networkx as nx
    import numpy.typing as npt

_COLUMNS = [
    "rank",
    "id",
    "u",
    "v",
    "source",
    "from_place",
    "to_place",
    "commune",
    "straight_m",
    "length_m",
    "benefit",
    "benefit_per_km",
    "trips_new",
    "cumulative_km",
    "cumulative_benefit",
    "geometry",
]

__all__ = ["plan_links"]


def plan_links(
    G: nx.MultiDiGraph,
    *,
    budget_km: float = 10.0,
    candidates: gpd.GeoDataFrame | None = None,
    places: gpd.GeoDataFrame | None = None,
    greenway: str | Iterable[str] | None = None,
    by: str = "benefit",
    cap_m: float = DEFAULT_CAP_M,
    park_pair_share: float = DEFAULT_PARK_PAIR_SHARE,
    sample: int = DEFAULT_SAMPLE,
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
        Places table; default ``parcs.places(G)``; a graph without places is scored on a
        sample of its greenway nodes, as in :func:`missing_links`.
    greenway
        Which edges form the network, as in :func:`missing_links`.
    by
        {"benefit", "benefit_per_km"}: the greedy criterion.
    cap_m
        Trip length cap (m), as in :func:`missing_links`.
    park_pair_share
        Weight of park-to-park trips, as in :func:`missing_links`.
    sample
        Number of sampled nodes when `G` has no places, as in :func:`missing_links`.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per chosen link in build order: ``rank`` (step, 1 = first), ``id``
        (candidate id), ``u``, ``v``, ``source``, ``from_place``, ``to_place``, ``commune``
        (as in :func:`missing_links`), ``straight_m``, ``length_m``, ``benefit``
        (marginal, weighted km), ``benefit_per_km``, ``trips_new`` (marginal),
        ``cumulative_km``, ``cumulative_benefit``, geometry. ``attrs["objective_before"]``
        and ``attrs["objective_after"]`` hold the capped objective (weighted km).

    Raises
    ------
    ValidationError
        On a bad option value or a candidates table without the needed columns.
    """
    budget = check_positive("budget_km", budget_km, allow_zero=True, unit="km")
    cap = check_positive("cap_m", cap_m, unit="metres")
    share = check_positive("park_pair_share", park_pair_share, allow_zero=True)
    if by not in {"benefit", "benefit_per_km"}:
        msg = f"`by` must be one of ['benefit', 'benefit_per_km'], got {by!r}"
        raise ValidationError(msg)
    if candidates is None:
        candidates = missing_links(
            G, places=places, greenway=greenway, cap_m=cap, park_pair_share=share, sample=sample
        )
    needed = {"u", "v", "est_length_m"}
    if not needed <= set(candidates.columns):
        missing = sorted(needed - set(candidates.columns))
        msg = f"`candidates` lacks column(s) {missing}; pass the output of missing_links()"
        raise ValidationError(msg)
    net = built(G, greenway=greenway)
    access = place_access(G, net, places, sample=sample)
    od = od_pairs(access.places, park_pair_share=share)
    ends = np.r_[candidates["u"].to_numpy(), candidates["v"].to_numpy()].astype(np.int64)
    bad = ends[~np.isin(ends, net.csr.node_ids)].tolist()
    if bad:
        msg = (
            f"`candidates` name {len(bad)} node(s) not in `G` (e.g. {bad[:5]!r}); "
            "compute them on this graph"
        )
        raise ValidationError(msg)
    cand = candidates.reset_index(drop=True)
    ids = cand["id"].to_numpy() if "id" in cand else np.arange(len(cand))
    a = net.csr.index_of(cand["u"].to_numpy(np.int64))
    b = net.csr.index_of(cand["v"].to_numpy(np.int64))
    w = cand["est_length_m"].to_numpy(np.float64)
    picks: list[tuple[int, float, float]] = []
    if len(cand) == 0:
        before = after = 0.0
    else:
        scorer = Scorer(net, access, od, cand_a=a, cand_b=b, cand_w=w, cap_m=cap)
        before = scorer.objective()
        picks = _greedy(scorer, w, ids, budget * 1000.0, by)
        after = scorer.objective()
    out = _plan_frame(G, net, access.places, cand, picks, a, b, w, ids)
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
        float(out["length_m"].sum()) / 1000.0 if len(out) else 0.0,
        budget,
        (before - after) / 1000.0,
    )
    return out


def _greedy(
    scorer: Scorer,
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


def _plan_frame(
    G: nx.MultiDiGraph,
    net: Any,
    places: gpd.GeoDataFrame,
    cand: pd.DataFrame,
    picks: list[tuple[int, float, float]],
    a: npt.NDArray[np.int64],
    b: npt.NDArray[np.int64],
    w: npt.NDArray[np.float64],
    ids: npt.NDArray[Any],
) -> gpd.GeoDataFrame:
    """The plan's table, in build order."""
    x, y = net.csr.x, net.csr.y
    rows: list[dict[str, Any]] = []
    total_km = total_b = 0.0
    has_geom = isinstance(cand, gpd.GeoDataFrame) and cand.geometry.name in cand
    for j, gain_j, trips_j in picks:
        total_km += w[j] / 1000.0
        total_b += gain_j / 1000.0
        xa, ya, xb, yb = x[a[j]], y[a[j]], x[b[j]], y[b[j]]
        geom = cand.geometry.iloc[j] if has_geom else None
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
                "geometry": geom if geom is not None else shapely.LineString([(xa, ya), (xb, yb)]),
            }
        )
    df = pd.DataFrame(
        rows, columns=[c for c in _COLUMNS if c not in ("from_place", "to_place", "commune")]
    )
    crs = net.csr.crs
    for col in ("from_place", "to_place", "commune"):
        if col in cand and len(df):
            df[col] = [str(cand[col].iloc[j]) for j, _, _ in picks]
    if len(df) and "from_place" not in df:
        ja = np.asarray([a[j] for j, _, _ in picks], dtype=np.int64)
        jb = np.asarray([b[j] for j, _, _ in picks], dtype=np.int64)
        df["from_place"] = end_names(
            shapely.points(x[ja], y[ja]), places, crs=crs, G=G, node_idx=ja
        )
        df["to_place"] = end_names(shapely.points(x[jb], y[jb]), places, crs=crs, G=G, node_idx=jb)
    if len(df) and "commune" not in df:
        df["commune"] = commune_names(places, df["geometry"].to_numpy())
    for col in ("from_place", "to_place", "commune"):
        if col not in df:
            df[col] = pd.Series(dtype=object)
    return gpd.GeoDataFrame(df[_COLUMNS], geometry="geometry", crs=crs)
