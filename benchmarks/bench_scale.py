# ruff: noqa: PLC0415, RUF001, CPY001, INP001 - heavy imports in the children, times signs in labels
"""Scale benchmark (issue 11): every user-facing operation at 20k, 100k and 1M nodes, beside peers.

Run::

    python benchmarks/bench_scale.py             # everything (~40 min on 2 cores)
    python benchmarks/bench_scale.py --quick     # 20k graph, 1M-node pbf, CLI (~5 min)
    python benchmarks/bench_scale.py --only route,isochrone --sizes 20000,100000

Graphs are SYNTHETIC (``benchmarks/graphs.py``: road-like planar graphs in Lambert-93, OSM-like
kinds, 5 % unbuilt connectors, bent edge geometries, ``n / 100`` synthetic point places, half
towns); OSM files are the SYNTHETIC pbfs of ``benchmarks/osm_synth.py`` (1M and 30M raw
nodes). Every measurement runs in its own subprocess (``--child OP SIZE``), which builds its
input untimed, warms the numba kernels, then times the operation; the parent reads the
child's ``ru_maxrss`` (peak resident memory, input graph included) and kills it beyond a
memory limit or a time limit. Times are medians of the repeats shown. Peers run on the same
edges in the same child: networkx (the graph itself), scipy ``csgraph.dijkstra``, pandana
(contraction hierarchies; its preprocessing is shown apart), shapely (per-edge buffers and
``union_all``), osmnx (``graph_from_xml`` on the same file as OSM XML).

Exactness is not checked here but in the tests (``tests/routing/test_scale_exactness.py``).
Writes the ``scale`` section of ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _results import fmt_s, write_section  # noqa: E402

SIZES = (20_000, 100_000, 1_000_000)
PBF_SIZES = (1_000_000, 30_000_000)
# which sizes each operation runs at (larger ones are out of reach on this machine, or
# belong to another engineer's target; see the notes of the section)
PLAN = {
    "route": SIZES,
    "isochrone": SIZES,
    "distance_matrix": SIZES,
    "alternatives": (20_000, 100_000),
    "round_trip": (20_000, 100_000),
    "missing_links": (20_000, 100_000),
    "plan_links": (20_000, 100_000),
    "metrics": (20_000, 100_000),
    "metrics_17k": (17_000,),
    "points_noeuds": (20_000,),  # 100k: the designer's junctions section (> 15 min here)
    "map": (20_000, 100_000),
    "graph_from_osm": PBF_SIZES,
}
TIME_LIMIT_S = 900
RSS_LIMIT_GB = 12.0


# ============================================================================ children


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _timed(fn, repeat):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


_INPUT = {"rss_mb": 0.0}


def _graph(size, *, places=None):
    from graphs import parcs_graph

    t0 = time.perf_counter()
    G = parcs_graph(size, places=max(45, size // 100) if places is None else places)
    _INPUT["rss_mb"] = _rss_mb()  # peak so far: the input graph and the warm kernels
    return G, time.perf_counter() - t0


def _pairs(G, count, seed=0):
    nodes = np.fromiter(G.nodes, dtype=np.int64)
    return np.random.default_rng(seed).choice(nodes, size=(count, 2))


def _pandana(G, weight="est_length"):
    import pandana
    import pandas as pd

    nodes = np.fromiter(G.nodes, dtype=np.int64)
    x = pd.Series([G.nodes[n]["x"] for n in nodes], index=nodes)
    y = pd.Series([G.nodes[n]["y"] for n in nodes], index=nodes)
    u, v, w = zip(*((a, b, d[weight]) for a, b, d in G.edges(data=True)), strict=True)
    t0 = time.perf_counter()
    net = pandana.Network(x, y, pd.Series(u), pd.Series(v), pd.DataFrame({"w": w}), twoway=False)
    return net, time.perf_counter() - t0


def child_route(size):
    import networkx as nx

    import parcs

    G, build = _graph(size)
    pairs = _pairs(G, 21)
    t0 = time.perf_counter()
    parcs.route(G, int(pairs[0, 0]), int(pairs[0, 1]))  # converts G once (cached)
    first = time.perf_counter() - t0
    times = []
    for a, b in pairs[1:]:
        t0 = time.perf_counter()
        parcs.route(G, int(a), int(b))
        times.append(time.perf_counter() - t0)
    res = {
        "parcs.route (warm, graph arrays cached)": statistics.median(times),
        "parcs.route p90": float(np.percentile(times, 90)),
        "parcs.route first call (csr already built by attach_places)": first,
    }
    k = 5 if size <= 100_000 else 2
    nx_times = []
    for a, b in pairs[1 : 1 + k]:
        t0 = time.perf_counter()
        nx.shortest_path(G, int(a), int(b), weight="length")
        nx_times.append(time.perf_counter() - t0)
    res["networkx shortest_path(weight='length')"] = statistics.median(nx_times)
    if size <= 100_000:  # pandana's preprocessing grows too long beyond (12 s at 20k)
        net, prep = _pandana(G)
        pd_times = []
        for a, b in pairs[1:]:
            t0 = time.perf_counter()
            net.shortest_path(int(a), int(b))
            pd_times.append(time.perf_counter() - t0)
        res["pandana shortest_path (CH query)"] = statistics.median(pd_times)
        res["pandana preprocessing (once)"] = prep
    return res, {"build_s": build, "n": G.number_of_nodes()}


def child_isochrone(size):
    import networkx as nx
    import shapely

    import parcs

    G, build = _graph(size)
    origins = [int(a) for a in _pairs(G, 5, seed=3)[:, 0]]
    parcs.isochrone(G, origins[0], max_s=1800)
    t, iso = _timed(lambda: [parcs.isochrone(G, o, max_s=1800) for o in origins], 1)
    res = {"parcs.isochrone 30 min bike": t / len(origins)}
    speed = parcs.profiles.get_profile("bike").speed_ms
    for _u, _v, d in G.edges(data=True):
        d["_t"] = d["est_length"] / speed  # networkx reads a time attribute (untimed)

    def ego():
        H = nx.ego_graph(G, origins[0], radius=1800, distance="_t")
        pts = shapely.points([(G.nodes[n]["x"], G.nodes[n]["y"]) for n in H])
        return shapely.convex_hull(shapely.multipoints(pts))

    res["networkx ego_graph + convex hull"], _ = _timed(ego, 1)
    lines = iso[0].edges.geometry.to_numpy()
    res["shapely union_all of per-edge buffers (same pieces)"], _ = _timed(
        lambda: shapely.union_all(shapely.buffer(lines, 100.0, quad_segs=4)), 1
    )
    info = {"build_s": build, "pieces": len(iso[0].edges), "km": iso[0].reached_km}
    return res, info


def child_distance_matrix(size):
    import scipy.sparse as sp
    from scipy.sparse.csgraph import dijkstra

    import parcs
    from parcs.csr import csr_of

    G, build = _graph(size)
    res, info = {}, {"build_s": build}
    if size <= 20_000:
        pl = parcs.places(G)
        o, d = pl.iloc[:25], pl.iloc[25:45]
        parcs.distance_matrix(G, o.iloc[:2], d.iloc[:2])
        res["parcs.distance_matrix 25 × 20 places"], _ = _timed(
            lambda: parcs.distance_matrix(G, o, d), 5
        )
    k = 1000 if size <= 100_000 else 100
    pairs = _pairs(G, k, seed=5)
    orig, dest = [int(a) for a in pairs[:, 0]], [int(b) for b in pairs[:, 1]]
    parcs.distance_matrix(G, orig[:2], dest[:2])
    res[f"parcs.distance_matrix {k} × {k} nodes (time)"], D = _timed(
        lambda: parcs.distance_matrix(G, orig, dest), 1
    )
    csr = csr_of(G)
    w = csr.profile_weight("bike", "time")
    A = sp.csr_matrix((w, csr.indices, csr.indptr), shape=(csr.n_nodes, csr.n_nodes))
    oi, di = csr.index_of(orig), csr.index_of(dest)
    res[f"scipy dijkstra(indices={k} sources), columns taken"], _ = _timed(
        lambda: dijkstra(A, indices=oi)[:, di], 1
    )
    if size <= 100_000:
        net, prep = _pandana(G)
        oo, dd = np.repeat(orig, k), np.tile(dest, k)
        res[f"pandana shortest_path_lengths ({k * k:,} pairs, est_length)"], _ = _timed(
            lambda: net.shortest_path_lengths(oo, dd), 1
        )
        res["pandana preprocessing (once)"] = prep
    info["finite"] = float(np.isfinite(D.to_numpy()).mean())
    return res, info


def child_alternatives(size):
    import parcs

    G, build = _graph(size)
    pairs = _pairs(G, 4, seed=7)
    parcs.alternatives(G, int(pairs[0, 0]), int(pairs[0, 1]))
    t, _ = _timed(lambda: [parcs.alternatives(G, int(a), int(b), k=3) for a, b in pairs[1:]], 1)
    return {"parcs.alternatives k=3": t / 3}, {"build_s": build}


def child_round_trip(size):
    import parcs

    G, build = _graph(size)
    starts = [int(a) for a in _pairs(G, 4, seed=9)[:, 0]]
    parcs.round_trip(G, starts[0], length_m=20_000, n=1)
    t, _ = _timed(lambda: [parcs.round_trip(G, s, length_m=20_000, n=3) for s in starts[1:]], 1)
    return {"parcs.round_trip 20 km, n=3": t / 3}, {"build_s": build}


def child_missing_links(size):
    import parcs

    G, build = _graph(size)
    t, cands = _timed(lambda: parcs.missing_links(G), 1)
    return {"parcs.missing_links": t}, {"build_s": build, "candidates": len(cands)}


def child_plan_links(size):
    import parcs

    G, build = _graph(size)
    t, plan = _timed(lambda: parcs.plan_links(G, budget_km=10.0), 1)
    return {"parcs.plan_links(budget_km=10)": t}, {"build_s": build, "links": len(plan)}


def child_metrics(size):
    import parcs

    G, build = _graph(size)
    t, _ = _timed(lambda: parcs.metrics(G), 1)
    return {"parcs.metrics": t}, {"build_s": build, "places": len(parcs.places(G))}


def child_metrics_17k(size):
    """The issue's case: as many places as nodes (all 17k nodes of a city network)."""
    import geopandas as gpd
    from graphs import parcs_graph

    import parcs

    G = parcs_graph(size)
    _INPUT["rss_mb"] = _rss_mb()
    nodes = list(G.nodes)
    gdf = gpd.GeoDataFrame(
        {
            "name": [f"node {n}" for n in nodes],
            "kind": ["town" if i % 2 else "park" for i in range(len(nodes))],
            "population": [100 if i % 2 else 0 for i in range(len(nodes))],
        },
        geometry=gpd.points_from_xy(
            [G.nodes[n]["x"] for n in nodes], [G.nodes[n]["y"] for n in nodes]
        ),
        crs=G.graph["crs"],
    )
    parcs.attach_places(G, gdf, access_m=1.0)
    t, _ = _timed(lambda: parcs.metrics(G), 1)
    return {f"parcs.metrics, {len(nodes):,} places": t}, {"places": len(nodes)}


