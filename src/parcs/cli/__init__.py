"""The ``parcs`` command line: a thin layer over the public API.

Each subcommand lives in ``parcs/cli/<name>.py`` and defines
``register(subparsers) -> None``, which adds its parser and sets ``func`` (a callable taking the
parsed ``argparse.Namespace`` and returning an exit code). Errors from :mod:`parcs.errors` are
printed as one line on stderr with exit code 1.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import TYPE_CHECKING

from parcs.cli._common import add_graph_option
from parcs.errors import ParcsError

if TYPE_CHECKING:
    from collections.abc import Sequence

# one module per subcommand group, in help order
COMMAND_MODULES = ("info", "demo", "build", "route", "nodes", "gaps", "map")


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="parcs",
        description=(
            "Route planning on greenway networks: the embedded Chaîne des parcs (Artois) by "
            "default, or any graph saved by `parcs build` (--graph)."
        ),
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars or logs")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    parser.add_argument(
        "--graph",
        metavar="GRAPH.gpkg",
        help="run on this saved graph (made by `parcs build`; default $PARCS_GRAPH, else the "
        "embedded Artois network)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"parcs.cli.{name}").register(sub)
    for name, command in sub.choices.items():
        if name != "build":
            add_graph_option(command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``parcs`` command line and return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.verbose and not args.quiet:
        from parcs._log import enable_console_logging  # noqa: PLC0415

        enable_console_logging()
    try:
        return int(args.func(args))
    except ParcsError as err:
        sys.stderr.write(f"parcs {args.command}: error: {err}\n")
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
