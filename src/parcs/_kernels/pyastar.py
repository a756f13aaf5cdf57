"""Pure-Python twins of ``astar.astar_multi`` and ``paths.path_arcs``, for small graphs.

A process that has not used numba yet pays about 0.45 s to import it and initialise its
compiler target before it can run even a cached kernel, whereas one route on a graph of a
few thousand arcs takes a few milliseconds in plain Python. :mod:`parcs.routing` therefore
runs a single route on a small graph (:data:`SMALL_ARCS`) with these functions when the
numba kernel is not loaded yet (the CLI's ``parcs route``), and with the kernel otherwise.

They are line-by-line ports of the kernels, with the same 4-ary lazy heap, the same order of
pushes and pops and the same float64 arithmetic, so they return **bit-identical** distances
and predecessors (checked against the kernels in ``tests/kernels/test_pyastar.py``): which
one ran never changes a result. This module does not import numba.
"""

from __future__ import annotations

import math
import sys
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = ["SMALL_ARCS", "astar_multi_py", "kernel_loaded", "path_arcs_py"]

#: Graphs with at most this many arcs may be routed in Python (about 20 ms for a search
#: that settles every node, far below numba's start-up cost).
SMALL_ARCS = 20_000


def kernel_loaded() -> bool:
    """Tell whether the numba ``astar_multi`` kernel is already compiled in this process."""
    module = sys.modules.get("parcs._kernels.astar")
    kernel = getattr(module, "astar_multi", None)
    return bool(getattr(kernel, "overloads", None))


def _push(keys: list[float], nodes: list[int], size: int, key: float, node: int) -> None:
    """``dijkstra.heap_push`` on two lists (grown by the caller)."""
    i = size
    while i > 0:
        parent = (i - 1) >> 2
        pkey = keys[parent]
        if pkey <= key:
            break
        keys[i] = pkey
        nodes[i] = nodes[parent]
        i = parent
    keys[i] = key
    nodes[i] = node


def _pop(keys: list[float], nodes: list[int], size: int) -> int:
    """``dijkstra.heap_pop``: remove the minimum (read it first), return the new size."""
    size -= 1
    last = size
    key = keys[last]
    node = nodes[last]
    i = 0
    while True:
        first = 4 * i + 1
        if first >= last:
            break
        best = first
        best_key = keys[first]
        for c in range(first + 1, min(first + 4, last)):
            ck = keys[c]
            if ck < best_key:
                best = c
                best_key = ck
        if best_key >= key:
            break
        keys[i] = best_key
        nodes[i] = nodes[best]
        i = best
    keys[i] = key
    nodes[i] = node
    return size


def _h_min(xv: float, yv: float, tx: list[float], ty: list[float], h_scale: float) -> float:
    best = math.inf
    for j in range(len(tx)):
        dx = xv - tx[j]
        dy = yv - ty[j]
        best = min(best, dx * dx + dy * dy)
    return h_scale * math.sqrt(best)


def astar_multi_py(  # noqa: C901, PLR0913, PLR0917
    indptr: npt.NDArray[np.int64],
    indices: npt.NDArray[np.int64],
    weights: npt.NDArray[np.float64],
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    sources: npt.NDArray[np.int64],
    source_dist: npt.NDArray[np.float64],
    targets: npt.NDArray[np.int64],
    h_scale: float,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Same contract and results as ``parcs._kernels.astar.astar_multi``."""
    n = len(indptr) - 1
    if any(not 0 <= int(s) < n for s in (*sources.tolist(), *targets.tolist())):
        msg = "node index out of range"
        raise ValueError(msg)
    if len(sources) != len(source_dist):
        msg = "sources and source_dist differ in length"
        raise ValueError(msg)
    ptr, heads, w = indptr.tolist(), indices.tolist(), weights.tolist()
    xs, ys = x.tolist(), y.tolist()
    dist = [math.inf] * n
    pred = [-1] * n
    closed = [False] * n
    is_target = [False] * n
    remaining = 0
    for t in targets.tolist():
        if not is_target[t]:
            is_target[t] = True
            remaining += 1
    tx = [xs[t] for t in targets.tolist()]
    ty = [ys[t] for t in targets.tolist()]
    keys: list[float] = []
    nodes: list[int] = []
    size = 0
    for s, d0 in zip(sources.tolist(), source_dist.tolist(), strict=True):
        if d0 < dist[s]:
            dist[s] = d0
            keys.append(0.0)
            nodes.append(0)
            _push(keys, nodes, size, d0 + _h_min(xs[s], ys[s], tx, ty, h_scale), s)
            size += 1
    while size > 0 and remaining > 0:
        u = nodes[0]
        size = _pop(keys, nodes, size)
        if closed[u]:
            continue
        closed[u] = True
        if is_target[u]:
            remaining -= 1
            if remaining == 0:
                break
        du = dist[u]
        for e in range(ptr[u], ptr[u + 1]):
            v = heads[e]
            nd = du + w[e]
            if nd < dist[v] and not closed[v]:
                dist[v] = nd
                pred[v] = e
                if size == len(keys):
                    keys.append(0.0)
                    nodes.append(0)
                _push(keys, nodes, size, nd + _h_min(xs[v], ys[v], tx, ty, h_scale), v)
                size += 1
    return np.asarray(dist, dtype=np.float64), np.asarray(pred, dtype=np.int64)


def path_arcs_py(
    pred_arc: npt.NDArray[np.int64], indptr: npt.NDArray[np.int64], target: int
) -> npt.NDArray[np.int64]:
    """Same contract and results as ``parcs._kernels.paths.path_arcs``."""
    out: list[int] = []
    v = int(target)
    e = int(pred_arc[v])
    while e != -1:
        out.append(e)
        if len(out) > len(pred_arc):
            msg = "pred_arc contains a cycle"
            raise ValueError(msg)
        v = int(np.searchsorted(indptr, e, side="right")) - 1
        e = int(pred_arc[v])
    return np.asarray(out[::-1], dtype=np.int64)
