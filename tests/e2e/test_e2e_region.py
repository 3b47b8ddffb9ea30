"""The BOI workflow in headless Chromium: select a province, download the GeoJSON and validate
it; the radius and bounding-box modes; picking on the map; a bad upload."""

from __future__ import annotations

import json
import re
from pathlib import Path

from shapely.geometry import shape

from tests.e2e.conftest import (
    assert_no_exception,
    click_marker,
    rerun,
    screenshot,
    wait_for_app,
)


def _selected(page) -> int:
    metric = page.locator("[data-testid='stMetric']").filter(has_text="Selected").first
    return int(metric.locator("[data-testid='stMetricValue']").inner_text().replace(",", ""))


_COUNT_JS = """([lo, hi]) => {
  const m = [...document.querySelectorAll('[data-testid="stMetric"]')]
    .find(e => e.innerText.includes('Selected'));
  const v = m && m.querySelector('[data-testid="stMetricValue"]');
  if (!v) return false;
  const n = parseInt(v.innerText.replace(/,/g, ''), 10);
  return n >= lo && n <= hi;
}"""


def _selected_within(page, lo: int, hi: int, timeout_ms: int = 30_000) -> int:
    """Wait until the "Selected" metric lies in ``lo..hi`` (the rerun that changes it may still be
    streaming in); return it. Times out (fails) when it never does."""
    page.wait_for_function(_COUNT_JS, arg=[lo, hi], timeout=timeout_ms)
    return _selected(page)


def _sentence(page) -> str:
    return page.locator("h4").filter(has_text="occurrence").first.inner_text()


def _choose(page, label: str, text: str) -> None:
    box = page.locator("[data-testid='stMultiSelect']").filter(has_text=label).first
    box.locator("input").click()
    box.locator("input").fill(text)
    with rerun(page):
        page.keyboard.press("Enter")
    page.keyboard.press("Escape")


def _set_number(page, label: str, value: float) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(str(value))
    with rerun(page):
        box.press("Enter")


def _decimals(v: float) -> int:
    text = repr(float(v))
    return 0 if "e" in text or "." not in text else len(text.split(".")[1].rstrip("0"))


def _coords(geom: dict) -> list[float]:
    out: list[float] = []

    def walk(c) -> None:
        if isinstance(c, (int, float)):
            out.append(float(c))
        else:
            for x in c:
                walk(x)

    walk(geom["coordinates"])
    return out


