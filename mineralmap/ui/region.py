"""Region-page widgets: the five region modes -> a RegionSpec, the preview map with picking, and
the export buttons.

Each region mode is validated on its own, so a bad bounding box is reported (and ignored) without
dropping a valid radius; errors never escape as tracebacks. Picking works in two steps: clicks on
the map collect occurrences (highlighted), the buttons under the map add them to or remove them
from the selection. The map's key follows the data shown, so a click can never refer to a marker
of an older map.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import streamlit as st

from mineralmap import (
    __version__,
    brief,
    details,
    export,
    mapviews,
    params,
    picks,
    regionform,
    selection,
)
from mineralmap.catalog import Catalog
from mineralmap.errors import MineralmapError
from mineralmap.filters import FilterSpec
from mineralmap.picks import apply_picks
from mineralmap.regionform import MAX_UPLOAD_MB, UPLOAD_TYPES, check_mode
from mineralmap.regions import PAKISTAN_EXTENT, RegionSpec
from mineralmap.ui import boxdraw, cache, links, maps, shell
from mineralmap.viewport import fit_view

_PICKS = "_mm_region_picks"
FORMATS = {"geojson": "GeoJSON", "csv": "CSV", "gpkg": "GeoPackage", "kml": "KML"}

__all__ = ["EAGER_EXPORT_MAX_ROWS", "FORMATS", "MAX_UPLOAD_MB", "apply_picks", "clear_picks", "export_buttons",
           "parse_upload", "preview_map", "record_picks", "region_controls", "safe_select"]


def parse_upload(content: bytes, name: str) -> tuple[dict, list[tuple[str, str]]]:
    """:func:`mineralmap.regionform.parse_upload` with the cached parser (never raises)."""
    return regionform.parse_upload(content, name, parser=cache.parse_region)


def record_picks(ids: Sequence[str], mode: str = "add") -> bool:
    """Session-state wrapper of :func:`mineralmap.picks.apply_picks` (the buttons under the map
    call it)."""
    state = st.session_state.setdefault(_PICKS, picks.empty_picks())
    return apply_picks(state, ids, mode)


def clear_picks() -> None:
    """Forget every added/removed pick."""
    st.session_state[_PICKS] = picks.empty_picks()


# ---------------------------------------------------------------------------- region controls


_URL_INIT = "_mm_region_url_init"
#: Widget defaults (the form shows them before the user or a link sets anything).
_DEFAULTS: dict[str, object] = {"rg_w": 66.0, "rg_s": 28.0, "rg_e": 70.0, "rg_n": 32.0,
                                "rg_lon": 66.99, "rg_lat": 30.19, "rg_km": 200.0}


def _init_from_link(cat: Catalog) -> None:
    """On the first run of a session on this page, set the region widgets from the link."""
    if st.session_state.get(_URL_INIT):
        return
    st.session_state[_URL_INIT] = True
    form, notes = regionform.form_from_params(
        shell.query_params(), cache.admin_names(cat.key), cache.centre_choices(cat.key),
        set(cat.occurrences["id"].astype(str)))
    shell.add_param_notes(notes)
    state = st.session_state
    if form.provinces:
        state["rg_prov"] = list(form.provinces)
    if form.districts:
        state["rg_dist"] = list(form.districts)
    if form.tehsils:
        state["rg_teh"] = list(form.tehsils)
    if form.bbox is not None:
        state["rg_bbox_on"] = True
        for key, v in zip(("rg_w", "rg_s", "rg_e", "rg_n"), form.bbox, strict=True):
            state[key] = float(v)
    if form.radius_km is not None:
        state["rg_rad_on"] = True
        state["rg_kind"] = form.centre_kind
        state["rg_km"] = float(form.radius_km)
        if form.centre_lonlat is not None:
            state["rg_lon"], state["rg_lat"] = (float(v) for v in form.centre_lonlat)
        elif form.centre is not None:
            state[f"rg_centre_{form.centre_kind}"] = form.centre
    if form.add_ids or form.remove_ids:
        state[_PICKS] = {"add": list(form.add_ids), "remove": list(form.remove_ids)}


def link_notes(cat: Catalog) -> None:
    """Restore the region from the link (first run of a session) and show every note about
    link parameters that were ignored (filters, region, page)."""
    _init_from_link(cat)
    shell.param_notes()


def _number(label: str, key: str, **kw) -> float:
    """``st.number_input`` with its default from :data:`_DEFAULTS` unless a link set it (a
    default together with a Session State value makes Streamlit warn)."""
    if key not in st.session_state:
        kw["value"] = _DEFAULTS[key]
    return st.number_input(label, key=key, **kw)


def _typed_box() -> tuple[float, ...]:
    """The bounding-box widgets' values before they are drawn this run."""
    return tuple(float(st.session_state.get(k, _DEFAULTS[k])) for k in boxdraw.BOX_KEYS)


