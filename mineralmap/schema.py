"""Column contracts shared by every module: curated tables, cached layers, enrichment output.

These names are a public contract (exports, query parameters and tests use them). Change them
only together with ``geodata/README.md``.
"""

from __future__ import annotations

CRS = "EPSG:4326"

#: Canonical province names (OCHA/Natural Earth variants are normalised to these).
PROVINCES: tuple[str, ...] = (
    "Balochistan",
    "Khyber Pakhtunkhwa",
    "Punjab",
    "Sindh",
    "Gilgit-Baltistan",
    "Azad Jammu and Kashmir",
    "Islamabad Capital Territory",
)

#: Location-precision classes, most to least precise.
PRECISION_CLASSES: tuple[str, ...] = ("surveyed", "locality", "approximate", "district")

#: Commodity groups used for colour and filters (primary commodity -> group).
COMMODITY_GROUPS: tuple[str, ...] = ("Sb", "REE", "other")
#: Upper-case spellings of a primary commodity that belong to a group (others are "other").
COMMODITY_GROUP_ALIASES: dict[str, tuple[str, ...]] = {
    "Sb": ("SB", "ANTIMONY"),
    "REE": ("REE", "RARE EARTH", "RARE EARTHS", "RARE-EARTH ELEMENTS", "RARE EARTH ELEMENTS"),
}

#: Road classes kept in the roads layer and routed on (``secondary`` is needed for Gwadar to
#: connect), most to least important.
ROAD_CLASSES: tuple[str, ...] = ("motorway", "trunk", "primary", "secondary")
#: Road classes counted for ``road_primary_km``.
PRIMARY_ROAD_CLASSES: tuple[str, ...] = ROAD_CLASSES[:3]
#: Railway classes that can be in active service.
ACTIVE_RAIL_CLASSES: tuple[str, ...] = ("rail", "narrow_gauge")
#: Railway statuses that are not in active service.
INACTIVE_RAIL_STATUS: tuple[str, ...] = (
    "abandoned", "disused", "proposed", "construction", "dismantled", "razed",
)

#: Ids (in geodata/ports.csv) of the seaports that have their own distance and haul columns.
SEAPORT_IDS: tuple[str, ...] = ("karachi", "port_qasim", "gwadar")
#: Seaport id -> its straight-line (geodesic) distance column in :data:`ENRICH_COLUMNS`.
PORT_DISTANCE_COLUMNS: dict[str, str] = {
    "karachi": "port_karachi_km",
    "port_qasim": "port_qasim_km",
    "gwadar": "port_gwadar_km",
}
#: Seaport id -> its road-haul column in :data:`ENRICH_COLUMNS`.
PORT_HAUL_COLUMNS: dict[str, str] = {
    "karachi": "haul_road_karachi_km",
    "port_qasim": "haul_road_qasim_km",
    "gwadar": "haul_road_gwadar_km",
}

#: Columns of geodata/occurrences.csv (the curated occurrence table), in file order.
OCCURRENCE_COLUMNS: tuple[str, ...] = (
    "id",
    "name",
    "commodity",
    "commodities",
    "minerals",
    "deposit_type",
    "status",
    "province",
    "district",
    "lon",
    "lat",
    "precision",
    "precision_km",
    "tonnage_grade_note",
    "ore_tonnage_t",
    "source_title",
    "source_url",
    "source_dataset",
    "record_ids",
    "geocode_note",
)

#: Columns of geodata/ports.csv
PORT_COLUMNS: tuple[str, ...] = (
    "id",
    "name",
    "kind",  # "seaport" (WPI-listed) or "minor" (town point, not a berth)
    "locode",
    "lon",
    "lat",
    "harbor_size",
    "channel_depth_m",
    "cargo_pier_depth_m",
    "anchorage_depth_m",
    "max_vessel_draft_m",
    "location_note",
    "source_title",
    "source_url",
)

#: Columns of geodata/border_crossings.csv
CROSSING_COLUMNS: tuple[str, ...] = (
    "id",
    "name",
    "country",  # neighbouring country reached (Afghanistan, Iran, India)
    "locode",
    "lon",
    "lat",
    "location_note",
    "source_title",
    "source_url",
)

#: Columns of geodata/dry_ports.csv
DRY_PORT_COLUMNS: tuple[str, ...] = (
    "id",
    "name",
    "locode",
    "lon",
    "lat",
    "location_note",
    "source_title",
    "source_url",
)

#: Cached bulk layers and the columns each one must carry (besides ``geometry``).
LAYER_COLUMNS: dict[str, tuple[str, ...]] = {
    "provinces": ("province", "pcode"),
    "districts": ("district", "province", "pcode"),
    "tehsils": ("tehsil", "district", "province", "pcode"),
    "countries": ("country", "iso3"),
    "roads": ("fclass", "ref", "name", "gap_fill"),
    "railways": ("fclass", "status", "active", "pr_line", "track_role", "gap_fill"),
    "rail_stations": ("station_id", "name"),
    "power_plants": ("name", "capacity_mw", "primary_fuel", "commissioning_year"),
    "airports": ("icao", "iata", "name", "city"),
    "towns": ("geonameid", "name", "population"),
    "ports": PORT_COLUMNS[:4],
    "border_crossings": CROSSING_COLUMNS[:4],
    "dry_ports": DRY_PORT_COLUMNS[:3],
}

#: Columns added by :func:`mineralmap.enrich.enrich` (units: km, rounded to 0.1).
ENRICH_COLUMNS: tuple[str, ...] = (
    "commodity_group",
    "mapped",
    "province_geo",
    "district_geo",
    "tehsil_geo",
    "admin_mismatch",
    "port_nearest",
    "port_nearest_km",
    "port_karachi_km",
    "port_qasim_km",
    "port_gwadar_km",
    "rail_km",
    "station_nearest",
    "station_km",
    "road_km",
    "road_primary_km",
    "road_nearest_ref",
    "airport_nearest",
    "airport_km",
    "town_nearest",
    "town_km",
    "border_afghanistan_km",
    "border_iran_km",
    "crossing_nearest",
    "crossing_km",
    "haul_road_port",
    "haul_road_km",
    "access_km",
    "haul_road_karachi_km",
    "haul_road_qasim_km",
    "haul_road_gwadar_km",
    "haul_rail_km",
)


#: Plausible range of every numeric occurrence field: column -> (low, high, low inclusive).
#: One source for the inventory loader (:mod:`mineralmap.scale`) and steward uploads
#: (:mod:`mineralmap.inventory`): the largest district-centroid radius is under 100 km.
NUMERIC_RANGES: dict[str, tuple[float, float, bool]] = {
    "precision_km": (0.0, 500.0, False),    # 0 < precision_km <= 500
    "ore_tonnage_t": (0.0, 1e12, True),     # 0 <= ore_tonnage_t <= 1e12
}
