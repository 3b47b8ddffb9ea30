"""Static figures of the region brief (:mod:`mineralmap.brief`): the map page and the haul chart.

Drawn with matplotlib from the project's own layers only (no tiles, no network), in the project's
one metric projection (:data:`mineralmap._geo.METRIC_CRS`, Lambert conformal conic for Pakistan),
so the scale bar and the uncertainty circles are in true kilometres (scale error < 1 % over
Pakistan). Styles follow the app (:mod:`mineralmap.layers`): colour by commodity group, marker by
location-precision class, translucent uncertainty circles of radius ``precision_km``.

Output is SVG (vector: WeasyPrint embeds it as PDF vector graphics) or PNG. Large selections
(more than :data:`RASTER_ABOVE` mapped points) draw the occurrence markers and circles as one
embedded 200 dpi image inside the otherwise vector figure, which keeps the file small.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from mineralmap._geo import METRIC_CRS, has_geometry, to_lonlat, to_metric
from mineralmap._lazy import mpl_collections, mpl_figure, mpl_lines, mpl_patches, mpl_path
from mineralmap.layers import (
    COMMODITY_COLORS,
    COMMODITY_LABELS,
    PRECISION_STYLES,
    legend_entries,
)
from mineralmap.schema import COMMODITY_GROUPS, PRECISION_CLASSES, PRIMARY_ROAD_CLASSES

if TYPE_CHECKING:  # matplotlib is imported on first use (mineralmap._lazy)
    from matplotlib.figure import Figure

#: Above this many mapped points, markers and circles are embedded as one raster image.
RASTER_ABOVE = 2_000
#: Resolution (dots per inch) of PNG output and of rasterised parts of the SVG.
DPI = 200
#: Above this many mapped points, markers carry no number label.
LABEL_MAX = 50
#: Smallest map span (km) so that a single point still shows its surroundings.
MIN_SPAN_KM = 60.0

_MM = 1 / 25.4
_FONT = "DejaVu Sans"
_OUTLINE_COLOR = "#aa00aa"  # the app's route magenta: distinct from Sb, REE and the roads


def _rgba(c: Sequence[int]) -> tuple[float, ...]:
    return tuple(v / 255 for v in c[:4]) if len(c) >= 4 else (*[v / 255 for v in c[:3]], 1.0)


def _legend_colors() -> dict[str, str]:
    """App legend colours by label (roads, railways, boundaries, ports)."""
    visible = ("roads", "railways", "provinces", "districts", "ports")
    return {e["label"]: e["color"] for e in legend_entries(visible)}


_LEG = _legend_colors()
_ROAD_STYLE: dict[str, tuple[str, float]] = {
    "motorway": (_LEG.get("Motorway road", "#28468c"), 1.3),
    "trunk": (_LEG.get("Trunk road", "#4669aa"), 1.0),
    "primary": (_LEG.get("Primary road", "#7391c3"), 0.7),
}
_RAIL_ACTIVE = _LEG.get("Railway, active", "#191919")
_RAIL_INACTIVE = _LEG.get("Railway, abandoned / disused / proposed", "#969696")
_PROVINCE = _LEG.get("Province boundaries", "#2d2d2d")
_DISTRICT = _LEG.get("District boundaries", "#6e6e6e")
_SEAPORT = _LEG.get("Seaport", "#000000")


def _metric(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return gdf.to_crs(METRIC_CRS)


def _lines_xy(geoms: np.ndarray) -> list[np.ndarray]:
    """Vertex arrays of every line part (LineString/MultiLineString/polygon boundaries)."""
    geoms = np.asarray(geoms, dtype=object)
    geoms = geoms[has_geometry(geoms)]
    if not len(geoms):
        return []
    bounds = shapely.boundary(geoms)
    is_poly = np.isin(shapely.get_type_id(geoms), (3, 6))
    lines = np.where(is_poly, bounds, geoms)
    parts = shapely.get_parts(lines)
    parts = parts[shapely.get_type_id(parts) == 1]
    xy, idx = shapely.get_coordinates(parts, return_index=True)
    if not len(xy):
        return []
    cuts = np.flatnonzero(np.diff(idx)) + 1
    return [seg for seg in np.split(xy, cuts) if len(seg) > 1]


def _draw_lines(ax, gdf: gpd.GeoDataFrame | None, color, width: float, *, extent_box,
                tol: float, z: float, style: str = "solid") -> int:
    """Clip, simplify and draw the lines of ``gdf`` (metric CRS); returns the parts drawn."""
    if gdf is None or not len(gdf):
        return 0
    geoms = np.asarray(gdf.geometry.to_numpy(), dtype=object)
    geoms = geoms[has_geometry(geoms)]
    if not len(geoms):
        return 0
    geoms = geoms[shapely.intersects(geoms, extent_box)]
    if not len(geoms):
        return 0
    geoms = shapely.simplify(shapely.clip_by_rect(geoms, *extent_box.bounds), tol)
    segs = _lines_xy(geoms)
    _add_path(ax, segs, color, width, z=z, style=style)
    return len(segs)


def _add_path(ax, segs: list[np.ndarray], color, width: float, *, z: float,
              style: Any = "solid") -> None:
    """Draw line parts as ONE compound path (one SVG/PDF object, not one per part)."""
    if not segs:
        return
    verts = np.concatenate(segs)
    codes = np.full(len(verts), mpl_path.Path.LINETO, dtype=np.uint8)
    starts = np.cumsum([0, *[len(s) for s in segs[:-1]]])
    codes[starts] = mpl_path.Path.MOVETO
    ax.add_patch(mpl_patches.PathPatch(
        mpl_path.Path(verts, codes), fill=False, edgecolor=color, linewidth=width,
        linestyle=style, capstyle="round", joinstyle="round", zorder=z))


def _nice_km(span_km: float) -> float:
    """A round scale-bar length of about a quarter of ``span_km``."""
    target = max(span_km / 4, 1e-3)
    mag = 10 ** math.floor(math.log10(target))
    for m in (5, 2, 1):
        if m * mag <= target:
            return m * mag
    return mag


def extent(points_xy: np.ndarray, outline: BaseGeometry | None, aspect: float
           ) -> tuple[float, float, float, float]:
    """Map extent (metric x0, y0, x1, y1) covering the outline and points, padded, at ``aspect``.

    Parameters
    ----------
    points_xy
        (n, 2) metric coordinates of the mapped occurrences.
    outline
        Region outline in the metric CRS, or None.
    aspect
        Width / height of the map axes.
    """
    boxes = []
    if len(points_xy):
        boxes.append((*points_xy.min(axis=0), *points_xy.max(axis=0)))
    if outline is not None and not outline.is_empty:
        boxes.append(outline.bounds)
    if not boxes:  # nothing mapped and no outline: all of Pakistan
        x, y = to_metric(np.array([60.8, 77.9]), np.array([23.6, 37.1]))
        boxes.append((x[0], y[0], x[1], y[1]))
    b = np.array(boxes, dtype=float)
    x0, y0, x1, y1 = b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()
    w = max(x1 - x0, MIN_SPAN_KM * 1000) * 1.12
    h = max(y1 - y0, MIN_SPAN_KM * 1000) * 1.12
    if w / h < aspect:
        w = h * aspect
    else:
        h = w / aspect
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2


def _marker_kw(group: str, cls: str, scale: float) -> dict:
    st = PRECISION_STYLES[cls]
    col = _rgba(COMMODITY_COLORS.get(group, COMMODITY_COLORS["other"]))
    size = (st["radius"] * scale) ** 2
    if st["fill"]:
        edge = _rgba(st["outline"]) if st["outline"] is not None else col
        return {"s": size, "c": [col], "edgecolors": [edge], "linewidths": st["line_width"] * 0.6}
    return {"s": size, "facecolors": "none", "edgecolors": [col],
            "linewidths": st["line_width"] * 0.8}


def _north_arrow(ax, x0, y0, x1, y1) -> None:
    """Arrow towards true north at the upper-left corner (grid convergence of the projection)."""
    w, h = x1 - x0, y1 - y0
    bx, by = x0 + 0.05 * w, y0 + 0.83 * h
    lon, lat = to_lonlat(np.array([bx]), np.array([by]))
    nx, ny = to_metric(lon, lat + 0.05)
    ang = math.atan2(float(nx[0] - bx), float(ny[0] - by))
    length = 0.09 * h
    dx, dy = length * math.sin(ang), length * math.cos(ang)
    ax.add_patch(mpl_patches.FancyArrow(bx, by, dx, dy, width=0.012 * h, head_width=0.04 * h,
                                        head_length=0.035 * h, length_includes_head=True,
                                        color="black", zorder=20))
    ax.text(bx + dx * 1.2, by + dy * 1.2, "N", ha="center", va="bottom", fontsize=9,
            fontweight="bold", zorder=20, family=_FONT)


def _scale_bar(ax, x0, y0, x1, y1) -> None:
    """Scale bar in km at the lower-left corner (metric CRS: 1 unit = 1 m)."""
    w, h = x1 - x0, y1 - y0
    km = _nice_km(w / 1000)
    bx, by = x0 + 0.04 * w, y0 + 0.05 * h
    half = km * 500
    for i, col in enumerate(("black", "white")):
        ax.add_patch(mpl_patches.Rectangle((bx + i * half, by), half, 0.012 * h, facecolor=col,
                                           edgecolor="black", linewidth=0.6, zorder=20))
    label = f"{km:g} km"
    ax.text(bx, by + 0.02 * h, "0", ha="center", va="bottom", fontsize=7, zorder=20, family=_FONT)
    ax.text(bx + km * 1000, by + 0.02 * h, label, ha="center", va="bottom", fontsize=7,
            zorder=20, family=_FONT)


def _occurrence_xy(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(mask of mapped rows, (n, 2) metric xy of those rows)."""
    if isinstance(rows, gpd.GeoDataFrame):
        geoms = np.asarray(rows.geometry.to_numpy(), dtype=object)
        ok = has_geometry(geoms)
        lon = np.full(len(rows), np.nan)
        lat = np.full(len(rows), np.nan)
        lon[ok] = shapely.get_x(geoms[ok])
        lat[ok] = shapely.get_y(geoms[ok])
    else:
        lon = pd.to_numeric(rows.get("lon"), errors="coerce").to_numpy(dtype=float)
        lat = pd.to_numeric(rows.get("lat"), errors="coerce").to_numpy(dtype=float)
    ok = np.isfinite(lon) & np.isfinite(lat)
    x, y = to_metric(lon[ok], lat[ok])
    return ok, np.column_stack([x, y]) if ok.any() else np.zeros((0, 2))


