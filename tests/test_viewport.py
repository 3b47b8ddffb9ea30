"""Map views: the fitted view shows the whole region at the largest zoom that fits."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as hs
from shapely.geometry import Point, Polygon, box

from mineralmap.regions import PAKISTAN_EXTENT
from mineralmap.viewport import MAX_FIT_ZOOM, MIN_FIT_ZOOM, PAKISTAN_VIEW, fit_view

W, H = 560, 520


def _visible_span(view: dict[str, float], width_px: int = W, height_px: int = H):
    """Degrees of longitude and (Mercator-corrected) latitude the view shows."""
    lon_span = width_px * 360 / (512 * 2 ** view["zoom"])
    lat_span = height_px * 360 / (512 * 2 ** view["zoom"]) * math.cos(math.radians(view["latitude"]))
    return lon_span, lat_span


def test_no_region_shows_pakistan():
    w, s, e, n = PAKISTAN_EXTENT
    for geom in (None, Polygon()):
        v = fit_view(geom)
        assert v["longitude"] == (w + e) / 2 and v["latitude"] == (s + n) / 2
        lon_span, _ = _visible_span(v)
        assert lon_span >= e - w
    assert MIN_FIT_ZOOM <= fit_view(None)["zoom"] <= PAKISTAN_VIEW["zoom"] + 1


def test_box_is_centred_and_fits():
    v = fit_view(box(66, 28, 70, 32))
    assert (v["longitude"], v["latitude"]) == (68, 30)
    lon_span, lat_span = _visible_span(v)
    assert lon_span >= 4 and lat_span >= 4 * 0.99
    # the margin is small: one zoom step closer would no longer show the box
    closer = dict(v, zoom=v["zoom"] + 1)
    lon2, lat2 = _visible_span(closer)
    assert lon2 < 4 or lat2 < 4


def test_a_point_does_not_zoom_to_the_street():
    assert fit_view(Point(67, 30))["zoom"] == MAX_FIT_ZOOM
    assert fit_view(box(60, 20, 80, 40))["zoom"] >= MIN_FIT_ZOOM


@given(hs.floats(61, 77), hs.floats(24, 36), hs.floats(0.001, 10), hs.floats(0.001, 10))
def test_fit_view_is_always_a_valid_view(x, y, dx, dy):
    v = fit_view(box(x, y, x + dx, y + dy))
    assert MIN_FIT_ZOOM <= v["zoom"] <= MAX_FIT_ZOOM
    assert x <= v["longitude"] <= x + dx and y <= v["latitude"] <= y + dy
    assert all(isinstance(val, float) for val in v.values())
