"""Saved graphs: one GeoPackage holding a whole parcs graph (``docs/graph-format.md``).

:func:`save_graph` writes the ``nodes``, ``edges`` and ``places`` layers and the
``parcs_graph`` table (graph attributes and the schema that restores every attribute with its
type); :func:`load_graph` reads a file back, treating it as hostile input.
"""

from __future__ import annotations

import contextlib
import gc
import json
import math
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from parcs._atomic import atomic_gdal_path
from parcs._log import logger
from parcs.errors import DataError, ValidationError
from parcs.graph import EdgeArrays, edge_arrays_from_columns, graph_crs, validate_graph

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

    import geopandas as gpd
    import networkx as nx
    import pandas as pd

__all__ = ["GRAPH_FORMAT", "GRAPH_FORMAT_VERSION", "GRAPH_TABLE", "load_graph", "save_graph"]

#: Value of the ``format`` column of the :data:`GRAPH_TABLE` table.
GRAPH_FORMAT = "parcs-graph"
#: Version of the saved-graph format :func:`save_graph` writes; :func:`load_graph` reads it only.
GRAPH_FORMAT_VERSION = 1
#: The non-spatial table of a saved graph: format, version, CRS, graph attributes and schema.
GRAPH_TABLE = "parcs_graph"

_FIXED: Mapping[str, tuple[str, ...]] = {
    "nodes": ("node",),
    "edges": ("u", "v", "key"),
    "places": (),
}
_RESERVED = ("fid", "geom")  # the GeoPackage primary key and geometry columns
_TYPES = ("bool", "int", "float", "str", "json", "tuple")
_GRAPH_TYPES = (*_TYPES, "crs", "places")
_META_FIELDS = ("format", "version", "parcs_version", "crs", "graph", "schema")
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_PLACE_DTYPES = frozenset(
    {"bool", "boolean", "object", "str", "string", "float32", "float64", "Float32", "Float64"}
    | {f"{s}int{b}" for s in ("", "u") for b in (8, 16, 32, 64)}
    | {f"{s}Int{b}" for s in ("", "U") for b in (8, 16, 32, 64)}
)
#: shapely geometry type id -> GeoPackage layer geometry type
_GDAL_TYPES = {
    0: "Point",
    1: "LineString",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
}
_MAX_JSON_CHARS = 64 * 2**20  # one JSON text (a cell, the schema, the graph attributes)
_FAST_DIGITS = 15  # JSON cells of up to this many digits are read with int()
_SAFE_INT = 2**53  # ints GDAL may pass through a float (columns with NULLs) stay exact below
_STORED = "bool, int, float, str, None, and tuples, lists and dicts (string keys) of these"


