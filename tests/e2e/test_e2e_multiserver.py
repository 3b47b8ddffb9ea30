"""Browser test of several app servers over one PostGIS database (issue 12).

Two ``streamlit run app.py`` servers on different ports, each with its own copy of the real layer
cache (they share nothing but ``MINERALMAP_DATABASE_URL``). A steward signs in on server A and
publishes two new rows; an investor's browser session on server B, left idle (no click, no
reload), then shows them within a few seconds: its version poll (mineralmap/ui/freshness.py, a
fragment that reads the current version number every few seconds) reruns the page, whose catalog
is keyed by the version, and a toast names the new version. No server is restarted. Neither
server's log contains the database password.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mineralmap import auth
from mineralmap.config import Settings
from mineralmap.store import STORE_FILE, open_store
from tests.e2e.conftest import assert_no_exception, screenshot, start_app, wait_for_app

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from postgis_cluster import cluster_or_skip, new_database  # noqa: E402

from mineralmap import pgstore  # noqa: E402,F401  (registers postgresql:// with open_store)

pytestmark = pytest.mark.e2e

PASSWORD = "e2e multiserver steward password"
NEW_ROWS = (
    "id,name,commodity,province,longitude,latitude,precision,precision_km,source,url\n"
    "MS-1,Multiserver alpha site,Sb,Balochistan,66.60,29.00,locality,2,E2E report,https://example.org/m1\n"
    "MS-2,Multiserver beta site,REE,Balochistan,66.60,27.80,locality,2,E2E report,https://example.org/m2\n"
)


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def two_servers(real_cache, tmp_path_factory):
    url = new_database(cluster_or_skip(), "e2e")
    secrets = tmp_path_factory.mktemp("secrets") / "secrets.toml"
    secrets.write_text(f'[stewards]\ne2e = "{auth.hash_password(PASSWORD)}"\n')
    env = {"MINERALMAP_DATABASE_URL": url, "STREAMLIT_SECRETS_FILES": str(secrets)}
    servers = []
    for name in ("a", "b"):
        cache = tmp_path_factory.mktemp(f"cache_{name}")
        shutil.copytree(real_cache, cache, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(STORE_FILE + "*"))
        servers.append(start_app(cache, env))
    yield url, servers
    for proc, _, _ in servers:
        _stop(proc)


def _mapped_metric(page) -> int:
    metric = page.locator("[data-testid='stMetric']").filter(has_text=re.compile(r"^Mapped"))
    return int(metric.locator("[data-testid='stMetricValue']").inner_text().replace(",", ""))


def _wait_idle(page, timeout_ms: int = 90_000) -> None:
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout_ms)


def test_publish_on_one_server_is_seen_on_the_other(two_servers, browser, tmp_path):
    url, ((_, url_a, log_a), (_, url_b, log_b)) = two_servers
    assert url_a != url_b
    db = open_store(Settings(database_url=url))
    assert db.current_version().number == 1

    investor = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    investor.goto(url_b)
    wait_for_app(investor)
    before = _mapped_metric(investor)

    ctx = browser.new_context(viewport={"width": 1400, "height": 1200})
    page = ctx.new_page()
    page.goto(f"{url_a}/stewardship")
    page.get_by_label("User name").fill("e2e")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Data stewardship").wait_for(timeout=60_000)
    csv_path = tmp_path / "two_rows.csv"
    csv_path.write_text(NEW_ROWS)
    page.locator("input[type='file']").set_input_files(str(csv_path))
    _wait_idle(page)
    page.get_by_text(re.compile(r"2 added")).wait_for(timeout=60_000)
    page.get_by_label("Note (required): what changed and why").fill("multiserver e2e: two rows")
    page.keyboard.press("Control+Enter")
    _wait_idle(page)
    page.get_by_role("button", name=re.compile(r"Publish as version 2")).click()
    page.get_by_text(re.compile(r"Published version 2")).wait_for(timeout=120_000)
    assert_no_exception(page)
    v2 = db.current_version()
    assert (v2.number, v2.added, v2.actor) == (2, 2, "e2e")
    ctx.close()

    # server B's idle page picks the publish up by itself (version poll), without any action
    want = int(db.occurrences()["lon"].notna().sum())
    assert want == before + 2
    t0 = time.monotonic()
    investor.wait_for_function(
        """want => {
            const m = [...document.querySelectorAll("[data-testid='stMetric']")]
                .find(e => /^Mapped/.test(e.innerText));
            const v = m && m.querySelector("[data-testid='stMetricValue']");
            return !!v && parseInt(v.innerText.replace(/,/g, ''), 10) === want;
        }""", arg=want, timeout=45_000)
    waited = time.monotonic() - t0
    investor.get_by_text(re.compile(r"Dataset version v2 .*was published")).wait_for(
        timeout=10_000)
    print(f"server B showed version 2 {waited:.1f} s after the publish, without user action")
    seen = _mapped_metric(investor)
    screenshot(investor, "multiserver_server_b_after_publish")
    assert seen == want
    assert_no_exception(investor)
    password = url.split(":")[2].split("@")[0]
    for log in (log_a, log_b):
        assert password not in log.read_text(errors="replace")
