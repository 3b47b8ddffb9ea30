"""Exports of a selection: GeoJSON (RFC 7946 + metadata), CSV, GeoPackage and KML.

GeoJSON is built directly from numpy arrays (vectorised coordinate rounding, one ``json.dumps``)
because it is the format the app offers first and it must stay fast for large selections. CSV is
written by pandas; GeoPackage and KML by GDAL through pyogrio (no hand-written serialisers).
The Region & export page writes all four files on every change of a small selection, so the fixed
cost of an export matters as much as its cost per row: the selection is read once per export
(:class:`_Rows`, without the frame's ``attrs``, which pandas deep-copies into every derived
object), and GeoPackages are written without ``fsync`` (``benchmarks/bench_export_formats.py``).

Every export carries its provenance: the filter sentence, the region description, counts, the
generation time (UTC), the app version and the attribution and licence of every layer used
(GeoJSON: top-level ``metadata`` member; GeoPackage: ``metadata`` attribute table; KML: the
description of the occurrence folder; CSV stays a plain table).
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from json.encoder import encode_basestring
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from mineralmap._lazy import pyogrio
from mineralmap.errors import ExportError
from mineralmap.filters import commodity_groups
from mineralmap.schema import CRS

__all__ = ["FORMATS", "MIME_TYPES", "build_metadata", "export_selection", "geojson_bytes", "suggest_filename",
           "suggest_filenames"]

#: Export format -> (file extension, MIME type).
FORMATS: dict[str, tuple[str, str]] = {
    "geojson": ("geojson", "application/geo+json"),
    "csv": ("csv", "text/csv"),
    "gpkg": ("gpkg", "application/geopackage+sqlite3"),
    "kml": ("kml", "application/vnd.google-earth.kml+xml"),
}

#: Export format -> MIME type.
MIME_TYPES: dict[str, str] = {fmt: mime for fmt, (_ext, mime) in FORMATS.items()}

_DECIMALS = 6
_NO_REGION = ("", "no region")


# ---------------------------------------------------------------------- helpers


def _utc(generated_at: datetime | None) -> datetime:
    if generated_at is None:
        return datetime.now(UTC)
    if generated_at.tzinfo is None:
        return generated_at.replace(tzinfo=UTC)
    return generated_at.astimezone(UTC)


def _slug(text: str, max_len: int = 40) -> str:
    ascii_ = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    s = re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")
    return s[:max_len].rstrip("-")


def _province_col(df: pd.DataFrame) -> pd.Series:
    if "province_geo" in df.columns:
        base = df["province"] if "province" in df.columns else None
        return df["province_geo"].where(df["province_geo"].notna(), base)
    if "province" in df.columns:
        return df["province"]
    return pd.Series([], dtype=object)


def _group_col(df: pd.DataFrame) -> pd.Series:
    return commodity_groups(df)


def _is_missing(v: Any) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v))


def _bare(selection: pd.DataFrame) -> pd.DataFrame:
    """``selection`` as a plain DataFrame sharing its data, without ``attrs``.

    pandas deep-copies a frame's ``attrs`` into every object derived from it (each column
    access); with a dataset version in ``attrs`` that was most of the cost of a small export.
    """
    out = pd.DataFrame(selection, copy=False)
    out.attrs = {}
    return out


def _geometry_name(selection: pd.DataFrame) -> str:
    if isinstance(selection, gpd.GeoDataFrame):
        return selection.active_geometry_name or "geometry"
    return "geometry"


@dataclass(frozen=True)
class _Rows:
    """What every format needs from a selection, computed once per export."""

    frame: pd.DataFrame  # the selection without attrs (geometry column included)
    attrs: pd.DataFrame  # attribute columns, non-finite floats missing (:func:`_attribute_frame`)
    geoms: np.ndarray  # shapely geometries (None when unmapped)
    mapped: np.ndarray  # has a non-empty geometry
    groups: list[Any]  # commodity group per row (:func:`mineralmap.filters.commodity_groups`)


def _rows(selection: pd.DataFrame) -> _Rows:
    frame = _bare(selection)
    geom_name = _geometry_name(selection)
    geoms = _geometry_array(selection)
    return _Rows(frame=frame, attrs=_finite_attributes(frame, geom_name), geoms=geoms,
                 mapped=_mapped_of(geoms), groups=_group_col(frame).tolist())


def _provinces(frame: pd.DataFrame) -> list[str]:
    """Distinct non-empty provinces of the rows (``province_geo``, else the stated one), sorted."""
    col = _province_col(frame)
    return sorted({str(v) for v in col.tolist() if not _is_missing(v)} - {""})


def _filename(provinces: Sequence[str], groups: Sequence[Any], fmt: str, region_description: str,
              generated_at: datetime | date | None, day: date | None) -> str:
    desc = (region_description or "").strip()
    where = ""
    if desc and not desc.lower().startswith(_NO_REGION[1]):
        where = _slug(desc)
    if not where:
        where = _slug(provinces[0]) if len(provinces) == 1 else "pakistan"
    uniq = dict.fromkeys(g for g in groups if not _is_missing(g))
    names = [str(g) for g in uniq if str(g)]
    order = {"Sb": 0, "REE": 1, "other": 2}
    names.sort(key=lambda g: (order.get(g, 3), g))
    what = "-".join(_slug(g) for g in names) or "none"
    if isinstance(generated_at, datetime):
        day = _utc(generated_at).date()
    elif isinstance(generated_at, date):
        day = generated_at
    day = day or datetime.now(UTC).date()
    return f"mineralmap_{where}_{what}_{day.isoformat()}.{FORMATS[fmt][0]}"


def suggest_filename(
    selection: pd.DataFrame,
    fmt: str,
    *,
    region_description: str = "",
    generated_at: datetime | date | None = None,
    day: date | None = None,
    spec_sentence: str = "",
) -> str:
    """Meaningful export file name: ``mineralmap_<where>_<commodity>_<YYYY-MM-DD>.<ext>``.

    ``<where>`` is the region description (slugged) when a region is set, else the single
    province of the selection, else ``pakistan``; ``<commodity>`` the commodity groups present
    (``sb``, ``sb-ree``) or ``none``. The date is ``generated_at`` (UTC) or ``day``, else today.
    ``spec_sentence`` is accepted for call symmetry with :func:`export_selection` and unused.

    Examples
    --------
    ``mineralmap_balochistan_sb_2026-11-22.geojson``
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format '{fmt}'; choose one of {', '.join(FORMATS)}")
    del spec_sentence
    frame = _bare(selection)
    return _filename(_provinces(frame), _group_col(frame).tolist(), fmt, region_description,
                     generated_at, day)


