"""Validation of a junction network against published node-network design rules."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from shapely.ops import polygonize, unary_union

from parcs.junctions.numbering import MAX_NUMBER

if TYPE_CHECKING:
    import geopandas as gpd
    import numpy.typing as npt

    from parcs.junctions.network import JunctionNetwork

__all__ = [
    "DEFAULT_MAX_LINK_M",
    "DEFAULT_MIN_LINK_M",
    "DEFAULT_MIN_REUSE_M",
    "DEFAULT_TARGET_LINK_M",
    "IDEAL_LINK_M",
    "IDEAL_LOOP_M",
    "MIN_SHARE",
    "face_loops",
    "min_reuse_distance",
    "validate_network",
]

#: Shortest link (Danish handbook: links of 1–5 km; junctions closer than 1 km are merged).
DEFAULT_MIN_LINK_M = 1000.0
#: Longest link (Danish handbook: at most 10 km between junctions).
DEFAULT_MAX_LINK_M = 10_000.0
#: Length long links are cut into (upper end of the 1–5 km ideal; Wallonia: 5–8 km meshes).
DEFAULT_TARGET_LINK_M = 5000.0
#: Two junctions carrying the same number are at least this far apart (straight line): the
#: signs at a junction show neighbours up to about `max_link_m` / 2 away as the crow flies, and a
#: rider's map window of a few km must never show two identical numbers.
DEFAULT_MIN_REUSE_M = 5000.0

#: Published ideal link length (Danish handbook), for validation.
IDEAL_LINK_M = (1000.0, 5000.0)
#: Published ideal face-loop perimeter (Danish handbook), for validation.
IDEAL_LOOP_M = (8000.0, 20_000.0)
#: Share of links / loops that must be in the ideal range for the rule to pass.
MIN_SHARE = 0.5


_DANISH = "Danish node-network handbook (links 1–5 km, max 10 km; loops 8–20 km)"
_COLUMNS = ["rule", "target", "measured", "ok", "source"]
Row = tuple[str, str, str, "bool | None", str]


def validate_network(net: JunctionNetwork) -> pd.DataFrame:
    """Return the validation table of `net` (see :meth:`JunctionNetwork.validate`)."""
    links = net.links
    L = links["length_m"].to_numpy(dtype=float) if len(links) else np.zeros(0)
    min_link = float(net.params.get("min_link_m", DEFAULT_MIN_LINK_M))
    max_link = float(net.params.get("max_link_m", DEFAULT_MAX_LINK_M))
    rows = [
        *_link_rules(net, L, min_link, max_link),
        *_loop_rules(links, min_link),
        *_junction_rules(net),
        *_coverage_rules(net, L),
    ]
    return pd.DataFrame(
        [dict(zip(_COLUMNS, r, strict=True)) for r in rows], columns=_COLUMNS
    )


def _link_rules(net: JunctionNetwork, L: np.ndarray, min_link: float, max_link: float) -> list[Row]:
    lo, hi = IDEAL_LINK_M
    n_links = len(L)
    nan = float("nan")
    share_ideal = float(np.mean((lo <= L) & (hi >= L))) if n_links else nan
    share_long = float(np.mean(max_link < L)) if n_links else nan
    j = net.junctions
    rows: list[Row] = [
        ("junctions", "> 0", f"{len(j)}", len(j) > 0, "—"),
        ("links", "> 0", f"{n_links}", n_links > 0, "—"),
        ("links of 1–5 km", f"≥ {MIN_SHARE:.0%}", f"{share_ideal:.0%}", share_ideal >= MIN_SHARE, _DANISH),
        (f"links over {max_link / 1000:g} km", "0%", f"{share_long:.0%}", share_long == 0, _DANISH),
    ]
    if n_links:
        med = float(np.median(L))
        rows += [
            ("shortest link", f"≥ {min_link / 1000:g} km", f"{L.min() / 1000:.2f} km",
             bool(L.min() >= min_link - 0.5), _DANISH),
            ("longest link", f"≤ {max_link / 1000:g} km", f"{L.max() / 1000:.2f} km",
             bool(L.max() <= max_link + 0.5), _DANISH),
            ("median link", "1–5 km", f"{med / 1000:.2f} km", lo <= med <= hi, _DANISH),
        ]
    return rows


def _loop_rules(links: gpd.GeoDataFrame, min_link: float) -> list[Row]:
    loop_lo, loop_hi = IDEAL_LOOP_M
    # faces shorter than two links are wyes/kinks inside links, not loops a rider can make
    loops = face_loops(links)
    loops = loops[loops >= 2 * min_link]
    if not len(loops):
        return [("face loops of 8–20 km", f"≥ {MIN_SHARE:.0%}", "no closed loop", False, _DANISH)]
    share_loops = float(np.mean((loops >= loop_lo) & (loops <= loop_hi)))
    med_loop = float(np.median(loops))
    return [
        ("face loops of 8–20 km", f"≥ {MIN_SHARE:.0%}", f"{share_loops:.0%} of {len(loops)}",
         share_loops >= MIN_SHARE, _DANISH),
        ("median face loop", "8–20 km", f"{med_loop / 1000:.1f} km",
         loop_lo <= med_loop <= loop_hi, "Wallonia: meshes with 5–8 km sides"),
    ]


def _junction_rules(net: JunctionNetwork) -> list[Row]:
    j, links = net.junctions, net.links
    degree = j["degree"].to_numpy() if len(j) else np.zeros(0, dtype=np.int64)
    dead = int(np.sum(degree == 1))
    isolated = int(np.sum(degree == 0))
    nums = j["number"].to_numpy() if len(j) else np.zeros(0, dtype=np.int64)
    valid = (nums >= 1) & (nums <= MAX_NUMBER)
    same_adj = 0
    if len(links):
        fn, tn = links["from_number"].to_numpy(), links["to_number"].to_numpy()
        same_adj = int(np.sum((fn == tn) & (fn >= 1)))  # -1: OSM refs that are not numbers
    min_reuse = min_reuse_distance(j)
    target_reuse = net.params.get("min_reuse_m")
    used = len(np.unique(nums))
    return [
        ("junctions with a single link", "few (dead ends)", f"{dead} of {len(j)}", None,
         "a junction should offer a choice; dead ends only at destinations"),
        ("junctions without link", "0", f"{isolated}", isolated == 0, "—"),
        ("numbers in 1–99", "all", f"{int(valid.sum())} of {len(nums)}", bool(valid.all()),
         "two-digit signs (Benelux/Danish practice)"),
        ("linked junctions with the same number", "0", f"{same_adj}", same_adj == 0,
         "unambiguous signs"),
        ("min distance between reused numbers",
         f"≥ {target_reuse / 1000:.1f} km" if target_reuse else "as large as possible",
         "no reuse" if not math.isfinite(min_reuse) else f"{min_reuse / 1000:.1f} km",
         bool(min_reuse >= target_reuse) if target_reuse else None,
         "`min_reuse_m` (parcs default 5 km)"),
        ("numbers used", "≤ 99", f"{used}", used <= MAX_NUMBER, "—"),
    ]


def _coverage_rules(net: JunctionNetwork, L: np.ndarray) -> list[Row]:
    km = float(net.report.get("km_covered", float("nan")))
    km_designed = net.report.get("km_designed")
    share = f" ({km / km_designed:.0%} of {km_designed:.1f} km)" if km_designed else ""
    return [
        ("km of network covered", "—", f"{km:.1f} km{share}", None,
         "greenway on at least one link (of the components kept)"),
        ("km of links", "—", f"{L.sum() / 1000:.1f} km", None,
         "sum of link lengths (links may share sections)"),
    ]


def face_loops(links: gpd.GeoDataFrame) -> npt.NDArray[np.float64]:
    """Perimeters (m) of the faces of the link network (``shapely.ops.polygonize``)."""
    if len(links) == 0:
        return np.zeros(0)
    merged = unary_union(list(links.geometry))
    polys = list(polygonize(merged))
    return np.sort(np.array([p.exterior.length for p in polys if p.area > 1.0]))


def min_reuse_distance(j: gpd.GeoDataFrame) -> float:
    best = math.inf
    if len(j) == 0:
        return best
    xy = np.column_stack([j.geometry.x.to_numpy(), j.geometry.y.to_numpy()])
    nums = j["number"].to_numpy()
    for v in np.unique(nums[nums >= 1]).tolist():
        sel = xy[nums == v]
        if len(sel) > 1:
            d = np.hypot(sel[:, None, 0] - sel[None, :, 0], sel[:, None, 1] - sel[None, :, 1])
            d[np.diag_indices(len(sel))] = np.inf
            best = min(best, float(d.min()))
    return best


