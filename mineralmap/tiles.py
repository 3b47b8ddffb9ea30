"""Occurrence points as XYZ map tiles: grid cells when zoomed out, single points zoomed in.

Above :data:`mineralmap.layers.AGGREGATE_THRESHOLD` mapped occurrences (e.g. 100,000 synthetic
points of ``MINERALMAP_DEMO_SCALE``) drawing every point on every redraw is too slow with
software WebGL (headless Chromium drew 100,124 markers in 1.3-3.9 s per frame, issue 16). The
map then draws them through deck.gl's ``TileLayer``: for each visible Web Mercator tile the
browser asks the server (``GET /tiles/occ/<key>/<z>/<x>/<y>.json``, see
:mod:`mineralmap.ui.asgi`) for

* below :data:`POINT_ZOOM`: the tile's points binned into :data:`CELLS_PER_TILE` ² cells, one
  circle per non-empty cell sized by count and coloured by its most frequent commodity group;
* from :data:`POINT_ZOOM` on (deeper zooms reuse those tiles): every point of the tile, with
  its id and tooltip, like the small catalog's markers (a tile holding more than
  :data:`MAX_TILE_POINTS` points is binned too).

A point belongs to exactly one tile (half-open tile bounds), so no point is drawn twice. The
answers are GeoJSON features, what ``TileLayer``'s default sub-layer (``GeoJsonLayer``) draws;
:func:`mineralmap.layers.tile_layer` styles them.

:class:`TileRegistry` keeps the sources the pages registered, least recently used first out,
so the HTTP route can answer without a Streamlit session.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mineralmap import layers
from mineralmap.errors import ValidationError
from mineralmap.schema import COMMODITY_GROUPS

__all__ = [
    "CACHE_CONTROL",
    "CELLS_PER_TILE",
    "EXPIRED_TEXT",
    "MAX_TILE_POINTS",
    "POINT_ZOOM",
    "REGISTRY_SIZE",
    "TileRegistry",
    "TileSource",
    "URL_PREFIX",
    "default_registry",
    "parse_tile",
    "source_key",
    "tile_bounds",
    "tile_features",
    "tile_json",
    "tile_source",
    "url_template",
]

#: Path of the tile route (``<URL_PREFIX><key>/<z>/<x>/<y>.json``).
URL_PREFIX = "/tiles/occ/"
#: Cache-Control of a tile: its URL names the catalog and the filter, so it never changes.
CACHE_CONTROL = "public, max-age=31536000, immutable"
#: Answer for a tile of an unknown source (evicted, or from before a server restart).
EXPIRED_TEXT = "This map's tiles are no longer on the server: reload the page."

#: From this tile zoom on, tiles hold single points (a z8 tile is 1.4° wide, ~135 km at 30° N;
#: a 940 px map at zoom 8 spans ~500 km).
POINT_ZOOM = 8
#: Cells per tile side below :data:`POINT_ZOOM` (a 512 px tile -> 16 px cells).
CELLS_PER_TILE = 32
#: A tile with more points than this is binned even at :data:`POINT_ZOOM`.
MAX_TILE_POINTS = 5_000
#: Tile sources kept by :class:`TileRegistry` (each holds the filtered rows' marker columns
#: and coordinates: about 25 MB at 100,000 points).
REGISTRY_SIZE = 8
#: Web Mercator latitude limit (degrees).
_MAX_LAT = 85.0511287798066


def _mercator(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Normalised Web Mercator x, y in [0, 1) (y down), as XYZ tiles count them."""
    x = (np.asarray(lon, dtype=float) + 180.0) / 360.0
    phi = np.radians(np.clip(np.asarray(lat, dtype=float), -_MAX_LAT, _MAX_LAT))
    y = (1.0 - np.log(np.tan(phi) + 1.0 / np.cos(phi)) / math.pi) / 2.0
    return np.clip(x, 0.0, np.nextafter(1.0, 0.0)), np.clip(y, 0.0, np.nextafter(1.0, 0.0))


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """(west, south, east, north) in degrees of XYZ tile ``z/x/y``."""
    n = 2 ** z

    def lat(t: float) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * t / n))))

    return x / n * 360.0 - 180.0, lat(y + 1), (x + 1) / n * 360.0 - 180.0, lat(y)