def _layer(layers: Mapping[str, gpd.GeoDataFrame], name: str) -> gpd.GeoDataFrame | None:
    """Layer ``name``, or None when it is missing or empty."""
    g = layers.get(name)
    if g is None or not len(g):
        return None
    return g


def _setup_axes(ax, box: tuple[float, float, float, float]) -> None:
    """Limits, equal aspect, no ticks and the sea colour of the map axes."""
    x0, y0, x1, y1 = box
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_facecolor("#eef4f8")  # sea / outside the country layer


def _draw_countries(ax, countries: gpd.GeoDataFrame | None, ext: BaseGeometry,
                    tol: float) -> None:
    """Country fills (Pakistan white, neighbours grey) and neighbours' names; none: white map."""
    if countries is None:
        ax.set_facecolor("white")
        return
    x0, y0, x1, y1 = ext.bounds
    cm = _metric(countries)
    cm = cm[cm.intersects(ext)]
    is_pak = cm["country"].astype(str).str.casefold().eq("pakistan") if "country" in cm else False
    for geom, pak in zip(cm.geometry, np.asarray(is_pak, dtype=bool), strict=True):
        g = shapely.simplify(shapely.clip_by_rect(geom, x0, y0, x1, y1), tol)
        gpd.GeoSeries([g]).plot(ax=ax, color="#ffffff" if pak else "#e6e6e6",
                                edgecolor="#9a9a9a", linewidth=0.4, zorder=1)
    for _, r in cm.iterrows():
        if str(r.get("country", "")).casefold() == "pakistan":
            continue
        g = shapely.clip_by_rect(r.geometry, x0, y0, x1, y1)
        if g.is_empty or g.area < 0.02 * ext.area:
            continue
        p = g.representative_point()
        ax.text(p.x, p.y, str(r["country"]).upper(), fontsize=7, color="#8a8a8a",
                ha="center", va="center", zorder=2, family=_FONT)


