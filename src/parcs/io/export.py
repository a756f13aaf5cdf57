"""Export networks, places, points-nœuds, missing links and routes to GIS and GPS files.

* GeoPackage (``.gpkg``, one file, several layers) and GeoJSON (one ``.geojson`` per layer,
  in EPSG:4326 as RFC 7946 requires) through geopandas/pyogrio;
* GPX (``.gpx``) through gpxpy: routes as tracks, junctions as waypoints;
* CSV tables (geometry dropped, point coordinates as ``lon``/``lat`` columns).

Every file is written atomically (:func:`parcs._atomic.atomic_path`): a failed export never
leaves a half-written file behind.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from parcs._atomic import atomic_gdal_path, atomic_path, write_text
from parcs._log import logger
from parcs.errors import ValidationError
from parcs.graph import graph_crs, validate_graph

if TYPE_CHECKING:
    from collections.abc import Mapping

    import geopandas as gpd
    import networkx as nx
    import pandas as pd

__all__ = [
    "DRIVERS",
    "GPX_DECIMALS",
    "routes_to_gpx",
    "save_csv",
    "save_gdf",
    "save_gpx",
    "save_junctions",
    "save_layers",
    "save_network",
    "save_places",
    "to_gdfs",
]

#: Output formats: name -> (pyogrio driver, file suffix).
DRIVERS: Mapping[str, tuple[str, str]] = {
    "gpkg": ("GPKG", ".gpkg"),
    "geojson": ("GeoJSON", ".geojson"),
}
_DEFAULT_CRS = "EPSG:2154"
#: Decimals of GPX coordinates: 1e-7 degree is about 1 cm, the precision GPS devices keep.
GPX_DECIMALS = 7


def _driver_for(path: Path, driver: str | None) -> str:
    """Return the format name ("gpkg" or "geojson") for `path` and `driver`."""
    if driver is not None:
        key = driver.lower()
        aliases = {"gpkg": "gpkg", "geopackage": "gpkg", "geojson": "geojson", "json": "geojson"}
        if key not in aliases:
            msg = f"`driver` {driver!r} is not supported; choose one of {sorted(DRIVERS)}"
            raise ValidationError(msg)
        return aliases[key]
    suffix = path.suffix.lower()
    if suffix == ".gpkg":
        return "gpkg"
    if suffix in {".geojson", ".json"} or suffix == "":
        return "geojson"
    msg = (
        f"cannot tell the format of {str(path)!r} from its suffix {suffix!r}; use a .gpkg or "
        '.geojson path, or pass `driver="gpkg"` or `driver="geojson"`'
    )
    raise ValidationError(msg)


def _plain(value: Any) -> Any:  # noqa: ANN401
    """Turn values GDAL cannot store (tuples, lists, sets) into ``;``-joined strings."""
    if isinstance(value, (tuple, list, set, np.ndarray)):
        return ";".join(str(v) for v in value)
    return value


def _sanitize(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return a copy of `gdf` whose columns GDAL can write."""
    out = gdf.copy()
    geom_name = out.geometry.name
    for col in out.columns:
        if col == geom_name:
            continue
        series = out[col]
        if series.dtype == object:
            if any(isinstance(v, (tuple, list, set, np.ndarray)) for v in series):
                out[col] = series.map(_plain)
            elif any(hasattr(v, "geom_type") for v in series):
                out[col] = series.map(lambda g: g.wkt if hasattr(g, "wkt") else g)
    return out


