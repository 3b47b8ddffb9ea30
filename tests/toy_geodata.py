"""Write the toy world of ``tests/toy_world.py`` as real files: curated CSV tables in a geodata
folder (``MINERALMAP_GEODATA``) and bulk layers in a cache folder (``MINERALMAP_CACHE``), so that
tests run the real catalog, curated loaders and enrichment on it (no faked modules)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd

from mineralmap._store import MANIFEST_FILE, write_parquet_atomic
from mineralmap.schema import (
    CROSSING_COLUMNS,
    DRY_PORT_COLUMNS,
    LAYER_COLUMNS,
    OCCURRENCE_COLUMNS,
    PORT_COLUMNS,
)

#: Curated table -> its columns (the toy layers of these names become CSV files).
CURATED_TABLES: dict[str, tuple[str, ...]] = {
    "ports": PORT_COLUMNS,
    "border_crossings": CROSSING_COLUMNS,
    "dry_ports": DRY_PORT_COLUMNS,
}


def _csv_frame(gdf: gpd.GeoDataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    df = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    mapped = ~(gdf.geometry.isna() | gdf.geometry.is_empty)
    if "lon" not in df:
        df["lon"] = gdf.geometry.x.where(mapped)
        df["lat"] = gdf.geometry.y.where(mapped)
    for col in columns:
        if col not in df:
            df[col] = ""
    if "source_title" in columns:
        df["source_title"] = df["source_title"].replace("", "toy world")
        df["source_url"] = df["source_url"].replace("", "https://example.org/toy")
    return df[list(columns)]


def write_geodata(folder: Path, layers: Mapping[str, gpd.GeoDataFrame],
                  occurrences: gpd.GeoDataFrame) -> Path:
    """Write ``occurrences.csv`` and the curated point tables into ``folder``; return it."""
    folder.mkdir(parents=True, exist_ok=True)
    _csv_frame(occurrences, OCCURRENCE_COLUMNS).to_csv(folder / "occurrences.csv", index=False)
    for name, cols in CURATED_TABLES.items():
        _csv_frame(layers[name], cols).to_csv(folder / f"{name}.csv", index=False)
    return folder


def write_cache(folder: Path, layers: Mapping[str, gpd.GeoDataFrame]) -> Path:
    """Write every bulk toy layer and a manifest into ``folder``; return it."""
    entries = {}
    for name in (n for n in LAYER_COLUMNS if n not in CURATED_TABLES):
        write_parquet_atomic(layers[name], folder / f"{name}.parquet")
        entries[name] = {"status": "built", "fingerprint": f"fp-{name}",
                         "rows": len(layers[name])}
    (folder / MANIFEST_FILE).write_text(json.dumps({"layers": entries}))
    return folder
