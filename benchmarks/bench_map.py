"""Benchmark of the map payload (issues 4 and 6): mineralmap vs folium vs naive pydeck.

Usage::

    .venv/bin/python benchmarks/bench_map.py [--quick]

For N synthetic occurrences (1k, 10k and, unless ``--quick``, 100k) it measures, in the same
process and side by side, the server time to build what the browser receives:

* ``mineralmap``: :func:`mineralmap.layers.occurrence_layers` + :func:`make_deck` + ``to_json``
  (above :data:`~mineralmap.layers.AGGREGATE_THRESHOLD` points this is the aggregated grid);
* ``mineralmap_points``: the same with aggregation disabled (every point sent), for reference;
* ``folium``: ``folium.Map`` with one ``CircleMarker`` (tooltip = name) per point, then
  ``get_root().render()`` (what leafmap / streamlit-folium apps do);
* ``naive_pydeck``: ``GeoJsonLayer(data=gdf.__geo_interface__)`` with all columns and
  ``pdk.Deck(...).to_json()`` (pydeck's default, indented JSON) on every rerun.

It prints ms (median of the repeats), the ratios baseline / mineralmap, and JSON bytes per point
(mineralmap: the ``occurrences`` marker layer alone and both occurrence layers inline, and, as
served by ``serve.py`` (issue 16), the gzip file of shared points that both layers read from one
URL; folium: HTML bytes; naive: the deck JSON). When the cached layers exist it also prints the build time and JSON size of
every context layer.

Synthetic occurrences are uniform random points inside Pakistan's province polygons (from the
cache, else the raw OCHA boundaries of the source mirror, else the bbox 61–77°E, 24–37°N) with
realistic attributes: commodity and group, status, precision class and its km, names, nearest
port and road-haul km.
"""

from __future__ import annotations

import gzip
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pydeck as pdk
import shapely

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks import synthetic  # noqa: E402
from mineralmap import layers as ml  # noqa: E402
from mineralmap.schema import CRS  # noqa: E402

BBOX = (61.0, 24.0, 77.0, 37.0)
TARGET_FOLIUM = 50.0
TARGET_NAIVE = 5.0
TARGET_BYTES = 40.0


def _load_context() -> tuple[dict[str, gpd.GeoDataFrame], str]:
    """Cached layers; bulk layers missing from the cache are read from the raw mirror by
    ``bench_enrich``'s reader. Never fails: returns what it could load and where it came from."""
    layers: dict[str, gpd.GeoDataFrame] = {}
    origin = "none"
    try:
        from mineralmap import catalog

        cached, _ = catalog.load_layers()
        layers = {k: v for k, v in cached.items() if v is not None and len(v)}
        origin = "cache"
    except Exception:  # benchmark helper: any failure just means "no cached layers"
        pass
    if "roads" not in layers:
        try:
            from benchmarks.bench_enrich import _raw_layers

            raw = _raw_layers()
            layers = {**{k: v for k, v in raw.items() if v is not None and len(v)}, **layers}
            origin = "raw mirror" if origin == "none" else "cache + raw mirror"
        except (Exception, SystemExit):
            pass
    return layers, origin


def pakistan_polygon(layers: dict[str, gpd.GeoDataFrame] | None = None) -> shapely.Geometry:
    """Union of the province polygons (cache, else the source mirror), else the bbox."""
    prov = (layers or {}).get("provinces")
    if prov is None or prov.empty:
        env = os.environ.get("MINERALMAP_SOURCES")
        mirror = Path(env) if env else REPO.parent / "shared" / "sources"
        f = mirror / "boundaries" / "ocha_cod_ab_pak_provinces.geojson"
        if f.is_file():
            try:
                prov = gpd.read_file(f)
            except Exception:
                prov = None
    if prov is not None and not prov.empty:
        return shapely.union_all(shapely.make_valid(prov.to_crs(CRS).geometry.to_numpy()))
    return shapely.box(*BBOX)