# --------------------------------------------------------------------------------------------
# graph -> GeoDataFrames
# --------------------------------------------------------------------------------------------
def to_gdfs(
    G: nx.MultiDiGraph,
    *,
    nodes: bool = True,
    edges: bool = True,
    undirected: bool = False,
) -> Any:  # noqa: ANN401
    """Convert a parcs network to node and/or edge GeoDataFrames, like ``osmnx.graph_to_gdfs``.

    Parameters
    ----------
    G
        A parcs network (``docs/graph-format.md``).
    nodes
        Return the nodes (index ``osmid``, point geometry from ``x``/``y``).
    edges
        Return the edges (MultiIndex ``u``, ``v``, ``key``, line geometry).
    undirected
        Keep each undirected edge once (the graph stores u→v and v→u).

    Returns
    -------
    geopandas.GeoDataFrame or tuple
        ``(gdf_nodes, gdf_edges)`` when both are asked for, else the one asked for; CRS is
        ``G.graph["crs"]``.

    Raises
    ------
    ValidationError
        If neither `nodes` nor `edges` is asked for, or `G` is empty where edges are asked.
    """
    import geopandas as gpd  # noqa: PLC0415
    import pandas as pd  # noqa: PLC0415

    if not (nodes or edges):
        msg = "`nodes` and `edges` cannot both be False; ask for at least one"
        raise ValidationError(msg)
    validate_graph(G)
    crs = graph_crs(G) or _DEFAULT_CRS
    out: list[gpd.GeoDataFrame] = []
    if nodes:
        ids = list(G.nodes)
        data = [dict(G.nodes[n]) for n in ids]
        df = pd.DataFrame(data, index=pd.Index(ids, name="osmid"))
        geom = (
            shapely.points(np.asarray(df["x"], dtype=float), np.asarray(df["y"], dtype=float))
            if len(df)
            else []
        )
        out.append(gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geom, index=df.index), crs=crs))
    if edges:
        rows: list[dict[str, Any]] = []
        index: list[tuple[Any, Any, Any]] = []
        seen: set[tuple[Any, Any, Any]] = set()
        for u, v, k, attrs in G.edges(keys=True, data=True):
            if undirected:
                a, b = min((u, v), (v, u))
                if (a, b, k) in seen:
                    continue
                seen.add((a, b, k))
            row = dict(attrs)
            if row.get("geometry") is None:
                nu, nv = G.nodes[u], G.nodes[v]
                row["geometry"] = shapely.LineString([(nu["x"], nu["y"]), (nv["x"], nv["y"])])
            rows.append(row)
            index.append((u, v, k))
        mi = pd.MultiIndex.from_tuples(index, names=["u", "v", "key"])
        df = pd.DataFrame(rows, index=mi)
        if "geometry" not in df.columns:
            df["geometry"] = None
        out.append(gpd.GeoDataFrame(df, geometry="geometry", crs=crs))
    return tuple(out) if len(out) == 2 else out[0]  # noqa: PLR2004


# --------------------------------------------------------------------------------------------
# GeoPackage / GeoJSON
# --------------------------------------------------------------------------------------------
def save_layers(
    layers: Mapping[str, gpd.GeoDataFrame],
    path: str | Path,
    *,
    driver: str | None = None,
) -> list[Path]:
    """Write several GeoDataFrames: layers of one GeoPackage, or one GeoJSON file each.

    Parameters
    ----------
    layers
        ``{layer name: GeoDataFrame}``; empty frames are skipped.
    path
        A ``.gpkg`` file, or a folder (GeoJSON: ``<path>/<layer>.geojson``).
    driver
        {"gpkg", "geojson"} or None to infer it from the suffix of `path` (no suffix: GeoJSON
        folder).

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    ValidationError
        If the format is unknown or `layers` holds nothing to write.
    """
    path = Path(path)
    fmt = _driver_for(path, driver)
    todo = {name: _sanitize(gdf) for name, gdf in layers.items() if gdf is not None and len(gdf)}
    if not todo:
        msg = f"nothing to write to {str(path)!r}: every layer in `layers` is empty"
        raise ValidationError(msg)
    written: list[Path] = []
    if fmt == "gpkg":
        if path.suffix.lower() != ".gpkg":
            path = path.with_suffix(".gpkg")
        with atomic_gdal_path(path) as tmp:
            for name, gdf in todo.items():
                gdf.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
        written.append(path)
    else:
        folder = path if path.suffix.lower() not in {".geojson", ".json"} else None
        for name, gdf in todo.items():
            target = folder / f"{name}.geojson" if folder is not None else path
            if folder is None and len(todo) > 1:
                target = path.with_name(f"{path.stem}_{name}.geojson")
            with atomic_gdal_path(target) as tmp:
                gdf.to_crs("EPSG:4326").to_file(tmp, driver="GeoJSON", engine="pyogrio")
            written.append(target)
    logger.info("save_layers: wrote %s (%s)", ", ".join(map(str, written)), ", ".join(todo))
    return written


