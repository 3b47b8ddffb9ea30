"""AppTest of the Region & export page: one test per region mode, the empty selection, picks and
the download buttons, on the toy world (every expected set computed from its catalog); one smoke
test on the real data checks the structure only."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from mineralmap._geo import GEOD
from mineralmap.ui import boxdraw, region

APP = str(Path(__file__).resolve().parents[1] / "app.py")
TOTAL_KEYS = ("dl_geojson", "dl_csv", "dl_gpkg", "dl_kml")


@pytest.fixture
def cat(use_toy_world):
    return use_toy_world.catalog


def _page(query: dict[str, str] | None = None, state: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    for k, v in (state or {}).items():
        at.session_state[k] = v
    at.switch_page("pages/region_export.py")
    if "rg_table_open" not in (state or {}):
        at.session_state["rg_table_open"] = True  # the table is sent only while its toggle is on
    at.run()
    _ok(at)
    return at


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _selected(at: AppTest) -> int:
    return int(next(m.value for m in at.metric if m.label == "Selected").replace(",", ""))


def _sentence(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("#### "))[5:]


def _ids(at: AppTest) -> set[str]:
    """Ids in the selection table (the last dataframe on the page)."""
    return set(at.dataframe[-1].value["id"])


def _errors(at: AppTest) -> str:
    return " ".join(e.value for e in at.error)


def _downloads(at: AppTest) -> list[str]:
    return [b.key for b in at.get("download_button")]


def _mapped(cat) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    occ = cat.occurrences
    ok = occ["lon"].notna().to_numpy() & occ["lat"].notna().to_numpy()
    return (occ["id"].to_numpy()[ok], occ["lon"].to_numpy(float)[ok], occ["lat"].to_numpy(float)[ok])


# ---------------------------------------------------------------------------- admin units


def test_admin_units_change_count_and_sentence(cat):
    at = _page()
    total = _selected(at)
    assert total == len(cat.occurrences)
    assert _sentence(at) == f"All {total} occurrences"

    at.multiselect(key="rg_prov").set_value(["Balochistan"]).run()
    _ok(at)
    bal = _selected(at)
    assert 0 < bal < total
    assert _sentence(at) == f"{bal} occurrences — region: Balochistan"
    assert _ids(at) and len(_ids(at)) == bal
    # the region agrees with the sidebar province filter (same rows)
    by_filter = _page({"province": "Balochistan"})
    assert _selected(by_filter) == bal and _ids(by_filter) == _ids(at)

    # a district of another province is united with the province
    occ = cat.occurrences
    kp = occ.loc[occ["province_geo"] == "Khyber Pakhtunkhwa", "district_geo"].value_counts()
    district, n_district = str(kp.index[0]), int(kp.iloc[0])
    at.multiselect(key="rg_dist").set_value([district]).run()
    _ok(at)
    assert _selected(at) == bal + n_district
    assert f"region: Balochistan ∪ {district}" in _sentence(at)

    # a tehsil alone: only the occurrences the enrichment places in it
    at.multiselect(key="rg_prov").set_value([])
    at.multiselect(key="rg_dist").set_value([])
    teh = occ["tehsil_geo"].value_counts()
    tehsil, n_tehsil = str(teh.index[0]), int(teh.iloc[0])
    at.multiselect(key="rg_teh").set_value([tehsil]).run()
    _ok(at)
    assert _selected(at) == n_tehsil
    assert set(occ.loc[occ["tehsil_geo"] == tehsil, "id"]) == _ids(at)
    assert _sentence(at).endswith(f"region: {tehsil}")


# ---------------------------------------------------------------------------- bounding box


def test_bbox_valid_and_invalid(cat):
    at = _page()
    total = _selected(at)
    at.checkbox(key="rg_bbox_on").check().run()
    _ok(at)
    ids, lon, lat = _mapped(cat)
    inside = set(ids[(lon >= 66) & (lon <= 70) & (lat >= 28) & (lat <= 32)])
    assert 0 < len(inside) < total
    assert _ids(at) == inside and _selected(at) == len(inside)
    assert _sentence(at).endswith("region: box 66,28 to 70,32")
    assert not at.error

    # west > east: a clear error, the box is ignored, the page keeps working
    at.number_input(key="rg_w").set_value(71.0).run()
    _ok(at)
    assert "Bounding box ignored" in _errors(at) and "west (71)" in _errors(at)
    assert _selected(at) == total
    assert set(_downloads(at)) == set(TOTAL_KEYS)

    # outside Pakistan's extent
    at.number_input(key="rg_w").set_value(66.0)
    at.number_input(key="rg_n").set_value(40.0).run()
    _ok(at)
    assert "outside Pakistan's extent" in _errors(at)
    assert _selected(at) == total

    # fixed again: the box applies again and the error is gone
    at.number_input(key="rg_n").set_value(32.0).run()
    _ok(at)
    assert not at.error and _ids(at) == inside


def _drawn_box(at: AppTest) -> list | None:
    """The box the drawing map is told to show."""
    comp = next(e for e in at.get("bidi_component")
                if e.proto.component_name == "mineralmap_boxdraw_box")
    return json.loads(comp.proto.json)["box"]


def test_drawn_box_sets_the_widgets_and_applies(cat):
    """The page mounts the drawing map (a v2 component: AppTest does not run its JavaScript and
    cannot send its trigger), then a box as the component's callback applies it
    (:func:`mineralmap.ui.boxdraw.apply_drawn_box`) sets the widgets and the box mode."""
    at = _page()
    total = _selected(at)
    maps = [e for e in at.get("bidi_component") if e.proto.component_name == "mineralmap_boxdraw"]
    assert len(maps) == 1 and _drawn_box(at) is None
    svg = json.loads(maps[0].proto.json)["svg"]
    assert svg.startswith("<svg") and all(p in svg for p in cat.layer("provinces")["province"])
    ids, lon, lat = _mapped(cat)
    w, s, e, n = (float(np.floor(lon.min())), float(np.floor(lat.min())),
                  float(np.median(lon)), float(np.median(lat)))
    drawn = {"west": e + 0.004, "south": n - 0.0001, "east": w, "north": s}  # any corner order
    box = boxdraw.apply_drawn_box(drawn, at.session_state)
    assert box is not None and box[0] == w and box[1] == s
    at.run()
    _ok(at)
    assert at.checkbox(key="rg_bbox_on").value
    assert tuple(at.number_input(key=k).value for k in ("rg_w", "rg_s", "rg_e", "rg_n")) == box
    inside = set(ids[(lon >= box[0]) & (lon <= box[2]) & (lat >= box[1]) & (lat <= box[3])])
    assert 0 < len(inside) < total and _ids(at) == inside
    assert _sentence(at).endswith(f"region: box {box[0]:g},{box[1]:g} to {box[2]:g},{box[3]:g}")
    assert not at.error
    # the map is given the box to show it (by a small element of its own: the map's element,
    # with the SVG, stays the same)
    assert _drawn_box(at) == list(box)
    # junk from the browser changes nothing
    assert boxdraw.apply_drawn_box({"west": "x"}, at.session_state) is None
    at.run()
    assert _ids(at) == inside
    # an invalid typed box is reported, not drawn on the map
    at.number_input(key="rg_w").set_value(box[2] + 1).run()
    assert "Bounding box ignored" in _errors(at)
    assert _drawn_box(at) is None


# ---------------------------------------------------------------------------- radius


def test_radius_port_and_typed_lonlat(cat):
    at = _page()
    at.checkbox(key="rg_rad_on").check()  # one run for the three changes
    at.selectbox(key="rg_centre_port").set_value("Gwadar")
    at.number_input(key="rg_km").set_value(300.0).run()
    _ok(at)
    gwadar_km = cat.occurrences["port_gwadar_km"].to_numpy(float)
    assert _selected(at) == int(np.sum(gwadar_km <= 300))
    assert _sentence(at).endswith("region: within 300 km of Gwadar")

    # a wider circle: the same rows as the straight-line distance computed by the enrichment
    at.number_input(key="rg_km").set_value(450.0).run()
    _ok(at)
    assert not np.any(np.abs(gwadar_km - 450) < 2)  # no point on the edge of the circle
    expected = set(cat.occurrences.loc[gwadar_km <= 450, "id"])
    assert expected and _ids(at) == expected

    # a typed lon/lat centre in KP, checked against a geodesic computation
    at.radio(key="rg_kind").set_value("lon/lat").run()
    at.number_input(key="rg_lon").set_value(68.5)
    at.number_input(key="rg_lat").set_value(29.5)
    at.number_input(key="rg_km").set_value(100.0).run()
    _ok(at)
    ids, lon, lat = _mapped(cat)
    _, _, d = GEOD.inv(np.full(len(lon), 68.5), np.full(len(lat), 29.5), lon, lat)
    assert not np.any(np.abs(d - 100_000) < 500)
    assert _ids(at) == set(ids[d <= 100_000]) and _ids(at)
    assert _sentence(at).endswith("region: within 100 km of 68.5, 29.5")

    # a lon/lat outside Pakistan (lat,lon swapped): clear error, radius ignored
    at.number_input(key="rg_lon").set_value(34.0).run()
    _ok(at)
    assert "Radius ignored" in _errors(at) and "lat,lon instead of lon,lat" in _errors(at)
    assert _selected(at) == len(cat.occurrences)


def test_occurrence_centre_uses_unambiguous_values(cat):
    at = _page()
    at.checkbox(key="rg_rad_on").check()
    at.radio(key="rg_kind").set_value("occurrence").run()
    box = at.selectbox(key="rg_centre_occurrence")
    occ = cat.occurrences
    # an occurrence named like a town is offered by its id (a name would resolve to the town)
    towns = set(cat.layer("towns")["name"])
    clash = occ.loc[occ["name"].isin(towns) & occ["mapped"]]
    assert len(clash), "the toy world has an occurrence named after a town"
    clash_id, clash_name = str(clash["id"].iloc[0]), str(clash["name"].iloc[0])
    assert f"{clash_name} · {clash_id}" in box.options
    box.set_value(clash_id)
    at.number_input(key="rg_km").set_value(1.0).run()
    _ok(at)
    assert clash_id in _ids(at)
    assert _sentence(at).endswith(f"within 1 km of {clash_id}")
    # a unique name is offered as the name
    unique = occ.loc[occ["mapped"] & ~occ["name"].isin(towns)
                     & ~occ["name"].duplicated(keep=False)].iloc[0]
    assert unique["name"] in box.options
    at.selectbox(key="rg_centre_occurrence").set_value(unique["name"]).run()
    _ok(at)
    assert unique["id"] in _ids(at)


# ---------------------------------------------------------------------------- upload


def _box_geojson(w: float, s: float, e: float, n: float) -> bytes:
    ring = [[w, s], [e, s], [e, n], [w, n], [w, s]]
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}}
    ]}).encode()


def test_upload_polygon_and_bad_files(cat):
    at = _page()
    up = at.get("file_uploader")[0]
    assert up.allowed_type == [".geojson", ".json", ".kml", ".zip"]
    assert any(f"at most {region.MAX_UPLOAD_MB} MB" in c.value for c in at.caption)
    up.set_value(("area.geojson", _box_geojson(67, 29.5, 70, 31), "application/geo+json")).run()
    _ok(at)
    ids, lon, lat = _mapped(cat)
    inside = set(ids[(lon >= 67) & (lon <= 70) & (lat >= 29.5) & (lat <= 31)])
    assert inside and _ids(at) == inside
    assert _sentence(at).endswith("region: area.geojson")
    assert any("Using the polygon of area.geojson" in s.value for s in at.success)

    at.get("file_uploader")[0].set_value(("broken.geojson", b'{"type": "Feature', "application/json")).run()
    _ok(at)
    assert "broken.geojson is not valid JSON" in _errors(at)
    assert _selected(at) == len(cat.occurrences)
    assert set(_downloads(at)) == set(TOTAL_KEYS)


def test_upload_seam_messages():
    kw, msgs = region.parse_upload(_box_geojson(66, 28, 67, 29), "ok.geojson")
    assert kw["polygon_label"] == "ok.geojson" and kw["polygon"].bounds == (66, 28, 67, 29)
    assert msgs == []
    # self-intersecting bow-tie: repaired and said so
    bow = json.dumps({"type": "Polygon", "coordinates": [[[66, 28], [67, 29], [67, 28], [66, 29], [66, 28]]]})
    kw, msgs = region.parse_upload(bow.encode(), "bow.json")
    assert kw["polygon"].is_valid and any("repaired" in t for lvl, t in msgs if lvl == "info")
    cases = {
        "empty.geojson": b"",
        "points.geojson": json.dumps({"type": "Point", "coordinates": [66, 28]}).encode(),
        "evil.kml": b'<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                    b"<kml>&x;</kml>",
        "big.geojson": b" " * (region.MAX_UPLOAD_MB * 1_000_000 + 1),
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", "no shapefile here")
    cases["noshp.zip"] = buf.getvalue()
    for name, content in cases.items():
        kw, msgs = region.parse_upload(content, name)
        assert kw == {}, name
        assert len(msgs) == 1 and msgs[0][0] == "error", name
        assert msgs[0][1].startswith("Upload ignored: ") and name in msgs[0][1], msgs


# ---------------------------------------------------------------------------- picks


def test_apply_picks_lists():
    state: dict[str, list[str]] = {"add": [], "remove": []}
    assert region.apply_picks(state, ["A", "B", "A"], "add")
    assert state == {"add": ["A", "B"], "remove": []}
    assert not region.apply_picks(state, ["A"], "add")
    assert region.apply_picks(state, ["B", "C"], "remove")
    assert state == {"add": ["A"], "remove": ["B", "C"]}
    with pytest.raises(ValueError, match="add"):
        region.apply_picks(state, ["A"], "toggle")


def test_picks_add_and_remove_occurrences(cat):
    occ = cat.occurrences
    province = occ["province_geo"].where(occ["province_geo"].notna(), occ["province"])
    bal = occ.loc[province == "Balochistan", "id"]  # unmapped rows by their stated province
    kp = occ.loc[province == "Khyber Pakhtunkhwa", "id"]
    drop, extra = str(bal.iloc[0]), str(kp.iloc[0])
    at = _page(state={"_mm_region_picks": {"add": [extra], "remove": [drop]}})
    at.multiselect(key="rg_prov").set_value(["Balochistan"]).run()
    _ok(at)
    expected = (set(bal) | {extra}) - {drop}
    assert _ids(at) == expected
    assert "+ 1 picked − 1 removed" in _sentence(at)
    picks_md = next(m.value for m in at.markdown if m.value.startswith("**Added:**"))
    assert extra in picks_md and drop in picks_md
    at.button(key="rg_clear").click().run()
    _ok(at)
    assert _ids(at) == set(bal)
    assert at.session_state["_mm_region_picks"] == {"add": [], "remove": []}


# ---------------------------------------------------------------------------- export


def test_empty_selection_needs_confirmation(cat):
    at = _page()
    at.checkbox(key="rg_bbox_on").check()
    for key, v in (("rg_w", 61.0), ("rg_s", 24.0), ("rg_e", 61.5), ("rg_n", 24.5)):
        at.number_input(key=key).set_value(v)
    at.run()
    _ok(at)
    assert _selected(at) == 0
    assert list(at.dataframe[0].value.columns) == ["province", "Sb", "REE", "other"]
    assert any("No occurrences are selected" in w.value for w in at.warning)
    assert _downloads(at) == []
    at.checkbox(key="rg_allow_empty").check().run()
    _ok(at)
    assert _downloads(at) == list(TOTAL_KEYS)


def test_download_buttons_and_file_names(cat):
    at = _page({"province": "Balochistan", "commodity": "Sb"})
    labels = {b.key: b.label for b in at.get("download_button")}
    assert labels == {"dl_geojson": "Download GeoJSON", "dl_csv": "Download CSV",
                      "dl_gpkg": "Download GeoPackage", "dl_kml": "Download KML"}
    today = dt.datetime.now(dt.UTC).date().isoformat()
    files = next(c.value for c in at.caption if c.value.startswith("Files:"))
    assert re.search(rf"`mineralmap_balochistan_sb_{today}\.\*`", files), files
    assert f"{_selected(at)} occurrence(s)" in files


# ---------------------------------------------------------------------------- real data


def test_region_smoke_on_real_data(use_real_cache):
    at = _page()
    total = _selected(at)
    assert total > 0 and _sentence(at) == f"All {total} occurrences"
    assert len(_ids(at)) == total
    assert set(_downloads(at)) == set(TOTAL_KEYS)
    assert len(at.get("deck_gl_json_chart")) >= 1


# ---------------------------------------------------------------------------- issue 14: links


def _query(at: AppTest) -> dict[str, str]:
    return {k: at.query_params[k][-1] if isinstance(at.query_params[k], list)
            else at.query_params[k] for k in at.query_params}


def _infos(at: AppTest) -> str:
    return " ".join(i.value for i in at.info)


def test_region_link_restores_district_commodity_and_box(cat):
    occ = cat.occurrences
    box = (66.0, 28.0, 70.0, 32.0)
    w, s, e, n = box
    in_box = occ[occ["mapped"].astype(bool) & occ["lon"].between(w, e)
                 & occ["lat"].between(s, n)].dropna(subset=["district_geo"])
    district, commodity = (str(v) for v in in_box[["district_geo", "commodity_group"]].iloc[0])
    at = _page({"commodity": commodity, "rdist": district, "rbox": "66,28,70,32"})
    assert at.multiselect(key="rg_dist").value == [district]
    assert at.checkbox(key="rg_bbox_on").value
    assert (at.number_input(key="rg_w").value, at.number_input(key="rg_n").value) == (66.0, 32.0)
    expected = set(occ.loc[(occ["district_geo"] == district)
                           & (occ["commodity_group"] == commodity)
                           & occ["lon"].between(w, e) & occ["lat"].between(s, n), "id"])
    assert expected and _ids(at) == expected
    assert not at.warning and not at.error
    # the link states the region, so copying it restores the same page
    q = _query(at)
    assert q["rdist"] == district and q["rbox"] == "66,28,70,32" and q["commodity"] == commodity
    again = _page(q)
    assert _ids(again) == expected and _sentence(again) == _sentence(at)
    # the share hint says what a link cannot carry
    assert any("Share:" in c.value and "uploaded polygon cannot travel" in c.value
               for c in at.caption)


def test_region_link_radius_and_picks_round_trip(cat):
    occ = cat.occurrences
    keep = [str(i) for i in occ["id"]][:2]
    at = _page({"rradius": "300", "rcentre": "port:Gwadar", "rremove": keep[0]})
    gwadar_km = occ["port_gwadar_km"].to_numpy(float)
    expected = set(occ.loc[gwadar_km <= 300, "id"]) - {keep[0]}
    assert _ids(at) == expected
    assert at.selectbox(key="rg_centre_port").value == "Gwadar"
    q = _query(at)
    assert (q["rradius"], q["rcentre"], q["rremove"]) == ("300", "port:Gwadar", keep[0])
    # switching the radius off removes it from the link
    at.checkbox(key="rg_rad_on").uncheck().run()
    _ok(at)
    assert "rradius" not in _query(at) and "rcentre" not in _query(at)


def test_bad_region_link_values_are_noted_and_removed(cat):
    at = _page({"rprov": "Atlantis", "rbox": "71,28,70,32", "rcentre": "x", "rradius": "50",
                "bogus": "1"})
    text = _infos(at)
    assert "Some link parameters were ignored" in text
    assert "Atlantis" in text and "west (71)" in text and "bogus" in text
    assert _selected(at) == len(cat.occurrences)
    q = _query(at)
    assert not {"rprov", "rbox", "rcentre", "rradius", "bogus"} & set(q)


def test_district_outside_the_filter_province_is_reported(cat):
    occ = cat.occurrences
    by_prov = occ.dropna(subset=["district_geo"]).groupby("province_geo")["district_geo"].first()
    (p0, _d0), (_p1, d1) = list(by_prov.items())[:2]
    at = _page({"province": p0, "district": d1})
    assert d1 in _infos(at) and "not in" in _infos(at)
    assert at.sidebar.multiselect(key="flt_districts").value == []
    assert "district" not in _query(at)


def test_oversize_upload_and_polygon_outside_pakistan_are_said_in_the_page(cat):
    at = _page()
    big = b" " * (region.MAX_UPLOAD_MB * 1_000_000 + 10)
    at.get("file_uploader")[0].set_value(("big.geojson", big, "application/geo+json")).run()
    _ok(at)
    assert "big.geojson is 5.0 MB; the limit is 5 MB" in _errors(at)
    at.get("file_uploader")[0].set_value(
        ("alps.geojson", _box_geojson(10, 45, 11, 46), "application/geo+json")).run()
    _ok(at)
    assert not at.success
    assert any("alps.geojson lies outside Pakistan" in w.value for w in at.warning)
    assert _selected(at) == 0


def test_file_contents_caption_matches_the_selection(cat):
    at = _page()
    occ = cat.occurrences
    n, mapped = len(occ), int(occ["mapped"].astype(bool).sum())
    assert 0 < mapped < n
    files = next(c.value for c in at.caption if c.value.startswith("Files:"))
    assert f"GeoJSON and CSV: all {n} occurrence(s) ({n - mapped} without coordinates" in files
    assert f"GeoPackage and KML: the {mapped} with coordinates" in files
    helps = {b.key: b.help for b in at.get("download_button")}
    assert helps["dl_csv"].startswith(f"{n} occurrence(s)")
    assert helps["dl_kml"].startswith(f"{mapped} occurrence(s)")
