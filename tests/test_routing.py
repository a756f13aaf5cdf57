"""Tests of parcs.routing: routes against networkx, matrices, isochrones, alternatives, errors."""

from __future__ import annotations

import itertools
import json
import math

import gpxpy
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pyproj import Geod, Transformer
from shapely.geometry import LineString, Point

import parcs
from parcs.errors import (
    NodeNotFoundError,
    NoPathError,
    PlaceNotFoundError,
    ProfileError,
    SnapError,
    ValidationError,
)
from parcs.profiles import PROFILES
from parcs.routing import Route, alternatives, distance_matrix, isochrone, route

SETTINGS = settings(
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
KINDS = ("cavalier", "eurovelo", "connector", "path", "track")
TO_WGS = Transformer.from_crs(2154, 4326, always_xy=True)
X0, Y0 = 690_000.0, 7_030_000.0


# ------------------------------------------------------------------------------- helpers


def make_graph(
    n: int, edges: list[tuple[int, int, str]], coords: list[tuple[float, float]]
) -> nx.MultiDiGraph:
    """A parcs-format graph from an edge list; connectors get est_length = 1.5 × length."""
    G = nx.MultiDiGraph(crs="EPSG:2154", name="random", source="test")
    for i in range(n):
        x, y = X0 + coords[i][0], Y0 + coords[i][1]
        lon, lat = TO_WGS.transform(x, y)
        G.add_node(i, x=x, y=y, lon=lon, lat=lat, street_count=0)
    for u, v, kind in edges:
        if u == v:
            continue
        key = 0 if not G.has_edge(u, v) else max(G[u][v]) + 1
        line = LineString([(G.nodes[u]["x"], G.nodes[u]["y"]), (G.nodes[v]["x"], G.nodes[v]["y"])])
        built = kind != "connector"
        attrs = {
            "length": line.length,
            "est_length": line.length * (1.0 if built else 1.5),
            "kind": kind,
            "eurovelo": kind == "eurovelo",
            "routes": "",
            "name": "",
            "source": "test",
            "built": built,
            "surface": "",
        }
        G.add_edge(u, v, key, geometry=line, **attrs)
        G.add_edge(v, u, key, geometry=LineString(line.coords[::-1]), **attrs)
    return G


@st.composite
def graphs(draw: st.DrawFn) -> nx.MultiDiGraph:
    n = draw(st.integers(2, 14))
    coords = [
        (draw(st.integers(0, 5000)) * 1.0, draw(st.integers(0, 5000)) * 1.0) for _ in range(n)
    ]
    m = draw(st.integers(1, 3 * n))
    edges = [
        (draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1)), draw(st.sampled_from(KINDS)))
        for _ in range(m)
    ]
    return make_graph(n, edges, coords)


def cost_fn(profile: str, *, avoid: bool = False):
    prof = PROFILES[profile]

    def weight(_u, _v, d):  # d = {key: attrs} for a MultiDiGraph
        vals = [
            a["est_length"] * prof.multiplier(a["kind"])
            for a in d.values()
            if not (avoid and not a["built"])
        ]
        return min(vals) if vals else None

    return weight


def path_cost(G: nx.MultiDiGraph, nodes: list[int], profile: str) -> float:
    w = cost_fn(profile)
    return sum(w(u, v, G[u][v]) for u, v in itertools.pairwise(nodes))


def lonlat(x: float, y: float) -> tuple[float, float]:
    return TO_WGS.transform(x, y)


# ------------------------------------------------------------------ against networkx


