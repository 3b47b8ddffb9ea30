"""Context layers in PostGIS and region queries in the database (issue 12).

The toy app world (tests/toy_world.py) is loaded into a throw-away PostGIS database: its cached
layers by :func:`mineralmap.postgis.load_layers_into_postgis`, its curated occurrences as version 1
of a :class:`~mineralmap.pgstore.PostgresStore`, plus a version 2 with synthetic points added (so
that regions split many points). Every region query must give exactly the ids of the in-memory
path (:meth:`RegionSpec.select` on the same version's occurrences and the same layers).
"""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from postgis_cluster import cluster_or_skip, new_database
from shapely.geometry import Polygon, box

from mineralmap import auth, config, postgis, scale, store
from mineralmap.errors import RegionError
from mineralmap.pgstore import PostgresStore
from mineralmap.regions import RegionSpec
from mineralmap.schema import LAYER_COLUMNS

N_SYNTHETIC = 1500


@pytest.fixture(scope="module")
def world(toy_world):
    """(store, layers, report) over one database for the whole module."""
    url = new_database(cluster_or_skip(), migrated=True)  # PostGIS enabled, schema migrated
    with pytest.MonkeyPatch.context() as mp:
        for k, v in toy_world.env().items():
            mp.setenv(k, v)
        config.reload_settings()
        db = PostgresStore(url, curated_path=toy_world.geodata / "occurrences.csv")
        report = postgis.load_layers_into_postgis(url, toy_world.cache)
        layers = toy_world.catalog.layers
        occ = db.occurrences(1)
        assert [v.number for v in db.versions()] == [1]  # loading layers adds no version
        syn = scale.synthetic_occurrences(N_SYNTHETIC, layers, seed=3)
        rows = pd.concat([store.records_frame(occ), store.records_frame(syn)], ignore_index=True)
        db.publish(auth.cli_session("amina"), rows, note="synthetic points for region tests",
                   source_name="synthetic", source_sha256="0" * 64)
    config.reload_settings()
    return db, layers, report


_OCCURRENCES: dict[tuple[str, int], pd.DataFrame] = {}


def _memory_ids(db: PostgresStore, layers, region: RegionSpec, version: int | None = None
                ) -> list[str]:
    """The in-memory path's answer; a version's rows are read once (versions never change)."""
    number = db.current_version().number if version is None else version
    key = (db._url, number)
    if key not in _OCCURRENCES:
        _OCCURRENCES[key] = db.occurrences(number)
    return list(region.select(_OCCURRENCES[key], layers)["id"].astype(str))


# ------------------------------------------------------------------------------- layers


def test_every_layer_is_loaded_with_geometry_index_and_provenance(world, toy_world):
    db, layers, report = world
    assert set(report.loaded) == set(LAYER_COLUMNS) and not report.missing
    prov = postgis.layer_provenance(db).set_index("layer")
    with db.connection() as con:
        for name in LAYER_COLUMNS:
            table = postgis.table_name(name)
            n, srid = con.execute(f"SELECT count(*), max(ST_SRID(geom)) FROM {table}").fetchone()
            assert (n, srid) == (len(layers[name]), 4326), name
            coltype = con.execute(
                "SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a WHERE "
                "a.attrelid = %s::regclass AND a.attname = 'geom'", (table,)).fetchone()[0]
            assert coltype.startswith("geometry(") and coltype.endswith(",4326)"), coltype
            idx = con.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s",
                              (table,)).fetchall()
            assert any("USING gist (geom)" in i[0] for i in idx), name
            assert prov.loc[name, "n_features"] == len(layers[name])
    manifest = json.loads((toy_world.cache / "manifest.json").read_text())["layers"]
    assert prov.loc["roads", "fingerprint"] == manifest["roads"]["fingerprint"]
    assert prov.loc["provinces", "attribution"]  # from mineralmap.sources


def test_layer_geometries_round_trip(world):
    db, layers, _ = world
    with db.connection() as con:
        wkb = [bytes(r[0]) for r in con.execute(
            "SELECT ST_AsBinary(geom) FROM layer_districts ORDER BY fid").fetchall()]
    got = gpd.GeoSeries.from_wkb(wkb, crs=4326)
    ref = layers["districts"].geometry.reset_index(drop=True)
    assert all(a.equals(b) for a, b in zip(got, ref, strict=True))


def test_second_load_rewrites_nothing(world, toy_world):
    db, _, _ = world
    with pytest.MonkeyPatch.context() as mp:
        for k, v in toy_world.env().items():
            mp.setenv(k, v)
        config.reload_settings()
        again = postgis.load_layers_into_postgis(db, toy_world.cache)
    config.reload_settings()
    assert again.loaded == {} and sorted(again.unchanged) == sorted(LAYER_COLUMNS)


