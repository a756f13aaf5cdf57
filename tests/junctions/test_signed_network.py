"""The signed network and its junctions: properties on random planar meshes and real OSM data.

Every check is independent of the design code (``tests/junctions/reference.py``: networkx on
the link geometries matched to ``net.graph``): no ground on two links, every branch point of
the signed network is a junction, no link passes a junction, link lengths, numbering rules,
determinism. Random meshes are SYNTHETIC (Delaunay triangulations of random points, thinned),
in Lambert-93 metres near Lens; the OSM samples are real (shared/data/osm_samples).
"""

from __future__ import annotations

import copy

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import minimum_spanning_tree
from scipy.spatial import Delaunay

import parcs
from parcs.errors import EmptyAreaError
from parcs.junctions import points_noeuds
from parcs.junctions.validation import link_structure
from tests.junctions.reference import check_numbering, check_structure, make_graph
from tests.samples import OSM_SAMPLES, needs_osm_samples

X0, Y0 = 690_000.0, 7_032_000.0
KINDS = ("cavalier", "towpath", "cycleway", "track", "path", "connector")


def random_mesh(seed: int, n: int, side_m: float, extra: float, *, unbuilt: float = 0.0):
    """A SYNTHETIC planar mesh: Delaunay triangulation of random points, its MST plus a share
    `extra` of the other edges, random kinds and routes."""
    rng = np.random.default_rng(seed)
    pts = rng.random((n, 2)) * side_m
    tri = Delaunay(pts)
    e = np.unique(
        np.sort(
            np.concatenate(
                [tri.simplices[:, [0, 1]], tri.simplices[:, [1, 2]], tri.simplices[:, [0, 2]]]
            ),
            axis=1,
        ),
        axis=0,
    )
    import scipy.sparse as sp

    w = np.hypot(*(pts[e[:, 0]] - pts[e[:, 1]]).T)
    T = minimum_spanning_tree(sp.coo_matrix((w, (e[:, 0], e[:, 1])), shape=(n, n))).tocoo()
    tree = {(min(a, b), max(a, b)) for a, b in zip(T.row.tolist(), T.col.tolist(), strict=True)}
    keep = [tuple(x) for x in e.tolist() if tuple(x) in tree or rng.random() < extra]
    coords = {i: (X0 + p[0], Y0 + p[1]) for i, p in enumerate(pts.tolist())}
    kinds = [KINDS[int(rng.integers(len(KINDS)))] for _ in keep]
    routes = ["EV5" if rng.random() < 0.1 else "" for _ in keep]
    built = [rng.random() >= unbuilt for _ in keep]
    return make_graph(coords, keep, kinds=kinds, routes=routes, built=built)


def design(G, **kw):
    try:
        return points_noeuds(G, **kw)
    except EmptyAreaError:
        assume(False)
        raise


@settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(6, 70),
    side=st.sampled_from([2_000.0, 6_000.0, 15_000.0]),
    extra=st.floats(0.0, 0.8),
    network=st.sampled_from(["select", "all"]),
    min_link=st.sampled_from([300.0, 1000.0]),
    mesh=st.sampled_from([1000.0, 2500.0]),
    prune=st.booleans(),
)
def test_random_meshes(seed, n, side, extra, network, min_link, mesh, prune):
    G = random_mesh(seed, n, side, extra)
    kw = dict(
        network=network, min_link_m=min_link, mesh_m=mesh, prune_links=prune, min_reuse_m=2000.0
    )
    net = design(G, **kw)
    check_structure(net)
    check_numbering(net, 2000.0)
    assert net.links["length_m"].max() <= 10_000.0 + 1e-6
    again = points_noeuds(G, **kw)
    assert net.junctions.equals(again.junctions)
    assert net.links.equals(again.links)
    rep = net.validate().set_index("rule")
    assert rep.loc["km of ground on more than one link", "measured"] == "0.0 km"
    assert rep.loc["branch points without a junction", "measured"] == "0"
    assert rep.loc["links passing a junction", "measured"] == "0"
    assert net.report["km_links"] == pytest.approx(net.links["length_m"].sum() / 1000)


@settings(deadline=None, max_examples=25, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), unbuilt=st.floats(0.1, 0.6))
def test_gap_connectors_only_with_built_only_false(seed, unbuilt):
    G = random_mesh(seed, 40, 6000.0, 0.4, unbuilt=unbuilt)
    unbuilt_edges = {frozenset((u, v)) for u, v, d in G.edges(data=True) if not d["built"]}
    net = design(G, network="all", min_reuse_m=2000.0)
    H = check_structure(net)
    assert not {frozenset((u, v)) for u, v in H.edges()} & unbuilt_edges
    with_gaps = design(G, network="all", built_only=False, min_reuse_m=2000.0)
    check_structure(with_gaps)


