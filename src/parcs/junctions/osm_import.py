"""Read an OpenStreetMap node network (knooppunten) with pyosmium and check its integrity.

:func:`read_node_network` is the public entry point. Two passes over the file:

1. relations: the route relations that may belong to a node network (see "Which routes"
   below) and the node-network ``type=network`` relations, to know which routes belong to a
   network and with which role;
2. nodes and ways with locations: the junction nodes (``<network>_ref``) and the member ways of
   the routes.

Each route is then turned into a small graph of its member ways and split into links at the
junctions it passes, with the same "bounded search from every junction that stops at the other
junctions" used to design networks (:func:`parcs.junctions._linkgraph.find_links`).

Which routes
------------
After knooppuntnet (github.com/vmarc/knooppuntnet), whose analyzer had an ``oldTagging`` switch
for the tagging in use before ``network:type=node_network`` (``AnalysisContext.scala``:
``server/src/main/scala/kpn/server/analyzer/engine/AnalysisContext.scala`` at commit
``2a225833`` and ``.../engine/context/AnalysisContext.scala`` at ``039e1903``; today's
``kpn/core/analysis/TagInterpreter.scala`` requires the tag):

* **node_network** tagging: ``type=route`` + ``network:type=node_network`` (any ``network``
  value, as knooppuntnet's current ``TagInterpreter``); always taken.
* **older** tagging: ``type=route`` + ``network=<key>`` without ``network:type=node_network``,
  where ``<key>`` is one of knooppuntnet's scoped network keys: scope ``l``/``r``/``n``/``i``
  (local, regional, national, international; ``NetworkScope``) + type ``w``/``c``/``h``/``m``/
  ``p``/``i`` (hiking, cycling, horse riding, motorboat, canoe, inline skating;
  ``NetworkType``) + ``n``: ``rcn``, ``rwn``, ``rhn``, ``rmn``, ``rpn``, ``rin``, ``lcn``,
  ``ncn``, ``icn``... knooppuntnet's ``oldTagging`` took every such relation; from 2019-11-01
  (``networkTypeTaggingStart``) it kept an untagged route only if it already knew it as a
  node-network route from its database. A file has no such history, so here an older-tagged
  route is taken **only when a junction node of its network lies on it** (a node tagged
  ``<key>_ref`` among its member nodes or on its member ways). Regional or national cycle
  routes that pass no junction (named long-distance routes, EuroVelo) are left out and counted
  in ``report["older_routes_left_out"]``.
* ``type=network`` relations count as node-network relations when tagged
  ``network:type=node_network`` or, in the older tagging, ``network=<key>``.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pyproj import CRS, Transformer
from shapely.geometry import LineString

from parcs._log import logger
from parcs._kernels.components import connected_components
from parcs.errors import DataError, EmptyAreaError, ValidationError
from parcs.junctions._linkgraph import find_links, from_arcs, from_graph, link_arc_for
from parcs.junctions.network import JunctionNetwork

if TYPE_CHECKING:
    import os

__all__ = ["build_node_network", "read_node_network", "read_raw"]

REF_RE = re.compile(r"^([a-z]{2}n)_ref$")
#: knooppuntnet's scoped network keys (scope letter + network type letter + "n"); see the
#: module docstring. Used for the older tagging without ``network:type=node_network``.
NODE_NETWORK_KEYS = frozenset(f"{scope}{kind}n" for scope in "lrni" for kind in "wchmpi")
TAGGINGS = ("node_network", "older")
NAME_RE = re.compile(r"^\s*([0-9A-Za-z]+)\s*-\s*([0-9A-Za-z]+)")
IGNORED_STATES = frozenset({"connection", "alternate"})


@dataclass
class RawRoute:
    """A node-network route relation."""

    id: int
    network: str
    tags: dict[str, str]
    ways: list[int]
    nodes: list[int]
    connection: bool = False  # member with role=connection of a network relation
    in_network_relation: bool = False
    tagging: str = "node_network"  # "older": no network:type=node_network (module docstring)

    @property
    def state(self) -> str:
        return self.tags.get("state", "")

    @property
    def label(self) -> str:
        for key in ("ref", "name", "note"):
            if self.tags.get(key):
                return self.tags[key]
        return ""


@dataclass
class RawNodeNetwork:
    """What the two passes read."""

    routes: list[RawRoute] = field(default_factory=list)
    left_out: list[RawRoute] = field(default_factory=list)  # older tagging, no junction on it
    junction_tags: dict[int, dict[str, str]] = field(default_factory=dict)
    node_loc: dict[int, tuple[float, float]] = field(default_factory=dict)
    ways: dict[int, list[int]] = field(default_factory=dict)
    network_relations: int = 0


def read_raw(path: str | os.PathLike[str]) -> RawNodeNetwork:
    """Read the node-network part of an OSM file (module docstring: which routes)."""
    p = Path(path)
    if not p.is_file():
        msg = f"`path` {str(path)!r} is not a file; give an OSM file (.osm, .xml, .osm.pbf)"
        raise DataError(msg)
    raw = RawNodeNetwork()
    try:
        candidates = _read_relations(p, raw)
        _read_nodes_and_ways(p, raw, {w for r in candidates for w in r.ways})
    except RuntimeError as err:
        msg = f"cannot read OSM file {str(p)!r}: {err}"
        raise DataError(msg) from err
    for r in candidates:  # file order, whatever the tagging
        taken = r.tagging == "node_network" or _passes_junction(raw, r)
        (raw.routes if taken else raw.left_out).append(r)
    return raw


def _relation_kind(tags: dict[str, str]) -> str | None:
    """Classify a relation for a node-network import (module docstring: which routes).

    Returns ``"network"`` (a node-network ``type=network`` relation), ``"node_network"``
    (a route tagged ``network:type=node_network``), ``"older"`` (a route with a node-network
    ``network`` key and no ``network:type=node_network``: taken only if it passes a junction)
    or None.
    """
    tagged = tags.get("network:type") == "node_network"
    keyed = tags.get("network", "") in NODE_NETWORK_KEYS
    kind = tags.get("type")
    if kind == "network":
        return "network" if tagged or keyed else None
    if kind != "route":
        return None
    if tagged:
        return "node_network"
    return "older" if keyed else None


def _read_relations(p: Path, raw: RawNodeNetwork) -> list[RawRoute]:
    """Pass 1: candidate routes in file order; network relations counted on `raw`."""
    import osmium  # noqa: PLC0415

    members_of_networks: dict[int, str] = {}
    candidates: list[RawRoute] = []
    rel: Any
    for rel in osmium.FileProcessor(_osmium_file(p), osmium.osm.RELATION):
        tags = {t.k: t.v for t in rel.tags}
        kind = _relation_kind(tags)
        if kind == "network":
            raw.network_relations += 1
            for m in rel.members:
                if m.type == "r":
                    members_of_networks[m.ref] = m.role
            continue
        if kind is None:
            continue
        candidates.append(
            RawRoute(
                id=rel.id,
                network=tags.get("network", ""),
                tags=tags,
                ways=[m.ref for m in rel.members if m.type == "w"],
                nodes=[m.ref for m in rel.members if m.type == "n"],
                tagging=kind,
            )
        )
    for r in candidates:
        if r.id in members_of_networks:
            r.in_network_relation = True
            r.connection = members_of_networks[r.id] == "connection"
    return candidates


def _read_nodes_and_ways(p: Path, raw: RawNodeNetwork, wanted: set[int]) -> None:
    """Pass 2: junction nodes (any ``<network>_ref``) and the wanted ways, with locations."""
    import osmium  # noqa: PLC0415

    fp = osmium.FileProcessor(_osmium_file(p), osmium.osm.NODE | osmium.osm.WAY).with_locations()
    obj: Any
    for obj in fp:
        if obj.is_node():
            tags = {t.k: t.v for t in obj.tags}
            if any(REF_RE.match(k) for k in tags):
                raw.junction_tags[obj.id] = tags
                raw.node_loc[obj.id] = (obj.location.lon, obj.location.lat)
        elif obj.is_way() and obj.id in wanted:
            ids = []
            for nd in obj.nodes:
                if nd.location.valid():
                    ids.append(nd.ref)
                    raw.node_loc[nd.ref] = (nd.location.lon, nd.location.lat)
            raw.ways[obj.id] = ids


def _passes_junction(raw: RawNodeNetwork, r: RawRoute) -> bool:
    """Tell whether a node tagged ``<route network>_ref`` is a member of `r` or on its ways."""
    key = f"{r.network}_ref"
    jt = raw.junction_tags
    on = itertools.chain(r.nodes, *(raw.ways.get(w, ()) for w in r.ways))
    return any(key in jt.get(n, ()) for n in on)


def _osmium_file(p: Path) -> Any:  # noqa: ANN401
    """Return an ``osmium.io.File`` with the format forced for ``.xml`` files."""
    import osmium  # noqa: PLC0415

    name = p.name.lower()
    if name.endswith((".xml", ".xml.gz", ".xml.bz2")):
        fmt = "osm" + name.split(".xml", 1)[1]
        return osmium.io.File(str(p), fmt)
    return str(p)


def _choose_network(raw: RawNodeNetwork, network: str | None) -> str:
    by_routes = Counter(r.network for r in raw.routes if r.network)
    by_refs: Counter[str] = Counter()
    for tags in raw.junction_tags.values():
        for k in tags:
            m = REF_RE.match(k)
            if m:
                by_refs[m.group(1)] += 1
    found = sorted(set(by_routes) | set(by_refs))
    if network is not None:
        if network not in found:
            msg = f"`network` {network!r} is not in this file; it holds the node networks {found}"
            raise ValidationError(msg)
        return network
    if not found:
        msg = (
            "the file holds no node network: no node tagged like rcn_ref/rwn_ref and no "
            "network:type=node_network route relation"
        )
        if raw.left_out:
            msg += (
                f" ({len(raw.left_out)} route relation(s) tagged network="
                f"{'/'.join(sorted({r.network for r in raw.left_out}))} without "
                "network:type=node_network pass no junction node, so they are not taken for "
                "node-network routes)"
            )
        raise EmptyAreaError(msg)
    return max(found, key=lambda n: (by_routes[n], by_refs[n], n))


def _utm(lon: float, lat: float) -> str:
    zone = int((lon + 180) // 6) + 1
    return CRS.from_dict({"proj": "utm", "zone": zone, "south": lat < 0}).to_string()


def build_node_network(
    path: str | os.PathLike[str], *, network: str | None = None, crs: str | None = None
) -> JunctionNetwork:
    """See :func:`read_node_network`."""
    raw = read_raw(path)
    imp = _Import(raw, _choose_network(raw, network), crs)
    for r in imp.routes:
        imp.read_route(r)
    imp.junction_issues()
    jdf = imp.junctions_table()
    ldf = imp.links_table()
    issues_df = pd.DataFrame(imp.issues, columns=["check", "osm_type", "osm_id", "ref", "detail"])
    issues_df = issues_df.sort_values(["check", "osm_type", "osm_id"], kind="stable").reset_index(
        drop=True
    )
    report = imp.report(jdf, ldf, issues_df)
    if imp.left_out:
        logger.info(
            "read_node_network: %d route relation(s) tagged network=%s without "
            "network:type=node_network pass no %s node and are left out: %s",
            len(imp.left_out),
            imp.net_name,
            imp.ref_key,
            [r.id for r in imp.left_out[:10]],
        )
    logger.info(
        "read_node_network: %s, %d junctions, %d routes, %d links, %d issues",
        imp.net_name,
        len(jdf),
        len(imp.routes),
        len(ldf),
        len(issues_df),
    )
    G_links, g_links, link_arcs = _link_graph(jdf, ldf, imp.net_name)
    return JunctionNetwork(
        junctions=jdf,
        links=ldf,
        params={"network": imp.net_name, "source": str(path)},
        report=report,
        issues=issues_df,
        _graph=g_links,
        _link_arcs=link_arcs,
        _source_graph=G_links,
    )


class _Import:
    """The state of one node-network import: junctions, routes, links found, issues."""

    def __init__(self, raw: RawNodeNetwork, net_name: str, crs: str | None) -> None:
        self.raw = raw
        self.net_name = net_name
        self.ref_key = f"{net_name}_ref"
        self.expected_key = f"expected_{net_name}_route_relations"
        self.junction_ids = sorted(n for n, t in raw.junction_tags.items() if self.ref_key in t)
        self.routes = [r for r in raw.routes if r.network == net_name]
        self.left_out = [r for r in raw.left_out if r.network == net_name]
        lonlat = [raw.node_loc[n] for n in self.junction_ids]
        all_pts = lonlat or [
            raw.node_loc[n] for r in self.routes for w in r.ways for n in raw.ways.get(w, [])
        ]
        if not all_pts:
            msg = f"network {net_name!r} has no junction node and no route way with coordinates"
            raise EmptyAreaError(msg)
        mean = np.mean(np.asarray(all_pts), axis=0)
        self.crs = crs or _utm(float(mean[0]), float(mean[1]))
        self.to_xy = Transformer.from_crs(4326, self.crs, always_xy=True)
        self.jset = set(self.junction_ids)
        self.ref_of = {n: raw.junction_tags[n][self.ref_key] for n in self.junction_ids}
        self.issues: list[dict[str, Any]] = []
        self.link_rows: list[tuple[int, int, float, np.ndarray, Any]] = []
        self.link_route: list[int] = []
        self.link_label: list[str] = []
        self.reach: Counter[int] = Counter()
        self.reach_any: Counter[int] = Counter()

    def xy_of(self, nodes: list[int]) -> np.ndarray:
        ll = np.asarray([self.raw.node_loc[n] for n in nodes], dtype=np.float64).reshape(-1, 2)
        x, y = self.to_xy.transform(ll[:, 0], ll[:, 1])
        return np.column_stack([x, y])

    def issue(self, check: str, osm_type: str, osm_id: int, ref: str, detail: str) -> None:
        self.issues.append(
            {"check": check, "osm_type": osm_type, "osm_id": int(osm_id), "ref": ref, "detail": detail}
        )

    def read_route(self, r: RawRoute) -> None:
        """Split one route relation into links at its junctions; record its issues."""
        raw = self.raw
        tails: list[int] = []
        heads: list[int] = []
        nodes_on: set[int] = {n for n in r.nodes if n in raw.node_loc}
        for w in r.ways:
            seq = raw.ways.get(w, [])
            nodes_on.update(seq)
            for a, b in itertools.pairwise(seq):
                if a != b:
                    tails.extend((a, b))
                    heads.extend((b, a))
        junctions_on = sorted(nodes_on & self.jset)
        for n in junctions_on:
            self.reach_any[n] += 1
            if r.state not in IGNORED_STATES:
                self.reach[n] += 1
        missing_ways = [w for w in r.ways if w not in raw.ways]
        if missing_ways:
            detail = f"{len(missing_ways)} member way(s) missing from the file"
            self.issue("route_incomplete", "relation", r.id, r.label, detail)
        if not junctions_on:
            detail = f"no {self.ref_key} node on the route"
            self.issue("route_without_junction", "relation", r.id, r.label, detail)
        if raw.network_relations and not r.in_network_relation:
            detail = "not a member of any network relation"
            self.issue("orphan_route", "relation", r.id, r.label, detail)
        if tails:
            self._route_links(r, tails, heads, junctions_on)

    def _route_links(
        self, r: RawRoute, tails: list[int], heads: list[int], junctions_on: list[int]
    ) -> None:
        node_list = sorted(set(tails))
        xy = self.xy_of(node_list)
        pos = {n: i for i, n in enumerate(node_list)}
        geoms = [LineString([xy[pos[a]], xy[pos[b]]]) for a, b in zip(tails, heads, strict=True)]
        lengths = [line.length for line in geoms]
        kinds = [r.tags.get("route", "osm")] * len(lengths)
        g = from_arcs(node_list, xy, tails, heads, lengths, kinds, geoms, self.crs)
        labels = connected_components(g.csr.indptr, g.csr.indices, g.tails, g.csr.n_nodes)
        pieces = int(labels.max()) + 1 if len(labels) else 0
        if pieces > 1:
            detail = f"member ways form {pieces} separate pieces"
            self.issue("route_not_continuous", "relation", r.id, r.label, detail)
        ends = [int(g.csr.node_ids[i]) for i in np.flatnonzero(g.degree() == 1).tolist()]
        loose = [n for n in ends if n not in self.jset]
        if loose:
            detail = (
                f"{len(loose)} end(s) of the route's ways carry no {self.ref_key}: "
                f"nodes {loose[:5]}"
            )
            self.issue("route_end_without_junction", "relation", r.id, r.label, detail)
        jidx = [g.index[n] for n in junctions_on if n in g.index]
        links = find_links(g, jidx, cutoff=np.inf) if len(jidx) > 1 else []
        for a, b, length, arcs in links:
            self.link_rows.append((int(g.csr.node_ids[a]), int(g.csr.node_ids[b]), length, arcs, g))
            self.link_route.append(r.id)
            self.link_label.append(r.label)
        ends_of = [(int(g.csr.node_ids[a]), int(g.csr.node_ids[b])) for a, b, *_ in links]
        self._check_name(r, ends_of, junctions_on)

    def _check_name(
        self, r: RawRoute, link_ends: list[tuple[int, int]], junctions_on: list[int]
    ) -> None:
        """The route's "12-45" name, ref or note against the numbers of its junctions."""
        m = NAME_RE.match(r.label) if r.label else None
        if not m or not link_ends:
            return
        named = {m.group(1), m.group(2)}
        if len(link_ends) == 1:
            end_refs = {self.ref_of[link_ends[0][0]], self.ref_of[link_ends[0][1]]}
            if _norm(named) != _norm(end_refs):
                detail = (
                    f"name says {'-'.join(sorted(named))} but the route joins "
                    f"{'-'.join(sorted(end_refs))}"
                )
                self.issue("route_name", "relation", r.id, r.label, detail)
            return
        refs_on = {self.ref_of[n] for n in junctions_on}
        bad = sorted(set(_norm(named)) - _norm(refs_on))
        if bad:
            detail = f"name numbers {bad} are not junctions of this route"
            self.issue("route_name", "relation", r.id, r.label, detail)

    def junction_issues(self) -> None:
        """Orphan junctions and ``expected_<network>_route_relations`` mismatches."""
        key = self.expected_key
        for n in self.junction_ids:
            tags, ref = self.raw.junction_tags[n], self.ref_of[n]
            if self.reach_any[n] == 0:
                self.issue("orphan_junction", "node", n, ref, "no route of the network reaches it")
            if key not in tags:
                continue
            try:
                expected = int(tags[key])
            except ValueError:
                detail = f"{key}={tags[key]!r} is not an integer"
                self.issue("expected_route_relations", "node", n, ref, detail)
                continue
            if expected != self.reach[n]:
                detail = f"{key}={expected} but {self.reach[n]} route(s) reach it"
                self.issue("expected_route_relations", "node", n, ref, detail)

    def number(self, n: int) -> int:
        try:
            return int(self.ref_of[n])
        except ValueError:
            return -1

    def junctions_table(self) -> Any:  # noqa: ANN401
        import geopandas as gpd  # noqa: PLC0415
        from shapely.geometry import Point  # noqa: PLC0415

        ids = self.junction_ids
        tags = self.raw.junction_tags
        jxy = self.xy_of(ids) if ids else np.zeros((0, 2))
        deg: Counter[int] = Counter()
        for a, b, *_ in self.link_rows:
            deg[a] += 1
            deg[b] += 1
        jdf = gpd.GeoDataFrame(
            {
                "node": np.asarray(ids, dtype=np.int64),
                "number": np.asarray([self.number(n) for n in ids], dtype=np.int64),
                "ref": [self.ref_of[n] for n in ids],
                "degree": np.asarray([deg[n] for n in ids], dtype=np.int64),
                "reason": ["osm"] * len(ids),
                "place": [tags[n].get("name", "") for n in ids],
                "expected_routes": [_int_or_minus(tags[n].get(self.expected_key)) for n in ids],
                "routes": np.asarray([self.reach[n] for n in ids], dtype=np.int64),
            },
            geometry=[Point(p) for p in jxy],
            crs=self.crs,
        )
        jdf.index = pd.Index(jdf["node"].to_numpy(), name="junction")
        return jdf

    def links_table(self) -> Any:  # noqa: ANN401
        import geopandas as gpd  # noqa: PLC0415

        rows = []
        for k, (a, b, length, arcs, g) in enumerate(self.link_rows):
            ra, rb = self.ref_of[a], self.ref_of[b]
            line = g.line(arcs)
            if (_sort_key(ra), a) > (_sort_key(rb), b):
                a, b, ra, rb = b, a, rb, ra  # noqa: PLW2901
                line = LineString(list(line.coords)[::-1])
            rows.append(
                {
                    "name": f"{ra}-{rb}",
                    "from_node": a,
                    "to_node": b,
                    "from_number": self.number(a),
                    "to_number": self.number(b),
                    "length_m": float(length),
                    "route_id": self.link_route[k],
                    "route_label": self.link_label[k],
                    "geometry": line,
                }
            )
        ldf = gpd.GeoDataFrame(
            pd.DataFrame(rows, columns=_LINK_COLUMNS), geometry="geometry", crs=self.crs
        )
        ldf.index.name = "link"
        return ldf

    def report(self, jdf: Any, ldf: Any, issues_df: pd.DataFrame) -> dict[str, Any]:  # noqa: ANN401
        raw, routes = self.raw, self.routes
        by_tagging = Counter(r.tagging for r in routes)
        return {
            "network": self.net_name,
            "junctions": len(jdf),
            "links": len(ldf),
            "routes": len(routes),
            "tagging": _tagging_label(by_tagging),
            "routes_by_tagging": {t: by_tagging[t] for t in TAGGINGS},
            "older_routes_left_out": len(self.left_out),
            "older_routes_left_out_ids": sorted(r.id for r in self.left_out),
            "routes_counted": sum(1 for r in routes if r.state not in IGNORED_STATES),
            "connection_routes": sum(r.connection for r in routes),
            "network_relations": raw.network_relations,
            "km_covered": float(ldf["length_m"].sum() / 1000) if len(ldf) else 0.0,
            "issues": len(issues_df),
            "issues_by_check": dict(Counter(issues_df["check"])),
            "networks_in_file": sorted(
                {r.network for r in raw.routes if r.network}
                | {m.group(1) for t in raw.junction_tags.values() for k in t if (m := REF_RE.match(k))}
            ),
        }


