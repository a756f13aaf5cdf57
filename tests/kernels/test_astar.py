"""A* and bidirectional Dijkstra against Dijkstra, scipy and networkx."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import dijkstra as sp_dijkstra
from tests import naive

from parcs._kernels.astar import astar, astar_multi, bidirectional_dijkstra, reverse_csr
from parcs._kernels.dijkstra import dijkstra
from parcs._kernels.paths import path_arcs

SETTINGS = settings(deadline=None, derandomize=True)


def h_scale_of(g):
    """Independent computation of the largest consistent heuristic scale (a Python loop)."""
    best = math.inf
    for e in range(len(g["indices"])):
        u, v = int(g["tails"][e]), int(g["indices"][e])
        d = math.hypot(g["x"][u] - g["x"][v], g["y"][u] - g["y"][v])
        if d > 0:
            best = min(best, float(g["weights"][e]) / d)
    return 0.0 if math.isinf(best) else best * (1 - 1e-12)


@SETTINGS
@given(g=naive.graphs(coords=True), data=st.data())
def test_astar_equals_dijkstra(g, data):
    n = g["n"]
    s = data.draw(st.integers(0, n - 1))
    t = data.draw(st.integers(0, n - 1))
    ref = sp_dijkstra(naive.to_scipy(g), indices=s)[t]
    for scale in (0.0, h_scale_of(g)):
        d, pred = astar(g["indptr"], g["indices"], g["weights"], g["x"], g["y"], s, t, scale)
        assert math.isclose(d, ref, rel_tol=1e-9) or d == ref == math.inf
        if d < math.inf:
            naive.check_path(g, path_arcs(pred, g["indptr"], t), s, t, d)


@SETTINGS
@given(g=naive.graphs(coords=True), data=st.data())
def test_astar_multi_equals_virtual_super_source(g, data):
    n = g["n"]
    k = data.draw(st.integers(1, 3))
    sources = data.draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k))
    offsets = data.draw(st.lists(st.floats(0, 30, allow_nan=False), min_size=k, max_size=k))
    targets = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=3))
    G = naive.to_networkx(g)
    G.add_node("super")
    for s, o in zip(sources, offsets):
        G.add_edge("super", s, weight=o)
    ref = nx.single_source_dijkstra_path_length(G, "super")
    for scale in (0.0, h_scale_of(g)):
        dist, pred = astar_multi(
            g["indptr"],
            g["indices"],
            g["weights"],
            g["x"],
            g["y"],
            np.array(sources, np.int64),
            np.array(offsets),
            np.array(targets, np.int64),
            scale,
        )
        for t in targets:
            expect = ref.get(t, math.inf)
            assert math.isclose(dist[t], expect, rel_tol=1e-9) or dist[t] == expect == math.inf
            if dist[t] < math.inf:
                arcs = path_arcs(pred, g["indptr"], t)
                start = int(g["tails"][arcs[0]]) if len(arcs) else t
                off = min(o for s, o in zip(sources, offsets) if s == start)
                naive.check_path(g, arcs, start, t, dist[t] - off, rel=1e-7)


@SETTINGS
@given(g=naive.graphs(with_inf=True), data=st.data())
def test_bidirectional_equals_networkx(g, data):
    n = g["n"]
    s = data.draw(st.integers(0, n - 1))
    t = data.draw(st.integers(0, n - 1))
    rindptr, rindices, rarcs = reverse_csr(g["indptr"], g["indices"], g["tails"])
    d, arcs = bidirectional_dijkstra(
        g["indptr"], g["indices"], g["weights"], rindptr, rindices, rarcs, s, t
    )
    try:
        ref = nx.dijkstra_path_length(naive.to_networkx(g), s, t)
    except nx.NetworkXNoPath:
        ref = math.inf
    assert math.isclose(d, ref, rel_tol=1e-9) or d == ref == math.inf
    if d < math.inf:
        naive.check_path(g, arcs, s, t, d)
    else:
        assert arcs.size == 0


@SETTINGS
@given(g=naive.graphs())
def test_reverse_csr_lists_every_arc_once(g):
    rindptr, rindices, rarcs = reverse_csr(g["indptr"], g["indices"], g["tails"])
    assert sorted(rarcs.tolist()) == list(range(len(g["indices"])))
    for v in range(g["n"]):
        for r in range(rindptr[v], rindptr[v + 1]):
            e = rarcs[r]
            assert g["indices"][e] == v
            assert g["tails"][e] == rindices[r]


def test_astar_unreachable_and_same_node():
    indptr, indices, _, w = naive.to_csr(3, [0], [1], [2.0])
    x = np.array([0.0, 2.0, 5.0])
    y = np.zeros(3)
    d, _ = astar(indptr, indices, w, x, y, 0, 2, 1.0)
    assert d == math.inf
    d, pred = astar(indptr, indices, w, x, y, 1, 1, 1.0)
    assert d == 0.0
    assert pred[1] == -1
    # cross-check with the one-to-all kernel
    dist, _ = dijkstra(
        indptr,
        indices,
        w,
        np.array([0]),
        np.zeros(1),
        np.empty(0, np.int64),
        math.inf,
        np.empty(0, np.bool_),
    )
    assert astar(indptr, indices, w, x, y, 0, 1, 1.0)[0] == dist[1] == 2.0
