"""Benchmark of the GeoJSON export (issue 6): mineralmap vs ``GeoDataFrame.to_json``.

Usage::

    .venv/bin/python benchmarks/bench_export.py [--quick]

For N enriched synthetic occurrences (1k, 10k and, unless ``--quick``, 100k; see
``benchmarks/synthetic.py``) it times, in the same process and on the same frame,
:func:`mineralmap.export.export_selection` with ``fmt="geojson"`` (RFC 7946 FeatureCollection
with metadata, what the Region & export page downloads) against geopandas'
``GeoDataFrame.to_json()`` (the usual one-liner), best of the repeats, and prints the ratio
to_json / mineralmap and both outputs' sizes. Both outputs are parsed back once to check they
hold N features.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks import synthetic  # noqa: E402
from mineralmap.export import export_selection  # noqa: E402

TARGET_RATIO = 2.0


def _best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _ours(gdf) -> bytes:
    data, _mime, _name = export_selection(
        gdf, "geojson", region=None, spec_sentence="benchmark: all synthetic occurrences",
        region_description="", attributions=[], app_version="bench")
    return data


def run(quick: bool) -> dict:
    """Time both exports at each N; returns seconds, ratios, sizes and the target check."""
    sizes = [1_000, 10_000] if quick else [1_000, 10_000, 100_000]
    res: dict[str, Any] = {"sizes": {}}
    for n in sizes:
        gdf = synthetic.enriched(n)
        rep = 3 if n <= 10_000 else 2
        t_mm, ours = _best(lambda g=gdf: _ours(g), rep)
        t_gp, theirs = _best(lambda g=gdf: g.to_json(), rep)
        n_ours = len(json.loads(ours)["features"])
        n_theirs = len(json.loads(theirs)["features"])
        res["sizes"][n] = {
            "columns": gdf.shape[1], "mineralmap_s": round(t_mm, 4), "to_json_s": round(t_gp, 4),
            "ratio": round(t_gp / t_mm, 2), "mineralmap_bytes": len(ours),
            "to_json_bytes": len(theirs.encode()), "features_ok": n_ours == n_theirs == n,
        }
    top = max(res["sizes"])
    res["target_n"] = top
    res["targets"] = {f"export_{top}_ratio>=2": res["sizes"][top]["ratio"] >= TARGET_RATIO}
    return res


def _print(res: dict) -> None:
    print("GeoJSON export (best of repeats, s): mineralmap export_selection vs GeoDataFrame.to_json")
    print(f"{'N':>8}{'cols':>6}{'mineralmap':>12}{'to_json':>10}{'ratio':>8}"
          f"{'mm MB':>9}{'to_json MB':>12}  features ok")
    for n, r in res["sizes"].items():
        print(f"{n:>8,}{r['columns']:>6}{r['mineralmap_s']:>12.3f}{r['to_json_s']:>10.3f}"
              f"{r['ratio']:>7.2f}x{r['mineralmap_bytes'] / 1e6:>9.1f}"
              f"{r['to_json_bytes'] / 1e6:>12.1f}  {r['features_ok']}")
    for k, ok in res["targets"].items():
        print(f"target {k}: {'met' if ok else 'NOT met'}")


def main(argv: list[str] | None = None) -> int:
    """CLI entry: run and print (``--json`` also prints the raw result)."""
    return synthetic.cli(run, _print, argv, description=__doc__.split("\n")[0],
                         quick_help="N = 1k and 10k only")


if __name__ == "__main__":
    raise SystemExit(main())
