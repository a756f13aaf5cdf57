"""Tests of parcs.evaluate_links: a planner's proposed links, noded into the graph and measured.

The hand-made graph is HAND-MADE (not geodata); the Krems test uses REAL OSM ways of the
sample (read with pyosmium) as the proposed layer. Benefits, build order and indicators are
checked against the independent networkx/shapely reference of ``tests/links/reference.py``
on the noded graph, with the places' entries decided on today's network (as documented).
"""

from __future__ import annotations

import itertools
import math

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely

import parcs
from parcs.errors import DataError, EmptyAreaError, SnapError, ValidationError
from parcs.graph import validate_graph
from tests.links import reference as ref
from tests.samples import OSM_SAMPLES, needs_osm_samples

KINDS_AFTER = ref.DEFAULT_KINDS | {"proposed"}


def build_graph(coords, edges):
    G = nx.MultiDiGraph(crs="EPSG:2154", max_gap_m=300.0, detour_factor=1.3)
    for n, (x, y) in coords.items():
        G.add_node(n, x=float(x), y=float(y))
    for u, v, kind in edges:
        line = shapely.LineString([coords[u], coords[v]])
        attrs = {
            "length": line.length,
            "est_length": line.length,
            "kind": kind,
            "built": True,
            "name": f"{kind} {u}-{v}",
        }
        G.add_edge(u, v, 0, geometry=line, **attrs)
        G.add_edge(v, u, 0, geometry=shapely.LineString(line.coords[::-1]), **attrs)
    return G


@pytest.fixture
def hand():
    """HAND-MADE: cycleways 0-1 and 2-3 with a 400 m gap, a road 1-4-2 south of it."""
    coords = {0: (0, 0), 1: (1000, 0), 2: (1400, 0), 3: (2400, 0), 4: (1200, -600)}
    G = build_graph(
        coords, [(0, 1, "cycleway"), (2, 3, "cycleway"), (1, 4, "connector"), (4, 2, "connector")]
    )
    places = gpd.GeoDataFrame(
        {"name": ["Parc du Nord", "Ville"], "kind": ["park", "town"], "population": [0, 2000]},
        geometry=[shapely.box(-50, -50, 50, 50), shapely.Point(2400, 0)],
        crs="EPSG:2154",
    )
    parcs.attach_places(G, places, access_m=60)
    lines = [
        shapely.LineString([(1000, 0), (1400, 0)]),  # the footbridge: exactly node to node
        # ends 30 m south of the cycleways; crosses the road 1-4 on its way
        shapely.LineString([(500, -30), (1200, -300), (1900, -30)]),
    ]
    prop = gpd.GeoDataFrame({"nom": ["Passerelle", "Boucle sud"]}, geometry=lines, crs="EPSG:2154")
    return G, prop.to_crs(4326)  # any CRS: lon/lat here


def fixed_entries(G):
    places = parcs.places(G)
    on = {x for u, v, _ in ref.layer_edges(G) for x in (u, v)}
    return places, ref.entries(G, places, on)


def only(H, keep):
    """A copy of the noded graph with the proposed edges of the features `keep` only."""
    K = H.copy()
    K.remove_edges_from(
        [
            (u, v, k)
            for u, v, k, d in H.edges(keys=True, data=True)
            if d.get("kind") == "proposed" and d["proposed"] not in keep
        ]
    )
    return K


def check_against_reference(G, ev):
    H = ev.graph
    places, fixed = fixed_entries(G)
    n = len(ev.links)

    def obj(keep):
        return ref.objective(only(H, keep), places, kinds=KINDS_AFTER, fixed=fixed)[0]

    everything = set(range(n))
    base = ref.objective(G, places)[0]
    assert ev.objective_before == pytest.approx(base, rel=1e-9)
    assert ev.objective_after == pytest.approx(obj(everything), rel=1e-9)
    by_feature = ev.links.set_index("feature")
    for f in range(n):
        assert by_feature.loc[f, "benefit_alone"] == pytest.approx(
            base - obj({f}), rel=1e-9, abs=1e-9
        )
        assert by_feature.loc[f, "benefit_last"] == pytest.approx(
            obj(everything - {f}) - obj(everything), rel=1e-9, abs=1e-9
        )
    # the build order is the greedy one on the reference objective (ties: lower feature)
    built, current = [], base
    for step in range(1, n + 1):
        gains = {f: current - obj(set(built) | {f}) for f in sorted(everything - set(built))}
        best = max(gains.values())
        f = min(g for g, v in gains.items() if v >= best - 1e-9 * max(1.0, abs(best)))
        assert int(by_feature.loc[f, "order"]) == step
        assert by_feature.loc[f, "benefit_in_order"] == pytest.approx(gains[f], rel=1e-9, abs=1e-9)
        built.append(f)
        current -= gains[f]
    want_after = ref.metrics(H, places, kinds=KINDS_AFTER, fixed=fixed)
    want_before = ref.metrics(G, places)
    for key, value in want_before.items():
        for got, want in ((ev.before, want_before), (ev.after, want_after)):
            w = want[key]
            g = getattr(got, key)
            assert (
                math.isnan(g)
                if isinstance(w, float) and math.isnan(w)
                else g == pytest.approx(w, rel=1e-9, abs=1e-12)
            ), key
    del value


