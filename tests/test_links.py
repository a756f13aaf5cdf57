"""Tests of parcs.links (missing links): candidates, exact benefit, greedy plan, report.

Graphs here are HAND-MADE or RANDOM (hypothesis), except the last test which uses the embedded
Artois network. Every benefit is checked against an independent networkx recomputation.
"""

from __future__ import annotations

import itertools
import math

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parcs.errors import ValidationError
from parcs.links import missing_links, plan_links, write_report
from tests.links import reference

CAP = 15_000.0
SHARE = 0.25


# ------------------------------------------------------------------------------------------
# independent reference (networkx), restating the documented objective
# ------------------------------------------------------------------------------------------
def ref_weights(places: gpd.GeoDataFrame, share: float = SHARE) -> list[tuple[int, int, float]]:
    """OD pairs from the docs: commune->park ∝ pop × area, park<->park ∝ area product."""
    kinds = list(places["kind"])
    pops = [float(p) for p in places["population"]]
    areas = [float(a) for a in places["area_ha"]]
    communes = [i for i, k in enumerate(kinds) if k == "commune" and pops[i] > 0]
    parks = [
        i for i, k in enumerate(kinds) if k in {"terril", "espace_neonaturel"} and areas[i] > 0
    ]
    total_area = sum(areas[p] for p in parks)
    total_pop = sum(pops[c] for c in communes)
    out = [(c, p, pops[c] * areas[p] / total_area) for c in communes for p in parks]
    pair_prod = sum(areas[a] * areas[b] for a, b in itertools.combinations(parks, 2))
    if pair_prod > 0:
        out += [
            (a, b, share * total_pop * areas[a] * areas[b] / pair_prod)
            for a, b in itertools.combinations(parks, 2)
        ]
    return out


def ref_graph(G: nx.MultiDiGraph, places: gpd.GeoDataFrame, extra=()) -> nx.DiGraph:
    """Built edges only + place in/out virtual nodes (offset = polygon-to-node distance)."""
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
    on_built = {u for u, v, d in G.edges(data=True) if d["built"]}
    for i, (geom, acc) in enumerate(zip(places.geometry, places["access_nodes"], strict=True)):
        acc = list(acc)
        if not any(a in on_built for a in acc) and on_built:
            # documented fallback: nearest built-network node to the polygon (ties: lowest id)
            acc.append(
                min(
                    sorted(on_built),
                    key=lambda n: geom.distance(shapely.Point(G.nodes[n]["x"], G.nodes[n]["y"])),
                )
            )
        for a in acc:
            off = geom.distance(shapely.Point(G.nodes[a]["x"], G.nodes[a]["y"]))
            H.add_edge(("out", i), a, weight=off)
            H.add_edge(a, ("in", i), weight=off)
    return H


def ref_objective(G, places, extra=(), cap=CAP) -> tuple[float, dict]:
    """Capped objective Σ w·min(d, cap) / 1000 from scratch (one networkx Dijkstra per origin)."""
    H = ref_graph(G, places, extra)
    total = 0.0
    dists = {}
    from_s: dict = {}
    for s, t, w in ref_weights(places):
        if s not in from_s:
            from_s[s] = (
                nx.single_source_dijkstra_path_length(H, ("out", s)) if ("out", s) in H else {}
            )
        d = from_s[s].get(("in", t), math.inf)
        dists[s, t] = d
        total += w * min(d, cap)
    return total / 1000.0, dists


def ref_trips_new(d0: dict, d1: dict, places, cap=CAP) -> float:
    return sum(w for s, t, w in ref_weights(places) if d0[s, t] > cap and d1[s, t] <= cap)


# ------------------------------------------------------------------------------------------
# graph builders (hand-made / random, NOT geodata)
# ------------------------------------------------------------------------------------------
def build_graph(coords, edges, *, detour=1.5, max_gap=600.0):
    """coords: {id: (x, y)}; edges: [(u, v, built, factor)] with length = straight × factor."""
    G = nx.MultiDiGraph(crs="EPSG:2154", max_gap_m=max_gap, detour_factor=detour)
    for n, (x, y) in coords.items():
        G.add_node(n, x=float(x), y=float(y))
    for u, v, built, factor in edges:
        line = shapely.LineString([coords[u], coords[v]])
        length = line.length * factor
        attrs = {
            "length": length,
            "est_length": length * (1.0 if built else detour),
            "kind": "cavalier" if built else "connector",
            "built": built,
        }
        G.add_edge(u, v, geometry=line, **attrs)
        G.add_edge(v, u, geometry=shapely.LineString(line.coords[::-1]), **attrs)
    return G


