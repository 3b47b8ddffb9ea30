"""Tests of mineralmap.network: graph building, snapping, one Dijkstra per port, haul, route."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod
from shapely.geometry import LineString, Point
from toy_world import toy_ports, toy_roads

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


# --------------------------------------------------------------------------------------------
# locate, terminals, hauls and route geometry (the graph operations scenario.py composes)


def _segment_keys(geom) -> list[tuple]:
    """Undirected vertex-to-vertex segments of a (multi)line, rounded to 1e-7 degrees."""
    xy, part = shapely.get_coordinates(shapely.get_parts(geom), return_index=True)
    same = part[1:] == part[:-1]
    a = np.round(xy[:-1][same] * 1e7).astype(np.int64)
    b = np.round(xy[1:][same] * 1e7).astype(np.int64)
    return [tuple(sorted([tuple(p), tuple(q)])) for p, q in zip(a, b, strict=True)]


@pytest.fixture(scope="module")
def toy_net():
    return _hyp_net()


def test_locate_places_points_on_the_nearest_routable_road(toy_net):
    pts = toy_net.locate(np.array([65.6, np.nan, 68.7]), np.array([29.0, 28.0, 28.0]))
    assert len(pts) == 3
    assert pts.ok.tolist() == [True, False, True]
    assert pts.edge[1] == -1 and np.isnan(pts.access_km[1])
    assert pts.road_lon[0] == pytest.approx(65.5, abs=1e-9)
    assert pts.road_lon[2] == pytest.approx(68.5, abs=1e-9)
    g = toy_net.graph
    e = pts.edge[0]
    # the road point lies on its edge at fraction t from graph.u
    ax, ay, bx, by = g.lon[g.u[e]], g.lat[g.u[e]], g.lon[g.v[e]], g.lat[g.v[e]]
    assert pts.road_lat[0] == pytest.approx(ay + pts.t[0] * (by - ay), abs=1e-3)
    assert min(ax, bx) - 1e-9 <= pts.road_lon[0] <= max(ax, bx) + 1e-9
    assert pts.access_km[0] == pytest.approx(
        km(65.6, 29.0, pts.road_lon[0], pts.road_lat[0]), abs=1e-6)


def test_seaport_terminals_and_haul_to_agree_with_haul(toy_net):
    terms = toy_net.terminals()
    assert [t.id for t in terms] == list(toy_net.ports["id"])
    rng = np.random.default_rng(5)
    lon, lat = rng.uniform(64.5, 69.5, 200), rng.uniform(26.8, 30.8, 200)
    h = toy_net.haul(lon, lat)
    pts = toy_net.locate(lon, lat)
    for t in terms:
        np.testing.assert_allclose(toy_net.haul_to(t, pts), h[nw.PORT_HAUL_COLUMNS[t.id]],
                                   rtol=0, atol=1e-9)
        assert t.dist[toy_net.port_node[t.id]] == 0.0
    assert toy_net.terminal("gwadar").name == "Gwadar"
    with pytest.raises(ValidationError, match="unknown seaport id"):
        toy_net.terminal("nowhere")


def test_add_terminal_splits_its_segment(toy_net):
    # 0.3 degrees south of the N-25 trunk junction (65.5, 27.2), off the road
    term = toy_net.add_terminal(65.5, 26.9, "cand", "Cand")
    assert term.leg_km == pytest.approx(km(65.5, 26.9, 65.5, 27.2), abs=0.05)
    assert term.edge >= 0 and 0.0 <= term.t <= 1.0
    g = toy_net.graph
    u, v = g.u[term.edge], g.v[term.edge]
    w = g.w[term.edge]
    # the two ends of the split segment hang from the virtual root at their partial lengths
    assert term.dist[u] == pytest.approx(max(term.t * w, 1e-9))
    assert term.dist[v] == pytest.approx(max((1 - term.t) * w, 1e-9))
    assert term.pred[u] < 0 and term.pred[v] < 0
    # Sb-001's road point (65.5, 29.0) reaches it straight down the N-25
    pts = toy_net.locate(np.array([65.6]), np.array([29.0]))
    assert toy_net.haul_to(term, pts)[0] == pytest.approx(
        path_km([(65.5, 29.0), (65.5, 27.2)]) + term.leg_km, abs=0.5)
    line = toy_net.route_to(term, pts, 0)
    assert line.coords[0] == pytest.approx((65.6, 29.0))
    assert line.coords[-1] == pytest.approx((65.5, 26.9))
    assert GEOD.geometry_length(line) / 1000 == pytest.approx(
        pts.access_km[0] + toy_net.haul_to(term, pts)[0], abs=0.5)


def test_add_terminal_on_the_same_segment_routes_along_it(toy_net):
    term = toy_net.add_terminal(65.4, 28.0, "cand", "Cand")  # west of the N-25
    g = toy_net.graph
    e = term.edge
    # a point east of the road, projecting onto the same (densified) N-25 edge
    lat = g.lat[g.u[e]] + 0.5 * (g.lat[g.v[e]] - g.lat[g.u[e]])
    pts = toy_net.locate(np.array([65.6]), np.array([lat]))
    assert pts.edge[0] == term.edge
    direct = abs(pts.t[0] - term.t) * toy_net.graph.w[term.edge] + term.leg_km
    assert toy_net.haul_to(term, pts)[0] == pytest.approx(direct)
    coords = toy_net.route_to(term, pts, 0).coords
    assert len(coords) == 4  # point, its road point, the terminal's road point, the terminal


def test_add_terminal_rejects_bad_points_and_roadless_networks(toy_net, roads, ports):
    with pytest.raises(ValidationError, match="no valid coordinate"):
        toy_net.add_terminal(float("nan"), 26.9, "c", "C")
    empty = nw.build_road_network(roads.iloc[0:0], ports)
    with pytest.raises(ValidationError, match="no road connected to a seaport"):
        empty.add_terminal(66.0, 26.9, "c", "C")


def test_routes_to_matches_route_and_skips_unreachable(toy_net):
    pts = toy_net.locate(np.array([65.6, np.nan, 68.7]), np.array([29.0, 28.0, 28.0]),
                         exact=True)
    term = toy_net.terminal("karachi")
    got = toy_net.routes_to(term, pts, np.arange(3))
    assert got[1] is None
    for i in (0, 2):
        ref = toy_net.route(pts.lon[i], pts.lat[i], "karachi")
        np.testing.assert_allclose(shapely.get_coordinates(got[i]),
                                   shapely.get_coordinates(ref))
        assert got[i].coords[-1] == pytest.approx((68.0, 26.9))


def test_tree_routes_draw_every_route_stretch_once(toy_net):
    rng = np.random.default_rng(11)
    lon, lat = rng.uniform(64.6, 69.4, 120), rng.uniform(26.95, 30.6, 120)
    pts = toy_net.locate(lon, lat)
    for term in [*toy_net.terminals(), toy_net.add_terminal(65.5, 26.9, "cand", "Cand")]:
        sel = np.flatnonzero(np.isfinite(toy_net.haul_to(term, pts)))
        merged = toy_net.tree_routes(term, pts, sel)
        keys = _segment_keys(merged)
        assert len(keys) == len(set(keys))  # no stretch twice
        have = set(keys)
        lines = toy_net.routes_to(term, pts, sel)
        for line in lines:
            # every road segment of the full route (after its access leg and partial first
            # edge) is a segment of the merged geometry
            road = shapely.LineString(shapely.get_coordinates(line)[2:])
            if shapely.get_num_coordinates(road) >= 2 and road.length > 0:
                assert set(_segment_keys(road)) <= have
        # and the merged geometry is no longer than the routes it merges
        assert shapely.length(merged) <= sum(shapely.length(g) for g in lines) + 1e-9
        assert shapely.get_coordinates(merged)[:, 0].max() <= 69.0 + 1e-9


def test_tree_routes_none_when_nothing_reaches(toy_net):
    pts = toy_net.locate(np.array([np.nan]), np.array([np.nan]))
    assert toy_net.tree_routes(toy_net.terminal("gwadar"), pts) is None
    pts = toy_net.locate(np.array([65.6]), np.array([29.0]))
    assert toy_net.tree_routes(toy_net.terminal("gwadar"), pts, np.array([], dtype=int)) is None


@settings(deadline=None)
@given(lon=st.floats(allow_nan=True, allow_infinity=True),
       lat=st.floats(allow_nan=True, allow_infinity=True),
       name=st.text(max_size=40))
def test_add_terminal_any_input_is_a_terminal_or_a_validation_error(lon, lat, name):
    net = _hyp_net()
    try:
        term = net.add_terminal(lon, lat, "cand", name)
    except ValidationError:
        assert not (np.isfinite(lon) and np.isfinite(lat) and abs(lat) < 90 and abs(lon) <= 180)
        return
    assert term.name == name and np.isfinite(term.leg_km) and term.leg_km >= 0
    # no road haul to the terminal is shorter than the straight line between the road points
    # (edge weights are geodesic; 0.1 % + 10 m allow for the planar fraction along an edge)
    rng = np.random.default_rng(0)
    plon, plat = rng.uniform(64.6, 69.4, 30), rng.uniform(26.95, 30.6, 30)
    pts = net.locate(plon, plat)
    h = net.haul_to(term, pts)
    straight = nw.geod_km(pts.road_lon, pts.road_lat, term.road_lon, term.road_lat)
    assert np.all(np.isfinite(h))
    assert np.all(h - term.leg_km >= straight * (1 - 1e-3) - 0.01)


_HYP_NET: list = []


def _hyp_net() -> nw.RoadNetwork:
    """The toy road network, built once (hypothesis examples share it; nothing mutates it)."""
    if not _HYP_NET:
        _HYP_NET.append(nw.build_road_network(toy_roads(), toy_ports()))
    return _HYP_NET[0]
