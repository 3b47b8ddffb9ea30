"""Region & export: BOI staff select a region, preview it and download it for a delegation."""

from __future__ import annotations

import streamlit as st

from mineralmap import summary, ui
from mineralmap.ui import region, tables

cat = ui.load_catalog_or_stop()
st.title("Select a region and export it")
region.link_notes(cat)
st.caption(
    "The sidebar filters apply first; the region modes below combine (their intersection), and "
    "occurrences picked on the map are added or removed last."
)

spec = ui.current_filter()
region_spec = region.region_controls(cat)
sel = region.safe_select(cat, spec, region_spec)
counts = summary.counts(sel.rows)

ui.sentence_header(sel.description)
# counts and downloads come before the map: on a phone the columns stack, and the legend
# (under the map) must not push them down
c = st.columns(3)
c[0].metric("Selected", f"{counts.total:,}",
            help=f"{counts.mapped:,} with coordinates, {counts.unmapped:,} without")
c[1].metric("Antimony (Sb)", int(counts.by_commodity.get("Sb", 0)))
c[2].metric("Rare earths (REE)", int(counts.by_commodity.get("REE", 0)))
if counts.unmapped:
    st.caption(f"{counts.unmapped:,} selected occurrence(s) have no coordinates (kept because "
               "their stated province/district matches): they are in the GeoJSON and CSV "
               "files, not in the GeoPackage and KML files, and not on the map.")
st.subheader("Download the selection")
region.export_buttons(cat, sel)
with st.expander("Region brief (PDF) for a delegation", icon=":material/picture_as_pdf:"):
    region.brief_controls(cat, spec, sel)

st.subheader("Preview")
left, right = st.columns([3, 2])
with left:
    region.preview_map(cat, spec, sel)
    ui.legend()
with right:
    st.markdown("**Selected occurrences by province and commodity**")
    st.dataframe(
        summary.commodity_by_province(sel.rows).reset_index(), hide_index=True, width="stretch",
        column_config={"province": st.column_config.TextColumn("province", width="medium")},
    )

tables.lazy_table(sel.rows, key="rg_table")
ui.attributions(cat)
