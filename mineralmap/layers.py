"""pydeck layer builders: occurrence markers, uncertainty circles, context layers, routes.

Everything here is UI-free: the pages call these functions and hand the result to
``st.pydeck_chart``. Design rules (issues 4 and 6):

* **Stable layer ids** (``"occurrences"``, ``"occ-uncertainty"``, ``"roads"`` …) so Streamlit
  selection events and browser tests can rely on them.
* **Only what a layer needs goes on the wire**: records with one-letter keys, coordinates rounded
  (occurrences 5 decimals ≈ 1 m, lines 4 decimals ≈ 11 m), tooltip text precomputed server-side
  into one key ``t`` (the deck tooltip template is simply ``{t}``; Streamlit HTML-escapes the
  value, line breaks are kept with ``white-space: pre-line``).
* **Marker styling is data-driven by one small integer** ``s = group * 4 + precision_class``: the
  colour, outline, radius and line width are deck.gl JSON expressions over ``s``, so a compact
  point costs about 39 bytes (``{"p":[65.12345,29.12345],"s":3,"t":""},``) instead of ~1,300
  for a naive GeoJsonLayer of the whole enriched frame with pydeck's indented JSON.
  :func:`make_deck` returns a :class:`MapDeck` whose ``to_json`` is compact (no indentation),
  which is what ``st.pydeck_chart`` sends. Compact markers carry an empty ``t`` that the tooltip
  template hides, so hovering them shows nothing while a click still selects them.
* **Scale**: up to :data:`TOOLTIP_MAX` points every marker carries its tooltip and id; above it
  the markers are compact (selection indices map to :attr:`OccurrenceView.ids`); above
  :data:`AGGREGATE_THRESHOLD` the points are binned server-side (numpy) into a grid and only the
  cells are sent (layer ``"occ-aggregate"``) with a note for the page.
* **Build once**: :func:`static_layer_payload` (data) is separate from layer construction so the
  UI can cache the payload per catalog key and layer name.
* **One data source for both occurrence layers** (issue 16, served by ``serve.py``):
  :func:`shared_points` gives one record per point (position, style index, radius, the ranks of
  its distances) that :func:`shared_layers` draws as markers and as uncertainty circles from one
  URL, the distance limits applied in the browser (deck.gl ``DataFilterExtension`` over the
  ranks: exact, the same rows as :meth:`mineralmap.filters.FilterSpec.mask`).
"""

from __future__ import annotations

import copy
import functools
import json
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pydeck as pdk
import shapely
from numpy.dtypes import StringDType
from pydeck.bindings.json_tools import default_serialize

from mineralmap._geo import missing_or_empty
from mineralmap.errors import ValidationError
from mineralmap.schema import COMMODITY_GROUPS, CRS, PRECISION_CLASSES

__all__ = [
    "AGGREGATE_CELL_DEG",
    "MARKER_COLUMNS",
    "SEGMENT_LAYERS",
    "TILE_LAYER_ID",
    "SERVICE_TRACK",
    "wire_records",
    "AGGREGATE_THRESHOLD",
    "BASEMAPS",
    "DRAW_ORDER",
    "COMMODITY_COLORS",
    "COMMODITY_LABELS",
    "CONTEXT_LAYER_IDS",
    "CONTEXT_LAYER_LABELS",
    "DARK_PALETTE",
    "DEFAULT_VIEW",
    "NO_BASEMAP_STYLE",
    "PRECISION_STYLES",
    "TOOLTIP_MAX",
    "MapDeck",
    "BROWSER_FILTERS",
    "OccurrenceView",
    "SharedPoints",
    "context_layer",
    "context_layers",
    "dark_variant",
    "legend_entries",
    "make_deck",
    "mapped_lonlat",
    "occurrence_ids",
    "occurrence_layers",
    "occurrence_tips",
    "occurrence_view",
    "payload_bytes",
    "region_layer",
    "route_layer",
    "routes_layer",
    "shared_layers",
    "shared_points",
    "stack_layer",
    "style_codes",
    "tile_layer",
    "stacked_points",
    "static_layer_payload",
]

# --------------------------------------------------------------------------------------------
# Colours and styles
# --------------------------------------------------------------------------------------------

#: Commodity-group colours (RGBA), from the Okabe–Ito colour-blind-safe palette:
#: vermillion (Sb), blue (REE), neutral grey (other).
COMMODITY_COLORS: dict[str, list[int]] = {
    "Sb": [213, 94, 0, 255],
    "REE": [0, 114, 178, 255],
    "other": [128, 128, 128, 255],
}

#: Human labels of the commodity groups (legend, tooltips).
COMMODITY_LABELS: dict[str, str] = {
    "Sb": "Antimony (Sb)",
    "REE": "Rare-earth elements (REE)",
    "other": "Other commodity",
}

#: Marker style per location-precision class (pixels). ``fill`` False means a hollow ring in
#: the commodity colour; ``outline`` None means the ring/outline takes the commodity colour.
PRECISION_STYLES: dict[str, dict[str, Any]] = {
    "surveyed": {"fill": True, "outline": [20, 20, 20, 255], "radius": 6.0, "line_width": 2.0,
                 "symbol": "filled-outlined",
                 "label": "surveyed (filled, dark outline)"},
    "locality": {"fill": True, "outline": [255, 255, 255, 230], "radius": 5.0, "line_width": 1.0,
                 "symbol": "filled", "label": "locality (filled)"},
    "approximate": {"fill": False, "outline": None, "radius": 6.0, "line_width": 2.0,
                    "symbol": "ring", "label": "approximate (hollow ring)"},
    "district": {"fill": False, "outline": None, "radius": 3.5, "line_width": 1.0,
                 "symbol": "small-ring", "label": "district only (small thin ring)"},
}

#: Translucent fill and outline of the uncertainty circles (radius = ``precision_km``).
UNCERTAINTY_FILL_ALPHA = 28
UNCERTAINTY_LINE_ALPHA = 90

#: Above this many mapped points, markers carry no tooltip text nor id (bytes budget).
TOOLTIP_MAX = 2_000
#: Above this many mapped points the occurrences are sent as grid cells, not points.
AGGREGATE_THRESHOLD = 20_000
#: Grid cell size (degrees) of the server-side aggregation.
AGGREGATE_CELL_DEG = 0.25

#: Basemap choices of :func:`make_deck`.
BASEMAPS: tuple[str, ...] = ("light", "dark", "none")
#: Initial view: all of Pakistan.
DEFAULT_VIEW: dict[str, float] = {"latitude": 30.0, "longitude": 69.5, "zoom": 4.6,
                                  "pitch": 0.0, "bearing": 0.0}

#: Toggleable context layers in UI order, with human labels.
CONTEXT_LAYER_LABELS: dict[str, str] = {
    "ports": "Seaports and minor ports",
    "railways": "Railways (active / abandoned)",
    "roads": "Roads (motorway, trunk, primary, secondary)",
    "rail_stations": "Rail stations",
    "border_crossings": "Border crossings",
    "dry_ports": "Dry ports",
    "airports": "Airports",
    "towns": "Towns",
    "power_plants": "Power plants",
    "provinces": "Province boundaries",
    "districts": "District boundaries",
}
CONTEXT_LAYER_IDS: tuple[str, ...] = tuple(CONTEXT_LAYER_LABELS)

#: Drawing order (bottom to top) of the context layers (inline and by URL alike).
DRAW_ORDER: tuple[str, ...] = (
    "districts", "provinces", "roads", "railways", "power_plants", "towns", "rail_stations",
    "airports", "dry_ports", "border_crossings", "ports",
)

_ROAD_STYLES: dict[str, tuple[list[int], float]] = {
    # blue-greys: distinct from the Sb (vermillion) and "other" markers and from the railways
    "motorway": ([40, 70, 140, 230], 3.0),
    "trunk": ([70, 105, 170, 220], 2.4),
    "primary": ([115, 145, 195, 210], 1.8),
    "secondary": ([165, 180, 205, 200], 1.1),
}
_RAIL_ACTIVE = ([25, 25, 25, 240], 2.4)
_RAIL_INACTIVE = ([150, 150, 150, 150], 1.3)
_BOUNDARY_STYLES: dict[str, tuple[list[int], float]] = {
    "provinces": ([45, 45, 45, 220], 2.0),
    "districts": ([110, 110, 110, 130], 0.8),
}

#: Line colours swapped on the dark basemap (light colour -> dark-basemap colour): railways,
#: boundaries and roads stay visible on CARTO dark-matter.
DARK_PALETTE: dict[tuple[int, ...], tuple[int, ...]] = {
    tuple(_RAIL_ACTIVE[0]): (235, 235, 235, 240),
    tuple(_RAIL_INACTIVE[0]): (170, 170, 170, 170),
    tuple(_BOUNDARY_STYLES["provinces"][0]): (225, 225, 225, 230),
    tuple(_BOUNDARY_STYLES["districts"][0]): (165, 165, 165, 150),
    tuple(_ROAD_STYLES["motorway"][0]): (120, 170, 255, 235),
    tuple(_ROAD_STYLES["trunk"][0]): (110, 155, 230, 225),
    tuple(_ROAD_STYLES["primary"][0]): (100, 135, 195, 215),
    tuple(_ROAD_STYLES["secondary"][0]): (90, 110, 145, 205),
}
#: ``mapStyle`` that tells Streamlit to draw no basemap at all (pydeck's default sentinel).
NO_BASEMAP_STYLE = "__MAP_STYLE__"