def parse_tile(z: object, x: object, y: object) -> tuple[int, int, int]:
    """Validate tile numbers from a URL.

    Parameters
    ----------
    z, x, y
        Text or integers; ``0 <= z <= POINT_ZOOM`` and ``0 <= x, y < 2**z``.

    Returns
    -------
    tuple of int

    Raises
    ------
    ValidationError
        Not integers, or outside the tile grid.
    """
    out = []
    for name, v in (("z", z), ("x", x), ("y", y)):
        text = str(v)
        if not (text.isascii() and text.isdigit()) or len(text) > 6:
            raise ValidationError(f"tile {name} must be a whole number, got {text[:20]!r}")
        out.append(int(text))
    tz, tx, ty = out
    if tz > POINT_ZOOM:
        raise ValidationError(f"tile zoom {tz} is above {POINT_ZOOM} (deeper zooms reuse it)")
    if tx >= 2 ** tz or ty >= 2 ** tz:
        raise ValidationError(f"tile {tz}/{tx}/{ty} is outside the zoom-{tz} grid")
    return tz, tx, ty


@dataclass(frozen=True)
class TileSource:
    """The mapped rows of a filtered occurrence frame, ready to be cut into tiles.

    Attributes
    ----------
    key
        Content key (what the tile URLs name).
    mx, my
        Normalised Web Mercator coordinates of each point.
    lon, lat
        Degrees.
    group
        Index into :data:`mineralmap.schema.COMMODITY_GROUPS`.
    style
        The markers' style index (``group * 4 + precision class``).
    rows
        The mapped rows' :data:`mineralmap.layers.MARKER_COLUMNS` (ids and tooltips of the
        points of a tile are read from them).
    """

    key: str
    mx: np.ndarray = field(repr=False)
    my: np.ndarray = field(repr=False)
    lon: np.ndarray = field(repr=False)
    lat: np.ndarray = field(repr=False)
    group: np.ndarray = field(repr=False)
    style: np.ndarray = field(repr=False)
    rows: pd.DataFrame = field(repr=False)

    @property
    def size(self) -> int:
        """Number of points."""
        return len(self.lon)


def tile_source(occ: pd.DataFrame, key: str) -> TileSource:
    """The mapped rows of ``occ`` as a :class:`TileSource` named ``key``.

    Parameters
    ----------
    occ
        Occurrence frame with ``lon``/``lat`` (other columns as in
        :func:`mineralmap.layers.occurrence_view`).
    key
        Names the source in tile URLs: hexadecimal, at most 64 characters (e.g. a hash of the
        catalog key and the filter).

    Raises
    ------
    ValidationError
        No ``lon``/``lat`` columns, or a malformed key.
    """
    if not (0 < len(key) <= 64 and all(c in "0123456789abcdef" for c in key)):
        raise ValidationError("a tile source key is 1-64 lowercase hexadecimal characters")
    lon, lat, ok = layers.mapped_lonlat(occ)
    # only what the markers show: a registered source must not keep a whole 100k frame alive
    rows = occ.loc[ok, [c for c in layers.MARKER_COLUMNS if c in occ.columns]].copy()
    group, style = layers.style_codes(rows)
    mx, my = _mercator(lon[ok], lat[ok])
    return TileSource(key=key, mx=mx, my=my, lon=lon[ok], lat=lat[ok], group=group,
                      style=style, rows=rows)


def _feature(lon: float, lat: float, props: dict) -> dict:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": props}


