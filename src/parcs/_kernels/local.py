"""Searches that touch only what they reach: pair distances, place rows, local searches.

Kernels for the missing-links analysis and the network indicators (:mod:`parcs.links`) on
large graphs. The rows of :func:`parcs._kernels.gain.distance_rows` cost O(n) each (one
``inf``-filled row per source, returned to Python); here every search reuses one distance
array per thread chunk, resets only the nodes it touched, and keeps only the values asked
for, so a bounded search costs what it settles and memory stays O(n) per thread.

Kernels:

* :func:`bounded_search`: Dijkstra with a cutoff, target early exit and stop nodes, that
  records the nodes it touched (serial building block).
* :func:`pair_distances`: the distance of many (source, target) pairs grouped by source.
* :func:`place_rows`: distances from groups of sources (places entering the network at
  several nodes with offsets) to groups of targets, without n-wide rows.
* :func:`stop_reach`: from each source, every stop node reached first on a path (the
  search does not continue past stop nodes), with its distance; :func:`stop_paths` the
  arcs of those paths.
* :func:`local_efficiency`: the efficiency of the subgraph of each node's neighbours.
* :func:`decluster`: keep one of the node pairs whose ends lie near each other (greedy,
  in the order given), with a grid of cells.
"""

from __future__ import annotations

import typing

import numba
import numpy as np
import numpy.typing as npt

from parcs._kernels._jit import jit, pjit
from parcs._kernels.dijkstra import (
    heap_full,
    heap_grow,
    heap_new,
    heap_pop,
    heap_push,
    search_all_heap,
)


#: Pairs of points closer than this (straight, in metres) are the same spot, not a trip:
#: they are left out of every pair indicator (1/straight would blow up on float noise).
MIN_STRAIGHT_M = 1e-3

__all__ = [
    "bounded_search",
    "decluster",
    "local_efficiency",
    "pair_distances",
    "place_rows",
    "stop_paths",
    "stop_reach",
]

_INITIAL_HEAP = 64
_MAX_CHUNKS = 64


@jit
@typing.no_type_check
def _is_source(u, sources):
    for s in sources:
        if s == u:
            return True
    return False


@jit
@typing.no_type_check
def bounded_search(
    indptr,
    indices,
    weights,
    sources,
    offsets,
    cutoff,
    stop_mask,
    target_mark,
    n_targets,
    dist,
    touched,
    pred,
):
    """Run Dijkstra from `sources` (at `offsets`); return the number of touched nodes.

    ``dist`` must be ``inf`` everywhere on entry; on exit it holds the distances of the
    ``touched[:count]`` nodes (reset them to ``inf`` before the next search). Nodes beyond
    `cutoff` stay ``inf``. A node of `stop_mask` (bool[n], or length 0 for none) that is not a
    source is settled but not expanded. With ``n_targets > 0`` the search ends once that many
    nodes marked in `target_mark` are settled. `pred` (int64[n], -1 everywhere on entry, or
    length 0 for none) receives the arc that reached each touched node.
    """
    record = pred.shape[0] > 0
    has_stop = stop_mask.shape[0] > 0
    h = heap_new(max(_INITIAL_HEAP, 2 * sources.shape[0]))
    size = 0
    count = 0
    for i in range(sources.shape[0]):
        s = sources[i]
        d0 = offsets[i]
        if d0 < dist[s] and d0 <= cutoff:
            if dist[s] == np.inf:
                touched[count] = s
                count += 1
            dist[s] = d0
            if heap_full(h, size):
                h = heap_grow(h)
            heap_push(h, size, d0, s)
            size += 1
    remaining = n_targets
    while size > 0:
        d = h[0]
        u = np.int64(h[1])
        size = heap_pop(h, size)
        if d > dist[u]:
            continue
        if n_targets > 0 and target_mark[u]:
            remaining -= 1
            if remaining == 0:
                break
        if has_stop and stop_mask[u] and not _is_source(u, sources):
            continue
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            nd = d + weights[e]
            if nd < dist[v] and nd <= cutoff:
                if dist[v] == np.inf:
                    touched[count] = v
                    count += 1
                dist[v] = nd
                if record:
                    pred[v] = e
                if heap_full(h, size):
                    h = heap_grow(h)
                heap_push(h, size, nd, v)
                size += 1
    return count


