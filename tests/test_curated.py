"""Tests of mineralmap.curated: the committed geodata tables and their validation."""

from __future__ import annotations

import csv
import importlib.util
import os
import re
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mineralmap import curated
from mineralmap.errors import SourceError, ValidationError
from mineralmap.schema import (
    CROSSING_COLUMNS,
    CRS,
    DRY_PORT_COLUMNS,
    OCCURRENCE_COLUMNS,
    PORT_COLUMNS,
    PRECISION_CLASSES,
    PROVINCES,
)

REPO = Path(__file__).resolve().parents[1]
LIT = "mineralmap Sb/REE literature compilation"


def _sources_dir() -> Path | None:
    env = os.environ.get("MINERALMAP_SOURCES")
    cands = [Path(env)] if env else []
    cands += [REPO.parent / "shared" / "sources", Path("/work/shared/sources")]
    for c in cands:
        if (c / "minerals" / "usgs_global_compilations_pakistan.csv").is_file():
            return c
    return None


@pytest.fixture(scope="module")
def occ() -> gpd.GeoDataFrame:
    return curated.load_occurrences()


@pytest.fixture(scope="module")
def lit(occ) -> gpd.GeoDataFrame:
    return occ[occ["source_dataset"] == LIT]


# ---------------------------------------------------------------- real occurrence table


def test_occurrences_schema_and_types(occ):
    assert list(occ.columns) == [*OCCURRENCE_COLUMNS, "geometry"]
    assert occ.crs.to_string() == CRS
    for c in ("lon", "lat", "precision_km", "ore_tonnage_t"):
        assert occ[c].dtype == np.float64, c
    for c in set(OCCURRENCE_COLUMNS) - {"lon", "lat", "precision_km", "ore_tonnage_t"}:
        assert occ[c].notna().all(), c
        assert occ[c].map(type).eq(str).all(), c
    assert occ["id"].is_unique


def test_literature_rows_counts(lit):
    """Counts follow the source compilation (never literals the data decides)."""
    src_dir = _sources_dir()
    if src_dir is None:
        pytest.skip("source mirror not available")
    with (src_dir / "minerals" / "sb_ree_occurrences.csv").open(encoding="utf-8") as fh:
        src = list(csv.DictReader(fh))
    assert len(lit) == len(src) > 0
    for commodity in ("Sb", "REE"):
        want = sum(r["commodity"].split(";")[0].strip() == commodity for r in src)
        assert (lit["commodity"] == commodity).sum() == want
    assert lit.geometry.notna().sum() == sum(bool(r["lat"].strip()) for r in src)
    assert lit["id"].str.fullmatch(r"(Sb|REE)-\d{3}").all()


def test_commodity_is_primary_only(occ):
    assert not occ["commodity"].str.contains(r"[;,]").any()
    has = occ["commodities"] != ""
    first = occ.loc[has, "commodities"].str.split("; ").str[0]
    assert (first == occ.loc[has, "commodity"]).all()
    sb10 = occ.set_index("id").loc["Sb-010"]
    assert sb10["commodity"] == "Sb"
    assert sb10["commodities"].split("; ")[1:] == ["Pb", "Au", "Ag"]


def test_every_row_cited_and_consistent(occ):
    assert (occ["source_title"].str.strip() != "").all()
    assert occ["source_url"].str.contains("http").all()
    assert (occ["record_ids"] != "").all()
    assert occ["precision"].isin(PRECISION_CLASSES).all()
    assert occ["province"].isin([*PROVINCES, ""]).all()
    mapped = occ.geometry.notna()
    assert (mapped == occ["lon"].notna()).all()
    assert occ.loc[mapped, "precision_km"].notna().all()
    assert (occ.loc[mapped, "precision_km"] >= 0).all()
    # geometry matches lon/lat exactly
    assert np.allclose(occ.loc[mapped].geometry.x, occ.loc[mapped, "lon"])
    assert np.allclose(occ.loc[mapped].geometry.y, occ.loc[mapped, "lat"])
    # all mapped points lie in a Pakistan-sized box
    assert occ.loc[mapped, "lon"].between(60, 78).all()
    assert occ.loc[mapped, "lat"].between(23, 38).all()


def test_unmapped_rows_have_no_geometry(occ):
    un = occ[occ.geometry.isna()]
    assert len(un) >= 2
    assert un["lon"].isna().all() and un["lat"].isna().all()
    assert un["precision_km"].isna().all()


def test_loe_shilman_once_with_usgs_records(occ):
    hits = occ[occ["name"].str.contains("Loe Shilman", case=False)]
    assert len(hits) == 1
    row = hits.iloc[0]
    assert row["commodity"] == "REE"
    refs = row["record_ids"].split("; ")
    assert refs[0].startswith("sb_ree:")
    usgs = [r for r in refs if not r.startswith("sb_ree:")]
    assert len(usgs) >= 2
    assert "umn/mrdata_major_deposits:416" in usgs
    assert row["precision"] == "surveyed"


