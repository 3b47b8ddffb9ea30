"""Spatial enrichment: admin units, distances to infrastructure, road and rail haul to ports.

:func:`enrich` adds every column of :data:`mineralmap.schema.ENRICH_COLUMNS` (distances in km,
rounded to 0.1). Each distance is as uncertain as the occurrence point itself: read it together
with the row's ``precision_km``.

============================  ===============================================================
column                        meaning
============================  ===============================================================
commodity_group               "Sb", "REE" or "other", from the primary ``commodity``
mapped                        the row has a point geometry
province_geo, district_geo,   point-in-polygon against provinces/districts/tehsils (a point
tehsil_geo                    outside every polygon but within :data:`ADMIN_TOLERANCE_KM` of one,
                              e.g. on a generalised coastline, takes the nearest one)
admin_mismatch                the stated ``province`` (non-empty) differs from ``province_geo``
port_nearest, _km             nearest seaport (``kind == 'seaport'``) by name, geodesic km
port_karachi_km, ...          geodesic km to Karachi / Port Qasim / Gwadar (ids karachi,
                              port_qasim, gwadar)
rail_km                       nearest railway line with ``active == True``
station_nearest, _km          nearest rail station (name)
road_km, road_nearest_ref     nearest road of any class and its ``ref`` (e.g. ``N-25``)
road_primary_km               nearest motorway / trunk / primary road
airport_nearest, _km          nearest airport (name)
town_nearest, _km             nearest town (name)
border_afghanistan_km,        distance to the Pakistan-Afghanistan / Pakistan-Iran border line:
border_iran_km                the neighbour's polygon boundary intersected with Pakistan's
                              boundary buffered by :data:`BORDER_BUFFER_M` (so the neighbour's
                              other borders and coast are excluded); the whole neighbour boundary
                              when no Pakistan polygon is in the countries layer
crossing_nearest, _km         nearest border crossing (name)
haul_road_*, access_km        road haul, see :mod:`mineralmap.network`
haul_rail_km                  rail km from the nearest station to a port-connected station, NaN
                              where the rail network does not connect (see
                              :mod:`mineralmap.network`)
============================  ===============================================================

Method and residual error
-------------------------
Everything is vectorised; no per-row Python loop. Layers are indexed once
(:func:`prepare_layers`: projection, k-d trees, segment indexes, border lines) in
:data:`mineralmap._geo.METRIC_CRS`, a Lambert conformal conic fitted to Pakistan (scale error
< ~1 % over the country); line edges longer than 0.05 degrees are densified first, so a
projected chord stays within ~2 m of its lon/lat-straight edge. For each point the nearest
feature and the nearest point on it are found in that projection (points: k-d tree; lines:
:class:`mineralmap._geo.SegmentIndex`; polygons: shapely STRtree), the nearest point is
transformed back to lon/lat and the reported distance is the WGS84 geodesic
(:class:`pyproj.Geod`) between the occurrence and that point.

Residual error against the true geodesic minimum:

* picking in the projection: the nearest point on a given line is stationary in distance, so
  picking it in the projection costs ~0.1 % at most for distances of a few hundred km; when two
  features lie within ~1 % of the same distance, the projection may pick the slightly farther one
  (error bounded by that ~1 %). ``tests/test_enrich.py`` checks < 0.2 % against a dense brute
  force at > 500 km;
* segment search: exact up to :data:`mineralmap.network.EXACT_MAX_POINTS` points; above that
  the fast mode may overestimate a line distance by at most 500 m (half a 1 km sub-segment); the
  benchmark prints the measured difference (so far at most 0.18 km; < 0.1 % of values off by
  more than 1 m).

Layers are processed on a small thread pool for large batches (numpy, shapely, pyproj and scipy
release the GIL).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from mineralmap._geo import (
    SegmentIndex,
    geod_km,
    kd_workers,
    missing_or_empty,
    to_lonlat,
    to_metric,
)
from mineralmap._lazy import spatial
from mineralmap.errors import ValidationError
from mineralmap.filters import commodity_group
from mineralmap.network import (
    DENSIFY_DEG,
    EXACT_MAX_POINTS,
    HAUL_COLUMNS,
    Networks,
    _active_railways,
    build_networks,
)
from mineralmap.schema import CRS, ENRICH_COLUMNS, PORT_DISTANCE_COLUMNS, PRIMARY_ROAD_CLASSES

#: Version of what :func:`enrich` computes. Bump it whenever the meaning or the values of an
#: enrichment column change (here or in :mod:`mineralmap.network`): the enriched-occurrence
#: caches are keyed on it and on their inputs' fingerprints, never on source-file bytes.
ENRICH_VERSION = "1"
#: Buffer (metres) around Pakistan's boundary used to cut a neighbour's boundary to the shared
#: border line.
BORDER_BUFFER_M = 1000.0
#: Layers are processed on this many threads (numpy, shapely, pyproj and scipy release the GIL)
#: when there are at least ``_PARALLEL_MIN_POINTS`` points.
_WORKERS = min(4, os.cpu_count() or 1)
_PARALLEL_MIN_POINTS = 5_000
#: A point outside every admin polygon takes the nearest one within this distance.
ADMIN_TOLERANCE_KM = 2.0

_NAME_COLUMNS = ("province_geo", "district_geo", "tehsil_geo", "port_nearest", "station_nearest",
                 "road_nearest_ref", "airport_nearest", "town_nearest", "crossing_nearest",
                 "haul_road_port", "commodity_group")
#: Columns of :func:`summary_table`.
SUMMARY_COLUMNS: tuple[str, ...] = ("id", "name", "commodity", "precision_km", "haul_road_port",
                                    "haul_road_km", "port_nearest", "port_nearest_km")


# --------------------------------------------------------------------------------------------
# geometry helpers


class _Points:
    """Query points: lon/lat arrays, validity mask and projected shapely points of valid rows."""

    def __init__(self, lon: np.ndarray, lat: np.ndarray) -> None:
        self.lon = np.asarray(lon, dtype=float)
        self.lat = np.asarray(lat, dtype=float)
        self.ok = np.isfinite(self.lon) & np.isfinite(self.lat)
        self.idx = np.flatnonzero(self.ok)
        x, y = to_metric(self.lon[self.ok], self.lat[self.ok])
        self.xy = np.column_stack([x, y])
        self._proj: np.ndarray | None = None
        self._ll_tree: shapely.STRtree | None = None
        self._lock = threading.Lock()

    @property
    def n(self) -> int:
        return int(self.lon.size)

    @property
    def proj(self) -> np.ndarray:
        """Shapely points in the metric CRS (valid rows; built on first use)."""
        with self._lock:
            if self._proj is None:
                self._proj = shapely.points(self.xy)
            return self._proj

    @property
    def lonlat_tree(self) -> shapely.STRtree:
        """STRtree of the valid points in lon/lat (built once, shared by admin look-ups)."""
        with self._lock:
            if self._ll_tree is None:
                self._ll_tree = shapely.STRtree(
                    shapely.points(self.lon[self.ok], self.lat[self.ok]))
            return self._ll_tree

    @classmethod
    def from_geoseries(cls, points: gpd.GeoSeries) -> _Points:
        geoms = np.asarray(points.values, dtype=object)
        valid = ~missing_or_empty(geoms)
        types = shapely.get_type_id(geoms[valid])
        if types.size and (types != 0).any():
            bad = int(np.flatnonzero(valid)[np.flatnonzero(types != 0)[0]])
            raise ValidationError(
                f"occurrence geometry must be Points (or empty for unmapped rows); row {bad} "
                f"is a {geoms[bad].geom_type}"
            )
        lon = np.full(geoms.size, np.nan)
        lat = np.full(geoms.size, np.nan)
        lon[valid] = shapely.get_x(geoms[valid])
        lat[valid] = shapely.get_y(geoms[valid])
        return cls(lon, lat)


def _to_4326(gdf: gpd.GeoDataFrame | gpd.GeoSeries, what: str):
    if gdf.crs is None:
        raise ValidationError(f"{what}: no CRS set; expected {CRS} (lon/lat)")
    if not gdf.crs.equals(CRS) and gdf.crs.to_epsg() != 4326:
        return gdf.to_crs(CRS)
    return gdf


def _project_geoms(geoms: np.ndarray) -> np.ndarray:
    """Project lon/lat geometries to the metric CRS, first densifying edges longer than
    :data:`DENSIFY_DEG` (an edge is straight in lon/lat; projected as a chord it would bow away
    from, e.g., a parallel by kilometres over a few degrees)."""
    def f(c: np.ndarray) -> np.ndarray:
        x, y = to_metric(c[:, 0], c[:, 1])
        return np.column_stack([x, y])

    geoms = np.asarray(geoms, dtype=object)
    if geoms.size and (shapely.get_type_id(geoms) != 0).any():
        geoms = shapely.segmentize(geoms, DENSIFY_DEG)
    return shapely.transform(geoms, f)


def _valid_geoms(gdf: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Non-missing, non-empty geometries and their positional index in ``gdf``."""
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    pos = np.flatnonzero(~missing_or_empty(geoms))
    return geoms[pos], pos


