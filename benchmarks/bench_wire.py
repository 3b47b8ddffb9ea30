"""Bytes on the wire and time to map updated on Explore: inline static layers vs layer files.

Usage::

    .venv/bin/python benchmarks/bench_wire.py [--changes 5] [--out benchmarks/wire_latest.json]

One copy of the working tree is served twice, one server after the other in the same run, in
headless Chromium with software WebGL (the flags of ``tests/e2e/conftest.py``), each on its
own copy of the real cache:

* **baseline** (``streamlit run app.py``, no ``/layers/`` route): every static context layer is
  inside the deck JSON sent over the websocket on every rerun, as before issue 16;
* **prototype** (``streamlit run serve.py``, what ``make run`` starts: ``st.App`` + the
  ``/layers/`` route of ``mineralmap/ui/asgi.py``): the deck references the layers by URL,
  deck.gl fetches them once over HTTP (cached, immutable).

Scenarios (``--scenarios``): ``all`` (every layer on), ``default`` (the default layers) and
``scale`` (default layers, the server started with ``MINERALMAP_DEMO_SCALE=10000``: bundled +
10,000 synthetic points) and ``scale100k`` (default layers, +100,000 synthetic points: above
:data:`mineralmap.layers.AGGREGATE_THRESHOLD`, where ``serve.py`` draws the occurrences as tiles
from ``/tiles/occ/…`` and ``app.py`` sends an aggregated grid inline; the enrichment of the
synthetic points must be in the cache, ``bench_browser.py`` builds it). For each it records: first load (websocket bytes, HTTP
bytes of layer files, time until the map is drawn), then ``--changes`` filter changes (the
"to a seaport by road" limit, typed + Enter): websocket bytes per change, layer-file requests
per change and time from the key press until the rerun has finished and the browser has
painted two more frames; then a revisit (new tab, same browser cache). It also checks that
the prototype's map looks like the baseline's (pixel difference of the map canvas) and that no
layer file failed to load. The occurrence points (``/layers/occurrences.<hash>.json`` under
``serve.py``) are counted apart: their HTTP bytes per point at first load, requests per filter
change, and per filter change every byte received (websocket + points files) over the points
drawn, an upper bound of what the occurrence layers cost (the baseline sends them inline, twice).
Prints figures and ratios; writes ``benchmarks/wire_latest.json`` and a summary under the
``wire`` key of ``benchmarks/latest.json`` (its other keys are kept).

The pixel difference is not zero with every layer on: the app's ``mineralmap.ui.cache.
context_layers`` stacks the layers in menu order (:data:`mineralmap.layers.CONTEXT_LAYER_IDS`,
ports at the bottom, districts on top), the URL layers in the drawing order of
:func:`mineralmap.layers.context_layers` (boundaries at the bottom, ports on top); with three
point layers the two maps differ only where markers overlap.
The machine's load (shared cores) makes the times noisy; the bytes are exact.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mineralmap.layerfiles import OCCURRENCE_FILE  # noqa: E402
from mineralmap.layers import CONTEXT_LAYER_IDS  # noqa: E402
from mineralmap.tiles import URL_PREFIX as TILE_PREFIX  # noqa: E402
from tests.e2e.conftest import (  # noqa: E402
    _ARM_JS,
    _IDLE_JS,
    _RERUN_DONE_JS,
    CHROMIUM,
    LAUNCH_ARGS,
)

#: Longest wait for one step (s): with software WebGL on a loaded 2-core machine the baseline's
#: first draw of every layer took ~100 s in one run.
TIMEOUT_S = 900

#: URL part of the shared occurrence-point files (mineralmap.layerfiles.OCCURRENCE_FILE).
_OCC_FILE = f"/layers/{OCCURRENCE_FILE}."
#: URL part of the occurrence tiles (mineralmap.tiles.URL_PREFIX).
_TILES = TILE_PREFIX
#: Synthetic points added (MINERALMAP_DEMO_SCALE) for the bytes-per-point run.
SCALE_N = 10_000

#: Values typed into the "to a seaport by road" limit, one per filter change (cycled).
LIMITS_KM = (1500, 1100, 900, 1300, 1000, 1200, 800)


# ------------------------------------------------------------------------------ trees, servers


def snapshot_tree(dest: Path) -> Path:
    """Copy the working tree's tracked and untracked (not ignored) files to ``dest``."""
    names = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO,
                           check=True, capture_output=True).stdout.decode().split("\0")
    for name in filter(None, names):
        src = REPO / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(tree: Path, script: str, cache: Path, log: Path,
                 extra_env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = os.environ.copy()
    env.pop("MINERALMAP_DEMO_SCALE", None)
    env.update({"MINERALMAP_CACHE": str(cache), "MINERALMAP_GEODATA": str(tree / "geodata"),
                "MINERALMAP_OFFLINE": "1", "PYTHONPATH": str(tree), **(extra_env or {})})
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port),
         "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=tree, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited early, see {log}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.read().strip() == b"ok":
                    return proc, url
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=0.3)
    proc.terminate()
    raise RuntimeError(f"streamlit did not become healthy, see {log}")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


