"""Places from OpenStreetMap: parks, nature areas, forests, terrils, stations, towns, viewpoints.

:func:`places_from_osm` reads them from a local OSM file (pyosmium, with areas: closed ways and
multipolygon relations are assembled in C++) or, for a graph that was downloaded, through
osmnx's ``features_from_polygon`` and its cache. The result is a places table that
:func:`parcs.attach_places` attaches to any graph (``docs/graph-format.md``, ``docs/osm.md``).

Which OSM objects become places, and of which kind (first matching rule wins):

=============  ==========================================================================
kind           OSM tags
=============  ==========================================================================
``terril``     ``man_made=spoil_heap``; ``landuse=landfill`` with a ``name``
``park``       ``leisure=park``; ``landuse=recreation_ground``
``nature``     ``leisure=nature_reserve``; ``boundary=protected_area|national_park``
``forest``     ``landuse=forest``; ``natural=wood``
``station``    ``railway=station``; ``public_transport=station`` unless it is a bus station
               (``bus=yes`` without ``train``/``light_rail``/``subway``/``tram=yes``)
``town``       ``place=city|town|village|hamlet`` (``population`` from the tag)
``viewpoint``  ``tourism=viewpoint``
=============  ==========================================================================
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np

from parcs._log import logger
from parcs.errors import DataError, DownloadError, ValidationError
from parcs.network.clip import clip_area
from parcs.network.places import MAX_POPULATION

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    import geopandas as gpd
    from shapely.geometry import MultiPolygon, Polygon

__all__ = [
    "ALT_NAME_KEYS",
    "MAX_POPULATION",
    "OSM_PLACE_KINDS",
    "OSM_PLACE_RULES",
    "parse_population",
    "place_kind",
    "places_from_osm",
]

#: The place kinds read from OpenStreetMap, in the order of the rules.
OSM_PLACE_KINDS: tuple[str, ...] = (
    "terril",
    "park",
    "nature",
    "forest",
    "station",
    "town",
    "viewpoint",
)
#: ``(kind, key, values)``: an object whose tag `key` has one of `values` is of that kind
#: (first matching rule wins; see the module docstring for the two extra conditions).
OSM_PLACE_RULES: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("terril", "man_made", frozenset({"spoil_heap"})),
    ("terril", "landuse", frozenset({"landfill"})),
    ("park", "leisure", frozenset({"park"})),
    ("park", "landuse", frozenset({"recreation_ground"})),
    ("nature", "leisure", frozenset({"nature_reserve"})),
    ("nature", "boundary", frozenset({"protected_area", "national_park"})),
    ("forest", "landuse", frozenset({"forest"})),
    ("forest", "natural", frozenset({"wood"})),
    ("station", "railway", frozenset({"station"})),
    ("station", "public_transport", frozenset({"station"})),
    ("town", "place", frozenset({"city", "town", "village", "hamlet"})),
    ("viewpoint", "tourism", frozenset({"viewpoint"})),
)
#: Tags gathered (``;``-joined) into the ``alt_name`` column, which :func:`parcs.find_place`
#: also matches.
ALT_NAME_KEYS: tuple[str, ...] = ("alt_name", "official_name", "short_name", "name:fr", "name:en")
#: Names longer than this are cut (place lookup refuses longer names).
_MAX_NAME = 200
_RAIL_MODES = ("train", "light_rail", "subway", "tram")
_COLUMNS = ("name", "kind", "ref", "alt_name", "population", "osm_type", "osm_id")
_APPROX = re.compile(
    r"^(?:ca\.?|c\.|circa|approx\.?|approximately|about|around|env\.?|environ|~|≈|±|\+/-|>=?|<=?)\s*",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"(\d{1,3}(?:[ \u00a0\u202f\u2009',.]\d{3})+|\d+)(?:[.,](\d{1,2}))?")
_AFTER = re.compile(r"$|[\s;()\[\]/\-\u2013]")  # what may follow the number
_SHAPES = frozenset({"Point", "Polygon", "MultiPolygon"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def place_kind(tags: Mapping[str, str]) -> str | None:
    """Return the parcs place kind of an OSM object from its tags, or None.

    Parameters
    ----------
    tags
        The OSM tags of a node, way or relation.

    Returns
    -------
    str or None
        One of :data:`OSM_PLACE_KINDS` (rules in the module docstring), or None.
    """
    for kind, key, values in OSM_PLACE_RULES:
        if tags.get(key) not in values:
            continue
        if key == "landuse" and kind == "terril" and not str(tags.get("name", "")).strip():
            continue
        if key == "public_transport" and _bus_station(tags):
            continue
        return kind
    return None


def _bus_station(tags: Mapping[str, str]) -> bool:
    return tags.get("bus") == "yes" and not any(tags.get(m) == "yes" for m in _RAIL_MODES)


def parse_population(value: Any) -> int:  # noqa: ANN401
    """Read an OSM ``population`` tag robustly; return a count of residents (0 if unreadable).

    The first ``;``-separated value is read: an optional "about" marker (``ca.``, ``~``,
    ``approx.``, ``env.``...), then a number whose thousands may be grouped by a space, a
    narrow space, ``,``, ``.`` or ``'`` ("12 345", "12,345", "12'345"), with at most two
    decimals (rounded); anything may follow after a space or a bracket ("500 (2011)").
    Anything else (no number, a sign, "1e9", "12k") gives 0; a count above
    :data:`MAX_POPULATION` is absurd: 0, with a logged warning.

    Parameters
    ----------
    value
        The tag value (a string; a number from osmnx is accepted).

    Returns
    -------
    int
        Residents, in ``[0, MAX_POPULATION]``.
    """
    if isinstance(value, (bool, np.bool_)):
        return 0
    if isinstance(value, (int, float, np.number)):
        number = float(value)
    elif isinstance(value, str):
        number = _parse_text(value)
    else:
        return 0
    if not (math.isfinite(number) and number >= 0):
        return 0
    count = round(number)
    if count > MAX_POPULATION:
        logger.warning(
            "population %r is absurd (more than %d residents): counted as 0",
            str(value)[:40],
            MAX_POPULATION,
        )
        return 0
    return int(count)


def _parse_text(text: str) -> float:
    head = _APPROX.sub("", text.split(";", 1)[0].strip()[:100])
    m = _NUMBER.match(head)
    if m is None or not _AFTER.match(head, m.end()):
        return 0.0
    digits = re.sub(r"\D", "", m.group(1))
    return float(f"{digits}.{m.group(2) or 0}")


def _clean_name(text: Any) -> str:  # noqa: ANN401
    name = " ".join(_CONTROL.sub(" ", str(text or "")).split())
    return name[:_MAX_NAME]


def _record(
    tags: Mapping[str, str], kind: str, osm_type: str, osm_id: int
) -> dict[str, Any] | None:
    """Return the table row of one object (None for an unnamed point), without geometry."""
    name = _clean_name(tags.get("name"))
    if not name:
        if osm_type == "node":
            return None
        name = f"{kind} {osm_type}/{osm_id}"
    alt = [_clean_name(tags.get(k)) for k in ALT_NAME_KEYS]
    parts = [p.strip() for a in alt for p in a.split(";") if p.strip() and p.strip() != name]
    return {
        "name": name,
        "kind": kind,
        "ref": _clean_name(tags.get("ref") or tags.get("ref:INSEE")),
        "alt_name": ";".join(dict.fromkeys(parts)),
        "population": parse_population(tags.get("population")) if kind == "town" else 0,
        "osm_type": osm_type,
        "osm_id": int(osm_id),
    }


def _check_kinds(kinds: Any) -> tuple[str, ...]:  # noqa: ANN401
    if kinds is None:
        return OSM_PLACE_KINDS
    wanted = (kinds,) if isinstance(kinds, str) else kinds
    try:
        wanted = tuple(wanted)
    except TypeError:
        msg = f"`kinds` must be None or place kinds from {list(OSM_PLACE_KINDS)}, got {kinds!r}"
        raise ValidationError(msg) from None
    bad = [k for k in wanted if k not in OSM_PLACE_KINDS]
    if bad or not wanted:
        msg = (
            f"`kinds` must name at least one of {list(OSM_PLACE_KINDS)}; "
            f"got {list(wanted)!r}{f' (unknown: {bad!r})' if bad else ''}"
        )
        raise ValidationError(msg)
    return tuple(k for k in OSM_PLACE_KINDS if k in wanted)


def _tag_pairs(kinds: tuple[str, ...]) -> list[tuple[str, str]]:
    return sorted({(key, v) for kind, key, vals in OSM_PLACE_RULES if kind in kinds for v in vals})


# ----------------------------------------------------------------------------- files


def _read_file(path: Path, kinds: tuple[str, ...]) -> tuple[list[dict[str, Any]], list[Any]]:
    """Rows and WKB/point geometries of the places of a local OSM file (pyosmium)."""
    import osmium  # noqa: PLC0415

    from parcs.network._osmfile import file_format  # noqa: PLC0415

    fmt = file_format(path)
    if not path.is_file():
        msg = f"the OSM file {str(path)!r} does not exist or is not a file; check the path"
        raise DataError(msg)
    pairs = _tag_pairs(kinds)
    entities = osmium.osm.NODE | osmium.osm.AREA | osmium.osm.RELATION
    processor = (
        osmium.FileProcessor(osmium.io.File(str(path), fmt))
        .with_areas(osmium.filter.TagFilter(*pairs))
        .with_filter(osmium.filter.EntityFilter(entities))
        .with_filter(osmium.filter.TagFilter(*pairs))
    )
    wkb = osmium.geom.WKBFactory()
    rows: list[dict[str, Any]] = []
    geoms: list[Any] = []
    relations: dict[int, str] = {}  # area relations seen, to report those not assembled
    try:
        for obj in processor:
            found = _read_object(obj, kinds, wkb, relations)
            if found is not None:
                rows.append(found[0])
                geoms.append(found[1])
    except RuntimeError as err:
        msg = (
            f"the OSM file {str(path)!r} is truncated or malformed ({err}); "
            "re-download or re-export it"
        )
        raise DataError(msg) from err
    assembled = {r["osm_id"] for r in rows if r["osm_type"] == "relation"}
    broken = sorted(set(relations) - assembled)
    if broken:
        logger.warning(
            "places_from_osm(%s): %d multipolygon relation(s) skipped, their rings do not "
            "close in this file (incomplete or broken): %s",
            path.name,
            len(broken),
            ", ".join(f"r{r} {relations[r]!r}" for r in broken[:5]),
        )
    return rows, geoms


def _read_object(
    obj: Any,  # noqa: ANN401
    kinds: tuple[str, ...],
    wkb: Any,  # noqa: ANN401
    relations: dict[int, str],
) -> tuple[dict[str, Any], Any] | None:
    """Return the row and geometry (lon/lat or WKB) of a node or area, or None.

    A multipolygon relation is only noted in `relations` (its area comes separately).
    """
    tags = dict(obj.tags)
    kind = place_kind(tags)
    if kind is None or kind not in kinds:
        return None
    type_str = obj.type_str()
    if type_str == "r":
        if tags.get("type") in {"multipolygon", "boundary"}:
            relations[int(obj.id)] = _clean_name(tags.get("name"))[:40]
        return None
    if type_str == "n":
        loc = obj.location
        row = _record(tags, kind, "node", obj.id) if loc.valid() else None
        return None if row is None else (row, (loc.lon, loc.lat))
    # an area, from a closed way or a multipolygon relation
    row = _record(tags, kind, "way" if obj.from_way() else "relation", obj.orig_id())
    try:
        geom = bytes.fromhex(wkb.create_multipolygon(obj))
    except RuntimeError:  # no complete ring: libosmium could not build it
        return None
    return None if row is None else (row, geom)


def _geometries(geoms: list[Any]) -> Any:  # noqa: ANN401
    """Shapely geometries from (lon, lat) tuples and WKB, polygons made valid."""
    import shapely  # noqa: PLC0415

    out = np.empty(len(geoms), dtype=object)
    pts = [i for i, g in enumerate(geoms) if isinstance(g, tuple)]
    polys = [i for i, g in enumerate(geoms) if not isinstance(g, tuple)]
    if pts:
        out[pts] = shapely.points(np.array([geoms[i] for i in pts], dtype=np.float64))
    if polys:
        shapes = shapely.from_wkb([geoms[i] for i in polys], on_invalid="ignore")
        bad = ~shapely.is_valid(shapes) & ~shapely.is_missing(shapes)
        if bad.any():
            fixed = shapely.make_valid(shapes[bad])
            # keep the polygonal part of a repaired area (a collection may hold lines)
            shapes[bad] = [_polygonal(g) for g in fixed]
        out[polys] = shapes
    return out


def _polygonal(geom: Any) -> Any:  # noqa: ANN401
    import shapely  # noqa: PLC0415

    parts = [p for p in shapely.get_parts(geom) if p.geom_type in {"Polygon", "MultiPolygon"}]
    return shapely.union_all(parts) if parts else None


# ----------------------------------------------------------------------------- downloads


def _graph_area(G: nx.MultiDiGraph) -> Polygon | MultiPolygon:
    """Return the convex hull of the graph's nodes, 300 m wider, in EPSG:4326."""
    import geopandas as gpd  # noqa: PLC0415
    import shapely  # noqa: PLC0415

    from parcs.csr import csr_of  # noqa: PLC0415

    csr = csr_of(G)
    if csr.n_nodes == 0:
        msg = "the graph has no nodes: there is no area to fetch places for"
        raise ValidationError(msg)
    hull = shapely.convex_hull(shapely.multipoints(np.column_stack([csr.x, csr.y]))).buffer(300.0)
    return gpd.GeoSeries([hull], crs=csr.crs).to_crs(4326).iloc[0]


