"""Region selection as data: administrative units, a bounding box, a geodesic radius, an uploaded
polygon and picked occurrences, combinable in one frozen :class:`RegionSpec`.

Combination rule: the administrative units chosen are united (Balochistan + a Sindh district is
one area); the spatial modes that are set (admin area, bbox, radius, polygon) are intersected
("within 200 km of Gwadar ∩ Balochistan"). Picked ids are then added to / removed from the
selection whatever the region says.

Uploads (:func:`parse_region_file`) accept GeoJSON, KML and zipped shapefiles and are parsed
defensively: size limits, safe XML (no DTD or entities), safe zip extraction, CRS reprojection,
polygon repair, and a specific :class:`~mineralmap.errors.RegionError` for each problem.
"""

from __future__ import annotations

import difflib
import io
import json
import lzma
import math
import os
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS as ProjCRS
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Polygon, box, shape
from shapely.geometry.base import BaseGeometry

from mineralmap._geo import GEOD, missing_or_empty
from mineralmap._lazy import defusedxml, defusedxml_etree, pyogrio, xml_etree
from mineralmap.errors import RegionError
from mineralmap.filters import unique_names
from mineralmap.schema import CRS

__all__ = [
    "MAX_UNCOMPRESSED_BYTES",
    "MAX_UPLOAD_BYTES",
    "PAKISTAN_EXTENT",
    "RegionSpec",
    "circle",
    "parse_region_file",
]

#: Pakistan's extent (west, south, east, north) in degrees; bounding boxes must lie inside it.
PAKISTAN_EXTENT: tuple[float, float, float, float] = (60.5, 23.5, 77.9, 37.2)
#: Default upload size limit (bytes), also stated in the UI.
MAX_UPLOAD_BYTES = 5_000_000
#: Cap on the total uncompressed size of a zipped shapefile.
MAX_UNCOMPRESSED_BYTES = 50_000_000
#: Most vertices (coordinates, all parts together) an uploaded region may have.
MAX_VERTICES = 100_000
#: Most polygons an uploaded region may consist of.
MAX_PARTS = 20_000
#: Work budget of the repair of invalid polygons: pairs of non-adjacent edges whose boxes
#: overlap (``make_valid`` costs about a second per 60,000 on this kind of machine).
MAX_REPAIR_PAIRS = 60_000
#: Longest zip member name (characters) and deepest folder nesting accepted.
MAX_MEMBER_NAME = 1000
MAX_MEMBER_DEPTH = 32
#: Number of vertices of a geodesic circle (one every 5 degrees of azimuth).
CIRCLE_VERTICES = 72

_CENTER_LAYERS = ("ports", "towns")


def _in_extent(lon: float, lat: float) -> bool:
    w, s, e, n = PAKISTAN_EXTENT
    return w <= lon <= e and s <= lat <= n


def _check_center(value: object) -> tuple[float, float]:
    """A lon/lat centre inside Pakistan's extent."""
    try:
        lon, lat = (float(v) for v in value)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise RegionError(f"centre must be two numbers lon,lat; got {value!r}") from None
    if not (math.isfinite(lon) and math.isfinite(lat)) or not _in_extent(lon, lat):
        w, s, e, n = PAKISTAN_EXTENT
        raise RegionError(
            f"centre {lon},{lat} is outside Pakistan's extent "
            f"(lon {w}..{e}, lat {s}..{n}); is it lat,lon instead of lon,lat?"
        )
    return lon, lat


def _check_radius(value: object) -> float:
    """A radius in km, 0 < r <= 3000."""
    try:
        r = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise RegionError(f"radius must be a number of km, got {value!r}") from None
    if not math.isfinite(r) or r <= 0:
        raise RegionError(f"radius must be more than 0 km, got {value!r}")
    if r > 3000:
        raise RegionError(f"radius {r:g} km is larger than Pakistan (max 3000 km)")
    return r


def circle(lon: float, lat: float, radius_km: float, n: int = CIRCLE_VERTICES) -> Polygon:
    """Geodesic circle: the points ``radius_km`` from (lon, lat) on the WGS84 ellipsoid.

    Parameters
    ----------
    lon, lat
        Centre in degrees.
    radius_km
        Radius in km (> 0).
    n
        Number of vertices (azimuths evenly spaced from 0 to 360 degrees).

    Returns
    -------
    shapely.Polygon
        Counter-clockwise polygon in EPSG:4326.
    """
    az = np.linspace(0.0, 360.0, n, endpoint=False)
    lons, lats, _ = GEOD.fwd(
        np.full(n, float(lon)), np.full(n, float(lat)), az, np.full(n, radius_km * 1000.0)
    )
    return shapely.geometry.polygon.orient(Polygon(zip(lons, lats, strict=True)), 1.0)


