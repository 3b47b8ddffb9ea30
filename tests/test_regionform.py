"""The region form without widgets: modes checked alone, uploads never raise, a region that
cannot be applied falls back to the filter."""

from __future__ import annotations

import io
import json
import sqlite3

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from mineralmap import export, params, regionform, selection
from mineralmap.filters import FilterSpec
from mineralmap.regions import RegionSpec
from mineralmap.summary import md_escape
from tests._mdcheck import unescaped


def _box(w: float, s: float, e: float, n: float) -> bytes:
    ring = [[w, s], [e, s], [e, n], [w, n], [w, s]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]}).encode()


def test_check_mode_reports_and_drops_only_the_bad_mode():
    kw, err = regionform.check_mode("Bounding box", {"bbox": (66, 28, 70, 32)})
    assert kw == {"bbox": (66, 28, 70, 32)} and err is None
    kw, err = regionform.check_mode("Bounding box", {"bbox": (71, 28, 70, 32)})
    assert kw == {} and err.startswith("Bounding box ignored: ")
    kw, err = regionform.check_mode("Radius", {"center_lonlat": (34.0, 71.5), "radius_km": 50})
    assert kw == {} and err.startswith("Radius ignored: ")


def test_parse_upload_messages():
    kw, msgs = regionform.parse_upload(_box(66, 28, 67, 29), "ok.geojson")
    assert kw["polygon_label"] == "ok.geojson" and kw["polygon"].bounds == (66, 28, 67, 29)
    assert msgs == []
    kw, msgs = regionform.parse_upload(b'{"type": "Feature', "broken.geojson")
    assert kw == {} and msgs[0][0] == "error" and "broken.geojson" in msgs[0][1]

    def crashing(content: bytes, name: str):
        raise RuntimeError("boom")

    kw, msgs = regionform.parse_upload(b"", "x.kml", parser=crashing)
    assert kw == {} and msgs[0][0] == "error"
    assert msgs[0][1].startswith("Upload ignored: x.kml could not be read (unexpected RuntimeError)")
    assert "boom" not in msgs[0][1]

    def noted(content: bytes, name: str):
        geom, _ = regionform.parse_region_file(_box(66, 28, 67, 29), "a.geojson")
        return geom, ["repaired"]

    assert regionform.parse_upload(b"", "a.geojson", parser=noted)[1] == [("info", "repaired")]


@settings(deadline=None)
@given(hs.binary(max_size=300),
       hs.sampled_from(["a.geojson", "a.json", "a.kml", "a.zip", "a.txt"]))
def test_any_upload_is_a_message_never_an_exception(content, name):
    kw, msgs = regionform.parse_upload(content, name)
    assert (kw and all(level in ("info", "warning") for level, _ in msgs)) or (
        kw == {} and len(msgs) == 1 and msgs[0][0] == "error")


def test_select_or_filter_falls_back(enriched, layers):
    spec = FilterSpec()
    sel, msg = regionform.select_or_filter(enriched, layers, spec,
                                           RegionSpec(provinces=("Balochistan",)))
    assert msg is None and len(sel.rows) > 0

    # a radius around a centre that is no port, town or occurrence cannot be applied
    bad = RegionSpec(center="Atlantis", radius_km=50, add_ids=("REE-002",))
    sel, msg = regionform.select_or_filter(enriched, layers, spec, bad)
    assert msg.startswith("The region could not be applied (") and "Atlantis" in msg
    assert msg.endswith("); showing the filtered occurrences.")
    expected = selection.select(enriched, layers, spec, RegionSpec(add_ids=("REE-002",)))
    assert list(sel.rows["id"]) == list(expected.rows["id"])


def test_unexpected_parser_failure_message_has_no_raw_text():
    def parser(content: bytes, name: str):
        raise OSError("/tmp/mineralmap_upload_x/upload.shp: not recognized")

    kw, msgs = regionform.parse_upload(b"x", "area.zip", parser)
    assert kw == {} and msgs[0][0] == "error"
    assert "/tmp" not in msgs[0][1] and "area.zip" in msgs[0][1]


# ---------------------------------------------------------------------------- issue 14


