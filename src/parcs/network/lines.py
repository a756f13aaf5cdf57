"""Turn line layers into parcs graphs: snapping, noding, chain merging and gap connectors.

One implementation serves every line source: the embedded Artois network
(:func:`parcs.network.territory.build_network`) and any GIS layer
(:func:`graph_from_lines`). The steps, in order (:func:`graph_from_segments`):

1. **Snapping.** Every line end lying within ``snap_m`` of another line is joined to the
   nearest point of that line (digitising gaps, level crossings), by a short segment that
   takes the attributes of the line it extends (:func:`snap_segments`).
2. **Noding.** All lines are split where they cross or touch (``shapely.union_all``) and the
   attributes of each piece are recovered from the line it came from (:func:`node_lines`).
3. **Degree-2 chains** are merged into one edge with the full geometry, unless the attributes
   named in ``merge_keys`` change there, as ``osmnx.simplify_graph`` does with
   ``edge_attrs_differ`` (:func:`merge_chains`).
4. **Gap connectors** (optional). Components still separated by at most ``max_gap_m`` are
   joined, shortest gap first (a minimum spanning forest of the gaps), by straight
   ``kind="connector"``, ``built=False`` edges whose travelled length ``est_length`` is the
   straight length times ``detour_factor`` (:func:`add_gap_connectors`).
5. **The parcs graph.** Nodes are numbered 0..n-1 in spatial order (deterministic ids), get
   ``lon``/``lat``, and every edge is stored in both directions (:func:`finish_graph`).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from parcs._log import logger

if TYPE_CHECKING:
    import os
    from pathlib import Path

    import geopandas as gpd
    import networkx as nx
    import numpy.typing as npt

__all__ = [
    "AREA_OF_USE_MARGIN_DEG",
    "BUILT_FALSE",
    "BUILT_TRUE",
    "LINE_CONNECTOR",
    "LINE_MERGE_KEYS",
    "add_gap_connectors",
    "finish_graph",
    "graph_from_lines",
    "graph_from_segments",
    "merge_chains",
    "node_lines",
    "pieces_graph",
    "snap_segments",
]

#: What a piece-editing hook gets and returns: the noded pieces and their attribute dicts.
PieceHook = Callable[[np.ndarray, list[dict[str, Any]]], list[dict[str, Any]]]


def snap_segments(lines: np.ndarray, tolerance: float) -> tuple[np.ndarray, np.ndarray]:
    """Segments joining line ends to the nearest point of another line within `tolerance`.

    Returns the segments and, for each, the index of the line whose end it extends.
    """
    import shapely  # noqa: PLC0415

    n = len(lines)
    ends = np.concatenate([shapely.get_point(lines, 0), shapely.get_point(lines, -1)])
    owner = np.concatenate([np.arange(n), np.arange(n)])
    tree = shapely.STRtree(lines)
    pairs = tree.query(ends, predicate="dwithin", distance=tolerance)
    keep = owner[pairs[0]] != pairs[1]
    end_idx, line_idx = pairs[0][keep], pairs[1][keep]
    if len(end_idx) == 0:
        return np.array([], dtype=object), np.array([], dtype=np.int64)
    dist = shapely.distance(ends[end_idx], lines[line_idx])
    order = np.lexsort((dist, end_idx))
    end_idx, line_idx, dist = end_idx[order], line_idx[order], dist[order]
    first = np.r_[True, end_idx[1:] != end_idx[:-1]]
    end_idx, line_idx, dist = end_idx[first], line_idx[first], dist[first]
    touching = dist <= 1e-6
    end_idx, line_idx = end_idx[~touching], line_idx[~touching]
    segs = shapely.shortest_line(ends[end_idx], lines[line_idx])
    return segs, owner[end_idx]


def node_lines(
    geoms: np.ndarray, attrs: list[dict[str, Any]]
) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Split lines where they cross or touch; give each piece the attributes of its line."""
    import shapely  # noqa: PLC0415

    noded = shapely.get_parts(shapely.union_all(geoms))
    noded = noded[shapely.length(noded) > 1e-3]
    mids = shapely.line_interpolate_point(noded, 0.5, normalized=True)
    tree = shapely.STRtree(geoms)
    piece, line = tree.query_nearest(mids, return_distance=False, all_matches=False)
    order = np.argsort(piece)
    return noded[piece[order]], [attrs[i] for i in line[order]]


