"""Issue 15 item 8 in headless Chromium against serve.py: the four downloads of the Region & export
page are links to the server's /download/ route; clicking each delivers its file, the links
survive other sessions' runs, a forged link gets a 404 that says what to do, and the PDF brief's
download is such a link as well."""

from __future__ import annotations

import json
import re

from tests.e2e.conftest import assert_no_exception, screenshot, wait_for_app

SIGNATURES = {"GeoJSON": b"{", "CSV": b"", "GeoPackage": b"SQLite format 3\x00", "KML": b"<?xml"}


def _check(label: str, data: bytes) -> None:
    assert len(data) > 0 and data.startswith(SIGNATURES[label]), (label, data[:40])
    if label == "GeoJSON":
        doc = json.loads(data)
        assert doc["type"] == "FeatureCollection"
        assert doc["metadata"]["filter"].startswith(f"{doc['metadata']['counts']['total']} Sb")


def click_download(page, label: str, tmp_path) -> bytes:
    """Click the ``Download <label>`` link and return the file the browser saved.

    The link opens a new tab that turns into a download; Chromium reports the download on the
    page that opened it (the app's tab).
    """
    link = page.get_by_role("link", name=f"Download {label}")
    with page.expect_download(timeout=120_000) as info:
        link.click()
    dl = info.value
    assert dl.failure() is None, (label, dl.failure())
    path = tmp_path / dl.suggested_filename
    dl.save_as(path)
    for other in page.context.pages:  # the emptied tab, if the browser kept it
        if other is not page:
            other.close()
    return path.read_bytes()


def test_every_download_link_delivers_its_file(page, app_url, tmp_path):
    page.goto(f"{app_url}/region_export?commodity=Sb")
    wait_for_app(page)
    assert_no_exception(page)
    hrefs = {}
    for label in SIGNATURES:
        link = page.get_by_role("link", name=f"Download {label}")
        hrefs[label] = link.get_attribute("href")
        assert re.fullmatch(r"/download/[A-Za-z0-9_-]{32}/[^/]+", hrefs[label]), hrefs[label]
    assert page.get_by_role("button", name=re.compile("^Download (GeoJSON|CSV|GeoPackage|KML)$")).count() == 0
    screenshot(page, "downloads_links")
    for label in SIGNATURES:
        _check(label, click_download(page, label, tmp_path))
    assert_no_exception(page)

    # another session runs the page with other selections meanwhile: the links keep working
    other = page.context.new_page()
    for query in ("commodity=REE", "commodity=Sb", ""):
        other.goto(f"{app_url}/region_export?{query}")
        wait_for_app(other)
    other.close()
    for label, href in hrefs.items():
        r = page.request.get(app_url + href)
        assert r.status == 200, (label, r.status)
        assert r.headers["cache-control"] == "no-store"
        assert r.headers["content-disposition"].startswith("attachment; filename=")
        _check(label, r.body())

    # a forged token: 404 with what to do
    forged = re.sub(r"/download/[^/]+/", "/download/" + "A" * 32 + "/", hrefs["CSV"])
    r = page.request.get(app_url + forged)
    assert r.status == 404 and "click the download again" in r.text()


def test_the_brief_download_is_a_link_too(page, app_url, tmp_path):
    page.goto(f"{app_url}/region_export?commodity=REE")
    wait_for_app(page)
    page.get_by_text("Region brief (PDF) for a delegation").click()
    page.get_by_role("button", name="Make brief (PDF)").click()
    link = page.get_by_role("link", name="Download brief (PDF)")
    link.wait_for(state="visible", timeout=180_000)
    assert_no_exception(page)
    assert re.fullmatch(r"/download/[A-Za-z0-9_-]{32}/mineralmap_.+_brief\.pdf",
                        link.get_attribute("href"))
    with page.expect_download(timeout=120_000) as info:
        link.click()
    dl = info.value
    assert dl.failure() is None and re.fullmatch(r"mineralmap_.+_brief\.pdf",
                                                 dl.suggested_filename)
    path = tmp_path / dl.suggested_filename
    dl.save_as(path)
    assert path.read_bytes().startswith(b"%PDF-")


def test_the_table_csv_is_a_link_too(page, app_url, tmp_path):
    """The occurrence table's "every row and column" CSV goes through /download/ as well."""
    page.goto(f"{app_url}/explore?commodity=Sb")
    wait_for_app(page)
    page.get_by_text(re.compile(r"^Show the table \(")).first.click()
    link = page.get_by_role("link", name=re.compile(r"^Download all [\d,]+ rows and columns \(CSV\)$"))
    link.wait_for(state="visible", timeout=60_000)
    assert_no_exception(page)
    n = int(re.search(r"all ([\d,]+) rows", link.inner_text()).group(1).replace(",", ""))
    href = link.get_attribute("href")
    assert re.fullmatch(r"/download/[A-Za-z0-9_-]{32}/[^/]+\.csv", href), href
    r = page.request.get(app_url + href)
    assert r.status == 200 and r.headers["content-type"].startswith("text/csv")
    rows = r.text().strip().splitlines()
    assert rows[0].split(",")[0] == "id" and len(rows) >= n + 1
