"""Hostile names in maps: nothing they carry runs, in the browser or in Python; they show as text.

The OSM file and the places table are HAND-MADE fixtures (a 4 x 4 grid of nodes near Lens, ways
and places whose ``name`` is a payload); they are not geodata. Each browser payload, if it ran,
would set ``window.pwned``, ``document.title`` or a DOM attribute, or leave an ``<img src=x>`` /
``<svg onload>`` element; the template payloads would be evaluated by Jinja (branca renders
folium's scripts as templates) when the map is saved: ``{{ 7*7 }}`` would become ``49`` and the
last one would create a file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.sax.saxutils import quoteattr

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point, box
from tests.conftest import X0, Y0
from tests.maps.browser import probe
from tests.maps.pages import basemap, layer_calls, network_edges

import parcs
from parcs import maps
from parcs.cli import main
from parcs.maps._common import esc, js_json

BROWSER_PAYLOADS = (
    "<img src=x onerror=\"document.title='pwned';window.pwned=1\">",
    '"><svg onload="window.pwned=2">',
    "</script><script>window.pwned=3</script>",
    "${window.pwned=4}",
    "`;window.pwned=5;//",
    "<b onmouseover=\"document.documentElement.setAttribute('data-pwned',6)\">bold</b>",
)
TEMPLATE_PAYLOAD = "{{ 7*7 }} {% for x in range(3) %}X{% endfor %}"


#: Creates the folder named by $PARCS_TEST_MARKER if Jinja evaluates it (no quotes in it, so
#: JSON escaping does not break it).
RCE_PAYLOAD = (
    "{{ cycler.__init__.__globals__.os.makedirs("
    "cycler.__init__.__globals__.os.environ.PARCS_TEST_MARKER) }}"
)


def osm_xml(names: list[str], lat0: float = 50.43, lon0: float = 2.83) -> str:
    """A hand-made OSM file: 4 x 4 nodes ~110 m apart, 8 ways, a park and two towns, named."""

    def nid(i: int, j: int) -> int:
        return 1000 + 4 * i + j

    nodes = [
        f'<node id="{nid(i, j)}" version="1" lat="{lat0 + 0.001 * i:.6f}" '
        f'lon="{lon0 + 0.0015 * j:.6f}"/>'
        for i in range(4)
        for j in range(4)
    ]
    lines = [[nid(i, j) for j in range(4)] for i in range(4)]
    lines += [[nid(i, j) for i in range(4)] for j in range(4)]
    ways = []
    for k, refs in enumerate(lines):
        nds = "".join(f'<nd ref="{r}"/>' for r in refs)
        highway = "cycleway" if k < 4 else "path"
        ways.append(
            f'<way id="{2000 + k}" version="1">{nds}<tag k="highway" v="{highway}"/>'
            f'<tag k="name" v={quoteattr(names[k % len(names)])}/></way>'
        )
    ring = "".join(
        f'<nd ref="{r}"/>' for r in (nid(0, 0), nid(0, 1), nid(1, 1), nid(1, 0), nid(0, 0))
    )
    ways.append(
        f'<way id="3000" version="1">{ring}<tag k="leisure" v="park"/>'
        f'<tag k="name" v={quoteattr(names[0])}/></way>'
    )
    for n, (dlat, dlon, kind, name) in enumerate(
        [(0.0005, 0.0005, "town", names[1]), (0.0015, 0.0025, "village", names[2])]
    ):
        nodes.append(
            f'<node id="{4000 + n}" version="1" lat="{lat0 + dlat:.6f}" lon="{lon0 + dlon:.6f}">'
            f'<tag k="place" v="{kind}"/><tag k="population" v="25000"/>'
            f'<tag k="name" v={quoteattr(name)}/></node>'
        )
    body = "\n".join(nodes + ways)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="test">\n{body}\n</osm>\n'


@dataclass
class HostileRoute:
    geometry: LineString
    length_m: float
    orig_label: str
    dest_label: str
    duration_s: float = 600.0
    profile: str = "bike"
    km_by_kind: dict[str, float] = field(default_factory=dict)


@dataclass
class HostileJunctions:
    junctions: gpd.GeoDataFrame
    links: gpd.GeoDataFrame


def hostile_results(G, names: list[str]) -> tuple[HostileRoute, HostileJunctions, gpd.GeoDataFrame]:
    """A route, a junction network and missing links whose texts are `names` (hand-made)."""
    crs = G.graph["crs"]
    xy = [(d["x"], d["y"]) for _n, d in sorted(G.nodes(data=True))]
    line = LineString(xy[:3])
    gdf_crs = gpd.GeoSeries([line], crs=crs).to_crs(2154)
    route = HostileRoute(
        gdf_crs.iloc[0], line.length, names[0], names[1], km_by_kind={names[2]: 1.0}
    )
    pts = [Point(p) for p in xy[:3]]
    junctions = gpd.GeoDataFrame({"number": [names[3], names[4], "7"]}, geometry=pts, crs=crs)
    links = gpd.GeoDataFrame(
        {"name": [names[5]], "length_m": [100.0]}, geometry=[LineString(xy[:2])], crs=crs
    )
    gaps = gpd.GeoDataFrame(
        {
            "rank": [1, 2],
            "from_place": [names[0], names[1]],
            "to_place": [names[2], names[3]],
            "commune": [names[4], names[5]],
            "benefit": [2.0, 1.0],
        },
        geometry=[LineString(xy[0:2]), LineString(xy[3:5])],
        crs=crs,
    )
    return route, HostileJunctions(junctions, links), gaps


@pytest.fixture
def names(tmp_path, monkeypatch) -> list[str]:
    monkeypatch.setenv("PARCS_TEST_MARKER", str(tmp_path / "template-ran"))
    return [*BROWSER_PAYLOADS, TEMPLATE_PAYLOAD, RCE_PAYLOAD]


@pytest.fixture
def osm_graph(tmp_path, names):
    path = tmp_path / "hostile.osm"
    path.write_text(osm_xml(names), encoding="utf-8")
    G = parcs.graph_from_osm(path=path)
    parcs.attach_places(G, parcs.places_from_osm(path))
    G.graph["name"] = names[0]
    return G


def _assert_nothing_ran(seen: dict) -> None:
    assert seen["pwned"] is None
    assert seen["pwnedAttr"] is None
    assert seen["imgs"] == 0
    assert seen["svgs"] == 0
    assert "pwned" not in seen["title"] or seen["title"].startswith("parcs map: <img")


def _shown_text(seen: dict) -> str:
    return "\n".join(
        [*seen["texts"], *seen["labels"], *seen["layers"], seen["legend"], seen["title"]]
    )


# --------------------------------------------------------------------------------------------
# without a browser
# --------------------------------------------------------------------------------------------
def test_escape_helpers():
    assert (
        esc("<b a='1'>{{x}}</b>") == "&lt;b a=&#x27;1&#x27;&gt;&#123;&#123;x&#125;&#125;&lt;/b&gt;"
    )
    text = js_json({"a": "</script><script>x</script>", "b": "\u2028&"})
    assert "<" not in text
    assert ">" not in text
    assert "&" not in text
    assert "\u2028" not in text


def test_names_reach_the_page_as_data_only(tmp_path, osm_graph, names):
    route, junctions, gaps = hostile_results(osm_graph, names)
    page_path = maps.save_map(
        osm_graph,
        tmp_path / "m.html",
        tiles=None,
        communes=True,
        routes=[route],
        junctions=junctions,
        links=gaps,
    )
    assert not (tmp_path / "template-ran").exists()  # no template code ran in Python
    page = page_path.read_text(encoding="utf-8")
    assert "49 XXX" not in page
    # no payload with markup appears raw anywhere in the page (only as escaped JSON or HTML)
    for name in BROWSER_PAYLOADS:
        if "<" in name:
            assert name not in page, name
    assert (
        page.count("<script") == 4
    )  # Leaflet, parcs.js, folium settings, the map: none from a name
    assert not re.search(r"<(img|svg|b)[ >]", page.split("</style>")[-1])
    # the names are there, as data: edge names, places, labels, junctions, gaps
    edge_names = {e.name for layer in network_edges(page).values() for e in layer}
    assert set(names) <= edge_names
    assert set(basemap(page)["labels"]["name"]) == {names[1], names[2]}
    (junction_layer,) = layer_calls(page, "junctions")
    assert junction_layer["number"][:2] == [names[3][:40], names[4][:40]]


@pytest.mark.browser
def test_hostile_osm_names_do_not_run(tmp_path, osm_graph, names):
    route, junctions, gaps = hostile_results(osm_graph, names)
    page = maps.save_map(
        osm_graph,
        tmp_path / "m.html",
        tiles=None,
        communes=True,
        routes=[route],
        junctions=junctions,
        links=gaps,
    )
    seen = probe(tmp_path, page)
    _assert_nothing_ran(seen)
    assert seen["title"] == f"parcs map: {names[0]}"
    shown = _shown_text(seen)
    for name in names:
        assert name in shown, name  # shown as text: tooltips, popups, labels, layer names
    assert f"Route: {names[0]} → {names[1]}" in [name.strip() for name in seen["layers"]]
    assert "OpenStreetMap" in seen["attribution"]  # OSM data is drawn


@pytest.mark.browser
def test_hostile_data_layer_names_do_not_run(tmp_path, tiny_graph, names):
    """A user's places table (hand-made): a park and two communes named with payloads."""
    park = box(X0 + 100, Y0 - 900, X0 + 900, Y0 - 100)
    commune_a = box(X0 - 500, Y0 - 1500, X0 + 1000, Y0 + 500)
    commune_b = box(X0 + 1000, Y0 - 1500, X0 + 2500, Y0 + 500)
    places = gpd.GeoDataFrame(
        {
            "name": [names[0], names[1], names[2]],
            "kind": ["park", "commune", "commune"],
            "population": [0, 30_000, 800],
        },
        geometry=[park, commune_a, commune_b],
        crs="EPSG:2154",
    )
    parcs.attach_places(tiny_graph, places)
    page = maps.save_map(tiny_graph, tmp_path / "m.html", tiles=None, communes=True)
    seen = probe(tmp_path, page)
    _assert_nothing_ran(seen)
    shown = _shown_text(seen)
    for name in names[:3]:
        assert name in shown, name
    assert sorted(seen["labels"]) == sorted([names[1], names[2]])
    assert "OpenStreetMap" not in seen["attribution"]  # no OSM data on this map


@pytest.mark.browser
def test_parcs_map_on_a_saved_hostile_graph(tmp_path, osm_graph, names):
    saved = parcs.save_graph(osm_graph, tmp_path / "hostile.gpkg")
    out = tmp_path / "cli.html"
    town_a, town_b = names[1], names[2]
    argv = ["-q", "map", "--graph", str(saved), "--out", str(out), "--tiles", "none", "--communes"]
    assert main([*argv, "--route", town_a, town_b]) == 0
    assert not (tmp_path / "template-ran").exists()
    seen = probe(tmp_path, out)
    _assert_nothing_ran(seen)
    shown = _shown_text(seen)
    for name in names:
        assert name in shown, name
    assert any(f"{town_a} → {town_b}" in t for t in seen["texts"])  # the route's popup
