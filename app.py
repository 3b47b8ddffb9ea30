"""mineralmap: Streamlit entry point (navigation, page config, shared sidebar)."""

from __future__ import annotations

import streamlit as st

from mineralmap import ui

st.set_page_config(
    page_title="mineralmap: Pakistan critical minerals",
    page_icon=":material/landscape:",
    layout="wide",
)

PAGES = [
    st.Page("pages/home.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("pages/explore.py", title="Explore map", icon=":material/map:"),
    st.Page("pages/region_export.py", title="Region & export", icon=":material/download:"),
    st.Page("pages/context.py", title="Market & logistics", icon=":material/local_shipping:"),
    st.Page("pages/data.py", title="Data & sources", icon=":material/menu_book:"),
]

page = st.navigation(PAGES)
catalog = ui.load_catalog_or_stop()
ui.missing_layers_banner(catalog)
ui.sidebar_filters(catalog)
page.run()
