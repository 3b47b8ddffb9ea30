"""The region brief in headless Chromium: make it on the Region & export page, download it, and
check that it is a valid PDF of the selection (issue 13)."""

from __future__ import annotations

import re

from mineralmap.catalog import load_catalog
from mineralmap.filters import FilterSpec
from tests.e2e.conftest import assert_no_exception, screenshot, wait_for_app


def test_brief_download_is_a_valid_pdf(page, app_url, real_cache, tmp_path):
    page.goto(f"{app_url}/region_export?province=Khyber+Pakhtunkhwa&commodity=REE")
    wait_for_app(page)
    assert_no_exception(page)
    # what the page selected, computed from the same catalog
    occ = load_catalog(real_cache).occurrences
    spec = FilterSpec(provinces=("Khyber Pakhtunkhwa",), commodities=("REE",))
    want = occ.loc[spec.mask(occ)]
    assert len(want) > 0
    page.get_by_text("Region brief (PDF) for a delegation").click()
    page.get_by_role("button", name="Make brief (PDF)").click()
    download = page.get_by_role("link", name="Download brief (PDF)")  # the /download/ route
    download.wait_for(state="visible", timeout=180_000)
    assert_no_exception(page)
    with page.expect_download(timeout=60_000) as info:
        download.click()
    dl = info.value
    assert re.fullmatch(r"mineralmap_.+_brief\.pdf", dl.suggested_filename), dl.suggested_filename
    path = tmp_path / dl.suggested_filename
    dl.save_as(path)
    data = path.read_bytes()
    assert data.startswith(b"%PDF-")
    from pypdf import PdfReader  # on use: the non-browser run collects this file too

    reader = PdfReader(path)
    assert len(reader.pages) >= 3
    text = " ".join(p.extract_text() or "" for p in reader.pages)
    flat = " ".join(text.split())
    assert f"{len(want)} selected" in flat
    assert "dataset version" in flat
    screenshot(page, "region_brief_ready")
