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
from shapely.geometry import LineString, Point

import parcs
from parcs.errors import NodeNotFoundError, NumberingError, ValidationError
from parcs.junctions import JunctionNetwork, points_noeuds
from parcs.junctions.validation import face_loops
from tests.junctions.reference import check_structure
from tests.junctions.reference import link_edges as signed_link_edges
from tests.junctions.reference import make_graph as make_signed_graph
from tests.samples import OSM_SAMPLES, needs_osm_samples

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


def path_grid(nx_: int, ny: int, step: float = 1000.0):
    """A HAND-MADE grid of paths (not core ways: the selection and pruning apply)."""
    coords = {i * ny + j: (X0 + step * i, Y0 + step * j) for i in range(nx_) for j in range(ny)}
    edges = [(i * ny + j, i * ny + j + 1) for i in range(nx_) for j in range(ny - 1)]
    edges += [(i * ny + j, (i + 1) * ny + j) for i in range(nx_ - 1) for j in range(ny)]
    return make_signed_graph(coords, edges, kinds=["path"] * len(edges))


def signed_lengths(net):
    """The signed network rebuilt from the link lines (tests/junctions/reference.py)."""
    H = nx.Graph()
    for _row, _nodes, edges in signed_link_edges(net):
        for u, v, k in edges:
            H.add_edge(u, v, weight=net.graph.edges[u, v, k]["est_length"])
    return H


def test_pruning_merges_small_loops_and_keeps_the_network_whole():
    G = path_grid(9, 9)  # 8 x 8 km of 1 km squares: every face is a 4 km loop
    full = points_noeuds(G, network="all", include_places=False, prune_links=False)
    net = points_noeuds(G, network="all", include_places=False)
    H_full, H = check_structure(full), check_structure(net)
    assert {frozenset(e) for e in H_full.edges()} == {
        frozenset((u, v)) for u, v in G.edges() if u < v
    }  # unpruned, every way of the grid is signed
    assert {frozenset(e) for e in H.edges()} < {frozenset(e) for e in H_full.edges()}
    assert nx.is_connected(nx.Graph(H))
    assert net.report["links_taken_off"]["small_loops"] > 0
    loops_full = face_loops(full.links)
    loops = face_loops(net.links)
    assert np.median(loops_full) == pytest.approx(4000.0)
    assert np.median(loops) >= 8000.0
    assert len(net.links) < len(full.links)


def test_grid_links_match_networkx_reference():
    G = grid(6, 6)
    net = points_noeuds(G, min_link_m=1500.0, min_reuse_m=3000.0, include_places=False)
    check_structure(net)
    junctions = set(net.junctions.index)
    H = signed_lengths(net)
    ref = {}
    for a, b in itertools.combinations(sorted(junctions), 2):
        K = H.subgraph([n for n in H if n not in junctions or n in (a, b)])
        if a in K and b in K and nx.has_path(K, a, b):
            ref[(a, b)] = nx.shortest_path_length(K, a, b, weight="weight")
    got = {
        (min(f, t), max(f, t)): length
        for f, t, length in zip(
            net.links["from_node"], net.links["to_node"], net.links["length_m"], strict=True
        )
    }
    assert set(got) == set(ref)  # one link per pair of junctions joined without another one
    for key, length in got.items():
        assert length == pytest.approx(ref[key])
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
    # every junction is a node of the built network the design ran on (G with long edges cut)
    D = net.graph
    built_nodes = {u for u, v, d in D.edges(data=True) if d["built"]}
    assert set(net.junctions.index) <= built_nodes
    assert {n for n in net.junctions.index if n not in G} == {
        n for n, r in net.junctions["reason"].items() if r == "split" and n < 0
    }
    # the signed network rebuilt from the link lines: one link per edge, junctions at every
    # branch point, and each link the only way between its junctions on it
    check_structure(net)
    junctions = set(net.junctions.index)
    H = signed_lengths(net)
    for row in net.links.head(40).itertuples():
        K = H.subgraph([n for n in H if n not in junctions or n in (row.from_node, row.to_node)])
        assert nx.shortest_path_length(
            K, row.from_node, row.to_node, weight="weight"
        ) == pytest.approx(row.length_m)
    # links never share ground: their total is the km covered (was 472.6 over 391.6 km)
    assert net.links["length_m"].sum() / 1000 == pytest.approx(net.report["km_covered"])
    rep = net.validate()
    assert set(rep["rule"]) >= {
        "links of 1–5 km",
        "links over 10 km",
        "min distance between reused numbers",
    }


