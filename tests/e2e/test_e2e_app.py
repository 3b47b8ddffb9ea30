"""The real app in headless Chromium: the map renders, no exception, a click opens details."""

from __future__ import annotations

from tests.e2e.conftest import (
    assert_no_exception,
    click_marker,
    rerun,
    screenshot,
    wait_for_app,
    wait_for_frames,
)


def test_home_map_renders(page, app_url):
    page.goto(app_url)
    wait_for_app(page)
    page.wait_for_selector("text=Occurrences by province and commodity")
    assert_no_exception(page)
    wait_for_frames(page)
    shot = screenshot(page, "home")
    assert shot.stat().st_size > 10_000


def test_explore_click_opens_detail_panel(page, app_url, marker):
    # Centre the view on the occurrence farthest from every other one and click the centre.
    page.goto(f"{app_url}/explore?view={marker.lat:.4f},{marker.lon:.4f},9"
              "&basemap=none&layers=provinces,railways")
    wait_for_app(page)
    assert_no_exception(page)
    with rerun(page):
        click_marker(page, marker)
    heading = page.locator("h3").filter(has_text=marker.name)
    heading.first.wait_for(state="attached", timeout=30_000)
    page.locator("text=Road haul to port").first.wait_for(state="attached", timeout=20_000)
    assert marker.id in page.locator("[data-testid='stMain']").inner_text()
    assert_no_exception(page)
    screenshot(page, "explore_detail")
