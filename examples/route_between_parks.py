"""Route between two named parks: GPX track for a GPS, and an interactive map.

Usage: python examples/route_between_parks.py [OUTPUT_FOLDER]
"""

from __future__ import annotations

import sys
from pathlib import Path

import parcs
from parcs import io, maps

ORIG = "Parc de la Lawe"
DEST = "Calonnix - Parc de la clarence"


def main(out: Path) -> None:
    G = parcs.load_network()
    route = parcs.route(G, ORIG, DEST, profile="bike")
    print(
        f"{route.orig_label} → {route.dest_label}: {route.length_m / 1000:.1f} km, "
        f"{route.duration_s / 60:.0f} min by bike, {route.connector_km:.1f} km on unbuilt gaps"
    )
    gpx = io.save_gpx(route, out / "route.gpx", name=f"{ORIG} → {DEST}")
    html = maps.save_map(maps.explore(G, routes=[route]), out / "route.html")
    print(f"wrote {gpx} and {html}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "."))
