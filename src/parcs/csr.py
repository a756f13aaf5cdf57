"""Compressed sparse row (CSR) form of a parcs graph, the input of every routing kernel.

Build it once with :meth:`CSRGraph.from_graph` and pass it to repeated routing calls; it is
not kept in sync with ``G`` (edit ``G``, then build a new one).

Layout (``n`` nodes, ``m`` arcs; every undirected segment of ``G`` is two arcs):

* ``indptr`` int64[n+1]: the arcs leaving node ``u`` are ``indptr[u]:indptr[u+1]``;
* ``indices`` int64[m] arc heads;
* ``x``, ``y`` float64[n] node coordinates (metres, ``crs``);
* ``node_ids`` int64[n]: graph node id of each index (:meth:`CSRGraph.index_of` maps back);
* ``arc_key`` int32[m]: multigraph key of each arc, so arc ``e`` is the edge
  ``(node_ids[tails[e]], node_ids[indices[e]], arc_key[e])`` of ``G`` (:attr:`edge_keys`);
* ``connector`` bool[m]: the arc is a gap connector (edge attribute ``built`` is False);
* ``weights``: float64[m] arrays by name: ``"length"`` (edge ``est_length``, falling back to
  ``length``) and, for each profile ``p``, ``"{p}_cost"`` (``est_length * multiplier(kind)``)
  and ``"{p}_time"`` (seconds, ``est_length / speed``).

Arc tails are not stored: :attr:`CSRGraph.tails` derives them from ``indptr`` on each access
(O(m)), and the kernels find the tail of one arc by bisecting ``indptr``. With one weight a
graph holds 48 bytes per node (``indptr``, ``x``, ``y``, ``node_ids`` and the sorted id
lookup) and 21 per arc (``indices``, ``arc_key``, ``connector``, the weight), plus 8 per arc
for each further weight (:attr:`CSRGraph.nbytes`).

Nodes are renumbered along a Hilbert curve of their coordinates (``renumber=True``): nodes
close in space get close indexes, so a search touches fewer cache lines. On the synthetic
1M-node graph this made one-to-all Dijkstra several times faster (``docs/kernels.md``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from parcs._atomic import atomic_path
from parcs._log import logger
from parcs.errors import DataError, NodeNotFoundError, ValidationError
from parcs.profiles import PROFILES

if TYPE_CHECKING:
    import os
    from collections.abc import Mapping

    import networkx as nx

    from parcs.profiles import Profile

__all__ = ["CSRGraph", "hilbert_order"]

_FORMAT_VERSION = 2
_READS_VERSIONS = (1, 2)  # version 1 also stored ``tails`` (ignored) and int64 ``arc_key``
_SHOW_IDS = 5  # missing ids named in NodeNotFoundError
_HILBERT_BITS = 16
# A* heuristics scaled by h_scale must never exceed an arc weight; keep a few ulps of margin.
_H_SCALE_MARGIN = 1.0 - 1e-12
_ARRAYS = ("indptr", "indices", "x", "y", "node_ids", "arc_key", "connector")
_KEY_MAX = np.iinfo(np.int32).max

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def _hilbert_key(x: FloatArray, y: FloatArray, bits: int = _HILBERT_BITS) -> IntArray:
    """Distance of each point along a Hilbert curve over the bounding box (``2**bits`` side)."""
    side = 1 << bits
    if x.size == 0:
        return np.zeros(0, dtype=np.int64)

    def grid(v: FloatArray) -> IntArray:
        lo, hi = float(np.min(v)), float(np.max(v))
        span = hi - lo
        if not span > 0:
            return np.zeros(v.shape, dtype=np.int64)
        return np.minimum(((v - lo) / span * side).astype(np.int64), side - 1)

    gx, gy = grid(x), grid(y)
    d = np.zeros(x.shape, dtype=np.int64)
    s = side >> 1
    while s > 0:
        rx = (gx & s) > 0
        ry = (gy & s) > 0
        d += s * s * ((3 * rx.astype(np.int64)) ^ ry.astype(np.int64))
        # rotate the quadrant
        flip = (~ry) & rx
        gx = np.where(flip, side - 1 - gx, gx)
        gy = np.where(flip, side - 1 - gy, gy)
        swap = ~ry
        gx, gy = np.where(swap, gy, gx), np.where(swap, gx, gy)
        s >>= 1
    return d


def hilbert_order(x: npt.ArrayLike, y: npt.ArrayLike) -> IntArray:
    """Return the permutation that sorts points along a Hilbert curve.

    Parameters
    ----------
    x, y
        Point coordinates (any units).

    Returns
    -------
    numpy.ndarray
        int64 indexes of the points in curve order (``order[i]`` = old index of new node i).
    """
    key = _hilbert_key(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    return np.argsort(key, kind="stable").astype(np.int64)


def _is_metric_projected(crs: object) -> bool:
    import pyproj

    try:
        c = pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError:
        return False
    if not c.is_projected:
        return False
    units = {(a.unit_name or "").lower() for a in c.axis_info}
    return bool(units) and units <= {"metre", "meter", "m"}


@dataclass(frozen=True, eq=False)
class CSRGraph:
    """A parcs graph as CSR arrays (see the module docstring for the layout).

    Build it with :meth:`from_graph` (from a parcs ``networkx.MultiDiGraph``),
    :meth:`from_arrays` or :meth:`load`. Treat the arrays as read-only.
    """

    indptr: IntArray
    indices: IntArray
    x: FloatArray
    y: FloatArray
    node_ids: IntArray
    arc_key: npt.NDArray[np.int32]
    connector: BoolArray
    weights: Mapping[str, FloatArray]
    crs: str = "EPSG:2154"
    _sorted_ids: IntArray = field(init=False, repr=False)
    _sorted_idx: IntArray = field(init=False, repr=False)
    _cache: dict[tuple[str, bool], Any] = field(init=False, repr=False)

    def __post_init__(self) -> None:  # noqa: C901, PLR0912
        """Normalise dtypes, check the shapes and build the id -> index lookup."""
        ints = ("indptr", "indices", "node_ids")
        for name in ints:
            object.__setattr__(
                self, name, np.ascontiguousarray(getattr(self, name), dtype=np.int64)
            )
        for name in ("x", "y"):
            object.__setattr__(
                self, name, np.ascontiguousarray(getattr(self, name), dtype=np.float64)
            )
        object.__setattr__(self, "connector", np.ascontiguousarray(self.connector, dtype=np.bool_))
        keys = np.asarray(self.arc_key)
        if keys.size and (keys.min() < 0 or keys.max() > _KEY_MAX):
            msg = f"invalid CSRGraph: `arc_key` values must be in 0..{_KEY_MAX}"
            raise ValidationError(msg)
        object.__setattr__(self, "arc_key", np.ascontiguousarray(keys, dtype=np.int32))
        object.__setattr__(
            self,
            "weights",
            {k: np.ascontiguousarray(v, dtype=np.float64) for k, v in self.weights.items()},
        )
        n = self.node_ids.shape[0]
        m = self.indices.shape[0]
        problems = []
        if self.indptr.shape != (n + 1,):
            problems.append(f"`indptr` has {self.indptr.shape[0]} entries, expected n+1={n + 1}")
        elif self.indptr[0] != 0 or self.indptr[-1] != m or (np.diff(self.indptr) < 0).any():
            problems.append("`indptr` must rise from 0 to the number of arcs")
        for name in ("x", "y"):
            if getattr(self, name).shape != (n,):
                problems.append(f"`{name}` has shape {getattr(self, name).shape}, expected ({n},)")
        for name in ("arc_key", "connector"):
            if getattr(self, name).shape != (m,):
                problems.append(f"`{name}` has shape {getattr(self, name).shape}, expected ({m},)")
        for name, w in self.weights.items():
            if w.shape != (m,):
                problems.append(f"weight {name!r} has shape {w.shape}, expected ({m},)")
        if m and (self.indices.min() < 0 or self.indices.max() >= n):
            problems.append("`indices` holds node indexes outside 0..n-1")
        if "length" not in self.weights:
            problems.append("`weights` has no 'length' array")
        if problems:
            msg = "invalid CSRGraph: " + "; ".join(problems)
            raise ValidationError(msg)
        order = np.argsort(self.node_ids, kind="stable")
        sorted_ids = self.node_ids[order]
        if n > 1 and (np.diff(sorted_ids) == 0).any():
            dup = sorted_ids[1:][np.diff(sorted_ids) == 0][:5].tolist()
            msg = f"`node_ids` must be unique; repeated ids: {dup}"
            raise ValidationError(msg)
        object.__setattr__(self, "_sorted_ids", sorted_ids)
        object.__setattr__(self, "_sorted_idx", order.astype(np.int64))
        object.__setattr__(self, "_cache", {})

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_arrays(  # noqa: C901
        cls,
        tails: npt.ArrayLike,
        heads: npt.ArrayLike,
        x: npt.ArrayLike,
        y: npt.ArrayLike,
        *,
        weights: Mapping[str, npt.ArrayLike],
        node_ids: npt.ArrayLike | None = None,
        arc_key: npt.ArrayLike | None = None,
        connector: npt.ArrayLike | None = None,
        renumber: bool = True,
        crs: str = "EPSG:2154",
    ) -> CSRGraph:
        """Build a CSRGraph from an arc list.

        Parameters
        ----------
        tails, heads
            Node indexes ``0..n-1`` of each arc's tail and head (``n = len(x)``).
        x, y
            Node coordinates in metres.
        weights
            Arc weight arrays by name; must contain ``"length"``. Values must be finite and
            >= 0.
        node_ids
            Graph node id of each index (default ``0..n-1``).
        arc_key
            Multigraph key of each arc (default 0). Arcs are sorted by (tail, head, key)
            and equal arcs keep their input order, so ``arc_key=numpy.arange(m)`` makes
            ``csr.arc_key[e]`` the input position of CSR arc ``e``: the way to carry per-arc
            data a CSRGraph does not hold (geometry, kind) into CSR order.
        connector
            Gap-connector mask of the arcs (default all False).
        renumber
            Renumber the nodes along a Hilbert curve of ``(x, y)``.
        crs
            CRS of ``x`` and ``y`` (must be projected, in metres).

        Returns
        -------
        CSRGraph
            The graph, its arcs sorted by (tail, head, key) (stable). With
            ``renumber=False`` node index ``i`` is input node ``i``.

        Raises
        ------
        ValidationError
            If an array has the wrong length, an index is out of range, a weight is not
            finite or negative, or the CRS is not metric.
        """
        t = np.asarray(tails, dtype=np.int64).ravel()
        h = np.asarray(heads, dtype=np.int64).ravel()
        xa = np.asarray(x, dtype=np.float64).ravel()
        ya = np.asarray(y, dtype=np.float64).ravel()
        n, m = xa.shape[0], t.shape[0]
        ids = np.arange(n, dtype=np.int64) if node_ids is None else np.asarray(node_ids)
        keys = np.zeros(m, dtype=np.int64) if arc_key is None else np.asarray(arc_key)
        conn = np.zeros(m, dtype=np.bool_) if connector is None else np.asarray(connector)
        w = {k: np.asarray(v, dtype=np.float64).ravel() for k, v in weights.items()}
        problems = []
        if not _is_metric_projected(crs):
            problems.append(
                f"`crs` {crs!r} is not a projected CRS in metres; project the graph first "
                "(e.g. osmnx.project_graph(G, to_crs='EPSG:2154'))"
            )
        sizes = {"heads": h.shape[0], "arc_key": keys.shape[0], "connector": conn.shape[0]}
        sizes.update({f"weights[{k!r}]": v.shape[0] for k, v in w.items()})
        problems += [f"`{k}` has {s} values, expected {m}" for k, s in sizes.items() if s != m]
        if (
            keys.shape[0] == m
            and m
            and (
                not np.issubdtype(keys.dtype, np.integer) or keys.min() < 0 or keys.max() > _KEY_MAX
            )
        ):
            problems.append(f"`arc_key` must hold integers in 0..{_KEY_MAX}")
        if ya.shape[0] != n or ids.shape[0] != n:
            problems.append(f"`x`, `y` and `node_ids` must have the same length ({n})")
        if m and (min(t.min(), h.min()) < 0 or max(t.max(), h.max()) >= n):
            problems.append(f"`tails`/`heads` must be node indexes in 0..{n - 1}")
        if not (np.isfinite(xa).all() and np.isfinite(ya).all()):
            bad = int((~(np.isfinite(xa) & np.isfinite(ya))).sum())
            problems.append(f"{bad} nodes have missing or non-finite coordinates")
        if not np.issubdtype(ids.dtype, np.integer):
            problems.append(f"`node_ids` must be integers, got dtype {ids.dtype}")
        if "length" not in w:
            problems.append("`weights` must contain a 'length' array")
        for k, v in w.items():
            if v.shape[0] != m:
                continue
            bad = int((~np.isfinite(v) | (v < 0)).sum())
            if bad:
                problems.append(f"weight {k!r} is not finite or negative on {bad} arcs")
        if problems:
            msg = "cannot build the CSR graph: " + "; ".join(problems)
            raise ValidationError(msg)
        ids = ids.astype(np.int64)
        if renumber and n:
            order = hilbert_order(xa, ya)  # order[new] = old
            new_of_old = np.empty(n, dtype=np.int64)
            new_of_old[order] = np.arange(n, dtype=np.int64)
            xa, ya, ids = xa[order], ya[order], ids[order]
            t, h = new_of_old[t], new_of_old[h]
        arc_order = np.lexsort((keys, h, t))
        t, h = t[arc_order], h[arc_order]
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(t, minlength=n), out=indptr[1:])
        return cls(
            indptr=indptr,
            indices=h,
            x=xa,
            y=ya,
            node_ids=ids,
            arc_key=keys.astype(np.int32)[arc_order],
            connector=conn.astype(np.bool_)[arc_order],
            weights={k: v[arc_order] for k, v in w.items()},
            crs=str(crs),
        )

    @classmethod
    def from_graph(  # noqa: C901, PLR0915
        cls,
        G: nx.MultiDiGraph,
        *,
        profiles: Mapping[str, Profile] = PROFILES,
        renumber: bool = True,
    ) -> CSRGraph:
        """Build the CSR form of a parcs graph (``docs/graph-format.md``).

        Parameters
        ----------
        G
            A parcs ``networkx.MultiDiGraph``: integer node ids with ``x``/``y``, edges with
            ``est_length`` (or ``length``), ``kind`` and ``built``; ``G.graph["crs"]``
            projected in metres.
        profiles
            Profiles whose ``{name}_cost`` and ``{name}_time`` weights are computed.
        renumber
            Renumber the nodes along a Hilbert curve (faster searches on large graphs).

        Returns
        -------
        CSRGraph
            The CSR graph.

        Raises
        ------
        ValidationError
            If the CRS is missing or not metric, node ids are not integers, coordinates are
            missing, or edge lengths are missing, not finite or negative.
        """
        problems = []
        crs = G.graph.get("crs")
        if crs is None or not _is_metric_projected(crs):
            problems.append(
                f"`G.graph['crs']` is {crs!r}; it must be a projected CRS in metres "
                "(project the graph first, e.g. osmnx.project_graph(G, to_crs='EPSG:2154'))"
            )
        nodes = list(G.nodes)
        bad_ids = [u for u in nodes if not isinstance(u, (int, np.integer)) or isinstance(u, bool)]
        if bad_ids:
            problems.append(
                f"node ids must be integers; {len(bad_ids)} are not, e.g. {bad_ids[:5]!r} "
                "(relabel with networkx.convert_node_labels_to_integers)"
            )
            nodes = []
        pos = {u: i for i, u in enumerate(nodes)}
        n = len(nodes)
        x = np.empty(n)
        y = np.empty(n)
        for i, u in enumerate(nodes):
            data = G.nodes[u]
            x[i] = data.get("x", math.nan)
            y[i] = data.get("y", math.nan)
        m = G.number_of_edges() if nodes else 0
        tails = np.empty(m, dtype=np.int64)
        heads = np.empty(m, dtype=np.int64)
        keys = np.empty(m, dtype=np.int64)
        length = np.empty(m)
        built = np.empty(m, dtype=np.bool_)
        kinds: list[str] = []
        bad_edges: list[tuple[Any, Any, Any]] = []
        if nodes:
            edges = (
                G.edges(keys=True, data=True)
                if G.is_multigraph()
                else ((u, v, 0, d) for u, v, d in G.edges(data=True))
            )
            for e, (u, v, k, data) in enumerate(edges):
                tails[e] = pos[u]
                heads[e] = pos[v]
                keys[e] = k if isinstance(k, (int, np.integer)) else e
                w = data.get("est_length", data.get("length"))
                try:
                    wf = float(w)
                except (TypeError, ValueError):
                    wf = math.nan
                if not (math.isfinite(wf) and wf >= 0):
                    bad_edges.append((u, v, k))
                length[e] = wf
                kind = data.get("kind", "")
                kinds.append(kind)
                built[e] = bool(data.get("built", kind != "connector"))
        if bad_edges:
            problems.append(
                f"{len(bad_edges)} edges have a missing, non-finite or negative `est_length` "
                f"(and `length`), e.g. {bad_edges[:5]}; fix or remove them"
            )
        if n and not (np.isfinite(x).all() and np.isfinite(y).all()):
            bad = int((~(np.isfinite(x) & np.isfinite(y))).sum())
            problems.append(f"{bad} nodes have missing or non-finite `x`/`y`")
        if problems:
            msg = "cannot build the CSR graph from `G`: " + "; ".join(problems)
            raise ValidationError(msg)
        kind_arr = np.asarray(kinds, dtype=object)
        weights: dict[str, FloatArray] = {"length": length}
        uniq = sorted(set(kinds))
        for name, profile in profiles.items():
            mult = np.ones(m)
            for kind in uniq:
                mult[kind_arr == kind] = profile.multiplier(kind)
            weights[f"{name}_cost"] = length * mult
            weights[f"{name}_time"] = length / profile.speed_ms
        csr = cls.from_arrays(
            tails,
            heads,
            x,
            y,
            weights=weights,
            node_ids=np.asarray(nodes, dtype=np.int64),
            arc_key=keys,
            connector=~built,
            renumber=renumber,
            crs=str(crs),
        )
        logger.info(
            "CSR graph: %d nodes, %d arcs (%d connector arcs), %d weights",
            csr.n_nodes,
            csr.n_arcs,
            int(csr.connector.sum()),
            len(csr.weights),
        )
        return csr

    # ------------------------------------------------------------------ accessors

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node_ids.shape[0])

    @property
    def n_arcs(self) -> int:
        """Number of arcs (directed edges)."""
        return int(self.indices.shape[0])

    @property
    def tails(self) -> IntArray:
        """int64[m] tail node of each arc, derived from ``indptr`` on each access (O(m)).

        Not stored, to keep the graph small: keep the result in a variable when you need it
        more than once.
        """
        return np.repeat(np.arange(self.n_nodes, dtype=np.int64), np.diff(self.indptr))

    @property
    def edge_keys(self) -> IntArray:
        """int64[m, 3] ``(u_id, v_id, key)`` of each arc: the edge of ``G`` it comes from."""
        return np.column_stack(
            (self.node_ids[self.tails], self.node_ids[self.indices], self.arc_key)
        )

    @property
    def nbytes(self) -> int:
        """Bytes held by the graph: its arrays, the id lookup and every weight.

        Excludes what is built on demand and cached (connector-free weight copies).
        """
        total = sum(getattr(self, name).nbytes for name in _ARRAYS)
        total += self._sorted_ids.nbytes + self._sorted_idx.nbytes
        return int(total + sum(w.nbytes for w in self.weights.values()))

    def index_of(self, ids: npt.ArrayLike) -> IntArray:
        """Return the indexes of graph node ids.

        Parameters
        ----------
        ids
            One node id or a sequence of them.

        Returns
        -------
        numpy.ndarray
            int64 indexes, one per id (1-D).

        Raises
        ------
        NodeNotFoundError
            If some ids are not nodes of the graph (names up to 5 of them).
        """
        arr = np.atleast_1d(np.asarray(ids))
        if arr.size == 0:
            return np.zeros(0, dtype=np.int64)
        if not np.issubdtype(arr.dtype, np.integer):
            bad = arr.ravel()[:5].tolist()
            msg = f"node ids must be integers, got {bad!r} (dtype {arr.dtype}); pass graph node ids"
            raise NodeNotFoundError(msg)
        arr = arr.ravel().astype(np.int64)
        pos = np.searchsorted(self._sorted_ids, arr)
        pos_c = np.minimum(pos, max(self.n_nodes - 1, 0))
        ok = (pos < self.n_nodes) & (self._sorted_ids[pos_c] == arr) if self.n_nodes else pos < 0
        if not ok.all():
            missing = arr[~ok]
            shown = ", ".join(str(v) for v in missing[:_SHOW_IDS].tolist())
            more = f" and {missing.size - _SHOW_IDS} more" if missing.size > _SHOW_IDS else ""
            msg = (
                f"{missing.size} node id(s) not in the graph: {shown}{more}; "
                "use ids from `G.nodes` (or `csr.node_ids`)"
            )
            raise NodeNotFoundError(msg)
        return self._sorted_idx[pos_c]

    def index(self, node_id: int) -> int:
        """Return the index of one graph node id (see :meth:`index_of`)."""
        return int(self.index_of(node_id)[0])

    def weight(self, name: str, *, avoid_connectors: bool = False) -> FloatArray:
        """Return the arc weight array `name`.

        Parameters
        ----------
        name
            ``"length"``, ``"{profile}_cost"`` or ``"{profile}_time"``.
        avoid_connectors
            Return a copy with ``inf`` on gap-connector arcs (kernels skip them).

        Returns
        -------
        numpy.ndarray
            float64[m] weights (shared, do not modify).

        Raises
        ------
        ValidationError
            If there is no weight `name`.
        """
        if name not in self.weights:
            msg = f"unknown `weight` {name!r}; choose one of {sorted(self.weights)}"
            raise ValidationError(msg)
        if not avoid_connectors:
            return self.weights[name]
        key = (name, True)
        if key not in self._cache:
            w = self.weights[name].copy()
            w[self.connector] = np.inf
            self._cache[key] = w
        return self._cache[key]  # type: ignore[no-any-return]

    def h_scale(self, name: str) -> float:
        """Return the largest safe A* heuristic scale for weight `name`.

        It is the minimum, over arcs whose ends are apart, of weight / Euclidean length
        (times ``1 - 1e-12`` against rounding), so ``h_scale * euclid(v, target)`` never
        overestimates. 0.0 when no arc has a positive Euclidean length.

        Parameters
        ----------
        name
            Weight name (see :meth:`weight`).

        Returns
        -------
        float
            The scale.
        """
        key = (f"h_scale:{name}", False)
        if key not in self._cache:
            w = self.weight(name)
            tails = self.tails
            euclid = np.hypot(
                self.x[tails] - self.x[self.indices], self.y[tails] - self.y[self.indices]
            )
            ok = euclid > 0
            value = float(np.min(w[ok] / euclid[ok])) * _H_SCALE_MARGIN if ok.any() else 0.0
            self._cache[key] = value
        return float(self._cache[key])

    # ------------------------------------------------------------------ persistence

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the graph to an ``.npz`` file (atomically).

        Parameters
        ----------
        path
            Destination file.
        """
        arrays: dict[str, Any] = {name: getattr(self, name) for name in _ARRAYS}
        for name, w in self.weights.items():
            arrays[f"weight:{name}"] = w
        arrays["crs"] = np.array(self.crs)
        arrays["format_version"] = np.array(_FORMAT_VERSION)
        with atomic_path(path) as tmp, tmp.open("wb") as fh:
            np.savez(fh, **arrays)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> CSRGraph:
        """Read a graph written by :meth:`save`.

        Parameters
        ----------
        path
            An ``.npz`` file.

        Returns
        -------
        CSRGraph
            The graph.

        Raises
        ------
        DataError
            If the file is missing, unreadable or not a parcs CSR file.
        """
        try:
            with np.load(path, allow_pickle=False) as data:
                files = set(data.files)
                missing = [k for k in (*_ARRAYS, "crs", "format_version") if k not in files]
                if missing:
                    msg = f"{path!s} is not a parcs CSR file: missing arrays {missing}"
                    raise DataError(msg)
                version = int(data["format_version"])
                if version not in _READS_VERSIONS:
                    msg = (
                        f"{path!s} has CSR format version {version}, this parcs reads "
                        f"{_READS_VERSIONS}; rebuild it with CSRGraph.from_graph(G).save(path)"
                    )
                    raise DataError(msg)
                arrays = {k: data[k] for k in _ARRAYS}
                weights = {
                    k.split(":", 1)[1]: data[k] for k in data.files if k.startswith("weight:")
                }
                crs = str(data["crs"])
        except (OSError, ValueError) as exc:
            if isinstance(exc, DataError):
                raise
            msg = f"cannot read CSR graph file {path!s}: {exc}"
            raise DataError(msg) from exc
        return cls(**arrays, weights=weights, crs=crs)
