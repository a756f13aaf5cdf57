"""Tests of parcs.places_from_osm (places from OpenStreetMap files, graphs and downloads).

The real OSM samples (``tests/samples.py``) are checked against an independent reader written
here: plain ``osmium.SimpleHandler`` callbacks, the kind rules restated from the docs, rings
built by shapely (``shapely.polygonize``) from the node locations. The small OSM XML files
written by ``_xml`` are HAND-MADE fixtures (synthetic coordinates, not geodata) for the
hostile cases the samples do not hold.
"""

from __future__ import annotations

import gzip
import logging
import math
import shutil
from collections import Counter

import geopandas as gpd
import networkx as nx
import osmium
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

import parcs
from parcs.errors import DataError, NoPathError, ValidationError
from parcs.network.osm_places import MAX_POPULATION, parse_population, places_from_osm
from tests.samples import OSM_SAMPLES, needs_osm_samples

KREMS = OSM_SAMPLES / "krems.osm.gz"
ANDORRA = OSM_SAMPLES / "andorra.osm.pbf"

# ------------------------------------------------------------------------------------------
# independent reference reader (restating the documented table)
# ------------------------------------------------------------------------------------------
REF_RULES = [  # (kind, key, values), first match wins
    ("terril", "man_made", {"spoil_heap"}),
    ("terril", "landuse", {"landfill"}),  # only with a name
    ("park", "leisure", {"park"}),
    ("park", "landuse", {"recreation_ground"}),
    ("nature", "leisure", {"nature_reserve"}),
    ("nature", "boundary", {"protected_area", "national_park"}),
    ("forest", "landuse", {"forest"}),
    ("forest", "natural", {"wood"}),
    ("station", "railway", {"station"}),
    ("station", "public_transport", {"station"}),  # not a bus station
    ("town", "place", {"city", "town", "village", "hamlet"}),
    ("viewpoint", "tourism", {"viewpoint"}),
]


def ref_kind(tags: dict) -> str | None:
    for kind, key, values in REF_RULES:
        if tags.get(key) in values:
            if key == "landuse" and kind == "terril" and not tags.get("name", "").strip():
                continue
            rail = any(tags.get(m) == "yes" for m in ("train", "light_rail", "subway", "tram"))
            if key == "public_transport" and tags.get("bus") == "yes" and not rail:
                continue
            return kind
    return None


class _Relations(osmium.SimpleHandler):
    def __init__(self):
        super().__init__()
        self.rels = {}  # id -> (kind, tags, [(way id, role)])

    def relation(self, r):
        tags = dict(r.tags)
        kind = ref_kind(tags)
        if kind and tags.get("type") in {"multipolygon", "boundary"}:
            self.rels[r.id] = (kind, tags, [(m.ref, m.role) for m in r.members if m.type == "w"])


class _Objects(osmium.SimpleHandler):
    def __init__(self, member_ways):
        super().__init__()
        self.member_ways = member_ways
        self.lines = {}  # way id -> LineString (members of area relations)
        self.found = {}  # (osm_type, id) -> (kind, geometry)

    def node(self, n):
        tags = dict(n.tags)
        kind = ref_kind(tags)
        if kind and tags.get("name", "").strip() and n.location.valid():
            self.found["node", n.id] = (kind, shapely.Point(n.location.lon, n.location.lat))

    def way(self, w):
        if not all(nd.location.valid() for nd in w.nodes):
            return
        coords = [(nd.location.lon, nd.location.lat) for nd in w.nodes]
        if w.id in self.member_ways and len(coords) >= 2:
            self.lines[w.id] = shapely.LineString(coords)
        kind = ref_kind(dict(w.tags))
        closed = len(coords) >= 4 and w.nodes[0].ref == w.nodes[-1].ref
        if kind and closed:
            self.found["way", w.id] = (kind, shapely.make_valid(shapely.Polygon(coords)))


