"""Point-to-point kernels: A* with a Euclidean heuristic, and bidirectional Dijkstra.

A* is the point-to-point engine of parcs (it settled 2-5x fewer nodes than bidirectional
Dijkstra and ran faster in ``benchmarks/bench_routing.py``; see ``docs/kernels.md``).
"""

from __future__ import annotations

import math
import typing

import numpy as np

from parcs._kernels._jit import jit
from parcs._kernels.dijkstra import (
    check_nodes,
    heap_full,
    heap_grow,
    heap_new,
    heap_pop,
    heap_push,
)
from parcs._kernels.paths import tail_of
from parcs._kernels.prefetch import PREFETCH_MIN_ARCS, prefetch_arcs

__all__ = ["astar", "astar_multi", "bidirectional_dijkstra", "reverse_csr"]

_INITIAL_HEAP = 64


@jit
@typing.no_type_check
def astar(indptr, indices, weights, x, y, source, target, h_scale):
    """Find a shortest path from ``source`` to ``target`` by A* (``h_scale * euclid``).

    The heuristic is consistent (the result is exact) when
    ``h_scale <= min over arcs of weight / euclid(tail, head)``; ``h_scale = 0`` gives
    Dijkstra with early exit. Arcs of weight ``inf`` are skipped.

    Returns
    -------
    dist
        Distance to ``target`` (``inf`` if unreachable).
    pred_arc
        int64[n] predecessor arcs (valid along the path to ``target``; -1 for the source).
    """
    n = indptr.shape[0] - 1
    if source < 0 or source >= n or target < 0 or target >= n:
        raise ValueError("node index out of range")
    dist = np.full(n, np.inf)
    pred = np.full(n, -1, dtype=np.int64)
    closed = np.zeros(n, dtype=np.bool_)
    tx = x[target]
    ty = y[target]
    h = heap_new(_INITIAL_HEAP)
    dist[source] = 0.0
    dx = x[source] - tx
    dy = y[source] - ty
    heap_push(h, 0, h_scale * math.sqrt(dx * dx + dy * dy), source)
    size = 1
    while size > 0:
        u = np.int64(h[1])
        size = heap_pop(h, size)
        if closed[u]:
            continue
        closed[u] = True
        if u == target:
            break
        du = dist[u]
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            nd = du + weights[e]
            if nd < dist[v] and not closed[v]:
                dist[v] = nd
                pred[v] = e
                dx = x[v] - tx
                dy = y[v] - ty
                if heap_full(h, size):
                    h = heap_grow(h)
                heap_push(h, size, nd + h_scale * math.sqrt(dx * dx + dy * dy), v)
                size += 1
    return dist[target], pred


@jit
@typing.no_type_check
def reverse_csr(indptr, indices, tails):
    """Return the reverse graph ``(rindptr, rindices, rarcs)``.

    The arcs entering ``v`` are ``rindptr[v]:rindptr[v+1]``; ``rindices`` holds their tails
    and ``rarcs`` their index in the forward arrays (to read weights and build paths).
    """
    n = indptr.shape[0] - 1
    m = indices.shape[0]
    rindptr = np.zeros(n + 1, dtype=np.int64)
    for e in range(m):
        rindptr[indices[e] + 1] += 1
    for v in range(n):
        rindptr[v + 1] += rindptr[v]
    fill = rindptr[:-1].copy()
    rindices = np.empty(m, dtype=np.int64)
    rarcs = np.empty(m, dtype=np.int64)
    for e in range(m):
        v = indices[e]
        pos = fill[v]
        rindices[pos] = tails[e]
        rarcs[pos] = e
        fill[v] = pos + 1
    return rindptr, rindices, rarcs