def _cells(src: TileSource, idx: np.ndarray, z: int, x: int, y: int) -> list[dict]:
    n = 2 ** z
    cx = np.clip(((src.mx[idx] * n - x) * CELLS_PER_TILE).astype(np.int64), 0,
                 CELLS_PER_TILE - 1)
    cy = np.clip(((src.my[idx] * n - y) * CELLS_PER_TILE).astype(np.int64), 0,
                 CELLS_PER_TILE - 1)
    cell, inv, counts = np.unique(cy * CELLS_PER_TILE + cx, return_inverse=True,
                                  return_counts=True)
    m, ng = len(cell), len(COMMODITY_GROUPS)
    by_group = np.bincount(inv * ng + src.group[idx], minlength=m * ng).reshape(m, ng)
    lon = np.round(np.bincount(inv, weights=src.lon[idx], minlength=m) / counts, 4)
    lat = np.round(np.bincount(inv, weights=src.lat[idx], minlength=m) / counts, 4)
    radius = np.round(np.minimum(3.0 + 1.6 * np.log2(counts), 7.5), 1)
    out = []
    for lo, la, c, r, row in zip(lon.tolist(), lat.tolist(), counts.tolist(), radius.tolist(),
                                 by_group.tolist(), strict=True):
        tip = (f"{c:,} occurrence{'s' if c != 1 else ''} here; zoom in to see them\n"
               + " · ".join(f"{g} {k:,}" for g, k in zip(COMMODITY_GROUPS, row, strict=True)
                            if k))
        out.append(_feature(lo, la, {"n": c, "g": int(np.argmax(row)), "r": r, "t": tip}))
    return out


def tile_features(src: TileSource, z: int, x: int, y: int) -> list[dict]:
    """GeoJSON point features of tile ``z/x/y`` (see the module docstring).

    Parameters
    ----------
    src
        The points.
    z, x, y
        A tile of :func:`parse_tile`.

    Returns
    -------
    list of dict
        Cells: properties ``n`` (count), ``g`` (most frequent group), ``r`` (radius px) and
        ``t`` (tooltip). Points: ``s`` (style index), ``id`` and ``t``.
    """
    n = 2 ** z
    idx = np.flatnonzero((np.floor(src.mx * n) == x) & (np.floor(src.my * n) == y))
    if len(idx) == 0:
        return []
    if z < POINT_ZOOM or len(idx) > MAX_TILE_POINTS:
        return _cells(src, idx, z, x, y)
    rows = src.rows.iloc[idx]
    ids = layers.occurrence_ids(rows)
    tips = layers.occurrence_tips(rows)
    return [_feature(lo, la, {"s": s, "id": i, "t": t}) for lo, la, s, i, t in zip(
        np.round(src.lon[idx], 5).tolist(), np.round(src.lat[idx], 5).tolist(),
        src.style[idx].tolist(), ids, tips, strict=True)]


def tile_json(src: TileSource, z: int, x: int, y: int) -> bytes:
    """:func:`tile_features` as compact JSON bytes (UTF-8)."""
    return json.dumps(tile_features(src, z, x, y), separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def url_template(key: str, base: str = "") -> str:
    """The ``TileLayer`` data URL of source ``key`` (``base``: the server's base URL path)."""
    return f"{base.rstrip('/')}{URL_PREFIX}{key}/{{z}}/{{x}}/{{y}}.json"


def source_key(*parts: str) -> str:
    """A tile source key (20 hex characters) for the given parts (catalog key, filter …)."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:20]


class TileRegistry:
    """Tile sources by key, the :data:`REGISTRY_SIZE` most recently registered or used."""

    def __init__(self, size: int = REGISTRY_SIZE) -> None:
        self._size = size
        self._items: OrderedDict[str, TileSource] = OrderedDict()
        self._lock = threading.Lock()

    def register(self, src: TileSource) -> str:
        """Keep ``src`` (a newer one with the same key replaces it); returns its key."""
        with self._lock:
            self._items[src.key] = src
            self._items.move_to_end(src.key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return src.key

    def get(self, key: str) -> TileSource | None:
        """The source of ``key``, or None (never registered, or evicted)."""
        with self._lock:
            src = self._items.get(key)
            if src is not None:
                self._items.move_to_end(key)
            return src

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


_DEFAULT = TileRegistry()


def default_registry() -> TileRegistry:
    """The process-wide registry the pages fill and the ``/tiles/`` route reads."""
    return _DEFAULT