def suggest_filenames(
    selection: pd.DataFrame,
    formats: Sequence[str] = tuple(FORMATS),
    *,
    region_description: str = "",
    generated_at: datetime | date | None = None,
    day: date | None = None,
) -> dict[str, str]:
    """:func:`suggest_filename` for several formats at once (the selection is read once).

    Returns
    -------
    dict[str, str]
        Format -> file name, in the order of ``formats``.
    """
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise ExportError(f"unknown export format '{bad[0]}'; choose one of {', '.join(FORMATS)}")
    frame = _bare(selection)
    provinces, groups = _provinces(frame), _group_col(frame).tolist()
    return {f: _filename(provinces, groups, f, region_description, generated_at, day)
            for f in formats}


def build_metadata(
    selection: pd.DataFrame,
    *,
    spec_sentence: str,
    region_description: str,
    attributions: Sequence[Mapping[str, str]],
    app_version: str,
    generated_at: datetime | None = None,
    dataset: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Provenance block of an export (the GeoJSON ``metadata`` member).

    ``dataset`` (:meth:`mineralmap.store.VersionInfo.as_metadata`) names the published dataset
    version the rows come from; it is written as the ``dataset`` member.

    Returns
    -------
    dict
        ``filter``, ``region``, ``counts`` (``total``, ``mapped``, ``unmapped``,
        ``by_commodity``), ``generated_utc``, ``app_version``, ``attributions``.
    """
    return _metadata(_group_col(_bare(selection)).tolist(), _mapped_mask(selection),
                     spec_sentence=spec_sentence, region_description=region_description,
                     attributions=attributions, app_version=app_version,
                     generated_at=generated_at, dataset=dataset)


def _metadata(
    groups: Sequence[Any],
    mapped: np.ndarray,
    *,
    spec_sentence: str,
    region_description: str,
    attributions: Sequence[Mapping[str, str]],
    app_version: str,
    generated_at: datetime | None,
    dataset: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """:func:`build_metadata` from the rows' commodity groups and mapped mask."""
    by = Counter("unknown" if _is_missing(g) else str(g) for g in groups)
    n_mapped = int(mapped.sum())
    return {
        "filter": spec_sentence,
        "region": region_description,
        "counts": {
            "total": len(groups),
            "mapped": n_mapped,
            "unmapped": len(groups) - n_mapped,
            "by_commodity": {k: by[k] for k in sorted(by)},
        },
        "generated_utc": _utc(generated_at).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "app_version": app_version,
        "dataset": {str(k): v for k, v in (dataset or {}).items()},
        "attributions": [{str(k): str(v) for k, v in a.items()} for a in attributions],
    }


def _geometry_array(selection: pd.DataFrame) -> np.ndarray:
    if isinstance(selection, gpd.GeoDataFrame) and selection.geometry.name in selection.columns:
        return np.asarray(selection.geometry.to_numpy(), dtype=object)
    if "geometry" in selection.columns:
        return np.asarray(selection["geometry"].to_numpy(), dtype=object)
    return np.full(len(selection), None, dtype=object)


def _mapped_of(geoms: np.ndarray) -> np.ndarray:
    if len(geoms) == 0:
        return np.zeros(0, dtype=bool)
    return ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))


