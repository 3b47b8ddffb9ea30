"""Map glue shared by the pages: layer toggles and basemap (URL-backed), deck assembly,
click selection, the detail panel of one occurrence."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pydeck as pdk
import streamlit as st

from mineralmap import layers, summary
from mineralmap.catalog import Catalog
from mineralmap.ui import data

BASEMAPS = ("light", "dark", "none")
DEFAULT_LAYERS = ("provinces", "ports", "railways", "border_crossings")
_SEL_KEY = "_mm_selected"
#: Whole-country view used by the overview map.
PAKISTAN_VIEW = {"latitude": 30.4, "longitude": 69.4, "zoom": 4.15}


@dataclass(frozen=True)
class MapControls:
    """What the user chose to show on the map."""

    visible: tuple[str, ...]
    basemap: str


def _notes() -> list[str]:
    return st.session_state.setdefault("_mm_map_notes", [])


def map_controls(key: str = "map") -> MapControls:
    """Layer toggles and basemap choice, initialised from and written back to the URL."""
    labels = layers.CONTEXT_LAYER_LABELS
    init_key = f"_mm_{key}_init"
    if not st.session_state.get(init_key):
        st.session_state[init_key] = True
        raw = st.query_params.get("layers")
        visible = list(DEFAULT_LAYERS)
        if raw is not None:
            asked = [x for x in raw.split(",") if x]
            unknown = [x for x in asked if x not in labels]
            if unknown:
                _notes().append(f"ignored unknown layers: {', '.join(unknown)}")
            visible = [x for x in asked if x in labels]
        st.session_state[f"{key}_layers"] = visible
        basemap = st.query_params.get("basemap", "light")
        if basemap not in BASEMAPS:
            _notes().append(f"ignored unknown basemap {basemap!r} (use light, dark or none)")
            basemap = "light"
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
        st.info("Some link parameters were ignored: " + "; ".join(notes))


def initial_view() -> dict | None:
    """Map view from the ``view=lat,lon,zoom`` URL parameter (None when absent or invalid)."""
    raw = st.query_params.get("view")
    if not raw:
        return None
    try:
        lat, lon, zoom = (float(x) for x in raw.split(","))
        if not (-90 <= lat <= 90 and -180 <= lon <= 180 and 0 <= zoom <= 20):
            raise ValueError
    except ValueError:
        if f"view {raw!r}" not in " ".join(_notes()):
            _notes().append(f"ignored invalid view {raw!r} (expected lat,lon,zoom)")
        return None
    return {"latitude": lat, "longitude": lon, "zoom": zoom}


def deck(cat: Catalog, occ: pd.DataFrame, controls: MapControls,
         extra: list[pdk.Layer] | None = None, view: dict | None = None) -> pdk.Deck:
    """Assemble the deck: cached static layers + occurrence layers + page extras."""
    stack = data.context_layers(cat, controls.visible)
    stack += layers.occurrence_layers(occ)
    stack += [lyr for lyr in (extra or []) if lyr is not None]
    return layers.make_deck(stack, view=view or initial_view(), basemap=controls.basemap)


def selected_id(cat: Catalog) -> str | None:
    """The selected occurrence id (from a map click or the ``sel`` URL parameter)."""
    if _SEL_KEY not in st.session_state:
        sel = st.query_params.get("sel")
        if sel is not None and sel not in set(cat.occurrences["id"]):
            _notes().append(f"ignored unknown occurrence id {sel!r}")
            sel = None
        st.session_state[_SEL_KEY] = sel
    return st.session_state[_SEL_KEY]


def set_selected(occ_id: str | None) -> None:
    """Remember the selected occurrence (and put it in the URL)."""
    st.session_state[_SEL_KEY] = occ_id
    if occ_id:
        st.query_params["sel"] = occ_id
    elif "sel" in st.query_params:
        del st.query_params["sel"]


def clicked_ids(event, occ: pd.DataFrame, layer_id: str = "occurrences") -> list[str]:
    """Occurrence ids picked in a ``st.pydeck_chart(on_select=...)`` event.

    Small layers carry the id in each object; compact layers (thousands of points) do not, so
    their picked indices are mapped back through :func:`mineralmap.layers.occurrence_view`.
    """
    if event is None:
        return []
    try:
        objs = event.selection.objects.get(layer_id, [])
        idx = event.selection.indices.get(layer_id, [])
    except AttributeError:
        return []
    ids = [str(o["id"]) for o in objs if isinstance(o, dict) and o.get("id")]
    if ids or not idx:
        return ids
    view_ids = layers.occurrence_view(occ).ids
    return [str(view_ids[i]) for i in idx if 0 <= i < len(view_ids)]


def select_clicked(event, occ: pd.DataFrame) -> bool:
    """Select the occurrence clicked on the map; True when the selection changed.

    A click is acted on once: the chart keeps reporting its last pick on later reruns, which must
    not undo "Clear selection".
    """
    picked = clicked_ids(event, occ)
    last = st.session_state.get("_mm_last_pick")
    st.session_state["_mm_last_pick"] = picked
    if not picked or picked == last or picked[0] == st.session_state.get(_SEL_KEY):
        return False
    set_selected(picked[0])
    return True


def route_for(cat: Catalog, occ_id: str | None):
    """Road route geometry from the occurrence to the port reached by the shortest road route."""
    if not occ_id:
        return None, None
    row = cat.occurrences.loc[cat.occurrences["id"] == occ_id]
    if row.empty or not bool(row["mapped"].iloc[0]):
        return None, None
    port = row["haul_road_port"].iloc[0]
    if not isinstance(port, str) or not port:
        return None, None
    return _route(cat.key, occ_id), port


@st.cache_data(show_spinner=False, max_entries=256)
def _route(key: str, occ_id: str):
    cat = data.get_catalog()
    row = cat.occurrences.loc[cat.occurrences["id"] == occ_id].iloc[0]
    ports = cat.layer("ports")
    pid = ports.loc[ports["name"] == row["haul_road_port"], "id"]
    if pid.empty:
        return None
    net = data.road_network(cat)
    return net.route(float(row["lon"]), float(row["lat"]), str(pid.iloc[0]))


def detail_panel(cat: Catalog, occ_id: str) -> None:
    """Every attribute of one occurrence, sources as links, distances with ± precision."""
    rows = cat.occurrences.loc[cat.occurrences["id"] == occ_id]
    if rows.empty:
        st.info(f"Occurrence {occ_id} is not in the data.")
        return
    d = summary.details(rows.iloc[0])
    pm = d.get("precision_km")
    pm_txt = f"± {pm:.0f} km" if isinstance(pm, float) else "unknown"
    with st.container(border=True):
        st.subheader(f"{d['name']}")
        st.caption(f"{d['id']} · {d['commodities']} · {d['status']}")
        st.markdown(
            f"**Location precision:** {d['precision']} ({pm_txt}). Every distance below is "
            f"uncertain by about the same amount.\n\n**How the point was placed:** "
            f"{summary.placement_note(d.get('geocode_note')) or '—'}"
        )
        st.markdown(summary.distance_markdown(d))
        st.markdown("**Sources**")
        for title, url in zip(_split_titles(d.get("source_title")), summary.source_urls(d.get("source_url")) + [None] * 20, strict=False):
            st.markdown(f"- [{title}]({url})" if url else f"- {title}")
        extra = [u for u in summary.source_urls(d.get("source_url"))][len(_split_titles(d.get("source_title"))):]
        for url in extra:
            st.markdown(f"- <{url}>")
        with st.expander("All attributes"):
            st.dataframe(pd.DataFrame({"attribute": list(d), "value": [str(v) for v in d.values()]}),
                         hide_index=True, width="stretch")


def _split_titles(value: object) -> list[str]:
    if not isinstance(value, str) or not value.strip():
        return []
    return [t.strip() for t in value.split(" | ") if t.strip()]
