"""Ports and terminals as the pages ask for them, on the toy world's real road network."""

from __future__ import annotations

import math

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as hs
from shapely.geometry import Point

from mineralmap import network, params, scenario, terminals
from mineralmap.summary import md_escape
from tests._mdcheck import unescaped


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


# ---------------------------------------------------------------------------- issue 14


def test_candidate_input_says_what_is_wrong():
    x0, y0, x1, y1 = scenario.COASTAL_BAND
    assert terminals.check_candidate_input(64.6, 25.2) == ((64.6, 25.2), None, False)
    cand, msg, err = terminals.check_candidate_input(None, None)
    assert cand is None and not err and msg == "Enter both coordinates to add the candidate."
    cand, msg, err = terminals.check_candidate_input(64.6, None)
    assert cand is None and not err and msg.startswith("Enter the latitude too")
    cand, msg, err = terminals.check_candidate_input(250.0, 25.2)
    assert cand is None and err
    assert msg.startswith("Longitude 250 is not a longitude") and f"{x0}–{x1} °E" in msg
    cand, msg, err = terminals.check_candidate_input(64.6, -95.0)
    assert cand is None and err and msg.startswith("Latitude -95 is not a latitude")
    cand, msg, err = terminals.check_candidate_input(float("nan"), 25.0)
    assert cand is None and err and "finite" in msg
    # typed the other way round: detected and the swap suggested
    cand, msg, err = terminals.check_candidate_input(25.2, 64.6)
    assert cand is None and err
    assert "look swapped" in msg and "did you mean longitude 64.6 °E, latitude 25.2 °N" in msg
    # inland or far away but plausible numbers: left to scenario.validate_candidate
    assert terminals.check_candidate_input(70.0, 30.0) == ((70.0, 30.0), None, False)


@given(hs.one_of(hs.none(), hs.floats()), hs.one_of(hs.none(), hs.floats()))
def test_any_typed_candidate_is_a_message_or_a_coordinate(lon, lat):
    cand, msg, err = terminals.check_candidate_input(lon, lat)
    assert (cand is None) == (msg is not None)
    if cand is not None:
        assert -180 <= cand[0] <= 180 and -90 <= cand[1] <= 90
    if err:
        assert cand is None and msg


def test_candidate_link_round_trip():
    sites = ["Pasni", "Ormara"]
    for link in (terminals.CandidateLink(site="Pasni"),
                 terminals.CandidateLink(site="Ormara", name="New port"),
                 terminals.CandidateLink(lonlat=(64.64, 25.21)),
                 terminals.CandidateLink(lonlat=(250.0, 25.0), name="Typo")):
        query = {k: [v] for k, v in link.to_params().items()}
        assert set(query) <= set(params.CANDIDATE_PARAMS)
        assert terminals.candidate_from_params(query, sites) == (link, [])
    # the default names do not travel
    assert terminals.CandidateLink(site="Pasni", name="Candidate at Pasni").to_params() == {
        "cand_site": "Pasni"}
    assert terminals.CandidateLink(lonlat=(64.6, 25.2), name=terminals.CANDIDATE_NAME
                                   ).to_params() == {"cand": "64.6,25.2"}
    assert terminals.CandidateLink(name="x").to_params() == {}


def test_candidate_link_notes():
    link, notes = terminals.candidate_from_params({"cand_site": "Atlantis"}, ["Pasni"])
    assert link is None and notes == ["ignored unknown candidate site 'Atlantis'"]
    link, notes = terminals.candidate_from_params({"cand": "64.6"}, [])
    assert link is None and "expected lon,lat" in notes[0]
    link, notes = terminals.candidate_from_params({"cand_name": "Port"}, [])
    assert link is None and "names no candidate" in notes[0]
    # a bad site falls back to a good coordinate, with a note
    link, notes = terminals.candidate_from_params({"cand_site": "X", "cand": "64.6,25.2"}, [])
    assert link == terminals.CandidateLink(lonlat=(64.6, 25.2)) and len(notes) == 1
    name = "a\nb" + "c" * 200
    link, _ = terminals.candidate_from_params({"cand": "64.6,25.2", "cand_name": name}, [])
    assert link.name == ("a b" + "c" * 200)[:scenario.MAX_NAME_CHARS]


@given(hs.dictionaries(hs.sampled_from([*params.CANDIDATE_PARAMS, "x"]),
                       hs.one_of(hs.text(max_size=40), hs.lists(hs.text(max_size=20), max_size=3)),
                       max_size=4))
def test_any_candidate_link_is_usable_or_noted(raw):
    link, notes = terminals.candidate_from_params(raw, ["Pasni"])
    assert all(isinstance(n, str) and n and not unescaped(md_escape(n)) for n in notes)
    if link is not None:
        assert link.site == "Pasni" or link.lonlat is not None
        if link.lonlat is not None:
            assert all(math.isfinite(v) for v in link.lonlat)
        assert link.name is None or (link.name and len(link.name) <= scenario.MAX_NAME_CHARS)
