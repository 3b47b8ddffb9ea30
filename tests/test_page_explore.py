"""AppTest of the Explore map page: filters, sentence, URL state, bad query strings.

On the toy world, expected rows are computed from its catalog; one smoke test on the real data
checks the structure only."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

from mineralmap import filters, layerfiles, layers, params, tiles, viewport
from mineralmap.ui import asgi

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def _explore(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.switch_page("pages/explore.py")
    at.session_state["explore_table_open"] = True  # the table is sent only while its toggle is on
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _sentence(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("#### "))


def _province(occ: pd.DataFrame) -> pd.Series:
    """The province a filter sees: where the point lies, else the stated one."""
    return occ["province_geo"].where(occ["province_geo"].notna(), occ["province"])


def _ids(occ: pd.DataFrame, mask: pd.Series) -> set[str]:
    return set(occ.loc[mask, "id"].astype(str))


def test_filters_change_sentence_and_table(use_toy_world):
    occ = use_toy_world.catalog.occurrences
    expected = _ids(occ, (_province(occ) == "Balochistan") & (occ["commodity_group"] == "Sb"))
    assert 0 < len(expected) < len(occ)
    at = _explore()
    assert len(at.dataframe[0].value) == len(occ)
    at.multiselect(key="flt_provinces").set_value(["Balochistan"])
    at.multiselect(key="flt_commodities").set_value(["Sb"]).run()
    assert not at.exception, [e.value for e in at.exception]
    sentence = _sentence(at)
    assert f"{len(expected)} Sb" in sentence and "Balochistan" in sentence
    rows = at.dataframe[0].value
    assert set(rows["id"]) == expected
    assert set(rows["commodity_group"]) == {"Sb"}
    # filter state is mirrored into the URL
    assert at.query_params["province"] in (["Balochistan"], "Balochistan")


def test_url_restores_filters(use_toy_world):
    occ = use_toy_world.catalog.occurrences
    expected = _ids(occ, (_province(occ) == "Khyber Pakhtunkhwa")
                    & (occ["commodity_group"] == "REE"))
    at = _explore({"province": "Khyber Pakhtunkhwa", "commodity": "REE"})
    assert at.multiselect(key="flt_provinces").value == ["Khyber Pakhtunkhwa"]
    assert at.multiselect(key="flt_commodities").value == ["REE"]
    rows = at.dataframe[0].value
    assert expected and set(rows["id"]) == expected


def test_bad_query_string_shows_note_not_crash(use_toy_world):
    at = _explore({"province": "Atlantis", "max_port_km": "far", "bogus": "1",
                   "basemap": "neon", "view": "x,y"})
    notes = " ".join(i.value for i in at.info)
    assert "Atlantis" in notes and "max_port_km" in notes and "bogus" in notes
    assert "neon" in notes and "view" in notes
    # the page still shows all occurrences
    assert len(at.dataframe[0].value) == len(use_toy_world.catalog.occurrences)


def test_selected_occurrence_from_url_opens_details(use_toy_world):
    occ = use_toy_world.catalog.occurrences
    row = occ.loc[occ["mapped"].astype(bool) & occ["haul_road_km"].notna()].iloc[0]
    at = _explore({"sel": str(row["id"])})
    assert any(str(row["name"]) in s.value for s in at.subheader)
    assert any("Road haul to port" in m.value for m in at.markdown)
    assert any(f"{row['haul_road_km']:.0f}" in m.value or f"{row['haul_road_km']:,.1f}" in m.value
               for m in [*at.markdown, *at.metric])


def test_explore_smoke_on_real_data(use_real_cache):
    at = _explore()
    assert _sentence(at)
    assert len(at.get("deck_gl_json_chart")) >= 1
    rows = at.dataframe[0].value
    assert len(rows) > 0 and {"id", "commodity_group"} <= set(rows.columns)


# ---- issue 14: fitted view, search, empty results, hidden selection, basemap -----------------

def _deck(at: AppTest) -> dict:
    return json.loads(at.get("deck_gl_json_chart")[0].proto.json)


def _view(at: AppTest) -> dict:
    return _deck(at)["initialViewState"]


def _url_view(at: AppTest) -> dict:
    raw = at.query_params["view"]
    view, notes = params.parse_view(raw[0] if isinstance(raw, list) else raw)
    assert not notes
    return view


def _close(a: dict, b: dict, tol: float = 1e-3) -> bool:
    return all(abs(a[k] - b[k]) <= tol for k in ("latitude", "longitude", "zoom"))


def test_filter_fits_view_and_writes_it_to_the_url(use_toy_world):
    occ = use_toy_world.catalog.occurrences
    at = _explore()
    assert _close(_view(at), viewport.fit_points(occ["lon"], occ["lat"]))
    assert _close(_url_view(at), _view(at), 1e-2)
    before = _deck(at)["initialViewState"]
    at.run()  # a rerun without a change sends the very same view: the user's panning stays
    assert _deck(at)["initialViewState"] == before
    at.multiselect(key="flt_provinces").set_value(["Balochistan"]).run()
    kept = occ[_province(occ) == "Balochistan"]
    fitted = viewport.fit_points(kept["lon"], kept["lat"])
    new = _view(at)
    assert _close(new, fitted)
    assert all(new[k] != before[k] for k in before)  # every key changes (Streamlit merges keys)
    assert _close(_url_view(at), new, 1e-2)


def test_distance_limit_keeps_the_view(use_toy_world):
    # limits hide points in place (applied in the browser): no refit, one redraw per change
    occ = use_toy_world.catalog.occurrences
    at = _explore()
    before = _deck(at)["initialViewState"]
    limit = float(pd.to_numeric(occ["haul_road_km"], errors="coerce").median())
    at.number_input(key="flt_max_port_km").set_value(limit).run()
    kept, _ = filters.apply(occ, filters.FilterSpec(max_port_km=limit))
    assert 0 < len(kept) < len(occ)  # the limit changes what is shown …
    assert _deck(at)["initialViewState"] == before  # … and not where the map looks
    at.multiselect(key="flt_provinces").set_value(["Balochistan"]).run()
    assert _deck(at)["initialViewState"] != before  # other filters still refit


def test_view_from_the_url_is_kept_on_first_load(use_toy_world):
    at = _explore({"view": "28.5000,66.0000,8.00"})
    assert _close(_view(at), {"latitude": 28.5, "longitude": 66.0, "zoom": 8.0}, 1e-5)


def test_search_flies_to_a_town_and_opens_an_occurrence(use_toy_world):
    cat = use_toy_world.catalog
    town = cat.layers["towns"].iloc[0]
    at = _explore()
    at.text_input(key="map_search").set_value(str(town["name"])).run()
    assert not at.exception
    v = _view(at)
    assert abs(v["longitude"] - town.geometry.x) < 1e-4 and abs(v["latitude"] - town.geometry.y) < 1e-4
    # an occurrence: flies there and opens its panel
    occ = cat.occurrences[cat.occurrences["mapped"].astype(bool)].iloc[-1]
    at.text_input(key="map_search").set_value(str(occ["name"])).run()
    assert not at.exception
    assert any(str(occ["name"]) in s.value for s in at.subheader)
    v = _view(at)
    assert abs(v["longitude"] - occ["lon"]) < 1e-4 and abs(v["latitude"] - occ["lat"]) < 1e-4
    assert at.query_params["sel"] in ([occ["id"]], occ["id"])
    # nothing found: said so, escaped
    at.text_input(key="map_search").set_value("no *such* place").run()
    assert any("no \\*such\\* place" in c.value for c in at.caption)


def test_empty_result_names_the_nearest_and_widens(use_toy_world):
    occ = use_toy_world.catalog.occurrences
    sb = occ[occ["commodity_group"] == "Sb"]
    port_km = sb["haul_road_km"].where(sb["haul_road_km"].notna(), sb["port_nearest_km"])
    nearest = sb.loc[port_km.idxmin()]
    at = _explore({"commodity": "Sb", "max_port_km": str(int(port_km.min() // 2))})
    assert not at.dataframe
    warning = " ".join(w.value for w in at.warning)
    assert str(nearest["id"]) in warning and f"{port_km.min():,.0f} km" in warning
    widen_btn = next(b for b in at.button if b.label.startswith("Widen the limit"))
    widen_btn.click().run()
    assert not at.exception
    assert str(nearest["id"]) in set(at.dataframe[0].value["id"])


def test_selection_the_filters_hide_is_closed(use_toy_world):
    occ = use_toy_world.catalog.occurrences
    row = occ[(occ["commodity_group"] == "Sb") & occ["mapped"].astype(bool)].iloc[0]
    at = _explore({"sel": str(row["id"])})
    assert any(str(row["name"]) in s.value for s in at.subheader)
    at.multiselect(key="flt_commodities").set_value(["REE"]).run()
    assert not any(str(row["name"]) in s.value for s in at.subheader)
    assert "sel" not in at.query_params
    assert "route" not in {lyr.get("id") for lyr in _deck(at)["layers"]}


def test_basemap_none_fetches_no_style(use_toy_world):
    spec = _deck(_explore({"basemap": "none"}))
    assert spec["mapStyle"] == layers.NO_BASEMAP_STYLE and not spec.get("mapProvider")


# ---- issue 16: occurrence points as one shared file, distance limits in the browser ----------

def _shared(at: AppTest, layer_dir: Path) -> tuple[str, dict, list[dict]]:
    """(URL, markers layer, records of the file) of the Explore deck's shared occurrence points."""
    deck = _deck(at)
    by_id = {lyr["id"]: lyr for lyr in deck["layers"]}
    url = by_id["occurrences"]["data"]
    assert isinstance(url, str) and url == by_id["occ-uncertainty"]["data"]  # one data source
    assert url.startswith("/layers/occurrences.")
    records = json.loads((layer_dir / url.rsplit("/", 1)[1]).read_text())
    return url, by_id["occurrences"], records


