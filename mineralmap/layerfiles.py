"""Static context layers as content-hashed JSON files, served once over HTTP (issue 16).

The context layers (boundaries, roads, railways, towns, stations, …) do not change between
reruns, yet inline in a deck they travel over the websocket on every filter change (~3 MB with
every layer on). Here each layer's records — exactly :func:`mineralmap.layers.static_layer_payload`
— are written once as compact JSON into ``<cache>/layers/<name>.<hash>.json`` (``<name>-dark`` for
the dark-basemap colours), and :func:`url_layer` gives the same pydeck layer as
:func:`mineralmap.layers.context_layer` (same id, accessors and styling) with ``data`` set to
the file's URL: deck.gl fetches a string ``data`` prop itself, the browser caches it (the
server sends ``Cache-Control: immutable``, the name changes when the content does).

The occurrence points travel the same way (:func:`write_occurrence_file`): the mapped rows of
a filter without its distance limits, as :func:`mineralmap.layers.shared_points` records, in
``occurrences.<hash>.json``; the marker and the uncertainty layer both name its URL (the browser
fetches it once), and :func:`occurrence_layers` adds the distance limits as a deck.gl
``DataFilterExtension`` range, so a change of limit sends a few numbers instead of the points.

UI-free: :mod:`mineralmap.ui.asgi` serves the folder (an ``st.App`` route); this module only
writes files, names them and resolves a requested file name safely
(:func:`resolve_layer_file`: nothing outside the folder can be reached).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pydeck as pdk

from mineralmap import layers
from mineralmap._store import atomic_target, cache_dir
from mineralmap.errors import ValidationError

__all__ = [
    "CACHE_CONTROL",
    "DARK_SUFFIX",
    "LAYER_FOLDER",
    "LAYER_KEEP",
    "URL_PREFIX",
    "LayerFile",
    "LayerFiles",
    "OCCURRENCE_FILE",
    "OCCURRENCE_KEEP",
    "OccurrenceFile",
    "build_layer_files",
    "layer_dir",
    "layer_file_name",
    "occurrence_layers",
    "resolve_layer_file",
    "url_layer",
    "url_layers",
    "write_layer_file",
    "write_occurrence_file",
]

#: Folder (inside the cache dir) of the generated layer files.
LAYER_FOLDER = "layers"
#: URL path under which :mod:`mineralmap.ui.asgi` serves :data:`LAYER_FOLDER`.
URL_PREFIX = "/layers/"
#: Suffix of the layer name of a file with the dark-basemap line colours.
DARK_SUFFIX = "-dark"
#: Hex digits of the content hash in a file name (64 bits).
HASH_CHARS = 16
#: How many files per layer name (and variant) to keep; older ones are deleted.
LAYER_KEEP = 4
#: Name of the files of shared occurrence points (:func:`write_occurrence_file`).
OCCURRENCE_FILE = "occurrences"
#: How many occurrence files to keep (one per dataset version and filter that the browser
#: cannot apply itself; older ones are deleted).
OCCURRENCE_KEEP = 64
#: Cache header of a layer file: its name changes whenever its content does.
CACHE_CONTROL = "public, max-age=31536000, immutable"

_NAME_RE = re.compile(r"(?P<name>[a-z][a-z_]{0,40})(?P<dark>-dark)?\.(?P<hash>[0-9a-f]{"
                      + str(HASH_CHARS) + r"})\.json")


@dataclass(frozen=True)
class LayerFile:
    """One written layer file.

    Attributes
    ----------
    name
        Context layer id (:data:`mineralmap.layers.CONTEXT_LAYER_IDS`).
    dark
        True for the dark-basemap colour variant.
    digest
        Content hash (:data:`HASH_CHARS` hex digits of SHA-256 of the bytes); also the ETag.
    path
        Where the file is.
    nbytes
        Size of the JSON (uncompressed).
    sample
        The first record (or None for an empty layer): decides which style accessors the layer
        reads from the data (ports, towns and power plants vary per feature).
    """

    name: str
    dark: bool
    digest: str
    path: Path
    nbytes: int
    sample: Mapping[str, Any] | None

    @property
    def file_name(self) -> str:
        """``<name>[-dark].<hash>.json``."""
        return self.path.name

    def url(self, base: str = "") -> str:
        """URL path of the file (``base`` is the server's base URL path, e.g. ``""``)."""
        b = base.strip("/")
        return (f"/{b}" if b else "") + URL_PREFIX + self.file_name


#: Files per ``(name, dark)``.
LayerFiles = Mapping[tuple[str, bool], LayerFile]


def layer_dir(base: Path | None = None) -> Path:
    """The folder of the layer files: ``<cache dir>/layers`` (``base`` overrides the cache dir)."""
    return Path(base if base is not None else cache_dir()) / LAYER_FOLDER


def _servable(name: str) -> bool:
    return name in layers.CONTEXT_LAYER_LABELS or name == OCCURRENCE_FILE


def layer_file_name(name: str, digest: str, dark: bool = False) -> str:
    """``<name>[-dark].<digest>.json``; raises ValidationError for an unknown layer (a context
    layer id or :data:`OCCURRENCE_FILE`)."""
    if not _servable(name):
        raise ValidationError(
            f"unknown map layer {name!r}; choose from {', '.join(layers.CONTEXT_LAYER_IDS)}")
    return f"{name}{DARK_SUFFIX if dark else ''}.{digest}.json"


def _dumps(records: list) -> str:
    return json.dumps(records, separators=(",", ":"), ensure_ascii=False)


def _dark_text(text: str) -> str:
    # colours in the compact JSON are exact "[r,g,b,a]" lists (same spelling as the deck's JSON)
    for light, dark in layers.DARK_PALETTE.items():
        text = text.replace(_dumps(list(light)), _dumps(list(dark)))
    return text


def _prune(folder: Path, stem: str, keep: int) -> None:
    olds = sorted((p for p in folder.glob(f"{stem}.*.json")
                   if (m := _NAME_RE.fullmatch(p.name)) is not None
                   and m["name"] + (m["dark"] or "") == stem),
                  key=lambda p: p.stat().st_mtime, reverse=True)
    for p in olds[keep:]:
        p.unlink(missing_ok=True)
        p.with_name(p.name + ".gz").unlink(missing_ok=True)


def _write(folder: Path, name: str, dark: bool, text: str, sample: Mapping[str, Any] | None,
           keep: int) -> LayerFile:
    data = text.encode("utf-8")
    digest = hashlib.sha256(data).hexdigest()[:HASH_CHARS]
    path = folder / layer_file_name(name, digest, dark)
    if not path.is_file() or path.stat().st_size != len(data):
        gz = path.with_name(path.name + ".gz")
        with atomic_target(gz) as tmp:  # the gzip first: a served .json always has its .gz
            tmp.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
        with atomic_target(path) as tmp:
            tmp.write_bytes(data)
    else:
        path.touch()  # newest use: kept by the pruning
    _prune(folder, f"{name}{DARK_SUFFIX if dark else ''}", keep)
    return LayerFile(name=name, dark=dark, digest=digest, path=path, nbytes=len(data),
                     sample=sample)


def write_layer_file(name: str, gdf: gpd.GeoDataFrame, folder: Path | None = None,
                     keep: int = LAYER_KEEP) -> tuple[LayerFile, LayerFile]:
    """Write one context layer's records (light and dark-basemap colours) as content-hashed JSON.

    Parameters
    ----------
    name
        One of :data:`mineralmap.layers.CONTEXT_LAYER_IDS`.
    gdf
        The layer (as in :attr:`mineralmap.catalog.Catalog.layers`).
    folder
        Target folder (default :func:`layer_dir`).
    keep
        Files kept per layer name and variant (the newest; older ones are deleted).

    Returns
    -------
    (LayerFile, LayerFile)
        The light and the dark variant (the same file when no colour differs).

    Raises
    ------
    ValidationError
        Unknown layer name or not a GeoDataFrame.
    """
    payload = layers.wire_records(name, layers.static_layer_payload(name, gdf))
    folder = layer_dir() if folder is None else Path(folder)
    text = _dumps(payload)
    sample = payload[0] if payload else None
    light = _write(folder, name, False, text, sample, keep)
    dark_text = _dark_text(text)
    dark = light if dark_text == text else _write(folder, name, True, dark_text, sample, keep)
    return light, dark


def build_layer_files(frames: Mapping[str, gpd.GeoDataFrame],
                      names: Collection[str] = layers.CONTEXT_LAYER_IDS,
                      folder: Path | None = None) -> dict[tuple[str, bool], LayerFile]:
    """Write the files of every context layer in ``names`` present in ``frames``.

    Parameters
    ----------
    frames
        Layers by name (:attr:`mineralmap.catalog.Catalog.layers`).
    names
        Context layers to write (default: all of them).
    folder
        Target folder (default :func:`layer_dir`).

    Returns
    -------
    dict
        ``{(name, dark): LayerFile}`` for both variants of every layer written.
    """
    out: dict[tuple[str, bool], LayerFile] = {}
    for n in names:
        if n not in frames:
            continue
        light, dark = write_layer_file(n, frames[n], folder)
        out[(n, False)], out[(n, True)] = light, dark
    return out


def url_layer(file: LayerFile, base: str = "") -> pdk.Layer:
    """The pydeck layer of :func:`mineralmap.layers.context_layer` with ``data`` = the file's URL.

    Parameters
    ----------
    file
        A written layer file.
    base
        The server's base URL path (Streamlit's ``server.baseUrlPath``; ``""`` at the root).

    Returns
    -------
    pydeck.Layer
        Same id, accessors and styling as the inline layer; deck.gl fetches the records.
    """
    lyr = layers.context_layer(file.name, [dict(file.sample)] if file.sample else [])
    lyr.data = file.url(base)
    return lyr


def url_layers(files: LayerFiles, visible: Collection[str], dark: bool = False,
               base: str = "") -> list[pdk.Layer]:
    """URL layers of the visible context layers, in drawing order (like
    :func:`mineralmap.layers.context_layers`; names without a file are skipped).

    Raises
    ------
    ValidationError
        A visible name is not a known context layer.
    """
    unknown = [v for v in visible if v not in layers.CONTEXT_LAYER_LABELS]
    if unknown:
        raise ValidationError(
            f"unknown map layer(s) {', '.join(map(repr, unknown))}; choose from "
            f"{', '.join(layers.CONTEXT_LAYER_IDS)}")
    # drawing order of mineralmap.layers (bottom to top); see the report: make it public there
    order = [n for n in layers.DRAW_ORDER if n in visible and (n, dark) in files]
    return [url_layer(files[(n, dark)], base) for n in order]


def resolve_layer_file(folder: Path, file_name: str) -> Path | None:
    """The file a request for ``file_name`` may read, or None (unknown, malformed or outside).

    Only names of the form ``<layer>[-dark].<16 hex>.json`` of a known context layer (or of
    :data:`OCCURRENCE_FILE`), directly inside ``folder``, are ever resolved.

    Parameters
    ----------
    folder
        :func:`layer_dir`.
    file_name
        The last URL segment, as requested.

    Returns
    -------
    pathlib.Path or None
    """
    if not isinstance(file_name, str):
        return None
    m = _NAME_RE.fullmatch(file_name)
    if m is None or not _servable(m["name"]):
        return None
    root = Path(folder).resolve()
    path = (root / file_name).resolve()
    if path.parent != root or not path.is_file():
        return None
    return path


@dataclass(frozen=True)
class OccurrenceFile:
    """Shared occurrence points written as one content-hashed file.

    Attributes
    ----------
    file
        The written file (name :data:`OCCURRENCE_FILE`; its URL is the ``data`` of both
        occurrence layers).
    points
        What was written (:func:`mineralmap.layers.shared_points`): ids in record order for
        picks, the ranks and levels of the browser filter. Its ``records`` are dropped (the
        file holds them).
    """

    file: LayerFile
    points: layers.SharedPoints = field(repr=False)


def write_occurrence_file(occ: pd.DataFrame, folder: Path | None = None,
                          keep: int = OCCURRENCE_KEEP) -> OccurrenceFile:
    """Write the mapped rows of ``occ`` as shared occurrence points (compact JSON, gzip copy).

    Parameters
    ----------
    occ
        Occurrence frame (see :func:`mineralmap.layers.shared_points`).
    folder
        Target folder (default :func:`layer_dir`).
    keep
        Occurrence files kept (the newest; older ones are deleted).

    Returns
    -------
    OccurrenceFile

    Raises
    ------
    ValidationError
        Not a frame, or no ``lon``/``lat``.
    """
    pts = layers.shared_points(occ)
    folder = layer_dir() if folder is None else Path(folder)
    written = _write(folder, OCCURRENCE_FILE, False, _dumps(pts.records), None, keep)
    return OccurrenceFile(file=written, points=replace(pts, records=[]))


def occurrence_layers(ofile: OccurrenceFile, limits: Sequence[float | None] | None = None,
                      base: str = "") -> list[pdk.Layer]:
    """Uncertainty circles and markers drawn from the file's URL, the distance ``limits``
    (:data:`mineralmap.layers.BROWSER_FILTERS`; None: none) applied in the browser.

    Parameters
    ----------
    ofile
        :func:`write_occurrence_file`.
    limits
        One limit (km, or None) per :data:`mineralmap.layers.BROWSER_FILTERS` dimension.
    base
        The server's base URL path.

    Returns
    -------
    list of pydeck.Layer
        ``[occ-uncertainty, occurrences]`` (:func:`mineralmap.layers.shared_layers`).
    """
    lims = list(limits) if limits is not None else [None] * len(layers.BROWSER_FILTERS)
    return layers.shared_layers(ofile.file.url(base), ofile.points.filter_range(lims))
