"""Interactive folium maps of the greenway network, places, routes, points-nœuds and gaps.

:func:`explore` draws everything in one call; the ``add_*`` functions add one layer each to an
existing :class:`folium.Map` and can be combined freely. Every layer is a
:class:`folium.GeoJson` (one per edge kind for the network, so a map of the whole embedded
network stays small) or a :class:`folium.FeatureGroup`, listed in a layer control.

Maps work offline: the Leaflet JavaScript and CSS (BSD-2, shipped in ``parcs/_static``) are
inlined in the page instead of being loaded from a CDN, so only the background tiles need a
network connection (``tiles=None`` draws the vector layers on a plain background).

Display geometry is simplified with a tolerance of :data:`DEFAULT_SIMPLIFY_M` metres (in
Lambert-93, before reprojection) and coordinates are rounded to :data:`COORD_DECIMALS` decimals
(about 0.1 m), so each network edge is written once, at display resolution.
"""

from __future__ import annotations

import base64
import html
import math
import re
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from pyproj import Transformer

from parcs._atomic import write_text
from parcs._log import logger
from parcs.graph import DEFAULT_KIND, edge_geometry, graph_crs, undirected_edges, validate_graph
from parcs.errors import ValidationError
from parcs.network.places import SETTLEMENT_KINDS

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from pathlib import Path

    import folium
    import geopandas as gpd
    import networkx as nx

__all__ = [
    "COORD_DECIMALS",
    "DEFAULT_SIMPLIFY_M",
    "KIND_COLORS",
    "KIND_LABELS",
    "PLACE_COLORS",
    "add_isochrone",
    "add_junctions",
    "add_legend",
    "add_missing_links",
    "add_network",
    "add_places",
    "add_route",
    "explore",
    "save_map",
]

#: Default display simplification tolerance, in metres (Douglas-Peucker in EPSG:2154).
DEFAULT_SIMPLIFY_M = 5.0
#: Decimals kept in WGS84 coordinates (6 decimals ≈ 0.1 m).
COORD_DECIMALS = 6

#: Line colour of each edge kind (embedded and OSM kinds of ``docs/graph-format.md``).
KIND_COLORS: Mapping[str, str] = {
    "cavalier": "#2e7d32",
    "eurovelo": "#1565c0",
    "cycleway": "#6a1b9a",
    "towpath": "#00838f",
    "path": "#8d6e63",
    "track": "#b08d57",
    "connector": "#e65100",
}
#: Legend label of each edge kind.
KIND_LABELS: Mapping[str, str] = {
    "cavalier": "Cavalier (former mining railway)",
    "eurovelo": "EuroVelo 5",
    "cycleway": "Cycleway",
    "towpath": "Towpath",
    "path": "Path",
    "track": "Track",
    "connector": "Connector (unbuilt gap / quiet road)",
}
_OTHER_COLOR = "#555555"
#: Fill colour of each place kind.
PLACE_COLORS: Mapping[str, str] = {
    "terril": "#6d4c41",
    "espace_neonaturel": "#43a047",
    "parc": "#66bb6a",
    "park": "#66bb6a",
    "nature": "#9ccc65",
    "forest": "#1b5e20",
    "station": "#3949ab",
    "viewpoint": "#f9a825",
    "commune": "#9e9e9e",
    "town": "#757575",
}
_PLACE_LABELS = {
    "terril": "Terrils (spoil tips)",
    "espace_neonaturel": "Espaces néo-naturels (parks)",
    "parc": "Parks",
    "park": "Parks",
    "nature": "Nature areas",
    "forest": "Forests and woods",
    "station": "Railway stations",
    "viewpoint": "Viewpoints",
    "commune": "Communes",
    "town": "Towns and villages",
}
_ROUTE_COLORS = ("#d81b60", "#1e88e5", "#fdd835", "#00897b", "#8e24aa")
_WGS84 = "EPSG:4326"
_DEFAULT_CRS = "EPSG:2154"


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------
def _folium() -> Any:  # noqa: ANN401
    import folium  # noqa: PLC0415

    return folium


@cache
def _transformer(crs: str) -> Transformer:
    return Transformer.from_crs(crs, _WGS84, always_xy=True)


