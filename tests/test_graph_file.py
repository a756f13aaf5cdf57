"""Saved graphs (parcs.save_graph / parcs.load_graph) and the embedded network's cache.

The round trips are checked attribute by attribute, with the Python type of every value, by
a comparison written here (``assert_same_graph``) that does not use parcs.io: random graphs
(hypothesis: random attribute names, mixed and partly missing values), the embedded network
with its places, and a real OSM graph. Hostile files are made by editing saved files with
sqlite3 (a GeoPackage is an SQLite database) and by flipping random bytes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import pickle
import sqlite3
import stat
import tempfile
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from conftest import make_tiny_graph
from geopandas.testing import assert_geodataframe_equal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from samples import OSM_SAMPLES, needs_osm_samples

import parcs
from parcs import io
from parcs.csr import arc_geometries, csr_of, source_arcs
from parcs.errors import DataError, ValidationError
from parcs.graph import edge_arrays, graph_crs, invalidate
from parcs.io import graph_file
from parcs.network import territory

CRSS = [
    "EPSG:2154",
    "EPSG:32631",
    "EPSG:3857",
    "+proj=utm +zone=33 +datum=WGS84 +units=m +no_defs",
]


# ------------------------------------------------------------------------------------------
# an independent comparison, type by type
# ------------------------------------------------------------------------------------------
def assert_same_float(a: float, b: float, where: str) -> None:
    if math.isnan(a):
        assert math.isnan(b), where
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"
        assert math.copysign(1, a) == math.copysign(1, b), f"{where}: {a!r} != {b!r}"


def assert_same_value(a, b, where):
    assert type(a) is type(b), f"{where}: {type(a).__name__} became {type(b).__name__}"
    if isinstance(a, float):
        assert_same_float(a, b, where)
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same_value(x, y, f"{where}[{i}]")
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for k, x in a.items():
            assert_same_value(x, b[k], f"{where}[{k!r}]")
    elif isinstance(a, shapely.Geometry):
        assert a.geom_type == b.geom_type, where
        assert shapely.has_z(a) == shapely.has_z(b), where
        ca = shapely.get_coordinates(a, include_z=True)
        cb = shapely.get_coordinates(b, include_z=True)
        assert ca.tobytes() == cb.tobytes(), f"{where}: coordinates differ"
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def assert_same_attrs(a: dict, b: dict, where: str) -> None:
    assert set(a) == set(b), f"{where}: attributes {sorted(map(repr, a))} -> {sorted(map(repr, b))}"
    for k, x in a.items():
        assert_same_value(x, b[k], f"{where}[{k!r}]")


def assert_same_places(p: gpd.GeoDataFrame, q: gpd.GeoDataFrame) -> None:
    assert_geodataframe_equal(p, q, check_dtype=True, check_index_type=True, check_crs=True)
    assert list(p.columns) == list(q.columns)
    assert p.geometry.name == q.geometry.name
    assert p.index.name == q.index.name
    assert_same_value(p.index.tolist(), q.index.tolist(), "places index")
    for col in p.columns:
        assert str(p[col].dtype) == str(q[col].dtype), col
        for i, (x, y) in enumerate(zip(p[col].tolist(), q[col].tolist(), strict=True)):
            if isinstance(x, float) and math.isnan(x):  # pandas' missing values
                assert isinstance(y, float), (col, i)
                assert math.isnan(y), (col, i)
            else:
                assert_same_value(x, y, f"places[{col!r}][{i}]")


def assert_same_graph(G: nx.MultiDiGraph, H: nx.MultiDiGraph) -> None:
    assert type(H) is nx.MultiDiGraph
    assert list(G.nodes) == list(H.nodes)
    assert [type(n) for n in H.nodes] == [int] * len(H)
    for n in G.nodes:
        assert_same_attrs(G.nodes[n], H.nodes[n], f"node {n}")
    assert list(G.edges(keys=True)) == list(H.edges(keys=True))
    for u, v, k, d in G.edges(keys=True, data=True):
        assert_same_attrs(d, H.edges[u, v, k], f"edge {(u, v, k)}")
    for n in G.nodes:
        assert sorted(G.in_edges(n, keys=True)) == sorted(H.in_edges(n, keys=True)), n
    assert list(G.graph) == list(H.graph)
    for key, value in G.graph.items():
        if key == "crs":
            assert H.graph["crs"] == graph_crs(G)
        elif key == "parcs_places":
            assert_same_places(value, H.graph["parcs_places"])
        else:
            assert_same_value(value, H.graph[key], f"G.graph[{key!r}]")


def round_trip(G: nx.MultiDiGraph, folder: Path) -> nx.MultiDiGraph:
    path = parcs.save_graph(G, folder / "g.gpkg")
    assert path == folder / "g.gpkg"
    assert sorted(p.name for p in folder.iterdir()) == ["g.gpkg"]  # no temp file left
    return parcs.load_graph(path)


# ------------------------------------------------------------------------------------------
# random graphs
# ------------------------------------------------------------------------------------------
SPECIAL = {"x", "y", "length", "est_length", "built", "kind", "geometry", "crs", "parcs_places"}
TRICKY_NAMES = [
    *("name", "Name", "NAME", "u", "V", "key", "fid", "FID", "geom", "node", "attr_0", "attr_1"),
    *("x y", "é", "", "a" * 70, "1abc", "osmid", "tags:name", "select", "node_for_adding"),
]
names = st.one_of(st.sampled_from(TRICKY_NAMES), st.text(max_size=8)).filter(
    lambda s: s not in SPECIAL
)
# values a GeoPackage column cannot hold as such: NaN (SQLite stores NULL), -0.0, NUL (GDAL
# cuts the string), a lone surrogate (not UTF-8), ints beyond 64 bits or beyond 2**53 (exact in
# a float only up to there: GDAL returns int columns with NULLs as floats)
special_floats = st.sampled_from([math.nan, -math.nan, -0.0, math.inf, -math.inf, 5e-324])
special_texts = st.sampled_from(["a\x00b", "\x00", "\ud83d", "", " ", "é" * 300])
special_ints = st.sampled_from([2**63, -(2**63) - 1, 2**63 - 1, -(2**63), 2**53 + 1, 10**100])
floats = st.floats() | special_floats
texts = st.text(max_size=12) | special_texts
ints = st.integers() | st.integers(-(2**63), 2**63 - 1) | special_ints
scalars = st.one_of(st.booleans(), ints, floats, texts, st.none())
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)
tuples = st.lists(st.integers(-(2**40), 2**40) | st.text(max_size=4), max_size=4).map(tuple)
# one strategy per attribute: a column of one type, of mixed JSON values, or of tuples
column_styles = st.sampled_from([st.booleans(), ints, floats, texts, json_values, scalars, tuples])
finite = st.floats(-1e7, 1e7, allow_nan=False, allow_infinity=False)
# [(name, value strategy, presence probability)]: some attributes on every row, some not
attr_specs = st.lists(
    st.tuples(names, column_styles, st.sampled_from([1.0, 0.5, 0.1])),
    max_size=4,
    unique_by=lambda t: t[0],
)


def draw_attrs(draw, specs) -> dict:
    out = {}
    for name, values, p in specs:
        if p == 1.0 or draw(st.floats(0, 1)) < p:
            out[name] = draw(values)
    return out


@st.composite
def random_places(draw, crs, n):
    rows = draw(st.integers(0, 4))
    shapes = [
        shapely.Point(1, 2),
        shapely.box(0, 0, 10, 10),
        shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(2, 2, 3, 3)]),
        None,
    ]

    def column(values, dtype):
        return pd.Series(draw(st.lists(values, min_size=rows, max_size=rows)), dtype=dtype)

    data = {
        "name": column(st.text(max_size=6), "str"),
        "population": column(st.integers(0, 10**9), "int64"),
        "area_ha": column(st.floats(), "float64"),
        "reached": column(st.booleans(), "bool"),
        "access_nodes": column(st.lists(st.integers(0, max(n, 1)), max_size=3).map(tuple), object),
        "misc": column(scalars, object),
    }
    ids = draw(st.lists(st.text(min_size=1, max_size=6), min_size=rows, max_size=rows, unique=True))
    index = pd.Index(ids, dtype="str", name=draw(st.sampled_from(["place_id", None])))
    frame = pd.DataFrame({k: v.set_axis(index) for k, v in data.items()}, index=index)
    geoms = draw(st.lists(st.sampled_from(shapes), min_size=rows, max_size=rows))
    geometry = gpd.GeoSeries(geoms, index=index, crs=crs)
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=crs)


def draw_edge(draw, G, arc, specs) -> None:
    """Add the arc (u, v, k) in both directions, with the contract's and random attributes."""
    u, v, k = arc
    attrs = {"length": draw(st.floats(0, 1e6)), **draw_attrs(draw, specs)}
    optional = {
        "est_length": st.floats(0, 1e6) | st.integers(0, 10**6),
        "built": st.booleans(),
        "kind": st.sampled_from(["cycleway", "connector", ""]),
    }
    for name, values in optional.items():
        if draw(st.booleans()):
            attrs[name] = draw(values)
    forward, back = {}, {}
    if draw(st.booleans()):
        mid = draw(st.lists(st.tuples(finite, finite), max_size=3))
        ends = [(G.nodes[u]["x"], G.nodes[u]["y"]), *mid, (G.nodes[v]["x"], G.nodes[v]["y"])]
        forward["geometry"] = shapely.LineString(ends)
        back["geometry"] = shapely.reverse(forward["geometry"])
    G.add_edge(u, v, k)
    G.edges[u, v, k].update(attrs, **forward)  # names such as "key" are fine
    if u != v:
        G.add_edge(v, u, k)
        G.edges[v, u, k].update(attrs, **back)


