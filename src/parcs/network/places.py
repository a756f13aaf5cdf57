"""Places on a parcs graph: parks, terrils, stations, towns; their access nodes; name lookup.

Places are a GeoDataFrame kept in ``G.graph["parcs_places"]`` (``docs/graph-format.md``),
in the graph's CRS, indexed by a slug (``"terril:11-19-de-lens-est"``), with the columns

``name``, ``kind``, ``ref``, ``alt_name``, ``population``, ``geometry``, ``area_ha``
    What the place is. ``kind`` is one of :data:`PLACE_KINDS` (or any other string for a
    user layer): the Artois gives ``commune``, ``terril`` and ``espace_neonaturel``;
    OpenStreetMap (:func:`parcs.places_from_osm`) gives ``town``, ``park``, ``nature``,
    ``forest``, ``terril``, ``station`` and ``viewpoint``. Settlements are the kinds of
    :data:`SETTLEMENT_KINDS`, leisure destinations those of :data:`PARK_KINDS`, whatever the
    source. ``population`` counts residents of settlements (0 elsewhere, and 0 when
    unknown); ``alt_name`` holds other names, ``;``-separated.
``access_nodes``, ``reached``, ``access_dist_m``
    Where it enters the network (:func:`attach_places`): the graph nodes inside a settlement's
    outline, or within ``access_m`` of any other place; ``reached`` is False when no node
    qualified and the nearest node was taken instead, ``access_dist_m`` the distance from the
    place to its nearest access node.
``key``
    The folded name used by :func:`find_place`.

The embedded Artois places come from :mod:`parcs.network.territory`; any graph, in any
metric CRS, can carry places from a user layer or from OpenStreetMap
(:mod:`parcs.network.osm_places`), and every function that uses places (routing by name,
``distance_matrix``, ``points_noeuds``, ``missing_links``, ``plan_links``, ``metrics``) reads
them by these kind sets only.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from typing import TYPE_CHECKING, Any

import numpy as np

from parcs import graph as _graph
from parcs._log import logger
from parcs._validate import check_positive
from parcs.csr import csr_of
from parcs.errors import PlaceNotFoundError, ValidationError

if TYPE_CHECKING:
    import geopandas as gpd
    import networkx as nx
    import pandas as pd

__all__ = [
    "DEFAULT_ACCESS_M",
    "MAX_NAME_CHARS",
    "MAX_POPULATION",
    "PARK_KINDS",
    "PLACE_KINDS",
    "SETTLEMENT_KINDS",
    "attach_places",
    "find_place",
    "normalize_name",
    "places",
]

#: Network nodes within this distance of a place (other than a settlement) are its access nodes.
DEFAULT_ACCESS_M = 300.0
#: Place kinds, in the order a name shared by several places is resolved.
PLACE_KINDS: tuple[str, ...] = (
    "commune",
    "town",
    "espace_neonaturel",
    "park",
    "nature",
    "forest",
    "terril",
    "station",
    "viewpoint",
)
#: Kinds whose residents make trips (origins of the missing-links objective).
SETTLEMENT_KINDS = frozenset({"commune", "town"})
#: Kinds that are leisure destinations (parks, nature areas, terrils).
PARK_KINDS = frozenset({"terril", "espace_neonaturel", "park", "nature", "forest"})
#: A population above this is absurd (no settlement is that large) and counts 0.
MAX_POPULATION = 50_000_000
#: Place names longer than this are refused before any search.
MAX_NAME_CHARS = 200
_SHOWN_CHARS = 80
_KIND_ORDER = {k: i for i, k in enumerate(PLACE_KINDS)}
_COLUMNS = ("name", "kind", "ref", "alt_name", "population")


def normalize_name(text: str) -> str:
    """Fold `text` for matching: no accents, lower case, single spaces, common words kept."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("œ", "oe").replace("Œ", "oe").lower()
    text = re.sub(r"[^a-z0-9/]+", " ", text)
    return " ".join(text.split())


def _slug(kind: str, name: str, used: set[str]) -> str:
    base = f"{kind}:{normalize_name(name).replace(' ', '-').replace('/', '-')}"
    slug, i = base, 2
    while slug in used:
        slug, i = f"{base}-{i}", i + 1
    used.add(slug)
    return slug


