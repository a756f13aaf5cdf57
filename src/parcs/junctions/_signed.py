"""Junctions and links of a signed network (private).

Given the signed edges (``signed[e]`` for the undirected edges ``g.edge_of`` of a
:class:`~parcs.junctions._linkgraph.LinkGraph`), the junctions are exactly

* the **branch points** (three or more signed edge ends) and the **ends** (one);
* the caller's fixed junctions;
* **cut points** on degree-2 nodes: cutting links longer than ``max_link_m`` (``split``),
  a ring hanging on one junction or with none, and the second of two links joining the same
  two junctions (``loop``: signs must never show the same neighbour twice).

A link is a maximal chain of signed edges between two junctions (:func:`chains`), so every
signed edge belongs to exactly one link and no link passes a junction, by construction.

Before cutting, :func:`clean` resolves what the rules forbid, in rounds until nothing
changes, never disconnecting the signed network:

* in a loop shorter than ``2 × min_link_m`` (too small to carry junctions: digitising
  artefacts, roundabouts), the least valuable link is taken off, core or not;
* a **spur** (a link to an end) shorter than ``min_link_m`` is taken off, its branch point
  becoming an ordinary node;
* two **branch points closer than** ``min_link_m``: the short link between them, or a side
  link at one of them (which then stops being a branch point, so the two merge into one
  junction), is taken off, the least valuable first (non-core before core, then the
  smallest ``sum(length / factor)``), provided another way of less than ``loop_max_m``
  (20 km) joins its ends: neither a bridge nor the only loop around is broken, so a short
  link is left only where nothing else joins its two branch points;
* with ``prune``, a non-core link closing a **loop shorter than** ``loop_min_m`` (8 km: the
  Danish handbook's shortest face loop) is taken off, the smallest loops first.

Links carrying a protected node (fixed junctions, covered places) are never taken off.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from parcs._kernels.components import connected_components
from parcs._kernels.dijkstra import dijkstra

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import numpy.typing as npt

    from parcs.junctions._linkgraph import LinkGraph

__all__ = [
    "CleanOptions",
    "Link",
    "Structure",
    "chains",
    "clean",
    "cut_links",
    "signed_degree",
    "structure",
]

IntArray = "npt.NDArray[np.int64]"
_MAX_ROUNDS = 200
_NO_MASK = np.zeros(0, dtype=np.bool_)


@dataclass
class Link:
    """One link: junction node indexes `a` and `b`, its length and its arcs from a to b."""

    a: int
    b: int
    length: float
    arcs: npt.NDArray[np.int64]


@dataclass(frozen=True)
class CleanOptions:
    """Parameters of :func:`clean` and :func:`cut_links`."""

    min_link_m: float
    max_link_m: float
    target_link_m: float
    loop_min_m: float
    loop_max_m: float
    prune: bool


@dataclass
class Structure:
    """Final junctions (node index -> reason) and links of the signed network."""

    reasons: dict[int, str]
    links: list[Link]
    dropped: dict[str, int]
    max_link_m: float = math.inf


def signed_degree(g: LinkGraph, signed: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    """Number of signed edge ends at each node."""
    arcs = signed[g.edge_of]
    return np.bincount(g.tails[arcs], minlength=g.csr.n_nodes).astype(np.int64)


def _continuation(
    g: LinkGraph, arc_in: npt.NDArray[np.bool_], deg: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """For each arc arriving at a degree-2 node, the signed arc that leaves it (else -1)."""
    s_arcs = np.flatnonzero(arc_in)  # CSR order: sorted by tail
    tails = g.tails[s_arcs]
    nxt = np.full(len(g.edge_of), -1, dtype=np.int64)
    two = deg[tails] == 2  # noqa: PLR2004
    a2, t2 = s_arcs[two], tails[two]
    first = np.ones(len(a2), dtype=np.bool_)
    first[1:] = t2[1:] != t2[:-1]
    o1, o2 = a2[first], a2[np.flatnonzero(first) + 1]
    nxt[g.twin[o1]] = o2
    nxt[g.twin[o2]] = o1
    return nxt


def chains(
    g: LinkGraph, signed: npt.NDArray[np.bool_], junction: npt.NDArray[np.bool_]
) -> tuple[list[Link], list[int]]:
    """Links of the signed network between junctions; nodes made junctions on bare rings.

    Every signed edge is walked once. A ring of signed edges with no junction gets one at its
    node of smallest index (returned), so its edges form a link from that node to itself.
    Nodes marked `junction` that are not branch points must have signed degree 2.
    """
    arc_in = signed[g.edge_of]
    deg = np.bincount(g.tails[arc_in], minlength=g.csr.n_nodes)
    nxt = _continuation(g, arc_in, deg)
    used = np.zeros(len(signed), dtype=np.bool_)
    heads, weight, edge_of = g.csr.indices, g.weight, g.edge_of
    is_j = junction.copy()
    links: list[Link] = []
    rings: list[int] = []
    s_arcs = np.flatnonzero(arc_in)
    starts = s_arcs[is_j[g.tails[s_arcs]]].tolist()
    pending = s_arcs.tolist()
    pos = 0
    while True:
        for a0 in starts:
            if used[edge_of[a0]]:
                continue
            path = [a0]
            used[edge_of[a0]] = True
            v = int(heads[a0])
            a = a0
            while not is_j[v]:
                a = int(nxt[a])
                path.append(a)
                used[edge_of[a]] = True
                v = int(heads[a])
            arcs = np.asarray(path, dtype=np.int64)
            links.append(Link(int(g.tails[a0]), v, float(weight[arcs].sum()), arcs))
        while pos < len(pending) and used[edge_of[pending[pos]]]:
            pos += 1
        if pos == len(pending):
            break
        ring = int(g.tails[pending[pos]])  # smallest-index node of a bare ring (CSR order)
        is_j[ring] = True
        rings.append(ring)
        starts = [a for a in pending[pos:] if g.tails[a] == ring]
    return links, rings


def _drop_small_parts(
    g: LinkGraph, signed: npt.NDArray[np.bool_], min_m: float, keep: npt.NDArray[np.bool_]
) -> int:
    """Take off connected parts of the signed network shorter than `min_m` (in place)."""
    arc_in = signed[g.edge_of]
    sub, parent = g.csr.restrict(arc_in)
    labels = np.asarray(connected_components(sub.indptr, sub.indices, sub.tails, sub.n_nodes))
    w = g.weight[parent]
    length = np.bincount(labels[sub.tails], weights=w, minlength=sub.n_nodes) / 2.0
    kept = np.zeros(sub.n_nodes, dtype=np.bool_)
    kept[labels[keep]] = True
    small = (length < min_m) & ~kept
    bad = small[labels[sub.tails]]
    parts = len(np.unique(labels[sub.tails][bad]))
    signed[g.edge_of[parent[bad]]] = False
    return parts


class _JunctionGraph:
    """The links as a small graph between junctions, to test bridges and loop lengths."""

    def __init__(self, links: Sequence[Link], n_nodes: int) -> None:
        a = np.array([lk.a for lk in links], dtype=np.int64)
        b = np.array([lk.b for lk in links], dtype=np.int64)
        L = np.array([lk.length for lk in links], dtype=np.float64)
        tails = np.concatenate([a, b])
        heads = np.concatenate([b, a])
        order = np.lexsort((heads, tails))
        self.indices = heads[order]
        self.link_of = np.concatenate([np.arange(len(a)), np.arange(len(a))])[order]
        self.w = np.concatenate([L, L])[order]
        counts = np.bincount(tails, minlength=n_nodes)
        self.indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.gone = np.zeros(len(links), dtype=np.bool_)

    def alternative(self, k: int, a: int, b: int, cutoff: float = math.inf) -> float:
        """Shortest a-b distance without link `k` and the links taken off so far."""
        w = np.where(self.gone[self.link_of] | (self.link_of == k), math.inf, self.w)
        dist, _ = dijkstra(
            self.indptr,
            self.indices,
            w,
            np.asarray([a]),
            np.zeros(1),
            np.asarray([b]),
            float(cutoff),
            _NO_MASK,
        )
        return float(dist[b])

    def two_ways(self, k: int, a: int, b: int) -> bool:
        """Whether two edge-disjoint a-b paths avoid link `k` and the links taken off.

        Then taking `k` off merges the loops on either side of it instead of breaking one
        (two augmenting paths of a unit-capacity flow, breadth first).
        """
        flow: dict[tuple[int, int], int] = {}  # (link, +1 a->b along the link / -1 back)
        for _ in range(2):
            prev: dict[int, tuple[int, int, int]] = {a: (-1, -1, 0)}
            queue = [a]
            for u in queue:
                if u == b:
                    break
                for e in range(int(self.indptr[u]), int(self.indptr[u + 1])):
                    link = int(self.link_of[e])
                    v = int(self.indices[e])
                    if link == k or self.gone[link] or v in prev:
                        continue
                    d = 1 if u < v or (u == v) else -1
                    if flow.get((link, d), 0) >= 1:  # already used in this direction
                        continue
                    prev[v] = (u, link, d)
                    queue.append(v)
            if b not in prev:
                return False
            v = b
            while v != a:
                u, link, d = prev[v]
                if flow.get((link, -d), 0):
                    flow[(link, -d)] = 0  # cancel the opposite use
                else:
                    flow[(link, d)] = 1
                v = u
        return True


def _link_values(
    links: Sequence[Link],
    factor: npt.NDArray[np.float64],
    core: npt.NDArray[np.bool_],
    w: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """``sum(length / factor)`` and "mostly core" of each link."""
    value = np.array([float(np.sum(w[lk.arcs] / factor[lk.arcs])) for lk in links])
    core_m = np.array([float(np.sum(w[lk.arcs][core[lk.arcs]])) for lk in links])
    length = np.array([lk.length for lk in links])
    return value, core_m >= 0.5 * length


def _protected(
    g: LinkGraph, links: Sequence[Link], protected: npt.NDArray[np.bool_]
) -> npt.NDArray[np.bool_]:
    heads = g.csr.indices
    return np.array([bool(protected[heads[lk.arcs[:-1]]].any()) for lk in links], dtype=np.bool_)


def clean(  # noqa: PLR0913
    g: LinkGraph,
    signed: npt.NDArray[np.bool_],
    *,
    fixed: npt.NDArray[np.bool_],
    protected: npt.NDArray[np.bool_],
    factor: npt.NDArray[np.float64],
    core: npt.NDArray[np.bool_],
    opts: CleanOptions,
) -> dict[str, int]:
    """Resolve short spurs, close branch points and small loops (module docstring; in place).

    Returns the counts of links taken off by each rule and of small parts left out.
    """
    counts = {"tiny_loops": 0, "spurs": 0, "close_branches": 0, "small_loops": 0, "small_parts": 0}
    counts["small_parts"] = _drop_small_parts(g, signed, opts.min_link_m, fixed)
    for _ in range(_MAX_ROUNDS):
        deg = signed_degree(g, signed)
        junction = (deg > 0) & ((deg != 2) | fixed)  # noqa: PLR2004
        links, _rings = chains(g, signed, junction)
        if not links:
            break
        drops = _round(g, links, deg, fixed, protected, factor, core, opts, counts)
        if not drops:
            break
        for k in drops:
            signed[g.edge_of[links[k].arcs]] = False
    counts["small_parts"] += _drop_small_parts(g, signed, opts.min_link_m, fixed)
    return counts


def _round(  # noqa: PLR0913, C901
    g: LinkGraph,
    links: Sequence[Link],
    deg: npt.NDArray[np.int64],
    fixed: npt.NDArray[np.bool_],
    protected: npt.NDArray[np.bool_],
    factor: npt.NDArray[np.float64],
    core: npt.NDArray[np.bool_],
    opts: CleanOptions,
    counts: dict[str, int],
) -> list[int]:
    """Links to take off in one round (one change per junction and round)."""
    jg = _JunctionGraph(links, g.csr.n_nodes)
    value, is_core = _link_values(links, factor, core, g.weight)
    guarded = _protected(g, links, protected)  # fixed junctions and covered places
    pinned = _protected(g, links, fixed)
    touched: set[int] = set()
    drops: list[int] = []
    at: dict[int, list[int]] = {}
    for k, lk in enumerate(links):
        at.setdefault(lk.a, []).append(k)
        at.setdefault(lk.b, []).append(k)

    def take(k: int, rule: str) -> None:
        jg.gone[k] = True
        drops.append(k)
        touched.update((links[k].a, links[k].b))
        counts[rule] += 1

    _tiny_loops(links, jg, value, is_core, pinned, touched, 2 * opts.min_link_m, take)
    short = sorted(
        (lk.length, k) for k, lk in enumerate(links) if lk.a != lk.b and lk.length < opts.min_link_m
    )
    for _L, k in short:  # spurs
        lk = links[k]
        ends = (deg[lk.a] == 1, deg[lk.b] == 1)
        if sum(ends) != 1 or {lk.a, lk.b} & touched:
            continue
        end = lk.a if ends[0] else lk.b
        if not fixed[end] and not pinned[k]:  # a place on it stays within min_link_m
            take(k, "spurs")
    for _L, k in short:  # branch points closer than min_link_m
        lk = links[k]
        if deg[lk.a] < 3 or deg[lk.b] < 3 or {lk.a, lk.b} & touched:  # noqa: PLR2004
            continue
        options = [k]
        for end in (lk.a, lk.b):
            if deg[end] == 3 and not fixed[end]:  # noqa: PLR2004
                options += [o for o in at[end] if o != k and links[o].a != links[o].b]
        options = sorted(set(options), key=lambda o: (bool(is_core[o]), float(value[o]), o))
        for o in options:
            lo = links[o]
            if guarded[o] or {lo.a, lo.b} & touched:
                continue
            if jg.two_ways(o, lo.a, lo.b):  # loops merge, none is broken
                take(o, "close_branches")
                touched.update((lk.a, lk.b))
                break
    if opts.prune:
        _loop_drops(links, jg, is_core, guarded, touched, opts.loop_min_m, take)
    return drops


def _loop_drops(  # noqa: PLR0913
    links: Sequence[Link],
    jg: _JunctionGraph,
    is_core: npt.NDArray[np.bool_],
    guarded: npt.NDArray[np.bool_],
    touched: set[int],
    loop_min_m: float,
    take: Callable[[int, str], None],
) -> None:
    """Take off non-core links closing loops shorter than `loop_min_m`, smallest first."""
    loops = []
    for k, lk in enumerate(links):
        if lk.a == lk.b or lk.length >= loop_min_m or is_core[k] or guarded[k]:
            continue
        alt = jg.alternative(k, lk.a, lk.b, cutoff=loop_min_m - lk.length)
        if lk.length + alt < loop_min_m:
            loops.append((lk.length + alt, k))
    for _c, k in sorted(loops):
        lk = links[k]
        if {lk.a, lk.b} & touched:
            continue
        if jg.two_ways(k, lk.a, lk.b):  # merges two loops, breaks none
            take(k, "small_loops")


def _tiny_loops(  # noqa: PLR0913
    links: Sequence[Link],
    jg: _JunctionGraph,
    value: npt.NDArray[np.float64],
    is_core: npt.NDArray[np.bool_],
    guarded: npt.NDArray[np.bool_],
    touched: set[int],
    tiny_m: float,
    take: Callable[[int, str], None],
) -> None:
    """Take off, in loops shorter than `tiny_m` (too small to sign), the least valuable link."""
    cand = []
    for k, lk in enumerate(links):
        if guarded[k] or lk.length >= tiny_m:
            continue
        alt = 0.0 if lk.a == lk.b else jg.alternative(k, lk.a, lk.b, cutoff=tiny_m - lk.length)
        if lk.length + alt < tiny_m:
            cand.append((lk.length + alt, bool(is_core[k]), float(value[k]), k))
    for *_key, k in sorted(cand):
        lk = links[k]
        if {lk.a, lk.b} & touched:
            continue
        if lk.a == lk.b or jg.alternative(k, lk.a, lk.b, cutoff=tiny_m - lk.length) < tiny_m:
            take(k, "tiny_loops")


def structure(  # noqa: PLR0913
    g: LinkGraph,
    signed: npt.NDArray[np.bool_],
    *,
    fixed: npt.NDArray[np.bool_],
    protected: npt.NDArray[np.bool_],
    factor: npt.NDArray[np.float64],
    core: npt.NDArray[np.bool_],
    opts: CleanOptions,
) -> Structure:
    """Clean the signed network, then cut; again while cutting takes edges off (in place)."""
    totals: dict[str, int] = {}
    for _ in range(_MAX_ROUNDS):
        counts = clean(
            g, signed, fixed=fixed, protected=protected, factor=factor, core=core, opts=opts
        )
        st = cut_links(g, signed, fixed=fixed, opts=opts)
        for k, v in (*counts.items(), *st.dropped.items()):
            totals[k] = totals.get(k, 0) + v
        if not st.dropped["repeated_pairs"]:
            break
    st.dropped = totals
    return st


def _interior_nodes(
    g: LinkGraph, lk: Link
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Interior nodes of a link and their distance from its start."""
    nodes = g.csr.indices[lk.arcs[:-1]]
    return nodes, np.cumsum(g.weight[lk.arcs])[:-1]


