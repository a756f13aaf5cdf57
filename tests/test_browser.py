"""Open parcs maps in a real headless Chromium, offline, and check what it renders.

Needs Debian's ``chromium`` package. Without it the tests are skipped, unless ``CI`` is set, in
which case they fail (CI must install it).
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import zlib
from typing import TYPE_CHECKING

import numpy as np
import pytest

import parcs
from parcs import maps

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.browser

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
)
TIMEOUT_S = 90
CAVALIER_RGB = (0x2E, 0x7D, 0x32)


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed but CI is set: install Debian's `chromium`")
    pytest.skip("chromium is not installed (apt-get install chromium); CI is not set")
    raise AssertionError  # unreachable


def _run_chromium(tmp_path: Path, page: Path, *extra: str) -> subprocess.CompletedProcess[bytes]:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    profile.mkdir()
    cmd = [
        "timeout",
        "--kill-after=10",
        str(TIMEOUT_S),
        _chromium(),
        *FLAGS,
        f"--user-data-dir={profile}",
        "--virtual-time-budget=5000",
        "--enable-logging=stderr",
        "--v=0",
        *extra,
        page.resolve().as_uri(),
    ]
    proc = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT_S + 20, check=False)
    stderr = proc.stderr.decode(errors="replace")
    assert proc.returncode == 0, stderr[-2000:]
    js_errors = [line for line in stderr.splitlines() if "CONSOLE" in line and "Uncaught" in line]
    assert not js_errors, js_errors
    return proc


def decode_png(data: bytes) -> np.ndarray:  # noqa: C901, PLR0912
    """Decode an 8-bit, non-interlaced RGB/RGBA PNG into an (h, w, channels) uint8 array."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, [], None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        ctype = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if ctype == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif ctype == b"IDAT":
            idat.append(body)
        elif ctype == b"IEND":
            break
        pos += 12 + length
    assert header is not None
    width, height, depth, color, _comp, _filt, interlace = header
    assert depth == 8, header
    assert interlace == 0, header
    assert color in (2, 6), header
    bpp = 3 if color == 2 else 4
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), dtype=np.uint8)
    stride = width * bpp
    rows = raw.reshape(height, stride + 1)
    out = np.zeros((height, stride), dtype=np.int32)
    prev = np.zeros(stride, dtype=np.int32)
    for y in range(height):
        ftype, line = rows[y, 0], rows[y, 1:].astype(np.int32)
        if ftype == 0:
            cur = line
        elif ftype == 2:
            cur = (line + prev) % 256
        elif ftype == 1:
            cur = line.copy()
            for x in range(bpp, stride):
                cur[x] = (cur[x] + cur[x - bpp]) % 256
        else:
            cur = np.zeros(stride, dtype=np.int32)
            for x in range(stride):
                a = cur[x - bpp] if x >= bpp else 0
                b = prev[x]
                if ftype == 3:
                    cur[x] = (line[x] + (a + b) // 2) % 256
                else:  # Paeth
                    c = prev[x - bpp] if x >= bpp else 0
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if (pa <= pb and pa <= pc) else (b if pb <= pc else c)
                    cur[x] = (line[x] + pred) % 256
        out[y] = cur
        prev = cur
    return out.reshape(height, width, bpp).astype(np.uint8)


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
    proc = _run_chromium(tmp_path, page, "--dump-dom")
    dom = proc.stdout.decode("utf-8")
    assert "leaflet-container" in dom
    n_paths = len(re.findall(r'<path[^>]*class="[^"]*leaflet-interactive', dom))
    expected = _expected_paths(network)
    # network edges + parks, plus the route line (junction links are a hidden layer)
    assert n_paths == expected + 1
    n_junctions = len(re.findall(r'class="parcs-junction"', dom))
    assert n_junctions == len(junction_net.junctions)
    assert len(re.findall(r'class="parcs-endpoint"', dom)) == 2
    assert "parcs-legend" in dom
    assert "leaflet-control-layers" in dom


def test_screenshot_not_blank(tmp_path, network, a_route):
    page = maps.save_map(network, tmp_path / "map.html", tiles=None, routes=[a_route])
    png = tmp_path / "shot.png"
    _run_chromium(tmp_path, page, f"--screenshot={png}", "--window-size=800,600")
    img = decode_png(png.read_bytes())
    assert img.shape[:2] == (600, 800)
    rgb = img[..., :3].astype(np.int32)
    assert rgb.std() > 10  # not a blank page
    # the cavalier colour is drawn (lines of the network layer)
    near = np.abs(rgb - np.array(CAVALIER_RGB)).max(axis=-1) <= 24
    assert near.sum() > 500
