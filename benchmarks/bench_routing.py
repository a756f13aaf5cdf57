"""Routing benchmark: parcs numba kernels vs scipy, networkx, igraph and networkit, in one run.

Run as a script::

    python benchmarks/bench_routing.py            # 10k, 100k, 1M synthetic + Artois (~10 min)
    python benchmarks/bench_routing.py --quick    # 10k + Artois only (< 60 s)

Workloads: synthetic road-like planar graphs (``benchmarks/graphs.py``) and the embedded
Artois network (``parcs.load_network()``) when it can be built. Every library runs on the
same arrays (Hilbert-renumbered CSR, unless a row says "native order"). Kernels are compiled
before timing (compile time is measured separately, in subprocesses). Times are medians;
ratios are peer time / parcs time (> 1 means parcs is faster). Writes the ``routing`` section
of ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import igraph as ig
import networkit as nk
import networkx as nx
import numba
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra as sp_dijkstra

sys.path.insert(0, str(Path(__file__).parent))
from _results import fmt_s, write_section
from graphs import road_like

from parcs._kernels import warmup
from parcs._kernels._jit import jit
from parcs._kernels.astar import astar, bidirectional_dijkstra, reverse_csr
from parcs._kernels.dijkstra import dijkstra
from parcs._kernels.many import many_to_many
from parcs._kernels.paths import path_arcs
from parcs.csr import CSRGraph

NO_T = np.empty(0, dtype=np.int64)
NO_MASK = np.empty(0, dtype=np.bool_)
ZERO = np.zeros(1)
WARM_LIMIT_S = 0.3
nk.setLogLevel("ERROR")


# --------------------------------------------------------------------- binary-heap variant
# Same algorithm as parcs._kernels.dijkstra with a binary instead of a 4-ary lazy heap, kept
# here only to justify the heap choice (docs/kernels.md).


@jit
def _push2(keys, vals, size, key, val):
    i = size
    while i > 0:
        p = (i - 1) >> 1
        if keys[p] <= key:
            break
        keys[i] = keys[p]
        vals[i] = vals[p]
        i = p
    keys[i] = key
    vals[i] = val


@jit
def _pop2(keys, vals, size):
    size -= 1
    key = keys[size]
    val = vals[size]
    i = 0
    while True:
        c = 2 * i + 1
        if c >= size:
            break
        if c + 1 < size and keys[c + 1] < keys[c]:
            c += 1
        if keys[c] >= key:
            break
        keys[i] = keys[c]
        vals[i] = vals[c]
        i = c
    keys[i] = key
    vals[i] = val
    return size


@jit
def dijkstra_binary(indptr, indices, weights, s):
    n = indptr.shape[0] - 1
    dist = np.full(n, np.inf)
    pred = np.full(n, -1, dtype=np.int64)
    keys = np.empty(64, dtype=np.float64)
    vals = np.empty(64, dtype=np.int64)
    dist[s] = 0.0
    _push2(keys, vals, 0, 0.0, s)
    size = 1
    while size > 0:
        d = keys[0]
        u = vals[0]
        size = _pop2(keys, vals, size)
        if d > dist[u]:
            continue
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            nd = d + weights[e]
            if nd < dist[v]:
                dist[v] = nd
                pred[v] = e
                if size == keys.shape[0]:
                    k2 = np.empty(2 * size)
                    v2 = np.empty(2 * size, dtype=np.int64)
                    k2[:size] = keys
                    v2[:size] = vals
                    keys = k2
                    vals = v2
                _push2(keys, vals, size, nd, v)
                size += 1
    return dist, pred


# --------------------------------------------------------------------- helpers


def per_query(fn, queries, rounds=1):
    """Median wall time of ``fn(q)`` over queries (each timed alone), `rounds` passes."""
    times = []
    for _ in range(rounds):
        for q in queries:
            t0 = time.perf_counter()
            fn(q)
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def interleaved(fns, queries, rounds=1):
    """Median time per query of each function, timing the libraries in turn on each query.

    Interleaving spreads the machine's load changes evenly over the libraries compared. Each
    call is preceded by an untimed identical call (unless the last one took more than
    ``WARM_LIMIT_S``), so no library pays for the cache misses left by the previous one.
    ``fns`` maps a label to ``(fn, queries_or_None)``; ``None`` uses `queries`.
    """
    times = {k: [] for k in fns}
    for _ in range(rounds):
        for i, q in enumerate(queries):
            for k, (fn, own) in fns.items():
                if own is not None:
                    if i >= len(own):
                        continue
                    q_k = own[i]
                else:
                    q_k = q
                if not times[k] or times[k][-1] < WARM_LIMIT_S:
                    fn(q_k)  # untimed: every library is timed with its own data in cache
                t0 = time.perf_counter()
                fn(q_k)
                times[k].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items() if v}


def once(fn, rounds=1):
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def ratio(peer, ours):
    return f"{peer / ours:.2f}×" if ours > 0 and math.isfinite(peer) else "-"


def verdict(ok):
    return "**met**" if ok else "**NOT met**"


class Peers:
    """Every library's graph built from the same CSR arrays."""

    def __init__(self, csr: CSRGraph, *, with_nx: bool):
        n, w = csr.n_nodes, csr.weights["length"]
        self.csr = csr
        self.w = w
        self.scipy = sp.csr_matrix((w, csr.indices, csr.indptr), shape=(n, n))
        edges = np.column_stack((csr.tails, csr.indices))
        self.ig = ig.Graph(n=n, edges=edges.tolist(), directed=True)
        self.ig.es["weight"] = w.tolist()
        self.nk = nk.Graph(n, weighted=True, directed=True)
        self.nk.addEdges((w, (csr.tails, csr.indices)))
        self.nx = None
        if with_nx:
            G = nx.MultiDiGraph()
            G.add_nodes_from((i, {"x": csr.x[i], "y": csr.y[i]}) for i in range(n))
            G.add_edges_from(
                (int(u), int(v), {"length": float(x)}) for u, v, x in zip(csr.tails, csr.indices, w)
            )
            self.nx = G
        self.rev = reverse_csr(csr.indptr, csr.indices, csr.tails)
        self.h = csr.h_scale("length")


