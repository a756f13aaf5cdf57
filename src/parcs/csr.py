"""Compressed sparse row (CSR) form of a parcs graph: the only array form, input of every kernel.

:func:`csr_of` is the one conversion every part of parcs uses: it checks the graph against the
contract (:mod:`parcs.graph`), builds the arrays once and keeps them in
``G.__networkx_cache__`` (see :func:`parcs.graph.invalidate`), so repeated calls on an
unchanged graph cost nothing. :meth:`CSRGraph.from_graph` builds a fresh, uncached one.

Layout (``n`` nodes, ``m`` arcs; every undirected edge of ``G`` is two arcs, a self-loop one):

* ``indptr`` int64[n+1]: the arcs leaving node ``u`` are ``indptr[u]:indptr[u+1]``;
* ``indices`` int64[m] arc heads;
* ``x``, ``y`` float64[n] node coordinates (metres, ``crs``);
* ``node_ids`` int64[n]: graph node id of each index (:meth:`CSRGraph.index_of` maps back);
* ``arc_key`` int32[m]: multigraph key of each arc, so arc ``e`` is the edge
  ``(node_ids[tails[e]], node_ids[indices[e]], arc_key[e])`` of ``G`` (:attr:`edge_keys`);
* ``connector`` bool[m]: the arc is not built (edge attribute ``built`` is False: a gap
  connector);
* ``arc_kind`` uint8[m] (uint16 beyond 256 kinds): position of the arc's ``kind`` in
  ``kinds``, the sorted tuple of kind names;
* ``weights``: float64[m] arrays by name; ``"length"`` is the travelled length
  (``est_length``, else ``length``). Profile costs and times are not stored: a
  :class:`parcs.profiles.Profile` computes them from ``length`` and ``arc_kind``
  (:meth:`CSRGraph.profile_weight`), so any profile works on any CSRGraph.

Arc tails are not stored: :attr:`CSRGraph.tails` derives them from ``indptr`` on each access
(O(m)), and the kernels find the tail of one arc by bisecting ``indptr``. With one weight a
graph holds 48 bytes per node (``indptr``, ``x``, ``y``, ``node_ids`` and the sorted id
lookup) and 22 per arc (``indices``, ``arc_key``, ``connector``, ``arc_kind``, the weight),
plus 8 per arc for each further weight (:attr:`CSRGraph.nbytes`).

Nodes are renumbered along a Hilbert curve of their coordinates (``renumber=True``): nodes
close in space get close indexes, so a search touches fewer cache lines. On the synthetic
1M-node graph this made one-to-all Dijkstra several times faster (``docs/kernels.md``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from parcs import graph as _graph
from parcs._atomic import atomic_path
from parcs._log import logger
from parcs.errors import DataError, NodeNotFoundError, ValidationError
from parcs.profiles import PROFILES, Profile, get_profile
from parcs.settings import is_metric_crs

if TYPE_CHECKING:
    import os
    from collections.abc import Mapping

    import networkx as nx

__all__ = [
    "CSRGraph",
    "arc_geometries",
    "arc_values",
    "cache_csr",
    "csr_of",
    "hilbert_order",
    "source_arcs",
]

_FORMAT_VERSION = 3
# version 1 also stored ``tails`` (ignored) and int64 ``arc_key``; versions 1 and 2 stored the
# profile weights and no kinds (they load with every arc of kind "other" and keep the stored
# ``{profile}_cost`` / ``{profile}_time`` weights, which then win over computed ones)
_READS_VERSIONS = (1, 2, 3)
_SHOW_IDS = 5  # missing ids named in NodeNotFoundError
_HILBERT_BITS = 16
# A* heuristics scaled by h_scale must never exceed an arc weight; keep a few ulps of margin.
_H_SCALE_MARGIN = 1.0 - 1e-12
_ARRAYS = ("indptr", "indices", "x", "y", "node_ids", "arc_key", "connector", "arc_kind")
_KEY_MAX = np.iinfo(np.int32).max
_WHAT = ("cost", "time", "length")
_FULL = ("csr", False)  # cache key of the full CSR, its arc order and geometries

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


def _kind_dtype(n_kinds: int) -> type[np.unsignedinteger[Any]]:
    return np.uint8 if n_kinds <= 256 else np.uint16  # noqa: PLR2004


@dataclass(frozen=True, eq=False)
class CSRGraph:
    """A parcs graph as CSR arrays (see the module docstring for the layout).

    Build it with :func:`csr_of` (cached), :meth:`from_graph`, :meth:`from_arrays` or
    :meth:`load`. Treat the arrays as read-only.
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
    # None (every arc of kind ``kinds[0]``) is accepted, and replaced by __post_init__
    arc_kind: npt.NDArray[np.unsignedinteger[Any]] = None  # type: ignore[assignment]
    kinds: tuple[str, ...] = (_graph.DEFAULT_KIND,)
    _sorted_ids: IntArray = field(init=False, repr=False)
    _sorted_idx: IntArray = field(init=False, repr=False)
    _cache: dict[Any, Any] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        """Normalise dtypes, check the shapes and build the id -> index lookup."""
        self._normalise()
        problems = self._shape_problems()
        if problems:
            msg = "invalid CSRGraph: " + "; ".join(problems)
            raise ValidationError(msg)
        order = np.argsort(self.node_ids, kind="stable")
        sorted_ids = self.node_ids[order]
        if self.n_nodes > 1 and (np.diff(sorted_ids) == 0).any():
            dup = sorted_ids[1:][np.diff(sorted_ids) == 0][:5].tolist()
            msg = f"`node_ids` must be unique; repeated ids: {dup}"
            raise ValidationError(msg)
        object.__setattr__(self, "_sorted_ids", sorted_ids)
        object.__setattr__(self, "_sorted_idx", order.astype(np.int64))
        object.__setattr__(self, "_cache", {})

    def _normalise(self) -> None:
        def put(name: str, value: Any) -> None:  # noqa: ANN401
            object.__setattr__(self, name, value)

        for name in ("indptr", "indices", "node_ids"):
            put(name, np.ascontiguousarray(getattr(self, name), dtype=np.int64))
        for name in ("x", "y"):
            put(name, np.ascontiguousarray(getattr(self, name), dtype=np.float64))
        put("connector", np.ascontiguousarray(self.connector, dtype=np.bool_))
        keys = np.asarray(self.arc_key)
        if keys.size and (keys.min() < 0 or keys.max() > _KEY_MAX):
            msg = f"invalid CSRGraph: `arc_key` values must be in 0..{_KEY_MAX}"
            raise ValidationError(msg)
        put("arc_key", np.ascontiguousarray(keys, dtype=np.int32))
        put("weights", {k: np.ascontiguousarray(v, dtype=np.float64) for k, v in self.weights.items()})
        kinds = tuple(str(k) for k in self.kinds) or (_graph.DEFAULT_KIND,)
        put("kinds", kinds)
        codes = np.zeros(self.indices.shape[0]) if self.arc_kind is None else self.arc_kind
        codes = np.asarray(codes)
        if codes.size and (codes.min() < 0 or codes.max() >= len(kinds)):  # before the cast
            msg = f"invalid CSRGraph: `arc_kind` holds codes outside 0..{len(kinds) - 1}"
            raise ValidationError(msg)
        put("arc_kind", np.ascontiguousarray(codes, dtype=_kind_dtype(len(kinds))))

    def _shape_problems(self) -> list[str]:
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
        for name in ("arc_key", "connector", "arc_kind"):
            if getattr(self, name).shape != (m,):
                problems.append(f"`{name}` has shape {getattr(self, name).shape}, expected ({m},)")
        for name, w in self.weights.items():
            if w.shape != (m,):
                problems.append(f"weight {name!r} has shape {w.shape}, expected ({m},)")
        if m and (self.indices.min() < 0 or self.indices.max() >= n):
            problems.append("`indices` holds node indexes outside 0..n-1")
        if "length" not in self.weights:
            problems.append("`weights` has no 'length' array")
        return problems

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_arrays(
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
        arc_kind: npt.ArrayLike | None = None,
        kinds: tuple[str, ...] = (_graph.DEFAULT_KIND,),
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
            data a CSRGraph does not hold (geometry) into CSR order.
        connector
            Unbuilt-arc mask (default all False).
        arc_kind, kinds
            Kind code of each arc (default 0) and the kind names the codes index.
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
        csr, _order = _build(
            tails, heads, x, y, weights=weights, node_ids=node_ids, arc_key=arc_key,
            connector=connector, arc_kind=arc_kind, kinds=kinds, renumber=renumber, crs=crs,
        )
        return csr

    @classmethod
    def from_graph(cls, G: nx.MultiDiGraph, *, renumber: bool = True) -> CSRGraph:
        """Build the CSR form of a parcs graph (not cached: see :func:`csr_of`).

        Parameters
        ----------
        G
            A parcs graph (:mod:`parcs.graph`).
        renumber
            Renumber the nodes along a Hilbert curve (faster searches on large graphs).

        Returns
        -------
        CSRGraph
            The CSR graph; weight ``"length"`` is each edge's ``est_length``.

        Raises
        ------
        ValidationError
            If `G` breaks the graph contract (every problem is listed).
        """
        return _from_edge_arrays(_graph.edge_arrays(G), renumber=renumber)[0]

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
    def undirected(self) -> BoolArray:
        """bool[m] one arc per undirected edge: ``u_id < v_id``, and every self-loop."""
        t_id, h_id = self.node_ids[self.tails], self.node_ids[self.indices]
        return np.asarray(t_id <= h_id)

    @property
    def nbytes(self) -> int:
        """Bytes held by the graph: its arrays, the id lookup and every stored weight.

        Excludes what is computed on demand and cached (profile weights, connector-free
        copies).
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

    def kind_of(self, arcs: npt.ArrayLike) -> npt.NDArray[np.object_]:
        """Return the kind name of each arc in `arcs`."""
        names = np.asarray(self.kinds, dtype=object)
        return np.asarray(names[np.asarray(self.arc_kind)[np.asarray(arcs, dtype=np.int64)]])

    # ------------------------------------------------------------------ weights

    def profile_weight(
        self, profile: str | Profile, what: str = "cost", *, avoid_connectors: bool = False
    ) -> FloatArray:
        """Return the arc weights of a travel profile.

        Parameters
        ----------
        profile
            A :class:`parcs.profiles.Profile` (built-in or user-made) or a built-in name.
        what
            {"cost", "time", "length"}: perceived metres, seconds, or metres.
        avoid_connectors
            Return a copy with ``inf`` on unbuilt arcs (kernels skip them).

        Returns
        -------
        numpy.ndarray
            float64[m] weights (shared and cached, do not modify).

        Raises
        ------
        ProfileError
            If `profile` is an unknown name.
        ValidationError
            If `what` is not one of the allowed values.
        """
        prof = get_profile(profile)
        if what not in _WHAT:
            msg = f"`what` must be one of {list(_WHAT)}, got {what!r}"
            raise ValidationError(msg)
        key = ("profile", prof.key, what, avoid_connectors)
        if key not in self._cache:
            stored = self.weights.get(f"{prof.name}_{what}")
            if stored is not None and PROFILES.get(prof.name) == prof:
                w = stored  # a legacy file's stored profile weight
            else:
                w = prof.weights(self.weights["length"], self.arc_kind, self.kinds, what=what)
            if avoid_connectors:
                w = w.copy()
                w[self.connector] = np.inf
            self._cache[key] = np.ascontiguousarray(w, dtype=np.float64)
        return self._cache[key]  # type: ignore[no-any-return]

    def weight(self, name: str, *, avoid_connectors: bool = False) -> FloatArray:
        """Return the arc weight array `name`.

        Parameters
        ----------
        name
            ``"length"``, another stored weight, or ``"{profile}_cost"`` /
            ``"{profile}_time"`` for a built-in profile (see :meth:`profile_weight`).
        avoid_connectors
            Return a copy with ``inf`` on unbuilt arcs (kernels skip them).

        Returns
        -------
        numpy.ndarray
            float64[m] weights (shared, do not modify).

        Raises
        ------
        ValidationError
            If there is no weight `name`.
        """
        profile, _, what = name.rpartition("_")
        if name not in self.weights and profile in PROFILES and what in _WHAT:
            return self.profile_weight(profile, what, avoid_connectors=avoid_connectors)
        if name not in self.weights:
            names = sorted({*self.weights, *(f"{p}_{w}" for p in PROFILES for w in _WHAT[:2])})
            msg = f"unknown `weight` {name!r}; choose one of {names}"
            raise ValidationError(msg)
        if not avoid_connectors:
            return self.weights[name]
        key = (name, True)
        if key not in self._cache:
            w = self.weights[name].copy()
            w[self.connector] = np.inf
            self._cache[key] = w
        return self._cache[key]  # type: ignore[no-any-return]

    def h_scale(self, name: str | FloatArray) -> float:
        """Return the largest safe A* heuristic scale for a weight.

        It is the minimum, over arcs whose ends are apart, of weight / Euclidean length
        (times ``1 - 1e-12`` against rounding), so ``h_scale * euclid(v, target)`` never
        overestimates. 0.0 when no arc has a positive Euclidean length.

        Parameters
        ----------
        name
            A weight name (see :meth:`weight`) or a weight array of this graph.

        Returns
        -------
        float
            The scale.
        """
        w = self.weight(name) if isinstance(name, str) else np.asarray(name)
        key = ("h_scale", id(w)) if not isinstance(name, str) else ("h_scale", name)
        cached = self._cache.get(key)
        if cached is not None and cached[0] is w:
            return float(cached[1])
        tails = self.tails
        euclid = np.hypot(self.x[tails] - self.x[self.indices], self.y[tails] - self.y[self.indices])
        ok = euclid > 0
        value = float(np.min(w[ok] / euclid[ok])) * _H_SCALE_MARGIN if ok.any() else 0.0
        self._cache[key] = (w, value)
        return value

    def restrict(self, keep: npt.ArrayLike) -> tuple[CSRGraph, IntArray]:
        """Return the graph with only the arcs in `keep`, and the source arc of each.

        Every node is kept with the same index, so node indexes of both graphs agree.

        Parameters
        ----------
        keep
            bool[m] arcs to keep.

        Returns
        -------
        tuple
            ``(CSRGraph, parent)`` where ``parent[e]`` is the arc of this graph that arc
            ``e`` of the new one comes from.
        """
        mask = np.asarray(keep, dtype=np.bool_)
        parent = np.flatnonzero(mask).astype(np.int64)
        kept_before = np.concatenate([[0], np.cumsum(mask, dtype=np.int64)])
        indptr = np.ascontiguousarray(kept_before[self.indptr], dtype=np.int64)
        sub = CSRGraph(
            indptr=indptr,
            indices=self.indices[parent],
            x=self.x,
            y=self.y,
            node_ids=self.node_ids,
            arc_key=self.arc_key[parent],
            connector=self.connector[parent],
            weights={k: v[parent] for k, v in self.weights.items()},
            crs=self.crs,
            arc_kind=np.asarray(self.arc_kind)[parent],
            kinds=self.kinds,
        )
        return sub, parent

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
        arrays["kinds"] = np.asarray(self.kinds, dtype=str)
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
                version = _file_version(data, path)
                names = [a for a in _ARRAYS if version >= 3 or a != "arc_kind"]  # noqa: PLR2004
                arrays = {k: data[k] for k in names}
                if version >= 3:  # noqa: PLR2004
                    arrays["kinds"] = tuple(str(k) for k in data["kinds"].tolist())
                weights = {
                    k.split(":", 1)[1]: data[k] for k in data.files if k.startswith("weight:")
                }
                crs = str(data["crs"])
        except (OSError, ValueError, KeyError) as exc:
            if isinstance(exc, DataError):
                raise
            msg = f"cannot read CSR graph file {path!s}: {exc}"
            raise DataError(msg) from exc
        return cls(**arrays, weights=weights, crs=crs)


def _file_version(data: Any, path: Any) -> int:  # noqa: ANN401
    files = set(data.files)
    missing = [k for k in (*_ARRAYS[:-1], "crs", "format_version") if k not in files]
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
    return version


# --------------------------------------------------------------------------------------------
# building
# --------------------------------------------------------------------------------------------
def _check_arrays(  # noqa: PLR0913
    t: IntArray, h: IntArray, xa: FloatArray, ya: FloatArray, ids: Any, keys: Any,  # noqa: ANN401
    conn: Any, codes: Any, n_kinds: int, w: Mapping[str, FloatArray], crs: str,  # noqa: ANN401
) -> list[str]:
    n, m = xa.shape[0], t.shape[0]
    problems = []
    if not is_metric_crs(str(crs)):
        problems.append(
            f"`crs` {crs!r} is not a projected CRS in metres; project the graph first "
            "(e.g. osmnx.project_graph(G, to_crs='EPSG:2154'))"
        )
    sizes = {
        "heads": h.shape[0],
        "arc_key": keys.shape[0],
        "connector": conn.shape[0],
        "arc_kind": codes.shape[0],
    }
    sizes.update({f"weights[{k!r}]": v.shape[0] for k, v in w.items()})
    problems += [f"`{k}` has {s} values, expected {m}" for k, s in sizes.items() if s != m]
    if keys.shape[0] == m and m and (
        not np.issubdtype(keys.dtype, np.integer) or keys.min() < 0 or keys.max() > _KEY_MAX
    ):
        problems.append(f"`arc_key` must hold integers in 0..{_KEY_MAX}")
    if codes.shape[0] == m and m and (
        not np.issubdtype(codes.dtype, np.integer) or codes.min() < 0 or codes.max() >= n_kinds
    ):
        problems.append(f"`arc_kind` must hold integers in 0..{n_kinds - 1} (codes in `kinds`)")
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
        bad = int((~np.isfinite(v) | (v < 0)).sum()) if v.shape[0] == m else 0
        if bad:
            problems.append(f"weight {k!r} is not finite or negative on {bad} arcs")
    return problems


def _build(  # noqa: PLR0913
    tails: npt.ArrayLike,
    heads: npt.ArrayLike,
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    weights: Mapping[str, npt.ArrayLike],
    node_ids: npt.ArrayLike | None,
    arc_key: npt.ArrayLike | None,
    connector: npt.ArrayLike | None,
    arc_kind: npt.ArrayLike | None,
    kinds: tuple[str, ...],
    renumber: bool,
    crs: str,
) -> tuple[CSRGraph, IntArray]:
    """Build a CSRGraph; also return ``order``: CSR arc ``e`` is input arc ``order[e]``."""
    t = np.asarray(tails, dtype=np.int64).ravel()
    h = np.asarray(heads, dtype=np.int64).ravel()
    xa = np.asarray(x, dtype=np.float64).ravel()
    ya = np.asarray(y, dtype=np.float64).ravel()
    n, m = xa.shape[0], t.shape[0]
    ids = np.arange(n, dtype=np.int64) if node_ids is None else np.asarray(node_ids)
    keys = np.zeros(m, dtype=np.int64) if arc_key is None else np.asarray(arc_key)
    conn = np.zeros(m, dtype=np.bool_) if connector is None else np.asarray(connector)
    codes = np.zeros(m, dtype=np.int64) if arc_kind is None else np.asarray(arc_kind)
    n_kinds = len(kinds) or 1  # no kinds: CSRGraph uses the default kind
    w = {k: np.asarray(v, dtype=np.float64).ravel() for k, v in weights.items()}
    problems = _check_arrays(t, h, xa, ya, ids, keys, conn, codes, n_kinds, w, crs)
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
    arc_order = np.lexsort((keys, h, t)).astype(np.int64)
    t, h = t[arc_order], h[arc_order]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(t, minlength=n), out=indptr[1:])
    csr = CSRGraph(
        indptr=indptr,
        indices=h,
        x=xa,
        y=ya,
        node_ids=ids,
        arc_key=keys.astype(np.int32)[arc_order],
        connector=conn.astype(np.bool_)[arc_order],
        weights={k: v[arc_order] for k, v in w.items()},
        crs=str(crs),
        arc_kind=codes.astype(_kind_dtype(n_kinds))[arc_order],
        kinds=tuple(kinds),
    )
    return csr, arc_order


def _from_edge_arrays(ea: _graph.EdgeArrays, *, renumber: bool) -> tuple[CSRGraph, IntArray]:
    csr, order = _build(
        ea.tails,
        ea.heads,
        ea.x,
        ea.y,
        weights={"length": ea.length},
        node_ids=ea.node_ids,
        arc_key=ea.keys,
        connector=~ea.built,
        arc_kind=ea.kind_codes,
        kinds=ea.kinds,
        renumber=renumber,
        crs=ea.crs,
    )
    logger.info(
        "CSR graph: %d nodes, %d arcs (%d unbuilt arcs), %d kinds",
        csr.n_nodes,
        csr.n_arcs,
        int(csr.connector.sum()),
        len(csr.kinds),
    )
    return csr, order


# --------------------------------------------------------------------------------------------
# the cached conversion every part of parcs uses
# --------------------------------------------------------------------------------------------
_Full = tuple[CSRGraph, IntArray, npt.NDArray[np.object_]]


def _full_of(ea: _graph.EdgeArrays) -> _Full:
    csr, order = _from_edge_arrays(ea, renumber=True)
    assert ea.geoms is not None  # noqa: S101 - edge arrays with geometries
    return csr, order, ea.geoms[order]


def _full(G: nx.MultiDiGraph) -> _Full:
    return _graph.cached(G, _FULL, lambda: _full_of(_graph.edge_arrays(G, geometry=True)))


def cache_csr(G: nx.MultiDiGraph, arrays: _graph.EdgeArrays) -> CSRGraph:
    """Build the CSR form of `G` from its checked arrays and cache it, as :func:`csr_of` does.

    For a caller that got ``arrays`` without walking `G`
    (:func:`parcs.graph.edge_arrays_from_columns`, used by :func:`parcs.load_graph`): the
    result is the one ``csr_of(G)`` would build, from the same arrays.

    Parameters
    ----------
    G
        A parcs graph.
    arrays
        What ``parcs.graph.edge_arrays(G, geometry=True)`` returns.

    Returns
    -------
    CSRGraph
        The graph ``csr_of(G)`` returns from now on.
    """
    full = _full_of(arrays)
    _graph.cache(G)[_FULL] = full
    return full[0]


def _built(G: nx.MultiDiGraph) -> tuple[CSRGraph, IntArray]:
    def build() -> tuple[CSRGraph, IntArray]:
        full = _full(G)[0]
        return full.restrict(~full.connector)

    return _graph.cached(G, ("csr", True), build)


def csr_of(G: nx.MultiDiGraph, *, built_only: bool = False) -> CSRGraph:
    """Return the CSR form of `G`, built once and cached on `G`.

    Parameters
    ----------
    G
        A parcs graph (:mod:`parcs.graph`); checked against the contract on first use.
    built_only
        Keep only the built arcs (drop gap connectors, ``built=False``). Every node is kept,
        with the same index as in the full graph.

    Returns
    -------
    CSRGraph
        Hilbert-renumbered; shared by every call on the unchanged graph (do not modify).

    Raises
    ------
    ValidationError
        If `G` breaks the graph contract (every problem is listed).
    """
    return _built(G)[0] if built_only else _full(G)[0]


def source_arcs(G: nx.MultiDiGraph, *, built_only: bool = False) -> IntArray:
    """Return, for each arc of ``csr_of(G, built_only=...)``, its position in ``G.edges``.

    Parameters
    ----------
    G
        A parcs graph.
    built_only
        As in :func:`csr_of`.

    Returns
    -------
    numpy.ndarray
        int64[m] positions in ``G.edges(keys=True)`` order.
    """
    order = _full(G)[1]
    return order[_built(G)[1]] if built_only else order


def arc_geometries(G: nx.MultiDiGraph, *, built_only: bool = False) -> npt.NDArray[np.object_]:
    """Return the geometry of each arc of ``csr_of(G, built_only=...)``, oriented tail to head.

    Arcs without a ``geometry`` attribute get the straight line between their nodes. The
    array holds the graph's own shapely objects (no copy); it is cached on `G`.

    Parameters
    ----------
    G
        A parcs graph.
    built_only
        As in :func:`csr_of`.

    Returns
    -------
    numpy.ndarray
        object[m] LineStrings.
    """
    geoms = _full(G)[2]
    return geoms[_built(G)[1]] if built_only else geoms


def arc_values(
    G: nx.MultiDiGraph, name: str, *, default: Any = None, built_only: bool = False  # noqa: ANN401
) -> npt.NDArray[Any]:
    """Return edge attribute `name` of each arc of ``csr_of(G, built_only=...)``.

    Walks the edges of `G` once per attribute; the result is cached on `G`.

    Parameters
    ----------
    G
        A parcs graph.
    name
        Edge attribute.
    default
        Value of arcs without the attribute.
    built_only
        As in :func:`csr_of`.

    Returns
    -------
    numpy.ndarray
        One value per arc (a numeric dtype when numpy can infer one, else object).
    """

    def build() -> npt.NDArray[Any]:
        values = [d for _u, _v, d in G.edges(data=name, default=default)]
        arr = np.asarray(values) if values else np.zeros(0)
        if arr.ndim != 1:  # sequences as values: keep them as objects
            arr = np.empty(len(values), dtype=object)
            arr[:] = values
        return arr[_full(G)[1]]

    full = _graph.cached(G, ("arc_values", name, repr(default)), build)
    return full[_built(G)[1]] if built_only else full