def make_places(rows):
    """rows: [(slug, kind, (x, y), half_size_m, population, area_ha, access_nodes)]."""
    recs = []
    for slug, kind, (x, y), half, pop, area, acc in rows:
        recs.append(
            {
                "slug": slug,
                "name": slug,
                "kind": kind,
                "population": pop,
                "area_ha": area,
                "access_nodes": tuple(acc),
                "geometry": shapely.box(x - half, y - half, x + half, y + half),
            }
        )
    return gpd.GeoDataFrame(recs, geometry="geometry", crs="EPSG:2154").set_index("slug")


@st.composite
def random_instance(draw):
    n = draw(st.integers(5, 10))
    coords = {
        i: (draw(st.floats(0, 3000, allow_nan=False)), draw(st.floats(0, 3000, allow_nan=False)))
        for i in range(n)
    }
    coords = {i: (round(x, 1), round(y + 0.37 * i, 1)) for i, (x, y) in coords.items()}
    all_pairs = list(itertools.combinations(range(n), 2))
    chosen = draw(st.lists(st.sampled_from(all_pairs), min_size=2, max_size=2 * n, unique=True))
    edges = [
        (u, v, draw(st.booleans()) or draw(st.booleans()), draw(st.floats(1.0, 3.0)))
        for u, v in chosen
    ]
    G = build_graph(coords, edges, max_gap=draw(st.sampled_from([800.0, 1500.0, 3000.0])))
    rows = []
    for k in range(draw(st.integers(2, 4))):
        kind = "commune" if k % 2 == 0 else draw(st.sampled_from(["terril", "espace_neonaturel"]))
        acc = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=2, unique=True))
        x, y = coords[acc[0]]
        rows.append(
            (
                f"p{k}",
                kind,
                (x + draw(st.floats(-300, 300)), y),
                draw(st.floats(10, 200)),
                draw(st.integers(100, 5000)) if kind == "commune" else 0,
                0.0 if kind == "commune" else draw(st.floats(1, 50)),
                acc,
            )
        )
    if not any(r[1] != "commune" for r in rows):
        rows[-1] = (*rows[-1][:1], "terril", *rows[-1][2:4], 0, 5.0, rows[-1][6])
    return G, make_places(rows)


# ------------------------------------------------------------------------------------------
# hand-made instance:  park P1 -- c1 ... gap ... c2 -- commune C
# ------------------------------------------------------------------------------------------
def hand_instance():
    #   0 ---1000--- 1     (gap 400 m)     2 ---1000--- 3
    #   park at 0, commune at 3; 1-2 is a gap connector (not built)
    coords = {0: (0, 0), 1: (1000, 0), 2: (1400, 0), 3: (2400, 0)}
    G = build_graph(coords, [(0, 1, True, 1.0), (2, 3, True, 1.0), (1, 2, False, 1.0)], max_gap=500)
    places = make_places(
        [
            ("park", "terril", (0, 0), 50, 0, 10.0, [0]),
            ("town", "commune", (2400, 0), 50, 1000, 0.0, [3]),
        ]
    )
    return G, places


def test_hand_made_connector_benefit_is_hand_computed():
    G, places = hand_instance()
    cands = missing_links(G, places=places, cap_m=CAP)
    assert len(cands) == 1
    row = cands.iloc[0]
    assert {int(row.u), int(row.v)} == {1, 2}
    assert row.source == "connector"
    assert row.straight_m == pytest.approx(400.0)
    assert row.est_length_m == pytest.approx(600.0)  # 400 × 1.5
    # unreachable before (cap 15 km), 2600 m after: 1000 residents × (15000 − 2600) m
    assert row.benefit == pytest.approx(1000 * (15_000 - 2_600) / 1000.0)
    assert row.trips_new == pytest.approx(1000.0)
    assert row.benefit_per_km == pytest.approx(row.benefit / 0.6)
    assert math.isinf(row.network_m)
    assert row.geometry.length == pytest.approx(400.0)
    assert cands.crs.to_epsg() == 2154


