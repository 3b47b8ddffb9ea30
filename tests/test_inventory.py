"""Upload reading, column mapping, every validation rule, and the publish plan.

Small files built in the tests; the toy provinces of tests/toy_world.py (Balochistan = lon 64..67,
Khyber Pakhtunkhwa = lon 67..70, lat 28..31) stand in for the province polygons.
"""

from __future__ import annotations

import io
import json
import math

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from mineralmap import inventory as inv
from mineralmap import store
from mineralmap.schema import OCCURRENCE_COLUMNS

HEADER = "id,name,commodity,province,lon,lat,precision,precision_km,source_title,source_url"


def _csv(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def _good(i: int, lon: float = 65.5, lat: float = 29.5, name: str | None = None) -> str:
    return (f"N-{i},{name or f'Site {i}'},Sb,Balochistan,{lon},{lat},locality,2,"
            f"Report {i},https://example.org/{i}")


@pytest.fixture
def existing() -> pd.DataFrame:
    row = {c: "" for c in OCCURRENCE_COLUMNS}
    row.update(id="OLD-1", name="Koh Alpha antimony deposit", commodity="Sb",
               province="Balochistan", lon="65.0", lat="29.0", precision="approximate",
               precision_km="5.0", source_title="Old report", source_url="https://example.org/o")
    other = dict(row, id="OLD-2", name="Far away", lon="68.5", lat="30.5", precision_km="1.0")
    return store.records_frame(pd.DataFrame([row, other]))


def _report(data: bytes, existing=None, provinces=None, name="up.csv", **mapping) -> inv.Report:
    up = inv.read_upload(data, name)
    m = inv.auto_mapping(up.columns)
    m.update(mapping)
    return inv.validate(up, m, existing, provinces)


def _checks(rep: inv.Report, row: int) -> dict[str, str]:
    p = rep.problems.loc[rep.problems["row"] == row]
    return dict(zip(p["check"], p["severity"], strict=False))


# ------------------------------------------------------------------------------- mapping


def test_own_schema_maps_itself():
    m = inv.auto_mapping(list(OCCURRENCE_COLUMNS))
    assert m == {c: c for c in OCCURRENCE_COLUMNS}


@pytest.mark.parametrize("lon,lat", [("longitude", "latitude"), ("x", "y"), ("long", "lat"),
                                     ("lng", "lat"), ("Longitude", "Latitude"),
                                     ("LONG_DD", "LAT_DD")])
def test_coordinate_columns_detected(lon, lat):
    m = inv.auto_mapping(["Site ID", "Site name", lon, lat, "Reference"])
    assert (m["lon"], m["lat"]) == (lon, lat)
    assert m["id"] == "Site ID" and m["name"] == "Site name" and m["source_title"] == "Reference"


def test_mapping_errors():
    with pytest.raises(inv.InventoryError, match="id"):
        inv.check_mapping({"name": "a"}, ["a"])
    with pytest.raises(inv.InventoryError, match="more than one"):
        inv.check_mapping({"id": "a", "name": "a"}, ["a"])
    with pytest.raises(inv.InventoryError, match="no column"):
        inv.check_mapping({"id": "a", "name": "zzz"}, ["a"])


# ------------------------------------------------------------------------------- coordinates


@pytest.mark.parametrize("text,axis,expected", [
    ("30°52'53\"N", "lat", 30 + 52 / 60 + 53 / 3600),
    ("66°30′00″E", "lon", 66.5),
    ("30 52 53 N", "lat", 30 + 52 / 60 + 53 / 3600),
    ("N 30°52.5'", "lat", 30.875),
    ("12°30'S", "lat", -12.5),
    ("-66.25", "lon", -66.25),
    (" 66.25 ", "lon", 66.25),
    (66, "lon", 66.0),
    (None, "lon", None),
    ("", "lat", None),
])
def test_parse_coordinate(text, axis, expected):
    got = inv.parse_coordinate(text, axis)
    assert got == expected if expected is None else math.isclose(got, expected, abs_tol=1e-9)


@pytest.mark.parametrize("value,axis,match", [
    (True, "lon", "not a coordinate"), (float("nan"), "lon", "finite"),
    (float("inf"), "lat", "finite"), ("abc", "lon", "not a coordinate"),
    ("30°61'N", "lat", "below 60"), ("66°E", "lat", "columns swapped"),
    ("95", "lat", "outside"), ("200", "lon", "outside"), ("N30S", "lat", "two hemisphere"),
])
def test_parse_coordinate_rejects(value, axis, match):
    with pytest.raises(inv.CoordinateError, match=match):
        inv.parse_coordinate(value, axis)


# ------------------------------------------------------------------------------- file formats


def test_dms_csv_end_to_end(provinces):
    data = _csv("D-1,DMS site,Sb,Balochistan,65°30'00\"E,29°30'00\"N,surveyed,0.5,R,https://x.org",
                header=HEADER)
    rep = _report(data, provinces=provinces)
    assert rep.ok, rep.problems
    assert float(rep.rows["lon"].iat[0]) == 65.5 and float(rep.rows["lat"].iat[0]) == 29.5


def test_semicolon_csv_and_cp1252():
    data = "id;name;lon;lat\nA;Qila Sa\xeff;65.5;29.5\n".encode("cp1252")
    up = inv.read_upload(data, "x.csv")
    assert up.columns == ["id", "name", "lon", "lat"]
    assert any("Windows-1252" in n for n in up.notes)


def test_xlsx(provinces):
    import openpyxl  # imported here: collection on every xdist worker does not pay for it

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Site ID", "Site name", "Commodity", "Longitude", "Latitude", "Precision",
               "precision_km", "Source", "URL"])
    ws.append(["X-1", "Excel site", "Sb", 65.5, 29.5, "locality", 2, "GSP report", "https://g.pk"])
    ws.append(["X-2", "Excel swapped", "Sb", 29.5, 65.5, "locality", 2, "GSP", "https://g.pk"])
    ws.append(["X-3", "Excel bool", "Sb", True, 29.5, "locality", 2, "GSP", "https://g.pk"])
    buf = io.BytesIO()
    wb.save(buf)
    rep = _report(buf.getvalue(), provinces=provinces, name="gsp.xlsx")
    assert list(rep.rows["row"]) == [2, 3, 4]
    assert _checks(rep, 2) == {}
    assert rep.rows["id"].tolist() == ["X-1", "X-2", "X-3"]
    assert _checks(rep, 3)["lat/lon swapped"] == "error"
    assert _checks(rep, 4)["unparseable coordinate"] == "error"


