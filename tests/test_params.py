"""URL query parameters: what a shared link asks for is validated, never trusted."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as hs

from mineralmap import filters, params
from mineralmap.filters import FilterSpec
from mineralmap.layers import BASEMAPS, CONTEXT_LAYER_LABELS
from mineralmap.summary import md_escape
from tests._mdcheck import unescaped


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


# ---------------------------------------------------------------------------- issue 14: links


def test_a_district_of_another_province_is_reported_not_dropped_silently(enriched):
    opts = _options(enriched)
    p0, p1 = opts["provinces"][:2]
    d1 = params.district_choices(opts, [p1])[0]
    d0 = params.district_choices(opts, [p0])[0]
    spec, notes = params.filter_from_params({"province": [p0], "district": [f"{d0},{d1}"]}, opts)
    assert spec.provinces == (p0,) and spec.districts == (d0,)
    assert len(notes) == 1 and d1 in notes[0] and p0 in notes[0] and "not in" in notes[0]
    # without a province every district is offered: nothing to report
    spec, notes = params.filter_from_params({"district": [d1]}, opts)
    assert spec.districts == (d1,) and notes == []


def test_value_helpers():
    assert params.first_value({"a": ["1", "2"]}, "a") == "2"
    assert params.first_value({"a": "x"}, "a") == "x"
    assert params.first_value({"a": ["", ""]}, "a") is None
    assert params.first_value({}, "a") is None
    assert params.split_list(" a, b,,a ,c") == ["a", "b", "c"]
    assert params.parse_floats("66, 28,70,32", 4) == (66.0, 28.0, 70.0, 32.0)
    for bad in ("66,28,70", "66,28,70,x", "66,28,70,nan", None, ""):
        assert params.parse_floats(bad, 4) is None, bad
    assert [params.fmt_number(v) for v in (66.0, 66.25, -0.0, 1e-9, 64.123456789)] == [
        "66", "66.25", "0", "0", "64.123457"]


def test_param_updates_touch_only_owned_keys():
    current = {"rbox": ["1,2,3,4"], "rprov": ["A"], "province": ["Sindh"], "cand": ["1,2"]}
    delete, put = params.param_updates(current, params.REGION_PARAMS, {"rprov": "A",
                                                                        "rdist": "B"})
    assert delete == ["rbox"] and put == {"rdist": "B"}


def test_unknown_page_note():
    known = ["", "explore", "region_export", "context"]
    assert params.unknown_page_note("http://h:1/", known) is None
    assert params.unknown_page_note("http://h:1/context", known) is None
    assert params.unknown_page_note(None, known) is None
    note = params.unknown_page_note("http://h:1/nosuch", known)
    assert note and "'nosuch'" in note and "region_export" in note
    assert params.unknown_page_note("http://h/app/", known, base_path="app") is None
    assert params.unknown_page_note("http://h/app/context", known, base_path="/app/") is None
    assert params.unknown_page_note("http://h/app/x%20y", known, base_path="app")


@given(hs.text(max_size=80))
def test_any_url_gives_an_escaped_note_or_none(path):
    for url in (path, f"http://h:1/{path}", f"http://h:1/{path}?x=1#y"):
        note = params.unknown_page_note(url, ["", "explore"])
        assert note is None or isinstance(note, str)
        if note:
            assert not unescaped(md_escape(note))
