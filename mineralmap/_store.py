"""Cache plumbing: the cache folder, atomic writes, fingerprints and fingerprinted frame caches.

A leaf module (it imports only :mod:`mineralmap.config` and :mod:`mineralmap.schema` of the
package): :mod:`mineralmap.ingest` writes the layer cache with it and :mod:`mineralmap.catalog`
keeps the enriched occurrences in it. Nothing here knows what a layer or an occurrence is.

Atomic writes go to a temporary file ``.<name>.<random>.tmp`` beside the target (created with
the process umask, like any ordinary file) and are moved into place with :func:`os.replace`; a
reader never sees a half-written file. A crash can leave such a temporary file behind:
:func:`remove_orphan_tmp` deletes old ones.

A *cached frame* is a GeoParquet file with a JSON sidecar (same name, ``.json``) holding the
fingerprint of everything the frame was computed from, its row count and the write time. It is
read back only when the fingerprint matches (:func:`read_cached_frame`).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import secrets
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import shapely
from pyproj import CRS as ProjCRS

from mineralmap.config import get_settings
from mineralmap.schema import CRS

#: File (inside the cache dir) recording per-layer fingerprints, row counts and failures.
MANIFEST_FILE = "manifest.json"
#: Temporary files older than this (seconds) are orphans of a crashed write.
ORPHAN_TMP_AGE_S = 3600.0

#: One shared CRS object: building a pyproj CRS costs ~10-30 ms, so do it once, not per file.
CRS_4326 = ProjCRS.from_user_input(CRS)


def cache_dir() -> Path:
    """Return the cache directory (:attr:`mineralmap.config.Settings.cache_dir`)."""
    return get_settings().cache_dir


# ----------------------------------------------------------------------------------------------
# fingerprints


def sha_text(*parts: str) -> str:
    """SHA-256 hex digest of ``parts`` joined by a unit separator (``\\x1f``)."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def sha_file(path: Path) -> str:
    """SHA-256 hex digest of a file's bytes (streamed).

    Raises
    ------
    OSError
        The file cannot be read.
    """
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def frame_hash(frame: pd.DataFrame) -> str:
    """Content hash of a (small) table; the geometry column is hashed as WKT."""
    df = pd.DataFrame(frame).copy()
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in df:
        df[frame.geometry.name] = frame.geometry.to_wkt()
    return hashlib.sha256(df.to_csv(index=False).encode()).hexdigest()


# ----------------------------------------------------------------------------------------------
# atomic writes


@contextlib.contextmanager
def atomic_target(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success move it into place, else delete it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:  # mode 0o666 minus the umask: an ordinary file, unlike mkstemp's 0o600
            fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
        except FileExistsError:  # pragma: no cover - 48 random bits
            continue
        os.close(fd)
        break
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_parquet_atomic(gdf: pd.DataFrame, path: Path) -> None:
    """Write ``gdf`` as (Geo)Parquet to ``path`` atomically."""
    with atomic_target(path) as tmp:
        gdf.to_parquet(tmp, index=False)


def write_json_atomic(obj: Any, path: Path) -> None:
    """Write ``obj`` as indented, key-sorted JSON to ``path`` atomically."""
    with atomic_target(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, default=str))


def write_bytes_atomic(data: bytes, path: Path) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_target(path) as tmp:
        tmp.write_bytes(data)


