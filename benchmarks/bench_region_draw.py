"""Cost of the "draw a box" map on the Region & export page (issue 14, item 8), against the page
without it, measured in the same run.

Usage::

    .venv/bin/python benchmarks/bench_region_draw.py [--repeat 5] [--no-browser]

The drawing map is an inline ``st.components.v2`` component (:mod:`mineralmap.ui.boxdraw`: HTML,
CSS and JavaScript in the module, no build step, no package, no CDN) showing the SVG of
:mod:`mineralmap.drawmap`. Printed, on the real cache:

1. **build** (server, once per catalog, cached by the catalog key): the SVG built from the
   province and district layers and the occurrences, wall and CPU ms;
2. **bytes**: the component's element (its serialised protobuf: JavaScript + CSS + HTML + the
   data with the SVG; and that deflated, as the compressed websocket carries it), against the
   page's websocket bytes measured in Chromium on the first load and on a rerun that changes the
   box (baseline: the page without the component = that total minus the component's elements),
   and the bytes of a rerun that leaves the map unchanged (Streamlit sends an unchanged element
   of 10 KB or more as a reference to the browser's message cache; the box the map shows
   travels in a separate tiny element, so a new box does not re-send the map);
3. **server time per run**: AppTest runs of the page, time inside ``boxdraw.box_drawer`` against
   the whole run (baseline: the run without that time);
4. **browser**: time from navigation until the map is drawable (the component's script has
   run: ``.mm-draw[data-ready]``) against the time until the page's "Selected" count shows
   (baseline, same load), and from the mouse release of a drag until the page shows the box's
   sentence.

Shared 2-core machine: times are noisy (the load average is printed); bytes are exact.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench_wire import start_server  # noqa: E402

from mineralmap import drawmap  # noqa: E402
from mineralmap.catalog import load_catalog  # noqa: E402
from mineralmap.config import get_settings  # noqa: E402
from mineralmap.ui import boxdraw  # noqa: E402

COMPONENT = "mineralmap_boxdraw"
TIMEOUT_MS = 300_000


def _deflated(data: bytes) -> int:
    """Bytes after raw deflate (what permessage-deflate sends, without its per-message reuse of
    earlier messages' window)."""
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return len(c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH))


def _timed(fn, repeat: int) -> tuple[float, float]:
    """Median wall and CPU (user+sys of this process) ms of ``fn``."""
    wall, cpu = [], []
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        wall.append((time.perf_counter() - t0) * 1e3)
        cpu.append((time.process_time() - c0) * 1e3)
    return statistics.median(wall), statistics.median(cpu)


def build_cost(repeat: int) -> dict:
    cat = load_catalog(get_settings().cache_dir)
    wall, cpu = _timed(lambda: drawmap.map_payload(cat.layers, cat.occurrences), repeat)
    payload = drawmap.map_payload(cat.layers, cat.occurrences)
    data = json.dumps(payload).encode()
    static = (boxdraw._HTML + boxdraw._CSS + boxdraw._JS).encode()
    return {"build_ms": wall, "build_cpu_ms": cpu, "svg_bytes": len(payload["svg"].encode()),
            "data_bytes": len(data), "static_bytes": len(static),
            "deflated_bytes": _deflated(static + data)}


def server_cost(repeat: int) -> dict:
    """AppTest runs of the Region page: time inside the component's wrapper vs the whole run."""
    from streamlit.testing.v1 import AppTest

    inside: list[float] = []
    orig = boxdraw.box_drawer

    def timed(*a, **kw):  # benchmark instrument around the real function
        t0 = time.perf_counter()
        try:
            return orig(*a, **kw)
        finally:
            inside.append((time.perf_counter() - t0) * 1e3)

    boxdraw.box_drawer = timed
    try:
        at = AppTest.from_file(str(REPO / "app.py"), default_timeout=600)
        at.switch_page("pages/region_export.py")
        runs = []
        for _ in range(repeat + 1):  # the first run builds the caches (reported apart)
            t0 = time.perf_counter()
            at.run()
            runs.append((time.perf_counter() - t0) * 1e3)
            assert not at.exception, [e.value for e in at.exception]
        by_name = {e.proto.component_name: e.proto.ByteSize() for e in at.get("bidi_component")}
        proto_bytes, box_bytes = by_name[COMPONENT], by_name[COMPONENT + "_box"]
    finally:
        boxdraw.box_drawer = orig
    return {"first_run_ms": runs[0], "first_inside_ms": inside[0],
            "run_ms": statistics.median(runs[1:]), "inside_ms": statistics.median(inside[1:]),
            "proto_bytes": proto_bytes, "box_bytes": box_bytes}