def merge_chains(G: nx.MultiGraph, keys: tuple[str, ...]) -> nx.MultiGraph:
    """Merge chains through degree-2 nodes whose two edges agree on `keys`."""
    import networkx as nx  # noqa: PLC0415
    import shapely  # noqa: PLC0415

    def mergeable(n: int) -> bool:
        if G.degree(n) != 2:  # noqa: PLR2004
            return False
        (a, b) = [d for _, _, d in G.edges(n, data=True)]
        if G.number_of_edges(n, n):
            return False
        return all(a[k] == b[k] for k in keys)

    merge_nodes = {n for n in G.nodes if mergeable(n)}
    H = nx.MultiGraph(**G.graph)
    H.add_nodes_from((n, d) for n, d in G.nodes(data=True) if n not in merge_nodes)
    seen: set[tuple[int, int, int]] = set()

    def walk(start: int, u: int, v: int, k: int) -> None:
        coords: list[npt.NDArray[np.float64]] = []
        path = [start]
        prev, cur, key = u, v, k
        data = G.edges[prev, cur, key]
        while True:
            seen.add((min(prev, cur), max(prev, cur), key))
            line = G.edges[prev, cur, key]["geometry"]
            pts = np.asarray(line.coords)
            if np.hypot(*(pts[0] - (G.nodes[prev]["x"], G.nodes[prev]["y"]))) > np.hypot(
                *(pts[-1] - (G.nodes[prev]["x"], G.nodes[prev]["y"]))
            ):
                pts = pts[::-1]
            coords.append(pts if not coords else pts[1:])
            path.append(cur)
            if cur not in merge_nodes or cur == start:
                break
            nxt = [
                (a, b, kk)
                for a, b, kk in G.edges(cur, keys=True)
                if (min(a, b), max(a, b), kk) not in seen
            ]
            if not nxt:
                break
            _, nb, nk = nxt[0]
            prev, cur, key = cur, nb, nk
        end = path[-1]
        if end not in H:
            H.add_node(end, **G.nodes[end])
        attrs = {k2: v2 for k2, v2 in data.items() if k2 != "geometry"}
        H.add_edge(start, end, geometry=shapely.LineString(np.concatenate(coords)), **attrs)

    for n in list(H.nodes):
        for _, v, k in list(G.edges(n, keys=True)):
            if (min(n, v), max(n, v), k) not in seen:
                walk(n, n, v, k)
    # isolated rings made only of mergeable nodes
    for n in sorted(merge_nodes):
        for _, v, k in list(G.edges(n, keys=True)):
            if (min(n, v), max(n, v), k) not in seen:
                H.add_node(n, **G.nodes[n])
                walk(n, n, v, k)
    return H


def _gap_candidates(
    H: nx.MultiGraph, max_gap_m: float
) -> list[tuple[int, tuple[int, int, int], Any]]:
    """Shortest gaps joining components, as (node, edge of the other component, gap line).

    The gap line is the shapely LineString from the node to the nearest point of the edge.

    Candidate gaps go from every node to the nearest edge of each other component within
    `max_gap_m`; Kruskal's rule keeps a gap only if it joins two still-separate components.
    """
    import networkx as nx  # noqa: PLC0415
    import shapely  # noqa: PLC0415

    comp_of: dict[int, int] = {}
    for c, nodes in enumerate(nx.connected_components(H)):
        for n in nodes:
            comp_of[n] = c
    edges = list(H.edges(keys=True, data="geometry"))
    geoms = np.array([g for *_, g in edges], dtype=object)
    edge_comp = np.array([comp_of[u] for u, *_ in edges])
    nodes = np.array(list(H.nodes))
    pts = shapely.points([(H.nodes[n]["x"], H.nodes[n]["y"]) for n in nodes])
    node_comp = np.array([comp_of[n] for n in nodes])
    tree = shapely.STRtree(geoms)
    pi, ei = tree.query(pts, predicate="dwithin", distance=max_gap_m)
    other = node_comp[pi] != edge_comp[ei]
    pi, ei = pi[other], ei[other]
    if len(pi) == 0:  # a single component, or none within reach
        return []
    dist = shapely.distance(pts[pi], geoms[ei])
    # best edge per (node, other component)
    order = np.lexsort((dist, edge_comp[ei], pi))
    pi, ei, dist = pi[order], ei[order], dist[order]
    first = np.r_[True, (pi[1:] != pi[:-1]) | (edge_comp[ei][1:] != edge_comp[ei][:-1])]
    pi, ei, dist = pi[first], ei[first], dist[first]
    parent = list(range(int(node_comp.max()) + 1 if len(node_comp) else 0))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    chosen = []
    for j in np.lexsort((ei, pi, dist)):
        a, b = find(int(node_comp[pi[j]])), find(int(edge_comp[ei[j]]))
        if a == b:
            continue
        parent[a] = b
        target = shapely.shortest_line(pts[pi[j]], geoms[ei[j]])
        chosen.append(
            (int(nodes[pi[j]]), (edges[ei[j]][0], edges[ei[j]][1], edges[ei[j]][2]), target)
        )
    return chosen


def _split_edge_at(H: nx.MultiGraph, edge: tuple[int, int, int], point: Any, new_id: int) -> int:
    """Split `edge` at `point` (on its geometry) and return the node there."""
    import shapely  # noqa: PLC0415
    from shapely import ops  # noqa: PLC0415

    u, v, k = edge
    data = H.edges[u, v, k]
    line = data["geometry"]
    d = line.project(point)
    for n in (u, v):
        if np.hypot(H.nodes[n]["x"] - point.x, H.nodes[n]["y"] - point.y) < 0.5:  # noqa: PLR2004
            return n
    if d <= 0.5 or d >= line.length - 0.5:  # noqa: PLR2004
        return u if d <= 0.5 else v  # noqa: PLR2004
    parts = ops.split(ops.snap(line, point, 1e-6), point)
    pieces = list(shapely.get_parts(parts))
    if len(pieces) != 2:  # noqa: PLR2004
        return u if d < line.length / 2 else v
    a, b = pieces
    start = np.asarray(line.coords[0])
    if np.hypot(*(np.asarray(a.coords[0]) - start)) > 1e-3:  # noqa: PLR2004
        a, b = b, a
    mid = np.asarray(a.coords[-1])
    H.add_node(new_id, x=float(mid[0]), y=float(mid[1]))
    H.remove_edge(u, v, k)
    base = {kk: vv for kk, vv in data.items() if kk != "geometry"}
    H.add_edge(u, new_id, geometry=a, **base)
    H.add_edge(new_id, v, geometry=b, **base)
    return new_id