@dataclass(frozen=True)
class RegionSpec:
    """A region to select occurrences in; every part is optional and parts combine.

    Parameters
    ----------
    provinces, districts, tehsils
        Administrative units (united).
    bbox
        ``(west, south, east, north)`` in degrees, inside :data:`PAKISTAN_EXTENT`.
    center
        Name of a port, a town or an occurrence (name or id) for the radius mode.
    center_lonlat
        Explicit ``(lon, lat)`` centre instead of ``center``.
    radius_km
        Radius in km (> 0), required with a centre.
    polygon
        An already parsed polygon (see :func:`parse_region_file`), EPSG:4326.
    polygon_label
        How to call the polygon in the description (e.g. the uploaded file name).
    add_ids, remove_ids
        Occurrence ids picked on the map to add to / remove from the selection.

    Raises
    ------
    RegionError
        For an invalid bbox, radius or centre.
    """

    provinces: tuple[str, ...] = ()
    districts: tuple[str, ...] = ()
    tehsils: tuple[str, ...] = ()
    bbox: tuple[float, float, float, float] | None = None
    center: str | None = None
    center_lonlat: tuple[float, float] | None = None
    radius_km: float | None = None
    polygon: BaseGeometry | None = None
    polygon_label: str = "uploaded polygon"
    add_ids: tuple[str, ...] = ()
    remove_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("provinces", "districts", "tehsils", "add_ids", "remove_ids"):
            object.__setattr__(self, name, unique_names(getattr(self, name), name, RegionError, "region"))
        if self.bbox is not None:
            object.__setattr__(self, "bbox", _check_bbox(self.bbox))
        if self.center is not None and not isinstance(self.center, str):
            raise RegionError(f"the centre must be a name (text), got {str(self.center)[:40]!r}")
        if not isinstance(self.polygon_label, str):
            raise RegionError("the polygon label must be text")
        center = (self.center or "").strip() or None
        object.__setattr__(self, "center", center)
        if center is not None and self.center_lonlat is not None:
            raise RegionError("give either a centre name or a lon/lat centre, not both")
        if self.center_lonlat is not None:
            object.__setattr__(self, "center_lonlat", _check_center(self.center_lonlat))
        has_center = center is not None or self.center_lonlat is not None
        if self.radius_km is not None:
            object.__setattr__(self, "radius_km", _check_radius(self.radius_km))
            if not has_center:
                raise RegionError("a radius needs a centre: a port, town or occurrence name, or lon,lat")
        elif has_center:
            raise RegionError("a centre needs a radius in km (> 0)")
        if self.polygon is not None:
            if not isinstance(self.polygon, BaseGeometry) or self.polygon.is_empty:
                raise RegionError("the region polygon is empty")
            if self.polygon.geom_type not in ("Polygon", "MultiPolygon"):
                raise RegionError(f"the region must be a polygon, got a {self.polygon.geom_type}")

    # ------------------------------------------------------------------ state
    @property
    def has_area(self) -> bool:
        """True when any spatial mode (admin, bbox, radius, polygon) is set."""
        return bool(
            self.provinces or self.districts or self.tehsils or self.bbox is not None
            or self.radius_km is not None or self.polygon is not None
        )

    @property
    def admin_only(self) -> bool:
        """True when the area is made of administrative units only."""
        return bool(self.provinces or self.districts or self.tehsils) and (
            self.bbox is None and self.radius_km is None and self.polygon is None
        )

    def is_empty(self) -> bool:
        """True when the spec selects nothing in particular (everything passes).

        A method (not a property), unlike :attr:`has_area` and :attr:`admin_only`.
        """
        return not self.has_area and not self.add_ids and not self.remove_ids

    # ------------------------------------------------------------------ geometry
    def _admin_geometry(self, layers: Mapping[str, gpd.GeoDataFrame]) -> BaseGeometry | None:
        parts: list[BaseGeometry] = []
        for layer, col, chosen in (
            ("provinces", "province", self.provinces),
            ("districts", "district", self.districts),
            ("tehsils", "tehsil", self.tehsils),
        ):
            if not chosen:
                continue
            gdf = layers.get(layer)
            if gdf is None or col not in gdf.columns:
                raise RegionError(f"the {layer} layer is not available; run `python -m mineralmap data`")
            names = gdf[col].astype(str)
            low = names.str.casefold()
            unknown = [c for c in chosen if c.casefold() not in set(low)]
            if unknown:
                raise RegionError(
                    f"unknown {col} {', '.join(repr(u) for u in unknown)}; valid {col}s: "
                    + ", ".join(sorted(set(names)))
                )
            sel = gdf.loc[low.isin({c.casefold() for c in chosen}).to_numpy()]
            parts.append(_to_wgs84(sel).geometry.union_all())
        return shapely.union_all(parts) if parts else None

    def center_point(
        self,
        layers: Mapping[str, gpd.GeoDataFrame],
        occurrences: pd.DataFrame | None = None,
    ) -> tuple[float, float, str] | None:
        """Resolve the radius centre to ``(lon, lat, label)``.

        Names are looked up (case-insensitive) in the ports, then towns, then occurrences
        (``name`` or ``id``).

        Raises
        ------
        RegionError
            When the name is unknown (with close matches) or the occurrence is unmapped.
        """
        if self.center_lonlat is not None:
            lon, lat = self.center_lonlat
            return lon, lat, f"{lon:g}, {lat:g}"
        if self.center is None:
            return None
        want = self.center.casefold()
        candidates: list[str] = []
        tables: list[tuple[str, gpd.GeoDataFrame | pd.DataFrame, tuple[str, ...]]] = [
            (name, layers[name], ("name",)) for name in _CENTER_LAYERS if name in layers
        ]
        if occurrences is not None:
            tables.append(("occurrences", occurrences, ("name", "id")))
        for _layer, table, cols in tables:
            for col in cols:
                if col not in table.columns:
                    continue
                values = table[col].astype(str)
                candidates.extend(values)
                hit = values.str.casefold() == want
                if hit.any():
                    geom = table.loc[hit.to_numpy(), "geometry"].iloc[0] if "geometry" in table else None
                    label = values[hit].iloc[0]
                    if geom is None or geom.is_empty:
                        raise RegionError(f"'{label}' has no coordinates; pick another centre")
                    pt = geom.centroid
                    return float(pt.x), float(pt.y), label
        close = difflib.get_close_matches(self.center, sorted(set(candidates)), n=5, cutoff=0.5)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise RegionError(f"unknown centre '{self.center}': not a port, town or occurrence name.{hint}")

    def geometry(
        self,
        layers: Mapping[str, gpd.GeoDataFrame],
        occurrences: pd.DataFrame | None = None,
    ) -> BaseGeometry | None:
        """The region's area in EPSG:4326 (intersection of the modes set), or None.

        Parameters
        ----------
        layers
            Catalog layers (``provinces``, ``districts``, ``tehsils``, ``ports``, ``towns``).
        occurrences
            Occurrence table, to resolve an occurrence used as radius centre.

        Returns
        -------
        shapely geometry or None
            None when no spatial mode is set (picks only or nothing).
        """
        parts: list[BaseGeometry] = []
        admin = self._admin_geometry(layers)
        if admin is not None:
            parts.append(admin)
        if self.bbox is not None:
            parts.append(box(*self.bbox))
        c = self.center_point(layers, occurrences)
        if c is not None and self.radius_km is not None:
            parts.append(circle(c[0], c[1], self.radius_km))
        if self.polygon is not None:
            parts.append(self.polygon)
        if not parts:
            return None
        geom = parts[0]
        for p in parts[1:]:
            geom = shapely.intersection(geom, p)
        return geom

    def select(
        self,
        occurrences: gpd.GeoDataFrame,
        layers: Mapping[str, gpd.GeoDataFrame],
        *,
        centres: pd.DataFrame | None = None,
    ) -> gpd.GeoDataFrame:
        """The occurrences in the region (covered by its area), plus/minus picked ids.

        Rows without coordinates are kept only for a purely administrative region whose units
        match their stated province/district (as the filters do); a bbox, radius or polygon
        needs coordinates. Picked ``add_ids`` are looked up among ``occurrences`` only.

        Parameters
        ----------
        occurrences
            Rows to select from (typically already filtered).
        layers
            Catalog layers.
        centres
            Table in which an occurrence used as radius centre is looked up (default
            ``occurrences``); pass the unfiltered table so that a centre hidden by the filters
            still resolves.

        Returns
        -------
        geopandas.GeoDataFrame
            The selected rows with every column (an empty frame keeps its columns).
        """
        lookup = occurrences if centres is None else centres
        geom = self.geometry(layers, lookup)
        n = len(occurrences)
        if geom is None:
            keep = np.full(n, not self.add_ids)  # picks only: just the picked rows
        else:
            geoms = np.asarray(occurrences.geometry.to_numpy(), dtype=object)
            valid = ~missing_or_empty(geoms)
            keep = np.zeros(n, dtype=bool)
            centre = self.center_point(layers, lookup) if self.radius_km is not None else None
            if centre is None:
                shapely.prepare(geom)
                keep[valid] = shapely.covers(geom, geoms[valid])
            else:
                # Radius membership is geodesic distance <= radius (exact); the 72-vertex circle
                # polygon is only the drawing/exported outline (it cuts chords ~0.1 % inside).
                pts = geoms[valid]
                lon, lat = shapely.get_x(pts), shapely.get_y(pts)
                _, _, dist_m = GEOD.inv(np.full(lon.shape, centre[0]), np.full(lat.shape, centre[1]),
                                          lon, lat)
                inside = np.asarray(dist_m) <= self.radius_km * 1000.0
                others = replace(self, center=None, center_lonlat=None, radius_km=None)
                other_geom = others.geometry(layers, lookup)
                if other_geom is not None:
                    shapely.prepare(other_geom)
                    inside &= shapely.covers(other_geom, pts)
                keep[valid] = inside
            if self.admin_only and (~valid).any():
                keep |= ~valid & self._admin_attr_match(occurrences)
        ids = occurrences["id"].astype(str).to_numpy() if "id" in occurrences else np.array([""] * n)
        if self.add_ids:
            keep |= np.isin(ids, list(self.add_ids))
        if self.remove_ids:
            keep &= ~np.isin(ids, list(self.remove_ids))
        return occurrences.loc[keep]

    def _admin_attr_match(self, df: pd.DataFrame) -> np.ndarray:
        hit = np.zeros(len(df), dtype=bool)
        for col, chosen in (("province", self.provinces), ("district", self.districts)):
            if chosen and col in df.columns:
                low = {c.casefold() for c in chosen}
                hit |= df[col].astype("string").str.casefold().isin(low).fillna(False).to_numpy(bool)
        return hit

    # ------------------------------------------------------------------ sentence
    def describe(self) -> str:
        """Human description, e.g. ``"within 200 km of Gwadar ∩ Balochistan"``."""
        parts: list[str] = []
        if self.radius_km is not None:
            if self.center_lonlat is not None:
                where = f"{self.center_lonlat[0]:g}, {self.center_lonlat[1]:g}"
            else:
                where = str(self.center)
            parts.append(f"within {self.radius_km:g} km of {where}")
        admin = [*self.provinces, *self.districts, *self.tehsils]
        if admin:
            parts.append(" ∪ ".join(admin) if len(admin) > 1 else admin[0])
        if self.bbox is not None:
            w, s, e, n = self.bbox
            parts.append(f"box {w:g},{s:g} to {e:g},{n:g}")
        if self.polygon is not None:
            parts.append(self.polygon_label or "uploaded polygon")
        text = " ∩ ".join(parts) if parts else ("picked occurrences" if self.add_ids else "")
        if self.add_ids and parts:
            text += f" + {len(self.add_ids)} picked"
        if self.remove_ids:
            text = (text or "all") + f" − {len(self.remove_ids)} removed"
        return text or "no region (all filtered occurrences)"


