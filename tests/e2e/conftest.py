"""Browser tests: start the real app (``streamlit run app.py``) and drive it in headless Chromium.

Every wait is on a condition (the server's health URL, Playwright locators, ``wait_for_function``
on the page's state), never a fixed sleep. The ``e2e`` mark is set by ``tests/conftest.py``.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from mineralmap._geo import GEOD
from mineralmap.catalog import load_catalog

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "e2e" / "artifacts"
CHROMIUM = os.environ.get("MINERALMAP_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(cache: Path, extra_env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str, Path]:
    """Start ``streamlit run app.py`` on a free port; return (process, base URL, log path)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    env = os.environ.copy()
    env["MINERALMAP_CACHE"] = str(cache)
    env.update(extra_env or {})
    log = ARTIFACTS / f"streamlit_{port}.log"
    proc = subprocess.Popen(
        # serve.py: what `make run` starts (app.py + the /layers/ route for static map layers)
        [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port", str(port),
         "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=REPO, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited early, see {log}:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return proc, url, log
        except OSError:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=0.5)  # wakes up at once when the server exits
    proc.terminate()
    raise RuntimeError(f"streamlit did not become healthy in 90 s, see {log}")


@pytest.fixture(scope="session")
def app_url(real_cache) -> Iterator[str]:
    proc, url, _log = start_app(real_cache)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium); browser tests skipped")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    pg = ctx.new_page()
    yield pg
    ctx.close()


#: The script is not running and no element of an earlier run is left over (a run that ended early
#: for another rerun leaves "stale" elements until that rerun has finished).
_IDLE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app && app.getAttribute('data-test-script-state') === 'notRunning'
    && !document.querySelector('[data-testid="stStatusWidget"]')
    && !document.querySelector('[data-testid="stElementContainer"][data-stale="true"]');
}"""

#: Count the script runs the page sees (changes of stApp's data-test-script-state away from idle).
_ARM_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!window.__mmObserver) {
    // Count every change of the script state: a fast run can start and finish before the
    // observer's callback runs, so the current value alone would miss it.
    window.__mmObserver = new MutationObserver((records) => {
      window.__mmRuns += records.length;
    });
    window.__mmObserver.observe(app, {attributes: true,
                                      attributeFilter: ['data-test-script-state']});
  }
  window.__mmRuns = 0;
}"""

_RERUN_DONE_JS = f"() => window.__mmRuns > 0 && ({_IDLE_JS})()"


def wait_for_app(page, timeout_ms: int = 60_000) -> None:
    """Wait until Streamlit has finished running the script and a map canvas is on the page."""
    page.wait_for_selector("canvas", timeout=timeout_ms)
    page.wait_for_function(_IDLE_JS, timeout=timeout_ms)


@contextlib.contextmanager
def rerun(page, timeout_ms: int = 60_000) -> Iterator[None]:
    """Wait until the script run triggered by the interaction inside the block has finished."""
    page.evaluate(_ARM_JS)
    yield
    page.wait_for_function(_RERUN_DONE_JS, timeout=timeout_ms)


def wait_for_frames(page, frames: int = 3) -> None:
    """Wait until the browser has painted ``frames`` more animation frames (deck.gl draws in the
    next frame after its data arrives)."""
    page.wait_for_function(
        """(n) => new Promise(done => { const step = k => k ? requestAnimationFrame(
             () => step(k - 1)) : done(true); step(n); })""", arg=frames)


@dataclass(frozen=True)
class Marker:
    """A mapped occurrence of the real data, far from every other one (a click target)."""

    id: str
    name: str
    lon: float
    lat: float


def isolated_occurrence(cache: Path) -> Marker:
    """The mapped occurrence whose nearest other occurrence is farthest away (geodesic)."""
    occ = load_catalog(cache).occurrences
    occ = occ[occ["mapped"].astype(bool)]
    lon, lat = occ["lon"].to_numpy(float), occ["lat"].to_numpy(float)
    n = len(occ)
    _, _, d = GEOD.inv(np.repeat(lon, n), np.repeat(lat, n), np.tile(lon, n), np.tile(lat, n))
    d = d.reshape(n, n)
    np.fill_diagonal(d, np.inf)
    i = int(np.argmax(d.min(axis=1)))
    row = occ.iloc[i]
    return Marker(str(row["id"]), str(row["name"]), float(lon[i]), float(lat[i]))


@pytest.fixture(scope="session")
def marker(real_cache) -> Marker:
    return isolated_occurrence(real_cache)


def click_marker(page, marker: Marker, attempts: int = 4) -> None:
    """Click the occurrence drawn at the centre of the (first) map once deck.gl picks it.

    deck.gl attaches its pointer handlers after its first draw: hover the centre until the
    marker's tooltip shows (the condition that it is pickable), then click it.
    """
    canvas = page.locator("[data-testid='stDeckGlJsonChart'] canvas").first
    canvas.wait_for()
    canvas.scroll_into_view_if_needed()  # the map may sit below the fold (Region & export)
    box = canvas.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    tip = page.locator(".mm-tip").filter(has_text=marker.name)
    for _ in range(attempts):
        page.mouse.move(box["x"] + 5, box["y"] + 5)
        page.mouse.move(x, y, steps=5)
        try:
            tip.first.wait_for(state="visible", timeout=10_000)
            break
        except Exception:  # noqa: BLE001 - not pickable yet: hover again
            continue
    assert tip.count(), f"hovering the map centre never showed the tooltip of {marker.id}"
    # deck.gl picks it under the pointer now (the tooltip has pointer-events: none): click there.
    # With software WebGL a click right after the hover pick can be dropped by deck.gl, so click
    # again until the app starts a script run (the condition), a few times at most.
    page.evaluate(_ARM_JS)
    for _ in range(attempts):
        page.mouse.click(x, y)
        try:
            page.wait_for_function("() => window.__mmRuns > 0", timeout=4_000)
            return
        except Exception:  # noqa: BLE001 - the click was dropped: click again
            continue
    raise AssertionError(f"clicking {marker.id} never started a script run")


def metric_value(page, label: str) -> int:
    """The integer shown by the ``st.metric`` whose label starts with ``label``."""
    metric = page.locator("[data-testid='stMetric']").filter(
        has_text=re.compile("^" + re.escape(label)))
    return int(metric.locator("[data-testid='stMetricValue']").inner_text().replace(",", ""))


def assert_no_exception(page) -> None:
    """Fail if Streamlit shows an exception box on the page."""
    exc = page.locator("[data-testid='stException']")
    assert exc.count() == 0, f"Streamlit exception shown: {exc.first.inner_text()[:1000]}"


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path