def pieces_graph(pieces: np.ndarray, attrs: Sequence[dict[str, Any]]) -> nx.MultiGraph:
    """Return the undirected graph of noded pieces: nodes at piece ends rounded to 1 cm.

    Self-loops shorter than 1 m (noding slivers) are dropped.
    """
    import networkx as nx  # noqa: PLC0415
    import shapely  # noqa: PLC0415

    ends = np.concatenate(
        [
            shapely.get_coordinates(shapely.get_point(pieces, 0)),
            shapely.get_coordinates(shapely.get_point(pieces, -1)),
        ]
    )
    uniq, inv = np.unique(np.round(ends, 2), axis=0, return_inverse=True)
    inv = inv.ravel()
    m = len(pieces)
    G0 = nx.MultiGraph()
    for i, (x, y) in enumerate(uniq):
        G0.add_node(i, x=float(x), y=float(y))
    for j in range(m):
        u, v = int(inv[j]), int(inv[j + m])
        if u == v and pieces[j].length < 1:
            continue
        G0.add_edge(u, v, geometry=pieces[j], **attrs[j])
    return G0


def add_gap_connectors(H: nx.MultiGraph, max_gap_m: float, connector: dict[str, Any]) -> int:
    """Join components of `H` separated by at most `max_gap_m` with straight edges, in place.

    Parameters
    ----------
    H
        Undirected graph of the built lines (nodes with ``x``/``y``, edges with ``geometry``).
    max_gap_m
        Largest straight gap bridged.
    connector
        Attributes of the new edges (``kind="connector"``, ``built=False``...).

    Returns
    -------
    int
        Number of connectors added.
    """
    import shapely  # noqa: PLC0415

    n_gaps = 0
    next_id = max(H.nodes) + 1 if len(H) else 0
    for node, edge, line in _gap_candidates(H, max_gap_m):
        if not H.has_edge(*edge):  # edge split by an earlier connector: find its piece
            cands = [
                (u, v, k)
                for u, v, k, g in H.edges(keys=True, data="geometry")
                if g.distance(line.boundary.geoms[-1]) < 1e-3  # noqa: PLR2004
            ]
            if not cands:
                continue
            edge = cands[0]  # noqa: PLW2901
        target = _split_edge_at(H, edge, shapely.get_point(line, -1), next_id)
        next_id += 1
        geom = shapely.LineString(
            [(H.nodes[node]["x"], H.nodes[node]["y"]), (H.nodes[target]["x"], H.nodes[target]["y"])]
        )
        if geom.length == 0:
            continue
        H.add_edge(node, target, geometry=geom, **connector)
        n_gaps += 1
    return n_gaps


def finish_graph(
    H: nx.MultiGraph,
    *,
    crs: str,
    detour_factor: float,
    graph_attrs: dict[str, Any],
    connector: dict[str, Any] | None = None,
) -> nx.MultiDiGraph:
    """Return the parcs graph of `H`: nodes 0..n-1 in spatial order, edges both ways.

    Each edge keeps its attributes and gets ``length`` (its geometry's), ``est_length``
    (``length``, times `detour_factor` for the gap connectors) and ``built`` (default True);
    its geometry is oriented from ``u`` to ``v`` and the reverse edge (same key) carries the
    reversed line. A self-loop is stored once.

    The gap connectors are the edges whose attributes include all of `connector` (the dict
    given to :func:`add_gap_connectors`); without `connector`, every unbuilt edge. An unbuilt
    line of the input keeps ``est_length == length``: its geometry is its alignment.
    """
    import networkx as nx  # noqa: PLC0415
    import shapely  # noqa: PLC0415
    from pyproj import Transformer  # noqa: PLC0415

    order = sorted(H.nodes, key=lambda n: (round(H.nodes[n]["x"], 2), round(H.nodes[n]["y"], 2)))
    mapping = {old: new for new, old in enumerate(order)}
    G = nx.MultiDiGraph(crs=crs, **graph_attrs)
    xs = np.array([H.nodes[n]["x"] for n in order])
    ys = np.array([H.nodes[n]["y"] for n in order])
    lons, lats = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(xs, ys)
    for i in range(len(order)):
        G.add_node(i, x=float(xs[i]), y=float(ys[i]), lon=float(lons[i]), lat=float(lats[i]))
    for u, v, data in H.edges(data=True):
        a, b = mapping[u], mapping[v]
        line = data["geometry"]
        x0, y0 = line.coords[0]
        x1, y1 = line.coords[-1]
        if np.hypot(x0 - xs[a], y0 - ys[a]) > np.hypot(x1 - xs[a], y1 - ys[a]):
            line = shapely.reverse(line)
        length = float(line.length)
        built = bool(data.get("built", True))
        if connector is None:
            gap = not built
        else:
            gap = all(data.get(k) == val for k, val in connector.items())
        attrs = {k: val for k, val in data.items() if k != "geometry"}
        attrs.update(
            length=length,
            est_length=length * (float(detour_factor) if gap else 1.0),
            built=built,
        )
        key = G.add_edge(a, b, geometry=line, **attrs)
        if a != b:
            G.add_edge(b, a, key, geometry=shapely.reverse(line), **attrs)
    for n in G.nodes:
        G.nodes[n]["street_count"] = len(set(G.successors(n)) - {n}) + (
            1 if G.has_edge(n, n) else 0
        )
    return G


