"""Independent references for parcs.links, written from the formulas in docs/missing-links.md.

Nothing here imports parcs.links: the greenway layer, the place access, the OD weights, the
objective and every indicator are restated with networkx (shortest paths, components,
induced subgraphs) and shapely (distances, buffers, unions), slowly and plainly.
"""

from __future__ import annotations

import itertools
import math

import networkx as nx
import numpy as np
import shapely

# the documented rule: pairs of points less than 1 mm apart are the same spot, not a trip
SAME_SPOT_M = 1e-3

CAP = 15_000.0
SHARE = 0.25
SETTLEMENTS = {"commune", "town"}
PARKS = {"terril", "espace_neonaturel", "park", "nature", "forest"}
DEFAULT_KINDS = {"cavalier", "towpath", "cycleway", "eurovelo"}


# ------------------------------------------------------------------------------------------
# the greenway layer
# ------------------------------------------------------------------------------------------
def in_layer(d, kinds=DEFAULT_KINDS, routes=True):
    """An edge of the layer: built, and of a layer kind or (with `routes`) on a cycle route."""
    if not d.get("built", True):
        return False
    if kinds == "all":
        return True
    if d.get("kind", "other") in kinds:
        return True
    return routes and (d.get("eurovelo") is True or bool(str(d.get("routes") or "").strip()))


def layer_edges(G, kinds=DEFAULT_KINDS, routes=True):
    """(u, v, data) of the layer, each undirected edge once (u <= v)."""
    out = [(u, v, d) for u, v, d in G.edges(data=True) if u <= v and in_layer(d, kinds, routes)]
    if not out and kinds == DEFAULT_KINDS:  # documented fallback: every built edge
        out = [(u, v, d) for u, v, d in G.edges(data=True) if u <= v and d.get("built", True)]
    return out


def weight(d):
    return float(d["est_length"] if d.get("est_length") is not None else d["length"])


def layer_graph(G, edges, extra=()):
    """Undirected simple graph of the layer (shortest of parallel edges) + extra links."""
    H = nx.Graph()
    for u, v, d in [*edges, *((e[0], e[1], {"length": e[2]}) for e in extra)]:
        w = weight(d)
        if u == v:
            H.add_node(u)
            continue
        if not H.has_edge(u, v) or H[u][v]["weight"] > w:
            H.add_edge(u, v, weight=w)
    return H


def pts(G):
    return {n: shapely.Point(G.nodes[n]["x"], G.nodes[n]["y"]) for n in G.nodes}


# ------------------------------------------------------------------------------------------
# places and the objective
# ------------------------------------------------------------------------------------------
def entries(G, places, layer_nodes):
    """Per place: [(node, offset)]: its access nodes, plus the nearest layer node (ties: the
    smallest id) when none of them is on the layer."""
    P = pts(G)
    out = []
    on = sorted(layer_nodes)
    for geom, acc in zip(places.geometry, places["access_nodes"], strict=True):
        acc = [int(a) for a in (acc if isinstance(acc, (tuple, list)) else ()) if int(a) in G]
        if not any(a in layer_nodes for a in acc) and on and geom is not None:
            acc.append(min(on, key=lambda n: (geom.distance(P[n]), n)))
        out.append([(a, geom.distance(P[a])) for a in acc])
    return out


def place_graph(G, edges, places, extra=(), restrict=None, fixed=None):
    """Directed layer graph with ("out", i) -> access -> ("in", i) virtual place nodes.

    `fixed`: the entries to use (as :func:`entries` returns), e.g. those decided on the
    network before proposed links were noded in."""
    L = layer_graph(G, edges, extra)
    if restrict is not None:
        L = L.subgraph(restrict).copy()
    H = nx.DiGraph()
    for u, v, d in L.edges(data=True):
        H.add_edge(u, v, weight=d["weight"])
        H.add_edge(v, u, weight=d["weight"])
    layer_nodes = {n for u, v, _ in edges for n in (u, v)}
    for i, ent in enumerate(entries(G, places, layer_nodes) if fixed is None else fixed):
        for a, off in ent:
            if restrict is not None and a not in restrict:
                continue
            H.add_edge(("out", i), a, weight=off)
            H.add_edge(a, ("in", i), weight=off)
    return H