def test_hand_made_scheme_is_noded_and_measured(hand):
    G, prop = hand
    ev = parcs.evaluate_links(G, prop)
    H = ev.graph
    validate_graph(H)

    # the existing edges are split, not changed: same total length, same kinds
    def km(graph, kinds):
        return sum(
            d["length"] for u, v, d in graph.edges(data=True) if u <= v and d["kind"] in kinds
        )

    assert km(H, {"cycleway", "connector"}) == pytest.approx(
        km(G, {"cycleway", "connector"}), rel=1e-12
    )
    # the loop's ends snapped to (500, 0) and (1900, 0): new nodes splitting the cycleways
    at = {(round(d["x"], 6), round(d["y"], 6)): n for n, d in H.nodes(data=True)}
    mid_a, mid_b = at[(500.0, 0.0)], at[(1900.0, 0.0)]
    assert sorted(
        d["length"] for _, _, d in H.edges(mid_a, data=True) if d["kind"] == "cycleway"
    ) == pytest.approx([500, 500])
    assert {d["kind"] for _, _, d in H.edges(mid_b, data=True)} == {"cycleway", "proposed"}
    # where it crosses the road 1-4, both are split: a 4-way junction
    cross = shapely.LineString([(500, -30), (1200, -300)]).intersection(
        shapely.LineString([(1000, 0), (1200, -600)])
    )
    node = min(
        H.nodes, key=lambda n: math.dist((H.nodes[n]["x"], H.nodes[n]["y"]), (cross.x, cross.y))
    )
    assert math.dist((H.nodes[node]["x"], H.nodes[node]["y"]), (cross.x, cross.y)) < 1e-6
    assert sorted(d["kind"] for _, _, d in H.edges(node, data=True)) == [
        "connector",
        "connector",
        "proposed",
        "proposed",
    ]
    road = [d["length"] for _, _, d in H.edges(node, data=True) if d["kind"] == "connector"]
    assert sum(road) == pytest.approx(math.dist((1000, 0), (1200, -600)))
    links = ev.links.set_index("feature")
    assert links.loc[0, "length_m"] == pytest.approx(400.0)
    assert links.loc[1, "length_m"] == pytest.approx(60 + 2 * math.dist((500, -30), (1200, -300)))
    assert list(links["name"]) == ["Passerelle", "Boucle sud"]
    # no place within 500 m of the footbridge's ends: named by the nearest ones
    assert (links.loc[0, "from_place"], links.loc[0, "to_place"]) == (
        "950 m from Parc du Nord",
        "1.0 km from Ville",
    )
    assert links.loc[0, "commune"] == "Ville"
    # alone, the footbridge (shorter) saves more; built last, each still saves something
    assert links.loc[0, "benefit_alone"] > links.loc[1, "benefit_alone"] > 0
    assert (links["benefit_last"] >= 0).all()
    assert int(links.loc[0, "order"]) == 1
    assert ev.after.n_components == 1 and ev.before.n_components == 2
    check_against_reference(G, ev)
    assert set(ev.table.columns) == {"before", "after", "change"}


def test_file_formats_and_any_crs(hand, tmp_path):
    G, prop = hand
    want = parcs.evaluate_links(G, prop).links["benefit_alone"].tolist()
    for name, crs in (("p.gpkg", 4326), ("p.geojson", 4326), ("p.shp", 3857)):
        path = tmp_path / name
        prop.to_crs(crs).to_file(path)
        got = parcs.evaluate_links(G, path).links
        assert got["benefit_alone"].tolist() == pytest.approx(want, rel=1e-9)
        assert got["name"].tolist() == ["Passerelle", "Boucle sud"]


