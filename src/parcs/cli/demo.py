"""``parcs demo``: the main job on the embedded data — summary, map and a route."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from parcs.cli._common import echo, load_graph, output_folder

DEFAULT_FROM = "Parc de la Lawe"
DEFAULT_TO = "Calonnix - Parc de la clarence"


def register(sub: Any) -> None:  # noqa: ANN401
    """Add the ``demo`` subcommand."""
    p = sub.add_parser(
        "demo",
        help="build the embedded network, print its summary, write a map and a route",
    )
    p.add_argument("--out", default="parcs-demo", help="output folder (default: parcs-demo)")
    p.add_argument(
        "--from",
        dest="orig",
        help=f"start place (default: {DEFAULT_FROM}; on another graph, its largest park)",
    )
    p.add_argument(
        "--to",
        dest="dest",
        help=f"end place (default: {DEFAULT_TO}; on another graph, the park farthest from it)",
    )
    p.add_argument(
        "--profile",
        default="bike",
        type=str.lower,
        choices=("walk", "bike", "ebike"),
        help="walk, bike or ebike (default: bike)",
    )
    p.add_argument("--tiles", default="OpenStreetMap", help="map tiles, or 'none'")
    p.set_defaults(func=run)


def _ends(args: argparse.Namespace, G: Any) -> tuple[Any, Any]:  # noqa: ANN401
    """The route of the demo: the given places, the two default parks, or on another graph the
    largest park of its largest connected part and the park of that part farthest from it
    (else a node of that part and the node farthest from it)."""
    if args.orig and args.dest:
        return args.orig, args.dest
    if G.graph.get("source") == "embedded":
        return args.orig or DEFAULT_FROM, args.dest or DEFAULT_TO
    import numpy as np  # noqa: PLC0415

    from parcs._kernels.dijkstra import dijkstra  # noqa: PLC0415
    from parcs.csr import csr_of  # noqa: PLC0415
    from parcs.network.places import PARK_KINDS  # noqa: PLC0415

    from parcs._kernels.components import connected_components  # noqa: PLC0415

    csr = csr_of(G)
    labels = connected_components(csr.indptr, csr.indices, csr.tails, csr.n_nodes)
    big = int(np.argmax(np.bincount(labels)))  # the largest connected part
    pl = G.graph.get("parcs_places")
    parks = None if pl is None else pl[pl["kind"].isin(list(PARK_KINDS)) & pl["reached"]]
    if parks is not None:
        in_big = [bool((labels[csr.index_of(list(a))] == big).any()) for a in parks["access_nodes"]]
        parks = parks[np.asarray(in_big, dtype=bool)]
    if parks is not None and len(parks) > 1:
        parks = parks.sort_values("area_ha", ascending=False)
        first = parks.iloc[0]
        src = csr.index_of(list(first["access_nodes"]))
        dist = _one_to_all(dijkstra, csr, src)
        far = [float(np.min(dist[csr.index_of(list(a))])) for a in parks["access_nodes"]]
        far_ok = [d if np.isfinite(d) else -1.0 for d in far]
        best = int(np.argmax(far_ok))
        if far_ok[best] > 0:
            return args.orig or first, args.dest or parks.iloc[best]
    start = int(np.flatnonzero(labels == big)[0])
    dist = _one_to_all(dijkstra, csr, np.array([start]))
    end = int(np.argmax(np.where(np.isfinite(dist), dist, -1.0)))
    return args.orig or int(csr.node_ids[start]), args.dest or int(csr.node_ids[end])


def _one_to_all(dijkstra: Any, csr: Any, src: Any) -> Any:  # noqa: ANN401
    import numpy as np  # noqa: PLC0415

    return dijkstra(
        csr.indptr,
        csr.indices,
        csr.weights["length"],
        np.asarray(src, dtype=np.int64),
        np.zeros(len(src)),
        np.zeros(0, dtype=np.int64),
        np.inf,
        np.zeros(0, dtype=np.bool_),
    )[0]


def run(args: argparse.Namespace) -> int:
    """Build, summarise, route and map."""
    import parcs  # noqa: PLC0415
    from parcs import maps  # noqa: PLC0415
    from parcs._atomic import write_text  # noqa: PLC0415
    from parcs.network.summary import format_summary  # noqa: PLC0415

    out = output_folder(args.out, flag="--out")  # checked before any work
    G = load_graph(args)
    echo(format_summary(parcs.summary(G)))
    echo()
    orig, dest = _ends(args, G)
    route = parcs.route(G, orig, dest, profile=args.profile)
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