def synthetic_occurrences(n: int, seed: int = 0,
                          polygon: shapely.Geometry | None = None) -> gpd.GeoDataFrame:
    """``n`` random occurrences inside ``polygon`` (default: the bbox) with realistic attributes.

    Parameters
    ----------
    n
        Number of rows.
    seed
        Random seed.
    polygon
        Area to sample (EPSG:4326).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns of the enriched occurrence table used by the map, plus a few descriptive ones.
    """
    rng = np.random.default_rng(seed)
    poly = polygon if polygon is not None else shapely.box(*BBOX)
    shapely.prepare(poly)
    x0, y0, x1, y1 = poly.bounds
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    got = 0
    while got < n:
        m = max(1000, 2 * (n - got))
        x = rng.uniform(x0, x1, m)
        y = rng.uniform(y0, y1, m)
        ok = shapely.contains_xy(poly, x, y)
        xs.append(x[ok])
        ys.append(y[ok])
        got += int(ok.sum())
    lon = np.concatenate(xs)[:n]
    lat = np.concatenate(ys)[:n]
    commodity = rng.choice(["Sb", "REE", "Cu", "Cr", "Pb", "Au", "Fe", "Mn"], n,
                           p=[0.25, 0.1, 0.2, 0.15, 0.1, 0.1, 0.05, 0.05])
    group = np.where(commodity == "Sb", "Sb", np.where(commodity == "REE", "REE", "other"))
    precision = rng.choice(["surveyed", "locality", "approximate", "district"], n,
                           p=[0.15, 0.45, 0.3, 0.1])
    pkm = np.select([precision == "surveyed", precision == "locality",
                     precision == "approximate"], [0.5, 5.0, 10.0], 40.0)
    ports = np.array(["Karachi", "Port Qasim", "Gwadar"])
    pidx = rng.integers(0, 3, n)
    port_km = np.round(rng.uniform(20, 1400, n), 1)
    idx = np.arange(n)
    ids = np.char.add("SYN-", idx.astype(str))
    names = np.char.add(np.char.add(rng.choice(["Koh", "Tor", "Shah", "Kila", "Ghar", "Dara"], n),
                                    " "), idx.astype(str))
    df = pd.DataFrame({
        "id": ids, "name": np.char.add(names, " prospect"), "commodity": commodity,
        "commodity_group": group,
        "status": rng.choice(["occurrence", "prospect", "past producer", "producer"], n,
                             p=[0.6, 0.25, 0.1, 0.05]),
        "deposit_type": rng.choice(["vein", "skarn", "placer", "carbonatite"], n),
        "province": "synthetic", "district": "synthetic",
        "precision": precision, "precision_km": pkm, "lon": lon, "lat": lat,
        "port_nearest": ports[pidx], "port_nearest_km": port_km,
        "haul_road_port": ports[pidx], "haul_road_km": np.round(port_km * 1.3, 1),
        "rail_km": np.round(rng.uniform(0, 400, n), 1),
        "road_primary_km": np.round(rng.uniform(0, 200, n), 1),
        "source_title": "synthetic benchmark row", "source_url": "https://example.org/synthetic",
    })
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(lon, lat), crs=CRS)


# ---- the three ways to build the map payload ------------------------------------------------


def build_mineralmap(occ: pd.DataFrame, aggregate: bool = True) -> str:
    """mineralmap: compact occurrence layers + compact deck JSON."""
    thr = ml.AGGREGATE_THRESHOLD if aggregate else len(occ) + 1
    view = ml.occurrence_view(occ, threshold=thr)
    return ml.make_deck(view.layers, basemap="none").to_json()


def build_folium(occ: pd.DataFrame) -> str:
    """folium: one CircleMarker per point, rendered to HTML."""
    import folium

    m = folium.Map(location=[30.0, 69.5], zoom_start=5)
    colors = {"Sb": "#d55e00", "REE": "#0072b2", "other": "#808080"}
    for lat, lon, name, grp in zip(occ["lat"].tolist(), occ["lon"].tolist(),
                                   occ["name"].tolist(), occ["commodity_group"].tolist(),
                                   strict=True):
        folium.CircleMarker([lat, lon], radius=5, color=colors[grp], fill=True,
                            tooltip=name).add_to(m)
    return m.get_root().render()


