"""The undirected network junction design and node-network import work on (private).

A :class:`LinkGraph` is a :class:`parcs.csr.CSRGraph` whose arcs come in twin pairs (every
undirected edge both ways, no self-loop), plus what a CSRGraph does not hold, per arc in CSR
order: its geometry (oriented tail to head) and the id of the undirected edge it belongs to.
Build it from a parcs graph with :func:`from_graph` (through the cached
:func:`parcs.csr.csr_of`) or from raw arcs with :func:`from_arcs`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from shapely.geometry import LineString

from parcs._kernels.dijkstra import dijkstra
from parcs._kernels.paths import path_arcs
from parcs.csr import CSRGraph, arc_geometries, csr_of

if TYPE_CHECKING:
    from collections.abc import Sequence

    import networkx as nx

__all__ = ["LinkGraph", "edge_ids", "find_links", "from_arcs", "from_graph", "reverse_arcs"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
Link = tuple[int, int, float, IntArray]


@dataclass(eq=False)
class LinkGraph:
    """An undirected network as twin arcs (module docstring).

    Attributes
    ----------
    csr
        The arcs; weight ``"length"`` is the travelled length (``est_length``).
    geoms
        object[m] geometry of each arc, oriented from its tail to its head.
    edge_of
        int64[m] id of the undirected edge of each arc (twins share it).
    parent
        int64[m] position of each arc in ``csr_of(G, built_only=...)`` (:func:`from_graph`), to
        read edge attributes with :func:`parcs.csr.arc_values`; None for :func:`from_arcs`.
    """

    csr: CSRGraph
    geoms: npt.NDArray[np.object_]
    edge_of: IntArray
    parent: IntArray | None = None
    tails: IntArray = field(init=False, repr=False)
    weight: FloatArray = field(init=False, repr=False)
    xy: FloatArray = field(init=False, repr=False)
    index: dict[int, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.tails = self.csr.tails
        self.weight = self.csr.weights["length"]
        self.xy = np.column_stack((self.csr.x, self.csr.y))
        self.index = {int(v): i for i, v in enumerate(self.csr.node_ids.tolist())}

    @property
    def twin(self) -> IntArray:
        """int64[m] the arc of the same undirected edge in the other direction."""
        cached = self.__dict__.get("_twin")
        if cached is None:
            order = np.argsort(self.edge_of, kind="stable")
            cached = np.arange(len(order), dtype=np.int64)
            e = self.edge_of[order]
            pair = np.flatnonzero(e[:-1] == e[1:]) if len(e) > 1 else np.zeros(0, dtype=np.int64)
            cached[order[pair]] = order[pair + 1]
            cached[order[pair + 1]] = order[pair]
            self.__dict__["_twin"] = cached
        return cached

    def restrict(self, keep: npt.NDArray[np.bool_]) -> LinkGraph:
        """The LinkGraph with only the arcs in `keep` (twins must be kept or dropped together)."""
        sub, parent = self.csr.restrict(keep)
        return LinkGraph(
            csr=sub,
            geoms=self.geoms[parent],
            edge_of=self.edge_of[parent],
            parent=None if self.parent is None else self.parent[parent],
        )

    def degree(self) -> IntArray:
        """Return the number of distinct neighbours of each node."""
        csr = self.csr
        pairs = np.unique(np.stack([self.tails, csr.indices], axis=1), axis=0)
        if not len(pairs):
            return np.zeros(csr.n_nodes, dtype=np.int64)
        return np.bincount(pairs[:, 0], minlength=csr.n_nodes).astype(np.int64)

    def search(
        self,
        sources: Sequence[int],
        *,
        cutoff: float = np.inf,
        stop_mask: npt.NDArray[np.bool_] | None = None,
    ) -> tuple[FloatArray, IntArray]:
        """One Dijkstra from `sources` (node indexes) on the lengths; distances, predecessors."""
        src = np.asarray(sources, dtype=np.int64)
        return dijkstra(  # type: ignore[no-any-return]
            self.csr.indptr,
            self.csr.indices,
            self.weight,
            src,
            np.zeros(len(src)),
            np.zeros(0, dtype=np.int64),
            float(cutoff),
            np.zeros(0, dtype=np.bool_) if stop_mask is None else stop_mask,
        )

    def path(self, pred: IntArray, target: int) -> IntArray:
        """Arcs of the search tree path to `target`."""
        return path_arcs(pred, self.csr.indptr, int(target))  # type: ignore[no-any-return]

    def nodes_of(self, arcs: IntArray, source: int) -> list[int]:
        """Node indexes met along `arcs` from `source`."""
        return [int(source), *self.csr.indices[arcs].tolist()]

    def line(self, arcs: IntArray) -> LineString:
        """The geometry of a path of arcs, end to end."""
        coords: list[tuple[float, float]] = []
        for a in arcs.tolist():
            part = list(self.geoms[a].coords)
            coords.extend(part if not coords else part[1:])
        if len(coords) < 2:  # noqa: PLR2004
            coords = coords * 2
        return LineString(coords)

    def km_by_kind(self, arcs: IntArray) -> dict[str, float]:
        """Kilometres of a path of arcs by edge kind."""
        out: dict[str, float] = {}
        kinds = self.csr.kind_of(arcs).tolist()
        for kind, w in zip(kinds, self.weight[arcs].tolist(), strict=True):
            out[str(kind)] = out.get(str(kind), 0.0) + w / 1000
        return out


def edge_ids(t: IntArray, h: IntArray, key: npt.ArrayLike) -> IntArray:
    """Return one id per undirected edge ``(min(t, h), max(t, h), key)`` for each arc."""
    lo, hi = np.minimum(t, h), np.maximum(t, h)
    k = np.asarray(key)
    if len(lo) == 0:
        return np.zeros(0, dtype=np.int64)
    _, inv = np.unique(np.column_stack([lo, hi, k]), axis=0, return_inverse=True)
    return np.asarray(inv, dtype=np.int64).ravel()


def from_graph(G: nx.MultiDiGraph, *, built_only: bool) -> LinkGraph:
    """Return the LinkGraph of a parcs graph (self-loops dropped).

    Parameters
    ----------
    G
        A parcs graph.
    built_only
        Keep only built edges (drop gap connectors).
    """
    csr = csr_of(G, built_only=built_only)
    geoms = arc_geometries(G, built_only=built_only)
    tails = csr.tails
    sub, parent = csr.restrict(tails != csr.indices)
    t = tails[parent]
    return LinkGraph(
        csr=sub,
        geoms=geoms[parent],
        edge_of=edge_ids(csr.node_ids[t], csr.node_ids[sub.indices], sub.arc_key),
        parent=np.asarray(parent, dtype=np.int64),
    )


def from_arcs(
    node_ids: Sequence[int],
    xy: FloatArray,
    tails_id: Sequence[int],
    heads_id: Sequence[int],
    weight: Sequence[float],
    kind: Sequence[str],
    geom: Sequence[LineString],
    crs: str,
) -> LinkGraph:
    """Build a LinkGraph from arcs given by node ids (each undirected edge given twice)."""
    ids = np.asarray(node_ids, dtype=np.int64)
    order = np.argsort(ids, kind="stable")
    ids = ids[order]
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)[order]
    pos = {int(v): i for i, v in enumerate(ids.tolist())}
    t = np.fromiter((pos[int(u)] for u in tails_id), dtype=np.int64, count=len(tails_id))
    h = np.fromiter((pos[int(v)] for v in heads_id), dtype=np.int64, count=len(heads_id))
    kinds = tuple(sorted(set(kind))) or ("other",)
    codes = np.asarray([kinds.index(k) for k in kind], dtype=np.int64)
    w = np.asarray(weight, dtype=np.float64)
    # arc_key = input position: CSRGraph sorts arcs by (tail, head, key), so each CSR arc
    # keeps, in csr.arc_key, the position of the input arc it comes from.
    csr = CSRGraph.from_arrays(
        t,
        h,
        xy[:, 0],
        xy[:, 1],
        weights={"length": w},
        node_ids=ids,
        arc_key=np.arange(len(t), dtype=np.int64),
        arc_kind=codes,
        kinds=kinds,
        renumber=False,
        crs=str(crs),
    )
    src = csr.arc_key.astype(np.int64)
    geoms = np.empty(len(src), dtype=object)
    geoms[:] = [geom[i] for i in src.tolist()]
    return LinkGraph(csr=csr, geoms=geoms, edge_of=edge_ids(t[src], h[src], np.round(w[src], 6)))


def find_links(g: LinkGraph, junctions: Sequence[int], *, cutoff: float) -> list[Link]:
    """Adjacent junction pairs: bounded searches from each junction that stop at the others.

    Returns ``(a, b, length, arcs from a to b)`` with ``a < b`` node indexes, one per pair (the
    shorter path when both directions differ).
    """
    mask = np.zeros(g.csr.n_nodes, dtype=np.bool_)
    mask[np.asarray(junctions, dtype=np.int64)] = True
    best: dict[tuple[int, int], tuple[float, IntArray]] = {}
    for s in sorted(junctions):
        dist, pred = g.search([s], cutoff=cutoff, stop_mask=mask)
        for t in np.flatnonzero(mask & np.isfinite(dist)).tolist():
            if t == s:
                continue
            a, b = (s, t) if s < t else (t, s)
            d = float(dist[t])
            old = best.get((a, b))
            if old is None or d < old[0] - 1e-9:
                arcs = g.path(pred, t)
                if s != a:  # store oriented a -> b
                    arcs = reverse_arcs(g, arcs)
                best[(a, b)] = (d, arcs)
    return [(a, b, d, arcs) for (a, b), (d, arcs) in sorted(best.items())]


def reverse_arcs(g: LinkGraph, arcs: IntArray) -> IntArray:
    """Return the twin arcs of `arcs` in reverse order (same edges, travelled backwards)."""
    out = np.empty(len(arcs), dtype=np.int64)
    indptr, indices = g.csr.indptr, g.csr.indices
    for k, a in enumerate(arcs[::-1].tolist()):
        t, h, e = int(g.tails[a]), int(indices[a]), g.edge_of[a]
        lo, hi = int(indptr[h]), int(indptr[h + 1])
        cand = [x for x in range(lo, hi) if indices[x] == t and g.edge_of[x] == e]
        out[k] = cand[0] if cand else a
    return out


def link_arc_for(g: LinkGraph, a_id: int, b_id: int, key: Any) -> IntArray:  # noqa: ANN401
    """The arc from node id `a_id` to `b_id` with key `key` (as an array of 0 or 1 arcs)."""
    ia, ib = g.index[int(a_id)], g.index[int(b_id)]
    lo, hi = int(g.csr.indptr[ia]), int(g.csr.indptr[ia + 1])
    hit = [
        e
        for e in range(lo, hi)
        if int(g.csr.indices[e]) == ib and int(g.csr.arc_key[e]) == int(key)
    ]
    return np.asarray(hit[:1], dtype=np.int64)