def _cuts_at(g: LinkGraph, lk: Link, fractions: Sequence[float]) -> list[int]:
    """Interior nodes nearest to the given fractions of the link's length (distinct)."""
    nodes, cum = _interior_nodes(g, lk)
    out: list[int] = []
    for f in fractions:
        if not len(nodes):
            break
        i = int(nodes[int(np.argmin(np.abs(cum - lk.length * f)))])
        if i not in out:
            out.append(i)
    return out


def cut_links(
    g: LinkGraph,
    signed: npt.NDArray[np.bool_],
    *,
    fixed: npt.NDArray[np.bool_],
    opts: CleanOptions,
) -> Structure:
    """Junctions and links, with cut points on long links, rings and repeated pairs."""
    cuts: dict[int, str] = {}
    dropped = {"repeated_pairs": 0}
    for _ in range(_MAX_ROUNDS):
        deg = signed_degree(g, signed)
        junction = (deg > 0) & ((deg != 2) | fixed)  # noqa: PLR2004
        junction[[i for i in cuts if deg[i] > 0]] = True
        links, rings = chains(g, signed, junction)
        for r in rings:
            cuts[r] = "loop"
        before = dropped["repeated_pairs"]
        new = _new_cuts(g, links, signed, opts, dropped)
        if not new and not rings and dropped["repeated_pairs"] == before:
            break
        for i, reason in new.items():
            cuts.setdefault(i, reason)
    reasons: dict[int, str] = {int(i): "fixed" for i in np.flatnonzero(fixed)}
    for lk in links:
        for i in (lk.a, lk.b):
            if i in reasons:
                continue
            if deg[i] >= 3:  # noqa: PLR2004
                reasons[i] = "intersection"
            elif deg[i] == 1:
                reasons[i] = "end"
            else:
                reasons[i] = cuts.get(i, "loop")
    return Structure(reasons, links, dropped, opts.max_link_m)


