"""Map glue shared by the pages: layer toggles and basemap (URL-backed), deck assembly, the map
view (fitted when the filter, the selection or a search changes, else left to the user), the
place search, click selection and marker stacks, the detail panel of one occurrence, the
compact legend and the way forward from an empty result."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace

import pandas as pd
import pydeck as pdk
import streamlit as st
from shapely.geometry import LineString

from mineralmap import (
    details,
    layerfiles,
    layers,
    mapviews,
    params,
    picks,
    search,
    summary,
    terminals,
    tiles,
    viewport,
    widen,
)
from mineralmap.catalog import Catalog
from mineralmap.filters import FilterSpec
from mineralmap.ui import asgi, cache, shell
from mineralmap.viewport import PAKISTAN_VIEW

BASEMAPS = layers.BASEMAPS
DEFAULT_LAYERS = ("provinces", "ports", "railways", "border_crossings")
_SEL_KEY = "_mm_selected"
_LAST_PICK_KEY = "_mm_last_pick"
_FLY_KEY = "_mm_fly"  # (number of flights so far, view of the last one)
_SEARCH_KEY = "_mm_search"  # (query searched, hits)
_OCC_FILE_KEY = "_mm_occ_points"  # SharedPoints of the occurrence file the map draws, or None
#: Prefix of the sidebar filter widgets' keys (mineralmap.ui.shell), for "widen the limit".
_FILTER_WIDGET_PREFIX = "flt_"
#: Height of the Explore map (px).
MAP_HEIGHT = viewport.FIT_HEIGHT_PX

__all__ = [
    "BASEMAPS", "DEFAULT_LAYERS", "MAP_HEIGHT", "PAKISTAN_VIEW", "MapControls", "close_hidden",
    "context_layers", "deck", "detail_panel", "empty_result_hint", "explore_view", "fitted_view", "initial_view",
    "legend", "map_controls", "map_notes", "occurrence_layers", "route_for", "search_box", "select_clicked",
    "selected_id", "set_selected", "stack_picker",
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


def context_layers(cat: Catalog, visible: Sequence[str], basemap: str = "light") -> list:
    """The static context layers of a map: by URL when the server has the ``/layers/`` route
    (``streamlit run serve.py``; fetched once over HTTP, cached by the browser), inline
    otherwise (``streamlit run app.py``, AppTest)."""
    if asgi.layer_route_mounted():
        return cache.url_layers(cat, visible, dark=basemap == "dark", base=_base_url())
    return cache.context_layers(cat, visible)


def occurrence_layers(cat: Catalog, occ: pd.DataFrame) -> list | None:
    """The occurrence layers drawn from a shared points file (``serve.py``), or None to draw
    ``occ`` inline (no ``/layers/`` route, aggregated grid, or rows that are not the sidebar
    filter's).

    One content-hashed file per dataset version and filter without its distance limits holds
    the points (both layers name its URL; the browser fetches it once and caches it); the
    distance limits are applied in the browser (deck.gl ``DataFilterExtension``), so changing
    one sends a few numbers, not the points. Above the aggregation threshold the file holds
    exactly the filtered rows; when even those are more than
    :data:`mineralmap.layers.AGGREGATE_THRESHOLD`, the points come as tiles
    (:func:`tiled_layers`).
    """
    st.session_state[_OCC_FILE_KEY] = None
    if not asgi.layer_route_mounted() or not {"lon", "lat"} <= set(occ.columns):
        return None
    if int(layers.mapped_lonlat(occ)[2].sum()) > layers.AGGREGATE_THRESHOLD:
        return tiled_layers(cat, occ)
    spec = shell.current_filter()
    limits: list[float | None] = [getattr(spec, f) for f in layers.BROWSER_FILTERS]
    ofile = cache.occurrence_file(cat, _without_limits(spec))
    if ofile.points.mapped > layers.AGGREGATE_THRESHOLD:  # the limits bring it under
        ofile, limits = cache.occurrence_file(cat, spec), [None] * len(limits)
    if not ofile.points.shows(occ, limits):
        return None
    st.session_state[_OCC_FILE_KEY] = ofile.points
    out: list = layerfiles.occurrence_layers(ofile, limits, base=_base_url())
    if not ofile.points.compact:
        out.append(cache.stack_layer(cat, spec))  # None (dropped by the deck) without stacks
    return [lyr for lyr in out if lyr is not None]


def tiled_layers(cat: Catalog, occ: pd.DataFrame) -> list | None:
    """``occ`` as XYZ tiles (cells zoomed out, points zoomed in; see :mod:`mineralmap.tiles`),
    or None without the ``/tiles/`` route or when ``occ`` is not the sidebar filter's frame
    (:func:`mineralmap.ui.cache.filtered_occurrences`; the tiles are cut from that one)."""
    spec = shell.current_filter()
    if not asgi.tile_route_mounted() or cache.filtered_occurrences(cat, spec)[0] is not occ:
        return None
    src = cache.tile_source(cat, spec)
    return [layers.tile_layer(tiles.url_template(src.key, _base_url()), tiles.POINT_ZOOM)]


def aggregation_note(mapped: int) -> str | None:
    """What the page says under the map when the occurrences are drawn as grid cells."""
    if mapped <= layers.AGGREGATE_THRESHOLD:
        return None
    if asgi.tile_route_mounted():
        return (f"{mapped:,} mapped occurrences are more than the map draws one by one at this "
                f"scale ({layers.AGGREGATE_THRESHOLD:,}): zoomed out they are shown as grid "
                "cells sized by count and coloured by the most frequent commodity; zoom in "
                f"(to zoom level {tiles.POINT_ZOOM}, where the map spans a few hundred km) to "
                "see every point, with its tooltip, and click one for its details.")
    return (f"{mapped:,} mapped occurrences are more than the map draws one by one "
            f"({layers.AGGREGATE_THRESHOLD:,}): they are shown as grid cells of "
            f"{layers.AGGREGATE_CELL_DEG:g}° sized by count and coloured by the most frequent "
            "commodity. Narrow the filters to see individual points.")


def _without_limits(spec: FilterSpec) -> FilterSpec:
    """``spec`` without the distance limits the browser applies (:data:`layers.BROWSER_FILTERS`)."""
    return replace(spec, **dict.fromkeys(layers.BROWSER_FILTERS))


def _base_url() -> str:
    return st.get_option("server.baseUrlPath") or ""


def deck(cat: Catalog, occ: pd.DataFrame, controls: MapControls,
         extra: list[pdk.Layer | None] | None = None, view: dict | None = None,
         under: list[pdk.Layer | None] | None = None) -> pdk.Deck:
    """Assemble the deck: cached static layers + ``under`` + occurrence layers + page extras."""
    context = context_layers(cat, controls.visible, controls.basemap)
    return mapviews.occurrence_deck(context, occ,
                                    extra=extra or (), view=view or initial_view(),
                                    basemap=controls.basemap, under=under or (),
                                    occurrence=occurrence_layers(cat, occ))


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
    shared = st.session_state.get(_OCC_FILE_KEY)
    if shared is not None and shared.compact:  # indices into the shared points file
        try:
            idx = event.selection.indices.get(picks.OCCURRENCE_LAYER, [])
        except AttributeError:
            idx = []
        picked = shared.ids_at(idx)
    else:
        picked = picks.clicked_ids(event, occ) or picks.clicked_ids(
            event, occ.iloc[0:0], layer_id=layers.TILE_LAYER_ID)
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



# --------------------------------------------------------------------------------------------
# map view: fitted on change, else the user's


def fitted_view(key: str, trigger: Hashable, fit: Callable[[Hashable | None], dict[str, float]]
                ) -> dict[str, float]:
    """The view to send to ``st.pydeck_chart``: a new fitted view when ``trigger`` changed since
    the last run, else exactly the view sent last time (so the chart keeps the user's panning,
    see :mod:`mineralmap.viewport`). The first run of a session takes the ``view=`` URL
    parameter when there is one. The view sent is written into the URL (``view=``).

    Parameters
    ----------
    key
        Names the map (one memo per map).
    trigger
        What the view is fitted to (filter, selection, search); hashable.
    fit
        Called with the previous trigger (None on the first run) when a new view is needed.
    """
    memo_key = f"_mm_view_{key}"
    memo = st.session_state.get(memo_key)
    if memo is not None and memo[0] == trigger:
        view = memo[1]
    else:
        asked = initial_view() if memo is None else None
        new = asked if asked is not None else fit(None if memo is None else memo[0])
        view = viewport.distinct_view(new, None if memo is None else memo[1])
        st.session_state[memo_key] = (trigger, view)
    text = viewport.view_param(view)
    if st.query_params.get("view") != text:
        st.query_params["view"] = text
    return view


def explore_view(occ: pd.DataFrame, sel: str | None, route: LineString | None) -> dict[str, float]:
    """The Explore map's view: a search hit, else the selected occurrence with its route, else
    the filtered occurrences; refitted only when one of them changes (see :func:`fitted_view`).
    """
    fly = st.session_state.get(_FLY_KEY, (0, None))
    # A distance limit hides and shows points in place (in the browser, see
    # occurrence_layers): the view stays, so the points that drop out are seen where they were,
    # and the map is redrawn once per change instead of twice (issue 16).
    trigger = (_without_limits(shell.current_filter()), sel, fly[0])

    def fit(previous: Hashable | None) -> dict[str, float]:
        if fly[1] is not None and (previous is None or previous[2] != fly[0]):
            return fly[1]
        if sel is not None and (previous is None or previous[1] != sel):
            row = occ.loc[occ["id"].astype(str) == sel]
            lon = pd.to_numeric(row["lon"], errors="coerce").tolist()
            lat = pd.to_numeric(row["lat"], errors="coerce").tolist()
            if route is not None and not route.is_empty:
                w, s, e, n = route.bounds
                lon, lat = [*lon, w, e], [*lat, s, n]
            if any(pd.notna(lon)):
                return viewport.fit_points(lon, lat)
        return viewport.fit_points(pd.to_numeric(occ["lon"], errors="coerce").tolist(),
                                   pd.to_numeric(occ["lat"], errors="coerce").tolist())

    return fitted_view("explore", trigger, fit)


def _fly(view: dict[str, float]) -> None:
    n, _ = st.session_state.get(_FLY_KEY, (0, None))
    st.session_state[_FLY_KEY] = (n + 1, view)


def _go(place: search.Place) -> None:
    _fly(search.view_for(place))
    if place.kind == "occurrence" and place.ref:
        set_selected(place.ref)


# --------------------------------------------------------------------------------------------
# search


def search_box(cat: Catalog, occ: pd.DataFrame) -> None:
    """One search box for occurrences (those the filters show), towns, districts, ports and
    border crossings: the best match flies the map there (an occurrence also opens its panel);
    the other matches are offered as buttons."""
    query = st.text_input(
        "Search places", key="map_search", max_chars=search.MAX_QUERY_CHARS,
        placeholder="Occurrence, town, district, port or border crossing",
        help="Searches our own layers (no online geocoder); press Enter to go to the best match.",
    )
    last = st.session_state.get(_SEARCH_KEY)
    if query and (last is None or last[0] != query):
        hits = search.find(search.places(occ, cat.layers), query)
        st.session_state[_SEARCH_KEY] = (query, hits)
        if hits:
            _go(hits[0])
    elif not query:
        st.session_state.pop(_SEARCH_KEY, None)
        return
    hits = st.session_state[_SEARCH_KEY][1]
    if not hits:
        st.caption(f"No occurrence, town, district, port or border crossing is named like "
                   f"“{details.md_escape(query)}”.")
        return
    st.caption(f"Showing **{search.label_markdown(hits[0])}**")
    if len(hits) > 1:
        cols = st.columns(min(len(hits) - 1, 4))
        for i, hit in enumerate(hits[1:5]):
            cols[i].button(search.label_markdown(hit), key=f"map_search_hit_{i}",
                           on_click=_go, args=(hit,), width="stretch")


# --------------------------------------------------------------------------------------------
# selection that the filters hide, stacks, legend, empty results


def close_hidden(occ: pd.DataFrame, sel: str | None) -> str | None:
    """Close the selection (panel and route) when the filters no longer show it; returns the
    selection that stays (None when closed, with a caption saying why)."""
    if sel is None or (occ["id"].astype(str) == sel).any():
        return sel
    set_selected(None)
    st.caption(f"Closed {details.md_escape(sel)}: the filters no longer show it.")
    return None


def stack_picker(occ: pd.DataFrame, sel: str) -> None:
    """When the selected marker is one of a stack (several rows at one point), list the stack;
    choosing one opens its panel."""
    members = picks.stack_members(occ, sel)
    if len(members) < 2:
        return
    labels = details.member_labels(occ, members)
    key = f"map_stack_{sel}"
    st.radio(f"{len(members)} occurrences share this point; choose one:", members,
             index=members.index(sel), format_func=labels.get, key=key,
             on_change=lambda: set_selected(st.session_state[key]))


def legend(controls: MapControls) -> None:
    """Compact legend of the map: lines as lines, only the visible layers, the basemap's palette.

    Put it after the detail panel in the page's flow so that on a phone (columns stacked) the
    panel comes first.
    """
    st.markdown(mapviews.compact_legend_html(controls.visible, controls.basemap),
                unsafe_allow_html=True)


def _widen(field: str, km: float) -> None:
    st.session_state[_FILTER_WIDGET_PREFIX + field] = float(km)


def empty_result_hint(cat: Catalog, occ: pd.DataFrame) -> None:
    """When the filters keep nothing: the nearest row each distance limit keeps out, and a
    button that widens that limit just enough (computed from the data)."""
    if len(occ):
        return
    misses = widen.near_misses(cat.occurrences, shell.current_filter())
    if not misses:
        st.info("No occurrence matches these filters. Remove a filter in the sidebar, or "
                "“Reset filters”.")
        return
    for m in misses:
        st.warning(widen.message_markdown(m))
        more = "occurrence" if m.count == 1 else "occurrences"
        st.button(f"Widen the limit to {m.widened_km:,.0f} km ({m.count} {more})",
                  key=f"map_widen_{m.field}", on_click=_widen, args=(m.field, m.widened_km))
