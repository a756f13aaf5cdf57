"""Benchmark: design a points-nœuds network (points_noeuds) on real and synthetic graphs.

Times (median of repeated runs, numba kernels compiled beforehand):

* the whole design, ``points_noeuds(G)`` (selection of the signed network, junctions, links,
  numbering, GeoDataFrames), on the embedded Artois network, on the real OSM samples built with
  ``simplify=False`` (Krems, 3.8k nodes, the size class of the issue's 2.4k-node German
  extract, which does not ship; Andorra, 27.5k nodes) and on synthetic road-like meshes of
  20k and 100k nodes (``graphs.road_like``, kinds drawn at random); "cold" runs clear the
  graph's cache first (they include the one CSR conversion every parcs call shares);
* the link chains of the signed network, parcs (arrays) vs a networkx walk on the same edges;
* the numbering alone, parcs DSATUR vs ``networkx.greedy_color(strategy="DSATUR")``;
* ``validate()``, ``net.loop`` and ``net.handout``; importing the knooppuntnet samples.

Run: ``python benchmarks/bench_junctions.py`` (writes section "junctions" of RESULTS.md).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import networkx as nx
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from _results import fmt_s, median_time, write_section  # noqa: E402
from graphs import road_like  # noqa: E402

import parcs  # noqa: E402
from parcs.graph import invalidate  # noqa: E402
from parcs.junctions import numbering as _numbering  # noqa: E402
from parcs.junctions import points_noeuds, read_node_network  # noqa: E402

SAMPLES = Path("/work/shared/data/osm_samples")
KIND = "path"
_KINDS = ("path", "track", "connector", "cycleway")


def _grid(nx_: int, ny: int, step: float) -> nx.MultiDiGraph:
    """A parcs-format grid graph (both directions, straight edges of kind KIND)."""
    from shapely.geometry import LineString

    G = nx.MultiDiGraph(crs="EPSG:2154")
    x0, y0 = 690_000.0, 7_032_000.0
    for i in range(nx_):
        for j in range(ny):
            G.add_node(i * ny + j, x=x0 + step * i, y=y0 + step * j)
    pairs = [(i * ny + j, i * ny + j + 1) for i in range(nx_) for j in range(ny - 1)]
    pairs += [(i * ny + j, (i + 1) * ny + j) for i in range(nx_ - 1) for j in range(ny)]
    for u, v in pairs:
        a = (G.nodes[u]["x"], G.nodes[u]["y"])
        b = (G.nodes[v]["x"], G.nodes[v]["y"])
        attrs = {"length": step, "est_length": step, "kind": KIND, "built": True}
        G.add_edge(u, v, 0, geometry=LineString([a, b]), **attrs)
        G.add_edge(v, u, 0, geometry=LineString([b, a]), **attrs)
    return G


def synthetic(n: int) -> nx.MultiDiGraph:
    """A SYNTHETIC parcs graph from ``graphs.road_like(n)`` (random kinds, Lambert-93 offset)."""
    a = road_like(n)
    G = nx.MultiDiGraph(crs="EPSG:2154", name=f"synthetic road_like({n})", source="synthetic")
    x0, y0 = 650_000.0, 6_950_000.0
    G.add_nodes_from((i, {"x": x0 + a.x[i], "y": y0 + a.y[i]}) for i in range(a.n))
    rng = np.random.default_rng(0)
    m = a.m // 2  # the arc list holds every edge twice: first u->v, then v->u
    kinds = rng.choice(_KINDS, size=m, p=[0.3, 0.2, 0.4, 0.1])
    for k in range(m):
        u, v, w = int(a.tails[k]), int(a.heads[k]), float(a.length[k])
        d = {"length": w, "est_length": w, "kind": str(kinds[k]), "built": True}
        G.add_edge(u, v, 0, **d)
        G.add_edge(v, u, 0, **d)
    return G


def osm(name: str, *, simplify: bool) -> nx.MultiDiGraph:
    path = SAMPLES / name
    G = parcs.graph_from_osm(path=path, simplify=simplify)
    places = parcs.places_from_osm(path)
    if len(places):
        parcs.attach_places(G, places)
    return G


def cold_time(G: nx.MultiDiGraph, repeat: int) -> float:
    def run() -> None:
        invalidate(G)
        points_noeuds(G)

    return median_time(run, repeat=repeat)


def design_row(label: str, G: nx.MultiDiGraph, target: str, limit: float, repeat: int) -> str:
    net = points_noeuds(G)
    warm = median_time(lambda: points_noeuds(G), repeat=repeat)
    cold = cold_time(G, max(1, repeat // 2))
    rep = net.validate().set_index("rule")["measured"]
    met = "—" if target == "—" else ("yes" if cold < limit else "NO")
    return (
        f"| {label} ({G.number_of_nodes():,} nodes) | {fmt_s(cold)} | {fmt_s(warm)} | {target} | "
        f"{met} | {len(net.junctions)} junctions, {len(net.links)} links, "
        f"{net.report['km_covered']:.0f} km; links 1–5 km {rep['links of 1–5 km']}; face loops "
        f"8–20 km {rep['face loops of 8–20 km']} |"
    )


def chains_rows(G: nx.MultiDiGraph) -> list[str]:
    """Link chains of the signed network: parcs arrays vs a networkx walk (same edges)."""
    from parcs.junctions._signed import chains

    net = points_noeuds(G)
    g = net._graph
    signed = np.zeros(int(g.edge_of.max()) + 1, dtype=np.bool_)
    for arcs in net._link_arcs:
        signed[g.edge_of[arcs]] = True
    junction = np.zeros(g.csr.n_nodes, dtype=np.bool_)
    junction[[g.index[n] for n in net.junctions.index]] = True
    t_parcs = median_time(lambda: chains(g, signed, junction), repeat=5)
    H = nx.MultiGraph()
    arcs_in = np.flatnonzero(signed[g.edge_of])
    for a in arcs_in.tolist():
        u, v = int(g.tails[a]), int(g.csr.indices[a])
        if u < v:
            H.add_edge(u, v, w=float(g.weight[a]))
    js = set(np.flatnonzero(junction).tolist())

    def nx_chains() -> int:
        seen, count = set(), 0
        for j in js:
            for _, v, k in H.edges(j, keys=True):
                if (j, v, k) in seen:
                    continue
                prev, cur, key = j, v, k
                seen.update({(prev, cur, key), (cur, prev, key)})
                while cur not in js:
                    nxt = next((w, kk) for _, w, kk in H.edges(cur, keys=True) if (cur, w, kk) not in seen)
                    prev, (cur, key) = cur, nxt
                    seen.update({(prev, cur, key), (cur, prev, key)})
                count += 1
        return count

    t_nx = median_time(nx_chains, repeat=5)
    assert nx_chains() == len(chains(g, signed, junction)[0]) == len(net.links)
    edges = f"{int(signed.sum()):,} signed edges of the 100k mesh"
    return [
        f"| link chains, parcs `chains` ({edges}) | {fmt_s(t_parcs)} | — | — | — | "
        f"{len(net.links)} links |",
        f"| link chains, a networkx walk on the same edges | {fmt_s(t_nx)} | — | — | — | "
        f"{t_nx / t_parcs:.1f}× parcs |",
    ]


def numbering_rows(net) -> list[str]:
    j = net.junctions
    xy = np.column_stack([j.geometry.x, j.geometry.y])
    pos = {n: i for i, n in enumerate(j.index)}
    links = [(pos[a], pos[b]) for a, b in zip(net.links["from_node"], net.links["to_node"], strict=True)]
    pairs = _numbering.conflict_pairs(xy, links, min_reuse_m=5000.0)
    ids = j.index.to_numpy()
    t_spread = median_time(
        lambda: _numbering.colour_junctions(len(xy), pairs, ids=ids, xy=xy, choice="spread"), repeat=7
    )
    t_small = median_time(
        lambda: _numbering.colour_junctions(len(xy), pairs, ids=ids, xy=xy, choice="smallest"), repeat=7
    )
    H = nx.Graph()
    H.add_nodes_from(range(len(xy)))
    H.add_edges_from(pairs)
    t_nx = median_time(lambda: nx.greedy_color(H, strategy="DSATUR"), repeat=7)
    n_small = len(set(_numbering.colour_junctions(len(xy), pairs, ids=ids, choice="smallest").tolist()))
    n_nx = len(set(nx.greedy_color(H, strategy="DSATUR").values()))
    return [
        f"| numbering (Artois), parcs DSATUR `spread` | {fmt_s(t_spread)} | — | — | — | "
        f"{len(pairs)} conflicts, {j['number'].nunique()} numbers used |",
        f"| numbering (Artois), parcs DSATUR `smallest` | {fmt_s(t_small)} | — | — | — | {n_small} numbers |",
        f"| numbering (Artois), networkx `greedy_color(DSATUR)` | {fmt_s(t_nx)} | — | — | — | "
        f"{n_nx} colours ({t_nx / t_small:.1f}× parcs `smallest`) |",
    ]


def ride_rows(net) -> list[str]:
    start = 382 if 382 in net.junctions.index else int(net.junctions.index[0])
    t_loop = median_time(lambda: net.loop(start, km=20, n=3), repeat=5)
    loops = net.loop(start, km=20, n=3)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        net.handout(loops[0], Path(tmp) / "ride.pdf")
        t_first = time.perf_counter() - t0
        t_hand = median_time(lambda: net.handout(loops[0], Path(tmp) / "ride.pdf"), repeat=3)
    return [
        f"| `net.loop(start, km=20, n=3)` (Artois) | {fmt_s(t_loop)} | — | — | — | {len(loops)} loops |",
        f"| `net.handout(loop, 'ride.pdf')` (A4 PDF + GPX) | {fmt_s(t_hand)} | — | — | — | "
        f"first call {fmt_s(t_first)} (matplotlib import, fonts) |",
    ]


def main() -> None:
    G = parcs.load_network()
    net = points_noeuds(G)  # compile kernels, warm caches
    rows = [
        design_row("design, embedded Artois network", G, "—", 1e9, 7),
        f"| `validate()` (Artois) | {fmt_s(median_time(net.validate, repeat=7))} | — | — | — | "
        f"{len(net.validate())} rules |",
    ]
    rows.append(design_row("design, Krems OSM, `simplify=False`", osm("krems.osm.gz", simplify=False), "< 1 s", 1.0, 5))
    rows.append(design_row("design, Andorra OSM, `simplify=False`", osm("andorra.osm.pbf", simplify=False), "< 10 s", 10.0, 3))
    rows.append(design_row("design, synthetic 60×60 grid of 500 m paths", _grid(60, 60, 500.0), "—", 1e9, 3))
    syn20 = synthetic(20_000)
    rows.append(design_row("design, synthetic road-like mesh", syn20, "< 10 s", 10.0, 3))
    syn100 = synthetic(100_000)
    rows.append(design_row("design, synthetic road-like mesh", syn100, "< 60 s", 60.0, 1))
    rows += chains_rows(syn100)
    rows += numbering_rows(net)
    rows += ride_rows(net)
    for name in ("knooppuntnet-10887712.xml", "knooppuntnet-network-8438300-before.xml"):
        path = SAMPLES / name
        if path.exists():
            imported = read_node_network(path)
            t = median_time(lambda p=path: read_node_network(p), repeat=5)
            rows.append(
                f"| `read_node_network` {name} | {fmt_s(t)} | — | — | — | {len(imported.junctions)} "
                f"junctions, {imported.report['routes']} routes, {len(imported.issues)} issues |"
            )
    body = (
        "## junctions (points nœuds)\n\n"
        "`python benchmarks/bench_junctions.py`. Median wall time, numba kernels compiled "
        "beforehand; *cold* clears the graph's cache first (one CSR conversion included), "
        "*warm* reuses it. The 2.4k-node German extract of the issue does not ship: the "
        "Krems sample built with `simplify=False` (3.8k nodes) stands in for it. Synthetic "
        "meshes: `graphs.road_like(n)` with random kinds (40 % quiet roads). Before this "
        "design the issue measured 11 s on 2.4k nodes and 520 s on 20k. Timings are noisy "
        "(2 cores shared with other runs).\n\n"
        "| task | cold | warm | target | met | result |\n|---|---|---|---|---|---|\n"
        + "\n".join(rows)
    )
    write_section("junctions", body)
    print(body)


if __name__ == "__main__":
    main()