def _mapped_mask(selection: pd.DataFrame) -> np.ndarray:
    return _mapped_of(_geometry_array(selection))


def _finite_attributes(frame: pd.DataFrame, geom_name: str) -> pd.DataFrame:
    """Attribute columns of a bare frame (no geometry); non-finite floats (inf) become missing."""
    attrs = frame.drop(columns=[geom_name]) if geom_name in frame.columns else frame
    floats = [i for i, dtype in enumerate(attrs.dtypes) if pd.api.types.is_float_dtype(dtype)]
    if not floats or not len(attrs):
        return attrs
    block = attrs.iloc[:, floats].to_numpy(dtype=float, na_value=np.nan)
    with_inf = [i for i, bad in zip(floats, np.isinf(block).any(axis=0), strict=True) if bad]
    if with_inf:
        attrs = attrs.copy(deep=False)
        for i in with_inf:
            col = attrs.iloc[:, i]
            attrs.isetitem(i, col.where(np.isfinite(col.to_numpy(dtype=float, na_value=np.nan))))
    return attrs


def _attribute_frame(selection: pd.DataFrame) -> pd.DataFrame:
    """Attribute columns (no geometry); non-finite floats (inf) become missing."""
    return _finite_attributes(_bare(selection), _geometry_name(selection))


def _json_default(o: Any) -> Any:
    if isinstance(o, datetime | date | pd.Timestamp):
        return o.isoformat()
    if isinstance(o, np.generic):
        v = o.item()
        return None if isinstance(v, float) and not math.isfinite(v) else v
    if isinstance(o, float) and not math.isfinite(o):
        return None
    if isinstance(o, BaseGeometry):
        return o.wkt
    return str(o)


def _round(geom: BaseGeometry) -> BaseGeometry:
    return shapely.transform(geom, lambda c: np.round(c, _DECIMALS))


def _region_geometry(region: BaseGeometry) -> BaseGeometry:
    """Rounded, valid, RFC 7946 oriented (exterior counter-clockwise) polygon."""
    g = _round(region)
    if not g.is_valid:
        g = shapely.make_valid(g)
    return shapely.orient_polygons(g, exterior_cw=False)


