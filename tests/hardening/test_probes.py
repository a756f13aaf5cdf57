"""The audit's probes (issue 14), one test each: the error type and what its message says.

Each probe is an input a careless or hostile user gave; before the hardening, each one
crashed with a traceback, ran unbounded, or silently answered something wrong. The probes
on caches (tests/test_graph_file.py), maps (tests/maps/test_hostile.py, tests/test_browser.py),
read-only installs and data layers (tests/hardening/) live beside the code they exercise.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import sys

import gpxpy
import pytest

import parcs
from parcs.cli import main
from parcs.cli import map as cli_map
from parcs.cli import route as cli_route
from parcs.errors import PlaceNotFoundError, ValidationError


@pytest.fixture(scope="module")
def G():  # noqa: N802
    return parcs.load_network()


def one_line_error(capsys, argv, *, rc=1):
    """Run the CLI and return its stderr, checking it is one `parcs CMD: error:` line."""
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse errors exit with 2
        code = exc.code
    captured = capsys.readouterr()
    assert code == rc, captured
    err = captured.err
    assert err.startswith(f"parcs {argv[0]}: error: "), err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


# ------------------------------------------------------------------- silent wrong answers
@pytest.mark.parametrize("name", ["", "   ", "---", "commune:", "terril:  ", "!?"])
def test_blank_or_punctuation_names_are_refused(G, capsys, name):
    with pytest.raises(ValidationError, match="is blank"):
        parcs.find_place(G, name)
    with pytest.raises(ValidationError, match="is blank"):
        parcs.route(G, name, "Lens")
    err = one_line_error(capsys, ["route", "--", name, "Lens"])
    assert "give a place name" in err
    assert "Lillers" not in err  # the place it once routed from, silently


def _no_search(*_args, **_kwargs):
    pytest.fail("the work started before the input was checked")


def test_a_name_of_100k_characters_is_refused_at_once_quoting_80(G, capsys, monkeypatch):
    name = "x" * 100_000
    with monkeypatch.context() as m:  # refused before the places are read (was 48-80 s)
        m.setattr("parcs.network.places.places", _no_search)
        with pytest.raises(ValidationError, match="100,000 characters long") as exc:
            parcs.find_place(G, name)
    assert "x" * 81 not in str(exc.value)
    assert "x" * 80 in str(exc.value)
    err = one_line_error(capsys, ["route", name, "Lens"])
    assert len(err) < 400


def test_a_name_of_200_characters_is_still_searched(G):
    with pytest.raises(PlaceNotFoundError):
        parcs.find_place(G, "é" * 200)
    with pytest.raises(ValidationError, match="at most 200 characters"):
        parcs.find_place(G, "é" * 201)


@pytest.mark.parametrize("bad", [-5.0, math.nan])
@pytest.mark.parametrize(
    "call",
    [
        parcs.summary,
        parcs.points_noeuds,
        parcs.missing_links,
        parcs.metrics,
        lambda H: parcs.route(H, "Lens", "Liévin"),
    ],
    ids=["summary", "points_noeuds", "missing_links", "metrics", "route"],
)
def test_negative_or_nan_lengths_are_one_validation_error(G, bad, call):
    H = G.copy()
    u, v, k = next(iter(H.edges(keys=True)))
    H.edges[u, v, k]["length"] = bad
    with pytest.raises(ValidationError, match=r"NaN or negative `length` \(\(") as exc:
        call(H)
    assert f"({u}, {v}, {k})" in str(exc.value)  # names the edge
    assert "docs/graph-format.md" in str(exc.value)  # and where the contract is


# ------------------------------------------------------------------------ unbounded work
@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda G: parcs.round_trip(G, "Lens", length_m=10_000, n=10**6), r"`n` .* <= 20"),
        (lambda G: parcs.alternatives(G, "Lens", "Liévin", k=1000), r"`k` .* <= 10"),
        (lambda G: parcs.route(G, "Lens", "Liévin", via=["Lens"] * 51), "at most 50 via"),
    ],
    ids=["round_trip n", "alternatives k", "route via"],
)
def test_counts_are_bounded_before_any_work(G, call, message, monkeypatch):
    # no search starts (round_trip(n=10**6) once ran > 9 min)
    monkeypatch.setattr("parcs.routing._net.Net.search", _no_search)
    with pytest.raises(ValidationError, match=message):
        call(G)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda G: parcs.route(G, "Lens", "Liévin", via=None), r"`via` .* pass \(\) for none"),
        (lambda G: parcs.round_trip(G, "Lens", length_m=10_000, seed=None), r"`seed` .* >= 0"),
        (lambda G: parcs.metrics(G, buffer_m=math.inf), r"`buffer_m` must be a finite"),
        (lambda G: parcs.isochrone(G, "Lens", max_s=600, buffer_m=math.inf), "`buffer_m`"),
    ],
    ids=["via None", "seed None", "metrics buffer inf", "isochrone buffer inf"],
)
def test_none_and_infinite_options_are_clear_errors(G, call, message):
    with pytest.raises(ValidationError, match=message):
        call(G)


# ------------------------------------------------------------------ one-line CLI errors
def test_loop_seed_minus_one(capsys):
    err = one_line_error(capsys, ["loop", "Lens", "--km", "10", "--seed", "-1"])
    assert "`--seed` must be an integer >= 0, got -1" in err


def test_nodes_plan_node_abc(capsys):
    err = one_line_error(capsys, ["nodes", "--plan", "node:abc", "1"])
    assert "`--plan START` 'node:abc': node:ID takes an integer node id" in err


def test_an_osm_node_at_latitude_999(tmp_path, capsys):
    osm = tmp_path / "bad.osm"  # HAND-MADE fixture: two nodes, one impossible, one way
    osm.write_text(
        '<?xml version="1.0"?><osm version="0.6">'
        '<node id="1" lat="999" lon="2.8"/><node id="2" lat="50.4" lon="2.81"/>'
        '<way id="3"><nd ref="1"/><nd ref="2"/><tag k="highway" v="cycleway"/></way></osm>',
        encoding="utf-8",
    )
    with pytest.raises(parcs.errors.DataError, match="999"):
        parcs.graph_from_osm(path=osm)
    err = one_line_error(capsys, ["build", "--osm", str(osm), "--out", str(tmp_path / "g.gpkg")])
    assert "999" in err
    assert not list(tmp_path.glob("*.gpkg")) and not list(tmp_path.glob(".*"))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["route", "Lens", "Liévin", "--gpx", "/proc/parcs.gpx"], "cannot write in '/proc'"),
        (["route", "Lens", "Liévin", "--gpx", "{tmp}"], "is a folder; give a file name"),
        (["route", "Lens", "Liévin", "--gpx", "{tmp}/r.txt"], "must end in .gpx"),
        (["export", "--out", "{tmp}"], "is a folder; give a file name ending in .gpkg"),
        (["export", "--out", "{tmp}/x.txt"], "must end in .gpkg"),
        (["export", "--format", "geojson", "--out", "{tmp}/g.gpkg"], "with `--format geojson`"),
        (["map", "--out", "{tmp}/m.txt"], "must end in .html"),
    ],
    ids=["gpx in /proc", "gpx folder", "gpx suffix", "export folder", "export suffix",
         "geojson gpkg", "map suffix"],
)  # fmt: skip
def test_output_paths_are_checked_before_any_work(tmp_path, capsys, monkeypatch, argv, message):
    def no_work(*_a, **_k):
        pytest.fail("the command worked before checking its output path")

    monkeypatch.setattr("parcs.routing.route", no_work)
    for command in (cli_route, cli_map):  # each command module holds its own load_graph
        monkeypatch.setattr(command, "load_graph", no_work)
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    err = one_line_error(capsys, argv)
    assert message in err
    assert not (tmp_path / "g.gpkg").exists()


def test_demo_with_a_bad_profile_fails_before_printing_anything(tmp_path, capsys):
    err = one_line_error(capsys, ["demo", "--profile", "X", "--out", str(tmp_path / "d")], rc=2)
    assert "argument --profile: invalid choice: 'x'" in err
    assert not (tmp_path / "d").exists()


# ---------------------------------------------------------------------- a full disk
def _tiny_disk_runs() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-r", "-m", "sh", "-c", "mount -t tmpfs -o size=4k tmpfs /mnt"],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


@pytest.mark.skipif(not _tiny_disk_runs(), reason="needs user namespaces to mount a tiny disk")
@pytest.mark.parametrize(
    ("command", "target"),
    [
        ("route Lens Béthune --gpx {disk}/r.gpx", "r.gpx"),
        ("export --out {disk}/n.gpkg", "n.gpkg"),
        ("map --out {disk}/m.html --tiles none", "m.html"),
    ],
    ids=["gpx", "gpkg", "html"],
)
def test_a_full_disk_is_one_line_and_leaves_nothing(tmp_path, command, target):
    disk = tmp_path / "disk"
    disk.mkdir()
    cli = f"{sys.executable} -m parcs"
    script = (
        f"mount -t tmpfs -o size=4k tmpfs {disk} && {cli} {command.format(disk=disk)}; "
        f'echo "rc=$?"; ls -A {disk}'
    )
    out = subprocess.run(
        ["unshare", "-r", "-m", "sh", "-c", script],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith(f"parcs {command.split()[0]}: error: cannot use '"), lines[0]
    assert target in lines[0]
    assert "a bug" not in lines[0]  # not an unexpected error
    listing = out.stdout.strip().splitlines()
    assert listing == ["rc=1"], listing  # nothing left on the disk, not even a temp file


# ------------------------------------------------------------------- small output defects
def test_gpx_has_7_decimals_and_no_consecutive_duplicates(G, tmp_path):
    path = tmp_path / "r.gpx"
    parcs.route(G, "Lens", "Béthune").to_gpx(path)
    text = path.read_text(encoding="utf-8")
    points = [p for t in gpxpy.parse(text).tracks for s in t.segments for p in s.points]
    assert len(points) > 10
    pairs = list(zip(points, points[1:], strict=False))
    assert not [a for a, b in pairs if (a.latitude, a.longitude) == (b.latitude, b.longitude)]
    for raw in text.split('lat="')[1:50]:
        assert len(raw.split('"')[0].split(".")[1]) <= 7


def test_strip_prints_its_total(capsys):
    assert main(["nodes", "--strip", "Parc de la Fossette", "Site du Pays à part"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1].startswith("total ")
    assert " km" in lines[-1]


def test_summary_prints_a_table_and_gives_a_dict(G):
    s = parcs.summary(G)
    text = repr(s)
    assert "{" not in text
    assert text.splitlines()[0].startswith("network")
    assert "built greenway" in text
    d = s.to_dict()
    assert isinstance(d, dict)
    assert f"{d['built_km']:.1f} km" in text


def test_the_gaps_table_names_places_not_node_ids(capsys):
    assert main(["gaps", "--top", "3"]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("rank"))
    assert header.split()[:3] == ["rank", "from", "to"]
    assert "node " not in out
    assert ".0 " not in out.split("greedy")[0]  # counts are integers


# ------------------------------------------------------------------- interrupted exports
KILLED_EXPORT = """
import os, sys
import geopandas
write = geopandas.GeoDataFrame.to_file
def killed(self, *args, **kwargs):  # the first layer is written, then the process dies
    write(self, *args, **kwargs)
    os._exit(9)
geopandas.GeoDataFrame.to_file = killed
from parcs.cli import main
main(["export", "--out", sys.argv[1]])
"""


def test_a_killed_export_leaves_temp_files_that_the_next_export_removes(tmp_path):
    target = tmp_path / "network.gpkg"
    run = subprocess.run(
        [sys.executable, "-c", KILLED_EXPORT, str(target)], capture_output=True, check=False
    )
    assert run.returncode == 9
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left and all(name.startswith(".network.gpkg") for name in left), left
    assert not target.exists()  # the target is never half-written
    assert main(["export", "--out", str(target)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["network.gpkg"]


def test_a_failed_export_removes_its_temp_file(tmp_path, capsys, monkeypatch):
    import geopandas as gpd

    write = gpd.GeoDataFrame.to_file
    calls = []

    def fail_second(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return write(self, *args, **kwargs)

    monkeypatch.setattr(gpd.GeoDataFrame, "to_file", fail_second)
    err = one_line_error(capsys, ["export", "--out", str(tmp_path / "network.gpkg")])
    assert "No space left on device" in err
    assert list(tmp_path.iterdir()) == []
