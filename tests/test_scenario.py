"""Scenario arithmetic on the toy road network of tests/toy_world.py.

Toy roads: trunk along lat 27.2 (lon 64.5..69.0), N-25 north-south at lon 65.5 (27.2..30.5),
secondary at lon 68.5, stubs from each port (lat 26.9) up to the trunk. Expected distances are
built here from geodesic legs along those straight roads.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mineralmap import network, scenario
from mineralmap.errors import MineralmapError
from mineralmap.scenario import CANDIDATE_ID, ScenarioError, compare_ports, traceability

GEOD = pyproj.Geod(ellps="WGS84")
#: A coastal band for the toy world (its coast is at lat 26.9).
TOY_BAND = (64.0, 26.5, 69.5, 27.3)


def km(*pts: tuple[float, float]) -> float:
    """Geodesic length of a polyline through ``pts`` (lon, lat), km."""
    total = 0.0
    for (x1, y1), (x2, y2) in zip(pts[:-1], pts[1:], strict=True):
        total += GEOD.inv(x1, y1, x2, y2)[2] / 1000.0
    return total


@pytest.fixture
def net(roads, ports):
    return network.build_road_network(roads, ports)


@pytest.fixture
def occ(enriched):
    return pd.DataFrame(enriched.drop(columns="geometry"))


def test_three_ports_counts_totals_medians_equal_hand_sums(occ, net, ports):
    res = compare_ports(occ, net, ports, None)
    # hand-built hauls (road point of Sb-001 is (65.5, 29.0), of CU-003 (65.5, 28.5) ...)
    sb1_gwadar = km((65.5, 29.0), (65.5, 27.2), (65.0, 27.2), (65.0, 26.9))
    cu3_gwadar = km((65.5, 28.5), (65.5, 27.2), (65.0, 27.2), (65.0, 26.9))
    ree2_qasim = km((68.5, 30.0), (68.5, 27.2), (68.3, 27.2), (68.3, 26.9))
    po = res.per_occurrence.set_index("id")
    assert po.loc["Sb-001", "port"] == "Gwadar"
    assert po.loc["CU-003", "port"] == "Gwadar"
    assert po.loc["REE-002", "port"] == "Port Qasim"
    assert po.loc["Sb-001", "haul_km"] == pytest.approx(sb1_gwadar, abs=0.5)
    assert po.loc["CU-003", "haul_km"] == pytest.approx(cu3_gwadar, abs=0.5)
    assert po.loc["REE-002", "haul_km"] == pytest.approx(ree2_qasim, abs=0.5)
    # Sb-001 to Karachi goes east along the trunk
    assert po.loc["Sb-001", "haul_karachi_km"] == pytest.approx(
        km((65.5, 29.0), (65.5, 27.2), (68.0, 27.2), (68.0, 26.9)), abs=0.5)
    assert po.loc["Sb-001", "access_km"] == pytest.approx(km((65.6, 29.0), (65.5, 29.0)), abs=0.1)

    pp = res.per_port.set_index("port")
    assert list(pp.index) == ["Gwadar", "Karachi", "Port Qasim"]
    assert pp.loc["Gwadar", "occurrences"] == 2
    assert pp.loc["Karachi", "occurrences"] == 0
    assert pp.loc["Port Qasim", "occurrences"] == 1
    assert pp["occurrences"].sum() == len(res.per_occurrence) == 3
    assert pp.loc["Gwadar", "total_haul_km"] == pytest.approx(sb1_gwadar + cu3_gwadar, abs=1)
    assert pp.loc["Gwadar", "median_haul_km"] == pytest.approx((sb1_gwadar + cu3_gwadar) / 2,
                                                               abs=0.5)
    assert pp.loc["Karachi", "total_haul_km"] == 0.0
    assert np.isnan(pp.loc["Karachi", "median_haul_km"])
    # totals are the sums of the per-occurrence table
    sums = res.per_occurrence.groupby("port")["haul_km"].sum()
    for port, total in sums.items():
        assert pp.loc[port, "total_haul_km"] == pytest.approx(total)
    # unmapped row left out and said so
    assert "Sb-004" not in set(res.per_occurrence["id"])
    assert any("without a coordinate" in n and "Sb-004" in n for n in res.notes)
    # one route per routed occurrence, ending at its port
    assert len(res.routes) == 3
    ends = {name: line.coords[-1] for name, line in res.routes}
    assert ends["Port Qasim"] == pytest.approx((68.3, 26.9))
    assert res.candidate_access_km is None


def test_agrees_with_network_haul(occ, net, ports):
    res = compare_ports(occ, net, ports, None)
    h = net.haul(occ["lon"].to_numpy(), occ["lat"].to_numpy())
    h.index = occ["id"]
    po = res.per_occurrence.set_index("id")
    for oid in po.index:
        assert po.loc[oid, "haul_km"] == pytest.approx(h.loc[oid, "haul_road_km"])
        assert po.loc[oid, "port"] == h.loc[oid, "haul_road_port"]
        assert po.loc[oid, "haul_gwadar_km"] == pytest.approx(h.loc[oid, "haul_road_gwadar_km"])


def test_candidate_off_network_wins_west_and_notes_access_leg(occ, net, ports):
    # south of the N-25 junction (65.5, 27.2): 0.3 degrees of latitude off the trunk road
    res = compare_ports(occ, net, ports, (65.5, 26.9), "Ormara X", bounds=TOY_BAND)
    leg = km((65.5, 26.9), (65.5, 27.2))
    assert res.candidate_access_km == pytest.approx(leg, abs=0.05)
    assert any(f"{leg:,.1f} km off the road network" in n and "access leg" in n
               for n in res.notes)
    po = res.per_occurrence.set_index("id")
    # Sb-001 and CU-003 now reach the candidate (via the junction, no detour west)
    assert po.loc["Sb-001", "port"] == "Ormara X"
    assert po.loc["Sb-001", "port_id"] == CANDIDATE_ID
    assert po.loc["Sb-001", "haul_km"] == pytest.approx(
        km((65.5, 29.0), (65.5, 27.2)) + leg, abs=0.5)
    assert po.loc["REE-002", "port"] == "Port Qasim"
    pp = res.per_port.set_index("port_id")
    assert pp.loc[CANDIDATE_ID, "occurrences"] == 2
    assert bool(pp.loc[CANDIDATE_ID, "candidate"])
    assert pp.loc["gwadar", "occurrences"] == 0
    saved = (po.loc[["Sb-001", "CU-003"], "haul_gwadar_km"]
             - po.loc[["Sb-001", "CU-003"], "haul_km"]).sum()
    assert any("nearest by road for 2 of 3" in n and f"{saved:,.0f} km less" in n
               for n in res.notes)
    assert pp.loc[CANDIDATE_ID, "total_haul_km"] == pytest.approx(
        po.loc["Sb-001", "haul_km"] + po.loc["CU-003", "haul_km"])
    # the route to the candidate ends at the candidate, through its road point
    line = next(g for name, g in res.routes if name == "Ormara X")
    assert line.coords[-1] == pytest.approx((65.5, 26.9))
    assert line.coords[-2] == pytest.approx((65.5, 27.2), abs=1e-6)
    # seaport hauls unchanged by adding the candidate
    base = compare_ports(occ, net, ports, None).per_occurrence.set_index("id")
    assert po.loc["Sb-001", "haul_gwadar_km"] == pytest.approx(base.loc["Sb-001", "haul_km"])


def test_candidate_on_network(occ, net, ports):
    # on a trunk-road vertex (the junction of Gwadar's stub)
    res = compare_ports(occ, net, ports, (65.0, 27.2), bounds=TOY_BAND)
    assert res.candidate_access_km == pytest.approx(0.0, abs=0.01)
    assert any("lies on the road network" in n for n in res.notes)
    po = res.per_occurrence.set_index("id")
    assert po.loc["Sb-001", "haul_candidate_km"] == pytest.approx(
        km((65.5, 29.0), (65.5, 27.2), (65.0, 27.2)), abs=0.5)
    # the candidate is 0.3 degrees closer than Gwadar itself for everything routed west
    assert po.loc["Sb-001", "port_id"] == CANDIDATE_ID


def test_same_segment_routed_directly(occ, net, ports):
    # an occurrence and a "terminal" on the same long N-25 segment: no detour via its ends
    sub = occ[occ["id"] == "Sb-001"]
    res = compare_ports(sub, net, ports, (65.4, 28.0), bounds=(64, 26.5, 69.5, 30))
    po = res.per_occurrence.set_index("id")
    assert po.loc["Sb-001", "haul_candidate_km"] == pytest.approx(
        km((65.5, 29.0), (65.5, 28.0)) + km((65.4, 28.0), (65.5, 28.0)), abs=0.5)


def test_weights_change_totals_and_count_missing(occ, net, ports):
    plain = compare_ports(occ, net, ports, None)
    w = compare_ports(occ, net, ports, None, weights="ore_tonnage_t")
    pp = w.per_port.set_index("port")
    sb1 = w.per_occurrence.set_index("id").loc["Sb-001"]
    assert sb1["weight"] == 26000.0
    assert pp.loc["Gwadar", "weighted_t_km"] == pytest.approx(26000.0 * sb1["haul_km"])
    assert pp.loc["Gwadar", "weight_total_t"] == 26000.0
    assert pp.loc["Gwadar", "weighted_occurrences"] == 1
    assert pp.loc["Port Qasim", "weighted_t_km"] == 0.0
    assert plain.per_port["weighted_t_km"].isna().all()
    # counts and km totals do not depend on weights
    pd.testing.assert_series_equal(plain.per_port["total_haul_km"], w.per_port["total_haul_km"])
    assert any("2 of 3" in n and "ore_tonnage_t" in n for n in w.notes)
    # different tonnage -> different weighted total
    occ2 = occ.copy()
    occ2.loc[occ2["id"] == "CU-003", "ore_tonnage_t"] = 1000.0
    w2 = compare_ports(occ2, net, ports, None, weights="ore_tonnage_t")
    cu3 = w2.per_occurrence.set_index("id").loc["CU-003", "haul_km"]
    assert w2.per_port.set_index("port").loc["Gwadar", "weighted_t_km"] == pytest.approx(
        26000.0 * sb1["haul_km"] + 1000.0 * cu3)


@pytest.mark.parametrize(
    "cand, needle",
    [((70.5, 30.0), "outside Pakistan's coastal band"),
     ((66.9, 30.2), "outside Pakistan's coastal band"),
     ((float("nan"), 25.0), "no valid coordinate"),
     (("east", 25.0), "longitude, latitude")],
)
def test_invalid_candidate_rejected(occ, net, ports, cand, needle):
    with pytest.raises(ScenarioError, match=needle):
        compare_ports(occ, net, ports, cand)
    assert issubclass(ScenarioError, MineralmapError)


def test_default_band_accepts_real_coast():
    for lon, lat in [(66.98, 24.78), (67.35, 24.77), (62.3, 25.13), (64.64, 25.21)]:
        assert scenario.validate_candidate((lon, lat)) == (lon, lat)


def test_bad_weight_column_and_empty_selection(occ, net, ports):
    with pytest.raises(ScenarioError, match="tonnage_guess"):
        compare_ports(occ, net, ports, None, weights="tonnage_guess")
    res = compare_ports(occ.iloc[0:0], net, ports, None)
    assert res.per_occurrence.empty and list(res.per_occurrence.columns)[:3] == ["id", "name",
                                                                                 "lon"]
    assert list(res.per_port.columns) == list(scenario.PER_PORT_COLUMNS)
    assert (res.per_port["occurrences"] == 0).all()


def test_network_without_roads_is_a_clear_error(roads, ports, occ):
    empty = network.build_road_network(roads.iloc[0:0], ports)
    with pytest.raises(ScenarioError, match="no seaport to compare"):
        compare_ports(occ, empty, ports, None)
    with pytest.raises(ScenarioError, match="no road connected to a seaport"):
        compare_ports(occ, empty, ports, (66.0, 26.9), bounds=TOY_BAND)


def test_port_selection_from_ports_layer(occ, net, ports):
    only = ports[ports["id"].isin(["gwadar", "pasni"])]  # pasni is minor: not a terminal
    res = compare_ports(occ, net, only, None)
    assert list(res.per_port["port"]) == ["Gwadar"]
    assert (res.per_occurrence["port"] == "Gwadar").all()


def test_traceability_flag(enriched):
    e = enriched.copy()
    e["border_afghanistan_km"] = [220.0, 110.0, 280.0, np.nan]
    e["crossing_nearest"] = ["Chaman", "Chaman", "Chaman", None]
    e["crossing_km"] = [300.0, 120.0, 300.0, np.nan]
    t = traceability(e)
    assert list(t.columns) == list(scenario.TRACE_COLUMNS)
    assert set(t["id"]) == {"Sb-001", "Sb-004"}  # antimony only
    row = t.set_index("id")
    assert bool(row.loc["Sb-001", "crossing_closer_than_port"]) is False  # 300 > 290
    assert pd.isna(row.loc["Sb-004", "crossing_closer_than_port"])
    e.loc[0, "crossing_km"] = 250.0
    assert bool(traceability(e).set_index("id").loc["Sb-001", "crossing_closer_than_port"])
    assert t["id"].iloc[-1] == "Sb-004"  # unknown distances last


def test_traceability_road_distance_to_crossing(enriched, net, border_crossings):
    # default: crossings into Afghanistan only (Chaman)
    t = traceability(enriched, net, border_crossings)
    assert list(t.columns) == list(scenario.TRACE_COLUMNS) + list(scenario.TRACE_ROAD_COLUMNS)
    row = t.set_index("id").loc["Sb-001"]
    chaman = km((65.5, 29.0), (65.5, 30.5)) + km((66.0, 31.0), (65.5, 30.5))
    assert row["crossing_road_nearest"] == "Chaman"
    assert row["crossing_road_km"] == pytest.approx(chaman, abs=2.0)
    assert bool(row["crossing_closer_by_road"]) is (chaman < 290.0)
    assert pd.isna(t.set_index("id").loc["Sb-004", "crossing_closer_by_road"])
    # every crossing: Taftan (64.0, 29.0) snaps onto N-25 near (65.5, 29.0), Sb-001's road point
    t_all = traceability(enriched, net, border_crossings, country=None).set_index("id")
    taftan = km((64.0, 29.0), (65.5, 29.0))
    assert taftan < chaman
    assert t_all.loc["Sb-001", "crossing_road_nearest"] == "Taftan"
    # the perpendicular foot is found in the metric projection, a little off lat 29.0 on this
    # 370 km long toy segment: allow 2 km
    assert t_all.loc["Sb-001", "crossing_road_km"] == pytest.approx(taftan, abs=2.0)


def test_merged_routes_keep_every_route_segment_once(occ, net, ports):
    res = compare_ports(occ, net, ports, (65.5, 26.9), "C", bounds=TOY_BAND)
    merged = dict(scenario.merged_routes(res.routes, simplify_deg=0))
    assert set(merged) == {name for name, _ in res.routes}
    for name, geom in merged.items():
        routes = [g for n, g in res.routes if n == name]
        # every route lies on the merged geometry, and shared stretches are not doubled
        for g in routes:
            assert shapely.hausdorff_distance(g, shapely.intersection(g, geom.buffer(1e-9))) < 1e-6
        assert shapely.length(geom) <= sum(shapely.length(g) for g in routes) + 1e-9
    # Sb-001 and CU-003 share the N-25 south of CU-003's road point and the leg to the
    # candidate: kept once. The merged length equals the length of the geometric union up to the
    # partial first segment of a route (road points need not be graph vertices).
    both = [g for n, g in res.routes if n == "C"]
    assert len(both) == 2
    union = shapely.length(shapely.union_all(both))
    total = sum(shapely.length(g) for g in both)
    assert union < total - 1.0
    assert union - 1e-9 <= shapely.length(merged["C"]) <= union + 0.05


def test_candidate_must_be_near_the_coast(countries):
    """The toy Pakistan's only sea coast is its southern edge at lat 26.5 (lon 64..70)."""
    coast = scenario.coastline(countries, bounds=(60, 20, 75, 26.6))
    assert coast is not None and not coast.is_empty
    # on the coast (0.05° south of it, ~5.5 km): accepted
    assert scenario.validate_candidate((66.0, 26.45), bounds=(60, 20, 75, 30), coast=coast) == (66.0, 26.45)
    # 1° inland (~111 km): rejected with the distance in the message
    with pytest.raises(scenario.ScenarioError, match=r"1\d\d km from Pakistan's coastline"):
        scenario.validate_candidate((66.0, 27.5), bounds=(60, 20, 75, 30), coast=coast)
    # the land border with Iran (lon 64) is not coast
    d_border = scenario.coast_distance_km(63.99, 28.5, coast)
    assert d_border > 150