def _access(
    G: nx.MultiDiGraph, gdf: gpd.GeoDataFrame, access_m: float
) -> tuple[list[tuple[int, ...]], list[bool], list[float]]:
    """Access nodes, reached flags and access distances of every place (vectorised)."""
    import shapely  # noqa: PLC0415

    csr = csr_of(G)
    n_places = len(gdf)
    if csr.n_nodes == 0:
        return [()] * n_places, [False] * n_places, [float("inf")] * n_places
    pts = shapely.points(csr.x, csr.y)
    tree = shapely.STRtree(pts)
    geoms = gdf.geometry.to_numpy()
    inside = gdf["kind"].isin(list(SETTLEMENT_KINDS)).to_numpy() & np.isin(
        shapely.get_type_id(geoms), (3, 6)  # Polygon, MultiPolygon
    )
    hits: list[list[int]] = [[] for _ in range(n_places)]
    for mask, kw in ((inside, {"predicate": "intersects"}), (~inside, {"predicate": "dwithin", "distance": access_m})):
        rows = np.flatnonzero(mask)
        if len(rows):
            place, node = tree.query(geoms[rows], **kw)
            for p, i in zip(rows[place].tolist(), node.tolist(), strict=True):
                hits[p].append(i)
    access: list[tuple[int, ...]] = []
    reached: list[bool] = []
    dist: list[float] = []
    for p, idx in enumerate(hits):
        if idx:
            ids = np.sort(csr.node_ids[idx])
            access.append(tuple(int(i) for i in ids))
            dist.append(float(shapely.distance(pts[idx], geoms[p]).min()))
            reached.append(True)
        else:
            j, d = tree.query_nearest(geoms[p], return_distance=True)
            access.append((int(csr.node_ids[j[0]]),))
            dist.append(float(d[0]))
            reached.append(False)
    return access, reached, dist


def attach_places(
    G: nx.MultiDiGraph, places: gpd.GeoDataFrame, *, access_m: float = DEFAULT_ACCESS_M
) -> nx.MultiDiGraph:
    """Attach a places table to `G` (any parcs graph), with access nodes; return `G`.

    Parameters
    ----------
    G
        A parcs graph; modified in place (``G.graph["parcs_places"]``).
    places
        A GeoDataFrame with a CRS and the columns ``name`` and ``kind`` (``ref``,
        ``alt_name`` and ``population`` are optional); any geometry type, any CRS (it is
        reprojected to the graph's).
    access_m
        Nodes within this distance of a place are its access nodes (settlement outlines use
        the nodes inside them).

    Returns
    -------
    networkx.MultiDiGraph
        `G`, with ``G.graph["parcs_places"]`` set (module docstring).

    Raises
    ------
    ValidationError
        If `places` is not a GeoDataFrame with a CRS and ``name``/``kind`` columns, or
        `access_m` is not a positive number.
    """
    G.graph["parcs_places"] = prepare_places(G, places, access_m=access_m)
    return G


def prepare_places(
    G: nx.MultiDiGraph, places: gpd.GeoDataFrame, *, access_m: float = DEFAULT_ACCESS_M
) -> gpd.GeoDataFrame:
    """Return `places` in the form :func:`attach_places` stores (does not modify `G`)."""
    import geopandas as gpd  # noqa: PLC0415
    import pandas as pd  # noqa: PLC0415

    access_m = check_positive("access_m", access_m, unit="metres")
    if not isinstance(places, gpd.GeoDataFrame):
        msg = f"`places` must be a geopandas.GeoDataFrame, got {type(places).__name__}"
        raise ValidationError(msg)
    missing = [c for c in ("name", "kind") if c not in places.columns]
    if missing:
        msg = f"`places` lacks the column(s) {missing}; it needs at least `name` and `kind`"
        raise ValidationError(msg)
    if places.crs is None:
        msg = "`places` has no CRS; set it first, e.g. places.set_crs('EPSG:4326')"
        raise ValidationError(msg)
    csr = csr_of(G)
    gdf = places.to_crs(csr.crs)
    out = gpd.GeoDataFrame(
        {
            "name": gdf["name"].fillna("").astype(str).to_numpy(),
            "kind": gdf["kind"].fillna("").astype(str).to_numpy(),
            "ref": _text(gdf, "ref"),
            "alt_name": _text(gdf, "alt_name"),
            "population": pd.to_numeric(gdf.get("population", 0), errors="coerce"),
        },
        geometry=gdf.geometry.to_numpy(),
        crs=csr.crs,
    )
    extra = [c for c in gdf.columns if c not in (*_COLUMNS, gdf.geometry.name) and c not in out]
    for col in extra:
        out[col] = gdf[col].to_numpy()
    out["population"] = _population(out["population"])
    out["area_ha"] = out.geometry.area / 1e4
    access, reached, dist = _access(G, out, access_m)
    out["access_nodes"] = access
    out["reached"] = reached
    out["access_dist_m"] = dist
    used: set[str] = set()
    out.index = pd.Index(
        [_slug(k, n, used) for k, n in zip(out["kind"], out["name"], strict=True)], name="place_id"
    )
    out["key"] = [normalize_name(n) for n in out["name"]]
    return out


