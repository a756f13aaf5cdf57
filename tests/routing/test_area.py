"""Isochrone geometry on arrays: sub_lines against shapely.ops.substring, the grid polygon
against exact buffers (random lines, hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString
from shapely.ops import substring

from parcs.routing._area import reach_polygon, sub_lines

SETTINGS = settings(deadline=None, derandomize=True, max_examples=80)

coord = st.integers(-500_000, 500_000).map(lambda v: v / 1000.0)  # metres, to the millimetre
line = st.lists(st.tuples(coord, coord), min_size=2, max_size=6).map(LineString)


@SETTINGS
@given(lines=st.lists(line, min_size=1, max_size=8), data=st.data())
def test_sub_lines_match_shapely_substring(lines, data):
    lo = np.array([data.draw(st.floats(0.0, 0.9)) for _ in lines])
    hi = np.array([data.draw(st.floats(float(a) + 0.05, 1.0)) for a in lo])
    got = sub_lines(np.array(lines, dtype=object), lo, hi)
    for g, ln, a, b in zip(got, lines, lo, hi, strict=True):
        if not ln.length > 0:
            assert g is None
            continue
        want = substring(ln, a * ln.length, b * ln.length)
        assert shapely.equals_exact(g, want, tolerance=1e-9) or (
            want.geom_type == "Point" and g.length == pytest.approx(0, abs=1e-9)
        )


@SETTINGS
@given(
    lines=st.lists(line, min_size=1, max_size=10),
    buffer_m=st.sampled_from([20.0, 100.0]),
)
def test_reach_polygon_lies_between_exact_buffers(lines, buffer_m):
    lines = [ln for ln in lines if ln.length > 0]
    if not lines:
        return
    arr = np.array(lines, dtype=object)
    poly = reach_polygon(arr, buffer_m)
    cell = buffer_m / 5
    inner = shapely.union_all(shapely.buffer(arr, buffer_m - 1.5 * cell, quad_segs=16))
    outer = shapely.union_all(shapely.buffer(arr, buffer_m + 1.5 * cell, quad_segs=16))
    assert poly.is_valid
    assert poly.buffer(1e-6).covers(inner)
    assert outer.covers(poly)
    assert all(poly.covers(ln) for ln in lines)


def test_reach_polygon_of_nothing_is_empty():
    assert reach_polygon(np.array([None], dtype=object), 50.0).is_empty


def test_reach_polygon_grid_grows_for_huge_areas():
    # two points 400 km apart: with 20 m cells the grid would need 4e8 cells
    lines = np.array([LineString([(0, 0), (400_000, 0)]), LineString([(0, 400_000), (1, 400_000)])])
    poly = reach_polygon(lines, 100.0)
    assert poly.covers(lines[0]) and poly.covers(lines[1])
    assert poly.area < shapely.box(-1000, -1000, 401_000, 401_000).area / 100
