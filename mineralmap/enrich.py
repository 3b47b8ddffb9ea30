"""Spatial enrichment: admin units, distances to infrastructure, road and rail haul to ports.

:func:`enrich` adds every column of :data:`mineralmap.schema.ENRICH_COLUMNS` (distances in km,
rounded to 0.1). Each distance is as uncertain as the occurrence point itself: read it together
with the row's ``precision_km``.

==========================  =================================================================
column                      meaning
==========================  =================================================================
commodity_group             "Sb", "REE" or "other", from the primary ``commodity``
mapped                      the row has a point geometry
province_geo, district_geo, point-in-polygon against provinces/districts/tehsils (a point
tehsil_geo                  outside every polygon but within :data:`ADMIN_TOLERANCE_KM` of one,
                            e.g. on a generalised coastline, takes the nearest one)
admin_mismatch              the stated ``province`` (non-empty) differs from ``province_geo``
port_nearest, _km           nearest seaport (``kind == 'seaport'``) by name, geodesic km
port_karachi_km, ...        geodesic km to Karachi / Port Qasim / Gwadar (ids karachi,
                            port_qasim, gwadar)
rail_km                     nearest railway line with ``active == True``
station_nearest, _km        nearest rail station (name)
road_km, road_nearest_ref   nearest road of any class and its ``ref`` (e.g. ``N-25``)
road_primary_km             nearest motorway / trunk / primary road
airport_nearest, _km        nearest airport (name)
town_nearest, _km           nearest town (name)
border_afghanistan_km,      distance to the Pakistan-Afghanistan / Pakistan-Iran border line:
border_iran_km              the neighbour's polygon boundary intersected with Pakistan's
                            boundary buffered by :data:`BORDER_BUFFER_M` (so the neighbour's
                            other borders and coast are excluded); the whole neighbour boundary
                            when no Pakistan polygon is in the countries layer
crossing_nearest, _km       nearest border crossing (name)
haul_road_*, access_km      road haul, see :mod:`mineralmap.network`
haul_rail_km                rail km from the nearest station to a port-connected station, NaN
                            where the rail network does not connect (see
                            :mod:`mineralmap.network`)
==========================  =================================================================

Method and residual error
-------------------------
The nearest feature is found with a shapely STRtree in :data:`mineralmap.network.METRIC_CRS`
(Lambert conformal conic fitted to Pakistan, scale error < ~1 % over the country). The nearest
point on that feature is taken in the same projection, transformed back to lon/lat, and the
reported distance is the WGS84 geodesic (:class:`pyproj.Geod`) between the occurrence and that
point. Residual error: the nearest point on a line picked in the projection differs from the
geodesically nearest point only to second order (the distance is stationary there), so the
distance to a given feature is within ~0.1 % of the true geodesic minimum for distances below a few
hundred km; when two features are within ~1 % of the same distance the projection may pick the
slightly farther one (error then bounded by that ~1 %).
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from mineralmap.errors import ValidationError
from mineralmap.network import (
    HAUL_COLUMNS,
    Networks,
    _active_railways,
    build_networks,
    geod_km,
    to_lonlat,
    to_metric,
)
from mineralmap.schema import CRS, ENRICH_COLUMNS

#: Seaport ids with their own ``port_<x>_km`` column.
PORT_COLUMNS: dict[str, str] = {
    "karachi": "port_karachi_km",
    "port_qasim": "port_qasim_km",
    "gwadar": "port_gwadar_km",
}
#: Road classes counted for ``road_primary_km``.
PRIMARY_ROAD_CLASSES: tuple[str, ...] = ("motorway", "trunk", "primary")
#: Buffer (metres) around Pakistan's boundary used to cut a neighbour's boundary to the shared
#: border line.
BORDER_BUFFER_M = 1000.0
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
        self.proj = shapely.points(x, y)
        self._ll: np.ndarray | None = None

    @property
    def n(self) -> int:
        return int(self.lon.size)

    @property
    def lonlat_points(self) -> np.ndarray:
        if self._ll is None:
            self._ll = shapely.points(self.lon[self.ok], self.lat[self.ok])
        return self._ll

    @classmethod
    def from_geoseries(cls, points: gpd.GeoSeries) -> _Points:
        geoms = np.asarray(points.values, dtype=object)
        missing = shapely.is_missing(geoms)
        empty = np.zeros(geoms.size, dtype=bool)
        empty[~missing] = shapely.is_empty(geoms[~missing])
        valid = ~(missing | empty)
        types = shapely.get_type_id(geoms[valid])
        if types.size and (types != 0).any():
            bad = int(np.flatnonzero(valid)[np.flatnonzero(types != 0)[0]])
            raise ValidationError(
                f"occurrence geometry must be Points; row {bad} is "
                f"{shapely.get_type_id(geoms[bad])!r} (type id)"
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
    def f(c: np.ndarray) -> np.ndarray:
        x, y = to_metric(c[:, 0], c[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, f)


def _valid_geoms(gdf: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Non-missing, non-empty geometries and their positional index in ``gdf``."""
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    ok = ~shapely.is_missing(geoms)
    ok[ok] = ~shapely.is_empty(geoms[ok])
    pos = np.flatnonzero(ok)
    return geoms[pos], pos


