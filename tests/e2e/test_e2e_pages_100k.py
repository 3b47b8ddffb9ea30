"""Browser test at scale: every page opens with 100,000 synthetic demo points and finishes without
an exception, with the default filters and with a selection that matches nothing.

One server for the session (tests/e2e/_scale.py, shared with test_e2e_scale.py; the enriched demo
points are cached on disk). Two times per page are printed and appended to
tests/e2e/artifacts/scale_timings.log; they are recorded, not asserted. Both are conditions,
never sleeps, so a spinner that never ends fails the test by its timeout:

* "finished": the script is not running, nothing is stale and the page's last element (the
  attributions) is there;
* "drawn": besides, the browser has replaced every placeholder (``stSkeleton``: Streamlit's
  front end shows one while it loads an element's code, which on this machine can take a second
  after the script has finished) and every map and table has its canvas. The screenshot is taken
  then, so it shows the page a user sees.
"""

from __future__ import annotations

import time

import pytest

from tests.e2e._scale import N, record, scale_server
from tests.e2e.conftest import assert_no_exception, screenshot, wait_for_frames

#: URL path -> page title (the h1 each page starts with).
PAGES = {
    "": "Pakistan's critical minerals",
    "explore": "Explore occurrences",
    "region_export": "Select a region and export it",
    "context": "Market and logistics",
    "data": "Data and sources",
}
#: A name filter (URL parameter ``q``) that matches no occurrence.
NOTHING = "zzzz-no-such-occurrence"
TIMEOUT_MS = 300_000

_FINISHED_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app && app.getAttribute('data-test-script-state') === 'notRunning'
    && !document.querySelector('[data-testid="stStatusWidget"]')
    && !document.querySelector('[data-testid="stElementContainer"][data-stale="true"]')
    && [...document.querySelectorAll('[data-testid="stCaptionContainer"]')]
         .some(c => c.innerText.includes('Data sources and licences'));
}"""


_DRAWN_JS = """() => !document.querySelector('[data-testid="stSkeleton"]')
  && [...document.querySelectorAll('[data-testid="stDeckGlJsonChart"], [data-testid="stDataFrame"]')]
       .every(e => !!e.querySelector('canvas'))"""


@pytest.fixture
def scale_app(request, real_cache) -> str:
    return scale_server(request, real_cache)


def _open(page, url: str, title: str) -> tuple[float, float]:
    """Open ``url``; seconds until the page has finished, and until it is drawn."""
    t0 = time.perf_counter()
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_function(_FINISHED_JS, timeout=TIMEOUT_MS)
    finished = time.perf_counter() - t0
    page.wait_for_function(_DRAWN_JS, timeout=TIMEOUT_MS)
    drawn = time.perf_counter() - t0
    page.locator("h1", has_text=title).first.wait_for(timeout=10_000)
    assert_no_exception(page)
    return finished, drawn


@pytest.mark.parametrize("path", list(PAGES), ids=[p or "home" for p in PAGES])
def test_page_finishes_at_100k(scale_app, page, path):
    name = path or "home"
    finished, drawn = _open(page, f"{scale_app}/{path}?basemap=none", PAGES[path])
    record(f"[pages-100k] {name}: {N:,} synthetic points, page finished after {finished:.1f} s,"
           f" drawn after {drawn:.1f} s")
    assert page.locator('[data-testid="stMultiSelect"]').count() > 0  # the shared sidebar
    wait_for_frames(page)  # deck.gl and the tables paint in the frames after their data
    screenshot(page, f"pages_100k_{name}")

    finished, drawn = _open(page, f"{scale_app}/{path}?basemap=none&q={NOTHING}", PAGES[path])
    sentences = [h.inner_text() for h in page.locator("h4").all()]
    record(f"[pages-100k] {name}: empty selection finished after {finished:.1f} s, drawn after"
           f" {drawn:.1f} s")
    if path != "data":  # the Data page does not use the filters
        assert any(NOTHING in s for s in sentences), sentences
