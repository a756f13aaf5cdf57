"""``parcs demo``: the main job on the embedded data — summary, map and a route."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from parcs.cli._common import echo

DEFAULT_FROM = "Parc de la Lawe"
DEFAULT_TO = "Calonnix - Parc de la clarence"


def register(sub: Any) -> None:  # noqa: ANN401
    """Add the ``demo`` subcommand."""
    p = sub.add_parser(
        "demo",
        help="build the embedded network, print its summary, write a map and a route",
    )
    p.add_argument("--out", default="parcs-demo", help="output folder (default: parcs-demo)")
    p.add_argument("--from", dest="orig", default=DEFAULT_FROM, help=f"start place (default: {DEFAULT_FROM})")
    p.add_argument("--to", dest="dest", default=DEFAULT_TO, help=f"end place (default: {DEFAULT_TO})")
    p.add_argument("--profile", default="bike", help="walk, bike or ebike (default: bike)")
    p.add_argument("--tiles", default="OpenStreetMap", help="map tiles, or 'none'")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Build, summarise, route and map."""
    import parcs  # noqa: PLC0415
    from parcs import maps  # noqa: PLC0415
    from parcs._atomic import write_text  # noqa: PLC0415
    from parcs.network.summary import format_summary  # noqa: PLC0415

    out = Path(args.out)
    G = parcs.load_network()
    echo(format_summary(parcs.summary(G)))
    echo()
    route = parcs.route(G, args.orig, args.dest, profile=args.profile)
    km = ", ".join(
        f"{k} {v:.1f} km" for k, v in route.km_by_kind.items() if v > 0 and k != "connector"
    )
    echo(
        f"route {route.orig_label} -> {route.dest_label} ({args.profile}): "
        f"{route.length_m / 1000:.1f} km, {route.duration_s / 60:.0f} min ({km}; "
        f"unbuilt gap connectors {route.connector_km:.1f} km)"
    )
    gpx = out / "route.gpx"
    route.to_gpx(gpx)
    write_text(out / "route.geojson", route.to_geojson())
    tiles = None if args.tiles.lower() == "none" else args.tiles
    html = maps.save_map(maps.explore(G, routes=[route], tiles=tiles), out / "map.html")
    echo(f"wrote {html}, {gpx} and {out / 'route.geojson'}")
    return 0
