"""Region brief (issue 13): content, escaping, empty selection, rendered pages."""

from __future__ import annotations

import dataclasses
import functools
import html
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from mineralmap import selection, sources, summary
from mineralmap.brief import (
    MAX_TABLE_ROWS,
    NO_DATASET_VERSION,
    BriefError,
    brief_content,
    brief_filename,
    brief_html,
    build_brief,
    check_title,
    region_outline,
)
from mineralmap.errors import MineralmapError
from mineralmap.filters import FilterSpec
from mineralmap.layers import COMMODITY_COLORS, COMMODITY_LABELS
from mineralmap.market import load_market_facts
from mineralmap.regions import RegionSpec
from mineralmap.selection import Selection

#: One xdist worker runs this file (``--dist loadgroup``), so each of its two PDFs is laid out once
#: per run (WeasyPrint, ~2 s each) instead of once on each worker.
pytestmark = pytest.mark.xdist_group("brief")

WHEN = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
TINY_SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'
URDU = "استک نالہ"


def _flat(text: str) -> str:
    """Text without any whitespace (PDF extraction breaks lines inside table cells and URLs)."""
    return "".join(text.split())


@functools.cache
def _page_texts(pdf: bytes) -> tuple[str, ...]:
    """Extracted text of each page in content-stream order, once per PDF: poppler's
    ``pdftotext -raw`` when installed (about 0.2 s per brief), else pypdf (seconds: it parses the
    map's vector paths in Python)."""
    if shutil.which("pdftotext"):
        out = subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", "-", "-"], input=pdf,
                             capture_output=True, check=True).stdout.decode("utf-8")
        pages = out.split("\f")
        return tuple(pages[:-1] if pages and not pages[-1].strip() else pages)
    return tuple(p.extract_text() or "" for p in PdfReader(_bytes_io(pdf)).pages)


def _pdf_text(pdf: bytes) -> str:
    return "\n".join(_page_texts(pdf))


def _bytes_io(data: bytes):
    import io

    return io.BytesIO(data)


def PdfReader(stream):  # noqa: N802 - stands in for pypdf.PdfReader
    """pypdf's reader, imported on first use: collection (on every xdist worker, also the one
    that runs none of these tests) does not pay for pypdf."""
    import pypdf

    return pypdf.PdfReader(stream)


def _imread(path: Path):
    """matplotlib's PNG reader, imported on first use (see :func:`PdfReader`)."""
    from matplotlib import image as mpimg

    return mpimg.imread(path)


@pytest.fixture
def attributions() -> list[dict[str, str]]:
    return sources.attributions()


@pytest.fixture
def toy_selection(enriched, layers) -> Selection:
    return selection.select(enriched, layers, FilterSpec(), RegionSpec())


@pytest.fixture(scope="module")
def facts() -> pd.DataFrame:
    return load_market_facts()


_BUILT: dict[str, bytes] = {}
#: The first toy occurrence's name in the brief: markup and Urdu.
MARKUP_NAME = f"<b>Astak</b> & {URDU}"
DATASET_VERSION = "2026.11-r3"


@pytest.fixture
def brief_selection(toy_selection) -> Selection:
    """The toy selection with the first occurrence renamed to :data:`MARKUP_NAME`."""
    rows = toy_selection.rows.copy()
    rows.iloc[0, rows.columns.get_loc("name")] = MARKUP_NAME
    return dataclasses.replace(toy_selection, rows=rows)


@pytest.fixture
def toy_pdf(brief_selection, layers, attributions, facts) -> bytes:
    """The toy brief with a dataset version and a name with markup and Urdu, built once per
    module (its inputs are deterministic toy fixtures; a brief takes about a second)."""
    if "toy" not in _BUILT:
        _BUILT["toy"] = build_brief(brief_selection, layers, attributions, generated_at=WHEN,
                                    dataset_version=DATASET_VERSION, market_facts=facts)
    return _BUILT["toy"]


