"""The "draw a box" map of the Region & export page without its widgets: an SVG of Pakistan drawn
from the project's own layers (province and district boundaries, simplified; the occurrences as
dots), the mapping between degrees and SVG coordinates, and the box a drag in the browser sends
back, validated.

The map is plain longitude/latitude scaled by the cosine of the middle latitude (an
equirectangular view): a box of constant longitudes and latitudes, which is what a bounding box
is, stays a rectangle on screen, and the browser maps a pointer position back to degrees with one
linear formula (:class:`Frame`, mirrored in the component's JavaScript). Nothing here imports
Streamlit; names shown in the SVG are XML-escaped; the SVG's size is bounded
(:data:`MAX_SVG_BYTES`, :data:`MAX_POINTS`).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from mineralmap.layers import COMMODITY_COLORS, COMMODITY_LABELS, hex_color
from mineralmap.regions import PAKISTAN_EXTENT

#: Width of the SVG's viewBox (user units); the height follows from the extent's aspect.
WIDTH = 1000
#: Decimals of the degrees a drawn box is rounded to (0.01° is about 1 km).
DECIMALS = 2
#: A drawn box narrower or lower than this (degrees) is a click, not a box: ignored.
MIN_BOX_DEG = 0.02
#: Simplification tolerance of the boundaries (SVG units; 1 unit is about 2 km, and under a
#: pixel on a 560 px wide map).
TOLERANCE = 2.0
#: Upper bound of the SVG text (bytes): the boundaries are simplified further until it fits.
MAX_SVG_BYTES = 160_000
#: At most this many occurrence dots (nearby points merge into one dot above it).
MAX_POINTS = 3000
#: Graticule spacing (degrees).
GRATICULE_DEG = 2


@dataclass(frozen=True)
class Frame:
    """Degrees <-> SVG user units for the map of ``extent`` (west, south, east, north).

    ``x = (lon - west) * kx`` and ``y = (north - lat) * ky`` with ``ky = kx / cos(mid-latitude)``.
    """

    west: float
    south: float
    east: float
    north: float
    width: float = WIDTH

    @property
    def kx(self) -> float:
        """SVG units per degree of longitude."""
        return self.width / (self.east - self.west)

    @property
    def ky(self) -> float:
        """SVG units per degree of latitude."""
        return self.kx / math.cos(math.radians((self.south + self.north) / 2))

    @property
    def height(self) -> float:
        """Height of the viewBox (SVG units)."""
        return (self.north - self.south) * self.ky

    def to_svg(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """SVG coordinates of ``lon``/``lat`` (degrees; arrays or scalars)."""
        return ((np.asarray(lon, float) - self.west) * self.kx,
                (self.north - np.asarray(lat, float)) * self.ky)

    def to_lonlat(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Degrees of SVG coordinates ``x``/``y`` (the inverse of :meth:`to_svg`)."""
        return (self.west + np.asarray(x, float) / self.kx,
                self.north - np.asarray(y, float) / self.ky)

    def as_dict(self) -> dict[str, float]:
        """What the component's JavaScript needs to map a pointer to degrees."""
        return {"west": self.west, "south": self.south, "east": self.east, "north": self.north,
                "kx": self.kx, "ky": self.ky, "width": self.width, "height": self.height}


#: The frame of the drawing map: exactly the extent a bounding box may cover.
FRAME = Frame(*PAKISTAN_EXTENT)


# ---------------------------------------------------------------------------- the box


def box_from_value(value: object, extent: tuple[float, float, float, float] = PAKISTAN_EXTENT,
                   decimals: int = DECIMALS, min_size: float = MIN_BOX_DEG
                   ) -> tuple[float, float, float, float] | None:
    """The bounding box a drag sent from the browser, or None; never raises.

    Parameters
    ----------
    value
        ``{"west", "south", "east", "north"}`` in degrees (anything else is ignored). Corners
        in either order are accepted.
    extent
        The box is clipped to this extent (a bounding box must lie inside Pakistan's extent).
    decimals
        The corners are rounded outward to this many decimals (the dragged area stays inside).
    min_size
        A box narrower or lower than this (degrees, after clipping) is ignored.

    Returns
    -------
    tuple[float, float, float, float] | None
        ``(west, south, east, north)`` with ``west < east`` and ``south < north``, inside
        ``extent``.
    """
    if not isinstance(value, Mapping):
        return None
    vals = []
    for k in ("west", "south", "east", "north"):
        v = value.get(k)
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            return None
        vals.append(float(v))
    w, s, e, n = vals
    w, e = min(w, e), max(w, e)
    s, n = min(s, n), max(s, n)
    pw, ps, pe, pn = extent
    scale = 10 ** decimals
    # outward rounding, then clipping: a clipped edge is exactly the extent's edge
    w = max(pw, math.floor(round(w * scale, 6)) / scale)
    s = max(ps, math.floor(round(s * scale, 6)) / scale)
    e = min(pe, math.ceil(round(e * scale, 6)) / scale)
    n = min(pn, math.ceil(round(n * scale, 6)) / scale)
    if e - w < min_size or n - s < min_size:
        return None
    return (w, s, e, n)


