"""Share links (issue 14, item 3) and the error messages of item 9, in headless Chromium.

A link built by using the page (not typed by hand) is opened in a fresh browser context, which
shares nothing with the first one: the region (district + commodity + box) and the candidate
terminal must come back from the URL alone.
"""

from __future__ import annotations

import json
import math

import pytest

from mineralmap import selection
from mineralmap.catalog import load_catalog
from tests.e2e.conftest import (
    assert_no_exception,
    rerun,
    screenshot,
    wait_for_app,
)

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def share_case(real_cache) -> dict:
    """A district, a commodity with mapped occurrences in it, and a box around them."""
    cat = load_catalog(real_cache)
    occ = cat.occurrences
    mapped = occ[occ["mapped"].astype(bool) & occ["commodity_group"].isin(["Sb", "REE"])]
    sizes = mapped.groupby(["district_geo", "commodity_group"]).size()
    district, commodity = sizes.idxmax()
    rows = mapped[(mapped["district_geo"] == district) & (mapped["commodity_group"] == commodity)]
    box = (math.floor(rows["lon"].min() * 10) / 10 - 0.1, math.floor(rows["lat"].min() * 10) / 10 - 0.1,
           math.ceil(rows["lon"].max() * 10) / 10 + 0.1, math.ceil(rows["lat"].max() * 10) / 10 + 0.1)
    label = selection.admin_labels(cat.layers)["districts"].get(district, district)
    return {"district": str(district), "label": label, "commodity": str(commodity),
            "box": tuple(round(v, 1) for v in box), "n": len(rows)}


def _fresh(browser, viewport=None):
    ctx = browser.new_context(viewport=viewport or {"width": 1400, "height": 1000})
    return ctx, ctx.new_page()


def _choose(page, box, text: str) -> None:
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


def _selected(page) -> int:
    metric = page.locator("[data-testid='stMetric']").filter(has_text="Selected").first
    return int(metric.locator("[data-testid='stMetricValue']").inner_text().replace(",", ""))


def _sentence(page) -> str:
    return page.locator("h4").filter(has_text="occurrence").first.inner_text()


def _alert(page, text: str):
    return page.locator("[data-testid='stAlert']").filter(has_text=text).first


def test_region_link_restores_in_a_fresh_context(browser, app_url, share_case):
    ctx, page = _fresh(browser)
    page.goto(f"{app_url}/region_export")
    wait_for_app(page)
    sidebar = page.locator("[data-testid='stSidebar']")
    _choose(page, sidebar.locator("[data-testid='stMultiSelect']").filter(has_text="Commodity"),
            share_case["commodity"])
    _choose(page, page.locator("[data-testid='stMultiSelect']").filter(has_text="Districts"),
            share_case["label"])
    page.get_by_role("tab", name="Bounding box").click(no_wait_after=True, timeout=90_000)
    with rerun(page):
        page.get_by_text("Use a bounding box").click()
    w, s, e, n = share_case["box"]
    for label, v in (("West (lon °E)", w), ("South (lat °N)", s), ("East (lon °E)", e),
                     ("North (lat °N)", n)):
        _set_number(page, label, v)
    assert_no_exception(page)
    sentence = _sentence(page)
    assert share_case["district"] in sentence and "box" in sentence
    count = _selected(page)
    assert count == share_case["n"]
    url = page.url
    assert "rdist=" in url and "rbox=" in url and "commodity=" in url
    ctx.close()

    ctx, page = _fresh(browser)
    page.goto(url)
    wait_for_app(page)
    assert_no_exception(page)
    assert _sentence(page) == sentence and _selected(page) == count
    districts = page.locator("[data-testid='stMultiSelect']").filter(has_text="Districts")
    assert share_case["label"] in districts.inner_text()
    page.get_by_role("tab", name="Bounding box").click(no_wait_after=True, timeout=90_000)
    assert float(page.get_by_label("West (lon °E)", exact=True).input_value()) == w
    assert float(page.get_by_label("North (lat °N)", exact=True).input_value()) == n
    hint = page.get_by_text("the address in the browser's bar restores").first
    assert "uploaded polygon cannot travel in a link" in hint.inner_text()
    screenshot(page, "share_region_restored")
    ctx.close()