def _population(pop: pd.Series) -> pd.Series:
    """Residents, 0 where missing, negative, not finite or absurd (logged)."""
    values = pop.to_numpy(dtype=np.float64, na_value=np.nan)
    absurd = np.isfinite(values) & (values > MAX_POPULATION)
    if absurd.any():
        logger.warning(
            "%d place(s) have an absurd population (more than %d): counted as 0",
            int(absurd.sum()),
            MAX_POPULATION,
        )
    ok = np.isfinite(values) & (values > 0) & ~absurd
    return pop.where(ok, 0.0).astype(np.float64)


def _text(gdf: gpd.GeoDataFrame, column: str) -> Any:  # noqa: ANN401
    if column not in gdf.columns:
        return [""] * len(gdf)
    return gdf[column].fillna("").astype(str).to_numpy()


def places(G: nx.MultiDiGraph, *, kind: str | None = None) -> gpd.GeoDataFrame:
    """Return the places of `G` as a GeoDataFrame (module docstring).

    Parameters
    ----------
    G
        A parcs graph with places (the embedded network, or any graph after
        :func:`attach_places`).
    kind
        A place kind (:data:`PLACE_KINDS`, or any kind the table holds), ``"park"`` for every
        kind in :data:`PARK_KINDS`, or None for all.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per place.

    Raises
    ------
    ValidationError
        If `G` carries no places or `kind` is unknown.
    """
    gdf = G.graph.get("parcs_places")
    if gdf is None:
        msg = (
            "this graph carries no places; attach some with parcs.attach_places(G, places) "
            "(a GeoDataFrame with `name` and `kind`, or parcs.places_from_osm(...)), or use "
            "parcs.load_network() for the Artois"
        )
        raise ValidationError(msg)
    if kind is None:
        return gdf
    if kind == "park":
        return gdf[gdf["kind"].isin(list(PARK_KINDS))]
    known = sorted({*gdf["kind"].unique().tolist(), "park"})
    if kind not in known:
        msg = f"`kind` {kind!r} is not a place kind of this graph; choose one of {known}"
        raise ValidationError(msg)
    return gdf[gdf["kind"] == kind]


def _close_keys(key: str, pool: list[str], *, n: int = 5, cutoff: float = 0.75) -> list[str]:
    """Keys of `pool` closest to `key`, best first.

    A key scores the best :class:`difflib.SequenceMatcher` ratio between `key` and the whole
    key or any run of as many words, so that "glisoire" finds "parc de la glissoire".
    """
    width = max(1, len(key.split()))
    scored = []
    for cand in pool:
        words = cand.split()
        runs = range(max(1, len(words) - width + 1))
        pieces = {cand, *(" ".join(words[i : i + width]) for i in runs)}
        best = max(difflib.SequenceMatcher(None, key, p).ratio() for p in pieces)
        if best >= cutoff:  # ties: the closer whole name first
            scored.append((-best, -difflib.SequenceMatcher(None, key, cand).ratio(), cand))
    return [c for *_, c in sorted(scored)[:n]]


def _check_name(name: Any) -> str:  # noqa: ANN401
    if not isinstance(name, str):
        msg = f"a place name must be a string, got {type(name).__name__} {name!r}"
        raise ValidationError(msg)
    if len(name) > MAX_NAME_CHARS:
        msg = (
            f"the place name {name[:_SHOWN_CHARS]!r}... is {len(name):,} characters long; "
            f"names have at most {MAX_NAME_CHARS} characters"
        )
        raise ValidationError(msg)
    return name