def test_component_and_detour_candidates_found_and_declustered():
    # two parallel built lines 300 m apart, joined only at the far west end (detour), and a
    # third separate line 200 m east of the end of line B (component gap)
    coords = {
        0: (0, 0),
        1: (1000, 0),
        2: (2000, 0),
        3: (3000, 0),
        4: (0, 300),
        5: (1000, 300),
        6: (2000, 300),
        7: (3000, 300),
        8: (3200, 300),
        9: (4200, 300),
    }
    edges = [
        (0, 1, True, 1),
        (1, 2, True, 1),
        (2, 3, True, 1),
        (4, 5, True, 1),
        (5, 6, True, 1),
        (6, 7, True, 1),
        (0, 4, True, 1),
        (8, 9, True, 1),
    ]
    G = build_graph(coords, edges, max_gap=350)
    places = make_places(
        [
            ("park", "terril", (4200, 300), 50, 0, 10.0, [9]),
            ("town", "commune", (3000, 0), 50, 1000, 0.0, [3]),
        ]
    )
    cands = missing_links(G, places=places, cluster_m=50)
    pairs = {
        frozenset((int(u), int(v))): s
        for u, v, s in zip(cands.u, cands.v, cands.source, strict=True)
    }
    assert pairs[frozenset((7, 8))] == "component"
    # 1-5: network 1000+300+1000 = 2300 vs 300 straight -> ratio 7.7 >= 3: detour
    assert pairs[frozenset((1, 5))] == "detour"
    assert pairs[frozenset((3, 7))] == "detour"
    # 0-4 is an edge (ratio 1) -> no candidate
    assert frozenset((0, 4)) not in pairs
    # a 1100 m declustering radius merges the parallel detour rungs (1-5, 2-6, 3-7)
    coarse = missing_links(G, places=places, cluster_m=1100)
    coarse_pairs = {frozenset((int(u), int(v))) for u, v in zip(coarse.u, coarse.v, strict=True)}
    assert len(coarse) < len(cands)
    assert frozenset((7, 8)) in coarse_pairs
    # 7-8 makes the trip town->park possible: rank 1
    assert {int(cands.iloc[0].u), int(cands.iloc[0].v)} == {7, 8}


def test_ranks_sorted_and_ties_broken_by_id(tiny_graph):
    places = make_places(
        [
            ("a", "commune", (690_000, 7_032_000), 50, 500, 0.0, [1]),
            ("b", "terril", (692_000, 7_031_000), 50, 0, 3.0, [6]),
        ]
    )
    cands = missing_links(
        tiny_graph, places=places, max_gap_m=1500, min_network_ratio=1.2, cluster_m=0
    )
    assert len(cands) == 4  # connector 3-6 + detours 1-5, 2-4, 3-5
    assert list(cands["rank"]) == list(range(1, len(cands) + 1))
    b = cands["benefit"].to_numpy()
    assert np.all(np.diff(b) <= 0)
    for _, grp in cands.groupby("benefit"):
        assert list(grp["id"]) == sorted(grp["id"])
    top2 = missing_links(
        tiny_graph, places=places, max_gap_m=1500, min_network_ratio=1.2, cluster_m=0, top=2
    )
    assert len(top2) == 2
    assert list(top2["id"]) == list(cands["id"].head(2))


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"max_gap_m": -1}, "`max_gap_m`"),
        ({"detour_factor": 0.5}, "`detour_factor`"),
        ({"cap_m": float("nan")}, "`cap_m`"),
        ({"top": 0}, "`top`"),
        ({"min_network_ratio": "x"}, "`min_network_ratio`"),
    ],
)
def test_bad_options_raise_validation_error(kwargs, needle):
    G, places = hand_instance()
    with pytest.raises(ValidationError, match=needle):
        missing_links(G, places=places, **kwargs)


def test_no_places_falls_back_to_node_sample():
    # documented fallback: every built node (4 < sample) is a place, each pair weighs 1;
    # before, the 4 pairs across the gap are unreachable (cap); after, 1600 + 2600 + 600 + 1600 m
    G, _ = hand_instance()
    cands = missing_links(G)
    assert len(cands) == 1
    assert cands.iloc[0].benefit == pytest.approx((4 * CAP - (1600 + 2600 + 600 + 1600)) / 1000)
    assert cands.iloc[0].trips_new == pytest.approx(4.0)
    with pytest.raises(ValidationError, match="`sample`"):
        missing_links(G, sample=0)