_LINK_COLUMNS = [
    "name",
    "from_node",
    "to_node",
    "from_number",
    "to_number",
    "length_m",
    "route_id",
    "route_label",
    "geometry",
]


def _link_graph(jdf: Any, ldf: Any, net_name: str) -> tuple[Any, Any, list[Any]]:  # noqa: ANN401
    """Routable graph of an imported node network: junctions joined by their links.

    Each link (one route relation between two junctions) becomes one edge, in both directions,
    with the link geometry and ``kind="node_route"``, in the parcs graph format, so that
    ``plan``, ``strip`` and :func:`parcs.route` work on imported networks. Returns the graph,
    its internal arrays and, per link row, the arc that follows it (empty for a link that
    starts and ends at the same junction).
    """
    import networkx as nx  # noqa: PLC0415

    to_wgs = Transformer.from_crs(jdf.crs, 4326, always_xy=True)
    G = nx.MultiDiGraph(
        crs=str(jdf.crs), name=f"node network {net_name}", source="osm", node_network=net_name
    )
    for n, p in zip(jdf.index.tolist(), jdf.geometry, strict=True):
        lon, lat = to_wgs.transform(p.x, p.y)
        G.add_node(int(n), x=float(p.x), y=float(p.y), lon=float(lon), lat=float(lat))
    for pos, (a, b, line, name) in enumerate(
        zip(ldf["from_node"], ldf["to_node"], ldf.geometry, ldf["name"], strict=True)
    ):
        if a == b:
            continue
        attrs = {
            "length": float(line.length),
            "est_length": float(line.length),
            "kind": "node_route",
            "eurovelo": False,
            "routes": str(name),
            "name": str(name),
            "source": "osm",
            "built": True,
            "surface": "",
        }
        G.add_edge(int(a), int(b), pos, geometry=line, **attrs)
        G.add_edge(int(b), int(a), pos, geometry=LineString(list(line.coords)[::-1]), **attrs)
    for n in G.nodes:
        G.nodes[n]["street_count"] = len(set(G.successors(n)))
    g = from_graph(G, built_only=False)
    arcs: list[Any] = []
    for pos, (a, b) in enumerate(zip(ldf["from_node"], ldf["to_node"], strict=True)):
        if a == b:
            arcs.append(np.zeros(0, dtype=np.int64))
            continue
        arcs.append(link_arc_for(g, int(a), int(b), pos))
    return G, g, arcs