def _nearest_projected(
    pts: _Points, tproj: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Geodesic km and positional index (into ``tproj``) of the nearest target per point."""
    km = np.full(pts.n, np.nan)
    idx = np.full(pts.n, -1, dtype=np.int64)
    if tproj.size == 0 or pts.idx.size == 0:
        return km, idx
    tree = shapely.STRtree(tproj)
    src, tgt = tree.query_nearest(pts.proj, all_matches=False)
    order = np.argsort(src, kind="stable")
    src, tgt = src[order], tgt[order]
    lines = shapely.shortest_line(pts.proj[src], tproj[tgt])
    end = shapely.get_coordinates(lines)[1::2]
    elon, elat = to_lonlat(end[:, 0], end[:, 1])
    rows = pts.idx[src]
    km[rows] = geod_km(pts.lon[rows], pts.lat[rows], elon, elat)
    idx[rows] = tgt
    return km, idx


def _nearest_layer(pts: _Points, gdf: gpd.GeoDataFrame | None) -> tuple[np.ndarray, np.ndarray]:
    """Like :func:`nearest_distances` but on prepared points; index is positional in ``gdf``."""
    if gdf is None or len(gdf) == 0:
        return np.full(pts.n, np.nan), np.full(pts.n, -1, dtype=np.int64)
    geoms, pos = _valid_geoms(gdf)
    km, idx = _nearest_projected(pts, _project_geoms(geoms))
    hit = idx >= 0
    idx[hit] = pos[idx[hit]]
    return km, idx


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
    Nearest candidate and nearest point are found in :data:`mineralmap.network.METRIC_CRS`; the
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


def _point_in_polygon(pts: _Points, polys: gpd.GeoDataFrame) -> np.ndarray:
    """Positional index of the polygon covering each point (first match), -1 if none."""
    out = np.full(pts.n, -1, dtype=np.int64)
    if polys is None or len(polys) == 0 or pts.idx.size == 0:
        return out
    geoms, pos = _valid_geoms(polys)
    tree = shapely.STRtree(pts.lonlat_points)
    shapely.prepare(geoms)
    poly_i, pt_i = tree.query(geoms, predicate="covers")
    if pt_i.size:
        order = np.lexsort((poly_i, pt_i))
        pt_s, poly_s = pt_i[order], poly_i[order]
        first = np.r_[True, pt_s[1:] != pt_s[:-1]]
        out[pts.idx[pt_s[first]]] = pos[poly_s[first]]
    # tolerance for points just outside (generalised coastlines, borders)
    miss = np.flatnonzero(pts.ok & (out < 0))
    if miss.size:
        sub = _Points(pts.lon[miss], pts.lat[miss])
        km, idx = _nearest_projected(sub, _project_geoms(geoms))
        near = (idx >= 0) & (km <= ADMIN_TOLERANCE_KM)
        out[miss[near]] = pos[idx[near]]
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
    vals = gdf[col].to_numpy(dtype=object)
    hit = idx >= 0
    picked = vals[idx[hit]]
    picked = np.array([None if (v is None or (isinstance(v, float) and np.isnan(v))) else v
                       for v in picked], dtype=object) if picked.size else picked
    out[hit] = picked
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


def nearest_columns(points: gpd.GeoSeries, layers: Mapping[str, gpd.GeoDataFrame]) -> pd.DataFrame:
    """Admin and nearest-feature columns (everything but road/rail haul) for many points.

    Parameters
    ----------
    points : geopandas.GeoSeries
        Occurrence points; missing/empty geometries give NaN/None.
    layers : Mapping[str, geopandas.GeoDataFrame]
        Bulk layers keyed as in :data:`mineralmap.schema.LAYER_COLUMNS`; a missing or empty layer
        gives NaN/None in its columns.

    Returns
    -------
    pandas.DataFrame
        Positional index, columns ``province_geo`` ... ``crossing_km`` of
        :data:`~mineralmap.schema.ENRICH_COLUMNS` (km unrounded) plus ``station_index`` (positional
        index of the nearest station, -1 if none).
    """
    points = _to_4326(points, "occurrences")
    pts = _Points.from_geoseries(points)
    return _nearest_columns(pts, layers)


def _nearest_columns(pts: _Points, layers: Mapping[str, gpd.GeoDataFrame]) -> pd.DataFrame:
    n = pts.n
    cols: dict[str, np.ndarray] = {}

    for lvl, key in (("province", "provinces"), ("district", "districts"), ("tehsil", "tehsils")):
        lyr = _get_layer(layers, key, (lvl,))
        idx = _point_in_polygon(pts, lyr) if lyr is not None else np.full(n, -1)
        cols[f"{lvl}_geo"] = _names(lyr, lvl, idx)

    ports = _get_layer(layers, "ports", ("id", "name"))
    if ports is not None and "kind" in ports.columns:
        ports = _select(ports, ports["kind"].astype(str) == "seaport")
    km, idx = _nearest_layer(pts, ports)
    cols["port_nearest"] = _names(ports, "name", idx)
    cols["port_nearest_km"] = km
    for pid, col in PORT_COLUMNS.items():
        one = _select(ports, ports["id"].astype(str) == pid) if ports is not None else None
        if one is None:
            cols[col] = np.full(n, np.nan)
        else:
            pt = shapely.point_on_surface(one.geometry.values[0])
            cols[col] = geod_km(pts.lon, pts.lat, shapely.get_x(pt), shapely.get_y(pt))

    rail = _get_layer(layers, "railways")
    if rail is not None:
        act = _active_railways(rail)
        rail = act if act is not None and len(act) else None
    cols["rail_km"], _ = _nearest_layer(pts, rail)

    stations = _get_layer(layers, "rail_stations", ("name",))
    km, idx = _nearest_layer(pts, stations)
    cols["station_nearest"] = _names(stations, "name", idx)
    cols["station_km"] = km
    cols["station_index"] = idx

    roads = _get_layer(layers, "roads", ("fclass",))
    km, idx = _nearest_layer(pts, roads)
    cols["road_km"] = km
    cols["road_nearest_ref"] = (_names(roads, "ref", idx) if roads is not None
                                and "ref" in roads.columns else np.full(n, None, dtype=object))
    prim = _select(roads, roads["fclass"].isin(PRIMARY_ROAD_CLASSES)) if roads is not None else None
    cols["road_primary_km"], _ = _nearest_layer(pts, prim)

    for key, col in (("airports", "airport"), ("towns", "town"), ("border_crossings", "crossing")):
        lyr = _get_layer(layers, key, ("name",))
        km, idx = _nearest_layer(pts, lyr)
        cols[f"{col}_nearest"] = _names(lyr, "name", idx)
        cols[f"{col}_km"] = km

    borders = _border_lines(_get_layer(layers, "countries"))
    cols["border_afghanistan_km"], _ = _nearest_projected(pts, borders["AFG"])
    cols["border_iran_km"], _ = _nearest_projected(pts, borders["IRN"])
    return pd.DataFrame(cols)


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


def commodity_group(commodity: pd.Series) -> pd.Series:
    """Map primary commodity strings to "Sb", "REE" or "other" (first ``;``/``,`` token)."""
    tok = commodity.fillna("").astype(str).str.split(r"[;,]", regex=True).str[0].str.strip()
    up = tok.str.upper()
    grp = np.where(up.isin(["SB", "ANTIMONY"]), "Sb",
                   np.where(up.isin(["REE", "RARE EARTH", "RARE EARTHS", "RARE-EARTH ELEMENTS",
                                     "RARE EARTH ELEMENTS"]), "REE", "other"))
    return pd.Series(grp, index=commodity.index, dtype=object)


def _validate_occurrences(occurrences: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if not isinstance(occurrences, gpd.GeoDataFrame):
        raise ValidationError(
            f"occurrences must be a GeoDataFrame, got {type(occurrences).__name__}"
        )
    return _to_4326(occurrences, "occurrences")


def enrich(
    occurrences: gpd.GeoDataFrame,
    layers: Mapping[str, gpd.GeoDataFrame],
    networks: Networks | None = None,
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
    near = _nearest_columns(pts, layers)
    if networks is None:
        networks = build_networks({k: v for k, v in (
            (k, _get_layer(layers, k)) for k in ("roads", "railways", "rail_stations", "ports")
        ) if v is not None})
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
    for c in ENRICH_COLUMNS:
        v = values[c]
        if c in _NAME_COLUMNS:
            out[c] = pd.Series(np.asarray(v, dtype=object), index=out.index, dtype=object)
        elif c in ("mapped", "admin_mismatch"):
            out[c] = np.asarray(v, dtype=bool)
        else:
            out[c] = np.round(np.asarray(v, dtype=float), 1)
    return out


def summary_table(occurrences: gpd.GeoDataFrame) -> pd.DataFrame:
    """Per occurrence: id, name, commodity, precision_km, road-haul port and km, nearest port.

    Enriches with :func:`mineralmap.catalog.load_layers` first when the haul columns are absent.
    """
    occ = occurrences
    needed = [c for c in SUMMARY_COLUMNS if c not in occ.columns]
    if any(c in ENRICH_COLUMNS for c in needed):
        from mineralmap import catalog

        occ = enrich(occ, catalog.load_layers())
    cols = [c for c in SUMMARY_COLUMNS if c in occ.columns]
    return pd.DataFrame(occ[cols]).reset_index(drop=True)