# --------------------------------------------------------------------------------------------
# route geometry only for what is drawn


def test_tree_routes_cover_every_routed_occurrence_without_per_route_geometry(occ, net, ports):
    full = compare_ports(occ, net, ports, (65.5, 26.9), "C", bounds=TOY_BAND)
    none = compare_ports(occ, net, ports, (65.5, 26.9), "C", bounds=TOY_BAND, max_routes=0)
    assert none.routes == []
    # the numbers do not depend on how many routes are drawn
    pd.testing.assert_frame_equal(full.per_occurrence, none.per_occurrence)
    pd.testing.assert_frame_equal(full.per_port, none.per_port)
    tree = dict(none.tree_routes)
    assert set(tree) == set(full.per_occurrence["port"])  # terminals that won something
    for name, line in full.routes:
        # each full route, minus its access leg, lies on its terminal's merged geometry
        road = shapely.LineString(shapely.get_coordinates(line)[1:])
        assert shapely.hausdorff_distance(
            road, shapely.intersection(road, tree[name].buffer(1e-9))) < 1e-6
    drawn = dict(scenario.drawn_routes(none))
    assert set(drawn) == set(tree)
    for name, geom in drawn.items():
        assert shapely.get_num_coordinates(geom) <= shapely.get_num_coordinates(tree[name])
    assert scenario.drawn_routes(none, simplify_deg=0) == none.tree_routes