def _shown_ids(markers: dict, records: list[dict]) -> list[str]:
    """The ids deck.gl's DataFilterExtension keeps: every f value inside its filterRange."""
    ranges = markers["filterRange"]
    return [r["id"] for r in records
            if all(lo <= v <= hi for v, (lo, hi) in zip(r["f"], ranges, strict=True))]


def test_served_map_draws_shared_points_filtered_in_the_browser(use_toy_world, monkeypatch):
    monkeypatch.setitem(asgi._MOUNTED, "layers", True)  # as under serve.py (restored after)
    occ = use_toy_world.catalog.occurrences
    folder = layerfiles.layer_dir()
    at = _explore()
    url, markers, records = _shared(at, folder)
    assert {lyr["data"][:8] for lyr in _deck(at)["layers"]
            if lyr["id"] not in ("occurrences", "occ-uncertainty", "occ-stacks")} <= {"/layers/"}
    mapped = occ.loc[occ["lon"].notna() & occ["lat"].notna(), "id"].astype(str).tolist()
    assert _shown_ids(markers, records) == mapped
    # a distance limit changes the filter range only: same file, the same rows as the server's
    limit = float(pd.to_numeric(occ["haul_road_km"], errors="coerce").median())
    at.number_input(key="flt_max_port_km").set_value(limit).run()
    assert not at.exception, [e.value for e in at.exception]
    url2, markers2, records2 = _shared(at, folder)
    assert url2 == url
    kept, _ = filters.apply(occ, filters.FilterSpec(max_port_km=limit))
    expected = kept.loc[kept["lon"].notna(), "id"].astype(str).tolist()
    assert 0 < len(expected) < len(mapped)
    assert _shown_ids(markers2, records2) == expected
    # another province: another file, holding only its rows
    at.multiselect(key="flt_provinces").set_value(["Balochistan"]).run()
    url3, markers3, records3 = _shared(at, folder)
    assert url3 != url
    kept, _ = filters.apply(occ, filters.FilterSpec(provinces=("Balochistan",),
                                                    max_port_km=limit))
    assert _shown_ids(markers3, records3) == kept.loc[kept["lon"].notna(), "id"].astype(str).tolist()


