"""Benchmark of one filter-change rerun of the Explore page (issues 4 and 6), and JSON bytes per layer.

Usage::

    .venv/bin/python benchmarks/bench_rerun.py [--quick]

Three measurements, each against a baseline run side by side in the same process (p50 over
the repeats; every repeat toggles the Province filter between "Balochistan" and none):

* ``functions``: the page's own work for one filter change on the bundled (curated, enriched)
  occurrences and on bundled + N synthetic enriched occurrences (N = 100k; 10k with
  ``--quick``): :func:`mineralmap.filters.apply` + :func:`mineralmap.layers.occurrence_layers` +
  the deck (default context layers of the Explore map) serialised with ``to_json`` (what
  ``st.pydeck_chart`` sends). mineralmap reuses the static context layers built once (as
  ``mineralmap.ui.cache`` caches them); the baseline rebuilds them every rerun (no caching).
* ``apptest``: a full Streamlit rerun of ``pages/explore.py`` through ``app.py`` with
  ``streamlit.testing.v1.AppTest`` after changing the sidebar Province multiselect (bundled
  data); baseline: the same with the context-layer cache switched off. Also as served by
  ``serve.py`` (the ``/layers/`` route mounted: layers and occurrence points by URL), with the
  Province toggled and with a new port limit on every rerun (nothing cached can be reused),
  with the process's CPU time per rerun (target of issue 16: script time <= 50 ms).
* ``layer_bytes``: compact JSON bytes of every context layer id and of the occurrence layers
  (bundled, and at N where they are aggregated).

Layers come from the real cache (``python -m mineralmap data``).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks import synthetic  # noqa: E402
from mineralmap import catalog, filters  # noqa: E402
from mineralmap import layers as ml  # noqa: E402

#: Context layers shown by default on the Explore map (mineralmap.ui.maps.DEFAULT_LAYERS).
VISIBLE = ("provinces", "ports", "railways", "border_crossings")
TARGET_BUNDLED_MS = 150.0
TARGET_SCALE_MS = 1000.0
#: Issue 16: server time of one Explore rerun on the bundled data, as served (serve.py).
TARGET_SERVED_MS = 50.0
SPECS = (filters.FilterSpec(provinces=("Balochistan",)), filters.FilterSpec())


def _p50(fn: Callable[[int], Any], repeat: int) -> tuple[float, list[float]]:
    times = []
    for i in range(repeat):
        t0 = time.perf_counter()
        fn(i)
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), times


def _page_work(occ: pd.DataFrame, static: Callable[[], list], i: int,
               parts: dict[str, list[float]] | None = None) -> int:
    """One filter change: filter, occurrence layers, deck JSON. Returns the JSON length.

    With ``parts``, the ms of each step (filter, static, occurrence layers, deck JSON) are
    appended to it.
    """
    t0 = time.perf_counter()
    rows, _ = filters.apply(occ, SPECS[i % 2])
    t1 = time.perf_counter()
    ctx = static()
    t2 = time.perf_counter()
    occ_layers = ml.occurrence_layers(rows)
    t3 = time.perf_counter()
    n = len(ml.make_deck(ctx + occ_layers, basemap="none").to_json())
    t4 = time.perf_counter()
    if parts is not None:
        for k, a, b in (("filter", t0, t1), ("static_layers", t1, t2),
                        ("occurrence_layers", t2, t3), ("deck_to_json", t3, t4)):
            parts.setdefault(k, []).append((b - a) * 1e3)
    return n


def functions(occ: pd.DataFrame, lyrs: dict[str, gpd.GeoDataFrame], repeat: int) -> dict:
    """p50 ms of the page's work with cached vs rebuilt static context layers."""
    # built and serialised once per catalog, as mineralmap.ui.cache caches them in the app
    built = [ml.freeze(lyr) for lyr in ml.context_layers(lyrs, list(VISIBLE))]
    _page_work(occ, lambda: list(built), 0)  # warm-up
    parts: dict[str, list[float]] = {}
    mm, _ = _p50(lambda i: _page_work(occ, lambda: list(built), i, parts), repeat)
    base, _ = _p50(lambda i: _page_work(occ, lambda: ml.context_layers(lyrs, list(VISIBLE)), i),
                   repeat)
    static_json = len(ml.make_deck(list(built), basemap="none").to_json())
    t_static, _ = _p50(lambda i: ml.make_deck(list(built), basemap="none").to_json(), repeat)
    view = ml.occurrence_view(occ)
    return {"rows": len(occ), "repeat": repeat, "mineralmap_ms": round(mm, 1),
            "baseline_ms": round(base, 1), "ratio": round(base / mm, 2),
            "aggregated_unfiltered": view.aggregated,
            "parts_p50_ms": {k: round(statistics.median(v), 1) for k, v in parts.items()},
            "static_layers_json_bytes": static_json,
            "static_layers_to_json_p50_ms": round(t_static, 1)}