def child_points_noeuds(size):
    import parcs

    G, build = _graph(size)
    t, net = _timed(lambda: parcs.points_noeuds(G), 1)
    return {"parcs.points_noeuds": t}, {"build_s": build, "junctions": len(net.junctions)}


def child_map(size):
    from parcs import maps

    G, build = _graph(size)
    out = Path(tempfile.mkdtemp()) / "map.html"
    t, _ = _timed(lambda: maps.explore(G).save(str(out)), 1)
    return {"maps.explore(G) + save": t}, {"build_s": build, "html_mb": out.stat().st_size / 1e6}


def child_graph_from_osm(size):
    from osm_synth import synthetic_pbf

    import parcs

    path = synthetic_pbf(size)
    t, G = _timed(lambda: parcs.graph_from_osm(path=path), 1)
    info = {"nodes": G.number_of_nodes(), "edges": G.number_of_edges()}
    return {"parcs.graph_from_osm(path=...)": t}, info


def child_osm_osmnx(size):
    """osmnx's own reader on the same synthetic file, as OSM XML (untimed conversion)."""
    import osmium
    import osmnx as ox
    from osm_synth import synthetic_pbf

    pbf = synthetic_pbf(size)
    xml = pbf.with_name(pbf.name.replace(".osm.pbf", ".osm"))
    if not xml.exists():
        with osmium.SimpleWriter(str(xml)) as w:
            for obj in osmium.FileProcessor(str(pbf)):
                w.add(obj)
    t, G = _timed(lambda: ox.graph_from_xml(xml, simplify=True, retain_all=True), 1)
    return {"osmnx graph_from_xml (simplify=True)": t}, {"nodes": G.number_of_nodes()}


