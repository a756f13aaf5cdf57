"""Points-nœuds design, validation, planning and exports (parcs.junctions).

References are computed here independently with networkx (shortest paths, junction pairs
connected without passing other junctions), gpxpy/geopandas (files read back) and brute-force
pairwise checks.
"""

from __future__ import annotations

import itertools
import math

import geopandas as gpd
import gpxpy
import networkx as nx
import numpy as np
import pytest
from pyproj import Transformer
from shapely.geometry import LineString

import parcs
from parcs.errors import NodeNotFoundError, NumberingError, ValidationError
from parcs.junctions import JunctionNetwork, points_noeuds

X0, Y0 = 690_000.0, 7_032_000.0


def make_graph(coords, edges, *, connectors=()):
    """A parcs-format graph from node coordinates and straight edges (hand-made)."""
    to_wgs = Transformer.from_crs(2154, 4326, always_xy=True)
    G = nx.MultiDiGraph(crs="EPSG:2154", name="hand-made", source="fixture")
    for n, (x, y) in coords.items():
        lon, lat = to_wgs.transform(x, y)
        G.add_node(n, x=x, y=y, lon=lon, lat=lat)
    for u, v in [*edges, *connectors]:
        built = (u, v) not in connectors
        line = LineString([coords[u], coords[v]])
        attrs = {
            "length": line.length,
            "est_length": line.length * (1.0 if built else 1.5),
            "kind": "cavalier" if built else "connector",
            "eurovelo": False,
            "routes": "",
            "name": "",
            "source": "cavaliers" if built else "gap",
            "built": built,
            "surface": "",
        }
        G.add_edge(u, v, 0, geometry=line, **attrs)
        G.add_edge(v, u, 0, geometry=LineString(line.coords[::-1]), **attrs)
    for n in G.nodes:
        G.nodes[n]["street_count"] = len(set(G.successors(n)))
    return G


def grid(nx_: int, ny: int, step: float = 1000.0):
    coords = {i * ny + j: (X0 + step * i, Y0 + step * j) for i in range(nx_) for j in range(ny)}
    edges = [(i * ny + j, i * ny + j + 1) for i in range(nx_) for j in range(ny - 1)]
    edges += [(i * ny + j, (i + 1) * ny + j) for i in range(nx_ - 1) for j in range(ny)]
    return make_graph(coords, edges)


def undirected_built(G):
    H = nx.Graph()
    for u, v, d in G.edges(data=True):
        if d["built"]:
            w = d["est_length"]
            if not H.has_edge(u, v) or H[u][v]["weight"] > w:
                H.add_edge(u, v, weight=w)
    return H


def reference_links(G, junctions):
    """Junction pairs joined by a path that passes no other junction, with its length."""
    H = undirected_built(G)
    out = {}
    for a, b in itertools.combinations(sorted(junctions), 2):
        K = H.subgraph([n for n in H if n not in junctions or n in (a, b)])
        try:
            out[(a, b)] = nx.shortest_path_length(K, a, b, weight="weight")
        except (nx.NetworkXNoPath, nx.NodeNotFound):
            continue
    return out


def check_numbering(net, min_reuse_m):
    j = net.junctions
    nums = j["number"].to_numpy()
    assert ((nums >= 1) & (nums <= 99)).all()
    xy = np.column_stack([j.geometry.x, j.geometry.y])
    for a, b in itertools.combinations(range(len(j)), 2):
        if nums[a] == nums[b]:
            assert math.dist(xy[a], xy[b]) >= min_reuse_m
    number = dict(zip(j.index, nums, strict=True))
    for f, t in zip(net.links["from_node"], net.links["to_node"], strict=True):
        assert number[f] != number[t]


# --------------------------------------------------------------------------- hand-made graphs


