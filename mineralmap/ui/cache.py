"""Every Streamlit cache of the app (the only module with ``st.cache_*``).

Everything heavy is computed once per process and keyed by strings: the catalog is cached as a
resource per cache stamp, and every other wrapper takes the catalog's ``key`` (a fingerprint of
the loaded data) plus plain values (ids, coordinates, names), never a GeoDataFrame. Each
wrapper is one call into the library.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Collection, Hashable
from pathlib import Path

import pandas as pd
import streamlit as st
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry

from mineralmap import catalog as _catalog
from mineralmap import (
    downloads,
    drawmap,
    export,
    filters,
    layerfiles,
    layers,
    market,
    network,
    scenario,
    selection,
    terminals,
    tiles,
)
from mineralmap.catalog import Catalog
from mineralmap.config import get_settings
from mineralmap.errors import MineralmapError
from mineralmap.pgstore import redact_url
from mineralmap.regions import parse_region_file
from mineralmap.scenario import ScenarioResult
from mineralmap.store import Store, open_store, store_path
from mineralmap.ui import asgi

#: File whose change means the layer cache was rebuilt.
_MANIFEST = "manifest.json"


# ---------------------------------------------------------------------------- catalog


def _stamp(path) -> str:
    try:
        return f"{path.stat().st_mtime_ns}"
    except OSError:
        return "missing"


@st.cache_resource(show_spinner=False, max_entries=4)
def _store_for(path: str) -> Store:
    return open_store(get_settings())


def get_store() -> Store:
    """The process-wide dataset store (opened once per database; a failed open is not cached,
    so the next rerun tries again).

    Raises
    ------
    mineralmap.store.StoreError
        The store cannot be opened.
    """
    s = get_settings()
    return _store_for(redact_url(s.database_url) if s.database_url else str(store_path(s)))


#: The last version stamp read and when (monotonic s): :func:`store_unreachable`, called right
#: after :func:`get_catalog` in a page run, reuses it instead of opening the store again.
_LAST_READ: dict[str, tuple[float, str]] = {}
_REUSE_S = 1.0


def _version_stamp() -> str:
    try:
        stamp = str(get_store().current_version().number)
    except MineralmapError:
        stamp = _UNREACHABLE
    _LAST_READ["stamp"] = (time.monotonic(), stamp)
    return stamp


def _cache_stamp() -> str:
    """Cheap fingerprint of what the catalog is built from: the layer cache's manifest mtime and
    the current dataset version, so a rebuilt cache or a publish (from any process) is picked
    up on the next rerun."""
    s = get_settings()
    return (f"{s.cache_dir}|{s.geodata_dir}|{s.occurrences_file}|{s.demo_scale}|"
            f"{_stamp(s.cache_dir / _MANIFEST)}:{_version_stamp()}")


@st.cache_resource(show_spinner="Loading layers and occurrences…", max_entries=2)
def _catalog_for(stamp: str) -> Catalog:
    cat = _catalog.load_catalog()
    _freeze_heap()
    return cat


#: A full collection of the frozen heap (``gc.unfreeze`` first) runs at most this often (seconds):
#: a burst of catalog loads (a steward publishing several versions in a row) walks the whole heap
#: once, not once per load.
FULL_COLLECT_EVERY_S = 60.0
_LAST_FULL_COLLECT = [-float("inf")]


def _freeze_heap() -> None:
    """Move every object alive now (modules, layers, the catalog) out of the cyclic garbage
    collector's reach (:func:`gc.freeze`), after one collection.

    Streamlit runs ``gc.collect(2)`` after every script run (``runner.postScriptGC``), holding
    the GIL while the run's "finished" message waits to be sent: with the catalog loaded that
    full collection walked every object of the process, 0.1-0.3 s per rerun. Frozen objects are
    still freed by reference counting (a dropped catalog leaves no cyclic garbage: measured);
    cyclic garbage among them is reclaimed here, by a collection of the whole heap
    (``gc.unfreeze`` first) when a catalog loads at least :data:`FULL_COLLECT_EVERY_S` after the
    previous one. Otherwise only the objects made since the last freeze are collected.
    """
    now = time.monotonic()
    if now - _LAST_FULL_COLLECT[0] >= FULL_COLLECT_EVERY_S:
        gc.unfreeze()
        _LAST_FULL_COLLECT[0] = now
    gc.collect()
    gc.freeze()


#: The last stamp whose catalog loaded with a reachable store (per server process).
_LAST_GOOD: dict[str, str] = {}
_UNREACHABLE = "store-unavailable"


def get_catalog() -> Catalog:
    """Return the process-wide catalog (layers + enriched occurrences), loading it once.

    When the dataset store (e.g. the PostGIS database) is unreachable, the last loaded catalog
    keeps being served (see :func:`store_unreachable`) and the store is retried on every rerun.
    """
    stamp = _cache_stamp()
    if stamp.endswith(_UNREACHABLE) and "stamp" in _LAST_GOOD:
        return _catalog_for(_LAST_GOOD["stamp"])
    cat = _catalog_for(stamp)
    if not stamp.endswith(_UNREACHABLE):
        _LAST_GOOD["stamp"] = stamp
    return cat


def store_unreachable() -> bool:
    """True when this rerun could not read the dataset version from the store (the read of
    :func:`get_catalog` in the last second is reused: one store query per page run)."""
    last = _LAST_READ.get("stamp")
    if last is not None and time.monotonic() - last[0] < _REUSE_S:
        return last[1] == _UNREACHABLE
    return _version_stamp() == _UNREACHABLE


@st.cache_data(show_spinner=False, max_entries=8)
def filter_options(key: str) -> dict:
    """Choices for the shared filter widgets (provinces, districts, commodities, …)."""
    return filters.filter_options(get_catalog().occurrences)


# ---------------------------------------------------------------------------- filtered rows


@st.cache_resource(show_spinner=False, max_entries=8)  # 8 frames: bounded at 100k
def _filtered(key: str, spec_key: str, _spec: filters.FilterSpec) -> tuple[pd.DataFrame, str]:
    return filters.apply(get_catalog().occurrences, _spec)


def filtered_occurrences(cat: Catalog, spec: filters.FilterSpec) -> tuple[pd.DataFrame, str]:
    """:func:`mineralmap.filters.apply` on the catalog's occurrences, once per catalog and spec
    (one shared frame: callers must not change it in place). Taking the kept rows of every
    column was the biggest part of a rerun's server time; reruns that keep the filter (clicks,
    layer toggles, going back to a filter) reuse it."""
    return _filtered(cat.key, repr(spec), spec)


# ---------------------------------------------------------------------------- map layers


@st.cache_resource(show_spinner=False, max_entries=64)
def _static_layers(key: str, name: str) -> tuple[layers.FrozenLayer, ...]:
    cat = get_catalog()
    return tuple(layers.freeze(lyr) for lyr in layers.context_layers(cat.layers, [name]))


def context_layers(cat: Catalog, visible: Collection[str]) -> list[layers.FrozenLayer]:
    """Static context layers (boundaries, roads, rail …), built and serialised once per catalog
    and layer name; every rerun reuses their JSON."""
    out: list[layers.FrozenLayer] = []
    for name in layers.DRAW_ORDER:  # boundaries at the bottom, points on top (as layerfiles)
        if name in visible:
            out.extend(_static_layers(cat.key, name))
    return out


@st.cache_resource(show_spinner=False, max_entries=64)
def _layer_file(key: str, name: str) -> tuple[layerfiles.LayerFile, layerfiles.LayerFile]:
    return layerfiles.write_layer_file(name, get_catalog().layers[name])


def layer_files(cat: Catalog, visible: Collection[str]) -> dict[tuple[str, bool], layerfiles.LayerFile]:
    """The content-hashed files of the visible context layers (written once per catalog and
    layer; rewritten when a file has gone, e.g. the cache folder was cleaned)."""
    out: dict[tuple[str, bool], layerfiles.LayerFile] = {}
    for name in visible:
        if name not in cat.layers:
            continue
        light, dark = _layer_file(cat.key, name)
        if not (light.path.is_file() and dark.path.is_file()):
            _layer_file.clear()
            light, dark = _layer_file(cat.key, name)
        out[(name, False)], out[(name, True)] = light, dark
    return out


@st.cache_resource(show_spinner=False, max_entries=32)
def _occurrence_file(key: str, spec_key: str, _spec: filters.FilterSpec
                     ) -> layerfiles.OccurrenceFile:
    rows, _ = filters.apply(get_catalog().occurrences, _spec)
    return layerfiles.write_occurrence_file(rows)


def occurrence_file(cat: Catalog, spec: filters.FilterSpec) -> layerfiles.OccurrenceFile:
    """The shared occurrence points of the rows ``spec`` keeps, written once per catalog and
    spec as a content-hashed file (rewritten when the file has gone)."""
    spec_key = repr(spec)
    got = _occurrence_file(cat.key, spec_key, spec)
    if not got.file.path.is_file():
        _occurrence_file.clear()
        got = _occurrence_file(cat.key, spec_key, spec)
    return got


@st.cache_resource(show_spinner=False, max_entries=8)  # 8 sources: bounded at 100k
def _tile_source(key: str, spec_key: str, _spec: filters.FilterSpec) -> tiles.TileSource:
    return tiles.tile_source(_filtered(key, spec_key, _spec)[0], tiles.source_key(key, spec_key))


def tile_source(cat: Catalog, spec: filters.FilterSpec) -> tiles.TileSource:
    """The rows ``spec`` keeps as a tile source, built once per catalog and spec and registered
    (again, on every call) with the ``/tiles/`` route's registry."""
    src = _tile_source(cat.key, repr(spec), spec)
    tiles.default_registry().register(src)
    return src


