"""Tests of mineralmap.layers: deck JSON snapshot-style assertions (like pydeck's own tests).

Every test parses ``json.loads(deck.to_json())`` (what ``st.pydeck_chart`` sends) and checks
layer ids/types, payload keys, rounding, styling and sizes.
"""

from __future__ import annotations

import functools
import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, MultiLineString, MultiPolygon, box

from mineralmap import filters
from mineralmap import layers as ml
from mineralmap.errors import ValidationError
from mineralmap.schema import COMMODITY_GROUPS, CRS, PRECISION_CLASSES


def deck_json(layers, basemap: str = "none", view=None) -> dict:
    return json.loads(ml.make_deck(layers, view=view, basemap=basemap).to_json())


def layer_by_id(spec: dict, layer_id: str) -> dict:
    found = [lyr for lyr in spec["layers"] if lyr["id"] == layer_id]
    assert len(found) == 1, f"expected one layer {layer_id!r}, got {[x['id'] for x in spec['layers']]}"
    return found[0]


_COND = re.compile(r"(\w+)==(\d+)\?(\[[^\]]*\]|[-\d.]+):")


def eval_lookup(expr: str, value: int):
    """Evaluate our ``@@=s==0?a:s==1?b:…:z`` accessor expressions for one record."""
    assert expr.startswith("@@=")
    body = expr[3:]
    pos = 0
    while True:
        m = _COND.match(body, pos)
        if not m:
            return json.loads(body[pos:])
        if int(m.group(2)) == value:
            return json.loads(m.group(3))
        pos = m.end()


