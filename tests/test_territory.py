"""The embedded network, checked against measurements made independently on the data files."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pytest
import shapely
from pyproj import Transformer

import parcs
from parcs import _data
from parcs.errors import DataError, EmptyAreaError, PlaceNotFoundError, ValidationError
from parcs.network.places import find_place, normalize_name
from parcs.network.territory import build_network, load_network


def _layer(name: str) -> gpd.GeoDataFrame:
    return gpd.read_file(_data.get_path(name)).to_crs(2154)


def _built_edges(G: nx.MultiDiGraph) -> list[dict]:
    return [d for u, v, d in G.edges(data=True) if u < v and d["built"]]


def test_graph_is_osmnx_shaped(artois):
    G = artois
    assert isinstance(G, nx.MultiDiGraph)
    assert G.graph["crs"] == "EPSG:2154"
    to_wgs = Transformer.from_crs(2154, 4326, always_xy=True)
    for n, d in list(G.nodes(data=True))[:50]:
        lon, lat = to_wgs.transform(d["x"], d["y"])
        assert d["lon"] == pytest.approx(lon, abs=1e-9)
        assert d["lat"] == pytest.approx(lat, abs=1e-9)
    for u, v, k, d in G.edges(keys=True, data=True):
        line = d["geometry"]
        assert d["length"] == pytest.approx(line.length, abs=1e-6)
        assert np.hypot(line.coords[0][0] - G.nodes[u]["x"], line.coords[0][1] - G.nodes[u]["y"]) < 0.05
        assert np.hypot(line.coords[-1][0] - G.nodes[v]["x"], line.coords[-1][1] - G.nodes[v]["y"]) < 0.05
        assert G.has_edge(v, u, k), "every edge is stored in both directions"
        assert d["kind"] in {"cavalier", "eurovelo", "connector"}
        assert d["built"] == (d["kind"] != "connector")
    # osmnx functions work on it
    nodes, edges = ox.graph_to_gdfs(G)
    assert len(nodes) == G.number_of_nodes()
    assert len(edges) == G.number_of_edges()
    assert ox.distance.nearest_nodes(G, nodes.x.iloc[3], nodes.y.iloc[3]) == nodes.index[3]


def test_cavalier_and_ev5_km_match_the_source_layers(artois):
    """Built km compared with geopandas measurements of the source files (not of the graph)."""
    cav_km = _layer("cavaliers").length.sum() / 1000
    ev = _layer("eurovelo5")
    ev_km = ev.length.sum() / 1000
    assert cav_km == pytest.approx(437.6, abs=0.1)  # the figure published in PROVENANCE.md
    assert ev_km == pytest.approx(82.7, abs=0.1)
    edges = _built_edges(artois)
    cav_graph = sum(d["length"] for d in edges if d["kind"] == "cavalier") / 1000
    ev_graph = sum(d["length"] for d in edges if d["eurovelo"]) / 1000
    built = sum(d["length"] for d in edges) / 1000
    # snapping adds short joins (< 25 m each): a few km at most
    assert cav_km <= cav_graph <= cav_km * 1.03
    assert ev_graph == pytest.approx(ev_km, rel=0.03)
    # overlap measured independently: EV5 length within 20 m of a cavalier
    cav_buf = shapely.buffer(shapely.union_all(_layer("cavaliers").geometry.to_numpy()), 20.0, cap_style="flat")
    overlap_km = shapely.length(shapely.intersection(shapely.union_all(ev.geometry.to_numpy()), cav_buf)) / 1000
    assert built == pytest.approx(cav_km + ev_km - overlap_km, rel=0.03)
    assert 400 <= built <= 560


def test_ev5_on_cavaliers_is_one_edge_marked_with_both(artois):
    both = [d for d in _built_edges(artois) if d["kind"] == "cavalier" and d["eurovelo"]]
    assert both, "EV5 runs on cavaliers near Lens and Béthune"
    assert all(d["source"] == "cavaliers+eurovelo5" and d["routes"] == "EV5" for d in both)
    # no separate eurovelo edge doubles a cavalier: eurovelo-kind lines stay > 20 m from cavaliers
    # over most of their length
    cav = shapely.union_all([d["geometry"] for d in _built_edges(artois) if d["kind"] == "cavalier"])
    ev_lines = np.array(
        [d["geometry"] for d in _built_edges(artois) if d["kind"] == "eurovelo" and d["length"] > 200],
        dtype=object,
    )
    near = shapely.length(shapely.intersection(ev_lines, shapely.buffer(cav, 15.0)))
    assert len(ev_lines) > 10
    assert np.all(near < 0.5 * shapely.length(ev_lines))


def test_lines_are_noded(artois):
    """No two built edges cross except at their end nodes."""
    geoms = np.array([d["geometry"] for d in _built_edges(artois)], dtype=object)
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms, predicate="crosses")
    assert len(a) == 0


def test_degree_two_chains_are_merged(artois):
    U = nx.MultiGraph(artois.to_undirected(as_view=False))
    for n in U.nodes:
        if U.degree(n) == 2 and not U.has_edge(n, n):
            (d1, d2) = [d for *_, d in U.edges(n, data=True)]
            assert (d1["kind"], d1["eurovelo"], d1["name"]) != (d2["kind"], d2["eurovelo"], d2["name"])


def test_connectors_cross_gaps_up_to_max(artois):
    G = artois
    max_gap = G.graph["max_gap_m"]
    detour = G.graph["detour_factor"]
    conns = [d for u, v, d in G.edges(data=True) if u < v and d["kind"] == "connector"]
    assert conns
    for d in conns:
        assert 0 < d["length"] <= max_gap + 1e-6
        assert d["est_length"] == pytest.approx(d["length"] * detour)
        assert d["built"] is False
        assert d["source"] == "gap"
    # Independent count: components of the built network, merged whenever two of them are
    # within max_gap of each other, must equal the components with connectors.
    B = nx.Graph([(u, v) for u, v, d in G.edges(data=True) if d["built"]])
    comps = list(nx.connected_components(B))
    shapes = [
        shapely.union_all([d["geometry"] for u, v, d in G.edges(data=True) if d["built"] and u in c])
        for c in comps
    ]
    P = nx.Graph()
    P.add_nodes_from(range(len(comps)))
    tree = shapely.STRtree(shapes)
    i, j = tree.query(shapes, predicate="dwithin", distance=max_gap)
    P.add_edges_from((int(a), int(b)) for a, b in zip(i, j, strict=True) if a != b)
    with_conn = nx.Graph([(u, v) for u, v in G.edges()])
    with_conn.add_nodes_from(G.nodes)
    isolated = [n for n in G.nodes if G.degree(n) == 0]
    assert not isolated
    assert nx.number_connected_components(with_conn) == nx.number_connected_components(P)


def test_bigger_snap_tolerance_never_adds_components():
    counts = []
    for tol in (5.0, 25.0, 60.0):
        G = build_network(snap_tolerance_m=tol, connectors=False)
        counts.append(nx.number_connected_components(nx.Graph(G)))
    assert counts[0] >= counts[1] >= counts[2]
    assert counts[0] > counts[2]


def test_places_match_the_layers(artois):
    P = parcs.places(artois)
    assert (P["kind"] == "terril").sum() == len(_layer("terrils"))
    assert (P["kind"] == "espace_neonaturel").sum() == len(_layer("espaces_neonaturels"))
    communes = _layer("communes")
    assert (P["kind"] == "commune").sum() == len(communes) == 150
    assert P["population"].sum() == communes["population_2026cog"].sum()
    assert P.index.is_unique
    assert P.crs.to_epsg() == 2154
    pts = {n: shapely.Point(d["x"], d["y"]) for n, d in artois.nodes(data=True)}
    for _, row in P[P["reached"]].iterrows():
        assert row["access_nodes"]
        d = min(pts[n].distance(row["geometry"]) for n in row["access_nodes"])
        assert d <= 300.0 + 1e-6
        assert row["access_dist_m"] == pytest.approx(d, abs=1e-6)
    assert P.loc[P["kind"] == "terril", "area_ha"].sum() == pytest.approx(_layer("terrils").area.sum() / 1e4)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("LIEVIN", "Liévin"),
        ("liévin", "Liévin"),
        ("parc de la glissoire", "Parc de la Glissoire"),
        ("Parc de la Glissoire", "Parc de la Glissoire"),
        ("commune:Lens", "Lens"),
        ("T074", "11/19 de Lens Est"),
        ("loos en gohelle", "Loos-en-Gohelle"),
    ],
)
def test_find_place_ignores_accents_and_case(artois, query, expected):
    assert find_place(artois, query)["name"] == expected


def test_unknown_place_suggests_close_matches(artois):
    with pytest.raises(PlaceNotFoundError, match="Glissoire") as exc:
        find_place(artois, "Parc de la Glisoire")
    assert "Parc de la Glissoire" in exc.value.suggestions
    assert "no place named 'Parc de la Glisoire'" in str(exc.value)


def test_normalize_name():
    assert normalize_name("  Nœux-les-Mines ") == "noeux les mines"
    assert normalize_name("Étang d'Amaury") == "etang d amaury"


# the on-disk cache of load_network is tested in test_graph_file.py


@pytest.mark.parametrize("bad", [0, -5, float("nan"), float("inf")])
def test_non_positive_tolerance_is_refused(bad):
    with pytest.raises(ValidationError, match="`snap_tolerance_m` must be a finite number of metres > 0"):
        load_network(snap_tolerance_m=bad, cache=False)


def test_detour_factor_below_one_is_refused():
    with pytest.raises(ValidationError, match="`detour_factor` must be >= 1"):
        build_network(detour_factor=0.8)


def _copy_data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(_data.data_dir(), folder)
    return folder


def test_truncated_geojson_gives_a_data_error(tmp_path, monkeypatch):
    folder = _copy_data(tmp_path)
    path = folder / _data.FILES["cavaliers"]
    path.write_bytes(path.read_bytes()[:5000])
    monkeypatch.setenv("PARCS_DATA_DIR", str(folder))
    with pytest.raises(DataError, match="malformed") as exc:
        build_network()
    assert "cavaliers" in str(exc.value)


def test_missing_file_gives_a_data_error(tmp_path, monkeypatch):
    folder = _copy_data(tmp_path)
    (folder / _data.FILES["terrils"]).unlink()
    monkeypatch.setenv("PARCS_DATA_DIR", str(folder))
    with pytest.raises(DataError, match="does not exist"):
        load_network()


def test_empty_layer_gives_an_empty_area_error(tmp_path, monkeypatch):
    folder = _copy_data(tmp_path)
    (folder / _data.FILES["cavaliers"]).write_text('{"type": "FeatureCollection", "features": []}')
    monkeypatch.setenv("PARCS_DATA_DIR", str(folder))
    with pytest.raises(EmptyAreaError, match="no line"):
        build_network()


def test_bad_data_dir_override(monkeypatch, tmp_path):
    monkeypatch.setenv("PARCS_DATA_DIR", str(tmp_path / "nope"))
    with pytest.raises(DataError, match="PARCS_DATA_DIR"):
        _data.data_dir()


def test_unknown_layer_name_lists_the_choices():
    with pytest.raises(ValueError, match="cavaliers"):
        _data.get_path("roads")


def test_attach_places_refuses_a_geographic_graph(tiny_graph):
    G = tiny_graph
    G.graph["crs"] = "EPSG:4326"
    with pytest.raises(ValidationError, match="project the graph first"):
        parcs.territory.attach_artois_places(G)


def test_attach_places_on_another_graph(tiny_graph):
    G = parcs.territory.attach_artois_places(tiny_graph)
    P = parcs.places(G)
    assert len(P) == 267
    assert P["access_nodes"].map(len).min() >= 1


@pytest.mark.parametrize(
    ("typo", "expected"),
    [("Glisoire", "Parc de la Glissoire"), ("Bethun", "Béthune"), ("Loos en Gohele", "Loos-en-Gohelle")],
)
def test_suggestions_find_a_word_inside_a_longer_name(artois, typo, expected):
    with pytest.raises(PlaceNotFoundError) as exc:
        find_place(artois, typo)
    assert exc.value.suggestions[0] == expected
    assert f"Did you mean: '{expected}'" in str(exc.value)