class _Absent:
    """An attribute a node or edge does not have (a NULL cell in the file)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<absent>"


_ABSENT = _Absent()
#: Python type(s) -> stored type, first match wins (a bool is an int: it comes first)
_KINDS: tuple[tuple[type | tuple[type, ...], str], ...] = (
    ((bool, np.bool_), "bool"),
    ((int, np.integer), "int"),
    ((float, np.floating), "float"),
    (str, "str"),
    (tuple, "tuple"),
    ((type(None), list, dict), "json"),
)
_SCALARS: Mapping[str, Callable[[Any], Any]] = {
    "bool": bool,
    "int": int,
    "float": float,
    "str": str.__str__,  # the text of a str subclass (an Enum's str(v) is its name)
}


def _kind_of(t: type) -> str | None:
    """Return the stored type of values of Python type `t`, or None if it cannot be stored."""
    return next((kind for types, kind in _KINDS if issubclass(t, types)), None)


def _unsupported(what: str, value: Any) -> ValidationError:  # noqa: ANN401
    text = repr(value)
    text = text if len(text) <= 60 else text[:57] + "..."  # noqa: PLR2004
    msg = (
        f"{what} holds a {type(value).__name__} ({text}); save_graph stores {_STORED}: "
        "convert it first"
    )
    return ValidationError(msg)


def _json_ready(value: Any, what: str) -> Any:  # noqa: ANN401
    """`value` as plain JSON-able Python (numpy scalars converted, tuples as lists)."""
    kind = _kind_of(type(value))
    if kind is not None and kind in _SCALARS:
        return _SCALARS[kind](value)
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return [_json_ready(v, what) for v in value]
    if isinstance(value, dict):
        bad = [k for k in value if not isinstance(k, str)]
        if bad:
            msg = (
                f"{what} holds a dict with the non-string key {bad[0]!r}; JSON keys are "
                "strings: convert the keys with str() first"
            )
            raise ValidationError(msg)
        return {k: _json_ready(v, what) for k, v in value.items()}
    raise _unsupported(what, value)


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        return False
    return True


def _dumps(value: Any, what: str) -> str:  # noqa: ANN401
    try:
        ready = _json_ready(value, what)
        text = json.dumps(ready, ensure_ascii=False, separators=(",", ":"))
        return text if _utf8(text) else json.dumps(ready, separators=(",", ":"))
    except (RecursionError, ValueError) as err:  # too deep, or an int of over 4300 digits
        msg = f"{what} cannot be written as JSON ({err}); simplify it"
        raise ValidationError(msg) from err


def _cell_text(value: Any, what: str) -> str:  # noqa: ANN401
    """Return the JSON text of one cell; plain ints (most OSM ids) take a fast path."""
    if type(value) is int and -_SAFE_INT < value < _SAFE_INT:
        return str(value)
    return _dumps(value, what)


def _column_type(values: list[Any], absent: int, what: str) -> str:
    """Return the stored type of one attribute: a scalar type when exact, else json."""
    kinds = set()
    for t in {type(v) for v in values} - {_Absent}:
        kind = _kind_of(t)
        if kind is None:
            raise _unsupported(what, next(v for v in values if type(v) is t))
        kinds.add(kind)
    if len(kinds) != 1:
        return "json"
    kind = kinds.pop()
    if kind not in {"int", "float", "str"}:
        return kind
    present = [v for v in values if v is not _ABSENT] if absent else values
    if kind == "int":
        lo, hi = int(min(present)), int(max(present))
        ok = lo >= -_SAFE_INT and hi <= _SAFE_INT if absent else lo >= -(2**63) and hi < 2**63
        return "int" if ok else "json"
    if kind == "float":  # NaN would read back as NULL, -0.0 as 0.0: keep those exact in JSON
        a = np.asarray(present, dtype=np.float64)
        return "float" if np.isfinite(a).all() and not (np.signbit(a) & (a == 0)).any() else "json"
    text = "".join(present)  # GDAL cuts strings at NUL and refuses lone surrogates
    return "str" if "\x00" not in text and _utf8(text) else "json"


@dataclass(frozen=True, eq=False)
class _Column:
    """One attribute ready to be written: its column name, stored type and cells."""

    column: str
    attr: str
    type: str
    data: np.ndarray
    mask: np.ndarray | None  # True where the cell is NULL (absent)
    present: int
    dtype: str | None = None  # places: the pandas dtype to restore

    def entry(self) -> dict[str, Any]:
        out = {"column": self.column, "attr": self.attr, "type": self.type, "present": self.present}
        if self.dtype is not None:
            out["dtype"] = self.dtype
        return out


def _encode(
    column: str, attr: str, values: list[Any], what: str, dtype: str | None = None
) -> _Column:
    n = len(values)
    absent_mask = np.fromiter((v is _ABSENT for v in values), dtype=bool, count=n)
    absent = int(absent_mask.sum())
    kind = _column_type(values, absent, what)
    data: np.ndarray
    if kind in {"bool", "int", "float"}:
        fill = {"bool": False, "int": 0, "float": 0.0}[kind]
        np_type = {"bool": np.bool_, "int": np.int64, "float": np.float64}[kind]
        data = np.array([fill if v is _ABSENT else v for v in values], dtype=np_type)
    elif kind == "str":
        data = np.fromiter(
            (None if v is _ABSENT else str.__str__(v) for v in values), dtype=object, count=n
        )
    else:
        data = np.fromiter(
            (None if v is _ABSENT else _cell_text(v, what) for v in values), dtype=object, count=n
        )
    mask = absent_mask if absent and kind in {"bool", "int", "float"} else None
    return _Column(column, attr, kind, data, mask, n - absent, dtype)


def _column_names(attrs: list[str], fixed: tuple[str, ...]) -> list[str]:
    """Column names for `attrs`: the name itself when it is a safe, free column name."""
    used = {c.lower() for c in (*_RESERVED, *fixed)}
    out: list[str] = []
    for attr in attrs:
        name = attr
        if not (_NAME_RE.fullmatch(attr) and attr.lower() not in used):
            i = len(out)
            while f"attr_{i}" in used:
                i += 1
            name = f"attr_{i}"
        used.add(name.lower())
        out.append(name)
    return out


def _collect(dicts: list[Mapping[Any, Any]], what: str) -> dict[str, list[Any]]:
    """Attribute name -> one value per row (:data:`_ABSENT` where the row lacks it)."""
    n = len(dicts)
    cols: dict[str, list[Any]] = {}
    for i, d in enumerate(dicts):
        for k, v in d.items():
            col = cols.get(k)
            if col is None:
                if not isinstance(k, str):
                    msg = f"{what} attribute name {k!r} is not a string; save_graph needs those"
                    raise ValidationError(msg)
                col = cols[k] = [_ABSENT] * n
            col[i] = v
    return cols


def _encode_all(cols: dict[str, list[Any]], fixed: tuple[str, ...], what: str) -> list[_Column]:
    names = _column_names(list(cols), fixed)
    return [
        _encode(name, attr, values, f"{what} attribute {attr!r}")
        for name, (attr, values) in zip(names, cols.items(), strict=True)
    ]


@dataclass(frozen=True, eq=False)
class _Layer:
    """One layer of a saved graph, ready to be written."""

    name: str
    fixed: dict[str, np.ndarray]  # id columns (node; u, v, key), never NULL
    columns: list[_Column]
    wkb: np.ndarray
    geometry_type: str
    extra: dict[str, Any]  # schema entries beyond `count` and `columns`
    lead: int = 0  # leading columns described in `extra` (the places index)

    def schema(self) -> dict[str, Any]:
        columns = [c.entry() for c in self.columns[self.lead :]]
        return {"count": len(self.wkb), "columns": columns, **self.extra}

    def write(self, path: Path, crs: str, *, append: bool) -> None:
        from pyogrio import raw  # noqa: PLC0415

        raw.write(
            path,
            self.wkb,
            [*self.fixed.values(), *(c.data for c in self.columns)],
            [*self.fixed, *(c.column for c in self.columns)],
            field_mask=[None] * len(self.fixed) + [c.mask for c in self.columns],
            layer=self.name,
            driver="GPKG",
            geometry_type=self.geometry_type,
            crs=crs,
            promote_to_multi=False,
            append=append,
        )


def _node_layer(G: nx.MultiDiGraph) -> _Layer:
    try:
        ids = np.fromiter(G.nodes, dtype=np.int64, count=len(G))
    except OverflowError as err:
        msg = "node ids must fit in 64 bits to be saved; relabel the graph"
        raise ValidationError(msg) from err
    dicts = [d for _, d in G.nodes(data=True)]
    columns = _encode_all(_collect(dicts, "node"), _FIXED["nodes"], "node")
    x = np.fromiter((float(d["x"]) for d in dicts), dtype=np.float64, count=len(dicts))
    y = np.fromiter((float(d["y"]) for d in dicts), dtype=np.float64, count=len(dicts))
    wkb = shapely.to_wkb(shapely.points(x, y)) if len(ids) else np.empty(0, dtype=object)
    return _Layer("nodes", {"node": ids}, columns, wkb, "Point", {})


def _edge_layer(G: nx.MultiDiGraph) -> _Layer:
    m = G.number_of_edges()
    ends = np.empty((3, m), dtype=np.int64)
    dicts = []
    for i, (u, v, k, d) in enumerate(G.edges(keys=True, data=True)):
        ends[:, i] = u, v, k
        dicts.append(d)
    cols = _collect(dicts, "edge")
    geoms = np.fromiter(
        (None if g is _ABSENT else g for g in cols.pop("geometry", [_ABSENT] * m)), object, m
    )
    valid = shapely.is_geometry(geoms)
    lines = np.zeros(m, dtype=bool)
    lines[valid] = shapely.get_type_id(geoms[valid]) == 1
    bad = np.flatnonzero(~lines & (geoms != None))  # noqa: E711 - elementwise
    if len(bad):
        i = int(bad[0])
        msg = (
            f"{len(bad)} edges have a `geometry` that is not a shapely LineString, e.g. edge "
            f"{tuple(ends[:, i].tolist())} holds {type(geoms[i]).__name__}: fix or remove it"
        )
        raise ValidationError(msg)
    columns = _encode_all(cols, _FIXED["edges"], "edge")
    wkb = shapely.to_wkb(geoms) if m else np.empty(0, dtype=object)
    geometry_type = "LineString" if not shapely.has_z(geoms).any() else "Unknown"
    fixed = {"u": ends[0], "v": ends[1], "key": ends[2]}
    return _Layer("edges", fixed, columns, wkb, geometry_type, {"geometries": int(lines.sum())})


def _series_values(series: pd.Series) -> list[Any]:
    import pandas as pd  # noqa: PLC0415

    values: list[Any] = series.tolist()
    if isinstance(series.dtype, pd.api.extensions.ExtensionDtype):
        values = [None if v is pd.NA else v for v in values]
    return values


def _place_column(column: str, label: Any, series: pd.Series) -> _Column:  # noqa: ANN401
    dtype = str(series.dtype)
    if dtype not in _PLACE_DTYPES:
        msg = (
            f"the places column {label!r} has the dtype {dtype}; save_graph stores columns of "
            f"the dtypes {sorted(_PLACE_DTYPES)}: convert it first (e.g. .astype(str))"
        )
        raise ValidationError(msg)
    return _encode(column, label, _series_values(series), f"the places column {label!r}", dtype)


def _place_layer(places: Any, crs: str) -> _Layer:  # noqa: ANN401
    import geopandas as gpd  # noqa: PLC0415
    import pandas as pd  # noqa: PLC0415
    import pyproj  # noqa: PLC0415

    if not isinstance(places, gpd.GeoDataFrame):
        msg = f"`G.graph['parcs_places']` must be a GeoDataFrame, got {type(places).__name__}"
        raise ValidationError(msg)
    if places.crs is None or not places.crs.equals(
        pyproj.CRS.from_user_input(crs), ignore_axis_order=True
    ):
        msg = (
            f"the places are in the CRS {places.crs}, the graph in {crs}: project them with "
            "places.to_crs(G.graph['crs'])"
        )
        raise ValidationError(msg)
    labels = [c for c in places.columns if c != places.geometry.name]
    bad = [c for c in [*labels, places.index.name] if c is not None and not isinstance(c, str)]
    bad += sorted({c for c in labels if labels.count(c) > 1}, key=str)
    if bad or isinstance(places.index, pd.MultiIndex):
        got = bad or list(places.index.names)
        msg = f"the places table needs distinct string column names and a flat index, got {got}"
        raise ValidationError(msg)
    names = _column_names([places.index.name or "index", *labels], ())
    index = _place_column(names[0], places.index.name, places.index.to_series())
    columns = [_place_column(n, c, places[c]) for n, c in zip(names[1:], labels, strict=True)]
    geoms = places.geometry.to_numpy()
    types = set(shapely.get_type_id(geoms[shapely.is_geometry(geoms)]).tolist())
    single = len(types) == 1 and not shapely.has_z(geoms).any()
    geometry_type = _GDAL_TYPES.get(types.pop(), "Unknown") if single else "Unknown"
    extra = {
        "index": index.entry(),
        "geometry": places.geometry.name,
        "geometry_at": list(places.columns).index(places.geometry.name),
        "geometries": int(shapely.is_geometry(geoms).sum()),
    }
    wkb = shapely.to_wkb(geoms) if len(geoms) else np.empty(0, dtype=object)
    return _Layer("places", {}, [index, *columns], wkb, geometry_type, extra, lead=1)


def _graph_entries(G: nx.MultiDiGraph) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Return the schema entries of the graph attributes (in order) and their values."""
    entries: list[dict[str, Any]] = []
    values: dict[str, Any] = {}
    for attr, value in G.graph.items():
        if not isinstance(attr, str):
            msg = f"graph attribute name {attr!r} is not a string; save_graph needs string names"
            raise ValidationError(msg)
        if attr == "crs":
            entries.append({"attr": attr, "type": "crs"})
            continue
        if attr == "parcs_places" and value is not None:
            entries.append({"attr": attr, "type": "places"})
            continue
        what = f"graph attribute {attr!r}"
        kind = _kind_of(type(value))
        if kind is None:
            raise _unsupported(what, value)
        values[attr] = json.loads(_dumps(value, what))
        entries.append({"attr": attr, "type": kind})
    return entries, values


