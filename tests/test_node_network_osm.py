"""Import of OSM node networks (parcs.read_node_network) on real knooppuntnet test files.

Every expected count is made here independently by parsing the XML with ElementTree.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter

import pytest

from parcs.errors import DataError, EmptyAreaError, ValidationError
from parcs.junctions import read_node_network
from tests.samples import OSM_SAMPLES, needs_osm_samples

SAMPLES = OSM_SAMPLES
SINGLE = SAMPLES / "knooppuntnet-10887712.xml"
BEFORE = SAMPLES / "knooppuntnet-network-8438300-before.xml"
AFTER = SAMPLES / "knooppuntnet-network-8438300-after.xml"

pytestmark = needs_osm_samples


def parse(path):
    """Independent reading: tags of nodes, node lists of ways, route relations."""
    root = ET.parse(path).getroot()
    nodes = {
        int(n.get("id")): {t.get("k"): t.get("v") for t in n.findall("tag")}
        for n in root.iter("node")
    }
    ways = {
        int(w.get("id")): [int(nd.get("ref")) for nd in w.findall("nd")] for w in root.iter("way")
    }
    routes = []
    for r in root.iter("relation"):
        tags = {t.get("k"): t.get("v") for t in r.findall("tag")}
        if tags.get("type") == "route" and tags.get("network:type") == "node_network":
            routes.append(
                {
                    "id": int(r.get("id")),
                    "tags": tags,
                    "ways": [
                        int(m.get("ref")) for m in r.findall("member") if m.get("type") == "way"
                    ],
                    "nodes": [
                        int(m.get("ref")) for m in r.findall("member") if m.get("type") == "node"
                    ],
                }
            )
    return nodes, ways, routes


def junctions_of(nodes, network):
    return {n for n, t in nodes.items() if f"{network}_ref" in t}


def reach_counts(nodes, ways, routes, network):
    junctions = junctions_of(nodes, network)
    reach = Counter()
    for r in routes:
        if r["tags"].get("network") != network or r["tags"].get("state") in {
            "connection",
            "alternate",
        }:
            continue
        on = set(r["nodes"])
        for w in r["ways"]:
            on.update(ways.get(w, []))
        for n in on & junctions:
            reach[n] += 1
    return reach


def test_single_relation_network_counts():
    nodes, ways, routes = parse(SINGLE)
    net = read_node_network(SINGLE)
    assert net.report["network"] == "rcn"
    assert len(net.junctions) == len(junctions_of(nodes, "rcn")) == 94
    assert net.report["routes"] == len(routes) == 1
    refs = Counter(t["rcn_ref"] for n, t in nodes.items() if "rcn_ref" in t)
    assert Counter(net.junctions["ref"]) == refs
    # "oA" refs are not numbers
    assert (net.junctions.loc[net.junctions["ref"] == "oA", "number"] == -1).all()
    # every link joins two junctions and its geometry runs between them
    j = net.junctions
    for row in net.links.itertuples():
        assert row.from_node in j.index and row.to_node in j.index
        assert row.geometry.coords[0] == pytest.approx(
            tuple(j.geometry.loc[row.from_node].coords[0])
        )


def test_route_continuity_matches_independent_count():
    import networkx as nx

    nodes, ways, routes = parse(SINGLE)
    H = nx.Graph()
    for w in routes[0]["ways"]:
        seq = ways[w]
        H.add_nodes_from(seq)
        H.add_edges_from(zip(seq[:-1], seq[1:]))
    pieces = nx.number_connected_components(H)
    net = read_node_network(SINGLE)
    flagged = net.issues[net.issues["check"] == "route_not_continuous"]
    if pieces > 1:
        assert list(flagged["osm_id"]) == [routes[0]["id"]]
        assert f"{pieces} separate pieces" in flagged["detail"].iloc[0]
    else:
        assert flagged.empty


@pytest.mark.parametrize("path", [BEFORE, AFTER])
def test_paddling_network_expected_counts(path):
    nodes, ways, routes = parse(path)
    net = read_node_network(path)
    assert net.report["network"] == "rmn"
    assert len(net.junctions) == len(junctions_of(nodes, "rmn"))
    assert net.report["routes"] == sum(r["tags"].get("network") == "rmn" for r in routes)
    reach = reach_counts(nodes, ways, routes, "rmn")
    expected_bad = sorted(
        n
        for n, t in nodes.items()
        if "rmn_ref" in t
        and "expected_rmn_route_relations" in t
        and int(t["expected_rmn_route_relations"]) != reach[n]
    )
    got = net.issues[net.issues["check"] == "expected_route_relations"]
    assert sorted(got["osm_id"]) == expected_bad
    assert (net.junctions["routes"] == [reach[n] for n in net.junctions.index]).all()
    orphans = sorted(n for n in junctions_of(nodes, "rmn") if reach[n] == 0)
    assert sorted(net.issues.loc[net.issues["check"] == "orphan_junction", "osm_id"]) == orphans


def test_route_names_against_junction_refs():
    nodes, ways, routes = parse(BEFORE)
    net = read_node_network(BEFORE)
    # independent: routes whose "A-B" ref names refs that are not junctions of that route
    junctions = junctions_of(nodes, "rmn")
    bad = []
    for r in routes:
        m = re.match(r"^\s*([0-9A-Za-z]+)\s*-\s*([0-9A-Za-z]+)", r["tags"].get("ref", ""))
        if not m:
            continue
        on = set(r["nodes"])
        for w in r["ways"]:
            on.update(ways.get(w, []))
        refs = {
            str(int(nodes[n]["rmn_ref"])) if nodes[n]["rmn_ref"].isdigit() else nodes[n]["rmn_ref"]
            for n in on & junctions
        }
        named = {str(int(x)) if x.isdigit() else x for x in m.groups()}
        if refs and not named <= refs:
            bad.append(r["id"])
    got = net.issues.loc[net.issues["check"] == "route_name", "osm_id"].tolist()
    assert set(bad) <= set(got)
    # link names follow OSM style: lower number first
    for row in net.links.itertuples():
        a, b = row.name.split("-")
        if a.isdigit() and b.isdigit():
            assert int(a) <= int(b)


def test_before_after_difference_is_found():
    nodes_b, _, _ = parse(BEFORE)
    nodes_a, _, _ = parse(AFTER)
    jb, ja = junctions_of(nodes_b, "rpn"), junctions_of(nodes_a, "rpn")
    removed = jb - ja
    assert removed  # the edit removed an rpn junction
    before = read_node_network(BEFORE, network="rpn")
    after = read_node_network(AFTER, network="rpn")
    assert len(before.junctions) == len(jb) and len(after.junctions) == len(ja)
    assert set(before.junctions.index) - set(after.junctions.index) == removed
    # no rpn route relation in these files: every rpn junction is an orphan
    orph_b = set(before.issues.loc[before.issues["check"] == "orphan_junction", "osm_id"])
    orph_a = set(after.issues.loc[after.issues["check"] == "orphan_junction", "osm_id"])
    assert orph_b - orph_a == removed


def test_errors(tmp_path):
    with pytest.raises(DataError, match="path"):
        read_node_network(tmp_path / "missing.osm")
    empty = tmp_path / "empty.osm"
    empty.write_text(
        '<?xml version="1.0"?>\n<osm version="0.6"><node id="1" lat="50" lon="2"/></osm>\n'
    )
    with pytest.raises(EmptyAreaError, match="no node network"):
        read_node_network(empty)
    with pytest.raises(ValidationError, match="network"):
        read_node_network(BEFORE, network="rcn")


def test_hand_made_file_with_wrong_name_and_gap(tmp_path):
    # junctions 1, 2, 3 on a line; route "1-3" joins 1 and 2 only (name mismatch); route "2-3"
    # has a missing piece (two separate ways) and junction 3 expects 2 routes but gets 1
    text = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6">
  <node id="1" lat="50.0" lon="2.00"><tag k="rwn_ref" v="1"/></node>
  <node id="2" lat="50.0" lon="2.01"><tag k="rwn_ref" v="2"/></node>
  <node id="3" lat="50.0" lon="2.03"><tag k="rwn_ref" v="3"/><tag k="expected_rwn_route_relations" v="2"/></node>
  <node id="4" lat="50.0" lon="2.02"/>
  <node id="5" lat="50.0" lon="2.025"/>
  <way id="10"><nd ref="1"/><nd ref="2"/></way>
  <way id="11"><nd ref="2"/><nd ref="4"/></way>
  <way id="12"><nd ref="5"/><nd ref="3"/></way>
  <relation id="100"><member type="way" ref="10" role=""/>
    <tag k="type" v="route"/><tag k="route" v="hiking"/><tag k="network" v="rwn"/>
    <tag k="network:type" v="node_network"/><tag k="note" v="1-3"/></relation>
  <relation id="101"><member type="way" ref="11" role=""/><member type="way" ref="12" role=""/>
    <tag k="type" v="route"/><tag k="route" v="hiking"/><tag k="network" v="rwn"/>
    <tag k="network:type" v="node_network"/><tag k="note" v="2-3"/></relation>
</osm>
"""
    path = tmp_path / "net.osm"
    path.write_text(text)
    net = read_node_network(path)
    checks = {(c, int(i)) for c, i in zip(net.issues["check"], net.issues["osm_id"], strict=True)}
    assert ("route_name", 100) in checks
    assert ("route_not_continuous", 101) in checks
    assert ("expected_route_relations", 3) in checks
    assert ("route_name", 101) not in checks
    assert list(net.links["name"]) == ["1-2"]  # route 101 is broken: no link 2-3
    assert net.links["length_m"].iloc[0] == pytest.approx(716, rel=0.01)  # 0.01° lon at 50°N


@pytest.mark.parametrize(("path", "network"), [(SINGLE, "rcn"), (BEFORE, "rmn")])
def test_route_ends_without_junction(path, network):
    import networkx as nx

    nodes, ways, routes = parse(path)
    junctions = junctions_of(nodes, network)
    expected = {}
    for r in routes:
        if r["tags"].get("network") != network:
            continue
        H = nx.Graph()
        for w in r["ways"]:
            seq = ways.get(w, [])
            H.add_edges_from((a, b) for a, b in zip(seq[:-1], seq[1:]) if a != b)
        loose = [n for n in H if H.degree(n) == 1 and n not in junctions]
        if loose:
            expected[r["id"]] = len(loose)
    net = read_node_network(path, network=network)
    got = net.issues[net.issues["check"] == "route_end_without_junction"]
    assert dict(zip(got["osm_id"], (int(d.split()[0]) for d in got["detail"]))) == expected