@SETTINGS
@given(G=graphs(), data=st.data(), profile=st.sampled_from(sorted(PROFILES)))
def test_route_cost_equals_networkx(G, data, profile):
    o = data.draw(st.integers(0, G.number_of_nodes() - 1))
    d = data.draw(st.integers(0, G.number_of_nodes() - 1))
    try:
        expected = nx.dijkstra_path_length(G, o, d, weight=cost_fn(profile))
    except nx.NetworkXNoPath:
        with pytest.raises(NoPathError) as err:
            route(G, o, d, profile=profile)
        assert err.value.reason == "components"
        return
    r = route(G, o, d, profile=profile)
    assert r.cost == pytest.approx(expected, rel=1e-9, abs=1e-9)
    # the node sequence is a real path whose cost is the reported one
    assert r.nodes[0] == o
    if o != d:
        assert r.nodes[-1] == d
        assert all(G.has_edge(u, v) for u, v in zip(r.nodes, r.nodes[1:], strict=False))
        assert path_cost(G, r.nodes, profile) == pytest.approx(r.cost, rel=1e-9)
    # length/time follow the same edges
    speed = PROFILES[profile].speed_ms
    assert r.duration_s == pytest.approx(r.length_m / speed, rel=1e-9, abs=1e-9)
    assert sum(r.km_by_kind.values()) * 1000 == pytest.approx(r.length_m, rel=1e-9, abs=1e-6)


@SETTINGS
@given(G=graphs(), data=st.data())
def test_avoid_connectors_equals_networkx_without_them(G, data):
    o = data.draw(st.integers(0, G.number_of_nodes() - 1))
    d = data.draw(st.integers(0, G.number_of_nodes() - 1))
    try:
        expected = nx.dijkstra_path_length(G, o, d, weight=cost_fn("bike", avoid=True))
    except nx.NetworkXNoPath:
        with pytest.raises(NoPathError) as err:
            route(G, o, d, avoid_connectors=True)
        reachable_with = nx.has_path(G, o, d)
        assert err.value.reason == ("connectors" if reachable_with else "components")
        assert ("connectors" in str(err.value)) == reachable_with
        return
    r = route(G, o, d, avoid_connectors=True)
    assert r.cost == pytest.approx(expected, rel=1e-9, abs=1e-9)
    assert r.connector_km == 0
    assert "connector" not in r.km_by_kind


@SETTINGS
@given(G=graphs(), data=st.data())
def test_via_points_chain_legs(G, data):
    n = G.number_of_nodes()
    o, v, d = (data.draw(st.integers(0, n - 1)) for _ in range(3))
    w = cost_fn("walk")
    try:
        expected = nx.dijkstra_path_length(G, o, v, weight=w) + nx.dijkstra_path_length(
            G, v, d, weight=w
        )
    except nx.NetworkXNoPath:
        with pytest.raises(NoPathError):
            route(G, o, d, via=[v], profile="walk")
        return
    r = route(G, o, d, via=[v], profile="walk")
    assert r.cost == pytest.approx(expected, rel=1e-9, abs=1e-9)
    assert v in r.nodes or (o == v == d)
    assert [name for name, _, _ in r.waypoints] == [f"node {o}", f"node {v}", f"node {d}"]


@SETTINGS
@given(G=graphs(), weight=st.sampled_from(["time", "length", "cost"]))
def test_distance_matrix_equals_networkx(G, weight):
    prof = PROFILES["ebike"]
    nodes = list(G.nodes)[:5]

    def w(_u, _v, d):
        # the matrix follows the cheapest path in `weight`: length and time share their argmin
        vals = []
        for a in d.values():
            if weight == "cost":
                vals.append(a["est_length"] * prof.multiplier(a["kind"]))
            elif weight == "time":
                vals.append(a["est_length"] / prof.speed_ms)
            else:
                vals.append(a["est_length"])
        return min(vals)

    df = distance_matrix(G, nodes, nodes[::-1], profile="ebike", weight=weight)
    assert list(df.index) == [f"node {n}" for n in nodes]
    assert list(df.columns) == [f"node {n}" for n in nodes[::-1]]
    for o in nodes:
        ref = nx.single_source_dijkstra_path_length(G, o, weight=w)
        for d in nodes:
            got = df.loc[f"node {o}", f"node {d}"]
            if d in ref:
                assert got == pytest.approx(ref[d], rel=1e-9, abs=1e-9)
            else:
                assert math.isinf(got)


