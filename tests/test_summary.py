"""`parcs.summary` on the hand-made fixture (answers worked out by hand) and on the Artois."""

from __future__ import annotations

import json

import networkx as nx
import pytest

import parcs
from parcs.cli import main
from parcs.network.summary import format_summary, summary


def test_summary_of_tiny_graph_by_hand(tiny_graph):
    s = summary(tiny_graph)
    # 5 built edges of 1 km (1-2, 2-3, 1-4, 2-5, 4-5) and one 1 km connector (3-6)
    assert s["built_km"] == pytest.approx(5.0)
    assert s["connector_km"] == pytest.approx(1.0)
    assert s["km_by_kind"] == {"cavalier": pytest.approx(4.0), "connector": pytest.approx(1.0),
                               "eurovelo": pytest.approx(1.0)}
    assert s["eurovelo_km"] == pytest.approx(2.0)  # 2-3 (eurovelo) and 2-5 (cavalier + EV5)
    assert s["nodes"] == 6
    assert s["edges"] == 6
    assert s["components"] == 1
    assert s["largest_component_km"] == pytest.approx(5.0)
    # node 6 hangs on the connector only, so it is not part of the built network at all
    assert s["built_components"] == 1
    assert s["places"] == 0


def test_summary_of_artois_matches_networkx(artois):
    s = summary(artois)
    U = nx.Graph(artois)
    assert s["components"] == nx.number_connected_components(U)
    B = nx.Graph([(u, v) for u, v, d in artois.edges(data=True) if d["built"]])
    assert s["built_components"] == nx.number_connected_components(B)
    assert s["edges"] * 2 == artois.number_of_edges()
    assert 400 <= s["built_km"] <= 560
    P = parcs.places(artois)
    assert s["places"] == int(P["reached"].sum())
    assert s["places_total"] == len(P)
    text = format_summary(s)
    assert f"{s['built_km']:.1f} km" in text


def test_cli_info_json(capsys):
    assert main(["info", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    for key in ("built_km", "connector_km", "km_by_kind", "nodes", "edges", "components",
                "largest_component_km", "places"):
        assert key in data
    assert data["built_km"] == pytest.approx(summary(parcs.load_network())["built_km"])


def test_cli_info_table(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "built greenway" in out
    assert "gap connectors" in out
