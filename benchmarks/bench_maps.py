"""Benchmark: the map HTML of a 100k-node graph (issue 11 target: < 10 MB, < 5 s).

The graph is SYNTHETIC: ``graphs.road_like(100_000)`` (random points ~100 m apart, thinned
Delaunay triangulation, mean degree 2.8), shifted into Lambert-93 over the Lens-Béthune area
(so the offline base map draws the embedded communes it covers), with seeded random edge kinds
(cycleway 20 %, path 30 %, track 25 %, towpath 5 %, unbuilt connector 20 %) and names (40 % of
the edges, ``"Chemin <k>"``, k among n / 20 values). Two variants: straight edges (as
road_like makes them) and curvy edges (8 vertices each on a sine arc, like OSM ways).

Timed: ``maps.save_map(G, path, tiles=None)`` (explore + render + atomic write), first on a
fresh graph (it pays the one-time ``csr_of`` check and conversion, as a user's first map
does), then again on the same graph (cached arrays). For reference, ``csr_of(G)`` alone on a
fresh graph (with the garbage collector on, as a user calling it gets; the map pauses it). Beside it, in the same run, what a user
would otherwise do: a ``folium.GeoJson`` of the undirected edges GeoDataFrame with a tooltip,
saved (what ``GeoDataFrame.explore()`` does; the edges table itself is not timed). The browser
column is headless Chromium loading the page (process start to DOM dump), when installed.

Run: ``python benchmarks/bench_maps.py [--quick]`` (writes the "maps" section of RESULTS.md).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import networkx as nx
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from _results import fmt_s, write_section
from graphs import road_like

import parcs
from parcs import maps
from parcs.csr import csr_of

X0, Y0 = 670_000.0, 7_020_000.0  # Lambert-93, south-west corner over Lens-Béthune
KINDS = ("cycleway", "path", "track", "towpath", "connector")
SHARES = (0.20, 0.30, 0.25, 0.05, 0.20)
TARGET_MB, TARGET_S = 10.0, 5.0


def synthetic_graph(n: int, *, curvy: bool, seed: int = 0) -> nx.MultiDiGraph:
    """A parcs graph from ``road_like(n)`` (see the module docstring: synthetic, not geodata)."""
    import shapely  # noqa: PLC0415

    arcs = road_like(n, seed=seed)
    half = arcs.tails < arcs.heads
    u, v, length = arcs.tails[half], arcs.heads[half], arcs.length[half]
    rng = np.random.default_rng(seed + 1)
    kind = rng.choice(len(KINDS), size=len(u), p=SHARES)
    named = rng.random(len(u)) < 0.4
    name_k = rng.integers(0, max(n // 20, 1), size=len(u))
    x, y = arcs.x + X0, arcs.y + Y0
    geoms = [None] * len(u)
    if curvy:
        t = np.linspace(0.0, 1.0, 8)
        p0 = np.column_stack([x[u], y[u]])
        p1 = np.column_stack([x[v], y[v]])
        d = p1 - p0
        normal = np.column_stack([-d[:, 1], d[:, 0]])
        amp = rng.uniform(-0.08, 0.08, size=len(u))[:, None, None]
        pts = p0[:, None, :] + t[None, :, None] * d[:, None, :]
        pts = pts + amp * np.sin(np.pi * t)[None, :, None] * normal[:, None, :]
        geoms = list(shapely.linestrings(pts))
        length = shapely.length(np.asarray(geoms, dtype=object))
    G = nx.MultiDiGraph(crs="EPSG:2154", name=f"synthetic road_like({n})", source="synthetic")
    G.add_nodes_from((i, {"x": float(x[i]), "y": float(y[i])}) for i in range(n))
    for j in range(len(u)):
        attrs = {
            "length": float(length[j]),
            "kind": KINDS[kind[j]],
            "built": KINDS[kind[j]] != "connector",
            "name": f"Chemin {name_k[j]}" if named[j] else "",
        }
        a, b = int(u[j]), int(v[j])
        g = geoms[j]
        G.add_edge(a, b, 0, **attrs, **({"geometry": g} if g is not None else {}))
        G.add_edge(b, a, 0, **attrs, **({"geometry": g.reverse()} if g is not None else {}))
    return G


def time_parcs(make, out: Path, *, repeat: int) -> tuple[float, float, float, int]:
    """Medians: first map on fresh graphs, their one-time ``csr_of``, the map again; size."""
    first, conversion = [], []
    for _ in range(repeat):
        G = make()
        t0 = time.perf_counter()
        maps.save_map(G, out, tiles=None)
        first.append(time.perf_counter() - t0)
        G = make()
        t0 = time.perf_counter()
        csr_of(G)
        conversion.append(time.perf_counter() - t0)
    again = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        maps.save_map(G, out, tiles=None)
        again.append(time.perf_counter() - t0)
    median = statistics.median
    return median(first), median(conversion), median(again), out.stat().st_size


def time_folium(G: nx.MultiDiGraph, out: Path) -> tuple[float, int]:
    """folium GeoJSON of the undirected edges with a tooltip, saved: time and size.

    What ``GeoDataFrame.explore()`` does underneath (it also needs matplotlib and mapclassify,
    not installed here): one GeoJSON feature per edge, reprojected to EPSG:4326 by geopandas.
    """
    import folium  # noqa: PLC0415

    _nodes, edges = parcs.io.to_gdfs(G, undirected=True)
    edges = edges.reset_index()[["name", "kind", "length", "built", "geometry"]]
    t0 = time.perf_counter()
    m = folium.Map(tiles=None)
    tooltip = folium.GeoJsonTooltip(fields=["name", "kind", "length"])
    folium.GeoJson(edges.to_crs(4326), tooltip=tooltip).add_to(m)
    m.save(str(out))
    return time.perf_counter() - t0, out.stat().st_size


def time_browser(page: Path) -> float | None:
    """Seconds for headless Chromium to load `page` and dump its DOM (None without it)."""
    exe = shutil.which("chromium")
    if exe is None:
        return None
    with tempfile.TemporaryDirectory() as profile:
        cmd = [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-dev-shm-usage",
            f"--user-data-dir={profile}",
            "--virtual-time-budget=5000",
            "--dump-dom",
            page.resolve().as_uri(),
        ]
        t0 = time.perf_counter()
        subprocess.run(cmd, capture_output=True, timeout=600, check=True)
        return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20k nodes, one repeat")
    args = parser.parse_args(argv)
    n = 20_000 if args.quick else 100_000
    repeat = 1 if args.quick else 3
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        maps.save_map(synthetic_graph(2_000, curvy=False), folder / "warm.html", tiles=None)
        for curvy in (False, True):
            label = "curvy edges (8 vertices)" if curvy else "straight edges"
            G = synthetic_graph(n, curvy=curvy)
            n_edges = G.number_of_edges() // 2
            first, conversion, again, size = time_parcs(
                lambda c=curvy: synthetic_graph(n, curvy=c), folder / "parcs.html", repeat=repeat
            )
            browser = time_browser(folder / "parcs.html")
            gp_time, gp_size = time_folium(G, folder / "gpd.html")
            gp_browser = time_browser(folder / "gpd.html")
            rows.append(
                (
                    label,
                    n_edges,
                    first,
                    conversion,
                    again,
                    size,
                    browser,
                    gp_time,
                    gp_size,
                    gp_browser,
                )
            )
            print(rows[-1])
    artois = parcs.load_network()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        page = maps.save_map(artois, Path(tmp) / "a.html", tiles=None)
        t_artois, s_artois = time.perf_counter() - t0, page.stat().st_size
    load = os.getloadavg()[0]
    write_section("maps", _body(n, rows, t_artois, s_artois, load))


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def _body(n: int, rows: list[tuple], t_artois: float, s_artois: int, load: float) -> str:
    lines = [
        f"## maps — HTML map of a {n // 1000}k-node graph",
        "",
        "`python benchmarks/bench_maps.py`. SYNTHETIC graph: `graphs.road_like` in Lambert-93 "
        "over Lens-Béthune, random kinds and names (module docstring). `tiles=None`, so the "
        "page also holds the offline base map (embedded communes). Target (issue 11): "
        f"< {TARGET_MB:.0f} MB and < {TARGET_S:.0f} s. Medians of 3 runs; the machine is "
        f"shared (load average {load:.1f} on 2 cores at the end of the run): timings are noisy.",
        "",
        "| edges | undirected | parcs first map | `csr_of` alone (GC on) | parcs again | "
        "parcs HTML | met | Chromium load | folium `GeoJson` + save | its HTML | Chromium load |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for label, n_edges, first, conv, again, size, browser, gp_t, gp_s, gp_b in rows:
        met = "yes" if first < TARGET_S and size < TARGET_MB * 1e6 else "NO"
        lines.append(
            f"| {label} | {n_edges:,} | {fmt_s(first)} | {fmt_s(conv)} | {fmt_s(again)} | "
            f"{_mb(size)} | {met} | {fmt_s(browser) if browser else '—'} | {fmt_s(gp_t)} | "
            f"{_mb(gp_s)} | {fmt_s(gp_b) if gp_b else '—'} |"
        )
    lines += [
        "",
        f"Embedded Artois network (903 nodes) with its places and base map: {fmt_s(t_artois)}, "
        f"{_mb(s_artois)}.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    print(f"total {time.perf_counter() - t0:.1f} s")
