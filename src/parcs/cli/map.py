"""``parcs map`` (interactive HTML map) and ``parcs export`` (GeoPackage / GeoJSON)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from parcs.cli._common import (
    Steps,
    add_profile_option,
    echo,
    load_graph,
    output_file,
    output_folder,
    parse_place_or_point,
    progress_enabled,
)
from parcs.errors import LoopError, ValidationError

if TYPE_CHECKING:
    import argparse


def register(sub: Any) -> None:  # noqa: ANN401
    """Add the ``map`` and ``export`` subcommands."""
    p = sub.add_parser(
        "map",
        help="interactive HTML map of the network, with routes, points-nœuds and gaps",
        description=(
            "Write a self-contained HTML map (Leaflet is embedded: it opens offline; only the "
            "background tiles need a connection). With --tiles none it draws a light base map "
            "instead: town and commune outlines with their names."
        ),
    )
    p.add_argument("--out", default="parcs_map.html", help="output HTML file (parcs_map.html)")
    p.add_argument(
        "--route",
        nargs=2,
        metavar=("FROM", "TO"),
        help='draw a route between two places or "lat,lon" points',
    )
    p.add_argument("--loop", metavar="FROM", help="draw a round trip from a place or point")
    p.add_argument("--km", type=float, help="length of the --loop round trip, in km")
    add_profile_option(p, default=None, help_text="profile for --route/--loop (default bike)")
    p.add_argument("--nodes", action="store_true", help="draw the points-nœuds network")
    p.add_argument("--gaps", action="store_true", help="draw the ranked missing links")
    p.add_argument(
        "--communes",
        action="store_true",
        help="add the towns and communes as a layer with popups (hidden at start)",
    )
    p.add_argument(
        "--tiles",
        default="OpenStreetMap",
        help='background tiles: a folium name ("OpenStreetMap", "CyclOSM", "OpenTopoMap"), a '
        'URL template with {z}/{x}/{y}, or "none" for the offline base map of town outlines and '
        "names (default OpenStreetMap)",
    )
    p.add_argument(
        "--simplify-m", type=float, default=5.0, help="display simplification in metres (5)"
    )
    p.set_defaults(func=run_map)

    e = sub.add_parser(
        "export",
        help="export the network and places (and points-nœuds, gaps) to GeoPackage or GeoJSON",
    )
    e.add_argument("--format", choices=("gpkg", "geojson"), default="gpkg", dest="fmt")
    e.add_argument(
        "--out", required=True, help="a .gpkg file, or a folder for GeoJSON (one file per layer)"
    )
    e.add_argument(
        "--nodes",
        action="store_true",
        help="add junctions and links layers (nodes and edges then come from the design's "
        "graph, where edges longer than the target link length are cut by new nodes)",
    )
    e.add_argument("--gaps", action="store_true", help="add the missing_links layer")
    e.set_defaults(func=run_export)


def run_map(args: argparse.Namespace) -> int:
    """Draw the map asked for on the command line and write it."""
    import parcs  # noqa: PLC0415
    from parcs import maps  # noqa: PLC0415

    if (args.loop is None) != (args.km is None):
        msg = "`--loop FROM` and `--km N` go together; give both to draw a round trip"
        raise ValidationError(msg)
    kw: dict[str, Any] = {}
    if args.profile:
        kw["profile"] = args.profile
    out_path = output_file(args.out, flag="--out", suffixes=(".html", ".htm"))
    assert out_path is not None, "--out has a default"
    total = 3 + bool(args.route) + bool(args.loop) + args.nodes + args.gaps
    steps = Steps(total, enabled=progress_enabled(args))
    try:
        with steps.step("loading network"):
            G = load_graph(args)
        routes = []
        if args.route:
            with steps.step("routing"):
                orig, dest = (parse_place_or_point(t) for t in args.route)
                routes.append(parcs.route(G, orig, dest, **kw))
        if args.loop:
            with steps.step("round trip"):
                start = parse_place_or_point(args.loop)
                loops = parcs.round_trip(G, start, length_m=args.km * 1000.0, n=1, **kw)
                if not loops:
                    msg = f"no round trip of about {args.km} km found from {args.loop!r}"
                    raise LoopError(msg)
                routes.append(loops[0])
        junctions = None
        if args.nodes:
            with steps.step("points-nœuds"):
                junctions = parcs.points_noeuds(G)
        links = None
        if args.gaps:
            with steps.step("missing links"):
                links = parcs.missing_links(G)
        with steps.step("drawing"):
            tiles = None if args.tiles.lower() == "none" else args.tiles
            m = maps.explore(
                G,
                routes=routes,
                junctions=junctions,
                links=links,
                communes=args.communes,
                tiles=tiles,
                simplify_m=args.simplify_m,
            )
        with steps.step("writing"):
            out = maps.save_map(m, out_path)
    finally:
        steps.close()
    for r in routes:
        echo(f"route: {r.length_m / 1000:.2f} km, {r.duration_s / 60:.0f} min")
    echo(f"map written to {out}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    """Export the network (and optional results) to GeoPackage or GeoJSON."""
    import parcs  # noqa: PLC0415
    from parcs import io  # noqa: PLC0415

    target = _export_target(args.out, args.fmt)
    total = 2 + args.nodes + args.gaps
    steps = Steps(total, enabled=progress_enabled(args))
    try:
        with steps.step("loading network"):
            G = load_graph(args)
        layers: dict[str, Any] = {}
        graph = G
        if args.nodes:
            with steps.step("points-nœuds"):
                net = parcs.points_noeuds(G)
                layers["junctions"] = net.junctions
                layers["links"] = net.links
                # the design cuts edges longer than the target link length with new nodes
                # (negative ids, some of them junctions): export that graph, so every
                # junction and link end is a row of the nodes layer
                graph = net.graph
        gdf_nodes, gdf_edges = io.to_gdfs(graph, undirected=True)
        layers = {"nodes": gdf_nodes.reset_index(), "edges": gdf_edges.reset_index(), **layers}
        if G.graph.get("parcs_places") is not None:
            layers["places"] = parcs.places(G).reset_index()
        if args.gaps:
            with steps.step("missing links"):
                layers["missing_links"] = parcs.missing_links(G)
        with steps.step("writing"):
            written = io.save_layers(layers, target, driver=args.fmt)
    finally:
        steps.close()
    for path in written:
        echo(f"wrote {path}")
    return 0


def _export_target(out: str, fmt: str) -> Any:  # noqa: ANN401
    """``--out`` of ``parcs export``: a .gpkg file for gpkg, a folder for geojson."""
    if fmt == "gpkg":
        return output_file(out, flag="--out", suffixes=(".gpkg",))
    if out.lower().endswith((".gpkg", ".geojson", ".json")):
        msg = (
            f"`--out` {out!r}: with `--format geojson` it is a folder (one .geojson file per "
            "layer); give a folder name, or use `--format gpkg` for one .gpkg file"
        )
        raise ValidationError(msg)
    return output_folder(out, flag="--out")
