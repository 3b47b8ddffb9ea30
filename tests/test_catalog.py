"""Tests of mineralmap.catalog on the toy world (tests/toy_world.py) written as real files: a cache folder
(``cache`` fixture) and curated CSV tables in ``MINERALMAP_GEODATA`` (``geodata`` fixture); the
real curated loaders and the real enrichment run on them."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from toy_geodata import write_geodata

import mineralmap.enrich as enrich_mod
from mineralmap import catalog
from mineralmap._store import MANIFEST_FILE, sidecar, write_parquet_atomic
from mineralmap.catalog import Catalog, load_catalog, load_layers
from mineralmap.schema import ENRICH_COLUMNS, LAYER_COLUMNS, OCCURRENCE_COLUMNS
from mineralmap.sources import MANIFEST

CURATED = ("ports", "border_crossings", "dry_ports")
BULK = [n for n in LAYER_COLUMNS if n not in CURATED]


def enriched_stamp(cache):
    """(fingerprint, mtime) of the enriched-occurrence cache, None when it was never written."""
    path = cache / catalog.ENRICHED_FILE
    if not path.is_file():
        return None
    return json.loads(sidecar(path).read_text())["fingerprint"], path.stat().st_mtime_ns


def test_load_layers_roundtrip(cache, layers, geodata):
    got, missing = load_layers(cache)
    assert missing == {}
    assert list(got) == list(LAYER_COLUMNS)
    for name, gdf in got.items():
        assert gdf.crs.to_epsg() == 4326
        assert set(LAYER_COLUMNS[name]) <= set(gdf.columns)
        assert len(gdf) == len(layers[name])
        assert gdf.geometry.geom_equals(layers[name].geometry).all()
    assert got["railways"]["active"].tolist() == [True, False]


def test_empty_cache_gives_empty_layers_with_columns(tmp_path, geodata):
    got, missing = load_layers(tmp_path / "nothing")
    assert set(got) == set(LAYER_COLUMNS)
    for name in BULK:
        assert got[name].empty
        assert list(got[name].columns) == [*LAYER_COLUMNS[name], "geometry"]
        assert got[name].crs.to_epsg() == 4326
        assert missing[name] == "not built yet: run `python -m mineralmap data`"
    for name in CURATED:  # curated tables do not need the cache
        assert name not in missing and len(got[name]) > 0


def test_failure_message_from_manifest(cache, geodata):
    (cache / "roads.parquet").unlink()
    manifest = json.loads((cache / MANIFEST_FILE).read_text())
    manifest["layers"]["roads"] = {"status": "failed", "error": "roads.geojson: cannot be read"}
    (cache / MANIFEST_FILE).write_text(json.dumps(manifest))
    got, missing = load_layers(cache)
    assert missing == {"roads": "roads.geojson: cannot be read"}
    assert got["roads"].empty and "fclass" in got["roads"].columns


def test_stale_cache_after_failed_rebuild_is_still_used(cache, geodata):
    manifest = json.loads((cache / MANIFEST_FILE).read_text())
    manifest["layers"]["roads"].update(status="failed", error="corrupt")
    (cache / MANIFEST_FILE).write_text(json.dumps(manifest))
    got, missing = load_layers(cache)
    assert "roads" not in missing and len(got["roads"]) == 6


def test_unreadable_cache_file_is_reported(cache, geodata):
    (cache / "towns.parquet").write_bytes(b"not parquet")
    got, missing = load_layers(cache)
    assert "towns.parquet" in missing["towns"] and "--force" in missing["towns"]
    assert got["towns"].empty


def test_curated_failure_is_reported(cache, geodata):
    table = pd.read_csv(geodata / "ports.csv", dtype=str, keep_default_na=False)
    pd.concat([table, table[table["id"] == "karachi"]]).to_csv(geodata / "ports.csv", index=False)
    got, missing = load_layers(cache)
    assert list(missing) == ["ports"]
    assert "ports.csv: duplicate id(s) karachi" in missing["ports"]
    assert got["ports"].empty and list(got["ports"].columns)[:4] == list(LAYER_COLUMNS["ports"])


def test_catalog_enriches_once_then_reads_cache(cache, geodata, layers, occurrences):
    cat = load_catalog(cache)
    assert isinstance(cat, Catalog)
    assert "enrichment" not in cat.missing
    assert len(cat.occurrences) == len(occurrences)  # unmapped row kept
    assert cat.occurrences.geometry.isna().sum() == 1
    assert set(OCCURRENCE_COLUMNS) | set(ENRICH_COLUMNS) <= set(cat.occurrences.columns)
    expected = enrich_mod.enrich(occurrences, layers)  # what the cache must hold
    pd.testing.assert_series_equal(cat.occurrences["haul_road_km"], expected["haul_road_km"],
                                   check_names=False)
    stamp = enriched_stamp(cache)
    assert stamp is not None
    again = load_catalog(cache)
    assert enriched_stamp(cache) == stamp  # served from occurrences_enriched.parquet
    assert again.key == cat.key
    def plain(occ):  # parquet brings text back as str dtype with NaN; compare the values
        df = pd.DataFrame(occ.drop(columns="geometry")).astype(object)
        return df.where(df.notna(), None)

    pd.testing.assert_frame_equal(plain(again.occurrences), plain(cat.occurrences))


def test_changed_layer_recomputes_enrichment_and_key(cache, geodata, layers):
    first = load_catalog(cache)
    stamp = enriched_stamp(cache)
    write_parquet_atomic(layers["towns"].iloc[:1], cache / "towns.parquet")
    second = load_catalog(cache)
    assert enriched_stamp(cache)[0] != stamp[0]
    assert set(second.occurrences["town_nearest"].dropna()) == {layers["towns"]["name"].iloc[0]}
    assert second.key != first.key
    assert len(second.layer("towns")) == 1


def test_small_layers_read_again_are_fresh_copies_of_the_same_bytes(cache, layers):
    """Small layer files are kept in memory by content (catalog._SMALL_LAYERS): a second load
    gets an independent copy, and a file with other bytes is read again, also in place."""
    first, _ = load_layers(cache)
    first["roads"].loc[0, "ref"] = "changed by the caller"
    again, _ = load_layers(cache)
    assert again["roads"].loc[0, "ref"] != "changed by the caller"
    pd.testing.assert_frame_equal(pd.DataFrame(again["roads"]), pd.DataFrame(load_layers(cache)[0]["roads"]))
    path = cache / "towns.parquet"
    one = layers["towns"].iloc[:1]
    one.to_parquet(path)  # rewritten in place: same file, other bytes
    assert len(load_layers(cache)[0]["towns"]) == 1


def test_changed_occurrences_recompute(cache, geodata, layers, occurrences):
    load_catalog(cache)
    stamp = enriched_stamp(cache)
    changed = occurrences.copy()
    changed.loc[0, "name"] = "Renamed"
    write_geodata(geodata, layers, changed)
    cat = load_catalog(cache)
    assert enriched_stamp(cache)[0] != stamp[0]
    assert cat.occurrences.loc[0, "name"] == "Renamed"


def test_enrich_version_is_part_of_the_cache_key(cache, geodata, monkeypatch):
    load_catalog(cache)
    stamp = enriched_stamp(cache)
    monkeypatch.setattr(enrich_mod, "ENRICH_VERSION", enrich_mod.ENRICH_VERSION + "-next")
    load_catalog(cache)
    assert enriched_stamp(cache)[0] != stamp[0]


def test_enrich_failure_keeps_empty_columns(cache, geodata, monkeypatch):
    def boom(occ, lyrs, **_indexes):  # fault injection: the real enrich has no input that makes it crash
        raise ValueError("no route")

    monkeypatch.setattr(enrich_mod, "enrich", boom)
    cat = load_catalog(cache)
    assert "no route" in cat.missing["enrichment"]
    for c in ENRICH_COLUMNS:
        assert c in cat.occurrences.columns and cat.occurrences[c].isna().all()
    assert not (cache / catalog.ENRICHED_FILE).exists()


def test_missing_core_layer_skips_enrichment(cache, geodata):
    (cache / "roads.parquet").unlink()
    cat = load_catalog(cache)
    assert enriched_stamp(cache) is None
    assert "roads" in cat.missing["enrichment"]
    assert cat.occurrences["road_km"].isna().all()


def test_missing_minor_layer_gives_partial_note(cache, geodata):
    (cache / "towns.parquet").unlink()
    cat = load_catalog(cache)
    assert cat.occurrences["town_km"].isna().all()
    assert cat.occurrences.loc[cat.occurrences["mapped"].astype(bool), "road_km"].notna().all()
    assert "towns" in cat.missing["enrichment"]


def test_enrich_false_adds_nan_columns(cache, geodata):
    cat = load_catalog(cache, enrich=False)
    assert enriched_stamp(cache) is None
    assert all(cat.occurrences[c].isna().all() for c in ENRICH_COLUMNS)


def test_missing_occurrence_table(cache, geodata):
    (geodata / "occurrences.csv").unlink()
    cat = load_catalog(cache)
    assert "occurrences.csv is missing" in cat.missing["occurrences"]
    assert cat.occurrences.empty
    assert set(OCCURRENCE_COLUMNS) | set(ENRICH_COLUMNS) <= set(cat.occurrences.columns)


def test_catalog_layer_accessor_and_attributions(cache, geodata):
    cat = load_catalog(cache)
    assert cat.layer("roads") is cat.layers["roads"]
    with pytest.raises(KeyError, match="unknown layer 'rivers'"):
        cat.layer("rivers")
    assert {a["layer"] for a in cat.attributions} == set(MANIFEST)


def test_default_cache_dir_from_env(cache, geodata, monkeypatch):
    monkeypatch.setenv("MINERALMAP_CACHE", str(cache))
    got, missing = load_layers()
    assert missing == {} and len(got["roads"]) == 6


def test_read_geoparquet_matches_geopandas(cache):
    for name in ("roads", "provinces", "towns"):
        ours = catalog.read_geoparquet(cache / f"{name}.parquet")
        ref = gpd.read_parquet(cache / f"{name}.parquet")
        assert ours.crs == ref.crs
        pd.testing.assert_frame_equal(pd.DataFrame(ours.drop(columns="geometry")),
                                      pd.DataFrame(ref.drop(columns="geometry")))
        assert np.array_equal(ours.geometry.to_wkb().to_numpy(), ref.geometry.to_wkb().to_numpy())


def test_read_geoparquet_other_crs_falls_back(tmp_path, towns):
    path = tmp_path / "t.parquet"
    towns.to_crs(3857).to_parquet(path)
    got = catalog.read_geoparquet(path)
    assert got.crs.to_epsg() == 3857


def test_no_extra_occurrences_by_default(cache, geodata, occurrences):
    cat = load_catalog(cache)
    assert cat.notices == ()
    assert len(cat.occurrences) == len(occurrences)
    assert not list(cache.glob(f"{catalog.EXTRA_ENRICHED_PREFIX}*"))


def test_extra_occurrences_keep_curated_rows_first(cache, geodata,
                                                   occurrences, monkeypatch):
    monkeypatch.setenv("MINERALMAP_DEMO_SCALE", "5")
    cat = load_catalog(cache)
    assert cat.occurrences["id"].tolist()[: len(occurrences)] == occurrences["id"].tolist()
    assert cat.occurrences.index.equals(pd.RangeIndex(len(occurrences) + 5))
    assert cat.occurrences.crs.to_epsg() == 4326
    assert len(cat.notices) == 1