def test_geojson_points():
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [65.5, 29.5]},
         "properties": {"id": "G-1", "name": "Geo"}},
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
         "properties": {"id": "G-2", "name": "Line"}},
    ]}
    up = inv.read_upload(json.dumps(fc).encode(), "a.geojson")
    m = inv.auto_mapping(up.columns)
    assert (m["lon"], m["lat"]) == (inv.GEOM_LON, inv.GEOM_LAT)
    rep = inv.validate(up, m)
    assert float(rep.rows["lon"].iat[0]) == 65.5
    assert _checks(rep, 2)["missing coordinate"] == "warning"
    assert any("not a Point" in n for n in up.notes)


def test_geopackage(tmp_path):
    gdf = gpd.GeoDataFrame({"id": ["P-1"], "name": ["Gpkg site"]},
                           geometry=[Point(65.5, 29.5)], crs="EPSG:4326")
    path = tmp_path / "a.gpkg"
    gdf.to_file(path, driver="GPKG")
    up = inv.read_upload(path.read_bytes(), "a.gpkg")
    rep = inv.validate(up, inv.auto_mapping(up.columns))
    assert (float(rep.rows["lon"].iat[0]), float(rep.rows["lat"].iat[0])) == (65.5, 29.5)


@pytest.mark.parametrize("data,name,match", [
    (b"", "a.csv", "empty"), (b"x" * (inv.MAX_UPLOAD_BYTES + 1), "a.csv", "limit"),
    (b"\x00\x01", "a.bin", "unsupported"), (b"{not json", "a.geojson", "GeoJSON"),
    (b"PK\x03\x04garbage", "a.xlsx", "xlsx"), (b"not sqlite", "a.gpkg", "GeoPackage"),
    (b"id,name\n", "a.csv", "no data rows"),
])
def test_unreadable_uploads(data, name, match):
    with pytest.raises(inv.InventoryError, match=match):
        inv.read_upload(data, name)


def test_row_limit():
    data = ("id,name\n" + "a,b\n" * (inv.MAX_ROWS + 1)).encode()
    with pytest.raises(inv.InventoryError, match="rows"):
        inv.read_upload(data, "big.csv")


# ------------------------------------------------------------------------------- rules


