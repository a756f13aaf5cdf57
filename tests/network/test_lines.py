"""Tests of ``parcs.graph_from_lines`` on the real cavaliers layer and on random line layers.

Every figure is checked against a count made here independently of the line pipeline:
``shapely.union_all`` lengths and intersections, connected components of the input lines found
with an STRtree ``intersects`` query and a union-find (no noding at all), networkx components of
a graph built here from shapely-noded pieces, pairwise shapely intersections of the edges, and
the embedded network's own builder (``build_network``) given the same lines.

The real data is the official cavaliers layer (``data/``, see ``data/PROVENANCE.md``), read from
files written here in other CRSs. The random layers (Hypothesis) are segments between the
points of a 100 m grid placed in Lambert-93 near Lens: test inputs, not geodata.
"""

from __future__ import annotations

import logging
import math
import shutil
from collections import defaultdict
from typing import TYPE_CHECKING

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

import parcs
from parcs import _data
from parcs.errors import DataError, EmptyAreaError, ValidationError
from parcs.graph import validate_graph
from parcs.network.lines import graph_from_lines
from parcs.network.territory import build_network

if TYPE_CHECKING:
    from pathlib import Path

CAV = _data.get_path("cavaliers")
KEYS = ("kind", "name", "built")


# ==== helpers (references) ====


@pytest.fixture(scope="module")
def cav() -> gpd.GeoDataFrame:
    """The real cavaliers layer, as published (EPSG:4326)."""
    return gpd.read_file(CAV)


@pytest.fixture(scope="module")
def cav_utm(tmp_path_factory: pytest.TempPathFactory, cav: gpd.GeoDataFrame) -> Path:
    """The cavaliers layer reprojected to UTM 31N, written to a GeoPackage."""
    path = tmp_path_factory.mktemp("lines") / "cavaliers_utm31.gpkg"
    cav.to_crs(32631).to_file(path, layer="cavaliers")
    return path


def edges_once(G: nx.MultiDiGraph) -> list[tuple[int, int, int, dict]]:
    """Each undirected edge once (the graph stores both directions, a self-loop once)."""
    return [(u, v, k, d) for u, v, k, d in G.edges(keys=True, data=True) if u <= v]


def km(G: nx.MultiDiGraph, *, built_only: bool = False) -> float:
    return sum(d["length"] for *_, d in edges_once(G) if d["built"] or not built_only) / 1000


def line_components(geoms: np.ndarray) -> int:
    """Connected groups of lines that touch or cross (STRtree + union-find, no noding)."""
    parts = shapely.get_parts(geoms)
    i, j = shapely.STRtree(parts).query(parts, predicate="intersects")
    uf = nx.utils.UnionFind(range(len(parts)))
    for a, b in zip(i.tolist(), j.tolist(), strict=True):
        uf.union(a, b)
    return len({uf[a] for a in range(len(parts))})


def noded_components(geoms: np.ndarray) -> int:
    """Components of the graph of shapely-noded pieces joined at their rounded end points."""
    pieces = shapely.get_parts(shapely.union_all(geoms))
    H = nx.Graph()
    for p in pieces:
        a, b = p.coords[0], p.coords[-1]
        H.add_edge((round(a[0], 2), round(a[1], 2)), (round(b[0], 2), round(b[1], 2)))
    return nx.number_connected_components(H)


def assert_cross_only_at_nodes(G: nx.MultiDiGraph) -> int:
    """Every pair of edges meets only at nodes both have; every edge is simple. Returns pairs.

    Nodes sit at the piece ends rounded to 1 cm (``pieces_graph``), hence the 1 cm tolerance.
    """
    edges = edges_once(G)
    geoms = np.array([d["geometry"] for *_, d in edges], dtype=object)
    assert shapely.is_simple(geoms).all()
    i, j = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    inter = shapely.intersection(geoms[i], geoms[j])
    for a, b, g in zip(i.tolist(), j.tolist(), inter.tolist(), strict=True):
        shared = {edges[a][0], edges[a][1]} & {edges[b][0], edges[b][1]}
        pts = shapely.MultiPoint([(G.nodes[n]["x"], G.nodes[n]["y"]) for n in shared])
        rest = g.difference(pts.buffer(0.01))
        assert rest.is_empty, (edges[a][:3], edges[b][:3], rest)
    return len(i)


