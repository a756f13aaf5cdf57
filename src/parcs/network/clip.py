"""Clip areas: the polygon a graph, a places table or an OSM read is restricted to.

Every builder that takes ``clip=`` (:func:`parcs.graph_from_osm`, :func:`parcs.graph_from_lines`,
:func:`parcs.places_from_osm`, ``parcs build --clip``) resolves it with :func:`clip_area`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from parcs import _data
from parcs.errors import DataError, ValidationError

if TYPE_CHECKING:
    from shapely.geometry import MultiPolygon, Polygon

__all__ = ["PMA", "clip_area"]

#: The name of the embedded perimeter of the Pôle Métropolitain de l'Artois (its 3 EPCIs).
PMA = "pma"


def _union(gdf: Any, what: str, crs: str) -> Polygon | MultiPolygon:  # noqa: ANN401
    import shapely  # noqa: PLC0415

    if gdf.crs is None:
        msg = f"{what} has no CRS; set it first (e.g. .set_crs('EPSG:4326'))"
        raise ValidationError(msg)
    geoms = gdf.to_crs(crs).geometry
    geoms = geoms[~(geoms.isna() | geoms.is_empty)]
    polys = geoms[geoms.geom_type.isin(["Polygon", "MultiPolygon"])]
    if polys.empty:
        msg = f"{what} holds no polygon to clip with (geometry types: {sorted(set(geoms.geom_type))})"
        raise ValidationError(msg)
    out = shapely.union_all(shapely.make_valid(polys.to_numpy()))
    return out


def _read(path: Path) -> Any:  # noqa: ANN401
    import geopandas as gpd  # noqa: PLC0415
    import pyogrio.errors  # noqa: PLC0415

    if not path.is_file():
        msg = f"the clip file {str(path)!r} does not exist; give a polygon layer (GeoPackage, GeoJSON, Shapefile) or 'pma'"
        raise DataError(msg)
    try:
        return gpd.read_file(path)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError) as err:
        msg = f"cannot read the clip file {str(path)!r}: {err}"
        raise DataError(msg) from err


def clip_area(clip: Any, *, crs: str) -> Polygon | MultiPolygon | None:  # noqa: ANN401
    """Return the clip polygon in `crs`, or None when `clip` is None.

    Parameters
    ----------
    clip
        None; ``"pma"`` (the embedded perimeter of the three EPCIs of the Pôle Métropolitain
        de l'Artois); a shapely (Multi)Polygon in EPSG:4326 (lon/lat); a GeoDataFrame or
        GeoSeries of polygons in any CRS; or the path of a polygon layer (GeoPackage, GeoJSON,
        Shapefile). Several polygons are unioned.
    crs
        The CRS of the result (the graph's).

    Returns
    -------
    shapely.Polygon or shapely.MultiPolygon or None
        The area, valid, in `crs`.

    Raises
    ------
    ValidationError
        If `clip` is of another type, has no CRS, holds no polygon, or a shapely polygon is
        not in lon/lat degrees.
    DataError
        If a clip file is missing or unreadable.
    """
    if clip is None:
        return None
    import geopandas as gpd  # noqa: PLC0415
    import shapely  # noqa: PLC0415

    if isinstance(clip, str) and clip.strip().lower() == PMA:
        return _union(gpd.read_file(_data.get_path("epci")), "the PMA perimeter", crs)
    if isinstance(clip, (str, os.PathLike)):
        return _union(_read(Path(clip)), f"the clip file {str(clip)!r}", crs)
    if isinstance(clip, (gpd.GeoDataFrame, gpd.GeoSeries)):
        return _union(clip, "`clip`", crs)
    if isinstance(clip, (shapely.Polygon, shapely.MultiPolygon)):
        minx, miny, maxx, maxy = clip.bounds
        if not (-180 <= minx and maxx <= 180 and -90 <= miny and maxy <= 90):  # noqa: PLR2004
            msg = (
                f"a shapely `clip` must be in EPSG:4326 (lon/lat degrees); its bounds "
                f"{clip.bounds!r} are not; pass a GeoDataFrame with its CRS instead"
            )
            raise ValidationError(msg)
        return _union(gpd.GeoSeries([clip], crs="EPSG:4326"), "`clip`", crs)
    msg = (
        "`clip` must be None, 'pma', a polygon layer path, a GeoDataFrame/GeoSeries of "
        f"polygons or a shapely polygon in lon/lat; got {type(clip).__name__}"
    )
    raise ValidationError(msg)