def _validate_geojson(path: Path, with_region: bool) -> dict:
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection"
    assert "crs" not in doc
    feats = doc["features"]
    occ = [f for f in feats if f["properties"].get("feature_type") == "occurrence"]
    reg = [f for f in feats if f["properties"].get("feature_type") == "region"]
    assert occ, "no occurrence features"
    assert len(occ) + len(reg) == len(feats)
    assert len(reg) == (1 if with_region else 0)
    for f in feats:
        assert f["type"] == "Feature"
        if f["geometry"] is not None:
            cs = _coords(f["geometry"])
            assert max(_decimals(c) for c in cs) <= 6
            assert all(-180 <= x <= 180 for x in cs[0::2]) and all(-90 <= y <= 90 for y in cs[1::2])
    meta = doc["metadata"]
    assert meta["filter"] and isinstance(meta["filter"], str)
    counts = meta["counts"]
    assert counts["total"] == len(occ)
    assert counts["mapped"] == sum(f["geometry"] is not None for f in occ)
    assert counts["mapped"] + counts["unmapped"] == counts["total"]
    groups: dict[str, int] = {}
    for f in occ:
        g = f["properties"].get("commodity_group") or "unknown"
        groups[g] = groups.get(g, 0) + 1
    assert counts["by_commodity"] == groups
    layers = {a["layer"] for a in meta["attributions"]}
    assert {"occurrences", "provinces"} <= layers
    assert all(a.get("licence") and a.get("attribution") for a in meta["attributions"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", meta["generated_utc"])
    assert meta["app_version"]
    ids = [f["properties"]["id"] for f in occ]
    assert len(set(ids)) == len(ids)
    return doc


def test_select_province_and_download_geojson(page, app_url, tmp_path):
    page.goto(f"{app_url}/region_export?province=Balochistan")
    wait_for_app(page)
    assert_no_exception(page)
    # the sidebar filter came from the URL
    assert _sentence(page).endswith("in Balochistan")
    by_filter = _selected(page)
    # the same province chosen as a region (admin units tab is open by default)
    _choose(page, "Provinces", "Balochistan")
    assert_no_exception(page)
    assert "region: Balochistan" in _sentence(page)
    n = _selected(page)
    assert n == by_filter > 0
    screenshot(page, "region_province")
    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("link", name="Download GeoJSON").click()  # the /download/ route
    dl = info.value
    assert re.fullmatch(r"mineralmap_balochistan_[a-z-]+_\d{4}-\d\d-\d\d\.geojson",
                        dl.suggested_filename), dl.suggested_filename
    path = tmp_path / dl.suggested_filename
    dl.save_as(path)
    doc = _validate_geojson(path, with_region=True)
    occ = [f for f in doc["features"] if f["properties"]["feature_type"] == "occurrence"]
    assert len(occ) == n
    assert doc["metadata"]["region"] == "Balochistan"
    assert "Balochistan" in doc["metadata"]["filter"]
    assert all((f["properties"].get("province_geo") or f["properties"].get("province"))
               == "Balochistan" for f in occ)
    region = shape(next(f for f in doc["features"]
                        if f["properties"]["feature_type"] == "region")["geometry"])
    near = region.buffer(0.01)  # points a few hundred metres outside the simplified boundary
    assert all(near.covers(shape(f["geometry"])) for f in occ if f["geometry"] is not None)
    assert_no_exception(page)
    shot = screenshot(page, "region_province_downloaded")
    assert shot.stat().st_size > 10_000


def test_radius_and_bbox_modes(page, app_url):
    page.goto(f"{app_url}/region_export")
    wait_for_app(page)
    total = _selected(page)
    page.get_by_role("tab", name="Radius").click(no_wait_after=True)
    with rerun(page):
        page.get_by_text("Use a radius").click()
    _set_number(page, "Radius (km, geodesic)", 450)
    assert_no_exception(page)
    assert _sentence(page).endswith("region: within 450 km of Gwadar")
    assert 0 < _selected_within(page, 1, total - 1) < total
    screenshot(page, "region_radius")
    with rerun(page):
        page.get_by_text("Use a radius").click()

    page.get_by_role("tab", name="Bounding box").click(no_wait_after=True)
    with rerun(page):
        page.get_by_text("Use a bounding box").click()
    # the run that applies the box can follow the one the click started: wait for its sentence
    page.get_by_text("region: box 66,28 to 70,32").first.wait_for(timeout=60_000)
    assert _sentence(page).endswith("region: box 66,28 to 70,32")
    in_box = _selected_within(page, 1, total - 1)
    assert 0 < in_box < total
    screenshot(page, "region_bbox")
    _set_number(page, "West (lon °E)", 71)
    assert_no_exception(page)
    err = page.locator("[data-testid='stAlert']").filter(has_text="Bounding box ignored")
    assert err.count() == 1 and "must be less than east" in err.inner_text()
    assert _selected_within(page, total, total) == total  # the page works without the box
    screenshot(page, "region_bbox_invalid")


def test_pick_on_map_removes_an_occurrence(page, app_url, marker):
    # view centred on the occurrence farthest from every other one: the only marker at that spot
    page.goto(f"{app_url}/region_export?view={marker.lat:.4f},{marker.lon:.4f},9&basemap=none")
    wait_for_app(page)
    total = _selected(page)
    picked_re = re.compile(r"Picked on the map \(\d+\)")
    with rerun(page):
        click_marker(page, marker)
    page.get_by_text(picked_re).first.wait_for(state="attached", timeout=30_000)
    assert marker.id in page.locator("p").filter(has_text=picked_re).first.inner_text()
    with rerun(page):
        page.get_by_role("button", name="Remove from selection").click()
    assert_no_exception(page)
    assert _selected_within(page, total - 1, total - 1) == total - 1
    assert "− 1 removed" in _sentence(page)
    page.get_by_role("tab", name="Pick on map").click(no_wait_after=True)
    removed = page.locator("p").filter(has_text=re.compile("Removed:")).first
    removed.wait_for()
    assert marker.id in removed.inner_text()
    screenshot(page, "region_pick")


def test_bad_upload_shows_message(page, app_url, tmp_path, marker):
    page.goto(f"{app_url}/region_export")
    wait_for_app(page)
    total = _selected(page)
    page.get_by_role("tab", name="Upload polygon").click(no_wait_after=True)
    assert page.get_by_text("at most 5 MB").count() >= 1
    bad = tmp_path / "broken.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    with rerun(page):
        page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(bad))
    msg = page.locator("[data-testid='stAlert']").filter(has_text="broken.geojson is not valid JSON")
    msg.first.wait_for(timeout=60_000)
    assert_no_exception(page)
    assert _selected_within(page, total, total) == total
    screenshot(page, "region_bad_upload")
    # a good polygon afterwards (a small box around one occurrence) replaces it and applies
    good = tmp_path / "north.geojson"
    w, s, e, n = marker.lon - 0.05, marker.lat - 0.05, marker.lon + 0.05, marker.lat + 0.05
    ring = [[w, s], [e, s], [e, n], [w, n], [w, s]]
    good.write_text(json.dumps({"type": "Polygon", "coordinates": [ring]}), encoding="utf-8")
    with rerun(page):
        page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(good))
    page.get_by_text("Using the polygon of north.geojson").first.wait_for(timeout=60_000)
    assert_no_exception(page)
    screenshot(page, "region_good_upload")
    assert "region: north.geojson" in _sentence(page)
    assert 0 < _selected_within(page, 1, total - 1) < total
