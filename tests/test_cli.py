"""``python -m mineralmap export``: every option and every error, exit codes 0 / 1 / 2.

The toy world of ``tests/toy_world.py`` is written to a temporary geodata folder and cache
(``MINERALMAP_GEODATA``, ``MINERALMAP_CACHE``); the real catalog loads and enriches it, so these
tests need no real data cache. Expected selections by distance are computed from the enriched
catalog, never hard-coded.
"""

from __future__ import annotations

import io
import json
import sys
import zipfile

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import box
from toy_geodata import write_cache, write_geodata

from mineralmap import catalog, cli

_TOY_DIRS: dict[str, str] = {}
_TOY_CATALOG: list[catalog.Catalog] = []


@pytest.fixture
def toy_catalog(tmp_path_factory, monkeypatch, layers, occurrences) -> catalog.Catalog:
    """The real catalog of the toy world (settings point at temporary folders).

    The folders are written and the catalog is loaded once per session (nothing changes them;
    the tests read the catalog for their expectations): the enriched cache then stays valid (its
    key is the content of the inputs), and the CLI under test loads the same files itself.
    """
    if not _TOY_DIRS:
        root = tmp_path_factory.mktemp("toy_world")
        _TOY_DIRS["MINERALMAP_GEODATA"] = str(write_geodata(root / "geo", layers, occurrences))
        _TOY_DIRS["MINERALMAP_CACHE"] = str(write_cache(root / "cache", layers))
    for var, value in _TOY_DIRS.items():
        monkeypatch.setenv(var, value)
    if not _TOY_CATALOG:
        cat = catalog.load_catalog()
        assert not cat.missing, cat.missing
        _TOY_CATALOG.append(cat)
    return _TOY_CATALOG[0]


def _ids_where(cat: catalog.Catalog, column: str, limit: float) -> list[str]:
    occ = cat.occurrences
    return sorted(occ.loc[pd.to_numeric(occ[column]) <= limit, "id"])


@pytest.fixture
def run(toy_catalog, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)

    def _run(*argv: str) -> tuple[int, str, str]:
        code = cli.main(["export", *argv])
        out, err = capsys.readouterr()
        return code, out, err

    return _run


def _read_ids(path) -> list[str]:
    fc = json.loads(path.read_text())
    return sorted(f["properties"]["id"] for f in fc["features"]
                  if f["properties"]["feature_type"] == "occurrence")


def _usage_error(run, *argv: str) -> str:
    """Run, expect exit 2 and a one-line message; return it."""
    code, out, err = run(*argv)
    assert code == 2, (code, out, err)
    lines = [ln for ln in err.strip().splitlines() if ln]
    assert lines and "error" in lines[-1]
    assert "Traceback" not in err
    return err


# ---------------------------------------------------------------------- success paths


def test_issue_example_writes_geojson(run, toy_catalog, tmp_path):
    code, out, _ = run("--province", "Balochistan", "--commodity", "Sb", "--max-port-km", "500",
                       "--format", "geojson", "-o", "out.geojson")
    assert code == 0
    path = tmp_path / "out.geojson"
    assert toy_catalog.occurrences.set_index("id").loc["Sb-001", "haul_road_km"] <= 500
    assert out.splitlines()[0] == "wrote 1 occurrences to out.geojson"
    assert _read_ids(path) == ["Sb-001"]  # Sb-004 is unmapped: no distance, filtered out
    meta = json.loads(path.read_text())["metadata"]
    assert meta["filter"].startswith("1 Sb occurrence in Balochistan within 500 km")
    assert meta["attributions"] == toy_catalog.attributions


def test_default_output_name_in_cwd(run, tmp_path):
    code, out, _ = run("--province", "balochistan", "--commodity", "Sb")
    assert code == 0
    files = list(tmp_path.glob("mineralmap_balochistan_sb_*.geojson"))
    assert len(files) == 1
    assert str(files[0]) in out
    assert _read_ids(files[0]) == ["Sb-001", "Sb-004"]