def graph_from_segments(  # noqa: PLR0913
    geoms: np.ndarray,
    attrs: list[dict[str, Any]],
    *,
    crs: str,
    snap_m: float,
    merge_keys: tuple[str, ...],
    max_gap_m: float | None,
    detour_factor: float,
    connector: dict[str, Any],
    graph_attrs: dict[str, Any],
    edit_pieces: PieceHook | None = None,
) -> nx.MultiDiGraph:
    """Run the whole pipeline (module docstring) on simple lines in a metric CRS.

    Parameters
    ----------
    geoms
        LineStrings in `crs` (metres).
    attrs
        One attribute dict per line (``kind``, ``name``...), copied onto its pieces.
    crs
        Projected CRS of `geoms`.
    snap_m
        Snapping tolerance (step 1).
    merge_keys
        Attributes that must agree for two edges to merge through a degree-2 node.
    max_gap_m
        Largest gap bridged by a connector; None adds no connector.
    detour_factor
        Travelled length of a connector = straight length × `detour_factor`.
    connector
        Attributes of the gap connectors.
    graph_attrs
        Graph attributes of the result (``name``, ``source``...).
    edit_pieces
        Optional hook called with the noded pieces and their attributes, returning new
        attributes (the embedded network marks there the pieces that carry EuroVélo 5).

    Returns
    -------
    networkx.MultiDiGraph
        The parcs graph.
    """
    snaps, owners = snap_segments(geoms, snap_m)
    all_geoms = np.concatenate([geoms, snaps]) if len(snaps) else np.asarray(geoms, dtype=object)
    all_attrs = list(attrs) + [attrs[o] for o in owners]
    pieces, piece_attrs = node_lines(all_geoms, all_attrs)
    if edit_pieces is not None:
        piece_attrs = edit_pieces(pieces, piece_attrs)
    H = merge_chains(pieces_graph(pieces, piece_attrs), merge_keys)
    n_gaps = add_gap_connectors(H, max_gap_m, connector) if max_gap_m else 0
    G = finish_graph(
        H, crs=crs, detour_factor=detour_factor, graph_attrs=graph_attrs, connector=connector
    )
    logger.info(
        "graph from lines: %d nodes, %d edges, %d gap connectors",
        G.number_of_nodes(),
        G.number_of_edges(),
        n_gaps,
    )
    return G


# --------------------------------------------------------------------------- any line layer

#: Values of a `built_column` read as True / False (strings compared lower-case, stripped);
#: booleans and the numbers 0 and 1 are accepted too, and an empty cell means True.
BUILT_TRUE = frozenset({"1", "true", "t", "yes", "y", "oui", "o"})
BUILT_FALSE = frozenset({"0", "false", "f", "no", "n", "non"})
#: How far (degrees) a layer may stray outside the area of use of its declared CRS before it
#: is refused: enough for a country drawn in one UTM zone (all of France in UTM 31N), far less
#: than the error of coordinates given in another CRS than the one declared.
AREA_OF_USE_MARGIN_DEG = 5.0
LINE_CONNECTOR: dict[str, Any] = {"kind": "connector", "name": "", "built": False, "source": "gap"}
LINE_MERGE_KEYS: tuple[str, ...] = ("kind", "name", "built")
_SHOW = 5  # bad values named in an error message
_NOT_A_LAYER = "the file is malformed or is not a GIS layer"
_LINE_TYPES = (1, 2)  # shapely type ids of LineString and LinearRing
_MULTI_TYPES = (4, 5, 6, 7)  # MultiPoint, MultiLineString, MultiPolygon, GeometryCollection


