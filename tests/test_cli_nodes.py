"""``parcs nodes`` command line (tests call ``parcs.cli.main`` directly)."""

from __future__ import annotations

import itertools
import json
import math
import xml.etree.ElementTree as ET

import geopandas as gpd
import gpxpy
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from pyproj import Geod

import parcs
from parcs.cli import main
from tests.samples import OSM_SAMPLES, needs_osm_samples
from tests.test_node_network_osm import HAND_MADE, RouteCount, geodesic_m, strip_network_type

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
    r = parcs.route(net.graph, "Parc de la Fossette", "Site du Pays à part")
    expected = net.strip(r)
    assert main(["nodes", "--strip", "Parc de la Fossette", "Site du Pays à part"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == expected
    between = sum(float(p.split("(")[1].split(" km")[0]) for p in expected.split(" → ")[1:])
    assert lines[1].startswith(f"total {r.length_m / 1000:.1f} km (")
    assert abs(float(lines[1].split("(")[1].split(" km")[0]) - between) < 0.06 * len(expected.split(" → "))
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
    assert "`--min-link-m`" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--plan", "node:abc", "1"], "node:ID takes an integer node id"),
        (["--plan", "node:", "1"], "node:ID takes an integer node id"),
        (["--plan", "node:1.5", "1"], "node:ID takes an integer node id"),
        (["--plan", "node:999999999", "1"], "not a junction of this network"),
        (["--plan", "", "1"], "is empty"),
        (["--plan", "   ", "1"], "is empty"),
        (["--plan", "95,3", "1"], 'not a valid "lat,lon"'),
        (["--plan", "nan,nan", "1"], 'not a valid "lat,lon"'),
        (["--plan", "Parc de la Fossette", "-3"], "`--plan` numbers"),
        (["--loop", "node:abc", "--km", "10"], "node:ID takes an integer node id"),
        (["--loop", "Parc de la Fossette"], "needs `--km N`"),
        (["--km", "10"], "goes with `--loop START`"),
        (["--loop", "Parc de la Fossette", "--km", "-1"], "`--km` must be a positive"),
        (["--loop", "Parc de la Fossette", "--km", "10", "--n", "0"], "`--n` must be"),
        (["--loop", "Parc de la Fossette", "--km", "10", "--seed", "-1"], "`--seed` must be"),
        (["--loop", "x", "--km", "3", "--plan", "x"], "give one of --plan, --loop, --strip"),
        (["--handout", "ride.pdf"], "go with --plan, --loop or --strip"),
        (["--strip", "a", "b", "--handout", "ride.png"], "must end in .pdf"),
        (["--strip", "a", "b", "--gpx", "ride.txt"], "must end in .gpx"),
    ],
)
def test_nodes_malformed_options_one_line(capsys, argv, says):
    assert main(["nodes", *argv]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("parcs nodes: error: ")
    assert says in lines[0]
    assert "Traceback" not in captured.err


def test_nodes_loop_and_handout(tmp_path, capsys):
    G = parcs.load_network()
    net = parcs.points_noeuds(G)
    # a junction on one of the few loops of the tree-like network (found with the API)
    start = next(
        int(n)
        for n in net.junctions.index[net.junctions["degree"] >= 3]
        if _has_loop(net, int(n), 10)
    )
    api = net.loop(start, km=10, n=2, seed=3)
    argv = ["nodes", "--loop", f"node:{start}", "--km", "10", "--n", "2", "--seed", "3", "--json"]
    assert main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["strip"] for d in data["loops"]] == [net.strip(r) for r in api]
    assert [d["length_m"] for d in data["loops"]] == [round(r.length_m, 1) for r in api]
    for d in data["loops"]:
        assert d["numbers"][0] == d["numbers"][-1]
        assert abs(d["length_m"] - 10_000) <= 1000
    pdf, gpx_path = tmp_path / "loop.pdf", tmp_path / "loop.gpx"
    argv = ["nodes", "--loop", f"node:{start}", "--km", "10", "--seed", "3", "--handout", str(pdf)]
    assert main(argv) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("loop 1: ")
    assert out[1] == net.strip(api[0])
    assert f"written {pdf}" in out and f"written {gpx_path}" in out
    assert pdf.read_bytes().startswith(b"%PDF")
    gpx = gpxpy.parse(gpx_path.read_text(encoding="utf-8"))
    assert [w.name for w in gpx.waypoints] == data["loops"][0]["numbers"]
    # a plan with a handout too
    nb = min(net.neighbours(start))
    argv = ["nodes", "--plan", f"node:{start}", str(net.junctions.at[nb, "ref"]), "--handout", str(tmp_path / "p.pdf")]
    assert main(argv) == 0
    assert (tmp_path / "p.pdf").is_file() and (tmp_path / "p.gpx").is_file()


def _has_loop(net, node, km):
    try:
        net.loop(node, km=km, n=1)
    except parcs.errors.LoopError:
        return False
    return True


@needs_osm_samples
def test_nodes_osm_loop(tmp_path, capsys):
    rcn = OSM_SAMPLES / "knooppuntnet-10887712.xml"
    net = parcs.read_node_network(rcn)
    start = int(net.junctions.index[net.junctions["degree"] >= 3][0])
    api = net.loop(start, km=20, n=1)
    argv = ["nodes", "--osm", str(rcn), "--loop", f"node:{start}", "--km", "20", "--n", "1", "--json"]
    assert main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["loops"][0]["strip"] == net.strip(api[0])


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


