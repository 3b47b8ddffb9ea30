"""The decks the pages draw, assembled from :mod:`mineralmap.layers`: the occurrence map, the
region preview (with pickable candidates), the export-terminal scenario map, and the HTML of
the map legends.

Static context layers are passed in (the app builds and serialises them once per catalog, see
:mod:`mineralmap.ui.cache`); everything else is built here from frames.
"""

from __future__ import annotations

import html
from collections.abc import Collection, Mapping, Sequence

import pandas as pd
import pydeck as pdk
from shapely.geometry.base import BaseGeometry

from mineralmap import filters, layers, scenario
from mineralmap.details import md_escape
from mineralmap.layers import FrozenLayer, MapDeck
from mineralmap.picks import CANDIDATE_LAYER
from mineralmap.viewport import SCENARIO_VIEW

#: A layer the decks accept: a pydeck layer or a static layer serialised once.
AnyLayer = pdk.Layer | FrozenLayer

#: Route / terminal colours (Okabe-Ito, colour-blind safe) by terminal id; none equals the
#: Sb (vermillion) or REE (blue) marker colour.
TERMINAL_COLORS: dict[str, list[int]] = {
    "karachi": [86, 180, 233, 230],
    "port_qasim": [230, 159, 0, 230],
    "gwadar": [0, 158, 115, 230],
    scenario.CANDIDATE_ID: [204, 121, 167, 240],
}
OTHER_TERMINAL_COLOR: list[int] = [120, 120, 120, 230]
#: Context layers of the region preview map and of the scenario map.
REGION_CONTEXT: tuple[str, ...] = ("provinces", "districts", "ports")
SCENARIO_CONTEXT: tuple[str, ...] = ("provinces",)
_CANDIDATE_STYLE = {"fill": [255, 255, 255, 235], "line": [20, 20, 20, 220]}
_PX = "'pixels'"  # quoted: pydeck turns bare strings into expressions


def terminal_color(port_id: str) -> list[int]:
    """RGBA colour of a terminal's routes and marker."""
    return TERMINAL_COLORS.get(port_id, OTHER_TERMINAL_COLOR)


# --------------------------------------------------------------------------------------------
# occurrence map


def occurrence_deck(context: Sequence[AnyLayer], occ: pd.DataFrame,
                    extra: Sequence[AnyLayer | None] = (), view: Mapping[str, float] | None = None,
                    basemap: str = "light", under: Sequence[AnyLayer | None] = (),
                    occurrence: Sequence[AnyLayer] | None = None) -> MapDeck:
    """Context layers, ``under`` (e.g. the selected occurrence's route, which starts at its
    marker and must not catch the clicks meant for it), the occurrence layers of ``occ`` (or
    ``occurrence`` when given, e.g. layers drawing shared points from a file), then ``extra``
    (None entries dropped)."""
    occ_layers = layers.occurrence_layers(occ) if occurrence is None else list(occurrence)
    stack: list[AnyLayer] = [*context, *(lyr for lyr in under if lyr is not None), *occ_layers]
    stack += [lyr for lyr in extra if lyr is not None]
    return layers.make_deck(stack, view=view, basemap=basemap)


# --------------------------------------------------------------------------------------------
# region preview


def candidate_layer(cand: pd.DataFrame) -> pdk.Layer:
    """Small white dots (layer id :data:`~mineralmap.picks.CANDIDATE_LAYER`) carrying id and
    tooltip text: filtered occurrences outside the selection, pickable to add them."""
    lon = pd.to_numeric(cand["lon"], errors="coerce").round(5).tolist()
    lat = pd.to_numeric(cand["lat"], errors="coerce").round(5).tolist()
    tips = (cand["name"].astype(str) + " (" + cand["id"].astype(str)
            + ")\nnot selected: click it, then “Add to selection”").tolist()
    rows = [{"p": [x, y], "id": i, "t": t}
            for x, y, i, t in zip(lon, lat, cand["id"].astype(str), tips, strict=True)]
    return pdk.Layer("ScatterplotLayer", data=rows, id=CANDIDATE_LAYER, get_position="p",
                     get_fill_color=_CANDIDATE_STYLE["fill"],
                     get_line_color=_CANDIDATE_STYLE["line"], get_radius=3.5, radius_units=_PX,
                     line_width_units=_PX, get_line_width=1, stroked=True, filled=True,
                     pickable=True, auto_highlight=False)  # see layers._marker_layer


