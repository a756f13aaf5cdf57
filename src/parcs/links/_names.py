"""Names a planner reads: the places at a link's ends and the commune it lies in (private).

A link's end is named, first match wins:

1. the nearest named place that is not a settlement (a park, a terril, a forest, a
   station...; not the node sample) within :data:`NAME_M`;
2. the nearest named settlement (commune, town) within :data:`NAME_M` (0 inside it);
3. the ``name`` of an edge of the graph at that node (a street, a cavalier);
4. ``"unnamed <kind>"``: an unnamed place within :data:`NAME_M` (``places_from_osm`` names
   them ``"park way/123"``: an OSM id, never shown);
5. ``"<d> m from <place>"`` (``"<d> km"`` from 1 km): the nearest named place farther away;
6. its position, ``"<lat>, <lon>"`` (WGS84, 5 decimals).

The commune of a link is the settlement (``SETTLEMENT_KINDS``) containing its midpoint, else
the nearest one; ``""`` when the places hold no settlement.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from parcs.csr import arc_values, csr_of
from parcs.network.places import SETTLEMENT_KINDS

if TYPE_CHECKING:
    import geopandas as gpd
    import networkx as nx
    import numpy.typing as npt

__all__ = ["NAME_M", "commune_names", "end_names"]

#: A link's end takes the name of a place at most this far (m).
NAME_M = 500.0
_SAMPLE_KIND = "sample"
#: A name made up from an OSM id by ``places_from_osm`` (``"park way/123"``).
_GENERATED = r"\S+ (?:node|way|relation)/\d+"


def _named(
    places: gpd.GeoDataFrame | None, *, settlements: bool | None = None, generated: bool = False
) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    """Geometries and names of the named places (only settlements / none / all of them);
    with `generated`, the unnamed ones instead, as ``"unnamed <kind>"``.
    """
    if places is None or not len(places) or "name" not in places:
        return np.zeros(0, object), np.zeros(0, object)
    names = places["name"].fillna("").astype(str).str.strip()
    made = names.str.fullmatch(_GENERATED).to_numpy(dtype=bool)
    if generated:
        names = "unnamed " + places["kind"].astype(str)
    ok = (
        (names != "").to_numpy() & (places["kind"] != _SAMPLE_KIND).to_numpy() & (made == generated)
    )
    if settlements is not None:
        ok &= places["kind"].isin(list(SETTLEMENT_KINDS)).to_numpy() == settlements
    geoms = places.geometry.to_numpy()
    ok &= ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    return geoms[ok], names.to_numpy()[ok]


def _nearest(
    points: npt.NDArray[Any], geoms: npt.NDArray[Any], names: npt.NDArray[Any]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[Any]]:
    """Distance to and name of the nearest geometry (ties: the name first in order)."""
    n = len(points)
    dist = np.full(n, np.inf)
    near = np.full(n, "", dtype=object)
    if not len(geoms) or not n:
        return dist, near
    q, t = shapely.STRtree(geoms).query_nearest(points, all_matches=True)
    d = shapely.distance(points[q], geoms[t])
    best = pd.DataFrame({"q": q, "name": names[t], "d": d}).sort_values(
        ["q", "d", "name"], kind="stable"
    )
    best = best.drop_duplicates("q")
    dist[best["q"].to_numpy()] = best["d"].to_numpy()
    near[best["q"].to_numpy()] = best["name"].to_numpy()
    return dist, near


def _edge_names(G: nx.MultiDiGraph, idx: npt.NDArray[np.int64]) -> list[str]:
    """First non-empty edge ``name`` at each node index of ``csr_of(G)`` (sorted, stable)."""
    full = csr_of(G)
    names = arc_values(G, "name", default="")
    out = []
    for u in idx.tolist():
        arcs = range(int(full.indptr[u]), int(full.indptr[u + 1]))
        found = sorted(
            {str(names[e]).strip() for e in arcs if isinstance(names[e], str) and names[e].strip()}
        )
        out.append(found[0] if found else "")
    return out


def _lonlat(points: npt.NDArray[Any], crs: str) -> list[str]:
    from pyproj import Transformer

    xy = shapely.get_coordinates(points)
    lon, lat = Transformer.from_crs(crs, 4326, always_xy=True).transform(xy[:, 0], xy[:, 1])
    return [
        f"{b:.5f}, {a:.5f}" for a, b in zip(np.atleast_1d(lon), np.atleast_1d(lat), strict=True)
    ]


def end_names(
    points: npt.NDArray[Any],
    places: gpd.GeoDataFrame | None,
    *,
    crs: str,
    G: nx.MultiDiGraph | None = None,
    node_idx: npt.NDArray[np.int64] | None = None,
) -> list[str]:
    """Name each end point (module docstring); `node_idx` (into ``csr_of(G)``) enables rule 2."""
    n = len(points)
    out = [""] * n
    if n == 0:
        return out
    points = np.asarray(points, dtype=object)
    for settlements in (False, True):
        d, near = _nearest(points, *_named(places, settlements=settlements))
        for i in range(n):
            if not out[i] and d[i] <= NAME_M:
                out[i] = str(near[i])
    todo = [i for i in range(n) if not out[i]]
    if todo and G is not None and node_idx is not None:
        for i, name in zip(todo, _edge_names(G, np.asarray(node_idx)[todo]), strict=True):
            out[i] = name
    todo = [i for i in todo if not out[i]]
    if todo:
        d, near = _nearest(points[todo], *_named(places, generated=True))
        for k, i in enumerate(todo):
            if d[k] <= NAME_M:
                out[i] = str(near[k])
    rest = [i for i in todo if not out[i]]
    if rest:
        d, near = _nearest(points[rest], *_named(places))
        for k, i in enumerate(rest):
            if np.isfinite(d[k]):
                far = f"{round(d[k]):,d} m" if d[k] < 1000 else f"{d[k] / 1000:.1f} km"
                out[i] = f"{far} from {near[k]}"
    last = [i for i in rest if not out[i]]
    if last:
        for i, text in zip(last, _lonlat(points[last], crs), strict=True):
            out[i] = text
    return out


def commune_names(places: gpd.GeoDataFrame | None, lines: npt.NDArray[Any]) -> list[str]:
    """Name of the settlement containing (else nearest to) each line's midpoint."""
    out = [""] * len(lines)
    if places is None or not len(lines):
        return out
    communes = places[places["kind"].isin(list(SETTLEMENT_KINDS))]
    if communes.empty:
        return out
    names = (
        communes["name"].astype(str)
        if "name" in communes
        else pd.Series(communes.index, index=communes.index)
    ).to_numpy()
    mids = shapely.line_interpolate_point(lines, 0.5, normalized=True)
    tree = shapely.STRtree(communes.geometry.to_numpy())
    idx = tree.query_nearest(mids, all_matches=False)
    for i, j in zip(idx[0], idx[1], strict=True):
        out[int(i)] = str(names[int(j)])
    return out
