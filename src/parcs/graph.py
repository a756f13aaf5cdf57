"""The parcs graph contract: what a graph must hold, the defaults, and its validation.

A parcs graph is a ``networkx.MultiDiGraph`` in the osmnx shape (``docs/graph-format.md``):

Graph
    ``G.graph["crs"]``: a projected CRS in metres (any pyproj input; EPSG:2154 for the graphs
    parcs builds in France). Optional: ``parcs_places`` (the places GeoDataFrame,
    :mod:`parcs.network.places`), ``name``, ``source``.
Nodes
    Integer ids; ``x`` and ``y``, finite, in ``crs``. Other attributes (``lon``, ``lat``,
    ``street_count``, OSM tags) are kept but not required.
Edges
    ``length`` (metres, finite, >= 0) is required. Defaults of the optional attributes
    (:data:`EDGE_DEFAULTS`): ``est_length`` (travelled metres, the routing length) is
    ``length``; ``kind`` is ``"other"``; ``built`` is True (an edge exists on the ground unless
    it says ``built=False``, as gap connectors do); ``geometry`` is the straight line between
    the nodes, oriented from ``u`` to ``v``.
Directions
    parcs networks are undirected and store every edge in both directions, ``(u, v, k)`` and
    ``(v, u, k)`` with the same key and attributes, the geometry reversed; a self-loop
    ``(u, u, k)`` is stored once. :func:`add_reverse_edges` completes a graph that stores
    some edges one way only (an osmnx street graph, say).

Every public function that takes a graph checks it through :func:`edge_arrays` (directly or
through :func:`parcs.csr.csr_of`), which walks the graph once, collects every problem and
raises one :class:`~parcs.errors.ValidationError` listing them all. The result of a
successful check, and the arrays built from the graph, are kept in
``G.__networkx_cache__["parcs"]`` (:func:`cache`): networkx empties that dict whenever nodes
or edges are added or removed, so a graph is walked again only after it changed. **Editing
attributes in place** (``G.edges[u, v, k]["length"] = ...``, ``G.graph["crs"] = ...``) is not
seen by networkx: call :func:`invalidate` afterwards.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import numpy.typing as npt

from parcs.errors import ValidationError
from parcs.settings import is_metric_crs

if TYPE_CHECKING:
    from collections.abc import Mapping

    import networkx as nx

__all__ = [
    "DEFAULT_KIND",
    "EDGE_DEFAULTS",
    "NODE_ATTRS",
    "REQUIRED_EDGE_ATTRS",
    "EdgeArrays",
    "add_reverse_edges",
    "cache",
    "cached",
    "edge_arrays",
    "edge_arrays_from_columns",
    "edge_geometry",
    "graph_crs",
    "invalidate",
    "undirected_edges",
    "validate_graph",
]

#: Kind of an edge that has no ``kind`` attribute.
DEFAULT_KIND = "other"
#: Node attributes every node must carry (finite numbers, metres in ``G.graph["crs"]``).
NODE_ATTRS: tuple[str, ...] = ("x", "y")
#: Edge attributes every edge must carry.
REQUIRED_EDGE_ATTRS: tuple[str, ...] = ("length",)
#: Optional edge attributes and what a missing one means.
EDGE_DEFAULTS: Mapping[str, str] = MappingProxyType(
    {
        "est_length": "the edge's `length`",
        "kind": repr(DEFAULT_KIND),
        "built": "True",
        "geometry": "the straight line from u to v",
    }
)

_CACHE_KEY = "parcs"
_SHOW = 5  # examples named per problem
_T = TypeVar("_T")


# --------------------------------------------------------------------------------------------
# the per-graph cache
# --------------------------------------------------------------------------------------------
def cache(G: nx.MultiDiGraph) -> dict[Any, Any]:
    """Return the dict where parcs keeps what it derived from `G`.

    It lives in ``G.__networkx_cache__``, which networkx clears on every structural change
    (nodes or edges added or removed). A graph object without that attribute gets a private
    dict that is never cleared automatically.
    """
    store = getattr(G, "__networkx_cache__", None)
    if store is None:
        store = {}
        try:
            G.__networkx_cache__ = store
        except AttributeError:  # an object that refuses new attributes: no caching
            return {}
    out: dict[Any, Any] = store.setdefault(_CACHE_KEY, {})
    return out


def cached(G: nx.MultiDiGraph, key: Any, build: Callable[[], _T]) -> _T:  # noqa: ANN401
    """Return ``cache(G)[key]``, building it with ``build()`` on first use."""
    store = cache(G)
    if key not in store:
        store[key] = build()
    return store[key]  # type: ignore[no-any-return]


def invalidate(G: nx.MultiDiGraph) -> None:
    """Forget everything parcs derived from `G` (call it after editing attributes in place).

    Parameters
    ----------
    G
        A parcs graph whose node, edge or graph attributes were changed in place.
    """
    store = getattr(G, "__networkx_cache__", None)
    if store is not None:
        store.pop(_CACHE_KEY, None)


# --------------------------------------------------------------------------------------------
# the contract
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class EdgeArrays:
    """The arcs of a valid parcs graph, in ``G.edges(keys=True)`` order.

    Attributes
    ----------
    node_ids
        int64[n] node ids, in ``G.nodes`` order.
    x, y
        float64[n] coordinates in `crs`.
    tails, heads
        int64[m] positions (in `node_ids`) of each arc's ends.
    keys
        int64[m] multigraph key of each arc.
    length
        float64[m] travelled metres (``est_length``, else ``length``).
    built
        bool[m] ``built`` attribute (default True).
    kind_codes
        Unsigned int[m]: position of each arc's kind in `kinds`.
    kinds
        Distinct kinds, sorted.
    geoms
        object[m] geometry of each arc (oriented tail to head), or None when not asked for.
    crs
        ``G.graph["crs"]`` as text.
    """

    node_ids: npt.NDArray[np.int64]
    x: npt.NDArray[np.float64]
    y: npt.NDArray[np.float64]
    tails: npt.NDArray[np.int64]
    heads: npt.NDArray[np.int64]
    keys: npt.NDArray[np.int64]
    length: npt.NDArray[np.float64]
    built: npt.NDArray[np.bool_]
    kind_codes: npt.NDArray[np.unsignedinteger[Any]]
    kinds: tuple[str, ...]
    geoms: npt.NDArray[np.object_] | None
    crs: str


def graph_crs(G: nx.MultiDiGraph) -> str:
    """Return ``G.graph["crs"]`` as text (``""`` when missing)."""
    crs = G.graph.get("crs")
    if crs is None:
        return ""
    to_string = getattr(crs, "to_string", None)
    return str(to_string()) if callable(to_string) else str(crs)


def _shown(items: list[Any]) -> str:
    more = f" and {len(items) - _SHOW} more" if len(items) > _SHOW else ""
    return ", ".join(repr(i) for i in items[:_SHOW]) + more


def _type_problem(G: Any) -> str | None:  # noqa: ANN401
    import networkx as nx  # noqa: PLC0415

    if isinstance(G, nx.MultiDiGraph):
        return None
    if isinstance(G, nx.Graph):
        fix = (
            "convert it with networkx.MultiDiGraph(G), which stores each edge both ways"
            if not G.is_directed()
            else "convert it with networkx.MultiDiGraph(G), then parcs.graph.add_reverse_edges"
        )
        return f"`G` is a networkx.{type(G).__name__}; parcs needs a MultiDiGraph: {fix}"
    return f"`G` must be a networkx.MultiDiGraph (a parcs graph), got {type(G).__name__}"


def _node_problems(G: nx.MultiDiGraph) -> tuple[list[str], list[Any], np.ndarray, np.ndarray]:
    problems: list[str] = []
    nodes = list(G.nodes)
    bad_ids = [u for u in nodes if not isinstance(u, (int, np.integer)) or isinstance(u, bool)]
    if bad_ids:
        problems.append(
            f"{len(bad_ids)} node ids are not integers ({_shown(bad_ids)}); relabel them with "
            "networkx.convert_node_labels_to_integers(G, label_attribute='id')"
        )
    x = np.fromiter((_num(d.get("x")) for _, d in G.nodes(data=True)), np.float64, len(nodes))
    y = np.fromiter((_num(d.get("y")) for _, d in G.nodes(data=True)), np.float64, len(nodes))
    bad = ~(np.isfinite(x) & np.isfinite(y))
    if bad.any():
        which = [nodes[i] for i in np.flatnonzero(bad)[: _SHOW + 1]]
        problems.append(
            f"{int(bad.sum())} nodes have a missing or non-finite `x`/`y` ({_shown(which)})"
        )
    return problems, nodes, x, y


def _num(value: Any) -> float:  # noqa: ANN401
    if isinstance(value, (bool, np.bool_)):
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _crs_problem(G: nx.MultiDiGraph) -> str | None:
    crs = graph_crs(G)
    if crs and is_metric_crs(crs):
        return None
    return (
        f"`G.graph['crs']` is {crs or None!r}; it must be a projected CRS in metres "
        "(project the graph first, e.g. osmnx.project_graph(G, to_crs='EPSG:2154'))"
    )


def edge_arrays(G: nx.MultiDiGraph, *, geometry: bool = False) -> EdgeArrays:  # noqa: C901, PLR0912, PLR0915
    """Check `G` against the contract and return its arcs as arrays (one walk of `G`).

    Parameters
    ----------
    G
        A parcs graph (module docstring).
    geometry
        Also collect each arc's geometry (straight lines where it has none).

    Returns
    -------
    EdgeArrays
        The arcs, in ``G.edges(keys=True)`` order, with the defaults applied.

    Raises
    ------
    ValidationError
        Listing every problem found: wrong graph type, missing or non-metric CRS, node ids
        that are not integers, missing coordinates, missing / NaN / negative lengths, a
        ``built`` that is not a boolean, edges stored in one direction only.
    """
    problem = _type_problem(G)
    if problem:
        raise ValidationError(f"invalid parcs graph: {problem}")
    problems, nodes, x, y = _node_problems(G)
    crs_problem = _crs_problem(G)
    if crs_problem:
        problems.insert(0, crs_problem)
    pos = {u: i for i, u in enumerate(nodes)}
    m = G.number_of_edges()
    tails = np.empty(m, dtype=np.int64)
    heads = np.empty(m, dtype=np.int64)
    keys = np.empty(m, dtype=np.int64)
    length = np.empty(m, dtype=np.float64)
    built = np.empty(m, dtype=np.bool_)
    codes = np.empty(m, dtype=np.int64)
    geoms = np.empty(m, dtype=object) if geometry else None
    kind_code: dict[str, int] = {}
    bad_len: list[tuple[Any, Any, Any]] = []
    bad_est: list[tuple[Any, Any, Any]] = []
    bad_built: list[tuple[Any, Any, Any]] = []
    bad_key: list[tuple[Any, Any, Any]] = []
    for e, (u, v, k, d) in enumerate(G.edges(keys=True, data=True)):
        tails[e] = pos[u]
        heads[e] = pos[v]
        if isinstance(k, (int, np.integer)) and not isinstance(k, bool) and 0 <= k < 2**31:
            keys[e] = k
        else:
            keys[e] = 0
            bad_key.append((u, v, k))
        raw = _num(d.get("length"))
        if not (raw >= 0 and math.isfinite(raw)):
            bad_len.append((u, v, k))
        est = d.get("est_length")
        w = raw if est is None else _num(est)
        if est is not None and not (w >= 0 and math.isfinite(w)):
            bad_est.append((u, v, k))
        length[e] = w
        b = d.get("built", True)
        if not isinstance(b, (bool, np.bool_)):
            if isinstance(b, (int, np.integer)) and b in (0, 1):
                b = bool(b)
            else:
                bad_built.append((u, v, k))
                b = True
        built[e] = b
        kind = d.get("kind")
        kind = DEFAULT_KIND if kind is None or kind == "" else str(kind)
        code = kind_code.get(kind)
        if code is None:
            code = kind_code[kind] = len(kind_code)
        codes[e] = code
        if geoms is not None:
            geoms[e] = d.get("geometry")
    if bad_len:
        problems.append(
            f"{len(bad_len)} edges have a missing, non-numeric, NaN or negative `length` "
            f"({_shown(bad_len)}); every edge needs its length in metres >= 0"
        )
    if bad_est:
        problems.append(
            f"{len(bad_est)} edges have a non-numeric, NaN or negative `est_length` "
            f"({_shown(bad_est)}); remove it (it defaults to `length`) or fix it"
        )
    if bad_built:
        problems.append(f"{len(bad_built)} edges have a `built` that is not True/False ({_shown(bad_built)})")
    if bad_key:
        problems.append(
            f"{len(bad_key)} edges have a key that is not an integer in 0..2**31-1 "
            f"({_shown(bad_key)}); relabel the keys"
        )
    if not problems:
        problems += _symmetry_problems(G, nodes, tails, heads, keys)
    if problems:
        msg = "invalid parcs graph (see docs/graph-format.md): " + "; ".join(problems)
        raise ValidationError(msg)
    kinds = tuple(sorted(kind_code))
    remap = np.empty(len(kind_code), dtype=np.int64)
    for kind, code in kind_code.items():
        remap[code] = kinds.index(kind)
    dtype = np.uint8 if len(kinds) <= 256 else np.uint16  # noqa: PLR2004
    if geoms is not None:
        geoms = _fill_straight(geoms, x, y, tails, heads)
    cache(G)["validated"] = True
    return EdgeArrays(
        node_ids=np.asarray(nodes, dtype=np.int64),
        x=x,
        y=y,
        tails=tails,
        heads=heads,
        keys=keys,
        length=length,
        built=built,
        kind_codes=remap[codes].astype(dtype) if m else np.zeros(0, dtype=dtype),
        kinds=kinds,
        geoms=geoms,
        crs=graph_crs(G),
    )


def edge_arrays_from_columns(
    G: nx.MultiDiGraph,
    *,
    node_ids: npt.NDArray[np.int64],
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    tails: npt.NDArray[np.int64],
    heads: npt.NDArray[np.int64],
    keys: npt.NDArray[np.int64],
    length: npt.NDArray[np.float64],
    est_length: npt.NDArray[np.float64],
    built: npt.NDArray[np.bool_],
    kind: list[str | None],
    geoms: npt.NDArray[np.object_],
) -> EdgeArrays | None:
    """Check `G`, given as columns, against the contract without walking it (vectorised).

    For a caller that filled `G` from these very columns (:func:`parcs.load_graph`): it
    returns what ``edge_arrays(G, geometry=True)`` would, and marks `G` validated, or None
    when a check fails (then :func:`edge_arrays` finds the problems and names them).

    Parameters
    ----------
    G
        The graph the columns describe (its type and ``crs`` are checked here).
    node_ids, x, y
        Node ids and coordinates, in ``G.nodes`` order.
    tails, heads, keys
        Positions (in `node_ids`) of each arc's ends and its key, in ``G.edges(keys=True)``
        order.
    length, est_length
        Each arc's ``length`` and ``est_length`` (NaN where the arc has none).
    built
        Each arc's ``built`` (True where it has none).
    kind
        Each arc's ``kind`` (None where it has none).
    geoms
        Each arc's geometry (None where it has none); the array is filled in place.

    Returns
    -------
    EdgeArrays or None
        The arcs with the defaults applied, or None if `G` breaks the contract.
    """
    crs = graph_crs(G)
    if _type_problem(G) or _crs_problem(G) or node_ids.dtype != np.int64:
        return None
    est = np.where(np.isnan(est_length), length, est_length)
    ok = (
        np.isfinite(x).all()
        and np.isfinite(y).all()
        and (np.isfinite(length) & (length >= 0)).all()
        and (np.isfinite(est) & (est >= 0)).all()
        and (keys >= 0).all()
        and (keys < 2**31).all()
        and _symmetric(tails, heads, keys)
    )
    if not ok:
        return None
    names = [DEFAULT_KIND if k is None or k == "" else k for k in kind]
    kinds = tuple(sorted(set(names)))
    code = {k: i for i, k in enumerate(kinds)}
    dtype = np.uint8 if len(kinds) <= 256 else np.uint16  # noqa: PLR2004
    cache(G)["validated"] = True
    return EdgeArrays(
        node_ids=node_ids,
        x=x,
        y=y,
        tails=tails,
        heads=heads,
        keys=keys,
        length=est,
        built=built,
        kind_codes=np.fromiter((code[k] for k in names), dtype, len(names)),
        kinds=kinds,
        geoms=_fill_straight(geoms, x, y, tails, heads),
        crs=crs,
    )


def _fill_straight(
    geoms: npt.NDArray[np.object_],
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    tails: npt.NDArray[np.int64],
    heads: npt.NDArray[np.int64],
) -> npt.NDArray[np.object_]:
    """Put straight lines where an arc has no geometry."""
    import shapely  # noqa: PLC0415

    missing = np.flatnonzero(np.fromiter((g is None for g in geoms), bool, len(geoms)))
    if len(missing):
        t, h = tails[missing], heads[missing]
        pts = np.stack([np.column_stack([x[t], y[t]]), np.column_stack([x[h], y[h]])], axis=1)
        geoms[missing] = shapely.linestrings(pts)
    return geoms


def _symmetric(
    tails: npt.NDArray[np.int64], heads: npt.NDArray[np.int64], keys: npt.NDArray[np.int64]
) -> bool:
    """Tell whether every arc's reverse ``(v, u, k)`` is an arc (vectorised multiset test)."""
    fwd = np.lexsort((keys, heads, tails))
    rev = np.lexsort((keys, tails, heads))
    return (
        np.array_equal(tails[fwd], heads[rev])
        and np.array_equal(heads[fwd], tails[rev])
        and np.array_equal(keys[fwd], keys[rev])
    )