def test_brief_is_a_pdf_with_counts_urls_and_attributions(toy_pdf, brief_selection,
                                                          attributions):
    assert toy_pdf.startswith(b"%PDF-")
    text = _pdf_text(toy_pdf)
    flat = _flat(text)
    rows = brief_selection.rows
    c = summary.counts(rows)
    assert _flat(f"{c.total} selected — {c.mapped} mapped, {c.unmapped} without coordinates") in flat
    for group, n in rows["commodity_group"].value_counts().items():
        assert _flat(f"{COMMODITY_LABELS[group]}{n}") in flat
    for cls, n in rows["precision"].value_counts().items():
        assert _flat(f"{cls}{n}") in flat
    urls = {u for v in rows["source_url"] for u in summary.source_urls(v)}
    assert urls
    for url in urls:
        assert _flat(url) in flat, url
    for a in attributions:
        assert _flat(a["attribution"]) in flat, a["layer"]
        assert _flat(a["licence"]) in flat, a["layer"]
    assert _flat(f"dataset version: {DATASET_VERSION}") in flat
    assert "2026-11-22 09:30 UTC" in text
    for name in rows["name"].iloc[1:]:  # the first: test_markup_and_urdu_names_survive_…
        assert _flat(name) in flat


def test_every_page_numbered_with_footer(toy_pdf):
    pages = _page_texts(toy_pdf)
    n = len(pages)
    assert n == len(PdfReader(_bytes_io(toy_pdf)).pages) >= 4
    for i, text in enumerate(pages, start=1):
        assert f"page {i} of {n}" in text
        assert "Generated 2026-11-22 09:30 UTC" in text and "mineralmap" in text


def test_map_labels_are_text_in_the_embedded_font(toy_pdf):
    """The map's labels and legend are text (selectable, searchable), set in DejaVu Sans like the
    rest of the brief, not glyph outlines (matplotlib's default for SVG)."""
    page2 = _flat(_page_texts(toy_pdf)[1])
    for label in ("Location in Pakistan", "Legend", "Antimony (Sb)", "Province boundary", "km"):
        assert _flat(label) in page2, label
    fonts = set()
    for page in PdfReader(_bytes_io(toy_pdf)).pages:
        for f in (page.get("/Resources", {}).get("/Font", {}) or {}).values():
            fonts.add(str(f.get_object().get("/BaseFont")))
    assert any("DejaVu-Sans" in f for f in fonts), fonts


def test_without_a_dataset_version_the_bundled_table_is_named(toy_selection, attributions,
                                                               facts):
    page = brief_html(brief_content(toy_selection, attributions, market_facts=facts), TINY_SVG,
                      None)
    assert f"dataset version: {html.escape(NO_DATASET_VERSION)}" in page


def test_market_facts_and_traceability_caveat(toy_pdf, facts, toy_selection):
    flat = _flat(_pdf_text(toy_pdf))
    for r in facts.itertuples():
        assert _flat(r.display) in flat and _flat(r.attribution) in flat
    assert _flat("not evidence that any ore crosses the border") in flat
    n_sb = int((toy_selection.rows["commodity_group"] == "Sb").sum())
    assert _flat(f"of {n_sb} selected antimony occurrence(s)") in flat


def test_empty_selection_is_a_clear_error(enriched, layers, attributions, facts):
    spec = FilterSpec(name_query="no such occurrence anywhere")
    sel = selection.select(enriched, layers, spec, RegionSpec())
    assert len(sel.rows) == 0
    with pytest.raises(BriefError, match="nothing is selected") as err:
        build_brief(sel, layers, attributions, market_facts=facts)
    assert isinstance(err.value, MineralmapError)


@pytest.mark.parametrize("title", ["", "   ", "x" * 201])
def test_bad_title_is_a_clear_error(toy_selection, attributions, facts, title):
    with pytest.raises(BriefError, match="title"):
        brief_content(toy_selection, attributions, title=title, market_facts=facts)