def synthetic(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    prec = rng.choice(list(PRECISION_CLASSES), n)
    return pd.DataFrame({
        "id": [f"SYN-{i}" for i in range(n)],
        "name": [f"Synthetic prospect {i}" for i in range(n)],
        "commodity": rng.choice(["Sb", "REE", "Cu"], n),
        "commodity_group": rng.choice(list(COMMODITY_GROUPS), n),
        "status": "occurrence",
        "precision": prec,
        "precision_km": np.where(prec == "district", 40.0, 5.0),
        "lon": rng.uniform(61.0, 77.0, n),
        "lat": rng.uniform(24.0, 37.0, n),
        "port_nearest": "Karachi", "port_nearest_km": rng.uniform(10, 1000, n),
        "haul_road_port": "Karachi", "haul_road_km": rng.uniform(10, 1300, n),
    })


# ---------------------------------------------------------------------------------------------
# occurrences
# ---------------------------------------------------------------------------------------------


def test_occurrence_layer_ids_types_and_unmapped_rows_skipped(enriched):
    view = ml.occurrence_view(enriched)
    assert (view.mapped, view.unmapped) == (3, 1)
    spec = deck_json(view.layers)
    assert [lyr["id"] for lyr in spec["layers"]] == ["occ-uncertainty", "occurrences"]
    assert all(lyr["@@type"] == "ScatterplotLayer" for lyr in spec["layers"])
    markers = layer_by_id(spec, "occurrences")
    # pickable without auto_highlight (a hover must not redraw the scene: see _marker_layer)
    assert markers["pickable"] is True and markers["autoHighlight"] is False
    assert [r["id"] for r in markers["data"]] == ["Sb-001", "REE-002", "CU-003"]
    assert list(view.ids) == ["Sb-001", "REE-002", "CU-003"]
    assert "Sb-004" not in json.dumps(spec)
    # ids are stable strings: building twice gives the same JSON
    assert ml.make_deck(ml.occurrence_layers(enriched), basemap="none").to_json() == \
        ml.make_deck(ml.occurrence_layers(enriched), basemap="none").to_json()


def test_occurrence_payload_has_only_needed_keys(enriched):
    spec = deck_json(ml.occurrence_layers(enriched))
    markers = layer_by_id(spec, "occurrences")
    assert all(set(r) == {"p", "s", "id", "t"} for r in markers["data"])
    unc = layer_by_id(spec, "occ-uncertainty")
    assert all(set(r) == {"p", "g", "r"} for r in unc["data"])
    # none of the other enriched columns travel
    blob = json.dumps(spec)
    for col in ("source_url", "geocode_note", "rail_km", "admin_mismatch", "tehsil_geo"):
        assert col not in blob


def test_coordinates_rounded_to_5_decimals(enriched):
    occ = enriched.copy()
    occ["lon"] = occ["lon"] + 0.123456789
    occ["lat"] = occ["lat"] + 0.000004999
    spec = deck_json(ml.occurrence_layers(occ))
    p = layer_by_id(spec, "occurrences")["data"][0]["p"]
    assert p == [round(65.6 + 0.123456789, 5), round(29.0 + 0.000004999, 5)]
    assert p == [65.72346, 29.0]


def test_colours_per_commodity_group_and_precision_styles(enriched):
    spec = deck_json(ml.occurrence_layers(enriched))
    m = layer_by_id(spec, "occurrences")
    by_id = {r["id"]: r for r in m["data"]}
    # Sb-001: Sb, surveyed -> filled with the Sb colour, dark strong outline
    s = by_id["Sb-001"]["s"]
    assert eval_lookup(m["getFillColor"], s) == ml.COMMODITY_COLORS["Sb"]
    assert eval_lookup(m["getLineColor"], s) == ml.PRECISION_STYLES["surveyed"]["outline"]
    assert eval_lookup(m["getLineWidth"], s) >= 2
    # REE-002: REE, district -> small hollow ring in the REE colour
    s = by_id["REE-002"]["s"]
    assert eval_lookup(m["getFillColor"], s)[3] == 0
    assert eval_lookup(m["getLineColor"], s) == ml.COMMODITY_COLORS["REE"]
    assert eval_lookup(m["getRadius"], s) < eval_lookup(m["getRadius"], by_id["Sb-001"]["s"])
    # CU-003: other, locality -> filled in the "other" colour
    s = by_id["CU-003"]["s"]
    assert eval_lookup(m["getFillColor"], s) == ml.COMMODITY_COLORS["other"]
    assert m["radiusUnits"] == "pixels" and m["lineWidthUnits"] == "pixels"
    # every (group, class) combination has a distinct (fill, line, radius, width) style per class
    styles = {
        cls: tuple(json.dumps(eval_lookup(m[k], g * 4 + i)) for k in
                   ("getFillColor", "getLineColor", "getRadius", "getLineWidth"))
        for g in range(3) for i, cls in enumerate(PRECISION_CLASSES) if g == 0
    }
    assert len(set(styles.values())) == len(PRECISION_CLASSES)
    # approximate is a hollow ring
    assert eval_lookup(m["getFillColor"], PRECISION_CLASSES.index("approximate"))[3] == 0


def test_uncertainty_radius_is_precision_km_in_metres(enriched):
    spec = deck_json(ml.occurrence_layers(enriched))
    unc = layer_by_id(spec, "occ-uncertainty")
    assert unc["radiusUnits"] == "meters" and unc["getRadius"] == "@@=r*1000"
    assert [r["r"] for r in unc["data"]] == [0.5, 40.0, 5.0]
    assert unc["pickable"] is False
    # the circle fill is translucent, in the commodity colour
    fill = eval_lookup(unc["getFillColor"], unc["data"][0]["g"])
    assert fill[:3] == ml.COMMODITY_COLORS["Sb"][:3] and fill[3] < 80


def test_tooltip_fields_precomputed(enriched):
    spec = deck_json(ml.occurrence_layers(enriched))
    tip = layer_by_id(spec, "occurrences")["data"][0]["t"]
    assert tip.splitlines()[0] == "Alpha antimony"
    for part in ("Sb", "occurrence", "surveyed", "±0.5 km", "Gwadar 235 km", "Gwadar 290 km"):
        assert part in tip
    deck = ml.make_deck(ml.occurrence_layers(enriched), basemap="none")
    assert "{t}" in deck._tooltip["html"]


def test_missing_coordinates_columns_is_a_validation_error(enriched):
    with pytest.raises(ValidationError, match="lon"):
        ml.occurrence_layers(enriched.drop(columns=["lon"]))


def test_compact_payload_at_5000_points_is_at_most_40_bytes_per_point():
    occ = synthetic(5_000)
    view = ml.occurrence_view(occ)
    assert view.compact and not view.aggregated
    marker = next(lyr for lyr in view.layers if lyr.id == "occurrences")
    per_point = ml.payload_bytes(marker) / 5_000
    assert per_point <= 40, per_point
    spec = deck_json(view.layers)
    data = layer_by_id(spec, "occurrences")["data"]
    assert len(data) == 5_000 and all(set(r) == {"p", "s", "t"} for r in data[:50])
    # selection index i maps to view.ids[i]
    assert view.ids[17] == "SYN-17"
    # payload_bytes measures exactly what the deck JSON carries for that layer
    full = ml.make_deck([marker], basemap="none").to_json()
    assert ml.payload_bytes(marker) < len(full.encode()) < ml.payload_bytes(marker) + 600


def test_aggregation_above_threshold():
    n = ml.AGGREGATE_THRESHOLD + 1
    occ = synthetic(n, seed=3)
    occ.loc[0, ["lon", "lat"]] = np.nan  # one unmapped row
    occ = pd.concat([occ, synthetic(1, seed=4)], ignore_index=True)  # still > threshold mapped
    view = ml.occurrence_view(occ)
    assert view.aggregated and view.note and f"{view.mapped:,}" in view.note
    spec = deck_json(view.layers)
    assert [lyr["id"] for lyr in spec["layers"]] == ["occ-aggregate"]
    cells = spec["layers"][0]["data"]
    assert sum(c["n"] for c in cells) == view.mapped == n
    assert len(cells) < view.mapped / 5
    assert all(set(c) == {"p", "n", "r", "g", "t"} for c in cells)
    # the deck carries far fewer bytes than even the compact point layers would
    agg_bytes = len(ml.make_deck(view.layers, basemap="none").to_json().encode())
    points = ml.occurrence_view(occ, threshold=len(occ) + 1)
    assert agg_bytes < sum(ml.payload_bytes(lyr) for lyr in points.layers) / 3
    # below the threshold (explicit), points again
    small = ml.occurrence_view(occ.iloc[:100])
    assert not small.aggregated and [lyr.id for lyr in small.layers][-1] == "occurrences"


def test_aggregate_cells_count_and_colour_by_dominant_group():
    occ = pd.DataFrame({
        "lon": [65.01, 65.02, 65.03, 70.01], "lat": [29.01, 29.02, 29.03, 33.01],
        "commodity_group": ["REE", "REE", "Sb", "Sb"],
    })
    view = ml.occurrence_view(occ, threshold=2, cell_deg=0.25)
    cells = sorted(deck_json(view.layers)["layers"][0]["data"], key=lambda c: -c["n"])
    assert [c["n"] for c in cells] == [3, 1]
    layer = deck_json(view.layers)["layers"][0]
    assert eval_lookup(layer["getFillColor"], cells[0]["g"])[:3] == ml.COMMODITY_COLORS["REE"][:3]
    assert eval_lookup(layer["getFillColor"], cells[1]["g"])[:3] == ml.COMMODITY_COLORS["Sb"][:3]
    assert "REE 2" in cells[0]["t"] and "Sb 1" in cells[0]["t"]


def test_empty_inputs_give_valid_empty_layers(enriched, layers):
    spec = deck_json(ml.occurrence_layers(enriched.iloc[0:0]))
    assert [lyr["id"] for lyr in spec["layers"]] == ["occ-uncertainty", "occurrences"]
    assert all(lyr["data"] == [] for lyr in spec["layers"])
    only_unmapped = ml.occurrence_view(enriched.iloc[3:4])
    assert (only_unmapped.mapped, only_unmapped.unmapped) == (0, 1)
    empty_ports = layers["ports"].iloc[0:0]
    assert ml.static_layer_payload("ports", empty_ports) == []
    spec = deck_json(ml.context_layers({"ports": empty_ports}, ["ports"]))
    assert layer_by_id(spec, "ports")["data"] == []
    assert ml.route_layer(None, "Karachi") is None
    assert ml.route_layer(LineString(), "Karachi") is None
    assert deck_json([ml.routes_layer([])])["layers"][0]["data"] == []
    region = deck_json([ml.region_layer(None)])["layers"][0]
    assert region["id"] == "region" and region["data"]["features"] == []
    assert deck_json([])["layers"] == []


# ---------------------------------------------------------------------------------------------
# context layers
# ---------------------------------------------------------------------------------------------


def test_context_layer_ids_and_labels():
    assert set(ml.CONTEXT_LAYER_IDS) == {
        "provinces", "districts", "roads", "railways", "rail_stations", "ports", "airports",
        "towns", "border_crossings", "dry_ports", "power_plants"}
    assert list(ml.CONTEXT_LAYER_IDS) == list(ml.CONTEXT_LAYER_LABELS)
    assert all(ml.CONTEXT_LAYER_LABELS[k] for k in ml.CONTEXT_LAYER_IDS)


def test_context_layers_only_when_visible(layers):
    assert ml.context_layers(layers, []) == []
    spec = deck_json(ml.context_layers(layers, ["ports", "railways"]))
    assert sorted(lyr["id"] for lyr in spec["layers"]) == ["ports", "railways"]
    every = deck_json(ml.context_layers(layers, ml.CONTEXT_LAYER_IDS))
    ids = [lyr["id"] for lyr in every["layers"]]
    assert sorted(ids) == sorted(ml.CONTEXT_LAYER_IDS)
    # boundaries are drawn first (below), ports last (on top)
    assert ids.index("districts") < ids.index("roads") < ids.index("ports")
    # a name whose layer is missing is skipped, an unknown name is an error
    assert ml.context_layers({}, ["ports"]) == []
    with pytest.raises(ValidationError, match="unknown map layer"):
        ml.context_layers(layers, ["rivers"])


def test_boundaries_drawn_with_basemap_none(layers):
    spec = deck_json(ml.context_layers(layers, ["provinces", "districts"]), basemap="none")
    # no provider, and pydeck's "no style" sentinel: without it Streamlit would fetch its theme's
    # default CARTO style (issue 14, item 11)
    assert spec.get("mapProvider") is None and spec["mapStyle"] == ml.NO_BASEMAP_STYLE
    assert "carto" not in json.dumps(spec).lower()
    prov, dist = layer_by_id(spec, "provinces"), layer_by_id(spec, "districts")
    # straight segments (LineLayer: no PathLayer shaders to compile before the map shows)
    assert prov["@@type"] == dist["@@type"] == "LineLayer"
    paths = ml.static_layer_payload("provinces", layers["provinces"])
    # the toy provinces are two boxes sharing the edge lon 67: every edge of both outlines is
    # drawn, the shared one once (7 unit edges, not 8)
    def edges(recs):
        return [frozenset(map(tuple, pair)) for r in recs
                for pair in zip(r["path"][:-1], r["path"][1:], strict=True)]
    outline = [edges([{"path": [list(xy) for xy in box(*b).exterior.coords]}])
               for b in layers["provinces"].geometry.bounds.to_numpy()]
    assert sorted(map(sorted, edges(paths))) == sorted(map(sorted, set().union(*outline)))
    assert len(edges(paths)) == len(set(edges(paths))) == 7
    dpaths = ml.static_layer_payload("districts", layers["districts"])
    assert len(edges(dpaths)) == len(set(edges(dpaths)))  # shared district edges once too
    # one segment per pair of consecutive vertices, in order, chained end to start
    assert len(prov["data"]) == sum(len(p["path"]) - 1 for p in paths)
    first = paths[0]["path"]
    assert ([seg["s"] for seg in prov["data"][:len(first) - 1]] == first[:-1]
            and [seg["e"] for seg in prov["data"][:len(first) - 1]] == first[1:])
    assert prov["getWidth"] > dist["getWidth"]  # provinces bold, districts thin


def test_basemaps_and_view():
    light = deck_json([], basemap="light")
    dark = deck_json([], basemap="dark")
    assert light["mapProvider"] == dark["mapProvider"] == "carto"
    assert "positron" in light["mapStyle"] and "dark-matter" in dark["mapStyle"]
    v = light["initialViewState"]
    assert (v["latitude"], v["longitude"], v["zoom"]) == (30.0, 69.5, 4.6)
    v = deck_json([], view={"latitude": 25.1, "longitude": 62.3, "zoom": 9})["initialViewState"]
    assert (v["latitude"], v["longitude"], v["zoom"]) == (25.1, 62.3, 9.0)
    with pytest.raises(ValidationError, match="basemap"):
        ml.make_deck([], basemap="satellite")
    with pytest.raises(ValidationError, match="zoom"):
        ml.make_deck([], view={"zoom": "far"})


def test_deck_json_is_compact(enriched):
    js = ml.make_deck(ml.occurrence_layers(enriched), basemap="none").to_json()
    assert js == json.dumps(json.loads(js), sort_keys=True, separators=(",", ":"),
                            ensure_ascii=False)
    assert "\n  " not in js


def test_roads_by_class_and_tooltips(layers):
    recs = ml.static_layer_payload("roads", layers["roads"])
    assert len(recs) == len(layers["roads"])
    assert all(set(r) == {"path", "c", "w", "t"} for r in recs)
    trunk = next(r for r in recs if "trunk" in r["t"])
    primary = next(r for r in recs if "primary" in r["t"])
    secondary = next(r for r in recs if "secondary" in r["t"])
    assert trunk["w"] > primary["w"] > secondary["w"]
    assert len({tuple(trunk["c"]), tuple(primary["c"]), tuple(secondary["c"])}) == 3
    assert primary["t"].startswith("N-25")
    # other classes are not drawn; _link roads use their class style
    extra = gpd.GeoDataFrame(
        {"fclass": ["tertiary", "motorway_link"], "ref": [None, "M-9"],
         "name": [None, None], "gap_fill": [False, False]},
        geometry=[LineString([(65, 28), (66, 28)]), LineString([(66, 28), (67, 28.5)])], crs=CRS)
    recs = ml.static_layer_payload("roads", extra)
    assert len(recs) == 1 and "motorway" in recs[0]["t"]


def test_railways_active_vs_inactive_with_line_names(layers):
    recs = ml.static_layer_payload("railways", layers["railways"])
    active = next(r for r in recs if "active" in r["t"])
    abandoned = next(r for r in recs if "abandoned" in r["t"])
    assert active["t"].startswith("ML-1")
    assert active["c"] != abandoned["c"] and active["c"][3] > abandoned["c"][3]
    assert active["w"] > abandoned["w"]
    spec = deck_json(ml.context_layers(layers, ["railways"]))
    assert layer_by_id(spec, "railways")["pickable"] is False  # clicks on markers must not wait on line picking


def test_ports_seaport_vs_minor_styles(layers):
    recs = ml.static_layer_payload("ports", layers["ports"])
    by_name = {r["t"].split(" · ")[0]: r for r in recs}
    assert by_name["Gwadar"]["c"] != by_name["Pasni"]["c"]
    assert by_name["Gwadar"]["r"] > by_name["Pasni"]["r"]
    assert "minor port" in by_name["Pasni"]["t"] and "PK GWD" in by_name["Gwadar"]["t"]
    assert by_name["Karachi"]["p"] == [68.0, 26.9]


def test_point_layer_tooltips(layers):
    tips = {name: ml.static_layer_payload(name, layers[name])[0]["t"] for name in
            ("rail_stations", "airports", "towns", "border_crossings", "dry_ports",
             "power_plants")}
    assert "rail station" in tips["rail_stations"]
    assert "OPXX/XXX" in tips["airports"]
    assert "50000" in tips["towns"].replace(",", "")
    assert "Afghanistan" in tips["border_crossings"]
    assert "PK UET" in tips["dry_ports"]
    assert "100 MW" in tips["power_plants"] and "gas" in tips["power_plants"]


def test_multilines_and_multipolygons_become_paths():
    lines = gpd.GeoDataFrame(
        {"fclass": ["primary"], "ref": ["N-5"], "name": [None], "gap_fill": [False]},
        geometry=[MultiLineString([[(65, 28), (65.5, 28)], [(66, 28), (66.5, 29), (66, 29.5)]])],
        crs=CRS)
    recs = ml.static_layer_payload("roads", lines)
    assert [len(r["path"]) for r in recs] == [2, 3]
    polys = gpd.GeoDataFrame(
        {"province": ["Twin"], "pcode": ["PKX"]},
        geometry=[MultiPolygon([box(64, 28, 65, 29), box(66, 28, 67, 29).difference(
            box(66.4, 28.4, 66.6, 28.6))])], crs=CRS)
    recs = ml.static_layer_payload("provinces", polys)
    assert len(recs) == 3  # two outer rings + one hole
    assert all(r["path"][0] == r["path"][-1] for r in recs)


def test_line_coordinates_rounded_and_reprojected():
    g = gpd.GeoDataFrame({"fclass": ["rail"], "status": ["active"], "active": [True],
                          "pr_line": ["ML-2"], "track_role": ["main"], "gap_fill": [False]},
                         geometry=[LineString([(66.123456789, 27.987654321), (67.0, 28.0)])],
                         crs=CRS).to_crs(3857)
    recs = ml.static_layer_payload("railways", g)
    x, y = recs[0]["path"][0]
    assert (x, y) == (round(x, 4), round(y, 4))
    assert abs(x - 66.1235) < 2e-4 and abs(y - 27.9877) < 2e-4


def test_unknown_static_layer_name(layers):
    with pytest.raises(ValidationError, match="unknown map layer"):
        ml.static_layer_payload("rivers", layers["roads"])
    with pytest.raises(ValidationError, match="GeoDataFrame"):
        ml.static_layer_payload("roads", pd.DataFrame({"a": [1]}))


def test_payload_cache_split(layers):
    """static_layer_payload is plain data (cacheable); context_layer only wraps it."""
    payload = ml.static_layer_payload("towns", layers["towns"])
    json.dumps(payload)  # plain JSON-able records
    a = ml.context_layer("towns", payload)
    b = ml.context_layers(layers, ["towns"])[0]
    assert a.to_json() == b.to_json()


# ---------------------------------------------------------------------------------------------
# routes, region, legend
# ---------------------------------------------------------------------------------------------


def test_route_layer():
    lyr = ml.route_layer(LineString([(65.6, 29.0), (65.5, 27.2), (65.0, 26.9000001)]), "Gwadar")
    spec = deck_json([lyr])
    r = layer_by_id(spec, "route")
    assert r["@@type"] == "PathLayer"
    assert r["data"][0]["path"][-1] == [65.0, 26.9]
    assert "Gwadar" in r["data"][0]["t"]


def test_routes_layer_coloured_by_port():
    routes = [("Karachi", LineString([(66, 28), (67, 25)])),
              ("Gwadar", LineString([(65, 29), (62.3, 25.1)])),
              ("Karachi", LineString([(68, 28), (67, 25)]))]
    spec = deck_json([ml.routes_layer(routes, {"Karachi": [1, 2, 3, 255]})])
    data = layer_by_id(spec, "routes")["data"]
    assert [d["c"] for d in data][0] == [1, 2, 3, 255] == data[2]["c"]
    assert data[1]["c"] != data[0]["c"]


def test_region_layer():
    spec = deck_json([ml.region_layer(box(64.1234567, 28, 65, 29))])
    r = layer_by_id(spec, "region")
    assert r["@@type"] == "GeoJsonLayer"
    coords = r["data"]["features"][0]["geometry"]["coordinates"][0]
    assert all(x == round(x, 5) for xy in coords for x in xy)


def test_legend_entries():
    entries = ml.legend_entries()
    commodity = [e for e in entries if e["kind"] == "commodity"]
    assert [e["color"] for e in commodity] == [
        "#{:02x}{:02x}{:02x}".format(*ml.COMMODITY_COLORS[g][:3]) for g in COMMODITY_GROUPS]
    precision = [e for e in entries if e["kind"] == "precision"]
    assert len(precision) >= len(PRECISION_CLASSES)
    assert all(set(e) >= {"label", "color", "kind"} for e in entries)
    assert not [e for e in entries if e["kind"] == "context"]
    with_ports = ml.legend_entries(["ports", "railways"])
    labels = [e["label"] for e in with_ports if e["kind"] == "context"]
    assert "Seaport" in labels and any("abandoned" in x for x in labels)


def test_point_geometries_only_for_points(layers):
    towns = layers["towns"].copy()
    towns.loc[len(towns)] = {"geonameid": 12, "name": "Nowhere", "population": 10,
                             "geometry": None}
    recs = ml.static_layer_payload("towns", towns)
    assert len(recs) == 2 and all("Nowhere" not in r["t"] for r in recs)
    assert ml.static_layer_payload("towns", layers["towns"])[0]["p"] == [65.5, 29.0]


def test_touching_segments_of_one_road_are_merged():
    g = gpd.GeoDataFrame(
        {"fclass": ["primary", "primary", "primary"], "ref": ["N-5", "N-5", "N-55"],
         "name": [None, None, None], "gap_fill": [False, False, False]},
        geometry=[LineString([(65, 28), (65.5, 28.3)]), LineString([(65.5, 28.3), (66, 28)]),
                  LineString([(66, 28), (66.5, 28.4)])], crs=CRS)
    recs = ml.static_layer_payload("roads", g)
    assert sorted((r["t"], len(r["path"])) for r in recs) == [
        ("N-5 · primary road", 3), ("N-55 · primary road", 2)]


def test_frozen_layers_give_the_same_deck_json(layers, enriched):
    from mineralmap import layers as L

    static = L.context_layers(layers, ["provinces", "roads", "ports"])
    dynamic = L.occurrence_layers(enriched)
    plain = L.make_deck(static + dynamic, basemap="none").to_json()
    frozen = L.make_deck([L.freeze(x) for x in static] + dynamic, basemap="none").to_json()
    assert frozen == plain
    ids = [lyr["id"] for lyr in json.loads(frozen)["layers"]]
    assert ids[:3] == [x.id for x in static] and "occurrences" in ids


def test_dark_basemap_swaps_line_colours(layers):
    frozen = [ml.freeze(lyr) for lyr in ml.context_layers(layers, ["provinces", "railways"])]
    light = deck_json(frozen, basemap="light")
    dark = deck_json(frozen, basemap="dark")
    assert layer_by_id(light, "provinces")["getColor"] != layer_by_id(dark, "provinces")["getColor"]
    assert sum(layer_by_id(light, "provinces")["getColor"][:3]) < 3 * 128  # dark on light
    assert sum(layer_by_id(dark, "provinces")["getColor"][:3]) > 3 * 128  # light on dark
    light_rail = {tuple(r["c"]) for r in layer_by_id(light, "railways")["data"]}
    dark_rail = {tuple(r["c"]) for r in layer_by_id(dark, "railways")["data"]}
    assert light_rail <= set(ml.DARK_PALETTE)
    assert dark_rail == {ml.DARK_PALETTE[c] for c in light_rail}
    # every swapped colour is light on the dark basemap, and layers without them stay as they are
    assert all(sum(v[:3]) > 3 * 80 for v in ml.DARK_PALETTE.values())
    occ_layer = ml.occurrence_layers(pd.DataFrame({"lon": [65.0], "lat": [28.0]}))[0]
    assert ml.dark_variant(occ_layer) is occ_layer
    # the legend shows the palette of the basemap
    dark_legend = {e["label"]: e["color"] for e in ml.legend_entries(["railways"], dark=True)}
    assert dark_legend["Railway, active"] == ml.hex_color(ml.DARK_PALETTE[tuple(ml._RAIL_ACTIVE[0])])


def test_stacked_points_get_a_count_badge():
    occ = pd.DataFrame({"id": ["a", "b", "c", "d", "e"], "name": list("ABCDE"),
                        "lon": [66.0, 66.0, 67.0, 66.000001, np.nan],
                        "lat": [29.0, 29.0, 30.0, 29.0, np.nan]})
    stacks = ml.stacked_points(occ)
    assert stacks[["lon", "lat", "n"]].values.tolist() == [[66.0, 29.0, 3]]
    assert stacks["ids"].iloc[0] == ("a", "b", "d")  # equal as drawn (5 decimals)
    spec = deck_json(ml.occurrence_layers(occ))
    badge = layer_by_id(spec, "occ-stacks")
    assert badge["@@type"] == "TextLayer" and badge["pickable"] is False
    assert badge["data"] == [{"p": [66.0, 29.0], "n": "3"}]
    # digits only in the font atlas, a halo instead of a background box (one shader program
    # fewer to compile before the first full frame with software WebGL)
    assert set("".join(d["n"] for d in badge["data"])) <= set(badge["characterSet"])
    assert not badge.get("background") and badge["fontSettings"]["sdf"] is True
    # no stack, no badge layer
    assert "occ-stacks" not in {lyr.id for lyr in ml.occurrence_layers(occ.iloc[[0, 2]])}


def test_stacks_list_members_in_frame_order_most_crowded_first():
    occ = pd.DataFrame({"id": ["a", "b", "c", "d", "e", "f", "g"],
                        "lon": [70.0, 66.0, 70.0, 66.0, 66.0, 71.0, 71.0],
                        "lat": [30.0, 29.0, 30.0, 29.0, 29.0, 31.0, 31.0]})
    stacks = ml.stacked_points(occ)
    assert stacks["ids"].tolist() == [("b", "d", "e"), ("a", "c"), ("f", "g")]
    assert stacks["n"].tolist() == [3, 2, 2]
    assert ml.stacked_points(occ.iloc[[0, 1, 5]]).empty


# ---------------------------------------------------------------------------------------------
# shared occurrence points (one data source, filtered in the browser)
# ---------------------------------------------------------------------------------------------


def _with_limits(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    occ = synthetic(n, seed)
    occ["rail_km"] = np.round(rng.uniform(0, 300, n), 1)
    occ["road_primary_km"] = rng.choice([1.0, 5.0, 20.0, np.nan], n)
    occ.loc[occ.index[::7], "haul_road_km"] = np.nan  # straight line to the port there
    occ.loc[occ.index[::11], ["lon", "lat"]] = np.nan  # unmapped
    return occ


def _kept_ids(occ: pd.DataFrame, limits) -> list[str]:
    """What the server's filter keeps of the mapped rows (the reference)."""
    spec = filters.FilterSpec(**dict(zip(ml.BROWSER_FILTERS, limits, strict=True)))
    kept, _ = filters.apply(occ, spec)
    ok = kept["lon"].notna() & kept["lat"].notna()
    return kept.loc[ok, "id"].astype(str).tolist()


def test_shared_points_records_and_one_data_source():
    occ = _with_limits(40)
    pts = ml.shared_points(occ)
    mapped = occ["lon"].notna()
    assert pts.mapped == int(mapped.sum()) and pts.unmapped == int((~mapped).sum())
    assert list(pts.ids) == occ.loc[mapped, "id"].tolist()
    rec = pts.records[0]
    assert set(rec) == {"p", "s", "r", "f", "id", "t"} and len(rec["f"]) == 3
    assert rec["t"].startswith("Synthetic prospect")
    layers_ = ml.shared_layers("/layers/occurrences.0123456789abcdef.json",
                               pts.filter_range([None, None, None]))
    spec = deck_json(layers_)
    unc, markers = layer_by_id(spec, "occ-uncertainty"), layer_by_id(spec, "occurrences")
    assert unc["data"] == markers["data"] == "/layers/occurrences.0123456789abcdef.json"
    for lyr in (unc, markers):
        assert lyr["extensions"] == [{"@@type": "DataFilterExtension", "filterSize": 3}]
        assert lyr["getFilterValue"] == "@@=f"
    assert markers["pickable"] is True and unc["pickable"] is False
    # same marker styling as the inline layers
    inline = layer_by_id(deck_json(ml.occurrence_layers(occ)), "occurrences")
    for key in ("getFillColor", "getLineColor", "getRadius", "getLineWidth"):
        assert markers[key] == inline[key]


def test_shared_points_compact_above_the_tooltip_limit():
    occ = _with_limits(30)
    pts = ml.shared_points(occ, tooltip_max=5)
    assert pts.compact and all(set(r) == {"p", "s", "r", "f"} for r in pts.records)
    assert pts.ids_at([0, 2, -1, 10**6, "x", True]) == [pts.ids[0], pts.ids[2]]


def test_uncertainty_colour_follows_the_group_of_the_style_index():
    unc = layer_by_id(deck_json(ml.shared_layers([], None)), "occ-uncertainty")
    assert "extensions" not in unc
    body = unc["getFillColor"][3:]
    branches = re.findall(r"s<(\d+)\?(\[[^\]]*\]):", body)
    last = json.loads(body.rsplit(":", 1)[1])
    for s in range(len(COMMODITY_GROUPS) * len(PRECISION_CLASSES)):
        got = next((json.loads(v) for lim, v in branches if s < int(lim)), last)
        g = COMMODITY_GROUPS[s // len(PRECISION_CLASSES)]
        assert got == [*ml.COMMODITY_COLORS[g][:3], ml.UNCERTAINTY_FILL_ALPHA]


_LIMIT = st.one_of(st.none(), st.floats(min_value=0, max_value=1500, allow_nan=False))


@functools.cache
def _sixty_points() -> tuple[pd.DataFrame, ml.SharedPoints]:
    """The frame and its points, made once: the property below varies the limits only."""
    occ = _with_limits(60, seed=3)
    return occ, ml.shared_points(occ)


@settings(deadline=None)
@given(port=_LIMIT, rail=_LIMIT, road=_LIMIT)
def test_browser_filter_keeps_exactly_what_the_server_filter_keeps(port, rail, road):
    occ, pts = _sixty_points()
    limits = [port, rail, road]
    shown = [i for i, keep in zip(pts.ids, pts.mask(limits), strict=True) if keep]
    assert shown == _kept_ids(occ, limits)
    kept_rows = occ[occ["id"].isin(shown)]
    assert pts.shows(kept_rows, limits)
    # every point's rank falls inside the deck.gl filterRange exactly when it is kept
    rng = pts.filter_range(limits)
    inside = np.all([(pts.ranks[:, d] >= lo) & (pts.ranks[:, d] <= hi)
                     for d, (lo, hi) in enumerate(rng)], axis=0)
    assert inside.tolist() == pts.mask(limits).tolist()


def test_limits_at_the_values_themselves_keep_them():
    occ = _with_limits(50, seed=5)
    pts = ml.shared_points(occ)
    for v in pts.levels[1][:5].tolist() + [0.0]:
        assert [i for i, k in zip(pts.ids, pts.mask([None, v, None]), strict=True) if k] \
            == _kept_ids(occ, [None, v, None])
    assert not pts.shows(occ.iloc[:3], [None, None, None])  # not the rows the points show


def test_wire_records_split_segment_layers_only(layers):
    rail = ml.static_layer_payload("railways", layers["railways"])
    segs = ml.wire_records("railways", rail)
    assert len(segs) == sum(len(r["path"]) - 1 for r in rail)
    assert all(set(s) == {"s", "e", "c", "w"} for s in segs)
    assert ml.wire_records("railways", segs) == segs  # segments pass through
    roads = ml.static_layer_payload("roads", layers["roads"])
    assert ml.wire_records("roads", roads) is roads  # roads stay paths
    spec = deck_json(ml.context_layers(layers, ["railways", "roads"]))
    assert layer_by_id(spec, "railways")["@@type"] == "LineLayer"
    assert layer_by_id(spec, "roads")["@@type"] == "PathLayer"



@given(cells=st.sets(st.tuples(st.integers(0, 4), st.integers(0, 3)), min_size=1, max_size=12))
def test_boundary_network_draws_every_outline_edge_once(cells):
    # any set of unit cells on a grid (neighbours share edges): the drawn network covers each
    # cell's outline and holds no edge twice
    gdf = gpd.GeoDataFrame({"district": [f"D{i}" for i in range(len(cells))]},
                           geometry=[box(64 + x, 28 + y, 65 + x, 29 + y) for x, y in cells],
                           crs=CRS)
    recs = ml.static_layer_payload("districts", gdf)
    segs = [LineString(pair) for r in recs
            for pair in zip(r["path"][:-1], r["path"][1:], strict=True)]
    keys = [frozenset(map(tuple, s.coords)) for s in segs]
    assert len(keys) == len(set(keys))
    drawn = shapely.union_all(segs)
    for cell in gdf.geometry:
        assert cell.exterior.difference(drawn.buffer(1e-9)).length < 1e-6
    outline = shapely.union_all([c.exterior for c in gdf.geometry])
    assert abs(drawn.length - outline.length) < 1e-6  # nothing drawn twice or beyond


def test_railway_map_draws_running_lines_not_service_tracks():
    g = gpd.GeoDataFrame(
        {"fclass": ["rail", "rail"], "status": ["active", "active"], "active": [True, True],
         "pr_line": ["ML-1", "ML-1"], "track_role": ["main", ml.SERVICE_TRACK],
         "gap_fill": [False, False]},
        geometry=[LineString([(66, 28), (67, 28)]), LineString([(66.5, 28), (66.5, 28.01)])],
        crs=CRS)
    recs = ml.static_layer_payload("railways", g)
    assert [r["path"] for r in recs] == [[[66.0, 28.0], [67.0, 28.0]]]
    # without a track_role column every line is a running line
    assert len(ml.static_layer_payload("railways", g.drop(columns="track_role"))) == 2


def test_every_scatter_layer_shares_one_shader_program(layers):
    # the point context layers carry the occurrence markers' DataFilterExtension with a filter
    # that keeps every record, so deck.gl compiles one scatter program, not two
    occ = pd.DataFrame({"id": ["a"], "lon": [66.0], "lat": [29.0], "haul_road_km": [10.0],
                        "rail_km": [1.0], "road_primary_km": [2.0]})
    pts = ml.shared_points(occ)
    shared = deck_json(ml.shared_layers(pts.records, pts.filter_range([None] * 3)))
    ctx = deck_json(ml.context_layers(layers, ["ports", "border_crossings"]))
    assert sorted(lyr["id"] for lyr in ctx["layers"]) == ["border_crossings", "ports"]
    exts = {json.dumps(lyr.get("extensions"), sort_keys=True)
            for lyr in shared["layers"] + ctx["layers"] if lyr["@@type"] == "ScatterplotLayer"}
    assert len(exts) == 1 and "DataFilterExtension" in exts.pop()
    for lyr in ctx["layers"]:
        values = lyr["getFilterValue"]
        assert all(lo <= v <= hi for v, (lo, hi) in zip(values, lyr["filterRange"], strict=True))