def test_saindak_once_with_all_records(occ):
    hits = occ[occ["name"].str.contains("Saindak", case=False)]
    assert len(hits) == 1
    refs = hits.iloc[0]["record_ids"].split("; ")
    datasets = {r.rsplit(":", 1)[0] for r in refs}
    assert len(refs) == len(datasets) >= 3  # one record per compilation
    assert hits.iloc[0]["commodity"] == "Cu"
    n_urls = len(hits.iloc[0]["source_url"].split(" | "))
    assert n_urls >= 2


def test_record_ids_unique_across_rows(occ):
    refs = [r for cell in occ["record_ids"] for r in cell.split("; ")]
    assert len(refs) == len(set(refs))
    assert all(re.fullmatch(r"[\w/.-]+:[\w.-]+", r) for r in refs)


def test_usgs_precision_follows_rounding_rule(occ):
    usgs = occ[occ["id"].str.startswith("USGS-")]
    assert usgs["id"].str.fullmatch(r"USGS-\d{3}").all()
    mapped = usgs[usgs.geometry.notna()]
    assert (mapped["precision"] == "locality").all()
    for _, r in mapped.iterrows():
        m = re.search(r"given to (\d+) decimals?; no stated accuracy; ±([\d.]+) km",
                      r["geocode_note"])
        assert m, r["id"]
        n, km = int(m.group(1)), float(m.group(2))
        assert km == pytest.approx(max(1.0, round(0.5 * 10.0**-n * 111.32, 1)))
        assert r["precision_km"] == pytest.approx(km)
    unm = usgs[usgs.geometry.isna()]
    assert (unm["precision"] == "district").all()
    assert (unm["geocode_note"] == "no coordinate in source; unmapped").all()


def test_ore_tonnage_only_where_stated(occ):
    has = occ["ore_tonnage_t"].notna()
    assert has.any()
    for _, r in occ[has].iterrows():
        m = re.search(r"([\d][\d,.]*)\s*t\s+ore", r["tonnage_grade_note"])
        assert m, r["id"]
        assert float(m.group(1).replace(",", "")) == r["ore_tonnage_t"]


def test_literature_rows_match_source(lit):
    src_dir = _sources_dir()
    if src_dir is None:
        pytest.skip("source mirror not available")
    with (src_dir / "minerals" / "sb_ree_occurrences.csv").open(encoding="utf-8") as fh:
        src = {r["id"]: r for r in csv.DictReader(fh)}
    assert set(src) == set(lit["id"])
    for _, r in lit.iterrows():
        s = src[r["id"]]
        assert r["precision"] == s["precision"]
        assert r["geocode_note"] == s["geocode_note"].strip()
        if s["lat"]:
            assert r["lat"] == pytest.approx(float(s["lat"]))
            assert r["lon"] == pytest.approx(float(s["lon"]))
            assert r["precision_km"] == pytest.approx(float(s["precision_km"]))
        else:
            assert np.isnan(r["lat"]) and np.isnan(r["lon"])


def test_every_usgs_record_in_exactly_one_row(occ):
    src_dir = _sources_dir()
    if src_dir is None:
        pytest.skip("source mirror not available")
    with (src_dir / "minerals" / "usgs_global_compilations_pakistan.csv").open(
        encoding="utf-8"
    ) as fh:
        src = [f"{r['dataset_key']}:{r['record_id']}" for r in csv.DictReader(fh)]
    refs = [r for cell in occ["record_ids"] for r in cell.split("; ") if not r.startswith("sb_ree:")]
    assert sorted(refs) == sorted(src)


def test_committed_tables_equal_fresh_build(monkeypatch):
    src_dir = _sources_dir()
    if src_dir is None:
        pytest.skip("source mirror not available")
    spec = importlib.util.spec_from_file_location(
        "curate_occurrences", REPO / "tools" / "curate_occurrences.py"
    )
    mod = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, mod)  # dataclasses look the module up
    spec.loader.exec_module(mod)
    tables, _ = mod.build_all(src_dir)
    for name, text in tables.items():
        assert (REPO / "geodata" / name).read_text(encoding="utf-8") == text, name


# ---------------------------------------------------------------- ports, crossings, dry ports