def od_weights(places, share=SHARE):
    kinds = list(places["kind"])
    pops = [0.0 if not np.isfinite(float(p)) else float(p) for p in places["population"]]
    areas = [float(a) for a in places["area_ha"]]
    towns = [i for i, k in enumerate(kinds) if k in SETTLEMENTS]
    wt = {c: pops[c] if pops[c] > 0 else 1.0 for c in towns}
    parks = [i for i, k in enumerate(kinds) if k in PARKS and areas[i] > 0]
    total_area = sum(areas[p] for p in parks)
    out = [(c, p, wt[c] * areas[p] / total_area) for c in towns for p in parks]
    people = sum(wt.values()) if towns else 1.0
    prod = sum(areas[a] * areas[b] for a, b in itertools.combinations(parks, 2))
    if prod > 0 and share > 0:
        out += [
            (a, b, share * people * areas[a] * areas[b] / prod)
            for a, b in itertools.combinations(parks, 2)
        ]
    samples = [i for i, k in enumerate(kinds) if k == "sample"]
    out += [(a, b, 1.0) for a, b in itertools.combinations(samples, 2)]
    return out


def objective(G, places, extra=(), cap=CAP, kinds=DEFAULT_KINDS, share=SHARE, fixed=None):
    """(Σ w·min(d, cap) / 1000, {(s, t): d}) from scratch."""
    H = place_graph(G, layer_edges(G, kinds), places, extra, fixed=fixed)
    total, dists, rows = 0.0, {}, {}
    for s, t, w in od_weights(places, share):
        if s not in rows:
            rows[s] = (
                nx.single_source_dijkstra_path_length(H, ("out", s)) if ("out", s) in H else {}
            )
        d = rows[s].get(("in", t), math.inf)
        dists[s, t] = d
        total += w * min(d, cap)
    return total / 1000.0, dists


def trips_new(d0, d1, places, cap=CAP):
    return sum(w for s, t, w in od_weights(places) if d0[s, t] > cap and d1[s, t] <= cap)


def sample_places(G, n, kinds=DEFAULT_KINDS, seed=0):
    """The documented node sample: n layer node ids from the sorted ids, default_rng(seed)."""
    import geopandas as gpd  # noqa: PLC0415

    ids = np.array(sorted({x for u, v, _ in layer_edges(G, kinds) for x in (u, v)}))
    if len(ids) > n:
        ids = np.sort(np.random.default_rng(seed).choice(ids, size=n, replace=False))
    P = pts(G)
    return gpd.GeoDataFrame(
        {
            "name": [f"node {i}" for i in ids],
            "kind": "sample",
            "population": 0.0,
            "area_ha": 0.0,
            "access_nodes": [(int(i),) for i in ids],
        },
        geometry=[P[i] for i in ids],
        crs=G.graph["crs"],
    )


# ------------------------------------------------------------------------------------------
# indicators
# ------------------------------------------------------------------------------------------
def _pair_sums(pairs):
    """pairs: [(straight, network)] -> directness, E_glob, straightness, n, n_reach."""
    pairs = [(s, d) for s, d in pairs if s >= SAME_SPOT_M]
    reach = [(s, d) for s, d in pairs if math.isfinite(d)]
    directness = sum(s for s, _ in reach) / sum(d for _, d in reach) if reach else math.nan
    inv_s = sum(1 / s for s, _ in pairs)
    e_glob = sum(1 / d for _, d in reach) / inv_s if inv_s else math.nan
    straight = sum(s / d for s, d in reach) / len(pairs) if pairs else math.nan
    return directness, e_glob, straight, len(pairs), len(reach)


