"""Explore map: what is where, how sure we are, how far from a port, a railhead and a road."""

from __future__ import annotations

import streamlit as st

from mineralmap import layers, summary, ui
from mineralmap.ui import cache, maps, tables

cat = ui.load_catalog_or_stop()
st.title("Explore occurrences")
ui.param_notes()

occ, sentence = cache.filtered_occurrences(cat, ui.current_filter())
counts = summary.counts(occ)
controls = maps.map_controls()
maps.search_box(cat, occ)
sel = maps.close_hidden(occ, maps.selected_id(cat))
maps.map_notes()
route, port = maps.route_for(cat, sel)
view = maps.explore_view(occ, sel, route)

ui.sentence_header(sentence)
maps.empty_result_hint(cat, occ)
# Columns stack on a phone: map, then the detail panel, then the legend (never the legend first).
map_col, detail_col = st.columns([3, 2]) if sel else (st.container(), None)
with map_col:
    event = st.pydeck_chart(
        maps.deck(cat, occ, controls, under=[layers.route_layer(route, port)], view=view),
        on_select="rerun", selection_mode="single-object", key="explore_map",
        height=maps.MAP_HEIGHT,
    )
    if detail_col is None:
        maps.legend(controls)
    st.caption(
        f"{counts.mapped} mapped, {counts.unmapped} without a coordinate (listed in the table, "
        "not drawn). Circles show each point's location uncertainty (precision_km); a number "
        "beside a marker counts the occurrences at that point. Click a marker for its details "
        "and its road route to port (magenta)."
    )
    if note := maps.aggregation_note(counts.mapped):
        st.info(note)
if maps.select_clicked(event, occ):
    st.rerun()
if detail_col is not None:
    with detail_col:
        maps.stack_picker(occ, sel)
        maps.detail_panel(cat, sel)
        if route is None:
            st.caption("No road route could be drawn for this occurrence.")
        st.button("Clear selection", on_click=maps.set_selected, args=(None,))
        maps.legend(controls)

tables.lazy_table(occ, key="explore_table", cat=cat, sentence=sentence)
tables.lazy_charts(occ, key="explore_charts")

ui.attributions(cat)