def apptest(repeat: int, demo_scale: int = 0, served: bool = False, fresh: bool = False
            ) -> dict:
    """p50 ms of a full AppTest rerun of the Explore page after a Province filter change.

    With ``demo_scale``, the app runs with ``MINERALMAP_DEMO_SCALE=demo_scale`` (its enriched
    extras are cached in the layer cache dir under their own file name) and only the cached
    variant is timed. With ``served``, the pages run as under ``serve.py`` (the ``/layers/``
    route mounted: context layers and occurrence points by URL) and only that is timed; with
    ``fresh`` every rerun sets a new "to a seaport by road" limit instead (no cached filter
    result can be reused).
    """
    import os

    import streamlit.logger
    from streamlit.testing.v1 import AppTest

    from mineralmap.scale import DEMO_SCALE_ENV
    from mineralmap.ui import asgi
    from mineralmap.ui import cache as data

    streamlit.logger.set_log_level("error")  # bare-mode warnings are noise here, not results

    def change(at: AppTest, i: int) -> None:
        if fresh:
            at.number_input(key="flt_max_port_km").set_value(400.0 + 7.0 * i)
        else:
            at.multiselect(key="flt_provinces").set_value((["Balochistan"], [])[i % 2])

    def session(uncached: bool) -> tuple[float, list[float], float]:
        """(p50 AppTest wall ms, all wall ms, p50 script ms as timed by app.py itself)."""
        script_ms: list[float] = []
        original = data.context_layers
        mounted = asgi._MOUNTED["layers"]
        asgi._MOUNTED["layers"] = served
        old_env = os.environ.get(DEMO_SCALE_ENV)
        if demo_scale:
            os.environ[DEMO_SCALE_ENV] = str(demo_scale)
        data._catalog_for.clear()  # the catalog is cached per process: reload with this env
        if uncached:
            data.context_layers = lambda cat, visible: ml.context_layers(  # type: ignore[assignment]
                cat.layers, [n for n in ml.CONTEXT_LAYER_IDS if n in visible])
        try:
            at = AppTest.from_file(str(REPO / "app.py"), default_timeout=300)
            at.switch_page("pages/explore.py")
            at.run()
            if at.exception:
                raise RuntimeError(f"explore page raised: {at.exception[0].value}")
            change(at, -1)
            at.run()  # warm-up
            times = []
            cpu0 = time.process_time()
            for i in range(repeat):
                change(at, i)
                t0 = time.perf_counter()
                at.run()
                times.append((time.perf_counter() - t0) * 1e3)
                script_ms.append(float(at.session_state["_mm_last_run_ms"]))
                if at.exception:
                    raise RuntimeError(f"explore page raised: {at.exception[0].value}")
            cpu_ms.append((time.process_time() - cpu0) * 1e3 / repeat)
            return statistics.median(times), times, statistics.median(script_ms)
        finally:
            asgi._MOUNTED["layers"] = mounted
            data.context_layers = original
            if old_env is None:
                os.environ.pop(DEMO_SCALE_ENV, None)
            else:
                os.environ[DEMO_SCALE_ENV] = old_env
            data._catalog_for.clear()

    cpu_ms: list[float] = []
    mm, mm_times, mm_script = session(uncached=False)
    out: dict[str, Any] = {"repeat": repeat, "demo_scale": demo_scale, "served": served,
                           "fresh_limits": fresh,
                           "mineralmap_ms": round(mm, 1),
                           "mineralmap_all_ms": [round(t) for t in mm_times],
                           "script_ms": round(mm_script, 1),
                           # CPU of this process per rerun (AppTest harness included)
                           "cpu_ms_per_rerun": round(cpu_ms[0], 1),
                           "load_average": os.getloadavg()}
    if not demo_scale and not served:
        base, base_times, base_script = session(uncached=True)
        out.update(baseline_ms=round(base, 1), ratio=round(base / mm, 2),
                   baseline_all_ms=[round(t) for t in base_times],
                   baseline_script_ms=round(base_script, 1),
                   script_ratio=round(base_script / mm_script, 2))
    return out


def layer_bytes(cat: catalog.Catalog, big: pd.DataFrame | None) -> dict:
    """Compact JSON bytes (as sent) of every context layer id and of the occurrence layers."""
    out: dict[str, dict[str, int]] = {}
    for name in ml.CONTEXT_LAYER_IDS:
        lyrs = ml.context_layers(cat.layers, [name])
        out[name] = {"features": len(cat.layers.get(name, [])),
                     "bytes": sum(ml.payload_bytes(lyr) for lyr in lyrs)}
    for label, occ in (("bundled", cat.occurrences), ("bundled + synthetic", big)):
        if occ is None:
            continue
        for lyr in ml.occurrence_layers(occ):
            out[f"{lyr.id} ({label}, {len(occ):,} rows)"] = {
                "features": len(lyr.data), "bytes": ml.payload_bytes(lyr)}
    return out


