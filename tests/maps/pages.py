"""Read what a parcs map page holds, independently of parcs.maps (for the tests).

A parcs page writes each layer as ``var parcs_layer_<id> = parcs.<factory>([map, ]<json>);``
on one line (docs/maps.md). These helpers find those calls, parse the JSON, and decode the
network layers' encoded polylines with a plain-Python version of Google's algorithm.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

CALL_RE = re.compile(
    r"^\s*var (parcs_layer_\w+) = parcs\.(\w+)\((?:map_\w+, )?(.*)\);\s*$", re.MULTILINE
)


def layer_calls(page: str, factory: str | None = None) -> list[dict]:
    """The JSON argument of every ``parcs.<factory>(...)`` layer call, in page order."""
    out = []
    for _var, name, arg in CALL_RE.findall(page):
        if factory is None or name == factory:
            data = json.loads(arg)
            data["_factory"] = name
            out.append(data)
    return out


def decode_polyline(text: str, decimals: int) -> list[tuple[float, float]]:
    """Decode Google's encoded polyline format into (lat, lon) pairs (reference version)."""
    values = []
    result = shift = 0
    for ch in text:
        b = ord(ch) - 63
        result |= (b & 0x1F) << shift
        shift += 5
        if b < 0x20:
            values.append(~(result >> 1) if result & 1 else result >> 1)
            result = shift = 0
    assert result == 0, "truncated polyline"
    assert shift == 0, "truncated polyline"
    assert len(values) % 2 == 0
    lat = lon = 0
    points = []
    for i in range(0, len(values), 2):
        lat += values[i]
        lon += values[i + 1]
        points.append((lat / 10**decimals, lon / 10**decimals))
    return points


def encode_polyline_reference(points: list[tuple[float, float]], decimals: int) -> str:
    """Encode (lat, lon) pairs with Google's algorithm, one value at a time (reference)."""
    out = []
    prev = (0, 0)
    for lat, lon in points:
        q = (round(lat * 10**decimals), round(lon * 10**decimals))
        for value in (q[0] - prev[0], q[1] - prev[1]):
            v = ~(value << 1) if value < 0 else value << 1
            while v >= 0x20:
                out.append(chr((0x20 | (v & 0x1F)) + 63))
                v >>= 5
            out.append(chr(v + 63))
        prev = q
    return "".join(out)


@dataclass
class Edge:
    """One drawn network edge."""

    name: str
    kind_label: str
    km: float
    built: bool
    parts: list[list[tuple[float, float]]]  # (lat, lon) vertices of each part


def network_edges(page: str) -> dict[str, list[Edge]]:
    """The network layers of a page: kind label -> drawn edges."""
    out: dict[str, list[Edge]] = {}
    for d in layer_calls(page, "lines"):
        points = decode_polyline(d["c"], d["p"])
        assert len(points) == sum(d["n"]), "vertex counts do not add up"
        n_feat = len(d["parts"]) if "parts" in d else len(d["n"])
        at = part = 0
        edges = []
        for f in range(n_feat):
            parts = []
            for _ in range(d["parts"][f] if "parts" in d else 1):
                parts.append(points[at : at + d["n"][part]])
                at += d["n"][part]
                part += 1
            built = bool(d["b"][f]) if "b" in d else d["built"]
            name = d["names"][d["ni"][f] if "ni" in d else 0]
            edges.append(Edge(name, d["label"], d["dm"][f] / 100, built, parts))
        assert at == len(points)
        out[d["label"]] = edges
    return out


def geojson_layers(page: str) -> list[dict]:
    """The GeoJSON layers (places, missing links, isochrones, links) of a page."""
    return layer_calls(page, "geojson")


def basemap(page: str) -> dict | None:
    """The base-map layer's data, or None."""
    found = layer_calls(page, "basemap")
    assert len(found) <= 1
    return found[0] if found else None


def fitted_box(page: str) -> tuple[float, float, float, float]:
    """``(south, west, north, east)`` of the page's initial view."""
    found = re.findall(r"parcs\.fit\(map_\w+, (\[\[.*?\]\])\);", page)
    assert len(found) == 1, found
    (s, w), (n, e) = json.loads(found[0])
    return s, w, n, e


def bound(page: str, what: str = "Popup") -> list[str]:
    """Contents of every ``.bindPopup(...)`` (or ``bindTooltip``) string of the page."""
    found = re.findall(rf"\.bind{what}\((\"(?:[^\"\\]|\\.)*\"), \{{", page)
    return [json.loads(s) for s in found]


def legend_html(page: str) -> str:
    """The legend's HTML."""
    found = re.findall(r'<details class="parcs-legend".*?</details>', page, re.DOTALL)
    assert len(found) == 1
    return found[0]


def credits(page: str) -> list[str]:
    """The credits parcs adds to the attribution control (HTML strings)."""
    found = re.findall(r"attributionControl\.addAttribution\((\"(?:[^\"\\]|\\.)*\")\);", page)
    return [json.loads(s) for s in found]
