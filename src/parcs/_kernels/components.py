"""Weakly connected components of a CSR graph (union-find)."""

from __future__ import annotations

import typing

import numpy as np

from parcs._kernels._jit import jit

__all__ = ["connected_components", "cycle_nodes"]


@jit
@typing.no_type_check
def _find(parent, u):
    while parent[u] != u:
        parent[u] = parent[parent[u]]  # path halving
        u = parent[u]
    return u


@jit
@typing.no_type_check
def connected_components(indptr, indices, tails, n):
    """Label the weakly connected components (arc directions ignored).

    Returns int64[n] labels ``0..c-1``, numbered in the order of each component's first
    (lowest-index) node.
    """
    if indptr.shape[0] != n + 1:
        raise ValueError("indptr must have length n + 1")
    parent = np.arange(n, dtype=np.int64)
    size = np.ones(n, dtype=np.int64)
    for e in range(indices.shape[0]):
        a = _find(parent, tails[e])
        b = _find(parent, indices[e])
        if a != b:
            if size[a] < size[b]:
                a, b = b, a
            parent[b] = a
            size[a] += size[b]
    label_of_root = np.full(n, -1, dtype=np.int64)
    labels = np.empty(n, dtype=np.int64)
    c = 0
    for u in range(n):
        r = _find(parent, u)
        if label_of_root[r] == -1:
            label_of_root[r] = c
            c += 1
        labels[u] = label_of_root[r]
    return labels


@jit
@typing.no_type_check
def cycle_nodes(indptr, indices, usable):
    """Mark the nodes that touch an edge lying on a cycle (not a bridge).

    The graph is read as undirected: every edge is two arcs ``u -> v`` and ``v -> u``
    (parallel edges are a cycle; self-loops are ignored). Only arcs with ``usable[e]`` count.
    One iterative depth-first search (Tarjan's low-link), O(n + m), no recursion.

    Returns
    -------
    bool[n]
        True for every end of a non-bridge edge.
    """
    n = indptr.shape[0] - 1
    disc = np.full(n, -1, dtype=np.int64)
    low = np.zeros(n, dtype=np.int64)
    parent = np.full(n, -1, dtype=np.int64)
    skipped = np.zeros(n, dtype=np.bool_)  # the arc back to the parent was passed over once
    mark = np.zeros(n, dtype=np.bool_)
    stack = np.empty(n, dtype=np.int64)
    next_arc = np.empty(n, dtype=np.int64)
    clock = 0
    for root in range(n):
        if disc[root] != -1:
            continue
        disc[root] = clock
        low[root] = clock
        clock += 1
        top = 0
        stack[0] = root
        next_arc[0] = indptr[root]
        while top >= 0:
            u = stack[top]
            e = next_arc[top]
            if e < indptr[u + 1]:
                next_arc[top] = e + 1
                v = indices[e]
                if not usable[e] or v == u:
                    continue
                if v == parent[u] and not skipped[u]:
                    skipped[u] = True  # the tree edge itself; a parallel copy is a cycle
                    continue
                if disc[v] == -1:
                    parent[v] = u
                    disc[v] = clock
                    low[v] = clock
                    clock += 1
                    top += 1
                    stack[top] = v
                    next_arc[top] = indptr[v]
                else:  # a non-tree edge: it closes a cycle
                    low[u] = min(low[u], disc[v])
                    mark[u] = True
                    mark[v] = True
            else:
                top -= 1
                if top >= 0:
                    p = stack[top]
                    low[p] = min(low[p], low[u])
                    if low[u] <= disc[p]:  # the tree edge p - u is not a bridge
                        mark[p] = True
                        mark[u] = True
    return mark
