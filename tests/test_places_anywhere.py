"""Every function that uses places works on any graph with places, and without places.

Real OSM sample graphs (``graph_from_osm`` on Krems and Andorra, ``tests/samples.py``) carry
the places of ``places_from_osm``; ``missing_links``, ``plan_links`` and every indicator of
``metrics`` are checked against the independent networkx/shapely reference of
``tests/links/reference.py`` (the documented objective and formulas, on the greenway layer:
cycleways, towpaths, cavaliers and route members), including the two documented fallbacks: a
settlement without a population weighs 1; a graph without places is scored on a fixed-seed
sample of its greenway nodes, each pair weighing 1. The random graphs of the Hypothesis test
are RANDOM, not geodata.
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
from tests.links import reference as ref
from tests.samples import OSM_SAMPLES, needs_osm_samples

CAP = 15_000.0
SHARE = 0.25
SETTLEMENTS = {"commune", "town"}
PARKS = {"terril", "espace_neonaturel", "park", "nature", "forest"}


# ------------------------------------------------------------------------------------------
# independent reference (networkx / shapely): tests/links/reference.py
# ------------------------------------------------------------------------------------------
ref_weights = ref.od_weights
ref_objective = ref.objective
ref_trips_new = ref.trips_new
ref_sample = ref.sample_places


# ------------------------------------------------------------------------------------------
# real OSM sample graphs with OSM places
# ------------------------------------------------------------------------------------------
SAMPLES = {"krems": "krems.osm.gz", "andorra": "andorra.osm.pbf"}


@pytest.fixture(scope="module", params=sorted(SAMPLES))
def osm_graph(request):
    path = OSM_SAMPLES / SAMPLES[request.param]
    if not path.is_file():
        pytest.skip("real OSM samples not found")
    G = parcs.graph_from_osm(path=path)
    parcs.attach_places(G, parcs.places_from_osm(G))
    return G


@needs_osm_samples
def test_missing_links_on_osm_places_equal_networkx(osm_graph):
    G = osm_graph
    places = parcs.places(G)
    assert set(places["kind"]) & SETTLEMENTS and set(places["kind"]) & PARKS
    cands = parcs.missing_links(G, top=3)
    assert len(cands) == 3
    assert cands["benefit"].iloc[0] > 0
    assert set(cands["commune"]) <= set(places.loc[places["kind"].isin(SETTLEMENTS), "name"])
    base, d0 = ref_objective(G, places)
    for row in cands.itertuples():
        extra = [(int(row.u), int(row.v), row.est_length_m)]
        after, d1 = ref_objective(G, places, extra=extra)
        assert row.benefit == pytest.approx(base - after, rel=1e-9)
        assert row.trips_new == pytest.approx(ref_trips_new(d0, d1, places), rel=1e-9, abs=1e-9)


@needs_osm_samples
def test_plan_links_on_osm_places_equal_networkx(osm_graph):
    G = osm_graph
    places = parcs.places(G)
    plan = parcs.plan_links(G, budget_km=1.5)
    assert len(plan) >= 1
    assert plan["cumulative_km"].iloc[-1] <= 1.5 + 1e-9
    base, _ = ref_objective(G, places)
    extra = [(int(r.u), int(r.v), r.length_m) for r in plan.itertuples()]
    after, _ = ref_objective(G, places, extra=extra)
    assert plan.attrs["objective_before"] == pytest.approx(base, rel=1e-9)
    assert plan["cumulative_benefit"].iloc[-1] == pytest.approx(base - after, rel=1e-9)


def _same(got, want, keys=None):
    for key in keys or want:
        value = want[key]
        g = getattr(got, key)
        if isinstance(value, float) and math.isnan(value):
            assert math.isnan(g), key
        else:
            assert g == pytest.approx(value, rel=1e-9, abs=1e-12), key


@needs_osm_samples
@pytest.mark.parametrize("pairs", ["places", "nodes"])
def test_every_indicator_on_osm_places_equals_the_reference(osm_graph, pairs):
    G = osm_graph
    places = parcs.places(G)
    m = parcs.metrics(G, pairs=pairs)
    want = ref.metrics(G, places, pairs=pairs)
    assert m.n_pairs > 100 and m.n_components >= 1 and 0 < m.coverage_km2
    _same(m, want)
    towns = [i for i, k in enumerate(places["kind"]) if k in SETTLEMENTS]
    assert len(m.per_commune) == len(towns)
    assert all(places.geometry.iloc[i].geom_type == "Point" for i in towns)  # OSM place nodes


@needs_osm_samples
def test_points_noeuds_puts_junctions_near_parks(osm_graph):
    G = osm_graph
    jn = parcs.points_noeuds(G)
    places = parcs.places(G)
    parks = places[places["kind"].isin(PARKS)]
    at_parks = jn.junctions[jn.junctions["place"] != ""]
    assert len(at_parks) >= 1
    for row in at_parks.itertuples():
        polys = parks.loc[parks["name"] == row.place, "geometry"]
        assert len(polys)
        # the junction is one of the park's access nodes: within the access distance
        assert min(shapely.distance(row.geometry, polys.to_numpy())) <= 300.0 + 1e-6
    # and every junction node is a node of the graph the design ran on
    assert set(jn.junctions["node"]) <= set(jn.graph.nodes)


# ------------------------------------------------------------------------------------------
# fallback: a graph without places is scored on a fixed-seed node sample
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def bare_krems():
    path = OSM_SAMPLES / "krems.osm.gz"
    if not path.is_file():
        pytest.skip("real OSM samples not found")
    return parcs.graph_from_osm(path=path)


@needs_osm_samples
def test_no_places_uses_a_node_sample(bare_krems, caplog):
    G = bare_krems
    assert "parcs_places" not in G.graph
    with caplog.at_level(logging.INFO, logger="parcs"):
        cands = parcs.missing_links(G, sample=40, top=3)
    assert "sampled greenway nodes" in caplog.text
    sample = ref_sample(G, 40)
    assert len(sample) == 40
    base, d0 = ref_objective(G, sample)
    assert len(cands) == 3
    for row in cands.itertuples():
        after, d1 = ref_objective(G, sample, extra=[(int(row.u), int(row.v), row.est_length_m)])
        assert row.benefit == pytest.approx(base - after, rel=1e-9)
        assert row.trips_new == pytest.approx(ref_trips_new(d0, d1, sample), abs=1e-9)
    plan = parcs.plan_links(G, budget_km=1.0, sample=40)
    extra = [(int(r.u), int(r.v), r.length_m) for r in plan.itertuples()]
    after, _ = ref_objective(G, sample, extra=extra)
    assert plan.attrs["objective_before"] == pytest.approx(base, rel=1e-9)
    if len(plan):
        assert plan["cumulative_benefit"].iloc[-1] == pytest.approx(base - after, rel=1e-9)
    m = parcs.metrics(G, sample=40)
    nodes = [a[0] for a in sample["access_nodes"]]
    _same(
        m,
        ref.metrics(G, None, pairs="nodes", nodes=nodes),
        [
            "directness",
            "global_efficiency",
            "straightness",
            "directness_lcc",
            "global_efficiency_lcc",
            "n_pairs",
        ],
    )
    assert (m.pairs, m.n_pairs, m.sampled) == ("nodes", 40 * 39 // 2, True)
    assert m.population_total == 0
    assert math.isnan(m.share_500m)
    # the default draws 200 nodes; the same graph always gives the same sample
    assert (
        parcs.missing_links(G, top=2)["benefit"].tolist()
        == parcs.missing_links(G, top=2)["benefit"].tolist()
    )


# ------------------------------------------------------------------------------------------
# settlements without population weigh 1; OSM kinds on random graphs (RANDOM, not geodata)
# ------------------------------------------------------------------------------------------
def build_graph(coords, edges, *, detour=1.5, max_gap=600.0, crs="EPSG:32633"):
    G = nx.MultiDiGraph(crs=crs, max_gap_m=max_gap, detour_factor=detour)
    for n, (x, y) in coords.items():
        G.add_node(n, x=float(x), y=float(y))
    for u, v, built, factor, *kind in edges:
        line = shapely.LineString([coords[u], coords[v]])
        length = line.length * factor
        attrs = {
            "length": length,
            "est_length": length * (1.0 if built else detour),
            "kind": (kind[0] if kind else "path") if built else "connector",
            "built": built,
        }
        G.add_edge(u, v, geometry=line, **attrs)
        G.add_edge(v, u, geometry=shapely.LineString(line.coords[::-1]), **attrs)
    return G


@st.composite
def osm_like_instance(draw):
    n = draw(st.integers(5, 10))
    coords = {
        i: (round(draw(st.floats(0, 3000)), 1), round(draw(st.floats(0, 3000)) + 0.37 * i, 1))
        for i in range(n)
    }
    pairs = list(itertools.combinations(range(n), 2))
    chosen = draw(st.lists(st.sampled_from(pairs), min_size=2, max_size=2 * n, unique=True))
    kinds = draw(
        st.sampled_from([["path"], ["cycleway", "connector", "track"], ["cycleway", "path"]])
    )
    edges = [
        (
            u,
            v,
            draw(st.booleans()) or draw(st.booleans()),
            draw(st.floats(1, 3)),
            draw(st.sampled_from(kinds)),
        )
        for u, v in chosen
    ]
    G = build_graph(coords, edges, max_gap=draw(st.sampled_from([800.0, 1500.0, 3000.0])))
    rows = []
    for k in range(draw(st.integers(2, 5))):
        kind = draw(st.sampled_from(["town", "park", "nature", "forest", "terril", "station"]))
        x, y = coords[draw(st.integers(0, n - 1))]
        x += draw(st.floats(-300, 300))
        if kind in {"town", "station"}:  # OSM nodes: points, towns maybe without population
            geom = shapely.Point(x, y)
            pop = draw(st.sampled_from([0, float("nan"), 250, 4000])) if kind == "town" else 0
        else:
            half = draw(st.floats(10, 200))
            geom = shapely.box(x - half, y - half, x + half, y + half)
            pop = 0
        rows.append({"name": f"p{k}", "kind": kind, "population": pop, "geometry": geom})
    places = gpd.GeoDataFrame(rows, geometry="geometry", crs=G.graph["crs"])
    parcs.attach_places(G, places, access_m=draw(st.sampled_from([150.0, 400.0])))
    return G


@settings(max_examples=20, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(osm_like_instance())
def test_osm_kinds_and_missing_population_on_random_graphs(G):
    places = parcs.places(G)
    cands = parcs.missing_links(G, min_network_ratio=1.5, cluster_m=0, max_connection_m=5000)
    base, d0 = ref_objective(G, places)
    for row in cands.itertuples():
        after, d1 = ref_objective(G, places, extra=[(int(row.u), int(row.v), row.est_length_m)])
        assert row.benefit == pytest.approx(base - after, rel=1e-9, abs=1e-6)
        assert row.trips_new == pytest.approx(ref_trips_new(d0, d1, places), abs=1e-9)
    if any(d["built"] for *_, d in G.edges(data=True)):
        _same(parcs.metrics(G), ref.metrics(G, places))


def test_towns_without_population_weigh_one_hand_made():
    """HAND-MADE: two towns without population, one park; each town makes one trip."""
    coords = {0: (0, 0), 1: (1000, 0), 2: (1400, 0), 3: (2400, 0), 4: (3400, 0)}
    G = build_graph(coords, [(0, 1, True, 1), (2, 3, True, 1), (3, 4, True, 1), (1, 2, False, 1)])
    places = gpd.GeoDataFrame(
        {
            "name": ["park", "A", "B"],
            "kind": ["park", "town", "town"],
            "population": [0, None, 0],
        },
        geometry=[shapely.box(-50, -50, 50, 50), shapely.Point(2400, 0), shapely.Point(3400, 0)],
        crs="EPSG:32633",
    )
    parcs.attach_places(G, places, access_m=10)
    cands = parcs.missing_links(G)
    assert len(cands) == 1
    # before: both towns cut off (cap); after: A at 1000 + 600 + 1000 (node 0 is inside the
    # park), B 1000 m farther; each town weighs 1 and the park is the only destination
    assert cands.iloc[0].benefit == pytest.approx((2 * CAP - 2600 - 3600) / 1000)
    assert cands.iloc[0].trips_new == pytest.approx(2.0)
