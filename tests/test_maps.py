"""Tests of parcs.maps: layers, sizes, offline assets, popups (assertions on the page's data).

Hand-made stand-ins for the Route / JunctionNetwork / missing-links objects (duck typing, fields
of docs/graph-format.md) are used alongside the real objects when those exist. The page is read
with ``tests/maps/pages.py`` (its own polyline decoder), not with parcs.maps code.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, Point
from tests.maps.pages import (
    bound,
    fitted_box,
    geojson_layers,
    layer_calls,
    legend_html,
    network_edges,
)

import parcs
from parcs import maps
from parcs.errors import ValidationError

TO_WGS = Transformer.from_crs(2154, 4326, always_xy=True)


@dataclass
class FakeRoute:
    geometry: LineString
    length_m: float
    duration_s: float
    km_by_kind: dict[str, float]
    connector_km: float
    orig_label: str = "Terril A"
    dest_label: str = "Parc B"
    profile: str = "bike"
    waypoints: list[tuple[str, float, float]] = field(default_factory=list)

    @property
    def geometry_wgs84(self) -> LineString:
        return shapely.transform(
            self.geometry, lambda xy: np.column_stack(TO_WGS.transform(xy[:, 0], xy[:, 1]))
        )


@dataclass
class FakeJunctions:
    junctions: gpd.GeoDataFrame
    links: gpd.GeoDataFrame


def fake_route(G) -> FakeRoute:
    nodes = [1, 2, 3, 6]
    coords = [(G.nodes[n]["x"], G.nodes[n]["y"]) for n in nodes]
    line = LineString(coords)
    return FakeRoute(
        geometry=line,
        length_m=line.length,
        duration_s=line.length / (15 / 3.6),
        km_by_kind={"cavalier": 1.0, "eurovelo": 1.0, "connector": 1.0},
        connector_km=1.0,
    )


def fake_junctions(G) -> FakeJunctions:
    nodes = [1, 2, 5, 6]
    pts = [Point(G.nodes[n]["x"], G.nodes[n]["y"]) for n in nodes]
    junctions = gpd.GeoDataFrame(
        {"node": nodes, "number": [11, 27, 3, 42], "degree": [2, 3, 2, 1], "reason": "test"},
        geometry=pts,
        crs="EPSG:2154",
    )
    links = gpd.GeoDataFrame(
        {"name": ["11-27", "27-3"], "length_m": [1000.0, 1000.0]},
        geometry=[LineString([pts[0], pts[1]]), LineString([pts[1], pts[2]])],
        crs="EPSG:2154",
    )
    return FakeJunctions(junctions, links)


def fake_missing_links(G) -> gpd.GeoDataFrame:
    lines = [
        LineString([(G.nodes[4]["x"], G.nodes[4]["y"]), (G.nodes[6]["x"], G.nodes[6]["y"])]),
        LineString([(G.nodes[5]["x"], G.nodes[5]["y"]), (G.nodes[6]["x"], G.nodes[6]["y"])]),
    ]
    return gpd.GeoDataFrame(
        {
            "rank": [2, 1],
            "u": [4, 5],
            "v": [6, 6],
            "straight_m": [2000.0, 1000.0],
            "est_length_m": [3000.0, 1500.0],
            "benefit": [12.5, 99.25],
            "benefit_per_km": [6.25, 99.25],
            "trips_new": [3, 7],
        },
        geometry=lines,
        crs="EPSG:2154",
    )


def render(m: folium.Map) -> str:
    return m.get_root().render()


def geojson_blobs(page: str) -> list[dict]:
    """The FeatureCollections of the GeoJSON layers (places, gaps, isochrones, links)."""
    return [layer["data"] for layer in geojson_layers(page)]


def undirected_count(G) -> dict[str, int]:
    """Independent count of undirected edges by kind (u < v, each key once)."""
    counts: dict[str, int] = {}
    for u, v, _k, d in G.edges(keys=True, data=True):
        if u < v:
            counts[d["kind"]] = counts.get(d["kind"], 0) + 1
    return counts


# ------------------------------------------------------------------------------------------
def test_network_layers_one_feature_per_undirected_edge(tiny_graph):
    m = maps.explore(tiny_graph, tiles=None, places=False)
    page = render(m)
    expected = undirected_count(tiny_graph)
    assert expected == {"cavalier": 4, "eurovelo": 1, "connector": 1}  # the fixture's drawing
    found = {label: len(edges) for label, edges in network_edges(page).items()}
    assert found == {maps.KIND_LABELS[k]: n for k, n in expected.items()}
    for kind in expected:
        assert json.dumps(f"Network: {maps.KIND_LABELS[kind]}") in page
    assert "L.control.layers" in page
    assert "parcs-legend" in page


def test_network_properties_and_dashed_connectors(tiny_graph):
    page = render(maps.explore(tiny_graph, tiles=None, places=False))
    edges = [e for layer in network_edges(page).values() for e in layer]
    by_name = {e.name: e for e in edges if e.name}
    assert by_name["EV5"].kind_label == "EuroVelo 5"
    assert by_name["EV5"].km == pytest.approx(1.0)
    assert sorted(by_name) == ["Cavalier A", "Cavalier B", "Cavalier C", "EV5"]
    connectors = [e for e in edges if e.kind_label == maps.KIND_LABELS["connector"]]
    assert [c.built for c in connectors] == [False]
    assert [e.built for e in edges].count(False) == 1
    assert 'dashArray: built ? null : "6 6"' in page  # parcs.js draws unbuilt edges dashed
    legend = legend_html(page)
    assert "border-top-style:dashed" in legend  # the connector's legend entry


def test_coordinates_are_rounded_and_match_nodes(tiny_graph):
    page = render(maps.explore(tiny_graph, tiles=None, places=False))
    edges = [e for layer in network_edges(page).values() for e in layer]
    coords = [pt for e in edges for part in e.parts for pt in part]
    assert len(coords) == 12  # six straight edges, two vertices each
    for lat, lon in coords:
        assert round(lon, maps.NETWORK_DECIMALS) == pytest.approx(lon, abs=1e-12)
        assert round(lat, maps.NETWORK_DECIMALS) == pytest.approx(lat, abs=1e-12)
    # every node is drawn where pyproj puts it (within the 1e-5 degree rounding)
    for node in tiny_graph.nodes.values():
        lon1, lat1 = TO_WGS.transform(node["x"], node["y"])
        assert any(abs(lon - lon1) <= 6e-6 and abs(lat - lat1) <= 6e-6 for lat, lon in coords)


def test_simplify_reduces_vertices(tiny_graph):
    # replace one edge's geometry by a wiggly line (±1 m noise around a straight line)
    x0, y0 = tiny_graph.nodes[1]["x"], tiny_graph.nodes[1]["y"]
    xs = np.linspace(x0, x0 + 1000, 201)
    ys = y0 + np.where(np.arange(201) % 2, 1.0, -1.0)
    ys[0] = ys[-1] = y0
    wiggle = LineString(np.column_stack([xs, ys]))
    for u, v in ((1, 2), (2, 1)):
        tiny_graph.edges[u, v, 0]["geometry"] = wiggle if u == 1 else wiggle.reverse()
    parcs.graph.invalidate(tiny_graph)  # attributes edited in place

    def n_vertices(simplify_m: float) -> int:
        page = render(maps.explore(tiny_graph, tiles=None, places=False, simplify_m=simplify_m))
        layers = network_edges(page).values()
        return sum(len(part) for layer in layers for e in layer for part in e.parts)

    full = n_vertices(0.0)
    simplified = n_vertices(5.0)
    assert full == 201 + 5 * 2  # the wiggly edge once + 5 straight edges
    assert simplified == 2 + 5 * 2


def test_offline_no_cdn_links(tiny_graph):
    page = render(maps.explore(tiny_graph, tiles=None))
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+stylesheet[^>]+https?:", page)
    assert 'version="1.9.4"' in page  # leaflet inlined
    assert "data:image/png;base64," in page  # leaflet css images inlined
    # with tiles, only the tile URL points outside
    page = render(maps.explore(tiny_graph, tiles="OpenStreetMap"))
    assert "tile.openstreetmap.org" in page
    assert "OpenStreetMap" in page  # the tiles' credit
    assert not re.search(r"<script[^>]+src=", page)
    page = render(maps.explore(tiny_graph, tiles="https://tiles.example/{z}/{x}/{y}.png"))
    assert "https://tiles.example/{z}/{x}/{y}.png" in page


def test_route_layer_popup_and_markers(tiny_graph):
    route = fake_route(tiny_graph)
    m = maps.explore(tiny_graph, tiles=None, routes=[route], places=False)
    page = render(m)
    assert json.dumps("Route: Terril A → Parc B") in page  # layer-control name
    popups = bound(page)
    assert len(popups) == 3  # the line, A and B
    popup = popups[0]
    assert "<b>Terril A → Parc B</b>" in popup  # popup title
    assert "Length: 3.00 km" in popup  # 1000 + 1000 + 1000 m, independent of the code
    assert "Connectors (unbuilt): 1.00 km" in popup
    assert "Duration: 12 min (bike)" in popup  # 3 km at 15 km/h
    assert page.count('class=\\"parcs-endpoint\\"') == 2  # A and B
    assert "Route: Terril A → Parc B" in legend_html(page)


def test_add_route_accepts_single_object(tiny_graph):
    route = fake_route(tiny_graph)
    page = render(maps.explore(tiny_graph, tiles=None, routes=route, places=False))
    assert "Length: 3.00 km" in bound(page)[0]


def test_route_without_geometry_raises(tiny_graph):
    m = maps.explore(tiny_graph, tiles=None, places=False)
    with pytest.raises(ValidationError, match="`route`"):
        maps.add_route(m, object())


def test_junction_markers_one_per_junction(tiny_graph):
    net = fake_junctions(tiny_graph)
    page = render(maps.explore(tiny_graph, tiles=None, junctions=net, places=False))
    (layer,) = layer_calls(page, "junctions")
    assert sorted(int(n) for n in layer["number"]) == [3, 11, 27, 42]
    lon, lat = TO_WGS.transform(tiny_graph.nodes[1]["x"], tiny_graph.nodes[1]["y"])
    i = layer["number"].index("11")  # junction 11 is on node 1
    assert layer["lon"][i] == pytest.approx(lon, abs=1e-6)
    assert layer["lat"][i] == pytest.approx(lat, abs=1e-6)
    assert json.dumps("Points-nœuds") in page
    assert json.dumps("Points-nœuds links") in page
    assert "11-27" in page
    assert "Points-nœuds (numbered junctions)" in legend_html(page)


def test_missing_links_colour_by_rank(tiny_graph):
    gdf = fake_missing_links(tiny_graph)
    page = render(maps.explore(tiny_graph, tiles=None, links=gdf, places=False))
    blob = next(b for b in geojson_blobs(page) if "rank" in b["features"][0]["properties"])
    ranks = [f["properties"]["rank"] for f in blob["features"]]
    assert ranks == [1, 2]  # drawn best first
    colors = [f["properties"]["color"] for f in blob["features"]]
    assert colors[0] != colors[1]
    assert blob["features"][0]["properties"]["benefit"] == pytest.approx(99.25)
    assert "Missing links" in page
    top1 = render(maps.add_missing_links(maps.explore(tiny_graph, tiles=None), gdf, top=1))
    blob = next(b for b in geojson_blobs(top1) if "rank" in b["features"][0]["properties"])
    assert len(blob["features"]) == 1


def test_missing_links_bad_input(tiny_graph):
    m = maps.explore(tiny_graph, tiles=None)
    with pytest.raises(ValidationError, match="`gdf`"):
        maps.add_missing_links(m, [1, 2])
    with pytest.raises(ValidationError, match="`top`"):
        maps.add_missing_links(m, fake_missing_links(tiny_graph), top=0)


def test_isochrone_polygon(tiny_graph):
    poly = Point(tiny_graph.nodes[2]["x"], tiny_graph.nodes[2]["y"]).buffer(800)
    page = render(maps.explore(tiny_graph, tiles=None, isochrone=poly, places=False))
    assert "Isochrone" in page
    blob = next(b for b in geojson_blobs(page) if b["features"][0]["geometry"]["type"] == "Polygon")
    ring = np.asarray(blob["features"][0]["geometry"]["coordinates"][0])
    lon2, lat2 = TO_WGS.transform(tiny_graph.nodes[2]["x"], tiny_graph.nodes[2]["y"])
    assert ring[:, 0].min() < lon2 < ring[:, 0].max()
    assert ring[:, 1].min() < lat2 < ring[:, 1].max()
    with pytest.raises(ValidationError, match="`iso`"):
        maps.add_isochrone(folium.Map(), 42)


def test_fit_bounds_covers_content(tiny_graph):
    page = render(maps.explore(tiny_graph, tiles=None, places=False))
    s, w, n, e = _fitted(page)
    assert n - s < 0.02  # the fixture spans 1 km north-south
    assert e - w < 0.04  # and 2 km east-west
    for node in tiny_graph.nodes.values():
        lon, lat = TO_WGS.transform(node["x"], node["y"])
        assert s - 1e-6 <= lat <= n + 1e-6
        assert w - 1e-6 <= lon <= e + 1e-6


def _fitted(page: str) -> tuple[float, float, float, float]:
    return fitted_box(page)


def test_fit_routes_or_all(tiny_graph):
    route = fake_route(tiny_graph)
    # a short route along the top row, 2 -> 3: node 4 (bottom left) is outside its box
    xy = [(tiny_graph.nodes[n]["x"], tiny_graph.nodes[n]["y"]) for n in (2, 3)]
    route.geometry = LineString(xy)
    lon4, lat4 = TO_WGS.transform(tiny_graph.nodes[4]["x"], tiny_graph.nodes[4]["y"])
    s, w, n, e = _fitted(render(maps.explore(tiny_graph, tiles=None, routes=route)))
    assert lon4 < w
    assert lat4 < s
    s, w, n, e = _fitted(render(maps.explore(tiny_graph, tiles=None, routes=route, fit="all")))
    assert w <= lon4 <= e
    assert s <= lat4 <= n
    with pytest.raises(ValidationError, match="`fit`"):
        maps.explore(tiny_graph, fit="everything")


def test_bad_arguments(tiny_graph):
    with pytest.raises(ValidationError, match="`simplify_m`"):
        maps.explore(tiny_graph, simplify_m=-1)
    with pytest.raises(ValidationError, match="`tiles`"):
        maps.explore(tiny_graph, tiles="no such tiles")
    with pytest.raises(ValidationError, match="`m_or_G`"):
        maps.save_map(42, "x.html")


def test_save_map_atomic_and_from_graph(tiny_graph, tmp_path):
    out = maps.save_map(tiny_graph, tmp_path / "sub" / "m.html", tiles=None)
    assert out.exists()
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in out.parent.iterdir()) == ["m.html"]  # no temp file left
    m = maps.explore(tiny_graph, tiles=None)
    with pytest.raises(ValidationError, match="keyword"):
        maps.save_map(m, tmp_path / "x.html", tiles=None)


def test_layer_functions_combine(tiny_graph):
    m = folium.Map(tiles=None)
    maps.add_network(m, tiny_graph)
    maps.add_route(m, fake_route(tiny_graph), name="my route")
    maps.add_junctions(m, fake_junctions(tiny_graph), links=False)
    maps.add_legend(m, kinds=["cavalier"])
    folium.LayerControl().add_to(m)
    page = render(m)
    assert ".parcs-junction{" in page  # marker CSS added to a map parcs did not create
    assert "my route" in page
    assert json.dumps("Points-nœuds links") not in page
    assert json.dumps("Points-nœuds") in page
    assert len(network_edges(page)) == 3  # three kinds
    legend = legend_html(page)
    assert maps.KIND_LABELS["cavalier"] in legend
    assert maps.KIND_LABELS["eurovelo"] not in legend  # `kinds` chose the network entries
    assert "my route" in legend


# ------------------------------------------------------------------------------------------
# the real embedded network
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def network():
    return parcs.load_network()


def test_whole_network_map_is_small(network, tmp_path):
    out = maps.save_map(network, tmp_path / "net.html", tiles=None, communes=True)
    size = out.stat().st_size
    assert size < 5_000_000
    page = out.read_text(encoding="utf-8")
    found = {label: len(edges) for label, edges in network_edges(page).items()}
    assert found == {maps.KIND_LABELS[k]: n for k, n in undirected_count(network).items()}
    drawn_km = sum(e.km for layer in network_edges(page).values() for e in layer)
    true_km = sum(d["length"] for u, v, d in network.edges(data=True) if u < v) / 1000
    assert drawn_km == pytest.approx(true_km, abs=0.005 * len(network.edges) / 2)


def test_places_layers_match_places(network):
    page = render(maps.explore(network, tiles=None))
    pl = parcs.places(network)
    found: dict[str, int] = {}
    for blob in geojson_blobs(page):
        props = blob["features"][0]["properties"]
        if "area_ha" in props:
            found[props["kind"]] = len(blob["features"])
    expected = pl["kind"].value_counts().to_dict()
    expected.pop("commune")  # communes off by default
    assert found == expected
    row = pl[pl["kind"] == "terril"].iloc[0]
    assert row["name"] in page or json.dumps(row["name"])[1:-1] in page


def test_real_route_popup(network):
    route = parcs.route(network, "Lens", "Liévin")
    page = render(maps.explore(network, tiles=None, routes=[route]))
    popup = bound(page)[0]
    assert f"Length: {route.length_m / 1000:.2f} km" in popup
    assert "<b>Lens → Liévin</b>" in popup


def test_real_isochrone(network):
    iso = parcs.isochrone(network, "Lens", max_s=900)
    page = render(maps.explore(network, tiles=None, isochrone=iso, places=False))
    assert json.dumps("Isochrone: reached network") in page
    blobs = geojson_blobs(page)
    reached = next(b for b in blobs if b["features"] and not b["features"][0]["properties"])
    assert len(reached["features"]) == len(iso.edges)
    poly = next(b for b in blobs if "reached_km" in b["features"][0]["properties"])
    assert poly["features"][0]["properties"]["reached_km"] == pytest.approx(
        iso.reached_km, abs=1e-3
    )


def test_real_junctions_and_links(network):
    net = parcs.points_noeuds(network)
    gaps = parcs.missing_links(network)
    page = render(maps.explore(network, tiles=None, junctions=net, links=gaps))
    (layer,) = layer_calls(page, "junctions")
    assert len(layer["number"]) == len(net.junctions)
    blob = next(b for b in geojson_blobs(page) if "benefit" in b["features"][0]["properties"])
    assert len(blob["features"]) == len(gaps)


def test_static_assets_ship_with_licence():
    static = Path(parcs.__file__).parent / "_static"
    assert (static / "LICENSE-leaflet.txt").read_text().startswith("BSD 2-Clause")
    assert (static / "leaflet.js").stat().st_size > 100_000
    assert (static / "parcs.js").read_text().startswith("/* parcs map helpers")