def build_naive_pydeck(occ: gpd.GeoDataFrame) -> str:
    """naive pydeck: GeoJsonLayer of the whole GeoDataFrame, pydeck's default to_json."""
    layer = pdk.Layer("GeoJsonLayer", data=occ.__geo_interface__, id="occurrences",
                      pickable=True, get_fill_color=[213, 94, 0], point_radius_min_pixels=4)
    deck = pdk.Deck(layers=[layer], map_provider=None, map_style=None,
                    initial_view_state=pdk.ViewState(latitude=30.0, longitude=69.5, zoom=4.6),
                    tooltip={"html": "{name}"})
    return deck.to_json()


def _time(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), out


def run(quick: bool) -> dict:
    """Run the benchmark.

    Parameters
    ----------
    quick
        Only N = 1k and 10k (CI-sized); otherwise also 100k.

    Returns
    -------
    dict
        ``{"map_build": {N: {...ms, ratios, notes}}, "bytes_per_point": {N: {...}},
        "context_layers": {name: {"ms", "bytes", "features"}}, "targets": {...}}``.
    """
    context, origin = _load_context()
    poly = pakistan_polygon(context)
    sizes = [1_000, 10_000] if quick else [1_000, 10_000, 100_000]
    out: dict[str, Any] = {"map_build": {}, "bytes_per_point": {}, "context_layers": {},
                           "aggregate_threshold": ml.AGGREGATE_THRESHOLD,
                           "tooltip_max": ml.TOOLTIP_MAX, "context_origin": origin,
                           "sampling_area": "provinces" if poly.geom_type != "Polygon"
                           or not poly.equals(shapely.box(*BBOX)) else "bbox"}
    for n in sizes:
        occ = synthetic_occurrences(n, seed=n, polygon=poly)
        rep = 5 if n <= 10_000 else 2
        rep_slow = 3 if n <= 1_000 else 1
        ms_mm, js_mm = _time(lambda occ=occ: build_mineralmap(occ), rep)
        ms_pts, js_pts = _time(lambda occ=occ: build_mineralmap(occ, aggregate=False),
                               rep if n <= 10_000 else 1)
        ms_fol, html = _time(lambda occ=occ: build_folium(occ), rep_slow)
        ms_nv, js_nv = _time(lambda occ=occ: build_naive_pydeck(occ), rep_slow)
        view = ml.occurrence_view(occ)
        pts_view = ml.occurrence_view(occ, threshold=n + 1)
        marker = next(lyr for lyr in pts_view.layers if lyr.id == "occurrences")
        both = sum(ml.payload_bytes(lyr) for lyr in pts_view.layers)
        # served (serve.py): one gzip file of shared points for markers and circles (issue 16)
        shared = gzip.compress(json.dumps(ml.shared_points(occ).records,
                                          separators=(",", ":")).encode(), 9)
        out["map_build"][n] = {
            "mineralmap_ms": round(ms_mm, 1), "mineralmap_points_ms": round(ms_pts, 1),
            "folium_ms": round(ms_fol, 1), "naive_pydeck_ms": round(ms_nv, 1),
            "folium_ratio": round(ms_fol / ms_mm, 1), "naive_ratio": round(ms_nv / ms_mm, 1),
            "aggregated": view.aggregated, "compact": view.compact,
        }
        out["bytes_per_point"][n] = {
            "mineralmap_marker": round(ml.payload_bytes(marker) / n, 1),
            "mineralmap_markers_and_circles": round(both / n, 1),
            "mineralmap_shared_file_gzip": round(len(shared) / n, 1),
            "mineralmap_points_deck": round(len(js_pts.encode()) / n, 1),
            "mineralmap_deck": round(len(js_mm.encode()) / n, 1),
            "folium_html": round(len(html.encode()) / n, 1),
            "naive_pydeck_deck": round(len(js_nv.encode()) / n, 1),
        }
        del js_mm, js_pts, html, js_nv
    for name in ml.CONTEXT_LAYER_IDS:
        gdf = context.get(name)
        if gdf is None:
            continue
        ms, payload = _time(lambda name=name, gdf=gdf: ml.static_layer_payload(name, gdf), 1)
        lyr = ml.context_layer(name, payload)
        out["context_layers"][name] = {"features": len(gdf), "records": len(payload),
                                       "ms": round(ms, 1), "bytes": ml.payload_bytes(lyr)}
    mb10 = out["map_build"][10_000]
    out["targets"] = {
        "folium_ratio_10k>=50": mb10["folium_ratio"] >= TARGET_FOLIUM,
        "naive_ratio_10k>=5": mb10["naive_ratio"] >= TARGET_NAIVE,
        "marker_bytes_per_point_10k<=40":
            out["bytes_per_point"][10_000]["mineralmap_marker"] <= TARGET_BYTES,
        "shared_points_bytes_per_point_10k<=24 (served)":
            out["bytes_per_point"][10_000]["mineralmap_shared_file_gzip"] <= 24,
    }
    return out