def _segments(tproj: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Split linear targets into 2-point segments (tight STRtree envelopes).

    Returns ``(xy (k, 2, 2) array, owner index)`` or None when any target is not linear.
    """
    types = shapely.get_type_id(tproj)
    if not np.isin(types, (1, 2, 5)).all():  # LineString, LinearRing, MultiLineString
        return None
    parts, owner = shapely.get_parts(tproj, return_index=True)
    coords, part_of = shapely.get_coordinates(parts, return_index=True)
    same = part_of[1:] == part_of[:-1]
    a = coords[:-1][same]
    b = coords[1:][same]
    return np.stack([a, b], axis=1), owner[part_of[:-1][same]]


class TargetIndex:
    """Nearest-feature index over one layer, built once and queried for many points.

    Points use a k-d tree, lines (and polygon-free linear layers) a
    :class:`~mineralmap._geo.SegmentIndex`, anything else (polygons, mixed) a shapely STRtree;
    all in :data:`~mineralmap._geo.METRIC_CRS`.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame or None
        Target layer in EPSG:4326 (None or empty: every query returns NaN / -1).
    """

    def __init__(self, gdf: gpd.GeoDataFrame | None = None) -> None:
        if gdf is None or len(gdf) == 0:
            self._init_projected(np.empty(0, dtype=object), np.empty(0, dtype=np.int64))
            return
        geoms, pos = _valid_geoms(gdf)
        self._init_projected(_project_geoms(geoms), pos)

    @classmethod
    def from_projected(cls, tproj: np.ndarray) -> TargetIndex:
        """Index over geometries already in the metric CRS (positional index = their order)."""
        obj = cls.__new__(cls)
        tproj = np.asarray(tproj, dtype=object)
        obj._init_projected(tproj, np.arange(tproj.size))
        return obj

    def _init_projected(self, tproj: np.ndarray, pos: np.ndarray) -> None:
        self.pos = pos
        self.kd: spatial.cKDTree | None = None
        self.seg: SegmentIndex | None = None
        self.owner = np.empty(0, dtype=np.int64)
        self.tree: shapely.STRtree | None = None
        self.tproj = tproj
        if tproj.size == 0:
            return
        types = shapely.get_type_id(tproj)
        if (types == 0).all():
            xy = shapely.get_coordinates(tproj)
            self.kd = spatial.cKDTree(xy)
            self.kd_lonlat = np.column_stack(to_lonlat(xy[:, 0], xy[:, 1]))
            return
        segs = _segments(tproj)
        if segs is not None and len(segs[0]):
            xy, self.owner = segs
            self.seg = SegmentIndex(xy[:, 0], xy[:, 1])
        else:
            self.tree = shapely.STRtree(tproj)

    @property
    def empty(self) -> bool:
        return self.kd is None and self.seg is None and self.tree is None

    def query(self, pts: _Points, exact: bool | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Geodesic km and positional index (into the layer) of the nearest feature per point."""
        km = np.full(pts.n, np.nan)
        idx = np.full(pts.n, -1, dtype=np.int64)
        if self.empty or pts.idx.size == 0:
            return km, idx
        p = pts.xy
        src = np.arange(pts.idx.size)
        if self.kd is not None:
            _, tgt = self.kd.query(p, k=1, workers=kd_workers(len(p)))
            tgt = np.asarray(tgt, dtype=np.int64)
            ell = self.kd_lonlat[tgt]
            rows = pts.idx
            km[rows] = geod_km(pts.lon[rows], pts.lat[rows], ell[:, 0], ell[:, 1])
            idx[rows] = self.pos[tgt]
            return km, idx
        if self.seg is not None:
            if exact is None:
                exact = pts.idx.size <= EXACT_MAX_POINTS
            seg, _, end, _ = self.seg.query(p, exact=exact)
            tgt = self.owner[seg]
        else:
            proj = pts.proj
            src, tgt = self.tree.query_nearest(proj, all_matches=False)
            order = np.argsort(src, kind="stable")
            src, tgt = src[order], tgt[order]
            lines = shapely.shortest_line(proj[src], self.tproj[tgt])
            end = shapely.get_coordinates(lines)[1::2]
        elon, elat = to_lonlat(end[:, 0], end[:, 1])
        rows = pts.idx[src]
        km[rows] = geod_km(pts.lon[rows], pts.lat[rows], elon, elat)
        idx[rows] = self.pos[tgt]
        return km, idx


def _nearest_layer(pts: _Points, gdf: gpd.GeoDataFrame | None,
                   exact: bool | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Like :func:`nearest_distances` but on prepared points; index is positional in ``gdf``."""
    return TargetIndex(gdf).query(pts, exact)


def nearest_distances(
    points: gpd.GeoSeries, targets: gpd.GeoDataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """Geodesic distance to, and index of, the nearest target feature for every point.

    Parameters
    ----------
    points : geopandas.GeoSeries
        Points (EPSG:4326 or any CRS, converted); missing or empty geometries allowed.
    targets : geopandas.GeoDataFrame
        Features of any geometry type. A point inside a polygon is at distance 0.

    Returns
    -------
    tuple of numpy.ndarray
        ``(km, index)``: geodesic distance in km (unrounded) and the *positional* index into
        ``targets`` of the nearest feature; NaN / -1 for missing points or empty targets.

    Notes
    -----
    Nearest candidate and nearest point are found in :data:`mineralmap._geo.METRIC_CRS`; the
    distance is the WGS84 geodesic to that nearest point (see the module docstring for the
    residual error).
    """
    if not isinstance(points, gpd.GeoSeries):
        raise ValidationError(f"points must be a GeoSeries, got {type(points).__name__}")
    points = _to_4326(points, "points")
    pts = _Points.from_geoseries(points)
    if targets is None or len(targets) == 0:
        return _nearest_layer(pts, None)
    targets = _to_4326(targets, "targets")
    return _nearest_layer(pts, targets)


class AdminIndex:
    """Point-in-polygon index over one admin layer (EPSG:4326, prepared polygons).

    A point covered by no polygon takes the nearest one within :data:`ADMIN_TOLERANCE_KM`
    (generalised coastlines and borders), found with a lazily built :class:`TargetIndex`.
    """

    def __init__(self, gdf: gpd.GeoDataFrame | None) -> None:
        self.gdf = gdf
        if gdf is None or len(gdf) == 0:
            self.geoms = np.empty(0, dtype=object)
            self.pos = np.empty(0, dtype=np.int64)
        else:
            self.geoms, self.pos = _valid_geoms(gdf)
            shapely.prepare(self.geoms)
        self._near: TargetIndex | None = None
        self._lock = threading.Lock()

    def query(self, pts: _Points) -> np.ndarray:
        """Positional index of the polygon covering each point (first match), -1 if none."""
        out = np.full(pts.n, -1, dtype=np.int64)
        if self.geoms.size == 0 or pts.idx.size == 0:
            return out
        poly_i, pt_i = pts.lonlat_tree.query(self.geoms, predicate="covers")
        if pt_i.size:
            order = np.lexsort((poly_i, pt_i))
            pt_s, poly_s = pt_i[order], poly_i[order]
            first = np.r_[True, pt_s[1:] != pt_s[:-1]]
            out[pts.idx[pt_s[first]]] = self.pos[poly_s[first]]
        miss = np.flatnonzero(pts.ok & (out < 0))
        if miss.size:
            with self._lock:
                if self._near is None:
                    self._near = TargetIndex.from_projected(_project_geoms(self.geoms))
            km, idx = self._near.query(_Points(pts.lon[miss], pts.lat[miss]))
            near = (idx >= 0) & (km <= ADMIN_TOLERANCE_KM)
            out[miss[near]] = self.pos[idx[near]]
        return out


# --------------------------------------------------------------------------------------------
# layer access


def _get_layer(layers: Mapping[str, gpd.GeoDataFrame], name: str,
               required: tuple[str, ...] = ()) -> gpd.GeoDataFrame | None:
    lyr = layers.get(name)
    if lyr is None or len(lyr) == 0:
        return None
    if not isinstance(lyr, gpd.GeoDataFrame):
        raise ValidationError(f"layer {name!r} must be a GeoDataFrame, got {type(lyr).__name__}")
    missing = [c for c in required if c not in lyr.columns]
    if missing:
        raise ValidationError(
            f"layer {name!r} lacks column(s) {missing} needed for enrichment "
            f"(has {[c for c in lyr.columns if c != lyr.geometry.name]})"
        )
    return _to_4326(lyr, f"layer {name!r}")


def _names(gdf: gpd.GeoDataFrame | None, col: str, idx: np.ndarray) -> np.ndarray:
    out = np.full(idx.size, None, dtype=object)
    if gdf is None:
        return out
    hit = idx >= 0
    if hit.any():  # (numpy, not Series.astype/where: a few points, many calls)
        vals = gdf[col].to_numpy(dtype=object)[idx[hit]]
        vals[pd.isna(vals)] = None
        out[hit] = vals
    return out


def _select(gdf: gpd.GeoDataFrame | None, mask) -> gpd.GeoDataFrame | None:
    if gdf is None:
        return None
    sub = gdf[np.asarray(mask, dtype=bool)]
    return sub if len(sub) else None


def _border_lines(countries: gpd.GeoDataFrame | None) -> dict[str, np.ndarray]:
    """Projected border line geometry per neighbour ("AFG", "IRN"); empty array if unknown."""
    out = {"AFG": np.empty(0, dtype=object), "IRN": np.empty(0, dtype=object)}
    if countries is None:
        return out
    iso = countries["iso3"].astype(str).str.upper() if "iso3" in countries.columns else None
    name = countries["country"].astype(str) if "country" in countries.columns else None

    def rows(code: str, label: str) -> np.ndarray:
        m = np.zeros(len(countries), dtype=bool)
        if iso is not None:
            m |= (iso == code).to_numpy()
        if name is not None:
            m |= (name == label).to_numpy()
        g = np.asarray(countries.geometry.values, dtype=object)[m]
        g = g[~shapely.is_missing(g)]
        return _project_geoms(g) if g.size else g

    pak = rows("PAK", "Pakistan")
    pak_zone = shapely.buffer(shapely.boundary(shapely.union_all(pak)), BORDER_BUFFER_M) \
        if pak.size else None
    for code, label in (("AFG", "Afghanistan"), ("IRN", "Iran")):
        nb = rows(code, label)
        if nb.size == 0:
            continue
        line = shapely.boundary(shapely.union_all(nb))
        if pak_zone is not None:
            shared = shapely.intersection(line, pak_zone)
            if not shapely.is_empty(shared):
                line = shared
        out[code] = np.array([line], dtype=object)
    return out


# --------------------------------------------------------------------------------------------
# public API


@dataclass
class PreparedLayers:
    """Validated layers with their nearest-feature indexes, built once by :func:`prepare_layers`
    and reusable for any number of :func:`nearest_columns` calls."""

    admin: dict[str, AdminIndex]
    ports: gpd.GeoDataFrame | None
    rail: TargetIndex
    stations: gpd.GeoDataFrame | None
    stations_index: TargetIndex
    roads: gpd.GeoDataFrame | None
    roads_index: TargetIndex
    primary_index: TargetIndex
    named: dict[str, tuple[gpd.GeoDataFrame | None, TargetIndex]]
    borders: dict[str, TargetIndex]


def _run(tasks: list, parallel: bool) -> list:
    if parallel and len(tasks) > 1:
        with ThreadPoolExecutor(max_workers=_WORKERS) as ex:
            return list(ex.map(lambda f: f(), tasks))
    return [f() for f in tasks]


def prepare_layers(layers: Mapping[str, gpd.GeoDataFrame]) -> PreparedLayers:
    """Validate the layers and build every nearest-feature index (projection, k-d trees,
    segment indexes, border lines) once.

    Parameters
    ----------
    layers : Mapping[str, geopandas.GeoDataFrame]
        Bulk layers keyed as in :data:`mineralmap.schema.LAYER_COLUMNS`; missing or empty
        layers are allowed (their columns come out NaN).

    Returns
    -------
    PreparedLayers

    Raises
    ------
    mineralmap.errors.ValidationError
        A layer is not a GeoDataFrame, has no CRS or lacks a needed column.
    """
    if not isinstance(layers, Mapping):
        raise ValidationError(f"layers must be a mapping of name -> GeoDataFrame, got "
                              f"{type(layers).__name__}")
    admin_layers = {lvl: _get_layer(layers, key, (lvl,))
                    for lvl, key in (("province", "provinces"), ("district", "districts"),
                                     ("tehsil", "tehsils"))}
    ports = _get_layer(layers, "ports", ("id", "name"))
    if ports is not None and "kind" in ports.columns:
        ports = _select(ports, ports["kind"].astype(str) == "seaport")
    rail = _get_layer(layers, "railways")
    if rail is not None:
        act = _active_railways(rail)
        rail = act if act is not None and len(act) else None
    stations = _get_layer(layers, "rail_stations", ("name",))
    roads = _get_layer(layers, "roads", ("fclass",))
    prim = _select(roads, roads["fclass"].isin(PRIMARY_ROAD_CLASSES)) if roads is not None else None
    named = {col: _get_layer(layers, key, ("name",))
             for key, col in (("airports", "airport"), ("towns", "town"),
                              ("border_crossings", "crossing"))}
    countries = _get_layer(layers, "countries")

    def borders() -> dict[str, TargetIndex]:
        return {k: TargetIndex.from_projected(v) for k, v in _border_lines(countries).items()}

    tasks = [lambda: TargetIndex(roads), lambda: TargetIndex(prim), lambda: TargetIndex(rail),
             lambda: TargetIndex(stations), borders]
    tasks += [lambda g=g: TargetIndex(g) for g in named.values()]
    tasks += [lambda g=g: AdminIndex(g) for g in admin_layers.values()]
    built = _run(tasks, parallel=True)
    roads_i, prim_i, rail_i, stations_i, border_i = built[:5]
    named_i = built[5:5 + len(named)]
    admin_i = built[5 + len(named):]
    return PreparedLayers(
        admin=dict(zip(admin_layers, admin_i, strict=True)),
        ports=ports, rail=rail_i, stations=stations, stations_index=stations_i,
        roads=roads, roads_index=roads_i, primary_index=prim_i,
        named={col: (g, ix) for (col, g), ix in zip(named.items(), named_i, strict=True)},
        borders=border_i,
    )


def nearest_columns(points: gpd.GeoSeries,
                    layers: Mapping[str, gpd.GeoDataFrame] | PreparedLayers,
                    exact: bool | None = None) -> pd.DataFrame:
    """Admin and nearest-feature columns (everything but road/rail haul) for many points.

    Parameters
    ----------
    points : geopandas.GeoSeries
        Occurrence points; missing/empty geometries give NaN/None.
    layers : Mapping[str, geopandas.GeoDataFrame] or PreparedLayers
        Bulk layers keyed as in :data:`mineralmap.schema.LAYER_COLUMNS` (a missing or empty layer
        gives NaN/None in its columns), or their indexes from :func:`prepare_layers` (reuse them
        for repeated calls).
    exact : bool, optional
        Exact nearest line segment (default: when at most
        :data:`~mineralmap.network.EXACT_MAX_POINTS` points; above that the fast mode, whose
        error is bounded by 500 m and under 1 m for 99 % of points).

    Returns
    -------
    pandas.DataFrame
        Positional index, columns ``province_geo`` ... ``crossing_km`` of
        :data:`~mineralmap.schema.ENRICH_COLUMNS` (km unrounded) plus ``station_index`` (positional
        index of the nearest station, -1 if none).
    """
    points = _to_4326(points, "occurrences")
    pts = _Points.from_geoseries(points)
    return _nearest_columns(pts, layers, exact)


def _nearest_columns(pts: _Points, layers: Mapping[str, gpd.GeoDataFrame] | PreparedLayers,
                     exact: bool | None = None) -> pd.DataFrame:
    n = pts.n
    prep = layers if isinstance(layers, PreparedLayers) else prepare_layers(layers)

    def admin_task(lvl: str, ix: AdminIndex) -> dict:
        return {f"{lvl}_geo": _names(ix.gdf, lvl, ix.query(pts))}

    def ports_task() -> dict:
        ports = prep.ports
        out: dict[str, np.ndarray] = {c: np.full(n, np.nan)
                                      for c in PORT_DISTANCE_COLUMNS.values()}
        out["port_nearest"] = np.full(n, None, dtype=object)
        out["port_nearest_km"] = np.full(n, np.nan)
        if ports is None:
            return out
        geoms, pos = _valid_geoms(ports)
        if geoms.size == 0:
            return out
        xy = shapely.get_coordinates(shapely.point_on_surface(geoms))
        # one geodesic per seaport (few of them); nearest = the smallest
        d = np.vstack([geod_km(pts.lon, pts.lat, x, y) for x, y in xy])
        ids = ports["id"].astype(str).to_numpy()[pos]
        for k, pid in enumerate(ids):
            if pid in PORT_DISTANCE_COLUMNS:
                out[PORT_DISTANCE_COLUMNS[pid]] = d[k]
        ok = np.isfinite(d).any(axis=0)
        best = np.argmin(np.where(np.isfinite(d), d, np.inf), axis=0)
        idx = np.where(ok, pos[best], -1)
        out["port_nearest"] = _names(ports, "name", idx)
        out["port_nearest_km"] = np.where(ok, d[best, np.arange(n)], np.nan)
        return out

    def rail_task() -> dict:
        return {"rail_km": prep.rail.query(pts, exact)[0]}

    def stations_task() -> dict:
        km, idx = prep.stations_index.query(pts, exact)
        return {"station_nearest": _names(prep.stations, "name", idx), "station_km": km,
                "station_index": idx}

    def roads_task() -> dict:
        roads = prep.roads
        km, idx = prep.roads_index.query(pts, exact)
        ref = (_names(roads, "ref", idx) if roads is not None and "ref" in roads.columns
               else np.full(n, None, dtype=object))
        return {"road_km": km, "road_nearest_ref": ref}

    def primary_task() -> dict:
        return {"road_primary_km": prep.primary_index.query(pts, exact)[0]}

    def named_task(col: str, lyr: gpd.GeoDataFrame | None, ix: TargetIndex) -> dict:
        km, idx = ix.query(pts, exact)
        return {f"{col}_nearest": _names(lyr, "name", idx), f"{col}_km": km}

    def border_task(code: str, col: str) -> dict:
        return {col: prep.borders[code].query(pts, exact)[0]}

    tasks = [lambda a=a: admin_task(*a) for a in prep.admin.items()]
    tasks += [ports_task, rail_task, stations_task, roads_task, primary_task,
              lambda: border_task("AFG", "border_afghanistan_km"),
              lambda: border_task("IRN", "border_iran_km")]
    tasks += [lambda c=c, g=g, ix=ix: named_task(c, g, ix) for c, (g, ix) in prep.named.items()]
    cols: dict[str, np.ndarray] = {}
    for part in _run(tasks, parallel=n >= _PARALLEL_MIN_POINTS):
        cols.update(part)
    order = [c for c in ENRICH_COLUMNS if c in cols] + ["station_index"]
    # object columns keep None (a plain DataFrame would infer str dtype and turn None into NaN)
    return pd.DataFrame({c: pd.Series(cols[c], dtype=object) if cols[c].dtype == object
                         else cols[c] for c in order})


def haul_columns(points: gpd.GeoSeries, networks: Networks,
                 station_index: np.ndarray | None = None) -> pd.DataFrame:
    """Road haul columns (:data:`mineralmap.network.HAUL_COLUMNS`) and ``haul_rail_km``.

    Parameters
    ----------
    points : geopandas.GeoSeries
        Occurrence points (EPSG:4326).
    networks : mineralmap.network.Networks
        From :func:`mineralmap.network.build_networks`.
    station_index : numpy.ndarray, optional
        Positional index of each point's nearest station in the stations layer (as returned in
        :func:`nearest_columns`); computed when omitted.

    Returns
    -------
    pandas.DataFrame
        Positional index; km unrounded.
    """
    pts = _Points.from_geoseries(_to_4326(points, "occurrences"))
    return _haul_columns(pts, networks, station_index)


def _haul_columns(pts: _Points, networks: Networks,
                  station_index: np.ndarray | None) -> pd.DataFrame:
    n = pts.n
    if networks.road is not None:
        out = networks.road.haul(pts.lon, pts.lat)
    else:
        out = pd.DataFrame({c: np.full(n, np.nan) for c in HAUL_COLUMNS})
        out["haul_road_port"] = pd.Series([None] * n, dtype=object)
    rail = networks.rail
    if rail is None:
        out["haul_rail_km"] = np.nan
    elif station_index is None:
        out["haul_rail_km"] = rail.haul(pts.lon, pts.lat)["haul_rail_km"].to_numpy()
    else:
        si = np.asarray(station_index)
        h = np.full(n, np.nan)
        hit = (si >= 0) & (si < rail.station_haul_km.size)
        h[hit] = rail.station_haul_km[si[hit]]
        out["haul_rail_km"] = h
    return out


def _validate_occurrences(occurrences: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if not isinstance(occurrences, gpd.GeoDataFrame):
        raise ValidationError(
            f"occurrences must be a GeoDataFrame, got {type(occurrences).__name__}"
        )
    return _to_4326(occurrences, "occurrences")


def _network_layers(layers: Mapping[str, gpd.GeoDataFrame]) -> dict[str, gpd.GeoDataFrame]:
    """The validated layers :func:`mineralmap.network.build_networks` reads."""
    return {k: v for k, v in (
        (k, _get_layer(layers, k)) for k in ("roads", "railways", "rail_stations", "ports")
    ) if v is not None}


def build_indexes(layers: Mapping[str, gpd.GeoDataFrame],
                  networks: Networks | None = None) -> tuple[PreparedLayers, Networks]:
    """Everything :func:`enrich` builds from the layers, side by side: the nearest-feature
    indexes (:func:`prepare_layers`) and the road/rail networks
    (:func:`mineralmap.network.build_networks`, unless ``networks`` is given).

    Reuse the result for any number of :func:`enrich` calls on the same layers.

    Raises
    ------
    mineralmap.errors.ValidationError
        As :func:`prepare_layers`.
    """
    if not isinstance(layers, Mapping):
        raise ValidationError(f"layers must be a mapping of name -> GeoDataFrame, got "
                              f"{type(layers).__name__}")
    net_layers = _network_layers(layers)
    tasks = [lambda: prepare_layers(layers)]
    if networks is None:
        tasks.append(lambda: build_networks(net_layers))
    built = _run(tasks, parallel=True)
    return built[0], (built[1] if networks is None else networks)


def enrich(
    occurrences: gpd.GeoDataFrame,
    layers: Mapping[str, gpd.GeoDataFrame],
    networks: Networks | None = None,
    prepared: PreparedLayers | None = None,
) -> gpd.GeoDataFrame:
    """Join occurrences to admin units and infrastructure (see the module docstring).

    Parameters
    ----------
    occurrences : geopandas.GeoDataFrame
        Curated occurrences (point geometry, None for unmapped rows); ``commodity`` and
        ``province`` are read when present.
    layers : Mapping[str, geopandas.GeoDataFrame]
        Bulk layers keyed as in :data:`mineralmap.schema.LAYER_COLUMNS`. Missing or empty layers
        give NaN/None in the columns that need them.
    networks : mineralmap.network.Networks, optional
        Prebuilt road/rail networks; built from ``layers`` (once) when omitted.
    prepared : PreparedLayers, optional
        Prebuilt nearest-feature indexes of ``layers`` (:func:`prepare_layers` or
        :func:`build_indexes`); built when omitted.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy with the same rows, order and columns, plus every column of
        :data:`~mineralmap.schema.ENRICH_COLUMNS` (km rounded to 0.1).

    Raises
    ------
    mineralmap.errors.ValidationError
        Occurrences or a layer are not GeoDataFrames, have no CRS, lack a needed column, or an
        occurrence geometry is not a point.
    """
    occ = _validate_occurrences(occurrences)
    if not isinstance(layers, Mapping):
        raise ValidationError(f"layers must be a mapping of name -> GeoDataFrame, got "
                              f"{type(layers).__name__}")
    out = occ.copy()
    pts = _Points.from_geoseries(out.geometry)
    if prepared is None:
        # the nearest-feature indexes and the networks are independent: built side by side
        prep, networks = build_indexes(layers, networks)
    else:
        prep = prepared
        if networks is None:
            networks = build_networks(_network_layers(layers))
    near = _nearest_columns(pts, prep)
    haul = _haul_columns(pts, networks, near["station_index"].to_numpy())

    commodity = out["commodity"] if "commodity" in out.columns else pd.Series(
        [None] * len(out), index=out.index, dtype=object)
    stated = (out["province"].fillna("").astype(str).str.strip() if "province" in out.columns
              else pd.Series([""] * len(out), index=out.index))
    geo = pd.Series(near["province_geo"].to_numpy(dtype=object), index=out.index)
    mismatch = (stated != "") & geo.notna() & (
        stated.str.casefold() != geo.fillna("").astype(str).str.casefold())

    values: dict[str, object] = {
        "commodity_group": commodity_group(commodity).to_numpy(dtype=object),
        "mapped": pts.ok,
        "admin_mismatch": mismatch.to_numpy(dtype=bool),
    }
    for c in ENRICH_COLUMNS:
        if c in values:
            continue
        src = near if c in near.columns else haul
        values[c] = src[c].to_numpy()
    cols: dict[str, pd.Series] = {}
    for c in ENRICH_COLUMNS:
        v = values[c]
        if c in _NAME_COLUMNS:
            cols[c] = pd.Series(np.asarray(v, dtype=object), index=out.index, dtype=object)
        elif c in ("mapped", "admin_mismatch"):
            cols[c] = pd.Series(np.asarray(v, dtype=bool), index=out.index, dtype=bool)
        else:
            cols[c] = pd.Series(np.round(np.asarray(v, dtype=float), 1), index=out.index,
                                dtype=float)
    return _set_columns(out, cols)


def _set_columns(gdf: gpd.GeoDataFrame, cols: Mapping[str, pd.Series]) -> gpd.GeoDataFrame:
    """``gdf`` with ``cols`` set like ``gdf[c] = cols[c]`` one by one (a column already there is
    replaced where it stands, a new one appended in the order given), but in one concatenation:
    forty single-column inserts cost more than the enrichment of a small table."""
    order = [*gdf.columns, *(c for c in cols if c not in gdf.columns)]
    existing = [c for c in cols if c in gdf.columns]
    base = gdf.drop(columns=existing) if existing else gdf
    out = pd.concat([base, pd.DataFrame(dict(cols), index=gdf.index)], axis=1)
    if existing:
        out = out[order]
    out.attrs = gdf.attrs  # (a copy of the dict) concat keeps attrs only when all parts agree
    return out


def summary_table(occurrences: gpd.GeoDataFrame,
                  layers: Mapping[str, gpd.GeoDataFrame] | None = None) -> pd.DataFrame:
    """Per occurrence: id, name, commodity, precision_km, road-haul port and km, nearest port.

    Parameters
    ----------
    occurrences : geopandas.GeoDataFrame
        Enriched occurrences (e.g. :attr:`mineralmap.catalog.Catalog.occurrences`), or curated
        ones together with ``layers``.
    layers : Mapping[str, geopandas.GeoDataFrame], optional
        Bulk layers: when the enrichment columns are absent, :func:`enrich` adds them first.

    Raises
    ------
    mineralmap.errors.ValidationError
        The enrichment columns are absent and no ``layers`` are given.
    """
    occ = occurrences
    needed = [c for c in SUMMARY_COLUMNS if c not in occ.columns]
    if any(c in ENRICH_COLUMNS for c in needed):
        if layers is None:
            raise ValidationError(
                f"occurrences lack the enrichment column(s) "
                f"{', '.join(c for c in needed if c in ENRICH_COLUMNS)}: pass the layers "
                "(or use mineralmap.catalog.load_catalog(), which enriches)")
        occ = enrich(occ, layers)
    cols = [c for c in SUMMARY_COLUMNS if c in occ.columns]
    return pd.DataFrame(occ[cols]).reset_index(drop=True)