def box_text(bbox: Sequence[float]) -> str:
    """``"66.1–70 °E, 28.3–32 °N"`` (for the page's caption)."""
    w, s, e, n = bbox
    return f"{w:g}–{e:g} °E, {s:g}–{n:g} °N"


# ---------------------------------------------------------------------------- the SVG


def _project(geoms: np.ndarray, frame: Frame) -> np.ndarray:
    def fn(c: np.ndarray) -> np.ndarray:
        x, y = frame.to_svg(c[:, 0], c[:, 1])
        return np.column_stack([x, y])
    return shapely.transform(geoms, fn)


def _simplify(geoms: np.ndarray, tolerance: float) -> np.ndarray:
    """Simplify a set of polygons; shared edges stay shared when the set is a valid coverage."""
    try:
        return shapely.coverage_simplify(geoms, tolerance)
    except Exception:  # noqa: BLE001 - not a valid coverage: simplify each polygon alone
        return shapely.simplify(geoms, tolerance, preserve_topology=True)


def _ring_d(coords: np.ndarray) -> str:
    """``M x y l dx dy … z`` of one ring in whole SVG units ('' when it collapses)."""
    q = np.rint(coords[:, :2]).astype(np.int64)
    if len(q) > 1:
        keep = np.r_[True, np.any(np.diff(q, axis=0) != 0, axis=1)]
        q = q[keep]
    if len(q) > 1 and (q[0] == q[-1]).all():
        q = q[:-1]
    if len(q) < 3:
        return ""
    d = np.diff(q, axis=0)
    steps = " ".join(f"{dx} {dy}" for dx, dy in d).replace(" -", "-")
    return f"M{q[0, 0]} {q[0, 1]}l{steps}z"


def path_d(geom: BaseGeometry | None) -> str:
    """SVG path data of every ring of a (multi)polygon already in SVG units."""
    if geom is None or geom.is_empty:
        return ""
    parts = []
    for poly in shapely.get_parts(geom):
        for ring in shapely.get_rings(poly):
            d = _ring_d(shapely.get_coordinates(ring))
            if d:
                parts.append(d)
    return "".join(parts)


def _polygons(gdf: gpd.GeoDataFrame | None, name_col: str, frame: Frame, tolerance: float,
              title) -> list[tuple[str, str, BaseGeometry]]:
    """``(path data, title, projected geometry)`` of each polygon of a layer."""
    if gdf is None or len(gdf) == 0 or name_col not in gdf.columns:
        return []
    geoms = gdf.geometry.to_numpy()
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    rows = gdf[ok]
    simple = _simplify(_project(geoms[ok], frame), tolerance)
    out = []
    for (_, row), g in zip(rows.iterrows(), simple, strict=True):
        d = path_d(g)
        if d:
            out.append((d, title(row), g))
    return out


def _dots(occurrences: pd.DataFrame | None, frame: Frame, max_points: int) -> dict[str, str]:
    """Per commodity group, path data of one dot per occupied cell (``M x yh0`` each)."""
    if occurrences is None or len(occurrences) == 0 or not {"lon", "lat"} <= set(occurrences):
        return {}
    lon = pd.to_numeric(occurrences["lon"], errors="coerce").to_numpy(float)
    lat = pd.to_numeric(occurrences["lat"], errors="coerce").to_numpy(float)
    groups = (occurrences["commodity_group"].astype(str).to_numpy()
              if "commodity_group" in occurrences else np.full(len(lon), "other"))
    x, y = frame.to_svg(lon, lat)
    ok = np.isfinite(x) & np.isfinite(y) & (x >= 0) & (x <= frame.width) & (y >= 0) \
        & (y <= frame.height)
    x, y, groups = x[ok], y[ok], groups[ok]
    cell = 2.0
    while True:
        cells = pd.DataFrame({"g": groups, "i": np.floor(x / cell).astype(np.int64),
                              "j": np.floor(y / cell).astype(np.int64)}).drop_duplicates()
        if len(cells) <= max_points:
            break
        cell *= 2
    out = {}
    for g, sub in cells.groupby("g", sort=True):
        cx = np.rint((sub["i"].to_numpy() + 0.5) * cell).astype(np.int64)
        cy = np.rint((sub["j"].to_numpy() + 0.5) * cell).astype(np.int64)
        out[str(g)] = "".join(f"M{a} {b}h0" for a, b in zip(cx, cy, strict=True))
    return out


def _graticule(frame: Frame) -> str:
    step = GRATICULE_DEG
    lines, labels = [], []
    for lon in range(math.ceil(frame.west / step) * step, math.floor(frame.east) + 1, step):
        x = round(float(frame.to_svg(lon, frame.north)[0]))
        lines.append(f"M{x} 0V{round(frame.height)}")
        labels.append(f'<text x="{x + 3}" y="{round(frame.height) - 4}">{lon}°E</text>')
    for lat in range(math.ceil(frame.south / step) * step, math.floor(frame.north) + 1, step):
        y = round(float(frame.to_svg(frame.west, lat)[1]))
        lines.append(f"M0 {y}H{round(frame.width)}")
        labels.append(f'<text x="3" y="{y - 3}">{lat}°N</text>')
    return (f'<g class="mm-grat"><path d="{"".join(lines)}"/>{"".join(labels)}</g>')


