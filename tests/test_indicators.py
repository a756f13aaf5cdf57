"""Tests of parcs.indicators (parcs.metrics) on HAND-MADE and RANDOM graphs (not geodata).

Indicators are checked against values worked out by hand, and directness / efficiency
against a slow networkx reference written here.
"""

from __future__ import annotations

import itertools
import math

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parcs.errors import ValidationError
from parcs.links import metrics, metrics_table


def build_graph(coords, edges, *, detour=1.5):
    G = nx.MultiDiGraph(crs="EPSG:2154", detour_factor=detour, max_gap_m=600.0)
    for n, (x, y) in coords.items():
        G.add_node(n, x=float(x), y=float(y))
    for u, v, built, factor in edges:
        line = shapely.LineString([coords[u], coords[v]])
        length = line.length * factor
        attrs = {
            "length": length,
            "est_length": length * (1 if built else detour),
            "built": built,
            "kind": "cavalier" if built else "connector",
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
            "geometry": shapely.box(x - h, y - h, x + h, y + h),
        }
        for s, k, (x, y), h, pop, a, acc in rows
    ]
    return gpd.GeoDataFrame(recs, geometry="geometry", crs="EPSG:2154").set_index("slug")


def hand_instance():
    # 0 ---1000--- 1  (connector 400 m)  2 ---1000--- 3
    coords = {0: (0, 0), 1: (1000, 0), 2: (1400, 0), 3: (2400, 0)}
    G = build_graph(coords, [(0, 1, True, 1), (2, 3, True, 1), (1, 2, False, 1)])
    places = make_places(
        [
            ("park_a", "terril", (0, 0), 50, 0, 10.0, [0]),
            ("park_b", "espace_neonaturel", (1400, 0), 50, 0, 5.0, [2]),
            ("town", "commune", (2400, 0), 500, 1000, 0.0, [3]),
        ]
    )
    return G, places


def test_hand_made_indicators():
    G, places = hand_instance()
    m = metrics(G, places=places)
    assert m.km_built == pytest.approx(2.0)
    assert m.n_components == 2
    assert m.largest_component_km == pytest.approx(1.0)
    assert m.largest_component_share == pytest.approx(0.5)
    # pairs: A-B straight 1300 unreachable, A-town 1850 unreachable, B-town 450 vs 1000
    assert m.n_place_pairs == 3
    assert m.n_reachable_pairs == 1
    assert m.directness == pytest.approx(0.45)
    assert m.efficiency == pytest.approx(0.45 / 3)
    # 500 m buffer of segment 2-3 covers the 1 km² town box except two corners beyond x=2400
    covered = 500 * 1000 + math.pi * 500**2 / 2
    assert m.population_500m == pytest.approx(1000 * covered / 1e6, rel=5e-3)
    assert m.population_1km == pytest.approx(1000.0)
    assert m.share_1km == pytest.approx(1.0)
    row = m.per_commune.loc["town"]
    assert row["parks_5km"] == 1
    assert row["parks_10km"] == 1
    assert m.parks_5km_mean == pytest.approx(1.0)
    d = m.to_dict()
    assert "per_commune" not in d
    assert isinstance(d["n_components"], int)


def test_hand_made_with_extra_edge():
    G, places = hand_instance()
    m = metrics(G, places=places, extra_edges=[(1, 2, 600.0)])
    assert m.km_built == pytest.approx(2.6)
    assert m.n_components == 1
    assert m.largest_component_km == pytest.approx(2.6)
    assert m.directness == pytest.approx((1300 + 1850 + 450) / (1600 + 2600 + 1000))
    assert m.efficiency == pytest.approx((1300 / 1600 + 1850 / 2600 + 450 / 1000) / 3)
    assert m.per_commune.loc["town", "parks_5km"] == 2
    with pytest.raises(ValidationError, match="`extra_edges`"):
        metrics(G, places=places, extra_edges=[(1, 99, 10.0)])


def test_metrics_table_matches_stepwise_metrics():
    G, places = hand_instance()
    plan = gpd.GeoDataFrame({"u": [1, 0], "v": [2, 3], "length_m": [600.0, 3000.0]})
    table = metrics_table(G, plan, places=places)
    assert list(table.columns) == ["before", "step 1", "step 2"]
    assert table.loc["km_built", "step 2"] == pytest.approx(5.6)
    assert table.loc["directness", "step 1"] == pytest.approx(
        metrics(G, places=places, extra_edges=[(1, 2, 600.0)]).directness
    )


