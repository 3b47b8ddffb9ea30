"""AppTest of the Market & logistics page.

On the toy world (its Pakistan has a sea coast at ``conftest.TOY_COAST_LAT``, inside
``scenario.COASTAL_BAND``) the expectations are computed from its catalog and its market-facts
table; one smoke test runs the page on the real data and checks its structure only."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest
from toy_world import TOY_COAST_LAT, TOY_COAST_ROAD

from mineralmap import market, scenario
from mineralmap.schema import SEAPORT_IDS

APP = str(Path(__file__).resolve().parents[1] / "app.py")
#: Candidate sites of the toy world: by its coast near the end of the coast road (which leads to
#: the coastal occurrence), a little east of it, and 35 km inland (too far from the coast).
ON_COAST = [(TOY_COAST_ROAD.coords[-1][0], TOY_COAST_LAT + 0.05),
            (TOY_COAST_ROAD.coords[-1][0] + 0.5, TOY_COAST_LAT + 0.05)]
INLAND = (66.0, TOY_COAST_LAT + 0.32)


def _context() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page("pages/context.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _per_port(at: AppTest):
    return next(d.value for d in at.dataframe if "total_haul_km" in d.value.columns)


def _candidate(at: AppTest, lon: float, lat: float) -> None:
    if not at.checkbox(key="ctx_cand_on").value:
        at.checkbox(key="ctx_cand_on").check().run()
    at.number_input(key="ctx_cand_lon").set_value(lon)
    at.number_input(key="ctx_cand_lat").set_value(lat).run()  # one rerun for both widgets
    assert not at.exception, [e.value for e in at.exception]


def _seaports(world) -> set[str]:
    ports = world.catalog.layer("ports")
    return set(ports.loc[ports["id"].isin(SEAPORT_IDS), "name"])


def test_page_renders_cards_scenario_and_traceability(use_toy_world):
    facts = market.load_market_facts(use_toy_world.geodata / market.MARKET_FACTS_FILE)
    occ = use_toy_world.catalog.occurrences
    at = _context()
    assert at.title[0].value == "Market and logistics"
    labels = [m.label for m in at.metric]
    figures = facts.loc[facts["kind"] == "figure", "fact"].tolist()
    assert labels == [*figures, "Test purchase, implied price per tonne"]
    implied = next(m for m in at.metric if m.label == "Test purchase, implied price per tonne")
    assert implied.value == f"≤US${market.implied_test_purchase_price(facts):,.0f}/t"
    assert any("as reported" in c.value for c in at.caption)
    pp = _per_port(at)
    assert set(pp["port"]) == _seaports(use_toy_world)
    assert pp["occurrences"].sum() == int(occ["mapped"].astype(bool).sum())
    trace = next(d.value for d in at.dataframe if "crossing_closer_than_port" in d.value.columns)
    assert set(trace["id"]) == set(occ.loc[occ["commodity_group"] == "Sb", "id"])
    assert any("not evidence" in m.value for m in at.markdown)


def test_candidate_site_changes_per_port_table(use_toy_world):
    at = _context()
    before = _per_port(at)
    _candidate(at, *ON_COAST[0])
    assert not at.error, [e.value for e in at.error]
    after = _per_port(at)
    assert len(after) == len(before) + 1
    cand = after.iloc[-1]
    assert cand["port"] == "Candidate terminal"
    assert after["occurrences"].sum() == before["occurrences"].sum()
    assert cand["occurrences"] > 0
    # the candidate took occurrences from the existing ports
    assert (after["occurrences"].iloc[:-1].to_numpy() <= before["occurrences"].to_numpy()).all()
    assert any("off the road network" in i.value for i in at.info)
    assert any("nearest by road for" in i.value for i in at.info)
    # moving the candidate changes the table again
    _candidate(at, *ON_COAST[1])
    assert not at.error, [e.value for e in at.error]
    moved = _per_port(at)
    assert not moved.equals(after)


def test_candidate_outside_coast_is_a_message(use_toy_world):
    at = _context()
    x0, y0, x1, y1 = scenario.COASTAL_BAND
    _candidate(at, x1 + 1.0, y1 + 5.0)
    assert any("coastal band" in e.value for e in at.error)
    assert len(_per_port(at)) == len(_seaports(use_toy_world))


def test_inland_candidate_is_rejected_with_its_distance_to_the_coast(use_toy_world):
    coast = scenario.coastline(use_toy_world.catalog.layer("countries"))
    km = scenario.coast_distance_km(*INLAND, coast)
    assert km > scenario.MAX_COAST_KM
    at = _context()
    _candidate(at, *INLAND)
    assert any(f"{km:.0f} km from Pakistan's coastline" in e.value for e in at.error)
    assert len(_per_port(at)) == len(_seaports(use_toy_world))


def test_weights_toggle_adds_tonne_km(use_toy_world):
    occ = use_toy_world.catalog.occurrences
    at = _context()
    at.toggle(key="ctx_weights").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    pp = _per_port(at)
    assert "weighted_t_km" in pp.columns
    assert np.isfinite(pp["weighted_t_km"].to_numpy(float)).any()
    routed = occ[occ["mapped"].astype(bool)]
    no_tonnage = int(routed["ore_tonnage_t"].isna().sum())
    assert 0 < no_tonnage < len(routed)
    assert any(f"{no_tonnage} of {len(routed)} routed occurrence(s) have no ore" in i.value
               for i in at.info)


def test_context_smoke_on_real_data(use_real_cache):
    at = _context()
    assert at.title[0].value == "Market and logistics"
    assert "Test purchase, implied price per tonne" in [m.label for m in at.metric]
    pp = _per_port(at)
    assert len(pp) == len(SEAPORT_IDS) and pp["occurrences"].sum() > 0
    assert any(d for d in at.dataframe if "crossing_closer_than_port" in d.value.columns)
    assert len(at.get("deck_gl_json_chart")) >= 1


# ---------------------------------------------------------------------------- issue 14


def _context_link(query: dict[str, str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = v
    at.switch_page("pages/context.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _query(at: AppTest) -> dict[str, str]:
    return {k: at.query_params[k][-1] if isinstance(at.query_params[k], list)
            else at.query_params[k] for k in at.query_params}


def test_candidate_terminal_travels_in_the_link(use_toy_world):
    lon, lat = ON_COAST[0]
    at = _context()
    _candidate(at, lon, lat)
    at.text_input(key="ctx_cand_name").set_value("Sonmiani").run()
    q = _query(at)
    assert q["cand"] == f"{lon:g},{lat:g}" and q["cand_name"] == "Sonmiani"
    shared = _context_link(q)
    assert shared.checkbox(key="ctx_cand_on").value
    assert (shared.number_input(key="ctx_cand_lon").value,
            shared.number_input(key="ctx_cand_lat").value) == (lon, lat)
    assert _per_port(shared).iloc[-1]["port"] == "Sonmiani"
    assert _per_port(shared).equals(_per_port(at))
    # a minor-port site travels by name
    site = _context_link({"cand_site": "Pasni"})
    assert site.selectbox(key="ctx_cand_site").value == "Pasni"
    assert _query(site) == {"cand_site": "Pasni"}
    by_hand = _context()
    by_hand.checkbox(key="ctx_cand_on").check().run()
    by_hand.selectbox(key="ctx_cand_site").set_value("Pasni").run()
    assert _per_port(site).equals(_per_port(by_hand))
    assert [e.value for e in site.error] == [e.value for e in by_hand.error]
    # switching it off removes it from the link
    site.checkbox(key="ctx_cand_on").uncheck().run()
    assert not {"cand", "cand_site", "cand_name"} & set(_query(site))


def test_bad_candidate_link_is_noted_and_removed(use_toy_world):
    at = _context_link({"cand_site": "Atlantis", "cand_name": "X"})
    notes = " ".join(i.value for i in at.info)
    assert "Some link parameters were ignored" in notes and "Atlantis" in notes
    assert not at.checkbox(key="ctx_cand_on").value
    assert not {"cand_site", "cand_name"} & set(_query(at))


def test_typed_candidate_errors_say_what_is_wrong(use_toy_world):
    at = _context()
    at.checkbox(key="ctx_cand_on").check().run()
    assert any(c.value == "Enter both coordinates to add the candidate." for c in at.caption)
    _candidate(at, 250.0, 25.2)
    errors = " ".join(e.value for e in at.error)
    assert "Longitude 250 is not a longitude" in errors and "Enter both" not in errors
    lon, lat = ON_COAST[0]
    _candidate(at, lat, lon)  # typed the other way round
    errors = " ".join(e.value for e in at.error)
    assert "look swapped" in errors and f"did you mean longitude {lon:g}" in errors
    at.button(key="ctx_cand_swap").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert (at.number_input(key="ctx_cand_lon").value,
            at.number_input(key="ctx_cand_lat").value) == (lon, lat)
    assert _per_port(at).iloc[-1]["port"] == "Candidate terminal"