def assert_degree2_only_where_attributes_change(G: nx.MultiDiGraph) -> None:
    incident: dict[int, list[tuple]] = defaultdict(list)
    for u, v, k, d in edges_once(G):
        incident[u].append((u, v, k, d))
        incident[v].append((u, v, k, d))  # a self-loop is listed twice: degree 2
    for n, inc in incident.items():
        if len(inc) != 2:
            continue
        (a, b) = inc
        if a[:3] == b[:3]:
            continue  # an isolated ring stored as one self-loop
        assert tuple(a[3][k] for k in KEYS) != tuple(b[3][k] for k in KEYS), (n, a[3], b[3])


def same_graph(G1: nx.MultiDiGraph, G2: nx.MultiDiGraph) -> None:
    assert G1.number_of_nodes() == G2.number_of_nodes()
    for n in G1:
        assert (G1.nodes[n]["x"], G1.nodes[n]["y"]) == (G2.nodes[n]["x"], G2.nodes[n]["y"])

    def table(G: nx.MultiDiGraph) -> list[tuple]:
        return sorted(
            (
                u,
                v,
                round(d["length"], 6),
                round(d["est_length"], 6),
                d["built"],
                d["geometry"].wkb_hex,
            )
            for u, v, d in G.edges(data=True)
        )

    assert table(G1) == table(G2)


# ==== the real cavaliers layer ====


def test_length_is_preserved_when_snapping_is_tiny(cav_utm: Path) -> None:
    G = graph_from_lines(cav_utm, kind="cavalier", snap_m=1e-3, crs="EPSG:32631")
    want = shapely.union_all(gpd.read_file(cav_utm).geometry.to_numpy()).length / 1000
    assert want > 400
    assert km(G) == pytest.approx(want, rel=1e-9)
    validate_graph(G)


def test_components_match_two_independent_counts(cav_utm: Path) -> None:
    G = graph_from_lines(cav_utm, kind="cavalier", snap_m=1e-3, crs="EPSG:32631")
    geoms = gpd.read_file(cav_utm).geometry.to_numpy()
    by_lines = line_components(geoms)
    assert by_lines == noded_components(geoms)
    assert by_lines > 100
    assert nx.number_weakly_connected_components(G) == by_lines


def test_snapping_joins_components_and_adds_little_length(cav_utm: Path) -> None:
    tiny = graph_from_lines(cav_utm, kind="cavalier", snap_m=1e-3, crs="EPSG:32631")
    G = graph_from_lines(cav_utm, kind="cavalier", crs="EPSG:32631")  # 25 m
    n_tiny = nx.number_weakly_connected_components(tiny)
    n = nx.number_weakly_connected_components(G)
    assert n < n_tiny / 3
    # each join is at most 25 m, one per line end at most
    ends = 2 * len(shapely.get_parts(gpd.read_file(cav_utm).geometry.to_numpy()))
    assert km(tiny) < km(G) <= km(tiny) + ends * 25 / 1000


@pytest.mark.parametrize("snap_m", [1e-3, 25.0])
def test_edges_cross_only_at_nodes(cav_utm: Path, snap_m: float) -> None:
    G = graph_from_lines(cav_utm, kind="cavalier", name_column="nom", snap_m=snap_m)
    assert assert_cross_only_at_nodes(G) > 500
    assert_degree2_only_where_attributes_change(G)


