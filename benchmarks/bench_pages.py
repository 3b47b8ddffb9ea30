"""Every page at the bundled size, 10k and 100k occurrences: server time per rerun, websocket bytes
per interaction and peak server memory, each beside the same figure of a baseline tree (issue 17).

Usage::

    .venv/bin/python benchmarks/bench_pages.py [--scales 0,10000,100000] [--base REF]
        [--no-browser] [--no-compression] [--repeat 3] [--out benchmarks/pages_latest.json]

The baseline is the code of ``--base`` (default :data:`BASE_REF`, the commit before the issue-17
table work), unpacked with ``git archive REF | tar -x`` into a temporary folder, and measured in
the same run as the working tree, one after the other, on the same real data cache
(``geodata/cache``, or ``$MINERALMAP_CACHE``). The synthetic demo points of each scale
(``MINERALMAP_DEMO_SCALE``) are enriched once and cached there (both trees share that file).

Per tree and scale:

* **AppTest** (a subprocess per tree and scale, so each imports its own ``mineralmap``): for each
  page, the server time of a filter-change rerun (the sidebar Province multiselect toggled between
  "Balochistan" and nothing; ``_mm_last_run_ms`` that app.py records, p50 over ``--repeat``), and
  the page with an empty selection (a name filter that matches nothing): exception or not, and the
  messages shown. Peak RSS of the worker (``ru_maxrss``).
* **Browser** (a real ``streamlit run app.py`` server + headless Chromium via Playwright): per page,
  first load and a Province filter change (the table/chart toggles stay off, as a visitor finds
  them). Websocket payload bytes received by the page (``page.on("websocket")``, frames
  ``framereceived``: uncompressed), the bytes the server sent on the wire (counted by a TCP proxy
  between browser and server: compressed when compression is on), its CPU seconds (``/proc/PID/stat``) and the browser time until the run finished. Peak
  server memory: ``VmHWM`` of the server after every page was visited.
* **Websocket compression** (working tree only, unless ``--no-compression``): the browser part again
  with ``--server.enableWebsocketCompression true``: wire bytes and server CPU against the
  uncompressed server of the same tree and scale.

Targets (issue 17): filter-change rerun at 100k <= 1.5 s of server time on every page;
<= 300 KB per interaction at 100k with the table closed; peak server memory at 100k <= 1 GB.
Writes ``benchmarks/pages_latest.json``. The machine's load (shared cores) makes the figures noisy:
read the ratios of one run, not absolute values across runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
#: The commit before the issue-17 table work (route geometry only for what is drawn is in it).
BASE_REF = "7e2a0de"
PAGES: dict[str, tuple[str, str]] = {  # name -> (script for AppTest, URL path)
    "home": ("pages/home.py", ""),
    "explore": ("pages/explore.py", "explore"),
    "region_export": ("pages/region_export.py", "region_export"),
    "context": ("pages/context.py", "context"),
    "data": ("pages/data.py", "data"),
}
TARGET_RERUN_MS = 1_500.0
TARGET_BYTES = 300 * 1024
TARGET_PEAK_MB = 1024.0
EMPTY_QUERY = "zzzz-no-such-occurrence"
CLK = os.sysconf("SC_CLK_TCK")


# ------------------------------------------------------------------------------ AppTest worker


def _apptest_worker(tree: Path, repeat: int) -> dict[str, Any]:
    """Run in a subprocess with cwd=tree and PYTHONPATH=tree (its own mineralmap)."""
    from streamlit.testing.v1 import AppTest

    app = str(tree / "app.py")
    out: dict[str, Any] = {"pages": {}}
    t0 = time.perf_counter()
    warm = AppTest.from_file(app, default_timeout=900)
    warm.run()
    out["catalog_load_s"] = round(time.perf_counter() - t0, 2)
    out["warm_exception"] = [str(e.value)[:300] for e in warm.exception]
    for name, (script, _path) in PAGES.items():
        rec: dict[str, Any] = {}
        at = AppTest.from_file(app, default_timeout=900)
        at.switch_page(script)
        t1 = time.perf_counter()
        at.run()
        rec["first_run_ms"] = round((time.perf_counter() - t1) * 1e3, 1)
        rec["first_exception"] = [str(e.value)[:300] for e in at.exception]
        server, wall = [], []
        for i in range(repeat * 2):
            value = ["Balochistan"] if i % 2 == 0 else []
            t1 = time.perf_counter()
            at.multiselect(key="flt_provinces").set_value(value).run()
            w = (time.perf_counter() - t1) * 1e3
            if i % 2 == 0:  # the filter change to one province (the other run resets it)
                wall.append(w)
                server.append(float(at.session_state["_mm_last_run_ms"]))
        rec["filter_rerun_server_ms"] = round(statistics.median(server), 1)
        rec["filter_rerun_wall_ms"] = round(statistics.median(wall), 1)
        rec["filter_exception"] = [str(e.value)[:300] for e in at.exception]
        t1 = time.perf_counter()
        at.text_input(key="flt_name_query").set_value(EMPTY_QUERY).run()
        rec["empty_ms"] = round((time.perf_counter() - t1) * 1e3, 1)
        rec["empty_exception"] = [str(e.value)[:300] for e in at.exception]
        rec["empty_messages"] = [str(m.value)[:160] for m in (*at.info, *at.warning, *at.error)]
        at.text_input(key="flt_name_query").set_value("").run()
        out["pages"][name] = rec
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


# ------------------------------------------------------------------------------ helpers


def unpack_base(ref: str, dest: Path) -> Path:
    """``git archive ref | tar -x -C dest`` (no state change in the repository)."""
    dest.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "archive", ref], cwd=REPO, check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
    return dest


def _env(tree: Path, cache: Path, scale: int) -> dict[str, str]:
    env = os.environ.copy()
    env.update({"MINERALMAP_CACHE": str(cache), "MINERALMAP_DEMO_SCALE": str(scale),
                "MINERALMAP_GEODATA": str(REPO / "geodata"), "PYTHONPATH": str(tree),
                "MINERALMAP_OFFLINE": "1"})
    return env


def ensure_demo_cache(cache: Path, scale: int) -> float:
    """Build (once) the enriched synthetic points of ``scale`` in the cache; seconds taken."""
    if not scale:
        return 0.0
    t0 = time.perf_counter()
    code = ("from mineralmap import catalog; c = catalog.load_catalog(); "
            "print(len(c.occurrences), dict(c.missing))")
    r = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=_env(REPO, cache, scale),
                       capture_output=True, text=True, check=True)
    print(f"  demo cache {scale:,}: {r.stdout.strip()[:200]} ({time.perf_counter() - t0:.1f} s)")
    return time.perf_counter() - t0


def run_apptest(tree: Path, cache: Path, scale: int, repeat: int) -> dict[str, Any]:
    r = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--worker-apptest", str(tree),
         "--repeat", str(repeat)],
        cwd=tree, env=_env(tree, cache, scale), capture_output=True, text=True, timeout=3600,
    )
    if r.returncode != 0:
        return {"error": (r.stderr or r.stdout)[-2000:]}
    return json.loads(r.stdout.strip().splitlines()[-1])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(tree: Path, cache: Path, scale: int, compression: bool,
                 log: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    script = "serve.py" if (tree / "serve.py").is_file() else "app.py"  # what `make run` starts
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port),
         "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none",
         "--server.enableWebsocketCompression", "true" if compression else "false"],
        cwd=tree, env=_env(tree, cache, scale), stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited early, see {log}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.read().strip() == b"ok":
                    return proc, url
        time.sleep(0.3)
    proc.terminate()
    raise RuntimeError(f"streamlit did not become healthy, see {log}")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


def proc_stats(pid: int) -> tuple[float, int, float, float]:
    """(cpu seconds, bytes written by write() calls, RSS MB, peak RSS MB) of a process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / CLK
    wchar = 0
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("wchar:"):
            wchar = int(line.split()[1])
    rss = hwm = 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1]) / 1024
        elif line.startswith("VmHWM:"):
            hwm = int(line.split()[1]) / 1024
    return cpu, wchar, rss, hwm


