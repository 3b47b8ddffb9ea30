"""selection: filter + region -> Selection, and the choices offered by the region page; with a
PostGIS store the region runs in the database and selects the same rows (and the export CLI uses
it)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from backends import fresh_database_url
from pyproj import Geod
from shapely.geometry import Point, box

from mineralmap import cli, config, export_cli, postgis, selection, store
from mineralmap.errors import RegionError
from mineralmap.filters import FilterSpec
from mineralmap.pgstore import PostgresStore
from mineralmap.regions import RegionSpec
from mineralmap.store import DATASET_ATTR

GEOD = Geod(ellps="WGS84")


def _ids(sel: selection.Selection) -> list[str]:
    return sorted(sel.rows["id"])


def test_no_filter_no_region_keeps_everything(enriched, layers):
    sel = selection.select(enriched, layers, FilterSpec(), RegionSpec())
    assert _ids(sel) == sorted(enriched["id"])
    assert sel.region is None and sel.region_description == ""
    assert sel.filter_sentence == f"All {len(enriched)} occurrences"
    assert sel.description == sel.filter_sentence
    assert list(sel.rows.columns) == list(enriched.columns)


def test_filter_then_admin_region(enriched, layers):
    sel = selection.select(enriched, layers, FilterSpec(commodities=("Sb",)),
                           RegionSpec(provinces=("Balochistan",)))
    # Sb-001 lies in the Balochistan box; unmapped Sb-004 states Balochistan (admin-only region)
    assert _ids(sel) == ["Sb-001", "Sb-004"]
    assert sel.region.equals(box(64, 28, 67, 31))
    assert sel.region_description == "Balochistan"
    assert sel.filter_sentence.startswith("2 Sb occurrences")
    assert sel.description == f"{sel.filter_sentence} — region: Balochistan"


def test_region_without_filter_does_not_say_all(enriched, layers):
    sel = selection.select(enriched, layers, FilterSpec(), RegionSpec(districts=("KP North",)))
    assert _ids(sel) == ["REE-002"]
    assert not sel.filter_sentence.startswith("All")
    assert sel.description == "1 occurrence — region: KP North"


def test_admin_region_agrees_with_point_in_polygon_columns(enriched, layers):
    # A point just outside the (simplified) polygon that the enrichment assigned to the unit is
    # counted by the sidebar filter; the same unit chosen as a region must count it too.
    occ = enriched.copy()
    i = occ.index[occ["id"] == "REE-002"][0]
    occ.loc[i, "geometry"] = Point(70.001, 30.0)  # 100 m east of the KP box
    occ.loc[i, "lon"] = 70.001
    by_filter = selection.select(occ, layers, FilterSpec(provinces=("Khyber Pakhtunkhwa",)),
                                 RegionSpec())
    by_region = selection.select(occ, layers, FilterSpec(),
                                 RegionSpec(provinces=("Khyber Pakhtunkhwa",)))
    assert "REE-002" in _ids(by_filter)
    assert _ids(by_region) == _ids(by_filter)
    # ... but a removed pick stays removed, and a bbox makes the region strictly geometric
    removed = selection.select(occ, layers, FilterSpec(),
                               RegionSpec(provinces=("Khyber Pakhtunkhwa",), remove_ids=("REE-002",)))
    assert "REE-002" not in _ids(removed)
    strict = selection.select(occ, layers, FilterSpec(),
                              RegionSpec(provinces=("Khyber Pakhtunkhwa",), bbox=(64, 27, 70.5, 31)))
    assert "REE-002" not in _ids(strict)


def test_bbox_and_radius_are_intersected(enriched, layers):
    pts = enriched[enriched.geometry.notna()]
    _, _, d = GEOD.inv(np.full(len(pts), 65.5), np.full(len(pts), 29.0),
                       pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy())
    near = sorted(pts["id"][d <= 80_000])
    radius_only = selection.select(enriched, layers, FilterSpec(),
                                   RegionSpec(center="Alpha", radius_km=80))
    assert _ids(radius_only) == near == ["CU-003", "Sb-001"]  # town Alpha is at (65.5, 29.0)
    region = RegionSpec(bbox=(65.8, 28, 67, 30), center="Alpha", radius_km=80)
    sel = selection.select(enriched, layers, FilterSpec(), region)
    in_box = pts.geometry.within(box(65.8, 28, 67, 30)).to_numpy()
    assert _ids(sel) == sorted(pts["id"][(d <= 80_000) & in_box]) == ["CU-003"]
    assert sel.region_description == "within 80 km of Alpha ∩ box 65.8,28 to 67,30"
    assert box(65.8, 28, 67, 30).buffer(1e-9).covers(sel.region)


def test_picks_add_and_remove(enriched, layers):
    # picked ids come from the whole table, even when the filter hides them
    sel = selection.select(enriched, layers, FilterSpec(commodities=("REE",)),
                           RegionSpec(provinces=("Khyber Pakhtunkhwa",), add_ids=("Sb-001",)))
    assert _ids(sel) == ["REE-002", "Sb-001"]
    sel = selection.select(enriched, layers, FilterSpec(),
                           RegionSpec(provinces=("Balochistan",), remove_ids=("CU-003",)))
    assert "CU-003" not in _ids(sel) and "Sb-001" in _ids(sel)
    # picks alone select just the picked rows; no region polygon
    only = selection.select(enriched, layers, FilterSpec(), RegionSpec(add_ids=("CU-003",)))
    assert _ids(only) == ["CU-003"] and only.region is None
    assert only.region_description == "picked occurrences"


def test_empty_selection_keeps_columns(enriched, layers):
    sel = selection.select(enriched, layers, FilterSpec(), RegionSpec(bbox=(70.5, 35, 71, 36)))
    assert len(sel.rows) == 0
    assert list(sel.rows.columns) == list(enriched.columns)
    assert isinstance(sel.rows, gpd.GeoDataFrame)
    assert sel.filter_sentence.startswith("0 occurrences")


def test_unknown_unit_raises_region_error(enriched, layers):
    with pytest.raises(RegionError, match="Atlantis"):
        selection.select(enriched, layers, FilterSpec(), RegionSpec(provinces=("Atlantis",)))


def test_admin_names(layers):
    names = selection.admin_names(layers)
    assert names["provinces"] == ["Balochistan", "Khyber Pakhtunkhwa"]
    assert names["districts"] == sorted(layers["districts"]["district"])
    assert names["tehsils"] == sorted(layers["tehsils"]["tehsil"])
    missing = selection.admin_names({"provinces": layers["provinces"]})
    assert missing["districts"] == [] and missing["tehsils"] == []


def test_admin_labels_name_the_parent_and_shared_names(layers):
    labels = selection.admin_labels(layers)
    assert labels["districts"]["Bal South"] == "Bal South (Balochistan)"
    assert labels["tehsils"]["KP North Tehsil"] == "KP North Tehsil (KP North)"
    # two tehsils sharing a name: the label says both are selected
    teh = layers["tehsils"].copy()
    teh.loc[teh["district"] == "KP South", "tehsil"] = "Bal South Tehsil"
    shared = selection.admin_labels({**layers, "tehsils": teh})["tehsils"]["Bal South Tehsil"]
    assert shared == "Bal South Tehsil (Bal South, KP South: 2 tehsils)"
    # every offered name has a label
    names = selection.admin_names(layers)
    assert set(labels["districts"]) == set(names["districts"])
    assert set(labels["tehsils"]) == set(names["tehsils"])


def test_radius_centres(enriched, layers):
    centres = selection.radius_centres(layers, enriched)
    assert list(centres["ports"]) == sorted(layers["ports"]["name"])
    assert list(centres["towns"]) == ["Alpha", "Beta"]
    # unmapped occurrences cannot be a centre
    mapped = sorted(enriched.loc[enriched.geometry.notna(), "name"])
    assert list(centres["occurrences"]) == mapped
    assert "Delta antimony (unmapped)" not in centres["occurrences"]
    # every offered centre resolves
    for group in ("ports", "towns", "occurrences"):
        for name in centres[group]:
            assert RegionSpec(center=name, radius_km=10).center_point(layers, enriched) is not None


def test_centre_choices_resolve_to_the_place_offered(enriched, layers):
    occ = enriched.copy()
    # an occurrence named like a town, and two occurrences sharing a name
    occ.loc[occ["id"] == "CU-003", "name"] = "Beta"
    occ.loc[occ["id"] == "REE-002", "name"] = "Alpha antimony"
    towns = layers["towns"]
    towns = gpd.GeoDataFrame(
        [*towns.to_dict("records"), {"geonameid": 12, "name": "Gwadar", "population": 1,
                                     "geometry": Point(65.01, 26.91)}],
        geometry="geometry", crs=towns.crs)
    lay = {**layers, "towns": towns}
    choices = selection.centre_choices(lay, occ)
    assert choices["ports"] == {p: p for p in sorted(layers["ports"]["name"])}
    assert "the port is used" in choices["towns"]["Gwadar"]
    assert choices["towns"]["Alpha"] == "Alpha"
    occ_choices = choices["occurrences"]
    assert set(occ_choices) == {"CU-003", "REE-002", "Sb-001"}  # ambiguous names -> ids
    assert occ_choices["CU-003"] == "Beta · CU-003"
    for value in occ_choices:
        lon, lat, _label = RegionSpec(center=value, radius_km=10).center_point(lay, occ)
        row = occ.loc[occ["id"] == value].iloc[0]
        assert (lon, lat) == (row.geometry.x, row.geometry.y)


def test_sentence_counts_rows_added_by_hand_apart(enriched, layers):
    # The case: a filter that matches nothing in its province, plus two rows of another
    # province added by id. The sentence must not count them as matching the filter.
    spec = FilterSpec(precisions=("surveyed",), provinces=("Khyber Pakhtunkhwa",))
    matching = set(selection.select(enriched, layers, spec, RegionSpec()).rows["id"])
    added = [i for i in enriched["id"] if i not in matching][:2]
    assert len(added) == 2
    sel = selection.select(enriched, layers, spec, RegionSpec(add_ids=tuple(added)))
    assert set(sel.rows["id"]) == matching | set(added)
    assert sel.added == 2
    assert sel.filter_sentence == spec.describe(len(matching)) + " + 2 added by hand"
    assert sel.filter_sentence.startswith(f"{len(matching)} surveyed occurrence")
    # a pick that the filter already selects is not "added by hand"
    again = selection.select(enriched, layers, spec, RegionSpec(add_ids=tuple(matching)))
    assert again.added == 0 and "added by hand" not in again.filter_sentence


def test_selection_sentence_wording():
    spec = FilterSpec(precisions=("surveyed",), provinces=("Gilgit-Baltistan",))
    assert (selection.selection_sentence(spec, 0, 2)
            == "0 surveyed occurrences in Gilgit-Baltistan + 2 added by hand")
    assert selection.selection_sentence(FilterSpec(), 5, has_region=True) == "5 occurrences"
    assert selection.selection_sentence(FilterSpec(), 5) == "All 5 occurrences"
    assert selection.selection_sentence(FilterSpec(), 1_234, 1_000).endswith("+ 1,000 added by hand")


def test_fingerprint_follows_rows_region_and_sentence(enriched, layers):
    a = selection.select(enriched, layers, FilterSpec(commodities=("Sb",)), RegionSpec())
    b = selection.select(enriched, layers, FilterSpec(commodities=("Sb",)), RegionSpec())
    assert a.fingerprint() == b.fingerprint()
    c = selection.select(enriched, layers, FilterSpec(commodities=("REE",)), RegionSpec())
    d = selection.select(enriched, layers, FilterSpec(commodities=("Sb",)),
                         RegionSpec(bbox=(64, 28, 70, 32)))
    assert len({a.fingerprint(), c.fingerprint(), d.fingerprint()}) == 3


# ------------------------------------------------------------------- region in the database


@pytest.fixture(scope="module")
def pg_world(toy_world):
    """The toy app world's occurrences as version 1 of a PostGIS store, with its layers loaded."""
    url = fresh_database_url("postgres")
    with pytest.MonkeyPatch.context() as mp:
        for k, v in toy_world.env().items():
            mp.setenv(k, v)
        config.reload_settings()
        db = PostgresStore(url, curated_path=toy_world.geodata / "occurrences.csv")
        postgis.load_layers_into_postgis(db, toy_world.cache)
    config.reload_settings()
    return url, db