def _tagging_label(by_tagging: Counter[str]) -> str:
    """``"node_network"``, ``"older"``, ``"mixed"`` (both) or ``"none"`` (no route)."""
    found = [t for t in TAGGINGS if by_tagging[t]]
    if len(found) > 1:
        return "mixed"
    return found[0] if found else "none"


def _norm(refs: set[str]) -> set[str]:
    """Refs compared as numbers when numeric ("07" == "7")."""
    return {str(int(r)) if r.isdigit() else r for r in refs}


def _sort_key(ref: str) -> tuple[int, int, str]:
    return (0, int(ref), "") if ref.isdigit() else (1, 0, ref)


def _int_or_minus(value: str | None) -> int:
    try:
        return int(value) if value is not None else -1
    except ValueError:
        return -1


def read_node_network(
    path: str | os.PathLike[str],
    *,
    network: str | None = None,
    crs: str | None = None,
) -> JunctionNetwork:
    """Read an OpenStreetMap node network (knooppunten) and check its integrity.

    Junctions are the nodes tagged ``<network>_ref`` (``rcn_ref``, ``rwn_ref``, ``rhn_ref``,
    ``rpn_ref``, ``rmn_ref``...); routes are the ``type=route`` relations with
    ``network=<network>`` tagged ``network:type=node_network``, or in the older tagging
    (no ``network:type``, ``network`` one of knooppuntnet's keys ``rcn``, ``rwn``, ``rhn``,
    ``rmn``, ``rpn``, ``rin``, ``lcn``, ``ncn``...) those that pass at least one junction of
    their network; older-tagged routes passing none (regional or long-distance routes) are
    left out. Each route is split at the junctions it passes (one link per pair of consecutive
    junctions; a route per link is the usual tagging, but some networks map everything in one
    relation).

    Integrity checks, after knooppuntnet (``net.issues``): ``expected_route_relations``
    (a junction's ``expected_<network>_route_relations`` differs from the number of routes
    reaching it; routes with ``state=connection`` or ``state=alternate`` are not counted),
    ``route_not_continuous`` (the member ways do not form one connected line),
    ``orphan_junction`` (no route reaches it), ``route_without_junction``,
    ``orphan_route`` (not a member of any network relation, checked only when the file holds
    node-network ``type=network`` relations), ``route_name`` (the "12-45" name, ref or note does not
    match the numbers of the junctions at its ends), ``route_end_without_junction`` (an end
    of the route's ways is not a junction) and ``route_incomplete`` (member ways missing from
    the file).

    Parameters
    ----------
    path
        An OSM file (``.osm``, ``.xml``, ``.osm.pbf``, ``.osm.gz``...).
    network
        The network to read, e.g. ``"rcn"``; default: the one with the most route relations in
        the file (then the one with the most junction nodes).
    crs
        Projected CRS of the result; default: the UTM zone of the data.

    Returns
    -------
    JunctionNetwork
        ``reason="osm"``; ``number`` is the integer value of the ref (-1 if the ref is not an
        integer, e.g. ``"oA"``), ``ref`` the ref as tagged. ``issues`` holds the integrity
        problems; ``report`` the counts, among them ``tagging`` (``"node_network"``,
        ``"older"``, ``"mixed"``, or ``"none"`` when the network has no route),
        ``routes_by_tagging`` (``{"node_network": n, "older": m}``) and
        ``older_routes_left_out`` / ``older_routes_left_out_ids`` (older-tagged routes of the
        network that pass no junction).

    Raises
    ------
    DataError
        If the file cannot be read.
    EmptyAreaError
        If the file holds no node network.
    ValidationError
        If `network` is not a node network of the file.
    """
    return build_node_network(path, network=network, crs=crs)