def split_at(H: nx.MultiGraph, name: str, x: float, y: float) -> bool:
    """Insert node `name` at the nearest point of the nearest edge of the undirected `H`.

    Brute force over every edge (independent of the STRtree used by parcs). Returns False when
    the nearest edge is ambiguous (two edges at the same distance, snapped inside them).
    """
    pt = Point(x, y)
    scored = sorted(
        ((d["geometry"].distance(pt), u, v, k) for u, v, k, d in H.edges(keys=True, data=True)),
        key=lambda t: t[0],
    )
    best, u, v, k = scored[0]
    data = H.edges[u, v, k]
    line = data["geometry"]
    if line.coords[0] != (H.nodes[u]["x"], H.nodes[u]["y"]):
        u, v = v, u
    snapped = line.interpolate(line.project(pt))
    for dist, a, b, kk in scored[1:]:
        other = H.edges[a, b, kk]["geometry"]
        if dist <= best + 1e-6 and other.interpolate(other.project(pt)).distance(snapped) > 1e-6:
            return False
    if line.length == 0:
        return False
    f = line.project(pt) / line.length
    H.add_node(
        name, x=line.interpolate(f, normalized=True).x, y=line.interpolate(f, normalized=True).y
    )
    H.remove_edge(u, v, k)
    for a, b, frac in ((u, name, f), (name, v, 1 - f)):
        part = dict(data)
        part["est_length"] = data["est_length"] * frac
        part["geometry"] = LineString(
            [(H.nodes[a]["x"], H.nodes[a]["y"]), (H.nodes[b]["x"], H.nodes[b]["y"])]
        )
        H.add_edge(a, b, **part)
    return True


@SETTINGS
@given(G=graphs(), data=st.data())
def test_points_route_equals_networkx_on_split_graph(G, data):
    """Snapped points: route cost = networkx on a graph split at the snapped points."""
    # one edge per node pair, so that parallel edges cannot tie for the nearest edge
    H = nx.MultiGraph()
    H.add_nodes_from(G.nodes(data=True))
    for u, v, k, d in G.edges(keys=True, data=True):
        if k == 0 and u < v:
            H.add_edge(u, v, **d)
    assume(H.number_of_edges() > 0)
    Gs = make_graph(
        G.number_of_nodes(),
        [(u, v, d["kind"]) for u, v, d in H.edges(data=True)],
        [(G.nodes[n]["x"] - X0, G.nodes[n]["y"] - Y0) for n in sorted(G.nodes)],
    )
    pts = [
        (X0 + data.draw(st.floats(-200, 5200)), Y0 + data.draw(st.floats(-200, 5200)))
        for _ in range(2)
    ]
    assume(split_at(H, "o", *pts[0]))
    assume(split_at(H, "d", *pts[1]))
    w = cost_fn("bike")
    try:
        expected = nx.dijkstra_path_length(H, "o", "d", weight=w)
    except nx.NetworkXNoPath:
        with pytest.raises(NoPathError):
            route(Gs, lonlat(*pts[0]), lonlat(*pts[1]), max_snap_m=1e5)
        return
    r = route(Gs, lonlat(*pts[0]), lonlat(*pts[1]), max_snap_m=1e5)
    assert r.cost == pytest.approx(expected, rel=1e-6, abs=1e-6)
    start, end = r.geometry.coords[0], r.geometry.coords[-1]
    assert start == pytest.approx((H.nodes["o"]["x"], H.nodes["o"]["y"]), abs=1e-6)
    assert end == pytest.approx((H.nodes["d"]["x"], H.nodes["d"]["y"]), abs=1e-6)


# ------------------------------------------------------------ hand-checked on tiny_graph


def test_distance_matrix_points_hand_checked(tiny_graph):
    pa, pb = lonlat(690_250, 7_032_000), lonlat(690_750, 7_032_000)  # 1/4 and 3/4 along 1-2
    df = distance_matrix(tiny_graph, [pa, pb, 1], [pb, 6], weight="length")
    expected = [[500, 750 + 1000 + 1500], [0, 250 + 1000 + 1500], [750, 3500]]
    np.testing.assert_allclose(df.to_numpy(), expected, atol=1e-6)
    cost = distance_matrix(tiny_graph, [pa], [6], weight="cost")
    assert cost.iloc[0, 0] == pytest.approx(750 + 1000 + 1500 / 1.5 * 1.5 * 4)
    with pytest.raises(ValidationError, match="`weight` must be one of"):
        distance_matrix(tiny_graph, [1], [2], weight="speed")


