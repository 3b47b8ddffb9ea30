"""Browser test of the Market & logistics page: renders its map without an exception."""

from __future__ import annotations

from tests.e2e.conftest import assert_no_exception, screenshot, wait_for_app, wait_for_frames


def test_context_page_renders(app_url, page):
    page.goto(f"{app_url}/context")
    wait_for_app(page, timeout_ms=120_000)
    assert_no_exception(page)
    page.get_by_text("Market and logistics").first.wait_for()
    page.get_by_text("Export-terminal scenario").first.wait_for()
    assert page.locator("[data-testid='stMetric']").count() >= 7
    wait_for_frames(page)  # let deck.gl draw the routes
    path = screenshot(page, "context_top")
    assert path.stat().st_size > 10_000
    page.get_by_text("Export-terminal scenario").first.scroll_into_view_if_needed()
    wait_for_frames(page)
    assert screenshot(page, "context_scenario").stat().st_size > 10_000


def test_context_page_candidate(app_url, page):
    page.goto(f"{app_url}/context")
    wait_for_app(page, timeout_ms=120_000)
    page.get_by_text("Add a candidate terminal", exact=True).click()
    page.get_by_label("Longitude (°E)").fill("64.64")
    page.get_by_label("Longitude (°E)").press("Enter")
    page.get_by_label("Latitude (°N)").fill("25.21")
    page.get_by_label("Latitude (°N)").press("Enter")
    page.get_by_text("off the road network").first.wait_for(timeout=120_000)
    wait_for_app(page, timeout_ms=120_000)
    assert_no_exception(page)
    page.locator("[data-testid='stDeckGlJsonChart']").first.scroll_into_view_if_needed()
    wait_for_frames(page)
    assert screenshot(page, "context_candidate").stat().st_size > 10_000
