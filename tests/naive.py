"""Slow, obviously-correct pure-Python references for the routing kernels (tests only)."""

from __future__ import annotations

import heapq
import math
from collections import deque

import numpy as np


def to_csr(n, tails, heads, weights):
    """Build (indptr, indices, tails, weights) CSR arrays from an arc list (stable by tail)."""
    tails = np.asarray(tails, dtype=np.int64)
    heads = np.asarray(heads, dtype=np.int64)
    weights = np.asarray(weights, dtype=np.float64)
    order = np.argsort(tails, kind="stable")
    indptr = np.zeros(n + 1, dtype=np.int64)
    for t in tails:
        indptr[t + 1] += 1
    indptr = np.cumsum(indptr).astype(np.int64)
    return (
        indptr,
        np.ascontiguousarray(heads[order]),
        np.ascontiguousarray(tails[order]),
        np.ascontiguousarray(weights[order]),
    )


def dijkstra(
    indptr, indices, weights, sources, source_dist=None, *, cutoff=math.inf, stop_mask=None
):
    """Reference multi-source Dijkstra with heapq; returns a list of distances.

    Same semantics as the kernel: arcs of weight inf unusable; nodes farther than `cutoff`
    stay inf; nodes in `stop_mask` (a set or bool sequence) are settled but not expanded
    unless they are sources.
    """
    n = len(indptr) - 1
    if source_dist is None:
        source_dist = [0.0] * len(sources)
    dist = [math.inf] * n
    done = [False] * n
    heap = []
    srcs = {int(s) for s in sources}
    for s, d0 in zip(sources, source_dist):
        if d0 <= cutoff and d0 < dist[int(s)]:
            dist[int(s)] = float(d0)
            heapq.heappush(heap, (float(d0), int(s)))
    while heap:
        d, u = heapq.heappop(heap)
        if done[u]:
            continue
        done[u] = True
        if stop_mask is not None and len(stop_mask) and stop_mask[u] and u not in srcs:
            continue
        for e in range(int(indptr[u]), int(indptr[u + 1])):
            w = float(weights[e])
            if math.isinf(w):
                continue
            v = int(indices[e])
            nd = d + w
            if nd <= cutoff and nd < dist[v]:
                dist[v] = nd
                heapq.heappush(heap, (nd, v))
    return dist


def bfs_reachable(indptr, indices, weights, sources):
    """Set of nodes reachable from `sources` by arcs of finite weight (breadth-first)."""
    seen = {int(s) for s in sources}
    queue = deque(seen)
    while queue:
        u = queue.popleft()
        for e in range(int(indptr[u]), int(indptr[u + 1])):
            if math.isinf(weights[e]):
                continue
            v = int(indices[e])
            if v not in seen:
                seen.add(v)
                queue.append(v)
    return seen


# ---------------------------------------------------------------- hypothesis strategies


def graphs(*, max_nodes=20, max_arcs=50, with_inf=False, coords=False):
    """Hypothesis strategy: random weighted digraphs as a dict of CSR arrays.

    Directed or undirected (every arc doubled), possibly disconnected, with self-loops,
    parallel arcs, zero weights and ties (integer weights), and optionally ``inf`` arcs.
    With ``coords=True`` nodes get coordinates and each weight is the Euclidean length
    times a factor >= 1 (so a Euclidean A* heuristic is admissible).
    """
    from hypothesis import strategies as st

    @st.composite
    def build(draw):
        n = draw(st.integers(1, max_nodes))
        directed = draw(st.booleans())
        k = draw(st.integers(0, max_arcs))
        node = st.integers(0, n - 1)
        pairs = draw(st.lists(st.tuples(node, node), min_size=k, max_size=k))
        wchoice = [st.integers(0, 9).map(float), st.floats(0.0, 100.0, allow_nan=False)]
        if with_inf:
            wchoice.append(st.just(math.inf))
        if coords:
            xy = draw(
                st.lists(
                    st.tuples(st.integers(0, 50).map(float), st.integers(0, 50).map(float)),
                    min_size=n,
                    max_size=n,
                )
            )
            x = np.array([p[0] for p in xy])
            y = np.array([p[1] for p in xy])
            factors = draw(st.lists(st.sampled_from([1.0, 1.0, 1.5, 3.0]), min_size=k, max_size=k))
            w = [math.hypot(x[u] - x[v], y[u] - y[v]) * f for (u, v), f in zip(pairs, factors)]
        else:
            x = np.zeros(n)
            y = np.zeros(n)
            w = draw(st.lists(st.one_of(*wchoice), min_size=k, max_size=k))
        tails = [u for u, _ in pairs]
        heads = [v for _, v in pairs]
        if not directed:
            tails, heads, w = tails + heads, heads + tails, list(w) + list(w)
        indptr, indices, tails_a, weights = to_csr(n, tails, heads, w)
        return {
            "n": n,
            "directed": directed,
            "indptr": indptr,
            "indices": indices,
            "tails": tails_a,
            "weights": weights,
            "x": x,
            "y": y,
        }

    return build()


def to_networkx(g):
    """networkx MultiDiGraph of a `graphs()` example (arcs of weight inf left out)."""
    import networkx as nx

    G = nx.MultiDiGraph()
    G.add_nodes_from(range(g["n"]))
    for e, (u, v) in enumerate(zip(g["tails"], g["indices"])):
        w = float(g["weights"][e])
        if not math.isinf(w):
            G.add_edge(int(u), int(v), weight=w)
    return G


def to_scipy(g):
    """scipy CSR matrix of a `graphs()` example: min over parallel arcs, inf arcs dropped."""
    import scipy.sparse as sp

    best = {}
    for e, (u, v) in enumerate(zip(g["tails"], g["indices"])):
        w = float(g["weights"][e])
        if math.isinf(w):
            continue
        key = (int(u), int(v))
        best[key] = min(best.get(key, math.inf), w)
    n = g["n"]
    if not best:
        return sp.csr_matrix((n, n))
    rows, cols = zip(*best)
    return sp.csr_matrix((np.array(list(best.values())), (rows, cols)), shape=(n, n))


def check_path(g, arcs, source, target, dist, *, rel=1e-9):
    """Assert `arcs` is a chain of real arcs from `source` to `target` summing to `dist`."""
    node = source
    total = 0.0
    for e in arcs:
        assert 0 <= e < len(g["indices"])
        assert g["tails"][e] == node
        total += float(g["weights"][e])
        node = int(g["indices"][e])
    assert node == target
    assert math.isclose(total, dist, rel_tol=rel, abs_tol=1e-9)
