"""Tests of parcs.metrics on HAND-MADE and RANDOM graphs (not geodata).

Every indicator is checked against values worked out by hand, and against the independent
networkx/shapely reference of ``tests/links/reference.py`` (written from the formulas) on
random graphs with a mix of greenway kinds, roads and unbuilt connectors, for place pairs,
node pairs and seeded samples. The real OSM samples are in ``tests/test_places_anywhere.py``.
"""

from __future__ import annotations

import itertools
import logging
import math

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import parcs
from parcs.errors import ValidationError
from parcs.links import metrics, metrics_table
from tests.links import reference as ref

REL = 1e-9


def build_graph(coords, edges, *, detour=1.5):
    """edges: [(u, v, kind, built, factor)]; length = straight × factor (HAND-MADE / RANDOM)."""
    G = nx.MultiDiGraph(crs="EPSG:2154", detour_factor=detour, max_gap_m=600.0)
    for n, (x, y) in coords.items():
        G.add_node(n, x=float(x), y=float(y))
    for u, v, kind, built, factor in edges:
        line = shapely.LineString([coords[u], coords[v]])
        length = line.length * factor
        attrs = {
            "length": length,
            "est_length": length * (1 if built else detour),
            "built": built,
            "kind": kind if built else "connector",
        }
        G.add_edge(u, v, geometry=line, **attrs)
        G.add_edge(v, u, geometry=shapely.LineString(line.coords[::-1]), **attrs)
    return G


def make_places(rows):
    recs = [
        {
            "slug": s,
            "name": s.upper(),
            "kind": k,
            "population": pop,
            "area_ha": a,
            "access_nodes": tuple(acc),
            "geometry": shapely.box(x - h, y - h, x + h, y + h) if h else shapely.Point(x, y),
        }
        for s, k, (x, y), h, pop, a, acc in rows
    ]
    return gpd.GeoDataFrame(recs, geometry="geometry", crs="EPSG:2154").set_index("slug")


def hand_instance():
    # 0 ---1000--- 1  (connector 400 m)  2 ---1000--- 3
    coords = {0: (0, 0), 1: (1000, 0), 2: (1400, 0), 3: (2400, 0)}
    G = build_graph(
        coords, [(0, 1, "cavalier", True, 1), (2, 3, "cycleway", True, 1), (1, 2, "", False, 1)]
    )
    places = make_places(
        [
            ("park_a", "terril", (0, 0), 50, 0, 10.0, [0]),
            ("park_b", "espace_neonaturel", (1400, 0), 50, 0, 5.0, [2]),
            ("town", "commune", (2400, 0), 500, 1000, 0.0, [3]),
        ]
    )
    return G, places


# ------------------------------------------------------------------------------------------
# hand-made values
# ------------------------------------------------------------------------------------------
def test_hand_made_indicators():
    G, places = hand_instance()
    m = metrics(G, places=places)
    assert m.length_km == pytest.approx(2.0)
    assert m.n_nodes == 4
    assert m.n_components == 2
    assert m.largest_component_km == pytest.approx(1.0)
    assert m.largest_component_share == pytest.approx(0.5)
    # pairs: A-B straight 1300 unreachable, A-town 1850 unreachable, B-town 450 vs 1000
    assert (m.n_pairs, m.n_reachable_pairs) == (3, 1)
    assert m.directness == pytest.approx(0.45)
    assert m.straightness == pytest.approx(0.45 / 3)
    assert m.global_efficiency == pytest.approx((1 / 1000) / (1 / 1300 + 1 / 1850 + 1 / 450))
    # both components have 1 km: ties go to the one with the smallest node id (0-1, park A)
    assert m.directness_lcc != m.directness_lcc  # only park A lies on it: no pair
    # every node has one neighbour: local efficiency 0
    assert m.local_efficiency == 0.0
    # two 1 km segments, 500 m buffers, 400 m apart: the stadiums overlap
    one = 1000 * 1000 + math.pi * 500**2
    # shapely.buffer's default: each quarter circle drawn with 8 segments
    lines = [shapely.LineString([(0, 0), (1000, 0)]), shapely.LineString([(1400, 0), (2400, 0)])]
    assert m.coverage_km2 == pytest.approx(
        shapely.union_all([ln.buffer(500, quad_segs=8) for ln in lines]).area / 1e6, rel=REL
    )
    assert m.coverage_km2 < 2 * one / 1e6
    assert (m.n_places, m.places_covered, m.places_covered_share) == (3, 3, 1.0)
    # 500 m buffer of segment 2-3 covers the 1 km² town box except two corners beyond x=2400
    covered = 500 * 1000 + math.pi * 500**2 / 2
    assert m.population_500m == pytest.approx(1000 * covered / 1e6, rel=5e-3)
    assert m.population_1km == pytest.approx(1000.0)
    assert m.share_1km == pytest.approx(1.0)
    row = m.per_commune.loc["town"]
    assert row["parks_5km"] == 1
    assert m.parks_5km_mean == pytest.approx(1.0)
    d = m.to_dict()
    assert "per_commune" not in d
    assert isinstance(d["n_components"], int) and d["pairs"] == "places" and d["sampled"] is False


