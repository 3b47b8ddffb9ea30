"""Shared synthetic occurrences for the benchmarks (real layers, memoised per process).

Points are drawn by :func:`mineralmap.scale.synthetic_occurrences`: uniform inside the real
province polygons of the layer cache, with the curated schema (ids ``SYN-000001`` ...,
commodity / group mix, precision classes and ``precision_km``, statuses, sources labelled
"synthetic demo point (not real data)"). :func:`enriched` adds the real enrichment columns
(distances to the real ports, roads, railways ...) with :func:`mineralmap.enrich.enrich`, so the
map, filters and exports see realistic values. Each table is built once per process and N, and
shared by every benchmark run from ``benchmarks/run.py``.
"""

from __future__ import annotations

import sys
import time
from functools import lru_cache
from pathlib import Path

import geopandas as gpd

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from mineralmap import catalog, scale  # noqa: E402

#: Layers a realistic enrichment needs; without them the benchmarks stop with this hint.
CORE = ("provinces", "districts", "roads", "railways", "ports")
#: Seconds spent in enrich() per N (filled by :func:`enriched`; reported by run.py).
ENRICH_SECONDS: dict[int, float] = {}


@lru_cache(maxsize=1)
def context_layers() -> dict[str, gpd.GeoDataFrame]:
    """Every layer of the real cache (``$MINERALMAP_CACHE`` or geodata/cache).

    Raises
    ------
    SystemExit
        The cache lacks a core layer (run ``python -m mineralmap data``).
    """
    layers, missing = catalog.load_layers()
    lacking = [n for n in CORE if n in missing]
    if lacking:
        raise SystemExit(f"layer cache lacks {', '.join(lacking)}: run `python -m mineralmap data`")
    return dict(layers)


@lru_cache(maxsize=8)
def occurrences(n: int, seed: int = 0) -> gpd.GeoDataFrame:
    """``n`` synthetic occurrences (curated schema, not enriched) inside the real provinces."""
    return scale.synthetic_occurrences(n, context_layers(), seed=seed)


@lru_cache(maxsize=4)
def enriched(n: int, seed: int = 0) -> gpd.GeoDataFrame:
    """``n`` synthetic occurrences with the real enrichment columns (time in ENRICH_SECONDS)."""
    from mineralmap.enrich import enrich

    occ = occurrences(n, seed)
    t0 = time.perf_counter()
    out = enrich(occ, context_layers())
    ENRICH_SECONDS[n] = time.perf_counter() - t0
    return out


def cli(run, print_result, argv: list[str] | None, *, description: str, quick_help: str) -> int:
    """Shared ``__main__`` of the bench scripts: ``--quick`` and ``--json``, run, print.

    Parameters
    ----------
    run
        The script's ``run(quick: bool) -> dict``.
    print_result
        Prints the result dict as a table.
    argv
        Command-line arguments (None: ``sys.argv``).
    description, quick_help
        Help texts.
    """
    import argparse
    import json

    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--quick", action="store_true", help=quick_help)
    ap.add_argument("--json", action="store_true", help="also print the result as JSON")
    args = ap.parse_args(argv)
    res = run(args.quick)
    print_result(res)
    if args.json:
        print(json.dumps(res, indent=2, default=str))
    return 0