def test_ports():
    p = curated.load_ports()
    assert list(p.columns) == [*PORT_COLUMNS, "geometry"]
    assert p.crs.to_string() == CRS
    assert set(p["id"]) == {"karachi", "port_qasim", "gwadar", "pasni", "ormara", "jiwani",
                            "keti_bandar"}
    sea = p[p["kind"] == "seaport"]
    assert set(sea["id"]) == {"karachi", "port_qasim", "gwadar"}
    for c in ("channel_depth_m", "cargo_pier_depth_m", "anchorage_depth_m", "max_vessel_draft_m"):
        assert (sea[c] > 0).all(), c
    assert (sea["harbor_size"] != "").all()
    minor = p[p["kind"] == "minor"]
    assert minor["location_note"].str.contains("not a berth").all()
    assert minor["channel_depth_m"].isna().all()
    assert p.geometry.notna().all()
    assert (p["source_title"] != "").all() and (p["source_url"] != "").all()


def test_ports_use_wpi_coordinates():
    src_dir = _sources_dir()
    if src_dir is None:
        pytest.skip("source mirror not available")
    wpi = pd.read_csv(src_dir / "transport" / "wpi_pakistan.csv")
    p = curated.load_ports().set_index("id")
    for pid, name in (("karachi", "Karachi"), ("port_qasim", "Muhamamad Bin Qasim"),
                      ("gwadar", "Gwadar")):
        w = wpi[wpi["Main Port Name"] == name].iloc[0]
        assert p.loc[pid, "lat"] == pytest.approx(w["Latitude"], abs=1e-6)
        assert p.loc[pid, "lon"] == pytest.approx(w["Longitude"], abs=1e-6)
        assert p.loc[pid, "max_vessel_draft_m"] == pytest.approx(w["Maximum Vessel Draft (m)"])


def test_border_crossings():
    b = curated.load_border_crossings()
    assert list(b.columns) == [*CROSSING_COLUMNS, "geometry"]
    assert dict(zip(b["id"], b["country"], strict=True)) == {
        "chaman": "Afghanistan", "torkham": "Afghanistan", "taftan": "Iran",
        "wagah": "India", "khokhropar": "India",
    }
    assert (b["id"] == b["id"].str.lower()).all()
    assert b.geometry.notna().all()
    readme = (REPO / "geodata" / "README.md").read_text(encoding="utf-8")
    for missing in ("Khunjerab", "Ghulam Khan", "Angoor Adda", "Gabd"):
        assert missing in readme


def test_dry_ports():
    d = curated.load_dry_ports()
    assert list(d.columns) == [*DRY_PORT_COLUMNS, "geometry"]
    assert len(d) >= 1 and d["id"].is_unique
    assert d.geometry.notna().all()
    assert d["locode"].str.fullmatch(r"PK [A-Z0-9]{3}").all()


# ---------------------------------------------------------------- validation failures


def _write_occ(tmp_path: Path, rows: list[dict], columns=OCCURRENCE_COLUMNS) -> Path:
    path = tmp_path / "occ.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(columns), extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow(r)
    return path


def _row(id_: str, **kw) -> dict:
    r = {c: "" for c in OCCURRENCE_COLUMNS}
    r.update(id=id_, name=f"Site {id_}", commodity="Sb", commodities="Sb",
             province="Balochistan", lon="66.5", lat="30.1", precision="locality",
             precision_km="5", source_title="A paper", source_url="https://example.org/a",
             source_dataset="test", record_ids=f"t:{id_}", geocode_note="test")
    r.update(kw)
    return r


def test_small_valid_file_loads(tmp_path):
    path = _write_occ(tmp_path, [_row("A-1", ore_tonnage_t="1200"),
                                 _row("A-2", lon="", lat="", precision="district",
                                      precision_km="")])
    g = curated.load_occurrences(path)
    assert len(g) == 2
    assert g.geometry.iloc[0].x == pytest.approx(66.5)
    assert g.geometry.iloc[1] is None
    assert g["ore_tonnage_t"].iloc[0] == 1200.0 and np.isnan(g["ore_tonnage_t"].iloc[1])
    assert g["district"].iloc[0] == ""


def test_empty_file_keeps_columns(tmp_path):
    g = curated.load_occurrences(_write_occ(tmp_path, []))
    assert len(g) == 0
    assert list(g.columns) == [*OCCURRENCE_COLUMNS, "geometry"]


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([_row("X-1"), _row("X-1")], r"duplicate id.*X-1"),
        ([_row("X-1", precision="exact")], r"unknown precision class.*exact.*X-1"),
        ([_row("X-1", lat="95")], r"lat outside -90\.\.90.*X-1"),
        ([_row("X-1", lon="-181")], r"lon outside -180\.\.180.*X-1"),
        ([_row("X-1", lat="")], r"only one of lon/lat.*X-1"),
        ([_row("X-1", lon="66,5")], r"non-numeric lon.*X-1"),
        ([_row("X-1", source_url="")], r"missing source_url.*X-1"),
        ([_row("X-1", source_title="")], r"missing source_title.*X-1"),
        ([_row("X-1", precision_km="")], r"precision_km missing.*X-1"),
        ([_row("X-1", precision_km="-2")], r"negative precision_km.*X-1"),
        ([_row("X-1", province="Baluchistan")], r"unknown province.*Baluchistan.*X-1"),
        ([_row("X-1", id="")], r"empty id"),
    ],
)
def test_validation_failures_name_the_problem(tmp_path, rows, expected):
    path = _write_occ(tmp_path, rows)
    with pytest.raises(ValidationError, match=expected) as exc:
        curated.load_occurrences(path)
    assert str(path) in str(exc.value)


