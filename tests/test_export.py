"""Exports: round trip of every format, RFC 7946 rules, metadata, names, empty selections."""

from __future__ import annotations

import io
import json
import math
import threading
from datetime import UTC, datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LinearRing, Point, shape

from mineralmap.errors import ExportError
from mineralmap.export import (
    FORMATS,
    MIME_TYPES,
    export_selection,
    suggest_filename,
    suggest_filenames,
)
from mineralmap.regions import RegionSpec

WHEN = datetime(2026, 11, 22, 10, 30, tzinfo=UTC)
ATTRIBUTIONS = [
    {"layer": "ports", "title": "World Port Index", "licence": "public domain",
     "attribution": "NGA", "url": "https://msi.nga.mil/Publications/WPI"},
    {"layer": "roads", "title": "OpenStreetMap roads", "licence": "ODbL 1.0",
     "attribution": "© OpenStreetMap contributors", "url": "https://www.openstreetmap.org"},
]


@pytest.fixture
def selection(enriched) -> gpd.GeoDataFrame:
    """All toy occurrences, points moved off the 0.1° grid so that rounding matters."""
    g = enriched.copy()
    jitter = np.array([0.123456789, 0.000000449, 0.987654321, 0.0])
    mapped = g.geometry.notna().to_numpy()
    xs = np.where(mapped, g["lon"].fillna(0) + jitter, np.nan)
    ys = np.where(mapped, g["lat"].fillna(0) + jitter / 2, np.nan)
    g["lon"], g["lat"] = xs, ys
    g = g.set_geometry(
        [Point(x, y) if m else None for x, y, m in zip(xs, ys, mapped, strict=True)], crs=g.crs
    )
    g["ore_tonnage_t"] = [26000.0, np.inf, np.nan, np.nan]  # a non-finite value must become null
    return g


@pytest.fixture
def region(layers, enriched):
    spec = RegionSpec(center="Gwadar", radius_km=400, provinces=("Balochistan", "Khyber Pakhtunkhwa"))
    return spec.geometry(layers, enriched), spec.describe()


def _export(sel, fmt, region=None, desc="", **kw):
    return export_selection(
        sel, fmt, region=region, spec_sentence="4 occurrences", region_description=desc,
        attributions=ATTRIBUTIONS, app_version="9.9.9", generated_at=WHEN, **kw,
    )


def _attr_columns(sel: gpd.GeoDataFrame) -> list[str]:
    return [c for c in sel.columns if c != sel.geometry.name]