def link_edges(G, row):
    """Undirected edges under a link line (matched on node coordinates)."""
    at = {(round(d["x"], 3), round(d["y"], 3)): n for n, d in G.nodes(data=True)}
    nodes = [
        at[(round(x, 3), round(y, 3))]
        for x, y in row.geometry.coords
        if (round(x, 3), round(y, 3)) in at
    ]
    return {frozenset(p) for p in zip(nodes[:-1], nodes[1:], strict=True)}


def test_pruning_keeps_connectivity_and_coverage():
    G = grid(6, 6)
    full = points_noeuds(
        G, min_link_m=1500.0, min_reuse_m=3000.0, include_places=False, prune_links=False
    )
    net = points_noeuds(G, min_link_m=1500.0, min_reuse_m=3000.0, include_places=False)
    assert set(net.junctions.index) == set(full.junctions.index)
    pairs = set(zip(net.links["from_node"], net.links["to_node"], strict=True))
    all_pairs = {tuple(p) for p in zip(full.links["from_node"], full.links["to_node"], strict=True)}
    unordered = {frozenset(p) for p in all_pairs}
    assert {frozenset(p) for p in pairs} < unordered  # some links pruned, none invented
    assert net.report["links_pruned"] == len(full.links) - len(net.links)
    L1, L2 = nx.Graph(list(pairs)), nx.Graph([tuple(p) for p in all_pairs])
    assert nx.number_connected_components(L1) == nx.number_connected_components(L2)
    cover_full = set().union(*(link_edges(G, r) for r in full.links.itertuples()))
    cover = set().union(*(link_edges(G, r) for r in net.links.itertuples()))
    assert cover == cover_full


def test_grid_links_match_networkx_reference():
    G = grid(6, 6)
    net = points_noeuds(
        G, min_link_m=1500.0, min_reuse_m=3000.0, include_places=False, prune_links=False
    )
    junctions = set(net.junctions.index)
    ref = reference_links(G, junctions)
    got = {
        (min(f, t), max(f, t)): length
        for f, t, length in zip(
            net.links["from_node"], net.links["to_node"], net.links["length_m"], strict=True
        )
    }
    assert set(got) == set(ref)
    for key, length in got.items():
        assert length == pytest.approx(ref[key])
    # thinning: no two junctions closer than min_link_m along the network
    H = undirected_built(G)
    for a in sorted(junctions):
        dist = nx.single_source_dijkstra_path_length(H, a, weight="weight")
        assert all(dist[b] >= 1500.0 for b in junctions if b != a)
    check_numbering(net, 3000.0)
    # link geometry runs from from_node to to_node, and its length is the link length
    for row in net.links.itertuples():
        start, end = row.geometry.coords[0], row.geometry.coords[-1]
        assert start == pytest.approx((G.nodes[row.from_node]["x"], G.nodes[row.from_node]["y"]))
        assert end == pytest.approx((G.nodes[row.to_node]["x"], G.nodes[row.to_node]["y"]))
        assert row.geometry.length == pytest.approx(row.length_m)
        assert row.name == f"{row.from_number}-{row.to_number}"
        assert row.from_number <= row.to_number


def test_degree_counts_links():
    G = grid(5, 4)
    net = points_noeuds(G, min_link_m=1500.0, include_places=False)
    counts = {n: 0 for n in net.junctions.index}
    for f, t in zip(net.links["from_node"], net.links["to_node"], strict=True):
        counts[f] += 1
        counts[t] += 1
    assert counts == net.junctions["degree"].to_dict()


def test_long_line_is_split():
    # a 27 km straight greenway of 1 km edges: ends are junctions, then split near 5 km pieces
    coords = {i: (X0 + 1000.0 * i, Y0) for i in range(28)}
    G = make_graph(coords, [(i, i + 1) for i in range(27)])
    net = points_noeuds(G, include_places=False)
    L = net.links["length_m"].to_numpy()
    assert L.max() <= 10_000.0
    assert L.sum() == pytest.approx(27_000.0)
    assert len(net.links) == round(27 / 5)  # 27 km cut into pieces of about 5 km
    assert set(net.junctions["reason"]) == {"end", "split"}


