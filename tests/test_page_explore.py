"""AppTest of the Explore map page: filters, sentence, URL state, bad query strings.

On the toy world, expected rows are computed from its catalog; one smoke test on the real data
checks the structure only."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def _explore(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.switch_page("pages/explore.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _sentence(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("#### "))


def _province(occ: pd.DataFrame) -> pd.Series:
    """The province a filter sees: where the point lies, else the stated one."""
    return occ["province_geo"].where(occ["province_geo"].notna(), occ["province"])


def _ids(occ: pd.DataFrame, mask: pd.Series) -> set[str]:
    return set(occ.loc[mask, "id"].astype(str))


def test_filters_change_sentence_and_table(use_toy_world):
    occ = use_toy_world.catalog.occurrences
    expected = _ids(occ, (_province(occ) == "Balochistan") & (occ["commodity_group"] == "Sb"))
    assert 0 < len(expected) < len(occ)
    at = _explore()
    assert len(at.dataframe[0].value) == len(occ)
    at.multiselect(key="flt_provinces").set_value(["Balochistan"])
    at.multiselect(key="flt_commodities").set_value(["Sb"]).run()
    assert not at.exception, [e.value for e in at.exception]
    sentence = _sentence(at)
    assert f"{len(expected)} Sb" in sentence and "Balochistan" in sentence
    rows = at.dataframe[0].value
    assert set(rows["id"]) == expected
    assert set(rows["commodity_group"]) == {"Sb"}
    # filter state is mirrored into the URL
    assert at.query_params["province"] in (["Balochistan"], "Balochistan")


def test_url_restores_filters(use_toy_world):
    occ = use_toy_world.catalog.occurrences
    expected = _ids(occ, (_province(occ) == "Khyber Pakhtunkhwa")
                    & (occ["commodity_group"] == "REE"))
    at = _explore({"province": "Khyber Pakhtunkhwa", "commodity": "REE"})
    assert at.multiselect(key="flt_provinces").value == ["Khyber Pakhtunkhwa"]
    assert at.multiselect(key="flt_commodities").value == ["REE"]
    rows = at.dataframe[0].value
    assert expected and set(rows["id"]) == expected


def test_bad_query_string_shows_note_not_crash(use_toy_world):
    at = _explore({"province": "Atlantis", "max_port_km": "far", "bogus": "1",
                   "basemap": "neon", "view": "x,y"})
    notes = " ".join(i.value for i in at.info)
    assert "Atlantis" in notes and "max_port_km" in notes and "bogus" in notes
    assert "neon" in notes and "view" in notes
    # the page still shows all occurrences
    assert len(at.dataframe[0].value) == len(use_toy_world.catalog.occurrences)


def test_selected_occurrence_from_url_opens_details(use_toy_world):
    occ = use_toy_world.catalog.occurrences
    row = occ.loc[occ["mapped"].astype(bool) & occ["haul_road_km"].notna()].iloc[0]
    at = _explore({"sel": str(row["id"])})
    assert any(str(row["name"]) in s.value for s in at.subheader)
    assert any("Road haul to port" in m.value for m in at.markdown)
    assert any(f"{row['haul_road_km']:.0f}" in m.value or f"{row['haul_road_km']:,.1f}" in m.value
               for m in [*at.markdown, *at.metric])


def test_explore_smoke_on_real_data(use_real_cache):
    at = _explore()
    assert _sentence(at)
    assert len(at.get("deck_gl_json_chart")) >= 1
    rows = at.dataframe[0].value
    assert len(rows) > 0 and {"id", "commodity_group"} <= set(rows.columns)