def _many(enriched: gpd.GeoDataFrame, n: int) -> gpd.GeoDataFrame:
    reps = -(-n // len(enriched))
    big = pd.concat([enriched] * reps, ignore_index=True).iloc[:n].copy()
    big["id"] = [f"T-{i:04d}" for i in range(n)]
    big["name"] = [f"Toy {i}" for i in range(n)]
    return gpd.GeoDataFrame(big, geometry="geometry", crs=enriched.crs)


def test_long_selection_lists_first_rows_and_counts_the_rest(enriched, attributions, facts):
    n = MAX_TABLE_ROWS + 13
    sel = Selection(rows=_many(enriched, n), region=None, filter_sentence="All toys.",
                    region_description="")
    c = brief_content(sel, attributions, market_facts=facts)
    assert len(c.logistics) == MAX_TABLE_ROWS
    assert c.not_listed == n - MAX_TABLE_ROWS
    assert c.total == n
    page = brief_html(c, TINY_SVG, None)
    assert f"and {n - MAX_TABLE_ROWS:,} more occurrence(s) not listed" in page
    assert f"Toy {MAX_TABLE_ROWS - 1}<" in page and f"Toy {MAX_TABLE_ROWS}<" not in page


def test_region_outline(toy_selection, layers, enriched, provinces):
    spec = FilterSpec(provinces=("Balochistan",))
    outline = region_outline(toy_selection, layers, spec)
    assert outline is not None and outline.equals(provinces.geometry.iloc[0])
    assert region_outline(toy_selection, layers, None) is None
    sel = selection.select(enriched, layers, FilterSpec(), RegionSpec(bbox=(64.5, 28.5, 66.5, 30.5)))
    assert region_outline(sel, layers, spec).equals(box(64.5, 28.5, 66.5, 30.5))


def test_filename(toy_selection):
    name = brief_filename(toy_selection, WHEN)
    assert name.startswith("mineralmap_") and name.endswith("_2026-11-22_brief.pdf")


# a unique prefix, so that "the raw text is not in the page" cannot match the template itself
_text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1,
                max_size=40).map(lambda t: "Zq7" + t)


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=_text, station=_text, url_tail=_text)
def test_data_text_is_escaped(enriched, attributions, facts, name, station, url_tail):
    rows = enriched.copy()
    rows.loc[0, "name"] = name
    rows["station_nearest"] = rows["station_nearest"].astype(object)
    rows.loc[0, "station_nearest"] = station
    rows.loc[0, "source_url"] = "https://example.org/" + url_tail
    sel = Selection(rows=rows, region=None, filter_sentence=name, region_description=station)
    try:
        title = check_title(name)
    except BriefError:  # blank after control characters are removed: a default title
        title = "t"
    page = brief_html(brief_content(sel, attributions, title=title, market_facts=facts),
                      TINY_SVG, None)
    for raw in (name, station, url_tail):
        if any(ch in raw for ch in "<>\"'"):
            # the raw text never reaches the markup: only its escaped form does ("&" is left
            # out of this check: the escaped "&amp;" starts with the raw "&")
            assert raw not in page or html.escape(raw, quote=True) == raw
    assert "<script" not in page.replace("&lt;script", "")


def test_markup_and_urdu_names_survive_into_the_pdf(toy_pdf):
    pdf = toy_pdf
    text = _pdf_text(pdf)
    assert "<b>Astak</b> &" in text
    fonts = set()
    for page in PdfReader(_bytes_io(pdf)).pages:
        for f in (page.get("/Resources", {}).get("/Font", {}) or {}).values():
            fonts.add(str(f.get_object().get("/BaseFont")))
    if any("Arabic" in f or "Urdu" in f for f in fonts):  # fonts-noto-core installed
        assert all(ch in text for ch in set(URDU) - {" "})


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm) missing")
def test_rendered_pages_are_not_blank(toy_pdf, toy_selection, tmp_path: Path):
    pdf = tmp_path / "brief.pdf"
    pdf.write_bytes(toy_pdf)
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(tmp_path / "p")], check=True)
    pages = sorted(tmp_path.glob("p-*.png"))
    assert len(pages) == len(PdfReader(_bytes_io(toy_pdf)).pages)
    ink = []
    for png in pages:
        img = _imread(png)[..., :3]
        ink.append(float((img.mean(axis=2) < 0.9).mean()))
    assert all(x > 0.005 for x in ink), ink  # every page carries text, not just a footer
    # the map page (2) shows every commodity colour of the mapped rows
    img = (_imread(pages[1])[..., :3] * 255).astype(int)
    mapped = toy_selection.rows[toy_selection.rows["mapped"].astype(bool)]
    for group in mapped["commodity_group"].unique():
        rgb = np.array(COMMODITY_COLORS[group][:3])
        near = np.abs(img - rgb).sum(axis=2) < 60
        assert near.sum() >= 4, group
