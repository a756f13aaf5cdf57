"""Validation of a junction network against published node-network design rules."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from shapely.ops import polygonize, unary_union

from parcs.junctions.numbering import MAX_NUMBER
from parcs.network.places import PARK_KINDS, SETTLEMENT_KINDS

if TYPE_CHECKING:
    import geopandas as gpd
    import numpy.typing as npt

    from parcs.junctions.network import JunctionNetwork

__all__ = [
    "DEFAULT_MAX_LINK_M",
    "DEFAULT_MESH_M",
    "DEFAULT_MIN_LINK_M",
    "DEFAULT_MIN_REUSE_M",
    "DEFAULT_TARGET_LINK_M",
    "IDEAL_LINK_M",
    "IDEAL_LOOP_M",
    "COVER_PLACE_KINDS",
    "MIN_SHARE",
    "PLACE_REACH_M",
    "LinkStructure",
    "face_loops",
    "link_structure",
    "places_near_junctions",
    "min_reuse_distance",
    "validate_network",
]

#: Shortest link (Danish handbook: links of 1–5 km; junctions closer than 1 km are merged).
DEFAULT_MIN_LINK_M = 1000.0
#: Longest link (Danish handbook: at most 10 km between junctions).
DEFAULT_MAX_LINK_M = 10_000.0
#: Length long links are cut into (upper end of the 1–5 km ideal; Wallonia: 5–8 km meshes).
DEFAULT_TARGET_LINK_M = 5000.0
#: Side of the lattice of hubs the network selection joins: square meshes of 2.5 km make
#: 10 km face loops, and the detours of real paths bring most faces into the Danish handbook's
#: 8–20 km (measured in docs/points-noeuds.md).
DEFAULT_MESH_M = 2500.0
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
#: Places counted as served by a junction within this straight-line distance.
PLACE_REACH_M = 1000.0
#: Places a signed network should serve: parks, terrils, nature areas, stations, villages.
COVER_PLACE_KINDS = frozenset(PARK_KINDS | SETTLEMENT_KINDS | {"station"})


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
        *_structure_rules(net),
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
    near, n_places = places_near_junctions(net, PLACE_REACH_M)
    rows: list[Row] = [
        ("km of network covered", "—", f"{km:.1f} km{share}", None,
         "ways on a link (of the connected parts kept)"),
        ("km of links", "—", f"{L.sum() / 1000:.1f} km", None,
         "sum of link lengths (equals the km covered when no ground is on two links)"),
    ]
    if n_places:
        rows.append(
            (f"places within {PLACE_REACH_M / 1000:g} km of a junction", "—",
             f"{near / n_places:.0%} of {n_places}", None,
             "parks, terrils, nature areas, stations, villages (straight line)")
        )
    else:
        rows.append((f"places within {PLACE_REACH_M / 1000:g} km of a junction", "—",
                     "no places", None, "the graph carries no places"))
    return rows


def _structure_rules(net: JunctionNetwork) -> list[Row]:
    st = link_structure(net.links, net.junctions)
    j = net.junctions
    degree = j["degree"].to_numpy() if len(j) else np.zeros(0, dtype=np.int64)
    not_branch = int(np.sum(degree == 2))  # noqa: PLR2004
    reasons = j.loc[degree == 2, "reason"].value_counts().sort_index() if len(j) else {}  # noqa: PLR2004
    why = ", ".join(f"{k} {v}" for k, v in dict(reasons).items())
    min_link = float(net.params.get("min_link_m", DEFAULT_MIN_LINK_M))
    loops = face_loops(net.links)
    loops = loops[loops >= 2 * min_link]  # as in the face-loop rules
    lo, hi = IDEAL_LOOP_M
    census = (
        f"{int(np.sum(loops < lo))} < {lo / 1000:g} km, "
        f"{int(np.sum((loops >= lo) & (loops <= hi)))} in {lo / 1000:g}–{hi / 1000:g} km, "
        f"{int(np.sum(loops > hi))} > {hi / 1000:g} km"
    )
    return [
        ("km of ground on more than one link", "0 km", f"{st.shared_m / 1000:.1f} km",
         st.shared_m < 0.5, "a signed way belongs to one link"),
        ("branch points without a junction", "0", f"{st.branch_without_junction}",
         st.branch_without_junction == 0, "every branching of the links is a junction"),
        ("links passing a junction", "0", f"{st.links_through_junction}",
         st.links_through_junction == 0, "a link runs from one junction to the next"),
        ("junctions that are not branch points", "cut points only",
         f"{not_branch} of {len(j)}" + (f" ({why})" if why else ""), None,
         "cuts of long links, rings and repeated pairs; fixed junctions"),
        ("loop census (face loops by perimeter)", "—", census, None, _DANISH),
    ]


@dataclass(frozen=True)
class LinkStructure:
    """How the link lines fit together (:func:`link_structure`)."""

    shared_m: float
    branch_without_junction: int
    links_through_junction: int


def link_structure(
    links: gpd.GeoDataFrame, junctions: gpd.GeoDataFrame, *, tol_m: float = 0.05
) -> LinkStructure:
    """Ground on two links, branch points without junction and links through a junction.

    Works on the link geometries alone (designed or imported networks): segments are compared
    by their end coordinates (rounded to the millimetre), vertices to junctions within `tol_m`.
    ``shared_m``: metres of segments on two links or more. ``branch_without_junction``:
    vertices where the link lines meet one segment or three and more, with no junction there.
    ``links_through_junction``: links with an interior vertex at another junction than their
    ends.
    """
    if len(links) == 0:
        return LinkStructure(0.0, 0, 0)
    parts = [np.asarray(g.coords, dtype=np.float64)[:, :2] for g in links.geometry]
    seg = np.concatenate([np.hstack([c[:-1], c[1:]]) for c in parts if len(c) > 1])
    owner = np.concatenate([np.full(len(c) - 1, k) for k, c in enumerate(parts) if len(c) > 1])
    keep = np.any(seg[:, :2] != seg[:, 2:], axis=1)
    seg, owner = seg[keep], owner[keep]
    a, b = np.round(seg[:, :2], 3), np.round(seg[:, 2:], 3)
    swap = (a[:, 0] > b[:, 0]) | ((a[:, 0] == b[:, 0]) & (a[:, 1] > b[:, 1]))
    lo, hi = np.where(swap[:, None], b, a), np.where(swap[:, None], a, b)
    keys = np.hstack([lo, hi])
    uniq, inv = np.unique(keys, axis=0, return_inverse=True)
    inv = inv.ravel()
    pairs = np.unique(np.column_stack([inv, owner]), axis=0)
    n_links = np.bincount(pairs[:, 0], minlength=len(uniq))
    seg_len = np.hypot(uniq[:, 2] - uniq[:, 0], uniq[:, 3] - uniq[:, 1])
    shared = float(seg_len[n_links > 1].sum())
    verts, vinv = np.unique(np.vstack([uniq[:, :2], uniq[:, 2:]]), axis=0, return_inverse=True)
    deg = np.bincount(vinv.ravel(), minlength=len(verts))
    jxy = np.column_stack([junctions.geometry.x, junctions.geometry.y]) if len(junctions) else None
    at_j = np.zeros(len(verts), dtype=np.bool_)
    if jxy is not None:
        from scipy.spatial import cKDTree  # noqa: PLC0415

        d, _ = cKDTree(jxy).query(verts)
        at_j = d <= tol_m
    branch = int(np.sum((deg != 2) & ~at_j))  # noqa: PLR2004
    through = 0
    if jxy is not None:
        from scipy.spatial import cKDTree  # noqa: PLC0415

        tree = cKDTree(jxy)
        ids = junctions.index.to_numpy()
        ends = zip(links["from_node"].tolist(), links["to_node"].tolist(), strict=True)
        for c, (f, t) in zip(parts, ends, strict=True):
            if len(c) > 2:  # noqa: PLR2004 - its own ends do not count (a line may bend back)
                d, k = tree.query(c[1:-1])
                hit = set(ids[k[d <= tol_m]].tolist()) - {f, t}
                through += int(bool(hit))
    return LinkStructure(shared, branch, through)


def places_near_junctions(net: JunctionNetwork, reach_m: float) -> tuple[int, int]:
    """Places to cover (parks, terrils, stations, villages) within `reach_m` of a junction."""
    G = net.graph
    gdf = None if G is None else G.graph.get("parcs_places")
    if gdf is None or len(gdf) == 0 or len(net.junctions) == 0:
        return 0, 0
    import shapely  # noqa: PLC0415

    sel = gdf[gdf["kind"].isin(sorted(COVER_PLACE_KINDS))]
    if not len(sel):
        return 0, 0
    j = net.junctions
    if str(j.crs) != str(sel.crs):
        j = j.to_crs(sel.crs)
    tree = shapely.STRtree(j.geometry.to_numpy())
    _idx, dist = tree.query_nearest(
        sel.geometry.to_numpy(), return_distance=True, all_matches=False
    )
    return int(np.sum(dist <= reach_m)), len(sel)


def face_loops(links: gpd.GeoDataFrame) -> npt.NDArray[np.float64]:
    """Perimeters (m) of the faces of the link network (``shapely.ops.polygonize``)."""
    if len(links) == 0:
        return np.zeros(0)
    merged = unary_union(list(links.geometry))
    polys = list(polygonize(merged))
    return np.sort(np.array([p.exterior.length for p in polys if p.area > 1.0]))


def min_reuse_distance(j: gpd.GeoDataFrame) -> float:
    """Smallest straight-line distance between two junctions carrying the same number."""
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


