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
import hashlib
import math
from collections.abc import Iterable, Mapping, MutableMapping, Sequence

import numpy as np
import pandas as pd
import pydeck as pdk
import streamlit as st
from shapely.geometry.base import BaseGeometry

from mineralmap import __version__, export, filters, layers, selection
from mineralmap.catalog import Catalog
from mineralmap.errors import MineralmapError
from mineralmap.filters import FilterSpec
from mineralmap.regions import MAX_UPLOAD_BYTES, PAKISTAN_EXTENT, RegionSpec, parse_region_file
from mineralmap.ui import data, maps

_PICKS = "_mm_region_picks"
FORMATS = {"geojson": "GeoJSON", "csv": "CSV", "gpkg": "GeoPackage", "kml": "KML"}
#: Upload size limit in MB (stated in the UI, enforced by the uploader and by the parser).
MAX_UPLOAD_MB = MAX_UPLOAD_BYTES // 1_000_000
#: Layer id of the filtered occurrences outside the selection (pickable, to add them).
CANDIDATE_LAYER = "candidates"
_CANDIDATE_STYLE = {"fill": [255, 255, 255, 235], "line": [20, 20, 20, 220]}


# ---------------------------------------------------------------------------- cached lookups


@st.cache_data(show_spinner=False, max_entries=4)
def _admin_names(key: str) -> dict[str, list[str]]:
    return selection.admin_names(data.get_catalog().layers)


@st.cache_data(show_spinner=False, max_entries=4)
def _admin_labels(key: str) -> dict[str, dict[str, str]]:
    return selection.admin_labels(data.get_catalog().layers)


@st.cache_data(show_spinner=False, max_entries=4)
def _centres(key: str) -> dict[str, dict[str, str]]:
    cat = data.get_catalog()
    return selection.centre_choices(cat.layers, cat.occurrences)


@st.cache_data(show_spinner=False, max_entries=16)
def _parse_upload(content: bytes, name: str) -> tuple[BaseGeometry, list[str]]:
    return parse_region_file(content, name)


# ---------------------------------------------------------------------------- seams (testable)


def parse_upload(content: bytes, name: str) -> tuple[dict, list[tuple[str, str]]]:
    """Parse an uploaded region file for the page; never raises for a bad file.

    Parameters
    ----------
    content
        The uploaded bytes.
    name
        The uploaded file name (its extension picks the reader).

    Returns
    -------
    tuple[dict, list[tuple[str, str]]]
        :class:`~mineralmap.regions.RegionSpec` keyword arguments (``polygon``,
        ``polygon_label``; empty when the file is rejected) and messages as
        ``(level, text)`` with level ``"error"`` or ``"info"``.
    """
    try:
        geom, notes = _parse_upload(content, name)
    except MineralmapError as exc:
        return {}, [("error", f"Upload ignored: {exc}")]
    except Exception as exc:  # noqa: BLE001 - user input at the UI boundary: report, never crash
        return {}, [("error", f"Upload ignored: {name} could not be read ({type(exc).__name__}: {exc})")]
    return {"polygon": geom, "polygon_label": name}, [("info", n) for n in notes]


def check_mode(label: str, kw: Mapping[str, object]) -> tuple[dict, str | None]:
    """Validate one region mode alone: ``(kw, None)`` when valid, else ``({}, message)``."""
    try:
        RegionSpec(**kw)  # type: ignore[arg-type]
    except MineralmapError as exc:
        return {}, f"{label} ignored: {exc}"
    return dict(kw), None


def apply_picks(state: MutableMapping[str, list[str]], ids: Iterable[str], mode: str) -> bool:
    """Put picked ids on the ``add`` or ``remove`` list of ``state`` (and off the other one).

    Parameters
    ----------
    state
        ``{"add": [...], "remove": [...]}``, changed in place.
    ids
        Occurrence ids picked on the map.
    mode
        ``"add"`` or ``"remove"``.

    Returns
    -------
    bool
        True when a list changed.
    """
    if mode not in ("add", "remove"):
        raise ValueError(f"pick mode must be 'add' or 'remove', got {mode!r}")
    other = "remove" if mode == "add" else "add"
    state.setdefault("add", [])
    state.setdefault("remove", [])
    changed = False
    for i in dict.fromkeys(str(x) for x in ids):
        if i in state[other]:
            state[other].remove(i)
            changed = True
        if i not in state[mode]:
            state[mode].append(i)
            changed = True
    return changed