def ref_places(path) -> dict:
    """(osm_type, id) -> (kind, geometry) of every place of `path`, independently."""
    rels = _Relations()
    rels.apply_file(str(path))
    members = {wid for _, _, ms in rels.rels.values() for wid, _ in ms}
    objs = _Objects(members)
    objs.apply_file(str(path), locations=True)
    found = dict(objs.found)
    for rid, (kind, _tags, ms) in rels.rels.items():
        if not ms or any(wid not in objs.lines for wid, _ in ms):
            continue  # incomplete in this file: no area
        rings = {}
        for role in ("outer", "inner"):
            lines = [objs.lines[w] for w, r in ms if (r or "outer") == role]
            polys, cuts, dangles, invalid = shapely.polygonize_full(lines)
            if any(not g.is_empty for g in (cuts, dangles, invalid)):
                rings = None
                break
            rings[role] = shapely.union_all(list(polys.geoms)) if lines else shapely.Polygon()
        if rings is not None and not rings["outer"].is_empty:
            found["relation", rid] = (kind, rings["outer"].difference(rings["inner"]))
    return found


def equal_area(geoms, crs="EPSG:4326"):
    return gpd.GeoSeries(list(geoms), crs=crs).to_crs("EPSG:3035").area.to_numpy()


@needs_osm_samples
@pytest.mark.parametrize("path", [KREMS, ANDORRA], ids=["krems", "andorra"])
def test_places_equal_an_independent_pyosmium_reading(path):
    got = places_from_osm(path)
    ref = ref_places(path)
    assert got.crs.to_epsg() == 4326
    assert Counter(got["kind"]) == Counter(k for k, _ in ref.values())
    keys = list(zip(got["osm_type"], got["osm_id"], strict=True))
    assert sorted(keys) == sorted(ref)
    assert list(got["kind"]) == [ref[k][0] for k in keys]
    # areas equal the shapely areas of the same rings; points are the same nodes
    areas = got.geom_type != "Point"
    assert areas.any()
    want = equal_area([ref[k][1] for k, a in zip(keys, areas, strict=True) if a])
    assert equal_area(got.geometry[areas]) == pytest.approx(want, rel=1e-9)
    pts = got[~areas]
    for key, geom in zip(keys, got.geometry, strict=True):
        if geom.geom_type == "Point":
            assert geom.equals_exact(ref[key][1], 1e-7)
    assert (pts["name"].str.len() > 0).all()
    # unnamed areas are kept under a generated name
    unnamed = got[got["name"].str.fullmatch(r"\w+ (way|relation)/\d+")]
    for row in unnamed.itertuples():
        assert row.name == f"{row.kind} {row.osm_type}/{row.osm_id}"


@needs_osm_samples
def test_sample_counts_by_kind():
    """The kinds the samples hold (counted by the reference reader above)."""
    krems = Counter(places_from_osm(KREMS)["kind"])
    andorra = Counter(places_from_osm(ANDORRA)["kind"])
    assert krems == Counter(k for k, _ in ref_places(KREMS).values())
    assert {"park", "forest", "station", "town"} <= set(krems)
    assert {"park", "nature", "forest", "town", "viewpoint"} <= set(andorra)


@needs_osm_samples
def test_population_and_alt_name_from_real_tags():
    got = places_from_osm(ANDORRA, kinds=["town"]).set_index("name")
    assert got.loc["Andorra la Vella", "population"] == 24678
    assert got.loc["Andorra la Vella", "alt_name"] == "Andorre-la-Vieille"
    assert got.loc["Ordino", "population"] == 0  # no population tag


# ------------------------------------------------------------------------------------------
# population parsing
# ------------------------------------------------------------------------------------------
SEPARATORS = ["", " ", ",", ".", "'", "\u202f", "\u00a0"]


def _grouped(n: int, sep: str) -> str:
    text = f"{n:,}"
    return text.replace(",", sep)


@settings(deadline=None, max_examples=300)
@given(
    st.integers(0, 10**9),
    st.sampled_from(SEPARATORS),
    st.sampled_from(["", "ca. ", "~", "approx. ", "c. ", "env. ", "  "]),
    st.sampled_from(["", " (2011)", ";300", " inhabitants", " [census]", " "]),
)
def test_population_of_formatted_numbers(n, sep, prefix, suffix):
    got = parse_population(f"{prefix}{_grouped(n, sep)}{suffix}")
    assert got == (n if n <= MAX_POPULATION else 0)


@settings(deadline=None, max_examples=500)
@given(st.text(max_size=40))
def test_population_of_any_text_is_a_bounded_count(text):
    got = parse_population(text)
    assert isinstance(got, int)
    assert 0 <= got <= MAX_POPULATION
    if not any(c.isdigit() for c in text):
        assert got == 0


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("12 345", 12345),
        ("ca. 500", 500),
        ("1,5", 2),  # two decimals at most, rounded
        ("garbage", 0),
        ("", 0),
        ("-5", 0),
        ("1e9", 0),
        ("12k", 0),
        ("NaN", 0),
        ("inf", 0),
        ("99999999999", 0),
        (None, 0),
        (True, 0),
        (float("nan"), 0),
        (3.0, 3),
    ],
)
def test_population_examples(text, want):
    assert parse_population(text) == want


