"""Locate the embedded data files, in an installed wheel or in a source checkout.

A wheel ships ``data/`` as ``parcs/_data`` (see ``pyproject.toml``); an editable install or a
plain checkout reads the repository's ``data/`` folder.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from parcs.errors import DataError

FILES = {
    "cavaliers": "pma_cavaliers_zone_tampon_lines.geojson",
    "eurovelo5": "pma_eurovelo5_osm_2022.geojson",
    "terrils": "pma_terrils.geojson",
    "espaces_neonaturels": "pma_espaces_neonaturels.geojson",
    "communes": "pma_communes.geojson",
    "epci": "pma_epci_perimetre.geojson",
}


def data_dir() -> Path:
    """Return the folder holding the embedded data.

    ``$PARCS_DATA_DIR`` overrides it (for example to build from newer official layers with
    the same file names).
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


def get_path(name: str) -> Path:
    """Return the path of the embedded layer `name`.

    Parameters
    ----------
    name
        One of {"cavaliers", "eurovelo5", "terrils", "espaces_neonaturels", "communes", "epci"}.

    Raises
    ------
    ValueError
        If `name` is not an embedded layer; the message lists the available names.
    """
    if name not in FILES:
        msg = f"`name` {name!r} is not an embedded layer; choose one of {sorted(FILES)}"
        raise ValueError(msg)
    return data_dir() / FILES[name]
