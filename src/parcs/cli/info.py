"""``parcs info``: build the embedded network and print its summary."""

from __future__ import annotations

import argparse
from typing import Any

from parcs.cli._common import echo, load_graph, print_json


def register(sub: Any) -> None:  # noqa: ANN401
    """Add the ``info`` subcommand."""
    p = sub.add_parser(
        "info", help="summary of the embedded network (km by kind, components, places)"
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--no-cache", action="store_true", help="rebuild instead of loading the cache")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the summary of the embedded network."""
    from parcs.network.summary import format_summary, summary  # noqa: PLC0415

    G = load_graph(args, cache=not args.no_cache)
    info = summary(G)
    if args.json:
        print_json(info)
    else:
        echo(format_summary(info))
    return 0