def _check_bbox(bbox: Iterable[float]) -> tuple[float, float, float, float]:
    try:
        vals = tuple(float(v) for v in bbox)
    except (TypeError, ValueError):
        raise RegionError(f"bounding box must be four numbers W,S,E,N; got {bbox!r}") from None
    if len(vals) != 4 or not all(math.isfinite(v) for v in vals):
        raise RegionError(f"bounding box must be four numbers W,S,E,N; got {bbox!r}")
    w, s, e, n = vals
    if not w < e:
        raise RegionError(f"bounding box west ({w:g}) must be less than east ({e:g})")
    if not s < n:
        raise RegionError(f"bounding box south ({s:g}) must be less than north ({n:g})")
    pw, ps, pe, pn = PAKISTAN_EXTENT
    if w < pw or e > pe or s < ps or n > pn:
        raise RegionError(
            f"bounding box {w:g},{s:g},{e:g},{n:g} is outside Pakistan's extent "
            f"(lon {pw}..{pe}, lat {ps}..{pn})"
        )
    return (w, s, e, n)


def _to_wgs84(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if gdf.crs is None or ProjCRS.from_user_input(gdf.crs).equals(ProjCRS.from_user_input(CRS)):
        return gdf
    return gdf.to_crs(CRS)


# ---------------------------------------------------------------------- uploads


def parse_region_file(
    data: bytes, filename: str, max_bytes: int = MAX_UPLOAD_BYTES
) -> tuple[BaseGeometry, list[str]]:
    """Parse an uploaded region file into one EPSG:4326 (Multi)Polygon.

    Parameters
    ----------
    data
        File contents.
    filename
        Original file name; its extension picks the reader (``.geojson``/``.json``, ``.kml``,
        ``.zip`` with a shapefile); unknown extensions are sniffed.
    max_bytes
        Size limit of the upload.

    Returns
    -------
    tuple[shapely geometry, list[str]]
        The (unioned) polygon and human notes on what was done (reprojection, repair,
        dropped non-polygon parts).

    Raises
    ------
    RegionError
        Empty or over-size file, invalid JSON/XML/zip, KML with a DTD or entities, zip without a
        ``.shp`` or with paths escaping the folder, no polygon, coordinates out of range.
    """
    name = os.path.basename(filename or "upload")
    if not data:
        raise RegionError(f"{name} is empty")
    if len(data) > max_bytes:
        raise RegionError(
            f"{name} is {len(data) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:g} MB"
        )
    ext = os.path.splitext(name)[1].lower()
    if ext not in (".geojson", ".json", ".kml", ".zip"):
        head = data.lstrip()[:1]
        if data[:4] == b"PK\x03\x04":
            ext = ".zip"
        elif head in (b"{", b"["):
            ext = ".json"
        elif head == b"<":
            ext = ".kml"
        elif ext == ".kmz":
            raise RegionError(f"{name}: KMZ is not supported; unzip it and upload the .kml")
        else:
            raise RegionError(
                f"{name}: unsupported file type; upload GeoJSON (.geojson), KML (.kml) or a "
                "zipped shapefile (.zip)"
            )
    notes: list[str] = []
    if ext == ".zip":
        geoms, src_crs = _read_zip_shapefile(data, name, notes)
    elif ext == ".kml":
        geoms, src_crs = _read_kml(data, name), None
    else:
        geoms, src_crs = _read_geojson(data, name, notes)
    return _finish(geoms, src_crs, name, notes), notes


def _read_geojson(data: bytes, name: str, notes: list[str]) -> tuple[list[BaseGeometry], ProjCRS | None]:
    try:
        obj = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise RegionError(f"{name} is not valid JSON: it is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise RegionError(
            f"{name} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise RegionError(f"{name}: the JSON is nested too deeply to be GeoJSON") from None
    except ValueError:  # e.g. an integer with more digits than Python converts
        raise RegionError(f"{name} is not valid JSON: a number is too long") from None
    if not isinstance(obj, dict) or "type" not in obj:
        raise RegionError(f"{name} is JSON but not GeoJSON (no 'type' member)")
    src_crs = None
    crs_member = obj.get("crs")
    if crs_member:
        try:
            props = crs_member.get("properties", {})
            src_crs = ProjCRS.from_user_input(props.get("name") or props.get("href"))
        except Exception:  # noqa: BLE001 - pyproj raises several types
            raise RegionError(
                f"{name} declares a CRS that cannot be read: {str(crs_member)[:200]}"
            ) from None
    kind = obj["type"]
    if kind == "FeatureCollection":
        feats = obj.get("features")
        if not isinstance(feats, list):
            raise RegionError(f"{name}: FeatureCollection has no 'features' list")
        raw = [f.get("geometry") for f in feats if isinstance(f, dict)]
    elif kind == "Feature":
        raw = [obj.get("geometry")]
    else:
        raw = [obj]
    geoms: list[BaseGeometry] = []
    for g in raw:
        if g is None:
            continue
        _check_json_coordinates(g, name)
        try:
            geoms.append(_json_polygon(g) or shape(g))
        except Exception:  # noqa: BLE001 - shapely raises several types
            kind = g.get("type") if isinstance(g, dict) else None
            raise RegionError(
                f"{name}: invalid GeoJSON geometry"
                + (f" of type {str(kind)[:40]!r}" if kind else "")
                + " (check its 'type' and 'coordinates')"
            ) from None
    return geoms, src_crs


def _json_polygon(g: dict) -> BaseGeometry | None:
    """The (Multi)Polygon of a checked GeoJSON geometry, its rings built from numpy arrays.

    The same geometry as :func:`shapely.geometry.shape`, which builds every ring vertex by vertex
    in Python (a tenth of a second for 100,000 vertices). None for any other type or any shape
    of ``coordinates`` it does not take (ragged, empty, too short): ``shape`` decides those.
    """
    kind, coords = g.get("type"), g.get("coordinates")
    if kind not in ("Polygon", "MultiPolygon") or not isinstance(coords, list) or not coords:
        return None
    try:
        polys = []
        for rings in [coords] if kind == "Polygon" else coords:
            arrays = [np.asarray(r, dtype=float) for r in rings]
            if not arrays or any(a.ndim != 2 or a.shape[1] not in (2, 3) or len(a) < 4
                                 for a in arrays):
                return None
            holes = [shapely.linearrings(a) for a in arrays[1:]]
            polys.append(shapely.polygons(shapely.linearrings(arrays[0]), holes or None))
    except (ValueError, TypeError, shapely.errors.GEOSException):
        return None
    return polys[0] if kind == "Polygon" else shapely.multipolygons(polys)


def _check_json_coordinates(geom: object, name: str) -> None:
    """Every leaf of every ``coordinates`` below ``geom`` is a finite int/float (not a bool).

    Iterative (no recursion), bounded by :data:`MAX_VERTICES` numbers per geometry collection.
    """
    stack: list[object] = [geom]
    seen = 0
    while stack:
        g = stack.pop()
        if not isinstance(g, dict):
            raise RegionError(f"{name}: a GeoJSON geometry must be an object")
        if isinstance(g.get("geometries"), list):
            stack.extend(g["geometries"])
            continue
        coords = [g.get("coordinates")]
        while coords:
            c = coords.pop()
            if isinstance(c, list):
                coords.extend(c)
                continue
            if isinstance(c, bool) or not isinstance(c, int | float):
                raise RegionError(
                    f"{name}: a coordinate is {'a yes/no value' if isinstance(c, bool) else 'not a number'}"
                    f" ({str(c)[:20]!r}); coordinates are numbers lon, lat"
                )
            if isinstance(c, int) and abs(c) > 10**15:
                raise RegionError(f"{name}: a coordinate is not a number of degrees or metres")
            if isinstance(c, float) and not math.isfinite(c):
                raise RegionError(f"{name}: coordinates are not finite numbers (NaN or infinity)")
            seen += 1
            if seen > 3 * MAX_VERTICES:
                raise RegionError(
                    f"{name} has more than {MAX_VERTICES:,} vertices; the limit is "
                    f"{MAX_VERTICES:,}: simplify the polygon (e.g. QGIS Simplify, mapshaper) "
                    "and upload it again"
                )


def _kml_local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1]


def _kml_ring(el, name: str) -> list[tuple[float, float]]:
    """Coordinates of the first ``<coordinates>`` below ``el``."""
    for c in el.iter():
        if _kml_local(c.tag) == "coordinates":
            pts = []
            for tok in (c.text or "").split():
                xs = tok.split(",")
                try:
                    x, y = float(xs[0]), float(xs[1])
                except (ValueError, IndexError):
                    raise RegionError(f"{name}: bad KML coordinate '{tok[:60]}'") from None
                if not (math.isfinite(x) and math.isfinite(y)):
                    raise RegionError(f"{name}: coordinates are not finite numbers ('{tok[:60]}')")
                pts.append((x, y))
            return pts
    return []


def _kml_polygon(el, name: str) -> Polygon:
    outer: list[tuple[float, float]] = []
    holes: list[list[tuple[float, float]]] = []
    for child in el:
        ct = _kml_local(child.tag)
        if ct == "outerBoundaryIs":
            outer = _kml_ring(child, name)
        elif ct == "innerBoundaryIs":
            holes.append(_kml_ring(child, name))
    if len(outer) < 3:
        raise RegionError(f"{name}: a KML Polygon has fewer than 3 coordinates")
    return Polygon(outer, [h for h in holes if len(h) >= 3])


def _read_kml(data: bytes, name: str) -> list[BaseGeometry]:
    try:
        root = defusedxml_etree.fromstring(data, forbid_dtd=True, forbid_entities=True,
                                           forbid_external=True)
    except defusedxml.DefusedXmlException:
        raise RegionError(
            f"{name}: KML with a <!DOCTYPE> or entity declarations is refused for safety "
            "(external/expanding entities); export the KML again without a DTD"
        ) from None
    except xml_etree.ParseError as exc:
        raise RegionError(f"{name} is not valid XML/KML: {exc}") from None
    except LookupError:
        raise RegionError(f"{name}: the XML declares an unknown text encoding; save it as UTF-8") from None
    except (ValueError, RecursionError, MemoryError):  # e.g. multi-byte encodings, deep nesting
        raise RegionError(
            f"{name} cannot be read as KML (unsupported encoding or nesting); save it as UTF-8 KML"
        ) from None
    polys: list[BaseGeometry] = []
    others: list[str] = []
    for el in root.iter():
        tag = _kml_local(el.tag)
        if tag == "Polygon":
            polys.append(_kml_polygon(el, name))
        elif tag in ("Point", "LineString", "Track"):
            others.append(tag)
    if not polys:
        what = f" (found {', '.join(sorted(set(others)))})" if others else ""
        raise RegionError(f"{name} contains no polygon{what}; draw an area, not points or lines")
    return polys


def _safe_member(info: zipfile.ZipInfo, name: str) -> str:
    raw = info.filename.replace("\\", "/")
    shown = info.filename[:80] + ("…" if len(info.filename) > 80 else "")
    p = PurePosixPath(raw)
    if raw.startswith("/") or (len(raw) > 1 and raw[1] == ":") or ".." in p.parts:
        raise RegionError(
            f"{name}: the zip entry '{shown}' points outside the folder (absolute path "
            "or '..'); refused"
        )
    if "\x00" in raw or len(raw) > MAX_MEMBER_NAME or len(p.parts) > MAX_MEMBER_DEPTH:
        raise RegionError(
            f"{name}: the zip entry '{shown}' has a name that is too long or nested too deeply "
            f"(max {MAX_MEMBER_NAME} characters, {MAX_MEMBER_DEPTH} folders); refused"
        )
    return raw


#: Shapefile parts copied out of the archive (everything else in it is ignored).
_SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")


def _open_zip(data: bytes, name: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except UnicodeDecodeError:
        raise RegionError(f"{name}: a file name inside the zip is not valid UTF-8") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError,
            NotImplementedError):
        raise RegionError(f"{name} is not a valid zip file") from None


def _copy_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, dest: str, name: str,
                 written: int) -> int:
    """Copy one member to ``dest`` (bounded by :data:`MAX_UNCOMPRESSED_BYTES`); bytes so far."""
    shown = info.filename[:80]
    try:
        with zf.open(info) as src, open(dest, "wb") as out:
            while chunk := src.read(1 << 20):
                written += len(chunk)
                if written > MAX_UNCOMPRESSED_BYTES:
                    raise RegionError(
                        f"{name} unpacks to more than {MAX_UNCOMPRESSED_BYTES / 1e6:g} MB"
                    )
                out.write(chunk)
    except RuntimeError:  # zipfile: "File ... is encrypted, password required"
        raise RegionError(f"{name}: '{shown}' is encrypted; upload an unencrypted zip") from None
    except NotImplementedError:  # unsupported compression method (AES, ...)
        raise RegionError(
            f"{name}: '{shown}' uses an unsupported compression method (e.g. AES); zip it "
            "again with ordinary (deflate) compression"
        ) from None
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, zlib.error,
            lzma.LZMAError):
        raise RegionError(f"{name}: '{shown}' is damaged and cannot be read from the zip") from None
    return written