def test_artois_no_link_over_max_link_m(artois):
    G, net = artois
    fresh = parcs.load_network()
    assert (G.number_of_nodes(), G.number_of_edges()) == (
        fresh.number_of_nodes(),
        fresh.number_of_edges(),
    )  # G itself is not modified
    L = net.links["length_m"].to_numpy()
    assert L.max() <= 10_000.0
    assert net.report["links_not_split"] == 0
    rep = net.validate().set_index("rule")
    assert rep.loc["links over 10 km", "ok"]
    assert rep.loc["longest link", "ok"]
    assert rep.loc["links over 10 km", "measured"] == "0%"
    # without cutting long edges the Artois network keeps links over 10 km (one-edge links)
    whole = points_noeuds(G, split_long_edges=False)
    assert whole.links["length_m"].max() > 10_000.0
    assert whole.graph is G
    # junctions added part-way: on the geometry of an edge of G longer than 5 km
    long_edges = [
        d["geometry"] for u, v, d in G.edges(data=True) if d["built"] and d["est_length"] > 5000
    ]
    added = [n for n in net.junctions.index if n not in G]
    assert added
    assert all(n < 0 for n in added)
    for n in added:
        p = net.junctions.geometry.loc[n]
        assert min(line.distance(p) for line in long_edges) < 1e-6
    # both designs agree where the edges were not cut: same branch points and ends
    def structural(n):
        j = n.junctions
        return set(j.index[j["reason"].isin(["intersection", "end"])])

    assert structural(whole) == structural(net)
    # links at the split junctions match networkx on the signed network
    junctions = set(net.junctions.index)
    H = signed_lengths(net)
    at_split = net.links[net.links["from_node"].isin(added) | net.links["to_node"].isin(added)]
    for n in added:  # a split junction sits inside a former link: it has two links
        assert ((at_split["from_node"] == n) | (at_split["to_node"] == n)).sum() == 2
    for row in at_split.itertuples():
        K = H.subgraph([n for n in H if n not in junctions or n in (row.from_node, row.to_node)])
        assert nx.shortest_path_length(
            K, row.from_node, row.to_node, weight="weight"
        ) == pytest.approx(row.length_m)
    # a route of the original graph over a cut edge shows the split junctions on its strip
    a, b = next(
        (u, v)
        for u, v, d in G.edges(data=True)
        if d["built"] and d["est_length"] > 10_000 and {u, v} <= junctions
    )
    r = parcs.route(G, a, b)
    r_design = parcs.route(net.graph, a, b)
    assert r_design.length_m == pytest.approx(r.length_m)
    on_route = [str(net.junctions.at[n, "ref"]) for n in r_design.nodes if n in junctions]
    assert len(on_route) >= 3
    assert [part.split(" ")[0] for part in net.strip(r).split(" → ")] == on_route
    assert net.strip(r) == net.strip(r_design)


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