def test_oversize_upload_is_refused_before_parsing_with_its_size():
    calls = []

    def parser(content: bytes, name: str):
        calls.append(name)
        raise AssertionError("not reached")

    big = b" " * (regionform.MAX_UPLOAD_BYTES + 1)
    kw, msgs = regionform.parse_upload(big, "big.geojson", parser)
    assert kw == {} and calls == []
    assert msgs == [("error", f"Upload ignored: big.geojson is {len(big) / 1e6:.1f} MB; the limit "
                              f"is {regionform.MAX_UPLOAD_MB} MB. Simplify the polygon or zip the "
                              "shapefile.")]
    assert regionform.UPLOADER_LIMIT_MB > regionform.MAX_UPLOAD_MB


def test_polygon_outside_pakistan_is_a_warning():
    kw, msgs = regionform.parse_upload(_box(10, 45, 11, 46), "alps.geojson")
    assert kw["polygon_label"] == "alps.geojson"  # still applied: it selects nothing
    assert [lvl for lvl, _ in msgs] == ["warning"]
    assert "alps.geojson lies outside Pakistan" in msgs[0][1]
    # lat/lon swapped: also outside
    kw, msgs = regionform.parse_upload(_box(28, 66, 29, 67), "swapped.geojson")
    assert msgs and msgs[0][0] == "warning"
    # inside: no warning
    assert regionform.parse_upload(_box(66, 28, 67, 29), "ok.geojson")[1] == []


def _world(enriched, layers):
    names = selection.admin_names(layers)
    centres = selection.centre_choices(layers, enriched)
    ids = set(enriched["id"].astype(str))
    return names, centres, ids


@pytest.fixture
def world(enriched, layers):
    """:func:`_world` once per test (a property test's examples share it: it is read only)."""
    return _world(enriched, layers)


def test_region_form_round_trips_through_a_link(enriched, layers):
    names, centres, ids = _world(enriched, layers)
    port = next(iter(centres["ports"]))
    occ_ids = sorted(ids)
    forms = [
        regionform.RegionForm(),
        regionform.RegionForm(provinces=tuple(names["provinces"][:1]),
                              districts=tuple(names["districts"][-1:]),
                              tehsils=tuple(names["tehsils"][:1]),
                              bbox=(66.0, 28.0, 70.5, 32.25)),
        regionform.RegionForm(radius_km=250.0, centre_kind="port", centre=port,
                              add_ids=tuple(occ_ids[:1]), remove_ids=tuple(occ_ids[1:3])),
        regionform.RegionForm(radius_km=100.0, centre_kind="lon/lat",
                              centre_lonlat=(68.5, 29.5)),
    ]
    for form in forms:
        query = {k: [v] for k, v in form.to_params().items()}
        assert set(query) <= set(params.REGION_PARAMS)
        back, notes = regionform.form_from_params(query, names, centres, ids)
        assert notes == [] and back == form, (form, query)


def test_region_link_notes_every_ignored_value(enriched, layers):
    names, centres, ids = _world(enriched, layers)
    query = {"rprov": "Atlantis," + names["provinces"][0], "rbox": "71,28,70,32",
             "rradius": "100", "rcentre": "port:Nowhere", "radd": "NOPE"}
    form, notes = regionform.form_from_params(query, names, centres, ids)
    assert form == regionform.RegionForm(provinces=(names["provinces"][0],))
    text = " | ".join(notes)
    assert len(notes) == 4
    assert "'Atlantis'" in text and "'Nowhere'" in text and "'NOPE'" in text
    assert "west (71) must be less than east" in text
    for query, word in (({"rbox": "1,2"}, "west,south,east,north"),
                        ({"rradius": "5000", "rcentre": "66,28"}, "1 to 2000"),
                        ({"rradius": "50"}, "no centre"),
                        ({"rradius": "50", "rcentre": "34,71"}, "lat,lon instead of lon,lat"),
                        ({"rradius": "50", "rcentre": "x"}, "port:NAME")):
        form, notes = regionform.form_from_params(query, names, centres, ids)
        assert form == regionform.RegionForm() and len(notes) == 1 and word in notes[0], notes


