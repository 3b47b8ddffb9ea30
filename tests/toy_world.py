"""The toy world and the shared fixtures of the tests, as a pytest plugin (registered by
tests/conftest.py in every process that runs tests: not in the controller of a pytest-xdist
run, which then starts its workers without importing geopandas, pandas and the package):
the toy world (unit tests), the toy world as an app (AppTests), the real cache and environment
isolation.

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

The app world (fixture ``toy_world``, see "the toy world as an app" below) is this world written to
disk as a layer cache and curated tables, with a sea coast, a coast road and a few more
occurrences; AppTests run the real app on it (``use_toy_world``) and compute their expectations
from its catalog. ``use_real_cache`` runs an AppTest on the real data (one smoke test per page).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box
from toy_geodata import write_geodata

from mineralmap import config
from mineralmap._store import MANIFEST_FILE, write_json_atomic, write_parquet_atomic
from mineralmap.catalog import load_catalog
from mineralmap.ingest import INGEST_VERSION
from mineralmap.market import MARKET_FACT_COLUMNS, MARKET_FACTS_FILE
from mineralmap.schema import (
    CROSSING_COLUMNS,
    CRS,
    DRY_PORT_COLUMNS,
    ENRICH_COLUMNS,
    LAYER_COLUMNS,
    OCCURRENCE_COLUMNS,
    PORT_COLUMNS,
)

#: Shared storage-backend fixtures (SQLite and a throw-away PostGIS cluster): tests/backends.py.
pytest_plugins = ["backends"]

# The tests run with the pandas options of every mineralmap entry point (app.py, the CLI), set
# before any test module is imported.
config.configure_pandas()

# Every test gets a private cache dir, no mirror unless it asks for one, and no extra occurrences
# (a developer's MINERALMAP_DEMO_SCALE / MINERALMAP_OCCURRENCES must not leak into tests).
# Settings are read once (mineralmap.config), so every change of the environment is followed by
# reload_settings(), and so is the teardown.


@pytest.fixture(scope="session")
def _caches_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("caches")


@pytest.fixture(autouse=True)
def _isolated_env(_caches_root, monkeypatch):
    # a fresh folder per test; tempfile, not tmp_path_factory.mktemp: that lists the whole base
    # folder on every call to number the new one (quadratic over a run of 1000 tests)
    monkeypatch.setenv("MINERALMAP_CACHE", tempfile.mkdtemp(prefix="cache", dir=_caches_root))
    monkeypatch.delenv("MINERALMAP_GEODATA", raising=False)
    monkeypatch.delenv("MINERALMAP_DEMO_SCALE", raising=False)
    monkeypatch.delenv("MINERALMAP_OCCURRENCES", raising=False)
    config.reload_settings()
    yield
    monkeypatch.undo()  # before re-reading: the fixture's own teardown runs before monkeypatch's
    config.reload_settings()


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
    monkeypatch.delenv("MINERALMAP_GEODATA", raising=False)
    config.reload_settings()
    app_world({"MINERALMAP_CACHE": str(real_cache)})
    return real_cache


def _gdf(rows: list[dict]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)


def toy_provinces(south: float = 28.0) -> gpd.GeoDataFrame:
    return _gdf(
        [
            {"province": "Balochistan", "pcode": "PK2", "geometry": box(64, south, 67, 31)},
            {"province": "Khyber Pakhtunkhwa", "pcode": "PK3",
             "geometry": box(67, south, 70, 31)},
        ]
    )


def toy_districts(south: float = 28.0) -> gpd.GeoDataFrame:
    return _gdf(
        [
            {"district": "Bal South", "province": "Balochistan", "pcode": "PK201",
             "geometry": box(64, south, 67, 29.5)},
            {"district": "Bal North", "province": "Balochistan", "pcode": "PK202",
             "geometry": box(64, 29.5, 67, 31)},
            {"district": "KP South", "province": "Khyber Pakhtunkhwa", "pcode": "PK301",
             "geometry": box(67, south, 70, 29.5)},
            {"district": "KP North", "province": "Khyber Pakhtunkhwa", "pcode": "PK302",
             "geometry": box(67, 29.5, 70, 31)},
        ]
    )


def toy_tehsils(south: float = 28.0) -> gpd.GeoDataFrame:
    t = toy_districts(south)
    t["tehsil"] = t["district"] + " Tehsil"
    t["pcode"] = t["pcode"] + "01"
    return t[["tehsil", "district", "province", "pcode", "geometry"]]


def toy_countries(coast: float = 26.5) -> gpd.GeoDataFrame:
    pak = box(64, 28, 70, 31).union(box(64, coast, 70, 28))
    return _gdf(
        [
            {"country": "Pakistan", "iso3": "PAK", "geometry": pak},
            {"country": "Afghanistan", "iso3": "AFG", "geometry": box(64, 31, 70, 33)},
            {"country": "Iran", "iso3": "IRN", "geometry": box(61, 26.5, 64, 31)},
        ]
    )


def toy_ports() -> gpd.GeoDataFrame:
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


def toy_roads() -> gpd.GeoDataFrame:
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


def toy_railways() -> gpd.GeoDataFrame:
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


def toy_rail_stations() -> gpd.GeoDataFrame:
    return _gdf(
        [
            {"station_id": 1, "name": "Gwadar Stn", "geometry": Point(65.0, 27.3)},
            {"station_id": 2, "name": "Middle Stn", "geometry": Point(66.5, 27.3)},
            {"station_id": 3, "name": "Qasim Stn", "geometry": Point(68.3, 27.3)},
        ]
    )


def toy_border_crossings() -> gpd.GeoDataFrame:
    return _gdf(
        [
            {"id": "chaman", "name": "Chaman", "country": "Afghanistan", "locode": "PK CMN",
             "geometry": Point(66.0, 31.0)},
            {"id": "taftan", "name": "Taftan", "country": "Iran", "locode": "PK TFT",
             "geometry": Point(64.0, 29.0)},
        ]
    )


def toy_towns() -> gpd.GeoDataFrame:
    return _gdf(
        [
            {"geonameid": 10, "name": "Alpha", "population": 50000, "geometry": Point(65.5, 29.0)},
            {"geonameid": 11, "name": "Beta", "population": 8000, "geometry": Point(68.5, 30.0)},
        ]
    )


def toy_airports() -> gpd.GeoDataFrame:
    return _gdf(
        [{"icao": "OPXX", "iata": "XXX", "name": "Alpha Airport", "city": "Alpha",
          "geometry": Point(65.6, 29.0)}]
    )


def toy_dry_ports() -> gpd.GeoDataFrame:
    return _gdf([{"id": "quetta", "name": "Quetta", "locode": "PK UET", "geometry": Point(66.9, 30.2)}])


def toy_power_plants() -> gpd.GeoDataFrame:
    return _gdf(
        [{"name": "Plant A", "capacity_mw": 100.0, "primary_fuel": "Gas",
          "commissioning_year": 2001.0, "geometry": Point(68.4, 28.0)}]
    )


# ---- the toy world as fixtures (fresh frames per test) ----------------------------------------
#
# Each frame is built once per process and every test gets its own deep copy (building a
# GeoDataFrame parses its CRS and costs milliseconds; hundreds of tests ask for these).

_TEMPLATES: dict[str, gpd.GeoDataFrame] = {}


def _fresh(name: str, build) -> gpd.GeoDataFrame:
    """A deep copy of the toy frame ``name`` (built by ``build()`` on first use)."""
    if name not in _TEMPLATES:
        _TEMPLATES[name] = build()
    return _TEMPLATES[name].copy(deep=True)


@pytest.fixture
def provinces() -> gpd.GeoDataFrame:
    return _fresh("provinces", toy_provinces)


@pytest.fixture
def districts() -> gpd.GeoDataFrame:
    return _fresh("districts", toy_districts)


@pytest.fixture
def tehsils() -> gpd.GeoDataFrame:
    return _fresh("tehsils", toy_tehsils)


@pytest.fixture
def countries() -> gpd.GeoDataFrame:
    return _fresh("countries", toy_countries)


@pytest.fixture
def ports() -> gpd.GeoDataFrame:
    return _fresh("ports", toy_ports)


@pytest.fixture
def roads() -> gpd.GeoDataFrame:
    return _fresh("roads", toy_roads)


@pytest.fixture
def railways() -> gpd.GeoDataFrame:
    return _fresh("railways", toy_railways)


@pytest.fixture
def rail_stations() -> gpd.GeoDataFrame:
    return _fresh("rail_stations", toy_rail_stations)


@pytest.fixture
def border_crossings() -> gpd.GeoDataFrame:
    return _fresh("border_crossings", toy_border_crossings)


@pytest.fixture
def towns() -> gpd.GeoDataFrame:
    return _fresh("towns", toy_towns)


@pytest.fixture
def airports() -> gpd.GeoDataFrame:
    return _fresh("airports", toy_airports)


@pytest.fixture
def dry_ports() -> gpd.GeoDataFrame:
    return _fresh("dry_ports", toy_dry_ports)


@pytest.fixture
def power_plants() -> gpd.GeoDataFrame:
    return _fresh("power_plants", toy_power_plants)


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


def _occ_rows() -> list[dict]:
    return [
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


def toy_occurrences() -> gpd.GeoDataFrame:
    """Curated occurrences (not enriched): 3 mapped, 1 unmapped, 1 admin mismatch."""
    df = pd.DataFrame(_occ_rows(), columns=list(OCCURRENCE_COLUMNS))
    geom = [Point(x, y) if pd.notna(x) else None for x, y in zip(df["lon"], df["lat"], strict=True)]
    return gpd.GeoDataFrame(df, geometry=geom, crs=CRS)


@pytest.fixture
def occurrences() -> gpd.GeoDataFrame:
    """Curated occurrences (not enriched): 3 mapped, 1 unmapped, 1 admin mismatch."""
    return _fresh("occurrences", toy_occurrences)


@pytest.fixture
def enriched() -> gpd.GeoDataFrame:
    """Occurrences with every enrichment column filled by hand (for filter/export/UI tests)."""
    return _fresh("enriched", toy_enriched)


def toy_enriched() -> gpd.GeoDataFrame:
    """:func:`toy_occurrences` with every enrichment column filled by hand."""
    g = toy_occurrences()
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


# ---- shared by tests/test_catalog.py and tests/test_scale.py ---------------------------------
CURATED_LAYERS = ("ports", "border_crossings", "dry_ports")


@pytest.fixture(scope="session")
def _geodata_files(tmp_path_factory) -> Path:
    """The toy world's curated tables (the ``layers`` and ``occurrences`` fixtures' rows) as CSV
    files, written once per session."""
    curated = {"ports": toy_ports(), "border_crossings": toy_border_crossings(),
               "dry_ports": toy_dry_ports()}
    return write_geodata(tmp_path_factory.mktemp("geodata_files") / "geodata", curated,
                         toy_occurrences())


@pytest.fixture
def geodata(tmp_path, monkeypatch, _geodata_files):
    """A private copy of the toy world's curated tables as CSV files; MINERALMAP_GEODATA points
    at them."""
    folder = Path(shutil.copytree(_geodata_files, tmp_path / "geodata"))
    monkeypatch.setenv("MINERALMAP_GEODATA", str(folder))
    return folder


_TOY_BULK = {"provinces": toy_provinces, "districts": toy_districts, "tehsils": toy_tehsils,
             "countries": toy_countries, "roads": toy_roads, "railways": toy_railways,
             "rail_stations": toy_rail_stations, "towns": toy_towns, "airports": toy_airports,
             "power_plants": toy_power_plants}


@pytest.fixture(scope="session")
def _toy_cache_files(tmp_path_factory) -> Path:
    """The files of :func:`cache`, written once per session (then copied per test)."""
    d = tmp_path_factory.mktemp("toy_cache_files")
    entries = {}
    for name in (n for n in LAYER_COLUMNS if n not in CURATED_LAYERS):
        layer = _fresh(name, _TOY_BULK[name])
        write_parquet_atomic(layer, d / f"{name}.parquet")
        entries[name] = {"status": "built", "fingerprint": f"fp-{name}", "rows": len(layer)}
    write_json_atomic({"layers": entries}, d / MANIFEST_FILE)
    return d


@pytest.fixture
def cache(tmp_path, _toy_cache_files, layers):  # noqa: ARG001 - layers: the same toy frames
    """A cache (a fresh folder per test) holding every bulk toy layer, as the ``layers`` fixture
    gives them, and a manifest with fingerprints."""
    return Path(shutil.copytree(_toy_cache_files, tmp_path / "cache"))


# ---- the toy world as an app: a toy cache + toy curated tables on disk ------------------------
#
# The AppTests run the real app (app.py, pages/, mineralmap/) on this world instead of the real
# data: the toy layers written as the GeoParquet cache (project writer + manifest.json), and
# the curated tables written as CSV files in the schema of mineralmap.schema / mineralmap.market.
# The tests point MINERALMAP_CACHE and MINERALMAP_GEODATA at it (fixture ``use_toy_world``) and
# compute every expected count from ``toy_world.catalog`` (loaded with catalog.load_catalog).
#
# It differs from the unit-test world in three ways, so that every page has something to show:
# * the southern districts (and so the provinces and Pakistan) reach south to a sea coast at
#   TOY_COAST_LAT, inside scenario.COASTAL_BAND (the export-terminal scenario needs a coast);
# * the N-25 continues south from the trunk road to near that coast (TOY_COAST_ROAD);
# * five more occurrences (filters, regions and picks have something to split; one is named
#   like a town; one lies by the coast, where a candidate terminal can win it).

#: Southern edge (lat) of the app world's Pakistan: its sea coast.
TOY_COAST_LAT = 25.5
#: The app world's extra road: N-25 south from the trunk road (at a shared vertex) to the coast.
TOY_COAST_ROAD = LineString([(65.5, 27.2), (65.5, TOY_COAST_LAT + 0.1)])


def toy_app_occurrences() -> pd.DataFrame:
    """The app world's curated occurrence table (CSV columns, lon/lat; one row unmapped)."""
    rows = [
        *_occ_rows(),
        # named exactly like the town "Beta" (the region page must offer it by its id)
        _occ_row("Sb-005", "Beta", "Sb", "Khyber Pakhtunkhwa", 68.4, 29.2, "approximate", 10.0,
                 ore_tonnage_t=5000.0),
        _occ_row("REE-006", "Epsilon rare earths", "REE", "Balochistan", 64.8, 30.5,
                 "approximate", 10.0),
        _occ_row("Sb-007", "Zeta antimony", "Sb", "Khyber Pakhtunkhwa", 69.5, 28.3, "locality",
                 2.0),
        _occ_row("REE-008", "Eta rare earths", "REE; Y", "Balochistan", 66.6, 29.8, "district",
                 30.0),
        _occ_row("Sb-009", "Omega antimony (coastal)", "Sb", "Balochistan", 65.6,
                 TOY_COAST_LAT + 0.3, "approximate", 5.0),
    ]
    return pd.DataFrame(rows, columns=list(OCCURRENCE_COLUMNS))


