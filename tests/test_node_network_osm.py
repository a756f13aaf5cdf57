"""Import of OSM node networks (parcs.read_node_network) on real knooppuntnet test files.

Every expected count is made here independently by parsing the XML with ElementTree.
"""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from collections import Counter

import osmium
import pytest
from pyproj import Geod

from parcs.errors import DataError, EmptyAreaError, NoPathError, ValidationError
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


# ---------------------------------------------------------------------------------------------
# Older tagging: route relations without network:type=node_network (knooppuntnet's oldTagging)
# ---------------------------------------------------------------------------------------------

HAZEBROUCK = SAMPLES / "knooppuntnet-9637368-hazebrouck.osm"
KREMS = SAMPLES / "krems.osm.gz"
OLDER_KEY = re.compile(r"^[lrni][wchmpi]n$")  # knooppuntnet's scoped network keys


def strip_network_type(src, dst, *, every=1):
    """Copy an OSM XML file without its ``network:type`` tags (on every `every`-th route only
    when `every` > 1; then on no node or network relation)."""
    tree = ET.parse(src)
    routes = 0
    for el in tree.getroot():
        is_route = el.tag == "relation" and any(
            t.get("k") == "type" and t.get("v") == "route" for t in el.findall("tag")
        )
        if every > 1:
            if not is_route:
                continue
            routes += 1
            if routes % every:
                continue
        for t in el.findall("tag"):
            if t.get("k") == "network:type":
                el.remove(t)
    tree.write(dst, encoding="utf-8", xml_declaration=True)
    return dst


class RouteCount:
    """Independent reading with a pyosmium handler: junctions of `network`, its
    ``type=route`` relations (tagged or not) and the nodes each one passes."""

    def __init__(self, path, network):
        key = f"{network}_ref"
        self.junctions, self.ways, self.routes = set(), {}, {}
        self.tagged = set()

        outer = self

        class H(osmium.SimpleHandler):
            def node(self, n):
                if key in n.tags:
                    outer.junctions.add(n.id)

            def way(self, w):
                outer.ways[w.id] = [nd.ref for nd in w.nodes]

            def relation(self, r):
                if r.tags.get("type") != "route" or r.tags.get("network") != network:
                    return
                outer.routes[r.id] = (
                    [m.ref for m in r.members if m.type == "w"],
                    [m.ref for m in r.members if m.type == "n"],
                )
                if r.tags.get("network:type") == "node_network":
                    outer.tagged.add(r.id)

        H().apply_file(str(path))

    def on(self, rid):
        ways, nodes = self.routes[rid]
        out = set(nodes)
        for w in ways:
            out.update(self.ways.get(w, []))
        return out

    def with_junction(self):
        return {rid for rid in self.routes if self.on(rid) & self.junctions}

    def orphans(self):
        reached = set().union(*(self.on(rid) for rid in self.routes)) if self.routes else set()
        return self.junctions - reached


def _facts(net):
    """Links and issues of an import, as plain comparable rows."""
    links = [
        (r.name, r.from_node, r.to_node, round(r.length_m, 6), r.route_id)
        for r in net.links.itertuples()
    ]
    cols = ["check", "osm_type", "osm_id", "ref", "detail"]
    issues = [tuple(r) for r in net.issues[cols].itertuples(index=False)]
    junctions = net.junctions[["ref", "degree", "routes", "expected_routes"]].to_dict("index")
    return links, issues, junctions


@pytest.mark.parametrize(
    ("path", "network"), [(SINGLE, "rcn"), (BEFORE, "rmn"), (AFTER, "rmn"), (HAZEBROUCK, "rcn")]
)
def test_older_tagging_imports_like_the_original(tmp_path, path, network):
    older = strip_network_type(path, tmp_path / "older.osm")
    assert "network:type" not in older.read_text(encoding="utf-8")
    count = RouteCount(older, network)
    assert not count.tagged
    orig = read_node_network(path)
    net = read_node_network(older)
    assert net.report["network"] == orig.report["network"] == network
    # every route of the network passes one of its junctions, so all are taken
    assert count.with_junction() == set(count.routes)
    assert net.report["routes"] == orig.report["routes"] == len(count.routes)
    assert net.report["tagging"] == "older"
    assert net.report["routes_by_tagging"] == {"node_network": 0, "older": len(count.routes)}
    assert orig.report["tagging"] == "node_network"
    assert orig.report["routes_by_tagging"] == {"node_network": len(count.routes), "older": 0}
    assert net.report["older_routes_left_out"] == 0
    # same links (names, node pairs, lengths, routes), same issues, same junction counts
    assert _facts(net) == _facts(orig)
    assert net.report["issues_by_check"] == orig.report["issues_by_check"]
    assert net.report["km_covered"] == pytest.approx(orig.report["km_covered"])
    # before: 0 routes and one false orphan_junction per junction; now only the real orphans
    orphans = net.issues.loc[net.issues["check"] == "orphan_junction", "osm_id"]
    assert set(orphans) == count.orphans()
    assert len(orphans) < len(count.junctions)