def test_hand_made_with_extra_edge():
    G, places = hand_instance()
    m = metrics(G, places=places, extra_edges=[(1, 2, 600.0)])
    assert m.length_km == pytest.approx(2.6)
    assert m.n_components == 1
    assert m.largest_component_km == pytest.approx(2.6)
    assert m.directness == pytest.approx((1300 + 1850 + 450) / (1600 + 2600 + 1000))
    assert m.directness_lcc == pytest.approx(m.directness)
    assert m.straightness == pytest.approx((1300 / 1600 + 1850 / 2600 + 450 / 1000) / 3)
    assert m.global_efficiency == pytest.approx(
        (1 / 1600 + 1 / 2600 + 1 / 1000) / (1 / 1300 + 1 / 1850 + 1 / 450)
    )
    # nodes 1 and 2 now have two neighbours each, not linked to each other: E = 0
    assert m.local_efficiency == 0.0
    assert m.per_commune.loc["town", "parks_5km"] == 2
    with pytest.raises(ValidationError, match="`extra_edges`"):
        metrics(G, places=places, extra_edges=[(1, 99, 10.0)])
    with pytest.raises(ValidationError, match=r"`extra_edges`\[0\].*not \(u, v, length_m\)"):
        metrics(G, places=places, extra_edges=[("a", 2, 10.0)])


def test_local_efficiency_of_a_triangle_with_a_tail_hand_made():
    """HAND-MADE: triangle 0-1-2 (unit sides) plus 2-3; normalised by straight distances."""
    h = math.sqrt(3) / 2
    coords = {0: (0, 0), 1: (1000, 0), 2: (500, 1000 * h), 3: (500, 2000)}
    G = build_graph(
        coords,
        [
            (0, 1, "cycleway", True, 1),
            (1, 2, "cycleway", True, 1),
            (2, 0, "cycleway", True, 1),
            (2, 3, "cycleway", True, 1),
        ],
    )
    m = metrics(G, pairs="nodes")
    # node 0: neighbours 1, 2 joined by a 1000 m edge, straight 1000 -> 1; same for node 1;
    # node 2: neighbours 0, 1, 3: only 0-1 joined (1000 m); node 3: one neighbour -> 0
    s03, s13 = math.dist(coords[0], coords[3]), math.dist(coords[1], coords[3])
    e2 = (2 / 1000) / (2 / 1000 + 2 / s03 + 2 / s13)
    assert m.local_efficiency == pytest.approx((1 + 1 + e2 + 0) / 4, rel=REL)
    assert m.n_pairs == 6


def test_places_under_a_millimetre_apart_are_no_pair_hand_made():
    """HAND-MADE: two towns 1e-200 m and 0.5 mm apart are the same spot; a third 1 km away.

    Found by the 200-example CI profile: numpy's straight distance was 1.8e-200 where GEOS
    gives 0, so 1/straight overflowed and E_glob came out 0.0 instead of the pairs' value.
    """
    coords = {0: (0, 0), 1: (1000, 0)}
    G = build_graph(coords, [(0, 1, "cavalier", True, 1)])
    places = make_places(
        [
            ("a", "commune", (0, 0), 0, 100, 0.0, [0]),
            ("b", "commune", (1.8e-200, 0), 0, 100, 0.0, [0]),
            ("c", "commune", (0.0005, 0), 0, 100, 0.0, [0]),
            ("d", "commune", (1000, 0), 0, 100, 0.0, [1]),
        ]
    )
    parcs.attach_places(G, places)
    m = metrics(G)  # pytest turns numpy's overflow warning into an error
    assert m.n_pairs == 3  # a-d, b-d, c-d; none of a-b, a-c, b-c
    assert m.global_efficiency == pytest.approx(1.0)  # each pair's path is straight
    assert m.directness == pytest.approx(1.0)


