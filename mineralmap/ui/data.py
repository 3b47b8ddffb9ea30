"""Streamlit cache wrappers: everything heavy is computed once per process and keyed by a string.

Never pass a GeoDataFrame into a cached function: the catalog is cached as a resource and the
other wrappers take its ``key`` (a fingerprint of the loaded data) plus plain values.
"""

from __future__ import annotations

from collections.abc import Collection

import pydeck as pdk
import streamlit as st

from mineralmap import catalog as _catalog
from mineralmap import ingest, layers
from mineralmap.catalog import Catalog


def _cache_stamp() -> str:
    """Cheap fingerprint of the on-disk cache (manifest mtime), so a rebuilt cache is picked up."""
    manifest = ingest.cache_dir() / "manifest.json"
    try:
        return f"{manifest.stat().st_mtime_ns}"
    except OSError:
        return "no-cache"


@st.cache_resource(show_spinner="Loading layers and occurrences…", max_entries=2)
def _catalog_for(stamp: str) -> Catalog:
    return _catalog.load_catalog()


def get_catalog() -> Catalog:
    """Return the process-wide catalog (layers + enriched occurrences), loading it once."""
    return _catalog_for(_cache_stamp())


@st.cache_resource(show_spinner=False, max_entries=64)
def _static_layers(key: str, name: str) -> tuple[layers.FrozenLayer, ...]:
    cat = get_catalog()
    return tuple(layers.freeze(lyr) for lyr in layers.context_layers(cat.layers, [name]))


def context_layers(cat: Catalog, visible: Collection[str]) -> list[pdk.Layer | layers.FrozenLayer]:
    """Static context layers (boundaries, roads, rail …), built and serialised once per catalog
    and layer name; every rerun reuses their JSON."""
    out: list[pdk.Layer | layers.FrozenLayer] = []
    for name in layers.CONTEXT_LAYER_IDS:
        if name in visible:
            out.extend(_static_layers(cat.key, name))
    return out


@st.cache_resource(show_spinner="Building the road network…", max_entries=2)
def _road_network(key: str):
    from mineralmap import network

    cat = get_catalog()
    return network.build_road_network(cat.layer("roads"), cat.layer("ports"))


def road_network(cat: Catalog):
    """The routable road graph of the catalog (built once per process)."""
    return _road_network(cat.key)


@st.cache_data(show_spinner=False, max_entries=8)
def filter_options(key: str) -> dict:
    """Choices for the shared filter widgets (provinces, districts, commodities, …)."""
    from mineralmap import filters

    return filters.filter_options(get_catalog().occurrences)


@st.cache_resource(show_spinner="Building the rail network…", max_entries=2)
def _rail_network(key: str):
    from mineralmap import network

    cat = get_catalog()
    return network.build_rail_network(cat.layer("railways"), cat.layer("rail_stations"), cat.layer("ports"))


@st.cache_data(show_spinner=False, max_entries=2)
def network_summaries(key: str) -> dict[str, dict]:
    """Connectivity summaries of the road and rail graphs (for the Data page)."""
    cat = get_catalog()
    return {
        "road": road_network(cat).components_summary(),
        "rail": _rail_network(key).components_summary(),
    }
