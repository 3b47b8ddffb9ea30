"""Tests of mineralmap.enrich on the toy world of tests/toy_world.py."""

from __future__ import annotations

import threading

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod, Transformer
from shapely.geometry import LineString, Point

from mineralmap import enrich as en
from mineralmap import network as nw
from mineralmap._geo import METRIC_CRS, to_lonlat, to_metric
from mineralmap.errors import ValidationError
from mineralmap.filters import commodity_group
from mineralmap.schema import CRS, ENRICH_COLUMNS, PORT_DISTANCE_COLUMNS, PORT_HAUL_COLUMNS

GEOD = Geod(ellps="WGS84")
DIST_COLS = [c for c in ENRICH_COLUMNS if c.endswith("_km")]


def km(lon1, lat1, lon2, lat2) -> float:
    return GEOD.inv(lon1, lat1, lon2, lat2)[2] / 1000.0


def pts(*xy) -> gpd.GeoSeries:
    return gpd.GeoSeries([Point(x, y) if x is not None else None for x, y in xy], crs=CRS)


@pytest.fixture
def out(occurrences, layers):
    return en.enrich(occurrences, layers)


def row(df, id_):
    return df.set_index("id").loc[id_]


def test_columns_rows_and_order_kept(occurrences, out):
    assert list(out.columns[: len(occurrences.columns)]) == list(occurrences.columns)
    assert set(ENRICH_COLUMNS) <= set(out.columns)
    assert list(out["id"]) == list(occurrences["id"])
    pd.testing.assert_frame_equal(pd.DataFrame(out[occurrences.columns]),
                                  pd.DataFrame(occurrences))
    assert isinstance(out, gpd.GeoDataFrame) and out.crs == occurrences.crs
    for c in DIST_COLS:  # rounded to 0.1 km
        v = out[c].dropna().to_numpy()
        np.testing.assert_allclose(v, np.round(v, 1))
    assert "station_index" not in out.columns


def test_known_distances_to_line_and_point(out):
    a = row(out, "Sb-001")  # (65.6, 29.0): 0.1 deg east of N-25 (primary, lon 65.5)
    assert a["road_km"] == pytest.approx(round(km(65.6, 29.0, 65.5, 29.0), 1), abs=0.051)
    assert a["road_primary_km"] == a["road_km"]
    assert a["road_nearest_ref"] == "N-25"
    assert a["airport_nearest"] == "Alpha Airport" and a["airport_km"] == 0.0
    assert a["town_nearest"] == "Alpha"
    assert a["town_km"] == pytest.approx(km(65.6, 29.0, 65.5, 29.0), abs=0.051)
    # seaports by geodesic; the minor port Pasni is never "nearest"
    assert a["port_gwadar_km"] == pytest.approx(km(65.6, 29.0, 65.0, 26.9), abs=0.051)
    assert a["port_karachi_km"] == pytest.approx(km(65.6, 29.0, 68.0, 26.9), abs=0.051)
    assert a["port_qasim_km"] == pytest.approx(km(65.6, 29.0, 68.3, 26.9), abs=0.051)
    assert a["port_nearest"] == "Gwadar" and a["port_nearest_km"] == a["port_gwadar_km"]
    assert set(out["port_nearest"].dropna()) <= {"Gwadar", "Karachi", "Port Qasim"}
    # rail: only the active line along lat 27.3 counts (the abandoned one at lon 66.5 is nearer
    # to CU-003 at (66.0, 28.5) than the active line is)
    c = row(out, "CU-003")
    assert c["rail_km"] == pytest.approx(km(66.0, 28.5, 66.0, 27.3), abs=0.1)
    assert c["station_nearest"] == "Middle Stn"
    assert c["station_km"] == pytest.approx(km(66.0, 28.5, 66.5, 27.3), abs=0.051)
    b = row(out, "REE-002")  # (68.6, 30.0): nearest road is the unnamed secondary at 68.5
    assert b["road_nearest_ref"] is None
    assert b["road_primary_km"] > b["road_km"]