class CountingProxy:
    """A TCP proxy in front of the server that counts the bytes the server sends (what goes on
    the wire: HTTP responses and websocket frames, compressed or not)."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.down = 0
        self.port = _free_port()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", self.port))
        self._ready.set()
        self._loop.run_forever()

    async def _pipe(self, reader, writer, count: bool) -> None:
        try:
            while data := await reader.read(65536):
                if count:
                    self.down += len(data)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def _handle(self, reader, writer) -> None:
        try:
            up_r, up_w = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        await asyncio.gather(self._pipe(reader, up_w, False), self._pipe(up_r, writer, True))

    async def _shutdown(self) -> None:
        self._server.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._loop.stop()

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop)
        self._thread.join(5)


_IDLE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app && app.getAttribute('data-test-script-state') === 'notRunning'
    && !document.querySelector('[data-testid="stStatusWidget"]')
    && !document.querySelector('[data-testid="stElementContainer"][data-stale="true"]')
    && [...document.querySelectorAll('[data-testid="stCaptionContainer"]')]
         .some(c => c.innerText.includes('Data sources and licences'));
}"""
_ARM_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!window.__mmObserver) {
    window.__mmObserver = new MutationObserver((r) => { window.__mmRuns += r.length; });
    window.__mmObserver.observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
  }
  window.__mmRuns = 0;
}"""
_RERUN_DONE_JS = f"() => window.__mmRuns > 0 && ({_IDLE_JS})()"


class Meter:
    """Websocket payload bytes received by a page, and the server's CPU and bytes written."""

    def __init__(self, page, pid: int, proxy: CountingProxy) -> None:
        self.ws_bytes = 0
        self.pid = pid
        self.proxy = proxy
        page.on("websocket", self._on_ws)

    def _on_ws(self, ws) -> None:
        ws.on("framereceived", self._frame)

    def _frame(self, payload) -> None:
        self.ws_bytes += len(payload)

    def mark(self) -> tuple[int, float, int, float]:
        cpu, _wchar, _rss, _hwm = proc_stats(self.pid)
        return self.ws_bytes, cpu, self.proxy.down, time.perf_counter()

    def since(self, m0: tuple[int, float, int, float]) -> dict[str, float]:
        ws, cpu, wchar, t = self.mark()
        return {"ws_bytes": ws - m0[0], "server_cpu_s": round(cpu - m0[1], 3),
                "wire_bytes": wchar - m0[2], "browser_s": round(t - m0[3], 2)}


