"""Tests of mineralmap.catalog on a cache written from the conftest toy world."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

import mineralmap.curated as curated
import mineralmap.enrich as enrich_mod
from mineralmap import catalog
from mineralmap.catalog import Catalog, load_catalog, load_layers
from mineralmap.ingest import MANIFEST_FILE, write_parquet_atomic
from mineralmap.schema import ENRICH_COLUMNS, LAYER_COLUMNS, OCCURRENCE_COLUMNS
from mineralmap.sources import MANIFEST

CURATED = ("ports", "border_crossings", "dry_ports")
BULK = [n for n in LAYER_COLUMNS if n not in CURATED]


@pytest.fixture
def enrich_calls(monkeypatch):
    """Replace mineralmap.enrich.enrich by a recorder that fills every column with 1.0."""
    calls: list[list[str]] = []

    def fake(occ, lyrs):
        calls.append(sorted(k for k, v in lyrs.items() if len(v)))
        out = occ.copy()
        for c in ENRICH_COLUMNS:
            out[c] = 1.0
        return out

    monkeypatch.setattr(enrich_mod, "enrich", fake)
    return calls


def test_load_layers_roundtrip(cache, layers, fake_curated):
    got, missing = load_layers(cache)
    assert missing == {}
    assert list(got) == list(LAYER_COLUMNS)
    for name, gdf in got.items():
        assert gdf.crs.to_epsg() == 4326
        assert set(LAYER_COLUMNS[name]) <= set(gdf.columns)
        assert len(gdf) == len(layers[name])
        assert gdf.geometry.geom_equals(layers[name].geometry).all()
    assert got["railways"]["active"].tolist() == [True, False]


def test_empty_cache_gives_empty_layers_with_columns(tmp_path, fake_curated):
    got, missing = load_layers(tmp_path / "nothing")
    assert set(got) == set(LAYER_COLUMNS)
    for name in BULK:
        assert got[name].empty
        assert list(got[name].columns) == [*LAYER_COLUMNS[name], "geometry"]
        assert got[name].crs.to_epsg() == 4326
        assert missing[name] == "not built yet: run `python -m mineralmap data`"
    for name in CURATED:  # curated tables do not need the cache
        assert name not in missing and len(got[name]) > 0


def test_failure_message_from_manifest(cache, fake_curated):
    (cache / "roads.parquet").unlink()
    manifest = json.loads((cache / MANIFEST_FILE).read_text())
    manifest["layers"]["roads"] = {"status": "failed", "error": "roads.geojson: cannot be read"}
    (cache / MANIFEST_FILE).write_text(json.dumps(manifest))
    got, missing = load_layers(cache)
    assert missing == {"roads": "roads.geojson: cannot be read"}
    assert got["roads"].empty and "fclass" in got["roads"].columns


def test_stale_cache_after_failed_rebuild_is_still_used(cache, fake_curated):
    manifest = json.loads((cache / MANIFEST_FILE).read_text())
    manifest["layers"]["roads"].update(status="failed", error="corrupt")
    (cache / MANIFEST_FILE).write_text(json.dumps(manifest))
    got, missing = load_layers(cache)
    assert "roads" not in missing and len(got["roads"]) == 6


def test_unreadable_cache_file_is_reported(cache, fake_curated):
    (cache / "towns.parquet").write_bytes(b"not parquet")
    got, missing = load_layers(cache)
    assert "towns.parquet" in missing["towns"] and "--force" in missing["towns"]
    assert got["towns"].empty


def test_curated_failure_is_reported(cache, fake_curated, monkeypatch):
    from mineralmap.errors import ValidationError

    def bad(*a, **k):
        raise ValidationError("geodata/ports.csv: duplicate id karachi")

    monkeypatch.setattr(curated, "load_ports", bad)
    got, missing = load_layers(cache)
    assert missing == {"ports": "geodata/ports.csv: duplicate id karachi"}
    assert got["ports"].empty and list(got["ports"].columns)[:4] == list(LAYER_COLUMNS["ports"])


def test_catalog_enriches_once_then_reads_cache(cache, fake_curated, enrich_calls, occurrences):
    cat = load_catalog(cache)
    assert isinstance(cat, Catalog)
    assert len(enrich_calls) == 1 and "roads" in enrich_calls[0]
    assert "enrichment" not in cat.missing
    assert len(cat.occurrences) == len(occurrences)  # unmapped row kept
    assert cat.occurrences.geometry.isna().sum() == 1
    assert set(OCCURRENCE_COLUMNS) | set(ENRICH_COLUMNS) <= set(cat.occurrences.columns)
    assert (cat.occurrences["haul_road_km"] == 1.0).all()
    assert (cache / catalog.ENRICHED_FILE).is_file()
    again = load_catalog(cache)
    assert len(enrich_calls) == 1  # served from occurrences_enriched.parquet
    assert again.key == cat.key
    pd.testing.assert_frame_equal(
        pd.DataFrame(again.occurrences.drop(columns="geometry")),
        pd.DataFrame(cat.occurrences.drop(columns="geometry")), check_dtype=False)


def test_changed_layer_recomputes_enrichment_and_key(cache, fake_curated, enrich_calls, layers):
    first = load_catalog(cache)
    write_parquet_atomic(layers["towns"].iloc[:1], cache / "towns.parquet")
    second = load_catalog(cache)
    assert len(enrich_calls) == 2
    assert second.key != first.key
    assert len(second.layer("towns")) == 1


def test_changed_occurrences_recompute(cache, fake_curated, enrich_calls, occurrences,
                                       monkeypatch):
    load_catalog(cache)
    changed = occurrences.copy()
    changed.loc[0, "name"] = "Renamed"
    monkeypatch.setattr(curated, "load_occurrences", lambda *a, **k: changed.copy())
    cat = load_catalog(cache)
    assert len(enrich_calls) == 2
    assert cat.occurrences.loc[0, "name"] == "Renamed"


def test_enrich_failure_keeps_empty_columns(cache, fake_curated, monkeypatch):
    def boom(occ, lyrs):
        raise ValueError("no route")

    monkeypatch.setattr(enrich_mod, "enrich", boom)
    cat = load_catalog(cache)
    assert "no route" in cat.missing["enrichment"]
    for c in ENRICH_COLUMNS:
        assert c in cat.occurrences.columns and cat.occurrences[c].isna().all()
    assert not (cache / catalog.ENRICHED_FILE).exists()


def test_missing_core_layer_skips_enrichment(cache, fake_curated, enrich_calls):
    (cache / "roads.parquet").unlink()
    cat = load_catalog(cache)
    assert enrich_calls == []
    assert "roads" in cat.missing["enrichment"]
    assert cat.occurrences["road_km"].isna().all()


def test_missing_minor_layer_gives_partial_note(cache, fake_curated, enrich_calls):
    (cache / "towns.parquet").unlink()
    cat = load_catalog(cache)
    assert len(enrich_calls) == 1 and "towns" not in enrich_calls[0]
    assert "towns" in cat.missing["enrichment"]


def test_enrich_false_adds_nan_columns(cache, fake_curated, enrich_calls):
    cat = load_catalog(cache, enrich=False)
    assert enrich_calls == []
    assert all(cat.occurrences[c].isna().all() for c in ENRICH_COLUMNS)


def test_missing_occurrence_table(cache, fake_curated, enrich_calls, monkeypatch):
    from mineralmap.errors import SourceError

    def gone(*a, **k):
        raise SourceError("geodata/occurrences.csv not found")

    monkeypatch.setattr(curated, "load_occurrences", gone)
    cat = load_catalog(cache)
    assert "occurrences.csv not found" in cat.missing["occurrences"]
    assert cat.occurrences.empty
    assert set(OCCURRENCE_COLUMNS) | set(ENRICH_COLUMNS) <= set(cat.occurrences.columns)


def test_catalog_layer_accessor_and_attributions(cache, fake_curated, enrich_calls):
    cat = load_catalog(cache)
    assert cat.layer("roads") is cat.layers["roads"]
    with pytest.raises(KeyError, match="unknown layer 'rivers'"):
        cat.layer("rivers")
    assert {a["layer"] for a in cat.attributions} == set(MANIFEST)


def test_default_cache_dir_from_env(cache, fake_curated, monkeypatch):
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


def test_no_extra_occurrences_by_default(cache, fake_curated, enrich_calls, occurrences):
    cat = load_catalog(cache)
    assert cat.notices == ()
    assert len(cat.occurrences) == len(occurrences)
    assert not list(cache.glob(f"{catalog.EXTRA_ENRICHED_PREFIX}*"))


def test_extra_occurrences_keep_curated_rows_first(cache, fake_curated, enrich_calls,
                                                   occurrences, monkeypatch):
    monkeypatch.setenv("MINERALMAP_DEMO_SCALE", "5")
    cat = load_catalog(cache)
    assert cat.occurrences["id"].tolist()[: len(occurrences)] == occurrences["id"].tolist()
    assert cat.occurrences.index.equals(pd.RangeIndex(len(occurrences) + 5))
    assert cat.occurrences.crs.to_epsg() == 4326
    assert len(cat.notices) == 1
