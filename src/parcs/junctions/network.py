"""The result of junction design and import: :class:`JunctionNetwork`."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from parcs.errors import ValidationError
from parcs.junctions.planning import plan_route, strip_text
from parcs.junctions.validation import validate_network

if TYPE_CHECKING:
    import os
    from collections.abc import Sequence
    from pathlib import Path

    import geopandas as gpd
    import networkx as nx
    import numpy as np
    import numpy.typing as npt

    from parcs.junctions._linkgraph import LinkGraph
    from parcs.profiles import Profile
    from parcs.routing import Route

__all__ = ["JunctionNetwork"]


@dataclass(eq=False)
class JunctionNetwork:
    """A numbered junction network (points nœuds).

    Attributes
    ----------
    junctions
        GeoDataFrame (projected CRS, index = junction node id): ``node``, ``number`` (1..99;
        -1 for an imported OSM ref that is not an integer), ``ref`` (the number as written on
        the sign), ``degree`` (number of links), ``reason`` (why the node is a junction:
        ``intersection`` (a branch point of the signed network), ``end``, ``split`` (cuts a
        link longer than ``max_link_m``), ``loop`` (cuts a ring or a second link between the
        same two junctions), ``fixed`` (given by the caller or an existing network), ``osm``
        (imported)), ``place`` (the park or terril whose access node it is, ``""`` if none),
        geometry Point. Negative ids are nodes added part-way along long edges (see
        :attr:`graph`).
    links
        GeoDataFrame: ``name`` ("12-45", lower number first), ``from_node``, ``to_node``,
        ``from_number``, ``to_number``, ``length_m``, ``km_<kind>`` columns, geometry LineString
        oriented from ``from_node`` to ``to_node``.
    params
        The design parameters (``min_link_m``, ``max_link_m``, ``target_link_m``,
        ``min_reuse_m``...).
    report
        Counts gathered while building (components left out, km covered...).
    issues
        Integrity problems of an imported OSM network (``check``, ``osm_type``, ``osm_id``,
        ``ref``, ``detail``); empty for a designed network.
    """

    junctions: gpd.GeoDataFrame
    links: gpd.GeoDataFrame
    params: dict[str, Any] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)
    issues: pd.DataFrame = field(default_factory=pd.DataFrame)
    _graph: LinkGraph | None = field(default=None, repr=False)
    _link_arcs: list[npt.NDArray[np.int64]] = field(default_factory=list, repr=False)
    _source_graph: Any = field(default=None, repr=False)
    _split_chains: dict[tuple[int, int], list[int]] = field(default_factory=dict, repr=False)

    @property
    def graph(self) -> nx.MultiDiGraph | None:
        """The graph the network was designed on, or the link graph of an imported network.

        It is the graph passed to :func:`points_noeuds`, or a copy of it where long edges were
        cut by new nodes with negative ids (``split`` junctions sit on those). For a network
        read with :func:`read_node_network` it is the graph of its links (junctions joined by
        one ``kind="node_route"`` edge per link). Routes from :meth:`plan` are paths of this
        graph; :meth:`strip` also accepts routes computed on the original graph.
        """
        return self._source_graph

    def __repr__(self) -> str:
        """Return a short summary."""
        return (
            f"JunctionNetwork({len(self.junctions)} junctions, {len(self.links)} links, "
            f"{self.report.get('km_covered', float('nan')):.1f} km)"
        )

    # ------------------------------------------------------------------ numbering

    def numbers_of(self, number: int) -> list[int]:
        """Return the node ids of the junctions carrying `number`, in id order."""
        sel = self.junctions[self.junctions["number"] == int(number)]
        return sorted(int(n) for n in sel.index)

    def neighbours(self, node: int) -> dict[int, int]:
        """Return ``{neighbour node id: link row position}`` of junction `node`."""
        out: dict[int, int] = {}
        links = self.links
        for pos, (a, b) in enumerate(
            zip(links["from_node"].tolist(), links["to_node"].tolist(), strict=True)
        ):
            if a == node and b not in out:
                out[int(b)] = pos
            elif b == node and a not in out:
                out[int(a)] = pos
        return out

    # ------------------------------------------------------------------ validation

    def validate(self) -> pd.DataFrame:
        """Check the network against published design practice.

        Returns
        -------
        pandas.DataFrame
            One row per rule: ``rule``, ``target``, ``measured``, ``ok`` (bool, or None when
            the rule is informative only) and ``source`` (where the target comes from).
        """
        return validate_network(self)

    # ------------------------------------------------------------------ signs

    def signs(self) -> pd.DataFrame:
        """Return the sign table: one row per junction and direction.

        Columns: ``node``, ``number``, ``to_node``, ``to_number``, ``distance_km``,
        ``bearing_deg`` (compass bearing, 0 = north, of the first segment of the link leaving
        the junction) and ``link``.
        """
        rows = []
        for link in self.links.itertuples(index=False):
            coords = list(link.geometry.coords)
            for node, number, other, other_number, seq in (
                (link.from_node, link.from_number, link.to_node, link.to_number, coords),
                (link.to_node, link.to_number, link.from_node, link.from_number, coords[::-1]),
            ):
                rows.append(
                    {
                        "node": int(node),
                        "number": int(number),
                        "to_node": int(other),
                        "to_number": int(other_number),
                        "distance_km": round(float(link.length_m) / 1000, 1),
                        "bearing_deg": round(_first_bearing(seq), 0),
                        "link": link.name,
                    }
                )
        df = pd.DataFrame(
            rows,
            columns=[
                "node",
                "number",
                "to_node",
                "to_number",
                "distance_km",
                "bearing_deg",
                "link",
            ],
        )
        return df.sort_values(["number", "node", "bearing_deg"], kind="stable").reset_index(
            drop=True
        )

    # ------------------------------------------------------------------ export

    def to_file(
        self, path: str | os.PathLike[str], *, driver: Literal["GPKG", "GeoJSON"] = "GPKG"
    ) -> list[str]:
        """Write the junctions and links layers.

        Parameters
        ----------
        path
            Output file. For ``"GeoJSON"``, two files are written next to it:
            ``<stem>_junctions.geojson`` and ``<stem>_links.geojson`` (GeoJSON has no layers).
        driver
            {"GPKG", "GeoJSON"} output format.

        Returns
        -------
        list of str
            The files written.
        """
        from pathlib import Path  # noqa: PLC0415

        from parcs._atomic import atomic_gdal_path  # noqa: PLC0415

        if driver not in {"GPKG", "GeoJSON"}:
            msg = f"`driver` must be 'GPKG' or 'GeoJSON', got {driver!r}"
            raise ValidationError(msg)
        target = Path(path)
        junctions = self.junctions.reset_index(drop=True)
        links = self.links.copy()
        if driver == "GPKG":
            with atomic_gdal_path(target) as tmp:
                junctions.to_file(tmp, layer="junctions", driver="GPKG")
                links.to_file(tmp, layer="links", driver="GPKG")
            return [str(target)]
        stem = target.with_suffix("")
        out = []
        for name, gdf in (("junctions", junctions), ("links", links)):
            dest = Path(f"{stem}_{name}.geojson")
            with atomic_gdal_path(dest) as tmp:
                gdf.to_crs(4326).to_file(tmp, driver="GeoJSON")
            out.append(str(dest))
        return out

    # ------------------------------------------------------------------ planning

    def plan(
        self,
        start: int | str | tuple[float, float],
        numbers: Sequence[int],
        *,
        profile: str | Profile = "bike",
    ) -> Route:
        """Plan a ride given as a start and a list of junction numbers.

        Each number is resolved relative to the previous junction: a neighbour (linked
        junction) carrying that number if there is one, else the nearest junction carrying it
        (straight line). Between two linked junctions the route follows the link.

        Parameters
        ----------
        start
            The first junction: a junction node id (int), a place name (its nearest junction),
            or a ``(lon, lat)`` tuple (nearest junction).
        numbers
            The junction numbers to visit after `start`.
        profile
            {"walk", "bike", "ebike"} used for the duration and cost of the route.

        Returns
        -------
        parcs.routing.Route
            With one waypoint per junction (its number as the name).

        Raises
        ------
        NumberingError
            If a number is carried by no junction.
        NoPathError
            If two consecutive junctions are not connected.
        """
        return plan_route(self, start, numbers, profile=profile)

    def loop(  # noqa: PLR0913
        self,
        start: int | str | tuple[float, float],
        *,
        km: float,
        n: int = 3,
        seed: int = 0,
        tolerance: float = 0.10,
        max_repeat: float = 0.20,
        profile: str | Profile = "bike",
    ) -> list[Route]:
        """Round trips from `start` along the links, as sequences of junction numbers.

        Method in :mod:`parcs.junctions.loops`: via junctions drawn from a seeded generator,
        legs by shortest paths on the links with a penalty on links already ridden.

        Parameters
        ----------
        start
            A junction node id, a place name (its junction, or the nearest one) or a
            ``(lon, lat)`` tuple (nearest junction).
        km
            Target length in kilometres.
        n
            Number of loops wanted (1 to 20); fewer are returned when fewer distinct loops
            (sharing at most 70 % of their length) are found.
        seed
            Random seed (integer >= 0): the same seed gives the same loops.
        tolerance
            Allowed relative difference from `km` (default ±10 %).
        max_repeat
            Largest share of a loop's length ridden more than once (default 20 %).
        profile
            {"walk", "bike", "ebike"} used for the durations.

        Returns
        -------
        list of parcs.routing.Route
            Best first; each starts and ends at the start junction, its waypoints are the
            junctions met (``[w[0] for w in r.waypoints]`` is the sequence of numbers) and
            :meth:`strip` gives the numbers with distances.

        Raises
        ------
        LoopError
            If no loop meets the constraints (the message says how much network the start
            reaches and the longest loop found).
        ValidationError
            If an option is out of range.
        """
        from parcs.junctions.loops import junction_loops  # noqa: PLC0415

        return junction_loops(
            self, start, km=km, n=n, seed=seed, tolerance=tolerance, max_repeat=max_repeat,
            profile=profile,
        )

    def handout(
        self, route: Route, path: str | os.PathLike[str], *, title: str | None = None
    ) -> list[Path]:
        """Write the rider's handout: one printable A4 PDF, and the GPX beside it.

        The page holds the strip of junction numbers with the distance between each and the
        total, a map of the ride with the junction numbers, and the km by kind of way; the
        GPX (same name, ``.gpx``) holds the track and the junctions met as waypoints, in
        riding order. See :mod:`parcs.junctions.handout`.

        Parameters
        ----------
        route
            From :meth:`plan`, :meth:`loop` or :func:`parcs.route` on the graph.
        path
            The PDF file (must end in ``.pdf``).
        title
            The page title (default: from the first and last junction).

        Returns
        -------
        list of pathlib.Path
            The PDF and the GPX written.
        """
        from parcs.junctions.handout import write_handout  # noqa: PLC0415

        return write_handout(self, route, path, title=title)

    def signed_edges(self) -> pd.DataFrame:
        """Return the edges of :attr:`graph` on each link.

        Columns ``link`` (row of :attr:`links`), ``u``, ``v``, ``key``, ``length_m``.

        One row per edge and link, in riding order from the link's ``from_node``; in a
        designed network every edge appears once (links never share ground).
        """
        rows: list[tuple[int, int, int, int, float]] = []
        g = self._graph
        if g is not None:
            ids, heads, tails = g.csr.node_ids, g.csr.indices, g.tails
            for pos, arcs in enumerate(self._link_arcs):
                rows.extend(
                    (pos, int(ids[tails[a]]), int(ids[heads[a]]), int(g.csr.arc_key[a]),
                     float(g.weight[a]))
                    for a in arcs.tolist()
                )
        return pd.DataFrame(rows, columns=["link", "u", "v", "key", "length_m"])

    def strip(self, orig: Any, dest: Any = None, *, profile: str | Profile = "bike") -> str:  # noqa: ANN401
        """Return the "strip map" of a trip: the junction numbers met, with distances.

        Parameters
        ----------
        orig
            A `Route`, or the origin (place name, node id or ``(lon, lat)``).
        dest
            The destination when `orig` is not a Route.
        profile
            {"walk", "bike", "ebike"} used to route between places.

        Returns
        -------
        str
            e.g. ``"12 → 45 (3.2 km) → 7 (4.1 km)"``; distances are from the previous junction.
        """
        return strip_text(self, orig, dest, profile=profile)


def _first_bearing(coords: Sequence[tuple[float, ...]]) -> float:
    x0, y0 = coords[0][0], coords[0][1]
    for c in coords[1:]:
        dx, dy = c[0] - x0, c[1] - y0
        if dx or dy:
            return (math.degrees(math.atan2(dx, dy)) + 360.0) % 360.0
    return 0.0


