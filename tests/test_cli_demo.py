"""`parcs demo`, the README's main job, end to end in a temporary folder."""

from __future__ import annotations

import json

import gpxpy
import pytest

from parcs.cli import main


def test_demo_writes_summary_map_and_route(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--tiles", "none"]) == 0
    text = capsys.readouterr().out
    assert "built greenway" in text
    assert "route Parc de la Lawe -> Calonnix" in text
    html = (out / "map.html").read_text(encoding="utf-8")
    assert "leaflet" in html.lower()
    gj = json.loads((out / "route.geojson").read_text(encoding="utf-8"))
    length_m = gj["features"][0]["properties"]["length_m"]
    props = gj["features"][0]["properties"]
    gpx = gpxpy.parse((out / "route.gpx").read_text(encoding="utf-8"))
    # The GPX track, measured geodesically, follows the drawn geometry: the reported length
    # minus the detour allowance of the connectors (drawn straight, travelled x 1.3).
    drawn_m = length_m - props["connector_km"] * 1000 * (1 - 1 / 1.3)
    assert gpx.length_2d() == pytest.approx(drawn_m, rel=0.005)
    assert f"{length_m / 1000:.1f} km" in text


def test_demo_unknown_place_is_a_clean_error(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--from", "Parc de la Glisoire"]) == 1
    err = capsys.readouterr().err
    assert "Did you mean" in err
    assert "Parc de la Glissoire" in err
    assert not (tmp_path / "map.html").exists()
