"""Smoke tests: every script in examples/ runs (in a subprocess) and writes files that parse."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import gpxpy
import pandas as pd
import pyogrio
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

# example -> (public modules it needs, files it writes)
CASES = {
    "route_between_parks.py": (("parcs.routing",), ("route.gpx", "route.html")),
    "loop_from_commune.py": (("parcs.routing",), ("loops.gpx", "loops.html")),
    "points_noeuds_map.py": (
        ("parcs.junctions",),
        ("points_noeuds.html", "points_noeuds.gpkg", "points_noeuds.gpx", "junctions.csv"),
    ),
    "missing_links_map.py": (
        ("parcs.links",),
        ("missing_links.html", "missing_links.gpkg", "missing_links.csv"),
    ),
}


def _missing(modules: tuple[str, ...]) -> list[str]:
    return [m for m in modules if importlib.util.find_spec(m) is None]


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    """Run the runnable examples concurrently, each in its own folder."""
    procs = {}
    for name, (needs, _outs) in CASES.items():
        if _missing(needs):
            continue
        out = tmp_path_factory.mktemp(name.removesuffix(".py"))
        env = {**os.environ, "PYTHONWARNINGS": "error::UserWarning"}
        procs[name] = (
            out,
            subprocess.Popen(
                [sys.executable, str(EXAMPLES / name), str(out)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
            ),
        )
    results = {}
    for name, (out, proc) in procs.items():
        stdout, stderr = proc.communicate(timeout=240)
        results[name] = (out, proc.returncode, stdout.decode(), stderr.decode())
    return results


def test_every_example_is_listed():
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(CASES)


def _check_file(path: Path) -> None:
    assert path.exists(), f"{path.name} was not written"
    if path.suffix == ".html":
        page = path.read_text(encoding="utf-8")
        assert "L.map(" in page
        assert "parcs.lines(" in page  # the network layers (docs/maps.md)
    elif path.suffix == ".gpx":
        with path.open(encoding="utf-8") as fh:
            gpx = gpxpy.parse(fh)
        assert gpx.tracks or gpx.waypoints
        for track in gpx.tracks:
            assert track.length_2d() > 1000  # every route/loop is longer than 1 km
    elif path.suffix == ".gpkg":
        for layer, _geom_type in pyogrio.list_layers(path):
            assert len(gpd.read_file(path, layer=layer)) > 0
    elif path.suffix == ".csv":
        assert len(pd.read_csv(path)) > 0


@pytest.mark.parametrize("name", sorted(CASES))
def test_example(name, ran):
    needs, outs = CASES[name]
    missing = _missing(needs)
    if missing:
        pytest.skip(f"{name} needs {', '.join(missing)}, which does not exist yet")
    out, code, stdout, stderr = ran[name]
    assert code == 0, stderr[-3000:]
    assert "wrote" in stdout
    for fname in outs:
        _check_file(out / fname)
