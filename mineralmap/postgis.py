"""Context layers and region queries in PostGIS (issue 12).

* :func:`load_layers_into_postgis` copies the layers of the GeoParquet cache (and the curated
  point tables: ports, border crossings, dry ports) into tables ``layer_<name>`` with a
  ``geom geometry(<type>, 4326)`` column, a GiST index and one row per layer in
  ``layer_provenance`` (origin, licence, attribution, fingerprint, the cache manifest entry).
  A layer whose fingerprint did not change is left alone, so running ``python -m mineralmap data``
  again re-creates nothing. Each layer is replaced in one transaction (readers see the old or the
  new table, never half of it).
* :func:`region_ids` runs a :class:`mineralmap.regions.RegionSpec` in the database on the points of
  a stored dataset version: ``ST_Intersects`` for administrative units and polygons, ``&&`` for
  bounding boxes, ``ST_DWithin`` on geography for the radius mode (over ``version_rows`` only:
  the rows' values are read just for unmapped rows of an administrative region). It returns the
  same ids, in the same order, as :meth:`RegionSpec.select` on the version's occurrences in
  memory.

The schema (``layer_provenance``, the store's tables) comes from the migrations of
:mod:`mineralmap.pgstore`; opening the :class:`~mineralmap.pgstore.PostgresStore` applies them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from mineralmap import curated, ingest
from mineralmap._lazy import psycopg, psycopg_json, psycopg_sql
from mineralmap._store import CRS_4326, frame_hash, read_geoparquet
from mineralmap.errors import RegionError
from mineralmap.pgstore import COL_INDEX, PostgresStore, StoreUnavailableError
from mineralmap.regions import RegionSpec
from mineralmap.schema import LAYER_COLUMNS
from mineralmap.sources import MANIFEST
from mineralmap.store import StoreError

#: Table name prefix of the context layers.
LAYER_PREFIX = "layer_"
#: Curated point layers (loaded from ``geodata/`` by :mod:`mineralmap.curated`).
CURATED_LOADERS: dict[str, str] = {"ports": "load_ports",
                                   "border_crossings": "load_border_crossings",
                                   "dry_ports": "load_dry_ports"}
#: Radius centres are looked up in these layers (then in the occurrences), as in memory.
CENTRE_LAYERS: tuple[str, ...] = ("ports", "towns")
#: Admin layers: region field -> (layer, column).
ADMIN_LAYERS: tuple[tuple[str, str, str], ...] = (("provinces", "provinces", "province"),
                                                  ("districts", "districts", "district"),
                                                  ("tehsils", "tehsils", "tehsil"))


class LayerNotLoadedError(StoreError):
    """A context layer a query needs has not been loaded into the database."""


_SHARED: dict[str, PostgresStore] = {}
_SHARED_LOCK = threading.Lock()


def shared_store(url: str) -> PostgresStore:
    """One :class:`PostgresStore` per database URL and process, for region queries (opened
    without importing the bundled table; its pooled connections are reused by every caller).

    Raises
    ------
    StoreUnavailableError, StoreError
        As :class:`PostgresStore`.
    """
    with _SHARED_LOCK:
        db = _SHARED.get(url)
        if db is None:
            db = _SHARED[url] = PostgresStore(url, bundled=False)
        return db


@dataclass
class PostgisLoadReport:
    """What :func:`load_layers_into_postgis` did, layer by layer.

    Attributes
    ----------
    loaded : dict
        Layer -> number of features written.
    unchanged : list of str
        Layers whose fingerprint matched (nothing written).
    missing : dict
        Layer -> why it was not loaded (not in the cache, unreadable).
    seconds : float
    """

    loaded: dict[str, int] = field(default_factory=dict)
    unchanged: list[str] = field(default_factory=list)
    missing: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    def lines(self) -> list[str]:
        """One line per layer, for the CLI."""
        out = [f"postgis {k}: {n:,} features loaded" for k, n in self.loaded.items()]
        out += [f"postgis {k}: up to date" for k in self.unchanged]
        out += [f"postgis {k}: not loaded ({why})" for k, why in self.missing.items()]
        return out


def table_name(layer: str) -> str:
    """Table of ``layer`` (``layer_<name>``)."""
    if layer not in LAYER_COLUMNS:
        raise StoreError(f"unknown layer {layer!r}")
    return LAYER_PREFIX + layer


def _pg_type(s: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(s):
        return "boolean"
    if pd.api.types.is_integer_dtype(s):
        return "bigint"
    if pd.api.types.is_float_dtype(s):
        return "double precision"
    return "text"


def _geometry_type(geoms: np.ndarray) -> tuple[str, bool]:
    """(PostGIS type name, promote singles to Multi) for a column of shapely geometries."""
    kinds = {g.geom_type for g in geoms if g is not None and not g.is_empty}
    if len(kinds) == 1:
        return kinds.pop(), False
    base = {k.removeprefix("Multi") for k in kinds}
    if len(base) == 1:
        return "Multi" + base.pop(), True
    return "Geometry", False


def _cell(v: object) -> object:
    if v is None:
        return None
    if isinstance(v, float) and not np.isfinite(v):
        return None
    if isinstance(v, np.generic):
        v = v.item()
        if isinstance(v, float) and not np.isfinite(v):
            return None
    if v is pd.NA or v is pd.NaT:
        return None
    return v


def _write_layer(con: psycopg.Connection, name: str, gdf: gpd.GeoDataFrame, fingerprint: str,
                 manifest: Mapping[str, object]) -> int:
    """Replace table ``layer_<name>`` by ``gdf`` and record its provenance (caller's transaction)."""
    table = table_name(name)
    if gdf.crs is not None and not gdf.crs.equals(CRS_4326):
        gdf = gdf.to_crs(CRS_4326)
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    geoms = np.asarray(gdf.geometry.to_numpy(), dtype=object)
    gtype, promote = _geometry_type(geoms)
    defs = [psycopg_sql.SQL("fid integer PRIMARY KEY")]
    defs += [psycopg_sql.SQL("{} {}").format(psycopg_sql.Identifier(c), psycopg_sql.SQL(_pg_type(gdf[c]))) for c in cols]
    defs.append(psycopg_sql.SQL("geom geometry({}, 4326)").format(psycopg_sql.SQL(gtype)))
    con.execute(psycopg_sql.SQL("DROP TABLE IF EXISTS {}").format(psycopg_sql.Identifier(table)))
    con.execute(psycopg_sql.SQL("CREATE TABLE {} ({})").format(psycopg_sql.Identifier(table),
                                                        psycopg_sql.SQL(", ").join(defs)))
    ok = np.array([g is not None and not g.is_empty for g in geoms], dtype=bool)
    wkb = np.full(len(geoms), None, dtype=object)
    if ok.any():
        g = geoms[ok]
        if promote:
            g = np.array([shapely.multipolygons([x]) if x.geom_type == "Polygon" else
                          shapely.multilinestrings([x]) if x.geom_type == "LineString" else
                          shapely.multipoints([x]) if x.geom_type == "Point" else x
                          for x in g], dtype=object)
        wkb[ok] = shapely.to_wkb(shapely.set_srid(g, 4326), hex=True, include_srid=True)
    values = {c: gdf[c].astype(object).to_numpy() for c in cols}
    copy = psycopg_sql.SQL("COPY {} ({}) FROM STDIN").format(
        psycopg_sql.Identifier(table),
        psycopg_sql.SQL(", ").join([psycopg_sql.Identifier("fid"), *(psycopg_sql.Identifier(c) for c in cols),
                            psycopg_sql.Identifier("geom")]))
    with con.cursor() as cur, cur.copy(copy) as cp:
        for i in range(len(gdf)):
            cp.write_row((i, *(_cell(values[c][i]) for c in cols), wkb[i]))
    con.execute(psycopg_sql.SQL("CREATE INDEX {} ON {} USING gist (geom)").format(
        psycopg_sql.Identifier(f"{table}_geom"), psycopg_sql.Identifier(table)))
    spec = MANIFEST.get(name)
    con.execute(
        "INSERT INTO layer_provenance(layer, table_name, n_features, geometry_type, fingerprint, "
        "origin, licence, attribution, manifest, loaded_at) VALUES "
        "(%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (layer) DO UPDATE SET "
        "table_name=EXCLUDED.table_name, n_features=EXCLUDED.n_features, "
        "geometry_type=EXCLUDED.geometry_type, fingerprint=EXCLUDED.fingerprint, "
        "origin=EXCLUDED.origin, licence=EXCLUDED.licence, attribution=EXCLUDED.attribution, "
        "manifest=EXCLUDED.manifest, loaded_at=EXCLUDED.loaded_at",
        (name, table, len(gdf), gtype, fingerprint,
         str(getattr(spec, "url", "") or manifest.get("source", "")),
         str(getattr(spec, "licence", "")), str(getattr(spec, "attribution", "")),
         psycopg_json.Jsonb(dict(manifest)), time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())))
    return len(gdf)


