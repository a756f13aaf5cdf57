"""A planner's proposed links: read, check, snap and node them into a copy of the graph (private).

Steps (:func:`node_proposals`):

1. **Read and check** the layer (:func:`read_proposals`): a GeoDataFrame/GeoSeries or a
   GeoPackage/GeoJSON/Shapefile; it must have features, a CRS, and only (Multi)LineStrings
   with coordinates that exist in the graph's CRS. Every bad feature is named in one error
   (``feature 3 of 7 ('Voie verte nord')``, counting rows from 1).
2. **Snap.** Each line end within ``snap_m`` of a built edge of the graph (or of another
   proposed line, whichever is nearer) is extended to the nearest point of it. A feature
   farther than ``snap_m`` from every built edge and every other proposed feature is an
   error (it would connect nothing; usually a wrong CRS).
3. **Node.** Lines are split where they meet built edges or each other (their crossings and
   the snapped points); built edges are split there too, their ``length`` and
   ``est_length`` shared out in proportion to the pieces' geometry. Points closer than
   :data:`MERGE_M` are one node; a split point within :data:`MERGE_M` of an edge's end is
   that end node.
4. **The graph.** A copy of the graph gets the split edges and one edge per proposed piece,
   both ways: ``kind="proposed"``, ``built=True``, ``source="proposed"``, ``proposed`` = the
   feature's row (from 0), ``name`` = its name, ``length`` = ``est_length`` = the piece's
   length. New nodes get ids above the graph's largest.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
import shapely.ops
from scipy.spatial import cKDTree

from parcs.csr import arc_geometries, csr_of
from parcs.errors import DataError, EmptyAreaError, SnapError, ValidationError

if TYPE_CHECKING:
    import geopandas as gpd
    import networkx as nx
    import numpy.typing as npt

__all__ = ["MERGE_M", "PROPOSED_KIND", "Noded", "node_proposals", "read_proposals"]

#: Kind of the proposed edges in the noded graph.
PROPOSED_KIND = "proposed"
#: Points closer than this are one node (m).
MERGE_M = 0.5
_SHOW = 5
_NAME_COLUMNS = ("name", "nom", "NAME", "NOM", "Name", "Nom")
_LINES = (1, 5)  # LineString, MultiLineString


@dataclass(frozen=True)
class Noded:
    """The proposals noded into a copy of the graph.

    Attributes
    ----------
    graph
        The copy of the graph with the split edges and the proposed edges.
    features
        The proposals (graph CRS): ``name`` and the snapped geometry, one row per feature.
    pieces
        One row per proposed edge: ``feature``, ``u``, ``v`` (node ids of ``graph``),
        ``length_m``.
    """

    graph: nx.MultiDiGraph
    features: gpd.GeoDataFrame
    pieces: Any  # pandas.DataFrame


def _label(i: int, n: int, name: str) -> str:
    return f"feature {i + 1} of {n}" + (f" ({name!r})" if name else "")


def _shown(items: list[str]) -> str:
    more = f" and {len(items) - _SHOW} more" if len(items) > _SHOW else ""
    return "; ".join(items[:_SHOW]) + more


def read_proposals(
    proposed: Any,
    *,
    layer: str | int | None = None,
    name_column: str | None = None,
) -> tuple[gpd.GeoDataFrame, str, list[str]]:
    """Return the proposals as a GeoDataFrame, how to call the layer, and each feature's name.

    Raises
    ------
    DataError
        If the file is missing or unreadable.
    ValidationError
        If `proposed` is of the wrong type, the file has several layers and no `layer`, the
        layer has no CRS, or `name_column` is not a column.
    EmptyAreaError
        If the layer holds no feature.
    """
    import geopandas as gpd

    if isinstance(proposed, (str, os.PathLike)):
        path = Path(proposed).expanduser()
        where = f"the proposed links file {str(path)!r}"
        gdf = _read_file(path, layer, where)
    elif isinstance(proposed, (gpd.GeoDataFrame, gpd.GeoSeries)):
        gdf = (
            proposed
            if isinstance(proposed, gpd.GeoDataFrame)
            else gpd.GeoDataFrame(geometry=proposed)
        )
        where = "`proposed`"
    else:
        msg = (
            "`proposed` must be a GeoDataFrame, a GeoSeries or the path of a GeoPackage, "
            f"GeoJSON or Shapefile line layer, got {type(proposed).__name__}"
        )
        raise ValidationError(msg)
    if len(gdf) == 0:
        msg = f"{where} holds no feature; draw the proposed links as lines in it"
        raise EmptyAreaError(msg)
    if gdf.crs is None:
        msg = (
            f"{where} has no CRS; declare the one its coordinates are in (in QGIS: Layer "
            "properties > Source; in geopandas: gdf.set_crs('EPSG:2154'))"
        )
        raise ValidationError(msg)
    col = name_column
    if col is not None and col not in gdf.columns:
        msg = (
            f"`name_column` {col!r} is not a column of {where}; "
            f"its columns: {sorted(map(str, gdf.columns))}"
        )
        raise ValidationError(msg)
    if col is None:
        col = next((c for c in _NAME_COLUMNS if c in gdf.columns), None)
    names = (
        [""] * len(gdf)
        if col is None
        else [
            "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v).strip()
            for v in gdf[col]
        ]
    )
    return gdf, where, names


def _read_file(path: Path, layer: str | int | None, where: str) -> gpd.GeoDataFrame:
    import geopandas as gpd
    import pyogrio
    import pyogrio.errors

    unreadable = (
        pyogrio.errors.DataSourceError,
        pyogrio.errors.DataLayerError,
        OSError,
        ValueError,
    )
    if not path.is_file():
        msg = f"{where} does not exist; give a GeoPackage, GeoJSON or Shapefile of lines"
        raise DataError(msg)
    try:
        layers = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    except unreadable as err:
        msg = f"cannot read {where} ({err}); give a GeoPackage, GeoJSON or Shapefile of lines"
        raise DataError(msg) from err
    if layer is None and len(layers) > 1:
        msg = (
            f"{where} holds {len(layers)} layers ({', '.join(map(repr, layers))}); "
            "pick one (`layer=`, --proposed-layer)"
        )
        raise ValidationError(msg)
    if layer is not None and not isinstance(layer, int) and layer not in layers:
        msg = f"{where} has no layer {layer!r}; its layers: {', '.join(map(repr, layers))}"
        raise DataError(msg)
    try:
        out = gpd.read_file(path, layer=layer)
    except unreadable as err:
        msg = f"cannot read {where} ({err}); give a GeoPackage, GeoJSON or Shapefile of lines"
        raise DataError(msg) from err
    if not isinstance(out, gpd.GeoDataFrame):
        msg = f"{where} is a table without geometry; give a line layer"
        raise DataError(msg)
    return out


def _lines_in_crs(
    gdf: gpd.GeoDataFrame, where: str, names: list[str], crs: str
) -> npt.NDArray[Any]:
    """Each feature as a 2-D (Multi)LineString in `crs`; every bad feature in one DataError."""
    n = len(gdf)
    geoms = np.asarray(gdf.geometry.to_numpy(), dtype=object)
    problems = []
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    types = shapely.get_type_id(geoms)
    for i in range(n):
        if missing[i]:
            problems.append(f"{_label(i, n, names[i])} has no geometry")
        elif types[i] not in _LINES:
            problems.append(f"{_label(i, n, names[i])} is a {geoms[i].geom_type}, not a line")
    if problems:
        msg = f"{where}: {_shown(problems)}; proposed links must be LineStrings or MultiLineStrings"
        raise DataError(msg)
    try:
        projected = gdf.geometry.to_crs(crs).to_numpy()
    except Exception as err:  # pyproj errors vary by version
        msg = f"cannot reproject {where} from {gdf.crs} to the graph's CRS {crs} ({err})"
        raise DataError(msg) from err
    projected = shapely.force_2d(np.asarray(projected, dtype=object))
    coords, idx = shapely.get_coordinates(projected, return_index=True)
    bad = np.unique(idx[~np.isfinite(coords).all(axis=1)])
    zero = np.flatnonzero(shapely.length(projected) <= 0)
    problems = [
        f"{_label(int(i), n, names[int(i)])} has coordinates outside its CRS {gdf.crs}" for i in bad
    ]
    problems += [
        f"{_label(int(i), n, names[int(i)])} has zero length" for i in zero if i not in bad
    ]
    if problems:
        msg = f"{where}: {_shown(problems)}; check the layer's CRS and geometries"
        raise DataError(msg)
    return np.asarray(projected, dtype=object)


@dataclass
class _Points:
    """Split points, each on an edge (``edge``, ``t``) or a proposed part (``part``, ``t``)."""

    xy: list[tuple[float, float]]
    edge: list[int]
    part: list[int]
    t: list[float]

    def add(self, x: float, y: float, *, edge: int = -1, part: int = -1, t: float = 0.0) -> None:
        self.xy.append((float(x), float(y)))
        self.edge.append(edge)
        self.part.append(part)
        self.t.append(float(t))


def _snap_ends(
    parts: npt.NDArray[Any],
    owner: npt.NDArray[np.int64],
    edges: npt.NDArray[Any],
    snap_m: float,
) -> tuple[npt.NDArray[Any], list[tuple[int, int, Any]]]:
    """Extend each part end to the nearest edge or other part within `snap_m`.

    Returns the extended parts and the snaps ``(part, target, point)`` where target is an
    edge index ``>= 0`` or ``-1 - other_part``.
    """
    etree = shapely.STRtree(edges)
    ptree = shapely.STRtree(parts)
    parts = parts.copy()
    snaps: list[tuple[int, int, Any]] = []
    for k in range(len(parts)):
        coords = shapely.get_coordinates(parts[k])
        for end in (0, -1):
            p = shapely.Point(coords[end])
            best, target = math.inf, None
            hit = etree.query(p, predicate="dwithin", distance=snap_m)
            for e in hit:
                d = p.distance(edges[e])
                if d < best:
                    best, target = d, int(e)
            for q in ptree.query(p, predicate="dwithin", distance=snap_m):
                if owner[q] == owner[k]:
                    continue
                d = p.distance(parts[q])
                if d < best:
                    best, target = d, -1 - int(q)
            if target is None:
                continue
            line = edges[target] if target >= 0 else parts[-1 - target]
            point = shapely.line_interpolate_point(line, shapely.line_locate_point(line, p))
            snaps.append((k, target, point))
            if best > 1e-9:
                xy = shapely.get_coordinates(point)[0]
                coords = np.vstack([xy, coords]) if end == 0 else np.vstack([coords, xy])
        parts[k] = shapely.linestrings(coords)
    return parts, snaps


def _split_points(
    parts: npt.NDArray[Any], edges: npt.NDArray[Any], snaps: list[tuple[int, int, Any]]
) -> _Points:
    """Every point where a part is cut: its ends, snaps, crossings with edges and parts."""
    pts = _Points([], [], [], [])

    def on_part(k: int, g: Any) -> None:
        for q in shapely.get_parts(_as_points(g)):
            pts.add(q.x, q.y, part=k, t=shapely.line_locate_point(parts[k], q))

    def on_edge(e: int, g: Any) -> None:
        for q in shapely.get_parts(_as_points(g)):
            pts.add(q.x, q.y, edge=e, t=shapely.line_locate_point(edges[e], q))

    for k, line in enumerate(parts):
        for end in (0, -1):
            q = shapely.get_point(line, end)
            pts.add(q.x, q.y, part=k, t=0.0 if end == 0 else line.length)
    for _k, target, point in snaps:
        if target >= 0:
            on_edge(target, point)
        else:
            on_part(-1 - target, point)
    etree = shapely.STRtree(edges)
    k_idx, e_idx = etree.query(parts, predicate="intersects")
    for k, e in zip(k_idx.tolist(), e_idx.tolist(), strict=True):
        inter = shapely.intersection(parts[k], edges[e])
        on_part(k, inter)
        on_edge(e, inter)
    ptree = shapely.STRtree(parts)
    a_idx, b_idx = ptree.query(parts, predicate="intersects")
    for a, b in zip(a_idx.tolist(), b_idx.tolist(), strict=True):
        if a < b:
            inter = shapely.intersection(parts[a], parts[b])
            on_part(a, inter)
            on_part(b, inter)
    return pts


def _as_points(g: Any) -> Any:
    """The points of an intersection (the end points of its line parts)."""
    if g is None or shapely.is_empty(g):
        return shapely.MultiPoint()
    if shapely.get_type_id(g) in (0, 4):
        return g
    parts = shapely.get_parts(g)
    pts = [p for p in parts if shapely.get_type_id(p) == 0]
    for p in parts:
        if shapely.get_type_id(p) in (1, 2):
            pts += [shapely.get_point(p, 0), shapely.get_point(p, -1)]
    return shapely.MultiPoint(pts) if pts else shapely.MultiPoint()


def _assign_nodes(
    pts: _Points,
    edges: npt.NDArray[Any],
    edge_uv: npt.NDArray[np.int64],
    node_xy: dict[int, tuple[float, float]],
    first_new: int,
) -> tuple[npt.NDArray[np.int64], dict[int, tuple[float, float]]]:
    """A node id per split point: an edge's end node, or a new node shared by nearby points."""
    xy = np.asarray(pts.xy, dtype=np.float64).reshape(-1, 2)
    n = len(xy)
    parent = np.arange(n)

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return int(i)

    for i, j in cKDTree(xy).query_pairs(MERGE_M) if n else ():
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
    roots = np.asarray([find(i) for i in range(n)], dtype=np.int64)
    node_of_root: dict[int, int] = {}
    for i in range(n):  # a point at an edge's end is that end node
        e = pts.edge[i]
        if e < 0:
            continue
        u, v = int(edge_uv[e, 0]), int(edge_uv[e, 1])
        for end in (u, v):
            if math.dist(node_xy[end], xy[i]) <= MERGE_M:
                node_of_root.setdefault(int(roots[i]), end)
    new_xy: dict[int, tuple[float, float]] = {}
    nxt = first_new
    ids = np.empty(n, dtype=np.int64)
    order = sorted(range(n), key=lambda i: (pts.edge[i] < 0, i))  # edge points first: on the edge
    for i in order:
        r = int(roots[i])
        if r not in node_of_root:
            node_of_root[r] = nxt
            new_xy[nxt] = (float(xy[i, 0]), float(xy[i, 1]))
            nxt += 1
        ids[i] = node_of_root[r]
    return ids, new_xy