def region_deck(context: Sequence[AnyLayer], region: BaseGeometry | None, rows: pd.DataFrame,
                cand: pd.DataFrame, view: Mapping[str, float] | None) -> MapDeck:
    """Region outline, pickable candidates (when any), then the selected occurrences."""
    stack: list[AnyLayer] = [*context, layers.region_layer(region)]
    if len(cand):
        stack.append(candidate_layer(cand))
    stack += layers.occurrence_layers(rows)
    return layers.make_deck(stack, view=view, basemap="light")


# --------------------------------------------------------------------------------------------
# scenario map


def terminals_layer(terminals: pd.DataFrame) -> pdk.Layer:
    """Terminal markers (layer id ``"terminals"``) coloured like their routes.

    Parameters
    ----------
    terminals
        :attr:`mineralmap.scenario.ScenarioResult.terminals` (``port``, ``port_id``, ``lon``,
        ``lat``, ``candidate``).
    """
    data = [{"p": [r.lon, r.lat], "c": terminal_color(r.port_id),
             "t": f"{r.port}" + (" (candidate terminal)" if r.candidate else " (seaport)")}
            for r in terminals.itertuples(index=False)]
    return pdk.Layer(
        "ScatterplotLayer", data=data, id="terminals", get_position="p", get_fill_color="c",
        get_line_color=[20, 20, 20, 255], get_radius=9, radius_units=_PX, stroked=True,
        get_line_width=2, line_width_units=_PX, pickable=True,
    )


def scenario_deck(context: Sequence[AnyLayer], result: scenario.ScenarioResult,
                  drawn_routes: Sequence, occ: pd.DataFrame) -> MapDeck:
    """Provinces, routes coloured by destination, the routed occurrences, the terminals.

    Parameters
    ----------
    context
        Static context layers (the provinces).
    result
        The scenario.
    drawn_routes
        :func:`mineralmap.scenario.drawn_routes` of the scenario result.
    occ
        The filtered occurrences; only those in ``result.per_occurrence`` are drawn.
    """
    colors = {r.port: terminal_color(r.port_id) for r in result.terminals.itertuples(index=False)}
    routed = occ[filters.ids_in(occ["id"], result.per_occurrence["id"])]
    return layers.make_deck(
        [*context, layers.routes_layer(list(drawn_routes), colors),
         *layers.occurrence_layers(routed), terminals_layer(result.terminals)],
        view=SCENARIO_VIEW, basemap="none",
    )


# --------------------------------------------------------------------------------------------
# legends (HTML; every label escaped)


def _swatch(color: str, symbol: str) -> str:
    color = html.escape(color, quote=True)
    if symbol == "line":
        return (f"<span style='display:inline-block;width:18px;height:0;border-top:3px solid "
                f"{color};margin:0 4px 0 10px;vertical-align:middle'></span>")
    if symbol in ("filled", "filled-outlined", "dot"):
        return (f"<span style='display:inline-block;width:12px;height:12px;border-radius:6px;"
                f"background:{color};margin:0 4px 0 10px;vertical-align:middle'></span>")
    return (f"<span style='display:inline-block;width:10px;height:10px;border-radius:6px;"
            f"border:2px solid {color};margin:0 4px 0 10px;vertical-align:middle'></span>")


def legend_html(visible: Collection[str] = ()) -> str:
    """Colour and marker legend of the occurrence layer and of the visible context layers."""
    parts = [
        f"<span style='white-space:nowrap;display:inline-block'>"
        f"{_swatch(e['color'], e.get('symbol', ''))}{html.escape(e['label'])}</span>"
        for e in layers.legend_entries(tuple(visible))
    ]
    return "<div style='font-size:0.85em;line-height:1.6'>" + " ".join(parts) + "</div>"


