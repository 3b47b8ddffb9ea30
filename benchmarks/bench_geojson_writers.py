"""Which GeoJSON writer should mineralmap keep? (issue 10: library beside the hand-written path)

Usage::

    .venv/bin/python benchmarks/bench_geojson_writers.py [--quick]

On the same enriched synthetic frames (``benchmarks/synthetic.py``) and in the same process it
times, best of the repeats:

* ``mineralmap``: :func:`mineralmap.export.geojson_bytes` (what the app and CLI use: vectorised
  coordinates, every attribute column encoded on its own and joined per row by one template);
* ``split``: the writer it replaced (kept here only as a baseline): the same coordinates, but the
  attributes encoded by pandas' C JSON encoder in one text and split into records at the
  ``},{"<first column>":`` boundary (issue 10 asked for a writer that does not split on a marker);
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


def _split_properties(attrs) -> list[str]:
    """The previous attribute encoder: pandas' records text split at the record boundary."""
    if len(attrs) == 0 or attrs.shape[1] == 0:
        return []
    attrs = attrs.set_axis([str(c) for c in attrs.columns], axis=1)
    opts: dict[str, Any] = {"orient": "records", "force_ascii": False, "double_precision": 15,
                            "date_format": "iso", "date_unit": "s", "default_handler": str}
    text = attrs.to_json(**opts)
    probe = attrs.iloc[:1, :1].to_json(**opts)
    key = probe[2 : probe.index(":") + 1]
    rows = text[2:-2].split("}," + "{" + key)
    rows = [rows[0][len(key) :], *rows[1:]]
    return [key + r for r in rows]


def _split(gdf) -> bytes:
    """The previous writer: :func:`_split_properties` plus the same geometry texts."""
    props = _split_properties(export._attribute_frame(gdf))
    geoms = export._geometry_texts(export._geometry_array(gdf))
    head, mid = '{"type":"Feature","geometry":', ',"properties":{"feature_type":"occurrence"'
    feats = ",".join(f"{head}{g}{mid},{p}}}}}" for g, p in zip(geoms, props, strict=True))
    return ('{"type":"FeatureCollection","features":[' + feats + '],"metadata":'
            + export._dumps(META) + "}").encode("utf-8")


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
        t_sp, split = _best(lambda g=gdf: _split(g), rep)
        same = [f["properties"] for f in json.loads(ours)["features"]] == [
            f["properties"] for f in json.loads(split)["features"]]
        t_og, ogr = _best(lambda g=gdf: _pyogrio(g), rep)
        t_tj, tj = _best(lambda g=gdf: g.to_json(), rep)
        ok = {k: len(json.loads(v)["features"]) == n
              for k, v in (("mineralmap", ours), ("pyogrio", ogr), ("to_json", tj))}
        res["sizes"][n] = {
            "mineralmap_s": round(t_mm, 4), "split_s": round(t_sp, 4),
            "split_over_mineralmap": round(t_sp / t_mm, 2), "same_properties_as_split": same,
            "pyogrio_s": round(t_og, 4),
            "to_json_s": round(t_tj, 4),
            "pyogrio_over_mineralmap": round(t_og / t_mm, 2),
            "to_json_over_mineralmap": round(t_tj / t_mm, 2),
            "mineralmap_bytes": len(ours), "pyogrio_bytes": len(ogr), "features_ok": ok,
        }
    return res


def _print(res: dict) -> None:
    print("GeoJSON writers (best of repeats, s)")
    print(f"{'N':>8}{'mineralmap':>12}{'split':>8}{'pyogrio':>10}{'to_json':>10}"
          f"{'split/mm':>10}{'pyogrio/mm':>12}{'to_json/mm':>12}  parsed ok, same as split")
    for n, r in res["sizes"].items():
        print(f"{n:>8,}{r['mineralmap_s']:>12.3f}{r['split_s']:>8.3f}{r['pyogrio_s']:>10.3f}"
              f"{r['to_json_s']:>10.3f}{r['split_over_mineralmap']:>9.2f}x"
              f"{r['pyogrio_over_mineralmap']:>11.2f}x{r['to_json_over_mineralmap']:>11.2f}x"
              f"  {all(r['features_ok'].values())}, {r['same_properties_as_split']}")


def main(argv: list[str] | None = None) -> int:
    """CLI entry: run and print (``--json`` also prints the raw result)."""
    return synthetic.cli(run, _print, argv, description=__doc__.split("\n")[0],
                         quick_help="N = 1k and 10k only")


if __name__ == "__main__":
    raise SystemExit(main())