def _assert_attributes_equal(expected: pd.DataFrame, got: pd.DataFrame, columns) -> None:
    """Compare attribute columns across formats (missing values and '' are the same thing)."""
    for c in columns:
        a = expected[c].reset_index(drop=True)
        b = got[c].reset_index(drop=True)
        if pd.api.types.is_bool_dtype(a.dtype):
            truth = [bool(v == 1) or str(v).lower() in ("true", "1") for v in b]
            assert truth == a.tolist(), c
        elif pd.api.types.is_numeric_dtype(a.dtype):
            av = a.to_numpy(dtype=float, na_value=np.nan)
            av = np.where(np.isfinite(av), av, np.nan)
            bv = pd.to_numeric(b, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            np.testing.assert_allclose(bv, av, rtol=1e-12, equal_nan=True, err_msg=c)
        else:
            def norm(s):
                return ["" if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA
                        else str(v) for v in s]
            assert norm(b) == norm(a), c


def _assert_points_equal(expected: gpd.GeoDataFrame, got_geoms) -> None:
    exp = expected.geometry.reset_index(drop=True)
    got = gpd.GeoSeries(list(got_geoms)).reset_index(drop=True)
    assert len(exp) == len(got)
    for e, g in zip(exp, got, strict=True):
        if e is None:
            assert g is None or g.is_empty
        else:
            assert abs(e.x - g.x) <= 1e-6 and abs(e.y - g.y) <= 1e-6


# ---------------------------------------------------------------------- GeoJSON


def test_geojson_round_trip(selection, region):
    geom, desc = region
    data, mime, name = _export(selection, "geojson", geom, desc)
    assert mime == "application/geo+json"
    assert name.endswith("_2026-11-22.geojson")
    back = gpd.read_file(io.BytesIO(data))
    occ = back[back["feature_type"] == "occurrence"].reset_index(drop=True)
    assert occ["id"].tolist() == selection["id"].tolist()
    _assert_points_equal(selection, occ.geometry)
    _assert_attributes_equal(selection, occ, _attr_columns(selection))
    reg = back[back["feature_type"] == "region"]
    assert len(reg) == 1
    assert shapely.hausdorff_distance(reg.geometry.iloc[0], geom) < 1e-5


def _walk_positions(coords):
    if isinstance(coords[0], int | float):
        yield coords
    else:
        for c in coords:
            yield from _walk_positions(c)


def test_geojson_follows_rfc7946(selection, region):
    geom, desc = region
    data, _, _ = _export(selection, "geojson", geom, desc)

    def reject(const):
        raise AssertionError(f"non-JSON constant {const}")

    fc = json.loads(data, parse_constant=reject)
    assert fc["type"] == "FeatureCollection"
    assert "crs" not in fc
    assert all(f["type"] == "Feature" and "crs" not in f for f in fc["features"])
    n_region = 0
    for f in fc["features"]:
        g = f["geometry"]
        if g is None:
            assert f["properties"]["feature_type"] == "occurrence"
            continue
        for pos in _walk_positions(g["coordinates"]):
            assert len(pos) == 2
            lon, lat = pos
            assert -180 <= lon <= 180 and -90 <= lat <= 90
            assert round(lon, 6) == lon and round(lat, 6) == lat
        if g["type"] in ("Polygon", "MultiPolygon"):
            n_region += 1
            assert f["properties"]["feature_type"] == "region"
            polys = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
            for rings in polys:
                for i, ring in enumerate(rings):
                    assert ring[0] == ring[-1] and len(ring) >= 4  # closed
                    # RFC 7946 §3.1.6: exterior counter-clockwise, holes clockwise
                    assert LinearRing(ring).is_ccw == (i == 0)
            assert shape(g).is_valid
    assert n_region == 1
    # unmapped row: geometry null; non-finite attribute: null
    unmapped = [f for f in fc["features"] if f["properties"].get("id") == "Sb-004"]
    assert unmapped[0]["geometry"] is None
    ree = [f for f in fc["features"] if f["properties"].get("id") == "REE-002"][0]
    assert ree["properties"]["ore_tonnage_t"] is None
    assert ree["properties"]["port_nearest_km"] == 347.0


def test_geojson_metadata(selection, region):
    geom, desc = region
    fc = json.loads(_export(selection, "geojson", geom, desc)[0])
    meta = fc["metadata"]
    assert meta["filter"] == "4 occurrences"
    assert meta["region"] == desc
    assert meta["counts"] == {"total": 4, "mapped": 3, "unmapped": 1,
                              "by_commodity": {"REE": 1, "Sb": 2, "other": 1}}
    assert meta["generated_utc"] == "2026-11-22T10:30:00Z"
    assert meta["app_version"] == "9.9.9"
    assert meta["attributions"] == ATTRIBUTIONS


def test_geojson_properties_match_geopandas(enriched):
    """The fast writer agrees with GeoDataFrame.to_json on attribute values."""
    mapped = enriched[enriched.geometry.notna()]
    ours = json.loads(_export(mapped, "geojson")[0])["features"]
    ref = json.loads(mapped.to_json(na="null"))["features"]
    assert len(ours) == len(ref)
    for o, r in zip(ours, ref, strict=True):
        props = dict(o["properties"])
        assert props.pop("feature_type") == "occurrence"
        assert props == r["properties"]
        assert o["geometry"] == r["geometry"]


# ---------------------------------------------------------------------- CSV, GPKG, KML


def test_csv_round_trip(selection):
    data, mime, name = _export(selection, "csv")
    assert mime == "text/csv" and name.endswith(".csv")
    back = pd.read_csv(io.BytesIO(data), keep_default_na=True)
    assert back["id"].tolist() == selection["id"].tolist()
    assert "geometry" not in back.columns
    mapped = selection.geometry.notna().to_numpy()
    np.testing.assert_allclose(back["lon"][mapped], selection.geometry.x[mapped], atol=1e-6)
    np.testing.assert_allclose(back["lat"][mapped], selection.geometry.y[mapped], atol=1e-6)
    assert back["lon"][~mapped].isna().all() and back["lat"][~mapped].isna().all()
    cols = [c for c in _attr_columns(selection) if c not in ("lon", "lat")]
    _assert_attributes_equal(selection, back, cols)
    # CSV has no file-level metadata: the licences travel in a column
    assert back["data_attribution"].nunique() == 1
    text = back["data_attribution"].iloc[0]
    assert "roads: © OpenStreetMap contributors" in text and "ports: NGA" in text


def test_gpkg_round_trip(selection, region, tmp_path):
    geom, desc = region
    data, mime, name = _export(selection, "gpkg", geom, desc)
    path = tmp_path / name
    path.write_bytes(data)
    assert mime == "application/geopackage+sqlite3" and name.endswith(".gpkg")
    layers = {row[0] for row in pyogrio.list_layers(path)}
    assert {"occurrences", "region", "metadata"} <= layers
    occ = pyogrio.read_dataframe(path, layer="occurrences")
    mapped = selection[selection.geometry.notna()].reset_index(drop=True)
    assert occ["id"].tolist() == mapped["id"].tolist()  # unmapped row skipped
    assert occ.crs.to_epsg() == 4326
    _assert_points_equal(mapped, occ.geometry)
    _assert_attributes_equal(mapped, occ, _attr_columns(selection))
    reg = pyogrio.read_dataframe(path, layer="region")
    assert shapely.hausdorff_distance(reg.geometry.iloc[0], geom) < 1e-5
    meta = pyogrio.read_dataframe(path, layer="metadata")
    kv = dict(zip(meta["key"], meta["value"], strict=True))
    assert kv["filter"] == "4 occurrences" and kv["app_version"] == "9.9.9"
    assert json.loads(kv["counts"])["total"] == 4
    assert "1 occurrence(s) without coordinates" in kv["skipped_unmapped"]
    assert "ODbL" in kv["attributions"]


def test_kml_round_trip(selection, region):
    geom, desc = region
    data, mime, name = _export(selection, "kml", geom, desc)
    assert mime == "application/vnd.google-earth.kml+xml" and name.endswith(".kml")
    text = data.decode("utf-8")
    assert "without coordinates" in text and "OpenStreetMap" in text  # metadata as description
    occ = pyogrio.read_dataframe(io.BytesIO(data), layer="occurrences")
    occ = occ.rename(columns={"Name": "name"})
    mapped = selection[selection.geometry.notna()].reset_index(drop=True)
    assert occ["id"].tolist() == mapped["id"].tolist()
    _assert_points_equal(mapped, shapely.force_2d(occ.geometry.to_numpy()))
    _assert_attributes_equal(mapped, occ, _attr_columns(selection))
    reg = pyogrio.read_dataframe(io.BytesIO(data), layer="region")
    assert shapely.hausdorff_distance(shapely.force_2d(reg.geometry.iloc[0]), geom) < 1e-5


def _text_storage(frame: gpd.GeoDataFrame, storage: str) -> gpd.GeoDataFrame:
    """``frame`` with every text column stored in ``storage`` ("python" or "pyarrow")."""
    out = frame.copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.StringDtype):
            out[c] = out[c].astype(pd.StringDtype(storage, na_value=np.nan))
    return out


