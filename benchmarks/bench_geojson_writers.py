"""Which GeoJSON writer should mineralmap keep? (issue 10: library beside the hand-written path)

Usage::

    .venv/bin/python benchmarks/bench_geojson_writers.py [--quick]

On the same enriched synthetic frames (``benchmarks/synthetic.py``) and in the same process it
times, best of the repeats:

* ``mineralmap``: :func:`mineralmap.export.geojson_bytes` (what the app and CLI use: vectorised
  coordinates, attributes encoded by pandas' C JSON encoder, split into records at the
  ``},{"<first column>":`` boundary, which cannot occur inside a JSON string);
* ``pyogrio``: GDAL's GeoJSON driver through :func:`pyogrio.write_dataframe` with
  ``RFC7946=YES`` and the provenance block as a ``FOREIGN_MEMBERS_COLLECTION`` (written to a
  temporary file and read back as bytes, which is what a download needs);
* ``to_json``: :meth:`geopandas.GeoDataFrame.to_json` (the usual one-liner, for scale).

and checks that each output parses and holds N features. Prints seconds and the ratios
pyogrio / mineralmap and to_json / mineralmap.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import pyogrio  # noqa: E402

from benchmarks import synthetic  # noqa: E402
from mineralmap import export  # noqa: E402

META = {"filter": "benchmark", "region": "", "app_version": "bench"}


def _best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _ours(gdf) -> bytes:
    return export.geojson_bytes(gdf, metadata=META)


def _pyogrio(gdf) -> bytes:
    frame = export._gdal_ready(export._attribute_frame(gdf))
    frame = frame.set_geometry(gdf.geometry.to_numpy(), crs=gdf.crs) if hasattr(
        frame, "set_geometry") else gdf.__class__(frame, geometry=gdf.geometry.to_numpy(),
                                                  crs=gdf.crs)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "x.geojson")
        pyogrio.write_dataframe(
            frame, path, driver="GeoJSON",
            layer_options={"RFC7946": "YES", "COORDINATE_PRECISION": "6",
                           "FOREIGN_MEMBERS_COLLECTION": json.dumps({"metadata": META})})
        with open(path, "rb") as fh:
            return fh.read()


def run(quick: bool) -> dict:
    """Time the three writers at each N."""
    sizes = [1_000, 10_000] if quick else [1_000, 10_000, 100_000]
    res: dict[str, Any] = {"sizes": {}}
    for n in sizes:
        gdf = synthetic.enriched(n)
        rep = 3 if n <= 10_000 else 2
        t_mm, ours = _best(lambda g=gdf: _ours(g), rep)
        t_og, ogr = _best(lambda g=gdf: _pyogrio(g), rep)
        t_tj, tj = _best(lambda g=gdf: g.to_json(), rep)
        ok = {k: len(json.loads(v)["features"]) == n
              for k, v in (("mineralmap", ours), ("pyogrio", ogr), ("to_json", tj))}
        res["sizes"][n] = {
            "mineralmap_s": round(t_mm, 4), "pyogrio_s": round(t_og, 4),
            "to_json_s": round(t_tj, 4),
            "pyogrio_over_mineralmap": round(t_og / t_mm, 2),
            "to_json_over_mineralmap": round(t_tj / t_mm, 2),
            "mineralmap_bytes": len(ours), "pyogrio_bytes": len(ogr), "features_ok": ok,
        }
    return res


def _print(res: dict) -> None:
    print("GeoJSON writers (best of repeats, s)")
    print(f"{'N':>8}{'mineralmap':>12}{'pyogrio':>10}{'to_json':>10}"
          f"{'pyogrio/mm':>12}{'to_json/mm':>12}  parsed ok")
    for n, r in res["sizes"].items():
        print(f"{n:>8,}{r['mineralmap_s']:>12.3f}{r['pyogrio_s']:>10.3f}{r['to_json_s']:>10.3f}"
              f"{r['pyogrio_over_mineralmap']:>11.2f}x{r['to_json_over_mineralmap']:>11.2f}x"
              f"  {all(r['features_ok'].values())}")


def main(argv: list[str] | None = None) -> int:
    """CLI entry: run and print (``--json`` also prints the raw result)."""
    return synthetic.cli(run, _print, argv, description=__doc__.split("\n")[0],
                         quick_help="N = 1k and 10k only")


if __name__ == "__main__":
    raise SystemExit(main())
