"""Tests of mineralmap.scale (synthetic points, user inventories) and the catalog's extras."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from mineralmap import catalog, scale
from mineralmap.catalog import load_catalog
from mineralmap.curated import validate_occurrences
from mineralmap.errors import MineralmapError, SourceError, ValidationError
from mineralmap.schema import ENRICH_COLUMNS, OCCURRENCE_COLUMNS, PRECISION_CLASSES

# ---- synthetic occurrences ------------------------------------------------------------------


def test_synthetic_count_schema_and_labels(layers):
    g = scale.synthetic_occurrences(300, layers, seed=1)
    assert len(g) == 300
    assert list(g.columns) == [*OCCURRENCE_COLUMNS, "geometry"]
    assert g.crs.to_epsg() == 4326
    valid = validate_occurrences(g, "synthetic")  # the curated table's rules hold
    assert len(valid) == 300
    assert g["id"].iloc[0] == "SYN-000001" and g["id"].iloc[-1] == "SYN-000300"
    assert g["id"].is_unique
    assert (g["source_title"] == "synthetic demo point (not real data)").all()
    assert g["name"].str.contains("synthetic").all()
    assert not g["source_url"].str.startswith("http").any()  # no fake citation link
    assert set(g["precision"]) <= set(PRECISION_CLASSES)
    assert len(set(g["commodity"])) >= 5 and {"Sb", "REE"} <= set(g["commodity"])
    np.testing.assert_allclose(g["lon"], g.geometry.x)
    np.testing.assert_allclose(g["lat"], g.geometry.y)


def test_synthetic_points_inside_their_province_and_district(layers):
    g = scale.synthetic_occurrences(400, layers, seed=2)
    prov = layers["provinces"].set_index("province").geometry
    for name, poly in prov.items():
        rows = g[g["province"] == name]
        assert len(rows) > 50  # both toy provinces (equal areas) get points
        assert shapely.covers(poly, rows.geometry.to_numpy()).all()
    assert set(g["province"]) == set(prov.index)
    dist = layers["districts"].set_index("district").geometry
    for name, poly in dist.items():
        rows = g[g["district"] == name]
        assert shapely.covers(poly, rows.geometry.to_numpy()).all()
    assert (g["district"] != "").all()


def test_synthetic_precision_km_within_class_ranges(layers):
    g = scale.synthetic_occurrences(500, layers, seed=3)
    for cls, (lo, hi) in scale._PRECISION_KM.items():
        km = g.loc[g["precision"] == cls, "precision_km"]
        assert ((km >= lo) & (km <= hi)).all(), cls


def test_synthetic_deterministic_by_seed(layers):
    a = scale.synthetic_occurrences(200, layers, seed=7)
    b = scale.synthetic_occurrences(200, layers, seed=7)
    c = scale.synthetic_occurrences(200, layers, seed=8)
    pd.testing.assert_frame_equal(pd.DataFrame(a.drop(columns="geometry")),
                                  pd.DataFrame(b.drop(columns="geometry")))
    assert not np.allclose(a["lon"], c["lon"])


def test_synthetic_zero_rows_keep_columns(layers):
    g = scale.synthetic_occurrences(0, layers)
    assert g.empty and list(g.columns) == [*OCCURRENCE_COLUMNS, "geometry"]


@pytest.mark.parametrize("n", [-1, 2.5, "10", True])
def test_synthetic_rejects_bad_n(layers, n):
    with pytest.raises(ValidationError, match="integer"):
        scale.synthetic_occurrences(n, layers)


def test_synthetic_needs_provinces(layers):
    with pytest.raises(ValidationError, match="provinces layer"):
        scale.synthetic_occurrences(10, {k: v for k, v in layers.items() if k != "provinces"})


def test_synthetic_without_districts_leaves_district_empty(layers):
    g = scale.synthetic_occurrences(20, {"provinces": layers["provinces"]})
    assert (g["district"] == "").all() and (g["province"] != "").all()


# ---- load_inventory -------------------------------------------------------------------------


def _inventory_frame(n: int = 3) -> pd.DataFrame:
    return pd.DataFrame({
        "id": [f"INV-{i}" for i in range(n)],
        "name": [f"Inventory site {i}" for i in range(n)],
        "commodity": ["Sb", "REE", "Cu"][:n],
        "precision": ["locality", "surveyed", "district"][:n],
        "precision_km": [2.0, 0.5, 30.0][:n],
        "source_title": ["MRDS record"] * n,
        "source_url": ["https://mrdata.usgs.gov/mrds/"] * n,
        "lon": [65.5, 68.2, 66.1][:n],
        "lat": [29.1, 30.3, 28.7][:n],
        "status": ["occurrence"] * n,
        "extra_column": ["dropped"] * n,
    })


def _check_inventory(g: gpd.GeoDataFrame, name: str) -> None:
    assert list(g.columns) == [*OCCURRENCE_COLUMNS, "geometry"]
    assert g["id"].tolist() == ["INV-0", "INV-1", "INV-2"]
    np.testing.assert_allclose(g["lon"], [65.5, 68.2, 66.1])
    np.testing.assert_allclose(g.geometry.y, [29.1, 30.3, 28.7])
    assert g["precision_km"].dtype == float and g["status"].iloc[0] == "occurrence"
    assert (g["source_dataset"] == name).all()  # file name fills a missing dataset column
    assert (g["minerals"] == "").all() and g["ore_tonnage_t"].isna().all()


def test_load_inventory_csv(tmp_path):
    path = tmp_path / "inv.csv"
    _inventory_frame().to_csv(path, index=False)
    _check_inventory(scale.load_inventory(path), "inv.csv")


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".parquet"])
def test_load_inventory_geo_formats(tmp_path, suffix):
    df = _inventory_frame()
    g = gpd.GeoDataFrame(df.drop(columns=["lon", "lat"]),
                         geometry=gpd.points_from_xy(df["lon"], df["lat"]), crs=4326)
    path = tmp_path / f"inv{suffix}"
    if suffix == ".parquet":
        g.to_crs(3857).to_parquet(path)  # reprojected back to EPSG:4326 on load
    else:
        g.to_file(path)
    got = scale.load_inventory(path)
    np.testing.assert_allclose(got["lat"], [29.1, 30.3, 28.7], atol=1e-7)
    _check_inventory(got, path.name)


def test_load_inventory_missing_file(tmp_path):
    with pytest.raises(SourceError, match="not found"):
        scale.load_inventory(tmp_path / "nope.csv")


def test_load_inventory_unsupported_suffix(tmp_path):
    path = tmp_path / "inv.xlsx"
    path.write_bytes(b"PK")
    with pytest.raises(SourceError, match="unsupported file type '.xlsx'"):
        scale.load_inventory(path)


def test_load_inventory_missing_required_column(tmp_path):
    path = tmp_path / "inv.csv"
    _inventory_frame().drop(columns=["precision_km", "source_url"]).to_csv(path, index=False)
    with pytest.raises(ValidationError, match="precision_km, source_url") as err:
        scale.load_inventory(path)
    assert str(path) in str(err.value)


def test_load_inventory_row_rules(tmp_path):
    path = tmp_path / "inv.csv"
    df = _inventory_frame()
    df.loc[1, "id"] = "INV-0"
    df.to_csv(path, index=False)
    with pytest.raises(ValidationError, match="duplicate id.*INV-0"):
        scale.load_inventory(path)
    df = _inventory_frame()
    df.loc[2, "precision"] = "guess"
    df.to_csv(path, index=False)
    with pytest.raises(ValidationError, match="unknown precision class.*INV-2"):
        scale.load_inventory(path)
    df = _inventory_frame()
    df.loc[0, "lat"] = 123.0
    df.to_csv(path, index=False)
    with pytest.raises(ValidationError, match="lat outside"):
        scale.load_inventory(path)


def test_load_inventory_rejects_polygons(tmp_path):
    df = _inventory_frame(1)
    g = gpd.GeoDataFrame(df.drop(columns=["lon", "lat"]),
                         geometry=[shapely.box(65, 29, 66, 30)], crs=4326)
    path = tmp_path / "inv.geojson"
    g.to_file(path)
    with pytest.raises(ValidationError, match="not a point at INV-0"):
        scale.load_inventory(path)


def test_load_inventory_corrupt_file(tmp_path):
    path = tmp_path / "inv.parquet"
    path.write_bytes(b"this is not parquet")
    with pytest.raises(SourceError, match="cannot be read as GeoParquet"):
        scale.load_inventory(path)


def test_demo_scale_from_env():
    assert scale.demo_scale_from_env({}) == 0
    assert scale.demo_scale_from_env({"MINERALMAP_DEMO_SCALE": " 100_000 "}) == 100_000
    with pytest.raises(ValidationError, match="whole number"):
        scale.demo_scale_from_env({"MINERALMAP_DEMO_SCALE": "100k"})
    with pytest.raises(ValidationError, match="outside"):
        scale.demo_scale_from_env({"MINERALMAP_DEMO_SCALE": "-5"})


# ---- catalog with extra occurrences ---------------------------------------------------------


def extra_caches(cache) -> dict[str, int]:
    """Enriched extra-occurrence cache files -> mtime (a new or rewritten file = enriched)."""
    return {f.name: f.stat().st_mtime_ns
            for f in cache.glob(f"{catalog.EXTRA_ENRICHED_PREFIX}*.parquet")}


def test_catalog_demo_scale_adds_synthetic_rows_and_banner(cache, geodata,
                                                           occurrences, monkeypatch):
    plain = load_catalog(cache)
    curated_file = cache / catalog.ENRICHED_FILE
    before = curated_file.read_bytes()
    assert plain.notices == () and extra_caches(cache) == {}

    monkeypatch.setenv("MINERALMAP_DEMO_SCALE", "500")
    cat = load_catalog(cache)
    occ = cat.occurrences
    assert len(occ) == len(occurrences) + 500
    assert occ["id"].is_unique
    assert occ["id"].iloc[: len(occurrences)].tolist() == occurrences["id"].tolist()
    syn = occ[occ["id"].str.startswith("SYN-")]
    assert len(syn) == 500 and (syn["source_title"] == scale.SYNTHETIC_TITLE).all()
    assert syn["mapped"].all() and syn["haul_road_km"].notna().all()  # enriched
    assert set(OCCURRENCE_COLUMNS) | set(ENRICH_COLUMNS) <= set(occ.columns)
    assert len(cat.notices) == 1
    assert "500 SYNTHETIC demo points (not real data" in cat.notices[0]
    assert "MINERALMAP_DEMO_SCALE" in cat.notices[0]
    assert cat.key != plain.key
    # curated rows came from their own cache; only the 500 extras were enriched
    assert curated_file.read_bytes() == before  # the curated cache file is never rewritten
    first = extra_caches(cache)
    assert len(first) == 1

    again = load_catalog(cache)  # served from the extra cache file
    assert extra_caches(cache) == first
    assert again.key == cat.key
    assert again.occurrences["id"].tolist() == occ["id"].tolist()

    monkeypatch.setenv("MINERALMAP_DEMO_SCALE", "20")  # another N: another file, new enrichment
    small = load_catalog(cache)
    assert len(small.occurrences) == len(occurrences) + 20
    assert len(extra_caches(cache)) == 2

    monkeypatch.delenv("MINERALMAP_DEMO_SCALE")
    back = load_catalog(cache)
    assert back.key == plain.key and back.notices == ()


def test_catalog_extra_cache_is_bounded(cache, geodata, monkeypatch):
    for n in range(1, catalog.EXTRA_ENRICHED_KEEP + 3):
        monkeypatch.setenv("MINERALMAP_DEMO_SCALE", str(n))
        load_catalog(cache)
    files = list(cache.glob(f"{catalog.EXTRA_ENRICHED_PREFIX}*"))
    assert len(files) == 2 * catalog.EXTRA_ENRICHED_KEEP  # parquet + json each


def test_catalog_demo_scale_real_enrichment(cache, geodata, monkeypatch):
    monkeypatch.setenv("MINERALMAP_DEMO_SCALE", "50")
    cat = load_catalog(cache)
    syn = cat.occurrences[cat.occurrences["id"].str.startswith("SYN-")]
    assert "enrichment" not in cat.missing, cat.missing
    assert syn["mapped"].all() and syn["haul_road_km"].notna().all()
    assert (syn["province_geo"] == syn["province"]).all()


def test_catalog_inventory_in_addition(cache, geodata, occurrences,
                                       monkeypatch, tmp_path):
    path = tmp_path / "inv.csv"
    _inventory_frame().to_csv(path, index=False)
    monkeypatch.setenv("MINERALMAP_OCCURRENCES", str(path))
    monkeypatch.setenv("MINERALMAP_DEMO_SCALE", "10")
    cat = load_catalog(cache)
    ids = cat.occurrences["id"]
    assert len(cat.occurrences) == len(occurrences) + 3 + 10
    assert {"INV-0", "INV-1", "INV-2"} <= set(ids) and ids.str.startswith("SYN-").sum() == 10
    assert len(cat.notices) == 2
    assert "3 occurrences from the inventory file" in cat.notices[0] and str(path) in cat.notices[0]
    assert "10 SYNTHETIC" in cat.notices[1]
    files = extra_caches(cache)
    load_catalog(cache)
    assert extra_caches(cache) == files  # cached
    df = _inventory_frame()  # changed content -> new fingerprint -> recomputed
    df.loc[0, "name"] = "Renamed"
    df.to_csv(path, index=False)
    cat2 = load_catalog(cache)
    assert len(extra_caches(cache)) == len(files) + 1
    assert (cat2.occurrences["name"] == "Renamed").any() and cat2.key != cat.key


def test_catalog_inventory_id_clash_is_reported(cache, geodata, occurrences,
                                                monkeypatch, tmp_path):
    df = _inventory_frame()
    df.loc[0, "id"] = occurrences["id"].iloc[0]  # clashes with a curated id
    path = tmp_path / "inv.csv"
    df.to_csv(path, index=False)
    monkeypatch.setenv("MINERALMAP_OCCURRENCES", str(path))
    cat = load_catalog(cache)
    assert len(cat.occurrences) == len(occurrences)
    msg = cat.missing["inventory"]
    assert occurrences["id"].iloc[0] in msg and "unique id" in msg and str(path) in msg
    assert cat.notices == ()


def test_catalog_bad_inventory_and_bad_scale_are_reported(cache, geodata,
                                                          occurrences, monkeypatch, tmp_path):
    monkeypatch.setenv("MINERALMAP_OCCURRENCES", str(tmp_path / "missing.gpkg"))
    monkeypatch.setenv("MINERALMAP_DEMO_SCALE", "lots")
    cat = load_catalog(cache)
    assert "missing.gpkg" in cat.missing["inventory"] and "not found" in cat.missing["inventory"]
    assert "whole number" in cat.missing["demo_scale"]
    assert len(cat.occurrences) == len(occurrences)


def test_catalog_extras_without_enrichment(cache, geodata, monkeypatch):
    monkeypatch.setenv("MINERALMAP_DEMO_SCALE", "30")
    cat = load_catalog(cache, enrich=False)
    syn = cat.occurrences[cat.occurrences["id"].str.startswith("SYN-")]
    assert len(syn) == 30 and syn["haul_road_km"].isna().all()
    assert not list(cache.glob(f"{catalog.EXTRA_ENRICHED_PREFIX}*"))


def test_catalog_demo_scale_without_provinces(cache, geodata, occurrences,
                                              monkeypatch):
    (cache / "provinces.parquet").unlink()
    monkeypatch.setenv("MINERALMAP_DEMO_SCALE", "30")
    cat = load_catalog(cache)
    assert "provinces layer" in cat.missing["demo_scale"]
    assert len(cat.occurrences) == len(occurrences)


def test_errors_are_mineralmap_errors():
    assert issubclass(SourceError, MineralmapError) and issubclass(ValidationError, MineralmapError)


# ------------------------------------------------------- issue 15: plausible values, empty points


def test_load_inventory_empty_point_is_an_unmapped_row(tmp_path):
    df = _inventory_frame()
    geoms = [shapely.Point(65.5, 29.1), shapely.Point(), shapely.Point(66.1, 28.7)]
    g = gpd.GeoDataFrame(df.drop(columns=["lon", "lat"]), geometry=geoms, crs=4326)
    path = tmp_path / "inv.parquet"
    g.to_crs(3857).to_parquet(path)  # the reprojection must cope with the empty point too
    got = scale.load_inventory(path)
    assert np.isnan(got["lon"].iloc[1]) and np.isnan(got["lat"].iloc[1])
    assert got.geometry.iloc[1] is None or got.geometry.iloc[1].is_empty
    np.testing.assert_allclose(got["lon"].iloc[[0, 2]], [65.5, 66.1], atol=1e-7)


def _csv_with(tmp_path, **cells) -> Path:
    df = _inventory_frame()
    for key, value in cells.items():
        col, _, row = key.rpartition("_")
        df[col] = (df[col] if col in df.columns else pd.Series([""] * len(df))).astype(object)
        df.loc[int(row), col] = value
    path = tmp_path / "inv.csv"
    df.to_csv(path, index=False)
    return path


def test_load_inventory_swapped_lat_lon_is_refused_with_a_hint(tmp_path):
    path = _csv_with(tmp_path, lon_1=30.3, lat_1=68.2)
    with pytest.raises(ValidationError, match="swapped") as err:
        scale.load_inventory(path)
    assert "INV-1" in str(err.value)


def test_load_inventory_outside_pakistan_is_refused(tmp_path):
    path = _csv_with(tmp_path, lon_0=20.0, lat_0=78.0)  # Svalbard: a 1,775 km "road haul"
    with pytest.raises(ValidationError, match="outside Pakistan.*INV-0"):
        scale.load_inventory(path)


@pytest.mark.parametrize(("col", "value"), [
    ("precision_km", "1e308"), ("precision_km", "0"), ("precision_km", "501"),
    ("precision_km", "inf"), ("ore_tonnage_t", "1e12"), ("ore_tonnage_t", "-1"),
    ("ore_tonnage_t", "inf"), ("ore_tonnage_t", "9.3e18"),
])
def test_load_inventory_numeric_fields_have_plausible_ranges(tmp_path, col, value):
    path = _csv_with(tmp_path, **{f"{col}_2": value})
    with pytest.raises(ValidationError, match=f"{col}.*INV-2"):
        scale.load_inventory(path)


@pytest.mark.parametrize("value", ["true", "True", "false"])
def test_load_inventory_booleans_are_not_coordinates(tmp_path, value):
    path = _csv_with(tmp_path, lon_0=value)
    with pytest.raises(ValidationError):
        scale.load_inventory(path)


def test_load_inventory_json_booleans_are_not_coordinates(tmp_path):
    path = tmp_path / "inv.geojson"
    feat = {"type": "Feature", "properties": {k: v for k, v in _inventory_frame(1).iloc[0].items()
                                              if k not in ("lon", "lat")},
            "geometry": {"type": "Point", "coordinates": [True, False]}}
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feat]}, default=str))
    try:
        got = scale.load_inventory(path)
    except (ValidationError, SourceError):
        return
    assert got["lon"].isna().all() and got["lat"].isna().all()  # unmapped, never (1, 0)


def test_catalog_inventory_with_an_empty_point_loads_it_unmapped(cache, geodata, occurrences,
                                                                  monkeypatch, tmp_path):
    df = _inventory_frame()
    g = gpd.GeoDataFrame(df.drop(columns=["lon", "lat"]),
                         geometry=[shapely.Point(65.5, 29.1), shapely.Point(),
                                   shapely.Point(66.1, 28.7)], crs=4326)
    path = tmp_path / "inv.parquet"
    g.to_parquet(path)
    monkeypatch.setenv("MINERALMAP_OCCURRENCES", str(path))
    cat = load_catalog(cache)
    assert "inventory" not in cat.missing
    row = cat.occurrences.set_index("id").loc["INV-1"]
    assert np.isnan(row["lon"]) and (row.geometry is None or row.geometry.is_empty)


def test_catalog_reports_swapped_inventory_instead_of_loading_it(cache, geodata, occurrences,
                                                                 monkeypatch, tmp_path):
    df = _inventory_frame()
    df["lon"], df["lat"] = df["lat"], df["lon"]
    path = tmp_path / "inv.csv"
    df.to_csv(path, index=False)
    monkeypatch.setenv("MINERALMAP_OCCURRENCES", str(path))
    cat = load_catalog(cache)
    assert "swapped" in cat.missing["inventory"]
    assert len(cat.occurrences) == len(occurrences)
