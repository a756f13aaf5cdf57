"""The embedded data is found whether parcs runs from a checkout or an installed wheel."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd

import parcs
from parcs import _data


def test_every_embedded_layer_is_present_and_readable():
    folder = _data.data_dir()
    for name, fname in _data.FILES.items():
        path = _data.get_path(name)
        assert path == folder / fname
        assert len(gpd.read_file(path)) > 0


def test_packaged_data_is_used_when_installed():
    pkg = Path(parcs.__file__).resolve().parent
    if (pkg / "_data").is_dir():  # installed wheel: the data ships inside the package
        assert _data.data_dir() == pkg / "_data"
    else:  # checkout / editable install: the repository's data/ folder
        assert _data.data_dir() == pkg.parents[1] / "data"


def test_data_folder_stays_small():
    total = sum(p.stat().st_size for p in _data.data_dir().iterdir() if p.is_file())
    assert total < 5_000_000