@pytest.fixture
def hand_made(tmp_path):
    """The hand-made older-tagging file of tests/test_node_network_osm.py (not OSM data)."""
    path = tmp_path / "older_hand_made.osm"
    path.write_text(HAND_MADE, encoding="utf-8")
    return str(path)


def test_nodes_osm_plan(hand_made, tmp_path, capsys):
    argv = ["nodes", "--osm", hand_made, "--plan", "1", "2", "3", "--json"]
    assert main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    assert [w["name"] for w in data["waypoints"]] == ["01", "02", "03"]
    assert data["length_m"] == pytest.approx(geodesic_m(1, 11, 2, 12, 3), rel=1e-3)
    km12, km23 = geodesic_m(1, 11, 2) / 1000, geodesic_m(2, 12, 3) / 1000
    assert data["strip"] == f"01 → 02 ({km12:.1f} km) → 03 ({km23:.1f} km)"
    # START as node:ID, with a GPX; then as "lat,lon" near junction 3
    gpx_path = tmp_path / "ride.gpx"
    assert main(["nodes", "--osm", hand_made, "--plan", "node:3", "1", "--gpx", str(gpx_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"03 → 01 ({geodesic_m(3, 13, 1) / 1000:.1f} km)"
    assert [w.name for w in gpxpy.parse(gpx_path.read_text()).waypoints] == ["03", "01"]
    assert main(["nodes", "--osm", hand_made, "--plan", "50.0099,2.0101", "2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [w["name"] for w in data["waypoints"]] == ["03", "02"]


def test_nodes_osm_strip(hand_made, capsys):
    expected = f"01 → 03 ({geodesic_m(1, 13, 3) / 1000:.1f} km)"
    assert main(["nodes", "--osm", hand_made, "--strip", "50.0,2.0", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == expected
    assert lines[1].startswith("total ") and "from the first junction to the last" in lines[1]
    assert main(["nodes", "--osm", hand_made, "--strip", "1", "node:3", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {k: data[k] for k in ("from", "to", "strip")} == {"from": "1", "to": "node:3", "strip": expected}
    assert data["numbers"] == ["01", "03"]
    assert data["length_m"] == pytest.approx(geodesic_m(1, 13, 3), rel=1e-3)
    assert data["junction_to_junction_m"] == pytest.approx(data["length_m"], rel=1e-6)


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--plan", "Hazebrouck", "2"], "place names make no sense"),
        (["--strip", "Hazebrouck", "1"], "place names make no sense"),
        (["--strip", "1", "Gare de Lens"], "place names make no sense"),
        (["--plan", "node:4", "1"], "junction 04 (node 4) has no link"),
        (["--plan", "4", "1"], "junction 04 (node 4) has no link"),
        (["--plan", "7", "1"], "carried by 0 junctions"),
        (["--plan", "node:999", "1"], "not a junction of this network"),
        (["--plan", "1", "abc"], "`--plan` numbers"),
        (["--strip", "95,3", "1"], 'not a valid "lat,lon"'),
    ],
)
def test_nodes_osm_bad_locations(hand_made, capsys, argv, says):
    assert main(["nodes", "--osm", hand_made, *argv]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("parcs nodes: error: ")
    assert says in lines[0]


@needs_osm_samples
def test_nodes_osm_older_tagging(tmp_path, capsys):
    """The paddling network with network:type stripped: report, then a ride by numbers."""
    older = strip_network_type(KNOOP, tmp_path / "older.osm")
    count = RouteCount(older, "rmn")
    assert main(["nodes", "--osm", str(older)]) == 0
    out = capsys.readouterr().out
    assert f"{len(count.routes)} routes," in out
    assert (
        f"tagging: older (0 routes with network:type=node_network, {len(count.routes)} in the "
        "older tagging without it)"
    ) in out
    assert main(["nodes", "--osm", str(older), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["tagging"] == "older"
    assert data["routes_by_tagging"] == {"node_network": 0, "older": len(count.routes)}
    # ride 9 → 10 → 14 → 11 along the routes "9-10", "10-14", "11-14"; expected length: the
    # geodesic length of those relations' ways, read here from the XML
    root = ET.parse(older).getroot()
    loc = {int(n.get("id")): (float(n.get("lon")), float(n.get("lat"))) for n in root.iter("node")}
    refs = [t.get("v") for t in root.iter("tag") if t.get("k") == "rmn_ref"]
    assert all(refs.count(r) == 1 for r in ("9", "10", "14", "11"))
    ways = {
        int(w.get("id")): [int(nd.get("ref")) for nd in w.findall("nd")] for w in root.iter("way")
    }
    geod = Geod(ellps="WGS84")
    expected = 0.0
    for rel in root.iter("relation"):
        ref = next((t.get("v") for t in rel.findall("tag") if t.get("k") == "ref"), "")
        if ref.split(";")[0] in {"9-10", "10-14", "11-14"}:
            for m in rel.findall("member"):
                seq = ways[int(m.get("ref"))] if m.get("type") == "way" else []
                expected += sum(geod.inv(*loc[a], *loc[b])[2] for a, b in itertools.pairwise(seq))
    assert main(["nodes", "--osm", str(older), "--plan", "9", "10", "14", "11", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [w["name"] for w in data["waypoints"]] == ["9", "10", "14", "11"]
    assert data["length_m"] == pytest.approx(expected, rel=1e-3)
    assert data["strip"].startswith("9 → 10 (")
