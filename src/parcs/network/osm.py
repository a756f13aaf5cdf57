"""Build the parcs greenway graph from OpenStreetMap (a download or a local file).

``graph_from_osm`` returns the same ``networkx.MultiDiGraph`` as ``parcs.load_network`` (see
``docs/graph-format.md``), built from OSM ways classified into greenway kinds. The exact rules
are in :func:`classify_tags` and in ``docs/osm.md``.

Two sources share one builder:

* a download (``query``, ``polygon`` or ``bbox``) goes through osmnx, with osmnx's own HTTP
  client and cache (``osmnx.settings.use_cache`` / ``cache_folder``); parcs adds none;
* a local file (``path``) is read with pyosmium (``parcs.network._osmfile``), which also reads route
  relations (osmnx drops them) and works offline for XML, gzip/bzip2 XML and PBF alike.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, MultiPolygon, Polygon

from parcs import settings
from parcs._log import logger
from parcs.errors import DownloadError, EmptyAreaError, ValidationError
from parcs.graph import undirected_edges
from parcs.network._osmfile import REF_KEYS, RawOSM, read_osm_file
from parcs.network.clip import clip_area

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

    import geopandas as gpd

__all__ = [
    "CRS",
    "FORMER_RAILWAY_KEYS",
    "FORMER_RAILWAY_VALUES",
    "KINDS",
    "classify_tags",
    "graph_from_osm",
]

#: Default CRS of the graphs (they are built in :func:`parcs.settings.crs`, ``$PARCS_CRS``).
CRS = settings.DEFAULT_CRS

#: OSM greenway kinds, in precedence order (a way matching several rules takes the first)
KINDS: tuple[str, ...] = ("cavalier", "towpath", "cycleway", "track", "path", "connector")
_RANK = {"cavalier": 0, "towpath": 1, "cycleway": 2, "track": 3, "path": 3, "connector": 4}

PATH_HIGHWAYS = frozenset({"path", "footway", "bridleway", "steps", "pedestrian"})
CONNECTOR_HIGHWAYS = frozenset({"living_street", "residential", "service", "unclassified"})
USABLE_HIGHWAYS = PATH_HIGHWAYS | CONNECTOR_HIGHWAYS | {"cycleway", "track"}
_BIKE_PATH_HIGHWAYS = frozenset({"path", "footway", "track", "bridleway", "pedestrian"})
_DESIGNATED = frozenset({"designated", "official"})
_ALLOWED = frozenset({"yes", "designated", "permissive", "official"})
_TOWPATH_CANDIDATES = frozenset({"cycleway", "path", "track"})
#: ``railway=*`` values of a former railway (OSM lifecycle prefixes, as values)
FORMER_RAILWAY_VALUES = frozenset({"abandoned", "disused", "dismantled", "razed"})
#: keys of a former railway (OSM lifecycle prefixes on ``railway``), whatever their value
FORMER_RAILWAY_KEYS: tuple[str, ...] = (
    "abandoned:railway",
    "disused:railway",
    "dismantled:railway",
    "razed:railway",
)

#: way tags read from a download (osmnx keeps only ``settings.useful_tags_way``)
WAY_TAGS: tuple[str, ...] = (
    "highway",
    "name",
    "ref",
    "surface",
    "access",
    "bicycle",
    "foot",
    "area",
    "towpath",
    "railway",
    "historic",
    *FORMER_RAILWAY_KEYS,
)

TOWPATH_DISTANCE_M = 25.0
_SAMPLE_STEP_M = 5.0
_EUROVELO = re.compile(r"euro\s*v[eé]lo|\bev\s*-?\s*\d", re.IGNORECASE)


def classify_tags(tags: Mapping[str, str]) -> str | None:  # noqa: PLR0911 - one return per rule
    """Return the parcs kind of an OSM way from its tags alone, or None if it is not usable.

    Rules, in precedence order (first match wins):

    1. excluded (None): ``highway`` missing or not one of ``cycleway``, ``path``, ``footway``,
       ``bridleway``, ``steps``, ``pedestrian``, ``track``, ``living_street``, ``residential``,
       ``service``, ``unclassified`` (so motorways, trunk, primary, secondary, tertiary roads
       are dropped); ``area=yes``; ``access=private|no`` unless ``bicycle`` or ``foot`` is
       ``yes|designated|permissive|official``; ``bicycle=no`` together with ``foot=no``;
    2. ``cavalier`` (a former railway): ``railway=abandoned|disused|dismantled|razed``,
       ``historic=railway``, or any ``abandoned:railway``, ``disused:railway``,
       ``dismantled:railway`` or ``razed:railway`` tag, whatever its value;
    3. ``towpath``: ``towpath=yes`` (the geometric test along canals and rivers is applied
       later, by :func:`graph_from_osm`);
    4. ``cycleway``: ``highway=cycleway``, or ``highway=path|footway|track|bridleway|pedestrian``
       with ``bicycle=designated|official``;
    5. ``track``: ``highway=track``;
    6. ``path``: ``highway=path|footway|bridleway|steps|pedestrian``;
    7. ``connector`` (quiet roads): ``highway=living_street|residential|service|unclassified``.

    Parameters
    ----------
    tags
        The OSM tags of a way.

    Returns
    -------
    str or None
        One of {"cavalier", "towpath", "cycleway", "track", "path", "connector"}, or None.
    """
    highway = tags.get("highway")
    if highway not in USABLE_HIGHWAYS or tags.get("area") == "yes":
        return None
    bicycle, foot = tags.get("bicycle"), tags.get("foot")
    if tags.get("access") in {"private", "no"} and bicycle not in _ALLOWED and foot not in _ALLOWED:
        return None
    if bicycle == "no" and foot == "no":
        return None
    if (
        tags.get("railway") in FORMER_RAILWAY_VALUES
        or tags.get("historic") == "railway"
        or any(key in tags for key in FORMER_RAILWAY_KEYS)
    ):
        return "cavalier"
    if tags.get("towpath") == "yes":
        return "towpath"
    if highway == "cycleway" or (highway in _BIKE_PATH_HIGHWAYS and bicycle in _DESIGNATED):
        return "cycleway"
    if highway == "track":
        return "track"
    if highway in PATH_HIGHWAYS:
        return "path"
    return "connector"


def graph_from_osm(
    query: str | None = None,
    *,
    polygon: Polygon | MultiPolygon | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    path: str | os.PathLike[str] | None = None,
    cavaliers: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    cavalier_buffer_m: float = 15.0,
    include_connectors: bool = True,
    simplify: bool = True,
    retain_all: bool = True,
    clip: Any = None,  # noqa: ANN401
) -> nx.MultiDiGraph:
    """Build the greenway graph of an area from OpenStreetMap.

    Give exactly one of `query`, `polygon`, `bbox` (downloaded through osmnx and its cache) or
    `path` (a local file, read offline with pyosmium); or only `clip`, to download the clip
    area.

    Parameters
    ----------
    query
        A place name geocoded by osmnx/Nominatim, e.g. ``"Lens, France"``.
    polygon
        A shapely (Multi)Polygon in EPSG:4326 (lon/lat).
    bbox
        ``(west, south, east, north)`` in degrees.
    path
        A local OSM file: ``.osm``/``.xml`` (optionally ``.gz`` or ``.bz2``) or ``.osm.pbf``.
    cavaliers
        Official cavalier lines (any CRS, e.g.
        ``geopandas.read_file(parcs._data.get_path("cavaliers"))``). An OSM edge lying within
        `cavalier_buffer_m` of them over more than half of its length becomes
        ``kind="cavalier"``; its OSM kind stays in ``osm_kind``.
    cavalier_buffer_m
        Distance in metres used with `cavaliers`.
    include_connectors
        Keep quiet roads (``kind="connector"``). If False, only paths and greenways are kept.
    simplify
        Merge chains of segments between junctions into one edge, as osmnx
        ``simplify_graph`` does (same endpoint rules, checked against it in the tests, but
        done on plain lists, which is several times faster); segments are merged only where
        ``kind``, ``routes`` and ``eurovelo`` agree, and nodes with an ``r?n_ref`` tag are
        kept. An isolated ring becomes one self-loop edge.
    retain_all
        Keep every connected component; if False, keep only the largest one.
    clip
        Keep only the OSM segments with at least one end inside this area (as osmnx's
        ``truncate_by_edge``), applied to the raw ways before anything else, so that a large
        file clipped to a small area builds fast: any value
        :func:`parcs.network.clip.clip_area` takes (``"pma"``, a polygon layer path, a
        GeoDataFrame, a lon/lat shapely polygon). A download fetches only the clip area (its
        intersection with `query`/`polygon`/`bbox`, or the clip area alone).

    Returns
    -------
    networkx.MultiDiGraph
        In the parcs graph format (``docs/graph-format.md``), in the CRS of
        :func:`parcs.settings.crs` (``$PARCS_CRS``, default EPSG:2154): every segment in
        both directions, ``source="osm"``, ``built=True`` and ``est_length == length`` on
        every edge. Extra edge attributes: ``osm_kind`` (kind from OSM alone) and ``osmid``
        (an int, or a list of ints when several ways were merged, as in osmnx). Nodes keep
        their ``rcn_ref``/``rwn_ref``/... tags.

    Raises
    ------
    ValidationError
        If not exactly one of `query`, `polygon`, `bbox`, `path` is given, if one of them
        is malformed, or if `path` has an unsupported extension.
    DataError
        If `path` does not exist or is truncated/malformed.
    EmptyAreaError
        If the area or file (inside `clip`) holds no usable way, or `clip` does not overlap
        the download area.
    DownloadError
        If the osmnx download fails (the osmnx/requests error is the ``__cause__``).

    Notes
    -----
    Kinds follow :func:`classify_tags`; in addition a ``cycleway``, ``path`` or ``track`` way
    lying within 25 m of a ``waterway=canal|river`` line over more than half of its length
    becomes a ``towpath``. Precedence: cavalier > towpath > cycleway > track/path > connector.

    Route relations (``route=bicycle|hiking|foot|mtb``, including the members of
    super-routes) are read from files only: each edge's ``routes`` lists the ``ref`` (else
    ``name``, else ``r<id>``) of its relations, and ``eurovelo`` is True for relations with
    ``network=icn`` or whose ref/name says EuroVelo/EV<n>. osmnx drops relations, so a
    download leaves ``routes=""`` and ``eurovelo=False`` (``G.graph["has_routes"]`` is False).

    Every OSM way exists on the ground, so every edge has ``built=True``; quiet roads are
    told apart by ``kind="connector"``.

    Examples
    --------
    >>> G = graph_from_osm(path="krems.osm.gz")  # doctest: +SKIP
    >>> G = graph_from_osm("Loos-en-Gohelle, France")  # doctest: +SKIP
    """
    given = {
        name: value
        for name, value in (("query", query), ("polygon", polygon), ("bbox", bbox), ("path", path))
        if value is not None
    }
    if len(given) > 1 or not (given or clip is not None):
        msg = (
            "give exactly one of `query`, `polygon`, `bbox` or `path` (or only `clip`, to "
            f"download the clip area); got {sorted(given) if given else 'none'}"
        )
        raise ValidationError(msg)
    buffer_ok = isinstance(cavalier_buffer_m, (int, float)) and not isinstance(
        cavalier_buffer_m, bool
    )
    if not (buffer_ok and math.isfinite(cavalier_buffer_m) and cavalier_buffer_m > 0):
        msg = f"`cavalier_buffer_m` must be a positive number of metres; got {cavalier_buffer_m!r}"
        raise ValidationError(msg)
    if path is not None:
        path_arg: object = path  # checked at run time: users may pass anything
        if not isinstance(path_arg, (str, os.PathLike)):
            msg = f"`path` must be a file path (str or pathlib.Path), got {type(path).__name__}"
            raise ValidationError(msg)
        raw = read_osm_file(path)
        name = Path(path).name
    else:
        area, name = _download_area(query=query, polygon=polygon, bbox=bbox, clip=clip)
        raw = _download(area, include_connectors=include_connectors)
    crs = _graph_crs(raw, clip)
    official = _official_cavaliers(cavaliers, crs)
    area_xy = clip_area(clip, crs=crs)
    if area_xy is not None:
        raw = _clip_raw(raw, area_xy, Transformer.from_crs(4326, crs, always_xy=True))

    G = _build_graph(
        raw,
        crs=crs,
        official=official,
        cavalier_buffer_m=float(cavalier_buffer_m),
        include_connectors=include_connectors,
        simplify=simplify,
        retain_all=retain_all,
    )
    if G.number_of_edges() == 0:
        where = f"the file {str(path)!r}" if path is not None else f"the area {name!r}"
        msg = (
            f"{where} holds no usable greenway, path or quiet road"
            f"{'' if area_xy is None else ' inside `clip`'}"
            f"{'' if include_connectors else ' (quiet roads excluded: include_connectors=False)'}"
            "; choose a larger area or another file"
        )
        raise EmptyAreaError(msg)
    G.graph.update(
        crs=crs, source="osm", name=name, has_routes=raw.has_relations, simplified=simplify
    )
    G.graph.update({} if path is None else {"osm_file": str(Path(path).resolve())})

    if logger.isEnabledFor(logging.INFO):  # walks the graph: only when someone listens
        km = _km_by_kind(G)
        logger.info(
            "graph_from_osm(%s): %d nodes, %d edges; km by kind: %s; %d junction refs",
            name,
            G.number_of_nodes(),
            G.number_of_edges(),
            ", ".join(f"{k} {v:.1f}" for k, v in sorted(km.items())),
            sum(1 for n in raw.node_tags if n in G),
        )
    return G


def _graph_crs(raw: RawOSM, clip: Any) -> str:  # noqa: ANN401
    """The graph CRS for this data (:func:`parcs.settings.crs_for` on its lon/lat bounds)."""
    if clip is not None:
        area = clip_area(clip, crs="EPSG:4326")
        assert area is not None, "clip_area returns None only for clip=None"
        bounds = area.bounds
    elif len(raw.node_ids):
        bounds = (raw.lon.min(), raw.lat.min(), raw.lon.max(), raw.lat.max())
        bounds = tuple(float(b) for b in bounds)
    else:
        return settings.crs()
    return settings.crs_for(*bounds)


def _km_by_kind(G: nx.MultiDiGraph) -> dict[str, float]:
    """Km per kind, counting each two-way edge once."""
    km: dict[str, float] = defaultdict(float)
    for _, _, _, d in undirected_edges(G):
        km[d["kind"]] += d["length"] / 1000.0
    return dict(km)


# ----------------------------------------------------------------------------- inputs


def _official_cavaliers(cavaliers: Any, crs: str) -> np.ndarray | None:  # noqa: ANN401
    if cavaliers is None:
        return None
    import geopandas as gpd  # noqa: PLC0415 - heavy, only when used

    if not isinstance(cavaliers, (gpd.GeoDataFrame, gpd.GeoSeries)):
        msg = (
            "`cavaliers` must be a GeoDataFrame or GeoSeries of lines, got "
            f"{type(cavaliers).__name__}; read it with geopandas.read_file(...)"
        )
        raise ValidationError(msg)
    if cavaliers.crs is None:
        msg = "`cavaliers` has no CRS; set it first, e.g. cavaliers.set_crs(4326)"
        raise ValidationError(msg)
    geoms = cavaliers.to_crs(crs).geometry
    geoms = geoms[~(geoms.is_empty | geoms.isna())]
    return np.asarray(geoms.values, dtype=object)


def _area(
    *,
    query: str | None,
    polygon: Any,  # noqa: ANN401
    bbox: Any,  # noqa: ANN401
) -> tuple[Polygon | MultiPolygon, str]:
    if query is not None:
        if not isinstance(query, str) or not query.strip():
            msg = f"`query` must be a non-empty place name, got {query!r}"
            raise ValidationError(msg)
        return _geocode(query), query
    if bbox is not None:
        try:
            west, south, east, north = (float(b) for b in bbox)
        except (TypeError, ValueError):
            msg = f"`bbox` must be 4 numbers (west, south, east, north) in degrees; got {bbox!r}"
            raise ValidationError(msg) from None
        ok = (
            all(math.isfinite(b) for b in (west, south, east, north))
            and -180 <= west < east <= 180  # noqa: PLR2004
            and -90 <= south < north <= 90  # noqa: PLR2004
        )
        if not ok:
            msg = (
                "`bbox` must be (west, south, east, north) in degrees with west < east and "
                f"south < north; got {tuple(bbox)!r}"
            )
            raise ValidationError(msg)
        return shapely.box(west, south, east, north), f"bbox {tuple(bbox)!r}"
    if not isinstance(polygon, (Polygon, MultiPolygon)) or polygon.is_empty:
        msg = (
            "`polygon` must be a non-empty shapely Polygon or MultiPolygon in EPSG:4326, got "
            f"{type(polygon).__name__}; for a place name use `query`"
        )
        raise ValidationError(msg)
    if not polygon.is_valid:
        msg = "`polygon` is not a valid geometry; repair it first, e.g. with shapely.make_valid"
        raise ValidationError(msg)
    minx, miny, maxx, maxy = polygon.bounds
    if not (minx >= -180 and maxx <= 180 and miny >= -90 and maxy <= 90):  # noqa: PLR2004
        msg = (
            f"`polygon` must be in EPSG:4326 (lon/lat degrees); its bounds "
            f"{polygon.bounds!r} are not; reproject it with geopandas .to_crs(4326)"
        )
        raise ValidationError(msg)
    return polygon, "polygon"


def _download_area(
    *,
    query: str | None,
    polygon: Any,  # noqa: ANN401
    bbox: Any,  # noqa: ANN401
    clip: Any,  # noqa: ANN401
) -> tuple[Polygon | MultiPolygon, str]:
    """Return the lon/lat area to download and its name: the query area cut by `clip`."""
    clip_ll = clip_area(clip, crs="EPSG:4326")
    if query is None and polygon is None and bbox is None and clip_ll is not None:
        name = f"clip {Path(clip).name!r}" if isinstance(clip, (str, os.PathLike)) else "clip area"
        return clip_ll, name
    area, name = _area(query=query, polygon=polygon, bbox=bbox)
    if clip_ll is None:
        return area, name
    parts = shapely.get_parts(shapely.intersection(area, clip_ll))
    polys = [g for g in parts if isinstance(g, (Polygon, MultiPolygon)) and not g.is_empty]
    if not polys:
        msg = f"`clip` does not overlap {name!r}: there is nothing to download; check both areas"
        raise EmptyAreaError(msg)
    return shapely.union_all(polys), name


def _clip_raw(raw: RawOSM, area: Polygon | MultiPolygon, to_xy: Transformer) -> RawOSM:
    """Keep the way segments with an end in `area` and the waterways near them (on arrays).

    A segment stays when at least one of its nodes lies in `area` (graph CRS), as with
    osmnx's ``truncate_by_edge``; a way stays when one of its segments does; a waterway
    stays when it passes within the towpath distance of a segment kept, so the towpath test
    sees the same water as without `clip`.
    """
    x, y = to_xy.transform(raw.lon, raw.lat)
    shapely.prepare(area)
    inside = shapely.intersects_xy(area, x, y)
    ia, ib = raw.index_of(raw.seg_a), raw.index_of(raw.seg_b)
    keep = inside[ia] | inside[ib]
    has = np.zeros(len(raw.way_ids), dtype=bool)
    has[raw.seg_way[keep]] = True
    renumber = np.cumsum(has) - 1
    water_keep = np.zeros(raw.n_waterways, dtype=bool)
    if raw.n_waterways and keep.any():
        node_xy = np.column_stack([x, y])
        seg_lines = shapely.linestrings(np.stack([node_xy[ia[keep]], node_xy[ib[keep]]], axis=1))
        water = _water_lines(raw, to_xy)
        pieces = _split_segments(water)
        owner = np.repeat(np.arange(raw.n_waterways), np.diff(raw.water_ptr) - 1)
        tree = shapely.STRtree(seg_lines)
        near = tree.query(pieces, predicate="dwithin", distance=TOWPATH_DISTANCE_M)[0]
        water_keep[np.unique(owner[near])] = True
    logger.info(
        "clip: kept %d of %d OSM segments (%d of %d ways), %d of %d waterways",
        int(keep.sum()),
        len(keep),
        int(has.sum()),
        len(has),
        int(water_keep.sum()),
        raw.n_waterways,
    )
    return RawOSM(
        way_ids=raw.way_ids[has],
        way_tags=[t for t, h in zip(raw.way_tags, has.tolist(), strict=True) if h],
        seg_way=renumber[raw.seg_way[keep]],
        seg_a=raw.seg_a[keep],
        seg_b=raw.seg_b[keep],
        node_ids=raw.node_ids,
        lon=raw.lon,
        lat=raw.lat,
        node_tags=raw.node_tags,
        **_water_subset(raw, water_keep),
        relations=raw.relations,
        has_relations=raw.has_relations,
    )


def _water_lines(raw: RawOSM, to_xy: Transformer) -> np.ndarray:
    """The canal/river lines of `raw`, projected with `to_xy`."""
    wx, wy = to_xy.transform(raw.water_lon, raw.water_lat)
    index = np.repeat(np.arange(raw.n_waterways), np.diff(raw.water_ptr))
    return np.asarray(shapely.linestrings(np.column_stack([wx, wy]), indices=index), dtype=object)


def _water_subset(raw: RawOSM, keep: np.ndarray) -> dict[str, np.ndarray]:
    """The ``water_*`` arrays of the waterways in `keep`."""
    sizes = np.diff(raw.water_ptr)
    points = np.repeat(keep, sizes)
    return {
        "water_ptr": np.concatenate([[0], np.cumsum(sizes[keep])]).astype(np.int64),
        "water_lon": raw.water_lon[points],
        "water_lat": raw.water_lat[points],
    }


# ----------------------------------------------------------------------------- downloads


@contextlib.contextmanager
def _osmnx_tags() -> Iterator[None]:
    """Ask osmnx to keep the tags the classification needs, then restore its settings."""
    import osmnx as ox  # noqa: PLC0415

    old_way, old_node = ox.settings.useful_tags_way, ox.settings.useful_tags_node
    ox.settings.useful_tags_way = sorted(set(old_way) | set(WAY_TAGS))
    ox.settings.useful_tags_node = sorted(set(old_node) | set(REF_KEYS))
    try:
        yield
    finally:
        ox.settings.useful_tags_way, ox.settings.useful_tags_node = old_way, old_node


def _osmnx_call(func: Callable[..., Any], *args: Any, what: str, **kwargs: Any) -> Any:  # noqa: ANN401
    """Call an osmnx download function, turning its failures into parcs errors.

    ``InsufficientResponseError`` is re-raised for the caller to interpret, and osmnx's
    ``CacheOnlyInterruptError`` (``settings.cache_only_mode``) propagates unchanged: it is
    the interruption the user asked for, not a failure.
    """
    import requests  # noqa: PLC0415
    from osmnx import _errors  # noqa: PLC0415 - osmnx keeps its exceptions private

    try:
        return func(*args, **kwargs)
    except (_errors.InsufficientResponseError, _errors.CacheOnlyInterruptError):
        raise  # the first is interpreted by the caller; the second is an OSError subclass
    except (_errors.ResponseStatusCodeError, requests.RequestException, OSError) as err:
        msg = (
            f"downloading {what} from OpenStreetMap failed ({type(err).__name__}: {err}); "
            "check the internet connection or retry later (osmnx caches successful answers)"
        )
        raise DownloadError(msg) from err


def _geocode(query: str) -> Polygon | MultiPolygon:
    import osmnx as ox  # noqa: PLC0415
    from osmnx import _errors  # noqa: PLC0415

    try:
        gdf = _osmnx_call(ox.geocode_to_gdf, query, what=f"the outline of {query!r}")
    except (_errors.InsufficientResponseError, TypeError) as err:
        msg = (
            f"`query` {query!r} matched no area in Nominatim ({err}); check the spelling, "
            "add the country (e.g. 'Lens, France') or pass `polygon`/`bbox`"
        )
        raise ValidationError(msg) from err
    return shapely.union_all(gdf.geometry.to_numpy())


def _custom_filter(*, include_connectors: bool) -> str:
    highways = set(USABLE_HIGHWAYS)
    if not include_connectors:
        highways -= CONNECTOR_HIGHWAYS
    return f'["highway"~"^({"|".join(sorted(highways))})$"]["area"!~"yes"]'


def _download(area: Polygon | MultiPolygon, *, include_connectors: bool) -> RawOSM:
    """Download ways (osmnx graph, unsimplified) and canal/river lines of `area`."""
    import osmnx as ox  # noqa: PLC0415
    from osmnx import _errors  # noqa: PLC0415

    with _osmnx_tags():
        try:
            G = _osmnx_call(
                ox.graph_from_polygon,
                area,
                network_type="all",
                simplify=False,
                retain_all=True,
                truncate_by_edge=True,
                custom_filter=_custom_filter(include_connectors=include_connectors),
                what="the path network",
            )
        except ValueError as err:  # InsufficientResponseError, or "no graph nodes" (truncate)
            msg = f"the requested area holds no usable OSM way ({err}); choose a larger area"
            raise EmptyAreaError(msg) from err
    raw = _raw_from_osmnx(G)
    try:
        water = _osmnx_call(
            ox.features_from_polygon,
            area,
            tags={"waterway": ["canal", "river"]},
            what="canals and rivers",
        )
    except _errors.InsufficientResponseError:
        return raw
    lines = [
        np.asarray(line.coords, dtype=np.float64)
        for geom in water.geometry
        for line in getattr(geom, "geoms", [geom])
        if isinstance(line, LineString) and len(line.coords) >= 2  # noqa: PLR2004
    ]
    if lines:
        pts = np.concatenate(lines)
        raw.water_ptr = np.concatenate([[0], np.cumsum([len(c) for c in lines])]).astype(np.int64)
        raw.water_lon, raw.water_lat = pts[:, 0].copy(), pts[:, 1].copy()
    return raw


def _raw_from_osmnx(G: nx.MultiDiGraph) -> RawOSM:
    """Turn an unsimplified, unprojected osmnx graph into the builder's neutral input.

    Parameters
    ----------
    G
        An osmnx graph built with ``simplify=False`` (one edge per OSM segment, ``osmid`` an
        int, node ``x``/``y`` in degrees).

    Returns
    -------
    RawOSM
        Ways in order of first appearance, each with its segments in edge order, and no
        relations (``has_relations=False``).
    """
    way_pos: dict[int, int] = {}
    way_tags: list[dict[str, str]] = []
    segs: list[tuple[int, int, int]] = []
    seen: set[tuple[int, int, int]] = set()
    for u, v, d in G.edges(data=True):
        osmid = d["osmid"]
        if isinstance(osmid, list):  # pragma: no cover - only on simplified graphs
            osmid = osmid[0]
        key = (int(osmid), min(u, v), max(u, v))
        if u == v or key in seen:
            continue
        seen.add(key)
        pos = way_pos.get(int(osmid))
        if pos is None:
            pos = way_pos[int(osmid)] = len(way_tags)
            way_tags.append(
                {t: str(d[t]) for t in WAY_TAGS if t in d and not isinstance(d[t], list)}
            )
        segs.append((pos, int(u), int(v)))
    arr = np.asarray(segs, dtype=np.int64).reshape(-1, 3)
    arr = arr[np.argsort(arr[:, 0], kind="stable")]  # each way's segments together, in order
    nodes = np.fromiter(G.nodes, dtype=np.int64, count=G.number_of_nodes())
    order = np.argsort(nodes)
    lon = np.fromiter((float(d["x"]) for _, d in G.nodes(data=True)), np.float64, len(nodes))
    lat = np.fromiter((float(d["y"]) for _, d in G.nodes(data=True)), np.float64, len(nodes))
    node_tags = {}
    for n, d in G.nodes(data=True):
        tags = {k: str(d[k]) for k in REF_KEYS if k in d and isinstance(d[k], (str, int))}
        if tags:
            node_tags[int(n)] = tags
    return RawOSM(
        way_ids=np.asarray(list(way_pos), dtype=np.int64),
        way_tags=way_tags,
        seg_way=arr[:, 0].copy(),
        seg_a=arr[:, 1].copy(),
        seg_b=arr[:, 2].copy(),
        node_ids=nodes[order],
        lon=lon[order],
        lat=lat[order],
        node_tags=node_tags,
        has_relations=False,
    )


# ----------------------------------------------------------------------------- building


def _fraction_near(
    lines: np.ndarray,
    targets: np.ndarray,
    distance: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Length of each line lying within `distance` of `targets`, and each line's length.

    Each line is sampled every ~5 m (midpoints of equal pieces); a piece counts as near when
    its midpoint is within `distance` of any target (STRtree ``dwithin`` query).
    """
    lengths = np.asarray(shapely.length(lines), dtype=np.float64)
    if len(lines) == 0 or len(targets) == 0:
        return np.zeros(len(lines)), lengths
    tree = shapely.STRtree(_split_segments(targets))
    # only lines passing within `distance` of a target can have a sample near one: sample
    # those alone (a regional file has millions of segments, few of them along water)
    close = np.unique(tree.query(lines, predicate="dwithin", distance=distance)[0])
    n = np.maximum(1, np.ceil(lengths[close] / _SAMPLE_STEP_M)).astype(np.int64)
    owner = np.repeat(close, n)
    first = np.repeat(np.cumsum(n) - n, n)
    frac = (np.arange(int(n.sum())) - first + 0.5) / np.repeat(n, n)
    points = shapely.line_interpolate_point(lines[owner], frac, normalized=True)
    hit = tree.query(points, predicate="dwithin", distance=distance)[0]
    near = np.zeros(len(points), dtype=bool)
    near[hit] = True
    step = np.repeat(lengths[close] / n, n)
    near_len = np.bincount(owner, weights=step * near, minlength=len(lines))
    return near_len.astype(np.float64), lengths


