"""The ``parcs`` command line: a thin layer over the public API.

Each subcommand lives in ``parcs/cli/<name>.py`` and defines
``register(subparsers) -> None``, which adds its parser and sets ``func`` (a callable taking the
parsed ``argparse.Namespace`` and returning an exit code).

Every failure prints ONE line on stderr, ``parcs CMD: error: ...``, and exits non-zero: wrong
arguments (exit 2), errors from :mod:`parcs.errors` and file-system errors (exit 1), an
interruption (exit 130). An unexpected exception says so in one line too; ``--debug`` shows
the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import TYPE_CHECKING, NoReturn

from parcs._log import compile_notice, set_compile_notice
from parcs.cli._common import add_graph_option
from parcs.errors import ParcsError

if TYPE_CHECKING:
    from collections.abc import Sequence

# one module per subcommand group, in help order
COMMAND_MODULES = ("info", "demo", "build", "route", "nodes", "gaps", "map")


_MAX_MESSAGE = 600  # characters of an error message shown on the terminal

# The library's messages name its arguments (`max_snap_m`); the CLI's name the options the user
# typed. Per command: argument name -> option.
_OPTION_OF: dict[str, dict[str, str]] = {
    "route": {
        "orig": "FROM", "dest": "TO", "via": "--via", "profile": "--profile",
        "max_snap_m": "--max-snap-m", "avoid_connectors": "--avoid-connectors",
    },
    "loop": {"start": "FROM", "n": "--n", "seed": "--seed", "profile": "--profile",
             "max_snap_m": "--max-snap-m"},
    "nodes": {"min_link_m": "--min-link-m", "max_link_m": "--max-link-m",
              "min_reuse_m": "--min-reuse-m", "network": "--network", "profile": "--profile",
              "path": "--osm", "orig": "--strip FROM", "dest": "--strip TO",
              "start": "--plan START", "numbers": "--plan N"},
    "gaps": {"top": "--top", "budget_km": "--budget-km", "by": "--by"},
    "map": {"simplify_m": "--simplify-m", "tiles": "--tiles", "profile": "--profile",
            "orig": "--route FROM", "dest": "--route TO", "start": "--loop FROM"},
    "export": {"driver": "--format", "path": "--out"},
    "build": {"path": "--osm", "query": "--place", "bbox": "--bbox", "lines": "--lines",
              "layer": "--layer", "kind": "--kind", "kind_column": "--kind-column",
              "name_column": "--name-column", "clip": "--clip", "places": "--places"},
    "demo": {"orig": "--from", "dest": "--to", "profile": "--profile", "tiles": "--tiles"},
}  # fmt: skip
# library phrases and what they are on the command line
_PHRASES = (
    ("G.graph['crs']", "the graph's CRS"),
    ("(points are (lon, lat) in degrees)", '(points are given as "lat,lon" in degrees)'),
    ("allow them with `avoid_connectors=False`", "allow them by leaving out `--avoid-connectors`"),
)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line: ``parcs CMD: error: ...``."""

    def error(self, message: str) -> NoReturn:
        """Print the one-line error and exit with status 2."""
        self.exit(2, f"{self.prog}: error: {_one_line(message)} (see `{self.prog} --help`)\n")


def _one_line(text: str) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= _MAX_MESSAGE else flat[: _MAX_MESSAGE - 1] + "…"


def _in_cli_terms(message: str, command: str) -> str:
    """Name the command's options instead of the library's arguments in `message`."""
    for name, option in _OPTION_OF.get(command, {}).items():
        message = message.replace(f"`{name}`", f"`{option}`")
    for api, cli in _PHRASES:
        message = message.replace(api, cli)
    return message


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every subcommand registered."""
    parser = _Parser(
        prog="parcs",
        description=(
            "Route planning on greenway networks: the embedded Chaîne des parcs (Artois) by "
            "default, or any graph saved by `parcs build` (--graph)."
        ),
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="no progress bars, logs or compile notice"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    parser.add_argument(
        "--debug", action="store_true", help="show the traceback of an unexpected error"
    )
    parser.add_argument(
        "--graph",
        metavar="GRAPH.gpkg",
        help="run on this saved graph (made by `parcs build`; default $PARCS_GRAPH, else the "
        "embedded Artois network)",
    )
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )
    for name in COMMAND_MODULES:
        importlib.import_module(f"parcs.cli.{name}").register(sub)
    for name, command in sub.choices.items():
        if name != "build":
            add_graph_option(command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``parcs`` command line and return its exit code.

    Without `argv` (the ``parcs`` program and ``python -m parcs``: one command, then the
    exit), the command's graph is kept to the exit (see :func:`parcs.cli._common.load_graph`).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    args.program_run = argv is None
    if args.verbose and not args.quiet:
        from parcs._log import enable_console_logging  # noqa: PLC0415

        enable_console_logging()
    prefix = f"parcs {args.command}: error:"
    notice = set_compile_notice(compile_notice() and not args.quiet)  # the stderr notice
    try:
        return int(args.func(args))
    except ParcsError as err:
        sys.stderr.write(f"{prefix} {_one_line(_in_cli_terms(str(err), args.command))}\n")
    except OSError as err:  # a file that cannot be read or written: the user can fix it
        where = f" {err.filename!r}" if getattr(err, "filename", None) else ""
        reason = err.strerror or str(err)
        sys.stderr.write(f"{prefix} cannot use{where}: {_one_line(reason)}\n")
    except KeyboardInterrupt:
        sys.stderr.write(f"{prefix} interrupted\n")
        return 130
    except Exception as err:
        if args.debug:
            raise
        sys.stderr.write(
            f"{prefix} unexpected {type(err).__name__}: {_one_line(str(err))} (a bug: run "
            "again with --debug for the traceback and report it)\n"
        )
    finally:
        set_compile_notice(notice)
    return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
