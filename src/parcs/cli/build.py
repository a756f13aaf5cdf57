"""``parcs build``: build a graph from OSM or a line layer, attach places, save it."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from parcs.cli._common import Steps, echo, progress_enabled
from parcs.errors import ValidationError

if TYPE_CHECKING:
    import argparse

    import geopandas as gpd
    import networkx as nx

_SOURCES = ("osm", "place", "bbox", "lines")


def register(sub: Any) -> None:  # noqa: ANN401
    """Add the ``build`` subcommand."""
    p = sub.add_parser(
        "build",
        help="build a graph from OpenStreetMap or a line layer and save it (for --graph)",
        description=(
            "Build a parcs graph from an OSM file (--osm), an OSM download (--place, --bbox; "
            "through osmnx and its cache) or a GIS line layer (--lines), attach places, and "
            "save it as one GeoPackage that every other command reads with --graph."
        ),
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument(
        "--osm", metavar="FILE", help="an OSM file (.osm, .osm.gz, .osm.bz2, .osm.pbf)"
    )
    src.add_argument("--place", metavar="NAME", help='a place to download, e.g. "Lens, France"')
    src.add_argument("--bbox", metavar="W,S,E,N", help="a box to download, in degrees")
    src.add_argument(
        "--lines", metavar="FILE", help="a line layer (GeoPackage, GeoJSON, Shapefile)"
    )
    p.add_argument("--layer", metavar="NAME", help="with --lines: the GeoPackage layer")
    p.add_argument("--kind", default="path", help="with --lines: kind of every line (path)")
    p.add_argument("--kind-column", metavar="COL", help="with --lines: column holding the kind")
    p.add_argument("--name-column", metavar="COL", help="with --lines: column holding the name")
    p.add_argument(
        "--clip", metavar="pma|FILE", help="keep only what lies in this area (pma: the three EPCIs)"
    )
    p.add_argument(
        "--places",
        metavar="FILE|osm|artois|none",
        help="places to attach: a layer with `name` and `kind` columns, `osm` (from the OSM "
        "file or download; the default with --osm/--place/--bbox), `artois` (the embedded "
        "Artois places) or `none` (the default with --lines)",
    )
    p.add_argument("--out", required=True, metavar="GRAPH.gpkg", help="the GeoPackage to write")
    p.set_defaults(func=run)


def _out_path(text: str) -> Path:
    """Check the output before any work: a .gpkg file in a writable folder."""
    import os  # noqa: PLC0415

    out = Path(text).expanduser()
    if out.suffix.lower() != ".gpkg":
        msg = f"`--out` {text!r} must end in .gpkg (a saved graph is one GeoPackage)"
        raise ValidationError(msg)
    if out.is_dir():
        msg = f"`--out` {text!r} is a folder; give a file name such as {str(out / 'graph.gpkg')!r}"
        raise ValidationError(msg)
    folder = out.parent if str(out.parent) else Path()
    if folder.exists() and not os.access(folder, os.W_OK):
        msg = f"`--out` {text!r}: the folder {str(folder)!r} is not writable"
        raise ValidationError(msg)
    return out


def _bbox(text: str) -> tuple[float, float, float, float]:
    try:
        west, south, east, north = (float(v) for v in text.split(","))
    except ValueError:
        msg = f"`--bbox` must be four numbers W,S,E,N in degrees, got {text!r}"
        raise ValidationError(msg) from None
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        msg = f"`--bbox` must be four finite numbers W,S,E,N in degrees, got {text!r}"
        raise ValidationError(msg)
    return west, south, east, north


def _graph(args: argparse.Namespace) -> nx.MultiDiGraph:
    from parcs.network.lines import graph_from_lines  # noqa: PLC0415
    from parcs.network.osm import graph_from_osm  # noqa: PLC0415

    clip = args.clip
    if args.lines:
        return graph_from_lines(
            args.lines,
            layer=args.layer,
            kind=args.kind,
            kind_column=args.kind_column,
            name_column=args.name_column,
            clip=clip,
        )
    if args.osm:
        return graph_from_osm(path=args.osm, clip=clip)
    if args.place:
        return graph_from_osm(args.place, clip=clip)
    return graph_from_osm(bbox=_bbox(args.bbox), clip=clip)


def _places(args: argparse.Namespace, G: nx.MultiDiGraph) -> gpd.GeoDataFrame | None:
    """The places table asked for, or None."""
    choice = (args.places or ("none" if args.lines else "osm")).strip()
    key = choice.lower()
    if key == "none":
        return None
    if key == "artois":
        from parcs.network.territory import artois_places  # noqa: PLC0415

        return artois_places()
    if key == "osm":
        if args.lines:
            msg = "`--places osm` needs an OSM source (--osm, --place or --bbox), not --lines"
            raise ValidationError(msg)
        from parcs.network.osm_places import places_from_osm  # noqa: PLC0415

        return places_from_osm(args.osm if args.osm else G, clip=args.clip)
    return _read_places(choice)


def _read_places(path_text: str) -> gpd.GeoDataFrame:
    import geopandas as gpd  # noqa: PLC0415
    import pyogrio.errors  # noqa: PLC0415

    from parcs.errors import DataError  # noqa: PLC0415

    path = Path(path_text).expanduser()
    if not path.is_file():
        msg = f"`--places` {path_text!r} is not a file (nor osm, artois or none)"
        raise DataError(msg)
    try:
        return gpd.read_file(path)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError) as err:
        msg = f"cannot read the places layer {path_text!r}: {err}"
        raise DataError(msg) from err


def run(args: argparse.Namespace) -> int:
    """Build, attach places, save."""
    from parcs.io import save_graph  # noqa: PLC0415
    from parcs.network.places import attach_places  # noqa: PLC0415
    from parcs.network.summary import summary  # noqa: PLC0415

    out = _out_path(args.out)
    steps = Steps(3, enabled=progress_enabled(args))
    try:
        with steps.step("building the graph"):
            G = _graph(args)
        with steps.step("places"):
            places = _places(args, G)
            if places is not None:
                attach_places(G, places)
        with steps.step("saving"):
            save_graph(G, out)
    finally:
        steps.close()
    info = summary(G)
    echo(
        f"{info['nodes']} nodes, {info['edges']} edges, {info['built_km']:.1f} km built, "
        f"{info['components']} components, {info['places_total']} places "
        f"({info['places']} on the network)"
    )
    echo(f"graph written to {out}; use it with `parcs --graph {out} COMMAND`")
    return 0
