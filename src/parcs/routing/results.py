"""Result objects of routing: :class:`Route` and :class:`Isochrone`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from shapely.geometry import LineString, mapping

if TYPE_CHECKING:
    from os import PathLike

    import geopandas as gpd

__all__ = ["Isochrone", "Route"]


@dataclass
class Route:
    """A route on the network.

    Attributes
    ----------
    nodes
        Network nodes passed through, in order (empty when the route stays on one edge).
    geometry
        The route line in the graph's CRS (`crs`), partial first and last edges included.
    geometry_wgs84
        The same line in EPSG:4326 (lon, lat).
    length_m
        Metres travelled (sum of ``est_length``; gap connectors count with their detour factor).
    duration_s
        Travel time for the profile, in seconds.
    cost
        Profile cost that the route minimises (perceived metres).
    km_by_kind
        Kilometres by edge ``kind``.
    connector_km
        Kilometres on gap connectors (edges with ``built=False``).
    profile
        Profile name.
    orig_label, dest_label
        Human-readable origin and destination.
    waypoints
        ``(name, lon, lat)`` of the origin, the via points and the destination.
    edge_m
        Metres ridden on each undirected edge, keyed ``(u, v, key)`` with ``u <= v``; a value
        above the edge's ``est_length`` means part of it is ridden more than once.
    crs
        CRS of `geometry` (the graph's).
    """

    nodes: list[int]
    geometry: LineString
    geometry_wgs84: LineString
    length_m: float
    duration_s: float
    cost: float
    km_by_kind: dict[str, float]
    connector_km: float
    profile: str
    orig_label: str
    dest_label: str
    waypoints: list[tuple[str, float, float]] = field(default_factory=list)
    edge_m: dict[tuple[int, int, int], float] = field(default_factory=dict, repr=False)
    crs: str = "EPSG:2154"

    def _properties(self) -> dict[str, Any]:
        props: dict[str, Any] = {
            "orig": self.orig_label,
            "dest": self.dest_label,
            "profile": self.profile,
            "length_m": round(self.length_m, 2),
            "duration_s": round(self.duration_s, 1),
            "cost": round(self.cost, 2),
            "connector_km": round(self.connector_km, 4),
        }
        for kind, km in sorted(self.km_by_kind.items()):
            props[f"km_{kind}"] = round(km, 4)
        return props

    def to_gdf(self) -> gpd.GeoDataFrame:
        """Return the route as a one-row GeoDataFrame in the graph's CRS.

        Columns: ``orig``, ``dest``, ``profile``, ``length_m``, ``duration_s``, ``cost``,
        ``connector_km`` and one ``km_<kind>`` column per kind, plus the geometry.
        """
        import geopandas as gpd  # noqa: PLC0415

        return gpd.GeoDataFrame([self._properties()], geometry=[self.geometry], crs=self.crs)

    def to_geojson(self) -> str:
        """Return the route as a GeoJSON FeatureCollection string (EPSG:4326 coordinates)."""
        feature = {
            "type": "Feature",
            "properties": {**self._properties(), "km_by_kind": self.km_by_kind},
            "geometry": mapping(self.geometry_wgs84),
        }
        return json.dumps({"type": "FeatureCollection", "features": [feature]}, ensure_ascii=False)

    def to_gpx(self, path: str | PathLike[str] | None = None) -> str:
        """Return the route as GPX 1.1 text and write it to `path` if given.

        The track holds the route line (lon/lat, 7 decimals, no consecutive duplicate point);
        the origin, via points and destination are GPX waypoints
        (:func:`parcs.io.routes_to_gpx`). The file is written atomically.
        """
        from parcs._atomic import write_text  # noqa: PLC0415
        from parcs.io.export import routes_to_gpx  # noqa: PLC0415

        text = routes_to_gpx(self)
        if path is not None:
            write_text(path, text)
        return text


@dataclass
class Isochrone:
    """The part of the network reachable within a time or distance limit.

    Attributes
    ----------
    edges
        GeoDataFrame (graph CRS) of reached edge pieces: ``u``, ``v``, ``key``, ``kind``,
        ``reached_fraction`` (share of the edge reached), ``length_m`` (reached ``est_length``)
        and the reached geometry (edges reached only partly are cut at the limit).
    polygon
        The area within `buffer_m` of the reached pieces (a buffer, not a hull, because the
        network is made of long linear paths), in `crs`.
    profile
        Profile name.
    max_s, max_m
        The limit that was applied (the other one is ``None``).
    buffer_m
        Buffer distance used for `polygon`.
    orig_label
        Human-readable origin.
    crs
        CRS of `edges` and `polygon` (the graph's).
    """

    edges: gpd.GeoDataFrame
    polygon: Any
    profile: str
    max_s: float | None
    max_m: float | None
    buffer_m: float
    orig_label: str
    crs: str = "EPSG:2154"

    @property
    def reached_km(self) -> float:
        """Kilometres of network reached (``est_length``)."""
        return float(self.edges["length_m"].sum()) / 1000.0 if len(self.edges) else 0.0

    def to_gdf(self) -> gpd.GeoDataFrame:
        """Return the polygon as a one-row GeoDataFrame (graph CRS) with the limit and km."""
        import geopandas as gpd  # noqa: PLC0415

        row = {
            "orig": self.orig_label,
            "profile": self.profile,
            "max_s": self.max_s,
            "max_m": self.max_m,
            "reached_km": self.reached_km,
        }
        return gpd.GeoDataFrame([row], geometry=[self.polygon], crs=self.crs)


