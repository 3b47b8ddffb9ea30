"""Decks of the pages: layer order, ids the pages pick on, escaped legends."""

from __future__ import annotations

import json

import pandas as pd
from shapely.geometry import LineString, box

from mineralmap import layers, mapviews, picks, scenario
from mineralmap.viewport import SCENARIO_VIEW


def _ids(deck) -> list[str]:
    return [lyr["id"] for lyr in json.loads(deck.to_json())["layers"]]


def test_occurrence_deck_stacks_context_occurrences_extras(enriched, request):
    lyrs = request.getfixturevalue("layers")
    context = [layers.freeze(x) for x in layers.context_layers(lyrs, ["provinces"])]
    route = layers.route_layer(LineString([(65, 27), (66, 28)]), "Gwadar")
    deck = mapviews.occurrence_deck(context, enriched, extra=[None, route],
                                    view={"latitude": 29, "longitude": 66, "zoom": 6})
    ids = _ids(deck)
    occ_ids = [x.id for x in layers.occurrence_layers(enriched)]
    assert ids == [c.id for c in context] + occ_ids + ["route"]
    v = json.loads(deck.to_json())["initialViewState"]
    assert (v["latitude"], v["longitude"], v["zoom"]) == (29, 66, 6)


def test_region_deck_has_pickable_candidates_only_when_there_are_some(enriched):
    rows, cand = enriched.iloc[:1], enriched.iloc[1:3]
    deck = mapviews.region_deck([], box(64, 28, 67, 31), rows, cand, None)
    ids = _ids(deck)
    assert ids[0] == "region" and ids[1] == picks.CANDIDATE_LAYER
    data = json.loads(deck.to_json())["layers"][1]["data"]
    assert [d["id"] for d in data] == list(cand["id"])
    assert all("Add to selection" in d["t"] for d in data)
    assert picks.CANDIDATE_LAYER not in _ids(mapviews.region_deck([], None, rows, cand.iloc[0:0], None))


def test_scenario_deck_and_terminal_colours(enriched):
    terms = pd.DataFrame({"port": ["Gwadar", "New <b>port</b>"],
                          "port_id": ["gwadar", scenario.CANDIDATE_ID], "lon": [65.0, 64.0],
                          "lat": [26.9, 25.2], "candidate": [False, True]})
    res = scenario.ScenarioResult(per_occurrence=pd.DataFrame({"id": ["Sb-001"]}),
                                  per_port=pd.DataFrame(), notes=[], terminals=terms)
    deck = mapviews.scenario_deck([], res, [("Gwadar", LineString([(65.6, 29), (65, 26.9)]))],
                                  enriched)
    js = json.loads(deck.to_json())
    ids = [lyr["id"] for lyr in js["layers"]]
    assert ids[0] == "routes" and ids[-1] == "terminals"
    assert js["initialViewState"]["zoom"] == SCENARIO_VIEW["zoom"]
    marks = js["layers"][-1]["data"]
    assert marks[1]["c"] == mapviews.TERMINAL_COLORS[scenario.CANDIDATE_ID]
    assert mapviews.terminal_color("elsewhere") == mapviews.OTHER_TERMINAL_COLOR
    legend = mapviews.terminal_legend_html(terms)
    assert "<b>" not in legend and "&lt;b&gt;" in legend
    assert legend.startswith("Routes to: ") and legend.count("<span") == 2


def test_legend_html_lists_every_entry_escaped():
    html = mapviews.legend_html(("roads",))
    for e in layers.legend_entries(("roads",)):
        assert e["label"].replace("&", "&amp;") in html
    assert html.count("white-space:nowrap") == len(layers.legend_entries(("roads",)))


def test_compact_legend_draws_lines_as_lines_and_only_visible_layers():
    html_ = mapviews.compact_legend_html(["railways"], "light")
    assert "<line" in html_ and "Railway, active" in html_
    assert "Province boundaries" not in html_ and "Seaport" not in html_
    with_ports = mapviews.compact_legend_html(["ports", "provinces"], "light")
    assert "Seaport" in with_ports and "Province boundaries" in with_ports
    # the dark basemap: dark background and the dark palette's railway colour
    dark = mapviews.compact_legend_html(["railways"], "dark")
    rail = layers.hex_color(layers.DARK_PALETTE[tuple(layers._RAIL_ACTIVE[0])])
    assert "#262626" in dark and rail in dark
    # three short lines at most: commodity, location, layers
    assert with_ports.count("<b>") == 3 and mapviews.compact_legend_html([]).count("<b>") == 2
    # the old legend also draws lines as lines now
    assert "border-top:3px solid" in mapviews.legend_html(["railways"])


def test_route_goes_under_the_markers(enriched):
    route = layers.route_layer(LineString([(65.6, 29.0), (65.0, 26.9)]), "Gwadar")
    spec = json.loads(mapviews.occurrence_deck([], enriched, under=[route, None]).to_json())
    ids = [lyr["id"] for lyr in spec["layers"]]
    assert ids.index("route") < ids.index("occurrences")  # a click on the marker reaches it
