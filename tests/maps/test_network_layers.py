"""The compact network layers: the encoding against a reference encoder, and the drawn edges
against the graph (networkx, pyproj, shapely), on random data, a grid and the real OSM sample.

The grid and the wiggly lines are SYNTHETIC (made here); krems.osm.gz is real OSM data.
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer
from shapely.geometry import LineString, MultiLineString

import parcs
from parcs import maps
from parcs.maps._network import encode_polyline
from tests.maps.pages import (
    decode_polyline,
    encode_polyline_reference,
    layer_calls,
    network_edges,
)
from tests.samples import OSM_SAMPLES, needs_osm_samples

lat_st = st.floats(-85.0, 85.0, allow_nan=False, allow_infinity=False)
lon_st = st.floats(-180.0, 180.0, allow_nan=False, allow_infinity=False)


@settings(deadline=None, max_examples=200)
@given(st.lists(st.tuples(lat_st, lon_st), min_size=1, max_size=60), st.integers(4, 6))
def test_encoding_matches_the_reference_encoder(points, decimals):
    lat = np.array([p[0] for p in points])
    lon = np.array([p[1] for p in points])
    got = encode_polyline(lat, lon, decimals)
    assert got == encode_polyline_reference(points, decimals)
    back = decode_polyline(got, decimals)
    for (la, lo), (la2, lo2) in zip(points, back, strict=True):
        assert la2 == pytest.approx(la, abs=0.5 / 10**decimals + 1e-12)
        assert lo2 == pytest.approx(lo, abs=0.5 / 10**decimals + 1e-12)


def render(m) -> str:
    return m.get_root().render()


def _undirected(G):
    """Each undirected edge once (networkx view of the multigraph: u < v, self-loops once)."""
    return [(u, v, d) for u, v, _k, d in G.edges(keys=True, data=True) if u <= v]


def _close(p, q, tol=1.5e-5):
    return abs(p[0] - q[0]) <= tol and abs(p[1] - q[1]) <= tol


def _check_edges_against_graph(G, page, *, tol_m):
    """Match drawn edges one to one with the graph's (name, km, built, end points, shape)."""
    to_wgs = Transformer.from_crs(G.graph["crs"], 4326, always_xy=True)
    to_crs = Transformer.from_crs(4326, G.graph["crs"], always_xy=True)
    todo: dict[tuple, list] = {}
    for u, v, d in _undirected(G):
        a = to_wgs.transform(G.nodes[u]["x"], G.nodes[u]["y"])[::-1]
        b = to_wgs.transform(G.nodes[v]["x"], G.nodes[v]["y"])[::-1]
        name = d.get("name") or ""
        name = "" if isinstance(name, float) and math.isnan(name) else str(name)
        key = (name, round(d["length"] / 10) / 100, bool(d.get("built", True)))
        geom = d.get("geometry") or LineString(
            [(G.nodes[u]["x"], G.nodes[u]["y"]), (G.nodes[v]["x"], G.nodes[v]["y"])]
        )
        todo.setdefault(key, []).append((a, b, geom))
    n_drawn = 0
    for edges in network_edges(page).values():
        for e in edges:
            n_drawn += 1
            first, last = e.parts[0][0], e.parts[-1][-1]
            xy = [to_crs.transform(lon, lat) for part in e.parts for lat, lon in part]
            line = LineString(xy) if len(xy) > 1 else shapely.Point(xy[0])
            pool = todo[(e.name, e.km, e.built)]
            match = next(
                i
                for i, (a, b, geom) in enumerate(pool)
                if (
                    (_close(first, a) and _close(last, b)) or (_close(first, b) and _close(last, a))
                )
                # the display geometry stays within the tolerance (+ ~1 m rounding) of the exact one
                and shapely.hausdorff_distance(line, geom) <= tol_m + 1.5
            )
            pool.pop(match)
    assert n_drawn == len(_undirected(G))
    assert all(not pool for pool in todo.values())


