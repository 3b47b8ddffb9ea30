"""Region-page widgets: the five region modes -> a RegionSpec, and the export buttons."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from mineralmap import __version__, export, selection
from mineralmap.catalog import Catalog
from mineralmap.errors import MineralmapError
from mineralmap.regions import MAX_UPLOAD_BYTES, PAKISTAN_EXTENT, RegionSpec, parse_region_file
from mineralmap.ui import data

_PICKS = "_mm_region_picks"
FORMATS = {"geojson": "GeoJSON", "csv": "CSV", "gpkg": "GeoPackage", "kml": "KML"}


@st.cache_data(show_spinner=False, max_entries=4)
def _admin_names(key: str) -> dict[str, list[str]]:
    return selection.admin_names(data.get_catalog().layers)


@st.cache_data(show_spinner=False, max_entries=4)
def _centres(key: str) -> dict:
    cat = data.get_catalog()
    return {k: list(v) for k, v in selection.radius_centres(cat.layers, cat.occurrences).items()}


@st.cache_data(show_spinner=False, max_entries=16)
def _parse_upload(content: bytes, name: str):
    return parse_region_file(content, name)


def region_controls(cat: Catalog) -> RegionSpec:
    """Render the region modes (they combine); return the RegionSpec. Errors are shown inline."""
    names = _admin_names(cat.key)
    kw: dict = {}
    admin, bbox, radius, upload, picks = st.tabs(
        ["Administrative units", "Bounding box", "Radius", "Upload polygon", "Pick on map"]
    )
    with admin:
        kw["provinces"] = tuple(st.multiselect("Provinces", names["provinces"], key="rg_prov"))
        kw["districts"] = tuple(st.multiselect("Districts", names["districts"], key="rg_dist"))
        kw["tehsils"] = tuple(st.multiselect("Tehsils", names["tehsils"], key="rg_teh"))
    with bbox:
        w, s, e, n = PAKISTAN_EXTENT
        use_bbox = st.checkbox("Use a bounding box", key="rg_bbox_on")
        c = st.columns(4)
        west = c[0].number_input("West (lon)", value=66.0, min_value=-180.0, max_value=180.0, key="rg_w")
        south = c[1].number_input("South (lat)", value=28.0, min_value=-90.0, max_value=90.0, key="rg_s")
        east = c[2].number_input("East (lon)", value=70.0, min_value=-180.0, max_value=180.0, key="rg_e")
        north = c[3].number_input("North (lat)", value=32.0, min_value=-90.0, max_value=90.0, key="rg_n")
        st.caption(f"Must lie inside Pakistan's extent: lon {w}…{e}, lat {s}…{n}; west < east, south < north.")
        if use_bbox:
            kw["bbox"] = (west, south, east, north)
    with radius:
        centres = _centres(cat.key)
        use_radius = st.checkbox("Use a radius", key="rg_rad_on")
        kind = st.radio("Centre", ["port", "town", "occurrence", "lon/lat"], horizontal=True, key="rg_kind")
        if kind == "lon/lat":
            c = st.columns(2)
            lon = c[0].number_input("Longitude", value=66.99, key="rg_lon")
            lat = c[1].number_input("Latitude", value=30.19, key="rg_lat")
            centre = {"center_lonlat": (lon, lat)}
        else:
            options = centres[{"port": "ports", "town": "towns", "occurrence": "occurrences"}[kind]]
            centre = {"center": st.selectbox("Name", options, key=f"rg_centre_{kind}")}
        km = st.number_input("Radius (km)", min_value=1.0, max_value=2000.0, value=200.0, step=25.0, key="rg_km")
        if use_radius:
            kw.update(centre, radius_km=km)
    with upload:
        st.caption(
            f"GeoJSON, KML or a zipped shapefile with one or more polygons; at most "
            f"{MAX_UPLOAD_BYTES // 1_000_000} MB. Other CRSs are reprojected to WGS84."
        )
        up = st.file_uploader("Region file", type=["geojson", "json", "kml", "zip"], key="rg_file")
        if up is not None:
            try:
                geom, notes = _parse_upload(up.getvalue(), up.name)
            except MineralmapError as exc:
                st.error(f"{up.name}: {exc}")
            else:
                for note in notes:
                    st.info(note)
                kw.update(polygon=geom, polygon_label=up.name)
    with picks:
        st.caption("Click occurrences on the preview map, then add them to or remove them from the selection.")
        state = st.session_state.setdefault(_PICKS, {"add": [], "remove": []})
        st.write(f"Added: {', '.join(state['add']) or '—'} · Removed: {', '.join(state['remove']) or '—'}")
        st.radio("Clicked occurrences are", ["added", "removed"], horizontal=True, key="rg_pick_mode")
        if st.button("Clear picks", key="rg_clear"):
            st.session_state[_PICKS] = {"add": [], "remove": []}
            state = st.session_state[_PICKS]
    kw["add_ids"] = tuple(state["add"])
    kw["remove_ids"] = tuple(state["remove"])
    try:
        return RegionSpec(**kw)
    except MineralmapError as exc:
        st.error(str(exc))
        kw.pop("bbox", None)
        kw.pop("radius_km", None)
        kw.pop("center", None)
        kw.pop("center_lonlat", None)
        return RegionSpec(**kw)


def record_picks(ids: list[str]) -> bool:
    """Add clicked ids to the add/remove list chosen in the Pick tab; True when something changed."""
    if not ids:
        return False
    state = st.session_state.setdefault(_PICKS, {"add": [], "remove": []})
    target, other = ("add", "remove") if st.session_state.get("rg_pick_mode", "added") == "added" else ("remove", "add")
    changed = False
    for i in ids:
        if i not in state[target]:
            state[target].append(i)
            changed = True
        if i in state[other]:
            state[other].remove(i)
            changed = True
    return changed


def export_buttons(cat: Catalog, sel: selection.Selection) -> None:
    """One download button per format; files are generated when the button is pressed."""
    empty = len(sel.rows) == 0
    allow_empty = False
    if empty:
        st.warning("No occurrences are selected: widen the filters or the region.")
        allow_empty = st.checkbox("Export an empty file anyway (with metadata)", key="rg_allow_empty")
        if not allow_empty:
            return
    today = dt.date.today()
    cols = st.columns(len(FORMATS))
    for col, (fmt, label) in zip(cols, FORMATS.items(), strict=True):
        name = export.suggest_filename(sel.rows, fmt, spec_sentence=sel.filter_sentence,
                                       region_description=sel.region_description, day=today)

        def make(fmt: str = fmt) -> bytes:
            content, _mime, _name = export.export_selection(
                sel.rows, fmt, region=sel.region, spec_sentence=sel.filter_sentence,
                region_description=sel.region_description, attributions=cat.attributions,
                app_version=__version__, allow_empty=allow_empty,
            )
            return content

        col.download_button(
            f"Download {label}", data=make, file_name=name, mime=export.MIME_TYPES[fmt],
            on_click="ignore", key=f"dl_{fmt}", width="stretch",
        )