def local_efficiency(L, P):
    """Mean over nodes of Σ 1/d_sub ÷ Σ 1/straight over ordered neighbour pairs (0 if < 2)."""
    if not L.number_of_nodes():
        return math.nan
    values = []
    for n in L.nodes:
        nb = [m for m in L.neighbors(n) if m != n]
        if len(nb) < 2:
            values.append(0.0)
            continue
        sub = L.subgraph(nb)
        dist = dict(nx.all_pairs_dijkstra_path_length(sub, weight="weight"))
        num = den = 0.0
        for a, b in itertools.permutations(nb, 2):
            s = P[a].distance(P[b])
            if s < SAME_SPOT_M:
                continue
            den += 1 / s
            d = dist[a].get(b, math.inf)
            if math.isfinite(d) and d > 0:
                num += 1 / d
        values.append(num / den if den else 0.0)
    return float(np.mean(values))


def metrics(
    G,
    places,
    *,
    pairs="places",
    kinds=DEFAULT_KINDS,
    buffer_m=500.0,
    extra=(),
    nodes=None,
    fixed=None,
):
    """Every indicator of parcs.metrics, from its formula (dict keyed like to_dict())."""
    edges = layer_edges(G, kinds)
    L = layer_graph(G, edges, extra)
    P = pts(G)
    out = {}
    out["length_km"] = (sum(weight(d) for _, _, d in edges) + sum(e[2] for e in extra)) / 1000
    comps = list(nx.connected_components(L))
    out["n_nodes"] = L.number_of_nodes()
    out["n_components"] = len(comps)
    lengths = []
    for comp in comps:
        sub = L.subgraph(comp)
        km = sum(weight(d) for u, v, d in edges if u in comp) + sum(
            e[2] for e in extra if e[0] in comp
        )
        lengths.append((km / 1000, -min(comp), comp))
        del sub
    best = max(lengths, key=lambda t: (t[0], t[1])) if lengths else (0.0, 0, set())
    lcc = best[2]
    out["largest_component_km"] = best[0]
    out["largest_component_share"] = best[0] / out["length_km"] if out["length_km"] else math.nan
    if pairs == "places":
        H = place_graph(G, edges, places, extra, fixed=fixed)
        HL = place_graph(G, edges, places, extra, restrict=lcc, fixed=fixed)
        geoms = list(places.geometry)
        n = len(geoms)
        rows = {
            i: nx.single_source_dijkstra_path_length(H, ("out", i)) if ("out", i) in H else {}
            for i in range(n)
        }
        rows_l = {
            i: nx.single_source_dijkstra_path_length(HL, ("out", i))
            for i in range(n)
            if ("out", i) in HL
        }
        all_pairs, lcc_pairs = [], []
        for i, j in itertools.combinations(range(n), 2):
            s = geoms[i].distance(geoms[j])
            all_pairs.append((s, rows[i].get(("in", j), math.inf)))
            if i in rows_l and j in rows_l:
                lcc_pairs.append((s, rows_l[i][("in", j)]))
    else:
        ids = sorted(L.nodes) if nodes is None else list(nodes)
        dist = {a: nx.single_source_dijkstra_path_length(L, a) for a in ids}
        all_pairs, lcc_pairs = [], []
        for a, b in itertools.combinations(ids, 2):
            s = P[a].distance(P[b])
            all_pairs.append((s, dist[a].get(b, math.inf)))
            if a in lcc and b in lcc:
                lcc_pairs.append((s, dist[a][b]))
    d, e, st, npairs, nreach = _pair_sums(all_pairs)
    dl, el, _, _, _ = _pair_sums(lcc_pairs)
    out.update(
        directness=d,
        global_efficiency=e,
        straightness=st,
        n_pairs=npairs,
        n_reachable_pairs=nreach,
        directness_lcc=dl,
        global_efficiency_lcc=el,
    )
    out["local_efficiency"] = local_efficiency(L, P)
    lines = [d.get("geometry") or shapely.LineString([P[u], P[v]]) for u, v, d in edges]
    lines += [
        e[3] if len(e) > 3 and e[3] is not None else shapely.LineString([P[e[0]], P[e[1]]])
        for e in extra
    ]
    union = shapely.union_all([ln.buffer(buffer_m, quad_segs=8) for ln in lines]) if lines else None
    out["coverage_km2"] = union.area / 1e6 if union is not None else 0.0
    if places is not None:
        counted = [g for g, k in zip(places.geometry, places["kind"], strict=True) if k != "sample"]
        network = shapely.union_all(lines) if lines else None
        cov = sum(1 for g in counted if network is not None and g.distance(network) <= buffer_m)
        out["n_places"] = len(counted)
        out["places_covered"] = cov
        out["places_covered_share"] = cov / len(counted) if counted else math.nan
        out.update(_population(places, lines, network))
        out.update(_parks(G, edges, places, extra, fixed))
    return out


