"""Read an OpenStreetMap node network (knooppunten) with pyosmium and check its integrity.

Private helper of :func:`parcs.junctions.read_node_network`. Two passes over the file:

1. relations: ``type=route`` + ``network:type=node_network`` routes (and ``type=network``
   relations, to know which routes belong to a network and with which role);
2. nodes and ways with locations: the junction nodes (``<network>_ref``) and the member ways of
   the routes.

Each route is then turned into a small graph of its member ways and split into links at the
junctions it passes, with the same "bounded search from every junction that stops at the other
junctions" used to design networks (:func:`parcs.junctions._find_links`).
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
from parcs.errors import DataError, EmptyAreaError, ValidationError

if TYPE_CHECKING:
    import os

    from parcs.junctions import JunctionNetwork

__all__ = ["build_node_network", "read_raw"]

REF_RE = re.compile(r"^([a-z]{2}n)_ref$")
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
    junction_tags: dict[int, dict[str, str]] = field(default_factory=dict)
    node_loc: dict[int, tuple[float, float]] = field(default_factory=dict)
    ways: dict[int, list[int]] = field(default_factory=dict)
    network_relations: int = 0


def read_raw(path: str | os.PathLike[str]) -> RawNodeNetwork:
    """Read the node-network part of an OSM file."""
    import osmium  # noqa: PLC0415

    p = Path(path)
    if not p.is_file():
        msg = f"`path` {str(path)!r} is not a file; give an OSM file (.osm, .xml, .osm.pbf)"
        raise DataError(msg)
    fname = str(p)
    raw = RawNodeNetwork()
    members_of_networks: dict[int, str] = {}
    rel: Any
    try:
        fp = osmium.FileProcessor(_osmium_file(p), osmium.osm.RELATION)
        for rel in fp:
            tags = {t.k: t.v for t in rel.tags}
            if tags.get("type") == "network":
                raw.network_relations += 1
                for m in rel.members:
                    if m.type == "r":
                        members_of_networks[m.ref] = m.role
                continue
            if tags.get("type") != "route" or tags.get("network:type") != "node_network":
                continue
            ways = [m.ref for m in rel.members if m.type == "w"]
            nodes = [m.ref for m in rel.members if m.type == "n"]
            raw.routes.append(
                RawRoute(
                    id=rel.id, network=tags.get("network", ""), tags=tags, ways=ways, nodes=nodes
                )
            )
        for r in raw.routes:
            if r.id in members_of_networks:
                r.in_network_relation = True
                r.connection = members_of_networks[r.id] == "connection"
        wanted = {w for r in raw.routes for w in r.ways}
        fp = osmium.FileProcessor(
            _osmium_file(p), osmium.osm.NODE | osmium.osm.WAY
        ).with_locations()
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
    except RuntimeError as err:
        msg = f"cannot read OSM file {fname!r}: {err}"
        raise DataError(msg) from err
    return raw


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
        raise EmptyAreaError(msg)
    return max(found, key=lambda n: (by_routes[n], by_refs[n], n))


def _utm(lon: float, lat: float) -> str:
    zone = int((lon + 180) // 6) + 1
    return CRS.from_dict({"proj": "utm", "zone": zone, "south": lat < 0}).to_string()


def build_node_network(  # noqa: C901, PLR0912, PLR0915
    path: str | os.PathLike[str], *, network: str | None = None, crs: str | None = None
) -> JunctionNetwork:
    """See :func:`parcs.junctions.read_node_network`."""
    from parcs import junctions as jn  # noqa: PLC0415

    raw = read_raw(path)
    net_name = _choose_network(raw, network)
    ref_key = f"{net_name}_ref"
    expected_key = f"expected_{net_name}_route_relations"
    junction_ids = sorted(n for n, t in raw.junction_tags.items() if ref_key in t)
    routes = [r for r in raw.routes if r.network == net_name]
    lonlat = [raw.node_loc[n] for n in junction_ids]
    all_pts = lonlat or [
        raw.node_loc[n] for r in routes for w in r.ways for n in raw.ways.get(w, [])
    ]
    if not all_pts:
        msg = f"network {net_name!r} has no junction node and no route way with coordinates"
        raise EmptyAreaError(msg)
    mean = np.mean(np.asarray(all_pts), axis=0)
    crs = crs or _utm(float(mean[0]), float(mean[1]))
    to_xy = Transformer.from_crs(4326, crs, always_xy=True)

    def xy_of(nodes: list[int]) -> np.ndarray:
        ll = np.asarray([raw.node_loc[n] for n in nodes], dtype=np.float64).reshape(-1, 2)
        x, y = to_xy.transform(ll[:, 0], ll[:, 1])
        return np.column_stack([x, y])

    jset = set(junction_ids)
    ref_of = {n: raw.junction_tags[n][ref_key] for n in junction_ids}
    issues: list[dict[str, Any]] = []

    def issue(check: str, osm_type: str, osm_id: int, ref: str, detail: str) -> None:
        issues.append(
            {
                "check": check,
                "osm_type": osm_type,
                "osm_id": int(osm_id),
                "ref": ref,
                "detail": detail,
            }
        )

    link_rows: list[tuple[int, int, float, np.ndarray, Any]] = []
    link_route: list[int] = []
    link_label: list[str] = []
    reach: Counter[int] = Counter()
    reach_any: Counter[int] = Counter()
    all_nodes: set[int] = set(junction_ids)
    for r in routes:
        tails: list[int] = []
        heads: list[int] = []
        geoms: list[LineString] = []
        nodes_on: set[int] = {n for n in r.nodes if n in raw.node_loc}
        missing_ways = [w for w in r.ways if w not in raw.ways]
        for w in r.ways:
            seq = raw.ways.get(w, [])
            nodes_on.update(seq)
            for a, b in itertools.pairwise(seq):
                if a != b:
                    tails.extend((a, b))
                    heads.extend((b, a))
        junctions_on = sorted(nodes_on & jset)
        counted = r.state not in IGNORED_STATES
        for n in junctions_on:
            reach_any[n] += 1
            if counted:
                reach[n] += 1
        if missing_ways:
            issue(
                "route_incomplete",
                "relation",
                r.id,
                r.label,
                f"{len(missing_ways)} member way(s) missing from the file",
            )
        if not junctions_on:
            issue(
                "route_without_junction",
                "relation",
                r.id,
                r.label,
                f"no {ref_key} node on the route",
            )
        if raw.network_relations and not r.in_network_relation:
            issue("orphan_route", "relation", r.id, r.label, "not a member of any network relation")
        if not tails:
            continue
        node_list = sorted(set(tails))
        xy = xy_of(node_list)
        pos = {n: i for i, n in enumerate(node_list)}
        geoms.extend(
            LineString([xy[pos[a]], xy[pos[b]]]) for a, b in zip(tails, heads, strict=True)
        )
        lengths = [line.length for line in geoms]
        kinds = [r.tags.get("route", "osm")] * len(lengths)
        g = jn._from_arcs(node_list, xy, tails, heads, lengths, kinds, geoms, crs)
        from parcs._kernels.components import connected_components  # noqa: PLC0415

        labels = connected_components(g.indptr, g.indices, g.tails, g.n)
        pieces = int(labels.max()) + 1 if len(labels) else 0
        if pieces > 1:
            issue(
                "route_not_continuous",
                "relation",
                r.id,
                r.label,
                f"member ways form {pieces} separate pieces",
            )
        ends = [int(g.node_ids[i]) for i in np.flatnonzero(g.degree() == 1).tolist()]
        loose = [n for n in ends if n not in jset]
        if loose:
            issue(
                "route_end_without_junction",
                "relation",
                r.id,
                r.label,
                f"{len(loose)} end(s) of the route's ways carry no {ref_key}: nodes {loose[:5]}",
            )
        jidx = [g.index[n] for n in junctions_on if n in g.index]
        links = jn._find_links(g, jidx, cutoff=np.inf) if len(jidx) > 1 else []
        for a, b, length, arcs in links:
            link_rows.append((int(g.node_ids[a]), int(g.node_ids[b]), length, arcs, g))
            link_route.append(r.id)
            link_label.append(r.label)
        # route name against the numbers of its ends
        m = NAME_RE.match(r.label) if r.label else None
        if m and len(links) == 1:
            end_refs = {
                ref_of[int(g.node_ids[links[0][0]])],
                ref_of[int(g.node_ids[links[0][1]])],
            }
            named = {m.group(1), m.group(2)}
            if _norm(named) != _norm(end_refs):
                issue(
                    "route_name",
                    "relation",
                    r.id,
                    r.label,
                    f"name says {'-'.join(sorted(named))} but the route joins "
                    f"{'-'.join(sorted(end_refs))}",
                )
        elif m and links:
            refs_on = {ref_of[n] for n in junctions_on}
            bad = sorted(set(_norm({m.group(1), m.group(2)})) - _norm(refs_on))
            if bad:
                issue(
                    "route_name",
                    "relation",
                    r.id,
                    r.label,
                    f"name numbers {bad} are not junctions of this route",
                )
        all_nodes.update(node_list)

    for n in junction_ids:
        tags = raw.junction_tags[n]
        if reach_any[n] == 0:
            issue("orphan_junction", "node", n, ref_of[n], "no route of the network reaches it")
        if expected_key in tags:
            try:
                expected = int(tags[expected_key])
            except ValueError:
                issue(
                    "expected_route_relations",
                    "node",
                    n,
                    ref_of[n],
                    f"{expected_key}={tags[expected_key]!r} is not an integer",
                )
                continue
            if expected != reach[n]:
                issue(
                    "expected_route_relations",
                    "node",
                    n,
                    ref_of[n],
                    f"{expected_key}={expected} but {reach[n]} route(s) reach it",
                )

    # one graph holding the junctions and every link (for the result object)
    jxy = xy_of(junction_ids) if junction_ids else np.zeros((0, 2))
    numbers = {}
    for n in junction_ids:
        try:
            numbers[n] = int(ref_of[n])
        except ValueError:
            numbers[n] = -1
    import geopandas as gpd  # noqa: PLC0415
    from shapely.geometry import Point  # noqa: PLC0415

    deg: Counter[int] = Counter()
    for a, b, *_ in link_rows:
        deg[a] += 1
        deg[b] += 1
    jdf = gpd.GeoDataFrame(
        {
            "node": np.asarray(junction_ids, dtype=np.int64),
            "number": np.asarray([numbers[n] for n in junction_ids], dtype=np.int64),
            "ref": [ref_of[n] for n in junction_ids],
            "degree": np.asarray([deg[n] for n in junction_ids], dtype=np.int64),
            "reason": ["osm"] * len(junction_ids),
            "place": [raw.junction_tags[n].get("name", "") for n in junction_ids],
            "expected_routes": [
                _int_or_minus(raw.junction_tags[n].get(expected_key)) for n in junction_ids
            ],
            "routes": np.asarray([reach[n] for n in junction_ids], dtype=np.int64),
        },
        geometry=[Point(p) for p in jxy],
        crs=crs,
    )
    jdf.index = pd.Index(jdf["node"].to_numpy(), name="junction")
    rows = []
    for k, link in enumerate(link_rows):
        a, b, length, arcs, g = link
        ra, rb = ref_of[a], ref_of[b]
        line = g.line(arcs)
        if (_sort_key(ra), a) > (_sort_key(rb), b):
            a, b, ra, rb = b, a, rb, ra
            line = LineString(list(line.coords)[::-1])
        rows.append(
            {
                "name": f"{ra}-{rb}",
                "from_node": a,
                "to_node": b,
                "from_number": numbers[a],
                "to_number": numbers[b],
                "length_m": float(length),
                "route_id": link_route[k],
                "route_label": link_label[k],
                "geometry": line,
            }
        )
    ldf = gpd.GeoDataFrame(
        pd.DataFrame(
            rows,
            columns=[
                "name",
                "from_node",
                "to_node",
                "from_number",
                "to_number",
                "length_m",
                "route_id",
                "route_label",
                "geometry",
            ],
        ),
        geometry="geometry",
        crs=crs,
    )
    ldf.index.name = "link"
    issues_df = pd.DataFrame(issues, columns=["check", "osm_type", "osm_id", "ref", "detail"])
    issues_df = issues_df.sort_values(["check", "osm_type", "osm_id"], kind="stable").reset_index(
        drop=True
    )
    counted_routes = [r for r in routes if r.state not in IGNORED_STATES]
    report = {
        "network": net_name,
        "junctions": len(jdf),
        "links": len(ldf),
        "routes": len(routes),
        "routes_counted": len(counted_routes),
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
    logger.info(
        "read_node_network: %s, %d junctions, %d routes, %d links, %d issues",
        net_name,
        len(jdf),
        len(routes),
        len(ldf),
        len(issues_df),
    )
    G_links, g_links, link_arcs = _link_graph(jdf, ldf, net_name)
    return jn.JunctionNetwork(
        junctions=jdf,
        links=ldf,
        params={"network": net_name, "source": str(path)},
        report=report,
        issues=issues_df,
        _graph=g_links,
        _link_arcs=link_arcs,
        _source_graph=G_links,
    )


def _link_graph(jdf: Any, ldf: Any, net_name: str) -> tuple[Any, Any, list[Any]]:  # noqa: ANN401
    """Routable graph of an imported node network: junctions joined by their links.

    Each link (one route relation between two junctions) becomes one edge, in both directions,
    with the link geometry and ``kind="node_route"``, in the parcs graph format, so that
    ``plan``, ``strip`` and :func:`parcs.route` work on imported networks. Returns the graph,
    its internal arrays and, per link row, the arc that follows it (empty for a link that
    starts and ends at the same junction).
    """
    import networkx as nx  # noqa: PLC0415

    from parcs import junctions as jn  # noqa: PLC0415

    to_wgs = Transformer.from_crs(jdf.crs, 4326, always_xy=True)
    G = nx.MultiDiGraph(crs=str(jdf.crs), name=f"node network {net_name}", source="osm")
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
    g = jn._graph_from_nx(G, built_only=False)
    arcs: list[Any] = []
    for pos, (a, b) in enumerate(zip(ldf["from_node"], ldf["to_node"], strict=True)):
        if a == b:
            arcs.append(np.zeros(0, dtype=np.int64))
            continue
        ia, ib = g.index[int(a)], g.index[int(b)]
        lo, hi = int(g.indptr[ia]), int(g.indptr[ia + 1])
        hit = [e for e in range(lo, hi) if int(g.indices[e]) == ib and g.arc_key[e][2] == pos]
        arcs.append(np.asarray(hit[:1], dtype=np.int64))
    return G, g, arcs


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
