"""Read local OSM files (``.osm``, ``.osm.gz``, ``.osm.bz2``, ``.osm.pbf``) with pyosmium.

Private plumbing for :mod:`parcs.network.osm`. One streaming pass over the file (pyosmium keeps the
node locations in memory) collects only what the greenway graph needs:

* ways with a ``highway`` tag (all of them: the classification happens later, in ``osm.py``),
* ``waterway=canal|river`` lines (for the geometric towpath test),
* route relations (``route=bicycle|hiking|foot|mtb``) with their way and relation members,
* the ``r?n_ref`` tags of nodes (numbered-junction networks).

The result is a :class:`RawOSM`, the same neutral structure that ``osm.py`` builds from an
osmnx download, so both paths share one graph builder. pyosmium filters (``KeyFilter``) drop
untagged and irrelevant objects in C++, so Python only sees the few objects it keeps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import osmium

from parcs.errors import DataError, ValidationError

if TYPE_CHECKING:
    import os

__all__ = [
    "REF_KEYS",
    "ROUTE_TYPES",
    "SUFFIXES",
    "RawOSM",
    "RawRelation",
    "RawWay",
    "read_osm_file",
]

#: file name endings pyosmium can read, mapped to the format string pyosmium expects
SUFFIXES: dict[str, str] = {
    ".osm": "osm",
    ".osm.gz": "osm.gz",
    ".osm.bz2": "osm.bz2",
    ".osm.pbf": "pbf",
    ".pbf": "pbf",
    ".xml": "osm",
    ".xml.gz": "osm.gz",
    ".xml.bz2": "osm.bz2",
}

#: node tags of numbered-junction networks kept on graph nodes
REF_KEYS: tuple[str, ...] = ("rcn_ref", "rwn_ref", "rhn_ref", "rmn_ref", "rpn_ref", "rin_ref")

#: route relation types whose members are recorded
ROUTE_TYPES: frozenset[str] = frozenset({"bicycle", "hiking", "foot", "mtb"})

WATERWAY_TYPES: frozenset[str] = frozenset({"canal", "river"})


@dataclass
class RawWay:
    """One OSM way: its id, tags and the node-id pairs of its segments (in way order)."""

    osmid: int
    tags: dict[str, str]
    segments: list[tuple[int, int]]


@dataclass
class RawRelation:
    """One route relation: tags, member way ids and member relation ids."""

    tags: dict[str, str]
    way_ids: list[int]
    relation_ids: list[int]


@dataclass
class RawOSM:
    """Everything the greenway graph builder needs, independent of the data source."""

    lonlat: dict[int, tuple[float, float]] = field(default_factory=dict)
    ways: list[RawWay] = field(default_factory=list)
    node_tags: dict[int, dict[str, str]] = field(default_factory=dict)
    waterways: list[list[tuple[float, float]]] = field(default_factory=list)
    relations: dict[int, RawRelation] = field(default_factory=dict)
    has_relations: bool = True


def file_format(path: Path) -> str:
    """Return the pyosmium format string for `path`, or raise ``ValidationError``."""
    name = path.name.lower()
    for suffix in sorted(SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            return SUFFIXES[suffix]
    msg = (
        f"`path` {str(path)!r} has an unsupported extension; use one of "
        f"{', '.join(sorted(SUFFIXES))} (OSM XML, optionally gzip/bzip2-compressed, or PBF)"
    )
    raise ValidationError(msg)


def read_osm_file(path: str | os.PathLike[str]) -> RawOSM:
    """Read the greenway-relevant content of a local OSM file.

    Parameters
    ----------
    path
        An ``.osm``/``.xml`` file (optionally ``.gz``/``.bz2``) or an ``.osm.pbf`` file.

    Returns
    -------
    RawOSM
        Ways with a ``highway`` tag, canal/river lines, route relations and junction node tags.

    Raises
    ------
    ValidationError
        If the extension is not one of :data:`SUFFIXES`.
    DataError
        If the file does not exist, or is truncated or malformed.
    """
    p = Path(path)
    fmt = file_format(p)
    if not p.is_file():
        msg = f"`path` {str(p)!r} does not exist or is not a file; check the path"
        raise DataError(msg)

    raw = RawOSM()
    keys = ("highway", "waterway", "route", *REF_KEYS)
    processor = (
        osmium.FileProcessor(osmium.io.File(str(p), fmt))
        .with_locations()
        .with_filter(osmium.filter.KeyFilter(*keys))
    )
    try:
        for obj in processor:
            if isinstance(obj, osmium.osm.Node):
                tags = {k: obj.tags[k] for k in REF_KEYS if k in obj.tags}
                if tags:
                    raw.node_tags[obj.id] = tags
            elif isinstance(obj, osmium.osm.Way):
                _read_way(obj, raw)
            elif isinstance(obj, osmium.osm.Relation):
                _read_relation(obj, raw)
    except RuntimeError as err:
        msg = (
            f"the OSM file {str(p)!r} is truncated or malformed ({err}); "
            "re-download or re-export it"
        )
        raise DataError(msg) from err
    return raw


def _read_way(way: osmium.osm.Way, raw: RawOSM) -> None:
    tags = dict(way.tags)
    if "highway" in tags:
        segments: list[tuple[int, int]] = []
        prev: int | None = None
        for nref in way.nodes:
            loc = nref.location
            if not loc.valid():
                # a node missing from a clipped extract: split the way there
                prev = None
                continue
            ref = nref.ref
            raw.lonlat[ref] = (loc.lon, loc.lat)
            if prev is not None and prev != ref:
                segments.append((prev, ref))
            prev = ref
        if segments:
            raw.ways.append(RawWay(osmid=way.id, tags=tags, segments=segments))
    elif tags.get("waterway") in WATERWAY_TYPES:
        coords = [(n.location.lon, n.location.lat) for n in way.nodes if n.location.valid()]
        if len(coords) >= 2:  # noqa: PLR2004
            raw.waterways.append(coords)


def _read_relation(rel: osmium.osm.Relation, raw: RawOSM) -> None:
    tags = dict(rel.tags)
    if tags.get("route") not in ROUTE_TYPES:
        return
    way_ids = [m.ref for m in rel.members if m.type == "w"]
    relation_ids = [m.ref for m in rel.members if m.type == "r"]
    raw.relations[rel.id] = RawRelation(tags=tags, way_ids=way_ids, relation_ids=relation_ids)
