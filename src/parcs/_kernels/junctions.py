"""Kernels of the points-nœuds design (private): searches that stop at junctions."""

from __future__ import annotations

import typing

import numpy as np

from parcs._kernels._jit import jit

__all__ = ["stop_search"]


@jit
@typing.no_type_check
def _push(keys, vals, size, key, val):
    i = size
    keys[i] = key
    vals[i] = val
    while i > 0:
        parent = (i - 1) >> 1
        if keys[parent] <= key:
            break
        keys[i] = keys[parent]
        vals[i] = vals[parent]
        i = parent
    keys[i] = key
    vals[i] = val
    return size + 1


@jit
@typing.no_type_check
def _pop(keys, vals, size):
    size -= 1
    key = keys[size]
    val = vals[size]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and keys[child + 1] < keys[child]:
            child += 1
        if keys[child] >= key:
            break
        keys[i] = keys[child]
        vals[i] = vals[child]
        i = child
    if size > 0:
        keys[i] = key
        vals[i] = val
    return size


@jit
@typing.no_type_check
def stop_search(indptr, indices, weights, source, stop_mask, cutoff):
    """Dijkstra from ``source`` that settles but does not expand the nodes of ``stop_mask``.

    The source itself is always expanded. Nodes farther than ``cutoff`` stay unreached.

    Parameters
    ----------
    indptr, indices, weights
        CSR graph (int64, int64, float64 >= 0).
    source
        Start node index.
    stop_mask
        bool[n]: junctions (settled, not expanded).
    cutoff
        Largest distance searched (``inf`` = none).

    Returns
    -------
    dist
        float64[n], ``inf`` when unreached.
    pred_arc
        int64[n], arc used to reach each node (-1 for the source and unreached nodes).
    """
    n = indptr.shape[0] - 1
    if source < 0 or source >= n:
        raise ValueError("source out of range")
    if stop_mask.shape[0] != n:
        raise ValueError("stop_mask must have length n")
    dist = np.full(n, np.inf)
    pred = np.full(n, -1, dtype=np.int64)
    cap = indices.shape[0] + 1
    keys = np.empty(cap, dtype=np.float64)
    vals = np.empty(cap, dtype=np.int64)
    dist[source] = 0.0
    size = _push(keys, vals, 0, 0.0, source)
    while size > 0:
        d = keys[0]
        u = vals[0]
        size = _pop(keys, vals, size)
        if d > dist[u]:
            continue
        if u != source and stop_mask[u]:
            continue
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            nd = d + weights[e]
            if nd < dist[v] and nd <= cutoff:
                dist[v] = nd
                pred[v] = e
                size = _push(keys, vals, size, nd, v)
    return dist, pred