# ------------------------------------------------------------------------------------------
# directness / efficiency vs a slow networkx reference on random graphs
# ------------------------------------------------------------------------------------------
def ref_directness_efficiency(G, places):
    H = nx.DiGraph()
    built_nodes = set()
    for u, v, d in G.edges(data=True):
        if d["built"]:
            built_nodes.add(u)
            if not H.has_edge(u, v) or H[u][v]["weight"] > d["est_length"]:
                H.add_edge(u, v, weight=d["est_length"])
    geoms = list(places.geometry)
    for i, (geom, acc) in enumerate(zip(geoms, places["access_nodes"], strict=True)):
        acc = list(acc)
        if not any(a in built_nodes for a in acc) and built_nodes:
            acc.append(
                min(
                    sorted(built_nodes),
                    key=lambda n: geom.distance(shapely.Point(G.nodes[n]["x"], G.nodes[n]["y"])),
                )
            )
        for a in acc:
            off = geom.distance(shapely.Point(G.nodes[a]["x"], G.nodes[a]["y"]))
            H.add_edge(("out", i), a, weight=off)
            H.add_edge(a, ("in", i), weight=off)
    num = den = 0.0
    ratios = []
    for i, j in itertools.combinations(range(len(geoms)), 2):
        s = geoms[i].distance(geoms[j])
        if s <= 0:
            continue
        try:
            d = nx.dijkstra_path_length(H, ("out", i), ("in", j))
        except (nx.NetworkXNoPath, nx.NodeNotFound):
            d = math.inf
        if math.isfinite(d):
            num += s
            den += d
            ratios.append(s / d)
        else:
            ratios.append(0.0)
    return (num / den if den else math.nan), (float(np.mean(ratios)) if ratios else math.nan)


@st.composite
def instance(draw):
    n = draw(st.integers(4, 9))
    coords = {
        i: (draw(st.integers(0, 4000)), draw(st.integers(0, 4000)) + 0.5 * i) for i in range(n)
    }
    pairs = list(itertools.combinations(range(n), 2))
    chosen = draw(st.lists(st.sampled_from(pairs), min_size=1, max_size=2 * n, unique=True))
    edges = [(u, v, draw(st.booleans()), draw(st.floats(1.0, 2.5))) for u, v in chosen]
    G = build_graph(coords, edges)
    rows = []
    for k in range(draw(st.integers(2, 5))):
        acc = draw(st.lists(st.integers(0, n - 1), min_size=0, max_size=2, unique=True))
        x, y = coords[acc[0]] if acc else (draw(st.integers(0, 4000)), 100)
        kind = draw(st.sampled_from(["commune", "terril"]))
        rows.append(
            (
                f"p{k}",
                kind,
                (x + 7 * k, y),
                draw(st.integers(5, 150)),
                100 if kind == "commune" else 0,
                0.0 if kind == "commune" else 3.0,
                acc,
            )
        )
    return G, make_places(rows)


@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(instance())
def test_directness_and_efficiency_match_networkx(inst):
    G, places = inst
    if not any(d["built"] for *_, d in G.edges(data=True)):
        return
    m = metrics(G, places=places)
    ref_dir, ref_eff = ref_directness_efficiency(G, places)
    if math.isnan(ref_dir):
        assert math.isnan(m.directness)
    else:
        assert m.directness == pytest.approx(ref_dir, rel=1e-9)
        assert 0 < m.directness <= 1 + 1e-12
    if math.isnan(ref_eff):
        assert math.isnan(m.efficiency)
    else:
        assert m.efficiency == pytest.approx(ref_eff, rel=1e-9, abs=1e-12)


def test_parcs_metrics_is_the_function_after_submodule_import():
    import parcs
    import parcs.network.summary
    import parcs.links.indicators as mod

    G, places = hand_instance()
    assert parcs.metrics(G, places=places).km_built == pytest.approx(2.0)
    assert mod.metrics(G, places=places).n_components == 2
    assert callable(parcs.summary)
    assert parcs.summary(G)["built_km"] == pytest.approx(2.0)