# ------------------------------------------------------------------------------------------
# property tests: exact benefit vs networkx recomputation; distances never increase
# ------------------------------------------------------------------------------------------
@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(random_instance(), st.sampled_from([CAP, 2500.0]))
def test_benefit_equals_networkx_recomputation(inst, cap):
    G, places = inst
    cands = missing_links(G, places=places, min_network_ratio=1.5, cluster_m=0, cap_m=cap)
    base, d0 = ref_objective(G, places, cap=cap)
    for row in cands.itertuples():
        after, d1 = ref_objective(
            G, places, extra=[(int(row.u), int(row.v), row.est_length_m)], cap=cap
        )
        # adding a link never increases any distance
        assert all(d1[k] <= d0[k] + 1e-9 for k in d0)
        assert row.benefit == pytest.approx(base - after, rel=1e-9, abs=1e-6)
        assert row.trips_new == pytest.approx(ref_trips_new(d0, d1, places, cap=cap), abs=1e-9)


def _brute_force(G, places, cands, budget_m):
    base, _ = ref_objective(G, places)
    best = 0.0
    rows = list(cands.itertuples())
    for r in range(len(rows) + 1):
        for sub in itertools.combinations(rows, r):
            if sum(x.est_length_m for x in sub) > budget_m + 1e-9:
                continue
            val, _ = ref_objective(
                G, places, extra=[(int(x.u), int(x.v), x.est_length_m) for x in sub]
            )
            best = max(best, base - val)
    return best


