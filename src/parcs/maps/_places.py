"""Places: park and terril polygons, and the light base map of settlements drawn without tiles.

The base map (:func:`add_basemap`) gives an offline map what tiles would: settlement outlines
(communes), a dot for settlements known as points (OSM ``place=*`` nodes), and their names as
small permanent labels, each shown from the zoom level where it no longer overlaps a more
important one (population, else area): :func:`label_zooms`, a greedy declutter per zoom level
in Web-Mercator pixels, computed once in Python.
"""

from __future__ import annotations

import math
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from parcs._log import logger
from parcs.errors import ValidationError
from parcs.maps._common import (
    DEFAULT_CRS,
    DEFAULT_SIMPLIFY_M,
    OTHER_COLOR,
    PLACE_COLORS,
    PLACE_LABELS,
    add_legend_entry,
    bounds_of,
    check_simplify,
    clean,
    collection,
    extend_bounds,
    feature,
    gdf_crs,
    layer_name,
    lonlat,
    simplify,
    text,
    to_wgs84,
)
from parcs.maps._page import (
    COMMUNES_CREDIT,
    OSM_CREDIT,
    add_credit,
    ensure_assets,
    geojson_layer,
    js_layer,
)
from parcs.network.places import SETTLEMENT_KINDS

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    import folium
    import geopandas as gpd
    import networkx as nx

#: Place kinds drawn by default by :func:`add_places`: every kind but settlements.
DEFAULT_PLACE_KINDS: tuple[str, ...] = (
    "terril",
    "espace_neonaturel",
    "parc",
    "park",
    "nature",
    "forest",
    "station",
    "viewpoint",
)
#: Zoom levels over which labels are decluttered; labels that never fit show from the next one.
LABEL_ZOOMS = (8, 15)
#: Settlements of at least this population get the bigger label.
BIG_TOWN = 20_000
#: Most labels written (the most important ones); outlines are all drawn.
MAX_LABELS = 3_000
#: Characters of a label (longer names are cut, with an ellipsis).
MAX_LABEL_CHARS = 60
BASEMAP_SIMPLIFY_M = 20.0
_BASE_DECIMALS = 5


def _places_of(G_or_gdf: Any) -> gpd.GeoDataFrame | None:  # noqa: ANN401
    if hasattr(G_or_gdf, "geometry") and hasattr(G_or_gdf, "columns"):
        return G_or_gdf
    graph_attrs = getattr(G_or_gdf, "graph", None)
    if graph_attrs is None:
        msg = (
            "`G` must be a parcs network (networkx graph) or a places GeoDataFrame, "
            f"got {type(G_or_gdf).__name__}"
        )
        raise ValidationError(msg)
    # parcs.places(G) raises on a graph without places; here there is simply nothing to draw
    return graph_attrs.get("parcs_places")


def _is_osm(gdf: gpd.GeoDataFrame) -> bool:
    return "osm_id" in gdf.columns or "osm_type" in gdf.columns


_PLACE_STYLE = {"weight": 1, "fillOpacity": 0.35}


def _number(row: Any, column: str) -> float | None:  # noqa: ANN401
    try:
        value = float(row.get(column, math.nan))
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _place_features(sub: gpd.GeoDataFrame, geoms: np.ndarray, kind: str) -> list[dict[str, Any]]:
    color = PLACE_COLORS.get(kind, OTHER_COLOR)
    feats = []
    for (_idx, row), geom in zip(sub.iterrows(), geoms, strict=True):
        area = _number(row, "area_ha")
        pop = _number(row, "population")
        props = {
            "name": text(row.get("name", ""))[:200],
            "kind": kind,
            "area_ha": None if area is None else round(area, 1),
            "population": int(pop) if pop and kind in SETTLEMENT_KINDS else None,
            "color": color,
        }
        feats.append(feature(geom, props))
    return feats