def test_output_directory_gets_suggested_name(run, tmp_path):
    (tmp_path / "exports").mkdir()
    code, _, _ = run("--commodity", "REE", "-o", "exports")
    assert code == 0
    assert len(list((tmp_path / "exports").glob("mineralmap_*_ree_*.geojson"))) == 1


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--district", "Bal South"], ["CU-003", "Sb-001"]),
        (["--commodity", "Sb,REE"], ["REE-002", "Sb-001", "Sb-004"]),
        (["--commodity", "Cu"], ["CU-003"]),
        (["--status", "occurrence", "--mapped-only"], ["CU-003", "REE-002", "Sb-001"]),
        (["--precision", "surveyed", "--precision", "locality"], ["CU-003", "Sb-001"]),
        (["--name", "ANTIMONY"], ["Sb-001", "Sb-004"]),
        (["--tehsil", "KP North Tehsil"], ["REE-002"]),
        (["--bbox", "65,28,67,29.5"], ["CU-003", "Sb-001"]),
        (["--near", "Beta", "--radius-km", "20"], ["REE-002"]),
        (["--lonlat", "66.0,28.5", "--radius-km", "1"], ["CU-003"]),
        (["--bbox", "64,28,70,31", "--add-id", "Sb-004", "--remove-id", "CU-003"],
         ["REE-002", "Sb-001", "Sb-004"]),
    ],
)
def test_each_option_selects(run, tmp_path, argv, expected):
    code, out, err = run(*argv, "-o", "x.geojson")
    assert code == 0, err
    assert _read_ids(tmp_path / "x.geojson") == expected
    assert f"wrote {len(expected)} occurrences" in out


@pytest.mark.parametrize(("option", "column"),
                         [("--max-rail-km", "rail_km"), ("--max-road-km", "road_primary_km")])
def test_distance_options_select_by_the_enriched_distance(run, toy_catalog, tmp_path, option,
                                                         column):
    km = sorted(pd.to_numeric(toy_catalog.occurrences[column]).dropna())
    limit = (km[0] + km[1]) / 2  # between the nearest and the second nearest
    expected = _ids_where(toy_catalog, column, limit)
    assert len(expected) == 1
    code, out, err = run(option, f"{limit}", "-o", "x.geojson")
    assert code == 0, err
    assert _read_ids(tmp_path / "x.geojson") == expected


def test_region_file_option(run, tmp_path):
    poly = {"type": "Polygon", "coordinates": [[[65, 28], [66.5, 28], [66.5, 29.5], [65, 29.5], [65, 28]]]}
    (tmp_path / "area.geojson").write_text(json.dumps(poly))
    code, _, _ = run("--region-file", "area.geojson", "-o", "x.geojson")
    assert code == 0
    fc = json.loads((tmp_path / "x.geojson").read_text())
    assert _read_ids(tmp_path / "x.geojson") == ["CU-003", "Sb-001"]
    assert fc["metadata"]["region"] == "area.geojson"
    assert [f["properties"]["feature_type"] for f in fc["features"]][0] == "region"


def test_region_file_notes_go_to_stderr(run, tmp_path):
    bowtie = {"type": "Polygon", "coordinates": [[[65, 28], [66.5, 29.5], [66.5, 28], [65, 29.5], [65, 28]]]}
    (tmp_path / "bowtie.geojson").write_text(json.dumps(bowtie))
    code, _, err = run("--region-file", "bowtie.geojson", "-o", "x.geojson")
    assert code == 0
    assert "note: repaired" in err


@pytest.mark.parametrize("fmt", ["csv", "gpkg", "kml"])
def test_other_formats(run, tmp_path, fmt):
    code, out, _ = run("--province", "Balochistan", "--format", fmt)
    assert code == 0
    files = list(tmp_path.glob(f"mineralmap_balochistan_*.{fmt}"))
    assert len(files) == 1
    if fmt == "csv":
        ids = pd.read_csv(files[0])["id"].tolist()
        assert sorted(ids) == ["CU-003", "Sb-001", "Sb-004"]
    else:
        ids = pyogrio.read_dataframe(files[0], layer="occurrences")["id"].tolist()
        assert sorted(ids) == ["CU-003", "Sb-001"]  # unmapped rows skipped in GPKG/KML


def test_allow_empty(run, tmp_path):
    code, _, err = run("--name", "no such occurrence", "-o", "empty.geojson")
    assert code == 1
    assert "no occurrences selected" in err and "--allow-empty" in err
    assert not (tmp_path / "empty.geojson").exists()
    code, out, _ = run("--name", "no such occurrence", "--allow-empty", "-o", "empty.geojson")
    assert code == 0 and "wrote 0 occurrences" in out
    fc = json.loads((tmp_path / "empty.geojson").read_text())
    assert fc["features"] == [] and fc["metadata"]["counts"]["total"] == 0


def test_help_documents_every_option(capsys):
    assert cli.main(["export", "--help"]) == 0
    text = capsys.readouterr().out
    for opt in ("--province", "--district", "--tehsil", "--commodity", "--status", "--precision",
                "--max-port-km", "--max-rail-km", "--max-road-km", "--name", "--bbox", "--near",
                "--lonlat", "--radius-km", "--region-file", "--format", "--output",
                "--allow-empty", "examples:", "exit status"):
        assert opt in text, opt


