"""``parcs nodes`` command line (tests call ``parcs.cli.main`` directly)."""

from __future__ import annotations

import json
import math

import geopandas as gpd
import gpxpy
import networkx as nx
import numpy as np
import pandas as pd
import pytest

import parcs
from parcs.cli import main
from tests.samples import OSM_SAMPLES, needs_osm_samples

KNOOP = OSM_SAMPLES / "knooppuntnet-network-8438300-before.xml"


def test_nodes_json_and_files(tmp_path, capsys):
    assert main(["nodes", "--out", str(tmp_path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    for key in (
        "junctions",
        "links",
        "km_covered",
        "share_links_1_5km",
        "share_links_over_10km",
        "min_reuse_distance_m",
        "numbers_used",
    ):
        assert key in data
    j = gpd.read_file(tmp_path / "points_noeuds.gpkg", layer="junctions")
    links = gpd.read_file(tmp_path / "points_noeuds.gpkg", layer="links")
    assert len(j) == data["junctions"] and len(links) == data["links"]
    # recompute the summary numbers from the written files
    L = links["length_m"].to_numpy()
    assert data["share_links_1_5km"] == pytest.approx(np.mean((L >= 1000) & (L <= 5000)), abs=1e-4)
    assert data["share_links_over_10km"] == pytest.approx(np.mean(L > 10_000), abs=1e-4)
    # long one-edge links are cut by junctions added part-way (negative node ids)
    assert L.max() <= 10_000
    assert data["share_links_over_10km"] == 0
    assert data["report"]["links_not_split"] == 0
    added = j[j["node"] < 0]
    assert len(added) > 0
    assert (added["reason"] == "split").all()
    assert data["report"]["nodes_added"] >= len(added)
    assert data["numbers_used"] == j["number"].nunique()
    xy = np.column_stack([j.geometry.x, j.geometry.y])
    best = math.inf
    for v in j["number"].unique():
        sel = xy[j["number"].to_numpy() == v]
        for a in range(len(sel)):
            for b in range(a + 1, len(sel)):
                best = min(best, math.dist(sel[a], sel[b]))
    assert data["min_reuse_distance_m"] == pytest.approx(best, abs=0.1)
    assert best >= 5000
    signs = pd.read_csv(tmp_path / "signs.csv")
    assert len(signs) == 2 * len(links)
    report = pd.read_csv(tmp_path / "validation.csv")
    assert "links of 1–5 km" in set(report["rule"])
    assert (tmp_path / "validation.md").read_text().startswith("| rule |")


def test_nodes_table_and_min_reuse(capsys):
    assert main(["nodes", "--min-reuse-m", "8000"]) == 0
    out = capsys.readouterr().out
    assert "min distance between reused numbers" in out
    assert "≥ 8.0 km" in out


def test_nodes_plan_and_strip(tmp_path, capsys):
    G = parcs.load_network()
    net = parcs.points_noeuds(G)
    expected = net.strip(parcs.route(G, "Parc de la Fossette", "Site du Pays à part"))
    assert main(["nodes", "--strip", "Parc de la Fossette", "Site du Pays à part"]) == 0
    assert capsys.readouterr().out.strip() == expected
    # plan: from the park's junction to one of its linked junctions, by number
    start = net.plan("Parc de la Fossette", []).nodes[0]
    nb = min(net.neighbours(start))
    first, second = str(net.junctions.loc[start, "ref"]), str(net.junctions.loc[nb, "ref"])
    gpx_path = tmp_path / "ride.gpx"
    argv = ["nodes", "--plan", "Parc de la Fossette", second, "--gpx", str(gpx_path), "--json"]
    assert main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    assert [w["name"] for w in data["waypoints"]] == [first, second]
    gpx = gpxpy.parse(gpx_path.read_text())
    assert [w.name for w in gpx.waypoints] == [first, second]
    link = net.links[
        ((net.links["from_node"] == start) & (net.links["to_node"] == nb))
        | ((net.links["from_node"] == nb) & (net.links["to_node"] == start))
    ]
    assert data["length_m"] == pytest.approx(link["length_m"].iloc[0], abs=0.1)
    assert data["strip"] == f"{first} → {second} ({link['length_m'].iloc[0] / 1000:.1f} km)"


def test_nodes_plan_from_a_split_junction(capsys):
    G = parcs.load_network()
    net = parcs.points_noeuds(G)
    split = sorted(n for n, r in net.junctions["reason"].items() if r == "split")
    s = split[0]
    assert s < 0
    assert s not in G
    nb = min(net.neighbours(s))
    first, second = str(net.junctions.loc[s, "ref"]), str(net.junctions.loc[nb, "ref"])
    assert main(["nodes", "--plan", f"node:{s}", second, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [w["name"] for w in data["waypoints"]] == [first, second]
    link = net.links[
        ((net.links["from_node"] == s) & (net.links["to_node"] == nb))
        | ((net.links["from_node"] == nb) & (net.links["to_node"] == s))
    ]
    # independent length: shortest path on the design graph between the two nodes
    ref = nx.shortest_path_length(net.graph, s, nb, weight="est_length")
    assert data["length_m"] == pytest.approx(link["length_m"].iloc[0], abs=0.1)
    assert data["length_m"] == pytest.approx(ref, abs=0.1)


def test_nodes_bad_input(capsys):
    assert main(["nodes", "--plan", "Parc de la Fossette", "abc"]) == 1
    assert "--plan" in capsys.readouterr().err
    assert main(["nodes", "--min-link-m", "-5"]) == 1
    assert "min_link_m" in capsys.readouterr().err


@needs_osm_samples
def test_nodes_osm(tmp_path, capsys):
    assert main(["nodes", "--osm", str(KNOOP), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "integrity issue" in out
    issues = pd.read_csv(tmp_path / "issues.csv")
    assert main(["nodes", "--osm", str(KNOOP), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["issues"] == len(issues)
    assert data["network"] == "rmn"
