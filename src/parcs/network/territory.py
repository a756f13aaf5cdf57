"""The embedded Chaîne des parcs network, built from the official layers in ``data/``.

No OpenStreetMap extract of the Artois ships with parcs, so the default network is made from
the official inventories (see ``data/PROVENANCE.md``):

* the Mission Bassin Minier's *cavaliers* (former mining-railway alignments) inside the three
  agglomerations, 437.6 km;
* EuroVélo 5 (OSM relation 5245117, 2022) inside the agglomerations, 82.7 km.

How the graph is built (:func:`build_network`):

1. Both layers are projected to Lambert-93 (EPSG:2154) and split into simple lines.
2. **EV5 on cavaliers.** Where EV5 runs within ``ev5_overlap_m`` of a cavalier, the EV5 line is
   dropped and the cavalier edge is marked ``eurovelo=True``: one edge carries both. The EV5
   pieces that remain are joined to the cavalier where they leave it.
3. **Snapping.** Every line end lying within ``snap_tolerance_m`` of another line is joined to
   the nearest point of that line (digitising gaps, level crossings). The default, 25 m, comes
   from the measurements in ``docs/network.md``.
4. **Noding.** All lines are split where they cross or touch (``shapely.union_all``) and the
   attributes of each piece are recovered from the line it came from.
5. **Degree-2 chains** are merged into one edge with the full geometry, unless the attributes
   (``kind``, ``eurovelo``, ``name``) change there, as ``osmnx.simplify_graph`` does with
   ``edge_attrs_differ``.
6. **Gap connectors.** Components still separated by at most ``max_gap_m`` are joined,
   shortest gap first (a minimum spanning forest of the gaps), by straight
   ``kind="connector"``, ``built=False`` edges whose travelled length ``est_length`` is the
   straight length times ``detour_factor``. They are what the missing-links analysis ranks.
7. **Places.** Terrils, espaces néo-naturels and communes become places with their access
   nodes (:func:`artois_places`, :mod:`parcs.network.places`).

Steps 3–6 are the generic line pipeline of :mod:`parcs.network.lines`, the same one
:func:`parcs.graph_from_lines` runs on any layer; this module adds only what is specific to the
official layers (reading them, and EuroVélo 5 merged onto the cavaliers it runs on).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from parcs import _data, settings
from parcs._atomic import write_text
from parcs._log import logger
from parcs._validate import check_positive
from parcs.errors import DataError, EmptyAreaError, ValidationError
from parcs.network import lines
from parcs.network.places import DEFAULT_ACCESS_M, attach_places

if TYPE_CHECKING:
    import geopandas as gpd
    import networkx as nx

__all__ = [
    "DEFAULT_DETOUR_FACTOR",
    "DEFAULT_MAX_GAP_M",
    "DEFAULT_SNAP_TOLERANCE_M",
    "artois_places",
    "attach_artois_places",
    "build_network",
    "load_network",
]

CRS = "EPSG:2154"
#: Line ends closer than this to another line are joined (see docs/network.md for the
#: measurements behind the choice).
DEFAULT_SNAP_TOLERANCE_M = 25.0
#: Largest straight gap bridged by an unbuilt connector edge.
DEFAULT_MAX_GAP_M = 1000.0
#: Travelled length of a connector = straight length × this factor. 1.3 is the usual
#: network-to-crow-fly ratio of short urban/peri-urban trips (Vybornova et al. 2022 use a
#: detour threshold of the same order to flag missing links).
DEFAULT_DETOUR_FACTOR = 1.3
#: EV5 within this distance of a cavalier is taken to run on it.
DEFAULT_EV5_OVERLAP_M = 20.0

_CACHE_VERSION = 3  # 3: a saved graph (GeoPackage) with its sha256, no more pickles
_MERGE_KEYS = ("kind", "eurovelo", "name", "source")
_CONNECTOR = {
    "kind": "connector",
    "name": "",
    "eurovelo": False,
    "routes": "",
    "built": False,
    "source": "gap",
    "surface": "",
}


# --------------------------------------------------------------------------- reading


#: Columns each embedded layer must have (a `PARCS_DATA_DIR` folder must keep them).
_COLUMNS = {
    "cavaliers": ("nom",),
    "eurovelo5": (),
    "terrils": ("nom", "no_terril", "nom_usuel", "sigle"),
    "espaces_neonaturels": ("nom",),
    "communes": ("nom", "insee", "population_2026cog", "epci_sigle"),
    "epci": (),
}


def _read_layer(name: str) -> gpd.GeoDataFrame:
    """Read one official layer, checked: present, readable, CRS right, columns, 2-D, in CRS."""
    import geopandas as gpd  # noqa: PLC0415
    import pyogrio.errors  # noqa: PLC0415
    import shapely  # noqa: PLC0415
    from pyproj import CRS as ProjCRS  # noqa: PLC0415

    path = _data.get_path(name)
    if not path.exists():
        msg = f"embedded layer {name!r} is missing: {path} does not exist; reinstall parcs"
        raise DataError(msg)
    try:
        gdf = gpd.read_file(path)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError) as err:
        msg = f"cannot read embedded layer {name!r} ({path}): {err}; the file is malformed"
        raise DataError(msg) from err
    where = f"the layer {name!r} ({path})"
    if gdf.crs is None:
        msg = f"{where} has no CRS; expected EPSG:4326 GeoJSON"
        raise DataError(msg)
    missing = [c for c in _COLUMNS[name] if c not in gdf.columns]
    if missing and len(gdf):  # an empty layer is reported by the builder ("no line")
        msg = f"{where} lacks the column(s) {missing}; it has {sorted(map(str, gdf.columns))}"
        raise DataError(msg)
    geoms = gdf.geometry.to_numpy()
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    lines.check_area_of_use(geoms[ok], ProjCRS.from_user_input(gdf.crs), where)
    gdf = gdf.set_geometry(shapely.force_2d(geoms))  # Z coordinates are dropped
    return gdf.to_crs(CRS)


def _lines(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = gdf.explode(index_parts=False, ignore_index=True)
    out = out[out.geom_type == "LineString"]
    return out[out.length > 0].reset_index(drop=True)



# --------------------------------------------------------------------------- building


def _ev5_remainder(
    cav: gpd.GeoDataFrame, ev: gpd.GeoDataFrame, overlap_m: float
) -> tuple[list[Any], list[Any], Any]:
    """EV5 pieces not on a cavalier, plus short links where they leave a cavalier."""
    import shapely  # noqa: PLC0415

    cav_union = shapely.union_all(cav.geometry.to_numpy())
    cav_buf = shapely.buffer(cav_union, overlap_m, cap_style="flat")
    rest = shapely.get_parts(shapely.difference(shapely.union_all(ev.geometry.to_numpy()), cav_buf))
    rest = [g for g in shapely.get_parts(shapely.line_merge(shapely.multilinestrings(rest))) if g.length > overlap_m]
    links = []
    for line in rest:
        for end in (shapely.get_point(line, 0), shapely.get_point(line, -1)):
            if shapely.distance(end, cav_union) <= overlap_m + 1.0:
                link = shapely.shortest_line(end, cav_union)
                if link.length > 0:
                    links.append(link)
    ev_buf = shapely.buffer(shapely.union_all(ev.geometry.to_numpy()), overlap_m, cap_style="flat")
    return rest, links, ev_buf


def _file_digest() -> str:
    h = hashlib.sha1(usedforsecurity=False)
    for name in sorted(_data.FILES):
        path = _data.get_path(name)
        if not path.exists():
            msg = f"embedded layer {name!r} is missing: {path} does not exist; reinstall parcs"
            raise DataError(msg)
        h.update(name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _check_options(**values: float) -> None:
    for name, value in values.items():
        check_positive(name, value, unit="metres" if name.endswith("_m") else "")
    if values["detour_factor"] < 1:
        msg = (
            "`detour_factor` must be >= 1 (a path is never shorter than a straight line), "
            f"got {values['detour_factor']!r}"
        )
        raise ValidationError(msg)


def _official_lines(ev5_overlap_m: float) -> tuple[np.ndarray, list[dict[str, Any]], Any]:
    """The cavaliers and the EV5 pieces off them, their attributes, and the EV5 buffer."""
    cav = _lines(_read_layer("cavaliers"))
    ev = _lines(_read_layer("eurovelo5"))
    if cav.empty:
        msg = "the cavaliers layer holds no line; the embedded data is damaged, reinstall parcs"
        raise EmptyAreaError(msg)
    ev_rest, ev_links, ev_buf = _ev5_remainder(cav, ev, ev5_overlap_m)
    base = {"eurovelo": False, "routes": "", "built": True, "surface": ""}
    cav_attrs = [
        {**base, "kind": "cavalier", "name": n if isinstance(n, str) else "", "source": "cavaliers"}
        for n in cav["nom"]
    ]
    ev_attr = {**base, "kind": "eurovelo", "name": "EuroVelo 5", "source": "eurovelo5"}
    geoms = np.concatenate([cav.geometry.to_numpy(), np.array(ev_rest + ev_links, dtype=object)])
    return geoms, cav_attrs + [ev_attr] * (len(ev_rest) + len(ev_links)), ev_buf


def _mark_eurovelo(ev_buf: Any) -> lines.PieceHook:  # noqa: ANN401
    """A piece hook: pieces lying mostly within the EV5 buffer carry EuroVélo 5."""

    def mark(pieces: np.ndarray, attrs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        import shapely  # noqa: PLC0415

        length = shapely.length(pieces)
        on_ev = shapely.length(shapely.intersection(pieces, ev_buf)) >= 0.5 * length
        out = []
        for a, ev in zip(attrs, on_ev.tolist(), strict=True):
            flag = a["kind"] == "eurovelo" or bool(ev)
            source = "cavaliers+eurovelo5" if flag and a["kind"] == "cavalier" else a["source"]
            out.append({**a, "eurovelo": flag, "routes": "EV5" if flag else "", "source": source})
        return out

    return mark


def build_network(
    *,
    snap_tolerance_m: float = DEFAULT_SNAP_TOLERANCE_M,
    max_gap_m: float = DEFAULT_MAX_GAP_M,
    detour_factor: float = DEFAULT_DETOUR_FACTOR,
    ev5_overlap_m: float = DEFAULT_EV5_OVERLAP_M,
    access_m: float = DEFAULT_ACCESS_M,
    connectors: bool = True,
) -> nx.MultiDiGraph:
    """Build the embedded Chaîne des parcs network from the official layers.

    Parameters
    ----------
    snap_tolerance_m
        Line ends within this distance of another line are joined to it (metres, > 0).
        Default 25 m: see ``docs/network.md`` for the measured effect of 1–100 m.
    max_gap_m
        Largest straight gap bridged by an unbuilt ``connector`` edge (metres, > 0).
    detour_factor
        Travelled length of a connector = straight length × `detour_factor` (>= 1).
    ev5_overlap_m
        EuroVélo 5 within this distance of a cavalier is taken to run on it.
    access_m
        Network nodes within this distance of a park or terril are its access nodes.
    connectors
        Add the gap connectors (True) or return only the built alignments (False).

    Returns
    -------
    networkx.MultiDiGraph
        The graph described in ``docs/graph-format.md``, with places in
        ``G.graph["parcs_places"]``.

    Raises
    ------
    ValidationError
        If a distance is not a positive number or `detour_factor` < 1.
    DataError
        If an embedded layer is missing or malformed.
    """
    _check_options(
        snap_tolerance_m=snap_tolerance_m,
        max_gap_m=max_gap_m,
        ev5_overlap_m=ev5_overlap_m,
        access_m=access_m,
        detour_factor=detour_factor,
    )
    geoms, attrs, ev_buf = _official_lines(ev5_overlap_m)
    G = lines.graph_from_segments(
        geoms,
        attrs,
        crs=CRS,
        snap_m=float(snap_tolerance_m),
        merge_keys=_MERGE_KEYS,
        max_gap_m=float(max_gap_m) if connectors else None,
        detour_factor=float(detour_factor),
        connector=_CONNECTOR,
        graph_attrs={
            "name": "Chaîne des parcs: embedded official layers (cavaliers + EuroVélo 5)",
            "source": "embedded",
            "snap_tolerance_m": float(snap_tolerance_m),
            "max_gap_m": float(max_gap_m),
            "detour_factor": float(detour_factor),
        },
        edit_pieces=_mark_eurovelo(ev_buf),
    )
    attach_places(G, artois_places(), access_m=access_m)
    logger.info(
        "built embedded network: %d nodes, %d edges, %d places",
        G.number_of_nodes(),
        G.number_of_edges(),
        len(G.graph["parcs_places"]),
    )
    return G


# --------------------------------------------------------------------------- places


def artois_places() -> gpd.GeoDataFrame:
    """Return the embedded Artois places: terrils, espaces néo-naturels and the 150 communes.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:2154; ``name``, ``kind`` ({"terril", "espace_neonaturel", "commune"}), ``ref``
        (terril number, INSEE code), ``alt_name``, ``population`` (communes), ``epci``.
    """
    import geopandas as gpd  # noqa: PLC0415
    import pandas as pd  # noqa: PLC0415

    ter = _read_layer("terrils")
    esp = _read_layer("espaces_neonaturels")
    com = _read_layer("communes")

    def frame(gdf: gpd.GeoDataFrame, kind: str, **cols: Any) -> pd.DataFrame:  # noqa: ANN401
        base = {"name": gdf["nom"].astype(str), "kind": kind, "ref": "", "alt_name": ""}
        return pd.DataFrame({**base, "population": 0, "epci": "", **cols, "geometry": gdf.geometry.to_numpy()})

    frames = [
        frame(
            ter,
            "terril",
            ref=ter["no_terril"].fillna("").astype(str),
            alt_name=ter["nom_usuel"].fillna("").astype(str),
            epci=ter["sigle"].astype(str),
        ),
        frame(esp, "espace_neonaturel"),
        frame(
            com,
            "commune",
            ref=com["insee"].astype(str),
            population=_population(com),
            epci=com["epci_sigle"].astype(str),
        ),
    ]
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=CRS)


def _population(com: gpd.GeoDataFrame) -> Any:  # noqa: ANN401
    """The communes' population, as integers (a missing or negative value is refused)."""
    import pandas as pd  # noqa: PLC0415

    pop = pd.to_numeric(com["population_2026cog"], errors="coerce")
    bad = com["nom"][pop.isna() | (pop < 0)].astype(str).tolist()
    if bad:
        msg = (
            f"the communes layer has {len(bad)} commune(s) without a valid population "
            f"(`population_2026cog`): {bad[:5]}; fix the layer ({_data.get_path('communes')})"
        )
        raise DataError(msg)
    return pop.astype(int)


