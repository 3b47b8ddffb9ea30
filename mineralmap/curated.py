"""Load and validate the curated, cited fact tables in ``geodata/``.

The tables (``occurrences.csv``, ``ports.csv``, ``border_crossings.csv``, ``dry_ports.csv``)
are built by ``tools/curate_occurrences.py`` and documented in ``geodata/README.md``. Every
loader returns a GeoDataFrame in :data:`mineralmap.schema.CRS` with exactly the schema columns
plus ``geometry``; numeric columns are float, text columns are ``str`` with ``""`` for missing.
Occurrences without a coordinate are kept, with ``geometry`` None.

The tables read from files are validated once per content: every
:func:`mineralmap.catalog.load_layers` asks for the point tables (ports, border crossings, dry
ports) and every new store for ``occurrences.csv``, so the loaders keep the validated frame (and
its content hash) keyed by the file's bytes and :data:`VALIDATION_VERSION`, and hand out copies.
"""

from __future__ import annotations

import hashlib
import io
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from mineralmap._store import frame_hash
from mineralmap.config import get_settings
from mineralmap.errors import SourceError, ValidationError
from mineralmap.schema import (
    CROSSING_COLUMNS,
    CRS,
    DRY_PORT_COLUMNS,
    OCCURRENCE_COLUMNS,
    PORT_COLUMNS,
    PRECISION_CLASSES,
    PROVINCES,
)

_OCC_FLOAT = ("lon", "lat", "precision_km", "ore_tonnage_t")
_PORT_FLOAT = (
    "lon", "lat", "channel_depth_m", "cargo_pier_depth_m", "anchorage_depth_m",
    "max_vessel_draft_m",
)
_POINT_FLOAT = ("lon", "lat")
#: The curated point tables: name -> (schema columns, float columns).
POINT_TABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "ports": (tuple(PORT_COLUMNS), _PORT_FLOAT),
    "border_crossings": (tuple(CROSSING_COLUMNS), _POINT_FLOAT),
    "dry_ports": (tuple(DRY_PORT_COLUMNS), _POINT_FLOAT),
}
#: Bump when the checks or the typing of the curated tables change: it is part of the memo key.
VALIDATION_VERSION = 1
#: Validated tables: (name, version, sha-256 of the file's bytes) -> (frame, frame hash).
_VALIDATED: dict[tuple[str, int, str], tuple[gpd.GeoDataFrame, str]] = {}
_VALIDATED_MAX = 32
_VALIDATED_LOCK = threading.Lock()
#: How many offending ids a message lists before "... and N more".
_MAX_IDS = 8


def geodata_dir() -> Path:
    """Folder of the curated tables (:attr:`mineralmap.config.Settings.geodata_dir`)."""
    return get_settings().geodata_dir


def _default(name: str, path: Path | str | None) -> Path:
    return Path(path) if path is not None else geodata_dir() / f"{name}.csv"


def _read_bytes(path: Path) -> bytes:
    """The bytes of a curated table; SourceError if it is missing or unreadable."""
    if not path.is_file():
        raise SourceError(f"curated table {path} is missing (re-run tools/curate_occurrences.py "
                          "or restore it from git)")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SourceError(f"curated table {path} cannot be read: {exc}") from exc


def _parse_csv(raw: bytes, path: Path) -> pd.DataFrame:
    """Parse a curated CSV as all-text (``""`` for empty cells); SourceError if malformed."""
    try:
        return pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False, na_filter=False,
                           encoding="utf-8")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise SourceError(f"curated table {path} cannot be read as UTF-8 CSV: {exc}") from exc


def _read_csv(path: Path) -> pd.DataFrame:
    """Read a curated CSV as all-text (``""`` for empty cells); SourceError if unreadable."""
    return _parse_csv(_read_bytes(path), path)


def _ids(df: pd.DataFrame, mask: pd.Series | np.ndarray) -> str:
    """Comma-separated ids (or row numbers when ids are blank) of the masked rows."""
    mask = np.asarray(mask, dtype=bool)
    ids = df["id"].astype(str).to_numpy()[mask] if "id" in df.columns else np.array([])
    rows = np.flatnonzero(mask)
    labels = [i if i else f"row {r + 2}" for i, r in zip(ids.tolist(), rows.tolist(), strict=False)]
    if not labels:
        labels = [f"row {r + 2}" for r in rows.tolist()]
    extra = len(labels) - _MAX_IDS
    text = ", ".join(labels[:_MAX_IDS])
    return text + (f" ... and {extra} more" if extra > 0 else "")