def test_border_distances_use_shared_border_line(out, layers):
    a = row(out, "Sb-001")
    assert a["border_afghanistan_km"] == pytest.approx(km(65.6, 29.0, 65.6, 31.0), abs=0.051)
    assert a["border_iran_km"] == pytest.approx(km(65.6, 29.0, 64.0, 29.0), abs=0.051)
    assert a["crossing_nearest"] == "Taftan"
    assert a["crossing_km"] == pytest.approx(km(65.6, 29.0, 64.0, 29.0), abs=0.051)
    # a point east of Afghanistan's box: its own east edge (lon 70, lat 31..33) is not the
    # Pakistan-Afghanistan border, so the distance is to (near) the corner (70, 31); the border
    # line keeps the neighbour's boundary within BORDER_BUFFER_M of Pakistan's, i.e. up to
    # (70, 31.009)
    occ = gpd.GeoDataFrame({"id": ["x"]}, geometry=[Point(70.5, 32.0)], crs=CRS)
    e = en.enrich(occ, layers).iloc[0]
    tip = 31.0 + en.BORDER_BUFFER_M / 111_000
    assert e["border_afghanistan_km"] == pytest.approx(km(70.5, 32.0, 70.0, tip), abs=0.06)
    # no Pakistan polygon: the neighbour's whole boundary is used
    no_pak = {**layers, "countries": layers["countries"].iloc[1:]}
    e = en.enrich(occ, no_pak).iloc[0]
    assert e["border_afghanistan_km"] == pytest.approx(km(70.5, 32.0, 70.0, 32.0), abs=0.2)


def test_admin_point_in_polygon_and_mismatch(out):
    assert list(out["province_geo"]) == ["Balochistan", "Khyber Pakhtunkhwa", "Balochistan",
                                         None]
    assert list(out["district_geo"][:3]) == ["Bal South", "KP North", "Bal South"]
    assert list(out["tehsil_geo"][:3]) == ["Bal South Tehsil", "KP North Tehsil",
                                           "Bal South Tehsil"]
    # CU-003 is stated "Khyber Pakhtunkhwa" but lies in Balochistan
    assert list(out["admin_mismatch"]) == [False, False, True, False]
    assert out["admin_mismatch"].dtype == bool


def test_admin_tolerance_for_points_just_outside(layers):
    occ = gpd.GeoDataFrame({"id": ["a", "b"]},
                           geometry=[Point(63.99, 29.0), Point(63.5, 29.0)], crs=CRS)
    e = en.enrich(occ, layers)
    assert e["province_geo"].iloc[0] == "Balochistan"  # ~1 km outside: nearest polygon
    assert e["province_geo"].iloc[1] is None  # ~49 km outside: none


def test_commodity_group_and_mapped(out):
    assert list(out["commodity_group"]) == ["Sb", "REE", "other", "Sb"]
    assert list(out["mapped"]) == [True, True, True, False]
    s = pd.Series(["REE; Nb", "antimony", "Cu", None, "sb"])
    assert list(commodity_group(s)) == ["REE", "Sb", "other", "other", "Sb"]


def test_unmapped_row_gets_nan(out):
    d = row(out, "Sb-004")
    assert d[DIST_COLS].isna().all()
    for c in ("port_nearest", "station_nearest", "town_nearest", "haul_road_port",
              "province_geo"):
        assert d[c] is None
    assert not d["admin_mismatch"]


def test_road_haul_on_fixture(out, ports):
    a = row(out, "Sb-001")
    # road point (65.5, ~29.0) on N-25 -> south to the trunk road -> west -> stub to Gwadar
    expect = km(65.5, 29.0, 65.5, 27.2) + GEOD.geometry_length(
        shapely.segmentize(LineString([(65.5, 27.2), (65.0, 27.2)]), nw.DENSIFY_DEG)
    ) / 1000 + km(65.0, 27.2, 65.0, 26.9)
    assert a["haul_road_port"] == "Gwadar"
    assert a["haul_road_km"] == pytest.approx(expect, abs=0.2)
    assert a["haul_road_gwadar_km"] == a["haul_road_km"]
    assert a["access_km"] == pytest.approx(a["road_km"], abs=0.051)
    p = ports.set_index("id").geometry
    for _, r in out[out["mapped"]].iterrows():
        lon, lat = r.geometry.x, r.geometry.y
        for pid, col in PORT_HAUL_COLUMNS.items():
            straight = km(lon, lat, p[pid].x, p[pid].y)
            assert r[col] + r["access_km"] >= straight - 0.1
            assert r[col] >= r[PORT_DISTANCE_COLUMNS[pid]]  # haul alone >= geodesic to that port
        assert r["haul_road_km"] == min(r[c] for c in PORT_HAUL_COLUMNS.values())