# ------------------------------------------------------------------------------ browser meter


class Meter:
    """Websocket bytes received, and HTTP requests / bytes of the layer files (Chrome DevTools
    protocol: bytes as received from the network, after content encoding; 0 from the cache)."""

    def __init__(self, page) -> None:
        self.ws_bytes = 0
        self.layer_requests: dict[str, dict[str, Any]] = {}
        self.errors: list[str] = []
        page.on("websocket", lambda ws: ws.on("framereceived", self._frame))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.responseReceived", self._response)
        cdp.on("Network.requestServedFromCache", self._from_cache)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.loadingFailed", self._failed)

    def _frame(self, payload) -> None:
        self.ws_bytes += len(payload)

    def _sent(self, ev: dict) -> None:
        url = ev["request"]["url"]
        if "/layers/" in url or _TILES in url:  # context layers, occurrence points and tiles
            self.layer_requests[ev["requestId"]] = {"url": ev["request"]["url"], "bytes": 0,
                                                    "done": False, "cache": False, "status": None}

    def _response(self, ev: dict) -> None:
        r = self.layer_requests.get(ev["requestId"])
        if r is not None:
            r["status"] = ev["response"]["status"]
            r["cache"] = r["cache"] or bool(ev["response"].get("fromDiskCache"))

    def _from_cache(self, ev: dict) -> None:
        r = self.layer_requests.get(ev["requestId"])
        if r is not None:
            r["cache"] = True

    def _finished(self, ev: dict) -> None:
        r = self.layer_requests.get(ev["requestId"])
        if r is not None:
            r["done"] = True
            r["bytes"] = 0 if r["cache"] else int(ev.get("encodedDataLength", 0))

    def _failed(self, ev: dict) -> None:
        r = self.layer_requests.get(ev["requestId"])
        if r is not None:
            r["done"], r["status"] = True, "failed"

    def mark(self) -> tuple[int, int, float]:
        return self.ws_bytes, len(self.layer_requests), time.perf_counter()

    def since(self, m0: tuple[int, int, float]) -> dict[str, Any]:
        reqs = list(self.layer_requests.values())[m0[1]:]
        occ = [r for r in reqs if _OCC_FILE in r["url"]]
        tiles = [r for r in reqs if _TILES in r["url"]]
        ctx = [r for r in reqs if _OCC_FILE not in r["url"] and _TILES not in r["url"]]
        return {"ws_bytes": self.ws_bytes - m0[0], "layer_requests": len(ctx),
                "layer_http_bytes": sum(r["bytes"] for r in ctx),
                "layer_from_cache": sum(bool(r["cache"]) for r in ctx),
                "occ_requests": len(occ), "occ_http_bytes": sum(r["bytes"] for r in occ),
                "occ_from_cache": sum(bool(r["cache"]) for r in occ),
                "tile_requests": len(tiles), "tile_http_bytes": sum(r["bytes"] for r in tiles),
                "seconds": round(time.perf_counter() - m0[2], 3)}

    def layers_settled(self) -> bool:
        return all(r["done"] for r in self.layer_requests.values())


_TICK = os.sysconf("SC_CLK_TCK")


def _proc_table() -> dict[int, tuple[int, float]]:
    """pid -> (parent pid, CPU seconds user+sys) of every process (Linux /proc)."""
    out: dict[int, tuple[int, float]] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            raw = (d / "stat").read_text()
        except OSError:
            continue
        f = raw[raw.rindex(")") + 2:].split()  # fields after the command name
        out[int(d.name)] = (int(f[1]), (int(f[11]) + int(f[12])) / _TICK)
    return out


