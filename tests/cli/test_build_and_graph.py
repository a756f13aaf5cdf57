"""``parcs build`` then ``parcs --graph G.gpkg COMMAND``: every command on a saved graph.

The CLI output on a graph built from a real OSM sample (Andorra) and from a GIS line layer
(the official cavaliers layer) must equal the Python API run on the same saved graph.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

import parcs
from parcs import _data
from parcs.cli import main
from parcs.junctions.validation import min_reuse_distance
from tests.maps.pages import network_edges
from tests.samples import OSM_SAMPLES, needs_osm_samples

ANDORRA = OSM_SAMPLES / "andorra.osm.pbf"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def as_json(capsys, *argv: str):
    rc, out, err = run(capsys, *argv)
    assert rc == 0, err
    return json.loads(out)


@pytest.fixture(scope="module")
def andorra(tmp_path_factory) -> Path:
    if not ANDORRA.is_file():
        pytest.skip("OSM samples missing")
    out = tmp_path_factory.mktemp("build") / "andorra.gpkg"
    assert main(["build", "--osm", str(ANDORRA), "--out", str(out)]) == 0
    return out


def two_connected_towns(G):
    """Two reached towns in the same connected part, far apart (picked with networkx)."""
    import networkx as nx

    comp = max(nx.weakly_connected_components(G), key=len)
    towns = parcs.places(G, kind="town")
    inside = [
        (name, acc)
        for name, acc, ok in zip(towns["name"], towns["access_nodes"], towns["reached"], strict=True)
        if ok and all(a in comp for a in acc) and list(towns["name"]).count(name) == 1
    ]
    assert len(inside) >= 2
    return inside[0][0], inside[-1][0]


@needs_osm_samples
def test_build_writes_a_graph_equal_to_the_api(andorra):
    G = parcs.load_graph(andorra)
    H = parcs.graph_from_osm(path=ANDORRA)
    parcs.attach_places(H, parcs.places_from_osm(ANDORRA))
    assert sorted(G.edges(keys=True)) == sorted(H.edges(keys=True))
    assert parcs.summary(G) == parcs.summary(H)
    assert list(parcs.places(G)["name"]) == list(parcs.places(H)["name"])


@needs_osm_samples
def test_info_route_loop_on_the_saved_graph(andorra, capsys):
    G = parcs.load_graph(andorra)
    info = as_json(capsys, "--graph", str(andorra), "info", "--json")
    assert info == json.loads(json.dumps(parcs.summary(G)))
    a, b = two_connected_towns(G)
    got = as_json(capsys, "--graph", str(andorra), "route", a, b, "--json")
    ref = parcs.route(G, a, b)
    assert got["length_m"] == pytest.approx(ref.length_m, abs=0.05)
    assert got["from"] == ref.orig_label and got["to"] == ref.dest_label
    # the option also works after the command name
    again = as_json(capsys, "route", "--graph", str(andorra), a, b, "--json")
    assert again == got
    start, km, ref_loop = found_loop(G, (a, b))  # a start and length the API can loop
    loop = as_json(
        capsys, "--graph", str(andorra), "loop", start, "--km", str(km), "--n", "1", "--json"
    )
    assert loop["loops"][0]["length_m"] == pytest.approx(ref_loop.length_m, abs=0.05)


def found_loop(G, starts):
    from parcs.errors import LoopError

    for start in starts:
        for km in (5, 10, 15, 20, 30):
            try:
                return start, km, parcs.round_trip(G, start, length_m=km * 1000, n=1)[0]
            except LoopError:
                continue
    pytest.fail("no loop from either town")


@needs_osm_samples
def test_nodes_gaps_map_export_on_the_saved_graph(andorra, capsys, tmp_path):
    G = parcs.load_graph(andorra)
    nodes = as_json(capsys, "--graph", str(andorra), "nodes", "--json")
    net = parcs.points_noeuds(G)
    assert (nodes["junctions"], nodes["links"]) == (len(net.junctions), len(net.links))
    assert nodes["min_reuse_distance_m"] == pytest.approx(min_reuse_distance(net.junctions), abs=0.1)
    gaps = as_json(capsys, "--graph", str(andorra), "gaps", "--top", "5", "--budget-km", "2", "--json")
    cands = parcs.missing_links(G)
    assert gaps["n_candidates"] == len(cands)
    assert [c["benefit"] for c in gaps["candidates"]] == pytest.approx(
        cands["benefit"].head(5).tolist()
    )
    plan = parcs.plan_links(G, budget_km=2, candidates=cands)
    assert len(gaps["plan"]) == len(plan)
    html = tmp_path / "m.html"
    rc, out, err = run(capsys, "--graph", str(andorra), "map", "--out", str(html))
    assert rc == 0, err
    page = html.read_text(encoding="utf-8")
    drawn = sum(len(edges) for edges in network_edges(page).values())  # docs/maps.md
    assert drawn == sum(1 for u, v, k in G.edges(keys=True) if u <= v)
    gpkg = tmp_path / "e.gpkg"
    rc, out, err = run(capsys, "--graph", str(andorra), "export", "--out", str(gpkg))
    assert rc == 0, err
    edges = gpd.read_file(gpkg, layer="edges")
    assert len(edges) == sum(1 for u, v, k in G.edges(keys=True) if u <= v)
    assert len(gpd.read_file(gpkg, layer="places")) == len(parcs.places(G))


@needs_osm_samples
def test_parcs_graph_variable_and_demo(andorra, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("PARCS_GRAPH", str(andorra))
    info = as_json(capsys, "info", "--json")
    assert info["name"] == "andorra.osm.pbf"
    rc, out, err = run(capsys, "demo", "--out", str(tmp_path / "demo"))
    assert rc == 0, err
    assert (tmp_path / "demo" / "map.html").is_file()
    gpx = (tmp_path / "demo" / "route.gpx").read_text(encoding="utf-8")
    assert "<trkpt" in gpx


def test_build_from_a_line_layer_with_artois_places(capsys, tmp_path):
    layer = tmp_path / "cavaliers.gpkg"
    gpd.read_file(_data.get_path("cavaliers")).to_crs(32631).to_file(layer)  # another CRS
    out = tmp_path / "lines.gpkg"
    rc, text, err = run(
        capsys, "build", "--lines", str(layer), "--kind", "cavalier", "--name-column", "nom",
        "--places", "artois", "--out", str(out),
    )  # fmt: skip
    assert rc == 0, err
    G = parcs.load_graph(out)
    H = parcs.graph_from_lines(layer, kind="cavalier", name_column="nom")
    assert parcs.summary(G)["built_km"] == pytest.approx(parcs.summary(H)["built_km"])
    assert G.graph["crs"] == "EPSG:2154"  # data in France: Lambert-93
    km = parcs.summary(G)["built_km"]
    ref = gpd.read_file(_data.get_path("cavaliers")).to_crs(2154).length.sum() / 1000
    assert km == pytest.approx(ref, rel=0.03)  # the layer plus snap joins (docs/network.md)
    got = as_json(capsys, "--graph", str(out), "route", "Liévin", "Lens", "--json")
    ref_route = parcs.route(G, "Liévin", "Lens")
    assert got["length_m"] == pytest.approx(ref_route.length_m, abs=0.05)
    assert math.isfinite(got["length_m"]) and got["length_m"] > 0
    assert np.isclose(got["duration_s"], ref_route.duration_s, atol=0.05)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["build", "--osm", "x.osm", "--out", "g.txt"], "must end in .gpkg"),
        (["build", "--osm", "missing.osm.pbf", "--out", "g.gpkg"], "does not exist"),
        (["build", "--lines", "l.gpkg", "--places", "osm", "--out", "g.gpkg"], "--places osm"),
        (["build", "--bbox", "1,2,3", "--out", "g.gpkg"], "`--bbox` must be four numbers"),
        (["--graph", "nope.gpkg", "info"], "`--graph` 'nope.gpkg' is not a file"),
        (["build", "--out", "g.gpkg"], "one of the arguments"),
    ],
)
def test_build_and_graph_errors_are_one_line(capsys, tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    if "l.gpkg" in argv:
        gpd.read_file(_data.get_path("cavaliers")).head(20).to_file(tmp_path / "l.gpkg")
    rc, out, err = run_safely(capsys, argv)
    assert rc != 0
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("parcs ")
    assert not (tmp_path / "g.gpkg").exists()


def run_safely(capsys, argv):
    try:
        rc = main(argv)
    except SystemExit as exc:  # argparse exits
        rc = exc.code
    out, err = capsys.readouterr()
    return rc, out, err
