"""Small fixture GeoDataFrames shared by the unit tests.

A toy world south-west of real Pakistan coordinates, made of boxes and straight lines so that
expected distances can be worked out by hand:

* provinces: Balochistan = box lon 64..67, lat 28..31; Khyber Pakhtunkhwa = box lon 67..70.
* districts: each province split at lat 29.5 (south / north), one tehsil per district.
* countries: Afghanistan north of lat 31 (lon 64..70), Iran west of lon 64 (lat 28..31),
  Pakistan = the two provinces plus a coastal strip lat 26.5..28.
* ports: Gwadar (65.0, 26.9), Karachi (68.0, 26.9), Port Qasim (68.3, 26.9), minor port Pasni.
* roads: trunk along lat 27.2 (lon 64.5..69.0), primary north-south at lon 65.5 (27.2..30.5),
  secondary at lon 68.5 (27.2..30.5), secondary stubs from each port up to the trunk road.
* railways: active rail along lat 27.3 from lon 65.0 to 68.3, abandoned line at lon 66.5.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

from mineralmap.schema import CRS, ENRICH_COLUMNS, OCCURRENCE_COLUMNS

# Every test gets a private cache dir and no mirror unless it asks for one.


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("MINERALMAP_CACHE", str(tmp_path_factory.mktemp("cache")))


REPO = Path(__file__).resolve().parents[1]
_REAL_CACHE_ENV = os.environ.get("MINERALMAP_CACHE")


def skip_or_fail_in_ci(reason: str) -> None:
    """Skip a test that needs the source mirror, but fail under CI (which guarantees it)."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must provide ../shared/sources)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def real_cache() -> Path:
    """The project's real layer cache, built (or brought up to date) from the mirror.

    Used by AppTests and browser tests, which exercise the app on the bundled data. Skips only
    when there is neither a mirror nor a cache; a failing build fails the tests.
    """
    from mineralmap import ingest, sources

    path = Path(_REAL_CACHE_ENV) if _REAL_CACHE_ENV else REPO / "geodata" / "cache"
    try:
        mirror = sources.mirror_dir()
    except Exception:  # noqa: BLE001 - a bad $MINERALMAP_SOURCES is reported as the reason
        mirror = None
    if mirror is None and not (path / "manifest.json").exists():
        skip_or_fail_in_ci("no source mirror and no cache: run `python -m mineralmap data`")
    if mirror is not None:
        report = ingest.build_cache(progress=False, cache=path)  # no work when up to date
        assert report.ok, f"building the real cache failed:\n{report.summary()}"
    return path


@pytest.fixture
def use_real_cache(real_cache, monkeypatch) -> Path:
    """Point MINERALMAP_CACHE at the real cache for this test."""
    monkeypatch.setenv("MINERALMAP_CACHE", str(real_cache))
    return real_cache


def _gdf(rows: list[dict]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)


@pytest.fixture
def provinces() -> gpd.GeoDataFrame:
    return _gdf(
        [
            {"province": "Balochistan", "pcode": "PK2", "geometry": box(64, 28, 67, 31)},
            {"province": "Khyber Pakhtunkhwa", "pcode": "PK3", "geometry": box(67, 28, 70, 31)},
        ]
    )


@pytest.fixture
def districts() -> gpd.GeoDataFrame:
    return _gdf(
        [
            {"district": "Bal South", "province": "Balochistan", "pcode": "PK201",
             "geometry": box(64, 28, 67, 29.5)},
            {"district": "Bal North", "province": "Balochistan", "pcode": "PK202",
             "geometry": box(64, 29.5, 67, 31)},
            {"district": "KP South", "province": "Khyber Pakhtunkhwa", "pcode": "PK301",
             "geometry": box(67, 28, 70, 29.5)},
            {"district": "KP North", "province": "Khyber Pakhtunkhwa", "pcode": "PK302",
             "geometry": box(67, 29.5, 70, 31)},
        ]
    )


@pytest.fixture
def tehsils(districts) -> gpd.GeoDataFrame:
    t = districts.copy()
    t["tehsil"] = t["district"] + " Tehsil"
    t["pcode"] = t["pcode"] + "01"
    return t[["tehsil", "district", "province", "pcode", "geometry"]]


@pytest.fixture
def countries() -> gpd.GeoDataFrame:
    pak = box(64, 28, 70, 31).union(box(64, 26.5, 70, 28))
    return _gdf(
        [
            {"country": "Pakistan", "iso3": "PAK", "geometry": pak},
            {"country": "Afghanistan", "iso3": "AFG", "geometry": box(64, 31, 70, 33)},
            {"country": "Iran", "iso3": "IRN", "geometry": box(61, 26.5, 64, 31)},
        ]
    )