def _draw_boundaries(ax, layers: Mapping[str, gpd.GeoDataFrame], ext: BaseGeometry,
                     tol: float) -> None:
    """District and province boundary lines."""
    for name, color, width, z in (("districts", _DISTRICT, 0.35, 3),
                                  ("provinces", _PROVINCE, 0.9, 4)):
        g = _layer(layers, name)
        if g is not None:
            _draw_lines(ax, _metric(g), color, width, extent_box=ext, tol=tol, z=z)


def _draw_roads(ax, roads: gpd.GeoDataFrame | None, ext: BaseGeometry, tol: float) -> None:
    """Roads of :data:`mineralmap.schema.PRIMARY_ROAD_CLASSES`, the major classes on top."""
    if roads is None or "fclass" not in roads:
        return
    for cls in reversed(PRIMARY_ROAD_CLASSES):
        sub = roads[roads["fclass"].astype(str) == cls]
        color, width = _ROAD_STYLE[cls]
        _draw_lines(ax, _metric(sub), color, width, extent_box=ext, tol=tol, z=5)


def _draw_railways(ax, rails: gpd.GeoDataFrame | None, ext: BaseGeometry, tol: float) -> None:
    """Railways: not active dashed, active solid on top (all active without an ``active`` column)."""
    if rails is None:
        return
    active = (rails["active"].fillna(False).astype(bool) if "active" in rails
              else pd.Series(True, index=rails.index))
    _draw_lines(ax, _metric(rails[~active]), _RAIL_INACTIVE, 0.6, extent_box=ext, tol=tol,
                z=6, style="dashed")
    _draw_lines(ax, _metric(rails[active]), _RAIL_ACTIVE, 0.9, extent_box=ext, tol=tol, z=6)


