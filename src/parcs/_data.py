"""Locate the embedded data files, in an installed wheel or in a source checkout.

A wheel ships ``data/`` as ``parcs/_data`` (see ``pyproject.toml``); an editable install or a
plain checkout reads the repository's ``data/`` folder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from parcs import settings

if TYPE_CHECKING:
    from pathlib import Path

FILES = {
    "cavaliers": "pma_cavaliers_zone_tampon_lines.geojson",
    "eurovelo5": "pma_eurovelo5_osm_2022.geojson",
    "terrils": "pma_terrils.geojson",
    "espaces_neonaturels": "pma_espaces_neonaturels.geojson",
    "communes": "pma_communes.geojson",
    "epci": "pma_epci_perimetre.geojson",
}


def data_dir() -> Path:
    """Return the folder holding the embedded data (see :func:`parcs.settings.data_dir`)."""
    return settings.data_dir()


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
