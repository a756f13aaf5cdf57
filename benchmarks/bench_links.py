"""Benchmark: exact scoring of every missing-link candidate on the embedded Artois network.

parcs scores all candidates from precomputed distance arrays with one numba kernel
(``parcs._kernels.gain.link_gains``). The naive baseline adds each link to a networkx graph
and reruns every origin's shortest paths (one networkx Dijkstra per origin place) to
recompute the objective; it is timed on a sample of candidates and extrapolated to all.

Run: ``python benchmarks/bench_links.py`` (writes the "links" section of RESULTS.md).
"""

from __future__ import annotations

import math
import statistics
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


def main() -> None:
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
Objective: Σ w·min(d, {cap / 1000:g} km) over the built network (docs/missing-links.md).

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
    write_section("links", body)
    print(body)


if __name__ == "__main__":
    main()
