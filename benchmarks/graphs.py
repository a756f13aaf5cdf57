"""Synthetic road-like planar graphs for the routing benchmarks.

``road_like(n, seed)``: ``n`` random points in a square with ~100 m between neighbours,
their Delaunay triangulation thinned to a mean degree of ~2.8 while staying connected (the
Euclidean minimum spanning tree of the triangulation plus random extra Delaunay edges), every
edge stored in both directions, weights = Euclidean length in metres. Nodes come in random
("native") order, as ids from a file would; ``CSRGraph.from_arrays(renumber=True)`` puts them
in Hilbert order.

Graphs are cached in ``$TMPDIR/parcs-bench/`` (they are deterministic for a given n and seed).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import minimum_spanning_tree
from scipy.spatial import Delaunay

CACHE = Path(tempfile.gettempdir()) / "parcs-bench"
MEAN_DEGREE = 2.8


@dataclass(frozen=True)
class ArcList:
    """A directed arc list with node coordinates (nodes 0..n-1)."""

    name: str
    x: np.ndarray
    y: np.ndarray
    tails: np.ndarray
    heads: np.ndarray
    length: np.ndarray

    @property
    def n(self) -> int:
        return int(self.x.shape[0])

    @property
    def m(self) -> int:
        return int(self.tails.shape[0])


def road_like(n: int, *, seed: int = 0, spacing_m: float = 100.0) -> ArcList:
    """Return the synthetic road-like graph with `n` nodes (see the module docstring)."""
    name = f"syn{n // 1000}k" if n < 1_000_000 else f"syn{n // 1_000_000}m"
    path = CACHE / f"road_like_{n}_{seed}.npz"
    if path.exists():
        d = np.load(path)
        return ArcList(name, d["x"], d["y"], d["tails"], d["heads"], d["length"])
    rng = np.random.default_rng(seed)
    side = np.sqrt(n) * spacing_m
    pts = rng.random((n, 2)) * side
    tri = Delaunay(pts)
    s = tri.simplices
    e = np.concatenate([s[:, [0, 1]], s[:, [1, 2]], s[:, [2, 0]]])
    e.sort(axis=1)
    e = np.unique(e, axis=0)
    length = np.hypot(*(pts[e[:, 0]] - pts[e[:, 1]]).T)
    A = sp.coo_matrix((length, (e[:, 0], e[:, 1])), shape=(n, n)).tocsr()
    T = minimum_spanning_tree(A).tocoo()
    tree = np.column_stack((np.minimum(T.row, T.col), np.maximum(T.row, T.col)))
    in_tree = np.zeros(len(e), dtype=bool)
    code = e[:, 0].astype(np.int64) * n + e[:, 1]
    in_tree[np.isin(code, tree[:, 0].astype(np.int64) * n + tree[:, 1])] = True
    want = round(MEAN_DEGREE * n / 2) - int(in_tree.sum())
    extra = rng.choice(np.flatnonzero(~in_tree), size=max(want, 0), replace=False)
    keep = np.concatenate([np.flatnonzero(in_tree), extra])
    u, v, w = e[keep, 0], e[keep, 1], length[keep]
    # random ("native") node order
    perm = rng.permutation(n)
    u, v = perm[u], perm[v]
    x = np.empty(n)
    y = np.empty(n)
    x[perm], y[perm] = pts[:, 0], pts[:, 1]
    tails = np.concatenate([u, v]).astype(np.int64)
    heads = np.concatenate([v, u]).astype(np.int64)
    lengths = np.concatenate([w, w])
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, x=x, y=y, tails=tails, heads=heads, length=lengths)
    tmp.replace(path)
    return ArcList(name, x, y, tails, heads, lengths)
