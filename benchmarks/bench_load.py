"""Benchmark: load every layer from the cache vs read the raw source files with geopandas;
the project's GeoParquet reader vs ``geopandas.read_parquet`` on the same cache files.

Usage: ``python benchmarks/bench_load.py [--runs N] [--json]``

Prints the median wall time of :func:`mineralmap.catalog.load_layers` (cached GeoParquet plus the
curated CSV layers) over N runs and, as a baseline measured in the same process, the median time
to read the raw mirror files (GeoJSON via pyogrio, station JSON, power-plant CSV) with
geopandas/pandas, and their ratio. When the cache has not been built, it is built first into a
temporary directory (not timed).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import geopandas as gpd  # noqa: E402
import pandas as pd  # noqa: E402

from mineralmap._store import read_geoparquet  # noqa: E402
from mineralmap.catalog import load_layers  # noqa: E402
from mineralmap.ingest import build_cache, cache_dir  # noqa: E402
from mineralmap.sources import MANIFEST, mirror_dir  # noqa: E402


def _read_raw(mirror: Path) -> int:
    """Read every raw mirror file of the ingested layers; return the total row count."""
    rows = 0
    for spec in MANIFEST.values():
        if not spec.ingested or spec.mirror_path is None:
            continue
        path = mirror / spec.mirror_path
        if spec.reader == "vector":
            rows += len(gpd.read_file(path, engine="pyogrio"))
        elif spec.reader == "stations_json":
            df = pd.DataFrame(json.loads(path.read_text()))
            rows += len(gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df.lon, df.lat),
                                         crs="EPSG:4326"))
        elif spec.reader == "gppd_csv":
            df = pd.read_csv(path)
            rows += len(gpd.GeoDataFrame(
                df, geometry=gpd.points_from_xy(df.longitude, df.latitude), crs="EPSG:4326"))
    return rows


def _median_time(fn, runs: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def run(runs: int = 7) -> dict[str, float | int | str]:
    """Measure and return the numbers (seconds)."""
    mirror = mirror_dir()
    cache = cache_dir()
    tmp = None
    if not (cache / "roads.parquet").is_file():
        tmp = tempfile.TemporaryDirectory(prefix="mineralmap-bench-")
        cache = Path(tmp.name)
        build_cache(cache=cache, progress=False)
    layers, missing = load_layers(cache)  # warm-up (imports, file cache)
    n_rows = sum(len(g) for g in layers.values())
    t_cache, _ = _median_time(lambda: load_layers(cache), runs)
    result: dict[str, float | int | str] = {
        "runs": runs,
        "cache": str(cache),
        "layers": len(layers),
        "missing": len(missing),
        "rows": n_rows,
        "load_layers_s": round(t_cache, 4),
    }
    # the project's GeoParquet reader against geopandas.read_parquet on the same files
    files = sorted(cache.glob("*.parquet"))
    t_ours, _ = _median_time(lambda: [read_geoparquet(f) for f in files], runs)
    t_gpd, _ = _median_time(lambda: [gpd.read_parquet(f) for f in files], runs)
    same = all(set(a.columns) == set(b.columns) and len(a) == len(b)
               and (a.geometry.geom_equals_exact(b.geometry, 0)
                    | (a.geometry.isna() & b.geometry.isna())).all()
               for a, b in ((read_geoparquet(f), gpd.read_parquet(f)) for f in files))
    result.update({"parquet_files": len(files), "read_geoparquet_s": round(t_ours, 4),
                   "gpd_read_parquet_s": round(t_gpd, 4),
                   "reader_ratio": round(t_gpd / t_ours, 2), "readers_agree": same})
    if mirror is not None:
        _read_raw(mirror)
        t_raw, _ = _median_time(lambda: _read_raw(mirror), runs)
        result["raw_read_s"] = round(t_raw, 4)
        result["speedup"] = round(t_raw / t_cache, 2)
    if tmp is not None:
        tmp.cleanup()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    r = run(args.runs)
    if args.json:
        print(json.dumps(r))
        return 0
    print(f"load_layers (cache, {r['layers']} layers, {r['rows']} rows, "
          f"{r['missing']} missing): median {r['load_layers_s']:.3f} s over {r['runs']} runs")
    print(f"GeoParquet reader, {r['parquet_files']} files: mineralmap "
          f"{r['read_geoparquet_s']:.3f} s, geopandas.read_parquet {r['gpd_read_parquet_s']:.3f} s "
          f"(ratio {r['reader_ratio']:.2f}x, same frames: {r['readers_agree']})")
    if "raw_read_s" in r:
        print(f"raw source files with geopandas:  median {r['raw_read_s']:.3f} s")
        print(f"ratio raw / cache: {r['speedup']:.1f}x")
    else:
        print("raw baseline skipped: no source mirror")
    return 0


if __name__ == "__main__":
    sys.exit(main())
