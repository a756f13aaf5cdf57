"""The network layers, in a compact form that keeps a 100k-node map small and fast.

Each undirected edge is drawn once (``csr.undirected`` of the cached :func:`parcs.csr.csr_of`),
one layer per edge kind. Instead of one GeoJSON feature per edge (about 200 bytes each), a layer
is written as arrays the page's ``parcs.lines`` turns into Leaflet polylines:

``c``
    every vertex of the layer, as one Google encoded polyline (``p`` decimals, deltas running
    from one edge to the next: edges come in the CSR's Hilbert order, so deltas are small);
``n``, ``parts``
    vertices per line part, parts per edge (``parts`` only when an edge is a MultiLineString);
``names``, ``ni``
    the distinct names and each edge's position in them (``ni`` only when there are several);
``dm``
    each edge's ``length`` in decametres (the tooltip's km, exact, not the display geometry's);
``built`` or ``b``
    the ``built`` flag of the layer, or of each edge when they differ.

The display geometry is simplified (Douglas-Peucker, ``simplify_m``) and rounded to
:data:`NETWORK_DECIMALS` decimals (about 1 m); exports (:mod:`parcs.io`) keep the exact one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from parcs._log import logger
from parcs.csr import arc_geometries, csr_of, source_arcs
from parcs.graph import cached, graph_crs
from parcs.maps._common import (
    DEFAULT_SIMPLIFY_M,
    KIND_COLORS,
    KIND_LABELS,
    OTHER_COLOR,
    add_legend_entry,
    check_simplify,
    extend_bounds,
    layer_name,
    lonlat,
    text,
)
from parcs.maps._page import (
    ARTOIS_CREDIT,
    EV5_CREDIT,
    OSM_CREDIT,
    add_credit,
    ensure_assets,
    js_layer,
)

if TYPE_CHECKING:
    import folium
    import networkx as nx
    import numpy.typing as npt

#: Decimals of the network's lon/lat vertices in the page (5 decimals ≈ 1 m).
NETWORK_DECIMALS = 5
#: From this many edges on, the network is drawn on a canvas rather than as SVG elements.
CANVAS_MIN_EDGES = 20_000
_MAX_CHUNKS = 7  # 5-bit chunks of one encoded value: up to 2**35, far above 360 * 10**5 * 2


def encode_polyline(lat: np.ndarray, lon: np.ndarray, decimals: int = NETWORK_DECIMALS) -> str:
    """Encode points with Google's polyline algorithm (vectorised; deltas from (0, 0)).

    Parameters
    ----------
    lat, lon
        Coordinates in degrees, one point per position.
    decimals
        Decimals kept (the decoder divides by ``10**decimals``).

    Returns
    -------
    str
        The encoded points (ASCII 63..126).
    """
    scale = 10.0**decimals
    q = np.column_stack([np.rint(np.asarray(lat) * scale), np.rint(np.asarray(lon) * scale)])
    q = q.astype(np.int64)
    delta = np.diff(q, axis=0, prepend=np.zeros((1, 2), dtype=np.int64)).ravel()
    value = ((delta << 1) ^ (delta >> 63)).astype(np.uint64)  # zigzag: sign in the low bit
    shifts = (5 * np.arange(_MAX_CHUNKS)).astype(np.uint64)
    shifted = value[:, None] >> shifts[None, :]
    n_chunks = np.maximum((shifted > 0).sum(axis=1), 1)
    col = np.arange(_MAX_CHUNKS)[None, :]
    chunks = (shifted & np.uint64(31)) | np.where(col < (n_chunks - 1)[:, None], 32, 0).astype(
        np.uint64
    )
    keep = col < n_chunks[:, None]
    encoded: bytes = (chunks[keep] + np.uint64(63)).astype(np.uint8).tobytes()
    return encoded.decode("ascii")


def _edge_labels(G: nx.MultiDiGraph) -> tuple[np.ndarray, np.ndarray]:
    """Name (text, at most 200 characters) and ``length`` of each CSR arc, cached on `G`.

    One walk of the graph for both (the first map of a graph pays it, later ones reuse it).
    """

    def build() -> tuple[np.ndarray, np.ndarray]:
        names, lengths = [], []
        for _u, _v, d in G.edges(data=True):
            names.append(d.get("name", ""))
            lengths.append(d.get("length", 0.0))
        order = source_arcs(G)
        uniq: dict[Any, str] = {}
        shown = [
            uniq.setdefault(v, text(v)[:200]) if _hashable(v) else text(v)[:200] for v in names
        ]
        return np.asarray(shown, dtype=object)[order], np.asarray(lengths, dtype=np.float64)[order]

    return cached(G, ("maps", "edge_labels"), build)


def _hashable(value: Any) -> bool:  # noqa: ANN401
    return isinstance(value, (str, int, float, type(None)))


def _display_geometries(G: nx.MultiDiGraph, mask: np.ndarray, tol: float) -> np.ndarray:
    """Arc geometries of `mask`, simplified for display.

    Plain Douglas-Peucker (3x faster than the topology-preserving variant; a display line may
    cross itself, it cannot vanish: the end vertices stay). Lines of two vertices are left as
    they are.
    """
    geoms: npt.NDArray[np.object_] = arc_geometries(G)[mask]
    if tol <= 0:
        return geoms
    out = geoms.copy()
    bendy = shapely.get_num_coordinates(geoms) > 2  # noqa: PLR2004
    out[bendy] = shapely.simplify(geoms[bendy], tol, preserve_topology=False)
    return out


def _layer_data(
    sel: np.ndarray,
    *,
    part_of: np.ndarray,
    n_per_part: np.ndarray,
    coord_of: np.ndarray,
    lat: np.ndarray,
    lon: np.ndarray,
    names: np.ndarray,
    length: np.ndarray,
    built: np.ndarray,
) -> dict[str, Any]:
    """Return the compact arrays of the edges `sel` (module docstring)."""
    part_sel = sel[part_of]
    coord_sel = part_sel[coord_of]
    parts = np.bincount(part_of[part_sel], minlength=len(sel))[sel]
    uniq, inv = np.unique(names[sel].astype(str), return_inverse=True)
    data: dict[str, Any] = {
        "c": encode_polyline(lat[coord_sel], lon[coord_sel]),
        "p": NETWORK_DECIMALS,
        "n": n_per_part[part_sel].tolist(),
        "names": uniq.tolist(),
        "dm": np.rint(length[sel] / 10.0).astype(np.int64).tolist(),
    }
    if (parts != 1).any():
        data["parts"] = parts.tolist()
    if len(uniq) > 1:
        data["ni"] = inv.ravel().tolist()
    b = built[sel]
    if b.all() or not b.any():
        data["built"] = bool(b[0])
    else:
        data["b"] = b.astype(np.int8).tolist()
    return data


def _credit(m: folium.Map, G: nx.MultiDiGraph, kinds: list[str]) -> None:
    source = str(G.graph.get("source", ""))
    if source == "osm":
        add_credit(m, OSM_CREDIT)
    elif source == "embedded":
        add_credit(m, ARTOIS_CREDIT)
        if "eurovelo" in kinds:
            add_credit(m, EV5_CREDIT)


def add_network(
    m: folium.Map,
    G: nx.MultiDiGraph,
    *,
    simplify_m: float = DEFAULT_SIMPLIFY_M,
    show: bool = True,
) -> folium.Map:
    """Add the greenway network, one layer per edge kind, to `m`.

    Each undirected edge is drawn once, coloured by kind (:data:`KIND_COLORS`); unbuilt edges
    (gap connectors, ``built=False``) are dashed. The tooltip gives name, kind and length.
    Graphs of :data:`CANVAS_MIN_EDGES` edges or more are drawn on a canvas.

    Parameters
    ----------
    m
        The map to draw on.
    G
        A parcs network (``docs/graph-format.md``).
    simplify_m
        Display simplification tolerance in metres (0 keeps every vertex).
    show
        Whether the layers are visible when the page opens.

    Returns
    -------
    folium.Map
        `m`, for chaining.

    Raises
    ------
    ValidationError
        If `G` breaks the graph contract, or `simplify_m` is negative or not finite.
    """
    tol = check_simplify(simplify_m)
    csr = csr_of(G)  # validates G (cached)
    mask = csr.undirected
    n_edges = int(mask.sum())
    if not n_edges:
        logger.info("add_network: the graph has no edges, nothing drawn")
        return m
    ensure_assets(m)
    geoms = _display_geometries(G, mask, tol)
    parts, part_of = shapely.get_parts(geoms, return_index=True)
    coords, coord_of = shapely.get_coordinates(parts, return_index=True)
    lon, lat = lonlat(coords[:, 0], coords[:, 1], graph_crs(G) or csr.crs)
    names, lengths = _edge_labels(G)
    arrays = {
        "part_of": part_of,
        "n_per_part": np.bincount(coord_of, minlength=len(parts)),
        "coord_of": coord_of,
        "lat": lat,
        "lon": lon,
        "names": names[mask],
        "length": lengths[mask],
        "built": ~csr.connector[mask],
    }
    codes = csr.arc_kind[mask]
    present = [csr.kinds[c] for c in np.unique(codes)]
    order = [k for k in KIND_COLORS if k in present] + sorted(set(present) - set(KIND_COLORS))
    canvas = n_edges >= CANVAS_MIN_EDGES
    for kind in order:
        sel = codes == csr.kinds.index(kind)
        data = _layer_data(sel, **arrays)
        label = KIND_LABELS.get(kind, kind)
        data.update(color=KIND_COLORS.get(kind, OTHER_COLOR), label=label, canvas=canvas)
        js_layer("lines", data, name=layer_name(f"Network: {label}"), show=show).add_to(m)
        dashed = not arrays["built"][sel].any()
        add_legend_entry(
            m, label, "dashed" if dashed else "line", KIND_COLORS.get(kind, OTHER_COLOR)
        )
    if len(lon):
        extend_bounds(m, [float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())])
    m._parcs_kinds = order  # type: ignore[attr-defined]
    _credit(m, G, order)
    logger.info("add_network: %d edges drawn in %d kind layers", n_edges, len(order))
    return m