def cpu_seconds(server_pid: int) -> tuple[float, float]:
    """(server, browser) CPU seconds so far: the server's process tree, and every other
    descendant of this process (Playwright's driver and Chromium)."""
    table = _proc_table()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)

    def tree(root: int) -> set[int]:
        seen, todo = set(), [root]
        while todo:
            p = todo.pop()
            if p not in seen:
                seen.add(p)
                todo.extend(children.get(p, []))
        return seen

    server = tree(server_pid)
    browser = tree(os.getpid()) - server - {os.getpid()}
    return (sum(table[p][1] for p in server if p in table),
            sum(table[p][1] for p in browser if p in table))


def _frames(page, n: int = 2) -> None:
    page.wait_for_function(
        """(n) => new Promise(done => { const step = k => k ? requestAnimationFrame(
             () => step(k - 1)) : done(true); step(n); })""", arg=n, timeout=TIMEOUT_S * 1000)


def _settle(page, meter: Meter, timeout_s: float = 0) -> None:
    """Idle app, every layer-file request finished, two more painted frames."""
    timeout_s = timeout_s or TIMEOUT_S
    page.wait_for_function(_IDLE_JS, timeout=timeout_s * 1000)
    deadline = time.monotonic() + timeout_s
    while not meter.layers_settled() and time.monotonic() < deadline:
        page.wait_for_timeout(20)  # polling CDP events, not a fixed wait for the app
    _frames(page)


def _load(page, meter: Meter, url: str) -> dict[str, Any]:
    m0 = meter.mark()
    page.goto(url)
    page.wait_for_selector("[data-testid='stDeckGlJsonChart'] canvas", timeout=TIMEOUT_S * 1000)
    _settle(page, meter)
    return meter.since(m0)


def _change(page, meter: Meter, km: int, server_pid: int) -> dict[str, Any]:
    box = page.get_by_label("to a seaport by road")
    box.fill(str(km))
    page.evaluate(_ARM_JS)
    m0 = meter.mark()
    c0 = cpu_seconds(server_pid)
    box.press("Enter")
    page.wait_for_function(_RERUN_DONE_JS, timeout=TIMEOUT_S * 1000)
    rerun_s = time.perf_counter() - m0[2]
    _settle(page, meter)
    c1 = cpu_seconds(server_pid)
    out = meter.since(m0)
    out.update(rerun_done_seconds=round(rerun_s, 3),
               server_cpu_seconds=round(c1[0] - c0[0], 3),
               browser_cpu_seconds=round(c1[1] - c0[1], 3))
    return out


def _canvas_png(page, path: Path) -> Path:
    page.locator("[data-testid='stDeckGlJsonChart']").first.screenshot(path=str(path))
    return path


#: Scenarios: (name, URL query, synthetic points added to the server's data).
SCENARIOS: dict[str, tuple[str, int]] = {
    "all": ("?basemap=none&layers=" + ",".join(CONTEXT_LAYER_IDS), 0),
    "default": ("?basemap=none", 0),
    "scale": ("?basemap=none", SCALE_N),
    "scale100k": ("?basemap=none", 100_000),
}


def _mapped(page) -> int:
    """Mapped occurrences the Explore page says it draws (its caption under the map)."""
    cap = page.get_by_text(re.compile(r"^[\d,]+ mapped, [\d,]+ without a coordinate")).first
    return int(cap.inner_text().split(" ", 1)[0].replace(",", ""))