_region_keys = hs.sampled_from([*params.REGION_PARAMS, "other"])
_region_values = hs.one_of(
    hs.text(max_size=40),
    hs.lists(hs.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=5).map(
        lambda xs: ",".join(map(str, xs))),
    hs.sampled_from(["port:Gwadar", "town:Quetta", "occurrence:Sb-001", "66.9,30.1",
                     "Balochistan", "Sb-001,Sb-004"]),
)


@settings(deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # read-only fixtures
@given(hs.dictionaries(_region_keys, hs.one_of(_region_values, hs.lists(_region_values,
                                                                         max_size=3)),
                       max_size=8))
def test_any_region_link_gives_a_valid_form(world, raw):
    names, centres, ids = world
    form, notes = regionform.form_from_params(raw, names, centres, ids)
    assert set(form.provinces) <= set(names["provinces"])
    assert set(form.add_ids) <= ids and set(form.remove_ids) <= ids
    kw = {"bbox": form.bbox} if form.bbox else {}
    if form.radius_km is not None:
        kw["radius_km"] = form.radius_km
        kw.update({"center_lonlat": form.centre_lonlat} if form.centre_lonlat
                  else {"center": form.centre})
    RegionSpec(**kw)  # every part that survived is a valid region
    assert all(isinstance(n, str) and n and not unescaped(md_escape(n)) for n in notes)
    back, more = regionform.form_from_params(
        {k: [v] for k, v in form.to_params().items()}, names, centres, ids)
    assert back == form and more == []


def _gpkg_rows(data: bytes, tmp_path) -> int:
    path = tmp_path / "x.gpkg"
    path.write_bytes(data)
    with sqlite3.connect(path) as con:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM gpkg_contents WHERE data_type = 'features'")]
        occ = [t for t in tables if "region" not in t]
        assert len(occ) == 1, tables
        return int(con.execute(f'SELECT COUNT(*) FROM "{occ[0]}"').fetchone()[0])


def _kml_rows(data: bytes) -> int:
    text = data.decode("utf-8")
    return text.count("<Placemark") - text.count("<name>region</name>")


@pytest.mark.parametrize("with_region", [False, True])
def test_file_contents_match_the_written_files(enriched, layers, tmp_path, with_region):
    region = RegionSpec(provinces=("Balochistan",)) if with_region else RegionSpec()
    sel = selection.select(enriched, layers, FilterSpec(), region)
    contents = regionform.file_contents(sel.rows)
    assert contents.total == len(sel.rows)
    assert 0 < contents.mapped < contents.total, "the toy world has an unmapped row"
    files = {fmt: export.export_selection(
        sel.rows, fmt, region=sel.region, spec_sentence=sel.filter_sentence,
        region_description=sel.region_description, attributions=[], app_version="t")[0]
        for fmt in ("geojson", "csv", "gpkg", "kml")}
    doc = json.loads(files["geojson"])
    n_geojson = sum(f["properties"].get("feature_type") == "occurrence" for f in doc["features"])
    n_csv = len(pd.read_csv(io.BytesIO(files["csv"])))
    got = {"geojson": n_geojson, "csv": n_csv, "gpkg": _gpkg_rows(files["gpkg"], tmp_path),
           "kml": _kml_rows(files["kml"])}
    assert got == {fmt: contents.rows(fmt) for fmt in got}
    sentence = contents.sentence({"geojson": "GeoJSON", "csv": "CSV", "gpkg": "GeoPackage",
                                  "kml": "KML"})
    assert f"GeoJSON and CSV: all {contents.total}" in sentence
    assert f"GeoPackage and KML: the {contents.mapped} with coordinates" in sentence
    assert f"{contents.unmapped} without coordinates" in sentence


def test_file_contents_of_empty_and_fully_mapped(enriched):
    assert regionform.file_contents(enriched.iloc[:0]) == regionform.FileContents(0, 0)
    mapped = enriched[enriched.geometry.notna() & ~enriched.geometry.is_empty]
    c = regionform.file_contents(mapped)
    assert c.unmapped == 0 and c.sentence({"csv": "CSV"}) == f"Every file: all {len(mapped)} occurrence(s)."