# Point context layers: fill, outline, radius px (constant parts; ports/towns/plants vary).
_POINT_STYLES: dict[str, dict[str, Any]] = {
    "ports": {"fill": [0, 0, 0, 255], "line": [255, 255, 255, 255], "radius": 9.0},
    "rail_stations": {"fill": [255, 255, 255, 255], "line": [30, 30, 30, 255], "radius": 3.0},
    "airports": {"fill": [40, 40, 40, 255], "line": [255, 255, 255, 255], "radius": 5.0},
    "towns": {"fill": [105, 105, 105, 200], "line": [255, 255, 255, 160], "radius": 3.0},
    "border_crossings": {"fill": [0, 158, 115, 255], "line": [255, 255, 255, 255], "radius": 6.0},
    "dry_ports": {"fill": [204, 121, 167, 255], "line": [255, 255, 255, 255], "radius": 6.0},
    "power_plants": {"fill": [240, 228, 66, 255], "line": [60, 60, 60, 255], "radius": 4.0},
}
_MINOR_PORT = {"fill": [255, 255, 255, 255], "line": [0, 0, 0, 255], "radius": 5.0}

# One tooltip for every layer: each pickable record carries its text in "t" (plain text; the
# value is HTML-escaped by Streamlit, line breaks kept by pre-line). The box is drawn by the inner
# div so that an empty "t" (compact markers) shows nothing at all.
_TOOLTIP_HTML = (
    "<style>.mm-tip:empty{display:none}</style>"
    '<div class="mm-tip" style="white-space:pre-line;font-size:12px;line-height:1.35;'
    'max-width:320px;background:rgba(30,30,30,0.92);color:white;padding:6px 8px;'
    'border-radius:3px;pointer-events:none">{t}</div>'
)
# pointer-events none: the tooltip is drawn at the pointer and must never swallow a click meant
# for the marker under it.
_TOOLTIP_STYLE = {"backgroundColor": "transparent", "padding": "0px", "pointerEvents": "none"}

# pydeck turns bare strings into deck.gl expressions ("@@=pixels"); quoted strings stay literal.
_PX = "'pixels'"
_M = "'meters'"

_LINE_DECIMALS = 4
_POINT_DECIMALS = 5
# Douglas-Peucker tolerances (degrees; 0.001° ≈ 100 m, below a pixel up to zoom ~10).
#: Line simplification (degrees) per layer. The map is a national overview (Pakistan fits at
#: zoom ~4.6, where a pixel is ~0.05°): 0.005° (~500 m) is under a pixel up to zoom 8. Every
#: segment is drawn on every redraw, and with software WebGL (headless Chromium, VDI, older
#: laptops) the default layers' ~14,000 segments took 0.4-0.5 s per redraw, most of a filter
#: change's time (issue 16); fewer segments are the only lever, deck.gl redraws the whole scene.
_SIMPLIFY_DEG = {"provinces": 0.005, "districts": 0.005, "roads": 0.001, "railways": 0.002}


def hex_color(rgba: Sequence[int]) -> str:
    """``#rrggbb`` of an RGB(A) colour list (alpha dropped)."""
    return "#{:02x}{:02x}{:02x}".format(*[int(v) for v in rgba[:3]])


def _ctx_hex(rgba: Sequence[int], dark: bool) -> str:
    return hex_color(DARK_PALETTE.get(tuple(rgba), rgba) if dark else rgba)


def legend_entries(visible: Collection[str] = (), dark: bool = False) -> list[dict[str, str]]:
    """Legend of the map for a Streamlit legend rendered by the page.

    Parameters
    ----------
    visible
        Context layer names currently shown; their entries follow the occurrence entries.
    dark
        Colours of the dark basemap (:data:`DARK_PALETTE`).

    Returns
    -------
    list of dict
        ``{"label", "color" (hex), "kind", "symbol"}`` where ``kind`` is ``"commodity"``,
        ``"precision"`` or ``"context"`` and ``symbol`` one of ``"filled"``,
        ``"filled-outlined"``, ``"ring"``, ``"small-ring"``, ``"line"``, ``"dot"``,
        ``"circle"``.
    """
    out: list[dict[str, str]] = [
        {"label": COMMODITY_LABELS[g], "color": hex_color(COMMODITY_COLORS[g]), "kind": "commodity",
         "symbol": "filled"}
        for g in COMMODITY_GROUPS
    ]
    for cls in PRECISION_CLASSES:
        st = PRECISION_STYLES[cls]
        out.append({"label": f"Location {st['label']}", "color": "#505050", "kind": "precision",
                    "symbol": st["symbol"]})
    out.append({"label": "Uncertainty circle (radius = location precision)", "color": "#808080",
                "kind": "precision", "symbol": "circle"})
    for name in CONTEXT_LAYER_IDS:
        if name not in visible:
            continue
        if name == "roads":
            out += [{"label": f"{c.capitalize()} road", "color": _ctx_hex(rgba, dark), "kind": "context",
                     "symbol": "line"} for c, (rgba, _) in _ROAD_STYLES.items()]
        elif name == "railways":
            out += [{"label": "Railway, active", "color": _ctx_hex(_RAIL_ACTIVE[0], dark), "kind": "context",
                     "symbol": "line"},
                    {"label": "Railway, abandoned / disused / proposed",
                     "color": _ctx_hex(_RAIL_INACTIVE[0], dark), "kind": "context", "symbol": "line"}]
        elif name in _BOUNDARY_STYLES:
            out.append({"label": CONTEXT_LAYER_LABELS[name],
                        "color": _ctx_hex(_BOUNDARY_STYLES[name][0], dark), "kind": "context",
                        "symbol": "line"})
        elif name == "ports":
            out += [{"label": "Seaport", "color": hex_color(_POINT_STYLES["ports"]["fill"]),
                     "kind": "context", "symbol": "dot"},
                    {"label": "Minor port (town point)", "color": hex_color(_MINOR_PORT["line"]),
                     "kind": "context", "symbol": "ring"}]
        else:
            out.append({"label": CONTEXT_LAYER_LABELS[name],
                        "color": hex_color(_POINT_STYLES[name]["fill"]), "kind": "context",
                        "symbol": "dot"})
    return out


# --------------------------------------------------------------------------------------------
# deck.gl JSON expressions over the style index s = group * 4 + precision class
# --------------------------------------------------------------------------------------------

_N_CLASSES = len(PRECISION_CLASSES)


def _lit(v: Any) -> str:
    return json.dumps(v, separators=(",", ":"))


def _lookup_expr(values: Sequence[Any], key: str = "s") -> str:
    """deck.gl JSON expression ``s==0?v0:s==1?v1:…:vN`` (no function calls needed)."""
    parts = [f"{key}=={i}?{_lit(v)}:" for i, v in enumerate(values[:-1])]
    return "".join(parts) + _lit(values[-1])


def _style_tables() -> dict[str, list[Any]]:
    fill, line, radius, width = [], [], [], []
    for g in COMMODITY_GROUPS:
        col = COMMODITY_COLORS[g]
        for cls in PRECISION_CLASSES:
            st = PRECISION_STYLES[cls]
            fill.append(list(col) if st["fill"] else [0, 0, 0, 0])
            line.append(list(st["outline"]) if st["outline"] is not None else list(col))
            radius.append(st["radius"])
            width.append(st["line_width"])
    unc = [[*COMMODITY_COLORS[g][:3], UNCERTAINTY_FILL_ALPHA] for g in COMMODITY_GROUPS]
    unc_line = [[*COMMODITY_COLORS[g][:3], UNCERTAINTY_LINE_ALPHA] for g in COMMODITY_GROUPS]
    return {"fill": fill, "line": line, "radius": radius, "width": width,
            "unc_fill": unc, "unc_line": unc_line}


_STYLE = _style_tables()


# --------------------------------------------------------------------------------------------
# Occurrences
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OccurrenceView:
    """Occurrence layers plus what the page should say about them.

    Attributes
    ----------
    layers
        ``[occ-uncertainty, occurrences]`` or ``[occ-aggregate]`` (empty frames give empty but
        valid layers).
    mapped, unmapped
        Rows drawn / rows skipped for lack of coordinates.
    aggregated
        True when points were binned into grid cells (above the threshold).
    compact
        True when markers carry no tooltip text nor id (above :data:`TOOLTIP_MAX`).
    ids
        Occurrence ids in the order of the ``"occurrences"`` layer data: the selection index
        ``i`` of a ``st.pydeck_chart`` event is ``ids[i]`` (empty when aggregated).
    note
        Human sentence for the page (aggregation), or None.
    """

    layers: list[pdk.Layer]
    mapped: int
    unmapped: int
    aggregated: bool = False
    compact: bool = False
    ids: tuple[str, ...] = field(default=(), repr=False)
    note: str | None = None


def _col(occ: pd.DataFrame, name: str, default: Any = np.nan) -> pd.Series:
    if name in occ.columns:
        return occ[name]
    return pd.Series(default, index=occ.index, dtype=object if isinstance(default, str) else None)


def _num(s: pd.Series) -> np.ndarray:
    return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _codes(s: pd.Series, cats: Sequence[str], missing: int) -> np.ndarray:
    c = pd.Index(list(cats)).get_indexer(s.to_numpy(dtype=object))
    c = np.asarray(c, dtype=np.int64)
    c[c < 0] = missing
    return c


