"""The embedded Chaîne des parcs network, built from the official layers in ``data/``.

No OpenStreetMap extract of the Artois ships with parcs, so the default network is made from
the official inventories (see ``data/PROVENANCE.md``):

* the Mission Bassin Minier's *cavaliers* (former mining-railway alignments) inside the three
  agglomerations, 437.6 km;
* EuroVélo 5 (OSM relation 5245117, 2022) inside the agglomerations, 82.7 km.

How the graph is built (:func:`build_network`):

1. Both layers are projected to Lambert-93 (EPSG:2154) and split into simple lines.
2. **EV5 on cavaliers.** Where EV5 runs within ``ev5_overlap_m`` of a cavalier, the EV5 line is
   dropped and the cavalier edge is marked ``eurovelo=True``: one edge carries both. The EV5
   pieces that remain are joined to the cavalier where they leave it.
3. **Snapping.** Every line end lying within ``snap_tolerance_m`` of another line is joined to
   the nearest point of that line (digitising gaps, level crossings). The default, 25 m, comes
   from the measurements in ``docs/network.md``.
4. **Noding.** All lines are split where they cross or touch (``shapely.union_all``) and the
   attributes of each piece are recovered from the line it came from.
5. **Degree-2 chains** are merged into one edge with the full geometry, unless the attributes
   (``kind``, ``eurovelo``, ``name``) change there, as ``osmnx.simplify_graph`` does with
   ``edge_attrs_differ``.
6. **Gap connectors.** Components still separated by at most ``max_gap_m`` are joined,
   shortest gap first (a minimum spanning forest of the gaps), by straight
   ``kind="connector"``, ``built=False`` edges whose travelled length ``est_length`` is the
   straight length times ``detour_factor``. They are what the missing-links analysis ranks.
7. **Places.** Terrils, espaces néo-naturels and communes become places with their access
   nodes (:func:`places`, :func:`find_place`).
"""

from __future__ import annotations

import difflib
import hashlib
import os
import pickle
import re
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from parcs import _data
from parcs._atomic import write_bytes
from parcs._log import logger
from parcs.errors import DataError, EmptyAreaError, PlaceNotFoundError, ValidationError

if TYPE_CHECKING:
    import geopandas as gpd
    import networkx as nx
    import pandas as pd

__all__ = [
    "DEFAULT_DETOUR_FACTOR",
    "DEFAULT_MAX_GAP_M",
    "DEFAULT_SNAP_TOLERANCE_M",
    "build_network",
    "find_place",
    "load_network",
    "normalize_name",
    "places",
]

CRS = "EPSG:2154"
#: Line ends closer than this to another line are joined (see docs/network.md for the
#: measurements behind the choice).
DEFAULT_SNAP_TOLERANCE_M = 25.0
#: Largest straight gap bridged by an unbuilt connector edge.
DEFAULT_MAX_GAP_M = 1000.0
#: Travelled length of a connector = straight length × this factor. 1.3 is the usual
#: network-to-crow-fly ratio of short urban/peri-urban trips (Vybornova et al. 2022 use a
#: detour threshold of the same order to flag missing links).
DEFAULT_DETOUR_FACTOR = 1.3
#: EV5 within this distance of a cavalier is taken to run on it.
DEFAULT_EV5_OVERLAP_M = 20.0
#: Network nodes within this distance of a park or terril are its access nodes.
DEFAULT_ACCESS_M = 300.0

_PLACE_KIND_ORDER = {"commune": 0, "espace_neonaturel": 1, "terril": 2}
_CACHE_VERSION = 1


# --------------------------------------------------------------------------- reading


def _read_layer(name: str) -> gpd.GeoDataFrame:
    import geopandas as gpd  # noqa: PLC0415
    import pyogrio.errors  # noqa: PLC0415

    path = _data.get_path(name)
    if not path.exists():
        msg = f"embedded layer {name!r} is missing: {path} does not exist; reinstall parcs"
        raise DataError(msg)
    try:
        gdf = gpd.read_file(path)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError) as err:
        msg = f"cannot read embedded layer {name!r} ({path}): {err}; the file is malformed"
        raise DataError(msg) from err
    if gdf.crs is None:
        msg = f"layer {name!r} ({path}) has no CRS; expected EPSG:4326 GeoJSON"
        raise DataError(msg)
    return gdf.to_crs(CRS)