def graph_from_lines(
    lines: gpd.GeoDataFrame | gpd.GeoSeries | str | os.PathLike[str],
    *,
    layer: str | int | None = None,
    kind: str = "path",
    kind_column: str | None = None,
    name_column: str | None = None,
    built_column: str | None = None,
    snap_m: float = 25.0,
    max_gap_m: float | None = None,
    detour_factor: float = 1.3,
    clip: Any = None,  # noqa: ANN401
    crs: Any = None,  # noqa: ANN401
) -> nx.MultiDiGraph:
    """Build a parcs graph from any line layer, with the pipeline of the embedded network.

    The lines go through :func:`graph_from_segments` (snapping, noding, chain merging, optional
    gap connectors: the module docstring), exactly as the official layers do in
    :func:`parcs.network.territory.build_network`.

    Parameters
    ----------
    lines
        A GeoDataFrame or GeoSeries in any CRS, or the path of a GeoPackage, Shapefile or
        GeoJSON file (read with pyogrio). MultiLineStrings are split into their lines, Z (and
        M) coordinates dropped, null and empty geometries skipped, and other geometries
        (points, polygons) ignored; the INFO log line says how many of each.
    layer
        The layer of a multi-layer file (a GeoPackage), by name or index. A file with several
        layers needs it.
    kind
        The ``kind`` of every edge (or of the rows whose `kind_column` is empty).
    kind_column
        Column holding each line's ``kind``.
    name_column
        Column holding each line's ``name`` (default: ``""``).
    built_column
        Column telling whether each line exists on the ground (booleans, 0/1, ``"yes"``/``"no"``,
        ``"true"``/``"false"``, ``"oui"``/``"non"``; an empty cell means True). Default: every
        line is built.
    snap_m
        Line ends within this distance of another line are joined to it (metres, > 0).
    max_gap_m
        Join the components still apart by at most this straight distance with
        ``kind="connector"``, ``built=False`` edges (metres, > 0); None (default) adds none.
    detour_factor
        Travelled length of a gap connector = straight length × `detour_factor` (>= 1).
    clip
        Keep only the lines inside this area, cut at its boundary before the pipeline: any
        value :func:`parcs.network.clip.clip_area` takes (``"pma"``, a polygon layer path, a
        GeoDataFrame, a lon/lat shapely polygon).
    crs
        Projected CRS in metres of the graph (any pyproj input); default
        :func:`parcs.settings.crs` (``$PARCS_CRS`` or EPSG:2154).

    Returns
    -------
    networkx.MultiDiGraph
        A parcs graph (``docs/graph-format.md``). Edges: ``kind``, ``name``, ``built``,
        ``source="lines"`` (``"gap"`` for connectors), ``length``, ``est_length`` (``length``;
        × `detour_factor` for gap connectors only), ``geometry``; chains merge only where
        ``kind``, ``name`` and ``built`` agree. Graph: ``crs``, ``name`` (the file name, or
        ``"lines"``), ``source="lines"``, ``snap_tolerance_m``, ``max_gap_m``,
        ``detour_factor``.

    Raises
    ------
    ValidationError
        If an option is out of range, a named column does not exist (the message lists the
        columns), a `built_column` value is not a boolean, the layer has no CRS, or a file
        has several layers and no `layer`.
    DataError
        If the file is missing or unreadable, `layer` is not in it, or the coordinates lie
        outside the area of use of the declared CRS (a wrong CRS).
    EmptyAreaError
        If no line is left (none in the layer, or none inside `clip`).

    Examples
    --------
    >>> G = graph_from_lines("voies.gpkg", layer="troncons", name_column="nom")  # doctest: +SKIP
    """
    from parcs.errors import EmptyAreaError  # noqa: PLC0415
    from parcs.network.clip import clip_area  # noqa: PLC0415

    columns = {"kind_column": kind_column, "name_column": name_column, "built_column": built_column}
    snap, gap, detour = _check_line_options(
        kind=kind, snap_m=snap_m, max_gap_m=max_gap_m, detour_factor=detour_factor, columns=columns
    )
    gdf, where, name = _line_frame(lines, layer)
    target = _target_crs(crs, gdf)
    _check_columns(gdf, columns, where)
    geoms, rows, counts = _line_parts(gdf, where, target)
    if not len(geoms):
        msg = (
            f"{where} holds no line ({len(gdf)} features: {counts['null']} null or empty, "
            f"{counts['other']} non-line geometries, {counts['zero']} lines of zero length); "
            "give LineStrings or MultiLineStrings"
        )
        raise EmptyAreaError(msg)
    n_lines = len(geoms)
    area = clip_area(clip, crs=target)
    if area is not None:
        geoms, rows, counts["outside"] = _clip_lines(geoms, rows, area)
        if not len(geoms):
            msg = f"no line of {where} lies inside the clip area (`clip`); check the area"
            raise EmptyAreaError(msg)
    attrs = _row_attrs(gdf, rows, kind=kind.strip(), columns=columns, where=where)
    G = graph_from_segments(
        geoms,
        attrs,
        crs=target,
        snap_m=snap,
        merge_keys=LINE_MERGE_KEYS,
        max_gap_m=gap,
        detour_factor=detour,
        connector=LINE_CONNECTOR,
        graph_attrs={
            "name": name,
            "source": "lines",
            "snap_tolerance_m": snap,
            "max_gap_m": gap,
            "detour_factor": detour,
        },
    )
    _log_lines(G, name, len(gdf), n_lines, counts)
    return G


