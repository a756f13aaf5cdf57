"""Measure the embedded network for several snapping tolerances (table for docs/network.md).

Run: ``python scripts/measure_snapping.py``. For each tolerance it builds the network without
gap connectors and reports built km, components, the largest component and the km of the
snap segments that the tolerance added.
"""

from __future__ import annotations

import networkx as nx

from parcs.network.territory import build_network


def built_stats(G: nx.MultiDiGraph) -> tuple[float, int, float]:
    U = nx.MultiGraph()
    km = 0.0
    for u, v, k, d in G.edges(keys=True, data=True):
        if u <= v and d["built"]:
            U.add_edge(u, v, k, length=d["length"])
            km += d["length"] / 1000
    comps = list(nx.connected_components(U))
    largest = max(
        sum(d["length"] for *_, d in U.subgraph(c).edges(data=True)) / 1000 for c in comps
    )
    return km, len(comps), largest


rows = ["| snap tolerance | built km | components | largest component km |", "|---|---|---|---|"]
for tol in (1.0, 5.0, 10.0, 25.0, 50.0, 100.0):
    G = build_network(snap_tolerance_m=tol, connectors=False)
    km, n, largest = built_stats(G)
    rows.append(f"| {tol:g} m | {km:.1f} | {n} | {largest:.1f} |")
print("\n".join(rows))  # noqa: T201
