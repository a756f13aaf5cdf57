"""Tests of ``parcs.graph_from_osm`` on REAL OpenStreetMap samples (offline).

Every number the graph gives is compared with an independent count made here with pyosmium's
``SimpleHandler`` (a second reader), a reference classifier written from the rules in
``docs/osm.md``, pyproj and exact shapely buffer intersections (instead of parcs' sampling).
The samples: Krems (Austria), Andorra, a Dutch node network, and French ones: three stretches
of EuroVelo 1 (former railways, cycleways, roads) and a points-nœuds route at Hazebrouck.
"""

from __future__ import annotations

import bz2
import gzip
import itertools
import math
import re
import shutil
from collections import defaultdict
from functools import cache
from pathlib import Path
from xml.etree import ElementTree as ET

import geopandas as gpd
import networkx as nx
import numpy as np
import osmium
import osmnx as ox
import pytest
import requests
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from osmnx import _errors
from pyproj import Geod, Transformer
from shapely.geometry import LineString, MultiLineString
from shapely.ops import transform as shapely_transform

from parcs import _data
from parcs.errors import DataError, DownloadError, EmptyAreaError, ValidationError
from parcs.graph import validate_graph
from parcs.network import osm as osm_module
from parcs.network.osm import KINDS, _fraction_near, classify_tags, graph_from_osm
from tests.samples import OSM_SAMPLES, needs_osm_samples

SAMPLES = OSM_SAMPLES
KREMS = SAMPLES / "krems.osm.gz"
ANDORRA = SAMPLES / "andorra.osm.pbf"
KNOOP = SAMPLES / "knooppuntnet-10887712.xml"
WATER_ONLY = SAMPLES / "knooppuntnet-network-8438300-before.xml"
HAZEBROUCK = "knooppuntnet-9637368-hazebrouck.osm"
EV1 = sorted(p.name for p in SAMPLES.glob("knooppuntnet-ev1-*.osm"))
FRENCH = [*EV1, HAZEBROUCK]
FORMER = ("abandoned", "disused", "dismantled", "razed")

pytestmark = needs_osm_samples

TO_L93 = Transformer.from_crs(4326, 2154, always_xy=True)