def _log_lines(
    G: nx.MultiDiGraph, name: str, n_rows: int, n_lines: int, counts: dict[str, int]
) -> None:
    built = sum(d["length"] for u, v, d in G.edges(data=True) if u <= v and d["built"]) / 1000
    n_gaps = sum(1 for u, v, d in G.edges(data=True) if u <= v and d.get("source") == "gap")
    logger.info(
        "graph_from_lines(%s): %d features -> %d lines (ignored: %d null or empty, %d non-line "
        "geometries, %d of zero length, %d outside the clip area); %d nodes, %d edges, "
        "%.1f km built, %d gap connectors",
        name,
        n_rows,
        n_lines,
        counts["null"],
        counts["other"],
        counts["zero"],
        counts.get("outside", 0),
        G.number_of_nodes(),
        G.number_of_edges(),
        built,
        n_gaps,
    )


def _check_line_options(
    *,
    kind: Any,  # noqa: ANN401
    snap_m: Any,  # noqa: ANN401
    max_gap_m: Any,  # noqa: ANN401
    detour_factor: Any,  # noqa: ANN401
    columns: dict[str, Any],
) -> tuple[float, float | None, float]:
    """Check the options of :func:`graph_from_lines`; return the distances as floats."""
    from parcs._validate import check_number, check_positive  # noqa: PLC0415
    from parcs.errors import ValidationError  # noqa: PLC0415

    if not isinstance(kind, str) or not kind.strip():
        msg = f"`kind` must be a non-empty string (the kind of every line), got {kind!r}"
        raise ValidationError(msg)
    for name, value in columns.items():
        if value is not None and not isinstance(value, str):
            msg = f"`{name}` must be a column name (a string) or None, got {value!r}"
            raise ValidationError(msg)
    snap = check_positive("snap_m", snap_m, unit="metres")
    gap = None if max_gap_m is None else check_positive("max_gap_m", max_gap_m, unit="metres")
    detour = check_number("detour_factor", detour_factor, lo=1.0)
    return snap, gap, detour


def _target_crs(crs: Any, gdf: gpd.GeoDataFrame) -> str:  # noqa: ANN401
    """Return the graph CRS: `crs` (any pyproj input), else :func:`parcs.settings.crs_for`
    the layer's lon/lat bounds (EPSG:2154 in France, else the UTM zone), metric."""
    import pyproj  # noqa: PLC0415

    from parcs import settings  # noqa: PLC0415
    from parcs.errors import ValidationError  # noqa: PLC0415

    if crs is None:
        bounds = np.asarray(gdf.total_bounds, dtype=np.float64)
        if gdf.crs is None or not np.isfinite(bounds).all():
            return settings.crs()
        to_ll = pyproj.Transformer.from_crs(gdf.crs, 4326, always_xy=True)
        west, south, east, north = to_ll.transform_bounds(*bounds.tolist())
        ok = -180 <= west <= east <= 180 and -90 <= south <= north <= 90  # noqa: PLR2004
        # coordinates that are not in their declared CRS: the area-of-use check reports them
        return settings.crs_for(west, south, east, north) if ok else settings.crs()
    try:
        value = crs if isinstance(crs, str) else pyproj.CRS.from_user_input(crs).to_string()
    except pyproj.exceptions.CRSError as err:
        msg = f"`crs` {crs!r} is not a CRS pyproj knows ({err}); use e.g. 'EPSG:2154'"
        raise ValidationError(msg) from err
    if not settings.is_metric_crs(value):
        msg = (
            "`crs` must be a projected CRS in metres (e.g. 'EPSG:2154', or a UTM zone such as "
            f"'EPSG:32631'), got {crs!r}"
        )
        raise ValidationError(msg)
    return value


# ---- reading


def _line_frame(lines: Any, layer: Any) -> tuple[gpd.GeoDataFrame, str, str]:  # noqa: ANN401
    """Return the layer as a GeoDataFrame, its name in messages, and the graph's name."""
    import os  # noqa: PLC0415
    from pathlib import Path  # noqa: PLC0415

    import geopandas as gpd  # noqa: PLC0415

    from parcs.errors import DataError, ValidationError  # noqa: PLC0415

    if isinstance(lines, (str, os.PathLike)):
        path = Path(lines)
        where = f"the file {str(path)!r}" + (f" (layer {layer!r})" if layer is not None else "")
        gdf, name = _read_line_file(path, layer), path.name
    elif isinstance(lines, (gpd.GeoDataFrame, gpd.GeoSeries)):
        if layer is not None:
            msg = (
                f"`layer` picks a layer of a file; `lines` is a {type(lines).__name__}, "
                "drop `layer`"
            )
            raise ValidationError(msg)
        gdf = lines if isinstance(lines, gpd.GeoDataFrame) else gpd.GeoDataFrame(geometry=lines)
        where, name = "`lines`", "lines"
    else:
        msg = (
            "`lines` must be a GeoDataFrame, a GeoSeries or the path of a GeoPackage, "
            f"Shapefile or GeoJSON file, got {type(lines).__name__}"
        )
        raise ValidationError(msg)
    if not isinstance(getattr(gdf, "geometry", None), gpd.GeoSeries):  # no active geometry
        msg = f"{where} has no geometry column; give a line layer"
        raise DataError(msg)
    return gdf, where, name