@pytest.fixture
def ports() -> gpd.GeoDataFrame:
    rows = [
        ("gwadar", "Gwadar", "seaport", "PK GWD", 65.0, 26.9),
        ("karachi", "Karachi", "seaport", "PK KHI", 68.0, 26.9),
        ("port_qasim", "Port Qasim", "seaport", "PK BQM", 68.3, 26.9),
        ("pasni", "Pasni", "minor", "PK PSI", 66.0, 26.9),
    ]
    return _gdf(
        [
            {"id": i, "name": n, "kind": k, "locode": lc, "geometry": Point(x, y)}
            for i, n, k, lc, x, y in rows
        ]
    )


@pytest.fixture
def roads() -> gpd.GeoDataFrame:
    rows = [
        ("trunk", "N-10", [(64.5, 27.2), (65.0, 27.2), (65.5, 27.2), (68.0, 27.2), (68.3, 27.2), (68.5, 27.2), (69.0, 27.2)]),
        ("primary", "N-25", [(65.5, 27.2), (65.5, 30.5)]),
        ("secondary", None, [(68.5, 27.2), (68.5, 30.5)]),
        ("secondary", None, [(65.0, 26.9), (65.0, 27.2)]),
        ("secondary", None, [(68.0, 26.9), (68.0, 27.2)]),
        ("secondary", None, [(68.3, 26.9), (68.3, 27.2)]),
    ]
    return _gdf(
        [
            {"fclass": c, "ref": r, "name": None, "gap_fill": False, "geometry": LineString(xy)}
            for c, r, xy in rows
        ]
    )


@pytest.fixture
def railways() -> gpd.GeoDataFrame:
    return _gdf(
        [
            {"fclass": "rail", "status": "active", "active": True, "pr_line": "ML-1",
             "track_role": "main", "gap_fill": False,
             "geometry": LineString([(65.0, 27.3), (66.5, 27.3), (68.3, 27.3)])},
            {"fclass": "abandoned", "status": "abandoned", "active": False, "pr_line": None,
             "track_role": "main", "gap_fill": False,
             "geometry": LineString([(66.5, 27.3), (66.5, 30.0)])},
        ]
    )


@pytest.fixture
def rail_stations() -> gpd.GeoDataFrame:
    return _gdf(
        [
            {"station_id": 1, "name": "Gwadar Stn", "geometry": Point(65.0, 27.3)},
            {"station_id": 2, "name": "Middle Stn", "geometry": Point(66.5, 27.3)},
            {"station_id": 3, "name": "Qasim Stn", "geometry": Point(68.3, 27.3)},
        ]
    )


@pytest.fixture
def border_crossings() -> gpd.GeoDataFrame:
    return _gdf(
        [
            {"id": "chaman", "name": "Chaman", "country": "Afghanistan", "locode": "PK CMN",
             "geometry": Point(66.0, 31.0)},
            {"id": "taftan", "name": "Taftan", "country": "Iran", "locode": "PK TFT",
             "geometry": Point(64.0, 29.0)},
        ]
    )


@pytest.fixture
def towns() -> gpd.GeoDataFrame:
    return _gdf(
        [
            {"geonameid": 10, "name": "Alpha", "population": 50000, "geometry": Point(65.5, 29.0)},
            {"geonameid": 11, "name": "Beta", "population": 8000, "geometry": Point(68.5, 30.0)},
        ]
    )


@pytest.fixture
def airports() -> gpd.GeoDataFrame:
    return _gdf(
        [{"icao": "OPXX", "iata": "XXX", "name": "Alpha Airport", "city": "Alpha",
          "geometry": Point(65.6, 29.0)}]
    )


@pytest.fixture
def dry_ports() -> gpd.GeoDataFrame:
    return _gdf([{"id": "quetta", "name": "Quetta", "locode": "PK UET", "geometry": Point(66.9, 30.2)}])


@pytest.fixture
def power_plants() -> gpd.GeoDataFrame:
    return _gdf(
        [{"name": "Plant A", "capacity_mw": 100.0, "primary_fuel": "Gas",
          "commissioning_year": 2001.0, "geometry": Point(68.4, 28.0)}]
    )


@pytest.fixture
def layers(provinces, districts, tehsils, countries, ports, roads, railways, rail_stations,
           border_crossings, towns, airports, dry_ports, power_plants) -> dict[str, gpd.GeoDataFrame]:
    """All bulk layers of the toy world, keyed as in :data:`mineralmap.schema.LAYER_COLUMNS`."""
    return {
        "provinces": provinces, "districts": districts, "tehsils": tehsils,
        "countries": countries, "ports": ports, "roads": roads, "railways": railways,
        "rail_stations": rail_stations, "border_crossings": border_crossings, "towns": towns,
        "airports": airports, "dry_ports": dry_ports, "power_plants": power_plants,
    }


def _occ_row(id_, name, commodity, province, lon, lat, precision, precision_km, **extra) -> dict:
    row = {c: "" for c in OCCURRENCE_COLUMNS}
    row.update(
        id=id_, name=name, commodity=commodity.split(";")[0].strip(), commodities=commodity,
        minerals="stibnite" if commodity.startswith("Sb") else "", deposit_type="vein",
        status="occurrence", province=province, district="", lon=lon, lat=lat,
        precision=precision, precision_km=precision_km, tonnage_grade_note="",
        ore_tonnage_t=np.nan, source_title=f"Source of {name}",
        source_url=f"https://example.org/{id_}", source_dataset="fixture", record_ids=id_,
        geocode_note="fixture point",
    )
    row.update(extra)
    return row