def _value_text(v: Any) -> str:
    """JSON text of one attribute value of a mixed (object) column."""
    if v is None or v is pd.NA or v is pd.NaT:
        return "null"
    if isinstance(v, str):
        return encode_basestring(v)
    if isinstance(v, bool | np.bool_):
        return "true" if v else "false"
    if isinstance(v, float | np.floating):
        return repr(float(v)) if math.isfinite(v) else "null"
    if isinstance(v, int | np.integer):
        return str(int(v))
    if isinstance(v, pd.Timestamp | np.datetime64):
        return encode_basestring(pd.Timestamp(v).isoformat())
    return _dumps(v)


def _plain(dtype: Any, kind: Any) -> bool:
    return kind(dtype) and not isinstance(dtype, pd.api.extensions.ExtensionDtype)


def _column_texts(col: pd.Series) -> list[str]:
    """JSON text of every value of one column (``null`` for missing and non-finite values).

    Numbers use Python's shortest round-trip ``repr``; strings are escaped one by one by the
    json module's C escaper, so no value can break the structure around it.
    """
    dtype = col.dtype
    if _plain(dtype, pd.api.types.is_bool_dtype):
        return np.where(col.to_numpy(), "true", "false").tolist()
    if _plain(dtype, pd.api.types.is_integer_dtype):
        return list(map(str, col.tolist()))
    if _plain(dtype, pd.api.types.is_float_dtype):
        vals = col.to_numpy(dtype=float)
        out = np.array(list(map(repr, vals.tolist())), dtype=object)
        out[~np.isfinite(vals)] = "null"
        return out.tolist()
    if isinstance(dtype, pd.StringDtype):
        return ["null" if v is None else encode_basestring(v)
                for v in col.to_numpy(dtype=object, na_value=None).tolist()]
    if pd.api.types.infer_dtype(col, skipna=True) == "string":
        missing = col.isna().to_numpy()
        out = np.array(list(map(encode_basestring, col.where(~missing, "").tolist())), dtype=object)
        out[missing] = "null"
        return out.tolist()
    return list(map(_value_text, col.astype(object).tolist()))


def _properties_json(attrs: pd.DataFrame) -> list[str]:
    """The inner text of each row's ``properties`` object (``"key":value,...``).

    Encoded column by column (every value on its own, see :func:`_column_texts`), then joined
    per row with one format template; nothing is parsed back out of a larger JSON text.
    """
    if len(attrs) == 0 or attrs.shape[1] == 0:
        return []
    keys = [encode_basestring(str(c)).replace("%", "%%") for c in attrs.columns]
    template = ",".join(f"{k}:%s" for k in keys)
    columns = [_column_texts(col) for _name, col in attrs.items()]
    return [template % row for row in zip(*columns, strict=True)]


def _geometry_texts(geoms: np.ndarray) -> list[str]:
    """GeoJSON geometry text per row ("null" when missing), coordinates rounded."""
    n = len(geoms)
    out = ["null"] * n
    if n == 0:
        return out
    type_id = shapely.get_type_id(geoms)  # -1 for missing
    empty = shapely.is_empty(geoms)
    idx = np.flatnonzero((type_id == 0) & ~empty)
    if len(idx):
        xy = np.round(shapely.get_coordinates(geoms[idx]), _DECIMALS).tolist()
        for i, (x, y) in zip(idx.tolist(), xy, strict=True):
            out[i] = f'{{"type":"Point","coordinates":[{x!r},{y!r}]}}'
    other = np.flatnonzero((type_id > 0) & ~empty)
    if len(other):
        fixed = shapely.orient_polygons(
            shapely.transform(geoms[other], lambda c: np.round(c, _DECIMALS)), exterior_cw=False
        )
        for i, text in zip(other.tolist(), shapely.to_geojson(fixed).tolist(), strict=True):
            out[i] = text
    return out


def _dumps(obj: Any) -> str:
    return json.dumps(
        obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_json_default
    )


