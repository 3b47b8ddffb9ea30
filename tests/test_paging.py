"""Server-side paging and column choice (mineralmap.paging): pure, property-tested."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mineralmap import paging


@given(total=st.integers(0, 100_000), size=st.integers(1, paging.MAX_PAGE_SIZE),
       number=st.one_of(st.none(), st.integers(-10**12, 10**12), st.floats(allow_nan=True),
                        st.text(max_size=8)))
def test_page_bounds_always_a_valid_page(total, size, number):
    page = paging.page_bounds(total, number, size)
    assert 1 <= page.number <= page.pages == paging.page_count(total, size)
    assert 0 <= page.start <= page.stop <= total
    assert page.rows <= size
    if total:
        assert page.rows >= 1
    else:
        assert (page.start, page.stop, page.caption()) == (0, 0, "No rows")


@given(total=st.integers(1, 3_000), size=st.integers(1, 700))
def test_pages_cover_every_row_once(total, size):
    pages = [paging.page_bounds(total, n, size) for n in range(1, paging.page_count(total, size) + 1)]
    covered = [i for p in pages for i in range(p.start, p.stop)]
    assert covered == list(range(total))


def test_page_numbers_past_the_end_or_not_numbers_are_clamped():
    assert paging.page_bounds(1_234, 99, 500).number == 3
    assert paging.page_bounds(1_234, 99, 500).rows == 234
    assert paging.page_bounds(1_234, "two", 500).number == 1
    assert paging.page_bounds(1_234, 2.0, 500).start == 500
    assert paging.page_bounds(1_234, 2, 500).caption() == "Rows 501–1,000 of 1,234 (page 2 of 3)"


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "10"])
def test_bad_page_size_is_refused(bad):
    with pytest.raises(ValueError):
        paging.page_count(10, bad)


def test_page_rows_are_positional():
    frame = pd.DataFrame({"id": [f"r{i}" for i in range(10)]}, index=range(100, 110))
    page = paging.page_bounds(len(frame), 2, 4)
    assert list(paging.page_rows(frame, page)["id"]) == ["r4", "r5", "r6", "r7"]


@given(wanted=st.one_of(st.none(), st.lists(st.sampled_from(["a", "b", "c", "x", "y"]))))
def test_shown_columns_never_empty_and_only_available(wanted):
    cols = paging.shown_columns(["a", "b", "c"], wanted, ("c", "a"))
    assert cols and set(cols) <= {"a", "b", "c"} and len(cols) == len(set(cols))
    picked = [c for c in dict.fromkeys(wanted or []) if c in {"a", "b", "c"}]
    assert cols == (picked or ["c", "a"])


def test_shown_columns_falls_back_to_first_available():
    assert paging.shown_columns(["p", "q"], ["z"], ("y",)) == ["p"]
    assert paging.shown_columns([], None, ("y",)) == []


def test_rows_fingerprint_depends_on_rows_and_order():
    a = pd.DataFrame({"id": ["1", "2", "3"]})
    assert paging.rows_fingerprint(a) == paging.rows_fingerprint(a.copy())
    assert paging.rows_fingerprint(a) != paging.rows_fingerprint(a.iloc[:2])
    assert paging.rows_fingerprint(a) != paging.rows_fingerprint(a.iloc[::-1])
    assert paging.rows_fingerprint(pd.DataFrame({"v": [1, 2]})).startswith("2:")


def test_frame_csv_has_every_row_and_column_but_geometry():
    frame = pd.DataFrame({"id": ["a", "b"], "km": [1.5, None], "geometry": [None, None],
                          "note": ["x, \"y\"", "ü"]})
    back = pd.read_csv(io.BytesIO(paging.frame_csv(frame)))
    assert list(back.columns) == ["id", "km", "note"]
    assert back["note"].tolist() == ["x, \"y\"", "ü"] and len(back) == 2