def save_gdf(
    gdf: gpd.GeoDataFrame,
    path: str | Path,
    *,
    layer: str | None = None,
    driver: str | None = None,
) -> Path:
    """Write one GeoDataFrame (places, junctions, missing links...) to GeoPackage or GeoJSON.

    Parameters
    ----------
    gdf
        The table; tuple/list columns become ``;``-joined strings.
    path
        Output ``.gpkg`` or ``.geojson`` file.
    layer
        GeoPackage layer name (default: the file name without suffix).
    driver
        {"gpkg", "geojson"} or None to infer it from the suffix.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    ValidationError
        If `gdf` is not a GeoDataFrame, is empty, or the format is unknown.
    """
    if not hasattr(gdf, "geometry") or not hasattr(gdf, "to_file"):
        msg = f"`gdf` must be a geopandas.GeoDataFrame, got {type(gdf).__name__}"
        raise ValidationError(msg)
    path = Path(path)
    fmt = _driver_for(path, driver)
    if fmt == "geojson" and path.suffix.lower() not in {".geojson", ".json"}:
        path = path.with_suffix(".geojson")
    return save_layers({layer or path.stem: gdf}, path, driver=fmt)[0]


def save_network(
    G: nx.MultiDiGraph,
    path: str | Path,
    *,
    driver: str | None = None,
    places: bool = True,
    undirected: bool = True,
) -> list[Path]:
    """Write the network (``nodes`` and ``edges`` layers, plus ``places``) for a GIS.

    Parameters
    ----------
    G
        A parcs network.
    path
        A ``.gpkg`` file (one file, layers ``nodes``, ``edges``, ``places``) or a folder for
        GeoJSON (``nodes.geojson``, ``edges.geojson``, ``places.geojson``, EPSG:4326).
    driver
        {"gpkg", "geojson"} or None to infer it from `path`.
    places
        Also write the places of `G` when it has some.
    undirected
        Write each undirected edge once (default). False writes both directions, like
        ``osmnx.save_graph_geopackage``.

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    ValidationError
        If the format is unknown.
    """
    gdf_nodes, gdf_edges = to_gdfs(G, undirected=undirected)
    layers: dict[str, gpd.GeoDataFrame] = {
        "nodes": gdf_nodes.reset_index(),
        "edges": gdf_edges.reset_index(),
    }
    place_gdf = G.graph.get("parcs_places") if places else None
    if place_gdf is not None and len(place_gdf):
        layers["places"] = place_gdf.reset_index()
    return save_layers(layers, path, driver=driver)


def save_places(
    G_or_gdf: Any,  # noqa: ANN401
    path: str | Path,
    *,
    driver: str | None = None,
    kind: str | None = None,
) -> Path:
    """Write the places (terrils, parks, communes) of a network to GeoPackage or GeoJSON.

    Parameters
    ----------
    G_or_gdf
        A parcs network with places, or a places GeoDataFrame.
    path
        Output ``.gpkg`` or ``.geojson`` file.
    driver
        {"gpkg", "geojson"} or None to infer it from the suffix.
    kind
        Keep one place kind only (``"terril"``, ``"espace_neonaturel"``, ``"commune"``).

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    ValidationError
        If there are no places to write.
    """
    gdf = G_or_gdf
    if hasattr(G_or_gdf, "graph"):
        gdf = G_or_gdf.graph.get("parcs_places")
        if gdf is None:
            msg = "this graph carries no places; use parcs.load_network() or attach them first"
            raise ValidationError(msg)
    if kind is not None:
        gdf = gdf[gdf["kind"] == kind]
    return save_gdf(gdf.reset_index(), path, layer="places", driver=driver)


