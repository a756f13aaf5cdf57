"""Every function that uses places works on any graph with places, and without places.

Real OSM sample graphs (``graph_from_osm`` on Krems and Andorra, ``tests/samples.py``) carry
the places of ``places_from_osm``; ``missing_links``, ``plan_links`` and ``metrics`` are checked
against an independent networkx recomputation restating the documented objective (adapted
from ``tests/test_links.py`` and ``tests/test_indicators.py`` to the settlement and park kind
sets of any source, and to the two documented fallbacks: a settlement without a population
weighs 1; a graph without places is scored on a fixed-seed sample of its built nodes, each
pair weighing 1). The random graphs of the Hypothesis test are RANDOM, not geodata.
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
from tests.samples import OSM_SAMPLES, needs_osm_samples

CAP = 15_000.0
SHARE = 0.25
SETTLEMENTS = {"commune", "town"}
PARKS = {"terril", "espace_neonaturel", "park", "nature", "forest"}


# ------------------------------------------------------------------------------------------
# independent reference (networkx), restating docs/missing-links.md
# ------------------------------------------------------------------------------------------
def ref_weights(places, share=SHARE):
    """OD pairs: settlement->park ∝ weight × area (weight = population, or 1 without one),
    park<->park ∝ area product (summing to share × Σ weights, or share without settlements),
    sampled node <-> sampled node 1."""
    kinds = list(places["kind"])
    pops = [0.0 if not np.isfinite(float(p)) else float(p) for p in places["population"]]
    areas = [float(a) for a in places["area_ha"]]
    towns = [i for i, k in enumerate(kinds) if k in SETTLEMENTS]
    weight = {c: pops[c] if pops[c] > 0 else 1.0 for c in towns}
    parks = [i for i, k in enumerate(kinds) if k in PARKS and areas[i] > 0]
    total_area = sum(areas[p] for p in parks)
    out = [(c, p, weight[c] * areas[p] / total_area) for c in towns for p in parks]
    people = sum(weight.values()) if towns else 1.0
    pair_prod = sum(areas[a] * areas[b] for a, b in itertools.combinations(parks, 2))
    if pair_prod > 0:
        out += [
            (a, b, share * people * areas[a] * areas[b] / pair_prod)
            for a, b in itertools.combinations(parks, 2)
        ]
    samples = [i for i, k in enumerate(kinds) if k == "sample"]
    out += [(a, b, 1.0) for a, b in itertools.combinations(samples, 2)]
    return out


def built_nodes(G):
    return {u for u, v, d in G.edges(data=True) if d["built"]}


def ref_graph(G, places, extra=()):
    """Built edges + place in/out virtual nodes (offset = geometry-to-node distance)."""
    H = nx.DiGraph()
    H.add_nodes_from(G.nodes)
    for u, v, d in G.edges(data=True):
        if d["built"]:
            w = d["est_length"]
            if not H.has_edge(u, v) or H[u][v]["weight"] > w:
                H.add_edge(u, v, weight=w)
    for u, v, w in extra:
        for a, b in ((u, v), (v, u)):
            if not H.has_edge(a, b) or H[a][b]["weight"] > w:
                H.add_edge(a, b, weight=w)
    on_built = sorted(built_nodes(G))
    pts = {n: shapely.Point(G.nodes[n]["x"], G.nodes[n]["y"]) for n in G.nodes}
    for i, (geom, acc) in enumerate(zip(places.geometry, places["access_nodes"], strict=True)):
        acc = list(acc)
        if not any(a in set(on_built) for a in acc) and on_built:
            acc.append(min(on_built, key=lambda n: geom.distance(pts[n])))  # ties: lowest id
        for a in acc:
            off = geom.distance(pts[a])
            H.add_edge(("out", i), a, weight=off)
            H.add_edge(a, ("in", i), weight=off)
    return H


def ref_objective(G, places, extra=(), cap=CAP):
    H = ref_graph(G, places, extra)
    total, dists, from_s = 0.0, {}, {}
    for s, t, w in ref_weights(places):
        if s not in from_s:
            from_s[s] = nx.single_source_dijkstra_path_length(H, ("out", s))
        d = from_s[s].get(("in", t), math.inf)
        dists[s, t] = d
        total += w * min(d, cap)
    return total / 1000.0, dists


def ref_trips_new(d0, d1, places, cap=CAP):
    return sum(w for s, t, w in ref_weights(places) if d0[s, t] > cap and d1[s, t] <= cap)


def ref_sample(G, n):
    """The documented draw: n built node ids, default_rng(0), from the sorted ids."""
    ids = np.array(sorted(built_nodes(G)))
    if len(ids) > n:
        ids = np.sort(np.random.default_rng(0).choice(ids, size=n, replace=False))
    return gpd.GeoDataFrame(
        {
            "kind": "sample",
            "population": 0.0,
            "area_ha": 0.0,
            "access_nodes": [(int(i),) for i in ids],
        },
        geometry=[shapely.Point(G.nodes[i]["x"], G.nodes[i]["y"]) for i in ids],
        crs=G.graph["crs"],
    )


def ref_pair_metrics(G, places):
    """Directness, efficiency over all place pairs, and the place-to-place distances."""
    H = ref_graph(G, places)
    geoms = list(places.geometry)
    dist = {i: nx.single_source_dijkstra_path_length(H, ("out", i)) for i in range(len(geoms))}
    num = den = 0.0
    ratios = []
    for i, j in itertools.combinations(range(len(geoms)), 2):
        s = geoms[i].distance(geoms[j])
        if s <= 0:
            continue
        d = min(dist[i].get(("in", j), math.inf), dist[j].get(("in", i), math.inf))
        if math.isfinite(d):
            num, den = num + s, den + d
            ratios.append(s / d)
        else:
            ratios.append(0.0)
    return (num / den if den else math.nan), (float(np.mean(ratios)) if ratios else math.nan), dist


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


@needs_osm_samples
def test_metrics_on_osm_places_equal_networkx(osm_graph):
    G = osm_graph
    places = parcs.places(G)
    m = parcs.metrics(G)
    directness, efficiency, dist = ref_pair_metrics(G, places)
    assert m.directness == pytest.approx(directness, rel=1e-9)
    assert m.efficiency == pytest.approx(efficiency, rel=1e-9)
    towns = [i for i, k in enumerate(places["kind"]) if k in SETTLEMENTS]
    parks = [i for i, k in enumerate(places["kind"]) if k in PARKS]
    assert len(m.per_commune) == len(towns)
    # point settlements: all residents count when the point is within d of a built edge
    lines = [d["geometry"] for u, v, d in G.edges(data=True) if d["built"] and u <= v]
    tree = shapely.STRtree(lines)
    for d, got in ((500.0, m.population_500m), (1000.0, m.population_1km)):
        want = 0.0
        for i in towns:
            geom, pop = places.geometry.iloc[i], float(places["population"].iloc[i])
            assert geom.geom_type == "Point"
            if len(tree.query(geom, predicate="dwithin", distance=d)):
                want += pop
        assert got == pytest.approx(want, rel=1e-9)
    assert m.population_total == pytest.approx(places["population"].iloc[towns].sum())
    for row, i in enumerate(towns):
        near = sum(
            1 for p in parks if min(dist[i].get(("in", p), math.inf), dist[p].get(("in", i), math.inf)) <= 5000
        )
        assert m.per_commune["parks_5km"].iloc[row] == near


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
    assert "sampled built-network nodes" in caplog.text
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
    directness, efficiency, _ = ref_pair_metrics(G, sample)
    assert m.directness == pytest.approx(directness, rel=1e-9)
    assert m.efficiency == pytest.approx(efficiency, rel=1e-9)
    assert m.n_place_pairs == 40 * 39 // 2
    assert m.population_total == 0
    assert math.isnan(m.share_500m)
    # the default draws 200 nodes; the same graph always gives the same sample
    assert parcs.missing_links(G, top=2)["benefit"].tolist() == parcs.missing_links(G, top=2)[
        "benefit"
    ].tolist()


# ------------------------------------------------------------------------------------------
# settlements without population weigh 1; OSM kinds on random graphs (RANDOM, not geodata)
# ------------------------------------------------------------------------------------------
def build_graph(coords, edges, *, detour=1.5, max_gap=600.0, crs="EPSG:32633"):
    G = nx.MultiDiGraph(crs=crs, max_gap_m=max_gap, detour_factor=detour)
    for n, (x, y) in coords.items():
        G.add_node(n, x=float(x), y=float(y))
    for u, v, built, factor in edges:
        line = shapely.LineString([coords[u], coords[v]])
        length = line.length * factor
        attrs = {
            "length": length,
            "est_length": length * (1.0 if built else detour),
            "kind": "path" if built else "connector",
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
    edges = [(u, v, draw(st.booleans()) or draw(st.booleans()), draw(st.floats(1, 3))) for u, v in chosen]
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
    cands = parcs.missing_links(G, min_network_ratio=1.5, cluster_m=0)
    base, d0 = ref_objective(G, places)
    for row in cands.itertuples():
        after, d1 = ref_objective(G, places, extra=[(int(row.u), int(row.v), row.est_length_m)])
        assert row.benefit == pytest.approx(base - after, rel=1e-9, abs=1e-6)
        assert row.trips_new == pytest.approx(ref_trips_new(d0, d1, places), abs=1e-9)
    if any(d["built"] for *_, d in G.edges(data=True)):
        m = parcs.metrics(G)
        directness, efficiency, _ = ref_pair_metrics(G, places)
        for got, want in ((m.directness, directness), (m.efficiency, efficiency)):
            if math.isnan(want):
                assert math.isnan(got)
            else:
                assert got == pytest.approx(want, rel=1e-9, abs=1e-12)


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
