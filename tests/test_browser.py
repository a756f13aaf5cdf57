"""Open parcs maps in a real headless Chromium, offline, and check what it renders.

Needs Debian's ``chromium`` package (helpers in ``tests/maps/browser.py``). Without it the
tests are skipped, unless ``CI`` is set, in which case they fail (CI must install it).
"""

from __future__ import annotations

import re
import struct
import zlib

import numpy as np
import pytest
from tests.maps.browser import decode_png, probe, run_chromium

import parcs
from parcs import maps

pytestmark = pytest.mark.browser

CAVALIER_RGB = (0x2E, 0x7D, 0x32)
COMMUNE_FILL_RGB = (0xF8, 0xF6, 0xF0)  # parcs.css / parcs.js base map
BACKGROUND_RGB = (0xDF, 0xE3, 0xDA)  # .parcs-notiles


def test_png_decoder_on_known_image():
    # a 3x2 RGB image, each row with a different filter, built by hand
    pixels = np.array(
        [[[255, 0, 0], [0, 255, 0], [0, 0, 255]], [[10, 20, 30], [40, 50, 60], [70, 80, 90]]],
        dtype=np.uint8,
    )
    row0 = b"\x00" + pixels[0].tobytes()
    sub = pixels[1].astype(np.int32).reshape(-1)
    sub_f = np.concatenate([sub[:3], (sub[3:] - sub[:-3]) % 256]).astype(np.uint8)
    row1 = b"\x01" + sub_f.tobytes()
    ihdr = struct.pack(">IIBBBBB", 3, 2, 8, 2, 0, 0, 0)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(row0 + row1))
        + chunk(b"IEND", b"")
    )
    assert (decode_png(png) == pixels).all()


@pytest.fixture(scope="module")
def network():
    return parcs.load_network()


@pytest.fixture(scope="module")
def junction_net(network):
    return parcs.points_noeuds(network)


@pytest.fixture(scope="module")
def a_route(network):
    return parcs.route(network, "Lens", "Liévin")


def _expected_paths(G) -> int:
    """Independent count: one SVG path per undirected edge and per park/terril polygon."""
    edges = sum(1 for u, v, _k in G.edges(keys=True) if u < v)
    places = G.graph["parcs_places"]
    return edges + int((places["kind"] != "commune").sum())


@pytest.mark.parametrize("tiles", [None, "OpenStreetMap"])
def test_dom_offline(tmp_path, network, junction_net, a_route, tiles):
    page = maps.save_map(
        network, tmp_path / "map.html", tiles=tiles, junctions=junction_net, routes=[a_route]
    )
    proc = run_chromium(tmp_path, page, "--dump-dom")
    dom = proc.stdout.decode("utf-8")
    assert "leaflet-container" in dom
    n_paths = len(re.findall(r'<path[^>]*class="[^"]*leaflet-interactive', dom))
    expected = _expected_paths(network)
    # network edges + parks, plus the route line (junction links are a hidden layer; the base
    # map's outlines are not interactive)
    assert n_paths == expected + 1
    n_junctions = len(re.findall(r'class="parcs-junction"', dom))
    assert n_junctions == len(junction_net.junctions)
    assert len(re.findall(r'class="parcs-endpoint"', dom)) == 2
    assert "parcs-legend" in dom
    assert "leaflet-control-layers" in dom
    labels = re.findall(r'<span class="parcs-label[^"]*">([^<]*)</span>', dom)
    communes = parcs.places(network, kind="commune")
    if tiles is None:  # the offline base map names every commune
        assert sorted(labels) == sorted(communes["name"])
    else:
        assert labels == []


def test_every_tooltip_and_popup_opens(tmp_path, network, junction_net, a_route):
    """Each network edge's tooltip, each junction's, each park's popup show their text."""
    gaps = parcs.missing_links(network)
    page = maps.save_map(
        network,
        tmp_path / "map.html",
        tiles=None,
        junctions=junction_net,
        routes=[a_route],
        links=gaps,
    )
    seen = probe(tmp_path, page)
    texts = seen["texts"]
    n_edges = sum(1 for u, v, _k in network.edges(keys=True) if u < v)
    assert sum(t.startswith(("Name", "Kind")) for t in texts) >= n_edges
    junction_tips = [t for t in texts if t.startswith("Point-nœud ")]
    assert len(junction_tips) == len(junction_net.junctions)
    terrils = parcs.places(network, kind="terril")
    for name in terrils["name"].head(5):
        assert any(t.startswith(f"Name{name}") for t in texts), name
    # missing-link popups carry the commune column of parcs.missing_links
    assert any(f"Commune{gaps['commune'].iloc[0]}" in t for t in texts)
    assert "Lens → Liévin" in " ".join(texts)
    assert seen["pwned"] is None


def _colour_share(rgb: np.ndarray, colour: tuple[int, int, int], tol: int = 6) -> float:
    return float((np.abs(rgb - np.array(colour)).max(axis=-1) <= tol).mean())


def test_offline_screenshot_shows_towns(tmp_path, network, junction_net):
    """The README's map (docs/screenshot.png), offline: a trail map with the towns' names."""
    route = parcs.route(network, "Parc de la Lawe", "Calonnix - Parc de la clarence")
    page = maps.save_map(
        network, tmp_path / "map.html", tiles=None, routes=[route], junctions=junction_net
    )
    size = "--window-size=1000,640"
    seen = probe(tmp_path, page, size)
    communes = set(parcs.places(network, kind="commune")["name"])
    shown = set(seen["shownLabels"])
    assert len(shown) >= 10, shown  # town names are in view, not only in the DOM
    assert shown <= communes
    assert {"Bruay-la-Buissière", "Auchel", "Labeuvrière"} <= shown  # towns along this route
    assert "Mission Bassin Minier" in seen["attribution"]
    png = tmp_path / "shot.png"
    run_chromium(tmp_path, page, f"--screenshot={png}", size)
    rgb = decode_png(png.read_bytes())[..., :3].astype(np.int32)
    assert rgb.shape[:2] == (640, 1000)
    assert len(np.unique(rgb.reshape(-1, 3), axis=0)) > 200  # not a blank or flat image
    assert _colour_share(rgb, COMMUNE_FILL_RGB) > 0.25  # communes drawn, as the base
    assert _colour_share(rgb, BACKGROUND_RGB) < 0.5
    assert _colour_share(rgb, CAVALIER_RGB, tol=24) > 0.002  # the network on top
    dark = (rgb.max(axis=-1) < 90).mean()  # label text, junction numbers, outlines
    assert dark > 0.002


def test_screenshot_not_blank(tmp_path, network, a_route):
    page = maps.save_map(network, tmp_path / "map.html", tiles=None, routes=[a_route])
    png = tmp_path / "shot.png"
    run_chromium(tmp_path, page, f"--screenshot={png}", "--window-size=800,600")
    img = decode_png(png.read_bytes())
    assert img.shape[:2] == (600, 800)
    rgb = img[..., :3].astype(np.int32)
    assert rgb.std() > 10  # not a blank page
    # the cavalier colour is drawn (lines of the network layer)
    near = np.abs(rgb - np.array(CAVALIER_RGB)).max(axis=-1) <= 24
    assert near.sum() > 500
