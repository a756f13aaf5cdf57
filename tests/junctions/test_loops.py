"""Round trips by junction numbers (``net.loop``), checked against the links table.

Each loop is re-measured here from ``net.links`` alone: consecutive junctions of the loop must
be linked, the length is the sum of the links ridden, the share ridden twice counts every
repeated pass of a link; a brute-force enumeration of the simple cycles of a small grid (with
networkx) says which lengths exist at all.
"""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import parcs
from parcs.errors import LoopError, ValidationError
from parcs.junctions import points_noeuds
from tests.junctions.reference import make_graph
from tests.samples import OSM_SAMPLES, needs_osm_samples

X0, Y0 = 690_000.0, 7_032_000.0


def path_grid(n: int, step: float):
    """A HAND-MADE square grid of paths (n x n nodes)."""
    coords = {i * n + j: (X0 + step * i, Y0 + step * j) for i in range(n) for j in range(n)}
    edges = [(i * n + j, i * n + j + 1) for i in range(n) for j in range(n - 1)]
    edges += [(i * n + j, (i + 1) * n + j) for i in range(n - 1) for j in range(n)]
    return make_graph(coords, edges, kinds=["path"] * len(edges))


@pytest.fixture(scope="module")
def grid_net():
    G = path_grid(7, 1000.0)
    return points_noeuds(
        G, network="all", include_places=False, prune_links=False, min_reuse_m=2000.0
    )


def ridden_links(net, route):
    """The links ridden by a loop, from its junction sequence (each pair must be linked)."""
    seq = [int(n) for n in route.nodes if n in net.junctions.index]
    seq = [k for k, _ in itertools.groupby(seq)]
    pairs = {}
    for k, (f, t, L) in enumerate(
        zip(net.links["from_node"], net.links["to_node"], net.links["length_m"], strict=True)
    ):
        pairs.setdefault(frozenset((f, t)), []).append((k, L))
    used = []
    for a, b in itertools.pairwise(seq):
        options = pairs.get(frozenset((a, b)))
        assert options, f"junctions {a} and {b} follow each other but no link joins them"
        used.append(options[0])
    return seq, used


def check_loop(net, route, target_m, tolerance=0.10, max_repeat=0.20):
    seq, used = ridden_links(net, route)
    assert seq[0] == seq[-1]  # a round trip
    total = sum(L for _k, L in used)
    assert route.length_m == pytest.approx(total, rel=1e-9)
    assert abs(total - target_m) <= tolerance * target_m + 1e-6
    count = Counter(k for k, _L in used)
    length = dict(used)
    twice = sum((c - 1) * length[k] for k, c in count.items())
    assert twice <= max_repeat * total + 1e-6
    names = [w[0] for w in route.waypoints]
    assert names == [str(net.junctions.at[n, "ref"]) for n in seq]
    return seq


@pytest.mark.parametrize("km", [8, 12, 16, 20])
def test_loops_on_a_grid(grid_net, km):
    start = int(grid_net.junctions.index[grid_net.junctions["degree"] == 4][0])
    loops = grid_net.loop(start, km=km, n=3)
    assert 1 <= len(loops) <= 3
    for r in loops:
        seq = check_loop(grid_net, r, km * 1000)
        assert seq[0] == start
    # distinct: no two share more than 70 % of their length
    for a, b in itertools.combinations(loops, 2):
        ea = Counter(frozenset(p) for p in itertools.pairwise(ridden_links(grid_net, a)[0]))
        eb = Counter(frozenset(p) for p in itertools.pairwise(ridden_links(grid_net, b)[0]))
        common = sum(1000.0 for e in ea if e in eb)
        assert common <= 0.7 * a.length_m + 1e-6


def test_loops_deterministic_by_seed(grid_net):
    start = int(grid_net.junctions.index[10])
    one = grid_net.loop(start, km=14, n=3, seed=5)
    two = grid_net.loop(start, km=14, n=3, seed=5)
    assert [r.nodes for r in one] == [r.nodes for r in two]
    seeds = {tuple(grid_net.loop(start, km=14, n=1, seed=s)[0].nodes) for s in range(6)}
    assert len(seeds) > 1  # other seeds find other loops


@settings(deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(km=st.floats(6.0, 24.0), seed=st.integers(0, 1000), start=st.integers(0, 48))
def test_loops_meet_their_constraints_or_none_exists(grid_net, km, seed, start):
    """On the 6 x 6 km grid of 1 km links, a closed walk has an even number of km (the grid
    is bipartite) and simple cycles of every even length from 4 to 48 km exist; so a loop
    exists exactly when an even number of km lies within ±10 % of the target."""
    node = int(grid_net.junctions.index[start % len(grid_net.junctions)])
    target = km * 1000
    possible = any(abs(L - target) <= 0.1 * target for L in range(4000, 48_001, 2000))
    try:
        loops = grid_net.loop(node, km=km, n=2, seed=seed)
    except LoopError as err:
        assert "no loop of" in str(err)
        assert not possible, f"a {km:.2f} km loop exists but none was found"
        return
    assert possible
    for r in loops:
        check_loop(grid_net, r, target)


def test_no_loop_on_a_line_says_why():
    coords = {i: (X0 + 1500.0 * i, Y0) for i in range(8)}
    G = make_graph(coords, [(i, i + 1) for i in range(7)])
    net = points_noeuds(G, network="all", include_places=False, min_reuse_m=2000.0)
    with pytest.raises(LoopError, match=r"no loop of 10\.0 km.*10\.5 km of links can be reached"):
        net.loop(int(net.junctions.index[0]), km=10)
    # an out-and-back rides every link twice: half its length is repeated
    end = int(net.junctions.index[net.junctions["degree"] == 1][0])
    (back,) = net.loop(end, km=9, n=1, max_repeat=0.5)
    seq, used = ridden_links(net, back)
    assert seq == [seq[0], seq[1], seq[0]]
    check_loop(net, back, 9000, max_repeat=0.5)
    with pytest.raises(LoopError):
        net.loop(end, km=9, n=1, max_repeat=0.49)


def test_loop_option_errors(grid_net):
    start = int(grid_net.junctions.index[0])
    for kw, word in [
        ({"km": -3}, "km"),
        ({"km": 10, "n": 0}, "n"),
        ({"km": 10, "n": 10**6}, "n"),
        ({"km": 10, "seed": -1}, "seed"),
        ({"km": 10, "seed": None}, "seed"),
        ({"km": 10, "tolerance": 2.0}, "tolerance"),
    ]:
        with pytest.raises(ValidationError, match=word):
            grid_net.loop(start, **kw)
    with pytest.raises(parcs.errors.NodeNotFoundError):
        grid_net.loop(123456, km=10)


def test_artois_loops(artois):
    net = points_noeuds(artois)
    # a junction on one of the few loops of the tree-like network
    start = 483 if 483 in net.junctions.index else int(net.junctions.index[0])
    loops = net.loop(start, km=10, n=3)
    for r in loops:
        check_loop(net, r, 10_000)
    strip = net.strip(loops[0])
    ref = str(net.junctions.at[start, "ref"])
    assert strip.startswith(ref + " → ") and strip.endswith(f"→ {ref} ({strip.rsplit('(', 1)[1]}")


@needs_osm_samples
def test_loops_on_an_imported_node_network():
    net = parcs.read_node_network(OSM_SAMPLES / "knooppuntnet-10887712.xml")
    deg = net.junctions["degree"]
    start = int(deg.index[deg >= 3][0])
    loops = net.loop(start, km=25, n=2)
    for r in loops:
        check_loop(net, r, 25_000)
    assert np.isfinite([r.length_m for r in loops]).all()
