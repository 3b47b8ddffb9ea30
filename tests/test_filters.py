"""FilterSpec: mask, sentence, query-parameter round trip, validation, widget options."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as hs

from mineralmap.errors import FilterError
from mineralmap.filters import (
    PARAM_KEYS,
    FilterSpec,
    apply,
    commodity_groups,
    districts_in,
    filter_options,
    ids_in,
    port_distance_basis,
)


def _ids(df: pd.DataFrame) -> list[str]:
    return sorted(df["id"])


def test_empty_spec_keeps_everything_and_says_all(enriched):
    spec = FilterSpec()
    assert spec.is_empty
    assert spec.mask(enriched).all()
    out, sentence = apply(enriched, spec)
    assert len(out) == len(enriched)
    assert sentence == f"All {len(enriched)} occurrences"
    assert list(out.columns) == list(enriched.columns)


def test_spec_is_hashable_and_lists_become_tuples():
    a = FilterSpec(provinces=["Balochistan"], commodities=["Sb"])
    b = FilterSpec(provinces=("Balochistan",), commodities=("Sb",))
    assert a == b and hash(a) == hash(b)
    assert isinstance(a.provinces, tuple)
    assert {a: 1}[b] == 1


def test_province_uses_geo_province_then_stated(enriched):
    # CU-003 is stated KP but lies in Balochistan: province_geo wins.
    kept = enriched[FilterSpec(provinces=("Balochistan",)).mask(enriched)]
    assert _ids(kept) == ["CU-003", "Sb-001", "Sb-004"]  # Sb-004 unmapped: stated province
    kp = enriched[FilterSpec(provinces=("khyber pakhtunkhwa",)).mask(enriched)]
    assert _ids(kp) == ["REE-002"]


def test_district_uses_geo_district(enriched):
    kept = enriched[FilterSpec(districts=("Bal South",)).mask(enriched)]
    assert _ids(kept) == ["CU-003", "Sb-001"]


def test_commodity_group_and_primary_code(enriched):
    assert _ids(enriched[FilterSpec(commodities=("Sb",)).mask(enriched)]) == ["Sb-001", "Sb-004"]
    assert _ids(enriched[FilterSpec(commodities=("REE",)).mask(enriched)]) == ["REE-002"]
    assert _ids(enriched[FilterSpec(commodities=("other",)).mask(enriched)]) == ["CU-003"]
    assert _ids(enriched[FilterSpec(commodities=("Cu",)).mask(enriched)]) == ["CU-003"]
    both = FilterSpec(commodities=("Sb", "REE")).mask(enriched)
    assert _ids(enriched[both]) == ["REE-002", "Sb-001", "Sb-004"]


def test_commodity_group_falls_back_to_primary_commodity(enriched):
    g = enriched.copy()
    g["commodity_group"] = np.nan  # enrichment unavailable
    assert commodity_groups(g).tolist() == ["Sb", "REE", "other", "Sb"]
    assert _ids(g[FilterSpec(commodities=("other",)).mask(g)]) == ["CU-003"]
    assert filter_options(g)["commodities"][:3] == ["Sb", "REE", "other"]


def test_status_precision_and_name(enriched):
    assert FilterSpec(statuses=("occurrence",)).mask(enriched).all()
    assert not FilterSpec(statuses=("mine",)).mask(enriched).any()
    prec = FilterSpec(precisions=("surveyed", "locality")).mask(enriched)
    assert _ids(enriched[prec]) == ["CU-003", "Sb-001"]
    name = FilterSpec(name_query="ANTIMONY").mask(enriched)
    assert _ids(enriched[name]) == ["Sb-001", "Sb-004"]
    # substring, not regex
    assert not FilterSpec(name_query="a.t").mask(enriched).any()


def test_port_distance_uses_road_haul_then_straight_line(enriched):
    # haul_road_km: 290, 380, 240; port_nearest_km: 235, 347, 182
    kept = enriched[FilterSpec(max_port_km=300).mask(enriched)]
    assert _ids(kept) == ["CU-003", "Sb-001"]
    g = enriched.copy()
    g.loc[g["id"] == "REE-002", "haul_road_km"] = np.nan  # falls back to 347 straight line
    assert _ids(g[FilterSpec(max_port_km=350).mask(g)]) == ["CU-003", "REE-002", "Sb-001"]
    assert port_distance_basis(g) == "mixed"
    assert port_distance_basis(enriched) == "road"
    assert port_distance_basis(g.drop(columns="haul_road_km")) == "straight"


def test_rail_and_primary_road_limits(enriched):
    # rail_km 190, 300, 134; road_primary_km 0, 290, 49
    assert _ids(enriched[FilterSpec(max_rail_km=190).mask(enriched)]) == ["CU-003", "Sb-001"]
    assert _ids(enriched[FilterSpec(max_road_km=10).mask(enriched)]) == ["Sb-001"]
    both = FilterSpec(max_rail_km=200, max_road_km=100)
    assert _ids(enriched[both.mask(enriched)]) == ["CU-003", "Sb-001"]


def test_unmapped_rows_never_satisfy_distance_filters(enriched):
    # even with an absurdly large limit
    m = FilterSpec(max_port_km=1e6, include_unmapped=True).mask(enriched)
    assert not m[enriched["id"] == "Sb-004"].any()
    assert m.sum() == 3


def test_include_unmapped_false_drops_unmapped(enriched):
    kept = enriched[FilterSpec(include_unmapped=False).mask(enriched)]
    assert "Sb-004" not in set(kept["id"])
    assert len(kept) == 3


def test_empty_result_keeps_columns(enriched):
    out, sentence = apply(enriched, FilterSpec(name_query="no such name"))
    assert len(out) == 0
    assert list(out.columns) == list(enriched.columns)
    assert sentence.startswith("0 occurrences")


def test_describe_sentence_matches_the_contract_example():
    spec = FilterSpec(provinces=("Balochistan",), commodities=("Sb",), max_port_km=400)
    assert spec.describe(12) == "12 Sb occurrences in Balochistan within 400 km of a seaport by road"
    assert spec.describe(1).startswith("1 Sb occurrence in")
    assert "in a straight line" in spec.describe(3, port_basis="straight")
    assert "straight line where no road route" in spec.describe(3, port_basis="mixed")


def test_describe_mentions_every_filter():
    spec = FilterSpec(
        provinces=("Balochistan", "Sindh"), districts=("Bal South",), commodities=("REE",),
        statuses=("deposit",), precisions=("surveyed",), max_rail_km=50, max_road_km=5,
        name_query="koh", include_unmapped=False,
    )
    s = spec.describe(2)
    for part in ("2 ", "surveyed", "deposit", "REE", "mapped", '"koh"', "Bal South district",
                 "Balochistan or Sindh", "50 km of a railway", "5 km of a primary road"):
        assert part in s, (part, s)


def test_apply_sentence_counts_rows(enriched):
    out, sentence = apply(enriched, FilterSpec(commodities=("Sb",), provinces=("Balochistan",)))
    assert len(out) == 2
    assert sentence == "2 Sb occurrences in Balochistan"


@pytest.mark.parametrize(
    "spec",
    [
        FilterSpec(),
        FilterSpec(provinces=("Balochistan", "Khyber Pakhtunkhwa"), commodities=("Sb", "REE")),
        FilterSpec(districts=("Bal South",), statuses=("mine", "deposit"), precisions=("district",)),
        FilterSpec(max_port_km=400, max_rail_km=12.5, max_road_km=0, name_query="Koh-i Sultan"),
        FilterSpec(include_unmapped=False),
    ],
)
def test_params_round_trip(spec):
    params = spec.to_params()
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in params.items())
    back, notes = FilterSpec.from_params(params)
    assert notes == []
    assert back == spec


def test_from_params_accepts_lists_and_ignored_keys():
    spec, notes = FilterSpec.from_params(
        {"province": ["Balochistan", "punjab"], "commodity": "Sb,REE", "view": "65,29,6"},
        ignore=("view",),
    )
    assert notes == []
    assert spec.provinces == ("Balochistan", "Punjab")
    assert spec.commodities == ("Sb", "REE")


def test_bad_params_are_ignored_with_notes():
    spec, notes = FilterSpec.from_params(
        {
            "province": "Balochistan,Atlantis",
            "precision": "exact",
            "max_port_km": "far",
            "max_rail_km": "-5",
            "unmapped": "maybe",
            "foo": "bar",
            "commodity": "Sb",
        }
    )
    assert spec == FilterSpec(provinces=("Balochistan",), commodities=("Sb",))
    text = " ".join(notes)
    assert len(notes) == 6
    for word in ("Atlantis", "exact", "max_port_km", "max_rail_km", "unmapped", "'foo'"):
        assert word in text


def test_invalid_distances_raise():
    with pytest.raises(FilterError, match="max_port_km"):
        FilterSpec(max_port_km=-1)
    with pytest.raises(FilterError, match="max_rail_km"):
        FilterSpec(max_rail_km="abc")  # type: ignore[arg-type]
    with pytest.raises(FilterError):
        FilterSpec(max_road_km=float("nan"))


def test_validate_lists_valid_names_and_canonicalises():
    spec = FilterSpec(provinces=("balochistan",), districts=("bal south",))
    ok = spec.validate(["Balochistan", "Sindh"], ["Bal South", "Bal North"])
    assert ok.provinces == ("Balochistan",) and ok.districts == ("Bal South",)
    with pytest.raises(FilterError) as err:
        FilterSpec(provinces=("Atlantis",)).validate(["Balochistan", "Sindh"], [])
    msg = str(err.value)
    assert "Atlantis" in msg and "Balochistan" in msg and "Sindh" in msg
    with pytest.raises(FilterError, match="Bal North"):
        FilterSpec(districts=("Nowhere",)).validate(["Balochistan"], ["Bal North"])


def test_filter_options(enriched):
    opts = filter_options(enriched)
    assert opts["provinces"] == ["Balochistan", "Khyber Pakhtunkhwa"]
    assert opts["commodities"][:3] == ["Sb", "REE", "other"]
    assert "Cu" in opts["commodities"]
    assert opts["statuses"] == ["occurrence"]
    assert opts["precisions"] == ["surveyed", "locality", "district"]
    assert opts["districts:Balochistan"] == ["Bal South"]
    assert opts["districts:Khyber Pakhtunkhwa"] == ["KP North"]
    assert districts_in(enriched, ["Khyber Pakhtunkhwa"]) == ["KP North"]
    assert districts_in(enriched) == ["Bal South", "KP North"]
    # empty table: same keys, empty lists
    empty = filter_options(enriched.iloc[:0])
    assert empty["provinces"] == [] and empty["commodities"] == []


def test_a_key_without_values_is_ignored():
    # ``?max_port_km`` with no value arrives as an empty list (it raised IndexError)
    for key in ("max_port_km", "unmapped", "q", "province"):
        spec, notes = FilterSpec.from_params({key: []})
        assert spec == FilterSpec() and notes == []
    spec, notes = FilterSpec.from_params({"max_port_km": [], "commodity": ["Sb"]})
    assert spec == FilterSpec(commodities=("Sb",)) and notes == []


@given(hs.dictionaries(
    hs.sampled_from([*PARAM_KEYS.values(), "bogus", ""]),
    hs.one_of(hs.text(max_size=12), hs.lists(hs.text(max_size=12), max_size=3)),
    max_size=6))
def test_from_params_never_raises_anything_but_a_spec(params):
    try:
        spec, notes = FilterSpec.from_params(params)
    except FilterError as exc:  # a project error with a message is an allowed outcome
        assert str(exc)
        return
    assert isinstance(spec, FilterSpec) and all(isinstance(n, str) and n for n in notes)


def test_ids_in_matches_series_isin_for_any_id_types():
    """Same answer as Series.isin (missing ids are never matched), whatever the ids' types."""
    values = pd.Series(["a", "b", None, "7", "c"], dtype="string[pyarrow]")
    for ids in (["b", "7"], pd.Series(["c", "zz"]), np.array([7, "a"], dtype=object), set(),
                ["None", "<NA>"]):
        got = ids_in(values, ids)
        want = (values.astype(str).isin([str(i) for i in ids]) & values.notna()).to_numpy(
            dtype=bool)
        assert got.dtype == bool and got.tolist() == want.tolist()
