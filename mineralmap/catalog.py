"""Typed access to every layer: cached bulk layers, curated tables and enriched occurrences.

:func:`load_catalog` is what the app calls (once per :attr:`Catalog.key`). It never fails because
a layer is missing: a missing or failed layer is an empty GeoDataFrame with its schema columns,
and :attr:`Catalog.missing` holds a message for the app's banner.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from mineralmap import curated, ingest, pgstore, postgis, scale
from mineralmap import enrich as enrich_mod
from mineralmap._store import (
    CRS_4326,
    MANIFEST_FILE,
    cache_dir,
    prune_cached_frames,
    read_cached_frame,
    read_geoparquet,
    sha_text,
    write_cached_frame,
)
from mineralmap.config import Settings, get_settings
from mineralmap.errors import MineralmapError
from mineralmap.network import Networks
from mineralmap.schema import ENRICH_COLUMNS, LAYER_COLUMNS, OCCURRENCE_COLUMNS
from mineralmap.sources import MANIFEST, attributions
from mineralmap.store import DATASET_ATTR, VersionInfo, open_store

#: Enriched occurrence cache (inside the cache dir); its fingerprint sidecar is the same name
#: with ``.json`` (:func:`mineralmap._store.sidecar`).
ENRICHED_FILE = "occurrences_enriched.parquet"
#: Enriched extra occurrences (``MINERALMAP_OCCURRENCES`` / ``MINERALMAP_DEMO_SCALE``): one file
#: pair per set of extras, ``<prefix><hash>.parquet`` / ``.json``, never the curated file above.
EXTRA_ENRICHED_PREFIX = "occurrences_extra_"
#: How many extra-occurrence cache files to keep (older ones are deleted when a new one is written).
EXTRA_ENRICHED_KEEP = 4
#: Without these layers enrichment is not attempted (its key columns would be meaningless).
ENRICH_CORE_LAYERS: tuple[str, ...] = ("provinces", "ports", "roads")
#: Message for a layer that was never built.
NOT_BUILT = "not built yet: run `python -m mineralmap data`"

#: Curated layers (:data:`mineralmap.curated.POINT_TABLES`): loaded from ``geodata/``, not the cache.
_CURATED: frozenset[str] = frozenset(curated.POINT_TABLES)


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
    dataset_version : mineralmap.store.VersionInfo or None
        The published dataset version the occurrences come from (:mod:`mineralmap.store`);
        None when the store could not be read (then ``missing["occurrences"]`` says why).
    """

    layers: Mapping[str, gpd.GeoDataFrame]
    missing: Mapping[str, str]
    occurrences: gpd.GeoDataFrame
    attributions: list[dict[str, str]] = field(default_factory=list)
    key: str = ""
    notices: tuple[str, ...] = ()
    dataset_version: VersionInfo | None = None

    @property
    def dataset_label(self) -> str:
        """One line naming the dataset version shown (for pages, exports and the CLI)."""
        if self.dataset_version is None:
            return "dataset version: unavailable"
        return f"dataset version {self.dataset_version.label}"

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
        geometry=gpd.GeoSeries([], crs=CRS_4326),
        crs=CRS_4326,
    )


def _empty_occurrences() -> gpd.GeoDataFrame:
    df = pd.DataFrame({c: pd.Series(dtype=object) for c in OCCURRENCE_COLUMNS})
    return _with_empty_enrichment(gpd.GeoDataFrame(df, geometry=gpd.GeoSeries([], crs=CRS_4326),
                                                   crs=CRS_4326))


