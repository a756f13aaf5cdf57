"""Result layers: routes, points-nœuds, missing links and isochrones."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from parcs._log import logger
from parcs.errors import ValidationError
from parcs.maps._common import (
    DEFAULT_CRS,
    DEFAULT_SIMPLIFY_M,
    GAP_COLORS,
    JUNCTION_COLOR,
    ROUTE_COLORS,
    add_legend_entry,
    bounds_of,
    check_simplify,
    clean,
    collection,
    esc,
    extend_bounds,
    feature,
    fmt_duration,
    fmt_km,
    folium_module,
    gdf_crs,
    layer_name,
    ramp,
    simplify,
    text,
    to_wgs84,
)
from parcs.maps._page import bind_popup, bind_tooltip, ensure_assets, geojson_layer, js_layer

if TYPE_CHECKING:
    import folium
    import geopandas as gpd


# --------------------------------------------------------------------------------------------
# routes
# --------------------------------------------------------------------------------------------
def _route_line_wgs84(route: Any) -> Any:  # noqa: ANN401
    geom = getattr(route, "geometry_wgs84", None)
    if geom is not None:
        return to_wgs84([geom], None)[0]
    geom = getattr(route, "geometry", None)
    if geom is None:
        msg = (
            "`route` must have a `geometry_wgs84` or `geometry` LineString (a parcs.Route), "
            f"got {type(route).__name__}"
        )
        raise ValidationError(msg)
    return to_wgs84([geom], DEFAULT_CRS)[0]


def _route_length(route: Any) -> float | None:  # noqa: ANN401
    length = getattr(route, "length_m", None)
    if length is None and getattr(route, "geometry", None) is not None:
        length = route.geometry.length  # EPSG:2154 metres
    return None if length is None else float(length)


def _route_popup_html(route: Any) -> str:  # noqa: ANN401
    """Return the route's popup, as HTML in which every value is escaped."""
    title = ""
    orig = text(getattr(route, "orig_label", "") or "")
    dest = text(getattr(route, "dest_label", "") or "")
    if orig or dest:
        title = f"<b>{esc(orig)} → {esc(dest)}</b><br>"
    rows = []
    length = _route_length(route)
    if length is not None:
        rows.append(f"Length: {fmt_km(length)}")
    duration = getattr(route, "duration_s", None)
    if duration is not None:
        profile = getattr(route, "profile", "")
        rows.append(
            f"Duration: {fmt_duration(float(duration))}" + (f" ({esc(profile)})" if profile else "")
        )
    km_by_kind = getattr(route, "km_by_kind", None) or {}
    rows.extend(f"{esc(kind)}: {float(km):.2f} km" for kind, km in km_by_kind.items())
    connector_km = getattr(route, "connector_km", None)
    if connector_km is not None:
        rows.append(f"Connectors (unbuilt): {float(connector_km):.2f} km")
    return title + "<br>".join(rows)


def _endpoint_icon(label: str, color: str) -> Any:  # noqa: ANN401
    return folium_module().DivIcon(
        html=f'<div class="parcs-endpoint" style="background:{esc(color)}">{esc(label)}</div>',
        icon_size=(24, 24),
        icon_anchor=(12, 12),
        class_name="parcs-endpoint-icon",
    )


def _route_bounds(m: folium.Map, line: Any) -> None:  # noqa: ANN401
    bounds = bounds_of([line])
    extend_bounds(m, bounds)
    extend_bounds(m, bounds, attr="_parcs_route_bounds")


