"""Occurrence uploads: read a steward's file, map its columns, validate every row, plan a publish.

The steps, shared by the stewardship page and ``python -m mineralmap dataset import``:

1. :func:`read_upload` reads CSV, XLSX (openpyxl), GeoJSON or GeoPackage bytes into an
   :class:`Upload` (all cells as found, file row numbers kept). Size and row count are bounded.
2. :func:`auto_mapping` proposes which upload column feeds which column of the occurrence schema
   (the project's own schema maps itself; ``longitude``/``x``/``long``/``lng`` … for lon); the
   steward may correct it.
3. :func:`validate` applies the mapping and checks every row (:class:`Report`): coordinates
   (decimal or degrees-minutes-seconds text such as ``30°52'53"N``), inside Pakistan, lat/lon
   swapped, stated vs polygon province, commodity and precision vocabulary, sources, duplicate ids
   and probable duplicates of existing rows. One problem per line with row number, column,
   severity and message; downloadable as CSV.
4. :func:`plan_publish` turns the report plus the steward's decisions (rows excluded, "same site:
   update / keep both") into the complete new table and its diff against the current version.
   Rows with errors are never dropped silently: an error row must be fixed or excluded.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import json
import math
import os
import re
import sqlite3
import tempfile
import zipfile
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from mineralmap._geo import geod_km, to_metric
from mineralmap._lazy import spatial
from mineralmap.catalog import read_geoparquet
from mineralmap.config import Settings, get_settings
from mineralmap.errors import MineralmapError, ValidationError
from mineralmap.ingest import canonical_province
from mineralmap.regions import PAKISTAN_EXTENT
from mineralmap.schema import NUMERIC_RANGES, OCCURRENCE_COLUMNS, PRECISION_CLASSES
from mineralmap.store import diff_records, records_frame

#: Largest accepted upload (bytes).
MAX_UPLOAD_BYTES = 5_000_000
#: Most data rows accepted in one upload.
MAX_ROWS = 20_000
#: Most columns accepted in one upload.
MAX_COLUMNS = 200
#: Longest accepted cell text.
MAX_CELL_CHARS = 10_000
#: Largest total uncompressed size of an XLSX archive (zip-bomb guard).
MAX_XLSX_UNCOMPRESSED = 60_000_000
#: Largest plausible location uncertainty (km).
MAX_PRECISION_KM = NUMERIC_RANGES["precision_km"][1]
#: Largest plausible ore tonnage (t).
MAX_ORE_TONNAGE_T = 1e12
#: Names of the pseudo-columns holding a point geometry's coordinates (GeoJSON, GeoPackage).
GEOM_LON = "(geometry) lon"
GEOM_LAT = "(geometry) lat"
#: File kinds :func:`read_upload` reads, by suffix.
UPLOAD_KINDS: dict[str, str] = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx",
                                ".geojson": "geojson", ".json": "geojson", ".gpkg": "gpkg"}
#: Severities, most serious first. Errors block publishing until the row is fixed or excluded.
SEVERITIES: tuple[str, ...] = ("error", "warning", "info")
#: Columns of :attr:`Report.problems`.
PROBLEM_COLUMNS: tuple[str, ...] = ("row", "id", "column", "severity", "check", "message")
#: Columns of :attr:`Report.duplicates`.
DUPLICATE_COLUMNS: tuple[str, ...] = ("row", "id", "name", "existing_id", "existing_name",
                                      "distance_km", "radius_km")
#: Choices for a probable duplicate of an existing row.
SAME_SITE_CHOICES: tuple[str, ...] = ("keep both", "update")
#: How far (degrees) outside the province polygons a point may lie and still count as inside
#: (coastline generalisation).
BORDER_TOLERANCE_DEG = 0.02

_ELEMENTS = (
    "H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se "
    "Br Kr Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb "
    "Dy Ho Er Tm Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu"
).split()
#: Commodity vocabulary besides element symbols (and the values already in the dataset).
COMMODITY_TERMS: tuple[str, ...] = ("REE", "LREE", "HREE", "PGE", "salt", "gypsum", "barite",
                                    "fluorite", "coal", "gemstones", "ruby", "emerald",
                                    "marble", "limestone", "magnesite", "talc", "chromite")
_COMMODITY_NAMES: dict[str, str] = {
    "antimony": "Sb", "rare earths": "REE", "rare earth": "REE", "rare earth elements": "REE",
    "rare-earth elements": "REE", "ree": "REE", "chromium": "Cr", "copper": "Cu", "gold": "Au",
    "silver": "Ag", "lead": "Pb", "zinc": "Zn", "iron": "Fe", "lithium": "Li", "tungsten": "W",
    "molybdenum": "Mo", "nickel": "Ni", "phosphate": "P", "phosphorus": "P", "uranium": "U",
    "manganese": "Mn", "tin": "Sn", "platinum group elements": "PGE", "potash": "K",
}

#: Target column -> accepted header spellings (compared lower-case without punctuation).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "id": ("id", "siteid", "occurrenceid", "depositid", "code", "sitecode", "depid"),
    "name": ("name", "sitename", "site", "depositname", "deposit", "locality", "occurrence",
             "occurrencename", "placename"),
    "commodity": ("commodity", "primarycommodity", "maincommodity", "commod1", "commodity1"),
    "commodities": ("commodities", "allcommodities", "commodlist", "othercommodities"),
    "minerals": ("minerals", "mineralogy", "oreminerals", "orematerials"),
    "deposit_type": ("deposittype", "type", "deptype", "model", "deposit_model"),
    "status": ("status", "devstatus", "developmentstatus", "devstat"),
    "province": ("province", "state", "admin1", "provincename"),
    "district": ("district", "admin2", "districtname"),
    "lon": ("lon", "longitude", "long", "lng", "x", "londd", "longdd", "longitudedd",
            "lonwgs84", "longitudewgs84", "lonx", "xcoord", "xcoordinate"),
    "lat": ("lat", "latitude", "y", "latdd", "latitudedd", "latwgs84", "latitudewgs84", "laty",
            "ycoord", "ycoordinate"),
    "precision": ("precision", "locationprecision", "precisionclass", "positionalaccuracy",
                  "accuracy"),
    "precision_km": ("precisionkm", "uncertaintykm", "radiuskm", "accuracykm", "errorkm",
                     "uncertainty"),
    "tonnage_grade_note": ("tonnagegradenote", "tonnagegrade", "grade", "resource",
                           "resourcenote"),
    "ore_tonnage_t": ("oretonnaget", "oretonnage", "tonnaget", "tonnage", "oret"),
    "source_title": ("sourcetitle", "source", "reference", "citation", "ref", "sourcename"),
    "source_url": ("sourceurl", "url", "link", "sourcelink", "doi", "weblink"),
    "source_dataset": ("sourcedataset", "dataset", "datasource", "compilation"),
    "record_ids": ("recordids", "recordid", "sourceid", "sourceids", "originalid"),
    "geocode_note": ("geocodenote", "locationnote", "geocoding", "remarks", "notes", "note",
                     "comment", "comments"),
}


class InventoryError(MineralmapError):
    """An upload cannot be read, mapped or published as it stands (the message says why)."""


@dataclass(frozen=True)
class Upload:
    """A steward's file, read but not yet interpreted.

    Attributes
    ----------
    name : str
        File name (base name only).
    sha256 : str
        SHA-256 of the bytes.
    kind : str
        ``csv``, ``xlsx``, ``geojson`` or ``gpkg``.
    table : pandas.DataFrame
        One row per data row, one column per upload column (object dtype, cells as found:
        ``str``, ``int``, ``float``, ``None``); geo formats add :data:`GEOM_LON`/:data:`GEOM_LAT`.
    rows : tuple of int
        Row number of each data row as the steward sees it (CSV/XLSX: the line or sheet row,
        header = 1; GeoJSON/GeoPackage: the feature number, from 1).
    notes : tuple of str
        What was done while reading (encoding fallback, sheet used, non-point geometries).
    """

    name: str
    sha256: str
    kind: str
    table: pd.DataFrame
    rows: tuple[int, ...]
    notes: tuple[str, ...] = ()

    @property
    def columns(self) -> list[str]:
        """Upload column names, in file order."""
        return [str(c) for c in self.table.columns]


# ------------------------------------------------------------------------------------------
# reading


def _kind(name: str, data: bytes) -> str:
    ext = os.path.splitext(name)[1].lower()
    if ext in UPLOAD_KINDS:
        return UPLOAD_KINDS[ext]
    if data.startswith(b"SQLite format 3\x00"):
        return "gpkg"
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.lstrip()[:1] in (b"{", b"["):
        return "geojson"
    raise InventoryError(f"{name}: unsupported file type; upload CSV (.csv), Excel (.xlsx), "
                         "GeoJSON (.geojson) or GeoPackage (.gpkg)")


def _header(cells: list[object]) -> list[str]:
    out: list[str] = []
    seen: dict[str, int] = {}
    for k, c in enumerate(cells):
        h = "" if c is None else str(c).strip().lstrip("\ufeff")
        h = h[:100] or f"column {k + 1}"
        if h in seen:
            seen[h] += 1
            h = f"{h} ({seen[h]})"
        seen.setdefault(h, 1)
        out.append(h)
    return out


def _frame(header: list[str], body: list[list[object]], name: str) -> pd.DataFrame:
    if len(header) > MAX_COLUMNS:
        raise InventoryError(f"{name}: {len(header)} columns; at most {MAX_COLUMNS} are accepted")
    if len(body) > MAX_ROWS:
        raise InventoryError(f"{name}: more than {MAX_ROWS} data rows; split the file")
    width = len(header)
    rows = [(list(r) + [None] * width)[:width] for r in body]
    return pd.DataFrame(rows, columns=header, dtype=object)


def _decode(data: bytes, name: str, notes: list[str]) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        notes.append(f"{name} is not UTF-8; read as Windows-1252 (check accented names)")
        return data.decode("cp1252", errors="replace")


def _read_csv(data: bytes, name: str, notes: list[str]) -> tuple[pd.DataFrame, list[int]]:
    text = _decode(data, name, notes)
    if "\x00" in text:
        raise InventoryError(f"{name}: not a text file (contains NUL bytes)")
    first = text.split("\n", 1)[0]
    delim = max((",", ";", "\t"), key=first.count)
    if first.count(delim) == 0:
        delim = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    header: list[str] | None = None
    body: list[list[object]] = []
    rows: list[int] = []
    try:
        for rec in reader:
            if header is None:
                if not any(c.strip() for c in rec):
                    continue
                header = _header(list(rec))
                continue
            if not any(c.strip() for c in rec):
                continue
            if len(body) >= MAX_ROWS:
                raise InventoryError(f"{name}: more than {MAX_ROWS} data rows; split the file")
            body.append([c if c.strip() else None for c in rec])
            rows.append(reader.line_num)
    except csv.Error as exc:
        raise InventoryError(f"{name}: not a readable CSV file near line {reader.line_num}: "
                             f"{exc}") from exc
    if header is None:
        raise InventoryError(f"{name}: no header row; the first line must name the columns")
    if delim != ",":
        notes.append(f"{name}: columns separated by {'tab' if delim == chr(9) else delim!r}")
    return _frame(header, body, name), rows


def _read_xlsx(data: bytes, name: str, notes: list[str]) -> tuple[pd.DataFrame, list[int]]:
    from openpyxl import load_workbook  # third-party, heavy: only when an XLSX arrives

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            total = sum(i.file_size for i in zf.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise InventoryError(f"{name}: not a readable .xlsx workbook ({exc})") from exc
    if total > MAX_XLSX_UNCOMPRESSED:
        raise InventoryError(f"{name}: the workbook unpacks to {total / 1e6:.0f} MB; "
                             f"the limit is {MAX_XLSX_UNCOMPRESSED / 1e6:.0f} MB")
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for broken files
        raise InventoryError(f"{name}: not a readable .xlsx workbook ({type(exc).__name__})") \
            from exc
    try:
        ws = wb.worksheets[0] if wb.worksheets else None
        if ws is None:
            raise InventoryError(f"{name}: the workbook has no sheet")
        if len(wb.worksheets) > 1:
            notes.append(f"{name}: read the first sheet ({ws.title!r}) only")
        header: list[str] | None = None
        body: list[list[object]] = []
        rows: list[int] = []
        for r, values in enumerate(ws.iter_rows(values_only=True), start=1):
            vals = [_xlsx_cell(v) for v in values[:MAX_COLUMNS + 1]]
            if not any(v is not None and str(v).strip() for v in vals):
                continue
            if header is None:
                header = _header(vals)
                continue
            if len(body) >= MAX_ROWS:
                raise InventoryError(f"{name}: more than {MAX_ROWS} data rows; split the file")
            body.append(vals)
            rows.append(r)
    except InventoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for broken files
        raise InventoryError(f"{name}: the sheet cannot be read ({type(exc).__name__})") from exc
    finally:
        wb.close()
    if header is None:
        raise InventoryError(f"{name}: the first sheet is empty")
    return _frame(header, body, name), rows


def _xlsx_cell(v: object) -> object:
    if v is None or isinstance(v, (bool, int, float, str)):
        return v.strip() or None if isinstance(v, str) else v
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)


def _read_geojson(data: bytes, name: str, notes: list[str]) -> tuple[pd.DataFrame, list[int]]:
    try:
        obj = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise InventoryError(f"{name}: not valid GeoJSON ({type(exc).__name__})") from exc
    if isinstance(obj, dict) and obj.get("type") == "FeatureCollection":
        feats = obj.get("features")
    elif isinstance(obj, dict) and obj.get("type") == "Feature":
        feats = [obj]
    else:
        raise InventoryError(f"{name}: expected a GeoJSON FeatureCollection of points")
    if not isinstance(feats, list):
        raise InventoryError(f"{name}: 'features' is not a list")
    if len(feats) > MAX_ROWS:
        raise InventoryError(f"{name}: more than {MAX_ROWS} features; split the file")
    props_list: list[dict[str, object]] = []
    for f in feats:
        if not isinstance(f, dict):
            raise InventoryError(f"{name}: a feature is not a JSON object")
        props = f.get("properties") or {}
        if not isinstance(props, dict):
            raise InventoryError(f"{name}: a feature's properties are not a JSON object")
        row: dict[str, object] = {str(k)[:100]: _json_cell(v) for k, v in props.items()}
        row[GEOM_LON], row[GEOM_LAT] = _point_xy(f.get("geometry"), notes)
        props_list.append(row)
    cols: list[str] = []
    seen: set[str] = set()
    for row in props_list:
        for k in row:
            if k not in seen and k not in (GEOM_LON, GEOM_LAT):
                seen.add(k)
                cols.append(k)
                if len(cols) > MAX_COLUMNS:
                    raise InventoryError(f"{name}: more than {MAX_COLUMNS} properties")
    cols += [GEOM_LON, GEOM_LAT]
    body = [[row.get(c) for c in cols] for row in props_list]
    return _frame(cols, body, name), list(range(1, len(body) + 1))


def _json_cell(v: object) -> object:
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return json.dumps(v, ensure_ascii=False)[:MAX_CELL_CHARS + 1]


def _point_xy(geom: object, notes: list[str]) -> tuple[object, object]:
    if geom is None:
        return None, None
    if not isinstance(geom, dict) or geom.get("type") != "Point":
        msg = "features whose geometry is not a Point were given no coordinate"
        if msg not in notes:
            notes.append(msg)
        return None, None
    c = geom.get("coordinates")
    if not isinstance(c, list) or len(c) < 2:
        return None, None
    return c[0], c[1]


def _read_gpkg(data: bytes, name: str, notes: list[str]) -> tuple[pd.DataFrame, list[int]]:
    if not data.startswith(b"SQLite format 3\x00"):
        raise InventoryError(f"{name}: not a GeoPackage (SQLite) file")
    with tempfile.TemporaryDirectory(prefix="mm_upload_") as tmp:
        path = os.path.join(tmp, "upload.gpkg")
        with open(path, "wb") as fh:
            fh.write(data)
        try:
            gdf = gpd.read_file(path, engine="pyogrio", max_features=MAX_ROWS + 1)
        except Exception as exc:  # noqa: BLE001 - GDAL raises many types for broken files
            raise InventoryError(f"{name}: the GeoPackage cannot be read "
                                 f"({type(exc).__name__})") from exc
    if len(gdf) > MAX_ROWS:
        raise InventoryError(f"{name}: more than {MAX_ROWS} features; split the file")
    if gdf.crs is not None and not gdf.crs.equals("EPSG:4326") and len(gdf):
        try:
            gdf = gdf.to_crs("EPSG:4326")
            notes.append(f"{name}: reprojected from {gdf.crs.to_string()} to EPSG:4326")
        except Exception as exc:  # noqa: BLE001 - pyproj errors
            raise InventoryError(f"{name}: cannot reproject to EPSG:4326 ({exc})") from exc
    geom = gdf.geometry if "geometry" in gdf else gpd.GeoSeries([None] * len(gdf))
    df = pd.DataFrame(gdf.drop(columns=[geom.name], errors="ignore")).astype(object)
    df = df.where(pd.notna(df), None)
    is_pt = np.asarray(geom.geom_type == "Point") & ~np.asarray(geom.is_empty | geom.isna())
    if (~is_pt & np.asarray(geom.notna())).any():
        notes.append("features whose geometry is not a Point were given no coordinate")
    xs = shapely.get_x(np.asarray(geom, dtype=object)[is_pt]) if is_pt.any() else []
    ys = shapely.get_y(np.asarray(geom, dtype=object)[is_pt]) if is_pt.any() else []
    lon = np.full(len(df), None, dtype=object)
    lat = np.full(len(df), None, dtype=object)
    lon[is_pt], lat[is_pt] = list(xs), list(ys)
    header = _header([str(c) for c in df.columns])
    df.columns = header
    df[GEOM_LON], df[GEOM_LAT] = lon, lat
    return _frame(list(df.columns), df.to_numpy(dtype=object).tolist(), name), \
        list(range(1, len(df) + 1))


def read_upload(data: bytes, filename: str) -> Upload:
    """Read an uploaded inventory file.

    Parameters
    ----------
    data : bytes
        File contents (at most :data:`MAX_UPLOAD_BYTES`).
    filename : str
        Original name; its suffix picks the reader (sniffed when unknown).

    Returns
    -------
    Upload

    Raises
    ------
    InventoryError
        Empty, too large, too many rows or columns, unreadable or unsupported file.
    """
    name = os.path.basename(str(filename or "upload")).strip()[:200] or "upload"
    if not isinstance(data, (bytes, bytearray)) or not data:
        raise InventoryError(f"{name} is empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise InventoryError(f"{name} is {len(data) / 1e6:.1f} MB; the limit is "
                             f"{MAX_UPLOAD_BYTES / 1e6:g} MB")
    data = bytes(data)
    kind = _kind(name, data)
    notes: list[str] = []
    reader = {"csv": _read_csv, "xlsx": _read_xlsx, "geojson": _read_geojson,
              "gpkg": _read_gpkg}[kind]
    try:
        table, rows = reader(data, name, notes)
    except (RecursionError, MemoryError, sqlite3.Error) as exc:
        raise InventoryError(f"{name}: cannot be read ({type(exc).__name__})") from exc
    if table.empty:
        raise InventoryError(f"{name}: no data rows")
    return Upload(name=name, sha256=hashlib.sha256(data).hexdigest(), kind=kind, table=table,
                  rows=tuple(rows), notes=tuple(notes))


# ------------------------------------------------------------------------------------------
# column mapping


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def auto_mapping(columns: Collection[str]) -> dict[str, str | None]:
    """Propose a source column for every schema column.

    Exact schema names win (a file in the project's own schema maps to itself), then the
    spellings in :data:`SYNONYMS`; for geo files without lon/lat columns the point geometry is
    used. Each upload column feeds at most one schema column.

    Returns
    -------
    dict
        Schema column -> upload column, or ``None`` when nothing fits.
    """
    cols = [str(c) for c in columns]
    used: set[str] = set()
    out: dict[str, str | None] = dict.fromkeys(OCCURRENCE_COLUMNS)
    for target in OCCURRENCE_COLUMNS:  # exact names first
        if target in cols:
            out[target] = target
            used.add(target)
    keys = {c: _key(c) for c in cols}
    for target in OCCURRENCE_COLUMNS:
        if out[target] is not None:
            continue
        for syn in SYNONYMS.get(target, ()):
            hit = next((c for c in cols if c not in used and keys[c] == syn), None)
            if hit is not None:
                out[target] = hit
                used.add(hit)
                break
    if out["lon"] is None and out["lat"] is None and GEOM_LON in cols and GEOM_LAT in cols:
        out["lon"], out["lat"] = GEOM_LON, GEOM_LAT
    return out


def check_mapping(mapping: Mapping[str, str | None], columns: Collection[str]) -> dict[str, str | None]:
    """Validate a (steward-edited) mapping; return it complete.

    Raises
    ------
    InventoryError
        Unknown schema column or upload column, one upload column used twice, or ``id``/``name``
        not mapped.
    """
    cols = {str(c) for c in columns}
    out: dict[str, str | None] = dict.fromkeys(OCCURRENCE_COLUMNS)
    for target, source in mapping.items():
        if target not in out:
            raise InventoryError(f"unknown schema column {str(target)[:60]!r}")
        if source is None or source == "":
            continue
        if source not in cols:
            raise InventoryError(f"{target}: the file has no column {str(source)[:60]!r}")
        out[target] = str(source)
    used = [s for s in out.values() if s is not None]
    dup = sorted({s for s in used if used.count(s) > 1})
    if dup:
        raise InventoryError(f"column(s) {', '.join(dup)} mapped to more than one schema column")
    for req in ("id", "name"):
        if out[req] is None:
            raise InventoryError(f"choose the file column that holds the {req} of each row")
    return out


# ------------------------------------------------------------------------------------------
# value parsing

_NUM = re.compile(r"\d+(?:\.\d+)?")
_SEPARATORS = set("°º˚'′’‘\"″”“:;,. DEGMINSECS")


class CoordinateError(ValueError):
    """A coordinate cell cannot be read; the message says why."""


def parse_coordinate(value: object, axis: str) -> float | None:  # noqa: C901
    """Read one coordinate cell: a number, decimal text or degrees-minutes-seconds text.

    Parameters
    ----------
    value : object
        Cell value (``None``/blank means missing).
    axis : {"lon", "lat"}

    Returns
    -------
    float or None
        Decimal degrees (``None`` for a blank cell).

    Raises
    ------
    CoordinateError
        Booleans, NaN/inf, unreadable text, minutes/seconds >= 60, a hemisphere letter of the
        other axis (``E`` in a latitude), or a value outside -180..180 / -90..90.
    """
    limit = 180.0 if axis == "lon" else 90.0
    if value is None:
        return None
    if isinstance(value, bool):
        raise CoordinateError(f"{value!r} is not a coordinate")
    if isinstance(value, (int, float, np.integer, np.floating)):
        try:
            f = float(value)
        except OverflowError:  # an int beyond float range
            raise CoordinateError("the number is far too large for a coordinate") from None
        if not math.isfinite(f):
            raise CoordinateError(f"{str(value)[:40]} is not a finite number")
        return _in_range(f, limit)
    s = str(value).strip().upper()
    if not s:
        return None
    if len(s) > 40:
        raise CoordinateError("text too long for a coordinate")
    hemi = ""
    if s[0] in "NSEW":
        hemi, s = s[0], s[1:].strip()
    if s and s[-1] in "NSEW":
        if hemi:
            raise CoordinateError("two hemisphere letters")
        hemi, s = s[-1], s[:-1].strip()
    sign = 1.0
    if s[:1] in ("-", "+", "−"):
        sign = -1.0 if s[0] != "+" else 1.0
        s = s[1:].strip()
    if hemi:
        allowed = "EW" if axis == "lon" else "NS"
        if hemi not in allowed:
            other = "latitude" if axis == "lon" else "longitude"
            raise CoordinateError(f"hemisphere {hemi} belongs to a {other} (columns swapped?)")
        if hemi in "SW":
            sign = -sign
    if re.fullmatch(r"\d+(?:\.\d+)?|\.\d+", s):
        return _in_range(sign * float(s), limit)
    nums = _NUM.findall(s)
    rest = _NUM.sub(" ", s)
    if not nums or len(nums) > 3 or any(ch not in _SEPARATORS for ch in rest):
        raise CoordinateError(f"{str(value)[:40]!r} is not a coordinate "
                              "(use decimal degrees or e.g. 30°52'53\"N)")
    parts = [float(n) for n in nums]
    if any("." in n for n in nums[:-1]):
        raise CoordinateError("only the last part of degrees-minutes-seconds may have decimals")
    if any(p >= 60 for p in parts[1:]):
        raise CoordinateError("minutes and seconds must be below 60")
    deg = parts[0] + (parts[1] / 60 if len(parts) > 1 else 0) + \
        (parts[2] / 3600 if len(parts) > 2 else 0)
    return _in_range(sign * deg, limit)


def _in_range(f: float, limit: float) -> float:
    if not -limit <= f <= limit:
        raise CoordinateError(f"{f:g} is outside -{limit:g}..{limit:g}")
    return f


def _number(value: object) -> float | None:
    """Plain number cell -> float; None when blank; ValueError otherwise."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("a yes/no value is not a number")
    if isinstance(value, (int, float, np.integer, np.floating)):
        try:
            f = float(value)
        except OverflowError:  # an int beyond float range
            raise ValueError("the number is far too large") from None
    else:
        s = str(value).strip().replace(",", "")
        if not s:
            return None
        if len(s) > 40 or not re.fullmatch(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d{1,3})?", s):
            raise ValueError(f"{str(value)[:40]!r} is not a number")
        f = float(s)
    if not math.isfinite(f):
        raise ValueError("not a finite number")
    return f


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
    return " ".join(str(value).split()) if "\n" in str(value) else str(value).strip()


# ------------------------------------------------------------------------------------------
# validation


@dataclass(frozen=True)
class Report:
    """The validation report of an upload under one mapping.

    Attributes
    ----------
    upload_name, upload_sha256 : str
    rows : pandas.DataFrame
        Candidate rows as text in :data:`OCCURRENCE_COLUMNS` plus ``row`` (file row number).
    problems : pandas.DataFrame
        :data:`PROBLEM_COLUMNS`, one line per problem, sorted by row.
    duplicates : pandas.DataFrame
        :data:`DUPLICATE_COLUMNS`: upload rows that are probably an existing site.
    mapping : dict
        The mapping used.
    notes : tuple of str
        Reading notes of the upload.
    """

    upload_name: str
    upload_sha256: str
    rows: pd.DataFrame
    problems: pd.DataFrame
    duplicates: pd.DataFrame
    mapping: dict[str, str | None] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def error_rows(self) -> list[int]:
        """File row numbers with at least one error."""
        p = self.problems
        return sorted({int(r) for r in p.loc[p["severity"] == "error", "row"]})

    @property
    def ok(self) -> bool:
        """True when no row has an error."""
        return not self.error_rows

    def counts(self) -> dict[str, int]:
        """Problems per severity."""
        vc = self.problems["severity"].value_counts()
        return {s: int(vc.get(s, 0)) for s in SEVERITIES}

    def summary(self) -> str:
        """One sentence: rows read, problems by severity, rows with errors."""
        c = self.counts()
        return (f"{self.upload_name}: {len(self.rows)} rows; {c['error']} error(s) in "
                f"{len(self.error_rows)} row(s), {c['warning']} warning(s), {c['info']} note(s)")

    def to_csv(self) -> bytes:
        """The problems as CSV (UTF-8), cells made safe for spreadsheets."""
        return csv_bytes(self.problems)


def csv_bytes(df: pd.DataFrame) -> bytes:
    """A table as UTF-8 CSV; text cells starting with ``= + - @`` are prefixed with ``'`` so a
    spreadsheet never runs them as formulas."""
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            out[c] = out[c].map(_cell_safe)
    return out.to_csv(index=False).encode("utf-8")


def _cell_safe(v: object) -> object:
    if isinstance(v, str) and v and v[0] in "=+-@\t\r":
        return "'" + v
    return v


def _norm_name(name: str) -> str:
    s = re.sub(r"[^a-z0-9 ]", " ", str(name).lower())
    drop = {"deposit", "deposits", "occurrence", "occurrences", "area", "mine", "mines", "the",
            "prospect", "of", "and"}
    return " ".join(w for w in s.split() if w not in drop)


def similar_names(a: str, b: str) -> bool:
    """Same or similar site names (case, punctuation and words like 'deposit' ignored)."""
    x, y = _norm_name(a), _norm_name(b)
    if not x or not y:
        return False
    if x == y or x in y or y in x:
        return True
    return difflib.SequenceMatcher(None, x[:200], y[:200]).ratio() >= 0.85


def commodity_vocabulary(existing: pd.DataFrame | None = None) -> frozenset[str]:
    """Known commodity labels: element symbols, :data:`COMMODITY_TERMS` and those in use."""
    vocab = set(_ELEMENTS) | set(COMMODITY_TERMS)
    if existing is not None and "commodity" in existing:
        vocab |= {str(v) for v in existing["commodity"] if str(v).strip()}
    return frozenset(vocab)


def _province_lookup(provinces: gpd.GeoDataFrame | None):
    """Return f(lon, lat arrays) -> (inside mask, province name array)."""
    if provinces is None or provinces.empty or "province" not in provinces:
        w, s, e, n = PAKISTAN_EXTENT

        def bbox(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            inside = (lon >= w) & (lon <= e) & (lat >= s) & (lat <= n)
            return inside, np.full(lon.shape, "", dtype=object)
        return bbox, False
    geoms = np.asarray(provinces.geometry.to_crs("EPSG:4326"), dtype=object)
    names = provinces["province"].astype(str).to_numpy(dtype=object)
    tree = shapely.STRtree(geoms)

    def poly(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        inside = np.zeros(lon.shape, dtype=bool)
        prov = np.full(lon.shape, "", dtype=object)
        ok = np.isfinite(lon) & np.isfinite(lat)
        if not ok.any():
            return inside, prov
        idx = np.flatnonzero(ok)
        pts = shapely.points(lon[ok], lat[ok])
        near = tree.query(pts, predicate="dwithin", distance=BORDER_TOLERANCE_DEG)
        for p, g in zip(near[0], near[1], strict=True):
            i = idx[p]
            if not inside[i] or shapely.intersects(geoms[g], pts[p]):
                inside[i] = True
                if prov[i] == "" or shapely.intersects(geoms[g], pts[p]):
                    prov[i] = names[g]
        return inside, prov
    return poly, True


def load_provinces(settings: Settings | None = None) -> gpd.GeoDataFrame | None:
    """Province polygons from the layer cache, or ``None`` when the cache has none (then the
    checks fall back to Pakistan's bounding box)."""
    path = (settings or get_settings()).cache_dir / "provinces.parquet"
    if not path.is_file():
        return None
    try:
        gdf = read_geoparquet(path)
    except Exception:  # noqa: BLE001 - a broken cache falls back to the bounding box
        return None
    return gdf if "province" in gdf and len(gdf) else None


def validate(upload: Upload, mapping: Mapping[str, str | None],  # noqa: C901 - to split
             existing: pd.DataFrame | None = None,
             provinces: gpd.GeoDataFrame | None = None) -> Report:
    """Apply ``mapping`` to ``upload`` and check every row.

    Parameters
    ----------
    upload : Upload
    mapping : Mapping
        Schema column -> upload column (see :func:`auto_mapping`, :func:`check_mapping`).
    existing : pandas.DataFrame, optional
        Rows of the current version (text, :func:`mineralmap.store.records_frame`), for
        probable duplicates, updates by id and the commodity vocabulary.
    provinces : geopandas.GeoDataFrame, optional
        Province polygons (``province`` column); without them "outside Pakistan" uses the
        bounding box :data:`mineralmap.regions.PAKISTAN_EXTENT` and the province check is
        skipped.

    Returns
    -------
    Report

    Raises
    ------
    InventoryError
        The mapping is unusable (see :func:`check_mapping`).
    """
    m = check_mapping(mapping, upload.columns)
    t = upload.table
    n = len(t)
    rownum = np.asarray(upload.rows, dtype=np.int64)
    problems: list[tuple[int, str, str, str, str, str]] = []
    out: dict[str, list[object]] = {}

    def cell(target: str, i: int) -> object:
        src = m[target]
        return None if src is None else t[src].iat[i]

    ids = [_text(cell("id", i))[:200] for i in range(n)]

    def add(i: int, column: str, severity: str, check: str, message: str) -> None:
        problems.append((int(rownum[i]), ids[i], column, severity, check, message))

    for c in OCCURRENCE_COLUMNS:
        if c in ("lon", "lat", "precision_km", "ore_tonnage_t"):
            continue
        vals = []
        for i in range(n):
            v = _text(cell(c, i))
            if len(v) > MAX_CELL_CHARS:
                add(i, c, "error", "too long", f"longer than {MAX_CELL_CHARS} characters")
                v = v[:MAX_CELL_CHARS]
            vals.append(v)
        out[c] = vals
    out["id"] = ids

    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    for i in range(n):
        got: dict[str, float | None] = {}
        unreadable = False
        for axis in ("lon", "lat"):
            try:
                got[axis] = parse_coordinate(cell(axis, i), axis)
            except CoordinateError as exc:
                got[axis] = None
                unreadable = True
                add(i, axis, "error", "unparseable coordinate",
                    f"{axis} cannot be read: {exc}")
        if unreadable:
            continue
        if got["lon"] is None and got["lat"] is None:
            add(i, "lon/lat", "warning", "missing coordinate",
                "no coordinate: the row is kept but not shown on the map")
        elif got["lon"] is None or got["lat"] is None:
            miss = "lon" if got["lon"] is None else "lat"
            add(i, miss, "error", "missing coordinate", f"{miss} is missing (give both or neither)")
        else:
            lon[i], lat[i] = got["lon"], got["lat"]

    lookup, has_polys = _province_lookup(provinces)
    mapped = np.isfinite(lon) & np.isfinite(lat)
    inside, geo_prov = lookup(lon, lat)
    sw_ok = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 90)
    sw_inside, sw_prov = lookup(np.where(sw_ok, lat, np.nan), np.where(sw_ok, lon, np.nan))
    for i in np.flatnonzero(mapped & ~inside):
        if sw_inside[i]:
            where = f" in {sw_prov[i]}" if sw_prov[i] else " in Pakistan"
            add(i, "lon/lat", "error", "lat/lon swapped",
                f"({lon[i]:g}, {lat[i]:g}) lies outside Pakistan; swapped it would lie{where}: "
                "lat/lon probably swapped")
        else:
            add(i, "lon/lat", "error", "outside Pakistan",
                f"({lon[i]:g}, {lat[i]:g}) lies outside Pakistan")

    prov = out["province"]
    for i in range(n):
        if not prov[i]:
            continue
        try:
            canon = canonical_province(prov[i])
        except ValidationError:
            add(i, "province", "error", "unknown province",
                f"unknown province {prov[i][:60]!r}")
            continue
        if canon is None:
            add(i, "province", "error", "unknown province",
                f"{prov[i][:60]!r} is not one of Pakistan's provinces")
            continue
        if canon != prov[i]:
            add(i, "province", "info", "province spelling", f"{prov[i][:60]!r} read as {canon}")
            prov[i] = canon
        if has_polys and inside[i] and geo_prov[i] and geo_prov[i] != canon:
            add(i, "province", "warning", "province mismatch",
                f"stated province {canon} but the point lies in {geo_prov[i]}")

    vocab = commodity_vocabulary(existing)
    lower = {v.lower(): v for v in vocab}
    com = out["commodity"]
    for i in range(n):
        v = com[i]
        if not v:
            add(i, "commodity", "warning", "no commodity", "no primary commodity given")
            continue
        if v in vocab:
            continue
        canon = _COMMODITY_NAMES.get(v.lower()) or lower.get(v.lower())
        if canon:
            add(i, "commodity", "info", "commodity spelling", f"{v[:40]!r} read as {canon}")
            com[i] = canon
        else:
            add(i, "commodity", "error", "unknown commodity",
                f"unknown commodity {v[:40]!r}; use an element symbol (Sb, Cu …) or one of "
                f"{', '.join(COMMODITY_TERMS[:4])} …")

    pre = out["precision"]
    for i in range(n):
        v = pre[i].lower()
        if v in PRECISION_CLASSES:
            pre[i] = v
        elif not v:
            add(i, "precision", "error", "unknown precision class",
                f"precision class missing; one of {', '.join(PRECISION_CLASSES)}")
        else:
            add(i, "precision", "error", "unknown precision class",
                f"unknown precision class {pre[i][:40]!r}; one of {', '.join(PRECISION_CLASSES)}")

    num: dict[str, np.ndarray] = {}
    for c, lo, hi in (("precision_km", 0.0, MAX_PRECISION_KM),
                      ("ore_tonnage_t", 0.0, MAX_ORE_TONNAGE_T)):
        arr = np.full(n, np.nan)
        for i in range(n):
            try:
                f = _number(cell(c, i))
            except ValueError as exc:
                add(i, c, "error", "not a number", f"{c}: {exc}")
                continue
            if f is None:
                continue
            if not lo <= f <= hi:
                add(i, c, "error", "implausible value", f"{c} {f:g} is outside {lo:g}..{hi:g}")
                continue
            arr[i] = f
        num[c] = arr
    pk = num["precision_km"]
    for i in np.flatnonzero(mapped & ~np.isfinite(pk)):
        if not any(p[0] == rownum[i] and p[2] == "precision_km" for p in problems):
            add(i, "precision_km", "error", "missing precision_km",
                "a mapped point needs its uncertainty radius in km")

    for i in range(n):
        if not out["source_title"][i] and not out["source_url"][i]:
            add(i, "source_title", "error", "no source",
                "no source: give the document title and its URL or reference")
        elif not out["source_title"][i]:
            add(i, "source_title", "error", "no source", "source_title is empty")
        elif not out["source_url"][i]:
            add(i, "source_url", "error", "no source", "source_url is empty (URL or reference)")

    idser = pd.Series(ids)
    for i in range(n):
        if not ids[i]:
            add(i, "id", "error", "empty id", "every row needs an id")
    dup = idser.duplicated(keep=False) & (idser != "")
    for i in np.flatnonzero(dup.to_numpy()):
        others = [int(rownum[j]) for j in np.flatnonzero((idser == ids[i]).to_numpy()) if j != i]
        add(i, "id", "error", "duplicate id",
            f"id {ids[i][:60]!r} also on row(s) {', '.join(map(str, others[:8]))}")

    rows = pd.DataFrame({c: pd.Series(out[c], dtype=object) for c in OCCURRENCE_COLUMNS
                         if c in out})
    rows["lon"] = pd.Series([repr(float(x)) if np.isfinite(x) else "" for x in lon], dtype=object)
    rows["lat"] = pd.Series([repr(float(x)) if np.isfinite(x) else "" for x in lat], dtype=object)
    for c in ("precision_km", "ore_tonnage_t"):
        rows[c] = pd.Series([repr(float(x)) if np.isfinite(x) else "" for x in num[c]],
                            dtype=object)
    rows = rows.loc[:, list(OCCURRENCE_COLUMNS)]
    rows["row"] = rownum

    dups = _probable_duplicates(rows, lon, lat, pk, existing)
    if existing is not None and len(existing):
        known = set(existing["id"].astype(str))
        for i in range(n):
            if ids[i] in known:
                add(i, "id", "info", "updates existing row",
                    f"id {ids[i][:60]!r} exists: this row replaces it")
    for _, d in dups.iterrows():
        i = int(np.flatnonzero(rownum == d["row"])[0])
        add(i, "name", "warning", "probable duplicate",
            f"probably the same site as existing {d['existing_id']} ({d['existing_name'][:60]}), "
            f"{d['distance_km']:.1f} km away within {d['radius_km']:g} km: choose update or "
            "keep both")

    prob = pd.DataFrame(problems, columns=list(PROBLEM_COLUMNS))
    sev = {s: k for k, s in enumerate(SEVERITIES)}
    if len(prob):
        prob = prob.assign(_s=prob["severity"].map(sev)).sort_values(
            ["row", "_s"], kind="stable").drop(columns="_s").reset_index(drop=True)
    prob["row"] = prob["row"].astype("int64")
    return Report(upload_name=upload.name, upload_sha256=upload.sha256, rows=rows,
                  problems=prob, duplicates=dups, mapping=dict(m), notes=upload.notes)


def _probable_duplicates(rows: pd.DataFrame, lon: np.ndarray, lat: np.ndarray, pk: np.ndarray,
                         existing: pd.DataFrame | None) -> pd.DataFrame:
    empty = pd.DataFrame(columns=list(DUPLICATE_COLUMNS))
    if existing is None or not len(existing):
        return empty
    ex = existing.reset_index(drop=True)
    elon = pd.to_numeric(ex["lon"].replace("", np.nan), errors="coerce").to_numpy(float)
    elat = pd.to_numeric(ex["lat"].replace("", np.nan), errors="coerce").to_numpy(float)
    epk = pd.to_numeric(ex["precision_km"].replace("", np.nan),
                        errors="coerce").fillna(0.0).to_numpy(float)
    eok = np.isfinite(elon) & np.isfinite(elat)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not eok.any() or not ok.any():
        return empty
    eidx = np.flatnonzero(eok)
    ex_xy = np.column_stack(to_metric(elon[eok], elat[eok]))
    tree = spatial.cKDTree(ex_xy)
    up = np.flatnonzero(ok)
    xy = np.column_stack(to_metric(lon[ok], lat[ok]))
    max_epk = float(epk[eok].max()) if eok.any() else 0.0
    upk = np.nan_to_num(pk, nan=0.0)
    ids = rows["id"].to_numpy(dtype=object)
    names = rows["name"].to_numpy(dtype=object)
    eids = ex["id"].astype(str).to_numpy(dtype=object)
    enames = ex["name"].astype(str).to_numpy(dtype=object)
    found: list[dict[str, object]] = []
    # planar search radius: the largest possible threshold, +10 % and 1 km for projection scale
    radii = (np.maximum(upk[up], max_epk) * 1.1 + 1.0) * 1000.0
    for k, i in enumerate(up):
        cand = tree.query_ball_point(xy[k], r=float(radii[k]))
        if not cand:
            continue
        j = eidx[np.asarray(cand, dtype=np.int64)]
        d = geod_km(lon[i], lat[i], elon[j], elat[j])
        lim = np.maximum(np.maximum(upk[i], epk[j]), 0.5)
        for jj, dd, ll in zip(j, d, lim, strict=True):
            if dd <= ll and eids[jj] != ids[i] and similar_names(names[i], enames[jj]):
                found.append({"row": int(rows["row"].iat[i]), "id": ids[i], "name": names[i],
                              "existing_id": eids[jj], "existing_name": enames[jj],
                              "distance_km": round(float(dd), 3), "radius_km": float(ll)})
    if not found:
        return empty
    return pd.DataFrame(found, columns=list(DUPLICATE_COLUMNS)).sort_values(
        ["row", "distance_km"]).reset_index(drop=True)


# ------------------------------------------------------------------------------------------
# publish plan


@dataclass(frozen=True)
class Plan:
    """What a publish would store.

    Attributes
    ----------
    rows : pandas.DataFrame
        The complete new table (text, :data:`OCCURRENCE_COLUMNS`).
    diff : pandas.DataFrame
        Against the current version (:func:`mineralmap.store.diff_records`).
    excluded : tuple of int
        File rows left out by the steward.
    source_name, source_sha256 : str
    """

    rows: pd.DataFrame
    diff: pd.DataFrame
    excluded: tuple[int, ...]
    source_name: str
    source_sha256: str

    def counts(self) -> dict[str, int]:
        """Rows added, changed, removed."""
        return {k: int((self.diff["change"] == k).sum()) for k in ("added", "changed", "removed")}


def plan_publish(report: Report, existing: pd.DataFrame, *, exclude: Collection[int] = (),
                 same_site: Mapping[int, str] | None = None, mode: str = "merge") -> Plan:
    """Combine the current rows with the upload as the steward decided.

    Parameters
    ----------
    report : Report
    existing : pandas.DataFrame
        Current version's rows (text).
    exclude : collection of int
        File row numbers to leave out.
    same_site : mapping, optional
        File row number -> ``"update"`` (the row replaces the existing site it probably
        duplicates, taking over its id) or ``"keep both"`` (default).
    mode : {"merge", "replace"}
        ``merge``: upload rows are added, or replace the row with the same id; nothing is removed.
        ``replace``: the upload is the complete new table (rows not in it are removed).

    Raises
    ------
    InventoryError
        Rows with errors that are not excluded (listed), an unknown row number or choice, two
        rows updating the same site, or an unknown mode.
    """
    if mode not in ("merge", "replace"):
        raise InventoryError(f"unknown publish mode {mode!r}; use merge or replace")
    excl = {int(r) for r in exclude}
    known_rows = set(int(r) for r in report.rows["row"])
    bad = sorted(excl - known_rows)
    if bad:
        raise InventoryError(f"no row(s) {', '.join(map(str, bad[:8]))} in the file")
    blocking = [r for r in report.error_rows if r not in excl]
    if blocking:
        raise InventoryError(
            f"row(s) {', '.join(map(str, blocking[:12]))}{' …' if len(blocking) > 12 else ''} "
            "have errors: fix the file or exclude them explicitly")
    keep = report.rows.loc[~report.rows["row"].isin(sorted(excl))].copy()
    choices = dict(same_site or {})
    targets: dict[str, int] = {}
    for r, choice in choices.items():
        if choice not in SAME_SITE_CHOICES:
            raise InventoryError(f"row {r}: choose one of {', '.join(SAME_SITE_CHOICES)}")
        if choice != "update" or int(r) in excl:
            continue
        d = report.duplicates.loc[report.duplicates["row"] == int(r)]
        if d.empty:
            raise InventoryError(f"row {r} is not a probable duplicate of an existing row")
        target = str(d["existing_id"].iat[0])
        if target in targets:
            raise InventoryError(f"rows {targets[target]} and {r} both update existing {target}; "
                                 "keep one")
        targets[target] = int(r)
        keep.loc[keep["row"] == int(r), "id"] = target
    dup = keep["id"].duplicated(keep=False)
    if dup.any():
        raise InventoryError("after the updates, id(s) "
                             f"{', '.join(sorted(set(keep.loc[dup, 'id']))[:8])} occur twice")
    new_rows = records_frame(keep.drop(columns="row"))
    old = records_frame(existing) if len(existing) else records_frame(
        pd.DataFrame(columns=list(OCCURRENCE_COLUMNS)))
    if mode == "replace":
        combined = new_rows
    else:
        by_id = new_rows.set_index("id", drop=False)
        kept_old = old.copy()
        hit = kept_old["id"].isin(by_id.index)
        if hit.any():
            kept_old.loc[hit, :] = by_id.loc[kept_old.loc[hit, "id"]].to_numpy(dtype=object)
        fresh = new_rows.loc[~new_rows["id"].isin(old["id"])]
        combined = pd.concat([kept_old, fresh], ignore_index=True)
    return Plan(rows=combined.reset_index(drop=True), diff=diff_records(old, combined),
                excluded=tuple(sorted(excl)), source_name=report.upload_name,
                source_sha256=report.upload_sha256)


__all__ = [
    "DUPLICATE_COLUMNS", "GEOM_LAT", "GEOM_LON", "InventoryError", "MAX_ROWS", "MAX_UPLOAD_BYTES",
    "PROBLEM_COLUMNS", "Plan", "Report", "SAME_SITE_CHOICES", "SYNONYMS", "Upload",
    "auto_mapping", "check_mapping", "commodity_vocabulary", "csv_bytes", "load_provinces",
    "parse_coordinate",
    "plan_publish", "read_upload", "similar_names", "validate",
]