def _check_far(
    parts: npt.NDArray[Any],
    owner: npt.NDArray[np.int64],
    edges: npt.NDArray[Any],
    snap_m: float,
    names: list[str],
    where: str,
) -> None:
    """Refuse features farther than `snap_m` from every built edge and other feature."""
    n = len(names)
    near = np.full(n, np.inf)
    if len(edges):
        _, d = shapely.STRtree(edges).query_nearest(parts, return_distance=True, all_matches=False)
        np.minimum.at(near, owner, d)
    if n > 1:
        tree = shapely.STRtree(parts)
        k_idx, q_idx = tree.query(parts, predicate="dwithin", distance=snap_m)
        other = owner[k_idx] != owner[q_idx]
        near[np.unique(owner[k_idx[other]])] = 0.0
    far = np.flatnonzero(near > snap_m)
    if len(far):
        items = [
            f"{_label(int(i), n, names[int(i)])} lies {near[i]:,.0f} m from the network"
            if np.isfinite(near[i])
            else f"{_label(int(i), n, names[int(i)])} is far from everything"
            for i in far
        ]
        msg = (
            f"{where}: {_shown(items)} (more than `snap_m` = {snap_m:g} m from any built edge "
            "and any other proposed link); draw each link up to the network, or check the "
            "layer's CRS"
        )
        raise SnapError(msg, distance_m=float(near[far[0]]))


