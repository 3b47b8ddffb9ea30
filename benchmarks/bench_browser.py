"""Time to map visible, bytes per interaction and server memory per session, in headless Chromium
(issue 16), each beside baselines started in the same run.

Usage::

    .venv/bin/python benchmarks/bench_browser.py [--repeats 3] [--sessions 1 5 10] [--no-100k]
                                                 [--out benchmarks/browser_latest.json]

Three servers, one after the other, in headless Chromium with software WebGL (the flags of
``tests/e2e/conftest.py``), each on its own copy of the real cache:

* **bare**: a Streamlit page with nothing but a one-point pydeck map (the floor of any
  Streamlit + pydeck app on this machine);
* **usual**: the same data written the usual way: the catalog loaded once
  (``st.cache_resource``), then on every rerun the GeoDataFrames become pydeck layers
  (occurrences with all their columns, provinces and railways as GeoJSON), with the same
  "to a seaport by road" filter box as the Explore page;
* **mineralmap**: ``streamlit run serve.py`` (what ``make run`` starts), the Explore page with
  its default layers and no basemap.

Per server, ``--repeats`` cold visits (a new browser context each: empty HTTP cache) give the
**time to map visible**: from navigation until the script is idle, the map's canvas exists,
every ``/layers/`` file has arrived and two more frames were painted. For mineralmap it also
records the bytes of each interaction (websocket frames received; HTTP bytes of layer files):
first load, a filter change, a page switch (Explore → Region & export → Explore) and a revisit
(new tab, same browser cache).

**Memory per session**: the server's resident memory (with its children) when idle, and after
1, 5 and 10 sessions have each opened the Explore page (all kept open), at the bundled size and
at 100k points (``MINERALMAP_DEMO_SCALE=100000``; the synthetic points' enrichment is built once
first and not counted). Figures are printed with ratios and written to ``--out``; the
``browser`` key of ``benchmarks/latest.json`` gets a summary. Times on a shared 2-core machine
are noisy: read the load averages printed with them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_wire import Meter, _load, _settle, snapshot_tree, start_server, stop  # noqa: E402
from load_test import _rss_mb  # noqa: E402

from tests.e2e.conftest import _ARM_JS, _RERUN_DONE_JS, CHROMIUM, LAUNCH_ARGS  # noqa: E402

TIMEOUT_S = 240
VIEWPORT = {"width": 1400, "height": 1000}

BARE_APP = '''
import pydeck as pdk
import streamlit as st

st.title("One point")
st.pydeck_chart(pdk.Deck(
    layers=[pdk.Layer("ScatterplotLayer", id="one", data=[{"lon": 69.3, "lat": 30.4}],
                      get_position=["lon", "lat"], get_radius=20000,
                      get_fill_color=[200, 30, 0])],
    initial_view_state=pdk.ViewState(latitude=30.4, longitude=69.3, zoom=4.6),
    map_style=None), height=560)
'''

USUAL_APP = '''
import pydeck as pdk
import streamlit as st

from mineralmap.catalog import load_catalog


@st.cache_resource
def catalog():
    return load_catalog()


cat = catalog()
st.title("Critical minerals (usual way)")
limit = st.sidebar.number_input("to a seaport by road", min_value=0.0, step=50.0, value=None)
occ = cat.occurrences[cat.occurrences["lon"].notna()]
if limit is not None:
    occ = occ[occ["haul_road_km"] <= limit]
layers = [
    pdk.Layer("GeoJsonLayer", id="provinces", data=cat.layers["provinces"].__geo_interface__,
              stroked=True, filled=False, get_line_color=[90, 90, 90], line_width_min_pixels=1),
    pdk.Layer("GeoJsonLayer", id="railways", data=cat.layers["railways"].__geo_interface__,
              get_line_color=[120, 60, 20], line_width_min_pixels=1, pickable=True),
    pdk.Layer("ScatterplotLayer", id="occ", data=occ.drop(columns="geometry"),
              get_position=["lon", "lat"], get_radius=6000, radius_min_pixels=4,
              get_fill_color=[200, 30, 0], pickable=True),
]
st.pydeck_chart(pdk.Deck(layers=layers, map_style=None, tooltip={"text": "{name}"},
                         initial_view_state=pdk.ViewState(latitude=30.0, longitude=69.5,
                                                          zoom=4.6)), height=560)
st.dataframe(occ.drop(columns="geometry"))
'''


def _load_avg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def visit(page, meter: Meter, url: str) -> dict[str, Any]:
    """Open ``url``; wait for the map drawn; bytes and seconds since navigation
    (:func:`bench_wire._load`)."""
    return _load(page, meter, url)


def time_to_map(browser, url: str, repeats: int) -> list[float]:
    """Seconds to map visible for ``repeats`` cold visits (new context = empty HTTP cache)."""
    out = []
    for _ in range(repeats):
        ctx = browser.new_context(viewport=VIEWPORT)
        page = ctx.new_page()
        out.append(visit(page, Meter(page), url)["seconds"])
        ctx.close()
    return out


def _switch(page, meter: Meter, link: str, path: str) -> dict[str, Any]:
    """Bytes and seconds of a click on the navigation ``link`` until its page's map is drawn."""
    m0 = meter.mark()
    page.get_by_role("link", name=link).first.click()
    page.wait_for_url(f"**/{path}**", timeout=TIMEOUT_S * 1000)
    page.wait_for_selector("[data-testid='stDeckGlJsonChart'] canvas", timeout=TIMEOUT_S * 1000)
    _settle(page, meter)
    return meter.since(m0)


