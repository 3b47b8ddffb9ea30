"""Browser test at scale: the app with 100,000 synthetic demo points (MINERALMAP_DEMO_SCALE).

The server (one per test session, shared with tests/e2e/test_e2e_pages_100k.py) is started by
tests/e2e/_scale.py, which builds the enrichment of the synthetic points once and prints its
time. The test opens the Explore map, checks the synthetic-data banner and the
aggregation note, changes the Province filter in the sidebar, and prints how long the rerun took
in the browser (recorded, not asserted).
"""

from __future__ import annotations

import time

import pytest

from tests.e2e._scale import N, record, scale_server
from tests.e2e.conftest import (
    assert_no_exception,
    rerun,
    screenshot,
    wait_for_app,
    wait_for_frames,
)

_record = record


@pytest.fixture
def scale_app(request, real_cache) -> str:
    return scale_server(request, real_cache)


_DONE_JS = """(word) => {
  if (document.querySelector('[data-testid="stStatusWidget"]')) return false;
  return [...document.querySelectorAll('h4')].some(h => h.innerText.includes(word));
}"""


def test_explore_at_100k_renders_and_filters(scale_app, page):
    t0 = time.perf_counter()
    page.goto(f"{scale_app}/explore?basemap=none")
    wait_for_app(page, timeout_ms=180_000)
    _record(f"[scale] explore page with {N:,} synthetic points: map canvas after "
            f"{time.perf_counter() - t0:.1f} s")
    assert_no_exception(page)
    page.get_by_text("SYNTHETIC demo points").first.wait_for(timeout=30_000)
    page.get_by_text("grid cells of").first.wait_for(timeout=30_000)
    screenshot(page, "scale_explore_100k")

    box = page.locator("[data-testid='stSidebar'] [data-testid='stMultiSelect']").filter(
        has_text="Province").first
    box.click()
    page.keyboard.type("Balochistan")
    page.get_by_role("option", name="Balochistan").first.wait_for(timeout=10_000)
    t1 = time.perf_counter()
    page.keyboard.press("Enter")
    page.wait_for_function(_DONE_JS, arg="in Balochistan", timeout=120_000)
    took = time.perf_counter() - t1
    _record(f"[scale] province filter change -> rerun finished in the browser after {took:.2f} s")
    page.keyboard.press("Escape")
    wait_for_app(page, timeout_ms=120_000)
    assert_no_exception(page)
    sentence = page.locator("h4", has_text="in Balochistan").first.inner_text()
    assert "Balochistan" in sentence
    # the table is not sent while closed; opened, it sends one page of rows
    toggle = page.get_by_text("Show the table (")
    assert toggle.count() == 1
    with rerun(page, timeout_ms=120_000):
        toggle.first.click()
    page.get_by_text("Rows 1–500 of").first.wait_for(timeout=60_000)
    assert_no_exception(page)
    wait_for_frames(page)  # let deck.gl draw the cells
    shot = screenshot(page, "scale_explore_100k_balochistan")
    assert shot.stat().st_size > 10_000
