"""Junction numbering (parcs._numbering, parcs.junctions.number_junctions).

References: a brute-force verifier written here (all pairs, pure Python), networkx
``greedy_color(strategy="DSATUR")`` on the same conflict graph, exhaustive chromatic numbers on
small graphs, and the known fact that DSATUR colours bipartite graphs with 2 colours.
"""

from __future__ import annotations

import itertools
import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parcs.junctions import numbering as _numbering
from parcs.errors import NumberingError
from parcs.junctions import number_junctions

SETTINGS = settings(deadline=None, derandomize=True)


def brute_conflicts(xy, links, min_reuse_m, *, distinct_neighbours=True):
    """All conflicting pairs, computed the slow way."""
    n = len(xy)
    out = set()
    nbrs = {i: set() for i in range(n)}
    for i, j in links:
        if i != j:
            out.add((min(i, j), max(i, j)))
            nbrs[i].add(j)
            nbrs[j].add(i)
    if distinct_neighbours:
        for around in nbrs.values():
            for a, b in itertools.combinations(sorted(around), 2):
                out.add((a, b))
    for i in range(n):
        for j in range(i + 1, n):
            if math.dist(xy[i], xy[j]) < min_reuse_m:
                out.add((i, j))
    return out


def verify(numbers, xy, links, min_reuse_m, *, distinct_neighbours=True, max_number=99):
    """Independent check of every rule; returns the list of broken rules."""
    bad = [i for i, v in enumerate(numbers) if not 1 <= v <= max_number]
    for i, j in brute_conflicts(xy, links, min_reuse_m, distinct_neighbours=distinct_neighbours):
        if numbers[i] == numbers[j]:
            bad.append((i, j))
    return bad


def chromatic_number(n, edges):
    """Smallest k admitting a proper colouring (exhaustive; n <= 7)."""
    if n == 0:
        return 0
    for k in range(1, n + 1):
        for colours in itertools.product(range(k), repeat=n):
            if all(colours[a] != colours[b] for a, b in edges):
                return k
    return n


points = st.lists(
    st.tuples(st.floats(0, 20_000, allow_nan=False), st.floats(0, 20_000, allow_nan=False)),
    min_size=1,
    max_size=60,
)


@SETTINGS
@given(points, st.floats(500, 8000), st.sampled_from(["spread", "smallest"]), st.data())
def test_random_points_valid_and_deterministic(pts, min_reuse_m, choice, data):
    xy = np.asarray(pts)
    n = len(xy)
    k = data.draw(st.integers(0, 2 * n))
    links = [(data.draw(st.integers(0, n - 1)), data.draw(st.integers(0, n - 1))) for _ in range(k)]
    links = [(i, j) for i, j in links if i != j]
    nums = number_junctions(xy, links, min_reuse_m=min_reuse_m, choice=choice)
    assert verify(nums.tolist(), pts, links, min_reuse_m) == []
    again = number_junctions(xy, links, min_reuse_m=min_reuse_m, choice=choice)
    assert np.array_equal(nums, again)


@SETTINGS
@given(points, st.floats(500, 8000))
def test_conflict_pairs_match_brute_force(pts, min_reuse_m):
    xy = np.asarray(pts)
    links = [(i, i + 1) for i in range(len(pts) - 1)]
    pairs = _numbering.conflict_pairs(xy, links, min_reuse_m=min_reuse_m)
    assert set(pairs) == brute_conflicts(pts, links, min_reuse_m)
    for (i, j), reason in pairs.items():
        if reason == "adjacent":
            assert abs(i - j) == 1


@SETTINGS
@given(st.integers(1, 7), st.data())
def test_smallest_choice_against_exact_chromatic_number(n, data):
    all_pairs = list(itertools.combinations(range(n), 2))
    edges = data.draw(st.lists(st.sampled_from(all_pairs), unique=True)) if all_pairs else []
    pairs = dict.fromkeys(edges, "adjacent")
    nums = _numbering.colour_junctions(
        n, pairs, ids=np.arange(n, dtype=np.int64), choice="smallest"
    )
    assert all(nums[a] != nums[b] for a, b in edges)
    used = len(set(nums.tolist()))
    chi = chromatic_number(n, edges)
    max_deg = max((sum(1 for e in edges if v in e) for v in range(n)), default=0)
    assert chi <= used <= max_deg + 1
    # same algorithm as networkx's DSATUR (tie-breaks differ): about as many colours
    H = nx.Graph()
    H.add_nodes_from(range(n))
    H.add_edges_from(edges)
    nx_used = len(set(nx.greedy_color(H, strategy="DSATUR").values()))
    assert nx_used >= chi
    assert used <= nx_used + 1


@SETTINGS
@given(st.integers(2, 40), st.integers(0, 10_000))
def test_dsatur_is_exact_on_bipartite_graphs(n, seed):
    rng = np.random.default_rng(seed)
    T = nx.random_labeled_tree(n, seed=int(rng.integers(1 << 30)))
    side = nx.bipartite.color(T)
    extra = [(a, b) for a in range(n) for b in range(a + 1, n) if side[a] != side[b]]
    rng.shuffle(extra)
    edges = sorted({tuple(sorted(e)) for e in [*T.edges, *map(tuple, extra[:n])]})
    pairs = dict.fromkeys(edges, "adjacent")
    nums = _numbering.colour_junctions(
        n, pairs, ids=np.arange(n, dtype=np.int64), choice="smallest"
    )
    assert sorted(set(nums.tolist())) == [1, 2]


