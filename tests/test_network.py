"""Tests of mineralmap.network: graph building, snapping, one Dijkstra per port, haul, route."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import LineString, Point

from mineralmap import network as nw
from mineralmap.errors import ValidationError
from mineralmap.schema import CRS

GEOD = Geod(ellps="WGS84")


def km(lon1, lat1, lon2, lat2) -> float:
    return GEOD.inv(lon1, lat1, lon2, lat2)[2] / 1000.0


def path_km(coords) -> float:
    """Geodesic length of a lon/lat polyline, densified like the graph builder does."""
    line = shapely.segmentize(LineString(coords), nw.DENSIFY_DEG)
    return GEOD.geometry_length(line) / 1000.0


def _lines(rows) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        [{"fclass": c, "ref": None, "geometry": LineString(xy)} for c, xy in rows],
        geometry="geometry", crs=CRS)


def _ports(rows) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        [{"id": i, "name": n, "kind": k, "locode": "", "geometry": Point(x, y)}
         for i, n, k, x, y in rows], geometry="geometry", crs=CRS)


@pytest.fixture
def square():
    """A square of roads, Karachi at its SW corner, Gwadar at its NE corner, a minor port."""
    roads = _lines([
        ("primary", [(66.0, 27.0), (66.5, 27.0)]),
        ("secondary", [(66.5, 27.0), (66.5, 27.5)]),
        ("primary", [(66.5, 27.5), (66.0, 27.5)]),
        ("trunk", [(66.0, 27.5), (66.0, 27.0)]),
        ("track", [(66.2, 27.2), (66.3, 27.3)]),  # not routable: ignored
    ])
    ports = _ports([
        ("karachi", "Karachi", "seaport", 66.0, 27.0),
        ("gwadar", "Gwadar", "seaport", 66.5, 27.5),
        ("pasni", "Pasni", "minor", 66.25, 27.0),
    ])
    return roads, ports


def test_shortest_path_picks_nearer_port_and_route_length(square):
    roads, ports = square
    net = nw.build_road_network(roads, ports)
    assert set(net.port_node) == {"karachi", "gwadar"}  # minor port not routed to
    h = net.haul(np.array([66.5]), np.array([27.1]))
    to_gwadar = path_km([(66.5, 27.1), (66.5, 27.5)])
    to_karachi = path_km([(66.5, 27.1), (66.5, 27.0), (66.0, 27.0)])
    assert h.loc[0, "haul_road_port"] == "Gwadar"
    assert h.loc[0, "haul_road_km"] == pytest.approx(to_gwadar, abs=1e-3)
    assert h.loc[0, "haul_road_gwadar_km"] == pytest.approx(to_gwadar, abs=1e-3)
    assert h.loc[0, "haul_road_karachi_km"] == pytest.approx(to_karachi, abs=1e-3)
    assert np.isnan(h.loc[0, "haul_road_qasim_km"])  # no such port in this network
    assert h.loc[0, "access_km"] == pytest.approx(0.0, abs=1e-6)
    route = net.route(66.5, 27.1, "karachi")
    assert route.coords[0] == pytest.approx((66.5, 27.1))
    assert route.coords[-1] == pytest.approx((66.0, 27.0))
    assert GEOD.geometry_length(route) / 1000 == pytest.approx(to_karachi, abs=1e-3)


def test_haul_off_road_point_adds_access_leg_and_partial_edge(square):
    roads, ports = square
    net = nw.build_road_network(roads, ports)
    # 0.2 degrees east of the vertical road at lon 66.5, at lat 27.2
    h = net.haul(np.array([66.7]), np.array([27.2]))
    route = net.route(66.7, 27.2, "gwadar")
    rx, ry = route.coords[1]  # the road point
    assert rx == pytest.approx(66.5, abs=1e-9)
    assert ry == pytest.approx(27.2, abs=0.005)  # geodesic foot lies slightly poleward
    assert h.loc[0, "access_km"] == pytest.approx(km(66.7, 27.2, rx, ry), abs=1e-3)
    assert h.loc[0, "access_km"] <= km(66.7, 27.2, 66.5, 27.2) + 1e-3
    assert h.loc[0, "haul_road_gwadar_km"] == pytest.approx(
        path_km([(rx, ry), (66.5, 27.5)]), abs=0.01)
    assert GEOD.geometry_length(route) / 1000 == pytest.approx(
        h.loc[0, "access_km"] + h.loc[0, "haul_road_gwadar_km"], abs=0.01)
    # haul is never shorter than the straight line from the road point to the port
    assert h.loc[0, "haul_road_km"] >= km(rx, ry, 66.5, 27.5) - 1e-6


def test_haul_many_points_is_not_shorter_than_geodesic(roads, ports):
    net = nw.build_road_network(roads, ports)
    rng = np.random.default_rng(3)
    lon = rng.uniform(64.2, 69.8, 300)
    lat = rng.uniform(26.6, 30.9, 300)
    h = net.haul(lon, lat)
    p = ports.set_index("id")
    for pid, col in nw.PORT_HAUL_COLUMNS.items():
        g = p.loc[pid].geometry
        straight = np.array([km(x, y, g.x, g.y) for x, y in zip(lon, lat, strict=True)])
        total = h[col].to_numpy() + h["access_km"].to_numpy()
        assert np.all(np.isfinite(total))
        assert np.all(total >= straight - 1e-6)
    assert set(h["haul_road_port"]) <= {"Gwadar", "Karachi", "Port Qasim"}


def test_unmapped_and_unknown_port(square):
    roads, ports = square
    net = nw.build_road_network(roads, ports)
    h = net.haul(np.array([np.nan, 66.1]), np.array([np.nan, 27.0]))
    assert h.loc[0, "haul_road_port"] is None
    assert h.loc[:, ["haul_road_km", "access_km"]].iloc[0].isna().all()
    assert h.loc[1, "haul_road_port"] == "Karachi"
    assert net.route(np.nan, np.nan, "karachi") is None
    with pytest.raises(ValidationError, match="unknown seaport id"):
        net.route(66.1, 27.0, "nowhere")


def test_snapping_joins_t_junction_within_tolerance_only():
    # the stub ends 5 m (about 0.000045 deg) south of the through road: joined
    # a second stub ends about 110 m short: not joined
    gap_small = 5 / 111_000
    roads = _lines([
        ("primary", [(66.0, 27.0), (67.0, 27.0)]),
        ("secondary", [(66.5, 27.5), (66.5, 27.0 + gap_small)]),
        ("secondary", [(66.8, 27.5), (66.8, 27.001)]),
    ])
    ports = _ports([("karachi", "Karachi", "seaport", 66.0, 27.0)])
    net = nw.build_road_network(roads, ports)
    g = net.graph
    assert g.comp_length.size == 2
    h = net.haul(np.array([66.5, 66.8]), np.array([27.5, 27.5]))
    expect = path_km([(66.5, 27.5), (66.5, 27.0)]) + path_km([(66.5, 27.0), (66.0, 27.0)])
    assert h.loc[0, "haul_road_km"] == pytest.approx(expect, abs=0.01)
    # the unjoined stub reaches no port, so its point is routed via the joined stub at 66.5
    assert h.loc[1, "access_km"] == pytest.approx(km(66.8, 27.5, 66.5, 27.5), rel=1e-3)
    # share of km in the largest component
    total = path_km([(66.0, 27.0), (67.0, 27.0)]) + path_km([(66.5, 27.5), (66.5, 27.0)]) \
        + path_km([(66.8, 27.5), (66.8, 27.001)])
    assert net.largest_component_share == pytest.approx(
        (total - path_km([(66.8, 27.5), (66.8, 27.001)])) / total, rel=1e-3)
    summary = net.components_summary()
    assert summary["components"] == 2
    assert summary["ports_on_largest"] == {"karachi": True}


def test_one_dijkstra_per_port(square, monkeypatch):
    roads, ports = square
    calls = []
    real = nw.csgraph.dijkstra

    def spy(*args, **kwargs):
        calls.append(np.atleast_1d(kwargs.get("indices")).size)
        return real(*args, **kwargs)

    monkeypatch.setattr(nw.csgraph, "dijkstra", spy)
    net = nw.build_road_network(roads, ports)
    net.haul(np.linspace(66, 66.5, 500), np.full(500, 27.25))
    assert calls == [2]  # a single call covering both seaports, none per point


def test_fixture_world_components_and_gwadar_connected(roads, ports):
    net = nw.build_road_network(roads, ports)
    s = net.components_summary()
    assert s["components"] == 1
    assert net.largest_component_share == pytest.approx(1.0)
    assert all(s["ports_on_largest"].values())
    assert set(net.port_node) == {"gwadar", "karachi", "port_qasim"}


def test_rail_network_port_terminals_and_station_haul(railways, rail_stations):
    # ports 2.2 km south of the rail ends at lon 65.0 and 68.3 (PORT_RAIL_KM = 5)
    ports = _ports([
        ("gwadar", "Gwadar", "seaport", 65.0, 27.28),
        ("port_qasim", "Port Qasim", "seaport", 68.3, 27.28),
        ("karachi", "Karachi", "seaport", 68.0, 26.5),  # 89 km from rail: not connected
    ])
    far = gpd.GeoDataFrame([{"station_id": 9, "name": "Off-line Stn",
                             "geometry": Point(66.5, 29.0)}], geometry="geometry", crs=CRS)
    stations = gpd.GeoDataFrame(pd.concat([rail_stations, far], ignore_index=True),
                                geometry="geometry", crs=CRS)
    rail = nw.build_rail_network(railways, stations, ports)
    assert set(rail.port_node) == {"gwadar", "port_qasim"}
    names = list(rail.station_names)
    mid = names.index("Middle Stn")
    to_g = path_km([(66.5, 27.3), (65.0, 27.3)])
    assert rail.station_haul_km[mid] == pytest.approx(to_g, abs=0.01)
    assert rail.station_port[mid] == "Gwadar"
    assert rail.station_haul_km[names.index("Qasim Stn")] == pytest.approx(0.0, abs=1e-6)
    # the off-line station sits on the abandoned line only: not on the active graph
    off = names.index("Off-line Stn")
    assert rail.station_node[off] == -1 and np.isnan(rail.station_haul_km[off])
    h = rail.haul(np.array([66.6, np.nan]), np.array([27.4, np.nan]))
    assert h.loc[0, "station_nearest"] == "Middle Stn"
    assert h.loc[0, "haul_rail_km"] == pytest.approx(to_g, abs=0.01)
    assert h.loc[1, "station_nearest"] is None and np.isnan(h.loc[1, "haul_rail_km"])
    assert rail.components_summary()["stations_reaching_port"] == 3


def test_rail_needs_active_or_status(railways, rail_stations, ports):
    bad = railways.drop(columns=["active", "status"])
    with pytest.raises(ValidationError, match="active"):
        nw.build_rail_network(bad, rail_stations, ports)
    by_status = railways.drop(columns=["active"])
    rail = nw.build_rail_network(by_status, rail_stations, ports)
    assert rail.graph.comp_length.sum() == pytest.approx(path_km([(65.0, 27.3), (68.3, 27.3)]),
                                                         rel=1e-6)


def test_build_networks_missing_layers(layers):
    nets = nw.build_networks({k: v for k, v in layers.items() if k != "roads"})
    assert nets.road is None and nets.rail is not None
    empty = layers["roads"].iloc[0:0]
    nets = nw.build_networks({**layers, "roads": empty})
    assert nets.road is None
    # no seaports at all: a network without targets, haul all NaN
    net = nw.build_road_network(layers["roads"], layers["ports"].iloc[0:0])
    h = net.haul(np.array([65.6]), np.array([29.0]))
    assert h["haul_road_km"].isna().all() and h.loc[0, "haul_road_port"] is None


def test_segment_index_exact_and_fast_modes():
    rng = np.random.default_rng(7)
    a = rng.uniform(0, 2e5, (400, 2))
    b = a + rng.normal(0, 4000, (400, 2))
    p = rng.uniform(-5e4, 2.5e5, (2000, 2))
    segs = shapely.linestrings(np.stack([a, b], axis=1))
    brute = shapely.distance(shapely.points(p)[:, None], segs[None, :]).min(axis=1)
    idx = nw.SegmentIndex(a, b, max_len=1000.0)
    seg, t, q, d = idx.query(p, exact=True)
    np.testing.assert_allclose(d, brute, atol=1e-6)
    np.testing.assert_allclose(q, a[seg] + t[:, None] * (b[seg] - a[seg]), atol=1e-6)
    _, _, _, d_fast = idx.query(p)
    assert np.all(d_fast >= brute - 1e-6)
    assert np.all(d_fast - brute <= idx.half + 1e-6)


def test_rail_station_arrays_stay_aligned_with_layer(railways, rail_stations):
    ports = _ports([("gwadar", "Gwadar", "seaport", 65.0, 27.28)])
    st = rail_stations.copy()
    st.loc[0, "geometry"] = None  # a station without coordinates keeps its row
    rail = nw.build_rail_network(railways, st, ports)
    assert rail.station_names.size == len(st)
    assert rail.station_node[0] == -1 and np.isnan(rail.station_haul_km[0])
    assert rail.station_haul_km[1] == pytest.approx(path_km([(66.5, 27.3), (65.0, 27.3)]),
                                                    abs=0.01)
    h = rail.haul(np.array([65.1]), np.array([27.4]))
    assert h.loc[0, "station_nearest"] == "Middle Stn"