def test_absurd_population_is_logged(caplog):
    with caplog.at_level(logging.WARNING, logger="parcs"):
        assert parse_population("60 000 000") == 0
    assert "absurd" in caplog.text


# ------------------------------------------------------------------------------------------
# hand-made hostile files (HAND-MADE fixtures, synthetic coordinates)
# ------------------------------------------------------------------------------------------
def _xml(nodes, ways=(), relations=()) -> str:
    def tags(t):
        return "".join(
            f'<tag k="{k}" v="{v.replace("&", "&amp;").replace(chr(10), "&#10;").replace(chr(9), "&#9;")}"/>'
            for k, v in t.items()
        )

    out = ["<?xml version='1.0' encoding='UTF-8'?>", '<osm version="0.6">']
    for nid, lon, lat, t in nodes:
        out.append(f'<node id="{nid}" lat="{lat}" lon="{lon}" version="1">{tags(t)}</node>')
    for wid, refs, t in ways:
        nds = "".join(f'<nd ref="{r}"/>' for r in refs)
        out.append(f'<way id="{wid}" version="1">{nds}{tags(t)}</way>')
    for rid, members, t in relations:
        ms = "".join(f'<member type="way" ref="{r}" role="{role}"/>' for r, role in members)
        out.append(f'<relation id="{rid}" version="1">{ms}{tags(t)}</relation>')
    out.append("</osm>")
    return "\n".join(out)


def _square(first_id, x, y, size):
    """Four corner nodes (counter-clockwise) of a square, and their ids closing the ring."""
    pts = [(x, y), (x + size, y), (x + size, y + size), (x, y + size)]
    nodes = [(first_id + i, px, py, {}) for i, (px, py) in enumerate(pts)]
    return nodes, [first_id, first_id + 1, first_id + 2, first_id + 3, first_id]


def hostile_file(tmp_path):
    long_name = "Parc " + "x" * 1000
    nodes = [
        (1, 10.0, 50.0, {"place": "town", "name": "Testville", "population": "12 345"}),
        (2, 10.01, 50.0, {"place": "village", "name": "Absurdia", "population": "99999999999"}),
        (3, 10.02, 50.0, {"place": "hamlet", "name": "Garbage", "population": "lots"}),
        (4, 10.03, 50.0, {"leisure": "park"}),  # unnamed point: dropped
        (5, 10.04, 50.0, {"tourism": "viewpoint", "name": "Belvedere", "alt_name": "A;B"}),
        (6, 10.05, 50.0, {"public_transport": "station", "bus": "yes", "name": "Bus"}),
        (7, 10.06, 50.0, {"public_transport": "station", "train": "yes", "name": "Gare"}),
        (8, 10.07, 50.0, {"railway": "station", "name": "Gare\tdu\nNord"}),
        (9, 10.08, 50.0, {"leisure": "park", "name": long_name}),
        (10, 10.09, 50.0, {"place": "town", "population": "500"}),  # unnamed: dropped
    ]
    ways, rels = [], []
    sq, ring = _square(100, 10.0, 50.1, 0.01)  # unnamed park
    nodes += sq
    ways.append((10, ring, {"leisure": "park"}))
    sq, ring = _square(110, 10.02, 50.1, 0.01)  # unnamed landfill: not a terril
    nodes += sq
    ways.append((11, ring, {"landuse": "landfill"}))
    sq, ring = _square(120, 10.04, 50.1, 0.01)
    nodes += sq
    ways.append((12, ring, {"landuse": "landfill", "name": "Terril Test"}))
    sq, ring = _square(130, 10.06, 50.1, 0.01)  # an unclosed wood: no area
    nodes += sq
    ways.append((13, ring[:-1], {"natural": "wood", "name": "Open wood"}))
    sq, ring = _square(140, 10.08, 50.1, 0.01)  # park and forest: park wins
    nodes += sq
    ways.append((14, ring, {"leisure": "park", "landuse": "forest", "name": "Both"}))
    # a nature reserve: outer ring from two ways, a hole from a third
    sq, ring = _square(200, 10.0, 50.2, 0.04)
    nodes += sq
    ways += [(21, ring[:3], {}), (22, ring[2:], {})]
    sq, ring = _square(210, 10.01, 50.21, 0.01)
    nodes += sq
    ways.append((23, ring, {}))
    rels.append(
        (20, [(21, "outer"), (22, "outer"), (23, "inner")],
         {"type": "multipolygon", "leisure": "nature_reserve", "name": "Reserve"})
    )
    # a broken multipolygon: its only outer way does not close
    sq, ring = _square(300, 10.1, 50.2, 0.02)
    nodes += sq
    ways.append((31, ring[:3], {}))
    rels.append((30, [(31, "outer")], {"type": "multipolygon", "landuse": "forest", "name": "Broken"}))
    path = tmp_path / "hostile.osm"
    path.write_text(_xml(nodes, ways, rels), encoding="utf-8")
    return path


