"""Map views (latitude, longitude, zoom) the pages open on: fixed views, views fitted to a
region or to points, a view focused on one place, and the ``view=`` URL text.

UI-free: the pages pass the result to :func:`mineralmap.layers.make_deck`.

How ``st.pydeck_chart`` (Streamlit 1.67) treats ``initial_view_state``: the chart keeps its own
view state, which the user's panning changes. On a rerun it compares the new
``initialViewState`` with the one it received last: unchanged (deep-equal) keeps the user's
view; changed merges **only the keys whose values changed** into the current view (so a new
view with the same zoom as the previous one would keep the user's zoom). A remounted chart (e.g.
moved into a column) starts from ``initialViewState``. Hence: send the same view on every rerun
until the page wants to move the map, and then send :func:`distinct_view` of the new view, in
which every key differs from the view sent before.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from shapely.geometry.base import BaseGeometry

from mineralmap.regions import PAKISTAN_EXTENT

__all__ = ["FIT_HEIGHT_PX", "FIT_WIDTH_PX", "FOCUS_ZOOM", "MAX_FIT_ZOOM", "MIN_FIT_ZOOM",
           "MIN_SPAN_DEG", "PAKISTAN_VIEW", "SCENARIO_VIEW", "distinct_view", "fit_bounds",
           "fit_points", "fit_view", "focus_view", "view_param"]

#: Whole-country view used by the overview map.
PAKISTAN_VIEW: dict[str, float] = {"latitude": 30.4, "longitude": 69.4, "zoom": 4.15}
#: View of the export-terminal scenario map (routes from the north to the coast).
SCENARIO_VIEW: dict[str, float] = {"latitude": 30.2, "longitude": 68.6, "zoom": 4.45}
#: Zoom limits of a fitted view.
MIN_FIT_ZOOM = 3.5
MAX_FIT_ZOOM = 11.0
#: Smallest span (degrees) a fitted view shows, so a point region does not zoom in to streets.
MIN_SPAN_DEG = 0.05
#: Zoom subtracted from the exact fit so the outline does not touch the map edge.
FIT_MARGIN_ZOOM = 0.4
#: Map size a fitted occurrence view is computed for: narrow enough that the fit also holds on
#: a phone (390 px wide screen), the Explore map's height.
FIT_WIDTH_PX = 360
FIT_HEIGHT_PX = 560
#: Zoom of a view focused on one place (a search hit).
FOCUS_ZOOM = 9.0
#: Smallest change :func:`distinct_view` makes to a key (invisible on the map).
_NUDGE = 1e-6
_VIEW_KEYS = ("latitude", "longitude", "zoom", "pitch", "bearing")


def fit_view(geom: BaseGeometry | None, width_px: int = 560, height_px: int = 520
             ) -> dict[str, float]:
    """A map view (latitude, longitude, zoom) showing the whole region (else all of Pakistan).

    Web Mercator as deck.gl draws it: at zoom 0, 512 px show 360 degrees of longitude, and a
    degree of latitude is ``sec(lat)`` times longer than a degree of longitude.

    Parameters
    ----------
    geom
        Region in EPSG:4326; None or empty gives Pakistan's extent.
    width_px, height_px
        Size of the map in pixels (``width_px`` is the map column at a 1400 px wide window).

    Returns
    -------
    dict[str, float]
        ``latitude``, ``longitude`` (centre of the bounds) and ``zoom`` clipped to
        [:data:`MIN_FIT_ZOOM`, :data:`MAX_FIT_ZOOM`].
    """
    if geom is None or geom.is_empty:
        return fit_bounds(PAKISTAN_EXTENT, width_px, height_px)
    return fit_bounds(geom.bounds, width_px, height_px)


def fit_bounds(bounds: Sequence[float], width_px: int = 560, height_px: int = 520
               ) -> dict[str, float]:
    """A map view showing the box ``(west, south, east, north)`` (degrees, EPSG:4326).

    Parameters
    ----------
    bounds
        West, south, east, north; a non-finite or inverted box gives Pakistan's extent.
    width_px, height_px
        Size of the map in pixels.

    Returns
    -------
    dict[str, float]
        ``latitude``, ``longitude`` (centre of the box) and ``zoom`` clipped to
        [:data:`MIN_FIT_ZOOM`, :data:`MAX_FIT_ZOOM`].
    """
    w, s, e, n = (float(v) for v in bounds)
    if not all(math.isfinite(v) for v in (w, s, e, n)) or e < w or n < s:
        w, s, e, n = PAKISTAN_EXTENT
    s, n = max(s, -85.0), min(n, 85.0)
    span_lon = max(e - w, MIN_SPAN_DEG)
    span_lat = max(n - s, MIN_SPAN_DEG) / max(math.cos(math.radians((s + n) / 2)), 0.3)
    zoom = min(math.log2(width_px * 360 / (512 * span_lon)),
               math.log2(height_px * 360 / (512 * span_lat)))
    zoom = min(max(zoom - FIT_MARGIN_ZOOM, MIN_FIT_ZOOM), MAX_FIT_ZOOM)
    return {"latitude": (s + n) / 2, "longitude": (w + e) / 2, "zoom": float(zoom)}


def fit_points(lon: Sequence[float], lat: Sequence[float], width_px: int = FIT_WIDTH_PX,
               height_px: int = FIT_HEIGHT_PX) -> dict[str, float]:
    """A map view showing every finite point (Pakistan when there is none).

    Parameters
    ----------
    lon, lat
        Coordinates in degrees (non-finite pairs are ignored).
    width_px, height_px
        Size of the map in pixels (default: a size that also fits a phone).

    Returns
    -------
    dict[str, float]
        See :func:`fit_bounds`.
    """
    pts = [(float(x), float(y)) for x, y in zip(lon, lat, strict=True)
           if x is not None and y is not None and math.isfinite(float(x))
           and math.isfinite(float(y)) and -180 <= float(x) <= 180 and -90 <= float(y) <= 90]
    if not pts:
        return fit_bounds(PAKISTAN_EXTENT, width_px, height_px)
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    return fit_bounds((min(xs), min(ys), max(xs), max(ys)), width_px, height_px)


def focus_view(lon: float, lat: float, zoom: float = FOCUS_ZOOM) -> dict[str, float]:
    """A view centred on one place at ``zoom`` (clipped to the fit limits)."""
    return {"latitude": float(lat), "longitude": float(lon),
            "zoom": float(min(max(zoom, MIN_FIT_ZOOM), MAX_FIT_ZOOM))}


def distinct_view(view: Mapping[str, float], previous: Mapping[str, float] | None
                  ) -> dict[str, float]:
    """``view`` with every key different from ``previous`` (see the module docstring: Streamlit
    applies only the changed keys of a new initial view, so an unchanged zoom would keep the
    zoom the user chose).

    Parameters
    ----------
    view
        The view to show (``latitude``, ``longitude``, ``zoom``; ``pitch`` and ``bearing``
        default to 0).
    previous
        The view sent before (None on the first run).

    Returns
    -------
    dict[str, float]
        ``latitude``, ``longitude``, ``zoom``, ``pitch``, ``bearing``; a key equal to the
        previous one is moved by an invisible 1e-6 (zoom, degrees).
    """
    out = {k: float(view.get(k, 0.0)) for k in _VIEW_KEYS}
    if previous:
        for k in _VIEW_KEYS:
            old = previous.get(k)
            if old is not None and abs(out[k] - float(old)) < _NUDGE / 2:
                out[k] = float(old) + _NUDGE
    return out


def view_param(view: Mapping[str, float]) -> str:
    """The ``view=lat,lon,zoom`` URL text of a view (4 decimals, about 10 m; zoom 2 decimals),
    read back by :func:`mineralmap.params.parse_view`."""
    lat = min(max(float(view["latitude"]), -90.0), 90.0)
    lon = min(max(float(view["longitude"]), -180.0), 180.0)
    zoom = min(max(float(view["zoom"]), 0.0), 20.0)
    return f"{lat:.4f},{lon:.4f},{zoom:.2f}"