def add_route(
    m: folium.Map,
    route: Any,  # noqa: ANN401
    *,
    name: str | None = None,
    color: str = ROUTE_COLORS[0],
    show: bool = True,
) -> folium.Map:
    """Add a route: its line, start (A) and end (B) markers, and a popup with its figures.

    Parameters
    ----------
    m
        The map to draw on.
    route
        A :class:`parcs.Route` (or any object with ``geometry_wgs84`` or ``geometry`` and
        ``length_m``; ``duration_s``, ``km_by_kind``, ``connector_km``, ``orig_label``,
        ``dest_label`` and ``waypoints`` are used when present).
    name
        Layer name; default ``"Route: <orig> → <dest>"``.
    color
        Line colour.
    show
        Whether the layer is visible when the page opens.

    Returns
    -------
    folium.Map
        `m`, for chaining.

    Raises
    ------
    ValidationError
        If `route` has no geometry.
    """
    folium = folium_module()
    line = _route_line_wgs84(route)
    ensure_assets(m)
    if name is None:
        orig = text(getattr(route, "orig_label", "") or "") or "start"
        dest = text(getattr(route, "dest_label", "") or "") or "end"
        name = f"Route: {orig} → {dest}"
    group = folium.FeatureGroup(name=layer_name(name), show=show)
    popup_html = _route_popup_html(route)
    latlon = [(lat, lon) for lon, lat in line.coords]
    length = _route_length(route)
    poly = folium.PolyLine(latlon, color=color, weight=6, opacity=0.85)
    bind_popup(poly, popup_html)
    bind_tooltip(poly, fmt_km(length) if length is not None else esc(name), sticky=True)
    poly.add_to(group)
    if latlon:
        loop = latlon[0] == latlon[-1]
        ends = [("A", "#2e7d32", "Start" + (" / end" if loop else ""), latlon[0])]
        if not loop:
            ends.append(("B", "#c62828", "End", latlon[-1]))
        for label, end_color, tip, where in ends:
            marker = folium.Marker(where, icon=_endpoint_icon(label, end_color))
            bind_popup(marker, popup_html)
            bind_tooltip(marker, tip)
            marker.add_to(group)
    group.add_to(m)
    add_legend_entry(m, name, "line", color)
    _route_bounds(m, line)
    return m


# --------------------------------------------------------------------------------------------
# junctions, the "points-nœuds"
# --------------------------------------------------------------------------------------------
_LINK_COLOR = "#004d40"
_LINK_STYLE = {"color": _LINK_COLOR, "weight": 2, "opacity": 0.8}


def _junction_links(m: folium.Map, link_gdf: gpd.GeoDataFrame, tol: float, *, show: bool) -> None:
    geoms = to_wgs84(simplify(link_gdf.geometry.to_numpy(), tol), gdf_crs(link_gdf))
    feats = []
    for (_i, row), geom in zip(link_gdf.iterrows(), geoms, strict=True):
        km = clean(row.get("length_m", None))
        props = {
            "name": text(row.get("name", "")),
            "km": round(float(km) / 1000.0, 2) if isinstance(km, (int, float)) else None,
        }
        feats.append(feature(geom, props))
    geojson_layer(
        collection(feats),
        name="Points-nœuds links",
        show=show,
        style=_LINK_STYLE,
        detail=(["name", "km"], ["Link", "km"], "tooltip"),
    ).add_to(m)
    add_legend_entry(m, "Points-nœuds links", "line", _LINK_COLOR)
    extend_bounds(m, bounds_of(geoms))


def add_junctions(
    m: folium.Map,
    net: Any,  # noqa: ANN401
    *,
    links: bool = True,
    simplify_m: float = DEFAULT_SIMPLIFY_M,
    show: bool = True,
    show_links: bool = False,
) -> folium.Map:
    """Add numbered points-nœuds markers (one per junction, like the signs) and their links.

    Parameters
    ----------
    m
        The map to draw on.
    net
        A :class:`parcs.JunctionNetwork`, or any object with ``junctions`` (GeoDataFrame with
        ``number`` and point geometry) and optionally ``links`` (GeoDataFrame of lines with
        ``name`` and ``length_m``).
    links
        Also draw the links between junctions.
    simplify_m
        Display simplification tolerance for the links, in metres.
    show
        Whether the junction markers are visible when the page opens.
    show_links
        Whether the links layer is visible when the page opens (the network layers already
        show the same lines; toggle the links in the layer control).

    Returns
    -------
    folium.Map
        `m`, for chaining.

    Raises
    ------
    ValidationError
        If `net` has no ``junctions`` table.
    """
    tol = check_simplify(simplify_m)
    junctions = getattr(net, "junctions", None)
    if junctions is None or not hasattr(junctions, "geometry"):
        msg = (
            "`net` must have a `junctions` GeoDataFrame (a parcs.JunctionNetwork from "
            f"parcs.points_noeuds(G)), got {type(net).__name__}"
        )
        raise ValidationError(msg)
    ensure_assets(m)
    link_gdf = getattr(net, "links", None) if links else None
    if link_gdf is not None and len(link_gdf):
        _junction_links(m, link_gdf, tol, show=show_links)
    points = to_wgs84(junctions.geometry.to_numpy(), gdf_crs(junctions))
    numbers = junctions["number"].tolist() if "number" in junctions.columns else range(len(points))
    data = {
        "number": [text(n)[:40] for n in numbers],
        "lat": [float(p.y) for p in points],
        "lon": [float(p.x) for p in points],
        "prefix": "Point-nœud ",
    }
    js_layer("junctions", data, name=layer_name("Points-nœuds"), show=show).add_to(m)
    add_legend_entry(m, "Points-nœuds (numbered junctions)", "dot", JUNCTION_COLOR)
    extend_bounds(m, bounds_of(points))
    logger.info("add_junctions: %d junction markers", len(points))
    return m