def _write_table(path: Path, crs: str, graph: dict[str, Any], schema: dict[str, Any]) -> None:
    from pyogrio import raw  # noqa: PLC0415

    from parcs import __version__  # noqa: PLC0415

    def text(value: str) -> np.ndarray:
        return np.array([value], dtype=object)

    cells = [
        text(GRAPH_FORMAT),
        np.array([GRAPH_FORMAT_VERSION], dtype=np.int64),
        text(__version__),
        text(crs),
        text(json.dumps(graph, separators=(",", ":"))),
        text(json.dumps(schema, separators=(",", ":"))),
    ]
    raw.write(
        path, None, cells, list(_META_FIELDS), layer=GRAPH_TABLE, driver="GPKG",
        geometry_type=None, crs=None, append=True,
    )  # fmt: skip


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of small objects are made.

    The values built make no reference cycles; without the pause CPython runs its collector
    over them again and again (a third of the time of loading a large graph).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def save_graph(G: nx.MultiDiGraph, path: str | Path) -> Path:
    """Save a parcs graph to one GeoPackage that :func:`load_graph` restores exactly.

    The file holds the layers ``nodes`` (points, one row per node, every node attribute),
    ``edges`` (lines, one row per stored arc ``(u, v, key)``, every edge attribute, the
    geometry exact), ``places`` (when ``G.graph["parcs_places"]`` is set) and the table
    ``parcs_graph`` (graph attributes and the schema that gives every column its type), all
    in ``G.graph["crs"]``: QGIS opens it as is. Values of the types bool, int, float and str
    are stored as such; None, lists, dicts, tuples and columns mixing types as JSON text. See
    ``docs/graph-format.md`` ("Saved graphs").

    Parameters
    ----------
    G
        A parcs graph (``docs/graph-format.md``).
    path
        The file to write (conventionally ``.gpkg``); replaced atomically if it exists.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    ValidationError
        If `G` breaks the graph contract, or holds an attribute that cannot be stored (a set,
        a geometry elsewhere than an edge's ``geometry``, a dict with non-string keys...).
    OSError
        If the file cannot be written (the folder is not writable, the disk is full); its
        ``filename`` is `path`, and no partial or temporary file is left behind.

    Examples
    --------
    >>> import parcs
    >>> G = parcs.graph_from_osm(path="area.osm.pbf")  # doctest: +SKIP
    >>> parcs.save_graph(G, "area.gpkg")  # doctest: +SKIP
    >>> G2 = parcs.load_graph("area.gpkg")  # doctest: +SKIP
    """

    validate_graph(G)
    path = Path(path)
    crs = graph_crs(G)
    with _no_gc():
        layers = [_node_layer(G), _edge_layer(G)]
        if G.graph.get("parcs_places") is not None:
            layers.append(_place_layer(G.graph["parcs_places"], crs))
        entries, values = _graph_entries(G)
    schema: dict[str, Any] = {layer.name: layer.schema() for layer in layers}
    schema["graph"] = entries
    with atomic_gdal_path(path) as tmp:
        for i, layer in enumerate(layers):
            layer.write(tmp, crs, append=i > 0)
        _write_table(tmp, crs, values, schema)
    logger.info(
        "save_graph: wrote %s (%d nodes, %d arcs, %s places)",
        path, len(layers[0].wkb), len(layers[1].wkb),
        len(layers[2].wkb) if len(layers) > 2 else "no",  # noqa: PLR2004
    )  # fmt: skip
    return path