def test_above_the_threshold_the_served_map_draws_tiles(use_toy_world, monkeypatch):
    # as under serve.py with a catalog larger than the threshold: one TileLayer whose tiles
    # hold the filtered rows (cells zoomed out, every point with its id zoomed in)
    monkeypatch.setitem(asgi._MOUNTED, "layers", True)
    monkeypatch.setitem(asgi._MOUNTED, "tiles", True)
    monkeypatch.setattr(layers, "AGGREGATE_THRESHOLD", 1)
    occ = use_toy_world.catalog.occurrences
    at = _explore({"commodity": "Sb"})
    lyr = next(x for x in _deck(at)["layers"] if x["id"] == layers.TILE_LAYER_ID)
    assert not [x for x in _deck(at)["layers"] if x["id"] in ("occurrences", "occ-aggregate")]
    key = lyr["data"].split(tiles.URL_PREFIX, 1)[1].split("/", 1)[0]
    src = tiles.default_registry().get(key)
    kept, _ = filters.apply(occ, filters.FilterSpec(commodities=("Sb",)))
    kept = kept[kept["lon"].notna() & kept["lat"].notna()]
    assert src is not None and src.size == len(kept) > 1
    zoomed = [f for z in [tiles.POINT_ZOOM]
              for x, y in {(int(a * 2 ** z), int(b * 2 ** z)) for a, b in zip(src.mx, src.my, strict=True)}
              for f in tiles.tile_features(src, z, x, y)]
    assert sorted(f["properties"]["id"] for f in zoomed) == sorted(kept["id"].astype(str))
    notes = [i.value for i in at.info]
    assert any("zoom in" in n and f"{len(kept):,} mapped" in n for n in notes), notes
