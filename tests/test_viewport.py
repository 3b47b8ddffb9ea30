"""Map views: the fitted view shows the whole region at the largest zoom that fits."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as hs
from shapely.geometry import Point, Polygon, box

from mineralmap import params
from mineralmap.regions import PAKISTAN_EXTENT
from mineralmap.viewport import (
    FIT_HEIGHT_PX,
    FIT_WIDTH_PX,
    MAX_FIT_ZOOM,
    MIN_FIT_ZOOM,
    PAKISTAN_VIEW,
    distinct_view,
    fit_points,
    fit_view,
    focus_view,
    view_param,
)

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


# ---- issue 14: fitted to points, focus, distinct views for Streamlit, the view= URL text -------

def test_fit_points_shows_every_point_on_a_phone_sized_map():
    lon, lat = [62.3, 66.0, 64.9], [25.1, 29.9, 27.0]
    v = fit_points([*lon, float("nan")], [*lat, 30.0])  # a NaN pair is ignored
    lon_span, lat_span = _visible_span(v, FIT_WIDTH_PX, FIT_HEIGHT_PX)
    assert abs(v["longitude"] - (62.3 + 66.0) / 2) < 1e-9
    assert lon_span >= 66.0 - 62.3 and lat_span >= (29.9 - 25.1) * 0.99
    assert fit_points([], []) == fit_view(None, FIT_WIDTH_PX, FIT_HEIGHT_PX)


def test_focus_view_is_clipped():
    assert focus_view(67.0, 30.2, 30)["zoom"] == MAX_FIT_ZOOM
    assert focus_view(67.0, 30.2) == {"latitude": 30.2, "longitude": 67.0, "zoom": 9.0}


def test_distinct_view_changes_every_key():
    prev = {"latitude": 30.0, "longitude": 66.0, "zoom": 5.0, "pitch": 0.0, "bearing": 0.0}
    v = distinct_view({"latitude": 30.0, "longitude": 67.0, "zoom": 5.0}, prev)
    assert all(v[k] != prev[k] for k in prev)  # Streamlit applies only the keys that changed
    assert abs(v["zoom"] - 5.0) < 1e-5 and v["longitude"] == 67.0
    assert distinct_view(prev, None) == prev


@given(hs.floats(-90, 90), hs.floats(-180, 180), hs.floats(0, 20))
def test_view_param_round_trips_through_the_url_parser(lat, lon, zoom):
    text = view_param({"latitude": lat, "longitude": lon, "zoom": zoom})
    back, notes = params.parse_view(text)
    assert notes == [] and back is not None
    assert abs(back["latitude"] - lat) <= 5e-5 and abs(back["longitude"] - lon) <= 5e-5
    assert abs(back["zoom"] - zoom) <= 5e-3
