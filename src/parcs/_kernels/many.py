"""Many-to-many distances: one Dijkstra per source, run in parallel with ``numba.prange``."""

from __future__ import annotations

import typing

import numpy as np
from numba import prange

from parcs._kernels._jit import jit, pjit
from parcs._kernels.dijkstra import (
    check_nodes,
    heap_new,
    heap_pop,
    heap_push,
    mark_targets,
    search,
    search_all,
)
from parcs._kernels.prefetch import PREFETCH_MIN_ARCS, prefetch_arcs

__all__ = ["group_distances", "many_to_many"]


@pjit
@typing.no_type_check
def many_to_many(indptr, indices, weights, sources, targets, cutoff):
    """Return the float64[k, t] matrix of distances from each source to each target.

    Rows run in parallel (``prange``; set the thread count with ``numba.set_num_threads``).
    Each row is a Dijkstra that stops once all targets are settled; ``inf`` marks a target
    that is unreachable or farther than ``cutoff``. Arcs of weight ``inf`` are skipped.
    """
    n = indptr.shape[0] - 1
    check_nodes(sources, n)
    check_nodes(targets, n)
    k = sources.shape[0]
    t = targets.shape[0]
    out = np.empty((k, t), dtype=np.float64)
    if t == 0:
        return out
    mark, n_targets = mark_targets(targets, n)
    no_stop = np.zeros(0, dtype=np.bool_)
    no_pred = np.zeros(0, dtype=np.int64)
    zero = np.zeros(1, dtype=np.float64)
    every_node = n_targets == n and cutoff == np.inf  # no early exit possible: lean loop
    # One allocation of dist (and heap) per source. Reusing them across the sources of a
    # thread (prange over thread chunks) was measured and gained nothing (< 5%, noise).
    for i in prange(k):
        dist = np.full(n, np.inf)
        src = sources[i : i + 1]
        if every_node:
            search_all(indptr, indices, weights, src, zero, dist, no_pred)
        else:
            search(
                indptr,
                indices,
                weights,
                src,
                zero,
                mark,
                n_targets,
                cutoff,
                no_stop,
                dist,
                no_pred,
            )
        for j in range(t):
            out[i, j] = dist[targets[j]]
    return out


_U1 = np.uint64(1)


@jit
@typing.no_type_check
def _row(indptr, indices, weights, sources, source_dist, target_mark, n_targets, cutoff, dist, h):
    """Dijkstra from `sources` until the `n_targets` nodes of `target_mark` are settled.

    The lean loop of ``dijkstra.search_all_heap`` (uint64 indexes, a heap ``h`` of
    ``heap_new(len(indices) + len(sources))`` that never grows, prefetching on large graphs)
    with the target count and the cutoff of ``search``; no predecessors, no stop nodes.
    """
    capacity = h.shape[0] // 2
    size = 0
    prefetching = indices.shape[0] >= PREFETCH_MIN_ARCS
    for i in range(sources.shape[0]):
        s = np.uint64(sources[i])
        d0 = source_dist[i]
        if d0 < dist[s] and d0 <= cutoff:
            dist[s] = d0
            heap_push(h, size, d0, s)
            size += 1
    remaining = n_targets
    while size > 0:
        d = h[0]
        u = np.uint64(np.int64(h[1]))
        size = heap_pop(h, size)
        if d > dist[u]:
            continue  # stale entry
        if target_mark[u]:
            remaining -= 1
            if remaining == 0:
                break
        for e in range(np.uint64(indptr[u]), np.uint64(indptr[u + _U1])):
            v = np.uint64(indices[e])
            nd = d + weights[e]
            if nd < dist[v] and nd <= cutoff:
                dist[v] = nd
                if size == capacity:  # only with negative weights
                    raise ValueError("heap overflow: arc weights must be >= 0")
                if prefetching:
                    prefetch_arcs(indptr, indices, weights, v)
                heap_push(h, size, nd, v)
                size += 1


@pjit
@typing.no_type_check
def group_distances(  # noqa: PLR0913, PLR0917
    indptr, indices, weights, src_ptr, src_nodes, src_dist, tgt_ptr, tgt_nodes, tgt_dist, cutoff
):
    """Return the float64[r, c] matrix of distances between groups of nodes with offsets.

    Origin group ``i`` is the nodes ``src_nodes[src_ptr[i]:src_ptr[i+1]]`` with starting
    distances ``src_dist`` (a place's access nodes, or both ends of a snapped edge);
    destination group ``j`` likewise, with ``tgt_dist`` added on arrival. Entry ``[i, j]``
    is ``min over s, t of src_dist[s] + d(s, t) + tgt_dist[t]`` (``inf`` if none is reachable
    within ``cutoff``). One multi-source Dijkstra per origin group (:func:`_row`), in
    parallel (``prange``; call it under ``numba.set_parallel_chunksize(1)`` to schedule the
    origins dynamically, one at a time, so that a thread slowed down by other processes does
    not hold the others back), each stopping once every destination node is settled; only
    one distance row per thread is alive at a time.
    """
    n = indptr.shape[0] - 1
    check_nodes(src_nodes, n)
    check_nodes(tgt_nodes, n)
    r = src_ptr.shape[0] - 1
    c = tgt_ptr.shape[0] - 1
    out = np.full((r, c), np.inf)
    if c == 0 or tgt_nodes.shape[0] == 0:
        return out
    mark, n_targets = mark_targets(tgt_nodes, n)
    for i in prange(r):
        a = src_ptr[i]
        b = src_ptr[i + 1]
        if b == a:
            continue
        dist = np.full(n, np.inf)
        h = heap_new(indices.shape[0] + b - a)
        _row(
            indptr,
            indices,
            weights,
            src_nodes[a:b],
            src_dist[a:b],
            mark,
            n_targets,
            cutoff,
            dist,
            h,
        )
        for j in range(c):
            best = np.inf
            for q in range(tgt_ptr[j], tgt_ptr[j + 1]):
                v = dist[tgt_nodes[q]] + tgt_dist[q]
                if v < best:
                    best = v
            out[i, j] = best
    return out
