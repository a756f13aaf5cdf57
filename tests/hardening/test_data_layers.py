"""Hostile and careless official layers (a ``$PARCS_DATA_DIR`` folder): one DataError each.

Each case edits a copy of the REAL embedded layers (data/), then builds the network: the
probe of the hardening issue that used to give a traceback, a silent wrong network or a hang.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from parcs import _data
from parcs.cli import main
from parcs.errors import DataError
from parcs.network.territory import build_network


def copy_data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(_data.data_dir(), folder)
    return folder


def rewrite(folder: Path, name: str, change) -> Path:
    path = folder / _data.FILES[name]
    gdf = change(gpd.read_file(path))
    path.unlink()
    gdf.to_file(path, driver="GeoJSON")
    return path


def test_a_declared_crs_that_is_wrong_is_refused_naming_the_file(tmp_path, monkeypatch):
    folder = copy_data(tmp_path)
    # Lambert-93 metres written in a file that says EPSG:4326: used to build 82 km silently
    path = rewrite(folder, "cavaliers", lambda g: g.to_crs(2154).set_crs(4326, allow_override=True))
    monkeypatch.setenv("PARCS_DATA_DIR", str(folder))
    with pytest.raises(DataError, match="outside the area of use of its declared CRS") as exc:
        build_network()
    assert str(path) in str(exc.value)


def test_a_missing_column_is_named(tmp_path, monkeypatch):
    folder = copy_data(tmp_path)
    rewrite(folder, "communes", lambda g: g.drop(columns=["population_2026cog"]))
    monkeypatch.setenv("PARCS_DATA_DIR", str(folder))
    with pytest.raises(DataError, match=r"lacks the column\(s\) \['population_2026cog'\]"):
        build_network()


def test_a_null_population_is_named(tmp_path, monkeypatch):
    folder = copy_data(tmp_path)

    def blank(g):
        g.loc[g["nom"] == "Lens", "population_2026cog"] = None
        return g

    rewrite(folder, "communes", blank)
    monkeypatch.setenv("PARCS_DATA_DIR", str(folder))
    with pytest.raises(DataError, match=r"1 commune\(s\) without a valid population.*'Lens'"):
        build_network()


def test_z_coordinates_are_dropped_and_the_network_is_the_same(tmp_path, monkeypatch, artois):
    folder = copy_data(tmp_path)
    rewrite(folder, "cavaliers", lambda g: g.set_geometry(shapely.force_3d(g.geometry.to_numpy(), 12.5)))
    monkeypatch.setenv("PARCS_DATA_DIR", str(folder))
    G = build_network()
    assert G.number_of_edges() == artois.number_of_edges()
    lengths = sorted(round(d["length"], 6) for _, _, d in G.edges(data=True))
    assert lengths == sorted(round(d["length"], 6) for _, _, d in artois.edges(data=True))


def test_the_cli_says_it_in_one_line(tmp_path, monkeypatch, capsys):
    folder = copy_data(tmp_path)
    rewrite(folder, "communes", lambda g: g.drop(columns=["insee"]))
    monkeypatch.setenv("PARCS_DATA_DIR", str(folder))
    monkeypatch.setenv("PARCS_CACHE_DIR", str(tmp_path / "cache"))
    assert main(["info"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("parcs info: error: ")
    assert "['insee']" in err
    assert len(err.strip().splitlines()) == 1
