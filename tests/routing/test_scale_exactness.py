"""Routing at scale stays exact: every public call on the SYNTHETIC 20k-node graph vs networkx.

The graph is ``benchmarks/graphs.py``'s ``parcs_graph(20_000, places=45)`` (synthetic road-like
planar graph, OSM-like kinds, 5 % unbuilt connectors, bent edge geometries, 45 synthetic point
places), the graph ``benchmarks/bench_scale.py`` times. Each check recomputes the answer with
networkx (or with a slow pure-Python reference written here) from the graph's own attributes,
never from what parcs returned. Nothing here is timed.

The last tests check the caching contract of issue 11: on an unchanged graph no public call
runs any networkx code (no walk over ``G``), and the arrays are built once.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import shapely
from pyproj import Transformer

import parcs
from parcs.csr import csr_of
from parcs.profiles import get_profile

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from graphs import parcs_graph  # noqa: E402

N = 20_000
TO_WGS = Transformer.from_crs(2154, 4326, always_xy=True)


@pytest.fixture(scope="module")
def G() -> nx.MultiDiGraph:
    return parcs_graph(N, places=45)


@pytest.fixture(scope="module")
def nodes(G: nx.MultiDiGraph) -> np.ndarray:
    return np.fromiter(G.nodes, dtype=np.int64)


def cost_of(profile: str, what: str = "cost"):
    """networkx weight: the cheapest parallel edge's profile cost, time or length."""
    prof = get_profile(profile)

    def w(_u, _v, d):
        vals = []
        for a in d.values():
            m = a["est_length"]
            vals.append(
                m * prof.multiplier(a["kind"])
                if what == "cost"
                else m / prof.speed_ms
                if what == "time"
                else m
            )
        return min(vals)

    return w


_SIMPLE: dict[tuple[int, str, str], nx.Graph] = {}


def simple(G, profile="bike", what="cost"):
    """Undirected networkx graph of `G` with the cheapest parallel edge's weight as ``w``."""
    key = (id(G), profile, what)
    if key not in _SIMPLE:
        w = cost_of(profile, what)
        H = nx.Graph()
        H.add_nodes_from(G.nodes)
        H.add_weighted_edges_from(
            ((u, v, w(u, v, G[u][v])) for u, v in G.edges() if u <= v), weight="w"
        )
        _SIMPLE[key] = H
    return _SIMPLE[key]


def lonlat_near(G, n, dx=31.0, dy=-17.0):
    """A (lon, lat) point a few metres off node `n` (snaps to an edge near it)."""
    return TO_WGS.transform(G.nodes[n]["x"] + dx, G.nodes[n]["y"] + dy)


# ------------------------------------------------------------------------------ route


@pytest.mark.parametrize("profile", ["bike", "walk"])
def test_routes_between_nodes_equal_networkx(G, nodes, profile):
    rng = np.random.default_rng(1)
    w = cost_of(profile)
    H = simple(G, profile)
    for a, b in rng.choice(nodes, size=(6, 2)):
        a, b = int(a), int(b)
        r = parcs.route(G, a, b, profile=profile)
        ref = nx.shortest_path_length(H, a, b, weight="w")
        assert r.cost == pytest.approx(ref, rel=1e-9)
        # the node sequence is a real path whose cost is the optimum
        assert r.nodes[0] == a and r.nodes[-1] == b
        assert sum(w(u, v, G[u][v]) for u, v in zip(r.nodes, r.nodes[1:])) == pytest.approx(
            ref, rel=1e-9
        )
        assert r.length_m == pytest.approx(
            sum(cost_of(profile, "length")(u, v, G[u][v]) for u, v in zip(r.nodes, r.nodes[1:])),
            rel=1e-9,
        )


def test_route_from_points_equals_networkx_with_a_split_edge(G, nodes):
    """A (lon, lat) origin: networkx on a copy where the snapped edge is split at the point."""
    a, b = int(nodes[123]), int(nodes[4567])
    pt = lonlat_near(G, a)
    r = parcs.route(G, pt, b)
    H = simple(G).copy()  # plus the point, split into its edge
    w = cost_of("bike")
    x, y = Transformer.from_crs(4326, 2154, always_xy=True).transform(*pt)
    p = shapely.Point(x, y)
    u, v, k = min(
        ((u, v, k) for u, v, k in G.edges(keys=True) if u < v),
        key=lambda e: G.edges[e]["geometry"].distance(p),
    )
    line = G.edges[u, v, k]["geometry"]
    f = line.project(p) / line.length
    c = w(u, v, {k: G.edges[u, v, k]})
    H.add_edge("p", u, w=f * c)
    H.add_edge("p", v, w=(1 - f) * c)
    assert r.cost == pytest.approx(nx.shortest_path_length(H, "p", b, weight="w"), rel=1e-9)