def geojson_bytes(
    selection: pd.DataFrame,
    *,
    region: BaseGeometry | None = None,
    metadata: Mapping[str, Any] | None = None,
    region_description: str = "",
) -> bytes:
    """RFC 7946 FeatureCollection of ``selection`` (and the region polygon) as UTF-8 bytes.

    Coordinates are lon/lat rounded to 6 decimals, no ``crs`` member, missing values ``null``,
    unmapped rows as features with ``"geometry": null``. Built from vectorised pieces (each
    attribute column encoded on its own, numpy-rounded coordinates), not per-feature shapely calls.
    """
    return _geojson(_rows(selection), region, metadata, region_description)


def _geojson(rows: _Rows, region: BaseGeometry | None, metadata: Mapping[str, Any] | None,
             region_description: str) -> bytes:
    props = _properties_json(rows.attrs)
    geoms = _geometry_texts(rows.geoms)
    feats: list[str] = []
    if region is not None and not region.is_empty:
        feats.append(
            _dumps(
                {
                    "type": "Feature",
                    "geometry": mapping(_region_geometry(region)),
                    "properties": {"feature_type": "region", "description": region_description},
                }
            )
        )
    head = '{"type":"Feature","geometry":'
    mid = ',"properties":{"feature_type":"occurrence"'
    if props:
        feats.extend(f"{head}{g}{mid},{p}}}}}" for g, p in zip(geoms, props, strict=True))
    else:
        feats.extend(f"{head}{g}{mid}}}}}" for g in geoms)
    tail = f',"metadata":{_dumps(dict(metadata))}' if metadata is not None else ""
    text = '{"type":"FeatureCollection","features":[' + ",".join(feats) + "]" + tail + "}"
    return text.encode("utf-8")


def _gdal_ready(df: pd.DataFrame) -> pd.DataFrame:
    """Make object columns writable by GDAL: bool, number or string (None for missing)."""
    out = df.copy(deep=False)
    geom_name = getattr(out, "_geometry_column_name", None)
    for i, (c, dtype) in enumerate(df.dtypes.items()):
        if c == geom_name or dtype != np.dtype(object):
            continue
        col = df.iloc[:, i]
        nonnull = col.dropna()
        if len(nonnull) == 0:
            out[c] = pd.Series([None] * len(col), index=col.index, dtype=object)
        elif all(isinstance(v, bool | np.bool_) for v in nonnull):
            out[c] = col.map(lambda v: None if pd.isna(v) else bool(v)).astype(object)
        elif all(isinstance(v, int | float | np.number) and not isinstance(v, bool)
                 for v in nonnull):
            out[c] = pd.to_numeric(col, errors="coerce")
        else:
            out[c] = col.map(lambda v: None if v is None or (isinstance(v, float) and math.isnan(v))
                             else str(v)).astype(object)
    return out


def _metadata_text(meta: Mapping[str, Any]) -> str:
    counts = meta["counts"]
    by = ", ".join(f"{k}: {v}" for k, v in counts["by_commodity"].items()) or "none"
    lines = [
        f"Filter: {meta['filter']}",
        f"Region: {meta['region'] or 'none'}",
        f"Occurrences: {counts['total']} ({by})",
    ]
    if meta.get("skipped_unmapped"):
        lines.append(meta["skipped_unmapped"])
    if meta.get("dataset"):
        d = meta["dataset"]
        lines.append(f"Dataset: {d.get('dataset', '')} version {d.get('dataset_version', '')} "
                     f"(published {d.get('dataset_published_at', '')})")
    lines += [
        f"Generated (UTC): {meta['generated_utc']} by mineralmap {meta['app_version']}",
        "Sources and licences:",
    ]
    for a in meta["attributions"]:
        title = a.get("title") or a.get("layer", "")
        lines.append(
            f"- {title}: {a.get('attribution', '')} ({a.get('licence', '')}) {a.get('url', '')}".rstrip()
        )
    return "\n".join(lines)


def _with_skip_note(meta: dict[str, Any], skipped: int, fmt: str) -> dict[str, Any]:
    if skipped:
        meta = dict(meta)
        meta["skipped_unmapped"] = (
            f"{skipped} occurrence(s) without coordinates are not in this {fmt.upper()} file "
            "(they are in the GeoJSON and CSV exports)"
        )
    return meta


