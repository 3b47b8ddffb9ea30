"""Tables and charts that send only what is looked at.

``st.tabs`` and ``st.expander`` always send their content, so a table of 5,000 rows in a closed
tab still travels with every rerun. These helpers draw a table or chart only while its toggle is
on, send one page of rows (server-side paging, :mod:`mineralmap.paging`) and only the columns
shown, and run the pager in an ``st.fragment`` so that turning a page reruns the table alone, not
the page with its map. A download still carries every row and every column.

Widget keys: ``<key>_open`` (toggle), ``<key>_page``, ``<key>_cols``, ``<key>_prep``, ``<key>_dl``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import streamlit as st

from mineralmap import __version__, charts, export, paging, summary
from mineralmap.catalog import Catalog
from mineralmap.errors import MineralmapError
from mineralmap.summary import md_escape
from mineralmap.ui import links

#: Up to this many rows the CSV download is written with the table; above it, on request.
EAGER_CSV_ROWS = 5_000
_PREPARED = "_mm_tbl_csv_"


def _toggle(key: str, label: str, n: int, what: str) -> bool:
    return st.toggle(f"{label} ({n:,} {what})", key=f"{key}_open",
                     help="Sent to the browser only while shown: the page stays fast with large "
                     "selections.")


def _pager(key: str, total: int, page_size: int) -> paging.Page:
    """Page widget (only when there is more than one page), clamped when the rows shrink."""
    pages = paging.page_count(total, page_size)
    state = f"{key}_page"
    if pages <= 1:
        st.session_state.pop(state, None)
        return paging.page_bounds(total, 1, page_size)
    start = 1
    if state in st.session_state:
        start = paging.page_bounds(total, st.session_state[state], page_size).number
        if start != st.session_state[state]:  # the rows shrank since the page was chosen:
            del st.session_state[state]  # recreate the widget on the last page that exists
    number = st.number_input(f"Page (of {pages:,})", min_value=1, max_value=pages, value=start,
                             step=1, key=state)
    return paging.page_bounds(total, number, page_size)


def _download(key: str, frame: pd.DataFrame, make, file_name: str, mime: str) -> None:
    """A download of every row and column: bytes made with the table when small, else after a
    click ("Prepare …"), kept in this session for the same rows."""
    fp = paging.rows_fingerprint(frame)
    got = st.session_state.get(_PREPARED + key)
    data: bytes | None = got[1] if got and got[0] == fp else None
    if data is None and (len(frame) <= EAGER_CSV_ROWS
                         or st.button(f"Prepare a CSV of all {len(frame):,} rows",
                                      key=f"{key}_prep", icon=":material/build:")):
        try:
            data = make()
        except MineralmapError as exc:
            st.error(md_escape(exc))
            return
        st.session_state[_PREPARED + key] = (fp, data)
    if data is not None:
        links.download(f"Download all {len(frame):,} rows and columns (CSV)", ("table", key, fp),
                       data, file_name, mime, key=f"{key}_dl", help=f"{len(data) / 1024:,.0f} KB")


# ------------------------------------------------------------------------------- occurrences


def _occurrence_config(columns: Sequence[str]) -> dict[str, object]:
    labels = summary.DISPLAY_LABELS
    config: dict[str, object] = {}
    for c in columns:
        if c.endswith("_km"):
            config[c] = st.column_config.NumberColumn(labels.get(c, c), format="%.0f")
        else:
            config[c] = st.column_config.Column(labels.get(c, c))
    if "first_url" in columns:
        config["first_url"] = st.column_config.LinkColumn(labels["first_url"])
    if "name" in columns:
        config["name"] = st.column_config.TextColumn(labels["name"], width="medium", pinned=True)
    return config


@st.fragment
def _occurrence_fragment(occ: pd.DataFrame, key: str, cat: Catalog | None, sentence: str,
                         page_size: int) -> None:
    labels = summary.DISPLAY_LABELS
    offered = [c for c in summary.DISPLAY_COLUMNS
               if c in occ.columns or (c == "first_url" and "source_url" in occ.columns)]
    left, right = st.columns([4, 1])
    with left:
        chosen = st.multiselect("Columns shown", offered, default=offered, key=f"{key}_cols",
                                format_func=lambda c: labels.get(c, c))
    with right:
        page = _pager(key, len(occ), page_size)
    table = summary.display_page(occ, page, chosen)
    st.caption(page.caption())
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config=_occurrence_config(list(table.columns)))
    if cat is not None:
        def make() -> bytes:
            content, _mime, _name = export.export_selection(
                occ, "csv", region=None, spec_sentence=sentence or "all occurrences",
                region_description="no region", attributions=cat.attributions,
                app_version=__version__,
                dataset=cat.dataset_version.as_metadata() if cat.dataset_version else None)
            return content
        name = export.suggest_filename(occ, "csv", spec_sentence=sentence or "",
                                       region_description="")
        _download(key, occ, make, name, export.MIME_TYPES["csv"])


def lazy_table(occ: pd.DataFrame, *, key: str, cat: Catalog | None = None, sentence: str = "",
               label: str = "Show the table", page_size: int = paging.PAGE_SIZE) -> None:
    """The occurrence table, sent only while its toggle is on, one page and the chosen columns.

    Parameters
    ----------
    occ
        The rows (all of them stay on the server).
    key
        Widget-key prefix, unique on the page.
    cat
        The catalog: with it, a CSV download of every row and column (with the layers'
        attributions and the dataset version, like the Region page's CSV).
    sentence
        Filter sentence written into the download's metadata and file name.
    label
        Text of the toggle (the row count is appended).
    page_size
        Rows per page.
    """
    if len(occ) == 0:
        st.info("No occurrences match the filters, so the table is empty. Widen the filters in "
                "the sidebar.")
        return
    if _toggle(key, label, len(occ), "rows"):
        _occurrence_fragment(occ, key, cat, sentence, page_size)


# ------------------------------------------------------------------------------- any frame


@st.fragment
def _frame_fragment(frame: pd.DataFrame, key: str, column_config: Mapping[str, object] | None,
                    page_size: int, file_name: str) -> None:
    page = _pager(key, len(frame), page_size)
    if page.pages > 1:
        st.caption(page.caption())
    st.dataframe(paging.page_rows(frame, page), hide_index=True, width="stretch",
                 column_config=dict(column_config or {}))
    _download(key, frame, lambda: paging.frame_csv(frame), file_name, "text/csv")


def paged_table(frame: pd.DataFrame, *, key: str, column_config: Mapping[str, object] | None = None,
                page_size: int = paging.PAGE_SIZE, file_name: str = "table.csv",
                empty: str = "No rows.") -> None:
    """Any table, one page at a time (no toggle), with a CSV download of every row and column.

    Parameters
    ----------
    frame
        The rows, already reduced to the columns to show.
    key
        Widget-key prefix, unique on the page.
    column_config
        ``st.dataframe`` column configuration.
    page_size
        Rows per page.
    file_name
        Name of the CSV download.
    empty
        Message shown instead of an empty table.
    """
    if len(frame) == 0:
        st.info(empty)
        return
    _frame_fragment(frame, key, column_config, page_size, file_name)


def lazy_paged_table(frame: pd.DataFrame, *, key: str, label: str,
                     column_config: Mapping[str, object] | None = None,
                     page_size: int = paging.PAGE_SIZE, file_name: str = "table.csv",
                     empty: str = "No rows.") -> None:
    """:func:`paged_table` behind a toggle (sent only while shown). Arguments as there;
    ``label`` is the toggle's text (the row count is appended)."""
    if len(frame) == 0:
        st.info(empty)
        return
    if _toggle(key, label, len(frame), "rows"):
        _frame_fragment(frame, key, column_config, page_size, file_name)


# ------------------------------------------------------------------------------- charts


def lazy_charts(occ: pd.DataFrame, *, key: str, label: str = "Show the charts") -> None:
    """Counts by province and the road-haul histogram, drawn only while the toggle is on."""
    if len(occ) == 0:
        st.caption("No occurrences match the filters, so there is nothing to chart.")
        return
    if not _toggle(key, label, len(occ), "occurrences"):
        return
    a, b = st.columns(2)
    a.markdown("**Occurrences by province and commodity**")
    a.vega_lite_chart(*charts.stacked_bars(summary.commodity_by_province(occ), category="province"),
                      width="stretch")
    b.markdown("**Road haul distance to the port reached by the shortest road route**")
    b.vega_lite_chart(*charts.stacked_bars(summary.haul_histogram(occ), category="road haul"),
                      width="stretch")
