"""AppTest of the Explore map page: filters, sentence, URL state, bad query strings."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _explore(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file("../app.py", default_timeout=180)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.switch_page("pages/explore.py")
    at.run()
    return at


def _sentence(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("#### "))


def test_filters_change_sentence_and_table(use_real_cache):
    at = _explore()
    assert not at.exception, [e.value for e in at.exception]
    all_rows = len(at.dataframe[0].value)
    at.multiselect(key="flt_provinces").set_value(["Balochistan"]).run()
    at.multiselect(key="flt_commodities").set_value(["Sb"]).run()
    assert not at.exception
    sentence = _sentence(at)
    assert "Sb" in sentence and "Balochistan" in sentence
    rows = at.dataframe[0].value
    assert 0 < len(rows) < all_rows
    assert set(rows["commodity_group"]) == {"Sb"}
    # filter state is mirrored into the URL
    assert at.query_params["province"] == ["Balochistan"] or at.query_params["province"] == "Balochistan"


def test_url_restores_filters(use_real_cache):
    at = _explore({"province": "Khyber Pakhtunkhwa", "commodity": "REE"})
    assert not at.exception
    assert at.multiselect(key="flt_provinces").value == ["Khyber Pakhtunkhwa"]
    rows = at.dataframe[0].value
    assert len(rows) > 0 and set(rows["commodity_group"]) == {"REE"}


def test_bad_query_string_shows_note_not_crash(use_real_cache):
    at = _explore({"province": "Atlantis", "max_port_km": "far", "bogus": "1",
                   "basemap": "neon", "view": "x,y"})
    assert not at.exception, [e.value for e in at.exception]
    notes = " ".join(i.value for i in at.info)
    assert "Atlantis" in notes and "max_port_km" in notes and "bogus" in notes
    assert "neon" in notes and "view" in notes
    # the page still shows all occurrences
    assert len(at.dataframe[0].value) >= 32


def test_selected_occurrence_from_url_opens_details(use_real_cache):
    at = _explore({"sel": "Sb-001"})
    assert not at.exception, [e.value for e in at.exception]
    assert any("Qila Abdullah" in s.value for s in at.subheader)
    assert any("Road haul to port" in m.value for m in at.markdown)