def _download(area: Any, kinds: tuple[str, ...]) -> tuple[list[dict[str, Any]], list[Any]]:  # noqa: ANN401
    """Rows and geometries of the places in `area` (EPSG:4326), through osmnx and its cache."""
    import osmnx as ox  # noqa: PLC0415
    from osmnx import _errors  # noqa: PLC0415

    values: dict[str, list[str]] = {}
    for key, value in _tag_pairs(kinds):
        values.setdefault(key, []).append(value)
    tags: dict[str, bool | str | list[str]] = dict(values)  # osmnx's type (dict is invariant)
    try:
        gdf = ox.features_from_polygon(area, tags=tags)
    except _errors.InsufficientResponseError:
        return [], []
    except _errors.CacheOnlyInterruptError:
        raise
    except Exception as err:  # requests / HTTP / JSON errors of the download
        msg = f"downloading the places of the graph's area from OpenStreetMap failed: {err}"
        raise DownloadError(msg) from err
    return _rows_from_features(gdf, kinds)


def _rows_from_features(gdf: Any, kinds: tuple[str, ...]) -> tuple[list[dict[str, Any]], list[Any]]:  # noqa: ANN401
    """Rows and geometries from an osmnx features table (index ``(element, id)``)."""
    rows: list[dict[str, Any]] = []
    geoms: list[Any] = []
    columns = [c for c in gdf.columns if c != "geometry"]
    for (element, osm_id), values, geom in zip(
        gdf.index, gdf[columns].itertuples(index=False, name=None), gdf.geometry, strict=True
    ):
        tags = {c: v for c, v in zip(columns, values, strict=True) if isinstance(v, str)}
        kind = place_kind(tags)
        if kind is None or kind not in kinds or geom is None:
            continue
        point = element == "node"
        if (geom.geom_type == "Point") != point or geom.geom_type not in _SHAPES:
            continue  # an unclosed way (a line): no area
        row = _record(tags, kind, str(element), int(osm_id))
        if row is not None:
            rows.append(row)
            geoms.append((geom.x, geom.y) if point else geom.wkb)
    return rows, geoms