def _print(res: dict) -> None:
    print(f"map_build (median ms; ratio = baseline / mineralmap); sampling area: "
          f"{res['sampling_area']}; aggregation above {res['aggregate_threshold']:,} points, "
          f"tooltips per point up to {res['tooltip_max']:,}")
    hdr = (f"{'N':>8} {'mineralmap':>11} {'mm points':>10} {'folium':>10} {'naive pdk':>10} "
           f"{'x folium':>9} {'x naive':>8}  mode")
    print(hdr)
    print("-" * len(hdr))
    for n, r in res["map_build"].items():
        mode = "aggregated" if r["aggregated"] else ("compact" if r["compact"] else "tooltips")
        print(f"{n:>8,} {r['mineralmap_ms']:>11.1f} {r['mineralmap_points_ms']:>10.1f} "
              f"{r['folium_ms']:>10.1f} {r['naive_pydeck_ms']:>10.1f} "
              f"{r['folium_ratio']:>8.1f}x {r['naive_ratio']:>7.1f}x  {mode}")
    print()
    print("bytes_per_point (JSON/HTML bytes sent per occurrence)")
    hdr = (f"{'N':>8} {'mm marker':>10} {'mm +circles':>12} {'shared gz':>10} "
           f"{'mm points deck':>15} {'mm deck':>8} {'folium':>8} {'naive pdk':>10}")
    print(hdr)
    print("-" * len(hdr))
    for n, b in res["bytes_per_point"].items():
        print(f"{n:>8,} {b['mineralmap_marker']:>10.1f} "
              f"{b['mineralmap_markers_and_circles']:>12.1f} "
              f"{b['mineralmap_shared_file_gzip']:>10.1f} {b['mineralmap_points_deck']:>15.1f} "
              f"{b['mineralmap_deck']:>8.1f} {b['folium_html']:>8.1f} "
              f"{b['naive_pydeck_deck']:>10.1f}")
    if res["context_layers"]:
        print()
        print(f"context layers (static payload, built once per catalog; layers from "
              f"{res['context_origin']})")
        print(f"{'layer':>18} {'features':>9} {'records':>8} {'ms':>8} {'JSON bytes':>11}")
        for name, c in res["context_layers"].items():
            print(f"{name:>18} {c['features']:>9,} {c['records']:>8,} {c['ms']:>8.1f} "
                  f"{c['bytes']:>11,}")
    print()
    for k, ok in res["targets"].items():
        print(f"target {k}: {'met' if ok else 'NOT met'}")


def main(argv: list[str] | None = None) -> int:
    """CLI entry: run and print (``--json`` also prints the raw result)."""
    return synthetic.cli(run, _print, argv, description=__doc__.split("\n")[0],
                         quick_help="N = 1k and 10k only")


if __name__ == "__main__":
    raise SystemExit(main())