@pytest.fixture(autouse=True)
def _lambert93(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reference reader measures in Lambert-93: build every graph of this module in it.

    Without ``$PARCS_CRS`` a graph outside France is built in its UTM zone
    (``test_graph_crs_is_chosen_by_the_data``).
    """
    monkeypatch.setenv("PARCS_CRS", "EPSG:2154")


# ==== reference reader ====


class RefHandler(osmium.SimpleHandler):
    """Second, independent reader: raw ways, waterways, relations, junction nodes."""

    def __init__(self) -> None:
        super().__init__()
        self.ways: dict[int, tuple[dict[str, str], list[tuple[int, float, float]]]] = {}
        self.water: list[list[tuple[float, float]]] = []
        self.relations: dict[int, tuple[dict[str, str], list[int], list[int]]] = {}
        self.rcn_nodes: dict[int, str] = {}

    def node(self, n: osmium.osm.Node) -> None:
        if "rcn_ref" in n.tags:
            self.rcn_nodes[n.id] = n.tags["rcn_ref"]

    def way(self, w: osmium.osm.Way) -> None:
        tags = {t.k: t.v for t in w.tags}
        coords = [(nd.ref, nd.lon, nd.lat) for nd in w.nodes]
        if "highway" in tags:
            self.ways[w.id] = (tags, coords)
        elif tags.get("waterway") in ("canal", "river"):
            self.water.append([(lon, lat) for _, lon, lat in coords])

    def relation(self, r: osmium.osm.Relation) -> None:
        tags = {t.k: t.v for t in r.tags}
        if tags.get("route") in ("bicycle", "hiking", "foot", "mtb"):
            ways = [m.ref for m in r.members if m.type == "w"]
            rels = [m.ref for m in r.members if m.type == "r"]
            self.relations[r.id] = (tags, ways, rels)


def is_former_railway(tags: dict[str, str]) -> bool:
    """A former railway, from the tags alone (docs/osm.md, rule 2)."""
    if tags.get("railway") in FORMER or tags.get("historic") == "railway":
        return True
    lifecycle = {f"{prefix}:railway" for prefix in FORMER}
    return any(key in lifecycle for key in tags)


def ref_kind(tags: dict[str, str]) -> str | None:  # noqa: PLR0911
    """Reference classifier, written from the table in docs/osm.md."""
    hw = tags.get("highway")
    ok = {"yes", "designated", "permissive", "official"}
    usable = {"cycleway", "path", "footway", "bridleway", "steps", "pedestrian", "track"}
    quiet = {"living_street", "residential", "service", "unclassified"}
    if hw not in usable | quiet or tags.get("area") == "yes":
        return None
    b, f = tags.get("bicycle"), tags.get("foot")
    if tags.get("access") in ("private", "no") and b not in ok and f not in ok:
        return None
    if b == "no" and f == "no":
        return None
    if is_former_railway(tags):
        return "cavalier"
    if tags.get("towpath") == "yes":
        return "towpath"
    if hw == "cycleway":
        return "cycleway"
    if hw in ("path", "footway", "track", "bridleway", "pedestrian") and b in (
        "designated",
        "official",
    ):
        return "cycleway"
    if hw == "track":
        return "track"
    if hw in quiet:
        return "connector"
    return "path"


class Ref:
    """Independent km counts for one sample."""

    def __init__(self, path: Path) -> None:
        h = RefHandler()
        # a File object lets pyosmium read the .xml extension as OSM XML
        src = osmium.io.File(str(path), "osm") if path.suffix == ".xml" else str(path)
        h.apply_file(src, locations=True)
        self.h = h
        water = [
            LineString(np.column_stack(TO_L93.transform(*zip(*c, strict=True)))) for c in h.water
        ]
        water_zone = shapely.union_all([w.buffer(25.0) for w in water]) if water else None
        self.water_zone = water_zone
        self.kind: dict[int, str] = {}
        self.line: dict[int, MultiLineString] = {}
        self.segments: dict[int, list[tuple[int, int]]] = {}
        for wid, (tags, coords) in h.ways.items():
            kind = ref_kind(tags)
            if kind is None:
                continue
            xs, ys = TO_L93.transform([c[1] for c in coords], [c[2] for c in coords])
            parts = [
                LineString([(xs[i], ys[i]), (xs[i + 1], ys[i + 1])])
                for i in range(len(coords) - 1)
                if coords[i][0] != coords[i + 1][0]
            ]
            line = MultiLineString(parts)
            if (
                kind in ("cycleway", "path", "track")
                and water_zone is not None
                and line.intersection(water_zone).length > 0.5 * line.length
            ):
                kind = "towpath"
            self.kind[wid] = kind
            self.line[wid] = line
            self.segments[wid] = [
                (coords[i][0], coords[i + 1][0])
                for i in range(len(coords) - 1)
                if coords[i][0] != coords[i + 1][0]
            ]

    def km(self, wids: object = None) -> dict[str, float]:
        out: dict[str, float] = defaultdict(float)
        for wid, kind in self.kind.items():
            if wids is None or wid in wids:
                out[kind] += self.line[wid].length / 1000
        return dict(out)

    def unique_segments(self) -> int:
        return len({(min(a, b), max(a, b)) for s in self.segments.values() for a, b in s})

    def route_ways(self, routes: tuple[str, ...], *, icn_only: bool = False) -> set[int]:
        """Way ids of the relations of the given types, including super-route children."""
        rels = self.h.relations
        out: set[int] = set()
        for rid, (tags, _, _) in rels.items():
            if tags["route"] not in routes or (icn_only and tags.get("network") != "icn"):
                continue
            todo, seen = [rid], {rid}
            while todo:
                _, ways, children = rels[todo.pop()]
                out.update(ways)
                todo += [c for c in children if c in rels and c not in seen]
                seen.update(children)
        return out


@cache
def ref(name: str) -> Ref:
    return Ref(SAMPLES / name)


@cache
def graph(name: str, **kw: object) -> nx.MultiDiGraph:
    return graph_from_osm(path=SAMPLES / name, **kw)


def km_by_kind(G: nx.MultiDiGraph, attr: str = "kind") -> dict[str, float]:
    out: dict[str, float] = defaultdict(float)
    for u, v, d in G.edges(data=True):
        # two-way edges are stored in both directions, a ring (self-loop) once
        out[d[attr]] += d["geometry"].length / (1000 if u == v else 2000)
    return dict(out)


def assert_km_close(got: dict[str, float], want: dict[str, float], rel: float = 1e-6) -> None:
    assert set(got) == set(want), (got, want)
    for k, w in want.items():
        assert got[k] == pytest.approx(w, rel=rel, abs=1e-6), (k, got, want)


# ==== km by kind ====


@pytest.mark.parametrize(
    "name", ["krems.osm.gz", "andorra.osm.pbf", "knooppuntnet-10887712.xml", *FRENCH]
)
@pytest.mark.parametrize("simplify", [True, False])
def test_km_by_kind_matches_independent_count(name: str, *, simplify: bool) -> None:
    G = graph(name, simplify=simplify)
    r = ref(name)
    # the samples have no two ways sharing a segment, so the sums agree to rounding
    assert_km_close(km_by_kind(G), r.km(), rel=1e-6)
    total_ref = sum(r.km().values())
    assert sum(km_by_kind(G).values()) == pytest.approx(total_ref, rel=1e-9)


def test_samples_have_the_expected_kinds() -> None:
    # sanity of the reference itself on the real data: the kinds the samples are known for
    assert {"cycleway", "track", "path", "connector"} <= set(ref("krems.osm.gz").km())
    assert ref("andorra.osm.pbf").km().get("towpath", 0) > 0  # canals in Andorra
    assert "cycleway" not in ref("andorra.osm.pbf").km()
    assert len(EV1) == 3  # the three EuroVelo 1 stretches of PROVENANCE.md


def test_unsimplified_graph_has_one_edge_pair_per_osm_segment() -> None:
    G = graph("krems.osm.gz", simplify=False)
    assert G.number_of_edges() == 2 * ref("krems.osm.gz").unique_segments()


def test_lengths_are_true_metres() -> None:
    # Lambert-93 is conformal: at Krems (48.4 N) its scale error is well under 1 %
    G = graph("krems.osm.gz")
    geod = Geod(ellps="WGS84")
    total_geod = 0.0
    for tags, coords in ref("krems.osm.gz").h.ways.values():
        if ref_kind(tags) is not None:
            total_geod += geod.line_length([c[1] for c in coords], [c[2] for c in coords])
    total = sum(km_by_kind(G).values()) * 1000
    assert total == pytest.approx(total_geod, rel=1e-2)


def test_simplification_keeps_length_and_reduces_nodes() -> None:
    Gs, Gu = graph("krems.osm.gz"), graph("krems.osm.gz", simplify=False)
    assert Gs.number_of_nodes() < Gu.number_of_nodes() / 2
    assert_km_close(km_by_kind(Gs), km_by_kind(Gu), rel=1e-9)
    # every node of the simplified graph is a junction, a dead end or a kind change
    for n in Gs.nodes:
        assert n in Gu.nodes
        assert Gs.nodes[n]["x"] == Gu.nodes[n]["x"]


# ==== graph format ====


@pytest.mark.parametrize("name", ["krems.osm.gz", "knooppuntnet-10887712.xml", *FRENCH])
def test_graph_format_contract(name: str) -> None:
    G = graph(name)
    validate_graph(G)
    assert G.graph["crs"] == "EPSG:2154"
    assert G.graph["source"] == "osm"
    assert G.graph["name"] == name
    to_wgs = Transformer.from_crs(2154, 4326, always_xy=True)
    for n, d in G.nodes(data=True):
        assert isinstance(n, int)
        lon, lat = to_wgs.transform(d["x"], d["y"])
        assert (lon, lat) == pytest.approx((d["lon"], d["lat"]), abs=1e-7)
        assert d["street_count"] == len(list(G.out_edges(n)))
    for u, v, d in G.edges(data=True):
        g = d["geometry"]
        assert g.coords[0] == pytest.approx((G.nodes[u]["x"], G.nodes[u]["y"]))
        assert g.coords[-1] == pytest.approx((G.nodes[v]["x"], G.nodes[v]["y"]))
        assert d["length"] == pytest.approx(g.length)
        assert d["est_length"] == d["length"]
        assert d["built"] is True
        assert d["source"] == "osm"
        assert d["kind"] in KINDS
        assert isinstance(d["eurovelo"], bool)
        for attr in ("routes", "name", "surface"):
            assert isinstance(d[attr], str)
        assert any(G.edges[v, u, k]["geometry"].equals(g.reverse()) for k in G[v][u]), (
            "missing reverse edge"
        )


def test_include_connectors_false_drops_only_quiet_roads() -> None:
    G = graph("krems.osm.gz", include_connectors=False)
    want = {k: v for k, v in ref("krems.osm.gz").km().items() if k != "connector"}
    assert_km_close(km_by_kind(G), want, rel=1e-6)


def test_retain_all_false_keeps_the_largest_component() -> None:
    G_all = graph("andorra.osm.pbf")
    G = graph("andorra.osm.pbf", retain_all=False)
    comps = list(nx.weakly_connected_components(G_all))
    assert len(comps) > 1
    assert set(G.nodes) == max(comps, key=len)
    assert nx.number_weakly_connected_components(G) == 1


# ==== relations, refs ====


def test_rcn_ref_junctions_match_independent_count() -> None:
    G = graph("knooppuntnet-10887712.xml")
    h = ref("knooppuntnet-10887712.xml").h
    assert len(h.rcn_nodes) == 94  # PROVENANCE.md
    got = {n: d["rcn_ref"] for n, d in G.nodes(data=True) if "rcn_ref" in d}
    assert got == h.rcn_nodes
    # unsimplified and simplified graphs keep the same junction nodes
    Gu = graph("knooppuntnet-10887712.xml", simplify=False)
    assert {n for n, d in Gu.nodes(data=True) if "rcn_ref" in d} == set(got)


def test_bicycle_route_km_matches_relation_members() -> None:
    r = ref("krems.osm.gz")
    rels = r.h.relations
    bike = {rid for rid, (t, _, _) in rels.items() if t["route"] == "bicycle"}
    assert len(bike) == 6  # PROVENANCE.md
    labels = {rels[rid][0].get("ref") or rels[rid][0].get("name") for rid in bike}
    G = graph("krems.osm.gz")
    got = 0.0
    for _, _, d in G.edges(data=True):
        if set(d["routes"].split(";")) & labels:
            got += d["length"] / 2000
    want = sum(r.km(r.route_ways(("bicycle",))).values())
    assert want > 10  # the Danube cycle route crosses Krems
    assert got == pytest.approx(want, rel=1e-6)


def test_eurovelo_edges_are_the_icn_members() -> None:
    r = ref("krems.osm.gz")
    G = graph("krems.osm.gz")
    got = sum(d["length"] for *_, d in G.edges(data=True) if d["eurovelo"]) / 2000
    want = sum(r.km(r.route_ways(("bicycle",), icn_only=True)).values())
    assert want > 5
    assert got == pytest.approx(want, rel=1e-6)
    ev6 = [d for *_, d in G.edges(data=True) if "EV6" in d["routes"].split(";")]
    assert ev6
    assert all(d["eurovelo"] for d in ev6)


# ==== official cavaliers ====


def test_official_cavaliers_override_kind_and_keep_osm_kind() -> None:
    r = ref("krems.osm.gz")
    cyc = [r.line[w] for w, k in r.kind.items() if k == "cycleway"]
    # "official" lines: the OSM cycleways shifted 5 m east, given in EPSG:4326
    shifted = gpd.GeoSeries([shapely.affinity.translate(g, xoff=5.0) for g in cyc], crs=2154)
    official = gpd.GeoDataFrame(geometry=shifted.to_crs(4326))
    G = graph_from_osm(path=KREMS, cavaliers=official, cavalier_buffer_m=15.0)
    zone = shapely.union_all(shifted.buffer(15.0).to_numpy())
    for _, _, d in G.edges(data=True):
        if d["osm_kind"] == "cycleway":
            assert d["kind"] == "cavalier"
        if d["kind"] == "cavalier":
            near = d["geometry"].intersection(zone).length
            assert near > 0.45 * d["length"]  # sampling every 5 m vs exact intersection
        else:
            assert d["kind"] == d["osm_kind"]
    assert km_by_kind(G, "osm_kind") == pytest.approx(km_by_kind(graph("krems.osm.gz")))


def test_cavaliers_must_be_geodata_with_crs() -> None:
    with pytest.raises(ValidationError, match="`cavaliers` must be a GeoDataFrame"):
        graph_from_osm(path=KREMS, cavaliers=[LineString([(0, 0), (1, 1)])])
    no_crs = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (1, 1)])])
    with pytest.raises(ValidationError, match="`cavaliers` has no CRS"):
        graph_from_osm(path=KREMS, cavaliers=no_crs)
    with pytest.raises(ValidationError, match="`cavalier_buffer_m` must be a positive"):
        graph_from_osm(path=KREMS, cavalier_buffer_m=-1.0)


def test_embedded_cavaliers_are_accepted() -> None:
    cav = gpd.read_file(_data.get_path("cavaliers"))
    G = graph_from_osm(path=KREMS, cavaliers=cav)  # Austria: nothing near the Artois lines
    assert "cavalier" not in km_by_kind(G)


# ==== errors ====


def test_missing_file_is_a_data_error(tmp_path: Path) -> None:
    p = tmp_path / "nope.osm.pbf"
    with pytest.raises(DataError, match=r"does not exist.*") as exc:
        graph_from_osm(path=p)
    assert str(p) in str(exc.value)


# HAND-MADE file: three nodes, one cycleway way; node 2 gets the coordinate under test
_BAD_NODE = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="parcs test">
  <node id="1" lat="50.0" lon="2.0"/>
  <node id="2" lat="{lat}" lon="{lon}"/>
  <node id="3" lat="50.002" lon="2.002"/>
  <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="cycleway"/></way>
</osm>
"""


@pytest.mark.parametrize(
    ("lat", "lon", "match", "suffix"),
    [
        ("999", "2.001", "unreadable coordinate", ".osm"),  # the XML parser refuses it
        *(
            (lat, lon, rf"impossible location, e.g. node 2 at lon {shown}", suffix)
            for lat, lon, shown in (
                ("95.5", "2.001", "2.001, lat 95.5"),
                ("50.001", "-190.0", "-190, lat 50.001"),
            )
            for suffix in (".osm", ".osm.pbf")  # a PBF stores any integer coordinate
        ),
    ],
)
def test_impossible_coordinates_are_one_data_error(
    tmp_path: Path, lat: str, lon: str, match: str, suffix: str
) -> None:
    xml = tmp_path / "bad.osm"
    xml.write_text(_BAD_NODE.format(lat=lat, lon=lon), encoding="utf-8")
    p = xml
    if suffix == ".osm.pbf":
        p = tmp_path / "bad.osm.pbf"
        with osmium.SimpleWriter(str(p)) as w:
            for obj in osmium.FileProcessor(str(xml)):
                w.add(obj)
    with pytest.raises(DataError, match=match) as exc:
        graph_from_osm(path=p)
    assert str(p) in str(exc.value)


def test_good_coordinates_of_the_same_file_build() -> None:
    """Control for the test above: the same hand-made file with a valid node 2 builds."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "good.osm"
        p.write_text(_BAD_NODE.format(lat="50.001", lon="2.001"), encoding="utf-8")
        G = graph_from_osm(path=p, simplify=False)
    assert sorted(G.nodes) == [1, 2, 3]


@pytest.mark.parametrize("suffix", [".osm", ".osm.gz", ".osm.bz2", ".osm.pbf"])
def test_truncated_file_is_a_data_error(tmp_path: Path, suffix: str) -> None:
    if suffix == ".osm.pbf":
        data = ANDORRA.read_bytes()
    else:
        xml = gzip.decompress(KREMS.read_bytes())
        data = {".osm": xml, ".osm.gz": gzip.compress(xml), ".osm.bz2": bz2.compress(xml)}[suffix]
    p = tmp_path / f"half{suffix}"
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="truncated or malformed") as exc:
        graph_from_osm(path=p)
    assert "re-download" in str(exc.value)
    assert str(p) in str(exc.value)


def test_other_compressions_read_the_same_graph(tmp_path: Path) -> None:
    xml = gzip.decompress(KREMS.read_bytes())
    (tmp_path / "k.osm").write_bytes(xml)
    (tmp_path / "k.osm.bz2").write_bytes(bz2.compress(xml))
    want = km_by_kind(graph("krems.osm.gz"))
    for name in ("k.osm", "k.osm.bz2"):
        assert km_by_kind(graph_from_osm(path=tmp_path / name)) == pytest.approx(want)


def test_clipped_extract_splits_ways_at_missing_nodes(tmp_path: Path) -> None:
    """Ways referencing nodes absent from the file (clipped extracts) keep their other pieces."""
    tree = ET.parse(KNOOP)
    root = tree.getroot()
    nodes = root.findall("node")
    dropped = {int(n.get("id")) for n in nodes[::7]}
    for n in nodes[::7]:
        root.remove(n)
    p = tmp_path / "clipped.osm"
    tree.write(p, encoding="utf-8", xml_declaration=True)
    # reference: segments of usable ways whose two nodes are both still in the file
    r = ref("knooppuntnet-10887712.xml")
    want: dict[str, float] = defaultdict(float)
    for wid, kind in r.kind.items():
        coords = r.h.ways[wid][1]
        for (a, lon1, lat1), (b, lon2, lat2) in itertools.pairwise(coords):
            if a != b and a not in dropped and b not in dropped:
                xs, ys = TO_L93.transform([lon1, lon2], [lat1, lat2])
                want[kind] += math.dist((xs[0], ys[0]), (xs[1], ys[1])) / 1000
    G = graph_from_osm(path=p)
    assert_km_close(km_by_kind(G), dict(want), rel=1e-6)
    assert not dropped & set(G.nodes)


def test_unsupported_extension_is_a_validation_error(tmp_path: Path) -> None:
    p = tmp_path / "krems.geojson"
    shutil.copy(KREMS, p)
    with pytest.raises(ValidationError, match=r"`path` .*krems\.geojson.* unsupported extension"):
        graph_from_osm(path=p)


def test_file_without_usable_way_is_an_empty_area_error() -> None:
    # a real paddling node network: waterways only, no highway
    with pytest.raises(EmptyAreaError, match="no usable greenway"):
        graph_from_osm(path=WATER_ONLY)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"query": "Lens, France", "path": KREMS},
        {"bbox": (2.7, 50.4, 2.8, 50.5), "polygon": shapely.box(2.7, 50.4, 2.8, 50.5)},
    ],
)
def test_exactly_one_source(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValidationError, match="give exactly one of `query`, `polygon`, `bbox`"):
        graph_from_osm(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"bbox": (2.8, 50.4, 2.7, 50.5)}, "`bbox` must be"),
        ({"bbox": (2.7, 50.4, 2.8)}, "`bbox` must be 4 numbers"),
        ({"bbox": "2.7,50.4,2.8,50.5"}, "`bbox` must be 4 numbers"),
        ({"polygon": LineString([(0, 0), (1, 1)])}, "`polygon` must be a non-empty"),
        ({"polygon": shapely.box(690_000, 7_030_000, 700_000, 7_040_000)}, "EPSG:4326"),
        ({"query": "  "}, "`query` must be a non-empty"),
        ({"path": 12}, "`path` must be a file path"),
    ],
)
def test_bad_area_arguments(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        graph_from_osm(**kwargs)  # type: ignore[arg-type]


# ==== downloads (offline) ====


@pytest.fixture
def krems_xml(tmp_path: Path) -> Path:
    p = tmp_path / "krems.osm"
    p.write_bytes(gzip.decompress(KREMS.read_bytes()))
    return p


def test_download_path_matches_file_path(monkeypatch: pytest.MonkeyPatch, krems_xml: Path) -> None:
    """The osmnx branch, fed with osmnx's own reader of the same file, builds the same kinds."""
    calls: dict[str, object] = {}

    def fake_graph(_polygon: object, **kw: object) -> nx.MultiDiGraph:
        calls.update(kw)
        return ox.graph_from_xml(krems_xml, simplify=False, retain_all=True)

    def fake_features(_polygon: object, tags: dict[str, object]) -> gpd.GeoDataFrame:
        return ox.features_from_xml(krems_xml, tags=tags)

    monkeypatch.setattr(ox, "graph_from_polygon", fake_graph)
    monkeypatch.setattr(ox, "features_from_polygon", fake_features)
    G = graph_from_osm(bbox=(15.553, 48.369, 15.858, 48.446))
    assert calls["simplify"] is False
    assert "cycleway" in str(calls["custom_filter"])
    assert G.graph["has_routes"] is False
    assert all(d["routes"] == "" and d["eurovelo"] is False for *_, d in G.edges(data=True))
    assert_km_close(km_by_kind(G), ref("krems.osm.gz").km(), rel=1e-6)
    # osmnx settings are restored afterwards
    assert "towpath" not in ox.settings.useful_tags_way


def test_download_errors_are_wrapped(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_args: object, **_kw: object) -> None:
        msg = "no route to host"
        raise requests.ConnectionError(msg)

    monkeypatch.setattr(ox, "graph_from_polygon", boom)
    with pytest.raises(DownloadError, match=r"downloading the path network .* failed") as exc:
        graph_from_osm(bbox=(2.7, 50.4, 2.8, 50.5))
    assert isinstance(exc.value.__cause__, requests.ConnectionError)

    def empty(*_args: object, **_kw: object) -> None:
        msg = "No data elements in server response"
        raise _errors.InsufficientResponseError(msg)

    monkeypatch.setattr(ox, "graph_from_polygon", empty)
    with pytest.raises(EmptyAreaError, match="no usable OSM way"):
        graph_from_osm(polygon=shapely.box(2.7, 50.4, 2.8, 50.5))

    def no_nodes(*_args: object, **_kw: object) -> None:
        msg = "Found no graph nodes within the requested polygon."
        raise ValueError(msg)

    monkeypatch.setattr(ox, "graph_from_polygon", no_nodes)
    with pytest.raises(EmptyAreaError, match="no usable OSM way"):
        graph_from_osm(bbox=(2.7, 50.4, 2.8, 50.5))

    def interrupted(*_args: object, **_kw: object) -> None:
        msg = "Interrupted because `settings.cache_only_mode=True`."
        raise _errors.CacheOnlyInterruptError(msg)

    monkeypatch.setattr(ox, "graph_from_polygon", interrupted)
    with pytest.raises(_errors.CacheOnlyInterruptError):
        graph_from_osm(bbox=(2.7, 50.4, 2.8, 50.5))

    def http_error(*_args: object, **_kw: object) -> None:
        msg = "ResponseStatusCodeError 429 Too Many Requests"
        raise _errors.ResponseStatusCodeError(msg)

    monkeypatch.setattr(ox, "graph_from_polygon", http_error)
    with pytest.raises(DownloadError, match="429") as exc:
        graph_from_osm(bbox=(2.7, 50.4, 2.8, 50.5))
    assert isinstance(exc.value.__cause__, _errors.ResponseStatusCodeError)

    monkeypatch.setattr(ox, "geocode_to_gdf", empty)
    with pytest.raises(ValidationError, match="`query` 'Nowhereville' matched no area"):
        graph_from_osm("Nowhereville")


@pytest.mark.network
def test_small_download_loos_en_gohelle() -> None:
    G = graph_from_osm(bbox=(2.77, 50.45, 2.80, 50.47))
    assert G.number_of_edges() > 0
    assert G.graph["crs"] == "EPSG:2154"


# ==== properties ====

_HIGHWAYS = [
    "cycleway",
    "path",
    "footway",
    "track",
    "residential",
    "service",
    "primary",
    "motorway",
    "steps",
    "tertiary",
    "living_street",
    "unclassified",
    "bridleway",
]
tag_dicts = st.fixed_dictionaries(
    {"highway": st.sampled_from(_HIGHWAYS)},
    optional={
        "bicycle": st.sampled_from(["yes", "no", "designated", "official", "dismount"]),
        "foot": st.sampled_from(["yes", "no", "designated"]),
        "access": st.sampled_from(["yes", "no", "private", "permissive", "destination"]),
        "railway": st.sampled_from([*FORMER, "rail", "crossing"]),
        "historic": st.sampled_from(["railway", "castle"]),
        "abandoned:railway": st.sampled_from(["rail", "tram"]),
        "razed:railway": st.just("rail"),
        "dismantled:railway": st.just("rail"),
        "disused:railway": st.just("rail"),
        "abandoned:highway": st.just("primary"),
        "towpath": st.sampled_from(["yes", "no"]),
        "area": st.sampled_from(["yes", "no"]),
        "surface": st.sampled_from(["asphalt", "gravel"]),
    },
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(tag_dicts)
def test_classification_matches_reference(tags: dict[str, str]) -> None:
    assert classify_tags(tags) == ref_kind(tags)


@settings(deadline=None, derandomize=True)
@given(tag_dicts)
def test_precedence_properties(tags: dict[str, str]) -> None:
    kind = classify_tags(tags)
    if kind is None:
        return
    assert classify_tags({**tags, "historic": "railway"}) == "cavalier"
    if kind != "cavalier":
        assert classify_tags({**tags, "towpath": "yes"}) == "towpath"
    assert classify_tags({**tags, "area": "yes"}) is None
    closed = {k: v for k, v in tags.items() if k not in ("bicycle", "foot")}
    assert classify_tags({**closed, "access": "private"}) is None


coords = st.floats(min_value=-500, max_value=500, allow_nan=False)


@settings(deadline=None, derandomize=True)
@given(
    st.lists(st.tuples(coords, coords), min_size=2, max_size=6, unique=True),
    st.lists(st.tuples(coords, coords), min_size=2, max_size=6, unique=True),
)
def test_fraction_near_matches_exact_buffer(line_pts: list, target_pts: list) -> None:
    line, target = LineString(line_pts), LineString(target_pts)
    if line.length < 1:
        return
    near, length = _fraction_near(np.array([line], dtype=object), np.array([target]), 25.0)
    assert length[0] == pytest.approx(line.length)
    # exact reference, segment by segment (so that a line doubling back is counted twice)
    zone = target.buffer(25.0, quad_segs=64)
    pieces = [LineString(p) for p in itertools.pairwise(line.coords)]
    exact = sum(p.intersection(zone).length for p in pieces)
    crossings = sum(len(shapely.get_parts(p.intersection(zone.boundary))) for p in pieces)
    # midpoint sampling every <= 5 m: only a piece holding a boundary crossing can be wrong
    assert abs(near[0] - exact) <= 5.0 * crossings + 1e-3 * line.length + 1e-6
    assert math.isfinite(near[0])


@pytest.mark.parametrize("name", ["krems.osm.gz", "knooppuntnet-10887712.xml"])
def test_simplification_matches_osmnx(name: str) -> None:
    """parcs' chain simplification gives the same topology as osmnx.simplify_graph."""
    Gu = graph(name, simplify=False)
    Gs = graph(name)
    Gox = ox.simplification.simplify_graph(
        Gu,
        node_attrs_include=["rcn_ref", "rwn_ref", "rhn_ref", "rmn_ref", "rpn_ref", "rin_ref"],
        edge_attrs_differ=["kind", "routes", "eurovelo"],
        remove_rings=False,
    )
    # osmnx leaves an isolated ring unsimplified; parcs makes it one self-loop at its min node
    rings = [
        c
        for c in nx.weakly_connected_components(Gu)
        if all(len(set(Gu.successors(n))) == 2 for n in c)
    ]
    ring_nodes = set().union(*rings) if rings else set()
    assert set(Gs.nodes) - ring_nodes == set(Gox.nodes) - ring_nodes
    assert {min(r) for r in rings} <= set(Gs.nodes)
    ring_edges = sum(1 for u, v in Gox.edges() if u in ring_nodes)
    # osmnx stores a self-loop once per direction, parcs once (graph contract)
    loops_ox = sum(1 for u, v in Gox.edges() if u == v and u not in ring_nodes)
    assert loops_ox % 2 == 0
    expected = Gox.number_of_edges() - ring_edges - loops_ox // 2 + len(rings)
    assert Gs.number_of_edges() == expected
    km_ox = defaultdict(float)
    for _, _, d in Gox.edges(data=True):
        km_ox[d["kind"]] += d["length"] / 2000
    assert_km_close(km_by_kind(Gs), dict(km_ox), rel=1e-9)


# ==== French samples: EuroVelo 1, former railways, points-nœuds ====


def edge_osmids(d: dict) -> list[int]:
    return d["osmid"] if isinstance(d["osmid"], list) else [d["osmid"]]


def eurovelo_ways(r: Ref) -> set[int]:
    """Member ways of EuroVelo relations (network=icn, or ref/name EV<n> / EuroVelo)."""
    rels = r.h.relations
    ev = {
        rid
        for rid, (tags, _, _) in rels.items()
        if tags.get("network") == "icn"
        or re.fullmatch(r"EV\d+", tags.get("ref", ""))
        or "eurovelo" in tags.get("name", "").lower()
    }
    out: set[int] = set()
    for rid in ev:
        todo, seen = [rid], {rid}
        while todo:
            _, ways, children = rels[todo.pop()]
            out.update(ways)
            todo += [c for c in children if c in rels and c not in seen]
            seen.update(children)
    return out


@pytest.mark.parametrize("name", FRENCH)
def test_eurovelo_flag_matches_route_members(name: str) -> None:
    r = ref(name)
    G = graph(name)
    members = eurovelo_ways(r) & set(r.kind)  # usable member ways
    flagged = {w for *_, d in G.edges(data=True) if d["eurovelo"] for w in edge_osmids(d)}
    unflagged = {w for *_, d in G.edges(data=True) if not d["eurovelo"] for w in edge_osmids(d)}
    assert flagged == members
    assert not unflagged & members
    if name == HAZEBROUCK:
        assert not members  # a regional points-nœuds route (network=rcn), not EuroVelo
    else:
        assert sum(r.km(members).values()) > 10  # 16 to 47 km stretches of EV1
        assert all("EV1" in d["routes"].split(";") for *_, d in G.edges(data=True) if d["eurovelo"])


@pytest.mark.parametrize("name", FRENCH)
def test_former_railways_are_cavaliers(name: str) -> None:
    r = ref(name)
    G = graph(name)
    rail = {w for w, (tags, _) in r.h.ways.items() if is_former_railway(tags)}
    usable = rail & set(r.kind)  # the others are roads excluded by rule 1 (tertiary)
    cav = {w for *_, d in G.edges(data=True) if d["kind"] == "cavalier" for w in edge_osmids(d)}
    assert cav == usable
    in_graph = {w for *_, d in G.edges(data=True) for w in edge_osmids(d)}
    assert not (rail - usable) & in_graph
    assert all(r.h.ways[w][0]["highway"] == "tertiary" for w in rail - usable)
    if name == "knooppuntnet-ev1-16842517.osm":
        assert len(rail) == 8  # PROVENANCE.md: railway=abandoned on 8 ways
        assert len(usable) == 3  # the three former railways that are cycleways
    if name in {"knooppuntnet-ev1-16827727.osm", "knooppuntnet-ev1-16842517.osm"}:
        assert sum(r.km(usable).values()) > 0  # former railways that are paths or cycleways


def test_hazebrouck_points_noeuds_route() -> None:
    r = ref(HAZEBROUCK)
    G = graph(HAZEBROUCK)
    (rid,) = r.h.relations
    tags, members, _ = r.h.relations[rid]
    assert (tags["network"], tags["ref"]) == ("rcn", "17-19")
    on_route = sum(d["length"] for *_, d in G.edges(data=True) if "17-19" in d["routes"]) / 2000
    assert on_route == pytest.approx(sum(r.km(set(members)).values()), rel=1e-6)
    # secondary and tertiary roads are members but not greenways: excluded (rule 1)
    busy = {w for w in members if r.h.ways[w][0]["highway"] in ("secondary", "tertiary")}
    assert busy
    assert not busy & {w for *_, d in G.edges(data=True) for w in edge_osmids(d)}


# ==== clip ====


def central_box(name: str, fraction: float = 1 / 3) -> shapely.Polygon:
    """The central part of a sample's extent, in lon/lat (from the reference reader)."""
    pts = np.array([(lon, lat) for _, c in ref(name).h.ways.values() for _, lon, lat in c])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    mid, half = (lo + hi) / 2, (hi - lo) * fraction / 2
    return shapely.box(*(mid - half), *(mid + half))


def clipped_ref_km(name: str, area_l93: shapely.Polygon) -> tuple[dict[str, float], int]:
    """Km by kind of the segments with an end in the area, and the ways holding one.

    The kinds (towpath test included) are decided on the segments kept, as parcs documents.
    """
    r = ref(name)
    out: dict[str, float] = defaultdict(float)
    n_ways = 0
    for tags, coords in r.h.ways.values():
        xs, ys = TO_L93.transform([c[1] for c in coords], [c[2] for c in coords])
        inside = [area_l93.covers(shapely.Point(x, y)) for x, y in zip(xs, ys, strict=True)]
        parts = [
            LineString([(xs[i], ys[i]), (xs[i + 1], ys[i + 1])])
            for i in range(len(coords) - 1)
            if coords[i][0] != coords[i + 1][0] and (inside[i] or inside[i + 1])
        ]
        n_ways += bool(parts)
        kind = ref_kind(tags)
        if kind is None or not parts:
            continue
        line = MultiLineString(parts)
        zone = r.water_zone
        near = zone is not None and line.intersection(zone).length > 0.5 * line.length
        if kind in ("cycleway", "path", "track") and near:
            kind = "towpath"
        out[kind] += line.length / 1000
    return dict(out), n_ways


@pytest.mark.parametrize("name", ["krems.osm.gz", "andorra.osm.pbf"])
def test_clip_keeps_segments_with_an_end_inside(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    box = central_box(name)
    area = shapely_transform(TO_L93.transform, box)
    want, n_ways = clipped_ref_km(name, area)
    calls = []

    def counting(tags: dict[str, str]) -> str | None:
        calls.append(1)
        return classify_tags(tags)

    monkeypatch.setattr(osm_module, "classify_tags", counting)
    G = graph_from_osm(path=SAMPLES / name, clip=box)
    # the clip runs before classification: only the ways reaching the area are classified
    assert len(calls) == n_ways < len(ref(name).h.ways) / 2
    assert_km_close(km_by_kind(G), want, rel=1e-6)
    validate_graph(G)
    # every edge has a node in the area or leaves it by one segment at most
    for *_, d in G.edges(data=True):
        assert d["geometry"].intersects(area)
    # the same area as a GeoDataFrame in another CRS gives the same graph
    frame = gpd.GeoDataFrame(geometry=[box], crs=4326).to_crs(32633)
    assert km_by_kind(graph_from_osm(path=SAMPLES / name, clip=frame)) == pytest.approx(
        km_by_kind(G)
    )


def test_clip_outside_the_file_is_an_empty_area() -> None:
    # Hazebrouck lies ~8 km north of the Pôle Métropolitain de l'Artois
    with pytest.raises(EmptyAreaError, match="inside `clip`"):
        graph_from_osm(path=SAMPLES / HAZEBROUCK, clip="pma")


def test_download_fetches_the_clip_area(monkeypatch: pytest.MonkeyPatch, krems_xml: Path) -> None:
    asked: list[object] = []

    def fake_graph(polygon: object, **_kw: object) -> nx.MultiDiGraph:
        asked.append(polygon)
        return ox.graph_from_xml(krems_xml, simplify=False, retain_all=True)

    def fake_features(_polygon: object, tags: dict[str, object]) -> gpd.GeoDataFrame:
        return ox.features_from_xml(krems_xml, tags=tags)

    monkeypatch.setattr(ox, "graph_from_polygon", fake_graph)
    monkeypatch.setattr(ox, "features_from_polygon", fake_features)
    box = central_box("krems.osm.gz")
    bbox = (15.553, 48.369, 15.858, 48.446)
    west = shapely.box(bbox[0], bbox[1], box.centroid.x, bbox[3])
    G = graph_from_osm(bbox=bbox, clip=box)
    assert asked[-1].equals(box.intersection(shapely.box(*bbox)))
    assert_km_close(km_by_kind(G), km_by_kind(graph_from_osm(path=KREMS, clip=box)), rel=1e-9)
    graph_from_osm(clip=gpd.GeoDataFrame(geometry=[box], crs=4326))  # only `clip`: its area
    assert asked[-1].symmetric_difference(box).area < 1e-12 * box.area
    graph_from_osm(polygon=west, clip=box)
    assert asked[-1].area == pytest.approx(west.intersection(box).area, rel=1e-9)
    with pytest.raises(EmptyAreaError, match="`clip` does not overlap"):
        graph_from_osm(bbox=(2.7, 50.4, 2.8, 50.5), clip=box)


def test_graph_crs_is_chosen_by_the_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without $PARCS_CRS: Lambert-93 for data in France, the UTM zone elsewhere."""
    monkeypatch.delenv("PARCS_CRS")
    krems = graph_from_osm(path=KREMS)
    assert krems.graph["crs"] == "EPSG:32633"  # 15.6 E: UTM zone 33 north
    hazebrouck = graph_from_osm(path=OSM_SAMPLES / "knooppuntnet-9637368-hazebrouck.osm")
    assert hazebrouck.graph["crs"] == "EPSG:2154"
    geod = Geod(ellps="WGS84")
    total_geod = sum(
        geod.line_length([c[1] for c in coords], [c[2] for c in coords])
        for tags, coords in ref("krems.osm.gz").h.ways.values()
        if ref_kind(tags) is not None
    )
    assert sum(km_by_kind(krems).values()) * 1000 == pytest.approx(total_geod, rel=4e-4)


def test_graph_crs_follows_parcs_crs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARCS_CRS", "EPSG:32633")  # UTM 33N: Krems is at 15.6 E
    G = graph_from_osm(path=KREMS)
    validate_graph(G)
    assert G.graph["crs"] == "EPSG:32633"
    to_utm = Transformer.from_crs(4326, 32633, always_xy=True)
    _, d = next(iter(G.nodes(data=True)))
    assert (d["x"], d["y"]) == pytest.approx(to_utm.transform(d["lon"], d["lat"]))
    geod = Geod(ellps="WGS84")
    total_geod = sum(
        geod.line_length([c[1] for c in coords], [c[2] for c in coords])
        for tags, coords in ref("krems.osm.gz").h.ways.values()
        if ref_kind(tags) is not None
    )
    # UTM scale error at 0.6 degrees from the central meridian: below 0.04 %
    assert sum(km_by_kind(G).values()) * 1000 == pytest.approx(total_geod, rel=4e-4)
