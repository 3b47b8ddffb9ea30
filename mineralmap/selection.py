"""The BOI workflow in one place: filters + region -> a selection that can be previewed and exported.

The region page and the ``export`` CLI both go through :func:`select`, so a file exported from the
browser and one exported on the command line with the same choices are the same.

With a PostgreSQL/PostGIS store (``MINERALMAP_DATABASE_URL=postgresql://…``) the region part runs
in the database (:func:`mineralmap.postgis.region_ids`: ``ST_Intersects`` / ``ST_DWithin`` over the
stored version's GiST-indexed points) whenever the occurrences are exactly a stored version (they
carry its :class:`~mineralmap.store.VersionInfo`, and no inventory or demo rows were added);
otherwise, or when the database cannot answer, in memory. Both give the same ids
(``tests/test_selection.py``, ``tests/test_postgis.py``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry.base import BaseGeometry

from mineralmap import filters, pgstore, postgis
from mineralmap.config import get_settings
from mineralmap.filters import FilterSpec
from mineralmap.regions import RegionSpec
from mineralmap.store import DATASET_ATTR, StoreError, VersionInfo


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
        The filter described in one sentence, counting only the rows that match the filter
        (and region); rows added by hand are counted apart: "3 Sb occurrences in Balochistan
        + 2 added by hand".
    region_description
        The region described in words ("" when no region is set).
    added
        Rows picked by id that the filter or region did not select (part of ``rows``).
    """

    rows: gpd.GeoDataFrame
    region: BaseGeometry | None
    filter_sentence: str
    region_description: str
    added: int = 0

    def fingerprint(self) -> str:
        """Digest of what an export of this selection holds: the row ids in order, the region
        polygon and both sentences (the rows' values are fixed by the catalog's key).

        Returns
        -------
        str
            Hex SHA-256; equal selections of one catalog give equal fingerprints.
        """
        h = hashlib.sha256()
        for part in (self.filter_sentence, self.region_description,
                     "\x1f".join(self.rows["id"].astype(str)) if "id" in self.rows else ""):
            h.update(part.encode("utf-8", "surrogatepass") + b"\x00")
        h.update(self.region.wkb if self.region is not None else b"")
        return h.hexdigest()

    @property
    def description(self) -> str:
        """Filter sentence and region in one line, for headers and file metadata."""
        if self.region_description:
            return f"{self.filter_sentence.rstrip('.')} — region: {self.region_description}"
        return self.filter_sentence


def database_region_ids(occurrences: pd.DataFrame, region: RegionSpec,
                        dataset: VersionInfo | None = None) -> list[str] | None:
    """The ids of ``region`` computed in the PostGIS database, or None when the in-memory path
    must run.

    The database answers when the settings name a ``postgresql://`` store, the region has an area,
    and ``occurrences`` are exactly the rows of a stored version: ``dataset`` (default
    ``occurrences.attrs[DATASET_ATTR]``) is known and has as many rows as ``occurrences`` (extra
    inventory or demo rows are not in the database). A database that cannot be reached, or lacks
    a layer the region needs, also leaves it to the in-memory path.

    Parameters
    ----------
    occurrences
        The unfiltered occurrences (a stored version).
    region
        What the user chose.
    dataset
        The version ``occurrences`` were read from.

    Returns
    -------
    list of str or None
        Ids in published order (the region's area plus ``add_ids`` minus ``remove_ids``, among
        all the version's rows), or None.

    Raises
    ------
    RegionError
        An unknown administrative unit or centre (as the in-memory path).
    """
    url = get_settings().database_url
    if not url or url.split(":", 1)[0].lower() not in pgstore.SCHEMES or not region.has_area:
        return None
    version = dataset if dataset is not None else occurrences.attrs.get(DATASET_ATTR)
    if not isinstance(version, VersionInfo) or version.n_rows != len(occurrences):
        return None
    try:
        return postgis.region_ids(postgis.shared_store(url), region, version.number)
    except StoreError:
        return None