# ------------------------------------------------------------------------- reading it back
def _cell_value(text: str, where: str) -> Any:  # noqa: ANN401
    """Return the value of one JSON cell; plain ints take a fast path (same result)."""
    digits = text[1:] if text[:1] == "-" else text
    plain = 0 < len(digits) <= _FAST_DIGITS and digits.isascii() and digits.isdigit()
    if plain and (digits[0] != "0" or len(digits) == 1):  # JSON has no leading zeros
        return int(text)
    return _loads(text, where)


def _loads(text: Any, where: str) -> Any:  # noqa: ANN401
    if not isinstance(text, str):
        msg = f"{where} is not JSON text but {type(text).__name__}"
        raise DataError(msg)
    if len(text) > _MAX_JSON_CHARS:
        msg = f"{where} is {len(text):,} characters of JSON, over the {_MAX_JSON_CHARS:,} allowed"
        raise DataError(msg)
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as err:  # malformed, nested too deep, huge numbers
        msg = f"{where} holds malformed JSON ({type(err).__name__}: {str(err)[:100]})"
        raise DataError(msg) from err


def _get(d: Any, key: str, typ: type | tuple[type, ...], where: str) -> Any:  # noqa: ANN401
    """``d[key]``, checked to be of type `typ` (a bool is not an int)."""
    value = d.get(key) if isinstance(d, dict) else None
    ok = isinstance(value, typ) and not (isinstance(value, bool) and typ is int)
    if not ok:
        text = repr(value)[:60]
        names = typ.__name__ if isinstance(typ, type) else " or ".join(t.__name__ for t in typ)
        msg = f"the schema is malformed: {where} `{key}` is {text}, expected {names}"
        raise DataError(msg)
    return value


def _check_column_entry(col: Any, layer: str, count: int, *, places: bool) -> None:  # noqa: ANN401
    where = f"a `{layer}` column"
    _get(col, "column", str, where)
    _get(col, "attr", (str, type(None)) if places else str, where)
    present = _get(col, "present", int, where)
    if _get(col, "type", str, where) not in _TYPES or not 0 <= present <= count:
        msg = (
            f"the schema is malformed: the `{layer}` column {col['column']!r} has the type "
            f"{col['type']!r} (expected one of {list(_TYPES)}) and {present} values for "
            f"{count} rows"
        )
        raise DataError(msg)
    if places and _get(col, "dtype", str, where) not in _PLACE_DTYPES:
        msg = (
            f"the schema is malformed: the places column {col['attr']!r} has the unknown dtype "
            f"{col['dtype']!r}"
        )
        raise DataError(msg)


