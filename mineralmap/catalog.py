"""Typed access to every layer: cached bulk layers, curated tables and enriched occurrences.

:func:`load_catalog` is what the app calls (once per :attr:`Catalog.key`). It never fails because
a layer is missing: a missing or failed layer is an empty GeoDataFrame with its schema columns,
and :attr:`Catalog.missing` holds a message for the app's banner.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import shapely
from pyproj import CRS as ProjCRS

from mineralmap.errors import MineralmapError
from mineralmap.ingest import (
    MANIFEST_FILE,
    cache_dir,
    read_manifest,
    write_json_atomic,
    write_parquet_atomic,
)
from mineralmap.schema import CRS, ENRICH_COLUMNS, LAYER_COLUMNS, OCCURRENCE_COLUMNS
from mineralmap.sources import MANIFEST, attributions

#: Enriched occurrence cache (inside the cache dir) and its fingerprint sidecar.
ENRICHED_FILE = "occurrences_enriched.parquet"
ENRICHED_META = "occurrences_enriched.json"
#: Enriched extra occurrences (``MINERALMAP_OCCURRENCES`` / ``MINERALMAP_DEMO_SCALE``): one file
#: pair per set of extras, ``<prefix><hash>.parquet`` / ``.json``, never the curated file above.
EXTRA_ENRICHED_PREFIX = "occurrences_extra_"
#: How many extra-occurrence cache files to keep (older ones are deleted when a new one is written).
EXTRA_ENRICHED_KEEP = 4
#: Bump when the catalog's enrichment caching changes.
ENRICH_CACHE_VERSION = "1"
#: Without these layers enrichment is not attempted (its key columns would be meaningless).
ENRICH_CORE_LAYERS: tuple[str, ...] = ("provinces", "ports", "roads")
#: Message for a layer that was never built.
NOT_BUILT = "not built yet: run `python -m mineralmap data`"

#: One shared CRS object: building a pyproj CRS costs ~10-30 ms, so do it once, not per layer.
_CRS = ProjCRS.from_user_input(CRS)

#: Curated layers: name -> loader name in :mod:`mineralmap.curated`.
_CURATED: dict[str, str] = {
    "ports": "load_ports",
    "border_crossings": "load_border_crossings",
    "dry_ports": "load_dry_ports",
}


@dataclass(frozen=True)
class Catalog:
    """Everything the app shows, loaded once.

    Attributes
    ----------
    layers : Mapping[str, geopandas.GeoDataFrame]
        Every key of :data:`mineralmap.schema.LAYER_COLUMNS`, EPSG:4326; a missing layer is an
        empty frame with its columns.
    missing : Mapping[str, str]
        Layer (or ``"occurrences"`` / ``"enrichment"``) -> message for the app's banner.
    occurrences : geopandas.GeoDataFrame
        Curated occurrences (all rows; unmapped ones have geometry None) plus every column of
        :data:`mineralmap.schema.ENRICH_COLUMNS` (NaN when enrichment is unavailable).
    attributions : list of dict
        Attribution records (see :func:`mineralmap.sources.attributions`) of every source.
    key : str
        Fingerprint of everything loaded; equal keys mean equal content.
    notices : tuple of str
        Sentences the app must show as a banner: extra occurrences (a user inventory or
        synthetic demo points, see :mod:`mineralmap.scale`) are loaded besides the curated table.
    """

    layers: Mapping[str, gpd.GeoDataFrame]
    missing: Mapping[str, str]
    occurrences: gpd.GeoDataFrame
    attributions: list[dict[str, str]] = field(default_factory=list)
    key: str = ""
    notices: tuple[str, ...] = ()

    def layer(self, name: str) -> gpd.GeoDataFrame:
        """Return the layer ``name``.

        Raises
        ------
        KeyError
            ``name`` is not a layer key (the message lists the known ones).
        """
        try:
            return self.layers[name]
        except KeyError:
            raise KeyError(
                f"unknown layer {name!r}; known layers: {', '.join(self.layers)}"
            ) from None


# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------


def empty_layer(name: str) -> gpd.GeoDataFrame:
    """Return an empty EPSG:4326 GeoDataFrame with the columns of layer ``name``."""
    cols = LAYER_COLUMNS[name]
    return gpd.GeoDataFrame(
        {c: pd.Series(dtype=object) for c in cols},
        geometry=gpd.GeoSeries([], crs=_CRS),
        crs=_CRS,
    )


def _empty_occurrences() -> gpd.GeoDataFrame:
    df = pd.DataFrame({c: pd.Series(dtype=object) for c in OCCURRENCE_COLUMNS})
    return _with_empty_enrichment(gpd.GeoDataFrame(df, geometry=gpd.GeoSeries([], crs=_CRS),
                                                   crs=_CRS))


def _with_empty_enrichment(occ: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = occ.copy()
    for c in ENRICH_COLUMNS:
        out[c] = np.nan
    return out


def _frame_hash(gdf: pd.DataFrame) -> str:
    """Content hash of a (small) table, geometry as WKT."""
    df = pd.DataFrame(gdf).copy()
    if isinstance(gdf, gpd.GeoDataFrame) and gdf.geometry.name in df:
        df[gdf.geometry.name] = gdf.geometry.to_wkt()
    return hashlib.sha256(df.to_csv(index=False).encode()).hexdigest()


def _sha(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _conform(gdf: gpd.GeoDataFrame, name: str, origin: str) -> gpd.GeoDataFrame:
    """Check the schema columns and CRS of a loaded layer."""
    missing = [c for c in LAYER_COLUMNS[name] if c not in gdf.columns]
    if missing:
        raise MineralmapError(
            f"{origin} lacks column(s) {', '.join(missing)}: rebuild with "
            "`python -m mineralmap data --force`"
        )
    if gdf.crs is None:
        gdf = gdf.set_crs(_CRS)
    elif gdf.crs is not _CRS and not gdf.crs.equals(_CRS):
        gdf = gdf.to_crs(_CRS)
    return gdf


def read_geoparquet(path: Path) -> gpd.GeoDataFrame:
    """Read a GeoParquet file written by :mod:`mineralmap.ingest`, fast.

    Equivalent to :func:`geopandas.read_parquet` but, for WKB-encoded EPSG:4326 files, reuses one
    CRS object instead of parsing the file's PROJJSON (which dominates the load time of small
    layers). Other files fall back to :func:`geopandas.read_parquet`.
    """
    table = pq.read_table(path)
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
        return gpd.read_parquet(path)
    geoms = shapely.from_wkb(table.column(col).to_numpy(zero_copy_only=False))
    df = table.drop_columns([col]).to_pandas()
    df["geometry"] = gpd.array.GeometryArray(geoms, crs=_CRS)
    return gpd.GeoDataFrame(df, geometry="geometry")


# ----------------------------------------------------------------------------------------------
# layers
# ----------------------------------------------------------------------------------------------


def _load_layers(cache: Path) -> tuple[dict[str, gpd.GeoDataFrame], dict[str, str],
                                       dict[str, str]]:
    """Load every layer; returns (layers, missing, fingerprints)."""
    manifest = read_manifest(cache)
    entries = manifest.get("layers", {})
    layers: dict[str, gpd.GeoDataFrame] = {}
    missing: dict[str, str] = {}
    prints: dict[str, str] = {}
    curated_mod = None
    curated_err = None
    if any(n in _CURATED for n in LAYER_COLUMNS):
        try:
            from mineralmap import curated as curated_mod
        except ImportError as exc:
            curated_err = f"curated tables unavailable ({exc})"
    for name in LAYER_COLUMNS:
        if name in _CURATED:
            if curated_mod is None:
                layers[name], missing[name], prints[name] = empty_layer(name), str(curated_err), ""
                continue
            try:
                gdf = getattr(curated_mod, _CURATED[name])()
                gdf = _conform(gdf, name, f"curated table {name}")
            except MineralmapError as exc:
                layers[name], missing[name], prints[name] = empty_layer(name), str(exc), "error"
                continue
            layers[name], prints[name] = gdf, "curated:" + _frame_hash(gdf)
            continue
        path = cache / f"{name}.parquet"
        entry = entries.get(name, {})
        if not path.is_file():
            layers[name] = empty_layer(name)
            err = entry.get("error") if entry.get("status") == "failed" else None
            missing[name] = err or NOT_BUILT
            prints[name] = "missing"
            continue
        try:
            gdf = _conform(read_geoparquet(path), name, f"cache file {path}")
        except MineralmapError as exc:
            layers[name], missing[name], prints[name] = empty_layer(name), str(exc), "error"
            continue
        except Exception as exc:  # unreadable parquet (truncated, foreign file)
            layers[name] = empty_layer(name)
            missing[name] = (
                f"cache file {path} is unreadable ({type(exc).__name__}: {exc}); rebuild with "
                "`python -m mineralmap data --force`"
            )
            prints[name] = "error"
            continue
        layers[name] = gdf
        st = path.stat()
        prints[name] = f"{entry.get('fingerprint', 'nofp')}:{st.st_size}:{st.st_mtime_ns}"
    return layers, missing, prints


def load_layers(cache: Path | None = None) -> tuple[dict[str, gpd.GeoDataFrame], dict[str, str]]:
    """Load every layer of :data:`mineralmap.schema.LAYER_COLUMNS`.

    Bulk layers come from ``<cache>/<layer>.parquet`` (built by
    :func:`mineralmap.ingest.build_cache`); ports, border crossings and dry ports from the curated
    tables (:mod:`mineralmap.curated`).

    Parameters
    ----------
    cache : pathlib.Path, optional
        Cache directory; default :func:`mineralmap.ingest.cache_dir`.

    Returns
    -------
    layers : dict
        Layer -> EPSG:4326 GeoDataFrame (empty, with its columns, when unavailable).
    missing : dict
        Layer -> message: ``"not built yet: run `python -m mineralmap data`"`` or the failure
        recorded by the last build.
    """
    layers, missing, _ = _load_layers(Path(cache) if cache is not None else cache_dir())
    return layers, missing


# ----------------------------------------------------------------------------------------------
# occurrences and enrichment
# ----------------------------------------------------------------------------------------------


def _enrich_code_version(enrich_fn: Callable[..., Any]) -> str:
    """Hash of the enrichment code (its module and :mod:`mineralmap.network`)."""
    h = hashlib.sha256(ENRICH_CACHE_VERSION.encode())
    mod = inspect.getmodule(enrich_fn)
    h.update(str(getattr(mod, "ENRICH_VERSION", "")).encode())
    files = []
    if mod is not None and getattr(mod, "__file__", None):
        files.append(Path(mod.__file__))
        files.append(Path(mod.__file__).with_name("network.py"))
    for f in files:
        if f.is_file():
            h.update(f.read_bytes())
    if not files:  # a function without a source file (tests): its identity
        h.update(repr(enrich_fn).encode())
    return h.hexdigest()


def _read_enriched(cache: Path, fingerprint: str, occ: gpd.GeoDataFrame
                   ) -> gpd.GeoDataFrame | None:
    meta = cache / ENRICHED_META
    path = cache / ENRICHED_FILE
    try:
        if json.loads(meta.read_text()).get("fingerprint") != fingerprint:
            return None
        got = read_geoparquet(path)
    except Exception:  # absent, stale or unreadable: recompute
        return None
    want = list(occ.columns) + [c for c in ENRICH_COLUMNS if c not in occ.columns]
    if len(got) != len(occ) or any(c not in got.columns for c in want):
        return None
    return got


def _write_enriched(cache: Path, fingerprint: str, gdf: gpd.GeoDataFrame) -> str | None:
    try:
        cache.mkdir(parents=True, exist_ok=True)
        (cache / ENRICHED_META).unlink(missing_ok=True)  # invalidate first, then replace
        write_parquet_atomic(gdf, cache / ENRICHED_FILE)
        meta = {"fingerprint": fingerprint, "rows": len(gdf),
                "written_at": time.strftime("%Y-%m-%dT%H:%M:%S")}
        write_json_atomic(meta, cache / ENRICHED_META)
    except Exception as exc:  # cache is an optimisation: report, do not fail
        return f"enriched cache not written ({type(exc).__name__}: {exc})"
    return None


def _enrich(occ: gpd.GeoDataFrame, layers: Mapping[str, gpd.GeoDataFrame],
            missing: dict[str, str], prints: Mapping[str, str], occ_print: str,
            cache: Path) -> tuple[gpd.GeoDataFrame, str]:
    """Return (occurrences + ENRICH_COLUMNS, status) and set ``missing["enrichment"]``."""
    try:
        from mineralmap.enrich import enrich as enrich_fn
    except ImportError as exc:
        missing["enrichment"] = f"enrichment unavailable ({exc})"
        return _with_empty_enrichment(occ), "failed"
    core = [n for n in ENRICH_CORE_LAYERS if n in missing]
    if core:
        missing["enrichment"] = (
            f"distances not computed: layer(s) {', '.join(core)} unavailable "
            f"({'; '.join(f'{n}: {missing[n]}' for n in core)})"
        )
        return _with_empty_enrichment(occ), "failed"
    fp = _sha(occ_print, _enrich_code_version(enrich_fn),
              *(f"{k}={prints[k]}" for k in sorted(prints)))
    cached = _read_enriched(cache, fp, occ)
    status = "up to date"
    if cached is None:
        try:
            cached = enrich_fn(occ, layers)
            missing_cols = [c for c in ENRICH_COLUMNS if c not in cached.columns]
            if missing_cols:
                raise MineralmapError(f"enrich() did not return {', '.join(missing_cols)}")
        except Exception as exc:  # enrichment must never stop the app from loading
            missing["enrichment"] = (
                f"distances not computed: enrichment failed ({type(exc).__name__}: {exc})"
            )
            return _with_empty_enrichment(occ), "failed"
        status = "built"
        note = _write_enriched(cache, fp, cached)
        if note:
            missing["enrichment"] = note
    partial = [n for n in layers if n in missing and n not in ENRICH_CORE_LAYERS]
    if partial and "enrichment" not in missing:
        missing["enrichment"] = (
            f"computed without layer(s) {', '.join(partial)}: their distance columns are empty"
        )
    return cached, status


def _extra_paths(cache: Path, extra_print: str) -> tuple[Path, Path]:
    tag = _sha("extra", extra_print)[:16]
    return (cache / f"{EXTRA_ENRICHED_PREFIX}{tag}.parquet",
            cache / f"{EXTRA_ENRICHED_PREFIX}{tag}.json")


def _read_extra(path: Path, meta: Path, fingerprint: str) -> gpd.GeoDataFrame | None:
    try:
        info = json.loads(meta.read_text())
        if info.get("fingerprint") != fingerprint:
            return None
        got = read_geoparquet(path)
    except Exception:  # absent, stale or unreadable: recompute
        return None
    want = [*OCCURRENCE_COLUMNS, *ENRICH_COLUMNS]
    if len(got) != info.get("rows") or any(c not in got.columns for c in want):
        return None
    return got


def _write_extra(path: Path, meta: Path, fingerprint: str, gdf: gpd.GeoDataFrame) -> str | None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        meta.unlink(missing_ok=True)
        write_parquet_atomic(gdf, path)
        write_json_atomic({"fingerprint": fingerprint, "rows": len(gdf),
                           "written_at": time.strftime("%Y-%m-%dT%H:%M:%S")}, meta)
        old = sorted(path.parent.glob(f"{EXTRA_ENRICHED_PREFIX}*.parquet"),
                     key=lambda f: f.stat().st_mtime_ns, reverse=True)[EXTRA_ENRICHED_KEEP:]
        for f in old:  # keep the cache dir bounded: drop the least recently written sets
            f.unlink(missing_ok=True)
            f.with_suffix(".json").unlink(missing_ok=True)
    except Exception as exc:  # cache is an optimisation: report, do not fail
        return f"enriched extra occurrences not cached ({type(exc).__name__}: {exc})"
    return None


def _extra_sources(layers: Mapping[str, gpd.GeoDataFrame], missing: dict[str, str],
                   prints: Mapping[str, str]) -> tuple[Path | None, int, str]:
    """Read the extra-occurrence settings: (inventory path, demo N, fingerprint of both)."""
    from mineralmap import scale

    try:
        n = scale.demo_scale_from_env()
    except MineralmapError as exc:
        missing["demo_scale"] = f"synthetic demo points not added: {exc}"
        n = 0
    raw = os.environ.get(scale.INVENTORY_ENV, "").strip()
    inv = Path(raw).expanduser().resolve() if raw else None
    parts = []
    if inv is not None:
        parts.append(f"inv:{inv}:{scale.inventory_fingerprint(inv)}")
    if n:
        code = Path(scale.__file__).read_bytes() if getattr(scale, "__file__", None) else b""
        parts.append(f"syn:{n}:seed0:{scale.SYNTHETIC_VERSION}:{hashlib.sha256(code).hexdigest()}"
                     f":{prints.get('provinces', '')}:{prints.get('districts', '')}")
    return inv, n, "|".join(parts)


def _load_extra(inv: Path | None, n: int, layers: Mapping[str, gpd.GeoDataFrame],
                missing: dict[str, str], curated_ids: pd.Index) -> gpd.GeoDataFrame | None:
    """Inventory rows + synthetic rows (curated schema), ids unique among all occurrences."""
    from mineralmap import scale

    parts: list[gpd.GeoDataFrame] = []
    if inv is not None:
        try:
            got = scale.load_inventory(inv)
            dup = got["id"].isin(curated_ids)
            if n:
                dup |= got["id"].str.startswith(scale.SYNTHETIC_PREFIX)
            if dup.any():
                ids = ", ".join(got.loc[dup, "id"].head(8))
                raise MineralmapError(
                    f"inventory {inv}: id(s) {ids}{' ...' if dup.sum() > 8 else ''} already used "
                    f"by the curated table (or reserved for synthetic points, "
                    f"{scale.SYNTHETIC_PREFIX}...); give every row a unique id")
            parts.append(got)
        except MineralmapError as exc:
            missing["inventory"] = f"inventory not loaded ({scale.INVENTORY_ENV}): {exc}"
    if n:
        try:
            parts.append(scale.synthetic_occurrences(n, layers, seed=0))
        except MineralmapError as exc:
            missing["demo_scale"] = f"synthetic demo points not added: {exc}"
    if not parts:
        return None
    out = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    return gpd.GeoDataFrame(out, geometry="geometry", crs=_CRS)


def _extras(cache: Path, layers: Mapping[str, gpd.GeoDataFrame], missing: dict[str, str],
            prints: Mapping[str, str], curated_ids: pd.Index, enrich: bool,
            ) -> tuple[gpd.GeoDataFrame | None, str]:
    """Extra occurrences (enriched and cached by fingerprint when ``enrich``) and their print."""
    inv, n, extra_print = _extra_sources(layers, missing, prints)
    if not extra_print:
        return None, ""
    if not enrich:
        extra = _load_extra(inv, n, layers, missing, curated_ids)
        return (None if extra is None else _with_empty_enrichment(extra)), extra_print
    try:
        from mineralmap.enrich import enrich as enrich_fn
    except ImportError:
        enrich_fn = None
    core_ok = enrich_fn is not None and not any(c in missing for c in ENRICH_CORE_LAYERS)
    fp = _sha(extra_print, _enrich_code_version(enrich_fn) if core_ok else "none",
              *(f"{k}={prints[k]}" for k in sorted(prints)))
    path, meta = _extra_paths(cache, extra_print)
    cached = _read_extra(path, meta, fp) if core_ok else None
    if cached is not None:
        clash = cached["id"].isin(curated_ids)
        if not clash.any():
            return cached, extra_print
    extra = _load_extra(inv, n, layers, missing, curated_ids)
    if extra is None:
        return None, extra_print
    if not core_ok:
        return _with_empty_enrichment(extra), extra_print
    try:
        enriched = enrich_fn(extra, layers)
    except Exception as exc:  # enrichment must never stop the app from loading
        missing["enrichment"] = (f"distances of the extra occurrences not computed "
                                 f"({type(exc).__name__}: {exc})")
        return _with_empty_enrichment(extra), extra_print
    note = _write_extra(path, meta, fp, enriched)
    if note:
        missing["enrichment"] = note
    return enriched, extra_print


def _notices(occ: gpd.GeoDataFrame, n_curated: int) -> tuple[str, ...]:
    """Banner sentences for extra occurrences (by ``source_title`` of the synthetic rows)."""
    from mineralmap import scale

    extra = occ.iloc[n_curated:]
    if extra.empty:
        return ()
    syn = int((extra["source_title"] == scale.SYNTHETIC_TITLE).sum())
    inv = len(extra) - syn
    out = []
    if inv:
        path = os.environ.get(scale.INVENTORY_ENV, "").strip()
        out.append(f"{inv:,} occurrences from the inventory file {path} ({scale.INVENTORY_ENV}) "
                   f"are shown in addition to the {n_curated:,} curated occurrences; they are "
                   "not part of the cited, curated table.")
    if syn:
        out.append(f"{syn:,} SYNTHETIC demo points (not real data: random places, ids "
                   f"{scale.SYNTHETIC_PREFIX}…) are shown in addition to the {n_curated:,} "
                   f"curated occurrences, because {scale.DEMO_SCALE_ENV}={syn} is set. Unset it "
                   "to see the real data only.")
    return tuple(out)


def _load(cache: Path | None, enrich: bool) -> tuple[Catalog, str]:
    """Load the catalog; also return the enrichment status (built / up to date / failed)."""
    cache = Path(cache) if cache is not None else cache_dir()
    layers, missing, prints = _load_layers(cache)
    try:
        from mineralmap import curated

        occ = curated.load_occurrences()
        occ_print = "occ:" + _frame_hash(occ)
    except (ImportError, MineralmapError) as exc:
        missing["occurrences"] = f"occurrence table unavailable: {exc}"
        occ, occ_print = _empty_occurrences().drop(columns=list(ENRICH_COLUMNS)), "occ:missing"
    status = "skipped"
    if enrich:
        occ, status = _enrich(occ, layers, missing, prints, occ_print, cache)
    else:
        occ = _with_empty_enrichment(occ)
    n_curated = len(occ)
    extra, extra_print = _extras(cache, layers, missing, prints,
                                 pd.Index(occ["id"].astype(str)), enrich)
    if extra is not None and len(extra):
        occ = gpd.GeoDataFrame(pd.concat([occ, extra], ignore_index=True),
                               geometry="geometry", crs=_CRS)
    names = [n for n in MANIFEST if n in LAYER_COLUMNS or n == "occurrences"]
    key = _sha(occ_print, extra_print, str(enrich), status if status == "failed" else "ok",
               *(f"{k}={prints[k]}" for k in sorted(prints)),
               *(f"{k}!{v}" for k, v in sorted(missing.items())))
    cat = Catalog(
        layers=layers,
        missing=missing,
        occurrences=occ,
        attributions=attributions(names),
        key=key,
        notices=_notices(occ, n_curated),
    )
    return cat, status


def load_catalog(cache: Path | None = None, enrich: bool = True) -> Catalog:
    """Load layers, curated tables and (enriched) occurrences.

    Parameters
    ----------
    cache : pathlib.Path, optional
        Cache directory; default :func:`mineralmap.ingest.cache_dir`.
    enrich : bool
        Add the enrichment columns: read ``<cache>/occurrences_enriched.parquet`` when its
        fingerprint (occurrence table, layer fingerprints, enrichment code) matches, else compute
        them with :func:`mineralmap.enrich.enrich` and cache them. With ``False`` (or when
        enrichment fails) the columns are present but NaN.

    Notes
    -----
    Extra occurrences are appended after the curated rows (ids must stay unique):
    ``$MINERALMAP_OCCURRENCES`` names an inventory file (:func:`mineralmap.scale.load_inventory`)
    and ``$MINERALMAP_DEMO_SCALE=N`` adds N synthetic demo points
    (:func:`mineralmap.scale.synthetic_occurrences`). Their enrichment is cached in
    ``<cache>/occurrences_extra_<hash>.parquet`` keyed by the inventory's content, N, the layer
    fingerprints and the enrichment code; the curated cache file is never touched. A bad
    inventory or N is reported in :attr:`Catalog.missing` (``"inventory"``, ``"demo_scale"``);
    loaded extras are announced in :attr:`Catalog.notices`.

    Returns
    -------
    Catalog
        Never raises for a missing layer; see :attr:`Catalog.missing`.
    """
    return _load(cache, enrich)[0]


__all__ = [
    "Catalog",
    "ENRICHED_FILE",
    "EXTRA_ENRICHED_PREFIX",
    "MANIFEST_FILE",
    "NOT_BUILT",
    "empty_layer",
    "read_geoparquet",
    "load_catalog",
    "load_layers",
]
