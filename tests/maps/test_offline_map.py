"""The map without tiles: base map, labels, credits, legend, missing-link colours.

Label decluttering is checked against a brute-force overlap test written here (its own
Web-Mercator formula) on random labels; the base map against the embedded communes and the
real OSM sample's towns, read independently with geopandas.
"""

from __future__ import annotations

import math
import re

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer
from tests.maps.pages import basemap, credits, geojson_layers, layer_calls, legend_html
from tests.samples import OSM_SAMPLES, needs_osm_samples

import parcs
from parcs import maps
from parcs.maps._common import KIND_COLORS, ROUTE_COLORS
from parcs.maps._places import LABEL_ZOOMS, label_zooms
from parcs.maps._results import gap_color
from parcs.network.territory import artois_places


def render(m) -> str:
    return m.get_root().render()


def _pixels(lon, lat, z):
    """Web-Mercator pixel coordinates (256 px tiles), written independently of parcs."""
    scale = 256 * 2**z
    x = [(lo + 180) / 360 * scale for lo in lon]
    y = [
        (1 - math.log(math.tan(math.pi / 4 + math.radians(la) / 2)) / math.pi) / 2 * scale
        for la in lat
    ]
    return x, y


def _overlap(x, y, w, h, i, j):
    return abs(x[i] - x[j]) * 2 < w[i] + w[j] and abs(y[i] - y[j]) * 2 < h[i] + h[j]


@settings(deadline=None, max_examples=200)
@given(
    st.lists(
        st.tuples(
            st.floats(2.5, 2.9),
            st.floats(50.3, 50.6),
            st.floats(10, 120),
            st.floats(8, 20),
            st.floats(0, 1e5),
        ),
        min_size=1,
        max_size=25,
    )
)
def test_labels_never_overlap_and_fill_the_gaps(labels):
    lon, lat, w, h, imp = (np.array(col) for col in zip(*labels, strict=True))
    z = label_zooms(lon, lat, w, h, imp)
    lo, hi = LABEL_ZOOMS
    assert ((z >= lo) & (z <= hi + 1)).all()
    for zoom in range(lo, hi + 1):
        x, y = _pixels(lon, lat, zoom)
        shown = [i for i in range(len(lon)) if z[i] <= zoom]
        for a in shown:  # shown labels do not overlap
            for b in shown:
                assert a == b or not _overlap(x, y, w, h, a, b)
        for i in range(len(lon)):  # a hidden label would overlap a shown one
            if z[i] > zoom:
                assert any(_overlap(x, y, w, h, i, j) for j in shown), (i, zoom)


def test_the_most_populous_label_comes_first():
    lon = np.array([2.80, 2.8001])
    lat = np.array([50.43, 50.43])
    w, h = np.array([60.0, 60.0]), np.array([14.0, 14.0])
    z = label_zooms(lon, lat, w, h, np.array([10.0, 1000.0]))
    assert z[1] == LABEL_ZOOMS[0]  # the bigger place is labelled from the first zoom
    assert z[0] > z[1]


@pytest.fixture(scope="module")
def network():
    return parcs.load_network()


def test_artois_base_map_names_every_commune(network):
    page = render(maps.explore(network, tiles=None))
    base = basemap(page)
    communes = artois_places().query("kind == 'commune'")
    labels = base["labels"]
    assert sorted(labels["name"]) == sorted(communes["name"])
    assert len(base["outlines"]["features"]) == len(communes)
    assert base["dots"] == []
    big = {n for n, s in zip(labels["name"], labels["size"], strict=True) if "big" in s}
    assert big == set(communes.loc[communes["population"] >= 20_000, "name"])
    by_name = dict(zip(labels["name"], labels["z"], strict=True))
    most = communes.sort_values("population").iloc[-1]["name"]
    assert by_name[most] == LABEL_ZOOMS[0]
    # labels sit inside their commune
    wgs = communes.to_crs(4326).set_index("name").geometry
    for name, lat, lon in zip(labels["name"], labels["lat"], labels["lon"], strict=True):
        assert wgs[name].buffer(1e-4).contains(shapely.Point(lon, lat)), name
    assert "Towns and communes" in legend_html(page)
    shown = " | ".join(credits(page))
    assert "Mission Bassin Minier" in shown
    assert "EuroVelo 5 &copy;" in shown  # EV5 is OSM-derived (data/PROVENANCE.md)
    assert "contributors (ODbL)" not in shown  # no other OSM data here


def test_tiles_replace_the_base_map_unless_asked(network):
    assert basemap(render(maps.explore(network, tiles="OpenStreetMap"))) is None
    page = render(maps.explore(network, tiles="OpenStreetMap", basemap=True))
    assert basemap(page) is not None
    assert basemap(render(maps.explore(network, tiles=None, basemap=False))) is None