def _change_province(page, meter: Meter, timeout_ms: int) -> dict[str, float]:
    """Choose "Balochistan" in the sidebar Province filter; the figures from the key press that
    chooses it until the rerun has finished."""
    box = page.locator("[data-testid='stSidebar'] [data-testid='stMultiSelect']").filter(
        has_text="Province").first
    box.click(timeout=timeout_ms)
    page.keyboard.type("Balochistan")
    page.get_by_role("option", name="Balochistan").first.wait_for(timeout=timeout_ms)
    page.evaluate(_ARM_JS)
    m0 = meter.mark()
    page.keyboard.press("Enter")
    page.wait_for_function(_RERUN_DONE_JS, timeout=timeout_ms)
    got = meter.since(m0)
    page.keyboard.press("Escape")
    return got


def run_browser(browser, tree: Path, cache: Path, scale: int, compression: bool,
                logdir: Path) -> dict[str, Any]:
    log = logdir / f"server_{tree.name}_{scale}_{int(compression)}.log"
    proc, direct = start_server(tree, cache, scale, compression, log)
    proxy = CountingProxy(int(direct.rsplit(":", 1)[1]))
    url = f"http://127.0.0.1:{proxy.port}"
    out: dict[str, Any] = {"pages": {}}
    timeout = 300_000
    try:
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = ctx.new_page()
        meter = Meter(page, proc.pid, proxy)
        m0 = meter.mark()
        page.goto(f"{url}/data", wait_until="domcontentloaded")  # loads the catalog once
        page.wait_for_function(_IDLE_JS, timeout=timeout)
        out["warmup"] = meter.since(m0)
        for name, (_script, path) in PAGES.items():
            rec: dict[str, Any] = {}
            try:
                m0 = meter.mark()
                page.goto(f"{url}/{path}", wait_until="domcontentloaded")
                page.wait_for_function(_IDLE_JS, timeout=timeout)
                rec["first_load"] = meter.since(m0)
                rec["filter_change"] = _change_province(page, meter, timeout)
                rec["exception"] = page.locator("[data-testid='stException']").count() > 0
            except Exception as exc:  # noqa: BLE001 - recorded; the other pages are measured
                rec["error"] = repr(exc)[:400]
            out["pages"][name] = rec
            print(f"    {tree.name} {scale:,} {name}: {json.dumps(rec)}", flush=True)
        ctx.close()
        cpu, _w, rss, hwm = proc_stats(proc.pid)
        out["server_rss_mb"] = round(rss, 1)
        out["server_peak_mb"] = round(hwm, 1)
        out["server_cpu_s_total"] = round(cpu, 2)
    finally:
        proxy.close()
        stop(proc)
    return out


