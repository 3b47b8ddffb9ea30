"""A way forward from an empty result: the nearest row a distance limit keeps out, computed with
the same filter the page uses."""

from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as hs

from mineralmap import filters, widen
from mineralmap.filters import FilterSpec


def _port_km(df):
    road = df["haul_road_km"]
    return road.where(road.notna(), df["port_nearest_km"])


def test_nearest_row_and_widened_limit(enriched):
    sb = enriched[enriched["commodity_group"] == "Sb"]
    nearest = _port_km(sb).min()
    spec = FilterSpec(commodities=("Sb",), max_port_km=float(nearest) - 1)
    assert len(filters.apply(enriched, spec)[0]) == 0
    (miss,) = widen.near_misses(enriched, spec)
    row = sb.loc[_port_km(sb).idxmin()]
    assert (miss.field, miss.nearest_km, miss.occ_id) == ("max_port_km", nearest, row["id"])
    assert miss.widened_km >= nearest and miss.widened_km % 10 == 0
    widened = dataclasses.replace(spec, max_port_km=miss.widened_km)
    assert len(filters.apply(enriched, widened)[0]) == miss.count >= 1
    text = widen.message_markdown(miss)
    assert f"{nearest:,.0f} km to a seaport by road" in text and row["id"] in text


def test_two_limits_each_reported(enriched):
    spec = FilterSpec(max_rail_km=1.0, max_road_km=None, max_port_km=1.0)
    misses = widen.near_misses(enriched, spec)
    # neither limit alone is the reason (the other one still keeps everything out)
    assert misses == []
    only_rail = FilterSpec(max_rail_km=1.0)
    (miss,) = widen.near_misses(enriched, only_rail)
    assert miss.nearest_km == enriched["rail_km"].min()


def test_no_hint_when_rows_match_or_other_filters_are_the_reason(enriched):
    assert widen.near_misses(enriched, FilterSpec()) == []
    assert widen.near_misses(enriched, FilterSpec(name_query="no such name", max_port_km=1)) == []


@given(hs.floats(0, 2000, allow_nan=False), hs.sampled_from(list(widen.LIMITS)),
       hs.floats(1, 100))
def test_widened_limit_always_admits_the_nearest_row(km, field, step):
    assert widen.widened_limit(km, step) >= km
    assert widen.widened_limit(km, step) - km <= step * (1 + 1e-9) or km == 0