def test_candidate_link_restores_in_a_fresh_context(browser, app_url):
    ctx, page = _fresh(browser)
    page.goto(f"{app_url}/context")
    wait_for_app(page, timeout_ms=120_000)
    with rerun(page):
        page.get_by_text("Add a candidate terminal", exact=True).click()
    _set_number(page, "Longitude (°E)", 64.64)
    _set_number(page, "Latitude (°N)", 25.21)
    name = page.get_by_label("Name", exact=True)
    name.fill("Ormara East")
    with rerun(page):
        name.press("Enter")
    page.get_by_text("Ormara East").first.wait_for(timeout=120_000)
    url = page.url
    assert "cand=64.64%2C25.21" in url or "cand=64.64,25.21" in url, url
    ctx.close()

    ctx, page = _fresh(browser)
    page.goto(url)
    wait_for_app(page, timeout_ms=120_000)
    assert_no_exception(page)
    assert page.get_by_role("checkbox", name="Add a candidate terminal").is_checked()
    assert float(page.get_by_label("Longitude (°E)").input_value()) == 64.64
    assert float(page.get_by_label("Latitude (°N)").input_value()) == 25.21
    page.get_by_text("Ormara East").first.wait_for(timeout=120_000)  # the terminal legend
    screenshot(page, "share_candidate_restored")
    ctx.close()


def test_candidate_input_errors_show_in_the_page(page, app_url):
    page.goto(f"{app_url}/context")
    wait_for_app(page, timeout_ms=120_000)
    with rerun(page):
        page.get_by_text("Add a candidate terminal", exact=True).click()
    _set_number(page, "Longitude (°E)", 250)
    _set_number(page, "Latitude (°N)", 25.2)
    msg = _alert(page, "Longitude 250 is not a longitude")
    msg.wait_for(timeout=60_000)
    assert page.get_by_text("Enter both coordinates").count() == 0
    screenshot(page, "candidate_lon_250")
    _set_number(page, "Longitude (°E)", 25.21)
    _set_number(page, "Latitude (°N)", 64.64)
    _alert(page, "look swapped").wait_for(timeout=60_000)
    assert "did you mean longitude 64.64 °E, latitude 25.21 °N" in _alert(page, "swapped").inner_text()
    screenshot(page, "candidate_swapped")
    with rerun(page):
        page.get_by_role("button", name="Swap longitude and latitude").click()
    page.get_by_text("off the road network").first.wait_for(timeout=120_000)
    assert float(page.get_by_label("Longitude (°E)").input_value()) == 64.64
    assert _alert(page, "swapped").count() == 0
    assert_no_exception(page)


def test_upload_errors_show_in_the_page(page, app_url, tmp_path):
    # .streamlit/config.toml sets the server's maxUploadSize above the page's 5 MB limit, so an
    # over-size file reaches the page, which says why it is refused (not only on hover).
    page.goto(f"{app_url}/region_export")
    wait_for_app(page)
    total = _selected(page)
    page.get_by_role("tab", name="Upload polygon").click(no_wait_after=True, timeout=90_000)
    uploader = page.locator("[data-testid='stFileUploader'] input[type='file']")
    big = tmp_path / "big.geojson"
    big.write_bytes(b" " * 6_000_000)
    with rerun(page):
        uploader.set_input_files(str(big))
    _alert(page, "big.geojson is 6.0 MB; the limit is 5 MB").wait_for(timeout=60_000)
    screenshot(page, "upload_oversize")
    far = tmp_path / "alps.geojson"
    ring = [[10, 45], [11, 45], [11, 46], [10, 46], [10, 45]]
    far.write_text(json.dumps({"type": "Polygon", "coordinates": [ring]}), encoding="utf-8")
    with rerun(page):
        uploader.set_input_files(str(far))
    warn = _alert(page, "alps.geojson lies outside Pakistan")
    warn.wait_for(timeout=60_000)
    assert page.get_by_text("Using the polygon of alps.geojson").count() == 0
    assert _selected(page) == 0 < total
    screenshot(page, "upload_outside_pakistan")
    assert_no_exception(page)


def test_unknown_page_and_ignored_parameters_are_noted(page, app_url):
    page.goto(f"{app_url}/nosuchpage?bogus=1&province=Atlantis")
    wait_for_app(page)
    note = _alert(page, "Some link parameters were ignored")
    note.wait_for(timeout=60_000)
    text = note.inner_text()
    assert "no page 'nosuchpage'" in text and "bogus" in text and "Atlantis" in text
    # the ignored parameters are gone from the address once the note is shown
    page.wait_for_function("() => !location.search.includes('bogus')")
    assert "Atlantis" not in page.url


def test_region_page_on_a_phone(browser, app_url):
    ctx, page = _fresh(browser, PHONE)
    page.goto(f"{app_url}/region_export?province=Balochistan&commodity=Sb")
    wait_for_app(page)
    assert_no_exception(page)
    metric = page.locator("[data-testid='stMetric']").filter(has_text="Selected").first
    download = page.get_by_role("link", name="Download GeoJSON")
    canvas = page.locator("[data-testid='stDeckGlJsonChart']").first
    tops = {name: loc.bounding_box()["y"] for name, loc in
            (("counts", metric), ("download", download), ("map", canvas))}
    # counts and downloads come before the map, so before its legend
    assert tops["counts"] < tops["download"] < tops["map"], tops
    screenshot(page, "region_phone_top")
    metric.scroll_into_view_if_needed()
    screenshot(page, "region_phone_counts")
    ctx.close()
