"""Geometry of isochrones on arrays (private helper of routing): edge pieces and the area polygon.

:func:`sub_lines` cuts many lines at once (the semantics of ``shapely.ops.substring`` on
fractions of each line's length). :func:`reach_polygon` draws the area within a distance of
many lines on a grid instead of buffering them: a 100k-node isochrone's 12k pieces took
5-8 s as one buffered MultiLineString and 0.55-0.65 s as ``union_all`` of per-edge buffers,
and 0.09 s on the grid (``docs/routing.md``, "Isochrones").
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import shapely

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = ["MAX_CELLS", "reach_polygon", "sub_lines"]

#: The grid of :func:`reach_polygon` has cells of ``buffer_m / 5``, enlarged so that it holds
#: at most this many cells (about 70 MB of work arrays).
MAX_CELLS = 4_000_000
_CELLS_PER_BUFFER = 5


def sub_lines(
    lines: npt.NDArray[np.object_], lo: npt.NDArray[np.float64], hi: npt.NDArray[np.float64]
) -> npt.NDArray[np.object_]:
    """Return the part of each line between fractions ``lo < hi`` of its length.

    As ``shapely.ops.substring(line, lo * L, hi * L)``: the interpolated start point, the
    vertices strictly between, the interpolated end point. Lines of length 0 give None.
    Vertex distances are summed along all the lines at once, so a vertex closer to a cut than
    about ``1e-16`` times the summed length of the lines may land on either side of it.
    """
    lines = np.asarray(lines, dtype=object)
    if len(lines) == 0:
        return np.empty(0, dtype=object)
    coords, owner = shapely.get_coordinates(lines, return_index=True)
    counts = np.bincount(owner, minlength=len(lines))
    first = np.cumsum(counts) - counts
    step = np.zeros(len(coords))
    same = owner[1:] == owner[:-1]
    d = coords[1:] - coords[:-1]
    step[1:] = np.where(same, np.sqrt(d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1]), 0.0)
    run = np.cumsum(step)
    along = run - run[first][owner]  # distance of each vertex from its line's start
    length = np.asarray(shapely.length(lines), dtype=np.float64)
    a, b = lo * length, hi * length
    start = shapely.get_coordinates(shapely.line_interpolate_point(lines, a))
    end = shapely.get_coordinates(shapely.line_interpolate_point(lines, b))
    is_last = np.zeros(len(coords), dtype=bool)
    is_last[first + counts - 1] = True
    inner = ~is_last & (along > a[owner]) & (along < b[owner])
    # each output line: start point, inner vertices, end point
    pts = np.concatenate([start, coords[inner], end])
    idx = np.concatenate([np.arange(len(lines)), owner[inner], np.arange(len(lines))])
    rank = np.concatenate([np.zeros(len(lines)), np.ones(int(inner.sum())), np.full(len(lines), 2)])
    order = np.lexsort((rank, idx))  # stable: inner vertices keep their order
    out = np.asarray(shapely.linestrings(pts[order], indices=idx[order]), dtype=object)
    out[~(length > 0)] = None
    return out


def _samples(lines: npt.NDArray[np.object_], spacing: float) -> npt.NDArray[np.float64]:
    """Points along `lines`, at most `spacing` apart, vertices included."""
    coords, owner = shapely.get_coordinates(lines, return_index=True)
    same = owner[1:] == owner[:-1]
    p0, p1 = coords[:-1][same], coords[1:][same]
    seg = np.hypot(p1[:, 0] - p0[:, 0], p1[:, 1] - p0[:, 1])
    k = np.maximum(1, np.ceil(seg / spacing)).astype(np.int64)
    which = np.repeat(np.arange(len(k)), k)
    t = (np.arange(int(k.sum())) - np.repeat(np.cumsum(k) - k, k)) / k[which]
    inside = p0[which] + t[:, None] * (p1 - p0)[which]
    return np.concatenate([inside, coords])


def reach_polygon(lines: npt.NDArray[np.object_], buffer_m: float) -> shapely.Geometry:
    """Return the area within about `buffer_m` of `lines`, drawn on a grid.

    The lines are sampled every half cell and marked on a grid of square cells of
    ``buffer_m / 5`` (larger when the area would need more than :data:`MAX_CELLS` cells);
    a cell is in the area when its centre lies within `buffer_m` of a marked cell centre
    (``scipy.ndimage.distance_transform_edt``). The cells are merged row by row into
    rectangles, unioned, and simplified by half a cell. The result lies between the exact
    buffers of `lines` by ``buffer_m - 1.5 cells`` and ``buffer_m + 1.5 cells`` (checked in
    ``tests/routing/test_area.py``), so every line is inside.
    """
    from scipy import ndimage  # noqa: PLC0415 - heavy, only for isochrones

    lines = np.asarray(lines, dtype=object)
    lines = lines[~(shapely.is_missing(lines) | shapely.is_empty(lines))]
    if len(lines) == 0:
        return shapely.Polygon()
    x0, y0, x1, y1 = shapely.total_bounds(lines).tolist()
    pad = buffer_m * 1.25
    width, height = x1 - x0 + 2 * pad, y1 - y0 + 2 * pad
    cell = max(buffer_m / _CELLS_PER_BUFFER, math.sqrt(width * height / MAX_CELLS))
    nx_, ny_ = math.ceil(width / cell) + 1, math.ceil(height / cell) + 1
    ox, oy = x0 - pad, y0 - pad
    pts = _samples(lines, cell / 2.0)
    free = np.ones((ny_, nx_), dtype=bool)
    col = ((pts[:, 0] - ox) / cell).astype(np.int64)
    free[((pts[:, 1] - oy) / cell).astype(np.int64), col] = False
    near = ndimage.distance_transform_edt(free) * cell <= buffer_m
    edges = np.diff(np.pad(near.astype(np.int8), ((0, 0), (1, 1))), axis=1)
    row, c0 = np.nonzero(edges == 1)
    _, c1 = np.nonzero(edges == -1)  # same rows, same order (row-major)
    boxes = shapely.box(ox + c0 * cell, oy + row * cell, ox + c1 * cell, oy + (row + 1) * cell)
    area = shapely.union_all(boxes)
    return shapely.simplify(area, cell / 2.0, preserve_topology=True)
