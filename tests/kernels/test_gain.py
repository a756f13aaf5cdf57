"""Tests of parcs._kernels.gain against scipy.sparse.csgraph and slow pure-Python references.

Graphs are RANDOM (hypothesis), undirected, stored as CSR with both arc directions.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import dijkstra as sp_dijkstra

from parcs._kernels.gain import distance_rows, link_gains, relax_od, relax_rows


@st.composite
def graphs(draw):
    n = draw(st.integers(2, 12))
    m = draw(st.integers(0, 3 * n))
    us = draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    vs = draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    ws = draw(st.lists(st.floats(0.5, 100.0), min_size=m, max_size=m))
    tails = np.array(us + vs, dtype=np.int64)
    heads = np.array(vs + us, dtype=np.int64)
    wts = np.array(ws + ws, dtype=np.float64)
    order = np.argsort(tails, kind="stable")
    tails, heads, wts = tails[order], heads[order], wts[order]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(tails, minlength=n), out=indptr[1:])
    return n, indptr, heads, wts, tails


def scipy_matrix(n, tails, heads, wts, extra=()):
    """Dense all-pairs distances (scipy) with optional extra undirected edges."""
    rows = list(tails) + [a for a, b, _ in extra] + [b for a, b, _ in extra]
    cols = list(heads) + [b for a, b, _ in extra] + [a for a, b, _ in extra]
    vals = list(wts) + [w for *_, w in extra] * 2
    # keep the minimum of parallel arcs (coo->csr would sum them)
    best = {}
    for r, c, v in zip(rows, cols, vals, strict=True):
        if r != c:
            best[r, c] = min(v, best.get((r, c), math.inf))
    mat = sp.csr_matrix(
        ([v for v in best.values()], ([k[0] for k in best], [k[1] for k in best])), shape=(n, n)
    )
    return sp_dijkstra(mat, directed=True)


@settings(deadline=None, derandomize=True)
@given(graphs(), st.data())
def test_distance_rows_matches_scipy(g, data):
    n, indptr, heads, wts, tails = g
    full = scipy_matrix(n, tails, heads, wts)
    r = data.draw(st.integers(1, 4))
    ptr = [0]
    nodes, offs = [], []
    for _ in range(r):
        k = data.draw(st.integers(0, 3))
        nodes += data.draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k))
        offs += data.draw(st.lists(st.floats(0, 50), min_size=k, max_size=k))
        ptr.append(len(nodes))
    cutoff = data.draw(st.sampled_from([math.inf, 60.0]))
    got = distance_rows(
        indptr,
        heads,
        wts,
        np.array(ptr, np.int64),
        np.array(nodes, np.int64),
        np.array(offs, np.float64),
        cutoff,
    )
    for i in range(r):
        src = nodes[ptr[i] : ptr[i + 1]]
        off = offs[ptr[i] : ptr[i + 1]]
        expect = np.full(n, np.inf)
        for s, o in zip(src, off, strict=True):
            expect = np.minimum(expect, o + full[s])
        expect[expect > cutoff] = np.inf
        np.testing.assert_allclose(got[i], expect, rtol=1e-12)


@settings(deadline=None, derandomize=True)
@given(graphs(), st.data())
def test_link_gains_and_relax_match_recomputation(g, data):
    n, indptr, heads, wts, tails = g
    full = scipy_matrix(n, tails, heads, wts)
    # places are single nodes here; candidate endpoints are columns = all nodes
    p = data.draw(st.integers(2, min(5, n)))
    pl = data.draw(st.lists(st.integers(0, n - 1), min_size=p, max_size=p, unique=True))
    dist = np.ascontiguousarray(full[pl])
    od = [(i, j) for i in range(p) for j in range(p) if i < j]
    od_s = np.array([a for a, _ in od], np.int64)
    od_t = np.array([b for _, b in od], np.int64)
    od_w = np.array(data.draw(st.lists(st.floats(0.1, 10), min_size=len(od), max_size=len(od))))
    od_d = np.array([full[pl[a], pl[b]] for a, b in od])
    c = data.draw(st.integers(1, 5))
    cu = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=c, max_size=c)), np.int64)
    cv = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=c, max_size=c)), np.int64)
    cw = np.array(data.draw(st.lists(st.floats(0.1, 80), min_size=c, max_size=c)))
    cap = data.draw(st.sampled_from([math.inf, 150.0, 40.0]))
    gain, trips = link_gains(dist, od_s, od_t, od_w, od_d, cu, cv, cw, cap)
    for j in range(c):
        new = scipy_matrix(n, tails, heads, wts, extra=[(cu[j], cv[j], cw[j])])
        new_od = np.array([new[pl[a], pl[b]] for a, b in od])
        assert np.all(new_od <= od_d + 1e-9)  # never increases a distance
        if math.isfinite(cap):
            ref_gain = float(np.sum(od_w * (np.minimum(od_d, cap) - np.minimum(new_od, cap))))
            assert gain[j] == pytest.approx(ref_gain, rel=1e-9, abs=1e-9)
            ref_trips = float(od_w[(od_d > cap) & (new_od <= cap)].sum())
            assert trips[j] == pytest.approx(ref_trips, abs=1e-9)
        # exact update of OD distances and of the rows
        np.testing.assert_allclose(
            relax_od(dist, od_s, od_t, od_d, cu[j], cv[j], cw[j]), new_od, rtol=1e-12
        )
        rows = relax_rows(dist, full[cu[j]].copy(), full[cv[j]].copy(), cu[j], cv[j], cw[j])
        np.testing.assert_allclose(rows, new[pl], rtol=1e-12)
        np.testing.assert_allclose(
            relax_rows(full, full[cu[j]].copy(), full[cv[j]].copy(), cu[j], cv[j], cw[j]),
            new,
            rtol=1e-12,
        )


def test_link_gains_hand_made():
    # path 0 -1- 1, node 2 isolated; place rows = nodes 0 and 2; link 1-2 of length 2
    dist = np.array([[0.0, 1.0, np.inf], [np.inf, np.inf, 0.0]])
    gain, trips = link_gains(
        dist,
        np.array([0]),
        np.array([1]),
        np.array([2.0]),
        np.array([np.inf]),
        np.array([1]),
        np.array([2]),
        np.array([2.0]),
        10.0,
    )
    assert gain[0] == pytest.approx(2.0 * (10.0 - 3.0))
    assert trips[0] == pytest.approx(2.0)
