"""URL query parameters: what a shared link asks for is validated, never trusted."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as hs

from mineralmap import filters, params
from mineralmap.filters import FilterSpec
from mineralmap.layers import BASEMAPS, CONTEXT_LAYER_LABELS


def _options(enriched) -> dict[str, list[str]]:
    return filters.filter_options(enriched)


def test_filter_from_params_keeps_offered_values_and_notes_the_rest(enriched):
    opts = _options(enriched)
    province = opts["provinces"][0]
    spec, notes = params.filter_from_params(
        {"province": [province], "status": ["occurrence,invented"], "max_port_km": ["300"],
         "layers": ["roads"], "sel": ["X"]}, opts)
    assert spec.provinces == (province,)
    assert spec.statuses == ("occurrence",)
    assert spec.max_port_km == 300.0
    assert notes == ["ignored unknown statuses: invented"]  # page params are not notes


def test_filter_from_params_reports_unknown_keys_and_bad_numbers(enriched):
    spec, notes = params.filter_from_params({"bogus": ["1"], "max_port_km": ["far"]},
                                            _options(enriched))
    assert spec == FilterSpec()
    text = " ".join(notes)
    assert "bogus" in text and "max_port_km" in text


def test_district_choices_follow_the_provinces(enriched):
    opts = _options(enriched)
    assert params.district_choices(opts, []) == opts["districts"]
    for p in opts["provinces"]:
        got = params.district_choices(opts, [p])
        expected = set(enriched.loc[enriched["province_geo"] == p, "district_geo"].dropna())
        assert set(got) == expected
    assert params.district_choices(opts, ["Nowhere"]) == []


def test_filter_param_updates_state_the_spec_and_keep_page_params():
    spec = FilterSpec(provinces=("Balochistan",), max_rail_km=50)
    current = {"province": ["Sindh"], "commodity": ["Sb"], "layers": ["roads"], "sel": ["A"]}
    delete, put = params.filter_param_updates(current, spec)
    assert sorted(delete) == ["commodity"]
    assert put == {"province": "Balochistan", "max_rail_km": "50"}
    # nothing to do when the URL already states the spec
    url = {k: [v] for k, v in spec.to_params().items()} | {"layers": ["roads"]}
    assert params.filter_param_updates(url, spec) == ([], {})


def test_layers_basemap_view_and_selection():
    known = CONTEXT_LAYER_LABELS
    assert params.parse_layers(None, known, ("provinces",)) == (["provinces"], [])
    assert params.parse_layers("roads,atlantis,,ports", known, ()) == (
        ["roads", "ports"], ["ignored unknown layers: atlantis"])
    assert params.parse_layers("", known, ("provinces",)) == ([], [])
    assert params.parse_basemap(None) == ("light", [])
    assert params.parse_basemap("dark") == ("dark", [])
    base, notes = params.parse_basemap("neon")
    assert base == "light" and "neon" in notes[0] and all(b in notes[0] for b in BASEMAPS)
    assert params.parse_view("30.5,69,6") == ({"latitude": 30.5, "longitude": 69.0, "zoom": 6.0}, [])
    for bad in ("x,y", "1,2", "95,0,5", "30,200,5", "30,69,25", "nan,69,5", "30,69,inf"):
        view, notes = params.parse_view(bad)
        assert view is None and "view" in notes[0], bad
    assert params.parse_view(None) == (None, [])
    assert params.parse_selected("A", {"A", "B"}) == ("A", [])
    assert params.parse_selected("Z", {"A"}) == (None, ["ignored unknown occurrence id 'Z'"])
    assert params.parse_selected(None, {"A"}) == (None, [])


_text = hs.text(max_size=30)
_values = hs.one_of(_text, hs.lists(_text, max_size=3))
_keys = hs.sampled_from([*filters.PARAM_KEYS.values(), *params.PAGE_PARAMS, "bogus", ""])


@given(hs.dictionaries(hs.one_of(_keys, _text), _values, max_size=6))
def test_any_query_string_gives_a_spec_within_the_options(raw):
    opts = {"provinces": ["Balochistan", "Sindh"], "districts": ["Quetta"],
            "commodities": ["Sb", "REE"], "statuses": ["occurrence"],
            "precisions": ["surveyed", "district"]}
    spec, notes = params.filter_from_params(raw, opts)
    for field in params.CHOICE_FIELDS:
        assert set(getattr(spec, field)) <= set(opts[field])
    assert all(isinstance(n, str) and n for n in notes)
    delete, put = params.filter_param_updates({k: [v] if isinstance(v, str) else v
                                               for k, v in raw.items()}, spec)
    assert not set(delete) & params.PAGE_PARAMS
    assert set(put) <= set(spec.to_params())


@given(_text)
def test_any_view_layers_basemap_text_is_handled(raw):
    view, notes = params.parse_view(raw)
    assert (view is None) or (not notes and 0 <= view["zoom"] <= params.MAX_ZOOM)
    visible, _ = params.parse_layers(raw, CONTEXT_LAYER_LABELS, ())
    assert set(visible) <= set(CONTEXT_LAYER_LABELS)
    assert params.parse_basemap(raw)[0] in BASEMAPS