def _read_line_file(path: Path, layer: Any) -> gpd.GeoDataFrame:  # noqa: ANN401
    import geopandas as gpd  # noqa: PLC0415
    import pyogrio  # noqa: PLC0415
    import pyogrio.errors  # noqa: PLC0415

    from parcs.errors import DataError, ValidationError  # noqa: PLC0415

    unreadable = (
        pyogrio.errors.DataSourceError,
        pyogrio.errors.DataLayerError,
        OSError,
        ValueError,
    )
    if not path.is_file():
        msg = (
            f"the line layer {str(path)!r} does not exist; give the path of a GeoPackage, "
            "Shapefile or GeoJSON file"
        )
        raise DataError(msg)
    try:
        names = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    except unreadable as err:
        msg = f"cannot read the line layer {str(path)!r} ({err}); {_NOT_A_LAYER}"
        raise DataError(msg) from err
    listed = ", ".join(map(repr, names)) or "none"
    if layer is None and len(names) > 1:
        msg = f"the file {str(path)!r} holds {len(names)} layers ({listed}); pick one with `layer=`"
        raise ValidationError(msg)
    by_index = isinstance(layer, int) and not isinstance(layer, bool) and 0 <= layer < len(names)
    if layer is not None and not by_index and layer not in names:
        msg = f"the file {str(path)!r} has no layer {layer!r}; its layers: {listed}"
        raise DataError(msg)
    try:
        out = gpd.read_file(path, layer=layer)
    except unreadable as err:
        msg = f"cannot read the line layer {str(path)!r} ({err}); {_NOT_A_LAYER}"
        raise DataError(msg) from err
    if not isinstance(out, gpd.GeoDataFrame):
        msg = f"the file {str(path)!r} holds a table without geometry; give a line layer"
        raise DataError(msg)
    return out


def _check_columns(gdf: gpd.GeoDataFrame, columns: dict[str, str | None], where: str) -> None:
    from parcs.errors import ValidationError  # noqa: PLC0415

    available = [str(c) for c in gdf.columns if c != gdf.geometry.name]
    for arg, col in columns.items():
        if col is not None and col not in available:
            msg = (
                f"`{arg}` {col!r} is not a column of {where}; its columns are: "
                f"{', '.join(map(repr, available)) or 'none (geometry only)'}"
            )
            raise ValidationError(msg)