def _draw_outline(ax, outline_m: BaseGeometry | None,
                  box: tuple[float, float, float, float]) -> None:
    """The selected region's outline (metric CRS) as a dashed magenta line."""
    if outline_m is None:
        return
    x0, y0, x1, y1 = box
    segs = _lines_xy(np.array([shapely.clip_by_rect(outline_m, x0 - 1, y0 - 1, x1 + 1, y1 + 1)],
                              dtype=object))
    _add_path(ax, segs, _OUTLINE_COLOR, 1.8, z=7, style=(0, (4, 2)))


def _draw_ports(ax, ports: gpd.GeoDataFrame | None, ext: BaseGeometry) -> None:
    """Seaports (large black squares, named) and minor ports (small white squares)."""
    if ports is None:
        return
    pm = _metric(ports)
    pm = pm[pm.intersects(ext)]
    sea = pm["kind"].astype(str).eq("seaport") if "kind" in pm else pd.Series(True, index=pm.index)
    for sub, face, size in ((pm[sea], _SEAPORT, 36), (pm[~sea], "white", 16)):
        if len(sub):
            ax.scatter(sub.geometry.x, sub.geometry.y, s=size, marker="s", c=face,
                       edgecolors="black" if face == "white" else "white", linewidths=0.8,
                       zorder=12)
    for _, r in pm[sea].iterrows():
        ax.annotate(str(r["name"]), (r.geometry.x, r.geometry.y), xytext=(5, -9),
                    textcoords="offset points", fontsize=7, fontweight="bold", zorder=13,
                    family=_FONT)


def _draw_circles(ax, groups: np.ndarray, radius_m: np.ndarray, xy: np.ndarray,
                  raster: bool) -> None:
    """Translucent uncertainty circles (radius in metres), one collection per commodity group."""
    circ = np.isfinite(radius_m) & (radius_m > 0)
    for g in COMMODITY_GROUPS:
        m = circ & (groups == g)
        if m.any():
            col = COMMODITY_COLORS[g]
            ec = mpl_collections.EllipseCollection(
                2 * radius_m[m], 2 * radius_m[m], 0.0, units="xy", offsets=xy[m],
                offset_transform=ax.transData, facecolors=[_rgba([*col[:3], 28])],
                edgecolors=[_rgba([*col[:3], 110])], linewidths=0.5, zorder=8)
            ec.set_rasterized(raster)
            ax.add_collection(ec)


