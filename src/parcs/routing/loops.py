"""Round trips: loops of a given length that start and end at the same place.

A candidate loop is a regular polygon through the start: ``k`` vertices (the start plus
``k - 1`` via points, ``k`` in {2, 3, 4}; ``k = 2`` goes to the opposite point and back by
another way) on a circle of radius ``R`` whose centre lies at a seeded random bearing from the
start. Its perimeter is ``2 k R sin(pi / k)``; ``R`` starts so that perimeter × 1.3 (a typical
network detour) equals the target length and is rescaled by target / actual up to three times.
Each via is the reachable network node nearest to its vertex. The legs start → v1 → … → start
are cheapest paths on the profile cost, and every edge used by a leg costs
``_REUSE_PENALTY`` times more for the following legs, so the way back avoids the way out when
it can.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from parcs import graph as _graph
from parcs._log import logger
from parcs._validate import check_count, check_positive
from parcs.errors import LoopError, ValidationError
from parcs.routing._net import Endpoint, Leg, Net

if TYPE_CHECKING:
    import networkx as nx

    from parcs.profiles import Profile
    from parcs.routing.results import Route

__all__ = ["MAX_LOOPS", "MAX_TRIES", "round_trip"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: Largest number of loops one call returns (`n`).
MAX_LOOPS = 20
#: Largest number of candidate loops one call tries (`max_tries`).
MAX_TRIES = 5_000

_DETOUR = 1.3
_REUSE_PENALTY = 4.0
_RESCALES = 3
_NO_MASK = np.empty(0, dtype=np.bool_)
_NO_TARGETS = np.empty(0, dtype=np.int64)
_DISTINCT_OVERLAP = 0.7
_PLACE_STARTS = 4


def round_trip(
    G: nx.MultiDiGraph,
    start: Any,  # noqa: ANN401
    *,
    length_m: float,
    profile: str | Profile = "bike",
    n: int = 3,
    seed: int = 0,
    tolerance: float = 0.10,
    max_repeat: float = 0.20,
    avoid_connectors: bool = False,
    max_snap_m: float = 500.0,
    max_tries: int | None = None,
) -> list[Route]:
    """Find up to `n` loops of about `length_m` starting and ending at `start`.

    Method (module docstring): via points are chosen in two alternating ways, from a seeded
    random generator. *Polygon*: a regular triangle or quadrilateral through the start, its
    centre at a random bearing, sized so that its perimeter × 1.3 (a typical detour) equals
    `length_m`; its other vertices snap to the nearest reachable network node lying on a
    cycle (a via on a dead-end spur forces riding the spur twice). *Band*: one or two via
    nodes whose network distance from the start is about 0.4 (out and back by another way)
    or 0.3 (triangle) of `length_m`. Each candidate is rescaled by target / actual length up
    to three times. The loop chains the cheapest paths start → via … → start; every edge used
    by a leg costs 4× more for the following legs, so the way back differs from the way out.
    A loop is kept if its length is within ``±tolerance`` of `length_m` and at most
    `max_repeat` of its length is ridden more than once; the best loops (closest length, least
    repetition) that share at most 70 % of their length with each other are returned.

    Parameters
    ----------
    G
        A parcs graph.
    start
        A ``(lon, lat)`` tuple, a node id or a place name. A place is tried from up to four
        of its access nodes (in the largest part of the network, on a cycle when possible), so
        loops of one place may start from different access nodes.
    length_m
        Target loop length in metres (``est_length``).
    profile
        {"walk", "bike", "ebike"} or a :class:`parcs.profiles.Profile`.
    n
        Number of loops wanted, 1 to :data:`MAX_LOOPS`; fewer are returned if fewer distinct
        loops are found.
    seed
        Random seed (an integer >= 0): the same seed gives the same loops.
    tolerance
        Allowed relative difference between a loop's length and `length_m`.
    max_repeat
        Largest share of a loop's length that may be ridden twice.
    avoid_connectors
        Never use gap connectors.
    max_snap_m
        Largest allowed distance from a point to the network, in metres.
    max_tries
        Number of candidate loops tried, shared between the start nodes (default ``40 × n``,
        at most :data:`MAX_TRIES`).

    Returns
    -------
    list of Route
        Between 1 and `n` loops, best first.

    Raises
    ------
    LoopError
        If no loop meets the constraints; the message gives the length of network reachable
        from the start and the longest loop found.
    ValidationError
        If an option is out of range.
    """
    target = check_positive("length_m", length_m, unit="metres")
    n = check_count("n", n, lo=1, hi=MAX_LOOPS)
    seed = check_count("seed", seed, lo=0)
    tol = _fraction("tolerance", tolerance, "between 0 and 1 (exclusive)", lambda t: 0 < t < 1)
    rep = _fraction("max_repeat", max_repeat, "in [0, 1)", lambda t: 0 <= t < 1)
    tries = 40 * n if max_tries is None else check_count("max_tries", max_tries, hi=MAX_TRIES)
    net = Net(G, profile=profile, avoid_connectors=avoid_connectors, max_snap_m=max_snap_m)
    ep = net.resolve(start, "start")
    search = _Search(net, target, tol, rep)
    for s_i, start_ep in enumerate(search.starts(ep)):
        search.run(start_ep, n=n, seed=seed + s_i, tries=tries)
    chosen = search.choose(ep, n=n, tries=tries)
    loops = [_route_of(net, cand, ep, start_ep) for cand, start_ep in chosen]
    logger.info(
        "round_trip from %s: %d loop(s) of %s m",
        ep.label,
        len(loops),
        [round(r.length_m) for r in loops],
    )
    return loops


def _fraction(name: str, value: Any, rule: str, ok: Any) -> float:  # noqa: ANN401
    """Return `value` as a float if it is a number for which ``ok(value)`` holds."""
    good = isinstance(value, (int, float, np.number)) and not isinstance(value, bool)
    if not (good and math.isfinite(float(value)) and ok(float(value))):
        msg = f"`{name}` must be {rule}, got {value!r}"
        raise ValidationError(msg)
    return float(value)


class _Search:
    """Loops found from the start nodes of one round-trip call."""

    def __init__(self, net: Net, length_m: float, tolerance: float, max_repeat: float) -> None:
        self.net = net
        self.length_m = length_m
        self.tolerance = tolerance
        self.max_repeat = max_repeat
        self.w_len = net.weight("length")
        self.on_cycle = _cycle_nodes(net, self.w_len)
        self.found: list[tuple[LoopCandidate, Endpoint]] = []
        self.longest_m = 0.0
        self.network_m = 0.0
        self.n_starts = 1

    def starts(self, ep: Endpoint) -> list[Endpoint]:
        """The endpoints to start from: `ep`, or up to four access nodes of a place."""
        starts = [ep]
        if ep.snap is None and len(ep.nodes) > 1:
            nodes = _start_nodes(self.net, ep.nodes, self.w_len, self.on_cycle, k=_PLACE_STARTS)
            starts = [self.net.node_endpoint(i, ep.label) for i in nodes]
        self.n_starts = len(starts)
        return starts

    def run(self, start_ep: Endpoint, *, n: int, seed: int, tries: int) -> None:
        """Search loops from one start node."""
        from parcs._kernels.dijkstra import dijkstra  # noqa: PLC0415 - loads numba

        net, w_len = self.net, self.w_len
        src, off = net.offsets(start_ep, w_len, as_origin=True)
        dist0, _ = dijkstra(
            net.indptr,
            net.indices,
            w_len,
            np.ascontiguousarray(src),
            np.ascontiguousarray(off),
            _NO_TARGETS,
            math.inf,
            _NO_MASK,
        )
        reach = np.isfinite(dist0)
        arc_ok = reach[net.tails] & np.isfinite(w_len)
        network_here = float(w_len[arc_ok].sum()) / 2.0  # both directions stored
        self.network_m = max(self.network_m, network_here)
        if network_here / (1.0 - self.max_repeat) < self.length_m * (1 - self.tolerance):
            return  # too little network there for such a loop
        on = reach & self.on_cycle
        more, longest_here, _rep = _find_loops(
            net,
            start_ep,
            length_m=self.length_m,
            n=n,
            seed=seed,
            tolerance=self.tolerance,
            max_repeat=self.max_repeat,
            tries=max(1, -(-tries // self.n_starts)),
            dist0=dist0,
            reachable=np.flatnonzero(on if on.any() else reach),
        )
        self.found += [(c, start_ep) for c in more]
        self.longest_m = max(self.longest_m, longest_here)

    def choose(self, ep: Endpoint, *, n: int, tries: int) -> list[tuple[LoopCandidate, Endpoint]]:
        """The best distinct loops, or a LoopError saying why there is none."""
        km, tol, rep = self.length_m / 1000, self.tolerance, self.max_repeat
        best_possible = self.network_m / (1.0 - rep)
        if best_possible < self.length_m * (1 - tol):
            msg = (
                f"no loop of {km:.1f} km (±{tol:.0%}) from {ep.label!r}: the network "
                f"reachable from it has only {self.network_m / 1000:.1f} km of paths, so the "
                f"longest possible loop riding at most {rep:.0%} twice is about "
                f"{best_possible / 1000:.1f} km; choose a shorter `length_m` or another start"
            )
            raise LoopError(msg)
        self.found.sort(key=lambda c: c[0].score)
        chosen: list[tuple[LoopCandidate, Endpoint]] = []
        for cand, start_ep in self.found:
            if all(loop_overlap(cand, c) <= _DISTINCT_OVERLAP for c, _ in chosen):
                chosen.append((cand, start_ep))
            if len(chosen) >= n:
                break
        if not chosen:
            longest = (
                f"the longest loop found with at most {rep:.0%} ridden twice was "
                f"{self.longest_m / 1000:.1f} km"
                if self.longest_m > 0
                else f"no loop found rode less than {rep:.0%} of its length twice"
            )
            msg = (
                f"no loop of {km:.1f} km (±{tol:.0%}) with at most {rep:.0%} ridden twice was "
                f"found from {ep.label!r} after {tries} tries; {longest}, and the network "
                f"reachable from the start has {self.network_m / 1000:.1f} km of paths; try "
                "another `length_m`, a larger `max_repeat` or another start"
            )
            raise LoopError(msg)
        return chosen


def _route_of(net: Net, cand: LoopCandidate, ep: Endpoint, start_ep: Endpoint) -> Route:
    xy = (start_ep.x, start_ep.y)
    waypoints = [net.waypoint(ep.label, xy)]
    waypoints += [
        net.waypoint(f"via {c}", net.xy(v)) for v, c in zip(cand.vias, "ABCDEFG", strict=False)
    ]
    waypoints.append(net.waypoint(ep.label, xy))
    return net.build_route(cand.legs, orig_label=ep.label, dest_label=ep.label, waypoints=waypoints)


def _start_nodes(
    net: Net, nodes: IntArray, w: FloatArray, on_cycle: npt.NDArray[np.bool_], *, k: int
) -> list[int]:
    """Return up to `k` access nodes to start loops from.

    They lie in the largest connected part of the network among the place's access nodes,
    on a cycle when possible, and are spread over the (Hilbert-ordered) node indexes.
    """
    labels = _component_labels(net, w)
    sizes = np.bincount(labels)
    best = nodes[sizes[labels[nodes]] == sizes[labels[nodes]].max()]
    if on_cycle[best].any():
        best = best[on_cycle[best]]
    best = np.sort(best)
    picks = np.unique(np.linspace(0, len(best) - 1, min(k, len(best))).round().astype(np.int64))
    return [int(i) for i in best[picks]]


@dataclass
class LoopCandidate:
    """A loop found by the search."""

    legs: list[Leg]
    vias: list[int]
    length_m: float
    repeat: float
    score: float
    edges: IntArray  # canonical edge ids ridden (unique)
    metres: FloatArray  # metres ridden on each of `edges`


def _usable_key(net: Net) -> tuple[str, bool]:
    return ("routing", net.avoid_connectors)


def _cycle_nodes(net: Net, w: FloatArray) -> npt.NDArray[np.bool_]:
    """Mark the nodes that touch an edge lying on a cycle (not a bridge) of the usable network.

    Via points are drawn among them: a via on a dead-end spur forces riding the spur twice.
    One O(n + m) kernel (``components.cycle_nodes``), cached on the graph per usable-arc set
    (which depends only on `avoid_connectors`: `w` is the length weight).
    """

    def build() -> npt.NDArray[np.bool_]:
        from parcs._kernels.components import cycle_nodes  # noqa: PLC0415 - loads numba

        marks = cycle_nodes(net.indptr, net.indices, np.ascontiguousarray(np.isfinite(w)))
        return np.asarray(marks, dtype=np.bool_)

    return _graph.cached(net.G, ("cycle_nodes", *_usable_key(net)), build)


def _component_labels(net: Net, w: FloatArray) -> IntArray:
    """Connected-component labels of the usable network (cached like :func:`_cycle_nodes`)."""

    def build() -> IntArray:
        from parcs._kernels.components import connected_components  # noqa: PLC0415

        usable = np.isfinite(w)
        indices = np.where(usable, net.indices, net.tails)  # drop unusable arcs as self-loops
        labels = connected_components(net.indptr, np.ascontiguousarray(indices), net.tails, net.n)
        return np.asarray(labels, dtype=np.int64)

    return _graph.cached(net.G, ("components", *_usable_key(net)), build)


def _edge_ids(net: Net) -> IntArray:
    """Return an undirected edge id per arc: its edge's canonical arc (cached on the graph)."""

    def build() -> IntArray:
        return net.canonical_arcs(np.arange(net.csr.n_arcs, dtype=np.int64))[0]

    return _graph.cached(net.G, ("routing", "edge_ids"), build)