def interactions(browser, url: str) -> dict[str, Any]:
    """Bytes and seconds of mineralmap's first load, filter change, page switch and revisit."""
    ctx = browser.new_context(viewport=VIEWPORT)
    page = ctx.new_page()
    meter = Meter(page)
    res: dict[str, Any] = {"first_load": visit(page, meter, f"{url}/explore?basemap=none")}
    box = page.get_by_label("to a seaport by road")
    box.fill("900")
    page.evaluate(_ARM_JS)
    m0 = meter.mark()
    box.press("Enter")
    page.wait_for_function(_RERUN_DONE_JS, timeout=TIMEOUT_S * 1000)
    _settle(page, meter)
    res["filter_change"] = meter.since(m0)
    # there: the Region page's own layers (e.g. districts) are fetched the first time; back:
    # Explore's layers come from the browser cache (0 HTTP bytes)
    res["page_switch_to_region"] = _switch(page, meter, "Region & export", "region_export")
    res["page_switch_back_to_explore"] = _switch(page, meter, "Explore map", "explore")
    page2 = ctx.new_page()
    res["revisit"] = visit(page2, Meter(page2), f"{url}/explore?basemap=none")
    res["console_errors"] = meter.errors[:10]
    ctx.close()
    return res


def rss_mb(pid: int) -> float:
    """Resident memory (MB) of ``pid`` and its direct children (:func:`load_test._rss_mb`)."""
    return round(_rss_mb(pid), 1)


def memory_per_session(browser, proc: subprocess.Popen, url: str,
                       sessions: list[int]) -> dict[str, float]:
    """Server RSS idle and after each count of open Explore sessions."""
    out = {"idle": rss_mb(proc.pid)}
    contexts = []
    for target in sessions:
        while len(contexts) < target:
            ctx = browser.new_context(viewport=VIEWPORT)
            page = ctx.new_page()
            visit(page, Meter(page), f"{url}/explore?basemap=none")
            contexts.append(ctx)
        out[f"after_{target}"] = rss_mb(proc.pid)
    for ctx in contexts:
        ctx.close()
    return out