def test_partial_edges_hand_checked(tiny_graph):
    # 1/4 along 1-2 (10 m north of it) to the middle of 4-5: 250 back to 1, 1-4, 500 on 4-5
    o = lonlat(690_250, 7_032_010)
    d = lonlat(690_500, 7_030_995)
    r = route(tiny_graph, o, d)
    assert r.length_m == pytest.approx(1750, abs=1e-6)
    assert r.cost == pytest.approx(1750, abs=1e-6)
    assert r.duration_s == pytest.approx(1750 / (15 / 3.6), rel=1e-9)
    assert r.nodes == [1, 4]
    assert r.km_by_kind == pytest.approx({"cavalier": 1.75})
    coords = np.asarray(r.geometry.coords)
    np.testing.assert_allclose(coords[0], (690_250, 7_032_000), atol=1e-6)
    np.testing.assert_allclose(coords[-1], (690_500, 7_031_000), atol=1e-6)
    assert r.geometry.length == pytest.approx(1750, abs=1e-6)


def test_partial_connector_edge(tiny_graph):
    # the middle of the 3-6 connector (1000 m straight, est 1500 m, cost ×4) from node 2
    d = lonlat(692_000, 7_031_500)
    r = route(tiny_graph, 2, d)
    assert r.length_m == pytest.approx(1000 + 750, abs=1e-6)
    assert r.cost == pytest.approx(1000 + 750 * 4, abs=1e-6)
    assert r.km_by_kind == pytest.approx({"eurovelo": 1.0, "connector": 0.75})
    assert r.connector_km == pytest.approx(0.75)
    assert r.geometry.length == pytest.approx(1500, abs=1e-6)  # drawn length, not est_length


@pytest.mark.parametrize(("fo", "fd"), [(0.2, 0.7), (0.7, 0.2)])
def test_orig_and_dest_on_same_edge(tiny_graph, fo, fd):
    o = lonlat(690_000 + 1000 * fo, 7_032_000)
    d = lonlat(690_000 + 1000 * fd, 7_032_000)
    r = route(tiny_graph, o, d)
    assert r.length_m == pytest.approx(500, abs=1e-6)
    assert r.nodes == []
    assert r.geometry.coords[0][0] == pytest.approx(690_000 + 1000 * fo)
    assert r.geometry.coords[-1][0] == pytest.approx(690_000 + 1000 * fd)


def test_same_edge_but_shorter_around(tiny_graph):
    # two points near both ends of the connector 3-6 with huge cost: still the direct way
    G = tiny_graph
    o, d = lonlat(692_000, 7_031_900), lonlat(692_000, 7_031_100)
    r = route(G, o, d)
    assert r.length_m == pytest.approx(800 * 1.5)


@pytest.mark.parametrize("loc", [1, (2.87, 50.386)])
def test_orig_equals_dest_is_zero_route(tiny_graph, loc):
    r = route(tiny_graph, loc, loc)
    assert r.length_m == 0
    assert r.duration_s == 0
    assert r.cost == 0
    assert r.geometry.length == 0


def test_single_via_needs_no_list(tiny_graph):
    point = lonlat(690_000, 7_031_000)  # node 4
    assert route(tiny_graph, 1, 5, via=point).nodes == [1, 4, 5]
    assert route(tiny_graph, 1, 5, via=[point]).nodes == [1, 4, 5]