@jit
@typing.no_type_check
def _chunks(n_items):
    """Number of work chunks (load balance over up to 16 threads; each allocates O(n) once).

    Not derived from ``numba.get_num_threads()``: a kernel that calls it cannot be cached.
    """
    return max(1, min(n_items, _MAX_CHUNKS))


@pjit
@typing.no_type_check
def pair_distances(indptr, indices, weights, sources, group_ptr, targets, cutoffs):
    """Distances of (source, target) pairs grouped by source.

    Parameters
    ----------
    indptr, indices, weights
        CSR graph.
    sources
        int64[g]: the source node of each group.
    group_ptr
        int64[g + 1]: the targets of group ``i`` are ``targets[group_ptr[i]:group_ptr[i+1]]``.
    targets
        int64[k] target nodes.
    cutoffs
        float64[g]: search radius of each group (farther targets stay ``inf``).

    Returns
    -------
    dist
        float64[k]: distance of each pair.
    """
    n = indptr.shape[0] - 1
    g = sources.shape[0]
    out = np.full(targets.shape[0], np.inf)
    no_stop = np.zeros(0, dtype=np.bool_)
    no_pred = np.zeros(0, dtype=np.int64)
    zero = np.zeros(1)
    n_chunks = _chunks(g)
    for c in numba.prange(n_chunks):
        dist = np.full(n, np.inf)
        touched = np.empty(n, dtype=np.int64)
        mark = np.zeros(n, dtype=np.bool_)
        for i in range(c * g // n_chunks, (c + 1) * g // n_chunks):
            a = group_ptr[i]
            b = group_ptr[i + 1]
            k = 0
            for j in range(a, b):
                if not mark[targets[j]]:
                    mark[targets[j]] = True
                    k += 1
            if k == 0:
                continue
            count = bounded_search(
                indptr,
                indices,
                weights,
                sources[i : i + 1],
                zero,
                cutoffs[i],
                no_stop,
                mark,
                k,
                dist,
                touched,
                no_pred,
            )
            for j in range(a, b):
                out[j] = dist[targets[j]]
                mark[targets[j]] = False
            for q in range(count):
                dist[touched[q]] = np.inf
    return out


@pjit
@typing.no_type_check
def place_rows(
    indptr, indices, weights, src_ptr, src_nodes, src_offs, tgt_ptr, tgt_nodes, tgt_offs, cutoff
):
    """Distances from groups of source nodes to groups of target nodes.

    Row ``i`` is one multi-source search from ``src_nodes[src_ptr[i]:src_ptr[i+1]]`` starting
    at ``src_offs`` (a place entering the network at several nodes); column ``t`` is
    ``min(dist[tgt_nodes[j]] + tgt_offs[j])`` over ``j`` in ``tgt_ptr[t]:tgt_ptr[t+1]``.

    Returns
    -------
    out
        float64[r, p] (``inf`` when unreachable, beyond `cutoff`, or for an empty group).
    """
    n = indptr.shape[0] - 1
    r = src_ptr.shape[0] - 1
    p = tgt_ptr.shape[0] - 1
    for j in range(src_nodes.shape[0]):
        if src_nodes[j] < 0 or src_nodes[j] >= n:
            raise ValueError("source node index out of range")
    for j in range(tgt_nodes.shape[0]):
        if tgt_nodes[j] < 0 or tgt_nodes[j] >= n:
            raise ValueError("target node index out of range")
    out = np.full((r, p), np.inf)
    no_stop = np.zeros(0, dtype=np.bool_)
    no_pred = np.zeros(0, dtype=np.int64)
    everything = cutoff == np.inf  # one-to-all searches: the lean loop, whole-row resets
    widest = 0
    for i in range(r):
        widest = max(widest, src_ptr[i + 1] - src_ptr[i])
    n_chunks = _chunks(r)
    for c in numba.prange(n_chunks):
        dist = np.full(n, np.inf)
        touched = np.empty(0 if everything else n, dtype=np.int64)
        h = heap_new(indices.shape[0] + widest if everything else 0)
        for i in range(c * r // n_chunks, (c + 1) * r // n_chunks):
            a = src_ptr[i]
            b = src_ptr[i + 1]
            if b == a:
                continue
            count = 0
            if everything:
                search_all_heap(
                    indptr, indices, weights, src_nodes[a:b], src_offs[a:b], dist, no_pred, h
                )
            else:
                count = bounded_search(
                    indptr,
                    indices,
                    weights,
                    src_nodes[a:b],
                    src_offs[a:b],
                    cutoff,
                    no_stop,
                    no_stop,
                    0,
                    dist,
                    touched,
                    no_pred,
                )
            for t in range(p):
                best = np.inf
                for j in range(tgt_ptr[t], tgt_ptr[t + 1]):
                    d = dist[tgt_nodes[j]] + tgt_offs[j]
                    best = min(best, d)
                out[i, t] = best
            if everything:
                dist[:] = np.inf
            else:
                for q in range(count):
                    dist[touched[q]] = np.inf
    return out


@pjit
@typing.no_type_check
def stop_reach(indptr, indices, weights, sources, stop_mask, cutoff):
    """From each source, the stop nodes its search reaches (not continuing past them).

    Returns
    -------
    ptr, nodes, dist
        int64[s + 1], int64[k], float64[k]: the stop nodes reached from source ``i`` (itself
        excluded) are ``nodes[ptr[i]:ptr[i+1]]`` at distances ``dist[...]``, by node index.
    """
    n = indptr.shape[0] - 1
    s = sources.shape[0]
    counts = np.zeros(s, dtype=np.int64)
    no_mark = np.zeros(0, dtype=np.bool_)
    no_pred = np.zeros(0, dtype=np.int64)
    zero = np.zeros(1)
    n_chunks = _chunks(s)
    for c in numba.prange(n_chunks):
        dist = np.full(n, np.inf)
        touched = np.empty(n, dtype=np.int64)
        for i in range(c * s // n_chunks, (c + 1) * s // n_chunks):
            count = bounded_search(
                indptr,
                indices,
                weights,
                sources[i : i + 1],
                zero,
                cutoff,
                stop_mask,
                no_mark,
                0,
                dist,
                touched,
                no_pred,
            )
            k = 0
            for q in range(count):
                u = touched[q]
                if stop_mask[u] and u != sources[i]:
                    k += 1
                dist[u] = np.inf
            counts[i] = k
    ptr = np.zeros(s + 1, dtype=np.int64)
    for i in range(s):
        ptr[i + 1] = ptr[i] + counts[i]
    nodes = np.empty(ptr[s], dtype=np.int64)
    found = np.empty(ptr[s], dtype=np.float64)
    for c in numba.prange(n_chunks):
        dist = np.full(n, np.inf)
        touched = np.empty(n, dtype=np.int64)
        for i in range(c * s // n_chunks, (c + 1) * s // n_chunks):
            count = bounded_search(
                indptr,
                indices,
                weights,
                sources[i : i + 1],
                zero,
                cutoff,
                stop_mask,
                no_mark,
                0,
                dist,
                touched,
                no_pred,
            )
            k = ptr[i]
            for q in range(count):
                u = touched[q]
                if stop_mask[u] and u != sources[i]:
                    nodes[k] = u
                    found[k] = dist[u]
                    k += 1
                dist[u] = np.inf
            # by node index, so the output does not depend on the heap's tie order
            lo = ptr[i]
            order = np.argsort(nodes[lo:k])
            nodes[lo:k] = nodes[lo:k][order]
            found[lo:k] = found[lo:k][order]
    return ptr, nodes, found


@jit
@typing.no_type_check
def _neighbour_efficiency(indptr, indices, weights, x, y, u, nb, d):
    """Efficiency of the subgraph induced by the neighbours `nb` of `u` (work matrix `d`)."""
    k = nb.shape[0]
    for a in range(k):
        for b in range(k):
            d[a, b] = 0.0 if a == b else np.inf
    for a in range(k):
        w = nb[a]
        for e in range(indptr[w], indptr[w + 1]):
            h = indices[e]
            if h == w or h == u:
                continue
            for b in range(k):
                if nb[b] == h:
                    d[a, b] = min(d[a, b], weights[e])
                    break
    for m in range(k):  # Floyd-Warshall on the (small) neighbourhood
        for a in range(k):
            dam = d[a, m]
            if dam == np.inf:
                continue
            for b in range(k):
                alt = dam + d[m, b]
                d[a, b] = min(d[a, b], alt)
    num = 0.0
    den = 0.0
    for a in range(k):
        for b in range(k):
            if a == b:
                continue
            straight = np.hypot(x[nb[a]] - x[nb[b]], y[nb[a]] - y[nb[b]])
            if straight < MIN_STRAIGHT_M:
                continue
            den += 1.0 / straight
            if d[a, b] < np.inf and d[a, b] > 0:
                num += 1.0 / d[a, b]
    return num / den if den > 0 else 0.0


@pjit
@typing.no_type_check
def local_efficiency(indptr, indices, weights, x, y):
    """Normalised efficiency of the subgraph of each node's neighbours (itself excluded).

    For node ``u`` with neighbour set ``N`` (distinct heads of its arcs, ``u`` excluded), the
    subgraph induced by ``N`` (arcs between neighbours only, the shortest of parallel arcs)
    has efficiency ``Σ_{a≠b} 1/d(a,b) ÷ Σ_{a≠b} 1/straight(a,b)`` over the ordered pairs of
    ``N`` at least :data:`MIN_STRAIGHT_M` apart (unreachable pairs add 0), and 0 when no
    pair is (fewer than two neighbours).

    Returns
    -------
    eff
        float64[n]; ``nan`` for nodes without arcs.
    """
    n = indptr.shape[0] - 1
    out = np.full(n, np.nan)
    n_chunks = _chunks(n)
    for c in numba.prange(n_chunks):
        for u in range(c * n // n_chunks, (c + 1) * n // n_chunks):
            a = indptr[u]
            b = indptr[u + 1]
            if b == a:
                continue
            nb = np.empty(b - a, dtype=np.int64)
            k = 0
            for e in range(a, b):
                h = indices[e]
                if h == u:
                    continue
                seen = False
                for q in range(k):
                    if nb[q] == h:
                        seen = True
                        break
                if not seen:
                    nb[k] = h
                    k += 1
            if k < 2:
                out[u] = 0.0
                continue
            d = np.empty((k, k))
            out[u] = _neighbour_efficiency(indptr, indices, weights, x, y, u, nb[:k], d)
    return out


@jit
@typing.no_type_check
def _cell_of(cells, code):
    """Position of `code` in the sorted `cells`, or -1."""
    i = np.searchsorted(cells, code)
    if i < cells.shape[0] and cells[i] == code:
        return i
    return -1


@jit
@typing.no_type_check
def decluster(ax, ay, bx, by, radius, cell_m):
    """Keep a pair unless both its ends lie within `radius` of the ends of a kept pair.

    Pairs are visited in the given order; pair ``i`` is dropped when a kept pair ``j < i``
    has ``|a_i a_j| <= radius`` and ``|b_i b_j| <= radius``, or ``|a_i b_j| <= radius`` and
    ``|b_i a_j| <= radius`` (either orientation). Kept pairs are filed in square cells of
    side ``cell_m >= radius`` by each end, so only nearby kept pairs are compared.

    Returns
    -------
    keep
        bool[c].
    """
    c = ax.shape[0]
    keep = np.zeros(c, dtype=np.bool_)
    if c == 0:
        return keep
    big = np.int64(1) << np.int64(31)
    ca_x = np.floor(ax / cell_m).astype(np.int64)
    ca_y = np.floor(ay / cell_m).astype(np.int64)
    cb_x = np.floor(bx / cell_m).astype(np.int64)
    cb_y = np.floor(by / cell_m).astype(np.int64)
    code_a = ca_x * big + ca_y
    code_b = cb_x * big + cb_y
    cells = np.unique(np.concatenate((code_a, code_b)))
    head_a = np.full(cells.shape[0], -1, dtype=np.int64)
    head_b = np.full(cells.shape[0], -1, dtype=np.int64)
    next_a = np.full(c, -1, dtype=np.int64)
    next_b = np.full(c, -1, dtype=np.int64)
    r2 = radius * radius
    for i in range(c):
        dup = False
        for dx in range(-1, 2):
            if dup:
                break
            for dy in range(-1, 2):
                if dup:
                    break
                cell = _cell_of(cells, (ca_x[i] + dx) * big + (ca_y[i] + dy))
                if cell < 0:
                    continue
                j = head_a[cell]  # kept pairs whose a-end is near a_i: same orientation
                while j >= 0:
                    if (ax[i] - ax[j]) ** 2 + (ay[i] - ay[j]) ** 2 <= r2 and (
                        bx[i] - bx[j]
                    ) ** 2 + (by[i] - by[j]) ** 2 <= r2:
                        dup = True
                        break
                    j = next_a[j]
                if dup:
                    break
                j = head_b[cell]  # kept pairs whose b-end is near a_i: swapped
                while j >= 0:
                    if (ax[i] - bx[j]) ** 2 + (ay[i] - by[j]) ** 2 <= r2 and (
                        bx[i] - ax[j]
                    ) ** 2 + (by[i] - ay[j]) ** 2 <= r2:
                        dup = True
                        break
                    j = next_b[j]
        if not dup:
            keep[i] = True
            ka = _cell_of(cells, code_a[i])
            kb = _cell_of(cells, code_b[i])
            next_a[i] = head_a[ka]
            head_a[ka] = i
            next_b[i] = head_b[kb]
            head_b[kb] = i
    return keep


@jit
@typing.no_type_check
def _tail(e, indptr):
    return np.searchsorted(indptr, e, side="right") - 1


@pjit
@typing.no_type_check
def _paths_pass(  # noqa: PLR0913
    indptr, indices, weights, sources, group_ptr, targets, stop_mask, cutoff, lengths, ptr, arcs, write
):
    """One pass of :func:`stop_paths`: count the arcs of each path, or write them."""
    n = indptr.shape[0] - 1
    g = sources.shape[0]
    no_mark = np.zeros(0, dtype=np.bool_)
    zero = np.zeros(1)
    n_chunks = _chunks(g)
    for c in numba.prange(n_chunks):
        dist = np.full(n, np.inf)
        touched = np.empty(n, dtype=np.int64)
        pred = np.full(n, -1, dtype=np.int64)
        for i in range(c * g // n_chunks, (c + 1) * g // n_chunks):
            count = bounded_search(
                indptr,
                indices,
                weights,
                sources[i : i + 1],
                zero,
                cutoff,
                stop_mask,
                no_mark,
                0,
                dist,
                touched,
                pred,
            )
            for j in range(group_ptr[i], group_ptr[i + 1]):
                v = targets[j]
                if dist[v] == np.inf:
                    continue
                if not write:
                    m = 0
                    w = v
                    while pred[w] != -1 and m <= n:
                        m += 1
                        w = _tail(pred[w], indptr)
                    lengths[j] = m
                else:
                    w = v
                    for q in range(lengths[j] - 1, -1, -1):
                        arcs[ptr[j] + q] = pred[w]
                        w = _tail(pred[w], indptr)
            for q in range(count):
                dist[touched[q]] = np.inf
                pred[touched[q]] = -1


def stop_paths(  # noqa: PLR0913
    indptr: npt.NDArray[np.int64],
    indices: npt.NDArray[np.int64],
    weights: npt.NDArray[np.float64],
    sources: npt.NDArray[np.int64],
    group_ptr: npt.NDArray[np.int64],
    targets: npt.NDArray[np.int64],
    stop_mask: npt.NDArray[np.bool_],
    cutoff: float,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The arcs of the shortest path from each source to each of its targets.

    Same search as :func:`stop_reach` (bounded, not continuing past stop nodes that are not
    the source); targets of source ``i`` are ``targets[group_ptr[i]:group_ptr[i+1]]``. Two
    parallel passes: count each path's arcs, then write them.

    Returns
    -------
    path_ptr, arcs
        int64[k + 1], int64[total]: the arcs of pair ``j`` in travel order are
        ``arcs[path_ptr[j]:path_ptr[j+1]]`` (none when unreached or the source itself).
    """
    k = targets.shape[0]
    lengths = np.zeros(k, dtype=np.int64)
    args = (indptr, indices, weights, sources, group_ptr, targets, stop_mask, float(cutoff))
    _paths_pass(*args, lengths, np.zeros(1, np.int64), np.zeros(0, np.int64), False)  # noqa: FBT003
    ptr = np.zeros(k + 1, dtype=np.int64)
    np.cumsum(lengths, out=ptr[1:])
    arcs = np.empty(ptr[-1], dtype=np.int64)
    _paths_pass(*args, lengths, ptr, arcs, True)  # noqa: FBT003
    return ptr, arcs