def undirected(arc: tuple) -> tuple:
    """The undirected edge of an arc (a named function: hypothesis reads a lambda's source)."""
    u, v, k = arc
    return min(u, v), max(u, v), k


@st.composite
def random_graphs(draw):
    crs = draw(st.sampled_from(CRSS))
    G = nx.MultiDiGraph(crs=crs)
    for name, values, _ in draw(attr_specs):
        G.graph[name] = draw(values)
    ids = draw(st.lists(st.integers(-(2**63), 2**63 - 1), max_size=7, unique=True))
    node_specs = draw(attr_specs)
    for n in ids:
        G.add_node(n, x=draw(finite), y=draw(finite))
        G.nodes[n].update(draw_attrs(draw, node_specs))
    if ids:
        edge_specs = draw(attr_specs)
        arc = st.tuples(st.sampled_from(ids), st.sampled_from(ids), st.integers(0, 3))
        for u, v, k in draw(st.lists(arc, max_size=10, unique_by=undirected)):
            draw_edge(draw, G, (u, v, k), edge_specs)
    if draw(st.booleans()):
        G.graph["parcs_places"] = draw(random_places(crs, len(ids)))
    return G


SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large]


@settings(deadline=None, suppress_health_check=SLOW_OK)
@given(G=random_graphs())
def test_random_graphs_round_trip(G):
    with tempfile.TemporaryDirectory() as folder:
        H = round_trip(G, Path(folder))
    assert_same_graph(G, H)
    parcs.validate_graph(H)


def features(name: str, value) -> set:
    """What makes one attribute value hard to store (see the strategies above)."""
    out: set = {("type", type(value).__name__)}
    if isinstance(value, float) and math.isnan(value):
        out.add("nan")
    if isinstance(value, float) and value == 0 and math.copysign(1, value) < 0:
        out.add("-0.0")
    if isinstance(value, str):
        out |= {f for f, c in (("nul", "\x00"), ("surrogate", "\ud83d")) if c in value}
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**63:
        out.add("bigint")
    if name.lower() in {"u", "fid", "geom", "node", "name"}:
        out.add("reserved-name")
    return out