# ---------------------------------------------------------------------- errors (exit 2)


def test_unknown_province_lists_valid_ones(run):
    err = _usage_error(run, "--province", "Atlantis")
    assert "Atlantis" in err and "Balochistan" in err and "Khyber Pakhtunkhwa" in err


def test_unknown_district_lists_valid_ones(run):
    err = _usage_error(run, "--district", "Nowhere")
    assert "Nowhere" in err and "Bal South" in err


def test_unknown_tehsil_and_centre(run):
    assert "Bal North Tehsil" in _usage_error(run, "--tehsil", "Nope")
    assert "Did you mean: Gwadar" in _usage_error(run, "--near", "Gwadr", "--radius-km", "10")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--max-port-km", "-5"], "must be a distance"),
        (["--max-rail-km", "far"], "not a number"),
        (["--bbox", "1,2,3"], "W,S,E,N"),
        (["--lonlat", "66"], "LON,LAT"),
        (["--format", "shp"], "invalid choice"),
    ],
)
def test_argparse_level_errors_exit_2(run, capsys, argv, message):
    code, _out, err = run(*argv)
    assert code == 2
    assert message in err and "Traceback" not in err


def test_radius_zero_is_a_usage_error(run):
    assert "more than 0" in _usage_error(run, "--near", "Gwadar", "--radius-km", "0")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--bbox", "67,28,65,29"], "west"),
        (["--bbox", "10,28,65,29"], "outside Pakistan"),
        (["--near", "Gwadar"], "--radius-km"),
        (["--radius-km", "50"], "needs a centre"),
        (["--near", "Gwadar", "--lonlat", "65,27", "--radius-km", "5"], "not both"),
        (["--lonlat", "27,65", "--radius-km", "5"], "outside Pakistan"),
        (["--precision", "exact"], "surveyed"),
        (["--region-file", "missing.geojson"], "cannot read"),
    ],
)
def test_bad_arguments_exit_2(run, argv, message):
    assert message in _usage_error(run, *argv)


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("bad.geojson", b"{not json", "not valid JSON"),
        ("empty.geojson", b"", "is empty"),
        ("big.geojson", b" " * 5_000_001, "limit"),
        ("pt.geojson", json.dumps({"type": "Point", "coordinates": [65, 28]}).encode(), "not a polygon"),
        ("m.geojson", json.dumps({"type": "Polygon", "coordinates": [[[7e6, 3e6], [7.1e6, 3e6],
                                  [7.1e6, 3.1e6], [7e6, 3e6]]]}).encode(), "out of range"),
        ("evil.kml", b'<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                     b"<kml><Placemark><name>&x;</name></Placemark></kml>", "refused for safety"),
        ("noshp.zip", _zip({"a.dbf": b"x"}), "no .shp"),
        ("slip.zip", _zip({"../a.shp": b"x"}), "outside the folder"),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 40 else "",
)
def test_bad_region_files_exit_2(run, tmp_path, name, data, message):
    (tmp_path / name).write_bytes(data)
    assert message in _usage_error(run, "--region-file", name)


def test_zipped_shapefile_region(run, tmp_path):
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    gdf = gpd.GeoDataFrame(geometry=[box(65, 28, 66.5, 29.5)], crs="EPSG:4326")
    pyogrio.write_dataframe(gdf, shp_dir / "area.shp")
    (tmp_path / "area.zip").write_bytes(
        _zip({p.name: p.read_bytes() for p in shp_dir.iterdir()})
    )
    code, _, err = run("--region-file", "area.zip", "-o", "x.geojson")
    assert code == 0, err
    assert _read_ids(tmp_path / "x.geojson") == ["CU-003", "Sb-001"]


def test_unwritable_output_exits_1(run, tmp_path):
    code, _, err = run("-o", str(tmp_path / "no" / "such" / "dir" / "x.geojson"))
    assert code == 1
    assert "cannot write" in err


def test_subprocess_help_and_exit_code():
    import subprocess

    res = subprocess.run([sys.executable, "-m", "mineralmap", "export", "--bbox", "1,2"],
                         capture_output=True, text=True, check=False)
    assert res.returncode == 2
    assert "W,S,E,N" in res.stderr and "Traceback" not in res.stderr