def test_arrays_are_built_once_and_cached_on_the_graph(tiny_graph):
    from parcs.csr import csr_of

    a = route(tiny_graph, 1, 6)
    csr = csr_of(tiny_graph)
    b = route(tiny_graph, 1, 6)
    assert csr_of(tiny_graph) is csr  # no second conversion
    assert a.nodes == b.nodes == [1, 2, 3, 6]
    assert a.length_m == b.length_m == pytest.approx(3500)
    assert len(tiny_graph.graph) == 3  # nothing stored in the graph attributes


def test_structural_change_rebuilds_and_attribute_edit_needs_invalidate(tiny_graph):
    from parcs.csr import csr_of
    from parcs.graph import invalidate

    assert route(tiny_graph, 4, 6).length_m == pytest.approx(4500)
    old = csr_of(tiny_graph)
    attrs = dict(tiny_graph.edges[1, 2, 0])
    tiny_graph.add_edge(5, 6, 0, **attrs)  # networkx clears its cache: parcs sees the edge
    tiny_graph.add_edge(6, 5, 0, **attrs)
    assert csr_of(tiny_graph) is not old
    assert route(tiny_graph, 4, 6).nodes == [4, 5, 6]
    for u, v in ((4, 5), (5, 4)):  # an in-place edit is not seen until invalidate(G)
        tiny_graph.edges[u, v, 0]["est_length"] = 5000.0
    assert route(tiny_graph, 4, 6).length_m == pytest.approx(2000)
    invalidate(tiny_graph)
    assert route(tiny_graph, 4, 6).nodes == [4, 1, 2, 5, 6]


def test_route_exports(tiny_graph, tmp_path):
    r = route(tiny_graph, 4, 3)
    gdf = r.to_gdf()
    assert gdf.crs.to_epsg() == 2154
    assert gdf.loc[0, "length_m"] == pytest.approx(3000)
    assert gdf.loc[0, "km_cavalier"] == pytest.approx(2.0)
    feat = json.loads(r.to_geojson())["features"][0]
    assert feat["geometry"]["type"] == "LineString"
    lon, lat = feat["geometry"]["coordinates"][0]
    assert (lon, lat) == pytest.approx((tiny_graph.nodes[4]["lon"], tiny_graph.nodes[4]["lat"]))
    path = tmp_path / "r.gpx"
    text = r.to_gpx(path)
    assert path.read_text(encoding="utf-8") == text
    assert not [p for p in tmp_path.iterdir() if p.name != "r.gpx"]  # no temp file left


def test_gpx_round_trip_length(tiny_graph):
    """GPX read back with gpxpy keeps the points; lengths agree.

    Tolerances: the points read back equal the route's WGS84 points to 1e-9° (~0.1 mm), so
    the geodesic (pyproj Geod) length of the read-back track is within 1 m of the route's.
    gpxpy's own haversine length (sphere) is compared within 0.5 %, the sphere/ellipsoid gap.
    """
    r = route(tiny_graph, lonlat(690_100, 7_032_000), lonlat(692_000, 7_031_300))
    gpx = gpxpy.parse(r.to_gpx())
    pts = [(p.longitude, p.latitude) for p in gpx.tracks[0].segments[0].points]
    np.testing.assert_allclose(pts, np.asarray(r.geometry_wgs84.coords), atol=1e-9)
    geod = Geod(ellps="WGS84")
    assert geod.geometry_length(LineString(pts)) == pytest.approx(
        geod.geometry_length(r.geometry_wgs84), abs=1.0
    )
    assert gpx.tracks[0].length_2d() == pytest.approx(
        geod.geometry_length(r.geometry_wgs84), rel=5e-3
    )
    # drawn length in Lambert-93 vs geodesic: the Lambert-93 scale factor at 50.4°N is ~1.0014
    assert r.geometry.length == pytest.approx(geod.geometry_length(r.geometry_wgs84), rel=2e-3)
    assert [w.name for w in gpx.waypoints] == [r.orig_label, r.dest_label]


# ----------------------------------------------------------------------- error cases


