"""The page around the layers: offline Leaflet, parcs CSS/JS, safe popups, credits, title.

folium's default page loads Leaflet, jQuery, Bootstrap and Font Awesome from CDNs; parcs layers
need only Leaflet (inlined here from ``parcs/_static``, BSD-2) and the small ``parcs.js``, so a
map opens with no network at all (tiles aside).

folium writes popup and tooltip strings into JavaScript template literals (where ``${...}``
runs) and its GeoJSON tooltips into ``innerHTML``; parcs therefore binds its own popups and
tooltips (:func:`bind_popup`, :func:`bind_tooltip`, :func:`detail`), with the content as a JSON
string built from escaped HTML or as DOM text.

branca (under folium) compiles the script of every element it renders as a **Jinja template**:
a name like ``{{ cycler.__init__.__globals__.os.system(...) }}`` in a folium GeoJSON property
runs Python code when the map is saved. Every element parcs writes with data in it is therefore
a raw element (:func:`raw`, :func:`script`, :func:`js_layer`) that branca inserts as text, never
as a template; the strings parcs hands to folium itself (layer names, marker icons) go through
:func:`~parcs.maps._common.esc`, which also encodes ``{`` and ``}``.
"""

from __future__ import annotations

import base64
import re
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from parcs.errors import ValidationError
from parcs.maps._common import esc, folium_module, js_json

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import folium

#: folium's Popup builds its HTML with jQuery's ``$(`<div>...</div>`)[0]``; jQuery itself is
#: not embedded, so this shim turns an HTML string into its first element (only if no jQuery),
#: for folium popups a user adds to a parcs map.
_JQUERY_SHIM = """window.$=window.$||function(h){var t=document.createElement('template');
t.innerHTML=String(h).trim();return [t.content.firstElementChild];};"""

#: Credits of the data parcs draws (Leaflet's attribution control shows them).
_OSM_LINK = '<a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'
OSM_CREDIT = f"Data &copy; {_OSM_LINK} contributors (ODbL)"
ARTOIS_CREDIT = "Mission Bassin Minier, IGN, INSEE, Etalab (Licence Ouverte)"
EV5_CREDIT = f"EuroVelo 5 &copy; {_OSM_LINK} contributors"
COMMUNES_CREDIT = "Communes: IGN, INSEE, Etalab (Licence Ouverte)"


def root(m: folium.Map) -> Any:  # noqa: ANN401
    """Return the branca Figure holding `m` (typed loosely: branca's stubs say Element)."""
    return m.get_root()


@cache
def static_text(name: str) -> str:
    """Return the text of a file of ``parcs/_static``."""
    return (resources.files("parcs") / "_static" / name).read_text(encoding="utf-8")


@cache
def _leaflet_css() -> str:
    css = static_text("leaflet.css")

    def data_uri(match: re.Match[str]) -> str:
        data = (resources.files("parcs") / "_static" / "images" / match.group(1)).read_bytes()
        return f"url(data:image/png;base64,{base64.b64encode(data).decode('ascii')})"

    return re.sub(r"url\(images/([\w.-]+\.png)\)", data_uri, css)


def raw(content: str) -> Any:  # noqa: ANN401
    """Return a branca element rendering as `content`, verbatim (never as a template)."""
    return _raw_class()(content)


@cache
def _raw_class() -> type:
    from branca.element import Element  # noqa: PLC0415

    class ParcsRaw(Element):
        def __init__(self, content: str) -> None:
            super().__init__()
            self._name = "ParcsRaw"
            self._content = content

        def render(self, **_kwargs: Any) -> str:  # noqa: ANN401
            return self._content

    return ParcsRaw


def ensure_assets(m: folium.Map) -> None:
    """Add the parcs CSS and JavaScript helpers to the page (once)."""
    header = root(m).header
    if "parcs_css" not in header._children:
        header.add_child(raw(f"<style>{static_text('parcs.css')}</style>"), name="parcs_css")
    if "parcs_js" not in header._children:
        header.add_child(raw(f"<script>{static_text('parcs.js')}</script>"), name="parcs_js")