def test_metrics_table_matches_stepwise_metrics():
    G, places = hand_instance()
    plan = gpd.GeoDataFrame({"u": [1, 0], "v": [2, 3], "length_m": [600.0, 3000.0]})
    table = metrics_table(G, plan, places=places)
    assert list(table.columns) == ["before", "step 1", "step 2"]
    assert table.loc["length_km", "step 2"] == pytest.approx(5.6)
    assert table.loc["directness", "step 1"] == pytest.approx(
        metrics(G, places=places, extra_edges=[(1, 2, 600.0)]).directness
    )


def test_bad_options():
    G, places = hand_instance()
    for kw, needle in (
        ({"pairs": "edges"}, "`pairs`"),
        ({"sample": 1}, "`sample`"),
        ({"sample": 2.5}, "`sample`"),
        ({"seed": -1}, "`seed`"),
        ({"buffer_m": 0}, "`buffer_m`"),
        ({"greenway": ["towpath"]}, "no built edge"),
        ({"greenway": []}, "`greenway`"),
        ({"greenway": ["all", "cycleway"]}, "'all'"),
    ):
        with pytest.raises(ValidationError, match=needle):
            metrics(G, places=places, **kw)


def test_greenway_layer_choice_and_fallback(caplog):
    """HAND-MADE: a cycleway, a road and a path; the layer decides what is measured."""
    coords = {0: (0, 0), 1: (1000, 0), 2: (2000, 0), 3: (3000, 0)}
    edges = [(0, 1, "cycleway", True, 1), (1, 2, "connector", True, 1), (2, 3, "path", True, 1)]
    G = build_graph(coords, edges)
    assert metrics(G, pairs="nodes").length_km == pytest.approx(1.0)
    assert metrics(G, pairs="nodes", greenway="all").length_km == pytest.approx(3.0)
    assert metrics(G, pairs="nodes", greenway=["cycleway", "path"]).n_components == 2
    G2 = build_graph(coords, [(0, 1, "path", True, 1), (1, 2, "path", True, 1)])
    with caplog.at_level(logging.INFO, logger="parcs"):
        m = metrics(G2, pairs="nodes")
    assert m.length_km == pytest.approx(2.0)
    assert "using every built edge" in caplog.text
    # route members belong to the default layer whatever their kind
    G3 = build_graph(coords, edges)
    for u, v in ((2, 3), (3, 2)):
        G3.edges[u, v, 0]["routes"] = "EV6"
    assert metrics(G3, pairs="nodes").length_km == pytest.approx(2.0)
    assert metrics(G3, pairs="nodes", greenway=["cycleway"]).length_km == pytest.approx(1.0)


def test_no_places_measures_a_seeded_node_sample(caplog):
    coords = {i: (1000.0 * i, 37.0 * (i % 3)) for i in range(8)}
    G = build_graph(coords, [(i, i + 1, "cycleway", True, 1.2) for i in range(7)])
    with caplog.at_level(logging.INFO, logger="parcs"):
        m = metrics(G, sample=5)
    assert "sample of 5" in caplog.text
    assert (m.pairs, m.n_points, m.sampled, m.n_pairs) == ("nodes", 5, True, 10)
    nodes = ref.sample_places(G, 5)["access_nodes"].map(lambda a: a[0]).tolist()
    want = ref.metrics(G, None, pairs="nodes", nodes=nodes)
    assert m.global_efficiency == pytest.approx(want["global_efficiency"], rel=REL)
    assert metrics(G, sample=5, seed=1).n_points == 5
    assert math.isnan(m.places_covered_share) and m.n_places == 0


# ------------------------------------------------------------------------------------------
# every indicator vs the independent reference, on random graphs (RANDOM, not geodata)
# ------------------------------------------------------------------------------------------
KINDS = ["cycleway", "cavalier", "towpath", "connector", "track", "path"]