def region_controls(cat: Catalog) -> RegionSpec:
    """Render the region modes (they combine); return the RegionSpec. Errors are shown inline.

    The form is restored from the link on the first run of a session and written back to the
    link on every run (the uploaded polygon excepted: it cannot travel in a link).
    """
    _init_from_link(cat)
    names = cache.admin_names(cat.key)
    labels = cache.admin_labels(cat.key)
    kw: dict = {}
    link: dict = {}
    errors: list[str] = []
    warnings: list[str] = []
    infos: list[str] = []
    admin, bbox, radius, upload, pick_tab = st.tabs(
        ["Administrative units", "Bounding box", "Radius", "Upload polygon", "Pick on map"]
    )
    with admin:
        st.caption("Units chosen here are united (a province plus a district of another province "
                   "is one area); the other modes are intersected with them.")
        c = st.columns(3)
        kw["provinces"] = tuple(c[0].multiselect("Provinces", names["provinces"], key="rg_prov"))
        kw["districts"] = tuple(c[1].multiselect(
            "Districts", names["districts"], key="rg_dist",
            format_func=lambda d: labels["districts"].get(d, d)))
        kw["tehsils"] = tuple(c[2].multiselect(
            "Tehsils", names["tehsils"], key="rg_teh",
            format_func=lambda t: labels["tehsils"].get(t, t)))
        link.update(provinces=kw["provinces"], districts=kw["districts"], tehsils=kw["tehsils"])
    with bbox:
        w, s, e, n = PAKISTAN_EXTENT
        use_bbox = st.checkbox("Use a bounding box", key="rg_bbox_on")
        st.caption("Drag on the map to draw the box (it switches the box on), or type its "
                   "corners below. Dots: every occurrence (vermillion Sb, blue REE, grey "
                   "other); hover a district for its name.")
        shown = _typed_box() if use_bbox else None
        if shown is not None and check_mode("Bounding box", {"bbox": shown})[1]:
            shown = None  # an invalid typed box is reported below, not drawn
        boxdraw.box_drawer(cat, shown)
        c = st.columns(4)
        with c[0]:
            west = _number("West (lon °E)", "rg_w", min_value=-180.0, max_value=180.0, step=0.5)
        with c[1]:
            south = _number("South (lat °N)", "rg_s", min_value=-90.0, max_value=90.0, step=0.5)
        with c[2]:
            east = _number("East (lon °E)", "rg_e", min_value=-180.0, max_value=180.0, step=0.5)
        with c[3]:
            north = _number("North (lat °N)", "rg_n", min_value=-90.0, max_value=90.0, step=0.5)
        st.caption(f"Must lie inside Pakistan's extent (lon {w}…{e} °E, lat {s}…{n} °N), with "
                   "west < east and south < north.")
        if use_bbox:
            part, err = check_mode("Bounding box", {"bbox": (west, south, east, north)})
            kw.update(part)
            errors += [err] if err else []
            if part:
                link["bbox"] = part["bbox"]
    with radius:
        centres = cache.centre_choices(cat.key)
        use_radius = st.checkbox("Use a radius", key="rg_rad_on")
        kind = st.radio("Centre", list(regionform.CENTRE_KINDS), horizontal=True, key="rg_kind")
        if kind == "lon/lat":
            c = st.columns(2)
            with c[0]:
                lon = _number("Longitude (°E)", "rg_lon", format="%.4f")
            with c[1]:
                lat = _number("Latitude (°N)", "rg_lat", format="%.4f")
            centre: dict = {"center_lonlat": (lon, lat)}
            centre_link: dict = {"centre_kind": kind, "centre_lonlat": (lon, lat)}
        else:
            options = centres[regionform.CENTRE_CHOICE_KEYS[kind]]
            value = st.selectbox(f"{kind.capitalize()}", list(options), key=f"rg_centre_{kind}",
                                 format_func=lambda v, o=options: o.get(v, v))
            centre = {"center": value}
            centre_link = {"centre_kind": kind, "centre": value}
        lo, hi = regionform.RADIUS_KM_RANGE
        km = _number("Radius (km, geodesic)", "rg_km", min_value=lo, max_value=hi, step=25.0)
        if use_radius:
            part, err = check_mode("Radius", {**centre, "radius_km": km})
            kw.update(part)
            errors += [err] if err else []
            if part:
                link.update(radius_km=km, **centre_link)
    with upload:
        st.caption(
            f"GeoJSON (.geojson/.json), KML (.kml) or a zipped shapefile (.zip with .shp, .shx, "
            f".dbf, .prj) holding one or more polygons; at most {MAX_UPLOAD_MB} MB. A declared "
            "CRS other than WGS84 is reprojected; self-intersecting polygons are repaired. "
            + regionform.SHARE_LIMITS
        )
        # the browser refuses files over this limit with a message shown only on hover: keep
        # it above MAX_UPLOAD_MB (as far as the server accepts) so the parser's reason shows here
        limit = min(regionform.UPLOADER_LIMIT_MB, int(st.get_option("server.maxUploadSize")))
        up = st.file_uploader("Region file", type=list(UPLOAD_TYPES), key="rg_file",
                              max_upload_size=limit)
        if up is not None:
            part, messages = parse_upload(up.getvalue(), up.name)
            kw.update(part)
            for level, text in messages:
                {"error": errors, "warning": warnings}.get(level, infos).append(text)
            if part and not any(level == "warning" for level, _ in messages):
                st.success(f"Using the polygon of {details.md_escape(up.name)}.")
    with pick_tab:
        state = st.session_state.setdefault(_PICKS, picks.empty_picks())
        st.caption("Click markers on the preview map (click again to unpick; small white dots "
                   "are filtered occurrences outside the region), then press “Add to selection” or "
                   "“Remove from selection” under the map.")
        id_names = picks.id_names(cat.occurrences)
        st.markdown("**Added:** " + (_names(state["add"], id_names) or "—") + "  \n"
                    "**Removed:** " + (_names(state["remove"], id_names) or "—"))
        st.button("Clear picks", key="rg_clear", on_click=clear_picks,
                  disabled=not (state["add"] or state["remove"]))
    for text in errors:  # messages quote the uploaded file: shown as literal text
        st.error(details.md_escape(text))
    for text in warnings:
        st.warning(details.md_escape(text))
    for text in infos:
        st.info(details.md_escape(text))
    kw["add_ids"] = tuple(state["add"])
    kw["remove_ids"] = tuple(state["remove"])
    form = regionform.RegionForm(**link, add_ids=kw["add_ids"], remove_ids=kw["remove_ids"])
    shell.sync_query_params(params.REGION_PARAMS, form.to_params())
    share_hint(up is not None)
    return RegionSpec(**kw)


