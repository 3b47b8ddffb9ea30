"""The "draw a box" map without its component: degrees <-> SVG round trip, the box a drag sends
(anything the browser could send), the SVG built from the toy layers (well-formed XML, names
escaped, size bounded, dots merged above the cap)."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import geopandas as gpd
import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as hs
from shapely.geometry import Polygon
from shapely.geometry import box as shapely_box

from mineralmap import drawmap, regionform
from mineralmap.regions import PAKISTAN_EXTENT

SVG_NS = "{http://www.w3.org/2000/svg}"
W, S, E, N = PAKISTAN_EXTENT


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_frame_maps_the_extent_onto_the_viewbox():
    f = drawmap.FRAME
    x, y = f.to_svg(np.array([W, E]), np.array([N, S]))
    assert np.allclose(x, [0, f.width]) and np.allclose(y, [0, f.height])
    # one degree of latitude is 1/cos(mid-latitude) times one of longitude (equirectangular)
    assert math.isclose(f.ky * math.cos(math.radians((S + N) / 2)), f.kx)
    d = f.as_dict()
    assert d["kx"] == f.kx and d["ky"] == f.ky and d["height"] == f.height


@given(hs.floats(W, E), hs.floats(S, N))
def test_projection_round_trip(lon, lat):
    f = drawmap.FRAME
    x, y = f.to_svg(lon, lat)
    assert 0 <= x <= f.width + 1e-9 and 0 <= y <= f.height + 1e-9
    back = f.to_lonlat(x, y)
    assert math.isclose(float(back[0]), lon, abs_tol=1e-9)
    assert math.isclose(float(back[1]), lat, abs_tol=1e-9)


def test_box_from_a_drag_is_ordered_rounded_outward_and_clipped():
    box = drawmap.box_from_value({"west": 70.004, "south": 31.999, "east": 66.126,
                                  "north": 28.3})
    assert box == (66.12, 28.3, 70.01, 32.0)  # corners in any order; the dragged area is kept
    assert regionform.check_mode("Bounding box", {"bbox": box})[1] is None
    # beyond the extent: clipped to it (a bounding box must lie inside Pakistan's extent)
    assert drawmap.box_from_value({"west": 50, "south": 0, "east": 99, "north": 60}) == \
        PAKISTAN_EXTENT
    assert drawmap.box_from_value({"west": 66, "south": 28, "east": 66.01, "north": 29}) is None
    for junk in (None, "66,28,70,32", [66, 28, 70, 32], {}, {"west": 66},
                 {"west": True, "south": 28, "east": 70, "north": 32},
                 {"west": "66", "south": 28, "east": 70, "north": 32},
                 {"west": float("nan"), "south": 28, "east": 70, "north": 32},
                 {"west": 66, "south": 28, "east": float("inf"), "north": 32}):
        assert drawmap.box_from_value(junk) is None, junk


_number = hs.one_of(hs.floats(allow_nan=True, allow_infinity=True), hs.integers(-10**6, 10**6),
                    hs.booleans(), hs.none(), hs.text(max_size=4))


@given(hs.one_of(
    hs.fixed_dictionaries({k: _number for k in ("west", "south", "east", "north")}),
    hs.dictionaries(hs.text(max_size=6), _number, max_size=5),
    _number, hs.lists(_number, max_size=5)))
def test_anything_the_browser_sends_gives_a_valid_box_or_none(value):
    box = drawmap.box_from_value(value)
    if box is not None:
        assert regionform.check_mode("Bounding box", {"bbox": box})[1] is None
        assert all(round(v, drawmap.DECIMALS) == v for v in box)


@given(hs.floats(W, E), hs.floats(S, N), hs.floats(W, E), hs.floats(S, N))
def test_a_box_drawn_on_the_map_covers_the_dragged_corners(lon0, lat0, lon1, lat1):
    f = drawmap.FRAME
    # the browser sends the degrees of two SVG points (what the component computes)
    (x0, x1), (y0, y1) = f.to_svg(np.array([lon0, lon1]), np.array([lat0, lat1]))
    lons, lats = f.to_lonlat(np.array([x0, x1]), np.array([y0, y1]))
    value = {"west": float(lons.min()), "east": float(lons.max()),
             "south": float(lats.min()), "north": float(lats.max())}
    box = drawmap.box_from_value(value)
    if box is None:
        assert abs(lon1 - lon0) < drawmap.MIN_BOX_DEG + 0.02 or \
            abs(lat1 - lat0) < drawmap.MIN_BOX_DEG + 0.02
        return
    w, s, e, n = box
    assert w <= min(lon0, lon1) + 1e-9 and e >= max(lon0, lon1) - 1e-9
    assert s <= min(lat0, lat1) + 1e-9 and n >= max(lat0, lat1) - 1e-9
    assert e - w <= abs(lon1 - lon0) + 0.02 + 1e-9  # rounded outward by at most 0.01 a side


def test_box_text():
    assert drawmap.box_text((66.12, 28.3, 70.0, 32.0)) == "66.12–70 °E, 28.3–32 °N"


def test_svg_of_the_toy_world(provinces, districts, enriched):
    svg = drawmap.build_svg({"provinces": provinces, "districts": districts}, enriched)
    root = _parse(svg)  # well-formed XML
    f = drawmap.FRAME
    assert root.get("viewBox") == f"0 0 {round(f.width)} {round(f.height)}"
    titles = [t.text for t in root.iter(f"{SVG_NS}title")]
    for name in provinces["province"]:
        assert name in titles
    for _, row in districts.iterrows():
        assert f"{row['district']}, {row['province']}" in titles
    # one dot per occupied 2-unit cell per commodity group, coloured by group
    pts = root.find(f".//{SVG_NS}g[@class='mm-pts']")
    mapped = enriched[np.isfinite(pd.to_numeric(enriched["lon"], errors="coerce"))]
    groups = {p.find(f"{SVG_NS}title").text for p in pts}
    assert len(groups) == mapped["commodity_group"].nunique()
    dots = sum(p.get("d").count("h0") for p in pts)
    x, y = f.to_svg(mapped["lon"].to_numpy(float), mapped["lat"].to_numpy(float))
    cells = {(g, int(a // 2), int(b // 2))
             for g, a, b in zip(mapped["commodity_group"], x, y, strict=True)}
    assert dots == len(cells)


@settings(max_examples=40, deadline=None)
@given(hs.text(min_size=1, max_size=30))
def test_names_are_escaped(name):
    names = [name, "A & B <script>alert(1)</script>", 'quote " and \' apostrophe']
    gdf = gpd.GeoDataFrame(
        {"province": names},
        geometry=[shapely_box(62, 25, 64, 27), shapely_box(65, 28, 68, 31),
                  shapely_box(70, 30, 72, 33)], crs="EPSG:4326")
    root = _parse(drawmap.build_svg({"provinces": gdf}, None))  # well-formed for any name
    assert root.find(f".//{SVG_NS}script") is None
    # shown as literal text; control characters (which XML cannot hold) as spaces
    shown = [re.sub("[\x00-\x1f\x7f\ud800-\udfff\ufffe\uffff]", " ", n) for n in names]
    assert [t.text or "" for t in root.iter(f"{SVG_NS}title")] == shown
    labels = [t.text or "" for t in root.find(f".//{SVG_NS}g[@class='mm-labels']")]
    assert set(labels) <= set(shown)


def test_svg_size_and_dots_are_bounded():
    # a fine "coastline" province with many vertices and 20,000 scattered points
    t = np.linspace(0, 2 * np.pi, 40_000, endpoint=False)
    ring = np.column_stack([69 + 6 * np.cos(t) + 0.05 * np.sin(400 * t),
                            30 + 5 * np.sin(t) + 0.05 * np.cos(400 * t)])
    gdf = gpd.GeoDataFrame({"province": ["Fine"]}, geometry=[Polygon(ring)], crs="EPSG:4326")
    rng = np.random.default_rng(1)
    occ = pd.DataFrame({"lon": rng.uniform(W, E, 20_000), "lat": rng.uniform(S, N, 20_000),
                        "commodity_group": rng.choice(["Sb", "REE", "other"], 20_000)})
    svg = drawmap.build_svg({"provinces": gdf, "districts": gdf.rename(
        columns={"province": "district"})}, occ, max_bytes=60_000, max_points=500)
    assert len(svg.encode()) <= 60_000
    root = _parse(svg)
    dots = sum(p.get("d").count("h0") for p in root.find(f".//{SVG_NS}g[@class='mm-pts']"))
    assert 0 < dots <= 500


def test_missing_layers_and_empty_occurrences_still_give_a_map():
    root = _parse(drawmap.build_svg({}, pd.DataFrame({"lon": [], "lat": []})))
    assert root.find(f".//{SVG_NS}g[@class='mm-grat']") is not None


def test_payload_carries_the_frame_and_a_version(provinces, districts, enriched):
    p = drawmap.map_payload({"provinces": provinces, "districts": districts}, enriched)
    assert p["frame"] == drawmap.FRAME.as_dict() and p["decimals"] == drawmap.DECIMALS
    again = drawmap.map_payload({"provinces": provinces, "districts": districts}, enriched)
    assert again["version"] == p["version"]
    other = drawmap.map_payload({"provinces": provinces}, enriched)
    assert other["version"] != p["version"]


def test_path_data_is_relative_whole_units():
    f = drawmap.FRAME
    g = drawmap._project(np.array([shapely_box(66, 28, 70, 32)]), f)[0]
    d = drawmap.path_d(g)
    assert d.startswith("M") and d.endswith("z") and "." not in d
    assert drawmap.path_d(None) == ""