def _check_layer_entry(name: str, entry: Any) -> None:  # noqa: ANN401
    where = f"the `{name}` entry"
    count = _get(entry, "count", int, where)
    columns = _get(entry, "columns", list, where)
    if count < 0:
        msg = f"the schema is malformed: {where} has a negative count"
        raise DataError(msg)
    for col in columns:
        _check_column_entry(col, name, count, places=name == "places")
    names = [c["column"].lower() for c in columns]
    attrs = [c["attr"] for c in columns]
    if name == "places":
        _check_column_entry(_get(entry, "index", dict, where), name, count, places=True)
        _get(entry, "geometry", str, where)
        _get(entry, "geometry_at", int, where)
        attrs = [*attrs, entry["geometry"]]
    taken = {c.lower() for c in (*_RESERVED, *_FIXED[name])}
    if len(set(names)) != len(names) or len(set(attrs)) != len(attrs) or taken & set(names):
        msg = (
            f"the schema is malformed: {where} repeats a column or an attribute, or uses a "
            "reserved column name"
        )
        raise DataError(msg)
    if name != "nodes" and not 0 <= _get(entry, "geometries", int, where) <= count:
        msg = f"the schema is malformed: {where} counts more geometries than rows"
        raise DataError(msg)


def _check_schema(schema: Any) -> dict[str, Any]:  # noqa: ANN401
    if not isinstance(schema, dict):
        msg = f"the schema is malformed: it is a JSON {type(schema).__name__}, not an object"
        raise DataError(msg)
    for name in ("nodes", "edges", "places"):
        if name in schema or name != "places":
            _get(schema, name, dict, "the schema's")
            _check_layer_entry(name, schema[name])
    entries = _get(schema, "graph", list, "the schema's")
    for e in entries:
        _get(e, "attr", str, "a graph attribute")
        if _get(e, "type", str, "a graph attribute") not in _GRAPH_TYPES:
            msg = (
                f"the schema is malformed: the graph attribute {e['attr']!r} has the unknown "
                f"type {e['type']!r}"
            )
            raise DataError(msg)
    if len({e["attr"] for e in entries}) != len(entries):
        msg = "the schema is malformed: a graph attribute is listed twice"
        raise DataError(msg)
    return schema


@dataclass(frozen=True)
class _Meta:
    crs: str
    graph: dict[str, Any]
    schema: dict[str, Any]


def _read_table(path: Path) -> _Meta:
    from pyogrio import raw  # noqa: PLC0415

    meta, _, _, fields = raw.read(path, layer=GRAPH_TABLE, read_geometry=False)
    cols = dict(zip(meta["fields"].tolist(), fields, strict=True))
    missing = [f for f in _META_FIELDS if f not in cols]
    if missing:
        msg = f"the `{GRAPH_TABLE}` table lacks the columns {missing}"
        raise DataError(msg)
    rows = len(cols["format"])
    if rows != 1:
        msg = f"the `{GRAPH_TABLE}` table has {rows} rows instead of 1"
        raise DataError(msg)
    fmt, version, crs = cols["format"][0], cols["version"][0], cols["crs"][0]
    if fmt != GRAPH_FORMAT:
        msg = f"its `{GRAPH_TABLE}` table names the format {str(fmt)[:40]!r}, not {GRAPH_FORMAT!r}"
        raise DataError(msg)
    if not isinstance(version, (int, np.integer)) or version != GRAPH_FORMAT_VERSION:
        newer = isinstance(version, (int, np.integer)) and version > GRAPH_FORMAT_VERSION
        hint = "upgrade parcs to read it" if newer else "write it again with parcs.save_graph"
        msg = (
            f"its format version is {str(version)[:20]!r}; this parcs reads version "
            f"{GRAPH_FORMAT_VERSION} only: {hint}"
        )
        raise DataError(msg)
    if not isinstance(crs, str) or not crs:
        msg = f"the `{GRAPH_TABLE}` table has no CRS"
        raise DataError(msg)
    graph = _loads(cols["graph"][0], "the graph attributes")
    if not isinstance(graph, dict):
        msg = "the graph attributes are not a JSON object"
        raise DataError(msg)
    return _Meta(crs, graph, _check_schema(_loads(cols["schema"][0], "the schema")))


def _with_absent(values: list[Any], missing: np.ndarray) -> list[Any]:
    for i in np.flatnonzero(missing).tolist():
        values[i] = _ABSENT
    return values


def _decode_number(arr: np.ndarray, kind: str, where: str) -> list[Any]:
    """Return the cells of a bool, int or float column (NULLs in int columns come as NaN)."""
    k = arr.dtype.kind
    missing = np.isnan(arr) if k == "f" else np.zeros(len(arr), dtype=bool)
    rest = arr[~missing]
    if kind == "float":
        ok = k in {"i", "f"}
    elif kind == "int":
        exact = k == "f" and (np.abs(rest) <= _SAFE_INT).all() and (rest == np.round(rest)).all()
        ok = k == "i" or bool(exact)
    else:
        ok = k == "b" or (k in {"i", "f"} and bool(np.isin(rest, (0, 1)).all()))
    if not ok:
        msg = f"{where} should hold {kind} values but holds {arr.dtype} ones"
        raise DataError(msg)
    if kind == "bool":
        values = arr.tolist() if k == "b" else (arr == 1).tolist()
    elif kind == "int":
        values = np.where(missing, 0, arr).astype(np.int64).tolist()
    else:
        values = arr.astype(np.float64).tolist()
    return _with_absent(values, missing) if missing.any() else values


def _decode(arr: np.ndarray, kind: str, where: str) -> list[Any]:
    """Return the values of one column read from the file, :data:`_ABSENT` where NULL."""
    if kind in {"bool", "int", "float"}:
        return _decode_number(arr, kind, where)
    cells = arr.tolist()
    if arr.dtype != object or not {type(c) for c in cells} <= {str, type(None)}:
        msg = f"{where} should hold text ({kind}) but holds {arr.dtype} values"
        raise DataError(msg)
    if kind == "str":
        return [_ABSENT if c is None else c for c in cells]
    out = [_ABSENT if c is None else _cell_value(c, where) for c in cells]
    if kind == "tuple":
        if not all(isinstance(v, list) for v in out if v is not _ABSENT):
            msg = f"{where} should hold JSON arrays (tuples) only"
            raise DataError(msg)
        out = [v if isinstance(v, _Absent) else tuple(v) for v in out]
    return out


