"""The graph contract (parcs.graph): one check, every problem listed, every entry point.

Graphs here are the HAND-MADE ``tiny_graph`` fixture (tests/conftest.py) and copies of it
broken on purpose, plus the real Krems OSM sample.
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest

import parcs
from parcs import maps
from parcs.csr import CSRGraph, csr_of
from parcs.errors import ValidationError
from parcs.graph import (
    DEFAULT_KIND,
    add_reverse_edges,
    cache,
    edge_arrays,
    invalidate,
    undirected_edges,
    validate_graph,
)
from parcs.profiles import PROFILES, Profile
from tests.conftest import make_tiny_graph
from tests.samples import OSM_SAMPLES, needs_osm_samples


def broken() -> nx.MultiDiGraph:
    """Four problems at once: a NaN length, a negative est_length, a node without y, one way."""
    G = make_tiny_graph()
    for u, v in ((1, 2), (2, 1)):
        G.edges[u, v, 0]["length"] = math.nan
    G.edges[4, 5, 0]["est_length"] = -3.0
    del G.nodes[6]["y"]
    G.remove_edge(3, 2, 0)
    return G


def test_every_problem_is_listed_in_one_error():
    with pytest.raises(ValidationError) as exc:
        validate_graph(broken())
    text = str(exc.value)
    assert "2 edges have a missing, non-numeric, NaN or negative `length`" in text
    assert "1 edges have a non-numeric, NaN or negative `est_length`" in text
    assert "1 nodes have a missing or non-finite `x`/`y`" in text
    assert text.startswith("invalid parcs graph")


def test_one_way_edges_are_named_and_the_fix_works():
    G = make_tiny_graph()
    G.remove_edge(3, 2, 0)
    with pytest.raises(ValidationError, match=r"1 edges are stored in one direction only \(\(2, 3, 0\)\)"):
        validate_graph(G)
    add_reverse_edges(G)
    validate_graph(G)
    data = G.edges[3, 2, 0]
    assert list(data["geometry"].coords) == list(G.edges[2, 3, 0]["geometry"].coords)[::-1]


@pytest.mark.parametrize(
    "call",
    [
        lambda G: parcs.summary(G),
        lambda G: parcs.route(G, 1, 6),
        lambda G: parcs.distance_matrix(G, [1], [6]),
        lambda G: parcs.isochrone(G, 1, max_m=500),
        lambda G: parcs.round_trip(G, 1, length_m=4000),
        lambda G: parcs.points_noeuds(G),
        lambda G: parcs.missing_links(G),
        lambda G: parcs.metrics(G),
        lambda G: maps.explore(G, tiles=None),
        lambda G: parcs.io.to_gdfs(G),
        lambda G: parcs.save_graph(G, "never-written.gpkg"),
    ],
)
def test_every_entry_point_refuses_a_broken_graph(call, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValidationError, match="invalid parcs graph"):
        call(broken())
    assert not (tmp_path / "never-written.gpkg").exists()


def test_defaults_of_the_contract():
    """A graph with only `length` gets est_length = length, kind other, built True."""
    G = nx.MultiDiGraph(crs="EPSG:2154")
    G.add_node(1, x=0.0, y=0.0)
    G.add_node(2, x=300.0, y=400.0)
    G.add_edge(1, 2, 0, length=510.0)
    G.add_edge(2, 1, 0, length=510.0)
    ea = edge_arrays(G, geometry=True)
    assert ea.kinds == (DEFAULT_KIND,)
    assert ea.built.all()
    assert (ea.length == 510.0).all()
    assert ea.geoms[0].length == pytest.approx(500.0)  # the straight line, u to v
    assert parcs.route(G, 1, 2).length_m == pytest.approx(510.0)
    assert [u for u, v, k, d in undirected_edges(G)] == [1]


def test_validation_and_arrays_are_cached_until_the_graph_changes(tiny_graph):
    validate_graph(tiny_graph)
    assert cache(tiny_graph)["validated"] is True
    csr = csr_of(tiny_graph)
    assert csr_of(tiny_graph) is csr
    tiny_graph.add_node(99, x=0.0, y=0.0)  # networkx clears its cache on structural change
    assert "validated" not in cache(tiny_graph)
    assert csr_of(tiny_graph) is not csr
    csr2 = csr_of(tiny_graph)
    invalidate(tiny_graph)
    assert csr_of(tiny_graph) is not csr2


def test_a_user_made_profile_works_on_any_csr(tiny_graph):
    """Any Profile object, not only the built-in ones, on a graph and on a prebuilt CSRGraph."""
    slow = Profile("cautious", 10.0, {"eurovelo": 3.0, "connector": 10.0})
    csr = CSRGraph.from_graph(tiny_graph)
    cost = csr.profile_weight(slow, "cost")
    time = csr.profile_weight(slow, "time")
    kinds = csr.kind_of(np.arange(csr.n_arcs))
    want = csr.weights["length"] * np.array([slow.multiplier(k) for k in kinds])
    assert np.allclose(cost, want)
    assert np.allclose(time, csr.weights["length"] / (10 / 3.6))
    # 1 -> 3: via the eurovelo 2-3 (cost 3 x 1000) or around 1-4-5-2-3? 2-3 is the only way
    r = parcs.route(tiny_graph, 1, 6, profile=slow)
    assert r.profile == "cautious"
    assert r.cost == pytest.approx(1000 + 3 * 1000 + 10 * 1500)
    assert r.duration_s == pytest.approx(3500 / (10 / 3.6))
    with pytest.raises(parcs.errors.ProfileError, match="must be a finite number > 0"):
        Profile("bad", 10.0, {"path": -1.0})
    with pytest.raises(parcs.errors.ProfileError, match="speed_kmh"):
        Profile("bad", 0.0)
    assert parcs.route(tiny_graph, 1, 6, profile="BIKE").profile == "bike"  # any case


@needs_osm_samples
def test_a_real_osm_graph_follows_the_contract():
    G = parcs.graph_from_osm(path=OSM_SAMPLES / "krems.osm.gz")
    validate_graph(G)
    csr = csr_of(G)
    assert csr.n_arcs == G.number_of_edges()
    assert set(csr.kinds) <= {"cavalier", "towpath", "cycleway", "track", "path", "connector"}
    # the built-only CSR keeps every node with the same index
    built = csr_of(G, built_only=True)
    assert np.array_equal(built.node_ids, csr.node_ids)
    assert built.n_arcs == int((~csr.connector).sum())
    for name, prof in PROFILES.items():
        assert np.all(csr.profile_weight(prof, "cost") >= csr.weights["length"]), name
