"""Tests of parcs._snap: nearest point on the nearest edge (hand-checked on tiny_graph)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from pyproj import Transformer

from parcs.routing._net import edge_index
from parcs.routing._snap import sub_line, to_lonlat, to_projected
from parcs.errors import EmptyAreaError, SnapError


def fraction_from(snap, u):
    """Fraction along the edge measured from node `u` (the index may store either direction)."""
    return snap.fraction if snap.u == u else 1.0 - snap.fraction


def test_snap_middle_of_edge(tiny_graph):
    idx = edge_index(tiny_graph)
    s = idx.snap(690_250.0, 7_032_010.0, max_snap_m=500)
    assert {s.u, s.v} == {1, 2}
    assert fraction_from(s, 1) == pytest.approx(0.25)
    assert s.distance_m == pytest.approx(10.0)
    assert (s.x, s.y) == pytest.approx((690_250.0, 7_032_000.0))


def test_snap_to_node_end(tiny_graph):
    s = edge_index(tiny_graph).snap(689_990.0, 7_032_020.0, max_snap_m=500)
    assert s.distance_m == pytest.approx((10**2 + 20**2) ** 0.5)
    end = s.u if s.fraction == 0.0 else s.v
    assert end == 1
    assert s.fraction in (0.0, 1.0)


def test_snap_too_far(tiny_graph):
    with pytest.raises(SnapError, match=r"is 2,500 m from the nearest path") as err:
        edge_index(tiny_graph).snap(692_000.0, 7_028_500.0, max_snap_m=100, label="`dest`")
    assert err.value.distance_m == pytest.approx(2500.0)
    assert "`dest`" in str(err.value)


def test_exclude_connectors(tiny_graph):
    # next to the 3-6 connector; without connectors the nearest is node 3, end of 2-3
    pt = (692_010.0, 7_031_500.0)
    s = edge_index(tiny_graph).snap(*pt, max_snap_m=500)
    assert {s.u, s.v} == {3, 6}
    assert s.distance_m == pytest.approx(10.0)
    s = edge_index(tiny_graph, exclude_connectors=True).snap(*pt, max_snap_m=5000)
    assert {s.u, s.v} == {2, 3}
    assert fraction_from(s, 2) == pytest.approx(1.0)
    assert s.distance_m == pytest.approx((10**2 + 500**2) ** 0.5)


def test_empty_graph():
    with pytest.raises(EmptyAreaError, match="no edge"):
        edge_index(nx.MultiDiGraph(crs="EPSG:2154")).snap(0, 0, max_snap_m=1)


def test_projection_round_trip(tiny_graph):
    lon, lat = to_lonlat(tiny_graph, 690_000.0, 7_032_000.0)
    ref = Transformer.from_crs(2154, 4326, always_xy=True).transform(690_000.0, 7_032_000.0)
    assert (lon, lat) == pytest.approx(ref)
    assert to_projected(tiny_graph, lon, lat) == pytest.approx((690_000.0, 7_032_000.0), abs=1e-6)


def test_sub_line(tiny_graph):
    line = tiny_graph.edges[1, 2, 0]["geometry"]
    # pytest.approx does not take nested sequences (pytest >= 9.2): compare flat arrays
    assert np.ravel(sub_line(line, 0.25, 0.5)) == pytest.approx([690_250, 7_032_000, 690_500, 7_032_000])
    assert np.ravel(sub_line(line, 0.5, 0.25)) == pytest.approx([690_500, 7_032_000, 690_250, 7_032_000])
    assert len(sub_line(line, 0.3, 0.3)) == 1
