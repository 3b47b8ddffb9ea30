"""Benchmark of the PostGIS backend (issue 12): region queries and app start, against the
in-memory path and the embedded SQLite store, measured side by side in the same process.

Usage::

    .venv/bin/python benchmarks/bench_postgis.py [--quick] [--url postgresql://…]

Without ``--url`` (or ``$MINERALMAP_DATABASE_URL``) a throw-away PostgreSQL + PostGIS cluster is
started in a temporary folder (``tests/postgis_cluster.py``) and stopped at the end.

* ``region``: p50 time of one region query on N synthetic occurrences inside the real province
  polygons (N = 1,000 and 100,000; 10,000 with ``--quick``) — in memory
  (:meth:`mineralmap.regions.RegionSpec.select` on the GeoDataFrame, the baseline) vs in PostGIS
  (:func:`mineralmap.postgis.region_ids`: ``ST_Intersects`` / ``ST_DWithin`` over a GiST index,
  ids returned). Both return the same ids (checked here too).
* ``start``: p50 time of what an app process does at start to get its occurrences: open the
  store, read the current version, build the occurrence GeoDataFrame — PostGIS vs the embedded
  SQLite store (the baseline), for the bundled table and for a 100k-row version; also the reads
  every rerun (current version) and every idle page's poll (``current_number``) make.
* ``load``: seconds to load every cached context layer into PostGIS.

Layers come from the real cache (``python -m mineralmap data``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
for p in (REPO, REPO / "tests"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from benchmarks import synthetic  # noqa: E402
from mineralmap import auth, postgis, scale, store  # noqa: E402
from mineralmap.config import Settings, get_settings  # noqa: E402
from mineralmap.pgstore import PostgresStore  # noqa: E402
from mineralmap.regions import RegionSpec  # noqa: E402


def _p50(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def _regions(layers: dict) -> dict[str, RegionSpec]:
    gwadar = layers["ports"].loc[layers["ports"]["name"].str.contains("Gwadar")].geometry.iloc[0]
    dist = str(layers["districts"]["district"].iloc[0])
    return {
        "province Balochistan": RegionSpec(provinces=("Balochistan",)),
        f"district {dist}": RegionSpec(districts=(dist,)),
        "bbox 3x2 deg": RegionSpec(bbox=(66.0, 27.0, 69.0, 29.0)),
        "radius 200 km of Gwadar": RegionSpec(center_lonlat=(gwadar.x, gwadar.y), radius_km=200),
    }


def _start(s: Settings) -> None:
    db = store.open_store(s)
    db.occurrences(db.current_version().number)


def _start_figures(label: str, s_lite: Settings, s_pg: Settings, repeat: int) -> None:
    lt = _p50(lambda: _start(s_lite), max(3, repeat // 2))
    pt = _p50(lambda: _start(s_pg), max(3, repeat // 2))
    lite, pg = store.open_store(s_lite), store.open_store(s_pg)
    poll_l = _p50(lite.current_version, 50)
    poll_p = _p50(pg.current_version, 50)
    num_l = _p50(lite.current_number, 50)
    num_p = _p50(pg.current_number, 50)
    print(f"\napp start p50 (ms), {label}: open store + current version + occurrences: "
          f"sqlite (baseline) {lt:.1f}, postgis {pt:.1f}, ratio {lt / pt:.2f}x; "
          f"version read per rerun: sqlite {poll_l:.2f}, postgis {poll_p:.2f}; "
          f"version-number poll (every 5 s per idle page): sqlite {num_l:.2f}, "
          f"postgis {num_p:.2f}\n")


def _url(arg: str | None) -> tuple[str, Any]:
    if arg:
        return arg, None
    if get_settings().database_url:
        return get_settings().database_url, None
    from postgis_cluster import cluster, new_database  # benchmark-only helper from tests/

    c = cluster()
    return new_database(c, "bench"), c


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--url", default=None, help="postgresql:// URL (default: throw-away cluster)")
    a = ap.parse_args()
    sizes = (1_000, 10_000) if a.quick else (1_000, 100_000)
    repeat = 5 if a.quick else 9
    layers = synthetic.context_layers()
    cache = get_settings().cache_dir
    url, _cluster = _url(a.url)
    steward = auth.cli_session("benchmark")

    t0 = time.perf_counter()
    pg = PostgresStore(url)
    rep = postgis.load_layers_into_postgis(pg, cache)
    print(f"load: {len(rep.loaded)} layers into PostGIS in {time.perf_counter() - t0:.1f} s "
          f"({', '.join(f'{k} {v:,}' for k, v in rep.loaded.items())})")

    tmp = Path(tempfile.mkdtemp(prefix="mm_bench_"))
    lite = store.open_store(Settings(cache_dir=tmp))
    bundled = pg.records(1)
    s_lite, s_pg = Settings(cache_dir=tmp), Settings(cache_dir=tmp, database_url=url)
    _start_figures("bundled table", s_lite, s_pg, repeat)

    print("\nregion query p50 (ms): in memory (baseline) vs PostGIS")
    print(f"{'region':28s} {'N':>8s} {'memory':>9s} {'postgis':>9s} {'ratio':>7s} {'ids':>7s}")
    for n in sizes:
        syn = scale.synthetic_occurrences(n, layers, seed=1)
        rows = pd.concat([bundled, store.records_frame(syn)], ignore_index=True)
        t0 = time.perf_counter()
        v = pg.publish(steward, rows, note=f"benchmark {n}", source_name="synthetic",
                       source_sha256="0" * 64)
        t_pub_pg = time.perf_counter() - t0
        t0 = time.perf_counter()
        lite.publish(steward, rows, note=f"benchmark {n}", source_name="synthetic",
                     source_sha256="0" * 64)
        t_pub_lite = time.perf_counter() - t0
        occ = pg.occurrences(v.number)
        for label, region in _regions(layers).items():
            mem = _p50(lambda r=region, o=occ: r.select(o, layers), repeat)
            db = _p50(lambda r=region, k=v.number: postgis.region_ids(pg, r, k), repeat)
            ids = postgis.region_ids(pg, region, v.number)
            same = ids == list(region.select(occ, layers)["id"].astype(str))
            print(f"{label:28s} {n:>8,} {mem:9.1f} {db:9.1f} {mem / db:6.2f}x "
                  f"{len(ids):>7,}{'' if same else '  IDS DIFFER'}")
        print(f"{'publish (s)':28s} {n:>8,} sqlite {t_pub_lite:.2f} postgis {t_pub_pg:.2f}")

        _start_figures(f"N={n} + bundled", s_lite, s_pg, repeat)
    pg.close()
    if _cluster is not None:
        _cluster.stop()


if __name__ == "__main__":
    main()