# --------------------------------------------------------------------------------------------
# missing links
# --------------------------------------------------------------------------------------------
_GAP_STYLE = {"weight": 6, "opacity": 0.95, "dashArray": "1 9", "lineCap": "round"}
#: Popup rows of a missing link: column, label (columns absent from the table are skipped).
GAP_FIELDS: tuple[tuple[str, str], ...] = (
    ("rank", "Rank"),
    ("from_place", "From"),
    ("to_place", "To"),
    ("commune", "Commune"),
    ("source", "Gap type"),
    ("straight_m", "Straight line (m)"),
    ("est_length_m", "Estimated length (m)"),
    ("benefit", "Benefit"),
    ("benefit_per_km", "Benefit per km"),
    ("trips_new", "New trips"),
)


def gap_color(rank: float, n: int) -> str:
    """Colour of the missing link of `rank` among `n`: black (best) to grey (last)."""
    t = 0.0 if n <= 1 else (rank - 1) / (n - 1)
    return ramp(GAP_COLORS, t)


def add_missing_links(
    m: folium.Map,
    gdf: gpd.GeoDataFrame,
    *,
    top: int | None = None,
    show: bool = True,
) -> folium.Map:
    """Add ranked missing links, coloured by rank (black = most useful), with popups.

    Parameters
    ----------
    m
        The map to draw on.
    gdf
        The GeoDataFrame of :func:`parcs.missing_links` (``rank``, ``from_place``,
        ``to_place``, ``commune``, ``straight_m``, ``est_length_m``, ``benefit``,
        ``benefit_per_km``, ``trips_new``, line geometry); missing columns are left out of
        the popup.
    top
        Draw only the `top` best-ranked links.
    show
        Whether the layer is visible when the page opens.

    Returns
    -------
    folium.Map
        `m`, for chaining.

    Raises
    ------
    ValidationError
        If `gdf` is not a GeoDataFrame or `top` is not positive.
    """
    if not hasattr(gdf, "geometry") or not hasattr(gdf, "columns"):
        msg = f"`gdf` must be the GeoDataFrame of parcs.missing_links(G), got {type(gdf).__name__}"
        raise ValidationError(msg)
    if top is not None and int(top) < 1:
        msg = f"`top` must be a positive number of links or None, got {top!r}"
        raise ValidationError(msg)
    if "rank" in gdf.columns:
        gdf = gdf.sort_values("rank")
    if top is not None:
        gdf = gdf.iloc[: int(top)]
    if len(gdf) == 0:
        return m
    ensure_assets(m)
    geoms = to_wgs84(gdf.geometry.to_numpy(), gdf_crs(gdf))
    fields = [(c, label) for c, label in GAP_FIELDS if c in gdf.columns]
    n = len(gdf)
    feats = []
    for i, ((_idx, row), geom) in enumerate(zip(gdf.iterrows(), geoms, strict=True)):
        rank = float(row["rank"]) if "rank" in gdf.columns else float(i + 1)
        props = {c: _gap_value(row[c]) for c, _label in fields}
        props["color"] = gap_color(rank, n)
        feats.append(feature(geom, props))
    geojson_layer(
        collection(feats),
        name="Missing links",
        show=show,
        style=_GAP_STYLE,
        color_from="color",
        detail=([c for c, _ in fields], [lb for _, lb in fields], "popup"),
    ).add_to(m)
    last = f"rank {n}" if n > 1 else "rank 1"
    add_legend_entry(m, f"Missing links (rank 1 black → {last} grey)", "ramp", GAP_COLORS)
    extend_bounds(m, bounds_of(geoms))
    return m


