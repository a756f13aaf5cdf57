"""Helpers shared by the subcommands."""

from __future__ import annotations

import json
import sys
from typing import Any

import numpy as np


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


def progress_enabled(args: Any) -> bool:  # noqa: ANN401
    """Progress bars only in an interactive terminal and without ``--quiet``."""
    return (not getattr(args, "quiet", False)) and sys.stderr.isatty()