def save_junctions(
    net: Any,  # noqa: ANN401
    path: str | Path,
    *,
    driver: str | None = None,
) -> list[Path]:
    """Write a points-nœuds network (layers ``junctions`` and ``links``).

    Parameters
    ----------
    net
        A :class:`parcs.JunctionNetwork` (or an object with ``junctions`` and ``links``
        GeoDataFrames).
    path
        A ``.gpkg`` file or a GeoJSON folder.
    driver
        {"gpkg", "geojson"} or None to infer it from `path`.

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    ValidationError
        If `net` has no ``junctions`` table.
    """
    junctions = getattr(net, "junctions", None)
    if junctions is None:
        msg = f"`net` must be a parcs.JunctionNetwork, got {type(net).__name__}"
        raise ValidationError(msg)
    layers = {"junctions": junctions}
    links = getattr(net, "links", None)
    if links is not None:
        layers["links"] = links
    return save_layers(layers, path, driver=driver)


# --------------------------------------------------------------------------------------------
# GPX
# --------------------------------------------------------------------------------------------
def _route_lonlat(route: Any) -> list[tuple[float, float]]:  # noqa: ANN401
    geom = getattr(route, "geometry_wgs84", None)
    if geom is None:
        geom = getattr(route, "geometry", None)
        if geom is None:
            msg = f"`route` must have a `geometry_wgs84` LineString, got {type(route).__name__}"
            raise ValidationError(msg)
        from pyproj import Transformer  # noqa: PLC0415

        tr = Transformer.from_crs(getattr(route, "crs", _DEFAULT_CRS), "EPSG:4326", always_xy=True)
        xs, ys = np.asarray(geom.coords).T
        lon, lat = tr.transform(xs, ys)
        return list(zip(lon.tolist(), lat.tolist(), strict=True))
    return [(float(x), float(y)) for x, y, *_ in geom.coords]


def routes_to_gpx(
    routes: Any,  # noqa: ANN401
    *,
    junctions: Any = None,  # noqa: ANN401
    name: str | None = None,
) -> str:
    """Return GPX text with one track per route and waypoints for junctions.

    Parameters
    ----------
    routes
        A :class:`parcs.Route` or an iterable of them. Their ``waypoints`` (name, lon, lat),
        e.g. the junction numbers of a points-nœuds plan, become GPX waypoints.
    junctions
        Optionally a :class:`parcs.JunctionNetwork` (or a junctions GeoDataFrame) whose
        junctions are all added as waypoints named by their number.
    name
        GPX metadata name.

    Returns
    -------
    str
        The GPX 1.1 document.

    Raises
    ------
    ValidationError
        If a route has no geometry.
    """
    import gpxpy.gpx  # noqa: PLC0415

    if routes is None:
        routes = []
    elif hasattr(routes, "length_m") or hasattr(routes, "geometry_wgs84"):
        routes = [routes]
    gpx = gpxpy.gpx.GPX()
    gpx.creator = "parcs"
    if name:
        gpx.name = name
    for route in routes:
        track = gpxpy.gpx.GPXTrack(name=_route_name(route))
        track.description = _route_description(route)
        segment = gpxpy.gpx.GPXTrackSegment()
        points: list[tuple[float, float]] = []
        for lon, lat in _route_lonlat(route):
            pt = (round(lat, GPX_DECIMALS), round(lon, GPX_DECIMALS))
            if not points or points[-1] != pt:  # no consecutive duplicate once rounded
                points.append(pt)
        segment.points.extend(
            gpxpy.gpx.GPXTrackPoint(latitude=lat, longitude=lon) for lat, lon in points
        )
        track.segments.append(segment)
        gpx.tracks.append(track)
        for wp_name, lon, lat in getattr(route, "waypoints", None) or ():
            gpx.waypoints.append(
                gpxpy.gpx.GPXWaypoint(
                    latitude=round(float(lat), GPX_DECIMALS),
                    longitude=round(float(lon), GPX_DECIMALS),
                    name=str(wp_name),
                )
            )
    if junctions is not None:
        table = getattr(junctions, "junctions", junctions)
        pts = table.to_crs("EPSG:4326") if getattr(table, "crs", None) is not None else table
        numbers = table["number"].tolist() if "number" in table.columns else range(len(table))
        for number, pt in zip(numbers, pts.geometry, strict=True):
            gpx.waypoints.append(
                gpxpy.gpx.GPXWaypoint(
                    latitude=round(pt.y, GPX_DECIMALS),
                    longitude=round(pt.x, GPX_DECIMALS),
                    name=str(number),
                )
            )
    return str(gpx.to_xml(version="1.1"))