def _split_edges(
    H: nx.MultiDiGraph,
    pts: _Points,
    ids: npt.NDArray[np.int64],
    edges: npt.NDArray[Any],
    edge_uvk: npt.NDArray[np.int64],
) -> None:
    """Replace every built edge with split points by its pieces, in place."""
    by_edge: dict[int, list[tuple[float, int]]] = {}
    for i, e in enumerate(pts.edge):
        if e >= 0:
            by_edge.setdefault(e, []).append((pts.t[i], int(ids[i])))
    for e, marks in by_edge.items():
        u, v, k = (int(c) for c in edge_uvk[e])
        line = edges[e]
        total = float(line.length)
        seq = [(0.0, u), *sorted(marks), (total, v)]
        nodes = [seq[0]]
        for t, node in seq[1:]:
            if node != nodes[-1][1]:
                nodes.append((t, node))
        if len(nodes) <= 2 or total <= 0:
            continue
        data = dict(H.edges[u, v, k])
        H.remove_edge(u, v, k)
        if H.has_edge(v, u, k) and u != v:
            H.remove_edge(v, u, k)
        for (t0, a), (t1, b) in zip(nodes[:-1], nodes[1:], strict=True):
            piece = shapely.ops.substring(line, t0, t1)
            share = (t1 - t0) / total
            attrs = {**data, "geometry": piece, "length": float(data["length"]) * share}
            if data.get("est_length") is not None:
                attrs["est_length"] = float(data["est_length"]) * share
            _add_both(H, a, b, attrs)


