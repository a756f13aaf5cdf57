"""Drive a real headless Chromium on parcs map pages, offline (helpers of the browser tests).

Needs Debian's ``chromium`` package. Without it the tests are skipped, unless ``CI`` is set, in
which case they fail (CI must install it). :func:`probe` loads a copy of a page with a script
appended that, once the map is up, opens every tooltip and popup, then writes what the page
shows (texts, labels, title, flags a payload would set) as JSON into the DOM for ``--dump-dom``.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import struct
import subprocess
import zlib
from typing import TYPE_CHECKING

import numpy as np
import pytest

if TYPE_CHECKING:
    from pathlib import Path

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


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed but CI is set: install Debian's `chromium`")
    pytest.skip("chromium is not installed (apt-get install chromium); CI is not set")
    raise AssertionError  # unreachable


def run_chromium(tmp_path: Path, page: Path, *extra: str) -> subprocess.CompletedProcess[bytes]:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    profile.mkdir()
    cmd = [
        "timeout",
        "--kill-after=10",
        str(TIMEOUT_S),
        chromium(),
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


#: Notes the labels in view, opens every tooltip and popup (one at a time, the network's group
#: tooltips once per edge), then writes what the page shows into <pre id="parcs-probe">.
PROBE_JS = r"""
window.addEventListener('load', function () { setTimeout(function () {
  var name = Object.keys(window).filter(function (k) {
    return k.indexOf('map_') === 0 && window[k] && window[k].eachLayer; })[0];
  var map = window[name], texts = [];
  function grab(o) { var el = o && o.getElement && o.getElement(); if (el) { texts.push(el.textContent); } }
  // the labels in view as the page opens (popups opened below pan the map)
  var shown = Array.prototype.filter.call(document.querySelectorAll('.parcs-label-icon'),
    function (e) {
      var r = e.firstChild.getBoundingClientRect();
      return e.style.display !== 'none' && r.right > 0 && r.bottom > 0 &&
             r.left < window.innerWidth && r.top < window.innerHeight;
    }).map(function (e) { return e.textContent; });
  function at(l) { return l.getLatLng ? l.getLatLng() : l.getBounds().getCenter(); }
  var layers = [];
  map.eachLayer(function (l) { layers.push(l); });
  layers.forEach(function (l) {
    if (l instanceof L.FeatureGroup && l.getTooltip && l.getTooltip()) {
      l.eachLayer(function (child) {
        var tip = l.getTooltip();
        l.closeTooltip(); tip._source = child;
        l.openTooltip(at(child)); grab(tip);
      });
      l.closeTooltip();
    } else if (l.getTooltip && l.getTooltip()) {
      l.openTooltip(at(l)); grab(l.getTooltip()); l.closeTooltip();
    }
    if (l.getPopup && l.getPopup()) { l.openPopup(at(l)); grab(l.getPopup()); l.closePopup(); }
  });
  setTimeout(function () {
    var q = function (s) { return Array.prototype.map.call(document.querySelectorAll(s),
                                                           function (e) { return e.textContent; }); };
    var out = document.createElement('pre');
    out.id = 'parcs-probe';
    out.textContent = JSON.stringify({
      title: document.title, texts: texts, labels: q('.parcs-label'), shownLabels: shown,
      layers: q('.leaflet-control-layers-overlays label'), legend: q('.parcs-legend').join(''),
      attribution: q('.leaflet-control-attribution').join(''),
      imgs: document.querySelectorAll('img[src="x"]').length,
      svgs: document.querySelectorAll('svg[onload]').length,
      pwnedAttr: document.documentElement.getAttribute('data-pwned'),
      pwned: window.pwned === undefined ? null : String(window.pwned),
      zoom: map.getZoom()
    });
    document.body.appendChild(out);
  }, 800);
}, 300); });
"""
PROBE_RE = re.compile(r'<pre id="parcs-probe">(.*?)</pre>', re.DOTALL)


def probe(tmp_path: Path, page: Path, *extra: str) -> dict:
    """Load `page` (a copy with :data:`PROBE_JS`) and return what it showed."""
    text = page.read_text(encoding="utf-8")
    probed = page.with_name(page.stem + "-probe.html")
    probed.write_text(
        text.replace("</html>", f"<script>{PROBE_JS}</script></html>"), encoding="utf-8"
    )
    proc = run_chromium(tmp_path, probed, "--dump-dom", *extra)
    dom = proc.stdout.decode("utf-8")
    found = PROBE_RE.findall(dom)
    assert len(found) == 1, "the probe did not run"
    return json.loads(html.unescape(found[0]))
