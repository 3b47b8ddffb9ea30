"""The BOI workflow in one place: filters + region -> a selection that can be previewed and exported.

The region page and the ``export`` CLI both go through :func:`select`, so a file exported from the
browser and one exported on the command line with the same choices are the same.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
from shapely.geometry.base import BaseGeometry

from mineralmap import filters
from mineralmap.filters import FilterSpec
from mineralmap.regions import RegionSpec


@dataclass(frozen=True)
class Selection:
    """Occurrences selected by a filter and a region, with their human descriptions.

    Attributes
    ----------
    rows
        Selected occurrences (every curated and enrichment column; empty keeps columns).
    region
        The region's area (EPSG:4326) or None when no spatial mode is set.
    filter_sentence
        The filter described in one sentence (counted on the selection).
    region_description
        The region described in words ("" when no region is set).
    """

    rows: gpd.GeoDataFrame
    region: BaseGeometry | None
    filter_sentence: str
    region_description: str

    @property
    def description(self) -> str:
        """Filter sentence and region in one line, for headers and file metadata."""
        if self.region_description:
            return f"{self.filter_sentence.rstrip('.')} — region: {self.region_description}"
        return self.filter_sentence


def select(
    occurrences: gpd.GeoDataFrame,
    layers: Mapping[str, gpd.GeoDataFrame],
    spec: FilterSpec,
    region: RegionSpec,
) -> Selection:
    """Apply the filter, then the region (picked ids are added/removed last).

    Parameters
    ----------
    occurrences
        Enriched occurrences of the catalog.
    layers
        Catalog layers (admin units, ports and towns for radius centres).
    spec, region
        What the user chose.

    Returns
    -------
    Selection
    """
    filtered, _ = filters.apply(occurrences, spec)
    rows = region.select(
        gpd.GeoDataFrame(filtered, geometry="geometry", crs=occurrences.crs), layers,
        centres=occurrences,
    )
    if region.add_ids:
        extra = occurrences[occurrences["id"].isin(region.add_ids) & ~occurrences["id"].isin(rows["id"])]
        if len(extra):
            rows = gpd.GeoDataFrame(pd.concat([rows, extra]), geometry="geometry", crs=occurrences.crs)
    sentence = spec.describe(len(rows), port_basis=filters.port_distance_basis(occurrences))
    return Selection(
        rows=rows,
        region=region.geometry(layers, occurrences),
        filter_sentence=sentence,
        region_description=region.describe() if not region.is_empty() else "",
    )


def admin_names(layers: Mapping[str, gpd.GeoDataFrame]) -> dict[str, list[str]]:
    """Names of provinces, districts and tehsils offered by the region page."""
    def names(layer: str, col: str) -> list[str]:
        gdf = layers.get(layer)
        if gdf is None or col not in gdf:
            return []
        return sorted(set(gdf[col].dropna().astype(str)))

    return {
        "provinces": names("provinces", "province"),
        "districts": names("districts", "district"),
        "tehsils": names("tehsils", "tehsil"),
    }


def radius_centres(layers: Mapping[str, gpd.GeoDataFrame], occurrences: gpd.GeoDataFrame
                   ) -> dict[str, Sequence[str]]:
    """Names usable as radius centres, grouped: ports, towns, occurrences."""
    def names(gdf: gpd.GeoDataFrame | None) -> list[str]:
        if gdf is None or "name" not in gdf:
            return []
        return sorted(set(gdf["name"].dropna().astype(str)))

    mapped = occurrences[occurrences.geometry.notna()] if len(occurrences) else occurrences
    return {
        "ports": names(layers.get("ports")),
        "towns": names(layers.get("towns")),
        "occurrences": names(mapped),
    }
