"""Dijkstra kernel against networkx, scipy.sparse.csgraph and the pure-Python reference."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import dijkstra as sp_dijkstra
from tests import naive

from parcs._kernels import NO_PRED, UNREACHABLE
from parcs._kernels.dijkstra import dijkstra
from parcs._kernels.paths import path_arcs

SETTINGS = settings(deadline=None, derandomize=True)
NO_T = np.empty(0, dtype=np.int64)
NO_MASK = np.empty(0, dtype=np.bool_)


def run(g, sources, offsets=None, targets=NO_T, cutoff=math.inf, stop=NO_MASK):
    src = np.asarray(sources, dtype=np.int64)
    off = np.zeros(len(src)) if offsets is None else np.asarray(offsets, dtype=np.float64)
    return dijkstra(
        g["indptr"],
        g["indices"],
        g["weights"],
        src,
        off,
        np.asarray(targets, np.int64),
        cutoff,
        stop,
    )


@SETTINGS
@given(g=naive.graphs(), data=st.data())
def test_one_to_all_matches_networkx_scipy_and_bfs(g, data):
    s = data.draw(st.integers(0, g["n"] - 1))
    dist, pred = run(g, [s])
    ref_nx = nx.single_source_dijkstra_path_length(naive.to_networkx(g), s)
    expect_nx = np.array([ref_nx.get(v, math.inf) for v in range(g["n"])])
    expect_sp = sp_dijkstra(naive.to_scipy(g), indices=s)
    np.testing.assert_allclose(dist, expect_nx, rtol=1e-9)
    np.testing.assert_allclose(dist, expect_sp, rtol=1e-9)
    reach = naive.bfs_reachable(g["indptr"], g["indices"], g["weights"], [s])
    assert {v for v in range(g["n"]) if dist[v] < math.inf} == reach
    assert pred[s] == NO_PRED
    for v in reach:
        naive.check_path(g, path_arcs(pred, g["indptr"], v), s, v, dist[v])
    for v in set(range(g["n"])) - reach:
        assert pred[v] == NO_PRED
        assert dist[v] == UNREACHABLE


@SETTINGS
@given(g=naive.graphs(with_inf=True), data=st.data())
def test_inf_arcs_are_skipped(g, data):
    s = data.draw(st.integers(0, g["n"] - 1))
    dist, pred = run(g, [s])
    # reference built without the inf arcs
    expect = naive.dijkstra(g["indptr"], g["indices"], g["weights"], [s])
    np.testing.assert_allclose(dist, expect, rtol=1e-9)
    used = pred[pred >= 0]
    assert np.isfinite(g["weights"][used]).all()


@SETTINGS
@given(g=naive.graphs(), data=st.data())
def test_targets_early_exit_exact_on_targets(g, data):
    n = g["n"]
    s = data.draw(st.integers(0, n - 1))
    targets = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=4))
    dist, pred = run(g, [s], targets=targets)
    ref = sp_dijkstra(naive.to_scipy(g), indices=s)
    np.testing.assert_allclose(dist[targets], ref[targets], rtol=1e-9)
    for t in targets:
        if dist[t] < math.inf:
            naive.check_path(g, path_arcs(pred, g["indptr"], t), s, t, dist[t])
    # every settled-or-labelled distance is an upper bound of the true one
    finite = np.isfinite(dist)
    assert (dist[finite] >= ref[finite] - 1e-9 * np.abs(ref[finite])).all()


@SETTINGS
@given(g=naive.graphs(), data=st.data())
def test_multi_source_with_offsets_equals_virtual_super_source(g, data):
    n = g["n"]
    k = data.draw(st.integers(1, 3))
    sources = data.draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k))
    offsets = data.draw(st.lists(st.floats(0, 50, allow_nan=False), min_size=k, max_size=k))
    dist, pred = run(g, sources, offsets)
    G = naive.to_networkx(g)
    G.add_node("super")
    for s, o in zip(sources, offsets):
        G.add_edge("super", s, weight=o)
    ref = nx.single_source_dijkstra_path_length(G, "super")
    expect = np.array([ref.get(v, math.inf) for v in range(n)])
    np.testing.assert_allclose(dist, expect, rtol=1e-9)
    for v in range(n):
        if dist[v] < math.inf:
            arcs = path_arcs(pred, g["indptr"], v)
            start = int(g["tails"][arcs[0]]) if len(arcs) else v
            offs = [o for s, o in zip(sources, offsets) if s == start]
            assert offs, "a path must start at a source"
            naive.check_path(g, arcs, start, v, dist[v] - min(offs), rel=1e-7)


@SETTINGS
@given(g=naive.graphs(), data=st.data())
def test_cutoff_matches_reference(g, data):
    s = data.draw(st.integers(0, g["n"] - 1))
    cutoff = data.draw(st.sampled_from([0.0, 3.0, 7.5, 20.0, 100.0]))
    dist, _ = run(g, [s], cutoff=cutoff)
    expect = naive.dijkstra(g["indptr"], g["indices"], g["weights"], [s], cutoff=cutoff)
    np.testing.assert_allclose(dist, expect, rtol=1e-9)
    full = sp_dijkstra(naive.to_scipy(g), indices=s)
    inside = full <= cutoff
    np.testing.assert_allclose(dist[inside], full[inside], rtol=1e-9)
    assert np.isinf(dist[~inside]).all()


@SETTINGS
@given(g=naive.graphs(), data=st.data())
def test_stop_mask_matches_reference(g, data):
    n = g["n"]
    s = data.draw(st.integers(0, n - 1))
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=np.bool_)
    dist, pred = run(g, [s], stop=mask)
    expect = naive.dijkstra(g["indptr"], g["indices"], g["weights"], [s], stop_mask=mask)
    np.testing.assert_allclose(dist, expect, rtol=1e-9)
    # no path passes THROUGH a stop node (other than the source)
    for v in range(n):
        if dist[v] < math.inf:
            arcs = path_arcs(pred, g["indptr"], v)
            inner = [int(g["tails"][e]) for e in arcs[1:]]
            assert not any(mask[u] for u in inner if u != s)


def test_hand_made_example():
    # 0 -> 1 (1), 1 -> 2 (1), 0 -> 2 (5), 2 -> 3 (inf)
    indptr, indices, tails, w = naive.to_csr(4, [0, 1, 0, 2], [1, 2, 2, 3], [1, 1, 5, math.inf])
    g = {"indptr": indptr, "indices": indices, "tails": tails, "weights": w}
    dist, pred = run(g, [0])
    assert dist.tolist() == [0.0, 1.0, 2.0, math.inf]
    assert [int(tails[e]) for e in path_arcs(pred, indptr, 2)] == [0, 1]
    assert path_arcs(pred, indptr, 0).size == 0


def test_bad_node_index_raises():
    indptr, indices, _, w = naive.to_csr(2, [0], [1], [1.0])
    with pytest.raises(ValueError, match="out of range"):
        dijkstra(indptr, indices, w, np.array([5]), np.zeros(1), NO_T, math.inf, NO_MASK)


def test_negative_weights_cannot_overflow_the_one_to_all_heap():
    # The one-to-all loop allocates its heap once, for len(indices) + len(sources) items,
    # which is enough when weights are >= 0. Here a negative arc a -> 1 re-opens node 1 after
    # it was expanded, so its K leaves are pushed twice (2K live items > K + 4 slots): the
    # kernel must raise instead of writing past the end of the heap.
    k = 8
    a = 1 + k + 1  # nodes: 0 source, 1 hub, 2..k+1 leaves, a
    tails = [0, 0, a, *([1] * k)]
    heads = [1, a, 1, *range(2, k + 2)]
    weights = [0.0, 1.0, -2.0, *([1000.0] * k)]
    indptr, indices, tails_, w = naive.to_csr(a + 1, tails, heads, weights)
    g = {"indptr": indptr, "indices": indices, "tails": tails_, "weights": w}
    with pytest.raises(ValueError, match="weights must be >= 0"):
        run(g, [0])