def _to_wgs84(geoms: Any, crs: str | None) -> np.ndarray:  # noqa: ANN401
    """Reproject an array of shapely geometries to lon/lat and round the coordinates."""
    arr = np.asarray(geoms, dtype=object)
    if crs is None or str(crs).upper() in {"EPSG:4326", "OGC:CRS84"}:
        out = arr
    else:
        tr = _transformer(str(crs))

        def fwd(xy: np.ndarray) -> np.ndarray:
            lon, lat = tr.transform(xy[:, 0], xy[:, 1])
            return np.column_stack([lon, lat])

        out = shapely.transform(arr, fwd)
    return np.asarray(shapely.transform(out, lambda xy: np.round(xy, COORD_DECIMALS)), dtype=object)


def _simplify(geoms: Any, simplify_m: float) -> np.ndarray:  # noqa: ANN401
    arr = np.asarray(geoms, dtype=object)
    if simplify_m > 0:
        return np.asarray(shapely.simplify(arr, simplify_m, preserve_topology=True), dtype=object)
    return arr


def _check_simplify(simplify_m: float) -> float:
    value = float(simplify_m)
    if not math.isfinite(value) or value < 0:
        msg = f"`simplify_m` must be a finite number of metres >= 0, got {simplify_m!r}"
        raise ValidationError(msg)
    return value


def _feature(geom: Any, props: dict[str, Any]) -> dict[str, Any]:  # noqa: ANN401
    return {"type": "Feature", "geometry": shapely.geometry.mapping(geom), "properties": props}


def _collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


def _bounds_of(geoms: Iterable[Any]) -> list[float] | None:
    """Return ``[west, south, east, north]`` of lon/lat geometries, or None if empty."""
    arr = [g for g in geoms if g is not None and not g.is_empty]
    if not arr:
        return None
    b = shapely.total_bounds(np.asarray(arr, dtype=object))
    return [float(v) for v in b]


def _extend_bounds(m: folium.Map, bounds: list[float] | None) -> None:
    """Remember the content bounds on the map (used by :func:`explore` to fit the view)."""
    if bounds is None:
        return
    old = getattr(m, "_parcs_bounds", None)
    if old is not None:
        bounds = [
            min(old[0], bounds[0]),
            min(old[1], bounds[1]),
            max(old[2], bounds[2]),
            max(old[3], bounds[3]),
        ]
    m._parcs_bounds = bounds  # type: ignore[attr-defined]


def _fit(m: folium.Map, *, attr: str = "_parcs_bounds") -> None:
    b = getattr(m, attr, None)
    if b is not None:
        m.fit_bounds([[b[1], b[0]], [b[3], b[2]]], padding=(10, 10))


def _gdf_crs(obj: Any) -> str:  # noqa: ANN401
    """Return the CRS of a GeoDataFrame as text; a missing CRS means the parcs EPSG:2154."""
    crs = getattr(obj, "crs", None)
    if crs is None:
        return _DEFAULT_CRS
    to_string = getattr(crs, "to_string", None)
    return str(to_string()) if callable(to_string) else str(crs)


def _esc(value: Any) -> str:  # noqa: ANN401
    return html.escape(str(value))


def _fmt_km(metres: float) -> str:
    return f"{metres / 1000:.2f} km"


def _fmt_duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d}" if hours else f"{minutes} min"


