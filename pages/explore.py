"""Explore map: what is where, how sure we are, how far from a port, a railhead and a road."""

from __future__ import annotations

import streamlit as st

from mineralmap import charts, layers, summary, ui
from mineralmap.ui import maps

cat = ui.load_catalog_or_stop()
st.title("Explore occurrences")
ui.param_notes()

occ, sentence = ui.filtered_occurrences(cat)
counts = summary.counts(occ)
controls = maps.map_controls()
sel = maps.selected_id(cat)
maps.map_notes()
route, port = maps.route_for(cat, sel)

ui.sentence_header(sentence)
map_col, detail_col = st.columns([3, 2]) if sel else (st.container(), None)
with map_col:
    event = st.pydeck_chart(
        maps.deck(cat, occ, controls, extra=[layers.route_layer(route, port)]),
        on_select="rerun", selection_mode="single-object", key="explore_map", height=620,
    )
    ui.legend(controls.visible)
    st.caption(
        f"{counts.mapped} mapped, {counts.unmapped} without a coordinate (listed in the table, "
        "not drawn). Circles show each point's location uncertainty (precision_km). Click a "
        "marker for its details and its road route to port (magenta)."
    )
    if counts.mapped > layers.AGGREGATE_THRESHOLD:
        st.info(f"{counts.mapped:,} mapped occurrences are more than the map draws one by one "
                f"({layers.AGGREGATE_THRESHOLD:,}): they are shown as grid cells of "
                f"{layers.AGGREGATE_CELL_DEG:g}° sized by count and coloured by the most frequent "
                "commodity. Narrow the filters to see individual points.")
if maps.select_clicked(event, occ):
    st.rerun()
if detail_col is not None:
    with detail_col:
        maps.detail_panel(cat, sel)
        if route is None:
            st.caption("No road route could be drawn for this occurrence.")
        st.button("Clear selection", on_click=maps.set_selected, args=(None,))

tab_table, tab_charts = st.tabs(["Table", "Charts"])
with tab_table:
    ui.occurrence_table(occ)
with tab_charts:
    a, b = st.columns(2)
    a.markdown("**Occurrences by province and commodity**")
    a.vega_lite_chart(*charts.stacked_bars(summary.commodity_by_province(occ), category="province"),
                      width="stretch")
    b.markdown("**Road haul distance to the port reached by the shortest road route**")
    b.vega_lite_chart(*charts.stacked_bars(summary.haul_histogram(occ), category="road haul"),
                      width="stretch")

ui.attributions(cat)
