"""Turn predecessor arcs into paths."""

from __future__ import annotations

import typing

import numpy as np

from parcs._kernels._jit import jit

__all__ = ["path_arcs", "path_nodes"]


@jit
@typing.no_type_check
def path_arcs(pred_arc, tails, target):
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
        v = tails[e]
        e = pred_arc[v]
    out = np.empty(count, dtype=np.int64)
    v = target
    for i in range(count - 1, -1, -1):
        e = pred_arc[v]
        out[i] = e
        v = tails[e]
    return out


@jit
@typing.no_type_check
def path_nodes(arcs, tails, indices, source):
    """Return the node sequence (int64[len(arcs) + 1]) of an arc path starting at ``source``."""
    out = np.empty(arcs.shape[0] + 1, dtype=np.int64)
    if arcs.shape[0] == 0:
        out[0] = source
        return out
    out[0] = tails[arcs[0]]
    for i in range(arcs.shape[0]):
        out[i + 1] = indices[arcs[i]]
    return out