def test_tiny_components_left_out_and_connectors_dropped(tiny_graph):
    G = tiny_graph.copy()
    # add a 300 m separate piece: below min_link_m, left out
    to_wgs = Transformer.from_crs(2154, 4326, always_xy=True)
    for n, (x, y) in {10: (X0 + 5000, Y0), 11: (X0 + 5300, Y0)}.items():
        lon, lat = to_wgs.transform(x, y)
        G.add_node(n, x=x, y=y, lon=lon, lat=lat, street_count=1)
    line = LineString([(X0 + 5000, Y0), (X0 + 5300, Y0)])
    attrs = dict(
        length=300.0,
        est_length=300.0,
        kind="cavalier",
        eurovelo=False,
        routes="",
        name="",
        source="cavaliers",
        built=True,
        surface="",
    )
    G.add_edge(10, 11, 0, geometry=line, **attrs)
    G.add_edge(11, 10, 0, geometry=LineString(line.coords[::-1]), **attrs)
    net = points_noeuds(G, min_link_m=500.0, include_places=False)
    assert net.report["components_left_out"] == 1
    assert not {10, 11, 6} & set(net.junctions.index)  # 6 only touches a connector
    # junctions: 2 (degree 3) and 3 (end once the connector is dropped)
    assert {2, 3} <= set(net.junctions.index)
    with_conn = points_noeuds(G, min_link_m=500.0, include_places=False, built_only=False)
    assert 6 in set(with_conn.junctions.index)


def test_fixed_numbers_and_errors():
    G = grid(5, 5)
    net = points_noeuds(G, min_link_m=1500.0, include_places=False, fixed_numbers={12: 42})
    assert net.junctions.at[12, "number"] == 42
    with pytest.raises(NodeNotFoundError, match="fixed_numbers"):
        points_noeuds(G, fixed_numbers={999: 1})
    nb = next(iter(net.neighbours(12)))
    with pytest.raises(NumberingError, match="adjacent"):
        points_noeuds(G, min_link_m=1500.0, include_places=False, fixed_numbers={12: 5, nb: 5})
    with pytest.raises(NumberingError, match="range"):
        points_noeuds(G, min_link_m=1500.0, include_places=False, fixed_numbers={12: 100})
    with pytest.raises(ValidationError, match="min_link_m"):
        points_noeuds(G, min_link_m=-1.0)
    with pytest.raises(ValidationError, match="max_link_m"):
        points_noeuds(G, min_link_m=5000.0, max_link_m=2000.0)


def test_signs_bearings_and_distances():
    # an L: 0 -(2 km east)- 1 -(3 km north)- 2 -(2 km west)- 3, plus a branch 1 -(2 km south)- 4
    coords = {
        0: (X0, Y0),
        1: (X0 + 2000, Y0),
        2: (X0 + 2000, Y0 + 3000),
        3: (X0, Y0 + 3000),
        4: (X0 + 2000, Y0 - 2000),
    }
    G = make_graph(coords, [(0, 1), (1, 2), (2, 3), (1, 4)])
    net = points_noeuds(G, include_places=False)
    signs = net.signs()
    assert len(signs) == 2 * len(net.links)
    at1 = signs[signs["node"] == 1].set_index("to_node")
    assert at1.loc[0, "bearing_deg"] == 270
    assert at1.loc[4, "bearing_deg"] == 180
    assert at1.loc[3, "bearing_deg"] == 0  # first segment of the link to 3 heads north
    assert at1.loc[3, "distance_km"] == 5.0  # node 2 (degree 2) is not a junction
    assert at1.loc[0, "distance_km"] == 2.0
    num = net.junctions["number"].to_dict()
    assert (at1["to_number"] == [num[n] for n in at1.index]).all()