def attach_artois_places(G: nx.MultiDiGraph, *, access_m: float = DEFAULT_ACCESS_M) -> nx.MultiDiGraph:
    """Attach the embedded Artois places to `G` (for example an OSM graph of the area).

    The access nodes are computed on `G`, in its own CRS. Returns `G`, modified in place.
    """
    return attach_places(G, artois_places(), access_m=access_m)


# --------------------------------------------------------------------------- cache

#: Modules whose code shapes the cached network: their digest is part of the cache key.
_CACHE_CODE = ("network/territory.py", "network/lines.py", "network/places.py", "io/graph_file.py")
#: Graph attribute holding the full cache key inside a cache file (removed once loaded).
_CACHE_KEY_ATTR = "parcs_cache_key"
_SHA256_HEX = frozenset("0123456789abcdef")


def _cache_key(kwargs: dict[str, Any]) -> str:
    """Return the sha256 of everything the network depends on: data, code, version, options."""
    from parcs import __version__  # noqa: PLC0415
    from parcs.io import GRAPH_FORMAT_VERSION  # noqa: PLC0415

    root = Path(__file__).resolve().parents[1]
    code = hashlib.sha256()
    for rel in _CACHE_CODE:
        code.update(rel.encode())
        code.update((root / rel).read_bytes())
    parts = (
        _CACHE_VERSION,
        GRAPH_FORMAT_VERSION,
        __version__,
        _file_digest(),
        sorted(kwargs.items()),
        code.hexdigest(),
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _sum_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _cached(path: Path, key: str) -> tuple[nx.MultiDiGraph | None, str]:
    """Return the network cached at `path`, or None and why the cache cannot be used."""
    from parcs.io import load_graph  # noqa: PLC0415

    try:
        with _sum_path(path).open("rb") as fh:
            expected = fh.read(100).decode("ascii", "replace").strip()
        if len(expected) != 64 or not set(expected) <= _SHA256_HEX:  # noqa: PLR2004
            return None, "has no valid sha256 checksum beside it"
        if not hmac.compare_digest(expected, _sha256(path)):
            return None, "does not match its sha256 checksum (damaged or tampered with)"
        G = load_graph(path)
    except FileNotFoundError:
        return None, "has no sha256 checksum beside it"
    except (OSError, DataError) as err:
        return None, f"is unreadable ({err})"
    if G.graph.pop(_CACHE_KEY_ATTR, None) != key or "parcs_places" not in G.graph:
        return None, "was built from other data, code or parameters"
    return G, ""


def _read_cache(path: Path, key: str) -> nx.MultiDiGraph | None:
    """Return the cached network, or None; a cache that cannot be used is logged and removed."""
    if not path.exists():
        return None
    G, why = _cached(path, key)
    if G is not None:
        logger.info("loaded the embedded network from the cache %s", path)
        return G
    logger.warning("the network cache %s %s: removing it, the network is rebuilt", path, why)
    for stale in (path, _sum_path(path)):
        try:
            stale.unlink(missing_ok=True)
        except OSError as err:
            logger.warning("could not remove %s: %s", stale, err)
    return None


def _private_folder(folder: Path) -> None:
    """Create the cache folder, readable by its owner only (mode 0700), if it does not exist."""
    if folder.is_dir():
        return
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)  # mkdir's mode is masked by the umask


