"""Issue 15 in headless Chromium: a shared link with Markdown/HTML in its parameters shows that text
literally (no live link, no remote image), and every download delivers its file (behind
serve.py the downloads are links to the /download/ route: tests/e2e/test_e2e_downloads.py)."""

from __future__ import annotations

import json
import urllib.parse

from tests.e2e.conftest import assert_no_exception, screenshot, wait_for_app

EVIL = "https://evil.example"
INJECTION = f"[sign in here]({EVIL}) ![t]({EVIL}/t.png) <b>bold</b> {EVIL}/bare"


def test_injection_link_renders_as_text(page, app_url):
    query = urllib.parse.urlencode({"q": INJECTION, "max_port_km": INJECTION,
                                    f"x{INJECTION}": "1"})
    page.goto(f"{app_url}/explore?{query}")
    wait_for_app(page)
    assert_no_exception(page)
    main = page.locator("[data-testid='stMain']")
    # nothing the link said became a link, an image or markup
    assert page.locator(f"a[href^='{EVIL}']").count() == 0
    assert page.locator(f"img[src^='{EVIL}']").count() == 0
    assert "<b>bold</b>" not in main.inner_html()
    # ... and it is shown as the literal text it was (the name filter in the header)
    header = main.locator("h4").filter(has_text="named like").first.inner_text()
    assert "[sign in here](https:" in header and "![t](" in header and "<b>bold</b>" in header
    notes = main.locator("[data-testid='stAlert']").filter(
        has_text="Some link parameters were ignored").first.inner_text()
    assert "max_port_km" in notes and "[sign in here]" in notes
    screenshot(page, "reliability_injection")


def test_every_download_delivers_its_file(page, app_url, tmp_path):
    page.goto(f"{app_url}/region_export?commodity=Sb")
    wait_for_app(page)
    assert_no_exception(page)
    signatures = {"GeoJSON": b"{", "CSV": b"", "GeoPackage": b"SQLite format 3\x00",
                  "KML": b"<?xml"}
    for label, head in signatures.items():
        with page.expect_download(timeout=120_000) as info:
            page.get_by_role("link", name=f"Download {label}").click()  # the /download/ route
        dl = info.value
        assert dl.failure() is None, (label, dl.failure())
        for other in page.context.pages:  # the tab the link opened, if the browser kept it
            if other is not page:
                other.close()
        path = tmp_path / dl.suggested_filename
        dl.save_as(path)
        data = path.read_bytes()
        assert len(data) > 0 and data.startswith(head), (label, data[:40])
        if label == "GeoJSON":
            doc = json.loads(data)
            assert doc["type"] == "FeatureCollection"
            assert doc["metadata"]["filter"].startswith(f"{doc['metadata']['counts']['total']} Sb")
