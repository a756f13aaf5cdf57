"""many_to_many against scipy.sparse.csgraph; triangle inequality."""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import dijkstra as sp_dijkstra
from tests import naive

from parcs._kernels.many import many_to_many

SETTINGS = settings(deadline=None, derandomize=True)


@SETTINGS
@given(g=naive.graphs(), data=st.data())
def test_many_to_many_matches_scipy(g, data):
    n = g["n"]
    sources = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=5))
    targets = data.draw(st.lists(st.integers(0, n - 1), min_size=0, max_size=5))
    cutoff = data.draw(st.sampled_from([math.inf, 5.0]))
    got = many_to_many(
        g["indptr"],
        g["indices"],
        g["weights"],
        np.array(sources, np.int64),
        np.array(targets, np.int64),
        cutoff,
    )
    ref = sp_dijkstra(naive.to_scipy(g), indices=sources)[:, targets]
    ref[ref > cutoff] = math.inf
    assert got.shape == (len(sources), len(targets))
    np.testing.assert_allclose(got, ref, rtol=1e-9)


@SETTINGS
@given(g=naive.graphs(max_nodes=12))
def test_all_pairs_triangle_inequality(g):
    n = g["n"]
    nodes = np.arange(n, dtype=np.int64)
    D = many_to_many(g["indptr"], g["indices"], g["weights"], nodes, nodes, math.inf)
    assert (np.diag(D) == 0).all()
    # triangle inequality: going through any j is never shorter
    via = D[:, :, None] + D[None, :, :]
    assert (D[:, None, :] <= via + 1e-9 * np.where(np.isfinite(via), via, 0)).all()
    if not g["directed"]:
        np.testing.assert_allclose(D, D.T, rtol=1e-9)


def test_thread_count_does_not_change_results():
    rng = np.random.default_rng(1)
    n, m = 300, 1200
    tails, heads = rng.integers(0, n, m), rng.integers(0, n, m)
    indptr, indices, _, w = naive.to_csr(n, tails, heads, rng.random(m))
    src = np.arange(0, n, 7, dtype=np.int64)
    tgt = np.arange(0, n, 3, dtype=np.int64)
    old = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        a = many_to_many(indptr, indices, w, src, tgt, math.inf)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        b = many_to_many(indptr, indices, w, src, tgt, math.inf)
    finally:
        numba.set_num_threads(old)
    np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------ group_distances


@SETTINGS
@given(g=naive.graphs(with_inf=True), data=st.data())
def test_group_distances_match_reference(g, data):
    """Each entry = min over the group's sources/targets of offset + distance + offset."""
    from parcs._kernels.many import group_distances

    n = g["n"]
    node = st.integers(0, n - 1)
    off = st.sampled_from([0.0, 0.5, 3.0, math.inf])
    src = data.draw(st.lists(st.lists(st.tuples(node, off), max_size=3), max_size=4))
    tgt = data.draw(st.lists(st.lists(st.tuples(node, off), max_size=3), max_size=4))
    cutoff = data.draw(st.sampled_from([math.inf, 6.0]))

    def flat(groups):
        ptr = np.cumsum([0] + [len(gr) for gr in groups]).astype(np.int64)
        nodes = np.array([v for gr in groups for v, _ in gr], dtype=np.int64)
        offs = np.array([o for gr in groups for _, o in gr], dtype=np.float64)
        return ptr, nodes, offs

    got = group_distances(g["indptr"], g["indices"], g["weights"], *flat(src), *flat(tgt), cutoff)
    assert got.shape == (len(src), len(tgt))
    for i, sg in enumerate(src):
        best = [math.inf] * n  # min over the group's sources of offset + distance, cut
        for s, o in sg:
            d = naive.dijkstra(g["indptr"], g["indices"], g["weights"], [s], [o], cutoff=cutoff)
            best = [min(a, b) for a, b in zip(best, d)]
        for j, tg in enumerate(tgt):
            want = min([best[t] + o for t, o in tg], default=math.inf)
            assert got[i, j] == pytest.approx(want, rel=1e-12) or got[i, j] == want


def test_group_distances_rejects_bad_nodes():
    from parcs._kernels.many import group_distances

    indptr, indices, _, w = naive.to_csr(2, [0], [1], [1.0])
    ptr = np.array([0, 1], dtype=np.int64)
    with pytest.raises(ValueError, match="out of range"):
        group_distances(
            indptr,
            indices,
            w,
            ptr,
            np.array([5]),
            np.zeros(1),
            ptr,
            np.array([1]),
            np.zeros(1),
            math.inf,
        )
