"""Ports and terminals as the pages ask for them, on the toy world's real road network."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from mineralmap import network, terminals


@pytest.fixture
def road(roads, ports):
    return network.build_road_network(roads, ports)


def test_port_id_by_name(ports):
    assert terminals.port_id(ports, "Port Qasim") == "port_qasim"
    assert terminals.port_id(ports, "Atlantis") is None
    assert terminals.port_id(ports, None) is None
    assert terminals.port_id(ports.iloc[0:0], "Gwadar") is None


def test_minor_ports_are_the_candidate_sites(ports):
    minor = terminals.minor_ports(ports)
    expected = ports[ports["kind"] == "minor"]
    assert list(minor) == list(expected["name"])
    assert minor["Pasni"] == (expected.geometry.iloc[0].x, expected.geometry.iloc[0].y)
    assert terminals.minor_ports(ports.drop(columns="kind")) == {}
    assert terminals.minor_ports(ports.iloc[0:0]) == {}


def test_road_port_needs_a_mapped_row_with_a_port(enriched):
    row = enriched[enriched["id"] == "Sb-001"].iloc[0]
    assert terminals.road_port(enriched, "Sb-001") == (row["lon"], row["lat"], row["haul_road_port"])
    assert terminals.road_port(enriched, "Sb-004") is None  # unmapped
    assert terminals.road_port(enriched, "nope") is None
    assert terminals.road_port(enriched, None) is None


def test_occurrence_route_ends_at_its_port(enriched, ports, road):
    route = terminals.occurrence_route(enriched, ports, road, "Sb-001")
    port = ports[ports["name"] == enriched.loc[enriched["id"] == "Sb-001", "haul_road_port"].iloc[0]]
    end = Point(route.coords[-1])
    assert end.distance(port.geometry.iloc[0]) < 1e-6
    assert terminals.occurrence_route(enriched, ports, road, "Sb-004") is None
    other = enriched.copy()
    other.loc[other["id"] == "Sb-001", "haul_road_port"] = "Atlantis"
    assert terminals.occurrence_route(other, ports, road, "Sb-001") is None


def test_rows_by_ids_is_plain(enriched):
    rows = terminals.rows_by_ids(enriched, ["Sb-001", "REE-002", "zz"])
    assert not isinstance(rows, gpd.GeoDataFrame) and "geometry" not in rows
    assert set(rows["id"]) == {"Sb-001", "REE-002"}


def test_compare_terminals_routes_the_mapped_ids(enriched, ports, road):
    ids = list(enriched["id"])
    res = terminals.compare_terminals(enriched, ids, road, ports, None)
    mapped = set(enriched.loc[enriched["mapped"], "id"])
    assert set(res.per_occurrence["id"]) <= mapped
    assert set(res.terminals["port_id"]) <= set(ports["id"])


def test_traceability_rows_and_sentence(enriched, road, border_crossings):
    trace = terminals.traceability_rows(enriched, list(enriched["id"]), road, border_crossings)
    n_sb = int((enriched["commodity_group"] == "Sb").sum())
    assert len(trace) == n_sb
    text = terminals.traceability_sentence(trace)
    assert text.startswith(f"{n_sb} antimony occurrence(s)")
    flags = pd.DataFrame({"crossing_closer_by_road": [True, None, False],
                          "crossing_closer_than_port": [True, True, None]})
    assert terminals.traceability_sentence(flags) == (
        "3 antimony occurrence(s) in the current selection; 1 where the road to the nearest "
        "Afghan crossing is shorter than the road haul to the nearest seaport; 2 by the looser "
        "straight-line-vs-road indicator.")
    assert terminals.traceability_sentence(pd.DataFrame({"id": []})) == (
        "0 antimony occurrence(s) in the current selection.")


def test_network_summaries(road, railways, rail_stations, ports):
    rail = network.build_rail_network(railways, rail_stations, ports)
    out = terminals.network_summaries(road, rail)
    assert set(out) == {"road", "rail"}
    assert out["road"]["nodes"] == road.components_summary()["nodes"]
    assert out["rail"]["stations"] == len(rail_stations)
