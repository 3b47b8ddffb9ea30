"""mineralmap.tiles: occurrence tiles (cells zoomed out, points zoomed in) and their route."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from _asgi import asgi_get
from hypothesis import given
from hypothesis import strategies as st
from starlette.routing import Route, Router

from mineralmap import layers, tiles
from mineralmap.errors import ValidationError
from mineralmap.schema import COMMODITY_GROUPS
from mineralmap.ui import asgi

KEY = tiles.source_key("toy", "spec")


def _points(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "id": [f"P-{i}" for i in range(n)],
        "name": [f"Point <{i}>" for i in range(n)],
        "lon": rng.uniform(61.0, 77.0, n), "lat": rng.uniform(24.0, 37.0, n),
        "commodity_group": rng.choice(list(COMMODITY_GROUPS), n),
        "precision": rng.choice(["surveyed", "locality", "approximate", "district"], n),
        "precision_km": rng.uniform(0, 30, n),
    })


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    mx, my = tiles._mercator(np.array([lon]), np.array([lat]))
    return int(mx[0] * 2 ** z), int(my[0] * 2 ** z)


def _all_features(src: tiles.TileSource, z: int) -> list[dict]:
    xs = {int(v) for v in np.floor(src.mx * 2 ** z)}
    ys = {int(v) for v in np.floor(src.my * 2 ** z)}
    return [f for x in xs for y in ys for f in tiles.tile_features(src, z, x, y)]


def test_points_zoomed_in_cells_zoomed_out_every_point_once():
    occ = _points(400)
    occ.loc[3, "lon"] = np.nan  # unmapped: in no tile
    src = tiles.tile_source(occ, KEY)
    assert src.size == 399
    points = _all_features(src, tiles.POINT_ZOOM)
    ids = [f["properties"]["id"] for f in points]
    assert sorted(ids) == sorted(occ["id"].drop(index=3))  # every mapped point exactly once
    first = next(f for f in points if f["properties"]["id"] == "P-0")
    assert first["geometry"]["coordinates"] == [round(occ.at[0, "lon"], 5),
                                                round(occ.at[0, "lat"], 5)]
    assert first["properties"]["t"].startswith("Point <0>")  # the markers' tooltip text
    _, style = layers.style_codes(occ.iloc[[0]])
    assert first["properties"]["s"] == int(style[0])
    for z in (3, 5, tiles.POINT_ZOOM - 1):
        cells = _all_features(src, z)
        assert all("id" not in f["properties"] for f in cells)
        assert sum(f["properties"]["n"] for f in cells) == 399
        assert len(cells) < 399  # binned


def test_cells_count_groups_and_sit_inside_their_tile():
    occ = _points(300, seed=2)
    src = tiles.tile_source(occ, KEY)
    z = 4
    x, y = _tile_of(69.0, 30.0, z)
    cells = tiles.tile_features(src, z, x, y)
    w, s, e, n = tiles.tile_bounds(z, x, y)
    inside = occ[(occ.lon >= w) & (occ.lon < e) & (occ.lat > s) & (occ.lat <= n)]
    assert sum(c["properties"]["n"] for c in cells) == len(inside) > 0
    for c in cells:
        lon, lat = c["geometry"]["coordinates"]
        assert w - 1e-4 <= lon <= e + 1e-4 and s - 1e-4 <= lat <= n + 1e-4
        assert COMMODITY_GROUPS[c["properties"]["g"]] in c["properties"]["t"]
        assert 0 < c["properties"]["r"] <= 7.5


def test_a_crowded_tile_is_binned_even_zoomed_in(monkeypatch):
    occ = _points(50)
    occ["lon"], occ["lat"] = 70.0 + np.arange(50) * 1e-4, 30.0
    monkeypatch.setattr(tiles, "MAX_TILE_POINTS", 10)
    src = tiles.tile_source(occ, KEY)
    x, y = _tile_of(70.0, 30.0, tiles.POINT_ZOOM)
    feats = tiles.tile_features(src, tiles.POINT_ZOOM, x, y)
    assert feats and all("n" in f["properties"] for f in feats)
    assert sum(f["properties"]["n"] for f in feats) == 50


def test_empty_tile_and_empty_frame_keep_their_shape():
    src = tiles.tile_source(_points(0), KEY)
    assert src.size == 0 and tiles.tile_features(src, 0, 0, 0) == []
    assert tiles.tile_json(src, 2, 1, 1) == b"[]"


@given(lon=st.floats(-180, 180, allow_nan=False), lat=st.floats(-85, 85, allow_nan=False),
       z=st.integers(0, tiles.POINT_ZOOM))
def test_a_point_lies_in_the_bounds_of_its_tile(lon, lat, z):
    x, y = _tile_of(lon, lat, z)
    w, s, e, n = tiles.tile_bounds(z, x, y)
    assert w - 1e-9 <= lon <= e + 1e-9 and s - 1e-9 <= lat <= n + 1e-9


@given(z=st.text(max_size=8), x=st.text(max_size=8), y=st.text(max_size=8))
def test_parse_tile_refuses_anything_else_with_a_project_error(z, x, y):
    try:
        tz, tx, ty = tiles.parse_tile(z, x, y)
    except ValidationError:
        return
    assert 0 <= tz <= tiles.POINT_ZOOM and 0 <= tx < 2 ** tz and 0 <= ty < 2 ** tz


@pytest.mark.parametrize(("z", "x", "y"), [("9", "0", "0"), ("2", "4", "0"), ("-1", "0", "0"),
                                           ("1.5", "0", "0"), ("٣", "0", "0"), ("", "0", "0")])
def test_parse_tile_messages(z, x, y):
    with pytest.raises(ValidationError, match="tile"):
        tiles.parse_tile(z, x, y)


def test_source_keys_and_registry_eviction():
    with pytest.raises(ValidationError, match="hexadecimal"):
        tiles.tile_source(_points(3), "../etc")
    reg = tiles.TileRegistry(size=2)
    a, b, c = (tiles.tile_source(_points(3), tiles.source_key(k)) for k in "abc")
    reg.register(a)
    reg.register(b)
    assert reg.get(a.key) is a  # used: b is now the oldest
    reg.register(c)
    assert reg.get(b.key) is None and reg.get(a.key) is a and reg.get(c.key) is c
    assert len(reg) == 2


def test_tile_layer_json_names_the_template_and_styles_both_kinds():
    url = tiles.url_template(KEY, "/base/")
    assert url == f"/base/tiles/occ/{KEY}/{{z}}/{{x}}/{{y}}.json"
    spec = json.loads(layers.make_deck([layers.tile_layer(url, tiles.POINT_ZOOM)],
                                       basemap="none").to_json())
    lyr = spec["layers"][0]
    assert lyr["@@type"] == "TileLayer" and lyr["id"] == layers.TILE_LAYER_ID
    assert lyr["data"] == url and lyr["maxZoom"] == tiles.POINT_ZOOM and lyr["pickable"]
    assert lyr["getFillColor"].startswith("@@=properties.n>0?")


# ---- the HTTP route ---------------------------------------------------------------------------


@pytest.fixture
def route():
    reg = tiles.TileRegistry()
    reg.register(tiles.tile_source(_points(200), KEY))
    app = Router(routes=[Route(tiles.URL_PREFIX + "{key}/{z}/{x}/{y}.json",
                               asgi.tile_endpoint(lambda: reg))])
    return app, reg


def test_route_answers_a_tile_with_cache_headers(route):
    app, reg = route
    x, y = _tile_of(69.0, 30.0, tiles.POINT_ZOOM)
    status, headers, body = asgi_get(app, f"{tiles.URL_PREFIX}{KEY}/{tiles.POINT_ZOOM}/{x}/{y}.json")
    assert status == 200 and headers["content-type"].startswith("application/json")
    assert "immutable" in headers["cache-control"]
    assert json.loads(body) == tiles.tile_features(reg.get(KEY), tiles.POINT_ZOOM, x, y)


@pytest.mark.parametrize("path", [f"{KEY[:-1]}0/1/0/0.json", f"{KEY}/12/0/0.json",
                                  f"{KEY}/1/2/0.json", f"{KEY}/a/0/0.json"])
def test_route_refuses_unknown_sources_and_tiles_outside_the_grid(route, path):
    status, headers, body = asgi_get(route[0], tiles.URL_PREFIX + path)
    assert status == 404 and headers["cache-control"] == "no-store"
    assert b"tile" in body or b"reload" in body


def test_tile_bounds_cover_the_world_at_zoom_zero():
    w, s, e, n = tiles.tile_bounds(0, 0, 0)
    assert (w, e) == (-180.0, 180.0) and math.isclose(n, -s) and 85 < n < 85.1
