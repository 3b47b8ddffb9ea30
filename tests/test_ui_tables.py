"""AppTests of mineralmap.ui.tables: nothing is sent while closed, one page and the chosen columns
while open, a download of every row, a clear message when empty."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from mineralmap import paging, summary

N = 1_234  # three pages of 500


def _script() -> None:
    import pandas as pd
    import streamlit as st

    from mineralmap.ui import tables

    n = st.session_state.get("n", 1_234)
    occ = pd.DataFrame({
        "id": [f"X-{i:05d}" for i in range(n)], "name": [f"site {i}" for i in range(n)],
        "commodity_group": ["Sb"] * n, "haul_road_km": [float(i) for i in range(n)],
        "province_geo": ["Balochistan"] * n, "province": ["Balochistan"] * n, "precision": ["locality"] * n,
        "source_url": ["https://example.org/a | https://example.org/b"] * n,
    })
    tables.lazy_table(occ, key="t")
    tables.lazy_charts(occ, key="c")
    tables.paged_table(occ[["id", "name"]], key="p", file_name="x.csv", empty="nothing here")


def _run(n: int = N) -> AppTest:
    at = AppTest.from_function(_script, default_timeout=60)
    at.session_state["n"] = n
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _table(at: AppTest):
    return at.dataframe[0].value


def test_closed_table_and_charts_send_nothing_but_the_paged_table():
    at = _run()
    # only the always-shown paged table (key "p") is there, with one page of rows
    assert len(at.dataframe) == 1
    assert len(at.dataframe[0].value) == paging.PAGE_SIZE
    assert not at.get("vega_lite_chart")
    assert "1,234 rows" in at.toggle(key="t_open").label


def test_open_table_sends_one_page_of_the_display_columns():
    at = _run()
    at.toggle(key="t_open").set_value(True).run()
    table = _table(at)
    assert len(table) == paging.PAGE_SIZE
    expected = [c for c in summary.DISPLAY_COLUMNS
                if c in ("id", "name", "commodity_group", "haul_road_km", "province_geo",
                         "precision", "first_url")]
    assert list(table.columns) == expected
    assert table["first_url"].iloc[0] == "https://example.org/a"
    assert any("Rows 1–500 of 1,234" in c.value for c in at.caption)

    at.number_input(key="t_page").set_value(3).run()
    table = _table(at)
    assert table["id"].tolist() == [f"X-{i:05d}" for i in range(1_000, N)]

    at.multiselect(key="t_cols").set_value(["name", "id"]).run()
    assert list(_table(at).columns) == ["name", "id"]


def test_page_is_clamped_when_the_rows_shrink():
    at = _run()
    at.toggle(key="t_open").set_value(True).run()
    at.number_input(key="t_page").set_value(3).run()
    at.session_state["n"] = 700
    at.run()
    assert not at.exception
    assert _table(at)["id"].tolist() == [f"X-{i:05d}" for i in range(500, 700)]
    at.session_state["n"] = 20
    at.run()
    assert not at.exception
    assert len(_table(at)) == 20
    assert not [w for w in at.number_input if w.key == "t_page"]


def test_paged_table_offers_every_row_as_csv():
    at = _run()
    buttons = at.get("download_button")
    assert any(f"all {N:,} rows" in b.proto.label for b in buttons)


def test_open_charts_draw_two_charts():
    at = _run()
    at.toggle(key="c_open").set_value(True).run()
    assert len(at.get("vega_lite_chart")) == 2


def test_empty_selection_shows_a_message_not_a_table():
    at = _run(0)
    assert not at.dataframe
    assert not at.toggle
    texts = [i.value for i in at.info]
    assert any("nothing to chart" in c.value for c in at.caption)
    assert any("No occurrences match" in t for t in texts)
    assert "nothing here" in texts
