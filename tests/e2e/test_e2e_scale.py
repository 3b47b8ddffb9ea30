"""Browser test at scale: the app with 100,000 synthetic demo points (MINERALMAP_DEMO_SCALE).

The enrichment of the synthetic points is built once before the app starts (its own cache file
``occurrences_extra_<hash>.parquet`` beside the layers; the curated cache file is not touched) and
its time is printed. The test opens the Explore map, checks the synthetic-data banner and the
aggregation note, changes the Province filter in the sidebar, and prints how long the rerun took
in the browser (recorded, not asserted).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator

import pytest

from mineralmap import catalog, config
from tests.e2e.conftest import (
    ARTIFACTS,
    assert_no_exception,
    screenshot,
    start_app,
    wait_for_app,
    wait_for_frames,
)

N = 100_000


def _record(line: str) -> None:
    """Print a timing and append it to tests/e2e/artifacts/scale_timings.log (not asserted)."""
    print("\n" + line)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with (ARTIFACTS / "scale_timings.log").open("a", encoding="utf-8") as f:
        f.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {line}\n")


@pytest.fixture(scope="module")
def scale_app(real_cache) -> Iterator[str]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MINERALMAP_DEMO_SCALE", str(N))
        config.reload_settings()  # settings are read once: re-read them with the variable set
        t0 = time.perf_counter()
        cat = catalog.load_catalog(real_cache)
        _record(f"[scale] catalog with {len(cat.occurrences):,} occurrences ready in "
                f"{time.perf_counter() - t0:.1f} s (enrichment of {N:,} synthetic points cached "
                "on first use)")
    config.reload_settings()
    assert cat.notices, "the synthetic points were not added"
    assert "enrichment" not in cat.missing, cat.missing
    proc, url, _log = start_app(real_cache, extra_env={"MINERALMAP_DEMO_SCALE": str(N)})
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


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
    assert page.get_by_text("Showing the first 5,000 of").count() >= 1
    wait_for_frames(page)  # let deck.gl draw the cells
    shot = screenshot(page, "scale_explore_100k_balochistan")
    assert shot.stat().st_size > 10_000
