"""selection: filter + region -> Selection, and the choices offered by the region page."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from pyproj import Geod
from shapely.geometry import Point, box

from mineralmap import selection
from mineralmap.errors import RegionError
from mineralmap.filters import FilterSpec
from mineralmap.regions import RegionSpec

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