def test_plan_strip_and_gpx(tmp_path):
    G = grid(7, 3, step=1500.0)
    net = points_noeuds(G, min_link_m=1000.0, min_reuse_m=2000.0, include_places=False)
    j = net.junctions
    # walk three linked junctions a -> b -> c
    a = int(j.index[0])
    b = min(net.neighbours(a))
    c = min(n for n in net.neighbours(b) if n != a)
    nums = [int(j.at[b, "number"]), int(j.at[c, "number"])]
    r = net.plan(a, nums)
    assert r.nodes[0] == a and r.nodes[-1] == c
    assert [w[0] for w in r.waypoints] == [str(j.at[n, "ref"]) for n in (a, b, c)]
    ref = reference_links(G, set(j.index))
    d1, d2 = ref[tuple(sorted((a, b)))], ref[tuple(sorted((b, c)))]
    assert r.length_m == pytest.approx(d1 + d2)
    text = net.strip(r)
    assert (
        text
        == f"{j.at[a, 'ref']} → {j.at[b, 'ref']} ({d1 / 1000:.1f} km) → {j.at[c, 'ref']} ({d2 / 1000:.1f} km)"
    )
    gpx = gpxpy.parse(r.to_gpx(tmp_path / "plan.gpx"))
    assert [w.name for w in gpx.waypoints] == [str(j.at[n, "ref"]) for n in (a, b, c)]
    with pytest.raises(NumberingError, match="no junction carries"):
        net.plan(a, [98])


def test_to_file_roundtrip(tmp_path):
    G = grid(5, 5)
    net = points_noeuds(G, min_link_m=1500.0, include_places=False)
    out = net.to_file(tmp_path / "net.gpkg")
    assert out == [str(tmp_path / "net.gpkg")]
    jj = gpd.read_file(out[0], layer="junctions")
    ll = gpd.read_file(out[0], layer="links")
    assert len(jj) == len(net.junctions) and len(ll) == len(net.links)
    assert sorted(ll["name"]) == sorted(net.links["name"])
    files = net.to_file(tmp_path / "net.geojson", driver="GeoJSON")
    assert [f.rsplit("/", 1)[1] for f in files] == ["net_junctions.geojson", "net_links.geojson"]
    assert len(gpd.read_file(files[0])) == len(net.junctions)
    with pytest.raises(ValidationError, match="driver"):
        net.to_file(tmp_path / "x.shp", driver="ESRI Shapefile")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp file left


def test_validate_report_counts():
    G = grid(6, 6)
    net = points_noeuds(G, min_link_m=1500.0, min_reuse_m=3000.0, include_places=False)
    rep = net.validate().set_index("rule")
    assert list(rep.columns) == ["target", "measured", "ok", "source"]
    L = net.links["length_m"].to_numpy()
    share = np.mean((L >= 1000) & (L <= 5000))
    assert rep.loc["links of 1–5 km", "measured"] == f"{share:.0%}"
    assert rep.loc["linked junctions with the same number", "ok"]
    dead = int((net.junctions["degree"] == 1).sum())
    assert rep.loc["junctions with a single link", "measured"] == f"{dead} of {len(net.junctions)}"


def test_face_loops_of_a_square():
    # a single 4 km x 4 km square with a junction at each corner: one face of 16 km
    coords = {0: (X0, Y0), 1: (X0 + 4000, Y0), 2: (X0 + 4000, Y0 + 4000), 3: (X0, Y0 + 4000)}
    G = make_graph(coords, [(0, 1), (1, 2), (2, 3), (3, 0)])
    net = points_noeuds(G, include_places=False, fixed_numbers={0: 1, 1: 2, 2: 3, 3: 4})
    rep = net.validate().set_index("rule")
    assert rep.loc["median face loop", "measured"] == "16.0 km"
    assert rep.loc["face loops of 8–20 km", "measured"] == "100% of 1"


# --------------------------------------------------------------------------- Artois (embedded)


