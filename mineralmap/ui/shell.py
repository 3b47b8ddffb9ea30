"""Shared page furniture: catalog loading with a user-facing error, banners, the filter sidebar,
query-parameter state, attributions and the legend. Every page uses these; none copies them."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from mineralmap import mapviews, params
from mineralmap.catalog import Catalog
from mineralmap.errors import MineralmapError
from mineralmap.filters import FilterSpec
from mineralmap.summary import md_escape
from mineralmap.ui import cache, freshness

_SPEC_KEY = "_mm_filter_spec"
_NOTES_KEY = "_mm_param_notes"
_INIT_KEY = "_mm_filters_initialised"
_W = "flt_"  # widget key prefix


def _ensure_entrypoint() -> None:
    """Make a deep link (e.g. ``/context`` as the first request to a fresh server) run app.py.

    Streamlit keeps a legacy rule: when a ``pages/`` folder sits beside the entry script, the
    first run of a process executes the page file alone (no navigation, no shared sidebar) until
    ``st.navigation`` has been called once (``st.navigation`` then switches the rule off for the
    whole process). There is no supported switch for it while the folder is named ``pages/``
    (Streamlit's docs: "as soon as any session executes st.navigation, the app ignores the
    pages/ directory"), so we switch it off the same way ``st.navigation`` does and rerun: every
    page is always executed through app.py. This is the only use of the private
    ``PagesManager.uses_pages_directory``; tests/test_ui_entrypoint.py fails loudly when a
    Streamlit upgrade changes the behaviour relied on.
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def load_catalog_or_stop() -> Catalog:
    """Return the catalog, or show a specific error and stop the page (never a traceback)."""
    _ensure_entrypoint()
    try:
        return cache.get_catalog()
    except MineralmapError as exc:
        st.error(f"mineralmap could not load its data: {exc}")
        st.info("Run `python -m mineralmap data` (or `make run`) to build the data cache.")
        st.stop()
        raise  # unreachable; keeps type checkers quiet


def missing_layers_banner(cat: Catalog) -> None:
    """A warning listing every layer that could not be loaded (the app works without them),
    and a banner when extra (inventory or synthetic demo) occurrences are loaded."""
    for notice in getattr(cat, "notices", ()):
        st.warning(md_escape(notice), icon=":material/science:")
    if cache.store_unreachable():
        st.warning(f"The dataset database is unreachable: showing the last loaded "
                   f"{md_escape(cat.dataset_label)}. The app reconnects by itself.",
                   icon=":material/cloud_off:")
    else:
        st.caption(f"Showing {md_escape(cat.dataset_label)} (see Data & sources).")
    freshness.watch(cat.dataset_version)
    if cat.missing:
        items = "\n".join(f"- **{md_escape(name)}**: {md_escape(msg)}"
                          for name, msg in sorted(cat.missing.items()))
        st.warning(f"Some layers are unavailable; the rest of the app works without them.\n\n{items}")


def _query_params() -> dict[str, list[str]]:
    return {k: st.query_params.get_all(k) for k in st.query_params.keys()}


def query_params() -> dict[str, list[str]]:
    """The URL's query parameters now: key -> list of values."""
    return _query_params()


def sync_query_params(owned: Iterable[str], wanted: dict[str, str]) -> None:
    """Make the URL state ``wanted`` for the keys in ``owned`` (others are left alone); a value
    the page ignored is so removed from the URL once its note has been shown."""
    delete, put = params.param_updates(_query_params(), owned, wanted)
    for k in delete:
        del st.query_params[k]
    for k, v in put.items():
        st.query_params[k] = v


def add_param_notes(notes: Iterable[str]) -> None:
    """Add notes about ignored link parameters (shown by :func:`param_notes`)."""
    have = st.session_state.setdefault(_NOTES_KEY, [])
    have.extend(n for n in notes if n not in have)


def unknown_page_notice(pages: Iterable[st.Page]) -> None:
    """Note (with the link notes, see :func:`param_notes`) when the address names a page the
    app does not have (Streamlit then runs the default page)."""
    known = [p.url_path for p in pages]
    try:
        url = st.context.url
    except Exception:  # noqa: BLE001 - no browser context (bare script run, AppTest)
        url = None
    note = params.unknown_page_note(url, known, base_path=str(st.get_option("server.baseUrlPath")))
    if note:  # kept with the other link notes: the next run no longer sees the bad path
        add_param_notes([note])


def _init_from_query(cat: Catalog) -> None:
    """On the first run of a session, set the filter widgets from the URL (shareable state)."""
    if st.session_state.get(_INIT_KEY):
        return
    st.session_state[_INIT_KEY] = True
    spec, notes = params.filter_from_params(_query_params(), cache.filter_options(cat.key))
    for field in params.CHOICE_FIELDS:
        st.session_state[_W + field] = list(getattr(spec, field))
    st.session_state[_W + "max_port_km"] = spec.max_port_km
    st.session_state[_W + "max_rail_km"] = spec.max_rail_km
    st.session_state[_W + "max_road_km"] = spec.max_road_km
    st.session_state[_W + "name_query"] = spec.name_query or ""
    st.session_state[_W + "include_unmapped"] = spec.include_unmapped
    add_param_notes(notes)


def _reset_filters() -> None:
    for k in list(st.session_state.keys()):
        if isinstance(k, str) and k.startswith(_W):
            del st.session_state[k]


def sidebar_filters(cat: Catalog) -> FilterSpec:
    """Render the shared filter sidebar; return (and remember) the resulting :class:`FilterSpec`.

    Filter state is mirrored into ``st.query_params`` so the URL restores the view.
    """
    _init_from_query(cat)
    opts = cache.filter_options(cat.key)
    with st.sidebar:
        st.header("Filters")
        provinces = st.multiselect("Province", opts["provinces"], key=_W + "provinces")
        district_opts = params.district_choices(opts, provinces)
        if _W + "districts" in st.session_state:  # keep only districts still offered
            chosen = st.session_state[_W + "districts"]
            st.session_state[_W + "districts"] = [d for d in chosen if d in district_opts]
            dropped = [d for d in chosen if d not in district_opts]
            if dropped:
                st.info(f"District filter {md_escape(', '.join(dropped))} removed: not in "
                        f"{md_escape(' or '.join(provinces))}.", icon=":material/info:")
        districts = st.multiselect(
            "District", district_opts, key=_W + "districts",
            help="Limited to the chosen provinces; from the district polygon each point falls in.",
        )
        commodities = st.multiselect(
            "Commodity", opts["commodities"], key=_W + "commodities",
            help="Sb = antimony, REE = rare-earth elements; other = context deposits (Cu, Au, Pb-Zn, chromite, phosphate …).",
        )
        precisions = st.multiselect(
            "Location precision", opts["precisions"], key=_W + "precisions",
            help="surveyed: published site coordinate; locality: named place; approximate: offset "
            "from a place; district: district centroid only.",
        )
        statuses = st.multiselect("Status", opts["statuses"], key=_W + "statuses")
        st.caption("Maximum distance (km); leave empty for no limit")
        max_port = st.number_input(
            "to a seaport by road", min_value=0.0, step=50.0, value=None, key=_W + "max_port_km",
        )
        max_rail = st.number_input(
            "to an active railway", min_value=0.0, step=10.0, value=None, key=_W + "max_rail_km",
        )
        max_road = st.number_input(
            "to a primary road", min_value=0.0, step=10.0, value=None, key=_W + "max_road_km",
        )
        name_query = st.text_input("Name contains", key=_W + "name_query")
        st.session_state.setdefault(_W + "include_unmapped", True)
        include_unmapped = st.checkbox(
            "Include rows without a coordinate", key=_W + "include_unmapped",
        )
        st.button("Reset filters", on_click=_reset_filters, key=_W + "reset_btn")
    spec = FilterSpec(
        provinces=tuple(provinces), districts=tuple(districts), commodities=tuple(commodities),
        statuses=tuple(statuses), precisions=tuple(precisions), max_port_km=max_port,
        max_rail_km=max_rail, max_road_km=max_road, name_query=name_query.strip(),
        include_unmapped=include_unmapped,
    )
    st.session_state[_SPEC_KEY] = spec
    _write_filter_params(spec)
    return spec


def _write_filter_params(spec: FilterSpec) -> None:
    delete, put = params.filter_param_updates(_query_params(), spec)
    for k in delete:
        del st.query_params[k]
    for k, v in put.items():
        st.query_params[k] = v


def current_filter() -> FilterSpec:
    """The filter chosen in the shared sidebar on this run."""
    return st.session_state.get(_SPEC_KEY, FilterSpec())


def notes_markdown(notes: Iterable[str]) -> str:
    """``"Some link parameters were ignored: …"`` with every note escaped (a note quotes what
    the link said, and a link is written by anyone)."""
    return "Some link parameters were ignored: " + "; ".join(md_escape(n) for n in notes)


def param_notes() -> None:
    """Show (once per session) which URL parameters were ignored and why."""
    notes = st.session_state.get(_NOTES_KEY) or []
    if notes:
        st.info(notes_markdown(notes))


def filtered_occurrences(cat: Catalog) -> tuple[pd.DataFrame, str]:
    """Apply the sidebar filter to the catalog's occurrences: (rows, human sentence), cached per
    catalog and filter (:func:`mineralmap.ui.cache.filtered_occurrences`: a shared frame that
    callers do not change in place)."""
    return cache.filtered_occurrences(cat, current_filter())


def sentence_header(sentence: str) -> None:
    """The filter sentence shown above results (escaped: it quotes the name filter, which a
    link sets)."""
    st.markdown(f"#### {md_escape(sentence)}")


def no_match_notice(occ: pd.DataFrame, what: str = "") -> bool:
    """Say so (and how to get results back) when no occurrence matches; True when empty."""
    if len(occ):
        return False
    st.info("No occurrence matches these filters" + (f", so {what}" if what else "") + ". Remove "
            "a filter in the sidebar, or use “Reset filters”.", icon=":material/filter_alt_off:")
    return True


def legend(visible: Iterable[str] = (), basemap: str = "light") -> None:
    """Compact legend of the occurrence layer and of the visible context layers (lines drawn as
    lines), in the palette of ``basemap``."""
    st.markdown(mapviews.compact_legend_html(tuple(visible), basemap), unsafe_allow_html=True)


def attributions(cat: Catalog, names: Iterable[str] | None = None) -> None:
    """Attribution and licence of every layer shown (required by the licences)."""
    wanted = set(names) if names is not None else None
    rows = [a for a in cat.attributions if wanted is None or a["layer"] in wanted]
    lines = [
        f"- **{md_escape(a['layer'])}**: {md_escape(a['attribution'])}"
        + ("" if a["licence"] in a["attribution"] else f" ({md_escape(a['licence'])})")
        for a in rows
    ]
    st.caption("Data sources and licences\n\n" + "\n".join(lines))


def show_error(exc: Exception) -> None:
    """Turn a project error into a visible message (pages call this in ``except`` blocks)."""
    st.error(md_escape(exc))