def terminal_legend_html(terminals: pd.DataFrame) -> str:
    """``Routes to:`` and one colour bar per terminal, for Markdown with HTML allowed (names are
    escaped for both: a candidate's name is typed by the user)."""
    parts = []
    for r in terminals.itertuples(index=False):
        c = terminal_color(r.port_id)
        suffix = " (candidate)" if r.candidate and "candidate" not in str(r.port).lower() else ""
        parts.append(
            f"<span style='display:inline-block;width:22px;height:4px;background:rgb({int(c[0])},"
            f"{int(c[1])},{int(c[2])});margin:0 5px 3px 12px;vertical-align:middle'></span>"
            f"{md_escape(html.escape(str(r.port)))}{suffix}"
        )
    return "Routes to: " + "".join(parts)


#: Legend entries of the occurrence markers shown in one line each by :func:`compact_legend_html`.
_LEGEND_GROUPS: tuple[tuple[str, str], ...] = (("commodity", "Commodity"),
                                                ("precision", "Location"),
                                                ("context", "Layers"))
_SHORT_LABELS = {
    "Antimony (Sb)": "Sb", "Rare-earth elements (REE)": "REE", "Other commodity": "other",
    "Uncertainty circle (radius = location precision)": "uncertainty circle",
}


def _compact_swatch(color: str, symbol: str, stroke: str) -> str:
    """A 14 px inline SVG drawing the symbol: lines as lines, rings as rings, dots as dots."""
    c = html.escape(color, quote=True)
    k = html.escape(stroke, quote=True)
    shapes = {
        "line": f"<line x1='0' y1='7' x2='14' y2='7' stroke='{c}' stroke-width='3'/>",
        "filled": f"<circle cx='7' cy='7' r='5' fill='{c}'/>",
        "dot": f"<circle cx='7' cy='7' r='5' fill='{c}' stroke='{k}' stroke-width='1'/>",
        "filled-outlined": f"<circle cx='7' cy='7' r='5' fill='{c}' stroke='{k}' "
                           "stroke-width='2'/>",
        "ring": f"<circle cx='7' cy='7' r='5' fill='none' stroke='{c}' stroke-width='2'/>",
        "small-ring": f"<circle cx='7' cy='7' r='3' fill='none' stroke='{c}' stroke-width='1'/>",
        "circle": f"<circle cx='7' cy='7' r='6' fill='{c}' fill-opacity='0.25' stroke='{c}'/>",
    }
    body = shapes.get(symbol, shapes["filled"])
    return (f"<svg width='14' height='14' viewBox='0 0 14 14' aria-hidden='true' "
            f"style='vertical-align:middle;margin-right:3px'>{body}</svg>")


def compact_legend_html(visible: Collection[str] = (), basemap: str = "light") -> str:
    """The map legend in three short lines (commodity, location precision, visible layers):
    lines drawn as lines, only the visible context layers, colours of the basemap's palette, on
    a background like the basemap's. Every label is escaped.

    Parameters
    ----------
    visible
        Context layers shown on the map.
    basemap
        ``"light"``, ``"dark"`` or ``"none"``.
    """
    dark = basemap == "dark"
    fg, bg, border = (("#eeeeee", "#262626", "#444444") if dark
                      else ("#222222", "rgba(255,255,255,0.92)", "#dddddd"))
    stroke = "#eeeeee" if dark else "#141414"
    entries = layers.legend_entries(tuple(visible), dark=dark)
    rows = []
    for kind, title in _LEGEND_GROUPS:
        items = [e for e in entries if e["kind"] == kind]
        if not items:
            continue
        cells = []
        for e in items:
            text = _SHORT_LABELS.get(e["label"], e["label"])
            if kind == "precision":
                text = text.removeprefix("Location ").split(" (")[0]
            cells.append(f"<span style='white-space:nowrap;margin-right:10px'>"
                         f"{_compact_swatch(e['color'], e.get('symbol', ''), stroke)}"
                         f"{html.escape(text)}</span>")
        rows.append(f"<div><b>{html.escape(title)}:</b> {''.join(cells)}</div>")
    return (f"<div class='mm-legend' style='font-size:0.78em;line-height:1.7;color:{fg};"
            f"background:{bg};border:1px solid {border};border-radius:6px;padding:4px 8px'>"
            + "".join(rows) + "</div>")
