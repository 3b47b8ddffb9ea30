"""Data & sources: provenance and licence of every layer, precision breakdown, unmapped rows."""

from __future__ import annotations

import streamlit as st

from mineralmap import summary, ui
from mineralmap.ui import cache, tables

cat = ui.load_catalog_or_stop()
st.title("Data and sources")
st.markdown(
    "Bulk layers are obtained by mineralmap's own ingest code from a local mirror or their upstream "
    "origin, validated, repaired, clipped to Pakistan and cached. Occurrences, ports, border "
    "crossings and dry ports are the project's curated tables: every row cites its source."
)

st.subheader("Layers")
st.dataframe(
    summary.layer_status(dict(cat.layers), dict(cat.missing), cat.attributions),
    hide_index=True, width="stretch",
    column_config={"url": st.column_config.LinkColumn("origin")},
)

st.subheader("Location precision of occurrences")
st.markdown(
    "- **surveyed**: a published site coordinate\n"
    "- **locality**: a named place or the coordinate of a compilation (USGS) with its rounding step\n"
    "- **approximate**: an offset from a named place (e.g. '15 miles NE of …')\n"
    "- **district**: only the district is known; the point is the district polygon's centroid"
)
st.dataframe(summary.precision_table(cat.occurrences), width="stretch")

st.subheader("Occurrences without a coordinate")
st.caption("Kept in the table and in exports, never placed at an invented point.")
tables.paged_table(summary.unmapped_rows(cat.occurrences), key="data_unmapped",
                   file_name="mineralmap_unmapped_occurrences.csv",
                   empty="Every occurrence has a coordinate.")

st.subheader("Road and rail networks used for haul distances")
st.caption(
    "Built from the OSM layers: nodes at shared vertices, edges weighted by geodesic length; one "
    "shortest-path search per seaport. Dual carriageways count twice in 'total km'."
)
st.dataframe(summary.network_table(cache.network_summaries(cat.key)), hide_index=True, width="stretch")

ui.attributions(cat)