def make_offline(m: folium.Map) -> None:
    """Inline Leaflet's JS/CSS in the page and drop the CDN links folium adds by default."""
    if getattr(m, "_parcs_offline", False):
        return
    m.default_js = []
    m.default_css = []
    header = root(m).header
    header.add_child(raw(f"<style>{_leaflet_css()}</style>"), name="parcs_leaflet_css")
    # Leaflet must be defined before the map script, which folium puts at the end of <body>
    header.add_child(
        raw(f"<script>{static_text('leaflet.js')}\n{_JQUERY_SHIM}</script>"),
        name="parcs_leaflet_js",
    )
    m._parcs_offline = True  # type: ignore[attr-defined]


def new_map(tiles: Any, *, title: str | None = None) -> folium.Map:  # noqa: ANN401
    """Return a folium map with Leaflet inlined, the parcs assets and `tiles` (or none)."""
    fol = folium_module()
    if isinstance(tiles, str) and tiles.lower() == "none":
        tiles = None
    extra: dict[str, Any] = {}
    if isinstance(tiles, str) and "{z}" in tiles:
        extra["attr"] = "Map tiles: see the tile provider"  # folium requires an attribution
    try:
        m: folium.Map = fol.Map(
            location=[50.45, 2.75],
            zoom_start=11,
            tiles=tiles,
            control_scale=True,
            zoom_snap=0.25,
            **extra,
        )
    except ValueError as err:
        msg = (
            f"`tiles` {tiles!r} is not a tile provider folium knows ({err}); use "
            '"OpenStreetMap", "CyclOSM", "OpenTopoMap", None, or a URL template with {z}/{x}/{y}'
        )
        raise ValidationError(msg) from err
    make_offline(m)
    ensure_assets(m)
    if tiles is None:
        m.add_child(script("{map}.getContainer().classList.add('parcs-notiles');"))
    if title:
        root(m).title = esc(title)
    m._parcs_tiles = tiles  # type: ignore[attr-defined]
    return m


# --------------------------------------------------------------------------------------------
# small script elements
# --------------------------------------------------------------------------------------------
def script(code: str, data: Any = None) -> Any:  # noqa: ANN401
    """Return an element running `code` after its parent exists.

    In `code` (written by parcs), ``{map}`` and ``{parent}`` name the map and the parent
    element, and ``{data}`` is replaced, last, by :func:`js_json` of `data`.
    """
    return _script_class()(code, data)


@cache
def _script_class() -> type:
    from branca.element import Element, Figure, MacroElement  # noqa: PLC0415

    folium = folium_module()

    class ParcsScript(MacroElement):
        def __init__(self, code: str, data: Any) -> None:  # noqa: ANN401
            super().__init__()  # type: ignore[no-untyped-call]  # branca leaves it unannotated
            self._name = "ParcsScript"
            self._code = code
            self._data = data

        def code(self) -> str:
            parent = self._parent
            assert parent is not None, "a parcs script renders inside its parent element"
            owner: Element | None = parent
            while owner is not None and not isinstance(owner, folium.Map):
                owner = getattr(owner, "_parent", None)
            map_name = (owner or parent).get_name()
            code = self._code.replace("{map}", map_name).replace("{parent}", parent.get_name())
            return code.replace("{data}", js_json(self._data))

        # branca types Element.render -> str, but MacroElement.render (overridden) returns None
        def render(self, **_kwargs: Any) -> None:  # type: ignore[override]  # noqa: ANN401
            figure = self.get_root()
            assert isinstance(figure, Figure), "a parcs script renders inside a Figure"
            figure.script.add_child(raw(self.code()), name=self.get_name())

    return ParcsScript


def bind_popup(layer: Any, content_html: str, *, max_width: int = 320) -> None:  # noqa: ANN401
    """Bind a popup to a folium object; `content_html` must be built with escaped values."""
    code = "{parent}.bindPopup({data}, {maxWidth: %d});" % int(max_width)  # noqa: UP031
    layer.add_child(script(code, content_html))