def test_mixed_tagging_counts_each(tmp_path):
    mixed = strip_network_type(BEFORE, tmp_path / "mixed.osm", every=2)
    count = RouteCount(mixed, "rmn")
    assert 0 < len(count.tagged) < len(count.routes)
    net = read_node_network(mixed)
    assert net.report["tagging"] == "mixed"
    assert net.report["routes_by_tagging"] == {
        "node_network": len(count.tagged),
        "older": len(count.routes) - len(count.tagged),
    }
    assert _facts(net) == _facts(read_node_network(BEFORE))


def test_regional_routes_without_junction_are_not_node_networks():
    """Krems (real OSM): regional/local/international cycle and hiking routes in the older
    form (network=rcn/rwn/lwn/icn, no network:type) and a ``type=network`` rcn collection,
    but no junction node: nothing is a node network."""
    older = 0
    for rel in osmium.FileProcessor(str(KREMS), osmium.osm.RELATION):
        if rel.tags.get("type") == "route" and OLDER_KEY.match(rel.tags.get("network", "")):
            older += 1
    assert older > 0
    with pytest.raises(EmptyAreaError, match=rf"\({older} route relation\(s\) tagged network="):
        read_node_network(KREMS)


# Hand-made file (not OSM data), written from the tagging rules of the OSM wiki page "Node
# networks": junctions carry rcn_ref (and expected_rcn_route_relations), each link is a
# type=route route=bicycle network=rcn relation, older ones without network:type=node_network.
#   junctions 1 (50.00, 2.00), 2 (50.00, 2.02), 3 (50.01, 2.01): a triangle of links
#     1-2 (older, way 10 through node 11), 2-3 (older, way 11 through node 12),
#     1-3 (network:type=node_network, way 12 through node 13);
#   junction 4 (50.02, 2.03): expects 1 route, no route reaches it (a real orphan);
#   relation 200: a regular regional cycle route (network=rcn, ref V30, no network:type) that
#     crosses link 1-2 at node 11 but passes no junction: not a node-network route;
#   relation 201: a hostile rwn route whose only members are a missing way and itself.
HAND_MADE = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6">
  <node id="1" lat="50.000" lon="2.000">
    <tag k="rcn_ref" v="01"/><tag k="expected_rcn_route_relations" v="2"/></node>
  <node id="2" lat="50.000" lon="2.020">
    <tag k="rcn_ref" v="02"/><tag k="expected_rcn_route_relations" v="2"/></node>
  <node id="3" lat="50.010" lon="2.010">
    <tag k="rcn_ref" v="03"/><tag k="expected_rcn_route_relations" v="2"/></node>
  <node id="4" lat="50.020" lon="2.030">
    <tag k="rcn_ref" v="04"/><tag k="expected_rcn_route_relations" v="1"/></node>
  <node id="11" lat="50.000" lon="2.010"/>
  <node id="12" lat="50.005" lon="2.015"/>
  <node id="13" lat="50.005" lon="2.005"/>
  <node id="21" lat="49.990" lon="2.010"/>
  <node id="22" lat="50.030" lon="2.010"/>
  <way id="10"><nd ref="1"/><nd ref="11"/><nd ref="2"/><tag k="highway" v="cycleway"/></way>
  <way id="11"><nd ref="2"/><nd ref="12"/><nd ref="3"/><tag k="highway" v="cycleway"/></way>
  <way id="12"><nd ref="3"/><nd ref="13"/><nd ref="1"/><tag k="highway" v="cycleway"/></way>
  <way id="20"><nd ref="21"/><nd ref="11"/><nd ref="22"/><tag k="highway" v="cycleway"/></way>
  <relation id="100"><member type="way" ref="10" role=""/>
    <tag k="type" v="route"/><tag k="route" v="bicycle"/><tag k="network" v="rcn"/>
    <tag k="note" v="01-02"/></relation>
  <relation id="101"><member type="way" ref="11" role=""/>
    <tag k="type" v="route"/><tag k="route" v="bicycle"/><tag k="network" v="rcn"/>
    <tag k="note" v="02-03"/></relation>
  <relation id="102"><member type="way" ref="12" role=""/>
    <tag k="type" v="route"/><tag k="route" v="bicycle"/><tag k="network" v="rcn"/>
    <tag k="network:type" v="node_network"/><tag k="note" v="01-03"/></relation>
  <relation id="200"><member type="way" ref="20" role=""/>
    <tag k="type" v="route"/><tag k="route" v="bicycle"/><tag k="network" v="rcn"/>
    <tag k="ref" v="V30"/><tag k="name" v="Véloroute de la Lys"/></relation>
  <relation id="201">
    <member type="way" ref="999" role=""/><member type="relation" ref="201" role=""/>
    <tag k="type" v="route"/><tag k="route" v="hiking"/><tag k="network" v="rwn"/></relation>