def measure(browser, url: str, label: str, changes: int, out_dir: Path,
            scenarios: list[str], server_pid: int) -> dict[str, Any]:
    """First load, ``changes`` filter changes and a revisit, per scenario (:data:`SCENARIOS`)."""
    res: dict[str, Any] = {}
    for scenario in scenarios:
        query = SCENARIOS[scenario][0]
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = ctx.new_page()
        meter = Meter(page)
        first = _load(page, meter, f"{url}/explore{query}")
        first["mapped"] = _mapped(page)
        png = _canvas_png(page, out_dir / f"wire_{label}_{scenario}.png")
        steps = []
        for i in range(changes):
            step = _change(page, meter, LIMITS_KM[i % len(LIMITS_KM)], server_pid)
            step["mapped"] = _mapped(page)
            steps.append(step)
        page2 = ctx.new_page()
        meter2 = Meter(page2)
        revisit = _load(page2, meter2, f"{url}/explore{query}")
        failed = [r["url"] for m in (meter, meter2) for r in m.layer_requests.values()
                  if r["status"] not in (200, 304)]
        res[scenario] = {
            "first_load": first, "changes": steps, "revisit": revisit, "screenshot": str(png),
            "ws_bytes_per_change_median": statistics.median(s["ws_bytes"] for s in steps),
            "seconds_per_change_median": statistics.median(s["seconds"] for s in steps),
            "rerun_done_seconds_median": statistics.median(s["rerun_done_seconds"]
                                                           for s in steps),
            "server_cpu_seconds_per_change_median": statistics.median(
                s["server_cpu_seconds"] for s in steps),
            "browser_cpu_seconds_per_change_median": statistics.median(
                s["browser_cpu_seconds"] for s in steps),
            "layer_requests_during_changes": sum(s["layer_requests"] for s in steps),
            "occ_requests_during_changes": sum(s["occ_requests"] for s in steps),
            "tile_requests_per_change_median": statistics.median(s["tile_requests"]
                                                                 for s in steps),
            "tile_http_bytes_per_change_median": statistics.median(s["tile_http_bytes"]
                                                                   for s in steps),
            # shared points: HTTP bytes of the points file over the points it holds; per filter
            # change: every byte received (websocket + points files) over the points shown, an
            # upper bound of the occurrence layers' share (the deck's other layers, the page's
            # text and widgets are in it too)
            "occ_file_bytes_per_point_first_load": round(
                first["occ_http_bytes"] / max(first["mapped"], 1), 2),
            "bytes_per_point_per_change_median": round(statistics.median(
                (s["ws_bytes"] + s["occ_http_bytes"]) / max(s["mapped"], 1) for s in steps), 2),
            "failed_layer_files": failed,
            "console_errors": (meter.errors + meter2.errors)[:10],
        }
        ctx.close()
    return res


def pixel_diff(a: Path, b: Path) -> float:
    """Mean absolute difference (0-255) of two screenshots of the map."""
    import numpy as np
    from PIL import Image

    x = np.asarray(Image.open(a).convert("RGB"), dtype=float)
    y = np.asarray(Image.open(b).convert("RGB"), dtype=float)
    h, w = min(x.shape[0], y.shape[0]), min(x.shape[1], y.shape[1])
    return float(np.abs(x[:h, :w] - y[:h, :w]).mean())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--changes", type=int, default=5)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "wire_latest.json")
    ap.add_argument("--keep", action="store_true", help="keep the temporary trees")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS),
                    help=f"comma-separated, of {', '.join(SCENARIOS)}")
    ap.add_argument("--latest", type=Path, default=REPO / "benchmarks" / "latest.json",
                    help="JSON whose 'wire' key gets the summary (other keys are kept)")
    args = ap.parse_args(argv)
    scenarios = [x for x in args.scenarios.split(",") if x]
    unknown = [x for x in scenarios if x not in SCENARIOS]
    if unknown:
        ap.error(f"unknown scenario(s) {', '.join(unknown)}")
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} not installed: nothing measured")
        return 1
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="mm_wire_"))
    tree = snapshot_tree(work / "tree")
    load0 = os.getloadavg()
    results: dict[str, Any] = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
            for label, script in (("baseline", "app.py"), ("prototype", "serve.py")):
                cache = work / f"cache_{label}"
                shutil.copytree(REPO / "geodata" / "cache", cache,
                                ignore=shutil.ignore_patterns("layers", ".*.tmp"))
                results[label] = {}
                for scale in sorted({SCENARIOS[sc][1] for sc in scenarios}):
                    group = [sc for sc in scenarios if SCENARIOS[sc][1] == scale]
                    env = {"MINERALMAP_DEMO_SCALE": str(scale)} if scale else {}
                    proc, url = start_server(tree, script, cache,
                                             work / f"{label}_{scale}.log", env)
                    try:
                        print(f"{label}: {script} at {url} (+{scale:,} synthetic points)",
                              flush=True)
                        results[label].update(
                            measure(browser, url, label, args.changes, work, group,
                                    proc.pid))
                    finally:
                        stop(proc)
            browser.close()
    finally:
        if not args.keep:
            shutil.rmtree(work / "baseline", ignore_errors=True)
            shutil.rmtree(work / "prototype", ignore_errors=True)
    report(results, scenarios)
    for scenario in scenarios:
        results.setdefault("pixel_diff", {})[scenario] = round(pixel_diff(
            Path(results["baseline"][scenario]["screenshot"]),
            Path(results["prototype"][scenario]["screenshot"])), 2)
    print(f"map canvas difference after first load (mean |Δ| of 0-255): {results['pixel_diff']}")
    results["meta"] = {"date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                       "cores": os.cpu_count(), "load_before": load0,
                       "load_after": os.getloadavg(), "changes": args.changes,
                       "work_dir": str(work),
                       "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO,
                                                capture_output=True, text=True).stdout.strip()
                       + " + working tree"}
    args.out.write_text(json.dumps(results, indent=2))
    print(f"wrote {args.out}")
    write_summary(results, args.latest, args.out)
    print(f"wrote the 'wire' summary into {args.latest}")
    return 0


