"""Shared fixtures.

``tiny_graph`` is a HAND-MADE fixture (not geodata): six nodes on a 1 km grid placed in
Lambert-93 near Lens, with every attribute of the parcs graph format
(``docs/graph-format.md``), so that expected answers can be worked out by hand.

    n1 ---- n2 ---- n3        y = 7 032 000
    |       |
    n4 ---- n5      n6        y = 7 031 000
                    (n6 joined to n3 by a 500 m straight gap connector... see below)

Edges (both directions): 1-2 cavalier 1000 m, 2-3 eurovelo 1000 m, 1-4 cavalier 1000 m,
2-5 cavalier (EV5 on it) 1000 m, 4-5 cavalier 1000 m, 3-6 connector: straight 1000 m,
est_length = 1000 × 1.5 (detour factor of this fixture).
"""

from __future__ import annotations

import os

# stderr must hold only what a test expects: numba's one-line compile notice depends on the
# state of the cache, so it is off in tests (tests/kernels/test_jit.py turns it on to test it)
os.environ.setdefault("PARCS_COMPILE_NOTICE", "0")

import networkx as nx
import pytest
from hypothesis import settings
from pyproj import Transformer
from shapely.geometry import LineString

# Property tests: 200 examples each in CI (`CI` set, as in .ci/run), 50 on a developer's
# machine; `HYPOTHESIS_PROFILE=ci` asks for the CI count locally. Tests do not set their own
# max_examples below 200, so the profile decides.
settings.register_profile("ci", max_examples=200, deadline=None, derandomize=True)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)

X0, Y0 = 690_000.0, 7_032_000.0
DETOUR = 1.5


def make_tiny_graph() -> nx.MultiDiGraph:
    """Build the hand-made six-node fixture graph (see module docstring)."""
    coords = {
        1: (X0, Y0),
        2: (X0 + 1000, Y0),
        3: (X0 + 2000, Y0),
        4: (X0, Y0 - 1000),
        5: (X0 + 1000, Y0 - 1000),
        6: (X0 + 2000, Y0 - 1000),
    }
    to_wgs = Transformer.from_crs(2154, 4326, always_xy=True)
    G = nx.MultiDiGraph(crs="EPSG:2154", name="tiny hand-made fixture", source="fixture")
    for n, (x, y) in coords.items():
        lon, lat = to_wgs.transform(x, y)
        G.add_node(n, x=x, y=y, lon=lon, lat=lat)
    edges = [
        (1, 2, "cavalier", False, "Cavalier A"),
        (2, 3, "eurovelo", True, "EV5"),
        (1, 4, "cavalier", False, "Cavalier B"),
        (2, 5, "cavalier", True, "Cavalier C"),
        (4, 5, "cavalier", False, ""),
        (3, 6, "connector", False, ""),
    ]
    for u, v, kind, ev, name in edges:
        line = LineString([coords[u], coords[v]])
        built = kind != "connector"
        attrs = {
            "length": line.length,
            "est_length": line.length * (1.0 if built else DETOUR),
            "kind": kind,
            "eurovelo": ev,
            "routes": "EV5" if ev else "",
            "name": name,
            "source": "gap" if not built else ("eurovelo5" if kind == "eurovelo" else "cavaliers"),
            "built": built,
            "surface": "",
        }
        G.add_edge(u, v, 0, geometry=line, **attrs)
        G.add_edge(v, u, 0, geometry=LineString(line.coords[::-1]), **attrs)
    for n in G.nodes:
        G.nodes[n]["street_count"] = len(set(G.successors(n)))
    return G


@pytest.fixture
def tiny_graph() -> nx.MultiDiGraph:
    return make_tiny_graph()


@pytest.fixture(scope="session")
def artois() -> nx.MultiDiGraph:
    """The embedded Artois network, built once per session. Do not mutate it: copy first."""
    import parcs  # noqa: PLC0415

    return parcs.load_network()
