"""Summary tables for the pages (counts, histograms, display table, distances)."""

from __future__ import annotations

import re

import pandas as pd

from mineralmap import paging, summary


def test_counts(enriched):
    c = summary.counts(enriched)
    assert (c.total, c.mapped, c.unmapped) == (4, 3, 1)
    assert c.by_commodity["Sb"] == 2 and c.by_commodity["REE"] == 1
    assert c.by_precision.sum() == 4


def test_commodity_by_province_uses_polygon_then_stated_province(enriched):
    t = summary.commodity_by_province(enriched)
    assert list(t.columns) == ["Sb", "REE", "other"]
    # Sb-004 is unmapped: its stated province (Balochistan) is used
    assert t.loc["Balochistan", "Sb"] == 2
    # CU-003 states KP but lies in Balochistan: the polygon wins
    assert t.loc["Balochistan", "other"] == 1
    assert t.loc["Khyber Pakhtunkhwa", "REE"] == 1
    assert int(t.to_numpy().sum()) == len(enriched)


def test_commodity_by_province_empty_keeps_columns(enriched):
    t = summary.commodity_by_province(enriched.iloc[0:0])
    assert list(t.columns) == ["Sb", "REE", "other"] and t.empty


def test_haul_histogram_bins_every_mapped_row(enriched):
    h = summary.haul_histogram(enriched, bin_km=100)
    # hauls 290, 380, 240 -> bins 200-300 (2) and 300-400 (1); unmapped row excluded
    assert h.loc["200–300 km"].sum() == 2
    assert h.loc["300–400 km", "REE"] == 1
    assert int(h.to_numpy().sum()) == 3
    assert list(h.index)[0] == "0–100 km"


def test_source_urls_splits_both_separators():
    assert summary.source_urls("https://a.org/x | https://b.org/y") == ["https://a.org/x", "https://b.org/y"]
    assert summary.source_urls("https://a.org/x; https://b.org/y") == ["https://a.org/x", "https://b.org/y"]
    assert summary.source_urls("") == [] and summary.source_urls(None) == []


def test_display_table_has_link_column_and_no_geometry(enriched):
    t = summary.display_table(enriched)
    assert "geometry" not in t and t.loc[0, "first_url"] == "https://example.org/Sb-001"
    assert len(t) == len(enriched)


def test_distance_markdown_shows_plus_minus_precision(enriched):
    d = summary.details(enriched.iloc[1])
    md = summary.distance_markdown(d)
    assert "| Road haul to port | 380 ± 40 | Port Qasim |" in md
    assert d["ore_tonnage_t"] is None  # NaN becomes None for display
    assert "geometry" not in d


def test_unmapped_rows_and_precision_table(enriched):
    u = summary.unmapped_rows(enriched)
    assert list(u["id"]) == ["Sb-004"]
    p = summary.precision_table(enriched)
    assert p.loc["district", "Sb"] == 1 and p.loc["surveyed", "median ± km"] == 0.5


def test_network_table():
    t = summary.network_table({"road": {"nodes": 3, "edges": 2, "components": 1, "total_km": 5.0,
                                        "largest_component_share": 1.0,
                                        "ports_on_largest": {"karachi": True, "gwadar": False}}})
    row = t.iloc[0]
    assert row["seaports on largest component"] == "karachi"
    assert row["seaports not connected"] == "gwadar"
    assert isinstance(t, pd.DataFrame)


def test_distance_markdown_escapes_place_names(enriched):
    d = summary.details(enriched.iloc[1])
    d["haul_road_port"] = "[Qasim](https://evil.example) | x"
    d["town_nearest"] = "![t](https://evil.example/t.png)"
    md = summary.distance_markdown(d)
    assert "](https://" not in md and "![" not in md
    rows = [line for line in md.splitlines() if line.startswith("| Road haul to port |")]
    # the pipe in the name is escaped: the row keeps its three cells
    assert len(re.findall(r"(?<!\\)\|", rows[0])) == 4
    assert "\\[Qasim\\](https:" + summary.ZWSP + "//evil.example) \\| x" in rows[0]


def test_display_table_equals_copying_every_column_then_choosing(enriched):
    """It copies only the shown columns; the result is what copying the whole row gave."""
    full = pd.DataFrame(enriched.drop(columns="geometry")).copy()
    full["first_url"] = full["source_url"].map(lambda v: (summary.source_urls(v) or [None])[0])
    want = full[[c for c in summary.DISPLAY_COLUMNS if c in full.columns]].reset_index(drop=True)
    pd.testing.assert_frame_equal(summary.display_table(enriched), want)
    pd.testing.assert_frame_equal(summary.display_table(enriched.iloc[1:], max_rows=2),
                                  want.iloc[1:3].reset_index(drop=True))


def test_display_page_sends_one_page_and_the_chosen_columns(enriched):
    page = paging.page_bounds(len(enriched), 2, 2)
    table = summary.display_page(enriched, page, ["id", "name", "not-a-column"])
    assert list(table.columns) == ["id", "name"]
    assert table["id"].tolist() == enriched["id"].iloc[2:4].tolist()
    full = summary.display_page(enriched, paging.page_bounds(len(enriched), 1, 500))
    assert list(full.columns) == list(summary.display_table(enriched).columns)
    assert len(full) == len(enriched)