def add_places(
    m: folium.Map,
    G: Any,  # noqa: ANN401
    *,
    kinds: Iterable[str] = DEFAULT_PLACE_KINDS,
    simplify_m: float = DEFAULT_SIMPLIFY_M,
    show: bool = True,
) -> folium.Map:
    """Add place polygons (terrils, parks...) with a popup (name, area in ha) to `m`.

    Parameters
    ----------
    m
        The map to draw on.
    G
        A parcs network holding places (``parcs.places(G)``), or a places GeoDataFrame.
    kinds
        Place kinds to draw, one layer each (default: every kind but settlements, Artois
        and OpenStreetMap alike); add ``"commune"`` or ``"town"`` for settlements.
    simplify_m
        Display simplification tolerance in metres.
    show
        Whether the layers are visible when the page opens.

    Returns
    -------
    folium.Map
        `m`, for chaining.
    """
    tol = check_simplify(simplify_m)
    gdf = _places_of(G)
    if gdf is None or len(gdf) == 0:
        logger.info("add_places: no places to draw")
        return m
    ensure_assets(m)
    crs = gdf_crs(gdf)
    kind_col = gdf["kind"].astype(str) if "kind" in gdf.columns else None
    drawn = 0
    for kind in kinds:
        sub = gdf[kind_col == kind] if kind_col is not None else gdf.iloc[0:0]
        if len(sub) == 0:
            continue
        geoms = to_wgs84(simplify(sub.geometry.to_numpy(), tol), crs)
        feats = _place_features(sub, geoms, kind)
        label = PLACE_LABELS.get(kind, kind)
        geojson_layer(
            collection(feats),
            name=label,
            show=show,
            style=_PLACE_STYLE,
            color_from="color",
            fill=True,
            detail=(
                ["name", "population", "area_ha"],
                ["Name", "Population", "Area (ha)"],
                "popup",
            ),
        ).add_to(m)
        if kind not in SETTLEMENT_KINDS:
            extend_bounds(m, bounds_of(geoms))
        add_legend_entry(m, label, "area", PLACE_COLORS.get(kind, OTHER_COLOR))
        m._parcs_places = [*getattr(m, "_parcs_places", []), kind]  # type: ignore[attr-defined]
        drawn += len(feats)
    if drawn and _is_osm(gdf):
        add_credit(m, OSM_CREDIT)
    logger.info("add_places: %d places drawn", drawn)
    return m


