"""Pure-Python twins of ``astar.astar_multi`` and ``paths.path_arcs``, for one-off routes.

A process that has not used numba yet pays about 0.45 s to import it and load even a cached
kernel (and more at exit), whereas one A* search in plain Python scans about a million arcs
a second: a route on a graph of a few hundred thousand arcs is faster in Python. So
:mod:`parcs.routing` runs a search with these functions while the numba kernel is not loaded
and the process has Python budget left (:func:`take_python`, :data:`PY_ARC_BUDGET`), and
with the kernel otherwise: the CLI's ``parcs route`` never loads numba, a long process that
routes again and again loads it once its Python searches have cost about what loading it
costs.

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

__all__ = ["PY_ARC_BUDGET", "astar_multi_py", "kernel_loaded", "path_arcs_py", "take_python"]

#: Arcs the Python searches of one process may cost before parcs loads the numba kernel. A
#: search is charged every arc of its graph (it scans at most that many, about 1 µs each), so
#: the budget is about numba's start-up time: Python never costs more than twice the best.
PY_ARC_BUDGET = 300_000
_charged = [0]  # arcs charged to the budget in this process


def take_python(n_arcs: int) -> bool:
    """Tell whether to run the next search, on a graph of `n_arcs` arcs, in Python.

    Yes while the numba kernel is not loaded and the process has :data:`PY_ARC_BUDGET` left
    for `n_arcs` more arcs; the search is then charged to the budget.
    """
    if kernel_loaded() or _charged[0] + n_arcs > PY_ARC_BUDGET:
        return False
    _charged[0] += n_arcs
    return True


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
    for txj, tyj in zip(tx, ty, strict=True):
        dx = xv - txj
        dy = yv - tyj
        d2 = dx * dx + dy * dy
        if d2 < best:  # noqa: PLR1730 - min(best, d2) without the call
            best = d2
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