def _new_cuts(
    g: LinkGraph,
    links: Sequence[Link],
    signed: npt.NDArray[np.bool_],
    opts: CleanOptions,
    dropped: dict[str, int],
) -> dict[int, str]:
    """Cut points for rings on one junction, repeated junction pairs and long links."""
    new: dict[int, str] = {}
    by_pair: dict[tuple[int, int], list[int]] = {}
    for k, lk in enumerate(links):
        by_pair.setdefault((min(lk.a, lk.b), max(lk.a, lk.b)), []).append(k)
    for (a, b), ks in sorted(by_pair.items()):
        ks = sorted(ks, key=lambda k: (links[k].length, k))
        rest = ks if a == b else ks[1:]  # a ring: every link; a pair: all but the shortest
        for k in rest:
            lk = links[k]
            got = _cuts_at(g, lk, (1 / 3, 2 / 3) if a == b else (0.5,))
            if got:
                new.update(dict.fromkeys(got, "loop"))
            else:  # a single edge: nowhere to cut, take it off
                signed[g.edge_of[lk.arcs]] = False
                dropped["repeated_pairs"] += 1
    for lk in links:
        if lk.length > opts.max_link_m and lk.a != lk.b:
            pieces = max(
                2, round(lk.length / opts.target_link_m), math.ceil(lk.length / opts.max_link_m)
            )
            for i in _cuts_at(g, lk, [k / pieces for k in range(1, pieces)]):
                new.setdefault(i, "split")
    return new