def test_point_too_far_gives_distance(tiny_graph):
    far = lonlat(690_000, 7_035_000)  # 3 km north of node 1
    with pytest.raises(SnapError, match=r"3,000 m from the nearest path") as err:
        route(tiny_graph, far, 1)
    assert err.value.distance_m == pytest.approx(3000, abs=1e-3)
    assert "`max_snap_m`=500" in str(err.value)
    r = route(tiny_graph, far, 1, max_snap_m=3500)  # allowed when asked
    assert r.length_m == 0


def test_unreachable_components(tiny_graph):
    tiny_graph.add_node(7, x=700_000.0, y=7_032_000.0, lon=3.0, lat=50.4, street_count=0)
    with pytest.raises(NoPathError, match="different connected parts") as err:
        route(tiny_graph, 1, 7)
    assert err.value.reason == "components"
    assert "6 of 7 nodes" in str(err.value)


def test_unreachable_without_connectors(tiny_graph):
    with pytest.raises(NoPathError, match="only through connectors") as err:
        route(tiny_graph, 1, 6, avoid_connectors=True)
    assert err.value.reason == "connectors"


def test_unknown_profile(tiny_graph):
    with pytest.raises(ProfileError, match=r"unknown `profile` 'car'.*'bike'"):
        route(tiny_graph, 1, 2, profile="car")


def test_unknown_node(tiny_graph):
    with pytest.raises(NodeNotFoundError, match=r"`dest` node 99 is not in the graph"):
        route(tiny_graph, 1, 99)


def test_bad_location_type(tiny_graph):
    with pytest.raises(ValidationError, match=r"`orig` must be"):
        route(tiny_graph, 1.5, 2)
    with pytest.raises(ValidationError, match=r"latitude 95 outside"):
        route(tiny_graph, (2.8, 95.0), 2)


def test_place_without_access_node(tiny_graph):
    place = pd.Series({"name": "Nowhere", "access_nodes": (), "access_dist_m": 4200.0})
    with pytest.raises(NoPathError, match=r"'Nowhere' has no access node .*4,200 m"):
        route(tiny_graph, place, 1)


def test_place_row_routes_from_best_access_node(tiny_graph):
    place = pd.Series({"name": "Parc", "access_nodes": (4, 3), "access_dist_m": 0.0})
    r = route(tiny_graph, place, 6)
    assert r.nodes == [3, 6]  # from access node 3, not 4
    assert r.orig_label == "Parc"


# ------------------------------------------------------------------------ isochrones


def reached_reference(G, orig, limit_m):
    """Independent reached length: per undirected edge, cover from both ends (networkx)."""
    dist = nx.single_source_dijkstra_path_length(
        G, orig, weight=lambda _u, _v, d: min(a["est_length"] for a in d.values())
    )
    total = 0.0
    seen = set()
    for u, v, k, a in G.edges(keys=True, data=True):
        e = (min(u, v), max(u, v), k)
        if e in seen:
            continue
        seen.add(e)
        w = a["est_length"]
        cu = max(0.0, limit_m - dist[u]) if u in dist else 0.0
        cv = max(0.0, limit_m - dist[v]) if v in dist else 0.0
        total += min(w, cu + cv)
    return total


@SETTINGS
@given(G=graphs(), data=st.data())
def test_isochrone_reached_length(G, data):
    o = data.draw(st.integers(0, G.number_of_nodes() - 1))
    limit = data.draw(st.floats(0, 8000))
    iso = isochrone(G, o, max_m=limit)
    assert iso.reached_km * 1000 == pytest.approx(
        reached_reference(G, o, limit), rel=1e-9, abs=1e-6
    )
    assert all(iso.polygon.covers(g) for g in iso.edges.geometry)
    assert iso.polygon.contains(iso.polygon.centroid) or iso.polygon.area > 0


def test_isochrone_time_on_tiny(tiny_graph):
    # 6 minutes on foot = 450 m from node 2: half-way... 450 m on each of 2-1, 2-3, 2-5
    iso = isochrone(tiny_graph, 2, max_s=360, profile="walk")
    assert iso.reached_km == pytest.approx(1.35)
    assert sorted(iso.edges["reached_fraction"]) == pytest.approx([0.45] * 3)
    gdf = iso.to_gdf()
    assert gdf.crs.to_epsg() == 2154
    assert gdf.loc[0, "geometry"].area == pytest.approx(iso.polygon.area)