def test_every_way_signed_on_a_tree_of_long_branches():
    # a HAND-MADE star: three 3 km arms from node 0 (a branch point) and a 3 km ring on arm 1
    coords = {0: (X0, Y0), 1: (X0 + 3000, Y0), 2: (X0 - 3000, Y0), 3: (X0, Y0 + 3000)}
    coords |= {4: (X0 + 3000, Y0 + 1500), 5: (X0 + 4500, Y0)}
    edges = [(0, 1), (0, 2), (0, 3), (1, 4), (4, 5), (5, 1)]
    G = make_graph(coords, edges)
    net = points_noeuds(G, network="all", include_places=False)
    H = check_structure(net)
    assert {frozenset(e) for e in H.edges()} == {frozenset(e) for e in edges}
    reasons = net.junctions["reason"].to_dict()
    assert reasons[0] == reasons[1] == "intersection"
    assert reasons[2] == reasons[3] == "end"
    # the ring hangs on junction 1 alone: it is cut so that no link joins 1 to itself
    assert {n for n, r in reasons.items() if r == "loop"} == {4, 5}


def test_short_spur_dropped_and_bare_ring_cut_in_three():
    # HAND-MADE: a 16 km square ring of 1 km edges with a 300 m spur at node 1
    coords = {i: (X0 + 1000 * i, Y0) for i in range(5)}
    coords |= {5 + i: (X0 + 4000, Y0 + 1000 * (i + 1)) for i in range(4)}
    coords |= {9 + i: (X0 + 4000 - 1000 * (i + 1), Y0 + 4000) for i in range(4)}
    coords |= {13 + i: (X0, Y0 + 4000 - 1000 * (i + 1)) for i in range(3)}
    ring = [*range(16)]
    edges = list(zip(ring, ring[1:] + ring[:1], strict=True))
    coords[20] = (X0 + 1000, Y0 - 300)
    edges.append((1, 20))
    G = make_graph(coords, edges, kinds=["path"] * len(edges))
    net = points_noeuds(G, network="all", include_places=False, min_reuse_m=2000.0)
    H = check_structure(net)
    assert 20 not in H  # the spur is off the signed network
    assert net.report["links_taken_off"]["spurs"] == 1
    # the ring is left with no branch point: three cut points make three links, none from a
    # junction to itself and no two between the same pair
    assert set(net.junctions["reason"]) == {"loop"}
    assert len(net.links) == 3
    assert sorted(net.links["length_m"].round(0)) == [5000.0, 5000.0, 6000.0]


@settings(deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(20, 80), extra=st.floats(0.2, 0.9))
def test_cleanup_rules_hold(seed, n, extra):
    """After the design, checked on the link graph with networkx (independent of the code):
    no spur shorter than min_link_m; no loop shorter than 2 x min_link_m through any link; a
    link shorter than min_link_m between two branch points only where its ends are not
    joined by two other edge-disjoint ways (taking it off would break a loop or the network)."""
    G = random_mesh(seed, n, 8000.0, extra)
    net = design(G, network="all", include_places=False, min_reuse_m=2000.0)
    check_structure(net)
    min_link = 1000.0
    L = nx.MultiGraph()
    for k, r in enumerate(net.links.itertuples()):
        L.add_edge(r.from_node, r.to_node, key=k, w=r.length_m)
    deg = dict(L.degree())
    for k, r in enumerate(net.links.itertuples()):
        a, b = r.from_node, r.to_node
        rest = L.copy()
        rest.remove_edge(a, b, key=k)
        if r.length_m < min_link and (deg[a] == 1) != (deg[b] == 1):
            pytest.fail(f"spur {r.name} of {r.length_m:.0f} m left")
        if nx.has_path(rest, a, b):
            alt = nx.shortest_path_length(rest, a, b, weight="w")
            assert r.length_m + alt >= 2 * min_link - 1e-6, (r.name, r.length_m, alt)
        if r.length_m < min_link and deg[a] >= 3 and deg[b] >= 3:
            simple = nx.Graph()
            for u, v, d in rest.edges(data=True):  # parallel links: capacity adds up
                cap = simple[u][v]["capacity"] + 1 if simple.has_edge(u, v) else 1
                simple.add_edge(u, v, capacity=cap)
            flow = nx.maximum_flow_value(simple, a, b) if a in simple and b in simple else 0
            assert flow < 2, (r.name, r.length_m, flow)