DB_CASES = [
    (FilterSpec(), RegionSpec(provinces=("Balochistan",))),
    (FilterSpec(commodities=("Sb",)), RegionSpec(provinces=("balochistan",))),
    (FilterSpec(), RegionSpec(districts=("KP South",), tehsils=("KP South Tehsil",))),
    (FilterSpec(), RegionSpec(bbox=(64.5, 26.0, 68.5, 30.0), remove_ids=("Sb-009",))),
    (FilterSpec(commodities=("REE",)), RegionSpec(bbox=(64.0, 28.0, 67.0, 31.0),
                                                  add_ids=("Sb-005",))),
    (FilterSpec(), RegionSpec(center="Gwadar", radius_km=350)),
    (FilterSpec(), RegionSpec(center="Beta", radius_km=120, provinces=("Khyber Pakhtunkhwa",))),
    (FilterSpec(), RegionSpec(center_lonlat=(66.0, 29.0), radius_km=200)),
    (FilterSpec(), RegionSpec(polygon=box(65.5, 28.5, 69.0, 30.0), polygon_label="drawn")),
]


@pytest.mark.parametrize(("spec", "region"), DB_CASES)
def test_database_and_memory_select_the_same_rows(pg_world, toy_world, monkeypatch, spec, region):
    url, db = pg_world
    cat = toy_world.catalog
    occ, lyr = cat.occurrences, cat.layers
    version = db.version(1)
    assert version.content_sha256 == cat.dataset_version.content_sha256  # same rows
    memory = selection.select(occ, lyr, spec, region, dataset=version)  # no database configured
    monkeypatch.setenv("MINERALMAP_DATABASE_URL", url)
    config.reload_settings()
    ids = selection.database_region_ids(occ, region, version)
    assert ids is not None  # the database answered
    in_db = selection.select(occ, lyr, spec, region, dataset=version)
    assert list(in_db.rows["id"]) == list(memory.rows["id"])
    assert (in_db.filter_sentence, in_db.region_description, in_db.added) == \
        (memory.filter_sentence, memory.region_description, memory.added)
    # the version can also travel with the frame (the catalog's occurrences)
    tagged = occ.copy()
    tagged.attrs[store.DATASET_ATTR] = version
    assert list(selection.select(tagged, lyr, spec, region).rows["id"]) == list(memory.rows["id"])


