"""The kernels of ``parcs._kernels.local`` against slow references (RANDOM graphs, not geodata).

Distances are checked against the heapq Dijkstra of ``tests/naive.py`` (same cutoff and stop
semantics), local efficiency against networkx induced subgraphs, and the declustering
against a plain double loop over kept pairs.
"""

from __future__ import annotations

import itertools
import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parcs._kernels.local import decluster, local_efficiency, pair_distances, place_rows, stop_reach
from tests.naive import dijkstra, graphs

SETTINGS = settings(deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))


def _close(a, b):
    return (math.isinf(a) and math.isinf(b)) or a == pytest.approx(b, rel=1e-12, abs=1e-12)


@SETTINGS
@given(graphs(max_nodes=15, max_arcs=40), st.data())
def test_pair_distances_equal_dijkstra(g, data):
    n = g["n"]
    groups = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=5))
    sizes = [data.draw(st.integers(0, 4)) for _ in groups]
    targets = [data.draw(st.integers(0, n - 1)) for _ in range(sum(sizes))]
    cut = [data.draw(st.sampled_from([math.inf, 5.0, 50.0])) for _ in groups]
    ptr = np.r_[0, np.cumsum(sizes)].astype(np.int64)
    got = pair_distances(
        g["indptr"],
        g["indices"],
        g["weights"],
        np.asarray(groups, np.int64),
        ptr,
        np.asarray(targets, np.int64),
        np.asarray(cut, np.float64),
    )
    for i, s in enumerate(groups):
        ref = dijkstra(g["indptr"], g["indices"], g["weights"], [s], cutoff=cut[i])
        for j in range(ptr[i], ptr[i + 1]):
            assert _close(got[j], ref[targets[j]])


@SETTINGS
@given(graphs(max_nodes=15, max_arcs=40), st.data())
def test_place_rows_equal_multi_source_dijkstra(g, data):
    n = g["n"]
    node = st.integers(0, n - 1)
    off = st.floats(0, 20)
    src = data.draw(st.lists(st.lists(st.tuples(node, off), max_size=3), min_size=1, max_size=4))
    tgt = data.draw(st.lists(st.lists(st.tuples(node, off), max_size=3), min_size=1, max_size=4))
    cutoff = data.draw(st.sampled_from([math.inf, 30.0]))

    def pack(groups):
        ptr = np.r_[0, np.cumsum([len(x) for x in groups])].astype(np.int64)
        nodes = np.asarray([a for x in groups for a, _ in x], dtype=np.int64)
        offs = np.asarray([b for x in groups for _, b in x], dtype=np.float64)
        return ptr, nodes, offs

    got = place_rows(g["indptr"], g["indices"], g["weights"], *pack(src), *pack(tgt), cutoff)
    for i, sg in enumerate(src):
        ref = dijkstra(
            g["indptr"],
            g["indices"],
            g["weights"],
            [a for a, _ in sg],
            [b for _, b in sg],
            cutoff=cutoff,
        )
        for t, tg in enumerate(tgt):
            want = min((ref[a] + b for a, b in tg), default=math.inf)
            assert _close(got[i, t], want)


@SETTINGS
@given(graphs(max_nodes=15, max_arcs=40), st.data())
def test_stop_reach_finds_the_first_stop_nodes(g, data):
    n = g["n"]
    stop = np.asarray(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    sources = np.asarray(
        data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=5)), np.int64
    )
    cutoff = data.draw(st.sampled_from([math.inf, 20.0]))
    ptr, nodes, dist = stop_reach(g["indptr"], g["indices"], g["weights"], sources, stop, cutoff)
    for i, s in enumerate(sources.tolist()):
        ref = dijkstra(g["indptr"], g["indices"], g["weights"], [s], cutoff=cutoff, stop_mask=stop)
        want = [(v, ref[v]) for v in range(n) if stop[v] and v != s and math.isfinite(ref[v])]
        got = list(
            zip(
                nodes[ptr[i] : ptr[i + 1]].tolist(), dist[ptr[i] : ptr[i + 1]].tolist(), strict=True
            )
        )
        assert [v for v, _ in got] == [v for v, _ in want]
        for (_, a), (_, b) in zip(got, want, strict=True):
            assert _close(a, b)