def _split_segments(geoms: np.ndarray) -> np.ndarray:
    """Split (multi)lines into 2-point segments, so that an STRtree query stays local."""
    parts = shapely.get_parts(geoms)
    coords, idx = shapely.get_coordinates(parts, return_index=True)
    same = idx[:-1] == idx[1:]
    if not same.any():
        return np.asarray(geoms, dtype=object)
    pairs = np.stack([coords[:-1][same], coords[1:][same]], axis=1)
    return np.asarray(shapely.linestrings(pairs), dtype=object)


def _route_labels(raw: RawOSM) -> tuple[dict[int, set[str]], set[int]]:
    """Route labels per way id and the ids of ways on a EuroVelo route."""
    labels: dict[int, str] = {}
    ev: dict[int, bool] = {}
    for rid, rel in raw.relations.items():
        tags = rel.tags
        labels[rid] = (tags.get("ref") or tags.get("name") or f"r{rid}").strip()
        text = f"{tags.get('ref', '')} {tags.get('name', '')}"
        ev[rid] = tags.get("network") == "icn" or bool(_EUROVELO.search(text))
    way_labels: dict[int, set[str]] = defaultdict(set)
    ev_ways: set[int] = set()
    for rid in raw.relations:
        # the relation and every descendant relation (super-routes) carry rid's label
        stack, seen = [rid], {rid}
        while stack:
            rel = raw.relations[stack.pop()]
            for wid in rel.way_ids:
                way_labels[wid].add(labels[rid])
                if ev[rid]:
                    ev_ways.add(wid)
            for child in rel.relation_ids:
                if child in raw.relations and child not in seen:
                    seen.add(child)
                    stack.append(child)
    return way_labels, ev_ways


