"""Before/after in one sitting: the same measurements on an older commit and on this checkout.

Usage::

    .venv/bin/python benchmarks/compare_commits.py --base a6cfbc1 [--rounds 3] [--only load,import]

The older commit is extracted with ``git archive`` into a temporary directory (nothing in this
checkout changes). Each measurement runs as a fresh subprocess with ``PYTHONPATH`` set to one
tree, alternating base and head for ``--rounds`` rounds, so that a busy neighbour on the shared
machine slows both sides alike. Both trees read the same layer cache (``MINERALMAP_CACHE`` or
``geodata/cache``) and, for the export figure, the same synthetic frame written once by head.
Reported per figure: median over rounds of each side's own median (wall seconds and CPU
seconds) and the ratio base/head (> 1: head is faster).

Figures (each must exist with the same API in both trees):

* ``import``: wall time of ``import mineralmap.catalog`` in a fresh interpreter;
* ``load``: :func:`mineralmap.catalog.load_layers` on the cache (median of 7 after a warm-up);
* ``nearest``: :func:`mineralmap.enrich.nearest_columns` for 100k random points (prebuilt index);
* ``export``: :func:`mineralmap.export.geojson_bytes` of 100k enriched synthetic rows.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

_PRELUDE = """
import json, statistics, sys, time
from pathlib import Path
def timed(fn, runs):
    walls, cpus = [], []
    for _ in range(runs):
        w, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w); cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus)
"""

SNIPPETS: dict[str, str] = {
    "import": """
w, c = time.perf_counter(), time.process_time()
import mineralmap.catalog  # noqa
print(json.dumps([time.perf_counter() - w, time.process_time() - c]))
""",
    "load": """
from mineralmap.catalog import load_layers
cache = Path(sys.argv[1]); load_layers(cache)
print(json.dumps(timed(lambda: load_layers(cache), 7)))
""",
    "nearest": """
sys.path.insert(0, sys.argv[2])  # head's benchmarks/ for the point generator
from benchmarks.bench_enrich import load, random_points
from mineralmap import enrich as en
layers, _occ, _ = load()
prep = en.prepare_layers(layers)
pts = random_points(layers["provinces"], 100_000)
en.nearest_columns(pts[:1000], prep)
print(json.dumps(timed(lambda: en.nearest_columns(pts, prep), 3)))
""",
    "export": """
import geopandas as gpd
from mineralmap import export
gdf = gpd.read_parquet(sys.argv[3])
meta = {"filter": "benchmark", "region": "", "app_version": "bench"}
print(json.dumps(timed(lambda: export.geojson_bytes(gdf, metadata=meta), 3)))
""",
}


def _extract(rev: str, dest: Path) -> None:
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)


def _run(tree: Path, name: str, args: list[str]) -> tuple[float, float]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    code = _PRELUDE + SNIPPETS[name]
    out = subprocess.run([sys.executable, "-c", code, *args], env=env, cwd=tree, check=True,
                         capture_output=True, text=True).stdout
    wall, cpu = json.loads(out.strip().splitlines()[-1])
    return float(wall), float(cpu)


def _export_frame(path: Path) -> None:
    sys.path.insert(0, str(REPO))
    from benchmarks import synthetic  # noqa: PLC0415 (only needed for the export figure)

    synthetic.enriched(100_000).to_parquet(path)


def main(argv: list[str] | None = None) -> int:
    """Run the chosen figures on both trees and print a table (``--json`` for raw numbers)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base", required=True, help="older commit (any git revision)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", default=",".join(SNIPPETS), help="comma-separated figures")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    names = [n for n in a.only.split(",") if n]
    unknown = sorted(set(names) - set(SNIPPETS))
    if unknown:
        ap.error(f"unknown figure(s) {', '.join(unknown)}; choose from {', '.join(SNIPPETS)}")
    cache = Path(os.environ.get("MINERALMAP_CACHE") or REPO / "geodata" / "cache").resolve()
    result: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        base.mkdir()
        _extract(a.base, base)
        # both trees byte-compiled, as an installed or once-run copy is (PYTHONDONTWRITEBYTECODE
        # would otherwise make every round compile the sources of both trees again)
        for tree in (base, REPO):
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "mineralmap")],
                           check=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": ""})
        frame = Path(tmp) / "frame.parquet"
        if "export" in names:
            _export_frame(frame)
        args = [str(cache), str(REPO), str(frame)]
        for name in names:
            runs: dict[str, list[tuple[float, float]]] = {"base": [], "head": []}
            for _ in range(a.rounds):
                runs["base"].append(_run(base, name, args))
                runs["head"].append(_run(REPO, name, args))
            med = {side: (statistics.median(w for w, _ in r), statistics.median(c for _, c in r))
                   for side, r in runs.items()}
            result[name] = {"base_wall_s": med["base"][0], "head_wall_s": med["head"][0],
                            "base_cpu_s": med["base"][1], "head_cpu_s": med["head"][1],
                            "wall_ratio": med["base"][0] / med["head"][0],
                            "cpu_ratio": med["base"][1] / med["head"][1]}
    print(f"base {a.base} vs head (this checkout), median of {a.rounds} alternating rounds; "
          f"load average now {os.getloadavg()[0]:.1f}")
    print(f"{'figure':<10}{'base wall':>11}{'head wall':>11}{'ratio':>8}"
          f"{'base cpu':>11}{'head cpu':>11}{'ratio':>8}")
    for name, r in result.items():
        print(f"{name:<10}{r['base_wall_s']:>11.3f}{r['head_wall_s']:>11.3f}{r['wall_ratio']:>7.2f}x"
              f"{r['base_cpu_s']:>11.3f}{r['head_cpu_s']:>11.3f}{r['cpu_ratio']:>7.2f}x")
    if a.json:
        print(json.dumps(result, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