def _draw_markers(ax, groups: np.ndarray, classes: np.ndarray, xy: np.ndarray, scale: float,
                  raster: bool) -> None:
    """Occurrence markers: colour by commodity group, shape by precision class."""
    for g in COMMODITY_GROUPS:
        for cls in PRECISION_CLASSES:
            m = (groups == g) & (classes == cls)
            if m.any():
                sc = ax.scatter(xy[m, 0], xy[m, 1], zorder=10, **_marker_kw(g, cls, scale))
                sc.set_rasterized(raster)


def _draw_labels(ax, xy: np.ndarray, labels: np.ndarray, tol: float) -> None:
    """Number labels beside the markers, stacked where points coincide."""
    seen: dict[tuple[int, int], int] = {}
    for (x, y), text in zip(xy, labels, strict=True):
        key = (round(x / tol / 8), round(y / tol / 8))  # stack labels of coincident points
        k = seen.get(key, 0)
        seen[key] = k + 1
        ax.annotate(str(text), (x, y), xytext=(4, 3 + 8 * k), textcoords="offset points",
                    fontsize=6.5, zorder=14, family=_FONT,
                    bbox={"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none",
                          "alpha": 0.8})


def _draw_occurrences(ax, rows: pd.DataFrame, mapped: np.ndarray, xy: np.ndarray,
                      labels: Sequence[str] | None, tol: float) -> None:
    """Uncertainty circles, markers and (for few points) labels of the mapped rows."""
    n_mapped = int(mapped.sum())
    if not n_mapped:
        return
    raster = n_mapped > RASTER_ABOVE
    sub = rows.loc[mapped]
    groups = sub["commodity_group"].astype(str).where(
        sub["commodity_group"].astype(str).isin(COMMODITY_GROUPS), "other").to_numpy()
    classes = sub["precision"].astype(str).to_numpy()
    radius_m = pd.to_numeric(sub["precision_km"], errors="coerce").to_numpy(dtype=float) * 1000
    _draw_circles(ax, groups, radius_m, xy, raster)
    scale = 1.3 if n_mapped <= LABEL_MAX else 0.55
    _draw_markers(ax, groups, classes, xy, scale, raster)
    if labels is not None and n_mapped <= LABEL_MAX:
        _draw_labels(ax, xy, np.asarray(list(labels), dtype=object)[mapped], tol)


def _decorate(ax, box: tuple[float, float, float, float]) -> None:
    """North arrow, scale bar and frame of the map axes."""
    _north_arrow(ax, *box)
    _scale_bar(ax, *box)
    for spine in ax.spines.values():
        spine.set_linewidth(0.8)
    ax.set_xlabel("")
    ax.set_ylabel("")


def _outline_metric(outline: BaseGeometry | None) -> BaseGeometry | None:
    """The region outline (EPSG:4326) in the metric CRS; None when missing or empty."""
    if outline is None or outline.is_empty:
        return None
    return gpd.GeoSeries([outline], crs="EPSG:4326").to_crs(METRIC_CRS).iloc[0]