#: Up to this many rows a text column is cleaned in one Python pass (:func:`_text`); above it
#: pandas' vectorised string methods are faster.
_SMALL_COLUMN = 2000


def _text(series: pd.Series) -> pd.Series:
    """Text column as str with "" for missing values, whitespace stripped.

    A short column is cleaned in one pass instead of four column copies (a table of a few
    hundred rows, e.g. a steward's upload or a stored version, validates about twice as fast),
    with the same values and dtype as the vectorised path for long ones: bytes decoded, every
    other value through ``str``, and Python's ``str.strip`` and the string dtype's agree on
    every code point (tests/test_curated.py checks both).
    """
    if len(series) > _SMALL_COLUMN:
        s = series.astype(object).where(series.notna(), "")
        return s.astype(str).str.strip()
    vals = series.to_numpy(dtype=object)
    missing = pd.isna(vals).tolist()
    out = ["" if m else (v if isinstance(v, str) else v.decode() if isinstance(v, bytes)
                         else str(v)).strip()
           for v, m in zip(vals.tolist(), missing, strict=True)]
    return pd.Series(out, index=series.index, name=series.name, dtype="str")


def _check_ids(df: pd.DataFrame, source: str) -> None:
    """Every row has a non-empty, unique id."""
    blank_id = df["id"] == ""
    if blank_id.any():
        raise ValidationError(f"{source}: empty id at {_ids(df, blank_id)}")
    dup = df["id"].duplicated(keep=False)
    if dup.any():
        raise ValidationError(f"{source}: duplicate id(s) {_ids(df, dup & ~df['id'].duplicated())}"
                              "; every row needs a unique id")


def _numeric(df: pd.DataFrame, c: str, source: str) -> pd.Series:
    """Column ``c`` as float ("" is NaN); other text is an error naming the rows."""
    raw = df[c]
    txt = _text(raw) if raw.dtype == object or pd.api.types.is_string_dtype(raw) else None
    num = pd.to_numeric(raw.replace("", np.nan) if txt is not None else raw, errors="coerce")
    if txt is not None:
        bad = (txt != "") & num.isna()
        if bad.any():
            raise ValidationError(f"{source}: non-numeric {c} at {_ids(df, bad)} "
                                  f"(values: {', '.join(txt[bad].head(_MAX_IDS))})")
    return num.astype(float)


def _check_lonlat(df: pd.DataFrame, source: str, require_xy: bool) -> np.ndarray:
    """lon/lat both set or both empty, in range; returns the mapped-row mask."""
    lon, lat = df["lon"], df["lat"]
    one = lon.isna() != lat.isna()
    if one.any():
        raise ValidationError(f"{source}: only one of lon/lat set at {_ids(df, one)}; "
                              "give both or neither")
    bad_lon = lon.notna() & ((lon < -180) | (lon > 180))
    if bad_lon.any():
        raise ValidationError(f"{source}: lon outside -180..180 at {_ids(df, bad_lon)}")
    bad_lat = lat.notna() & ((lat < -90) | (lat > 90))
    if bad_lat.any():
        raise ValidationError(f"{source}: lat outside -90..90 at {_ids(df, bad_lat)}")
    mapped = lon.notna().to_numpy() & lat.notna().to_numpy()
    if require_xy and not mapped.all():
        raise ValidationError(f"{source}: lon/lat missing at {_ids(df, ~mapped)}; "
                              "every row of this table needs a coordinate")
    return mapped