def test_hostile_hand_made_file(tmp_path, caplog):
    path = hostile_file(tmp_path)
    with caplog.at_level(logging.WARNING, logger="parcs"):
        got = places_from_osm(path)
    by = {(r.osm_type, r.osm_id): r for r in got.itertuples()}
    assert set(by) == {
        ("node", 1), ("node", 2), ("node", 3), ("node", 5), ("node", 7), ("node", 8),
        ("node", 9), ("way", 10), ("way", 12), ("way", 14), ("relation", 20),
    }  # fmt: skip
    assert by["node", 1].population == 12345
    assert by["node", 2].population == 0  # absurd
    assert by["node", 3].population == 0  # garbage
    assert "absurd" in caplog.text
    assert "r30" in caplog.text  # the broken multipolygon is reported
    assert by["node", 5].alt_name == "A;B"
    assert by["node", 8].name == "Gare du Nord"  # control characters folded
    assert len(by["node", 9].name) == 200
    assert by["way", 10].name == "park way/10"
    assert by["way", 12].kind == "terril"
    assert by["way", 14].kind == "park"
    reserve = by["relation", 20].geometry
    hand = shapely.Polygon(
        [(10.0, 50.2), (10.04, 50.2), (10.04, 50.24), (10.0, 50.24)],
        [[(10.01, 50.21), (10.02, 50.21), (10.02, 50.22), (10.01, 50.22)]],
    )
    assert reserve.is_valid
    assert reserve.symmetric_difference(hand).area < 1e-12
    assert equal_area([reserve]) == pytest.approx(equal_area([hand]), rel=1e-9)
    # the same file through the independent reader
    ref = ref_places(path)
    assert sorted(ref) == sorted(by)


def test_bad_inputs_raise_parcs_errors(tmp_path):
    path = hostile_file(tmp_path)
    with pytest.raises(ValidationError, match="`kinds`"):
        places_from_osm(path, kinds=["swamp"])
    with pytest.raises(ValidationError, match="`kinds`"):
        places_from_osm(path, kinds=[])
    with pytest.raises(ValidationError, match="`source`"):
        places_from_osm(42)
    with pytest.raises(ValidationError, match="extension"):
        places_from_osm(tmp_path / "places.txt")
    with pytest.raises(DataError, match="does not exist"):
        places_from_osm(tmp_path / "missing.osm")
    cut = tmp_path / "cut.osm"
    cut.write_text(path.read_text(encoding="utf-8")[:700], encoding="utf-8")
    with pytest.raises(DataError, match="truncated or malformed"):
        places_from_osm(cut)
    with pytest.raises(ValidationError, match="`clip`"):
        places_from_osm(path, clip=3)


def test_kinds_restrict_and_empty_file(tmp_path):
    path = hostile_file(tmp_path)
    full = places_from_osm(path)
    only = places_from_osm(path, kinds=("station", "terril"))
    assert sorted(only["osm_id"]) == sorted(full.loc[full["kind"].isin(["station", "terril"]), "osm_id"])
    assert list(places_from_osm(path, kinds="town")["kind"].unique()) == ["town"]
    empty = tmp_path / "empty.osm"
    empty.write_text(_xml([(1, 10.0, 50.0, {"amenity": "bench"})]), encoding="utf-8")
    got = places_from_osm(empty)
    assert len(got) == 0
    assert list(got.columns) == [
        "name", "kind", "ref", "alt_name", "population", "osm_type", "osm_id", "geometry"
    ]  # fmt: skip