def test_isochrone_from_point(tiny_graph):
    iso = isochrone(tiny_graph, lonlat(690_500, 7_032_000), max_m=700)
    # 700 m both ways along 1-2, then 200 m on 1-4 and 2-5, 200 m on 2-3
    assert iso.reached_km == pytest.approx((1000 + 200 + 200 + 200) / 1000)


def test_isochrone_needs_one_limit(tiny_graph):
    with pytest.raises(ValidationError, match="exactly one of `max_s` and `max_m`"):
        isochrone(tiny_graph, 1)
    with pytest.raises(ValidationError, match="`max_m` must be a finite number >= 0"):
        isochrone(tiny_graph, 1, max_m=-5)


# ---------------------------------------------------------------------- alternatives


def grid(n: int, step: float = 500.0) -> nx.MultiDiGraph:
    coords = [(i * step, j * step) for j in range(n) for i in range(n)]
    edges = []
    for j in range(n):
        for i in range(n):
            a = j * n + i
            if i + 1 < n:
                edges.append((a, a + 1, "cavalier"))
            if j + 1 < n:
                edges.append((a, a + n, "cavalier"))
    return make_graph(n * n, edges, coords)


def node_edges(G, r: Route):
    """Metres per undirected edge from the node sequence (independent of edge_m)."""
    out = {}
    for u, v in zip(r.nodes, r.nodes[1:], strict=False):
        e = (min(u, v), max(u, v))
        out[e] = out.get(e, 0.0) + G[u][v][0]["est_length"]
    return out


@pytest.mark.parametrize("max_overlap", [0.3, 0.6])
def test_alternatives_overlap_limit(max_overlap):
    G = grid(5)
    routes = alternatives(G, 0, 24, k=3, max_overlap=max_overlap)
    assert routes[0].cost == pytest.approx(
        nx.dijkstra_path_length(G, 0, 24, weight=cost_fn("bike"))
    )
    assert len(routes) == 3
    for i, r in enumerate(routes):
        assert r.nodes[0] == 0
        assert r.nodes[-1] == 24
        assert all(G.has_edge(u, v) for u, v in zip(r.nodes, r.nodes[1:], strict=False))
        assert r.cost == pytest.approx(path_cost(G, r.nodes, "bike"))  # real, not penalised
        ei = node_edges(G, r)
        for earlier in routes[:i]:
            ej = node_edges(G, earlier)
            shared = sum(min(m, ej[e]) for e, m in ei.items() if e in ej)
            assert shared / r.length_m <= max_overlap + 1e-9