@jit
@typing.no_type_check
def bidirectional_dijkstra(indptr, indices, weights, rindptr, rindices, rarcs, source, target):
    """Bidirectional Dijkstra from ``source`` to ``target``.

    ``rindptr, rindices, rarcs`` come from :func:`reverse_csr`.

    Returns
    -------
    dist
        Distance (``inf`` if unreachable).
    arcs
        int64[] the arcs of a shortest path in travel order (empty if unreachable or
        ``source == target``). If arcs of weight 0 form a cycle the path may run round
        it; its total weight still equals ``dist``.
    """
    n = indptr.shape[0] - 1
    ends = np.array([source, target], dtype=np.int64)
    check_nodes(ends, n)
    df = np.full(n, np.inf)
    db = np.full(n, np.inf)
    pf = np.full(n, -1, dtype=np.int64)
    pb = np.full(n, -1, dtype=np.int64)
    fh = heap_new(_INITIAL_HEAP)
    bh = heap_new(_INITIAL_HEAP)
    prefetching = indices.shape[0] >= PREFETCH_MIN_ARCS
    df[source] = 0.0
    db[target] = 0.0
    heap_push(fh, 0, 0.0, source)
    heap_push(bh, 0, 0.0, target)
    fs = 1
    bs = 1
    mu = np.inf
    meet = -1
    if source == target:
        mu = 0.0
        meet = source
    while fs > 0 and bs > 0:
        if fh[0] + bh[0] >= mu:
            break
        if fh[0] <= bh[0]:
            d = fh[0]
            u = np.int64(fh[1])
            fs = heap_pop(fh, fs)
            if d > df[u]:
                continue
            for e in range(indptr[u], indptr[u + 1]):
                v = indices[e]
                nd = d + weights[e]
                if nd < df[v]:
                    df[v] = nd
                    pf[v] = e
                    if heap_full(fh, fs):
                        fh = heap_grow(fh)
                    if prefetching:
                        prefetch_arcs(indptr, indices, weights, v)
                    heap_push(fh, fs, nd, v)
                    fs += 1
                    total = nd + db[v]
                    if total < mu:
                        mu = total
                        meet = v
        else:
            d = bh[0]
            u = np.int64(bh[1])
            bs = heap_pop(bh, bs)
            if d > db[u]:
                continue
            for r in range(rindptr[u], rindptr[u + 1]):
                v = rindices[r]
                e = rarcs[r]
                nd = d + weights[e]
                if nd < db[v]:
                    db[v] = nd
                    pb[v] = e
                    if heap_full(bh, bs):
                        bh = heap_grow(bh)
                    if prefetching:
                        prefetch_arcs(rindptr, rindices, rarcs, v)
                    heap_push(bh, bs, nd, v)
                    bs += 1
                    total = nd + df[v]
                    if total < mu:
                        mu = total
                        meet = v
    if meet == -1:
        return np.inf, np.empty(0, dtype=np.int64)
    nf = 0
    v = meet
    while pf[v] != -1:
        nf += 1
        v = tail_of(pf[v], indptr)
    nb = 0
    v = meet
    while pb[v] != -1:
        nb += 1
        v = indices[pb[v]]
    out = np.empty(nf + nb, dtype=np.int64)
    v = meet
    for i in range(nf - 1, -1, -1):
        e = pf[v]
        out[i] = e
        v = tail_of(e, indptr)
    v = meet
    for i in range(nb):
        e = pb[v]
        out[nf + i] = e
        v = indices[e]
    return mu, out


@jit
@typing.no_type_check
def _h_min(x, y, v, tx, ty, h_scale):
    best = np.inf
    for j in range(tx.shape[0]):
        dx = x[v] - tx[j]
        dy = y[v] - ty[j]
        d2 = dx * dx + dy * dy
        best = min(best, d2)
    return h_scale * math.sqrt(best)


@jit
@typing.no_type_check
def astar_multi(indptr, indices, weights, x, y, sources, source_dist, targets, h_scale):
    """Run A* from several sources (with start distances) until every target is settled.

    The heuristic is ``h_scale * min over targets of euclid(v, t)`` (consistent under the same
    condition as :func:`astar`), so every target's distance is exact. Use it for routes that
    start and end part-way along edges: both ends of each edge, with their offsets.

    Returns
    -------
    dist
        float64[n]; exact for the targets (``inf`` if unreachable), an upper bound elsewhere.
    pred_arc
        int64[n] predecessor arcs (valid along the paths to the targets).
    """
    n = indptr.shape[0] - 1
    check_nodes(sources, n)
    check_nodes(targets, n)
    if sources.shape[0] != source_dist.shape[0]:
        raise ValueError("sources and source_dist differ in length")
    dist = np.full(n, np.inf)
    pred = np.full(n, -1, dtype=np.int64)
    closed = np.zeros(n, dtype=np.bool_)
    is_target = np.zeros(n, dtype=np.bool_)
    remaining = 0
    for t in targets:
        if not is_target[t]:
            is_target[t] = True
            remaining += 1
    tx = np.empty(targets.shape[0])
    ty = np.empty(targets.shape[0])
    for j in range(targets.shape[0]):
        tx[j] = x[targets[j]]
        ty[j] = y[targets[j]]
    h = heap_new(max(_INITIAL_HEAP, 2 * sources.shape[0]))
    size = 0
    for i in range(sources.shape[0]):
        s = sources[i]
        d0 = source_dist[i]
        if d0 < dist[s]:
            dist[s] = d0
            heap_push(h, size, d0 + _h_min(x, y, s, tx, ty, h_scale), s)
            size += 1
    while size > 0 and remaining > 0:
        u = np.int64(h[1])
        size = heap_pop(h, size)
        if closed[u]:
            continue
        closed[u] = True
        if is_target[u]:
            remaining -= 1
            if remaining == 0:
                break
        du = dist[u]
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            nd = du + weights[e]
            if nd < dist[v] and not closed[v]:
                dist[v] = nd
                pred[v] = e
                if heap_full(h, size):
                    h = heap_grow(h)
                heap_push(h, size, nd + _h_min(x, y, v, tx, ty, h_scale), v)
                size += 1
    return dist, pred