def test_every_rule(provinces, existing):
    data = _csv(
        _good(1),                                                   # row 2 clean
        "N-2,No coords,Sb,Balochistan,,,locality,2,R,https://x",    # row 3 missing coordinate
        "N-3,Bad,Sb,Balochistan,abc,29.5,locality,2,R,https://x",   # row 4 unparseable
        _good(4, lon=10, lat=10),                                   # row 5 outside Pakistan
        _good(5, lon=29.5, lat=65.5),                               # row 6 swapped
        "N-6,Wrong prov,Sb,Khyber Pakhtunkhwa,65.5,29.5,locality,2,R,https://x",  # row 7
        "N-7,Odd,Unobtainium,Balochistan,65.5,29.5,locality,2,R,https://x",        # row 8
        "N-8,Odd prec,Sb,Balochistan,65.5,29.5,roughly,2,R,https://x",             # row 9
        "N-9,No source,Sb,Balochistan,65.5,29.5,locality,2,,",                     # row 10
        _good(10), _good(10),                                       # rows 11, 12 duplicate id
        "N-11,Koh Alpha,Sb,Balochistan,65.02,29.0,locality,1,R,https://x",         # row 13 dup
        "N-12,Far,Sb,Balochistan,65.5,29.5,locality,900,R,https://x",             # row 14 km
        "N-13,Prov spelling,antimony,NWFP,68.5,29.5,locality,2,R,https://x",      # row 15
        "N-14,Only lon,Sb,Balochistan,65.5,,locality,2,R,https://x",              # row 16
        "N-15,No pk,Sb,Balochistan,65.5,29.5,locality,,R,https://x",              # row 17
    )
    rep = _report(data, existing, provinces)
    assert _checks(rep, 2) == {}
    assert _checks(rep, 3) == {"missing coordinate": "warning"}
    assert _checks(rep, 4) == {"unparseable coordinate": "error"}
    assert _checks(rep, 5) == {"outside Pakistan": "error"}
    assert _checks(rep, 6) == {"lat/lon swapped": "error"}
    assert "Balochistan" in rep.problems.loc[rep.problems["row"] == 6, "message"].iat[0]
    assert _checks(rep, 7) == {"province mismatch": "warning"}
    assert _checks(rep, 8) == {"unknown commodity": "error"}
    assert _checks(rep, 9) == {"unknown precision class": "error"}
    assert _checks(rep, 10) == {"no source": "error"}
    assert _checks(rep, 11) == _checks(rep, 12) == {"duplicate id": "error"}
    assert _checks(rep, 13) == {"probable duplicate": "warning"}
    assert _checks(rep, 14) == {"implausible value": "error"}
    assert _checks(rep, 15) == {"province spelling": "info", "commodity spelling": "info"}
    assert rep.rows.loc[rep.rows["row"] == 15, ["province", "commodity"]].values.tolist() == \
        [["Khyber Pakhtunkhwa", "Sb"]]
    assert _checks(rep, 16) == {"missing coordinate": "error"}
    assert _checks(rep, 17) == {"missing precision_km": "error"}
    assert rep.error_rows == [4, 5, 6, 8, 9, 10, 11, 12, 14, 16, 17]
    d = rep.duplicates
    assert d[["row", "existing_id"]].values.tolist() == [[13, "OLD-1"]]
    assert d["distance_km"].iat[0] <= d["radius_km"].iat[0] == 5.0
    assert set(rep.problems.columns) == set(inv.PROBLEM_COLUMNS)


def test_outside_pakistan_without_polygons_uses_the_bbox():
    rep = _report(_csv(_good(1, lon=80.0, lat=29.0), _good(2, lon=69.0, lat=30.0)))
    assert _checks(rep, 2) == {"outside Pakistan": "error"}
    assert _checks(rep, 3) == {}


def test_similar_names():
    assert inv.similar_names("Koh Alpha antimony deposit", "koh-alpha")
    assert inv.similar_names("Shah Dara", "Shahdara")
    assert not inv.similar_names("Koh Alpha", "Tor Ghar")
    assert not inv.similar_names("", "deposit")


def test_report_csv_is_safe_for_spreadsheets():
    rep = _report(_csv("=HYPERLINK(1),@cmd,Xx,Balochistan,65.5,29.5,locality,2,R,https://x"))
    text = rep.to_csv().decode()
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text


# ------------------------------------------------------------------------------- plans


