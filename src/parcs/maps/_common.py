r"""Shared constants and helpers of the map layers: colours, reprojection, bounds, escaping.

Escaping rules (every string that reaches the page goes through one of them):

* :func:`esc` for text placed in HTML we build (popups, legend, marker icons, layer names,
  which Leaflet's layer control writes with ``innerHTML``); it also encodes ``{`` and ``}``,
  because folium renders layer names and icons through Jinja templates;
* :func:`js_json` for any value placed in a ``<script>``: JSON with ``<``, ``>``, ``&`` and the
  two JavaScript line separators written as ``\\uXXXX``, so no data can close the script;
* feature properties (names, communes...) are never turned into HTML: the page's helpers
  (``_static/parcs.js``) put them in tooltips and popups with ``textContent``.
"""

from __future__ import annotations

import html
import json
import math
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from pyproj import Transformer

from parcs.errors import ValidationError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    import folium

#: Default display simplification tolerance, in metres (Douglas-Peucker in the graph's CRS).
DEFAULT_SIMPLIFY_M = 5.0
#: Decimals kept in WGS84 coordinates of the GeoJSON layers (6 decimals ≈ 0.1 m).
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
OTHER_COLOR = "#555555"
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
PLACE_LABELS: Mapping[str, str] = {
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
ROUTE_COLORS = ("#d81b60", "#1e88e5", "#fdd835", "#00897b", "#8e24aa")
#: Missing links, best rank first: black to grey, a scale no edge kind, route or place uses
#: (the orange connectors above all), drawn dotted and thick.
GAP_COLORS = ("#000000", "#3d3d3d", "#707070", "#a3a3a3")
JUNCTION_COLOR = "#2e7d32"
WGS84 = "EPSG:4326"
DEFAULT_CRS = "EPSG:2154"


def folium_module() -> Any:  # noqa: ANN401
    """Return the folium module (imported on first use: it is slow to import)."""
    import folium  # noqa: PLC0415

    return folium


# --------------------------------------------------------------------------------------------
# escaping
# --------------------------------------------------------------------------------------------
_BRACES = str.maketrans({"{": "&#123;", "}": "&#125;"})


def esc(value: Any) -> str:  # noqa: ANN401
    """Escape `value` (as text) for HTML: ``&<>"'``, and ``{}`` (which Jinja would read)."""
    return html.escape(str(value)).translate(_BRACES)


_JS_UNSAFE = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def js_json(value: Any) -> str:  # noqa: ANN401
    """JSON text of `value` that is safe inside an HTML ``<script>`` element."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False).translate(_JS_UNSAFE)


def layer_name(text: Any) -> str:  # noqa: ANN401
    """Return a layer-control name, HTML-escaped (Leaflet writes it with ``innerHTML``)."""
    return esc(text)


# --------------------------------------------------------------------------------------------
# geometry
# --------------------------------------------------------------------------------------------
@cache
def _transformer(crs: str) -> Transformer:
    return Transformer.from_crs(crs, WGS84, always_xy=True)


def is_wgs84(crs: str | None) -> bool:
    """Whether `crs` is lon/lat WGS84 (or missing, for geometries already in lon/lat)."""
    return crs is None or str(crs).upper() in {"EPSG:4326", "OGC:CRS84"}


def to_wgs84(geoms: Any, crs: str | None, *, decimals: int = COORD_DECIMALS) -> np.ndarray:  # noqa: ANN401
    """Reproject an array of shapely geometries to lon/lat and round the coordinates."""
    arr = np.asarray(geoms, dtype=object)
    if is_wgs84(crs):
        out = arr
    else:
        tr = _transformer(str(crs))

        def fwd(xy: np.ndarray) -> np.ndarray:
            lon, lat = tr.transform(xy[:, 0], xy[:, 1])
            return np.column_stack([lon, lat])

        out = shapely.transform(arr, fwd)
    return np.asarray(shapely.transform(out, lambda xy: np.round(xy, decimals)), dtype=object)


def lonlat(x: np.ndarray, y: np.ndarray, crs: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Reproject coordinate arrays to lon/lat."""
    if is_wgs84(crs):
        return np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    lon, lat = _transformer(str(crs)).transform(np.asarray(x, float), np.asarray(y, float))
    return np.asarray(lon), np.asarray(lat)


def simplify(geoms: Any, simplify_m: float) -> np.ndarray:  # noqa: ANN401
    """Douglas-Peucker simplification for display (topology preserved; 0 keeps every vertex)."""
    arr = np.asarray(geoms, dtype=object)
    if simplify_m > 0:
        return np.asarray(shapely.simplify(arr, simplify_m, preserve_topology=True), dtype=object)
    return arr


def check_simplify(simplify_m: float) -> float:
    """Return `simplify_m` as a float, or raise if it is not a finite number >= 0."""
    try:
        value = float(simplify_m)
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value) or value < 0:
        msg = f"`simplify_m` must be a finite number of metres >= 0, got {simplify_m!r}"
        raise ValidationError(msg)
    return value