# ------------------------------------------------------------------------------------------
# clip
# ------------------------------------------------------------------------------------------
@needs_osm_samples
def test_clip_keeps_the_places_inside_cut_to_the_area():
    full = places_from_osm(KREMS)
    west, south, east, north = full.total_bounds
    box = shapely.box(west, south, (west + east) / 2, north)
    got = places_from_osm(KREMS, clip=box)
    inside = full[shapely.intersects(full.geometry.to_numpy(), box)]
    assert 0 < len(got) < len(full)
    assert sorted(got["osm_id"]) == sorted(inside["osm_id"])
    assert shapely.covered_by(got.geometry.to_numpy(), box.buffer(1e-9)).all()
    cut = {i: g for i, g in zip(inside["osm_id"], inside.geometry, strict=True)}
    for osm_id, geom in zip(got["osm_id"], got.geometry, strict=True):
        assert geom.area == pytest.approx(cut[osm_id].intersection(box).area, rel=1e-9, abs=1e-15)
    # the same area as a GeoDataFrame in another CRS
    frame = gpd.GeoDataFrame(geometry=[box], crs=4326).to_crs(32633)
    assert len(places_from_osm(KREMS, clip=frame)) == len(got)


# ------------------------------------------------------------------------------------------
# from a graph; attach_places; lookup and routing by name
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def krems():
    if not KREMS.is_file():
        pytest.skip("real OSM samples not found")
    G = parcs.graph_from_osm(path=KREMS)
    return G


@needs_osm_samples
def test_graph_records_its_file_and_gives_the_same_places(krems):
    assert krems.graph["osm_file"] == str(KREMS.resolve())
    from_graph = places_from_osm(krems)
    from_file = places_from_osm(KREMS).to_crs(krems.graph["crs"])
    assert from_graph.crs == from_file.crs
    assert list(from_graph["osm_id"]) == list(from_file["osm_id"])
    assert shapely.equals_exact(
        from_graph.geometry.to_numpy(), from_file.geometry.to_numpy(), 1e-6
    ).all()
    moved = krems.copy()
    moved.graph["osm_file"] = "/nonexistent/krems.osm.gz"
    with pytest.raises(DataError, match="no longer exists"):
        places_from_osm(moved)


def _bike_weight(u, v, d):
    bike = parcs.PROFILES["bike"]
    return min(e["est_length"] * bike.multiplier(e.get("kind", "connector")) for e in d.values())


@needs_osm_samples
def test_find_place_and_route_by_name_on_an_osm_graph(krems):
    G = krems.copy()
    parcs.attach_places(G, places_from_osm(G))
    table = parcs.places(G)
    named = table[~table["name"].str.fullmatch(r"\w+ (way|relation)/\d+")]
    assert len(named) >= 5
    for row in named.itertuples():
        assert parcs.find_place(G, row.name)["name"] == row.name
    # the access nodes of each place are within 300 m of it (or its single nearest node)
    xy = {n: shapely.Point(d["x"], d["y"]) for n, d in G.nodes(data=True)}
    for row in table.itertuples():
        dists = [row.geometry.distance(xy[n]) for n in row.access_nodes]
        assert max(dists) <= 300.0 + 1e-6 or (len(dists) == 1 and not row.reached)
    H = nx.DiGraph()
    for u, v, d in G.edges(data=True):
        w = _bike_weight(u, v, {0: d})
        if not H.has_edge(u, v) or H[u][v]["weight"] > w:
            H.add_edge(u, v, weight=w)
    names = list(dict.fromkeys(named["name"]))
    pairs = [(a, b) for a in names[:6] for b in names[-6:] if a != b]
    pairs.append(("Aupark", "Krems an der Donau"))
    reachable = 0
    for a, b in pairs:
        src = set(parcs.find_place(G, a)["access_nodes"])
        dst = set(parcs.find_place(G, b)["access_nodes"])
        dist = nx.multi_source_dijkstra_path_length(H, src)
        want = min(dist.get(t, math.inf) for t in dst)
        if math.isinf(want):
            with pytest.raises(NoPathError):
                parcs.route(G, a, b)
            continue
        reachable += 1
        r = parcs.route(G, a, b)
        assert r.cost == pytest.approx(want, rel=1e-9)
        assert r.nodes[0] in src
        assert r.nodes[-1] in dst
    assert reachable >= len(pairs) // 2


