"""The region form without widgets: modes checked alone, uploads never raise, a region that
cannot be applied falls back to the filter."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as hs

from mineralmap import regionform, selection
from mineralmap.filters import FilterSpec
from mineralmap.regions import RegionSpec


def _box(w: float, s: float, e: float, n: float) -> bytes:
    ring = [[w, s], [e, s], [e, n], [w, n], [w, s]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]}).encode()


def test_check_mode_reports_and_drops_only_the_bad_mode():
    kw, err = regionform.check_mode("Bounding box", {"bbox": (66, 28, 70, 32)})
    assert kw == {"bbox": (66, 28, 70, 32)} and err is None
    kw, err = regionform.check_mode("Bounding box", {"bbox": (71, 28, 70, 32)})
    assert kw == {} and err.startswith("Bounding box ignored: ")
    kw, err = regionform.check_mode("Radius", {"center_lonlat": (34.0, 71.5), "radius_km": 50})
    assert kw == {} and err.startswith("Radius ignored: ")


def test_parse_upload_messages():
    kw, msgs = regionform.parse_upload(_box(66, 28, 67, 29), "ok.geojson")
    assert kw["polygon_label"] == "ok.geojson" and kw["polygon"].bounds == (66, 28, 67, 29)
    assert msgs == []
    kw, msgs = regionform.parse_upload(b'{"type": "Feature', "broken.geojson")
    assert kw == {} and msgs[0][0] == "error" and "broken.geojson" in msgs[0][1]

    def crashing(content: bytes, name: str):
        raise RuntimeError("boom")

    kw, msgs = regionform.parse_upload(b"", "x.kml", parser=crashing)
    assert kw == {} and msgs[0][0] == "error"
    assert msgs[0][1].startswith("Upload ignored: x.kml could not be read (unexpected RuntimeError)")
    assert "boom" not in msgs[0][1]

    def noted(content: bytes, name: str):
        geom, _ = regionform.parse_region_file(_box(66, 28, 67, 29), "a.geojson")
        return geom, ["repaired"]

    assert regionform.parse_upload(b"", "a.geojson", parser=noted)[1] == [("info", "repaired")]


@settings(max_examples=60, deadline=None)
@given(hs.binary(max_size=300),
       hs.sampled_from(["a.geojson", "a.json", "a.kml", "a.zip", "a.txt"]))
def test_any_upload_is_a_message_never_an_exception(content, name):
    kw, msgs = regionform.parse_upload(content, name)
    assert (kw and all(level == "info" for level, _ in msgs)) or (
        kw == {} and len(msgs) == 1 and msgs[0][0] == "error")


def test_select_or_filter_falls_back(enriched, layers):
    spec = FilterSpec()
    sel, msg = regionform.select_or_filter(enriched, layers, spec,
                                           RegionSpec(provinces=("Balochistan",)))
    assert msg is None and len(sel.rows) > 0

    # a radius around a centre that is no port, town or occurrence cannot be applied
    bad = RegionSpec(center="Atlantis", radius_km=50, add_ids=("REE-002",))
    sel, msg = regionform.select_or_filter(enriched, layers, spec, bad)
    assert msg.startswith("The region could not be applied (") and "Atlantis" in msg
    assert msg.endswith("); showing the filtered occurrences.")
    expected = selection.select(enriched, layers, spec, RegionSpec(add_ids=("REE-002",)))
    assert list(sel.rows["id"]) == list(expected.rows["id"])


def test_unexpected_parser_failure_message_has_no_raw_text():
    def parser(content: bytes, name: str):
        raise OSError("/tmp/mineralmap_upload_x/upload.shp: not recognized")

    kw, msgs = regionform.parse_upload(b"x", "area.zip", parser)
    assert kw == {} and msgs[0][0] == "error"
    assert "/tmp" not in msgs[0][1] and "area.zip" in msgs[0][1]
