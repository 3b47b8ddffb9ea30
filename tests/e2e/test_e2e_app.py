"""The real app in headless Chromium: the map renders, no exception, a click opens details."""

from __future__ import annotations

import time

from tests.e2e.conftest import assert_no_exception, screenshot, wait_for_app


def test_home_map_renders(page, app_url):
    page.goto(app_url)
    wait_for_app(page)
    page.wait_for_selector("text=Occurrences by province and commodity")
    assert_no_exception(page)
    shot = screenshot(page, "home")
    assert shot.stat().st_size > 10_000


def test_explore_click_opens_detail_panel(page, app_url):
    # Centre the view on the one surveyed occurrence (Loe Shilman) and click the map centre.
    page.goto(f"{app_url}/explore?view=34.2208,71.1411,9&basemap=none&layers=provinces")
    wait_for_app(page)
    assert_no_exception(page)
    canvas = page.locator("[data-testid='stDeckGlJsonChart'] canvas").first
    canvas.wait_for()
    time.sleep(2)  # let deck.gl finish its first draw before picking
    box = canvas.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector("text=Loe Shilman", timeout=60_000)
    page.wait_for_selector("text=Road haul to port", timeout=60_000)
    assert_no_exception(page)
    screenshot(page, "explore_detail")