#: Characters XML 1.0 cannot hold (and line breaks, tabs): shown as a space.
_NOT_TEXT = re.compile("[\x00-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def svg_text(text: object) -> str:
    """``text`` for an SVG element's text or attribute: control characters (and characters
    XML cannot hold) become spaces, markup characters and quotes are escaped."""
    return escape(_NOT_TEXT.sub(" ", str(text)), quote=True)


def _svg(frame: Frame, provinces: list, districts: list, dots: Mapping[str, str],
         labels: list[tuple[float, float, str]]) -> str:
    w, h = round(frame.width), round(frame.height)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" class="mm-map" '
           'role="img" aria-label="Map of Pakistan with province and district boundaries and '
           'the occurrences: drag on it to draw a bounding box">',
           _graticule(frame), '<g class="mm-prov">']
    out += [f'<path d="{d}"><title>{svg_text(t)}</title></path>' for d, t, _ in provinces]
    out.append('</g><g class="mm-dist">')
    out += [f'<path d="{d}"><title>{svg_text(t)}</title></path>' for d, t, _ in districts]
    out.append('</g><g class="mm-pts">')
    for g, d in dots.items():
        colour = hex_color(COMMODITY_COLORS.get(g, COMMODITY_COLORS["other"]))
        out.append(f'<path d="{d}" stroke="{colour}"><title>'
                   f'{svg_text(COMMODITY_LABELS.get(g, g))}</title></path>')
    out.append('</g><g class="mm-labels">')
    out += [f'<text x="{x:.0f}" y="{y:.0f}">{svg_text(t)}</text>' for x, y, t in labels]
    out.append("</g></svg>")
    return "".join(out)


def _label_points(provinces: list, share: float = 0.05) -> list[tuple[float, float, str]]:
    """A label per province of at least ``share`` of the provinces' total area (small ones,
    which would overlap their neighbours' labels, have a hover title only)."""
    total = sum(g.area for _, _, g in provinces)
    out = []
    for _, title, g in provinces:
        if total and g.area >= share * total:
            p = g.centroid if g.contains(g.centroid) else shapely.point_on_surface(g)
            out.append((p.x, p.y, title))
    return out


def build_svg(layers: Mapping[str, gpd.GeoDataFrame], occurrences: pd.DataFrame | None,
              frame: Frame = FRAME, tolerance: float = TOLERANCE,
              max_bytes: int = MAX_SVG_BYTES, max_points: int = MAX_POINTS) -> str:
    """The drawing map as SVG text (bounded by ``max_bytes`` as far as the boundaries go).

    Parameters
    ----------
    layers
        Catalog layers; ``provinces`` (column ``province``) and ``districts`` (columns
        ``district``, ``province``) are drawn when present.
    occurrences
        Occurrences with ``lon``, ``lat`` and ``commodity_group``; drawn as dots (at most
        ``max_points``: nearby points merge).
    frame
        The degrees -> SVG mapping.
    tolerance
        Boundary simplification (SVG units); doubled until the SVG fits ``max_bytes``. When
        even a coarse outline does not fit, the districts are left out.
    """
    dots = _dots(occurrences, frame, max_points)
    prov_gdf, dist_gdf = layers.get("provinces"), layers.get("districts")
    svg = ""
    for attempt in range(6):
        tol = tolerance * 2 ** attempt
        provinces = _polygons(prov_gdf, "province", frame, tol, lambda r: str(r["province"]))
        districts = _polygons(
            dist_gdf, "district", frame, tol,
            lambda r: f"{r['district']}, {r['province']}" if "province" in r.index
            else str(r["district"]))
        svg = _svg(frame, provinces, districts, dots, _label_points(provinces))
        if len(svg.encode()) <= max_bytes:
            return svg
    provinces = _polygons(prov_gdf, "province", frame, tolerance * 32,
                          lambda r: str(r["province"]))
    return _svg(frame, provinces, [], dots, _label_points(provinces))


def map_payload(layers: Mapping[str, gpd.GeoDataFrame], occurrences: pd.DataFrame | None,
                frame: Frame = FRAME) -> dict:
    """What the component is given (besides the current box): ``svg``, ``frame``
    (:meth:`Frame.as_dict`), ``version`` (a hash of the SVG: the browser re-inserts the SVG
    only when it changes), ``decimals`` and ``min_box`` (degrees)."""
    svg = build_svg(layers, occurrences, frame)
    return {"svg": svg, "frame": frame.as_dict(),
            "version": hashlib.sha1(svg.encode(), usedforsecurity=False).hexdigest()[:12],
            "decimals": DECIMALS, "min_box": MIN_BOX_DEG}