def test_bad_layers_name_the_feature(hand, tmp_path):
    G, prop = hand
    with pytest.raises(ValidationError, match="no CRS"):
        parcs.evaluate_links(G, prop.set_crs(None, allow_override=True))
    with pytest.raises(EmptyAreaError, match="no feature"):
        parcs.evaluate_links(G, prop.iloc[:0])
    far = prop.to_crs(2154)
    far.loc[len(far)] = ["Trop loin", shapely.LineString([(50_000, 50_000), (51_000, 50_000)])]
    gap = math.dist((50_000, 50_000), (2400, 0))  # to the nearest end of the network
    with pytest.raises(
        SnapError, match=rf"feature 3 of 3 \('Trop loin'\) lies {gap:,.0f} m from the network"
    ):
        parcs.evaluate_links(G, far)
    bad = prop.to_crs(2154)
    bad.loc[len(bad)] = ["Un point", shapely.Point(1200, 0)]
    bad.loc[len(bad)] = ["Vide", None]
    with pytest.raises(
        DataError,
        match=r"feature 3 of 4 \('Un point'\) is a Point, not a line; feature 4 of 4 \('Vide'\) has no geometry",
    ):
        parcs.evaluate_links(G, bad)
    with pytest.raises(DataError, match="does not exist"):
        parcs.evaluate_links(G, tmp_path / "missing.gpkg")
    two = tmp_path / "two.gpkg"
    prop.to_file(two, layer="a")
    prop.to_file(two, layer="b")
    with pytest.raises(ValidationError, match="2 layers"):
        parcs.evaluate_links(G, two)
    assert len(parcs.evaluate_links(G, two, layer="b").links) == 2
    with pytest.raises(ValidationError, match="`snap_m`"):
        parcs.evaluate_links(G, prop, snap_m=0)
    with pytest.raises(ValidationError, match="`proposed`"):
        parcs.evaluate_links(G, [1, 2])


def test_a_link_attached_to_another_proposed_link(hand):
    """A spur joining the footbridge's middle (not the network) is snapped to it."""
    G, prop = hand
    spur = prop.to_crs(2154)
    spur.loc[len(spur)] = ["Antenne", shapely.LineString([(1200, 10), (1200, 400)])]  # 10 m off
    ev = parcs.evaluate_links(G, spur)
    H = ev.graph
    at = {(round(d["x"], 6), round(d["y"], 6)): n for n, d in H.nodes(data=True)}
    assert (1200.0, 0.0) in at  # the footbridge was split where the spur meets it
    assert ev.links.set_index("feature").loc[2, "benefit_alone"] == pytest.approx(0.0)
    check_against_reference(G, ev)


# ------------------------------------------------------------------------------------------
# real OSM ways of the Krems sample as a proposed scheme
# ------------------------------------------------------------------------------------------
def real_ways(path, G, n=3):
    """Tracks, footways, paths and quiet roads of the file (REAL ways) that come within 5 m
    of two different greenway components of G: each would join them as a greenway."""
    import osmium

    rows = []
    wanted = {"residential", "unclassified", "track", "service", "footway", "path", "tertiary"}

    class Ways(osmium.SimpleHandler):
        def way(self, w):
            if w.tags.get("highway") in wanted and len(w.nodes) > 1:
                rows.append(
                    {
                        "name": w.tags.get("name", ""),
                        "osmid": w.id,
                        "geometry": shapely.LineString([(nd.lon, nd.lat) for nd in w.nodes]),
                    }
                )

    Ways().apply_file(str(path), locations=True)
    ways = gpd.GeoDataFrame(rows, crs=4326).to_crs(G.graph["crs"])
    edges = ref.layer_edges(G)
    L = ref.layer_graph(G, edges)
    comp = {x: i for i, c in enumerate(nx.connected_components(L)) for x in c}
    tree = shapely.STRtree([d["geometry"] for _, _, d in edges])
    keep = [
        i
        for i, geom in enumerate(ways.geometry)
        if len({comp[edges[j][0]] for j in tree.query(geom, predicate="dwithin", distance=5.0)})
        >= 2
    ]
    return ways.iloc[keep[:n]].reset_index(drop=True)


@needs_osm_samples
def test_real_ways_of_krems_as_a_scheme(tmp_path):
    path = OSM_SAMPLES / "krems.osm.gz"
    G = parcs.graph_from_osm(path=path)
    parcs.attach_places(G, parcs.places_from_osm(G))
    ways = real_ways(path, G)
    assert len(ways) >= 2
    file = tmp_path / "scheme.gpkg"
    ways.to_crs(4326).to_file(file)
    ev = parcs.evaluate_links(G, file)
    assert len(ev.links) == len(ways)
    assert ev.after.n_components < ev.before.n_components
    assert ev.objective_after < ev.objective_before
    assert (ev.links["from_place"] != "").all() and (ev.links["commune"] != "").all()
    check_against_reference(G, ev)
