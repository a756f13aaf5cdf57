"""The legend, :func:`explore` (everything in one call) and :func:`save_map`."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from parcs._atomic import write_text
from parcs._log import logger
from parcs.errors import ValidationError
from parcs.maps._common import (
    DEFAULT_SIMPLIFY_M,
    KIND_COLORS,
    KIND_LABELS,
    OTHER_COLOR,
    PLACE_COLORS,
    PLACE_LABELS,
    ROUTE_COLORS,
    check_simplify,
    esc,
    fit_bounds,
    folium_module,
    legend_entries,
    text,
)
from parcs.maps._network import add_network
from parcs.maps._page import ensure_assets, new_map, raw, root, script
from parcs.maps._places import add_basemap, add_places
from parcs.maps._results import add_isochrone, add_junctions, add_missing_links, add_route
from parcs.network.places import SETTLEMENT_KINDS

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping
    from pathlib import Path

    import folium
    import geopandas as gpd
    import networkx as nx


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a map is built (restored after).

    Drawing a large graph allocates many small objects while the graph itself holds
    millions: each automatic full collection then walks them all (about 3 s per map of a
    100k-node graph, benchmarks/bench_maps.py). Reference counting still frees memory.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _swatch(style: str, color: Any) -> str:  # noqa: ANN401
    if style == "ramp":
        stops = ",".join(esc(c) for c in color)
        return f'<span class="ramp" style="background:linear-gradient(to right,{stops})"></span>'
    c = esc(color)
    if style == "area":
        return f'<span class="area" style="background:{c}"></span>'
    if style == "outline":
        return '<span class="outline"></span>'
    if style == "dot":
        return f'<span class="dot" style="border-color:{c}"></span>'
    line = {"dashed": "dashed", "dotted": "dotted"}.get(style, "solid")
    return f'<span style="border-top-color:{c};border-top-style:{line}"></span>'


def _entries(
    m: folium.Map, kinds: Iterable[str] | None, places: Iterable[str], extra: Mapping[str, str]
) -> dict[str, tuple[str, Any]]:
    """Legend entries: the recorded ones, with `kinds` replacing the network's if given."""
    entries = legend_entries(m)
    if kinds is not None:
        drawn = {KIND_LABELS.get(k, k) for k in getattr(m, "_parcs_kinds", [])}
        entries = {k: v for k, v in entries.items() if k not in drawn}
        chosen = {
            KIND_LABELS.get(k, k): (
                "dashed" if k == "connector" else "line",
                KIND_COLORS.get(k, OTHER_COLOR),
            )
            for k in kinds
        }
        entries = {**chosen, **entries}
    elif not entries:
        entries = {
            KIND_LABELS[k]: ("dashed" if k == "connector" else "line", c)
            for k, c in KIND_COLORS.items()
        }
    for kind in places:
        entries.setdefault(
            PLACE_LABELS.get(kind, kind), ("area", PLACE_COLORS.get(kind, OTHER_COLOR))
        )
    for label, color in extra.items():
        entries[label] = ("line", color)
    return entries


def add_legend(
    m: folium.Map,
    *,
    kinds: Iterable[str] | None = None,
    places: Iterable[str] = (),
    extra: Mapping[str, str] | None = None,
    title: str = "Chaîne des parcs",
) -> folium.Map:
    """Add a small fixed legend (HTML) with an entry for every layer drawn on `m`.

    The layer functions record their entries (network kinds, places, routes, points-nœuds,
    missing links, isochrones, base map); call this last. Every text is escaped.

    Parameters
    ----------
    m
        The map to draw on.
    kinds
        Edge kinds to list instead of those :func:`add_network` drew (default: those drawn,
        or every kind on a map with no recorded layer).
    places
        More place kinds to list as filled squares.
    extra
        More ``{label: css colour}`` line entries.
    title
        Legend title.

    Returns
    -------
    folium.Map
        `m`, for chaining.
    """
    rows = [f"<summary>{esc(title)}</summary>"]
    for label, (style, color) in _entries(m, kinds, places, extra or {}).items():
        rows.append(f'<div title="{esc(label)}">{_swatch(style, color)}{esc(label)}</div>')
    ensure_assets(m)
    legend = raw(f'<details class="parcs-legend" open>{"".join(rows)}</details>')
    root(m).html.add_child(legend, name="parcs_legend")
    return m


def _titles(G: nx.MultiDiGraph) -> tuple[str, str]:
    """Page title and legend title of a map of `G`."""
    name = text(G.graph.get("name", ""))[:80]
    legend = "Chaîne des parcs" if G.graph.get("source") == "embedded" else (name or "Network")
    return (f"parcs map: {name}" if name else "parcs map"), legend


def _routes(routes: Any) -> tuple[Any, ...]:  # noqa: ANN401
    if routes is None:
        return ()
    if hasattr(routes, "geometry_wgs84") or hasattr(routes, "length_m"):
        return (routes,)  # a single route
    return tuple(routes)