def _population(places, lines, network):
    out = {}
    towns = [
        (g, float(p))
        for g, p, k in zip(
            places.geometry, places["population"].fillna(0), places["kind"], strict=True
        )
        if k in SETTLEMENTS
    ]
    total = sum(p for _, p in towns)
    out["population_total"] = total
    for dist, key in ((500.0, "500m"), (1000.0, "1km")):
        covered = 0.0
        buf = shapely.union_all([ln.buffer(dist, quad_segs=8) for ln in lines]) if lines else None
        for g, p in towns:
            if buf is None:
                continue
            if g.area > 0:
                covered += p * min(g.intersection(buf).area / g.area, 1.0)
            elif g.distance(network) <= dist:
                covered += p
        out[f"population_{key}"] = covered
        out[f"share_{key}"] = covered / total if total > 0 else math.nan
    return out


def _parks(G, edges, places, extra, fixed=None):
    H = place_graph(G, edges, places, extra, fixed=fixed)
    kinds = list(places["kind"])
    towns = [i for i, k in enumerate(kinds) if k in SETTLEMENTS]
    parks = [i for i, k in enumerate(kinds) if k in PARKS]
    counts = {5000.0: [], 10000.0: []}
    for c in towns:
        row = nx.single_source_dijkstra_path_length(H, ("out", c)) if ("out", c) in H else {}
        for r in counts:
            counts[r].append(sum(1 for p in parks if row.get(("in", p), math.inf) <= r))
    out = {}
    for r, key in ((5000.0, "5km"), (10000.0, "10km")):
        out[f"parks_{key}_mean"] = float(np.mean(counts[r])) if towns else math.nan
        out[f"parks_{key}_median"] = float(np.median(counts[r])) if towns else math.nan
    return out


def connection_path(G, a, b, kinds=DEFAULT_KINDS):
    """The shortest path a -> b over built edges outside the layer through no other layer
    node, as one LineString (its edges' geometries end to end)."""
    layer = {x for u, v, _ in layer_edges(G, kinds) for x in (u, v)}
    R = nx.Graph()
    best = {}
    for u, v, d in G.edges(data=True):
        if d.get("built", True) and not in_layer(d, kinds) and u != v:
            w = weight(d)
            if (u, v) not in best or best[u, v][0] > w:
                best[u, v] = (w, d.get("geometry"))
                R.add_edge(u, v, weight=w)
                R[u][v]["weight"] = min(R[u][v]["weight"], w)
    sub = R.subgraph((set(R.nodes) - layer) | {a, b})
    path = nx.dijkstra_path(sub, a, b)
    coords = []
    for u, v in zip(path[:-1], path[1:]):
        w, geom = best[u, v]
        part = list(geom.coords)
        coords += part if not coords else part[1:]
    return shapely.LineString(coords)