def test_short_bridge_between_branch_points_is_kept_not_unsigned():
    # HAND-MADE "H": two 6 km lines joined by a 100 m rung; removing the rung would split the
    # network, so both branch points stay junctions with a 100 m link between them
    coords = {0: (X0, Y0), 1: (X0, Y0 + 3000), 2: (X0, Y0 + 6000)}
    coords |= {3: (X0 + 100, Y0), 4: (X0 + 100, Y0 + 3000), 5: (X0 + 100, Y0 + 6000)}
    edges = [(0, 1), (1, 2), (3, 4), (4, 5), (1, 4)]
    G = make_graph(coords, edges)
    net = points_noeuds(G, network="all", include_places=False, min_reuse_m=50.0)
    check_structure(net)
    assert {1, 4} <= set(net.junctions.index)
    assert sorted(net.links["length_m"].round(3)) == [100.0, 3000.0, 3000.0, 3000.0, 3000.0]


def test_selection_prefers_greenways_and_quiet_roads_close_gaps():
    # HAND-MADE: two parallel ways between A (0) and B (1), 3 km apart: a former railway
    # (cavalier) and a quiet road (connector) of the same length; the design signs the railway
    # (the 6 km loop they make is below the 8 km the loop closing asks for)
    coords = {0: (X0, Y0), 1: (X0 + 3000, Y0), 2: (X0 + 1500, Y0 + 300), 3: (X0 + 1500, Y0 - 300)}
    edges = [(0, 2), (2, 1), (0, 3), (3, 1)]
    kinds = ["cavalier", "cavalier", "connector", "connector"]
    G = make_graph(coords, edges, kinds=kinds)
    net = points_noeuds(G, include_places=False, min_link_m=500.0, min_reuse_m=1000.0)
    H = check_structure(net)
    assert {frozenset(e) for e in H.edges()} == {frozenset((0, 2)), frozenset((2, 1))}
    # with the weights turned around, the quiet road wins
    net2 = points_noeuds(
        G,
        include_places=False,
        min_link_m=500.0,
        min_reuse_m=1000.0,
        weights={"cavalier": 3.0, "connector": 0.5},
    )
    H2 = check_structure(net2)
    assert {frozenset(e) for e in H2.edges()} == {frozenset((0, 3)), frozenset((3, 1))}
    # a kind weighted None is never signed, even with network="all"
    net3 = points_noeuds(
        G,
        include_places=False,
        network="all",
        min_link_m=500.0,
        min_reuse_m=1000.0,
        weights={"connector": None},
    )
    assert not {3} & set(check_structure(net3))


def test_dead_end_closed_into_a_loop():
    # HAND-MADE: a 5 km former railway from A (0) to B (1), and a quiet road from B back
    # to A round the other way (5 km): signing only the railway leaves two dead ends; the
    # road closes a 10 km loop (8-20 km), so the selection signs it too
    coords = {0: (X0, Y0), 1: (X0 + 5000, Y0), 2: (X0 + 2500, Y0 - 1200)}
    edges = [(0, 1), (1, 2), (2, 0)]
    G = make_graph(coords, edges, kinds=["cavalier", "connector", "connector"])
    # one hub only (a 20 km lattice): the mesh step alone would not sign the road
    net = points_noeuds(G, include_places=False, min_reuse_m=1000.0, mesh_m=20_000.0)
    H = check_structure(net)
    assert {frozenset(e) for e in H.edges()} == {frozenset(e) for e in edges}
    assert net.report["loops_closed"] == 1
    assert not (net.junctions["degree"] == 1).any()


def test_busy_highway_never_signed():
    coords = {0: (X0, Y0), 1: (X0 + 3000, Y0), 2: (X0 + 6000, Y0)}
    G = make_graph(coords, [(0, 1), (1, 2)], kinds=["path", "path"])
    for u, v in ((1, 2), (2, 1)):
        G.edges[u, v, 0]["highway"] = "primary"
    net = points_noeuds(G, network="all", include_places=False)
    H = check_structure(net)
    assert set(H.edges()) == {(0, 1)} or {frozenset(e) for e in H.edges()} == {frozenset((0, 1))}


def test_invalid_options():
    G = random_mesh(1, 30, 6000.0, 0.3)
    for kw, word in [
        ({"network": "some"}, "network"),
        ({"mesh_m": -1}, "mesh_m"),
        ({"stretch": 0.5}, "stretch"),
        ({"weights": {"path": -2}}, "weights"),
        ({"weights": {"path": "x"}}, "weights"),
        ({"cover_m": float("nan")}, "cover_m"),
    ]:
        with pytest.raises(parcs.errors.ValidationError, match=word):
            points_noeuds(G, **kw)