def find_place(G: nx.MultiDiGraph, name: str, *, kind: str | None = None) -> pd.Series:
    """Look up one place by name, ignoring accents, case and punctuation.

    ``"kind:name"`` (e.g. ``"terril:11/19 de Lens Est"``, ``"commune:Lens"``) restricts the
    search to one kind, as does `kind`. When several places share a name, the kinds rank in
    :data:`PLACE_KINDS` order (settlements first), the largest first. A name that matches no
    place exactly is matched as a unique prefix or substring before failing.

    Parameters
    ----------
    G
        A parcs graph with places.
    name
        The place name, one of its other names (``alt_name``, e.g. an OSM ``name:fr``) or its
        ``ref`` (an INSEE code for a commune, a number for a terril, e.g. "T074"); at most
        :data:`MAX_NAME_CHARS` characters.
    kind
        Optional place kind restriction (see :func:`places`).

    Returns
    -------
    pandas.Series
        The place row, with its id as ``.name``.

    Raises
    ------
    ValidationError
        If `name` is not a string, is too long, or is blank once folded (``""``, ``"---"``,
        ``"commune:"``).
    PlaceNotFoundError
        If nothing matches; the message lists the closest names.
    """
    text = _check_name(name)
    gdf = places(G)
    prefix, sep, rest = text.partition(":")
    if sep and (prefix in set(gdf["kind"]) or prefix == "park"):
        kind, text = prefix, rest
    gdf = places(G, kind=kind)
    key = normalize_name(text)
    if not key:
        msg = (
            f"the place name {name!r} is blank (no letter or digit); give a place name, "
            "e.g. 'Lens' or 'terril:Pinchonvalles'"
        )
        raise ValidationError(msg)
    rows = _name_index(G, places(G)).get(key)
    exact = gdf.iloc[:0] if rows is None else _of_kind(places(G).iloc[rows], kind)
    if exact.empty:
        exact = _partial_match(gdf, key)
    if exact.empty:
        close = _close_keys(key, list(dict.fromkeys(gdf["key"])))
        names = [gdf.loc[gdf["key"] == c, "name"].iloc[0] for c in close]
        hint = f" Did you mean: {', '.join(repr(n) for n in names)}?" if names else ""
        msg = f"no place named {name!r}{f' of kind {kind!r}' if kind else ''}.{hint}"
        raise PlaceNotFoundError(msg, name=name, suggestions=tuple(names))
    order = exact["kind"].map(_KIND_ORDER).fillna(len(_KIND_ORDER))
    ranked = exact.assign(_o=order, _a=-exact["area_ha"]).sort_values(["_o", "_a"])
    return ranked.drop(columns=["_o", "_a"]).iloc[0]


def _of_kind(gdf: gpd.GeoDataFrame, kind: str | None) -> gpd.GeoDataFrame:
    """The rows of `gdf` of `kind` (as :func:`places` selects them)."""
    if kind is None:
        return gdf
    if kind == "park":
        return gdf[gdf["kind"].isin(list(PARK_KINDS))]
    return gdf[gdf["kind"] == kind]


def _name_index(G: nx.MultiDiGraph, gdf: gpd.GeoDataFrame) -> dict[str, list[int]]:
    """Folded name, lower-case ``ref`` and folded other names -> row positions of `gdf`.

    Built once per places table and cached on `G`; rebuilt when the table is replaced or
    its ``key``, ``ref`` or ``alt_name`` columns change (a cheap fingerprint is compared),
    so a lookup among 17k places costs a dict access instead of folding every name.
    """
    columns = [gdf[c].tolist() for c in ("key", "ref", "alt_name")]
    fingerprint = hash(tuple(tuple(c) for c in columns))
    store = _graph.cache(G)
    cached = store.get("places_name_index")
    if cached is not None and cached[0] is gdf and cached[1] == fingerprint:
        return cached[2]  # type: ignore[no-any-return]
    index: dict[str, list[int]] = {}
    for pos, (key, ref, alt) in enumerate(zip(*columns, strict=True)):
        for k in {key, ref.lower() if isinstance(ref, str) else "", *_alt_keys(alt)}:
            if k and isinstance(k, str):
                index.setdefault(k, []).append(pos)
    store["places_name_index"] = (gdf, fingerprint, index)
    return index


def _alt_keys(alt: Any) -> set[str]:  # noqa: ANN401
    """The folded other names of a place (``alt_name`` is ``;``-separated)."""
    return {normalize_name(a) for a in str(alt or "").split(";") if a.strip()}


def _partial_match(gdf: gpd.GeoDataFrame, key: str) -> gpd.GeoDataFrame:
    """Places whose folded name contains `key` as a word start, else anywhere, if unique."""
    for pattern in (rf"(?:^|\s){re.escape(key)}", re.escape(key)):
        hits = gdf[gdf["key"].str.contains(pattern, regex=True)]
        if len(hits) == 1 or (len(hits) > 1 and hits["key"].nunique() == 1):
            return hits
    return gdf.iloc[:0]
