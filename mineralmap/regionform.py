"""The region form of the Region & export page without its widgets: each region mode validated
on its own, uploaded region files turned into messages instead of exceptions, and a selection
that falls back to the filter when the region cannot be applied.

A bad bounding box is reported (and ignored) without dropping a valid radius; nothing here
raises for user input.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
from shapely.geometry import box as shapely_box
from shapely.geometry.base import BaseGeometry

from mineralmap import params, selection
from mineralmap._geo import has_geometry
from mineralmap.errors import MineralmapError
from mineralmap.filters import FilterSpec
from mineralmap.regions import MAX_UPLOAD_BYTES, PAKISTAN_EXTENT, RegionSpec, parse_region_file

#: Upload size limit in MB (stated in the UI, enforced by the parser).
MAX_UPLOAD_MB = MAX_UPLOAD_BYTES // 1_000_000
#: What the uploader itself accepts (MB): larger than :data:`MAX_UPLOAD_MB` so that an
#: over-size file reaches :func:`parse_upload` and its reason is shown in the page (the
#: uploader's own refusal is only shown on hover); files beyond it are refused by the browser.
UPLOADER_LIMIT_MB = 10 * MAX_UPLOAD_MB
#: The radius the page's number input accepts (km).
RADIUS_KM_RANGE: tuple[float, float] = (1.0, 2000.0)
#: Radius centre kinds of the page (``lon/lat`` is a typed coordinate).
CENTRE_KINDS: tuple[str, ...] = ("port", "town", "occurrence", "lon/lat")
#: :func:`mineralmap.selection.centre_choices` key of each named centre kind.
CENTRE_CHOICE_KEYS: dict[str, str] = {"port": "ports", "town": "towns",
                                      "occurrence": "occurrences"}
#: Shown next to the share hint: what a link cannot carry.
SHARE_LIMITS = ("An uploaded polygon cannot travel in a link: send the file with the link, "
                "or use a box, radius or administrative units.")
#: Region file types the uploader accepts.
UPLOAD_TYPES: tuple[str, ...] = ("geojson", "json", "kml", "zip")

#: A region-file parser: ``(content, name) -> (geometry, notes)``.
Parser = Callable[[bytes, str], tuple[BaseGeometry, list[str]]]


def check_mode(label: str, kw: Mapping[str, object]) -> tuple[dict, str | None]:
    """Validate one region mode alone: ``(kw, None)`` when valid, else ``({}, message)``.

    Parameters
    ----------
    label
        The mode's name in the message (``"Bounding box"``, ``"Radius"``).
    kw
        :class:`~mineralmap.regions.RegionSpec` keyword arguments of this mode.
    """
    try:
        RegionSpec(**kw)  # type: ignore[arg-type]
    except MineralmapError as exc:
        return {}, f"{label} ignored: {exc}"
    return dict(kw), None


def parse_upload(content: bytes, name: str, parser: Parser = parse_region_file
                 ) -> tuple[dict, list[tuple[str, str]]]:
    """Parse an uploaded region file for the page; never raises for a bad file.

    Parameters
    ----------
    content
        The uploaded bytes.
    name
        The uploaded file name (its extension picks the reader).
    parser
        The parser (the app passes a cached :func:`~mineralmap.regions.parse_region_file`).

    Returns
    -------
    tuple[dict, list[tuple[str, str]]]
        :class:`~mineralmap.regions.RegionSpec` keyword arguments (``polygon``,
        ``polygon_label``; empty when the file is rejected) and messages as
        ``(level, text)`` with level ``"error"``, ``"warning"`` (a polygon outside Pakistan)
        or ``"info"``.
    """
    if len(content) > MAX_UPLOAD_BYTES:  # before the (cached) parser hashes the bytes
        return {}, [("error", f"Upload ignored: {name} is {len(content) / 1e6:.1f} MB; the "
                              f"limit is {MAX_UPLOAD_MB} MB. Simplify the polygon or zip the "
                              "shapefile.")]
    try:
        geom, notes = parser(content, name)
    except MineralmapError as exc:
        return {}, [("error", f"Upload ignored: {exc}")]
    except Exception as exc:  # noqa: BLE001 - user input at the UI boundary: report, never crash
        # no raw exception text: it may name temporary paths or library internals
        return {}, [("error", f"Upload ignored: {name} could not be read (unexpected "
                              f"{type(exc).__name__}); save it again as GeoJSON, KML or a "
                              "zipped shapefile")]
    messages = [("info", n) for n in notes]
    if not geom.intersects(shapely_box(*PAKISTAN_EXTENT)):
        # the parser notes it as information; the page must warn (nothing will be selected)
        messages = [(lvl, t) for lvl, t in messages if "outside Pakistan" not in t]
        w, s, e, n = (round(v, 2) for v in geom.bounds)
        messages.insert(0, ("warning", f"{name} lies outside Pakistan (its extent is lon {w}…{e} "
                                       f"°E, lat {s}…{n} °N): it selects no occurrences. Was it "
                                       "saved with lat/lon swapped or in another CRS?"))
    return {"polygon": geom, "polygon_label": name}, messages


def select_or_filter(occurrences: gpd.GeoDataFrame, layers: Mapping[str, gpd.GeoDataFrame],
                     spec: FilterSpec, region: RegionSpec
                     ) -> tuple[selection.Selection, str | None]:
    """:func:`mineralmap.selection.select`; when the region cannot be applied, the filtered
    occurrences (with the picks) and a message saying so.

    Returns
    -------
    tuple[Selection, str | None]
        The selection and None, or the fallback selection and the message to show.
    """
    try:
        return selection.select(occurrences, layers, spec, region), None
    except MineralmapError as exc:
        fallback = RegionSpec(add_ids=region.add_ids, remove_ids=region.remove_ids)
        message = f"The region could not be applied ({exc}); showing the filtered occurrences."
        return selection.select(occurrences, layers, spec, fallback), message


# ---------------------------------------------------------------------------- share links


@dataclass(frozen=True)
class RegionForm:
    """The region form as a link states it (the uploaded polygon never travels in a link).

    ``centre_kind`` is one of :data:`CENTRE_KINDS`; ``centre`` is the option value of a named
    centre, ``centre_lonlat`` a typed coordinate. ``radius_km`` is None when the radius mode is
    off, ``bbox`` None when the box mode is off.
    """

    provinces: tuple[str, ...] = ()
    districts: tuple[str, ...] = ()
    tehsils: tuple[str, ...] = ()
    bbox: tuple[float, float, float, float] | None = None
    radius_km: float | None = None
    centre_kind: str = "port"
    centre: str | None = None
    centre_lonlat: tuple[float, float] | None = None
    add_ids: tuple[str, ...] = ()
    remove_ids: tuple[str, ...] = ()

    def to_params(self) -> dict[str, str]:
        """Query parameters of this form (only what is set)."""
        out: dict[str, str] = {}
        for key, items in (("rprov", self.provinces), ("rdist", self.districts),
                           ("rteh", self.tehsils), ("radd", self.add_ids),
                           ("rremove", self.remove_ids)):
            if items:
                out[key] = ",".join(items)
        if self.bbox is not None:
            out["rbox"] = ",".join(params.fmt_number(v) for v in self.bbox)
        if self.radius_km is not None:
            centre = _centre_param(self)
            if centre is not None:
                out["rradius"] = params.fmt_number(self.radius_km)
                out["rcentre"] = centre
        return out


def _centre_param(form: RegionForm) -> str | None:
    if form.centre_kind == "lon/lat":
        if form.centre_lonlat is None:
            return None
        return ",".join(params.fmt_number(v) for v in form.centre_lonlat)
    if not form.centre:
        return None
    return f"{form.centre_kind}:{form.centre}"


def _listed(raw: str | None, offered: Collection[str], what: str, key: str,
            notes: list[str]) -> tuple[str, ...]:
    items = params.split_list(raw)
    if len(items) > params.MAX_LIST_ITEMS:
        notes.append(f"ignored {key}: more than {params.MAX_LIST_ITEMS} {what}")
        return ()
    known = set(offered)
    bad = [x for x in items if x not in known]
    if bad:
        notes.append(f"ignored unknown {what}: {', '.join(params.quote_value(b) for b in bad)}")
    return tuple(x for x in items if x in known)


def form_from_params(query: Mapping[str, str | Sequence[str]],
                     names: Mapping[str, Sequence[str]],
                     centres: Mapping[str, Mapping[str, str]],
                     occurrence_ids: Collection[str]) -> tuple[RegionForm, list[str]]:
    """The region a link asks for, restricted to what the page offers; never raises.

    Parameters
    ----------
    query
        Query parameters (``st.query_params``): key -> value or list of values.
    names
        :func:`mineralmap.selection.admin_names` (``provinces``, ``districts``, ``tehsils``).
    centres
        :func:`mineralmap.selection.centre_choices` (``ports``, ``towns``, ``occurrences``:
        option value -> label).
    occurrence_ids
        Ids of the catalog's occurrences (for the picks).

    Returns
    -------
    tuple[RegionForm, list[str]]
        The form (only valid parts) and one note per ignored parameter or value.
    """
    notes: list[str] = []
    got = {k: params.first_value(query, k) for k in params.REGION_PARAMS}
    for key, raw in got.items():
        if raw is not None and len(raw) > 20 * params.MAX_VALUE_CHARS:
            notes.append(f"ignored {key}: the value is too long")
            got[key] = None
    kw: dict = {
        "provinces": _listed(got["rprov"], names.get("provinces", ()), "provinces", "rprov", notes),
        "districts": _listed(got["rdist"], names.get("districts", ()), "districts", "rdist", notes),
        "tehsils": _listed(got["rteh"], names.get("tehsils", ()), "tehsils", "rteh", notes),
        "add_ids": _listed(got["radd"], occurrence_ids, "occurrence ids", "radd", notes),
        "remove_ids": _listed(got["rremove"], occurrence_ids, "occurrence ids", "rremove", notes),
    }
    if got["rbox"] is not None:
        bbox = params.parse_floats(got["rbox"], 4)
        if bbox is None:
            notes.append(f"ignored box {params.quote_value(got['rbox'])} (expected "
                         "west,south,east,north in degrees)")
        else:
            _, err = check_mode("box", {"bbox": bbox})
            if err:
                notes.append(f"ignored the link's {err[0].lower()}{err[1:]}")
            else:
                kw["bbox"] = bbox
    if got["rradius"] is not None or got["rcentre"] is not None:
        kw.update(_radius_from_params(got["rradius"], got["rcentre"], centres, notes))
    return RegionForm(**kw), notes


def _radius_from_params(raw_km: str | None, raw_centre: str | None,
                        centres: Mapping[str, Mapping[str, str]], notes: list[str]) -> dict:
    km = params.parse_floats(raw_km, 1) if raw_km is not None else None
    lo, hi = RADIUS_KM_RANGE
    if km is None or not lo <= km[0] <= hi:
        notes.append(f"ignored the radius {params.quote_value(raw_km)} (expected a number of km "
                     f"from {lo:g} to {hi:g}, with rcentre)")
        return {}
    if raw_centre is None:
        notes.append("ignored the radius: the link names no centre (rcentre)")
        return {}
    kind, sep, value = raw_centre.partition(":")
    if sep and kind in CENTRE_CHOICE_KEYS:
        if value in centres.get(CENTRE_CHOICE_KEYS[kind], {}):
            return {"radius_km": km[0], "centre_kind": kind, "centre": value}
        notes.append(f"ignored the radius: unknown {kind} {params.quote_value(value)}")
        return {}
    lonlat = params.parse_floats(raw_centre, 2)
    if lonlat is None:
        notes.append(f"ignored the radius centre {params.quote_value(raw_centre)} (expected "
                     "port:NAME, town:NAME, occurrence:NAME or lon,lat)")
        return {}
    _, err = check_mode("radius", {"center_lonlat": lonlat, "radius_km": km[0]})
    if err:
        notes.append(f"ignored the link's {err[0].lower()}{err[1:]}")
        return {}
    return {"radius_km": km[0], "centre_kind": "lon/lat", "centre_lonlat": lonlat}


# ---------------------------------------------------------------------------- file contents


@dataclass(frozen=True)
class FileContents:
    """How many selected occurrences each export format holds, and why.

    GeoJSON and CSV hold every selected row (a row without a coordinate has a null geometry or
    empty lon/lat); GeoPackage and KML hold only rows with a coordinate (their feature tables
    need a geometry).
    """

    total: int
    mapped: int

    @property
    def unmapped(self) -> int:
        """Selected rows without a coordinate."""
        return self.total - self.mapped

    def rows(self, fmt: str) -> int:
        """Occurrence rows in the file of format ``fmt`` (``geojson``, ``csv``, ``gpkg``,
        ``kml``)."""
        return self.total if fmt in ALL_ROW_FORMATS else self.mapped

    def sentence(self, labels: Mapping[str, str]) -> str:
        """``"GeoJSON and CSV: all 12 occurrences (2 without coordinates); GeoPackage and KML:
        the 10 with coordinates."``"""
        every = [labels[f] for f in labels if f in ALL_ROW_FORMATS]
        mapped_only = [labels[f] for f in labels if f not in ALL_ROW_FORMATS]
        if not self.unmapped:
            return f"Every file: all {self.total:,} occurrence(s)."
        return (f"{' and '.join(every)}: all {self.total:,} occurrence(s) ({self.unmapped:,} "
                f"without coordinates, with empty geometry/lon/lat); {' and '.join(mapped_only)}"
                f": the {self.mapped:,} with coordinates (these formats need a location).")


#: Formats that hold every selected row, also those without a coordinate.
ALL_ROW_FORMATS: frozenset[str] = frozenset({"geojson", "csv"})


def file_contents(rows: pd.DataFrame) -> FileContents:
    """:class:`FileContents` of a selection's rows (a row is mapped when it has a point, as
    the exporter decides)."""
    if len(rows) == 0:
        return FileContents(0, 0)
    if isinstance(rows, gpd.GeoDataFrame):
        geoms = rows.geometry.to_numpy()
    elif "geometry" in rows.columns:
        geoms = rows["geometry"].to_numpy()
    else:
        return FileContents(len(rows), 0)
    return FileContents(len(rows), int(has_geometry(geoms).sum()))