def map_figure(rows: pd.DataFrame, layers: Mapping[str, gpd.GeoDataFrame],
               outline: BaseGeometry | None, labels: Sequence[str] | None = None,
               *, width_mm: float = 182.0, height_mm: float = 222.0) -> Figure:
    """The brief's map: context layers, region outline, occurrences, legend, inset, arrow, scale.

    Parameters
    ----------
    rows
        Selected occurrences (EPSG:4326 points; rows without geometry are skipped) with
        ``commodity_group``, ``precision`` and ``precision_km``.
    layers
        Catalog layers (``countries``, ``provinces``, ``districts``, ``roads``, ``railways``,
        ``ports``); a missing or empty layer is simply not drawn.
    outline
        Region outline (EPSG:4326) or None.
    labels
        Label per row (same order as ``rows``), drawn beside mapped markers when there are at
        most :data:`LABEL_MAX` mapped rows; None draws no labels.
    width_mm, height_mm
        Figure size.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig = mpl_figure.Figure(figsize=(width_mm * _MM, height_mm * _MM))
    map_h = 0.70
    ax = fig.add_axes((0.0, 1 - map_h, 1.0, map_h))
    aspect = (width_mm * 1.0) / (height_mm * map_h)
    mapped, xy = _occurrence_xy(rows)
    outline_m = _outline_metric(outline)
    box = extent(xy, outline_m, aspect)
    ext = shapely.box(*box)
    tol = (box[2] - box[0]) / 1000
    _setup_axes(ax, box)
    _draw_countries(ax, _layer(layers, "countries"), ext, tol)
    _draw_boundaries(ax, layers, ext, tol)
    _draw_roads(ax, _layer(layers, "roads"), ext, tol)
    _draw_railways(ax, _layer(layers, "railways"), ext, tol)
    _draw_outline(ax, outline_m, box)
    _draw_ports(ax, _layer(layers, "ports"), ext)
    _draw_occurrences(ax, rows, mapped, xy, labels, tol)
    _decorate(ax, box)

    _inset(fig, layers, box, rect=(0.0, 0.0, 0.30, 1 - map_h - 0.015))
    _legend(fig, rows.loc[mapped] if mapped.any() else rows, outline_m is not None,
            rect=(0.31, 0.0, 0.69, 1 - map_h - 0.015))
    return fig


def _inset(fig: Figure, layers: Mapping[str, gpd.GeoDataFrame], box_xy, rect) -> None:
    """Pakistan's provinces with the map extent as a red rectangle."""
    ax = fig.add_axes(rect)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_aspect("equal")
    prov = layers.get("provinces")
    if prov is not None and len(prov):
        pm = _metric(prov)
        b = pm.total_bounds
        tol = (b[2] - b[0]) / 400
        gpd.GeoSeries(shapely.simplify(np.asarray(pm.geometry.to_numpy(), dtype=object), tol)
                      ).plot(ax=ax, color="#f4f4f4", edgecolor="#555555", linewidth=0.4)
    else:
        x, y = to_metric(np.array([60.8, 77.9]), np.array([23.6, 37.1]))
        b = (x[0], y[0], x[1], y[1])
    x0, y0, x1, y1 = box_xy
    pad = 0.04 * (b[2] - b[0])
    ax.set_xlim(min(b[0], x0) - pad, max(b[2], x1) + pad)
    ax.set_ylim(min(b[1], y0) - pad, max(b[3], y1) + pad)
    ax.add_patch(mpl_patches.Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor="#d00000",
                                       linewidth=1.2, zorder=5))
    ax.set_title("Location in Pakistan", fontsize=7, family=_FONT, pad=2)
    ax.set_xlabel("")
    ax.set_ylabel("")