def _read_zip_shapefile(
    data: bytes, name: str, notes: list[str]
) -> tuple[list[BaseGeometry], ProjCRS | None]:
    zf = _open_zip(data, name)
    with zf, tempfile.TemporaryDirectory(prefix="mineralmap_upload_") as tmp:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        members = [(_safe_member(i, name), i) for i in infos]
        total = sum(i.file_size for i in infos)
        if total > MAX_UNCOMPRESSED_BYTES:
            raise RegionError(
                f"{name} unpacks to {total / 1e6:.0f} MB; the limit is "
                f"{MAX_UNCOMPRESSED_BYTES / 1e6:g} MB"
            )
        shps = [m for m, _ in members if m.lower().endswith(".shp")]
        if not shps:
            raise RegionError(f"{name} contains no .shp file; zip the .shp with its .shx, .dbf and .prj")
        if len(shps) > 1:
            notes.append(f"{name} holds {len(shps)} shapefiles; used {shps[0][:80]}")
        # Only the chosen shapefile's parts are copied, under fixed flat names: no folders are
        # created, so member names cannot clash with each other or the file system's limits.
        stem = shps[0][:-4]
        written = 0
        for rel, info in members:
            ext = rel[len(stem):].lower() if rel[:len(stem)] == stem else ""
            if ext in _SHAPEFILE_PARTS:
                written = _copy_member(zf, info, os.path.join(tmp, "upload" + ext), name, written)
        path = os.path.join(tmp, "upload.shp")
        try:
            gdf = pyogrio.read_dataframe(path)
            src_crs = ProjCRS.from_user_input(gdf.crs) if gdf.crs is not None else None
        except Exception:  # noqa: BLE001 - GDAL/pyproj errors vary (and name the temp folder)
            raise RegionError(
                f"{name}: cannot read {shps[0][:80]} as a shapefile (is its .shx or .dbf "
                "missing or damaged?)"
            ) from None
    if src_crs is None:
        notes.append(f"{name} has no .prj; assumed WGS84 lon/lat")
    return [g for g in gdf.geometry if g is not None], src_crs