_SYNC_OPTION = "OGR_SQLITE_SYNCHRONOUS"
_sync_lock = threading.Lock()
_sync_users = [0, None]  # GDAL writes in progress, the option's value before the first


@contextmanager
def _scratch_writes() -> Iterator[None]:
    """GDAL's SQLite (GeoPackage) writes skip ``fsync`` while export files are written.

    An export is a scratch file read back at once, so waiting for the disk gains nothing: with
    ``fsync`` a small GeoPackage took three times as long under I/O load, and more CPU. The GDAL
    option is process-wide, so it is set while any export is writing and put back after the last.
    """
    with _sync_lock:
        if _sync_users[0] == 0:
            _sync_users[1] = pyogrio.get_gdal_config_option(_SYNC_OPTION)
            pyogrio.set_gdal_config_options({_SYNC_OPTION: "OFF"})
        _sync_users[0] += 1
    try:
        yield
    finally:
        with _sync_lock:
            _sync_users[0] -= 1
            if _sync_users[0] == 0:
                pyogrio.set_gdal_config_options({_SYNC_OPTION: _sync_users[1]})


@cache
def _kml_driver() -> str:
    """LIBKML when GDAL can write it, else the plain KML driver."""
    return "LIBKML" if "w" in pyogrio.list_drivers().get("LIBKML", "") else "KML"


def _gdal(
    rows: _Rows,
    fmt: str,
    region: BaseGeometry | None,
    region_description: str,
    meta: dict[str, Any],
) -> bytes:
    """GeoPackage or KML written by GDAL: occurrences with coordinates, region, metadata."""
    mapped = rows.mapped
    attrs = rows.attrs if mapped.all() else rows.attrs.loc[mapped]
    occ = gpd.GeoDataFrame(_gdal_ready(attrs), geometry=rows.geoms[mapped], crs=CRS)
    meta = _with_skip_note(meta, int((~mapped).sum()), fmt)
    reg = None
    if region is not None and not region.is_empty:
        reg = gpd.GeoDataFrame(
            {"description": [region_description]}, geometry=[_region_geometry(region)], crs=CRS
        )
    with _scratch_writes(), tempfile.TemporaryDirectory(prefix="mineralmap_export_") as tmp:
        path = os.path.join(tmp, f"export.{FORMATS[fmt][0]}")
        try:
            if fmt == "gpkg":
                pyogrio.write_dataframe(occ, path, layer="occurrences", driver="GPKG")
                if reg is not None:
                    pyogrio.write_dataframe(reg, path, layer="region", driver="GPKG", append=True)
                table = pd.DataFrame(
                    {
                        "key": ["filter", "region", "counts", "generated_utc", "app_version",
                                "dataset", "attributions", "skipped_unmapped"],
                        "value": [
                            meta["filter"], meta["region"], json.dumps(meta["counts"]),
                            meta["generated_utc"], meta["app_version"],
                            json.dumps(meta.get("dataset", {}), ensure_ascii=False),
                            json.dumps(meta["attributions"], ensure_ascii=False),
                            meta.get("skipped_unmapped", ""),
                        ],
                    }
                )
                pyogrio.write_dataframe(table, path, layer="metadata", driver="GPKG", append=True)
            else:
                driver = _kml_driver()
                opts = {"DESCRIPTION": _metadata_text(meta)} if driver == "LIBKML" else {}
                pyogrio.write_dataframe(
                    occ, path, layer="occurrences", driver=driver, layer_options=opts
                )
                if reg is not None:
                    pyogrio.write_dataframe(
                        reg, path, layer="region", driver=driver, append=True
                    )
        except Exception as exc:  # noqa: BLE001 - GDAL errors vary
            raise ExportError(f"cannot write the {fmt.upper()} export: {exc}") from exc
        with open(path, "rb") as fh:
            return fh.read()