def _gap_value(value: Any) -> Any:  # noqa: ANN401
    value = clean(value)
    return text(value)[:200] if isinstance(value, str) else value


# --------------------------------------------------------------------------------------------
# isochrone
# --------------------------------------------------------------------------------------------
def _isochrone_parts(iso: Any) -> tuple[list[Any], list[dict[str, Any]], str | None]:  # noqa: ANN401
    """Return geometries, properties and CRS of an isochrone-like object."""
    if hasattr(iso, "to_gdf") and not hasattr(iso, "columns"):
        iso = iso.to_gdf()
    if hasattr(iso, "columns") and hasattr(iso, "geometry"):
        props_cols = [c for c in iso.columns if c != iso.geometry.name]
        props = [
            {c: clean(row[c]) for c in props_cols if not hasattr(row[c], "geom_type")}
            for _i, row in iso.iterrows()
        ]
        return list(iso.geometry.to_numpy()), props, gdf_crs(iso)
    if hasattr(iso, "geom_type"):  # a shapely geometry
        return [iso], [{}], DEFAULT_CRS
    geom = getattr(iso, "geometry", None)
    if geom is not None and hasattr(geom, "geom_type"):
        attrs = {
            k: clean(v)
            for k, v in vars(iso).items()
            if isinstance(v, (int, float, str)) and not k.startswith("_")
        }
        return [geom], [attrs], str(getattr(iso, "crs", DEFAULT_CRS))
    msg = (
        "`iso` must be a shapely geometry (EPSG:2154), a GeoDataFrame/GeoSeries, or an object "
        f"with `geometry` or `to_gdf()`, got {type(iso).__name__}"
    )
    raise ValidationError(msg)


_ISO_STYLE = {"color": "#5e35b1", "weight": 2, "fillColor": "#7e57c2", "fillOpacity": 0.2}
_REACHED_STYLE = {"color": "#4527a0", "weight": 5, "opacity": 0.6}


def add_isochrone(
    m: folium.Map,
    iso: Any,  # noqa: ANN401
    *,
    name: str = "Isochrone",
    simplify_m: float = DEFAULT_SIMPLIFY_M,
    show: bool = True,
) -> folium.Map:
    """Add an isochrone (reachable area, or reachable edges) to `m`.

    Parameters
    ----------
    m
        The map to draw on.
    iso
        The result of :func:`parcs.isochrone`: a GeoDataFrame/GeoSeries, an object with
        ``to_gdf()`` or ``geometry``, or a shapely geometry in EPSG:2154.
    name
        Layer name.
    simplify_m
        Display simplification tolerance in metres.
    show
        Whether the layer is visible when the page opens.

    Returns
    -------
    folium.Map
        `m`, for chaining.

    Raises
    ------
    ValidationError
        If `iso` is none of the accepted types.
    """
    tol = check_simplify(simplify_m)
    ensure_assets(m)
    reached = getattr(iso, "edges", None)
    if reached is not None and hasattr(reached, "geometry") and len(reached):
        # a parcs.Isochrone: also draw the reached network pieces
        lines = to_wgs84(simplify(reached.geometry.to_numpy(), tol), gdf_crs(reached))
        feats = [feature(g, {}) for g in lines if g is not None and not g.is_empty]
        geojson_layer(
            collection(feats), name=f"{name}: reached network", show=show, style=_REACHED_STYLE
        ).add_to(m)
        add_legend_entry(m, f"{name}: reached network", "line", "#4527a0")
    geoms, props, crs = _isochrone_parts(iso)
    out = to_wgs84(simplify(geoms, tol), crs)
    feats = [feature(g, p) for g, p in zip(out, props, strict=True) if g is not None]
    fields = sorted({k for p in props for k in p})
    geojson_layer(
        collection(feats),
        name=name,
        show=show,
        style=_ISO_STYLE,
        detail=(fields, [f.replace("_", " ") for f in fields], "tooltip") if fields else None,
    ).add_to(m)
    add_legend_entry(m, name, "area", "#7e57c2")
    extend_bounds(m, bounds_of(out))
    return m