def test_rail_haul_when_ports_are_rail_connected(occurrences, layers):
    ports = layers["ports"].copy()
    ports.loc[ports["id"] == "gwadar", "geometry"] = Point(65.0, 27.28)
    ports.loc[ports["id"] == "port_qasim", "geometry"] = Point(68.3, 27.28)
    e = en.enrich(occurrences, {**layers, "ports": ports})
    c = row(e, "CU-003")  # nearest station Middle Stn (66.5, 27.3): rail to Gwadar Stn
    along = GEOD.geometry_length(shapely.segmentize(
        LineString([(66.5, 27.3), (65.0, 27.3)]), nw.DENSIFY_DEG)) / 1000
    assert c["haul_rail_km"] == pytest.approx(along, abs=0.051)
    # fixture ports lie 44 km from the rail ends: no port-connected station, so NaN
    assert out_nan(occurrences, layers)


def out_nan(occurrences, layers) -> bool:
    return bool(en.enrich(occurrences, layers)["haul_rail_km"].isna().all())


def test_missing_and_empty_layers_give_nan(occurrences, layers):
    empty = {k: v.iloc[0:0] for k, v in layers.items()}
    e = en.enrich(occurrences, empty)
    assert e[DIST_COLS].isna().all().all()
    assert e["province_geo"].isna().all()
    assert list(e["mapped"]) == [True, True, True, False]
    partial = {k: v for k, v in layers.items() if k not in ("roads", "railways", "countries")}
    e = en.enrich(occurrences, partial)
    for c in ("road_km", "road_primary_km", "rail_km", "haul_road_km", "access_km",
              "border_iran_km", "border_afghanistan_km"):
        assert e[c].isna().all(), c
    assert e["port_nearest_km"].notna().sum() == 3
    assert e["haul_road_port"].isna().all()
    e = en.enrich(occurrences, {})
    assert set(ENRICH_COLUMNS) <= set(e.columns)


def test_empty_input_keeps_columns(occurrences, layers):
    e = en.enrich(occurrences.iloc[0:0], layers)
    assert len(e) == 0
    assert set(ENRICH_COLUMNS) <= set(e.columns)
    assert list(e.columns[: len(occurrences.columns)]) == list(occurrences.columns)
    t = en.summary_table(e)
    assert list(t.columns) == list(en.SUMMARY_COLUMNS) and len(t) == 0


def test_nearest_distances_line_polygon_and_missing(provinces, roads):
    p = pts((65.6, 29.0), (None, None), (63.9, 29.0), (66.0, 30.0))
    d, i = en.nearest_distances(p, roads)
    assert d[0] == pytest.approx(km(65.6, 29.0, 65.5, 29.0), rel=1e-4)
    assert i[0] == 1  # positional index of N-25
    assert np.isnan(d[1]) and i[1] == -1
    d, i = en.nearest_distances(p, provinces)
    assert d[3] == pytest.approx(0.0, abs=1e-9) and i[3] == 0  # inside Balochistan
    assert d[2] == pytest.approx(km(63.9, 29.0, 64.0, 29.0), rel=1e-4)
    d, i = en.nearest_distances(p, provinces.iloc[0:0])
    assert np.isnan(d).all() and (i == -1).all()


def test_nearest_distances_long_range_against_pyproj(ports):
    """> 500 km: point targets are exact geodesics; a line target matches a dense brute force."""
    far = [(75.0, 35.0), (61.0, 36.5), (77.5, 24.0)]
    d, i = en.nearest_distances(pts(*far), ports)
    for k, (x, y) in enumerate(far):
        brute = [km(x, y, g.x, g.y) for g in ports.geometry]
        assert d[k] == pytest.approx(min(brute), rel=1e-9)
        assert i[k] == int(np.argmin(brute))
        assert d[k] > 500
    line = gpd.GeoDataFrame(geometry=[LineString([(65.5, 24.0), (65.5, 30.5), (70.0, 33.0)])],
                            crs=CRS)
    dense = shapely.get_coordinates(shapely.segmentize(line.geometry.iloc[0], 0.001))
    for x, y in [(73.0, 26.0), (60.0, 35.0), (75.0, 24.0)]:
        brute = np.min(GEOD.inv(np.full(len(dense), x), np.full(len(dense), y),
                                dense[:, 0], dense[:, 1])[2]) / 1000
        d, _ = en.nearest_distances(pts((x, y)), line)
        assert brute > 500
        assert d[0] == pytest.approx(brute, rel=2e-3)  # projection pick + segment residual
        assert d[0] >= brute - 0.01