def feature(geom: Any, props: dict[str, Any]) -> dict[str, Any]:  # noqa: ANN401
    """Return a GeoJSON feature."""
    return {"type": "Feature", "geometry": shapely.geometry.mapping(geom), "properties": props}


def collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    """Return a GeoJSON feature collection."""
    return {"type": "FeatureCollection", "features": features}


def gdf_crs(obj: Any) -> str:  # noqa: ANN401
    """Return the CRS of a GeoDataFrame as text; a missing CRS means the parcs EPSG:2154."""
    crs = getattr(obj, "crs", None)
    if crs is None:
        return DEFAULT_CRS
    to_string = getattr(crs, "to_string", None)
    return str(to_string()) if callable(to_string) else str(crs)


# --------------------------------------------------------------------------------------------
# bounds
# --------------------------------------------------------------------------------------------
def bounds_of(geoms: Iterable[Any]) -> list[float] | None:
    """Return ``[west, south, east, north]`` of lon/lat geometries, or None if empty."""
    arr = np.asarray([g for g in geoms if g is not None], dtype=object)
    if not len(arr):
        return None
    b = shapely.total_bounds(arr)
    if not np.isfinite(b).all():
        return None
    return [float(v) for v in b]


def union_bounds(old: list[float] | None, new: list[float] | None) -> list[float] | None:
    """Return the box holding two ``[west, south, east, north]`` boxes (either may be None)."""
    if old is None or new is None:
        return new if old is None else old
    return [min(old[0], new[0]), min(old[1], new[1]), max(old[2], new[2]), max(old[3], new[3])]


def extend_bounds(
    m: folium.Map, bounds: list[float] | None, *, attr: str = "_parcs_bounds"
) -> None:
    """Remember the content bounds on the map (used by ``explore`` to fit the view)."""
    setattr(m, attr, union_bounds(getattr(m, attr, None), bounds))


def fit_bounds(m: folium.Map, *, attr: str = "_parcs_bounds") -> list[list[float]] | None:
    """Return the ``[[south, west], [north, east]]`` box remembered on `m` under `attr`."""
    b = getattr(m, attr, None)
    return None if b is None else [[b[1], b[0]], [b[3], b[2]]]


# --------------------------------------------------------------------------------------------
# values
# --------------------------------------------------------------------------------------------
def fmt_km(metres: float) -> str:
    """Format metres as ``"12.34 km"``."""
    return f"{metres / 1000:.2f} km"


def fmt_duration(seconds: float) -> str:
    """Format seconds as ``"1 h 05"`` or ``"42 min"``."""
    minutes = round(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d}" if hours else f"{minutes} min"


def clean(value: Any) -> Any:  # noqa: ANN401
    """Make a property value JSON-friendly (numpy scalars, tuples, NaN and inf become None)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return None if not math.isfinite(value) else round(value, 3)
    if isinstance(value, (tuple, list, set, np.ndarray)):
        return ";".join(str(v) for v in value)
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)


def text(value: Any) -> str:  # noqa: ANN401
    """Return a data value as shown text (None and NaN become ``""``)."""
    value = clean(value)
    return "" if value is None else str(value)


# --------------------------------------------------------------------------------------------
# legend entries, collected by the layer functions
# --------------------------------------------------------------------------------------------
#: Swatch styles of a legend entry.
LEGEND_STYLES = frozenset({"line", "dashed", "dotted", "area", "outline", "dot", "ramp"})


def add_legend_entry(m: folium.Map, label: str, style: str, color: str | tuple[str, ...]) -> None:
    """Record a legend entry for a layer drawn on `m` (``add_legend`` writes them, escaped).

    Parameters
    ----------
    m
        The map.
    label
        The entry's text (any string: it is escaped when written).
    style
        One of :data:`LEGEND_STYLES`.
    color
        A CSS colour, or the colours of a ramp.
    """
    entries: dict[str, tuple[str, Any]] = m.__dict__.setdefault("_parcs_legend", {})
    entries[label] = (style, color)


def legend_entries(m: folium.Map) -> dict[str, tuple[str, Any]]:
    """Return the legend entries recorded on `m`, in drawing order."""
    return dict(getattr(m, "_parcs_legend", {}))


def ramp(colors: tuple[str, ...], t: float) -> str:
    """Colour at `t` in [0, 1] along the piecewise-linear ramp `colors` (``#rrggbb``)."""
    t = min(max(float(t), 0.0), 1.0)
    pos = t * (len(colors) - 1)
    i = min(int(pos), len(colors) - 2) if len(colors) > 1 else 0
    if len(colors) == 1:
        return colors[0]
    a = [int(colors[i][k : k + 2], 16) for k in (1, 3, 5)]
    b = [int(colors[i + 1][k : k + 2], 16) for k in (1, 3, 5)]
    f = pos - i
    return "#" + "".join(f"{round(x + (y - x) * f):02x}" for x, y in zip(a, b, strict=True))