@SETTINGS
@given(graphs(max_nodes=12, max_arcs=40, coords=True))
def test_local_efficiency_equals_networkx_subgraphs(g):
    if g["directed"]:
        return  # the layer is undirected: both arcs of every edge
    n = g["n"]
    got = local_efficiency(g["indptr"], g["indices"], g["weights"], g["x"], g["y"])
    H = nx.Graph()
    for u, v, w in zip(g["tails"], g["indices"], g["weights"], strict=True):
        if u != v and (not H.has_edge(u, v) or H[u][v]["weight"] > w):
            H.add_edge(int(u), int(v), weight=float(w))
    for u in range(n):
        if g["indptr"][u + 1] == g["indptr"][u]:
            assert math.isnan(got[u])
            continue
        nb = sorted(H.neighbors(u)) if u in H else []
        sub = dict(nx.all_pairs_dijkstra_path_length(H.subgraph(nb)))
        num = den = 0.0
        for a, b in itertools.permutations(nb, 2):
            s = math.hypot(g["x"][a] - g["x"][b], g["y"][a] - g["y"][b])
            if s >= 1e-3:  # the documented rule: under 1 mm apart is the same spot
                den += 1 / s
                d = sub[a].get(b, math.inf)
                num += 1 / d if 0 < d < math.inf else 0.0
        assert got[u] == pytest.approx(num / den if den else 0.0, rel=1e-12, abs=1e-15)


@SETTINGS
@given(
    st.lists(st.tuples(*[st.integers(0, 2000).map(float)] * 4), min_size=0, max_size=40),
    st.sampled_from([0.0, 50.0, 250.0, 900.0]),
)
def test_decluster_equals_the_double_loop(pairs, radius):
    arr = np.asarray(pairs, dtype=np.float64).reshape(-1, 4)
    got = decluster(arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3], radius, max(radius, 1.0))
    kept = []
    for i, (ax, ay, bx, by) in enumerate(arr):
        dup = any(
            (
                math.dist((ax, ay), arr[j, :2]) <= radius
                and math.dist((bx, by), arr[j, 2:]) <= radius
            )
            or (
                math.dist((ax, ay), arr[j, 2:]) <= radius
                and math.dist((bx, by), arr[j, :2]) <= radius
            )
            for j in kept
        )
        if not dup:
            kept.append(i)
    assert np.flatnonzero(got).tolist() == kept


@SETTINGS
@given(graphs(max_nodes=15, max_arcs=40), st.data())
def test_stop_paths_are_shortest_chains_of_real_arcs(g, data):
    from parcs._kernels.local import stop_paths

    n = g["n"]
    stop = np.asarray(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    sources = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=4, unique=True))
    groups = [data.draw(st.lists(st.integers(0, n - 1), max_size=4)) for _ in sources]
    cutoff = data.draw(st.sampled_from([math.inf, 25.0]))
    gp = np.r_[0, np.cumsum([len(t) for t in groups])].astype(np.int64)
    targets = np.asarray([t for ts in groups for t in ts], dtype=np.int64)
    ptr, arcs = stop_paths(
        g["indptr"],
        g["indices"],
        g["weights"],
        np.asarray(sources, np.int64),
        gp,
        targets,
        stop,
        cutoff,
    )
    tails = g["tails"]
    for i, s in enumerate(sources):
        ref = dijkstra(g["indptr"], g["indices"], g["weights"], [s], cutoff=cutoff, stop_mask=stop)
        for j in range(gp[i], gp[i + 1]):
            t = int(targets[j])
            path = arcs[ptr[j] : ptr[j + 1]].tolist()
            if math.isinf(ref[t]) or t == s:
                assert path == []
                continue
            assert int(tails[path[0]]) == s and int(g["indices"][path[-1]]) == t
            for e, f in zip(path[:-1], path[1:], strict=False):
                assert int(g["indices"][e]) == int(tails[f])
                assert not stop[int(g["indices"][e])]  # never through a stop node
            assert sum(g["weights"][path]) == pytest.approx(ref[t], rel=1e-12, abs=1e-12)
