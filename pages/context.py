"""Market and logistics: reported market figures, the export-terminal scenario, traceability."""

from __future__ import annotations

import streamlit as st

from mineralmap import terminals, ui
from mineralmap.details import md_escape
from mineralmap.errors import MineralmapError
from mineralmap.ui import cache
from mineralmap.ui import context as ctx

cat = ui.load_catalog_or_stop()
st.title("Market and logistics")
ctx.candidate_from_link(cat)  # before the notes: a link's bad candidate is noted with the rest
ui.param_notes()
occ, sentence = ui.filtered_occurrences(cat)

# --- market context ---------------------------------------------------------------------------
st.header("Market context")
st.caption(
    "Figures **as reported** in the press in late 2025 (Financial Times, company statements, "
    "USGS estimates), each with its source and date. These are not live prices."
)
try:
    facts = cache.market_facts()
    ctx.market_cards(facts)
    ctx.market_statements(facts)
except MineralmapError as exc:
    ui.show_error(exc)

# --- export-terminal scenario ------------------------------------------------------------------
st.header("Export-terminal scenario")
ui.sentence_header(sentence)
st.markdown(
    "Each mapped occurrence is assigned to the terminal it reaches by the **shortest road "
    "haul** (main road network: motorway, trunk, primary, secondary). Add a candidate terminal "
    "on the coast to see which occurrences it would win and how the totals change."
)
controls = ctx.scenario_controls(cat)
try:
    view = ctx.run_scenario(cat, occ, controls)
except MineralmapError as exc:
    ui.show_error(exc)
    st.stop()
res = view.result
ui.no_match_notice(occ, "the scenario has nothing to assign")

for note in res.notes:
    st.info(md_escape(note))
st.pydeck_chart(ctx.scenario_deck(cat, view, occ), height=560, key="ctx_map")
ctx.terminal_legend(res)
st.caption(
    "Road haul = road network distance from the road point nearest the occurrence to the "
    "terminal, plus the straight leg from the road to the port point. The occurrence's own "
    "off-road access leg is listed separately and is the same for every terminal. Occurrence "
    "points carry their location uncertainty (± km): read small differences with care."
)
st.subheader("By terminal")
ctx.per_port_table(res, weighted=controls.weights is not None)
st.subheader("By occurrence")
ctx.per_occurrence_table(res)

# --- traceability ------------------------------------------------------------------------------
st.header("Traceability: antimony near the Afghan border")
st.markdown(
    "Press reports say some antimony sold as Pakistani may be mined in Afghanistan and moved "
    "across the border informally. For each antimony occurrence below: the straight-line "
    "distance to the Afghan border and to the nearest official border crossing, and the road "
    "haul to the nearest seaport.\n\n"
    "**Flags.** *crossing closer (straight vs road)* is set when the straight-line distance to "
    "the nearest crossing is shorter than the road haul to the nearest seaport; since a straight "
    "line is never longer than a road, it flags generously. *crossing closer (road vs road)* "
    "compares the road distance to the nearest crossing into Afghanistan with the road haul to "
    "the seaport. Both are "
    "**geographic indicators** of where a cross-border flow would be short, **not evidence** that "
    "any ore crosses the border; informal routes do not follow official crossings."
)
try:
    trace = ctx.traceability_table(cat, occ)
    st.caption(terminals.traceability_sentence(trace))
    ctx.trace_table(trace)
except MineralmapError as exc:
    ui.show_error(exc)

ui.attributions(cat, ["roads", "ports", "border_crossings", "countries", "provinces"])