def record_picks(ids: Sequence[str], mode: str = "add") -> bool:
    """Session-state wrapper of :func:`apply_picks` (the buttons under the map call it)."""
    state = st.session_state.setdefault(_PICKS, {"add": [], "remove": []})
    return apply_picks(state, ids, mode)


def clear_picks() -> None:
    """Forget every added/removed pick."""
    st.session_state[_PICKS] = {"add": [], "remove": []}


def fit_view(geom: BaseGeometry | None, width_px: int = 560, height_px: int = 520) -> dict:
    """A map view (latitude, longitude, zoom) showing the whole region (else all of Pakistan).

    Web Mercator as deck.gl draws it: at zoom 0, 512 px show 360 degrees of longitude and a degree of latitude is
    ``sec(lat)`` times longer; ``width_px`` is the map column at a 1400 px wide window.
    """
    if geom is None or geom.is_empty:
        w, s, e, n = PAKISTAN_EXTENT
    else:
        w, s, e, n = geom.bounds
    span_lon = max(e - w, 0.05)
    span_lat = max(n - s, 0.05) / max(math.cos(math.radians((s + n) / 2)), 0.3)
    zoom = min(math.log2(width_px * 360 / (512 * span_lon)),
               math.log2(height_px * 360 / (512 * span_lat)))
    return {"latitude": (s + n) / 2, "longitude": (w + e) / 2,
            "zoom": float(np.clip(zoom - 0.4, 3.5, 11.0))}


# ---------------------------------------------------------------------------- region controls


