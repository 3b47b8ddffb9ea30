"""Place search over our own layers: what is indexed, how matches rank, where the map goes, and
that any query text is safe (never raises; labels escaped for Markdown)."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as hs

from mineralmap import search
from mineralmap.summary import md_escape
from mineralmap.viewport import MAX_FIT_ZOOM, MIN_FIT_ZOOM

_MD_CHARS = "[]<>*`$#|!{}"  # what md_escape escapes (parentheses alone make no link)


def _index(enriched, layers):
    return search.places(enriched, layers)


def test_index_holds_every_kind_from_the_layers(enriched, layers):
    idx = _index(enriched, layers)
    by_kind = {k: [p for p in idx if p.kind == k] for k in search.KINDS}
    mapped = enriched[enriched["lon"].notna() & enriched["lat"].notna()]
    assert {p.ref for p in by_kind["occurrence"]} == set(mapped["id"])
    assert {p.name for p in by_kind["town"]} == set(layers["towns"]["name"])
    assert {p.name for p in by_kind["district"]} == set(layers["districts"]["district"])
    assert {p.name for p in by_kind["port"]} == set(layers["ports"]["name"])
    assert {p.name for p in by_kind["crossing"]} == set(layers["border_crossings"]["name"])
    # a district carries its outline's bounds, and its point lies inside it
    for p in by_kind["district"]:
        w, s, e, n = p.bounds
        assert w <= p.lon <= e and s <= p.lat <= n


def test_exact_name_first_case_and_punctuation_ignored(enriched, layers):
    idx = _index(enriched, layers)
    town = layers["towns"].iloc[0]
    for query in (town["name"], town["name"].upper(), f"  {town['name'].lower()}!! "):
        hits = search.find(idx, query)
        assert hits and hits[0].kind == "town" and hits[0].name == town["name"]
    occ = enriched.iloc[0]
    words = occ["name"].split()
    hits = search.find(idx, "-".join(w[:3] for w in words))  # word prefixes joined by '-'
    assert hits and hits[0].ref == occ["id"]


def test_ties_rank_by_kind_then_population(enriched, layers):
    idx = _index(enriched, layers)
    # every toy district is named "<province> <south|north>": a shared word matches them all
    word = layers["districts"]["district"].iloc[0].split()[-1]
    hits = search.find(idx, word, limit=50)
    expected = {d for d in layers["districts"]["district"] if word in d.split()}
    assert {p.name for p in hits if p.kind == "district"} == expected
    towns = layers["towns"].sort_values("population", ascending=False)
    assert [p.name for p in search.find(idx, "a", limit=50) if p.kind == "town"][:2] == [
        n for n in towns["name"] if "a" in n.lower()][:2]


def test_no_match_and_blank_query(enriched, layers):
    idx = _index(enriched, layers)
    assert search.find(idx, "zzzz-not-a-place") == []
    assert search.find(idx, "   ") == [] and search.find(idx, "") == []
    assert len(search.find(idx, "a", limit=2)) <= 2


def test_view_for_point_and_district(enriched, layers):
    idx = _index(enriched, layers)
    town = next(p for p in idx if p.kind == "town")
    v = search.view_for(town)
    assert (v["longitude"], v["latitude"]) == (town.lon, town.lat)
    assert MIN_FIT_ZOOM <= v["zoom"] <= MAX_FIT_ZOOM
    district = next(p for p in idx if p.kind == "district")
    v = search.view_for(district)
    w, s, e, n = district.bounds
    assert math.isclose(v["longitude"], (w + e) / 2) and math.isclose(v["latitude"], (s + n) / 2)
    assert v["zoom"] < search.view_for(town)["zoom"]  # a district is wider than a town


@given(hs.text(max_size=300))
def test_any_query_never_raises(query):
    idx = [search.Place("town", "Alpha", 65.5, 29.0, key="alpha"),
           search.Place("occurrence", "Beta [x](https://e.x)", 66.0, 29.0, ref="B-1",
                        key=search.normalise("Beta [x](https://e.x)"))]
    hits = search.find(idx, query)
    assert len(hits) <= 8 and all(isinstance(h, search.Place) for h in hits)
    assert search.normalise(query) == search.normalise(search.normalise(query))


@given(hs.text(min_size=1, max_size=80), hs.text(max_size=30))
def test_labels_escaped_for_markdown(name, context):
    place = search.Place("occurrence", name, 66.0, 29.0, context=context, ref="X-1",
                         key=search.normalise(name))
    md = search.label_markdown(place)
    assert md == md_escape(search.label(place))
    for ch in _MD_CHARS:  # every Markdown/HTML control character is escaped
        assert md.count(ch) == md.count("\\" + ch)
    assert "\n" not in md