</osm>
"""
HAND_LONLAT = {
    1: (2.000, 50.000), 2: (2.020, 50.000), 3: (2.010, 50.010), 4: (2.030, 50.020),
    11: (2.010, 50.000), 12: (2.015, 50.005), 13: (2.005, 50.005),
}


def geodesic_m(*nodes):
    """Length along HAND_LONLAT nodes on the WGS84 ellipsoid (independent of the UTM CRS)."""
    geod = Geod(ellps="WGS84")
    return sum(
        geod.inv(*HAND_LONLAT[a], *HAND_LONLAT[b])[2] for a, b in itertools.pairwise(nodes)
    )


@pytest.fixture
def hand_made(tmp_path):
    path = tmp_path / "older_hand_made.osm"
    path.write_text(HAND_MADE, encoding="utf-8")
    return path


def test_hand_made_older_tagging(hand_made):
    net = read_node_network(hand_made)
    rep = net.report
    assert rep["network"] == "rcn"
    assert rep["routes"] == 3
    assert rep["tagging"] == "mixed"
    assert rep["routes_by_tagging"] == {"node_network": 1, "older": 2}
    # the regional route V30 crosses a link but passes no junction: left out, no issue
    assert rep["older_routes_left_out"] == 1
    assert rep["older_routes_left_out_ids"] == [200]
    assert 200 not in set(net.issues["osm_id"])
    assert 200 not in set(net.links["route_id"])
    assert rep["networks_in_file"] == ["rcn"]  # the hostile rwn route is not taken either
    links = {(r.name, r.from_node, r.to_node): r.length_m for r in net.links.itertuples()}
    assert set(links) == {("01-02", 1, 2), ("02-03", 2, 3), ("01-03", 1, 3)}
    assert links["01-02", 1, 2] == pytest.approx(geodesic_m(1, 11, 2), rel=1e-3)
    assert links["02-03", 2, 3] == pytest.approx(geodesic_m(2, 12, 3), rel=1e-3)
    assert links["01-03", 1, 3] == pytest.approx(geodesic_m(3, 13, 1), rel=1e-3)
    # junction 4 is orphaned for real (and expects 1 route); 1, 2, 3 get their 2 routes
    checks = sorted(zip(net.issues["check"], net.issues["osm_id"], strict=True))
    assert checks == [("expected_route_relations", 4), ("orphan_junction", 4)]
    assert net.junctions["routes"].to_dict() == {1: 2, 2: 2, 3: 2, 4: 0}
    with pytest.raises(ValidationError, match="rwn"):
        read_node_network(hand_made, network="rwn")


def test_plan_on_hand_made_older_network(hand_made):
    net = read_node_network(hand_made)
    ride = net.plan(1, [2, 3])
    assert [w[0] for w in ride.waypoints] == ["01", "02", "03"]
    assert ride.length_m == pytest.approx(geodesic_m(1, 11, 2, 12, 3), rel=1e-3)
    # from a point near junction 3, back to 1 along link 1-3
    ride = net.plan((2.0101, 50.0099), [1])
    assert [w[0] for w in ride.waypoints] == ["03", "01"]
    assert ride.length_m == pytest.approx(geodesic_m(3, 13, 1), rel=1e-3)
    with pytest.raises(NoPathError, match=r"junction 04 \(node 4\) has no link"):
        net.plan(4, [1])
    assert net.plan(4, []).length_m == 0  # staying put needs no link
    with pytest.raises(ValidationError, match="place name"):
        net.plan("Hazebrouck", [1])
    with pytest.raises(ValidationError, match="place name"):
        net.strip("Hazebrouck", (2.0, 50.0))
    expected = f"01 → 03 ({geodesic_m(1, 13, 3) / 1000:.1f} km)"
    assert net.strip((2.0, 50.0), (2.01, 50.01)) == expected
