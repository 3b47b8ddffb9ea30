"""Load test: N concurrent sessions drive the real app over Streamlit's websocket protocol.

Usage: ``python benchmarks/load_test.py [--sessions 10 [20 …]] [--rounds 3] [--json]``

Starts ``streamlit run serve.py`` (what ``make run`` starts) on a free port of 127.0.0.1
(``tests/e2e/conftest.start_app``, on the real data cache), then runs protocol-level clients:
each opens ``/_stcore/stream`` like a browser tab, sends ``rerun_script`` back-messages with widget states and reads the forward
messages until ``script_finished``. One round of a session is:

1. switch to *Explore map*, 2. change the commodity filter (sidebar multiselect), 3. click an
occurrence on the map (the pydeck selection event a browser sends), 4. switch to *Region &
export*, wait a random 0–1.5 s (other sessions keep running scripts meanwhile, which is what
made deferred downloads disappear) and fetch all four downloads (GeoJSON, CSV, GeoPackage, KML)
over HTTP from the URLs the page sent, checking status 200 and each format's signature. Behind
``serve.py`` the page sends links to the ``/download/<token>/<name>`` route (``link_button``,
issue 15 item 8; the answer must also say ``Content-Disposition: attachment``); an app without
the route (``--app-dir`` of an older checkout) sends ``download_button`` media URLs or deferred
files, fetched as a browser would.

Prints sessions, actions, errors (exceptions shown by a page, failed or timed-out runs, dropped
connections), failed downloads, p50/p95 latency of script runs and of downloads, and the
server's RSS before/after. The baseline is one session alone, measured first in the same
process (same server): the ratios say what the concurrency costs. Several ``--sessions`` counts
run one after the other on the same server (``by_sessions`` in the JSON; ``concurrent`` is the
first). Figures are merged into
``benchmarks/latest.json`` under ``sections.load_test`` (``sections.load`` is the layer-loading
benchmark). The loops are bounded (``--rounds``) and every wait has a timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import websockets  # noqa: E402
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402
from streamlit.proto.WidgetStates_pb2 import WidgetState  # noqa: E402

from mineralmap.catalog import load_catalog  # noqa: E402
from mineralmap.config import get_settings  # noqa: E402
from mineralmap.filters import FilterSpec  # noqa: E402
from tests.e2e.conftest import start_app  # noqa: E402

OUT = REPO / "benchmarks" / "latest.json"
RUN_TIMEOUT_S = 180.0
DOWNLOAD_TIMEOUT_S = 120.0
#: What each export must start with (GeoJSON is also parsed).
SIGNATURES = {".geojson": b"{", ".csv": b"", ".gpkg": b"SQLite format 3\x00", ".kml": b"<?xml"}
COMMODITIES = (["Sb"], ["REE"], ["Sb", "REE"], [])


@dataclass
class Stats:
    """What every client records (shared; asyncio runs the clients on one thread)."""

    actions: int = 0
    errors: list[str] = field(default_factory=list)
    downloads: int = 0
    failed_downloads: list[str] = field(default_factory=list)
    run_ms: list[float] = field(default_factory=list)
    download_ms: list[float] = field(default_factory=list)
    via_route: int = 0  # downloads fetched from the /download/ route (links)


class Session:
    """One browser tab, spoken at the protocol level."""

    def __init__(self, base: str, name: str, stats: Stats) -> None:
        self.base = base
        self.name = name
        self.stats = stats
        self.ws = None
        self.pages: dict[str, str] = {}  # url_pathname -> page_script_hash
        self.page_hash = ""
        self.widgets: dict[str, object] = {}  # widget id -> WidgetState we set
        self.elements: list = []  # elements of the last run
        self.session_id = ""

    async def __aenter__(self) -> Session:
        host = self.base.split("://", 1)[1]
        self.ws = await websockets.connect(
            f"ws://{host}/_stcore/stream", subprotocols=["streamlit"], max_size=None,
            origin=self.base, open_timeout=30, ping_interval=None)
        await self.run(query="")
        return self

    async def __aexit__(self, *exc) -> None:
        await self.ws.close()

    async def run(self, query: str = "", page: str | None = None) -> None:
        """Send one rerun (current widget states) and read messages until the run finished."""
        if page is not None:
            self.page_hash = self.pages[page]
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = query
        cs.page_script_hash = self.page_hash
        cs.widget_states.widgets.extend(self.widgets.values())
        t0 = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        self.elements = []
        try:
            await asyncio.wait_for(self._read_until_finished(), RUN_TIMEOUT_S)
        except (TimeoutError, websockets.ConnectionClosed) as exc:
            self.stats.errors.append(f"{self.name}: run of {page or 'page'}: {exc!r}")
            raise
        self.stats.run_ms.append((time.perf_counter() - t0) * 1e3)
        self.stats.actions += 1
        for el in self.elements:
            if el.WhichOneof("type") == "exception":
                self.stats.errors.append(f"{self.name}: exception on {page}: "
                                         f"{el.exception.type}: {el.exception.message[:200]}")

    async def _read_until_finished(self) -> None:
        while True:
            fm = ForwardMsg()
            fm.ParseFromString(await self.ws.recv())
            kind = fm.WhichOneof("type")
            if kind == "navigation":
                self.pages = {p.url_pathname: p.page_script_hash for p in fm.navigation.app_pages}
                self.page_hash = self.page_hash or fm.navigation.page_script_hash
            elif kind == "new_session":
                self.session_id = fm.new_session.initialize.session_id or self.session_id
                if fm.new_session.app_pages:
                    self.pages = {p.url_pathname: p.page_script_hash
                                  for p in fm.new_session.app_pages}
            elif kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
                self.elements.append(fm.delta.new_element)
            elif kind == "ref_hash":
                self.stats.errors.append(f"{self.name}: unexpected cached message reference")
            elif kind == "script_finished":
                status = fm.script_finished
                if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue  # st.rerun(): the next run follows by itself
                if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    self.stats.errors.append(f"{self.name}: compile error")
                return

    def element(self, kind: str, key: str):
        """The widget element of ``kind`` whose id ends with the user ``key``."""
        for el in self.elements:
            if el.WhichOneof("type") == kind:
                proto = getattr(el, kind)
                if proto.id.endswith(f"-{key}"):
                    return proto
        raise LookupError(f"{self.name}: no {kind} with key {key!r} on the page")

    def set_strings(self, widget_id: str, values: list[str]) -> None:
        ws = WidgetState(id=widget_id)
        ws.string_array_value.data.extend(values)
        self.widgets[widget_id] = ws

    def set_json(self, widget_id: str, value: dict) -> None:
        self.widgets[widget_id] = WidgetState(id=widget_id, string_value=json.dumps(value))

    def download_urls(self) -> dict[str, str]:
        """``key -> URL`` of the downloads: links to the ``/download/`` route, or download
        buttons; a deferred (callable) download has no URL yet: ``"deferred:<file id>"`` (see
        :meth:`deferred_url`)."""
        out = {}
        for el in self.elements:
            if el.WhichOneof("type") == "link_button" and "/download/" in el.link_button.url:
                out[el.link_button.id.rsplit("-", 1)[-1]] = el.link_button.url
            elif el.WhichOneof("type") == "download_button":
                b = el.download_button
                deferred = b.HasField("deferred_file_id")
                out[b.id.rsplit("-", 1)[-1]] = f"deferred:{b.deferred_file_id}" if deferred else b.url
        return out

    async def deferred_url(self, file_id: str) -> str | None:
        """Ask the server to run a deferred download (what the browser does on click)."""
        msg = BackMsg()
        req = msg.backend_operation_request
        req.request_id = uuid.uuid4().hex
        req.session_id = self.session_id
        req.deferred_file.file_id = file_id
        await self.ws.send(msg.SerializeToString())
        while True:
            fm = ForwardMsg()
            fm.ParseFromString(await asyncio.wait_for(self.ws.recv(), DOWNLOAD_TIMEOUT_S))
            if fm.WhichOneof("type") == "backend_operation_response":
                resp = fm.backend_operation_response
                if resp.request_id == req.request_id:
                    if resp.error_msg:
                        self.stats.failed_downloads.append(
                            f"{self.name}: deferred file: {resp.error_msg} {resp.error_reason}")
                    return resp.deferred_file.url or None


def _fetch(url: str) -> tuple[int, bytes, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as r:
            return r.status, r.read(), {k.lower(): v for k, v in r.headers.items()}
    except urllib.error.HTTPError as exc:
        return exc.code, b"", {}
    except OSError as exc:
        return -1, str(exc).encode(), {}


async def download_all(s: Session, stats: Stats) -> None:
    urls = s.download_urls()
    if set(urls) != {"dl_geojson", "dl_csv", "dl_gpkg", "dl_kml"}:
        stats.errors.append(f"{s.name}: download buttons {sorted(urls)}")
        return
    await asyncio.sleep(random.uniform(0.0, 1.5))  # the user reads the page; others run meanwhile

    async def one(key: str, url: str) -> None:
        t0 = time.perf_counter()
        if url.startswith("deferred:"):  # the design this project replaced (for comparison)
            url = await s.deferred_url(url.split(":", 1)[1]) or ""
            if not url:
                stats.failed_downloads.append(f"{s.name}: {key}: no URL for the deferred file")
                return
        status, body, headers = await asyncio.to_thread(_fetch, s.base + url)
        stats.download_ms.append((time.perf_counter() - t0) * 1e3)
        stats.downloads += 1
        ext = "." + url.rsplit(".", 1)[-1]
        ok = status == 200 and len(body) > 0 and body.startswith(SIGNATURES.get(ext, b""))
        if url.startswith("/download/"):
            stats.via_route += 1
            ok = ok and headers.get("content-disposition", "").startswith("attachment;")
        if ok and ext == ".geojson":
            try:
                ok = json.loads(body).get("type") == "FeatureCollection"
            except ValueError:
                ok = False
        if not ok:
            stats.failed_downloads.append(f"{s.name}: {key} HTTP {status}, {len(body)} bytes")

    if any(u.startswith("deferred:") for u in urls.values()):
        for k, u in urls.items():  # one websocket: one click after the other
            await one(k, u)
    else:
        await asyncio.gather(*(one(k, u) for k, u in urls.items()))


async def client(base: str, name: str, rounds: int, occ_ids: dict[tuple[str, ...], list[str]], stats: Stats,
                 seed: int) -> None:
    rng = random.Random(seed)
    try:
        async with Session(base, name, stats) as s:
            for _ in range(rounds):
                await s.run(page="explore")  # page switch
                flt = s.element("multiselect", "flt_commodities")
                choice = rng.choice(COMMODITIES)
                s.set_strings(flt.id, choice)  # filter change
                await s.run()
                chart = s.element("deck_gl_json_chart", "explore_map")
                occ_id = rng.choice(occ_ids[tuple(choice)])  # map click on a shown marker
                s.set_json(chart.id, {"selection": {"indices": {"occurrences": [0]},
                                                    "objects": {"occurrences": [{"id": occ_id}]}}})
                await s.run()
                if not any(el.WhichOneof("type") == "button"
                           and el.button.label == "Clear selection" for el in s.elements):
                    stats.errors.append(f"{name}: the map click opened no detail panel")
                s.widgets.pop(chart.id)
                await s.run(page="region_export")  # page switch; the page makes the files
                await download_all(s, stats)
    except (LookupError, TimeoutError, OSError, websockets.WebSocketException) as exc:
        stats.errors.append(f"{name}: {type(exc).__name__}: {exc}")


def _start_other(app_dir: Path, cache: Path) -> tuple[subprocess.Popen, str, Path]:
    """:func:`tests.e2e.conftest.start_app` for a checkout in ``app_dir`` (same options)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = Path(f"/tmp/mineralmap_load_{port}.log")
    env = {**os.environ, "MINERALMAP_CACHE": str(cache), "PYTHONPATH": str(app_dir)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run",
         "serve.py" if (Path(app_dir) / "serve.py").is_file() else "app.py", "--server.port", str(port),
         "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=app_dir, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return proc, url, log
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    raise RuntimeError(f"streamlit in {app_dir} did not become healthy, see {log}")


def _rss_mb(pid: int) -> float:
    """Resident memory of the server and its children (MB)."""
    total = 0
    pids = [pid]
    try:
        kids = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
        pids += [int(p) for p in kids.split()]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 1)
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1], 1)


