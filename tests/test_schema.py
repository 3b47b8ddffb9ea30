"""The column contracts are consistent with each other and with the curated files."""

from __future__ import annotations

import csv
from pathlib import Path

from mineralmap import schema

GEODATA = Path(__file__).resolve().parents[1] / "geodata"


def _header(name: str) -> list[str]:
    with (GEODATA / name).open(newline="", encoding="utf-8") as f:
        return next(csv.reader(f))


def test_curated_files_have_the_contract_columns_in_order():
    assert _header("occurrences.csv") == list(schema.OCCURRENCE_COLUMNS)
    assert _header("ports.csv") == list(schema.PORT_COLUMNS)
    assert _header("border_crossings.csv") == list(schema.CROSSING_COLUMNS)
    assert _header("dry_ports.csv") == list(schema.DRY_PORT_COLUMNS)


def test_column_names_are_unique_and_do_not_collide():
    for cols in (schema.OCCURRENCE_COLUMNS, schema.ENRICH_COLUMNS, schema.PORT_COLUMNS):
        assert len(cols) == len(set(cols))
    assert not set(schema.OCCURRENCE_COLUMNS) & set(schema.ENRICH_COLUMNS)


def test_enrichment_distance_columns_are_in_km():
    distances = [c for c in schema.ENRICH_COLUMNS if c.endswith("_km")]
    assert len(distances) >= 15  # every distance of issue 3 is a *_km column
    assert {"haul_road_km", "port_nearest_km", "rail_km", "road_primary_km"} <= set(distances)


def test_provinces_and_classes():
    assert len(schema.PROVINCES) == 7 and "Balochistan" in schema.PROVINCES
    assert schema.PRECISION_CLASSES == ("surveyed", "locality", "approximate", "district")
    assert set(schema.LAYER_COLUMNS) >= {"provinces", "districts", "tehsils", "roads", "railways"}
    assert schema.CRS == "EPSG:4326"
