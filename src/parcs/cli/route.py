"""``parcs route`` and ``parcs loop``: plan a route or a round trip on the embedded network."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from parcs.cli._common import (
    add_profile_option,
    add_snap_option,
    echo,
    load_graph,
    output_file,
    parse_place_or_point,
    print_json,
)

if TYPE_CHECKING:
    import argparse

    from parcs.routing import Route


def register(sub: Any) -> None:  # noqa: ANN401
    """Add the ``route`` and ``loop`` subcommands."""
    p = sub.add_parser(
        "route",
        help="best route between two places or points",
        description='Best route between two places (names) or points ("lat,lon").',
    )
    p.add_argument("orig", metavar="FROM", help='place name or "lat,lon"')
    p.add_argument("dest", metavar="TO", help='place name or "lat,lon"')
    add_profile_option(p)
    add_snap_option(p)
    p.add_argument(
        "--via",
        action="extend",
        nargs="+",
        default=[],
        metavar="X",
        help="pass through X, in order (--via A B or --via A --via B)",
    )
    p.add_argument("--gpx", metavar="FILE", help="write the route as GPX")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--avoid-connectors", action="store_true", help="never use gap connectors")
    p.set_defaults(func=run_route)

    q = sub.add_parser(
        "loop",
        help="round trips of a given length from a place or point",
        description="Round trips of about --km kilometres starting and ending at FROM.",
    )
    q.add_argument("start", metavar="FROM", help='place name or "lat,lon"')
    q.add_argument("--km", type=float, required=True, help="target loop length in km")
    add_profile_option(q)
    add_snap_option(q)
    q.add_argument("--n", type=int, default=3, help="number of loops (default 3)")
    q.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    q.add_argument("--gpx", metavar="FILE", help="write the best loop as GPX")
    q.add_argument("--json", action="store_true", help="print JSON")
    q.set_defaults(func=run_loop)


def _as_dict(r: Route) -> dict[str, Any]:
    return {
        "from": r.orig_label,
        "to": r.dest_label,
        "profile": r.profile,
        "length_m": round(r.length_m, 1),
        "duration_s": round(r.duration_s, 1),
        "cost": round(r.cost, 1),
        "km_by_kind": {k: round(v, 3) for k, v in sorted(r.km_by_kind.items())},
        "connector_km": round(r.connector_km, 3),
        "waypoints": [{"name": n, "lon": lon, "lat": lat} for n, lon, lat in r.waypoints],
    }


def _describe(r: Route) -> str:
    minutes = r.duration_s / 60.0
    kinds = ", ".join(
        f"{k} {v:.1f} km" for k, v in sorted(r.km_by_kind.items(), key=lambda kv: -kv[1])
    )
    return (
        f"{r.orig_label} → {r.dest_label}: {r.length_m / 1000:.1f} km, {minutes:.0f} min "
        f"({r.profile}){f' — {kinds}' if kinds else ''}"
    )


def run_route(args: argparse.Namespace) -> int:
    """Compute and print one route."""
    from parcs.routing import route  # noqa: PLC0415

    # no warmup(): one query needs only two kernels, loaded (or compiled) on first use,
    # whereas warmup() would load every kernel from the numba cache (~0.25 s each)
    gpx = output_file(args.gpx, flag="--gpx", suffixes=(".gpx",))
    G = load_graph(args)
    r = route(
        G,
        parse_place_or_point(args.orig),
        parse_place_or_point(args.dest),
        profile=args.profile,
        via=[parse_place_or_point(v) for v in args.via],
        avoid_connectors=args.avoid_connectors,
        max_snap_m=args.max_snap_m,
    )
    if gpx:
        r.to_gpx(gpx)
    if args.json:
        print_json({**_as_dict(r), "gpx": args.gpx})
    else:
        echo(_describe(r))
        if r.connector_km > 0:
            echo(f"  includes {r.connector_km:.1f} km on gap connectors (no path built yet)")
        if args.gpx:
            echo(f"GPX written to {args.gpx}")
    return 0


def run_loop(args: argparse.Namespace) -> int:
    """Compute and print round trips."""
    from parcs.routing import round_trip  # noqa: PLC0415

    gpx = output_file(args.gpx, flag="--gpx", suffixes=(".gpx",))
    G = load_graph(args)
    loops = round_trip(
        G,
        parse_place_or_point(args.start),
        length_m=args.km * 1000.0,
        profile=args.profile,
        n=args.n,
        seed=args.seed,
        max_snap_m=args.max_snap_m,
    )
    if gpx:
        loops[0].to_gpx(gpx)
    if args.json:
        print_json({"loops": [_as_dict(r) for r in loops], "gpx": args.gpx})
    else:
        for i, r in enumerate(loops, 1):
            echo(f"{i}. {_describe(r)}")
        if args.gpx:
            echo(f"GPX of loop 1 written to {args.gpx}")
    return 0
