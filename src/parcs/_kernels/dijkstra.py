"""Dijkstra on a CSR graph with a lazy 4-ary heap.

The heap is *lazy*: a node is pushed again whenever its distance improves and stale entries
are skipped when popped (no decrease-key). Measurements in ``docs/kernels.md``: a lazy 4-ary
heap was the fastest variant up to 100k nodes and on Hilbert-ordered graphs; an indexed
heap with decrease-key was 1.4-1.9x slower.

Heap layout: one float64 array holding ``(key, node)`` pairs side by side, plus a size; the
four children of an item are adjacent (one or two cache lines). Interleaving made the kernel
1.2-1.6x faster than two parallel ``keys``/``vals`` arrays. In :func:`search` the array
grows by doubling, so a search that settles few nodes allocates little; the one-to-all loop
(:func:`search_all`) allocates it once at its largest possible size instead.
"""

from __future__ import annotations

import typing

import numpy as np

from parcs._kernels._jit import jit
from parcs._kernels.prefetch import PREFETCH_MIN_ARCS, prefetch_arcs

__all__ = [
    "dijkstra",
    "heap_full",
    "heap_grow",
    "heap_new",
    "heap_pop",
    "heap_push",
    "search",
    "search_all",
    "search_all_heap",
]

_INITIAL_HEAP = 64


@jit
@typing.no_type_check
def heap_new(capacity):
    """Return an empty heap array for ``capacity`` items (2 float64 slots per item)."""
    return np.empty(2 * max(capacity, 4), dtype=np.float64)


@jit
@typing.no_type_check
def heap_grow(h):
    """Return a copy of heap array ``h`` with twice the capacity."""
    out = np.empty(2 * h.shape[0], dtype=np.float64)
    out[: h.shape[0]] = h
    return out


@jit
@typing.no_type_check
def heap_full(h, size):
    """Whether heap array ``h`` holding ``size`` items has no free slot."""
    return 2 * size >= h.shape[0]


# Heap indexes are uint64 on purpose. numba supports negative (wrap-around) indexes, so every
# access with a signed index carries a hidden ``if i < 0: i += len`` fix-up; an unsigned index
# has none. Together with the plain child loop in ``heap_pop`` this made one-to-all 1.3-1.6x
# faster (docs/kernels.md, "Kernel tuning"). Mixing uint64 with int64 gives float64 in numba,
# hence the typed constants.
_U1 = np.uint64(1)
_U2 = np.uint64(2)
_U4 = np.uint64(4)


@jit
@typing.no_type_check
def heap_push(h, size, key, node):
    """Insert ``(key, node)`` into the 4-ary heap ``h`` of ``size`` items (must have room).

    Item ``i`` is stored at ``h[2i]`` (key) and ``h[2i+1]`` (node index as a float, exact
    below 2**53), so the four children of an item lie in one or two cache lines.
    """
    i = np.uint64(size)
    fnode = float(node)
    while i > 0:
        parent = (i - _U1) >> _U2
        pkey = h[_U2 * parent]
        if pkey <= key:
            break
        h[_U2 * i] = pkey
        h[_U2 * i + _U1] = h[_U2 * parent + _U1]
        i = parent
    h[_U2 * i] = key
    h[_U2 * i + _U1] = fnode


@jit
@typing.no_type_check
def heap_pop(h, size):
    """Remove the minimum of the 4-ary heap ``h`` of ``size`` >= 1 items; return the new size.

    Read the minimum first: key ``h[0]``, node ``int(h[1])``.
    """
    size -= 1
    last = np.uint64(size)
    key = h[_U2 * last]
    node = h[_U2 * last + _U1]
    i = np.uint64(0)
    while True:
        first = _U4 * i + _U1
        if first >= last:
            break
        # a plain loop over the (up to) four children: one-to-all ran ~20% faster than
        # with the hand-unrolled 4-child tournament used before (docs/kernels.md)
        best = first
        best_key = h[_U2 * first]
        for c in range(first + _U1, min(first + _U4, last)):
            ck = h[_U2 * c]
            if ck < best_key:
                best = c
                best_key = ck
        if best_key >= key:
            break
        h[_U2 * i] = best_key
        h[_U2 * i + _U1] = h[_U2 * best + _U1]
        i = best
    h[_U2 * i] = key
    h[_U2 * i + _U1] = node
    return size


@jit
@typing.no_type_check
def _is_source(u, sources):
    # a plain loop: numba cannot compile any() over a generator
    for s in sources:  # noqa: SIM110
        if s == u:
            return True
    return False


@jit
@typing.no_type_check
def search(
    indptr,
    indices,
    weights,
    sources,
    source_dist,
    target_mark,
    n_targets,
    cutoff,
    stop_mask,
    dist,
    pred,
):
    """Run Dijkstra filling ``dist`` (all ``inf`` on entry) and ``pred`` (all -1, or length 0).

    ``target_mark`` is a bool[n] marking the targets (length 0 = none) and ``n_targets`` the
    number of distinct targets; the search stops once they are all settled. Returns the
    number of settled nodes.
    """
    record_pred = pred.shape[0] > 0
    has_stop = stop_mask.shape[0] > 0
    has_targets = n_targets > 0
    h = heap_new(max(_INITIAL_HEAP, 2 * sources.shape[0]))
    size = 0
    prefetching = indices.shape[0] >= PREFETCH_MIN_ARCS
    for i in range(sources.shape[0]):
        s = sources[i]
        d0 = source_dist[i]
        if d0 < dist[s] and d0 <= cutoff:
            dist[s] = d0
            heap_push(h, size, d0, s)
            size += 1
    remaining = n_targets
    settled = 0
    while size > 0:
        d = h[0]
        u = np.int64(h[1])
        size = heap_pop(h, size)
        if d > dist[u]:
            continue  # stale entry
        settled += 1
        if has_targets and target_mark[u]:
            remaining -= 1
            if remaining == 0:
                break
        if has_stop and stop_mask[u] and not _is_source(u, sources):
            continue
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            nd = d + weights[e]
            if nd < dist[v] and nd <= cutoff:
                dist[v] = nd
                if record_pred:
                    pred[v] = e
                if heap_full(h, size):
                    h = heap_grow(h)
                if prefetching:
                    prefetch_arcs(indptr, indices, weights, v)
                heap_push(h, size, nd, v)
                size += 1
    return settled


