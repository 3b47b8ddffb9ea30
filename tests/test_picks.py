"""Map picks: clicked ids from selection events, add/remove lists, candidates, the map key."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as hs
from shapely.geometry import box

from mineralmap import filters, layers, picks
from mineralmap.filters import FilterSpec


def _event(objects=None, indices=None):
    return SimpleNamespace(selection=SimpleNamespace(objects=objects or {}, indices=indices or {}))


def test_apply_picks_lists():
    state = picks.empty_picks()
    assert picks.apply_picks(state, ["A", "B", "A"], "add")
    assert state == {"add": ["A", "B"], "remove": []}
    assert not picks.apply_picks(state, ["A"], "add")
    assert picks.apply_picks(state, ["B", "C"], "remove")
    assert state == {"add": ["A"], "remove": ["B", "C"]}
    with pytest.raises(ValueError, match="add"):
        picks.apply_picks(state, ["A"], "toggle")


@given(hs.lists(hs.tuples(hs.lists(hs.sampled_from("ABCDE"), max_size=4),
                          hs.sampled_from(picks.PICK_MODES)), max_size=8))
def test_an_id_is_never_both_added_and_removed(steps):
    state = picks.empty_picks()
    for ids, mode in steps:
        picks.apply_picks(state, ids, mode)
        assert not set(state["add"]) & set(state["remove"])
        assert len(state["add"]) == len(set(state["add"]))
        assert set(ids) <= set(state[mode])


def test_clicked_ids_from_objects_and_from_indices(enriched):
    mapped = enriched[enriched["mapped"]]
    ev = _event({"occurrences": [{"id": "Sb-001"}, {"no": "id"}, "junk"]})
    assert picks.clicked_ids(ev, mapped) == ["Sb-001"]
    # compact layers carry no ids: indices map back through the occurrence view
    view_ids = layers.occurrence_view(mapped).ids
    ev = _event({"occurrences": [{}]}, {"occurrences": [1, 99, -1]})
    assert picks.clicked_ids(ev, mapped) == [str(view_ids[1])]
    assert picks.clicked_ids(None, mapped) == []
    assert picks.clicked_ids(SimpleNamespace(), mapped) == []
    assert picks.clicked_ids(_event(), mapped) == []


def test_picked_ids_merge_both_layers_once(enriched):
    ev = _event({"occurrences": [{"id": "Sb-001"}],
                 picks.CANDIDATE_LAYER: [{"id": "REE-002"}, {"id": "Sb-001"}]})
    assert picks.picked_ids(ev, enriched) == ["Sb-001", "REE-002"]


def test_is_new_click():
    assert picks.is_new_click(["A"], None, None)
    assert not picks.is_new_click([], None, None)
    assert not picks.is_new_click(["A"], ["A"], None)  # the chart repeats its last pick
    assert not picks.is_new_click(["A"], [], "A")  # already selected
    assert picks.is_new_click(["B"], ["A"], "A")


def test_candidates_pass_the_filter_are_mapped_and_not_selected(enriched):
    spec = FilterSpec(provinces=("Balochistan",))
    filtered, _ = filters.apply(enriched, spec)
    selected = [str(filtered["id"].iloc[0])]
    cand = picks.candidates(enriched, spec, selected)
    expected = set(filtered.loc[filtered["lon"].notna(), "id"]) - set(selected)
    assert set(cand["id"]) == expected
    assert cand["lon"].notna().all()


def test_names_and_map_key(enriched):
    names = picks.id_names(enriched)
    assert names["Sb-001"] == "Alpha antimony"
    assert picks.names_text(["Sb-001", "nope"], names) == "Alpha antimony (Sb-001), ? (nope)"
    k = picks.map_key(["a", "b"], ["c"], None)
    assert k.startswith("region_map_") and k == picks.map_key(["b", "a"], ["c"], None)
    assert k != picks.map_key(["a"], ["b", "c"], None)
    assert k != picks.map_key(["a", "b"], ["c"], box(66, 28, 67, 29))


def test_stack_members_lists_rows_at_one_point():
    occ = pd.DataFrame({"id": ["a", "b", "c", "d"], "name": list("ABCD"),
                        "lon": [72.2266, 72.2266, 70.0, 72.2266],
                        "lat": [36.2263, 36.2263, 30.0, 36.2263]})
    assert picks.stack_members(occ, "b") == ["a", "b", "d"]
    assert picks.stack_members(occ, "c") == ["c"]  # alone at its point
    assert picks.stack_members(occ, "zz") == [] and picks.stack_members(occ, None) == []