def _lines(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = gdf.explode(index_parts=False, ignore_index=True)
    out = out[out.geom_type == "LineString"]
    return out[out.length > 0].reset_index(drop=True)


# --------------------------------------------------------------------------- building


def _ev5_remainder(
    cav: gpd.GeoDataFrame, ev: gpd.GeoDataFrame, overlap_m: float
) -> tuple[list[Any], list[Any], Any]:
    """EV5 pieces not on a cavalier, plus short links where they leave a cavalier."""
    import shapely  # noqa: PLC0415

    cav_union = shapely.union_all(cav.geometry.to_numpy())
    cav_buf = shapely.buffer(cav_union, overlap_m, cap_style="flat")
    rest = shapely.get_parts(shapely.difference(shapely.union_all(ev.geometry.to_numpy()), cav_buf))
    rest = [g for g in shapely.get_parts(shapely.line_merge(shapely.multilinestrings(rest))) if g.length > overlap_m]
    links = []
    for line in rest:
        for end in (shapely.get_point(line, 0), shapely.get_point(line, -1)):
            if shapely.distance(end, cav_union) <= overlap_m + 1.0:
                link = shapely.shortest_line(end, cav_union)
                if link.length > 0:
                    links.append(link)
    ev_buf = shapely.buffer(shapely.union_all(ev.geometry.to_numpy()), overlap_m, cap_style="flat")
    return rest, links, ev_buf


def _snap_segments(lines: np.ndarray, tolerance: float) -> tuple[np.ndarray, np.ndarray]:
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


def _node_lines(
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


def _merge_chains(G: nx.MultiGraph, keys: tuple[str, ...]) -> nx.MultiGraph:
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


def _gap_connectors(
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


def _file_digest() -> str:
    h = hashlib.sha1(usedforsecurity=False)
    for name in sorted(_data.FILES):
        path = _data.get_path(name)
        if not path.exists():
            msg = f"embedded layer {name!r} is missing: {path} does not exist; reinstall parcs"
            raise DataError(msg)
        h.update(name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _check_positive(name: str, value: float) -> None:
    if not (isinstance(value, (int, float)) and np.isfinite(value) and value > 0):
        msg = f"`{name}` must be a positive number of metres, got {value!r}"
        raise ValidationError(msg)


def build_network(
    *,
    snap_tolerance_m: float = DEFAULT_SNAP_TOLERANCE_M,
    max_gap_m: float = DEFAULT_MAX_GAP_M,
    detour_factor: float = DEFAULT_DETOUR_FACTOR,
    ev5_overlap_m: float = DEFAULT_EV5_OVERLAP_M,
    access_m: float = DEFAULT_ACCESS_M,
    connectors: bool = True,
) -> nx.MultiDiGraph:
    """Build the embedded Chaîne des parcs network from the official layers.

    Parameters
    ----------
    snap_tolerance_m
        Line ends within this distance of another line are joined to it (metres, > 0).
        Default 25 m: see ``docs/network.md`` for the measured effect of 1–100 m.
    max_gap_m
        Largest straight gap bridged by an unbuilt ``connector`` edge (metres, > 0).
    detour_factor
        Travelled length of a connector = straight length × `detour_factor` (>= 1).
    ev5_overlap_m
        EuroVélo 5 within this distance of a cavalier is taken to run on it.
    access_m
        Network nodes within this distance of a park or terril are its access nodes.
    connectors
        Add the gap connectors (True) or return only the built alignments (False).

    Returns
    -------
    networkx.MultiDiGraph
        The graph described in ``docs/graph-format.md``, with places in
        ``G.graph["parcs_places"]``.

    Raises
    ------
    ValidationError
        If a distance is not a positive number or `detour_factor` < 1.
    DataError
        If an embedded layer is missing or malformed.
    """
    import networkx as nx  # noqa: PLC0415
    import shapely  # noqa: PLC0415
    from pyproj import Transformer  # noqa: PLC0415

    for name, value in (
        ("snap_tolerance_m", snap_tolerance_m),
        ("max_gap_m", max_gap_m),
        ("ev5_overlap_m", ev5_overlap_m),
        ("access_m", access_m),
        ("detour_factor", detour_factor),
    ):
        _check_positive(name, value)
    if detour_factor < 1:
        msg = f"`detour_factor` must be >= 1 (a path is never shorter than a straight line), got {detour_factor!r}"
        raise ValidationError(msg)

    cav = _lines(_read_layer("cavaliers"))
    ev = _lines(_read_layer("eurovelo5"))
    if cav.empty:
        msg = "the cavaliers layer holds no line; the embedded data is damaged, reinstall parcs"
        raise EmptyAreaError(msg)
    ev_rest, ev_links, ev_buf = _ev5_remainder(cav, ev, ev5_overlap_m)

    cav_attrs = [
        {"kind": "cavalier", "name": str(n) if isinstance(n, str) else "", "source": "cavaliers"}
        for n in cav["nom"]
    ]
    ev_attr = {"kind": "eurovelo", "name": "EuroVelo 5", "source": "eurovelo5"}
    geoms = np.concatenate(
        [cav.geometry.to_numpy(), np.array(ev_rest + ev_links, dtype=object)]
    )
    attrs = cav_attrs + [ev_attr] * (len(ev_rest) + len(ev_links))
    snaps, owners = _snap_segments(geoms, snap_tolerance_m)
    geoms = np.concatenate([geoms, snaps])
    attrs = attrs + [attrs[o] for o in owners]
    pieces, piece_attrs = _node_lines(geoms, attrs)

    # nodes from rounded piece ends
    ends = np.concatenate(
        [shapely.get_coordinates(shapely.get_point(pieces, 0)),
         shapely.get_coordinates(shapely.get_point(pieces, -1))]
    )
    keys_xy = np.round(ends, 2)
    uniq, inv = np.unique(keys_xy, axis=0, return_inverse=True)
    inv = inv.ravel()
    m = len(pieces)
    G0 = nx.MultiGraph()
    for i, (x, y) in enumerate(uniq):
        G0.add_node(i, x=float(x), y=float(y))
    on_ev = shapely.length(shapely.intersection(pieces, ev_buf)) >= 0.5 * shapely.length(pieces)
    for j in range(m):
        a = piece_attrs[j]
        ev_flag = a["kind"] == "eurovelo" or bool(on_ev[j])
        G0.add_edge(
            int(inv[j]), int(inv[j + m]), geometry=pieces[j], kind=a["kind"], name=a["name"],
            eurovelo=ev_flag, built=True,
            source=a["source"] if not (ev_flag and a["kind"] == "cavalier") else "cavaliers+eurovelo5",
        )
    G0.remove_edges_from([(u, v, k) for u, v, k in G0.edges(keys=True) if u == v and G0.edges[u, v, k]["geometry"].length < 1])
    H = _merge_chains(G0, ("kind", "eurovelo", "name", "source"))

    n_gaps = 0
    if connectors:
        next_id = max(H.nodes) + 1
        for node, edge, line in _gap_connectors(H, max_gap_m):
            if not H.has_edge(*edge):  # edge split by an earlier connector: find its piece
                cands = [
                    (u, v, k) for u, v, k, g in H.edges(keys=True, data="geometry")
                    if g.distance(line.boundary.geoms[-1]) < 1e-3
                ]
                if not cands:
                    continue
                edge = cands[0]
            target = _split_edge_at(H, edge, shapely.get_point(line, -1), next_id)
            next_id += 1
            geom = shapely.LineString(
                [(H.nodes[node]["x"], H.nodes[node]["y"]), (H.nodes[target]["x"], H.nodes[target]["y"])]
            )
            if geom.length == 0:
                continue
            H.add_edge(node, target, geometry=geom, kind="connector", name="", eurovelo=False,
                       built=False, source="gap")
            n_gaps += 1

    # relabel nodes 0..n-1 in spatial order (deterministic ids)
    order = sorted(H.nodes, key=lambda n: (round(H.nodes[n]["x"], 2), round(H.nodes[n]["y"], 2)))
    mapping = {old: new for new, old in enumerate(order)}
    to_wgs = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    G = nx.MultiDiGraph(
        crs=CRS,
        name="Chaîne des parcs: embedded official layers (cavaliers + EuroVélo 5)",
        source="embedded",
        snap_tolerance_m=float(snap_tolerance_m),
        max_gap_m=float(max_gap_m),
        detour_factor=float(detour_factor),
    )
    xs = np.array([H.nodes[n]["x"] for n in order])
    ys = np.array([H.nodes[n]["y"] for n in order])
    lons, lats = to_wgs.transform(xs, ys)
    for i in range(len(order)):
        G.add_node(i, x=float(xs[i]), y=float(ys[i]), lon=float(lons[i]), lat=float(lats[i]))
    for u, v, data in H.edges(data=True):
        a, b = mapping[u], mapping[v]
        line = data["geometry"]
        x0, y0 = line.coords[0]
        x1, y1 = line.coords[-1]
        ax, ay = G.nodes[a]["x"], G.nodes[a]["y"]
        if np.hypot(x0 - ax, y0 - ay) > np.hypot(x1 - ax, y1 - ay):
            line = shapely.reverse(line)
        length = float(line.length)
        attrs = {
            "length": length,
            "est_length": length * (1.0 if data["built"] else float(detour_factor)),
            "kind": data["kind"],
            "eurovelo": bool(data["eurovelo"]),
            "routes": "EV5" if data["eurovelo"] else "",
            "name": data["name"],
            "source": data["source"],
            "built": bool(data["built"]),
            "surface": "",
        }
        G.add_edge(a, b, geometry=line, **attrs)
        G.add_edge(b, a, geometry=shapely.reverse(line), **attrs)
    for n in G.nodes:
        G.nodes[n]["street_count"] = len(set(G.successors(n)) - {n}) + (1 if G.has_edge(n, n) else 0)

    G.graph["parcs_places"] = _build_places(G, access_m=access_m)
    logger.info(
        "built embedded network: %d nodes, %d edges, %d gap connectors, %d places",
        G.number_of_nodes(), G.number_of_edges(), n_gaps, len(G.graph["parcs_places"]),
    )
    return G


# --------------------------------------------------------------------------- places


def normalize_name(text: str) -> str:
    """Fold `text` for matching: no accents, lower case, single spaces, common words kept."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("œ", "oe").replace("Œ", "oe").lower()
    text = re.sub(r"[^a-z0-9/]+", " ", text)
    return " ".join(text.split())


def _slug(kind: str, name: str, used: set[str]) -> str:
    base = f"{kind}:{normalize_name(name).replace(' ', '-').replace('/', '-')}"
    slug, i = base, 2
    while slug in used:
        slug, i = f"{base}-{i}", i + 1
    used.add(slug)
    return slug


def _build_places(G: nx.MultiDiGraph, *, access_m: float) -> gpd.GeoDataFrame:
    import geopandas as gpd  # noqa: PLC0415
    import pandas as pd  # noqa: PLC0415
    import shapely  # noqa: PLC0415

    ter = _read_layer("terrils")
    esp = _read_layer("espaces_neonaturels")
    com = _read_layer("communes")
    frames = [
        pd.DataFrame({
            "name": ter["nom"].astype(str),
            "kind": "terril",
            "ref": ter["no_terril"].fillna("").astype(str),
            "alt_name": ter["nom_usuel"].fillna("").astype(str),
            "population": 0,
            "epci": ter["sigle"].astype(str),
            "geometry": ter.geometry.to_numpy(),
        }),
        pd.DataFrame({
            "name": esp["nom"].astype(str),
            "kind": "espace_neonaturel",
            "ref": "",
            "alt_name": "",
            "population": 0,
            "epci": "",
            "geometry": esp.geometry.to_numpy(),
        }),
        pd.DataFrame({
            "name": com["nom"].astype(str),
            "kind": "commune",
            "ref": com["insee"].astype(str),
            "alt_name": "",
            "population": com["population_2026cog"].astype(int),
            "epci": com["epci_sigle"].astype(str),
            "geometry": com.geometry.to_numpy(),
        }),
    ]
    df = pd.concat(frames, ignore_index=True)
    gdf = gpd.GeoDataFrame(df, geometry="geometry", crs=CRS)
    gdf["area_ha"] = gdf.geometry.area / 1e4

    nodes = np.array(list(G.nodes))
    if len(nodes):
        pts = shapely.points(np.array([[G.nodes[n]["x"], G.nodes[n]["y"]] for n in nodes]))
        tree = shapely.STRtree(pts)
    access: list[tuple[int, ...]] = []
    access_dist: list[float] = []
    reached: list[bool] = []
    for geom, kind in zip(gdf.geometry, gdf["kind"], strict=True):
        if not len(nodes):
            access.append(())
            access_dist.append(float("inf"))
            reached.append(False)
            continue
        reach = 0.0 if kind == "commune" else access_m
        idx = tree.query(geom, predicate="dwithin", distance=reach) if reach else tree.query(geom, predicate="intersects")
        if len(idx):
            access.append(tuple(int(nodes[i]) for i in np.sort(idx)))
            access_dist.append(float(shapely.distance(pts[idx], geom).min()))
            reached.append(True)
        else:
            j, d = tree.query_nearest(geom, return_distance=True)
            access.append((int(nodes[j[0]]),))
            access_dist.append(float(d[0]))
            reached.append(False)
    gdf["access_nodes"] = access
    gdf["reached"] = reached
    gdf["access_dist_m"] = access_dist
    used: set[str] = set()
    gdf.index = pd.Index([_slug(k, n, used) for k, n in zip(gdf["kind"], gdf["name"], strict=True)], name="place_id")
    gdf["key"] = [normalize_name(n) for n in gdf["name"]]
    return gdf


def places(G: nx.MultiDiGraph, *, kind: str | None = None) -> gpd.GeoDataFrame:
    """Return the places of `G` (terrils, espaces néo-naturels, communes) as a GeoDataFrame.

    Parameters
    ----------
    G
        A parcs graph (embedded network, or an OSM graph to which places were attached).
    kind
        {"terril", "espace_neonaturel", "commune", "park"} or None for all. ``"park"`` means
        terrils and espaces néo-naturels together.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:2154, one row per place: ``name``, ``kind``, ``geometry``, ``area_ha``,
        ``population``, ``access_nodes``, ``access_dist_m``.

    Raises
    ------
    ValidationError
        If `G` carries no places or `kind` is unknown.
    """
    gdf = G.graph.get("parcs_places")
    if gdf is None:
        msg = (
            "this graph carries no places; use parcs.load_network(), or attach them with "
            "parcs.territory.attach_places(G)"
        )
        raise ValidationError(msg)
    if kind is None:
        return gdf
    if kind == "park":
        return gdf[gdf["kind"].isin(["terril", "espace_neonaturel"])]
    if kind not in _PLACE_KIND_ORDER:
        msg = f"`kind` {kind!r} is not a place kind; choose one of {[*_PLACE_KIND_ORDER, 'park']}"
        raise ValidationError(msg)
    return gdf[gdf["kind"] == kind]


def attach_places(G: nx.MultiDiGraph, *, access_m: float = DEFAULT_ACCESS_M) -> nx.MultiDiGraph:
    """Attach the embedded Artois places to `G` (for example an OSM graph of the area).

    The access nodes are computed on `G`. Returns `G`, modified in place.
    """
    _check_positive("access_m", access_m)
    crs = str(G.graph.get("crs", "")).upper()
    if crs != CRS:
        msg = (
            f"`G` must be in {CRS} (Lambert-93, metres) to attach the Artois places, but its crs "
            f"is {G.graph.get('crs')!r}; project it first with "
            f"osmnx.projection.project_graph(G, to_crs={CRS!r})"
        )
        raise ValidationError(msg)
    G.graph["parcs_places"] = _build_places(G, access_m=access_m)
    return G


def _close_keys(key: str, pool: list[str], *, n: int = 5, cutoff: float = 0.75) -> list[str]:
    """Keys of `pool` closest to `key`, best first.

    A key scores the best :class:`difflib.SequenceMatcher` ratio between `key` and the whole
    key or any run of as many words, so that "glisoire" finds "parc de la glissoire".
    """
    width = max(1, len(key.split()))
    scored = []
    for cand in pool:
        words = cand.split()
        pieces = {cand, *(" ".join(words[i : i + width]) for i in range(max(1, len(words) - width + 1)))}
        best = max(difflib.SequenceMatcher(None, key, p).ratio() for p in pieces)
        if best >= cutoff:  # ties: the closer whole name first
            scored.append((-best, -difflib.SequenceMatcher(None, key, cand).ratio(), cand))
    return [c for *_, c in sorted(scored)[:n]]


def find_place(G: nx.MultiDiGraph, name: str, *, kind: str | None = None) -> pd.Series:
    """Look up one place by name, ignoring accents, case and punctuation.

    ``"kind:name"`` (e.g. ``"terril:11/19 de Lens Est"``, ``"commune:Lens"``) restricts the
    search to one kind, as does `kind`. When several places share a name, communes come first,
    then espaces néo-naturels, then terrils (the largest first). A name that matches no place
    exactly is matched as a unique prefix or substring before failing.

    Parameters
    ----------
    G
        A parcs graph with places.
    name
        The place name (or its INSEE code for a commune, its number for a terril, e.g. "T074").
    kind
        Optional place kind restriction (see :func:`places`).

    Returns
    -------
    pandas.Series
        The place row, with its id as ``.name``.

    Raises
    ------
    PlaceNotFoundError
        If nothing matches; the message lists the closest names.
    """
    if ":" in name and name.split(":", 1)[0] in {*_PLACE_KIND_ORDER, "park"}:
        kind, name = name.split(":", 1)
    gdf = places(G, kind=kind)
    key = normalize_name(name)
    exact = gdf[(gdf["key"] == key) | (gdf["ref"].str.lower() == key) | (gdf["alt_name"].map(normalize_name) == key)]
    if exact.empty:
        for pattern in (rf"(?:^|\s){re.escape(key)}", re.escape(key)):
            hits = gdf[gdf["key"].str.contains(pattern, regex=True)] if key else gdf.iloc[:0]
            if len(hits) == 1 or (len(hits) > 1 and hits["key"].nunique() == 1):
                exact = hits
                break
    if exact.empty:
        close = _close_keys(key, list(dict.fromkeys(gdf["key"])))
        names = [gdf.loc[gdf["key"] == c, "name"].iloc[0] for c in close]
        hint = f" Did you mean: {', '.join(repr(n) for n in names)}?" if names else ""
        msg = f"no place named {name!r}{f' of kind {kind!r}' if kind else ''}.{hint}"
        raise PlaceNotFoundError(msg, name=name, suggestions=tuple(names))
    ranked = exact.assign(_o=exact["kind"].map(_PLACE_KIND_ORDER), _a=-exact["area_ha"]).sort_values(["_o", "_a"])
    return ranked.drop(columns=["_o", "_a"]).iloc[0]


# --------------------------------------------------------------------------- cache


def _cache_dir() -> Path:
    env = os.environ.get("PARCS_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "parcs"


def load_network(
    *,
    snap_tolerance_m: float = DEFAULT_SNAP_TOLERANCE_M,
    max_gap_m: float = DEFAULT_MAX_GAP_M,
    detour_factor: float = DEFAULT_DETOUR_FACTOR,
    connectors: bool = True,
    cache: bool = True,
) -> nx.MultiDiGraph:
    """Return the embedded Chaîne des parcs network as an osmnx-style graph.

    The first call builds it from the official layers (:func:`build_network`, about 1–2 s) and
    stores it in the user cache (``$PARCS_CACHE_DIR`` or ``~/.cache/parcs``); later calls with
    the same parameters and data load it from there. The cache key includes a hash of the data
    files, of this module's code and the parcs version, so it never serves a stale network.

    Parameters
    ----------
    snap_tolerance_m, max_gap_m, detour_factor, connectors
        See :func:`build_network`.
    cache
        Read and write the on-disk cache (a failure to write it is ignored).

    Returns
    -------
    networkx.MultiDiGraph
        See ``docs/graph-format.md``.

    Examples
    --------
    >>> import parcs
    >>> G = parcs.load_network()
    >>> G.graph["crs"]
    'EPSG:2154'
    """
    from parcs import __version__  # noqa: PLC0415

    for name, value in (("snap_tolerance_m", snap_tolerance_m), ("max_gap_m", max_gap_m)):
        _check_positive(name, value)
    kwargs = {
        "snap_tolerance_m": float(snap_tolerance_m),
        "max_gap_m": float(max_gap_m),
        "detour_factor": float(detour_factor),
        "connectors": bool(connectors),
    }
    if not cache:
        return build_network(**kwargs)  # type: ignore[arg-type]
    key = hashlib.sha1(
        repr((
            _CACHE_VERSION, __version__, _file_digest(), sorted(kwargs.items()),
            hashlib.sha1(Path(__file__).read_bytes(), usedforsecurity=False).hexdigest(),
        )).encode(),
        usedforsecurity=False,
    ).hexdigest()[:16]
    path = _cache_dir() / f"network-{key}.pickle"
    if path.exists():
        try:
            with path.open("rb") as fh:
                G = pickle.load(fh)  # noqa: S301 - our own cache file
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError) as err:
            logger.warning("ignoring unreadable network cache %s: %s", path, err)
        else:
            logger.info("loaded embedded network from cache %s", path)
            return G  # type: ignore[no-any-return]
    G = build_network(**kwargs)  # type: ignore[arg-type]
    try:
        write_bytes(path, pickle.dumps(G, protocol=pickle.HIGHEST_PROTOCOL))
    except OSError as err:
        logger.warning("could not write the network cache %s: %s", path, err)
    return G