@jit
@typing.no_type_check
def search_all(indptr, indices, weights, sources, source_dist, dist, pred):
    """Lean one-to-all variant of :func:`search` (no targets, cutoff or stop nodes).

    Same contract as :func:`search` (``pred`` of length 0 = not recorded). Written out
    separately because the general loop's extra tests cost ~15% on one-to-all searches.
    """
    h = heap_new(indices.shape[0] + sources.shape[0])
    return search_all_heap(indptr, indices, weights, sources, source_dist, dist, pred, h)


@jit
@typing.no_type_check
def search_all_heap(indptr, indices, weights, sources, source_dist, dist, pred, h):
    """:func:`search_all` using the heap array ``h`` from ``heap_new(len(indices) + len(sources))``.

    With weights >= 0 a node is expanded once and each arc pushes at most once, so ``h``
    never fills up: the heap is allocated at its largest possible size (only the pages used
    are touched) and never grows. A heap array that is never reassigned lets LLVM keep its
    data pointer in a register; that alone made one-to-all 10-15% faster (docs/kernels.md).
    Indexes are uint64 (see ``heap_push``).
    """
    record_pred = pred.shape[0] > 0
    capacity = h.shape[0] // 2
    size = 0
    prefetching = indices.shape[0] >= PREFETCH_MIN_ARCS  # see parcs._kernels.prefetch
    for i in range(sources.shape[0]):
        s = np.uint64(sources[i])
        d0 = source_dist[i]
        if d0 < dist[s]:
            dist[s] = d0
            heap_push(h, size, d0, s)
            size += 1
    settled = 0
    while size > 0:
        d = h[0]
        u = np.uint64(np.int64(h[1]))
        size = heap_pop(h, size)
        if d > dist[u]:
            continue  # stale entry
        settled += 1
        for e in range(np.uint64(indptr[u]), np.uint64(indptr[u + _U1])):
            v = np.uint64(indices[e])
            nd = d + weights[e]
            if nd < dist[v]:
                dist[v] = nd
                if record_pred:
                    pred[v] = e
                if size == capacity:  # only with negative weights; guards memory (free)
                    raise ValueError("heap overflow: arc weights must be >= 0")
                if prefetching:
                    prefetch_arcs(indptr, indices, weights, v)
                heap_push(h, size, nd, v)
                size += 1
    return settled


@jit
@typing.no_type_check
def check_nodes(nodes, n):
    """Raise ValueError if a node index is outside ``0..n-1``."""
    for u in nodes:
        if u < 0 or u >= n:
            raise ValueError("node index out of range")


@jit
@typing.no_type_check
def mark_targets(targets, n):
    """Return (bool[n] mark, number of distinct targets); length-0 mark when no targets."""
    if targets.shape[0] == 0:
        return np.zeros(0, dtype=np.bool_), 0
    mark = np.zeros(n, dtype=np.bool_)
    count = 0
    for t in targets:
        if not mark[t]:
            mark[t] = True
            count += 1
    return mark, count


@jit
@typing.no_type_check
def dijkstra(indptr, indices, weights, sources, source_dist, targets, cutoff, stop_mask):
    """Multi-source Dijkstra with optional targets, cutoff and stop nodes.

    Parameters
    ----------
    indptr, indices, weights
        CSR graph: the arcs leaving node ``u`` are ``indptr[u]:indptr[u+1]``, their heads in
        ``indices`` and their weights (float64 >= 0; ``inf`` = arc unusable) in ``weights``.
    sources, source_dist
        Start nodes (int64[k]) and their starting distance (float64[k]).
    targets
        int64[t]; the search stops once every target is settled. Empty = one-to-all.
    cutoff
        Nodes farther than ``cutoff`` are not settled and keep ``inf`` (``inf`` = no cutoff).
    stop_mask
        bool[n] (or length 0): marked nodes are settled but not expanded, unless they are
        sources.

    Returns
    -------
    dist
        float64[n] distances (``inf`` when not settled).
    pred_arc
        int64[n] index of the arc used to reach each node, -1 for sources and unreached nodes.
    """
    n = indptr.shape[0] - 1
    check_nodes(sources, n)
    check_nodes(targets, n)
    if sources.shape[0] != source_dist.shape[0]:
        raise ValueError("sources and source_dist differ in length")
    if stop_mask.shape[0] != 0 and stop_mask.shape[0] != n:
        raise ValueError("stop_mask must have length 0 or n")
    dist = np.full(n, np.inf)
    pred = np.full(n, -1, dtype=np.int64)
    if targets.shape[0] == 0 and stop_mask.shape[0] == 0 and cutoff == np.inf:
        search_all(indptr, indices, weights, sources, source_dist, dist, pred)
        return dist, pred
    mark, n_targets = mark_targets(targets, n)
    search(
        indptr,
        indices,
        weights,
        sources,
        source_dist,
        mark,
        n_targets,
        cutoff,
        stop_mask,
        dist,
        pred,
    )
    return dist, pred