def _clean(value: Any) -> Any:  # noqa: ANN401
    """Make a property value JSON-friendly (numpy scalars, tuples, NaN)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return None if not math.isfinite(value) else round(value, 3)
    if isinstance(value, (tuple, list, set, np.ndarray)):
        return ";".join(str(v) for v in value)
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)


# --------------------------------------------------------------------------------------------
# offline assets
# --------------------------------------------------------------------------------------------
def _root(m: folium.Map) -> Any:  # noqa: ANN401
    """Return the branca Figure holding `m` (typed loosely: branca's stubs say Element)."""
    return m.get_root()


@cache
def _static_text(name: str) -> str:
    return (resources.files("parcs") / "_static" / name).read_text(encoding="utf-8")


@cache
def _leaflet_css() -> str:
    css = _static_text("leaflet.css")

    def data_uri(match: re.Match[str]) -> str:
        data = (resources.files("parcs") / "_static" / "images" / match.group(1)).read_bytes()
        return f"url(data:image/png;base64,{base64.b64encode(data).decode('ascii')})"

    return re.sub(r"url\(images/([\w.-]+\.png)\)", data_uri, css)


_PARCS_CSS = """
.parcs-junction{width:18px;height:18px;border-radius:50%;background:#fff;
border:2px solid #2e7d32;color:#1b5e20;font:bold 10px/18px Arial,sans-serif;text-align:center;
box-shadow:0 1px 2px rgba(0,0,0,.4)}
.parcs-endpoint{width:24px;height:24px;border-radius:50%;color:#fff;text-align:center;
font:bold 13px/24px Arial,sans-serif;border:2px solid #fff;box-shadow:0 1px 3px rgba(0,0,0,.5)}
.parcs-legend{position:fixed;bottom:56px;left:10px;z-index:1000;background:rgba(255,255,255,.92);
padding:6px 10px;border-radius:4px;font:12px Arial,sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3)}
.parcs-legend div{margin:2px 0}
.parcs-legend span{display:inline-block;width:22px;height:0;margin-right:6px;
vertical-align:middle;border-top-width:4px;border-top-style:solid}
.parcs-legend span.area{height:10px;border:1px solid #555;border-top-width:1px}
"""


# folium's Popup builds its HTML with jQuery's ``$(`<div>...</div>`)[0]``; jQuery itself is
# not embedded, so this shim turns an HTML string into its first element (only if no jQuery).
_JQUERY_SHIM = """window.$=window.$||function(h){var t=document.createElement('template');
t.innerHTML=String(h).trim();return [t.content.firstElementChild];};"""


def _ensure_css(m: folium.Map) -> None:
    """Add the CSS of parcs markers and legend to the page (once)."""
    folium = _folium()
    _root(m).header.add_child(folium.Element(f"<style>{_PARCS_CSS}</style>"), name="parcs_css")


def _make_offline(m: folium.Map) -> None:
    """Inline Leaflet's JS/CSS in the page and drop the CDN links folium adds by default.

    folium's default page loads Leaflet, jQuery, Bootstrap and Font Awesome from CDNs; parcs
    layers need only Leaflet (and jQuery's ``$(html)`` in folium popups, replaced by a
    two-line shim), so the map works with no network at all (tiles aside).
    """
    folium = _folium()
    if getattr(m, "_parcs_offline", False):
        return
    m.default_js = []
    m.default_css = []
    header = _root(m).header
    header.add_child(folium.Element(f"<style>{_leaflet_css()}</style>"), name="parcs_leaflet_css")
    # Leaflet must be defined before the map script, which folium puts at the end of <body>
    header.add_child(
        folium.Element(f"<script>{_static_text('leaflet.js')}\n{_JQUERY_SHIM}</script>"),
        name="parcs_leaflet_js",
    )
    m._parcs_offline = True  # type: ignore[attr-defined]


def _new_map(tiles: Any) -> folium.Map:  # noqa: ANN401
    fol = _folium()
    if isinstance(tiles, str) and tiles.lower() == "none":
        tiles = None
    extra: dict[str, Any] = {}
    if isinstance(tiles, str) and "{z}" in tiles:
        extra["attr"] = "Map tiles: see the tile provider"  # folium requires an attribution
    try:
        m: folium.Map = fol.Map(
            location=[50.45, 2.75],
            zoom_start=11,
            tiles=tiles,
            control_scale=True,
            zoom_snap=0.25,
            **extra,
        )
    except ValueError as err:
        msg = (
            f"`tiles` {tiles!r} is not a tile provider folium knows ({err}); use "
            '"OpenStreetMap", "CyclOSM", "OpenTopoMap", None, or a URL template with {z}/{x}/{y}'
        )
        raise ValidationError(msg) from err
    _make_offline(m)
    _ensure_css(m)
    return m


# --------------------------------------------------------------------------------------------
# network
# --------------------------------------------------------------------------------------------
_NETWORK_STYLE = """function(f){var p=f.properties;return {color:p.color,weight:p.built?4:3,
opacity:0.9,dashArray:p.built?null:'6 6'};}"""


def add_network(
    m: folium.Map,
    G: nx.MultiDiGraph,
    *,
    simplify_m: float = DEFAULT_SIMPLIFY_M,
    show: bool = True,
) -> folium.Map:
    """Add the greenway network, one GeoJSON layer per edge kind, to `m`.

    Each undirected edge is drawn once, coloured by kind (:data:`KIND_COLORS`); unbuilt edges
    (gap connectors, ``built=False``) are dashed. The tooltip gives name, kind and length.

    Parameters
    ----------
    m
        The map to draw on.
    G
        A parcs network (``docs/graph-format.md``).
    simplify_m
        Display simplification tolerance in metres (0 keeps every vertex).
    show
        Whether the layers are visible when the page opens.

    Returns
    -------
    folium.Map
        `m`, for chaining.

    Raises
    ------
    ValidationError
        If `simplify_m` is negative or not finite.
    """
    folium = _folium()
    tol = _check_simplify(simplify_m)
    validate_graph(G)
    edges = list(undirected_edges(G))
    if not edges:
        logger.info("add_network: the graph has no edges, nothing drawn")
        return m
    crs = graph_crs(G) or _DEFAULT_CRS
    geoms = _simplify([edge_geometry(G, u, v, d) for u, v, _k, d in edges], tol)
    geoms = _to_wgs84(geoms, crs)
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for (_u, _v, _k, data), geom in zip(edges, geoms, strict=True):
        kind = str(data.get("kind") or DEFAULT_KIND)
        built = bool(data.get("built", True))
        props = {
            "name": str(data.get("name", "") or ""),
            "kind": kind,
            "km": round(float(data.get("length", 0.0)) / 1000.0, 2),
            "built": built,
            "color": KIND_COLORS.get(kind, _OTHER_COLOR),
        }
        by_kind.setdefault(kind, []).append(_feature(geom, props))
    order = [k for k in KIND_COLORS if k in by_kind] + sorted(set(by_kind) - set(KIND_COLORS))
    from folium.utilities import JsCode  # noqa: PLC0415

    for kind in order:
        feats = by_kind[kind]
        label = KIND_LABELS.get(kind, kind)
        folium.GeoJson(
            _collection(feats),
            name=f"Network: {label}",
            show=show,
            tooltip=folium.GeoJsonTooltip(
                fields=["name", "kind", "km"], aliases=["Name", "Kind", "km"], sticky=True
            ),
            style=JsCode(_NETWORK_STYLE),
        ).add_to(m)
    _extend_bounds(m, _bounds_of(geoms))
    m._parcs_kinds = order  # type: ignore[attr-defined]
    logger.info("add_network: %d edges drawn in %d kind layers", len(edges), len(order))
    return m


# --------------------------------------------------------------------------------------------
# places
# --------------------------------------------------------------------------------------------
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


_PLACE_STYLE = """function(f){var c=f.properties.color;
return {color:c,weight:1,fillColor:c,fillOpacity:0.35};}"""


def add_places(
    m: folium.Map,
    G: Any,  # noqa: ANN401
    *,
    kinds: Iterable[str] = (
        "terril",
        "espace_neonaturel",
        "parc",
        "park",
        "nature",
        "forest",
        "station",
        "viewpoint",
    ),
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
    folium = _folium()
    from folium.utilities import JsCode  # noqa: PLC0415

    tol = _check_simplify(simplify_m)
    gdf = _places_of(G)
    if gdf is None or len(gdf) == 0:
        logger.info("add_places: no places to draw")
        return m
    crs = _gdf_crs(gdf)
    kind_col = gdf["kind"] if "kind" in gdf.columns else None
    drawn = 0
    for kind in kinds:
        sub = gdf[kind_col == kind] if kind_col is not None else gdf.iloc[0:0]
        if len(sub) == 0:
            continue
        geoms = _to_wgs84(_simplify(sub.geometry.to_numpy(), tol), crs)
        color = PLACE_COLORS.get(kind, _OTHER_COLOR)
        feats = []
        for (_idx, row), geom in zip(sub.iterrows(), geoms, strict=True):
            area = row.get("area_ha", float("nan"))
            feats.append(
                _feature(
                    geom,
                    {
                        "name": str(row.get("name", "")),
                        "kind": kind,
                        "area_ha": _clean(round(float(area), 1)),
                        "color": color,
                    },
                )
            )
        folium.GeoJson(
            _collection(feats),
            name=_PLACE_LABELS.get(kind, kind),
            show=show,
            style=JsCode(_PLACE_STYLE),
            popup=folium.GeoJsonPopup(fields=["name", "area_ha"], aliases=["Name", "Area (ha)"]),
        ).add_to(m)
        if kind not in SETTLEMENT_KINDS:
            _extend_bounds(m, _bounds_of(geoms))
        m._parcs_places = [*getattr(m, "_parcs_places", []), kind]  # type: ignore[attr-defined]
        drawn += len(feats)
    logger.info("add_places: %d places drawn", drawn)
    return m


# --------------------------------------------------------------------------------------------
# routes
# --------------------------------------------------------------------------------------------
def _route_line_wgs84(route: Any) -> Any:  # noqa: ANN401
    geom = getattr(route, "geometry_wgs84", None)
    if geom is not None:
        return _to_wgs84([geom], None)[0]
    geom = getattr(route, "geometry", None)
    if geom is None:
        msg = (
            "`route` must have a `geometry_wgs84` or `geometry` LineString (a parcs.Route), "
            f"got {type(route).__name__}"
        )
        raise ValidationError(msg)
    return _to_wgs84([geom], _DEFAULT_CRS)[0]


def _route_length(route: Any) -> float | None:  # noqa: ANN401
    length = getattr(route, "length_m", None)
    if length is None and getattr(route, "geometry", None) is not None:
        length = route.geometry.length  # EPSG:2154 metres
    return None if length is None else float(length)


def _route_popup_html(route: Any) -> str:  # noqa: ANN401
    title = ""
    orig = getattr(route, "orig_label", "") or ""
    dest = getattr(route, "dest_label", "") or ""
    if orig or dest:
        title = f"<b>{_esc(orig)} → {_esc(dest)}</b><br>"
    rows = []
    length = _route_length(route)
    if length is not None:
        rows.append(f"Length: {_fmt_km(length)}")
    duration = getattr(route, "duration_s", None)
    if duration is not None:
        profile = getattr(route, "profile", "")
        rows.append(
            f"Duration: {_fmt_duration(float(duration))}"
            + (f" ({_esc(profile)})" if profile else "")
        )
    km_by_kind = getattr(route, "km_by_kind", None) or {}
    rows.extend(f"{_esc(kind)}: {float(km):.2f} km" for kind, km in km_by_kind.items())
    connector_km = getattr(route, "connector_km", None)
    if connector_km is not None:
        rows.append(f"Connectors (unbuilt): {float(connector_km):.2f} km")
    return title + "<br>".join(rows)


def _endpoint_icon(label: str, color: str) -> Any:  # noqa: ANN401
    folium = _folium()
    return folium.DivIcon(
        html=f'<div class="parcs-endpoint" style="background:{color}">{_esc(label)}</div>',
        icon_size=(24, 24),
        icon_anchor=(12, 12),
        class_name="parcs-endpoint-icon",
    )


def add_route(
    m: folium.Map,
    route: Any,  # noqa: ANN401
    *,
    name: str | None = None,
    color: str = _ROUTE_COLORS[0],
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
    folium = _folium()
    line = _route_line_wgs84(route)
    _ensure_css(m)
    if name is None:
        orig = getattr(route, "orig_label", "") or "start"
        dest = getattr(route, "dest_label", "") or "end"
        name = f"Route: {orig} → {dest}"
    group = folium.FeatureGroup(name=name, show=show)
    popup_html = _route_popup_html(route)
    latlon = [(lat, lon) for lon, lat in line.coords]
    folium.PolyLine(
        latlon,
        color=color,
        weight=6,
        opacity=0.85,
        popup=folium.Popup(popup_html, max_width=320),
        tooltip=_fmt_km(length) if (length := _route_length(route)) is not None else name,
    ).add_to(group)
    if latlon:
        loop = latlon[0] == latlon[-1]
        folium.Marker(
            latlon[0],
            icon=_endpoint_icon("A", "#2e7d32"),
            popup=folium.Popup(popup_html, max_width=320),
            tooltip="Start" + (" / end" if loop else ""),
        ).add_to(group)
        if not loop:
            folium.Marker(
                latlon[-1],
                icon=_endpoint_icon("B", "#c62828"),
                popup=folium.Popup(popup_html, max_width=320),
                tooltip="End",
            ).add_to(group)
    group.add_to(m)
    bounds = _bounds_of([line])
    _extend_bounds(m, bounds)
    if bounds is not None:
        old = getattr(m, "_parcs_route_bounds", None) or bounds
        m._parcs_route_bounds = [  # type: ignore[attr-defined]
            min(old[0], bounds[0]),
            min(old[1], bounds[1]),
            max(old[2], bounds[2]),
            max(old[3], bounds[3]),
        ]
    return m


# --------------------------------------------------------------------------------------------
# junctions, the "points-nœuds"
# --------------------------------------------------------------------------------------------
def _junction_icon(number: Any) -> Any:  # noqa: ANN401
    folium = _folium()
    return folium.DivIcon(
        html=f'<div class="parcs-junction">{_esc(number)}</div>',
        icon_size=(22, 22),
        icon_anchor=(11, 11),
        class_name="parcs-junction-icon",
    )


_LINK_STYLE = "function(f){return {color:'#004d40',weight:2,opacity:0.8};}"


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
    folium = _folium()
    from folium.utilities import JsCode  # noqa: PLC0415

    tol = _check_simplify(simplify_m)
    junctions = getattr(net, "junctions", None)
    if junctions is None or not hasattr(junctions, "geometry"):
        msg = (
            "`net` must have a `junctions` GeoDataFrame (a parcs.JunctionNetwork from "
            f"parcs.points_noeuds(G)), got {type(net).__name__}"
        )
        raise ValidationError(msg)
    link_gdf = getattr(net, "links", None) if links else None
    if link_gdf is not None and len(link_gdf):
        geoms = _to_wgs84(_simplify(link_gdf.geometry.to_numpy(), tol), _gdf_crs(link_gdf))
        feats = []
        for (_i, row), geom in zip(link_gdf.iterrows(), geoms, strict=True):
            feats.append(
                _feature(
                    geom,
                    {
                        "name": str(row.get("name", "")),
                        "km": round(float(row.get("length_m", geom.length)) / 1000.0, 2),
                    },
                )
            )
        folium.GeoJson(
            _collection(feats),
            name="Points-nœuds links",
            show=show_links,
            style=JsCode(_LINK_STYLE),
            tooltip=folium.GeoJsonTooltip(fields=["name", "km"], aliases=["Link", "km"]),
        ).add_to(m)
        _extend_bounds(m, _bounds_of(geoms))
    _ensure_css(m)
    group = folium.FeatureGroup(name="Points-nœuds", show=show)
    points = _to_wgs84(junctions.geometry.to_numpy(), _gdf_crs(junctions))
    numbers = junctions["number"].tolist() if "number" in junctions.columns else range(len(points))
    for number, pt in zip(numbers, points, strict=True):
        folium.Marker(
            (pt.y, pt.x), icon=_junction_icon(_clean(number)), tooltip=f"Point-nœud {number}"
        ).add_to(group)
    group.add_to(m)
    _extend_bounds(m, _bounds_of(points))
    logger.info("add_junctions: %d junction markers", len(points))
    return m


# --------------------------------------------------------------------------------------------
# missing links
# --------------------------------------------------------------------------------------------
_GAP_STYLE = """function(f){return {color:f.properties.color,weight:6,opacity:0.9,
dashArray:'2 8',lineCap:'round'};}"""


def _rank_color(rank: float, n: int) -> str:
    """Red for the best-ranked gap, through orange to yellow for the last."""
    t = 0.0 if n <= 1 else min(max((rank - 1) / (n - 1), 0.0), 1.0)
    r, g, b = 200, int(30 + t * 190), 30
    return f"#{r:02x}{g:02x}{b:02x}"


def add_missing_links(
    m: folium.Map,
    gdf: gpd.GeoDataFrame,
    *,
    top: int | None = None,
    show: bool = True,
) -> folium.Map:
    """Add ranked missing links, coloured by rank (red = most useful), with benefit popups.

    Parameters
    ----------
    m
        The map to draw on.
    gdf
        The GeoDataFrame of :func:`parcs.missing_links` (``rank``, ``straight_m``,
        ``est_length_m``, ``benefit``, ``benefit_per_km``, ``trips_new``, line geometry);
        missing columns are left out of the popup.
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
    folium = _folium()
    from folium.utilities import JsCode  # noqa: PLC0415

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
    geoms = _to_wgs84(gdf.geometry.to_numpy(), _gdf_crs(gdf))
    fields = [
        c
        for c in ("rank", "straight_m", "est_length_m", "benefit", "benefit_per_km", "trips_new")
        if c in gdf.columns
    ]
    n = len(gdf)
    feats = []
    for i, ((_idx, row), geom) in enumerate(zip(gdf.iterrows(), geoms, strict=True)):
        rank = float(row["rank"]) if "rank" in gdf.columns else float(i + 1)
        props = {c: _clean(row[c]) for c in fields}
        props["color"] = _rank_color(rank, n)
        feats.append(_feature(geom, props))
    popup = (
        folium.GeoJsonPopup(fields=fields, aliases=[f.replace("_", " ") for f in fields])
        if fields
        else None
    )
    folium.GeoJson(
        _collection(feats), name="Missing links", show=show, style=JsCode(_GAP_STYLE), popup=popup
    ).add_to(m)
    _extend_bounds(m, _bounds_of(geoms))
    return m


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
            {c: _clean(row[c]) for c in props_cols if not hasattr(row[c], "geom_type")}
            for _i, row in iso.iterrows()
        ]
        return list(iso.geometry.to_numpy()), props, _gdf_crs(iso)
    if hasattr(iso, "geom_type"):  # a shapely geometry
        return [iso], [{}], _DEFAULT_CRS
    geom = getattr(iso, "geometry", None)
    if geom is not None and hasattr(geom, "geom_type"):
        attrs = {
            k: _clean(v)
            for k, v in vars(iso).items()
            if isinstance(v, (int, float, str)) and not k.startswith("_")
        }
        return [geom], [attrs], str(getattr(iso, "crs", _DEFAULT_CRS))
    msg = (
        "`iso` must be a shapely geometry (EPSG:2154), a GeoDataFrame/GeoSeries, or an object "
        f"with `geometry` or `to_gdf()`, got {type(iso).__name__}"
    )
    raise ValidationError(msg)


_ISO_STYLE = """function(f){return {color:'#5e35b1',weight:2,fillColor:'#7e57c2',
fillOpacity:0.2};}"""


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
    folium = _folium()
    from folium.utilities import JsCode  # noqa: PLC0415

    tol = _check_simplify(simplify_m)
    reached = getattr(iso, "edges", None)
    if reached is not None and hasattr(reached, "geometry") and len(reached):
        # a parcs.Isochrone: also draw the reached network pieces
        lines = _to_wgs84(_simplify(reached.geometry.to_numpy(), tol), _gdf_crs(reached))
        feats = [_feature(g, {}) for g in lines if g is not None and not g.is_empty]
        folium.GeoJson(
            _collection(feats),
            name=f"{name}: reached network",
            show=show,
            style=JsCode("function(f){return {color:'#4527a0',weight:5,opacity:0.6};}"),
        ).add_to(m)
    geoms, props, crs = _isochrone_parts(iso)
    out = _to_wgs84(_simplify(geoms, tol), crs)
    feats = [_feature(g, p) for g, p in zip(out, props, strict=True) if g is not None]
    fields = sorted({k for p in props for k in p})
    tooltip = folium.GeoJsonTooltip(fields=fields) if fields else None
    folium.GeoJson(
        _collection(feats), name=name, show=show, style=JsCode(_ISO_STYLE), tooltip=tooltip
    ).add_to(m)
    _extend_bounds(m, _bounds_of(out))
    return m


# --------------------------------------------------------------------------------------------
# legend, explore, save
# --------------------------------------------------------------------------------------------
def add_legend(
    m: folium.Map,
    *,
    kinds: Iterable[str] | None = None,
    places: Iterable[str] = (),
    extra: Mapping[str, str] | None = None,
    title: str = "Chaîne des parcs",
) -> folium.Map:
    """Add a small fixed legend (HTML) with the edge-kind colours.

    Parameters
    ----------
    m
        The map to draw on.
    kinds
        Edge kinds to list; default the kinds drawn by :func:`add_network` on `m`, else all.
    places
        Place kinds to list as filled squares.
    extra
        More ``{label: css colour}`` line entries (routes, gaps...).
    title
        Legend title.

    Returns
    -------
    folium.Map
        `m`, for chaining.
    """
    folium = _folium()
    if kinds is None:
        kinds = getattr(m, "_parcs_kinds", None) or list(KIND_COLORS)
    rows = [f"<b>{_esc(title)}</b>"]
    for kind in kinds:
        color = KIND_COLORS.get(kind, _OTHER_COLOR)
        style = "dashed" if kind == "connector" else "solid"
        rows.append(
            f'<div><span style="border-top-color:{color};border-top-style:{style}"></span>'
            f"{_esc(KIND_LABELS.get(kind, kind))}</div>"
        )
    for kind in places:
        color = PLACE_COLORS.get(kind, _OTHER_COLOR)
        rows.append(
            f'<div><span class="area" style="background:{color}"></span>'
            f"{_esc(_PLACE_LABELS.get(kind, kind))}</div>"
        )
    for label, color in (extra or {}).items():
        rows.append(f'<div><span style="border-top-color:{_esc(color)}"></span>{_esc(label)}</div>')
    _ensure_css(m)
    legend = folium.Element(f'<div class="parcs-legend">{"".join(rows)}</div>')
    _root(m).html.add_child(legend, name="parcs_legend")
    return m


def explore(  # noqa: C901
    G: nx.MultiDiGraph,
    *,
    routes: Any = (),  # noqa: ANN401
    junctions: Any = None,  # noqa: ANN401
    links: gpd.GeoDataFrame | None = None,
    places: bool = True,
    communes: bool = False,
    isochrone: Any = None,  # noqa: ANN401
    tiles: Any = "OpenStreetMap",  # noqa: ANN401
    simplify_m: float = DEFAULT_SIMPLIFY_M,
    fit: str = "auto",
) -> folium.Map:
    """Draw the network and any results on an interactive folium map.

    Parameters
    ----------
    G
        A parcs network (``docs/graph-format.md``).
    routes
        A :class:`parcs.Route` or a sequence of them.
    junctions
        A :class:`parcs.JunctionNetwork` (from :func:`parcs.points_noeuds`), drawn as numbered
        markers with their links.
    links
        The ranked missing links of :func:`parcs.missing_links`.
    places
        Draw terrils and parks (needs places on `G`).
    communes
        Draw the settlements (commune outlines, OSM towns), hidden at start (toggle them in
        the layer control).
    isochrone
        The result of :func:`parcs.isochrone`.
    tiles
        {"OpenStreetMap", "CyclOSM", "OpenTopoMap", ...} (any folium / xyzservices name), a
        tile URL template with ``{z}/{x}/{y}``, a folium TileLayer, or None for no background
        (the vector layers still render offline).
    simplify_m
        Display simplification tolerance in metres (default :data:`DEFAULT_SIMPLIFY_M`).
    fit
        {"auto", "all", "routes"}: the initial view. ``"all"`` fits every layer,
        ``"routes"`` the routes, ``"auto"`` the routes when there are some, else everything.

    Returns
    -------
    folium.Map
        The map, fitted to its content, with a layer control and a legend.

    Raises
    ------
    ValidationError
        If `simplify_m` is negative, `fit` is unknown or `tiles` is unknown to folium.

    See Also
    --------
    save_map : write the map to an HTML file atomically.

    Examples
    --------
    >>> import parcs
    >>> G = parcs.load_network()  # doctest: +SKIP
    >>> m = parcs.maps.explore(G, tiles=None)  # doctest: +SKIP
    >>> parcs.maps.save_map(m, "network.html")  # doctest: +SKIP
    """
    folium = _folium()
    tol = _check_simplify(simplify_m)
    if fit not in {"auto", "all", "routes"}:
        msg = f'`fit` must be one of "auto", "all", "routes", got {fit!r}'
        raise ValidationError(msg)
    m = _new_map(tiles)
    if places:
        add_places(m, G, simplify_m=tol)
    place_kinds = [k for k in getattr(m, "_parcs_places", []) if k not in SETTLEMENT_KINDS]
    if communes:
        add_places(m, G, kinds=sorted(SETTLEMENT_KINDS), simplify_m=tol, show=False)
    add_network(m, G, simplify_m=tol)
    if isochrone is not None:
        add_isochrone(m, isochrone, simplify_m=tol)
    if links is not None:
        add_missing_links(m, links)
    if junctions is not None:
        add_junctions(m, junctions, simplify_m=tol)
    if routes is None:
        routes = ()
    elif hasattr(routes, "geometry_wgs84") or hasattr(routes, "length_m"):
        routes = (routes,)  # a single route
    extra: dict[str, str] = {}
    for i, route in enumerate(routes):
        color = _ROUTE_COLORS[i % len(_ROUTE_COLORS)]
        add_route(m, route, color=color)
        extra[f"Route {i + 1}" if i else "Route"] = color
    if links is not None:
        extra["Missing link (red = best)"] = "#c81e1e"
    add_legend(m, places=place_kinds, extra=extra)
    folium.LayerControl(collapsed=True).add_to(m)
    has_routes = getattr(m, "_parcs_route_bounds", None) is not None
    _fit(m, attr="_parcs_route_bounds" if fit != "all" and has_routes else "_parcs_bounds")
    return m


def save_map(m_or_G: Any, path: str | Path, **kw: Any) -> Path:  # noqa: ANN401
    """Write a map to `path` as a self-contained HTML page, atomically.

    Parameters
    ----------
    m_or_G
        A :class:`folium.Map`, or a parcs network, in which case ``explore(m_or_G, **kw)``
        is drawn first.
    path
        Output ``.html`` file.
    **kw
        Keyword arguments for :func:`explore` (only when `m_or_G` is a network).

    Returns
    -------
    Path
        The written path.

    Raises
    ------
    ValidationError
        If keyword arguments are given with a map, or `m_or_G` is neither a map nor a graph.
    """
    folium = _folium()
    if isinstance(m_or_G, folium.Map):
        if kw:
            msg = f"keyword arguments {sorted(kw)} apply only when `m_or_G` is a network"
            raise ValidationError(msg)
        m = m_or_G
    elif hasattr(m_or_G, "graph") and hasattr(m_or_G, "edges"):
        m = explore(m_or_G, **kw)
    else:
        msg = f"`m_or_G` must be a folium.Map or a parcs network, got {type(m_or_G).__name__}"
        raise ValidationError(msg)
    page = m.get_root().render()
    out = write_text(path, page)
    logger.info("save_map: wrote %s (%.1f kB)", out, len(page.encode("utf-8")) / 1000)
    return out
