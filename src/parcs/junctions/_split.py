"""Cut long edges into equal pieces so that junctions can sit part-way along them (private)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import shapely
from shapely.geometry import LineString
from shapely.ops import substring

from parcs._log import logger

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import networkx as nx

__all__ = ["Split", "edge_line", "edge_weight", "split_long_edges"]


def edge_line(G: nx.MultiDiGraph, u: int, v: int, data: Mapping[str, Any]) -> LineString:
    """Return the edge geometry oriented u -> v (a straight line when the edge has none)."""
    line = data.get("geometry")
    if line is None:
        pu, pv = G.nodes[u], G.nodes[v]
        line = LineString([(pu["x"], pu["y"]), (pv["x"], pv["y"])])
    return line


def edge_weight(line: LineString, data: Mapping[str, Any]) -> float:
    """Return the metres the design measures on an edge (``est_length``, else ``length``)."""
    return float(data.get("est_length", data.get("length", line.length)))


@dataclass
class Split:
    """Long edges cut by :func:`split_long_edges`.

    ``chains[(u, v)]`` lists the inserted node ids met going from u to v (both directions are
    stored) for the shortest edge between u and v, so that a route computed on the original
    graph can be replayed on the split one; ``edges`` counts the undirected edges cut and
    ``nodes`` the nodes inserted.
    """

    chains: dict[tuple[int, int], list[int]] = field(default_factory=dict)
    edges: int = 0
    nodes: int = 0


def _long_edges(
    G: nx.MultiDiGraph,
    *,
    max_edge_m: float,
    built_only: bool,
    only: set[tuple[int, int, int]] | None = None,
) -> list[tuple[int, int, int, int]]:
    """Return ``(min id, max id, key, pieces)`` of the edges to cut, sorted."""
    todo: list[tuple[int, int, int, int]] = []
    if only is not None:
        edges = [
            (a, b, k, G.edges[a, b, k] if G.has_edge(a, b, k) else G.edges[b, a, k])
            for a, b, k in sorted(only)
        ]
    else:
        edges = list(G.edges(keys=True, data=True))
    for u, v, k, data in edges:
        if u == v or (built_only and not data.get("built", True)):
            continue
        a, b = (u, v) if u < v else (v, u)
        if (u, v) != (a, b) and G.has_edge(a, b, k):
            continue  # the (a, b) copy is the canonical one
        pieces = math.ceil(edge_weight(edge_line(G, u, v, data), data) / max_edge_m - 1e-9)
        if pieces >= 2:  # noqa: PLR2004
            todo.append((int(a), int(b), int(k), pieces))
    return sorted(todo)


def _cut_line(line: LineString, ends: Sequence[tuple[float, float]]) -> list[LineString]:
    """Cut `line` at equal fractions; ``ends`` are the exact coordinates of the cut points."""
    pieces = len(ends) + 1
    parts: list[LineString] = []
    for i in range(pieces):
        part = substring(line, i / pieces, (i + 1) / pieces, normalized=True)
        coords = [tuple(c) for c in part.coords]
        if i > 0:  # each piece starts and ends exactly at the new nodes
            coords[0] = ends[i - 1]
        if i < pieces - 1:
            coords[-1] = ends[i]
        parts.append(LineString(coords))
    return parts


def split_long_edges(
    G: nx.MultiDiGraph,
    *,
    max_edge_m: float,
    built_only: bool,
    only: set[tuple[int, int, int]] | None = None,
) -> tuple[nx.MultiDiGraph, Split]:
    """Return a copy of `G` where edges longer than `max_edge_m` are cut into equal pieces.

    A junction is always a graph node, and the network builder merges degree-2 chains into
    single edges, so a long edge offers no place for a junction. Each edge (``est_length``, the
    length the design measures) longer than `max_edge_m` is cut into
    ``ceil(est_length / max_edge_m)`` pieces of equal length: new nodes are placed at equal
    fractions of its geometry (``shapely`` ``line_interpolate_point``/``substring``), the
    pieces keep every attribute of the edge with ``geometry`` oriented from tail to head and
    ``length``/``est_length`` split in proportion, in both stored directions (key 0). New
    nodes get negative ids (the OpenStreetMap convention for new objects), -1, -2, ... below
    the smallest id of `G` (and below 0), numbered in the order of the edges
    ``(min id, max id, key)`` and from the smaller end id; they carry ``x``, ``y``, ``lon``,
    ``lat`` and ``street_count=2``. Edges ignored by the design (gap connectors with
    `built_only`, self-loops) are left whole; with `only`, just those edges
    ``(min id, max id, key)`` are considered. `G` is not modified; it is returned itself
    when no edge is cut.
    """
    from pyproj import Transformer  # noqa: PLC0415

    info = Split()
    todo = _long_edges(G, max_edge_m=max_edge_m, built_only=built_only, only=only)
    if not todo:
        return G, info
    H = G.copy()
    to_wgs = Transformer.from_crs(str(G.graph.get("crs", "EPSG:2154")), 4326, always_xy=True)
    next_id = min(0, *(int(n) for n in G.nodes)) - 1
    for a, b, k, pieces in todo:
        # canonical direction: a -> b when stored, else b -> a (edge stored one way only)
        u, v = (a, b) if G.has_edge(a, b, k) else (b, a)
        line = edge_line(G, u, v, G.edges[u, v, k])
        fracs = [i / pieces for i in range(pieces + 1)]
        cuts = shapely.line_interpolate_point(line, fracs[1:-1], normalized=True).tolist()
        new = list(range(next_id, next_id - (pieces - 1), -1))
        next_id -= pieces - 1
        for n, pt in zip(new, cuts, strict=True):
            lon, lat = to_wgs.transform(pt.x, pt.y)
            H.add_node(n, x=pt.x, y=pt.y, lon=float(lon), lat=float(lat), street_count=2)
        parts = _cut_line(line, [(pt.x, pt.y) for pt in cuts])
        chain = [u, *new, v]
        for s, t, rev in ((u, v, False), (v, u, True)):
            if not G.has_edge(s, t, k):
                continue
            d = G.edges[s, t, k]
            H.remove_edge(s, t, k)
            for i, part in enumerate(parts):
                share = fracs[i + 1] - fracs[i]
                attrs = {**d, "geometry": LineString(part.coords[::-1]) if rev else part}
                attrs["length"] = float(d.get("length", line.length)) * share
                if "est_length" in d:
                    attrs["est_length"] = float(d["est_length"]) * share
                x, y = (chain[i + 1], chain[i]) if rev else (chain[i], chain[i + 1])
                H.add_edge(x, y, 0, **attrs)
        info.edges += 1
        info.nodes += pieces - 1
        # replay map for routes of the original graph: only for the shortest u-v edge
        w = edge_weight(line, G.edges[u, v, k])
        if all(edge_weight(edge_line(G, u, v, dd), dd) >= w for dd in G[u][v].values()):
            info.chains[(u, v)] = new
            info.chains[(v, u)] = new[::-1]
    logger.info(
        "points_noeuds: %d edges longer than %.0f m cut (%d nodes added)",
        info.edges,
        max_edge_m,
        info.nodes,
    )
    return H, info


