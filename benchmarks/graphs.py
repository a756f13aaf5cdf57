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


# --------------------------------------------------------------------------------------------
# parcs graphs (networkx, the graph contract) built from the synthetic arc lists
# --------------------------------------------------------------------------------------------
#: Lambert-93 origin of the synthetic square (so that lon/lat conversions are meaningful).
X0, Y0 = 650_000.0, 6_860_000.0
#: Shares of the edge kinds of the synthetic parcs graphs (an OSM-like mix), and the share of
#: unbuilt gap connectors.
KIND_SHARES = {"cycleway": 0.25, "track": 0.2, "path": 0.25, "connector": 0.3}
UNBUILT_SHARE = 0.05


def parcs_graph(n: int, *, seed: int = 0, geometry: bool = True, places: int = 0):
    """Return the synthetic road-like graph with `n` nodes as a parcs ``MultiDiGraph``.

    SYNTHETIC data (``road_like``): nodes at ``(X0, Y0) + (x, y)`` in EPSG:2154; edge kinds
    drawn with :data:`KIND_SHARES`; :data:`UNBUILT_SHARE` of the connectors are
    ``built=False`` with ``est_length = 1.3 × length``; with `geometry`, each edge is a
    LineString with two shape points bent off the straight line by up to 10 % of its length
    (the reverse arc holds the reversed line). With `places` > 0, that many synthetic point
    places are attached (:func:`synthetic_places`).
    """
    import networkx as nx
    import shapely

    arcs = road_like(n, seed=seed)
    rng = np.random.default_rng(seed + 1)
    half = arcs.m // 2  # arcs are (u, v) then the same edges as (v, u)
    u, v, length = arcs.tails[:half], arcs.heads[:half], arcs.length[:half]
    kinds = np.array(list(KIND_SHARES))
    kind = kinds[rng.choice(len(kinds), size=half, p=list(KIND_SHARES.values()))]
    built = ~((kind == "connector") & (rng.random(half) < UNBUILT_SHARE / KIND_SHARES["connector"]))
    x, y = arcs.x + X0, arcs.y + Y0
    est = np.where(built, length, 1.3 * length)
    lines = rev = None
    if geometry:
        t = np.array([1 / 3, 2 / 3])
        dx, dy = x[v] - x[u], y[v] - y[u]
        bend = rng.uniform(-0.1, 0.1, size=(half, 1))
        px = x[u][:, None] + t * dx[:, None] - bend * dy[:, None]
        py = y[u][:, None] + t * dy[:, None] + bend * dx[:, None]
        coords = np.empty((half, 4, 2))
        coords[:, 0] = np.column_stack([x[u], y[u]])
        coords[:, 1:3, 0], coords[:, 1:3, 1] = px, py
        coords[:, 3] = np.column_stack([x[v], y[v]])
        lines = shapely.linestrings(coords)
        rev = shapely.linestrings(coords[:, ::-1])
        length = shapely.length(lines)
        est = np.where(built, length, 1.3 * length)
    G = nx.MultiDiGraph(crs="EPSG:2154", name=arcs.name, source="synthetic")
    G.add_nodes_from((i, {"x": float(a), "y": float(b)}) for i, (a, b) in enumerate(zip(x, y)))

    def edges():
        for e in range(half):
            d = {
                "length": float(length[e]),
                "est_length": float(est[e]),
                "kind": str(kind[e]),
                "built": bool(built[e]),
            }
            a, b = int(u[e]), int(v[e])
            if lines is not None:
                yield a, b, 0, {**d, "geometry": lines[e]}
                yield b, a, 0, {**d, "geometry": rev[e]}
            else:
                yield a, b, 0, d
                yield b, a, 0, dict(d)

    G.add_edges_from(edges())
    if places:
        import parcs

        parcs.attach_places(G, synthetic_places(G, places, seed=seed))
    return G


def synthetic_places(G, count: int, *, seed: int = 0):
    """Return `count` SYNTHETIC point places spread over the bounding box of `G`.

    Half are ``town`` (population 500-20,000), half ``park``; names ``"town 0"``,
    ``"park 1"``... (unique), in the CRS of `G`.
    """
    import geopandas as gpd

    rng = np.random.default_rng(seed + 2)
    xs = np.fromiter((d["x"] for _, d in G.nodes(data=True)), float)
    ys = np.fromiter((d["y"] for _, d in G.nodes(data=True)), float)
    px = rng.uniform(xs.min(), xs.max(), count)
    py = rng.uniform(ys.min(), ys.max(), count)
    kind = np.where(np.arange(count) % 2 == 0, "town", "park")
    return gpd.GeoDataFrame(
        {
            "name": [f"{k} {i}" for i, k in enumerate(kind)],
            "kind": kind,
            "population": np.where(kind == "town", rng.integers(500, 20_000, count), 0),
        },
        geometry=gpd.points_from_xy(px, py),
        crs=G.graph["crs"],
    )
