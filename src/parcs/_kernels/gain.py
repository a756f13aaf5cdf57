"""Exact scoring of candidate links for the missing-links analysis (private kernels).

Everything here works on precomputed distance arrays; no shortest path is recomputed per
candidate. With the distances ``dist[p, k]`` from every place ``p`` to every candidate endpoint
``k`` (column index) and the current origin-destination distances ``od_d``, adding one
undirected link ``(u, v)`` of length ``w`` changes an OD distance to exactly::

    d'(s, t) = min(d(s, t), d(s, u) + w + d(v, t), d(s, v) + w + d(u, t))

because a shortest path uses the new link at most once and the graph is undirected (so
``d(v, t) = dist[t, v]``). Distances beyond the trip cap may be ``inf``: the capped objective
never needs them.

Kernels:

* :func:`distance_rows`: multi-source Dijkstra for many rows at once (``prange``).
* :func:`link_gains`: capped benefit and newly possible trips of every candidate (``prange``).
* :func:`relax_od`: OD distances after adding one link (serial: too little work to share).
* :func:`relax_rows`: distance rows after adding one link (for the greedy plan).
"""

from __future__ import annotations

import typing

import numba
import numpy as np

from parcs._kernels._jit import jit, pjit
from parcs._kernels.dijkstra import search

__all__ = ["distance_rows", "link_gains", "relax_od", "relax_rows"]


@pjit
@typing.no_type_check
def distance_rows(indptr, indices, weights, src_ptr, src_nodes, src_dist, cutoff):
    """Run one multi-source Dijkstra per row.

    Parameters
    ----------
    indptr, indices, weights
        CSR graph (int64, int64, float64).
    src_ptr
        int64[r + 1]: the sources of row ``i`` are ``src_nodes[src_ptr[i]:src_ptr[i+1]]``.
    src_nodes, src_dist
        Source nodes (int64) and their starting distances (float64, e.g. access offsets).
    cutoff
        Distances above ``cutoff`` stay ``inf``.

    Returns
    -------
    dist
        float64[r, n]; row ``i`` holds the distance from the sources of row ``i`` (``inf``
        for rows without sources).
    """
    n = indptr.shape[0] - 1
    r = src_ptr.shape[0] - 1
    for j in range(src_nodes.shape[0]):
        if src_nodes[j] < 0 or src_nodes[j] >= n:
            raise ValueError("source node index out of range")  # noqa: EM101, TRY003
    out = np.full((r, n), np.inf)
    no_mark = np.zeros(0, dtype=np.bool_)
    no_pred = np.zeros(0, dtype=np.int64)
    for i in numba.prange(r):
        a = src_ptr[i]
        b = src_ptr[i + 1]
        if b > a:
            row = np.full(n, np.inf)
            search(
                indptr,
                indices,
                weights,
                src_nodes[a:b],
                src_dist[a:b],
                no_mark,
                0,
                cutoff,
                no_mark,
                row,
                no_pred,
            )
            out[i, :] = row
    return out


@pjit
@typing.no_type_check
def link_gains(dist, od_s, od_t, od_w, od_d, cand_u, cand_v, cand_w, cap):
    """Score every candidate link exactly against a capped OD objective.

    Parameters
    ----------
    dist
        float64[p, k]: distance from place ``p`` to candidate endpoint column ``k``.
    od_s, od_t
        int64[m]: place rows of the origin and the destination of each OD pair.
    od_w
        float64[m]: weight of each OD pair.
    od_d
        float64[m]: current distance of each OD pair (``inf`` = unreachable).
    cand_u, cand_v
        int64[c]: endpoint columns of each candidate.
    cand_w
        float64[c]: length of each candidate link.
    cap
        Trip length cap: the objective is ``sum(od_w * min(od_d, cap))``.

    Returns
    -------
    gain
        float64[c]: ``sum(od_w * (min(d, cap) - min(d', cap)))`` (>= 0).
    trips_new
        float64[c]: ``sum(od_w)`` over pairs with ``d > cap`` and ``d' <= cap``.
    """
    c = cand_u.shape[0]
    m = od_s.shape[0]
    gain = np.zeros(c)
    trips_new = np.zeros(c)
    p = dist.shape[0]
    for j in numba.prange(c):
        u = cand_u[j]
        v = cand_v[j]
        w = cand_w[j]
        # contiguous copies of the two endpoint columns (cache-friendly inner loop)
        du = np.empty(p)
        dv = np.empty(p)
        for q in range(p):
            du[q] = dist[q, u]
            dv[q] = dist[q, v]
        g = 0.0
        t_new = 0.0
        for i in range(m):
            s = od_s[i]
            t = od_t[i]
            d = od_d[i]
            a = du[s] + w + dv[t]
            b = dv[s] + w + du[t]
            b = min(a, b)
            if b < d:
                old = min(d, cap)
                new = min(b, cap)
                if new < old:
                    g += od_w[i] * (old - new)
                if d > cap and b <= cap:
                    t_new += od_w[i]
        gain[j] = g
        trips_new[j] = t_new
    return gain, trips_new


@jit
@typing.no_type_check
def relax_od(dist, od_s, od_t, od_d, u, v, w):
    """Return the OD distances after adding the link ``(u, v)`` of length ``w``.

    ``dist``, ``od_s``, ``od_t``, ``od_d`` as in :func:`link_gains`; ``u``, ``v`` are endpoint
    columns of ``dist``.
    """
    m = od_s.shape[0]
    out = np.empty(m)
    for i in range(m):
        s = od_s[i]
        t = od_t[i]
        a = dist[s, u] + w + dist[t, v]
        b = dist[s, v] + w + dist[t, u]
        out[i] = min(od_d[i], a, b)
    return out


@jit
@typing.no_type_check
def relax_rows(rows, row_u, row_v, u, v, w):
    """Return distance rows after adding the link ``(u, v)`` of length ``w``.

    Parameters
    ----------
    rows
        float64[r, k]: distance from some origin ``r`` to endpoint column ``x``.
    row_u, row_v
        float64[k]: distances from endpoint ``u`` (resp. ``v``) to every endpoint column,
        BEFORE the link is added (pass copies when ``rows`` is the endpoint matrix itself).
    u, v
        Endpoint columns of the link.
    w
        Link length.

    Returns
    -------
    out
        float64[r, k]: ``min(rows[r, x], rows[r, u] + w + row_v[x], rows[r, v] + w + row_u[x])``.
    """
    r = rows.shape[0]
    k = rows.shape[1]
    out = np.empty((r, k))
    for i in range(r):
        du = rows[i, u] + w
        dv = rows[i, v] + w
        for x in range(k):
            out[i, x] = min(rows[i, x], du + row_v[x], dv + row_u[x])
    return out