def toy_app_roads() -> gpd.GeoDataFrame:
    """:func:`toy_roads` plus :data:`TOY_COAST_ROAD`."""
    r = toy_roads()
    extra = _gdf([{"fclass": "primary", "ref": "N-25", "name": None, "gap_fill": False,
                   "geometry": TOY_COAST_ROAD}])
    return gpd.GeoDataFrame(pd.concat([r, extra], ignore_index=True), crs=CRS)


def _cite(df: pd.DataFrame, what: str) -> pd.DataFrame:
    out = df.copy()
    out["source_title"] = [f"Toy {what} {i}" for i in out["id"]]
    out["source_url"] = [f"https://example.org/{what}/{i}" for i in out["id"]]
    return out


def _points_table(gdf: gpd.GeoDataFrame, columns: tuple[str, ...], what: str,
                  **fill: object) -> pd.DataFrame:
    df = pd.DataFrame(gdf.drop(columns="geometry"))
    df["lon"], df["lat"] = gdf.geometry.x, gdf.geometry.y
    df["location_note"] = "toy point"
    for k, v in fill.items():
        df[k] = v
    df = _cite(df, what)
    return df.reindex(columns=list(columns)).astype(object).fillna("")


TOY_MARKET_FACTS = pd.DataFrame(
    [
        ("sb2o3_price_peak", "figure", "Antimony trioxide price, recent peak", "30000",
         "US$/t", "~US$30,000/t", "about US$30,000 per tonne", "toy date", "Toy report",
         "as reported"),
        ("nova_test_purchase_quantity", "figure", "Test purchase: quantity", "50", "t",
         ">50 t", "more than 50 t", "toy date", "Toy report", "as reported"),
        ("nova_test_purchase_value", "figure", "Test purchase: price", "1500000", "US$",
         "~US$1.5 million", "about US$1.5 million", "toy date", "Toy report", "as reported"),
        ("toy_statement", "statement", "Toy company", "", "", "", "said something", "toy date",
         "Toy report", "as reported"),
        ("bg_toy", "background", "Toy background", "", "", "", "a paraphrased point",
         "toy date", "toy press", "paraphrased"),
    ],
    columns=["id", "kind", "fact", "value", "unit", "short", "display", "as_of", "attribution",
             "wording"],
)


