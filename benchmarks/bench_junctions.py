"""Benchmark: design a points-nœuds network on the embedded Artois network.

Times (median of repeated runs, kernels compiled beforehand):

* the whole design, ``points_noeuds(G)`` (thinning, links, splitting, numbering, GeoDataFrames);
* the numbering alone, parcs DSATUR vs ``networkx.greedy_color(strategy="DSATUR")`` on the same
  conflict graph (networkx only colours: it has no 1..99 limit, fixed numbers or spread choice);
* ``validate()``;
* importing the knooppuntnet sample files with ``read_node_network``.

Run: ``python benchmarks/bench_junctions.py`` (writes section "junctions" of RESULTS.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

import networkx as nx
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from _results import fmt_s, median_time, write_section  # noqa: E402

import parcs  # noqa: E402
from parcs.junctions import numbering as _numbering  # noqa: E402
from parcs.junctions import points_noeuds, read_node_network  # noqa: E402

SAMPLES = Path("/work/shared/data/osm_samples")


def _grid(nx_: int, ny: int, step: float) -> nx.MultiDiGraph:
    """A parcs-format grid graph (both directions, straight cavalier edges)."""
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
        attrs = {"length": step, "est_length": step, "kind": "cavalier", "built": True}
        G.add_edge(u, v, 0, geometry=LineString([a, b]), **attrs)
        G.add_edge(v, u, 0, geometry=LineString([b, a]), **attrs)
    return G


def main() -> None:
    G = parcs.load_network()
    net = points_noeuds(G)  # compile kernels, warm caches
    t_design = median_time(lambda: points_noeuds(G), repeat=7)
    t_validate = median_time(net.validate, repeat=7)

    j = net.junctions
    xy = np.column_stack([j.geometry.x, j.geometry.y])
    pos = {n: i for i, n in enumerate(j.index)}
    links = [
        (pos[a], pos[b]) for a, b in zip(net.links["from_node"], net.links["to_node"], strict=True)
    ]
    pairs = _numbering.conflict_pairs(xy, links, min_reuse_m=5000.0)
    ids = j.index.to_numpy()
    t_spread = median_time(
        lambda: _numbering.colour_junctions(len(xy), pairs, ids=ids, xy=xy, choice="spread"),
        repeat=7,
    )
    t_small = median_time(
        lambda: _numbering.colour_junctions(len(xy), pairs, ids=ids, xy=xy, choice="smallest"),
        repeat=7,
    )
    H = nx.Graph()
    H.add_nodes_from(range(len(xy)))
    H.add_edges_from(pairs)
    t_nx = median_time(lambda: nx.greedy_color(H, strategy="DSATUR"), repeat=7)
    n_small = len(
        set(_numbering.colour_junctions(len(xy), pairs, ids=ids, choice="smallest").tolist())
    )
    n_nx = len(set(nx.greedy_color(H, strategy="DSATUR").values()))

    rows = [
        f"| design `points_noeuds(G)` (Artois, {G.number_of_nodes()} nodes) | {fmt_s(t_design)} | "
        f"{len(net.junctions)} junctions, {len(net.links)} links, {net.report['km_covered']:.0f} km |",
        f"| `validate()` | {fmt_s(t_validate)} | {len(net.validate())} rules |",
        f"| numbering, parcs DSATUR `spread` | {fmt_s(t_spread)} | {len(pairs)} conflicts, "
        f"{len(set(net.junctions['number']))} numbers used |",
        f"| numbering, parcs DSATUR `smallest` | {fmt_s(t_small)} | {n_small} numbers |",
        f"| numbering, networkx `greedy_color(DSATUR)` | {fmt_s(t_nx)} | {n_nx} colours "
        f"(ratio {t_nx / t_small:.2f}× parcs `smallest`) |",
    ]
    # synthetic scaling case: a 60 x 60 grid of 500 m edges (3 600 nodes, 30 x 30 km)
    grid = _grid(60, 60, 500.0)
    gnet = points_noeuds(grid, include_places=False)
    t_grid = median_time(lambda: points_noeuds(grid, include_places=False), repeat=3)
    rows.append(
        f"| design on a synthetic 60×60 grid, 500 m edges ({grid.number_of_nodes()} nodes) | "
        f"{fmt_s(t_grid)} | {len(gnet.junctions)} junctions, {len(gnet.links)} links |"
    )
    for name in ("knooppuntnet-10887712.xml", "knooppuntnet-network-8438300-before.xml"):
        path = SAMPLES / name
        if path.exists():
            imported = read_node_network(path)
            t = median_time(lambda p=path: read_node_network(p), repeat=5)
            rows.append(
                f"| `read_node_network` {name} | {fmt_s(t)} | {len(imported.junctions)} junctions, "
                f"{imported.report['routes']} routes, {len(imported.issues)} issues |"
            )
    body = (
        "## junctions (points nœuds)\n\n"
        "`python benchmarks/bench_junctions.py`. Median wall time, kernels compiled beforehand.\n\n"
        "| task | time | result |\n|---|---|---|\n" + "\n".join(rows)
    )
    write_section("junctions", body)
    print(body)


if __name__ == "__main__":
    main()
