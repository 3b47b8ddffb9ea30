"""Streamlit glue of the Market & logistics page: market cards, scenario widgets, the scenario
map and tables, traceability tables.

The computations are cached in :mod:`mineralmap.ui.cache` by the catalog key and plain values
(ids, coordinates), never a frame; the library does the work (:mod:`mineralmap.terminals`,
:mod:`mineralmap.mapviews`, :mod:`mineralmap.scenario`).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import pandas as pd
import pydeck as pdk
import streamlit as st

from mineralmap import mapviews, market, params, scenario, terminals
from mineralmap.catalog import Catalog
from mineralmap.scenario import ScenarioResult
from mineralmap.summary import md_escape
from mineralmap.ui import cache, maps, shell, tables

WEIGHT_COLUMN = "ore_tonnage_t"
_CUSTOM = "a coordinate I enter"


# --------------------------------------------------------------------------------------------
# market facts


def _card(col, label: str, value: str, caption: str, help_: str | None = None) -> None:
    col.metric(label, value, help=help_, border=True)
    col.caption(caption)


def market_cards(facts: pd.DataFrame) -> None:
    """One ``st.metric`` per reported figure plus the implied test-purchase price."""
    figs = facts[facts["kind"] == "figure"]
    cards = [
        (r.fact, r.short, f"{r.attribution} · {r.as_of} · *{r.wording}*", r.display)
        for r in figs.itertuples(index=False)
    ]
    implied = market.implied_test_purchase(facts)
    cards.append((
        "Test purchase, implied price per tonne",
        f"≤US${implied.usd_per_t:,.0f}/t",
        f"{implied.label} · computed from the two figures above",
        implied.basis,
    ))
    per_row = 3
    for start in range(0, len(cards), per_row):
        cols = st.columns(per_row)
        for col, (label, value, cap, help_) in zip(cols, cards[start:start + per_row],
                                                   strict=False):
            _card(col, label, value, cap, help_)


def market_statements(facts: pd.DataFrame) -> None:
    """Reported statements and paraphrased background points, each with its attribution."""
    st_rows = facts[facts["kind"] == "statement"]
    st.markdown("\n".join(
        f"- **{r.fact}**: {r.display} (*{r.attribution}, {r.as_of}, {r.wording}*)"
        for r in st_rows.itertuples(index=False)
    ))
    bg = facts[facts["kind"] == "background"]
    with st.expander("Background (paraphrased from press reports, late 2025)"):
        st.markdown("\n".join(f"- **{r.fact}**: {r.display}." for r in bg.itertuples(index=False)))


# --------------------------------------------------------------------------------------------
# scenario controls


@dataclass(frozen=True)
class ScenarioControls:
    """What the user asked for: candidate (lon, lat) or None, its name, weight column."""

    candidate: tuple[float, float] | None
    name: str
    weights: str | None


_LINK_INIT = "_mm_cand_url_init"


def candidate_from_link(cat: Catalog) -> None:
    """On the first run of a session on this page, set the candidate widgets from the link
    (``cand_site`` or ``cand=lon,lat``, ``cand_name``); notes go with the other link notes."""
    if st.session_state.get(_LINK_INIT):
        return
    st.session_state[_LINK_INIT] = True
    minor = terminals.minor_ports(cat.layer("ports"))
    link, notes = terminals.candidate_from_params(shell.query_params(), minor)
    shell.add_param_notes(notes)
    if link is None:
        return
    st.session_state["ctx_cand_on"] = True
    if link.site is not None:
        st.session_state["ctx_cand_site"] = link.site
    elif link.lonlat is not None:
        st.session_state["ctx_cand_site"] = _CUSTOM
        st.session_state["ctx_cand_lon"], st.session_state["ctx_cand_lat"] = link.lonlat
    if link.name:
        st.session_state["ctx_cand_name"] = link.name


def _swap_typed() -> None:
    """Swap the typed longitude and latitude (the button under a swapped pair)."""
    lon, lat = st.session_state.get("ctx_cand_lon"), st.session_state.get("ctx_cand_lat")
    st.session_state["ctx_cand_lon"], st.session_state["ctx_cand_lat"] = lat, lon


def scenario_controls(cat: Catalog) -> ScenarioControls:
    """Candidate-terminal and weight widgets (keys ``ctx_*``), restored from and written to
    the link."""
    candidate_from_link(cat)
    left, right = st.columns([3, 2])
    link = terminals.CandidateLink()
    with left:
        on = st.checkbox("Add a candidate terminal", key="ctx_cand_on",
                         help="Compare a proposed export terminal on the coast with the "
                         "existing seaports.")
        candidate = None
        name = terminals.CANDIDATE_NAME
        if on:
            minor = terminals.minor_ports(cat.layer("ports"))
            site = st.selectbox(
                "Place it at", [_CUSTOM, *minor], key="ctx_cand_site",
                format_func=lambda s: s if s == _CUSTOM else f"{s} (minor port, town point)",
            )
            a, b, c = st.columns([2, 2, 3])
            if site == _CUSTOM:
                # no min/max: a wrong value is explained below instead of refused by the widget
                lon = a.number_input("Longitude (°E)", value=None, step=0.05, format="%.4f",
                                     key="ctx_cand_lon", placeholder="e.g. 64.6")
                lat = b.number_input("Latitude (°N)", value=None, step=0.05, format="%.4f",
                                     key="ctx_cand_lat", placeholder="e.g. 25.2")
                candidate, message, is_error = terminals.check_candidate_input(lon, lat)
                if message and is_error:
                    st.error(md_escape(message))
                    if "swapped" in message:
                        st.button("Swap longitude and latitude", key="ctx_cand_swap",
                                  on_click=_swap_typed, icon=":material/swap_horiz:")
                elif message:
                    st.caption(md_escape(message))
                if lon is not None and lat is not None and all(
                        math.isfinite(v) for v in (lon, lat)):
                    link = terminals.CandidateLink(lonlat=(float(lon), float(lat)))
            else:
                candidate = minor[site]
                a.metric("Longitude", f"{candidate[0]:.4f}")
                b.metric("Latitude", f"{candidate[1]:.4f}")
                name = terminals.site_name(site)
                link = terminals.CandidateLink(site=site)
            if st.session_state.get("_mm_cand_last_site", site) != site:
                st.session_state.pop("ctx_cand_name", None)  # a new site: its default name
            st.session_state["_mm_cand_last_site"] = site
            name_kw = {} if "ctx_cand_name" in st.session_state else {"value": name}
            name = c.text_input("Name", key="ctx_cand_name", **name_kw) or name
            link = dataclasses.replace(link, name=name)
            x0, y0, x1, y1 = scenario.COASTAL_BAND
            st.caption(f"Allowed: Pakistan's coastal band, {x0}–{x1} °E, {y0}–{y1} °N. "
                       "**Share:** the address in the browser's bar carries this candidate "
                       "terminal and the filters; copy it.")
    with right:
        weighted = st.toggle(
            "Weight by ore tonnage", key="ctx_weights",
            help=f"Multiply each haul by the source's tonnage estimate ({WEIGHT_COLUMN}); rows "
            "without one are left out of the t·km totals.",
        )
    shell.sync_query_params(params.CANDIDATE_PARAMS, link.to_params())
    return ScenarioControls(candidate, name, WEIGHT_COLUMN if weighted else None)


# --------------------------------------------------------------------------------------------
# scenario and traceability (cached in mineralmap.ui.cache)


@dataclass(frozen=True)
class ScenarioView:
    """A scenario result plus its routes merged per terminal for drawing."""

    result: ScenarioResult
    drawn_routes: list


def _ids(occ: pd.DataFrame) -> tuple[str, ...]:
    return tuple(sorted(occ["id"].astype(str)))


def run_scenario(cat: Catalog, occ: pd.DataFrame, ctl: ScenarioControls) -> ScenarioView:
    """Scenario for the filtered occurrences; an invalid candidate is reported and dropped."""
    cand = ctl.candidate
    if cand is not None:
        try:
            cand = scenario.validate_candidate(cand, coast=cache.coastline(cat.key))
        except scenario.ScenarioError as exc:
            st.error(f"{exc}. Showing the existing seaports only.")
            cand = None
    args = (cat.key, _ids(occ), cand, ctl.name, ctl.weights)
    return ScenarioView(cache.scenario_result(*args), cache.drawn_routes(*args))


def traceability_table(cat: Catalog, occ: pd.DataFrame) -> pd.DataFrame:
    """:func:`mineralmap.scenario.traceability` for the filtered rows (cached)."""
    return cache.traceability(cat.key, _ids(occ))


# --------------------------------------------------------------------------------------------
# map and tables


def scenario_deck(cat: Catalog, view: ScenarioView, occ: pd.DataFrame) -> pdk.Deck:
    """Provinces, routes coloured by destination, occurrences, terminals (candidate marked)."""
    context = maps.context_layers(cat, mapviews.SCENARIO_CONTEXT)
    return mapviews.scenario_deck(context, view.result, view.drawn_routes, occ)


def terminal_legend(res: ScenarioResult) -> None:
    """Colour swatch per terminal."""
    st.markdown(mapviews.terminal_legend_html(res.terminals), unsafe_allow_html=True)


def per_port_table(res: ScenarioResult, weighted: bool) -> None:
    """Occurrences won and road-haul totals per terminal (t·km columns when weighted)."""
    cols = ["port", "occurrences", "total_haul_km", "median_haul_km"]
    if weighted:
        cols += ["weighted_occurrences", "weight_total_t", "weighted_t_km"]
    st.dataframe(
        res.per_port[cols], hide_index=True, width="stretch", key="ctx_per_port",
        column_config={
            "port": "terminal",
            "occurrences": st.column_config.NumberColumn("nearest by road for", format="%d"),
            "total_haul_km": st.column_config.NumberColumn("total road haul km", format="%,.0f"),
            "median_haul_km": st.column_config.NumberColumn("median road haul km",
                                                            format="%,.0f"),
            "weighted_occurrences": st.column_config.NumberColumn("with tonnage", format="%d"),
            "weight_total_t": st.column_config.NumberColumn("tonnage t", format="%,.0f"),
            "weighted_t_km": st.column_config.NumberColumn("t·km", format="%,.0f"),
        },
    )


def per_occurrence_table(res: ScenarioResult) -> None:
    """Nearest terminal and the road haul to every terminal, per occurrence."""
    df = res.per_occurrence
    names = dict(zip(res.terminals["port_id"], res.terminals["port"], strict=True))
    haul_cols = [c for c in df.columns if c.startswith("haul_") and c != "haul_km"]
    cfg = {
        "port": "nearest terminal by road",
        "haul_km": st.column_config.NumberColumn("road haul km", format="%,.0f"),
        "access_km": st.column_config.NumberColumn("to the road km", format="%.1f"),
        "weight": st.column_config.NumberColumn("tonnage t", format="%,.0f"),
    }
    for c in haul_cols:
        cfg[c] = st.column_config.NumberColumn(f"km to {names.get(c[5:-3], c)}", format="%,.0f")
    tables.lazy_paged_table(
        df[["id", "name", "port", "haul_km", "access_km", *haul_cols, "weight"]],
        key="ctx_per_occ", label="Show the table by occurrence", column_config=cfg,
        file_name="mineralmap_terminal_scenario_by_occurrence.csv",
        empty="No mapped occurrence in the selection, so no haul per occurrence.")


def trace_table(trace: pd.DataFrame) -> None:
    """The traceability rows with readable headers and flag checkboxes."""
    cfg = {
        "border_afghanistan_km": st.column_config.NumberColumn("Afghan border km (straight)",
                                                               format="%,.0f"),
        "crossing_nearest": "nearest crossing",
        "crossing_km": st.column_config.NumberColumn("crossing km (straight)", format="%,.0f"),
        "haul_road_port": "nearest seaport by road",
        "haul_road_km": st.column_config.NumberColumn("seaport km (road)", format="%,.0f"),
        "crossing_closer_than_port": st.column_config.CheckboxColumn(
            "crossing closer (straight vs road)"),
        "crossing_road_nearest": "nearest Afghan crossing by road",
        "crossing_road_km": st.column_config.NumberColumn("Afghan crossing km (road)", format="%,.0f"),
        "crossing_closer_by_road": st.column_config.CheckboxColumn("crossing closer (road vs road)"),
    }
    cols = [c for c in trace.columns if c != "province"]
    tables.paged_table(trace[cols], key="ctx_trace", column_config=cfg,
                       file_name="mineralmap_traceability.csv",
                       empty="No antimony occurrence in the selection.")
