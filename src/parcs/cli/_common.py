"""Helpers shared by the subcommands."""

from __future__ import annotations

import contextlib
import gc
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import argparse
    from collections.abc import Iterator

    import networkx as nx


def _default(obj: Any) -> Any:  # noqa: ANN401
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (set, tuple)):
        return list(obj)
    msg = f"cannot serialise {type(obj).__name__} to JSON"
    raise TypeError(msg)


def print_json(data: Any) -> None:  # noqa: ANN401
    """Write `data` as indented JSON on stdout."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=_default) + "\n")


def echo(text: str = "") -> None:
    """Write one line on stdout (the CLI's only output channel besides JSON)."""
    sys.stdout.write(text + "\n")


def parse_place_or_point(text: str) -> str | tuple[float, float]:
    """Turn ``"lat,lon"`` into a ``(lon, lat)`` tuple; anything else stays a place name."""
    parts = text.split(",")
    if len(parts) == 2:  # noqa: PLR2004
        try:
            lat, lon = float(parts[0]), float(parts[1])
        except ValueError:
            return text
        return (lon, lat)
    return text


PROFILES = ("walk", "bike", "ebike")


def add_profile_option(
    parser: argparse.ArgumentParser, *, default: str | None = "bike", help_text: str = ""
) -> None:
    """Add ``--profile`` (walk, bike or ebike, any case) to `parser`."""
    parser.add_argument(
        "--profile",
        default=default,
        type=str.lower,
        choices=PROFILES,
        help=help_text or f"travel profile: walk, bike or ebike (default {default})",
    )


def add_snap_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--max-snap-m``: how far a "lat,lon" point may be from the network."""
    parser.add_argument(
        "--max-snap-m",
        type=float,
        default=500.0,
        metavar="M",
        help='farthest a "lat,lon" point may be from the network, in metres (default 500)',
    )


def progress_enabled(args: Any) -> bool:  # noqa: ANN401
    """Progress bars only in an interactive terminal and without ``--quiet``."""
    return (not getattr(args, "quiet", False)) and sys.stderr.isatty()


def graph_path(args: Any) -> Path | None:  # noqa: ANN401
    """The saved graph the command runs on: ``--graph``, else ``$PARCS_GRAPH``, else None."""
    from parcs import settings  # noqa: PLC0415
    from parcs.errors import DataError  # noqa: PLC0415

    given = getattr(args, "graph", None)
    if given:
        path = Path(given).expanduser()
        if not path.is_file():
            msg = (
                f"`--graph` {given!r} is not a file; build one with "
                "`parcs build --osm FILE --out GRAPH.gpkg` (or --lines, --place, --bbox)"
            )
            raise DataError(msg)
        return path
    return settings.graph_path()


def load_graph(args: Any, **network_kw: Any) -> nx.MultiDiGraph:  # noqa: ANN401
    """Load the graph of a command: the saved ``--graph`` one, else the embedded Artois network.

    `network_kw` go to :func:`parcs.load_network` (for example ``cache=False``) and are
    ignored for a saved graph.

    In the program (``args.program_run``, set by :func:`parcs.cli.main` without `argv`: one
    command, then the exit) the graph lives until the exit, so it is loaded without pauses of
    the cyclic garbage collector, then frozen with everything alive (:func:`gc.freeze`: no
    later collection walks it again) and kept in :data:`_KEPT`, never freed: freeing a large
    graph object by object costs more than the operating system's taking the memory back at
    the exit (0.07 s of a warm ``parcs route`` on a 56k-arc graph).
    """
    program = getattr(args, "program_run", False) and gc.isenabled()
    if not program:
        return _graph_of(args, network_kw)
    gc.disable()
    try:
        G = _graph_of(args, network_kw)
        _KEPT.append(G)
        return G
    finally:
        gc.freeze()
        gc.enable()


# The program's graphs. The list holds itself, so the interpreter's exit, which frees what
# modules hold, leaves it alone; frozen, the collector leaves it alone too.
_KEPT: list[Any] = []
_KEPT.append(_KEPT)


def _graph_of(args: Any, network_kw: dict[str, Any]) -> nx.MultiDiGraph:  # noqa: ANN401
    path = graph_path(args)
    if path is None:
        from parcs.network.territory import load_network  # noqa: PLC0415

        return load_network(**network_kw)
    from parcs.io import load_graph as _load  # noqa: PLC0415

    return _load(path)


def add_graph_option(parser: argparse.ArgumentParser) -> None:
    """Let a subcommand take ``--graph`` after its name too (``parcs route --graph G.gpkg``)."""
    import argparse  # noqa: PLC0415

    parser.add_argument(
        "--graph",
        metavar="GRAPH.gpkg",
        default=argparse.SUPPRESS,
        help="run on this saved graph (parcs build) instead of the embedded network",
    )


class Steps:
    """A tqdm bar over named steps, shown only when progress is enabled."""

    def __init__(self, total: int, *, enabled: bool) -> None:
        self._bar: Any = None
        if enabled:
            from tqdm import tqdm  # noqa: PLC0415

            self._bar = tqdm(total=total, unit="step", leave=False)

    @contextlib.contextmanager
    def step(self, label: str) -> Iterator[None]:
        if self._bar is not None:
            self._bar.set_description(label)
        yield
        if self._bar is not None:
            self._bar.update(1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def output_file(text: str | None, *, flag: str, suffixes: tuple[str, ...]) -> Path | None:
    """Check an output file given on the command line, before any work is done.

    Parameters
    ----------
    text
        The path the user typed (None: no output asked for).
    flag
        The option name, for the messages (``--gpx``).
    suffixes
        Allowed file endings (``(".gpx",)``).

    Returns
    -------
    pathlib.Path or None
        The path.

    Raises
    ------
    ValidationError
        If the path is a folder, has another ending, or its folder cannot be written.
    """
    if text is None:
        return None
    from parcs.errors import ValidationError  # noqa: PLC0415

    path = Path(text).expanduser()
    if path.is_dir():
        msg = f"`{flag}` {text!r} is a folder; give a file name ending in {' or '.join(suffixes)}"
        raise ValidationError(msg)
    if not path.name.lower().endswith(suffixes):
        msg = f"`{flag}` {text!r} must end in {' or '.join(suffixes)}"
        raise ValidationError(msg)
    _check_writable(path.parent, text, flag)
    return path


def output_folder(text: str, *, flag: str) -> Path:
    """Check an output folder given on the command line, before any work is done.

    Raises
    ------
    ValidationError
        If the path is an existing file or cannot be created or written.
    """
    from parcs.errors import ValidationError  # noqa: PLC0415

    path = Path(text).expanduser()
    if path.exists() and not path.is_dir():
        msg = f"`{flag}` {text!r} is a file; give a folder (it is created if needed)"
        raise ValidationError(msg)
    _check_writable(path, text, flag)
    return path


def _check_writable(folder: Path, text: str, flag: str) -> None:
    import os  # noqa: PLC0415

    from parcs.errors import ValidationError  # noqa: PLC0415

    existing = folder if str(folder) else Path()
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        msg = f"`{flag}` {text!r}: {str(existing)!r} is a file, so no folder can be made there"
        raise ValidationError(msg)
    if not os.access(existing, os.W_OK | os.X_OK):
        msg = f"`{flag}` {text!r}: the folder {str(existing)!r} is not writable"
        raise ValidationError(msg)
    if existing == folder:  # try it: permissions do not tell everything (/proc, read-only mounts)
        import tempfile  # noqa: PLC0415

        try:
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".parcs-probe-"):
                pass
        except OSError as err:
            msg = f"`{flag}` {text!r}: cannot write in {str(folder)!r} ({err.strerror or err})"
            raise ValidationError(msg) from None
