"""Tests of parcs.network.clip (clip areas) against the embedded official perimeter."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from parcs import _data
from parcs.errors import DataError, ValidationError
from parcs.network.clip import clip_area


def test_pma_is_the_union_of_the_three_epci():
    epci = gpd.read_file(_data.get_path("epci")).to_crs(2154)
    area = clip_area("pma", crs="EPSG:2154")
    assert area.area == pytest.approx(shapely.union_all(epci.geometry.to_numpy()).area, rel=1e-9)
    assert area.area / 1e6 == pytest.approx(1002, rel=0.01)  # 1 002 km² (PROVENANCE.md)
    assert clip_area(" PMA ", crs="EPSG:2154").equals(area)


def test_shapely_polygon_in_lonlat_file_and_frame(tmp_path):
    box = shapely.box(2.7, 50.4, 2.9, 50.5)
    a = clip_area(box, crs="EPSG:2154")
    frame = gpd.GeoDataFrame(geometry=[box], crs=4326).to_crs(32631)
    b = clip_area(frame, crs="EPSG:2154")
    path = tmp_path / "box.geojson"
    frame.to_file(path)
    c = clip_area(path, crs="EPSG:2154")
    assert a.area == pytest.approx(b.area, rel=1e-6)
    assert a.area == pytest.approx(c.area, rel=1e-6)
    assert clip_area(None, crs="EPSG:2154") is None


def test_bad_clips(tmp_path):
    with pytest.raises(ValidationError, match="EPSG:4326"):
        clip_area(shapely.box(690_000, 7_000_000, 700_000, 7_010_000), crs="EPSG:2154")
    with pytest.raises(ValidationError, match="no CRS"):
        clip_area(gpd.GeoSeries([shapely.box(0, 0, 1, 1)]), crs="EPSG:2154")
    with pytest.raises(ValidationError, match="no polygon"):
        clip_area(gpd.GeoSeries([shapely.Point(2.8, 50.4)], crs=4326), crs="EPSG:2154")
    with pytest.raises(DataError, match="does not exist"):
        clip_area(tmp_path / "nope.gpkg", crs="EPSG:2154")
    (tmp_path / "bad.geojson").write_text("{not json")
    with pytest.raises(DataError, match="cannot read"):
        clip_area(tmp_path / "bad.geojson", crs="EPSG:2154")
    with pytest.raises(ValidationError, match="`clip` must be"):
        clip_area(42, crs="EPSG:2154")
