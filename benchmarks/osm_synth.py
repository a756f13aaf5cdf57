"""SYNTHETIC OpenStreetMap files for the scale benchmark (no large real extract ships with parcs).

``synthetic_pbf(raw_nodes)`` writes (once, cached in ``$TMPDIR/parcs-bench/``) an ``.osm.pbf``
of about `raw_nodes` nodes built from the planar road-like generator of ``graphs.py``, with
pyosmium's ``SimpleWriter``. It is made to look like a regional extract to the reader:

* **ways**: every planar edge is one way with shape nodes every ~25 m, tagged with
  :data:`HIGHWAY_SHARES` (quiet roads, tracks, paths, footways, cycleways, and the main roads
  parcs drops), plus some ``name``, ``surface``, ``bicycle=designated``, ``access=private``,
  ``area=yes``, former railways (``railway=abandoned``) and ``towpath=yes``;
* **nodes**: about a quarter of the raw nodes are on highways; the rest are buildings
  (closed 4-node ways ``building=yes`` near the roads), points of interest (``amenity``) and
  rivers (``waterway=river``), so that most raw nodes are not on usable ways, as in a real
  file; some junctions carry ``rcn_ref`` and some highway nodes ``highway=crossing``;
* **relations**: ``route=bicycle`` relations along random walks of the network (one with
  ``network=icn``, "EuroVelo 5"), one ``route=hiking`` and one super-route.

Node ids are large and increasing with gaps, as OSM ids are. The files are deterministic for a
given size and seed. Run ``python benchmarks/osm_synth.py 1000000`` to build one.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from graphs import X0, Y0, road_like

CACHE = Path(tempfile.gettempdir()) / "parcs-bench"
#: Share of the planar edges (ways) by ``highway`` value.
HIGHWAY_SHARES = {
    "residential": 0.28,
    "service": 0.10,
    "unclassified": 0.05,
    "track": 0.15,
    "path": 0.10,
    "footway": 0.10,
    "cycleway": 0.08,
    "tertiary": 0.06,
    "secondary": 0.05,
    "primary": 0.03,
}
PLANAR_SHARE = 0.05  # planar nodes (junctions) per raw node
SHAPE_STEP_M = 25.0
POI_SHARE = 0.03
_FIRST_ID = 1_000_000_000


def _ids(rng: np.random.Generator, count: int, start: int) -> np.ndarray:
    """Increasing ids with small random gaps (as in an OSM extract)."""
    return start + np.cumsum(rng.integers(1, 4, size=count)).astype(np.int64)


def _plan(raw_nodes: int, seed: int) -> dict[str, object]:
    """Everything the file holds, as arrays (projected metres, converted to lon/lat later)."""
    rng = np.random.default_rng(seed)
    arcs = road_like(max(1000, round(raw_nodes * PLANAR_SHARE)), seed=seed)
    half = arcs.m // 2
    u, v = arcs.tails[:half], arcs.heads[:half]
    x, y = arcs.x + X0, arcs.y + Y0
    length = np.hypot(x[v] - x[u], y[v] - y[u])
    k = np.maximum(0, np.round(length / SHAPE_STEP_M).astype(np.int64) - 1)  # shape nodes
    # way node sequences: u, shape nodes (bent a little off the straight line), v
    way_len = k + 2
    owner = np.repeat(np.arange(half), way_len)
    pos = np.arange(int(way_len.sum())) - np.repeat(np.cumsum(way_len) - way_len, way_len)
    t = pos / (way_len[owner] - 1)
    bend = np.repeat(rng.uniform(-0.08, 0.08, half), way_len) * np.sin(np.pi * t)
    dx, dy = (x[v] - x[u])[owner], (y[v] - y[u])[owner]
    wx = x[u][owner] + t * dx - bend * dy
    wy = y[u][owner] + t * dy + bend * dx
    is_shape = (pos > 0) & (pos < way_len[owner] - 1)
    n_planar = arcs.n
    n_shape = int(is_shape.sum())
    # node index space: planar nodes, then shape nodes, then the rest
    way_nodes = np.where(pos == 0, u[owner], v[owner]).astype(np.int64)
    way_nodes[is_shape] = n_planar + np.arange(n_shape)
    node_x = np.concatenate([x, wx[is_shape]])
    node_y = np.concatenate([y, wy[is_shape]])
    side = float(x.max() - x.min())
    # rivers: roughly horizontal lines, a node every 50 m
    n_rivers = 2 + n_planar // 100_000
    river_pts = int(side / 50.0) + 1
    rx = np.tile(np.linspace(x.min(), x.max(), river_pts), n_rivers)
    ry = np.repeat(rng.uniform(y.min(), y.max(), n_rivers), river_pts)
    ry = ry + 200.0 * np.sin(rx / 900.0)
    # points of interest and buildings (4 corners, near a random edge's midpoint)
    n_used = len(node_x) + len(rx)
    n_poi = round(raw_nodes * POI_SHARE)
    n_build = max(0, (raw_nodes - n_used - n_poi) // 4)
    e = rng.integers(0, half, n_build)
    cx = (x[u[e]] + x[v[e]]) / 2 + rng.uniform(-40, 40, n_build)
    cy = (y[u[e]] + y[v[e]]) / 2 + rng.uniform(-40, 40, n_build)
    bx = (cx[:, None] + np.array([-5.0, 5.0, 5.0, -5.0])).ravel()
    by = (cy[:, None] + np.array([-5.0, -5.0, 5.0, 5.0])).ravel()
    px = rng.uniform(x.min(), x.max(), n_poi)
    py = rng.uniform(y.min(), y.max(), n_poi)
    return {
        "rng": rng,
        "arcs": arcs,
        "u": u,
        "v": v,
        "way_len": way_len,
        "way_nodes": way_nodes,
        "node_xy": (np.concatenate([node_x, rx, px, bx]), np.concatenate([node_y, ry, py, by])),
        "n_planar": n_planar,
        "n_hw": len(node_x),
        "rivers": (n_rivers, river_pts),
        "n_poi": n_poi,
        "n_build": n_build,
    }


def _way_tags(rng: np.random.Generator, count: int) -> list[dict[str, str]]:
    names = list(HIGHWAY_SHARES)
    hw = rng.choice(len(names), size=count, p=list(HIGHWAY_SHARES.values()))
    r = rng.random((count, 6))
    surfaces = ("asphalt", "gravel", "compacted", "ground", "paving_stones")
    out = []
    for i in range(count):
        h = names[hw[i]]
        tags = {"highway": h}
        if (
            h in ("residential", "unclassified", "tertiary", "secondary", "primary")
            and r[i, 0] < 0.7
        ):
            tags["name"] = f"Rue {i % 5000}"
        if r[i, 1] < 0.4:
            tags["surface"] = surfaces[i % len(surfaces)]
        if h in ("path", "footway", "track") and r[i, 2] < 0.2:
            tags["bicycle"] = "designated"
        if h == "service" and r[i, 3] < 0.15:
            tags["access"] = "private"
        if h == "footway" and r[i, 3] < 0.03:
            tags["area"] = "yes"
        if h in ("track", "path") and r[i, 4] < 0.05:
            tags["railway"] = "abandoned"
        if h in ("path", "cycleway") and r[i, 5] < 0.02:
            tags["towpath"] = "yes"
        out.append(tags)
    return out


def _walks(plan: dict[str, object], count: int, steps: int) -> list[list[int]]:
    """Way indexes along random walks on the planar graph (route relation members)."""
    rng = plan["rng"]
    u, v = plan["u"], plan["v"]
    n = plan["n_planar"]
    ends = np.concatenate([u, v])
    ways = np.concatenate([np.arange(len(u)), np.arange(len(u))])
    other = np.concatenate([v, u])
    order = np.argsort(ends, kind="stable")
    ptr = np.searchsorted(ends[order], np.arange(n + 1))
    walks = []
    for _ in range(count):
        node, members = int(rng.integers(0, n)), []
        for _ in range(steps):
            lo, hi = ptr[node], ptr[node + 1]
            if hi == lo:
                break
            j = order[int(rng.integers(lo, hi))]
            members.append(int(ways[j]))
            node = int(other[j])
        walks.append(list(dict.fromkeys(members)))
    return walks


def synthetic_pbf(raw_nodes: int, *, seed: int = 0) -> Path:
    """Return the SYNTHETIC ``.osm.pbf`` of about `raw_nodes` nodes (built once, cached)."""
    import osmium
    from osmium.osm.mutable import Node, Relation, Way
    from pyproj import Transformer

    path = CACHE / f"synth_{raw_nodes}_{seed}.osm.pbf"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    plan = _plan(raw_nodes, seed)
    rng = plan["rng"]
    xs, ys = plan["node_xy"]
    lon, lat = Transformer.from_crs(2154, 4326, always_xy=True).transform(xs, ys)
    lon, lat = np.round(lon, 7), np.round(lat, 7)
    ids = _ids(rng, len(xs), _FIRST_ID)
    n_planar, n_hw = plan["n_planar"], plan["n_hw"]
    n_rivers, river_pts = plan["rivers"]
    n_poi, n_build = plan["n_poi"], plan["n_build"]
    rcn = set(rng.choice(n_planar, size=max(10, n_planar // 500), replace=False).tolist())
    crossing = rng.random(n_hw) < 0.02
    poi0 = n_hw + n_rivers * river_pts
    tmp = path.with_suffix(".tmp.pbf")
    tmp.unlink(missing_ok=True)
    with osmium.SimpleWriter(str(tmp)) as w:
        lon_l, lat_l, ids_l = lon.tolist(), lat.tolist(), ids.tolist()
        for i in range(len(ids_l)):
            tags = {}
            if i < n_planar and i in rcn:
                tags = {"rcn_ref": str(i % 100), "network:type": "node_network"}
            elif i < n_hw and crossing[i]:
                tags = {"highway": "crossing"}
            elif poi0 <= i < poi0 + n_poi:
                tags = {"amenity": ("bench", "bicycle_parking", "drinking_water")[i % 3]}
            w.add_node(Node(id=ids_l[i], location=(lon_l[i], lat_l[i]), tags=tags))
        way_tags = _way_tags(rng, len(plan["u"]))
        way_len = plan["way_len"]
        refs = ids[plan["way_nodes"]].tolist()
        start = 0
        way_id = 100_000_000
        for i, tags in enumerate(way_tags):
            n = int(way_len[i])
            w.add_way(Way(id=way_id + i, nodes=refs[start : start + n], tags=tags))
            start += n
        next_id = way_id + len(way_tags)
        for r in range(n_rivers):
            first = n_hw + r * river_pts
            nodes = ids[first : first + river_pts].tolist()
            w.add_way(
                Way(id=next_id, nodes=nodes, tags={"waterway": "river", "name": f"River {r}"})
            )
            next_id += 1
        b0 = poi0 + n_poi
        for b in range(n_build):
            c = ids[b0 + 4 * b : b0 + 4 * b + 4].tolist()
            w.add_way(Way(id=next_id, nodes=[*c, c[0]], tags={"building": "yes"}))
            next_id += 1
        walks = _walks(plan, count=max(6, n_planar // 4000), steps=80)
        rel_id = 10_000_000
        for r, members in enumerate(walks):
            tags = {"type": "route", "route": "bicycle", "network": "rcn", "ref": f"R{r}"}
            if r == 0:
                tags = {
                    "type": "route",
                    "route": "bicycle",
                    "network": "icn",
                    "ref": "EV5",
                    "name": "EuroVelo 5",
                }
            elif r == 1:
                tags = {"type": "route", "route": "hiking", "network": "rwn", "name": "GR 1"}
            w.add_relation(
                Relation(id=rel_id + r, members=[("w", way_id + m, "") for m in members], tags=tags)
            )
        w.add_relation(
            Relation(
                id=rel_id + len(walks),
                members=[("r", rel_id + 2, ""), ("r", rel_id + 3, "")],
                tags={"type": "superroute", "route": "bicycle", "name": "Tour"},
            )
        )
    tmp.replace(path)
    return path


def main() -> None:
    import time

    for size in [int(a) for a in sys.argv[1:]] or [1_000_000]:
        t0 = time.perf_counter()
        p = synthetic_pbf(size)
        print(f"{p} ({p.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