@pytest.fixture(scope="module")
def artois():
    G = parcs.load_network()
    return G, points_noeuds(G)


def test_artois_acceptance(artois):
    G, net = artois
    assert isinstance(net, JunctionNetwork)
    assert len(net.junctions) > 50
    check_numbering(net, 5000.0)
    again = points_noeuds(G)
    assert net.junctions.equals(again.junctions)
    assert net.links.equals(again.links)
    # every junction is a node of the built network
    built_nodes = {u for u, v, d in G.edges(data=True) if d["built"]}
    assert set(net.junctions.index) <= built_nodes
    # links found by the searches match the networkx reference on this real network
    junctions = set(net.junctions.index)
    H = undirected_built(G)
    for row in net.links.head(40).itertuples():
        K = H.subgraph([n for n in H if n not in junctions or n in (row.from_node, row.to_node)])
        assert nx.shortest_path_length(
            K, row.from_node, row.to_node, weight="weight"
        ) == pytest.approx(row.length_m)
    rep = net.validate()
    assert set(rep["rule"]) >= {
        "links of 1–5 km",
        "links over 10 km",
        "min distance between reused numbers",
    }


def test_artois_plan_and_strip_between_parks(artois):
    G, net = artois
    r = parcs.route(G, "Parc de la Fossette", "Site du Pays à part")
    text = net.strip(r)
    assert " → " in text
    refs = [part.split(" ")[0] for part in text.split(" → ")]
    on_route = [str(net.junctions.at[n, "ref"]) for n in r.nodes if n in net.junctions.index]
    assert refs == [k for k, _ in itertools.groupby(on_route)]
    assert net.strip("Parc de la Fossette", "Site du Pays à part") == text
    # plan from the Fossette park along two links
    start = net.plan("Parc de la Fossette", []).nodes[0]
    nb = min(net.neighbours(start))
    plan = net.plan("Parc de la Fossette", [int(net.junctions.at[nb, "number"])])
    assert plan.nodes[0] == start and plan.nodes[-1] == nb




def test_second_path_between_two_junctions_gets_a_loop_junction():
    # a 2 km x 2 km ring 0-1-2-3 with a 1.5 km spur at 0 and at 2: the two sides of the ring
    # join the same junctions 0 and 2, so one side needs its own junction to be signposted
    coords = {
        0: (X0, Y0),
        1: (X0 + 2000, Y0),
        2: (X0 + 2000, Y0 + 2000),
        3: (X0, Y0 + 2000),
        4: (X0 - 1500, Y0),
        5: (X0 + 3500, Y0 + 2000),
    }
    G = make_graph(coords, [(0, 1), (1, 2), (2, 3), (3, 0), (0, 4), (2, 5)])
    net = points_noeuds(G, include_places=False)
    reasons = net.junctions["reason"].to_dict()
    assert reasons[0] == reasons[2] == "intersection"
    assert sorted(n for n, r in reasons.items() if r == "loop") in ([1], [3])
    covered = set().union(*(link_edges(G, r) for r in net.links.itertuples()))
    ring = {frozenset(e) for e in [(0, 1), (1, 2), (2, 3), (3, 0), (0, 4), (2, 5)]}
    assert covered == ring


KREMS = "/work/shared/data/osm_samples/krems.osm.gz"


@pytest.mark.skipif(not __import__("os").path.exists(KREMS), reason="OSM sample not available")
def test_design_on_an_osm_graph():
    G = parcs.graph_from_osm(path=KREMS)
    net = points_noeuds(G)
    assert len(net.junctions) > 5
    check_numbering(net, 5000.0)
    junctions = set(net.junctions.index)
    H = undirected_built(G)
    for a in sorted(junctions):
        dist = nx.single_source_dijkstra_path_length(H, a, cutoff=1000.0, weight="weight")
        assert not [b for b in dist if b in junctions and b != a and dist[b] < 1000.0 - 1e-6]
    assert points_noeuds(G).links.equals(net.links)