def test_without_routes_same_numbers_and_no_geometry(occ, net, ports):
    a = compare_ports(occ, net, ports, None, with_routes=False)
    b = compare_ports(occ, net, ports, None)
    assert a.routes == [] and a.tree_routes == []
    pd.testing.assert_frame_equal(a.per_occurrence, b.per_occurrence)
    assert a.notes == b.notes


def test_max_routes_picks_heaviest_and_route_ids_add_the_selected(occ, net, ports):
    res = compare_ports(occ, net, ports, None, weights="ore_tonnage_t", max_routes=1)
    po = res.per_occurrence.set_index("id")
    heaviest = po["weight"].idxmax()
    assert len(res.routes) == 1
    assert res.routes[0][0] == po.loc[heaviest, "port"]
    assert res.routes[0][1].coords[0] == pytest.approx(
        (po.loc[heaviest, "lon"], po.loc[heaviest, "lat"]))
    sel = compare_ports(occ, net, ports, None, max_routes=0, route_ids=("REE-002",))
    assert [name for name, _ in sel.routes] == ["Port Qasim"]
    assert sel.routes[0][1].coords[-1] == pytest.approx((68.3, 26.9))
    # an id that is not routed (unmapped) or unknown is simply not drawn
    assert compare_ports(occ, net, ports, None, max_routes=0,
                         route_ids=("Sb-004", "nope")).routes == []


