"""numba kernels of parcs (private).

Kernels see only C-contiguous arrays and scalars: ``indptr``/``indices``/``tails`` int64,
weights float64. Import each kernel from its module, e.g.
``from parcs._kernels.dijkstra import dijkstra``; this package holds only the shared
constants and :func:`warmup`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["NO_PRED", "UNREACHABLE", "warmup"]

#: Distance of a node that no search reached.
UNREACHABLE = np.inf
#: Predecessor arc of a source or of an unreached node.
NO_PRED = -1


def warmup() -> None:
    """Compile (or load from the cache) every routing kernel on a 3-node graph."""
    from parcs._kernels.astar import (
        astar,
        astar_multi,
        bidirectional_dijkstra,
        reverse_csr,
    )
    from parcs._kernels.components import connected_components
    from parcs._kernels.dijkstra import dijkstra
    from parcs._kernels.many import many_to_many
    from parcs._kernels.paths import path_arcs

    # 0 -> 1 -> 2 and back, 1 m apart on a line
    indptr = np.array([0, 1, 3, 4], dtype=np.int64)
    indices = np.array([1, 0, 2, 1], dtype=np.int64)
    tails = np.array([0, 1, 1, 2], dtype=np.int64)
    weights = np.ones(4, dtype=np.float64)
    x = np.array([0.0, 1.0, 2.0])
    y = np.zeros(3)
    src = np.array([0], dtype=np.int64)
    sd = np.zeros(1)
    tgt = np.array([2], dtype=np.int64)
    no_targets = np.empty(0, dtype=np.int64)
    no_mask = np.empty(0, dtype=np.bool_)
    dijkstra(indptr, indices, weights, src, sd, no_targets, np.inf, no_mask)
    _, pred = dijkstra(indptr, indices, weights, src, sd, tgt, np.inf, no_mask)
    path_arcs(pred, indptr, 2)
    astar(indptr, indices, weights, x, y, 0, 2, 1.0)
    astar_multi(indptr, indices, weights, x, y, src, sd, tgt, 1.0)
    rindptr, rindices, rarcs = reverse_csr(indptr, indices, tails)
    bidirectional_dijkstra(indptr, indices, weights, rindptr, rindices, rarcs, 0, 2)
    many_to_many(indptr, indices, weights, src, tgt, np.inf)
    connected_components(indptr, indices, tails, 3)