def child_osm_before(size):
    """The reader before issue 11 (git revision dba601b), on the same file."""
    from osm_synth import synthetic_pbf

    import parcs

    t, G = _timed(lambda: parcs.graph_from_osm(path=synthetic_pbf(size)), 1)
    return {"parcs.graph_from_osm before issue 11 (dba601b)": t}, {"nodes": G.number_of_nodes()}


CHILDREN = {
    name[len("child_") :]: fn for name, fn in globals().items() if name.startswith("child_")
}


def run_child(op, size):
    from parcs._kernels import warmup

    warmup()  # compile / load every routing kernel before timing (cold start: CLI rows)
    _INPUT["rss_mb"] = _rss_mb()
    res, info = CHILDREN[op](size)
    result = {"res": res, "info": info, "rss_mb": _rss_mb(), "base_mb": _INPUT["rss_mb"]}
    print("\nRESULT " + json.dumps(result))  # peers (pandana) print on stdout too


# ============================================================================ parent


def _spawn(args, *, env=None, limit_s=TIME_LIMIT_S, limit_gb=RSS_LIMIT_GB):
    """Run a child; return (stdout, stderr, status) with status ok/timeout/killed/failed."""
    proc = subprocess.Popen(
        [sys.executable, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    t0 = time.perf_counter()
    status = "ok"
    while proc.poll() is None:
        time.sleep(0.5)
        rss = _child_rss_gb(proc.pid)
        if rss > limit_gb:
            status = f"killed at {rss:.1f} GB"
        elif time.perf_counter() - t0 > limit_s:
            status = f"stopped after {limit_s} s"
        else:
            continue
        proc.kill()
        break
    out, err = proc.communicate()
    if status == "ok" and proc.returncode != 0:
        status = "failed: " + (err.strip().splitlines() or ["?"])[-1][:160]
    return out, err, status


def _child_rss_gb(pid):
    try:
        with Path(f"/proc/{pid}/status").open(encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return 0.0


def measure(op, size, *, env=None):
    out, _err, status = _spawn([__file__, "--child", op, str(size)], env=env)
    if status != "ok":
        return {"status": status}
    line = [ln for ln in out.splitlines() if ln.startswith("RESULT ")][-1]
    data = json.loads(line[len("RESULT ") :])
    data["status"] = "ok"
    return data


def _cli_run(cmd, env, runs=5):
    """Time one cold run of `cmd` (its stderr kept) then the median of `runs` warm ones."""
    t0 = time.perf_counter()
    cold = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    t_cold = time.perf_counter() - t0
    warm = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, capture_output=True, check=True)
        warm.append(time.perf_counter() - t0)
    return {
        "cold": t_cold,
        "cold_stderr": cold.stderr.strip(),
        "warm": statistics.median(warm),
        "warm_range": (min(warm), max(warm)),
    }


def cli_times():
    """Cold first ``parcs route`` (empty numba and parcs caches) and warm ones.

    On the embedded network (two of its places) and on a SYNTHETIC 20k-node graph file
    (``--graph``), where the route is long enough to need the numba kernels.
    """
    from graphs import parcs_graph

    import parcs

    cmd = [sys.executable, "-m", "parcs", "route", "Lens", "Béthune"]
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, NUMBA_CACHE_DIR=f"{tmp}/numba", PARCS_CACHE_DIR=f"{tmp}/parcs")
        out["embedded"] = _cli_run(cmd, env)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import parcs"], check=True)
        out["import"] = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        gpkg = f"{tmp}/synth20k.gpkg"
        parcs.save_graph(parcs_graph(20_000, places=200), gpkg)
        env = dict(os.environ, NUMBA_CACHE_DIR=f"{tmp}/numba", PARCS_CACHE_DIR=f"{tmp}/parcs")
        cmd = [sys.executable, "-m", "parcs", "--graph", gpkg, "route", "town 0", "park 199"]
        out["synthetic"] = _cli_run(cmd, env, runs=3)
    return out


# ============================================================================ report

TARGETS = {
    ("route", 100_000): "≥ 10× faster than networkx",
    ("route", 1_000_000): "< 50 ms",
    ("isochrone", 100_000): "< 0.5 s",
    ("distance_matrix", 20_000): "25 × 20 places < 0.5 s",
    ("distance_matrix", 100_000): "1,000 × 1,000 < 5 s",
    ("missing_links", 100_000): "< 30 s, < 2 GB",
    ("plan_links", 100_000): "< 30 s, < 2 GB",
    ("metrics_17k", 17_000): "< 60 s, < 2 GB",
    ("map", 100_000): "< 10 MB, < 5 s",
    ("graph_from_osm", 1_000_000): "< 60 s, < 4 GB",
    ("graph_from_osm", 30_000_000): "< 10 min, < 12 GB",
}


def _size_label(size):
    return f"{size // 1_000_000}M" if size >= 1_000_000 else f"{size // 1000}k"


def _row(op, size, data):
    label = f"`{op}` @{_size_label(size)}" + (
        " raw nodes" if op.startswith(("graph_from", "osm")) else ""
    )
    target = TARGETS.get((op, size), "")
    if data["status"] != "ok":
        return [f"| {label} | {data['status']} | | | {target} |"]
    res, info = data["res"], data["info"]
    rss = f"{data['rss_mb'] / 1024:.2f} GB (input {data['base_mb'] / 1024:.2f})"
    extra = ", ".join(
        f"{k} {v:,.3g}" if isinstance(v, float) else f"{k} {v:,}" for k, v in info.items()
    )
    lines = []
    ref = _reference(res)
    for i, (name, t) in enumerate(res.items()):
        ratio = ""
        if ref and not name.startswith("parcs") and "preprocessing" not in name:
            ratio = f" ({t / ref:.1f}× parcs)"
        cells = [
            label if i == 0 else "",
            f"{name}: **{fmt_s(t)}**{ratio}",
            rss if i == 0 else "",
            extra if i == 0 else "",
            target if i == 0 else "",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _reference(res):
    """The parcs time the peers of a row compare with (the same query as theirs)."""
    names = [n for n in res if n.startswith("parcs")]
    same = [n for n in names if "nodes (time)" in n or "warm" in n]
    pick = same[0] if same else (names[0] if names else None)
    return res[pick] if pick else None


def _cli_rows(cli):
    rows = []
    for key, what in (
        ("embedded", "`parcs route Lens Béthune` (embedded network)"),
        ("synthetic", "`parcs --graph synth20k.gpkg route` (SYNTHETIC 20k-node file)"),
    ):
        c = cli[key]
        rows += [
            (
                f"| {what}, cold (empty numba + parcs caches) | **{c['cold']:.2f} s** | | "
                f"stderr: {c['cold_stderr'][:90]!r} | < 10 s with a message |"
            ),
            (
                f"| {what}, warm (median) | **{c['warm']:.2f} s** (min {c['warm_range'][0]:.2f}, "
                f"max {c['warm_range'][1]:.2f}) | | | < 1 s |"
            ),
        ]
    rows.append(
        f"| `python -c 'import parcs'` | **{cli['import']:.2f} s** | | process wall time "
        "| < 0.3 s |"
    )
    return rows


def _get(results, op, size, name_part):
    data = results.get((op, size), {})
    if data.get("status") != "ok":
        return None, data.get("status", "not run")
    for name, t in data["res"].items():
        if name_part in name:
            return t, data
    return None, "not measured"


def _target_rows(results):
    """(target, measured, met) for each (operation, size) target of issue 11."""
    rows = []

    def timed(label, op, size, part, limit_s, *, gb=None, mb_key=None, mb=None):
        t, data = _get(results, op, size, part)
        if t is None:
            rows.append((label, data, "**no**"))
            return
        rss = data["rss_mb"] / 1024
        ok = t < limit_s and (gb is None or rss < gb)
        text = fmt_s(t) + (f", {rss:.2f} GB peak" if gb else "")
        if mb_key:
            size_mb = data["info"][mb_key]
            ok = ok and size_mb < mb
            text += f", {size_mb:.1f} MB"
        rows.append((label, text, "yes" if ok else "**no**"))

    t, data = _get(results, "route", 100_000, "warm")
    t_nx, _ = _get(results, "route", 100_000, "networkx")
    if t and t_nx:
        ratio = t_nx / t
        met = "yes" if ratio >= 10 else "**no**"
        text = f"{fmt_s(t)} vs networkx {fmt_s(t_nx)}: {ratio:.0f}×"
        rows.append(("`route` @100k: ≥ 10× faster than `nx.shortest_path`", text, met))
    else:
        rows.append(("`route` @100k: ≥ 10× faster than `nx.shortest_path`", data, "**no**"))
    timed("`route` @1M: < 50 ms (median)", "route", 1_000_000, "warm", 0.05)
    timed("`isochrone` 30 min @100k: < 0.5 s", "isochrone", 100_000, "isochrone", 0.5)
    timed(
        "`distance_matrix` 25 × 20 places @20k: < 0.5 s", "distance_matrix", 20_000, "places", 0.5
    )
    timed(
        "`distance_matrix` 1,000 × 1,000 @100k: < 5 s",
        "distance_matrix",
        100_000,
        "1000 × 1000",
        5.0,
    )
    timed("`missing_links` @100k: < 30 s, < 2 GB", "missing_links", 100_000, "missing", 30, gb=2)
    timed("`plan_links(10 km)` @100k: < 30 s, < 2 GB", "plan_links", 100_000, "plan", 30, gb=2)
    timed(
        "`metrics` exact, 17k places @17k: < 60 s, < 2 GB",
        "metrics_17k",
        17_000,
        "metrics",
        60,
        gb=2,
    )
    timed(
        "`graph_from_osm` 1M raw nodes: < 60 s, < 4 GB",
        "graph_from_osm",
        1_000_000,
        "graph_from_osm",
        60,
        gb=4,
    )
    timed(
        "`graph_from_osm` 30M raw nodes: < 10 min, < 12 GB",
        "graph_from_osm",
        30_000_000,
        "graph_from_osm",
        600,
        gb=12,
    )
    timed("map HTML @100k: < 10 MB, < 5 s", "map", 100_000, "explore", 5, mb_key="html_mb", mb=10)
    return rows


def _cli_target_rows(cli):
    rows = []
    for key, what in (("embedded", "embedded network"), ("synthetic", "SYNTHETIC 20k file")):
        c = cli[key]
        said = "compiling" in c["cold_stderr"]
        note = "compile notice shown" if said else "nothing compiled, so no notice"
        rows.append(
            (
                f"cold first `parcs route` ({what}): < 10 s with a message",
                f"{c['cold']:.2f} s, {note}",
                "yes" if c["cold"] < 10 else "**no**",
            )
        )
        rows.append(
            (
                f"warm `parcs route` ({what}): < 1 s",
                f"{c['warm']:.2f} s",
                "yes" if c["warm"] < 1 else "**no**",
            )
        )
    rows.append(
        (
            "`python -c 'import parcs'`: < 0.3 s",
            f"{cli['import']:.2f} s",
            "yes" if cli["import"] < 0.3 else "**no**",
        )
    )
    return rows


def targets_table(results, cli):
    """The issue's targets against this run: a markdown table."""
    rows = _target_rows(results) + (_cli_target_rows(cli) if cli else [])
    lines = [
        "### Targets of issue 11 against this run",
        "",
        "| target | measured | met |",
        "|---|---|---|",
    ]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return lines


def report(results, cli, *, wall, load):
    lines = [
        "## scale — every operation at 20k, 100k and 1M nodes (`benchmarks/bench_scale.py`)",
        "",
        (
            "SYNTHETIC inputs (graphs.py road-like graphs with n/100 point places; osm_synth.py "
            "pbfs). One subprocess per row: time = median of the repeats (warm numba kernels, "
            "graph arrays cached unless the row says first call); peak RSS = the child's "
            "`ru_maxrss`, input included (in brackets: the peak once the input graph was built "
            "and the kernels loaded). Peers run in the same child on the same edges; "
            "`(N× parcs)` is the peer's time over parcs's for the same query. "
            "`points_noeuds` @100k is in the junctions section (its own targets)."
        ),
        "",
        "| operation | times | peak RSS | notes | target |",
        "|---|---|---|---|---|",
    ]
    for (op, size), data in results.items():
        lines += _row(op, size, data)
    if cli:
        lines += _cli_rows(cli)
    lines += ["", *targets_table(results, cli)]
    lines += [
        "",
        (
            f"Whole run: {wall / 60:.1f} min. Load average (1 min) at start / end: "
            f"{load[0]:.1f} / {load[1]:.1f} on 2 cores shared with other jobs: every figure "
            "is noisy (±30 %)."
        ),
    ]
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--child", nargs=2, metavar=("OP", "SIZE"), help=argparse.SUPPRESS)
    ap.add_argument("--quick", action="store_true", help="20k graph, 1M pbf and the CLI only")
    ap.add_argument("--only", help="comma-separated operations")
    ap.add_argument("--sizes", help="comma-separated graph sizes")
    ap.add_argument("--no-cli", action="store_true")
    ap.add_argument("--no-write", action="store_true", help="print, do not write RESULTS.md")
    ap.add_argument(
        "--from-log",
        metavar="LOG",
        help="rebuild the report from the printed output of an earlier run (CLI rows rerun)",
    )
    ap.add_argument("--note", action="append", default=[], help="a note line for the section")
    args = ap.parse_args(argv)
    if args.from_log:
        _report_from_log(Path(args.from_log), write=not args.no_write, notes=args.note)
        return
    if args.child:
        run_child(args.child[0], int(args.child[1]))
        return
    t_start, load0 = time.perf_counter(), os.getloadavg()[0]
    results = _run_plan(args)
    cli = None if args.no_cli or args.only else cli_times()
    body = report(
        results, cli, wall=time.perf_counter() - t_start, load=(load0, os.getloadavg()[0])
    )
    body += "".join(f"\n\n{note}" for note in args.note)
    print(body)
    if not args.no_write:
        write_section("scale", body)


def _run_plan(args):
    """Measure every (operation, size) of PLAN that `args` selects; return the results."""
    sizes = {int(s) for s in args.sizes.split(",")} if args.sizes else None
    ops = args.only.split(",") if args.only else list(PLAN)
    results = {}
    for op in ops:
        for size in PLAN.get(op, ()):
            graph_size = size if not op.startswith("graph_from") else None
            if args.quick and ((graph_size or 0) > 20_000 or size > 1_000_000):
                continue
            if sizes and graph_size and size not in sizes:
                continue
            print(f"{op} @{size} ...", flush=True)
            results[(op, size)] = measure(op, size)
            print("   ", results[(op, size)], flush=True)
            if op == "graph_from_osm" and size == 1_000_000:
                for peer in ("osm_osmnx", "osm_before"):
                    env = None
                    if peer == "osm_before":
                        env = dict(os.environ, PYTHONPATH=_before_tree())
                    results[(peer, size)] = measure(peer, size, env=env)
                    print("   ", peer, results[(peer, size)], flush=True)
    return results


def _report_from_log(log, *, write, notes=()):
    """Re-render the section from a run's stdout (``op @size ...`` then the result dicts)."""
    import ast
    import re

    results, key = {}, None
    wall = load = None
    for line in log.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^(\w+) @(\d+) \.\.\.$", line)
        if m:
            key = (m.group(1), int(m.group(2)))
        elif line.startswith("    {") and key:
            results[key] = ast.literal_eval(line.strip())
        elif line.startswith("    osm_") and key:
            peer, data = line.strip().split(" ", 1)
            results[(peer, key[1])] = ast.literal_eval(data)
        elif line.startswith("Whole run: "):
            m = re.search(r"Whole run: ([\d.]+) min.*?: ([\d.]+) / ([\d.]+)", line)
            wall, load = float(m.group(1)) * 60, (float(m.group(2)), float(m.group(3)))
    for data in results.values():  # labels renamed since
        if "res" in data:
            data["res"] = {
                k.replace("(builds the cached arrays)", "(csr already built by attach_places)"): v
                for k, v in data["res"].items()
            }
    cli = cli_times()
    body = report(results, cli, wall=wall or 0.0, load=load or os.getloadavg()[:2])
    body += (
        f"\n\nRows rebuilt from the log of that run; the CLI rows were measured again with "
        f"the final code (load average {os.getloadavg()[0]:.1f})."
    )
    body += "".join(f"\n\n{note}" for note in notes)
    print(body)
    if write:
        write_section("scale", body)


def _before_tree():
    """A checkout of the parcs sources before issue 11 (``git archive dba601b``), cached."""
    dest = Path(tempfile.gettempdir()) / "parcs-bench" / "src-dba601b"
    if not (dest / "src" / "parcs").exists():
        dest.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "-C", str(HERE.parent), "archive", "dba601b", "src"],
            capture_output=True,
            check=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return str(dest / "src")


if __name__ == "__main__":
    main()