def summary(results: dict[str, Any]) -> dict[str, Any]:
    """The headline figures (prototype = what ``make run`` serves, baseline = inline layers)."""
    out: dict[str, Any] = {"meta": results.get("meta", {})}
    b, p = results["baseline"], results["prototype"]
    for sc in p:
        fig = {
            "ws_bytes_per_change_median": {"mineralmap": p[sc]["ws_bytes_per_change_median"],
                                           "baseline": b[sc]["ws_bytes_per_change_median"]},
            "seconds_to_map_updated_median": {
                "mineralmap": p[sc]["seconds_per_change_median"],
                "baseline": b[sc]["seconds_per_change_median"]},
            "browser_cpu_seconds_per_change_median": {
                "mineralmap": p[sc]["browser_cpu_seconds_per_change_median"],
                "baseline": b[sc]["browser_cpu_seconds_per_change_median"]},
            "server_cpu_seconds_per_change_median": {
                "mineralmap": p[sc]["server_cpu_seconds_per_change_median"],
                "baseline": b[sc]["server_cpu_seconds_per_change_median"]},
            "first_load_seconds": {"mineralmap": p[sc]["first_load"]["seconds"],
                                   "baseline": b[sc]["first_load"]["seconds"]},
            "mapped": p[sc]["first_load"]["mapped"],
        }
        if sc == "scale100k":
            fig["tile_http_bytes_per_change_median"] = p[sc]["tile_http_bytes_per_change_median"]
            fig["tile_requests_per_change_median"] = p[sc]["tile_requests_per_change_median"]
        if sc == "scale":
            fig["occ_file_bytes_per_point_first_load"] = p[sc][
                "occ_file_bytes_per_point_first_load"]
            fig["bytes_per_point_per_change_median"] = {
                "mineralmap": p[sc]["bytes_per_point_per_change_median"],
                "baseline": b[sc]["bytes_per_point_per_change_median"]}
        out[sc] = fig
    targets = {}
    if "all" in p:
        targets["filter change, all layers <= 100 KB"] = (
            p["all"]["ws_bytes_per_change_median"] <= 100_000)
    if "default" in p:
        targets["filter change, default layers <= 60 KB"] = (
            p["default"]["ws_bytes_per_change_median"] <= 60_000)
        targets["map updated <= 0.6 s median (bundled, default layers)"] = (
            p["default"]["seconds_per_change_median"] <= 0.6)
    if "scale100k" in p:
        targets["map updated <= 1.5 s median at 100k (tiles)"] = (
            p["scale100k"]["seconds_per_change_median"] <= 1.5)
    if "scale" in p:
        targets[f"occurrence points <= 24 B/point at {SCALE_N:,}"] = (
            p["scale"]["occ_file_bytes_per_point_first_load"] <= 24
            and p["scale"]["bytes_per_point_per_change_median"] <= 24)
    out["targets"] = targets
    return out


