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


@pytest.mark.parametrize("typed", ["Bike", "WALK", "eBike"])
def test_profiles_match_in_any_case(capsys, typed):
    out = run_json(capsys, ["route", "Lens", "Liévin", "--profile", typed, "--json"])
    assert out["profile"] == typed.lower()
    loops = run_json(capsys, ["loop", "Lens", "--km", "10", "--n", "1", "--profile", typed, "--json"])
    assert loops["loops"][0]["profile"] == typed.lower()


def test_an_unknown_profile_is_one_line_naming_the_choices(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["route", "Lens", "Liévin", "--profile", "horse"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("parcs route: error: argument --profile: invalid choice: 'horse'")
    assert "'walk', 'bike', 'ebike'" in err
    assert err.count("\n") == 1


def _point_beyond_500_m(G):
    """A point 500-3,000 m from the network from which a route to Lens exists (API found)."""
    node = G.nodes[parcs.find_place(G, "Lens")["access_nodes"][0]]
    for step in (0.006, 0.01, 0.015, 0.02, 0.03):
        for dlon, dlat in ((0, step), (0, -step), (step, 0), (-step, 0)):
            pt = (node["lon"] + dlon, node["lat"] + dlat)
            try:
                parcs.route(G, pt, "Lens", max_snap_m=0.0)
            except parcs.errors.SnapError as err:
                far = err.distance_m
            if 500 < far < 3000:
                try:
                    return pt, far, parcs.route(G, pt, "Lens", max_snap_m=far + 10)
                except parcs.errors.NoPathError:
                    continue
    pytest.fail("no point 500-3,000 m from the network near Lens")


def test_max_snap_m_lets_a_far_point_snap(G, capsys):
    (lon, lat), far, expected = _point_beyond_500_m(G)
    typed = [f"{lat},{lon}", "Lens", "--json"]
    assert main(["route", *typed]) == 1
    err = capsys.readouterr().err
    assert f"is {far:,.0f} m from the nearest path" in err  # the API's distance
    out = run_json(capsys, ["route", *typed, "--max-snap-m", str(far + 10)])
    assert out["length_m"] == pytest.approx(expected.length_m, abs=0.1)
    loop = ["loop", f"{lat},{lon}", "--km", "10", "--n", "1", "--json"]
    assert main(loop) == 1
    assert "`--max-snap-m`" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["route", *typed, "--max-snap-m", "many"])
    assert "argument --max-snap-m: invalid float value" in capsys.readouterr().err


def test_far_point_messages_label_lon_and_lat(G, capsys):
    with pytest.raises(parcs.errors.SnapError) as exc:
        parcs.route(G, (2.35, 48.85), "Lens")
    assert "(lon 2.35, lat 48.85)" in str(exc.value)
    assert "(points are (lon, lat) in degrees)" in str(exc.value)
    assert main(["route", "48.85,2.35", "Lens"]) == 1
    err = capsys.readouterr().err
    assert "(lon 2.35, lat 48.85)" in err
    assert '(points are given as "lat,lon" in degrees)' in err
    assert "(lon, lat)" not in err


def test_swapped_coordinates_are_pointed_out(G, capsys):
    lens = parcs.find_place(G, "Lens")
    node = G.nodes[lens["access_nodes"][0]]
    lat, lon = node["lat"], node["lon"]
    assert main(["route", f"{lon},{lat}", "Béthune"]) == 1  # longitude typed first
    err = capsys.readouterr().err
    assert "are lon and lat swapped?" in err
    assert err.count("\n") == 1


def _pair_joined_only_by_connectors(G):
    names = parcs.places(G)["name"].tolist()[:40]
    for a in names:
        for b in names:
            if a >= b:
                continue
            try:
                parcs.route(G, a, b, avoid_connectors=True)
            except parcs.errors.NoPathError as err:
                if err.reason == "connectors":
                    return a, b
    pytest.fail("no pair of places joined only through connectors among the first 40")


def test_avoid_connectors_message_speaks_cli(G, capsys):
    a, b = _pair_joined_only_by_connectors(G)
    with pytest.raises(parcs.errors.NoPathError, match=r"`avoid_connectors=False`"):
        parcs.route(G, a, b, avoid_connectors=True)
    assert main(["route", a, b, "--avoid-connectors"]) == 1
    err = capsys.readouterr().err
    assert "leaving out `--avoid-connectors`" in err
    assert "avoid_connectors=False" not in err
    assert main(["route", a, b]) == 0  # and without the flag the route exists