def _sources(cache: Path, names: Iterable[str]
             ) -> Iterable[tuple[str, gpd.GeoDataFrame | Path | None, str, dict[str, object], str]]:
    """(layer, frame or cache file or None, fingerprint, manifest entry, why missing)."""
    entries = ingest.read_manifest(cache).get("layers", {})
    for name in names:
        if name in CURATED_LOADERS:
            try:
                gdf = getattr(curated, CURATED_LOADERS[name])()
            except Exception as exc:  # noqa: BLE001 - reported per layer
                yield name, None, "", {}, f"curated table unreadable: {exc}"
                continue
            yield name, gdf, "curated:" + frame_hash(gdf), {"origin": "curated"}, ""
            continue
        path = cache / f"{name}.parquet"
        entry = dict(entries.get(name, {}))
        if not path.is_file():
            yield name, None, "", entry, "not in the cache: run `python -m mineralmap data`"
            continue
        fp = str(entry.get("fingerprint") or f"mtime:{path.stat().st_mtime_ns}")
        yield name, path, fp, entry, ""  # read below, only when the fingerprint changed


def load_layers_into_postgis(url: str | PostgresStore, cache_dir: Path,
                             layers: Iterable[str] | None = None,
                             force: bool = False) -> PostgisLoadReport:
    """Load the cached context layers into PostGIS tables (see the module docstring).

    Parameters
    ----------
    url : str or PostgresStore
        The database (``postgresql://…``) or an open store on it.
    cache_dir : pathlib.Path
        The GeoParquet cache (``<cache>/<layer>.parquet`` + ``manifest.json``).
    layers : iterable of str, optional
        Layer names (default: every layer of :data:`mineralmap.schema.LAYER_COLUMNS`).
    force : bool
        Reload layers whose fingerprint did not change.

    Returns
    -------
    PostgisLoadReport

    Raises
    ------
    StoreUnavailableError
        The database cannot be reached.
    StoreError
        The database refused the load (e.g. PostGIS not installed).
    """
    t0 = time.perf_counter()
    db = url if isinstance(url, PostgresStore) else PostgresStore(url, bundled=False)
    names = list(layers) if layers is not None else list(LAYER_COLUMNS)
    for n in names:
        table_name(n)
    report = PostgisLoadReport()
    with db.connection() as con:
        done = dict(con.execute("SELECT layer, fingerprint FROM layer_provenance").fetchall())
        for name, src, fp, entry, why in _sources(Path(cache_dir), names):
            if src is None:
                report.missing[name] = why
                continue
            exists = _has_table(con, name)
            if not force and exists and done.get(name) == fp:
                report.unchanged.append(name)
                continue
            try:
                gdf = read_geoparquet(src) if isinstance(src, Path) else src
            except Exception as exc:  # noqa: BLE001 - one unreadable file is reported by name
                report.missing[name] = f"cache file unreadable: {exc}"
                continue
            with con.transaction():
                report.loaded[name] = _write_layer(con, name, gdf, fp, entry)
            con.execute(psycopg_sql.SQL("ANALYZE {}").format(psycopg_sql.Identifier(table_name(name))))
    report.seconds = time.perf_counter() - t0
    return report