def _str(s: pd.Series) -> pd.Series:
    """String column with missing values as ''."""
    return s.astype(object).where(s.notna(), "").astype(str).str.strip()


def _km_text(v: np.ndarray, fmt: str = "{:,.0f}") -> pd.Series:
    out = pd.Series([""] * len(v), dtype=object)
    ok = np.isfinite(v)
    if ok.any():
        out[ok] = [fmt.format(x) for x in v[ok]]
    return out


_SDT = StringDType()
#: Occurrence columns the markers use (style, id, tooltip).
MARKER_COLUMNS: tuple[str, ...] = (
    "id", "name", "commodity", "commodity_group", "status", "precision", "precision_km",
    "port_nearest", "port_nearest_km", "haul_road_port", "haul_road_km")
_OCC_USED = MARKER_COLUMNS


def _sarr(occ: pd.DataFrame, name: str) -> np.ndarray:
    """Column as a numpy StringDType array, missing values (or column) as ''."""
    if name not in occ.columns:
        return np.full(len(occ), "", dtype=_SDT)
    v = occ[name].to_numpy(dtype=object, na_value="")
    return np.strings.strip(v.astype(_SDT))


def _ntext(v: np.ndarray, decimals: int = 0) -> np.ndarray:
    """Numbers as strings (``decimals`` max, trailing '.0' dropped); NaN as ''."""
    ok = np.isfinite(v)
    r = np.round(np.where(ok, v, 0.0), decimals)
    integral = r == np.rint(r)
    out = np.rint(r).astype(np.int64).astype(_SDT)
    frac = ok & ~integral
    if frac.any():
        out[frac] = r[frac].astype(_SDT)
    out[~ok] = ""
    return out


def _occurrence_tips(occ: pd.DataFrame, prec_km: np.ndarray) -> list[str]:
    """Tooltip text per row (plain text with line breaks), vectorised with numpy strings."""
    add = np.strings.add
    empty = np.array("", dtype=_SDT)

    def opt(cond: np.ndarray, text: np.ndarray) -> np.ndarray:
        return np.where(cond, text, empty)

    name = _sarr(occ, "name")
    name = np.where(name != "", name, _sarr(occ, "id"))
    group = _sarr(occ, "commodity_group")
    commodity = _sarr(occ, "commodity")
    commodity = np.where(commodity != "", commodity, group)
    line2 = add(commodity, opt((group != "") & (group != commodity), add(add(" (", group), ")")))
    status = _sarr(occ, "status")
    line2 = add(line2, opt(status != "", add(" · ", status)))
    precision = _sarr(occ, "precision")
    line3 = add("location: ", np.where(precision != "", precision, "unknown precision"))
    pkm = _ntext(prec_km, 2)
    line3 = add(line3, opt(pkm != "", add(add(" ±", pkm), " km")))
    port = _sarr(occ, "port_nearest")
    port_km = _ntext(_num(_col(occ, "port_nearest_km")))
    line4 = opt(port != "", add("\nnearest port: ", port))
    line4 = add(line4, opt((port != "") & (port_km != ""), add(add(" ", port_km),
                                                                " km (straight line)")))
    haul = _sarr(occ, "haul_road_port")
    haul_km = _ntext(_num(_col(occ, "haul_road_km")))
    line5 = opt((haul != "") & (haul_km != ""),
                add(add(add("\nroad haul: ", haul), add(" ", haul_km)), " km"))
    tip = add(add(add(add(name, "\n"), line2), add("\n", line3)), add(line4, line5))
    return tip.tolist()


def _points_xy(lon: np.ndarray, lat: np.ndarray, decimals: int = _POINT_DECIMALS) -> list[list]:
    xy = np.round(np.column_stack([lon, lat]), decimals)
    return xy.tolist()


