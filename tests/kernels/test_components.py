"""Weakly connected components against networkx."""

from __future__ import annotations

import networkx as nx
import numpy as np
from hypothesis import given, settings
from tests import naive

from parcs._kernels.components import connected_components

SETTINGS = settings(deadline=None, derandomize=True)


@SETTINGS
@given(g=naive.graphs())
def test_components_match_networkx(g):
    n = g["n"]
    labels = connected_components(g["indptr"], g["indices"], g["tails"], n)
    G = nx.DiGraph()
    G.add_nodes_from(range(n))
    G.add_edges_from(zip(g["tails"].tolist(), g["indices"].tolist()))
    comps = sorted((sorted(c) for c in nx.weakly_connected_components(G)), key=min)
    assert labels.max() + 1 == len(comps)
    for i, comp in enumerate(comps):  # numbered by first node index
        assert set(np.flatnonzero(labels == i).tolist()) == set(comp)


def test_isolated_nodes_get_their_own_label():
    indptr, indices, tails, _ = naive.to_csr(4, [2], [1], [1.0])
    assert connected_components(indptr, indices, tails, 4).tolist() == [0, 1, 1, 2]


# ------------------------------------------------------------------ cycle_nodes vs nx.bridges


def _reference_cycle_nodes(g, usable):
    """Independent reference: ends of every non-bridge edge (networkx.bridges on a MultiGraph)."""
    H = nx.MultiGraph()
    H.add_nodes_from(range(g["n"]))
    seen = {}
    for e, (u, v) in enumerate(zip(g["tails"].tolist(), g["indices"].tolist())):
        if usable[e] and u != v:
            seen.setdefault((min(u, v), max(u, v)), []).append(e)
    for (u, v), arcs in seen.items():
        for _ in range(max(1, len(arcs) // 2)):  # an undirected edge is two arcs
            H.add_edge(u, v)
    bridges = {(min(a, b), max(a, b)) for a, b in nx.bridges(nx.Graph(H))}
    mark = np.zeros(g["n"], dtype=bool)
    for u, v, _k in H.edges(keys=True):
        if (u, v) not in bridges or H.number_of_edges(u, v) > 1:
            mark[u] = mark[v] = True
    return mark


@SETTINGS
@given(g=naive.graphs(max_nodes=25, max_arcs=40, with_inf=True).filter(lambda g: not g["directed"]))
def test_cycle_nodes_match_networkx_bridges(g):
    from parcs._kernels.components import cycle_nodes

    usable = np.isfinite(g["weights"])
    got = cycle_nodes(g["indptr"], g["indices"], usable)
    assert got.tolist() == _reference_cycle_nodes(g, usable).tolist()


def test_cycle_nodes_hand_made():
    # HAND-MADE: triangle 0-1-2 with a spur 2-3, and a double edge 4=5
    from parcs._kernels.components import cycle_nodes

    pairs = [(0, 1), (1, 2), (2, 0), (2, 3), (4, 5), (4, 5)]
    tails = [u for u, v in pairs] + [v for u, v in pairs]
    heads = [v for u, v in pairs] + [u for u, v in pairs]
    indptr, indices, _, _ = naive.to_csr(6, tails, heads, [1.0] * len(tails))
    mark = cycle_nodes(indptr, indices, np.ones(len(indices), dtype=bool))
    assert mark.tolist() == [True, True, True, False, True, True]


def test_cycle_nodes_long_path_has_no_recursion_limit():
    from parcs._kernels.components import cycle_nodes

    n = 200_000  # a path: every edge is a bridge; then close it into a ring
    t = np.arange(n - 1)
    tails, heads = np.concatenate([t, t + 1]), np.concatenate([t + 1, t])
    indptr, indices, _, _ = naive.to_csr(n, tails, heads, np.ones(len(tails)))
    assert not cycle_nodes(indptr, indices, np.ones(len(indices), dtype=bool)).any()
    tails, heads = np.concatenate([tails, [0, n - 1]]), np.concatenate([heads, [n - 1, 0]])
    indptr, indices, _, _ = naive.to_csr(n, tails, heads, np.ones(len(tails)))
    assert cycle_nodes(indptr, indices, np.ones(len(indices), dtype=bool)).all()