def _one_long_edge_graph(*, connector=False):
    """A 23 km zigzag greenway edge 0-1 (one edge, as the network builder merges chains).

    Short spurs make 0 and 1 intersections; node -1 exists already, so new ids must avoid it.
    """
    to_wgs = Transformer.from_crs(2154, 4326, always_xy=True)
    zig = [(X0 + 2000.0 * i, Y0 + (0.0 if i % 2 == 0 else 1500.0)) for i in range(10)]
    coords = {0: zig[0], 1: zig[-1], 2: (X0 - 1500.0, Y0), 3: (X0, Y0 - 1500.0)}
    coords[-1] = (zig[-1][0] + 1500.0, zig[-1][1])
    coords[4] = (zig[-1][0], zig[-1][1] - 1500.0)
    G = nx.MultiDiGraph(crs="EPSG:2154", name="hand-made", source="fixture")
    for n, (x, y) in coords.items():
        lon, lat = to_wgs.transform(x, y)
        G.add_node(n, x=x, y=y, lon=lon, lat=lat)
    pieces = [
        (0, 1, LineString(zig)),
        *[(a, b, LineString([coords[a], coords[b]])) for a, b in [(0, 2), (0, 3), (1, -1), (1, 4)]],
    ]
    for u, v, line in pieces:
        long_conn = connector and (u, v) == (0, 1)
        attrs = {
            "length": line.length,
            "est_length": line.length * (1.5 if long_conn else 1.0),
            "kind": "connector" if long_conn else "cavalier",
            "eurovelo": False,
            "routes": "",
            "name": "zigzag" if (u, v) == (0, 1) else "",
            "source": "gap" if long_conn else "cavaliers",
            "built": not long_conn,
            "surface": "",
        }
        G.add_edge(u, v, 0, geometry=line, **attrs)
        G.add_edge(v, u, 0, geometry=LineString(line.coords[::-1]), **attrs)
    for n in G.nodes:
        G.nodes[n]["street_count"] = len(set(G.successors(n)))
    return G, LineString(zig)


def _chain(D, G):
    """Nodes from 0 to 1 in D through the added nodes only (independent walk)."""
    added = set(D) - set(G)
    path, prev = [0], None
    while path[-1] != 1:
        nxt = [v for v in D.successors(path[-1]) if v != prev and (v in added or v == 1)]
        assert len(nxt) == 1
        prev = path[-1]
        path.append(nxt[0])
    return path


def test_one_long_edge_is_cut_on_its_geometry():
    G, zig = _one_long_edge_graph()
    before = nx.to_dict_of_dicts(G)
    net = points_noeuds(G, include_places=False, min_reuse_m=3000.0)
    assert nx.to_dict_of_dicts(G) == before  # G is not modified
    D = net.graph
    assert D is not G
    added = set(D) - set(G)
    assert added
    assert max(added) < -1  # negative ids, below the -1 already used
    # new nodes lie on the original geometry, with consistent coordinates
    to_wgs = Transformer.from_crs(2154, 4326, always_xy=True)
    for n in added:
        d = D.nodes[n]
        assert zig.distance(Point(d["x"], d["y"])) < 1e-6
        assert (d["lon"], d["lat"]) == pytest.approx(to_wgs.transform(d["x"], d["y"]))
        assert d["street_count"] == 2
    # the pieces add up to the original edge, in both directions, oriented u -> v
    path = _chain(D, G)
    assert len(path) == len(added) + 2
    total = {"length": 0.0, "est_length": 0.0, "geom": 0.0}
    for u, v in itertools.pairwise(path):
        assert set(D[u][v]) == {0}
        assert set(D[v][u]) == {0}
        fwd, back = D.edges[u, v, 0], D.edges[v, u, 0]
        for e, (s, t) in ((fwd, (u, v)), (back, (v, u))):
            c = e["geometry"].coords
            assert c[0] == pytest.approx((D.nodes[s]["x"], D.nodes[s]["y"]))
            assert c[-1] == pytest.approx((D.nodes[t]["x"], D.nodes[t]["y"]))
            assert e["length"] == pytest.approx(e["geometry"].length)
            assert e["name"] == "zigzag"
            assert e["built"]
        assert list(back["geometry"].coords) == list(fwd["geometry"].coords)[::-1]
        assert fwd["length"] <= 5000.0 + 1e-6  # cut below min(target, max / 2)
        total["length"] += fwd["length"]
        total["est_length"] += fwd["est_length"]
        total["geom"] += fwd["geometry"].length
        assert zig.buffer(1e-6).contains(fwd["geometry"])
    assert total["length"] == pytest.approx(zig.length)
    assert total["est_length"] == pytest.approx(zig.length)
    assert total["geom"] == pytest.approx(zig.length)
    assert net.report["edges_split"] == 1
    assert net.report["nodes_added"] == len(added)