def region_controls(cat: Catalog) -> RegionSpec:
    """Render the region modes (they combine); return the RegionSpec. Errors are shown inline."""
    names = _admin_names(cat.key)
    labels = _admin_labels(cat.key)
    kw: dict = {}
    errors: list[str] = []
    infos: list[str] = []
    admin, bbox, radius, upload, picks = st.tabs(
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
    with bbox:
        w, s, e, n = PAKISTAN_EXTENT
        use_bbox = st.checkbox("Use a bounding box", key="rg_bbox_on")
        c = st.columns(4)
        west = c[0].number_input("West (lon °E)", value=66.0, min_value=-180.0, max_value=180.0,
                                 step=0.5, key="rg_w")
        south = c[1].number_input("South (lat °N)", value=28.0, min_value=-90.0, max_value=90.0,
                                  step=0.5, key="rg_s")
        east = c[2].number_input("East (lon °E)", value=70.0, min_value=-180.0, max_value=180.0,
                                 step=0.5, key="rg_e")
        north = c[3].number_input("North (lat °N)", value=32.0, min_value=-90.0, max_value=90.0,
                                  step=0.5, key="rg_n")
        st.caption(f"Must lie inside Pakistan's extent (lon {w}…{e} °E, lat {s}…{n} °N), with "
                   "west < east and south < north.")
        if use_bbox:
            part, err = check_mode("Bounding box", {"bbox": (west, south, east, north)})
            kw.update(part)
            errors += [err] if err else []
    with radius:
        centres = _centres(cat.key)
        use_radius = st.checkbox("Use a radius", key="rg_rad_on")
        kind = st.radio("Centre", ["port", "town", "occurrence", "lon/lat"], horizontal=True,
                        key="rg_kind")
        if kind == "lon/lat":
            c = st.columns(2)
            lon = c[0].number_input("Longitude (°E)", value=66.99, format="%.4f", key="rg_lon")
            lat = c[1].number_input("Latitude (°N)", value=30.19, format="%.4f", key="rg_lat")
            centre: dict = {"center_lonlat": (lon, lat)}
        else:
            options = centres[{"port": "ports", "town": "towns", "occurrence": "occurrences"}[kind]]
            value = st.selectbox(f"{kind.capitalize()}", list(options), key=f"rg_centre_{kind}",
                                 format_func=lambda v, o=options: o.get(v, v))
            centre = {"center": value}
        km = st.number_input("Radius (km, geodesic)", min_value=1.0, max_value=2000.0,
                             value=200.0, step=25.0, key="rg_km")
        if use_radius:
            part, err = check_mode("Radius", {**centre, "radius_km": km})
            kw.update(part)
            errors += [err] if err else []
    with upload:
        st.caption(
            f"GeoJSON (.geojson/.json), KML (.kml) or a zipped shapefile (.zip with .shp, .shx, "
            f".dbf, .prj) holding one or more polygons; at most {MAX_UPLOAD_MB} MB. A declared "
            "CRS other than WGS84 is reprojected; self-intersecting polygons are repaired."
        )
        up = st.file_uploader("Region file", type=["geojson", "json", "kml", "zip"], key="rg_file",
                              max_upload_size=MAX_UPLOAD_MB)
        if up is not None:
            part, messages = parse_upload(up.getvalue(), up.name)
            kw.update(part)
            for level, text in messages:
                (errors if level == "error" else infos).append(text)
            if part:
                st.success(f"Using the polygon of {up.name}.")
    with picks:
        state = st.session_state.setdefault(_PICKS, {"add": [], "remove": []})
        st.caption("Click markers on the preview map (click again to unpick; small white dots "
                   "are filtered occurrences outside the region), then press “Add to selection” or "
                   "“Remove from selection” under the map.")
        id_names = _id_names(cat)
        st.markdown("**Added:** " + (_names(state["add"], id_names) or "—") + "  \n"
                    "**Removed:** " + (_names(state["remove"], id_names) or "—"))
        st.button("Clear picks", key="rg_clear", on_click=clear_picks,
                  disabled=not (state["add"] or state["remove"]))
    for text in errors:
        st.error(text)
    for text in infos:
        st.info(text)
    kw["add_ids"] = tuple(state["add"])
    kw["remove_ids"] = tuple(state["remove"])
    return RegionSpec(**kw)


def _id_names(cat: Catalog) -> dict[str, str]:
    occ = cat.occurrences
    return dict(zip(occ["id"].astype(str), occ["name"].astype(str), strict=True))


def _names(ids: Sequence[str], id_names: Mapping[str, str]) -> str:
    return ", ".join(f"{id_names.get(i, '?')} ({i})" for i in ids)


def safe_select(cat: Catalog, spec: FilterSpec, region_spec: RegionSpec) -> selection.Selection:
    """:func:`mineralmap.selection.select`, showing a region error and falling back to the filter."""
    try:
        return selection.select(cat.occurrences, cat.layers, spec, region_spec)
    except MineralmapError as exc:
        st.error(f"The region could not be applied ({exc}); showing the filtered occurrences.")
        fallback = RegionSpec(add_ids=region_spec.add_ids, remove_ids=region_spec.remove_ids)
        return selection.select(cat.occurrences, cat.layers, spec, fallback)


# ---------------------------------------------------------------------------- preview map


def candidates(cat: Catalog, spec: FilterSpec, sel: selection.Selection) -> pd.DataFrame:
    """Mapped occurrences that pass the filter but are not selected (they can be picked to add)."""
    filtered, _ = filters.apply(cat.occurrences, spec)
    out = filtered.loc[~filtered["id"].isin(sel.rows["id"])]
    lon = pd.to_numeric(out["lon"], errors="coerce")
    lat = pd.to_numeric(out["lat"], errors="coerce")
    return out.loc[lon.notna() & lat.notna()]


def candidate_layer(cand: pd.DataFrame) -> pdk.Layer:
    """Small white dots (layer id :data:`CANDIDATE_LAYER`) carrying id and tooltip text."""
    lon = pd.to_numeric(cand["lon"], errors="coerce").round(5).tolist()
    lat = pd.to_numeric(cand["lat"], errors="coerce").round(5).tolist()
    tips = (cand["name"].astype(str) + " (" + cand["id"].astype(str)
            + ")\nnot selected: click it, then “Add to selection”").tolist()
    rows = [{"p": [x, y], "id": i, "t": t}
            for x, y, i, t in zip(lon, lat, cand["id"].astype(str), tips, strict=True)]
    return pdk.Layer("ScatterplotLayer", data=rows, id=CANDIDATE_LAYER, get_position="p",
                     get_fill_color=_CANDIDATE_STYLE["fill"],
                     get_line_color=_CANDIDATE_STYLE["line"], get_radius=3.5, radius_units="'pixels'",
                     line_width_units="'pixels'", get_line_width=1, stroked=True, filled=True,
                     pickable=True, auto_highlight=True, highlight_color=[255, 255, 0, 160])


def _map_key(sel_ids: Iterable[str], cand_ids: Iterable[str], region: BaseGeometry | None) -> str:
    h = hashlib.sha1(usedforsecurity=False)
    for part in (sorted(map(str, sel_ids)), sorted(map(str, cand_ids))):
        h.update("\x1f".join(part).encode())
        h.update(b"\x1e")
    h.update(region.wkb if region is not None else b"")
    return f"region_map_{h.hexdigest()[:12]}"


def picked_ids(event, rows: pd.DataFrame) -> list[str]:
    """Ids picked on the preview map: selected occurrences and white candidate dots."""
    ids = maps.clicked_ids(event, rows, layer_id="occurrences")
    ids += maps.clicked_ids(event, rows.iloc[0:0], layer_id=CANDIDATE_LAYER)
    return list(dict.fromkeys(ids))


def preview_map(cat: Catalog, spec: FilterSpec, sel: selection.Selection, height: int = 520) -> None:
    """The preview map (region outline, selected occurrences, pickable candidates) and the pick
    buttons under it."""
    cand = candidates(cat, spec, sel)
    controls = maps.MapControls(visible=("provinces", "districts", "ports"), basemap="light")
    stack = data.context_layers(cat, controls.visible)
    stack.append(layers.region_layer(sel.region))
    if len(cand):
        stack.append(candidate_layer(cand))
    stack += layers.occurrence_layers(sel.rows)
    view = maps.initial_view() or fit_view(sel.region)
    deck = layers.make_deck(stack, view=view, basemap=controls.basemap)
    event = st.pydeck_chart(deck, on_select="rerun", selection_mode="multi-object",
                            key=_map_key(sel.rows["id"], cand["id"], sel.region), height=height)
    ids = picked_ids(event, sel.rows)
    st.caption(("Orange outline: the region. " if sel.region is not None else "")
               + "Coloured markers: selected occurrences"
               + ("; small white dots: filtered occurrences outside the region." if len(cand) else ".")
               + " Click markers to pick them (add/remove buttons appear here).")
    if ids:
        id_names = _id_names(cat)
        st.markdown(f"**Picked on the map ({len(ids)}):** {_names(ids, id_names)}")
        c = st.columns(2)
        c[0].button("Add to selection", key="rg_pick_add", on_click=record_picks,
                    args=(ids, "add"), type="primary", width="stretch")
        c[1].button("Remove from selection", key="rg_pick_remove", on_click=record_picks,
                    args=(ids, "remove"), width="stretch")


# ---------------------------------------------------------------------------- export


def export_buttons(cat: Catalog, sel: selection.Selection) -> None:
    """One download button per format; files are generated when the button is pressed."""
    empty = len(sel.rows) == 0
    allow_empty = False
    if empty:
        st.warning("No occurrences are selected: widen the filters or the region. Nothing is "
                   "exported unless you ask for an empty file.")
        allow_empty = st.checkbox("Export an empty file anyway (with metadata)", key="rg_allow_empty")
        if not allow_empty:
            return
    today = dt.datetime.now(dt.UTC).date()
    cols = st.columns(len(FORMATS))
    names = {}
    for col, (fmt, label) in zip(cols, FORMATS.items(), strict=True):
        name = export.suggest_filename(sel.rows, fmt, spec_sentence=sel.filter_sentence,
                                       region_description=sel.region_description, day=today)
        names[fmt] = name

        def make(fmt: str = fmt) -> bytes:
            content, _mime, _name = export.export_selection(
                sel.rows, fmt, region=sel.region, spec_sentence=sel.filter_sentence,
                region_description=sel.region_description, attributions=cat.attributions,
                app_version=__version__, allow_empty=allow_empty,
            )
            return content

        col.download_button(
            f"Download {label}", data=make, file_name=name, mime=export.MIME_TYPES[fmt],
            on_click="ignore", key=f"dl_{fmt}", width="stretch", icon=":material/download:",
        )
    stem = names["geojson"].rsplit(".", 1)[0]
    st.caption(
        f"Files: `{stem}.*` — {len(sel.rows)} occurrence(s)"
        + (" and the region polygon" if sel.region is not None else "")
        + ". GeoJSON (RFC 7946) and GeoPackage carry the filter, region, counts, time and the "
        "attribution of every layer; CSV has lon/lat columns."
    )
