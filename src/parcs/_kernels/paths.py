"""Turn predecessor arcs into paths.

Arc tails are found by bisecting ``indptr`` (:func:`tail_of`), so no ``tails`` array is
needed: a path of ``k`` arcs costs ``k log n``.
"""

from __future__ import annotations

import typing

import numpy as np

from parcs._kernels._jit import jit

__all__ = ["path_arcs", "path_nodes", "tail_of"]


@jit
@typing.no_type_check
def tail_of(e, indptr):
    """Return the tail node of arc ``e`` (the ``u`` with ``indptr[u] <= e < indptr[u+1]``)."""
    return np.searchsorted(indptr, e, side="right") - 1


@jit
@typing.no_type_check
def path_arcs(pred_arc, indptr, target):
    """Return the arcs (int64[]) from the search's source to ``target``, in travel order.

    Empty when ``target`` is a source (or unreached: the caller checks reachability first).
    Raises ValueError if ``pred_arc`` contains a cycle.
    """
    n = pred_arc.shape[0]
    count = 0
    v = target
    e = pred_arc[v]
    while e != -1:
        count += 1
        if count > n:
            raise ValueError("pred_arc contains a cycle")
        v = tail_of(e, indptr)
        e = pred_arc[v]
    out = np.empty(count, dtype=np.int64)
    v = target
    for i in range(count - 1, -1, -1):
        e = pred_arc[v]
        out[i] = e
        v = tail_of(e, indptr)
    return out


@jit
@typing.no_type_check
def path_nodes(arcs, indptr, indices, source):
    """Return the node sequence (int64[len(arcs) + 1]) of an arc path starting at ``source``."""
    out = np.empty(arcs.shape[0] + 1, dtype=np.int64)
    if arcs.shape[0] == 0:
        out[0] = source
        return out
    out[0] = tail_of(arcs[0], indptr)
    for i in range(arcs.shape[0]):
        out[i + 1] = indices[arcs[i]]
    return out
