"""The rider's handout: the PDF is rendered to PNG with pdftoppm and looked at; the GPX is read
back with gpxpy and compared with the strip of the route."""

from __future__ import annotations

import shutil
import subprocess

import gpxpy
import numpy as np
import pytest
from PIL import Image

import parcs
from parcs.errors import ValidationError
from parcs.junctions import points_noeuds
from parcs.junctions.planning import strip_stops
from tests.junctions.reference import make_graph
from tests.samples import OSM_SAMPLES, needs_osm_samples

X0, Y0 = 690_000.0, 7_032_000.0
needs_pdftoppm = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm missing")


def render(pdf, tmp_path):
    """Pages of `pdf` as RGB arrays (pdftoppm, 50 dpi)."""
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    return [np.asarray(Image.open(p).convert("RGB")) for p in pages]


def assert_printed_page(img):
    h, w, _ = img.shape
    assert h / w == pytest.approx(297 / 210, rel=0.02)  # A4 portrait
    dark = (img.sum(axis=2) < 600).mean()
    red = ((img[..., 0] > 150) & (img[..., 1] < 110) & (img[..., 2] < 110)).mean()
    assert dark > 0.01  # text, numbers, lines: not blank
    assert red > 0.002  # the ride and the circled numbers are drawn in red
    # something in each part of the page: strip (top), map (middle), km by kind (bottom)
    for band in (img[: h // 5], img[h // 4 : 3 * h // 4], img[4 * h // 5 :]):
        assert (band.sum(axis=2) < 600).mean() > 0.001


@pytest.fixture(scope="module")
def grid_net():
    n, step = 6, 1200.0
    coords = {i * n + j: (X0 + step * i, Y0 + step * j) for i in range(n) for j in range(n)}
    edges = [(i * n + j, i * n + j + 1) for i in range(n) for j in range(n - 1)]
    edges += [(i * n + j, (i + 1) * n + j) for i in range(n - 1) for j in range(n)]
    kinds = ["cavalier" if k % 3 else "path" for k in range(len(edges))]
    G = make_graph(coords, edges, kinds=kinds)
    return points_noeuds(
        G, network="all", include_places=False, prune_links=False, min_reuse_m=2000.0
    )


@needs_pdftoppm
def test_handout_of_a_loop(grid_net, tmp_path):
    start = int(grid_net.junctions.index[grid_net.junctions["degree"] == 4][0])
    (loop,) = grid_net.loop(start, km=12, n=1)
    files = grid_net.handout(loop, tmp_path / "ride.pdf")
    assert files == [tmp_path / "ride.pdf", tmp_path / "ride.gpx"]
    pages = render(files[0], tmp_path)
    assert len(pages) == 1  # one printable page
    assert_printed_page(pages[0])
    gpx = gpxpy.parse(files[1].read_text(encoding="utf-8"))
    stops = strip_stops(grid_net, loop)
    assert [w.name for w in gpx.waypoints] == [s.ref for s in stops]
    assert stops[0].ref == stops[-1].ref  # a loop comes back to its first junction
    # waypoint descriptions: the distance from the start, the last one the total
    assert gpx.waypoints[-1].description == f"{loop.length_m / 1000:.1f} km"
    (track,) = gpx.tracks
    pts = track.segments[0].points
    assert len(pts) >= len(stops)
    # the track follows the route (independent length on the ellipsoid, within 0.5 %)
    assert track.length_2d() == pytest.approx(loop.length_m, rel=0.005)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp file left


@needs_pdftoppm
def test_handout_of_a_plan_and_of_a_route_of_the_graph(grid_net, tmp_path):
    j = grid_net.junctions
    a = int(j.index[0])
    b = min(grid_net.neighbours(a))
    plan = grid_net.plan(a, [int(j.at[b, "number"])])
    pdf, gpx_path = grid_net.handout(plan, tmp_path / "plan.pdf", title="Sortie du dimanche")
    assert_printed_page(render(pdf, tmp_path)[0])
    gpx = gpxpy.parse(gpx_path.read_text(encoding="utf-8"))
    assert [w.name for w in gpx.waypoints] == [str(j.at[a, "ref"]), str(j.at[b, "ref"])]
    assert gpx.name == "Sortie du dimanche"
    r = parcs.route(grid_net.graph, int(j.index[0]), int(j.index[-1]))
    pdf2, gpx2 = grid_net.handout(r, tmp_path / "route.pdf")
    names = [w.name for w in gpxpy.parse(gpx2.read_text(encoding="utf-8")).waypoints]
    assert names == [s.ref for s in strip_stops(grid_net, r)]
    assert len(names) >= 3


def test_handout_refuses_bad_paths_and_objects(grid_net, tmp_path):
    a = int(grid_net.junctions.index[0])
    plan = grid_net.plan(a, [])
    with pytest.raises(ValidationError, match=r"\.pdf"):
        grid_net.handout(plan, tmp_path / "ride.png")
    with pytest.raises(ValidationError, match="Route"):
        grid_net.handout("not a route", tmp_path / "ride.pdf")
    assert list(tmp_path.iterdir()) == []


@needs_pdftoppm
def test_handout_text_is_not_interpreted(grid_net, tmp_path):
    """A title with matplotlib math or markup is drawn as is, without error."""
    a = int(grid_net.junctions.index[0])
    plan = grid_net.plan(a, [int(grid_net.junctions.at[min(grid_net.neighbours(a)), "number"])])
    title = r"$\frac{1}{0}$ <script>alert(1)</script> \undefined{"
    pdf, gpx_path = grid_net.handout(plan, tmp_path / "odd.pdf", title=title)
    assert_printed_page(render(pdf, tmp_path)[0])
    assert gpxpy.parse(gpx_path.read_text(encoding="utf-8")).name == title


@needs_pdftoppm
@needs_osm_samples
def test_handout_on_an_imported_network(tmp_path):
    net = parcs.read_node_network(OSM_SAMPLES / "knooppuntnet-10887712.xml")
    start = int(net.junctions.index[net.junctions["degree"] >= 3][0])
    (loop,) = net.loop(start, km=20, n=1)
    pdf, gpx_path = net.handout(loop, tmp_path / "rcn.pdf")
    assert_printed_page(render(pdf, tmp_path)[0])
    gpx = gpxpy.parse(gpx_path.read_text(encoding="utf-8"))
    assert [w.name for w in gpx.waypoints] == [s.ref for s in strip_stops(net, loop)]