def test_one_long_edge_gets_junctions_part_way(tmp_path):
    G, zig = _one_long_edge_graph()
    net = points_noeuds(G, include_places=False, min_reuse_m=3000.0)
    D = net.graph
    added = set(D) - set(G)
    path = _chain(D, G)
    # no link longer than max_link_m; links match networkx on the design graph
    L = net.links["length_m"].to_numpy()
    assert L.max() <= 10_000.0
    junctions = set(net.junctions.index)
    assert {n for n in junctions if n in added} == {
        n for n, r in net.junctions["reason"].items() if r == "split"
    }
    ref = reference_links(D, junctions)
    got = {
        (min(f, t), max(f, t)): length
        for f, t, length in zip(
            net.links["from_node"], net.links["to_node"], net.links["length_m"], strict=True
        )
    }
    assert set(got) == set(ref)
    for key, length in got.items():
        assert length == pytest.approx(ref[key])
    check_numbering(net, 3000.0)
    # planning across the split junctions follows a valid path of the design graph
    seq = [n for n in path if n in junctions]
    nums = [int(net.junctions.at[n, "number"]) for n in seq[1:]]
    r = net.plan(0, nums)
    assert r.nodes == path
    assert all(D.has_edge(u, v) for u, v in itertools.pairwise(r.nodes))
    assert r.length_m == pytest.approx(zig.length)
    gpx = gpxpy.parse(r.to_gpx(tmp_path / "zig.gpx"))
    assert [w.name for w in gpx.waypoints] == [str(net.junctions.at[n, "ref"]) for n in seq]
    # strip of a route of the original graph (nodes [0, 1]) shows the split junctions
    refs = [str(net.junctions.at[n, "ref"]) for n in seq]
    assert [p.split(" ")[0] for p in net.strip(parcs.route(G, 0, 1)).split(" → ")] == refs
    # exports and signs work with the negative ids
    files = net.to_file(tmp_path / "zig.gpkg")
    jj = gpd.read_file(files[0], layer="junctions")
    assert set(jj["node"]) == junctions
    assert len(net.signs()) == 2 * len(net.links)
    # deterministic
    again = points_noeuds(G, include_places=False, min_reuse_m=3000.0)
    assert net.junctions.equals(again.junctions)
    assert net.links.equals(again.links)
    # without cutting, the 23 km link stays
    whole = points_noeuds(G, include_places=False, min_reuse_m=3000.0, split_long_edges=False)
    assert whole.links["length_m"].max() == pytest.approx(zig.length)
    assert whole.report["links_not_split"] == 1


def test_long_connector_is_cut_with_est_length_in_proportion():
    G, zig = _one_long_edge_graph(connector=True)
    built = points_noeuds(G, include_places=False, min_reuse_m=3000.0)
    assert built.graph is G  # the long edge is a gap connector: ignored, nothing cut
    net = points_noeuds(G, include_places=False, min_reuse_m=3000.0, built_only=False)
    D = net.graph
    path = _chain(D, G)
    edges = [D.edges[u, v, 0] for u, v in itertools.pairwise(path)]
    assert sum(e["length"] for e in edges) == pytest.approx(zig.length)
    assert sum(e["est_length"] for e in edges) == pytest.approx(1.5 * zig.length)
    assert all(e["est_length"] == pytest.approx(1.5 * e["length"]) for e in edges)
    assert all(e["est_length"] <= 5000.0 + 1e-6 for e in edges)
    assert not any(e["built"] for e in edges)
    assert net.links["length_m"].max() <= 10_000.0


KREMS = str(OSM_SAMPLES / "krems.osm.gz")


@needs_osm_samples
def test_design_on_an_osm_graph():
    G = parcs.graph_from_osm(path=KREMS)
    net = points_noeuds(G)
    assert len(net.junctions) > 5
    check_numbering(net, 5000.0)
    assert net.links["length_m"].max() <= 10_000.0
    check_structure(net)
    assert points_noeuds(G).links.equals(net.links)