# --------------------------------------------------------------------------------------------
# labels
# --------------------------------------------------------------------------------------------
def _label_box(names: Sequence[str], big: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Approximate label sizes in pixels (11 px and 13 px bold Arial, with a 1 px halo)."""
    chars = np.fromiter((len(n) for n in names), dtype=np.float64, count=len(names))
    width = chars * np.where(big, 7.6, 6.4) + 6
    height = np.where(big, 17.0, 15.0)
    return width, height


def label_zooms(
    lon: np.ndarray,
    lat: np.ndarray,
    width: np.ndarray,
    height: np.ndarray,
    importance: np.ndarray,
    *,
    dy: np.ndarray | None = None,
    zooms: tuple[int, int] = LABEL_ZOOMS,
) -> np.ndarray:
    """Zoom level from which each label is shown, so that shown labels do not overlap.

    Zoom by zoom (Web-Mercator pixels, 256 px tiles), labels shown at the previous zoom stay
    (they cannot collide: distances double); then the others, most important first, are
    shown if their box overlaps no shown box.

    Parameters
    ----------
    lon, lat
        Label centres in degrees.
    width, height
        Label boxes in pixels.
    importance
        Higher first.
    dy
        Pixels each box is moved up from its centre (default 0).
    zooms
        First and last zoom levels considered.

    Returns
    -------
    numpy.ndarray
        int64 zoom level of each label (``zooms[1] + 1`` for labels that never fit).
    """
    n = len(lon)
    out = np.full(n, zooms[1] + 1, dtype=np.int64)
    if n == 0:
        return out
    x0 = (np.asarray(lon, dtype=np.float64) + 180.0) / 360.0 * 256.0
    phi = np.radians(np.clip(np.asarray(lat, dtype=np.float64), -85.0511, 85.0511))
    y0 = (1.0 - np.arcsinh(np.tan(phi)) / math.pi) / 2.0 * 256.0
    shift = np.zeros(n) if dy is None else np.asarray(dy, dtype=np.float64)
    order = np.argsort(-np.asarray(importance, dtype=np.float64), kind="stable")
    shown = np.zeros(n, dtype=bool)
    for z in range(zooms[0], zooms[1] + 1):
        x, y = x0 * 2.0**z, y0 * 2.0**z - shift
        idx = list(np.flatnonzero(shown))
        for i in order:
            if shown[i]:
                continue
            j = np.asarray(idx, dtype=np.int64)
            clash = (np.abs(x[j] - x[i]) * 2 < width[j] + width[i]) & (
                np.abs(y[j] - y[i]) * 2 < height[j] + height[i]
            )
            if not clash.any():
                shown[i] = True
                out[i] = z
                idx.append(i)
    return out


# --------------------------------------------------------------------------------------------
# the base map
# --------------------------------------------------------------------------------------------
@cache
def _embedded_communes() -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Return the embedded communes and their lon/lat outlines (read once per process)."""
    from parcs.network.territory import artois_places  # noqa: PLC0415

    gdf = artois_places()
    communes = gdf[gdf["kind"] == "commune"]
    return communes, to_wgs84(communes.geometry.to_numpy(), gdf_crs(communes))


def _graph_lonlat_box(G: nx.MultiDiGraph) -> list[float] | None:
    from parcs.csr import csr_of  # noqa: PLC0415

    csr = csr_of(G)
    if not csr.n_nodes:
        return None
    lon, lat = lonlat(csr.x, csr.y, csr.crs)
    return [float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())]


def settlements(G_or_gdf: Any) -> tuple[gpd.GeoDataFrame | None, str]:  # noqa: ANN401
    """Return the settlements a base map shows, and their credit (``""`` if none is needed).

    The settlements (:data:`SETTLEMENT_KINDS`) of `G_or_gdf`'s places; for a graph without
    any, the embedded Artois communes that touch the graph's extent (none elsewhere).
    """
    gdf = _places_of(G_or_gdf)
    if gdf is not None and len(gdf) and "kind" in gdf.columns:
        sub = gdf[gdf["kind"].astype(str).isin(list(SETTLEMENT_KINDS))]
        if len(sub):
            return sub, OSM_CREDIT if _is_osm(sub) else ""
    if not hasattr(G_or_gdf, "graph"):
        return None, ""
    box = _graph_lonlat_box(G_or_gdf)
    if box is None:
        return None, ""
    communes, wgs = _embedded_communes()
    near = shapely.intersects(wgs, shapely.box(*box))
    if not near.any():
        return None, ""
    return communes[near], COMMUNES_CREDIT