def share_hint(uploaded: bool) -> None:
    """How to share this region, and what a link cannot carry."""
    text = ("**Share:** the address in the browser's bar restores the filters and this region "
            "(administrative units, box, radius, picks); copy it. ")
    if uploaded:
        text += "**The uploaded polygon is not in the link:** send the file with it."
    else:
        text += "An uploaded polygon cannot travel in a link."
    st.caption(text)


def _names(ids: Sequence[str], id_names: dict[str, str]) -> str:
    return details.md_escape(picks.names_text(ids, id_names))


def safe_select(cat: Catalog, spec: FilterSpec, region_spec: RegionSpec) -> selection.Selection:
    """:func:`mineralmap.selection.select`, showing a region error and falling back to the filter."""
    sel, message = regionform.select_or_filter(cat.occurrences, cat.layers, spec, region_spec)
    if message:
        st.error(details.md_escape(message))
    return sel


# ---------------------------------------------------------------------------- preview map


def preview_map(cat: Catalog, spec: FilterSpec, sel: selection.Selection, height: int = 520) -> None:
    """The preview map (region outline, selected occurrences, pickable candidates) and the pick
    buttons under it."""
    cand = picks.candidates(cat.occurrences, spec, sel.rows["id"])
    context = maps.context_layers(cat, mapviews.REGION_CONTEXT)
    view = maps.initial_view() or fit_view(sel.region)
    deck = mapviews.region_deck(context, sel.region, sel.rows, cand, view)
    event = st.pydeck_chart(deck, on_select="rerun", selection_mode="multi-object",
                            key=picks.map_key(sel.rows["id"], cand["id"], sel.region),
                            height=height)
    ids = picks.picked_ids(event, sel.rows)
    st.caption(("Orange outline: the region. " if sel.region is not None else "")
               + "Coloured markers: selected occurrences"
               + ("; small white dots: filtered occurrences outside the region." if len(cand) else ".")
               + " Click markers to pick them (add/remove buttons appear here).")
    if ids:
        id_names = picks.id_names(cat.occurrences)
        st.markdown(f"**Picked on the map ({len(ids)}):** {_names(ids, id_names)}")
        c = st.columns(2)
        c[0].button("Add to selection", key="rg_pick_add", on_click=record_picks,
                    args=(ids, "add"), type="primary", width="stretch")
        c[1].button("Remove from selection", key="rg_pick_remove", on_click=record_picks,
                    args=(ids, "remove"), width="stretch")