# ----------------------------------------------------------------------------- public


def places_from_osm(
    source: str | os.PathLike[str] | nx.MultiDiGraph,
    *,
    clip: Any = None,  # noqa: ANN401
    kinds: Iterable[str] | None = None,
) -> gpd.GeoDataFrame:
    """Read the places (parks, nature areas, forests, terrils, stations, towns, viewpoints).

    What becomes a place, and of which kind, is the table of the module docstring (also in
    ``docs/osm.md``). Areas come from closed ways and multipolygon relations, assembled by
    pyosmium (libosmium); a relation whose rings do not close in the file (an extract that
    cuts it, a broken multipolygon) is skipped with a logged warning, and an invalid ring is
    repaired (``shapely.make_valid``, polygonal part kept). Points (nodes) are kept only when
    they have a ``name``; an unnamed area is kept under a generated name such as
    ``"park way/123"`` or ``"forest relation/45"``.

    Parameters
    ----------
    source
        A local OSM file (``.osm``/``.xml``, optionally ``.gz``/``.bz2``, or ``.pbf``), or a
        graph from :func:`parcs.graph_from_osm`: built from a file (``path=``, recorded in
        ``G.graph["osm_file"]``), that file is read again; downloaded, the places of its
        area (the hull of its nodes, 300 m wider) are fetched with osmnx
        ``features_from_polygon``, through osmnx's cache.
    clip
        Keep only the places inside this area, cut to it: anything
        :func:`parcs.network.clip.clip_area` takes (``"pma"``, a polygon layer path, a
        GeoDataFrame, a lon/lat shapely polygon).
    kinds
        Keep only these kinds (of :data:`OSM_PLACE_KINDS`); all by default. Only the tags
        of these kinds are read (pyosmium ``TagFilter``, in C++).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per place: ``name``, ``kind``, ``ref`` (``ref``, else ``ref:INSEE``),
        ``alt_name`` (``;``-joined ``alt_name``, ``official_name``, ``short_name``,
        ``name:fr``, ``name:en``), ``population`` (residents of a ``town``, read by
        :func:`parse_population`; 0 for other kinds), ``osm_type`` ("node", "way",
        "relation"), ``osm_id``, ``geometry`` (Point or (Multi)Polygon) in EPSG:4326, or
        in the graph's CRS when `source` is a graph. Give it to
        :func:`parcs.attach_places`.

    Raises
    ------
    ValidationError
        If `source` is neither a file path nor a graph, has an unsupported extension, or
        `kinds`/`clip` is invalid.
    DataError
        If the file (or the one a graph records) does not exist or is malformed.
    DownloadError
        If fetching the places of a downloaded graph fails.

    Examples
    --------
    >>> G = parcs.graph_from_osm(path="krems.osm.gz")  # doctest: +SKIP
    >>> parcs.attach_places(G, parcs.places_from_osm(G))  # doctest: +SKIP
    >>> parcs.route(G, "Stadtpark", "Krems a.d. Donau")  # doctest: +SKIP
    """
    wanted = _check_kinds(kinds)
    crs = "EPSG:4326"
    if isinstance(source, nx.Graph):
        from parcs.graph import graph_crs  # noqa: PLC0415

        crs = graph_crs(source) or crs
        recorded = source.graph.get("osm_file")
        if recorded:
            name = Path(str(recorded)).name
            rows, geoms = _read_recorded(Path(str(recorded)), wanted)
        else:
            name = str(source.graph.get("name", "graph"))
            rows, geoms = _download(_graph_area(source), wanted)
    elif isinstance(source, (str, os.PathLike)):
        name = Path(source).name
        rows, geoms = _read_file(Path(source), wanted)
    else:
        msg = (
            "`source` must be an OSM file path or a graph from parcs.graph_from_osm, got "
            f"{type(source).__name__}"
        )
        raise ValidationError(msg)
    return _table(rows, geoms, clip=clip, crs=crs, name=name)