def split_bytes(csr):
    """(bytes of the per-node arrays, bytes of the per-arc arrays) of a CSRGraph.

    Per node: indptr, x, y, node_ids and the sorted id lookup; per arc: indices, arc_key,
    connector and every weight. Checked against ``csr.nbytes``.
    """
    node_b = csr.nbytes - sum(
        a.nbytes for a in (csr.indices, csr.arc_key, csr.connector, csr.arc_kind, *csr.weights.values())
    )
    arc_b = csr.nbytes - node_b
    assert node_b == sum(a.nbytes for a in (csr.indptr, csr.x, csr.y, csr.node_ids)) + 16 * csr.n_nodes
    return node_b, arc_b


def parcs_sssp(csr, w, s):
    return dijkstra(csr.indptr, csr.indices, w, np.array([s]), ZERO, NO_T, math.inf, NO_MASK)[0]


def nk_sssp(G, s):
    d = nk.distance.Dijkstra(G, s, storePaths=False)
    d.run()
    return d.getDistances()


# --------------------------------------------------------------------- workloads


def bench_one_to_all(name, arcs, csr, csr_native, peers, sources, rounds, out, targets):
    w = peers.w
    wn = csr_native.weights["length"]
    scipy_native = sp.csr_matrix(
        (wn, csr_native.indices, csr_native.indptr), shape=(csr.n_nodes, csr.n_nodes)
    )
    native_of = dict(zip(sources.tolist(), csr_native.index_of(csr.node_ids[sources]).tolist()))
    fns = {
        "parcs dijkstra (4-ary lazy heap)": (lambda s: parcs_sssp(csr, w, s), None),
        "binary lazy heap (same kernel, for the heap choice)": (
            lambda s: dijkstra_binary(csr.indptr, csr.indices, w, s),
            None,
        ),
        "scipy csgraph.dijkstra": (lambda s: sp_dijkstra(peers.scipy, indices=s), None),
        "igraph distances": (
            lambda s: peers.ig.distances(source=[s], weights="weight"),
            None,
        ),
        "networkit Dijkstra + getDistances": (lambda s: nk_sssp(peers.nk, s), None),
    }
    if peers.nx is not None:
        fns["networkx single_source_dijkstra_path_length"] = (
            lambda s: nx.single_source_dijkstra_path_length(peers.nx, s, weight="length"),
            sources[: max(3, len(sources) // 3)],
        )
    # native (random) order: effect of the Hilbert renumbering
    fns["parcs dijkstra, native (random) order"] = (
        lambda s: parcs_sssp(csr_native, wn, native_of[s]),
        None,
    )
    fns["binary lazy heap, native order"] = (
        lambda s: dijkstra_binary(csr_native.indptr, csr_native.indices, wn, native_of[s]),
        None,
    )
    fns["scipy csgraph.dijkstra, native order"] = (
        lambda s: sp_dijkstra(scipy_native, indices=native_of[s]),
        None,
    )
    rows = interleaved(fns, sources.tolist(), rounds)
    ours = rows["parcs dijkstra (4-ary lazy heap)"]
    out.setdefault("one_to_all", {})[name] = rows
    sp_ratio = rows["scipy csgraph.dijkstra"] / ours
    limit = 0.7 if arcs.n <= 100_000 else 1.0
    targets.append(
        (
            f"one-to-all {name}: parcs ≤ {limit}× scipy's time",
            f"{1 / sp_ratio:.2f}×",
            1 / sp_ratio <= limit,
        )
    )
    if peers.nx is not None:
        r = rows["networkx single_source_dijkstra_path_length"] / ours
        targets.append((f"one-to-all {name}: ≥ 40× faster than networkx", f"{r:.1f}×", r >= 40))


def bench_p2p(name, csr, peers, pairs, out, targets, *, with_peers=True):
    w = peers.w
    ri, rj, ra = peers.rev
    h = peers.h

    def p_astar(p):
        d, pred = astar(csr.indptr, csr.indices, w, csr.x, csr.y, p[0], p[1], h)
        return d, path_arcs(pred, csr.indptr, p[1])

    def p_bidij(p):
        return bidirectional_dijkstra(csr.indptr, csr.indices, w, ri, rj, ra, p[0], p[1])

    def p_dij(p):
        dist, pred = dijkstra(
            csr.indptr,
            csr.indices,
            w,
            np.array([p[0]]),
            ZERO,
            np.array([p[1]]),
            math.inf,
            NO_MASK,
        )
        return dist[p[1]], path_arcs(pred, csr.indptr, p[1])

    # correctness cross-check on the first pairs before timing
    for p in pairs[:5]:
        a, b, c = p_astar(p)[0], p_bidij(p)[0], p_dij(p)[0]
        assert math.isclose(a, c, rel_tol=1e-9), (a, c)
        assert math.isclose(b, c, rel_tol=1e-9), (b, c)
    fns = {
        "parcs A* (euclidean) + path": (p_astar, None),
        "parcs bidirectional Dijkstra + path": (p_bidij, None),
        "parcs Dijkstra early exit + path": (p_dij, None),
    }
    if with_peers:

        def nk_bidij(p):
            b = nk.distance.BidirectionalDijkstra(peers.nk, int(p[0]), int(p[1]))
            b.run()
            return b.getDistance(), b.getPath()

        fns["igraph get_shortest_path"] = (
            lambda p: peers.ig.get_shortest_path(int(p[0]), int(p[1]), weights="weight"),
            None,
        )
        fns["networkit BidirectionalDijkstra + path"] = (nk_bidij, None)
    if peers.nx is not None:
        fns["networkx bidirectional_dijkstra"] = (
            lambda p: nx.bidirectional_dijkstra(peers.nx, int(p[0]), int(p[1]), weight="length"),
            [tuple(p) for p in pairs[:30]],
        )
    rows = interleaved(fns, [tuple(p) for p in pairs], 1)
    out.setdefault("p2p", {})[name] = rows
    ours = min(rows["parcs A* (euclidean) + path"], rows["parcs bidirectional Dijkstra + path"])
    if with_peers and name.startswith("syn100k"):
        for peer in ("igraph get_shortest_path", "networkit BidirectionalDijkstra + path"):
            r = rows[peer] / ours
            targets.append(
                (f"point-to-point {name}: ≥ 3× faster than {peer.split()[0]}", f"{r:.1f}×", r >= 3)
            )
        if peers.nx is not None:
            r = rows["networkx bidirectional_dijkstra"] / ours
            targets.append(
                (f"point-to-point {name}: ≥ 25× faster than networkx", f"{r:.1f}×", r >= 25)
            )
    if name.startswith("artois"):
        targets.append(
            (
                "point-to-point Artois: median per query < 50 µs",
                fmt_s(ours),
                ours < 50e-6,
            )
        )


def bench_many(name, csr, peers, sources, rounds, out, targets, *, light=False):
    w = peers.w
    allt = np.arange(csr.n_nodes, dtype=np.int64)

    def parcs_m2m(threads):
        def run():
            numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
            try:
                return many_to_many(csr.indptr, csr.indices, w, sources, allt, math.inf)
            finally:
                numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)

        return run

    def nk_spsp():
        nk.setNumberOfThreads(2)
        s = nk.distance.SPSP(peers.nk, sources.tolist())
        s.run()
        return s.getDistances()

    fns = {
        "parcs many_to_many, 1 thread(s)": (lambda _q: parcs_m2m(1)(), None),
        "parcs many_to_many, 2 thread(s)": (lambda _q: parcs_m2m(2)(), None),
        "scipy dijkstra(indices=sources)": (
            lambda _q: sp_dijkstra(peers.scipy, indices=sources),
            None,
        ),
    }
    if not light:
        fns["igraph distances(source=sources)"] = (
            lambda _q: peers.ig.distances(source=sources.tolist(), weights="weight"),
            [0],
        )
        fns["networkit SPSP (2 threads) + getDistances"] = (lambda _q: nk_spsp(), [0])
    rows = interleaved(fns, list(range(rounds)), 1)
    out.setdefault("many", {})[f"{name} ({len(sources)} sources)"] = rows
    ours = rows["parcs many_to_many, 2 thread(s)"]
    r = rows["scipy dijkstra(indices=sources)"] / ours
    if csr.n_nodes <= 100_000:
        targets.append(
            (f"many-to-all {name}: ≥ 2× faster than scipy on 2 threads", f"{r:.2f}×", r >= 2)
        )


def nx_graph_bytes(csr):
    """tracemalloc size of an osmnx-style MultiDiGraph (x, y on nodes; length on edges)."""
    gc.collect()
    tracemalloc.start()
    G = nx.MultiDiGraph()
    G.add_nodes_from((i, {"x": float(csr.x[i]), "y": float(csr.y[i])}) for i in range(csr.n_nodes))
    G.add_edges_from(
        (int(u), int(v), {"length": float(x)})
        for u, v, x in zip(csr.tails, csr.indices, csr.weights["length"])
    )
    size, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del G
    return size


def compile_times(quick):
    """First-call times in fresh processes sharing a new, empty numba cache folder."""
    code = (
        "import time; t0 = time.perf_counter(); import parcs._kernels as k; "
        "t1 = time.perf_counter(); k.warmup(); t2 = time.perf_counter(); print(t1 - t0, t2 - t1)"
    )
    res = {}
    with tempfile.TemporaryDirectory() as cache:
        runs = [("cold (compile + write cache)", "1"), ("warm (load from cache)", "1")]
        if not quick:
            runs.append(("PARCS_NUMBA_CACHE=0 (compile, no cache)", "0"))
        for label, flag in runs:
            env = dict(os.environ, NUMBA_CACHE_DIR=cache, PARCS_NUMBA_CACHE=flag)
            t0 = time.perf_counter()
            outp = subprocess.run(
                [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
            ).stdout.split()
            wall = time.perf_counter() - t0
            res[label] = (float(outp[0]), float(outp[1]), wall)
    return res


def cli_route_times(rounds=5):
    """Wall time of ``python -m parcs route Lens Béthune --json`` in fresh processes.

    One untimed run first, so the network cache and numba's cache are warm (the issue's
    "with the cache warm"). Returns (median, min, max) in seconds.
    """
    cmd = [sys.executable, "-m", "parcs", "route", "Lens", "Béthune", "--json"]
    subprocess.run(cmd, capture_output=True, check=True)
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times), max(times)


def load_artois():
    try:
        import parcs

        t0 = time.perf_counter()
        G = parcs.load_network()
        t1 = time.perf_counter()
        csr = CSRGraph.from_graph(G)
        return G, csr, t1 - t0, time.perf_counter() - t1, None
    except Exception as exc:
        return None, None, 0.0, 0.0, f"{type(exc).__name__}: {exc}"


# --------------------------------------------------------------------- report


def table(title, data, ours_key):
    cols = list(data)
    libs = []
    for c in cols:
        for k in data[c]:
            if k not in libs:
                libs.append(k)
    lines = [
        f"#### {title}",
        "",
        "| library | " + " | ".join(cols) + " |",
        "|---|" + "---|" * len(cols),
    ]
    for lib in libs:
        cells = []
        for c in cols:
            t = data[c].get(lib)
            ours = data[c].get(ours_key)
            if t is None:
                cells.append("-")
            elif lib == ours_key or ours is None:
                cells.append(fmt_s(t))
            else:
                cells.append(f"{fmt_s(t)} ({ratio(t, ours)})")
        lines.append(f"| {lib} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="10k synthetic + Artois only (< 60 s)")
    ap.add_argument("--no-write", action="store_true", help="print, do not write RESULTS.md")
    args = ap.parse_args(argv)
    t_start = time.perf_counter()
    load0 = os.getloadavg()[0]
    sizes = [10_000] if args.quick else [10_000, 100_000, 1_000_000]
    rng = np.random.default_rng(42)
    notes = []
    targets = []
    out = {}
    memory = []

    comp = compile_times(args.quick)
    cli_med, cli_min, cli_max = cli_route_times()
    targets.append(
        (
            "`parcs route Lens Béthune --json` end to end, warm caches (median of 5 processes)",
            f"{cli_med:.2f} s (min {cli_min:.2f}, max {cli_max:.2f})",
            cli_med < 2.0,
        )
    )
    t0 = time.perf_counter()
    warmup()
    dijkstra_binary(np.array([0, 0]), np.empty(0, np.int64), np.empty(0), 0)
    notes.append(f"In-process `warmup()` before timing: {fmt_s(time.perf_counter() - t0)}.")

    for n in sizes:
        print(f"== {n} nodes", flush=True)
        t0 = time.perf_counter()
        arcs = road_like(n)
        tgen = time.perf_counter() - t0
        t0 = time.perf_counter()
        csr = CSRGraph.from_arrays(
            arcs.tails, arcs.heads, arcs.x, arcs.y, weights={"length": arcs.length}
        )
        tcsr = time.perf_counter() - t0
        csr_native = CSRGraph.from_arrays(
            arcs.tails,
            arcs.heads,
            arcs.x,
            arcs.y,
            weights={"length": arcs.length},
            renumber=False,
        )
        with_nx = n <= 100_000
        t0 = time.perf_counter()
        peers = Peers(csr, with_nx=with_nx)
        tpeers = time.perf_counter() - t0
        notes.append(
            f"{arcs.name}: {arcs.n:,} nodes, {arcs.m:,} arcs; generated in {tgen:.1f} s, "
            f"CSR (with Hilbert renumbering) built in {tcsr:.2f} s, peers' graphs in "
            f"{tpeers:.1f} s."
        )
        if not with_nx:
            notes.append(
                f"{arcs.name}: networkx skipped (building its graph takes ~30 s and ~2.2 GB; "
                "its ratio at 10k and 100k is in the tables)."
            )
        k_src = 9 if n <= 100_000 else 3
        sources = rng.choice(n, k_src, replace=False).astype(np.int64)
        bench_one_to_all(
            arcs.name, arcs, csr, csr_native, peers, sources, 2 if n <= 100_000 else 1, out, targets
        )
        if n <= 100_000:
            pairs = rng.choice(n, (100, 2)).astype(np.int64)
            bench_p2p(arcs.name, csr, peers, pairs, out, targets)
            msrc = rng.choice(n, 100, replace=False).astype(np.int64)
            bench_many(arcs.name, csr, peers, msrc, 5 if n <= 10_000 else 3, out, targets)
            nxb = nx_graph_bytes(csr)
        else:
            pairs = rng.choice(n, (10, 2)).astype(np.int64)
            bench_p2p(arcs.name, csr, peers, pairs, out, targets, with_peers=False)
            msrc = rng.choice(n, 10, replace=False).astype(np.int64)
            bench_many(arcs.name, csr, peers, msrc, 1, out, targets, light=True)
            nxb = None
        core = sum(a.nbytes for a in (csr.indptr, csr.indices, csr.x, csr.y, csr.weights["length"]))
        node_b, arc_b = split_bytes(csr)
        memory.append((arcs.name, csr.n_nodes, csr.n_arcs, csr.nbytes, node_b, arc_b, core, nxb))
        targets.append(
            (
                f"memory {arcs.name}: CSRGraph ≤ 60 B/node + 24 B/arc (one weight)",
                f"{node_b / csr.n_nodes:.0f} B/node + {arc_b / csr.n_arcs:.1f} B/arc",
                node_b / csr.n_nodes <= 60 and arc_b / csr.n_arcs <= 24,
            )
        )
        del peers, csr_native
        gc.collect()

    print("== Artois", flush=True)
    G, acsr, tload, tcsr, err = load_artois()
    if acsr is None:
        notes.append(f"Artois row skipped: `parcs.load_network()` failed ({err}).")
    else:
        notes.append(
            f"Artois (`parcs.load_network()`): {acsr.n_nodes:,} nodes, {acsr.n_arcs:,} arcs; "
            f"loaded in {tload:.2f} s, CSR built in {tcsr * 1e3:.0f} ms."
        )
        peers = Peers(acsr, with_nx=True)
        from parcs._kernels.components import connected_components

        lab = connected_components(acsr.indptr, acsr.indices, acsr.tails, acsr.n_nodes)
        big = np.flatnonzero(lab == np.bincount(lab).argmax())
        pairs = rng.choice(big, (200, 2)).astype(np.int64)
        src = rng.choice(big, 9, replace=False).astype(np.int64)
        bench_one_to_all(
            "artois",
            type("A", (), {"n": acsr.n_nodes})(),
            acsr,
            CSRGraph.from_graph(G, renumber=False),
            peers,
            src,
            3,
            out,
            [],
        )
        bench_p2p("artois", acsr, peers, pairs, out, targets)
        msrc = rng.choice(acsr.n_nodes, min(100, acsr.n_nodes), replace=False).astype(np.int64)
        bench_many("artois", acsr, peers, msrc, 7, out, [])
        core = sum(
            a.nbytes for a in (acsr.indptr, acsr.indices, acsr.x, acsr.y, acsr.weights["length"])
        )
        memory.append(
            (
                "artois (all 7 weights)",
                acsr.n_nodes,
                acsr.n_arcs,
                acsr.nbytes,
                *split_bytes(acsr),
                core,
                nx_graph_bytes(acsr),
            )
        )

    # ------------------------------------------------------------------ markdown
    md = [
        "### Routing kernels (`benchmarks/bench_routing.py"
        + (" --quick" if args.quick else "")
        + "`)",
        "",
    ]
    md.append(
        "Medians; in brackets, each library's time divided by the parcs kernel's "
        "(> 1 = parcs faster). All libraries run on the same Hilbert-ordered arrays "
        "unless the row says native order. networkx uses an osmnx-style MultiDiGraph."
    )
    md.append("")
    md.append("**Targets**")
    md.append("")
    md.append("| target | measured | status |")
    md.append("|---|---|---|")
    md += [f"| {t} | {m} | {verdict(ok)} |" for t, m, ok in targets]
    md.append("")
    md.append(
        table("One source → all nodes", out["one_to_all"], "parcs dijkstra (4-ary lazy heap)")
    )
    md.append("")
    md.append(
        table(
            "Point-to-point (random pairs, path included)",
            out["p2p"],
            "parcs A* (euclidean) + path",
        )
    )
    md.append("")
    md.append(
        table(
            "Many sources → all nodes (each call returns the full table)",
            out["many"],
            "parcs many_to_many, 2 thread(s)",
        )
    )
    md.append("")
    md.append("#### Memory")
    md.append("")
    md.append(
        "`CSRGraph.nbytes` counts every array the graph holds: per node indptr, x, y, "
        "node_ids and the sorted id lookup (48 B); per arc indices (int64), arc_key (int32), "
        "the connector mask, the kind code (uint8) and every weight (the synthetic graphs carry only `length`; "
        "arc tails are derived from indptr, not stored). *core* = indptr + indices + x + y "
        "+ one weight, what a query reads. "
        "networkx = tracemalloc growth while building an osmnx-style MultiDiGraph "
        "(x, y on nodes, `length` on edges) from the same arrays."
    )
    md.append("")
    md.append(
        "| graph | nodes | arcs | CSRGraph total | per-node arrays, B/node | per-arc arrays, "
        "B/arc | core total | networkx total | networkx / CSRGraph |"
    )
    md.append("|---|---|---|---|---|---|---|---|---|")
    for name, n, m, nb, node_b, arc_b, core, nxb in memory:
        nxcells = f"{nxb / 1e6:.1f} MB | {nxb / nb:.0f}×" if nxb else "- | -"
        md.append(
            f"| {name} | {n:,} | {m:,} | {nb / 1e6:.2f} MB | {node_b / n:.0f} | "
            f"{arc_b / m:.1f} | {core / 1e6:.2f} MB | {nxcells} |"
        )
    md.append("")
    md.append("#### Compile time (fresh processes sharing a new, empty NUMBA_CACHE_DIR)")
    md.append("")
    md.append("| run | `import parcs._kernels` | `warmup()` (every kernel once) | process wall |")
    md.append("|---|---|---|---|")
    for label, (imp, warm, wall) in comp.items():
        md.append(f"| {label} | {fmt_s(imp)} | {fmt_s(warm)} | {fmt_s(wall)} |")
    md.append("")
    md.append("#### Notes")
    md.append("")
    md += [f"- {x}" for x in notes]
    md.append(f"- Whole run: {time.perf_counter() - t_start:.0f} s.")
    md.append(
        f"- Load average (1 min) at start / end: {load0:.1f} / {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} cores (other jobs share the machine: with a load above the core "
        "count, 2-thread timings cannot show a speed-up and every figure is noisy)."
    )
    text = "\n".join(md)
    print(text)
    if not args.no_write:
        write_section("routing-quick" if args.quick else "routing", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
