"""``parcs nodes``: design, number and check a points-nœuds (junction) network."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from parcs.cli._common import echo, load_graph, parse_place_or_point, print_json

if TYPE_CHECKING:
    import argparse

    import pandas as pd

    from parcs.junctions import JunctionNetwork

_PROFILES = ("walk", "bike", "ebike")


def register(sub: Any) -> None:  # noqa: ANN401
    """Add the ``nodes`` subcommand."""
    p = sub.add_parser(
        "nodes",
        help="design, number and check a points-nœuds network",
        description=(
            "Design and number a points-nœuds (junction) network on the embedded Artois "
            "greenways and print its validation report; or import and check an OSM node "
            "network (--osm); or plan a ride by junction numbers (--plan) or print the "
            "junction strip between two places (--strip)."
        ),
    )
    p.add_argument(
        "--out", metavar="DIR", help="write junctions/links (GPKG), signs (CSV), report (CSV, MD)"
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.add_argument(
        "--min-reuse-m",
        type=float,
        default=None,
        metavar="M",
        help="minimum distance between two junctions with the same number (default 5000)",
    )
    p.add_argument(
        "--min-link-m", type=float, default=None, metavar="M", help="shortest link (default 1000)"
    )
    p.add_argument(
        "--max-link-m", type=float, default=None, metavar="M", help="longest link (default 10000)"
    )
    p.add_argument(
        "--osm", metavar="FILE", help="import and check the OSM node network in FILE instead"
    )
    p.add_argument("--network", metavar="NET", help="with --osm: which network (rcn, rwn, rmn...)")
    p.add_argument(
        "--plan",
        nargs="+",
        metavar="X",
        help=(
            'START N1 N2 ...: START is a place, "lat,lon", node:ID (junctions added part-way '
            "along long edges have negative ids) or a junction number used once; then the "
            "junction numbers to follow"
        ),
    )
    p.add_argument(
        "--strip", nargs=2, metavar=("FROM", "TO"), help="junction strip between two places"
    )
    p.add_argument(
        "--profile", default="bike", choices=_PROFILES, help="travel profile (default bike)"
    )
    p.add_argument("--gpx", metavar="FILE", help="with --plan: write the ride as GPX")
    p.set_defaults(func=run_nodes)


def _table(df: pd.DataFrame) -> list[str]:
    """Plain-text aligned table."""
    cols = list(df.columns)
    cells = [[_fmt(v) for v in row] for row in df.itertuples(index=False)]
    widths = [
        max(len(str(c)), *(len(r[k]) for r in cells)) if cells else len(str(c))
        for k, c in enumerate(cols)
    ]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(cols, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend(
        "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in cells
    )
    return lines


def _fmt(v: Any) -> str:  # noqa: ANN401
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "NO"
    return str(v)


def _markdown(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    lines.extend(
        "| " + " | ".join(_fmt(v) for v in row) + " |" for row in df.itertuples(index=False)
    )
    return "\n".join(lines) + "\n"


def summary(net: JunctionNetwork) -> dict[str, Any]:
    """Return the JSON summary of a designed network."""
    import numpy as np  # noqa: PLC0415

    from parcs.junctions import DEFAULT_MAX_LINK_M, IDEAL_LINK_M  # noqa: PLC0415
    from parcs.junctions.validation import min_reuse_distance  # noqa: PLC0415

    L = net.links["length_m"].to_numpy(dtype=float)
    lo, hi = IDEAL_LINK_M
    long_m = DEFAULT_MAX_LINK_M
    reuse = min_reuse_distance(net.junctions)
    return {
        "junctions": len(net.junctions),
        "links": len(net.links),
        "km_covered": round(float(net.report.get("km_covered", 0.0)), 3),
        "share_links_1_5km": round(float(np.mean((L >= lo) & (L <= hi))), 4) if len(L) else None,
        "share_links_over_10km": round(float(np.mean(L > long_m)), 4) if len(L) else None,
        "min_reuse_distance_m": round(reuse, 1) if math.isfinite(reuse) else None,
        "numbers_used": len(set(net.junctions["number"].tolist())),
        "params": net.params,
        "report": net.report,
    }


def _kwargs(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in ("min_reuse_m", "min_link_m", "max_link_m"):
        value = getattr(args, name)
        if value is not None:
            out[name] = value
    return out


def _start(text: str, net: JunctionNetwork) -> Any:  # noqa: ANN401
    """START of ``--plan``: ``node:ID``, a junction number carried once, a place or "lat,lon"."""
    from parcs.errors import ValidationError  # noqa: PLC0415

    if text.startswith("node:"):
        return int(text.split(":", 1)[1])
    if text.isdigit():
        nodes = net.numbers_of(int(text))
        if len(nodes) == 1:
            return nodes[0]
        msg = (
            f"`--plan` START {text!r} is a junction number carried by {len(nodes)} junctions "
            f'(nodes {nodes[:5]}); give a place name, "lat,lon" or node:ID instead'
        )
        raise ValidationError(msg)
    return parse_place_or_point(text)


def run_nodes(args: argparse.Namespace) -> int:
    """Run ``parcs nodes``."""
    from parcs.errors import ValidationError  # noqa: PLC0415

    if args.osm:
        return _run_osm(args)
    from parcs.junctions import points_noeuds  # noqa: PLC0415

    G = load_graph(args)
    net = points_noeuds(G, **_kwargs(args))
    if args.plan:
        numbers = []
        for text in args.plan[1:]:
            if not text.lstrip("-").isdigit():
                msg = f"`--plan` numbers must be integers, got {text!r}"
                raise ValidationError(msg)
            numbers.append(int(text))
        r = net.plan(_start(args.plan[0], net), numbers, profile=args.profile)
        strip = net.strip(r)
        if args.gpx:
            r.to_gpx(args.gpx)
        if args.json:
            print_json(
                {
                    "strip": strip,
                    "length_m": round(r.length_m, 1),
                    "duration_s": round(r.duration_s, 1),
                    "waypoints": [
                        {"name": n, "lon": lon, "lat": lat} for n, lon, lat in r.waypoints
                    ],
                }
            )
        else:
            echo(strip)
            echo(f"{r.length_m / 1000:.1f} km, {r.duration_s / 60:.0f} min ({r.profile})")
        return 0
    if args.strip:
        strip = net.strip(
            parse_place_or_point(args.strip[0]),
            parse_place_or_point(args.strip[1]),
            profile=args.profile,
        )
        if args.json:
            print_json({"from": args.strip[0], "to": args.strip[1], "strip": strip})
        else:
            echo(strip)
        return 0
    report = net.validate()
    if args.out:
        _write_design(net, report, Path(args.out))
    if args.json:
        data = summary(net)
        data["validation"] = report.to_dict(orient="records")
        print_json(data)
    else:
        echo(
            f"Points-nœuds network: {len(net.junctions)} junctions, {len(net.links)} links, "
            f"{net.report['km_covered']:.1f} km covered"
        )
        for line in _table(report[["rule", "target", "measured", "ok"]]):
            echo(line)
        if args.out:
            echo(f"written to {args.out}")
    return 0


def _write_design(net: JunctionNetwork, report: pd.DataFrame, out: Path) -> None:
    from parcs._atomic import write_text  # noqa: PLC0415

    out.mkdir(parents=True, exist_ok=True)
    net.to_file(out / "points_noeuds.gpkg")
    write_text(out / "signs.csv", net.signs().to_csv(index=False))
    write_text(out / "validation.csv", report.to_csv(index=False))
    write_text(out / "validation.md", _markdown(report))


def _run_osm(args: argparse.Namespace) -> int:
    from parcs._atomic import write_text  # noqa: PLC0415
    from parcs.junctions import read_node_network  # noqa: PLC0415

    net = read_node_network(args.osm, network=args.network)
    if args.plan:
        return _osm_plan(args, net)
    if args.strip:
        return _osm_strip(args, net)
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        net.to_file(out / "node_network.gpkg")
        write_text(out / "issues.csv", net.issues.to_csv(index=False))
    if args.json:
        print_json({**net.report, "issues_list": net.issues.to_dict(orient="records")})
        return 0
    rep = net.report
    echo(
        f"Node network {rep['network']!r} from {args.osm}: {rep['junctions']} junctions, "
        f"{rep['routes']} routes, {rep['links']} links, {rep['km_covered']:.1f} km"
    )
    echo(f"networks in file: {', '.join(rep['networks_in_file'])}")
    echo(_tagging_line(rep))
    if net.issues.empty:
        echo("no integrity issue found")
    else:
        echo(f"{len(net.issues)} integrity issue(s):")
        for line in _table(net.issues):
            echo(line)
    return 0


def _tagging_line(rep: dict[str, Any]) -> str:
    """Return the line saying how the routes were tagged and how many were left out."""
    counts = rep["routes_by_tagging"]
    line = (
        f"tagging: {rep['tagging']} ({counts['node_network']} routes with "
        f"network:type=node_network, {counts['older']} in the older tagging without it)"
    )
    if rep["older_routes_left_out"]:
        line += (
            f"; {rep['older_routes_left_out']} route relation(s) with network={rep['network']} "
            "pass no junction and are left out"
        )
    return line


def _osm_location(text: str, net: JunctionNetwork, option: str) -> int | tuple[float, float]:
    """Parse a junction of an imported network: ``node:ID``, a number carried once, "lat,lon"."""
    from parcs.errors import ValidationError  # noqa: PLC0415

    if text.startswith("node:"):
        ident = text.split(":", 1)[1]
        if ident.lstrip("-").isdigit() and int(ident) in net.junctions.index:
            return int(ident)
        msg = f"`{option}` {text!r} is not a junction of this network; node:ID takes its node id"
        raise ValidationError(msg)
    if text.isdigit():
        nodes = net.numbers_of(int(text))
        if len(nodes) == 1:
            return nodes[0]
        msg = (
            f"`{option}` {text!r} is a junction number carried by {len(nodes)} junctions "
            f'(nodes {nodes[:5]}); give node:ID or "lat,lon" instead'
        )
        raise ValidationError(msg)
    point = parse_place_or_point(text)
    if isinstance(point, tuple):
        lon, lat = point
        if abs(lat) <= 90 and abs(lon) <= 180:  # noqa: PLR2004
            return point
        msg = f'`{option}` {text!r} is not a valid "lat,lon" point (latitude first, in degrees)'
        raise ValidationError(msg)
    msg = (
        f"`{option}` {text!r}: place names make no sense on an imported OSM node network (it "
        'has no places); give a junction number carried once, node:ID or "lat,lon"'
    )
    raise ValidationError(msg)


def _osm_plan(args: argparse.Namespace, net: JunctionNetwork) -> int:
    """``--osm FILE --plan START N1 N2 ...`` on the imported network's link graph."""
    from parcs.errors import ValidationError  # noqa: PLC0415

    start = _osm_location(args.plan[0], net, "--plan START")
    numbers = []
    for text in args.plan[1:]:
        if not text.isdigit():
            msg = f"`--plan` numbers must be junction numbers (integers), got {text!r}"
            raise ValidationError(msg)
        numbers.append(int(text))
    r = net.plan(start, numbers, profile=args.profile)
    strip = net.strip(r)
    if args.gpx:
        r.to_gpx(args.gpx)
    if args.json:
        waypoints = [{"name": n, "lon": lon, "lat": lat} for n, lon, lat in r.waypoints]
        print_json(
            {
                "strip": strip,
                "length_m": round(r.length_m, 1),
                "duration_s": round(r.duration_s, 1),
                "waypoints": waypoints,
            }
        )
    else:
        echo(strip)
        echo(f"{r.length_m / 1000:.1f} km, {r.duration_s / 60:.0f} min ({r.profile})")
    return 0


def _osm_strip(args: argparse.Namespace, net: JunctionNetwork) -> int:
    """``--osm FILE --strip A B``: A and B are "lat,lon", node:ID or junction numbers."""
    orig = _osm_location(args.strip[0], net, "--strip FROM")
    dest = _osm_location(args.strip[1], net, "--strip TO")
    strip = net.strip(orig, dest, profile=args.profile)
    if args.json:
        print_json({"from": args.strip[0], "to": args.strip[1], "strip": strip})
    else:
        echo(strip)
    return 0
