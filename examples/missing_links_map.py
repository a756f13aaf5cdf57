"""Rank the missing links of the network and map the 20 most useful ones.

Usage: python examples/missing_links_map.py [OUTPUT_FOLDER]
"""

from __future__ import annotations

import sys
from pathlib import Path

import parcs
from parcs import io, maps

TOP = 20


def main(out: Path) -> None:
    G = parcs.load_network()
    gaps = parcs.missing_links(G)
    best = gaps.sort_values("rank").head(TOP)
    for _, row in best.head(5).iterrows():
        print(f"#{row['rank']}: {row['straight_m']:.0f} m, benefit {row['benefit']:.0f}")
    html = maps.save_map(maps.explore(G, links=best), out / "missing_links.html")
    gpkg = io.save_gdf(gaps, out / "missing_links.gpkg", layer="missing_links")
    csv = io.save_csv(gaps, out / "missing_links.csv")
    print(f"wrote {html}, {gpkg} and {csv}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "."))
