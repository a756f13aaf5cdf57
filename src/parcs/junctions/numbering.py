"""Junction numbering (points nœuds): colour a conflict graph with the numbers 1..99.

:func:`number_junctions` is the public entry point.

Everything here works on junction *indexes*
``0..n-1`` plus an array of external ids used only for deterministic tie-breaking and for error
messages.

Two junctions *conflict* (must carry different numbers) when

* ``adjacent``: a link joins them (a rider at one sees the other on the sign);
* ``neighbours``: both are neighbours of a same junction (the signs at that junction would show
  the same number twice);
* ``min_reuse_m``: they are closer than ``min_reuse_m`` in a straight line.

The colouring is DSATUR (Brélaz 1979) with pre-coloured (caller-fixed) vertices: repeatedly take
the uncoloured junction whose conflicting neighbours already use the most distinct numbers
(ties: most conflicts, then smallest id) and give it a number. With ``choice="smallest"`` the
number is the smallest free one (classic DSATUR, exact on bipartite graphs); with
``choice="spread"`` it is the free number whose nearest junction already carrying it is farthest
away, so that reused numbers end up as far apart as possible (what signposted networks do).
When no number is free, a one-step repair tries to recolour a single conflicting neighbour.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING, Literal

import numpy as np
from scipy.spatial import cKDTree

from parcs.errors import NumberingError, ValidationError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    import numpy.typing as npt

__all__ = ["MAX_NUMBER", "check_numbering", "colour_junctions", "conflict_pairs", "number_junctions"]

MAX_NUMBER = 99
# precedence when one pair conflicts for several reasons (the most "visible" first)
_REASON_RANK = {"adjacent": 0, "neighbours": 1, "min_reuse_m": 2}


def conflict_pairs(
    xy: npt.NDArray[np.float64],
    links: Iterable[tuple[int, int]],
    *,
    min_reuse_m: float,
    distinct_neighbours: bool = True,
) -> dict[tuple[int, int], str]:
    """Return the conflicting pairs ``(i, j)`` (``i < j``) with the reason of each conflict.

    Parameters
    ----------
    xy
        Junction coordinates, shape ``(n, 2)``, metres.
    links
        Index pairs of junctions joined by a link.
    min_reuse_m
        Junctions strictly closer than this (straight line) conflict.
    distinct_neighbours
        Also make the neighbours of every junction pairwise distinct.

    Returns
    -------
    dict
        ``{(i, j): reason}`` with reason in ``{"adjacent", "neighbours", "min_reuse_m"}``.
    """
    pairs: dict[tuple[int, int], str] = {}

    def _add(i: int, j: int, reason: str) -> None:
        if i == j:
            return
        key = (i, j) if i < j else (j, i)
        old = pairs.get(key)
        if old is None or _REASON_RANK[reason] < _REASON_RANK[old]:
            pairs[key] = reason

    n = len(xy)
    nbrs: list[set[int]] = [set() for _ in range(n)]
    for i, j in links:
        _add(int(i), int(j), "adjacent")
        if i != j:
            nbrs[int(i)].add(int(j))
            nbrs[int(j)].add(int(i))
    if distinct_neighbours:
        for around in nbrs:
            ordered = sorted(around)
            for a_pos, a in enumerate(ordered):
                for b in ordered[a_pos + 1 :]:
                    _add(a, b, "neighbours")
    if n > 1 and min_reuse_m > 0:
        tree = cKDTree(np.asarray(xy, dtype=np.float64))
        close = tree.query_pairs(r=float(min_reuse_m), output_type="ndarray")
        if len(close):
            d = np.hypot(*(xy[close[:, 0]] - xy[close[:, 1]]).T)
            for (i, j), dist in zip(close.tolist(), d.tolist(), strict=True):
                if dist < min_reuse_m:
                    _add(i, j, "min_reuse_m")
    return pairs


def check_numbering(
    numbers: npt.NDArray[np.int64],
    pairs: Mapping[tuple[int, int], str],
    *,
    max_number: int = MAX_NUMBER,
) -> list[str]:
    """Return a description of every violated constraint (empty when the numbering is valid)."""
    problems = [
        f"junction index {i} has number {int(v)} outside 1..{max_number}"
        for i, v in enumerate(numbers)
        if not 1 <= int(v) <= max_number
    ]
    problems.extend(
        f"{reason}: junction indexes {i} and {j} both carry {int(numbers[i])}"
        for (i, j), reason in sorted(pairs.items())
        if numbers[i] == numbers[j]
    )
    return problems


def _describe(ids: npt.NDArray[np.int64], i: int) -> str:
    return f"junction at node {int(ids[i])}"


def _check_fixed(
    fixed: Mapping[int, int],
    adj: list[dict[int, str]],
    ids: npt.NDArray[np.int64],
    max_number: int,
) -> None:
    for i, value in sorted(fixed.items()):
        if not (isinstance(value, (int, np.integer)) and 1 <= int(value) <= max_number):
            msg = (
                f"range: `fixed_numbers` gives {_describe(ids, i)} the number {value!r}; "
                f"junction numbers must be integers in 1..{max_number}"
            )
            raise NumberingError(msg)
    for i, value in sorted(fixed.items()):
        for j, reason in sorted(adj[i].items()):
            if j > i and fixed.get(j) == value:
                what = {
                    "adjacent": "they are joined by a link",
                    "neighbours": "they are neighbours of a same junction",
                    "min_reuse_m": "they are closer than `min_reuse_m`",
                }[reason]
                msg = (
                    f"{reason}: `fixed_numbers` gives the same number {int(value)} to "
                    f"{_describe(ids, i)} and {_describe(ids, j)}, but {what}; "
                    "fix one of them to another number (or lower `min_reuse_m`)"
                )
                raise NumberingError(msg)


class _Spread:
    """Distance from a point to the nearest junction carrying each number (for ``spread``)."""

    def __init__(self, xy: npt.NDArray[np.float64], max_number: int) -> None:
        self.xy = xy
        self.max_number = max_number
        self.idx: list[int] = []
        self.num: list[int] = []

    def add(self, i: int, number: int) -> None:
        self.idx.append(i)
        self.num.append(number)

    def nearest(self, i: int) -> npt.NDArray[np.float64]:
        out = np.full(self.max_number + 1, np.inf)
        if self.idx:
            idx = np.asarray(self.idx)
            d = np.hypot(*(self.xy[idx] - self.xy[i]).T)
            np.minimum.at(out, np.asarray(self.num), d)
        return out


def colour_junctions(  # noqa: C901
    n: int,
    pairs: Mapping[tuple[int, int], str],
    *,
    ids: npt.NDArray[np.int64],
    xy: npt.NDArray[np.float64] | None = None,
    fixed: Mapping[int, int] | None = None,
    max_number: int = MAX_NUMBER,
    choice: Literal["smallest", "spread"] = "spread",
) -> npt.NDArray[np.int64]:
    """Give ``n`` junctions numbers so that no conflicting pair shares one.

    Parameters
    ----------
    n
        Number of junctions.
    pairs
        Conflicting pairs from :func:`conflict_pairs`.
    ids
        External id of each junction (tie-breaking and messages).
    xy
        Coordinates, needed for ``choice="spread"``.
    fixed
        ``{index: number}`` kept as given.
    max_number
        Largest number allowed (99 on the ground: two-digit signs).
    choice
        {"smallest", "spread"} how to choose among free numbers.

    Returns
    -------
    numpy.ndarray
        int64 numbers in ``1..max_number``.

    Raises
    ------
    NumberingError
        If a fixed number is out of range, two fixed junctions conflict, or a junction has no
        free number left even after repair (more than `max_number` numbers needed around it).
    """
    fixed = dict(fixed or {})
    adj: list[dict[int, str]] = [{} for _ in range(n)]
    for (i, j), reason in pairs.items():
        adj[i][j] = reason
        adj[j][i] = reason
    _check_fixed(fixed, adj, ids, max_number)
    if choice == "spread" and xy is None:
        msg = "`xy` is needed when `choice` is 'spread'"
        raise ValueError(msg)

    numbers = np.zeros(n, dtype=np.int64)
    sat: list[dict[int, int]] = [{} for _ in range(n)]  # colour -> count among neighbours
    spread = _Spread(np.asarray(xy, dtype=np.float64), max_number) if xy is not None else None

    def _assign(i: int, value: int) -> None:
        numbers[i] = value
        for j in adj[i]:
            sat[j][value] = sat[j].get(value, 0) + 1
        if spread is not None:
            spread.add(i, value)

    def _unassign(i: int) -> None:
        value = int(numbers[i])
        numbers[i] = 0
        for j in adj[i]:
            sat[j][value] -= 1
            if not sat[j][value]:
                del sat[j][value]
        if spread is not None:
            pos = spread.idx.index(i)
            del spread.idx[pos]
            del spread.num[pos]

    for i, value in sorted(fixed.items()):
        _assign(i, int(value))

    degree = [len(a) for a in adj]
    heap = [(0, -degree[i], int(ids[i]), i) for i in range(n) if not numbers[i]]
    heap = [(-len(sat[i]), d, k, i) for (_, d, k, i) in heap]
    heapq.heapify(heap)
    all_numbers = range(1, max_number + 1)
    while heap:
        neg_sat, neg_deg, key, i = heapq.heappop(heap)
        if numbers[i] or -neg_sat != len(sat[i]):
            continue
        free = [c for c in all_numbers if c not in sat[i]]
        if not free:
            free = _repair(i, adj, sat, numbers, fixed, max_number, _assign, _unassign)
            if free:  # saturations changed around the recoloured junction: fresh heap entries
                heap = [
                    (-len(sat[j]), -degree[j], int(ids[j]), j)
                    for j in range(n)
                    if not numbers[j] and j != i
                ]
                heapq.heapify(heap)
        if not free:
            near = sorted(int(ids[j]) for j in adj[i])[:8]
            reason = "min_reuse_m" if "min_reuse_m" in adj[i].values() else "adjacent"
            msg = (
                f"{reason}: {_describe(ids, i)} conflicts with {len(adj[i])} junctions "
                f"(nodes {near}{'...' if len(adj[i]) > len(near) else ''}) that already use "
                f"all numbers 1..{max_number}; more than {max_number} numbers would be needed "
                "in this cluster. Lower `min_reuse_m` or raise `min_link_m`"
            )
            raise NumberingError(msg)
        if choice == "smallest" or spread is None:
            value = free[0]
        else:
            dist = spread.nearest(i)
            best = max(dist[c] for c in free)
            value = next(c for c in free if dist[c] == best)
        _assign(i, value)
        for j in adj[i]:
            if not numbers[j]:
                heapq.heappush(heap, (-len(sat[j]), -degree[j], int(ids[j]), j))
        del neg_deg, key
    return numbers


def _repair(
    i: int,
    adj: list[dict[int, str]],
    sat: list[dict[int, int]],
    numbers: npt.NDArray[np.int64],
    fixed: Mapping[int, int],
    max_number: int,
    assign: object,
    unassign: object,
) -> list[int]:
    """Free a number for `i` by recolouring one conflicting neighbour; return ``[number]``."""
    for c in range(1, max_number + 1):
        if sat[i].get(c) != 1:
            continue
        holder = next(j for j in sorted(adj[i]) if numbers[j] == c)
        if holder in fixed:
            continue
        others = [c2 for c2 in range(1, max_number + 1) if c2 != c and c2 not in sat[holder]]
        if others:
            unassign(holder)  # type: ignore[operator]
            assign(holder, others[0])  # type: ignore[operator]
            return [c]
    return []


def number_junctions(
    xy: npt.ArrayLike,
    links: Iterable[tuple[int, int]],
    *,
    ids: Sequence[int] | None = None,
    min_reuse_m: float = 5000.0,
    fixed_numbers: Mapping[int, int] | None = None,
    choice: Literal["spread", "smallest"] = "spread",
    distinct_neighbours: bool = True,
) -> npt.NDArray[np.int64]:
    """Give junctions numbers 1..99 so that signs are never ambiguous.

    Constraints: linked junctions differ (``adjacent``); the neighbours of a junction differ
    from each other (``neighbours``, with `distinct_neighbours`); junctions closer than
    `min_reuse_m` in a straight line differ (``min_reuse_m``); numbers are in 1..99
    (``range``) and `fixed_numbers` are kept (``fixed``). The numbering is DSATUR (Brélaz 1979)
    with pre-coloured vertices, deterministic (ties by id), followed by a one-step repair when a
    junction has no free number.

    Parameters
    ----------
    xy
        Coordinates of the junctions, shape ``(n, 2)``, in metres.
    links
        Pairs of junction positions ``(i, j)`` joined by a link.
    ids
        External ids used for tie-breaking and messages (default ``0..n-1``).
    min_reuse_m
        Minimum straight-line distance between two junctions carrying the same number.
    fixed_numbers
        ``{position: number}`` kept as given.
    choice
        {"spread", "smallest"}: ``"smallest"`` gives each junction the smallest free number
        (classic DSATUR, fewest numbers); ``"spread"`` the free number whose nearest use is
        farthest away (reused numbers as far apart as possible, like signposted networks).
    distinct_neighbours
        Also require the neighbours of each junction to carry distinct numbers.

    Returns
    -------
    numpy.ndarray
        int64 numbers, one per junction.

    Raises
    ------
    NumberingError
        Naming the failing constraint (``range``, ``adjacent``, ``neighbours``,
        ``min_reuse_m``) and the junction(s) where it fails.
    """
    arr = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    id_arr = np.arange(len(arr), dtype=np.int64) if ids is None else np.asarray(ids, dtype=np.int64)
    if len(id_arr) != len(arr):
        msg = f"`ids` has {len(id_arr)} items but `xy` has {len(arr)} points"
        raise ValidationError(msg)
    pairs = conflict_pairs(
        arr, list(links), min_reuse_m=min_reuse_m, distinct_neighbours=distinct_neighbours
    )
    return colour_junctions(
        len(arr), pairs, ids=id_arr, xy=arr, fixed=dict(fixed_numbers or {}), choice=choice
    )
