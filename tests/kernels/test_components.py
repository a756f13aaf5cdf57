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