def test_random_graph_strategy_reaches_the_hard_cases():
    """The strategy above does produce what the format must handle (not a vacuous test)."""
    seen = set()

    @settings(deadline=None, max_examples=600, database=None, derandomize=True)
    @given(G=random_graphs())
    def collect(G):
        for _, d in G.nodes(data=True):
            for k, v in d.items():
                seen.update(features(k, v))
        for _, _, d in G.edges(data=True):
            seen.add("geometry" if "geometry" in d else "no-geometry")
            for k, v in d.items():
                if k != "geometry":
                    seen.update(features(k, v))
        if G.graph.get("parcs_places") is not None:
            seen.add("places")

    collect()
    expected = {"nan", "nul", "surrogate", "-0.0", "bigint", "reserved-name", "places"}
    expected |= {"geometry", "no-geometry"}
    types = ("bool", "int", "float", "str", "NoneType", "list", "dict", "tuple")
    expected |= {("type", t) for t in types}
    assert expected <= seen, expected - seen


@given(text=st.text(alphabet="-+0123456789٣ .eE", max_size=20) | st.integers().map(str))
def test_fast_int_cells_read_exactly_like_json(text):
    try:
        expected = json.loads(text)
    except ValueError:
        with pytest.raises(DataError, match="malformed JSON"):
            graph_file._cell_value(text, "a cell")
    else:
        assert_same_value(expected, graph_file._cell_value(text, "a cell"), text)


@given(value=st.integers() | special_ints)
def test_fast_int_cells_write_exactly_like_json(value):
    assert graph_file._cell_text(value, "a cell") == json.dumps(value)


# ------------------------------------------------------------------------------------------
# hand-made cases
# ------------------------------------------------------------------------------------------
def test_types_and_absent_attributes_are_kept(tiny_graph, tmp_path):
    G = tiny_graph
    G.nodes[1]["rcn_ref"] = "12"  # a tag on one node only
    G.nodes[2]["big"] = 2**62 + 1  # an int that a float would round, with NULLs elsewhere
    G.nodes[3]["flag"] = False
    G.edges[1, 2, 0]["osmid"] = [5, 6]
    G.edges[2, 1, 0]["osmid"] = [5, 6]
    for u, v in ((2, 3), (3, 2)):
        G.edges[u, v, 0]["osmid"] = 7  # int here, list there: one JSON column
        G.edges[u, v, 0]["note"] = None  # a None value is kept, distinct from absent
        del G.edges[u, v, 0]["geometry"]
    G.graph["tags"] = ("a", "b")
    G.graph["n"] = np.int64(3)  # numpy scalars come back as Python scalars
    H = round_trip(G, tmp_path)
    G.graph["n"] = 3
    assert_same_graph(G, H)
    assert "rcn_ref" not in H.nodes[2]
    assert H.nodes[1]["rcn_ref"] == "12"
    assert H.nodes[2]["big"] == 2**62 + 1
    assert "big" not in H.nodes[1]
    assert H.nodes[3]["flag"] is False
    assert H.edges[1, 2, 0]["osmid"] == [5, 6]
    assert H.edges[2, 3, 0]["osmid"] == 7
    assert "note" in H.edges[2, 3, 0]
    assert H.edges[2, 3, 0]["note"] is None
    assert "note" not in H.edges[1, 2, 0]
    assert "geometry" not in H.edges[2, 3, 0]
    assert H.graph["tags"] == ("a", "b")


def test_the_file_is_a_plain_geopackage(tiny_graph, tmp_path):
    """QGIS/GDAL see the layers with the graph's CRS, geometries exact, one row per arc."""
    G = tiny_graph
    path = parcs.save_graph(G, tmp_path / "g.gpkg")
    layers = dict(pyogrio.list_layers(path).tolist())
    assert layers == {"nodes": "Point", "edges": "LineString", "parcs_graph": None}
    nodes = gpd.read_file(path, layer="nodes")
    edges = gpd.read_file(path, layer="edges")
    assert nodes.crs == "EPSG:2154"
    assert edges.crs == "EPSG:2154"
    assert len(nodes) == len(G)
    assert len(edges) == G.number_of_edges()
    assert nodes["node"].tolist() == list(G.nodes)
    assert (nodes.geometry.x.to_numpy() == nodes["x"].to_numpy()).all()
    for row in edges.itertuples():
        assert row.geometry.equals_exact(G.edges[row.u, row.v, row.key]["geometry"], 0)
        assert row.length == G.edges[row.u, row.v, row.key]["length"]
    table = pyogrio.read_dataframe(path, layer="parcs_graph")
    assert table["format"].tolist() == ["parcs-graph"]
    assert table["version"].tolist() == [1]
    schema = json.loads(table["schema"].iloc[0])
    types = {c["attr"]: c["type"] for c in schema["edges"]["columns"]}
    text = {"kind", "routes", "name", "source", "surface"}
    assert types == {
        "length": "float",
        "est_length": "float",
        "eurovelo": "bool",
        "built": "bool",
    } | dict.fromkeys(text, "str")
    assert json.loads(table["graph"].iloc[0]) == {"name": G.graph["name"], "source": "fixture"}


def test_loaded_graph_is_an_ordinary_networkx_graph(tiny_graph, tmp_path):
    """Same adjacency as networkx builds it, and edits behave the same on both graphs."""
    G = tiny_graph
    H = round_trip(G, tmp_path)
    assert nx.utils.graphs_equal(G, H)
    for graph in (G, H):
        graph.remove_edge(2, 3, 0)
        graph.add_edge(3, 2, 1, length=5.0)
        graph.remove_node(4)
    assert nx.utils.graphs_equal(G, H)
    assert list(H.predecessors(2)) == list(G.predecessors(2))
    assert H.number_of_edges() == G.number_of_edges()