# ------------------------------------------------------------------------------ browser


def _start() -> tuple[subprocess.Popen, str]:
    """``serve.py`` on the real cache (:func:`bench_wire.start_server`)."""
    log = Path(tempfile.mkdtemp(prefix="bench_region_draw_")) / "streamlit.log"
    return start_server(REPO, "serve.py", get_settings().cache_dir, log)


_AT = """(sel) => { const e = document.querySelector(sel); return e ? performance.now() : false }"""
_DRAWABLE = """() => { for (const h of document.querySelectorAll(
  '[data-testid^="stBidiComponent"]')) { const r = (h.shadowRoot || h).querySelector(
  '.mm-draw[data-ready]'); if (r) return performance.now(); } return false }"""
_NEW_BOX = """() => [...document.querySelectorAll('h4')].some(h => /region: box /.test(h.innerText)
  && !h.innerText.endsWith('box 66,28 to 70,32'))"""
_SELECTED = """() => [...document.querySelectorAll('[data-testid="stMetric"]')].some(
  e => e.innerText.includes('Selected')) ? performance.now() : false"""


def browser_cost(loads: int) -> dict:
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import _ARM_JS, _IDLE_JS, _RERUN_DONE_JS, CHROMIUM, LAUNCH_ARGS

    proc, url = _start()
    out: dict = {"drawable_ms": [], "selected_ms": [], "load_ws_bytes": [], "rerun_ws_bytes": [],
                 "rerun_same_ws_bytes": [], "apply_ms": []}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                        args=LAUNCH_ARGS)
            for i in range(loads):
                ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
                page = ctx.new_page()
                got = {"ws": 0}
                page.on("websocket", lambda ws, got=got: ws.on(
                    "framereceived", lambda b, got=got: got.__setitem__("ws", got["ws"] + len(b))))
                page.goto(f"{url}/region_export")
                out["drawable_ms"].append(page.wait_for_function(
                    _DRAWABLE, timeout=TIMEOUT_MS, polling=10).json_value())
                out["selected_ms"].append(page.wait_for_function(
                    _SELECTED, timeout=TIMEOUT_MS, polling=10).json_value())
                page.wait_for_function(_IDLE_JS, timeout=TIMEOUT_MS)
                out["load_ws_bytes"].append(got["ws"])
                # a rerun that leaves the component alone (a radius typed while the radius mode
                # is off): Streamlit sends an unchanged element of >= 10 KB as a reference
                page.get_by_role("tab", name="Radius").click()
                radius = page.get_by_label("Radius (km, geodesic)", exact=True)
                radius.fill(str(300 + i))
                page.evaluate(_ARM_JS)
                w0 = got["ws"]
                radius.press("Enter")
                page.wait_for_function(_RERUN_DONE_JS, timeout=TIMEOUT_MS)
                out["rerun_same_ws_bytes"].append(got["ws"] - w0)
                # a rerun that changes the box shown (box mode on): the element is sent again
                page.get_by_role("tab", name="Bounding box").click()
                page.evaluate(_ARM_JS)
                w0 = got["ws"]
                page.get_by_text("Use a bounding box").click()
                page.get_by_text("region: box 66,28 to 70,32").first.wait_for(timeout=TIMEOUT_MS)
                page.wait_for_function(_IDLE_JS, timeout=TIMEOUT_MS)
                out["rerun_ws_bytes"].append(got["ws"] - w0)
                # drag a box; time from the release until the sentence shows it
                svg = page.locator(".mm-svg svg")
                svg.scroll_into_view_if_needed()
                bb = svg.bounding_box()
                x0, y0 = bb["x"] + bb["width"] * (0.3 + 0.02 * i), bb["y"] + bb["height"] * 0.4
                x1, y1 = bb["x"] + bb["width"] * 0.6, bb["y"] + bb["height"] * 0.7
                page.mouse.move(x0, y0)
                page.mouse.down()
                page.mouse.move(x1, y1, steps=8)
                t0 = time.perf_counter()
                page.mouse.up()
                page.wait_for_function(_NEW_BOX, timeout=TIMEOUT_MS, polling=10)
                out["apply_ms"].append((time.perf_counter() - t0) * 1e3)
                ctx.close()
            browser.close()
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=15)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--loads", type=int, default=3, help="browser page loads")
    ap.add_argument("--no-browser", action="store_true")
    args = ap.parse_args(argv)
    print(f"load average at start: {os.getloadavg()[0]:.2f} (2 shared cores)")
    cpu0 = os.times()

    b = build_cost(3)
    print(f"build (once per catalog): {b['build_ms']:.0f} ms wall, {b['build_cpu_ms']:.0f} ms "
          f"CPU; SVG {b['svg_bytes'] / 1e3:.1f} KB (bound {drawmap.MAX_SVG_BYTES / 1e3:.0f} KB)")
    s = server_cost(args.repeat)
    print(f"map element: {s['proto_bytes'] / 1e3:.1f} KB serialised (JS+CSS+HTML "
          f"{b['static_bytes'] / 1e3:.1f} KB, data {b['data_bytes'] / 1e3:.1f} KB), "
          f"~{b['deflated_bytes'] / 1e3:.1f} KB deflated; sent when the page is opened (then "
          f"as a reference); box element: {s['box_bytes']} B, sent on every run")
    base_ms = s["run_ms"] - s["inside_ms"]
    print(f"server per run (AppTest, median of {args.repeat}): page {s['run_ms']:.0f} ms, of which "
          f"the component {s['inside_ms']:.1f} ms -> x{s['run_ms'] / base_ms:.3f} the page "
          f"without it ({base_ms:.0f} ms); first run {s['first_run_ms']:.0f} ms, component "
          f"{s['first_inside_ms']:.0f} ms (builds the SVG)")
    if not args.no_browser:
        r = browser_cost(args.loads)
        med = {k: statistics.median(v) for k, v in r.items()}
        rerun = med["rerun_ws_bytes"]
        print(f"browser, median of {args.loads} loads (websocket payload bytes, uncompressed):")
        load = med["load_ws_bytes"]
        print(f"  first load {load / 1e3:,.1f} KB, of which the component "
              f"{s['proto_bytes'] / 1e3:.1f} KB -> x{load / (load - s['proto_bytes']):.2f} the "
              "page without it")
        print(f"  a rerun that leaves the box alone: {med['rerun_same_ws_bytes'] / 1e3:,.1f} KB "
              "(the unchanged component goes as a reference to the browser's message cache)")
        print(f"  a rerun that changes the box: {rerun / 1e3:,.1f} KB, of which the box element "
              f"{s['box_bytes']} B -> x{rerun / (rerun - s['box_bytes']):.3f} the page without "
              f"it (the map element alone would add {s['proto_bytes'] / 1e3:.1f} KB)")
        print(f"  drawable after {med['drawable_ms']:,.0f} ms; the page's count after "
              f"{med['selected_ms']:,.0f} ms (baseline) -> x"
              f"{med['drawable_ms'] / med['selected_ms']:.2f}")
        print(f"  drag released -> box sentence shown: {med['apply_ms']:,.0f} ms "
              f"(runs: {', '.join(f'{v:,.0f}' for v in r['apply_ms'])})")
    cpu1 = os.times()
    print(f"this process: {cpu1.user - cpu0.user + cpu1.system - cpu0.system:.1f} s CPU; "
          f"load average at end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
