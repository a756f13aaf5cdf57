"""A 25 km bike loop starting and ending in a commune: GPX and map.

Usage: python examples/loop_from_commune.py [OUTPUT_FOLDER]
"""

from __future__ import annotations

import sys
from pathlib import Path

import parcs
from parcs import io, maps

START = "Lens"
LENGTH_KM = 25.0


def main(out: Path) -> None:
    G = parcs.load_network()
    loops = parcs.round_trip(G, START, length_m=LENGTH_KM * 1000, profile="bike", n=2)
    for i, loop in enumerate(loops, 1):
        print(f"loop {i}: {loop.length_m / 1000:.1f} km, {loop.duration_s / 60:.0f} min")
    gpx = io.save_gpx(loops, out / "loops.gpx", name=f"Loops from {START}")
    html = maps.save_map(maps.explore(G, routes=loops, communes=True), out / "loops.html")
    print(f"wrote {gpx} and {html}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "."))