def _route_description(route: Any) -> str | None:  # noqa: ANN401
    length = getattr(route, "length_m", None)
    if length is None:
        return None
    text = f"{float(length) / 1000:.2f} km"
    duration, profile = getattr(route, "duration_s", None), getattr(route, "profile", "")
    if duration is not None:
        text += f", {float(duration) / 60:.0f} min" + (f" ({profile})" if profile else "")
    return text


def _route_name(route: Any) -> str:  # noqa: ANN401
    orig = getattr(route, "orig_label", "") or ""
    dest = getattr(route, "dest_label", "") or ""
    return f"{orig} → {dest}" if (orig or dest) else "parcs route"


def save_gpx(
    routes: Any,  # noqa: ANN401
    path: str | Path,
    *,
    junctions: Any = None,  # noqa: ANN401
    name: str | None = None,
) -> Path:
    """Write routes (tracks) and junctions (waypoints) to a GPX file atomically.

    Parameters
    ----------
    routes
        A :class:`parcs.Route`, an iterable of them, or None (junction waypoints only).
    path
        Output ``.gpx`` file.
    junctions
        Optional :class:`parcs.JunctionNetwork` whose junctions become waypoints.
    name
        GPX metadata name.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    ValidationError
        If a route has no geometry.
    """
    return write_text(path, routes_to_gpx(routes, junctions=junctions, name=name))


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------
def save_csv(table: pd.DataFrame, path: str | Path, *, index: bool = False) -> Path:
    """Write a table (junction signage, missing links, metrics...) as UTF-8 CSV, atomically.

    Geometry columns are dropped; point geometries are written as ``lon``/``lat`` (EPSG:4326)
    when the table has a CRS, and lines get their ``length_m`` if missing. Tuple columns become
    ``;``-joined strings.

    Parameters
    ----------
    table
        A DataFrame or GeoDataFrame.
    path
        Output ``.csv`` file.
    index
        Write the index as the first column.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    ValidationError
        If `table` is not a DataFrame.
    """
    import pandas as pd  # noqa: PLC0415

    if not isinstance(table, pd.DataFrame):
        msg = f"`table` must be a pandas DataFrame, got {type(table).__name__}"
        raise ValidationError(msg)
    df = table.copy()
    geom_name = getattr(getattr(table, "geometry", None), "name", None)
    if geom_name is not None and geom_name in df.columns:
        geoms = table.geometry
        types = set(geoms.geom_type.dropna())
        if types == {"Point"} and getattr(table, "crs", None) is not None:
            wgs = geoms.to_crs("EPSG:4326")
            df["lon"] = wgs.x.round(7)
            df["lat"] = wgs.y.round(7)
        elif "length_m" not in df.columns and types and types <= {"LineString", "MultiLineString"}:
            df["length_m"] = geoms.length.round(2)
        df = pd.DataFrame(df.drop(columns=[geom_name]))
    for col in df.columns:
        if df[col].dtype == object:
            df[col] = df[col].map(_plain)
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=index, encoding="utf-8")
    return Path(path)