def _server(tree: Path, script: str, cache_src: Path, work: Path, name: str,
            env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    cache = work / f"cache_{name}"
    if not cache.exists():
        shutil.copytree(cache_src, cache, ignore=shutil.ignore_patterns("occurrences_extra_*"))
    old = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    try:
        return start_server(tree, script, cache, work / f"{name}.log")
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _prepare_100k(tree: Path, cache: Path) -> float:
    """Build the enrichment of the synthetic points once (not counted in the memory figures)."""
    t0 = time.perf_counter()
    env = dict(os.environ, MINERALMAP_CACHE=str(cache), MINERALMAP_GEODATA=str(tree / "geodata"),
               MINERALMAP_OFFLINE="1", MINERALMAP_DEMO_SCALE="100000", PYTHONPATH=str(tree))
    subprocess.run([sys.executable, "-c", "from mineralmap.catalog import load_catalog; "
                    "print(len(load_catalog().occurrences))"], cwd=tree, env=env, check=True)
    return round(time.perf_counter() - t0, 1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--sessions", type=int, nargs="+", default=[1, 5, 10])
    ap.add_argument("--no-100k", action="store_true", help="skip the memory figures at 100k")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "browser_latest.json")
    ap.add_argument("--no-write", action="store_true", help="print only; leave the JSON files")
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    cache_src = REPO / "geodata" / "cache"
    if not (cache_src / "manifest.json").exists():
        print("No data cache: run `python -m mineralmap data` first.", file=sys.stderr)
        return 1
    res: dict[str, Any] = {"date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                           "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"],
                                                    cwd=REPO, capture_output=True,
                                                    text=True).stdout.strip(),
                           "load_average_before": _load_avg(), "repeats": args.repeats}
    with tempfile.TemporaryDirectory(prefix="mm_browser_") as tmp:
        work = Path(tmp)
        tree = snapshot_tree(work / "tree")
        (tree / "bench_bare.py").write_text(BARE_APP)
        (tree / "bench_usual.py").write_text(USUAL_APP)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            servers = {"bare": ("bench_bare.py", ""), "usual": ("bench_usual.py", ""),
                       "mineralmap": ("serve.py", "/explore?basemap=none")}
            started = {name: _server(tree, script, cache_src, work, name)
                       for name, (script, _) in servers.items()}
            try:
                for name, (_, path) in servers.items():  # warm-up: first run of each script
                    time_to_map(browser, started[name][1] + path, 1)
                ttm: dict[str, list[float]] = {name: [] for name in servers}
                for _ in range(args.repeats):  # alternate servers so load drifts hit all alike
                    for name, (_, path) in servers.items():
                        ttm[name] += time_to_map(browser, started[name][1] + path, 1)
                res["time_to_map_s"] = {k: v for k, v in ttm.items()}
                res["time_to_map_median_s"] = {k: round(statistics.median(v), 3)
                                               for k, v in ttm.items()}
                res["interactions"] = interactions(browser, started["mineralmap"][1])
                ctx = browser.new_context(viewport=VIEWPORT)
                page = ctx.new_page()
                res["interactions_usual"] = {"first_load": visit(page, Meter(page),
                                                                 started["usual"][1])}
                ctx.close()
            finally:
                for proc, _ in started.values():
                    stop(proc)
            mem: dict[str, Any] = {}
            proc, url = _server(tree, "serve.py", cache_src, work, "mem_bundled")
            try:
                mem["bundled"] = memory_per_session(browser, proc, url, args.sessions)
            finally:
                stop(proc)
            if not args.no_100k:
                cache_100k = work / "cache_mem_100k"
                shutil.copytree(cache_src, cache_100k)
                res["enrich_100k_s"] = _prepare_100k(tree, cache_100k)
                proc, url = _server(tree, "serve.py", cache_src, work, "mem_100k",
                                    env={"MINERALMAP_DEMO_SCALE": "100000"})
                try:
                    mem["100k"] = memory_per_session(browser, proc, url, args.sessions)
                finally:
                    stop(proc)
            res["server_rss_mb"] = mem
            browser.close()
    res["load_average_after"] = _load_avg()
    report(res)
    if not args.no_write:
        args.out.write_text(json.dumps(res, indent=2) + "\n")
        latest = REPO / "benchmarks" / "latest.json"
        doc = json.loads(latest.read_text()) if latest.exists() else {}
        doc["browser"] = {k: res[k] for k in ("date", "commit", "time_to_map_median_s",
                                              "server_rss_mb", "load_average_before",
                                              "load_average_after")}
        doc["browser"]["interaction_bytes"] = {
            k: v["ws_bytes"] + _http(v) for k, v in res["interactions"].items()
            if isinstance(v, dict)}
        latest.write_text(json.dumps(doc, indent=2) + "\n")
        print(f"wrote {args.out} and the 'browser' key of {latest}")
    return 0


def _http(v: dict[str, Any]) -> int:
    """HTTP bytes of an interaction: layer files, occurrence points files and tiles."""
    return v["layer_http_bytes"] + v.get("occ_http_bytes", 0) + v.get("tile_http_bytes", 0)


def report(res: dict[str, Any]) -> None:
    """Print the figures with their ratios."""
    t = res["time_to_map_median_s"]
    print(f"\nload average before {res['load_average_before']}, "
          f"after {res['load_average_after']}")
    print("\ntime to map visible, median of cold visits (s)")
    for name in ("bare", "usual", "mineralmap"):
        print(f"  {name:11s} {t[name]:7.2f}   {res['time_to_map_s'][name]}")
    print(f"  mineralmap / bare  = {t['mineralmap'] / t['bare']:.2f}x (target <= 1.5x)")
    print(f"  mineralmap / usual = {t['mineralmap'] / t['usual']:.2f}x")
    print("\nmineralmap interactions: websocket bytes, HTTP bytes (layer, points, tile files), "
          "seconds")
    for name, v in res["interactions"].items():
        if isinstance(v, dict):
            print(f"  {name:28s} {v['ws_bytes']:>10,} {_http(v):>10,} {v['seconds']:7.2f}")
    u = res["interactions_usual"]["first_load"]
    m = res["interactions"]["first_load"]
    print(f"  usual-way first load         {u['ws_bytes']:>10,} {u['layer_http_bytes']:>10,} "
          f"{u['seconds']:7.2f}   (mineralmap bytes / usual = "
          f"{(m['ws_bytes'] + _http(m)) / max(u['ws_bytes'], 1):.2f}x)")
    print("\nserver RSS (MB), sessions kept open on Explore")
    for size, figures in res["server_rss_mb"].items():
        print(f"  {size:8s} " + "  ".join(f"{k} {v:,.0f}" for k, v in figures.items()))


if __name__ == "__main__":
    raise SystemExit(main())