def _validate_points(
    df: pd.DataFrame,
    columns: Sequence[str],
    float_cols: Sequence[str],
    source: str,
    *,
    require_xy: bool,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Shared checks; returns the typed frame and the mapped-row mask.

    Raises ValidationError naming ``source``, the row ids and the problem.
    """
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValidationError(f"{source}: missing required column(s) {', '.join(missing)}; "
                              f"expected columns {', '.join(columns)}")
    index = pd.RangeIndex(len(df))
    # one new frame (the caller's is not changed): text columns cleaned, numbers as given
    df = pd.DataFrame({c: (_text(df[c]) if c not in float_cols else df[c]).set_axis(index)
                       for c in columns}, index=index)

    _check_ids(df, source)
    for c in float_cols:
        df[c] = _numeric(df, c, source)
    mapped = _check_lonlat(df, source, require_xy)
    for c in ("source_title", "source_url"):
        empty = df[c] == ""
        if empty.any():
            raise ValidationError(f"{source}: missing {c} at {_ids(df, empty)}; every row must "
                                  "be cited")
    return df, mapped


def _to_gdf(df: pd.DataFrame, mapped: np.ndarray) -> gpd.GeoDataFrame:
    pts = np.asarray(gpd.points_from_xy(df["lon"].fillna(0.0), df["lat"].fillna(0.0)),
                     dtype=object)
    pts[~mapped] = None
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(pts, index=df.index, crs=CRS), crs=CRS)


def validate_occurrences(
    gdf: pd.DataFrame, source: str | Path = "occurrences table"
) -> gpd.GeoDataFrame:
    """Check and type an occurrence table against :data:`~mineralmap.schema.OCCURRENCE_COLUMNS`.

    Parameters
    ----------
    gdf : pandas.DataFrame or geopandas.GeoDataFrame
        Raw (all-text, as read from CSV) or already typed occurrence rows. An existing
        ``geometry`` column is ignored and rebuilt from ``lon``/``lat``.
    source : str or Path
        Name of the file or table, used in error messages.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``OCCURRENCE_COLUMNS`` + ``geometry`` (Point, or None when unmapped), EPSG:4326;
        ``lon``, ``lat``, ``precision_km``, ``ore_tonnage_t`` float; other columns ``str``.

    Raises
    ------
    ValidationError
        Missing columns, empty or duplicate ids, unknown precision class or province,
        non-numeric or out-of-range coordinates, only one of lon/lat, missing
        ``source_title``/``source_url``, ``precision_km`` missing or negative on a mapped row,
        negative ``ore_tonnage_t``. The message names ``source``, the row id(s) and the problem.
    """
    source = str(source)
    df, mapped = _validate_points(gdf, OCCURRENCE_COLUMNS, _OCC_FLOAT, source, require_xy=False)

    bad_prec = ~df["precision"].isin(PRECISION_CLASSES)
    if bad_prec.any():
        vals = ", ".join(sorted(set(df.loc[bad_prec, "precision"])))
        raise ValidationError(f"{source}: unknown precision class ({vals!r}) at "
                              f"{_ids(df, bad_prec)}; allowed: {', '.join(PRECISION_CLASSES)}")
    bad_prov = (df["province"] != "") & ~df["province"].isin(PROVINCES)
    if bad_prov.any():
        vals = ", ".join(sorted(set(df.loc[bad_prov, "province"])))
        raise ValidationError(f"{source}: unknown province ({vals}) at {_ids(df, bad_prov)}; "
                              f"allowed: {', '.join(PROVINCES)} or empty")
    pk = df["precision_km"]
    no_pk = mapped & pk.isna().to_numpy()
    if no_pk.any():
        raise ValidationError(f"{source}: precision_km missing for mapped row(s) "
                              f"{_ids(df, no_pk)}; a mapped point needs its uncertainty in km")
    neg_pk = (pk < 0).to_numpy()
    if neg_pk.any():
        raise ValidationError(f"{source}: negative precision_km at {_ids(df, neg_pk)}")
    neg_t = (df["ore_tonnage_t"] < 0).to_numpy()
    if neg_t.any():
        raise ValidationError(f"{source}: negative ore_tonnage_t at {_ids(df, neg_t)}")
    return _to_gdf(df, mapped)


def _validate_kind(df: pd.DataFrame, source: str) -> None:
    bad = ~df["kind"].isin(("seaport", "minor"))
    if bad.any():
        raise ValidationError(f"{source}: unknown port kind at {_ids(df, bad)}; "
                              "allowed: seaport, minor")


def load_occurrences(path: Path | str | None = None) -> gpd.GeoDataFrame:
    """Load ``geodata/occurrences.csv`` (or ``path``) and validate it.

    Parameters
    ----------
    path : Path or str, optional
        CSV to read; default ``<repo>/geodata/occurrences.csv``.

    Returns
    -------
    geopandas.GeoDataFrame
        All rows, including unmapped ones (geometry None); see :func:`validate_occurrences`.

    Raises
    ------
    SourceError
        The file is missing or unreadable (the message names the path).
    ValidationError
        The table breaks its contract (the message names the path, row ids and problem).
    """
    p = _default("occurrences", path)
    raw = _read_bytes(p)
    return _memo("occurrences", raw, lambda: validate_occurrences(_parse_csv(raw, p), source=p))[0]


def _validated_points(name: str, raw: bytes, p: Path) -> gpd.GeoDataFrame:
    columns, float_cols = POINT_TABLES[name]
    df, mapped = _validate_points(_parse_csv(raw, p), columns, float_cols, str(p),
                                  require_xy=True)
    if name == "ports":
        _validate_kind(df, str(p))
    return _to_gdf(df, mapped)


def load_point_table(name: str, path: Path | str | None = None
                     ) -> tuple[gpd.GeoDataFrame, str]:
    """Load and validate a curated point table, with its content hash.

    The validated frame is kept per file content (sha-256 of the bytes, plus
    :data:`VALIDATION_VERSION`): loading an unchanged file again costs one read and a copy.
    A table that fails validation is not kept (it fails again, with the same message).

    Parameters
    ----------
    name : str
        A key of :data:`POINT_TABLES`: ``"ports"``, ``"border_crossings"`` or ``"dry_ports"``.
    path : Path or str, optional
        CSV to read; default ``<geodata>/<name>.csv``.

    Returns
    -------
    frame : geopandas.GeoDataFrame
        The validated table (a copy the caller may change); see :func:`load_ports`.
    content_hash : str
        :func:`mineralmap._store.frame_hash` of the frame (equal for equal content).

    Raises
    ------
    SourceError
        Missing or unreadable file.
    ValidationError
        The table breaks its contract (see :func:`load_ports`).
    """
    p = _default(name, path)
    raw = _read_bytes(p)
    return _memo(name, raw, lambda: _validated_points(name, raw, p))


def _memo(name: str, raw: bytes, validate: Callable[[], gpd.GeoDataFrame]
          ) -> tuple[gpd.GeoDataFrame, str]:
    """(a copy of the validated table, its content hash), validated once per file content."""
    key = (name, VALIDATION_VERSION, hashlib.sha256(raw).hexdigest())
    hit = _VALIDATED.get(key)
    if hit is None:
        frame = validate()
        hit = (frame, frame_hash(frame))
        with _VALIDATED_LOCK:
            if len(_VALIDATED) >= _VALIDATED_MAX:
                _VALIDATED.clear()
            _VALIDATED[key] = hit
    return hit[0].copy(), hit[1]


def load_ports(path: Path | str | None = None) -> gpd.GeoDataFrame:
    """Load ``geodata/ports.csv``: seaports (WPI) and minor ports (UN/LOCODE town points).

    Parameters
    ----------
    path : Path or str, optional
        CSV to read; default ``<repo>/geodata/ports.csv``.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns :data:`~mineralmap.schema.PORT_COLUMNS` + Point ``geometry``, EPSG:4326;
        coordinates and depths float (NaN when not reported).

    Raises
    ------
    SourceError
        Missing or unreadable file.
    ValidationError
        Missing columns, duplicate ids, bad or missing coordinates, unknown ``kind``,
        uncited rows.
    """
    return load_point_table("ports", path)[0]


def load_border_crossings(path: Path | str | None = None) -> gpd.GeoDataFrame:
    """Load ``geodata/border_crossings.csv`` (UN/LOCODE crossing towns).

    Parameters
    ----------
    path : Path or str, optional
        CSV to read; default ``<repo>/geodata/border_crossings.csv``.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns :data:`~mineralmap.schema.CROSSING_COLUMNS` + Point ``geometry``, EPSG:4326.

    Raises
    ------
    SourceError
        Missing or unreadable file.
    ValidationError
        Missing columns, duplicate ids, bad or missing coordinates, uncited rows.
    """
    return load_point_table("border_crossings", path)[0]


def load_dry_ports(path: Path | str | None = None) -> gpd.GeoDataFrame:
    """Load ``geodata/dry_ports.csv`` (UN/LOCODE inland clearance depots, function 6).

    Parameters
    ----------
    path : Path or str, optional
        CSV to read; default ``<repo>/geodata/dry_ports.csv``.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns :data:`~mineralmap.schema.DRY_PORT_COLUMNS` + Point ``geometry``, EPSG:4326.

    Raises
    ------
    SourceError
        Missing or unreadable file.
    ValidationError
        Missing columns, duplicate ids, bad or missing coordinates, uncited rows.
    """
    return load_point_table("dry_ports", path)[0]