# ------------------------------------------------------------------------------------------
# region queries


def _centre(con: psycopg.Connection, region: RegionSpec, vid: int) -> tuple[float, float]:
    """Resolve the radius centre as :meth:`RegionSpec.center_point` does (ports, towns, then
    the version's occurrences by name, then by id; case-insensitive)."""
    if region.center_lonlat is not None:
        return region.center_lonlat
    want = str(region.center).casefold()
    for layer in CENTRE_LAYERS:
        if not _has_table(con, layer):
            continue
        row = con.execute(psycopg_sql.SQL("SELECT ST_X(ST_Centroid(geom)), ST_Y(ST_Centroid(geom)) FROM {} "
                                  "WHERE lower(name) = %s ORDER BY fid LIMIT 1").format(
            psycopg_sql.Identifier(table_name(layer))), (want,)).fetchone()
        if row is not None:
            return float(row[0]), float(row[1])
    base = ("SELECT ST_X(v.geom), ST_Y(v.geom), v.geom IS NULL FROM version_rows v JOIN rows r "
            "ON r.hash = v.row_hash WHERE v.version_id = %s AND ")
    for cond, args in (("lower(r.data->>%s) = %s", (vid, COL_INDEX["name"], want)),
                       ("lower(v.occ_id) = %s", (vid, want))):
        row = con.execute(base + cond + " ORDER BY v.pos LIMIT 1", args).fetchone()
        if row is not None:
            if row[2]:
                raise RegionError(f"'{region.center}' has no coordinates; pick another centre")
            return float(row[0]), float(row[1])
    raise RegionError(f"unknown centre '{region.center}': not a port, town or occurrence name.")


