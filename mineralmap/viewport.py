"""Map views (latitude, longitude, zoom) the pages open on: fixed views and a view fitted to a
region.

UI-free: the pages pass the result to :func:`mineralmap.layers.make_deck`.
"""

from __future__ import annotations

import math

from shapely.geometry.base import BaseGeometry

from mineralmap.regions import PAKISTAN_EXTENT

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
        w, s, e, n = PAKISTAN_EXTENT
    else:
        w, s, e, n = geom.bounds
    span_lon = max(e - w, MIN_SPAN_DEG)
    span_lat = max(n - s, MIN_SPAN_DEG) / max(math.cos(math.radians((s + n) / 2)), 0.3)
    zoom = min(math.log2(width_px * 360 / (512 * span_lon)),
               math.log2(height_px * 360 / (512 * span_lat)))
    zoom = min(max(zoom - FIT_MARGIN_ZOOM, MIN_FIT_ZOOM), MAX_FIT_ZOOM)
    return {"latitude": (s + n) / 2, "longitude": (w + e) / 2, "zoom": float(zoom)}