def _geoms_to_wgs84(arr: np.ndarray, src_crs: ProjCRS | None, name: str,
                    notes: list[str]) -> np.ndarray:
    """Reproject geometries from ``src_crs`` (when it is not WGS84 lon/lat) to EPSG:4326."""
    if src_crs is None or src_crs.equals(ProjCRS.from_user_input(CRS)) or src_crs.equals(
            ProjCRS.from_user_input("OGC:CRS84")):
        return arr
    tr = Transformer.from_crs(src_crs, CRS, always_xy=True)

    def _tr(c: np.ndarray) -> np.ndarray:
        x, y = tr.transform(c[:, 0], c[:, 1])
        return np.column_stack([x, y])

    notes.append(f"reprojected {name} from {src_crs.to_string()} to WGS84 (EPSG:4326)")
    return shapely.transform(arr, _tr)


def _polygon_parts(arr: np.ndarray, name: str, notes: list[str]) -> list[BaseGeometry]:
    """The polygons among ``arr`` (collections opened); other parts are noted and dropped."""
    polys: list[BaseGeometry] = []
    dropped: list[str] = []
    for g in shapely.get_parts(arr):
        if g.geom_type == "Polygon":
            polys.append(g)
        elif g.geom_type == "GeometryCollection":
            polys.extend(p for p in shapely.get_parts(g) if p.geom_type == "Polygon")
        else:
            dropped.append(g.geom_type)
    if not polys:
        raise RegionError(
            f"{name} is not a polygon (found {', '.join(sorted(set(dropped)))}); draw an area, "
            "not points or lines"
        )
    if dropped:
        notes.append(f"ignored {len(dropped)} non-polygon feature(s) ({', '.join(sorted(set(dropped)))})")
    return polys