@needs_osm_samples
def test_distance_matrix_by_place_names(krems):
    G = krems.copy()
    parcs.attach_places(G, places_from_osm(G))
    names = ["Aupark", "Krems an der Donau", "Neuweidling"]
    dm = parcs.distance_matrix(G, names, names, weight="length")
    H = nx.DiGraph()
    for u, v, d in G.edges(data=True):
        if not H.has_edge(u, v) or H[u][v]["weight"] > d["est_length"]:
            H.add_edge(u, v, weight=d["est_length"])
    for a in names:
        dist = nx.multi_source_dijkstra_path_length(H, set(parcs.find_place(G, a)["access_nodes"]))
        for b in names:
            want = min(dist.get(t, math.inf) for t in parcs.find_place(G, b)["access_nodes"])
            assert dm.loc[a, b] == pytest.approx(want, rel=1e-9)


@needs_osm_samples
def test_alt_name_lookup_on_andorra():
    G = parcs.graph_from_osm(path=ANDORRA)
    parcs.attach_places(G, places_from_osm(ANDORRA))
    assert parcs.find_place(G, "Andorre-la-Vieille")["name"] == "Andorra la Vella"


@needs_osm_samples
def test_attach_in_another_metric_crs(krems):
    """Places attach to a graph in any metric CRS (here UTM 33N, Krems's zone)."""
    from pyproj import Transformer

    G = krems.copy()
    to_utm = Transformer.from_crs(krems.graph["crs"], 32633, always_xy=True)
    for _, d in G.nodes(data=True):
        d["x"], d["y"] = to_utm.transform(d["x"], d["y"])
    for *_, d in G.edges(data=True):
        d.pop("geometry")  # straight lines between the projected nodes
    G.graph["crs"] = "EPSG:32633"
    table = places_from_osm(KREMS)
    parcs.attach_places(G, table)
    got = parcs.places(G)
    assert got.crs.to_epsg() == 32633
    ref = table.to_crs(32633)
    xy = {n: shapely.Point(d["x"], d["y"]) for n, d in G.nodes(data=True)}
    for geom, acc in zip(ref.geometry, got["access_nodes"], strict=True):
        near = sorted(n for n, p in xy.items() if geom.distance(p) <= 300.0)
        if near:
            assert list(acc) == near


# ------------------------------------------------------------------------------------------
# downloaded graph: osmnx features_from_polygon (offline: osmnx reads the sample file instead)
# ------------------------------------------------------------------------------------------
@needs_osm_samples
def test_downloaded_graph_goes_through_osmnx_features(krems, tmp_path, monkeypatch):
    import osmnx as ox

    xml = tmp_path / "krems.osm"
    with gzip.open(KREMS, "rb") as src, xml.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    calls = []

    def fake_features(polygon, tags):
        calls.append((polygon, tags))
        return ox.features_from_xml(xml, tags=tags)

    monkeypatch.setattr(ox, "features_from_polygon", fake_features)
    G = krems.copy()
    del G.graph["osm_file"]
    got = places_from_osm(G)
    assert len(calls) == 1
    polygon, tags = calls[0]
    assert set(tags) >= {"leisure", "landuse", "place", "railway", "tourism"}
    lon, lat = zip(*[(d["lon"], d["lat"]) for _, d in G.nodes(data=True)], strict=True)
    assert shapely.contains_xy(polygon, lon, lat).all()
    want = places_from_osm(KREMS)
    assert got.crs == gpd.GeoSeries([], crs=G.graph["crs"]).crs
    assert sorted(zip(got["osm_type"], got["osm_id"], got["kind"], strict=True)) == sorted(
        zip(want["osm_type"], want["osm_id"], want["kind"], strict=True)
    )
    g = got.set_index(["osm_type", "osm_id"]).sort_index()
    w = want.to_crs(G.graph["crs"]).set_index(["osm_type", "osm_id"]).sort_index()
    assert g.geometry.area.to_numpy() == pytest.approx(w.geometry.area.to_numpy(), rel=1e-6)
    assert list(g["population"]) == list(w["population"])


@pytest.mark.network
def test_download_places_of_a_downloaded_graph():
    G = parcs.graph_from_osm(bbox=(15.60, 48.40, 15.62, 48.41))
    got = places_from_osm(G)
    assert len(got) > 0
    assert set(got["kind"]) <= {"terril", "park", "nature", "forest", "station", "town", "viewpoint"}