@dataclass(frozen=True, eq=False)
class _Read:
    """One layer read back: its id columns, its attributes (in schema order), its geometry."""

    fixed: dict[str, np.ndarray]
    columns: list[tuple[Any, list[Any], int]]  # (attr, values, count of absent values)
    geoms: np.ndarray | None
    types: dict[Any, str]  # attr -> stored type

    def column(self, attr: str) -> tuple[list[Any], int, str] | None:
        """Return the cells of `attr`, how many are absent and their type (None: no column)."""
        for name, values, absent in self.columns:
            if name == attr:
                return values, absent, self.types[attr]
        return None


def _same_crs(a: str, b: str) -> bool:
    import pyproj  # noqa: PLC0415

    try:
        return bool(
            pyproj.CRS.from_user_input(a).equals(
                pyproj.CRS.from_user_input(b), ignore_axis_order=True
            )
        )
    except pyproj.exceptions.CRSError:
        return False


def _read_layer(path: Path, name: str, entry: dict[str, Any], crs: str) -> _Read:
    from pyogrio import raw  # noqa: PLC0415

    geometry = name != "nodes"  # the x/y columns are the node coordinates
    meta, _, wkb, fields = raw.read(path, layer=name, read_geometry=geometry)
    if meta["crs"] is None or not _same_crs(meta["crs"], crs):
        msg = (
            f"the `{name}` layer is in the CRS {meta['crs']!r}, the graph in {crs!r}: not the same"
        )
        raise DataError(msg)
    cols = dict(zip(meta["fields"].tolist(), fields, strict=True))
    fixed = {}
    for c in _FIXED[name]:
        if c not in cols or cols[c].dtype.kind != "i":
            msg = f"the `{name}` layer has no integer column `{c}`"
            raise DataError(msg)
        fixed[c] = cols[c].astype(np.int64)
    count = len(wkb) if geometry else len(fixed["node"])
    if count != entry["count"]:
        msg = (
            f"the `{name}` layer has {count} rows where the schema says {entry['count']}: the "
            "file was edited or truncated"
        )
        raise DataError(msg)
    columns = []
    specs = [entry["index"], *entry["columns"]] if name == "places" else entry["columns"]
    types = {spec["attr"]: spec["type"] for spec in specs}
    for spec in specs:
        where = f"the `{name}` column `{spec['column']}`"
        if spec["column"] not in cols:
            msg = (
                f"the `{name}` layer has no column `{spec['column']}` (attribute {spec['attr']!r})"
            )
            raise DataError(msg)
        values = _decode(cols[spec["column"]], spec["type"], where)
        absent = values.count(_ABSENT)  # no stored value equals it: identity decides
        if count - absent != spec["present"]:
            msg = f"{where} has {count - absent} values where the schema says {spec['present']}"
            raise DataError(msg)
        columns.append((spec["attr"], values, absent))
    geoms = _read_geometries(wkb, name, entry) if geometry else None
    return _Read(fixed, columns, geoms, types)


def _read_geometries(wkb: np.ndarray, name: str, entry: dict[str, Any]) -> np.ndarray:
    geoms = shapely.from_wkb(wkb) if len(wkb) else np.empty(0, dtype=object)
    found = int(shapely.is_geometry(geoms).sum())
    if found != entry["geometries"]:
        msg = (
            f"the `{name}` layer has {found} geometries where the schema says {entry['geometries']}"
        )
        raise DataError(msg)
    if name == "edges" and (shapely.get_type_id(geoms[shapely.is_geometry(geoms)]) != 1).any():
        msg = "the `edges` layer holds geometries that are not LineStrings"
        raise DataError(msg)
    return geoms


def _rows(n: int, columns: list[tuple[Any, list[Any], int]]) -> list[dict[str, Any]]:
    """One attribute dict per row; an absent value leaves the key out."""
    dense = [(attr, values) for attr, values, absent in columns if not absent]
    names = [attr for attr, _ in dense]
    rows = [dict(zip(names, t, strict=True)) for t in zip(*(v for _, v in dense), strict=True)]
    if not dense:
        rows = [{} for _ in range(n)]
    for attr, values, absent in columns:
        if absent:
            for row, value in zip(rows, values, strict=True):
                if value is not _ABSENT:
                    row[attr] = value
    return rows


def _required(read: _Read, attrs: tuple[str, ...], name: str) -> None:
    full = {attr for attr, _, absent in read.columns if not absent}
    rows = len(next(iter(read.fixed.values())))
    missing = [a for a in attrs if a not in full] if rows else []
    if missing:
        what = "node" if name == "nodes" else "edge"
        msg = (
            f"the `{name}` layer lacks the attribute(s) {missing} on some or all rows; every "
            f"{what} needs them"
        )
        raise DataError(msg)


def _restore_places(read: _Read, entry: dict[str, Any], crs: str) -> gpd.GeoDataFrame:
    import geopandas as gpd  # noqa: PLC0415
    import pandas as pd  # noqa: PLC0415

    def cells(values: list[Any]) -> np.ndarray:
        return np.fromiter((None if v is _ABSENT else v for v in values), object, len(values))

    (index_name, index_values, _), *columns = read.columns
    index = pd.Index(cells(index_values), dtype=object, name=index_name)
    if entry["index"]["dtype"] != "object":
        index = index.astype(entry["index"]["dtype"])
    items: list[tuple[Any, Any]] = []
    for spec, (attr, values, _) in zip(entry["columns"], columns, strict=True):
        series = pd.Series(cells(values), index=index, dtype=object, name=attr)
        items.append((attr, series if spec["dtype"] == "object" else series.astype(spec["dtype"])))
    geometry = entry["geometry"]
    at = min(max(entry["geometry_at"], 0), len(items))
    items.insert(at, (geometry, gpd.GeoSeries(read.geoms, index=index, crs=crs)))
    return gpd.GeoDataFrame(dict(items), index=index, geometry=geometry, crs=crs)


