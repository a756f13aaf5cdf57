"""``parcs nodes``: design, number and check a points-nœuds (junction) network; ride it."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from parcs.cli._common import (
    echo,
    load_graph,
    output_file,
    output_folder,
    parse_place_or_point,
    print_json,
)

if TYPE_CHECKING:
    import argparse

    import pandas as pd

    from parcs.junctions import JunctionNetwork
    from parcs.routing import Route

_PROFILES = ("walk", "bike", "ebike")
_MAX_LOOPS = 20


def register(sub: Any) -> None:  # noqa: ANN401
    """Add the ``nodes`` subcommand."""
    p = sub.add_parser(
        "nodes",
        help="design, number and check a points-nœuds network; ride it by numbers",
        description=(
            "Design and number a points-nœuds (junction) network on the graph (the embedded "
            "Artois greenways by default, or --graph) and print its validation report; or "
            "import and check an OSM node network (--osm). Then ride it: by junction numbers "
            "(--plan), round trips (--loop START --km N), the junction strip between two "
            "places (--strip), with a printable handout (--handout FILE.pdf)."
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
        "--mesh-m",
        type=float,
        default=None,
        metavar="M",
        help="side of the mesh the network selection aims at (default 2500)",
    )
    p.add_argument(
        "--network",
        default=None,
        metavar="NET",
        help=(
            "design: 'select' (choose the ways to sign, default) or 'all' (sign every way); "
            "with --osm: which node network to read (rcn, rwn, rmn...)"
        ),
    )
    p.add_argument(
        "--osm", metavar="FILE", help="import and check the OSM node network in FILE instead"
    )
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
        "--loop",
        metavar="START",
        help="round trips by junction numbers from START (as for --plan); needs --km",
    )
    p.add_argument("--km", type=float, default=None, metavar="N", help="with --loop: length")
    p.add_argument(
        "--n", type=int, default=3, metavar="N", help=f"with --loop: loops wanted (1-{_MAX_LOOPS})"
    )
    p.add_argument("--seed", type=int, default=0, metavar="N", help="with --loop: random seed")
    p.add_argument(
        "--strip", nargs=2, metavar=("FROM", "TO"), help="junction strip between two places"
    )
    p.add_argument(
        "--profile", default="bike", choices=_PROFILES, help="travel profile (default bike)"
    )
    p.add_argument("--gpx", metavar="FILE", help="with --plan/--loop/--strip: the ride as GPX")
    p.add_argument(
        "--handout",
        metavar="FILE.pdf",
        help=(
            "with --plan/--loop/--strip: a printable A4 page (strip of numbers, map, km by "
            "kind) and FILE.gpx beside it; with --loop, of the first loop"
        ),
    )
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
        "share_links_1_5km": round(float(np.mean((lo <= L) & (hi >= L))), 4) if len(L) else None,
        "share_links_over_10km": round(float(np.mean(long_m < L)), 4) if len(L) else None,
        "min_reuse_distance_m": round(reuse, 1) if math.isfinite(reuse) else None,
        "numbers_used": len(set(net.junctions["number"].tolist())),
        "params": net.params,
        "report": net.report,
    }


def _kwargs(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in ("min_reuse_m", "min_link_m", "max_link_m", "mesh_m"):
        value = getattr(args, name)
        if value is not None:
            out[name] = value
    if args.network is not None:
        out["network"] = args.network
    return out


def _check_args(args: argparse.Namespace) -> None:
    """Refuse contradictory or malformed options before any work (one-line errors)."""
    from parcs.errors import ValidationError  # noqa: PLC0415

    rides = [name for name in ("plan", "loop", "strip") if getattr(args, name)]
    if len(rides) > 1:
        msg = f"give one of --plan, --loop, --strip, not {' and '.join('--' + r for r in rides)}"
        raise ValidationError(msg)
    if args.loop and args.km is None:
        msg = "`--loop` needs `--km N`, the length of the round trips in kilometres"
        raise ValidationError(msg)
    if args.km is not None and not args.loop:
        msg = "`--km` goes with `--loop START`"
        raise ValidationError(msg)
    if args.loop and not (args.km > 0 and math.isfinite(args.km)):
        msg = f"`--km` must be a positive number of kilometres, got {args.km!r}"
        raise ValidationError(msg)
    if args.loop and not 1 <= args.n <= _MAX_LOOPS:
        msg = f"`--n` must be an integer from 1 to {_MAX_LOOPS}, got {args.n!r}"
        raise ValidationError(msg)
    if args.loop and args.seed < 0:
        msg = f"`--seed` must be an integer >= 0, got {args.seed!r}"
        raise ValidationError(msg)
    if (args.gpx or args.handout) and not rides:
        msg = "`--gpx` and `--handout` go with --plan, --loop or --strip"
        raise ValidationError(msg)
    if args.plan:
        _numbers(args.plan[1:])
    output_file(args.gpx, flag="--gpx", suffixes=(".gpx",))
    output_file(args.handout, flag="--handout", suffixes=(".pdf",))
    if args.out:
        output_folder(args.out, flag="--out")


def _numbers(texts: list[str]) -> list[int]:
    from parcs.errors import ValidationError  # noqa: PLC0415

    out = []
    for text in texts:
        if not text.isdigit():
            msg = f"`--plan` numbers must be junction numbers (integers >= 0), got {text!r}"
            raise ValidationError(msg)
        out.append(int(text))
    return out


def _node_id(text: str, option: str) -> int:
    """The id of ``node:ID`` (an integer, negative for junctions added part-way)."""
    from parcs.errors import ValidationError  # noqa: PLC0415

    ident = text.split(":", 1)[1].strip()
    body = ident[1:] if ident.startswith("-") else ident
    if not body.isdigit():
        msg = f"`{option}` {text!r}: node:ID takes an integer node id, e.g. node:12 or node:-5"
        raise ValidationError(msg)
    return int(ident)


def _location(text: str, net: JunctionNetwork, option: str, *, places: bool) -> Any:  # noqa: ANN401
    """A junction given as ``node:ID``, a number carried once, "lat,lon" or a place name."""
    from parcs.errors import ValidationError  # noqa: PLC0415

    if text.strip().lower().startswith("node:"):
        node = _node_id(text.strip(), option)
        if node not in net.junctions.index:
            msg = (
                f"`{option}` {text!r} is not a junction of this network; node:ID takes its node id"
            )
            raise ValidationError(msg)
        return node
    if text.strip().isdigit():
        nodes = net.numbers_of(int(text))
        if len(nodes) == 1:
            return nodes[0]
        msg = (
            f"`{option}` {text!r} is a junction number carried by {len(nodes)} junctions "
            f'(nodes {nodes[:5]}); give {"a place name, " if places else ""}"lat,lon" or '
            "node:ID instead"
        )
        raise ValidationError(msg)
    point = parse_place_or_point(text)
    if isinstance(point, tuple):
        lon, lat = point
        if abs(lat) <= 90 and abs(lon) <= 180 and all(map(math.isfinite, point)):  # noqa: PLR2004
            return point
        msg = f'`{option}` {text!r} is not a valid "lat,lon" point (latitude first, in degrees)'
        raise ValidationError(msg)
    if not places:
        msg = (
            f"`{option}` {text!r}: place names make no sense on an imported OSM node network (it "
            'has no places); give a junction number carried once, node:ID or "lat,lon"'
        )
        raise ValidationError(msg)
    if not text.strip():
        msg = f'`{option}` is empty; give a place name, "lat,lon", node:ID or a junction number'
        raise ValidationError(msg)
    return point


def run_nodes(args: argparse.Namespace) -> int:
    """Run ``parcs nodes``."""
    _check_args(args)
    if args.osm:
        return _run_osm(args)
    from parcs.junctions import points_noeuds  # noqa: PLC0415

    G = load_graph(args)
    net = points_noeuds(G, **_kwargs(args))
    if args.plan or args.loop or args.strip:
        return _ride(args, net, places=True)
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


def _ride(args: argparse.Namespace, net: JunctionNetwork, *, places: bool) -> int:
    """``--plan``, ``--loop`` or ``--strip`` on a designed or imported network."""
    if args.plan:
        start = _location(args.plan[0], net, "--plan START", places=places)
        routes = [net.plan(start, _numbers(args.plan[1:]), profile=args.profile)]
    elif args.loop:
        start = _location(args.loop, net, "--loop START", places=places)
        routes = net.loop(start, km=args.km, n=args.n, seed=args.seed, profile=args.profile)
    else:
        orig = _location(args.strip[0], net, "--strip FROM", places=places)
        dest = _location(args.strip[1], net, "--strip TO", places=places)
        from parcs.junctions.planning import strip_route  # noqa: PLC0415

        routes = [strip_route(net, orig, dest, profile=args.profile)]
    if args.gpx:
        routes[0].to_gpx(args.gpx)
    files = net.handout(routes[0], args.handout) if args.handout else []
    _print_rides(args, net, routes, files)
    return 0


def _ride_data(net: JunctionNetwork, r: Route) -> dict[str, Any]:
    from parcs.junctions.planning import strip_stops  # noqa: PLC0415

    stops = strip_stops(net, r)
    return {
        "strip": net.strip(r),
        "numbers": [s.ref for s in stops],
        "length_m": round(r.length_m, 1),
        "junction_to_junction_m": round(sum(s.from_previous_m for s in stops), 1),
        "duration_s": round(r.duration_s, 1),
        "waypoints": [{"name": n, "lon": lon, "lat": lat} for n, lon, lat in r.waypoints],
    }


def _print_rides(
    args: argparse.Namespace, net: JunctionNetwork, routes: list[Route], files: list[Path]
) -> None:
    data = [_ride_data(net, r) for r in routes]
    if args.json:
        if args.loop:
            print_json({"loops": data, "files": [str(f) for f in files]})
        else:
            out = data[0]
            if args.strip:
                out = {"from": args.strip[0], "to": args.strip[1], **out}
            print_json({**out, "files": [str(f) for f in files]} if files else out)
        return
    for k, (r, d) in enumerate(zip(routes, data, strict=True)):
        if args.loop:
            echo(
                f"loop {k + 1}: {r.length_m / 1000:.1f} km, "
                f"{r.duration_s / 60:.0f} min ({r.profile})"
            )
        echo(d["strip"])
        if args.strip:
            echo(
                f"total {r.length_m / 1000:.1f} km ({d['junction_to_junction_m'] / 1000:.1f} km "
                "from the first junction to the last)"
            )
        elif not args.loop:
            echo(f"{r.length_m / 1000:.1f} km, {r.duration_s / 60:.0f} min ({r.profile})")
    for f in files:
        echo(f"written {f}")


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
    if args.plan or args.loop or args.strip:
        return _ride(args, net, places=False)
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