def test_same_as_networkx_count_on_a_grid():
    # a 6x6 grid of junctions 2 km apart, linked along rows and columns
    xy = np.array([(2000.0 * i, 2000.0 * j) for i in range(6) for j in range(6)])
    links = [(i * 6 + j, i * 6 + j + 1) for i in range(6) for j in range(5)]
    links += [(i * 6 + j, (i + 1) * 6 + j) for i in range(5) for j in range(6)]
    pairs = _numbering.conflict_pairs(xy, links, min_reuse_m=4500.0)
    nums = _numbering.colour_junctions(36, pairs, ids=np.arange(36), xy=xy, choice="smallest")
    H = nx.Graph(list(pairs))
    ref = nx.greedy_color(H, strategy="DSATUR")
    ref_nums = [ref[i] + 1 for i in range(36)]
    assert verify(ref_nums, xy.tolist(), links, 4500.0) == []  # the verifier accepts nx's answer
    assert verify(nums.tolist(), xy.tolist(), links, 4500.0) == []
    assert len(set(nums.tolist())) <= len(set(ref_nums))


def test_spread_maximises_reuse_distance():
    # 150 junctions on a 1 km line: more than 99, so numbers must be reused
    xy = np.array([(1000.0 * i, 0.0) for i in range(150)])
    links = [(i, i + 1) for i in range(149)]
    spread = number_junctions(xy, links, min_reuse_m=5000.0, choice="spread")
    smallest = number_junctions(xy, links, min_reuse_m=5000.0, choice="smallest")

    def min_reuse(nums):
        best = math.inf
        for i in range(150):
            for j in range(i + 1, 150):
                if nums[i] == nums[j]:
                    best = min(best, 1000.0 * (j - i))
        return best

    assert min_reuse(smallest.tolist()) >= 5000
    assert min_reuse(spread.tolist()) >= 50_000  # 99 numbers on 150 km: reuse >= ~50 km apart
    assert len(set(spread.tolist())) == 99


def test_fixed_numbers_kept():
    xy = np.array([(0.0, 0.0), (2000.0, 0.0), (4000.0, 0.0), (20_000.0, 0.0)])
    links = [(0, 1), (1, 2)]
    nums = number_junctions(xy, links, min_reuse_m=5000.0, fixed_numbers={1: 42, 3: 42})
    assert nums[1] == 42 and nums[3] == 42
    assert verify(nums.tolist(), xy.tolist(), links, 5000.0) == []


@pytest.mark.parametrize(
    ("fixed", "word", "where"),
    [
        ({0: 7, 1: 7}, "adjacent", "node 0"),
        ({0: 100}, "range", "node 0"),
        ({2: 0}, "range", "node 2"),
        ({0: 5, 3: 5}, "min_reuse_m", "node 3"),
        ({0: 5, 2: 5}, "neighbours", "node 2"),
    ],
)
def test_impossible_fixed_numbers_raise(fixed, word, where):
    xy = np.array([(0.0, 0.0), (3000.0, 0.0), (6000.0, 0.0), (100.0, 100.0)])
    links = [(0, 1), (1, 2)]
    with pytest.raises(NumberingError, match=word) as info:
        number_junctions(xy, links, min_reuse_m=1000.0, fixed_numbers=fixed)
    assert where in str(info.value)


def test_more_than_99_numbers_needed_raises():
    # 120 junctions within 1 km of each other, min_reuse 5 km: all must differ
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 1000, size=(120, 2))
    with pytest.raises(NumberingError, match="min_reuse_m") as info:
        number_junctions(xy, [], min_reuse_m=5000.0)
    assert "99" in str(info.value)


def test_repair_step_keeps_every_junction_numbered():
    # found by a random search: with only 3 numbers, DSATUR gets stuck on this graph and the
    # one-step repair (recolour one neighbour) finishes the job
    edges = [
        (0, 1),
        (0, 2),
        (0, 3),
        (0, 5),
        (1, 4),
        (2, 3),
        (2, 4),
        (2, 5),
        (3, 7),
        (4, 6),
        (4, 7),
        (5, 6),
        (5, 7),
        (6, 7),
    ]
    pairs = dict.fromkeys(edges, "adjacent")
    calls = []
    original = _numbering._repair

    def spy(*args, **kwargs):
        out = original(*args, **kwargs)
        calls.append(out)
        return out

    _numbering._repair = spy
    try:
        nums = _numbering.colour_junctions(
            8, pairs, ids=np.arange(8), choice="smallest", max_number=3
        )
    finally:
        _numbering._repair = original
    assert calls and calls[0]  # the repair ran and succeeded
    assert all(1 <= v <= 3 for v in nums.tolist())
    assert all(nums[a] != nums[b] for a, b in edges)
    # independent: the graph is indeed 3-colourable
    assert chromatic_number(8, edges) <= 3


@SETTINGS
@given(st.integers(2, 9), st.integers(2, 4), st.data())
def test_few_numbers_valid_or_error(n, max_number, data):
    all_pairs = list(itertools.combinations(range(n), 2))
    edges = data.draw(st.lists(st.sampled_from(all_pairs), unique=True))
    pairs = dict.fromkeys(edges, "adjacent")
    try:
        nums = _numbering.colour_junctions(
            n, pairs, ids=np.arange(n), choice="smallest", max_number=max_number
        )
    except NumberingError as err:
        assert "numbers would be needed" in str(err)
        return
    assert all(1 <= v <= max_number for v in nums.tolist())
    assert all(nums[a] != nums[b] for a, b in edges)
