"""Independent checks of a junction network, from its tables and graph alone (tests only).

Nothing here calls parcs' design code: the signed network is rebuilt with networkx from the
link geometries (their vertices matched to the nodes of ``net.graph`` with a k-d tree), and
every rule is checked by brute force:

* every edge of the signed network lies on exactly one link;
* every node where the signed network branches (or ends) is a junction, and no link passes
  a junction;
* a link's length is the sum of the ``est_length`` of its edges;
* numbers are in 1..99, linked junctions and the neighbours of a junction all differ, and a
  number is reused only ``min_reuse_m`` apart (straight line).
"""

from __future__ import annotations

import itertools
import math
from collections import Counter

import networkx as nx
import numpy as np
from scipy.spatial import cKDTree
from shapely.geometry import LineString

TOL_M = 0.01  # node coordinates of the embedded network are rounded to the cm


def make_graph(coords, edges, *, kinds=None, routes=None, built=None, crs="EPSG:2154"):
    """A parcs-format graph from node coordinates and straight edges (hand-made or random)."""
    from pyproj import Transformer

    to_wgs = Transformer.from_crs(crs, 4326, always_xy=True)
    G = nx.MultiDiGraph(crs=crs, name="test graph", source="fixture")
    for n, (x, y) in coords.items():
        lon, lat = to_wgs.transform(x, y)
        G.add_node(n, x=float(x), y=float(y), lon=lon, lat=lat)
    for k, (u, v) in enumerate(edges):
        line = LineString([coords[u], coords[v]])
        is_built = True if built is None else bool(built[k])
        attrs = {
            "length": line.length,
            "est_length": line.length * (1.0 if is_built else 1.4),
            "kind": "cavalier" if kinds is None else kinds[k],
            "eurovelo": False,
            "routes": "" if routes is None else routes[k],
            "name": "",
            "source": "fixture",
            "built": is_built,
            "surface": "",
        }
        key = G.number_of_edges(u, v)
        G.add_edge(u, v, key, geometry=line, **attrs)
        G.add_edge(v, u, key, geometry=LineString(line.coords[::-1]), **attrs)
    for n in G.nodes:
        G.nodes[n]["street_count"] = len(set(G.successors(n)))
    return G


def _edge_length(D, u, v, data):
    if "geometry" in data:
        return data["geometry"].length
    return math.dist((D.nodes[u]["x"], D.nodes[u]["y"]), (D.nodes[v]["x"], D.nodes[v]["y"]))


def link_edges(net):
    """For each link: its node sequence and its edges ``(min(u, v), max(u, v), key)``.

    The link line is walked vertex by vertex from its ``from_node``: a vertex is the next node
    when it lies within 1 cm of a node joined to the current one by an edge whose geometry
    has the length of the line walked since the current node.
    """
    D = net.graph
    ids = list(D.nodes)
    tree = cKDTree([(D.nodes[n]["x"], D.nodes[n]["y"]) for n in ids])
    out = []
    for row in net.links.itertuples():
        coords = np.asarray(row.geometry.coords)[:, :2]
        cum = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(coords, axis=0).T))])
        cands = tree.query_ball_point(coords, r=TOL_M)
        cur, i0 = row.from_node, 0
        nodes, edges = [cur], []
        for i in range(1, len(coords)):
            piece = cum[i] - cum[i0]
            step = None
            near = sorted(ids[j] for j in cands[i])
            if cur in near and piece < TOL_M:
                i0 = i  # still at the current node (a vertex a few mm from it)
                continue
            for c in near:
                if not D.has_edge(cur, c):
                    continue
                diffs = [(abs(_edge_length(D, cur, c, d) - piece), k) for k, d in D[cur][c].items()]
                diff, key = min(diffs)
                if diff <= 1e-6 * piece + 1e-3:
                    step = (c, key)
                    break
            if step is not None:
                c, key = step
                edges.append((min(cur, c), max(cur, c), key))
                nodes.append(c)
                cur, i0 = c, i
        out.append((row, nodes, edges))
    return out


def check_structure(net):
    """Assert the structural rules (module docstring); return the signed MultiGraph."""
    D = net.graph
    J = set(net.junctions.index)
    use = Counter()
    H = nx.MultiGraph()
    ends = Counter()
    for row, nodes, edges in link_edges(net):
        assert nodes[0] == row.from_node, (row.name, nodes[:2], row.from_node)
        assert nodes[-1] == row.to_node, (row.name, nodes[-2:], row.to_node)
        assert row.from_node != row.to_node, f"link {row.name} joins a junction to itself"
        assert not (set(nodes[1:-1]) & J), (
            f"link {row.name} passes junction(s) {set(nodes[1:-1]) & J}"
        )
        length = 0.0
        for e in edges:
            use[e] += 1
            H.add_edge(e[0], e[1], key=e[2])
            length += D.edges[e[0], e[1], e[2]]["est_length"]
        assert math.isclose(length, row.length_m, rel_tol=1e-6, abs_tol=1e-3), (
            row.name,
            length,
            row.length_m,
        )
        ends[row.from_node] += 1
        ends[row.to_node] += 1
    shared = [e for e, c in use.items() if c > 1]
    assert not shared, f"{len(shared)} edges on two links or more: {shared[:3]}"
    deg = dict(H.degree())
    branch_not_j = sorted(n for n, d in deg.items() if d != 2 and n not in J)
    assert not branch_not_j, f"branch points or ends without a junction: {branch_not_j[:5]}"
    assert net.junctions["degree"].to_dict() == {n: ends.get(n, 0) for n in net.junctions.index}
    # junctions are where the signed network branches or ends, or named cut points
    for n, reason in net.junctions["reason"].items():
        d = deg.get(n, 0)
        if reason == "intersection":
            assert d >= 3, (n, d)
        elif reason == "end":
            assert d == 1, (n, d)
        elif reason in {"split", "loop"}:
            assert d == 2, (n, reason, d)
        else:
            assert reason == "fixed", (n, reason)
    return H


def check_numbering(net, min_reuse_m):
    """Assert the numbering rules by brute force."""
    j = net.junctions
    nums = j["number"].to_numpy()
    assert ((nums >= 1) & (nums <= 99)).all()
    number = dict(zip(j.index, nums.tolist(), strict=True))
    xy = np.column_stack([j.geometry.x, j.geometry.y])
    for a, b in itertools.combinations(range(len(j)), 2):
        if nums[a] == nums[b]:
            assert math.dist(xy[a], xy[b]) >= min_reuse_m - 1e-6
    around = {n: [] for n in j.index}
    for f, t in zip(net.links["from_node"], net.links["to_node"], strict=True):
        assert number[f] != number[t]
        around[f].append(t)
        around[t].append(f)
    for n, nb in around.items():
        vals = [number[m] for m in set(nb)]
        assert len(vals) == len(set(vals)), f"junction {n} sees a number twice: {sorted(vals)}"