def test_candidate_label_is_clean_and_distinct():
    assert scenario.candidate_label("  Ormara\tX \n", []) == "Ormara X"
    assert scenario.candidate_label("", []) == "Candidate terminal"
    assert scenario.candidate_label(None, []) == "Candidate terminal"
    assert scenario.candidate_label("Gwadar", ["Gwadar"]) == "Gwadar (candidate)"
    assert len(scenario.candidate_label("x" * 500, [])) == scenario.MAX_NAME_CHARS
    assert scenario.candidate_label("a\x00b\x1bc", []) == "a b c"


@settings(deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lon=st.floats(TOY_BAND[0], TOY_BAND[2]), lat=st.floats(TOY_BAND[1], TOY_BAND[3]),
       name=st.text(max_size=120))
def test_any_candidate_in_the_band_gives_a_consistent_comparison(occ, net, ports, lon, lat,
                                                                 name):
    res = compare_ports(occ, net, ports, (lon, lat), name, bounds=TOY_BAND, max_routes=0)
    label = scenario.candidate_label(name, ["Gwadar", "Karachi", "Port Qasim"])
    pp = res.per_port.set_index("port_id")
    assert pp.loc[CANDIDATE_ID, "port"] == label
    assert 0 < len(label) <= scenario.MAX_NAME_CHARS + len(" (candidate)")
    assert label.isprintable()
    assert pp["occurrences"].sum() == len(res.per_occurrence) == 3
    po = res.per_occurrence
    hauls = po[[c for c in po.columns if c.startswith("haul_") and c != "haul_km"]]
    np.testing.assert_allclose(po["haul_km"], hauls.min(axis=1))
    # adding a candidate never changes the hauls to the seaports
    base = net.haul(po["lon"].to_numpy(), po["lat"].to_numpy())
    np.testing.assert_allclose(po["haul_gwadar_km"], base["haul_road_gwadar_km"])
    assert res.candidate_access_km >= 0
    assert set(dict(res.tree_routes)) == set(po["port"])


@settings(deadline=None)
@given(cand=st.one_of(
    st.tuples(st.floats(allow_nan=True, allow_infinity=True),
              st.floats(allow_nan=True, allow_infinity=True)),
    st.tuples(st.text(max_size=8), st.text(max_size=8)),
    st.lists(st.floats(), max_size=1),
    st.none(), st.text(max_size=5), st.integers(), st.dictionaries(st.text(), st.floats()),
    st.tuples(st.integers(-10**400, 10**400), st.integers(-10**400, 10**400)),
))
def test_validate_candidate_any_input_is_a_band_point_or_a_scenario_error(cand):
    try:
        lon, lat = scenario.validate_candidate(cand)
    except ScenarioError:
        return
    x0, y0, x1, y1 = scenario.COASTAL_BAND
    assert isinstance(lon, float) and isinstance(lat, float)
    assert x0 <= lon <= x1 and y0 <= lat <= y1