def _occ_lonlat(occ: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Longitudes and latitudes (float, NaN when missing) of an occurrence table; ValidationError
    when it is not a frame or has no ``lon``/``lat``."""
    if not isinstance(occ, pd.DataFrame):
        raise ValidationError(f"occurrence layers need a DataFrame, got {type(occ).__name__}")
    missing = [c for c in ("lon", "lat") if c not in occ.columns]
    if missing:
        raise ValidationError(
            f"occurrence table has no {', '.join(missing)} column(s); the map needs lon and lat "
            "in degrees (EPSG:4326)")
    return _num(occ["lon"]), _num(occ["lat"])


def mapped_lonlat(occ: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``lon``, ``lat`` as float arrays and the mask of rows with both finite.

    Raises
    ------
    ValidationError
        Not a frame, or no ``lon``/``lat``.
    """
    lon, lat = _occ_lonlat(occ)
    return lon, lat, np.isfinite(lon) & np.isfinite(lat)


def style_codes(occ: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the commodity group index and the marker style index (``group * 4 + precision
    class``) that the occurrence layers' expressions look up."""
    grp = _codes(_col(occ, "commodity_group"), COMMODITY_GROUPS, COMMODITY_GROUPS.index("other"))
    cls = _codes(_col(occ, "precision"), PRECISION_CLASSES, _N_CLASSES - 1)
    return grp, grp * _N_CLASSES + cls


def occurrence_ids(occ: pd.DataFrame) -> list[str]:
    """Occurrence ids as text ("" where missing)."""
    return _sarr(occ, "id").tolist()


def occurrence_tips(occ: pd.DataFrame) -> list[str]:
    """The markers' tooltip text per row (name, commodity, location precision, nearest port,
    road haul)."""
    return _occurrence_tips(occ, _num(_col(occ, "precision_km")))


def occurrence_view(occ: pd.DataFrame, threshold: int = AGGREGATE_THRESHOLD,
                    tooltip_max: int = TOOLTIP_MAX,
                    cell_deg: float = AGGREGATE_CELL_DEG) -> OccurrenceView:
    """Build the occurrence layers and the facts the page shows next to the map.

    Parameters
    ----------
    occ
        Occurrence frame (enriched or not). Only ``lon`` and ``lat`` are required; ``id``,
        ``name``, ``commodity``, ``commodity_group``, ``status``, ``precision``,
        ``precision_km``, ``port_nearest``, ``port_nearest_km``, ``haul_road_port`` and
        ``haul_road_km`` are used when present. Rows without finite coordinates are skipped.
    threshold
        Above this many mapped rows, return one aggregated grid layer instead of points.
    tooltip_max
        Above this many mapped rows, markers omit tooltip text and ids (compact payload).
    cell_deg
        Grid cell size in degrees for the aggregation.

    Returns
    -------
    OccurrenceView

    Raises
    ------
    ValidationError
        If ``lon``/``lat`` columns are missing.
    """
    lon, lat = _occ_lonlat(occ)
    ok = np.isfinite(lon) & np.isfinite(lat)
    n_ok = int(ok.sum())
    n_unmapped = len(occ) - n_ok
    sub = occ.loc[ok, [c for c in _OCC_USED if c in occ.columns]]
    lon, lat = lon[ok], lat[ok]
    grp = _codes(_col(sub, "commodity_group"), COMMODITY_GROUPS, COMMODITY_GROUPS.index("other"))
    if n_ok > threshold:
        return _aggregate_view(sub, lon, lat, grp, n_unmapped, cell_deg, threshold)

    cls = _codes(_col(sub, "precision"), PRECISION_CLASSES, _N_CLASSES - 1)
    s = (grp * _N_CLASSES + cls).tolist()
    xy = _points_xy(lon, lat)
    prec_km = _num(_col(sub, "precision_km"))
    compact = n_ok > tooltip_max
    ids = tuple(_sarr(sub, "id").tolist())
    if compact:
        # "t": "" keeps the shared tooltip template valid; the empty tip is hidden (see
        # _TOOLTIP_HTML) so hovering a compact marker shows nothing, clicking still selects it.
        markers = [{"p": p, "s": k, "t": ""} for p, k in zip(xy, s, strict=True)]
    else:
        tips = _occurrence_tips(sub, prec_km)
        markers = [{"p": p, "s": k, "id": i, "t": t}
                   for p, k, i, t in zip(xy, s, ids, tips, strict=True)]

    has_r = np.isfinite(prec_km) & (prec_km > 0)
    r_km = np.round(prec_km[has_r], 2).tolist()
    g_unc = grp[has_r].tolist()
    xy_unc = [p for p, h in zip(xy, has_r.tolist(), strict=True) if h]
    unc = [{"p": p, "g": g, "r": r} for p, g, r in zip(xy_unc, g_unc, r_km, strict=True)]
    layers = [_uncertainty_layer(unc), _marker_layer(markers)]
    return OccurrenceView(layers=layers, mapped=n_ok, unmapped=n_unmapped, compact=compact,
                          ids=ids)


def _uncertainty_layer(data: list[dict]) -> pdk.Layer:
    return pdk.Layer(
        "ScatterplotLayer", data=data, id="occ-uncertainty",
        get_position="p",
        get_radius="r*1000",
        radius_units=_M,
        get_fill_color=_lookup_expr(_STYLE["unc_fill"], "g"),
        get_line_color=_lookup_expr(_STYLE["unc_line"], "g"),
        stroked=True, filled=True, line_width_units=_PX, get_line_width=1,
        pickable=False,
    )


def _marker_layer(data: str | list[dict], **extra: Any) -> pdk.Layer:
    return pdk.Layer(
        "ScatterplotLayer", data=data, id="occurrences",
        get_position="p",
        get_fill_color=_lookup_expr(_STYLE["fill"]),
        get_line_color=_lookup_expr(_STYLE["line"]),
        get_radius=_lookup_expr(_STYLE["radius"]),
        get_line_width=_lookup_expr(_STYLE["width"]),
        radius_units=_PX, line_width_units=_PX,
        stroked=True, filled=True,
        # No auto_highlight: a highlight redraws the whole scene on every hover, and the click's
        # pick (on pointer-down) then waits for that frame; with software WebGL on a busy
        # machine that is longer than deck.gl's 250 ms tap window and the click is lost.
        pickable=True, auto_highlight=False, **extra,
    )


def _aggregate_view(sub: pd.DataFrame, lon: np.ndarray, lat: np.ndarray, grp: np.ndarray,
                    n_unmapped: int, cell_deg: float, threshold: int) -> OccurrenceView:
    """Bin points into a regular lon/lat grid (numpy only) and draw one circle per cell."""
    n = len(lon)
    ix = np.floor(lon / cell_deg).astype(np.int64)
    iy = np.floor(lat / cell_deg).astype(np.int64)
    key = (ix - ix.min()) * (int(iy.max() - iy.min()) + 1) + (iy - iy.min())
    _, inv, counts = np.unique(key, return_inverse=True, return_counts=True)
    m = len(counts)
    ng = len(COMMODITY_GROUPS)
    by_group = np.bincount(inv * ng + grp, minlength=m * ng).reshape(m, ng)
    cx = np.bincount(inv, weights=lon, minlength=m) / counts
    cy = np.bincount(inv, weights=lat, minlength=m) / counts
    dom = by_group.argmax(axis=1)
    cmax = counts.max()
    radius = np.round(1.5 + 4.0 * np.sqrt(counts / cmax), 1)  # px: gaps between cells at 0.25°, zoom ~5
    xy = np.round(np.column_stack([cx, cy]), 4).tolist()
    # per cell (not per point): a few thousand cells at most
    tips = [f"{c:,} occurrences in this {cell_deg:g}° cell\n"
            + " · ".join(f"{g} {k:,}" for g, k in zip(COMMODITY_GROUPS, row, strict=True) if k)
            for c, row in zip(counts.tolist(), by_group.tolist(), strict=True)]
    data = [{"p": p, "n": c, "r": r, "g": g, "t": t}
            for p, c, r, g, t in zip(xy, counts.tolist(), radius.tolist(), dom.tolist(),
                                     tips, strict=True)]
    agg_colors = [[*COMMODITY_COLORS[g][:3], 150] for g in COMMODITY_GROUPS]  # rails show through
    layer = pdk.Layer(
        "ScatterplotLayer", data=data, id="occ-aggregate",
        get_position="p", get_radius="r", radius_units=_PX,
        get_fill_color=_lookup_expr(agg_colors, "g"),
        get_line_color=[255, 255, 255, 220], line_width_units=_PX, get_line_width=1,
        stroked=True, filled=True, pickable=True, auto_highlight=False,  # see _marker_layer
    )
    note = (f"{n:,} mapped occurrences are more than the map shows one by one "
            f"({threshold:,}); they are drawn as {m:,} grid cells of {cell_deg:g}° sized by "
            "count and coloured by the most frequent commodity. Narrow the filters or select a "
            "region to see individual points.")
    return OccurrenceView(layers=[layer], mapped=n, unmapped=n_unmapped, aggregated=True,
                          compact=True, ids=(), note=note)


def occurrence_layers(occ: pd.DataFrame) -> list[pdk.Layer]:
    """Occurrence layers for the map (see :func:`occurrence_view` for the details).

    Parameters
    ----------
    occ
        (Enriched) occurrence frame; rows without coordinates are skipped.

    Returns
    -------
    list of pydeck.Layer
        ``[occ-uncertainty, occurrences]`` (ScatterplotLayers), plus ``occ-stacks`` (count
        labels) when several rows share one point; or ``[occ-aggregate]`` above
        :data:`AGGREGATE_THRESHOLD` mapped rows.
    """
    view = occurrence_view(occ)
    if view.aggregated or view.compact:
        return view.layers
    stacks = stacked_points(occ)
    return [*view.layers, stack_layer(stacks)] if len(stacks) else view.layers


# --------------------------------------------------------------------------------------------
# Shared occurrence points: one data source for markers and uncertainty circles, filtered in
# the browser (issue 16)
# --------------------------------------------------------------------------------------------

#: Distance limits of :class:`mineralmap.filters.FilterSpec` that the browser applies to shared
#: occurrence points (deck.gl ``DataFilterExtension``), in the order of the ``f`` values.
BROWSER_FILTERS: tuple[str, ...] = ("max_port_km", "max_rail_km", "max_road_km")
#: deck.gl's ``filterRange`` of one dimension that keeps nothing (values are ranks >= 0).
_NOTHING = [-2.0, -1.0]


def _limit_values(occ: pd.DataFrame) -> list[np.ndarray]:
    """Per row, the value each :data:`BROWSER_FILTERS` limit is compared with (as
    :meth:`mineralmap.filters.FilterSpec.mask` does: road haul to a port where known, else the
    straight line; ``rail_km``; ``road_primary_km``); NaN where a limit never keeps the row."""
    nan = np.full(len(occ), np.nan)
    road = _num(occ["haul_road_km"]) if "haul_road_km" in occ.columns else nan
    straight = _num(occ["port_nearest_km"]) if "port_nearest_km" in occ.columns else nan
    port = np.where(np.isfinite(road), road, straight)
    rail = _num(occ["rail_km"]) if "rail_km" in occ.columns else nan
    prim = _num(occ["road_primary_km"]) if "road_primary_km" in occ.columns else nan
    out = [port, rail, prim]
    if "mapped" in occ.columns:  # the filters treat unmapped rows as beyond every limit
        mapped = occ["mapped"].fillna(False).astype(bool).to_numpy()
        out = [np.where(mapped, v, np.nan) for v in out]
    return out


@dataclass(frozen=True)
class SharedPoints:
    """Occurrence points as one data source of both occurrence layers, plus what the server
    needs to filter them in the browser and to map a picked index back to an id.

    Attributes
    ----------
    records
        One record per mapped row, in frame order: ``p`` [lon, lat] (5 decimals), ``s`` style
        index (``group * 4 + precision class``), ``r`` uncertainty radius km (0: none), ``f``
        the ranks of the row's values under :data:`BROWSER_FILTERS` (see :attr:`levels`), and
        ``id`` and tooltip ``t`` unless :attr:`compact`.
    ids
        Occurrence id of each record (the index of a pick is an index into this).
    compact
        True above :data:`TOOLTIP_MAX` points: records carry no id nor tooltip.
    levels
        Per :data:`BROWSER_FILTERS` dimension, the sorted distinct finite values; a record's
        rank is the index of its value here, ``len(levels)`` when it has none (NaN).
    ranks
        ``(n, 3)`` integer ranks (the ``f`` of the records).
    unmapped
        Rows of the frame without coordinates (not in the records).
    """

    records: list[dict] = field(repr=False)
    ids: tuple[str, ...] = field(repr=False)
    compact: bool
    levels: tuple[np.ndarray, ...] = field(repr=False)
    ranks: np.ndarray = field(repr=False)
    unmapped: int = 0

    @property
    def mapped(self) -> int:
        """Number of points."""
        return len(self.ids)

    def filter_range(self, limits: Sequence[float | None]) -> list[list[float]]:
        """deck.gl ``filterRange`` (one ``[min, max]`` of ranks per dimension) that keeps
        exactly the points whose values are within ``limits`` (None: no limit; a point
        without a value is kept only without a limit), as the server's filter does."""
        out: list[list[float]] = []
        for lev, lim in zip(self.levels, limits, strict=True):
            if lim is None:
                out.append([0.0, float(len(lev))])
                continue
            hi = int(np.searchsorted(lev, float(lim), side="right")) - 1
            out.append([0.0, float(hi)] if hi >= 0 else list(_NOTHING))
        return out

    def mask(self, limits: Sequence[float | None]) -> np.ndarray:
        """The points the browser shows under ``limits`` (what :meth:`filter_range` keeps)."""
        keep = np.ones(self.mapped, dtype=bool)
        for d, (lo, hi) in enumerate(self.filter_range(limits)):
            keep &= (self.ranks[:, d] >= lo) & (self.ranks[:, d] <= hi)
        return keep

    def shows(self, occ: pd.DataFrame, limits: Sequence[float | None]) -> bool:
        """True when the points the browser shows under ``limits`` are exactly the mapped rows
        of ``occ``, in the same order (so the layers draw what the server's filter kept)."""
        if not {"lon", "lat", "id"} <= set(occ.columns):
            return False
        ok = np.isfinite(_num(occ["lon"])) & np.isfinite(_num(occ["lat"]))
        if int(ok.sum()) != int(self.mask(limits).sum()):
            return False
        ids = occ["id"].to_numpy(dtype=object, na_value="")[ok]
        want = np.strings.strip(ids.astype(_SDT))
        shown = np.asarray(self.ids, dtype=_SDT)[self.mask(limits)]
        return len(want) == len(shown) and bool(np.all(want == shown))

    def ids_at(self, indices: Sequence[Any]) -> list[str]:
        """Ids of picked indices (anything not a valid index is skipped)."""
        return [self.ids[i] for i in indices
                if isinstance(i, int) and not isinstance(i, bool) and 0 <= i < self.mapped]


def shared_points(occ: pd.DataFrame, tooltip_max: int = TOOLTIP_MAX) -> SharedPoints:
    """The mapped rows of ``occ`` as :class:`SharedPoints` (see :func:`shared_layers`).

    Parameters
    ----------
    occ
        Occurrence frame with ``lon`` and ``lat`` (other columns as in
        :func:`occurrence_view`, plus ``rail_km``, ``road_primary_km`` for the filter values).
    tooltip_max
        Above this many points the records carry no id nor tooltip.

    Returns
    -------
    SharedPoints

    Raises
    ------
    ValidationError
        Not a frame, or no ``lon``/``lat``.
    """
    lon, lat = _occ_lonlat(occ)
    ok = np.isfinite(lon) & np.isfinite(lat)
    sub = occ.loc[ok]
    grp = _codes(_col(sub, "commodity_group"), COMMODITY_GROUPS, COMMODITY_GROUPS.index("other"))
    cls = _codes(_col(sub, "precision"), PRECISION_CLASSES, _N_CLASSES - 1)
    style = (grp * _N_CLASSES + cls).tolist()
    xy = _points_xy(lon[ok], lat[ok])
    prec_km = _num(_col(sub, "precision_km"))
    radius = np.round(np.where(np.isfinite(prec_km) & (prec_km > 0), prec_km, 0.0), 2)
    levels, ranks = [], []
    for v in _limit_values(sub):
        fin = np.isfinite(v)
        lev = np.unique(v[fin])
        rank = np.full(len(v), len(lev), dtype=np.int64)
        rank[fin] = np.searchsorted(lev, v[fin])
        levels.append(lev)
        ranks.append(rank)
    rk = np.column_stack(ranks) if len(sub) else np.zeros((0, len(BROWSER_FILTERS)), np.int64)
    ids = tuple(_sarr(sub, "id").tolist())
    compact = len(ids) > tooltip_max
    recs = [{"p": p, "s": k, "r": r, "f": f} for p, k, r, f in
            zip(xy, style, radius.tolist(), rk.tolist(), strict=True)]
    if not compact:
        for rec, i, t in zip(recs, ids, _occurrence_tips(sub, prec_km), strict=True):
            rec["id"], rec["t"] = i, t
    return SharedPoints(records=recs, ids=ids, compact=compact, levels=tuple(levels),
                        ranks=rk, unmapped=int((~ok).sum()))


def _group_expr(values: Sequence[Any]) -> str:
    """deck.gl JSON expression of a per-commodity-group value over the style index ``s``
    (``s<4?v0:s<8?v1:v2``)."""
    parts = [f"s<{(i + 1) * _N_CLASSES}?{_lit(v)}:" for i, v in enumerate(values[:-1])]
    return "".join(parts) + _lit(values[-1])


def _filter_extension() -> list[dict[str, Any]]:
    return [{"@@type": "DataFilterExtension", "filterSize": len(BROWSER_FILTERS)}]


def _filter_props(filter_range: Sequence[Sequence[float]] | None) -> dict[str, Any]:
    if filter_range is None:
        return {}
    return {"extensions": _filter_extension(),
            "get_filter_value": "f", "filter_range": [list(r) for r in filter_range]}


#: Props that give a point context layer (ports, border crossings, …) the occurrence markers'
#: ``DataFilterExtension`` with a filter that keeps everything: all scatter layers then share ONE
#: shader program. With software WebGL each distinct program costs a few hundred ms of
#: compilation before the first full frame (time to map visible 6 % lower in an A/B run,
#: issue 16).
_PASS_FILTER: dict[str, Any] = {
    "get_filter_value": [0] * len(BROWSER_FILTERS),
    "filter_range": [[-1, 1]] * len(BROWSER_FILTERS),
}


def shared_layers(data: str | list[dict], filter_range: Sequence[Sequence[float]] | None = None
                  ) -> list[pdk.Layer]:
    """The uncertainty circles and the markers (ids ``"occ-uncertainty"``, ``"occurrences"``)
    drawn from ONE data source: the records of :func:`shared_points`, or their URL (deck.gl
    fetches a string ``data`` itself; both layers name the same URL, so the browser fetches it
    once), optionally filtered in the browser with deck.gl's ``DataFilterExtension``.

    Parameters
    ----------
    data
        :attr:`SharedPoints.records` or the URL of a file holding them.
    filter_range
        :meth:`SharedPoints.filter_range` (None: no filter in the browser).

    Returns
    -------
    list of pydeck.Layer
        ``[occ-uncertainty, occurrences]``, styled like :func:`occurrence_layers`.
    """
    extra = _filter_props(filter_range)
    unc = pdk.Layer(
        "ScatterplotLayer", data=data, id="occ-uncertainty", get_position="p",
        get_radius="r*1000", radius_units=_M,
        get_fill_color=_group_expr(_STYLE["unc_fill"]),
        get_line_color=_group_expr(_STYLE["unc_line"]),
        # a point without a radius draws nothing (no 1 px outline of a 0 m circle)
        stroked=True, filled=True, line_width_units=_PX, get_line_width="r>0?1:0",
        pickable=False, **extra,
    )
    return [unc, _marker_layer(data, **extra)]


#: Layer id of the tiled occurrence layer (:func:`tile_layer`).
TILE_LAYER_ID = "occ-tiles"


def tile_layer(url_template: str, max_zoom: int) -> pdk.Layer:
    """Occurrences drawn from XYZ tiles (deck.gl ``TileLayer``, id :data:`TILE_LAYER_ID`): grid
    cells when zoomed out, markers styled like :func:`occurrence_layers` zoomed in.

    Parameters
    ----------
    url_template
        ``…/{z}/{x}/{y}.json`` answering GeoJSON point features (see
        :func:`mineralmap.tiles.tile_features`: cells carry ``n``, ``g``, ``r``; points ``s``).
    max_zoom
        Deepest tile zoom the server answers; deeper views reuse those tiles.

    Returns
    -------
    pydeck.Layer
    """
    cell = "properties.n>0"
    agg_colors = [[*COMMODITY_COLORS[g][:3], 150] for g in COMMODITY_GROUPS]
    return pdk.Layer(
        "TileLayer", data=url_template, id=TILE_LAYER_ID, min_zoom=0, max_zoom=max_zoom,
        point_type="'circle'", point_radius_units=_PX, line_width_units=_PX,
        get_point_radius=f"{cell}?properties.r:("
                         f"{_lookup_expr(_STYLE['radius'], 'properties.s')})",
        get_fill_color=f"{cell}?({_lookup_expr(agg_colors, 'properties.g')}):("
                       f"{_lookup_expr(_STYLE['fill'], 'properties.s')})",
        get_line_color=f"{cell}?[255,255,255,220]:("
                       f"{_lookup_expr(_STYLE['line'], 'properties.s')})",
        get_line_width=f"{cell}?1:({_lookup_expr(_STYLE['width'], 'properties.s')})",
        stroked=True, filled=True, pickable=True, auto_highlight=False,  # see _marker_layer
    )


def stacked_points(occ: pd.DataFrame) -> pd.DataFrame:
    """Points where several mapped rows share one coordinate (e.g. district centroids).

    Coordinates are compared as drawn (rounded to 5 decimals, about 1 m).

    Parameters
    ----------
    occ
        Occurrence frame with ``lon``, ``lat`` (and ``id``).

    Returns
    -------
    pandas.DataFrame
        ``lon``, ``lat``, ``n`` (rows at the point, at least 2) and ``ids`` (tuple of ids in
        frame order), one row per stacked point, most crowded first.
    """
    cols = ["lon", "lat", "n", "ids"]
    if not {"lon", "lat"} <= set(occ.columns) or occ.empty:
        return pd.DataFrame(columns=cols)
    lon = np.round(_num(occ["lon"]), _POINT_DECIMALS)
    lat = np.round(_num(occ["lat"]), _POINT_DECIMALS)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any():
        return pd.DataFrame(columns=cols)
    xy = np.column_stack([lon[ok], lat[ok]])
    _, first, inv, counts = np.unique(xy, axis=0, return_index=True, return_inverse=True,
                                      return_counts=True)
    groups = np.flatnonzero(counts > 1)
    if not len(groups):
        return pd.DataFrame(columns=cols)
    inv = inv.reshape(-1)
    groups = groups[np.argsort(first[groups], kind="stable")]  # first-seen order, then
    groups = groups[np.argsort(-counts[groups], kind="stable")]  # most crowded first
    ids = _sarr(occ, "id")[ok]
    order = np.argsort(inv, kind="stable")  # rows grouped by point, frame order inside
    starts = np.searchsorted(inv[order], groups)
    members = [tuple(ids[order[a:a + n]].tolist()) for a, n in
               zip(starts.tolist(), counts[groups].tolist(), strict=True)]
    return pd.DataFrame({"lon": xy[first[groups], 0], "lat": xy[first[groups], 1],
                         "n": counts[groups].astype(np.int64), "ids": members}, columns=cols)


def stack_layer(stacks: pd.DataFrame) -> pdk.Layer:
    """Counts beside stacked markers (layer id ``"occ-stacks"``; not pickable, so a click goes
    to the marker under it, whose panel lists the stack).

    Dark digits with a white halo (SDF font, digits only): a background box would be a
    ``TextBackgroundLayer``, one more shader program to compile before the first full frame
    (with software WebGL each costs a few hundred ms, issue 16).

    Parameters
    ----------
    stacks
        :func:`stacked_points`.
    """
    data = [{"p": [float(x), float(y)], "n": str(int(n))}
            for x, y, n in zip(stacks["lon"], stacks["lat"], stacks["n"], strict=True)]
    return pdk.Layer(
        "TextLayer", data=data, id="occ-stacks", get_position="p", get_text="n",
        get_size=18, size_units=_PX, get_color=[20, 20, 20, 255],
        get_pixel_offset=[12, -12], character_set="'0123456789'", font_weight=700,
        font_settings={"sdf": True}, outline_width=3, outline_color=[255, 255, 255, 255],
        get_text_anchor="'middle'", get_alignment_baseline="'center'", pickable=False,
    )


# --------------------------------------------------------------------------------------------
# Context layers
# --------------------------------------------------------------------------------------------


def _check_gdf(name: str, gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise ValidationError(f"layer {name!r} must be a GeoDataFrame, got {type(gdf).__name__}")
    if gdf.crs is not None and not gdf.crs.equals(CRS):
        gdf = gdf.to_crs(CRS)
    return gdf


def _text(gdf: gpd.GeoDataFrame, col: str) -> np.ndarray:
    if col not in gdf.columns:
        return np.full(len(gdf), "", dtype=object)
    return _str(gdf[col]).to_numpy(dtype=object)


def _paths(geoms: np.ndarray, simplify: float = 0.0, decimals: int = _LINE_DECIMALS
           ) -> tuple[list[list[list[float]]], np.ndarray]:
    """Lines/polygons -> list of paths (rounded, consecutive duplicates removed).

    Returns the paths and, for each path, the index of its source geometry.
    """
    geoms = np.asarray(geoms, dtype=object)
    # explode multi-part geometries and collections, then polygon parts -> their rings
    parts, src = shapely.get_parts(geoms, return_index=True)
    parts = np.asarray(parts, dtype=object)
    types = shapely.get_type_id(parts)
    poly = types == 3  # Polygon
    if poly.any():
        rings, ridx = shapely.get_parts(shapely.boundary(parts[poly]), return_index=True)
        parts = np.concatenate([parts[~poly], np.asarray(rings, dtype=object)])
        src = np.concatenate([src[~poly], src[poly][ridx]])
        order = np.argsort(src, kind="stable")
        parts, src = parts[order], src[order]
        types = shapely.get_type_id(parts)
    keep = (types == 1) | (types == 2)  # LineString / LinearRing
    parts, src = parts[keep], src[keep]
    if simplify > 0 and len(parts):
        parts = shapely.simplify(parts, simplify, preserve_topology=False)
    if len(parts) == 0:
        return [], np.zeros(0, dtype=np.int64)
    xy, idx = shapely.get_coordinates(parts, return_index=True)
    xy = np.round(xy, decimals)
    dup = np.zeros(len(xy), dtype=bool)
    dup[1:] = (idx[1:] == idx[:-1]) & np.all(xy[1:] == xy[:-1], axis=1)
    xy, idx = xy[~dup], idx[~dup]
    counts = np.bincount(idx, minlength=len(parts))
    good = counts >= 2
    ends = np.cumsum(counts)
    starts = ends - counts
    flat = xy.tolist()
    paths = [flat[a:b] for a, b, g in zip(starts.tolist(), ends.tolist(), good.tolist(),
                                            strict=True) if g]
    return paths, src[good]


def _edge_network(geoms: np.ndarray) -> np.ndarray:
    """Outlines of polygons (and lines) as one network in which every edge appears once.

    Neighbouring units share their border: drawn per polygon, each shared edge is drawn twice
    (for districts 43 % of the segments). Boundaries carry no per-unit attribute on the map
    (not pickable), so they are drawn from the union of the outlines, merged into lines between
    junctions.
    """
    parts = shapely.get_parts(np.asarray(geoms, dtype=object))
    types = shapely.get_type_id(parts)
    lines = np.where(types == 3, shapely.boundary(parts), parts)
    lines = lines[np.isin(shapely.get_type_id(lines), (1, 2, 5))]  # (Multi)LineString, ring
    if len(lines) == 0:
        return np.zeros(0, dtype=object)
    return np.asarray(shapely.get_parts(shapely.line_merge(shapely.union_all(lines))),
                      dtype=object)


def _merge_lines(geoms: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Join the lines sharing a key (same class/ref, same line/status) end to end.

    Fewer, longer paths: less per-record overhead and no repeated shared end points.
    Returns the merged geometries and, for each, the index of a source row carrying its key.
    """
    codes = pd.factorize(pd.Series(keys, dtype=object))[0]
    parts, src = shapely.get_parts(np.asarray(geoms, dtype=object), return_index=True)
    parts = np.asarray(parts, dtype=object)
    line = np.isin(shapely.get_type_id(parts), (1, 2))
    parts, src = parts[line], src[line]
    if len(parts) == 0:
        return np.zeros(0, dtype=object), np.zeros(0, dtype=np.int64)
    groups, inv = np.unique(codes[src], return_inverse=True)
    order = np.argsort(inv, kind="stable")
    merged = shapely.line_merge(shapely.multilinestrings(parts[order], indices=inv[order]))
    rows_of_group = np.zeros(len(groups), dtype=np.int64)
    rows_of_group[inv[::-1]] = src[::-1]  # first source row of each group
    return np.asarray(merged, dtype=object), rows_of_group


def _point_xy(name: str, gdf: gpd.GeoDataFrame) -> tuple[list[list[float]], np.ndarray]:
    geoms = gdf.geometry.to_numpy()
    ok = ~missing_or_empty(geoms)
    pts = shapely.point_on_surface(geoms[ok]) if ok.any() else geoms[ok]
    xy = shapely.get_coordinates(pts)
    return np.round(xy, _POINT_DECIMALS).tolist(), np.flatnonzero(ok)


def static_layer_payload(name: str, gdf: gpd.GeoDataFrame) -> list[dict]:
    """The data records of one context layer (compute once, cache by catalog key + name).

    Parameters
    ----------
    name
        One of :data:`CONTEXT_LAYER_IDS`.
    gdf
        The layer (EPSG:4326; other CRSs are reprojected). Columns follow
        :data:`mineralmap.schema.LAYER_COLUMNS`; missing optional columns just shorten tooltips.

    Returns
    -------
    list of dict
        Lines: ``{"path": [[lon, lat], …], "c": rgba, "w": px, "t": tooltip}`` (boundaries have
        no ``t``); points: ``{"p": [lon, lat], "t": tooltip}`` plus ``"c"``/``"l"``/``"r"``
        where the style varies per feature (ports, towns, power plants).

    Raises
    ------
    ValidationError
        Unknown layer name or not a GeoDataFrame.
    """
    if name not in CONTEXT_LAYER_LABELS:
        raise ValidationError(
            f"unknown map layer {name!r}; choose from {', '.join(CONTEXT_LAYER_IDS)}")
    gdf = _check_gdf(name, gdf)
    if len(gdf) == 0:
        return []
    if name in _BOUNDARY_STYLES:
        paths, _ = _paths(_edge_network(gdf.geometry.to_numpy()), _SIMPLIFY_DEG[name])
        return [{"path": p} for p in paths]
    if name == "roads":
        fclass = pd.Series(_text(gdf, "fclass")).str.replace("_link", "", regex=False)
        keep = fclass.isin(list(_ROAD_STYLES)).to_numpy()
        sub = gdf.loc[keep]
        fc = fclass[keep].to_numpy()
        ref, nm = _text(sub, "ref"), _text(sub, "name")
        label = np.where(ref != "", ref, nm)
        merged, rows = _merge_lines(sub.geometry.to_numpy(), np.char.add(
            np.char.add(fc.astype(str), "|"), label.astype(str)))
        paths, src = _paths(merged, _SIMPLIFY_DEG[name])
        src = rows[src]
        tips = [(f"{lab} · {c} road" if lab else f"{c} road") for lab, c in
                zip(label[src].tolist(), fc[src].tolist(), strict=True)]
        styles = [_ROAD_STYLES[c] for c in fc[src].tolist()]
        return [{"path": p, "c": st[0], "w": st[1], "t": t}
                for p, st, t in zip(paths, styles, tips, strict=True)]
    if name == "railways":
        # running lines only: sidings, yards, spurs and crossovers (OSM ``service``; in the mirror's
        # railways 1,659 of 3,015 pieces, median 0.2 km) are invisible at a national scale yet were 37 % of the
        # drawn segments; they stay in the data and the exports
        gdf = gdf.loc[_text(gdf, "track_role") != SERVICE_TRACK]
        status = _text(gdf, "status")
        if "active" in gdf.columns:
            active = gdf["active"].fillna(False).astype(bool).to_numpy()
        else:
            active = status == "active"
        status = np.where(status != "", status, np.where(active, "active", "inactive"))
        line = _text(gdf, "pr_line")
        key = np.char.add(np.char.add(np.char.add(line.astype(str), "|"), status.astype(str)),
                          np.where(active, "|1", "|0"))
        merged, rows = _merge_lines(gdf.geometry.to_numpy(), key)
        paths, src = _paths(merged, _SIMPLIFY_DEG[name])
        src = rows[src]
        tips = [(f"{ln} · railway ({s})" if ln else f"railway ({s})") for ln, s in
                zip(line[src].tolist(), status[src].tolist(), strict=True)]
        styles = [_RAIL_ACTIVE if a else _RAIL_INACTIVE for a in active[src].tolist()]
        return [{"path": p, "c": st[0], "w": st[1], "t": t}
                for p, st, t in zip(paths, styles, tips, strict=True)]
    xy, rows = _point_xy(name, gdf)
    sub = gdf.iloc[rows]
    tips = _point_tips(name, sub)
    recs = [{"p": p, "t": t} for p, t in zip(xy, tips, strict=True)]
    if name == "ports":
        minor = _text(sub, "kind") != "seaport"
        for r, m in zip(recs, minor.tolist(), strict=True):
            st = _MINOR_PORT if m else _POINT_STYLES["ports"]
            r.update(c=st["fill"], l=st["line"], r=st["radius"])
    elif name == "towns":
        pop = _num(sub["population"]) if "population" in sub.columns else np.full(len(sub), np.nan)
        rad = np.clip(1.5 + 0.9 * np.log10(np.where(np.isfinite(pop) & (pop > 0), pop, 1e3) / 1e3),
                      1.5, 6.0)
        for r, v in zip(recs, np.round(rad, 1).tolist(), strict=True):
            r["r"] = v
    elif name == "power_plants":
        cap = (_num(sub["capacity_mw"]) if "capacity_mw" in sub.columns
               else np.full(len(sub), np.nan))
        rad = np.clip(2.5 + 1.2 * np.log10(np.where(np.isfinite(cap) & (cap > 0), cap, 10) / 10),
                      2.5, 8.0)
        for r, v in zip(recs, np.round(rad, 1).tolist(), strict=True):
            r["r"] = v
    return recs


def _point_tips(name: str, g: gpd.GeoDataFrame) -> list[str]:
    nm = pd.Series(_text(g, "name"))
    if name == "ports":
        kind = pd.Series(_text(g, "kind"))
        code = pd.Series(_text(g, "locode"))
        what = kind.map({"seaport": "seaport", "minor": "minor port (town point, not a berth)"}
                        ).fillna("port")
        tip = nm + " · " + what
        return tip.where(code == "", tip + " (" + code + ")").tolist()
    if name == "rail_stations":
        return (nm + " · rail station").tolist()
    if name == "airports":
        icao, iata, city = (pd.Series(_text(g, c)) for c in ("icao", "iata", "city"))
        codes = (icao + "/" + iata).str.strip("/")
        tip = nm + (" (" + codes + ")").where(codes != "", "") + " · airport"
        return tip.where(city == "", tip + ", " + city).tolist()
    if name == "towns":
        pop = _num(g["population"]) if "population" in g.columns else np.full(len(g), np.nan)
        ptxt = pd.Series(_km_text(pop).to_numpy())
        return (nm + " · town" + ("\npopulation " + ptxt).where(ptxt != "", "")).tolist()
    if name == "border_crossings":
        ctry = pd.Series(_text(g, "country"))
        return (nm + " · border crossing" + (" to " + ctry).where(ctry != "", "")).tolist()
    if name == "dry_ports":
        code = pd.Series(_text(g, "locode"))
        return (nm + " · dry port" + (" (" + code + ")").where(code != "", "")).tolist()
    if name == "power_plants":
        cap = _num(g["capacity_mw"]) if "capacity_mw" in g.columns else np.full(len(g), np.nan)
        ctxt = pd.Series(_km_text(cap, "{:,.0f} MW").to_numpy())
        fuel = pd.Series(_text(g, "primary_fuel")).str.lower()
        yr = _num(g["commissioning_year"]) if "commissioning_year" in g.columns \
            else np.full(len(g), np.nan)
        ytxt = pd.Series(_km_text(yr, "{:.0f}").to_numpy())
        desc = (ctxt + " " + fuel).str.strip()
        tip = nm + " · power plant" + ("\n" + desc).where(desc != "", "")
        return tip.where(ytxt == "", tip + " (" + ytxt + ")").tolist()
    return nm.tolist()


#: Context layers drawn as straight segments (deck.gl ``LineLayer``), not paths: with software
#: WebGL (VDI, older laptops, headless Chromium) the first ``PathLayer`` on a page costs about
#: 1.5 s before the map shows (its shaders), a ``LineLayer`` about 0.1 s (issue 16,
#: ``benchmarks/bench_browser.py``). Thin lines look the same either way; roads (thick, rounded
#: joins, off by default) stay paths.
SEGMENT_LAYERS: frozenset[str] = frozenset({"provinces", "districts", "railways"})

#: ``track_role`` of the railway pieces that are not running lines (left off the map).
SERVICE_TRACK = "service_track"


def wire_records(name: str, payload: list[dict]) -> list[dict]:
    """The records a context layer sends to deck.gl: ``payload`` of :func:`static_layer_payload`,
    with the paths of :data:`SEGMENT_LAYERS` split into segments.

    Parameters
    ----------
    name
        Layer id.
    payload
        Records of :func:`static_layer_payload` (records that are segments already pass).

    Returns
    -------
    list of dict
        For a segment layer ``{"s": [lon, lat], "e": [lon, lat]}`` per segment, plus the path's
        colour ``c`` and width ``w`` when it has them (tooltips are dropped: these layers are not
        pickable); other layers' records unchanged.
    """
    if name not in SEGMENT_LAYERS:
        return payload
    out: list[dict] = []
    for rec in payload:
        path = rec.get("path")
        if path is None:
            out.append(rec)
            continue
        extra = {k: rec[k] for k in ("c", "w") if k in rec}
        out.extend({"s": a, "e": b, **extra} for a, b in zip(path[:-1], path[1:], strict=True))
    return out


def context_layer(name: str, payload: list[dict]) -> pdk.Layer:
    """Wrap one context layer's (cached) payload into a pdk.Layer with its stable id.

    Parameters
    ----------
    name
        One of :data:`CONTEXT_LAYER_IDS` (also the layer id).
    payload
        Records from :func:`static_layer_payload`.

    Returns
    -------
    pydeck.Layer
    """
    if name not in CONTEXT_LAYER_LABELS:
        raise ValidationError(
            f"unknown map layer {name!r}; choose from {', '.join(CONTEXT_LAYER_IDS)}")
    if name in _BOUNDARY_STYLES:
        col, w = _BOUNDARY_STYLES[name]
        return pdk.Layer("LineLayer", data=wire_records(name, payload), id=name,
                         get_source_position="s", get_target_position="e", get_color=col,
                         get_width=w, width_units=_PX, width_min_pixels=0.5, pickable=False)
    if name == "railways":
        # Not pickable: see roads below.
        return pdk.Layer("LineLayer", data=wire_records(name, payload), id=name,
                         get_source_position="s", get_target_position="e", get_color="c",
                         get_width="w", width_units=_PX, pickable=False)
    if name == "roads":
        # Not pickable: with software WebGL one pick over thousands of paths costs ~0.5-1.4 s,
        # longer than deck.gl's tap window, so clicks on occurrence markers would be lost.
        return pdk.Layer("PathLayer", data=payload, id=name, get_path="path", get_color="c",
                         get_width="w", width_units=_PX, pickable=False,
                         cap_rounded=True, joint_rounded=True)
    st = _POINT_STYLES[name]
    varying = set(payload[0]) if payload else set()
    return pdk.Layer(
        "ScatterplotLayer", data=payload, id=name, get_position="p",
        get_fill_color="c" if "c" in varying else st["fill"],
        get_line_color="l" if "l" in varying else st["line"],
        get_radius="r" if "r" in varying else st["radius"],
        radius_units=_PX, line_width_units=_PX, get_line_width=1.5,
        stroked=True, filled=True, pickable=True, auto_highlight=False,  # see _marker_layer
        extensions=_filter_extension(), **_PASS_FILTER,
    )


def context_layers(layers: Mapping[str, gpd.GeoDataFrame],
                   visible: Collection[str]) -> list[pdk.Layer]:
    """Toggleable static layers (boundaries, roads, rail, ports, …) in drawing order.

    Parameters
    ----------
    layers
        Cached bulk layers keyed as in :data:`mineralmap.schema.LAYER_COLUMNS`.
    visible
        Names (from :data:`CONTEXT_LAYER_IDS`) to draw; names whose layer is absent from
        ``layers`` are skipped.

    Returns
    -------
    list of pydeck.Layer
        One layer per visible name, id = name, bottom (boundaries) to top (ports).

    Raises
    ------
    ValidationError
        A visible name is not a known context layer.
    """
    unknown = [v for v in visible if v not in CONTEXT_LAYER_LABELS]
    if unknown:
        raise ValidationError(
            f"unknown map layer(s) {', '.join(map(repr, unknown))}; choose from "
            f"{', '.join(CONTEXT_LAYER_IDS)}")
    return [context_layer(n, static_layer_payload(n, layers[n]))
            for n in DRAW_ORDER if n in visible and n in layers]


# --------------------------------------------------------------------------------------------
# Routes and region
# --------------------------------------------------------------------------------------------

_ROUTE_COLOR = [170, 0, 170, 235]  # strong magenta: distinct from Sb, REE and the roads
_ROUTE_PALETTE = ([0, 114, 178, 230], [213, 94, 0, 230], [0, 158, 115, 230],
                  [204, 121, 167, 230], [230, 159, 0, 230], [86, 180, 233, 230])


def route_layer(route: shapely.LineString | None, port_name: str | None) -> pdk.Layer | None:
    """The road route of the selected occurrence to its port (layer id ``"route"``).

    Parameters
    ----------
    route
        LineString (or MultiLineString) in EPSG:4326, or None.
    port_name
        Destination port shown in the tooltip.

    Returns
    -------
    pydeck.Layer or None
        None when there is no route to draw.
    """
    if route is None or shapely.is_empty(route):
        return None
    paths, _ = _paths(np.array([route], dtype=object), decimals=_POINT_DECIMALS)
    if not paths:
        return None
    t = f"road route to {port_name}" if port_name else "road route"
    return pdk.Layer("PathLayer", data=[{"path": p, "t": t} for p in paths], id="route",
                     get_path="path", get_color=_ROUTE_COLOR, get_width=5,
                     width_units=_PX, cap_rounded=True, joint_rounded=True,
                     pickable=True)


def routes_layer(routes: Sequence[tuple[str, shapely.LineString]],
                 colors: Mapping[str, Sequence[int]] | None = None) -> pdk.Layer:
    """Several routes coloured by destination port (layer id ``"routes"``).

    Parameters
    ----------
    routes
        ``(port_name, LineString)`` pairs; empty or missing geometries are skipped.
    colors
        RGBA colour per port name; ports without one get a colour-blind-safe palette colour.

    Returns
    -------
    pydeck.Layer
    """
    colors = dict(colors or {})
    ports = [p for p, _ in routes]
    palette = {}
    for p in dict.fromkeys(ports):
        palette[p] = list(colors.get(p, _ROUTE_PALETTE[len(palette) % len(_ROUTE_PALETTE)]))
    geoms = np.array([g if g is not None else shapely.LineString() for _, g in routes],
                     dtype=object)
    data: list[dict] = []
    if len(geoms):
        paths, src = _paths(geoms, decimals=_POINT_DECIMALS)
        data = [{"path": p, "c": palette[ports[i]], "t": f"road route to {ports[i]}"}
                for p, i in zip(paths, src.tolist(), strict=True)]
    return pdk.Layer("PathLayer", data=data, id="routes", get_path="path", get_color="c",
                     get_width=3, width_units=_PX, cap_rounded=True, joint_rounded=True,
                     pickable=True)


def region_layer(geom: shapely.Geometry | None) -> pdk.Layer:
    """The selected region (layer id ``"region"``): translucent fill, dashed-free bold outline.

    Parameters
    ----------
    geom
        Polygon or MultiPolygon in EPSG:4326 (None or empty gives an empty layer).

    Returns
    -------
    pydeck.Layer
        A GeoJsonLayer with one feature (coordinates rounded to 5 decimals).
    """
    features = []
    if geom is not None and not shapely.is_empty(geom):
        g = shapely.set_precision(geom, 10 ** -_POINT_DECIMALS)
        gj = json.loads(shapely.to_geojson(g))
        features.append({"type": "Feature", "geometry": gj,
                         "properties": {"t": "selected region"}})
    return pdk.Layer("GeoJsonLayer", data={"type": "FeatureCollection", "features": features},
                     id="region", stroked=True, filled=True,
                     get_fill_color=[255, 200, 0, 40], get_line_color=[200, 120, 0, 230],
                     line_width_units=_PX, get_line_width=2.5, pickable=False)


# --------------------------------------------------------------------------------------------
# Deck
# --------------------------------------------------------------------------------------------


def _dumps(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, default=default_serialize, separators=(",", ":"),
                      ensure_ascii=False)


class FrozenLayer:
    """A static layer serialised once: :class:`MapDeck` splices its JSON in on every rerun.

    Boundaries, roads and railways do not change between reruns; re-encoding their hundreds of
    kilobytes of paths on every filter change was most of a rerun's server time.

    Parameters
    ----------
    layer
        The pydeck layer to freeze.
    """

    __slots__ = ("id", "json")
    data = None  # st.pydeck_chart inspects ``layer.data``; the payload lives in ``json``

    def __init__(self, layer: pdk.Layer) -> None:
        self.id = layer.id
        self.json = _dumps(layer)


def freeze(layer: pdk.Layer) -> FrozenLayer:
    """Serialise ``layer`` once for reuse in many decks (see :class:`FrozenLayer`)."""
    return FrozenLayer(layer)


class MapDeck(pdk.Deck):
    """A ``pdk.Deck`` whose ``to_json`` is compact (no indentation, UTF-8).

    ``st.pydeck_chart`` sends ``deck.to_json()`` to the browser; pydeck's default indents by two
    spaces per nesting level, which more than doubles the bytes of a point layer. Layers given
    as :class:`FrozenLayer` are not serialised again.
    """

    def to_json(self) -> str:  # noqa: D102 - see class docstring
        layers = list(self.layers)
        if not any(isinstance(lyr, FrozenLayer) for lyr in layers):
            return _dumps(self)
        self.layers = []
        try:
            head = _dumps(self)
        finally:
            self.layers = layers
        marker = '"layers":[]'
        if head.count(marker) != 1:  # pragma: no cover - defensive, pydeck's key is "layers"
            raise ValidationError("cannot place frozen layers in the deck JSON")
        body = ",".join(lyr.json if isinstance(lyr, FrozenLayer) else _dumps(lyr) for lyr in layers)
        return head.replace(marker, f'"layers":[{body}]', 1)


def payload_bytes(layer: pdk.Layer) -> int:
    """UTF-8 bytes of one layer's compact JSON (what :class:`MapDeck` sends for it).

    Parameters
    ----------
    layer
        Any pydeck layer.

    Returns
    -------
    int
    """
    return len(_dumps(layer).encode("utf-8"))


def _dark_replacements() -> tuple[tuple[str, str], ...]:
    pairs: list[tuple[str, str]] = []
    for light, dark in DARK_PALETTE.items():
        pairs.append((_lit(list(light)), _lit(list(dark))))
    return tuple(pairs)


@functools.lru_cache(maxsize=64)
def _dark_json(layer_json: str) -> str:
    for old, new in _dark_replacements():
        layer_json = layer_json.replace(old, new)
    return layer_json


def dark_variant(layer: pdk.Layer | FrozenLayer) -> pdk.Layer | FrozenLayer:
    """The same layer with the line colours of :data:`DARK_PALETTE` (dark basemap).

    Dark railway, boundary and road colours vanish on the dark basemap; they are swapped for
    light ones in the layer's compact JSON (colours are exact ``[r,g,b,a]`` lists, see
    :data:`DARK_PALETTE`). Layers without such colours come back unchanged.

    Parameters
    ----------
    layer
        A pydeck layer or a :class:`FrozenLayer`.

    Returns
    -------
    pydeck.Layer or FrozenLayer
        A :class:`FrozenLayer` when a colour was swapped, else ``layer`` itself.
    """
    raw = layer.json if isinstance(layer, FrozenLayer) else _dumps(layer)
    dark = _dark_json(raw)
    if dark == raw:
        return layer
    out = FrozenLayer.__new__(FrozenLayer)
    out.id = layer.id
    out.json = dark
    return out


def make_deck(layers: Sequence[pdk.Layer | None], view: Mapping[str, float] | None = None,
              basemap: str = "light") -> MapDeck:
    """Assemble the deck with a basemap choice, initial view and the shared tooltip.

    Parameters
    ----------
    layers
        Layers bottom to top (None entries are dropped).
    view
        ``latitude``, ``longitude``, ``zoom`` (and optionally ``pitch``, ``bearing``); missing
        keys come from :data:`DEFAULT_VIEW` (Pakistan).
    basemap
        ``"light"`` / ``"dark"`` (CARTO tiles, need internet; ``"dark"`` swaps the line colours
        for :data:`DARK_PALETTE`) or ``"none"`` (no tiles and no style fetched; our own
        boundary layers keep the map readable, background follows the app theme).

    Returns
    -------
    MapDeck

    Raises
    ------
    ValidationError
        Unknown basemap or non-numeric view values.
    """
    if basemap not in BASEMAPS:
        raise ValidationError(f"unknown basemap {basemap!r}; choose one of {', '.join(BASEMAPS)}")
    v = dict(DEFAULT_VIEW)
    for k, val in (view or {}).items():
        if k not in DEFAULT_VIEW:
            continue
        try:
            f = float(val)
        except (TypeError, ValueError):
            raise ValidationError(f"map view {k}={val!r} is not a number") from None
        if not math.isfinite(f):
            raise ValidationError(f"map view {k}={val!r} is not a finite number")
        v[k] = f
    stack = [lyr for lyr in layers if lyr is not None]
    if basemap == "dark":
        stack = [dark_variant(lyr) for lyr in stack]
    deck = copy.copy(_deck_template(basemap))
    deck.layers = stack
    deck.initial_view_state = pdk.ViewState(**v)
    return deck


@functools.lru_cache(maxsize=len(BASEMAPS))
def _deck_template(basemap: str) -> MapDeck:
    """A deck without layers for ``basemap`` (copied by :func:`make_deck`): ``pdk.Deck()``
    tries to import pydeck's Jupyter widget six times per deck, a failing import that searched
    the file system on every rerun (a few ms)."""
    tooltip = {"html": _TOOLTIP_HTML, "style": dict(_TOOLTIP_STYLE)}
    kw: dict[str, Any] = {}
    if basemap == "none":
        # pydeck's own "no style" sentinel; map_style=None would drop the key, and Streamlit then
        # fetches its theme's default CARTO style (console errors offline).
        kw.update(map_provider=None, map_style=NO_BASEMAP_STYLE)
    else:
        kw.update(map_provider="carto", map_style=basemap)
    return MapDeck(layers=[], initial_view_state=pdk.ViewState(**DEFAULT_VIEW), tooltip=tooltip,
                   **kw)
