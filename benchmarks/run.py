"""Run every benchmark, print one table and write ``benchmarks/latest.json``.

Usage::

    .venv/bin/python benchmarks/run.py [--quick] [--only map_build,rerun,...] [--out PATH]

Sections (each measured against its baseline side by side in the same process):

========================  ===================================================================
map_build                 deck JSON for N points: mineralmap vs folium vs naive pydeck
                          (``bench_map.py``)
bytes_per_point           JSON bytes per occurrence sent to the browser (``bench_map.py``)
rerun                     server time of one filter change (page functions on the bundled
                          data and at N; AppTest rerun of pages/explore.py) vs no static-layer
                          caching, and JSON bytes per layer (``bench_rerun.py``)
enrich                    enrichment at N vs a naive per-row loop (``bench_enrich.py``)
export                    GeoJSON export at N vs ``GeoDataFrame.to_json`` (``bench_export.py``)
load                      all layers from the cache vs reading the raw files (``bench_load.py``)
nearest                   nearest-segment search: SegmentIndex vs shapely STRtree.query_nearest
                          on the real roads (``bench_nearest.py``)
scenario                  export-terminal scenario (compare_ports + drawn routes) at N vs the
                          previous per-occurrence-route algorithm (``bench_scenario.py``)
========================  ===================================================================

``--quick`` (CI-sized, a few minutes on 2 cores): N up to 10k and fewer repeats. The full run
adds N = 100k. Numbers depend on the machine and its load: the JSON records cores, Python, the
load average before and after, the date and the git commit. A failing section is recorded
with its error; the others still run. Not part of the test suite (no timed assertions).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

SECTIONS = ("map_build", "rerun", "enrich", "export", "load", "nearest", "scenario")  # bytes_per_point: from map_build
OUT = REPO / "benchmarks" / "latest.json"

Row = dict[str, Any]


def _row(figure: str, n: Any, mm: Any, base: Any = None, ratio: Any = None,
         target: str = "", met: bool | None = None) -> Row:
    return {"figure": figure, "N": n, "mineralmap": mm, "baseline": base, "ratio": ratio,
            "target": target, "met": met}


# ---- sections: each returns (raw result, table rows) ----------------------------------------


def _map_build(quick: bool) -> tuple[dict, list[Row]]:
    from benchmarks import bench_map

    res = bench_map.run(quick)
    rows: list[Row] = []
    for n, r in res["map_build"].items():
        at10 = int(n) == 10_000
        mode = "aggregated" if r["aggregated"] else ("compact" if r["compact"] else "tooltips")
        rows.append(_row(f"map_build ms vs folium ({mode})", n, r["mineralmap_ms"],
                         r["folium_ms"], r["folium_ratio"], ">=50x at 10k" if at10 else "",
                         r["folium_ratio"] >= 50 if at10 else None))
        rows.append(_row(f"map_build ms vs naive pydeck ({mode})", n, r["mineralmap_ms"],
                         r["naive_pydeck_ms"], r["naive_ratio"], ">=5x at 10k" if at10 else "",
                         r["naive_ratio"] >= 5 if at10 else None))
    for n, b in res["bytes_per_point"].items():
        at10 = int(n) == 10_000
        base = b["naive_pydeck_deck"]
        rows.append(_row("bytes_per_point: occurrence marker layer", n, b["mineralmap_marker"],
                         base, round(base / b["mineralmap_marker"], 1),
                         "<=40 B at 10k" if at10 else "",
                         b["mineralmap_marker"] <= 40 if at10 else None))
        rows.append(_row("bytes_per_point: markers + uncertainty circles", n,
                         b["mineralmap_points_deck"], base,
                         round(base / b["mineralmap_points_deck"], 1)))
        if b["mineralmap_deck"] != b["mineralmap_points_deck"]:
            rows.append(_row("bytes_per_point: deck as sent (aggregated)", n,
                             b["mineralmap_deck"], base, round(base / b["mineralmap_deck"], 1)))
    return res, rows


def _rerun(quick: bool) -> tuple[dict, list[Row]]:
    from benchmarks import bench_rerun

    res = bench_rerun.run(quick)
    b, s, a = res["bundled"], res["scale"], res["apptest"]
    rows = [
        _row("rerun p50 ms: page functions, bundled", b["rows"], b["mineralmap_ms"],
             b["baseline_ms"], b["ratio"], "<=150 ms", b["mineralmap_ms"] <= 150),
        _row("rerun p50 ms: page functions, bundled + synthetic", s["rows"], s["mineralmap_ms"],
             s["baseline_ms"], s["ratio"], "<=1000 ms at 100k" if s["rows"] > 100_000 else "",
             s["mineralmap_ms"] <= 1000 if s["rows"] > 100_000 else None),
        _row("rerun p50 ms: explore script run (app.py timer), bundled", b["rows"],
             a["script_ms"], a["baseline_script_ms"], a["script_ratio"], "<=150 ms",
             a["script_ms"] <= 150),
        _row("rerun p50 ms: AppTest wall incl. harness, bundled", b["rows"], a["mineralmap_ms"],
             a["baseline_ms"], a["ratio"]),
    ]
    a = res["apptest_scale"]
    big = a["demo_scale"] >= 100_000
    rows.append(_row("rerun p50 ms: explore script run (app.py timer), bundled + synthetic",
                     s["rows"], a["script_ms"], None, None, "<=1000 ms at 100k" if big else "",
                     a["script_ms"] <= 1000 if big else None))
    rows.append(_row("rerun p50 ms: AppTest wall incl. harness, bundled + synthetic", s["rows"],
                     a["mineralmap_ms"]))
    for name, lb in res["layer_bytes"].items():
        rows.append(_row(f"JSON bytes: {name}", lb["features"], lb["bytes"]))
    return res, rows


def _enrich(quick: bool) -> tuple[dict, list[Row]]:
    from benchmarks import bench_enrich, synthetic

    res = bench_enrich.run(quick)
    rows = [
        _row("enrich s: enrich() bundled incl. network build", res["bundled_rows"],
             round(res["bundled_enrich_incl_network_s"], 3)),
        _row("enrich s: nearest-feature columns vs naive loop", res["naive_points"],
             round(res["vectorised_same_points_s"], 4), round(res["naive_s"], 3),
             round(res["naive_over_vectorised"], 1)),
    ]
    for key, val in res.items():
        if key.startswith("nearest_") and key.endswith("_s") and key[8:-2].isdigit():
            n = int(key[8:-2])
            haul = res.get(f"haul_{n}_s", 0.0)
            rows.append(_row("enrich s: nearest + haul columns (prebuilt index)", n,
                             round(val + haul, 3)))
    for n, secs in sorted(synthetic.ENRICH_SECONDS.items()):
        rows.append(_row("enrich s: enrich() synthetic, incl. index + network build", n,
                         round(secs, 2)))
    res["synthetic_enrich_s"] = {str(k): round(v, 3) for k, v in synthetic.ENRICH_SECONDS.items()}
    return res, rows


def _export(quick: bool) -> tuple[dict, list[Row]]:
    from benchmarks import bench_export

    res = bench_export.run(quick)
    rows = []
    for n, r in res["sizes"].items():
        top = n == res["target_n"]
        rows.append(_row("export GeoJSON s vs GeoDataFrame.to_json", n, r["mineralmap_s"],
                         r["to_json_s"], r["ratio"],
                         (">=2x at 100k" if n >= 100_000 else f">=2x (at {n:,}; target 100k)")
                         if top else "", r["ratio"] >= 2 if top else None))
    return res, rows


def _load(quick: bool) -> tuple[dict, list[Row]]:
    from benchmarks import bench_load

    res = bench_load.run(3 if quick else 7)
    return res, [_row("load s: all layers from cache vs raw files", res.get("rows"),
                      res.get("load_layers_s"), res.get("raw_read_s"), res.get("speedup"))]


def _nearest(quick: bool) -> tuple[dict, list[Row]]:
    from benchmarks import bench_nearest

    res = bench_nearest.run(quick)
    rows = []
    for n, r in res["layers"]["roads"]["sizes"].items():
        rows.append(_row("nearest road segment s: SegmentIndex exact vs STRtree", n,
                         round(r["segment_index_exact_s"], 4), round(r["strtree_s"], 4),
                         round(r["ratio_strtree_over_exact"], 2)))
        rows.append(_row("nearest road segment s: SegmentIndex fast vs STRtree", n,
                         round(r["segment_index_fast_s"], 4), round(r["strtree_s"], 4),
                         round(r["ratio_strtree_over_fast"], 2)))
    return res, rows


def _scenario(quick: bool) -> tuple[dict, list[Row]]:
    from benchmarks import bench_scenario

    res = bench_scenario.run(quick, baseline_max=1_000 if quick else 10_000)
    rows = []
    for n, r in res["sizes"].items():
        top = n == max(res["sizes"])
        rows.append(_row("scenario s: compare_ports + drawn routes vs per-occurrence routes", n,
                         round(r["mineralmap_s"], 3), r.get("baseline_s") and round(
                             r["baseline_s"], 2), r.get("ratio") and round(r["ratio"], 1),
                         "<=1.5 s at 100k" if n >= 100_000 else "",
                         r["mineralmap_s"] <= 1.5 if n >= 100_000 else None))
        rows.append(_row("scenario s: compare_ports without routes vs previous", n,
                         round(r["mineralmap_no_routes_s"], 3),
                         round(r["baseline_no_routes_s"], 3), round(r["ratio_no_routes"], 1),
                         "same terminal and haul" if top else "",
                         r["agreement"]["same_terminal_share"] == 1.0
                         and r["agreement"]["max_abs_km"] < 1e-6 if top else None))
    return res, rows


RUNNERS: dict[str, Callable[[bool], tuple[dict, list[Row]]]] = {
    "map_build": _map_build, "rerun": _rerun, "enrich": _enrich, "export": _export,
    "load": _load, "nearest": _nearest, "scenario": _scenario,
}


# ---- output ---------------------------------------------------------------------------------


def _fmt(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "NO"
    if isinstance(v, float):
        return f"{v:,.1f}" if abs(v) >= 100 else (f"{v:.2f}" if abs(v) >= 1 else f"{v:.4f}")
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def print_table(rows: list[Row]) -> None:
    """Print the rows as one aligned table."""
    head = ("figure", "N", "mineralmap", "baseline", "ratio", "target", "met?")
    cells = [[r["figure"], _fmt(r["N"]), _fmt(r["mineralmap"]), _fmt(r["baseline"]),
              (_fmt(r["ratio"]) + "x") if r["ratio"] is not None else "", r["target"],
              _fmt(r["met"])] for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h)
              for i, h in enumerate(head)]
    line = "  ".join(h.ljust(w) if i == 0 else h.rjust(w)
                     for i, (h, w) in enumerate(zip(head, widths, strict=True)))
    print(line)
    print("-" * len(line))
    for c in cells:
        print("  ".join(v.ljust(w) if i == 0 else v.rjust(w)
                        for i, (v, w) in enumerate(zip(c, widths, strict=True))))


def machine_info() -> dict[str, Any]:
    """Cores, Python, platform, load average, date and git commit of this run."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO,
                                capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.machine(),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": commit,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the chosen sections, print the table, write the JSON; exit 1 if a section failed."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="N up to 10k, fewer repeats")
    ap.add_argument("--only", default="", help=f"comma-separated subset of {', '.join(SECTIONS)}")
    ap.add_argument("--out", type=Path, default=OUT, help=f"JSON output (default {OUT})")
    args = ap.parse_args(argv)
    chosen = [s.strip() for s in args.only.split(",") if s.strip()] or list(SECTIONS)
    unknown = [s for s in chosen if s not in RUNNERS]
    if unknown:
        ap.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    # measured as the app and the CLI run (config.configure_pandas); the AppTest of the rerun
    # section would otherwise switch the pandas options halfway through this process
    from mineralmap.config import configure_pandas

    configure_pandas()
    info = machine_info()
    print(f"mineralmap benchmarks ({'quick' if args.quick else 'full'}) on {info['cores']} cores, "
          f"Python {info['python']}, load average {info['load_average_before']}, "
          f"{info['date']}, commit {info['commit'] or '?'}", flush=True)
    rows: list[Row] = []
    sections: dict[str, Any] = {}
    wall: dict[str, float] = {}
    failed = []
    for name in chosen:
        print(f"... {name}", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        try:
            res, got = RUNNERS[name](args.quick)
            sections[name] = res
            rows.extend(got)
        except (Exception, SystemExit) as exc:  # one broken section must not hide the others
            failed.append(name)
            sections[name] = {"error": f"{type(exc).__name__}: {exc}",
                              "traceback": traceback.format_exc(limit=5)}
            rows.append(_row(f"{name}: FAILED ({type(exc).__name__}: {exc})"[:120], None, None))
        wall[name] = round(time.perf_counter() - t0, 1)
    info["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print()
    print_table(rows)
    print()
    print(f"load average after: {info['load_average_after']}; section wall time (s): "
          + ", ".join(f"{k} {v}" for k, v in wall.items()))
    out = {"quick": args.quick, "machine": info, "wall_s": wall, "table": rows,
           "sections": sections}
    # figures written by other scripts (load_test.py's section, bench_wire.py's "wire",
    # bench_browser.py's "browser") stay until those scripts run again
    old = json.loads(args.out.read_text()) if args.out.is_file() else {}
    for k, v in old.items():
        out.setdefault(k, v)
    for k, v in (old.get("sections") or {}).items():
        sections.setdefault(k, v)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1, sort_keys=True, default=str) + "\n")
    print(f"wrote {args.out.relative_to(REPO) if args.out.is_relative_to(REPO) else args.out}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
