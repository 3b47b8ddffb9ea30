"""Browser test at scale: the app with 100,000 synthetic demo points (MINERALMAP_DEMO_SCALE).

The server (one per test session, shared with tests/e2e/test_e2e_pages_100k.py) is started by
tests/e2e/_scale.py, which builds the enrichment of the synthetic points once and prints its
time. The test opens the Explore map, checks the synthetic-data banner and the
aggregation note, changes the Province filter in the sidebar, and prints how long the rerun took
in the browser (recorded, not asserted).
"""

from __future__ import annotations

import json
import math
import time

import pytest

from mineralmap import tiles
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
    page.get_by_text("zoom in (to zoom level").first.wait_for(timeout=30_000)
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


def _pixel(view: tuple[float, float, float], box: dict, lon: float, lat: float
           ) -> tuple[float, float]:
    """Where deck.gl's Web Mercator view (lat, lon, zoom) draws (lon, lat) on the canvas."""
    scale = 512 * 2 ** view[2] / (2 * math.pi)

    def merc(lo: float, la: float) -> tuple[float, float]:
        return (math.radians(lo) * scale,
                -math.log(math.tan(math.pi / 4 + math.radians(la) / 2)) * scale)

    cx, cy = merc(view[1], view[0])
    x, y = merc(lon, lat)
    return box["x"] + box["width"] / 2 + (x - cx), box["y"] + box["height"] / 2 + (y - cy)


def test_zoomed_in_at_100k_every_point_is_drawn_and_pickable(scale_app, page):
    """Issue 16: above the threshold the map draws tiles; zoomed in they hold single points,
    each with its tooltip, and a click selects it."""
    got: list[dict] = []

    def keep(resp) -> None:
        if tiles.URL_PREFIX in resp.url and f"/{tiles.POINT_ZOOM}/" in resp.url:
            got.extend(json.loads(resp.body()) if resp.status == 200 else [])

    page.on("response", keep)
    view = (30.2, 67.0, 9.0)  # around Quetta
    page.goto(f"{scale_app}/explore?basemap=none&view={view[0]},{view[1]},{view[2]}")
    wait_for_app(page, timeout_ms=180_000)
    deadline = time.monotonic() + 60
    while not got and time.monotonic() < deadline:
        page.wait_for_timeout(200)  # polling the responses, not a fixed wait for the app
    points = [f for f in got if "id" in f["properties"]]
    assert points and not [f for f in got if "n" in f["properties"]], got[:3]
    wait_for_frames(page, 5)
    box = page.locator("[data-testid='stDeckGlJsonChart'] canvas").first.bounding_box()
    xy = [(f, _pixel(view, box, *f["geometry"]["coordinates"])) for f in points]
    inside = [(f, p) for f, p in xy if box["x"] + 40 < p[0] < box["x"] + box["width"] - 40
              and box["y"] + 40 < p[1] < box["y"] + box["height"] - 40]

    def gap(p: tuple[float, float]) -> float:
        return min((math.dist(p, q) for _, q in xy if q != p), default=1e9)

    feat, (x, y) = max(inside, key=lambda fp: gap(fp[1]))
    name = feat["properties"]["t"].split("\n", 1)[0]
    page.mouse.move(box["x"] + 3, box["y"] + 3)
    page.mouse.move(x, y, steps=4)
    page.locator(".mm-tip").filter(has_text=name).first.wait_for(state="visible",
                                                                 timeout=30_000)
    screenshot(page, "scale_explore_100k_zoomed")
    with rerun(page, timeout_ms=120_000):
        page.mouse.click(x, y)
    wait_for_app(page, timeout_ms=120_000)
    # the detail panel names the point, and the selection is in the shared link
    page.get_by_role("heading", name=name).first.wait_for(timeout=60_000)
    assert f"sel={feat['properties']['id']}" in page.url
    screenshot(page, "scale_explore_100k_clicked")
    assert_no_exception(page)
