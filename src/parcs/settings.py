"""Settings of parcs, read when a function runs (never at import).

Each setting comes from an environment variable, checked every time it is read, so that a
change takes effect at once and a bad value gives one clear :class:`parcs.errors.DataError` or
:class:`parcs.errors.ValidationError` naming the variable.

``PARCS_CACHE_DIR`` (:func:`cache_dir`)
    Folder of the embedded network's cache and of numba's compiled kernels. Default
    ``$XDG_CACHE_HOME/parcs`` or ``~/.cache/parcs``. Created with mode 0700 when parcs writes
    to it.
``PARCS_DATA_DIR`` (:func:`data_dir`)
    Folder holding the official layers the embedded network is built from (the file names of
    :data:`parcs._data.FILES`). Default: the data shipped with parcs.
``PARCS_CRS`` (:func:`crs`, :func:`crs_for`)
    Projected CRS, in metres, of the graphs parcs builds (``graph_from_osm``,
    ``graph_from_lines``). When it is not set, a graph of data in France is built in
    ``EPSG:2154`` (Lambert-93, the French official CRS) and any other in the UTM zone of its
    centre (WGS 84 / UTM, ``EPSG:326xx`` north, ``EPSG:327xx`` south), so that lengths stay
    true to a few parts in ten thousand wherever the data is.
``PARCS_GRAPH`` (:func:`graph_path`)
    A saved graph (``parcs.save_graph``) the command line uses instead of the embedded
    network, like the global ``--graph`` option. Default: unset.
"""

from __future__ import annotations

import functools
import os
from importlib import resources
from pathlib import Path

from parcs.errors import DataError, ValidationError

__all__ = [
    "DEFAULT_CRS",
    "cache_dir",
    "crs",
    "crs_for",
    "data_dir",
    "graph_path",
    "is_metric_crs",
]

#: CRS of the graphs parcs builds in France when ``PARCS_CRS`` is not set.
DEFAULT_CRS = "EPSG:2154"
# area of use of EPSG:2154 (France, mainland and Corsica): west, south, east, north
_LAMBERT93_AREA = (-9.86, 41.15, 10.38, 51.56)


def cache_dir() -> Path:
    """Return the cache folder (``$PARCS_CACHE_DIR``, else the user cache folder).

    Returns
    -------
    pathlib.Path
        The folder; it may not exist yet.

    Raises
    ------
    DataError
        If ``$PARCS_CACHE_DIR`` names an existing file that is not a folder.
    """
    env = os.environ.get("PARCS_CACHE_DIR")
    if env:
        path = Path(env).expanduser()
        if path.exists() and not path.is_dir():
            msg = f"$PARCS_CACHE_DIR is {env!r}, which is not a folder; unset it or fix the path"
            raise DataError(msg)
        return path
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "parcs"


def data_dir() -> Path:
    """Return the folder holding the embedded data layers.

    ``$PARCS_DATA_DIR`` overrides it (for example to build from newer official layers with the
    same file names). A wheel ships ``data/`` as ``parcs/_data``; an editable install or a
    plain checkout reads the repository's ``data/`` folder.

    Returns
    -------
    pathlib.Path
        An existing folder.

    Raises
    ------
    DataError
        If ``$PARCS_DATA_DIR`` is not a folder, or no data folder was found.
    """
    override = os.environ.get("PARCS_DATA_DIR")
    if override:
        path = Path(override)
        if not path.is_dir():
            msg = f"$PARCS_DATA_DIR is {override!r}, which is not a folder; unset it or fix the path"
            raise DataError(msg)
        return path
    packaged = Path(str(resources.files("parcs"))) / "_data"
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "data"
    if checkout.is_dir():
        return checkout
    msg = (
        "the embedded parcs data folder was not found (looked in "
        f"{packaged} and {checkout}); reinstall parcs with `pip install .`"
    )
    raise DataError(msg)


@functools.lru_cache(maxsize=64)
def is_metric_crs(value: str) -> bool:
    """Tell whether `value` names a projected CRS whose axes are in metres."""
    import pyproj  # noqa: PLC0415 - keeps `import parcs` light

    try:
        c = pyproj.CRS.from_user_input(value)
    except pyproj.exceptions.CRSError:
        return False
    if not c.is_projected:
        return False
    units = {(a.unit_name or "").lower() for a in c.axis_info}
    return bool(units) and units <= {"metre", "meter", "m"}


def crs() -> str:
    """Return the projected CRS of the graphs parcs builds (``$PARCS_CRS`` or EPSG:2154).

    Raises
    ------
    ValidationError
        If ``$PARCS_CRS`` is not a projected CRS in metres.
    """
    value = os.environ.get("PARCS_CRS", "").strip() or DEFAULT_CRS
    if not is_metric_crs(value):
        msg = (
            f"$PARCS_CRS is {value!r}, which is not a projected CRS in metres; use e.g. "
            "EPSG:2154 (France) or a UTM zone such as EPSG:32631, or unset it"
        )
        raise ValidationError(msg)
    return value


def crs_for(west: float, south: float, east: float, north: float) -> str:
    """Return the CRS to build a graph of data within these lon/lat bounds in.

    ``$PARCS_CRS`` when set; else ``EPSG:2154`` when the bounds lie within its area of use
    (France); else the WGS 84 / UTM zone of the centre of the bounds.

    Parameters
    ----------
    west, south, east, north
        Bounds of the data, in degrees.

    Returns
    -------
    str
        A projected CRS in metres.

    Raises
    ------
    ValidationError
        If ``$PARCS_CRS`` is not a projected CRS in metres, or the bounds are not finite
        degrees.
    """
    if os.environ.get("PARCS_CRS", "").strip():
        return crs()
    bounds = (west, south, east, north)
    if not all(isinstance(v, (int, float)) and -180 <= v <= 180 for v in bounds) or not (  # noqa: PLR2004
        -90 <= south <= north <= 90  # noqa: PLR2004
    ):
        msg = f"bounds {bounds!r} are not lon/lat degrees (west, south, east, north)"
        raise ValidationError(msg)
    w0, s0, e0, n0 = _LAMBERT93_AREA
    if w0 <= west and east <= e0 and s0 <= south and north <= n0:
        return DEFAULT_CRS
    lon, lat = (west + east) / 2, (south + north) / 2
    zone = min(60, int((lon + 180) // 6) + 1)
    return f"EPSG:{(32700 if lat < 0 else 32600) + zone}"


def graph_path() -> Path | None:
    """Return the saved graph named by ``$PARCS_GRAPH``, or None when it is unset.

    Raises
    ------
    DataError
        If ``$PARCS_GRAPH`` names a file that does not exist.
    """
    env = os.environ.get("PARCS_GRAPH", "").strip()
    if not env:
        return None
    path = Path(env).expanduser()
    if not path.is_file():
        msg = f"$PARCS_GRAPH is {env!r}, which is not a file; build one with `parcs build` or unset it"
        raise DataError(msg)
    return path