@pytest.mark.parametrize("fmt", ["geojson", "csv", "kml", "gpkg"])
def test_exports_do_not_depend_on_how_pandas_stores_text(selection, region, fmt, tmp_path):
    """The app stores text as Python strings (config.configure_pandas); pandas' default is Arrow:
    the files are the same either way (GeoPackage: the same layers and rows; its
    ``last_change`` is the time of the write)."""
    geom, desc = region
    files = {}
    for storage in ("python", "pyarrow"):
        sel = _text_storage(selection, storage)
        assert any(getattr(sel[c].dtype, "storage", None) == storage for c in sel.columns)
        content, _, _ = _export(sel, fmt, region=geom, desc=desc)
        files[storage] = content
    if fmt != "gpkg":
        assert files["python"] == files["pyarrow"]
        return
    frames = {}
    for storage, content in files.items():
        path = tmp_path / f"{storage}.gpkg"
        path.write_bytes(content)
        frames[storage] = {name: pyogrio.read_dataframe(path, layer=name)
                           for name, _ in pyogrio.list_layers(path)}
    assert frames["python"].keys() == frames["pyarrow"].keys()
    for name, frame in frames["python"].items():
        pd.testing.assert_frame_equal(frame, frames["pyarrow"][name], check_dtype=False)


def test_gdal_sync_option_is_put_back_after_exports(selection):
    """GeoPackages are written without fsync (scratch files); the process-wide GDAL option is
    put back after the last export, also when two threads export at once."""
    option = "OGR_SQLITE_SYNCHRONOUS"
    before = pyogrio.get_gdal_config_option(option)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            assert _export(selection, "gpkg")[0].startswith(b"SQLite format 3")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    try:
        pyogrio.set_gdal_config_options({option: None})
        work()
        assert pyogrio.get_gdal_config_option(option) is None
        pyogrio.set_gdal_config_options({option: "FULL"})
        threads = [threading.Thread(target=work) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        assert pyogrio.get_gdal_config_option(option) == "FULL"
    finally:
        pyogrio.set_gdal_config_options({option: before})


# ---------------------------------------------------------------------- names, errors, empties


def test_file_names(enriched):
    sb_bal = enriched[enriched["id"].isin(["Sb-001", "Sb-004"])]
    assert suggest_filename(sb_bal, "geojson", generated_at=WHEN) == (
        "mineralmap_balochistan_sb_2026-11-22.geojson"
    )
    assert suggest_filename(enriched, "gpkg", generated_at=WHEN) == (
        "mineralmap_pakistan_sb-ree-other_2026-11-22.gpkg"
    )
    name = suggest_filename(enriched, "kml", region_description="within 200 km of Gwadar ∩ Balochistan",
                            generated_at=WHEN)
    assert name == "mineralmap_within-200-km-of-gwadar-balochistan_sb-ree-other_2026-11-22.kml"
    assert suggest_filename(enriched.iloc[:0], "csv", generated_at=WHEN).endswith("_none_2026-11-22.csv")
    assert suggest_filename(sb_bal, "csv", day=WHEN.date(), spec_sentence="x") == (
        "mineralmap_balochistan_sb_2026-11-22.csv"
    )
    assert MIME_TYPES["geojson"] == "application/geo+json"
    # all formats at once: the same names
    for sel, desc in ((sb_bal, ""), (enriched, "within 200 km of Gwadar"), (enriched.iloc[:0], "")):
        assert suggest_filenames(sel, tuple(FORMATS), region_description=desc, day=WHEN.date()) == {
            f: suggest_filename(sel, f, region_description=desc, day=WHEN.date()) for f in FORMATS}
    with pytest.raises(ExportError, match="unknown export format 'shp'"):
        suggest_filenames(enriched, ("csv", "shp"))


def test_unknown_format_rejected(selection):
    with pytest.raises(ExportError, match="geojson, csv, gpkg, kml"):
        _export(selection, "shp")


def test_empty_selection_refused_unless_allowed(selection, region):
    empty = selection.iloc[:0]
    with pytest.raises(ExportError, match="no occurrences selected"):
        _export(empty, "geojson")
    data, _, _ = _export(empty, "geojson", allow_empty=True)
    fc = json.loads(data)
    assert fc["type"] == "FeatureCollection" and fc["features"] == []
    assert fc["metadata"]["counts"]["total"] == 0
    geom, desc = region
    fc = json.loads(_export(empty, "geojson", geom, desc, allow_empty=True)[0])
    assert [f["properties"]["feature_type"] for f in fc["features"]] == ["region"]


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "geojson"])
def test_empty_selection_other_formats(selection, fmt, tmp_path):
    data, _, name = _export(selection.iloc[:0], fmt, allow_empty=True)
    assert data
    path = tmp_path / name
    path.write_bytes(data)
    if fmt == "csv":
        back = pd.read_csv(io.BytesIO(data))
        assert len(back) == 0 and "id" in back.columns and "lon" in back.columns
    else:
        back = pyogrio.read_dataframe(path, layer="occurrences")
        assert len(back) == 0