def _join(values: list[Any]) -> str:
    out: list[str] = []
    for value in values:
        for part in str(value).split(";"):
            p = part.strip()
            if p and p not in out:
                out.append(p)
    return ";".join(sorted(out))


def _merged_tag(tags: list[dict[str, str]], wids: list[int], key: str) -> str:
    """Return the tag of one way verbatim, or the `;`-joined values of several ways."""
    if len(wids) == 1:
        return tags[wids[0]].get(key, "")
    return _join([tags[i].get(key, "") for i in wids])


def _join_ids(values: list[Any]) -> int | list[int]:
    ids: list[int] = []
    for value in values:
        for i in value if isinstance(value, list) else [value]:
            if i not in ids:
                ids.append(i)
    return ids[0] if len(ids) == 1 else ids


def _chains(
    seg_a: np.ndarray, seg_b: np.ndarray, seg_sig: np.ndarray, keep: np.ndarray, *, simplify: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Group segments into chains between endpoint nodes (osmnx-style simplification).

    A node is an endpoint when it has not exactly two incident segments, carries a junction
    ref (`keep`), or joins two segments with different signatures (`seg_sig`). Chains are
    walked from the endpoints in node order, along their segments in order; an isolated ring
    of non-endpoints becomes one closed chain starting at its smallest node. With
    ``simplify=False`` every segment is its own chain. Node indexes are numbered in node-id
    order. Returns ``(node_ptr, nodes, seg_ptr, segs)``: chain ``c`` visits
    ``nodes[node_ptr[c]:node_ptr[c+1]]`` along ``segs[seg_ptr[c]:seg_ptr[c+1]]`` (the numba
    kernel ``parcs._kernels.chains.chain_walks``).
    """
    s = len(seg_a)
    if not simplify:
        nodes = np.column_stack([seg_a, seg_b]).ravel()
        return np.arange(0, 2 * s + 1, 2), nodes, np.arange(s + 1), np.arange(s)
    from parcs._kernels.chains import chain_walks  # noqa: PLC0415 - numba, only to build

    walks: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] = chain_walks(
        len(keep),
        np.ascontiguousarray(seg_a, dtype=np.int64),
        np.ascontiguousarray(seg_b, dtype=np.int64),
        np.ascontiguousarray(seg_sig, dtype=np.int64),
        np.ascontiguousarray(keep, dtype=np.bool_),
    )
    return walks


def _mark_towpaths(raw: RawOSM, kinds: list[str | None], segs: _Segs, to_xy: Transformer) -> None:
    """Make ``towpath`` the cycleway/path/track ways lying mostly along a canal or river."""
    cand_way = np.asarray([k in _TOWPATH_CANDIDATES for k in kinds], dtype=bool)
    if not (cand_way.any() and raw.n_waterways):
        return
    water = _water_lines(raw, to_xy)
    on = cand_way[segs.way]
    a, b = segs.a[on], segs.b[on]
    seg_lines = shapely.linestrings(
        np.stack(
            [np.column_stack([segs.x[a], segs.y[a]]), np.column_stack([segs.x[b], segs.y[b]])],
            axis=1,
        )
    )
    near, length = _fraction_near(seg_lines, water, TOWPATH_DISTANCE_M)
    owner = segs.way[on]
    near_w = np.bincount(owner, weights=near, minlength=len(kinds))
    len_w = np.bincount(owner, weights=length, minlength=len(kinds))
    for i in np.flatnonzero(cand_way & (len_w > 0) & (near_w > 0.5 * len_w)).tolist():
        kinds[i] = "towpath"


def _classified(raw: RawOSM, *, include_connectors: bool) -> list[str | None]:
    """Return the kind of each way from its tags (:func:`classify_tags`), None if unused."""
    kinds: list[str | None] = []
    for tags in raw.way_tags:
        kind = classify_tags(tags)
        kinds.append(None if kind == "connector" and not include_connectors else kind)
    return kinds


@dataclass
class _Segs:
    """The segments of the usable ways: node indexes (node-id order), way, node coordinates."""

    a: np.ndarray
    b: np.ndarray
    way: np.ndarray
    ids: np.ndarray  # node id of each node index
    x: np.ndarray
    y: np.ndarray
    lon: np.ndarray
    lat: np.ndarray


def _usable_segments(raw: RawOSM, kinds: list[str | None], to_xy: Transformer) -> _Segs:
    """The segments of the ways with a kind, their nodes renumbered, projected."""
    usable = np.asarray([k is not None for k in kinds], dtype=bool)
    keep = usable[raw.seg_way]
    sa, sb = raw.seg_a[keep], raw.seg_b[keep]
    ids = np.unique(np.concatenate([sa, sb]))
    at = raw.index_of(ids)
    lon, lat = raw.lon[at], raw.lat[at]
    x, y = to_xy.transform(lon, lat)
    return _Segs(
        a=np.searchsorted(ids, sa),
        b=np.searchsorted(ids, sb),
        way=raw.seg_way[keep],
        ids=ids,
        x=np.asarray(x, dtype=np.float64),
        y=np.asarray(y, dtype=np.float64),
        lon=lon,
        lat=lat,
    )


def _signatures(raw: RawOSM, kinds: list[str | None]) -> tuple[list[Any], np.ndarray]:
    """Each way's signature (kind, routes, eurovelo) and an integer code per way."""
    way_labels, ev_ways = _route_labels(raw)
    sigs: list[Any] = []
    code: dict[tuple[str, str, bool], int] = {}
    codes = np.full(len(kinds), -1, dtype=np.int64)
    for i, (kind, osmid) in enumerate(zip(kinds, raw.way_ids.tolist(), strict=True)):
        if kind is None:
            sigs.append(None)
            continue
        sig = (kind, ";".join(sorted(way_labels.get(osmid, ()))), osmid in ev_ways)
        sigs.append(sig)
        codes[i] = code.setdefault(sig, len(code))
    return sigs, codes


def _dedupe(segs: _Segs, rank_of_way: np.ndarray) -> np.ndarray:
    """One segment per node pair: the first of the highest-precedence ways (lowest rank).

    Returns the positions of the segments kept, in order of each pair's first appearance
    (the order the segments of the ways come in).
    """
    n = len(segs.ids)
    lo, hi = np.minimum(segs.a, segs.b), np.maximum(segs.a, segs.b)
    key = lo * n + hi
    pos = np.arange(len(key))
    order = np.lexsort((pos, rank_of_way[segs.way], key))
    starts = np.flatnonzero(np.concatenate([[True], key[order][1:] != key[order][:-1]]))
    winner = order[starts]
    first_seen = np.minimum.reduceat(pos[order], starts) if len(starts) else starts
    return winner[np.argsort(first_seen, kind="stable")]


def _chain_edges(  # noqa: PLR0913
    chains: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    *,
    segs: _Segs,
    seg_way: np.ndarray,
    raw: RawOSM,
    sigs: list[Any],
    official: np.ndarray | None,
    cavalier_buffer_m: float,
) -> Iterator[tuple[int, int, dict[str, Any]]]:
    """Yield one edge per chain, both ways (a ring once), geometry oriented u -> v.

    A generator: networkx copies each attribute dict it is given, so a list of them would
    double the memory of the edges while the graph is built.
    """
    node_ptr, nodes, seg_ptr, chain_segs = chains
    n_chains = len(node_ptr) - 1
    chain_idx = np.repeat(np.arange(n_chains), np.diff(node_ptr))
    coords = np.column_stack([segs.x[nodes], segs.y[nodes]])
    lines = np.asarray(shapely.linestrings(coords, indices=chain_idx), dtype=object)
    reversed_lines = shapely.reverse(lines)
    lengths = shapely.length(lines).tolist()
    is_cavalier = np.zeros(n_chains, dtype=bool)
    if official is not None and len(official) and n_chains:
        near, length = _fraction_near(lines, official, cavalier_buffer_m)
        is_cavalier = (length > 0) & (near > 0.5 * length)
    ways = seg_way[chain_segs]  # the way of each segment, in walking order
    first_way = ways[seg_ptr[:-1]].tolist()
    one_way = np.minimum.reduceat(ways, seg_ptr[:-1]) == np.maximum.reduceat(ways, seg_ptr[:-1])
    u_ids = segs.ids[nodes[node_ptr[:-1]]].tolist()
    v_ids = segs.ids[nodes[node_ptr[1:] - 1]].tolist()
    osmids = raw.way_ids.tolist()
    tags = raw.way_tags
    for c in range(n_chains):
        if one_way[c]:
            wids = [first_way[c]]
        else:
            wids = list(dict.fromkeys(ways[seg_ptr[c] : seg_ptr[c + 1]].tolist()))
        kind, routes, ev = sigs[wids[0]]
        attrs = {
            "osmid": osmids[wids[0]] if len(wids) == 1 else _join_ids([osmids[i] for i in wids]),
            "kind": "cavalier" if is_cavalier[c] else kind,
            "osm_kind": kind,
            "routes": routes,
            "eurovelo": ev,
            "name": _merged_tag(tags, wids, "name"),
            "surface": _merged_tag(tags, wids, "surface"),
            "length": lengths[c],
            "est_length": lengths[c],
            "built": True,
            "source": "osm",
        }
        u, v = u_ids[c], v_ids[c]
        yield u, v, {"geometry": lines[c], **attrs}
        if u != v:  # a ring (self-loop) is stored once
            yield v, u, {"geometry": reversed_lines[c], **attrs}


def _add_nodes(G: nx.MultiDiGraph, chains: Any, segs: _Segs, raw: RawOSM) -> None:  # noqa: ANN401
    """Add the chain ends as nodes, in order of first appearance in the edges."""
    node_ptr, nodes = chains[0], chains[1]
    ends = np.column_stack([nodes[node_ptr[:-1]], nodes[node_ptr[1:] - 1]]).ravel()
    _, first = np.unique(ends, return_index=True)
    used = ends[np.sort(first)]
    G.add_nodes_from(
        (n, {"x": x, "y": y, "lon": lo, "lat": la, **raw.node_tags.get(n, {})})
        for n, x, y, lo, la in zip(
            segs.ids[used].tolist(),
            segs.x[used].tolist(),
            segs.y[used].tolist(),
            segs.lon[used].tolist(),
            segs.lat[used].tolist(),
            strict=True,
        )
    )


def _build_graph(
    raw: RawOSM,
    *,
    crs: str,
    official: np.ndarray | None,
    cavalier_buffer_m: float,
    include_connectors: bool,
    simplify: bool,
    retain_all: bool,
) -> nx.MultiDiGraph:
    """Return the graph of `raw` in `crs` (the steps of :func:`graph_from_osm`), on arrays."""
    to_xy = Transformer.from_crs(4326, crs, always_xy=True)
    kinds = _classified(raw, include_connectors=include_connectors)
    if all(k is None for k in kinds):
        return nx.MultiDiGraph()
    segs = _usable_segments(raw, kinds, to_xy)
    _mark_towpaths(raw, kinds, segs, to_xy)  # cycleway/path/track ways along water
    sigs, sig_code = _signatures(raw, kinds)
    rank = np.asarray([_RANK.get(k, 99) if k else 99 for k in kinds], dtype=np.int64)
    kept = _dedupe(segs, rank)
    a, b, way = segs.a[kept], segs.b[kept], segs.way[kept]
    junction = np.isin(
        segs.ids, np.fromiter(raw.node_tags, dtype=np.int64, count=len(raw.node_tags))
    )
    # simplify: chains of segments between junctions become one edge
    chains = _chains(a, b, sig_code[way], junction, simplify=simplify)
    G = nx.MultiDiGraph(crs=crs)
    _add_nodes(G, chains, segs, raw)
    G.add_edges_from(
        _chain_edges(
            chains,
            segs=segs,
            seg_way=way,
            raw=raw,
            sigs=sigs,
            official=official,
            cavalier_buffer_m=cavalier_buffer_m,
        )
    )
    if not retain_all and G.number_of_nodes():
        largest = max(nx.weakly_connected_components(G), key=len)
        G = G.subgraph(largest).copy()
    nx.set_node_attributes(G, dict(G.out_degree()), "street_count")
    return G