def _json_value(value: Any, kind: str, attr: str) -> Any:  # noqa: ANN401
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    ok = {
        "bool": isinstance(value, bool),
        "int": number and isinstance(value, int),
        "float": number,
        "str": isinstance(value, str),
        "tuple": isinstance(value, list),
        "json": True,
    }[kind]
    if not ok:
        msg = f"the graph attribute {attr!r} should be a {kind} but is {str(value)[:40]!r}"
        raise DataError(msg)
    return tuple(value) if kind == "tuple" else float(value) if kind == "float" else value


def _graph_attrs(meta: _Meta, places: gpd.GeoDataFrame | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    entries = meta.schema["graph"]
    extra = set(meta.graph) - {e["attr"] for e in entries}
    if extra:
        msg = f"the graph attributes {sorted(extra)[:5]} have no type in the schema"
        raise DataError(msg)
    for e in entries:
        attr, kind = e["attr"], e["type"]
        if kind in {"crs", "places"}:
            if (kind == "crs") != (attr == "crs") or (kind == "places" and places is None):
                msg = f"the graph attribute {attr!r} cannot have the type {kind!r}"
                raise DataError(msg)
            out[attr] = meta.crs if kind == "crs" else places
        elif attr not in meta.graph:
            msg = f"the graph attribute {attr!r} listed in the schema has no value"
            raise DataError(msg)
        else:
            out[attr] = _json_value(meta.graph[attr], kind, attr)
    out.setdefault("crs", meta.crs)
    if places is not None:
        out.setdefault("parcs_places", places)
    return out


def _known(ends: np.ndarray, ids: np.ndarray) -> bool:
    """Tell whether every value of `ends` is in the sorted array `ids`."""
    if not len(ends) or not len(ids):
        return not len(ends)
    at = np.minimum(np.searchsorted(ids, ends), len(ids) - 1)
    return bool((ids[at] == ends).all())


def _check_ids(nodes: _Read, edges: _Read) -> None:
    ids = np.sort(nodes.fixed["node"])
    if (ids[1:] == ids[:-1]).any():
        msg = "the `nodes` layer repeats node ids"
        raise DataError(msg)
    u, v, k = edges.fixed["u"], edges.fixed["v"], edges.fixed["key"]
    if not (_known(u, ids) and _known(v, ids)):
        msg = "the `edges` layer has edges whose `u` or `v` is not in the `nodes` layer"
        raise DataError(msg)
    o = np.lexsort((k, v, u))
    su, sv, sk = u[o], v[o], k[o]
    if ((su[1:] == su[:-1]) & (sv[1:] == sv[:-1]) & (sk[1:] == sk[:-1])).any():
        msg = "the `edges` layer repeats an arc (u, v, key)"
        raise DataError(msg)


def _fill(G: nx.MultiDiGraph, nodes: _Read, edges: _Read) -> None:
    """Add the nodes and arcs read back to the empty graph `G`, in the saved order.

    The adjacency dicts are filled as ``MultiDiGraph.add_edge`` fills them (one key dict
    shared by ``_succ[u][v]`` and ``_pred[v][u]``), without its per-edge overhead: four times
    faster on large graphs. The arcs are known to be distinct and their ends to be nodes.
    """
    ids = nodes.fixed["node"].tolist()
    node, succ, pred = G._node, G._succ, G._pred
    for n, attrs in zip(ids, _rows(len(ids), nodes.columns), strict=True):
        node[n] = attrs
        succ[n] = {}
        pred[n] = {}
    rows = _rows(len(edges.fixed["u"]), edges.columns)
    if edges.geoms is not None:
        for i in np.flatnonzero(shapely.is_geometry(edges.geoms)).tolist():
            rows[i]["geometry"] = edges.geoms[i]
    ends = [edges.fixed[c].tolist() for c in ("u", "v", "key")]
    for u, v, k, attrs in zip(*ends, rows, strict=True):
        keydict = succ[u].get(v)
        if keydict is None:
            keydict = succ[u][v] = pred[v][u] = {}
        keydict[k] = attrs


def _floats(values: list[Any], absent: int) -> np.ndarray:
    """float64 cells of an int or float column, NaN where absent."""
    if not absent:
        return np.array(values, dtype=np.float64)
    return np.fromiter((math.nan if v is _ABSENT else v for v in values), np.float64, len(values))


def _edge_order(tails: np.ndarray, heads: np.ndarray, n: int) -> np.ndarray:
    """Row of each arc of the graph :func:`_fill` fills, in ``G.edges(keys=True)`` order.

    ``G.edges`` runs over the tails in node order, then over each tail's heads in the order
    their first arc was added, then over the keys in the order they were added.
    """
    _, first, inverse = np.unique(tails * n + heads, return_index=True, return_inverse=True)
    return np.lexsort((np.arange(len(tails)), first[inverse.ravel()], tails))


def _edge_arrays(G: nx.MultiDiGraph, nodes: _Read, edges: _Read) -> EdgeArrays | None:
    """Return ``edge_arrays(G, geometry=True)`` of the graph :func:`_fill` filled, unwalked.

    The arrays come from the columns read. None if a contract attribute is stored with an
    unusual type (a JSON column, say) or the graph breaks the contract: then the walk in
    :func:`parcs.csr.csr_of` says why.
    """
    ids = nodes.fixed["node"]
    n, m = len(ids), len(edges.fixed["u"])
    need = [nodes.column("x"), nodes.column("y"), edges.column("length")]
    est = edges.column("est_length") or ([math.nan] * m, 0, "float")
    built = edges.column("built") or ([True] * m, 0, "bool")
    kind = edges.column("kind") or ([None] * m, 0, "str")
    numbers = [c for c in need if c is not None]
    if (
        len(numbers) < len(need)
        or {c[2] for c in (*numbers, est)} - {"int", "float"}
        or (built[2], kind[2]) != ("bool", "str")
        or edges.column("geometry") is not None
        or edges.geoms is None
        or not n
    ):
        return None
    x, y, length = (_floats(values, absent) for values, absent, _ in numbers)
    sorter = np.argsort(ids, kind="stable")
    u, v = (sorter[np.searchsorted(ids, edges.fixed[c], sorter=sorter)] for c in ("u", "v"))
    order = _edge_order(u, v, n)
    geoms = np.full(m, None, dtype=object)
    has = shapely.is_geometry(edges.geoms)
    geoms[has] = edges.geoms[has]
    kinds = [None if k is _ABSENT else k for k in kind[0]]
    return edge_arrays_from_columns(
        G,
        node_ids=ids,
        x=x,
        y=y,
        tails=u[order],
        heads=v[order],
        keys=edges.fixed["key"][order],
        length=length[order],
        est_length=_floats(est[0], est[1])[order],
        built=np.array([b is not False for b in built[0]], dtype=np.bool_)[order],
        kind=[kinds[i] for i in order.tolist()],
        geoms=geoms[order],
    )


def _read_graph(path: Path) -> nx.MultiDiGraph:
    import networkx as nx  # noqa: PLC0415
    import pyogrio  # noqa: PLC0415

    layers = {str(name) for name, _ in pyogrio.list_layers(path)}
    if GRAPH_TABLE not in layers:
        msg = (
            f"it has no `{GRAPH_TABLE}` table, so parcs.save_graph did not write it; build a graph "
            "from your layer with parcs.graph_from_lines (or graph_from_osm) and save it with "
            "parcs.save_graph"
        )
        raise DataError(msg)
    meta = _read_table(path)
    names = [n for n in ("nodes", "edges", "places") if n in meta.schema]
    missing = [n for n in names if n not in layers]
    if missing:
        msg = f"the layer(s) {missing} listed in its schema are missing"
        raise DataError(msg)
    read = {n: _read_layer(path, n, meta.schema[n], meta.crs) for n in names}
    _required(read["nodes"], ("x", "y"), "nodes")
    _required(read["edges"], ("length",), "edges")
    _check_ids(read["nodes"], read["edges"])
    places = (
        _restore_places(read["places"], meta.schema["places"], meta.crs)
        if "places" in read
        else None
    )
    G = nx.MultiDiGraph()
    G.graph.update(_graph_attrs(meta, places))
    _fill(G, read["nodes"], read["edges"])
    from parcs.csr import cache_csr, csr_of  # noqa: PLC0415

    arrays = _edge_arrays(G, read["nodes"], read["edges"])
    try:
        # the cached CSR, from the columns; else from the walk that checks the contract
        cache_csr(G, arrays) if arrays is not None else csr_of(G)
    except ValidationError as err:
        msg = f"the graph it holds breaks the parcs graph contract: {err}"
        raise DataError(msg) from err
    return G


def load_graph(path: str | Path) -> nx.MultiDiGraph:
    """Load a graph written by :func:`save_graph`, every attribute with its type.

    The file is treated as untrusted input: the layers, the CRS, the schema, every column's
    type, the JSON cells and the graph contract are checked, and any problem raises one
    :class:`~parcs.errors.DataError` naming the file (nothing is ever unpickled or evaluated).

    Parameters
    ----------
    path
        A GeoPackage written by :func:`save_graph`.

    Returns
    -------
    networkx.MultiDiGraph
        The graph, nodes and arcs in the saved order; ``G.graph["crs"]`` is the CRS as text,
        places (if saved) are in ``G.graph["parcs_places"]``.

    Raises
    ------
    DataError
        If the file is missing, not a GeoPackage, lacks a layer or the ``parcs_graph`` table,
        has CRSs that differ, a format version this parcs does not read, a missing required
        attribute (node ``x``/``y``, edge ``length``), malformed JSON or wrongly typed columns,
        or holds a graph that breaks the contract.

    Examples
    --------
    >>> import parcs
    >>> G = parcs.load_graph("area.gpkg")  # doctest: +SKIP
    """
    import pyogrio.errors  # noqa: PLC0415

    path = Path(path)
    if not path.is_file():
        msg = (
            f"the saved graph {str(path)!r} does not exist or is not a file; write one with "
            "parcs.save_graph(G, path)"
        )
        raise DataError(msg)
    try:
        # GDAL reports oddities of a damaged file as warnings from a C callback, where they
        # cannot be raised: record them, and refuse the file if there are any
        with _no_gc(), warnings.catch_warnings(record=True) as gdal_said:
            warnings.simplefilter("always", RuntimeWarning)
            G = _read_graph(path)
        complaints = [str(w.message) for w in gdal_said if issubclass(w.category, RuntimeWarning)]
        if complaints:
            msg = f"GDAL reports {len(complaints)} problem(s), first: {complaints[0][:200]}"
            raise DataError(msg)
    except DataError as err:
        msg = f"cannot load the saved graph {str(path)!r}: {err}"
        raise DataError(msg) from err
    except (
        pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, pyogrio.errors.FieldError,
        pyogrio.errors.FeatureError, pyogrio.errors.GeometryError, shapely.errors.GEOSException,
        ValueError, TypeError, KeyError, IndexError, OverflowError, RecursionError,
    ) as err:  # fmt: skip
        msg = (
            f"cannot load the saved graph {str(path)!r}: the file is damaged or not a parcs saved "
            f"graph ({type(err).__name__}: {str(err)[:200]}); write it again with parcs.save_graph"
        )
        raise DataError(msg) from err
    logger.info("load_graph: read %s (%d nodes)", path, G.number_of_nodes())
    return G
