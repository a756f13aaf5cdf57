"""Path reconstruction helpers, and the prefetch hint on a graph large enough to use it."""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import dijkstra as sp_dijkstra
from tests import naive

from parcs._kernels.astar import bidirectional_dijkstra, reverse_csr
from parcs._kernels.dijkstra import dijkstra
from parcs._kernels.many import many_to_many
from parcs._kernels.paths import path_arcs, path_nodes, tail_of
from parcs._kernels.prefetch import PREFETCH_MIN_ARCS, prefetch

SETTINGS = settings(deadline=None, derandomize=True)


@SETTINGS
@given(degrees=st.lists(st.integers(0, 4), min_size=1, max_size=30))
def test_tail_of_matches_repeat(degrees):
    # nodes of degree 0 (empty ranges in indptr) are the case a bisection can get wrong
    indptr = np.zeros(len(degrees) + 1, dtype=np.int64)
    np.cumsum(degrees, out=indptr[1:])
    expected = np.repeat(np.arange(len(degrees)), degrees)
    got = [int(tail_of(e, indptr)) for e in range(int(indptr[-1]))]
    assert got == expected.tolist()


@SETTINGS
@given(g=naive.graphs(), data=st.data())
def test_path_nodes_follow_real_arcs(g, data):
    n = len(g["indptr"]) - 1
    s = data.draw(st.integers(0, n - 1))
    src = np.array([s], dtype=np.int64)
    dist, pred = dijkstra(
        g["indptr"],
        g["indices"],
        g["weights"],
        src,
        np.zeros(1),
        np.empty(0, dtype=np.int64),
        math.inf,
        np.empty(0, dtype=np.bool_),
    )
    for t in np.flatnonzero(np.isfinite(dist)):
        arcs = path_arcs(pred, g["indptr"], t)
        nodes = path_nodes(arcs, g["indptr"], g["indices"], s)
        assert nodes[0] == s
        assert nodes[-1] == t
        for a, u, v in zip(arcs, nodes[:-1], nodes[1:], strict=True):
            assert g["tails"][a] == u
            assert g["indices"][a] == v
        assert sum(g["weights"][a] for a in arcs) == pytest.approx(dist[t], rel=1e-9, abs=1e-12)


@numba.njit
def _touch(arr):
    for i in range(arr.shape[0] + 1):  # one past the end too: a prefetch never faults
        prefetch(arr, i)
    return arr.sum()


def test_prefetch_is_only_a_hint():
    arr = np.arange(5.0)
    assert _touch(arr) == 10.0
    assert _touch(np.empty(0)) == 0.0


def test_search_with_sink_as_last_node():
    # the last node has no arcs: its first arc index is m, one past the arrays' end, and
    # the kernels prefetch it when the node is pushed
    indptr, indices, tails, w = naive.to_csr(3, [0, 0, 1], [1, 2, 2], [1.0, 5.0, 1.0])
    dist, _ = dijkstra(
        indptr,
        indices,
        w,
        np.array([0]),
        np.zeros(1),
        np.empty(0, dtype=np.int64),
        math.inf,
        np.empty(0, dtype=np.bool_),
    )
    g = {"n": 3, "tails": tails, "indices": indices, "weights": w}
    ref = sp_dijkstra(naive.to_scipy(g), indices=0)
    assert dist.tolist() == ref.tolist() == [0.0, 1.0, 2.0]


def test_kernels_that_prefetch_are_exact_on_a_large_graph():
    # the hypothesis graphs are far below PREFETCH_MIN_ARCS, so the prefetching branch of
    # each Dijkstra kernel is checked here, against scipy, on a random-weight grid
    side = 150
    n = side * side
    idx = np.arange(n).reshape(side, side)
    right = np.column_stack((idx[:, :-1].ravel(), idx[:, 1:].ravel()))
    down = np.column_stack((idx[:-1, :].ravel(), idx[1:, :].ravel()))
    und = np.concatenate((right, down))
    rng = np.random.default_rng(3)
    w_und = rng.uniform(1.0, 100.0, len(und))
    tails = np.concatenate((und[:, 0], und[:, 1]))
    heads = np.concatenate((und[:, 1], und[:, 0]))
    indptr, indices, tails_s, w = naive.to_csr(n, tails, heads, np.concatenate((w_und, w_und)))
    assert len(indices) >= PREFETCH_MIN_ARCS
    g = {"n": n, "tails": tails_s, "indices": indices, "weights": w}
    ref = sp_dijkstra(naive.to_scipy(g), indices=[0, 777])
    no_t, no_mask = np.empty(0, dtype=np.int64), np.empty(0, dtype=np.bool_)
    for k, s in enumerate((0, 777)):
        src = np.array([s])
        dist, pred = dijkstra(indptr, indices, w, src, np.zeros(1), no_t, math.inf, no_mask)
        np.testing.assert_allclose(dist, ref[k], rtol=1e-12)
        t = n - 1 - s
        arcs = path_arcs(pred, indptr, t)
        assert w[arcs].sum() == pytest.approx(ref[k][t], rel=1e-12)
        cut = float(np.median(ref[k]))
        dcut, _ = dijkstra(indptr, indices, w, src, np.zeros(1), no_t, cut, no_mask)
        np.testing.assert_allclose(dcut, np.where(ref[k] <= cut, ref[k], np.inf), rtol=1e-12)
        rind = reverse_csr(indptr, indices, tails_s)
        d_bi, arcs_bi = bidirectional_dijkstra(indptr, indices, w, *rind, s, t)
        assert d_bi == pytest.approx(ref[k][t], rel=1e-12)
        assert w[arcs_bi].sum() == pytest.approx(d_bi, rel=1e-12)
    table = many_to_many(indptr, indices, w, np.array([0, 777]), np.arange(n), math.inf)
    np.testing.assert_allclose(table, ref, rtol=1e-12)