def _symmetry_problems(
    G: nx.MultiDiGraph,
    nodes: list[Any],
    tails: npt.NDArray[np.int64],
    heads: npt.NDArray[np.int64],
    keys: npt.NDArray[np.int64],
) -> list[str]:
    """Edges whose reverse ``(v, u, k)`` is not stored."""
    if _symmetric(tails, heads, keys):
        return []
    one_way = [
        (nodes[u], nodes[v], int(k))
        for u, v, k in zip(tails.tolist(), heads.tolist(), keys.tolist(), strict=True)
        if not G.has_edge(nodes[v], nodes[u], k)
    ]
    return [
        f"{len(one_way)} edges are stored in one direction only ({_shown(one_way)}); parcs "
        "networks are undirected: add the reverse edges with parcs.graph.add_reverse_edges(G)"
    ]


def validate_graph(G: nx.MultiDiGraph) -> None:
    """Check that `G` follows the parcs graph contract (module docstring).

    A graph that passed is not walked again until it changes (see :func:`invalidate`).

    Parameters
    ----------
    G
        The graph to check.

    Raises
    ------
    ValidationError
        Listing every problem found.
    """
    problem = _type_problem(G)
    if problem:
        raise ValidationError(f"invalid parcs graph: {problem}")
    if not cache(G).get("validated"):
        edge_arrays(G)