def test_same_graph_as_the_embedded_builder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The territory builder, given the cavaliers alone, makes the very same graph."""
    for name in _data.FILES.values():
        shutil.copy(_data.data_dir() / name, tmp_path / name)
    ev5 = tmp_path / _data.FILES["eurovelo5"]
    gpd.read_file(ev5).iloc[:0].to_file(ev5, driver="GeoJSON")  # no EuroVelo 5
    monkeypatch.setenv("PARCS_DATA_DIR", str(tmp_path))
    for gap in (None, 1000.0):
        Gt = build_network(connectors=gap is not None)
        G = graph_from_lines(CAV, kind="cavalier", name_column="nom", max_gap_m=gap)
        same_graph(G, Gt)
        for u, v, k, d in G.edges(keys=True, data=True):
            assert d["name"] == Gt.edges[u, v, k]["name"]
            assert d["kind"] == Gt.edges[u, v, k]["kind"]
    assert sum(1 for *_, d in edges_once(G) if d["source"] == "gap") > 50


def test_graph_contract_and_attributes(cav_utm: Path, cav: gpd.GeoDataFrame) -> None:
    G = parcs.graph_from_lines(cav_utm, kind_column="sigle", name_column="nom", max_gap_m=500)
    validate_graph(G)
    assert G.graph["crs"] == "EPSG:2154"
    assert G.graph["name"] == "cavaliers_utm31.gpkg"
    assert G.graph["source"] == "lines"
    assert (G.graph["snap_tolerance_m"], G.graph["max_gap_m"], G.graph["detour_factor"]) == (
        25.0,
        500.0,
        1.3,
    )
    kinds = set(cav["sigle"])
    names = set(cav["nom"].dropna()) | {""}
    for u, v, k, d in G.edges(keys=True, data=True):
        assert G.has_edge(v, u, k)
        if d["source"] == "gap":
            assert (d["kind"], d["built"]) == ("connector", False)
            assert d["est_length"] == pytest.approx(1.3 * d["length"])
            assert d["length"] <= 500 + 1e-6
        else:
            assert d["source"] == "lines"
            assert d["kind"] in kinds
            assert d["name"] in names
            assert d["built"] is True
            assert d["est_length"] == d["length"]
    # km by kind (built) matches each EPCI's share of the layer, measured by shapely
    ref = cav.to_crs(2154)
    for sigle, group in ref.groupby("sigle"):
        want = shapely.union_all(group.geometry.to_numpy()).length / 1000
        got = sum(d["length"] for *_, d in edges_once(G) if d["kind"] == sigle) / 1000
        assert got == pytest.approx(want, rel=0.02)  # + snap joins, - overlaps between EPCIs


def test_file_frame_series_and_crs(
    cav: gpd.GeoDataFrame, cav_utm: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from_file = graph_from_lines(cav_utm, snap_m=1e-3)
    from_frame = graph_from_lines(cav, snap_m=1e-3)
    from_series = graph_from_lines(cav.geometry, snap_m=1e-3)
    same_graph(from_frame, from_series)
    assert from_file.number_of_nodes() == from_frame.number_of_nodes()
    assert km(from_file) == pytest.approx(km(from_frame), rel=1e-7)
    assert from_frame.graph["name"] == "lines"
    want = shapely.union_all(cav.to_crs(2154).geometry.to_numpy()).length / 1000
    assert km(from_frame) == pytest.approx(want, rel=1e-9)
    monkeypatch.setenv("PARCS_CRS", "EPSG:32631")
    G = graph_from_lines(cav, snap_m=1e-3)
    assert G.graph["crs"] == "EPSG:32631"
    assert km(G) == pytest.approx(
        shapely.union_all(gpd.read_file(cav_utm).geometry.to_numpy()).length / 1000, rel=1e-9
    )


def test_multilines_z_nulls_and_other_geometries(
    cav: gpd.GeoDataFrame, caplog: pytest.LogCaptureFixture
) -> None:
    base = graph_from_lines(cav, name_column="nom")
    assert (cav.geom_type == "MultiLineString").sum() > 10
    noisy = cav.copy()
    noisy["geometry"] = shapely.force_3d(noisy.geometry.to_numpy(), z=31.5)  # Z dropped
    assert noisy.has_z.all()
    terrils = gpd.read_file(_data.get_path("terrils"))  # real polygons: ignored
    ends = shapely.get_point(shapely.get_parts(cav.geometry.to_numpy())[:7], 0)  # real points
    extra = gpd.GeoDataFrame(
        {"nom": ["x"] * (len(terrils) + len(ends) + 3)},
        geometry=[*terrils.geometry, *ends, None, shapely.LineString(), shapely.MultiLineString()],
        crs=4326,
    )
    noisy = pd.concat([noisy, extra], ignore_index=True)
    with caplog.at_level(logging.INFO, logger="parcs"):
        G = graph_from_lines(noisy, name_column="nom")
    same_graph(G, base)
    n_lines = len(shapely.get_parts(cav.geometry.to_numpy()))
    line = next(r.getMessage() for r in caplog.records if "graph_from_lines" in r.getMessage())
    assert f"-> {n_lines} lines" in line
    assert f"{len(terrils) + len(ends)} non-line geometries" in line
    assert "3 null or empty" in line
    # one MultiLineString of everything: exploded, same network (names aside)
    one = gpd.GeoSeries(
        [shapely.MultiLineString(list(shapely.get_parts(cav.geometry.to_numpy())))], crs=4326
    )
    G1 = graph_from_lines(one)
    assert km(G1) == pytest.approx(km(graph_from_lines(cav)), rel=1e-9)
    assert nx.number_weakly_connected_components(G1) == nx.number_weakly_connected_components(base)


def test_clip_cuts_lines_at_the_polygon(
    cav: gpd.GeoDataFrame, caplog: pytest.LogCaptureFixture
) -> None:
    communes = gpd.read_file(_data.get_path("communes"))
    lens = communes[communes["nom"] == "Lens"]
    assert len(lens) == 1
    with caplog.at_level(logging.INFO, logger="parcs"):
        G = graph_from_lines(cav, clip=lens, snap_m=1e-3)
    area = shapely.union_all(lens.to_crs(2154).geometry.to_numpy())
    parts = shapely.get_parts(cav.to_crs(2154).geometry.to_numpy())
    outside = int((~shapely.intersects(parts, area)).sum())
    assert f"{outside} outside the clip area" in caplog.text
    lines = shapely.union_all(parts)
    want = shapely.intersection(lines, area).length / 1000
    assert want > 5
    assert km(G) == pytest.approx(want, rel=1e-9)
    zone = area.buffer(1e-6)
    assert all(zone.covers(d["geometry"]) for *_, d in edges_once(G))
    with pytest.raises(EmptyAreaError, match="inside the clip area"):
        graph_from_lines(cav, clip=shapely.box(15.5, 48.3, 15.7, 48.5))  # Krems, Austria


def test_built_column_values(cav: gpd.GeoDataFrame) -> None:
    """Every accepted spelling of booleans gives the same graph; unbuilt lines keep their length."""
    long = (cav["longueur_m_clip"] > 1000).to_numpy()  # real attribute: lines over 1 km
    spellings = {
        "bool": long,
        "int": long.astype(int),
        "float": long.astype(float),
        "yes/no": np.where(long, "yes", "no"),
        "TRUE/False": np.where(long, " TRUE ", "False"),
        "oui/non": np.where(long, "Oui", "non"),
    }
    graphs = {}
    for label, values in spellings.items():
        frame = cav.assign(b=values)
        graphs[label] = graph_from_lines(frame, built_column="b", max_gap_m=300)
    for G in graphs.values():
        same_graph(G, graphs["bool"])
    G = graphs["bool"]
    unbuilt = [d for *_, d in edges_once(G) if not d["built"] and d["source"] == "lines"]
    assert unbuilt
    assert all(d["est_length"] == d["length"] for d in unbuilt)
    assert_degree2_only_where_attributes_change(G)
    # an empty cell means built
    with_null = cav.assign(b=pd.Series([None] * len(cav), dtype=object))
    assert all(
        d["built"] for *_, d in graph_from_lines(with_null, built_column="b").edges(data=True)
    )


# ==== bad inputs ====


def test_layer_without_crs(tmp_path: Path, cav: gpd.GeoDataFrame) -> None:
    frame = gpd.GeoDataFrame(cav.drop(columns="geometry"), geometry=cav.geometry.to_numpy())
    assert frame.crs is None
    with pytest.raises(ValidationError, match=r"`lines` has no CRS.*set_crs"):
        graph_from_lines(frame)
    path = tmp_path / "nocrs.shp"
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        frame[["nom", "geometry"]].to_file(path)
    path.with_suffix(".prj").unlink(missing_ok=True)
    with pytest.raises(ValidationError, match=r"nocrs\.shp.* has no CRS.*set_crs"):
        graph_from_lines(path)


def test_coordinates_outside_the_declared_crs(tmp_path: Path, cav: gpd.GeoDataFrame) -> None:
    l93_as_lonlat = cav.to_crs(2154).set_crs(4326, allow_override=True)
    path = tmp_path / "l93_declared_4326.gpkg"
    l93_as_lonlat.to_file(path)
    with pytest.raises(DataError, match=r"l93_declared_4326\.gpkg.*EPSG:4326") as exc:
        graph_from_lines(path)
    assert "area of use" in str(exc.value)
    lonlat_as_l93 = cav.set_crs(2154, allow_override=True)
    with pytest.raises(DataError, match=r"`lines`.*EPSG:2154.*set_crs"):
        graph_from_lines(lonlat_as_l93)
    # web-map metres declared as lon/lat, given as a GeoSeries
    mercator = cav.geometry.to_crs(3857).set_crs(4326, allow_override=True)
    with pytest.raises(DataError, match=r"`lines`.*EPSG:4326"):
        graph_from_lines(mercator)
    # a layer a few degrees beyond its CRS's area (France in UTM 31N) is accepted
    assert graph_from_lines(cav.to_crs(32631).translate(xoff=-500_000.0)).number_of_edges()


def test_missing_columns_are_listed(cav: gpd.GeoDataFrame) -> None:
    for arg in ("kind_column", "name_column", "built_column"):
        with pytest.raises(
            ValidationError, match=rf"`{arg}` 'type' is not a column.*'nom'.*'sigle'"
        ):
            graph_from_lines(cav, **{arg: "type"})
    with pytest.raises(ValidationError, match="none"):
        graph_from_lines(cav.geometry, name_column="nom")
    with pytest.raises(ValidationError, match="`name_column` must be a column name"):
        graph_from_lines(cav, name_column=3)


def test_bad_built_values(cav: gpd.GeoDataFrame) -> None:
    values = np.array(["yes"] * len(cav), dtype=object)
    values[3], values[7] = "en projet", 2
    with pytest.raises(
        ValidationError,
        match=r"`built_column` 'b'.*booleans.*2 values.*'en projet' \(feature 3\), 2 \(feature 7\)",
    ):
        graph_from_lines(cav.assign(b=values), built_column="b")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"snap_m": 0}, "`snap_m` must be a finite number of metres > 0, got 0"),
        ({"snap_m": -5.0}, "`snap_m`"),
        ({"snap_m": math.nan}, "`snap_m`"),
        ({"snap_m": "25"}, "`snap_m`"),
        ({"max_gap_m": 0.0}, "`max_gap_m` must be"),
        ({"max_gap_m": True}, "`max_gap_m`"),
        ({"detour_factor": 0.9}, "`detour_factor` must be a finite number >= 1"),
        ({"kind": ""}, "`kind` must be a non-empty string"),
        ({"crs": "EPSG:4326"}, "`crs` must be a projected CRS in metres"),
        ({"crs": "EPSG:99999999"}, "`crs`"),
        ({"crs": 12.5}, "`crs`"),
        ({"layer": "cavaliers"}, "`layer` picks a layer of a file"),
    ],
)
def test_bad_options(cav: gpd.GeoDataFrame, kwargs: dict, match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        graph_from_lines(cav, **kwargs)


def test_no_line_at_all(cav: gpd.GeoDataFrame) -> None:
    terrils = gpd.read_file(_data.get_path("terrils"))
    with pytest.raises(
        EmptyAreaError,
        match=rf"holds no line \({len(terrils)} features: 0 null or empty, {len(terrils)} non-line",
    ):
        graph_from_lines(terrils)
    nulls = cav.assign(geometry=None)
    with pytest.raises(EmptyAreaError, match=f"{len(cav)} null or empty"):
        graph_from_lines(nulls)
    with pytest.raises(EmptyAreaError):
        graph_from_lines(cav.iloc[:0])


def test_bad_files(tmp_path: Path, cav: gpd.GeoDataFrame) -> None:
    with pytest.raises(DataError, match=r"nope\.gpkg.* does not exist"):
        graph_from_lines(tmp_path / "nope.gpkg")
    bad = tmp_path / "bad.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    with pytest.raises(DataError, match=r"cannot read the line layer .*bad\.geojson"):
        graph_from_lines(bad)
    two = tmp_path / "two.gpkg"
    cav.to_file(two, layer="cavaliers")
    gpd.read_file(_data.get_path("terrils")).to_file(two, layer="terrils")
    with pytest.raises(
        ValidationError, match=r"holds 2 layers \('cavaliers', 'terrils'\); pick one with `layer=`"
    ):
        graph_from_lines(two)
    with pytest.raises(
        DataError, match=r"has no layer 'troncons'; its layers: 'cavaliers', 'terrils'"
    ):
        graph_from_lines(two, layer="troncons")
    by_name = graph_from_lines(two, layer="cavaliers")
    same_graph(by_name, graph_from_lines(two, layer=0))
    assert km(by_name) == pytest.approx(km(graph_from_lines(cav)), rel=1e-9)
    with pytest.raises(ValidationError, match="`lines` must be a GeoDataFrame"):
        graph_from_lines(list(cav.geometry))
    table = tmp_path / "table.csv"
    cav.drop(columns="geometry").to_csv(table, index=False)
    with pytest.raises(DataError, match="without geometry"):
        graph_from_lines(table)


def test_non_finite_coordinates(cav: gpd.GeoDataFrame) -> None:
    frame = cav.copy()
    g = frame.geometry.iloc[5]
    with np.errstate(invalid="ignore"):
        bad = shapely.LineString([*list(shapely.get_parts(g)[0].coords), (math.nan, 50.4)])
    frame.loc[5, "geometry"] = bad
    with pytest.raises(DataError, match=r"feature.*5.*cannot be expressed in EPSG:2154"):
        graph_from_lines(frame)


# ==== random layers ====

X0, Y0, STEP = 690_000.0, 7_030_000.0, 100.0
grid_pt = st.tuples(st.integers(0, 7), st.integers(0, 7))
segment = st.tuples(
    grid_pt, grid_pt, st.sampled_from(["a", "b"]), st.sampled_from(["", "n"]), st.booleans()
).filter(lambda s: s[0] != s[1])


def random_layer(segs: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"k": [s[2] for s in segs], "nm": [s[3] for s in segs], "b": [s[4] for s in segs]},
        geometry=[
            shapely.LineString(
                [(X0 + STEP * a[0], Y0 + STEP * a[1]), (X0 + STEP * b[0], Y0 + STEP * b[1])]
            )
            for a, b, *_ in segs
        ],
        crs=2154,
    )


@settings(deadline=None, derandomize=True)
@given(st.lists(segment, min_size=1, max_size=14))
def test_random_layers(segs: list) -> None:
    layer = random_layer(segs)
    G = graph_from_lines(layer, kind_column="k", name_column="nm", built_column="b", snap_m=0.01)
    validate_graph(G)
    geoms = layer.geometry.to_numpy()
    assert km(G) * 1000 == pytest.approx(shapely.union_all(geoms).length, abs=1e-6)
    assert nx.number_weakly_connected_components(G) == line_components(geoms)
    assert_cross_only_at_nodes(G)
    assert_degree2_only_where_attributes_change(G)
    # each edge carries the attributes of an input line it lies on
    for *_, d in edges_once(G):
        mid = d["geometry"].interpolate(0.5, normalized=True)
        on = [i for i, g in enumerate(geoms) if g.distance(mid) < 1e-6]
        assert any(
            (segs[i][2], segs[i][3], segs[i][4]) == (d["kind"], d["name"], d["built"]) for i in on
        )


@settings(deadline=None, derandomize=True)
@given(
    st.lists(segment, min_size=1, max_size=12),
    st.tuples(st.integers(0, 6), st.integers(0, 6), st.integers(1, 7), st.integers(1, 7)),
    st.sampled_from([0.01, 30.0, 120.0]),
)
def test_random_layers_clipped_and_snapped(segs: list, box: tuple, snap_m: float) -> None:
    layer = random_layer(segs)
    x, y, w, h = box
    area = shapely.box(
        X0 + STEP * x + 30, Y0 + STEP * y + 30, X0 + STEP * (x + w), Y0 + STEP * (y + h)
    )
    lines = shapely.union_all(layer.geometry.to_numpy())
    want = shapely.intersection(lines, area).length
    if want < 1:
        with pytest.raises(EmptyAreaError):
            graph_from_lines(layer, clip=gpd.GeoSeries([area], crs=2154), snap_m=snap_m)
        return
    G = graph_from_lines(layer, clip=gpd.GeoSeries([area], crs=2154), snap_m=snap_m, max_gap_m=250)
    validate_graph(G)
    built = km(G, built_only=True) * 1000
    assert built >= want - 1e-6
    if snap_m < 1:
        assert built == pytest.approx(want, abs=1e-6)
    assert_cross_only_at_nodes(G)
    for *_, d in edges_once(G):
        if d["source"] == "gap":
            assert d["length"] <= 250 + 1e-6
            assert d["est_length"] == pytest.approx(1.3 * d["length"])
        else:
            assert area.buffer(snap_m + 1e-6).covers(d["geometry"])
