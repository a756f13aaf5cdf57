"""Weakly connected components of a CSR graph (union-find)."""

from __future__ import annotations

import typing

import numpy as np

from parcs._kernels._jit import jit

__all__ = ["connected_components"]


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
