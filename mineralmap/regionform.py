"""The region form of the Region & export page without its widgets: each region mode validated
on its own, uploaded region files turned into messages instead of exceptions, and a selection
that falls back to the filter when the region cannot be applied.

A bad bounding box is reported (and ignored) without dropping a valid radius; nothing here
raises for user input.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import geopandas as gpd
from shapely.geometry.base import BaseGeometry

from mineralmap import selection
from mineralmap.errors import MineralmapError
from mineralmap.filters import FilterSpec
from mineralmap.regions import MAX_UPLOAD_BYTES, RegionSpec, parse_region_file

#: Upload size limit in MB (stated in the UI, enforced by the uploader and by the parser).
MAX_UPLOAD_MB = MAX_UPLOAD_BYTES // 1_000_000
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
        ``(level, text)`` with level ``"error"`` or ``"info"``.
    """
    try:
        geom, notes = parser(content, name)
    except MineralmapError as exc:
        return {}, [("error", f"Upload ignored: {exc}")]
    except Exception as exc:  # noqa: BLE001 - user input at the UI boundary: report, never crash
        # no raw exception text: it may name temporary paths or library internals
        return {}, [("error", f"Upload ignored: {name} could not be read (unexpected "
                              f"{type(exc).__name__}); save it again as GeoJSON, KML or a "
                              "zipped shapefile")]
    return {"polygon": geom, "polygon_label": name}, [("info", n) for n in notes]


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