def read_json(path: Path) -> Any:
    """Return the JSON content of ``path``, or ``None`` when absent or unreadable."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


def remove_orphan_tmp(folder: Path, older_than_s: float = ORPHAN_TMP_AGE_S) -> int:
    """Delete temporary files of crashed atomic writes (``.*.tmp``) older than ``older_than_s``.

    Returns
    -------
    int
        Number of files removed (a missing folder removes none).
    """
    folder = Path(folder)
    if not folder.is_dir():
        return 0
    now = time.time()
    removed = 0
    for f in folder.glob(".*.tmp"):
        with contextlib.suppress(OSError):
            if f.is_file() and now - f.stat().st_mtime > older_than_s:
                f.unlink()
                removed += 1
    return removed


# ----------------------------------------------------------------------------------------------
# GeoParquet


def read_geoparquet(path: Path | bytes) -> gpd.GeoDataFrame:
    """Read a GeoParquet file (a path, or the file's bytes), fast.

    Equivalent to :func:`geopandas.read_parquet` but, for WKB-encoded EPSG:4326 files, reuses one
    CRS object instead of parsing the file's PROJJSON (which dominates the load time of small
    layers). Other files fall back to :func:`geopandas.read_parquet`.
    """
    if isinstance(path, bytes):
        table = pq.read_table(pa.BufferReader(path))
        source: Path | io.BytesIO = io.BytesIO(path)
    else:
        table = pq.read_table(path)
        source = path
    meta = json.loads((table.schema.metadata or {}).get(b"geo", b"{}"))
    col = meta.get("primary_column")
    info = meta.get("columns", {}).get(col, {}) if col else {}
    crs = info.get("crs", "default")
    crs_id = crs.get("id", {}) if isinstance(crs, dict) else {}
    is_4326 = crs == "default" or (
        str(crs_id.get("authority", "")).upper() in ("EPSG", "OGC")
        and str(crs_id.get("code", "")).upper() in ("4326", "CRS84")
    )
    if not col or info.get("encoding", "").upper() != "WKB" or not is_4326:
        return gpd.read_parquet(source)
    geoms = shapely.from_wkb(table.column(col).to_numpy(zero_copy_only=False))
    df = table.drop_columns([col]).to_pandas()
    df["geometry"] = gpd.array.GeometryArray(geoms, crs=CRS_4326)
    return gpd.GeoDataFrame(df, geometry="geometry")


# ----------------------------------------------------------------------------------------------
# fingerprinted frame caches


def sidecar(path: Path) -> Path:
    """The fingerprint sidecar of a cached frame: ``path`` with the suffix ``.json``."""
    return Path(path).with_suffix(".json")


#: Cached frames up to this size are kept in memory after reading, keyed by the SHA-256 of their
#: bytes (:func:`read_cached_frame`): every CLI command and every test on a small cache reads the
#: same enriched file again; a hash and a copy cost less than a parquet read. Larger ones are
#: read each time (a second copy in memory would cost more than it saves).
SMALL_FRAME_BYTES = 1_000_000
_SMALL_FRAMES_KEEP = 16
_SMALL_FRAMES: dict[str, gpd.GeoDataFrame] = {}
_SMALL_FRAMES_LOCK = threading.Lock()


def _read_frame(path: Path) -> gpd.GeoDataFrame:
    """:func:`read_geoparquet` of ``path``; a small file's frame is a copy of the one read from
    the same bytes before (the bytes hashed are the bytes parsed: a file replaced meanwhile is
    never mistaken for another)."""
    if path.stat().st_size > SMALL_FRAME_BYTES:
        return read_geoparquet(path)
    data = path.read_bytes()
    if len(data) > SMALL_FRAME_BYTES:
        return read_geoparquet(data)
    key = hashlib.sha256(data).hexdigest()
    with _SMALL_FRAMES_LOCK:
        hit = _SMALL_FRAMES.get(key)
    if hit is not None:
        return hit.copy()
    got = read_geoparquet(data)
    with _SMALL_FRAMES_LOCK:
        if len(_SMALL_FRAMES) >= _SMALL_FRAMES_KEEP:
            _SMALL_FRAMES.clear()
        _SMALL_FRAMES[key] = got.copy()
    return got


def read_cached_frame(path: Path, fingerprint: str,
                      columns: Iterable[str] = ()) -> gpd.GeoDataFrame | None:
    """Return the cached frame at ``path`` when its sidecar holds ``fingerprint``.

    Parameters
    ----------
    path : pathlib.Path
        GeoParquet file written by :func:`write_cached_frame`.
    fingerprint : str
        Fingerprint of the inputs the caller would compute the frame from.
    columns : iterable of str
        Columns the frame must have.

    Returns
    -------
    geopandas.GeoDataFrame or None
        ``None`` when the file or sidecar is absent, unreadable, stale (other fingerprint), or
        the frame lacks a column or has another row count than recorded.
    """
    meta = read_json(sidecar(path))
    if not isinstance(meta, dict) or meta.get("fingerprint") != fingerprint:
        return None
    try:
        got = _read_frame(Path(path))
    except Exception:  # absent, truncated or foreign file: recompute
        return None
    if meta.get("rows") != len(got) or any(c not in got.columns for c in columns):
        return None
    return got


def write_cached_frame(path: Path, fingerprint: str, gdf: gpd.GeoDataFrame) -> str | None:
    """Write ``gdf`` to ``path`` with a sidecar holding ``fingerprint``.

    The sidecar is removed first and written last, so a crash in between leaves no sidecar and
    the next read recomputes.

    Returns
    -------
    str or None
        ``None`` on success, else a one-line note (a cache is an optimisation: never an error).
    """
    meta = sidecar(path)
    try:
        meta.unlink(missing_ok=True)
        write_parquet_atomic(gdf, path)
        write_json_atomic({"fingerprint": fingerprint, "rows": len(gdf),
                           "written_at": time.strftime("%Y-%m-%dT%H:%M:%S")}, meta)
    except Exception as exc:  # report, do not fail
        return f"{Path(path).name} not cached ({type(exc).__name__}: {exc})"
    return None


def prune_cached_frames(folder: Path, pattern: str, keep: int) -> int:
    """Keep the ``keep`` most recently written cached frames matching ``pattern``; delete the rest
    (with their sidecars). Returns the number deleted."""
    files = sorted(Path(folder).glob(pattern), key=lambda f: f.stat().st_mtime_ns, reverse=True)
    for f in files[keep:]:
        f.unlink(missing_ok=True)
        sidecar(f).unlink(missing_ok=True)
    return max(0, len(files) - keep)


__all__ = [
    "CRS_4326",
    "MANIFEST_FILE",
    "atomic_target",
    "cache_dir",
    "frame_hash",
    "prune_cached_frames",
    "read_cached_frame",
    "read_geoparquet",
    "read_json",
    "remove_orphan_tmp",
    "sha_file",
    "sha_text",
    "sidecar",
    "write_bytes_atomic",
    "write_cached_frame",
    "write_json_atomic",
    "write_parquet_atomic",
]
