"""Overview: headline counts, a map of all occurrences over province boundaries, attributions."""

from __future__ import annotations

import streamlit as st

from mineralmap import summary, ui
from mineralmap.ui import maps
from mineralmap.viewport import PAKISTAN_VIEW

cat = ui.load_catalog_or_stop()
occ, sentence = ui.filtered_occurrences(cat)
counts = summary.counts(occ)

st.title("Pakistan's critical minerals, joined to infrastructure")
ui.param_notes()
st.markdown(
    "Known **antimony (Sb)** and **rare-earth (REE)** occurrences, with context deposits, placed "
    "on a map with ports, railways, roads and borders. Every point carries its source and a "
    "location-precision class: read each distance together with its ± km."
)
ui.sentence_header(sentence)

c = st.columns(5)
c[0].metric("Occurrences", counts.total)
c[1].metric("Antimony (Sb)", int(counts.by_commodity.get("Sb", 0)))
c[2].metric("Rare earths (REE)", int(counts.by_commodity.get("REE", 0)))
c[3].metric("Mapped", counts.mapped)
c[4].metric("Unmapped (no coordinate)", counts.unmapped)
ui.no_match_notice(occ)

left, right = st.columns([3, 2])
with left:
    controls = maps.MapControls(visible=("provinces", "ports"), basemap="none")
    st.pydeck_chart(maps.deck(cat, occ, controls, view=PAKISTAN_VIEW), height=560, key="home_map")
    ui.legend(controls.visible)
    st.caption(
        f"{counts.unmapped} occurrence(s) have no published coordinate and are not drawn. "
        "Boundaries are drawn from our own data, so this map needs no basemap tiles."
    )
with right:
    st.markdown("**Occurrences by province and commodity**")
    st.dataframe(summary.commodity_by_province(occ), width="stretch")
    st.markdown("**By location precision**")
    st.dataframe(counts.by_precision, width="stretch")

ui.attributions(cat)