# ------------------------------------------------------------------------------ report


def _ratio(new: float | None, base: float | None) -> str:
    if not new or not base:
        return "   -  "
    return f"{new / base:6.2f}"


def _row(label: str, new: float | None, base: float | None, unit: str, target: float | None = None,
         ) -> str:
    def fmt(v: float | None) -> str:
        return "-" if v is None else f"{v:,.0f}"

    flag = ""
    if target is not None and new is not None:
        flag = "  ok" if new <= target else "  OVER TARGET"
    return f"    {label:<34} {fmt(new):>12} {fmt(base):>12} {unit:<4} ratio {_ratio(new, base)}{flag}"


def report(result: dict[str, Any]) -> None:
    for scale in result["scales"]:
        s = str(scale)
        print(f"\n=== {scale:,} demo points (0 = bundled data) — new vs base ===")
        at_new = result["apptest"]["new"].get(s, {})
        at_base = result["apptest"]["base"].get(s, {})
        br_new = result["browser"]["new"].get(s, {})
        br_base = result["browser"]["base"].get(s, {})
        big = scale >= 100_000
        for name in PAGES:
            print(f"  {name}")
            a, b = at_new.get("pages", {}).get(name, {}), at_base.get("pages", {}).get(name, {})
            print(_row("filter rerun, server ms (AppTest)", a.get("filter_rerun_server_ms"),
                       b.get("filter_rerun_server_ms"), "ms", TARGET_RERUN_MS if big else None))
            print(_row("empty selection rerun ms", a.get("empty_ms"), b.get("empty_ms"), "ms"))
            bn, bb = br_new.get("pages", {}).get(name, {}), br_base.get("pages", {}).get(name, {})
            for inter in ("first_load", "filter_change"):
                x, y = bn.get(inter, {}), bb.get(inter, {})
                tgt = TARGET_BYTES if big and inter == "filter_change" else None
                print(_row(f"{inter}: websocket bytes", x.get("ws_bytes"), y.get("ws_bytes"), "B",
                           tgt))
                print(_row(f"{inter}: browser ms", (x.get("browser_s") or 0) * 1e3 or None,
                           (y.get("browser_s") or 0) * 1e3 or None, "ms"))
        print(_row("peak server memory (VmHWM)", br_new.get("server_peak_mb"),
                   br_base.get("server_peak_mb"), "MB", TARGET_PEAK_MB if big else None))
        print(_row("peak AppTest worker memory", at_new.get("peak_rss_mb"),
                   at_base.get("peak_rss_mb"), "MB"))
        comp = result.get("compression", {}).get(s)
        if comp:
            print("  websocket compression (working tree): on vs off")
            for name in PAGES:
                on = comp["pages"].get(name, {}).get("filter_change", {})
                off = br_new.get("pages", {}).get(name, {}).get("filter_change", {})
                print(_row(f"{name} filter change: wire bytes", on.get("wire_bytes"),
                           off.get("wire_bytes"), "B"))
                print(_row(f"{name} filter change: server CPU ms",
                           (on.get("server_cpu_s") or 0) * 1e3 or None,
                           (off.get("server_cpu_s") or 0) * 1e3 or None, "ms"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scales", default="0,10000,100000")
    ap.add_argument("--base", default=BASE_REF)
    ap.add_argument("--new-tree", default=str(REPO),
                    help="code measured as 'new' (default: this working tree)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--only", choices=("new", "base"), default=None,
                    help="measure one tree only (debugging; no ratios)")
    ap.add_argument("--no-apptest", action="store_true")
    ap.add_argument("--no-compression", action="store_true")
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "pages_latest.json"))
    ap.add_argument("--worker-apptest", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker_apptest:
        print(json.dumps(_apptest_worker(Path(args.worker_apptest), args.repeat)))
        return 0

    sys.path.insert(0, str(REPO))
    from mineralmap.config import get_settings

    cache = Path(get_settings().cache_dir).resolve()
    scales = [int(s) for s in args.scales.split(",") if s.strip()]
    tmp = Path(tempfile.mkdtemp(prefix="mm_pages_"))
    base_sha = subprocess.run(["git", "rev-parse", args.base], cwd=REPO, check=True,
                              capture_output=True, text=True).stdout.strip()
    trees = {"new": Path(args.new_tree).resolve(), "base": unpack_base(base_sha, tmp / "mm_base")}
    print(f"new tree {trees['new']} against base {base_sha[:10]} ({trees['base']}); cache {cache}")
    result: dict[str, Any] = {
        "generated": time.strftime("%Y-%m-%dT%H:%M:%S"), "base": base_sha, "scales": scales,
        "new_tree": str(trees["new"]),
        "targets": {"filter_rerun_ms_at_100k": TARGET_RERUN_MS,
                    "bytes_per_interaction_at_100k": TARGET_BYTES,
                    "peak_server_mb_at_100k": TARGET_PEAK_MB},
        "load_average": os.getloadavg(), "cpus": os.cpu_count(),
        "apptest": {"new": {}, "base": {}}, "browser": {"new": {}, "base": {}},
        "compression": {}, "demo_cache_s": {},
    }
    for scale in scales:
        result["demo_cache_s"][str(scale)] = round(ensure_demo_cache(cache, scale), 1)
    whiches = (args.only,) if args.only else ("base", "new")
    try:
        if not args.no_apptest:
            for scale in scales:
                for which in whiches:
                    t0 = time.perf_counter()
                    result["apptest"][which][str(scale)] = run_apptest(trees[which], cache, scale,
                                                                       args.repeat)
                    print(f"  apptest {which} {scale:,}: {time.perf_counter() - t0:.0f} s")
        if not args.no_browser:
            from playwright.sync_api import sync_playwright

            chromium = os.environ.get("MINERALMAP_CHROMIUM", "/usr/bin/chromium")
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=chromium, headless=True,
                    args=["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
                          "--disable-background-networking", "--no-first-run"])
                for scale in scales:
                    for which in whiches:
                        t0 = time.perf_counter()
                        try:
                            result["browser"][which][str(scale)] = run_browser(
                                browser, trees[which], cache, scale, False, tmp)
                        except Exception as exc:  # noqa: BLE001 - recorded, the run goes on
                            result["browser"][which][str(scale)] = {"error": repr(exc)[:500]}
                        print(f"  browser {which} {scale:,}: {time.perf_counter() - t0:.0f} s")
                    if not args.no_compression:
                        try:
                            result["compression"][str(scale)] = run_browser(
                                browser, trees["new"], cache, scale, True, tmp)
                        except Exception as exc:  # noqa: BLE001
                            result["compression"][str(scale)] = {"error": repr(exc)[:500],
                                                                 "pages": {}}
                browser.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report(result)
    Path(args.out).write_text(json.dumps(result, indent=1, default=str) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