def _has_table(con: psycopg.Connection, layer: str) -> bool:
    return bool(con.execute("SELECT to_regclass(%s) IS NOT NULL",
                            (table_name(layer),)).fetchone()[0])


def region_ids(db: PostgresStore, region: RegionSpec, version: int | None = None) -> list[str]:
    """Ids of the occurrences of a stored version inside ``region``, computed in PostGIS.

    Parameters
    ----------
    db : PostgresStore
        The store (its version's points are ``version_rows.geom``).
    region : RegionSpec
        Administrative units (``ST_Intersects`` with the ``layer_provinces`` … polygons), bbox
        (the ``&&`` box operator, exact for points), uploaded polygon (``ST_Intersects``),
        radius (``ST_DWithin`` on geography, i.e. geodesic metres on the WGS84 spheroid), picked
        ids added/removed last.
    version : int, optional
        Dataset version (default: current).

    Returns
    -------
    list of str
        Occurrence ids in published order — the ids :meth:`RegionSpec.select` keeps for the same
        version's occurrences and the same layers.

    Raises
    ------
    RegionError
        Unknown administrative unit or centre.
    LayerNotLoadedError
        An administrative layer the region needs is not in the database.
    StoreUnavailableError, StoreError
        Database problems.
    """
    vid = db.version_id(version)
    with db.connection() as con:
        spatial: list[psycopg_sql.Composable] = []
        args: list[object] = [vid]
        admin_parts: list[psycopg_sql.Composable] = []
        admin_args: list[object] = []
        for field_name, layer, col in ADMIN_LAYERS:
            chosen = getattr(region, field_name)
            if not chosen:
                continue
            if not _has_table(con, layer):
                raise LayerNotLoadedError(f"the {layer} layer is not in the database; run "
                                          "`python -m mineralmap data`")
            names = [r[0] for r in con.execute(psycopg_sql.SQL("SELECT DISTINCT {} FROM {}").format(
                psycopg_sql.Identifier(col), psycopg_sql.Identifier(table_name(layer)))).fetchall()]
            low = {str(n).casefold() for n in names}
            unknown = [c for c in chosen if c.casefold() not in low]
            if unknown:
                raise RegionError(f"unknown {col} {', '.join(repr(u) for u in unknown)}; valid "
                                  f"{col}s: " + ", ".join(sorted(map(str, names))))
            admin_parts.append(psycopg_sql.SQL("SELECT geom FROM {} WHERE lower({}) = ANY(%s)").format(
                psycopg_sql.Identifier(table_name(layer)), psycopg_sql.Identifier(col)))
            admin_args.append([c.casefold() for c in chosen])
        if admin_parts:
            # the units' union, computed once (an InitPlan), as the in-memory path does; the
            # point test then uses PostGIS's prepared-geometry cache and the points' GiST index
            # (subdividing the units into small GiST-indexed pieces was tried: no faster at 100k
            # points, slower for small regions)
            spatial.append(psycopg_sql.SQL("ST_Intersects(v.geom, (SELECT ST_Union(geom) FROM ({}) u))"
                                   ).format(psycopg_sql.SQL(" UNION ALL ").join(admin_parts)))
            args += admin_args
        if region.bbox is not None:
            # for points, the bounding-box operator is exact (boundary included, as covers())
            # and needs no per-row geometry test after the GiST index
            spatial.append(psycopg_sql.SQL("v.geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)"))
            args += list(region.bbox)
        if region.polygon is not None:
            spatial.append(psycopg_sql.SQL("ST_Intersects(v.geom, ST_GeomFromWKB(%s, 4326))"))
            args.append(shapely.to_wkb(region.polygon))
        if region.radius_km is not None:
            lon, lat = _centre(con, region, vid)
            spatial.append(psycopg_sql.SQL(
                "ST_DWithin(v.geom::geography, ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography, "
                "%s)"))
            args += [lon, lat, region.radius_km * 1000.0]
        if spatial:
            keep: psycopg_sql.Composable = psycopg_sql.SQL("(v.geom IS NOT NULL AND {})").format(
                psycopg_sql.SQL(" AND ").join(spatial))
            if region.admin_only:
                # unmapped rows of the units: the only case that reads the rows' values, so the
                # (large) rows table is looked up for those few rows only, never joined
                keep = psycopg_sql.SQL("({} OR (v.geom IS NULL AND EXISTS (SELECT 1 FROM rows r WHERE "
                               "r.hash = v.row_hash AND (lower(r.data->>%s) = ANY(%s) OR "
                               "lower(r.data->>%s) = ANY(%s)))))").format(keep)
                args += [COL_INDEX["province"], [c.casefold() for c in region.provinces],
                         COL_INDEX["district"], [c.casefold() for c in region.districts]]
        else:
            keep = psycopg_sql.SQL("TRUE" if not region.add_ids else "FALSE")
        if region.add_ids:
            keep = psycopg_sql.SQL("({} OR v.occ_id = ANY(%s))").format(keep)
            args.append(list(region.add_ids))
        if region.remove_ids:
            keep = psycopg_sql.SQL("({} AND NOT v.occ_id = ANY(%s))").format(keep)
            args.append(list(region.remove_ids))
        q = psycopg_sql.SQL("SELECT v.occ_id FROM version_rows v WHERE v.version_id = %s AND {} "
                    "ORDER BY v.pos").format(keep)
        with con.transaction():
            # JIT compilation costs more than it saves on these index-driven queries
            con.execute("SET LOCAL jit = off")
            return [r[0] for r in con.execute(q, args).fetchall()]


def layer_provenance(db: PostgresStore) -> pd.DataFrame:
    """The ``layer_provenance`` table (one row per loaded layer)."""
    with db.connection() as con:
        cur = con.execute("SELECT layer, table_name, n_features, geometry_type, fingerprint, "
                          "origin, licence, attribution, loaded_at FROM layer_provenance "
                          "ORDER BY layer")
        cols = [d.name for d in cur.description or []]
        return pd.DataFrame(cur.fetchall(), columns=cols)


__all__ = ["LAYER_PREFIX", "LayerNotLoadedError", "PostgisLoadReport", "shared_store", "StoreUnavailableError", "layer_provenance",
           "load_layers_into_postgis", "region_ids", "table_name"]