def _legend(fig: Figure, rows: pd.DataFrame, has_outline: bool, rect) -> None:
    """Legend: commodity colours and precision markers present, circles, lines and ports."""
    ax = fig.add_axes(rect)
    ax.axis("off")
    present_g = set(rows["commodity_group"].astype(str)) if len(rows) else set()
    present_p = set(rows["precision"].astype(str)) if len(rows) else set()
    h: list = []
    for g in COMMODITY_GROUPS:
        if g in present_g or not present_g:
            h.append(mpl_lines.Line2D([], [], marker="o", linestyle="", markersize=6,
                                      markerfacecolor=_rgba(COMMODITY_COLORS[g]),
                                      markeredgecolor="none", label=COMMODITY_LABELS[g]))
    for cls in PRECISION_CLASSES:
        if cls in present_p or not present_p:
            kw = _marker_kw("other", cls, 1.0)
            st = PRECISION_STYLES[cls]
            face = kw.get("c", ["none"])[0] if st["fill"] else "none"
            edge = kw["edgecolors"][0]
            h.append(mpl_lines.Line2D([], [], marker="o", linestyle="",
                                      markersize=st["radius"] * 0.9, markerfacecolor=face,
                                      markeredgecolor=edge, markeredgewidth=kw["linewidths"],
                                      label=f"Location {st['label']}"))
    h.append(mpl_lines.Line2D([], [], marker="o", linestyle="", markersize=11,
                              markerfacecolor=_rgba([128, 128, 128, 40]),
                              markeredgecolor=_rgba([128, 128, 128, 140]),
                              label="Uncertainty circle (radius = location precision)"))
    if has_outline:
        h.append(mpl_lines.Line2D([], [], color=_OUTLINE_COLOR, linewidth=1.8,
                                  linestyle=(0, (4, 2)), label="Selected region"))
    h += [
        mpl_lines.Line2D([], [], color=_PROVINCE, linewidth=0.9, label="Province boundary"),
        mpl_lines.Line2D([], [], color=_DISTRICT, linewidth=0.5, label="District boundary"),
        *[mpl_lines.Line2D([], [], color=c, linewidth=w * 1.2, label=f"{k.capitalize()} road")
                    for k, (c, w) in _ROAD_STYLE.items()],
        mpl_lines.Line2D([], [], color=_RAIL_ACTIVE, linewidth=0.9, label="Railway, active"),
        mpl_lines.Line2D([], [], color=_RAIL_INACTIVE, linewidth=0.6, linestyle="dashed",
                         label="Railway, not active"),
        mpl_lines.Line2D([], [], marker="s", linestyle="", markersize=6, markerfacecolor=_SEAPORT,
                         markeredgecolor="white", label="Seaport"),
        mpl_lines.Line2D([], [], marker="s", linestyle="", markersize=4, markerfacecolor="white",
                         markeredgecolor="black", label="Minor port"),
    ]
    ax.legend(handles=h, loc="upper left", ncols=2, fontsize=6.5, frameon=False,
              prop={"family": _FONT, "size": 6.5}, handlelength=2.0, columnspacing=1.2,
              borderaxespad=0.2, labelspacing=0.6, title="Legend",
              title_fontproperties={"family": _FONT, "size": 7.5, "weight": "bold"},
              alignment="left")


def haul_figure(table: pd.DataFrame, *, width_mm: float = 182.0, height_mm: float = 50.0
                ) -> Figure:
    """Stacked bars of occurrences per road-haul bin by commodity group.

    Parameters
    ----------
    table
        :func:`mineralmap.summary.haul_histogram` output (bins as index, groups as columns).
    """
    fig = mpl_figure.Figure(figsize=(width_mm * _MM, height_mm * _MM))
    ax = fig.add_axes((0.08, 0.30, 0.90, 0.62))
    bottom = np.zeros(len(table))
    x = np.arange(len(table))
    for g in COMMODITY_GROUPS:
        if g in table.columns and table[g].sum() > 0:
            v = table[g].to_numpy(dtype=float)
            ax.bar(x, v, bottom=bottom, color=_rgba(COMMODITY_COLORS[g]), label=COMMODITY_LABELS[g],
                   width=0.8)
            bottom += v
    ax.set_xticks(x, [str(i) for i in table.index], rotation=30, ha="right", fontsize=6.5,
                  family=_FONT)
    ax.tick_params(axis="y", labelsize=7)
    ax.set_ylabel("occurrences", fontsize=7, family=_FONT)
    ax.set_xlabel("road haul to the nearest seaport by road", fontsize=7, family=_FONT)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(fontsize=6.5, frameon=False, prop={"family": _FONT, "size": 6.5})
    return fig


def figure_bytes(fig: Figure, fmt: str = "svg", dpi: int = DPI) -> bytes:
    """Serialise ``fig`` as SVG or PNG.

    SVG text stays text (``svg.fonttype = "none"``, family :data:`_FONT`): WeasyPrint lays it out
    with the same font through fontconfig and embeds it in the PDF, where the map's labels are
    then selectable and searchable. Drawn as glyph paths instead (matplotlib's default), every
    character is a ``<use>`` of a path that WeasyPrint's Python SVG renderer redraws: that made
    the map page about 0.6 s slower on the toy brief and seconds on the real data.
    """
    buf = io.BytesIO()
    kw: dict = {"format": fmt, "dpi": dpi}
    if fmt == "svg":
        kw["metadata"] = {"Date": None}  # reproducible output
    import matplotlib  # loaded already: ``fig`` is a matplotlib figure (see mineralmap._lazy)

    with matplotlib.rc_context({"svg.fonttype": "none"}):
        fig.savefig(buf, **kw)
    return buf.getvalue()