def _check_degrees(polys: list[BaseGeometry], name: str) -> None:
    """Every coordinate (outer rings and holes) is finite and in lon/lat range."""
    xy = shapely.get_coordinates(np.asarray(polys, dtype=object))
    if len(xy) == 0:
        raise RegionError(f"{name}: the polygon has no coordinates")
    if not np.isfinite(xy).all():
        raise RegionError(f"{name}: coordinates are not finite numbers (NaN or infinity)")
    xmin, ymin = xy.min(axis=0)
    xmax, ymax = xy.max(axis=0)
    if xmin < -180 or xmax > 180 or ymin < -90 or ymax > 90:
        raise RegionError(
            f"{name}: coordinates out of range (x {xmin:g}..{xmax:g}, y {ymin:g}..{ymax:g}); "
            "expected lon/lat degrees. Declare the CRS in the file or reproject it to WGS84"
        )


def _check_size(geoms: np.ndarray, name: str) -> None:
    """Refuse regions whose repair and union could cost more than a few seconds."""
    n = int(shapely.get_num_coordinates(geoms).sum())
    if n > MAX_VERTICES:
        raise RegionError(
            f"{name} has {n:,} vertices; the limit is {MAX_VERTICES:,}: simplify the polygon "
            "(e.g. QGIS Simplify, mapshaper) and upload it again"
        )