def simple_copy(G: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """The same graph without parallel edges (so node sequences identify edges)."""
    edges = [(u, v, d["kind"]) for u, v, k, d in G.edges(keys=True, data=True) if k == 0 and u < v]
    coords = [(G.nodes[n]["x"] - X0, G.nodes[n]["y"] - Y0) for n in sorted(G.nodes)]
    return make_graph(G.number_of_nodes(), edges, coords)


@SETTINGS
@given(G=graphs(), data=st.data(), max_overlap=st.sampled_from([0.0, 0.5, 0.9]))
def test_alternatives_properties(G, data, max_overlap):
    G = simple_copy(G)
    o = data.draw(st.integers(0, G.number_of_nodes() - 1))
    d = data.draw(st.integers(0, G.number_of_nodes() - 1))
    assume(o != d and nx.has_path(G, o, d))
    routes = alternatives(G, o, d, k=3, max_overlap=max_overlap)
    assert 1 <= len(routes) <= 3
    best = nx.dijkstra_path_length(G, o, d, weight=cost_fn("bike"))
    assert routes[0].cost == pytest.approx(best, rel=1e-9)
    for i, r in enumerate(routes):
        assert r.nodes[0] == o
        assert r.nodes[-1] == d
        assert all(G.has_edge(u, v) for u, v in itertools.pairwise(r.nodes))
        assert r.cost == pytest.approx(path_cost(G, r.nodes, "bike"), rel=1e-9)
        assert r.cost >= best - 1e-9
        ei = node_edges(G, r)
        for earlier in routes[:i]:
            ej = node_edges(G, earlier)
            shared = sum(min(m, ej[e]) for e, m in ei.items() if e in ej)
            assert shared <= max_overlap * r.length_m + 1e-6


def test_alternatives_single_path_graph(tiny_graph):
    # every way to 6 rides 2-3-6 (2.5 km): the detour 1-4-5-2 makes it 2.5 of 5.5 km (45 %)
    routes = alternatives(tiny_graph, 1, 6, k=3, max_overlap=0.6)
    assert [r.nodes for r in routes] == [[1, 2, 3, 6], [1, 4, 5, 2, 3, 6]]
    assert len(alternatives(tiny_graph, 1, 6, k=3, max_overlap=0.4)) == 1
    with pytest.raises(ValidationError, match="`penalty` must be > 1"):
        alternatives(tiny_graph, 1, 6, penalty=1.0)


# ------------------------------------------------------------------ embedded network


@pytest.fixture(scope="module")
def artois():
    return parcs.load_network()


@pytest.mark.parametrize(
    ("a", "b", "profile"),
    [
        ("Lens", "Béthune", "bike"),
        ("Liévin", "Loos-en-Gohelle", "walk"),
        ("Lens", "Hénin-Beaumont", "ebike"),
    ],
)
def test_artois_named_places_equal_networkx(artois, a, b, profile):
    G = artois
    pa, pb = parcs.find_place(G, a), parcs.find_place(G, b)
    w = cost_fn(profile)
    best = math.inf
    dist = nx.multi_source_dijkstra_path_length(G, set(pa["access_nodes"]), weight=w)
    best = min(dist.get(t, math.inf) for t in pb["access_nodes"])
    if math.isinf(best):
        with pytest.raises(NoPathError):
            route(G, a, b, profile=profile)
        return
    r = route(G, a, b, profile=profile)
    assert r.cost == pytest.approx(best, rel=1e-9)
    assert r.nodes[0] in pa["access_nodes"]
    assert r.nodes[-1] in pb["access_nodes"]
    assert path_cost(G, r.nodes, profile) == pytest.approx(r.cost, rel=1e-9)
    assert r.orig_label == pa["name"]


def test_artois_unknown_place_suggests(artois):
    with pytest.raises(PlaceNotFoundError, match=r"Did you mean: .*'Lens'"):
        route(artois, "Lenss", "Béthune")


def test_artois_matrix_communes_x_parks(artois):
    G = artois
    places = parcs.places(G)
    communes = places[(places["kind"] == "commune") & (places["access_nodes"].map(len) > 0)].head(4)
    parks = places[(places["kind"] != "commune") & (places["access_nodes"].map(len) > 0)].head(3)
    df = distance_matrix(G, communes, parks, weight="length")
    assert df.shape == (4, 3)
    assert list(df.index) == list(communes["name"])
    wl = lambda _u, _v, d: min(a["est_length"] for a in d.values())  # noqa: E731
    for (_, c), label in zip(communes.iterrows(), df.index, strict=False):
        dist = nx.multi_source_dijkstra_path_length(G, set(c["access_nodes"]), weight=wl)
        for (_, p), col in zip(parks.iterrows(), df.columns, strict=False):
            ref = min(dist.get(t, math.inf) for t in p["access_nodes"])
            got = df.loc[label, col]
            assert got == pytest.approx(ref, rel=1e-9) if math.isfinite(ref) else math.isinf(got)


def test_swapped_lon_lat_is_pointed_out(artois):
    from parcs.errors import SnapError

    lon, lat = artois.nodes[0]["lon"], artois.nodes[0]["lat"]
    with pytest.raises(SnapError, match="are lon and lat swapped") as exc:
        parcs.route(artois, (lat, lon), 0)
    assert exc.value.distance_m > 1_000_000
