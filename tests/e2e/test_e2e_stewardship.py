"""Browser test of data stewardship (issue 11).

A steward signs in, uploads a CSV with 3 good rows, 1 swapped row and 1 probable duplicate of an
existing site, reads the report, excludes the bad row and publishes; an investor session (another
browser context) then sees the new rows; the steward restores the previous version.

Runs the real app on a copy of the real layer cache (the store file is created in the copy) with
a throw-away secrets file.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from mineralmap import auth, curated
from mineralmap.store import STORE_FILE, SqliteStore
from tests.e2e.conftest import assert_no_exception, screenshot, start_app, wait_for_app

pytestmark = pytest.mark.e2e

PASSWORD = "e2e steward password"


def _upload_csv() -> str:
    occ = curated.load_occurrences()
    dup = occ.loc[occ["lon"].notna()].iloc[0]
    rows = [
        "id,name,commodity,province,longitude,latitude,precision,precision_km,source,url",
        "E2E-1,E2E alpha site,Sb,Balochistan,66.60,29.00,locality,2,E2E report,https://example.org/1",
        "E2E-2,E2E beta site,REE,Balochistan,66.60,27.80,locality,2,E2E report,https://example.org/2",
        "E2E-3,E2E gamma site,Sb,Balochistan,67.00,28.50,locality,2,E2E report,https://example.org/3",
        "E2E-4,E2E swapped site,Sb,Balochistan,29.50,66.50,locality,2,E2E report,https://example.org/4",
        f"E2E-5,{dup['name'].replace(',', ' ')},{dup['commodity'] or 'Sb'},{dup['province']},"
        f"{dup['lon'] + 0.001:.4f},{dup['lat']:.4f},locality,2,E2E report,https://example.org/5",
    ]
    return "\n".join(rows) + "\n"


@pytest.fixture(scope="module")
def steward_app(real_cache, tmp_path_factory, browser):
    cache = tmp_path_factory.mktemp("e2e_cache")
    shutil.copytree(real_cache, cache, dirs_exist_ok=True, ignore=shutil.ignore_patterns(STORE_FILE + "*"))
    secrets = tmp_path_factory.mktemp("secrets") / "secrets.toml"
    secrets.write_text(f'[stewards]\ne2e = "{auth.hash_password(PASSWORD)}"\n')
    proc, url, log = start_app(cache, {"STREAMLIT_SECRETS_FILES": str(secrets)})
    yield url, cache, log
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def _mapped_metric(page) -> int:
    metric = page.locator("[data-testid='stMetric']").filter(has_text=re.compile(r"^Mapped"))
    return int(metric.locator("[data-testid='stMetricValue']").inner_text().replace(",", ""))


def _wait_idle(page, timeout_ms: int = 90_000) -> None:
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout_ms)


def test_steward_publishes_investor_sees_steward_restores(steward_app, browser, tmp_path):
    url, cache, log = steward_app
    db = SqliteStore(cache / STORE_FILE)

    investor = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    investor.goto(url)
    wait_for_app(investor)
    before = _mapped_metric(investor)

    ctx = browser.new_context(viewport={"width": 1400, "height": 1200}, accept_downloads=True)
    page = ctx.new_page()
    page.goto(f"{url}/stewardship")
    page.get_by_label("User name").fill("e2e")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Data stewardship").wait_for(timeout=60_000)
    assert_no_exception(page)

    csv_path = tmp_path / "batch.csv"
    csv_path.write_text(_upload_csv())
    page.locator("input[type='file']").set_input_files(str(csv_path))
    _wait_idle(page)
    screenshot(page, "stewardship_uploaded")
    page.get_by_text(re.compile(r"1 error\(s\) in 1 row\(s\)")).wait_for(timeout=60_000)
    page.get_by_text(re.compile(r"have errors: fix the file or exclude them")).wait_for()
    page.get_by_text("Probable duplicates of existing rows", exact=False).wait_for()
    report_link = page.get_by_role("link", name="Download the report (CSV)")
    assert report_link.get_attribute("href").startswith("/download/")  # issue 15: no media file
    with page.expect_download() as dl:
        report_link.click()
    report = dl.value.path().read_text()
    for other in ctx.pages:  # the emptied tab the link opened, if the browser kept it
        if other is not page:
            other.close()
    assert "lat/lon swapped" in report and "probable duplicate" in report
    screenshot(page, "stewardship_report")

    page.locator("[data-testid='stMultiSelect']").filter(
        has_text="Exclude rows").locator("input").click()
    page.get_by_role("option", name="5", exact=True).click()
    page.keyboard.press("Escape")
    _wait_idle(page)
    page.get_by_text(re.compile(r"4 added")).wait_for(timeout=60_000)
    page.get_by_label("Note (required): what changed and why").fill("E2E batch: row 5 swapped, excluded")
    page.keyboard.press("Control+Enter")
    _wait_idle(page)
    page.get_by_role("button", name=re.compile(r"Publish as version 2")).click()
    page.get_by_text(re.compile(r"Published version 2")).wait_for(timeout=120_000)
    assert_no_exception(page)
    v2 = db.current_version()
    assert (v2.number, v2.added, v2.actor) == (2, 4, "e2e")
    screenshot(page, "stewardship_published")

    investor.reload()
    wait_for_app(investor)
    mapped_v2 = int(db.occurrences()["lon"].notna().sum())
    assert _mapped_metric(investor) == mapped_v2 == before + 4

    page.locator("[data-testid='stRadio']").first.get_by_text("Versions", exact=True).click()
    _wait_idle(page)
    page.get_by_label("Why restore? (note, required)").fill("E2E: back to the bundled table")
    page.keyboard.press("Enter")
    _wait_idle(page)
    screenshot(page, "stewardship_versions")
    diff_link = page.get_by_role("link", name="Download the diff (CSV)")
    r = page.request.get(url + diff_link.get_attribute("href"))
    assert r.status == 200 and r.headers["content-disposition"].startswith("attachment; filename=")
    assert r.body().splitlines()[0].count(b",") >= 1  # a CSV header row
    page.get_by_role("button", name=re.compile(r"Restore version 1 as version 3")).click()
    page.get_by_text(re.compile(r"Version 3 restores version 1")).wait_for(timeout=120_000)
    assert db.current_version().restored_from == 1
    investor.reload()
    wait_for_app(investor)
    assert _mapped_metric(investor) == before
    assert PASSWORD not in log.read_text()
    ctx.close()