def _crossing_pairs(polys: list[BaseGeometry], limit: int) -> int:
    """Pairs of non-adjacent edges of ``polys`` whose boxes overlap (counted up to ``limit``)."""
    rings = shapely.get_rings(np.asarray(polys, dtype=object))
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    if len(coords) < 2:
        return 0
    same = ring_of[:-1] == ring_of[1:]
    a, b = coords[:-1][same], coords[1:][same]
    edge_ring = ring_of[:-1][same]
    edge_no = np.arange(len(a))
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    boxes = shapely.box(lo[:, 0], lo[:, 1], hi[:, 0], hi[:, 1])
    tree = shapely.STRtree(boxes)
    first = np.r_[True, edge_ring[1:] != edge_ring[:-1]]
    ring_first = np.maximum.accumulate(np.where(first, edge_no, 0))
    ring_last = np.r_[ring_first[1:][first[1:]] - 1, len(a) - 1][np.cumsum(first) - 1]
    count, start, step = 0, 0, 256
    while start < len(a):  # growing chunks: stop as soon as the budget is spent
        i, j = tree.query(boxes[start:start + step], predicate="intersects")
        i = i + start
        keep = (i < j) & ~((edge_ring[i] == edge_ring[j]) & (
            (j - i == 1) | ((i == ring_first[i]) & (j == ring_last[i]))))
        count += int(keep.sum())
        if count > limit:
            break
        start += step
        step = min(2 * step, 4096)
    return count


