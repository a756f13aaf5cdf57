"""Tests of parcs.settings: values read at call time from PARCS_* variables, validated."""

from __future__ import annotations

import pyproj
import pytest

from parcs import settings
from parcs.errors import DataError, ValidationError


def test_crs_for_france_and_elsewhere(monkeypatch):
    monkeypatch.delenv("PARCS_CRS", raising=False)
    assert settings.crs_for(2.3, 50.3, 3.1, 50.7) == "EPSG:2154"  # the Artois
    # elsewhere: the UTM zone whose central meridian is nearest the centre
    for lon, lat in ((15.6, 48.4), (-73.9, 40.7), (151.2, -33.9), (179.9, 10.0), (-179.9, -5)):
        code = settings.crs_for(lon - 0.1, lat - 0.1, lon + 0.1, lat + 0.1)
        crs = pyproj.CRS(code)
        assert crs.utm_zone is not None
        assert crs.utm_zone.endswith("N" if lat >= 0 else "S")
        zone = int(crs.utm_zone[:-1])
        central = -183 + 6 * zone
        assert abs(((lon - central + 180) % 360) - 180) <= 3.0 + 1e-9
    with pytest.raises(ValidationError, match="not lon/lat degrees"):
        settings.crs_for(690_000, 7_000_000, 700_000, 7_010_000)


def test_parcs_crs_wins_and_is_validated(monkeypatch):
    monkeypatch.setenv("PARCS_CRS", "EPSG:32631")
    assert settings.crs_for(15.5, 48.3, 15.7, 48.5) == "EPSG:32631"
    assert settings.crs() == "EPSG:32631"
    monkeypatch.setenv("PARCS_CRS", "EPSG:4326")
    with pytest.raises(ValidationError, match=r"\$PARCS_CRS is 'EPSG:4326'.*not a projected CRS"):
        settings.crs()


def test_folders_and_graph_path(monkeypatch, tmp_path):
    monkeypatch.setenv("PARCS_CACHE_DIR", str(tmp_path / "c"))
    assert settings.cache_dir() == tmp_path / "c"
    (tmp_path / "f").write_text("x")
    monkeypatch.setenv("PARCS_CACHE_DIR", str(tmp_path / "f"))
    with pytest.raises(DataError, match="PARCS_CACHE_DIR"):
        settings.cache_dir()
    monkeypatch.setenv("PARCS_DATA_DIR", str(tmp_path / "none"))
    with pytest.raises(DataError, match="PARCS_DATA_DIR"):
        settings.data_dir()
    monkeypatch.delenv("PARCS_GRAPH", raising=False)
    assert settings.graph_path() is None
    monkeypatch.setenv("PARCS_GRAPH", str(tmp_path / "g.gpkg"))
    with pytest.raises(DataError, match="PARCS_GRAPH"):
        settings.graph_path()