def test_graph_without_places_in_the_artois_gets_the_embedded_communes(tiny_graph):
    page = render(maps.explore(tiny_graph, tiles=None))
    to_wgs = Transformer.from_crs(2154, 4326, always_xy=True)
    lonlat = [to_wgs.transform(d["x"], d["y"]) for _n, d in tiny_graph.nodes(data=True)]
    area = shapely.box(*shapely.MultiPoint(lonlat).bounds)
    communes = artois_places().query("kind == 'commune'").to_crs(4326)
    expected = set(communes.loc[communes.intersects(area), "name"])
    assert expected  # the fixture lies near Lens
    assert set(basemap(page)["labels"]["name"]) == expected
    assert credits(page) == ["Communes: IGN, INSEE, Etalab (Licence Ouverte)"]
    assert "OpenStreetMap" not in page  # neither OSM data nor OSM tiles here


@needs_osm_samples
def test_osm_towns_are_the_base_map_elsewhere():
    path = OSM_SAMPLES / "krems.osm.gz"
    G = parcs.graph_from_osm(path=path)
    assert basemap(render(maps.explore(G, tiles=None))) is None  # Austria: no embedded data
    towns = parcs.places_from_osm(path).query("kind == 'town'")
    parcs.attach_places(G, parcs.places_from_osm(path))
    page = render(maps.explore(G, tiles=None))
    base = basemap(page)
    assert sorted(base["labels"]["name"]) == sorted(towns["name"])
    assert len(base["dots"]) == int((towns.geom_type == "Point").sum())
    assert base["outlines"] is None or len(base["outlines"]["features"]) == int(
        towns.geom_type.isin(["Polygon", "MultiPolygon"]).sum()
    )
    assert any("OpenStreetMap</a> contributors (ODbL)" in c for c in credits(page))
    assert "Mission Bassin Minier" not in page


def _layer_control_names(page: str) -> list[str]:
    found = re.findall(r"overlays :\s*\{(.*?)\},\s*\};", page, re.DOTALL)
    assert len(found) == 1
    return [
        m.encode().decode("unicode_escape") for m in re.findall(r'"((?:[^"\\]|\\.)*)" :', found[0])
    ]


def test_every_layer_has_a_legend_entry(network):
    route = parcs.route(network, "Lens", "Liévin")
    iso = parcs.isochrone(network, "Lens", max_s=600)
    net = parcs.points_noeuds(network)
    gaps = parcs.missing_links(network)
    page = render(
        maps.explore(
            network,
            tiles=None,
            routes=[route],
            isochrone=iso,
            junctions=net,
            links=gaps,
            communes=True,
        )
    )
    legend = re.findall(r'<div title="([^"]*)">', legend_html(page))
    names = _layer_control_names(page)
    assert len(names) >= 10
    aliases = {
        "Base map: towns and names": "Towns and communes",
        "Points-nœuds": "Points-nœuds (numbered junctions)",
    }
    for name in names:
        want = aliases.get(name, name.removeprefix("Network: "))
        if name == "Missing links":
            assert any(entry.startswith("Missing links") for entry in legend)
        else:
            assert want in legend, name


def _rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=float)


def test_missing_links_scale_is_distinct_from_the_connectors():
    scale = [gap_color(rank, 20) for rank in range(1, 21)]
    assert scale[0] == "#000000"  # the best link is black
    lum = [_rgb(c).mean() for c in scale]
    assert lum == sorted(lum)  # lighter as the rank falls
    assert len(set(scale)) == 20
    connector = _rgb(KIND_COLORS["connector"])
    for c in scale:
        rgb = _rgb(c)
        assert np.linalg.norm(rgb - connector) > 150  # far from the orange connectors
        assert rgb.max() - rgb.min() < 1  # neutral: no hue an edge kind or a route uses
    for c in (*KIND_COLORS.values(), *ROUTE_COLORS):
        assert _rgb(c).max() - _rgb(c).min() > 40  # every other line colour has a hue


def test_missing_link_popups_show_places_and_commune(network):
    gaps = parcs.missing_links(network).head(5).copy()
    gaps["from_place"] = [f"From {i}" for i in range(5)]  # hand-made values
    gaps["to_place"] = [f"To {i}" for i in range(5)]
    page = render(maps.explore(network, tiles=None, links=gaps))
    (layer,) = [g for g in geojson_layers(page) if "rank" in g["detail"]["fields"]]
    assert layer["detail"]["aliases"][:4] == ["Rank", "From", "To", "Commune"]
    assert layer["detail"]["how"] == "popup"
    props = [f["properties"] for f in layer["data"]["features"]]
    assert [p["from_place"] for p in props] == [f"From {i}" for i in range(5)]
    assert [p["commune"] for p in props] == gaps.sort_values("rank")["commune"].tolist()
    assert layer["style"]["dashArray"] == "1 9"  # dotted, where connectors are dashed
    assert "Missing links (rank 1 black → rank 5 grey)" in legend_html(page)


def test_missing_links_without_the_new_columns(network):
    new_columns = ["commune", "from_place", "to_place"]
    gaps = parcs.missing_links(network).drop(columns=new_columns, errors="ignore").head(3)
    page = render(maps.explore(network, tiles=None, links=gpd.GeoDataFrame(gaps)))
    (layer,) = [g for g in geojson_layers(page) if "rank" in g["detail"]["fields"]]
    assert "commune" not in layer["detail"]["fields"]
    assert "from_place" not in layer["detail"]["fields"]
    assert len(layer_calls(page, "geojson")) >= 1
