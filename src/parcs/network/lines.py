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

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from parcs._log import logger

if TYPE_CHECKING:
    import networkx as nx

__all__ = [
    "add_gap_connectors",
    "finish_graph",
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
        coords = []
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
            nxt = [(a, b, kk) for a, b, kk in G.edges(cur, keys=True)
                   if (min(a, b), max(a, b), kk) not in seen]
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
) -> list[tuple[int, Any, float]]:
    """Shortest gaps joining components, as (node, point on the other component, length).

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
        chosen.append((int(nodes[pi[j]]), (edges[ei[j]][0], edges[ei[j]][1], edges[ei[j]][2]), target))
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
) -> nx.MultiDiGraph:
    """Return the parcs graph of `H`: nodes 0..n-1 in spatial order, edges both ways.

    Each edge keeps its attributes and gets ``length`` (its geometry's), ``est_length``
    (``length``, times `detour_factor` for unbuilt edges) and ``built`` (default True); its
    geometry is oriented from ``u`` to ``v`` and the reverse edge (same key) carries the
    reversed line. A self-loop is stored once.
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
        attrs = {k: val for k, val in data.items() if k != "geometry"}
        attrs.update(
            length=length,
            est_length=length * (1.0 if built else float(detour_factor)),
            built=built,
        )
        key = G.add_edge(a, b, geometry=line, **attrs)
        if a != b:
            G.add_edge(b, a, key, geometry=shapely.reverse(line), **attrs)
    for n in G.nodes:
        G.nodes[n]["street_count"] = len(set(G.successors(n)) - {n}) + (1 if G.has_edge(n, n) else 0)
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
    G = finish_graph(H, crs=crs, detour_factor=detour_factor, graph_attrs=graph_attrs)
    logger.info(
        "graph from lines: %d nodes, %d edges, %d gap connectors",
        G.number_of_nodes(),
        G.number_of_edges(),
        n_gaps,
    )
    return G