def test_errors_block_until_excluded(provinces, existing):
    rep = _report(_csv(_good(1), _good(2, lon=29.5, lat=65.5)), existing, provinces)
    with pytest.raises(inv.InventoryError, match="row\\(s\\) 3 have errors"):
        inv.plan_publish(rep, existing)
    plan = inv.plan_publish(rep, existing, exclude=[3])
    assert plan.counts() == {"added": 1, "changed": 0, "removed": 0}
    assert plan.rows["id"].tolist() == ["OLD-1", "OLD-2", "N-1"]
    assert plan.excluded == (3,)
    with pytest.raises(inv.InventoryError, match="no row"):
        inv.plan_publish(rep, existing, exclude=[99])


def test_same_site_update_or_keep_both(provinces, existing):
    rep = _report(_csv("N-11,Koh Alpha,Sb,Balochistan,65.02,29.0,locality,1,R,https://x"),
                  existing, provinces)
    keep = inv.plan_publish(rep, existing)
    assert keep.counts() == {"added": 1, "changed": 0, "removed": 0}
    upd = inv.plan_publish(rep, existing, same_site={2: "update"})
    assert upd.counts() == {"added": 0, "changed": 1, "removed": 0}
    ch = upd.diff.iloc[0]
    assert ch["id"] == "OLD-1" and (ch["old_lon"], ch["new_lon"]) == (65.0, 65.02)
    with pytest.raises(inv.InventoryError):
        inv.plan_publish(rep, existing, same_site={2: "merge please"})


def test_replace_mode_removes_missing_rows(provinces, existing):
    rep = _report(_csv(_good(1)), existing, provinces)
    plan = inv.plan_publish(rep, existing, mode="replace")
    assert plan.counts() == {"added": 1, "changed": 0, "removed": len(existing)}


def test_plan_rows_pass_the_store_contract(provinces, existing, tmp_path):
    from mineralmap import auth
    from mineralmap.config import Settings

    db = store.open_store(Settings(cache_dir=tmp_path))
    cur = db.records()
    rep = _report(_csv(_good(1), _good(2, name="Other")), cur, provinces)
    plan = inv.plan_publish(rep, cur)
    v = db.publish(auth.cli_session("amina"), plan.rows, note="two new", source_name="up.csv",
                   source_sha256=rep.upload_sha256)
    assert (v.added, v.changed, v.removed) == (2, 0, 0)
    assert set(db.occurrences()["id"]) >= {"N-1", "N-2"}


# ------------------------------------------------------------------------------- properties

_cells = st.one_of(st.text(max_size=12), st.sampled_from(["30°52'53\"N", "66.5", "-1e309", "x",
                                                          "NaN", "inf", "", "Sb", "locality"]))


@settings(deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000), st.sampled_from(["a.csv", "a.xlsx", "a.geojson", "a.gpkg",
                                                   "a.bin", "a"]))
def test_read_upload_never_crashes(data, name):
    try:
        up = inv.read_upload(data, name)
    except inv.InventoryError:
        return
    assert len(up.table) == len(up.rows) <= inv.MAX_ROWS


@settings(deadline=3000, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(min_size=1, max_size=10), min_size=2, max_size=8, unique=True),
       st.lists(st.lists(_cells, min_size=8, max_size=8), min_size=1, max_size=6))
def test_mapping_and_validation_never_crash(header, rows):
    buf = io.StringIO()
    import csv as _csvmod

    w = _csvmod.writer(buf)
    w.writerow(header)
    for r in rows:
        w.writerow(r[:len(header)])
    try:
        up = inv.read_upload(buf.getvalue().encode(), "h.csv")
        m = inv.auto_mapping(up.columns)
        m.setdefault("id", None)
        if m["id"] is None:
            m["id"] = up.columns[0]
        if m["name"] is None:
            m["name"] = next(c for c in up.columns if c != m["id"])
        rep = inv.validate(up, m)
    except inv.InventoryError:
        return
    assert len(rep.rows) == len(up.rows)
    assert set(rep.problems["severity"]) <= set(inv.SEVERITIES)
    for c in ("lon", "lat"):
        vals = [float(v) for v in rep.rows[c] if v != ""]
        assert all(math.isfinite(v) for v in vals)


@settings(deadline=500)
@given(st.one_of(st.text(max_size=50), st.floats(), st.integers(), st.booleans(), st.none()),
       st.sampled_from(["lon", "lat"]))
def test_parse_coordinate_total(value, axis):
    try:
        got = inv.parse_coordinate(value, axis)
    except inv.CoordinateError:
        return
    assert got is None or (math.isfinite(got) and abs(got) <= (180 if axis == "lon" else 90))