def test_route_by_place_names_and_vias(G):
    """Through a place, a route arrives at its best access node and leaves from there."""
    pl = parcs.places(G).set_index("name")
    r = parcs.route(G, "town 0", "park 3", via=["town 2"])
    H = simple(G)

    def from_(nodes):
        return nx.multi_source_dijkstra_path_length(H, set(nodes), weight="w")

    leg1 = from_(pl.loc["town 0", "access_nodes"])
    arrive = min(pl.loc["town 2", "access_nodes"], key=lambda n: leg1.get(n, math.inf))
    leg2 = from_([arrive])
    want = leg1[arrive] + min(leg2.get(t, math.inf) for t in pl.loc["park 3", "access_nodes"])
    assert r.cost == pytest.approx(want, rel=1e-9)
    assert [w[0] for w in r.waypoints] == ["town 0", "town 2", "park 3"]
    assert r.nodes[0] in pl.loc["town 0", "access_nodes"]
    assert arrive in r.nodes
    assert r.nodes[-1] in pl.loc["park 3", "access_nodes"]


# ------------------------------------------------------------------- distance matrix


@pytest.mark.parametrize("weight", ["time", "length"])
def test_distance_matrix_25x20_places_equals_networkx(G, weight):
    pl = parcs.places(G)
    D = parcs.distance_matrix(G, pl.iloc[:25], pl.iloc[25:45], weight=weight)
    H = simple(G, "bike", weight)
    assert D.shape == (25, 20)
    for i, (name, acc) in enumerate(zip(pl["name"][:25], pl["access_nodes"][:25])):
        dist = nx.multi_source_dijkstra_path_length(H, set(acc), weight="w")
        for j, tacc in enumerate(pl["access_nodes"][25:45]):
            want = min((dist.get(t, math.inf) for t in tacc), default=math.inf)
            assert D.iloc[i, j] == pytest.approx(want, rel=1e-9), (name, j)


def test_distance_matrix_of_points_and_nodes(G, nodes):
    pts = [lonlat_near(G, int(n)) for n in nodes[[10, 2000, 9000]]]
    locs = [*pts, int(nodes[77])]
    D = parcs.distance_matrix(G, locs, locs, weight="length")
    for i, o in enumerate(locs):  # each entry is the length of the route between them
        for j, d in enumerate(locs):
            want = 0.0 if i == j else parcs.route(G, o, d, profile="bike").length_m
            if i != j:  # routes minimise cost, the matrix length: compare as lower bound
                assert D.iloc[i, j] <= want * (1 + 1e-9)
            else:
                assert D.iloc[i, j] == pytest.approx(want, abs=1e-6)
    assert np.allclose(D.to_numpy(), D.to_numpy().T, rtol=1e-9)  # undirected lengths


# -------------------------------------------------------------------------- isochrone


def reached_reference(G, orig, limit_s, profile="bike"):
    """Reached metres per undirected edge from both ends (networkx), as a dict."""
    t = cost_of(profile, "time")
    dist = nx.single_source_dijkstra_path_length(G, orig, weight=t)
    speed = get_profile(profile).speed_ms
    out = {}
    for u, v, k, a in G.edges(keys=True, data=True):
        if u > v:
            continue
        w = a["est_length"] / speed
        cu = max(0.0, limit_s - dist[u]) if u in dist else 0.0
        cv = max(0.0, limit_s - dist[v]) if v in dist else 0.0
        reached = min(w, cu + cv) * speed
        if reached > 0:
            out[(u, v, k)] = reached
    return out


@pytest.mark.parametrize("limit_s", [300.0, 900.0])
def test_isochrone_pieces_equal_networkx(G, nodes, limit_s):
    o = int(nodes[5])
    iso = parcs.isochrone(G, o, max_s=limit_s)
    got = iso.edges.groupby(["u", "v", "key"])["length_m"].sum().to_dict()
    want = reached_reference(G, o, limit_s)
    assert set(got) == set(want)
    for e, m in want.items():
        assert got[e] == pytest.approx(m, rel=1e-9, abs=1e-6)
    # geometries: every piece lies on its edge, and has the reached share of its length
    for row in iso.edges.itertuples():
        line = G.edges[row.u, row.v, row.key]["geometry"]
        assert line.buffer(1e-6).covers(row.geometry)
        assert row.geometry.length == pytest.approx(row.reached_fraction * line.length, rel=1e-9)