@st.composite
def instance(draw, *, points_only=False):
    n = draw(st.integers(4, 10))
    coords = {
        i: (draw(st.integers(0, 4000)), draw(st.integers(0, 4000)) + 0.5 * i) for i in range(n)
    }
    pairs = list(itertools.combinations(range(n), 2))
    chosen = draw(st.lists(st.sampled_from(pairs), min_size=2, max_size=2 * n, unique=True))
    edges = [
        (
            u,
            v,
            draw(st.sampled_from(KINDS)),
            draw(st.booleans()) or draw(st.booleans()),
            draw(st.floats(1.0, 2.5)),
        )
        for u, v in chosen
    ]
    if not any(k in {"cycleway", "cavalier", "towpath"} and b for _, _, k, b, _ in edges):
        u, v, _, _, f = edges[0]
        edges[0] = (u, v, "cycleway", True, f)
    G = build_graph(coords, edges)
    rows = []
    for k in range(draw(st.integers(2, 6))):
        acc = draw(st.lists(st.integers(0, n - 1), min_size=0, max_size=2, unique=True))
        x, y = coords[acc[0]] if acc else (draw(st.integers(0, 4000)), 100)
        kind = draw(st.sampled_from(["commune", "terril", "town", "park", "station"]))
        half = 0 if points_only or kind in {"town", "station"} else draw(st.integers(5, 150))
        rows.append(
            (
                f"p{k}",
                kind,
                (x + 7 * k, y),
                half,
                100 if kind in {"commune", "town"} else 0,
                0.0 if kind in {"commune", "town", "station"} else 3.0,
                acc,
            )
        )
    return G, make_places(rows)


def check_all(got, want):
    for key, value in want.items():
        g = getattr(got, key)
        if isinstance(value, float) and math.isnan(value):
            assert math.isnan(g), key
        else:
            assert g == pytest.approx(value, rel=REL, abs=1e-12), key


@settings(deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(instance())
def test_every_indicator_matches_the_reference_on_place_pairs(inst):
    G, places = inst
    check_all(metrics(G, places=places), ref.metrics(G, places))


@settings(deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(instance(), st.sampled_from([300.0, 500.0]))
def test_every_indicator_matches_the_reference_on_node_pairs(inst, buffer_m):
    G, places = inst
    check_all(
        metrics(G, places=places, pairs="nodes", buffer_m=buffer_m),
        ref.metrics(G, places, pairs="nodes", buffer_m=buffer_m),
    )


@settings(deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(instance(), st.integers(2, 4), st.integers(0, 3))
def test_seeded_samples_match_the_reference(inst, k, seed):
    G, places = inst
    m = metrics(G, places=places, pairs="nodes", sample=k, seed=seed)
    ids = sorted({x for u, v, _ in ref.layer_edges(G) for x in (u, v)})
    if len(ids) > k:
        ids = list(
            np.array(ids)[
                np.sort(np.random.default_rng(seed).choice(len(ids), size=k, replace=False))
            ]
        )
        assert m.sampled
    want = ref.metrics(G, places, pairs="nodes", nodes=ids)
    for key in ("directness", "global_efficiency", "n_pairs", "straightness", "directness_lcc"):
        value = want[key]
        assert (
            math.isnan(getattr(m, key))
            if isinstance(value, float) and math.isnan(value)
            else getattr(m, key) == pytest.approx(value, rel=REL)
        ), key
    rows = np.sort(
        np.random.default_rng(seed).choice(len(places), size=min(k, len(places)), replace=False)
    )
    mp = metrics(G, places=places, sample=k, seed=seed)
    wp = ref.metrics(G, places.iloc[rows])
    for key in ("directness", "global_efficiency", "n_pairs", "n_reachable_pairs"):
        value = wp[key]
        assert (
            math.isnan(getattr(mp, key))
            if isinstance(value, float) and math.isnan(value)
            else getattr(mp, key) == pytest.approx(value, rel=REL)
        ), key


@settings(deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(instance(), st.data())
def test_extra_edges_match_the_reference(inst, data):
    G, places = inst
    a, b = data.draw(
        st.lists(st.sampled_from(sorted(G.nodes)), min_size=2, max_size=2, unique=True)
    )
    extra = [(a, b, data.draw(st.floats(10, 3000)))]
    check_all(metrics(G, places=places, extra_edges=extra), ref.metrics(G, places, extra=extra))


def test_parcs_metrics_is_the_function_after_submodule_import():
    import parcs.links.indicators as mod
    import parcs.network.summary

    G, places = hand_instance()
    assert parcs.metrics(G, places=places).length_km == pytest.approx(2.0)
    assert mod.metrics(G, places=places).n_components == 2
    assert callable(parcs.network.summary.summary)
