"""Read local OSM files (``.osm``, ``.osm.gz``, ``.osm.bz2``, ``.osm.pbf``) with pyosmium.

Private plumbing for :mod:`parcs.network.osm`. One streaming pass over the file collects only
what the greenway graph needs:

* ways with a ``highway`` tag (all of them: the classification happens later, in ``osm.py``),
  with only the tags the builder reads (:data:`WAY_TAG_KEYS`);
* ``waterway=canal|river`` lines (for the geometric towpath test);
* route relations (``route=bicycle|hiking|foot|mtb``) with their way and relation members;
* the ``r?n_ref`` tags of nodes (numbered-junction networks).

**Memory.** Node locations live in pyosmium's C++ index (``flex_mem``: 16 bytes per node of a
sparse file, 8 per id of a dense one), filled while the nodes stream past; Python only sees
the tagged nodes that pass the ``KeyFilter``, and keeps each way's node references and
locations in flat typed arrays (20 bytes per reference), never per-node dicts or tuples. The
result is a :class:`RawOSM` of numpy arrays, the same neutral structure that ``osm.py`` builds
from an osmnx download, so both paths share one builder. On the synthetic 30M-node file of
``benchmarks/osm_synth.py`` the whole read stays within the targets of ``docs/osm.md``.

A node with an impossible location (a latitude beyond ±90°, a longitude beyond ±180°, or a
coordinate the XML parser cannot read) raises one :class:`~parcs.errors.DataError` naming the
file; a node missing from the file (a clipped extract) splits its ways there.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import osmium

from parcs.errors import DataError, ValidationError

if TYPE_CHECKING:
    import os


__all__ = [
    "REF_KEYS",
    "ROUTE_TYPES",
    "SUFFIXES",
    "WAY_TAG_KEYS",
    "RawOSM",
    "RawRelation",
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

#: way tags kept from a file: those the classification (``osm.classify_tags``) and the edge
#: attributes (``name``, ``surface``) read; other tags are dropped while reading
WAY_TAG_KEYS: frozenset[str] = frozenset(
    {
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
        "abandoned:railway",
        "disused:railway",
        "dismantled:railway",
        "razed:railway",
    }
)

_WAY_KEYS = tuple(sorted(WAY_TAG_KEYS))
_UNDEFINED = 2147483647  # osmium's undefined coordinate (a node missing from the file)
_PRECISION = 10_000_000.0  # osmium stores coordinates as integers of 1e-7 degree


@dataclass
class RawRelation:
    """One route relation: tags, member way ids and member relation ids."""

    tags: dict[str, str]
    way_ids: list[int]
    relation_ids: list[int]


def _ints(values: object = ()) -> np.ndarray:
    return np.asarray(values, dtype=np.int64)


def _floats(values: object = ()) -> np.ndarray:
    return np.asarray(values, dtype=np.float64)


@dataclass
class RawOSM:
    """Everything the greenway graph builder needs, independent of the data source (arrays).

    Attributes
    ----------
    way_ids
        int64[w] OSM id of each way (ways with a ``highway`` tag and at least one segment).
    way_tags
        The tags of each way (only :data:`WAY_TAG_KEYS` for a file).
    seg_way, seg_a, seg_b
        int64[s] one row per way segment, in way order: the way's position in `way_ids` and
        the OSM ids of its two nodes (never equal).
    node_ids, lon, lat
        int64[n] sorted ids of every node a segment uses, and their locations (degrees).
    node_tags
        Junction ``r?n_ref`` tags by node id.
    water_ptr, water_lon, water_lat
        Canal and river lines: line ``i`` is ``water_lon[water_ptr[i]:water_ptr[i+1]]``...
    relations
        Route relations by id.
    has_relations
        False for a download (osmnx drops relations).
    """

    way_ids: np.ndarray = field(default_factory=_ints)
    way_tags: list[dict[str, str]] = field(default_factory=list)
    seg_way: np.ndarray = field(default_factory=_ints)
    seg_a: np.ndarray = field(default_factory=_ints)
    seg_b: np.ndarray = field(default_factory=_ints)
    node_ids: np.ndarray = field(default_factory=_ints)
    lon: np.ndarray = field(default_factory=_floats)
    lat: np.ndarray = field(default_factory=_floats)
    node_tags: dict[int, dict[str, str]] = field(default_factory=dict)
    water_ptr: np.ndarray = field(default_factory=lambda: _ints([0]))
    water_lon: np.ndarray = field(default_factory=_floats)
    water_lat: np.ndarray = field(default_factory=_floats)
    relations: dict[int, RawRelation] = field(default_factory=dict)
    has_relations: bool = True

    @property
    def n_waterways(self) -> int:
        """Number of canal/river lines."""
        return len(self.water_ptr) - 1

    def index_of(self, ids: np.ndarray) -> np.ndarray:
        """Positions of node ids in `node_ids` (every id must be there)."""
        return np.searchsorted(self.node_ids, ids)

    def waterway(self, i: int) -> list[tuple[float, float]]:
        """The (lon, lat) points of canal/river line `i`."""
        a, b = int(self.water_ptr[i]), int(self.water_ptr[i + 1])
        return list(zip(self.water_lon[a:b].tolist(), self.water_lat[a:b].tolist(), strict=True))


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
        If the file does not exist, is truncated or malformed, or holds a node with an
        impossible location.
    """
    p = Path(path)
    fmt = file_format(p)
    if not p.is_file():
        msg = f"`path` {str(p)!r} does not exist or is not a file; check the path"
        raise DataError(msg)
    reader = _Reader(p)
    keys = ("highway", "waterway", "route", *REF_KEYS)
    processor = (
        osmium.FileProcessor(osmium.io.File(str(p), fmt))
        .with_locations("flex_mem")
        .with_filter(osmium.filter.KeyFilter(*keys))
    )
    try:
        for obj in processor:
            if isinstance(obj, osmium.osm.Node):
                tags = {k: obj.tags[k] for k in REF_KEYS if k in obj.tags}
                if tags:
                    reader.raw.node_tags[obj.id] = tags
            elif isinstance(obj, osmium.osm.Way):
                reader.way(obj)
            elif isinstance(obj, osmium.osm.Relation):
                _read_relation(obj, reader.raw)
    except (RuntimeError, osmium.InvalidLocationError) as err:
        bad = isinstance(err, osmium.InvalidLocationError)
        what = "has a node with an unreadable coordinate" if bad else "is truncated or malformed"
        msg = f"the OSM file {str(p)!r} {what} ({err}); re-download or re-export it"
        raise DataError(msg) from err
    return reader.finish()