def test_missing_column(tmp_path):
    cols = [c for c in OCCURRENCE_COLUMNS if c != "precision"]
    path = _write_occ(tmp_path, [_row("X-1")], columns=cols)
    with pytest.raises(ValidationError, match=r"missing required column\(s\) precision"):
        curated.load_occurrences(path)


def test_missing_file(tmp_path):
    path = tmp_path / "nope.csv"
    with pytest.raises(SourceError, match=re.escape(str(path))):
        curated.load_occurrences(path)
    for loader in (curated.load_ports, curated.load_border_crossings, curated.load_dry_ports):
        with pytest.raises(SourceError, match="missing"):
            loader(path)


def test_unreadable_file(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"id,name\n\xff\xfe\x00bad\n")
    with pytest.raises(SourceError, match="cannot be read"):
        curated.load_occurrences(path)


def test_point_table_requires_coordinates(tmp_path):
    path = tmp_path / "dry.csv"
    pd.DataFrame([{"id": "q", "name": "Q", "locode": "PK UET", "lon": "", "lat": "",
                   "location_note": "", "source_title": "t", "source_url": "u"}]).to_csv(
        path, index=False)
    with pytest.raises(ValidationError, match=r"lon/lat missing at q"):
        curated.load_dry_ports(path)


def test_port_kind_checked(tmp_path):
    p = curated.load_ports()
    df = pd.DataFrame(p.drop(columns="geometry"))
    df.loc[0, "kind"] = "river"
    path = tmp_path / "ports.csv"
    df.to_csv(path, index=False)
    with pytest.raises(ValidationError, match=r"unknown port kind at " + df.loc[0, "id"]):
        curated.load_ports(path)


def test_validate_occurrences_accepts_typed_frame(occurrences):
    g = curated.validate_occurrences(occurrences, source="fixture")
    assert len(g) == len(occurrences)
    assert g.geometry.isna().sum() == occurrences.geometry.isna().sum()
    bad = occurrences.copy()
    bad.loc[0, "lat"] = 120.0
    with pytest.raises(ValidationError, match=r"fixture: lat outside .* Sb-001"):
        curated.validate_occurrences(bad, source="fixture")


# ------------------------------------------------------------------------------- text cleaning

_cells = st.one_of(st.text(), st.none(), st.just(float("nan")), st.just(pd.NA),
                   st.integers(-10**6, 10**6), st.floats(allow_nan=False),
                   st.text().map(lambda t: t.encode("utf-8")),
                   st.sampled_from([" a ", "\u00a0b\u2003", "\tc\n", "\x1cd\x1f", "\u200be\u200b"]))


def _pandas_text(series: pd.Series) -> pd.Series:
    """What curated._text did with pandas' string methods (and still does for long columns)."""
    s = series.astype(object).where(series.notna(), "")
    return s.astype(str).str.strip()


@given(st.lists(_cells, max_size=12), st.booleans())
def test_text_cleaning_equals_pandas_string_methods(values, string_dtype):
    """A short column is cleaned in one Python pass: same values and dtype as pandas' path
    (for object columns as uploads give them, and for string columns as CSV reads give them)."""
    series = pd.Series(values, dtype=object, index=range(5, 5 + len(values)), name="c")
    if string_dtype:
        series = series.where(series.map(lambda v: isinstance(v, str)), None).astype("str")
    got, want = curated._text(series), _pandas_text(series)
    assert got.tolist() == want.tolist() and got.dtype == want.dtype
    assert got.index.equals(want.index) and got.name == want.name


def test_text_cleaning_of_long_columns_and_every_whitespace_character():
    spaces = [chr(c) for c in range(0x3000 + 1) if chr(c).isspace()]
    values = [f"{s}x{s}" for s in spaces] + [None, b" y ", 7, 1.5]
    values += ["z"] * (curated._SMALL_COLUMN + 1 - len(values))
    long = pd.Series(values, dtype=object)
    short = long.iloc[: curated._SMALL_COLUMN]
    for series in (long, short):
        pd.testing.assert_series_equal(curated._text(series), _pandas_text(series))
    assert curated._text(short).iloc[0] == "x" and curated._text(long).iloc[0] == "x"