def _with_empty_enrichment(occ: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = occ.copy()
    for c in ENRICH_COLUMNS:
        out[c] = np.nan
    return out


def _conform(gdf: gpd.GeoDataFrame, name: str, origin: str) -> gpd.GeoDataFrame:
    """Check the schema columns and CRS of a loaded layer."""
    missing = [c for c in LAYER_COLUMNS[name] if c not in gdf.columns]
    if missing:
        raise MineralmapError(
            f"{origin} lacks column(s) {', '.join(missing)}: rebuild with "
            "`python -m mineralmap data --force`"
        )
    if gdf.crs is None:
        gdf = gdf.set_crs(CRS_4326)
    elif gdf.crs is not CRS_4326 and not gdf.crs.equals(CRS_4326):
        gdf = gdf.to_crs(CRS_4326)
    return gdf


# ----------------------------------------------------------------------------------------------
# layers
# ----------------------------------------------------------------------------------------------


def _load_layers(cache: Path) -> tuple[dict[str, gpd.GeoDataFrame], dict[str, str],
                                       dict[str, str], str | None]:
    """Load every layer; returns (layers, missing, fingerprints, content key).

    The content key names the content of every layer (:func:`_indexes`); None when a layer is
    too large to be named by its bytes cheaply (:data:`SMALL_LAYER_BYTES`).
    """
    entries = ingest.read_manifest(cache).get("layers", {})
    layers: dict[str, gpd.GeoDataFrame] = {}
    missing: dict[str, str] = {}
    prints: dict[str, str] = {}
    contents: list[str] = []
    for name in LAYER_COLUMNS:
        if name in _CURATED:
            gdf, msg, prints[name] = _curated_layer(name)
            content: str | None = prints[name]
        else:
            gdf, msg, prints[name], content = _cached_layer(cache, name, entries.get(name, {}))
        layers[name] = gdf
        if msg is not None:
            missing[name] = msg
        contents.append(f"{name}={content}" if content is not None else "")
    key = None if "" in contents else sha_text("layers", *contents)
    return layers, missing, prints, key


def _curated_layer(name: str) -> tuple[gpd.GeoDataFrame, str | None, str]:
    """(layer, message or None, fingerprint) of a curated table."""
    try:
        table, content_hash = curated.load_point_table(name)
        gdf = _conform(table, name, f"curated table {name}")
    except MineralmapError as exc:
        return empty_layer(name), str(exc), "error"
    return gdf, None, "curated:" + content_hash


#: Layer files up to this size are kept in memory after reading (:data:`_SMALL_LAYERS`), keyed by
#: their content (SHA-256 of the file's bytes): loading the catalog again (every CLI command,
#: every test on a toy cache) then costs a hash and a copy instead of a parquet read. Larger
#: layers are read each time (the app keeps its catalog; a second copy would cost memory).
SMALL_LAYER_BYTES = 1_000_000
_SMALL_LAYERS_KEEP = 64
_SMALL_LAYERS: dict[tuple[str, str], gpd.GeoDataFrame] = {}
_SMALL_LAYERS_LOCK = threading.Lock()


def _small_file_key(path: Path, name: str) -> tuple[str, str] | None:
    if path.stat().st_size > SMALL_LAYER_BYTES:
        return None
    data = path.read_bytes()
    return (name, hashlib.sha256(data).hexdigest()) if len(data) <= SMALL_LAYER_BYTES else None


def _read_layer(path: Path, name: str) -> tuple[gpd.GeoDataFrame, str | None]:
    """The conformed layer of ``path`` and, for a small file, the SHA-256 of the bytes it was
    read from; a small file's layer comes from :data:`_SMALL_LAYERS` when a file with the same
    bytes was read before."""
    key = _small_file_key(path, name)
    if key is not None:
        with _SMALL_LAYERS_LOCK:
            hit = _SMALL_LAYERS.get(key)
        if hit is not None:
            return hit.copy(), key[1]
    gdf = _conform(read_geoparquet(path), name, f"cache file {path}")
    if key is not None and _small_file_key(path, name) == key:  # not replaced while read
        with _SMALL_LAYERS_LOCK:
            if len(_SMALL_LAYERS) >= _SMALL_LAYERS_KEEP:
                _SMALL_LAYERS.clear()
            _SMALL_LAYERS[key] = gdf.copy()
        return gdf, key[1]
    return gdf, None


def _cached_layer(cache: Path, name: str, entry: Mapping[str, object]
                  ) -> tuple[gpd.GeoDataFrame, str | None, str, str | None]:
    """(layer, message or None, fingerprint, content) of a bulk layer in the cache; content
    names what the layer holds (``sha256:…`` of a small file's bytes, ``missing`` for an empty
    layer), None when unknown (a large file)."""
    path = cache / f"{name}.parquet"
    if not path.is_file():
        err = entry.get("error") if entry.get("status") == "failed" else None
        return empty_layer(name), str(err or NOT_BUILT), "missing", "missing"
    try:
        gdf, sha = _read_layer(path, name)
    except MineralmapError as exc:
        return empty_layer(name), str(exc), "error", "missing"
    except Exception as exc:  # unreadable parquet (truncated, foreign file)
        return empty_layer(name), (
            f"cache file {path} is unreadable ({type(exc).__name__}: {exc}); rebuild with "
            "`python -m mineralmap data --force`"), "error", "missing"
    st = path.stat()
    return (gdf, None, f"{entry.get('fingerprint', 'nofp')}:{st.st_size}:{st.st_mtime_ns}",
            None if sha is None else f"sha256:{sha}")


def load_layers(cache: Path | None = None) -> tuple[dict[str, gpd.GeoDataFrame], dict[str, str]]:
    """Load every layer of :data:`mineralmap.schema.LAYER_COLUMNS`.

    Bulk layers come from ``<cache>/<layer>.parquet`` (built by
    :func:`mineralmap.ingest.build_cache`); ports, border crossings and dry ports from the curated
    tables (:mod:`mineralmap.curated`).

    Parameters
    ----------
    cache : pathlib.Path, optional
        Cache directory; default :attr:`mineralmap.config.Settings.cache_dir`.

    Returns
    -------
    layers : dict
        Layer -> EPSG:4326 GeoDataFrame (empty, with its columns, when unavailable).
    missing : dict
        Layer -> message: ``"not built yet: run `python -m mineralmap data`"`` or the failure
        recorded by the last build.
    """
    layers, missing, _, _ = _load_layers(Path(cache) if cache is not None else cache_dir())
    return layers, missing


# ----------------------------------------------------------------------------------------------
# occurrences and enrichment
# ----------------------------------------------------------------------------------------------


def _layers_print(prints: Mapping[str, str]) -> tuple[str, ...]:
    return tuple(f"{k}={prints[k]}" for k in sorted(prints))


def _enrich_fingerprint(kind: str, rows_print: str, prints: Mapping[str, str]) -> str:
    """Cache key of enriched rows: :data:`mineralmap.enrich.ENRICH_VERSION` + input prints."""
    return sha_text(kind, f"enrich-version={enrich_mod.ENRICH_VERSION}", rows_print,
                    *_layers_print(prints))


def _core_missing(missing: Mapping[str, str]) -> list[str]:
    return [n for n in ENRICH_CORE_LAYERS if n in missing]


#: Enrichment indexes (:func:`mineralmap.enrich.build_indexes`) of small layer sets, keyed by
#: the content of every layer (:func:`_load_layers`) and :data:`mineralmap.enrich.ENRICH_VERSION`:
#: enriching again on the same layers (another inventory or demo size, the same toy cache in
#: another folder) skips the network and index builds. Only layer sets whose every file is at
#: most :data:`SMALL_LAYER_BYTES` are kept (large ones would cost memory), at most
#: ``_INDEXES_KEEP`` of them.
_INDEXES_KEEP = 4
_INDEXES: dict[str, tuple[enrich_mod.PreparedLayers, Networks]] = {}
_INDEXES_LOCK = threading.Lock()


def _indexes(layers: Mapping[str, gpd.GeoDataFrame], content: str | None
             ) -> tuple[enrich_mod.PreparedLayers | None, Networks | None]:
    """The enrichment indexes of ``layers`` when ``content`` names them (else ``(None, None)``:
    :func:`mineralmap.enrich.enrich` builds its own)."""
    if content is None:
        return None, None
    key = sha_text(content, f"enrich-version={enrich_mod.ENRICH_VERSION}")
    with _INDEXES_LOCK:
        hit = _INDEXES.get(key)
    if hit is None:
        hit = enrich_mod.build_indexes(layers)
        with _INDEXES_LOCK:
            if len(_INDEXES) >= _INDEXES_KEEP:
                _INDEXES.clear()
            _INDEXES[key] = hit
    return hit


def _run_enrich(rows: gpd.GeoDataFrame, layers: Mapping[str, gpd.GeoDataFrame],
                content: str | None = None) -> gpd.GeoDataFrame:
    prepared, networks = _indexes(layers, content)
    out = enrich_mod.enrich(rows, layers, networks=networks, prepared=prepared)
    lacking = [c for c in ENRICH_COLUMNS if c not in out.columns]
    if lacking:
        raise MineralmapError(f"enrich() did not return {', '.join(lacking)}")
    return out


def _enrich(occ: gpd.GeoDataFrame, layers: Mapping[str, gpd.GeoDataFrame],
            missing: dict[str, str], prints: Mapping[str, str], occ_print: str,
            cache: Path, content: str | None = None) -> tuple[gpd.GeoDataFrame, str]:
    """Return (occurrences + ENRICH_COLUMNS, status) and set ``missing["enrichment"]``."""
    core = _core_missing(missing)
    if core:
        missing["enrichment"] = (
            f"distances not computed: layer(s) {', '.join(core)} unavailable "
            f"({'; '.join(f'{n}: {missing[n]}' for n in core)})"
        )
        return _with_empty_enrichment(occ), "failed"
    path = cache / ENRICHED_FILE
    fp = _enrich_fingerprint("curated", occ_print, prints)
    want = list(occ.columns) + [c for c in ENRICH_COLUMNS if c not in occ.columns]
    cached = read_cached_frame(path, fp, want)
    status = "up to date"
    if cached is None or len(cached) != len(occ):
        try:
            cached = _run_enrich(occ, layers, content)
        except Exception as exc:  # enrichment must never stop the app from loading
            missing["enrichment"] = (
                f"distances not computed: enrichment failed ({type(exc).__name__}: {exc})"
            )
            return _with_empty_enrichment(occ), "failed"
        status = "built"
        note = write_cached_frame(path, fp, cached)
        if note:
            missing["enrichment"] = f"enriched cache not written: {note}"
    partial = [n for n in layers if n in missing and n not in ENRICH_CORE_LAYERS]
    if partial and "enrichment" not in missing:
        missing["enrichment"] = (
            f"computed without layer(s) {', '.join(partial)}: their distance columns are empty"
        )
    return cached, status


@dataclass(frozen=True)
class _Extras:
    """What the settings ask for besides the curated rows."""

    inventory: Path | None
    demo_n: int
    fingerprint: str


def _extra_sources(settings: Settings, missing: dict[str, str],
                   prints: Mapping[str, str]) -> _Extras:
    """Read the extra-occurrence settings: inventory path, demo N, fingerprint of both."""
    try:
        n = scale.parse_demo_scale(settings.demo_scale)
    except MineralmapError as exc:
        missing["demo_scale"] = f"synthetic demo points not added: {exc}"
        n = 0
    f = settings.occurrences_file
    inv = f.expanduser().resolve() if f is not None else None
    parts = []
    if inv is not None:
        parts.append(f"inv:{inv}:{scale.inventory_fingerprint(inv)}")
    if n:
        parts.append(f"syn:{n}:seed0:{scale.SYNTHETIC_VERSION}"
                     f":{prints.get('provinces', '')}:{prints.get('districts', '')}")
    return _Extras(inv, n, "|".join(parts))


def _load_inventory(inv: Path, synthetic: bool, curated_ids: pd.Index) -> gpd.GeoDataFrame:
    """Inventory rows; their ids must be unique among all occurrences."""
    got = scale.load_inventory(inv)
    dup = got["id"].isin(curated_ids)
    if synthetic:
        dup |= got["id"].str.startswith(scale.SYNTHETIC_PREFIX)
    if dup.any():
        ids = ", ".join(got.loc[dup, "id"].head(8))
        raise MineralmapError(
            f"inventory {inv}: id(s) {ids}{' ...' if dup.sum() > 8 else ''} already used "
            f"by the curated table (or reserved for synthetic points, "
            f"{scale.SYNTHETIC_PREFIX}...); give every row a unique id")
    return got


def _load_extra(extras: _Extras, layers: Mapping[str, gpd.GeoDataFrame],
                missing: dict[str, str], curated_ids: pd.Index) -> gpd.GeoDataFrame | None:
    """Inventory rows + synthetic rows (curated schema), ids unique among all occurrences."""
    parts: list[gpd.GeoDataFrame] = []
    if extras.inventory is not None:
        try:
            parts.append(_load_inventory(extras.inventory, bool(extras.demo_n), curated_ids))
        except MineralmapError as exc:
            missing["inventory"] = f"inventory not loaded ({scale.INVENTORY_ENV}): {exc}"
        except Exception as exc:  # a foreign file must never take every page down
            missing["inventory"] = (f"inventory not loaded ({scale.INVENTORY_ENV}): "
                                    f"{extras.inventory.name} cannot be read "
                                    f"({type(exc).__name__}: {str(exc)[:200]})")
    if extras.demo_n:
        try:
            parts.append(scale.synthetic_occurrences(extras.demo_n, layers, seed=0))
        except MineralmapError as exc:
            missing["demo_scale"] = f"synthetic demo points not added: {exc}"
    if not parts:
        return None
    out = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    return gpd.GeoDataFrame(out, geometry="geometry", crs=CRS_4326)


def _extras(cache: Path, settings: Settings, layers: Mapping[str, gpd.GeoDataFrame],
            missing: dict[str, str], prints: Mapping[str, str], curated_ids: pd.Index,
            enrich: bool, content: str | None = None) -> tuple[gpd.GeoDataFrame | None, str]:
    """Extra occurrences (enriched and cached by fingerprint when ``enrich``) and their print."""
    extras = _extra_sources(settings, missing, prints)
    if not extras.fingerprint:
        return None, ""
    core_ok = enrich and not _core_missing(missing)
    path = cache / f"{EXTRA_ENRICHED_PREFIX}{sha_text('extra', extras.fingerprint)[:16]}.parquet"
    fp = _enrich_fingerprint("extra", extras.fingerprint, prints)
    if core_ok:
        cached = read_cached_frame(path, fp, (*OCCURRENCE_COLUMNS, *ENRICH_COLUMNS))
        if cached is not None and not cached["id"].isin(curated_ids).any():
            return cached, extras.fingerprint
    extra = _load_extra(extras, layers, missing, curated_ids)
    if extra is None:
        return None, extras.fingerprint
    if not core_ok:
        return _with_empty_enrichment(extra), extras.fingerprint
    try:
        enriched = _run_enrich(extra, layers, content)
    except Exception as exc:  # enrichment must never stop the app from loading
        missing["enrichment"] = (f"distances of the extra occurrences not computed "
                                 f"({type(exc).__name__}: {exc})")
        return _with_empty_enrichment(extra), extras.fingerprint
    note = write_cached_frame(path, fp, enriched)
    if note:
        missing["enrichment"] = f"enriched extra occurrences not cached: {note}"
    else:  # keep the cache dir bounded: drop the least recently written sets
        prune_cached_frames(cache, f"{EXTRA_ENRICHED_PREFIX}*.parquet", EXTRA_ENRICHED_KEEP)
    return enriched, extras.fingerprint


def _notices(occ: gpd.GeoDataFrame, n_curated: int, settings: Settings) -> tuple[str, ...]:
    """Banner sentences for extra occurrences (by ``source_title`` of the synthetic rows)."""
    extra = occ.iloc[n_curated:]
    if extra.empty:
        return ()
    syn = int((extra["source_title"] == scale.SYNTHETIC_TITLE).sum())
    inv = len(extra) - syn
    out = []
    if inv:
        path = settings.occurrences_file or ""
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
    settings = get_settings()
    cache = Path(cache) if cache is not None else settings.cache_dir
    layers, missing, prints, content = _load_layers(cache)
    version: VersionInfo | None = None
    try:
        db = open_store(settings.with_(cache_dir=cache))
        version = db.current_version()
        occ = db.occurrences(version.number)
        occ_print = f"occ:v{version.number}:{version.content_sha256}"
    except MineralmapError as exc:
        missing["occurrences"] = f"occurrence table unavailable: {exc}"
        occ, occ_print = _empty_occurrences().drop(columns=list(ENRICH_COLUMNS)), "occ:missing"
    status = "skipped"
    if enrich:
        occ, status = _enrich(occ, layers, missing, prints, occ_print, cache, content)
    else:
        occ = _with_empty_enrichment(occ)
    n_curated = len(occ)
    extra, extra_print = _extras(cache, settings, layers, missing, prints,
                                 pd.Index(occ["id"].astype(str)), enrich, content)
    if extra is not None and len(extra):
        occ = gpd.GeoDataFrame(pd.concat([occ, extra], ignore_index=True),
                               geometry="geometry", crs=CRS_4326)
    names = [n for n in MANIFEST if n in LAYER_COLUMNS or n == "occurrences"]
    key = sha_text(occ_print, extra_print, str(enrich), status if status == "failed" else "ok",
                   *_layers_print(prints), *(f"{k}!{v}" for k, v in sorted(missing.items())))
    if version is not None:  # lets selection ask the database (PostGIS) for these exact rows
        occ.attrs[DATASET_ATTR] = version
    cat = Catalog(
        layers=layers,
        missing=missing,
        occurrences=occ,
        attributions=attributions(names),
        key=key,
        notices=_notices(occ, n_curated, settings),
        dataset_version=version,
    )
    return cat, status


def prepare_data(force: bool = False, progress: bool = True, sources: Path | None = None,
                 cache: Path | None = None, *, layers: Iterable[str] | None = None,
                 enrich: bool = True) -> ingest.BuildReport:
    """Build the layer cache, then the enriched-occurrence cache (``python -m mineralmap data``).

    Parameters
    ----------
    force, progress, sources, cache, layers
        As :func:`mineralmap.ingest.build_cache`.
    enrich : bool
        Afterwards load the catalog once so that ``<cache>/occurrences_enriched.parquet`` is up
        to date and the app starts fast; the outcome is the report's ``enrichment`` entry.

    Returns
    -------
    mineralmap.ingest.BuildReport

    Raises
    ------
    mineralmap.errors.SourceError
        As :func:`mineralmap.ingest.build_cache`.
    """
    cache = Path(cache) if cache is not None else cache_dir()
    report = ingest.build_cache(force=force, progress=progress, sources=sources, cache=cache,
                                layers=layers)
    url = get_settings().database_url
    if url.split(":", 1)[0].lower() in pgstore.SCHEMES:  # also load the layers into PostGIS
        t0 = time.perf_counter()
        try:
            pg = postgis.load_layers_into_postgis(url, cache, layers=layers, force=force)
            report.record("postgis", "loaded", len(pg.lines()), pg.lines(), 0,
                          time.perf_counter() - t0)
        except MineralmapError as exc:
            report.record("postgis", "failed", 0, [str(exc)], 0, time.perf_counter() - t0)
    if not enrich:
        return report
    t0 = time.perf_counter()
    cat, status = _load(cache, enrich=True)
    msg = cat.missing.get("enrichment")
    report.record("enrichment", status, len(cat.occurrences), [msg] if msg else [], 0,
                  time.perf_counter() - t0)
    return report


def load_catalog(cache: Path | None = None, enrich: bool = True) -> Catalog:
    """Load layers, curated tables and (enriched) occurrences.

    Parameters
    ----------
    cache : pathlib.Path, optional
        Cache directory; default :attr:`mineralmap.config.Settings.cache_dir`.
    enrich : bool
        Add the enrichment columns: read ``<cache>/occurrences_enriched.parquet`` when its
        fingerprint (:data:`mineralmap.enrich.ENRICH_VERSION`, occurrence table, layer
        fingerprints) matches, else compute
        them with :func:`mineralmap.enrich.enrich` and cache them. With ``False`` (or when
        enrichment fails) the columns are present but NaN.

    Notes
    -----
    Extra occurrences are appended after the curated rows (ids must stay unique):
    ``$MINERALMAP_OCCURRENCES`` names an inventory file (:func:`mineralmap.scale.load_inventory`)
    and ``$MINERALMAP_DEMO_SCALE=N`` adds N synthetic demo points
    (:func:`mineralmap.scale.synthetic_occurrences`). Their enrichment is cached in
    ``<cache>/occurrences_extra_<hash>.parquet`` keyed by the inventory's content, N, the layer
    fingerprints and :data:`mineralmap.enrich.ENRICH_VERSION`; the curated cache file is never touched. A bad
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
    "prepare_data",
]