def write_toy_geodata(folder: Path) -> Path:
    """Write the app world's curated tables (the files of ``geodata/``) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    ports = toy_ports()
    tables = {
        "occurrences": toy_app_occurrences(),
        "ports": _points_table(ports, PORT_COLUMNS, "port",
                               harbor_size=np.where(ports["kind"] == "seaport", "Small", "")),
        "border_crossings": _points_table(toy_border_crossings(), CROSSING_COLUMNS, "crossing"),
        "dry_ports": _points_table(toy_dry_ports(), DRY_PORT_COLUMNS, "dry_port"),
    }
    for name, df in tables.items():
        df.to_csv(folder / f"{name}.csv", index=False)
    TOY_MARKET_FACTS.reindex(columns=list(MARKET_FACT_COLUMNS)).to_csv(
        folder / MARKET_FACTS_FILE, index=False)
    return folder


def write_toy_cache(folder: Path) -> Path:
    """Write the app world's bulk layers as the GeoParquet layer cache (with its manifest)."""
    south = TOY_COAST_LAT
    builders = {"provinces": lambda: toy_provinces(south), "districts": lambda: toy_districts(south),
                "tehsils": lambda: toy_tehsils(south), "countries": lambda: toy_countries(south),
                "roads": toy_app_roads, "railways": toy_railways,
                "rail_stations": toy_rail_stations, "towns": toy_towns,
                "airports": toy_airports, "power_plants": toy_power_plants}
    entries = {}
    for name in (n for n in LAYER_COLUMNS if n not in CURATED_LAYERS):
        gdf = builders[name]()
        write_parquet_atomic(gdf, folder / f"{name}.parquet")
        entries[name] = {"status": "built", "fingerprint": f"toy-{name}", "rows": len(gdf),
                         "error": None, "notes": [], "origin": "toy", "repairs": 0,
                         "source": "tests/toy_world.py"}
    write_json_atomic({"ingest_version": INGEST_VERSION, "mirror": None, "layers": entries},
                      folder / MANIFEST_FILE)
    return folder