def explore(
    G: nx.MultiDiGraph,
    *,
    routes: Any = (),  # noqa: ANN401
    junctions: Any = None,  # noqa: ANN401
    links: gpd.GeoDataFrame | None = None,
    places: bool = True,
    communes: bool = False,
    isochrone: Any = None,  # noqa: ANN401
    tiles: Any = "OpenStreetMap",  # noqa: ANN401
    simplify_m: float = DEFAULT_SIMPLIFY_M,
    fit: str = "auto",
    basemap: bool | None = None,
) -> folium.Map:
    """Draw the network and any results on an interactive folium map.

    Parameters
    ----------
    G
        A parcs network (``docs/graph-format.md``).
    routes
        A :class:`parcs.Route` or a sequence of them.
    junctions
        A :class:`parcs.JunctionNetwork` (from :func:`parcs.points_noeuds`), drawn as numbered
        markers with their links.
    links
        The ranked missing links of :func:`parcs.missing_links`.
    places
        Draw terrils and parks (needs places on `G`).
    communes
        Also draw the settlements as a layer with popups (name, population, area), hidden at
        start (toggle it in the layer control).
    isochrone
        The result of :func:`parcs.isochrone`.
    tiles
        {"OpenStreetMap", "CyclOSM", "OpenTopoMap", ...} (any folium / xyzservices name), a
        tile URL template with ``{z}/{x}/{y}``, a folium TileLayer, or None for no background
        (the vector layers still render offline).
    simplify_m
        Display simplification tolerance in metres (default :data:`DEFAULT_SIMPLIFY_M`).
    fit
        {"auto", "all", "routes"}: the initial view. ``"all"`` fits every layer,
        ``"routes"`` the routes, ``"auto"`` the routes when there are some, else everything.
    basemap
        Draw the light base map of :func:`add_basemap` (settlement outlines and names);
        default: when there are no tiles.

    Returns
    -------
    folium.Map
        The map, fitted to its content, with a layer control and a legend.

    Raises
    ------
    ValidationError
        If `G` breaks the graph contract, `simplify_m` is negative, `fit` is unknown or
        `tiles` is unknown to folium.

    See Also
    --------
    save_map : write the map to an HTML file atomically.

    Examples
    --------
    >>> import parcs
    >>> G = parcs.load_network()  # doctest: +SKIP
    >>> m = parcs.maps.explore(G, tiles=None)  # doctest: +SKIP
    >>> parcs.maps.save_map(m, "network.html")  # doctest: +SKIP
    """
    folium = folium_module()
    tol = check_simplify(simplify_m)
    if fit not in {"auto", "all", "routes"}:
        msg = f'`fit` must be one of "auto", "all", "routes", got {fit!r}'
        raise ValidationError(msg)
    page_title, legend_title = _titles(G)
    m = new_map(tiles, title=page_title)
    with gc_paused():
        if basemap if basemap is not None else getattr(m, "_parcs_tiles", None) is None:
            add_basemap(m, G)
        if places:
            add_places(m, G, simplify_m=tol)
        if communes:
            add_places(m, G, kinds=sorted(SETTLEMENT_KINDS), simplify_m=tol, show=False)
        add_network(m, G, simplify_m=tol)
        if isochrone is not None:
            add_isochrone(m, isochrone, simplify_m=tol)
        if links is not None:
            add_missing_links(m, links)
        if junctions is not None:
            add_junctions(m, junctions, simplify_m=tol)
        for i, route in enumerate(_routes(routes)):
            add_route(m, route, color=ROUTE_COLORS[i % len(ROUTE_COLORS)])
    add_legend(m, title=legend_title)
    folium.LayerControl(collapsed=True).add_to(m)
    has_routes = getattr(m, "_parcs_route_bounds", None) is not None
    box = fit_bounds(
        m, attr="_parcs_route_bounds" if fit != "all" and has_routes else "_parcs_bounds"
    )
    if box is not None:
        m.add_child(script("parcs.fit({map}, {data});", box))  # clears the legend
    return m


def save_map(m_or_G: Any, path: str | Path, **kw: Any) -> Path:  # noqa: ANN401
    """Write a map to `path` as a self-contained HTML page, atomically.

    Parameters
    ----------
    m_or_G
        A :class:`folium.Map`, or a parcs network, in which case ``explore(m_or_G, **kw)``
        is drawn first.
    path
        Output ``.html`` file.
    **kw
        Keyword arguments for :func:`explore` (only when `m_or_G` is a network).

    Returns
    -------
    Path
        The written path.

    Raises
    ------
    ValidationError
        If keyword arguments are given with a map, or `m_or_G` is neither a map nor a graph.
    """
    folium = folium_module()
    if isinstance(m_or_G, folium.Map):
        if kw:
            msg = f"keyword arguments {sorted(kw)} apply only when `m_or_G` is a network"
            raise ValidationError(msg)
        m = m_or_G
    elif hasattr(m_or_G, "graph") and hasattr(m_or_G, "edges"):
        m = explore(m_or_G, **kw)
    else:
        msg = f"`m_or_G` must be a folium.Map or a parcs network, got {type(m_or_G).__name__}"
        raise ValidationError(msg)
    with gc_paused():
        page = m.get_root().render()
    out = write_text(path, page)
    logger.info("save_map: wrote %s (%.1f kB)", out, len(page.encode("utf-8")) / 1000)
    return out
