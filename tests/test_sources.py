"""Tests of the source manifest, mirror lookup and attributions."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from mineralmap import sources
from mineralmap.errors import SourceError
from mineralmap.schema import LAYER_COLUMNS
from mineralmap.sources import MANIFEST, SourceSpec, attributions, mirror_dir

INGESTED = ["provinces", "districts", "tehsils", "countries", "roads", "railways",
            "rail_stations", "power_plants", "airports", "towns"]
CURATED = ["occurrences", "ports", "border_crossings", "dry_ports"]


def test_manifest_lists_every_layer():
    assert set(MANIFEST) == set(INGESTED) | set(CURATED)
    assert set(LAYER_COLUMNS) <= set(MANIFEST)
    assert [n for n, s in MANIFEST.items() if s.ingested] == INGESTED
    for name, spec in MANIFEST.items():
        assert spec.name == name
        assert isinstance(spec, SourceSpec)


def test_specs_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        MANIFEST["roads"].url = "x"  # type: ignore[misc]


def test_file_specs_have_mirror_path_and_url():
    for name in INGESTED:
        spec = MANIFEST[name]
        assert spec.url.startswith("https://")
        assert spec.geometry in ("polygon", "line", "point")
        if spec.reader == "package":
            assert spec.mirror_path is None and spec.package
        else:
            assert spec.mirror_path and not Path(spec.mirror_path).is_absolute()
            assert spec.required
    assert MANIFEST["provinces"].mirror_path == "boundaries/ocha_cod_ab_pak_provinces.geojson"
    # zipped upstream downloads name the member to read
    for spec in MANIFEST.values():
        if spec.url.endswith(".zip"):
            assert spec.member


def test_licences_match_sources_md():
    assert "CC BY-IGO" in MANIFEST["provinces"].licence
    assert "Public domain" in MANIFEST["countries"].licence
    for name in ("roads", "railways", "rail_stations"):
        assert MANIFEST[name].licence == "ODbL 1.0"
        assert "© OpenStreetMap contributors" in MANIFEST[name].attribution
    assert MANIFEST["power_plants"].licence == "CC BY 4.0"
    assert "MIT" in MANIFEST["airports"].licence
    assert "GeoNames" in MANIFEST["towns"].attribution
    assert "PDDL" in MANIFEST["border_crossings"].licence
    assert "USGS" in MANIFEST["occurrences"].attribution


def test_attributions_cover_every_manifest_layer():
    recs = attributions()
    assert [r["layer"] for r in recs] == list(MANIFEST)
    for r in recs:
        assert set(r) == {"layer", "title", "licence", "attribution", "url"}
        assert all(isinstance(v, str) and v.strip() for v in r.values())


def test_attributions_subset_in_order_without_duplicates():
    recs = attributions(["roads", "provinces", "roads"])
    assert [r["layer"] for r in recs] == ["roads", "provinces"]
    assert recs[0]["attribution"] == MANIFEST["roads"].attribution
    assert attributions([]) == []


def test_attributions_unknown_layer():
    with pytest.raises(SourceError, match="'nowhere'"):
        attributions(["roads", "nowhere"])


def test_mirror_dir_env_override(tmp_path, monkeypatch):
    monkeypatch.setenv(sources.MIRROR_ENV, str(tmp_path))
    assert mirror_dir() == tmp_path


def test_mirror_dir_env_missing_dir_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv(sources.MIRROR_ENV, str(tmp_path / "absent"))
    with pytest.raises(SourceError, match="absent"):
        mirror_dir()


def test_mirror_dir_default(monkeypatch):
    monkeypatch.delenv(sources.MIRROR_ENV, raising=False)
    default = Path(sources.__file__).resolve().parents[1].parent / "shared" / "sources"
    assert mirror_dir() == (default if default.is_dir() else None)