def test_the_reference_catches_what_it_looks_for():
    G = random_mesh(3, 50, 8000.0, 0.5)
    net = points_noeuds(G, network="all", min_reuse_m=2000.0)
    check_structure(net)
    # a link given twice: ground on two links
    twice = copy.copy(net)
    twice.links = gpd.GeoDataFrame(
        __import__("pandas").concat([net.links, net.links.iloc[[0]]]), crs=net.links.crs
    )
    with pytest.raises(AssertionError, match="two links"):
        check_structure(twice)
    assert link_structure(twice.links, twice.junctions).shared_m == pytest.approx(
        net.links.iloc[0]["length_m"], rel=1e-6
    )
    # a junction removed where the network branches
    branch = int(net.junctions.index[net.junctions["degree"] >= 3][0])
    fewer = copy.copy(net)
    fewer.junctions = net.junctions.drop(index=branch)
    with pytest.raises(AssertionError):
        check_structure(fewer)
    assert link_structure(net.links, fewer.junctions).branch_without_junction >= 1


# ------------------------------------------------------------------------ real OSM samples


def osm_graph(name):
    path = OSM_SAMPLES / name
    G = parcs.graph_from_osm(path=path)
    places = parcs.places_from_osm(path)
    if len(places):
        parcs.attach_places(G, places)
    return G


OSM_GRAPH_SAMPLES = [
    "krems.osm.gz",
    "andorra.osm.pbf",
    "knooppuntnet-10887712.xml",
    "knooppuntnet-9637368-hazebrouck.osm",
    "knooppuntnet-ev1-16827727.osm",
    "knooppuntnet-ev1-16842517.osm",
    "knooppuntnet-ev1-4840541.osm",
]


@needs_osm_samples
def test_every_sample_is_listed():
    """Every OSM sample is tested: a graph sample above, or a waterway network with no way."""
    names = {p.name for p in OSM_SAMPLES.iterdir()}
    rest = names - set(OSM_GRAPH_SAMPLES)
    assert rest == {
        "knooppuntnet-network-8438300-before.xml",
        "knooppuntnet-network-8438300-after.xml",
    }
    for name in sorted(rest):  # paddling networks: no greenway to design on
        with pytest.raises(EmptyAreaError):
            parcs.graph_from_osm(path=OSM_SAMPLES / name)


@needs_osm_samples
@pytest.mark.parametrize("name", OSM_GRAPH_SAMPLES)
@pytest.mark.parametrize("network", ["select", "all"])
def test_osm_samples(name, network):
    G = osm_graph(name)
    net = points_noeuds(G, network=network)
    check_structure(net)
    check_numbering(net, 5000.0)
    assert net.links["length_m"].max() <= 10_000.0 + 1e-6
    again = points_noeuds(G, network=network)
    assert net.junctions.equals(again.junctions) and net.links.equals(again.links)
    rep = net.validate().set_index("rule")
    assert rep.loc["km of ground on more than one link", "ok"]
    assert rep.loc["branch points without a junction", "ok"]
    assert rep.loc["links passing a junction", "ok"]


@needs_osm_samples
@pytest.mark.parametrize("name", ["krems.osm.gz", "andorra.osm.pbf"])
def test_dense_osm_mesh_links_mostly_1_to_5_km(name):
    net = points_noeuds(osm_graph(name))
    L = net.links["length_m"].to_numpy()
    assert np.mean((L >= 1000) & (L <= 5000)) >= 0.6
    rep = net.validate().set_index("rule")
    assert rep.loc["links of 1–5 km", "ok"]


@pytest.mark.parametrize(("rows", "step"), [(41, 250.0), (31, 500.0)])
def test_synthetic_grid_meshes_reach_the_published_rules(rows, step):
    # SYNTHETIC square grids of paths (10 x 10 km and 15 x 15 km): every way could be signed;
    # the selection keeps a mesh whose faces are 8-20 km loops and whose links are 1-5 km
    coords = {
        i * rows + j: (X0 + step * i, Y0 + step * j) for i in range(rows) for j in range(rows)
    }
    edges = [(i * rows + j, i * rows + j + 1) for i in range(rows) for j in range(rows - 1)]
    edges += [(i * rows + j, (i + 1) * rows + j) for i in range(rows - 1) for j in range(rows)]
    G = make_graph(coords, edges, kinds=["path"] * len(edges))
    net = points_noeuds(G)
    check_structure(net)
    rep = net.validate().set_index("rule")
    L = net.links["length_m"].to_numpy()
    assert np.mean((L >= 1000) & (L <= 5000)) >= 0.9
    from parcs.junctions.validation import face_loops

    loops = face_loops(net.links)
    assert len(loops) >= 9
    assert np.mean((loops >= 8000) & (loops <= 20_000)) >= 0.9
    assert rep.loc["face loops of 8–20 km", "ok"]