@st.cache_resource(show_spinner=False, max_entries=32)
def _stack_layer(key: str, spec_key: str, _spec: filters.FilterSpec
                 ) -> layers.FrozenLayer | None:
    stacks = layers.stacked_points(_filtered(key, spec_key, _spec)[0])
    return layers.freeze(layers.stack_layer(stacks)) if len(stacks) else None


def stack_layer(cat: Catalog, spec: filters.FilterSpec) -> layers.FrozenLayer | None:
    """Count badges of the stacked markers among the rows ``spec`` keeps (None: no stack),
    built once per catalog and spec."""
    return _stack_layer(cat.key, repr(spec), spec)


@st.cache_resource(show_spinner=False, max_entries=64)
def _url_layers(key: str, visible: tuple[str, ...], dark: bool, base: str
                ) -> tuple[list[layers.FrozenLayer], list[Path]]:
    files = layer_files(get_catalog(), visible)
    lyrs = layerfiles.url_layers(files, visible, dark=dark, base=base)
    return [layers.freeze(lyr) for lyr in lyrs], [f.path for f in files.values()]


def url_layers(cat: Catalog, visible: Collection[str], dark: bool, base: str
               ) -> list[layers.FrozenLayer]:
    """The visible context layers by URL (:func:`mineralmap.layerfiles.url_layers`),
    serialised once per catalog, choice of layers, palette and base URL (their files are
    rewritten when one has gone)."""
    args = (cat.key, tuple(sorted(set(visible))), dark, base)
    lyrs, paths = _url_layers(*args)
    if not all(p.is_file() for p in paths):
        _url_layers.clear()
        lyrs, paths = _url_layers(*args)
    return list(lyrs)


