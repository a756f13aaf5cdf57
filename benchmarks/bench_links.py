"""Benchmark: missing links, plans and indicators, on the embedded network and at scale.

1. Artois: parcs scores all candidates from precomputed distance arrays with one numba
   kernel (``parcs._kernels.gain.link_gains``). The naive baseline adds each link to a
   networkx graph and reruns every origin's shortest paths (one networkx Dijkstra per origin
   place) to recompute the objective; it is timed on a sample of candidates and
   extrapolated to all.
2. Scale (issue 11 targets): ``missing_links`` and ``plan_links(budget_km=10)`` on SYNTHETIC
   road-like graphs of 20k and 100k nodes with a greenway layer (:func:`greenway_graph`)
   and 200 places at sampled nodes (:func:`node_places`); ``metrics`` exact on a 17k-node
   bike network with every node as a place, beside scipy (rows of
   ``scipy.sparse.csgraph.dijkstra`` streamed into the same sums, on a sample of sources,
   extrapolated). Each measurement runs in a fresh process: wall time of the first call on
   the fresh graph (it includes parcs's one-off graph conversion) and of a second call, and
   peak RSS (``VmHWM``, reset after the graph is built, so it includes the graph).

Run: ``python benchmarks/bench_links.py`` (Artois, 20k, 100k, 17k metrics: ~5 min),
``--million`` (also 1M nodes: ~4 more minutes, ~4 GB) or ``--quick`` (Artois and 20k); writes
the "links" section of RESULTS.md. The machine is shared: times are noisy.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import networkx as nx
import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).parent))

from _results import fmt_s, median_time, write_section

import parcs
from parcs.links import DEFAULT_CAP_M, missing_links, plan_links
from parcs.links._built import built, od_pairs, place_access
from parcs.links.candidates import Scorer

N_NAIVE = 5


def naive_graph(G, places):
    """networkx DiGraph of the built edges + place in/out nodes (offset = polygon distance)."""
    H = nx.DiGraph()
    on_built = set()
    for u, v, d in G.edges(data=True):
        if d["built"]:
            on_built.add(u)
            if not H.has_edge(u, v) or H[u][v]["weight"] > d["est_length"]:
                H.add_edge(u, v, weight=d["est_length"])
    for i, (geom, acc) in enumerate(zip(places.geometry, places["access_nodes"], strict=True)):
        acc = list(acc)
        if not any(a in on_built for a in acc):
            acc.append(
                min(
                    sorted(on_built),
                    key=lambda n: geom.distance(shapely.Point(G.nodes[n]["x"], G.nodes[n]["y"])),
                )
            )
        for a in acc:
            off = geom.distance(shapely.Point(G.nodes[a]["x"], G.nodes[a]["y"]))
            H.add_edge(("out", i), a, weight=off)
            H.add_edge(a, ("in", i), weight=off)
    return H


def naive_objective(H, od, cap):
    """Objective from scratch: one networkx Dijkstra per origin place."""
    total = 0.0
    cache = {}
    for s, t, w in zip(od.s.tolist(), od.t.tolist(), od.w.tolist(), strict=True):
        if s not in cache:
            cache[s] = nx.single_source_dijkstra_path_length(H, ("out", s))
        total += w * min(cache[s].get(("in", t), math.inf), cap)
    return total / 1000.0


def artois() -> str:
    """The Artois section: exact scoring vs the naive networkx recomputation."""
    G = parcs.load_network()
    places = parcs.places(G)
    cap = DEFAULT_CAP_M
    cands = missing_links(G)  # warm-up (compiles / loads kernels)
    t_pipeline = median_time(lambda: missing_links(G), repeat=3)
    net = built(G)
    access = place_access(G, net, places)
    od = od_pairs(access.places)
    a = net.csr.index_of(cands["u"].to_numpy(np.int64))
    b = net.csr.index_of(cands["v"].to_numpy(np.int64))
    w = cands["est_length_m"].to_numpy(np.float64)
    t_pre = median_time(
        lambda: Scorer(net, access, od, cand_a=a, cand_b=b, cand_w=w, cap_m=cap), repeat=3
    )
    scorer = Scorer(net, access, od, cand_a=a, cand_b=b, cand_w=w, cap_m=cap)
    scorer.gains()
    t_score = median_time(scorer.gains, repeat=15)
    gain, _ = scorer.gains()

    H = naive_graph(G, access.places)
    base = naive_objective(H, od, cap)
    rng = np.random.default_rng(0)
    sample = rng.choice(len(cands), size=min(N_NAIVE, len(cands)), replace=False)
    times = []
    max_rel = 0.0
    for j in sample:
        u, v = int(cands["u"].iloc[j]), int(cands["v"].iloc[j])
        had = {(x, y): H[x][y]["weight"] for x, y in ((u, v), (v, u)) if H.has_edge(x, y)}
        t0 = time.perf_counter()
        for x, y in ((u, v), (v, u)):
            H.add_edge(x, y, weight=min(float(w[j]), had.get((x, y), math.inf)))
        after = naive_objective(H, od, cap)
        times.append(time.perf_counter() - t0)
        for x, y in ((u, v), (v, u)):
            if (x, y) in had:
                H[x][y]["weight"] = had[x, y]
            else:
                H.remove_edge(x, y)
        ref = base - after
        got = float(cands["benefit"].iloc[j])
        max_rel = max(max_rel, abs(got - ref) / max(abs(ref), 1e-9))
    t_naive_one = statistics.median(times)
    t_naive_all = t_naive_one * len(cands)
    ratio_kernel = t_naive_all / t_score
    ratio_total = t_naive_all / (t_pre + t_score)
    t_plan = median_time(lambda: plan_links(G, budget_km=10.0, candidates=cands), repeat=3)
    plan = plan_links(G, budget_km=10.0, candidates=cands)

    body = f"""## links — exact scoring of every missing-link candidate (embedded Artois network)