def test_empty_graph_round_trips(tmp_path):
    G = nx.MultiDiGraph(crs="EPSG:2154")
    H = round_trip(G, tmp_path)
    assert len(H) == 0
    assert H.graph == {"crs": "EPSG:2154"}


def test_3d_geometry_round_trips(tiny_graph, tmp_path):
    G = tiny_graph
    line = shapely.LineString(
        [(G.nodes[1]["x"], G.nodes[1]["y"], 5.0), (G.nodes[2]["x"], G.nodes[2]["y"], 7.5)]
    )
    G.edges[1, 2, 0]["geometry"] = line
    G.edges[2, 1, 0]["geometry"] = shapely.reverse(line)
    assert_same_graph(G, round_trip(G, tmp_path))


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda G: G.nodes[1].update(tags={1, 2}), r"node attribute 'tags' holds a set"),
        (lambda G: G.nodes[1].update({3: "x"}), r"node attribute name 3 is not a string"),
        (lambda G: G.edges[1, 2, 0].update(d={1: 2}), r"non-string key 1"),
        (
            lambda G: G.edges[1, 2, 0].update(geometry=shapely.Point(0, 0)),
            r"not a shapely LineString",
        ),
        (
            lambda G: G.edges[1, 2, 0].update(geometry="LINESTRING (0 0, 1 1)"),
            r"not a shapely LineString",
        ),
        (
            lambda G: G.graph.update(when=pd.Timestamp("2024-01-01")),
            r"graph attribute 'when' holds a Timestamp",
        ),
        (lambda G: G.graph.update(parcs_places="nope"), r"must be a GeoDataFrame"),
    ],
)
def test_unsavable_graphs_are_refused_before_writing(tiny_graph, tmp_path, edit, match):
    edit(tiny_graph)
    with pytest.raises(ValidationError, match=match):
        parcs.save_graph(tiny_graph, tmp_path / "g.gpkg")
    assert list(tmp_path.iterdir()) == []


def test_invalid_graph_is_refused(tiny_graph, tmp_path):
    tiny_graph.edges[1, 2, 0]["length"] = -1.0
    with pytest.raises(ValidationError, match="length"):
        parcs.save_graph(tiny_graph, tmp_path / "g.gpkg")


def test_places_in_another_crs_are_refused(artois, tmp_path):
    G = artois.copy()
    G.graph["parcs_places"] = G.graph["parcs_places"].to_crs(3857)
    with pytest.raises(ValidationError, match="project them"):
        parcs.save_graph(G, tmp_path / "g.gpkg")


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda P: P.set_axis(["name", "name", *P.columns[2:]], axis=1), r"distinct.*'name'"),
        (lambda P: P.rename(columns={"kind": 3}), r"string column names.*3"),
        (lambda P: P.assign(when=pd.Timestamp("2024-01-01")), r"dtype datetime64"),
    ],
)
def test_unsavable_places_are_refused(artois, tmp_path, edit, match):
    G = artois.copy()
    G.graph["parcs_places"] = edit(G.graph["parcs_places"])
    with pytest.raises(ValidationError, match=match):
        parcs.save_graph(G, tmp_path / "g.gpkg")


def test_failed_write_keeps_the_old_file_and_no_temp(tiny_graph, tmp_path, monkeypatch):
    path = parcs.save_graph(tiny_graph, tmp_path / "g.gpkg")
    before = path.read_bytes()

    def boom(*_args, **_kwargs):
        msg = "disk full"
        raise DataError(msg)

    monkeypatch.setattr(graph_file, "_write_table", boom)
    tiny_graph.graph["name"] = "changed"
    with pytest.raises(DataError, match="disk full"):
        parcs.save_graph(tiny_graph, path)
    assert [p.name for p in tmp_path.iterdir()] == ["g.gpkg"]
    assert path.read_bytes() == before


# ------------------------------------------------------------------------------------------
# real graphs
# ------------------------------------------------------------------------------------------
def test_embedded_network_round_trips_with_its_places(artois, tmp_path):
    H = round_trip(artois, tmp_path)
    assert_same_graph(artois, H)
    assert isinstance(H.graph["parcs_places"]["access_nodes"].iloc[0], tuple)
    assert H.graph["parcs_places"].index.name == "place_id"
    a, b = edge_arrays(artois, geometry=True), edge_arrays(H, geometry=True)
    for field in ("node_ids", "x", "y", "tails", "heads", "keys", "length", "built", "kind_codes"):
        assert np.array_equal(getattr(a, field), getattr(b, field)), field
    r1 = parcs.route(artois, "Lens", "Loos-en-Gohelle")
    r2 = parcs.route(H, "Lens", "Loos-en-Gohelle")
    assert r1.nodes == r2.nodes
    assert r1.length_m == r2.length_m


@needs_osm_samples
def test_osm_graph_round_trips(tmp_path):
    G = parcs.graph_from_osm(path=OSM_SAMPLES / "krems.osm.gz")
    assert any(isinstance(d.get("osmid"), list) for _, _, d in G.edges(data=True))
    H = round_trip(G, tmp_path)
    assert_same_graph(G, H)
    lists = [
        (u, v, k) for u, v, k, d in G.edges(keys=True, data=True) if isinstance(d["osmid"], list)
    ]
    assert all(isinstance(H.edges[e]["osmid"], list) for e in lists)


# ------------------------------------------------------------------------------------------
# hostile files: one DataError naming the file, never another exception
# ------------------------------------------------------------------------------------------
@pytest.fixture
def saved(artois, tmp_path) -> Path:
    return parcs.save_graph(artois, tmp_path / "g.gpkg")


