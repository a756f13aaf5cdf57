"""The rider's handout: one printable A4 page for a ride on a junction network, plus its GPX.

:func:`write_handout` (``net.handout``) draws, with matplotlib (no pyplot, no global state):

* the title and the total distance (and time for the route's profile);
* the **strip of numbers**: every junction met, in order, with the distance from the
  previous one, in boxes a rider can follow sign by sign;
* a **map** of the ride over the junction network: the links in grey, the ride in red, the
  junction numbers in circles (the ride's in red, the others in grey);
* the **km by kind** of way ridden.

Next to the PDF the GPX file holds the ride as a track and every junction met as a
waypoint named by its number (in riding order, so a GPS shows the strip). Both files are
written atomically. Text from the data (numbers, names) is drawn as plain text: matplotlib's
math parser is off, so nothing in a name is interpreted.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from parcs._atomic import atomic_path, write_text
from parcs.errors import ValidationError
from parcs.junctions.planning import StripStop, strip_stops

if TYPE_CHECKING:
    import os
    from collections.abc import Sequence

    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from parcs.junctions.network import JunctionNetwork
    from parcs.routing import Route

__all__ = ["A4_INCHES", "handout_gpx", "write_handout"]

#: A4 portrait, in inches (210 × 297 mm).
A4_INCHES = (8.27, 11.69)
_RED = "#c0392b"
_GREY = "#9a9a9a"
_STRIP_PER_ROW = 8
_TEXT: dict[str, Any] = {"parse_math": False}


def write_handout(
    net: JunctionNetwork,
    route: Route,
    path: str | os.PathLike[str],
    *,
    title: str | None = None,
) -> list[Path]:
    """Write the handout PDF at `path` and the GPX beside it (module docstring).

    Parameters
    ----------
    net
        The junction network.
    route
        A route of the network: from :meth:`JunctionNetwork.plan`, :meth:`~JunctionNetwork.loop`
        or :func:`parcs.route` on the graph.
    path
        The PDF file (``.pdf``); the GPX is written to the same name ending in ``.gpx``.
    title
        The page title (default: the route's origin and destination).

    Returns
    -------
    list of Path
        ``[pdf, gpx]``.

    Raises
    ------
    ValidationError
        If `path` does not end in ``.pdf`` or `route` is not a route.
    """
    pdf = Path(path)
    if pdf.suffix.lower() != ".pdf":
        msg = f"the handout `path` must end in .pdf, got {str(path)!r}"
        raise ValidationError(msg)
    if not hasattr(route, "nodes") or not hasattr(route, "geometry"):
        msg = (
            "`route` must be a parcs Route (net.plan, net.loop, parcs.route), got "
            f"{type(route).__name__}"
        )
        raise ValidationError(msg)
    stops = strip_stops(net, route)
    fig = _figure(net, route, stops, title)
    with atomic_path(pdf) as tmp:
        fig.savefig(tmp, format="pdf")
    gpx = write_text(pdf.with_suffix(".gpx"), handout_gpx(net, route, stops, title=title))
    return [pdf, Path(gpx)]


def handout_gpx(
    net: JunctionNetwork, route: Route, stops: Sequence[StripStop], *, title: str | None = None
) -> str:
    """GPX 1.1: the ride as a track, the junctions met as waypoints in riding order."""
    import gpxpy.gpx  # noqa: PLC0415
    from pyproj import Transformer  # noqa: PLC0415

    from parcs.io.export import GPX_DECIMALS  # noqa: PLC0415

    gpx = gpxpy.gpx.GPX()
    gpx.creator = "parcs"
    gpx.name = _title(route, stops, title)
    track = gpxpy.gpx.GPXTrack(name=gpx.name)
    seg = gpxpy.gpx.GPXTrackSegment()
    last = None
    for lon, lat, *_ in route.geometry_wgs84.coords:
        pt = (round(lat, GPX_DECIMALS), round(lon, GPX_DECIMALS))
        if pt != last:
            seg.points.append(gpxpy.gpx.GPXTrackPoint(latitude=pt[0], longitude=pt[1]))
            last = pt
    track.segments.append(seg)
    gpx.tracks.append(track)
    j = net.junctions
    to_wgs = Transformer.from_crs(j.crs, 4326, always_xy=True)
    run = 0.0
    for stop in stops:
        run += stop.from_previous_m
        p = j.geometry.loc[stop.node]
        lon, lat = to_wgs.transform(p.x, p.y)
        gpx.waypoints.append(
            gpxpy.gpx.GPXWaypoint(
                latitude=round(lat, GPX_DECIMALS),
                longitude=round(lon, GPX_DECIMALS),
                name=stop.ref,
                description=f"{run / 1000:.1f} km",
            )
        )
    return str(gpx.to_xml(version="1.1"))


def _title(route: Route, stops: Sequence[StripStop], title: str | None) -> str:
    if title:
        return str(title)
    if len(stops) > 1 and stops[0].node == stops[-1].node:
        return f"Loop from junction {stops[0].ref}"
    if stops:
        return f"From junction {stops[0].ref} to junction {stops[-1].ref}"
    return f"{route.orig_label} → {route.dest_label}"


def _figure(
    net: JunctionNetwork, route: Route, stops: Sequence[StripStop], title: str | None
) -> Figure:
    from matplotlib.figure import Figure  # noqa: PLC0415

    fig = Figure(figsize=A4_INCHES)
    fig.text(0.06, 0.965, _title(route, stops, title), fontsize=17, weight="bold", **_TEXT)
    mins = route.duration_s / 60
    fig.text(
        0.06,
        0.94,
        f"{route.length_m / 1000:.1f} km in all · about {mins:.0f} min ({route.profile}) · "
        f"{len(stops)} junctions: follow the numbers",
        fontsize=10,
        **_TEXT,
    )
    rows = max(1, math.ceil(len(stops) / _STRIP_PER_ROW))
    strip_h = min(0.26, 0.055 * rows + 0.02)
    _strip(fig.add_axes((0.04, 0.92 - strip_h, 0.92, strip_h)), stops)
    map_top = 0.9 - strip_h
    _map(fig.add_axes((0.06, 0.17, 0.88, map_top - 0.19)), net, route, stops)
    _kinds(fig.add_axes((0.06, 0.04, 0.5, 0.09)), route)
    source = net.graph.graph.get("source", "") if net.graph is not None else ""
    credit = "made with parcs" + (" · data © OpenStreetMap contributors" if source == "osm" else "")
    fig.text(0.94, 0.015, credit, fontsize=7, ha="right", color=_GREY, **_TEXT)
    return fig


def _strip(ax: Axes, stops: Sequence[StripStop]) -> None:
    """Numbers in circles, left to right and row by row, with the km between them."""
    ax.set_axis_off()
    if not stops:
        ax.text(0.5, 0.5, "no junction on this route", ha="center", va="center", **_TEXT)
        return
    rows = math.ceil(len(stops) / _STRIP_PER_ROW)
    ax.set_xlim(-0.6, _STRIP_PER_ROW - 0.4)
    ax.set_ylim(-rows + 0.4, 0.6)
    run = 0.0
    for k, stop in enumerate(stops):
        run += stop.from_previous_m
        x, y = k % _STRIP_PER_ROW, -(k // _STRIP_PER_ROW)
        ax.scatter([x], [y], s=700, facecolor="white", edgecolor=_RED, linewidth=2, zorder=3)
        ax.text(
            x, y, stop.ref, ha="center", va="center", fontsize=11, weight="bold", zorder=4, **_TEXT
        )
        ax.text(
            x,
            y - 0.38,
            f"{run / 1000:.1f} km",
            ha="center",
            va="top",
            fontsize=7,
            color="#555",
            **_TEXT,
        )
        if k + 1 < len(stops):
            nxt = stops[k + 1]
            same_row = (k + 1) % _STRIP_PER_ROW != 0
            tx = x + 0.5 if same_row else x + 0.35
            ax.text(
                tx,
                y + 0.3,
                f"{nxt.from_previous_m / 1000:.1f}",
                ha="center",
                fontsize=7,
                color=_RED,
                **_TEXT,
            )
            if same_row:
                ax.annotate(
                    "", (x + 0.7, y), (x + 0.3, y), arrowprops={"arrowstyle": "->", "color": _RED}
                )


def _map(ax: Axes, net: JunctionNetwork, route: Route, stops: Sequence[StripStop]) -> None:
    """The ride over the links around it, with the junction numbers."""
    gx, gy = np.asarray(route.geometry.coords).T[:2]
    x0, x1, y0, y1 = float(gx.min()), float(gx.max()), float(gy.min()), float(gy.max())
    pad = max(x1 - x0, y1 - y0, 500.0) * 0.12
    x0, x1, y0, y1 = x0 - pad, x1 + pad, y0 - pad, y1 + pad
    for line in net.links.geometry:
        lx, ly = np.asarray(line.coords).T[:2]
        if lx.max() >= x0 and lx.min() <= x1 and ly.max() >= y0 and ly.min() <= y1:
            ax.plot(lx, ly, color="#cfcfcf", linewidth=1.2, zorder=1)
    ax.plot(gx, gy, color=_RED, linewidth=2.6, zorder=2, solid_capstyle="round")
    j = net.junctions
    on_route = {s.node for s in stops}
    jx, jy = j.geometry.x.to_numpy(), j.geometry.y.to_numpy()
    inside = (jx >= x0) & (jx <= x1) & (jy >= y0) & (jy <= y1)
    for node, x, y, ref in zip(
        j.index[inside], jx[inside], jy[inside], j["ref"][inside], strict=True
    ):
        ride = node in on_route
        ax.scatter(
            [x],
            [y],
            s=260 if ride else 120,
            facecolor="white",
            edgecolor=_RED if ride else _GREY,
            linewidth=1.6 if ride else 0.8,
            zorder=3,
        )
        ax.text(
            x,
            y,
            str(ref),
            ha="center",
            va="center",
            fontsize=8 if ride else 6,
            weight="bold" if ride else "normal",
            color="black" if ride else _GREY,
            zorder=4,
            **_TEXT,
        )
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    _scale_bar(ax, x0, x1, y0, y1)


def _scale_bar(ax: Axes, x0: float, x1: float, y0: float, y1: float) -> None:
    span = (x1 - x0) / 4
    km = max(0.1, float(10 ** math.floor(math.log10(span / 1000))))
    for step in (5, 2, 1):
        if step * km * 1000 <= span:
            km *= step
            break
    bx, by = x0 + (x1 - x0) * 0.04, y0 + (y1 - y0) * 0.04
    ax.plot([bx, bx + km * 1000], [by, by], color="black", linewidth=3, zorder=5)
    ax.text(bx, by + (y1 - y0) * 0.015, f"{km:g} km", fontsize=8, zorder=5, **_TEXT)


def _kinds(ax: Axes, route: Route) -> None:
    """Km by kind of way, as one stacked bar with labels."""
    ax.set_axis_off()
    items = sorted(route.km_by_kind.items(), key=lambda kv: -kv[1])
    total = sum(v for _k, v in items) or 1.0
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.text(0, 0.95, "km by kind of way", fontsize=9, weight="bold", va="top", **_TEXT)
    left = 0.0
    colours = ("#2e86c1", "#28b463", "#f39c12", "#8e44ad", "#7f8c8d", "#d35400", "#16a085")
    for k, (kind, km) in enumerate(items):
        share = km / total
        ax.barh([0.45], [share], left=[left], height=0.3, color=colours[k % len(colours)])
        if share > 0.08:  # noqa: PLR2004
            ax.text(
                left + share / 2,
                0.45,
                f"{kind} {km:.1f}",
                ha="center",
                va="center",
                fontsize=7,
                color="white",
                **_TEXT,
            )
        left += share
    text = ", ".join(f"{kind} {km:.1f} km" for kind, km in items)
    ax.text(0, 0.05, text, fontsize=7, va="bottom", **_TEXT)