# --------------------------------------------------------------------------------------------
# helpers over a valid graph
# --------------------------------------------------------------------------------------------
def undirected_edges(G: nx.MultiDiGraph) -> Iterator[tuple[Any, Any, Any, dict[str, Any]]]:
    """Yield each undirected edge once, as ``(u, v, key, data)`` with ``u <= v``.

    The ``(u, v, k)`` copy of a pair stored both ways is yielded; an edge stored only as
    ``(v, u, k)`` with ``u < v`` is yielded as stored.
    """
    for u, v, k, d in G.edges(keys=True, data=True):
        if u <= v or not G.has_edge(v, u, k):
            yield u, v, k, d


def edge_geometry(G: nx.MultiDiGraph, u: Any, v: Any, data: Mapping[str, Any]) -> Any:  # noqa: ANN401
    """Return the geometry of edge `data`, oriented from `u` to `v` (straight when missing)."""
    geom = data.get("geometry")
    if geom is not None:
        return geom
    import shapely  # noqa: PLC0415

    nu, nv = G.nodes[u], G.nodes[v]
    return shapely.LineString([(nu["x"], nu["y"]), (nv["x"], nv["y"])])


def add_reverse_edges(G: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """Store every edge of `G` in both directions, in place, and return `G`.

    For each ``(u, v, k)`` without a ``(v, u, k)``, the reverse is added with the same
    attributes and the geometry reversed. Use it on graphs that store streets one way only
    (osmnx street graphs); parcs then treats every edge as two-way.

    Parameters
    ----------
    G
        A networkx MultiDiGraph.

    Returns
    -------
    networkx.MultiDiGraph
        `G`, modified.
    """
    import shapely  # noqa: PLC0415

    missing = [
        (u, v, k, d) for u, v, k, d in G.edges(keys=True, data=True) if not G.has_edge(v, u, k)
    ]
    for u, v, k, d in missing:
        attrs = dict(d)
        if attrs.get("geometry") is not None:
            attrs["geometry"] = shapely.reverse(attrs["geometry"])
        G.add_edge(v, u, k, **attrs)
    return G
