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
import math
import os
import re
from collections import defaultdict
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
from parcs.network._osmfile import REF_KEYS, RawOSM, RawWay, read_osm_file
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

    km = _km_by_kind(G)
    logger.info(
        "graph_from_osm(%s): %d nodes, %d edges; km by kind: %s; %d junction refs",
        name,
        G.number_of_nodes(),
        G.number_of_edges(),
        ", ".join(f"{k} {v:.1f}" for k, v in sorted(km.items())),
        sum(1 for _, d in G.nodes(data=True) if any(k in d for k in REF_KEYS)),
    )
    return G


def _graph_crs(raw: RawOSM, clip: Any) -> str:  # noqa: ANN401
    """The graph CRS for this data (:func:`parcs.settings.crs_for` on its lon/lat bounds)."""
    if clip is not None:
        bounds = clip_area(clip, crs="EPSG:4326").bounds
    elif raw.lonlat:
        ll = np.array(list(raw.lonlat.values()), dtype=np.float64)
        bounds = (*ll.min(axis=0).tolist(), *ll.max(axis=0).tolist())
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
    """Keep the way segments with an end in `area` and the waterways near them.

    A segment stays when at least one of its nodes lies in `area` (graph CRS), as with
    osmnx's ``truncate_by_edge``; a waterway stays when it passes within the towpath distance
    of a segment kept, so the towpath test sees the same water as without `clip`.
    """
    ids = np.fromiter(raw.lonlat, dtype=np.int64, count=len(raw.lonlat))
    lonlat = np.array(list(raw.lonlat.values()), dtype=np.float64).reshape(-1, 2)
    x, y = to_xy.transform(lonlat[:, 0], lonlat[:, 1])
    shapely.prepare(area)
    inside = set(ids[shapely.intersects_xy(area, x, y)].tolist())
    ways = []
    for way in raw.ways:
        segments = [(a, b) for a, b in way.segments if a in inside or b in inside]
        if segments:
            ways.append(RawWay(osmid=way.osmid, tags=way.tags, segments=segments))
    n_before = sum(len(w.segments) for w in raw.ways)
    kept = [seg for w in ways for seg in w.segments]
    waterways: list[list[tuple[float, float]]] = []
    if raw.waterways and kept:
        where = {n: i for i, n in enumerate(ids.tolist())}
        ends = np.array([(where[a], where[b]) for a, b in kept], dtype=np.int64)
        node_xy = np.column_stack([x, y])
        seg_lines = shapely.linestrings(
            np.stack([node_xy[ends[:, 0]], node_xy[ends[:, 1]]], axis=1)
        )
        pts = np.array([pt for line in raw.waterways for pt in line], dtype=np.float64)
        wx, wy = to_xy.transform(pts[:, 0], pts[:, 1])
        index = np.repeat(np.arange(len(raw.waterways)), [len(w) for w in raw.waterways])
        water = _split_segments(shapely.linestrings(np.column_stack([wx, wy]), indices=index))
        owner = np.repeat(np.arange(len(raw.waterways)), [len(w) - 1 for w in raw.waterways])
        tree = shapely.STRtree(seg_lines)
        near = tree.query(water, predicate="dwithin", distance=TOWPATH_DISTANCE_M)[0]
        waterways = [raw.waterways[i] for i in np.unique(owner[near]).tolist()]
    logger.info(
        "clip: kept %d of %d OSM segments (%d of %d ways), %d of %d waterways",
        len(kept),
        n_before,
        len(ways),
        len(raw.ways),
        len(waterways),
        len(raw.waterways),
    )
    return RawOSM(
        lonlat=raw.lonlat,
        ways=ways,
        node_tags=raw.node_tags,
        waterways=waterways,
        relations=raw.relations,
        has_relations=raw.has_relations,
    )


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
    for geom in water.geometry:
        for line in getattr(geom, "geoms", [geom]):
            if isinstance(line, LineString):
                raw.waterways.append(list(line.coords))
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
        Ways grouped by ``osmid``, with no relations (``has_relations=False``).
    """
    raw = RawOSM(has_relations=False)
    ways: dict[int, RawWay] = {}
    seen: set[tuple[int, int, int]] = set()
    for u, v, d in G.edges(data=True):
        osmid = d["osmid"]
        if isinstance(osmid, list):  # pragma: no cover - only on simplified graphs
            osmid = osmid[0]
        key = (int(osmid), min(u, v), max(u, v))
        if u == v or key in seen:
            continue
        seen.add(key)
        way = ways.get(int(osmid))
        if way is None:
            tags = {t: str(d[t]) for t in WAY_TAGS if t in d and not isinstance(d[t], list)}
            way = ways[int(osmid)] = RawWay(osmid=int(osmid), tags=tags, segments=[])
        way.segments.append((int(u), int(v)))
    raw.ways = list(ways.values())
    for n, d in G.nodes(data=True):
        raw.lonlat[int(n)] = (float(d["x"]), float(d["y"]))
        tags = {k: str(d[k]) for k in REF_KEYS if k in d and isinstance(d[k], (str, int))}
        if tags:
            raw.node_tags[int(n)] = tags
    return raw


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
    n = np.maximum(1, np.ceil(lengths / _SAMPLE_STEP_M)).astype(np.int64)
    owner = np.repeat(np.arange(len(lines)), n)
    first = np.repeat(np.cumsum(n) - n, n)
    frac = (np.arange(int(n.sum())) - first + 0.5) / n[owner]
    points = shapely.line_interpolate_point(lines[owner], frac, normalized=True)
    tree = shapely.STRtree(_split_segments(targets))
    hit = tree.query(points, predicate="dwithin", distance=distance)[0]
    near = np.zeros(len(points), dtype=bool)
    near[hit] = True
    near_len = np.bincount(owner, weights=(lengths / n)[owner] * near, minlength=len(lines))
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


def _merged_tag(ways: list[RawWay], wids: list[int], key: str) -> str:
    """Return the tag of one way verbatim, or the `;`-joined values of several ways."""
    if len(wids) == 1:
        return ways[wids[0]].tags.get(key, "")
    return _join([ways[i].tags.get(key, "") for i in wids])


def _join_ids(values: list[Any]) -> int | list[int]:
    ids: list[int] = []
    for value in values:
        for i in value if isinstance(value, list) else [value]:
            if i not in ids:
                ids.append(i)
    return ids[0] if len(ids) == 1 else ids


def _chains(  # noqa: C901
    segs: list[tuple[int, int, int]],
    sigs: list[tuple[str, str, bool]],
    keep: set[int],
    *,
    simplify: bool,
) -> list[tuple[list[int], list[int]]]:
    """Group segments into chains between endpoint nodes (osmnx-style simplification).

    A node is an endpoint when it has not exactly two incident segments, carries a junction
    ref (`keep`), or joins two segments with different signatures (`sigs`). An isolated ring
    of non-endpoints becomes one closed chain starting at its smallest node id. With
    ``simplify=False`` every segment is its own chain. Returns ``(nodes, segment indexes)``
    per chain, nodes in walking order.
    """
    if not simplify:
        return [([a, b], [j]) for j, (a, b, _) in enumerate(segs)]
    adj: dict[int, list[int]] = defaultdict(list)
    for j, (a, b, _) in enumerate(segs):
        adj[a].append(j)
        adj[b].append(j)
    end = {
        n: len(inc) != 2 or n in keep or sigs[inc[0]] != sigs[inc[1]]  # noqa: PLR2004
        for n, inc in adj.items()
    }
    visited = bytearray(len(segs))
    chains: list[tuple[list[int], list[int]]] = []

    def walk(start: int, first: int) -> None:
        nodes, seg_idx = [start], []
        cur, j = start, first
        while True:
            visited[j] = 1
            seg_idx.append(j)
            a, b, _ = segs[j]
            cur = b if a == cur else a
            nodes.append(cur)
            if end[cur]:
                break
            s1, s2 = adj[cur]
            j = s2 if s1 == j else s1
        chains.append((nodes, seg_idx))

    for n in sorted(adj):
        if end[n]:
            for j in adj[n]:
                if not visited[j]:
                    walk(n, j)
    for j in range(len(segs)):  # isolated rings
        if not visited[j]:
            ring = segs[j][0]
            stack, members = [ring], {ring}
            while stack:  # find the ring's smallest node, so the result is deterministic
                for k in adj[stack.pop()]:
                    for m in segs[k][:2]:
                        if m not in members:
                            members.add(m)
                            stack.append(m)
            start = min(members)
            end[start] = True
            walk(start, adj[start][0])
    return chains


def _mark_towpaths(
    raw: RawOSM,
    ways: list[RawWay],
    kinds: list[str],
    xy: dict[int, tuple[float, float]],
    to_xy: Transformer,
) -> None:
    """Make ``towpath`` the cycleway/path/track ways lying mostly along a canal or river."""
    candidates = [i for i, k in enumerate(kinds) if k in _TOWPATH_CANDIDATES]
    if not (candidates and raw.waterways):
        return
    wlonlat = np.array([pt for line in raw.waterways for pt in line], dtype=np.float64)
    wx, wy = to_xy.transform(wlonlat[:, 0], wlonlat[:, 1])
    windex = np.repeat(np.arange(len(raw.waterways)), [len(w) for w in raw.waterways])
    water = np.asarray(shapely.linestrings(np.column_stack([wx, wy]), indices=windex), dtype=object)
    pairs = [(xy[a], xy[b]) for i in candidates for a, b in ways[i].segments]
    owner = np.array([i for i in candidates for _ in ways[i].segments])
    seg_lines = shapely.linestrings(np.array(pairs))
    near, length = _fraction_near(seg_lines, water, TOWPATH_DISTANCE_M)
    near_w = np.bincount(owner, weights=near, minlength=len(ways))
    len_w = np.bincount(owner, weights=length, minlength=len(ways))
    for i in candidates:
        if len_w[i] > 0 and near_w[i] > 0.5 * len_w[i]:
            kinds[i] = "towpath"


def _classified(raw: RawOSM, *, include_connectors: bool) -> tuple[list[RawWay], list[str]]:
    """Return the usable ways and their kinds, from their tags (:func:`classify_tags`)."""
    ways: list[RawWay] = []
    kinds: list[str] = []
    for way in raw.ways:
        kind = classify_tags(way.tags)
        if kind is None or (kind == "connector" and not include_connectors):
            continue
        ways.append(way)
        kinds.append(kind)
    return ways, kinds


def _segments(
    ways: list[RawWay], kinds: list[str], raw: RawOSM
) -> tuple[list[tuple[int, int, int]], list[tuple[str, str, bool]]]:
    """Return one ``(a, b, way index)`` per undirected segment, and each way's signature.

    The highest-precedence way wins a segment shared by several ways. The signature is what
    may not change inside one edge: kind, routes, eurovelo.
    """
    way_labels, ev_ways = _route_labels(raw)
    best: dict[tuple[int, int], tuple[int, int, int]] = {}
    for i, way in enumerate(ways):
        for a, b in way.segments:
            key = (min(a, b), max(a, b))
            old = best.get(key)
            if old is None or _RANK[kinds[i]] < _RANK[kinds[old[2]]]:
                best[key] = (a, b, i)
    sigs = [
        (kinds[i], ";".join(sorted(way_labels.get(w.osmid, ()))), w.osmid in ev_ways)
        for i, w in enumerate(ways)
    ]
    return list(best.values()), sigs


def _chain_edges(
    chains: list[tuple[list[int], list[int]]],
    *,
    segs: list[tuple[int, int, int]],
    ways: list[RawWay],
    sigs: list[tuple[str, str, bool]],
    xy: dict[int, tuple[float, float]],
    official: np.ndarray | None,
    cavalier_buffer_m: float,
) -> list[tuple[int, int, dict[str, Any]]]:
    """Return one edge per chain, both ways (a ring once), geometry oriented u -> v."""
    chain_xy = np.array([xy[n] for nodes, _ in chains for n in nodes], dtype=np.float64)
    chain_idx = np.repeat(np.arange(len(chains)), [len(nodes) for nodes, _ in chains])
    lines = np.asarray(shapely.linestrings(chain_xy, indices=chain_idx), dtype=object)
    reversed_lines = shapely.reverse(lines)
    lengths = shapely.length(lines)
    is_cavalier = np.zeros(len(chains), dtype=bool)
    if official is not None and len(official) and len(chains):
        near, length = _fraction_near(lines, official, cavalier_buffer_m)
        is_cavalier = (length > 0) & (near > 0.5 * length)

    edges: list[tuple[int, int, dict[str, Any]]] = []
    for c, (nodes, seg_idx) in enumerate(chains):
        wids = list(dict.fromkeys(segs[j][2] for j in seg_idx))
        kind, routes, ev = sigs[wids[0]]
        one = ways[wids[0]]
        attrs = {
            "osmid": one.osmid if len(wids) == 1 else _join_ids([ways[i].osmid for i in wids]),
            "kind": "cavalier" if is_cavalier[c] else kind,
            "osm_kind": kind,
            "routes": routes,
            "eurovelo": ev,
            "name": _merged_tag(ways, wids, "name"),
            "surface": _merged_tag(ways, wids, "surface"),
            "length": float(lengths[c]),
            "est_length": float(lengths[c]),
            "built": True,
            "source": "osm",
        }
        edges.append((nodes[0], nodes[-1], {"geometry": lines[c], **attrs}))
        if nodes[0] != nodes[-1]:  # a ring (self-loop) is stored once
            edges.append((nodes[-1], nodes[0], {"geometry": reversed_lines[c], **attrs}))
    return edges


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
    """Return the graph of `raw` in `crs` (the steps of :func:`graph_from_osm`)."""
    to_xy = Transformer.from_crs(4326, crs, always_xy=True)
    ways, kinds = _classified(raw, include_connectors=include_connectors)
    if not ways:
        return nx.MultiDiGraph()
    node_ids = sorted({n for w in ways for seg in w.segments for n in seg})
    lon = np.array([raw.lonlat[n][0] for n in node_ids])
    lat = np.array([raw.lonlat[n][1] for n in node_ids])
    xs, ys = to_xy.transform(lon, lat)
    xy = {n: (float(x), float(y)) for n, x, y in zip(node_ids, xs, ys, strict=True)}

    _mark_towpaths(raw, ways, kinds, xy, to_xy)  # cycleway/path/track ways along water
    segs, sigs = _segments(ways, kinds, raw)
    # simplify: chains of segments between junctions become one edge
    chains = _chains(segs, [sigs[i] for *_, i in segs], set(raw.node_tags), simplify=simplify)
    edges = _chain_edges(
        chains,
        segs=segs,
        ways=ways,
        sigs=sigs,
        xy=xy,
        official=official,
        cavalier_buffer_m=cavalier_buffer_m,
    )

    G = nx.MultiDiGraph(crs=crs)
    used = dict.fromkeys(n for u, v, _ in edges for n in (u, v))
    G.add_nodes_from(
        (
            n,
            {
                "x": xy[n][0],
                "y": xy[n][1],
                "lon": raw.lonlat[n][0],
                "lat": raw.lonlat[n][1],
                **raw.node_tags.get(n, {}),
            },
        )
        for n in used
    )
    G.add_edges_from(edges)
    if not retain_all and G.number_of_nodes():
        largest = max(nx.weakly_connected_components(G), key=len)
        G = G.subgraph(largest).copy()
    nx.set_node_attributes(G, dict(G.out_degree()), "street_count")
    return G