@dataclass(frozen=True)
class ToyWorld:
    """The app world on disk and its catalog (as :func:`mineralmap.catalog.load_catalog` reads it)."""

    cache: Path
    geodata: Path
    catalog: Any

    def env(self) -> dict[str, str]:
        """The environment that points the app at this world."""
        return {"MINERALMAP_CACHE": str(self.cache), "MINERALMAP_GEODATA": str(self.geodata)}


@pytest.fixture(scope="session")
def toy_world(tmp_path_factory) -> ToyWorld:
    """Write the toy cache and tables once per session, enrich them once (the enriched
    occurrences are cached in the toy cache like in the real one) and load the catalog."""
    root = tmp_path_factory.mktemp("toy_world")
    world = ToyWorld(write_toy_cache(root / "cache"), write_toy_geodata(root / "geodata"), None)
    with pytest.MonkeyPatch.context() as mp:
        for k, v in world.env().items():
            mp.setenv(k, v)
        config.reload_settings()
        cat = load_catalog()
    config.reload_settings()
    assert not cat.missing, f"the toy world does not load cleanly: {dict(cat.missing)}"
    return ToyWorld(world.cache, world.geodata, cat)


@pytest.fixture
def use_toy_world(toy_world, monkeypatch) -> ToyWorld:
    """Point the app (MINERALMAP_CACHE, MINERALMAP_GEODATA) at the toy world for this test."""
    for k, v in toy_world.env().items():
        monkeypatch.setenv(k, v)
    config.reload_settings()
    app_world(toy_world.env())
    return toy_world


_LAST_APP_WORLD: list[tuple] = [()]


def app_world(env: dict[str, str]) -> None:
    """Clear Streamlit's process-wide caches when the AppTests switch to another world.

    AppTests run the app in this process, and ``st.cache_resource`` / ``st.cache_data`` outlive an
    AppTest. The app keys its catalog by a stamp of the cache folder's manifest, not by the
    folder of the curated tables, so a switch between the toy and the real world clears them
    (tests on the same world keep them: the catalog, road network and layers are built once).
    """
    world = tuple(sorted(env.items()))
    if world != _LAST_APP_WORLD[0]:
        import streamlit as st  # only the AppTests need streamlit

        st.cache_data.clear()
        st.cache_resource.clear()
        _LAST_APP_WORLD[0] = world