def _repaired(polys: list[BaseGeometry], name: str, notes: list[str]) -> list[BaseGeometry]:
    """Valid polygons: invalid ones repaired (one summarising note), within a work budget."""
    arr = np.asarray(polys, dtype=object)
    bad = ~shapely.is_valid(arr)
    if not bad.any():
        return polys
    pairs = _crossing_pairs(list(arr[bad]), MAX_REPAIR_PAIRS)
    if pairs > MAX_REPAIR_PAIRS:
        raise RegionError(
            f"{name}: the polygon crosses itself too often to be repaired automatically; "
            "fix it in a GIS (e.g. QGIS Fix geometries) and upload it again"
        )
    reasons = [str(r).split("[", 1)[0].strip() for r in shapely.is_valid_reason(arr[bad])]
    fixed = shapely.make_valid(arr[bad], method="structure", keep_collapsed=False)
    out = list(arr[~bad])
    out.extend(q for q in shapely.get_parts(fixed) if q.geom_type in ("Polygon", "MultiPolygon"))
    kinds = pd.Series(reasons).value_counts()
    why = ", ".join(f"{k} ×{v:,}" if v > 1 else k for k, v in kinds.head(3).items())
    nbad = int(bad.sum())
    notes.append(f"repaired {nbad:,} invalid polygon{'s' if nbad > 1 else ''} in {name} ({why})")
    return out


def _union(polys: list[BaseGeometry]) -> BaseGeometry:
    """Union of valid polygons; groups that do not touch are not unioned (GEOS's cascaded union
    of thousands of disjoint parts takes minutes), they are simply collected."""
    arr = np.asarray(polys, dtype=object)
    if len(arr) == 1:
        return arr[0]
    i, j = shapely.STRtree(arr).query(arr, predicate="intersects")
    keep = i < j
    parent = np.arange(len(arr))

    def root(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for a, b in zip(i[keep].tolist(), j[keep].tolist(), strict=True):
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups = np.array([root(k) for k in range(len(arr))])
    roots, sizes = np.unique(groups, return_counts=True)
    merged = np.empty(len(roots), dtype=object)
    order = np.argsort(groups, kind="stable")  # members of each group together, in input order
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    for k in np.unique(sizes):  # groups of one size are unioned in one call
        at = np.flatnonzero(sizes == k)
        members = arr[order[starts[at][:, None] + np.arange(k)]]
        merged[at] = members[:, 0] if k == 1 else shapely.union_all(members, axis=1)
    parts = shapely.get_parts(merged)
    parts = parts[(shapely.get_type_id(parts) == 3) & ~shapely.is_empty(parts)]
    return parts[0] if len(parts) == 1 else MultiPolygon(list(parts))


def _finish(
    geoms: list[BaseGeometry], src_crs: ProjCRS | None, name: str, notes: list[str]
) -> BaseGeometry:
    if not geoms:
        raise RegionError(f"{name} contains no geometry")
    arr = shapely.force_2d(np.asarray(geoms, dtype=object))
    _check_size(arr, name)
    arr = _geoms_to_wgs84(arr, src_crs, name, notes)
    polys = _polygon_parts(arr, name, notes)
    if len(polys) > MAX_PARTS:
        raise RegionError(
            f"{name} has {len(polys):,} polygons; the limit is {MAX_PARTS:,}: dissolve or "
            "simplify it and upload it again"
        )
    _check_degrees(polys, name)
    polys = [p for p in _repaired(polys, name, notes) if not p.is_empty]
    geom = _union(polys) if polys else Polygon()
    if geom.is_empty or geom.area == 0:
        raise RegionError(f"{name}: the polygon has no area")
    if isinstance(geom, Polygon | MultiPolygon):
        w, s, e, n = PAKISTAN_EXTENT
        if not geom.intersects(box(w, s, e, n)):
            notes.append(f"{name} lies outside Pakistan's extent: it will select nothing")
    return geom