def _csv(rows: _Rows, meta: dict[str, Any]) -> bytes:
    """Plain CSV with lon/lat columns; a last column ``data_attribution`` carries the licence
    text of every layer (CSV has no place for file-level metadata)."""
    attrs = rows.attrs.copy(deep=False)
    geoms, mapped = rows.geoms, rows.mapped
    lon = np.full(len(geoms), np.nan)
    lat = np.full(len(geoms), np.nan)
    if mapped.any():
        pts = shapely.point_on_surface(geoms[mapped])
        lon[mapped] = np.round(shapely.get_x(pts), _DECIMALS)
        lat[mapped] = np.round(shapely.get_y(pts), _DECIMALS)
    if "lon" in attrs.columns and "lat" in attrs.columns:
        attrs["lon"] = lon
        attrs["lat"] = lat
    else:
        at = 1 if "id" in attrs.columns else 0
        attrs.insert(at, "lat", lat)
        attrs.insert(at, "lon", lon)
    if meta.get("dataset"):
        d = meta["dataset"]
        attrs["dataset_version"] = f"{d.get('dataset', '')} v{d.get('dataset_version', '')}"
    attrs["data_attribution"] = " | ".join(
        f"{a.get('layer', '')}: {a.get('attribution', '')}" for a in meta.get("attributions", [])
    )
    return attrs.to_csv(index=False, lineterminator="\n").encode("utf-8")


def export_selection(
    selection: gpd.GeoDataFrame,
    fmt: str,
    *,
    region: BaseGeometry | None,
    spec_sentence: str,
    region_description: str,
    attributions: list[dict[str, str]],
    app_version: str,
    generated_at: datetime | None = None,
    allow_empty: bool = False,
    dataset: Mapping[str, Any] | None = None,
) -> tuple[bytes, str, str]:
    """Serialise a selection of occurrences.

    Parameters
    ----------
    selection
        Selected occurrences (EPSG:4326) with curated and enrichment columns; rows without
        geometry are unmapped.
    fmt
        ``"geojson"``, ``"csv"``, ``"gpkg"`` or ``"kml"``.
    region
        The region polygon (EPSG:4326) or None; exported as a ``region`` feature/layer.
    spec_sentence
        The filter sentence (:func:`mineralmap.filters.apply`).
    region_description
        :meth:`mineralmap.regions.RegionSpec.describe`.
    attributions
        One dict per layer used (``layer``, ``title``, ``licence``, ``attribution``, ``url``).
    app_version
        Version string written into the metadata.
    generated_at
        Generation time (default: now, UTC).
    allow_empty
        Export an empty selection (a valid empty file with metadata) instead of refusing.
    dataset
        Published dataset version of the rows (:meth:`mineralmap.store.VersionInfo.as_metadata`),
        written into every format's metadata (CSV: a ``dataset_version`` column).

    Returns
    -------
    tuple[bytes, str, str]
        File contents, MIME type and suggested file name.

    Raises
    ------
    ExportError
        Unknown format, empty selection without ``allow_empty``, or a GDAL write failure.
    """
    fmt = (fmt or "").lower().strip()
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format '{fmt}'; choose one of {', '.join(FORMATS)}")
    if len(selection) == 0 and not allow_empty:
        raise ExportError(
            "no occurrences selected: widen the filters or the region, or confirm that an "
            "empty file is wanted (allow_empty / --allow-empty)"
        )
    if isinstance(selection, gpd.GeoDataFrame) and selection.crs is not None:
        if not selection.crs.equals(CRS):
            selection = selection.to_crs(CRS)
    if region is not None and not isinstance(region, BaseGeometry):
        raise ExportError(f"region must be a shapely geometry, got {type(region).__name__}")
    when = _utc(generated_at)
    rows = _rows(selection)
    meta = _metadata(
        rows.groups,
        rows.mapped,
        spec_sentence=spec_sentence,
        region_description=region_description,
        attributions=attributions,
        app_version=app_version,
        generated_at=when,
        dataset=dataset,
    )
    name = _filename(_provinces(rows.frame), rows.groups, fmt, region_description, when, None)
    mime = FORMATS[fmt][1]
    if fmt == "geojson":
        data = _geojson(rows, region, meta, region_description)
    elif fmt == "csv":
        data = _csv(rows, meta)
    else:
        data = _gdal(rows, fmt, region, region_description, meta)
    return data, mime, name