def test_missing_cache_layer_is_reported_by_name(tmp_path):
    url = new_database(cluster_or_skip(), migrated=True)  # PostGIS enabled, schema migrated
    rep = postgis.load_layers_into_postgis(url, tmp_path, layers=["roads"])
    assert set(rep.missing) == {"roads"} and "python -m mineralmap data" in rep.missing["roads"]


# ------------------------------------------------------------------------------- regions


def _regions(layers) -> list[RegionSpec]:
    prov = sorted(layers["provinces"]["province"].astype(str))
    dist = sorted(layers["districts"]["district"].astype(str))
    teh = sorted(layers["tehsils"]["tehsil"].astype(str))
    port = str(layers["ports"]["name"].iloc[0])
    town = str(layers["towns"]["name"].iloc[0])
    minx, miny, maxx, maxy = layers["provinces"].total_bounds
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    tri = Polygon([(minx, miny), (maxx, miny), (cx, maxy)])
    return [
        *(RegionSpec(provinces=(p,)) for p in prov),
        RegionSpec(provinces=(prov[0].upper(),)),
        *(RegionSpec(districts=(d,)) for d in dist),
        RegionSpec(tehsils=tuple(teh[:2])),
        RegionSpec(provinces=(prov[0],), districts=(dist[-1],)),
        RegionSpec(bbox=(cx - 1.0, cy - 1.0, cx + 1.2, cy + 0.7)),
        RegionSpec(polygon=tri),
        RegionSpec(polygon=box(cx - 2, cy - 2, cx, cy), provinces=(prov[0],)),
        RegionSpec(center_lonlat=(cx, cy), radius_km=150.0),
        RegionSpec(center=port, radius_km=300.0),
        RegionSpec(center=town, radius_km=120.0),
        RegionSpec(center="Alpha antimony", radius_km=100.0),
        RegionSpec(center="sb-001", radius_km=60.0, provinces=(prov[0],)),
        RegionSpec(center_lonlat=(cx, cy), radius_km=200.0, bbox=(cx - 1, cy - 3, cx + 3, cy)),
        RegionSpec(provinces=(prov[0],), add_ids=("REE-002",), remove_ids=("Sb-001",)),
        RegionSpec(add_ids=("Sb-001", "SYN-000007")),
        RegionSpec(remove_ids=("Sb-001",)),
        RegionSpec(),
    ]


def test_region_queries_match_the_in_memory_path(world):
    db, layers, _ = world
    total = 0
    for version in (1, db.current_version().number):
        for region in _regions(layers):
            got = postgis.region_ids(db, region, version=version)
            assert got == _memory_ids(db, layers, region, version), (version, region.describe())
            total += len(got)
    assert total > N_SYNTHETIC  # the regions do select many points


def test_admin_region_keeps_unmapped_rows_of_the_unit_as_in_memory(world):
    db, layers, _ = world
    rec = db.records(1)
    unmapped = rec.loc[rec["lon"] == ""]
    assert len(unmapped), "the toy world has an unmapped row"
    region = RegionSpec(provinces=(str(unmapped["province"].iloc[0]),))
    got = postgis.region_ids(db, region, version=1)
    assert str(unmapped["id"].iloc[0]) in got
    assert got == _memory_ids(db, layers, region, 1)


def test_region_errors(world):
    db, _, _ = world
    with pytest.raises(RegionError, match="unknown province"):
        postgis.region_ids(db, RegionSpec(provinces=("Atlantis",)))
    with pytest.raises(RegionError, match="unknown centre"):
        postgis.region_ids(db, RegionSpec(center="Nowhere-on-earth", radius_km=5))
    with pytest.raises(RegionError, match="no coordinates"):
        postgis.region_ids(db, RegionSpec(center="Sb-004", radius_km=5), version=1)


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_boxes_and_radii_match(world, data):
    db, layers, _ = world
    minx, miny, maxx, maxy = layers["provinces"].total_bounds
    x = data.draw(st.floats(minx, maxx))
    y = data.draw(st.floats(miny, maxy))
    if data.draw(st.booleans()):
        w = data.draw(st.floats(0.01, 4))
        h = data.draw(st.floats(0.01, 4))
        region = RegionSpec(bbox=(x, y, min(x + w, 77.9), min(y + h, 37.9)))
    else:
        region = RegionSpec(center_lonlat=(x, y), radius_km=data.draw(st.floats(1, 400)))
    assert postgis.region_ids(db, region) == _memory_ids(db, layers, region)