# ---------------------------------------------------------------------------- export


#: Up to this many selected rows the four files are made with the page (cached per selection,
#: about 0.5 s for 130 rows on first use); above it a button makes them on request.
EAGER_EXPORT_MAX_ROWS = 500
_PREPARED = "_mm_export_files"


def _download(label: str, store_key: tuple, data: bytes, file_name: str, mime: str, *,
              key: str, width: str = "content", help: str | None = None) -> None:
    """:func:`mineralmap.ui.links.download`: a ``/download/`` link behind ``serve.py``, else a
    download button."""
    links.download(label, store_key, data, file_name, mime, key=key, width=width, help=help)


def export_buttons(cat: Catalog, sel: selection.Selection) -> None:
    """One download per format, each serving bytes made before it is drawn.

    Behind ``serve.py`` each download is a link to the server's ``/download/`` route
    (:func:`_download`): the bytes sit in :mod:`mineralmap.downloads`' store, where no session's
    run can delete them. Without the route (``streamlit run app.py``, AppTest) it is a
    ``download_button`` with bytes, never ``data=callable``: Streamlit stores a deferred download
    unmapped to any session, so the end of another session's script run can delete it before the
    browser fetches it (HTTP 404 under concurrency); bytes are registered for this session and
    stay served until this session's next run (a narrow race remains there). Up to
    :data:`EAGER_EXPORT_MAX_ROWS` rows the files are made with the page (cached per selection in
    :func:`mineralmap.ui.cache.export_file`); a larger selection shows "Prepare the files" first
    and keeps the result in this session for the same selection (as the PDF brief does).
    """
    empty = len(sel.rows) == 0
    allow_empty = False
    if empty:
        st.warning("No occurrences are selected: widen the filters or the region. Nothing is "
                   "exported unless you ask for an empty file.")
        allow_empty = st.checkbox("Export an empty file anyway (with metadata)", key="rg_allow_empty")
        if not allow_empty:
            return
    today = dt.datetime.now(dt.UTC).date()
    want = (cat.key, sel.fingerprint(), allow_empty, today.isoformat())

    def make(fmt: str) -> bytes:
        return cache.export_file(cat.key, want[1], fmt, allow_empty, want[3], cat, sel,
                                 __version__)

    files: dict[str, bytes] | None = None
    if len(sel.rows) <= EAGER_EXPORT_MAX_ROWS:
        try:
            files = {fmt: make(fmt) for fmt in FORMATS}
        except MineralmapError as exc:
            st.error(details.md_escape(exc))
            return
    else:
        got = st.session_state.get(_PREPARED)
        if got and got[0] == want:
            files = got[1]
        elif st.button(f"Prepare the files ({len(sel.rows):,} occurrences)", key="rg_prepare",
                       icon=":material/build:"):
            bar = st.progress(0.0, text="Writing the files…")
            try:
                files = {}
                for i, (fmt, label) in enumerate(FORMATS.items()):
                    bar.progress(i / len(FORMATS), text=f"Writing {label}…")
                    files[fmt] = make(fmt)
                st.session_state[_PREPARED] = (want, files)
            except MineralmapError as exc:
                st.error(details.md_escape(exc))
                files = None
            finally:
                bar.empty()
        else:
            st.caption(f"{len(sel.rows):,} occurrences are more than the page writes with every "
                       f"change ({EAGER_EXPORT_MAX_ROWS:,}): prepare the files once, then "
                       "download them.")
    names = export.suggest_filenames(sel.rows, tuple(FORMATS),
                                     region_description=sel.region_description, day=today)
    contents = regionform.file_contents(sel.rows)
    if files is not None:
        cols = st.columns(len(FORMATS))
        for col, (fmt, label) in zip(cols, FORMATS.items(), strict=True):
            with col:
                _download(f"Download {label}", ("export", *want, fmt), files[fmt], names[fmt],
                          export.MIME_TYPES[fmt], key=f"dl_{fmt}", width="stretch",
                          help=f"{contents.rows(fmt):,} occurrence(s), "
                               f"{len(files[fmt]) / 1024:,.0f} KB")
    stem = names["geojson"].rsplit(".", 1)[0]
    st.caption(
        f"Files: `{stem}.*` — {contents.sentence(FORMATS)}"
        + (" Each file also holds the region polygon." if sel.region is not None else "")
        + " GeoJSON (RFC 7946) and GeoPackage carry the filter, region, counts, time and the "
        "attribution of every layer; CSV has lon/lat columns."
    )