def _simple_parts(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split multi-geometries and collections (nested too); return parts and their owner."""
    import shapely  # noqa: PLC0415

    owner = np.arange(len(geoms))
    while len(geoms) and np.isin(shapely.get_type_id(geoms), _MULTI_TYPES).any():
        geoms, idx = shapely.get_parts(geoms, return_index=True)
        owner = owner[idx]
    return np.asarray(geoms, dtype=object), owner


def _line_parts(
    gdf: gpd.GeoDataFrame, where: str, target: str
) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Return the simple 2-D lines of `gdf` in `target`, their rows, and what was dropped."""
    import shapely  # noqa: PLC0415
    from pyproj import CRS, Transformer  # noqa: PLC0415

    from parcs.errors import DataError, ValidationError  # noqa: PLC0415

    if gdf.crs is None:
        msg = (
            f"{where} has no CRS; declare the one its coordinates are in, e.g. "
            "gdf.set_crs('EPSG:4326') for lon/lat or gdf.set_crs('EPSG:2154') for Lambert-93"
        )
        raise ValidationError(msg)
    arr = np.asarray(gdf.geometry.to_numpy(), dtype=object)
    null = shapely.is_missing(arr) | shapely.is_empty(arr)
    keep_rows = np.flatnonzero(~null)
    src = CRS.from_user_input(gdf.crs)
    check_area_of_use(arr[keep_rows], src, where)
    to_target = Transformer.from_crs(src, target, always_xy=True)

    def project(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(to_target.transform(xy[:, 0], xy[:, 1]))

    parts, owner = _simple_parts(shapely.transform(arr[keep_rows], project))  # 2-D: Z dropped
    rows = keep_rows[owner]
    is_line = np.isin(shapely.get_type_id(parts), _LINE_TYPES)
    n_other = len(np.unique(rows[~is_line]))  # features holding a point, a polygon...
    parts, rows = parts[is_line], rows[is_line]
    rings = shapely.get_type_id(parts) == _LINE_TYPES[1]  # LinearRing
    if rings.any():
        parts[rings] = [shapely.LineString(r.coords) for r in parts[rings]]
    coords, cidx = shapely.get_coordinates(parts, return_index=True)
    bad = np.unique(rows[cidx[~np.isfinite(coords).all(axis=1)]])
    if bad.size:
        msg = (
            f"{len(bad)} lines of {where} (features {bad[:_SHOW].tolist()}) have coordinates "
            f"that cannot be expressed in {target}; check the layer's CRS ({src.to_string()})"
        )
        raise DataError(msg)
    positive = shapely.length(parts) > 0
    counts = {"null": int(null.sum()), "other": n_other, "zero": int((~positive).sum())}
    return parts[positive], rows[positive], counts


def check_area_of_use(geoms: np.ndarray, src: Any, where: str) -> None:  # noqa: ANN401
    """Refuse a layer whose coordinates lie outside the area of use of its declared CRS."""
    import pyproj  # noqa: PLC0415
    import shapely  # noqa: PLC0415

    from parcs.errors import DataError  # noqa: PLC0415

    aou = src.area_of_use
    if aou is None or not len(geoms):
        return
    xmin, ymin, xmax, ymax = (float(b) for b in shapely.total_bounds(geoms))
    lonlat = (math.nan,) * 4
    if all(map(math.isfinite, (xmin, ymin, xmax, ymax))):
        with contextlib.suppress(pyproj.exceptions.ProjError):
            to_ll = pyproj.Transformer.from_crs(src, "EPSG:4326", always_xy=True)
            lonlat = to_ll.transform_bounds(xmin, ymin, xmax, ymax, densify_pts=21)
    m = AREA_OF_USE_MARGIN_DEG
    west, south, east, north = lonlat
    lon_ok = aou.west > aou.east or (west >= aou.west - m and east <= aou.east + m)  # antimeridian
    ok = (
        all(map(math.isfinite, lonlat))
        and lon_ok
        and south >= aou.south - m
        and north <= aou.north + m
    )
    if not ok:
        msg = (
            f"the coordinates of {where} (x {xmin:.6g} to {xmax:.6g}, y {ymin:.6g} to {ymax:.6g}) "
            f"lie outside the area of use of its declared CRS {src.to_string()} ({src.name}: "
            f"lon {aou.west:g} to {aou.east:g}, lat {aou.south:g} to {aou.north:g}); the declared "
            "CRS is wrong (the classic mistake: Lambert-93 metres in a file declared EPSG:4326, "
            "or degrees declared EPSG:2154); set the right one with "
            ".set_crs(..., allow_override=True)"
        )
        raise DataError(msg)


def _clip_lines(
    geoms: np.ndarray,
    rows: np.ndarray,
    area: Any,  # noqa: ANN401
) -> tuple[np.ndarray, np.ndarray, int]:
    """Cut the lines at `area` (shapely intersection) and keep the pieces inside.

    Returns the pieces, the row of each, and the number of lines wholly outside.
    """
    import shapely  # noqa: PLC0415

    shapely.prepare(area)
    inside = shapely.covers(area, geoms)
    cross = ~inside & shapely.intersects(area, geoms)
    cut, owner = _simple_parts(shapely.intersection(geoms[cross], area))
    keep = np.isin(shapely.get_type_id(cut), _LINE_TYPES) & (shapely.length(cut) > 0)
    out = np.concatenate([geoms[inside], cut[keep]])
    out_rows = np.concatenate([rows[inside], rows[cross][owner[keep]]])
    order = np.argsort(out_rows, kind="stable")
    n_outside = int((~inside & ~cross).sum())
    return np.asarray(out[order], dtype=object), out_rows[order], n_outside


# ---- attributes


def _row_attrs(
    gdf: gpd.GeoDataFrame,
    rows: np.ndarray,
    *,
    kind: str,
    columns: dict[str, str | None],
    where: str,
) -> list[dict[str, Any]]:
    """One attribute dict per line (shared between the lines of one row)."""
    n = len(gdf)
    kinds = _text_column(gdf, columns["kind_column"], default=kind)
    names = _text_column(gdf, columns["name_column"], default="")
    built = _built_column(gdf, columns["built_column"], where)
    per_row: list[dict[str, Any] | None] = [None] * n
    out = []
    for r in rows.tolist():
        d = per_row[r]
        if d is None:
            d = per_row[r] = {
                "kind": kinds[r],
                "name": names[r],
                "built": bool(built[r]),
                "source": "lines",
            }
        out.append(d)
    return out


def _text_column(gdf: gpd.GeoDataFrame, col: str | None, *, default: str) -> list[str]:
    if col is None:
        return [default] * len(gdf)
    values = gdf[col].to_numpy(dtype=object)
    null = gdf[col].isna().to_numpy()
    out = []
    for v, isnull in zip(values.tolist(), null.tolist(), strict=True):
        text = "" if isnull else str(v).strip()
        out.append(text or default)
    return out


def _as_bool(value: Any) -> bool | None:  # noqa: ANN401
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        low = value.strip().lower()
        if low in BUILT_TRUE:
            return True
        if low in BUILT_FALSE:
            return False
    return None


def _built_column(gdf: gpd.GeoDataFrame, col: str | None, where: str) -> np.ndarray:
    from parcs.errors import ValidationError  # noqa: PLC0415

    out = np.ones(len(gdf), dtype=bool)
    if col is None:
        return out
    null = gdf[col].isna().to_numpy()
    bad: list[str] = []
    for i, (value, isnull) in enumerate(
        zip(gdf[col].to_numpy(dtype=object).tolist(), null.tolist(), strict=True)
    ):
        parsed = True if isnull else _as_bool(value)
        if parsed is None:
            bad.append(f"{value!r} (feature {i})")
        else:
            out[i] = parsed
    if bad:
        msg = (
            f"`built_column` {col!r} of {where} must hold booleans (True/False, 1/0, 'yes'/'no', "
            f"'true'/'false', 'oui'/'non') or be empty; {len(bad)} values are not: "
            f"{', '.join(bad[:_SHOW])}{' ...' if len(bad) > _SHOW else ''}"
        )
        raise ValidationError(msg)
    return out