def _find_loops(  # noqa: C901, PLR0912, PLR0915
    net: Net,
    ep: Endpoint,
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
    eid = _edge_ids(net)
    finite_len = np.where(np.isfinite(w_len), w_len, 0.0)
    edge_len = np.zeros(len(eid))  # indexed by edge id (= the edge's canonical arc)
    edge_len[eid] = np.maximum(finite_len, finite_len[net.twin])
    scratch = w_cost.copy()  # penalised in place by each candidate, then restored
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
            weights = (w_cost, scratch)
            cand = _evaluate(net, ep, vias, weights, w_len, eid, edge_len) if vias else None
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
    net: Net,
    ep: Endpoint,
    vias: list[int],
    weights: tuple[FloatArray, FloatArray],
    w_len: FloatArray,
    eid: IntArray,
    edge_len: FloatArray,
) -> LoopCandidate | None:
    """Chain the legs through `vias` with reuse penalties; None if a leg is impossible.

    `weights` is ``(cost, scratch)``: `scratch` equals `cost` on entry and on return; the
    legs run on it with every arc of an edge already used (both directions) costing
    ``_REUSE_PENALTY`` times more for the following legs.
    """
    w_cost, w = weights
    legs: list[Leg] = []
    points = [
        ep,
        *(net.node_endpoint(v, f"via {c}") for v, c in zip(vias, "ABCDEFG", strict=False)),
        ep,
    ]
    touched: list[IntArray] = []
    try:
        for o, d in itertools.pairwise(points):
            leg, _ = net.search(o, d, w)
            if leg is None:
                return None
            legs.append(leg)
            arcs = np.asarray([a for a, _f0, _f1 in leg.pieces], dtype=np.int64)
            if len(arcs):
                hit = np.unique(np.concatenate([arcs, net.twin[arcs]]))
                w[hit] *= _REUSE_PENALTY
                touched.append(hit)
    finally:
        for hit in touched:
            w[hit] = w_cost[hit]
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


def loop_overlap(a: LoopCandidate, b: LoopCandidate) -> float:
    """Share of `a`'s length also ridden by `b`."""
    if a.length_m <= 0:
        return 1.0
    common, ia, ib = np.intersect1d(a.edges, b.edges, assume_unique=True, return_indices=True)
    if len(common) == 0:
        return 0.0
    return float(np.minimum(a.metres[ia], b.metres[ib]).sum()) / a.length_m
