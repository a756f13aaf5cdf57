"""Round trips by junction numbers: loops a rider follows from sign to sign.

:func:`junction_loops` (``net.loop``) searches the graph of the junction network itself
(junctions joined by their links), so every loop is a sequence of junction numbers:

* **cycles**: a depth-first search from the start, its branches taken in a seeded random
  order, lists simple cycles (no link ridden twice) whose length fits, pruned by the distance
  back to the start; where the start lies on no such cycle (a spur of a tree-like network),
  the same search runs from the nearest junctions whose *stem* (ridden out and back) fits
  within `max_repeat`;
* **vias**: from the same generator, each try picks one via junction (out, then back by
  another way) or two (a triangle), among the junctions whose distance from the start along
  the links suits the target (0.3–0.5 of it for one via, 0.15–0.45 for two); the legs
  start → via … → start are shortest paths on the link lengths, and every link a leg rides
  costs four times more for the following legs, so the way back avoids the way out;
* a loop is kept if its length is within ``±tolerance`` of the target and at most
  `max_repeat` of its length is ridden more than once (a link ridden twice counts once as
  repeated: the same measure as :func:`parcs.round_trip`); the best ones (closest length,
  least repetition) that share at most 70 % of their length with each other are returned.

Links never share ground in a designed network, so repetition counted on links is
repetition on the ground.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from parcs._kernels.dijkstra import dijkstra
from parcs._kernels.paths import path_arcs
from parcs._log import logger
from parcs._validate import check_count, check_number, check_positive
from parcs.errors import LoopError
from parcs.junctions.planning import resolve_start, route_along

if TYPE_CHECKING:
    import numpy.typing as npt

    from parcs.junctions.network import JunctionNetwork
    from parcs.profiles import Profile
    from parcs.routing import Route

__all__ = ["MAX_LOOPS", "MAX_TRIES", "junction_loops"]

#: Largest number of loops one call returns.
MAX_LOOPS = 20
#: Largest number of candidate loops one call tries.
MAX_TRIES = 5_000
_PENALTY = 4.0
_DISTINCT = 0.7
_DFS_STEPS = 20_000  # links tried by one depth-first search
_DFS_FOUND = 40  # cycles one search keeps
_STEMS = 4  # nearest junctions tried as the foot of a stem
_NO_MASK = np.zeros(0, dtype=np.bool_)


@dataclass
class _Candidate:
    links: list[int]  # rows of net.links, in riding order
    length_m: float
    repeat: float
    score: float


class _LinkGraph:
    """Junctions (positions in ``net.junctions``) joined by links, as CSR arrays."""

    def __init__(self, net: JunctionNetwork) -> None:
        j, links = net.junctions, net.links
        self.nodes = j.index.to_numpy(dtype=np.int64)
        pos = {int(n): i for i, n in enumerate(self.nodes.tolist())}
        a = np.array([pos[int(x)] for x in links["from_node"].tolist()], dtype=np.int64)
        b = np.array([pos[int(x)] for x in links["to_node"].tolist()], dtype=np.int64)
        self.length = links["length_m"].to_numpy(dtype=np.float64)
        ok = np.flatnonzero(a != b)
        tails = np.concatenate([a[ok], b[ok]])
        heads = np.concatenate([b[ok], a[ok]])
        link = np.concatenate([ok, ok])
        order = np.lexsort((link, heads, tails))
        self.heads, self.link_of = heads[order], link[order]
        counts = np.bincount(tails, minlength=len(self.nodes))
        self.indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.w = self.length[self.link_of]
        self.pos = pos

    def search(
        self, w: npt.NDArray[np.float64], s: int, target: int | None = None
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
        targets = np.zeros(0, dtype=np.int64) if target is None else np.asarray([target])
        return dijkstra(  # type: ignore[no-any-return]
            self.indptr, self.heads, w, np.asarray([s]), np.zeros(1), targets, math.inf, _NO_MASK
        )


def junction_loops(  # noqa: PLR0913
    net: JunctionNetwork,
    start: Any,  # noqa: ANN401
    *,
    km: float,
    n: int = 3,
    seed: int = 0,
    tolerance: float = 0.10,
    max_repeat: float = 0.20,
    profile: str | Profile = "bike",
    max_tries: int | None = None,
) -> list[Route]:
    """Round trips from `start` on the junction network (see :meth:`JunctionNetwork.loop`)."""
    target = check_positive("km", km, unit="kilometres") * 1000.0
    n = check_count("n", n, lo=1, hi=MAX_LOOPS)
    seed = check_count("seed", seed, lo=0)
    tol = check_number("tolerance", tolerance, lo=1e-6, hi=0.99)
    rep = check_number("max_repeat", max_repeat, lo=0.0, hi=0.99)
    tries = 100 * n if max_tries is None else check_count("max_tries", max_tries, hi=MAX_TRIES)
    s_node = resolve_start(net, start)
    lg = _LinkGraph(net)
    s = lg.pos[s_node]
    found = _search(lg, s, target, tol, rep, tries, np.random.default_rng(seed))
    chosen = _choose(found, n, lg)
    if not chosen:
        raise _no_loop(net, lg, s, s_node, target, tol, rep, found)
    loops = [route_along(net, s_node, c.links, profile=profile) for c in chosen]
    logger.info(
        "net.loop: %d loop(s) of about %.1f km from junction %s (%d tries, %d candidates)",
        len(loops),
        target / 1000,
        net.junctions.loc[s_node, "ref"],
        tries,
        len(found),
    )
    return loops


def _search(  # noqa: PLR0913
    lg: _LinkGraph,
    s: int,
    target: float,
    tol: float,
    rep: float,
    tries: int,
    rng: np.random.Generator,
) -> list[_Candidate]:
    dist, pred = lg.search(lg.w, s)
    lo, hi = target * (1 - tol), target * (1 + tol)
    out: list[_Candidate] = []
    seen: set[tuple[int, ...]] = set()

    def keep(links: list[int]) -> None:
        key = tuple(links)
        if not links or key in seen or key[::-1] in seen:
            return
        seen.add(key)
        out.append(_measure(lg, links, target, tol, rep))

    for cyc in _cycles(lg, s, lo, hi, dist, rng):
        keep(cyc)
    if sum(math.isfinite(c.score) for c in out) < _DFS_FOUND // 4:
        _stem_cycles(lg, s, lo, hi, rep, dist, pred, rng, keep)
    _via_loops(lg, s, target, dist, tries, rng, keep)
    return out


def _cycles(  # noqa: PLR0913
    lg: _LinkGraph,
    s: int,
    lo: float,
    hi: float,
    dist: npt.NDArray[np.float64],
    rng: np.random.Generator,
) -> list[list[int]]:
    """Simple cycles through `s` of length in [lo, hi] (seeded depth-first search)."""
    found: list[list[int]] = []
    if hi <= 0:
        return found
    on_path = {s}
    path: list[int] = []
    stack = [(s, _shuffled(lg, s, rng), 0.0)]
    steps = 0
    while stack and steps < _DFS_STEPS and len(found) < _DFS_FOUND:
        u, arcs, length = stack[-1]
        if not arcs:
            stack.pop()
            if path:
                path.pop()
            on_path.discard(u)
            continue
        e = arcs.pop()
        steps += 1
        v, link = int(lg.heads[e]), int(lg.link_of[e])
        w = float(lg.length[link])
        if path and link == path[-1]:
            continue
        if v == s:
            if len(path) >= 2 and lo <= length + w <= hi:  # noqa: PLR2004
                found.append([*path, link])
            continue
        if v in on_path or length + w + dist[v] > hi:
            continue
        on_path.add(v)
        path.append(link)
        stack.append((v, _shuffled(lg, v, rng), length + w))
    return found


def _shuffled(lg: _LinkGraph, u: int, rng: np.random.Generator) -> list[int]:
    arcs = list(range(int(lg.indptr[u]), int(lg.indptr[u + 1])))
    rng.shuffle(arcs)
    return arcs


def _stem_cycles(  # noqa: PLR0913
    lg: _LinkGraph,
    s: int,
    lo: float,
    hi: float,
    rep: float,
    dist: npt.NDArray[np.float64],
    pred: npt.NDArray[np.int64],
    rng: np.random.Generator,
    keep: Any,  # noqa: ANN401
) -> None:
    """Cycles through the nearest junctions, ridden from `s` out and back along a stem."""
    feet = [
        int(x)
        for x in np.argsort(dist, kind="stable").tolist()
        if x != s and math.isfinite(dist[x])
    ]
    for x in feet[:_STEMS]:
        stem_m = float(dist[x])
        if 2 * stem_m > rep * hi:  # the stem alone would be too much riding twice
            break
        stem = [int(k) for k in lg.link_of[path_arcs(pred, lg.indptr, x)].tolist()]
        d_x, _ = lg.search(lg.w, x)
        for cyc in _cycles(lg, x, lo - 2 * stem_m, hi - 2 * stem_m, d_x, rng):
            keep([*stem, *cyc, *stem[::-1]])


def _via_loops(  # noqa: PLR0913
    lg: _LinkGraph,
    s: int,
    target: float,
    dist: npt.NDArray[np.float64],
    tries: int,
    rng: np.random.Generator,
    keep: Any,  # noqa: ANN401
) -> None:
    """Loops through one or two via junctions chosen at random (module docstring)."""
    reach = np.flatnonzero(np.isfinite(dist) & (np.arange(len(dist)) != s))
    if not len(reach):
        return
    bands = {
        1: reach[(dist[reach] >= 0.3 * target) & (dist[reach] <= 0.5 * target)],
        2: reach[(dist[reach] >= 0.15 * target) & (dist[reach] <= 0.45 * target)],
    }
    for t in range(tries):
        k = 1 if t % 2 == 0 else 2
        pool = bands[k] if len(bands[k]) >= k else reach
        if len(pool) < k:
            continue
        vias = rng.choice(pool, size=k, replace=False).tolist()
        links = _chain(lg, s, vias)
        if links is not None:
            keep(links)


def _measure(lg: _LinkGraph, links: list[int], target: float, tol: float, rep: float) -> _Candidate:
    """Length, share ridden twice and score (inf when outside the constraints) of a loop."""
    counts = np.bincount(np.asarray(links, dtype=np.int64), minlength=len(lg.length))
    total = float(np.sum(counts * lg.length))
    extra = float(np.sum(np.maximum(counts - 1, 0) * lg.length))
    repeat = extra / total if total > 0 else 0.0
    ok = abs(total - target) <= tol * target and repeat <= rep
    score = abs(total - target) / target + repeat if ok else math.inf
    return _Candidate(links, total, repeat, score)


def _chain(lg: _LinkGraph, s: int, vias: list[int]) -> list[int] | None:
    """Legs start → vias → start with reuse penalties; the links ridden, in order."""
    w = lg.w.copy()
    links: list[int] = []
    cur = s
    for v in [*vias, s]:
        dist, pred = lg.search(w, cur, v)
        if not math.isfinite(dist[v]):
            return None
        arcs = path_arcs(pred, lg.indptr, v)
        used = lg.link_of[arcs]
        links.extend(int(x) for x in used.tolist())
        w[np.isin(lg.link_of, used)] *= _PENALTY
        cur = v
    return links


def _overlap(a: _Candidate, b: _Candidate, lg: _LinkGraph) -> float:
    common = set(a.links) & set(b.links)
    return float(sum(lg.length[k] for k in common) / a.length_m) if a.length_m > 0 else 1.0


def _choose(found: list[_Candidate], n: int, lg: _LinkGraph) -> list[_Candidate]:
    good = sorted((c for c in found if math.isfinite(c.score)), key=lambda c: (c.score, c.links))
    chosen: list[_Candidate] = []
    for c in good:
        if all(_overlap(c, d, lg) <= _DISTINCT for d in chosen):
            chosen.append(c)
        if len(chosen) == n:
            break
    return chosen


def _no_loop(  # noqa: PLR0913
    net: JunctionNetwork,
    lg: _LinkGraph,
    s: int,
    s_node: int,
    target: float,
    tol: float,
    rep: float,
    found: list[_Candidate],
) -> LoopError:
    dist, _ = lg.search(lg.w, s)
    reach = np.isfinite(dist)
    ok = np.flatnonzero(reach[np.searchsorted(lg.indptr, np.arange(len(lg.heads)), "right") - 1])
    km_here = float(lg.length[np.unique(lg.link_of[ok])].sum() / 1000) if len(ok) else 0.0
    within = [c for c in found if c.repeat <= rep]
    longest = max((c.length_m for c in within), default=0.0)
    ref = net.junctions.loc[s_node, "ref"]
    msg = (
        f"no loop of {target / 1000:.1f} km (±{tol:.0%}, at most {rep:.0%} ridden twice) "
        f"from junction {ref} (node {s_node}): {km_here:.1f} km of links can be reached from "
        f"it, the longest loop found within the repeat limit is {longest / 1000:.1f} km; try "
        "another `km`, another start or a larger `max_repeat`"
    )
    return LoopError(msg)