def test_fast_and_exact_modes_agree_on_fixture(layers):
    rng = np.random.default_rng(5)
    p = gpd.GeoSeries(shapely.points(rng.uniform(64, 70, 400), rng.uniform(26.5, 31, 400)),
                      crs=CRS)
    exact = en.nearest_columns(p, layers, exact=True)
    fast = en.nearest_columns(p, layers, exact=False)
    for c in ("road_km", "rail_km", "road_primary_km", "border_iran_km"):
        diff = fast[c].to_numpy() - exact[c].to_numpy()
        assert np.all(diff >= -1e-6) and np.all(diff <= 0.5)  # bounded by half a sub-segment


def test_parallel_path_matches_serial(layers, monkeypatch):
    rng = np.random.default_rng(9)
    p = gpd.GeoSeries(shapely.points(rng.uniform(64, 70, 300), rng.uniform(26.5, 31, 300)),
                      crs=CRS)
    serial = en.nearest_columns(p, layers)
    monkeypatch.setattr(en, "_PARALLEL_MIN_POINTS", 1)
    parallel = en.nearest_columns(p, layers)
    pd.testing.assert_frame_equal(serial, parallel)


def test_validation_errors(occurrences, layers):
    with pytest.raises(ValidationError, match="GeoDataFrame"):
        en.enrich(pd.DataFrame(occurrences.drop(columns="geometry")), layers)
    no_crs = occurrences.copy()
    no_crs = no_crs.set_crs(None, allow_override=True)
    with pytest.raises(ValidationError, match="no CRS"):
        en.enrich(no_crs, layers)
    bad_roads = layers["roads"].drop(columns=["fclass"])
    with pytest.raises(ValidationError, match="'roads'.*fclass"):
        en.enrich(occurrences, {**layers, "roads": bad_roads})
    lines = occurrences.copy()
    lines.loc[0, "geometry"] = LineString([(65, 28), (66, 29)])
    with pytest.raises(ValidationError, match="Points"):
        en.enrich(lines, layers)
    with pytest.raises(ValidationError, match="mapping"):
        en.enrich(occurrences, [layers["roads"]])


def test_other_crs_is_converted(occurrences, layers):
    merc = occurrences.to_crs("EPSG:3857")
    a = en.enrich(merc, layers)
    b = en.enrich(occurrences, layers)
    np.testing.assert_allclose(a["road_km"].to_numpy(), b["road_km"].to_numpy(),
                               equal_nan=True)


def test_summary_table(out, occurrences, layers):
    t = en.summary_table(out)
    assert list(t.columns) == list(en.SUMMARY_COLUMNS)
    assert list(t["id"]) == list(out["id"])
    assert t.loc[0, "haul_road_port"] == "Gwadar"
    # not yet enriched: summary_table enriches with the layers it is given
    t2 = en.summary_table(occurrences, layers)
    pd.testing.assert_frame_equal(t, t2)
    with pytest.raises(ValidationError, match="enrichment column"):
        en.summary_table(occurrences)


def test_prebuilt_networks_are_reused(occurrences, layers, monkeypatch):
    nets = nw.build_networks(layers)
    monkeypatch.setattr(en, "build_networks", lambda *_: pytest.fail("rebuilt networks"))
    e = en.enrich(occurrences, layers, networks=nets)
    assert e["haul_road_port"].iloc[0] == "Gwadar"


def test_metric_projection_is_pyprojs_from_crs_in_any_thread():
    """to_metric / to_lonlat give exactly what pyproj's from_crs transformer gives, also in a
    new thread (where pyproj re-creates the transformer)."""
    rng = np.random.default_rng(1)
    lon, lat = rng.uniform(60, 78, 500), rng.uniform(23, 38, 500)
    ref = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True).transform(lon, lat)
    back = Transformer.from_crs(METRIC_CRS, "EPSG:4326", always_xy=True).transform(*ref)
    got: dict[str, tuple] = {}

    def run() -> None:
        got["metric"] = to_metric(lon, lat)
        got["lonlat"] = to_lonlat(*got["metric"])

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    np.testing.assert_array_equal(np.asarray(got["metric"]), np.asarray(ref))
    np.testing.assert_array_equal(np.asarray(got["lonlat"]), np.asarray(back))
    np.testing.assert_array_equal(np.asarray(to_metric(lon, lat)), np.asarray(ref))