# ---------------------------------------------------------------------------- networks, routes


@st.cache_resource(show_spinner="Building the road network…", max_entries=2)
def _road_network(key: str) -> network.RoadNetwork:
    cat = get_catalog()
    return network.build_road_network(cat.layer("roads"), cat.layer("ports"))


def road_network(cat: Catalog) -> network.RoadNetwork:
    """The routable road graph of the catalog (built once per process)."""
    return _road_network(cat.key)


@st.cache_resource(show_spinner="Building the rail network…", max_entries=2)
def _rail_network(key: str) -> network.RailNetwork:
    cat = get_catalog()
    return network.build_rail_network(cat.layer("railways"), cat.layer("rail_stations"),
                                      cat.layer("ports"))


@st.cache_data(show_spinner=False, max_entries=2)
def network_summaries(key: str) -> dict[str, dict]:
    """Connectivity summaries of the road and rail graphs (for the Data page)."""
    return terminals.network_summaries(_road_network(key), _rail_network(key))


@st.cache_data(show_spinner=False, max_entries=256)
def occurrence_route(key: str, occ_id: str) -> LineString | None:
    """Road route of one occurrence to the port it reaches by the shortest road route."""
    cat = get_catalog()
    return terminals.occurrence_route(cat.occurrences, cat.layer("ports"), _road_network(key),
                                      occ_id)


# ---------------------------------------------------------------------------- region page


@st.cache_data(show_spinner=False, max_entries=4)
def admin_names(key: str) -> dict[str, list[str]]:
    """Province, district and tehsil names offered by the region page."""
    return selection.admin_names(get_catalog().layers)


@st.cache_data(show_spinner=False, max_entries=4)
def admin_labels(key: str) -> dict[str, dict[str, str]]:
    """Display labels of districts and tehsils (with their province)."""
    return selection.admin_labels(get_catalog().layers)


@st.cache_data(show_spinner=False, max_entries=4)
def centre_choices(key: str) -> dict[str, dict[str, str]]:
    """Radius centres (ports, towns, occurrences) offered by the region page."""
    cat = get_catalog()
    return selection.centre_choices(cat.layers, cat.occurrences)


