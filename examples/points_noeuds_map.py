"""Design a points-nœuds (numbered junctions) network: map, GeoPackage, GPX and CSV.

Usage: python examples/points_noeuds_map.py [OUTPUT_FOLDER]
"""

from __future__ import annotations

import sys
from pathlib import Path

import parcs
from parcs import io, maps


def main(out: Path) -> None:
    G = parcs.load_network()
    net = parcs.points_noeuds(G)
    print(f"{len(net.junctions)} junctions, {len(net.links)} links")
    html = maps.save_map(maps.explore(G, junctions=net), out / "points_noeuds.html")
    gpkg = io.save_junctions(net, out / "points_noeuds.gpkg")
    gpx = io.save_gpx(None, out / "points_noeuds.gpx", junctions=net)
    csv = io.save_csv(net.junctions, out / "junctions.csv")
    print(f"wrote {html}, {gpkg[0]}, {gpx} and {csv}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "."))