def bind_tooltip(layer: Any, content_html: str, *, sticky: bool = False) -> None:  # noqa: ANN401
    """Bind a tooltip to a folium object; `content_html` must be built with escaped values."""
    code = "{parent}.bindTooltip({data}, {sticky: %s});" % ("true" if sticky else "false")
    layer.add_child(script(code, content_html))


def geojson_layer(
    data: dict[str, Any],
    *,
    name: str,
    show: bool = True,
    style: Mapping[str, Any] | None = None,
    color_from: str | None = None,
    fill: bool = False,
    detail: tuple[Sequence[str], Sequence[str], str] | None = None,
) -> Any:  # noqa: ANN401
    """Return a GeoJSON layer drawn by ``parcs.geojson``, written raw (module docstring).

    Parameters
    ----------
    data
        A GeoJSON FeatureCollection.
    name
        Layer-control name (any text: it is escaped here).
    show
        Whether the layer is visible when the page opens.
    style
        Leaflet path options of every feature.
    color_from
        A property holding each feature's colour (also its fill colour with `fill`).
    fill
        Use the `color_from` colour as the fill colour too.
    detail
        ``(fields, labels, "tooltip" | "popup")``: a property table shown as text.
    """
    spec: dict[str, Any] = {"data": data, "style": dict(style or {})}
    if color_from:
        spec.update(colorFrom=color_from, fill=fill)
    if detail is not None:
        fields, labels, how = detail
        spec["detail"] = {
            "fields": list(fields),
            "aliases": list(labels),
            "how": how,
            "options": {},
        }
    return js_layer("geojson", spec, name=esc(name), show=show)


def add_credit(m: folium.Map, credit_html: str) -> None:
    """Add a (constant, parcs-written) credit to the map's attribution control, once."""
    done: set[str] = getattr(m, "_parcs_credits", set())
    if credit_html in done:
        return
    m._parcs_credits = done | {credit_html}  # type: ignore[attr-defined]
    code = "if ({map}.attributionControl) { {map}.attributionControl.addAttribution({data}); }"
    m.add_child(script(code, credit_html))


def js_layer(
    factory: str,
    data: Any,  # noqa: ANN401
    *,
    name: str,
    show: bool = True,
    with_map: bool = False,
) -> Any:  # noqa: ANN401
    """Return a layer-control layer made by ``parcs.<factory>([map,] data)`` in the page.

    `data` is written with :func:`js_json`; `name` must already be escaped (``layer_name``).
    """
    return _layer_class()(factory, data, name=name, show=show, with_map=with_map)


@cache
def _layer_class() -> type:
    from branca.element import Figure  # noqa: PLC0415
    from folium.map import Layer  # noqa: PLC0415
    from jinja2 import Template  # noqa: PLC0415

    class ParcsLayer(Layer):
        _template = Template("")  # the script is added raw by render()

        def __init__(
            self,
            factory: str,
            data: Any,  # noqa: ANN401
            *,
            name: str,
            show: bool,
            with_map: bool,
        ) -> None:
            super().__init__(name=name, overlay=True, control=True, show=show)
            self._name = "ParcsLayer"
            self.factory = factory
            self.data = data
            self.with_map = with_map

        # branca types Element.render -> str, but MacroElement.render (overridden) returns None
        def render(self, **kwargs: Any) -> None:  # type: ignore[override]  # noqa: ANN401
            data = js_json(self.data)
            parent = self._parent
            assert parent is not None, "a parcs layer renders inside its map"
            args = f"{parent.get_name()}, {data}" if self.with_map else data
            code = f"var {self.get_name()} = parcs.{self.factory}({args});"
            figure = self.get_root()
            assert isinstance(figure, Figure), "a parcs layer renders inside a Figure"
            figure.script.add_child(raw(code), name=self.get_name())
            # folium's Layer: ``addTo(map)`` when shown (unannotated in folium)
            super().render(**kwargs)  # type: ignore[no-untyped-call]

    return ParcsLayer