def _add_both(H: nx.MultiDiGraph, a: int, b: int, attrs: dict[str, Any]) -> None:
    key = H.new_edge_key(a, b)
    while H.has_edge(b, a, key):
        key += 1
    H.add_edge(a, b, key, **attrs)
    if a != b:
        back = {**attrs, "geometry": shapely.reverse(attrs["geometry"])}
        H.add_edge(b, a, key, **back)


def _add_pieces(
    H: nx.MultiDiGraph,
    parts: npt.NDArray[Any],
    owner: npt.NDArray[np.int64],
    pts: _Points,
    ids: npt.NDArray[np.int64],
    names: list[str],
) -> list[dict[str, Any]]:
    """Add the proposed pieces (both ways); return one row per piece."""
    by_part: dict[int, list[tuple[float, int]]] = {}
    for i, k in enumerate(pts.part):
        if k >= 0:
            by_part.setdefault(k, []).append((pts.t[i], int(ids[i])))
    rows = []
    for k in sorted(by_part):
        seq = sorted(by_part[k])
        line = parts[k]
        for (t0, a), (t1, b) in zip(seq[:-1], seq[1:], strict=True):
            if t1 - t0 <= 1e-9 or (a == b and t1 - t0 < 1.0):
                continue
            piece = shapely.ops.substring(line, t0, t1)
            f = int(owner[k])
            length = float(piece.length)
            attrs = {
                "geometry": piece,
                "length": length,
                "est_length": length,
                "kind": PROPOSED_KIND,
                "built": True,
                "source": "proposed",
                "proposed": f,
                "name": names[f],
            }
            _add_both(H, a, b, attrs)
            rows.append({"feature": f, "u": a, "v": b, "length_m": length})
    return rows


