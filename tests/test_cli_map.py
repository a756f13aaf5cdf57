"""Tests of ``parcs map`` and ``parcs export`` (through the CLI entry point)."""

from __future__ import annotations

import json

import geopandas as gpd
import pyogrio
import pytest
from tests.maps.pages import basemap, layer_calls, network_edges

import parcs
from parcs.cli import main
from parcs.cli import map as map_cmd


def run(argv: list[str]) -> int:
    return main(["-q", *argv])


def undirected_count(G) -> int:
    return sum(1 for u, v, _k in G.edges(keys=True) if u < v)


@pytest.fixture(scope="module")
def network():
    return parcs.load_network()


def test_map_network_only(tmp_path, capsys, network):
    out = tmp_path / "m.html"
    assert run(["map", "--out", str(out), "--tiles", "none"]) == 0
    page = out.read_text(encoding="utf-8")
    assert "map written to" in capsys.readouterr().out
    assert "tile.openstreetmap.org" not in page
    assert out.stat().st_size < 5_000_000
    n_features = sum(len(edges) for edges in network_edges(page).values())
    assert n_features == undirected_count(network)
    base = basemap(page)  # no tiles: the offline base map with the communes' names
    communes = parcs.places(network, kind="commune")
    assert set(base["labels"]["name"]) == set(communes["name"])


def test_map_route_nodes_gaps(tmp_path, capsys, network):
    out = tmp_path / "m.html"
    code = run(
        [
            "map",
            "--out",
            str(out),
            "--route",
            "Lens",
            "Liévin",
            "--nodes",
            "--gaps",
            "--communes",
            "--tiles",
            "OpenStreetMap",
        ]
    )
    assert code == 0
    page = out.read_text(encoding="utf-8")
    route = parcs.route(network, "Lens", "Liévin")
    assert f"Length: {route.length_m / 1000:.2f} km" in page
    assert f"route: {route.length_m / 1000:.2f} km" in capsys.readouterr().out
    net = parcs.points_noeuds(network)
    (junctions,) = layer_calls(page, "junctions")
    assert len(junctions["number"]) == len(net.junctions)
    assert json.dumps("Missing links") in page
    assert json.dumps("Communes") in page
    assert "tile.openstreetmap.org" in page
    assert basemap(page) is None  # tiles: no base map


def test_map_loop(tmp_path, network):
    out = tmp_path / "loop.html"
    assert run(["map", "--out", str(out), "--loop", "Lens", "--km", "15", "--tiles", "none"]) == 0
    loop = parcs.round_trip(network, "Lens", length_m=15_000, n=1)[0]
    assert f"Length: {loop.length_m / 1000:.2f} km" in out.read_text(encoding="utf-8")


def test_map_errors(tmp_path, capsys):
    assert run(["map", "--out", str(tmp_path / "x.html"), "--loop", "Lens"]) == 1
    assert "--km" in capsys.readouterr().err
    assert run(["map", "--out", str(tmp_path / "x.html"), "--route", "Nowhereville", "Lens"]) == 1
    assert "Nowhereville" in capsys.readouterr().err
    assert not (tmp_path / "x.html").exists()


def test_export_gpkg(tmp_path, capsys, network):
    out = tmp_path / "artois.gpkg"
    assert run(["export", "--format", "gpkg", "--out", str(out), "--nodes", "--gaps"]) == 0
    assert "wrote" in capsys.readouterr().out
    layers = {name for name, _ in pyogrio.list_layers(out)}
    net = parcs.points_noeuds(network)
    expected = {"nodes", "edges", "places", "junctions", "missing_links"}
    if len(net.links):  # empty layers are skipped
        expected.add("links")
        assert len(gpd.read_file(out, layer="links")) == len(net.links)
    assert layers == expected
    # with --nodes, nodes and edges come from the design's graph (long edges cut by new
    # nodes), so every junction and link end is a node of the layer
    edges = gpd.read_file(out, layer="edges")
    nodes = gpd.read_file(out, layer="nodes")
    assert len(edges) == undirected_count(net.graph)
    assert len(nodes) == net.graph.number_of_nodes()
    assert net.graph.number_of_nodes() > network.number_of_nodes()  # the Artois has cuts
    ids = set(nodes["osmid"])
    assert set(gpd.read_file(out, layer="junctions")["node"]) <= ids
    links = gpd.read_file(out, layer="links")
    assert set(links["from_node"]) | set(links["to_node"]) <= ids
    total = sum(d["length"] for u, v, d in network.edges(data=True) if u < v)
    assert edges.geometry.length.sum() == pytest.approx(total, rel=1e-6)
    assert len(gpd.read_file(out, layer="junctions")) == len(net.junctions)
    assert len(gpd.read_file(out, layer="missing_links")) == len(parcs.missing_links(network))


def test_export_geojson(tmp_path, network):
    out = tmp_path / "gj"
    assert run(["export", "--format", "geojson", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "edges.geojson",
        "nodes.geojson",
        "places.geojson",
    ]
    edges = gpd.read_file(out / "edges.geojson")
    assert edges.crs.to_epsg() == 4326
    assert len(edges) == undirected_count(network)
    total = sum(d["length"] for u, v, d in network.edges(data=True) if u < v)
    assert edges.to_crs(2154).geometry.length.sum() == pytest.approx(total, abs=1.0)


def test_progress_bar_only_when_enabled(tmp_path, capsys, monkeypatch):
    out = tmp_path / "m.html"
    assert main(["map", "--out", str(out), "--tiles", "none"]) == 0
    assert "step" not in capsys.readouterr().err  # stderr is not a terminal under pytest
    monkeypatch.setattr(map_cmd, "progress_enabled", lambda _args: True)
    assert main(["map", "--out", str(out), "--tiles", "none"]) == 0
    err = capsys.readouterr().err
    assert "0/3" in err  # three steps: load, draw, write
    assert "loading network" in err
