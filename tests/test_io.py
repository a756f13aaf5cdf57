"""Tests of parcs.io: exports read back with geopandas / gpxpy / pandas.

References are independent of parcs.io: osmnx.graph_to_gdfs, direct counts on the graph,
geodesic lengths with pyproj.Geod.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import geopandas as gpd
import gpxpy
import numpy as np
import osmnx as ox
import pandas as pd
import pyogrio
import pytest
import shapely
from pyproj import Geod, Transformer
from shapely.geometry import LineString, Point

import parcs
from parcs import io
from parcs.errors import ValidationError

TO_WGS = Transformer.from_crs(2154, 4326, always_xy=True)
GEOD = Geod(ellps="WGS84")


@dataclass
class FakeRoute:
    geometry: LineString
    length_m: float
    waypoints: list[tuple[str, float, float]] = field(default_factory=list)
    orig_label: str = "A"
    dest_label: str = "B"

    @property
    def geometry_wgs84(self) -> LineString:
        return shapely.transform(
            self.geometry, lambda xy: np.column_stack(TO_WGS.transform(xy[:, 0], xy[:, 1]))
        )


@dataclass
class FakeJunctions:
    junctions: gpd.GeoDataFrame
    links: gpd.GeoDataFrame


def geodesic_length(coords) -> float:
    lons, lats = zip(*coords, strict=True)
    return float(GEOD.line_length(lons, lats))


def undirected_edges(G) -> dict[tuple, float]:
    return {(u, v, k): d["length"] for u, v, k, d in G.edges(keys=True, data=True) if u < v}


def fake_junctions(G) -> FakeJunctions:
    nodes = [1, 2, 5]
    pts = [Point(G.nodes[n]["x"], G.nodes[n]["y"]) for n in nodes]
    j = gpd.GeoDataFrame(
        {"node": nodes, "number": [11, 27, 3], "degree": [2, 3, 2], "reason": ["a", "b", "c"]},
        geometry=pts,
        crs="EPSG:2154",
    )
    links = gpd.GeoDataFrame(
        {"name": ["11-27", "27-3"], "length_m": [1000.0, 1000.0]},
        geometry=[LineString([pts[0], pts[1]]), LineString([pts[1], pts[2]])],
        crs="EPSG:2154",
    )
    return FakeJunctions(j, links)


# ------------------------------------------------------------------------------------------
def test_to_gdfs_matches_osmnx(tiny_graph):
    nodes, edges = io.to_gdfs(tiny_graph)
    ref_nodes, ref_edges = ox.graph_to_gdfs(tiny_graph)
    assert list(nodes.index) == list(ref_nodes.index)
    assert nodes.index.name == ref_nodes.index.name
    assert edges.index.names == ref_edges.index.names
    assert set(edges.index) == set(ref_edges.index)
    assert edges.crs == ref_edges.crs
    joined = edges["geometry"].length.sort_index() - ref_edges["geometry"].length.sort_index()
    assert np.allclose(joined, 0.0)
    assert (nodes.geometry.x == ref_nodes.geometry.x).all()


def test_to_gdfs_undirected_and_validation(tiny_graph):
    edges = io.to_gdfs(tiny_graph, nodes=False, undirected=True)
    assert len(edges) == tiny_graph.number_of_edges() // 2 == 6
    nodes = io.to_gdfs(tiny_graph, edges=False)
    assert len(nodes) == 6
    with pytest.raises(ValidationError, match="`nodes`"):
        io.to_gdfs(tiny_graph, nodes=False, edges=False)


@pytest.mark.parametrize("fmt", ["gpkg", "geojson"])
def test_save_network_read_back(tiny_graph, tmp_path, fmt):
    target = tmp_path / ("net.gpkg" if fmt == "gpkg" else "net")
    written = io.save_network(tiny_graph, target, driver=fmt)
    expected = undirected_edges(tiny_graph)
    if fmt == "gpkg":
        assert written == [target]
        assert {name for name, _ in pyogrio.list_layers(target)} == {"nodes", "edges"}
        edges = gpd.read_file(target, layer="edges")
        nodes = gpd.read_file(target, layer="nodes")
    else:
        assert sorted(p.name for p in written) == ["edges.geojson", "nodes.geojson"]
        edges = gpd.read_file(target / "edges.geojson").to_crs(2154)
        nodes = gpd.read_file(target / "nodes.geojson")
        assert nodes.crs.to_epsg() == 4326
    assert len(nodes) == tiny_graph.number_of_nodes()
    assert len(edges) == len(expected)
    for _, row in edges.iterrows():
        key = (row["u"], row["v"], row["key"])
        key = key if key in expected else (row["v"], row["u"], row["key"])
        assert row.geometry.length == pytest.approx(expected[key], abs=1.0)
        assert row["length"] == pytest.approx(expected[key], abs=1e-6)
    assert set(edges["kind"]) == {"cavalier", "eurovelo", "connector"}
    assert edges.loc[edges["kind"] == "connector", "built"].tolist() == [False]


def test_save_network_both_directions(tiny_graph, tmp_path):
    io.save_network(tiny_graph, tmp_path / "n.gpkg", undirected=False)
    assert len(gpd.read_file(tmp_path / "n.gpkg", layer="edges")) == 12


def test_real_network_export(tmp_path):
    G = parcs.load_network()
    out = tmp_path / "artois.gpkg"
    io.save_network(G, out)
    edges = gpd.read_file(out, layer="edges")
    expected = undirected_edges(G)
    assert len(edges) == len(expected)
    assert edges.geometry.length.sum() == pytest.approx(sum(expected.values()), abs=1.0)
    places = gpd.read_file(out, layer="places")
    assert len(places) == len(parcs.places(G))
    # tuple column written as ;-joined ids
    first = parcs.places(G).iloc[0]["access_nodes"]
    assert places.iloc[0]["access_nodes"] == ";".join(str(n) for n in first)
    # places alone, one kind
    p = io.save_places(G, tmp_path / "terrils.geojson", kind="terril")
    assert len(gpd.read_file(p)) == int((parcs.places(G)["kind"] == "terril").sum())


def test_save_junctions_and_gdf(tiny_graph, tmp_path):
    net = fake_junctions(tiny_graph)
    written = io.save_junctions(net, tmp_path / "pn.gpkg")
    j = gpd.read_file(written[0], layer="junctions")
    links = gpd.read_file(written[0], layer="links")
    assert sorted(j["number"]) == [3, 11, 27]
    assert links.geometry.length.tolist() == pytest.approx([1000.0, 1000.0], abs=1.0)
    p = io.save_gdf(net.links, tmp_path / "links.geojson")
    back = gpd.read_file(p).to_crs(2154)
    assert back.geometry.length.tolist() == pytest.approx([1000.0, 1000.0], abs=1.0)


def test_bad_driver_and_suffix(tiny_graph, tmp_path):
    with pytest.raises(ValidationError, match="`driver`"):
        io.save_network(tiny_graph, tmp_path / "x.gpkg", driver="shapefile")
    with pytest.raises(ValidationError, match="suffix"):
        io.save_network(tiny_graph, tmp_path / "x.shp")
    with pytest.raises(ValidationError, match="`gdf`"):
        io.save_gdf(pd.DataFrame({"a": [1]}), tmp_path / "x.gpkg")
    empty = gpd.GeoDataFrame({"a": []}, geometry=[], crs="EPSG:2154")
    with pytest.raises(ValidationError, match="empty"):
        io.save_gdf(empty, tmp_path / "x.gpkg")


def test_failed_write_leaves_nothing(tiny_graph, tmp_path, monkeypatch):
    out = tmp_path / "n.gpkg"
    io.save_network(tiny_graph, out)
    before = out.read_bytes()

    def boom(*_a, **_k):
        msg = "disk full"
        raise OSError(msg)

    monkeypatch.setattr(gpd.GeoDataFrame, "to_file", boom)
    with pytest.raises(OSError, match="disk full"):
        io.save_network(tiny_graph, out)
    assert out.read_bytes() == before  # old file untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["n.gpkg"]  # no temp left


# ------------------------------------------------------------------------------------------
# GPX
# ------------------------------------------------------------------------------------------
def _route(G) -> FakeRoute:
    coords = [(G.nodes[n]["x"], G.nodes[n]["y"]) for n in (4, 1, 2, 3)]
    line = LineString(coords)
    wgs = [TO_WGS.transform(x, y) for x, y in coords]
    return FakeRoute(
        line, line.length, waypoints=[("11", *wgs[1]), ("27", *wgs[2])], orig_label="Lens"
    )


def test_gpx_route_read_back(tiny_graph, tmp_path):
    route = _route(tiny_graph)
    out = io.save_gpx(route, tmp_path / "r.gpx", name="test")
    with out.open(encoding="utf-8") as fh:
        gpx = gpxpy.parse(fh)
    assert len(gpx.tracks) == 1
    pts = [(p.longitude, p.latitude) for p in gpx.tracks[0].segments[0].points]
    assert len(pts) == 4
    ref = list(route.geometry_wgs84.coords)
    assert geodesic_length(pts) == pytest.approx(geodesic_length(ref), abs=1.0)
    # Lambert-93 and the ellipsoid agree to < 1 % here: a sanity check on the coordinates
    assert geodesic_length(pts) == pytest.approx(3000.0, rel=0.01)
    assert [w.name for w in gpx.waypoints] == ["11", "27"]
    assert gpx.tracks[0].name == "Lens → B"
    assert gpx.name == "test"


def test_gpx_junction_waypoints_and_several_routes(tiny_graph):
    net = fake_junctions(tiny_graph)
    r1 = _route(tiny_graph)
    r1.waypoints = []
    text = io.routes_to_gpx([r1, r1], junctions=net)
    gpx = gpxpy.parse(text)
    assert len(gpx.tracks) == 2
    assert sorted(w.name for w in gpx.waypoints) == ["11", "27", "3"]
    w11 = next(w for w in gpx.waypoints if w.name == "11")
    lon, lat = TO_WGS.transform(tiny_graph.nodes[1]["x"], tiny_graph.nodes[1]["y"])
    assert math.isclose(w11.longitude, lon, abs_tol=1e-6)
    assert math.isclose(w11.latitude, lat, abs_tol=1e-6)
    only_junctions = gpxpy.parse(io.routes_to_gpx(None, junctions=net))
    assert len(only_junctions.tracks) == 0
    assert len(only_junctions.waypoints) == 3


def test_gpx_bad_route():
    with pytest.raises(ValidationError, match="`route`"):
        io.routes_to_gpx([object()])


def test_gpx_real_route():
    G = parcs.load_network()
    route = parcs.route(G, "Lens", "Liévin")
    gpx = gpxpy.parse(io.routes_to_gpx(route))
    pts = [(p.longitude, p.latitude) for p in gpx.tracks[0].segments[0].points]
    ref = list(route.geometry_wgs84.coords)
    assert geodesic_length(pts) == pytest.approx(geodesic_length(ref), abs=1.0)
    assert len(gpx.waypoints) == len(route.waypoints)


# ------------------------------------------------------------------------------------------
# CSV
# ------------------------------------------------------------------------------------------
def test_csv_points_and_lines(tiny_graph, tmp_path):
    net = fake_junctions(tiny_graph)
    p = io.save_csv(net.junctions, tmp_path / "j.csv")
    df = pd.read_csv(p)
    assert list(df["number"]) == [11, 27, 3]
    assert "geometry" not in df.columns
    lon, lat = TO_WGS.transform(tiny_graph.nodes[2]["x"], tiny_graph.nodes[2]["y"])
    assert df.loc[1, "lon"] == pytest.approx(lon, abs=1e-6)
    assert df.loc[1, "lat"] == pytest.approx(lat, abs=1e-6)
    lines = net.links.drop(columns="length_m")
    df = pd.read_csv(io.save_csv(lines, tmp_path / "l.csv"))
    assert df["length_m"].tolist() == pytest.approx([1000.0, 1000.0])
    tup = pd.DataFrame({"ids": [(1, 2), (3,)]})
    assert pd.read_csv(io.save_csv(tup, tmp_path / "t.csv"))["ids"].tolist() == ["1;2", "3"]
    with pytest.raises(ValidationError, match="`table`"):
        io.save_csv([1, 2], tmp_path / "x.csv")


def test_gpx_junction_plan():
    G = parcs.load_network()
    net = parcs.points_noeuds(G)
    start = int(net.junctions.index[0])
    neighbour, link_pos = next(iter(net.neighbours(start).items()))
    number = int(net.junctions.loc[neighbour, "number"])
    plan = net.plan(start, [number])
    gpx = gpxpy.parse(io.routes_to_gpx(plan))
    names = [w.name for w in gpx.waypoints]
    assert names == [str(int(net.junctions.loc[start, "number"])), str(number)]
    # the plan follows the link between the two junctions
    pts = [(p.longitude, p.latitude) for p in gpx.tracks[0].segments[0].points]
    link_m = float(net.links.iloc[link_pos]["length_m"])
    assert geodesic_length(pts) == pytest.approx(link_m, rel=0.01)
