"""Tests of parcs.routing.round_trip on hand-made graphs, grids and the embedded network.

Every property is re-measured from the returned node sequence and the graph's own
``est_length`` (not from the numbers the loop search computed).
"""

from __future__ import annotations

import itertools

import networkx as nx
import pytest
from test_routing import X0, Y0, grid, lonlat, make_graph

import parcs
from parcs.errors import LoopError, ValidationError
from parcs.routing import round_trip


def ridden(G, nodes):
    """Metres ridden per undirected edge, from consecutive nodes (cheapest parallel edge)."""
    out = {}
    for u, v in itertools.pairwise(nodes):
        e = (min(u, v), max(u, v))
        out[e] = out.get(e, 0.0) + min(a["est_length"] for a in G[u][v].values())
    return out


def check_loop(G, r, start, target, *, tolerance=0.10, max_repeat=0.20):
    assert r.nodes[0] == start
    assert r.nodes[-1] == start
    assert r.geometry.coords[0] == r.geometry.coords[-1]
    assert all(G.has_edge(u, v) for u, v in zip(r.nodes, r.nodes[1:], strict=False))
    per_edge = ridden(G, r.nodes)
    total = sum(per_edge.values())
    assert total == pytest.approx(r.length_m, rel=1e-9)
    assert abs(total - target) <= tolerance * target
    edge_len = {e: min(a["est_length"] for a in G[e[0]][e[1]].values()) for e in per_edge}
    repeated = sum(max(0.0, m - edge_len[e]) for e, m in per_edge.items())
    assert repeated <= max_repeat * total + 1e-6
    return per_edge


def shared_share(a, b, length):
    return sum(min(m, b[e]) for e, m in a.items() if e in b) / length


def test_tiny_graph_only_loop(tiny_graph):
    # the only cycle is 1-2-5-4 (4 km of cavaliers)
    loops = round_trip(tiny_graph, 1, length_m=4000, n=3)
    assert len(loops) == 1
    check_loop(tiny_graph, loops[0], 1, 4000, tolerance=1e-9, max_repeat=0.0)
    assert set(loops[0].nodes) == {1, 2, 4, 5}


def test_grid_loops_properties_and_seed():
    G = grid(9, step=400.0)  # 3.2 km × 3.2 km
    start = 40  # centre
    loops = round_trip(G, start, length_m=6000, n=3, seed=7)
    assert 1 <= len(loops) <= 3
    edges = [check_loop(G, r, start, 6000) for r in loops]
    for i in range(len(loops)):
        for j in range(i):
            assert shared_share(edges[i], edges[j], loops[i].length_m) <= 0.7 + 1e-9
    again = round_trip(G, start, length_m=6000, n=3, seed=7)
    assert [r.nodes for r in again] == [r.nodes for r in loops]
    assert [r.orig_label for r in loops] == ["node 40"] * len(loops)


@pytest.mark.parametrize(
    ("target", "tolerance", "max_repeat"), [(3000, 0.1, 0.2), (8000, 0.05, 0.0)]
)
def test_grid_loops_options(target, tolerance, max_repeat):
    G = grid(9, step=400.0)
    for r in round_trip(G, 0, length_m=target, tolerance=tolerance, max_repeat=max_repeat, n=2):
        check_loop(G, r, 0, target, tolerance=tolerance, max_repeat=max_repeat)


def test_grid_loop_from_a_point():
    G = grid(9, step=400.0)
    px, py = X0 + 1600 + 130, Y0 + 1600  # on edge 40-41, 130 m from node 40
    loops = round_trip(G, lonlat(px, py + 5), length_m=6000, n=2)
    for r in loops:
        assert r.geometry.coords[0] == pytest.approx((px, py))
        assert r.geometry.coords[-1] == pytest.approx((px, py))
        first, last = G.nodes[r.nodes[0]], G.nodes[r.nodes[-1]]
        stubs = abs(first["x"] - px) + abs(last["x"] - px)  # both ends lie on the same row
        assert {r.nodes[0], r.nodes[-1]} <= {40, 41}
        total = sum(ridden(G, r.nodes).values()) + stubs
        assert total == pytest.approx(r.length_m, rel=1e-9)
        assert abs(total - 6000) <= 600