def test_memory_path_when_the_rows_are_not_a_stored_version(pg_world, toy_world, monkeypatch):
    url, db = pg_world
    cat = toy_world.catalog
    monkeypatch.setenv("MINERALMAP_DATABASE_URL", url)
    config.reload_settings()
    region = RegionSpec(provinces=("Balochistan",))
    v = db.version(1)
    assert cat.occurrences.attrs.get(DATASET_ATTR) is not None  # the catalog names its version
    unnamed = cat.occurrences.copy()
    unnamed.attrs.clear()
    assert selection.database_region_ids(unnamed, region, None) is None  # unknown version
    extra = cat.occurrences.iloc[:-1]  # e.g. inventory rows added or removed
    assert selection.database_region_ids(extra, region, v) is None
    assert selection.database_region_ids(cat.occurrences, RegionSpec(add_ids=("Sb-005",)),
                                         v) is None  # no area: nothing to ask the database
    monkeypatch.setenv("MINERALMAP_DATABASE_URL", "postgresql://u:pw@127.0.0.1:1/none")
    config.reload_settings()  # unreachable database: the in-memory path answers
    assert selection.database_region_ids(cat.occurrences, region, v) is None
    sel = selection.select(cat.occurrences, cat.layers, FilterSpec(), region, dataset=v)
    assert len(sel.rows) > 0


def test_export_cli_selects_in_the_database(pg_world, toy_world, monkeypatch, capsys):
    """`export` with a PostGIS store writes the rows the in-memory path selects."""
    url, _db = pg_world
    for k, v in toy_world.env().items():
        monkeypatch.setenv(k, v)
    parser = cli.build_parser()
    argv = ["export", "--province", "Balochistan", "--bbox", "64.5,26.0,68.5,30.0",
            "--format", "csv", "-o", "-"]
    config.reload_settings()
    memory, _cat, _ = export_cli.selection_from_args(parser.parse_args(argv))
    monkeypatch.setenv("MINERALMAP_DATABASE_URL", url)
    config.reload_settings()
    in_db, cat, _ = export_cli.selection_from_args(parser.parse_args(argv))
    assert isinstance(store.open_store(), PostgresStore)
    assert selection.database_region_ids(cat.occurrences, RegionSpec(
        provinces=("Balochistan",), bbox=(64.5, 26.0, 68.5, 30.0)), cat.dataset_version) \
        is not None
    assert list(in_db.rows["id"]) == list(memory.rows["id"]) and len(in_db.rows)