@pytest.fixture
def occurrences() -> gpd.GeoDataFrame:
    """Curated occurrences (not enriched): 3 mapped, 1 unmapped, 1 admin mismatch."""
    rows = [
        _occ_row("Sb-001", "Alpha antimony", "Sb; Pb", "Balochistan", 65.6, 29.0, "surveyed", 0.5,
                 ore_tonnage_t=26000.0),
        _occ_row("REE-002", "Beta carbonatite", "REE; Nb", "Khyber Pakhtunkhwa", 68.6, 30.0,
                 "district", 40.0),
        # stated KP but the point lies in Balochistan -> admin_mismatch
        _occ_row("CU-003", "Gamma copper", "Cu; Au", "Khyber Pakhtunkhwa", 66.0, 28.5,
                 "locality", 5.0),
        _occ_row("Sb-004", "Delta antimony (unmapped)", "Sb", "Balochistan", np.nan, np.nan,
                 "district", np.nan),
    ]
    df = pd.DataFrame(rows, columns=list(OCCURRENCE_COLUMNS))
    geom = [Point(x, y) if pd.notna(x) else None for x, y in zip(df["lon"], df["lat"], strict=True)]
    return gpd.GeoDataFrame(df, geometry=geom, crs=CRS)


@pytest.fixture
def enriched(occurrences) -> gpd.GeoDataFrame:
    """Occurrences with every enrichment column filled by hand (for filter/export/UI tests)."""
    g = occurrences.copy()
    n = len(g)
    for c in ENRICH_COLUMNS:
        g[c] = np.nan
    g["commodity_group"] = ["Sb", "REE", "other", "Sb"]
    g["mapped"] = [True, True, True, False]
    g["province_geo"] = ["Balochistan", "Khyber Pakhtunkhwa", "Balochistan", None]
    g["district_geo"] = ["Bal South", "KP North", "Bal South", None]
    g["tehsil_geo"] = ["Bal South Tehsil", "KP North Tehsil", "Bal South Tehsil", None]
    g["admin_mismatch"] = [False, False, True, False]
    g["port_nearest"] = ["Gwadar", "Karachi", "Gwadar", None]
    g["port_nearest_km"] = [235.0, 347.0, 182.0, np.nan]
    g["haul_road_port"] = ["Gwadar", "Port Qasim", "Gwadar", None]
    g["haul_road_km"] = [290.0, 380.0, 240.0, np.nan]
    g["access_km"] = [0.0, 9.8, 49.0, np.nan]
    g["rail_km"] = [190.0, 300.0, 134.0, np.nan]
    g["road_km"] = [0.0, 9.8, 49.0, np.nan]
    g["road_primary_km"] = [0.0, 290.0, 49.0, np.nan]
    g["road_nearest_ref"] = ["N-25", None, "N-25", None]
    for c in ("station_nearest", "airport_nearest", "town_nearest", "crossing_nearest"):
        g[c] = g[c].astype(object)
    assert len(g) == n
    return g


@pytest.fixture(autouse=True)
def _no_extra_occurrences(monkeypatch):
    """Tests see the curated occurrences only, unless they set the scale variables themselves
    (a developer's MINERALMAP_DEMO_SCALE / MINERALMAP_OCCURRENCES must not leak into tests)."""
    monkeypatch.delenv("MINERALMAP_DEMO_SCALE", raising=False)
    monkeypatch.delenv("MINERALMAP_OCCURRENCES", raising=False)


# ---- shared by tests/test_catalog.py and tests/test_scale.py ---------------------------------
CURATED_LAYERS = ("ports", "border_crossings", "dry_ports")


@pytest.fixture
def fake_curated(monkeypatch, layers, occurrences):
    """Curated loaders return the toy-world tables."""
    import mineralmap.curated as curated

    monkeypatch.setattr(curated, "load_occurrences", lambda *a, **k: occurrences.copy())
    for name, fn in (("ports", "load_ports"), ("border_crossings", "load_border_crossings"),
                     ("dry_ports", "load_dry_ports")):
        monkeypatch.setattr(curated, fn, lambda *a, _n=name, **k: layers[_n].copy())


@pytest.fixture
def cache(tmp_path, layers):
    """A cache holding every bulk toy layer and a manifest with fingerprints."""
    import json

    from mineralmap.ingest import MANIFEST_FILE, write_parquet_atomic
    from mineralmap.schema import LAYER_COLUMNS

    d = tmp_path / "cache"
    entries = {}
    for name in (n for n in LAYER_COLUMNS if n not in CURATED_LAYERS):
        write_parquet_atomic(layers[name], d / f"{name}.parquet")
        entries[name] = {"status": "built", "fingerprint": f"fp-{name}", "rows": len(layers[name])}
    (d / MANIFEST_FILE).write_text(json.dumps({"layers": entries}))
    return d