Network: {G.number_of_nodes()} nodes, {G.number_of_edges()} arcs; {len(access.places)} places,
{len(od.s)} weighted OD pairs; {len(cands)} candidates ({", ".join(f"{k} {v}" for k, v in cands["source"].value_counts().items())}).
Objective: Σ w·min(d, {cap / 1000:g} km) over the greenway layer (docs/missing-links.md).

| step | time |
|---|---|
| score ALL {len(cands)} candidates (numba `link_gains`, prange) | {fmt_s(t_score)} |
| precompute distance arrays (one multi-source Dijkstra per place, cut at the cap) | {fmt_s(t_pre)} |
| whole `missing_links()` (candidates + declustering + precompute + scoring) | {fmt_s(t_pipeline)} |
| naive, one candidate (networkx: add the link to a prebuilt graph, rerun every origin's Dijkstra) | {fmt_s(t_naive_one)} (median of {len(sample)}) |
| naive, extrapolated to all {len(cands)} candidates | {fmt_s(t_naive_all)} |
| greedy `plan_links(budget_km=10)` ({len(plan)} links, rescoring after each) | {fmt_s(t_plan)} |

Speed-up vs naive: **{ratio_kernel:,.0f}×** for the scoring kernel alone,
**{ratio_total:,.0f}×** including the precomputation. Targets: all candidates scored in < 2 s
(met: {t_score < 2}), ≥ 100× faster than naive (met: {ratio_kernel >= 100}).
Max relative difference between the kernel's benefit and the naive recomputation on the
sample: {max_rel:.1e}.
"""
    return body


# --------------------------------------------------------------------------------------------
# synthetic graphs (SYNTHETIC, not geodata)
# --------------------------------------------------------------------------------------------
CORRIDOR_HALF_M = 75.0
GREEN_SHARE = 0.15


def _segment_distance(px, py, ax, ay, bx, by):
    dx, dy = bx - ax, by - ay
    t = np.clip(((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy), 0.0, 1.0)
    return np.hypot(px - (ax + t * dx), py - (ay + t * dy))


def _kinds(arcs, seed):
    """Greenway corridors with breaks over the road-like graph (see greenway_graph)."""
    rng = np.random.default_rng(seed)
    one = arcs.tails < arcs.heads
    u, v = arcs.tails[one], arcs.heads[one]
    mx, my = (arcs.x[u] + arcs.x[v]) / 2, (arcs.y[u] + arcs.y[v]) / 2
    side = float(max(arcs.x.max(), arcs.y.max()))
    k = max(2, round(GREEN_SHARE * side / (0.7 * 2 * CORRIDOR_HALF_M)))
    kind = rng.choice(
        np.array(["connector", "track", "path"], dtype=object), size=len(u), p=[0.6, 0.25, 0.15]
    )
    built_ = np.ones(len(u), dtype=bool)
    for c in range(k):
        a, b = rng.random(2) * side, rng.random(2) * side
        while np.hypot(*(a - b)) < 0.5 * side:
            b = rng.random(2) * side
        near = _segment_distance(mx, my, a[0], a[1], b[0], b[1]) <= CORRIDOR_HALF_M
        kind[near] = ("cycleway", "cavalier", "towpath")[c % 3]
        for _ in range(max(1, int(np.hypot(*(a - b)) // 4000))):
            cx, cy = a + rng.random() * (b - a)
            gap = near & (np.hypot(mx - cx, my - cy) <= rng.uniform(150, 400))
            if rng.random() < 1 / 3:
                built_[gap] = False
            kind[gap] = "connector"
    return u, v, arcs.length[one], kind, built_


def _nx_graph(arcs, u, v, length, kind, built_, detour=1.3):
    G = nx.MultiDiGraph(
        crs="EPSG:2154", name=f"synthetic {arcs.name}", max_gap_m=500.0, detour_factor=detour
    )
    G.add_nodes_from((i, {"x": float(arcs.x[i]), "y": float(arcs.y[i])}) for i in range(arcs.n))
    rows = []
    for a, b, w, k, ok in zip(
        u.tolist(), v.tolist(), length.tolist(), kind.tolist(), built_.tolist(), strict=True
    ):
        attrs = {"length": w, "est_length": w if ok else w * detour, "kind": k, "built": ok}
        rows += [(a, b, 0, attrs), (b, a, 0, dict(attrs))]
    G.add_edges_from(rows)
    return G


def greenway_graph(n, *, seed=0):
    """``road_like(n)`` as a parcs graph with a greenway layer (SYNTHETIC).

    Edges within 75 m of a few straight corridors (~15 % of the edges) are greenways
    (cycleway, cavalier or towpath, one kind per corridor), broken every ~4 km by a disk of
    150-400 m where they become quiet roads (``connector``, built) or, one break in three,
    gap connectors (``built=False``, est_length × 1.3); every other edge is a quiet road, a
    track or a path (60/25/15 %).
    """
    from graphs import road_like

    arcs = road_like(n, seed=seed)
    return _nx_graph(arcs, *_kinds(arcs, seed))


def bike_graph(n, *, seed=0):
    """``road_like(n)`` as one city bike network: every edge a cycleway (SYNTHETIC)."""
    from graphs import road_like

    arcs = road_like(n, seed=seed)
    one = arcs.tails < arcs.heads
    m = int(one.sum())
    return _nx_graph(
        arcs,
        arcs.tails[one],
        arcs.heads[one],
        arcs.length[one],
        np.full(m, "cycleway", dtype=object),
        np.ones(m, bool),
    )


def node_places(G, k, *, seed=0):
    """k places at sampled nodes (seed 0): a quarter towns (points, 1,000-20,000 residents),
    the rest parks (disks of 100-300 m around the node) (SYNTHETIC)."""
    import geopandas as gpd

    rng = np.random.default_rng(seed)
    ids = np.sort(rng.choice(np.asarray(list(G.nodes)), size=k, replace=False))
    xy = np.array([(G.nodes[i]["x"], G.nodes[i]["y"]) for i in ids])
    towns = rng.random(k) < 0.25
    geoms = [
        shapely.Point(p) if t else shapely.Point(p).buffer(rng.uniform(100, 300))
        for p, t in zip(xy, towns, strict=True)
    ]
    return gpd.GeoDataFrame(
        {
            "name": [f"{'town' if t else 'park'} {j}" for j, t in enumerate(towns)],
            "kind": np.where(towns, "town", "park"),
            "population": np.where(towns, rng.integers(1000, 20000, k), 0),
        },
        geometry=geoms,
        crs=G.graph["crs"],
    )


def every_node_a_place(G):
    """One point place at every node (a bike-share station at each junction)."""
    import geopandas as gpd

    ids = np.array(sorted(G.nodes))
    pts = [shapely.Point(G.nodes[i]["x"], G.nodes[i]["y"]) for i in ids]
    return gpd.GeoDataFrame(
        {"name": [f"s{i}" for i in ids], "kind": "station"}, geometry=pts, crs=G.graph["crs"]
    )


# --------------------------------------------------------------------------------------------
# one measurement per fresh process
# --------------------------------------------------------------------------------------------
def _status(key):
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(key):
                return int(line.split()[1]) / 1024.0
    return math.nan


def _reset_peak():
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _eglob_rows(G, n_sources, engine):
    """Σ 1/d and Σ 1/straight from `n_sources` sources to every node, streamed in rows of 256:
    what a user would write with scipy (``engine="scipy"``), or the same with parcs's row
    kernel (``engine="parcs"``). Returns the time extrapolated to every source."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import dijkstra

    from parcs.csr import csr_of
    from parcs.links._built import Groups, group_rows

    csr = csr_of(G)
    n = csr.n_nodes
    A = sp.csr_matrix((csr.weights["length"], csr.indices, csr.indptr), shape=(n, n))
    everyone = Groups.single(np.arange(n))
    rows = np.arange(min(n_sources, n))
    num = den = 0.0
    t0 = time.perf_counter()
    for lo in range(0, len(rows), 256):
        r = rows[lo : lo + 256]
        if engine == "scipy":
            d = dijkstra(A, indices=r)
        else:
            d = group_rows(csr, Groups.single(r), everyone, math.inf)
        s = np.hypot(csr.x[r][:, None] - csr.x[None, :], csr.y[r][:, None] - csr.y[None, :])
        ok = s > 0
        reach = ok & np.isfinite(d)
        num += (1 / d[reach]).sum()
        den += (1 / s[ok]).sum()
    return (time.perf_counter() - t0) * n / len(rows)


def child(what, n):
    """Build the inputs, run one operation twice, print a JSON line."""
    from parcs.links import metrics as metrics_fn

    if what == "metrics17k":
        G = bike_graph(n)
        parcs.attach_places(G, every_node_a_place(G), access_m=0.5)
        metrics_fn(parcs.load_network())  # compile / load the kernels outside the timing
        call = lambda: metrics_fn(G)  # noqa: E731
    else:
        G = greenway_graph(n)
        parcs.attach_places(G, node_places(G, 200), access_m=300.0)
        missing_links(parcs.load_network(), top=1)
        plan_links(parcs.load_network(), budget_km=0.5)
        if what == "missing_links":
            call = lambda: missing_links(G)  # noqa: E731
        elif what == "plan_links":
            call = lambda: plan_links(G, budget_km=10.0)  # noqa: E731
        else:
            call = lambda: metrics_fn(G)  # noqa: E731
    rss0 = _status("VmRSS")
    reset = _reset_peak()
    t0 = time.perf_counter()
    out = call()
    first = time.perf_counter() - t0
    peak = _status("VmHWM") if reset else math.nan
    warm = math.nan
    if what != "metrics17k":  # a minute each: once is enough
        t0 = time.perf_counter()
        call()
        warm = time.perf_counter() - t0
    info = {
        "what": what,
        "n": n,
        "first_s": first,
        "warm_s": warm,
        "rss_graph_mb": rss0,
        "peak_mb": peak,
        "load": os.getloadavg()[0],
    }
    if what in {"missing_links"}:
        info["candidates"] = len(out)
        info["sources"] = out["source"].value_counts().to_dict()
    if what == "plan_links":
        info["links"] = len(out)
        info["km"] = float(out["cumulative_km"].iloc[-1]) if len(out) else 0.0
    if what.startswith("metrics"):
        info["pairs"] = out.n_pairs
        info["global_efficiency"] = out.global_efficiency
        if what == "metrics17k":  # interleaved, best of 2 each: the machine is shared
            times = {"scipy": [], "parcs": []}
            for _ in range(2):
                for engine in times:
                    times[engine].append(_eglob_rows(G, 2000, engine))
            info["scipy_s"] = min(times["scipy"])
            info["parcs_rows_s"] = min(times["parcs"])
    print(json.dumps(info))


def run_child(what, n):
    cmd = [sys.executable, __file__, "--child", what, str(n)]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def scale_section(sizes):
    rows = []
    for n in sizes:
        for what in ("missing_links", "plan_links", "metrics"):
            rows.append(run_child(what, n))
            print(rows[-1], flush=True)
    if 100_000 in sizes or len(sizes) > 1:
        rows.append(run_child("metrics17k", 17_000))
        print(rows[-1], flush=True)
    targets = {
        ("missing_links", 100_000): (30.0, 2048.0),
        ("plan_links", 100_000): (30.0, 2048.0),
        ("metrics17k", 17_000): (60.0, 2048.0),
    }
    lines = [
        "| operation | graph | result | first call | second call | peak RSS (graph alone) | target | met |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        t = targets.get((r["what"], r["n"]))
        label = {
            "missing_links": "`missing_links(G)`",
            "plan_links": "`plan_links(G, budget_km=10)`",
            "metrics": "`metrics(G)` (200 places)",
            "metrics17k": "`metrics(G)` exact, every node a place",
        }[r["what"]]
        if r["what"] == "missing_links":
            res = (
                f"{r['candidates']:,} candidates ("
                + ", ".join(f"{v:,} {k}" for k, v in r["sources"].items())
                + ")"
            )
        elif r["what"] == "plan_links":
            res = f"{r['links']} links, {r['km']:.2f} km"
        else:
            res = f"{r['pairs']:,} pairs, E_glob {r['global_efficiency']:.3f}"
        graph = f"{'bike network' if r['what'] == 'metrics17k' else 'greenway'} {r['n'] // 1000}k"
        target = f"< {t[0]:.0f} s, < 2 GB" if t else "—"
        met = ("yes" if r["first_s"] < t[0] and r["peak_mb"] < t[1] else "**no**") if t else "—"
        lines.append(
            f"| {label} | {graph} | {res} | {fmt_s(r['first_s'])} | {fmt_s(r['warm_s']) if math.isfinite(r['warm_s']) else '—'} | "
            f"{r['peak_mb']:,.0f} MB ({r['rss_graph_mb']:,.0f} MB) | {target} | {met} |"
        )
    peer = next((r for r in rows if r["what"] == "metrics17k"), None)
    peer_line = ""
    if peer:
        peer_line = (
            f"\nPeer for the exact `metrics` on the 17k bike network: scipy "
            f"(`scipy.sparse.csgraph.dijkstra` rows of 256 sources streamed into Σ 1/d and "
            f"Σ 1/straight, i.e. E_glob alone): **{fmt_s(peer['scipy_s'])}** extrapolated from "
            f"2,000 sources, vs {fmt_s(peer['first_s'])} for every parcs indicator "
            f"({peer['scipy_s'] / peer['first_s']:.1f}×). Load average during the runs: "
            + ", ".join(f"{r['load']:.1f}" for r in rows)
            + " (2 cores, shared)."
        )
    return (
        "\n### At scale (SYNTHETIC road-like graphs, `benchmarks/graphs.py`)\n\n"
        "Greenway graphs: `road_like(n)` with ~15 % of the edges in greenway corridors "
        "(cycleway / cavalier / towpath) broken every ~4 km by quiet roads or gap connectors, "
        "the rest quiet roads, tracks and paths; 200 places at sampled nodes (50 towns, 150 "
        "parks). Bike network: the same arcs, every edge a cycleway, one place at every node. "
        "First call = a fresh graph (includes the one-off CSR conversion of the networkx "
        "graph); peak RSS is the whole process, the networkx graph included (its size in "
        "brackets).\n\n" + "\n".join(lines) + "\n" + peer_line + "\n"
    )


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true")
    p.add_argument("--million", action="store_true", help="also 1M nodes (~4 min, ~4 GB)")
    p.add_argument("--child", nargs=2, metavar=("WHAT", "N"))
    args = p.parse_args(argv)
    if args.child:
        child(args.child[0], int(args.child[1]))
        return
    body = artois()
    sizes = [20_000] if args.quick else [20_000, 100_000]
    body += scale_section(sizes + ([1_000_000] if args.million else []))
    write_section("links", body)
    print(body)


if __name__ == "__main__":
    main()