@st.cache_data(show_spinner=False, max_entries=16)
def parse_region(content: bytes, name: str) -> tuple[BaseGeometry, list[str]]:
    """:func:`mineralmap.regions.parse_region_file`, cached by the uploaded bytes and name."""
    return parse_region_file(content, name)


# ---------------------------------------------------------------------------- context page


@st.cache_data(show_spinner=False, max_entries=4)
def _facts(stamp: str) -> pd.DataFrame:
    return market.load_market_facts()


def market_facts() -> pd.DataFrame:
    """The curated market facts (reloaded when the file changes)."""
    return _facts(_stamp(market.market_facts_path()))


@st.cache_resource(show_spinner=False, max_entries=2)
def coastline(key: str) -> BaseGeometry | None:
    """Pakistan's sea coast (candidate terminals must lie near it)."""
    return scenario.coastline(get_catalog().layer("countries"))


@st.cache_resource(show_spinner="Routing occurrences to the terminals…", max_entries=32)
def scenario_result(key: str, ids: tuple[str, ...], candidate: tuple[float, float] | None,
                    name: str, weights: str | None) -> ScenarioResult:
    """The export-terminal scenario for these occurrence ids (and candidate terminal)."""
    cat = get_catalog()
    return terminals.compare_terminals(cat.occurrences, ids, _road_network(key),
                                       cat.layer("ports"), candidate, name, weights)


@st.cache_data(show_spinner=False, max_entries=32)
def drawn_routes(key: str, ids: tuple[str, ...], candidate: tuple[float, float] | None,
                 name: str, weights: str | None) -> list:
    """The scenario's routes merged per terminal, for drawing."""
    return scenario.drawn_routes(scenario_result(key, ids, candidate, name, weights))


@st.cache_data(show_spinner="Measuring distances to the border crossings…", max_entries=16)
def traceability(key: str, ids: tuple[str, ...]) -> pd.DataFrame:
    """:func:`mineralmap.scenario.traceability` for these occurrence ids."""
    cat = get_catalog()
    return terminals.traceability_rows(cat.occurrences, ids, _road_network(key),
                                       cat.layer("border_crossings"))


# ---------------------------------------------------------------------------- exports


@st.cache_resource(show_spinner=False, max_entries=64, ttl=3600)
def export_file(key: str, fingerprint: str, fmt: str, allow_empty: bool, day: str,
                _cat: Catalog, _sel: selection.Selection, app_version: str) -> bytes:
    """One export file of a selection (:func:`mineralmap.export.export_selection`).

    Keyed by the catalog ``key``, the selection's :meth:`~mineralmap.selection.Selection.
    fingerprint`, the format, ``allow_empty`` and the UTC ``day`` (the file name carries it);
    ``_cat`` and ``_sel`` are what those keys name and are not hashed. Bytes are immutable, so
    every session shares one copy.
    """
    content, _mime, _name = export.export_selection(
        _sel.rows, fmt, region=_sel.region, spec_sentence=_sel.filter_sentence,
        region_description=_sel.region_description, attributions=_cat.attributions,
        app_version=app_version, allow_empty=allow_empty,
        dataset=_cat.dataset_version.as_metadata() if _cat.dataset_version else None,
    )
    return content



def download_url(key: Hashable, data: bytes, file_name: str, mime: str) -> str | None:
    """URL of ``data`` on the server's ``/download/`` route, or ``None`` to use a download button.

    When the route is mounted (``serve.py``, :func:`mineralmap.ui.asgi.download_route_mounted`)
    the bytes go into the process's :func:`mineralmap.downloads.default_store` under ``key`` (the
    same key keeps its URL), where no session's run can delete them (issue 15 item 8). ``None``
    without the route (``streamlit run app.py``, AppTest) or for a file larger than the store.
    """
    if not asgi.download_route_mounted():
        return None
    got = downloads.default_store().put(key, data, file_name, mime)
    if got is None:
        return None
    return downloads.download_url(got, base=str(st.get_option("server.baseUrlPath") or ""))


# ---------------------------------------------------------------------------- region drawing


@st.cache_resource(show_spinner=False, max_entries=4)
def draw_map_payload(key: str) -> dict:
    """:func:`mineralmap.drawmap.map_payload` of the catalog with this key (the "draw a box" map
    of the Region page, built once per catalog; the key, never a GeoDataFrame, is hashed)."""
    cat = get_catalog()
    return drawmap.map_payload(cat.layers, cat.occurrences)
