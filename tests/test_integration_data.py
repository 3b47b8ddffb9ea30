"""Integration: build the cache from the real source mirror (../shared/sources) once per session.

Skipped when the mirror is absent. Enrichment is not pre-computed here (its own tests cover it).
"""

from __future__ import annotations

import time

import pytest
from toy_world import skip_or_fail_in_ci

from mineralmap.catalog import load_layers
from mineralmap.errors import SourceError
from mineralmap.ingest import build_cache
from mineralmap.schema import LAYER_COLUMNS, PROVINCES
from mineralmap.sources import MANIFEST, mirror_dir

#: One xdist worker runs this file (``--dist loadgroup``): the mirror is built once per run, not
#: once on each worker.
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("integration_data")]


def _mirror():
    try:
        return mirror_dir()
    except SourceError:
        return None


@pytest.fixture(scope="session")
def real_cache(tmp_path_factory):
    mirror = _mirror()
    if mirror is None or not (mirror / MANIFEST["provinces"].mirror_path).is_file():
        skip_or_fail_in_ci("source mirror ../shared/sources (or $MINERALMAP_SOURCES) is absent")
    cache = tmp_path_factory.mktemp("real_cache")
    t0 = time.perf_counter()
    report = build_cache(sources=mirror, cache=cache, progress=False)
    return cache, report, time.perf_counter() - t0


@pytest.fixture(scope="session")
def real_layers(real_cache):
    cache, _, _ = real_cache
    return load_layers(cache)


def test_build_succeeds(real_cache):
    _, report, seconds = real_cache
    assert report.ok, report.summary()
    assert set(report.status) == {n for n, s in MANIFEST.items() if s.ingested}
    assert seconds < 60


def test_provinces_are_the_seven_canonical(real_layers):
    layers, _ = real_layers
    prov = layers["provinces"]
    assert sorted(prov["province"]) == sorted(PROVINCES)
    assert prov["pcode"].notna().all()


def test_districts_and_tehsils(real_layers):
    layers, _ = real_layers
    dist, teh = layers["districts"], layers["tehsils"]
    assert len(dist) >= 158
    assert set(dist["province"]) == set(PROVINCES)
    assert not dist["district"].str.contains("Ladakh|Jammu and Kashmir Region").any()
    assert "pop_2023" not in dist.columns
    assert len(teh) > 500 and set(teh["province"]) <= set(PROVINCES)
    assert not teh["tehsil"].str.contains("Disputed", case=False).any()
    # every tehsil's district exists in the district layer
    assert set(teh["district"]) <= set(dist["district"])


def test_transport_layers(real_layers):
    layers, _ = real_layers
    assert len(layers["roads"]) > 10000
    rail = layers["railways"]
    assert rail["active"].any() and (~rail["active"]).any()
    assert set(rail.loc[~rail["active"], "status"]) >= {"abandoned", "disused"}
    assert len(layers["rail_stations"]) > 600


def test_point_layers(real_layers):
    layers, _ = real_layers
    assert len(layers["airports"]) > 20
    assert layers["airports"]["icao"].str.startswith("OP").all()
    assert len(layers["towns"]) > 100
    assert len(layers["power_plants"]) > 40


def test_load_layers_is_complete_and_4326(real_layers):
    layers, missing = real_layers
    assert missing == {}
    assert set(layers) == set(LAYER_COLUMNS)
    for name, gdf in layers.items():
        assert gdf.crs is not None and gdf.crs.to_epsg() == 4326, name
        assert set(LAYER_COLUMNS[name]) <= set(gdf.columns), name
        assert len(gdf) > 0, name


def test_rebuild_is_up_to_date(real_cache):
    cache, _, _ = real_cache
    report = build_cache(cache=cache, sources=_mirror(), progress=False)
    assert set(report.status.values()) == {"up to date"}