class _Reader:
    """Accumulates ways in flat typed arrays while the file streams past."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.raw = RawOSM()
        self.way_ids = array("q")
        self.ref_way = array("q")  # way position of each node reference
        self.ref_id = array("q")
        self.ref_x = array("i")  # osmium fixed-point coordinates (1e-7 degree)
        self.ref_y = array("i")
        self.water_ptr = array("q", [0])
        self.water_x = array("i")
        self.water_y = array("i")
        self._tags: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}

    def way(self, way: osmium.osm.Way) -> None:
        tags = way.tags
        if "highway" in tags:
            # one lookup per wanted key: faster than iterating every tag in Python
            kept = tuple((k, v) for k in _WAY_KEYS if (v := tags.get(k)) is not None)
            shared = self._tags.get(kept)  # identical tag sets share one dict
            if shared is None:
                shared = self._tags[kept] = dict(kept)
            pos = len(self.way_ids)
            self.way_ids.append(way.id)
            self.raw.way_tags.append(shared)
            n0 = len(self.ref_id)
            for nref in way.nodes:
                loc = nref.location
                self.ref_id.append(nref.ref)
                self.ref_x.append(loc.x)
                self.ref_y.append(loc.y)
            self.ref_way.extend([pos] * (len(self.ref_id) - n0))
        elif tags.get("waterway") in WATERWAY_TYPES:
            for nref in way.nodes:
                loc = nref.location
                if loc.valid():
                    self.water_x.append(loc.x)
                    self.water_y.append(loc.y)
            if len(self.water_x) - self.water_ptr[-1] >= 2:  # noqa: PLR2004
                self.water_ptr.append(len(self.water_x))
            else:
                del self.water_x[self.water_ptr[-1] :]
                del self.water_y[self.water_ptr[-1] :]

    def finish(self) -> RawOSM:
        """Turn the references into segments and node arrays (numpy, no per-node objects)."""
        raw = self.raw
        ids = np.frombuffer(self.ref_id, dtype=np.int64)
        x = np.frombuffer(self.ref_x, dtype=np.int32)
        y = np.frombuffer(self.ref_y, dtype=np.int32)
        owner = np.frombuffer(self.ref_way, dtype=np.int64)
        valid = (np.abs(x) <= 180 * _PRECISION) & (np.abs(y) <= 90 * _PRECISION)
        missing = (x == _UNDEFINED) | (y == _UNDEFINED)
        impossible = ~valid & ~missing
        if impossible.any():
            i = int(np.flatnonzero(impossible)[0])
            msg = (
                f"the OSM file {str(self.path)!r} has {int(impossible.sum())} node references "
                f"with an impossible location, e.g. node {int(ids[i])} at lon "
                f"{x[i] / _PRECISION:g}, lat {y[i] / _PRECISION:g} (longitudes lie in "
                "[-180, 180], latitudes in [-90, 90]); fix or re-export the file"
            )
            raise DataError(msg)
        # a segment joins two consecutive valid references of one way (a missing node splits it)
        seg = (owner[1:] == owner[:-1]) & valid[1:] & valid[:-1] & (ids[1:] != ids[:-1])
        first = np.flatnonzero(seg)
        has_seg = np.zeros(len(self.way_ids), dtype=bool)
        has_seg[owner[first]] = True
        renumber = np.cumsum(has_seg) - 1  # ways without a segment are dropped
        raw.way_ids = np.frombuffer(self.way_ids, dtype=np.int64)[has_seg].copy()
        raw.way_tags = [t for t, keep in zip(raw.way_tags, has_seg.tolist(), strict=True) if keep]
        raw.seg_way = renumber[owner[first]]
        raw.seg_a, raw.seg_b = ids[first].copy(), ids[first + 1].copy()
        used = valid.copy()
        used[:] = False
        used[first] = used[first + 1] = True
        raw.node_ids, at = np.unique(ids[used], return_index=True)
        raw.lon = x[used][at] / _PRECISION
        raw.lat = y[used][at] / _PRECISION
        raw.water_ptr = np.frombuffer(self.water_ptr, dtype=np.int64).copy()
        raw.water_lon = np.frombuffer(self.water_x, dtype=np.int32) / _PRECISION
        raw.water_lat = np.frombuffer(self.water_y, dtype=np.int32) / _PRECISION
        return raw


def _read_relation(rel: osmium.osm.Relation, raw: RawOSM) -> None:
    tags = dict(rel.tags)
    if tags.get("route") not in ROUTE_TYPES:
        return
    way_ids = [m.ref for m in rel.members if m.type == "w"]
    relation_ids = [m.ref for m in rel.members if m.type == "r"]
    raw.relations[rel.id] = RawRelation(tags=tags, way_ids=way_ids, relation_ids=relation_ids)
