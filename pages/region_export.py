"""Region & export: BOI staff select a region, preview it and download it for a delegation."""

from __future__ import annotations

import streamlit as st

from mineralmap import layers, selection, summary, ui
from mineralmap.ui import maps, region

cat = ui.load_catalog_or_stop()
st.title("Select a region and export it")
st.caption(
    "The sidebar filters apply first; the region modes below combine (their intersection), and "
    "occurrences picked on the map are added or removed last."
)

spec = ui.current_filter()
region_spec = region.region_controls(cat)
sel = selection.select(cat.occurrences, cat.layers, spec, region_spec)
counts = summary.counts(sel.rows)

ui.sentence_header(sel.description)
left, right = st.columns([3, 2])
with left:
    controls = maps.MapControls(visible=("provinces", "districts", "ports"), basemap="light")
    event = st.pydeck_chart(
        maps.deck(cat, sel.rows, controls, extra=[layers.region_layer(sel.region)]),
        on_select="rerun", selection_mode="multi-object", key="region_map", height=520,
    )
    if region.record_picks(maps.clicked_ids(event, sel.rows)):
        st.rerun()
    ui.legend()
with right:
    c = st.columns(3)
    c[0].metric("Selected", counts.total)
    c[1].metric("Sb", int(counts.by_commodity.get("Sb", 0)))
    c[2].metric("REE", int(counts.by_commodity.get("REE", 0)))
    st.markdown("**By province and commodity**")
    st.dataframe(summary.commodity_by_province(sel.rows), width="stretch")

st.subheader("Download")
region.export_buttons(cat, sel)
st.dataframe(
    summary.display_table(sel.rows), hide_index=True, width="stretch",
    column_config={"first_url": st.column_config.LinkColumn("source link")},
)
ui.attributions(cat)