def node_proposals(
    G: nx.MultiDiGraph,
    proposed: Any,
    *,
    snap_m: float,
    layer: str | int | None = None,
    name_column: str | None = None,
) -> Noded:
    """Read, check, snap and node the proposed links into a copy of `G` (module docstring)."""
    import geopandas as gpd
    import pandas as pd
    import shapely.ops

    gdf, where, names = read_proposals(proposed, layer=layer, name_column=name_column)
    full = csr_of(G)
    lines = _lines_in_crs(gdf, where, names, full.crs)
    parts, owner = shapely.get_parts(lines, return_index=True)
    parts = np.asarray(parts, dtype=object)
    arcs = np.flatnonzero(~full.connector & full.undirected)
    edges = np.asarray(arc_geometries(G)[arcs], dtype=object)
    tails = full.tails[arcs]
    edge_uvk = np.column_stack(
        [
            full.node_ids[tails],
            full.node_ids[full.indices[arcs]],
            full.arc_key[arcs].astype(np.int64),
        ]
    )
    _check_far(parts, owner, edges, snap_m, names, where)
    parts, snaps = _snap_ends(parts, owner, edges, snap_m)
    pts = _split_points(parts, edges, snaps)
    touched = {int(e) for e in pts.edge if e >= 0}
    node_xy = {}
    for e in touched:
        for c in (0, 1):
            i = full.index(int(edge_uvk[e, c]))
            node_xy[int(edge_uvk[e, c])] = (float(full.x[i]), float(full.y[i]))
    first_new = int(full.node_ids.max()) + 1 if full.n_nodes else 0
    ids, new_xy = _assign_nodes(pts, edges, edge_uvk[:, :2], node_xy, first_new)
    H = G.copy()
    _add_nodes(H, new_xy, full.crs)
    _split_edges(H, pts, ids, edges, edge_uvk)
    rows = _add_pieces(H, parts, owner, pts, ids, names)
    geoms = [
        shapely.line_merge(shapely.multilinestrings(list(parts[owner == f])))
        for f in range(len(gdf))
    ]
    features = gpd.GeoDataFrame({"name": names}, geometry=geoms, crs=full.crs)
    pieces = pd.DataFrame(rows, columns=["feature", "u", "v", "length_m"])
    return Noded(graph=H, features=features, pieces=pieces)


def _add_nodes(H: nx.MultiDiGraph, new_xy: dict[int, tuple[float, float]], crs: str) -> None:
    if not new_xy:
        return
    from pyproj import Transformer

    ids = list(new_xy)
    xy = np.asarray([new_xy[i] for i in ids])
    lon, lat = Transformer.from_crs(crs, 4326, always_xy=True).transform(xy[:, 0], xy[:, 1])
    for i, node in enumerate(ids):
        H.add_node(node, x=float(xy[i, 0]), y=float(xy[i, 1]), lon=float(lon[i]), lat=float(lat[i]))
