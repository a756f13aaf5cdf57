"""Round-trip search (private helper of :func:`parcs.routing.round_trip`).

A candidate loop is a regular polygon through the start: ``k`` vertices (the start plus
``k - 1`` via points, ``k`` in {2, 3, 4}; ``k = 2`` goes to the opposite point and back by
another way) on a circle of radius ``R`` whose centre lies at a
seeded random bearing from the start. Its perimeter is ``2 k R sin(pi / k)``; ``R`` starts so
that perimeter × 1.3 (a typical network detour) equals the target length and is rescaled by
target / actual up to three times. Each via is the reachable network node nearest to its
vertex. The legs start → v1 → … → start are cheapest paths on the profile cost, and every edge
used by a leg costs ``_REUSE_PENALTY`` times more for the following legs, so the way back
avoids the way out when it can.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from parcs.routing import FloatArray, IntArray, _Endpoint, _Leg, _Net

_DETOUR = 1.3
_REUSE_PENALTY = 4.0
_RESCALES = 3


@dataclass
class LoopCandidate:
    """A loop found by the search."""

    legs: list[_Leg]
    vias: list[int]
    length_m: float
    repeat: float
    score: float
    edges: IntArray  # canonical edge ids ridden (unique)
    metres: FloatArray  # metres ridden on each of `edges`


def edge_ids(net: _Net) -> IntArray:
    """Return a canonical undirected edge id per arc (both directions share it)."""
    t, h, k = net.tails, net.indices, np.asarray(net.csr.arc_key, dtype=np.int64)
    lo, hi = np.minimum(t, h), np.maximum(t, h)
    order = np.lexsort((k, hi, lo))
    keys = np.column_stack([lo, hi, k])[order]
    new = np.ones(len(order), dtype=bool)
    if len(order) > 1:
        new[1:] = np.any(keys[1:] != keys[:-1], axis=1)
    ids_sorted = np.cumsum(new) - 1
    eid = np.empty(len(order), dtype=np.int64)
    eid[order] = ids_sorted
    return eid


def cycle_nodes(net: _Net, w: FloatArray) -> npt.NDArray[np.bool_]:
    """Mark the nodes that touch an edge lying on a cycle (not a bridge) of the usable network.

    Via points are drawn among them: a via on a dead-end spur forces riding the spur twice.
    """
    import networkx as nx  # noqa: PLC0415

    ok = np.isfinite(w) & (net.tails != net.indices)
    t, h = net.tails[ok], net.indices[ok]
    lo, hi = np.minimum(t, h), np.maximum(t, h)
    pairs, counts = np.unique(np.column_stack([lo, hi]), axis=0, return_counts=True)
    H = nx.Graph()
    H.add_edges_from(map(tuple, pairs.tolist()))
    bridges = {(min(a, b), max(a, b)) for a, b in nx.bridges(H)}
    mark = np.zeros(net.n, dtype=bool)
    for (a, b), c in zip(pairs.tolist(), counts.tolist(), strict=True):
        # a pair stored as 2 arcs is one undirected edge; more arcs mean parallel edges (a cycle)
        if (a, b) not in bridges or c > 2:  # noqa: PLR2004
            mark[a] = mark[b] = True
    return mark


def find_loops(  # noqa: C901, PLR0912, PLR0915
    net: _Net,
    ep: _Endpoint,
    *,
    length_m: float,
    n: int,
    seed: int,
    tolerance: float,
    max_repeat: float,
    tries: int,
    reachable: IntArray,
    dist0: FloatArray,
) -> tuple[list[LoopCandidate], float, float]:
    """Search loops; return the valid candidates (best first), and the longest loop tried.

    Two ways of picking via points alternate: *polygon* (geometric, see the module
    docstring) and *band*: the first via is drawn among the candidate nodes whose network
    distance from the start (`dist0`) is close to a share of the target (0.4 for an
    out-and-back-by-another-way loop, 0.3 for a triangle), the second (triangle) is the
    candidate at a similar distance whose bearing is closest to 60° from the first.

    The second and third values are the length and repeat share of the longest loop tried
    whose repeat share is within `max_repeat` (0 if none).
    """
    w_len = net.weight("length")
    w_cost = net.weight("cost")
    eid = edge_ids(net)
    n_edges = int(eid.max()) + 1 if len(eid) else 0
    edge_len = np.zeros(n_edges)
    np.maximum.at(edge_len, eid, np.where(np.isfinite(w_len), w_len, 0.0))
    cx = np.asarray(net.csr.x)[reachable]
    cy = np.asarray(net.csr.y)[reachable]
    sx, sy = ep.x, ep.y
    cd = dist0[reachable]
    cang = np.arctan2(cy - sy, cx - sx)
    pool_size = max(5, len(reachable) // 20)
    rng = np.random.default_rng(seed)
    lo_m, hi_m = length_m * (1 - tolerance), length_m * (1 + tolerance)
    found: list[LoopCandidate] = []
    seen: set[bytes] = set()
    longest = (0.0, 0.0)

    def nearest(px: float, py: float) -> int:
        return int(np.argmin((cx - px) ** 2 + (cy - py) ** 2))

    def polygon_vias(theta: float, k: int, scale: float) -> list[int]:
        radius = scale * length_m / (_DETOUR * 2 * k * math.sin(math.pi / k))
        ccx, ccy = sx + radius * math.cos(theta), sy + radius * math.sin(theta)
        return [
            nearest(
                ccx + radius * math.cos(theta + math.pi + 2 * math.pi * j / k),
                ccy + radius * math.sin(theta + math.pi + 2 * math.pi * j / k),
            )
            for j in range(1, k)
        ]

    def band_vias(pick: float, side: float, k: int, scale: float) -> list[int]:
        target = scale * length_m * (0.4 if k == 2 else 0.3)  # noqa: PLR2004
        order = np.argsort(np.abs(cd - target), kind="stable")[:pool_size]
        first = int(order[min(len(order) - 1, int(pick * len(order)))])
        if k == 2:  # noqa: PLR2004
            return [first]
        turn = np.angle(np.exp(1j * (cang - cang[first] - side * math.pi / 3)))
        score = np.abs(cd - target) / max(target, 1.0) + np.abs(turn) / (math.pi / 3)
        score[first] = np.inf
        return [first, int(np.argmin(score))]

    for i in range(tries):
        theta = float(rng.uniform(0.0, 2.0 * math.pi))
        pick = float(rng.uniform())
        side = 1.0 if rng.uniform() < 0.5 else -1.0  # noqa: PLR2004
        strategy = i % 4
        scale = 1.0
        for _ in range(_RESCALES):
            if strategy == 0:
                picked = polygon_vias(theta, 3, scale)
            elif strategy == 1:
                picked = band_vias(pick, side, 2, scale)
            elif strategy == 2:  # noqa: PLR2004
                picked = polygon_vias(theta, 4, scale)
            else:
                picked = band_vias(pick, side, 3, scale)
            vias: list[int] = []
            for j in picked:
                node = int(reachable[j])
                if (not vias or vias[-1] != node) and node not in ep.nodes:
                    vias.append(node)
            cand = _evaluate(net, ep, vias, w_cost, w_len, eid, edge_len) if vias else None
            if cand is None:
                break
            if cand.length_m > 0 and cand.repeat <= max_repeat and cand.length_m > longest[0]:
                longest = (cand.length_m, cand.repeat)
            if lo_m <= cand.length_m <= hi_m:
                if cand.repeat <= max_repeat:
                    sig = cand.edges.tobytes()
                    if sig not in seen:
                        seen.add(sig)
                        cand.score = abs(cand.length_m - length_m) / length_m + cand.repeat
                        found.append(cand)
                break
            if cand.length_m <= 0:
                scale *= 2.0
            else:
                scale *= min(3.0, max(1.0 / 3.0, length_m / cand.length_m))
        if len(found) >= 4 * n:
            break
    found.sort(key=lambda c: c.score)
    return found, longest[0], longest[1]


def _evaluate(  # noqa: PLR0917
    net: _Net,
    ep: _Endpoint,
    vias: list[int],
    w_cost: FloatArray,
    w_len: FloatArray,
    eid: IntArray,
    edge_len: FloatArray,
) -> LoopCandidate | None:
    """Chain the legs through `vias` with reuse penalties; None if a leg is impossible."""
    w = w_cost.copy()
    legs: list[_Leg] = []
    points = [
        ep,
        *(net.node_endpoint(v, f"via {c}") for v, c in zip(vias, "ABCDEFG", strict=False)),
        ep,
    ]
    for o, d in itertools.pairwise(points):
        leg, _ = net.search(o, d, w)
        if leg is None:
            return None
        legs.append(leg)
        arcs = np.asarray([a for a, _f0, _f1 in leg.pieces], dtype=np.int64)
        if len(arcs):
            w[np.isin(eid, eid[arcs])] *= _REUSE_PENALTY
    arcs = np.asarray([a for leg in legs for a, _f0, _f1 in leg.pieces], dtype=np.int64)
    frac = np.asarray([f1 - f0 for leg in legs for _a, f0, f1 in leg.pieces], dtype=np.float64)
    if len(arcs) == 0:
        return LoopCandidate(legs, vias, 0.0, 0.0, 0.0, np.empty(0, np.int64), np.empty(0))
    metres = frac * w_len[arcs]
    ids, inv = np.unique(eid[arcs], return_inverse=True)
    ridden = np.bincount(inv, weights=metres).astype(np.float64)
    total = float(metres.sum())
    extra = np.maximum(0.0, ridden - edge_len[ids] * (1 + 1e-9)).sum()
    repeat = float(extra) / total if total > 0 else 0.0
    return LoopCandidate(legs, vias, total, repeat, 0.0, ids.astype(np.int64), ridden)


def overlap(a: LoopCandidate, b: LoopCandidate) -> float:
    """Share of `a`'s length also ridden by `b`."""
    if a.length_m <= 0:
        return 1.0
    common, ia, ib = np.intersect1d(a.edges, b.edges, assume_unique=True, return_indices=True)
    if len(common) == 0:
        return 0.0
    return float(np.minimum(a.metres[ia], b.metres[ib]).sum()) / a.length_m
