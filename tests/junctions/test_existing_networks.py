"""Designing next to, or over, an existing node network read from OSM (``fixed_numbers``).

Real data: knooppuntnet's German rcn test network (``knooppuntnet-10887712.xml``, ODbL) and
the Hazebrouck points-nœuds route. Checks are brute force over the junction tables.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import shapely

import parcs
from parcs.junctions import points_noeuds, read_node_network
from tests.junctions.reference import check_numbering, check_structure, make_graph
from tests.samples import OSM_SAMPLES, needs_osm_samples

RCN = OSM_SAMPLES / "knooppuntnet-10887712.xml"
HAZEBROUCK = OSM_SAMPLES / "knooppuntnet-9637368-hazebrouck.osm"


def existing_pairs_only(net, imported, min_reuse_m):
    """Every pair of junctions sharing a number closer than `min_reuse_m` is a pair of
    existing junctions (kept as they are on the ground)."""
    j = net.junctions
    old = set(imported.junctions.index)
    xy = np.column_stack([j.geometry.x, j.geometry.y])
    nums = j["number"].to_numpy()
    ids = j.index.to_numpy()
    for a, b in itertools.combinations(range(len(j)), 2):
        if nums[a] == nums[b] and math.dist(xy[a], xy[b]) < min_reuse_m:
            assert {ids[a], ids[b]} <= old, (ids[a], ids[b], nums[a])


@needs_osm_samples
def test_existing_junctions_keep_numbers_and_positions():
    G = parcs.graph_from_osm(path=RCN)
    imported = read_node_network(RCN)
    net = points_noeuds(G, fixed_numbers=imported)
    check_structure(net)
    j, old = net.junctions, imported.junctions.to_crs(net.junctions.crs)
    assert set(old.index) <= set(j.index)  # every existing junction is still a junction
    for n in old.index:
        assert j.at[n, "reason"] == "fixed"
        # same place: the node of the graph, where the OSM node is
        assert j.geometry.loc[n].distance(old.geometry.loc[n]) < 0.01
        if 1 <= old.at[n, "number"] <= 99:
            assert j.at[n, "number"] == old.at[n, "number"]
    existing_pairs_only(net, imported, 5000.0)
    # new junctions follow every numbering rule among themselves and against the old ones
    number = j["number"].to_dict()
    for f, t in zip(net.links["from_node"], net.links["to_node"], strict=True):
        if not {f, t} <= set(old.index):
            assert number[f] != number[t]


@needs_osm_samples
def test_new_numbers_respect_min_reuse_across_the_border():
    imported = read_node_network(RCN)
    west, south, east, north = imported.junctions.to_crs(4326).total_bounds
    mid = (west + east) / 2
    clip = shapely.box(west - 0.01, south - 0.01, mid, north + 0.01)  # the western half
    G = parcs.graph_from_osm(path=RCN, clip=clip)
    net = points_noeuds(G, fixed_numbers=imported)
    old = imported.junctions.to_crs(net.junctions.crs)
    beyond = old[~old.index.isin(net.junctions.index) & old["number"].between(1, 99)]
    assert len(beyond) > 10 and net.report["border_junctions"] == len(beyond)
    new = net.junctions[~net.junctions.index.isin(old.index)]
    assert len(new) > 5
    close = 0
    for row in new.itertuples():
        d = beyond.geometry.distance(row.geometry)
        same = beyond[(beyond["number"] == row.number)]
        assert (d[same.index] >= 5000.0).all(), (row.Index, row.number)
        close += int((d < 5000.0).any())
    assert close > 0  # the constraint did bite: new junctions lie near the border
    # without the border the same numbers can be reused right next to it
    alone = points_noeuds(G)
    assert len(alone.junctions) > 0


@needs_osm_samples
def test_hazebrouck_route_kept():
    G = parcs.graph_from_osm(path=HAZEBROUCK)
    imported = read_node_network(HAZEBROUCK)
    net = points_noeuds(G, fixed_numbers=imported, min_link_m=500.0)
    refs = dict(zip(net.junctions.index, net.junctions["ref"], strict=True))
    on_graph = [n for n in imported.junctions.index if n in G]
    assert on_graph  # junction 17; junction 19 stands on a road the graph leaves out
    for n in on_graph:
        assert refs[n] == str(imported.junctions.at[n, "ref"])
    assert net.report["border_junctions"] == len(imported.junctions) - len(on_graph)
    check_numbering(net, 5000.0)
    # no new junction, all within 5 km of the border junction 19, may carry 19
    assert 19 not in set(net.junctions.loc[~net.junctions.index.isin(on_graph), "number"])


def test_fixed_mapping_still_refuses_conflicts():
    coords = {i: (690_000.0 + 1500.0 * i, 7_032_000.0) for i in range(6)}
    G = make_graph(coords, [(i, i + 1) for i in range(5)])
    with pytest.raises(parcs.errors.NumberingError, match="adjacent"):
        points_noeuds(G, network="all", include_places=False, fixed_numbers={0: 7, 5: 7})