@pytest.mark.parametrize(
    ("argv", "what", "valid"),
    [
        (["--commodity", "Unobtainium"], "commodity", "Sb"),
        (["--status", "sold out"], "status", "occurrence"),
        (["--add-id", "NOPE-1"], "occurrence id", "Sb-001"),
        (["--remove-id", "NOPE-2"], "occurrence id", "REE-002"),
    ],
)
def test_unknown_values_exit_2_and_list_valid_ones(run, argv, what, valid):
    code, out, err = run(*argv, "--format", "csv")
    assert code == 2 and out == ""
    assert f"unknown {what}" in err and valid in err
    assert len(err.strip().splitlines()) == 1


def test_brief_takes_the_export_selection_options(capsys):
    assert cli.main(["brief", "--help"]) == 0
    text = capsys.readouterr().out
    for opt in ("--province", "--commodity", "--max-port-km", "--bbox", "--near", "--radius-km",
                "--region-file", "--add-id", "--title", "--output"):
        assert opt in text, opt
    assert "--format" not in text  # output options stay the export's own


def test_brief_bad_selection_is_a_usage_error(run, capsys, tmp_path):
    assert cli.main(["brief", "--province", "Atlantis", "-o", "b.pdf"]) == 2
    err = capsys.readouterr().err
    assert "Atlantis" in err and "Balochistan" in err and "Traceback" not in err
    assert not (tmp_path / "b.pdf").exists()


# ------------------------------------------------------------------ issue 15: data problems


def test_empty_cache_exits_1_with_the_missing_layer_messages(toy_catalog, tmp_path, monkeypatch,
                                                               capsys):
    empty = tmp_path / "empty_cache"
    empty.mkdir()
    monkeypatch.setenv("MINERALMAP_CACHE", str(empty))
    monkeypatch.chdir(tmp_path)
    code = cli.main(["export", "-o", "x.geojson"])
    _out, err = capsys.readouterr()
    assert code == 1, err
    assert "Traceback" not in err and "python -m mineralmap data" in err
    assert "distances not computed" in err
    assert not (tmp_path / "x.geojson").exists()


def test_corrupt_cache_layer_exits_1(toy_catalog, tmp_path, monkeypatch, capsys):
    import shutil

    broken = tmp_path / "broken_cache"
    shutil.copytree(_TOY_DIRS["MINERALMAP_CACHE"], broken)
    (broken / "roads.parquet").write_bytes(b"not parquet")
    monkeypatch.setenv("MINERALMAP_CACHE", str(broken))
    monkeypatch.chdir(tmp_path)
    code = cli.main(["export", "-o", "x.geojson"])
    _out, err = capsys.readouterr()
    assert code == 1 and "roads" in err and "Traceback" not in err


def test_unreadable_inventory_exits_1(run, tmp_path, monkeypatch):
    monkeypatch.setenv("MINERALMAP_OCCURRENCES", str(tmp_path / "missing.csv"))
    code, _out, err = run("-o", "x.geojson")
    assert code == 1 and "missing.csv" in err and "MINERALMAP_OCCURRENCES" in err
    assert "Traceback" not in err


def test_overlong_output_name_is_one_line_error(run):
    code, _out, err = run("-o", "x" * 300 + ".geojson")
    assert code == 1
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "name too long" in err.lower() or "cannot write" in err


def test_brief_with_empty_cache_exits_1(toy_catalog, tmp_path, monkeypatch, capsys):
    empty = tmp_path / "empty_cache2"
    empty.mkdir()
    monkeypatch.setenv("MINERALMAP_CACHE", str(empty))
    monkeypatch.chdir(tmp_path)
    code = cli.main(["brief", "-o", "x.pdf"])
    _out, err = capsys.readouterr()
    assert code == 1 and "Traceback" not in err and "python -m mineralmap data" in err


def test_region_file_size_is_checked_before_reading(run, tmp_path):
    big = tmp_path / "huge.geojson"
    with open(big, "wb") as f:  # sparse: 1 GiB on paper, no disk space used
        f.truncate(1 << 30)
    err = _usage_error(run, "--region-file", str(big))
    assert "limit is 5 MB" in err and "1073.7 MB" in err


def test_region_file_errors_exit_2_with_one_clean_line(run, tmp_path):
    (tmp_path / "deep.geojson").write_bytes(b"[" * 100_000 + b"]" * 100_000)
    err = _usage_error(run, "--region-file", "deep.geojson")
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_cli_runs_with_the_project_pandas_options(capsys):
    with pd.option_context("mode.string_storage", "pyarrow"):
        assert cli.main(["--help"]) == 0
        assert pd.get_option("mode.string_storage") == "python"
    assert "python -m mineralmap" in capsys.readouterr().out