def run(quick: bool) -> dict:
    """Run every measurement; returns the numbers (ms, bytes) and whether targets are met."""
    cat = catalog.load_catalog()
    lacking = [n for n in synthetic.CORE if n in cat.missing]
    if lacking:
        raise SystemExit(f"layer cache lacks {', '.join(lacking)}: run `python -m mineralmap data`")
    n = 10_000 if quick else 100_000
    rep = 15 if quick else 30
    res: dict[str, Any] = {"visible_context_layers": list(VISIBLE), "n_scale": n}
    res["bundled"] = functions(cat.occurrences, dict(cat.layers), rep)
    syn = synthetic.enriched(n)
    big = gpd.GeoDataFrame(pd.concat([cat.occurrences, syn], ignore_index=True),
                           geometry="geometry", crs=cat.occurrences.crs)
    res["scale"] = functions(big, dict(cat.layers), 10 if quick else 15)
    res["apptest"] = apptest(10 if quick else 20)
    # as under serve.py (what `make run` serves): layers and occurrence points by URL
    res["apptest_served"] = apptest(10 if quick else 20, served=True)
    res["apptest_served_fresh"] = apptest(10 if quick else 20, served=True, fresh=True)
    res["apptest_scale"] = apptest(10, demo_scale=n)
    res["layer_bytes"] = layer_bytes(cat, big)
    res["targets"] = {
        "functions_bundled_p50<=150ms": res["bundled"]["mineralmap_ms"] <= TARGET_BUNDLED_MS,
        "apptest_bundled_p50<=150ms": res["apptest"]["mineralmap_ms"] <= TARGET_BUNDLED_MS,
        "served_script_bundled_p50<=50ms": max(res["apptest_served"]["script_ms"],
                                               res["apptest_served_fresh"]["script_ms"])
        <= TARGET_SERVED_MS,
        f"functions_{n}_p50<=1000ms": res["scale"]["mineralmap_ms"] <= TARGET_SCALE_MS,
        f"apptest_{n}_p50<=1000ms": res["apptest_scale"]["mineralmap_ms"] <= TARGET_SCALE_MS,
    }
    return res


def _print(res: dict) -> None:
    print(f"rerun after one filter change (p50 ms; baseline rebuilds the static context layers "
          f"{', '.join(res['visible_context_layers'])} every rerun)")
    print(f"{'measurement':<44}{'rows':>9}{'mineralmap':>12}{'baseline':>10}{'ratio':>8}")
    for label, key in (("page functions, bundled", "bundled"),
                       (f"page functions, bundled + {res['n_scale']:,} synthetic", "scale")):
        r = res[key]
        print(f"{label:<44}{r['rows']:>9,}{r['mineralmap_ms']:>12.1f}{r['baseline_ms']:>10.1f}"
              f"{r['ratio']:>7.2f}x")
        print("    p50 parts (ms): " + ", ".join(f"{k} {v:.1f}" for k, v in
                                                r["parts_p50_ms"].items())
              + f"; static context layers alone: {r['static_layers_json_bytes']:,} JSON bytes, "
              f"to_json {r['static_layers_to_json_p50_ms']:.1f} ms")
    a = res["apptest"]
    print(f"{'AppTest rerun of pages/explore.py, bundled':<44}{'':>9}{a['mineralmap_ms']:>12.1f}"
          f"{a['baseline_ms']:>10.1f}{a['ratio']:>7.2f}x")
    for key, label in (("apptest_served", "served (serve.py), Province toggled"),
                       ("apptest_served_fresh", "served, a new port limit each rerun")):
        a = res.get(key)
        if a:
            print(f"  {label:<42}script p50 {a['script_ms']:.1f} ms, AppTest wall p50 "
                  f"{a['mineralmap_ms']:.1f} ms, CPU/rerun {a['cpu_ms_per_rerun']:.1f} ms")
    a = res["apptest_scale"]
    label = f"AppTest rerun, + {a['demo_scale']:,} synthetic"
    print(f"{label:<44}{'':>9}{a['mineralmap_ms']:>12.1f}")
    print()
    print("JSON bytes per layer (compact, as sent to the browser)")
    for name, b in res["layer_bytes"].items():
        print(f"  {name:<44}{b['features']:>9,} features {b['bytes']:>12,} bytes")
    for k, ok in res["targets"].items():
        print(f"target {k}: {'met' if ok else 'NOT met'}")


def main(argv: list[str] | None = None) -> int:
    """CLI entry: run and print (``--json`` also prints the raw result)."""
    return synthetic.cli(run, _print, argv, description=__doc__.split("\n")[0],
                         quick_help="N = 10k, fewer repeats")


if __name__ == "__main__":
    raise SystemExit(main())