def test_selection_in_other_crs_is_exported_in_wgs84(selection):
    mapped = selection[selection.geometry.notna()]
    utm = mapped.to_crs("EPSG:32642")
    fc = json.loads(_export(utm, "geojson")[0])
    xy = [f["geometry"]["coordinates"] for f in fc["features"]]
    np.testing.assert_allclose(xy, np.column_stack([mapped.geometry.x, mapped.geometry.y]),
                               atol=1e-6)


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)


@settings(deadline=None)
@given(values=st.lists(st.one_of(_TEXT, st.none(), st.floats(-1e300, 1e300), st.sampled_from([math.nan, math.inf]),
                                 st.integers(-10**9, 10**9)), min_size=1, max_size=6))
def test_geojson_properties_survive_any_text(values):
    """Quotes, braces, '},{', newlines and unicode in values never break the feature split."""
    n = len(values)
    gdf = gpd.GeoDataFrame(
        {"id": [f"x{i}" for i in range(n)], "name": values,
         "note": ['},{"id":' if i % 2 else "a\nb\u2028c" for i in range(n)]},
        geometry=[Point(66 + i * 0.01, 30) for i in range(n)], crs="EPSG:4326")
    doc = json.loads(export_selection(gdf, "geojson", region=None, spec_sentence="s",
                                      region_description="", attributions=[],
                                      app_version="t")[0])
    feats = doc["features"]
    assert [f["properties"]["id"] for f in feats] == list(gdf["id"])
    for f, v in zip(feats, values, strict=True):
        got = f["properties"]["name"]
        if isinstance(v, float) and not math.isfinite(v):
            assert got is None
        elif isinstance(v, float):
            assert got == pytest.approx(v, rel=1e-14, abs=1e-15)  # 15 decimals written
        else:
            assert got == v
