"""Tests of the ``parcs route`` and ``parcs loop`` subcommands (embedded network)."""

from __future__ import annotations

import json

import gpxpy
import pytest

import parcs
from parcs.cli import main


@pytest.fixture(scope="module")
def G():  # noqa: N802
    return parcs.load_network()


def run_json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_route_json_matches_api(G, capsys):
    out = run_json(capsys, ["route", "Lens", "Béthune", "--json"])
    r = parcs.route(G, "Lens", "Béthune")
    assert out["from"] == "Lens"
    assert out["to"] == "Béthune"
    assert out["length_m"] == pytest.approx(r.length_m, abs=0.1)
    assert out["duration_s"] == pytest.approx(r.length_m / (15 / 3.6), abs=0.2)
    assert sum(out["km_by_kind"].values()) * 1000 == pytest.approx(out["length_m"], abs=1)
    assert out["connector_km"] == pytest.approx(r.connector_km, abs=1e-3)


def test_route_text_and_gpx(G, capsys, tmp_path):
    path = tmp_path / "route.gpx"
    assert main(["route", "Lens", "Liévin", "--profile", "walk", "--gpx", str(path)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("Lens → Liévin: ")
    assert "(walk)" in text
    gpx = gpxpy.parse(path.read_text(encoding="utf-8"))
    pts = gpx.tracks[0].segments[0].points
    assert len(pts) >= 2
    r = parcs.route(G, "Lens", "Liévin", profile="walk")
    assert (pts[0].longitude, pts[0].latitude) == pytest.approx(r.geometry_wgs84.coords[0])


def test_route_lat_lon_and_via(G, capsys):
    lens = parcs.find_place(G, "Lens")
    node = lens["access_nodes"][0]
    lat, lon = G.nodes[node]["lat"], G.nodes[node]["lon"]
    out = run_json(capsys, ["route", f"{lat},{lon}", "Béthune", "--via", "Liévin", "--json"])
    assert [w["name"] for w in out["waypoints"]] == [f"{lat:.5f},{lon:.5f}", "Liévin", "Béthune"]
    r = parcs.route(G, (lon, lat), "Béthune", via=["Liévin"])
    assert out["length_m"] == pytest.approx(r.length_m, abs=0.1)


def test_route_several_vias(capsys):
    out = run_json(
        capsys, ["route", "Lens", "Béthune", "--via", "Liévin", "Loos-en-Gohelle", "--json"]
    )
    names = [w["name"] for w in out["waypoints"]]
    assert names == ["Lens", "Liévin", "Loos-en-Gohelle", "Béthune"]
    out2 = run_json(
        capsys,
        ["route", "Lens", "Béthune", "--via", "Liévin", "--via", "Loos-en-Gohelle", "--json"],
    )
    assert out2["length_m"] == out["length_m"]


def test_route_avoid_connectors_flag(capsys):
    out = run_json(capsys, ["route", "Lens", "Béthune", "--json", "--avoid-connectors"])
    assert out["connector_km"] == 0


def test_loop_json(capsys, tmp_path):
    path = tmp_path / "loop.gpx"
    out = run_json(capsys, ["loop", "Lens", "--km", "10", "--n", "2", "--json", "--gpx", str(path)])
    assert 1 <= len(out["loops"]) <= 2
    for loop in out["loops"]:
        assert 9000 <= loop["length_m"] <= 11000
        assert loop["from"] == loop["to"] == "Lens"
    assert gpxpy.parse(path.read_text(encoding="utf-8")).tracks


def test_unknown_place_is_one_line_error(capsys):
    assert main(["route", "Lenss", "Béthune"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("parcs route: error: no place named 'Lenss'")
    assert "Did you mean" in err
    assert err.count("\n") == 1


def test_far_point_error(capsys):
    assert main(["route", "48.85,2.35", "Lens"]) == 1  # Paris
    err = capsys.readouterr().err
    assert "m from the nearest path" in err
    assert "`--max-snap-m`" in err  # the CLI names its options, not the API arguments


def test_impossible_loop_error(capsys):
    assert main(["loop", "Lens", "--km", "2000"]) == 1
    assert "km of paths" in capsys.readouterr().err