@settings(max_examples=10, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(random_instance(), st.sampled_from([0.5, 1.5, 3.0]))
def test_greedy_vs_brute_force(inst, budget_km):
    G, places = inst
    cands = missing_links(G, places=places, min_network_ratio=1.5, cluster_m=0).head(6)
    plan = plan_links(G, budget_km=budget_km, candidates=cands, places=places)
    opt = _brute_force(G, places, cands, budget_km * 1000)
    base, _ = ref_objective(G, places)
    extra = [(int(r.u), int(r.v), r.length_m) for r in plan.itertuples()]
    after, _ = ref_objective(G, places, extra=extra)
    # the plan's reported cumulative benefit is exact, and never beats the optimum
    total = float(plan["cumulative_benefit"].iloc[-1]) if len(plan) else 0.0
    assert total == pytest.approx(base - after, rel=1e-9, abs=1e-6)
    assert total <= opt + 1e-6
    assert float(plan["length_m"].sum()) <= budget_km * 1000 + 1e-6
    # first greedy pick = best single candidate that fits the budget
    fits = cands[cands["est_length_m"] <= budget_km * 1000]
    fits = fits[fits["benefit"] > 0]
    if len(fits):
        assert int(plan.iloc[0]["id"]) == int(
            fits.sort_values(["benefit", "id"], ascending=[False, True]).iloc[0]["id"]
        )
    else:
        assert len(plan) == 0


def test_greedy_optimal_on_independent_gaps():
    # three independent gaps (each joins one town to its own park); benefits add up, so
    # greedy by benefit with equal lengths is provably optimal for any budget
    coords = {}
    edges = []
    rows = []
    for k, pop in enumerate([1000, 3000, 2000]):
        x0 = k * 100_000
        coords |= {
            4 * k: (x0, 0),
            4 * k + 1: (x0 + 1000, 0),
            4 * k + 2: (x0 + 1300, 0),
            4 * k + 3: (x0 + 2300, 0),
        }
        edges += [
            (4 * k, 4 * k + 1, True, 1),
            (4 * k + 2, 4 * k + 3, True, 1),
            (4 * k + 1, 4 * k + 2, False, 1),
        ]
        rows += [
            (f"park{k}", "terril", (x0, 0), 20, 0, 10.0, [4 * k]),
            (f"town{k}", "commune", (x0 + 2300, 0), 20, pop, 0.0, [4 * k + 3]),
        ]
    G = build_graph(coords, edges, max_gap=400)
    places = make_places(rows)
    cands = missing_links(G, places=places)
    assert len(cands) == 3
    for budget in (0.4, 0.9, 1.4):  # 0, 2 and 3 links of 450 m
        plan = plan_links(G, budget_km=budget, candidates=cands, places=places)
        opt = _brute_force(G, places, cands, budget * 1000)
        total = float(plan["cumulative_benefit"].iloc[-1]) if len(plan) else 0.0
        assert total == pytest.approx(opt, rel=1e-9, abs=1e-9)
    plan = plan_links(G, budget_km=1.4, candidates=cands, places=places)
    assert list(plan["rank"]) == [1, 2, 3]
    assert plan["cumulative_km"].to_list() == pytest.approx([0.45, 0.9, 1.35])


def test_plan_bad_options():
    G, places = hand_instance()
    with pytest.raises(ValidationError, match="`budget_km`"):
        plan_links(G, budget_km=-1, places=places)
    with pytest.raises(ValidationError, match="`by`"):
        plan_links(G, places=places, by="cost")
    with pytest.raises(ValidationError, match="`candidates`"):
        plan_links(G, places=places, candidates=pd.DataFrame({"u": [1]}))


def test_write_report(tmp_path):
    import geopandas as gpd

    G, places = hand_instance()
    cands = missing_links(G, places=places)
    plan = plan_links(G, budget_km=5, candidates=cands, places=places)
    files = write_report(cands, tmp_path / "out", plan=plan)
    csv = pd.read_csv(files["candidates_csv"])
    # a planner's table: names, units, integers; never node ids
    assert not {"u", "v", "id"} & set(csv.columns)
    assert list(csv.columns[:5]) == ["rank", "from", "to", "commune", "type"]
    # the gap's ends lie 950 m from the park and from the town (no place within 500 m)
    assert sorted([csv["from"].iloc[0], csv["to"].iloc[0]]) == [
        "950 m from park",
        "950 m from town",
    ]
    assert csv["type"].tolist() == ["gap connector"]
    assert csv["length (m)"].tolist() == [600]
    assert csv["trips newly possible"].tolist() == [1000]
    assert "LINESTRING" in csv["wkt"].iloc[0]
    md = files["markdown"].read_text(encoding="utf-8")
    assert "# Missing links" in md and "Greedy plan" in md and "| from | to |" in md
    assert pd.read_csv(files["plan_csv"])["step"].tolist() == [1]
    layers = gpd.list_layers(files["geopackage"])["name"].tolist()
    assert sorted(layers) == ["candidates", "plan"]
    assert "u" not in gpd.read_file(files["geopackage"], layer="candidates").columns
    assert not list((tmp_path / "out").glob(".*"))  # no temp files left


def test_candidates_are_named_by_places_not_node_ids():
    """HAND-MADE: the ends take the park's / commune's name, the link the commune's."""
    G, places = hand_instance()
    row = missing_links(G, places=places).iloc[0]
    assert {row.from_place, row.to_place} == {"950 m from park", "950 m from town"}
    assert row.commune == "town"  # the only settlement: the nearest to the midpoint
    near = make_places(
        [
            ("Parc", "terril", (900, 300), 50, 0, 10.0, [0]),
            ("Ville", "commune", (2000, 0), 700, 10, 0.0, [3]),
        ]
    )
    row = missing_links(G, places=near).iloc[0]
    assert (row.from_place, row.to_place) == ("Parc", "Ville")  # a park first, then a commune
    # no places: names from positions, never "node 1"
    bare = missing_links(G)
    for text in (*bare["from_place"], *bare["to_place"]):
        assert "node" not in text
        lat, lon = (float(t) for t in text.split(","))
        assert -90 <= lat <= 90 and -180 <= lon <= 180


# ------------------------------------------------------------------------------------------
# connections over the rest of the graph (Vybornova et al. 2022): vs a networkx reference
# ------------------------------------------------------------------------------------------
def kinds_graph(coords, edges, *, detour=1.5, max_gap=600.0):
    """edges: [(u, v, kind, factor)], all built (HAND-MADE / RANDOM, not geodata)."""
    G = nx.MultiDiGraph(crs="EPSG:2154", max_gap_m=max_gap, detour_factor=detour)
    for n, (x, y) in coords.items():
        G.add_node(n, x=float(x), y=float(y))
    for u, v, kind, factor in edges:
        line = shapely.LineString([coords[u], coords[v]])
        attrs = {
            "length": line.length * factor,
            "est_length": line.length * factor,
            "kind": kind,
            "built": True,
        }
        G.add_edge(u, v, geometry=line, **attrs)
        G.add_edge(v, u, geometry=shapely.LineString(line.coords[::-1]), **attrs)
    return G


def ref_connections(G, max_m, d_min):
    """{frozenset(a, b): length} from the definition: a path over non-greenway built edges
    between greenway nodes a, b, through no other greenway node, at most max_m long, with a
    greenway distance >= d_min × its length."""
    green = {"cavalier", "towpath", "cycleway", "eurovelo"}
    L, R = nx.Graph(), nx.Graph()
    for u, v, d in G.edges(data=True):
        H = L if d["kind"] in green else R
        if not H.has_edge(u, v) or H[u][v]["weight"] > d["est_length"]:
            H.add_edge(u, v, weight=d["est_length"])
    gw = set(L.nodes)
    out = {}
    for a, b in itertools.combinations(sorted(gw & set(R.nodes)), 2):
        sub = R.subgraph((set(R.nodes) - gw) | {a, b})
        try:
            c = nx.dijkstra_path_length(sub, a, b)
        except nx.NetworkXNoPath:
            continue
        if c > max_m:
            continue
        try:
            g = nx.dijkstra_path_length(L, a, b)
        except nx.NetworkXNoPath:
            g = math.inf
        if g >= d_min * c:
            out[frozenset((a, b))] = c
    return out


def test_connection_over_a_quiet_road_hand_made():
    """HAND-MADE: two cycleways joined only by a 2-edge road through node 2 (and a longer
    track through node 5); the road is the connection, 700 m, drawn along the road."""
    coords = {0: (0, 0), 1: (1000, 0), 2: (1300, 200), 3: (1500, 0), 4: (2500, 0), 5: (1250, -600)}
    edges = [
        (0, 1, "cycleway", 1),
        (3, 4, "cycleway", 1),
        (1, 2, "connector", 1),
        (2, 3, "connector", 1),
        (1, 5, "track", 1),
        (5, 3, "track", 1),
    ]
    G = kinds_graph(coords, edges, max_gap=100)
    places = make_places(
        [
            ("park", "terril", (0, 0), 50, 0, 10.0, [0]),
            ("town", "commune", (2500, 0), 50, 1000, 0.0, [4]),
        ]
    )
    cands = missing_links(G, places=places)
    conn = cands[cands["source"] == "connection"]
    assert len(conn) == 1
    row = conn.iloc[0]
    road = math.dist(coords[1], coords[2]) + math.dist(coords[2], coords[3])
    assert {int(row.u), int(row.v)} == {1, 3}
    assert row.est_length_m == pytest.approx(road)
    assert row.geometry.length == pytest.approx(road)
    assert shapely.get_coordinates(row.geometry).tolist()[1] == [1300.0, 200.0]
    assert math.isinf(row.network_m)
    # its benefit is exact: the town reaches the park over the road
    base, _ = reference.objective(G, places)  # on the greenway layer
    after, _ = reference.objective(G, places, extra=[(1, 3, road)])
    assert row.benefit == pytest.approx(base - after, rel=1e-9)
    assert row.benefit > 0
    assert missing_links(G, places=places, max_connection_m=0)["source"].tolist() == []


@st.composite
def mixed_instance(draw):
    n = draw(st.integers(5, 11))
    coords = {
        i: (draw(st.integers(0, 3000)), draw(st.integers(0, 3000)) + 0.37 * i) for i in range(n)
    }
    pairs = list(itertools.combinations(range(n), 2))
    chosen = draw(st.lists(st.sampled_from(pairs), min_size=3, max_size=2 * n, unique=True))
    edges = [
        (
            u,
            v,
            draw(st.sampled_from(["cycleway", "connector", "track", "towpath"])),
            draw(st.floats(1.0, 2.0)),
        )
        for u, v in chosen
    ]
    return kinds_graph(coords, edges)


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(mixed_instance(), st.sampled_from([800.0, 2500.0]), st.sampled_from([1.5, 2.0]))
def test_connections_match_the_definition(G, max_m, d_min):
    # a 1 mm straight radius leaves only the connections; cluster_m=0 keeps every pair
    cands = missing_links(G, max_gap_m=1e-3, cluster_m=0, max_connection_m=max_m, min_detour=d_min)
    got = {frozenset((int(r.u), int(r.v))): r.est_length_m for r in cands.itertuples()}
    assert set(cands["source"]) <= {"connection"}
    want = ref_connections(G, max_m, d_min)
    assert set(got) == set(want)
    for k, c in want.items():
        assert got[k] == pytest.approx(c, rel=1e-12)
    sample = reference.sample_places(G, 200)  # no places: the documented node sample
    base, _ = reference.objective(G, sample)
    for r in cands.itertuples():
        after, _ = reference.objective(G, sample, extra=[(int(r.u), int(r.v), r.est_length_m)])
        assert r.benefit == pytest.approx(base - after, rel=1e-9, abs=1e-6)


# ------------------------------------------------------------------------------------------
# embedded Artois network
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def artois():
    parcs = pytest.importorskip("parcs")
    try:
        G = parcs.load_network()
    except (ImportError, AttributeError) as err:  # territory not merged yet
        pytest.skip(f"embedded network unavailable: {err}")
    return G, parcs.places(G)


def test_artois_candidates_as_documented(artois):
    """The embedded network keeps its documented candidate set (docs/missing-links.md): no
    built road outside the greenway layer, so no "connection"; connectors stay built=False."""
    G, _ = artois
    cands = missing_links(G)
    counts = cands["source"].value_counts().to_dict()
    assert counts == {"detour": 135, "connector": 88, "component": 57}
    assert (cands["from_place"] != "").all() and (cands["commune"] != "").all()


def test_artois_top_link_benefit_recomputed_from_scratch(artois):
    G, places = artois
    cands = missing_links(G, top=2)
    assert len(cands) >= 1
    base, _ = ref_objective(G, places)
    for row in cands.itertuples():
        after, _ = ref_objective(G, places, extra=[(int(row.u), int(row.v), row.est_length_m)])
        assert row.benefit == pytest.approx(base - after, rel=1e-9)


def test_artois_plan_cumulative_benefit_recomputed(artois):
    G, places = artois
    plan = plan_links(G, budget_km=2.0)
    assert len(plan) >= 1
    assert plan["cumulative_km"].iloc[-1] <= 2.0 + 1e-9
    base, _ = ref_objective(G, places)
    after, _ = ref_objective(
        G, places, extra=[(int(r.u), int(r.v), r.length_m) for r in plan.itertuples()]
    )
    assert plan["cumulative_benefit"].iloc[-1] == pytest.approx(base - after, rel=1e-9)
    assert plan.attrs["objective_before"] == pytest.approx(base, rel=1e-9)


def test_plan_by_benefit_per_km_first_pick():
    # town at 3; big park at 0 behind a long gap A (1-2), small park at 5 behind a short gap B
    coords = {0: (0, 0), 1: (1000, 0), 2: (3000, 0), 3: (4000, 0), 4: (4050, 0), 5: (4150, 0)}
    edges = [(0, 1, True, 1), (2, 3, True, 1), (4, 5, True, 1), (1, 2, False, 1), (3, 4, False, 1)]
    G = build_graph(coords, edges, max_gap=600)
    places = make_places(
        [
            ("big", "terril", (0, 0), 20, 0, 10.0, [0]),
            ("small", "terril", (4150, 0), 20, 0, 1.0, [5]),
            ("town", "commune", (4000, 0), 20, 1000, 0.0, [3]),
        ]
    )
    cands = missing_links(G, places=places, cluster_m=0)
    assert sorted(map(frozenset, zip(cands.u, cands.v, strict=True)), key=sorted) == [
        frozenset((1, 2)),
        frozenset((3, 4)),
    ]
    by_benefit = plan_links(G, budget_km=100, candidates=cands, places=places)
    by_km = plan_links(G, budget_km=100, candidates=cands, places=places, by="benefit_per_km")
    assert {int(by_benefit.iloc[0].u), int(by_benefit.iloc[0].v)} == {1, 2}
    assert {int(by_km.iloc[0].u), int(by_km.iloc[0].v)} == {3, 4}
    # hand-computed: town->big weight 1000*10/11, 15 km -> 1000 + 3000 + 1000 m
    assert by_benefit.iloc[0]["benefit"] == pytest.approx(1000 * 10 / 11 * (15_000 - 5_000) / 1000)