def test_isochrone_polygon_is_the_buffer_within_a_cell(G, nodes):
    iso = parcs.isochrone(G, int(nodes[5]), max_s=600.0, buffer_m=100.0)
    lines = iso.edges.geometry.to_numpy()
    cell = 100.0 / 5
    inner = shapely.union_all(shapely.buffer(lines, 100.0 - 1.5 * cell, quad_segs=16))
    outer = shapely.union_all(shapely.buffer(lines, 100.0 + 1.5 * cell, quad_segs=16))
    assert iso.polygon.covers(inner)
    assert outer.covers(iso.polygon)
    assert iso.polygon.is_valid


# ------------------------------------------------------------ alternatives, round trips


def test_alternatives_first_is_the_route_and_all_are_paths(G, nodes):
    a, b = int(nodes[5]), int(nodes[10_000])
    alts = parcs.alternatives(G, a, b, k=3)
    best = parcs.route(G, a, b)
    assert alts[0].nodes == best.nodes
    w = cost_of("bike")
    for r in alts:
        assert r.nodes[0] == a and r.nodes[-1] == b
        assert r.cost == pytest.approx(
            sum(w(u, v, G[u][v]) for u, v in zip(r.nodes, r.nodes[1:])), rel=1e-9
        )
        assert r.cost >= best.cost * (1 - 1e-12)
    for i, r in enumerate(alts[1:], 1):
        for q in alts[:i]:
            shared = sum(min(m, q.edge_m[e]) for e, m in r.edge_m.items() if e in q.edge_m)
            assert shared <= 0.6 * r.length_m + 1e-6


def test_round_trip_vias_lie_on_cycles_of_networkx(G, nodes):
    from parcs.routing import loops
    from parcs.routing._net import Net

    net = Net(G, profile="bike", avoid_connectors=False, max_snap_m=500.0)
    mark = loops._cycle_nodes(net, net.weight("length"))
    H = nx.Graph(G.to_undirected())
    bridges = {frozenset(e) for e in nx.bridges(H)}
    on_cycle = {n for u, v in H.edges() if frozenset((u, v)) not in bridges for n in (u, v)}
    assert set(net.csr.node_ids[mark].tolist()) == on_cycle
    start = int(nodes[5])
    found = parcs.round_trip(G, start, length_m=8000, n=2)
    for r in found:
        assert r.nodes[0] == r.nodes[-1] == start
        assert abs(r.length_m - 8000) <= 800 + 1e-6


# ------------------------------------------------------------------- no per-call walk


def _networkx_calls(fn) -> int:
    """Python function calls into networkx while `fn()` runs."""
    count = 0
    root = str(Path(nx.__file__).parent)

    def prof(frame, event, _arg):
        nonlocal count
        if event == "call" and frame.f_code.co_filename.startswith(root):
            count += 1

    sys.setprofile(prof)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return count


def test_no_public_call_walks_an_unchanged_graph(G, nodes):
    a, b = int(nodes[5]), int(nodes[10_000])
    pl = parcs.places(G)
    pt = lonlat_near(G, a)
    calls = {
        "route": lambda: parcs.route(G, a, b),
        "route from a point": lambda: parcs.route(G, pt, "park 3"),
        "distance_matrix": lambda: parcs.distance_matrix(G, pl.iloc[:5], pl.iloc[5:9]),
        "isochrone": lambda: parcs.isochrone(G, a, max_s=300),
        "alternatives": lambda: parcs.alternatives(G, a, b, k=2),
        "round_trip": lambda: parcs.round_trip(G, a, length_m=6000, n=1),
        "find_place": lambda: parcs.find_place(G, "town 4"),
    }
    for fn in calls.values():
        fn()  # first call: arrays and indexes built and cached
    csr = csr_of(G)
    for name, fn in calls.items():
        assert _networkx_calls(fn) == 0, name
    assert csr_of(G) is csr


def test_attribute_edit_needs_invalidate(nodes):
    """An in-place edit is seen only after parcs.graph.invalidate (docs/routing.md)."""
    H = parcs_graph(2000)
    a, b = int(next(iter(H.nodes))), int(list(H.nodes)[1500])
    before = parcs.route(H, a, b)
    u, v = before.nodes[0], before.nodes[1]
    for x, y in ((u, v), (v, u)):
        for d in H[x][y].values():
            d["est_length"] *= 1000.0
    assert parcs.route(H, a, b).nodes == before.nodes  # stale until invalidated
    parcs.graph.invalidate(H)
    assert parcs.route(H, a, b).nodes[:2] != [u, v]
