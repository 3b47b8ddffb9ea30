"""AppTest of the Market & logistics page on the real data."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def _context() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.switch_page("pages/context.py")
    at.run()
    return at


def _per_port(at: AppTest):
    return next(d.value for d in at.dataframe if "total_haul_km" in d.value.columns)


def test_page_renders_cards_scenario_and_traceability(use_real_cache):
    at = _context()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Market and logistics"
    labels = [m.label for m in at.metric]
    assert "Antimony trioxide price, recent peak" in labels
    assert "Test purchase, implied price per tonne" in labels
    implied = next(m for m in at.metric if m.label == "Test purchase, implied price per tonne")
    assert implied.value == "≤US$20,000/t"
    assert any("as reported" in c.value for c in at.caption)
    pp = _per_port(at)
    assert list(pp["port"]) == ["Karachi", "Port Qasim", "Gwadar"]
    assert pp["occurrences"].sum() > 0
    trace = next(d.value for d in at.dataframe if "crossing_closer_than_port" in d.value.columns)
    assert len(trace) > 0
    assert any("not evidence" in m.value for m in at.markdown)


def test_candidate_site_changes_per_port_table(use_real_cache):
    at = _context()
    before = _per_port(at)
    at.checkbox(key="ctx_cand_on").check().run()
    # a site between Karachi and Port Qasim, a little inland
    at.number_input(key="ctx_cand_lon").set_value(67.2).run()
    at.number_input(key="ctx_cand_lat").set_value(24.9).run()
    assert not at.exception, [e.value for e in at.exception]
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
    at.number_input(key="ctx_cand_lon").set_value(66.6).run()
    at.number_input(key="ctx_cand_lat").set_value(25.45).run()
    assert not at.exception, [e.value for e in at.exception]
    moved = _per_port(at)
    assert not moved.equals(after)
    assert moved["occurrences"].iloc[-1] != cand["occurrences"]


def test_candidate_outside_coast_is_a_message(use_real_cache):
    at = _context()
    at.checkbox(key="ctx_cand_on").check().run()
    at.number_input(key="ctx_cand_lon").set_value(70.0).run()
    at.number_input(key="ctx_cand_lat").set_value(33.0).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("coastal band" in e.value for e in at.error)
    assert len(_per_port(at)) == 3


def test_inland_candidate_is_rejected_with_its_distance_to_the_coast(use_real_cache):
    at = _context()
    at.checkbox(key="ctx_cand_on").check().run()
    at.number_input(key="ctx_cand_lon").set_value(68.37).run()  # Hyderabad, Sindh: inland
    at.number_input(key="ctx_cand_lat").set_value(25.39).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("km from Pakistan's coastline" in e.value for e in at.error)
    assert len(_per_port(at)) == 3


def test_weights_toggle_adds_tonne_km(use_real_cache):
    at = _context()
    at.toggle(key="ctx_weights").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    pp = _per_port(at)
    assert "weighted_t_km" in pp.columns
    assert any("ore_tonnage_t" in i.value for i in at.info)