def test_too_long_for_component(tiny_graph):
    # 5 × 1 km + 1.5 km connector = 6.5 km of paths; at most 20 % twice -> ~8.1 km
    with pytest.raises(LoopError, match=r"only 6\.5 km of paths.*about 8\.1 km"):
        round_trip(tiny_graph, 1, length_m=50_000)


def test_tree_has_no_loop():
    G = make_graph(
        4,
        [(0, 1, "cavalier"), (1, 2, "cavalier"), (1, 3, "cavalier")],
        [(0, 0), (2000, 0), (4000, 0), (2000, 2000)],
    )
    with pytest.raises(
        LoopError, match=r"no loop of 3\.0 km .* rode less than 20% .* 6\.0 km of paths"
    ):
        round_trip(G, 0, length_m=3000)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"length_m": -5}, "`length_m` must be a finite number of metres > 0"),
        ({"length_m": 1000, "n": 0}, "`n` must be an integer >= 1"),
        ({"length_m": 1000, "tolerance": 1.5}, "`tolerance` must be between 0 and 1"),
        ({"length_m": 1000, "max_repeat": 1.0}, r"`max_repeat` must be in \[0, 1\)"),
    ],
)
def test_bad_options(tiny_graph, kw, match):
    with pytest.raises(ValidationError, match=match):
        round_trip(tiny_graph, 1, **kw)


@pytest.fixture(scope="module")
def artois():
    return parcs.load_network()


def check_loop_multigraph(G, r, start, target, *, tolerance=0.10, max_repeat=0.20):
    """Loop checks on a graph with parallel edges, where the node sequence is ambiguous.

    The length must lie between the sums of the shortest and longest parallel edges along
    the node sequence; the repeat share is recomputed from the per-edge metres against the
    graph's own ``est_length`` of each (u, v, key).
    """
    assert r.nodes[0] == start == r.nodes[-1]
    pairs = list(zip(r.nodes, r.nodes[1:], strict=False))
    assert all(G.has_edge(u, v) for u, v in pairs)
    lower = sum(min(a["est_length"] for a in G[u][v].values()) for u, v in pairs)
    upper = sum(max(a["est_length"] for a in G[u][v].values()) for u, v in pairs)
    assert lower - 1e-6 <= r.length_m <= upper + 1e-6
    assert abs(r.length_m - target) <= tolerance * target
    node_pairs = {(min(u, v), max(u, v)) for u, v in pairs}
    assert {(u, v) for u, v, _k in r.edge_m} <= node_pairs
    assert sum(r.edge_m.values()) == pytest.approx(r.length_m, rel=1e-9)
    repeated = sum(max(0.0, m - G.edges[e]["est_length"]) for e, m in r.edge_m.items())
    assert repeated <= max_repeat * r.length_m * (1 + 1e-9)
    return {e[:2]: m for e, m in r.edge_m.items()}


@pytest.mark.parametrize(("start", "km"), [("Lens", 10), ("Loos-en-Gohelle", 20)])
def test_artois_loops(artois, start, km):
    G = artois
    largest = max(nx.weakly_connected_components(G), key=len)
    loops = round_trip(G, start, length_m=km * 1000, n=3, seed=0)
    place = parcs.find_place(G, start)
    for r in loops:
        first = r.nodes[0]
        assert first in place["access_nodes"]
        assert first in largest
        check_loop_multigraph(G, r, first, km * 1000)
    assert [r.nodes for r in round_trip(G, start, length_m=km * 1000, n=3, seed=0)] == [
        r.nodes for r in loops
    ]


def test_artois_impossible_length(artois):
    with pytest.raises(LoopError, match=r"km of paths"):
        round_trip(artois, "Lens", length_m=2_000_000)