def _read_recorded(path: Path, kinds: tuple[str, ...]) -> tuple[list[dict[str, Any]], list[Any]]:
    if not path.is_file():
        msg = (
            f"the graph was built from {str(path)!r}, which no longer exists; pass the OSM "
            "file itself: parcs.places_from_osm(path)"
        )
        raise DataError(msg)
    return _read_file(path, kinds)


def _table(
    rows: list[dict[str, Any]],
    geoms: list[Any],
    *,
    clip: Any,  # noqa: ANN401
    crs: str,
    name: str,
) -> gpd.GeoDataFrame:
    import geopandas as gpd  # noqa: PLC0415
    import pandas as pd  # noqa: PLC0415
    import shapely  # noqa: PLC0415

    frame = pd.DataFrame(rows, columns=list(_COLUMNS))
    gdf = gpd.GeoDataFrame(frame, geometry=_geometries(geoms), crs="EPSG:4326")
    gdf = gdf[~(gdf.geometry.isna() | gdf.geometry.is_empty)]
    area = clip_area(clip, crs="EPSG:4326")
    if area is not None:
        gdf = gdf[gdf.intersects(area)].copy()
        gdf["geometry"] = shapely.intersection(gdf.geometry.to_numpy(), area)
        gdf = gdf[~gdf.geometry.is_empty]
    gdf = gdf.astype({"population": np.int64, "osm_id": np.int64}).reset_index(drop=True)
    if crs != "EPSG:4326":
        gdf = gdf.to_crs(crs)
    counts = gdf["kind"].value_counts()
    logger.info(
        "places_from_osm(%s): %d places (%s)",
        name,
        len(gdf),
        ", ".join(f"{k} {int(counts.get(k, 0))}" for k in OSM_PLACE_KINDS if k in counts),
    )
    return gdf