def connect(path: Path) -> sqlite3.Connection:
    """An sqlite3 connection with stand-ins for the SpatiaLite functions of GDAL's triggers."""
    con = sqlite3.connect(path)
    con.create_function("ST_IsEmpty", 1, lambda g: int(g is None))
    for name in ("ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):
        con.create_function(name, 1, lambda _g: 0.0)
    return con


def sql(path: Path, *statements: str) -> None:
    con = connect(path)
    try:
        for s in statements:
            con.execute(s)
        con.commit()
    finally:
        con.close()


def edit_meta(path: Path, column: str, change) -> None:
    con = connect(path)
    try:
        (text,) = con.execute(f"SELECT {column} FROM parcs_graph").fetchone()
        value = change(json.loads(text))
        con.execute(f"UPDATE parcs_graph SET {column} = ?", (json.dumps(value),))
        con.commit()
    finally:
        con.close()


def drop_column_entry(layer, attr):
    def change(schema):
        schema[layer]["columns"] = [c for c in schema[layer]["columns"] if c["attr"] != attr]
        return schema

    return change


def set_type(layer, attr, kind):
    def change(schema):
        for c in schema[layer]["columns"]:
            if c["attr"] == attr:
                c["type"] = kind
        return schema

    return change


def drop_table(name):
    return [
        f"DROP TABLE {name}",
        f"DELETE FROM gpkg_contents WHERE table_name = '{name}'",
        f"DELETE FROM gpkg_geometry_columns WHERE table_name = '{name}'",
        f"DELETE FROM gpkg_extensions WHERE table_name = '{name}'",
        f"DROP TABLE IF EXISTS rtree_{name}_geom",
    ]


def meta_sql(statement: str):
    return lambda p: sql(p, statement)


def schema_edit(change):
    return lambda p: edit_meta(p, "schema", change)


def graph_edit(change):
    return lambda p: edit_meta(p, "graph", change)


def with_entry(layer, **values):
    return lambda s: {**s, layer: {**s[layer], **values}}


def twice(layer):
    return lambda s: with_entry(layer, columns=s[layer]["columns"] * 2)(s)


BOMB = "[" * 200_000 + "]" * 200_000
# arcs of the embedded network, which the `saved` fixture writes (the messages count them)
ARCS = parcs.load_network().number_of_edges()

HOSTILE = {
    # layers and tables
    "missing edges layer": (lambda p: sql(p, *drop_table("edges")), r"\['edges'\].* are missing"),
    "missing places layer": (lambda p: sql(p, *drop_table("places")), r"\['places'\].* missing"),
    "missing graph table": (lambda p: sql(p, *drop_table("parcs_graph")), "no `parcs_graph`"),
    "two meta rows": (
        meta_sql(
            "INSERT INTO parcs_graph SELECT NULL, format, version, parcs_version, crs, graph, "
            "schema FROM parcs_graph"
        ),
        "2 rows instead of 1",
    ),
    "meta column missing": (
        meta_sql("ALTER TABLE parcs_graph DROP COLUMN schema"),
        r"lacks the columns \['schema'\]",
    ),
    # CRS
    "graph crs differs": (
        meta_sql("UPDATE parcs_graph SET crs = 'EPSG:32631'"),
        "`nodes` layer is in the CRS",
    ),
    "graph crs missing": (meta_sql("UPDATE parcs_graph SET crs = NULL"), "no CRS"),
    "layer crs missing": (
        meta_sql("UPDATE gpkg_geometry_columns SET srs_id = -1 WHERE table_name = 'edges'"),
        "`edges` layer is in the CRS .*Undefined Cartesian SRS.*not the same",
    ),
    # format and version
    "unknown version": (
        meta_sql("UPDATE parcs_graph SET version = 99"),
        "version is '99'.*upgrade parcs",
    ),
    "version as text": (meta_sql("UPDATE parcs_graph SET version = 'one'"), "version"),
    "other format": (
        meta_sql("UPDATE parcs_graph SET format = 'pickle'"),
        "names the format 'pickle'",
    ),
    # the schema and the graph attributes
    "schema not JSON": (
        meta_sql("UPDATE parcs_graph SET schema = '{\"nodes\":'"),
        "schema holds malformed JSON",
    ),
    "schema JSON bomb": (
        meta_sql(f"UPDATE parcs_graph SET schema = '{BOMB}'"),
        "schema holds malformed JSON",
    ),
    "huge number": (
        meta_sql('UPDATE parcs_graph SET graph = \'{"a": ' + "9" * 20_000 + "}'"),
        "graph attributes holds malformed JSON",
    ),
    "schema not an object": (
        meta_sql("UPDATE parcs_graph SET schema = '[1, 2]'"),
        "JSON list, not an object",
    ),
    "schema wrong field type": (
        schema_edit(with_entry("edges", count="many")),
        "`count` is 'many'",
    ),
    "schema unknown type": (schema_edit(set_type("edges", "kind", "pickle")), "type 'pickle'"),
    "schema column twice": (schema_edit(twice("nodes")), "repeats a column"),
    "graph attribute wrong type": (
        graph_edit(lambda g: {**g, "max_gap_m": "far"}),
        "'max_gap_m' should be a float",
    ),
    "graph attribute untyped": (
        graph_edit(lambda g: {**g, "extra": 1}),
        r"\['extra'\] have no type",
    ),
    # required attributes
    "missing x": (
        schema_edit(drop_column_entry("nodes", "x")),
        r"lacks the attribute\(s\) \['x'\]",
    ),
    "missing length": (
        schema_edit(drop_column_entry("edges", "length")),
        r"lacks the attribute\(s\) \['length'\]",
    ),
    "length not stored": (meta_sql("ALTER TABLE edges DROP COLUMN length"), "no column `length`"),
    "NULL length": (
        meta_sql("UPDATE edges SET length = NULL WHERE fid = 3"),
        f"`length` has {ARCS - 1} values where the schema says {ARCS}",
    ),
    "NULL built": (
        meta_sql("UPDATE edges SET built = NULL WHERE fid = 1"),
        f"`built` has {ARCS - 1} values",
    ),
    # column types
    "float read as str": (schema_edit(set_type("edges", "length", "str")), "should hold text"),
    "bool read as str": (schema_edit(set_type("edges", "built", "str")), "should hold text"),
    "str read as int": (schema_edit(set_type("edges", "kind", "int")), "should hold int values"),
    "float read as int": (
        schema_edit(set_type("edges", "length", "int")),
        "should hold int values",
    ),
    "malformed JSON cell": (
        meta_sql("UPDATE places SET access_nodes = '[1,' WHERE fid = 2"),
        "`access_nodes` holds malformed JSON",
    ),
    "tuple not a list": (
        meta_sql("UPDATE places SET access_nodes = '5' WHERE fid = 2"),
        "JSON arrays",
    ),
    "node id as text": (
        meta_sql("ALTER TABLE nodes RENAME COLUMN node TO nid"),
        "no integer column `node`",
    ),
    # rows
    "deleted edge row": (
        meta_sql("DELETE FROM edges WHERE fid = 7"),
        f"{ARCS - 1} rows where the schema says {ARCS}",
    ),
    "NULL edge geometry": (
        meta_sql("UPDATE edges SET geom = NULL WHERE fid = 7"),
        f"{ARCS - 1} geometries where the schema says {ARCS}",
    ),
    "repeated node id": (
        meta_sql("UPDATE nodes SET node = (SELECT node FROM nodes WHERE fid = 1) WHERE fid = 2"),
        "repeats node ids",
    ),
    "unknown edge end": (
        meta_sql("UPDATE edges SET u = 123456789 WHERE fid = 1"),
        "not in the `nodes` layer",
    ),
    "repeated arc": (
        meta_sql(
            "UPDATE edges SET (u, v, key) = (SELECT u, v, key FROM edges WHERE fid = 1) "
            "WHERE fid = 5"
        ),
        "repeats an arc",
    ),
    # the graph contract
    "negative length": (
        meta_sql("UPDATE edges SET length = -1 WHERE fid = 1"),
        "breaks the parcs graph contract.*length",
    ),
    "one-way arc": (meta_sql("UPDATE edges SET key = 9 WHERE fid = 1"), "one direction only"),
    "infinite est_length": (
        meta_sql("UPDATE edges SET est_length = 1e999 WHERE fid = 2"),
        "contract.*`est_length`",
    ),
    "infinite x": (meta_sql("UPDATE nodes SET x = -1e999 WHERE fid = 2"), "non-finite `x`/`y`"),
    "key out of range": (
        meta_sql("UPDATE edges SET key = key + 3000000000"),
        r"contract.*key that is not an integer in 0\.\.2\*\*31-1",
    ),
    # not a saved graph at all
    "not a GeoPackage": (
        lambda p: p.write_bytes(b"PK\x03\x04 not sqlite at all " * 50),
        "damaged or not a parcs saved graph",
    ),
    "truncated file": (lambda p: p.write_bytes(p.read_bytes()[:5000]), "cannot load the saved"),
    "empty file": (lambda p: p.write_bytes(b""), "cannot load the saved graph"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_file_gives_one_clear_data_error(saved, case):
    tamper, match = HOSTILE[case]
    tamper(saved)
    with pytest.raises(DataError, match=match) as info:
        parcs.load_graph(saved)
    assert str(saved) in str(info.value)


def test_oversized_json_is_refused(saved, monkeypatch):
    monkeypatch.setattr(graph_file, "_MAX_JSON_CHARS", 1000)
    with pytest.raises(DataError, match=r"characters of JSON, over the 1,000 allowed"):
        parcs.load_graph(saved)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        parcs.load_graph(tmp_path / "nope.gpkg")
    with pytest.raises(DataError, match="is not a file"):
        parcs.load_graph(tmp_path)


def test_a_geopackage_from_another_tool_is_explained(tiny_graph, tmp_path):
    path = io.save_network(tiny_graph, tmp_path / "export.gpkg")[0]
    with pytest.raises(DataError, match=r"no `parcs_graph` table.*save_graph"):
        parcs.load_graph(path)


def test_a_pickle_is_never_loaded(tmp_path):
    marker = tmp_path / "owned"
    path = tmp_path / "g.gpkg"
    path.write_bytes(pickle.dumps(Evil(marker)))
    with pytest.raises(DataError):
        parcs.load_graph(path)
    assert not marker.exists()


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    flips=st.lists(
        st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=8
    )
)
def test_random_corruption_gives_a_data_error_or_a_valid_graph(small_file, flips):
    data = bytearray(small_file)
    for where, byte in flips:
        data[int(where * len(data))] = byte
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "g.gpkg"
        path.write_bytes(bytes(data))
        try:
            H = parcs.load_graph(path)
        except DataError as err:
            message = str(err)
        else:
            parcs.validate_graph(H)
            return
    assert str(path) in message


@pytest.fixture(scope="module")
def small_file() -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        return parcs.save_graph(make_tiny_graph(), Path(folder) / "g.gpkg").read_bytes()


# ------------------------------------------------------------------------------------------
# the embedded network's cache
# ------------------------------------------------------------------------------------------
class Evil:
    """Unpickling this creates `path`: the proof that a pickle was loaded."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_the_evil_payload_works(tmp_path):
    """Sanity check of the test below: unpickling the payload does create the marker."""
    marker = tmp_path / "marker"
    pickle.loads(pickle.dumps(Evil(marker))).close()  # the point of the test
    assert marker.exists()


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "fresh" / "cache"  # does not exist yet
    monkeypatch.setenv("PARCS_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def real_builds(monkeypatch) -> list[dict]:
    """Record the calls to build_network made by load_network."""
    calls: list[dict] = []
    real = territory.build_network

    def counting(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(territory, "build_network", counting)
    return calls


@pytest.fixture
def builds(monkeypatch, artois) -> list[dict]:
    """Record the builds, made fast: a copy of the session's network stands for a rebuild."""
    calls: list[dict] = []

    def counting(**kwargs):
        calls.append(kwargs)
        G = artois.copy()
        G.graph["max_gap_m"] = kwargs["max_gap_m"]  # enough to tell the networks apart
        return G

    monkeypatch.setattr(territory, "build_network", counting)
    return calls


def cache_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_cache_is_a_saved_graph_with_its_checksum(cache_dir, real_builds, artois):
    builds = real_builds
    G1 = parcs.load_network()
    assert len(builds) == 1
    gpkg, sums = cache_files(cache_dir)
    assert gpkg.startswith("network-")
    assert gpkg.endswith(".gpkg")
    assert sums == gpkg + ".sha256"
    assert stat.S_IMODE(cache_dir.stat().st_mode) == 0o700
    digest = hashlib.sha256((cache_dir / gpkg).read_bytes()).hexdigest()
    assert (cache_dir / sums).read_text().strip() == digest
    assert "parcs_cache_key" not in G1.graph
    G2 = parcs.load_network()
    assert len(builds) == 1  # served from the cache
    assert_same_graph(G1, G2)
    assert_same_graph(artois, G2)


def _tamper_flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _tamper_garbage_with_checksum(path: Path) -> None:
    path.write_bytes(b"garbage")
    path.with_name(path.name + ".sha256").write_text(hashlib.sha256(b"garbage").hexdigest())


def _tamper_no_checksum(path: Path) -> None:
    path.with_name(path.name + ".sha256").unlink()


def _tamper_bad_checksum_file(path: Path) -> None:
    path.with_name(path.name + ".sha256").write_text("x" * 10_000)


def _tamper_edit_with_checksum(path: Path) -> None:
    sql(path, "UPDATE edges SET length = -5 WHERE fid = 1")
    path.with_name(path.name + ".sha256").write_text(hashlib.sha256(path.read_bytes()).hexdigest())


TAMPERS = {
    "a flipped byte": (_tamper_flip, "does not match its sha256"),
    "garbage with its checksum": (_tamper_garbage_with_checksum, "is unreadable"),
    "no checksum": (_tamper_no_checksum, "has no sha256 checksum"),
    "a bad checksum file": (_tamper_bad_checksum_file, "no valid sha256"),
    "an edit with its checksum": (_tamper_edit_with_checksum, "is unreadable"),
}


@pytest.mark.parametrize("case", sorted(TAMPERS))
def test_bad_cache_is_logged_removed_and_rebuilt(cache_dir, builds, artois, caplog, case):
    tamper, why = TAMPERS[case]
    parcs.load_network()
    gpkg = cache_dir / cache_files(cache_dir)[0]
    tamper(gpkg)
    with caplog.at_level(logging.WARNING, logger="parcs"):
        G = parcs.load_network()
    assert len(builds) == 2
    assert any(why in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)
    assert_same_graph(artois, G)
    digest = hashlib.sha256(gpkg.read_bytes()).hexdigest()  # rewritten, valid again
    assert gpkg.with_name(gpkg.name + ".sha256").read_text().strip() == digest
    parcs.load_network()
    assert len(builds) == 2


def test_cache_of_other_parameters_under_this_name_is_not_served(cache_dir, builds, caplog):
    parcs.load_network()
    (default,) = (p for p in cache_dir.iterdir() if p.suffix == ".gpkg")
    assert parcs.load_network(max_gap_m=500).graph["max_gap_m"] == 500
    assert len(builds) == 2
    assert len(cache_files(cache_dir)) == 4  # one file and its checksum per parameter set
    other = next(p for p in cache_dir.iterdir() if p.suffix == ".gpkg" and p != default)
    other.replace(default)
    other.with_name(other.name + ".sha256").replace(default.with_name(default.name + ".sha256"))
    with caplog.at_level(logging.WARNING, logger="parcs"):
        G = parcs.load_network()
    assert G.graph["max_gap_m"] == 1000.0
    assert len(builds) == 3
    assert any("other data, code or parameters" in r.getMessage() for r in caplog.records)


def test_planted_pickles_are_never_loaded(cache_dir, builds, artois, tmp_path):
    marker = tmp_path / "owned"
    parcs.load_network()  # learn the cache file name
    gpkg = next(p for p in cache_dir.iterdir() if p.suffix == ".gpkg")
    for p in list(cache_dir.iterdir()):
        p.unlink()
    payload = pickle.dumps(Evil(marker))
    (cache_dir / gpkg.name.replace(".gpkg", ".pickle")).write_bytes(payload)  # the old cache name
    (cache_dir / "network-0123456789abcdef.pickle").write_bytes(payload)
    gpkg.write_bytes(payload)  # and a pickle where the cache is, with a valid checksum
    gpkg.with_name(gpkg.name + ".sha256").write_text(hashlib.sha256(payload).hexdigest())
    G = parcs.load_network()
    assert not marker.exists()
    assert_same_graph(artois, G)
    assert len(builds) == 2
    assert not list(cache_dir.glob("*.pickle"))  # old pickles are cleaned up
    assert not marker.exists()


def test_unwritable_cache_is_not_fatal(tmp_path, monkeypatch, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("PARCS_CACHE_DIR", str(blocker / "sub"))  # cannot be created
    with caplog.at_level(logging.WARNING, logger="parcs"):
        G = parcs.load_network()
    assert G.number_of_edges() > 0
    assert any("could not write the network cache" in r.getMessage() for r in caplog.records)


def test_cache_can_be_disabled(cache_dir, builds):
    parcs.load_network(cache=False)
    assert len(builds) == 1
    assert not cache_dir.exists()


@pytest.mark.usefixtures("cache_dir")
def test_later_loads_read_the_cache(builds):
    # its speed (< 0.5 s target) is measured in benchmarks/bench_network.py, not here
    first = parcs.load_network()
    for _ in range(3):
        again = parcs.load_network()
        assert again.number_of_edges() == first.number_of_edges()
    assert len(builds) == 1  # built once; every later call read the cache


def test_loaded_graph_is_walked_once(tmp_path, monkeypatch):
    """load_graph checks the contract in the walk that builds the cached arrays: routing
    the loaded graph walks it no more (hand-made tiny graph, compared with a fresh build)."""
    G = make_tiny_graph()
    H = parcs.load_graph(parcs.save_graph(G, tmp_path / "g.gpkg"))

    def no_walk(*_args, **_kwargs):
        pytest.fail("the loaded graph was walked again")

    monkeypatch.setattr(parcs.graph, "edge_arrays", no_walk)
    loaded = csr_of(H)
    monkeypatch.undo()
    fresh = csr_of(G)
    for name in ("indptr", "indices", "node_ids", "x", "y", "arc_key"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(fresh, name), err_msg=name)
    np.testing.assert_array_equal(loaded.weights["length"], fresh.weights["length"])
    a, b = list(G.nodes)[:2]
    assert parcs.route(H, a, b).length_m == parcs.route(G, a, b).length_m


# ------------------------------------------------------------------------------------------
# load_graph builds the cached CSR from the columns it read: the same as a walk of the graph
# ------------------------------------------------------------------------------------------
CSR_ARRAYS = ("indptr", "indices", "x", "y", "node_ids", "arc_key", "connector", "arc_kind")


def cached_and_walked(H: nx.MultiDiGraph) -> tuple[tuple, tuple]:
    """(csr, source arcs, arc geometries) as load_graph cached them, then from a fresh walk."""
    cached = (csr_of(H), source_arcs(H), arc_geometries(H))
    invalidate(H)
    return cached, (csr_of(H), source_arcs(H), arc_geometries(H))


def assert_same_csr(H: nx.MultiDiGraph, cached: tuple, walked: tuple) -> None:
    (a, order_a, geoms_a), (b, order_b, geoms_b) = cached, walked
    assert a is not b  # the second one was built again
    for name in CSR_ARRAYS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype, name
        np.testing.assert_array_equal(x, y, err_msg=name)
    assert list(a.weights) == list(b.weights)
    for name in a.weights:
        np.testing.assert_array_equal(a.weights[name], b.weights[name], err_msg=name)
    assert (a.kinds, a.crs) == (b.kinds, b.crs)
    np.testing.assert_array_equal(order_a, order_b)
    assert list(shapely.to_wkb(geoms_a)) == list(shapely.to_wkb(geoms_b))
    edges = list(H.edges(keys=True, data="geometry"))
    for e, (ga, gb) in enumerate(zip(geoms_a, geoms_b, strict=True)):
        stored = edges[int(order_a[e])][3]
        if stored is not None:  # the graph's own objects, as arc_geometries promises
            assert ga is stored, e
            assert gb is stored, e


def load_without_walk(path: Path) -> nx.MultiDiGraph:
    """load_graph, failing if it walks the graph (it should use the columns)."""

    def no_walk(*_args, **_kwargs):
        pytest.fail("load_graph walked the graph")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(parcs.graph, "edge_arrays", no_walk)
        H = parcs.load_graph(path)
        parcs.validate_graph(H)  # validated by the columns' checks: no walk either
    return H


def test_loaded_csr_equals_the_walked_one_on_random_graphs():
    taken = []
    real = graph_file.edge_arrays_from_columns

    def spy(*args, **kwargs):
        out = real(*args, **kwargs)
        taken.append(out is not None)
        return out

    @settings(deadline=None, max_examples=150, suppress_health_check=SLOW_OK, database=None)
    @given(G=random_graphs())
    def check(G):
        with tempfile.TemporaryDirectory() as folder:
            H = round_trip(G, Path(folder))
        assert_same_csr(H, *cached_and_walked(H))

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(graph_file, "edge_arrays_from_columns", spy)
        check()
    assert sum(taken) > len(taken) // 4, taken  # most graphs take the columns' path


def test_loaded_csr_equals_the_walked_one_on_the_embedded_network(saved):
    H = load_without_walk(saved)
    assert_same_csr(H, *cached_and_walked(H))


@needs_osm_samples
def test_loaded_csr_equals_the_walked_one_on_an_osm_graph(tmp_path):
    G = parcs.graph_from_osm(path=OSM_SAMPLES / "krems.osm.gz")
    H = load_without_walk(parcs.save_graph(G, tmp_path / "g.gpkg"))
    assert_same_csr(H, *cached_and_walked(H))


def test_loaded_csr_follows_the_graph_order_of_shuffled_rows(saved, artois):
    """Edge rows out of the saved order (a file edited elsewhere): ``G.edges`` then runs in
    another order than the rows, and the CSR built from the rows must follow ``G.edges``."""
    m = artois.number_of_edges()
    step = next(s for s in range(7919, 10**6) if math.gcd(s, m) == 1)
    sql(
        saved,
        "UPDATE edges SET fid = fid + 10000000",
        f"UPDATE edges SET fid = ((fid - 10000001) * {step}) % {m} + 1",
    )
    H = load_without_walk(saved)
    assert list(H.edges(keys=True)) != list(artois.edges(keys=True))  # really reordered
    assert sorted(H.edges(keys=True)) == sorted(artois.edges(keys=True))
    assert_same_csr(H, *cached_and_walked(H))
