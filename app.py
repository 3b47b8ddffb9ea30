"""mineralmap: Streamlit entry point (navigation, page config, shared sidebar)."""

from __future__ import annotations

import time

import streamlit as st

from mineralmap import ui
from mineralmap.config import configure_pandas
from mineralmap.ui import shell, steward

configure_pandas()  # process-wide, before any frame of this run is made (idempotent)

st.set_page_config(
    page_title="mineralmap: Pakistan critical minerals",
    page_icon=ui.FAVICON,
    layout="wide",
)

PAGES = [
    st.Page("pages/home.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("pages/explore.py", title="Explore map", icon=":material/map:"),
    st.Page("pages/region_export.py", title="Region & export", icon=":material/download:"),
    st.Page("pages/context.py", title="Market & logistics", icon=":material/local_shipping:"),
    st.Page("pages/data.py", title="Data & sources", icon=":material/menu_book:"),
]

_t0 = time.perf_counter()
all_pages = PAGES + steward.steward_pages()
page = st.navigation(all_pages)
catalog = ui.load_catalog_or_stop()
shell.unknown_page_notice(all_pages)
ui.missing_layers_banner(catalog)
ui.sidebar_filters(catalog)
page.run()
# Server time of this script run (read by benchmarks/bench_rerun.py; not shown to users).
st.session_state["_mm_last_run_ms"] = (time.perf_counter() - _t0) * 1e3