def test_wiggly_edges_simplified_within_tolerance(tiny_graph):
    rng = np.random.default_rng(3)
    for u, v, k, d in list(tiny_graph.edges(keys=True, data=True)):
        if u < v:
            a = np.array([tiny_graph.nodes[u]["x"], tiny_graph.nodes[u]["y"]])
            b = np.array([tiny_graph.nodes[v]["x"], tiny_graph.nodes[v]["y"]])
            t = np.linspace(0, 1, 40)[:, None]
            pts = a + t * (b - a) + rng.normal(scale=4.0, size=(40, 2)) * (t * (1 - t) > 0)
            line = LineString(pts)
            d["geometry"] = line
            tiny_graph.edges[v, u, k]["geometry"] = line.reverse()
    parcs.graph.invalidate(tiny_graph)
    for tol in (0.0, 5.0, 20.0):
        page = render(maps.explore(tiny_graph, tiles=None, places=False, simplify_m=tol))
        _check_edges_against_graph(tiny_graph, page, tol_m=tol)


@needs_osm_samples
def test_real_osm_edges_are_drawn_once_each():
    G = parcs.graph_from_osm(path=OSM_SAMPLES / "krems.osm.gz")
    page = render(maps.explore(G, tiles=None))
    _check_edges_against_graph(G, page, tol_m=maps.DEFAULT_SIMPLIFY_M)
    assert "OpenStreetMap" in page  # OSM data: credited


def test_multilinestring_edge_keeps_its_parts(tiny_graph):
    x0, y0 = tiny_graph.nodes[1]["x"], tiny_graph.nodes[1]["y"]
    multi = MultiLineString([[(x0, y0), (x0 + 400, y0)], [(x0 + 600, y0), (x0 + 1000, y0)]])
    tiny_graph.edges[1, 2, 0]["geometry"] = multi
    tiny_graph.edges[2, 1, 0]["geometry"] = multi
    parcs.graph.invalidate(tiny_graph)
    page = render(maps.explore(tiny_graph, tiles=None, places=False))
    edges = [e for layer in network_edges(page).values() for e in layer if e.name == "Cavalier A"]
    assert len(edges) == 1
    assert [len(p) for p in edges[0].parts] == [2, 2]


def _grid(n: int) -> nx.MultiDiGraph:
    """A SYNTHETIC n x n grid with 100 m edges in Lambert-93."""
    G = nx.MultiDiGraph(crs="EPSG:2154")
    for i in range(n):
        for j in range(n):
            G.add_node(i * n + j, x=650_000.0 + 100 * i, y=7_000_000.0 + 100 * j)
    for i in range(n):
        for j in range(n):
            for di, dj in ((1, 0), (0, 1)):
                if i + di < n and j + dj < n:
                    a, b = i * n + j, (i + di) * n + j + dj
                    G.add_edge(a, b, 0, length=100.0, kind="path", name=f"w{(i + j) % 7}")
                    G.add_edge(b, a, 0, length=100.0, kind="path", name=f"w{(i + j) % 7}")
    return G


def test_large_graphs_use_a_canvas_and_stay_small():
    small = render(maps.explore(_grid(10), tiles=None))
    assert [d["canvas"] for d in layer_calls(small, "lines")] == [False]
    G = _grid(101)  # 2 * 101 * 100 = 20,200 edges
    n_edges = 2 * 101 * 100
    assert n_edges >= maps.CANVAS_MIN_EDGES
    page = render(maps.explore(G, tiles=None))
    assert [d["canvas"] for d in layer_calls(page, "lines")] == [True]
    assert sum(len(e) for e in network_edges(page).values()) == n_edges
    fixed = len(small.encode("utf-8"))  # Leaflet, helpers, one small layer
    per_edge = (len(page.encode("utf-8")) - fixed) / n_edges
    assert per_edge < 30  # bytes per edge (a GeoJSON feature per edge takes ~200)
