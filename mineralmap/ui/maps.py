"""Map glue shared by the pages: layer toggles and basemap (URL-backed), deck assembly,
click selection, the detail panel of one occurrence."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import pydeck as pdk
import streamlit as st
from shapely.geometry import LineString

from mineralmap import details, layers, mapviews, params, picks, summary, terminals
from mineralmap.catalog import Catalog
from mineralmap.ui import cache, shell
from mineralmap.viewport import PAKISTAN_VIEW

BASEMAPS = layers.BASEMAPS
DEFAULT_LAYERS = ("provinces", "ports", "railways", "border_crossings")
_SEL_KEY = "_mm_selected"
_LAST_PICK_KEY = "_mm_last_pick"

__all__ = [
    "BASEMAPS", "DEFAULT_LAYERS", "PAKISTAN_VIEW", "MapControls", "deck",
    "detail_panel", "initial_view", "map_controls", "map_notes", "route_for", "select_clicked",
    "selected_id", "set_selected",
]


@dataclass(frozen=True)
class MapControls:
    """What the user chose to show on the map."""

    visible: tuple[str, ...]
    basemap: str


def _notes() -> list[str]:
    return st.session_state.setdefault("_mm_map_notes", [])


def _note(messages: Sequence[str]) -> None:
    notes = _notes()
    notes.extend(m for m in messages if m not in notes)


def map_controls(key: str = "map") -> MapControls:
    """Layer toggles and basemap choice, initialised from and written back to the URL."""
    labels = layers.CONTEXT_LAYER_LABELS
    init_key = f"_mm_{key}_init"
    if not st.session_state.get(init_key):
        st.session_state[init_key] = True
        visible, notes = params.parse_layers(st.query_params.get("layers"), labels,
                                             DEFAULT_LAYERS)
        basemap, more = params.parse_basemap(st.query_params.get("basemap"))
        _note(notes + more)
        st.session_state[f"{key}_layers"] = visible
        st.session_state[f"{key}_basemap"] = basemap
    with st.expander("Map layers and basemap", expanded=False):
        visible = st.multiselect(
            "Infrastructure and boundary layers", list(labels), format_func=labels.get,
            key=f"{key}_layers",
        )
        basemap = st.radio(
            "Basemap", BASEMAPS, horizontal=True, key=f"{key}_basemap",
            help="Basemap tiles need internet; boundaries are drawn from our own data, so the "
            "map stays readable with 'none' or offline.",
        )
    st.query_params["layers"] = ",".join(visible)
    st.query_params["basemap"] = basemap
    initial_view()  # validates the view parameter early so its note shows with the others
    return MapControls(tuple(visible), basemap)


def map_notes() -> None:
    """Show notes about ignored URL parameters of the map."""
    notes = _notes()
    if notes:
        st.info(shell.notes_markdown(notes))


def initial_view() -> dict[str, float] | None:
    """Map view from the ``view=lat,lon,zoom`` URL parameter (None when absent or invalid)."""
    view, notes = params.parse_view(st.query_params.get("view"))
    _note(notes)
    return view


def deck(cat: Catalog, occ: pd.DataFrame, controls: MapControls,
         extra: list[pdk.Layer | None] | None = None, view: dict | None = None) -> pdk.Deck:
    """Assemble the deck: cached static layers + occurrence layers + page extras."""
    return mapviews.occurrence_deck(cache.context_layers(cat, controls.visible), occ,
                                    extra=extra or (), view=view or initial_view(),
                                    basemap=controls.basemap)


def selected_id(cat: Catalog) -> str | None:
    """The selected occurrence id (from a map click or the ``sel`` URL parameter)."""
    if _SEL_KEY not in st.session_state:
        sel, notes = params.parse_selected(st.query_params.get("sel"),
                                           set(cat.occurrences["id"].astype(str)))
        _note(notes)
        st.session_state[_SEL_KEY] = sel
    return st.session_state[_SEL_KEY]


def set_selected(occ_id: str | None) -> None:
    """Remember the selected occurrence (and put it in the URL)."""
    st.session_state[_SEL_KEY] = occ_id
    if occ_id:
        st.query_params["sel"] = occ_id
    elif "sel" in st.query_params:
        del st.query_params["sel"]


def select_clicked(event, occ: pd.DataFrame) -> bool:
    """Select the occurrence clicked on the map; True when the selection changed.

    A click is acted on once (see :func:`mineralmap.picks.is_new_click`).
    """
    picked = picks.clicked_ids(event, occ)
    last = st.session_state.get(_LAST_PICK_KEY)
    st.session_state[_LAST_PICK_KEY] = picked
    if not picks.is_new_click(picked, last, st.session_state.get(_SEL_KEY)):
        return False
    set_selected(picked[0])
    return True


def route_for(cat: Catalog, occ_id: str | None) -> tuple[LineString | None, str | None]:
    """Road route geometry from the occurrence to the port reached by the shortest road route,
    and that port's name ((None, None) when the occurrence has no road port)."""
    start = terminals.road_port(cat.occurrences, occ_id)
    if start is None:
        return None, None
    return cache.occurrence_route(cat.key, str(occ_id)), start[2]


def detail_panel(cat: Catalog, occ_id: str) -> None:
    """Every attribute of one occurrence, sources as links, distances with ± precision."""
    d = details.occurrence_details(cat.occurrences, occ_id)
    if d is None:
        st.info(f"Occurrence {details.md_escape(occ_id)} is not in the data.")
        return
    with st.container(border=True):
        st.subheader(details.md_escape(d["name"]))
        st.caption(details.header_caption(d))
        st.markdown(details.placement_markdown(d))
        st.markdown(summary.distance_markdown(d))
        st.markdown("**Sources**")
        for line in details.source_lines(d):
            st.markdown(line)
        with st.expander("All attributes"):
            st.dataframe(pd.DataFrame({"attribute": list(d), "value": [str(v) for v in d.values()]}),
                         hide_index=True, width="stretch")