def _write_cache(G: nx.MultiDiGraph, path: Path, key: str) -> None:
    """Save `G` to `path` with its sha256 beside it; failures are logged, never raised."""
    from parcs.io import save_graph  # noqa: PLC0415

    G.graph[_CACHE_KEY_ATTR] = key
    try:
        _private_folder(path.parent)
        save_graph(G, path)
        write_text(_sum_path(path), _sha256(path) + "\n")
    except (OSError, DataError) as err:
        logger.warning("could not write the network cache %s: %s", path, err)
        for stale in (path, _sum_path(path)):
            with contextlib.suppress(OSError):
                stale.unlink(missing_ok=True)
        return
    finally:
        G.graph.pop(_CACHE_KEY_ATTR, None)
    for old in path.parent.glob("network-*.pickle"):  # written by older parcs: never unpickled
        logger.info("removing the old pickled network cache %s (parcs never loads it)", old)
        with contextlib.suppress(OSError):
            old.unlink()


def load_network(
    *,
    snap_tolerance_m: float = DEFAULT_SNAP_TOLERANCE_M,
    max_gap_m: float = DEFAULT_MAX_GAP_M,
    detour_factor: float = DEFAULT_DETOUR_FACTOR,
    connectors: bool = True,
    cache: bool = True,
) -> nx.MultiDiGraph:
    """Return the embedded Chaîne des parcs network as an osmnx-style graph.

    The first call builds it from the official layers (:func:`build_network`, about 1–2 s) and
    stores it in the user cache (``$PARCS_CACHE_DIR`` or ``~/.cache/parcs``, created with mode
    0700) as a saved graph (:func:`parcs.save_graph`, a GeoPackage, never a pickle) with its
    sha256 beside it; later calls with the same parameters and data load it from there
    (about 0.05 s). The cache key is a hash of the data files, of the code that builds the
    network, of the parcs version and of the parameters, so it never serves a stale network;
    a cache file that is unreadable, does not match its checksum or its key is logged
    (warning), removed and rebuilt. See ``docs/graph-format.md`` ("The embedded network's
    cache").

    Parameters
    ----------
    snap_tolerance_m, max_gap_m, detour_factor, connectors
        See :func:`build_network`.
    cache
        Read and write the on-disk cache (a failure to write it is logged and ignored).

    Returns
    -------
    networkx.MultiDiGraph
        See ``docs/graph-format.md``.

    Examples
    --------
    >>> import parcs
    >>> G = parcs.load_network()
    >>> G.graph["crs"]
    'EPSG:2154'
    """
    for name, value in (("snap_tolerance_m", snap_tolerance_m), ("max_gap_m", max_gap_m)):
        check_positive(name, value, unit="metres")
    kwargs = {
        "snap_tolerance_m": float(snap_tolerance_m),
        "max_gap_m": float(max_gap_m),
        "detour_factor": float(detour_factor),
        "connectors": bool(connectors),
    }
    if not cache:
        return build_network(**kwargs)  # type: ignore[arg-type]
    key = _cache_key(kwargs)
    path = settings.cache_dir() / f"network-{key[:16]}.gpkg"
    G = _read_cache(path, key)
    if G is None:
        G = build_network(**kwargs)  # type: ignore[arg-type]
        _write_cache(G, path, key)
    return G