def write_summary(results: dict[str, Any], latest: Path, detail: Path) -> None:
    """Put :func:`summary` under the ``wire`` key of ``latest`` (other keys are kept)."""
    data = json.loads(latest.read_text()) if latest.is_file() else {}
    data["wire"] = {**summary(results), "detail": str(detail.relative_to(REPO))
                    if detail.is_relative_to(REPO) else str(detail)}
    latest.write_text(json.dumps(data, indent=1, sort_keys=True, default=str) + "\n")  # as run.py


def report(results: dict[str, Any], scenarios: list[str]) -> None:
    b, p = results["baseline"], results["prototype"]
    print(f"\n{'Explore, basemap none':<44}{'baseline':>14}{'layer files':>14}{'ratio':>8}")

    def row(name: str, x: float, y: float, fmt: str = "{:,.0f}") -> None:
        ratio = f"{x / y:.1f}x" if y else "-"
        print(f"{name:<44}{fmt.format(x):>14}{fmt.format(y):>14}{ratio:>8}")

    for sc in scenarios:
        extra = {"scale": SCALE_N, "scale100k": 100_000}.get(sc)
        print(f"-- {sc}" + (f" (+{extra:,} synthetic points, default layers)"
                            if extra else " layers"))
        row("mapped points drawn (first load)", b[sc]["first_load"]["mapped"],
            p[sc]["first_load"]["mapped"])
        row("first load: websocket bytes", b[sc]["first_load"]["ws_bytes"],
            p[sc]["first_load"]["ws_bytes"])
        row("first load: layer files over HTTP (bytes)", b[sc]["first_load"]["layer_http_bytes"],
            p[sc]["first_load"]["layer_http_bytes"])
        row("first load: seconds to map drawn", b[sc]["first_load"]["seconds"],
            p[sc]["first_load"]["seconds"], "{:.2f}")
        row("filter change: websocket bytes (median)", b[sc]["ws_bytes_per_change_median"],
            p[sc]["ws_bytes_per_change_median"])
        row("filter change: seconds to map updated (med)", b[sc]["seconds_per_change_median"],
            p[sc]["seconds_per_change_median"], "{:.2f}")
        row("filter change: seconds to rerun done (med)", b[sc]["rerun_done_seconds_median"],
            p[sc]["rerun_done_seconds_median"], "{:.2f}")
        row("filter change: server CPU s (median)",
            b[sc]["server_cpu_seconds_per_change_median"],
            p[sc]["server_cpu_seconds_per_change_median"], "{:.2f}")
        row("filter change: browser CPU s (median)",
            b[sc]["browser_cpu_seconds_per_change_median"],
            p[sc]["browser_cpu_seconds_per_change_median"], "{:.2f}")
        row("filter changes: layer-file requests", b[sc]["layer_requests_during_changes"],
            p[sc]["layer_requests_during_changes"])
        row("filter changes: occurrence-file requests", b[sc]["occ_requests_during_changes"],
            p[sc]["occ_requests_during_changes"])
        row("filter change: tile requests (median)", b[sc]["tile_requests_per_change_median"],
            p[sc]["tile_requests_per_change_median"])
        row("filter change: tile bytes over HTTP (med)",
            b[sc]["tile_http_bytes_per_change_median"],
            p[sc]["tile_http_bytes_per_change_median"])
        row("first load: occurrence file B/point", b[sc]["occ_file_bytes_per_point_first_load"],
            p[sc]["occ_file_bytes_per_point_first_load"], "{:.1f}")
        row("filter change: all bytes / point (median)",
            b[sc]["bytes_per_point_per_change_median"],
            p[sc]["bytes_per_point_per_change_median"], "{:.1f}")
        row("revisit: websocket bytes", b[sc]["revisit"]["ws_bytes"], p[sc]["revisit"]["ws_bytes"])
        row("revisit: layer files over HTTP (bytes)", b[sc]["revisit"]["layer_http_bytes"],
            p[sc]["revisit"]["layer_http_bytes"])
        for label, r in (("baseline", b), ("prototype", p)):
            if r[sc]["failed_layer_files"] or r[sc]["console_errors"]:
                print(f"   {label}: failed layer files {r[sc]['failed_layer_files']}, "
                      f"console errors {r[sc]['console_errors'][:3]}")


if __name__ == "__main__":
    raise SystemExit(main())