async def _phase(base: str, sessions: int, rounds: int, occ_ids: dict[tuple[str, ...], list[str]]) -> tuple[Stats, float]:
    stats = Stats()
    t0 = time.perf_counter()
    await asyncio.gather(*(client(base, f"s{i}", rounds, occ_ids, stats, seed=i)
                           for i in range(sessions)))
    return stats, time.perf_counter() - t0


def _summary(stats: Stats, wall: float, sessions: int) -> dict:
    return {
        "sessions": sessions, "actions": stats.actions, "errors": len(stats.errors),
        "downloads": stats.downloads, "failed_downloads": len(stats.failed_downloads),
        "downloads_via_route": stats.via_route,
        "run_p50_ms": _pct(stats.run_ms, 50), "run_p95_ms": _pct(stats.run_ms, 95),
        "download_p50_ms": _pct(stats.download_ms, 50),
        "download_p95_ms": _pct(stats.download_ms, 95), "wall_s": round(wall, 1),
        "error_samples": stats.errors[:5], "failed_download_samples": stats.failed_downloads[:5],
    }


def _merge(result: dict) -> None:
    data = json.loads(OUT.read_text()) if OUT.exists() else {}
    data.setdefault("sections", {})["load_test"] = result
    OUT.write_text(json.dumps(data, indent=1, sort_keys=True, default=str) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, nargs="+", default=[10],
                    help="concurrent sessions (10-20); several counts run one after the other")
    ap.add_argument("--rounds", type=int, default=3, help="rounds per session (bounded)")
    ap.add_argument("--json", action="store_true", help="print the JSON result")
    ap.add_argument("--no-write", action="store_true", help="do not update latest.json")
    ap.add_argument("--app-dir", type=Path, default=None,
                    help="serve app.py of another checkout (e.g. an older commit unpacked with "
                         "`git archive`) for comparison; nothing is written to latest.json")
    args = ap.parse_args(argv)
    cache = get_settings().cache_dir
    occ = load_catalog(cache).occurrences
    # a browser can only click a marker the filter shows (a hidden selection closes its panel):
    # per commodity choice, the mapped ids that pass that filter
    mapped = occ["mapped"].astype(bool)
    occ_ids = {tuple(c): sorted(occ.loc[mapped & FilterSpec(commodities=tuple(c)).mask(occ), "id"]
                                .astype(str)) for c in COMMODITIES}
    if args.app_dir is not None:
        proc, base, log = _start_other(args.app_dir.resolve(), cache)
        args.no_write = True
    else:
        proc, base, log = start_app(cache)
    try:
        rss_before = _rss_mb(proc.pid)
        # warm-up (not recorded): the first run loads the catalog and fills the shared caches
        warm, _ = asyncio.run(_phase(base, 1, 1, occ_ids))
        if warm.errors or warm.failed_downloads:
            print("warm-up failed:", warm.errors[:3], warm.failed_downloads[:3])
        # baseline: one session alone on the warm server
        base_stats, base_wall = asyncio.run(_phase(base, 1, args.rounds, occ_ids))
        rss_warm = _rss_mb(proc.pid)
        phases = {}
        for n in args.sessions:
            stats, wall = asyncio.run(_phase(base, n, args.rounds, occ_ids))
            phases[n] = (stats, wall, _rss_mb(proc.pid))
        rss_after = _rss_mb(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
    baseline = _summary(base_stats, base_wall, 1)
    by_n = {n: _summary(sts, w, n) | {"server_rss_mb_after": round(rss, 1)}
            for n, (sts, w, rss) in phases.items()}
    ratios = {n: {k: (round(lo[k] / baseline[k], 2) if lo[k] and baseline[k] else None)
                  for k in ("run_p50_ms", "run_p95_ms", "download_p50_ms", "download_p95_ms")}
              for n, lo in by_n.items()}
    first = args.sessions[0]
    loaded, ratio = by_n[first], ratios[first]
    result = {"baseline_1_session": baseline, "concurrent": loaded,
              "ratio_concurrent_vs_1_session": ratio, "rounds": args.rounds,
              "by_sessions": {str(n): {"concurrent": lo, "ratio_vs_1_session": ratios[n]}
                              for n, lo in by_n.items()},
              "server_rss_mb": {"before": round(rss_before, 1), "after_warm_up_and_1_session":
                                round(rss_warm, 1), "after": round(rss_after, 1)},
              "server_log": str(log.relative_to(REPO)) if log.is_relative_to(REPO) else str(log),
              "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    print(f"load test on {base}: {args.sessions} sessions x {args.rounds} rounds "
          f"(explore, filter, map click, region page, 4 downloads)")
    for label, s in (("1 session (baseline)", baseline),
                     *((f"{n} sessions", lo) for n, lo in by_n.items())):
        print(f"  {label:22s} actions {s['actions']:4d}  errors {s['errors']}  downloads "
              f"{s['downloads']:3d} ({s['downloads_via_route']} via /download/)  failed "
              f"downloads {s['failed_downloads']}  run p50/p95 "
              f"{s['run_p50_ms']}/{s['run_p95_ms']} ms  download p50/p95 "
              f"{s['download_p50_ms']}/{s['download_p95_ms']} ms  wall {s['wall_s']} s")
    for n, r in ratios.items():
        print(f"  ratio {n} sessions / 1 session: {r}")
    print(f"  server RSS MB: before {rss_before:.0f}, after 1 session {rss_warm:.0f}, "
          f"after {rss_after:.0f}")
    samples = [e for lo in by_n.values() for e in lo["error_samples"] + lo["failed_download_samples"]]
    for e in (samples + baseline["error_samples"] + baseline["failed_download_samples"]):
        print("  !", e)
    if args.json:
        print(json.dumps(result, indent=1))
    if not args.no_write:
        _merge(result)
    bad = (len(warm.errors) + len(warm.failed_downloads) + baseline["errors"]
           + baseline["failed_downloads"]
           + sum(lo["errors"] + lo["failed_downloads"] for lo in by_n.values()))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