def brief_controls(cat: Catalog, spec: FilterSpec, sel: selection.Selection) -> None:
    """Title, "Make brief (PDF)" with a progress bar, then "Download brief (PDF)".

    The brief takes seconds (map drawing and layout), so it is made only when asked for and kept
    in this session for the same selection and title; the download then serves those bytes.
    """
    if len(sel.rows) == 0:
        st.caption("The brief needs at least one selected occurrence.")
        return
    title = st.text_input("Brief title", value=brief.DEFAULT_TITLE, key="rg_brief_title",
                          max_chars=brief.MAX_TITLE_CHARS)
    want = (cat.key, sel.description, tuple(sel.rows["id"].astype(str)), title)
    if st.button("Make brief (PDF)", key="rg_brief_make", icon=":material/picture_as_pdf:"):
        bar = st.progress(0.0, text="Preparing the brief…")
        try:
            data = brief.build_brief(
                sel, cat.layers, cat.attributions, title=title, spec=spec,
                dataset_version=cat.dataset_version.label if cat.dataset_version else None,
                market_facts=cache.market_facts(),
                progress=lambda f, step: bar.progress(min(max(f, 0.0), 1.0), text=step))
            st.session_state["_mm_brief"] = (want, data, brief.brief_filename(sel))
        except MineralmapError as exc:
            st.error(details.md_escape(exc))
        finally:
            bar.empty()
    got = st.session_state.get("_mm_brief")
    if got and got[0] == want:
        _download("Download brief (PDF)", ("brief", cat.key, sel.fingerprint(), title), got[1],
                  got[2], brief.MIME_TYPE, key="rg_brief_download")
        st.caption(f"{got[2]} — {len(got[1]) / 1024:,.0f} KB, A4, made for this selection.")