def _label_points(gdf: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    pts = shapely.point_on_surface(np.asarray(gdf.geometry.to_numpy(), dtype=object))
    return lonlat(shapely.get_x(pts), shapely.get_y(pts), gdf_crs(gdf))


def _importance(gdf: gpd.GeoDataFrame) -> np.ndarray:
    pop = np.zeros(len(gdf))
    if "population" in gdf.columns:
        pop = np.nan_to_num(np.asarray(gdf["population"].map(_to_float), dtype=np.float64))
    area = np.asarray(shapely.area(np.asarray(gdf.geometry.to_numpy(), dtype=object)), dtype=float)
    # population first; area (in the CRS's units) only orders places of equal population
    rank = pop * 1e12 + np.nan_to_num(area) / (1.0 + np.nan_to_num(area).max())
    return np.asarray(rank, dtype=np.float64)


def _to_float(value: Any) -> float:  # noqa: ANN401
    value = clean(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _labels(gdf: gpd.GeoDataFrame) -> dict[str, Any]:
    names = [text(v) for v in gdf.get("name", [""] * len(gdf))]
    names = [n if len(n) <= MAX_LABEL_CHARS else n[: MAX_LABEL_CHARS - 1] + "…" for n in names]
    keep = np.asarray([bool(n.strip()) for n in names], dtype=bool)
    imp = _importance(gdf)
    if keep.sum() > MAX_LABELS:
        cut = np.sort(imp[keep])[-MAX_LABELS]
        keep &= imp >= cut
    lon, lat = _label_points(gdf)
    idx = np.flatnonzero(keep & np.isfinite(lon) & np.isfinite(lat))
    pop = np.asarray(imp[idx] / 1e12)
    big = pop >= BIG_TOWN
    width, height = _label_box([names[i] for i in idx], big)
    point = shapely.get_type_id(np.asarray(gdf.geometry.to_numpy(), dtype=object))[idx] == 0
    # a point place's name sits above its dot: its box is moved up by its height
    z = label_zooms(lon[idx], lat[idx], width, height, imp[idx], dy=np.where(point, height, 0.0))
    size = np.where(big, "big", "small").astype(object)
    size[point] = size[point] + " parcs-label-pt"
    return {
        "name": [names[i] for i in idx],
        "lat": np.round(lat[idx], _BASE_DECIMALS).tolist(),
        "lon": np.round(lon[idx], _BASE_DECIMALS).tolist(),
        "z": z.tolist(),
        "size": size.tolist(),
    }


def _outlines(gdf: gpd.GeoDataFrame, tol: float) -> tuple[dict[str, Any] | None, list[Any]]:
    geoms = np.asarray(gdf.geometry.to_numpy(), dtype=object)
    kinds = shapely.get_type_id(geoms)
    areal = np.isin(kinds, (3, 6))  # Polygon, MultiPolygon
    polys = to_wgs84(simplify(geoms[areal], tol), gdf_crs(gdf), decimals=_BASE_DECIMALS)
    outlines = collection([feature(g, {}) for g in polys if not g.is_empty]) if len(polys) else None
    points = to_wgs84(geoms[kinds == 0], gdf_crs(gdf), decimals=_BASE_DECIMALS)
    dots = [[p.y, p.x] for p in points if not p.is_empty]
    return outlines, dots


def add_basemap(
    m: folium.Map,
    G: Any,  # noqa: ANN401
    *,
    labels: bool = True,
    simplify_m: float = BASEMAP_SIMPLIFY_M,
    show: bool = True,
) -> folium.Map:
    """Add a light base map: settlement outlines, dots and names (what tiles would show).

    Drawn without tiles by :func:`explore`. The settlements are those of the places of `G`
    (communes of the Artois, OSM towns and villages); on a graph without settlement places,
    the embedded Artois communes around the graph, if any. Names are permanent labels, each
    shown from the zoom where it no longer overlaps a more populous place's.

    Parameters
    ----------
    m
        The map to draw on.
    G
        A parcs network, or a places GeoDataFrame.
    labels
        Write the place names.
    simplify_m
        Simplification of the outlines, in metres.
    show
        Whether the layer is visible when the page opens.

    Returns
    -------
    folium.Map
        `m`, for chaining.
    """
    tol = check_simplify(simplify_m)
    gdf, credit = settlements(G)
    if gdf is None or not len(gdf):
        logger.info("add_basemap: no settlements to draw")
        return m
    ensure_assets(m)
    if gdf.crs is None:
        gdf = gdf.set_crs(DEFAULT_CRS)
    outlines, dots = _outlines(gdf, tol)
    data: dict[str, Any] = {"outlines": outlines, "dots": dots}
    if labels:
        data["labels"] = _labels(gdf)
    name = "Base map: towns and names" if labels else "Base map: towns"
    js_layer("basemap", data, name=layer_name(name), show=show, with_map=True).add_to(m)
    add_legend_entry(m, "Towns and communes", "outline", "#8f8a80")
    if credit:
        add_credit(m, credit)
    m._parcs_basemap = True  # type: ignore[attr-defined]
    logger.info("add_basemap: %d settlements", len(gdf))
    return m
