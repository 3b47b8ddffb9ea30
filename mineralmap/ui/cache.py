"""Every Streamlit cache of the app (the only module with ``st.cache_*``).

Everything heavy is computed once per process and keyed by strings: the catalog is cached as a
resource per cache stamp, and every other wrapper takes the catalog's ``key`` (a fingerprint of
the loaded data) plus plain values (ids, coordinates, names), never a GeoDataFrame. Each
wrapper is one call into the library.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable

import pandas as pd
import streamlit as st
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry

from mineralmap import catalog as _catalog
from mineralmap import (
    downloads,
    export,
    filters,
    layerfiles,
    layers,
    market,
    network,
    scenario,
    selection,
    terminals,
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


def _version_stamp() -> str:
    try:
        return str(get_store().current_version().number)
    except MineralmapError:
        return _UNREACHABLE


def _cache_stamp() -> str:
    """Cheap fingerprint of what the catalog is built from: the layer cache's manifest mtime and
    the current dataset version, so a rebuilt cache or a publish (from any process) is picked
    up on the next rerun."""
    s = get_settings()
    return (f"{s.cache_dir}|{s.geodata_dir}|{s.occurrences_file}|{s.demo_scale}|"
            f"{_stamp(s.cache_dir / _MANIFEST)}:{_version_stamp()}")


@st.cache_resource(show_spinner="Loading layers and occurrences…", max_entries=2)
def _catalog_for(stamp: str) -> Catalog:
    return _catalog.load_catalog()


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
    """True when this rerun could not read the dataset version from the store."""
    return _version_stamp() == _UNREACHABLE


@st.cache_data(show_spinner=False, max_entries=8)
def filter_options(key: str) -> dict:
    """Choices for the shared filter widgets (provinces, districts, commodities, …)."""
    return filters.filter_options(get_catalog().occurrences)


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