def select(
    occurrences: gpd.GeoDataFrame,
    layers: Mapping[str, gpd.GeoDataFrame],
    spec: FilterSpec,
    region: RegionSpec,
    *,
    dataset: VersionInfo | None = None,
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
    dataset
        The stored version ``occurrences`` are (default ``occurrences.attrs[DATASET_ATTR]``);
        with a PostGIS store the region then runs in the database
        (:func:`database_region_ids`).

    Returns
    -------
    Selection
    """
    filtered, _ = filters.apply(occurrences, spec)
    filtered = gpd.GeoDataFrame(filtered, geometry="geometry", crs=occurrences.crs)
    ids = database_region_ids(occurrences, region, dataset)
    if ids is None:
        rows = region.select(filtered, layers, centres=occurrences)
    else:
        rows = filtered.loc[filtered["id"].astype(str).isin(ids).to_numpy()]
    if region.admin_only:
        # A point a few hundred metres outside a simplified boundary is still assigned to its
        # unit by the enrichment (``*_geo``), and the sidebar filter counts it there; the region
        # must agree with the filter, so such rows are kept too.
        match = _admin_geo_match(filtered, region)
        match &= ~filtered["id"].astype(str).isin(region.remove_ids).to_numpy()
        match |= filtered.index.isin(rows.index)
        rows = filtered.loc[match]
    matching = len(rows)
    added = 0
    if region.add_ids:
        extra = occurrences[occurrences["id"].isin(region.add_ids) & ~occurrences["id"].isin(rows["id"])]
        added = len(extra)
        if added:
            rows = gpd.GeoDataFrame(pd.concat([rows, extra]), geometry="geometry", crs=occurrences.crs)
    sentence = selection_sentence(spec, matching, added, has_region=not region.is_empty(),
                                  port_basis=filters.port_distance_basis(occurrences))
    return Selection(
        rows=rows,
        region=region.geometry(layers, occurrences),
        filter_sentence=sentence,
        region_description=region.describe() if not region.is_empty() else "",
        added=added,
    )


def selection_sentence(spec: FilterSpec, matching: int, added: int = 0, *,
                       has_region: bool = False, port_basis: str = "road") -> str:
    """What a selection holds: the filter sentence counted on the ``matching`` rows, then the
    rows ``added`` by hand, which need not match the filter.

    Examples
    --------
    >>> selection_sentence(FilterSpec(precisions=("surveyed",)), 0, 2)
    '0 surveyed occurrences + 2 added by hand'
    >>> selection_sentence(FilterSpec(), 40, has_region=True)
    '40 occurrences'
    """
    sentence = spec.describe(matching, port_basis=port_basis)
    if has_region and sentence.startswith("All "):
        # "All 40 occurrences — region: Balochistan" reads as if the region were ignored
        sentence = sentence[len("All "):]
    if added:
        sentence += f" + {added:,} added by hand"
    return sentence


def _admin_geo_match(df: pd.DataFrame, region: RegionSpec) -> np.ndarray:
    """Rows whose point-in-polygon unit (``province_geo`` …) is one of the region's units."""
    hit = np.zeros(len(df), dtype=bool)
    for col, chosen in (("province_geo", region.provinces), ("district_geo", region.districts),
                        ("tehsil_geo", region.tehsils)):
        if chosen and col in df.columns:
            low = {c.casefold() for c in chosen}
            hit |= df[col].astype("string").str.casefold().isin(low).fillna(False).to_numpy(bool)
    return hit


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


def admin_labels(layers: Mapping[str, gpd.GeoDataFrame]) -> dict[str, dict[str, str]]:
    """Display labels of the admin units offered by :func:`admin_names`, naming the parent unit.

    Districts read ``"Kech (Balochistan)"``, tehsils ``"Dasht (Kech)"``. A name shared by several
    units (the region code selects units by name, so choosing it selects all of them) lists every
    parent: ``"Dasht (Kech, Mastung: 2 tehsils)"``.

    Returns
    -------
    dict[str, dict[str, str]]
        ``{"districts": {name: label}, "tehsils": {name: label}}``; a unit whose parent is
        unknown is labelled with its bare name.
    """
    def labels(layer: str, col: str, parent: str, noun: str) -> dict[str, str]:
        gdf = layers.get(layer)
        if gdf is None or col not in gdf:
            return {}
        names = gdf[col].astype("string").tolist()
        parents = (gdf[parent].astype("string").tolist() if parent in gdf
                   else [pd.NA] * len(names))
        groups: dict[str, list] = {}  # name -> parent of every unit of that name
        for name, par in zip(names, parents, strict=True):
            if name is not pd.NA:
                groups.setdefault(name, []).append(par)
        out: dict[str, str] = {}
        for name in sorted(groups):
            grp = groups[name]
            ps = sorted({str(p) for p in grp if p is not pd.NA})
            if not ps:
                out[name] = name
            elif len(grp) > 1:
                out[name] = f"{name} ({', '.join(ps)}: {len(grp)} {noun}s)"
            else:
                out[name] = f"{name} ({ps[0]})"
        return out

    return {
        "districts": labels("districts", "district", "province", "district"),
        "tehsils": labels("tehsils", "tehsil", "district", "tehsil"),
    }


def centre_choices(layers: Mapping[str, gpd.GeoDataFrame], occurrences: gpd.GeoDataFrame
                   ) -> dict[str, dict[str, str]]:
    """Radius centres as ``{value: label}`` per group, each value resolving to that very place.

    :meth:`~mineralmap.regions.RegionSpec.center_point` looks a name up in ports, then towns,
    then occurrences (name or id), so a shared name resolves to the first hit. Here every
    occurrence whose name is not unique across the three groups is offered by its id (labelled
    ``"name · id"``), so picking it can never silently resolve to another place. Towns that share
    a port's name (e.g. a port town) resolve to the port, which the label says.

    Returns
    -------
    dict[str, dict[str, str]]
        ``{"ports": …, "towns": …, "occurrences": …}``, values sorted by label.
    """
    groups = radius_centres(layers, occurrences)
    ports = {str(p) for p in groups["ports"]}
    towns = [str(t) for t in groups["towns"]]
    town_gdf = layers.get("towns")
    town_n = (town_gdf["name"].astype(str).value_counts()
              if town_gdf is not None and "name" in town_gdf else pd.Series(dtype=int))

    def town_label(t: str) -> str:
        if t in ports:
            return f"{t} (same name as the port: the port is used)"
        k = int(town_n.get(t, 1))
        return f"{t} ({k} towns share this name: the first in the data is used)" if k > 1 else t

    out: dict[str, dict[str, str]] = {
        "ports": {p: p for p in sorted(ports)},
        "towns": {t: town_label(t) for t in towns},
    }
    mapped = occurrences[occurrences.geometry.notna()] if len(occurrences) else occurrences
    occ: dict[str, str] = {}
    if {"id", "name"} <= set(mapped.columns):
        taken = {n.casefold() for n in ports | set(towns)}
        names = mapped["name"].astype(str)
        # counted over every row: an unmapped namesake would be found first and has no point
        counts = occurrences["name"].astype(str).str.casefold().value_counts()
        for occ_id, name in zip(mapped["id"].astype(str), names, strict=True):
            unique = counts.get(name.casefold(), 0) == 1 and name.casefold() not in taken
            occ[name if unique else occ_id] = name if unique else f"{name} · {occ_id}"
    out["occurrences"] = dict(sorted(occ.items(), key=lambda kv: kv[1].casefold()))
    return out


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
